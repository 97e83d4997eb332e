/*
 * print.c - how snmpmgrctl shows results to a person: varbinds in the
 * shape of Net-SNMP's "snmpwalk -On" lines, daemon and session state as
 * indented "key: value" lines, and the session list as a table.
 *
 * Varbinds arrive in doc/protocol.md's JSON form.  Anything unexpected in
 * them (a missing value, a type this client does not know) is still printed,
 * as its JSON text, rather than dropped.
 */
#include <inttypes.h>
#include <stdio.h>
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
			fprintf(fp, "%s: %" JSON_INTEGER_FORMAT "\n",
			    ctl_int_types[i].label, json_integer_value(v));
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

/* A scalar as a person reads it; containers as compact JSON. */
static void
ctl_print_scalar(FILE *fp, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), fp);
		break;
	case JSON_INTEGER:
		fprintf(fp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(fp, "%g", json_real_value(v));
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
	default:
		json_dumpf(v, fp, JSON_COMPACT);
		break;
	}
}

void
ctl_print_tree(FILE *fp, const json_t *obj, int indent)
{
	const char	*key;
	const json_t	*v;

	if (!json_is_object(obj)) {
		fprintf(fp, "%*s", indent, "");
		ctl_print_scalar(fp, obj);
		putc('\n', fp);
		return;
	}
	json_object_foreach((json_t *)obj, key, v) {
		fprintf(fp, "%*s%s:", indent, "", key);
		if (json_is_object(v)) {
			putc('\n', fp);
			ctl_print_tree(fp, v, indent + 2);
		} else {
			putc(' ', fp);
			ctl_print_scalar(fp, v);
			putc('\n', fp);
		}
	}
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
	size_t		 i, col;
	const json_t	*row;

	for (col = 0; col < CTL_NCOLS; col++)
		width[col] = (int)strlen(ctl_session_cols[col].title);
	json_array_foreach(rows, i, row) {
		for (col = 0; col < CTL_NCOLS; col++) {
			ctl_cell(row, col, cell, sizeof(cell));
			if ((int)strlen(cell) > width[col])
				width[col] = (int)strlen(cell);
		}
	}
	for (col = 0; col < CTL_NCOLS; col++)
		ctl_cell_out(fp, col, ctl_session_cols[col].title, width[col]);
	putc('\n', fp);
	json_array_foreach(rows, i, row) {
		for (col = 0; col < CTL_NCOLS; col++) {
			ctl_cell(row, col, cell, sizeof(cell));
			ctl_cell_out(fp, col, cell, width[col]);
		}
		putc('\n', fp);
	}
}
