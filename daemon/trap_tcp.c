/*
 * trap_tcp.c - a TCP trap listener (trap_tcp.h) on the event loop.
 *
 * RFC 3430 2.1 puts SNMP messages back to back on the stream; each
 * connection has its own framer (core/tcp.h), so a message may come one
 * octet at a time, span reads or share a read with the next one.
 *
 * Connections live in a hash by id (answers find theirs when the journal
 * settles an inform) and in one of two queues: "fresh" ones that have
 * not delivered a whole message yet, by accept time, and "active" ones,
 * by last message.  When max_connections are open a new connection
 * closes the oldest fresh one, and only when there is none the least
 * recently active one: a flood of connections that send nothing (or
 * dribble) pushes out its own kind, not a sender that is being served.
 * One accept round takes at most half of max_connections, so a sender
 * accepted in it is read before that many newer ones could evict it.
 *
 * Answers are gathered: trap_tcp_send() queues them on their connection
 * and trap_tcp_flush() (the caller's, once per journal settling) hands
 * each connection's to the kernel in one write, as do a read's reports
 * at its end; a connection's queue past TT_GATHER is written at once.
 * On a loaded stream that is one write per settling instead of one per
 * inform.  Answers are never thrown away for want of room: a settling
 * may release tens of thousands at once for one connection (bounded by
 * the caller's acknowledgement queue).  A connection whose sender leaves
 * TRAP_TCP_MAX_OUT octets of answers untaken is "stuffed": it is not
 * read until the sender has taken half of them, so it cannot make us
 * hold more; one that takes none is closed by idle_timeout.
 *
 * Backpressure (trap_tcp_hold()): while the caller cannot take more
 * (traps.c: too many inform acknowledgements wait for the journal), a
 * connection about to recv is parked instead: its read event is
 * deleted and it joins the "held" queue, so the sender's data stays in
 * the kernel and TCP flow control slows the sender down; nothing read is
 * dropped.  When the hold ends the held connections are watched again in
 * the order they were parked, so each gets its turn of at most TT_READS
 * recvs before a sender that was parked later.
 *
 * One timer, running only while connections are open, closes idle ones
 * and those with a message begun too long ago (held ones excepted).
 * Reads are bounded per readiness event, so one busy sender cannot
 * starve the others or the UDP listeners on the same loop.  On EMFILE
 * accept pauses for a second.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/limits.h"
#include "core/tcp.h"
#include "core/transport.h"

#include "daemon.h"
#include "events.h"
#include "log.h"
#include "trap_tcp.h"

#define TT_TICK_MS		1000
#define TT_READS		4	/* recvs per readiness event */
#define TT_ACCEPTS_MAX		64	/* accepts per readiness event */
#define TT_PAUSE_MS		1000	/* after EMFILE */
#define TT_GATHER		65536	/* answers queued before a write */

struct tt_conn {
	struct tt_conn		*hnext;
	TAILQ_ENTRY(tt_conn)	 q;
	TAILQ_ENTRY(tt_conn)	 dq;		/* in dirty */
	TAILQ_ENTRY(tt_conn)	 hq;		/* in held */
	struct trap_tcp		*tt;
	uint64_t		 id;
	int			 fd;
	struct event		*rev, *wev;
	struct tcp_framer	*fr;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	char			 addr[INET6_ADDRSTRLEN];
	unsigned		 port;
	bool			 fresh;		/* no whole message yet */
	bool			 busy;		/* in its read callback */
	bool			 dirty;		/* answers not yet written */
	bool			 held;		/* not watched: trap_tcp_hold */
	bool			 stuffed;	/* not watched: answers wait */
	const char		*doom;		/* close when not busy */
	uint64_t		 last_ms;
	uint64_t		 msg_ms;	/* a message begun; 0: none */
	uint8_t			*out;		/* answers not yet sent: */
	size_t			 outoff;	/* from out + outoff, */
	size_t			 outlen, outcap;	/* outlen octets */
};

TAILQ_HEAD(tt_queue, tt_conn);

struct trap_tcp {
	struct daemon		*d;
	int			 fd;
	char			 spec[300];
	trap_tcp_msg_cb		 cb;
	void			*arg;
	struct event		*aev;		/* the listening socket */
	struct event		*pause;		/* accept resumes */
	struct event		*tick;
	struct tt_conn		**hash;
	size_t			 hsize;		/* power of two */
	struct tt_queue		 fresh;		/* by accept, oldest first */
	struct tt_queue		 active;	/* least recent first */
	struct tt_queue		 dirty;		/* answers to write */
	struct tt_queue		 held;		/* in the order held */
	bool			 hold;		/* read nothing */
	size_t			 n;
	uint32_t		 max_conns, idle_ms, msg_ms;
	uint64_t		 next_id;
	uint8_t			 buf[TRAP_TCP_READ];
	struct trap_tcp_stats	 st;
	struct log_repeat	 rep_accept;
	struct log_repeat	 rep_stream;	/* refused streams */
};

static uint64_t
tt_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct tt_conn **
tt_bucket(struct trap_tcp *tt, uint64_t id)
{
	return &tt->hash[(id * 0x9e3779b97f4a7c15ULL >> 32) &
	    (tt->hsize - 1)];
}

static struct tt_conn *
tt_find(struct trap_tcp *tt, uint64_t id)
{
	struct tt_conn	*c;

	for (c = *tt_bucket(tt, id); c != NULL; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

/*
 * connected / disconnected (with the reason) for a connection, as the
 * DTLS listener says them for its associations; built only when someone
 * subscribed (at shutdown the event bus goes before the receiver).
 */
static void
tt_event(struct trap_tcp *tt, const struct tt_conn *c, bool up,
    const char *reason)
{
	enum event_type	 type = up ? EV_CONNECTED : EV_DISCONNECTED;
	json_t		*data;

	if (tt->d->events == NULL || !events_wanted(tt->d->events, type,
	    NULL))
		return;
	if ((data = json_pack("{s:s,s:s,s:s,s:i,s:s}", "origin", "traps",
	    "listener", tt->spec, "source", c->addr, "port", (int)c->port,
	    "transport", "tcp")) == NULL)
		return;
	if (reason != NULL)
		json_object_set_new(data, "reason", json_string(reason));
	events_publish(tt->d->events, type, NULL, data);
}

static void
tt_tick_arm(struct trap_tcp *tt)
{
	struct timeval	 tv = { TT_TICK_MS / 1000, (TT_TICK_MS % 1000) * 1000 };

	if (tt->n == 0)
		event_del(tt->tick);
	else if (!evtimer_pending(tt->tick, NULL))
		evtimer_add(tt->tick, &tv);
}

/* Close and free a connection (or mark it, inside its own read). */
static void
tt_drop(struct trap_tcp *tt, struct tt_conn *c, const char *reason)
{
	struct tt_conn	**pp;

	if (c->busy) {
		if (c->doom == NULL)
			c->doom = reason;
		return;
	}
	for (pp = tt_bucket(tt, c->id); *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	TAILQ_REMOVE(c->fresh ? &tt->fresh : &tt->active, c, q);
	if (c->dirty)
		TAILQ_REMOVE(&tt->dirty, c, dq);
	if (c->held) {
		TAILQ_REMOVE(&tt->held, c, hq);
		tt->st.held--;
	}
	tt->n--;
	log_debug("traps: %s: TCP connection from %s port %u closed: %s",
	    tt->spec, c->addr, c->port, reason);
	tt_event(tt, c, false, reason);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	close(c->fd);
	tcp_framer_free(c->fr);
	free(c->out);
	free(c);
}

/* Close the oldest fresh connection, else the least recently active. */
static void
tt_evict(struct trap_tcp *tt)
{
	struct tt_conn	*c;

	if ((c = TAILQ_FIRST(&tt->fresh)) == NULL &&
	    (c = TAILQ_FIRST(&tt->active)) == NULL)
		return;
	tt->st.evicted++;
	tt_drop(tt, c, "evicted: too many connections");
}

/* ------------------------------------------------------------ output */

/* Hand the kernel what waits.  0, or -1 when the connection broke. */
static void	tt_park(struct trap_tcp *, struct tt_conn *);

static int
tt_flush(struct trap_tcp *tt, struct tt_conn *c)
{
	ssize_t	 n;
	bool	 wrote = false;

	if (c->dirty) {
		TAILQ_REMOVE(&tt->dirty, c, dq);
		c->dirty = false;
	}
	while (c->outlen > 0) {
		if ((n = transport_stream_io(c->fd, true, c->out + c->outoff,
		    c->outlen)) == 0)
			break;
		if (n == -1) {
			tt->st.send_errors++;
			return -1;
		}
		/* No memmove per write: megabytes may wait. */
		c->outoff += (size_t)n;
		c->outlen -= (size_t)n;
		wrote = true;
	}
	if (c->outlen == 0)
		c->outoff = 0;
	if (c->outlen == 0)
		event_del(c->wev);
	else
		event_add(c->wev, NULL);
	/* A sender taking its answers is not idle. */
	if (wrote)
		c->last_ms = tt_now();
	/* It took enough: read it again (unless all are held). */
	if (c->stuffed && c->outlen <= TRAP_TCP_MAX_OUT / 2) {
		c->stuffed = false;
		if (tt->hold)
			tt_park(tt, c);
		else
			event_add(c->rev, NULL);
	}
	return 0;
}

static void
tt_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tt_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (tt_flush(c->tt, c) == -1)
		tt_drop(c->tt, c, "send failed");
}

int
trap_tcp_send(struct trap_tcp *tt, uint64_t id, const uint8_t *msg,
    size_t len)
{
	struct tt_conn	*c;
	uint8_t		*nb;
	size_t		 ncap;

	if ((c = tt_find(tt, id)) == NULL || c->doom != NULL)
		return -1;
	/* Enough gathered: out with it before more (unless the socket is
	 * full: its write event sends when there is room). */
	if (c->dirty && c->outlen + len > TT_GATHER &&
	    !event_pending(c->wev, EV_WRITE, NULL) && tt_flush(tt, c) == -1) {
		tt_drop(tt, c, "send failed");
		return -1;
	}
	if (c->outcap - c->outoff - c->outlen < len && c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen);
		c->outoff = 0;
	}
	if (c->outcap - c->outlen < len) {
		ncap = c->outcap ? c->outcap : 4096;
		while (ncap - c->outlen < len)
			ncap *= 2;
		if ((nb = realloc(c->out, ncap)) == NULL) {
			tt->st.send_errors++;
			return -1;
		}
		c->out = nb;
		c->outcap = ncap;
	}
	memcpy(c->out + c->outoff + c->outlen, msg, len);
	c->outlen += len;
	if (!c->dirty) {
		TAILQ_INSERT_TAIL(&tt->dirty, c, dq);
		c->dirty = true;
	}
	tt->st.sent++;
	return 0;
}

void
trap_tcp_flush(struct trap_tcp *tt)
{
	struct tt_conn	*c;

	while ((c = TAILQ_FIRST(&tt->dirty)) != NULL)
		if (tt_flush(tt, c) == -1)
			tt_drop(tt, c, "send failed");
}

/* ------------------------------------------------------------ input */

/* Stop watching c until trap_tcp_hold(tt, false). */
static void
tt_park(struct trap_tcp *tt, struct tt_conn *c)
{
	if (c->held)
		return;
	event_del(c->rev);
	c->held = true;
	TAILQ_INSERT_TAIL(&tt->held, c, hq);
	tt->st.held++;
	tt->st.holds++;
}

void
trap_tcp_hold(struct trap_tcp *tt, bool on)
{
	struct tt_conn	*c;
	uint64_t	 now;

	tt->hold = on;
	if (on)
		return;
	now = tt_now();
	while ((c = TAILQ_FIRST(&tt->held)) != NULL) {
		TAILQ_REMOVE(&tt->held, c, hq);
		c->held = false;
		tt->st.held--;
		/* Not its sender's time: the clocks start again. */
		c->last_ms = now;
		if (c->msg_ms != 0)
			c->msg_ms = now;
		event_add(c->rev, NULL);
	}
}

/* One framed message: to the caller. */
static int
tt_msg(const uint8_t *msg, size_t len, void *arg)
{
	struct tt_conn		*c = arg;
	struct trap_tcp		*tt = c->tt;
	struct trap_tcp_peer	 p;

	tt->st.messages++;
	if (c->fresh) {
		TAILQ_REMOVE(&tt->fresh, c, q);
		c->fresh = false;
	} else
		TAILQ_REMOVE(&tt->active, c, q);
	TAILQ_INSERT_TAIL(&tt->active, c, q);
	log_repeat_clear(&tt->rep_stream, "traps: TCP streams framed again");
	p.id = c->id;
	p.from = (const struct sockaddr *)&c->peer;
	p.fromlen = c->peerlen;
	tt->cb(tt->arg, &p, msg, len);
	return c->doom != NULL ? -1 : 0;
}

static void
tt_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tt_conn	*c = arg;
	struct trap_tcp	*tt = c->tt;
	const char	*why = NULL;
	char		 refused[200];
	ssize_t		 n;
	int		 i, err;

	(void)ev;
	c->busy = true;
	for (i = 0; i < TT_READS && why == NULL && c->doom == NULL; i++) {
		if (tt->hold) {
			tt_park(tt, c);
			break;
		}
		if (c->outlen >= TRAP_TCP_MAX_OUT && !c->stuffed) {
			/* Its sender does not take its answers: no more
			 * questions until it does (tt_flush). */
			event_del(c->rev);
			c->stuffed = true;
			tt->st.overflow++;
			break;
		}
		if ((n = transport_stream_io(fd, false, tt->buf,
		    sizeof(tt->buf))) == 0)
			break;
		if (n == -1) {
			tt->st.peer_closed++;
			why = errno == 0 ? "closed by the sender" :
			    "reset by the sender";
			break;
		}
		c->last_ms = tt_now();
		if (tcp_framer_feed(c->fr, tt->buf, (size_t)n, tt_msg,
		    c) == -1) {
			if (c->doom != NULL)
				break;
			/* RFC 3430 2.1: no way to resynchronise. */
			err = snmpmgr_lasterr();
			tt->st.framing_errors++;
			if (err == SNMPMGR_ERR_MSG_TOO_LONG)
				tt->st.too_long++;
			log_repeat(&tt->rep_stream, "traps: %s: TCP stream "
			    "from %s port %u refused: error %d: %s", tt->spec,
			    c->addr, c->port, err, snmpmgr_lasterr_detail());
			snprintf(refused, sizeof(refused), "stream refused: "
			    "error %d: %s", err, snmpmgr_lasterr_detail());
			why = refused;
			break;
		}
		if ((size_t)n < sizeof(tt->buf))
			break;
	}
	if (tcp_framer_pending(c->fr) == 0)
		c->msg_ms = 0;
	else if (c->msg_ms == 0)
		c->msg_ms = tt_now();
	c->busy = false;
	if (c->doom != NULL)
		why = c->doom;
	/* The reports this read made, also to a sender that is closing. */
	if (c->dirty && tt_flush(tt, c) == -1 && why == NULL)
		why = "send failed";
	if (why != NULL)
		tt_drop(tt, c, why);
	tt_tick_arm(tt);
}

/* ------------------------------------------------------------ accept */

static void
tt_pause_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct trap_tcp	*tt = arg;

	(void)fd;
	(void)ev;
	event_add(tt->aev, NULL);
}

/* A new connection: 0, or -1 when accept has nothing more for now. */
static int
tt_accept_one(struct trap_tcp *tt)
{
	struct tt_conn		*c;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct timeval		 tv = { TT_PAUSE_MS / 1000, 0 };
	struct tt_conn		**b;
	int			 fd;

	fd = accept4(tt->fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		if (errno == EINTR || errno == ECONNABORTED)
			return 0;
		tt->st.accept_errors++;
		log_repeat(&tt->rep_accept, "traps: %s: accept: %s", tt->spec,
		    strerror(errno));
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* STYLE: pause instead of spinning. */
			event_del(tt->aev);
			evtimer_add(tt->pause, &tv);
		}
		return -1;
	}
	while (tt->n >= tt->max_conns && tt->n > 0)
		tt_evict(tt);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->fr = tcp_framer_new(SNMPMGR_MAX_TCP_MSG)) == NULL) {
		free(c);
		close(fd);
		tt->st.accept_errors++;
		return 0;
	}
	c->tt = tt;
	c->fd = fd;
	c->id = ++tt->next_id;
	c->peerlen = sl <= sizeof(c->peer) ? sl : sizeof(c->peer);
	memcpy(&c->peer, &ss, c->peerlen);
	transport_addr_host((const struct sockaddr *)&c->peer, c->peerlen,
	    false, c->addr, sizeof(c->addr), &c->port);
	c->fresh = true;
	c->last_ms = tt_now();
	if ((c->rev = event_new(tt->d->base, fd, EV_READ | EV_PERSIST,
	    tt_read_cb, c)) == NULL || (c->wev = event_new(tt->d->base, fd,
	    EV_WRITE | EV_PERSIST, tt_write_cb, c)) == NULL ||
	    event_add(c->rev, NULL) == -1) {
		if (c->rev != NULL)
			event_free(c->rev);
		if (c->wev != NULL)
			event_free(c->wev);
		tcp_framer_free(c->fr);
		free(c);
		close(fd);
		tt->st.accept_errors++;
		return 0;
	}
	b = tt_bucket(tt, c->id);
	c->hnext = *b;
	*b = c;
	TAILQ_INSERT_TAIL(&tt->fresh, c, q);
	tt->n++;
	tt->st.accepted++;
	tt_event(tt, c, true, NULL);
	log_repeat_clear(&tt->rep_accept, "traps: TCP connections accepted "
	    "again");
	return 0;
}

static void
tt_accept_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct trap_tcp	*tt = arg;
	uint32_t	 i, max;

	(void)fd;
	(void)ev;
	/* At most half the bound a round: whoever was accepted in it is
	 * read before as many newer ones could push it out. */
	max = tt->max_conns / 2;
	if (max > TT_ACCEPTS_MAX)
		max = TT_ACCEPTS_MAX;
	if (max == 0)
		max = 1;
	for (i = 0; i < max; i++)
		if (tt_accept_one(tt) == -1)
			break;
	tt_tick_arm(tt);
}

/* ------------------------------------------------------------ timer */

static void
tt_sweep(struct trap_tcp *tt, struct tt_queue *q, uint64_t now)
{
	struct tt_conn	*c, *nc;

	for (c = TAILQ_FIRST(q); c != NULL; c = nc) {
		nc = TAILQ_NEXT(c, q);
		if (c->held)
			continue;
		if (c->msg_ms != 0 && now - c->msg_ms >= tt->msg_ms) {
			tt->st.timeouts++;
			tt_drop(tt, c, "a message not finished in time");
		} else if (now - c->last_ms >= tt->idle_ms) {
			tt->st.idle_closed++;
			tt_drop(tt, c, "idle");
		}
	}
}

static void
tt_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct trap_tcp	*tt = arg;
	uint64_t	 now = tt_now();

	(void)fd;
	(void)ev;
	tt_sweep(tt, &tt->fresh, now);
	tt_sweep(tt, &tt->active, now);
	tt_tick_arm(tt);
}

/* ------------------------------------------------------------ life */

static void
tt_limits(struct trap_tcp *tt, const struct config_traps_tcp *conf)
{
	tt->max_conns = conf->max_connections > 0 ? conf->max_connections : 1;
	tt->idle_ms = conf->idle_timeout_ms;
	tt->msg_ms = conf->message_timeout_ms;
}

struct trap_tcp *
trap_tcp_new(struct daemon *d, int fd, const char *spec,
    const struct config_traps_tcp *conf, trap_tcp_msg_cb cb, void *arg)
{
	struct trap_tcp	*tt;

	if ((tt = calloc(1, sizeof(*tt))) == NULL)
		return NULL;
	tt->d = d;
	tt->fd = fd;
	snprintf(tt->spec, sizeof(tt->spec), "%s", spec);
	tt->cb = cb;
	tt->arg = arg;
	tt_limits(tt, conf);
	TAILQ_INIT(&tt->fresh);
	TAILQ_INIT(&tt->active);
	TAILQ_INIT(&tt->dirty);
	TAILQ_INIT(&tt->held);
	tt->hsize = 64;
	while (tt->hsize < tt->max_conns && tt->hsize < 65536)
		tt->hsize *= 2;
	if ((tt->hash = calloc(tt->hsize, sizeof(*tt->hash))) == NULL ||
	    (tt->tick = evtimer_new(d->base, tt_tick_cb, tt)) == NULL ||
	    (tt->pause = evtimer_new(d->base, tt_pause_cb, tt)) == NULL ||
	    (tt->aev = event_new(d->base, fd, EV_READ | EV_PERSIST,
	    tt_accept_cb, tt)) == NULL || event_add(tt->aev, NULL) == -1) {
		trap_tcp_free(tt);
		return NULL;
	}
	return tt;
}

void
trap_tcp_free(struct trap_tcp *tt)
{
	struct tt_conn	*c;

	if (tt == NULL)
		return;
	if (tt->hash != NULL) {
		while ((c = TAILQ_FIRST(&tt->fresh)) != NULL ||
		    (c = TAILQ_FIRST(&tt->active)) != NULL)
			tt_drop(tt, c, "listener closed");
	}
	if (tt->aev != NULL)
		event_free(tt->aev);
	if (tt->pause != NULL)
		event_free(tt->pause);
	if (tt->tick != NULL)
		event_free(tt->tick);
	free(tt->hash);
	free(tt);
}

void
trap_tcp_reconfigure(struct trap_tcp *tt, const struct config_traps_tcp *conf,
    void *arg)
{
	tt->arg = arg;
	tt_limits(tt, conf);
	while (tt->n > tt->max_conns)
		tt_evict(tt);
	tt_tick_arm(tt);
}

void
trap_tcp_get_stats(const struct trap_tcp *tt, struct trap_tcp_stats *st)
{
	*st = tt->st;
	st->connections = tt->n;
}
