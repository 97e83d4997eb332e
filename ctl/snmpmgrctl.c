/*
 * snmpmgrctl.c - the command-line client of snmpmgrd's control socket
 * (SPEC.md section 8, doc/protocol.md).
 *
 * Each command turns its arguments into one JSON-RPC request, sends it,
 * and prints the reply: snmpwalk -On style lines and tables for people,
 * the raw result with --json for scripts.  A walk is printed row by row as
 * the daemon streams it.  Exit status: 0 success, 1 an error reply or an
 * agent error-status, 2 a usage or connection problem.
 *
 * This file holds the table of commands, main() and the two commands that
 * belong to no namespace (call, help); the commands themselves are in
 * cmd_*.c, grouped by namespace, their arguments read by args.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "cmds.h"
#include "conn.h"
#include "ctl.h"
#include "print.h"
#include "rpc.h"

static int	ctl_cmd_call(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_cmd_help(struct ctl *, const struct ctl_cmd *, int, char **);

#define CTL_TARGET_ARGS	"SESSION|-H HOST[:PORT] [-v 1|2c|3] " \
			"[-c COMMUNITY|--community-file FILE] " \
			"[-t TIMEOUT] [--retries N] " \
			"[SNMPv3: -u -l -a -A -x -X -e -E -n -Z] " \
			"[DTLS: --cert --key --ca --fingerprint " \
			"--server-name]"

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_cmd_status, 0, "daemon.status", "",
	    "show the daemon's version, uptime and counters" },
	{ "sessions", ctl_cmd_sessions_state, 0, "session.list",
	    "[--down] [--state up|down|unknown|disabled|error]",
	    "list the sessions as a table: state, counters, RTT" },
	{ "cluster", ctl_cmd_cluster, 0, "cluster.members", "",
	    "list the cluster's members: lease age, sessions, config hash" },
	{ "show", ctl_cmd_show, 0, "session.show", "SESSION",
	    "show one session's address, options and counters" },
	{ "get", ctl_cmd_get, CTL_OPT_TARGET | CTL_OPT_RETRY_R |
	    CTL_OPT_STORE, "snmp.get", "[--store] " CTL_TARGET_ARGS " OID...",
	    "get the values of the OIDs" },
	{ "getnext", ctl_cmd_get, CTL_OPT_TARGET | CTL_OPT_RETRY_R |
	    CTL_OPT_STORE, "snmp.getnext", "[--store] " CTL_TARGET_ARGS
	    " OID...",
	    "get the objects that follow the OIDs" },
	{ "getbulk", ctl_cmd_get, CTL_OPT_TARGET | CTL_OPT_BULK |
	    CTL_OPT_STORE, "snmp.getbulk",
	    "[--store] [-n NONREP] [-r MAXREP] " CTL_TARGET_ARGS
	    " OID...", "getbulk request (v2c, v3)" },
	{ "set", ctl_cmd_set, CTL_OPT_TARGET | CTL_OPT_RETRY_R, "snmp.set",
	    CTL_TARGET_ARGS " OID TYPE VALUE [OID TYPE VALUE ...]",
	    "set values; TYPE is one of i u t a o s x d n c C U" },
	{ "walk", ctl_cmd_walk, CTL_OPT_TARGET | CTL_OPT_WALK | CTL_OPT_STORE,
	    "snmp.walk", "[--limit N] [--start-oid OID] [--no-inside-range] "
	    "[--getnext] [--store] [-r MAXREP] " CTL_TARGET_ARGS " OID",
	    "walk a subtree, printing rows as they arrive" },
	{ "table", ctl_cmd_table, CTL_OPT_TARGET | CTL_OPT_WALK, "snmp.table",
	    "[-Cf SEP] [-Ci] [-CH] [--getnext] [-r MAXREP] " CTL_TARGET_ARGS
	    " TABLE [COLUMN...]",
	    "a table's rows by index, as snmptable prints them" },
	{ "translate", ctl_cmd_translate, 0, "mib.translate", "NAME|OID...",
	    "names to OIDs and back, with type, access and description "
	    "(-On: the numeric OIDs only)" },
	{ "discover", ctl_cmd_discover, CTL_OPT_TARGET, "snmp.discover",
	    CTL_TARGET_ARGS, "SNMPv3 engine discovery: engine ID, boots, "
	    "time" },
	{ "hash", ctl_cmd_hash, 0, "usm.hash", "-a PROTO -e ENGINEID "
	    "-A PASS|--auth-password-file FILE [-x PROTO "
	    "-X PASS|--priv-password-file FILE] [--key-extension EXT]",
	    "localized and master keys for a config instead of passwords" },
	{ "results", ctl_cmd_results, 0, "poll.results", "SESSION [POLL]",
	    "latest values of a session's polls, with their times" },
	{ "value", ctl_cmd_value, 0, "poll.value", "SESSION OID",
	    "the latest stored value of one OID" },
	{ "poll", ctl_cmd_results, 0, "poll.run", "SESSION [POLL]",
	    "run a session's polls now and print their results" },
	{ "reset", ctl_cmd_session_op, 0, "poll.reset", "SESSION",
	    "forget a session's stored values" },
	{ "add", ctl_cmd_add, 0, "session.add",
	    "SESSION --json '{...}'|- [--persist]",
	    "add a session at run time (--persist: keep it across reloads)" },
	{ "remove", ctl_cmd_session_op, 0, "session.remove", "SESSION",
	    "remove a session at run time (and its persisted file)" },
	{ "enable", ctl_cmd_session_op, 0, "session.enable",
	    "SESSION [--persist]", "enable a session: its polls run again "
	    "(--persist: across reloads)" },
	{ "disable", ctl_cmd_session_op, 0, "session.disable",
	    "SESSION [--persist]", "disable a session: its polls stop "
	    "(--persist: across reloads)" },
	{ "set-option", ctl_cmd_set_option, 0, "session.config",
	    "[--persist] SESSION NAME VALUE", "change one session option at "
	    "run time (--persist: across reloads)" },
	{ "interrupt", ctl_cmd_session_op, 0, "session.interrupt", "SESSION",
	    "end every request, walk and poll in flight on a session (398)" },
	{ "reload", ctl_cmd_noargs, 0, "daemon.reload", "",
	    "reload the config (as SIGHUP does) and show what changed" },
	{ "stats", ctl_cmd_stats, 0, "daemon.stats", "[traps]",
	    "scheduler, store, event and memory figures; with \"traps\": "
	    "the trap receiver's counters" },
	{ "traps", ctl_cmd_traps, 0, "trap.list",
	    "[--since TIME] [--until TIME] [--limit N] [--source ADDR] "
	    "[--trap-oid OID] [--type trap|inform] [--version 1|2c|3] "
	    "[--user NAME]",
	    "received traps and informs from the journal, oldest first" },
	{ "inform", ctl_cmd_notify, CTL_OPT_TARGET | CTL_OPT_RETRY_R,
	    "snmp.inform", CTL_TARGET_ARGS " TRAP-OID [OID TYPE VALUE ...]",
	    "send an inform and wait for its acknowledgement" },
	{ "trap", ctl_cmd_notify, CTL_OPT_TARGET, "snmp.trap",
	    CTL_TARGET_ARGS " TRAP-OID [OID TYPE VALUE ...]",
	    "send a trap (SNMPv2-Trap; an SNMPv1 Trap-PDU to a v1 target)" },
	{ "watch", ctl_cmd_watch, 0, "events.subscribe",
	    "[--session S[,S...]] [--event E[,E...]] [--count N] "
	    "[--max-queue BYTES]",
	    "stream events (poll, state, trap, config ...) as JSON lines" },
	{ "call", ctl_cmd_call, 0, NULL, "METHOD [JSON-PARAMS|-]",
	    "any JSON-RPC method; params as JSON text, - reads stdin" },
	{ "help", ctl_cmd_help, 0, NULL, "", "show this help" },
};
#define CTL_NCMDS	(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static void
ctl_usage(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: snmpmgrctl [-s SOCKET] [--json] [--verbose] [-On] "
	    "COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		fprintf(fp, "  %s %s\n      %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].args, ctl_cmds[i].help);
	fprintf(fp, "\nThe socket is -s, else $SNMPMGRD_SOCKET, else %s.\n"
	    "Secrets given as -A, -X, -c, --auth-key, --priv-key are blanked "
	    "in the\nargument list once read; better, give them as the first "
	    "line of a file\n(--auth-password-file, --priv-password-file, "
	    "--community-file) or in\n$%s, $%s, $%s.\n"
	    "Exit status: 0 success, 1 error reply, 2 usage or connection "
	    "error.\nSee snmpmgrctl(1).\n", CTL_DEFAULT_SOCKET, CTL_ENV_AUTH,
	    CTL_ENV_PRIV, CTL_ENV_COMMUNITY);
}

/* call: print notifications for our id as JSON lines, then the result. */
static void
ctl_call_notify_cb(struct ctl *ctl, const char *method, json_t *params,
    void *arg)
{
	json_t	*n;

	n = json_pack("{s:s, s:O}", "method", method, "params", params);
	if (n != NULL)
		ctl_print_json(stdout, n);
	json_decref(n);
}

static int
ctl_cmd_call(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	json_error_t	 jerr;
	json_t		*params = NULL, *res;
	int		 i, rv;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if (argc - i < 1 || argc - i > 2)
		return ctl_cmd_usage(cmd, "expected METHOD [JSON-PARAMS|-]");
	if (argc - i == 2) {
		if (strcmp(argv[i + 1], "-") == 0)
			params = json_loadf(stdin, 0, &jerr);
		else
			params = json_loads(argv[i + 1], 0, &jerr);
		if (params == NULL) {
			fprintf(stderr, "snmpmgrctl: call: JSON-PARAMS: "
			    "line %d column %d: %s\n", jerr.line, jerr.column,
			    jerr.text);
			return CTL_EXIT_USAGE;
		}
		if (!json_is_object(params) && !json_is_array(params)) {
			json_decref(params);
			return ctl_cmd_usage(cmd,
			    "JSON-PARAMS must be an object or an array");
		}
	}
	if ((rv = ctl_rpc(ctl, argv[i], params, ctl_call_notify_cb, NULL,
	    &res, NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else {
		json_dumpf(res, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15));
		putc('\n', stdout);
	}
	json_decref(res);
	return CTL_EXIT_OK;
}

static int
ctl_cmd_help(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	ctl_usage(stdout);
	return CTL_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "socket",	required_argument, NULL, 's' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL,		0,		   NULL, 0 },
	};
	static char	 outbuf[64 * 1024];
	struct ctl	 ctl;
	const struct ctl_cmd *cmd = NULL;
	const char	*env;
	size_t		 i;
	int		 ch, rv;

	memset(&ctl, 0, sizeof(ctl));
	if ((env = getenv("SNMPMGRD_SOCKET")) != NULL && env[0] != '\0')
		ctl.socket = env;
	else
		ctl.socket = CTL_DEFAULT_SOCKET;

	while ((ch = getopt_long(argc, argv, "+s:hVO:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'O':
			if (ctl_output_opt(optarg) == -1) {
				ctl_usage(stderr);
				return CTL_EXIT_USAGE;
			}
			break;
		case 's':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'v':
			ctl.verbose = 1;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("snmpmgrctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd == NULL) {
		fprintf(stderr, "snmpmgrctl: unknown command: %s\n", argv[0]);
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}

	/*
	 * Walks print many lines: into a pipe or file, write them in large
	 * blocks; a terminal keeps line buffering.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	rv = cmd->fn(&ctl, cmd, argc, argv);
	ctl_conn_free(ctl.conn);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "snmpmgrctl: writing output: %s\n",
		    strerror(errno));
		return CTL_EXIT_USAGE;
	}
	return rv;
}
