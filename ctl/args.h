/*
 * args.h - how snmpmgrctl reads a command's arguments (args.c): numbers,
 * the common options, the target of an snmp.* command (a session operand
 * or an ad-hoc -H target with -v -c -t --retries), the SNMPv3 flags of
 * an ad-hoc target as Net-SNMP spells them, and OID TYPE VALUE triples.
 *
 * Secrets (-A, -X, -c, --auth-key, --priv-key) are copied as they are
 * read and blanked in argv, so that ps(1) and /proc/PID/cmdline do not
 * show them; where no flag gives one, it comes from a file
 * (--auth-password-file, --priv-password-file, --community-file) or else
 * from the environment (CTL_ENV_*).
 *
 * Every function here that fails has printed a usage message (or the
 * reason) on stderr; the command then exits with status 2.
 */
#ifndef SNMPMGRCTL_ARGS_H
#define SNMPMGRCTL_ARGS_H

#include <stdbool.h>

#include <jansson.h>

struct ctl;
struct ctl_cmd;

/* Secrets not given as flags or files (SNMPv3 targets, hash). */
#define CTL_ENV_AUTH		"SNMPMGR_AUTH_PASSWORD"
#define CTL_ENV_PRIV		"SNMPMGR_PRIV_PASSWORD"
/* The community of an ad-hoc SNMPv1 or SNMPv2c target. */
#define CTL_ENV_COMMUNITY	"SNMPMGR_COMMUNITY"

/* Options a command may take (struct ctl_cmd's opts). */
#define CTL_OPT_TARGET	0x01	/* -H -v -c -t --retries: an ad-hoc target */
#define CTL_OPT_RETRY_R	0x02	/* -r RETRIES */
#define CTL_OPT_BULK	0x04	/* -n NONREP -r MAXREP */
#define CTL_OPT_WALK	0x08	/* --limit --start-oid ... -r MAXREP */
#define CTL_OPT_STORE	0x10	/* --store */

/*
 * SNMPv3 flags of an ad-hoc target, Net-SNMP style: -u USER, -l LEVEL,
 * -a PROTO, -A PASS, -x PROTO, -X PASS, -e ENGINEID, -E CONTEXTENGINEID,
 * -n CONTEXT (--context on getbulk, where -n is non-repeaters),
 * -Z BOOTS,TIME, --auth-key/--priv-key HEX, --key-type localized|master,
 * --key-extension blumenthal|reeder|auto, --auth-password-file FILE,
 * --priv-password-file FILE.
 */
#define CTL_V3_GETOPT		"u:l:a:A:x:X:e:E:Z:"
enum {
	CTL_LONG_V3_CONTEXT = 400,
	CTL_LONG_V3_AUTH_KEY,
	CTL_LONG_V3_PRIV_KEY,
	CTL_LONG_V3_KEY_TYPE,
	CTL_LONG_V3_KEYEXT,
	CTL_LONG_V3_AUTH_FILE,
	CTL_LONG_V3_PRIV_FILE,
};
#define CTL_V3_LONGOPTS \
	{ "context", required_argument, NULL, CTL_LONG_V3_CONTEXT }, \
	{ "auth-key", required_argument, NULL, CTL_LONG_V3_AUTH_KEY }, \
	{ "priv-key", required_argument, NULL, CTL_LONG_V3_PRIV_KEY }, \
	{ "key-type", required_argument, NULL, CTL_LONG_V3_KEY_TYPE }, \
	{ "key-extension", required_argument, NULL, CTL_LONG_V3_KEYEXT }, \
	{ "auth-password-file", required_argument, NULL, \
	    CTL_LONG_V3_AUTH_FILE }, \
	{ "priv-password-file", required_argument, NULL, \
	    CTL_LONG_V3_PRIV_FILE }

struct ctl_v3 {
	const char	*user, *level, *auth, *auth_pw, *auth_key;
	const char	*priv, *priv_pw, *priv_key, *key_type, *keyext;
	const char	*engine_id, *ctx_engine_id, *context, *boots_time;
	const char	*auth_file, *priv_file;	/* files holding the passwords */
	int		 given;
};

/* A command's options, as ctl_parse_opts() found them. */
struct ctl_req {
	const char	*host;
	const char	*version;
	const char	*community;
	const char	*community_file;
	const char	*timeout;
	long long	 retries;	/* -1: not given */
	long long	 non_repeaters;
	long long	 max_repetitions;
	long long	 limit;
	const char	*start_oid;
	int		 inside_range;	/* -1: the session's */
	int		 use_getnext;
	int		 store;		/* --store: keep the values */
	struct ctl_v3	 v3;		/* -u -l -a -A -x -X ... */
	/* -H dtls:...: --cert --key --ca --fingerprint --server-name */
	const char	*tls_cert, *tls_key, *tls_ca, *tls_fp, *tls_name;
};

/* Report a usage error for one command; returns the exit status (2). */
int		 ctl_cmd_usage(const struct ctl_cmd *cmd, const char *why);
/* A decimal integer within [min, max].  0 or -1. */
int		 ctl_number(const char *s, long long min, long long max,
		    long long *out);
/* Make getopt start over on a command's own argument vector. */
void		 ctl_getopt_reset(void);
/* -O ARG, global or after a command: "n" (numeric OIDs).  0, or -1
 * with a message. */
int		 ctl_output_opt(const char *arg);
/* obj[key] = value as a JSON string, unless value is NULL. */
void		 ctl_json_set_str(json_t *obj, const char *key,
		    const char *value);

/*
 * Parse a command's options into req, as cmd->opts allows (--json and
 * --verbose always).  Returns the index of the first operand in argv
 * (argv[0] is the command name), or -1.
 */
int		 ctl_parse_opts(struct ctl *, const struct ctl_cmd *,
		    struct ctl_req *req, int argc, char **argv);
/*
 * Only --json (and -h, and --FLAGNAME setting *flag when flagname is not
 * NULL), anywhere among the operands.  The index of the first operand,
 * or -1.
 */
int		 ctl_plain_opts(struct ctl *, const struct ctl_cmd *, int argc,
		    char **argv, int *flag, const char *flagname);
/*
 * Start the params of an snmp.* request with its target: argv[*i] names
 * a session unless -H gave an ad-hoc one; *i gets the next operand, which
 * must not look like an option (ctl_late_option).  NULL on error.
 */
json_t		*ctl_target_params(const struct ctl_cmd *,
		    struct ctl_req *req, int argc, char **argv, int *i);
/*
 * An operand where an OID goes (or a table, a trap OID) that looks like an
 * option ("-v", "--limit"): options come before the operands, so it was
 * given too late.  -1 after saying so (a usage error), else 0.
 */
int		 ctl_late_option(const struct ctl_cmd *cmd, const char *arg);
/* ctl_parse_opts(), then ctl_target_params(). */
json_t		*ctl_target_args(struct ctl *, const struct ctl_cmd *, int,
		    char **, int *i);
/*
 * argv[i..argc) as OID TYPE VALUE triples (TYPE a Net-SNMP letter or a
 * type name of doc/protocol.md) into params["varbinds"], as snmp.set,
 * snmp.trap and snmp.inform take them.  0, or -1.
 */
int		 ctl_varbind_args(const struct ctl_cmd *cmd, int argc,
		    char **argv, int i, json_t *params);

/*
 * One option of getopt: 1 taken, 0 not a v3 flag, -1 bad.  A secret arg
 * is copied and blanked in place.
 */
int		 ctl_v3_opt(struct ctl_v3 *, int ch, char *arg,
		    bool n_is_context, const struct ctl_cmd *);
/*
 * The auth and priv passwords not given as flags (nor replaced by keys):
 * from their files, else, when use_env, from $SNMPMGR_AUTH_PASSWORD and
 * $SNMPMGR_PRIV_PASSWORD.  0, or -1 when a file cannot be read.
 */
int		 ctl_v3_secrets(struct ctl_v3 *, const struct ctl_cmd *,
		    bool use_env);
/* The flags given as keys of a target object.  0, or -1. */
int		 ctl_v3_target(const struct ctl_v3 *, const struct ctl_cmd *,
		    json_t *target);
/* The auth and priv keys (protocols, passwords, keys) into o. */
void		 ctl_v3_keys(const struct ctl_v3 *, json_t *o);

#endif /* SNMPMGRCTL_ARGS_H */
