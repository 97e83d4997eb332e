/*
 * conf.c - load and validate snmpmgrd's JSON configuration (SPEC.md
 * sections 2 and 8) into a struct config: the entry points (load, load
 * with an inline extra, free, find) and the sections, each turned from
 * the merged JSON into the plain C structures of conf.h.
 *
 * Reading files and includes is conf_file.c's; positions and messages
 * conf_locate.c's; scalar values conf_units.c's; session options
 * conf_opts.c's; SNMPv3 credentials conf_v3.c's; the traps section
 * conf_traps.c's.  Every error reads "FILE:LINE:COL: key.path: what is
 * wrong".
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/oid.h"
#include "core/session.h"
#include "core/usm.h"
#include "conf.h"
#include "conf_int.h"
#include "mib.h"

/* ------------------------------------------------------------------ */
/* Sections                                                            */

/* An object's keys must all be in names. */
int
cfg_check_keys(const json_t *obj, const struct cfg_pos *at,
    const char *const *names, struct config_err *err)
{
	const char	*key;
	json_t		*val;
	struct cfg_pos	 kat;
	struct suggest	 sg;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object");
	json_object_foreach((json_t *)obj, key, val) {
		if (cfg_name_in(names, key))
			continue;
		kat = cfg_pos_key(at, key);
		sg.key = key;
		sg.best = NULL;
		sg.dist = SIZE_MAX;
		cfg_suggest_list(&sg, names);
		return cfg_unknown(err, &kat, &sg, "key");
	}
	return 0;
}

/* path, or state_dir/path when relative; malloc'ed. */
char *
cfg_abspath(const struct config *c, const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	return cfg_path_join(c->state_dir, path);
}

static int
cfg_control(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "socket", "mode",
		"idle_timeout", "line_timeout", NULL };
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_CONTROL), kat;
	const json_t	*obj = ctx->sect[SECT_CONTROL], *v;
	const char	*sock = CONFIG_DEFAULT_SOCKET, *m;
	struct sockaddr_un sun;
	unsigned long	 mode = CONFIG_DEFAULT_MODE;
	char		*end;

	ctx->c->control_idle_ms = SNMPMGR_CTL_IDLE_TIMEOUT;
	ctx->c->control_line_ms = SNMPMGR_CTL_LINE_TIMEOUT;
	if (obj != NULL) {
		if (cfg_check_keys(obj, &at, keys, ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(&at, "idle_timeout");
		if ((v = json_object_get(obj, "idle_timeout")) != NULL &&
		    cfg_duration(v, &kat, 0, SNMPMGR_MAX_CTL_TIMEOUT,
		    &ctx->c->control_idle_ms, ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(&at, "line_timeout");
		if ((v = json_object_get(obj, "line_timeout")) != NULL &&
		    cfg_duration(v, &kat, 100, SNMPMGR_MAX_CTL_TIMEOUT,
		    &ctx->c->control_line_ms, ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(&at, "socket");
		if ((v = json_object_get(obj, "socket")) != NULL &&
		    cfg_str(v, &kat, 1, PATH_MAX, 0, &sock, ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(&at, "mode");
		if ((v = json_object_get(obj, "mode")) != NULL) {
			if (!json_is_string(v))
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "expected an octal string such as "
				    "\"0660\"");
			m = json_string_value(v);
			errno = 0;
			mode = strtoul(m, &end, 8);
			if (m[0] < '0' || m[0] > '7' || *end != '\0' ||
			    errno != 0 || mode > 0777)
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "expected an octal mode from \"0000\" to "
				    "\"0777\" such as \"0660\"");
		}
	}
	ctx->c->control_mode = (mode_t)mode;
	kat = cfg_pos_key(&at, "socket");
	if ((ctx->c->control_socket = cfg_abspath(ctx->c, sock)) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	if (strlen(ctx->c->control_socket) >= sizeof(sun.sun_path))
		return cfg_fail(ctx->err, &kat, AT_VALUE, "%s: longer than "
		    "%zu bytes, the limit of a Unix socket path",
		    ctx->c->control_socket, sizeof(sun.sun_path) - 1);
	return 0;
}

static int
cfg_log(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "level", "syslog", NULL };
	static const char *const levels[] = { "debug", "info", "notice",
		"warning", "err", NULL };
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE,
		LOG_WARNING, LOG_ERR };
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_LOG), kat;
	const json_t	*obj = ctx->sect[SECT_LOG], *v;
	size_t		 w;

	ctx->c->log_level = LOG_INFO;
	ctx->c->log_syslog = false;
	if (obj == NULL)
		return 0;
	if (cfg_check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(&at, "level");
	if ((v = json_object_get(obj, "level")) != NULL) {
		if (cfg_word(v, &kat, levels, &w, ctx->err) == -1)
			return -1;
		ctx->c->log_level = prio[w];
	}
	kat = cfg_pos_key(&at, "syslog");
	if ((v = json_object_get(obj, "syslog")) != NULL &&
	    cfg_bool(v, &kat, &ctx->c->log_syslog, ctx->err) == -1)
		return -1;
	return 0;
}

/* "IP", "IP:PORT" or "[IPv6]:PORT": a name server's address. */
static bool
cfg_nameserver_ok(const char *s)
{
	char		 ip[INET6_ADDRSTRLEN + 1];
	struct in6_addr	 a6;
	struct in_addr	 a4;
	const char	*colon, *end;
	long		 port;
	size_t		 n;

	if (inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1)
		return true;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return false;
		n = (size_t)(end - s - 1);
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return false;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(ip))
		return false;
	memcpy(ip, s[0] == '[' ? s + 1 : s, n);
	ip[n] = '\0';
	if (s[0] == '[' ? inet_pton(AF_INET6, ip, &a6) != 1 :
	    inet_pton(AF_INET, ip, &a4) != 1)
		return false;
	if (colon[1] < '0' || colon[1] > '9' || strlen(colon + 1) > 5)
		return false;
	port = strtol(colon + 1, (char **)&end, 10);
	return *end == '\0' && port >= 1 && port <= 65535;
}

/* "resolver": name servers, private resolv.conf or hosts file, timeout. */
static int
cfg_resolver(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "nameservers", "resolv_conf",
		"hosts", "timeout", NULL };
	struct config_resolver *rs = &ctx->c->resolver;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_RESOLVER), kat, iat;
	const json_t	*obj = ctx->sect[SECT_RESOLVER], *v, *e;
	const char	*str;
	size_t		 i;

	memset(rs, 0, sizeof(*rs));
	if (obj == NULL)
		return 0;
	if (cfg_check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	if ((v = json_object_get(obj, "nameservers")) != NULL) {
		kat = cfg_pos_key(&at, "nameservers");
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > 8)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected a "
			    "list of 1 to 8 addresses");
		if ((rs->nameservers = calloc(json_array_size(v),
		    sizeof(char *))) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE,
			    "out of memory");
		json_array_foreach(v, i, e) {
			iat = cfg_pos_idx(&kat, i);
			if (cfg_str(e, &iat, 1, 64, 1, &str, ctx->err) == -1)
				return -1;
			if (!cfg_nameserver_ok(str))
				return cfg_fail(ctx->err, &iat, AT_VALUE,
				    "expected IP, IP:PORT or [IPv6]:PORT");
			if ((rs->nameservers[i] = strdup(str)) == NULL)
				return cfg_fail(ctx->err, &iat, AT_VALUE,
				    "out of memory");
			rs->nnameservers++;
		}
	}
	if ((v = json_object_get(obj, "resolv_conf")) != NULL) {
		kat = cfg_pos_key(&at, "resolv_conf");
		if (cfg_str(v, &kat, 1, 4096, 0, &str, ctx->err) == -1)
			return -1;
		if (str[0] != '/')
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected an "
			    "absolute path");
		if (access(str, R_OK) == -1)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "cannot read "
			    "%s: %s", str, strerror(errno));
		if ((rs->resolv_conf = strdup(str)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE,
			    "out of memory");
	}
	if ((v = json_object_get(obj, "hosts")) != NULL) {
		kat = cfg_pos_key(&at, "hosts");
		if (cfg_str(v, &kat, 0, 4096, 0, &str, ctx->err) == -1)
			return -1;
		if (str[0] != '\0' && str[0] != '/')
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected an "
			    "absolute path, or \"\" for none");
		if ((rs->hosts = strdup(str)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE,
			    "out of memory");
	}
	if ((v = json_object_get(obj, "timeout")) != NULL) {
		kat = cfg_pos_key(&at, "timeout");
		if (cfg_duration(v, &kat, 100, 60 * 1000, &rs->timeout_ms,
		    ctx->err) == -1)
			return -1;
	}
	return 0;
}

/* "scheduler": bounds and backoff of the poll scheduler (poll_sched.h). */
static int
cfg_scheduler(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "max_in_flight",
		"session_in_flight", "down_after", "backoff_min",
		"backoff_max", "batch_window", NULL };
	struct config_scheduler *sc = &ctx->c->sched;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_SCHEDULER), kat;
	const json_t	*obj = ctx->sect[SECT_SCHEDULER], *v;
	long long	 n;

	memset(sc, 0, sizeof(*sc));
	sc->batch_ms = CONFIG_DEF_BATCH_MS;
	if (obj == NULL)
		return 0;
	if (cfg_check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	if ((v = json_object_get(obj, "batch_window")) != NULL) {
		kat = cfg_pos_key(&at, "batch_window");
		if (cfg_duration(v, &kat, 0, 100, &sc->batch_ms,
		    ctx->err) == -1)
			return -1;
	}
	if ((v = json_object_get(obj, "max_in_flight")) != NULL) {
		kat = cfg_pos_key(&at, "max_in_flight");
		if (cfg_int_range(v, &kat, 0, 1, SNMPMGR_MAX_PENDING, &n,
		    ctx->err) == -1)
			return -1;
		sc->max_in_flight = (uint32_t)n;
	}
	if ((v = json_object_get(obj, "session_in_flight")) != NULL) {
		kat = cfg_pos_key(&at, "session_in_flight");
		if (cfg_int_range(v, &kat, 0, 1, SNMPMGR_MAX_SESSION_PENDING,
		    &n, ctx->err) == -1)
			return -1;
		sc->session_in_flight = (uint32_t)n;
	}
	if ((v = json_object_get(obj, "down_after")) != NULL) {
		kat = cfg_pos_key(&at, "down_after");
		if (cfg_int_range(v, &kat, 0, 1, 1000, &n, ctx->err) == -1)
			return -1;
		sc->down_after = (uint32_t)n;
	}
	if ((v = json_object_get(obj, "backoff_min")) != NULL) {
		kat = cfg_pos_key(&at, "backoff_min");
		if (cfg_duration(v, &kat, 10, 24 * 3600 * 1000,
		    &sc->backoff_min_ms, ctx->err) == -1)
			return -1;
	}
	if ((v = json_object_get(obj, "backoff_max")) != NULL) {
		kat = cfg_pos_key(&at, "backoff_max");
		if (cfg_duration(v, &kat, 10, 24 * 3600 * 1000,
		    &sc->backoff_max_ms, ctx->err) == -1)
			return -1;
		if (sc->backoff_max_ms < (sc->backoff_min_ms ?
		    sc->backoff_min_ms : 1000))
			return cfg_fail(ctx->err, &kat, AT_VALUE, "must not be "
			    "less than backoff_min");
	}
	return 0;
}

/*
 * The SNMPv3 options of extra into o (o->v3.cred must not hold a
 * reference yet; it gets one).  Errors point at the key: in the session
 * sname (obj, template t) when given, else at `at`.
 */
static struct cfg_pos option_origin(struct cfg_ctx *, const char *,
		    const json_t *, const struct cfg_tmpl *, const char *);

static int
cfg_v3(struct cfg_ctx *ctx, const json_t *extra, struct sess_opts *o,
    const struct cfg_pos *at, const char *sname, const json_t *obj,
    const struct cfg_tmpl *t)
{
	struct usm_cred	*cred = NULL;
	struct cfg_pos	 kat;
	const char	*badkey = "";
	char		 why[300];

	o->v3.cred = NULL;
	if (extra == NULL)
		return 0;
	if (cfg_v3_apply(extra, o, &cred, &badkey, why, sizeof(why)) == -1) {
		kat = sname != NULL ? option_origin(ctx, sname, obj, t,
		    badkey) : cfg_pos_key(at, badkey);
		if (sname != NULL && json_object_get(obj, badkey) == NULL &&
		    (t == NULL || json_object_get(json_object_get(
		    ctx->coll[SECT_TEMPLATES], t->name), badkey) == NULL))
			return cfg_fail(ctx->err, &kat, AT_KEY, "%s: %s",
			    badkey, why);
		return cfg_fail(ctx->err, &kat, AT_VALUE, "%s", why);
	}
	o->v3.cred = cred;
	return 0;
}

/* "local_engine_id": our own engine ID (daemon/engineid.c). */
static int
cfg_local_engine_id(struct cfg_ctx *ctx)
{
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_LOCAL_ENGINE_ID);
	const json_t	*v = ctx->sect[SECT_LOCAL_ENGINE_ID];
	size_t		 n;

	ctx->c->local_engine_id_len = 0;
	if (v == NULL)
		return 0;
	/* RFC 3411 5: SnmpEngineID is 5 to 32 octets. */
	if (!json_is_string(v) ||
	    cfg_hex_octets(json_string_value(v), &n) == -1 ||
	    n < 5 || n > SNMPMGR_MAX_ENGINE_ID_LEN)
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an engine "
		    "ID of 5 to 32 hex octets such as \"0x80001f8880...\"");
	ctx->c->local_engine_id_len = cfg_hex_decode(json_string_value(v),
	    ctx->c->local_engine_id, sizeof(ctx->c->local_engine_id));
	return 0;
}

static int
cfg_defaults(struct cfg_ctx *ctx)
{
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_DEFAULTS);

	sess_opts_default(&ctx->base);
	if ((ctx->base_extra = json_object()) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	if (ctx->sect[SECT_DEFAULTS] != NULL &&
	    cfg_opts_apply(ctx->sect[SECT_DEFAULTS], &at, &ctx->base,
	    ctx->base_extra, NULL, ctx->err) == -1)
		return -1;
	ctx->c->defaults = ctx->base;
	/* Inline targets inherit SNMPv3 defaults (and their credential);
	 * sessions build theirs from the merged keys. */
	return cfg_v3(ctx, ctx->base_extra, &ctx->c->defaults, &at, NULL,
	    NULL, NULL);
}

static int
cfg_credentials(struct cfg_ctx *ctx)
{
	const char		*name, *key;
	json_t			*obj, *val;
	struct cfg_pos		 at, kat;
	const struct v3def	*vd;
	struct suggest		 sg;

	json_object_foreach(ctx->coll[SECT_CREDENTIALS], name, obj) {
		at = cfg_entry_pos(ctx, SECT_CREDENTIALS, name);
		if (!json_is_object(obj))
			return cfg_fail(ctx->err, &at, AT_VALUE, "expected an "
			    "object of SNMPv3 credentials");
		json_object_foreach(obj, key, val) {
			kat = cfg_pos_key(&at, key);
			if ((vd = cfg_v3def_find(key)) == NULL) {
				sg.key = key;
				sg.best = NULL;
				sg.dist = SIZE_MAX;
				cfg_suggest_v3_keys(&sg);
				return cfg_unknown(ctx->err, &kat, &sg,
				    "credentials key");
			}
			if (cfg_v3_check(vd, val, &kat, ctx->err) == -1)
				return -1;
		}
		if (json_object_get(obj, "user") == NULL &&
		    json_object_get(obj, "security_name") == NULL)
			return cfg_fail(ctx->err, &at, AT_KEY, "no \"user\" "
			    "given");
		kat = cfg_pos_key(&at, "auth_key");
		if (json_object_get(obj, "auth_password") != NULL &&
		    json_object_get(obj, "auth_key") != NULL)
			return cfg_fail(ctx->err, &kat, AT_KEY, "give "
			    "auth_password or auth_key, not both");
		kat = cfg_pos_key(&at, "priv_key");
		if (json_object_get(obj, "priv_password") != NULL &&
		    json_object_get(obj, "priv_key") != NULL)
			return cfg_fail(ctx->err, &kat, AT_KEY, "give "
			    "priv_password or priv_key, not both");
		/* RFC 3414 3.1.1: there is no privacy without auth. */
		if ((json_object_get(obj, "priv_password") != NULL ||
		    json_object_get(obj, "priv_key") != NULL) &&
		    json_object_get(obj, "auth_password") == NULL &&
		    json_object_get(obj, "auth_key") == NULL)
			return cfg_fail(ctx->err, &at, AT_KEY, "privacy "
			    "needs authentication: auth_password or auth_key "
			    "missing");
	}
	return 0;
}

/*
 * An entry {"oid": OID, "rate": BOOL} of a poll's list, the i-th of n:
 * its rate noted in p, *oid and *oat set to its "oid" member.
 */
static int
oid_entry(const json_t *obj, const struct cfg_pos *at, struct config_poll *p,
    size_t i, size_t n, const json_t **oid, struct cfg_pos *oat,
    struct config_err *err)
{
	static const char *const keys[] = { "oid", "rate", NULL };
	struct cfg_pos	 kat;
	const json_t	*v;
	bool		 on;

	if (cfg_check_keys(obj, at, keys, err) == -1)
		return -1;
	if ((v = json_object_get(obj, "rate")) != NULL) {
		kat = cfg_pos_key(at, "rate");
		if (cfg_bool(v, &kat, &on, err) == -1)
			return -1;
		if (p->oid_rate == NULL &&
		    (p->oid_rate = calloc(n, 1)) == NULL)
			return cfg_fail(err, at, AT_VALUE, "out of memory");
		p->oid_rate[i] = on ? CONF_RATE_ON : CONF_RATE_OFF;
	}
	if ((*oid = json_object_get(obj, "oid")) == NULL)
		return cfg_fail(err, at, AT_KEY, "no \"oid\" given");
	*oat = cfg_pos_key(at, "oid");
	return 0;
}

bool
config_poll_rate(const struct config_poll *p, size_t i)
{
	if (p->oid_rate != NULL && p->oid_rate[i] != 0)
		return p->oid_rate[i] == CONF_RATE_ON;
	return p->rate;
}

static int
oid_list(const json_t *v, const struct cfg_pos *at, struct config_poll *p,
    const struct mib *mib, struct config_err *err)
{
	struct cfg_pos	 eat;
	const json_t	*e;
	char		 msg[300];
	const char	*s;
	size_t		 i, n;

	if (!json_is_array(v) && !json_is_string(v))
		return cfg_fail(err, at, AT_VALUE, "expected a list of OIDs");
	n = json_is_string(v) ? 1 : json_array_size(v);
	if (n == 0)
		return cfg_fail(err, at, AT_VALUE, "empty list of OIDs");
	if (n > SNMPMGR_MAX_VARBINDS)
		return cfg_fail(err, at, AT_VALUE, "more than %d OIDs",
		    SNMPMGR_MAX_VARBINDS);
	if ((p->oids = calloc(n, sizeof(*p->oids))) == NULL)
		return cfg_fail(err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = json_is_string(v) ? *at : cfg_pos_idx(at, i);
		e = json_is_string(v) ? v : json_array_get(v, i);
		if (json_is_object(e) && oid_entry(e, &eat, p, i, n, &e,
		    &eat, err) == -1)
			return -1;
		if (cfg_str(e, &eat, 1, SNMPMGR_MAX_OID_STR, 1, &s, err) == -1)
			return -1;
		if (mib_parse_oid(mib, &p->oids[i], s, strlen(s), msg,
		    sizeof(msg)) == -1)
			return cfg_fail(err, &eat, AT_VALUE, "%s", msg);
		p->noids++;
	}
	return 0;
}

enum poll_key {
	PK_GET, PK_WALK, PK_INTERVAL, PK_JITTER, PK_TIMEOUT, PK_RETRIES,
	PK_MAX_REPETITIONS, PK_USE_GETNEXT, PK_RATE, PK_TABLE, PK_COLUMNS,
	PK_LABELS
};

static const char *const poll_keys[] = { "get", "walk", "interval",
	"jitter", "timeout", "retries", "max_repetitions", "use_getnext",
	"rate", "table", "columns", "labels", NULL };

/*
 * "table": NAME and "columns": [NAME...] (default: every readable one)
 * into the poll's column OIDs.  0 or -1.
 */
static int
table_columns(const json_t *obj, const struct cfg_pos *at,
    struct config_poll *p, const struct mib *mib, struct config_err *err)
{
	struct cfg_pos	 kat = cfg_pos_key(at, "table"), eat;
	const json_t	*cols = json_object_get(obj, "columns");
	const struct mib_node *row;
	struct oid	 o;
	char		 msg[300];
	const char	*s;
	size_t		 i;

	if (cfg_str(json_object_get(obj, "table"), &kat, 1,
	    SNMPMGR_MAX_OID_STR, 1, &s, err) == -1)
		return -1;
	if (mib_parse_oid(mib, &o, s, strlen(s), msg, sizeof(msg)) == -1)
		return cfg_fail(err, &kat, AT_VALUE, "%s", msg);
	if ((row = mib_table_entry(mib, &o)) == NULL)
		return cfg_fail(err, &kat, AT_VALUE, "%s is not a table or a "
		    "table's entry in the loaded MIBs", s);
	if ((p->oids = calloc(SNMPMGR_MAX_TABLE_COLUMNS,
	    sizeof(*p->oids))) == NULL)
		return cfg_fail(err, &kat, AT_VALUE, "out of memory");
	if (cols == NULL) {
		if ((p->noids = mib_table_columns(row, p->oids, NULL,
		    SNMPMGR_MAX_TABLE_COLUMNS)) == 0)
			return cfg_fail(err, &kat, AT_VALUE, "%s has no "
			    "readable column", s);
		return 0;
	}
	kat = cfg_pos_key(at, "columns");
	if (!json_is_array(cols) || json_array_size(cols) == 0 ||
	    json_array_size(cols) > SNMPMGR_MAX_TABLE_COLUMNS)
		return cfg_fail(err, &kat, AT_VALUE, "expected a list of 1 to "
		    "%d columns", SNMPMGR_MAX_TABLE_COLUMNS);
	for (i = 0; i < json_array_size(cols); i++) {
		eat = cfg_pos_idx(&kat, i);
		if (cfg_str(json_array_get(cols, i), &eat, 1,
		    SNMPMGR_MAX_OID_STR, 1, &s, err) == -1)
			return -1;
		if (mib_parse_oid(mib, &o, s, strlen(s), msg,
		    sizeof(msg)) == -1)
			return cfg_fail(err, &eat, AT_VALUE, "%s", msg);
		if (mib_table_column(mib, row, &o) == NULL)
			return cfg_fail(err, &eat, AT_VALUE, "%s is not a "
			    "column of that table", s);
		p->oids[p->noids++] = o;
	}
	return 0;
}

/*
 * A get poll's request varbinds, encoded now for every request to copy
 * (p->vbl); left NULL when they cannot be (a request encodes them itself
 * and says what is wrong).
 */
static void
poll_encode_vbl(struct config_poll *p)
{
	struct snmp_varbind	*vb;
	uint8_t			*buf;
	const uint8_t		*out;
	ssize_t			 len = -1;
	size_t			 i;

	vb = calloc(p->noids > 0 ? p->noids : 1, sizeof(*vb));
	buf = malloc(SNMPMGR_MAX_MSG_SIZE);
	if (vb != NULL && buf != NULL) {
		for (i = 0; i < p->noids; i++) {
			vb[i].name = p->oids[i];
			vb[i].value.type = SNMP_T_NULL;
		}
		len = snmp_vbl_encode(vb, p->noids, buf, SNMPMGR_MAX_MSG_SIZE,
		    &out);
	}
	if (len > 0 && (p->vbl = malloc((size_t)len)) != NULL) {
		memcpy(p->vbl, out, (size_t)len);
		p->vbl_len = (size_t)len;
	}
	free(buf);
	free(vb);
}

static int
cfg_poll(struct cfg_ctx *ctx, const char *name, const json_t *obj,
    struct config_poll *p)
{
	struct cfg_pos	 at = cfg_entry_pos(ctx, SECT_POLLS, name), kat;
	struct config_err *err = ctx->err;
	const json_t	*v;
	long long	 n;
	size_t		 i;
	int		 k;

	copy_str(p->name, name, sizeof(p->name));
	p->retries = -1;
	if (cfg_check_keys(obj, &at, poll_keys, err) == -1)
		return -1;
	if ((json_object_get(obj, "get") != NULL) +
	    (json_object_get(obj, "walk") != NULL) +
	    (json_object_get(obj, "table") != NULL) > 1) {
		kat = cfg_pos_key(&at, json_object_get(obj, "table") != NULL ?
		    "table" : "walk");
		return cfg_fail(err, &kat, AT_KEY, "give one of \"get\", "
		    "\"walk\" and \"table\", not both");
	}
	if (json_object_get(obj, "get") == NULL &&
	    json_object_get(obj, "walk") == NULL &&
	    json_object_get(obj, "table") == NULL)
		return cfg_fail(err, &at, AT_KEY, "no \"get\" or \"walk\" list "
		    "given (or \"table\")");
	if (json_object_get(obj, "columns") != NULL &&
	    json_object_get(obj, "table") == NULL) {
		kat = cfg_pos_key(&at, "columns");
		return cfg_fail(err, &kat, AT_KEY, "\"columns\" needs a "
		    "\"table\"");
	}
	if (json_object_get(obj, "interval") == NULL)
		return cfg_fail(err, &at, AT_KEY, "no \"interval\" given");
	p->is_table = json_object_get(obj, "table") != NULL;
	p->is_walk = json_object_get(obj, "walk") != NULL || p->is_table;
	for (k = 0; poll_keys[k] != NULL; k++) {
		if ((v = json_object_get(obj, poll_keys[k])) == NULL)
			continue;
		kat = cfg_pos_key(&at, poll_keys[k]);
		switch ((enum poll_key)k) {
		case PK_GET:
		case PK_WALK:
			if (oid_list(v, &kat, p, ctx->c->mib, err) == -1)
				return -1;
			break;
		case PK_INTERVAL:
			if (cfg_duration(v, &kat, 100, 7 * 24 * 3600 * 1000,
			    &p->interval_ms, err) == -1)
				return -1;
			break;
		case PK_JITTER:
			if (cfg_duration(v, &kat, 0, UINT32_MAX,
			    &p->jitter_ms, err) == -1)
				return -1;
			break;
		case PK_TIMEOUT:
			if (cfg_duration(v, &kat, 1, SNMPMGR_MAX_TIMEOUT_MS,
			    &p->timeout_ms, err) == -1)
				return -1;
			break;
		case PK_RETRIES:
			if (cfg_int_range(v, &kat, 0, 0, SNMPMGR_MAX_RETRIES,
			    &n, err) == -1)
				return -1;
			p->retries = (int32_t)n;
			break;
		case PK_MAX_REPETITIONS:
			if (!p->is_walk)
				return cfg_fail(err, &kat, AT_KEY, "only walk "
				    "polls use max_repetitions");
			if (cfg_int_range(v, &kat, 0, 1,
			    SNMPMGR_MAX_REPETITIONS, &n, err) == -1)
				return -1;
			p->max_repetitions = (uint32_t)n;
			break;
		case PK_TABLE:
			if (table_columns(obj, &at, p, ctx->c->mib, err) == -1)
				return -1;
			break;
		case PK_COLUMNS:
			break;		/* with "table" */
		case PK_USE_GETNEXT:
			if (!p->is_walk)
				return cfg_fail(err, &kat, AT_KEY, "only walk "
				    "polls use use_getnext");
			if (cfg_bool(v, &kat, &p->use_getnext, err) == -1)
				return -1;
			break;
		case PK_RATE:
			if (cfg_bool(v, &kat, &p->rate, err) == -1)
				return -1;
			break;
		case PK_LABELS:
			if (cfg_poll_labels(ctx, v, &kat, p) == -1)
				return -1;
			break;
		}
	}
	for (i = 0; i < p->noids && !p->any_rate; i++)
		p->any_rate = config_poll_rate(p, i);
	if (p->jitter_ms >= p->interval_ms) {
		kat = cfg_pos_key(&at, "jitter");
		return cfg_fail(err, &kat, AT_VALUE, "must be less than the "
		    "interval");
	}
	if (!p->is_walk)
		poll_encode_vbl(p);
	return 0;
}

static int
cmp_poll(const void *a, const void *b)
{
	return strcmp(((const struct config_poll *)a)->name,
	    ((const struct config_poll *)b)->name);
}

static int
cmp_session(const void *a, const void *b)
{
	return strcmp(((const struct config_session *)a)->name,
	    ((const struct config_session *)b)->name);
}

static int
cfg_poll_one(struct cfg_ctx *ctx, const char *name, const json_t *obj,
    void *elem)
{
	return cfg_poll(ctx, name, obj, elem);
}

/*
 * Each entry of section sect made by one() into *arr, an array of elements
 * of size (counted in *count as they are made, so that a failure frees
 * what was made), sorted by cmp.  0 or -1.
 */
static int
cfg_named_list(struct cfg_ctx *ctx, enum sect_id sect, size_t size,
    void **arr, size_t *count, int (*one)(struct cfg_ctx *, const char *,
    const json_t *, void *), int (*cmp)(const void *, const void *))
{
	const char	*name;
	json_t		*obj;
	size_t		 n = json_object_size(ctx->coll[sect]), i;
	struct cfg_pos	 at;

	if (n == 0)
		return 0;
	if ((*arr = calloc(n, size)) == NULL) {
		at = cfg_sect_pos(ctx, sect);
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	}
	json_object_foreach(ctx->coll[sect], name, obj) {
		if (one(ctx, name, obj, (char *)*arr + (*count)++ * size) ==
		    -1)
			return -1;
	}
	/* Generated configs often list their entries in order already. */
	for (i = 1; i < *count; i++)
		if (cmp((char *)*arr + (i - 1) * size,
		    (char *)*arr + i * size) > 0)
			break;
	if (i < *count)
		qsort(*arr, *count, size, cmp);
	return 0;
}

static int
cfg_polls(struct cfg_ctx *ctx)
{
	return cfg_named_list(ctx, SECT_POLLS, sizeof(*ctx->c->polls),
	    (void **)&ctx->c->polls, &ctx->c->npolls, cfg_poll_one, cmp_poll);
}

/* A "polls" list of a template or session: names of defined polls. */
static int
poll_refs(struct cfg_ctx *ctx, const json_t *v, const struct cfg_pos *at)
{
	struct cfg_pos	 eat;
	const char	*s;
	size_t		 i, j;
	struct suggest	 sg;

	if (!json_is_array(v))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected a list of "
		    "poll names");
	if (json_array_size(v) > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, at, AT_VALUE, "more than %d polls",
		    CONFIG_MAX_LIST);
	for (i = 0; i < json_array_size(v); i++) {
		eat = cfg_pos_idx(at, i);
		if (cfg_str(json_array_get(v, i), &eat, 1,
		    SNMPMGR_MAX_NAME_LEN, 0, &s, ctx->err) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(s, json_string_value(json_array_get(v,
			    j))) == 0)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "poll \"%s\" listed twice", s);
		if (json_object_get(ctx->coll[SECT_POLLS], s) == NULL) {
			const char	*key;
			json_t		*val;

			sg.key = s;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			json_object_foreach(ctx->coll[SECT_POLLS], key, val)
				cfg_suggest_try(&sg, key);
			if (cfg_suggest_result(&sg) != NULL)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "no poll named \"%s\" (did you mean "
				    "\"%s\"?)", s, cfg_suggest_result(&sg));
			return cfg_fail(ctx->err, &eat, AT_VALUE, "no poll "
			    "named \"%s\"", s);
		}
	}
	return 0;
}

/* "credentials": NAME; merge that set into extra. */
static int
cred_ref(struct cfg_ctx *ctx, const json_t *v, const struct cfg_pos *at,
    json_t *extra, const char **name)
{
	json_t	*set;

	if (cfg_str(v, at, 1, SNMPMGR_MAX_NAME_LEN, 0, name,
	    ctx->err) == -1)
		return -1;
	if ((set = json_object_get(ctx->coll[SECT_CREDENTIALS],
	    *name)) == NULL)
		return cfg_fail(ctx->err, at, AT_VALUE, "no credentials named "
		    "\"%s\"", *name);
	if (json_object_update(extra, set) == -1)
		return cfg_fail(ctx->err, at, AT_VALUE, "out of memory");
	return 0;
}

static int
cfg_templates(struct cfg_ctx *ctx)
{
	static const char *const allowed[] = { "polls", "credentials", NULL };
	const char	*name;
	json_t		*obj, *v;
	struct cfg_pos	 at, kat;
	struct cfg_tmpl	*t;
	size_t		 n = json_object_size(ctx->coll[SECT_TEMPLATES]);

	if (n == 0)
		return 0;
	if ((ctx->tmpl = calloc(n, sizeof(*ctx->tmpl))) == NULL) {
		at = cfg_sect_pos(ctx, SECT_TEMPLATES);
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	}
	json_object_foreach(ctx->coll[SECT_TEMPLATES], name, obj) {
		at = cfg_entry_pos(ctx, SECT_TEMPLATES, name);
		t = &ctx->tmpl[ctx->ntmpl++];
		t->name = name;
		t->opts = ctx->base;
		if ((t->extra = json_deep_copy(ctx->base_extra)) == NULL)
			return cfg_fail(ctx->err, &at, AT_VALUE, "out of "
			    "memory");
		if (json_is_object(obj) && json_object_get(obj,
		    "template") != NULL) {
			kat = cfg_pos_key(&at, "template");
			return cfg_fail(ctx->err, &kat, AT_KEY, "a template "
			    "cannot use another template");
		}
		if (json_is_object(obj) &&
		    (v = json_object_get(obj, "credentials")) != NULL) {
			kat = cfg_pos_key(&at, "credentials");
			if (cred_ref(ctx, v, &kat, t->extra,
			    &t->credentials) == -1)
				return -1;
		}
		if (cfg_opts_apply(obj, &at, &t->opts, t->extra, allowed,
		    ctx->err) == -1)
			return -1;
		if ((v = json_object_get(obj, "polls")) != NULL) {
			kat = cfg_pos_key(&at, "polls");
			if (poll_refs(ctx, v, &kat) == -1)
				return -1;
			t->polls = v;
		}
	}
	return 0;
}

/* t's "polls" array; NULL when t is NULL or has none. */
static const json_t *
t_polls(const struct cfg_tmpl *t)
{
	return t != NULL ? t->polls : NULL;
}

static struct cfg_tmpl *
tmpl_find(struct cfg_ctx *ctx, const char *name)
{
	size_t	 i;

	for (i = 0; i < ctx->ntmpl; i++)
		if (strcmp(ctx->tmpl[i].name, name) == 0)
			return &ctx->tmpl[i];
	return NULL;
}

/*
 * Which section gave a session its final value of key: SECT_SESSIONS
 * (its own, obj), SECT_TEMPLATES (its template t) or SECT_DEFAULTS; -1
 * when none sets it.
 */
static int
option_where(struct cfg_ctx *ctx, const json_t *obj, const struct cfg_tmpl *t,
    const char *key)
{
	json_t	*tobj;

	if (json_object_get(obj, key) != NULL)
		return SECT_SESSIONS;
	if (t != NULL && (tobj = json_object_get(ctx->coll[SECT_TEMPLATES],
	    t->name)) != NULL && json_object_get(tobj, key) != NULL)
		return SECT_TEMPLATES;
	if (ctx->sect[SECT_DEFAULTS] != NULL &&
	    json_object_get(ctx->sect[SECT_DEFAULTS], key) != NULL)
		return SECT_DEFAULTS;
	return -1;
}

/* Where that key was (the session's own entry when none sets it). */
static struct cfg_pos
option_origin(struct cfg_ctx *ctx, const char *sname, const json_t *obj,
    const struct cfg_tmpl *t, const char *key)
{
	struct cfg_pos	 at;

	switch (option_where(ctx, obj, t, key)) {
	case SECT_TEMPLATES:
		at = cfg_entry_pos(ctx, SECT_TEMPLATES, t->name);
		break;
	case SECT_DEFAULTS:
		at = cfg_sect_pos(ctx, SECT_DEFAULTS);
		break;
	case SECT_SESSIONS:
		at = cfg_entry_pos(ctx, SECT_SESSIONS, sname);
		break;
	default:
		return cfg_entry_pos(ctx, SECT_SESSIONS, sname);
	}
	return cfg_pos_key(&at, key);
}

/* Whether the session, its template or the defaults set key. */
static bool
option_given(struct cfg_ctx *ctx, const json_t *obj, const struct cfg_tmpl *t,
    const char *key)
{
	return option_where(ctx, obj, t, key) != -1;
}

static int
cfg_session(struct cfg_ctx *ctx, const char *name, const json_t *obj,
    struct config_session *s, struct sess_opts *so)
{
	static const char *const allowed[] = { "template", "polls",
		"credentials", NULL };
	struct cfg_pos	 at = cfg_entry_pos(ctx, SECT_SESSIONS, name), kat;
	struct cfg_tmpl	*t = NULL;
	const json_t	*v, *polls = NULL, *src;
	const char	*tname, *cname;
	size_t		 i;

	s->pooled = true;
	*so = ctx->base;
	so->v3.cred = NULL;		/* cfg_v3() makes the session's */
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "of session options");
	if ((v = json_object_get(obj, "template")) != NULL) {
		kat = cfg_pos_key(&at, "template");
		if (cfg_str(v, &kat, 1, SNMPMGR_MAX_NAME_LEN, 0, &tname,
		    ctx->err) == -1)
			return -1;
		if ((t = tmpl_find(ctx, tname)) == NULL) {
			struct suggest	 sg;

			sg.key = tname;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			for (i = 0; i < ctx->ntmpl; i++)
				cfg_suggest_try(&sg, ctx->tmpl[i].name);
			if (cfg_suggest_result(&sg) != NULL)
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "no template named \"%s\" (did you mean "
				    "\"%s\"?)", tname, cfg_suggest_result(&sg));
			return cfg_fail(ctx->err, &kat, AT_VALUE, "no "
			    "template named \"%s\"", tname);
		}
		if ((s->template_name = cfg_pool_str(ctx, tname)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
		*so = t->opts;
		so->v3.cred = NULL;
		polls = t->polls;
		if (t->credentials != NULL && (s->credentials =
		    cfg_pool_str(ctx, t->credentials)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
	}
	/* jansson's deep copy costs a table and a snprintf per object,
	 * even an empty one: the usual case is a new empty object. */
	src = t != NULL ? t->extra : ctx->base_extra;
	if ((s->extra = json_object_size(src) > 0 ? json_deep_copy(src) :
	    json_object()) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	if ((v = json_object_get(obj, "credentials")) != NULL) {
		kat = cfg_pos_key(&at, "credentials");
		if (cred_ref(ctx, v, &kat, s->extra, &cname) == -1)
			return -1;
		if ((s->credentials = cfg_pool_str(ctx, cname)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
	}
	if (cfg_opts_apply(obj, &at, so, s->extra, allowed,
	    ctx->err) == -1)
		return -1;
	if ((v = json_object_get(obj, "polls")) != NULL) {
		kat = cfg_pos_key(&at, "polls");
		if (poll_refs(ctx, v, &kat) == -1)
			return -1;
		polls = v;
	}
	if (json_object_size(s->extra) == 0) {
		json_decref(s->extra);
		s->extra = NULL;
	}
	if (so->host[0] == '\0')
		return cfg_fail(ctx->err, &at, AT_KEY, "no \"host\" given");
	if (cfg_host_check(so, &at, ctx->err) == -1)
		return -1;
	/* SNMPv3: typed options and the credential (hashed here, once). */
	if (cfg_v3(ctx, s->extra, so, &at, name, obj, t) == -1)
		return -1;
	/* DTLS: options that go together, our certificate and key. */
	if (so->transport == SESS_TRANSPORT_DTLS) {
		if (cfg_tls_session(s->extra, so, option_given(ctx, obj,
		    t, "version"), option_given(ctx, obj, t, "port"), &at,
		    &s->tls_cred, &ctx->tls_memo, ctx->err) == -1)
			return -1;
	}
	/* The credential holds the keys now: no password stays behind. */
	if (s->extra != NULL)
		cfg_secrets_mask(s->extra);
	if (polls != NULL && json_array_size(polls) > 0) {
		/* A template's list is looked up once. */
		if (polls == t_polls(t) && t->pollv != NULL)
			s->polls = t->pollv;
		else if ((s->polls = cfg_pool_polls(ctx, polls)) == NULL)
			return cfg_fail(ctx->err, &at, AT_VALUE, "out of "
			    "memory");
		else if (polls == t_polls(t))
			t->pollv = s->polls;
		s->npolls = (uint32_t)json_array_size(polls);
	}
	return 0;
}

static int
cfg_session_one(struct cfg_ctx *ctx, const char *name, const json_t *obj,
    void *elem)
{
	struct config_session	*s = elem;
	struct sess_opts	 so;
	struct cfg_pos		 at;
	int			 rv;

	size_t			 nlen = strlen(name), hlen;

	sess_opts_default(&so);
	rv = cfg_session(ctx, name, obj, s, &so);
	/* Every entry gets its block, as far as it got (config_free), and
	 * its name and host in one allocation. */
	hlen = strnlen(so.host, sizeof(so.host) - 1);
	if ((s->opts = sess_opts_intern(&so)) == NULL ||
	    (s->name = malloc(nlen + hlen + 2)) == NULL) {
		at = cfg_entry_pos(ctx, SECT_SESSIONS, name);
		sess_opts_release(&so);
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	}
	memcpy(s->name, name, nlen + 1);
	s->host = s->name + nlen + 1;
	memcpy(s->host, so.host, hlen);
	s->host[hlen] = '\0';
	s->host_in_name = true;
	sess_opts_release(&so);
	return rv;
}

static int
cfg_sessions(struct cfg_ctx *ctx)
{
	return cfg_named_list(ctx, SECT_SESSIONS, sizeof(*ctx->c->sessions),
	    (void **)&ctx->c->sessions, &ctx->c->nsessions, cfg_session_one,
	    cmp_session);
}

/* "udp:0.0.0.0:162", "udp6:[::]:162", "dtls:[::1]:10162", port optional. */
static void
cfg_ctx_clear(struct cfg_ctx *ctx)
{
	size_t	 i;

	for (i = 0; i < ctx->nfiles; i++)
		cfg_file_free(ctx->files[i]);
	free(ctx->files);
	for (i = 0; i < NSECT; i++) {
		json_decref(ctx->coll[i]);
		json_decref(ctx->origin[i]);
	}
	for (i = 0; i < ctx->ntmpl; i++) {
		config_json_wipe_secrets(ctx->tmpl[i].extra);
		json_decref(ctx->tmpl[i].extra);
	}
	free(ctx->tmpl);
	config_json_wipe_secrets(ctx->base_extra);
	json_decref(ctx->base_extra);
	cfg_tls_memo_free(ctx->tls_memo);
	json_decref(ctx->pooled);
}

/*
 * What a session needs from the running config, kept with it for
 * config_load_running(): state_dir, defaults, credentials, polls and
 * templates, as the files gave them.  Secrets in it are wiped when the
 * config is freed.
 */
static int
cfg_keep_running(struct cfg_ctx *ctx)
{
	static const enum sect_id keep[] = { SECT_CREDENTIALS, SECT_POLLS,
		SECT_TEMPLATES };
	struct config	*c = ctx->c;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_SESSIONS);
	size_t		 i;
	int		 rc = 0;

	if ((c->running = json_object()) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	rc |= json_object_set_new(c->running, "state_dir",
	    json_string(c->state_dir));
	if (ctx->sect[SECT_DEFAULTS] != NULL)
		rc |= json_object_set_new(c->running, "defaults",
		    json_deep_copy(ctx->sect[SECT_DEFAULTS]));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_size(ctx->coll[keep[i]]) > 0)
			rc |= json_object_set_new(c->running,
			    cfg_sections[keep[i]].name,
			    json_deep_copy(ctx->coll[keep[i]]));
	if (rc != 0)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	return 0;
}

/*
 * STATE_DIR/overrides.json (conf.h): session options set at run time to
 * persist, applied over the sessions' own.  Entries of sessions that are
 * not in the config are ignored.
 */
static int
cfg_overrides(struct cfg_ctx *ctx)
{
	struct config		*c = ctx->c;
	struct config_session	*s;
	struct config_err	 oerr;
	json_t			*root, *ss, *obj;
	json_error_t		 jerr;
	const char		*name;
	char			*path;
	struct config_session	 key;
	int			 rv = 0;

	if ((path = cfg_path_join(c->state_dir, CONFIG_OVERRIDES)) == NULL) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: "
		    "out of memory", c->state_dir);
		return -1;
	}
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		if (access(path, F_OK) == 0) {
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%s:%d:%d: cannot be read (remove it to drop the "
			    "persisted run-time options)", path, jerr.line,
			    jerr.column);
			rv = -1;
		}
		free(path);
		return rv;
	}
	ss = json_object_get(root, "sessions");
	json_object_foreach(ss, name, obj) {
		if (c->nsessions == 0)
			continue;
		key.name = (char *)(uintptr_t)name;
		s = bsearch(&key, c->sessions, c->nsessions, sizeof(key),
		    cmp_session);
		if (s == NULL)
			continue;
		if (config_session_set_opts(s, obj, &oerr) == -1) {
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%.150s: session %.64s: %.256s", path, name,
			    oerr.text);
			rv = -1;
			break;
		}
	}
	config_json_wipe_secrets(root);
	json_decref(root);
	free(path);
	return rv;
}

struct config *
config_load(const char *path, struct config_err *err)
{
	return config_load_extra(path, NULL, NULL, err);
}

/*
 * Load from the files (run NULL) or from what run keeps of its own
 * (config_load_running), with extra read last; keep_state_dir: as
 * config_reload().
 */
static struct config *
cfg_load(const char *path, const struct config *run, const json_t *extra,
    const char *extra_name, const char *keep_state_dir,
    struct config_err *err)
{
	struct cfg_ctx	 ctx;
	struct config	*c;
	int		 i;

	memset(&ctx, 0, sizeof(ctx));
	err->text[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL)
		goto nomem;
	ctx.c = c;
	ctx.err = err;
	ctx.keep_state_dir = keep_state_dir;
	if ((ctx.files = calloc(SNMPMGR_MAX_INCLUDES + 1,
	    sizeof(*ctx.files))) == NULL)
		goto nomem;
	for (i = 0; i < NSECT; i++) {
		ctx.sectfile[i] = -1;
		ctx.collfi[i] = -1;
		if (cfg_sections[i].kind != SECT_COLLECTION)
			continue;
		if ((ctx.coll[i] = json_object()) == NULL ||
		    (ctx.origin[i] = json_object()) == NULL)
			goto nomem;
	}
	if ((run == NULL ? cfg_read_file(&ctx, path, NULL, 0) :
	    cfg_read_inline(&ctx, run->running, "running config")) == -1 ||
	    (extra != NULL && cfg_read_inline(&ctx, extra, extra_name) ==
	    -1) ||
	    cfg_state_dir(&ctx) == -1 ||
	    (run == NULL && cfg_read_owned(&ctx) == -1) ||
	    cfg_control(&ctx) == -1 ||
	    cfg_log(&ctx) == -1 ||
	    cfg_scheduler(&ctx) == -1 ||
	    cfg_resolver(&ctx) == -1 ||
	    cfg_http(&ctx) == -1 ||
	    cfg_local_engine_id(&ctx) == -1 ||
	    (run == NULL ? cfg_mibs(&ctx) : ((c->mib = mib_ref(run->mib)),
	    0)) == -1 ||
	    cfg_defaults(&ctx) == -1 ||
	    cfg_credentials(&ctx) == -1 ||
	    cfg_polls(&ctx) == -1 ||
	    cfg_templates(&ctx) == -1 ||
	    cfg_sessions(&ctx) == -1 ||
	    (run == NULL && cfg_overrides(&ctx) == -1) ||
	    cfg_traps(&ctx) == -1 ||
	    (run == NULL && cfg_cluster(&ctx) == -1) ||
	    cfg_keep_running(&ctx) == -1)
		goto fail;
	cfg_ctx_clear(&ctx);
	return c;
 nomem:
	(void)snprintf(err->text, sizeof(err->text), "%s: out of memory",
	    path);
 fail:
	cfg_ctx_clear(&ctx);
	config_free(c);
	return NULL;
}

struct config *
config_load_extra(const char *path, const json_t *extra,
    const char *extra_name, struct config_err *err)
{
	return cfg_load(path, NULL, extra, extra_name, NULL, err);
}

struct config *
config_reload(const char *path, const struct config *run,
    struct config_err *err)
{
	return cfg_load(path, NULL, NULL, NULL, run->state_dir, err);
}

struct config *
config_load_running(const struct config *run, const json_t *extra,
    const char *extra_name, struct config_err *err)
{
	return cfg_load(run->path, run, extra, extra_name, NULL, err);
}

void
strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
config_free(struct config *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsessions; i++) {
		if (!c->sessions[i].pooled) {
			strv_free(c->sessions[i].polls,
			    c->sessions[i].npolls);
			free(c->sessions[i].template_name);
			free(c->sessions[i].credentials);
		}
		config_json_wipe_secrets(c->sessions[i].extra);
		json_decref(c->sessions[i].extra);
		sess_opts_drop(c->sessions[i].opts);
		dtls_cred_free(c->sessions[i].tls_cred);
		if (!c->sessions[i].host_in_name)
			free(c->sessions[i].host);
		free(c->sessions[i].name);
	}
	for (i = 0; i < c->npool; i++)
		free(c->pool[i]);
	free(c->pool);
	sess_opts_release(&c->defaults);
	free(c->sessions);
	for (i = 0; i < c->npolls; i++) {
		free(c->polls[i].oids);
		free(c->polls[i].oid_rate);
		free(c->polls[i].vbl);
		free(c->polls[i].label_oids);
		free(c->polls[i].label_names);
	}
	free(c->polls);
	free(c->traps.listen);
	strv_free(c->traps.communities, c->traps.ncommunities);
	for (i = 0; c->traps.user_info != NULL && i < c->traps.nusers; i++) {
		usm_cred_free(c->traps.user_info[i].creds[0]);
		usm_cred_free(c->traps.user_info[i].creds[1]);
		free(c->traps.user_info[i].engines);
		free(c->traps.user_info[i].englens);
	}
	free(c->traps.user_info);
	strv_free(c->traps.users, c->traps.nusers);
	free(c->traps.journal_path);
	config_traps_tls_free(&c->traps.tls);
	cfg_cluster_free(&c->cluster);
	strv_free(c->resolver.nameservers, c->resolver.nnameservers);
	free(c->resolver.resolv_conf);
	free(c->resolver.hosts);
	free(c->http.listen);
	free(c->path);
	free(c->control_socket);
	free(c->state_dir);
	free(c->state_dir_asked);
	config_json_wipe_secrets(c->running);
	json_decref(c->running);
	mib_unref(c->mib);
	strv_free(c->warnings, c->nwarnings);
	free(c);
}

const struct config_session *
config_find_session(const struct config *c, const char *name)
{
	struct config_session	 key;

	if (c == NULL || c->nsessions == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, c->sessions, c->nsessions, sizeof(key),
	    cmp_session);
}

/* bsearch(3) of a name among polls sorted by cmp_poll. */
static int
cmp_poll_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct config_poll *)elem)->name);
}

const struct config_poll *
config_find_poll(const struct config *c, const char *name)
{
	if (c == NULL || c->npolls == 0)
		return NULL;
	return bsearch(name, c->polls, c->npolls, sizeof(*c->polls),
	    cmp_poll_name);
}
