/*
 * session.c - the request engine: sessions, outstanding requests,
 * retransmission and response matching, and the v1/v2c message processing.
 *
 * Every outstanding request of the manager sits in its request table
 * (reqtab.c: a hash by request ID and a min-heap by next deadline), so
 * sending, matching and timing out cost O(1) and O(log n) however many
 * sessions are busy.  Request IDs come from one counter per manager that
 * starts at a random 31-bit value and only increases (wrapping within the
 * positive int32 range), so many sessions can share one socket.  A
 * retransmission resends the very same bytes, request ID included, as
 * Net-SNMP does for v1/v2c.
 *
 * The engine owns no event loop, clock or socket: it reaches them through
 * struct sess_io, which daemon/sess_event.c binds to libevent and the
 * tests to a fake clock.
 *
 * Message processing is per version (struct sess_vops): v1 and v2c
 * (RFC 1157 4, RFC 1901 3) here, and v3 with USM (RFC 3412 7, RFC 3414 3)
 * in sess_v3.c; sess_int.h is what the two share.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <openssl/crypto.h>

#include "errors.h"
#include "limits.h"
#include "pdu.h"
#include "reqtab.h"
#include "sess_int.h"
#include "session.h"
#include "transport.h"
#include "usm.h"

/* Hash slots of a new manager's request table. */
#define SESS_HASH_MIN		256

struct sess_watcher {
	struct sess_watcher	*next;
	sess_gone_cb		*gone;
	sess_intr_cb		*intr;
	void			*arg;
	uint64_t		 intr_gen;	/* last interrupt told */
};

/*
 * One version's message processing.  prepare encodes an outgoing PDU
 * into buf (returning its length and start); incoming checks a decoded
 * message and gives the key that matches it to a request.
 */
struct sess_vops {
	ssize_t	(*prepare)(struct sess *, const struct snmp_pdu *,
		    const struct snmp_vbl *, uint8_t *, size_t,
		    const uint8_t **);
	int	(*incoming)(struct sess_mgr *, struct snmp_msg *, int32_t *);
};

static ssize_t	sess_v12_prepare(struct sess *, const struct snmp_pdu *,
		    const struct snmp_vbl *, uint8_t *, size_t,
		    const uint8_t **);
static int	sess_v12_incoming(struct sess_mgr *, struct snmp_msg *,
		    int32_t *);

static const struct sess_vops sess_v12_ops = {
	sess_v12_prepare,
	sess_v12_incoming,
};

void
sess_opts_default(struct sess_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 161;
	o->transport = SESS_TRANSPORT_UDP;
	o->version = SNMP_V2C;
	snprintf(o->community, sizeof(o->community), "public");
	o->timeout_ms = 5000;
	o->retries = 2;
	o->max_repetitions = 25;
	o->non_repeaters = 0;
	o->walk_limit = 0;
	o->walk_inside_range = true;
	o->check_message_origin = true;
	o->ignore_port_mismatch = false;
	o->check_version = true;
	o->ignore_duplicate_response = true;
	o->dscp = -1;
	o->max_packet_size = 65535;
	o->resolve_interval_ms = 300000;
	o->enabled = true;
	o->accept_data = true;
	o->v3.level = SESS_LEVEL_DEFAULT;
	o->v3.msg_max_size = SNMPMGR_MAX_MSG_SIZE;
}

void
sess_opts_release(struct sess_opts *o)
{
	usm_cred_free(o->v3.cred);
	o->v3.cred = NULL;
}

/* ------------------------------------------------------------ manager */

/* Ask the loop for a timer at the earliest deadline when it is earlier
 * than the one asked for, or none is left: for a later one the standing
 * timer comes, finds nothing due and asks anew (sess_mgr_timer). */
void
sess_mgr_rewake(struct sess_mgr *m)
{
	struct reqtab_ent *first = reqtab_heap_first(&m->rt);
	uint64_t when = first != NULL ? first->deadline : 0;

	if (when == 0 && first != NULL)
		when = 1;
	if (when == m->wake_at || (when != 0 && m->wake_at != 0 &&
	    when > m->wake_at))
		return;
	m->wake_at = when;
	if (m->io.wake != NULL)
		m->io.wake(m->io.arg, when);
}

struct sess_mgr *
sess_mgr_new(const struct sess_io *io)
{
	struct sess_mgr *m;

	if (io == NULL || io->now_us == NULL || io->send == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->io = *io;
	TAILQ_INIT(&m->sessions);
	if (reqtab_init(&m->rt, SESS_HASH_MIN) == -1)
		goto fail;
	if ((m->vb = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*m->vb))) == NULL ||
	    (m->raw = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*m->raw))) == NULL)
		goto fail;
	if ((m->ebuf = malloc(SNMPMGR_MAX_MSG_SIZE)) == NULL)
		goto fail;
	/* A random 31-bit start, never 0. */
	m->next_id = (int32_t)(arc4random() & 0x7fffffff);
	if (m->next_id == 0)
		m->next_id = 1;
	return m;

 fail:
	sess_mgr_free(m);
	return NULL;
}

static void	sess_destroy(struct sess *, int);

void
sess_mgr_free(struct sess_mgr *m)
{
	struct sess *s;

	if (m == NULL)
		return;
	while ((s = TAILQ_FIRST(&m->sessions)) != NULL)
		sess_destroy(s, 0);
	reqtab_release(&m->rt);
	free(m->vb);
	free(m->raw);
	free(m->ebuf);
	usm_cache_free(m->cache);
	free(m->sbuf);
	if (m->dbuf != NULL)
		OPENSSL_cleanse(m->dbuf, SNMPMGR_MAX_DGRAM);
	free(m->dbuf);
	free(m);
}

void
sess_mgr_set_badpkt_cb(struct sess_mgr *m, sess_badpkt_cb *cb, void *arg)
{
	m->badpkt = cb;
	m->badpkt_arg = arg;
}

const struct sess_stats *
sess_mgr_get_stats(const struct sess_mgr *m)
{
	return &m->stats;
}

/* The next request ID: increasing, positive, not in use. */
static int32_t
sess_mgr_next_id(struct sess_mgr *m)
{
	int32_t id;

	do {
		id = m->next_id;
		m->next_id = id == INT32_MAX ? 1 : id + 1;
	} while (reqtab_hash_find(&m->rt, id) != NULL);
	return id;
}

void
sess_recent_add(struct sess_mgr *m, struct sess *s, int32_t id)
{
	m->recent[m->recent_pos].id = id;
	m->recent[m->recent_pos].s = s;
	m->recent_pos = (m->recent_pos + 1) % SESS_RECENT;
}

struct sess *
sess_recent_find(const struct sess_mgr *m, int32_t id)
{
	size_t i;

	for (i = 0; i < SESS_RECENT; i++)
		if (m->recent[i].s != NULL && m->recent[i].id == id)
			return m->recent[i].s;
	return NULL;
}

static void
sess_recent_forget(struct sess_mgr *m, const struct sess *s)
{
	size_t i;

	for (i = 0; i < SESS_RECENT; i++)
		if (m->recent[i].s == s)
			m->recent[i].s = NULL;
}

/* ------------------------------------------------------------ sessions */

struct sess *
sess_new(struct sess_mgr *m, const struct sess_opts *opts)
{
	const struct sess_opts *blk;
	struct sess *s;

	if (sess_check_opts(opts) == -1)
		return NULL;
	if ((blk = sess_opts_intern(opts)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	s = sess_new_blk(m, blk, opts->host);
	sess_opts_drop(blk);
	return s;
}

struct sess *
sess_new_blk(struct sess_mgr *m, const struct sess_opts *blk,
    const char *host)
{
	struct sockaddr_storage ss;
	struct sess *s;

	if (sess_check_opts(blk) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	s->m = m;
	if ((s->host = strndup(host, sizeof(blk->host) - 1)) == NULL) {
		free(s);
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	s->opts = sess_opts_hold(blk);
	s->vops = &sess_v12_ops;
	TAILQ_INIT(&s->reqs);
	if (s->opts->version == SNMP_V3 && sess_v3_new(s) == -1)
		goto fail;
	switch (sess_lookup(m, s, s->opts, s->host, &ss, &s->addrlen)) {
	case -1:
		goto fail;
	case 0:
		/* Attached once the address is known (sess_resolved). */
		s->resolving = true;
		s->lookup_out = true;
		break;
	default:
		if (s->addrlen > sizeof(s->addr)) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: no "
			    "usable address", s->host);
			goto fail;
		}
		memcpy(&s->addr, &ss, s->addrlen);
		if (m->io.attach != NULL && m->io.attach(m->io.arg, s) == -1)
			goto fail;
		s->attached = 1;
	}
	TAILQ_INSERT_TAIL(&m->sessions, s, entry);
	return s;

 fail:
	sess_lookup_forget(s);
	sess_v3_free(s);
	sess_opts_drop(s->opts);
	free(s->host);
	free(s->usm);
	free(s);
	return NULL;
}

/* Take r out of the table, the heap and its session's list. */
void
sess_req_unlink(struct sess_req *r)
{
	struct sess *s = r->s;
	struct sess_mgr *m = s->m;

	reqtab_hash_remove(&m->rt, &r->ent);
	if (r->ent.in_heap)
		reqtab_heap_remove(&m->rt, &r->ent);
	if (r->waiting) {
		TAILQ_REMOVE(&s->v3->waitq, r, wentry);
		r->waiting = false;
	}
	if (s->v3 != NULL && s->v3->probe == r)
		s->v3->probe = NULL;
	TAILQ_REMOVE(&s->reqs, r, entry);
	s->npending--;
}

void
sess_req_destroy(struct sess_req *r)
{
	free(r->buf);
	free(r->pdu);
	free(r);
}

/* End r with an error (0: a broadcast's collection ends): unlink, call
 * back with the answers it had (and resend, sess_result), free. */
void
sess_req_end(struct sess_req *r, int error, bool resend)
{
	struct sess_result res;

	sess_req_unlink(r);
	memset(&res, 0, sizeof(res));
	res.error = error;
	res.answers = r->answers;
	res.resend = resend;
	res.tries = r->tries;
	r->in_cb = 1;
	if (r->cb != NULL)
		r->cb(r, &res, r->arg);
	sess_req_destroy(r);
}

/*
 * Free s.  With callbacks, each outstanding request ends with
 * SNMPMGR_ERR_INTERRUPTED and the watchers are told.
 */
static void
sess_destroy(struct sess *s, int callbacks)
{
	struct sess_mgr *m = s->m;
	struct sess_req *r;
	struct sess_watcher *w;

	s->dying = 1;
	while ((r = TAILQ_FIRST(&s->reqs)) != NULL) {
		if (callbacks)
			sess_req_fail(r, SNMPMGR_ERR_INTERRUPTED);
		else {
			sess_req_unlink(r);
			sess_req_destroy(r);
		}
	}
	while ((w = s->watchers) != NULL) {
		s->watchers = w->next;
		if (callbacks)
			w->gone(s, w->arg);
		free(w);
	}
	if (s->attached && m->io.detach != NULL)
		m->io.detach(m->io.arg, s);
	sess_lookup_forget(s);
	sess_recent_forget(m, s);
	TAILQ_REMOVE(&m->sessions, s, entry);
	sess_v3_free(s);
	sess_opts_drop(s->opts);
	free(s->host);
	free(s->usm);
	free(s);
	sess_mgr_rewake(m);
}

void
sess_free(struct sess *s)
{
	if (s == NULL || s->dying)
		return;
	sess_destroy(s, 1);
}

static bool
sess_sock_opts_differ(const struct sess_opts *a, const struct sess_opts *b)
{
	return strcmp(a->local_host, b->local_host) != 0 ||
	    a->local_port != b->local_port ||
	    a->force_local_port != b->force_local_port ||
	    a->share_local_port != b->share_local_port ||
	    a->use_connection != b->use_connection ||
	    a->dont_fragment != b->dont_fragment ||
	    a->broadcast != b->broadcast ||
	    a->dscp != b->dscp ||
	    a->in_buffer_size != b->in_buffer_size ||
	    a->out_buffer_size != b->out_buffer_size;
}

int
sess_set_opts(struct sess *s, const struct sess_opts *opts)
{
	struct sess_mgr *m = s->m;
	const struct sess_opts *old = s->opts, *nb;
	char *oldhost = s->host, *nhost;
	union sess_sockaddr oldaddr = s->addr;
	struct sockaddr_storage addr;
	socklen_t oldlen = s->addrlen, addrlen = s->addrlen;
	char detail[256];
	bool moved, resock;
	int err;

	if (sess_check_opts(opts) == -1)
		return -1;
	if ((nb = sess_opts_intern(opts)) == NULL)
		return -1;
	if ((nhost = strndup(opts->host, sizeof(opts->host) - 1)) == NULL) {
		sess_opts_drop(nb);
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	moved = strcmp(nhost, oldhost) != 0 || nb->port != old->port ||
	    nb->transport != old->transport;
	/* What walks learnt holds for this agent, from the size they were
	 * given: another agent or another size starts afresh. */
	if (moved) {
		memset(&s->walk_ceil, 0, sizeof(s->walk_ceil));
		memset(&s->walk_cols, 0, sizeof(s->walk_cols));
	}
	if (moved || nb->max_repetitions != old->max_repetitions)
		s->walk_hint = 0;
	memset(&addr, 0, sizeof(addr));
	memcpy(&addr, &s->addr, sizeof(s->addr));
	if (moved || s->resolving) {
		sess_lookup_forget(s);
		switch (sess_lookup(m, s, nb, nhost, &addr, &addrlen)) {
		case -1:
			sess_opts_drop(nb);
			free(nhost);
			return -1;
		case 0:
			/* Wait for the new name; attach when it is known. */
			if (s->attached && m->io.detach != NULL)
				m->io.detach(m->io.arg, s);
			s->attached = 0;
			s->opts = nb;
			s->host = nhost;
			s->resolving = true;
			s->lookup_out = true;
			sess_v3_sync(s, old, moved);
			sess_opts_drop(old);
			free(oldhost);
			return 0;
		}
		s->resolving = false;
	}
	/* A connection or an association of its own goes with the agent. */
	resock = !s->attached || sess_sock_opts_differ(nb, old) ||
	    nb->transport != old->transport ||
	    (moved && (addr.ss_family != oldaddr.sa.sa_family ||
	    nb->use_connection ||
	    SESS_TRANSPORT_IS_STREAM(nb->transport) ||
	    nb->transport == SESS_TRANSPORT_DTLS));

	if (addrlen > sizeof(s->addr)) {
		sess_opts_drop(nb);
		free(nhost);
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: no usable "
		    "address", opts->host);
		return -1;
	}
	s->opts = nb;
	s->host = nhost;
	memcpy(&s->addr, &addr, addrlen);
	s->addrlen = addrlen;
	if (!resock) {
		sess_v3_sync(s, old, moved);
		sess_flush_unsent(s);
		sess_opts_drop(old);
		free(oldhost);
		return 0;
	}

	if (s->attached && m->io.detach != NULL)
		m->io.detach(m->io.arg, s);
	s->attached = 0;
	if (m->io.attach == NULL || m->io.attach(m->io.arg, s) == 0) {
		s->attached = 1;
		sess_v3_sync(s, old, moved);
		sess_flush_unsent(s);
		sess_opts_drop(old);
		free(oldhost);
		return 0;
	}
	/* Put the old options back; keep the reason of the failure. */
	err = snmpmgr_lasterr();
	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	s->opts = old;
	s->host = oldhost;
	s->addr = oldaddr;
	s->addrlen = oldlen;
	sess_opts_drop(nb);
	free(nhost);
	if (m->io.attach(m->io.arg, s) == 0)
		s->attached = 1;
	snmpmgr_seterr(err, "%s", detail);
	return -1;
}

const struct sess_opts *
sess_get_opts(const struct sess *s)
{
	return s->opts;
}

const char *
sess_get_host(const struct sess *s)
{
	return s->host;
}

void
sess_copy_opts(const struct sess *s, struct sess_opts *out)
{
	sess_opts_compose(out, s->opts, s->host);
}

uint32_t
sess_walk_hint(const struct sess *s)
{
	return s->walk_hint;
}

void
sess_set_walk_hint(struct sess *s, uint32_t rep)
{
	s->walk_hint = rep;
}

/* Ask a bound once for a walk: it counts down and lapses. */
static uint32_t
sess_bound_take(struct sess_walk_bound *b)
{
	if (b->walks > 0 && --b->walks == 0)
		b->value = 0;
	return b->value;
}

static void
sess_bound_set(struct sess_walk_bound *b, uint32_t value)
{
	b->value = value;
	b->walks = SNMPMGR_WALK_CEIL_WALKS + 1;
}

uint32_t
sess_walk_ceil(struct sess *s)
{
	return sess_bound_take(&s->walk_ceil);
}

void
sess_set_walk_ceil(struct sess *s, uint32_t rep)
{
	sess_bound_set(&s->walk_ceil, rep);
}

uint32_t
sess_walk_cols(struct sess *s)
{
	return sess_bound_take(&s->walk_cols);
}

void
sess_set_walk_cols(struct sess *s, uint32_t cols)
{
	sess_bound_set(&s->walk_cols, cols);
}

/* A bound as it stands, without taking a walk: its value and the walks
 * it still holds for, both 0 when none. */
static void
sess_bound_peek(const struct sess_walk_bound *b, uint32_t *value,
    uint32_t *walks)
{
	*value = b->walks > 1 ? b->value : 0;
	*walks = b->walks > 1 ? b->walks - 1 : 0;
}

void
sess_walk_info(const struct sess *s, struct sess_walk_info *out)
{
	out->hint = s->walk_hint;
	sess_bound_peek(&s->walk_ceil, &out->ceil, &out->ceil_walks);
	sess_bound_peek(&s->walk_cols, &out->cols, &out->cols_walks);
}

const struct sess_stats *
sess_get_stats(const struct sess *s)
{
	return &s->stats;
}

const struct sess_usm_stats *
sess_get_usm_stats(const struct sess *s)
{
	static const struct sess_usm_stats none;

	return s->usm != NULL ? s->usm : &none;
}

const struct sockaddr *
sess_addr(const struct sess *s, socklen_t *len)
{
	if (len != NULL)
		*len = s->addrlen;
	return (const struct sockaddr *)&s->addr;
}

void
sess_set_lookup(struct sess *s, void *lookup)
{
	s->lookup = lookup;
}

void *
sess_get_lookup(const struct sess *s)
{
	return s->lookup;
}

void
sess_set_sock(struct sess *s, void *sock)
{
	s->sock = sock;
}

void *
sess_get_sock(const struct sess *s)
{
	return s->sock;
}

void
sess_set_udata(struct sess *s, void *udata)
{
	s->udata = udata;
}

void *
sess_get_udata(const struct sess *s)
{
	return s->udata;
}

struct sess_mgr *
sess_get_mgr(const struct sess *s)
{
	return s->m;
}

size_t
sess_pending(const struct sess *s)
{
	return s->npending;
}

int
sess_watch(struct sess *s, sess_gone_cb *gone, void *arg)
{
	return sess_watch_intr(s, gone, NULL, arg);
}

int
sess_watch_intr(struct sess *s, sess_gone_cb *gone, sess_intr_cb *intr,
    void *arg)
{
	struct sess_watcher *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->gone = gone;
	w->intr = intr;
	w->arg = arg;
	/* Not told by an interrupt that is running now. */
	w->intr_gen = s->intr_gen;
	w->next = s->watchers;
	s->watchers = w;
	return 0;
}

void
sess_unwatch(struct sess *s, sess_gone_cb *gone, void *arg)
{
	struct sess_watcher **pp, *w;

	for (pp = &s->watchers; (w = *pp) != NULL; pp = &w->next) {
		if (w->gone == gone && w->arg == arg) {
			*pp = w->next;
			free(w);
			return;
		}
	}
}

/* ------------------------------------------------------------ v1/v2c */

/* RFC 1157 4.1, RFC 1901 3: community-based message around the PDU. */
static ssize_t
sess_v12_prepare(struct sess *s, const struct snmp_pdu *pdu,
    const struct snmp_vbl *vbl, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	struct snmp_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.version = s->opts->version;
	msg.community = (const uint8_t *)s->opts->community;
	msg.community_len = strlen(s->opts->community);
	msg.pdu = *pdu;
	return snmp_msg_encode_vbl(&msg, vbl, buf, size, out);
}

/* A community-based response is matched by its request-id. */
static int
sess_v12_incoming(struct sess_mgr *m, struct snmp_msg *msg, int32_t *key)
{
	if (msg->pdu.type != SNMP_PDU_RESPONSE) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "unexpected %s PDU",
		    snmp_pdu_type_name(msg->pdu.type) ?
		    snmp_pdu_type_name(msg->pdu.type) : "unknown");
		return -1;
	}
	*key = msg->pdu.request_id;
	return 0;
}

/* ------------------------------------------------------------ requests */

/* The agent's address and port as text, for details. */
static void
sess_addr_text(const struct sess *s, char *buf, size_t size)
{
	if (transport_addr_str(&s->addr.sa, s->addrlen, true, buf, size) ==
	    -1)
		snprintf(buf, size, "%s", s->host);
}

/*
 * Hand one datagram of s to io->send.  A failure that passes (a full
 * socket or interface buffer) is a lost datagram: counted, and the
 * retries run.  Any other (EACCES sending to a broadcast address,
 * ENETUNREACH, EHOSTUNREACH, EPERM from a firewall ...) would fail every
 * retry too, so it is counted and reported now: -1 with lasterr
 * SNMPMGR_ERR_SEND (SNMPMGR_ERR_MSG_TOO_LONG for EMSGSIZE) and the errno
 * text.
 */
int
sess_send(struct sess *s, const uint8_t *buf, size_t len)
{
	struct sess_mgr *m = s->m;
	char addr[SNMPMGR_MAX_HOSTNAME + TRANSPORT_ADDRSTRLEN];
	int e;

	errno = 0;
	if (m->io.send(m->io.arg, s, buf, len) == 0)
		return 0;
	e = errno;
	s->stats.send_errors++;
	switch (e) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case ENOBUFS:
	case ENOMEM:
	case EINTR:
		return 0;
	}
	sess_addr_text(s, addr, sizeof(addr));
	snmpmgr_seterr(e == EMSGSIZE ? SNMPMGR_ERR_MSG_TOO_LONG :
	    SNMPMGR_ERR_SEND, "sending %zu octets to %s: %s%s", len, addr,
	    e != 0 ? strerror(e) : "failed", e == EACCES ?
	    " (a broadcast address?)" : "");
	return -1;
}

/*
 * Send r (again).  0 when sent or lost on the way (a send that may pass
 * counts in send_errors and the retries still run); -1 with lasterr when
 * r cannot be sent (a send the system refuses, sess_send(); a v3
 * envelope that cannot be built or is too large for the agent).
 */
int
sess_transmit(struct sess_req *r, uint64_t now)
{
	struct sess *s = r->s;

	if (s->resolving) {
		/* Held until the address is known (sess_resolved). */
		r->sent_at = now;
		r->unsent = true;
		return 0;
	}
	r->unsent = false;
	r->conn_gen = s->conn_gen;
	r->tries++;
	if (r->is_v3)
		return sess_v3_transmit(r, now);
	r->sent_at = now;
	if (sess_send(s, r->buf, r->len) == -1)
		return -1;
	if (sess_tracing(s))
		sess_trace_out(s, r->buf, r->len, NULL, 0);
	return 0;
}

static uint64_t
sess_timeout_us(const struct sess *s)
{
	uint64_t ms = s->opts->timeout_ms;

	if (ms == 0)
		ms = 1;
	if (ms > SNMPMGR_MAX_TIMEOUT_MS)
		ms = SNMPMGR_MAX_TIMEOUT_MS;
	return ms * 1000;
}

/* r's wait per try: its own (sess_req_set_timing) or its session's. */
uint64_t
sess_req_timeout_us(const struct sess_req *r)
{
	return r->tmo_us != 0 ? r->tmo_us : sess_timeout_us(r->s);
}

void
sess_req_set_timing(struct sess_req *r, uint32_t timeout_ms,
    uint32_t retries)
{
	struct sess_mgr *m = r->s->m;

	if (timeout_ms == 0)
		timeout_ms = 1;
	if (timeout_ms > SNMPMGR_MAX_TIMEOUT_MS)
		timeout_ms = SNMPMGR_MAX_TIMEOUT_MS;
	r->tmo_us = (uint64_t)timeout_ms * 1000;
	r->tries_left = retries > SNMPMGR_MAX_RETRIES ? SNMPMGR_MAX_RETRIES :
	    retries;
	if (r->ent.in_heap) {
		r->ent.deadline = r->sent_at + r->tmo_us;
		reqtab_heap_update(&m->rt, &r->ent);
		sess_mgr_rewake(m);
	}
}


/*
 * Never ask for what cannot be taken: the most varbinds a legal answer to
 * pdu holds must fit what the decoder accepts (SNMPMGR_MAX_VARBINDS, the
 * size of the manager's decode scratch).  An answer to a GetBulk holds
 * up to N + M * R varbinds (RFC 3416 4.2.3: N non-repeaters, M the
 * others, R max-repetitions); to any other request, as many as it has.
 * 0, or -1 with SNMPMGR_ERR_TOO_MANY_OBJECTS.
 */
static int
sess_check_answer(const struct snmp_pdu *pdu)
{
	uint64_t n = pdu->nvb, nr, rep, most;

	if (n > SNMPMGR_MAX_VARBINDS) {
		snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS, "%zu varbinds, "
		    "at most %d in one request", pdu->nvb,
		    SNMPMGR_MAX_VARBINDS);
		return -1;
	}
	if (pdu->type != SNMP_PDU_GETBULK)
		return 0;
	/* RFC 3416 4.2.3: negative values count as 0. */
	nr = pdu->error_status < 0 ? 0 : (uint64_t)pdu->error_status;
	rep = pdu->error_index < 0 ? 0 : (uint64_t)pdu->error_index;
	if (nr > n)
		nr = n;
	most = nr + (n - nr) * rep;
	if (most <= SNMPMGR_MAX_VARBINDS)
		return 0;
	snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS, "a GetBulk of %llu "
	    "non-repeaters, %llu repeaters and max-repetitions %llu may be "
	    "answered with %llu varbinds, more than the %d taken in one "
	    "message: at most %llu max-repetitions here",
	    (unsigned long long)nr, (unsigned long long)(n - nr),
	    (unsigned long long)rep, (unsigned long long)most,
	    SNMPMGR_MAX_VARBINDS,
	    (unsigned long long)((SNMPMGR_MAX_VARBINDS - nr) / (n - nr)));
	return -1;
}

struct sess_req *
sess_request(struct sess *s, const struct snmp_pdu *pdu, sess_cb *cb,
    void *arg)
{
	return sess_request_vbl(s, pdu, NULL, cb, arg);
}

struct sess_req *
sess_request_vbl(struct sess *s, const struct snmp_pdu *pdu,
    const struct snmp_vbl *vbl, sess_cb *cb, void *arg)
{
	struct sess_mgr *m = s->m;
	struct sess_req *r = NULL;
	struct snmp_pdu p;
	const uint8_t *out;
	ssize_t len;
	size_t max;
	uint64_t now;

	if (!s->opts->enabled || s->dying) {
		snmpmgr_seterr(SNMPMGR_ERR_MUST_BE_ACTIVE, "session disabled");
		return NULL;
	}
	if (pdu->type == SNMP_PDU_GETBULK && s->opts->version == SNMP_V1) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "GetBulk needs SNMPv2c or SNMPv3");
		return NULL;
	}
	if (sess_check_answer(pdu) == -1)
		return NULL;
	if (s->npending >= SNMPMGR_MAX_SESSION_PENDING ||
	    m->rt.nheap >= SNMPMGR_MAX_PENDING) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "%zu requests outstanding",
		    s->npending);
		return NULL;
	}
	if (s->resolving && !s->lookup_out && sess_relookup(s) == -1)
		return NULL;
	if (s->opts->version == SNMP_V3)
		return sess_v3_request(s, pdu, vbl, cb, arg);
	if (reqtab_hash_grow(&m->rt) == -1)
		goto nomem;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->s = s;
	r->cb = cb;
	r->arg = arg;
	r->ent.id = sess_mgr_next_id(m);

	p = *pdu;
	p.request_id = r->ent.id;
	max = s->opts->max_packet_size;
	if (max == 0 || max > SNMPMGR_MAX_MSG_SIZE)
		max = SNMPMGR_MAX_MSG_SIZE;
	len = s->vops->prepare(s, &p, vbl, m->ebuf, SNMPMGR_MAX_MSG_SIZE,
	    &out);
	if (len == -1) {
		if (snmpmgr_lasterr() == 0)
			snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, NULL);
		goto fail;
	}
	if ((size_t)len > max) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "message of %zd octets, max_packet_size %zu", len, max);
		goto fail;
	}
	if ((r->buf = malloc(len)) == NULL)
		goto nomem;
	memcpy(r->buf, out, len);
	r->len = len;
	if (vbl != NULL && vbl->len <= (size_t)len)
		r->asked_len = vbl->len;	/* the message's tail */

	now = sess_now(m);
	r->tries_left = s->opts->retries > SNMPMGR_MAX_RETRIES ?
	    SNMPMGR_MAX_RETRIES : s->opts->retries;
	r->ent.deadline = now + sess_req_timeout_us(r);
	if (reqtab_heap_push(&m->rt, &r->ent) == -1)
		goto nomem;
	reqtab_hash_insert(&m->rt, &r->ent);
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	s->npending++;
	if (sess_transmit(r, now) == -1) {
		/* Refused by the system: said now, never a callback. */
		sess_req_unlink(r);
		goto fail;
	}
	s->stats.requests++;
	sess_mgr_rewake(m);
	return r;

 nomem:
	snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
 fail:
	if (r != NULL)
		sess_req_destroy(r);
	return NULL;
}

void
sess_req_cancel(struct sess_req *r)
{
	struct sess_mgr *m;

	if (r == NULL || r->in_cb)
		return;
	m = r->s->m;
	sess_req_unlink(r);
	sess_req_destroy(r);
	sess_mgr_rewake(m);
}

void
sess_req_interrupt(struct sess_req *r, const char *why)
{
	struct sess_mgr *m;

	if (r == NULL || r->in_cb)
		return;
	m = r->s->m;
	snmpmgr_seterr(SNMPMGR_ERR_INTERRUPTED, "%s",
	    why != NULL ? why : "interrupted");
	sess_req_fail(r, SNMPMGR_ERR_INTERRUPTED);
	sess_mgr_rewake(m);
}

size_t
sess_interrupt(struct sess *s, const char *why)
{
	struct sess_mgr *m = s->m;
	struct sess_req *r;
	struct sess_watcher *w;
	uint64_t gen;
	size_t n = 0;

	if (s->dying)
		return 0;
	if (why == NULL)
		why = "interrupted";
	/*
	 * What is outstanding now ends; callbacks may make new requests,
	 * which go to the tail of the list behind every doomed one.
	 */
	TAILQ_FOREACH(r, &s->reqs, entry) {
		r->doomed = true;
		if (r->kind != SESS_REQ_PROBE)
			n++;
	}
	while ((r = TAILQ_FIRST(&s->reqs)) != NULL && r->doomed) {
		snmpmgr_seterr(SNMPMGR_ERR_INTERRUPTED, "%s", why);
		sess_req_fail(r, SNMPMGR_ERR_INTERRUPTED);
	}
	/* Then the watchers that hold an operation between requests. */
	gen = ++s->intr_gen;
	for (;;) {
		for (w = s->watchers; w != NULL; w = w->next)
			if (w->intr != NULL && w->intr_gen != gen)
				break;
		if (w == NULL)
			break;
		w->intr_gen = gen;
		snmpmgr_seterr(SNMPMGR_ERR_INTERRUPTED, "%s", why);
		/* intr may unwatch, so the list is walked anew. */
		n += (size_t)w->intr(s, w->arg);
	}
	sess_mgr_rewake(m);
	return n;
}

size_t
sess_fail_requests(struct sess *s, int error, const char *detail)
{
	struct sess_mgr *m = s->m;
	struct sess_req *r;
	size_t n = 0;

	if (s->dying)
		return 0;
	/* As sess_interrupt(): requests made by the callbacks stay. */
	TAILQ_FOREACH(r, &s->reqs, entry)
		if (!r->in_cb)
			r->doomed = true;
	while ((r = TAILQ_FIRST(&s->reqs)) != NULL && r->doomed) {
		snmpmgr_seterr(error, "%s", detail != NULL ? detail : "");
		sess_req_fail(r, error);
		n++;
	}
	sess_mgr_rewake(m);
	return n;
}

void
sess_req_resend_on_timeout(struct sess_req *r)
{
	if (SESS_TRANSPORT_IS_STREAM(r->s->opts->transport))
		return;
	r->resend = true;
	r->tries_left = 0;
}

struct sess *
sess_req_sess(const struct sess_req *r)
{
	return r->s;
}

int32_t
sess_req_id(const struct sess_req *r)
{
	return r->ent.id;
}

/*
 * Is r still on the stream connection it was written on?  Then its try
 * passes without a resend (RFC 3430: no retransmission on a reliable
 * transport); the agent may still answer on that connection.
 */
static bool
sess_stream_holds(const struct sess_req *r)
{
	const struct sess *s = r->s;

	return SESS_TRANSPORT_IS_STREAM(s->opts->transport) && !s->resolving &&
	    !r->unsent && r->conn_gen == s->conn_gen;
}

void
sess_stream_lost(struct sess *s, int error, const char *detail,
    const uint8_t *buf, size_t len)
{
	s->conn_gen++;
	if (error != 0)
		sess_badpkt(s->m, s, error, detail,
		    (const struct sockaddr *)&s->addr, buf, len);
}

void
sess_stream_refused(struct sess *s, const char *why)
{
	s->stats.send_errors++;
	(void)sess_fail_requests(s, SNMPMGR_ERR_SEND, why);
}

void
sess_mgr_timer(struct sess_mgr *m)
{
	struct reqtab_ent *first;
	struct sess_req *r;
	uint64_t now;

	/* The timer that called us is spent: always ask anew. */
	m->wake_at = UINT64_MAX;
	now = sess_now(m);
	while ((first = reqtab_heap_first(&m->rt)) != NULL &&
	    first->deadline <= now) {
		r = sess_req_of(first);
		if (r->tries_left > 0) {
			r->tries_left--;
			r->ent.deadline = now + sess_req_timeout_us(r);
			reqtab_heap_update(&m->rt, &r->ent);
			if (sess_stream_holds(r))
				continue;
			if (!r->s->resolving)
				r->s->stats.retries++;
			if (sess_transmit(r, now) == -1)
				sess_req_fail(r, snmpmgr_lasterr());
			continue;
		}
		if (r->s->resolving) {
			/* Never sent: the name was not answered in time. */
			snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: no "
			    "answer to its name lookup yet",
			    r->s->host);
			sess_req_fail(r, SNMPMGR_ERR_NOT_IP_ADDRESS);
			continue;
		}
		if (r->answers > 0) {
			/* A broadcast's collection ends. */
			sess_req_fail(r, 0);
			continue;
		}
		if (r->resend && r->kind == SESS_REQ_PDU) {
			r->s->stats.retries++;	/* the caller's resend */
			sess_req_end(r, SNMPMGR_ERR_TIMEOUT, true);
			continue;
		}
		if (r->kind == SESS_REQ_PDU)
			r->s->stats.timeouts++;
		/* DTLS too: an agent that restarted lost the association
		 * without a word. */
		if ((sess_stream_holds(r) || (r->s->opts->transport ==
		    SESS_TRANSPORT_DTLS && r->kind == SESS_REQ_PDU)) &&
		    m->io.drop != NULL)
			m->io.drop(m->io.arg, r->s);
		snmpmgr_clearerr();
		sess_req_fail(r, SNMPMGR_ERR_TIMEOUT);
	}
	sess_mgr_rewake(m);
}

/* ------------------------------------------------------------ input */

void
sess_badpkt(struct sess_mgr *m, struct sess *s, int error, const char *detail,
    const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	socklen_t fromlen = 0;

	if (s != NULL)
		s->stats.bad_packets++;
	else
		m->stats.bad_packets++;
	if (s != NULL && sess_tracing(s)) {
		if (from != NULL)
			fromlen = from->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in);
		sess_trace_in(s, from, fromlen, buf, len, NULL, error,
		    detail);
	}
	if (m->badpkt != NULL)
		m->badpkt(m, s, error, detail, from, buf, len, m->badpkt_arg);
}

/* Same address (and port unless ignored) as the session's agent? */
static bool
sess_origin_ok(const struct sess *s, const struct sockaddr *from,
    socklen_t fromlen)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;
	bool port = !s->opts->ignore_port_mismatch;

	if (from == NULL || from->sa_family != s->addr.sa.sa_family)
		return false;
	if (from->sa_family == AF_INET) {
		if (fromlen < (socklen_t)sizeof(*a4))
			return false;
		a4 = (const struct sockaddr_in *)from;
		b4 = (const struct sockaddr_in *)&s->addr;
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr &&
		    (!port || a4->sin_port == b4->sin_port);
	}
	if (from->sa_family == AF_INET6) {
		if (fromlen < (socklen_t)sizeof(*a6))
			return false;
		a6 = (const struct sockaddr_in6 *)from;
		b6 = (const struct sockaddr_in6 *)&s->addr;
		return memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0 &&
		    (!port || a6->sin6_port == b6->sin6_port);
	}
	return false;
}

/*
 * A response that matches no outstanding request: a duplicate when recent
 * (the session of a request answered lately) may have sent it, counted and
 * dropped or reported as ignore_duplicate_response says; otherwise a bad
 * packet with detail unknown.
 */
void
sess_unmatched(struct sess_mgr *m, struct sess *owner, struct sess *recent,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len, const char *unknown)
{
	if (recent == NULL || (owner != NULL && owner != recent)) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET, unknown, from,
		    buf, len);
		return;
	}
	recent->stats.duplicates++;
	if (!recent->opts->ignore_duplicate_response) {
		sess_badpkt(m, recent, SNMPMGR_ERR_BAD_PACKET,
		    "duplicate response", from, buf, len);
		return;
	}
	if (sess_tracing(recent))
		sess_trace_in(recent, from, fromlen, buf, len, NULL, 0,
		    "duplicate response (ignored)");
}

/*
 * The checks every response to a request of s passes, whatever its
 * version: the socket it came in on, accept_data, its origin.  False when
 * it is dropped (counted and reported).
 */
bool
sess_input_accept(struct sess_mgr *m, struct sess *owner, struct sess *s,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len)
{
	if (owner != NULL && owner != s) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    "request ID of another session", from, buf, len);
		return false;
	}
	if (!s->opts->accept_data) {
		s->stats.dropped++;
		if (sess_tracing(s))
			sess_trace_in(s, from, fromlen, buf, len, NULL, 0,
			    "accept_data is off: dropped");
		return false;
	}
	/* A broadcast's answers come from each agent's own address. */
	if (s->opts->check_message_origin && !s->opts->broadcast &&
	    !sess_origin_ok(s, from, fromlen)) {
		s->stats.origin_mismatch++;
		sess_badpkt(m, s, SNMPMGR_ERR_ORIGIN,
		    "response from another address", from, buf, len);
		return false;
	}
	return true;
}

/* Microseconds from r's last send to now, clamped to 32 bits. */
static uint32_t
sess_req_rtt(const struct sess_req *r, uint64_t now)
{
	if (now <= r->sent_at)
		return 0;
	return now - r->sent_at > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(now - r->sent_at);
}

/* One more answer to a broadcast request r: call back, keep r until its
 * deadline, send it no more. */
static void
sess_req_answer_more(struct sess *s, struct sess_req *r,
    const struct snmp_pdu *pdu, const struct sockaddr *from,
    socklen_t fromlen, uint64_t now)
{
	struct sess_result res;

	s->stats.responses++;
	r->answers++;
	r->tries_left = 0;
	memset(&res, 0, sizeof(res));
	res.pdu = pdu;
	res.more = true;
	res.from = from;
	res.fromlen = fromlen;
	res.answers = r->answers;
	res.rtt_us = sess_req_rtt(r, now);
	r->in_cb = 1;
	if (r->cb != NULL)
		r->cb(r, &res, r->arg);
	r->in_cb = 0;
}

/* r is answered by pdu: unlink it, call back, free it. */
void
sess_req_complete(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const struct snmp_pdu *pdu, uint64_t now)
{
	struct sess_result res;

	sess_req_unlink(r);
	sess_recent_add(m, s, r->ent.id);
	s->stats.responses++;
	memset(&res, 0, sizeof(res));
	res.pdu = pdu;
	res.rtt_us = sess_req_rtt(r, now);
	res.tries = r->tries;
	s->stats.last_rtt_us = res.rtt_us;
	r->in_cb = 1;
	if (r->cb != NULL)
		r->cb(r, &res, r->arg);
	sess_req_destroy(r);
	sess_mgr_rewake(m);
}

/*
 * r's answer went past a bound of the engine (what says which): counted
 * and reported as a defective datagram of s, and r ends with 317 and the
 * reason instead of waiting for a timeout.
 */
void
sess_req_past_bound(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const char *what, const struct sockaddr *from, const uint8_t *buf,
    size_t len)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "answer past what snmpmgrd takes: "
	    "%s", what);
	sess_badpkt(m, s, SNMPMGR_ERR_DEFECTIVE, detail, from, buf, len);
	sess_recent_add(m, s, r->ent.id);
	snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "%s", detail);
	sess_req_fail(r, SNMPMGR_ERR_DEFECTIVE);
	sess_mgr_rewake(m);
}

void
sess_mgr_input(struct sess_mgr *m, struct sess *owner,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len)
{
	struct snmp_msg msg;
	struct snmp_vbl asked;
	struct sess_req *r;
	struct sess *s;
	char past[128];
	bool over = false;
	int32_t key;
	int rv;

	/* The answer to a request that gave its list (sess_request_vbl) is
	 * decoded against it; its request-id, read first, says whose. */
	if (snmp_msg_peek_id(buf, len, &key) == -1 || (r = sess_req_of(
	    reqtab_hash_find(&m->rt, key))) == NULL || r->asked_len == 0 ||
	    sess_tracing(r->s))
		r = NULL;
	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = m->vb;
	msg.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
	snmpmgr_clearerr();
	if (r != NULL) {
		asked.p = r->buf + r->len - r->asked_len;
		asked.len = r->asked_len;
		rv = snmp_msg_decode_expect(buf, len, &msg, m->raw, &asked);
	} else
		rv = snmp_msg_decode(buf, len, &msg);
	if (rv == -1) {
		if (snmpmgr_lasterr() != SNMPMGR_ERR_TOO_MANY_OBJECTS) {
			sess_badpkt(m, owner, SNMPMGR_ERR_DEFECTIVE,
			    snmpmgr_lasterr_detail(), from, buf, len);
			return;
		}
		/* More varbinds than we take, read up to them (pdu.h):
		 * whose answer it is can still be told. */
		snprintf(past, sizeof(past), "%s", snmpmgr_lasterr_detail());
		over = true;
	}
	if (msg.version == SNMP_V3) {
		sess_v3_input(m, owner, from, fromlen, buf, len, &msg,
		    over ? past : NULL);
		return;
	}
	if (sess_v12_ops.incoming(m, &msg, &key) == -1) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    snmpmgr_lasterr_detail(), from, buf, len);
		return;
	}

	if ((r = sess_req_of(reqtab_hash_find(&m->rt, key))) == NULL) {
		sess_unmatched(m, owner, sess_recent_find(m, key), from,
		    fromlen, buf, len, "response to an unknown request ID");
		return;
	}
	s = r->s;
	if (!sess_input_accept(m, owner, s, from, fromlen, buf, len))
		return;
	/* Never a community message for a v3 request, whatever
	 * check_version says. */
	if (r->is_v3 || (s->opts->check_version &&
	    msg.version != s->opts->version)) {
		s->stats.version_mismatch++;
		sess_badpkt(m, s, SNMPMGR_ERR_VERSION,
		    "response version differs from the session's", from,
		    buf, len);
		return;
	}
	if (over) {
		sess_req_past_bound(m, s, r, past, from, buf, len);
		return;
	}

	if (sess_tracing(s))
		sess_trace_in(s, from, fromlen, buf, len, &msg, 0, NULL);
	if (s->opts->broadcast)
		sess_req_answer_more(s, r, &msg.pdu, from, fromlen,
		    sess_now(m));
	else
		sess_req_complete(m, s, r, &msg.pdu, sess_now(m));
}
