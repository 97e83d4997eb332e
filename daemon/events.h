/*
 * events.h - snmpmgrd's event bus: modules publish events (a poll result,
 * a session going down, a trap, a bad packet ...) and control-socket
 * subscribers that asked for them get each as a JSON-RPC notification
 *
 *     {"jsonrpc":"2.0","method":"event","params":{"event":"trap",
 *      "time":"2026-11-21T10:00:00.123Z","session":"core1", ...data...}}
 *
 * Delivery to one subscriber is bounded: a subscriber whose queued output
 * passes its bound is dropped with a counted reason, so publishing never
 * stalls the daemon.  Events are also the place where log lines for them
 * are decided, so a module publishes and does not log the same thing.
 */
#ifndef SNMPMGRD_EVENTS_H
#define SNMPMGRD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct ctl_req;
typedef struct json_t json_t;

/* Event types (SPEC section 4), as named on the wire. */
enum event_type {
	EV_RESPONSE = 0,	/* "response": poll and request results */
	EV_POLL,		/* "poll": a scheduled poll finished */
	EV_STATE,		/* "state": a session went up or down */
	EV_TRAP,		/* "trap" */
	EV_INFORM,		/* "inform" */
	EV_REPORT,		/* "report" */
	EV_DISCOVERY_REQUEST,	/* "discovery-request" */
	EV_DISCOVERY,		/* "discovery" */
	EV_BAD_PACKET,		/* "bad-packet" */
	EV_ERROR,		/* "error" */
	EV_TRACE,		/* "trace" */
	EV_CONNECTED,		/* "connected" (DTLS) */
	EV_DISCONNECTED,	/* "disconnected" (DTLS) */
	EV_SSL_STATUS,		/* "ssl-status" */
	EV_SSL_CLIENT_AUTH,	/* "ssl-client-authentication" */
	EV_SSL_SERVER_AUTH,	/* "ssl-server-authentication" */
	EV_CONFIG,		/* "config": a reload was applied or refused */
	EV__COUNT
};

/* "trap", "bad-packet", ...; NULL for an unknown type. */
const char	*events_name(enum event_type t);
/* The type named s, or -1. */
int		 events_from_name(const char *s);

struct events;
struct events	*events_new(struct daemon *d);
/* Ends every subscription (reason "shutdown"), then frees. */
void		 events_free(struct events *e);
/* Graceful stop: end every subscription with reason "shutdown". */
void		 events_shutdown(struct events *e);

/*
 * A publisher's first step for one event of type t for session (NULL for
 * events that belong to no session): true when at least one subscriber
 * wants it, and the publisher goes on to build it and events_publish() it.
 * False counts the event as published (to nobody) here, so the publisher
 * builds no JSON and is done: the trap path runs at 100,000s per second,
 * and events.published counts every event whether or not anyone listens.
 * Call it once per event, and only for an event that happens.
 */
bool		 events_wanted(struct events *e, enum event_type t,
		    const char *session);

/* The same question without counting anything, for switching work for
 * an event type on or off per session (packets.c: packet traces). */
bool		 events_subscribed(const struct events *e, enum event_type t,
		    const char *session);

/* True when any subscriber wants type t, for whatever sessions. */
bool		 events_any(const struct events *e, enum event_type t);
/*
 * cb is called after every change of the set of subscriptions (one
 * added or ended), so a module can switch work for an event type on or
 * off (packets.c: packet traces).  One callback; NULL removes it.
 */
void		 events_set_change_cb(struct events *e, void (*cb)(void *),
		    void *arg);

/*
 * One internal listener besides the subscribers (cluster.c publishes to
 * NATS from it): tap(arg, t, session, params) sees every event of the
 * types in mask (bit 1 << type) as a subscriber would get its params
 * ("event", "time", "session", then the data), before delivery; params
 * is borrowed.  Those types count as wanted.  NULL tap removes it.
 */
void		 events_set_tap(struct events *e, uint32_t mask,
		    void (*tap)(void *, enum event_type, const char *,
		    const json_t *), void *arg);

/*
 * A second internal listener that takes events as text (cluster.c: poll
 * results, rendered without a JSON tree): tap(arg, t, session, key,
 * text, len) with text the whole event `{"event":..,"time":..,
 * "session":..,...}` (not NUL-ended) and key the publisher's (a poll's
 * name); both borrowed.  Only for types also in events_set_tap()'s mask,
 * so they count as wanted.  NULL tap removes it.
 */
void		 events_set_text_tap(struct events *e, uint32_t mask,
		    void (*tap)(void *, enum event_type, const char *,
		    const char *, const char *, size_t), void *arg);
/* After events_wanted() said yes: whether the text tap is the only one
 * to want it (then render its data and events_publish_text() it, rather
 * than build JSON for events_publish()). */
bool		 events_text_only(const struct events *e, enum event_type t,
		    const char *session);
/* The event whose data is members (`"a":1,"b":[]`, len bytes, no
 * braces) to the text tap, and counted. */
void		 events_publish_text(struct events *e, enum event_type t,
		    const char *session, const char *key, const char *members,
		    size_t len);

/*
 * Deliver an event (and count it).  data is a JSON object whose members
 * are added to the notification's params after "event", "time" and
 * "session" (NULL for none); the reference is stolen.
 */
void		 events_publish(struct events *e, enum event_type t,
		    const char *session, json_t *data);

/*
 * Add a subscriber: the connection of r gets the events matching the
 * filter from now on, until it closes or unsubscribes.  Called by the
 * events.subscribe method.  0, or -1 with a JSON-RPC error set on r.
 */
int		 events_subscribe(struct events *e, struct ctl_req *r,
		    const json_t *params);
/*
 * End subscription id (events.unsubscribe): its client gets an
 * "events.end" notification.  0, or -1 when there is no such one.
 */
int		 events_unsubscribe(struct events *e, uint64_t id);

/* {"subscribers", "delivered", "published": {TYPE: n}, "ended": {...}}
 * for daemon.stats.  New reference or NULL. */
json_t		*events_stats_json(const struct events *e);

#endif /* SNMPMGRD_EVENTS_H */
