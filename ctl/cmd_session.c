/*
 * cmd_session.c - snmpmgrctl's commands on the sessions, the session.*
 * methods: the table of sessions, one session's details, and the runtime
 * changes (add, remove, enable, disable, set-option, interrupt); reset
 * (poll.reset) takes one session operand alike and is here too.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cmds.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

/* sessions [--down] [--state STATE] */
int
ctl_cmd_sessions_state(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		{ "down",	no_argument,	   NULL, 'd' },
		{ "state",	required_argument, NULL, 's' },
		{ NULL,		0,		   NULL, 0 },
	};
	const char	*state = NULL;
	json_t		*params = NULL, *res, *rows;
	int		 ch, rv;

	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctl->json = 1;
			break;
		case 'd':
			state = "down";
			break;
		case 's':
			state = optarg;
			break;
		default:
			return ctl_cmd_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return ctl_cmd_usage(cmd, "no arguments expected");
	if (state != NULL)
		params = json_pack("{s:s}", "state", state);
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else if (json_is_array(rows = json_object_get(res, "sessions")))
		ctl_print_sessions(stdout, rows);
	else
		ctl_print_tree(stdout, res, 0);
	json_decref(res);
	return CTL_EXIT_OK;
}

int
ctl_cmd_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	int		 i;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if (argc - i != 1)
		return ctl_cmd_usage(cmd, "expected one SESSION");
	return ctl_rpc_print(ctl, cmd->method, json_pack("{s:s}", "session",
	    argv[i]));
}

/* add SESSION --json '{...}'|- [--persist] */
int
ctl_cmd_add(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "json",	required_argument, NULL, 'j' },
		{ "persist",	no_argument,	   NULL, 'p' },
		{ NULL,		0,		   NULL, 0 },
	};
	json_error_t	 jerr;
	json_t		*cfg = NULL, *params;
	const char	*text = NULL;
	int		 ch, persist = 0;

	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			text = optarg;
			break;
		case 'p':
			persist = 1;
			break;
		default:
			return ctl_cmd_usage(cmd, NULL);
		}
	}
	if (argc - optind != 1 || text == NULL)
		return ctl_cmd_usage(cmd, "expected SESSION --json "
		    "'{\"host\": ...}'");
	if (strcmp(text, "-") == 0)
		cfg = json_loadf(stdin, 0, &jerr);
	else
		cfg = json_loads(text, 0, &jerr);
	if (cfg == NULL || !json_is_object(cfg)) {
		if (cfg == NULL)
			fprintf(stderr, "snmpmgrctl: add: --json: line %d "
			    "column %d: %s\n", jerr.line, jerr.column,
			    jerr.text);
		else
			fprintf(stderr, "snmpmgrctl: add: --json: expected an "
			    "object of session options\n");
		json_decref(cfg);
		return CTL_EXIT_USAGE;
	}
	params = json_pack("{s:s,s:o,s:b}", "session", argv[optind],
	    "config", cfg, "persist", persist);
	return ctl_rpc_print(ctl, cmd->method, params);
}

/* remove, reset SESSION; enable, disable SESSION [--persist] */
int
ctl_cmd_session_op(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*params;
	int	 i, persist = 0;
	bool	 can_persist = strcmp(cmd->method, "session.enable") == 0 ||
		    strcmp(cmd->method, "session.disable") == 0;

	if ((i = ctl_plain_opts(ctl, cmd, argc, argv, can_persist ? &persist :
	    NULL, can_persist ? "persist" : NULL)) == -1)
		return CTL_EXIT_USAGE;
	if (argc - i != 1)
		return ctl_cmd_usage(cmd, "expected one SESSION");
	params = json_pack("{s:s}", "session", argv[i]);
	if (params != NULL && persist)
		json_object_set_new(params, "persist", json_true());
	return ctl_rpc_print(ctl, cmd->method, params);
}

/*
 * set-option [--persist] SESSION NAME VALUE: VALUE is taken as JSON when
 * it parses as a number, true, false or null, else as a string ("5s",
 * "public").  --persist is an option only first or last, so VALUE itself
 * may look like one ("-1").
 */
int
ctl_cmd_set_option(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*v, *params;
	int	 i = 1, persist = 0;

	if (argc - i == 4 && strcmp(argv[i], "--persist") == 0) {
		persist = 1;
		i++;
	} else if (argc - i == 4 && strcmp(argv[argc - 1], "--persist") ==
	    0) {
		persist = 1;
		argc--;
	}
	if (argc - i != 3)
		return ctl_cmd_usage(cmd, "expected SESSION NAME VALUE");
	v = json_loads(argv[i + 2], JSON_DECODE_ANY, NULL);
	if (v == NULL || json_is_object(v) || json_is_array(v) ||
	    json_is_string(v)) {
		json_decref(v);
		v = json_string(argv[i + 2]);
	}
	params = json_pack("{s:s,s:{s:o}}", "session", argv[i], "options",
	    argv[i + 1], v);
	if (params != NULL && persist)
		json_object_set_new(params, "persist", json_true());
	return ctl_rpc_print(ctl, cmd->method, params);
}
