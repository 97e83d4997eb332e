/*
 * events.c - the event bus of events.h: a list of subscribers, each a
 * control request left open by events.subscribe, with a filter (a set of
 * event types and, optionally, session names).
 *
 * An event becomes one JSON-RPC notification line, built once and queued
 * on every subscriber that wants it.  Each subscriber has a bound on the
 * bytes its connection may hold unread; an event that would pass it ends
 * the subscription (reason "slow", counted) instead of growing the queue,
 * so a subscriber that does not read costs the daemon at most its bound
 * and never blocks publishing.  The subscription ends with an
 * "events.end" notification, and also when its client disconnects (the
 * request's cancel callback), unsubscribes, or the daemon stops.
 *
 * events_wanted() is a table lookup when nobody subscribed to a type, so
 * publishers on hot paths (poll results, traps) pay nothing for events no
 * one reads but the count: an event is counted in "published" once,
 * either there (nobody wants it) or in events_publish().
 */
#include <config.h>		/* autoconf's */

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/errors.h"
#include "core/limits.h"

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "render.h"

/* Bounds of a subscriber's queued output ("max_queue"), bytes. */
#define EVENTS_QUEUE_MIN	4096
#define EVENTS_QUEUE_DEFAULT	(1024 * 1024)
#define EVENTS_QUEUE_MAX	(SNMPMGR_MAX_CTL_OUTPUT / 4)
/* Session names one subscription may filter on. */
#define EVENTS_MAX_FILTER	1024

static const char *const event_names[EV__COUNT] = {
	[EV_RESPONSE]		= "response",
	[EV_POLL]		= "poll",
	[EV_STATE]		= "state",
	[EV_TRAP]		= "trap",
	[EV_INFORM]		= "inform",
	[EV_REPORT]		= "report",
	[EV_DISCOVERY_REQUEST]	= "discovery-request",
	[EV_DISCOVERY]		= "discovery",
	[EV_BAD_PACKET]		= "bad-packet",
	[EV_ERROR]		= "error",
	[EV_TRACE]		= "trace",
	[EV_CONNECTED]		= "connected",
	[EV_DISCONNECTED]	= "disconnected",
	[EV_SSL_STATUS]		= "ssl-status",
	[EV_SSL_CLIENT_AUTH]	= "ssl-client-authentication",
	[EV_SSL_SERVER_AUTH]	= "ssl-server-authentication",
	[EV_CONFIG]		= "config",
};

struct ev_sub {
	TAILQ_ENTRY(ev_sub)	 entry;
	struct events		*e;
	struct ctl_req		*r;
	uint64_t		 id;
	uint32_t		 types;		/* 1 << enum event_type */
	char			**sessions;	/* sorted; NULL: any */
	size_t			 nsessions;
	size_t			 max_queue;
	uint64_t		 delivered;
};

struct events {
	struct daemon		*d;
	TAILQ_HEAD(, ev_sub)	 subs;
	size_t			 nsubs;
	/* Subscribers per type, and those of them with no session filter. */
	unsigned int		 ntype[EV__COUNT];
	unsigned int		 ntype_any[EV__COUNT];
	uint64_t		 next_id;

	void			(*change)(void *);
	void			*change_arg;
	uint32_t		 tap_mask;
	void			(*tap)(void *, enum event_type, const char *,
				    const json_t *);
	void			*tap_arg;
	uint32_t		 text_mask;
	void			(*text_tap)(void *, enum event_type,
				    const char *, const char *, const char *,
				    size_t);
	void			*text_arg;
	struct render_buf	 tb;		/* the text tap's event */

	uint64_t		 published[EV__COUNT];
	uint64_t		 delivered;
	uint64_t		 dropped_slow;	/* subscribers */
	uint64_t		 dropped_gone;	/* write failed */
	uint64_t		 ended_client;	/* unsubscribed or disconnected */
};

const char *
events_name(enum event_type t)
{
	if ((int)t < 0 || t >= EV__COUNT)
		return NULL;
	return event_names[t];
}

int
events_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < EV__COUNT; i++)
		if (strcmp(event_names[i], s) == 0)
			return i;
	return -1;
}

struct events *
events_new(struct daemon *d)
{
	struct events	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->d = d;
	e->next_id = 1;
	TAILQ_INIT(&e->subs);
	return e;
}

static int
sub_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
sub_matches(const struct ev_sub *sub, enum event_type t, const char *session)
{
	if ((sub->types & (1U << t)) == 0)
		return false;
	if (sub->sessions == NULL)
		return true;
	if (session == NULL)
		return false;
	return bsearch(&session, sub->sessions, sub->nsessions,
	    sizeof(*sub->sessions), sub_name_cmp) != NULL;
}

/* Unlink sub and free it; the control request is not touched. */
static void
sub_free(struct ev_sub *sub)
{
	struct events	*e = sub->e;
	size_t		 i;
	int		 t;

	TAILQ_REMOVE(&e->subs, sub, entry);
	e->nsubs--;
	for (t = 0; t < EV__COUNT; t++) {
		if ((sub->types & (1U << t)) == 0)
			continue;
		e->ntype[t]--;
		if (sub->sessions == NULL)
			e->ntype_any[t]--;
	}
	for (i = 0; i < sub->nsessions; i++)
		free(sub->sessions[i]);
	free(sub->sessions);
	free(sub);
	if (e->change != NULL)
		e->change(e->change_arg);
}

/* The client went away: its request is being freed by control.c. */
static void
sub_cancel_cb(void *arg)
{
	struct ev_sub	*sub = arg;

	sub->e->ended_client++;
	sub_free(sub);
}

/*
 * End a subscription from our side: tell the client why (when there is
 * room), finish its request and free it.
 */
static void
sub_end(struct ev_sub *sub, const char *reason)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"events.end\",\"params\":{\"id\":";
	struct ctl_req	*r = sub->r;
	const char	*id;
	size_t		 idlen;
	char		 tail[160];
	int		 n;

	id = ctl_req_id(r, &idlen);
	n = snprintf(tail, sizeof(tail), ",\"subscription\":%llu,"
	    "\"reason\":\"%s\",\"delivered\":%llu}}\n",
	    (unsigned long long)sub->id, reason,
	    (unsigned long long)sub->delivered);
	if (!ctl_req_is_notification(r) && n > 0 && (size_t)n < sizeof(tail)) {
		/* Three pieces of one line, queued back to back. */
		if (ctl_req_write(r, head, sizeof(head) - 1) == 0 &&
		    ctl_req_write(r, id, idlen) == 0)
			(void)ctl_req_write(r, tail, (size_t)n);
	}
	ctl_req_set_cancel(r, NULL, NULL);
	sub_free(sub);
	ctl_req_done(r);
}

/* request.cancel named the subscribe request: end it as unsubscribing
 * does. */
static void
sub_interrupt_cb(void *arg, const char *why)
{
	struct ev_sub	*sub = arg;

	sub->e->ended_client++;
	sub_end(sub, "cancelled");
}

void
events_shutdown(struct events *e)
{
	struct ev_sub	*sub;

	if (e == NULL)
		return;
	while ((sub = TAILQ_FIRST(&e->subs)) != NULL)
		sub_end(sub, "shutdown");
}

void
events_free(struct events *e)
{
	if (e == NULL)
		return;
	events_shutdown(e);
	render_buf_free(&e->tb);
	free(e);
}

bool
events_any(const struct events *e, enum event_type t)
{
	return e != NULL && (int)t >= 0 && t < EV__COUNT && e->ntype[t] > 0;
}

void
events_set_change_cb(struct events *e, void (*cb)(void *), void *arg)
{
	e->change = cb;
	e->change_arg = arg;
}

bool
events_wanted(struct events *e, enum event_type t, const char *session)
{
	if (e == NULL || (int)t < 0 || t >= EV__COUNT)
		return false;
	if (events_subscribed(e, t, session) || (e->tap != NULL &&
	    (e->tap_mask & (1U << t)) != 0))
		return true;
	e->published[t]++;
	return false;
}

void
events_set_tap(struct events *e, uint32_t mask, void (*tap)(void *,
    enum event_type, const char *, const json_t *), void *arg)
{
	e->tap_mask = tap != NULL ? mask : 0;
	e->tap = tap;
	e->tap_arg = arg;
}

void
events_set_text_tap(struct events *e, uint32_t mask, void (*tap)(void *,
    enum event_type, const char *, const char *, const char *, size_t),
    void *arg)
{
	e->text_mask = tap != NULL ? mask : 0;
	e->text_tap = tap;
	e->text_arg = arg;
}

bool
events_text_only(const struct events *e, enum event_type t,
    const char *session)
{
	return e != NULL && (int)t >= 0 && t < EV__COUNT &&
	    e->text_tap != NULL && (e->text_mask & (1U << t)) != 0 &&
	    !events_subscribed(e, t, session);
}

bool
events_subscribed(const struct events *e, enum event_type t,
    const char *session)
{
	const struct ev_sub	*sub;

	if (e == NULL || (int)t < 0 || t >= EV__COUNT || e->ntype[t] == 0)
		return false;
	if (e->ntype_any[t] > 0)
		return true;
	TAILQ_FOREACH(sub, &e->subs, entry)
		if (sub_matches(sub, t, session))
			return true;
	return false;
}

/*
 * "2026-11-21T10:00:00.123Z": now, UTC, milliseconds (size >= 32): the
 * journal's form (render_time_utc) cut after the milliseconds.
 */
static void
events_time(char *buf, size_t size)
{
	struct timespec	 ts;

	if (size < 32) {
		buf[0] = '\0';
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	render_time_utc(&ts, buf);
	buf[23] = 'Z';
	buf[24] = '\0';
}

/*
 * The event as text, `{"event":T,"time":NOW,"session":S,` + members +
 * `}`, to the text tap (counted as published); the buffer is reused.
 */
void
events_publish_text(struct events *e, enum event_type t, const char *session,
    const char *key, const char *members, size_t len)
{
	struct render_buf *b = &e->tb;
	char		 now[40];

	if (!events_text_only(e, t, session))
		return;
	e->published[t]++;
	events_time(now, sizeof(now));
	render_buf_reset(b);
	render_adds(b, "{\"event\":\"");
	render_adds(b, event_names[t]);
	render_adds(b, "\",\"time\":\"");
	render_adds(b, now);
	render_adds(b, "\"");
	if (session != NULL) {
		render_adds(b, ",\"session\":");
		render_json_str(b, session, strlen(session));
	}
	if (len > 0) {
		render_adds(b, ",");
		render_add(b, members, len);
	}
	render_adds(b, "}");
	if (!b->failed)
		e->text_tap(e->text_arg, t, session, key, b->p, b->len);
}

void
events_publish(struct events *e, enum event_type t, const char *session,
    json_t *data)
{
	static const char	 head[] = "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"event\",\"params\":";
	struct ev_sub		*sub, *next;
	json_t			*params = NULL;
	char			*body = NULL, *line = NULL;
	char			 now[40];
	size_t			 blen, len;
	bool			 tapped;

	if (e == NULL || (int)t < 0 || t >= EV__COUNT)
		goto out;
	e->published[t]++;
	tapped = e->tap != NULL && (e->tap_mask & (1U << t)) != 0;
	if (!tapped && !events_subscribed(e, t, session))
		goto out;
	events_time(now, sizeof(now));
	params = json_pack("{s:s,s:s}", "event", event_names[t], "time", now);
	if (params == NULL)
		goto oom;
	if (session != NULL && json_object_set_new(params, "session",
	    json_string(session)) == -1)
		goto oom;
	if (data != NULL && json_is_object(data) &&
	    json_object_update(params, data) == -1)
		goto oom;
	if (tapped) {
		e->tap(e->tap_arg, t, session, params);
		if (!events_subscribed(e, t, session))
			goto out;
	}
	if ((body = json_dumps(params, RENDER_JSON_DUMP)) == NULL)
		goto oom;
	blen = strlen(body);
	len = sizeof(head) - 1 + blen + 2;
	if ((line = malloc(len)) == NULL)
		goto oom;
	memcpy(line, head, sizeof(head) - 1);
	memcpy(line + sizeof(head) - 1, body, blen);
	memcpy(line + len - 2, "}\n", 2);

	for (sub = TAILQ_FIRST(&e->subs); sub != NULL; sub = next) {
		next = TAILQ_NEXT(sub, entry);
		if (!sub_matches(sub, t, session))
			continue;
		if (ctl_req_outq(sub->r) + len > sub->max_queue) {
			log_warnx("events: subscription %llu does not keep "
			    "up (%zu bytes unread); ending it",
			    (unsigned long long)sub->id,
			    ctl_req_outq(sub->r));
			e->dropped_slow++;
			sub_end(sub, "slow");
			continue;
		}
		if (ctl_req_write(sub->r, line, len) == -1) {
			/* The connection is going; its cancel callback
			 * would free sub later, do it now. */
			e->dropped_gone++;
			ctl_req_set_cancel(sub->r, NULL, NULL);
			sub_free(sub);
			continue;
		}
		sub->delivered++;
		e->delivered++;
	}
	goto out;
 oom:
	log_warnx("events: out of memory publishing a %s event",
	    event_names[t]);
 out:
	free(line);
	free(body);
	json_decref(params);
	json_decref(data);
}

/* Parse "events" (array of names or one comma-separated string). */
static int
sub_parse_types(struct ctl_req *r, const json_t *v, uint32_t *types)
{
	const json_t	*x;
	const char	*s, *p, *comma;
	char		 name[32];
	size_t		 i, n;
	int		 t;

	*types = 0;
	if (v == NULL || json_is_null(v)) {
		/* Everything but packet traces, which are asked for by name. */
		*types = ((1U << EV__COUNT) - 1) & ~(1U << EV_TRACE);
		return 0;
	}
	if (json_is_string(v)) {
		for (p = json_string_value(v); *p != '\0'; p = comma + 1) {
			if ((comma = strchr(p, ',')) == NULL)
				comma = p + strlen(p);
			n = (size_t)(comma - p);
			if (n == 0 || n >= sizeof(name))
				goto bad;
			memcpy(name, p, n);
			name[n] = '\0';
			if ((t = events_from_name(name)) == -1)
				goto unknown;
			*types |= 1U << t;
			if (*comma == '\0')
				break;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (!json_is_string(x))
				goto bad;
			s = json_string_value(x);
			snprintf(name, sizeof(name), "%s", s);
			if ((t = events_from_name(s)) == -1)
				goto unknown;
			*types |= 1U << t;
		}
	} else
		goto bad;
	if (*types == 0)
		goto bad;
	return 0;
 unknown:
	ctl_req_errorf(r, CTL_ERR_PARAMS, "events: unknown event type \"%s\"",
	    name);
	return -1;
 bad:
	ctl_req_error(r, CTL_ERR_PARAMS, "events: expected a non-empty array "
	    "of event type names", NULL);
	return -1;
}

static int
sub_parse_sessions(struct ctl_req *r, const json_t *v, struct ev_sub *sub)
{
	const json_t	*x;
	size_t		 i, n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if ((sub->sessions = calloc(1, sizeof(char *))) == NULL ||
		    (sub->sessions[0] = strdup(json_string_value(v))) == NULL)
			goto oom;
		sub->nsessions = 1;
		return 0;
	}
	if (!json_is_array(v) || (n = json_array_size(v)) == 0) {
		ctl_req_error(r, CTL_ERR_PARAMS, "sessions: expected a "
		    "non-empty array of session names", NULL);
		return -1;
	}
	if (n > EVENTS_MAX_FILTER) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "sessions: more than %d",
		    EVENTS_MAX_FILTER);
		return -1;
	}
	if ((sub->sessions = calloc(n, sizeof(char *))) == NULL)
		goto oom;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x)) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "sessions[%zu]: "
			    "expected a session name", i);
			return -1;
		}
		if ((sub->sessions[i] = strdup(json_string_value(x))) == NULL)
			goto oom;
		sub->nsessions++;
	}
	qsort(sub->sessions, sub->nsessions, sizeof(char *), sub_name_cmp);
	return 0;
 oom:
	ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	return -1;
}

int
events_subscribe(struct events *e, struct ctl_req *r, const json_t *params)
{
	struct ev_sub	*sub = NULL;
	const json_t	*v;
	json_t		*res = NULL, *names = NULL, *sess;
	size_t		 i;
	int		 t;

	if (ctl_req_is_notification(r)) {
		ctl_req_error(r, CTL_ERR_INVALID, "events.subscribe needs an "
		    "id: events are delivered to the request", NULL);
		return -1;
	}
	/* Each costs memory and a look at every event published. */
	if (e->nsubs >= SNMPMGR_MAX_SUBSCRIPTIONS) {
		ctl_req_error_num(r, SNMPMGR_ERR_BUSY, "too many event "
		    "subscriptions", json_pack("{s:i}", "max",
		    SNMPMGR_MAX_SUBSCRIPTIONS));
		return -1;
	}
	if ((sub = calloc(1, sizeof(*sub))) == NULL)
		goto oom;
	sub->e = e;
	sub->r = r;
	sub->max_queue = EVENTS_QUEUE_DEFAULT;
	if (sub_parse_types(r, json_object_get(params, "events"),
	    &sub->types) == -1)
		goto fail;
	if (sub_parse_sessions(r, json_object_get(params, "sessions"),
	    sub) == -1)
		goto fail;
	if ((v = json_object_get(params, "max_queue")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v) ||
		    json_integer_value(v) < EVENTS_QUEUE_MIN ||
		    json_integer_value(v) > EVENTS_QUEUE_MAX) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "max_queue: expected "
			    "bytes in %d..%d", EVENTS_QUEUE_MIN,
			    EVENTS_QUEUE_MAX);
			goto fail;
		}
		sub->max_queue = (size_t)json_integer_value(v);
	}
	if ((names = json_array()) == NULL)
		goto oom;
	for (t = 0; t < EV__COUNT; t++)
		if (sub->types & (1U << t))
			json_array_append_new(names,
			    json_string(event_names[t]));
	if (sub->sessions != NULL) {
		if ((sess = json_array()) == NULL)
			goto oom;
		for (i = 0; i < sub->nsessions; i++)
			json_array_append_new(sess,
			    json_string(sub->sessions[i]));
	} else
		sess = json_null();
	sub->id = e->next_id++;
	res = json_pack("{s:I,s:o,s:o,s:I}", "subscription",
	    (json_int_t)sub->id, "events", names, "sessions", sess,
	    "max_queue", (json_int_t)sub->max_queue);
	names = NULL;
	if (res == NULL)
		goto oom;

	TAILQ_INSERT_TAIL(&e->subs, sub, entry);
	e->nsubs++;
	for (t = 0; t < EV__COUNT; t++) {
		if ((sub->types & (1U << t)) == 0)
			continue;
		e->ntype[t]++;
		if (sub->sessions == NULL)
			e->ntype_any[t]++;
	}
	ctl_req_set_cancel(r, sub_cancel_cb, sub);
	ctl_req_set_interrupt(r, sub_interrupt_cb, sub);
	ctl_req_result(r, res);
	ctl_req_ack(r);
	log_debug("events: subscription %llu", (unsigned long long)sub->id);
	if (e->change != NULL)
		e->change(e->change_arg);
	return 0;
 oom:
	ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
 fail:
	json_decref(names);
	if (sub != NULL) {
		for (i = 0; i < sub->nsessions; i++)
			free(sub->sessions[i]);
		free(sub->sessions);
		free(sub);
	}
	return -1;
}

int
events_unsubscribe(struct events *e, uint64_t id)
{
	struct ev_sub	*sub;

	TAILQ_FOREACH(sub, &e->subs, entry) {
		if (sub->id == id) {
			e->ended_client++;
			sub_end(sub, "unsubscribed");
			return 0;
		}
	}
	return -1;
}

json_t *
events_stats_json(const struct events *e)
{
	json_t	*pub;
	int	 t;

	if ((pub = json_object()) == NULL)
		return NULL;
	for (t = 0; t < EV__COUNT; t++)
		if (e->published[t] > 0)
			json_object_set_new(pub, event_names[t],
			    json_integer((json_int_t)e->published[t]));
	return json_pack("{s:I,s:I,s:o,s:{s:I,s:I,s:I}}",
	    "subscribers", (json_int_t)e->nsubs,
	    "delivered", (json_int_t)e->delivered,
	    "published", pub,
	    "ended", "slow", (json_int_t)e->dropped_slow,
	    "write_failed", (json_int_t)e->dropped_gone,
	    "by_client", (json_int_t)e->ended_client);
}
