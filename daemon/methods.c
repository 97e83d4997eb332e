/*
 * methods.c - the JSON-RPC methods of doc/protocol.md.
 *
 * One table maps method names to handlers.  The snmp.* handlers check their
 * params, resolve the target (a configured session, or a temporary one for
 * an inline target), send one request or start one walk, and finish the
 * control request from the engine's callback.  The state of one such
 * operation is a struct op, which the control request's cancel callback
 * frees if the client goes away first.  Varbinds always go out through
 * render.c.
 */
#include <config.h>		/* autoconf's */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/usm.h"
#include "core/walk.h"

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "methods.h"
#include "polls.h"
#include "render.h"
#include "sessions.h"
#include "v3cache.h"
#include "views.h"

/* Rows a walk may collect into one reply ("stream": false). */
#define METHODS_MAX_COLLECT	100000

/* One SNMP operation on behalf of one control request. */
struct op {
	struct daemon		*d;
	struct ctl_req		*r;
	struct dsess		*ds;	/* configured session, or NULL */
	struct sess		*s;
	bool			 temp;	/* s is ours: an inline target */
	struct sess_req		*sr;
	struct walk		*w;

	/* walks */
	bool			 stream;
	bool			 oom;
	uint64_t		 count;
	struct oid		 last;
	struct render_buf	 buf;
};

static struct op *
op_new(struct daemon *d, struct ctl_req *r)
{
	struct op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return NULL;
	op->d = d;
	op->r = r;
	render_buf_init(&op->buf);
	return op;
}

/* Cancels what is still running.  Safe inside the engine's callbacks. */
static void
op_free(struct op *op)
{
	if (op == NULL)
		return;
	if (op->sr != NULL)
		sess_req_cancel(op->sr);
	if (op->w != NULL) {
		walk_cancel(op->w);
		op->d->walks_active--;
	}
	if (op->temp && op->s != NULL)
		daemon_defer_sess_free(op->d, op->s);
	render_buf_free(&op->buf);
	free(op);
}

/* The client went away. */
static void
op_cancel_cb(void *arg)
{
	op_free(arg);
}

/* request.cancel named the request: end it now, with 398. */
static void
op_interrupt_cb(void *arg, const char *why)
{
	struct op	*op = arg;

	if (op->w != NULL)
		walk_interrupt(op->w, why);	/* op_walk_done_cb answers */
	else if (op->sr != NULL)
		sess_req_interrupt(op->sr, why); /* op_response_cb answers */
	else {
		ctl_req_error_num(op->r, SNMPMGR_ERR_INTERRUPTED, why, NULL);
		ctl_req_done(op->r);
		op_free(op);
	}
}

static void
op_error_lasterr(struct ctl_req *r)
{
	int	 code = snmpmgr_lasterr();

	if (code == 0)
		code = CTL_ERR_INTERNAL;
	ctl_req_error_num(r, code, snmpmgr_lasterr_detail(), NULL);
}

/* ------------------------------------------------------- param helpers */

/* An optional unsigned integer (a number or decimal string) in 0..max.
 * 1 if given, 0 if absent, -1 with the error set on r. */
static int
param_uint(struct ctl_req *r, json_t *params, const char *key,
    uint64_t max, uint64_t *out)
{
	json_t		*v = json_object_get(params, key);
	const char	*s;
	char		*end;
	unsigned long long ull;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) > max)
			goto range;
		*out = (uint64_t)json_integer_value(v);
		return 1;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (!isdigit((unsigned char)s[0]))
			goto type;
		errno = 0;
		ull = strtoull(s, &end, 10);
		if (*end != '\0')
			goto type;
		if (errno == ERANGE || ull > max)
			goto range;
		*out = ull;
		return 1;
	}
 type:
	ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected an integer", key);
	return -1;
 range:
	ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: out of range 0..%" PRIu64,
	    key, max);
	return -1;
}

/* An optional boolean: 1 given, 0 absent, -1 error. */
static int
param_bool(struct ctl_req *r, json_t *params, const char *key, bool *out)
{
	json_t	*v = json_object_get(params, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected true or false",
		    key);
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

/* An optional OID string: 1 given, 0 absent, -1 error. */
static int
param_oid(struct ctl_req *r, json_t *params, const char *key, struct oid *o)
{
	json_t	*v = json_object_get(params, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    oid_parse(o, json_string_value(v), json_string_length(v)) == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: not an OID", key);
		return -1;
	}
	return 1;
}

/*
 * The target of an snmp.* request: "session": NAME or "target": {...}.
 * Sets op->s (and op->ds or op->temp).  0, or -1 with the error set.
 */
static int
op_target(struct op *op, json_t *params)
{
	struct ctl_req		*r = op->r;
	json_t			*sv, *tv;
	struct sess_opts	 o;
	struct config_err	 err;
	int			 rv;

	sv = json_object_get(params, "session");
	tv = json_object_get(params, "target");
	if (sv != NULL && tv != NULL) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "give either session or target, not both", NULL);
		return -1;
	}
	if (sv != NULL) {
		if (!json_is_string(sv)) {
			ctl_req_error(r, CTL_ERR_PARAMS,
			    "session: expected a session name", NULL);
			return -1;
		}
		if ((op->ds = sessions_find(op->d->sessions,
		    json_string_value(sv))) == NULL) {
			ctl_req_errorf(r, CTL_ERR_PARAMS,
			    "unknown session \"%s\"", json_string_value(sv));
			return -1;
		}
		if (op->ds->s == NULL) {
			ctl_req_error_num(r, op->ds->err, op->ds->errdetail,
			    NULL);
			return -1;
		}
		op->s = op->ds->s;
		return 0;
	}
	if (tv == NULL) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "session or target is required", NULL);
		return -1;
	}
	if (!json_is_object(tv)) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "target: expected an object of session options", NULL);
		return -1;
	}
	/* Inline targets start from the config's "defaults" section too;
	 * o holds a credential reference of its own (session.h). */
	o = op->d->conf->defaults;
	if (o.v3.cred != NULL)
		usm_cred_ref(o.v3.cred);
	memset(&err, 0, sizeof(err));
	rv = config_apply_session_opts(tv, &o, &err);
	/* Passwords are keys now (or refused): none stays in the params. */
	config_json_wipe_secrets(tv);
	if (rv == -1) {
		sess_opts_release(&o);
		ctl_req_errorf(r, CTL_ERR_PARAMS, "target: %s", err.text);
		return -1;
	}
	if (o.host[0] == '\0') {
		sess_opts_release(&o);
		ctl_req_error(r, CTL_ERR_PARAMS, "target: host is required",
		    NULL);
		return -1;
	}
	/* The next request with this credential does not hash again. */
	if (o.v3.cred != op->d->conf->defaults.v3.cred)
		v3cache_hold_cred(op->d->v3cache, o.v3.cred);
	op->s = sess_new(op->d->mgr, &o);
	sess_opts_release(&o);
	if (op->s == NULL) {
		op_error_lasterr(r);
		return -1;
	}
	op->temp = true;
	/* An engine learned for this address skips discovery. */
	v3cache_preset(op->d->v3cache, op->s);
	return 0;
}

/* A new op for r with its target resolved; NULL with the error set on r. */
static struct op *
op_open(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct op	*op;

	if ((op = op_new(d, r)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return NULL;
	}
	if (op_target(op, params) == -1) {
		op_free(op);
		return NULL;
	}
	return op;
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

static void
op_reply_pdu(struct op *op, const struct snmp_pdu *pdu, uint32_t rtt_us)
{
	struct render_buf	*b = &op->buf;
	const char		*name;
	char			 rtt[32];
	int			 n;

	render_buf_reset(b);
	render_adds(b, "{\"error_status\":");
	render_i64(b, pdu->error_status);
	render_adds(b, ",\"error_status_name\":");
	if ((name = snmp_error_status_name(pdu->error_status)) == NULL)
		name = "unknown";
	render_json_str(b, name, strlen(name));
	render_adds(b, ",\"error_index\":");
	render_i64(b, pdu->error_index);
	render_adds(b, ",\"varbinds\":");
	render_varbinds(b, pdu->vb, pdu->nvb);
	n = snprintf(rtt, sizeof(rtt), ",\"rtt_ms\":%.3f}", rtt_us / 1000.0);
	render_add(b, rtt, (size_t)n);
	if (b->failed)
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(op->r, b->p, b->len);
}

/* The detail of an error the engine reported through a callback. */
static void
op_error_detail(struct op *op, int error, char *buf, size_t size)
{
	const struct sess_opts	*so = sess_get_opts(op->s);
	const struct sockaddr	*sa;
	socklen_t		 salen = 0;
	char			 addr[128];

	if (error == SNMPMGR_ERR_TIMEOUT) {
		sa = sess_addr(op->s, &salen);
		sessions_format_addr(sa, salen, addr, sizeof(addr));
		snprintf(buf, size, "no response from %s after %u tries",
		    addr, so->retries + 1);
	} else if (snmpmgr_lasterr() == error)
		snprintf(buf, size, "%s", snmpmgr_lasterr_detail());
	else
		snprintf(buf, size, "%s", snmpmgr_strerror(error));
}

static void
op_response_cb(struct sess_req *sr, const struct sess_result *res, void *arg)
{
	struct op	*op = arg;
	char		 detail[512];

	op->sr = NULL;
	if (res->error != 0) {
		op_error_detail(op, res->error, detail, sizeof(detail));
		ctl_req_error_num(op->r, res->error, detail, NULL);
		methods_error_event(op->d, op->r, op->s, res->error, detail,
		    NULL);
	} else
		op_reply_pdu(op, res->pdu, res->rtt_us);
	if (op->ds != NULL)
		sessions_note(op->ds, res->error, res->error ? detail : NULL);
	ctl_req_done(op->r);
	op_free(op);
}

/* Send pdu on op's session; CTL_PENDING, or CTL_DONE with the error. */
static int
op_send(struct op *op, const struct snmp_pdu *pdu)
{
	if ((op->sr = sess_request(op->s, pdu, op_response_cb, op)) == NULL) {
		op_error_lasterr(op->r);
		if (op->ds != NULL)
			sessions_note(op->ds, snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail());
		methods_error_event(op->d, op->r, op->s, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail(), NULL);
		op_free(op);
		return CTL_DONE;
	}
	ctl_req_set_cancel(op->r, op_cancel_cb, op);
	ctl_req_set_interrupt(op->r, op_interrupt_cb, op);
	return CTL_PENDING;
}

/* "oids": a non-empty array of OID strings, into a new varbind array. */
static struct snmp_varbind *
param_oids(struct ctl_req *r, json_t *params, size_t *np)
{
	struct snmp_varbind	*vb;
	json_t			*a, *v;
	size_t			 i, n;

	a = json_object_get(params, "oids");
	if (!json_is_array(a) || (n = json_array_size(a)) == 0) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "oids: expected a non-empty array of OIDs", NULL);
		return NULL;
	}
	if (n > SNMPMGR_MAX_VARBINDS) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "oids: more than %d",
		    SNMPMGR_MAX_VARBINDS);
		return NULL;
	}
	if ((vb = calloc(n, sizeof(*vb))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v = json_array_get(a, i);
		if (!json_is_string(v) || oid_parse(&vb[i].name,
		    json_string_value(v), json_string_length(v)) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS,
			    "oids[%zu]: not an OID", i);
			free(vb);
			return NULL;
		}
		vb[i].value.type = SNMP_T_NULL;
	}
	*np = n;
	return vb;
}

static int
op_request(struct daemon *d, struct ctl_req *r, json_t *params,
    uint8_t type)
{
	struct snmp_varbind	*vb = NULL;
	struct snmp_pdu		 pdu;
	struct op		*op = NULL;
	const struct sess_opts	*so;
	uint64_t		 nr = 0, mr = 0;
	int			 hnr = 0, hmr = 0, rv = CTL_DONE;
	size_t			 n;

	if ((vb = param_oids(r, params, &n)) == NULL)
		return CTL_DONE;
	if (type == SNMP_PDU_GETBULK) {
		if ((hnr = param_uint(r, params, "non_repeaters",
		    SNMPMGR_MAX_VARBINDS, &nr)) == -1 ||
		    (hmr = param_uint(r, params, "max_repetitions",
		    SNMPMGR_MAX_REPETITIONS, &mr)) == -1)
			goto out;
	}
	if ((op = op_open(d, r, params)) == NULL)
		goto out;
	so = sess_get_opts(op->s);
	op_pdu_init(&pdu, type, vb, n);
	if (type == SNMP_PDU_GETBULK) {
		if (so->version == SNMP_V1) {
			ctl_req_error_num(r, SNMPMGR_ERR_VERSION,
			    "getbulk needs SNMPv2c or SNMPv3", NULL);
			goto out;
		}
		pdu.error_status = (int32_t)(hnr ? nr : so->non_repeaters);
		pdu.error_index = (int32_t)(hmr ? mr : so->max_repetitions);
	}
	rv = op_send(op, &pdu);
	op = NULL;
 out:
	op_free(op);
	free(vb);
	return rv;
}

static int
m_snmp_get(struct daemon *d, struct ctl_req *r, json_t *params)
{
	return op_request(d, r, params, SNMP_PDU_GET);
}

static int
m_snmp_getnext(struct daemon *d, struct ctl_req *r, json_t *params)
{
	return op_request(d, r, params, SNMP_PDU_GETNEXT);
}

static int
m_snmp_getbulk(struct daemon *d, struct ctl_req *r, json_t *params)
{
	return op_request(d, r, params, SNMP_PDU_GETBULK);
}

/* How snmp.set reads a value of each type. */
enum set_kind {
	SET_INT32,	/* i: -2^31..2^31-1 */
	SET_UINT32,	/* u, t, c, U: 0..2^32-1 */
	SET_UINT64,	/* C */
	SET_IPADDR,	/* a: dotted quad */
	SET_OID,	/* o */
	SET_TEXT,	/* s (or a "hex" field instead of "value") */
	SET_HEX,	/* x, Opaque, NsapAddress */
	SET_DECIMAL,	/* d: dotted decimal bytes */
	SET_NULL,	/* n */
};

struct set_type {
	const char	*name;
	char		 letter;
	uint8_t		 tag;
	enum set_kind	 kind;
};

/* Net-SNMP's type letters (snmpset(1)) and the names of doc/protocol.md. */
static const struct set_type set_types[] = {
	{ "Integer32",		'i', SNMP_T_INTEGER,	SET_INT32 },
	{ "INTEGER",		0,   SNMP_T_INTEGER,	SET_INT32 },
	{ "Gauge32",		'u', SNMP_T_GAUGE32,	SET_UINT32 },
	{ "Unsigned32",		0,   SNMP_T_GAUGE32,	SET_UINT32 },
	{ "TimeTicks",		't', SNMP_T_TIMETICKS,	SET_UINT32 },
	{ "IpAddress",		'a', SNMP_T_IPADDR,	SET_IPADDR },
	{ "OBJECT IDENTIFIER",	'o', SNMP_T_OID,	SET_OID },
	{ "OCTET STRING",	's', SNMP_T_OCTETS,	SET_TEXT },
	{ NULL,			'x', SNMP_T_OCTETS,	SET_HEX },
	{ NULL,			'd', SNMP_T_OCTETS,	SET_DECIMAL },
	{ "NULL",		'n', SNMP_T_NULL,	SET_NULL },
	{ "Counter32",		'c', SNMP_T_COUNTER32,	SET_UINT32 },
	{ "Counter64",		'C', SNMP_T_COUNTER64,	SET_UINT64 },
	{ "UInteger32",		'U', SNMP_T_UINTEGER32,	SET_UINT32 },
	{ "Opaque",		0,   SNMP_T_OPAQUE,	SET_HEX },
	{ "NsapAddress",	0,   SNMP_T_NSAP,	SET_HEX },
};

static const struct set_type *
set_type_find(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(set_types) / sizeof(set_types[0]); i++) {
		if (s[0] != '\0' && s[1] == '\0') {
			if (set_types[i].letter == s[0])
				return &set_types[i];
		} else if (set_types[i].name != NULL &&
		    strcmp(set_types[i].name, s) == 0)
			return &set_types[i];
	}
	return NULL;
}

/* An integer from a JSON number or decimal string, in lo..hi.  0 or -1. */
static int
set_integer(json_t *v, int64_t lo, uint64_t hi, bool *neg, uint64_t *mag)
{
	const char	*s;
	char		*end;

	*neg = false;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0) {
			*neg = true;
			*mag = (uint64_t)0 - (uint64_t)json_integer_value(v);
		} else
			*mag = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s == '-') {
			*neg = true;
			s++;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		*mag = strtoull(s, &end, 10);
		if (*end != '\0' || errno == ERANGE)
			return -1;
	} else
		return -1;
	if (*neg)
		return *mag <= (uint64_t)0 - (uint64_t)lo ? 0 : -1;
	return *mag <= hi ? 0 : -1;
}

static int
set_hexval(const char *s, uint8_t *out, size_t *outlen, size_t max)
{
	size_t	 n = 0;
	int	 hi = -1, x;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		x = isdigit((unsigned char)*s) ? *s - '0' :
		    (tolower((unsigned char)*s) - 'a' + 10);
		if (hi == -1) {
			hi = x;
			continue;
		}
		if (n >= max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | x);
		hi = -1;
	}
	if (hi != -1)
		return -1;
	*outlen = n;
	return 0;
}

static int
set_decval(const char *s, uint8_t *out, size_t *outlen, size_t max)
{
	size_t		 n = 0;
	unsigned	 v;
	int		 digits;

	if (*s == '\0') {
		*outlen = 0;
		return 0;
	}
	for (;;) {
		v = 0;
		digits = 0;
		while (isdigit((unsigned char)*s) && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || v > 255 || n >= max)
			return -1;
		out[n++] = (uint8_t)v;
		if (*s == '\0')
			break;
		if (*s++ != '.')
			return -1;
	}
	*outlen = n;
	return 0;
}

/*
 * One {"oid", "type", "value"} of snmp.set into vb; octets go to *mem
 * (allocated, the caller frees).  0, or -1 with the error set on r.
 */
static int
set_parse_varbind(struct ctl_req *r, size_t i, json_t *jv,
    struct snmp_varbind *vb, uint8_t **mem)
{
	const struct set_type	*t;
	json_t			*jo, *jt, *jval, *jhex;
	const char		*ts, *s;
	struct oid		 o;
	ssize_t			 bl;
	size_t			 len, max = SNMPMGR_MAX_MSG_SIZE;
	uint64_t		 mag;
	bool			 neg;
	enum set_kind		 kind;

	if (!json_is_object(jv)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu]: expected an "
		    "object with oid, type and value", i);
		return -1;
	}
	jo = json_object_get(jv, "oid");
	jt = json_object_get(jv, "type");
	jval = json_object_get(jv, "value");
	jhex = json_object_get(jv, "hex");
	if (!json_is_string(jo) || oid_parse(&vb->name, json_string_value(jo),
	    json_string_length(jo)) == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].oid: not an OID",
		    i);
		return -1;
	}
	if (!json_is_string(jt)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].type: expected "
		    "a type name or letter", i);
		return -1;
	}
	ts = json_string_value(jt);
	if ((t = set_type_find(ts)) == NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].type: unknown "
		    "type \"%.40s\" (use i u t a o s x d n c C U or a type "
		    "name)", i, ts);
		return -1;
	}
	vb->value.type = t->tag;
	if (t->kind == SET_NULL)
		return 0;
	/* Octet-string types also take the "hex" field of a rendered value. */
	kind = t->kind;
	if (jval == NULL && jhex != NULL && (kind == SET_TEXT ||
	    kind == SET_HEX)) {
		jval = jhex;
		kind = SET_HEX;
	}
	if (jval == NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: missing",
		    i);
		return -1;
	}
	switch (kind) {
	case SET_INT32:
		if (set_integer(jval, INT32_MIN, INT32_MAX, &neg, &mag) == -1)
			goto range;
		vb->value.i = neg ? -(int64_t)mag : (int64_t)mag;
		return 0;
	case SET_UINT32:
	case SET_UINT64:
		if (set_integer(jval, 0, kind == SET_UINT32 ? UINT32_MAX :
		    UINT64_MAX, &neg, &mag) == -1 || (neg && mag != 0))
			goto range;
		vb->value.u = mag;
		return 0;
	case SET_NULL:
		return 0;
	default:
		break;
	}
	if (!json_is_string(jval)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: "
		    "expected a string", i);
		return -1;
	}
	s = json_string_value(jval);
	len = json_string_length(jval);
	if (len > max) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: longer "
		    "than %zu", i, max);
		return -1;
	}
	if ((*mem = malloc(len > SNMPMGR_MAX_OID_LEN * 5 ? len + 1 :
	    SNMPMGR_MAX_OID_LEN * 5)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return -1;
	}
	vb->value.data = *mem;
	switch (kind) {
	case SET_IPADDR:
		if (inet_pton(AF_INET, s, *mem) != 1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: "
			    "not an IPv4 address", i);
			return -1;
		}
		vb->value.len = 4;
		return 0;
	case SET_OID:
		if (oid_parse(&o, s, len) == -1 || (bl = oid_to_ber(&o, *mem,
		    SNMPMGR_MAX_OID_LEN * 5)) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: "
			    "not an OID", i);
			return -1;
		}
		vb->value.len = (size_t)bl;
		return 0;
	case SET_TEXT:
		memcpy(*mem, s, len);
		vb->value.len = len;
		return 0;
	case SET_HEX:
		if (set_hexval(s, *mem, &vb->value.len, len) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: "
			    "expected pairs of hex digits", i);
			return -1;
		}
		return 0;
	case SET_DECIMAL:
		if (set_decval(s, *mem, &vb->value.len, len) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: "
			    "expected dotted decimal bytes (0..255)", i);
			return -1;
		}
		return 0;
	default:
		break;
	}
	ctl_req_error(r, CTL_ERR_INTERNAL, "unhandled type", NULL);
	return -1;
 range:
	ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].value: expected an "
	    "integer in %s", i, t->kind == SET_INT32 ?
	    "-2147483648..2147483647" : t->kind == SET_UINT32 ?
	    "0..4294967295" : "0..18446744073709551615");
	return -1;
}

static int
m_snmp_set(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct snmp_varbind	*vb = NULL;
	uint8_t			**mem = NULL;
	struct snmp_pdu		 pdu;
	struct op		*op = NULL;
	json_t			*a;
	size_t			 i, n = 0;
	int			 rv = CTL_DONE;

	a = json_object_get(params, "varbinds");
	if (!json_is_array(a) || (n = json_array_size(a)) == 0) {
		ctl_req_error(r, CTL_ERR_PARAMS, "varbinds: expected a "
		    "non-empty array of {oid, type, value}", NULL);
		return CTL_DONE;
	}
	if (n > SNMPMGR_MAX_VARBINDS) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds: more than %d",
		    SNMPMGR_MAX_VARBINDS);
		return CTL_DONE;
	}
	if ((vb = calloc(n, sizeof(*vb))) == NULL ||
	    (mem = calloc(n, sizeof(*mem))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (set_parse_varbind(r, i, json_array_get(a, i), &vb[i],
		    &mem[i]) == -1)
			goto out;
	if ((op = op_open(d, r, params)) == NULL)
		goto out;
	op_pdu_init(&pdu, SNMP_PDU_SET, vb, n);
	rv = op_send(op, &pdu);
	op = NULL;
 out:
	op_free(op);
	for (i = 0; mem != NULL && i < n; i++)
		free(mem[i]);
	free(mem);
	free(vb);
	return rv;
}

/* ------------------------------------------------------------ snmp.walk */

static void
op_walk_drain_cb(void *arg)
{
	struct op	*op = arg;

	if (op->w != NULL)
		walk_resume(op->w);
}

/*
 * One agent response's rows.  Streamed: one "walk.rows" notification,
 * formatted in one buffer and queued with one copy; pause while the
 * client's queue is over SNMPMGR_CTL_STREAM_HIGH.  Collected: appended to
 * the result, up to METHODS_MAX_COLLECT rows.
 */
static int
op_walk_rows_cb(struct walk *w, const struct snmp_varbind *vb, size_t n,
    void *arg)
{
	struct op	*op = arg;
	struct render_buf *b = &op->buf;
	const char	*id;
	size_t		 idlen, i;

	if (!op->stream) {
		for (i = 0; i < n && op->count < METHODS_MAX_COLLECT; i++) {
			if (op->count > 0)
				render_add(b, ",", 1);
			render_varbind(b, &vb[i]);
			op->count++;
		}
		if (i > 0)
			op->last = vb[i - 1].name;
		if (b->failed)
			op->oom = true;
		return 0;
	}
	/* count and last come from the engine's result at the end. */
	op->count += n;
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
		op->oom = true;
		return 0;
	}
	if (ctl_req_write(op->r, b->p, b->len) == -1)
		return 1;	/* the client is gone; the walk is cancelled */
	if (ctl_req_outq(op->r) > SNMPMGR_CTL_STREAM_HIGH) {
		ctl_req_set_drain(op->r, op_walk_drain_cb, op);
		return 1;
	}
	return 0;
}

static json_t *
op_walk_err_data(const struct op *op, const struct walk_result *res)
{
	char		 last[SNMPMGR_MAX_OID_STR];
	const char	*name;
	json_t		*data;

	if (op->last.len > 0)
		oid_format(&op->last, last, sizeof(last));
	data = json_pack("{s:I,s:s?}", "count", (json_int_t)op->count,
	    "last_oid", op->last.len > 0 ? last : NULL);
	if (data != NULL && op->last.len == 0)
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
op_walk_done_cb(struct walk *w, const struct walk_result *res, void *arg)
{
	struct op		*op = arg;
	struct render_buf	 out;
	char			 detail[512];

	op->w = NULL;		/* the engine frees it */
	op->d->walks_active--;
	if (op->stream) {
		/* The engine's last is the resume point (start_oid if
		 * nothing came). */
		op->last = res->last;
		op->count = res->count;
	} else if (op->last.len == 0)
		op->last = res->last;

	if (res->error != 0) {
		op_error_detail(op, res->error, detail, sizeof(detail));
		if (res->error_status != 0)
			snprintf(detail, sizeof(detail), "agent answered %s "
			    "(error-status %d, index %d)",
			    snmp_error_status_name(res->error_status) ?
			    snmp_error_status_name(res->error_status) : "?",
			    res->error_status, res->error_index);
		ctl_req_error_num(op->r, res->error, detail,
		    op_walk_err_data(op, res));
		if (op->ds != NULL)
			sessions_note(op->ds, res->error, detail);
		methods_error_event(op->d, op->r, op->s, res->error, detail,
		    op_walk_err_data(op, res));
		goto done;
	}
	if (op->ds != NULL)
		sessions_note(op->ds, 0, NULL);
	if (!op->stream && res->count > METHODS_MAX_COLLECT) {
		ctl_req_error_num(op->r, SNMPMGR_ERR_TOO_MANY_OBJECTS,
		    "more than 100000 objects: walk with \"stream\": true",
		    op_walk_err_data(op, NULL));
		goto done;
	}
	if (op->oom) {
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory",
		    op_walk_err_data(op, NULL));
		goto done;
	}
	render_buf_init(&out);
	render_adds(&out, "{\"count\":");
	render_u64(&out, op->count);
	render_adds(&out, ",\"last_oid\":");
	if (op->last.len > 0)
		render_oid(&out, &op->last);
	else
		render_adds(&out, "null");
	if (!op->stream) {
		render_adds(&out, ",\"varbinds\":[");
		render_add(&out, op->buf.p, op->buf.len);
		render_adds(&out, "]");
	}
	render_adds(&out, "}");
	if (out.failed)
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result_raw(op->r, out.p, out.len);
	render_buf_free(&out);
 done:
	ctl_req_done(op->r);
	op_free(op);
}

static int
m_snmp_walk(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct walk_opts	 wo;
	struct op		*op = NULL;
	struct oid		 root, start;
	uint64_t		 limit = 0, mr = 0;
	bool			 inside = false, getnext = false, stream = true;
	int			 hlimit, hstart, hinside, hgetnext, hmr;

	if (json_object_get(params, "oid") == NULL) {
		ctl_req_error(r, CTL_ERR_PARAMS, "oid: required (the subtree "
		    "to walk)", NULL);
		return CTL_DONE;
	}
	if (param_oid(r, params, "oid", &root) == -1 ||
	    (hstart = param_oid(r, params, "start_oid", &start)) == -1 ||
	    (hlimit = param_uint(r, params, "limit", UINT32_MAX,
	    &limit)) == -1 ||
	    (hinside = param_bool(r, params, "inside_range", &inside)) == -1 ||
	    (hgetnext = param_bool(r, params, "use_getnext", &getnext)) == -1 ||
	    (hmr = param_uint(r, params, "max_repetitions",
	    SNMPMGR_MAX_REPETITIONS, &mr)) == -1 ||
	    param_bool(r, params, "stream", &stream) == -1)
		return CTL_DONE;
	if (hmr && mr == 0) {
		ctl_req_error(r, CTL_ERR_PARAMS, "max_repetitions: must be at "
		    "least 1", NULL);
		return CTL_DONE;
	}
	if (hstart && !oid_is_prefix(&root, &start)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "start_oid: not inside the "
		    "subtree oid", NULL);
		return CTL_DONE;
	}
	if ((op = op_open(d, r, params)) == NULL)
		return CTL_DONE;
	walk_opts_from_sess(&wo, op->s, &root);
	if (hstart)
		wo.start = start;
	if (hlimit && limit > 0)
		wo.limit = (uint32_t)limit;
	if (hinside)
		wo.inside_range = inside;
	if (hgetnext)
		wo.use_getnext = getnext;
	if (hmr)
		wo.max_repetitions = (uint32_t)mr;
	op->stream = stream;
	/* One row past the bound tells that the subtree holds more. */
	if (!stream && (wo.limit == 0 || wo.limit > METHODS_MAX_COLLECT))
		wo.limit = METHODS_MAX_COLLECT + 1;
	if ((op->w = walk_start(op->s, &wo, op_walk_rows_cb, op_walk_done_cb,
	    op)) == NULL) {
		op_error_lasterr(r);
		methods_error_event(d, r, op->s, snmpmgr_lasterr(),
		    snmpmgr_lasterr_detail(), NULL);
		goto fail;
	}
	d->walks_active++;
	ctl_req_set_cancel(r, op_cancel_cb, op);
	ctl_req_set_interrupt(r, op_interrupt_cb, op);
	return CTL_PENDING;
 fail:
	op_free(op);
	return CTL_DONE;
}

/* ------------------------------------------------- daemon and sessions */

static int
m_daemon_status(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t	*res;

	res = json_pack("{s:s,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "version", PACKAGE_VERSION,
	    "pid", (json_int_t)d->pid,
	    "uptime", daemon_uptime(d),
	    "sessions", (json_int_t)sessions_count(d->sessions),
	    "sessions_enabled", (json_int_t)sessions_enabled(d->sessions),
	    "requests_in_flight", (json_int_t)d->requests_in_flight,
	    "clients", (json_int_t)control_nclients(d->control),
	    "clients_dropped", (json_int_t)d->clients_dropped,
	    "walks", (json_int_t)d->walks_active);
	if (res != NULL && d->polls != NULL)
		view_polls_status(d->polls, res);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

static int
m_session_list(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t		*res, *st;
	const char	*state = NULL;

	st = json_object_get(params, "state");
	if (st != NULL && !json_is_null(st)) {
		if (!json_is_string(st)) {
			ctl_req_error(r, CTL_ERR_PARAMS, "state: expected up, "
			    "down, unknown, disabled or error", NULL);
			return CTL_DONE;
		}
		state = json_string_value(st);
	}
	if ((res = view_session_list(d, d->sessions, state)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

static int
m_session_show(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct dsess	*ds;
	json_t		*sv, *res;

	sv = json_object_get(params, "session");
	if (!json_is_string(sv)) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "session: expected a session name", NULL);
		return CTL_DONE;
	}
	if ((ds = sessions_find(d->sessions, json_string_value(sv))) == NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown session \"%s\"",
		    json_string_value(sv));
		return CTL_DONE;
	}
	if ((res = view_session_show(d, ds)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

/* -------------------------------------------------------------- table */

/* Sorted by name for bsearch. */
static const struct method methods[] = {
	{ "daemon.reload",	m_daemon_reload,	METHOD_NOPARAMS },
	{ "daemon.stats",	m_daemon_stats,		METHOD_NOPARAMS },
	{ "daemon.status",	m_daemon_status,	METHOD_NOPARAMS },
	{ "events.subscribe",	m_events_subscribe,	0 },
	{ "events.unsubscribe",	m_events_unsubscribe,	0 },
	{ "poll.reset",		m_poll_reset,		0 },
	{ "poll.results",	m_poll_results,		0 },
	{ "poll.run",		m_poll_run,		0 },
	{ "poll.value",		m_poll_value,		0 },
	{ "request.cancel",	m_request_cancel,	0 },
	{ "session.add",	m_session_add,		0 },
	{ "session.config",	m_session_config,	0 },
	{ "session.disable",	m_session_disable,	0 },
	{ "session.enable",	m_session_enable,	0 },
	{ "session.interrupt",	m_session_interrupt,	0 },
	{ "session.list",	m_session_list,		0 },
	{ "session.remove",	m_session_remove,	0 },
	{ "session.show",	m_session_show,		0 },
	{ "snmp.discover",	m_snmp_discover,	0 },
	{ "snmp.get",		m_snmp_get,		0 },
	{ "snmp.getbulk",	m_snmp_getbulk,		0 },
	{ "snmp.getnext",	m_snmp_getnext,		0 },
	{ "snmp.inform",	m_snmp_inform,		0 },
	{ "snmp.set",		m_snmp_set,		0 },
	{ "snmp.trap",		m_snmp_trap,		0 },
	{ "snmp.walk",		m_snmp_walk,		0 },
	{ "trap.list",		m_trap_list,		0 },
	{ "trap.stats",		m_trap_stats,		METHOD_NOPARAMS },
	{ "usm.hash",		m_usm_hash,		0 },
};

static int
method_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct method *)elem)->name);
}

const struct method *
method_find(const char *name)
{
	return bsearch(name, methods, sizeof(methods) / sizeof(methods[0]),
	    sizeof(methods[0]), method_cmp);
}

/* For handlers in other files (methods.h). */
int
methods_target(struct daemon *d, struct ctl_req *r, json_t *params,
    struct sess **s, struct dsess **ds)
{
	struct op	 op;

	memset(&op, 0, sizeof(op));
	op.d = d;
	op.r = r;
	if (op_target(&op, params) == -1)
		return -1;
	*s = op.s;
	*ds = op.ds;
	return op.temp ? 1 : 0;
}

int
methods_parse_varbind(struct ctl_req *r, size_t i, json_t *jv,
    struct snmp_varbind *vb, uint8_t **mem)
{
	return set_parse_varbind(r, i, jv, vb, mem);
}
