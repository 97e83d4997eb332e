/*
 * ctl.h - the pieces of snmpmgrctl shared between its files: a blocking
 * connection to snmpmgrd's control socket that sends one JSON-RPC request
 * per line and reads replies and notifications line by line (conn.c), and
 * the human renderings of results (print.c).
 *
 * snmpmgrctl is a short-lived client: the functions here report problems
 * on stderr themselves and return -1 or NULL, and main() turns that into
 * exit status 2 (SPEC.md section 8).
 */
#ifndef SNMPMGRCTL_CTL_H
#define SNMPMGRCTL_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Exit statuses of SPEC.md section 8. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_ERROR		1	/* an error reply or an agent error */
#define CTL_EXIT_USAGE		2	/* usage or connection problem */

/* Default socket when neither -s nor $SNMPMGRD_SOCKET is given. */
#define CTL_DEFAULT_SOCKET	"/run/snmpmgrd/control.sock"

struct ctl_conn;

/* One run of snmpmgrctl: its global options and its connection. */
struct ctl {
	const char	*socket;
	int		 json;
	int		 verbose;
	struct ctl_conn	*conn;
	json_int_t	 id;
	/* ctl_rpc: on SIGINT, ask the daemon to cancel the request
	 * (request.cancel) and go on waiting for its reply. */
	int		 cancel_on_sigint;
};

/* A command of the table in snmpmgrctl.c. */
struct ctl_cmd {
	const char	*name;
	int		(*fn)(struct ctl *, const struct ctl_cmd *, int, char **);
	unsigned int	 opts;
	const char	*method;
	const char	*args;
	const char	*help;
};

/* Called with each notification that carries our request id. */
typedef void	(*ctl_notify_cb)(struct ctl *, const char *method,
		    json_t *params, void *arg);

/*
 * Send method(params) and wait for its reply, passing notifications that
 * carry our id to cb.  params is consumed.  Returns 0 with *resultp set
 * (caller's reference), 1 after an error reply (printed; its error object
 * in *errorp if errorp is not NULL), or 2 on a connection problem.
 */
int		 ctl_rpc(struct ctl *ctl, const char *method, json_t *params,
		    ctl_notify_cb cb, void *arg, json_t **resultp,
		    json_t **errorp);
/*
 * ctl_rpc(), then print the result as JSON (--json) or as an indented
 * tree.  params is consumed.  Returns the exit status.
 */
int		 ctl_rpc_print(struct ctl *ctl, const char *method,
		    json_t *params);
/* Report a usage error for one command; returns the exit status (2). */
int		 ctl_cmd_usage(const struct ctl_cmd *cmd, const char *why);
/* A decimal integer within [min, max].  0 or -1. */
int		 ctl_number(const char *s, long long min, long long max,
		    long long *out);
/* Make getopt start over on a command's own argument vector. */
void		 ctl_getopt_reset(void);
/* obj[key] = value as a JSON string, unless value is NULL. */
void		 ctl_json_set_str(json_t *obj, const char *key,
		    const char *value);
/*
 * argv[i..argc) as OID TYPE VALUE triples (TYPE a Net-SNMP letter or a
 * type name of doc/protocol.md) into params["varbinds"], as snmp.set,
 * snmp.trap and snmp.inform take them.  0, or -1 after a usage message.
 */
int		 ctl_varbind_args(const struct ctl_cmd *cmd, int argc,
		    char **argv, int i, json_t *params);

/*
 * Connect to the control socket at path.  NULL (reason on stderr) if the
 * path is too long for a sockaddr_un or nobody listens there.
 */
struct ctl_conn	*ctl_conn_new(const char *path);
void		 ctl_conn_free(struct ctl_conn *);
/* The connection's socket. */
int		 ctl_conn_fd(const struct ctl_conn *);

/* Send msg as one compact JSON line.  0, or -1 (reason on stderr). */
int		 ctl_conn_send(struct ctl_conn *, const json_t *msg);

/*
 * Wait for the next complete line from the daemon and parse it.  Returns a
 * new reference owned by the caller, or NULL (reason on stderr) when the
 * daemon closed the connection, the line is not a JSON object or exceeds
 * SNMPMGR_MAX_CTL_OUTPUT bytes, or reading failed.
 */
json_t		*ctl_conn_recv(struct ctl_conn *);

/* "noError", "tooBig", ... for an SNMP error-status (RFC 3416 3), or NULL. */
const char	*ctl_error_status_name(long long status);

/*
 * One varbind of doc/protocol.md as snmpwalk -On prints it:
 * ".1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45".
 */
void		 ctl_print_varbind(FILE *, const json_t *vb);
/* Every varbind of a JSON array, one line each.  Returns how many. */
size_t		 ctl_print_varbinds(FILE *, const json_t *vbs, int as_json);

/* An object as indented "key: value" lines (daemon.status, session.show). */
void		 ctl_print_tree(FILE *, const json_t *obj, int indent);
/* The rows of session.list as an aligned table. */
void		 ctl_print_sessions(FILE *, const json_t *rows);

/* One compact JSON text and a newline. */
void		 ctl_print_json(FILE *, const json_t *);

/* Commands in cmd_poll.c. */
int		 ctl_cmd_watch(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_sessions_state(struct ctl *, const struct ctl_cmd *,
		    int, char **);
int		 ctl_cmd_results(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_value(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_add(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_session_op(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_set_option(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_noargs(struct ctl *, const struct ctl_cmd *, int,
		    char **);

/* Commands in cmd_traps.c. */
int		 ctl_cmd_stats(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_traps(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_notify(struct ctl *, const struct ctl_cmd *, int,
		    char **);
/* The target of an snmp.* command from its options and first operand
 * (snmpmgrctl.c); *i gets the next operand.  NULL after a usage message. */
json_t		*ctl_target_args(struct ctl *, const struct ctl_cmd *, int,
		    char **, int *i);

/*
 * SNMPv3 flags of an ad-hoc target, Net-SNMP style (cmd_v3.c): -u USER,
 * -l LEVEL, -a PROTO, -A PASS, -x PROTO, -X PASS, -e ENGINEID,
 * -E CONTEXTENGINEID, -n CONTEXT (--context on getbulk, where -n is
 * non-repeaters), -Z BOOTS,TIME, --auth-key/--priv-key HEX, --key-type
 * localized|master, --key-extension blumenthal|reeder|auto.
 */
#define CTL_V3_GETOPT		"u:l:a:A:x:X:e:E:Z:"
enum {
	CTL_LONG_V3_CONTEXT = 400,
	CTL_LONG_V3_AUTH_KEY,
	CTL_LONG_V3_PRIV_KEY,
	CTL_LONG_V3_KEY_TYPE,
	CTL_LONG_V3_KEYEXT,
};
#define CTL_V3_LONGOPTS \
	{ "context", required_argument, NULL, CTL_LONG_V3_CONTEXT }, \
	{ "auth-key", required_argument, NULL, CTL_LONG_V3_AUTH_KEY }, \
	{ "priv-key", required_argument, NULL, CTL_LONG_V3_PRIV_KEY }, \
	{ "key-type", required_argument, NULL, CTL_LONG_V3_KEY_TYPE }, \
	{ "key-extension", required_argument, NULL, CTL_LONG_V3_KEYEXT }

struct ctl_v3 {
	const char	*user, *level, *auth, *auth_pw, *auth_key;
	const char	*priv, *priv_pw, *priv_key, *key_type, *keyext;
	const char	*engine_id, *ctx_engine_id, *context, *boots_time;
	int		 given;
};

/* One option of getopt: 1 taken, 0 not a v3 flag, -1 bad (usage shown). */
int		 ctl_v3_opt(struct ctl_v3 *, int ch, const char *arg,
		    bool n_is_context, const struct ctl_cmd *);
/* The flags given as keys of a target object.  0, or -1 (usage shown). */
int		 ctl_v3_target(const struct ctl_v3 *, const struct ctl_cmd *,
		    json_t *target);
int		 ctl_cmd_discover(struct ctl *, const struct ctl_cmd *, int,
		    char **);
int		 ctl_cmd_hash(struct ctl *, const struct ctl_cmd *, int,
		    char **);

#endif /* SNMPMGRCTL_CTL_H */
