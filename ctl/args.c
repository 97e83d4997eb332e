/*
 * args.c - how snmpmgrctl reads a command's arguments: the options a
 * command's table entry allows, the target of an snmp.* command (a
 * session, or an ad-hoc -H target turned into the session keys of
 * doc/protocol.md), the SNMPv3 flags of such a target as snmpcmd(1)
 * spells them (-u -l -a -A -x -X -e -E -n -Z), and OID TYPE VALUE
 * triples for set, trap and inform.
 *
 * Secrets on the command line are visible to every local user (ps(1),
 * /proc/PID/cmdline) for as long as the process runs.  Like Net-SNMP's
 * tools, snmpmgrctl copies each one (-A, -X, -c, --auth-key, --priv-key)
 * the moment getopt hands it over and overwrites it in argv with NUL
 * bytes; the copies are wiped at exit.  Better still, a secret can come
 * from the first line of a file or from the environment: the flag wins,
 * then the file, then the environment.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/limits.h"
#include "args.h"
#include "ctl.h"
#include "print.h"

/* The first line of a secret file is read up to this many bytes. */
#define CTL_SECRET_FILE_MAX	4096

/* The kinds of secret, each kept once (a later flag replaces it). */
enum ctl_secret {
	CTL_SECRET_AUTH,
	CTL_SECRET_PRIV,
	CTL_SECRET_AUTH_KEY,
	CTL_SECRET_PRIV_KEY,
	CTL_SECRET_COMMUNITY,
	CTL_SECRET_N
};

/* The copies of the secrets, wiped at exit. */
static char	*ctl_secrets[CTL_SECRET_N];

/* Where a secret comes from when no flag gives it. */
static const struct {
	const char	*file_opt;
	const char	*env;
} ctl_secret_srcs[CTL_SECRET_N] = {
	[CTL_SECRET_AUTH] = { "--auth-password-file", CTL_ENV_AUTH },
	[CTL_SECRET_PRIV] = { "--priv-password-file", CTL_ENV_PRIV },
	[CTL_SECRET_COMMUNITY] = { "--community-file", CTL_ENV_COMMUNITY },
};

/* Net-SNMP's type letters for set (doc/protocol.md snmp.set). */
static const char ctl_set_letters[] = "iutaosxdncCU";
static const char *const ctl_set_names[] = {
	"Integer32", "OCTET STRING", "NULL", "OBJECT IDENTIFIER", "IpAddress",
	"Counter32", "Gauge32", "TimeTicks", "Opaque", "NsapAddress",
	"Counter64", "UInteger32",
};

/* Overwrite n bytes at p in a way the compiler keeps. */
static void
ctl_wipe(void *p, size_t n)
{
	volatile unsigned char	*v = p;

	while (n-- > 0)
		*v++ = 0;
}

static void
ctl_secrets_wipe(void)
{
	size_t	 i;

	for (i = 0; i < CTL_SECRET_N; i++) {
		if (ctl_secrets[i] == NULL)
			continue;
		ctl_wipe(ctl_secrets[i], strlen(ctl_secrets[i]));
		free(ctl_secrets[i]);
		ctl_secrets[i] = NULL;
	}
}

/*
 * Keep a copy of len bytes at s as the secret of this kind, in place of
 * one kept before.  The copy, or NULL when out of memory.
 */
static const char *
ctl_secret_keep(enum ctl_secret kind, const char *s, size_t len)
{
	static int	 registered;
	char		*copy;

	if (!registered && atexit(ctl_secrets_wipe) == 0)
		registered = 1;
	if ((copy = malloc(len + 1)) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return NULL;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	if (ctl_secrets[kind] != NULL) {
		ctl_wipe(ctl_secrets[kind], strlen(ctl_secrets[kind]));
		free(ctl_secrets[kind]);
	}
	ctl_secrets[kind] = copy;
	return copy;
}

/*
 * A secret given as an option's argument: keep a copy and blank the
 * argument where it stands in argv (getopt is done with it).
 */
static const char *
ctl_secret_arg(enum ctl_secret kind, char *arg)
{
	const char	*copy;
	size_t		 len = strlen(arg);

	copy = ctl_secret_keep(kind, arg, len);
	ctl_wipe(arg, len);
	return copy;
}

/*
 * The first line of the file at path, without its newline (nor a
 * carriage return before it), kept as the secret of this kind.  NULL
 * after a message when the file cannot be read, its first line is too
 * long or holds a NUL byte.
 */
static const char *
ctl_secret_file(enum ctl_secret kind, const struct ctl_cmd *cmd,
    const char *path)
{
	char		 buf[CTL_SECRET_FILE_MAX];
	const char	*opt = ctl_secret_srcs[kind].file_opt;
	const char	*nl = NULL, *copy = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	while ((nl = memchr(buf, '\n', len)) == NULL && len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (nl != NULL)
		len = (size_t)(nl - buf);
	else if (len == sizeof(buf)) {
		fprintf(stderr, "snmpmgrctl: %s: %s %s: the first line is "
		    "longer than %d bytes\n", cmd->name, opt, path,
		    CTL_SECRET_FILE_MAX - 1);
		goto done;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (memchr(buf, '\0', len) != NULL) {
		fprintf(stderr, "snmpmgrctl: %s: %s %s: the first line holds "
		    "a NUL byte\n", cmd->name, opt, path);
		goto done;
	}
	copy = ctl_secret_keep(kind, buf, len);
	goto done;
 fail:
	fprintf(stderr, "snmpmgrctl: %s: cannot read %s %s: %s\n", cmd->name,
	    opt, path, strerror(errno));
 done:
	ctl_wipe(buf, sizeof(buf));
	return copy;
}

/*
 * A secret no flag gave (*slot NULL): from file when it is not NULL, else,
 * when use_env, from the environment (unless empty there).  0, or -1
 * after a message.
 */
static int
ctl_secret_fill(const char **slot, enum ctl_secret kind, const char *file,
    bool use_env, const struct ctl_cmd *cmd)
{
	const char	*env;

	if (*slot != NULL)
		return 0;
	if (file != NULL)
		return (*slot = ctl_secret_file(kind, cmd, file)) == NULL ?
		    -1 : 0;
	if (use_env && (env = getenv(ctl_secret_srcs[kind].env)) != NULL &&
	    env[0] != '\0')
		*slot = env;
	return 0;
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
	CTL_LONG_COMMUNITY_FILE,
	CTL_LONG_TLS_CERT,
	CTL_LONG_TLS_KEY,
	CTL_LONG_TLS_CA,
	CTL_LONG_TLS_FP,
	CTL_LONG_TLS_NAME,
	CTL_LONG_STORE,
};

int
ctl_output_opt(const char *arg)
{
	if (strcmp(arg, "n") != 0) {
		fprintf(stderr, "snmpmgrctl: -O%s: only -On (numeric OIDs) is "
		    "supported\n", arg);
		return -1;
	}
	ctl_print_numeric = 1;
	return 0;
}

/*
 * Parse a command's options into req.  Returns the index of the first
 * operand in argv (argv[0] is the command name), or -1 after a usage
 * message.
 */
int
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
		{ "store",		no_argument,	   NULL, CTL_LONG_STORE },
		{ "community-file",	required_argument, NULL,
		    CTL_LONG_COMMUNITY_FILE },
		{ "cert",		required_argument, NULL, CTL_LONG_TLS_CERT },
		{ "key",		required_argument, NULL, CTL_LONG_TLS_KEY },
		{ "ca",			required_argument, NULL, CTL_LONG_TLS_CA },
		{ "fingerprint",	required_argument, NULL, CTL_LONG_TLS_FP },
		{ "server-name",	required_argument, NULL,
		    CTL_LONG_TLS_NAME },
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
	while ((ch = getopt_long(argc, argv, "+hH:v:c:t:n:r:O:" CTL_V3_GETOPT,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'O':
			if (ctl_output_opt(optarg) == -1) {
				ctl_cmd_usage(cmd, "-O takes n (numeric OIDs)");
				return -1;
			}
			continue;
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
				if ((req->community = ctl_secret_arg(
				    CTL_SECRET_COMMUNITY, optarg)) == NULL)
					return -1;
				continue;
			case CTL_LONG_COMMUNITY_FILE:
				req->community_file = optarg;
				continue;
			case CTL_LONG_TLS_CERT:
				req->tls_cert = optarg;
				continue;
			case CTL_LONG_TLS_KEY:
				req->tls_key = optarg;
				continue;
			case CTL_LONG_TLS_CA:
				req->tls_ca = optarg;
				continue;
			case CTL_LONG_TLS_FP:
				req->tls_fp = optarg;
				continue;
			case CTL_LONG_TLS_NAME:
				req->tls_name = optarg;
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
		if (ch == CTL_LONG_STORE && (o & CTL_OPT_STORE) != 0) {
			req->store = 1;
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
 * Parse only --json (and -h) for a command with plain operands; returns
 * the index of the first operand, or -1 after a usage message.
 */
int
ctl_plain_opts(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
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

/*
 * An ad-hoc target from -H: "host", "host:port", "[v6addr]:port", a bare
 * IPv6 address, each optionally prefixed "udp:", "udp6:", "tcp:",
 * "tcp6:" or "dtls:" (a bracketed or bare IPv6 address without one is
 * udp6; dtls: takes both families).
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
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		transport = "tcp";
		spec += 4;
	} else if (strncmp(spec, "tcp6:", 5) == 0) {
		transport = "tcp6";
		spec += 5;
	} else if (strncmp(spec, "dtls:", 5) == 0) {
		transport = "dtls";
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
	ctl_json_set_str(t, "cert", req->tls_cert);
	ctl_json_set_str(t, "key", req->tls_key);
	ctl_json_set_str(t, "ca", req->tls_ca);
	ctl_json_set_str(t, "server_fingerprint", req->tls_fp);
	ctl_json_set_str(t, "server_name", req->tls_name);
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
json_t *
ctl_target_params(const struct ctl_cmd *cmd, struct ctl_req *req,
    int argc, char **argv, int *i)
{
	json_t	*params, *t;
	bool	 v3;

	if ((params = json_object()) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return NULL;
	}
	if (req->host != NULL) {
		/*
		 * The secrets no flag gave: from their files, else from the
		 * environment, the passwords for an SNMPv3 target and the
		 * community for the others.
		 */
		v3 = req->version != NULL ? strcmp(req->version, "3") == 0 :
		    req->v3.given != 0;
		if (ctl_secret_fill(&req->community, CTL_SECRET_COMMUNITY,
		    req->community_file, !v3, cmd) == -1 ||
		    ctl_v3_secrets(&req->v3, cmd, v3) == -1 ||
		    (t = ctl_target_json(cmd, req)) == NULL)
			goto fail;
		json_object_set_new(params, "target", t);
		if (*i < argc && ctl_late_option(cmd, argv[*i]) == -1)
			goto fail;
		return params;
	}
	if (req->version != NULL || req->community != NULL ||
	    req->community_file != NULL || req->timeout != NULL ||
	    req->retries >= 0 || req->v3.given || req->tls_cert != NULL ||
	    req->tls_key != NULL || req->tls_ca != NULL ||
	    req->tls_fp != NULL || req->tls_name != NULL) {
		ctl_cmd_usage(cmd, "-v, -c, -t, retries, the SNMPv3 and the "
		    "DTLS flags need -H");
		goto fail;
	}
	if (*i >= argc) {
		ctl_cmd_usage(cmd, "missing SESSION");
		goto fail;
	}
	json_object_set_new(params, "session", json_string(argv[(*i)++]));
	if (*i < argc && ctl_late_option(cmd, argv[*i]) == -1)
		goto fail;
	return params;
fail:
	json_decref(params);
	return NULL;
}

int
ctl_late_option(const struct ctl_cmd *cmd, const char *arg)
{
	char	 why[128];

	/* No OID starts with '-'; "-" alone is no option either. */
	if (arg[0] != '-' || arg[1] == '\0')
		return 0;
	snprintf(why, sizeof(why), "option \"%.40s\" after an operand: "
	    "options come first", arg);
	ctl_cmd_usage(cmd, why);
	return -1;
}

/*
 * The target options and operand of an snmp.* command: the params object
 * with "session" or "target", and *i the next operand; NULL after a usage
 * message.
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
		if (ctl_late_option(cmd, argv[i]) == -1)
			return -1;
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

/* Lower case without '-' and '_': "SHA-256" and "sha256" are one. */
static void
ctl_v3_fold(const char *s, char *buf, size_t size)
{
	size_t	 n = 0;

	for (; *s != '\0' && n + 1 < size; s++)
		if (*s != '-' && *s != '_')
			buf[n++] = (char)tolower((unsigned char)*s);
	buf[n] = '\0';
}

/* Net-SNMP's -a names to ours (SPEC.md 2). */
static const char *
ctl_v3_auth(const char *s)
{
	static const char *const tab[][2] = {
		{ "md5", "md5" }, { "sha", "sha" }, { "sha1", "sha" },
		{ "sha224", "sha224" }, { "sha256", "sha256" },
		{ "sha384", "sha384" }, { "sha512", "sha512" },
	};
	char	 f[32];
	size_t	 i;

	ctl_v3_fold(s, f, sizeof(f));
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(f, tab[i][0]) == 0)
			return tab[i][1];
	return NULL;
}

/*
 * Net-SNMP's -x names to ours; *reeder for its "-C" forms (AES-192-C,
 * AES-256-C: Reeder key extension).
 */
static const char *
ctl_v3_priv(const char *s, int *reeder)
{
	static const struct {
		const char	*in, *out;
		int		 reeder;
	} tab[] = {
		{ "des", "des", 0 }, { "3des", "3des", 0 },
		{ "3desede", "3des", 0 }, { "aes", "aes", 0 },
		{ "aes128", "aes", 0 }, { "aes192", "aes192", 0 },
		{ "aes256", "aes256", 0 }, { "aes192c", "aes192", 1 },
		{ "aes256c", "aes256", 1 },
	};
	char	 f[32];
	size_t	 i;

	ctl_v3_fold(s, f, sizeof(f));
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(f, tab[i].in) == 0) {
			*reeder = tab[i].reeder;
			return tab[i].out;
		}
	return NULL;
}

/* -l: noAuthNoPriv, authNoPriv, authPriv (or 1, 2, 3). */
static const char *
ctl_v3_level(const char *s)
{
	char	 f[32];

	ctl_v3_fold(s, f, sizeof(f));
	if (strcmp(f, "noauthnopriv") == 0 || strcmp(f, "noauth") == 0 ||
	    strcmp(f, "1") == 0)
		return "noAuthNoPriv";
	if (strcmp(f, "authnopriv") == 0 || strcmp(f, "auth") == 0 ||
	    strcmp(f, "2") == 0)
		return "authNoPriv";
	if (strcmp(f, "authpriv") == 0 || strcmp(f, "priv") == 0 ||
	    strcmp(f, "3") == 0)
		return "authPriv";
	return NULL;
}

int
ctl_v3_opt(struct ctl_v3 *v, int ch, char *arg, bool n_is_context,
    const struct ctl_cmd *cmd)
{
	int	 reeder = 0;

	switch (ch) {
	case 'u':
		v->user = arg;
		break;
	case 'l':
		if ((v->level = ctl_v3_level(arg)) == NULL) {
			ctl_cmd_usage(cmd, "-l takes noAuthNoPriv, authNoPriv "
			    "or authPriv");
			return -1;
		}
		break;
	case 'a':
		if ((v->auth = ctl_v3_auth(arg)) == NULL) {
			ctl_cmd_usage(cmd, "-a takes MD5, SHA, SHA-224, "
			    "SHA-256, SHA-384 or SHA-512");
			return -1;
		}
		break;
	case 'A':
		if ((v->auth_pw = ctl_secret_arg(CTL_SECRET_AUTH, arg)) == NULL)
			return -1;
		break;
	case 'x':
		if ((v->priv = ctl_v3_priv(arg, &reeder)) == NULL) {
			ctl_cmd_usage(cmd, "-x takes DES, 3DES, AES, AES-192, "
			    "AES-256, AES-192-C or AES-256-C");
			return -1;
		}
		if (reeder)
			v->keyext = "reeder";
		break;
	case 'X':
		if ((v->priv_pw = ctl_secret_arg(CTL_SECRET_PRIV, arg)) == NULL)
			return -1;
		break;
	case 'e':
		v->engine_id = arg;
		break;
	case 'E':
		v->ctx_engine_id = arg;
		break;
	case 'n':
		if (!n_is_context)
			return 0;
		v->context = arg;
		break;
	case 'Z':
		v->boots_time = arg;
		break;
	case CTL_LONG_V3_CONTEXT:
		v->context = arg;
		break;
	case CTL_LONG_V3_AUTH_KEY:
		if ((v->auth_key = ctl_secret_arg(CTL_SECRET_AUTH_KEY,
		    arg)) == NULL)
			return -1;
		break;
	case CTL_LONG_V3_PRIV_KEY:
		if ((v->priv_key = ctl_secret_arg(CTL_SECRET_PRIV_KEY,
		    arg)) == NULL)
			return -1;
		break;
	case CTL_LONG_V3_AUTH_FILE:
		v->auth_file = arg;
		break;
	case CTL_LONG_V3_PRIV_FILE:
		v->priv_file = arg;
		break;
	case CTL_LONG_V3_KEY_TYPE:
		if (strcmp(arg, "localized") != 0 &&
		    strcmp(arg, "master") != 0) {
			ctl_cmd_usage(cmd, "--key-type takes localized or "
			    "master");
			return -1;
		}
		v->key_type = arg;
		break;
	case CTL_LONG_V3_KEYEXT:
		if (strcmp(arg, "blumenthal") != 0 &&
		    strcmp(arg, "reeder") != 0 && strcmp(arg, "auto") != 0) {
			ctl_cmd_usage(cmd, "--key-extension takes blumenthal, "
			    "reeder or auto");
			return -1;
		}
		v->keyext = arg;
		break;
	default:
		return 0;
	}
	v->given = 1;
	return 1;
}

int
ctl_v3_secrets(struct ctl_v3 *v, const struct ctl_cmd *cmd, bool use_env)
{
	const char	*auth = v->auth_pw, *priv = v->priv_pw;

	if ((v->auth_key == NULL && ctl_secret_fill(&v->auth_pw,
	    CTL_SECRET_AUTH, v->auth_file, use_env, cmd) == -1) ||
	    (v->priv_key == NULL && ctl_secret_fill(&v->priv_pw,
	    CTL_SECRET_PRIV, v->priv_file, use_env, cmd) == -1))
		return -1;
	/* A password from the environment makes an SNMPv3 target as well. */
	if (v->auth_pw != auth || v->priv_pw != priv)
		v->given = 1;
	return 0;
}

/* The auth and priv keys shared by a target and usm.hash's params. */
void
ctl_v3_keys(const struct ctl_v3 *v, json_t *o)
{
	ctl_json_set_str(o, "auth", v->auth);
	ctl_json_set_str(o, "auth_password", v->auth_pw);
	ctl_json_set_str(o, "auth_key", v->auth_key);
	ctl_json_set_str(o, "priv", v->priv);
	ctl_json_set_str(o, "priv_password", v->priv_pw);
	ctl_json_set_str(o, "priv_key", v->priv_key);
	ctl_json_set_str(o, "priv_key_extension", v->keyext);
}

int
ctl_v3_target(const struct ctl_v3 *v, const struct ctl_cmd *cmd, json_t *t)
{
	const char	*comma;
	long long	 boots, etime;
	char		 num[16];
	size_t		 n;

	if (!v->given)
		return 0;
	/* SNMPv3 flags mean SNMPv3 unless -v says otherwise. */
	if (json_object_get(t, "version") == NULL)
		json_object_set_new(t, "version", json_string("3"));
	ctl_json_set_str(t, "user", v->user);
	ctl_json_set_str(t, "security_level", v->level);
	ctl_v3_keys(v, t);
	if (v->auth_key != NULL)
		ctl_json_set_str(t, "auth_key_type", v->key_type);
	if (v->priv_key != NULL)
		ctl_json_set_str(t, "priv_key_type", v->key_type);
	ctl_json_set_str(t, "engine_id", v->engine_id);
	ctl_json_set_str(t, "context_engine_id", v->ctx_engine_id);
	ctl_json_set_str(t, "context_name", v->context);
	if (v->boots_time != NULL) {
		/* -Z BOOTS,TIME as snmpcmd(1). */
		if ((comma = strchr(v->boots_time, ',')) == NULL ||
		    (n = (size_t)(comma - v->boots_time)) >= sizeof(num)) {
			ctl_cmd_usage(cmd, "-Z takes BOOTS,TIME");
			return -1;
		}
		memcpy(num, v->boots_time, n);
		num[n] = '\0';
		if (ctl_number(num, 0, 2147483647, &boots) == -1 ||
		    ctl_number(comma + 1, 0, 2147483647, &etime) == -1) {
			ctl_cmd_usage(cmd, "-Z takes BOOTS,TIME");
			return -1;
		}
		json_object_set_new(t, "engine_boots", json_integer(boots));
		json_object_set_new(t, "engine_time", json_integer(etime));
	}
	return 0;
}
