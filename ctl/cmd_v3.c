/*
 * cmd_v3.c - snmpmgrctl's SNMPv3 commands: discover (snmp.discover), the
 * engine ID, boots and time of an agent, and hash (usm.hash), the keys a
 * config can hold instead of passwords.  The SNMPv3 flags of an ad-hoc
 * target are read in args.c.
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
#include "rpc.h"

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
 * EXT]: localized and master keys for a config (usm.hash).  The passwords
 * may come from files or the environment instead, as for a target; the
 * keys (--auth-key, --priv-key) are master keys.
 */
int
ctl_cmd_hash(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "json",		no_argument,	   NULL, 'j' },
		{ "key-extension",	required_argument, NULL,
		    CTL_LONG_V3_KEYEXT },
		{ "auth-key",		required_argument, NULL,
		    CTL_LONG_V3_AUTH_KEY },
		{ "priv-key",		required_argument, NULL,
		    CTL_LONG_V3_PRIV_KEY },
		{ "auth-password-file",	required_argument, NULL,
		    CTL_LONG_V3_AUTH_FILE },
		{ "priv-password-file",	required_argument, NULL,
		    CTL_LONG_V3_PRIV_FILE },
		{ NULL,			0,		   NULL, 0 },
	};
	struct ctl_v3	 v;
	json_t		*params;
	int		 ch;

	memset(&v, 0, sizeof(v));
	ctl_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+ha:A:x:X:e:", longopts,
	    NULL)) != -1) {
		if (ch == 'j') {
			ctl->json = 1;
			continue;
		}
		/* Every option of hash's but -h is an SNMPv3 flag. */
		switch (ctl_v3_opt(&v, ch, optarg, false, cmd)) {
		case 1:
			continue;
		case -1:
			return CTL_EXIT_USAGE;
		}
		return ctl_cmd_usage(cmd, NULL);
	}
	if (optind != argc)
		return ctl_cmd_usage(cmd, "unexpected arguments");
	if (ctl_v3_secrets(&v, cmd, true) == -1)
		return CTL_EXIT_USAGE;
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
