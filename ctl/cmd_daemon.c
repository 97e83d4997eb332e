/*
 * cmd_daemon.c - snmpmgrctl's commands on the daemon itself, the daemon.*
 * methods: status, stats (with "traps": the trap receiver's trap.stats)
 * and reload.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cmds.h"
#include "ctl.h"
#include "rpc.h"

int
ctl_cmd_status(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	int		 i;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if (i != argc)
		return ctl_cmd_usage(cmd, "no arguments expected");
	return ctl_rpc_print(ctl, cmd->method, NULL);
}

/* stats [traps]: daemon.stats, or trap.stats. */
int
ctl_cmd_stats(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	int	 i = 1;

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
	return ctl_rpc_print(ctl, "trap.stats", NULL);
}

/* reload, stats: no arguments */
int
ctl_cmd_noargs(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	int	 i;

	if ((i = ctl_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
		return CTL_EXIT_USAGE;
	if (i != argc)
		return ctl_cmd_usage(cmd, "no arguments expected");
	return ctl_rpc_print(ctl, cmd->method, NULL);
}
