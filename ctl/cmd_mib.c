/*
 * cmd_mib.c - snmpmgrctl's commands that need the daemon's MIBs: translate
 * (mib.translate), names to OIDs and OIDs to names with what the MIB says
 * of each object.
 */
#include "config.h"

#include <stdio.h>
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
