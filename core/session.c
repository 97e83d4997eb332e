/*
 * session.c - the request engine: sessions, outstanding requests,
 * retransmission and response matching.
 *
 * Every outstanding request of the manager sits in a hash table keyed by
 * its request ID and in a binary min-heap ordered by its next deadline, so
 * sending, matching and timing out cost O(1) and O(log n) however many
 * sessions are busy.  Request IDs come from one counter per manager that
 * starts at a random 31-bit value and only increases (wrapping within the
 * positive int32 range), so many sessions can share one socket.  A
 * retransmission resends the very same bytes, request ID included, as
 * Net-SNMP does for v1/v2c.
 *
 * The engine owns no event loop, clock or socket: it reaches them through
 * struct sess_io, which sess_event.c binds to libevent and the tests to a
 * fake clock.
 *
 * Message processing is per version (struct sess_vops): v1 and v2c
 * (RFC 1157 4, RFC 1901 3) are here; v3 (RFC 3412 7.1) slots in beside them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "errors.h"
#include "limits.h"
#include "pdu.h"
#include "session.h"

/* Recently answered request IDs, to tell duplicates from strangers. */
#define SESS_RECENT		1024
#define SESS_HASH_MIN		256

struct sess_req {
	struct sess		*s;
	TAILQ_ENTRY(sess_req)	 entry;		/* on s->reqs */
	struct sess_req		*hnext;		/* hash chain */
	size_t			 hidx;		/* heap slot */
	int32_t			 id;
	uint32_t		 tries_left;
	uint64_t		 deadline;
	uint64_t		 sent_at;	/* last transmission */
	uint8_t			*buf;		/* the encoded message */
	size_t			 len;
	sess_cb			*cb;
	void			*arg;
	int			 in_cb;
};

struct sess_watcher {
	struct sess_watcher	*next;
	sess_gone_cb		*gone;
	void			*arg;
};

/*
 * One version's message processing.  prepare encodes an outgoing PDU
 * into buf (returning its length and start); incoming checks a decoded
 * message and gives the key that matches it to a request.
 */
struct sess_vops {
	ssize_t	(*prepare)(struct sess *, const struct snmp_pdu *, uint8_t *,
		    size_t, const uint8_t **);
	int	(*incoming)(struct sess_mgr *, struct snmp_msg *, int32_t *);
};

struct sess {
	struct sess_mgr		*m;
	TAILQ_ENTRY(sess)	 entry;
	struct sess_opts	 opts;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	struct sess_stats	 stats;
	const struct sess_vops	*vops;
	void			*sock;
	void			*udata;
	TAILQ_HEAD(, sess_req)	 reqs;
	size_t			 npending;
	struct sess_watcher	*watchers;
	int			 dying;
	int			 attached;
};

struct sess_recent {
	int32_t			 id;
	struct sess		*s;
};

struct sess_mgr {
	struct sess_io		 io;
	TAILQ_HEAD(, sess)	 sessions;

	struct sess_req		**hash;		/* by request ID */
	size_t			 hsize;		/* power of two */
	struct sess_req		**heap;		/* by deadline */
	size_t			 hcap;
	size_t			 npending;

	int32_t			 next_id;
	uint64_t		 wake_at;	/* last deadline asked for */

	struct sess_recent	 recent[SESS_RECENT];
	size_t			 recent_pos;

	struct snmp_varbind	*vb;		/* decode scratch */
	uint8_t			*ebuf;		/* encode scratch */
	struct sess_stats	 stats;		/* unmatched datagrams */

	sess_badpkt_cb		*badpkt;
	void			*badpkt_arg;
};

static ssize_t	sess_v12_prepare(struct sess *, const struct snmp_pdu *,
		    uint8_t *, size_t, const uint8_t **);
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
	o->enabled = true;
	o->accept_data = true;
}

/* ------------------------------------------------------------ heap */

static void
sess_heap_set(struct sess_mgr *m, size_t i, struct sess_req *r)
{
	m->heap[i] = r;
	r->hidx = i;
}

static void
sess_heap_up(struct sess_mgr *m, size_t i)
{
	struct sess_req *r = m->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (m->heap[parent]->deadline <= r->deadline)
			break;
		sess_heap_set(m, i, m->heap[parent]);
		i = parent;
	}
	sess_heap_set(m, i, r);
}

static void
sess_heap_down(struct sess_mgr *m, size_t i)
{
	struct sess_req *r = m->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= m->npending)
			break;
		if (child + 1 < m->npending &&
		    m->heap[child + 1]->deadline < m->heap[child]->deadline)
			child++;
		if (r->deadline <= m->heap[child]->deadline)
			break;
		sess_heap_set(m, i, m->heap[child]);
		i = child;
	}
	sess_heap_set(m, i, r);
}

/* Insert r; npending counts the heap's entries.  0 or -1. */
static int
sess_heap_push(struct sess_mgr *m, struct sess_req *r)
{
	struct sess_req **n;
	size_t cap;

	if (m->npending == m->hcap) {
		cap = m->hcap ? m->hcap * 2 : 64;
		if ((n = reallocarray(m->heap, cap, sizeof(*n))) == NULL)
			return -1;
		m->heap = n;
		m->hcap = cap;
	}
	sess_heap_set(m, m->npending, r);
	m->npending++;
	sess_heap_up(m, r->hidx);
	return 0;
}

static void
sess_heap_remove(struct sess_mgr *m, struct sess_req *r)
{
	size_t i = r->hidx;
	struct sess_req *last;

	m->npending--;
	if (i == m->npending)
		return;
	last = m->heap[m->npending];
	sess_heap_set(m, i, last);
	if (i > 0 && m->heap[(i - 1) / 2]->deadline > last->deadline)
		sess_heap_up(m, i);
	else
		sess_heap_down(m, i);
}

/* Deadline of r changed. */
static void
sess_heap_update(struct sess_mgr *m, struct sess_req *r)
{
	sess_heap_up(m, r->hidx);
	sess_heap_down(m, r->hidx);
}

/* ------------------------------------------------------------ hash */

static size_t
sess_hash_slot(const struct sess_mgr *m, int32_t id)
{
	uint32_t h = (uint32_t)id;

	h ^= h >> 16;
	h *= 0x45d9f3bU;
	h ^= h >> 16;
	return h & (m->hsize - 1);
}

static struct sess_req *
sess_hash_find(const struct sess_mgr *m, int32_t id)
{
	struct sess_req *r;

	for (r = m->hash[sess_hash_slot(m, id)]; r != NULL; r = r->hnext)
		if (r->id == id)
			return r;
	return NULL;
}

/* Grow the table when it holds more entries than slots.  0 or -1. */
static int
sess_hash_grow(struct sess_mgr *m)
{
	struct sess_req **old = m->hash, *r, *next;
	size_t oldsize = m->hsize, i, slot;

	if (m->npending < m->hsize)
		return 0;
	if ((m->hash = calloc(oldsize * 2, sizeof(*m->hash))) == NULL) {
		m->hash = old;
		return -1;
	}
	m->hsize = oldsize * 2;
	for (i = 0; i < oldsize; i++) {
		for (r = old[i]; r != NULL; r = next) {
			next = r->hnext;
			slot = sess_hash_slot(m, r->id);
			r->hnext = m->hash[slot];
			m->hash[slot] = r;
		}
	}
	free(old);
	return 0;
}

static void
sess_hash_insert(struct sess_mgr *m, struct sess_req *r)
{
	size_t slot = sess_hash_slot(m, r->id);

	r->hnext = m->hash[slot];
	m->hash[slot] = r;
}

static void
sess_hash_remove(struct sess_mgr *m, struct sess_req *r)
{
	struct sess_req **pp;

	for (pp = &m->hash[sess_hash_slot(m, r->id)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == r) {
			*pp = r->hnext;
			return;
		}
	}
}

/* ------------------------------------------------------------ manager */

/* Ask the loop for a timer at the earliest deadline, if it changed. */
static void
sess_mgr_rewake(struct sess_mgr *m)
{
	uint64_t when = m->npending ? m->heap[0]->deadline : 0;

	if (when == 0 && m->npending)
		when = 1;
	if (when == m->wake_at)
		return;
	m->wake_at = when;
	if (m->io.wake != NULL)
		m->io.wake(m->io.arg, when);
}

static uint64_t
sess_now(struct sess_mgr *m)
{
	return m->io.now_us(m->io.arg);
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
	m->hsize = SESS_HASH_MIN;
	if ((m->hash = calloc(m->hsize, sizeof(*m->hash))) == NULL)
		goto fail;
	if ((m->vb = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*m->vb))) == NULL)
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
	free(m->hash);
	free(m->heap);
	free(m->vb);
	free(m->ebuf);
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
	} while (sess_hash_find(m, id) != NULL);
	return id;
}

static void
sess_recent_add(struct sess_mgr *m, struct sess *s, int32_t id)
{
	m->recent[m->recent_pos].id = id;
	m->recent[m->recent_pos].s = s;
	m->recent_pos = (m->recent_pos + 1) % SESS_RECENT;
}

static struct sess *
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

static int
sess_check_opts(const struct sess_opts *o)
{
	if (o->transport == SESS_TRANSPORT_DTLS) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "SNMP over DTLS not supported yet");
		return -1;
	}
	if (o->transport != SESS_TRANSPORT_UDP &&
	    o->transport != SESS_TRANSPORT_UDP6) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown transport %d", (int)o->transport);
		return -1;
	}
	if (o->version == SNMP_V3) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "SNMPv3 not supported yet");
		return -1;
	}
	if (o->version != SNMP_V1 && o->version != SNMP_V2C) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION, "SNMP version %d",
		    (int)o->version);
		return -1;
	}
	if (o->use_connection && o->port == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_PORT_ZERO_CONNECTION, NULL);
		return -1;
	}
	return 0;
}

/*
 * Resolve the agent address: a numeric address first, then a (blocking)
 * name lookup.  udp takes either family, preferring IPv4 for names; udp6
 * takes IPv6 only.
 */
static int
sess_resolve(const struct sess_opts *o, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL, *ai, *pick = NULL;
	char port[8];
	int rc;

	if (o->host[0] == '\0') {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "no host given");
		return -1;
	}
	snprintf(port, sizeof(port), "%u", (unsigned)o->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->transport == SESS_TRANSPORT_UDP6 ?
	    AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(o->host, port, &hints, &res);
	if (rc != 0) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		rc = getaddrinfo(o->host, port, &hints, &res);
	}
	if (rc != 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: %s", o->host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (pick == NULL || (pick->ai_family != AF_INET &&
		    ai->ai_family == AF_INET))
			pick = ai;
	}
	if (pick == NULL || pick->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "%s: no address",
		    o->host);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*sslen = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct sess *
sess_new(struct sess_mgr *m, const struct sess_opts *opts)
{
	struct sess *s;

	if (sess_check_opts(opts) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	s->m = m;
	s->opts = *opts;
	s->opts.host[sizeof(s->opts.host) - 1] = '\0';
	s->opts.community[sizeof(s->opts.community) - 1] = '\0';
	s->opts.local_host[sizeof(s->opts.local_host) - 1] = '\0';
	s->vops = &sess_v12_ops;
	TAILQ_INIT(&s->reqs);
	if (sess_resolve(&s->opts, &s->addr, &s->addrlen) == -1)
		goto fail;
	if (m->io.attach != NULL && m->io.attach(m->io.arg, s) == -1)
		goto fail;
	s->attached = 1;
	TAILQ_INSERT_TAIL(&m->sessions, s, entry);
	return s;

 fail:
	free(s);
	return NULL;
}

/* Take r out of the table, the heap and its session's list. */
static void
sess_req_unlink(struct sess_req *r)
{
	struct sess *s = r->s;
	struct sess_mgr *m = s->m;

	sess_hash_remove(m, r);
	sess_heap_remove(m, r);
	TAILQ_REMOVE(&s->reqs, r, entry);
	s->npending--;
}

static void
sess_req_destroy(struct sess_req *r)
{
	free(r->buf);
	free(r);
}

/* End r with an error: unlink, call back, free. */
static void
sess_req_fail(struct sess_req *r, int error)
{
	struct sess_result res;

	sess_req_unlink(r);
	memset(&res, 0, sizeof(res));
	res.error = error;
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
	sess_recent_forget(m, s);
	TAILQ_REMOVE(&m->sessions, s, entry);
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
	    a->dscp != b->dscp ||
	    a->in_buffer_size != b->in_buffer_size ||
	    a->out_buffer_size != b->out_buffer_size;
}

int
sess_set_opts(struct sess *s, const struct sess_opts *opts)
{
	struct sess_mgr *m = s->m;
	struct sess_opts old = s->opts;
	struct sockaddr_storage oldaddr = s->addr, addr;
	socklen_t oldlen = s->addrlen, addrlen = s->addrlen;
	char detail[256];
	bool moved, resock;
	int err;

	if (sess_check_opts(opts) == -1)
		return -1;
	moved = strcmp(opts->host, old.host) != 0 || opts->port != old.port ||
	    opts->transport != old.transport;
	addr = s->addr;
	if (moved && sess_resolve(opts, &addr, &addrlen) == -1)
		return -1;
	resock = sess_sock_opts_differ(opts, &old) ||
	    (moved && (addr.ss_family != oldaddr.ss_family ||
	    opts->use_connection));

	s->opts = *opts;
	s->opts.host[sizeof(s->opts.host) - 1] = '\0';
	s->opts.community[sizeof(s->opts.community) - 1] = '\0';
	s->opts.local_host[sizeof(s->opts.local_host) - 1] = '\0';
	s->addr = addr;
	s->addrlen = addrlen;
	if (!resock)
		return 0;

	if (s->attached && m->io.detach != NULL)
		m->io.detach(m->io.arg, s);
	s->attached = 0;
	if (m->io.attach == NULL || m->io.attach(m->io.arg, s) == 0) {
		s->attached = 1;
		return 0;
	}
	/* Put the old options back; keep the reason of the failure. */
	err = snmpmgr_lasterr();
	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	s->opts = old;
	s->addr = oldaddr;
	s->addrlen = oldlen;
	if (m->io.attach(m->io.arg, s) == 0)
		s->attached = 1;
	snmpmgr_seterr(err, "%s", detail);
	return -1;
}

const struct sess_opts *
sess_get_opts(const struct sess *s)
{
	return &s->opts;
}

const struct sess_stats *
sess_get_stats(const struct sess *s)
{
	return &s->stats;
}

const struct sockaddr *
sess_addr(const struct sess *s, socklen_t *len)
{
	if (len != NULL)
		*len = s->addrlen;
	return (const struct sockaddr *)&s->addr;
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
	struct sess_watcher *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->gone = gone;
	w->arg = arg;
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
sess_v12_prepare(struct sess *s, const struct snmp_pdu *pdu, uint8_t *buf,
    size_t size, const uint8_t **out)
{
	struct snmp_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.version = s->opts.version;
	msg.community = (const uint8_t *)s->opts.community;
	msg.community_len = strlen(s->opts.community);
	msg.pdu = *pdu;
	return snmp_msg_encode(&msg, buf, size, out);
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

static int
sess_transmit(struct sess_req *r, uint64_t now)
{
	struct sess *s = r->s;
	struct sess_mgr *m = s->m;

	r->sent_at = now;
	if (m->io.send(m->io.arg, s, r->buf, r->len) == -1) {
		/* Treated as a lost datagram: the retries still run. */
		s->stats.send_errors++;
		return -1;
	}
	return 0;
}

static uint64_t
sess_timeout_us(const struct sess *s)
{
	uint64_t ms = s->opts.timeout_ms;

	if (ms == 0)
		ms = 1;
	if (ms > SNMPMGR_MAX_TIMEOUT_MS)
		ms = SNMPMGR_MAX_TIMEOUT_MS;
	return ms * 1000;
}

struct sess_req *
sess_request(struct sess *s, const struct snmp_pdu *pdu, sess_cb *cb,
    void *arg)
{
	struct sess_mgr *m = s->m;
	struct sess_req *r = NULL;
	struct snmp_pdu p;
	const uint8_t *out;
	ssize_t len;
	size_t max;
	uint64_t now;

	if (!s->opts.enabled || s->dying) {
		snmpmgr_seterr(SNMPMGR_ERR_MUST_BE_ACTIVE, "session disabled");
		return NULL;
	}
	if (pdu->type == SNMP_PDU_GETBULK && s->opts.version == SNMP_V1) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "GetBulk needs SNMPv2c or SNMPv3");
		return NULL;
	}
	if (s->npending >= SNMPMGR_MAX_SESSION_PENDING ||
	    m->npending >= SNMPMGR_MAX_PENDING) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "%zu requests outstanding",
		    s->npending);
		return NULL;
	}
	if (sess_hash_grow(m) == -1)
		goto nomem;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->s = s;
	r->cb = cb;
	r->arg = arg;
	r->id = sess_mgr_next_id(m);

	p = *pdu;
	p.request_id = r->id;
	max = s->opts.max_packet_size;
	if (max == 0 || max > SNMPMGR_MAX_MSG_SIZE)
		max = SNMPMGR_MAX_MSG_SIZE;
	len = s->vops->prepare(s, &p, m->ebuf, SNMPMGR_MAX_MSG_SIZE, &out);
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

	now = sess_now(m);
	r->tries_left = s->opts.retries > SNMPMGR_MAX_RETRIES ?
	    SNMPMGR_MAX_RETRIES : s->opts.retries;
	r->deadline = now + sess_timeout_us(s);
	if (sess_heap_push(m, r) == -1)
		goto nomem;
	sess_hash_insert(m, r);
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	s->npending++;
	s->stats.requests++;
	sess_transmit(r, now);
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

struct sess *
sess_req_sess(const struct sess_req *r)
{
	return r->s;
}

int32_t
sess_req_id(const struct sess_req *r)
{
	return r->id;
}

void
sess_mgr_timer(struct sess_mgr *m)
{
	struct sess_req *r;
	uint64_t now;

	/* The timer that called us is spent: always ask anew. */
	m->wake_at = UINT64_MAX;
	now = sess_now(m);
	while (m->npending > 0 && (r = m->heap[0])->deadline <= now) {
		if (r->tries_left > 0) {
			r->tries_left--;
			r->s->stats.retries++;
			r->deadline = now + sess_timeout_us(r->s);
			sess_heap_update(m, r);
			sess_transmit(r, now);
			continue;
		}
		r->s->stats.timeouts++;
		sess_req_fail(r, SNMPMGR_ERR_TIMEOUT);
	}
	sess_mgr_rewake(m);
}

/* ------------------------------------------------------------ input */

static void
sess_badpkt(struct sess_mgr *m, struct sess *s, int error, const char *detail,
    const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	if (s != NULL)
		s->stats.bad_packets++;
	else
		m->stats.bad_packets++;
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
	bool port = !s->opts.ignore_port_mismatch;

	if (from == NULL || from->sa_family != s->addr.ss_family)
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

void
sess_mgr_input(struct sess_mgr *m, struct sess *owner,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len)
{
	struct snmp_msg msg;
	struct sess_result res;
	struct sess_req *r;
	struct sess *s;
	int32_t key;
	uint64_t now;

	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = m->vb;
	msg.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
	snmpmgr_clearerr();
	if (snmp_msg_decode(buf, len, &msg) == -1) {
		sess_badpkt(m, owner, SNMPMGR_ERR_DEFECTIVE,
		    snmpmgr_lasterr_detail(), from, buf, len);
		return;
	}
	if (msg.version == SNMP_V3) {
		/* RFC 3412 7.2: no v3 sessions yet to hand it to. */
		sess_badpkt(m, owner, SNMPMGR_ERR_VERSION,
		    "SNMPv3 not supported yet", from, buf, len);
		return;
	}
	if (sess_v12_ops.incoming(m, &msg, &key) == -1) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    snmpmgr_lasterr_detail(), from, buf, len);
		return;
	}

	if ((r = sess_hash_find(m, key)) == NULL) {
		s = sess_recent_find(m, key);
		if (s != NULL && (owner == NULL || owner == s)) {
			s->stats.duplicates++;
			if (s->opts.ignore_duplicate_response)
				return;
			sess_badpkt(m, s, SNMPMGR_ERR_BAD_PACKET,
			    "duplicate response", from, buf, len);
			return;
		}
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    "response to an unknown request ID", from, buf, len);
		return;
	}
	s = r->s;
	if (owner != NULL && owner != s) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    "request ID of another session", from, buf, len);
		return;
	}
	if (!s->opts.accept_data) {
		s->stats.dropped++;
		return;
	}
	if (s->opts.check_message_origin &&
	    !sess_origin_ok(s, from, fromlen)) {
		s->stats.origin_mismatch++;
		sess_badpkt(m, s, SNMPMGR_ERR_ORIGIN,
		    "response from another address", from, buf, len);
		return;
	}
	if (s->opts.check_version && msg.version != s->opts.version) {
		s->stats.version_mismatch++;
		sess_badpkt(m, s, SNMPMGR_ERR_VERSION,
		    "response version differs from the session's", from,
		    buf, len);
		return;
	}

	now = sess_now(m);
	sess_req_unlink(r);
	sess_recent_add(m, s, r->id);
	s->stats.responses++;
	memset(&res, 0, sizeof(res));
	res.pdu = &msg.pdu;
	res.rtt_us = now > r->sent_at ?
	    (now - r->sent_at > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(now - r->sent_at)) : 0;
	s->stats.last_rtt_us = res.rtt_us;
	r->in_cb = 1;
	if (r->cb != NULL)
		r->cb(r, &res, r->arg);
	sess_req_destroy(r);
	sess_mgr_rewake(m);
}
