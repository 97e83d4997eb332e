/*
 * cmd_v3.c - snmpmgrctl's SNMPv3 pieces: the Net-SNMP-style flags of an
 * ad-hoc target (-u -l -a -A -x -X -e -E -n -Z, as snmpcmd(1) spells
 * them), turned into the session keys of doc/protocol.md, and the
 * commands discover (snmp.discover) and hash (usm.hash).
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/limits.h"
#include "ctl.h"

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
ctl_v3_opt(struct ctl_v3 *v, int ch, const char *arg, bool n_is_context,
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
		v->auth_pw = arg;
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
		v->priv_pw = arg;
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
		v->auth_key = arg;
		break;
	case CTL_LONG_V3_PRIV_KEY:
		v->priv_key = arg;
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

/* The auth and priv keys shared by a target and usm.hash's params. */
static void
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

/* discover SESSION|-H ...: engine ID, boots and time (snmp.discover). */
int
ctl_cmd_discover(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	json_t	*params;
	int	 i;

	if ((params = ctl_target_args(ctl, cmd, argc, argv, &i)) == NULL)
		return CTL_EXIT_USAGE;
	if (i != argc) {
		json_decref(params);
		return ctl_cmd_usage(cmd, "unexpected arguments");
	}
	return ctl_rpc_print(ctl, cmd->method, params);
}

/*
 * hash -a PROTO -e ENGINEID -A PASS [-x PROTO -X PASS] [--key-extension
 * EXT]: localized and master keys for a config (usm.hash).
 */
int
ctl_cmd_hash(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "json",		no_argument,	   NULL, 'j' },
		{ "key-extension",	required_argument, NULL, 'K' },
		{ "auth-key",		required_argument, NULL, 'k' },
		{ "priv-key",		required_argument, NULL, 'p' },
		{ NULL,			0,		   NULL, 0 },
	};
	struct ctl_v3	 v;
	json_t		*params;
	int		 ch;

	memset(&v, 0, sizeof(v));
	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+ha:A:x:X:e:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctl->json = 1;
			break;
		case 'K':
			if (ctl_v3_opt(&v, CTL_LONG_V3_KEYEXT, optarg, false,
			    cmd) == -1)
				return CTL_EXIT_USAGE;
			break;
		case 'k':
			v.auth_key = optarg;
			break;
		case 'p':
			v.priv_key = optarg;
			break;
		case 'a':
		case 'A':
		case 'x':
		case 'X':
		case 'e':
			if (ctl_v3_opt(&v, ch, optarg, false, cmd) == -1)
				return CTL_EXIT_USAGE;
			break;
		default:
			return ctl_cmd_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return ctl_cmd_usage(cmd, "unexpected arguments");
	if (v.engine_id == NULL || (v.auth_pw == NULL && v.auth_key == NULL))
		return ctl_cmd_usage(cmd, "-e ENGINEID and -A PASS are needed");
	if ((params = json_object()) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return CTL_EXIT_USAGE;
	}
	ctl_json_set_str(params, "engine_id", v.engine_id);
	ctl_v3_keys(&v, params);
	return ctl_rpc_print(ctl, cmd->method, params);
}
