/*
 * cmd_poll.c - snmpmgrctl's commands on scheduled polling, the poll.*
 * methods: the stored results of a session's polls, one stored value, and
 * a run of the polls out of turn.
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

/*
 * The polls of a poll.results or poll.run result, snmpwalk -On style,
 * each under a "# POLL ..." line.  1 when a poll's last run failed.
 */
static int
cmd_print_polls(const json_t *res)
{
	const json_t	*polls, *p, *err;
	const char	*time;
	size_t		 i;
	int		 failed = 0;

	polls = json_object_get(res, "polls");
	json_array_foreach(polls, i, p) {
		time = json_string_value(json_object_get(p, "time"));
		printf("# %s (%s): %s, %" JSON_INTEGER_FORMAT " objects, "
		    "%.3f ms\n",
		    json_string_value(json_object_get(p, "poll")),
		    json_string_value(json_object_get(p, "kind")),
		    time != NULL ? time : "no result yet",
		    json_integer_value(json_object_get(p, "count")),
		    json_number_value(json_object_get(p, "duration_ms")));
		if (json_is_number(json_object_get(p, "rate_interval_ms")))
			printf("# rates over %.3f ms\n", json_number_value(
			    json_object_get(p, "rate_interval_ms")));
		err = json_object_get(p, "error");
		if (json_is_object(err)) {
			printf("# last run failed: error %" JSON_INTEGER_FORMAT
			    ": %s: %s\n",
			    json_integer_value(json_object_get(err, "code")),
			    json_string_value(json_object_get(err, "message")),
			    json_string_value(json_object_get(err, "detail")));
			failed = 1;
		}
		ctl_print_varbinds(stdout, json_object_get(p, "varbinds"), 0);
	}
	/* What get, walk ... --store kept. */
	if (json_is_object(p = json_object_get(res, "stored"))) {
		printf("# stored: %s, %" JSON_INTEGER_FORMAT " objects\n",
		    json_string_value(json_object_get(p, "time")),
		    json_integer_value(json_object_get(p, "count")));
		ctl_print_varbinds(stdout, json_object_get(p, "varbinds"), 0);
	}
	return failed;
}

/* results SESSION [POLL] and poll SESSION [POLL] */
int
ctl_cmd_results(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*params, *res;
	int	 i, rv;

	if ((i = ctl_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
		return CTL_EXIT_USAGE;
	if (argc - i < 1 || argc - i > 2)
		return ctl_cmd_usage(cmd, "expected SESSION [POLL]");
	params = json_pack("{s:s}", "session", argv[i]);
	if (argc - i == 2)
		json_object_set_new(params, "poll", json_string(argv[i + 1]));
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else if (cmd_print_polls(res) && strcmp(cmd->name, "poll") == 0)
		rv = CTL_EXIT_ERROR;
	json_decref(res);
	return rv;
}

/* value SESSION OID */
int
ctl_cmd_value(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*res;
	int	 i, rv;

	if ((i = ctl_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
		return CTL_EXIT_USAGE;
	if (argc - i != 2)
		return ctl_cmd_usage(cmd, "expected SESSION OID");
	if ((rv = ctl_rpc(ctl, cmd->method, json_pack("{s:s,s:s}", "session",
	    argv[i], "oid", argv[i + 1]), NULL, NULL, &res, NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else
		ctl_print_varbind(stdout, res);
	json_decref(res);
	return CTL_EXIT_OK;
}
