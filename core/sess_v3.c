/*
 * sess_v3.c - the SNMPv3 half of the request engine (RFC 3412 7 message
 * processing, RFC 3414 3 and 4 USM and engine discovery): the v3 state of
 * a session, msgID blocks, discovery probes, reports and recovery.
 *
 * A v3 request keeps its encoded PDU, and every transmission wraps it in
 * a new envelope (v3.c): a new msgID, the engine time as estimated now, a
 * fresh salt.  Each v3 request owns a block of SESS_V3_IDS consecutive
 * IDs: the first is its request-id and its first msgID, retransmissions
 * use the next ones, and a response to any msgID of the block is matched
 * (so a slow answer to the first try still counts), by a hash lookup of
 * the msgID rounded down to the block.  Requests made before the agent's
 * engine is known wait in the session's queue while discovery runs
 * (RFC 3414 4): an engine ID probe (noAuthNoPriv, empty user), then, for
 * authenticated levels, a probe signed with the user's key and zero
 * boots/time that the agent answers with an authenticated notInTimeWindow
 * report carrying its clock.  Keys are localized then, through the
 * manager's cache, never per packet.  An unknownEngineID or
 * notInTimeWindow report to a request (the agent was replaced, rebooted
 * or its clock jumped) starts discovery again (or, for an authenticated
 * notInTimeWindow report, just takes its clock) and the request is sent
 * once more, its callback unaware.  Every authenticated message is
 * checked for engine ID, user, digest and time window before anything in
 * it is used; what fails is dropped, counted and passed to the bad-packet
 * hook.
 *
 * Sessions, requests, retransmission and input are session.c's; the
 * structs both halves use are in sess_int.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "errors.h"
#include "limits.h"
#include "oid.h"
#include "pdu.h"
#include "reqtab.h"
#include "sess_int.h"
#include "session.h"
#include "tsm.h"
#include "usm.h"
#include "v3.h"

/* Room for the v3 envelope around a PDU: header, security parameters
 * with the longest engine ID, user, digest and salt, context, padding. */
#define SESS_V3_OVERHEAD	(64 + 2 * SNMPMGR_MAX_ENGINE_ID_LEN + \
				 SNMPMGR_MAX_USER_LEN + USM_MAX_MAC_LEN + \
				 USM_PRIV_PARAMS_LEN + \
				 SNMPMGR_MAX_CONTEXT_LEN + 8)

/* Local monotonic time in seconds, for USM timeliness. */
static int64_t
sess_now_s(struct sess_mgr *m)
{
	return (int64_t)(sess_now(m) / 1000000);
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
	} while (reqtab_hash_find(&m->rt, (int32_t)id) != NULL);
	return (int32_t)id;
}

/* The msgFlags security-level bits requests of o use. */
static uint8_t
sess_v3_level_bits(const struct sess_v3opts *o, bool tsm)
{
	uint8_t	 max = 0;

	if (tsm)
		max = V3_LEVEL_MASK;	/* the transport provides it */
	else if (o->cred != NULL && usm_cred_auth(o->cred) != USM_AUTH_NONE) {
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
	case SESS_DISC_CONTEXT:
		return "discovering contextEngineID";
	}
	return "?";
}

/* SPEC.md 2: the v3 options make sense together.  0 or -1. */
int
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
	if (o->transport != SESS_TRANSPORT_DTLS &&
	    v->level >= SESS_LEVEL_AUTH && auth == USM_AUTH_NONE) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_AUTH_PASSWORD, "%s needs an "
		    "authentication protocol with a password or key",
		    sess_level_name(v->level));
		return -1;
	}
	if (o->transport != SESS_TRANSPORT_DTLS &&
	    v->level == SESS_LEVEL_PRIV && priv == USM_PRIV_NONE) {
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
	const struct sess_v3opts *o = &s->opts->v3;

	usm_user_free(v->user);
	v->user = NULL;
	v->engine_id_len = 0;
	memset(&v->tl, 0, sizeof(v->tl));
	v->agent_max_size = 0;		/* its next message says */
	v->level = sess_v3_level_bits(o, SESS_IS_TSM(s));
	v->disc = SESS_DISC_NONE;
	if (SESS_IS_TSM(s)) {
		/* No USM discovery (RFC 5591); the contextEngineID given,
		 * or learnt through RFC 5343 before the first request. */
		if (o->context_engine_id_len > 0) {
			memcpy(v->engine_id, o->context_engine_id,
			    o->context_engine_id_len);
			v->engine_id_len = o->context_engine_id_len;
		} else if (o->engine_id_len > 0) {
			memcpy(v->engine_id, o->engine_id, o->engine_id_len);
			v->engine_id_len = o->engine_id_len;
		}
		if (v->engine_id_len > 0)
			v->disc = SESS_DISC_DONE;
		return;
	}
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

int
sess_v3_new(struct sess *s)
{
	if (s->v3 != NULL)
		return 0;
	if (sess_mgr_v3_ready(s->m) == -1)
		return -1;
	if ((s->usm == NULL && (s->usm = calloc(1, sizeof(*s->usm))) ==
	    NULL) || (s->v3 = calloc(1, sizeof(*s->v3))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	TAILQ_INIT(&s->v3->waitq);
	sess_v3_preset(s);
	return 0;
}

/* After the session's requests are gone. */
void
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
 * The answer to the RFC 5343 probe: snmpEngineID.0 is the contextEngineID
 * from now on.  The answer's own contextEngineID is not checked: Net-SNMP
 * 5.9.3 over DTLS echoes another one there.
 */
static void
sess_tsm_context_answer(struct sess *s, const struct snmp_msg *msg,
    int error)
{
	struct sess_v3		*v = s->v3;
	const struct snmp_value	*val;

	if (msg->pdu.type != SNMP_PDU_RESPONSE) {
		sess_v3_finish(s, error != 0 ? error : SNMPMGR_ERR_DISCOVERY,
		    "contextEngineID discovery (RFC 5343): the agent sent a "
		    "report");
		return;
	}
	val = msg->pdu.nvb == 1 ? &msg->pdu.vb[0].value : NULL;
	if (val == NULL || val->type != SNMP_T_OCTETS || val->len < 5 ||
	    val->len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		sess_v3_finish(s, SNMPMGR_ERR_DISCOVERY, "contextEngineID "
		    "discovery (RFC 5343): no snmpEngineID.0 in the answer");
		return;
	}
	memcpy(v->engine_id, val->data, val->len);
	v->engine_id_len = val->len;
	sess_v3_finish(s, 0, NULL);
}

/*
 * The options changed (old were in force, their block still held): when
 * anything the v3 state depends on changed, start over from the preset
 * values.
 */
void
sess_v3_sync(struct sess *s, const struct sess_opts *old, bool moved)
{
	const struct sess_v3opts *n = &s->opts->v3, *o = &old->v3;
	struct sess_v3	*v;
	struct sess_req	*r;
	bool		 reset;

	/* The blocks hold the credentials (sess_opts.c). */
	if (s->opts->version != SNMP_V3) {
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
int
sess_v3_transmit(struct sess_req *r, uint64_t now)
{
	struct sess		*s = r->s;
	struct sess_mgr		*m = s->m;
	struct sess_v3		*v = s->v3;
	const struct sess_v3opts *so = &s->opts->v3;
	struct v3_out		 o;
	const uint8_t		*out;
	ssize_t			 len;
	size_t			 max;

	if (v == NULL || s->opts->version != SNMP_V3) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "session is no longer SNMPv3");
		return -1;
	}
	if (r->ntx >= SESS_V3_IDS) {
		snmpmgr_seterr(SNMPMGR_ERR_TIMEOUT, "no msgID left");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.msg_id = r->ent.id + r->ntx;
	o.max_size = so->msg_max_size != 0 ? (int32_t)so->msg_max_size :
	    SNMPMGR_MAX_MSG_SIZE;
	o.flags = r->level | (r->reportable ? SNMP_MSGFLAG_REPORT : 0);
	o.pdu = r->pdu;
	o.pdu_len = r->pdu_len;
	/*
	 * The context: a request's is the one given or the agent's engine;
	 * probes have none but the USM time probe's (the agent's engine)
	 * and the RFC 5343 one's (whoever answers).
	 */
	if (r->kind != SESS_REQ_PROBE) {
		if (so->context_engine_id_len > 0) {
			o.ctx_engine_id = so->context_engine_id;
			o.ctx_engine_id_len = so->context_engine_id_len;
		} else {
			o.ctx_engine_id = v->engine_id;
			o.ctx_engine_id_len = v->engine_id_len;
		}
		o.ctx_name = (const uint8_t *)so->context_name;
		o.ctx_name_len = strlen(so->context_name);
	} else if (SESS_IS_TSM(s)) {
		o.ctx_engine_id = tsm_local_engine_id;
		o.ctx_engine_id_len = TSM_LOCAL_ENGINE_ID_LEN;
	} else if (r->step != SESS_DISC_ENGINE) {
		o.ctx_engine_id = v->engine_id;
		o.ctx_engine_id_len = v->engine_id_len;
	}
	if (SESS_IS_TSM(s))
		/* RFC 5591 4.2: no USM parameters, the ScopedPDU in clear
		 * for the transport (DTLS: authPriv) to protect. */
		len = tsm_encode(&o, TSM_LEVEL_PRIV, m->ebuf,
		    SNMPMGR_MAX_MSG_SIZE, &out);
	else {
		if (r->kind == SESS_REQ_PROBE && r->step == SESS_DISC_ENGINE) {
			/* RFC 3414 4: empty engine ID and user,
			 * noAuthNoPriv. */
			o.engine_id = (const uint8_t *)"";
			o.user = (const uint8_t *)"";
		} else {
			o.engine_id = v->engine_id;
			o.engine_id_len = v->engine_id_len;
			if (so->cred != NULL)
				o.user = usm_cred_user(so->cred, &o.user_len);
			o.u = v->user;
		}
		/* RFC 3414 4: probes carry zero boots and time. */
		if (r->kind != SESS_REQ_PROBE)
			usm_time_now(&v->tl, (int64_t)(now / 1000000),
			    &o.boots, &o.time);
		len = v3_encode(&o, m->ebuf, SNMPMGR_MAX_MSG_SIZE, m->sbuf,
		    SNMPMGR_MAX_MSG_SIZE, &out);
	}
	if (len == -1)
		return -1;
	max = s->opts->max_packet_size;
	if (max == 0 || max > SNMPMGR_MAX_MSG_SIZE)
		max = SNMPMGR_MAX_MSG_SIZE;
	if ((size_t)len > max) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "message of %zd octets, max_packet_size %zu", len, max);
		return -1;
	}
	/* RFC 3412 6.1: no larger than the agent said it can take. */
	if (v->agent_max_size >= 484 && len > v->agent_max_size) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, "message of %zd "
		    "octets, more than the agent's msgMaxSize %d", len,
		    (int)v->agent_max_size);
		return -1;
	}
	r->ntx++;
	r->sent_at = now;
	if (sess_send(s, out, (size_t)len) == -1)
		return -1;
	if (sess_tracing(s))
		sess_trace_out(s, out, (size_t)len, r->pdu, r->pdu_len);
	return 0;
}

/* Put r on the heap with a fresh deadline and send it.  0 or -1. */
static int
sess_v3_send(struct sess_req *r, uint64_t now)
{
	struct sess_mgr	*m = r->s->m;

	r->ent.deadline = now + sess_req_timeout_us(r);
	if (!r->ent.in_heap && reqtab_heap_push(&m->rt, &r->ent) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	if (r->ent.in_heap)
		reqtab_heap_update(&m->rt, &r->ent);
	return sess_transmit(r, now);
}

static void	sess_v3_probe_cb(struct sess_req *, const struct sess_result *,
		    void *);
static const char *sess_v3_report_name(const struct oid *);

/* Make and send a discovery probe for step (RFC 3414 4).  0 or -1. */
static int
sess_v3_probe(struct sess *s, enum sess_disc step)
{
	struct sess_mgr	*m = s->m;
	struct sess_v3	*v = s->v3;
	struct sess_req	*r = NULL;
	struct snmp_pdu	 pdu;
	struct snmp_varbind vb;
	const uint8_t	*out;
	ssize_t		 len;

	if (step == SESS_DISC_TIME && v->user == NULL) {
		/* Localize now, once per engine (usm_cache). */
		if ((v->user = usm_cache_get(m->cache, s->opts->v3.cred,
		    v->engine_id, v->engine_id_len)) == NULL)
			return -1;
	}
	if (reqtab_hash_grow(&m->rt) == -1 ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->s = s;
	r->cb = sess_v3_probe_cb;
	r->arg = s;
	r->is_v3 = true;
	r->kind = SESS_REQ_PROBE;
	r->step = step;
	r->reportable = true;
	r->level = step == SESS_DISC_TIME ? SNMP_MSGFLAG_AUTH : 0;
	r->ent.id = sess_mgr_next_block(m);
	/* An empty GetRequest, as Net-SNMP probes. */
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_GET;
	pdu.request_id = r->ent.id;
	if (step == SESS_DISC_CONTEXT) {
		/* RFC 5343 4: a GET of snmpEngineID.0. */
		memset(&vb, 0, sizeof(vb));
		vb.name = tsm_oid_snmp_engine_id0;
		vb.value.type = SNMP_T_NULL;
		pdu.vb = &vb;
		pdu.nvb = pdu.maxvb = 1;
	}
	if ((len = snmp_pdu_encode(&pdu, m->ebuf, SNMPMGR_MAX_MSG_SIZE,
	    &out)) == -1)
		goto fail;
	if ((r->pdu = malloc((size_t)len)) == NULL)
		goto nomem;
	memcpy(r->pdu, out, (size_t)len);
	r->pdu_len = (size_t)len;
	r->tries_left = s->opts->retries > SNMPMGR_MAX_RETRIES ?
	    SNMPMGR_MAX_RETRIES : s->opts->retries;
	reqtab_hash_insert(&m->rt, &r->ent);
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
	v->rep_known = false;
	v->fallback = false;
	v->fallback_next = false;
	v->fallback_why[0] = '\0';
	if (SESS_IS_TSM(s))
		return sess_v3_probe(s, SESS_DISC_CONTEXT);
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
		s->usm->discoveries++;
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

/*
 * The authenticated probe drew no authenticated answer (why): take
 * boots/time from this run's engine ID report, as single-step discovery
 * does, and end the run with success; the answer to the real request
 * decides (a report to it is its error).  Net-SNMP's tools reach such
 * agents this way.  false when there is no report to fall back to.
 */
static bool
sess_v3_fallback(struct sess *s, const char *why)
{
	struct sess_v3	*v = s->v3;

	snprintf(v->fallback_why, sizeof(v->fallback_why), "%s", why);
	if (!v->rep_known || v->user == NULL) {
		/* This run began at the boots/time probe (the engine ID was
		 * known): get a report to fall back to, once. */
		if (v->reprobed || s->dying)
			return false;
		v->reprobed = true;
		v->fallback_next = true;
		return sess_v3_probe(s, SESS_DISC_ENGINE) == 0;
	}
	usm_time_set(&v->tl, v->rep_boots, v->rep_time, v->rep_at);
	v->fallback = true;
	sess_v3_finish(s, 0, NULL);
	return true;
}

/* A probe ran out of retries, or its session is going away. */
static void
sess_v3_probe_cb(struct sess_req *r, const struct sess_result *res,
    void *arg)
{
	struct sess	*s = arg;
	char		 why[200];

	if (res->error == SNMPMGR_ERR_TIMEOUT && r->step == SESS_DISC_TIME &&
	    !s->dying) {
		snprintf(why, sizeof(why), "no answer to the boots/time probe "
		    "after %u tries", (unsigned)r->ntx);
		if (sess_v3_fallback(s, why))
			return;
	}
	if (res->error == SNMPMGR_ERR_TIMEOUT)
		snprintf(why, sizeof(why), "no answer to the %s probe of "
		    "engine discovery after %u tries",
		    r->step == SESS_DISC_ENGINE ? "engine ID" : "boots/time",
		    (unsigned)r->ntx);
	else
		snprintf(why, sizeof(why), "engine discovery: %s",
		    snmpmgr_lasterr() == res->error ?
		    snmpmgr_lasterr_detail() : snmpmgr_strerror(res->error));
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
	sess_recent_add(m, s, r->ent.id);
	sess_req_destroy(r);

	if (step == SESS_DISC_CONTEXT) {
		sess_tsm_context_answer(s, msg, error);
		return;
	}
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
			if ((v->level & SNMP_MSGFLAG_AUTH) != 0)
				v->agent_max_size = 0;	/* another agent */
			memcpy(v->engine_id, sp->engine_id, sp->engine_id_len);
			v->engine_id_len = sp->engine_id_len;
		}
		v->rep_known = true;
		v->rep_boots = sp->boots;
		v->rep_time = sp->time;
		v->rep_at = sess_now_s(m);
		if ((v->level & SNMP_MSGFLAG_AUTH) == 0 ||
		    s->opts->v3.single_step_discovery || v->fallback_next) {
			v->fallback = v->fallback_next;
			/* Boots and time as the unauthenticated report says:
			 * the first authenticated answer corrects them. */
			usm_time_set(&v->tl, sp->boots, sp->time,
			    sess_now_s(m));
			if ((v->level & SNMP_MSGFLAG_AUTH) != 0 &&
			    v->user == NULL && (v->user =
			    usm_cache_get(m->cache, s->opts->v3.cred,
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
	if (!authed) {
		/* Not the agent's word (anyone can send it), and some
		 * agents answer an authNoPriv probe for a privacy user so:
		 * let the real request find out. */
		snprintf(why, sizeof(why), "unauthenticated %s report to "
		    "the boots/time probe",
		    sess_v3_report_name(&msg->pdu.vb[0].name));
		if (sess_v3_fallback(s, why))
			return;
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
	s->usm->recoveries++;
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
	if (r->ent.in_heap)
		reqtab_heap_remove(&m->rt, &r->ent);
	if (sess_v3_wait(s, r, false) == -1)
		sess_req_fail(r, snmpmgr_lasterr());
	sess_mgr_rewake(m);
}

/* A Report PDU matched to r (RFC 3412 7.2 step 13, RFC 3414 3.2). */
static void
sess_v3_report(struct sess_mgr *m, struct sess *s, struct sess_req *r,
    const struct snmp_msg *msg, const struct usm_secparams *sp, bool authed)
{
	struct sess_usm_stats *st = s->usm;
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
	sess_recent_add(m, s, r->ent.id);
	sess_req_fail(r, error);
	sess_mgr_rewake(m);
}

/*
 * An SNMPv3 message (RFC 3412 7.2, RFC 3414 3.2): match it by msgID, check
 * everything an authenticated message must pass (engine ID, user, digest,
 * then privacy and the time window) before anything in it is used, then
 * hand the response or report to its request.
 */
void
sess_v3_input(struct sess_mgr *m, struct sess *owner,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len, struct snmp_msg *msg, const char *past)
{
	char		 pastbuf[128];
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
	r = key > 0 ? sess_req_of(reqtab_hash_find(&m->rt, key)) : NULL;
	if (r == NULL || !r->is_v3 || r->waiting ||
	    (uint32_t)(msg->msg_id - key) >= r->ntx ||
	    r->s->opts->version != SNMP_V3 || r->s->v3 == NULL) {
		s = key > 0 ? sess_recent_find(m, key) : NULL;
		if (s != NULL && s->opts->version != SNMP_V3)
			s = NULL;
		sess_unmatched(m, owner, s, from, fromlen, buf, len,
		    "SNMPv3 message with an unknown msgID");
		return;
	}
	s = r->s;
	v = s->v3;
	if (!sess_input_accept(m, owner, s, from, fromlen, buf, len))
		return;
	memset(&sp, 0, sizeof(sp));
	if (SESS_IS_TSM(s)) {
		/* RFC 5591 5.2: the transport authenticated and decrypted
		 * it; a level at or below the transport's is accepted. */
		if (tsm_check_msg(msg, TSM_LEVEL_PRIV, NULL) == -1) {
			sess_badpkt(m, s, snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail(), from, buf, len);
			return;
		}
		authed = true;
		goto checked;
	}
	if (v3_secparams(msg, &sp) == -1) {
		sess_badpkt(m, s, snmpmgr_lasterr(), snmpmgr_lasterr_detail(),
		    from, buf, len);
		return;
	}
	if ((msg->msg_flags & SNMP_MSGFLAG_AUTH) != 0) {
		/* RFC 3414 3.2 steps 3-6, from the agent's engine. */
		if (v->user == NULL || usm_user_mac_len(v->user) == 0) {
			s->usm->unauthenticated++;
			sess_badpkt(m, s, SNMPMGR_ERR_NOT_AUTHENTICATED,
			    "authenticated message, but no key for it",
			    from, buf, len);
			return;
		}
		if (sp.engine_id_len != v->engine_id_len ||
		    memcmp(sp.engine_id, v->engine_id, v->engine_id_len) != 0) {
			s->usm->unknown_engine_ids++;
			sess_badpkt(m, s, SNMPMGR_ERR_ENGINE_ID, "message from "
			    "an engine ID other than the agent's", from, buf,
			    len);
			return;
		}
		if (s->opts->v3.cred != NULL)
			user = usm_cred_user(s->opts->v3.cred, &ulen);
		if (sp.user_len != ulen || (ulen > 0 &&
		    memcmp(sp.user, user, ulen) != 0)) {
			s->usm->unknown_user_names++;
			sess_badpkt(m, s, SNMPMGR_ERR_USER_NAME,
			    "message for another user", from, buf, len);
			return;
		}
		if (v3_verify(v->user, buf, len, &sp) == -1) {
			/* usmStatsWrongDigests either way; 310 when there
			 * is no digest at all. */
			s->usm->wrong_digests++;
			if (snmpmgr_lasterr() == SNMPMGR_ERR_NO_SIGNATURE)
				sess_badpkt(m, s, SNMPMGR_ERR_NO_SIGNATURE,
				    "authenticated message without a digest "
				    "(empty msgAuthenticationParameters)",
				    from, buf, len);
			else
				sess_badpkt(m, s, SNMPMGR_ERR_AUTH_FAILED,
				    "wrong digest: forged or corrupted "
				    "message dropped", from, buf, len);
			return;
		}
		authed = true;
		if ((msg->msg_flags & SNMP_MSGFLAG_PRIV) != 0 &&
		    v3_decrypt(v->user, msg, &sp, m->dbuf,
		    SNMPMGR_MAX_DGRAM) == -1) {
			if (snmpmgr_lasterr() != SNMPMGR_ERR_TOO_MANY_OBJECTS) {
				s->usm->decryption_errors++;
				sess_badpkt(m, s, SNMPMGR_ERR_DECRYPT,
				    snmpmgr_lasterr_detail(), from, buf, len);
				return;
			}
			/* Decrypted, and past the varbind bound. */
			snprintf(pastbuf, sizeof(pastbuf), "%s",
			    snmpmgr_lasterr_detail());
			past = pastbuf;
		}
	} else if (msg->encrypted != NULL) {
		sess_badpkt(m, s, SNMPMGR_ERR_DEFECTIVE, "encryptedPDU "
		    "without the privacy flag", from, buf, len);
		return;
	}
 checked:
	if (msg->pdu.type == SNMP_PDU_REPORT && msg->pdu.nvb > 0)
		error = usm_report_error(&msg->pdu.vb[0].name);
	/*
	 * RFC 3414 3.2 step 7b.  A notInTimeWindow report is exempt: it
	 * carries the clock we lack.
	 */
	now = sess_now(m);
	if (SESS_IS_TSM(s))
		goto timed;
	if (authed && !(msg->pdu.type == SNMP_PDU_REPORT &&
	    error == SNMPMGR_ERR_TIME_FRAME) &&
	    usm_time_check(&v->tl, sp.boots, sp.time,
	    (int64_t)(now / 1000000)) == -1) {
		s->usm->not_in_time_windows++;
		sess_badpkt(m, s, SNMPMGR_ERR_TIME_FRAME,
		    snmpmgr_lasterr_detail(), from, buf, len);
		return;
	}
 timed:
	/* A session that does not authenticate trusts any answer as far. */
	if (authed || (v->level & SNMP_MSGFLAG_AUTH) == 0)
		v->agent_max_size = msg->msg_max_size;

	switch (msg->pdu.type) {
	case SNMP_PDU_REPORT:
		if (past != NULL) {
			sess_badpkt(m, s, SNMPMGR_ERR_DEFECTIVE, past, from,
			    buf, len);
			return;
		}
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
	/* RFC 3412 7.2 step 12: the response's level is the request's
	 * (under TSM, any level the transport covers: RFC 5591 5.2). */
	if (!SESS_IS_TSM(s) && (msg->msg_flags & V3_LEVEL_MASK) != r->level) {
		s->usm->unauthenticated++;
		sess_badpkt(m, s, SNMPMGR_ERR_NOT_AUTHENTICATED, "response at "
		    "another security level than the request", from, buf,
		    len);
		return;
	}
	if (msg->pdu.request_id != r->ent.id) {
		sess_badpkt(m, s, SNMPMGR_ERR_BAD_PACKET, "response whose "
		    "request-id differs from its msgID's request", from, buf,
		    len);
		return;
	}
	if (past != NULL) {
		sess_req_past_bound(m, s, r, past, from, buf, len);
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

struct sess_req *
sess_v3_request(struct sess *s, const struct snmp_pdu *pdu,
    const struct snmp_vbl *vbl, sess_cb *cb, void *arg)
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
	if (reqtab_hash_grow(&m->rt) == -1 ||
	    (r = calloc(1, sizeof(*r))) == NULL)
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
	r->ent.id = sess_mgr_next_block(m);
	p = *pdu;
	p.request_id = r->ent.id;
	if ((len = snmp_pdu_encode_vbl(&p, vbl, m->ebuf, SNMPMGR_MAX_MSG_SIZE,
	    &out)) == -1) {
		if (snmpmgr_lasterr() == 0)
			snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, NULL);
		goto fail;
	}
	max = s->opts->max_packet_size;
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
	r->tries_left = s->opts->retries > SNMPMGR_MAX_RETRIES ?
	    SNMPMGR_MAX_RETRIES : s->opts->retries;
	reqtab_hash_insert(&m->rt, &r->ent);
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

	if (s->opts->version != SNMP_V3 || s->v3 == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_VERSION,
		    "engine discovery needs an SNMPv3 session");
		return NULL;
	}
	if (!s->opts->enabled || s->dying) {
		snmpmgr_seterr(SNMPMGR_ERR_MUST_BE_ACTIVE, "session disabled");
		return NULL;
	}
	if (s->npending >= SNMPMGR_MAX_SESSION_PENDING) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "%zu requests outstanding",
		    s->npending);
		return NULL;
	}
	if (reqtab_hash_grow(&m->rt) == -1 ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	r->s = s;
	r->cb = cb;
	r->arg = arg;
	r->is_v3 = true;
	r->kind = SESS_REQ_DISCOVER;
	r->ent.id = sess_mgr_next_block(m);
	reqtab_hash_insert(&m->rt, &r->ent);
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
	if (s->opts->version != SNMP_V3 || v == NULL)
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
	info->fallback = v->fallback;
	if (v->fallback)
		snprintf(info->fallback_why, sizeof(info->fallback_why), "%s",
		    v->fallback_why);
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
