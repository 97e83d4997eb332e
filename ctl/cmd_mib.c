/*
 * cmd_mib.c - snmpmgrctl's commands that need the daemon's MIBs: translate
 * (mib.translate), names to OIDs and OIDs to names with what the MIB says
 * of each object.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cmds.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

/* key: value, when the object has key. */
static void
line(const json_t *o, const char *key, const char *label)
{
	const char	*s = json_string_value(json_object_get(o, key));

	if (s != NULL)
		printf("  %-12s %s\n", label, s);
}

/* One object of mib.translate's result, for people. */
static void
print_object(const json_t *o)
{
	const json_t	*a, *e;
	const char	*name = json_string_value(json_object_get(o, "name"));
	const char	*type, *d, *nl;
	size_t		 i;

	printf("%s\n", json_string_value(json_object_get(o, "input")));
	printf("  %-12s .%s\n", "oid", json_string_value(json_object_get(o,
	    "oid")));
	if (name == NULL) {
		printf("  %-12s (no loaded MIB names it)\n", "name");
		return;
	}
	printf("  %-12s %s\n", "name", name);
	line(o, "kind", "kind");
	type = json_string_value(json_object_get(o, "type"));
	if (type == NULL)
		type = json_string_value(json_object_get(o, "base"));
	if (type != NULL) {
		printf("  %-12s %s", "type", type);
		if ((a = json_object_get(o, "enums")) != NULL) {
			printf(" {");
			json_array_foreach(a, i, e)
				printf("%s%s(%" JSON_INTEGER_FORMAT ")",
				    i ? ", " : " ", json_string_value(
				    json_object_get(e, "label")),
				    json_integer_value(json_object_get(e,
				    "value")));
			printf(" }");
		}
		if (json_object_get(o, "hint") != NULL)
			printf(" DISPLAY-HINT \"%s\"", json_string_value(
			    json_object_get(o, "hint")));
		putchar('\n');
	}
	line(o, "units", "units");
	line(o, "access", "access");
	if ((a = json_object_get(o, "index")) != NULL) {
		printf("  %-12s", "index");
		json_array_foreach(a, i, e)
			printf("%s%s", i ? ", " : " ", json_string_value(e));
		putchar('\n');
	}
	if ((d = json_string_value(json_object_get(o, "description"))) !=
	    NULL) {
		for (i = 0; *d != '\0'; i++) {
			nl = strchr(d, '\n');
			printf("  %-12s %.*s\n", i == 0 ? "description" : "",
			    (int)(nl != NULL ? nl - d : (int)strlen(d)), d);
			d = nl != NULL ? nl + 1 : d + strlen(d);
		}
	}
}

/* translate NAME|OID...: mib.translate. */
int
ctl_cmd_translate(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	json_t		*params, *names, *res, *o;
	size_t		 k;
	int		 i, rv;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if (i >= argc)
		return ctl_cmd_usage(cmd, "expected NAME or OID");
	names = json_array();
	for (; i < argc; i++)
		json_array_append_new(names, json_string(argv[i]));
	params = json_pack("{s:o}", "names", names);
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res, NULL)) !=
	    0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else if (ctl_print_numeric)
		json_array_foreach(json_object_get(res, "objects"), k, o)
			printf(".%s\n", json_string_value(json_object_get(o,
			    "oid")));
	else
		json_array_foreach(json_object_get(res, "objects"), k, o)
			print_object(o);
	json_decref(res);
	return CTL_EXIT_OK;
}

/* The names of the OID values of a table (mib.translate), by OID. */
static json_t	*oid_names;

/* Ask the daemon to name every OID value of the rows; -On: none. */
static void
name_oid_values(struct ctl *ctl, const json_t *res)
{
	const json_t	*row, *vb;
	json_t		*names, *r = NULL, *o;
	const char	*k, *name;
	size_t		 i;

	if ((oid_names = json_object()) == NULL || ctl_print_numeric)
		return;
	names = json_array();
	json_array_foreach(json_object_get(res, "rows"), i, row)
		json_object_foreach(json_object_get(row, "values"), k, vb) {
			if (json_array_size(names) >= 256)
				break;
			if (strcmp(json_string_value(json_object_get(vb,
			    "type")) ? json_string_value(json_object_get(vb,
			    "type")) : "", "OBJECT IDENTIFIER") == 0 &&
			    json_is_string(json_object_get(vb, "value")))
				json_array_append(names, json_object_get(vb,
				    "value"));
		}
	if (json_array_size(names) == 0 || ctl_rpc(ctl, "mib.translate",
	    json_pack("{s:o}", "names", names), NULL, NULL, &r, NULL) != 0) {
		if (json_array_size(names) == 0)
			json_decref(names);
		return;
	}
	json_array_foreach(json_object_get(r, "objects"), i, o)
		if ((name = json_string_value(json_object_get(o, "name"))) !=
		    NULL)
			json_object_set_new(oid_names, json_string_value(
			    json_object_get(o, "oid")), json_string(name));
	json_decref(r);
}

/* A cell as snmptable prints it: the value, an enum's label. */
static void
cell_text(const json_t *vb, char *buf, size_t size)
{
	const char	*type = json_string_value(json_object_get(vb, "type"));
	const json_t	*v = json_object_get(vb, "value");
	const char	*en = json_string_value(json_object_get(vb, "enum"));
	const char	*disp = json_string_value(json_object_get(vb,
			    "display"));
	const char	*hex = json_string_value(json_object_get(vb, "hex"));
	const char	*s;
	json_int_t	 t;
	size_t		 i, o;

	if (type == NULL)
		type = "";
	if (en != NULL && !ctl_print_numeric)
		snprintf(buf, size, "%s", en);
	else if (disp != NULL)
		snprintf(buf, size, "%s", disp);
	else if (strcmp(type, "TimeTicks") == 0 && json_is_integer(v)) {
		/* snmptable's D:H:MM:SS.cc */
		t = json_integer_value(v);
		snprintf(buf, size, "%lld:%lld:%02lld:%02lld.%02lld",
		    (long long)(t / 8640000), (long long)(t / 360000 % 24),
		    (long long)(t / 6000 % 60), (long long)(t / 100 % 60),
		    (long long)(t % 100));
	} else if (json_is_integer(v))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (json_is_string(v) && strcmp(type, "OBJECT IDENTIFIER") == 0 &&
	    (s = json_string_value(json_object_get(oid_names,
	    json_string_value(v)))) != NULL)
		snprintf(buf, size, "%s", s);
	else if (json_is_string(v) && strcmp(type, "OBJECT IDENTIFIER") == 0)
		snprintf(buf, size, ".%s", json_string_value(v));
	else if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (hex != NULL) {
		/* as Net-SNMP: "00 1A 2B" */
		for (i = o = 0; hex[i] != '\0' && o + 4 < size; i++) {
			if (i > 0 && i % 2 == 0)
				buf[o++] = ' ';
			buf[o++] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ?
			    hex[i] - 'a' + 'A' : hex[i]);
		}
		buf[o] = '\0';
	} else
		snprintf(buf, size, "%s", type);
}

/* The index of a row for -Ci: "1" or "7.\"abc\"". */
static void
index_text(const json_t *row, char *buf, size_t size)
{
	const json_t	*idx = json_object_get(row, "index"), *v;
	const char	*k;
	size_t		 o = 0;

	buf[0] = '\0';
	if (!json_is_object(idx) || ctl_print_numeric) {
		snprintf(buf, size, "%s", json_string_value(json_object_get(
		    row, "suffix")));
		return;
	}
	json_object_foreach((json_t *)idx, k, v) {
		if (o > 0 && o < size)
			o += (size_t)snprintf(buf + o, size - o, ".");
		if (o >= size)
			break;
		if (json_is_integer(v))
			o += (size_t)snprintf(buf + o, size - o,
			    "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			o += (size_t)snprintf(buf + o, size - o, "\"%s\"",
			    json_string_value(v));
		if (o >= size)
			break;
	}
}

#define CELL_MAX	1024

/*
 * snmp.table's result as snmptable prints it: "SNMP table: NAME", a
 * blank line, then the column names and the rows, right-aligned in
 * columns of the widest cell (sep NULL), or separated by sep (-Cf), a
 * missing cell as "?".  with_index: the index first (-Ci); headers: the
 * title and the column names (not -CH).
 */
static void
print_table(const json_t *res, const char *sep, int with_index, int headers)
{
	const json_t	*cols = json_object_get(res, "columns");
	const json_t	*rows = json_object_get(res, "rows"), *row, *c;
	size_t		 ncols = json_array_size(cols), nrows, i, j;
	size_t		*width;
	char		 buf[CELL_MAX];
	const char	*name;

	nrows = json_array_size(rows);
	if ((width = calloc(ncols + 1, sizeof(*width))) == NULL)
		return;
	width[0] = strlen("index");
	json_array_foreach(cols, j, c)
		width[j + 1] = strlen(json_string_value(json_object_get(c,
		    "name")));
	for (i = 0; sep == NULL && i < nrows; i++) {
		row = json_array_get(rows, i);
		index_text(row, buf, sizeof(buf));
		if (strlen(buf) > width[0])
			width[0] = strlen(buf);
		json_array_foreach(cols, j, c) {
			name = json_string_value(json_object_get(c, "name"));
			c = json_object_get(json_object_get(row, "values"),
			    name);
			if (c == NULL)
				continue;
			cell_text(c, buf, sizeof(buf));
			if (strlen(buf) > width[j + 1])
				width[j + 1] = strlen(buf);
		}
	}
	if (headers) {
		printf("SNMP table: %s\n\n", json_string_value(
		    json_object_get(res, "table")));
		if (with_index)
			printf("%*s", sep != NULL ? 0 : (int)width[0],
			    "index");
		json_array_foreach(cols, j, c) {
			if (sep != NULL && (j > 0 || with_index))
				fputs(sep, stdout);
			else if (sep == NULL && (j > 0 || with_index))
				putchar(' ');
			if (sep != NULL)
				fputs(json_string_value(json_object_get(c,
				    "name")), stdout);
			else
				printf("%*s", (int)width[j + 1],
				    json_string_value(json_object_get(c,
				    "name")));
		}
		putchar('\n');
	}
	for (i = 0; i < nrows; i++) {
		row = json_array_get(rows, i);
		if (with_index) {
			index_text(row, buf, sizeof(buf));
			if (sep != NULL)
				fputs(buf, stdout);
			else
				printf("%*s", (int)width[0], buf);
		}
		json_array_foreach(cols, j, c) {
			name = json_string_value(json_object_get(c, "name"));
			c = json_object_get(json_object_get(row, "values"),
			    name);
			if (c != NULL)
				cell_text(c, buf, sizeof(buf));
			else
				snprintf(buf, sizeof(buf), "?");
			if (j > 0 || with_index)
				fputs(sep != NULL ? sep : " ", stdout);
			if (sep != NULL)
				fputs(buf, stdout);
			else
				printf("%*s", (int)width[j + 1], buf);
		}
		putchar('\n');
	}
	free(width);
}

/* table [-Cf SEP] [-Ci] [-CH] SESSION|TARGET TABLE [COLUMN...]. */
int
ctl_cmd_table(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	json_t		*params, *res, *cols, *row;
	const char	*sep = NULL;
	char		*rest[256];
	int		 i, n = 0, rv, with_index = 0, headers = 1;
	size_t		 k;

	/* The snmptable-style -C options first, the rest as usual. */
	for (i = 0; i < argc && n < 255; i++) {
		if (i > 0 && strcmp(argv[i], "-Cf") == 0 && i + 1 < argc)
			sep = argv[++i];
		else if (i > 0 && strncmp(argv[i], "-Cf", 3) == 0)
			sep = argv[i] + 3;
		else if (i > 0 && strcmp(argv[i], "-Ci") == 0)
			with_index = 1;
		else if (i > 0 && strcmp(argv[i], "-CH") == 0)
			headers = 0;
		else
			rest[n++] = argv[i];
	}
	rest[n] = NULL;
	if ((i = ctl_parse_opts(ctl, cmd, &req, n, rest)) == -1)
		return CTL_EXIT_USAGE;
	if ((params = ctl_target_params(cmd, &req, n, rest, &i)) == NULL)
		return CTL_EXIT_USAGE;
	if (i >= n) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "expected TABLE");
	}
	json_object_set_new(params, "table", json_string(rest[i++]));
	if (i < n) {
		cols = json_array();
		for (; i < n; i++)
			json_array_append_new(cols, json_string(rest[i]));
		json_object_set_new(params, "columns", cols);
	}
	if (req.max_repetitions >= 0)
		json_object_set_new(params, "max_repetitions",
		    json_integer(req.max_repetitions));
	if (req.use_getnext)
		json_object_set_new(params, "use_getnext", json_true());
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res, NULL)) !=
	    0)
		return rv;
	if (ctl->json)
		json_array_foreach(json_object_get(res, "rows"), k, row)
			ctl_print_json(stdout, row);
	else {
		name_oid_values(ctl, res);
		print_table(res, sep, with_index, headers);
		json_decref(oid_names);
		oid_names = NULL;
	}
	json_decref(res);
	return CTL_EXIT_OK;
}
