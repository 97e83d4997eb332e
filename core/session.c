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
 * (RFC 1157 4, RFC 1901 3) and v3 with USM (RFC 3412 7, RFC 3414 3).
 *
 * SNMPv3.  A v3 request keeps its encoded PDU, and every transmission
 * wraps it in a new envelope (v3.c): a new msgID, the engine time as
 * estimated now, a fresh salt.  Each v3 request owns a block of
 * SESS_V3_IDS consecutive IDs: the first is its request-id and its first
 * msgID, retransmissions use the next ones, and a response to any msgID
 * of the block is matched (so a slow answer to the first try still
 * counts), by a hash lookup of the msgID rounded down to the block.
 * Requests made before the agent's engine is known wait in the session's
 * queue while discovery runs (RFC 3414 4): an engine ID probe
 * (noAuthNoPriv, empty user), then, for authenticated levels, a probe
 * signed with the user's key and zero boots/time that the agent answers
 * with an authenticated notInTimeWindow report carrying its clock.  Keys
 * are localized then, through the manager's cache, never per packet.  An
 * unknownEngineID or notInTimeWindow report to a request (the agent was
 * replaced, rebooted or its clock jumped) starts discovery again (or, for
 * an authenticated notInTimeWindow report, just takes its clock) and the
 * request is sent once more, its callback unaware.  Every authenticated
 * message is checked for engine ID, user, digest and time window before
 * anything in it is used; what fails is dropped, counted and passed to
 * the bad-packet hook.
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

#include <openssl/crypto.h>

#include "errors.h"
#include "limits.h"
#include "pdu.h"
#include "session.h"
#include "usm.h"
#include "v3.h"

/* Recently answered request IDs, to tell duplicates from strangers. */
#define SESS_RECENT		1024
#define SESS_HASH_MIN		256
/* IDs (msgIDs) in the block of one v3 request; a power of two larger
 * than 1 + SNMPMGR_MAX_RETRIES + the one resend after a recovery. */
#define SESS_V3_IDS		32
/* Room for the v3 envelope around a PDU: header, security parameters
 * with the longest engine ID, user, digest and salt, context, padding. */
#define SESS_V3_OVERHEAD	(64 + 2 * SNMPMGR_MAX_ENGINE_ID_LEN + \
				 SNMPMGR_MAX_USER_LEN + USM_MAX_MAC_LEN + \
				 USM_PRIV_PARAMS_LEN + \
				 SNMPMGR_MAX_CONTEXT_LEN + 8)

/* What a v3 request is. */
enum sess_kind {
	SESS_REQ_PDU = 0,	/* a caller's request */
	SESS_REQ_PROBE,		/* a discovery probe of the engine */
	SESS_REQ_DISCOVER,	/* sess_discover(): waits, is never sent */
};

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
	bool			 doomed;	/* sess_interrupt() ends it */

	bool			 in_heap;
	uint64_t		 tmo_us;	/* 0: the session's timeout */

	/* SNMPv3 */
	bool			 is_v3;
	uint8_t			*pdu;		/* the encoded PDU element */
	size_t			 pdu_len;
	enum sess_kind		 kind;
	uint8_t			 level;		/* msgFlags auth/priv bits */
	bool			 reportable;
	bool			 waiting;	/* on v3->waitq, not in heap */
	bool			 recovered;	/* the resend after a recovery
						 * is spent */
	uint8_t			 ntx;		/* msgIDs used: id + 0..ntx-1 */
	enum sess_disc		 step;		/* probes: which one */
	uint64_t		 wgen;		/* discovery run it waits for */
	TAILQ_ENTRY(sess_req)	 wentry;	/* on v3->waitq */
};

/* The SNMPv3 side of a session. */
struct sess_v3 {
	struct usm_cred		*cred;		/* a reference, or NULL */
	struct usm_user		*user;		/* localized for engine_id */
	uint8_t			 level;		/* msgFlags auth/priv bits */
	uint8_t			 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t			 engine_id_len;	/* 0: unknown */
	struct usm_timeliness	 tl;
	enum sess_disc		 disc;
	struct sess_req		*probe;		/* in flight */
	bool			 reprobed;	/* step 1 redone in this run */
	uint64_t		 gen;		/* discovery runs started */
	TAILQ_HEAD(, sess_req)	 waitq;		/* held for discovery */
	int32_t			 agent_max_size;
	uint64_t		 discovered_us;
	int			 last_error;
};

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
	struct sess_v3		*v3;		/* SNMPv3 sessions only */
	void			*sock;
	void			*udata;
	TAILQ_HEAD(, sess_req)	 reqs;
	size_t			 npending;
	struct sess_watcher	*watchers;
	int			 dying;
	int			 attached;
	uint64_t		 intr_gen;	/* sess_interrupt() runs */
	uint64_t		 trace_gen;	/* of the cached answer: */
	bool			 tracing;	/* trace its datagrams */
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

	/* Packet traces: hooks, and a generation for sessions' answers. */
	struct sess_trace_hooks	 trace;
	uint64_t		 trace_gen;

	/* SNMPv3: localized keys, scratch buffers, event hooks. */
	struct usm_cache	*cache;
	uint8_t			*sbuf;		/* plaintext ScopedPDU */
	uint8_t			*dbuf;		/* decrypted ScopedPDU */
	struct sess_v3_hooks	 v3hooks;
};

static ssize_t	sess_v12_prepare(struct sess *, const struct snmp_pdu *,
		    uint8_t *, size_t, const uint8_t **);
static int	sess_v12_incoming(struct sess_mgr *, struct snmp_msg *,
		    int32_t *);

static const struct sess_vops sess_v12_ops = {
	sess_v12_prepare,
	sess_v12_incoming,
};

static int	sess_v3_check_opts(const struct sess_opts *);
static int	sess_v3_new(struct sess *);
static void	sess_v3_free(struct sess *);
static void	sess_v3_sync(struct sess *, const struct sess_opts *, bool);
static int	sess_v3_transmit(struct sess_req *, uint64_t);
static struct sess_req *sess_v3_request(struct sess *,
		    const struct snmp_pdu *, sess_cb *, void *);
static void	sess_v3_input(struct sess_mgr *, struct sess *,
		    const struct sockaddr *, socklen_t, const uint8_t *, size_t,
		    struct snmp_msg *);

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
	o->v3.level = SESS_LEVEL_DEFAULT;
	o->v3.msg_max_size = SNMPMGR_MAX_MSG_SIZE;
}

void
sess_opts_release(struct sess_opts *o)
{
	usm_cred_free(o->v3.cred);
	o->v3.cred = NULL;
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
	r->in_heap = true;
	return 0;
}

static void
sess_heap_remove(struct sess_mgr *m, struct sess_req *r)
{
	size_t i = r->hidx;
	struct sess_req *last;

	r->in_heap = false;
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

/* ------------------------------------------------------------ traces */

void
sess_mgr_set_trace(struct sess_mgr *m, const struct sess_trace_hooks *h)
{
	if (h == NULL || h->trace == NULL)
		memset(&m->trace, 0, sizeof(m->trace));
	else
		m->trace = *h;
	/* Every session asks wanted() again at its next datagram. */
	m->trace_gen++;
}

/* Are s's datagrams traced?  One pointer test when nobody traces. */
static bool
sess_tracing(struct sess *s)
{
	struct sess_mgr *m = s->m;

	if (m->trace.trace == NULL)
		return false;
	if (s->trace_gen != m->trace_gen) {
		s->trace_gen = m->trace_gen;
		s->tracing = m->trace.wanted == NULL ||
		    m->trace.wanted(s, m->trace.arg);
	}
	return s->tracing;
}

/* Hand t to the hook; the engine's lasterr survives whatever it does. */
static void
sess_trace_emit(struct sess *s, struct sess_trace *t)
{
	struct sess_mgr *m = s->m;
	char detail[256];
	int error = snmpmgr_lasterr();

	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	if (t->detail != NULL && t->detail == snmpmgr_lasterr_detail())
		t->detail = detail;
	if (t->peer == NULL) {
		t->peer = (const struct sockaddr *)&s->addr;
		t->peerlen = s->addrlen;
	}
	m->trace.trace(s, t, m->trace.arg);
	if (error != 0)
		snmpmgr_seterr(error, "%s", detail);
	else
		snmpmgr_clearerr();
}

/* A datagram sent for s (pdu: the SNMPv3 PDU in clear, or NULL). */
static void
sess_trace_out(struct sess *s, const uint8_t *buf, size_t len,
    const uint8_t *pdu, size_t pdu_len)
{
	struct sess_trace t;

	memset(&t, 0, sizeof(t));
	t.out = true;
	t.buf = buf;
	t.len = len;
	t.pdu = pdu;
	t.pdu_len = pdu_len;
	sess_trace_emit(s, &t);
}

/* A datagram received for s: taken (msg), or dropped (error, detail). */
static void
sess_trace_in(struct sess *s, const struct sockaddr *from, socklen_t fromlen,
    const uint8_t *buf, size_t len, const struct snmp_msg *msg, int error,
    const char *detail)
{
	struct sess_trace t;

	memset(&t, 0, sizeof(t));
	t.peer = from;
	t.peerlen = fromlen;
	t.buf = buf;
	t.len = len;
	t.msg = msg;
	t.error = error;
	t.detail = detail;
	sess_trace_emit(s, &t);
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

/*
 * The first ID of a free block of SESS_V3_IDS for a v3 request: aligned,
 * positive, and no request uses it as its key.
 */
static int32_t
sess_mgr_next_block(struct sess_mgr *m)
{
	int64_t	 id;

	do {
		id = ((int64_t)m->next_id + SESS_V3_IDS - 1) &
		    ~(int64_t)(SESS_V3_IDS - 1);
		if (id <= 0 || id > INT32_MAX - SESS_V3_IDS)
			id = SESS_V3_IDS;
		m->next_id = (int32_t)(id + SESS_V3_IDS);
	} while (sess_hash_find(m, (int32_t)id) != NULL);
	return (int32_t)id;
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
	if (o->version == SNMP_V3 && sess_v3_check_opts(o) == -1)
		return -1;
	if (o->version != SNMP_V1 && o->version != SNMP_V2C &&
	    o->version != SNMP_V3) {
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
	s->opts.v3.context_name[sizeof(s->opts.v3.context_name) - 1] = '\0';
	if (s->opts.v3.cred != NULL)
		usm_cred_ref(s->opts.v3.cred);
	s->vops = &sess_v12_ops;
	TAILQ_INIT(&s->reqs);
	if (s->opts.version == SNMP_V3 && sess_v3_new(s) == -1)
		goto fail;
	if (sess_resolve(&s->opts, &s->addr, &s->addrlen) == -1)
		goto fail;
	if (m->io.attach != NULL && m->io.attach(m->io.arg, s) == -1)
		goto fail;
	s->attached = 1;
	TAILQ_INSERT_TAIL(&m->sessions, s, entry);
	return s;

 fail:
	sess_v3_free(s);
	sess_opts_release(&s->opts);
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
	if (r->in_heap)
		sess_heap_remove(m, r);
	if (r->waiting) {
		TAILQ_REMOVE(&s->v3->waitq, r, wentry);
		r->waiting = false;
	}
	if (s->v3 != NULL && s->v3->probe == r)
		s->v3->probe = NULL;
	TAILQ_REMOVE(&s->reqs, r, entry);
	s->npending--;
}

static void
sess_req_destroy(struct sess_req *r)
{
	free(r->buf);
	free(r->pdu);
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
	sess_v3_free(s);
	sess_opts_release(&s->opts);
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
	s->opts.v3.context_name[sizeof(s->opts.v3.context_name) - 1] = '\0';
	s->addr = addr;
	s->addrlen = addrlen;
	if (!resock) {
		sess_v3_sync(s, &old, moved);
		return 0;
	}

	if (s->attached && m->io.detach != NULL)
		m->io.detach(m->io.arg, s);
	s->attached = 0;
	if (m->io.attach == NULL || m->io.attach(m->io.arg, s) == 0) {
		s->attached = 1;
		sess_v3_sync(s, &old, moved);
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

/*
 * Send r (again).  0 when sent or lost on the way (a failed send counts in
 * send_errors and the retries still run); -1 with lasterr when r cannot be
 * sent at all (a v3 envelope that cannot be built).
 */
static int
sess_transmit(struct sess_req *r, uint64_t now)
{
	struct sess *s = r->s;
	struct sess_mgr *m = s->m;

	if (r->is_v3)
		return sess_v3_transmit(r, now);
	r->sent_at = now;
	if (m->io.send(m->io.arg, s, r->buf, r->len) == -1) {
		/* Treated as a lost datagram: the retries still run. */
		s->stats.send_errors++;
	}
	if (sess_tracing(s))
		sess_trace_out(s, r->buf, r->len, NULL, 0);
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

/* r's wait per try: its own (sess_req_set_timing) or its session's. */
static uint64_t
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
	if (r->in_heap) {
		r->deadline = r->sent_at + r->tmo_us;
		sess_heap_update(m, r);
		sess_mgr_rewake(m);
	}
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
	if (s->opts.version == SNMP_V3)
		return sess_v3_request(s, pdu, cb, arg);
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
	r->deadline = now + sess_req_timeout_us(r);
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
			r->deadline = now + sess_req_timeout_us(r);
			sess_heap_update(m, r);
			if (sess_transmit(r, now) == -1)
				sess_req_fail(r, snmpmgr_lasterr());
			continue;
		}
		if (r->kind == SESS_REQ_PDU)
			r->s->stats.timeouts++;
		snmpmgr_clearerr();
		sess_req_fail(r, SNMPMGR_ERR_TIMEOUT);
	}
	sess_mgr_rewake(m);
}

/* ------------------------------------------------------------ input */

static void
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

/*
 * A response that matches no outstanding request: a duplicate when recent
 * (the session of a request answered lately) may have sent it, counted and
 * dropped or reported as ignore_duplicate_response says; otherwise a bad
 * packet with detail unknown.
 */
static void
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
	if (!recent->opts.ignore_duplicate_response) {
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
static bool
sess_input_accept(struct sess_mgr *m, struct sess *owner, struct sess *s,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len)
{
	if (owner != NULL && owner != s) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    "request ID of another session", from, buf, len);
		return false;
	}
	if (!s->opts.accept_data) {
		s->stats.dropped++;
		if (sess_tracing(s))
			sess_trace_in(s, from, fromlen, buf, len, NULL, 0,
			    "accept_data is off: dropped");
		return false;
	}
	if (s->opts.check_message_origin &&
	    !sess_origin_ok(s, from, fromlen)) {
		s->stats.origin_mismatch++;
		sess_badpkt(m, s, SNMPMGR_ERR_ORIGIN,
		    "response from another address", from, buf, len);
		return false;
	}
	return true;
}

/* r is answered by pdu: unlink it, call back, free it. */
static void
sess_req_complete(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const struct snmp_pdu *pdu, uint64_t now)
{
	struct sess_result res;

	sess_req_unlink(r);
	sess_recent_add(m, s, r->id);
	s->stats.responses++;
	memset(&res, 0, sizeof(res));
	res.pdu = pdu;
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

void
sess_mgr_input(struct sess_mgr *m, struct sess *owner,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len)
{
	struct snmp_msg msg;
	struct sess_req *r;
	struct sess *s;
	int32_t key;

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
		sess_v3_input(m, owner, from, fromlen, buf, len, &msg);
		return;
	}
	if (sess_v12_ops.incoming(m, &msg, &key) == -1) {
		sess_badpkt(m, owner, SNMPMGR_ERR_BAD_PACKET,
		    snmpmgr_lasterr_detail(), from, buf, len);
		return;
	}

	if ((r = sess_hash_find(m, key)) == NULL) {
		sess_unmatched(m, owner, sess_recent_find(m, key), from,
		    fromlen, buf, len, "response to an unknown request ID");
		return;
	}
	s = r->s;
	if (!sess_input_accept(m, owner, s, from, fromlen, buf, len))
		return;
	/* Never a community message for a v3 request, whatever
	 * check_version says. */
	if (r->is_v3 || (s->opts.check_version &&
	    msg.version != s->opts.version)) {
		s->stats.version_mismatch++;
		sess_badpkt(m, s, SNMPMGR_ERR_VERSION,
		    "response version differs from the session's", from,
		    buf, len);
		return;
	}

	if (sess_tracing(s))
		sess_trace_in(s, from, fromlen, buf, len, &msg, 0, NULL);
	sess_req_complete(m, s, r, &msg.pdu, sess_now(m));
}

/* ------------------------------------------------------------ SNMPv3 */

/* Local monotonic time in seconds, for USM timeliness. */
static int64_t
sess_now_s(struct sess_mgr *m)
{
	return (int64_t)(sess_now(m) / 1000000);
}

/* The msgFlags security-level bits requests of o use. */
static uint8_t
sess_v3_level_bits(const struct sess_v3opts *o)
{
	uint8_t	 max = 0;

	if (o->cred != NULL && usm_cred_auth(o->cred) != USM_AUTH_NONE) {
		max = SNMP_MSGFLAG_AUTH;
		if (usm_cred_priv(o->cred) != USM_PRIV_NONE)
			max |= SNMP_MSGFLAG_PRIV;
	}
	switch (o->level) {
	case SESS_LEVEL_NOAUTH:
		return 0;
	case SESS_LEVEL_AUTH:
		return SNMP_MSGFLAG_AUTH;
	case SESS_LEVEL_PRIV:
		return V3_LEVEL_MASK;
	default:
		return max;
	}
}

static enum sess_level
sess_v3_level_of(uint8_t bits)
{
	if ((bits & SNMP_MSGFLAG_PRIV) != 0)
		return SESS_LEVEL_PRIV;
	return (bits & SNMP_MSGFLAG_AUTH) != 0 ? SESS_LEVEL_AUTH :
	    SESS_LEVEL_NOAUTH;
}

const char *
sess_level_name(enum sess_level l)
{
	switch (l) {
	case SESS_LEVEL_NOAUTH:
		return "noAuthNoPriv";
	case SESS_LEVEL_AUTH:
		return "authNoPriv";
	case SESS_LEVEL_PRIV:
		return "authPriv";
	default:
		return "default";
	}
}

const char *
sess_disc_name(enum sess_disc d)
{
	switch (d) {
	case SESS_DISC_NONE:
		return "none";
	case SESS_DISC_ENGINE:
		return "discovering engine ID";
	case SESS_DISC_TIME:
		return "discovering boots/time";
	case SESS_DISC_DONE:
		return "done";
	}
	return "?";
}

/* SPEC.md 2: the v3 options make sense together.  0 or -1. */
static int
sess_v3_check_opts(const struct sess_opts *o)
{
	const struct sess_v3opts *v = &o->v3;
	enum usm_auth	 auth = USM_AUTH_NONE;
	enum usm_priv	 priv = USM_PRIV_NONE;

	if (v->cred != NULL) {
		auth = usm_cred_auth(v->cred);
		priv = usm_cred_priv(v->cred);
	}
	if (v->level < SESS_LEVEL_DEFAULT || v->level > SESS_LEVEL_PRIV) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL, "security level %d",
		    (int)v->level);
		return -1;
	}
	if (v->level >= SESS_LEVEL_AUTH && auth == USM_AUTH_NONE) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_AUTH_PASSWORD, "%s needs an "
		    "authentication protocol with a password or key",
		    sess_level_name(v->level));
		return -1;
	}
	if (v->level == SESS_LEVEL_PRIV && priv == USM_PRIV_NONE) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_PRIV_PASSWORD, "authPriv needs "
		    "a privacy protocol with a password or key");
		return -1;
	}
	if (v->engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN ||
	    v->context_engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_ENGINE_ID, "engine ID longer than "
		    "%d octets", SNMPMGR_MAX_ENGINE_ID_LEN);
		return -1;
	}
	if (v->engine_time_set && v->engine_id_len == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_ENGINE_ID,
		    "engine_boots and engine_time need engine_id");
		return -1;
	}
	if (strnlen(v->context_name, sizeof(v->context_name)) >
	    SNMPMGR_MAX_CONTEXT_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "context name longer "
		    "than %d octets", SNMPMGR_MAX_CONTEXT_LEN);
		return -1;
	}
	/* RFC 3412 6: msgMaxSize is 484 or more. */
	if (v->msg_max_size != 0 && v->msg_max_size < 484) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_SHORT,
		    "msg_max_size %u below 484", v->msg_max_size);
		return -1;
	}
	if (v->msg_max_size > SNMPMGR_MAX_MSG_SIZE) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "msg_max_size %u above %d", v->msg_max_size,
		    SNMPMGR_MAX_MSG_SIZE);
		return -1;
	}
	return 0;
}

/* The manager's v3 resources, made with its first v3 session. */
static int
sess_mgr_v3_ready(struct sess_mgr *m)
{
	usm_init();
	if (m->cache == NULL && (m->cache = usm_cache_new(0)) == NULL)
		return -1;
	if ((m->sbuf == NULL &&
	    (m->sbuf = malloc(SNMPMGR_MAX_MSG_SIZE)) == NULL) ||
	    (m->dbuf == NULL &&
	    (m->dbuf = malloc(SNMPMGR_MAX_DGRAM)) == NULL)) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Forget what is known of the agent's engine and take the preset values
 * of the options instead: engine ID (localizing the keys for it now, at
 * configuration time), boots and time.
 */
static void
sess_v3_preset(struct sess *s)
{
	struct sess_v3	*v = s->v3;
	const struct sess_v3opts *o = &s->opts.v3;

	usm_user_free(v->user);
	v->user = NULL;
	v->engine_id_len = 0;
	memset(&v->tl, 0, sizeof(v->tl));
	v->level = sess_v3_level_bits(o);
	v->disc = SESS_DISC_NONE;
	if (o->engine_id_len == 0)
		return;
	memcpy(v->engine_id, o->engine_id, o->engine_id_len);
	v->engine_id_len = o->engine_id_len;
	if ((v->level & SNMP_MSGFLAG_AUTH) != 0 && (v->user =
	    usm_cache_get(s->m->cache, o->cred, v->engine_id,
	    v->engine_id_len)) == NULL)
		return;		/* discovery will try again and say why */
	if (o->engine_time_set)
		usm_time_set(&v->tl, o->engine_boots, o->engine_time,
		    sess_now_s(s->m));
	if ((v->level & SNMP_MSGFLAG_AUTH) == 0 || v->tl.known)
		v->disc = SESS_DISC_DONE;
}

static int
sess_v3_new(struct sess *s)
{
	if (s->v3 != NULL)
		return 0;
	if (sess_mgr_v3_ready(s->m) == -1)
		return -1;
	if ((s->v3 = calloc(1, sizeof(*s->v3))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	TAILQ_INIT(&s->v3->waitq);
	sess_v3_preset(s);
	return 0;
}

/* After the session's requests are gone. */
static void
sess_v3_free(struct sess *s)
{
	if (s->v3 == NULL)
		return;
	usm_user_free(s->v3->user);
	free(s->v3);
	s->v3 = NULL;
}

static void	sess_v3_finish(struct sess *, int, const char *);
static int	sess_v3_start(struct sess *, bool);

/*
 * The options changed (old were in force): take a reference on the new
 * credential, drop the old, and when anything the v3 state depends on
 * changed, start over from the preset values.
 */
static void
sess_v3_sync(struct sess *s, const struct sess_opts *old, bool moved)
{
	const struct sess_v3opts *n = &s->opts.v3, *o = &old->v3;
	struct sess_v3	*v;
	struct sess_req	*r;
	bool		 reset;

	if (n->cred != NULL)
		usm_cred_ref(n->cred);
	usm_cred_free(o->cred);
	if (s->opts.version != SNMP_V3) {
		if ((v = s->v3) == NULL)
			return;
		/* Requests waiting for a discovery that will not come. */
		if (v->probe != NULL) {
			r = v->probe;
			sess_req_unlink(r);
			sess_req_destroy(r);
		}
		snmpmgr_seterr(SNMPMGR_ERR_INTERRUPTED,
		    "session is no longer SNMPv3");
		sess_v3_finish(s, SNMPMGR_ERR_INTERRUPTED,
		    "session is no longer SNMPv3");
		return;
	}
	if (s->v3 == NULL) {
		/* On failure requests fail with 305 (sess_v3_request). */
		(void)sess_v3_new(s);
		return;
	}
	v = s->v3;
	reset = old->version != SNMP_V3 || moved || n->cred != o->cred ||
	    n->level != o->level || n->engine_id_len != o->engine_id_len ||
	    memcmp(n->engine_id, o->engine_id, n->engine_id_len) != 0 ||
	    n->engine_time_set != o->engine_time_set ||
	    n->engine_boots != o->engine_boots ||
	    n->engine_time != o->engine_time;
	if (!reset)
		return;
	if (v->probe != NULL) {
		r = v->probe;
		sess_req_unlink(r);
		sess_req_destroy(r);
	}
	sess_v3_preset(s);
	if (TAILQ_EMPTY(&v->waitq))
		return;
	if (v->disc == SESS_DISC_DONE)
		sess_v3_finish(s, 0, NULL);
	else if (sess_v3_start(s, false) == -1)
		sess_v3_finish(s, snmpmgr_lasterr(), snmpmgr_lasterr_detail());
}

/* Encode and send r with the next msgID of its block. */
static int
sess_v3_transmit(struct sess_req *r, uint64_t now)
{
	struct sess		*s = r->s;
	struct sess_mgr		*m = s->m;
	struct sess_v3		*v = s->v3;
	const struct sess_v3opts *so = &s->opts.v3;
	struct v3_out		 o;
	const uint8_t		*out;
	ssize_t			 len;
	size_t			 max;

	if (v == NULL || s->opts.version != SNMP_V3) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "session is no longer SNMPv3");
		return -1;
	}
	if (r->ntx >= SESS_V3_IDS) {
		snmpmgr_seterr(SNMPMGR_ERR_TIMEOUT, "no msgID left");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.msg_id = r->id + r->ntx;
	o.max_size = so->msg_max_size != 0 ? (int32_t)so->msg_max_size :
	    SNMPMGR_MAX_MSG_SIZE;
	o.flags = r->level | (r->reportable ? SNMP_MSGFLAG_REPORT : 0);
	o.pdu = r->pdu;
	o.pdu_len = r->pdu_len;
	if (r->kind == SESS_REQ_PROBE && r->step == SESS_DISC_ENGINE) {
		/* RFC 3414 4: empty engine ID and user, noAuthNoPriv. */
		o.engine_id = (const uint8_t *)"";
		o.user = (const uint8_t *)"";
	} else {
		o.engine_id = v->engine_id;
		o.engine_id_len = v->engine_id_len;
		if (so->cred != NULL)
			o.user = usm_cred_user(so->cred, &o.user_len);
		o.u = v->user;
		/* RFC 3414 4: the time probe carries zero boots and time. */
		if (r->kind != SESS_REQ_PROBE)
			usm_time_now(&v->tl, (int64_t)(now / 1000000),
			    &o.boots, &o.time);
		if (r->kind == SESS_REQ_PROBE)
			o.ctx_engine_id = v->engine_id;
		else if (so->context_engine_id_len > 0) {
			o.ctx_engine_id = so->context_engine_id;
			o.ctx_engine_id_len = so->context_engine_id_len;
		} else
			o.ctx_engine_id = v->engine_id;
		if (o.ctx_engine_id == v->engine_id)
			o.ctx_engine_id_len = v->engine_id_len;
		if (r->kind != SESS_REQ_PROBE) {
			o.ctx_name = (const uint8_t *)so->context_name;
			o.ctx_name_len = strlen(so->context_name);
		}
	}
	if ((len = v3_encode(&o, m->ebuf, SNMPMGR_MAX_MSG_SIZE, m->sbuf,
	    SNMPMGR_MAX_MSG_SIZE, &out)) == -1)
		return -1;
	max = s->opts.max_packet_size;
	if (max == 0 || max > SNMPMGR_MAX_MSG_SIZE)
		max = SNMPMGR_MAX_MSG_SIZE;
	if ((size_t)len > max) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "message of %zd octets, max_packet_size %zu", len, max);
		return -1;
	}
	r->ntx++;
	r->sent_at = now;
	if (m->io.send(m->io.arg, s, out, (size_t)len) == -1)
		s->stats.send_errors++;	/* a lost datagram: retries run */
	if (sess_tracing(s))
		sess_trace_out(s, out, (size_t)len, r->pdu, r->pdu_len);
	return 0;
}

/* Put r on the heap with a fresh deadline and send it.  0 or -1. */
static int
sess_v3_send(struct sess_req *r, uint64_t now)
{
	struct sess_mgr	*m = r->s->m;

	r->deadline = now + sess_req_timeout_us(r);
	if (!r->in_heap && sess_heap_push(m, r) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	if (r->in_heap)
		sess_heap_update(m, r);
	return sess_transmit(r, now);
}

static void	sess_v3_probe_cb(struct sess_req *, const struct sess_result *,
		    void *);

/* Make and send a discovery probe for step (RFC 3414 4).  0 or -1. */
static int
sess_v3_probe(struct sess *s, enum sess_disc step)
{
	struct sess_mgr	*m = s->m;
	struct sess_v3	*v = s->v3;
	struct sess_req	*r = NULL;
	struct snmp_pdu	 pdu;
	const uint8_t	*out;
	ssize_t		 len;

	if (step == SESS_DISC_TIME && v->user == NULL) {
		/* Localize now, once per engine (usm_cache). */
		if ((v->user = usm_cache_get(m->cache, s->opts.v3.cred,
		    v->engine_id, v->engine_id_len)) == NULL)
			return -1;
	}
	if (sess_hash_grow(m) == -1 || (r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->s = s;
	r->cb = sess_v3_probe_cb;
	r->arg = s;
	r->is_v3 = true;
	r->kind = SESS_REQ_PROBE;
	r->step = step;
	r->reportable = true;
	r->level = step == SESS_DISC_TIME ? SNMP_MSGFLAG_AUTH : 0;
	r->id = sess_mgr_next_block(m);
	/* An empty GetRequest, as Net-SNMP probes. */
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_GET;
	pdu.request_id = r->id;
	if ((len = snmp_pdu_encode(&pdu, m->ebuf, SNMPMGR_MAX_MSG_SIZE,
	    &out)) == -1)
		goto fail;
	if ((r->pdu = malloc((size_t)len)) == NULL)
		goto nomem;
	memcpy(r->pdu, out, (size_t)len);
	r->pdu_len = (size_t)len;
	r->tries_left = s->opts.retries > SNMPMGR_MAX_RETRIES ?
	    SNMPMGR_MAX_RETRIES : s->opts.retries;
	sess_hash_insert(m, r);
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	s->npending++;
	if (sess_v3_send(r, sess_now(m)) == -1) {
		sess_req_unlink(r);
		goto fail;
	}
	v->probe = r;
	v->disc = step;
	sess_mgr_rewake(m);
	return 0;
 nomem:
	snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
 fail:
	if (r != NULL)
		sess_req_destroy(r);
	return -1;
}

/*
 * Start a discovery run: from the engine ID probe when full or when the
 * engine ID is unknown, else from the boots/time probe.  Never calls
 * back.  0 or -1.
 */
static int
sess_v3_start(struct sess *s, bool full)
{
	struct sess_v3	*v = s->v3;

	v->gen++;
	v->reprobed = false;
	if (full || v->engine_id_len == 0)
		return sess_v3_probe(s, SESS_DISC_ENGINE);
	return sess_v3_probe(s, SESS_DISC_TIME);
}

/*
 * Hold r until the discovery run in progress (or one started now) ends.
 * 0, or -1 when no run could be started (r is then not held).
 */
static int
sess_v3_wait(struct sess *s, struct sess_req *r, bool full)
{
	struct sess_v3	*v = s->v3;

	if (v->probe == NULL && sess_v3_start(s, full) == -1)
		return -1;
	r->wgen = v->gen;
	r->waiting = true;
	TAILQ_INSERT_TAIL(&v->waitq, r, wentry);
	return 0;
}

/*
 * A discovery run ended: send what waited for it, or fail it with error
 * (detail for the callbacks).  Requests queued by those callbacks belong
 * to a later run and are left alone.
 */
static void
sess_v3_finish(struct sess *s, int error, const char *detail)
{
	struct sess_mgr	*m = s->m;
	struct sess_v3	*v = s->v3;
	struct sess_req	*r;
	char		 why[256];
	uint64_t	 gen = v->gen, now = sess_now(m);

	snprintf(why, sizeof(why), "%s", detail != NULL ? detail :
	    snmpmgr_strerror(error));
	v->last_error = error;
	if (error == 0) {
		v->disc = SESS_DISC_DONE;
		v->discovered_us = now;
		s->stats.usm.discoveries++;
	} else if (v->disc != SESS_DISC_DONE)
		v->disc = SESS_DISC_NONE;
	if (!s->dying && m->v3hooks.discovery != NULL)
		m->v3hooks.discovery(s, error, m->v3hooks.arg);
	while ((r = TAILQ_FIRST(&v->waitq)) != NULL && r->wgen <= gen) {
		TAILQ_REMOVE(&v->waitq, r, wentry);
		r->waiting = false;
		if (error != 0) {
			if (r->kind == SESS_REQ_PDU &&
			    error == SNMPMGR_ERR_TIMEOUT)
				s->stats.timeouts++;
			snmpmgr_seterr(error, "%s", why);
			sess_req_fail(r, error);
		} else if (r->kind == SESS_REQ_DISCOVER) {
			snmpmgr_clearerr();
			sess_req_fail(r, 0);
		} else if (sess_v3_send(r, now) == -1)
			sess_req_fail(r, snmpmgr_lasterr());
	}
	sess_mgr_rewake(m);
}

/* A probe ran out of retries, or its session is going away. */
static void
sess_v3_probe_cb(struct sess_req *r, const struct sess_result *res,
    void *arg)
{
	struct sess	*s = arg;
	char		 why[200];

	if (res->error == SNMPMGR_ERR_TIMEOUT)
		snprintf(why, sizeof(why), "no answer to the %s probe of "
		    "engine discovery after %u tries",
		    r->step == SESS_DISC_ENGINE ? "engine ID" : "boots/time",
		    (unsigned)r->ntx);
	else
		snprintf(why, sizeof(why), "engine discovery: %s",
		    snmpmgr_strerror(res->error));
	sess_v3_finish(s, res->error, why);
}

/* A report's error as the agent's counter, with what usually causes it. */
static const char *
sess_v3_report_hint(int error)
{
	switch (error) {
	case SNMPMGR_ERR_SEC_LEVEL:
		return "usmStatsUnsupportedSecLevels (the user cannot use "
		    "this security level)";
	case SNMPMGR_ERR_TIME_FRAME:
		return "usmStatsNotInTimeWindows";
	case SNMPMGR_ERR_USER_NAME:
		return "usmStatsUnknownUserNames (no such user)";
	case SNMPMGR_ERR_ENGINE_ID:
		return "usmStatsUnknownEngineIDs (engine ID not the agent's)";
	case SNMPMGR_ERR_AUTH_FAILED:
		return "usmStatsWrongDigests (wrong authentication password, "
		    "key or protocol)";
	case SNMPMGR_ERR_DECRYPT:
		return "usmStatsDecryptionErrors (wrong privacy password, key "
		    "or protocol)";
	}
	return snmpmgr_strerror(error);
}

/*
 * The answer to a discovery probe (r, now done with): a report (error
 * is its usmStats number) or a response.  RFC 3414 4.
 */
static void
sess_v3_probe_answer(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const struct snmp_msg *msg, const struct usm_secparams *sp, int error,
    bool authed)
{
	struct sess_v3	*v = s->v3;
	enum sess_disc	 step = r->step;
	char		 why[200];
	bool		 same;

	sess_req_unlink(r);
	sess_recent_add(m, s, r->id);
	sess_req_destroy(r);

	if (step == SESS_DISC_ENGINE) {
		if (sp->engine_id_len == 0) {
			sess_v3_finish(s, SNMPMGR_ERR_DISCOVERY, "the agent's "
			    "answer to the engine ID probe has no engine ID");
			return;
		}
		same = sp->engine_id_len == v->engine_id_len &&
		    memcmp(sp->engine_id, v->engine_id, v->engine_id_len) == 0;
		if (!same) {
			usm_user_free(v->user);
			v->user = NULL;
			memset(&v->tl, 0, sizeof(v->tl));
			memcpy(v->engine_id, sp->engine_id, sp->engine_id_len);
			v->engine_id_len = sp->engine_id_len;
		}
		if ((v->level & SNMP_MSGFLAG_AUTH) == 0 ||
		    s->opts.v3.single_step_discovery) {
			/* Boots and time as the unauthenticated report says:
			 * the first authenticated answer corrects them. */
			usm_time_set(&v->tl, sp->boots, sp->time,
			    sess_now_s(m));
			if ((v->level & SNMP_MSGFLAG_AUTH) != 0 &&
			    v->user == NULL && (v->user =
			    usm_cache_get(m->cache, s->opts.v3.cred,
			    v->engine_id, v->engine_id_len)) == NULL) {
				sess_v3_finish(s, snmpmgr_lasterr(),
				    snmpmgr_lasterr_detail());
				return;
			}
			sess_v3_finish(s, 0, NULL);
			return;
		}
		if (sess_v3_probe(s, SESS_DISC_TIME) == -1)
			sess_v3_finish(s, snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail());
		return;
	}

	/* The boots/time probe. */
	if (msg->pdu.type == SNMP_PDU_RESPONSE) {
		/* Authenticated and in time (checked): usm_time_check()
		 * took its boots and time. */
		sess_v3_finish(s, 0, NULL);
		return;
	}
	switch (error) {
	case SNMPMGR_ERR_TIME_FRAME:
		/*
		 * RFC 3414 3.2 step 7b: an authenticated notInTimeWindow
		 * report sets our notion of the agent's clock.  An
		 * unauthenticated one (not what RFC 3414 agents send) is
		 * taken as single-step discovery takes its values.
		 */
		usm_time_set(&v->tl, sp->boots, sp->time, sess_now_s(m));
		sess_v3_finish(s, 0, NULL);
		return;
	case SNMPMGR_ERR_ENGINE_ID:
		/* The engine ID we had (preset or stale) is not the
		 * agent's: learn it, once per run. */
		if (!v->reprobed) {
			v->reprobed = true;
			usm_user_free(v->user);
			v->user = NULL;
			v->engine_id_len = 0;
			memset(&v->tl, 0, sizeof(v->tl));
			if (sess_v3_probe(s, SESS_DISC_ENGINE) == -1)
				sess_v3_finish(s, snmpmgr_lasterr(),
				    snmpmgr_lasterr_detail());
			return;
		}
		break;
	case 0:
		snprintf(why, sizeof(why), "unexpected report to the "
		    "boots/time probe of engine discovery");
		sess_v3_finish(s, SNMPMGR_ERR_DISCOVERY, why);
		return;
	default:
		break;
	}
	snprintf(why, sizeof(why), "engine discovery: the agent reported "
	    "%s%s", sess_v3_report_hint(error), authed ? "" :
	    " (unauthenticated report)");
	sess_v3_finish(s, error, why);
}

/* usmStats names of RFC 3414 5, by their last arc. */
static const char *
sess_v3_report_name(const struct oid *name)
{
	static const char *const names[] = {
		"usmStatsUnsupportedSecLevels", "usmStatsNotInTimeWindows",
		"usmStatsUnknownUserNames", "usmStatsUnknownEngineIDs",
		"usmStatsWrongDigests", "usmStatsDecryptionErrors",
	};

	if (usm_report_error(name) == 0)
		return NULL;
	return names[name->arcs[9] - 1];
}

/*
 * An agent's notInTimeWindow or unknownEngineID report to request r: it
 * was replaced, rebooted or its clock jumped.  Learn its clock (from an
 * authenticated notInTimeWindow report) or run discovery again, then send
 * r once more.
 */
static void
sess_v3_recover(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const struct usm_secparams *sp, int error, bool authed)
{
	struct sess_v3	*v = s->v3;
	uint64_t	 now = sess_now(m);

	r->recovered = true;
	s->stats.usm.recoveries++;
	if (error == SNMPMGR_ERR_TIME_FRAME && authed) {
		/* RFC 3414 3.2 step 7b, RFC 3414 4. */
		usm_time_set(&v->tl, sp->boots, sp->time, sess_now_s(m));
		if (m->v3hooks.discovery != NULL)
			m->v3hooks.discovery(s, 0, m->v3hooks.arg);
		if (sess_v3_send(r, now) == -1)
			sess_req_fail(r, snmpmgr_lasterr());
		sess_mgr_rewake(m);
		return;
	}
	if (v->probe == NULL) {
		if (error == SNMPMGR_ERR_ENGINE_ID) {
			usm_user_free(v->user);
			v->user = NULL;
			v->engine_id_len = 0;
		}
		memset(&v->tl, 0, sizeof(v->tl));
		v->disc = SESS_DISC_NONE;
	}
	if (r->in_heap)
		sess_heap_remove(m, r);
	if (sess_v3_wait(s, r, false) == -1)
		sess_req_fail(r, snmpmgr_lasterr());
	sess_mgr_rewake(m);
}

/* A Report PDU matched to r (RFC 3412 7.2 step 13, RFC 3414 3.2). */
static void
sess_v3_report(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const struct snmp_msg *msg, const struct usm_secparams *sp, bool authed)
{
	struct sess_usm_stats *st = &s->stats.usm;
	const struct oid *name = NULL;
	const char	*rname = NULL;
	char		 oidstr[SNMPMGR_MAX_OID_STR];
	uint64_t	 value = 0;
	int		 error = 0;

	if (msg->pdu.nvb > 0) {
		name = &msg->pdu.vb[0].name;
		error = usm_report_error(name);
		rname = sess_v3_report_name(name);
		if (msg->pdu.vb[0].value.type == SNMP_T_COUNTER32 ||
		    msg->pdu.vb[0].value.type == SNMP_T_COUNTER64)
			value = msg->pdu.vb[0].value.u;
	}
	switch (error) {
	case SNMPMGR_ERR_SEC_LEVEL:
		st->rpt_unsupported_sec_levels++;
		break;
	case SNMPMGR_ERR_TIME_FRAME:
		st->rpt_not_in_time_windows++;
		break;
	case SNMPMGR_ERR_USER_NAME:
		st->rpt_unknown_user_names++;
		break;
	case SNMPMGR_ERR_ENGINE_ID:
		st->rpt_unknown_engine_ids++;
		break;
	case SNMPMGR_ERR_AUTH_FAILED:
		st->rpt_wrong_digests++;
		break;
	case SNMPMGR_ERR_DECRYPT:
		st->rpt_decryption_errors++;
		break;
	default:
		st->rpt_other++;
		break;
	}
	if (name != NULL && m->v3hooks.report != NULL)
		m->v3hooks.report(s, error, name, value, authed,
		    m->v3hooks.arg);

	if (r->kind == SESS_REQ_PROBE) {
		sess_v3_probe_answer(m, s, r, msg, sp, error, authed);
		return;
	}
	if ((error == SNMPMGR_ERR_ENGINE_ID ||
	    error == SNMPMGR_ERR_TIME_FRAME) && !r->recovered) {
		sess_v3_recover(m, s, r, sp, error, authed);
		return;
	}
	if (rname != NULL)
		snmpmgr_seterr(error, "the agent reported %s, counter %llu%s",
		    sess_v3_report_hint(error), (unsigned long long)value,
		    error == SNMPMGR_ERR_ENGINE_ID ||
		    error == SNMPMGR_ERR_TIME_FRAME ? " again after "
		    "rediscovery" : "");
	else {
		if (name != NULL)
			oid_format(name, oidstr, sizeof(oidstr));
		else
			snprintf(oidstr, sizeof(oidstr), "(no varbind)");
		error = SNMPMGR_ERR_BAD_PACKET;
		snmpmgr_seterr(error, "the agent reported %s", oidstr);
	}
	sess_recent_add(m, s, r->id);
	sess_req_fail(r, error);
	sess_mgr_rewake(m);
}

/*
 * An SNMPv3 message (RFC 3412 7.2, RFC 3414 3.2): match it by msgID, check
 * everything an authenticated message must pass (engine ID, user, digest,
 * then privacy and the time window) before anything in it is used, then
 * hand the response or report to its request.
 */
static void
sess_v3_input(struct sess_mgr *m, struct sess *owner,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len, struct snmp_msg *msg)
{
	struct usm_secparams sp;
	struct sess_req	*r;
	struct sess	*s;
	struct sess_v3	*v;
	size_t		 ulen = 0;
	const uint8_t	*user = NULL;
	uint64_t	 now;
	int32_t		 key;
	int		 error = 0;
	bool		 authed = false;

	key = (int32_t)((uint32_t)msg->msg_id & ~(uint32_t)(SESS_V3_IDS - 1));
	r = key > 0 ? sess_hash_find(m, key) : NULL;
	if (r == NULL || !r->is_v3 || r->waiting ||
	    (uint32_t)(msg->msg_id - key) >= r->ntx ||
	    r->s->opts.version != SNMP_V3 || r->s->v3 == NULL) {
		s = key > 0 ? sess_recent_find(m, key) : NULL;
		if (s != NULL && s->opts.version != SNMP_V3)
			s = NULL;
		sess_unmatched(m, owner, s, from, fromlen, buf, len,
		    "SNMPv3 message with an unknown msgID");
		return;
	}
	s = r->s;
	v = s->v3;
	if (!sess_input_accept(m, owner, s, from, fromlen, buf, len))
		return;
	if (v3_secparams(msg, &sp) == -1) {
		sess_badpkt(m, s, snmpmgr_lasterr(), snmpmgr_lasterr_detail(),
		    from, buf, len);
		return;
	}
	if ((msg->msg_flags & SNMP_MSGFLAG_AUTH) != 0) {
		/* RFC 3414 3.2 steps 3-6, from the agent's engine. */
		if (v->user == NULL || usm_user_mac_len(v->user) == 0) {
			s->stats.usm.unauthenticated++;
			sess_badpkt(m, s, SNMPMGR_ERR_NOT_AUTHENTICATED,
			    "authenticated message, but no key for it",
			    from, buf, len);
			return;
		}
		if (sp.engine_id_len != v->engine_id_len ||
		    memcmp(sp.engine_id, v->engine_id, v->engine_id_len) != 0) {
			s->stats.usm.unknown_engine_ids++;
			sess_badpkt(m, s, SNMPMGR_ERR_ENGINE_ID, "message from "
			    "an engine ID other than the agent's", from, buf,
			    len);
			return;
		}
		if (s->opts.v3.cred != NULL)
			user = usm_cred_user(s->opts.v3.cred, &ulen);
		if (sp.user_len != ulen || (ulen > 0 &&
		    memcmp(sp.user, user, ulen) != 0)) {
			s->stats.usm.unknown_user_names++;
			sess_badpkt(m, s, SNMPMGR_ERR_USER_NAME,
			    "message for another user", from, buf, len);
			return;
		}
		if (v3_verify(v->user, buf, len, &sp) == -1) {
			s->stats.usm.wrong_digests++;
			sess_badpkt(m, s, SNMPMGR_ERR_AUTH_FAILED, "wrong "
			    "digest: forged or corrupted message dropped",
			    from, buf, len);
			return;
		}
		authed = true;
		if ((msg->msg_flags & SNMP_MSGFLAG_PRIV) != 0 &&
		    v3_decrypt(v->user, msg, &sp, m->dbuf,
		    SNMPMGR_MAX_DGRAM) == -1) {
			s->stats.usm.decryption_errors++;
			sess_badpkt(m, s, SNMPMGR_ERR_DECRYPT,
			    snmpmgr_lasterr_detail(), from, buf, len);
			return;
		}
	} else if (msg->encrypted != NULL) {
		sess_badpkt(m, s, SNMPMGR_ERR_DEFECTIVE, "encryptedPDU "
		    "without the privacy flag", from, buf, len);
		return;
	}
	if (msg->pdu.type == SNMP_PDU_REPORT && msg->pdu.nvb > 0)
		error = usm_report_error(&msg->pdu.vb[0].name);
	/*
	 * RFC 3414 3.2 step 7b.  A notInTimeWindow report is exempt: it
	 * carries the clock we lack.
	 */
	now = sess_now(m);
	if (authed && !(msg->pdu.type == SNMP_PDU_REPORT &&
	    error == SNMPMGR_ERR_TIME_FRAME) &&
	    usm_time_check(&v->tl, sp.boots, sp.time,
	    (int64_t)(now / 1000000)) == -1) {
		s->stats.usm.not_in_time_windows++;
		sess_badpkt(m, s, SNMPMGR_ERR_TIME_FRAME,
		    snmpmgr_lasterr_detail(), from, buf, len);
		return;
	}
	if (authed)
		v->agent_max_size = msg->msg_max_size;

	switch (msg->pdu.type) {
	case SNMP_PDU_REPORT:
		if (sess_tracing(s))
			sess_trace_in(s, from, fromlen, buf, len, msg, 0, NULL);
		sess_v3_report(m, s, r, msg, &sp, authed);
		return;
	case SNMP_PDU_RESPONSE:
		break;
	default:
		sess_badpkt(m, s, SNMPMGR_ERR_BAD_PACKET, "unexpected PDU in "
		    "an SNMPv3 message", from, buf, len);
		return;
	}
	/* RFC 3412 7.2 step 12: the response's level is the request's. */
	if ((msg->msg_flags & V3_LEVEL_MASK) != r->level) {
		s->stats.usm.unauthenticated++;
		sess_badpkt(m, s, SNMPMGR_ERR_NOT_AUTHENTICATED, "response at "
		    "another security level than the request", from, buf,
		    len);
		return;
	}
	if (msg->pdu.request_id != r->id) {
		sess_badpkt(m, s, SNMPMGR_ERR_BAD_PACKET, "response whose "
		    "request-id differs from its msgID's request", from, buf,
		    len);
		return;
	}
	if (sess_tracing(s))
		sess_trace_in(s, from, fromlen, buf, len, msg, 0, NULL);
	if (r->kind == SESS_REQ_PROBE) {
		sess_v3_probe_answer(m, s, r, msg, &sp, 0, authed);
		return;
	}
	sess_req_complete(m, s, r, &msg->pdu, now);
}

static struct sess_req *
sess_v3_request(struct sess *s, const struct snmp_pdu *pdu, sess_cb *cb,
    void *arg)
{
	struct sess_mgr	*m = s->m;
	struct sess_v3	*v = s->v3;
	struct sess_req	*r = NULL;
	struct snmp_pdu	 p;
	const uint8_t	*out;
	ssize_t		 len;
	size_t		 max;

	if (v == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION, "SNMPv3 state missing");
		return NULL;
	}
	if (sess_hash_grow(m) == -1 || (r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->s = s;
	r->cb = cb;
	r->arg = arg;
	r->is_v3 = true;
	r->kind = SESS_REQ_PDU;
	r->level = v->level;
	/* RFC 3412 6.4: the confirmed class asks for reports. */
	r->reportable = pdu->type == SNMP_PDU_GET ||
	    pdu->type == SNMP_PDU_GETNEXT || pdu->type == SNMP_PDU_GETBULK ||
	    pdu->type == SNMP_PDU_SET || pdu->type == SNMP_PDU_INFORM;
	r->id = sess_mgr_next_block(m);
	p = *pdu;
	p.request_id = r->id;
	if ((len = snmp_pdu_encode(&p, m->ebuf, SNMPMGR_MAX_MSG_SIZE,
	    &out)) == -1) {
		if (snmpmgr_lasterr() == 0)
			snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, NULL);
		goto fail;
	}
	max = s->opts.max_packet_size;
	if (max == 0 || max > SNMPMGR_MAX_MSG_SIZE)
		max = SNMPMGR_MAX_MSG_SIZE;
	if ((size_t)len + SESS_V3_OVERHEAD > max) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, "PDU of %zd octets "
		    "and the SNMPv3 envelope exceed max_packet_size %zu", len,
		    max);
		goto fail;
	}
	if ((r->pdu = malloc((size_t)len)) == NULL)
		goto nomem;
	memcpy(r->pdu, out, (size_t)len);
	r->pdu_len = (size_t)len;
	r->tries_left = s->opts.retries > SNMPMGR_MAX_RETRIES ?
	    SNMPMGR_MAX_RETRIES : s->opts.retries;
	sess_hash_insert(m, r);
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	s->npending++;
	if (v->disc == SESS_DISC_DONE) {
		if (sess_v3_send(r, sess_now(m)) == -1) {
			sess_req_unlink(r);
			goto fail;
		}
	} else if (sess_v3_wait(s, r, false) == -1) {
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

struct sess_req *
sess_discover(struct sess *s, sess_cb *cb, void *arg)
{
	struct sess_mgr	*m = s->m;
	struct sess_req	*r;

	if (s->opts.version != SNMP_V3 || s->v3 == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "engine discovery needs an SNMPv3 session");
		return NULL;
	}
	if (!s->opts.enabled || s->dying) {
		snmpmgr_seterr(SNMPMGR_ERR_MUST_BE_ACTIVE, "session disabled");
		return NULL;
	}
	if (s->npending >= SNMPMGR_MAX_SESSION_PENDING) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "%zu requests outstanding",
		    s->npending);
		return NULL;
	}
	if (sess_hash_grow(m) == -1 || (r = calloc(1, sizeof(*r))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	r->s = s;
	r->cb = cb;
	r->arg = arg;
	r->is_v3 = true;
	r->kind = SESS_REQ_DISCOVER;
	r->id = sess_mgr_next_block(m);
	sess_hash_insert(m, r);
	TAILQ_INSERT_TAIL(&s->reqs, r, entry);
	s->npending++;
	if (sess_v3_wait(s, r, true) == -1) {
		sess_req_unlink(r);
		sess_req_destroy(r);
		return NULL;
	}
	sess_mgr_rewake(m);
	return r;
}

int
sess_v3_info(const struct sess *s, struct sess_v3_info *info)
{
	const struct sess_v3 *v = s->v3;

	memset(info, 0, sizeof(*info));
	if (s->opts.version != SNMP_V3 || v == NULL)
		return -1;
	info->disc = v->disc;
	info->level = sess_v3_level_of(v->level);
	memcpy(info->engine_id, v->engine_id, v->engine_id_len);
	info->engine_id_len = v->engine_id_len;
	info->time_known = v->tl.known;
	if (v->tl.known)
		usm_time_now(&v->tl, (int64_t)(s->m->io.now_us(s->m->io.arg) /
		    1000000), &info->boots, &info->time);
	info->agent_max_size = v->agent_max_size;
	info->discovered_us = v->discovered_us;
	info->last_error = v->last_error;
	return 0;
}

void
sess_mgr_set_v3_hooks(struct sess_mgr *m, const struct sess_v3_hooks *h)
{
	if (h == NULL)
		memset(&m->v3hooks, 0, sizeof(m->v3hooks));
	else
		m->v3hooks = *h;
}
