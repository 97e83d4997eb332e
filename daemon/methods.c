/*
 * methods.c - the JSON-RPC method table of the control socket
 * (doc/protocol.md) and its dispatcher.
 *
 * The table declares what each method takes (methods.h); the dispatcher
 * finds the method, reads every declared param with the reader of its
 * type, in the order the table lists them, and resolves the session or
 * the target before the handler runs.  The messages of wrong params are
 * the table's or the types' own, so a handler holds no param-reading
 * code and two methods never word one mistake differently unless the
 * table says so.
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
#include <time.h>

#include <jansson.h>

#include "cluster.h"
#include "conf.h"

#include "core/errors.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"

#include "control.h"
#include "daemon.h"
#include "journal.h"
#include "log.h"
#include "mib.h"
#include "methods.h"
#include "op.h"
#include "sessions.h"

/* Params a method may declare. */
#define METHOD_MAX_PARAMS	12

/* The value of one declared param, as its reader left it. */
struct mval {
	bool			 given;
	bool			 read;		/* MP_LAZY: read already */
	json_t			*json;
	const char		*s;		/* MP_STRING, MP_OID */
	bool			 b;
	uint64_t		 u;
	int64_t			 i;
	struct oid		 oid;
	struct timespec		 ts;
	struct snmp_varbind	*vb;		/* MP_OIDS, MP_VARBINDS */
	uint8_t			**mem;		/* MP_VARBINDS: octets */
	size_t			 n;
};

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
 * An OID param: dotted numbers or a MIB name (mib.h).  0, or -1 with an
 * invalid-params error naming what (what[i] when i >= 0) and why; -2
 * for bad dotted numbers of a single param (the param's own message).
 */
static int
param_oid(struct ctl_req *r, const char *what, ssize_t i, json_t *v,
    struct oid *o)
{
	char	 msg[400];

	if (!json_is_string(v)) {
		if (i >= 0)
			ctl_req_errorf(r, CTL_ERR_PARAMS, "%s[%zd]: not an OID",
			    what, i);
		else
			ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected an "
			    "OID", what);
		return -1;
	}
	if (mib_parse_oid(mib_current(), o, json_string_value(v),
	    json_string_length(v), msg, sizeof(msg)) == 0)
		return 0;
	if (json_string_length(v) == 0 ||
	    strchr("0123456789.", json_string_value(v)[0]) != NULL) {
		if (i < 0)
			return -2;
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s[%zd]: not an OID", what,
		    i);
		return -1;
	}
	if (i >= 0)
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s[%zd]: %s", what, i, msg);
	else
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: %s", what, msg);
	return -1;
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
	if (!json_is_string(jo) || json_string_length(jo) == 0 ||
	    strchr("0123456789.", json_string_value(jo)[0]) != NULL) {
		if (!json_is_string(jo) || oid_parse(&vb->name,
		    json_string_value(jo), json_string_length(jo)) == -1) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "varbinds[%zu].oid: "
			    "not an OID", i);
			return -1;
		}
	} else {
		char	 what[48];

		snprintf(what, sizeof(what), "varbinds[%zu].oid", i);
		if (param_oid(r, what, -1, jo, &vb->name) != 0)
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


/*
 * A time bound: ISO 8601 UTC ("2026-11-21T10:00:00Z", fraction and "Z"
 * optional, a space for the "T", or a date alone), a duration back from
 * now ("10m", "2h", "1d"), or seconds since the epoch (a number).  Into
 * *out.  0, or -1 when v is none of these.
 */
static int
mp_time(json_t *v, struct timespec *out)
{
	struct timespec	 ts;
	struct tm	 tm;
	const char	*s, *p;
	uint32_t	 ms;
	double		 x;
	int		 n = 0, Y, M, D, h = 0, m = 0, sec = 0;
	long		 frac = 0, scale = 100000000;

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
	/* timegm() normalises: February 30 would be March 2. */
	if (gmtime_r(&ts.tv_sec, &tm) == NULL || tm.tm_mday != D ||
	    tm.tm_mon != M - 1 || tm.tm_year != Y - 1900)
		goto bad;
 done:
	*out = ts;
	return 0;
 bad:
	return -1;
}

/* --------------------------------------------------------- param types */

/* What each type says of a wrong value, after the param's name. */
static const char *const mp_wrong[] = {
	[MP_ANY] =	"not allowed",
	[MP_STRING] =	"expected a string",
	[MP_BOOL] =	"expected true or false",
	[MP_UINT] =	"expected an integer",
	[MP_INT] =	"expected an integer",
	[MP_ID] =	"expected a string or a number",
	[MP_OID] =	"not an OID",
	[MP_OIDS] =	"expected a non-empty array of OIDs",
	[MP_VARBINDS] =	"expected an array of {oid, type, value}",
	[MP_OBJECT] =	"expected an object",
	[MP_TIME] =	"expected a UTC time such as \"2026-11-21T10:00:00Z\", "
			"a duration back from now such as \"10m\", or "
			"seconds since 1970",
	[MP_SESSION] =	"expected a session name",
};

/* A wrong value of p: the table's message, or the type's own. */
static void
mp_error(struct ctl_req *r, const struct mparam *p, bool missing)
{
	const char	*msg = missing && p->missing != NULL ? p->missing :
			    p->msg;
	char		 list[256];

	if (msg != NULL)
		ctl_req_error(r, CTL_ERR_PARAMS, msg, NULL);
	else if (p->words != NULL) {
		config_words_list(p->words, list, sizeof(list));
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected %s", p->name,
		    list);
	} else
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: %s", p->name,
		    mp_wrong[p->type]);
}

/* Is s one of words (NULL-terminated)? */
static bool
mp_word(const char *const *words, const char *s)
{
	size_t	 i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], s) == 0)
			return true;
	return false;
}

/* MP_UINT: a number or a decimal string in 0..max.  0, -1 wrong type, -2
 * out of range. */
static int
mp_uint(json_t *v, uint64_t max, uint64_t *out)
{
	const char		*s;
	char			*end;
	unsigned long long	 ull;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) > max)
			return -2;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	ull = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE || ull > max)
		return -2;
	*out = ull;
	return 0;
}

/*
 * More objects (OIDs, varbinds) than a request may carry: 302 (too many
 * objects, as the reference numbers it) with the bound in the detail, set
 * on r.  False when n fits.
 */
static bool
mp_too_many(struct ctl_req *r, const struct mparam *p, size_t n)
{
	char	detail[128];

	if (n <= (size_t)p->max)
		return false;
	snprintf(detail, sizeof(detail), "%s: more than %lld", p->name,
	    (long long)p->max);
	ctl_req_error_num(r, SNMPMGR_ERR_TOO_MANY_OBJECTS, detail, NULL);
	return true;
}

/* MP_OIDS: a varbind of type NULL per OID.  0, or -1 with the error set. */
static int
mp_oids(struct ctl_req *r, const struct mparam *p, json_t *a,
    struct mval *mv)
{
	json_t	*v;
	size_t	 i, n;

	if (!json_is_array(a) || (n = json_array_size(a)) == 0) {
		mp_error(r, p, false);
		return -1;
	}
	if (mp_too_many(r, p, n))
		return -1;
	if ((mv->vb = calloc(n, sizeof(*mv->vb))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v = json_array_get(a, i);
		if (param_oid(r, p->name, (ssize_t)i, v, &mv->vb[i].name) ==
		    -1)
			return -1;
		mv->vb[i].value.type = SNMP_T_NULL;
	}
	mv->n = n;
	return 0;
}

/* MP_VARBINDS: as snmp.set reads them.  0, or -1 with the error set. */
static int
mp_varbinds(struct ctl_req *r, const struct mparam *p, json_t *a,
    struct mval *mv)
{
	size_t	 i, n;

	if (!json_is_array(a) || ((n = json_array_size(a)) == 0 &&
	    (p->flags & MP_NONEMPTY))) {
		mp_error(r, p, false);
		return -1;
	}
	if (mp_too_many(r, p, n))
		return -1;
	if (n == 0)
		return 0;
	if ((mv->vb = calloc(n, sizeof(*mv->vb))) == NULL ||
	    (mv->mem = calloc(n, sizeof(*mv->mem))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return -1;
	}
	mv->n = n;
	for (i = 0; i < n; i++)
		if (set_parse_varbind(r, i, json_array_get(a, i), &mv->vb[i],
		    &mv->mem[i]) == -1)
			return -1;
	return 0;
}

static void
mval_clear(struct mval *mv)
{
	size_t	 i;

	for (i = 0; mv->mem != NULL && i < mv->n; i++)
		free(mv->mem[i]);
	free(mv->mem);
	free(mv->vb);
}

/* Read param i of c's method.  1 given, 0 absent, -1 with the error set. */
static int
mp_read(struct mcall *c, size_t i)
{
	const struct mparam	*p = &c->m->params[i];
	struct mval		*mv = &c->v[i];
	struct ctl_req		*r = c->r;
	json_t			*v = json_object_get(c->params, p->name);
	size_t			 len;
	int			 rv;

	mv->read = true;
	if (v == NULL || (json_is_null(v) && !(p->flags & MP_NOTNULL))) {
		if (p->flags & MP_REQUIRED) {
			mp_error(r, p, true);
			return -1;
		}
		return 0;
	}
	mv->json = v;
	switch (p->type) {
	case MP_ANY:
		break;
	case MP_STRING:
		if (!json_is_string(v))
			goto bad;
		len = json_string_length(v);
		mv->s = json_string_value(v);
		if ((len == 0 && (p->flags & MP_NONEMPTY)) ||
		    (p->max > 0 && len > (size_t)p->max) ||
		    ((p->flags & MP_PLAIN) && (strchr(mv->s, '"') != NULL ||
		    strchr(mv->s, '\\') != NULL)) ||
		    (p->words != NULL && !mp_word(p->words, mv->s)))
			goto bad;
		break;
	case MP_BOOL:
		if (!json_is_boolean(v))
			goto bad;
		mv->b = json_is_true(v);
		break;
	case MP_UINT:
		if ((rv = mp_uint(v, (uint64_t)p->max, &mv->u)) == -2 &&
		    p->msg == NULL) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: out of range "
			    "0..%" PRIu64, p->name, (uint64_t)p->max);
			return -1;
		}
		if (rv != 0)
			goto bad;
		break;
	case MP_INT:
		if (!json_is_integer(v) || json_integer_value(v) < p->min ||
		    json_integer_value(v) > p->max)
			goto bad;
		mv->i = json_integer_value(v);
		break;
	case MP_ID:
		if (!json_is_string(v) && !json_is_number(v))
			goto bad;
		break;
	case MP_OID:
		if (!json_is_string(v))
			goto bad;
		if ((rv = param_oid(r, p->name, -1, v, &mv->oid)) == -2)
			goto bad;
		if (rv == -1)
			return -1;
		mv->s = json_string_value(v);
		break;
	case MP_OIDS:
		if (mp_oids(r, p, v, mv) == -1)
			return -1;
		break;
	case MP_VARBINDS:
		if (mp_varbinds(r, p, v, mv) == -1)
			return -1;
		break;
	case MP_OBJECT:
		if (!json_is_object(v))
			goto bad;
		break;
	case MP_TIME:
		if (mp_time(v, &mv->ts) == -1)
			goto bad;
		break;
	case MP_SESSION:
		if (!json_is_string(v))
			goto bad;
		if ((c->ds = sessions_find(c->d->sessions,
		    json_string_value(v))) == NULL) {
			ctl_req_error_no_session(r, json_string_value(v));
			return -1;
		}
		break;
	}
	mv->given = true;
	return 1;
 bad:
	mp_error(r, p, false);
	return -1;
}

/* ------------------------------------------------------------- getters */

/* The value of the param called name; NULL if the method declares none
 * (a handler's mistake, logged). */
static struct mval *
mcall_val(const struct mcall *c, const char *name)
{
	size_t	 i;

	for (i = 0; c->m->params != NULL && c->m->params[i].name != NULL; i++)
		if (strcmp(c->m->params[i].name, name) == 0)
			return &c->v[i];
	log_warnx("control: %s declares no param \"%s\"", c->m->name, name);
	return NULL;
}

/* The value of the param called name when the request gave it. */
static const struct mval *
mcall_given_val(const struct mcall *c, const char *name)
{
	const struct mval	*mv = mcall_val(c, name);

	return mv != NULL && mv->given ? mv : NULL;
}

bool
mcall_given(const struct mcall *c, const char *name)
{
	return mcall_given_val(c, name) != NULL;
}

/*
 * The typed getters (methods.h): what the request gave, else NULL or the
 * caller's default.
 */
#define MCALL_GETTER(type, fn, what)					\
type									\
fn(const struct mcall *c, const char *name)				\
{									\
	const struct mval	*mv = mcall_given_val(c, name);		\
									\
	return mv != NULL ? (what) : NULL;				\
}
#define MCALL_GETTER_DEF(type, fn, field)				\
type									\
fn(const struct mcall *c, const char *name, type def)			\
{									\
	const struct mval	*mv = mcall_given_val(c, name);		\
									\
	return mv != NULL ? mv->field : def;				\
}

MCALL_GETTER(json_t *, mcall_json, mv->json)
MCALL_GETTER(const char *, mcall_str, mv->s)
MCALL_GETTER(const struct oid *, mcall_oid, &mv->oid)
MCALL_GETTER(const struct timespec *, mcall_time, &mv->ts)
MCALL_GETTER_DEF(bool, mcall_bool, b)
MCALL_GETTER_DEF(uint64_t, mcall_uint, u)
MCALL_GETTER_DEF(int64_t, mcall_int, i)

struct snmp_varbind *
mcall_varbinds(const struct mcall *c, const char *name, size_t *n)
{
	const struct mval	*mv = mcall_given_val(c, name);

	*n = mv != NULL ? mv->n : 0;
	return *n > 0 ? mv->vb : NULL;
}

int
mcall_read(struct mcall *c, const char *name)
{
	struct mval	*mv = mcall_val(c, name);

	if (mv == NULL)
		return 0;
	if (mv->read)
		return mv->given ? 1 : 0;
	return mp_read(c, (size_t)(mv - c->v));
}

/* -------------------------------------------------------------- table */

#define P_END		{ .name = NULL }
#define STR_(x)		#x
#define STR(x)		STR_(x)

static const struct mparam p_session[] = {
	{ .name = "session", .type = MP_SESSION, .flags = MP_REQUIRED },
	P_END
};

static const struct mparam p_session_poll[] = {
	{ .name = "session", .type = MP_SESSION, .flags = MP_REQUIRED },
	{ .name = "poll", .type = MP_STRING },
	P_END
};

static const struct mparam p_poll_value[] = {
	{ .name = "session", .type = MP_SESSION, .flags = MP_REQUIRED },
	{ .name = "oid", .type = MP_OID, .flags = MP_REQUIRED,
	  .msg = "oid: expected an OID" },
	P_END
};

static const struct mparam p_events_subscribe[] = {
	/* events.c reads them (events_subscribe). */
	{ .name = "events", .type = MP_ANY },
	{ .name = "sessions", .type = MP_ANY },
	{ .name = "max_queue", .type = MP_ANY },
	P_END
};

static const struct mparam p_events_unsubscribe[] = {
	{ .name = "subscription", .type = MP_INT, .flags = MP_REQUIRED,
	  .min = 1, .max = INT64_MAX,
	  .msg = "subscription: expected the number events.subscribe "
	  "returned" },
	P_END
};

static const struct mparam p_request_cancel[] = {
	{ .name = "id", .type = MP_ID, .flags = MP_REQUIRED,
	  .msg = "id: expected the id (a number or a string) of a request "
	  "in flight on this connection" },
	P_END
};

static const struct mparam p_session_add[] = {
	{ .name = "persist", .type = MP_BOOL },
	{ .name = "session", .type = MP_STRING,
	  .flags = MP_REQUIRED | MP_NONEMPTY, .max = SNMPMGR_MAX_NAME_LEN,
	  .msg = "session: expected a name of 1 to "
	  STR(SNMPMGR_MAX_NAME_LEN) " bytes" },
	{ .name = "config", .type = MP_OBJECT, .flags = MP_REQUIRED,
	  .msg = "config: expected an object of session options, as in the "
	  "config's \"sessions\"" },
	P_END
};

static const struct mparam p_session_persist[] = {
	{ .name = "persist", .type = MP_BOOL },
	{ .name = "session", .type = MP_SESSION, .flags = MP_REQUIRED },
	P_END
};

static const struct mparam p_session_config[] = {
	{ .name = "persist", .type = MP_BOOL },
	{ .name = "session", .type = MP_SESSION, .flags = MP_REQUIRED },
	{ .name = "options", .type = MP_OBJECT, .flags = MP_NOTNULL,
	  .msg = "options: expected an object of option names and values" },
	P_END
};

/* What polls_state_name() says. */
static const char *const w_session_state[] = { "up", "down", "unknown",
	"disabled", "error", NULL };

static const struct mparam p_session_list[] = {
	{ .name = "state", .type = MP_STRING, .words = w_session_state },
	P_END
};

static const struct mparam p_discover[] = {
	{ .name = "force", .type = MP_BOOL, .flags = MP_NOTNULL },
	P_END
};

static const struct mparam p_get[] = {
	{ .name = "oids", .type = MP_OIDS, .flags = MP_REQUIRED,
	  .max = SNMPMGR_MAX_VARBINDS },
	{ .name = "store", .type = MP_BOOL, .flags = MP_NOTNULL },
	P_END
};

static const struct mparam p_getbulk[] = {
	{ .name = "oids", .type = MP_OIDS, .flags = MP_REQUIRED,
	  .max = SNMPMGR_MAX_VARBINDS },
	{ .name = "non_repeaters", .type = MP_UINT,
	  .max = SNMPMGR_MAX_VARBINDS },
	{ .name = "max_repetitions", .type = MP_UINT,
	  .max = SNMPMGR_MAX_REPETITIONS },
	{ .name = "store", .type = MP_BOOL, .flags = MP_NOTNULL },
	P_END
};

static const struct mparam p_set[] = {
	{ .name = "varbinds", .type = MP_VARBINDS,
	  .flags = MP_REQUIRED | MP_NONEMPTY, .max = SNMPMGR_MAX_VARBINDS,
	  .msg = "varbinds: expected a non-empty array of {oid, type, "
	  "value}" },
	P_END
};

/* snmp.inform and snmp.trap: sysUpTime.0 and snmpTrapOID.0 come first. */
#define P_NOTIFICATION \
	{ .name = "trap_oid", .type = MP_OID, .flags = MP_REQUIRED, \
	  .msg = "trap_oid: required, an OID such as " \
	  "\"1.3.6.1.6.3.1.1.5.1\"" }, \
	{ .name = "uptime", .type = MP_INT, .min = 0, .max = UINT32_MAX, \
	  .msg = "uptime: expected TimeTicks, 0..4294967295" }, \
	{ .name = "varbinds", .type = MP_VARBINDS, \
	  .max = SNMPMGR_MAX_VARBINDS - 2 }

static const struct mparam p_inform[] = {
	P_NOTIFICATION,
	P_END
};

static const struct mparam p_trap[] = {
	P_NOTIFICATION,
	/* Only an SNMPv1 Trap-PDU has them. */
	{ .name = "enterprise", .type = MP_OID,
	  .flags = MP_LAZY | MP_NOTNULL, .msg = "enterprise: not an OID" },
	{ .name = "agent_addr", .type = MP_STRING,
	  .flags = MP_LAZY | MP_NOTNULL,
	  .msg = "agent_addr: not an IPv4 address" },
	P_END
};

static const struct mparam p_walk[] = {
	{ .name = "oid", .type = MP_OID, .flags = MP_REQUIRED,
	  .missing = "oid: required (the subtree to walk)" },
	{ .name = "start_oid", .type = MP_OID },
	{ .name = "limit", .type = MP_UINT, .max = UINT32_MAX },
	{ .name = "inside_range", .type = MP_BOOL },
	{ .name = "use_getnext", .type = MP_BOOL },
	{ .name = "max_repetitions", .type = MP_UINT,
	  .max = SNMPMGR_MAX_REPETITIONS },
	{ .name = "stream", .type = MP_BOOL },
	{ .name = "store", .type = MP_BOOL, .flags = MP_NOTNULL },
	P_END
};

static const struct mparam p_table[] = {
	{ .name = "table", .type = MP_STRING, .flags = MP_REQUIRED |
	  MP_NONEMPTY, .max = 1024,
	  .missing = "table: required (a table's name or OID)" },
	{ .name = "columns", .type = MP_ANY },
	{ .name = "use_getnext", .type = MP_BOOL },
	{ .name = "max_repetitions", .type = MP_UINT, .min = 1,
	  .max = SNMPMGR_MAX_REPETITIONS },
	P_END
};

/* A filter on a journal record's field (struct journal_match). */
#define P_MATCH(n) \
	{ .name = n, .type = MP_STRING, \
	  .flags = MP_NONEMPTY | MP_PLAIN, .max = JOURNAL_MATCH_MAX, \
	  .msg = n ": expected a non-empty string" }
#define JOURNAL_MATCH_MAX \
	(int64_t)(sizeof(((struct journal_match *)0)->value) - 1)

/* A journal record's "type" and "version" (trap_rec.c); "2" is 2c, as
 * in the config. */
static const char *const w_trap_type[] = { "trap", "inform", NULL };

static const struct mparam p_trap_list[] = {
	{ .name = "limit", .type = MP_INT, .min = 1,
	  .max = JOURNAL_MAX_LIMIT,
	  .msg = "limit: expected an integer from 1 to "
	  STR(JOURNAL_MAX_LIMIT) },
	{ .name = "since", .type = MP_TIME },
	{ .name = "until", .type = MP_TIME },
	P_MATCH("source"),
	{ .name = "trap_oid", .type = MP_OID },
	{ .name = "type", .type = MP_STRING, .words = w_trap_type },
	{ .name = "version", .type = MP_STRING,
	  .words = config_version_words,
	  .msg = "version: expected \"1\", \"2c\" or \"3\"" },
	P_MATCH("user"),
	P_END
};

static const struct mparam p_mib_translate[] = {
	{ .name = "names", .type = MP_ANY, .flags = MP_REQUIRED,
	  .missing = "names: required (names or OIDs to translate)" },
	P_END
};

static const struct mparam p_usm_hash[] = {
	{ .name = "engine_id", .type = MP_STRING },
	{ .name = "auth", .type = MP_STRING },
	{ .name = "auth_password", .type = MP_STRING },
	{ .name = "auth_key", .type = MP_STRING },
	{ .name = "priv", .type = MP_STRING },
	{ .name = "priv_password", .type = MP_STRING },
	{ .name = "priv_key", .type = MP_STRING },
	{ .name = "priv_key_extension", .type = MP_STRING },
	{ .name = "user", .type = MP_STRING },
	P_END
};

/*
 * Sorted by name for bsearch.  Each entry: name, handler, flags,
 * params, and the hooks that run before the params are read and before
 * the target is resolved.
 */
static const struct method methods[] = {
	{ "cluster.members",	m_cluster_members,	.params = NULL },
	{ "daemon.reload",	m_daemon_reload,	.params = NULL },
	{ "daemon.stats",	m_daemon_stats,		.params = NULL },
	{ "daemon.status",	m_daemon_status,	.params = NULL },
	{ "events.subscribe",	m_events_subscribe,	.params =
	  p_events_subscribe },
	{ "events.unsubscribe",	m_events_unsubscribe,	.params =
	  p_events_unsubscribe },
	{ "mib.translate",	m_mib_translate,	.params =
	  p_mib_translate },
	{ "poll.reset",		m_poll_reset,		.params = p_session,
	  .flags = METHOD_FORWARD },
	{ "poll.results",	m_poll_results,		.params = p_session_poll,
	  .flags = METHOD_FORWARD },
	{ "poll.run",		m_poll_run,		.params = p_session_poll,
	  .flags = METHOD_FORWARD },
	{ "poll.value",		m_poll_value,		.params = p_poll_value,
	  .flags = METHOD_FORWARD },
	{ "request.cancel",	m_request_cancel,	.params =
	  p_request_cancel },
	{ "session.add",	m_session_add,		.params = p_session_add },
	{ "session.config",	m_session_config,	.params =
	  p_session_config },
	{ "session.disable",	m_session_disable,	.params =
	  p_session_persist },
	{ "session.enable",	m_session_enable,	.params =
	  p_session_persist },
	{ "session.interrupt",	m_session_interrupt,	.params = p_session },
	{ "session.list",	m_session_list,		.params = p_session_list },
	{ "session.remove",	m_session_remove,	.params = p_session },
	{ "session.show",	m_session_show,		.params = p_session,
	  .flags = METHOD_FORWARD },
	{ "snmp.discover",	m_snmp_discover,	.flags = METHOD_TARGET,
	  .params = p_discover },
	{ "snmp.get",		m_snmp_get,		.flags = METHOD_TARGET,
	  .params = p_get },
	{ "snmp.getbulk",	m_snmp_getbulk,		.flags = METHOD_TARGET,
	  .params = p_getbulk },
	{ "snmp.getnext",	m_snmp_getnext,		.flags = METHOD_TARGET,
	  .params = p_get },
	{ "snmp.inform",	m_snmp_inform,		.flags = METHOD_TARGET,
	  .params = p_inform },
	{ "snmp.set",		m_snmp_set,		.flags = METHOD_TARGET,
	  .params = p_set },
	{ "snmp.table",		m_snmp_table,		.flags = METHOD_TARGET,
	  .params = p_table },
	{ "snmp.trap",		m_snmp_trap,		.flags = METHOD_TARGET,
	  .params = p_trap },
	{ "snmp.walk",		m_snmp_walk,		.flags = METHOD_TARGET,
	  .params = p_walk, .check = m_snmp_walk_check },
	{ "trap.list",		m_trap_list,		.params = p_trap_list,
	  .ready = m_trap_journal_ready },
	{ "trap.stats",		m_trap_stats,		.ready = m_trap_ready },
	{ "usm.hash",		m_usm_hash,		.params = p_usm_hash },
};

static int
method_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct method *)elem)->name);
}

/* ---------------------------------------------------------- dispatcher */

/*
 * Every key of c->params must be a param m declares, or "session" and
 * "target" of a METHOD_TARGET.  0, or -1 with the one error of every
 * method for another key, which names the key and the params m takes.
 */
static int
method_only_declared(struct mcall *c)
{
	const struct method	*m = c->m;
	const char		*names[METHOD_MAX_PARAMS + 3];
	const char		*key;
	char			 list[400];
	json_t			*v;
	size_t			 i, n = 0;

	if (m->flags & METHOD_TARGET) {
		names[n++] = "session";
		names[n++] = "target";
	}
	for (i = 0; m->params != NULL && m->params[i].name != NULL; i++)
		names[n++] = m->params[i].name;
	names[n] = NULL;
	json_object_foreach(c->params, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(names[i], key) == 0)
				break;
		if (i < n)
			continue;
		if (n == 0)
			snprintf(list, sizeof(list), "none");
		else
			config_words_list(names, list, sizeof(list));
		/* A long key is cut, not inside a UTF-8 sequence. */
		if ((i = strlen(key)) > 40)
			for (i = 40; i > 0 && (key[i] & 0xc0) == 0x80; i--)
				;
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "unknown param \"%.*s\" "
		    "(%s takes %s)", (int)i, key, m->name, list);
		return -1;
	}
	return 0;
}

/* Check and read c's params, resolve its target.  0, or -1 (error set). */
static int
method_prepare(struct mcall *c)
{
	const struct method	*m = c->m;
	size_t			 i;

	if (m->ready != NULL && m->ready(c) == -1)
		return -1;
	if (method_only_declared(c) == -1)
		return -1;
	for (i = 0; m->params != NULL && m->params[i].name != NULL; i++)
		if (!(m->params[i].flags & MP_LAZY) && mp_read(c, i) == -1)
			return -1;
	if (m->check != NULL && m->check(c) == -1)
		return -1;
	if (m->flags & METHOD_TARGET) {
		if ((c->op = op_new(c->d, c->r)) == NULL)
			return -1;
		if (op_target(c->op, c->params) == -1) {
			op_free(c->op);
			c->op = NULL;
			return -1;
		}
	}
	return 0;
}

int
methods_dispatch(struct daemon *d, struct ctl_req *r, const char *name,
    json_t *params)
{
	const struct method	*m;
	struct mval		 v[METHOD_MAX_PARAMS];
	struct mcall		 c;
	json_t			*empty = NULL;
	size_t			 i, n;
	int			 rv = CTL_DONE;

	m = bsearch(name, methods, sizeof(methods) / sizeof(methods[0]),
	    sizeof(methods[0]), method_cmp);
	if (m == NULL) {
		ctl_req_error(r, CTL_ERR_METHOD, "method not found",
		    json_pack("{s:s}", "method", name));
		return CTL_DONE;
	}
	if (params != NULL && json_is_null(params))
		params = NULL;
	if (params != NULL && !json_is_object(params)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "params: expected an object",
		    NULL);
		return CTL_DONE;
	}
	if (params == NULL && (params = empty = json_object()) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return CTL_DONE;
	}
	/* What another node asks (cluster_fwd.h): only what it may. */
	if (ctl_req_internal(r) && (m->flags & METHOD_FORWARD) == 0) {
		ctl_req_errorf(r, CTL_ERR_METHOD, "%s is not served to other "
		    "cluster nodes", m->name);
		return CTL_DONE;
	}
	log_debug("control: %s", m->name);
	ctl_req_set_method(r, m->name);
	for (n = 0; m->params != NULL && m->params[n].name != NULL; n++)
		;
	if (n > METHOD_MAX_PARAMS)
		fatalx("control: %s declares too many params", m->name);
	memset(v, 0, n * sizeof(v[0]));
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.r = r;
	c.m = m;
	c.params = params;
	c.v = v;
	if (method_prepare(&c) == 0 && ((m->flags & METHOD_FORWARD) == 0 ||
	    ctl_req_internal(r) || c.ds == NULL || (rv = cluster_forward(
	    d->cluster, r, c.ds, m->name, params)) == -1))
		rv = m->fn(&c);
	for (i = 0; i < n; i++)
		mval_clear(&v[i]);
	json_decref(empty);
	return rv;
}
