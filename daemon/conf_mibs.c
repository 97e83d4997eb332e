/*
 * conf_mibs.c - the "mibs" section: which MIB modules to load and where
 * from, loaded here (mib.h) so that the polls after it can name their
 * objects.  A module that cannot be loaded is a warning the config
 * keeps (snmpmgrd -t and start-up print them), never a refusal.
 */
#include <config.h>		/* autoconf's */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "conf_int.h"
#include "mib.h"

/* Record one loading problem in the config, up to CONFIG_MAX_WARNINGS. */
static void
mibs_warn_cb(void *arg, const char *file, int line, const char *msg)
{
	struct config	*c = arg;
	char		 buf[600], **nw;

	if (c->nwarnings >= CONFIG_MAX_WARNINGS)
		return;
	if (file[0] != '\0' && line > 0)
		snprintf(buf, sizeof(buf), "mibs: %s:%d: %s", file, line, msg);
	else if (file[0] != '\0')
		snprintf(buf, sizeof(buf), "mibs: %s: %s", file, msg);
	else
		snprintf(buf, sizeof(buf), "mibs: %s", msg);
	if ((nw = realloc(c->warnings, (c->nwarnings + 1) *
	    sizeof(*nw))) == NULL)
		return;
	c->warnings = nw;
	if ((nw[c->nwarnings] = strdup(buf)) != NULL)
		c->nwarnings++;
}

/* A list of strings at key of obj into *out (malloc'ed copies). */
static int
str_list(const json_t *obj, const char *key, const struct cfg_pos *at,
    const struct config *c, bool path, char ***out, size_t *n,
    struct config_err *err)
{
	struct cfg_pos	 kat = cfg_pos_key(at, key), iat;
	const json_t	*v = json_object_get(obj, key), *e;
	const char	*s;
	size_t		 i;

	if (!json_is_array(v) || json_array_size(v) > 1024)
		return cfg_fail(err, &kat, AT_VALUE, "expected a list of up "
		    "to 1024 %s", path ? "directories" : "module names");
	if ((*out = calloc(json_array_size(v) + 1, sizeof(char *))) == NULL)
		return cfg_fail(err, &kat, AT_VALUE, "out of memory");
	json_array_foreach(v, i, e) {
		iat = cfg_pos_idx(&kat, i);
		if (cfg_str(e, &iat, 1, 4096, 0, &s, err) == -1)
			return -1;
		if (!path && strpbrk(s, "/: \t") != NULL)
			return cfg_fail(err, &iat, AT_VALUE, "expected a "
			    "module name such as \"IF-MIB\"");
		if (((*out)[i] = path ? cfg_abspath(c, s) : strdup(s)) == NULL)
			return cfg_fail(err, &iat, AT_VALUE, "out of memory");
		(*n)++;
	}
	return 0;
}

/* "mibs": { "dirs": [...], "modules": [...] | "all" }. */
int
cfg_mibs(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "dirs", "modules", NULL };
	struct config	*c = ctx->c;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_MIBS), kat;
	const json_t	*obj = ctx->sect[SECT_MIBS], *v;
	struct mib_conf	 mc;
	char		 e[256];
	int		 rv = -1;

	if (obj == NULL)
		return 0;
	memset(&mc, 0, sizeof(mc));
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "with \"dirs\" and \"modules\"");
	if (cfg_check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	if (!mib_supported())
		return cfg_fail(ctx->err, &at, AT_KEY, "MIB names are not "
		    "supported by this build (configure --with-libsmi)");
	if (json_object_get(obj, "dirs") == NULL)
		return cfg_fail(ctx->err, &at, AT_KEY, "no \"dirs\" given");
	if (str_list(obj, "dirs", &at, c, true, &mc.dirs, &mc.ndirs,
	    ctx->err) == -1)
		goto out;
	v = json_object_get(obj, "modules");
	kat = cfg_pos_key(&at, "modules");
	if (v == NULL) {
		cfg_fail(ctx->err, &at, AT_KEY, "no \"modules\" given (a list "
		    "of names, or \"all\")");
		goto out;
	}
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "all") != 0) {
			cfg_fail(ctx->err, &kat, AT_VALUE, "expected a list of "
			    "module names or \"all\"");
			goto out;
		}
		mc.all = true;
	} else if (str_list(obj, "modules", &at, c, false, &mc.modules,
	    &mc.nmodules, ctx->err) == -1)
		goto out;
	if ((c->mib = mib_load(&mc, mibs_warn_cb, c, e, sizeof(e))) == NULL) {
		cfg_fail(ctx->err, &at, AT_KEY, "%s", e);
		goto out;
	}
	rv = 0;
 out:
	strv_free(mc.dirs, mc.ndirs);
	strv_free(mc.modules, mc.nmodules);
	return rv;
}
