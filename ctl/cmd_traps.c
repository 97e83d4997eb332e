/*
 * cmd_traps.c - snmpmgrctl's trap commands: `traps` (the journal through
 * trap.list), `stats traps` (trap.stats), and the notification senders
 * `inform` (snmp.inform) and `trap` (snmp.trap).
 *
 * A journal record prints as one header line (time, source, version,
 * type, trap OID and who sent it) followed by its varbinds in snmpwalk
 * -On style, indented; --json prints each record as one JSON line, as the
 * journal holds it.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/limits.h"
#include "ctl.h"

enum {
	CT_SINCE = 300,
	CT_UNTIL,
	CT_LIMIT,
	CT_SOURCE,
	CT_TRAP_OID,
	CT_TYPE,
	CT_VERSION,
	CT_USER,
	CT_JSON,
	CT_VERBOSE,
};

static const char *
ct_str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* One journal record for people. */
static void
ct_print_record(FILE *fp, const json_t *rec)
{
	const json_t	*vbs, *v;
	const char	*ver = ct_str(rec, "version");
	const char	*src = ct_str(rec, "source");
	size_t		 i;

	fprintf(fp, "%s %s%s%s:%" JSON_INTEGER_FORMAT " v%s %s %s",
	    ct_str(rec, "time"), strchr(src, ':') ? "[" : "", src,
	    strchr(src, ':') ? "]" : "",
	    json_integer_value(json_object_get(rec, "port")), ver,
	    ct_str(rec, "type"), ct_str(rec, "trap_oid"));
	if (strcmp(ver, "3") == 0)
		fprintf(fp, " user %s %s engine %s", ct_str(rec, "user"),
		    ct_str(rec, "security_level"), ct_str(rec, "engine_id"));
	else if (json_object_get(rec, "community") != NULL)
		fprintf(fp, " community %s", ct_str(rec, "community"));
	if (strcmp(ver, "1") == 0)
		fprintf(fp, " enterprise %s agent %s generic %"
		    JSON_INTEGER_FORMAT " specific %" JSON_INTEGER_FORMAT,
		    ct_str(rec, "enterprise"), ct_str(rec, "agent_addr"),
		    json_integer_value(json_object_get(rec, "generic_trap")),
		    json_integer_value(json_object_get(rec,
		    "specific_trap")));
	if (json_is_integer(v = json_object_get(rec, "uptime")))
		fprintf(fp, " uptime %" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	putc('\n', fp);
	vbs = json_object_get(rec, "varbinds");
	for (i = 0; i < json_array_size(vbs); i++) {
		fputs("    ", fp);
		ctl_print_varbind(fp, json_array_get(vbs, i));
	}
}

/* traps [filters]: trap.list */
int
ctl_cmd_traps(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "since",	required_argument, NULL, CT_SINCE },
		{ "until",	required_argument, NULL, CT_UNTIL },
		{ "limit",	required_argument, NULL, CT_LIMIT },
		{ "source",	required_argument, NULL, CT_SOURCE },
		{ "trap-oid",	required_argument, NULL, CT_TRAP_OID },
		{ "type",	required_argument, NULL, CT_TYPE },
		{ "version",	required_argument, NULL, CT_VERSION },
		{ "user",	required_argument, NULL, CT_USER },
		{ "json",	no_argument,	   NULL, CT_JSON },
		{ "verbose",	no_argument,	   NULL, CT_VERBOSE },
		{ NULL,		0,		   NULL, 0 },
	};
	json_t		*params, *res, *recs;
	long long	 n;
	size_t		 i;
	int		 ch, rv;

	if ((params = json_object()) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return CTL_EXIT_USAGE;
	}
#ifdef __GLIBC__
	optind = 0;
#else
	optind = 1;
	optreset = 1;
#endif
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case CT_SINCE:
			json_object_set_new(params, "since",
			    json_string(optarg));
			break;
		case CT_UNTIL:
			json_object_set_new(params, "until",
			    json_string(optarg));
			break;
		case CT_LIMIT:
			if (ctl_number(optarg, 1, 10000, &n) == -1) {
				json_decref(params);
				return ctl_cmd_usage(cmd, "--limit takes 1 to "
				    "10000");
			}
			json_object_set_new(params, "limit", json_integer(n));
			break;
		case CT_SOURCE:
			json_object_set_new(params, "source",
			    json_string(optarg));
			break;
		case CT_TRAP_OID:
			json_object_set_new(params, "trap_oid",
			    json_string(optarg));
			break;
		case CT_TYPE:
			json_object_set_new(params, "type",
			    json_string(optarg));
			break;
		case CT_VERSION:
			json_object_set_new(params, "version",
			    json_string(optarg));
			break;
		case CT_USER:
			json_object_set_new(params, "user",
			    json_string(optarg));
			break;
		case CT_JSON:
			ctl->json = 1;
			break;
		case CT_VERBOSE:
			ctl->verbose = 1;
			break;
		default:
			json_decref(params);
			return ctl_cmd_usage(cmd, NULL);
		}
	}
	if (optind != argc) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "no operands expected");
	}
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	recs = json_object_get(res, "traps");
	for (i = 0; i < json_array_size(recs); i++) {
		if (ctl->json)
			ctl_print_json(stdout, json_array_get(recs, i));
		else
			ct_print_record(stdout, json_array_get(recs, i));
	}
	if (ctl->verbose) {
		fflush(stdout);
		fprintf(stderr, "snmpmgrctl: %zu shown, %" JSON_INTEGER_FORMAT
		    " matched, %" JSON_INTEGER_FORMAT " records read\n",
		    json_array_size(recs),
		    json_integer_value(json_object_get(res, "matched")),
		    json_integer_value(json_object_get(res, "scanned")));
	}
	json_decref(res);
	return CTL_EXIT_OK;
}

/* stats [traps]: daemon.stats, or trap.stats. */
int
ctl_cmd_stats(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*res;
	int	 i = 1, rv;

	while (i < argc && (strcmp(argv[i], "--json") == 0 ||
	    strcmp(argv[i], "--verbose") == 0)) {
		if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else
			ctl->verbose = 1;
		i++;
	}
	if (i == argc)
		return ctl_cmd_noargs(ctl, cmd, argc, argv);
	if (argc - i != 1 || strcmp(argv[i], "traps") != 0)
		return ctl_cmd_usage(cmd, "the only topic is \"traps\"");
	if ((rv = ctl_rpc(ctl, "trap.stats", NULL, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else
		ctl_print_tree(stdout, res, 0);
	json_decref(res);
	return CTL_EXIT_OK;
}

/* Net-SNMP type letters and the type names of doc/protocol.md. */
static int
ct_type_ok(const char *t)
{
	static const char *const names[] = { "Integer32", "OCTET STRING",
		"NULL", "OBJECT IDENTIFIER", "IpAddress", "Counter32",
		"Gauge32", "TimeTicks", "Opaque", "NsapAddress", "Counter64",
		"UInteger32", NULL };
	size_t	 i;

	if (t[0] != '\0' && t[1] == '\0' && strchr("iutaosxdncCU", t[0]))
		return 1;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(t, names[i]) == 0)
			return 1;
	return 0;
}

/* inform / trap TARGET TRAP-OID [OID TYPE VALUE ...] */
int
ctl_cmd_notify(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t		*params, *vbs, *vb, *res;
	const char	*name;
	json_int_t	 status;
	long long	 n;
	int		 i, rv;

	if ((params = ctl_target_args(ctl, cmd, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
	if (i >= argc || (argc - i - 1) % 3 != 0) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "expected TRAP-OID and OID TYPE "
		    "VALUE triples");
	}
	json_object_set_new(params, "trap_oid", json_string(argv[i++]));
	vbs = json_array();
	json_object_set_new(params, "varbinds", vbs);
	for (; i < argc; i += 3) {
		if (!ct_type_ok(argv[i + 1])) {
			json_decref(params);
			return ctl_cmd_usage(cmd, "TYPE must be one of "
			    "i u t a o s x d n c C U");
		}
		vb = json_pack("{s:s,s:s}", "oid", argv[i], "type",
		    argv[i + 1]);
		if (strcmp(argv[i + 1], "n") == 0 ||
		    strcmp(argv[i + 1], "NULL") == 0)
			;
		else if (strchr("iutcU", argv[i + 1][0]) != NULL &&
		    argv[i + 1][1] == '\0' &&
		    ctl_number(argv[i + 2], INT64_MIN, INT64_MAX, &n) == 0)
			json_object_set_new(vb, "value", json_integer(n));
		else
			json_object_set_new(vb, "value",
			    json_string(argv[i + 2]));
		json_array_append_new(vbs, vb);
	}
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else if (strcmp(cmd->method, "snmp.trap") == 0)
		printf("trap sent: request-id %" JSON_INTEGER_FORMAT ", %"
		    JSON_INTEGER_FORMAT " octets\n",
		    json_integer_value(json_object_get(res, "request_id")),
		    json_integer_value(json_object_get(res, "length")));
	else
		ctl_print_varbinds(stdout, json_object_get(res, "varbinds"),
		    0);
	rv = CTL_EXIT_OK;
	status = json_integer_value(json_object_get(res, "error_status"));
	if (status != 0) {
		if ((name = json_string_value(json_object_get(res,
		    "error_status_name"))) == NULL)
			name = "unknown";
		fflush(stdout);
		fprintf(stderr, "Error in packet: %s (%" JSON_INTEGER_FORMAT
		    ")\n", name, status);
		rv = CTL_EXIT_ERROR;
	}
	json_decref(res);
	return rv;
}
