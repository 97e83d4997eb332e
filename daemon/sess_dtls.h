/*
 * sess_dtls.h - the session engine's DTLS binding (RFC 6353, client
 * side): one DTLS 1.2 association per session on a connected UDP socket
 * of its own, driven by the libevent loop.  sess_event.c hands it the
 * messages of a session with transport "dtls"; what the agent answers
 * goes to sess_mgr_input().
 */
#ifndef SNMPMGR_SESS_DTLS_H
#define SNMPMGR_SESS_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtls_opts;
struct event_base;
struct sess;
struct sess_dtls;
struct sess_mgr;

/*
 * The DTLS options of session s (the daemon's configuration), filled into
 * o, whose strings must stay valid while s lives; *idle_ms the idle
 * timeout (dtls_idle_timeout).  0, or -1 with lasterr.
 */
typedef int sess_dtls_opts_fn(void *arg, struct sess *s,
    struct dtls_opts *o, uint32_t *idle_ms);

struct dtls_peer_info;

/* What happened to a session's association, for the daemon's events. */
enum sess_dtls_event {
	SESS_DTLS_HANDSHAKE	= 1,	/* a handshake started */
	SESS_DTLS_OPEN		= 2,	/* established: pi the agent's cert */
	SESS_DTLS_FAILED	= 3,	/* the handshake failed: code, detail */
	SESS_DTLS_CLOSED	= 4,	/* an open one closed: detail why */
};

typedef void sess_dtls_event_fn(void *arg, struct sess *s,
    enum sess_dtls_event ev, const struct dtls_peer_info *pi, int code,
    const char *detail);

/* The name of session s for log lines; NULL for an inline target. */
typedef const char *sess_dtls_name_fn(void *arg, const struct sess *s);

struct sess_dtls_hooks {
	sess_dtls_opts_fn	*opts;
	sess_dtls_event_fn	*event;		/* NULL: none */
	sess_dtls_name_fn	*name;		/* NULL: none */
	void			*arg;
};

/*
 * The binding of s.  Nothing is opened until the first send; the context
 * (our certificate, the CA) is built then, from h->opts (h is copied).
 */
struct sess_dtls	*sess_dtls_new(struct event_base *base,
			    struct sess_mgr *m, struct sess *s,
			    const struct sess_dtls_hooks *h);
/* The agent's certificate and the handshake while open, else NULL; and
 * *dropped (NULL: not wanted) the invalid records the association
 * dropped. */
const struct dtls_peer_info *sess_dtls_peer(const struct sess_dtls *d,
			    uint64_t *dropped);
/*
 * The session's DTLS options changed: close the association
 * (close_notify when open) and forget the context made from the old
 * ones.  Messages waiting for a handshake go on a new one at once.
 * Not from inside d's own callbacks.
 */
void			 sess_dtls_reset(struct sess_dtls *d);
/* Close (close_notify when open) and free; safe inside its callbacks. */
void			 sess_dtls_free(struct sess_dtls *d);
/*
 * Send one message: at once on an open association, else queued until
 * the handshake (started now if none runs) is done.  0, or -1 with errno
 * when the message cannot even be queued.
 */
int			 sess_dtls_send(struct sess_dtls *d, const uint8_t *msg,
			    size_t len);

/*
 * Whether everything sent so far has gone out: the association is open
 * and no message waits for it.
 */
bool			 sess_dtls_sent(const struct sess_dtls *d);
/*
 * Call done once it has (error 0), or when the handshake fails (its
 * numbered error and detail): once, from the loop.  NULL done forgets
 * the waiter; so does freeing d.
 */
typedef void sess_dtls_sent_fn(void *arg, int error, const char *detail);
void			 sess_dtls_when_sent(struct sess_dtls *d,
			    sess_dtls_sent_fn *done, void *arg);

/*
 * A request ran out of tries: if the open association has heard nothing
 * for a second, the agent may have restarted and lost it; close it so the
 * next message opens a new one.
 */
void			 sess_dtls_drop(struct sess_dtls *d);

#endif /* SNMPMGR_SESS_DTLS_H */
