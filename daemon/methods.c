/*
 * methods.c - the JSON-RPC method table of the control socket
 * (doc/protocol.md), and what the handlers share: reading params and the
 * varbinds of snmp.set and of notifications.  The handlers live by namespace in m_*.c.
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

#include "core/errors.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"

#include "control.h"
#include "daemon.h"
#include "methods.h"
#include "sessions.h"

/* ------------------------------------------------------- param helpers */

/* An optional unsigned integer (a number or decimal string) in 0..max.
 * 1 if given, 0 if absent, -1 with the error set on r. */
int
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
int
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
int
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
int
methods_parse_varbind(struct ctl_req *r, size_t i, json_t *jv,
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
		if (hex_decode(s, len, HEX_SPACES, *mem, len,
		    &vb->value.len) == -1) {
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



/* Every key of params must be one of keys (NULL-terminated).  0 or -1. */
int
param_only_keys(struct ctl_req *r, json_t *params, const char *const *keys)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach(params, key, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (keys[i] == NULL) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown param "
			    "\"%s\"", key);
			return -1;
		}
	}
	return 0;
}

/* params.session: a configured session.  NULL with the error set. */
struct dsess *
param_session(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t		*v = json_object_get(params, "session");
	struct dsess	*ds;

	if (!json_is_string(v)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "session: expected a session "
		    "name", NULL);
		return NULL;
	}
	if ((ds = sessions_find(d->sessions, json_string_value(v))) == NULL)
		ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown session \"%s\"",
		    json_string_value(v));
	return ds;
}

/* An optional string param: 1 given, 0 absent, -1 error. */
int
param_str(struct ctl_req *r, json_t *params, const char *key,
    const char **out)
{
	json_t	*v = json_object_get(params, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

int
param_flag(struct ctl_req *r, json_t *params, const char *key, bool *out)
{
	json_t	*v = json_object_get(params, key);

	*out = false;
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
