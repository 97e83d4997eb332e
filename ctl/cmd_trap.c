/*
 * cmd_trap.c - snmpmgrctl's view of the trap receiver's journal: `traps`
 * (trap.list).  Sending notifications (inform, trap) is in cmd_snmp.c,
 * the receiver's counters (`stats traps`) in cmd_daemon.c.
 *
 * A journal record prints as one header line (time, source, version,
 * type, trap OID and who sent it) followed by its varbinds in snmpwalk
 * -On style, indented; --json prints each record as one JSON line, as the
 * journal holds it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cmds.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

enum {
	CT_FILTER = 300,	/* a string filter of trap.list */
	CT_LIMIT,
	CT_JSON,
	CT_VERBOSE,
};

static const char *
ct_str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* --since and --until: digits alone are seconds since 1970.  0 or -1. */
static int
ct_epoch(const char *s, long long *n)
{
	if (strspn(s, "0123456789") != strlen(s))
		return -1;
	return ctl_number(s, 0, 253402300799LL, n);
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
	if (strcmp(ver, "3") == 0 && json_object_get(rec, "user") == NULL)
		/* TSM (DTLS): the certificate names the sender. */
		fprintf(fp, " security-name %s %s", ct_str(rec,
		    "security_name"), ct_str(rec, "security_level"));
	else if (strcmp(ver, "3") == 0) {
		fprintf(fp, " user %s %s", ct_str(rec, "user"),
		    ct_str(rec, "security_level"));
		if (json_object_get(rec, "engine_id") != NULL)
			fprintf(fp, " engine %s", ct_str(rec, "engine_id"));
	} else if (json_object_get(rec, "community") != NULL)
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
		{ "since",	required_argument, NULL, CT_FILTER },
		{ "until",	required_argument, NULL, CT_FILTER },
		{ "source",	required_argument, NULL, CT_FILTER },
		{ "trap-oid",	required_argument, NULL, CT_FILTER },
		{ "type",	required_argument, NULL, CT_FILTER },
		{ "version",	required_argument, NULL, CT_FILTER },
		{ "user",	required_argument, NULL, CT_FILTER },
		{ "limit",	required_argument, NULL, CT_LIMIT },
		{ "json",	no_argument,	   NULL, CT_JSON },
		{ "verbose",	no_argument,	   NULL, CT_VERBOSE },
		{ NULL,		0,		   NULL, 0 },
	};
	/* trap.list's param for each CT_FILTER option, in longopts' order. */
	static const char *const filter_keys[] = { "since", "until",
		"source", "trap_oid", "type", "version", "user" };
	json_t		*params, *res, *recs;
	char		 why[64];
	long long	 n;
	size_t		 i;
	int		 ch, rv, li;

	if ((params = json_object()) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return CTL_EXIT_USAGE;
	}
	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+h", longopts, &li)) != -1) {
		switch (ch) {
		case CT_FILTER:
			/* Filters are ANDed: a second one of a kind would
			 * replace the first unseen, so refuse it. */
			if (json_object_get(params, filter_keys[li]) != NULL) {
				json_decref(params);
				snprintf(why, sizeof(why), "--%s given twice",
				    longopts[li].name);
				return ctl_cmd_usage(cmd, why);
			}
			if ((strcmp(filter_keys[li], "since") == 0 ||
			    strcmp(filter_keys[li], "until") == 0) &&
			    ct_epoch(optarg, &n) == 0)
				/* Seconds since 1970: a number, as trap.list
				 * reads them. */
				json_object_set_new(params, filter_keys[li],
				    json_integer(n));
			else
				ctl_json_set_str(params, filter_keys[li],
				    optarg);
			break;
		case CT_LIMIT:
			if (ctl_number(optarg, 1, 10000, &n) == -1) {
				json_decref(params);
				return ctl_cmd_usage(cmd, "--limit takes 1 to "
				    "10000");
			}
			json_object_set_new(params, "limit", json_integer(n));
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
