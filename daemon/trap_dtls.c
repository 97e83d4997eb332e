/*
 * trap_dtls.c - a DTLS trap listener (trap_dtls.h) on the event loop.
 *
 * Datagrams from an address that has an association go to it; others go
 * to the stateless cookie listener (core/dtls.c), which answers a
 * ClientHello with a HelloVerifyRequest and keeps nothing: only a
 * ClientHello that returns the cookie made for its address becomes an
 * association (RFC 6347 4.2.1), so spoofed ClientHellos cost one answer
 * each.  An open association that gets a new ClientHello (its sender
 * restarted on the same port) goes through the cookie exchange again and
 * is replaced when the cookie comes back (RFC 6347 4.2.8).
 *
 * Associations live in a hash by address and in one of two queues:
 * handshakes by start (when max_handshakes are under way, the oldest of
 * the source address with the most in progress is abandoned, so that one
 * address flooding handshakes abandons its own, not other senders'; and
 * closed after handshake_timeout), open ones by last
 * activity (the least recently active evicted when max_associations are
 * in use, and closed after idle_timeout).  One timer, running only while
 * there are associations, drives OpenSSL's retransmissions and the
 * timeouts: every 100 ms while handshakes are under way, every second
 * otherwise.  A failure of one association (a refused certificate,
 * garbage, a fatal alert) closes that one and no other.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"

#include "core/dtls.h"
#include "core/errors.h"
#include "core/limits.h"
#include "core/transport.h"

#include "daemon.h"
#include "events.h"
#include "log.h"
#include "trap_dtls.h"

#define TD_TICK_HS_MS		100
#define TD_TICK_MS		1000
#define TD_REKEY_MS		(5 * 60 * 1000)
/* family, port, address */
#define TD_KEY_LEN		20

struct td_assoc {
	struct td_assoc		*hnext;
	TAILQ_ENTRY(td_assoc)	 q;
	uint64_t		 id;
	uint32_t		 hash;
	uint8_t			 key[TD_KEY_LEN];
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	char			 addr[INET6_ADDRSTRLEN];
	unsigned		 port;
	struct dtls_assoc	*a;
	bool			 open;
	uint64_t		 start_ms;
	uint64_t		 last_ms;
};

TAILQ_HEAD(td_queue, td_assoc);

/* Handshakes in progress from one source address (any port). */
struct td_src {
	const uint8_t		*key;		/* a td_assoc's; NULL: free */
	uint32_t		 n;
};

struct trap_dtls {
	struct daemon		*d;
	int			 fd;
	char			 spec[300];
	struct dtls_ctx		*ctx;
	struct dtls_listener	*lis;
	trap_dtls_msg_cb	 cb;
	void			*arg;

	struct td_assoc		**hash;
	size_t			 hsize;		/* power of two */
	struct td_src		*src;		/* td_hs_victim's counts */
	size_t			 srcsize;	/* power of two, > 2 nhs */
	struct td_queue		 hs;		/* handshakes, oldest first */
	struct td_queue		 open;		/* least recently active first */
	size_t			 nhs, nopen;
	uint32_t		 max_assocs, max_hs;
	uint32_t		 idle_ms, hs_ms;
	uint64_t		 next_id;
	uint64_t		 rekeyed_ms;

	struct event		*tick;
	unsigned		 tick_ms;	/* its interval when pending */
	uint8_t			 buf[SNMPMGR_MAX_DGRAM];
	struct trap_dtls_stats	 st;
	struct log_repeat	 rep_fail;
	struct log_repeat	 rep_send;
};

static uint64_t
td_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The address key of a source (key[0] 0: not IPv4 or IPv6). */
static void
td_key(const struct sockaddr *sa, uint8_t key[TD_KEY_LEN])
{
	memset(key, 0, TD_KEY_LEN);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		key[0] = 4;
		memcpy(key + 2, &sin->sin_port, 2);
		memcpy(key + 4, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		key[0] = 6;
		memcpy(key + 2, &sin6->sin6_port, 2);
		memcpy(key + 4, &sin6->sin6_addr, 16);
	}
}

/* A new association's source as text, from its key. */
static void
td_key_text(const uint8_t key[TD_KEY_LEN], char addr[INET6_ADDRSTRLEN],
    unsigned *port)
{
	transport_ip_str(key[0] == 4 ? AF_INET : AF_INET6, key + 4, addr,
	    INET6_ADDRSTRLEN);
	*port = (unsigned)key[2] << 8 | key[3];
}

/* FNV-1a, keyed by nothing: the table only needs spread, and a sender
 * that collides on purpose only slows its own bucket's lookups. */
static uint32_t
td_hash(const uint8_t *k)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < TD_KEY_LEN; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static struct td_assoc *
td_find(struct trap_dtls *td, const uint8_t *key)
{
	struct td_assoc	*x;
	uint32_t	 h = td_hash(key);

	for (x = td->hash[h & (td->hsize - 1)]; x != NULL; x = x->hnext)
		if (x->hash == h && memcmp(x->key, key, TD_KEY_LEN) == 0)
			return x;
	return NULL;
}

/* Whether two keys name one source address, whatever their ports. */
static bool
td_same_addr(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && memcmp(a + 4, b + 4, TD_KEY_LEN - 4) == 0;
}

/* The count slot of x's source address in td->src. */
static struct td_src *
td_src_slot(struct trap_dtls *td, const struct td_assoc *x)
{
	uint8_t	 addr[TD_KEY_LEN];
	size_t	 i, mask = td->srcsize - 1;

	memcpy(addr, x->key, TD_KEY_LEN);
	addr[2] = addr[3] = 0;		/* the port */
	for (i = td_hash(addr) & mask; td->src[i].key != NULL &&
	    !td_same_addr(td->src[i].key, x->key); i = (i + 1) & mask)
		;
	return &td->src[i];
}

/*
 * The handshake to abandon for a new one when max_handshakes are under
 * way: the oldest of the source address that has the most in progress.
 * A sender flooding handshakes from one address so abandons its own,
 * never another address's slower one.  Counted afresh each time (one
 * pass over at most max_handshakes), which only a full table pays.
 * NULL when no handshake is under way or the count table cannot be had
 * (then the caller takes the oldest).
 */
static struct td_assoc *
td_hs_victim(struct trap_dtls *td)
{
	struct td_assoc	*x;
	struct td_src	*c;
	uint32_t	 most = 0;

	/* Sized by the handshakes counted, so it always has free slots. */
	if (td->src == NULL || td->srcsize <= 2 * td->nhs) {
		free(td->src);
		for (td->srcsize = 16; td->srcsize <= 2 * td->nhs;
		    td->srcsize <<= 1)
			;
		if ((td->src = calloc(td->srcsize, sizeof(*td->src))) ==
		    NULL) {
			td->srcsize = 0;
			return NULL;
		}
	} else
		memset(td->src, 0, td->srcsize * sizeof(*td->src));
	TAILQ_FOREACH(x, &td->hs, q) {
		c = td_src_slot(td, x);
		c->key = x->key;
		if (++c->n > most)
			most = c->n;
	}
	TAILQ_FOREACH(x, &td->hs, q)
		if (td_src_slot(td, x)->n == most)
			return x;
	return NULL;
}

/* ------------------------------------------------------------ events */

/* At shutdown the event bus goes before the receiver. */
static bool
td_wanted(struct trap_dtls *td, enum event_type type)
{
	return td->d->events != NULL && events_wanted(td->d->events, type,
	    NULL);
}

static json_t *
td_peer_json(const struct td_assoc *x, const char *spec)
{
	return json_pack("{s:s,s:s,s:i,s:s}", "origin", "traps", "listener",
	    spec, "port", (int)x->port, "source", x->addr);
}

static void
td_event_status(struct trap_dtls *td, const struct td_assoc *x,
    const char *status, int code, const char *detail)
{
	json_t	*data;

	if (!td_wanted(td, EV_SSL_STATUS) ||
	    (data = td_peer_json(x, td->spec)) == NULL)
		return;
	json_object_set_new(data, "status", json_string(status));
	if (code != 0) {
		json_object_set_new(data, "code", json_integer(code));
		json_object_set_new(data, "message",
		    json_string(snmpmgr_strerror(code)));
	}
	if (detail != NULL)
		json_object_set_new(data, "detail", json_string(detail));
	events_publish(td->d->events, EV_SSL_STATUS, NULL, data);
}

json_t *
trap_dtls_cert_json(const struct dtls_peer_info *pi)
{
	static const char *const san_types[] = { NULL, "dns", "ip", "email",
		"uri" };
	json_t	*o, *san, *chain;
	size_t	 i;

	if ((o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "subject", pi->subject, "issuer", pi->issuer,
	    "serial", pi->serial, "not_before", pi->not_before,
	    "not_after", pi->not_after, "sha1", pi->sha1,
	    "sha256", pi->sha256)) == NULL)
		return NULL;
	if ((san = json_array()) != NULL) {
		for (i = 0; i < pi->nsan && i < DTLS_MAX_SAN; i++)
			json_array_append_new(san, json_pack("{s:s,s:s}",
			    "type", pi->san[i].type >= DTLS_SAN_DNS &&
			    pi->san[i].type <= DTLS_SAN_URI ?
			    san_types[pi->san[i].type] : "other",
			    "value", pi->san[i].value));
		json_object_set_new(o, "san", san);
	}
	if ((chain = json_array()) != NULL) {
		for (i = 0; i < pi->nchain && i < DTLS_MAX_CHAIN; i++)
			json_array_append_new(chain, json_pack(
			    "{s:s,s:s,s:s}", "subject", pi->chain[i].subject,
			    "issuer", pi->chain[i].issuer,
			    "sha256", pi->chain[i].sha256));
		json_object_set_new(o, "chain", chain);
	}
	return o;
}

/* ssl-client-authentication: the decision about a sender. */
static void
td_event_auth(struct trap_dtls *td, const struct td_assoc *x,
    const struct dtls_peer_info *pi, int code, const char *detail)
{
	json_t	*data;

	if (!td_wanted(td, EV_SSL_CLIENT_AUTH) ||
	    (data = td_peer_json(x, td->spec)) == NULL)
		return;
	if (pi != NULL) {
		json_object_set_new(data, "decision", json_string("accept"));
		json_object_set_new(data, "reason", json_string(
		    dtls_accept_name(pi->accepted)));
		json_object_set_new(data, "security_name",
		    json_string(pi->security_name));
		json_object_set_new(data, "map_rule",
		    json_integer(pi->map_rule));
		json_object_set_new(data, "version", json_string(pi->version));
		json_object_set_new(data, "cipher", json_string(pi->cipher));
		json_object_set_new(data, "certificate", trap_dtls_cert_json(pi));
	} else {
		json_object_set_new(data, "decision", json_string("reject"));
		json_object_set_new(data, "code", json_integer(code));
		json_object_set_new(data, "message",
		    json_string(snmpmgr_strerror(code)));
		json_object_set_new(data, "reason", json_string(detail));
	}
	events_publish(td->d->events, EV_SSL_CLIENT_AUTH, NULL, data);
}

static void
td_event_conn(struct trap_dtls *td, const struct td_assoc *x, bool up,
    const char *reason)
{
	enum event_type	 type = up ? EV_CONNECTED : EV_DISCONNECTED;
	const struct dtls_peer_info *pi = dtls_assoc_peer(x->a);
	json_t		*data;

	if (!td_wanted(td, type) ||
	    (data = td_peer_json(x, td->spec)) == NULL)
		return;
	json_object_set_new(data, "transport", json_string("dtls"));
	if (pi != NULL) {
		json_object_set_new(data, "security_name",
		    json_string(pi->security_name));
		json_object_set_new(data, "fingerprint",
		    json_string(pi->sha256));
	}
	if (reason != NULL)
		json_object_set_new(data, "reason", json_string(reason));
	events_publish(td->d->events, type, NULL, data);
}

/* ------------------------------------------------------------ table */

static void
td_tick_arm(struct trap_dtls *td)
{
	struct timeval	 tv;
	unsigned	 ms;

	if (td->nhs + td->nopen == 0) {
		event_del(td->tick);
		return;
	}
	ms = td->nhs > 0 ? TD_TICK_HS_MS : TD_TICK_MS;
	/* A pending tick at least as soon stays: re-adding it would push it
	 * back, and a peer sending often enough would keep it from firing
	 * (no handshake timeouts, retransmissions or idle closes). */
	if (evtimer_pending(td->tick, NULL) && td->tick_ms <= ms)
		return;
	td->tick_ms = ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(td->tick, &tv);
}

static void
td_unlink(struct trap_dtls *td, struct td_assoc *x)
{
	struct td_assoc	**pp;

	for (pp = &td->hash[x->hash & (td->hsize - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == x) {
			*pp = x->hnext;
			break;
		}
	if (x->open) {
		TAILQ_REMOVE(&td->open, x, q);
		td->nopen--;
	} else {
		TAILQ_REMOVE(&td->hs, x, q);
		td->nhs--;
	}
}

/* Send what the association has queued (handshake flights, alerts,
 * records). */
static void
td_flush(struct trap_dtls *td, struct td_assoc *x)
{
	ssize_t	 n;

	while ((n = dtls_assoc_output(x->a, td->buf, sizeof(td->buf))) > 0)
		if (transport_send(td->fd, td->buf, (size_t)n,
		    (struct sockaddr *)&x->peer, x->peerlen) == -1) {
			td->st.send_errors++;
			log_repeat(&td->rep_send, "traps: %s: send to %s port "
			    "%u: %s", td->spec, x->addr, x->port,
			    strerror(errno));
		}
}

/*
 * Close and free an association: close_notify when it is open and
 * `notify`, the disconnected event for an open one.
 */
static void
td_drop(struct trap_dtls *td, struct td_assoc *x, const char *reason,
    bool notify)
{
	td_unlink(td, x);
	if (x->open) {
		if (notify && dtls_assoc_state(x->a) == DTLS_OPEN &&
		    dtls_assoc_close(x->a) == 0)
			td_flush(td, x);
		td_event_conn(td, x, false, reason);
		log_debug("traps: %s: DTLS association with %s port %u "
		    "closed: %s", td->spec, x->addr, x->port, reason);
	} else
		td_event_status(td, x, "handshake-abandoned", 0, reason);
	dtls_assoc_free(x->a);
	free(x);
}

/* A handshake failed: count it, say why (once, then at debug). */
static void
td_failed(struct trap_dtls *td, struct td_assoc *x)
{
	const char	*detail = "";
	int		 code = dtls_assoc_error(x->a, &detail);

	td_flush(td, x);	/* the alert */
	if (x->open) {
		td_event_status(td, x, "failed", code, detail);
		td_drop(td, x, detail, false);
		return;
	}
	td->st.failed++;
	if (code == SNMPMGR_ERR_TLS_NO_CLIENT_CERT ||
	    code == SNMPMGR_ERR_TLS_CERT_VERIFY ||
	    code == SNMPMGR_ERR_TLS_VERIFY_CHAIN) {
		td->st.refused++;
		if (code == SNMPMGR_ERR_TLS_NO_CLIENT_CERT)
			td->st.no_certificate++;
		if (strstr(detail, "no cert_to_name rule") != NULL)
			td->st.unmapped++;
		td_event_auth(td, x, NULL, code, detail);
	}
	td_event_status(td, x, "failed", code, detail);
	log_repeat(&td->rep_fail, "traps: %s: DTLS handshake from %s port %u "
	    "refused: error %d: %s: %s", td->spec, x->addr, x->port, code,
	    snmpmgr_strerror(code), detail);
	td_unlink(td, x);
	dtls_assoc_free(x->a);
	free(x);
}

/*
 * After an input or a timer: send what it made, open it when the
 * handshake is done, hand its messages on (also those that came in the
 * datagram that closed it), and drop it when it closed or failed.  x may
 * be freed.
 */
static void
td_after(struct trap_dtls *td, struct td_assoc *x, uint64_t now)
{
	const struct dtls_peer_info *pi;
	struct trap_dtls_peer	 p;
	enum dtls_state		 state;
	ssize_t			 n;

	td_flush(td, x);
	state = dtls_assoc_state(x->a);
	if (state == DTLS_HANDSHAKE)
		return;
	if (!x->open && state != DTLS_OPEN) {
		if (state == DTLS_FAILED)
			td_failed(td, x);
		else {
			td->st.peer_closed++;
			td_drop(td, x, "close_notify from the sender", false);
		}
		return;
	}
	if (!x->open) {
		TAILQ_REMOVE(&td->hs, x, q);
		td->nhs--;
		x->open = true;
		TAILQ_INSERT_TAIL(&td->open, x, q);
		td->nopen++;
		td->st.established++;
		pi = dtls_assoc_peer(x->a);
		td_event_auth(td, x, pi, 0, NULL);
		td_event_status(td, x, "established", 0, NULL);
		td_event_conn(td, x, true, NULL);
		log_repeat_clear(&td->rep_fail, "traps: DTLS handshakes "
		    "succeed again");
		log_debug("traps: %s: DTLS association with %s port %u: %s "
		    "(rule %d, %s)", td->spec, x->addr, x->port,
		    pi->security_name, pi->map_rule + 1,
		    dtls_accept_name(pi->accepted));
	} else {
		TAILQ_REMOVE(&td->open, x, q);
		TAILQ_INSERT_TAIL(&td->open, x, q);
	}
	x->last_ms = now;
	p.id = x->id;
	p.from = (struct sockaddr *)&x->peer;
	p.fromlen = x->peerlen;
	p.info = dtls_assoc_peer(x->a);
	while ((n = dtls_assoc_recv(x->a, td->buf, sizeof(td->buf))) > 0) {
		td->st.messages++;
		td->cb(td->arg, &p, td->buf, (size_t)n);
	}
	td_flush(td, x);
	switch (dtls_assoc_state(x->a)) {
	case DTLS_FAILED:
		td_failed(td, x);
		break;
	case DTLS_CLOSED:
		td->st.peer_closed++;
		td_drop(td, x, "close_notify from the sender", false);
		break;
	default:
		break;
	}
}

/* Room for one more handshake and association under the bounds. */
static void
td_make_room(struct trap_dtls *td)
{
	struct td_assoc	*x;

	while (td->nhs >= td->max_hs && ((x = td_hs_victim(td)) != NULL ||
	    (x = TAILQ_FIRST(&td->hs)) != NULL)) {
		td->st.evicted++;
		td_drop(td, x, "evicted: too many handshakes in progress",
		    false);
	}
	while (td->nhs + td->nopen >= td->max_assocs) {
		if ((x = TAILQ_FIRST(&td->open)) == NULL)
			x = TAILQ_FIRST(&td->hs);
		if (x == NULL)
			break;
		td->st.evicted++;
		td_drop(td, x, "evicted: too many associations", true);
	}
}

/* RFC 6347 4.1: a handshake record (22) of epoch 0 that is a
 * ClientHello (handshake type 1). */
static bool
td_is_client_hello(const uint8_t *p, size_t n)
{
	return n >= 14 && p[0] == 22 && p[3] == 0 && p[4] == 0 && p[13] == 1;
}

/* No association for this source (or a new ClientHello on an open one):
 * the cookie exchange. */
static void
td_listen(struct trap_dtls *td, struct td_assoc *old, const uint8_t *key,
    const uint8_t *dgram, size_t n, const struct sockaddr *from,
    socklen_t fromlen, uint64_t now)
{
	struct dtls_assoc	*a = NULL;
	struct td_assoc		*x;
	ssize_t			 m;
	int			 r;

	if (now - td->rekeyed_ms >= TD_REKEY_MS) {
		(void)dtls_ctx_new_cookie_secret(td->ctx);
		td->rekeyed_ms = now;
	}
	r = dtls_listen(td->lis, key, TD_KEY_LEN, dgram, n, now, &a);
	if (r == 0) {
		if ((m = dtls_listener_output(td->lis, td->buf,
		    sizeof(td->buf))) > 0) {
			td->st.cookies++;
			(void)transport_send(td->fd, td->buf, (size_t)m, from,
			    fromlen);
		} else
			td->st.dropped++;
		return;
	}
	if (r == -1) {
		log_repeat(&td->rep_fail, "traps: %s: DTLS: error %d: %s",
		    td->spec, snmpmgr_lasterr(), snmpmgr_lasterr_detail());
		return;
	}
	if (old != NULL)
		td_drop(td, old, "a new handshake from the same address",
		    false);
	td_make_room(td);
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		dtls_assoc_free(a);
		return;
	}
	x->a = a;
	x->id = ++td->next_id;
	memcpy(x->key, key, TD_KEY_LEN);
	x->hash = td_hash(key);
	x->peerlen = fromlen <= sizeof(x->peer) ? fromlen : sizeof(x->peer);
	memcpy(&x->peer, from, x->peerlen);
	td_key_text(key, x->addr, &x->port);
	x->start_ms = x->last_ms = now;
	x->hnext = td->hash[x->hash & (td->hsize - 1)];
	td->hash[x->hash & (td->hsize - 1)] = x;
	TAILQ_INSERT_TAIL(&td->hs, x, q);
	td->nhs++;
	td->st.handshakes++;
	td_event_status(td, x, "handshake", 0, NULL);
	td_after(td, x, now);
	td_tick_arm(td);
}

void
trap_dtls_input(struct trap_dtls *td, const uint8_t *dgram, size_t n,
    const struct sockaddr *from, socklen_t fromlen)
{
	struct td_assoc	*x;
	uint8_t		 key[TD_KEY_LEN];
	uint64_t	 now = td_now(), dropped;

	td_key(from, key);
	if (key[0] == 0)
		return;
	if ((x = td_find(td, key)) == NULL ||
	    (x->open && td_is_client_hello(dgram, n))) {
		td_listen(td, x, key, dgram, n, from, fromlen, now);
		return;
	}
	/* A record that does not authenticate is dropped inside. */
	dropped = dtls_assoc_dropped(x->a);
	(void)dtls_assoc_input(x->a, dgram, n, now);
	if ((dropped = dtls_assoc_dropped(x->a) - dropped) > 0) {
		td->st.records_dropped += dropped;
		log_debug("traps: %s: DTLS association with %s port %u: %llu "
		    "invalid record(s) of %zu octets dropped", td->spec,
		    x->addr, x->port, (unsigned long long)dropped, n);
	}
	td_after(td, x, now);
	td_tick_arm(td);
}

int
trap_dtls_send(struct trap_dtls *td, uint64_t id, const uint8_t *msg,
    size_t len, const struct sockaddr *to)
{
	struct td_assoc	*x;
	uint8_t		 key[TD_KEY_LEN];

	td_key(to, key);
	if ((x = td_find(td, key)) == NULL || x->id != id || !x->open ||
	    dtls_assoc_state(x->a) != DTLS_OPEN)
		return -1;
	if (dtls_assoc_send(x->a, msg, len) == -1) {
		td->st.send_errors++;
		log_repeat(&td->rep_send, "traps: %s: to %s port %u: error "
		    "%d: %s", td->spec, x->addr, x->port, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail());
		return -1;
	}
	td->st.sent++;
	td_flush(td, x);
	return 0;
}

/* ------------------------------------------------------------ timer */

static void
td_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct trap_dtls	*td = arg;
	struct td_assoc		*x, *nx;
	uint64_t		 now = td_now(), dl;

	(void)fd;
	(void)ev;
	for (x = TAILQ_FIRST(&td->hs); x != NULL; x = nx) {
		nx = TAILQ_NEXT(x, q);
		if (now - x->start_ms >= td->hs_ms) {
			td->st.failed++;
			td->st.timeouts++;
			log_repeat(&td->rep_fail, "traps: %s: DTLS handshake "
			    "from %s port %u: error %d: not done within %u "
			    "ms", td->spec, x->addr, x->port,
			    SNMPMGR_ERR_TLS_HANDSHAKE, td->hs_ms);
			td_drop(td, x, "handshake timed out", false);
			continue;
		}
		if (dtls_assoc_deadline(x->a, now, &dl) && dl <= now) {
			(void)dtls_assoc_timer(x->a, now);
			td_after(td, x, now);
		}
	}
	while ((x = TAILQ_FIRST(&td->open)) != NULL &&
	    now - x->last_ms >= td->idle_ms) {
		td->st.idle_closed++;
		td_drop(td, x, "idle", true);
	}
	td_tick_arm(td);
}

/* ------------------------------------------------------------ life */

struct trap_dtls *
trap_dtls_new(struct daemon *d, int fd, const char *spec,
    const struct config_traps_tls *conf, trap_dtls_msg_cb cb, void *arg)
{
	struct trap_dtls	*td;
	struct dtls_opts	 o;

	if ((td = calloc(1, sizeof(*td))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		return NULL;
	}
	td->d = d;
	td->fd = fd;
	snprintf(td->spec, sizeof(td->spec), "%s", spec);
	td->cb = cb;
	td->arg = arg;
	td->max_assocs = conf->max_associations;
	td->max_hs = conf->max_handshakes;
	td->idle_ms = conf->idle_timeout_ms;
	td->hs_ms = conf->handshake_timeout_ms;
	TAILQ_INIT(&td->hs);
	TAILQ_INIT(&td->open);
	td->hsize = 64;
	while (td->hsize < td->max_assocs)
		td->hsize *= 2;
	td->rekeyed_ms = td_now();
	config_traps_tls_opts(conf, &o);
	if ((td->ctx = dtls_ctx_new(&o)) == NULL ||
	    (td->lis = dtls_listener_new(td->ctx)) == NULL)
		goto fail;
	if ((td->hash = calloc(td->hsize, sizeof(*td->hash))) == NULL ||
	    (td->tick = evtimer_new(d->base, td_tick_cb, td)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		goto fail;
	}
	return td;
 fail:
	trap_dtls_free(td);
	return NULL;
}

void
trap_dtls_free(struct trap_dtls *td)
{
	struct td_assoc	*x;

	if (td == NULL)
		return;
	if (td->tick != NULL)
		event_free(td->tick);
	if (td->hash != NULL) {
		while ((x = TAILQ_FIRST(&td->hs)) != NULL)
			td_drop(td, x, "listener closed", false);
		while ((x = TAILQ_FIRST(&td->open)) != NULL)
			td_drop(td, x, "listener closed", true);
	}
	free(td->hash);
	free(td->src);
	dtls_listener_free(td->lis);
	dtls_ctx_free(td->ctx);
	free(td);
}

void
trap_dtls_get_stats(const struct trap_dtls *td, struct trap_dtls_stats *st)
{
	*st = td->st;
	st->associations = td->nhs + td->nopen;
	st->handshaking = td->nhs;
}
