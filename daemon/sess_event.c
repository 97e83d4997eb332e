/*
 * sess_event.c - binds the session engine to libevent: the clock, the
 * deadline timer, and the sockets sessions send from and answers arrive on.
 *
 * Sessions without a local port or a connected socket share one socket per
 * address family and set of socket options (most share the one default
 * socket of their family), so thousands of sessions cost two descriptors.
 * Request IDs are unique across the manager, so a shared socket needs no
 * demultiplexing of its own.  A socket is counted by the sessions using it
 * and closed with the last.
 *
 * A TCP session (RFC 3430) has a stream of its own: connected on its first
 * send (non-blocking; what is sent meanwhile waits in its output buffer),
 * reused for every request, and connected anew on the next send after it
 * closes.  What arrives goes through the RFC 3430 framer (core/tcp.h) one
 * message at a time into sess_mgr_input(); a framing failure closes the
 * stream, and so does a request that runs out of tries on it (io.drop: the
 * agent may be gone without a word).  Every close is told to the engine
 * (sess_stream_lost()), which then resends the requests written on it
 * when their retry comes.
 */
#include "config.h"		/* autoconf */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/session.h"
#include "core/tcp.h"
#include "core/transport.h"
#include "resolve.h"
#include "sess_dtls.h"
#include "sess_event.h"

/* Batches read per readiness event before other sockets get a turn. */
#define SESS_LOOP_READ_BATCHES	4
#define SESS_LOOP_RCVBUF	(4 * 1024 * 1024)
/* A stream's output not yet taken by the kernel; past it, the stream is
 * closed (an agent that reads nothing), and its read size per call. */
#define SESS_STREAM_OUT_MAX	(4 * 1024 * 1024)
#define SESS_STREAM_READ	65536
/* Reads per readiness event of a stream. */
#define SESS_STREAM_READS	16

struct sess_loop;

struct sess_sock {
	TAILQ_ENTRY(sess_sock)	 entry;
	struct sess_loop	*l;
	int			 fd;
	struct event		*ev;
	struct sess		*owner;		/* own socket of one session */
	bool			 connected;
	int			 users;		/* sessions sending from it */
	int			 reading;	/* inside its read callback */

	/* What a shared socket was opened with. */
	int			 family;
	char			 local_host[256];
	bool			 dont_fragment;
	bool			 broadcast;
	int			 dscp;
	int			 rcvbuf;
	int			 sndbuf;

	/* A TCP session's stream (owner set; fd -1 until it connects). */
	bool			 stream;
	bool			 connecting;
	bool			 fr_stale;	/* reset once reading ends */
	uint32_t		 gen;		/* closes so far */
	struct event		*wev;		/* writable: connect, flush */
	struct event		*ctmo;		/* connect timeout */
	struct tcp_framer	*fr;
	uint8_t			*out;		/* not yet taken by the kernel */
	size_t			 outlen;
	size_t			 outcap;

	/* A DTLS session's association (sess_dtls.c). */
	struct sess_dtls	*dtls;

	/* Who waits for what was sent to leave (sess_loop_when_sent). */
	sess_loop_sent_fn	*sent_cb;
	void			*sent_arg;
	struct event		*sent_tmr;
};

struct sess_loop {
	struct event_base	*base;
	struct sess_mgr		*m;
	struct event		*timer;
	struct transport_rx	*rx;
	TAILQ_HEAD(, sess_sock)	 socks;
	uint8_t			*sbuf;		/* stream reads */
	int			 rcvbuf;
	struct resolver		*res;		/* NULL: numeric hosts only */
	struct transport_txq	*txq;		/* datagrams held while corked */
	int			 corked;
	struct sess_dtls_hooks	 dtls;		/* DTLS sessions' options */
};

/*
 * What the loop holds for a session whose host is a name: the lookup out,
 * and the timer that looks it up again every resolve_interval so an
 * agent whose address changes is followed.
 */
struct sess_lookup {
	struct sess_loop	*l;
	struct sess		*s;
	struct resolve_req	*q;
	struct event		*again;
	int			 family;
};

uint64_t
sess_loop_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
sess_loop_timer_at(struct event *ev, uint64_t when_us)
{
	struct timeval tv;
	uint64_t now, delta;

	if (when_us == 0) {
		evtimer_del(ev);
		return;
	}
	now = sess_loop_clock_us();
	delta = when_us > now ? when_us - now : 0;
	tv.tv_sec = (time_t)(delta / 1000000);
	tv.tv_usec = (suseconds_t)(delta % 1000000);
	evtimer_add(ev, &tv);
}

/* The sess_io hooks of the clock and the deadline timer. */
static uint64_t
sess_loop_now(void *arg)
{
	return sess_loop_clock_us();
}

static void
sess_loop_wake(void *arg, uint64_t when)
{
	struct sess_loop *l = arg;

	sess_loop_timer_at(l->timer, when);
}

static void
sess_loop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_loop *l = arg;

	sess_mgr_timer(l->m);
}

/* Stop watching ss's socket and close it. */
static void
sess_sock_close(struct sess_sock *ss)
{
	if (ss->ev != NULL)
		event_free(ss->ev);
	if (ss->wev != NULL)
		event_free(ss->wev);
	if (ss->ctmo != NULL)
		event_free(ss->ctmo);
	ss->ev = ss->wev = ss->ctmo = NULL;
	if (ss->fd != -1) {
		if (ss->l->txq != NULL)
			transport_txq_forget(ss->l->txq, ss->fd);
		close(ss->fd);
	}
	ss->fd = -1;
}

static void
sess_sock_free(struct sess_sock *ss)
{
	TAILQ_REMOVE(&ss->l->socks, ss, entry);
	if (ss->sent_tmr != NULL)
		event_free(ss->sent_tmr);
	sess_sock_close(ss);
	sess_dtls_free(ss->dtls);
	tcp_framer_free(ss->fr);
	free(ss->out);
	free(ss);
}

static void
sess_sock_release(struct sess_sock *ss)
{
	if (--ss->users > 0 || ss->reading)
		return;
	sess_sock_free(ss);
}

static void
sess_sock_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_sock *ss = arg;
	struct sess_loop *l = ss->l;
	const struct transport_dgram *d;
	int batch, i, n;

	ss->reading = 1;
	for (batch = 0; batch < SESS_LOOP_READ_BATCHES; batch++) {
		if ((n = transport_recv(ss->fd, l->rx)) <= 0)
			break;
		for (i = 0; i < n && ss->users > 0; i++) {
			d = transport_rx_get(l->rx, i);
			sess_mgr_input(l->m, ss->owner,
			    (const struct sockaddr *)&d->from, d->fromlen,
			    d->buf, d->len);
		}
		if (ss->users == 0 || n < SNMPMGR_MAX_RECV_BATCH)
			break;
	}
	ss->reading = 0;
	if (ss->users == 0)
		sess_sock_free(ss);
}

static bool
sess_sock_fits(const struct sess_sock *ss, const struct sess_opts *o,
    int family, int rcvbuf)
{
	return ss->owner == NULL && ss->users > 0 && ss->family == family &&
	    strcmp(ss->local_host, o->local_host) == 0 &&
	    ss->dont_fragment == o->dont_fragment &&
	    ss->broadcast == o->broadcast && ss->dscp == o->dscp &&
	    ss->rcvbuf == rcvbuf && ss->sndbuf == o->out_buffer_size;
}

/* The socket options of s's own socket or of a shared one it fits. */
static void
sess_sock_cfg(struct transport_cfg *cfg, struct sess *s, bool connect,
    int rcvbuf)
{
	const struct sess_opts *o = sess_get_opts(s);
	const struct sockaddr *sa;
	socklen_t salen;

	sa = sess_addr(s, &salen);
	transport_cfg_default(cfg, sa->sa_family);
	cfg->local_host = o->local_host;
	cfg->local_port = o->local_port;
	cfg->force_local_port = o->force_local_port;
	cfg->share_local_port = o->share_local_port;
	if (connect) {
		cfg->connect_to = sa;
		cfg->connect_len = salen;
	}
	cfg->dont_fragment = o->dont_fragment;
	cfg->broadcast = o->broadcast;
	cfg->dscp = o->dscp;
	cfg->rcvbuf = rcvbuf;
	cfg->sndbuf = o->out_buffer_size;
}

/* ------------------------------------------------- sent, for a waiter */

/* Whether all sent on ss's connection or association has gone out. */
static bool
sess_sock_sent(const struct sess_sock *ss)
{
	if (ss->dtls != NULL)
		return sess_dtls_sent(ss->dtls);
	return ss->fd != -1 && !ss->connecting && ss->outlen == 0;
}

/* Tell the waiter, once. */
static void
sess_sent_done(struct sess_sock *ss, int error, const char *detail)
{
	sess_loop_sent_fn *cb = ss->sent_cb;

	if (cb == NULL)
		return;
	ss->sent_cb = NULL;
	evtimer_del(ss->sent_tmr);
	if (ss->dtls != NULL)
		sess_dtls_when_sent(ss->dtls, NULL, NULL);
	cb(ss->sent_arg, error, detail);
}

static void
sess_sent_dtls_cb(void *arg, int error, const char *detail)
{
	sess_sent_done(arg, error, detail);
}

/* Gone out by now (the first run), or the wait is over. */
static void
sess_sent_tmr_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_sock *ss = arg;

	if (sess_sock_sent(ss))
		sess_sent_done(ss, 0, NULL);
	else
		sess_sent_done(ss, SNMPMGR_ERR_TIMEOUT, ss->dtls != NULL ?
		    "the DTLS handshake did not end in time" :
		    "the TCP connection was not made in time");
}

int
sess_loop_when_sent(struct sess *s, uint32_t timeout_ms,
    sess_loop_sent_fn *done, void *arg)
{
	struct sess_sock *ss = sess_get_sock(s);
	struct timeval tv = { 0, 0 };

	if (ss == NULL || ss->owner != s || (!ss->stream && ss->dtls == NULL)) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "the session has "
		    "no connection of its own");
		return -1;
	}
	if (ss->sent_tmr == NULL && (ss->sent_tmr = evtimer_new(ss->l->base,
	    sess_sent_tmr_cb, ss)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	evtimer_del(ss->sent_tmr);
	ss->sent_cb = done;
	ss->sent_arg = arg;
	if (ss->dtls != NULL)
		sess_dtls_when_sent(ss->dtls, done != NULL ?
		    sess_sent_dtls_cb : NULL, ss);
	if (done == NULL)
		return 0;
	if (!sess_sock_sent(ss)) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	}
	evtimer_add(ss->sent_tmr, &tv);
	return 0;
}

/* ------------------------------------------------------------ streams */

/*
 * Close ss's connection (if any) and tell the engine: error 0 for a plain
 * close, else a numbered bad packet (the framing failed on buf/len).
 */
static void
sess_stream_close(struct sess_sock *ss, int error, const char *detail,
    const uint8_t *buf, size_t len)
{
	if (ss->fd == -1)
		return;
	sess_sock_close(ss);
	ss->connecting = false;
	ss->outlen = 0;
	ss->gen++;
	if (ss->outcap > SESS_STREAM_READ) {
		free(ss->out);
		ss->out = NULL;
		ss->outcap = 0;
	}
	if (ss->reading)
		ss->fr_stale = true;
	else
		tcp_framer_reset(ss->fr);
	sess_sent_done(ss, SNMPMGR_ERR_SEND, "the TCP connection closed "
	    "before the message was sent");
	if (ss->owner != NULL)
		sess_stream_lost(ss->owner, error, detail, buf, len);
}

/*
 * One send (out) or recv on ss's socket, EINTR retried: the octets moved,
 * 0 when the socket would block, -1 when the stream is gone (closed by
 * the agent, reset, or failed to connect).
 */
static ssize_t
sess_stream_io(struct sess_sock *ss, bool out, void *buf, size_t len)
{
	return transport_stream_io(ss->fd, out, buf, len);
}

/* Hand the kernel what waits in ss->out.  0, or -1 (closed). */
static int
sess_stream_flush(struct sess_sock *ss)
{
	ssize_t n;

	while (ss->outlen > 0) {
		if ((n = sess_stream_io(ss, true, ss->out, ss->outlen)) == 0)
			break;
		if (n == -1) {
			sess_stream_close(ss, 0, NULL, NULL, 0);
			return -1;
		}
		memmove(ss->out, ss->out + n, ss->outlen - (size_t)n);
		ss->outlen -= (size_t)n;
	}
	if (ss->outlen == 0) {
		event_del(ss->wev);
		if (!ss->connecting)
			sess_sent_done(ss, 0, NULL);
	} else
		event_add(ss->wev, NULL);
	return 0;
}

static void
sess_stream_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_sock *ss = arg;
	struct sess *s = ss->owner;
	const struct sockaddr *sa;
	socklen_t salen;
	char why[TRANSPORT_ADDRSTRLEN + 128];
	int e;

	if (ss->connecting) {
		if (transport_connected(ss->fd) == -1) {
			/* Refused or unreachable: its requests end now.  The
			 * kernel giving up (ETIMEDOUT, past a long timeout) is
			 * no answer: the tries go on. */
			if ((e = errno) == ETIMEDOUT)
				s = NULL;
			if (s != NULL) {
				sa = sess_addr(s, &salen);
				transport_connect_failed(sa, salen, e);
				snprintf(why, sizeof(why), "%s",
				    snmpmgr_lasterr_detail());
			}
			sess_stream_close(ss, 0, NULL, NULL, 0);
			if (s != NULL && ss->owner == s)
				sess_stream_refused(s, why);
			return;
		}
		ss->connecting = false;
		evtimer_del(ss->ctmo);
	}
	sess_stream_flush(ss);
}

/* The connect took longer than the session's timeout: give it up. */
static void
sess_stream_ctmo_cb(evutil_socket_t fd, short what, void *arg)
{
	sess_stream_close(arg, 0, NULL, NULL, 0);
}

/* One framed message: to the engine, unless the stream went meanwhile. */
static int
sess_stream_msg(const uint8_t *msg, size_t len, void *arg)
{
	struct sess_sock *ss = arg;
	uint32_t gen = ss->gen;
	socklen_t salen;
	const struct sockaddr *sa;

	if (ss->owner == NULL)
		return -1;
	sa = sess_addr(ss->owner, &salen);
	sess_mgr_input(ss->l->m, ss->owner, sa, salen, msg, len);
	return ss->owner == NULL || ss->gen != gen ? -1 : 0;
}

static void
sess_stream_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_sock *ss = arg;
	uint8_t *buf = ss->l->sbuf;
	uint32_t gen = ss->gen;
	ssize_t n;
	int i;

	if (ss->connecting) {
		/* The connect's outcome, whichever event libevent runs
		 * first; what there is to read comes on the next one. */
		sess_stream_write_cb(fd, what, arg);
		return;
	}
	ss->reading = 1;
	for (i = 0; i < SESS_STREAM_READS; i++) {
		if ((n = sess_stream_io(ss, false, buf, SESS_STREAM_READ)) == 0)
			break;
		if (n == -1) {
			/* The agent closed or reset it. */
			sess_stream_close(ss, 0, NULL, NULL, 0);
			break;
		}
		if (tcp_framer_feed(ss->fr, buf, (size_t)n, sess_stream_msg,
		    ss) == -1) {
			if (ss->owner != NULL && ss->gen == gen)
				sess_stream_close(ss, snmpmgr_lasterr(),
				    snmpmgr_lasterr_detail(), buf, (size_t)n);
			break;
		}
		if (ss->owner == NULL || ss->gen != gen ||
		    n < SESS_STREAM_READ)
			break;
	}
	ss->reading = 0;
	if (ss->users == 0) {
		sess_sock_free(ss);
		return;
	}
	if (ss->fr_stale) {
		ss->fr_stale = false;
		tcp_framer_reset(ss->fr);
	}
}

/* Start ss's connection to its session's agent.  0 or -1 with lasterr. */
static int
sess_stream_open(struct sess_sock *ss)
{
	struct sess_loop *l = ss->l;
	struct sess *s = ss->owner;
	const struct sess_opts *o = sess_get_opts(s);
	struct transport_cfg cfg;
	struct timeval tv;
	uint32_t ms;

	sess_sock_cfg(&cfg, s, true, o->in_buffer_size);
	cfg.stream = true;
	if ((ss->fd = transport_open(&cfg)) == -1)
		return -1;
	ss->ev = event_new(l->base, ss->fd, EV_READ | EV_PERSIST,
	    sess_stream_read_cb, ss);
	ss->wev = event_new(l->base, ss->fd, EV_WRITE | EV_PERSIST,
	    sess_stream_write_cb, ss);
	ss->ctmo = evtimer_new(l->base, sess_stream_ctmo_cb, ss);
	ms = o->timeout_ms > 0 ? o->timeout_ms : 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (ss->ev == NULL || ss->wev == NULL || ss->ctmo == NULL ||
	    event_add(ss->ev, NULL) == -1 || event_add(ss->wev, NULL) == -1 ||
	    evtimer_add(ss->ctmo, &tv) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "cannot watch the socket");
		/* Not yet a connection the engine knows of. */
		ss->owner = NULL;
		sess_stream_close(ss, 0, NULL, NULL, 0);
		ss->owner = s;
		return -1;
	}
	ss->connecting = true;
	return 0;
}

/*
 * Send one message on s's stream, connecting it first when it has none.
 * What the kernel does not take at once waits in ss->out (bounded).
 * 0, or -1 with errno when the message is lost (the stream is closed
 * then and the engine told, so the request goes out again on its retry).
 */
static int
sess_stream_send(struct sess_sock *ss, const uint8_t *buf, size_t len)
{
	size_t cap;
	ssize_t n = 0;
	uint8_t *p;
	int e;

	if (ss->fd == -1) {
		errno = 0;
		if (sess_stream_open(ss) == -1) {
			/* The connect's own errno (ENETUNREACH ...), for
			 * sess_send's message. */
			e = errno != 0 ? errno : ENOTCONN;
			sess_stream_lost(ss->owner, 0, NULL, NULL, 0);
			errno = e;
			return -1;
		}
	}
	if (!ss->connecting && ss->outlen == 0) {
		if ((n = sess_stream_io(ss, true, (void *)buf, len)) == -1) {
			sess_stream_close(ss, 0, NULL, NULL, 0);
			errno = ECONNRESET;
			return -1;
		}
		if ((size_t)n == len)
			return 0;
	}
	len -= (size_t)n;
	buf += n;
	if (ss->outlen + len > SESS_STREAM_OUT_MAX) {
		sess_stream_close(ss, 0, NULL, NULL, 0);
		errno = ENOBUFS;
		return -1;
	}
	if (ss->outlen + len > ss->outcap) {
		cap = ss->outcap > 0 ? ss->outcap : 4096;
		while (cap < ss->outlen + len)
			cap *= 2;
		if ((p = realloc(ss->out, cap)) == NULL) {
			sess_stream_close(ss, 0, NULL, NULL, 0);
			errno = ENOMEM;
			return -1;
		}
		ss->out = p;
		ss->outcap = cap;
	}
	memcpy(ss->out + ss->outlen, buf, len);
	ss->outlen += len;
	event_add(ss->wev, NULL);
	return 0;
}

/*
 * A session's own connection (a TCP stream or a DTLS association),
 * opened on its first send.
 */
static int
sess_own_attach(struct sess_loop *l, struct sess *s, bool dtls)
{
	struct sess_sock *ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL ||
	    (dtls ? (ss->dtls = sess_dtls_new(l->base, l->m, s,
	    &l->dtls)) == NULL : (ss->fr = tcp_framer_new(0)) == NULL)) {
		free(ss);
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	ss->l = l;
	ss->fd = -1;
	ss->stream = !dtls;
	ss->owner = s;
	ss->users = 1;
	ss->family = sess_addr(s, NULL)->sa_family;
	TAILQ_INSERT_TAIL(&l->socks, ss, entry);
	sess_set_sock(s, ss);
	return 0;
}

/* A request ran out of tries on s's stream: the agent may be gone. */
static void
sess_loop_drop(void *arg, struct sess *s)
{
	struct sess_sock *ss = sess_get_sock(s);

	if (ss != NULL && ss->dtls != NULL) {
		sess_dtls_drop(ss->dtls);
		return;
	}

	if (ss != NULL && ss->stream)
		sess_stream_close(ss, 0, NULL, NULL, 0);
}

/* ------------------------------------------------------------ datagrams */

static int
sess_loop_attach(void *arg, struct sess *s)
{
	struct sess_loop *l = arg;
	const struct sess_opts *o = sess_get_opts(s);
	const struct sockaddr *sa;
	struct transport_cfg cfg;
	struct sess_sock *ss;
	socklen_t salen;
	bool own;
	int rcvbuf;

	if (SESS_TRANSPORT_IS_STREAM(o->transport))
		return sess_own_attach(l, s, false);
	/* TSM messages are in clear: only inside an association. */
	if (o->transport == SESS_TRANSPORT_DTLS)
		return sess_own_attach(l, s, true);
	sa = sess_addr(s, &salen);
	own = o->local_port != 0 || o->use_connection;
	rcvbuf = o->in_buffer_size > 0 ? o->in_buffer_size :
	    own ? 0 : l->rcvbuf;
	if (!own) {
		TAILQ_FOREACH(ss, &l->socks, entry) {
			if (sess_sock_fits(ss, o, sa->sa_family, rcvbuf)) {
				ss->users++;
				sess_set_sock(s, ss);
				return 0;
			}
		}
	}

	sess_sock_cfg(&cfg, s, o->use_connection, rcvbuf);

	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	ss->l = l;
	ss->fd = -1;
	TAILQ_INSERT_TAIL(&l->socks, ss, entry);
	if ((ss->fd = transport_open(&cfg)) == -1)
		goto fail;
	ss->ev = event_new(l->base, ss->fd, EV_READ | EV_PERSIST,
	    sess_sock_read_cb, ss);
	if (ss->ev == NULL || event_add(ss->ev, NULL) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "cannot watch the socket");
		goto fail;
	}
	ss->owner = own ? s : NULL;
	ss->connected = o->use_connection;
	ss->users = 1;
	ss->family = sa->sa_family;
	snprintf(ss->local_host, sizeof(ss->local_host), "%s", o->local_host);
	ss->dont_fragment = o->dont_fragment;
	ss->broadcast = o->broadcast;
	ss->dscp = o->dscp;
	ss->rcvbuf = rcvbuf;
	ss->sndbuf = o->out_buffer_size;
	sess_set_sock(s, ss);
	return 0;

 fail:
	sess_sock_free(ss);
	return -1;
}

static void
sess_loop_detach(void *arg, struct sess *s)
{
	struct sess_sock *ss = sess_get_sock(s);

	if (ss == NULL)
		return;
	sess_set_sock(s, NULL);
	/* Requests written on a stream go out again on the next one. */
	if (ss->stream)
		sess_stream_close(ss, 0, NULL, NULL, 0);
	if (ss->owner == s)
		ss->owner = NULL;
	sess_sock_release(ss);
}

static int
sess_loop_send(void *arg, struct sess *s, const uint8_t *buf, size_t len)
{
	struct sess_sock *ss = sess_get_sock(s);
	const struct sockaddr *sa;
	socklen_t salen;

	if (ss == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	if (ss->dtls != NULL)
		return sess_dtls_send(ss->dtls, buf, len);
	if (ss->stream)
		return sess_stream_send(ss, buf, len);
	if (ss->connected)
		return transport_send(ss->fd, buf, len, NULL, 0);
	sa = sess_addr(s, &salen);
	return ss->l->corked ? transport_txq_add(ss->l->txq, ss->fd, buf, len,
	    sa, salen) : transport_send(ss->fd, buf, len, sa, salen);
}

/* ------------------------------------------------------------ names */

static void	sess_lookup_done_cb(int err, const char *detail,
		    const struct resolve_addr *addr, void *arg);

static void
sess_lookup_again(struct sess_lookup *lk)
{
	const struct sess_opts	*o = sess_get_opts(lk->s);
	struct timeval		 tv;

	if (o->resolve_interval_ms == 0)
		return;
	tv.tv_sec = o->resolve_interval_ms / 1000;
	tv.tv_usec = (o->resolve_interval_ms % 1000) * 1000;
	evtimer_add(lk->again, &tv);
}

static void
sess_lookup_done_cb(int err, const char *detail,
    const struct resolve_addr *addr, void *arg)
{
	struct sess_lookup	*lk = arg;

	lk->q = NULL;
	sess_lookup_again(lk);
	if (err != 0)
		sess_resolved(lk->s, SNMPMGR_ERR_NOT_IP_ADDRESS, detail, NULL,
		    0);
	else
		sess_resolved(lk->s, 0, NULL, (const struct sockaddr *)
		    &addr->ss, addr->len);
}

/* resolve_interval passed: ask again (a changed address is followed). */
static void
sess_lookup_again_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_lookup	*lk = arg;

	if (lk->q != NULL)
		return;
	lk->q = resolve_start(lk->l->res, sess_get_host(lk->s),
	    lk->family, sess_lookup_done_cb, lk);
	if (lk->q == NULL)
		sess_lookup_again(lk);
}

static struct sess_lookup *
sess_lookup_get(struct sess_loop *l, struct sess *s, int family)
{
	struct sess_lookup	*lk = sess_get_lookup(s);

	if (lk != NULL) {
		lk->family = family;
		return lk;
	}
	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return NULL;
	lk->l = l;
	lk->s = s;
	lk->family = family;
	if ((lk->again = evtimer_new(l->base, sess_lookup_again_cb, lk)) ==
	    NULL) {
		free(lk);
		return NULL;
	}
	sess_set_lookup(s, lk);
	return lk;
}

static int
sess_loop_resolve(void *arg, struct sess *s, const char *host, int family,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sess_loop	*l = arg;
	struct sess_lookup	*lk;
	struct resolve_addr	 a;

	if (l->res == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: not a numeric "
		    "address, and no resolver", host);
		return -1;
	}
	if ((lk = sess_lookup_get(l, s, family)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	if (resolve_now(l->res, host, family, &a, NULL) == 1) {
		memcpy(ss, &a.ss, a.len);
		*sslen = a.len;
		if (!evtimer_pending(lk->again, NULL))
			sess_lookup_again(lk);
		return 1;
	}
	/* A cached failure is answered from the loop too. */
	resolve_cancel(lk->q);
	if ((lk->q = resolve_start(l->res, host, family, sess_lookup_done_cb,
	    lk)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: cannot start "
		    "a name lookup: %s", host, strerror(errno));
		return -1;
	}
	return 0;
}

static void
sess_loop_unresolve(void *arg, struct sess *s)
{
	struct sess_lookup	*lk = sess_get_lookup(s);

	if (lk == NULL)
		return;
	resolve_cancel(lk->q);
	event_free(lk->again);
	free(lk);
	sess_set_lookup(s, NULL);
}

void
sess_loop_set_dtls(struct sess_loop *l, const struct sess_dtls_hooks *h)
{
	l->dtls = *h;
}

const struct dtls_peer_info *
sess_loop_dtls_peer(const struct sess *s, uint64_t *dropped)
{
	const struct sess_sock *ss = sess_get_sock(s);

	return ss != NULL && ss->dtls != NULL ?
	    sess_dtls_peer(ss->dtls, dropped) : NULL;
}

void
sess_loop_dtls_reset(struct sess *s)
{
	struct sess_sock *ss = sess_get_sock(s);

	if (ss != NULL && ss->dtls != NULL)
		sess_dtls_reset(ss->dtls);
}

void
sess_loop_set_resolver(struct sess_loop *l, struct resolver *res)
{
	l->res = res;
}

/* ------------------------------------------------------------ the loop */

struct sess_loop *
sess_loop_new(struct event_base *base)
{
	struct sess_loop *l;
	struct sess_io io;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->base = base;
	l->rcvbuf = SESS_LOOP_RCVBUF;
	TAILQ_INIT(&l->socks);
	if ((l->timer = evtimer_new(base, sess_loop_timer_cb, l)) == NULL)
		goto fail;
	if ((l->rx = transport_rx_new()) == NULL)
		goto fail;
	if ((l->sbuf = malloc(SESS_STREAM_READ)) == NULL)
		goto fail;
	if ((l->txq = transport_txq_new()) == NULL)
		goto fail;
	memset(&io, 0, sizeof(io));
	io.now_us = sess_loop_now;
	io.wake = sess_loop_wake;
	io.attach = sess_loop_attach;
	io.detach = sess_loop_detach;
	io.send = sess_loop_send;
	io.resolve = sess_loop_resolve;
	io.unresolve = sess_loop_unresolve;
	io.drop = sess_loop_drop;
	io.arg = l;
	if ((l->m = sess_mgr_new(&io)) == NULL)
		goto fail;
	return l;

 fail:
	sess_loop_free(l);
	errno = ENOMEM;
	return NULL;
}

struct sess_mgr *
sess_loop_mgr(struct sess_loop *l)
{
	return l->m;
}

void
sess_loop_cork(struct sess_loop *l, bool on)
{
	if (on) {
		l->corked++;
		return;
	}
	if (l->corked > 0 && --l->corked == 0)
		transport_txq_flush(l->txq);
}

void
sess_loop_set_rcvbuf(struct sess_loop *l, int bytes)
{
	l->rcvbuf = bytes;
}

int
sess_loop_local_addr(const struct sess *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	const struct sess_sock *sock = sess_get_sock(s);

	if (sock == NULL || sock->fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	return transport_local(sock->fd, ss, len);
}

void
sess_loop_free(struct sess_loop *l)
{
	struct sess_sock *ss;

	if (l == NULL)
		return;
	l->corked = 0;
	transport_txq_free(l->txq);
	l->txq = NULL;
	sess_mgr_free(l->m);
	while ((ss = TAILQ_FIRST(&l->socks)) != NULL)
		sess_sock_free(ss);
	if (l->timer != NULL)
		event_free(l->timer);
	transport_rx_free(l->rx);
	free(l->sbuf);
	free(l);
}
