/*
 * print.c - how snmpmgrctl shows results to a person: varbinds in the
 * shape of Net-SNMP's "snmpwalk -On" lines, daemon and session state as
 * indented "key: value" lines (lists of objects as "- " items, never raw
 * JSON), and the session list as a table.
 *
 * Varbinds arrive in doc/protocol.md's JSON form.  Anything unexpected in
 * them (a missing value, a type this client does not know) is still printed,
 * as its JSON text, rather than dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "print.h"

/* RFC 3416 3: the error-status values of a Response-PDU. */
static const char *const ctl_error_status_names[] = {
	"noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr",
	"noAccess", "wrongType", "wrongLength", "wrongEncoding", "wrongValue",
	"noCreation", "inconsistentValue", "resourceUnavailable",
	"commitFailed", "undoFailed", "authorizationError", "notWritable",
	"inconsistentName",
};

const char *
ctl_error_status_name(long long status)
{
	if (status < 0 || status >= (long long)(sizeof(ctl_error_status_names) /
	    sizeof(ctl_error_status_names[0])))
		return NULL;
	return ctl_error_status_names[status];
}

void
ctl_print_json(FILE *fp, const json_t *j)
{
	/* 15 digits: 0.3 stays 0.3 instead of 0.29999999999999999. */
	json_dumpf(j, fp, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15));
	putc('\n', fp);
}

/* The value as JSON text, for anything print_value does not recognise. */
static void
ctl_print_raw(FILE *fp, const json_t *vb)
{
	const json_t	*v;

	if ((v = json_object_get(vb, "value")) == NULL)
		v = json_object_get(vb, "hex");
	if (v == NULL)
		fputs("(no value)", fp);
	else
		json_dumpf(v, fp, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Hex digits "001a2b" as "00 1A 2B" (Net-SNMP's Hex-STRING). */
static void
ctl_print_hex(FILE *fp, const char *hex)
{
	size_t	 i;

	for (i = 0; hex[i] != '\0'; i++) {
		if (i > 0 && i % 2 == 0)
			putc(' ', fp);
		putc(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 'A' :
		    hex[i], fp);
	}
}

/* A text OCTET STRING in double quotes; '"' and '\' get a backslash. */
static void
ctl_print_quoted(FILE *fp, const char *s, size_t len)
{
	size_t	 i;

	putc('"', fp);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			putc('\\', fp);
		putc(s[i], fp);
	}
	putc('"', fp);
}

/* TimeTicks are hundredths of a second (RFC 2578 7.1.8). */
static void
ctl_print_timeticks(FILE *fp, json_int_t t)
{
	long long	 days, h, m, s, cs;

	if (t < 0) {
		fprintf(fp, "(%lld)", (long long)t);
		return;
	}
	cs = t % 100;
	s = (t / 100) % 60;
	m = (t / 6000) % 60;
	h = (t / 360000) % 24;
	days = t / 8640000;
	fprintf(fp, "(%lld) ", (long long)t);
	if (days > 0)
		fprintf(fp, "%lld day%s, ", days, days == 1 ? "" : "s");
	fprintf(fp, "%lld:%02lld:%02lld.%02lld", h, m, s, cs);
}

/* Types whose value is an integer, with Net-SNMP's label for each. */
static const struct {
	const char	*type;
	const char	*label;
} ctl_int_types[] = {
	{ "Integer32",	"INTEGER" },
	{ "Counter32",	"Counter32" },
	{ "Gauge32",	"Gauge32" },
	{ "UInteger32",	"UInteger32" },
};

int ctl_print_numeric;

/* " (rate: 12.500/s)" or " (discontinuity: sysUpTime)" when the counter
 * of a poll asking for rates has them. */
static void
ctl_print_rate(FILE *fp, const json_t *vb)
{
	const json_t	*r = json_object_get(vb, "rate");
	const char	*why;

	if (json_is_number(r))
		fprintf(fp, " (rate: %.3f/s)", json_number_value(r));
	else if (json_is_true(json_object_get(vb, "discontinuity"))) {
		why = json_string_value(json_object_get(vb,
		    "discontinuity_reason"));
		fprintf(fp, " (discontinuity: %s)", why != NULL ? why : "?");
	}
}

void
ctl_print_varbind(FILE *fp, const json_t *vb)
{
	const char	*oid, *type, *s, *name, *en;
	const json_t	*v, *hex;
	size_t		 i;

	oid = json_string_value(json_object_get(vb, "oid"));
	type = json_string_value(json_object_get(vb, "type"));
	if (oid == NULL)
		oid = "?";
	if (type == NULL)
		type = "?";
	v = json_object_get(vb, "value");
	hex = json_object_get(vb, "hex");

	name = json_string_value(json_object_get(vb, "name"));
	en = json_string_value(json_object_get(vb, "enum"));
	if (name != NULL && !ctl_print_numeric)
		fputs(name, fp);
	else {
		if (oid[0] != '.')
			putc('.', fp);
		fputs(oid, fp);
	}
	fputs(" = ", fp);

	for (i = 0; i < sizeof(ctl_int_types) / sizeof(ctl_int_types[0]); i++) {
		if (strcmp(type, ctl_int_types[i].type) == 0 &&
		    json_is_integer(v) && en != NULL && !ctl_print_numeric) {
			fprintf(fp, "%s: %s(%" JSON_INTEGER_FORMAT ")\n",
			    ctl_int_types[i].label, en,
			    json_integer_value(v));
			return;
		}
		if (strcmp(type, ctl_int_types[i].type) == 0 &&
		    json_is_integer(v)) {
			fprintf(fp, "%s: %" JSON_INTEGER_FORMAT,
			    ctl_int_types[i].label, json_integer_value(v));
			ctl_print_rate(fp, vb);
			putc('\n', fp);
			return;
		}
	}
	if (strcmp(type, "OCTET STRING") == 0 && json_is_string(v)) {
		fputs("STRING: ", fp);
		ctl_print_quoted(fp, json_string_value(v), json_string_length(v));
	} else if ((strcmp(type, "OCTET STRING") == 0 ||
	    strcmp(type, "Opaque") == 0 || strcmp(type, "NsapAddress") == 0) &&
	    json_is_string(hex)) {
		fputs(strcmp(type, "OCTET STRING") == 0 ? "Hex-STRING: " :
		    type, fp);
		if (strcmp(type, "OCTET STRING") != 0)
			fputs(": ", fp);
		ctl_print_hex(fp, json_string_value(hex));
	} else if (strcmp(type, "TimeTicks") == 0 && json_is_integer(v)) {
		fputs("Timeticks: ", fp);
		ctl_print_timeticks(fp, json_integer_value(v));
	} else if (strcmp(type, "OBJECT IDENTIFIER") == 0 &&
	    (s = json_string_value(v)) != NULL) {
		fprintf(fp, "OID: %s%s", s[0] == '.' ? "" : ".", s);
	} else if (strcmp(type, "IpAddress") == 0 &&
	    (s = json_string_value(v)) != NULL) {
		fprintf(fp, "IpAddress: %s", s);
	} else if (strcmp(type, "Counter64") == 0 &&
	    (s = json_string_value(v)) != NULL) {
		fprintf(fp, "Counter64: %s", s);
		ctl_print_rate(fp, vb);
	} else if (strcmp(type, "NULL") == 0) {
		fputs("NULL", fp);
	} else if (strcmp(type, "noSuchObject") == 0) {
		fputs("No Such Object available on this agent at this OID", fp);
	} else if (strcmp(type, "noSuchInstance") == 0) {
		fputs("No Such Instance currently exists at this OID", fp);
	} else if (strcmp(type, "endOfMibView") == 0) {
		fputs("No more variables left in this MIB View "
		    "(It is past the end of the MIB tree)", fp);
	} else {
		fprintf(fp, "%s: ", type);
		ctl_print_raw(fp, vb);
	}
	putc('\n', fp);
}

size_t
ctl_print_varbinds(FILE *fp, const json_t *vbs, int as_json)
{
	size_t		 i;
	const json_t	*vb;

	json_array_foreach(vbs, i, vb) {
		if (as_json)
			ctl_print_json(fp, vb);
		else
			ctl_print_varbind(fp, vb);
	}
	return json_array_size(vbs);
}

/*
 * A real as a person reads it: at most three decimals (the microsecond
 * of a value in ms), trailing zeros dropped; a value below 0.001 to three
 * significant digits.
 */
static void
ctl_print_real(FILE *fp, double d)
{
	char	 buf[64];
	size_t	 n;

	if (d != 0 && d > -0.001 && d < 0.001)
		snprintf(buf, sizeof(buf), "%.3g", d);
	else
		snprintf(buf, sizeof(buf), "%.3f", d);
	if (strchr(buf, '.') != NULL && strchr(buf, 'e') == NULL) {
		n = strlen(buf);
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
		buf[n] = '\0';
	}
	fputs(buf, fp);
}

/* An array of scalars only (empty or not): printed on one line. */
static int
ctl_flat(const json_t *v)
{
	const json_t	*e;
	size_t		 i;

	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, e)
		if (json_is_object(e) || json_is_array(e))
			return 0;
	return 1;
}

/*
 * A scalar as a person reads it; an array of scalars as "a, b, c"; an
 * empty array or object as "-", as null.
 */
static void
ctl_print_scalar(FILE *fp, const json_t *v)
{
	const json_t	*e;
	size_t		 i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), fp);
		break;
	case JSON_INTEGER:
		fprintf(fp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		ctl_print_real(fp, json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("yes", fp);
		break;
	case JSON_FALSE:
		fputs("no", fp);
		break;
	case JSON_NULL:
		fputs("-", fp);
		break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			fputs("-", fp);
		json_array_foreach(v, i, e) {
			if (i > 0)
				fputs(", ", fp);
			ctl_print_scalar(fp, e);
		}
		break;
	case JSON_OBJECT:
		/* Only an empty one comes here (ctl_print_member). */
		fputs("-", fp);
		break;
	}
}

static void	 ctl_print_items(FILE *, const json_t *, int);

/*
 * "key: value" at lead spaces; what the value holds goes below it at
 * indent + 2: an object's members, a list's items.
 */
static void
ctl_print_member(FILE *fp, const char *key, const json_t *v, int lead,
    int indent)
{
	fprintf(fp, "%*s%s:", lead, "", key);
	if (json_is_object(v) && json_object_size(v) > 0) {
		putc('\n', fp);
		ctl_print_tree(fp, v, indent + 2);
	} else if (json_is_array(v) && !ctl_flat(v)) {
		putc('\n', fp);
		ctl_print_items(fp, v, indent + 2);
	} else {
		putc(' ', fp);
		ctl_print_scalar(fp, v);
		putc('\n', fp);
	}
}

/* A list that holds objects or lists: one "- " item each, an object's
 * members under its first. */
static void
ctl_print_items(FILE *fp, const json_t *a, int indent)
{
	const char	*key;
	const json_t	*v, *m;
	size_t		 i;
	int		 first;

	json_array_foreach(a, i, v) {
		if (json_is_object(v) && json_object_size(v) > 0) {
			first = 1;
			json_object_foreach((json_t *)v, key, m) {
				if (first)
					fprintf(fp, "%*s- ", indent, "");
				ctl_print_member(fp, key, m, first ? 0 :
				    indent + 2, indent + 2);
				first = 0;
			}
		} else if (json_is_array(v) && !ctl_flat(v)) {
			fprintf(fp, "%*s-\n", indent, "");
			ctl_print_items(fp, v, indent + 2);
		} else {
			fprintf(fp, "%*s- ", indent, "");
			ctl_print_scalar(fp, v);
			putc('\n', fp);
		}
	}
}

void
ctl_print_tree(FILE *fp, const json_t *obj, int indent)
{
	const char	*key;
	const json_t	*v;

	if (json_is_array(obj) && !ctl_flat(obj)) {
		ctl_print_items(fp, obj, indent);
		return;
	}
	if (!json_is_object(obj)) {
		fprintf(fp, "%*s", indent, "");
		ctl_print_scalar(fp, obj);
		putc('\n', fp);
		return;
	}
	json_object_foreach((json_t *)obj, key, v)
		ctl_print_member(fp, key, v, indent, indent);
}

/* Columns of "snmpmgrctl sessions", keyed by session.list row fields. */
static const struct {
	const char	*title;
	const char	*key;
	int		 right;		/* right-aligned (numbers) */
} ctl_session_cols[] = {
	{ "NAME",	"name",		0 },
	{ "HOST",	"host",		0 },
	{ "PORT",	"port",		1 },
	{ "VERSION",	"version",	0 },
	{ "TRANSPORT",	"transport",	0 },
	{ "STATE",	"state",	0 },
	{ "REQUESTS",	"requests",	1 },
	{ "RESPONSES",	"responses",	1 },
	{ "TIMEOUTS",	"timeouts",	1 },
	{ "RETRIES",	"retries",	1 },
	{ "BAD",	"bad_packets",	1 },
	{ "OVERRUNS",	"overruns",	1 },
	{ "RTT_MS",	"last_rtt_ms",	1 },
	{ "SRTT_MS",	"srtt_ms",	1 },
	{ "OWNER",	"owner",	0 },	/* cluster mode only */
};
#define CTL_NCOLS	(sizeof(ctl_session_cols) / sizeof(ctl_session_cols[0]))

/* One table cell as text; "-" when the row lacks the field. */
static void
ctl_cell(const json_t *row, size_t col, char *buf, size_t size)
{
	const json_t	*v = json_object_get(row, ctl_session_cols[col].key);

	switch (v == NULL ? JSON_NULL : json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, size, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.2f", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, size, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "no");
		break;
	default:
		snprintf(buf, size, "-");
		break;
	}
}

/* One cell padded to its column; the last column is not padded. */
static void
ctl_cell_out(FILE *fp, size_t col, const char *text, int width)
{
	if (col > 0)
		fputs("  ", fp);
	if (ctl_session_cols[col].right)
		fprintf(fp, "%*s", width, text);
	else if (col == CTL_NCOLS - 1)
		fputs(text, fp);
	else
		fprintf(fp, "%-*s", width, text);
}

void
ctl_print_sessions(FILE *fp, const json_t *rows)
{
	char		 cell[300];
	int		 width[CTL_NCOLS];
	size_t		 i, col, ncols;
	const json_t	*row;

	/* OWNER, the last column, only when the daemon is in a cluster. */
	ncols = CTL_NCOLS - 1;
	json_array_foreach(rows, i, row)
		if (json_object_get(row, "owner") != NULL)
			ncols = CTL_NCOLS;
	for (col = 0; col < ncols; col++)
		width[col] = (int)strlen(ctl_session_cols[col].title);
	json_array_foreach(rows, i, row) {
		for (col = 0; col < ncols; col++) {
			ctl_cell(row, col, cell, sizeof(cell));
			if ((int)strlen(cell) > width[col])
				width[col] = (int)strlen(cell);
		}
	}
	for (col = 0; col < ncols; col++)
		ctl_cell_out(fp, col, ctl_session_cols[col].title, width[col]);
	putc('\n', fp);
	json_array_foreach(rows, i, row) {
		for (col = 0; col < ncols; col++) {
			ctl_cell(row, col, cell, sizeof(cell));
			ctl_cell_out(fp, col, cell, width[col]);
		}
		putc('\n', fp);
	}
}

/*
 * Walk rows without a JSON tree (issue 11: jansson parsing and freeing
 * was 80 % of the client's work).  A varbind in the shape the daemon
 * renders it - an object of "oid", "type", "value", "hex", "name",
 * "enum", "display" and "index" members, each at most once, whose strings
 * are printable ASCII without escapes, whose numbers are plain integers
 * and whose index is a flat object of such strings and numbers with
 * distinct keys - is printed from its bytes; any other varbind is parsed
 * with jansson and printed by ctl_print_varbind or ctl_print_json, so the
 * output is the same either way.
 */
enum { CTL_VB_OID, CTL_VB_TYPE, CTL_VB_VALUE, CTL_VB_HEX, CTL_VB_NAME,
	CTL_VB_ENUM, CTL_VB_DISPLAY, CTL_VB_INDEX, CTL_VB_N };

struct ctl_rawvb {
	const char	*p[CTL_VB_N];	/* NULL: absent */
	size_t		 n[CTL_VB_N];
	int		 str[CTL_VB_N];	/* a string (else an integer) */
};

/* The end of the JSON value at p, or NULL when it does not end by end. */
static const char *
ctl_raw_skip(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			if (depth == 0)
				return p + 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;	/* ends a scalar */
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		}
	}
	return depth == 0 ? p : NULL;
}

/* A simple string at p (after its opening quote): its end quote, or
 * NULL. */
static const char *
ctl_raw_str(const char *p, const char *end)
{
	while (p < end && *p != '"') {
		if (*p == '\\' || (unsigned char)*p < 0x20 ||
		    (unsigned char)*p >= 0x7f)
			return NULL;
		p++;
	}
	return p < end ? p : NULL;
}

/* A canonical integer within a json_int_t at p: its end, or NULL. */
static const char *
ctl_raw_int(const char *p, const char *end)
{
	const char	*s = p, *d;

	if (p < end && *p == '-')
		p++;
	d = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == d || p - d > 18 || (*d == '0' && (p - d > 1 || s != d)))
		return NULL;
	return p;
}

/* After an object's member at *p: 1 and past the ',' when another
 * follows, 0 and past the '}' at the object's end, -1 when neither. */
static int
ctl_raw_next(const char **p, const char *end)
{
	if (*p < end && (**p == ',' || **p == '}'))
		return *(*p)++ == ',';
	return -1;
}

/* A flat index object at p ('{'): its end, or NULL when not simple. */
static const char *
ctl_raw_index(const char *p, const char *end)
{
	const char	*key[16], *q;
	size_t		 klen[16], n = 0, i;
	int		 k;

	if (p >= end || *p++ != '{')
		return NULL;
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		if (p >= end || *p++ != '"' || n == 16 ||
		    (q = ctl_raw_str(p, end)) == NULL)
			return NULL;
		key[n] = p;
		klen[n] = (size_t)(q - p);
		for (i = 0; i < n; i++)
			if (klen[i] == klen[n] && memcmp(key[i], p,
			    klen[n]) == 0)
				return NULL;	/* jansson keeps one */
		n++;
		p = q + 1;
		if (p >= end || *p++ != ':')
			return NULL;
		if (p < end && *p == '"') {
			if ((q = ctl_raw_str(p + 1, end)) == NULL)
				return NULL;
			p = q + 1;
		} else if ((p = ctl_raw_int(p, end)) == NULL)
			return NULL;
		if ((k = ctl_raw_next(&p, end)) != 1)
			return k == 0 ? p : NULL;
	}
}

/* Parse the simple varbind at p into vb; its end, or NULL if not simple. */
static const char *
ctl_raw_varbind(const char *p, const char *end, struct ctl_rawvb *vb)
{
	static const char *const keys[CTL_VB_N] = { "oid", "type", "value",
	    "hex", "name", "enum", "display", "index" };
	static const size_t klen[CTL_VB_N] = { 3, 4, 5, 3, 4, 4, 7, 5 };
	const char	*s;
	size_t		 k;
	int		 i;

	memset(vb, 0, sizeof(*vb));
	if (p >= end || *p++ != '{')
		return NULL;
	for (;;) {
		if (p >= end || *p++ != '"')
			return NULL;
		for (k = 0; k < CTL_VB_N; k++)
			if (p[0] == keys[k][0] && (size_t)(end - p) >
			    klen[k] + 1 && memcmp(p, keys[k], klen[k]) == 0 &&
			    p[klen[k]] == '"' && p[klen[k] + 1] == ':')
				break;
		if (k == CTL_VB_N || vb->p[k] != NULL)
			return NULL;
		p += klen[k] + 2;
		s = p;
		if (k == CTL_VB_INDEX) {
			if ((p = ctl_raw_index(p, end)) == NULL)
				return NULL;
			vb->p[k] = s;
			vb->n[k] = (size_t)(p - s);
		} else if (p < end && *p == '"') {
			if ((p = ctl_raw_str(++s, end)) == NULL)
				return NULL;
			vb->str[k] = 1;
			vb->p[k] = s;
			vb->n[k] = (size_t)(p++ - s);
		} else {
			if ((p = ctl_raw_int(p, end)) == NULL)
				return NULL;
			vb->p[k] = s;
			vb->n[k] = (size_t)(p - s);
		}
		if ((i = ctl_raw_next(&p, end)) != 1)
			return i == 0 ? p : NULL;
	}
}

static int
ctl_raw_is(const struct ctl_rawvb *vb, int k, int str, const char *s)
{
	return vb->p[k] != NULL && vb->str[k] == str && (s == NULL ||
	    (strlen(s) == vb->n[k] && memcmp(vb->p[k], s, vb->n[k]) == 0));
}

/* vb as ctl_print_varbind prints it; -1 (nothing written) for a shape
 * left to ctl_print_varbind itself. */
static int
ctl_raw_print_text(FILE *fp, const struct ctl_rawvb *vb)
{
	const char	*label = NULL, *en = NULL;
	size_t		 i;

	if (!ctl_raw_is(vb, CTL_VB_OID, 1, NULL) ||
	    !ctl_raw_is(vb, CTL_VB_TYPE, 1, NULL))
		return -1;
	/* ctl_print_varbind reads these as strings only */
	for (i = CTL_VB_NAME; i <= CTL_VB_DISPLAY; i++)
		if (vb->p[i] != NULL && !vb->str[i])
			return -1;
	for (i = 0; i < sizeof(ctl_int_types) / sizeof(ctl_int_types[0]); i++)
		if (ctl_raw_is(vb, CTL_VB_TYPE, 1, ctl_int_types[i].type) &&
		    ctl_raw_is(vb, CTL_VB_VALUE, 0, NULL))
			label = ctl_int_types[i].label;
	/* an enum label goes beside an integer only */
	if (label != NULL && vb->p[CTL_VB_ENUM] != NULL && !ctl_print_numeric)
		en = vb->p[CTL_VB_ENUM];
	if (label == NULL && !ctl_raw_is(vb, CTL_VB_VALUE, 1, NULL) &&
	    !(ctl_raw_is(vb, CTL_VB_TYPE, 1, "TimeTicks") &&
	    ctl_raw_is(vb, CTL_VB_VALUE, 0, NULL)))
		return -1;
	if (label == NULL) {
		if (ctl_raw_is(vb, CTL_VB_TYPE, 1, "OCTET STRING"))
			label = "STRING";	/* no '"' or '\' to escape */
		else if (ctl_raw_is(vb, CTL_VB_TYPE, 1, "OBJECT IDENTIFIER"))
			label = "OID";
		else if (ctl_raw_is(vb, CTL_VB_TYPE, 1, "IpAddress"))
			label = "IpAddress";
		else if (ctl_raw_is(vb, CTL_VB_TYPE, 1, "Counter64"))
			label = "Counter64";
		else if (ctl_raw_is(vb, CTL_VB_TYPE, 1, "TimeTicks") &&
		    !vb->str[CTL_VB_VALUE])
			label = "Timeticks";
		else
			return -1;
	}
	if (vb->p[CTL_VB_NAME] != NULL && !ctl_print_numeric)
		fwrite(vb->p[CTL_VB_NAME], 1, vb->n[CTL_VB_NAME], fp);
	else {
		if (vb->p[CTL_VB_OID][0] != '.')
			putc('.', fp);
		fwrite(vb->p[CTL_VB_OID], 1, vb->n[CTL_VB_OID], fp);
	}
	fputs(" = ", fp);
	fputs(label, fp);
	fputs(": ", fp);
	if (en != NULL) {
		/* as ctl_print_varbind: "INTEGER: up(1)" */
		fwrite(en, 1, vb->n[CTL_VB_ENUM], fp);
		putc('(', fp);
		fwrite(vb->p[CTL_VB_VALUE], 1, vb->n[CTL_VB_VALUE], fp);
		putc(')', fp);
	} else if (strcmp(label, "Timeticks") == 0)
		ctl_print_timeticks(fp, strtoll(vb->p[CTL_VB_VALUE], NULL, 10));
	else {
		if (strcmp(label, "STRING") == 0)
			putc('"', fp);
		else if (strcmp(label, "OID") == 0 &&
		    vb->p[CTL_VB_VALUE][0] != '.')
			putc('.', fp);
		fwrite(vb->p[CTL_VB_VALUE], 1, vb->n[CTL_VB_VALUE], fp);
		if (strcmp(label, "STRING") == 0)
			putc('"', fp);
	}
	putc('\n', fp);
	return 0;
}

/* One varbind of a walk.rows array: vb when it was simple (vb->p[0] set
 * or not, see ctl_print_rows_raw), else its text [p, end) for jansson. */
static void
ctl_raw_print_one(FILE *fp, const struct ctl_rawvb *vb, const char *p,
    const char *end, int as_json)
{
	json_t		*j;

	if (vb != NULL) {
		if (as_json) {
			/* what json_dumpf(JSON_COMPACT) writes for it */
			fwrite(p, 1, (size_t)(end - p), fp);
			putc('\n', fp);
			return;
		}
		if (ctl_raw_print_text(fp, vb) == 0)
			return;
	}
	if ((j = json_loadb(p, (size_t)(end - p), 0, NULL)) == NULL) {
		fputs("(unreadable row)\n", fp);	/* checked before */
		return;
	}
	if (as_json)
		ctl_print_json(fp, j);
	else
		ctl_print_varbind(fp, j);
	json_decref(j);
}

/* A row of a walk.rows array: where it is, and its fields if simple. */
struct ctl_rawrow {
	const char	*p, *end;
	int		 simple;
	struct ctl_rawvb vb;
};

int
ctl_print_rows_raw(FILE *fp, const char *p, size_t len, int as_json,
    size_t *count)
{
	static struct ctl_rawrow *rows;
	static size_t	 nalloc;
	struct ctl_rawrow *r, *nr;
	const char	*end = p + len - 1, *q, *e;	/* end: the ']' */
	json_t		*j;
	size_t		 n = 0, i;

	/* Check the whole array first: nothing printed if it is off. */
	if (len < 2 || p[0] != '[' || *end != ']')
		return -1;
	for (q = p + 1, e = q; q < end; q = e + 1) {
		if (n == nalloc) {
			i = nalloc ? nalloc * 2 : 64;
			if ((nr = realloc(rows, i * sizeof(*rows))) == NULL)
				return -1;
			rows = nr;
			nalloc = i;
		}
		r = &rows[n];
		r->p = q;
		r->simple = 1;
		if ((e = ctl_raw_varbind(q, end, &r->vb)) == NULL) {
			/* not simple: still a valid JSON object */
			r->simple = 0;
			if (*q != '{' || (e = ctl_raw_skip(q, end)) == NULL)
				return -1;
			if ((j = json_loadb(q, (size_t)(e - q), 0,
			    NULL)) == NULL || !json_is_object(j)) {
				json_decref(j);
				return -1;
			}
			json_decref(j);
		}
		r->end = e;
		n++;
		if (e < end && *e != ',')
			return -1;
		if (e == end)
			break;
	}
	if (e != end)		/* "[,]", "[{...},]" */
		return -1;
	flockfile(fp);
	for (i = 0; i < n; i++)
		ctl_raw_print_one(fp, rows[i].simple ? &rows[i].vb : NULL,
		    rows[i].p, rows[i].end, as_json);
	funlockfile(fp);
	*count = n;
	return 0;
}
