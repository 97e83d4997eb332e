/*
 * cmd_poll.c - snmpmgrctl's commands for scheduled polling, live state and
 * runtime management (snmpmgrctl(1)): watch, and the rest of issue 4's
 * commands.  Each one is a table entry in snmpmgrctl.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"

/* A comma-separated list as a JSON array of strings. */
static json_t *
cmd_split(const char *s)
{
	json_t		*a;
	const char	*comma;

	if ((a = json_array()) == NULL)
		return NULL;
	for (;;) {
		if ((comma = strchr(s, ',')) == NULL)
			comma = s + strlen(s);
		if (comma > s)
			json_array_append_new(a, json_stringn(s,
			    (size_t)(comma - s)));
		if (*comma == '\0')
			break;
		s = comma + 1;
	}
	return a;
}

/*
 * watch [--session S[,S...]] [--event E[,E...]] [--count N]
 *
 * Subscribe and print each event's params as one JSON line, flushed at
 * once, until the daemon ends the subscription, the connection closes or
 * N events were printed.
 */
int
ctl_cmd_watch(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "session",	required_argument, NULL, 's' },
		{ "event",	required_argument, NULL, 'e' },
		{ "count",	required_argument, NULL, 'n' },
		{ "max-queue",	required_argument, NULL, 'q' },
		{ "json",	no_argument,	   NULL, 'j' },
		{ NULL,		0,		   NULL, 0 },
	};
	json_t		*params, *res = NULL, *msg, *p, *v;
	json_t		*sessions = NULL, *events = NULL;
	const char	*method, *reason;
	long long	 count = 0, seen = 0, maxq = 0;
	int		 ch, rv;

	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+s:e:n:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			json_decref(sessions);
			sessions = cmd_split(optarg);
			break;
		case 'e':
			json_decref(events);
			events = cmd_split(optarg);
			break;
		case 'n':
			if (ctl_number(optarg, 1, INT64_MAX, &count) == -1)
				goto usage;
			break;
		case 'q':
			if (ctl_number(optarg, 0, INT64_MAX, &maxq) == -1)
				goto usage;
			break;
		case 'j':
			ctl->json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((params = json_object()) == NULL)
		goto nomem;
	if (sessions != NULL)
		json_object_set_new(params, "sessions", sessions);
	if (events != NULL)
		json_object_set_new(params, "events", events);
	if (maxq > 0)
		json_object_set_new(params, "max_queue", json_integer(maxq));
	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != CTL_EXIT_OK)
		return rv;
	json_decref(res);
	fflush(stdout);

	while ((msg = ctl_conn_recv(ctl->conn)) != NULL) {
		method = json_string_value(json_object_get(msg, "method"));
		p = json_object_get(msg, "params");
		if (method != NULL && strcmp(method, "event") == 0 &&
		    json_is_object(p)) {
			ctl_print_json(stdout, p);
			fflush(stdout);
			json_decref(msg);
			if (count > 0 && ++seen >= count)
				return CTL_EXIT_OK;
			continue;
		}
		if (method != NULL && strcmp(method, "events.end") == 0) {
			reason = json_string_value(json_object_get(p,
			    "reason"));
			v = json_object_get(p, "delivered");
			fprintf(stderr, "snmpmgrctl: watch: the daemon ended "
			    "the subscription (%s) after %lld events\n",
			    reason != NULL ? reason : "?",
			    (long long)json_integer_value(v));
			rv = reason != NULL && strcmp(reason, "slow") == 0 ?
			    CTL_EXIT_ERROR : CTL_EXIT_OK;
			json_decref(msg);
			return rv;
		}
		json_decref(msg);
	}
	return CTL_EXIT_USAGE;
 usage:
	json_decref(sessions);
	json_decref(events);
	return ctl_cmd_usage(cmd, NULL);
 nomem:
	json_decref(sessions);
	json_decref(events);
	fprintf(stderr, "snmpmgrctl: out of memory\n");
	return CTL_EXIT_USAGE;
}

/*
 * Parse only --json (and -h) for a command with plain operands; returns
 * the index of the first operand, or -1 after a usage message.
 */
static int
cmd_plain_opts(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv, int *flag, const char *flagname)
{
	static struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		no_argument,	NULL, 'f' },
		{ NULL,		0,		NULL, 0 },
	};
	int	 ch;

	longopts[2].name = flagname;
	ctl_getopt_reset();
	/* Options may follow the operands. */
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctl->json = 1;
			break;
		case 'f':
			if (flag == NULL)
				goto usage;
			*flag = 1;
			break;
		default:
			goto usage;
		}
	}
	return optind;
 usage:
	ctl_cmd_usage(cmd, NULL);
	return -1;
}

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
	return failed;
}

/* results SESSION [POLL] and poll SESSION [POLL] */
int
ctl_cmd_results(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*params, *res;
	int	 i, rv;

	if ((i = cmd_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
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

	if ((i = cmd_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
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

/* remove, enable, disable, reset SESSION */
int
ctl_cmd_session_op(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	int	 i;

	if ((i = cmd_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
		return CTL_EXIT_USAGE;
	if (argc - i != 1)
		return ctl_cmd_usage(cmd, "expected one SESSION");
	return ctl_rpc_print(ctl, cmd->method, json_pack("{s:s}", "session",
	    argv[i]));
}

/*
 * set-option SESSION NAME VALUE: VALUE is taken as JSON when it parses
 * as a number, true, false or null, else as a string ("5s", "public").
 */
int
ctl_cmd_set_option(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*v, *params;
	int	 i = 1;

	/* No options here: VALUE may look like one ("-1"). */
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
	return ctl_rpc_print(ctl, cmd->method, params);
}

/* reload, stats: no arguments */
int
ctl_cmd_noargs(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	int	 i;

	if ((i = cmd_plain_opts(ctl, cmd, argc, argv, NULL, NULL)) == -1)
		return CTL_EXIT_USAGE;
	if (i != argc)
		return ctl_cmd_usage(cmd, "no arguments expected");
	return ctl_rpc_print(ctl, cmd->method, NULL);
}
