/*
 * sess_dtls.c - the client side of SNMP over DTLS (RFC 6353) for the
 * session engine, on the libevent loop (sess_dtls.h).
 *
 * A session with transport "dtls" gets one association, on a connected
 * UDP socket of its own (so one association per local socket, agent
 * address and certificate).  It opens on the first message: the context
 * is built from the session's options, the socket opened, the handshake
 * started; messages sent meanwhile wait in a bounded queue and go out
 * when it is done (each request keeps its own timeout in the engine).
 * The handshake is non-blocking: OpenSSL's retransmissions are driven by
 * one timer on the loop, which also closes an idle association with
 * close_notify after dtls_idle_timeout and gives up a handshake that has
 * run longer than DTLS_HS_MAX_MS.
 *
 * Whatever ends an association (a fatal alert, close_notify from the
 * agent, the idle timeout, a handshake failure) frees it and its socket;
 * the next message opens a new one on a fresh socket, so an agent that
 * restarted is reached again without anybody asking.  An agent that
 * restarts loses the association silently: its answers stop, so when a
 * request runs out of time on an open association that has received
 * nothing since it was sent, the association is dropped too (the engine
 * resends on the next try, and that opens a new one).  A handshake that
 * fails ends every request of the session with its numbered error (275,
 * 276, 280, 282) and OpenSSL's reason as the detail.
 */
#include "config.h"		/* autoconf */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "core/limits.h"
#include "core/session.h"
#include "core/transport.h"
#include "log.h"
#include "sess_dtls.h"

/* Messages held while a handshake runs, and the longest handshake. */
#define DTLS_QUEUE_MAX		256
#define DTLS_HS_MAX_MS		30000
/* "session NAME" or "target HOST" (sd_who). */
#define SD_WHO_LEN	(SNMPMGR_MAX_HOSTNAME + 16)

struct sd_msg {
	struct sd_msg	*next;
	size_t		 len;
	uint8_t		 data[];
};

struct sess_dtls {
	struct event_base	*base;
	struct sess_mgr		*m;
	struct sess		*s;
	struct sess_dtls_hooks	 h;

	struct sd_ctx		*ctx;
	uint32_t		 idle_ms;
	struct dtls_assoc	*a;
	int			 fd;
	struct event		*rev;
	struct event		*tmr;
	uint64_t		 start_ms;
	uint64_t		 last_ms;

	struct sd_msg		*qhead;
	struct sd_msg		**qtail;
	size_t			 qlen;

	sess_dtls_sent_fn	*sent_cb;	/* sess_dtls_when_sent() */
	void			*sent_arg;

	bool			 opened;	/* the association got open */
	int			 busy;		/* inside a callback */
	bool			 dead;		/* freed while busy */
	struct log_repeat	 rep;
};

/*
 * One buffer for what arrives and one for what goes out, shared by every
 * association (the loop runs one callback at a time): an association
 * costs its OpenSSL state, not 128 KiB of buffers.  Sending never uses
 * sd_in, so a message handed to the engine stays intact while the
 * engine's callbacks send.
 */
static uint8_t	sd_in[SNMPMGR_MAX_DGRAM];
static uint8_t	sd_out[SNMPMGR_MAX_DGRAM];

/*
 * Contexts shared by the sessions whose DTLS options are the same (our
 * certificate, key, CA, pin, name, protocol floor, ciphers): one SSL_CTX
 * with its CA store for them all, not one each.  Built when the first of
 * them connects; freed with the last user (associations hold references
 * of their own).  Our certificate and key, when the configuration read
 * them already (an encrypted key), count by the credential itself: the
 * entry holds it, so its address names it while the entry lives.
 */
struct sd_ctx {
	struct sd_ctx	*next;
	struct dtls_ctx	*ctx;
	struct dtls_cred *cred;
	int		 users;
	char		*key;
};
static struct sd_ctx *sd_ctxs;

static void
sd_key_add(char **p, size_t *left, const char *s)
{
	int	 n;

	n = snprintf(*p, *left, "%s%s\x1f", s != NULL ? "=" : "-",
	    s != NULL ? s : "");
	if (n < 0 || (size_t)n >= *left) {
		*left = 0;
		return;
	}
	*p += n;
	*left -= (size_t)n;
}

static struct sd_ctx *
sd_ctx_get(const struct dtls_opts *o)
{
	struct sd_ctx	*x;
	char		 key[4 * 4096 + 2048], *p = key, cred[32];
	size_t		 left = sizeof(key);
	bool		 share;

	/* A pass phrase not read into a credential: nothing to compare. */
	share = o->cred != NULL || o->key_password == NULL;
	snprintf(cred, sizeof(cred), "%p", (void *)o->cred);
	sd_key_add(&p, &left, o->cred != NULL ? cred : NULL);
	sd_key_add(&p, &left, o->cred == NULL ? o->cert : NULL);
	sd_key_add(&p, &left, o->cred == NULL ? o->key : NULL);
	sd_key_add(&p, &left, o->ca);
	sd_key_add(&p, &left, o->server_fingerprint);
	sd_key_add(&p, &left, o->server_name);
	sd_key_add(&p, &left, o->tls_min_version);
	sd_key_add(&p, &left, o->tls_ciphers);
	/* A key too long to compare (or a pass phrase): not shared. */
	if (left > 0 && share)
		for (x = sd_ctxs; x != NULL; x = x->next)
			if (strcmp(x->key, key) == 0) {
				x->users++;
				return x;
			}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->key = strdup(left > 0 && share ? key : "")) == NULL) {
		free(x);
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		return NULL;
	}
	if ((x->ctx = dtls_ctx_new(o)) == NULL) {
		free(x->key);
		free(x);
		return NULL;
	}
	x->cred = dtls_cred_ref(o->cred);
	x->users = 1;
	x->next = sd_ctxs;
	sd_ctxs = x;
	return x;
}

static void
sd_ctx_put(struct sd_ctx *x)
{
	struct sd_ctx	**pp;

	if (x == NULL || --x->users > 0)
		return;
	for (pp = &sd_ctxs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	dtls_ctx_free(x->ctx);
	dtls_cred_free(x->cred);
	free(x->key);
	free(x);
}

static uint64_t
sd_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Who the log lines are about: "session NAME", or "target HOST" for an
 * inline target (which has no name). */
static const char *
sd_who(const struct sess_dtls *d, char *buf, size_t len)
{
	const char	*name = NULL;

	if (d->h.name != NULL)
		name = d->h.name(d->h.arg, d->s);
	if (name != NULL)
		snprintf(buf, len, "session %s", name);
	else
		snprintf(buf, len, "target %s", sess_get_host(d->s));
	return buf;
}

static void
sd_event(struct sess_dtls *d, enum sess_dtls_event ev,
    const struct dtls_peer_info *pi, int code, const char *detail)
{
	if (d->h.event != NULL && !d->dead)
		d->h.event(d->h.arg, d->s, ev, pi, code, detail);
}

static void
sd_queue_clear(struct sess_dtls *d)
{
	struct sd_msg	*q;

	while ((q = d->qhead) != NULL) {
		d->qhead = q->next;
		free(q);
	}
	d->qtail = &d->qhead;
	d->qlen = 0;
}

/* Tell the one waiting for the queue to go out (sess_dtls_when_sent). */
static void
sd_sent(struct sess_dtls *d, int code, const char *detail)
{
	sess_dtls_sent_fn *cb = d->sent_cb;

	if (cb == NULL || d->dead)
		return;
	d->sent_cb = NULL;
	cb(d->sent_arg, code, detail);
}

/* Send what the association has made (flights, alerts, records). */
static void
sd_flush(struct sess_dtls *d)
{
	ssize_t	 n;

	while ((n = dtls_assoc_output(d->a, sd_out, sizeof(sd_out))) > 0)
		(void)transport_send(d->fd, sd_out, (size_t)n, NULL, 0);
}

/* Free the association and its socket; close_notify first if asked. */
static void
sd_close(struct sess_dtls *d, bool notify, const char *why)
{
	char	 who[SD_WHO_LEN];

	if (d->a == NULL)
		return;
	if (notify && dtls_assoc_state(d->a) == DTLS_OPEN &&
	    dtls_assoc_close(d->a) == 0)
		sd_flush(d);
	if (d->opened && why != NULL) {
		log_debug("%s: DTLS association closed: %s",
		    sd_who(d, who, sizeof(who)), why);
		sd_event(d, SESS_DTLS_CLOSED, NULL, 0, why);
	}
	d->opened = false;
	dtls_assoc_free(d->a);
	d->a = NULL;
	if (d->rev != NULL)
		event_free(d->rev);
	d->rev = NULL;
	evtimer_del(d->tmr);
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
}

/* Arm the timer for the next retransmission, handshake end or idle. */
static void
sd_arm(struct sess_dtls *d, uint64_t now)
{
	struct timeval	 tv;
	uint64_t	 at, dl;

	if (d->a == NULL) {
		evtimer_del(d->tmr);
		return;
	}
	if (dtls_assoc_state(d->a) == DTLS_HANDSHAKE) {
		at = d->start_ms + DTLS_HS_MAX_MS;
		if (dtls_assoc_deadline(d->a, now, &dl) && dl < at)
			at = dl;
	} else
		at = d->last_ms + d->idle_ms;
	dl = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(dl / 1000);
	tv.tv_usec = (suseconds_t)(dl % 1000) * 1000;
	evtimer_add(d->tmr, &tv);
}

/* The handshake failed: say why, end the session's requests with it. */
static void
sd_failed(struct sess_dtls *d, int code, const char *detail)
{
	char	 why[300], who[SD_WHO_LEN];

	snprintf(why, sizeof(why), "%s", detail != NULL ? detail : "");
	if (d->a != NULL)
		sd_flush(d);	/* the alert */
	sd_close(d, false, NULL);
	sd_queue_clear(d);
	log_repeat(&d->rep, "%s: DTLS handshake failed: error %d: %s: %s",
	    sd_who(d, who, sizeof(who)), code, snmpmgr_strerror(code), why);
	sd_event(d, SESS_DTLS_FAILED, NULL, code, why);
	sd_sent(d, code, why);
	if (!d->dead)
		(void)sess_fail_requests(d->s, code, why);
}

/* The handshake is done: send what waited for it. */
static void
sd_opened(struct sess_dtls *d)
{
	const struct dtls_peer_info *pi = dtls_assoc_peer(d->a);
	struct sd_msg	*q;
	char		 who[SD_WHO_LEN];

	log_repeat_clear(&d->rep, "DTLS handshakes succeed again");
	log_debug("%s: DTLS association open (%s, %s, agent %s, accepted "
	    "by %s)", sd_who(d, who, sizeof(who)), pi->version, pi->cipher,
	    pi->subject, dtls_accept_name(pi->accepted));
	d->opened = true;
	sd_event(d, SESS_DTLS_OPEN, pi, 0, NULL);
	if (d->dead || d->a == NULL)
		return;
	while ((q = d->qhead) != NULL) {
		d->qhead = q->next;
		if (dtls_assoc_send(d->a, q->data, q->len) == -1)
			log_repeat(&d->rep, "%s: DTLS: error %d: %s",
			    sd_who(d, who, sizeof(who)), snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail());
		free(q);
	}
	d->qtail = &d->qhead;
	d->qlen = 0;
	sd_flush(d);
	sd_sent(d, 0, NULL);
}

/*
 * After an input or a timer: send what it made, and act on a change of
 * state.  Messages received go to the engine.  d may be dead after.
 */
static void
sd_after(struct sess_dtls *d, enum dtls_state before, uint64_t now)
{
	const struct sockaddr *sa;
	const char	*detail = NULL;
	socklen_t	 salen;
	ssize_t		 n;
	int		 code;

	sd_flush(d);
	switch (dtls_assoc_state(d->a)) {
	case DTLS_HANDSHAKE:
		sd_arm(d, now);
		return;
	case DTLS_FAILED:
		code = dtls_assoc_error(d->a, &detail);
		if (before == DTLS_HANDSHAKE) {
			sd_failed(d, code, detail);
			return;
		}
		sd_close(d, false, detail);
		return;
	case DTLS_CLOSED:
		sd_close(d, false, "close_notify from the agent");
		return;
	case DTLS_OPEN:
		break;
	}
	if (before == DTLS_HANDSHAKE) {
		sd_opened(d);
		if (d->dead || d->a == NULL)
			return;
	}
	d->last_ms = now;
	sa = sess_addr(d->s, &salen);
	while (d->a != NULL && !d->dead &&
	    (n = dtls_assoc_recv(d->a, sd_in, sizeof(sd_in))) > 0)
		sess_mgr_input(d->m, d->s, sa, salen, sd_in, (size_t)n);
	if (d->dead || d->a == NULL)
		return;
	switch (dtls_assoc_state(d->a)) {
	case DTLS_FAILED:
		(void)dtls_assoc_error(d->a, &detail);
		sd_close(d, false, detail);
		break;
	case DTLS_CLOSED:
		sd_close(d, false, "close_notify from the agent");
		break;
	default:
		sd_arm(d, now);
	}
}

static void
sd_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_dtls	*d = arg;
	enum dtls_state		 before;
	uint64_t		 dropped;
	ssize_t			 n;
	int			 i;
	char			 who[SD_WHO_LEN];

	d->busy++;
	for (i = 0; i < 16 && d->a != NULL && !d->dead; i++) {
		do
			n = recv(d->fd, sd_in, sizeof(sd_in), 0);
		while (n == -1 && errno == EINTR);
		if (n == 0)
			continue;	/* an empty datagram: nothing */
		if (n == -1 && errno != ECONNREFUSED)
			break;		/* EAGAIN, or nothing to act on */
		if (n == -1) {
			/* ICMP port unreachable: the agent is gone. */
			if (dtls_assoc_state(d->a) == DTLS_HANDSHAKE)
				sd_failed(d, SNMPMGR_ERR_TLS_HANDSHAKE,
				    "the agent's port is unreachable");
			else
				sd_close(d, false, "the agent's port is "
				    "unreachable");
			break;
		}
		before = dtls_assoc_state(d->a);
		dropped = dtls_assoc_dropped(d->a);
		/* A record that does not authenticate is dropped inside. */
		(void)dtls_assoc_input(d->a, sd_in, (size_t)n, sd_now());
		if (dtls_assoc_dropped(d->a) != dropped)
			log_debug("%s: DTLS: %llu invalid record(s) "
			    "of %zd octets dropped (%llu on this "
			    "association)", sd_who(d, who, sizeof(who)),
			    (unsigned long long)(dtls_assoc_dropped(d->a) -
			    dropped), n,
			    (unsigned long long)dtls_assoc_dropped(d->a));
		sd_after(d, before, sd_now());
	}
	if (--d->busy == 0 && d->dead)
		sess_dtls_free(d);
}

static void
sd_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess_dtls	*d = arg;
	uint64_t		 now = sd_now(), dl;
	const char		*detail = NULL;
	int			 code;

	if (d->a == NULL)
		return;
	d->busy++;
	if (dtls_assoc_state(d->a) == DTLS_HANDSHAKE) {
		if (now - d->start_ms >= DTLS_HS_MAX_MS)
			sd_failed(d, SNMPMGR_ERR_TLS_HANDSHAKE, "the agent "
			    "did not finish the handshake in time");
		else if (dtls_assoc_deadline(d->a, now, &dl) && dl <= now &&
		    dtls_assoc_timer(d->a, now) == -1) {
			code = dtls_assoc_error(d->a, &detail);
			sd_failed(d, code, detail);
		} else
			sd_after(d, DTLS_HANDSHAKE, now);
	} else if (now - d->last_ms >= d->idle_ms)
		sd_close(d, true, "idle");
	else
		sd_arm(d, now);
	if (--d->busy == 0 && d->dead)
		sess_dtls_free(d);
}

/* Open the socket and start the handshake.  0, or -1 (requests ended). */
static int
sd_open(struct sess_dtls *d)
{
	const struct sess_opts *o = sess_get_opts(d->s);
	const struct sockaddr *sa;
	struct transport_cfg cfg;
	struct dtls_opts dopts;
	socklen_t salen;
	uint64_t now = sd_now();

	if (d->ctx == NULL) {
		d->idle_ms = DTLS_IDLE_DEFAULT_MS;
		snmpmgr_clearerr();
		if (d->h.opts == NULL) {
			snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY,
			    "no DTLS options for this session");
			return -1;
		}
		if (d->h.opts(d->h.arg, d->s, &dopts, &d->idle_ms) == -1 ||
		    (d->ctx = sd_ctx_get(&dopts)) == NULL)
			return -1;
	}
	sa = sess_addr(d->s, &salen);
	transport_cfg_default(&cfg, sa->sa_family);
	cfg.local_host = o->local_host;
	cfg.local_port = o->local_port;
	cfg.force_local_port = o->force_local_port;
	cfg.connect_to = sa;
	cfg.connect_len = salen;
	cfg.dscp = o->dscp;
	cfg.rcvbuf = o->in_buffer_size;
	cfg.sndbuf = o->out_buffer_size;
	if ((d->fd = transport_open(&cfg)) == -1)
		return -1;
	if ((d->a = dtls_client_new(d->ctx->ctx, sess_get_host(d->s))) ==
	    NULL)
		goto fail;
	if ((d->rev = event_new(d->base, d->fd, EV_READ | EV_PERSIST,
	    sd_read_cb, d)) == NULL || event_add(d->rev, NULL) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "cannot watch the "
		    "socket");
		goto fail;
	}
	d->start_ms = d->last_ms = now;
	if (dtls_assoc_start(d->a, now) == -1)
		goto fail;
	sd_event(d, SESS_DTLS_HANDSHAKE, NULL, 0, NULL);
	sd_flush(d);
	sd_arm(d, now);
	return 0;
 fail:
	sd_close(d, false, NULL);
	return -1;
}

int
sess_dtls_send(struct sess_dtls *d, const uint8_t *msg, size_t len)
{
	struct sd_msg	*q;
	char		 why[300], who[SD_WHO_LEN];
	int		 code;

	if (d->a != NULL && dtls_assoc_state(d->a) == DTLS_OPEN) {
		if (dtls_assoc_send(d->a, msg, len) == -1) {
			errno = EMSGSIZE;
			return -1;
		}
		sd_flush(d);
		return 0;
	}
	if (d->qlen >= DTLS_QUEUE_MAX) {
		/* Tries of requests already queued: the oldest goes. */
		q = d->qhead;
		d->qhead = q->next;
		if (d->qhead == NULL)
			d->qtail = &d->qhead;
		free(q);
		d->qlen--;
	}
	if ((q = malloc(sizeof(*q) + len)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->data, msg, len);
	*d->qtail = q;
	d->qtail = &q->next;
	d->qlen++;
	if (d->a != NULL)
		return 0;
	if (sd_open(d) == -1) {
		code = snmpmgr_lasterr();
		snprintf(why, sizeof(why), "%s", snmpmgr_lasterr_detail());
		sd_queue_clear(d);
		/* The engine ends the request this send belongs to. */
		log_repeat(&d->rep, "%s: DTLS: error %d: %s",
		    sd_who(d, who, sizeof(who)), code, why);
		snmpmgr_seterr(code, "%s", why);
		errno = ENOTCONN;
		return -1;
	}
	return 0;
}

void
sess_dtls_reset(struct sess_dtls *d)
{
	char	 why[300], who[SD_WHO_LEN];
	int	 code;

	if (d->dead)
		return;
	sd_close(d, true, "options changed");
	sd_ctx_put(d->ctx);
	d->ctx = NULL;
	if (d->qlen == 0 || sd_open(d) == 0)
		return;
	/* The requests waiting run out of time and try again. */
	code = snmpmgr_lasterr();
	snprintf(why, sizeof(why), "%s", snmpmgr_lasterr_detail());
	sd_queue_clear(d);
	log_repeat(&d->rep, "%s: DTLS: error %d: %s",
	    sd_who(d, who, sizeof(who)), code, why);
	sd_sent(d, code, why);
}

void
sess_dtls_drop(struct sess_dtls *d)
{
	if (d->a != NULL && dtls_assoc_state(d->a) == DTLS_OPEN &&
	    sd_now() - d->last_ms >= 1000)
		sd_close(d, true, "the agent stopped answering");
}

bool
sess_dtls_sent(const struct sess_dtls *d)
{
	return d->a != NULL && dtls_assoc_state(d->a) == DTLS_OPEN &&
	    d->qlen == 0;
}

void
sess_dtls_when_sent(struct sess_dtls *d, sess_dtls_sent_fn *done, void *arg)
{
	d->sent_cb = done;
	d->sent_arg = arg;
}

const struct dtls_peer_info *
sess_dtls_peer(const struct sess_dtls *d, uint64_t *dropped)
{
	if (d->a == NULL || dtls_assoc_state(d->a) != DTLS_OPEN)
		return NULL;
	if (dropped != NULL)
		*dropped = dtls_assoc_dropped(d->a);
	return dtls_assoc_peer(d->a);
}

struct sess_dtls *
sess_dtls_new(struct event_base *base, struct sess_mgr *m, struct sess *s,
    const struct sess_dtls_hooks *h)
{
	struct sess_dtls	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->base = base;
	d->m = m;
	d->s = s;
	d->h = *h;
	d->fd = -1;
	d->qtail = &d->qhead;
	if ((d->tmr = evtimer_new(base, sd_timer_cb, d)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
sess_dtls_free(struct sess_dtls *d)
{
	if (d == NULL)
		return;
	if (d->busy > 0) {
		/* Its callback frees it on the way out; the session goes. */
		if (!d->dead) {
			d->dead = true;
			sd_close(d, true, "session closed");
		}
		return;
	}
	if (!d->dead)
		sd_close(d, true, "session closed");
	sd_queue_clear(d);
	event_free(d->tmr);
	sd_ctx_put(d->ctx);
	free(d);
}
