/*
 * sess_event.h - the session engine on a libevent loop.
 *
 * A sess_loop owns a sess_mgr and gives it a monotonic clock, one timer for
 * the earliest deadline, and sockets: one shared UDP socket per address
 * family (and per distinct set of socket options), opened when a session
 * first needs it, plus a socket of its own for a session that binds a
 * local port or uses a connected socket.  Readable sockets are drained in
 * batches into sess_mgr_input().  It lives in daemon/, with the other
 * loop bindings, so core/ stays free of libevent.
 */
#ifndef SNMPMGR_SESS_EVENT_H
#define SNMPMGR_SESS_EVENT_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>

struct event;
struct event_base;
struct resolver;
struct sess;
struct sess_loop;
struct sess_mgr;
struct dtls_opts;

#include "sess_dtls.h"

/* NULL with errno on failure.  base stays the caller's. */
struct sess_loop	*sess_loop_new(struct event_base *base);
/* The manager: create sessions on it; freed by sess_loop_free(). */
struct sess_mgr		*sess_loop_mgr(struct sess_loop *l);
/* Frees the manager (and every session left), then the sockets. */
void			 sess_loop_free(struct sess_loop *l);

/*
 * Cork (on) and uncork: while corked, datagrams the sessions send are held
 * (core/transport.h, a send queue) and go out when the last cork comes
 * off, one sendmmsg per socket, so requests started in one go (the turns
 * of one scheduler wake-up) cost one system call.  Corks nest.  Only
 * shared, unconnected UDP sockets are held (a connected socket reports
 * refusals on send, which the session wants at once); a held datagram
 * that fails to go out is as lost as one the network dropped: its
 * request's retries and timeout apply.
 */
void			 sess_loop_cork(struct sess_loop *l, bool on);

/*
 * Receive buffer of shared sockets opened from now on, in bytes (default
 * 4 MiB; beyond net.core.rmem_max only with CAP_NET_ADMIN).
 */
void			 sess_loop_set_rcvbuf(struct sess_loop *l, int bytes);

/*
 * Look host names of sessions up with res (the caller's; it must outlive
 * the sessions' lookups): without one, only numeric hosts are taken.
 */
void			 sess_loop_set_resolver(struct sess_loop *l,
			    struct resolver *res);

/*
 * Where a session with transport "dtls" gets its DTLS options from
 * (sess_dtls.h); without it such sessions fail their first request.
 */
void			 sess_loop_set_dtls(struct sess_loop *l,
			    const struct sess_dtls_hooks *h);
/* A DTLS session's open association: the agent's certificate, or NULL;
 * *dropped (NULL: not wanted) the invalid records it dropped. */
const struct dtls_peer_info *sess_loop_dtls_peer(const struct sess *s,
			    uint64_t *dropped);
/* Its DTLS options changed: the association (if any) is closed and the
 * next one built from the options as they are now (sess_dtls_reset). */
void			 sess_loop_dtls_reset(struct sess *s);

/*
 * Call done once everything sent so far on s's own TCP connection or
 * DTLS association has been handed to the kernel (error 0), or when it
 * cannot be: the connection failed or closed first (397), the handshake
 * failed (its 27x/28x error), or timeout_ms passed (201).  done runs
 * once, from the loop, never inside this call; NULL done forgets the
 * waiter, and so does freeing s.  One waiter per session.  0, or -1
 * with lasterr when s has no connection of its own (UDP).
 */
typedef void sess_loop_sent_fn(void *arg, int error, const char *detail);
int			 sess_loop_when_sent(struct sess *s, uint32_t timeout_ms,
			    sess_loop_sent_fn *done, void *arg);

/* The local address s sends from, for tests and logs.  0 or -1. */
int			 sess_loop_local_addr(const struct sess *s,
			    struct sockaddr_storage *ss, socklen_t *len);

/*
 * The monotonic clock the session engine runs on, in microseconds; other
 * schedulers on the same loop (the daemon's poller) use it too.
 */
uint64_t		 sess_loop_clock_us(void);
/*
 * Arm the timer ev to fire at when_us on that clock (at once if it has
 * passed), or disarm it when when_us is 0.
 */
void			 sess_loop_timer_at(struct event *ev, uint64_t when_us);

#endif /* SNMPMGR_SESS_EVENT_H */
