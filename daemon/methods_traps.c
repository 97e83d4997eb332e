/*
 * methods_traps.c - the trap.* methods (journal queries and receiver
 * counters) and the notification senders snmp.inform and snmp.trap
 * (doc/protocol.md).
 *
 * trap.list runs a journal query in its own thread (journal.c) and
 * answers when it completes, so reading a large journal never holds up
 * the receiver.  snmp.inform sends an InformRequest through the session
 * engine and waits for the Response like any request.  snmp.trap is
 * unconfirmed: the datagram is built here and sent once from a socket of
 * its own; an SNMPv3 trap is sent with our engine as the authoritative
 * one (RFC 3412 7.1 step 9: the sender of an unconfirmed PDU is
 * authoritative), keys localized for our engine ID.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/usm.h"

#include "control.h"
#include "daemon.h"
#include "journal.h"
#include "log.h"
#include "methods.h"
#include "render.h"
#include "sessions.h"
#include "trap_rx.h"
#include "traps.h"
#include "views.h"

/* trap.list: records returned when no limit is given. */
#define MT_DEFAULT_LIMIT	100

static const struct oid mt_sysuptime = { 9, { 1, 3, 6, 1, 2, 1, 1, 3, 0 } };
static const struct oid mt_trapoid = { 11,
	{ 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 } };
static const struct oid mt_snmptraps = { 9, { 1, 3, 6, 1, 6, 3, 1, 1, 5 } };

static int
mt_no_receiver(struct ctl_req *r)
{
	ctl_req_error_num(r, SNMPMGR_ERR_MUST_BE_ACTIVE, "the trap receiver "
	    "is off: the config has no \"traps\" section", NULL);
	return CTL_DONE;
}

/* ------------------------------------------------------------ trap.stats */

int
m_trap_stats(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t	*res;

	if (d->traps == NULL)
		return mt_no_receiver(r);
	if ((res = view_traps_stats(d->traps)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

/* ------------------------------------------------------------ trap.list */

/*
 * A time bound: ISO 8601 UTC ("2026-11-21T10:00:00Z", fraction and "Z"
 * optional, a space for the "T", or a date alone), a duration back from
 * now ("10m", "2h", "1d"), or seconds since the epoch (a number).  Into
 * the journal's time format.  1 given, 0 absent, -1 error set.
 */
static int
mt_param_time(struct ctl_req *r, json_t *params, const char *key, char *out,
    time_t *epoch)
{
	json_t		*v = json_object_get(params, key);
	struct timespec	 ts;
	struct tm	 tm;
	const char	*s, *p;
	uint32_t	 ms;
	double		 x;
	int		 n = 0, Y, M, D, h = 0, m = 0, sec = 0;
	long		 frac = 0, scale = 100000000;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		x = json_number_value(v);
		if (!(x >= 0) || x > 253402300799.0)
			goto bad;
		ts.tv_sec = (time_t)x;
		ts.tv_nsec = (long)((x - (double)ts.tv_sec) * 1e9);
		goto done;
	}
	if (!json_is_string(v))
		goto bad;
	s = json_string_value(v);
	if (config_parse_duration(s, &ms) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec -= ms / 1000;
		ts.tv_nsec -= (long)(ms % 1000) * 1000000;
		if (ts.tv_nsec < 0) {
			ts.tv_nsec += 1000000000;
			ts.tv_sec--;
		}
		goto done;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3 || n != 10)
		goto bad;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 ||
		    n != 8)
			goto bad;
		p += 1 + n;
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 ||
	    m > 59 || sec > 60 || Y < 1970)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	ts.tv_sec = timegm(&tm);
	ts.tv_nsec = frac;
 done:
	journal_format_time(&ts, out);
	*epoch = ts.tv_sec;
	return 1;
 bad:
	ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected a UTC time such as "
	    "\"2026-11-21T10:00:00Z\", a duration back from now such as "
	    "\"10m\", or seconds since 1970", key);
	return -1;
}

/* An optional string filter on a record field. */
static int
mt_param_match(struct ctl_req *r, json_t *params, const char *key,
    const char *field, enum journal_match_mode mode,
    struct journal_filter *f)
{
	json_t			*v = json_object_get(params, key);
	struct journal_match	*m;
	struct oid		 o;
	const char		*s;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= sizeof(m->value) ||
	    strchr(json_string_value(v), '"') != NULL ||
	    strchr(json_string_value(v), '\\') != NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected a non-empty "
		    "string", key);
		return -1;
	}
	s = json_string_value(v);
	m = &f->match[f->nmatch++];
	snprintf(m->key, sizeof(m->key), "%s", field);
	m->mode = mode;
	if (mode == JOURNAL_MATCH_OID) {
		/* Normalized, so ".1.3.6" finds "1.3.6". */
		if (oid_parse_str(&o, s) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: not an OID",
			    key);
			return -1;
		}
		oid_format(&o, m->value, sizeof(m->value));
	} else
		snprintf(m->value, sizeof(m->value), "%s", s);
	return 1;
}

static void
mt_list_cancel_cb(void *arg)
{
	journal_query_cancel(arg);
}

static void
mt_list_done_cb(const struct journal_result *res, void *arg)
{
	struct ctl_req		*r = arg;
	struct render_buf	 b;
	size_t			 i;

	ctl_req_set_cancel(r, NULL, NULL);
	if (res->error != 0) {
		ctl_req_errorf(r, CTL_ERR_INTERNAL, "reading the journal: %s",
		    strerror(res->error));
		ctl_req_done(r);
		return;
	}
	render_buf_init(&b);
	render_adds(&b, "{\"traps\":[");
	for (i = 0; i < res->n; i++) {
		if (i > 0)
			render_add(&b, ",", 1);
		render_add(&b, res->lines[i], res->lens[i]);
	}
	render_adds(&b, "],\"count\":");
	render_u64(&b, res->n);
	render_adds(&b, ",\"matched\":");
	render_u64(&b, res->matched);
	render_adds(&b, ",\"scanned\":");
	render_u64(&b, res->scanned);
	render_adds(&b, ",\"skipped\":");
	render_u64(&b, res->skipped);
	render_adds(&b, "}");
	if (b.failed)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(r, b.p, b.len);
	render_buf_free(&b);
	ctl_req_done(r);
}

int
m_trap_list(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "since", "until", "limit",
		"source", "trap_oid", "type", "version", "user", NULL };
	struct journal_filter	 f;
	struct journal_query	*q;
	struct journal		*j;
	const char		*key;
	json_t			*v, *lim;
	time_t			 until_epoch;
	size_t			 i;

	if (d->traps == NULL || (j = traps_journal(d->traps)) == NULL)
		return mt_no_receiver(r);
	json_object_foreach(params, key, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown parameter "
			    "\"%s\"", key);
			return CTL_DONE;
		}
	}
	memset(&f, 0, sizeof(f));
	f.limit = MT_DEFAULT_LIMIT;
	if ((lim = json_object_get(params, "limit")) != NULL &&
	    !json_is_null(lim)) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > JOURNAL_MAX_LIMIT) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "limit: expected an "
			    "integer from 1 to %d", JOURNAL_MAX_LIMIT);
			return CTL_DONE;
		}
		f.limit = (size_t)json_integer_value(lim);
	}
	if (mt_param_time(r, params, "since", f.since, &f.since_epoch) == -1 ||
	    mt_param_time(r, params, "until", f.until, &until_epoch) == -1 ||
	    mt_param_match(r, params, "source", "source", JOURNAL_MATCH_EXACT,
	    &f) == -1 ||
	    mt_param_match(r, params, "trap_oid", "trap_oid",
	    JOURNAL_MATCH_OID, &f) == -1 ||
	    mt_param_match(r, params, "type", "type", JOURNAL_MATCH_EXACT,
	    &f) == -1 ||
	    mt_param_match(r, params, "version", "version",
	    JOURNAL_MATCH_EXACT, &f) == -1 ||
	    mt_param_match(r, params, "user", "user", JOURNAL_MATCH_EXACT,
	    &f) == -1)
		return CTL_DONE;
	if ((q = journal_query(j, &f, mt_list_done_cb, r)) == NULL) {
		if (errno == EBUSY)
			ctl_req_error_num(r, SNMPMGR_ERR_BUSY, "too many "
			    "journal queries running; try again", NULL);
		else
			ctl_req_errorf(r, CTL_ERR_INTERNAL, "cannot read the "
			    "journal: %s", strerror(errno));
		return CTL_DONE;
	}
	ctl_req_set_cancel(r, mt_list_cancel_cb, q);
	return CTL_PENDING;
}

/* ------------------------------------------------- snmp.inform, snmp.trap */

/* One notification on behalf of one control request. */
struct mt_op {
	struct daemon		*d;
	struct ctl_req		*r;
	struct dsess		*ds;
	struct sess		*s;
	bool			 temp;
	struct sess_req		*sr;
	struct snmp_varbind	*vb;
	uint8_t			**mem;
	size_t			 nvb;
	size_t			 nuser;		/* the caller's varbinds */
	uint8_t			 oidbuf[SNMPMGR_MAX_OID_LEN * 5];
};

static void
mt_op_free(struct mt_op *op)
{
	size_t	 i;

	if (op == NULL)
		return;
	if (op->sr != NULL)
		sess_req_cancel(op->sr);
	if (op->temp && op->s != NULL)
		daemon_defer_sess_free(op->d, op->s);
	for (i = 0; op->mem != NULL && i < op->nuser; i++)
		free(op->mem[i]);
	free(op->mem);
	free(op->vb);
	free(op);
}

static void
mt_op_cancel_cb(void *arg)
{
	mt_op_free(arg);
}

/* request.cancel: the inform's callback answers 398. */
static void
mt_op_interrupt_cb(void *arg, const char *why)
{
	struct mt_op	*op = arg;

	sess_req_interrupt(op->sr, why);
}

/*
 * The notification's varbinds (RFC 3416 4.2.6): sysUpTime.0, then
 * snmpTrapOID.0, then the caller's "varbinds" (as for snmp.set).  "uptime"
 * (centiseconds) defaults to the daemon's.  0, or -1 with the error set.
 */
static int
mt_varbinds(struct mt_op *op, json_t *params, struct oid *trap_oid,
    uint32_t *uptime)
{
	struct ctl_req	*r = op->r;
	json_t		*a, *v;
	ssize_t		 bl;
	size_t		 i, n = 0;
	double		 up;

	v = json_object_get(params, "trap_oid");
	if (!json_is_string(v) || oid_parse(trap_oid, json_string_value(v),
	    json_string_length(v)) == -1) {
		ctl_req_error(r, CTL_ERR_PARAMS, "trap_oid: required, an OID "
		    "such as \"1.3.6.1.6.3.1.1.5.1\"", NULL);
		return -1;
	}
	up = daemon_uptime(op->d) * 100.0;
	*uptime = up > UINT32_MAX ? UINT32_MAX : (uint32_t)up;
	if ((v = json_object_get(params, "uptime")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX) {
			ctl_req_error(r, CTL_ERR_PARAMS, "uptime: expected "
			    "TimeTicks, 0..4294967295", NULL);
			return -1;
		}
		*uptime = (uint32_t)json_integer_value(v);
	}
	a = json_object_get(params, "varbinds");
	if (a != NULL && !json_is_null(a)) {
		if (!json_is_array(a)) {
			ctl_req_error(r, CTL_ERR_PARAMS, "varbinds: expected "
			    "an array of {oid, type, value}", NULL);
			return -1;
		}
		n = json_array_size(a);
	}
	if (n + 2 > SNMPMGR_MAX_VARBINDS) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds: more than %d",
		    SNMPMGR_MAX_VARBINDS - 2);
		return -1;
	}
	if ((op->vb = calloc(n + 2, sizeof(*op->vb))) == NULL ||
	    (op->mem = calloc(n + 1, sizeof(*op->mem))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return -1;
	}
	op->nuser = n;
	op->vb[0].name = mt_sysuptime;
	op->vb[0].value.type = SNMP_T_TIMETICKS;
	op->vb[0].value.u = *uptime;
	op->vb[1].name = mt_trapoid;
	op->vb[1].value.type = SNMP_T_OID;
	if ((bl = oid_to_ber(trap_oid, op->oidbuf, sizeof(op->oidbuf))) ==
	    -1) {
		ctl_req_error(r, CTL_ERR_PARAMS, "trap_oid: not encodable",
		    NULL);
		return -1;
	}
	op->vb[1].value.data = op->oidbuf;
	op->vb[1].value.len = (size_t)bl;
	for (i = 0; i < n; i++)
		if (methods_parse_varbind(r, i, json_array_get(a, i),
		    &op->vb[i + 2], &op->mem[i]) == -1)
			return -1;
	op->nvb = n + 2;
	return 0;
}

static void
mt_reply_pdu(struct ctl_req *r, const struct snmp_pdu *pdu, uint32_t rtt_us)
{
	struct render_buf	 b;
	const char		*name;
	char			 rtt[32];
	int			 n;

	render_buf_init(&b);
	render_adds(&b, "{\"error_status\":");
	render_i64(&b, pdu->error_status);
	render_adds(&b, ",\"error_status_name\":");
	if ((name = snmp_error_status_name(pdu->error_status)) == NULL)
		name = "unknown";
	render_json_str(&b, name, strlen(name));
	render_adds(&b, ",\"error_index\":");
	render_i64(&b, pdu->error_index);
	render_adds(&b, ",\"varbinds\":");
	render_varbinds(&b, pdu->vb, pdu->nvb);
	n = snprintf(rtt, sizeof(rtt), ",\"rtt_ms\":%.3f}", rtt_us / 1000.0);
	render_add(&b, rtt, (size_t)n);
	if (b.failed)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(r, b.p, b.len);
	render_buf_free(&b);
}

static void
mt_inform_cb(struct sess_req *sr, const struct sess_result *res, void *arg)
{
	struct mt_op		*op = arg;
	const struct sess_opts	*so = sess_get_opts(op->s);
	char			 detail[400];

	op->sr = NULL;
	if (res->error == SNMPMGR_ERR_TIMEOUT) {
		snprintf(detail, sizeof(detail), "no acknowledgement from %s "
		    "port %u after %u tries", so->host, (unsigned)so->port,
		    so->retries + 1);
		ctl_req_error_num(op->r, res->error, detail, NULL);
		methods_error_event(op->d, op->r, op->s, res->error, detail,
		    NULL);
	} else if (res->error != 0) {
		snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr() ==
		    res->error ? snmpmgr_lasterr_detail() :
		    snmpmgr_strerror(res->error));
		ctl_req_error_num(op->r, res->error, detail, NULL);
		methods_error_event(op->d, op->r, op->s, res->error, detail,
		    NULL);
	} else
		mt_reply_pdu(op->r, res->pdu, res->rtt_us);
	if (op->ds != NULL)
		sessions_note(op->ds, res->error, res->error ? "inform not "
		    "acknowledged" : NULL);
	ctl_req_done(op->r);
	mt_op_free(op);
}

static struct mt_op *
mt_op_start(struct daemon *d, struct ctl_req *r, json_t *params,
    struct oid *trap_oid, uint32_t *uptime)
{
	struct mt_op	*op;
	int		 temp;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return NULL;
	}
	op->d = d;
	op->r = r;
	if (mt_varbinds(op, params, trap_oid, uptime) == -1 ||
	    (temp = methods_target(d, r, params, &op->s, &op->ds)) == -1) {
		mt_op_free(op);
		return NULL;
	}
	op->temp = temp == 1;
	return op;
}

int
m_snmp_inform(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct mt_op	*op;
	struct snmp_pdu	 pdu;
	struct oid	 trap_oid;
	uint32_t	 uptime;

	if ((op = mt_op_start(d, r, params, &trap_oid, &uptime)) == NULL)
		return CTL_DONE;
	if (sess_get_opts(op->s)->version == SNMP_V1) {
		ctl_req_error_num(r, SNMPMGR_ERR_VERSION, "an InformRequest "
		    "needs SNMPv2c or SNMPv3", NULL);
		goto fail;
	}
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_INFORM;
	pdu.vb = op->vb;
	pdu.nvb = pdu.maxvb = op->nvb;
	if ((op->sr = sess_request(op->s, &pdu, mt_inform_cb, op)) == NULL) {
		ctl_req_error_num(r, snmpmgr_lasterr() ? snmpmgr_lasterr() :
		    CTL_ERR_INTERNAL, snmpmgr_lasterr_detail(), NULL);
		methods_error_event(d, r, op->s, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail(), NULL);
		goto fail;
	}
	ctl_req_set_cancel(r, mt_op_cancel_cb, op);
	ctl_req_set_interrupt(r, mt_op_interrupt_cb, op);
	return CTL_PENDING;
 fail:
	mt_op_free(op);
	return CTL_DONE;
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
mt_v1_pdu(struct ctl_req *r, json_t *params, const struct oid *trap_oid,
    uint32_t uptime, struct snmp_pdu *pdu)
{
	json_t		*v;
	uint32_t	 last;

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
	if ((v = json_object_get(params, "enterprise")) != NULL &&
	    (!json_is_string(v) || oid_parse(&pdu->enterprise,
	    json_string_value(v), json_string_length(v)) == -1)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "enterprise: not an OID",
		    NULL);
		return -1;
	}
	if ((v = json_object_get(params, "agent_addr")) != NULL &&
	    (!json_is_string(v) || inet_pton(AF_INET, json_string_value(v),
	    pdu->agent_addr) != 1)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "agent_addr: not an IPv4 "
		    "address", NULL);
		return -1;
	}
	return 0;
}

/* Send one datagram to the session's agent from a socket of its own. */
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
	const uint8_t		*user, *ceng;
	enum usm_auth		 auth;
	enum usm_priv		 priv;
	size_t			 userlen, ceng_len;
	ssize_t			 n;
	bool			 use_auth, use_priv;
	static int32_t		 msg_id;

	if (d->engine_id_len == 0) {
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
	if (use_auth && (u = usm_user_new(v3->cred, d->engine_id,
	    d->engine_id_len)) == NULL)
		return -1;
	me.engine_id = d->engine_id;
	me.engine_id_len = d->engine_id_len;
	me.boots = d->engine_boots;
	me.time = (uint32_t)daemon_uptime(d);
	/* RFC 3413 3.2: a notification's contextEngineID is ours. */
	ceng = v3->context_engine_id_len > 0 ? v3->context_engine_id :
	    d->engine_id;
	ceng_len = v3->context_engine_id_len > 0 ?
	    v3->context_engine_id_len : d->engine_id_len;
	if (msg_id == 0)
		msg_id = (int32_t)(arc4random() & 0x3fffffff) + 1;
	else
		msg_id = (msg_id & 0x3fffffff) + 1;
	n = trapproc_v3_encode(&me, u, use_priv, msg_id, user, userlen, ceng,
	    ceng_len, (const uint8_t *)v3->context_name,
	    strlen(v3->context_name), pdu, SNMPMGR_MAX_MSG_SIZE, s1, s2, out,
	    start);
	usm_user_free(u);
	return n;
}

int
m_snmp_trap(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct mt_op		*op;
	const struct sess_opts	*so;
	struct snmp_msg		 msg;
	struct snmp_pdu		 pdu;
	struct oid		 trap_oid;
	uint8_t			*s1 = NULL, *s2 = NULL, *out = NULL;
	const uint8_t		*start;
	uint32_t		 uptime;
	ssize_t			 n;
	json_t			*res;
	static int32_t		 reqid;

	if ((op = mt_op_start(d, r, params, &trap_oid, &uptime)) == NULL)
		return CTL_DONE;
	so = sess_get_opts(op->s);
	if (reqid == 0)
		reqid = (int32_t)(arc4random() & 0x3fffffff) + 1;
	else
		reqid = (reqid & 0x3fffffff) + 1;
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_TRAP;
	pdu.request_id = reqid;
	pdu.vb = op->vb;
	pdu.nvb = pdu.maxvb = op->nvb;
	if ((s1 = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (s2 = malloc(SNMPMGR_MAX_DGRAM)) == NULL ||
	    (out = malloc(SNMPMGR_MAX_DGRAM)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		goto done;
	}
	if (so->version == SNMP_V1) {
		/* The Trap-PDU has no sysUpTime/snmpTrapOID varbinds. */
		pdu.vb = op->vb + 2;
		pdu.nvb = pdu.maxvb = op->nvb - 2;
		if (mt_v1_pdu(r, params, &trap_oid, uptime, &pdu) == -1)
			goto done;
	}
	if (so->version == SNMP_V3)
		n = mt_v3_trap(d, op->s, &pdu, s1, s2, out, &start);
	else {
		memset(&msg, 0, sizeof(msg));
		msg.version = so->version;
		msg.community = (const uint8_t *)so->community;
		msg.community_len = strlen(so->community);
		msg.pdu = pdu;
		n = snmp_msg_encode(&msg, out, SNMPMGR_MAX_DGRAM, &start);
	}
	if (n == -1 || mt_send_once(op->s, start, (size_t)n) == -1) {
		ctl_req_error_num(r, snmpmgr_lasterr() ? snmpmgr_lasterr() :
		    CTL_ERR_INTERNAL, snmpmgr_lasterr_detail(), NULL);
		methods_error_event(d, r, op->s, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail(), NULL);
		goto done;
	}
	res = json_pack("{s:b,s:i,s:I,s:I}", "sent", 1, "request_id",
	    (int)(so->version == SNMP_V1 ? 0 : reqid), "length",
	    (json_int_t)n, "uptime", (json_int_t)uptime);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
 done:
	free(s1);
	free(s2);
	free(out);
	mt_op_free(op);
	return CTL_DONE;
}
