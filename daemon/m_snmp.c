/*
 * m_snmp.c - the snmp.* methods that talk to agents (doc/protocol.md):
 * get, getnext, getbulk, set, walk, and the notification senders inform
 * and trap.
 *
 * The dispatcher has read the params and resolved the target (a
 * configured session, or a temporary one for an inline target) into an
 * op (op.h); each handler builds one request or one walk, hands the op
 * to the engine and says how to answer when it ends.
 * Varbinds always go out through render.c.  snmp.trap is unconfirmed:
 * the datagram is built here and sent once from a socket of its own; an
 * SNMPv3 trap is sent with our engine as the authoritative one (RFC 3412
 * 7.1 step 9: the sender of an unconfirmed PDU is authoritative), keys
 * localized for our engine ID.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/tsm.h"
#include "core/usm.h"
#include "core/v3.h"
#include "core/walk.h"

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "methods.h"
#include "op.h"
#include "render.h"
#include "sessions.h"
#include "state.h"
#include "trap_rx.h"
#include "v3cache.h"

/* Rows a walk may collect into one reply ("stream": false). */
#define METHODS_MAX_COLLECT	100000
/* Transports whose traps go on the session's connection or association. */
#define MT_CONNECTED(t)	(SESS_TRANSPORT_IS_STREAM(t) || \
	    (t) == SESS_TRANSPORT_DTLS)

static const struct oid mt_sysuptime = { 9, { 1, 3, 6, 1, 2, 1, 1, 3, 0 } };
static const struct oid mt_trapoid = { 11,
	{ 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 } };
static const struct oid mt_snmptraps = { 9, { 1, 3, 6, 1, 6, 3, 1, 1, 5 } };

/* What a walk keeps between its rows (op->priv). */
struct walkst {
	bool			 stream;
	struct state_poll	*store;	/* the session's, when "store" */
	struct state_vals	 staged; /* this walk's rows for the store */
	bool			 store_full;
	bool			 oom;
	uint64_t		 count;
	struct oid		 last;
	struct render_buf	 buf;
};

static void
walkst_free(void *arg)
{
	struct walkst	*ws = arg;

	if (ws == NULL)
		return;
	render_buf_free(&ws->buf);
	state_vals_free(&ws->staged);
	free(ws);
}

/* --------------------------------------------- get, getnext, getbulk, set */

/* A PDU of type over the n varbinds at vb (not copied). */
static void
op_pdu_init(struct snmp_pdu *pdu, uint8_t type, struct snmp_varbind *vb,
    size_t n)
{
	memset(pdu, 0, sizeof(*pdu));
	pdu->type = type;
	pdu->vb = vb;
	pdu->nvb = pdu->maxvb = n;
}

/* An answer's members: error_status, its name, error_index, varbinds. */
static void
snmp_render_pdu(struct render_buf *b, const struct snmp_pdu *pdu)
{
	const char	*name;

	render_adds(b, "\"error_status\":");
	render_i64(b, pdu->error_status);
	render_adds(b, ",\"error_status_name\":");
	if ((name = snmp_error_status_name(pdu->error_status)) == NULL)
		name = "unknown";
	render_json_str(b, name, strlen(name));
	render_adds(b, ",\"error_index\":");
	render_i64(b, pdu->error_index);
	render_adds(b, ",\"varbinds\":");
	render_varbinds(b, pdu->vb, pdu->nvb);
}

/* The last member of an answer, the round trip, and its closing brace. */
static void
snmp_render_rtt(struct render_buf *b, uint32_t rtt_us)
{
	char	 rtt[32];
	int	 n;

	n = snprintf(rtt, sizeof(rtt), ",\"rtt_ms\":%.3f}", rtt_us / 1000.0);
	render_add(b, rtt, (size_t)n);
}

/* The reply to a request: the response PDU and the round trip. */
static void
snmp_reply_pdu(struct ctl_req *r, const struct snmp_pdu *pdu, uint32_t rtt_us,
    int stored)
{
	struct render_buf	 b;

	render_buf_init(&b);
	render_add(&b, "{", 1);
	snmp_render_pdu(&b, pdu);
	render_adds(&b, ",\"request_id\":");
	render_i64(&b, pdu->request_id);
	if (stored >= 0)
		render_adds(&b, stored ? ",\"stored\":true" : ",\"stored\":false");
	snmp_render_rtt(&b, rtt_us);
	if (b.failed)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(r, b.p, b.len);
	render_buf_free(&b);
}

/*
 * The session's store for an operation with "store": true (made on first
 * use), NULL when not asked.  An inline target has none: -32602, and
 * *refused is set.
 */
static struct state_poll *
snmp_store_of(struct mcall *c, bool *refused)
{
	struct dsess		*ds = c->op->ds;
	struct state_poll	*store;

	*refused = false;
	if (!mcall_bool(c, "store", false))
		return NULL;
	if (ds == NULL) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, "store: only a configured "
		    "session stores values (\"session\", not \"target\")",
		    NULL);
		*refused = true;
		return NULL;
	}
	if ((store = sessions_store_make(ds)) == NULL) {
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
		*refused = true;
	}
	return store;
}

/* The request ID of a failed request, in its error's data. */
static json_t *
snmp_req_err_data(const struct op *op)
{
	return op->req_id != 0 ? json_pack("{s:i}", "request_id",
	    (int)op->req_id) : NULL;
}

/* What a broadcast get collects (op->priv). */
struct bcast {
	struct render_buf	 b;	/* the answers, comma-separated */
	uint32_t		 n;
};

static void
bcast_free(void *arg)
{
	struct bcast	*bc = arg;

	if (bc == NULL)
		return;
	render_buf_free(&bc->b);
	free(bc);
}

/* One answer to a broadcast request: kept with its source. */
static void
snmp_answer_more(struct op *op, const struct sess_result *res)
{
	struct bcast		*bc = op->priv;
	const struct snmp_pdu	*pdu = res->pdu;
	char			 addr[128];

	if (bc->n >= METHODS_MAX_COLLECT)
		return;
	transport_addr_str(res->from, res->fromlen, true, addr, sizeof(addr));
	if (bc->n++ > 0)
		render_add(&bc->b, ",", 1);
	render_adds(&bc->b, "{\"source\":");
	render_json_str(&bc->b, addr, strlen(addr));
	render_add(&bc->b, ",", 1);
	snmp_render_pdu(&bc->b, pdu);
	snmp_render_rtt(&bc->b, res->rtt_us);
	op_response_event(op, pdu->vb, pdu->nvb, pdu, res->rtt_us);
}

/* A broadcast request's deadline: every answer, or 201 when none came. */
static void
snmp_answer_broadcast(struct op *op, const struct sess_result *res)
{
	struct bcast		*bc = op->priv;
	struct render_buf	 out;
	char			 detail[512];

	if (res->error != 0) {
		op_error_detail(op, res->error, res->tries, detail,
		    sizeof(detail));
		ctl_req_error_num(op->r, res->error, detail,
		    snmp_req_err_data(op));
		op_error_event(op, res->error, detail, snmp_req_err_data(op));
		return;
	}
	render_buf_init(&out);
	render_adds(&out, "{\"broadcast\":true,\"count\":");
	render_u64(&out, bc->n);
	render_adds(&out, ",\"request_id\":");
	render_i64(&out, op->req_id);
	render_adds(&out, ",\"responses\":[");
	render_add(&out, bc->b.p, bc->b.len);
	render_adds(&out, "]}");
	if (out.failed || bc->b.failed)
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(op->r, out.p, out.len);
	render_buf_free(&out);
}

/* The answer of get, getnext, getbulk, set and inform. */
static void
snmp_answer(struct op *op, const struct sess_result *res)
{
	struct state_poll *store = op->priv;
	char		 detail[512];
	int		 stored = -1;

	if (res->error != 0) {
		op_error_detail(op, res->error, res->tries, detail,
		    sizeof(detail));
		ctl_req_error_num(op->r, res->error, detail,
		    snmp_req_err_data(op));
		op_error_event(op, res->error, detail, snmp_req_err_data(op));
	} else {
		if (store != NULL && res->pdu->error_status == 0)
			stored = state_store_add(store, res->pdu->vb,
			    res->pdu->nvb, state_now_ms()) == 0;
		else if (store != NULL)
			stored = 0;
		snmp_reply_pdu(op->r, res->pdu, res->rtt_us, stored);
		op_response_event(op, res->pdu->vb, res->pdu->nvb, res->pdu,
		    res->rtt_us);
	}
	if (op->ds != NULL)
		sessions_note(op->ds, res->error, res->error ? detail : NULL);
}

/* get, getnext, getbulk: one request for the OIDs. */
static int
snmp_request(struct mcall *c, uint8_t type)
{
	struct op		*op = c->op;
	const struct sess_opts	*so = sess_get_opts(op->s);
	struct snmp_varbind	*vb;
	struct snmp_pdu		 pdu;
	size_t			 n;

	bool			 refused;

	vb = mcall_varbinds(c, "oids", &n);
	op->priv = snmp_store_of(c, &refused);
	if (refused) {
		op_free(op);
		return CTL_DONE;
	}
	op_pdu_init(&pdu, type, vb, n);
	if (so->broadcast) {
		struct bcast	*bc;

		if (op->priv != NULL) {
			ctl_req_error(c->r, CTL_ERR_PARAMS, "store: not on a "
			    "broadcast session (many agents answer)", NULL);
			op_free(op);
			return CTL_DONE;
		}
		if ((bc = calloc(1, sizeof(*bc))) == NULL) {
			ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory",
			    NULL);
			op_free(op);
			return CTL_DONE;
		}
		render_buf_init(&bc->b);
		op->priv = bc;
		op->priv_free = bcast_free;
		op->answer_more = snmp_answer_more;
	}
	if (type == SNMP_PDU_GETBULK) {
		if (so->version == SNMP_V1) {
			ctl_req_error_num(c->r, SNMPMGR_ERR_VERSION,
			    "getbulk needs SNMPv2c or SNMPv3", NULL);
			op_free(op);
			return CTL_DONE;
		}
		pdu.error_status = (int32_t)mcall_uint(c, "non_repeaters",
		    so->non_repeaters);
		pdu.error_index = (int32_t)mcall_uint(c, "max_repetitions",
		    so->max_repetitions);
	}
	return op_request(op, &pdu, so->broadcast ? snmp_answer_broadcast :
	    snmp_answer);
}

int
m_snmp_get(struct mcall *c)
{
	return snmp_request(c, SNMP_PDU_GET);
}

int
m_snmp_getnext(struct mcall *c)
{
	return snmp_request(c, SNMP_PDU_GETNEXT);
}

int
m_snmp_getbulk(struct mcall *c)
{
	return snmp_request(c, SNMP_PDU_GETBULK);
}

/* How snmp.set reads a value of each type. */

int
m_snmp_set(struct mcall *c)
{
	struct snmp_varbind	*vb;
	struct snmp_pdu		 pdu;
	size_t			 n;

	vb = mcall_varbinds(c, "varbinds", &n);
	op_pdu_init(&pdu, SNMP_PDU_SET, vb, n);
	return op_request(c->op, &pdu, snmp_answer);
}

/* ------------------------------------------------------------ snmp.walk */

/*
 * One agent response's rows.  Streamed: one "walk.rows" notification,
 * formatted in one buffer and queued with one copy; pause while the
 * client's queue is over SNMPMGR_CTL_STREAM_HIGH.  Collected: appended to
 * the result, up to METHODS_MAX_COLLECT rows.
 */
static int
snmp_walk_rows_cb(struct walk *w, const struct snmp_varbind *vb, size_t n,
    void *arg)
{
	struct op	*op = arg;
	struct walkst	*ws = op->priv;
	struct render_buf *b = &ws->buf;
	const char	*id;
	size_t		 idlen, i;

	if (ws->store != NULL && !ws->store_full &&
	    state_vals_add(&ws->staged, vb, n) == -1)
		ws->store_full = true;
	op_response_event(op, vb, n, NULL, 0);
	if (!ws->stream) {
		for (i = 0; i < n && ws->count < METHODS_MAX_COLLECT; i++) {
			if (ws->count > 0)
				render_add(b, ",", 1);
			render_varbind(b, &vb[i]);
			ws->count++;
		}
		if (i > 0)
			ws->last = vb[i - 1].name;
		if (b->failed)
			ws->oom = true;
		return 0;
	}
	/* count and last come from the engine's result at the end. */
	ws->count += n;
	if (ctl_req_is_notification(op->r))
		return 0;
	id = ctl_req_id(op->r, &idlen);
	render_buf_reset(b);
	render_adds(b, "{\"jsonrpc\":\"2.0\",\"method\":\"walk.rows\","
	    "\"params\":{\"id\":");
	render_add(b, id, idlen);
	render_adds(b, ",\"varbinds\":");
	render_varbinds(b, vb, n);
	render_add(b, "}}\n", 3);
	if (b->failed) {
		ws->oom = true;
		return 0;
	}
	if (ctl_req_write(op->r, b->p, b->len) == -1)
		return 1;	/* the client is gone; the walk is cancelled */
	if (ctl_req_outq(op->r) > SNMPMGR_CTL_STREAM_HIGH) {
		op_walk_pause(op);
		return 1;
	}
	return 0;
}

static json_t *
snmp_walk_err_data(const struct walkst *ws, const struct walk_result *res)
{
	char		 last[SNMPMGR_MAX_OID_STR];
	const char	*name;
	json_t		*data;

	if (ws->last.len > 0)
		oid_format(&ws->last, last, sizeof(last));
	data = json_pack("{s:I,s:s?}", "count", (json_int_t)ws->count,
	    "last_oid", ws->last.len > 0 ? last : NULL);
	if (data != NULL && ws->last.len == 0)
		json_object_set_new(data, "last_oid", json_null());
	if (data != NULL && res != NULL && res->error_status != 0) {
		name = snmp_error_status_name(res->error_status);
		json_object_set_new(data, "error_status",
		    json_integer(res->error_status));
		json_object_set_new(data, "error_status_name",
		    json_string(name ? name : "unknown"));
		json_object_set_new(data, "error_index",
		    json_integer(res->error_index));
	}
	return data;
}

static void
snmp_walk_answer(struct op *op, const struct walk_result *res)
{
	struct walkst		*ws = op->priv;
	struct render_buf	 out;
	char			 detail[512];

	if (ws->stream) {
		/* The engine's last is the resume point (start_oid if
		 * nothing came). */
		ws->last = res->last;
		ws->count = res->count;
	} else if (ws->last.len == 0)
		ws->last = res->last;
	/* What the walk got is stored even when it failed: each row is
	 * the agent's latest value. */
	if (ws->store != NULL &&
	    state_store_commit(ws->store, &ws->staged, state_now_ms()) == -1)
		ws->store_full = true;
	state_vals_free(&ws->staged);

	if (res->error != 0) {
		op_walk_error_detail(op, res, detail, sizeof(detail));
		ctl_req_error_num(op->r, res->error, detail,
		    snmp_walk_err_data(ws, res));
		if (op->ds != NULL)
			sessions_note(op->ds, res->error, detail);
		op_error_event(op, res->error, detail,
		    snmp_walk_err_data(ws, res));
		return;
	}
	if (op->ds != NULL)
		sessions_note(op->ds, 0, NULL);
	if (!ws->stream && res->count > METHODS_MAX_COLLECT) {
		ctl_req_error_num(op->r, SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "more than 100000 objects: walk with \"stream\": true",
		    snmp_walk_err_data(ws, NULL));
		return;
	}
	if (ws->oom) {
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory",
		    snmp_walk_err_data(ws, NULL));
		return;
	}
	render_buf_init(&out);
	render_adds(&out, "{\"count\":");
	render_u64(&out, ws->count);
	render_adds(&out, ",\"requests\":");
	render_u64(&out, res->requests);
	render_adds(&out, ",\"last_request_id\":");
	render_i64(&out, res->last_request_id);
	if (ws->store != NULL)
		render_adds(&out, ws->store_full ? ",\"stored\":false" :
		    ",\"stored\":true");
	render_adds(&out, ",\"last_oid\":");
	if (ws->last.len > 0)
		render_oid(&out, &ws->last);
	else
		render_adds(&out, "null");
	if (!ws->stream) {
		render_adds(&out, ",\"varbinds\":[");
		render_add(&out, ws->buf.p, ws->buf.len);
		render_adds(&out, "]");
	}
	render_adds(&out, "}");
	if (out.failed)
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(op->r, out.p, out.len);
	render_buf_free(&out);
}

/* What the params of a walk must agree on (before its target). */
int
m_snmp_walk_check(struct mcall *c)
{
	const struct oid	*start = mcall_oid(c, "start_oid");

	if (mcall_given(c, "max_repetitions") &&
	    mcall_uint(c, "max_repetitions", 0) == 0) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, "max_repetitions: must be "
		    "at least 1", NULL);
		return -1;
	}
	if (start != NULL && !oid_is_prefix(mcall_oid(c, "oid"), start)) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, "start_oid: not inside the "
		    "subtree oid", NULL);
		return -1;
	}
	return 0;
}

int
m_snmp_walk(struct mcall *c)
{
	struct op		*op = c->op;
	struct walk_opts	 wo;
	struct walkst		*ws;
	const struct oid	*start = mcall_oid(c, "start_oid");
	bool			 stream = mcall_bool(c, "stream", true);
	bool			 refused;

	walk_opts_from_sess(&wo, op->s, mcall_oid(c, "oid"));
	if (start != NULL)
		wo.start = *start;
	if (mcall_uint(c, "limit", 0) > 0)
		wo.limit = (uint32_t)mcall_uint(c, "limit", 0);
	wo.inside_range = mcall_bool(c, "inside_range", wo.inside_range);
	wo.use_getnext = mcall_bool(c, "use_getnext", wo.use_getnext);
	wo.max_repetitions = (uint32_t)mcall_uint(c, "max_repetitions",
	    wo.max_repetitions);
	wo.fixed_repetitions = mcall_given(c, "max_repetitions");
	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
		op_free(op);
		return CTL_DONE;
	}
	render_buf_init(&ws->buf);
	state_vals_init(&ws->staged);
	ws->stream = stream;
	op->priv = ws;
	op->priv_free = walkst_free;
	ws->store = snmp_store_of(c, &refused);
	if (refused) {
		op_free(op);
		return CTL_DONE;
	}
	/* One row past the bound tells that the subtree holds more. */
	if (!stream && (wo.limit == 0 || wo.limit > METHODS_MAX_COLLECT))
		wo.limit = METHODS_MAX_COLLECT + 1;
	return op_walk(op, &wo, snmp_walk_rows_cb, snmp_walk_answer);
}

/* ------------------------------------------------- snmp.inform, snmp.trap */

/* The varbinds of one notification. */
struct notif {
	struct snmp_varbind	*vb;
	size_t			 nvb;
	struct oid		 trap_oid;
	uint32_t		 uptime;
	uint8_t			 oidbuf[SNMPMGR_MAX_OID_LEN * 5];
};

/*
 * The notification's varbinds (RFC 3416 4.2.6): sysUpTime.0, then
 * snmpTrapOID.0, then the caller's "varbinds" (as for snmp.set; their
 * octets are the dispatcher's, valid while the handler runs).  "uptime"
 * (centiseconds) defaults to the daemon's.  0, or -1 with the error set.
 */
static int
mt_varbinds(struct mcall *c, struct notif *nt)
{
	struct snmp_varbind	*user;
	ssize_t			 bl;
	size_t			 n;
	double			 up;

	memset(nt, 0, sizeof(*nt));
	nt->trap_oid = *mcall_oid(c, "trap_oid");
	up = daemon_uptime(c->d) * 100.0;
	nt->uptime = (uint32_t)mcall_int(c, "uptime", up > UINT32_MAX ?
	    UINT32_MAX : (uint32_t)up);
	user = mcall_varbinds(c, "varbinds", &n);
	if ((nt->vb = calloc(n + 2, sizeof(*nt->vb))) == NULL) {
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return -1;
	}
	nt->vb[0].name = mt_sysuptime;
	nt->vb[0].value.type = SNMP_T_TIMETICKS;
	nt->vb[0].value.u = nt->uptime;
	nt->vb[1].name = mt_trapoid;
	nt->vb[1].value.type = SNMP_T_OID;
	if ((bl = oid_to_ber(&nt->trap_oid, nt->oidbuf,
	    sizeof(nt->oidbuf))) == -1) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, "trap_oid: not encodable",
		    NULL);
		return -1;
	}
	nt->vb[1].value.data = nt->oidbuf;
	nt->vb[1].value.len = (size_t)bl;
	if (n > 0)
		memcpy(nt->vb + 2, user, n * sizeof(*user));
	nt->nvb = n + 2;
	return 0;
}

int
m_snmp_inform(struct mcall *c)
{
	struct notif	 nt;
	struct op	*op = c->op;
	struct snmp_pdu	 pdu;
	int		 rv = CTL_DONE;

	if (mt_varbinds(c, &nt) == -1) {
		op_free(op);
		goto out;
	}
	if (sess_get_opts(op->s)->version == SNMP_V1) {
		ctl_req_error_num(c->r, SNMPMGR_ERR_VERSION, "an InformRequest "
		    "needs SNMPv2c or SNMPv3", NULL);
		op_free(op);
		goto out;
	}
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_INFORM;
	pdu.vb = nt.vb;
	pdu.nvb = pdu.maxvb = nt.nvb;
	/* The agent's Response or the error, as for a get (nothing to
	 * store: op->priv is NULL). */
	rv = op_request(op, &pdu, snmp_answer);
 out:
	free(nt.vb);
	return rv;
}

/*
 * The local IPv4 address a datagram to s's agent leaves from, for a v1
 * Trap-PDU's agent-addr (as Net-SNMP's tools fill it): a connect() of a
 * UDP socket asks the routing table and sends nothing.  0.0.0.0 when
 * the agent is not IPv4 or no route is known.
 */
static void
mt_local_ipv4(struct sess *s, uint8_t out[4])
{
	const struct sockaddr	*sa;
	struct sockaddr_in	 me;
	socklen_t		 salen, ml = sizeof(me);
	int			 fd;

	memset(out, 0, 4);
	if ((sa = sess_addr(s, &salen)) == NULL || sa->sa_family != AF_INET ||
	    (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (connect(fd, sa, salen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &ml) == 0 &&
	    me.sin_family == AF_INET)
		memcpy(out, &me.sin_addr, 4);
	close(fd);
}

/*
 * RFC 3584 3.2 (1): an SNMPv1 Trap-PDU for a notification OID.  Under
 * snmpTraps (1.3.6.1.6.3.1.1.5.N, N 1..6) it is generic trap N-1;
 * otherwise enterpriseSpecific, the enterprise being the OID without its
 * last arc (and without the 0 before it, if there is one) and the
 * specific-trap its last arc.  "enterprise" in params overrides it for
 * the generic traps.
 */
static int
mt_v1_pdu(struct mcall *c, struct sess *s, const struct oid *trap_oid,
    uint32_t uptime, struct snmp_pdu *pdu)
{
	struct ctl_req	*r = c->r;
	const char	*addr;
	uint32_t	 last;
	int		 rv;

	pdu->type = SNMP_PDU_TRAP_V1;
	pdu->time_stamp = uptime;
	if (trap_oid->len == mt_snmptraps.len + 1 &&
	    oid_is_prefix(&mt_snmptraps, trap_oid) &&
	    trap_oid->arcs[trap_oid->len - 1] >= 1 &&
	    trap_oid->arcs[trap_oid->len - 1] <= 6) {
		pdu->generic_trap = (int32_t)trap_oid->arcs[trap_oid->len - 1] -
		    1;
		pdu->specific_trap = 0;
		pdu->enterprise = mt_snmptraps;
	} else {
		last = trap_oid->arcs[trap_oid->len - 1];
		if (trap_oid->len < 3 || last > INT32_MAX) {
			ctl_req_error(r, CTL_ERR_PARAMS, "trap_oid: cannot be "
			    "an SNMPv1 enterprise-specific trap", NULL);
			return -1;
		}
		pdu->generic_trap = 6;
		pdu->specific_trap = (int32_t)last;
		pdu->enterprise = *trap_oid;
		pdu->enterprise.len--;
		if (pdu->enterprise.len > 2 &&
		    pdu->enterprise.arcs[pdu->enterprise.len - 1] == 0)
			pdu->enterprise.len--;
	}
	if ((rv = mcall_read(c, "enterprise")) == -1)
		return -1;
	if (rv == 1)
		pdu->enterprise = *mcall_oid(c, "enterprise");
	if ((rv = mcall_read(c, "agent_addr")) == -1)
		return -1;
	addr = mcall_str(c, "agent_addr");
	if (rv == 1 && inet_pton(AF_INET, addr, pdu->agent_addr) != 1) {
		ctl_req_error(r, CTL_ERR_PARAMS, "agent_addr: not an IPv4 "
		    "address", NULL);
		return -1;
	}
	if (rv == 0)
		mt_local_ipv4(s, pdu->agent_addr);
	return 0;
}

/*
 * Send one datagram to the session's agent from a socket of its own; over
 * TCP and DTLS, on the session's connection or association.
 */
static int
mt_send_once(struct sess *s, const uint8_t *buf, size_t len)
{
	struct transport_cfg	 cfg;
	const struct sockaddr	*sa;
	socklen_t		 salen;
	int			 fd, rv;

	if ((sa = sess_addr(s, &salen)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_IP_ADDRESS, "no address");
		return -1;
	}
	if (MT_CONNECTED(sess_get_opts(s)->transport))
		return sess_send_oneway(s, buf, len);
	transport_cfg_default(&cfg, sa->sa_family);
	if ((fd = transport_open(&cfg)) == -1)
		return -1;
	rv = transport_send(fd, buf, len, sa, salen);
	if (rv == -1)
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "send: %s",
		    strerror(errno));
	close(fd);
	return rv;
}

/* The next of a run of IDs that starts at random (1 .. 2^30). */
static int32_t
mt_next_id(int32_t *id)
{
	if (*id == 0)
		*id = (int32_t)(arc4random() & 0x3fffffff) + 1;
	else
		*id = (*id & 0x3fffffff) + 1;
	return *id;
}

/*
 * An SNMPv3 trap over DTLS (RFC 5591 4.2): TSM, empty security
 * parameters, the ScopedPDU in clear for the association to protect, at
 * the session's security level; the contextEngineID is ours.  Length or
 * -1 with lasterr.
 */
static ssize_t
mt_tsm_trap(struct daemon *d, struct sess *s, const struct snmp_pdu *pdu,
    uint8_t *s1, uint8_t *out, const uint8_t **start)
{
	const struct sess_v3opts *v3 = &sess_get_opts(s)->v3;
	struct v3_out		 o;
	const uint8_t		*p;
	ssize_t			 n;
	static int32_t		 msg_id;

	if ((n = snmp_pdu_encode(pdu, s1, SNMPMGR_MAX_DGRAM, &p)) == -1)
		return -1;
	mt_next_id(&msg_id);
	memset(&o, 0, sizeof(o));
	o.msg_id = msg_id;
	o.max_size = SNMPMGR_MAX_MSG_SIZE;
	o.flags = tsm_flags(v3->level == SESS_LEVEL_NOAUTH ? TSM_LEVEL_NOAUTH :
	    v3->level == SESS_LEVEL_AUTH ? TSM_LEVEL_AUTH : TSM_LEVEL_PRIV,
	    false);
	if (v3->context_engine_id_len > 0) {
		o.ctx_engine_id = v3->context_engine_id;
		o.ctx_engine_id_len = v3->context_engine_id_len;
	} else if (v3->local_engine_id_len > 0) {
		o.ctx_engine_id = v3->local_engine_id;
		o.ctx_engine_id_len = v3->local_engine_id_len;
	} else {
		o.ctx_engine_id = d->engine_id;
		o.ctx_engine_id_len = d->engine_id_len;
	}
	o.ctx_name = (const uint8_t *)v3->context_name;
	o.ctx_name_len = strlen(v3->context_name);
	o.pdu = p;
	o.pdu_len = (size_t)n;
	return tsm_encode(&o, TSM_LEVEL_PRIV, out, SNMPMGR_MAX_DGRAM, start);
}

/*
 * An SNMPv3 trap from our engine with the session's credential, localized
 * for our engine ID.  Length or -1 with lasterr.
 */
static ssize_t
mt_v3_trap(struct daemon *d, struct sess *s, const struct snmp_pdu *pdu,
    uint8_t *s1, uint8_t *s2, uint8_t *out, const uint8_t **start)
{
	const struct sess_opts	*so = sess_get_opts(s);
	const struct sess_v3opts *v3 = &so->v3;
	struct trapproc_local	 me;
	struct usm_user		*u = NULL;
	const uint8_t		*user, *ceng, *eid = d->engine_id;
	enum usm_auth		 auth;
	enum usm_priv		 priv;
	size_t			 userlen, ceng_len, eid_len = d->engine_id_len;
	ssize_t			 n;
	bool			 use_auth, use_priv;
	static int32_t		 msg_id;

	/* The session's own engine ID, when it has one. */
	if (v3->local_engine_id_len > 0) {
		eid = v3->local_engine_id;
		eid_len = v3->local_engine_id_len;
	}
	if (eid_len == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "no local engine "
		    "ID for an SNMPv3 trap");
		return -1;
	}
	if (v3->cred == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME, "the session has no "
		    "SNMPv3 user");
		return -1;
	}
	user = usm_cred_user(v3->cred, &userlen);
	auth = usm_cred_auth(v3->cred);
	priv = usm_cred_priv(v3->cred);
	use_auth = auth != USM_AUTH_NONE && auth != 0;
	use_priv = use_auth && priv != USM_PRIV_NONE && priv != 0;
	if (v3->level == SESS_LEVEL_NOAUTH)
		use_auth = use_priv = false;
	else if (v3->level == SESS_LEVEL_AUTH)
		use_priv = false;
	if (use_auth && (u = usm_user_new(v3->cred, eid, eid_len)) == NULL)
		return -1;
	me.engine_id = eid;
	me.engine_id_len = eid_len;
	me.boots = d->engine_boots;
	me.time = (uint32_t)daemon_uptime(d);
	/* RFC 3413 3.2: a notification's contextEngineID is ours. */
	ceng = v3->context_engine_id_len > 0 ? v3->context_engine_id : eid;
	ceng_len = v3->context_engine_id_len > 0 ?
	    v3->context_engine_id_len : eid_len;
	mt_next_id(&msg_id);
	n = trapproc_v3_encode(&me, u, use_priv, msg_id, user, userlen, ceng,
	    ceng_len, (const uint8_t *)v3->context_name,
	    strlen(v3->context_name), pdu, NULL, SNMPMGR_MAX_MSG_SIZE, s1, s2,
	    out, start);
	usm_user_free(u);
	return n;
}

int
m_snmp_trap(struct mcall *c)
{
	struct ctl_req		*r = c->r;
	struct op		*op = c->op;
	const struct sess_opts	*so = sess_get_opts(op->s);
	struct notif		 nt;
	struct snmp_msg		 msg;
	struct snmp_pdu		 pdu;
	uint8_t			*s1 = NULL, *s2 = NULL, *out = NULL;
	const uint8_t		*start;
	ssize_t			 n;
	json_t			*res;
	int			 rv = CTL_DONE;
	static int32_t		 reqid;

	if (mt_varbinds(c, &nt) == -1)
		goto done;
	mt_next_id(&reqid);
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_TRAP;
	pdu.request_id = reqid;
	pdu.vb = nt.vb;
	pdu.nvb = pdu.maxvb = nt.nvb;
	if ((s1 = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (s2 = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (out = malloc(SNMPMGR_MAX_DGRAM)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		goto done;
	}
	if (so->version == SNMP_V1) {
		/* The Trap-PDU has no sysUpTime/snmpTrapOID varbinds. */
		pdu.vb = nt.vb + 2;
		pdu.nvb = pdu.maxvb = nt.nvb - 2;
		if (mt_v1_pdu(c, op->s, &nt.trap_oid, nt.uptime, &pdu) == -1)
			goto done;
	}
	if (so->transport == SESS_TRANSPORT_DTLS)
		n = mt_tsm_trap(c->d, op->s, &pdu, s1, out, &start);
	else if (so->version == SNMP_V3)
		n = mt_v3_trap(c->d, op->s, &pdu, s1, s2, out, &start);
	else {
		memset(&msg, 0, sizeof(msg));
		msg.version = so->version;
		msg.community = (const uint8_t *)so->community;
		msg.community_len = strlen(so->community);
		msg.pdu = pdu;
		n = snmp_msg_encode(&msg, out, SNMPMGR_MAX_DGRAM, &start);
	}
	if (n == -1 || mt_send_once(op->s, start, (size_t)n) == -1) {
		op_error_lasterr(r);
		op_error_event(op, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail(), NULL);
		goto done;
	}
	res = json_pack("{s:b,s:i,s:I,s:I}", "sent", 1, "request_id",
	    (int)(so->version == SNMP_V1 ? 0 : reqid), "length",
	    (json_int_t)n, "uptime", (json_int_t)nt.uptime);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else if (op->temp && MT_CONNECTED(so->transport)) {
		/* An inline target's connection or handshake may still be
		 * under way: answer, and drop the session, once it left. */
		rv = op_wait_sent(op, res);
		op = NULL;
	} else
		ctl_req_result(r, res);
 done:
	free(s1);
	free(s2);
	free(out);
	free(nt.vb);
	op_free(op);
	return rv;
}
