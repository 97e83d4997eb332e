/*
 * cmd_events.c - snmpmgrctl's watch (events.subscribe): subscribe, then
 * print each event as one JSON line, flushed at once, until told to stop.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cmds.h"
#include "conn.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

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
