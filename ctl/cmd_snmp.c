/*
 * cmd_snmp.c - snmpmgrctl's SNMP operations, the snmp.* methods on a
 * session or an ad-hoc target: get, getnext and getbulk, set, walk (its
 * rows printed as the daemon streams them), and the notification senders
 * inform and trap.
 *
 * Values print as snmpwalk -On prints them; an agent's error-status is
 * reported on stderr after the varbinds it returned, with exit status 1.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/limits.h"
#include "args.h"
#include "cmds.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

/*
 * Print a get/getnext/getbulk/set result.  An agent error-status is
 * reported on stderr after the varbinds and makes the exit status 1.
 */
static int
ctl_pdu_result(struct ctl *ctl, const json_t *res)
{
	const json_t	*a;
	json_int_t	 status, index;
	const char	*name;
	size_t		 i;
	int		 rv = CTL_EXIT_OK;

	/* A broadcast session's: every agent's answer, under its source. */
	if (!ctl->json && json_is_true(json_object_get(res, "broadcast"))) {
		json_array_foreach(json_object_get(res, "responses"), i, a) {
			printf("# %s\n", json_string_value(json_object_get(a,
			    "source")));
			if (ctl_pdu_result(ctl, a) != CTL_EXIT_OK)
				rv = CTL_EXIT_ERROR;
		}
		return rv;
	}
	if (ctl->json)
		ctl_print_json(stdout, res);
	else
		ctl_print_varbinds(stdout, json_object_get(res, "varbinds"),
		    0);
	status = json_integer_value(json_object_get(res, "error_status"));
	if (status == 0)
		return CTL_EXIT_OK;
	index = json_integer_value(json_object_get(res, "error_index"));
	if ((name = json_string_value(json_object_get(res,
	    "error_status_name"))) == NULL &&
	    (name = ctl_error_status_name(status)) == NULL)
		name = "unknown";
	fflush(stdout);
	fprintf(stderr, "Error in packet: %s (%" JSON_INTEGER_FORMAT
	    ") at index %" JSON_INTEGER_FORMAT "\n", name, status, index);
	return CTL_EXIT_ERROR;
}

/* get, getnext and getbulk: TARGET OID... */
int
ctl_cmd_get(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	json_t		*params, *oids, *res;
	int		 i, rv;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if ((params = ctl_target_params(cmd, &req, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
	if (i >= argc) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "missing OID");
	}
	if (argc - i > SNMPMGR_MAX_VARBINDS) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "too many OIDs");
	}
	oids = json_array();
	for (; i < argc; i++) {
		if (ctl_late_option(cmd, argv[i]) == -1) {
			json_decref(oids);
			json_decref(params);
			return CTL_EXIT_USAGE;
		}
		json_array_append_new(oids, json_string(argv[i]));
	}
	json_object_set_new(params, "oids", oids);
	if (req.non_repeaters >= 0)
		json_object_set_new(params, "non_repeaters",
		    json_integer(req.non_repeaters));
	if (req.max_repetitions >= 0)
		json_object_set_new(params, "max_repetitions",
		    json_integer(req.max_repetitions));
	if (req.store)
		json_object_set_new(params, "store", json_true());

	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	rv = ctl_pdu_result(ctl, res);
	json_decref(res);
	return rv;
}

/* set TARGET OID TYPE VALUE [OID TYPE VALUE ...] */
int
ctl_cmd_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t		*params, *res;
	int		 i, rv;

	if ((params = ctl_target_args(ctl, cmd, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
	if (i >= argc) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "expected OID TYPE VALUE triples");
	}
	if (ctl_varbind_args(cmd, argc, argv, i, params) == -1) {
		json_decref(params);
		return CTL_EXIT_USAGE;
	}
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	rv = ctl_pdu_result(ctl, res);
	json_decref(res);
	return rv;
}

struct ctl_walk {
	struct ctl	*ctl;
	size_t		 count;
	char		 prefix[96];	/* of our walk.rows lines */
	size_t		 prefixlen;
};

/*
 * walk.rows lines in the daemon's own rendering, read without a JSON tree
 * (ctl_print_rows_raw); any other line goes to the parser as before.
 */
static int
ctl_walk_rows_line(const char *line, size_t len, void *arg)
{
	struct ctl_walk	*w = arg;
	size_t		 n;
	int		 k;

	if (w->prefixlen == 0) {
		k = snprintf(w->prefix, sizeof(w->prefix), "{\"jsonrpc\":"
		    "\"2.0\",\"method\":\"walk.rows\",\"params\":{\"id\":%"
		    JSON_INTEGER_FORMAT ",\"varbinds\":", w->ctl->id);
		if (k <= 0 || (size_t)k >= sizeof(w->prefix))
			return 0;
		w->prefixlen = (size_t)k;
	}
	if (len < w->prefixlen + 2 || memcmp(line, w->prefix,
	    w->prefixlen) != 0 || memcmp(line + len - 2, "}}", 2) != 0)
		return 0;
	if (ctl_print_rows_raw(stdout, line + w->prefixlen,
	    len - w->prefixlen - 2, w->ctl->json, &n) == -1)
		return 0;
	w->count += n;
	return 1;
}

/* walk.rows: print each row as it arrives; stdout stays block-buffered. */
static void
ctl_walk_rows_cb(struct ctl *ctl, const char *method, json_t *params,
    void *arg)
{
	struct ctl_walk	*w = arg;

	if (strcmp(method, "walk.rows") != 0)
		return;
	w->count += ctl_print_varbinds(stdout, json_object_get(params,
	    "varbinds"), ctl->json);
}

/* walk [options] TARGET OID */
int
ctl_cmd_walk(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	struct ctl_walk	 w = { 0 };
	json_t		*params, *res = NULL, *err = NULL, *data;
	const char	*last;
	int		 i, k, rv;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if ((params = ctl_target_params(cmd, &req, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
	for (k = i; k < argc; k++)
		if (ctl_late_option(cmd, argv[k]) == -1) {
			json_decref(params);
			return CTL_EXIT_USAGE;
		}
	if (argc - i != 1) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "expected one OID");
	}
	json_object_set_new(params, "oid", json_string(argv[i]));
	if (req.limit >= 0)
		json_object_set_new(params, "limit", json_integer(req.limit));
	if (req.start_oid != NULL)
		json_object_set_new(params, "start_oid",
		    json_string(req.start_oid));
	if (req.inside_range >= 0)
		json_object_set_new(params, "inside_range",
		    json_boolean(req.inside_range));
	if (req.use_getnext)
		json_object_set_new(params, "use_getnext", json_true());
	if (req.max_repetitions >= 0)
		json_object_set_new(params, "max_repetitions",
		    json_integer(req.max_repetitions));
	json_object_set_new(params, "stream", json_true());
	if (req.store)
		json_object_set_new(params, "store", json_true());

	/* Ctrl-C cancels the walk; its reply tells where to resume. */
	ctl->cancel_on_sigint = 1;
	w.ctl = ctl;
	ctl->line_cb = ctl_walk_rows_line;
	ctl->line_arg = &w;
	rv = ctl_rpc(ctl, cmd->method, params, ctl_walk_rows_cb, &w, &res,
	    &err);
	ctl->line_cb = NULL;
	ctl->line_arg = NULL;
	ctl->cancel_on_sigint = 0;
	if (rv == CTL_EXIT_OK) {
		/* A daemon that did not stream sends the rows here. */
		if (w.count == 0 && json_is_array(json_object_get(res,
		    "varbinds")))
			w.count = ctl_print_varbinds(stdout,
			    json_object_get(res, "varbinds"), ctl->json);
		if (ctl->verbose) {
			fflush(stdout);
			fprintf(stderr, "snmpmgrctl: %zu objects\n", w.count);
		}
	} else if (rv == CTL_EXIT_ERROR) {
		data = json_object_get(err, "data");
		last = json_string_value(json_object_get(data, "last_oid"));
		fprintf(stderr, "snmpmgrctl: walk stopped after %zu objects",
		    w.count);
		if (last != NULL && last[0] != '\0')
			fprintf(stderr, "; resume with --start-oid %s", last);
		putc('\n', stderr);
	} else if (w.count > 0)
		fprintf(stderr, "snmpmgrctl: walk broken off after %zu "
		    "objects\n", w.count);
	json_decref(res);
	json_decref(err);
	return rv;
}

/* inform / trap TARGET TRAP-OID [OID TYPE VALUE ...] */
int
ctl_cmd_notify(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t		*params, *res;
	const char	*name;
	json_int_t	 status;
	int		 i, rv;

	if ((params = ctl_target_args(ctl, cmd, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
	if (i >= argc || (argc - i - 1) % 3 != 0) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "expected TRAP-OID and OID TYPE "
		    "VALUE triples");
	}
	json_object_set_new(params, "trap_oid", json_string(argv[i++]));
	if (ctl_varbind_args(cmd, argc, argv, i, params) == -1) {
		json_decref(params);
		return CTL_EXIT_USAGE;
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
