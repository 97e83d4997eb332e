/*
 * cmd_cluster.c - snmpmgrctl cluster: the members of the cluster this
 * daemon is in (cluster.members), as a table or with --json as JSON.
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

int
ctl_cmd_cluster(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	json_t		*res, *rows, *row;
	size_t		 i;
	int		 rv;

	if ((i = (size_t)ctl_parse_opts(ctl, cmd, &req, argc, argv)) ==
	    (size_t)-1)
		return CTL_EXIT_USAGE;
	if (i != (size_t)argc)
		return ctl_cmd_usage(cmd, "no arguments expected");
	if ((rv = ctl_rpc(ctl, cmd->method, NULL, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	if (ctl->json || !json_is_array(rows = json_object_get(res,
	    "members"))) {
		ctl_print_json(stdout, res);
		json_decref(res);
		return CTL_EXIT_OK;
	}
	printf("cluster %s, node %s, NATS %s%s\n",
	    json_string_value(json_object_get(res, "cluster")),
	    json_string_value(json_object_get(res, "node")),
	    json_string_value(json_object_get(res, "nats")),
	    json_is_true(json_object_get(res, "standalone")) ?
	    " (standalone-degraded)" : "");
	printf("%-24s %9s %8s %-16s %-10s %s\n", "NODE", "LEASE_AGE",
	    "SESSIONS", "CONFIG_HASH", "VERSION", "MISMATCH");
	json_array_foreach(rows, i, row)
		printf("%-24s %8.1fs %8lld %-16.16s %-10s %s%s\n",
		    json_string_value(json_object_get(row, "node")),
		    json_real_value(json_object_get(row, "lease_age")),
		    (long long)json_integer_value(json_object_get(row,
		    "sessions")),
		    json_string_value(json_object_get(row, "config_hash")),
		    json_string_value(json_object_get(row, "version")),
		    json_is_true(json_object_get(row, "mismatch")) ? "yes" :
		    "no",
		    json_is_true(json_object_get(row, "live")) ? "" :
		    " (gone)");
	json_decref(res);
	return CTL_EXIT_OK;
}
