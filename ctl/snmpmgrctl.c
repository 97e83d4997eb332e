/*
 * snmpmgrctl.c - the command-line client of snmpmgrd's control socket
 * (SPEC.md section 8, doc/protocol.md).
 *
 * Each command turns its arguments into one JSON-RPC request, sends it,
 * and prints the reply: snmpwalk -On style lines and tables for people,
 * the raw result with --json for scripts.  A walk is printed row by row as
 * the daemon streams it.  Exit status: 0 success, 1 an error reply or an
 * agent error-status, 2 a usage or connection problem.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/limits.h"
#include "ctl.h"

/* Options a command may take; what each command accepts is in ctl_cmds. */
#define CTL_OPT_TARGET	0x01	/* -H -v -c -t --retries: an ad-hoc target */
#define CTL_OPT_RETRY_R	0x02	/* -r RETRIES */
#define CTL_OPT_BULK	0x04	/* -n NONREP -r MAXREP */
#define CTL_OPT_WALK	0x08	/* --limit --start-oid ... -r MAXREP */

struct ctl_req {
	const char	*host;
	const char	*version;
	const char	*community;
	const char	*timeout;
	long long	 retries;	/* -1: not given */
	long long	 non_repeaters;
	long long	 max_repetitions;
	long long	 limit;
	const char	*start_oid;
	int		 inside_range;	/* -1: the session's */
	int		 use_getnext;
	struct ctl_v3	 v3;		/* -u -l -a -A -x -X ... (cmd_v3.c) */
};

static int	ctl_cmd_status(struct ctl *, const struct ctl_cmd *, int,
		    char **);
static int	ctl_cmd_show(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_cmd_get(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_cmd_set(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_cmd_walk(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_cmd_call(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_cmd_help(struct ctl *, const struct ctl_cmd *, int, char **);

#define CTL_TARGET_ARGS	"SESSION|-H HOST[:PORT] [-v 1|2c|3] [-c COMMUNITY] " \
			"[-t TIMEOUT] [--retries N] " \
			"[SNMPv3: -u -l -a -A -x -X -e -E -n -Z]"

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_cmd_status, 0, "daemon.status", "",
	    "show the daemon's version, uptime and counters" },
	{ "sessions", ctl_cmd_sessions_state, 0, "session.list",
	    "[--down] [--state up|down|unknown|disabled|error]",
	    "list the sessions as a table: state, counters, RTT" },
	{ "show", ctl_cmd_show, 0, "session.show", "SESSION",
	    "show one session's address, options and counters" },
	{ "get", ctl_cmd_get, CTL_OPT_TARGET | CTL_OPT_RETRY_R, "snmp.get",
	    CTL_TARGET_ARGS " OID...", "get the values of the OIDs" },
	{ "getnext", ctl_cmd_get, CTL_OPT_TARGET | CTL_OPT_RETRY_R,
	    "snmp.getnext", CTL_TARGET_ARGS " OID...",
	    "get the objects that follow the OIDs" },
	{ "getbulk", ctl_cmd_get, CTL_OPT_TARGET | CTL_OPT_BULK,
	    "snmp.getbulk", "[-n NONREP] [-r MAXREP] " CTL_TARGET_ARGS
	    " OID...", "getbulk request (v2c, v3)" },
	{ "set", ctl_cmd_set, CTL_OPT_TARGET | CTL_OPT_RETRY_R, "snmp.set",
	    CTL_TARGET_ARGS " OID TYPE VALUE [OID TYPE VALUE ...]",
	    "set values; TYPE is one of i u t a o s x d n c C U" },
	{ "walk", ctl_cmd_walk, CTL_OPT_TARGET | CTL_OPT_WALK, "snmp.walk",
	    "[--limit N] [--start-oid OID] [--no-inside-range] [--getnext] "
	    "[-r MAXREP] " CTL_TARGET_ARGS " OID",
	    "walk a subtree, printing rows as they arrive" },
	{ "discover", ctl_cmd_discover, CTL_OPT_TARGET, "snmp.discover",
	    CTL_TARGET_ARGS, "SNMPv3 engine discovery: engine ID, boots, "
	    "time" },
	{ "hash", ctl_cmd_hash, 0, "usm.hash", "-a PROTO -e ENGINEID -A PASS "
	    "[-x PROTO -X PASS] [--key-extension EXT]",
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
	{ "enable", ctl_cmd_session_op, 0, "session.enable", "SESSION",
	    "enable a session: its polls run again" },
	{ "disable", ctl_cmd_session_op, 0, "session.disable", "SESSION",
	    "disable a session: its polls stop" },
	{ "set-option", ctl_cmd_set_option, 0, "session.config",
	    "SESSION NAME VALUE", "change one session option at run time" },
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

/* Net-SNMP's type letters for set (doc/protocol.md snmp.set). */
static const char ctl_set_letters[] = "iutaosxdncCU";
static const char *const ctl_set_names[] = {
	"Integer32", "OCTET STRING", "NULL", "OBJECT IDENTIFIER", "IpAddress",
	"Counter32", "Gauge32", "TimeTicks", "Opaque", "NsapAddress",
	"Counter64", "UInteger32",
};

static void
ctl_usage(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: snmpmgrctl [-s SOCKET] [--json] [--verbose] "
	    "COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		fprintf(fp, "  %s %s\n      %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].args, ctl_cmds[i].help);
	fprintf(fp, "\nThe socket is -s, else $SNMPMGRD_SOCKET, else %s.\n"
	    "Exit status: 0 success, 1 error reply, 2 usage or connection "
	    "error.\nSee snmpmgrctl(1).\n", CTL_DEFAULT_SOCKET);
}

/* Report a usage error for one command; returns the exit status. */
int
ctl_cmd_usage(const struct ctl_cmd *cmd, const char *why)
{
	if (why != NULL)
		fprintf(stderr, "snmpmgrctl: %s: %s\n", cmd->name, why);
	fprintf(stderr, "usage: snmpmgrctl %s %s\n", cmd->name, cmd->args);
	return CTL_EXIT_USAGE;
}

/* A decimal integer within [min, max].  0 or -1. */
int
ctl_number(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Tell getopt to start over on a new argument vector. */
void
ctl_getopt_reset(void)
{
#ifdef __GLIBC__
	optind = 0;
#else
	optind = 1;
	optreset = 1;
#endif
}

enum {
	CTL_LONG_JSON = 256,
	CTL_LONG_VERBOSE,
	CTL_LONG_RETRIES,
	CTL_LONG_LIMIT,
	CTL_LONG_START_OID,
	CTL_LONG_NO_INSIDE,
	CTL_LONG_INSIDE,
	CTL_LONG_GETNEXT,
};

/*
 * Parse a command's options into req.  Returns the index of the first
 * operand in argv (argv[0] is the command name), or -1 after a usage
 * message.
 */
static int
ctl_parse_opts(struct ctl *ctl, const struct ctl_cmd *cmd,
    struct ctl_req *req, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",		no_argument,	   NULL, CTL_LONG_JSON },
		{ "verbose",		no_argument,	   NULL, CTL_LONG_VERBOSE },
		{ "retries",		required_argument, NULL, CTL_LONG_RETRIES },
		{ "limit",		required_argument, NULL, CTL_LONG_LIMIT },
		{ "start-oid",		required_argument, NULL,
		    CTL_LONG_START_OID },
		{ "no-inside-range",	no_argument,	   NULL,
		    CTL_LONG_NO_INSIDE },
		{ "inside-range",	no_argument,	   NULL, CTL_LONG_INSIDE },
		{ "getnext",		no_argument,	   NULL, CTL_LONG_GETNEXT },
		CTL_V3_LONGOPTS,
		{ NULL,			0,		   NULL, 0 },
	};
	unsigned int	 o = cmd->opts;
	int		 ch;

	memset(req, 0, sizeof(*req));
	req->retries = req->non_repeaters = req->max_repetitions = -1;
	req->limit = -1;
	req->inside_range = -1;

	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+hH:v:c:t:n:r:" CTL_V3_GETOPT,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case CTL_LONG_JSON:
			ctl->json = 1;
			continue;
		case CTL_LONG_VERBOSE:
			ctl->verbose = 1;
			continue;
		case 'h':
			ctl_cmd_usage(cmd, NULL);
			return -1;
		case '?':
			ctl_cmd_usage(cmd, NULL);
			return -1;
		}
		if ((o & CTL_OPT_TARGET) != 0) {
			switch (ch) {
			case 'H':
				req->host = optarg;
				continue;
			case 'v':
				if (strcmp(optarg, "1") != 0 &&
				    strcmp(optarg, "2c") != 0 &&
				    strcmp(optarg, "3") != 0) {
					ctl_cmd_usage(cmd,
					    "-v takes 1, 2c or 3");
					return -1;
				}
				req->version = optarg;
				continue;
			case 'c':
				req->community = optarg;
				continue;
			case 't':
				req->timeout = optarg;
				continue;
			case CTL_LONG_RETRIES:
				if (ctl_number(optarg, 0, INT32_MAX,
				    &req->retries) == -1) {
					ctl_cmd_usage(cmd, "bad retry count");
					return -1;
				}
				continue;
			}
			switch (ctl_v3_opt(&req->v3, ch, optarg,
			    (o & CTL_OPT_BULK) == 0, cmd)) {
			case 1:
				continue;
			case -1:
				return -1;
			}
		}
		if (ch == 'r' && (o & CTL_OPT_RETRY_R) != 0) {
			if (ctl_number(optarg, 0, INT32_MAX, &req->retries) == -1) {
				ctl_cmd_usage(cmd, "bad retry count");
				return -1;
			}
			continue;
		}
		if (ch == 'r' && (o & (CTL_OPT_BULK | CTL_OPT_WALK)) != 0) {
			if (ctl_number(optarg, 0, SNMPMGR_MAX_REPETITIONS,
			    &req->max_repetitions) == -1) {
				ctl_cmd_usage(cmd, "bad max-repetitions");
				return -1;
			}
			continue;
		}
		if (ch == 'n' && (o & CTL_OPT_BULK) != 0) {
			if (ctl_number(optarg, 0, SNMPMGR_MAX_VARBINDS,
			    &req->non_repeaters) == -1) {
				ctl_cmd_usage(cmd, "bad non-repeaters");
				return -1;
			}
			continue;
		}
		if ((o & CTL_OPT_WALK) != 0) {
			switch (ch) {
			case CTL_LONG_LIMIT:
				if (ctl_number(optarg, 0, INT64_MAX,
				    &req->limit) == -1) {
					ctl_cmd_usage(cmd, "bad limit");
					return -1;
				}
				continue;
			case CTL_LONG_START_OID:
				req->start_oid = optarg;
				continue;
			case CTL_LONG_NO_INSIDE:
				req->inside_range = 0;
				continue;
			case CTL_LONG_INSIDE:
				req->inside_range = 1;
				continue;
			case CTL_LONG_GETNEXT:
				req->use_getnext = 1;
				continue;
			}
		}
		ctl_cmd_usage(cmd, "option not valid for this command");
		return -1;
	}
	return optind;
}

/*
 * An ad-hoc target from -H: "host", "host:port", "[v6addr]:port", a bare
 * IPv6 address, each optionally prefixed "udp:" or "udp6:".
 */
static json_t *
ctl_target_json(const struct ctl_cmd *cmd, const struct ctl_req *req)
{
	json_t		*t = NULL;
	char		 host[300];
	const char	*spec = req->host, *port = NULL, *transport = NULL;
	const char	*rb, *colon;
	long long	 portnum = 0;
	size_t		 hlen;
	char		*end;
	double		 secs;

	if (strncmp(spec, "udp:", 4) == 0) {
		transport = "udp";
		spec += 4;
	} else if (strncmp(spec, "udp6:", 5) == 0) {
		transport = "udp6";
		spec += 5;
	}
	if (spec[0] == '[') {
		if ((rb = strchr(spec, ']')) == NULL)
			goto bad;
		hlen = (size_t)(rb - spec - 1);
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			goto bad;
		spec++;
		if (transport == NULL)
			transport = "udp6";
	} else if ((colon = strchr(spec, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - spec);
		port = colon + 1;
	} else {
		hlen = strlen(spec);
		if (colon != NULL && transport == NULL)
			transport = "udp6";	/* a bare IPv6 address */
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (port != NULL && ctl_number(port, 1, 65535, &portnum) == -1)
		goto bad;

	if ((t = json_object()) == NULL)
		goto nomem;
	json_object_set_new(t, "host", json_string(host));
	if (portnum != 0)
		json_object_set_new(t, "port", json_integer(portnum));
	if (transport != NULL)
		json_object_set_new(t, "transport", json_string(transport));
	if (req->version != NULL)
		json_object_set_new(t, "version", json_string(req->version));
	if (req->community != NULL)
		json_object_set_new(t, "community",
		    json_string(req->community));
	if (req->timeout != NULL) {
		/* Plain numbers are seconds, as for snmpget -t. */
		secs = strtod(req->timeout, &end);
		if (end != req->timeout && *end == '\0' && secs >= 0)
			json_object_set_new(t, "timeout", json_real(secs));
		else
			json_object_set_new(t, "timeout",
			    json_string(req->timeout));
	}
	if (req->retries >= 0)
		json_object_set_new(t, "retries", json_integer(req->retries));
	if (ctl_v3_target(&req->v3, cmd, t) == -1) {
		json_decref(t);
		return NULL;
	}
	return t;

bad:
	ctl_cmd_usage(cmd, "bad -H HOST[:PORT]");
	return NULL;
nomem:
	fprintf(stderr, "snmpmgrctl: out of memory\n");
	return NULL;
}

/*
 * Start the params of an snmp.* request with its target: argv[*i] names a
 * session unless -H gave an ad-hoc one.  NULL after a usage message.
 */
static json_t *
ctl_target_params(const struct ctl_cmd *cmd, const struct ctl_req *req,
    int argc, char **argv, int *i)
{
	json_t	*params, *t;

	if ((params = json_object()) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return NULL;
	}
	if (req->host != NULL) {
		if ((t = ctl_target_json(cmd, req)) == NULL)
			goto fail;
		json_object_set_new(params, "target", t);
		return params;
	}
	if (req->version != NULL || req->community != NULL ||
	    req->timeout != NULL || req->retries >= 0 || req->v3.given) {
		ctl_cmd_usage(cmd, "-v, -c, -t, retries and the SNMPv3 flags "
		    "need -H");
		goto fail;
	}
	if (*i >= argc) {
		ctl_cmd_usage(cmd, "missing SESSION");
		goto fail;
	}
	json_object_set_new(params, "session", json_string(argv[(*i)++]));
	return params;
fail:
	json_decref(params);
	return NULL;
}

/*
 * For commands in other files: parse the target options and operand of
 * an snmp.* command (as get does).  The params object with "session" or
 * "target", and *i the next operand; NULL after a usage message.
 */
json_t *
ctl_target_args(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv, int *i)
{
	struct ctl_req	 req;

	if ((*i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return NULL;
	return ctl_target_params(cmd, &req, argc, argv, i);
}

/* Print a JSON-RPC error object as "snmpmgrctl: error CODE: MESSAGE: DETAIL". */
static void
ctl_print_error(const json_t *err)
{
	const json_t	*data, *detail;
	const char	*msg;

	fflush(stdout);
	msg = json_string_value(json_object_get(err, "message"));
	fprintf(stderr, "snmpmgrctl: error %" JSON_INTEGER_FORMAT ": %s",
	    json_integer_value(json_object_get(err, "code")),
	    msg != NULL ? msg : "(no message)");
	data = json_object_get(err, "data");
	if ((detail = json_object_get(data, "detail")) != NULL) {
		if (json_is_string(detail))
			fprintf(stderr, ": %s", json_string_value(detail));
		else {
			fputs(": ", stderr);
			json_dumpf(detail, stderr, JSON_COMPACT |
			    JSON_ENCODE_ANY);
		}
	} else if (json_is_string(data))
		fprintf(stderr, ": %s", json_string_value(data));
	putc('\n', stderr);
}

/*
 * SIGINT while a cancellable request runs (a walk): the handler sends a
 * request.cancel for it, made ready beforehand, on the connection (the
 * request itself was written in full already, so nothing else is being
 * sent), and ctl_rpc goes on waiting: the daemon answers the request
 * with error 398 and how far it got.  SA_RESETHAND: a second SIGINT
 * ends snmpmgrctl at once.
 */
static volatile sig_atomic_t ctl_sigint_fd = -1;
static char		 ctl_sigint_line[160];
static size_t		 ctl_sigint_len;

static void
ctl_sigint_handler(int sig)
{
	static const char	 msg[] = "\nsnmpmgrctl: cancelling (press "
	    "again to quit at once)\n";
	int			 saved = errno;

	if (ctl_sigint_fd != -1) {
		(void)!send(ctl_sigint_fd, ctl_sigint_line, ctl_sigint_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	}
	errno = saved;
}

/* Cancel request id on SIGINT from now on. */
static void
ctl_sigint_arm(struct ctl *ctl, json_int_t id)
{
	struct sigaction sa;
	int		 n;

	n = snprintf(ctl_sigint_line, sizeof(ctl_sigint_line),
	    "{\"jsonrpc\":\"2.0\",\"id\":\"sigint\",\"method\":"
	    "\"request.cancel\",\"params\":{\"id\":%" JSON_INTEGER_FORMAT
	    "}}\n", id);
	if (n <= 0 || (size_t)n >= sizeof(ctl_sigint_line))
		return;
	ctl_sigint_len = (size_t)n;
	ctl_sigint_fd = ctl_conn_fd(ctl->conn);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_sigint_handler;
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static void
ctl_sigint_disarm(void)
{
	struct sigaction sa;

	if (ctl_sigint_fd == -1)
		return;
	ctl_sigint_fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/*
 * Send method(params) and wait for its reply, passing notifications that
 * carry our id to cb.  params is consumed.  Returns 0 with *resultp set
 * (caller's reference), 1 after an error reply (printed; its error object
 * in *errorp if errorp is not NULL), or 2 on a connection problem.
 */
int
ctl_rpc(struct ctl *ctl, const char *method, json_t *params,
    ctl_notify_cb cb, void *arg, json_t **resultp, json_t **errorp)
{
	json_t		*req = NULL, *msg = NULL, *v;
	const char	*nmethod;
	json_t		*nparams;
	int		 rv = CTL_EXIT_USAGE;

	*resultp = NULL;
	if (errorp != NULL)
		*errorp = NULL;
	if (ctl->conn == NULL &&
	    (ctl->conn = ctl_conn_new(ctl->socket)) == NULL)
		goto done;

	ctl->id++;
	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", ctl->id,
	    "method", method);
	if (req == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		goto done;
	}
	if (params != NULL)
		json_object_set(req, "params", params);
	if (ctl_conn_send(ctl->conn, req) == -1)
		goto done;
	if (ctl->cancel_on_sigint)
		ctl_sigint_arm(ctl, ctl->id);

	while ((msg = ctl_conn_recv(ctl->conn)) != NULL) {
		if ((nmethod = json_string_value(json_object_get(msg,
		    "method"))) != NULL) {
			nparams = json_object_get(msg, "params");
			v = json_object_get(nparams, "id");
			if (cb != NULL && json_is_integer(v) &&
			    json_integer_value(v) == ctl->id)
				cb(ctl, nmethod, nparams, arg);
			json_decref(msg);
			continue;
		}
		v = json_object_get(msg, "id");
		if (!json_is_integer(v) || json_integer_value(v) != ctl->id) {
			json_decref(msg);	/* not ours */
			continue;
		}
		if ((v = json_object_get(msg, "error")) != NULL) {
			ctl_print_error(v);
			if (errorp != NULL)
				*errorp = json_incref(v);
			rv = CTL_EXIT_ERROR;
		} else if ((v = json_object_get(msg, "result")) != NULL) {
			*resultp = json_incref(v);
			rv = CTL_EXIT_OK;
		} else
			fprintf(stderr, "snmpmgrctl: malformed reply from "
			    "snmpmgrd: neither result nor error\n");
		break;
	}
done:
	ctl_sigint_disarm();
	json_decref(msg);
	json_decref(req);
	json_decref(params);
	return rv;
}

int
ctl_rpc_print(struct ctl *ctl, const char *method, json_t *params)
{
	json_t	*res;
	int	 rv;

	if ((rv = ctl_rpc(ctl, method, params, NULL, NULL, &res, NULL)) != 0)
		return rv;
	if (ctl->json)
		ctl_print_json(stdout, res);
	else
		ctl_print_tree(stdout, res, 0);
	json_decref(res);
	return CTL_EXIT_OK;
}

static int
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

static int
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

/*
 * Print a get/getnext/getbulk/set result.  An agent error-status is
 * reported on stderr after the varbinds and makes the exit status 1.
 */
static int
ctl_pdu_result(struct ctl *ctl, const json_t *res)
{
	json_int_t	 status, index;
	const char	*name;

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
static int
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
	for (; i < argc; i++)
		json_array_append_new(oids, json_string(argv[i]));
	json_object_set_new(params, "oids", oids);
	if (req.non_repeaters >= 0)
		json_object_set_new(params, "non_repeaters",
		    json_integer(req.non_repeaters));
	if (req.max_repetitions >= 0)
		json_object_set_new(params, "max_repetitions",
		    json_integer(req.max_repetitions));

	if ((rv = ctl_rpc(ctl, cmd->method, params, NULL, NULL, &res,
	    NULL)) != 0)
		return rv;
	rv = ctl_pdu_result(ctl, res);
	json_decref(res);
	return rv;
}

/* A set TYPE: a Net-SNMP letter or a type name of doc/protocol.md. */
static int
ctl_set_type_ok(const char *type)
{
	size_t	 i;

	if (type[0] != '\0' && type[1] == '\0' &&
	    strchr(ctl_set_letters, type[0]) != NULL)
		return 1;
	for (i = 0; i < sizeof(ctl_set_names) / sizeof(ctl_set_names[0]); i++)
		if (strcmp(type, ctl_set_names[i]) == 0)
			return 1;
	return 0;
}

int
ctl_varbind_args(const struct ctl_cmd *cmd, int argc, char **argv, int i,
    json_t *params)
{
	json_t		*vbs, *vb;
	long long	 n;

	if ((argc - i) % 3 != 0) {
		ctl_cmd_usage(cmd, "expected OID TYPE VALUE triples");
		return -1;
	}
	if ((vbs = json_array()) == NULL ||
	    json_object_set_new(params, "varbinds", vbs) == -1) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return -1;
	}
	for (; i < argc; i += 3) {
		if (!ctl_set_type_ok(argv[i + 1])) {
			ctl_cmd_usage(cmd, "TYPE must be one of "
			    "i u t a o s x d n c C U");
			return -1;
		}
		vb = json_pack("{s:s, s:s}", "oid", argv[i], "type",
		    argv[i + 1]);
		/*
		 * Integers go as JSON numbers when they are plain decimals,
		 * else as the text given, for the daemon to judge; NULL has
		 * no value.
		 */
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
	return 0;
}

void
ctl_json_set_str(json_t *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(obj, key, json_string(value));
}

/* set TARGET OID TYPE VALUE [OID TYPE VALUE ...] */
static int
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
	size_t	 count;
};

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
static int
ctl_cmd_walk(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	struct ctl_req	 req;
	struct ctl_walk	 w = { 0 };
	json_t		*params, *res = NULL, *err = NULL, *data;
	const char	*last;
	int		 i, rv;

	if ((i = ctl_parse_opts(ctl, cmd, &req, argc, argv)) == -1)
		return CTL_EXIT_USAGE;
	if ((params = ctl_target_params(cmd, &req, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
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

	/* Ctrl-C cancels the walk; its reply tells where to resume. */
	ctl->cancel_on_sigint = 1;
	rv = ctl_rpc(ctl, cmd->method, params, ctl_walk_rows_cb, &w, &res,
	    &err);
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

	while ((ch = getopt_long(argc, argv, "+s:hV", longopts, NULL)) != -1) {
		switch (ch) {
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
