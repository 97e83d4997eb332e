/*
 * conf_opts.c - the session options of SPEC 2: the table of plain options
 * (struct sess_opts fields) and of SNMPv3/DTLS options, checking and
 * applying a JSON object of them, writing them back as JSON, and masking
 * or wiping the secrets among them.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/dtls.h"
#include "core/session.h"
#include "core/usm.h"
#include "conf.h"
#include "conf_int.h"

/* ------------------------------------------------------------------ */
/* Session options                                                     */

enum optkind {
	OPT_ADDR,		/* char[]: no spaces */
	OPT_STR,		/* char[]: any bytes */
	OPT_U16,
	OPT_U32,
	OPT_INT,
	OPT_SIZE_INT,		/* int, "64KiB" allowed */
	OPT_SIZE_U32,		/* uint32_t, "64KiB" allowed */
	OPT_BOOL,
	OPT_DURATION,		/* uint32_t milliseconds */
	OPT_VERSION,
	OPT_TRANSPORT,
};

struct optdef {
	const char	*name;
	enum optkind	 kind;
	size_t		 off;
	size_t		 size;
	long long	 min, max;
	int		 nullable;	/* JSON null sets nullval */
	long long	 nullval;
	int		 secret;
};

#define OPTF(f)	offsetof(struct sess_opts, f), \
		sizeof(((struct sess_opts *)0)->f)

static const struct optdef optdefs[] = {
	{ "host", OPT_ADDR, OPTF(host), 1, 0, 0, 0, 0 },
	{ "port", OPT_U16, OPTF(port), 1, 65535, 0, 0, 0 },
	{ "transport", OPT_TRANSPORT, OPTF(transport), 0, 0, 0, 0, 0 },
	{ "version", OPT_VERSION, OPTF(version), 0, 0, 0, 0, 0 },
	{ "community", OPT_STR, OPTF(community), 0, 0, 0, 0, 1 },
	{ "timeout", OPT_DURATION, OPTF(timeout_ms), 1,
	    SNMPMGR_MAX_TIMEOUT_MS, 0, 0, 0 },
	{ "retries", OPT_U32, OPTF(retries), 0, SNMPMGR_MAX_RETRIES, 0, 0, 0 },
	{ "max_repetitions", OPT_U32, OPTF(max_repetitions), 1,
	    SNMPMGR_MAX_REPETITIONS, 0, 0, 0 },
	{ "non_repeaters", OPT_U32, OPTF(non_repeaters), 0,
	    SNMPMGR_MAX_VARBINDS, 0, 0, 0 },
	{ "walk_limit", OPT_U32, OPTF(walk_limit), 0, UINT32_MAX, 0, 0, 0 },
	{ "walk_inside_range", OPT_BOOL, OPTF(walk_inside_range), 0, 0, 0, 0,
	    0 },
	{ "check_message_origin", OPT_BOOL, OPTF(check_message_origin), 0, 0,
	    0, 0, 0 },
	{ "ignore_port_mismatch", OPT_BOOL, OPTF(ignore_port_mismatch), 0, 0,
	    0, 0, 0 },
	{ "check_version", OPT_BOOL, OPTF(check_version), 0, 0, 0, 0, 0 },
	{ "ignore_duplicate_response", OPT_BOOL,
	    OPTF(ignore_duplicate_response), 0, 0, 0, 0, 0 },
	{ "local_host", OPT_ADDR, OPTF(local_host), 0, 0, 0, 0, 0 },
	{ "local_port", OPT_U16, OPTF(local_port), 0, 65535, 0, 0, 0 },
	{ "force_local_port", OPT_BOOL, OPTF(force_local_port), 0, 0, 0, 0,
	    0 },
	{ "share_local_port", OPT_BOOL, OPTF(share_local_port), 0, 0, 0, 0,
	    0 },
	{ "use_connection", OPT_BOOL, OPTF(use_connection), 0, 0, 0, 0, 0 },
	{ "dont_fragment", OPT_BOOL, OPTF(dont_fragment), 0, 0, 0, 0, 0 },
	{ "broadcast", OPT_BOOL, OPTF(broadcast), 0, 0, 0, 0, 0 },
	{ "dscp", OPT_INT, OPTF(dscp), 0, 63, 1, -1, 0 },
	{ "in_buffer_size", OPT_SIZE_INT, OPTF(in_buffer_size), 0, INT32_MAX,
	    1, 0, 0 },
	{ "out_buffer_size", OPT_SIZE_INT, OPTF(out_buffer_size), 0, INT32_MAX,
	    1, 0, 0 },
	{ "max_packet_size", OPT_SIZE_U32, OPTF(max_packet_size), 484, 65535,
	    0, 0, 0 },
	{ "resolve_interval", OPT_DURATION, OPTF(resolve_interval_ms), 0,
	    7 * 24 * 3600 * 1000, 0, 0, 0 },
	{ "enabled", OPT_BOOL, OPTF(enabled), 0, 0, 0, 0, 0 },
	{ "accept_data", OPT_BOOL, OPTF(accept_data), 0, 0, 0, 0, 0 },
};
#define NOPTDEFS	(sizeof(optdefs) / sizeof(optdefs[0]))

/* In the order of enum sess_transport. */
static const char *const transport_words[] = { "udp", "udp6", "dtls", "tcp",
    "tcp6", NULL };
const char *const config_version_words[] = { "1", "2c", "3", "2", NULL };

/* The options of SPEC 2 that live in config_session.extra for now. */
enum v3kind {
	V3_STR,
	V3_PATH,
	V3_WORD,
	V3_HEX,
	V3_INT,
	V3_BOOL,
	V3_FINGERPRINT,
	V3_DURATION,
};

struct v3def {
	const char		*name;
	enum v3kind		 kind;
	long long		 min, max;	/* length, octets or value */
	const char *const	*words;
	int			 secret;
};

static const char *const auth_words[] = { "md5", "sha", "sha224", "sha256",
	"sha384", "sha512", NULL };
static const char *const priv_words[] = { "des", "3des", "aes", "aes192",
	"aes256", NULL };
static const char *const keyext_words[] = { "blumenthal", "reeder", "auto",
	NULL };
/* RFC 3411 5 SnmpSecurityLevel, as Net-SNMP's -l spells them. */
const char *const cfg_level_words[] = { "noAuthNoPriv", "authNoPriv",
	"authPriv", NULL };
/* DTLS 1.2 is the only version above 1.0 OpenSSL 3 offers. */
static const char *const tls_version_words[] = { "1.2", NULL };
const char *const cfg_keytype_words[] = { "localized", "master", NULL };

static const struct v3def v3defs[] = {
	{ "user", V3_STR, 1, SNMPMGR_MAX_USER_LEN, NULL, 0 },
	{ "auth", V3_WORD, 0, 0, auth_words, 0 },
	/* RFC 3414 11.2: passwords of at least 8 octets. */
	{ "auth_password", V3_STR, 8, CONFIG_MAX_SECRET_LEN, NULL, 1 },
	{ "priv", V3_WORD, 0, 0, priv_words, 0 },
	{ "priv_password", V3_STR, 8, CONFIG_MAX_SECRET_LEN, NULL, 1 },
	{ "priv_key_extension", V3_WORD, 0, 0, keyext_words, 0 },
	{ "auth_key", V3_HEX, 16, 64, NULL, 1 },
	{ "priv_key", V3_HEX, 16, 64, NULL, 1 },
	{ "auth_key_type", V3_WORD, 0, 0, cfg_keytype_words, 0 },
	{ "priv_key_type", V3_WORD, 0, 0, cfg_keytype_words, 0 },
	{ "security_level", V3_WORD, 0, 0, cfg_level_words, 0 },
	/* RFC 3411 5: SnmpEngineID is 5..32 octets. */
	{ "local_engine_id", V3_HEX, 5, SNMPMGR_MAX_ENGINE_ID_LEN, NULL, 0 },
	{ "engine_id", V3_HEX, 5, SNMPMGR_MAX_ENGINE_ID_LEN, NULL, 0 },
	{ "engine_boots", V3_INT, 0, 2147483647, NULL, 0 },
	{ "engine_time", V3_INT, 0, 2147483647, NULL, 0 },
	{ "context_engine_id", V3_HEX, 5, SNMPMGR_MAX_ENGINE_ID_LEN, NULL, 0 },
	{ "context_name", V3_STR, 0, SNMPMGR_MAX_CONTEXT_LEN, NULL, 0 },
	/* RFC 3412 6: msgMaxSize is at least 484. */
	{ "msg_max_size", V3_INT, 484, SNMPMGR_MAX_MSG_SIZE, NULL, 0 },
	{ "single_step_discovery", V3_BOOL, 0, 0, NULL, 0 },
	{ "mask_sensitive_data", V3_BOOL, 0, 0, NULL, 0 },
	{ "decrypt_trace", V3_BOOL, 0, 0, NULL, 0 },
	{ "cert", V3_PATH, 1, PATH_MAX, NULL, 0 },
	{ "key", V3_PATH, 1, PATH_MAX, NULL, 0 },
	{ "ca", V3_PATH, 1, PATH_MAX, NULL, 0 },
	{ "server_fingerprint", V3_FINGERPRINT, 0, 0, NULL, 0 },
	/* RFC 5591: tmSecurityName is a SnmpAdminString (1..32 here). */
	{ "security_name", V3_STR, 1, 32, NULL, 0 },
	{ "key_password", V3_STR, 1, CONFIG_MAX_SECRET_LEN, NULL, 1 },
	/* "" turns the name check off (with a fingerprint only). */
	{ "server_name", V3_STR, 0, 253, NULL, 0 },
	{ "tls_min_version", V3_WORD, 0, 0, tls_version_words, 0 },
	{ "tls_ciphers", V3_STR, 1, 1024, NULL, 0 },
	{ "tsm_use_prefix", V3_BOOL, 0, 0, NULL, 0 },
	{ "dtls_idle_timeout", V3_DURATION, 1000, 24 * 3600 * 1000, NULL, 0 },
};
#define NV3DEFS		(sizeof(v3defs) / sizeof(v3defs[0]))

/*
 * Every name of both tables in one open-addressed table (FNV-1a): a key
 * is found with one hash and a strcmp or two, where the parser and
 * cfg_opts_apply() ask for every key of a file (300,000 for 100,000
 * sessions).  Made on first use; the config is read by one thread.
 */
#define OPTIX_SIZE	256		/* a power of two, > 2 x the names */
_Static_assert(2 * (NOPTDEFS + NV3DEFS) < OPTIX_SIZE,
    "optix: the table must keep empty slots (optix_slot ends on one)");

static struct {
	const char	*name;
	short		 opt;		/* index in optdefs, or -1 */
	short		 v3;		/* index in v3defs, or -1 */
} optix[OPTIX_SIZE];
static bool	 optix_made;

static uint32_t
optix_hash(const char *name)
{
	uint32_t	 h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

/* The slot of name, or of the empty one where it would go. */
static size_t
optix_slot(const char *name)
{
	size_t	 i;

	for (i = optix_hash(name) & (OPTIX_SIZE - 1); optix[i].name != NULL &&
	    strcmp(optix[i].name, name) != 0; i = (i + 1) & (OPTIX_SIZE - 1))
		;
	return i;
}

static void
optix_add(const char *name, short opt, short v3)
{
	size_t	 i = optix_slot(name);

	if (optix[i].name == NULL) {
		optix[i].name = name;
		optix[i].opt = optix[i].v3 = -1;
	}
	if (opt >= 0)
		optix[i].opt = opt;
	if (v3 >= 0)
		optix[i].v3 = v3;
}

static size_t
optix_find(const char *name)
{
	size_t	 i;

	if (!optix_made) {
		for (i = 0; i < NOPTDEFS; i++)
			optix_add(optdefs[i].name, (short)i, -1);
		for (i = 0; i < NV3DEFS; i++)
			optix_add(v3defs[i].name, -1, (short)i);
		optix_made = true;
	}
	return optix_slot(name);
}

static const struct optdef *
optdef_find(const char *name)
{
	size_t	 i = optix_find(name);

	return optix[i].name != NULL && optix[i].opt >= 0 ?
	    &optdefs[optix[i].opt] : NULL;
}

const struct v3def *
cfg_v3def_find(const char *name)
{
	size_t	 i = optix_find(name);

	return optix[i].name != NULL && optix[i].v3 >= 0 ?
	    &v3defs[optix[i].v3] : NULL;
}

static void
suggest_options(struct suggest *sg, const char *const *extra)
{
	size_t	 i;

	for (i = 0; i < NOPTDEFS; i++)
		cfg_suggest_try(sg, optdefs[i].name);
	cfg_suggest_v3_keys(sg);
	cfg_suggest_list(sg, extra);
}

/* Offer every SNMPv3 and DTLS option name to sg. */
void
cfg_suggest_v3_keys(struct suggest *sg)
{
	size_t	 i;

	for (i = 0; i < NV3DEFS; i++)
		cfg_suggest_try(sg, v3defs[i].name);
}

static int
opt_set(const struct optdef *od, const json_t *v, const struct cfg_pos *at,
    struct sess_opts *o, struct config_err *err)
{
	char		*dst = (char *)o + od->off;
	const char	*s;
	long long	 n;
	uint32_t	 ms;
	size_t		 w;
	bool		 b = false;

	if (od->nullable && json_is_null(v)) {
		n = od->nullval;
		goto store;
	}
	switch (od->kind) {
	case OPT_ADDR:
	case OPT_STR:
		if (cfg_str(v, at, (size_t)od->min, od->size - 1,
		    od->kind == OPT_ADDR, &s, err) == -1)
			return -1;
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	case OPT_BOOL:
		if (cfg_bool(v, at, &b, err) == -1)
			return -1;
		memcpy(dst, &b, sizeof(b));
		return 0;
	case OPT_DURATION:
		if (cfg_duration(v, at, (uint32_t)od->min, (uint32_t)od->max,
		    &ms, err) == -1)
			return -1;
		memcpy(dst, &ms, sizeof(ms));
		return 0;
	case OPT_TRANSPORT:
		if (cfg_word(v, at, transport_words, &w, err) == -1)
			return -1;
		o->transport = (enum sess_transport)w;
		return 0;
	case OPT_VERSION:
		if (json_is_integer(v)) {
			switch (json_integer_value(v)) {
			case 1:
				o->version = SNMP_V1;
				return 0;
			case 2:
				o->version = SNMP_V2C;
				return 0;
			case 3:
				o->version = SNMP_V3;
				return 0;
			}
			return cfg_fail(err, at, AT_VALUE, "expected \"1\", "
			    "\"2c\" or \"3\"");
		}
		for (w = 0; json_is_string(v) && config_version_words[w] != NULL;
		    w++)
			if (strcmp(json_string_value(v), config_version_words[w]) == 0)
				break;
		if (!json_is_string(v) || config_version_words[w] == NULL)
			return cfg_fail(err, at, AT_VALUE, "expected \"1\", "
			    "\"2c\" or \"3\"");
		o->version = w == 0 ? SNMP_V1 : w == 2 ? SNMP_V3 : SNMP_V2C;
		return 0;
	case OPT_U16:
	case OPT_U32:
	case OPT_INT:
	case OPT_SIZE_INT:
	case OPT_SIZE_U32:
		if (cfg_int_range(v, at, od->kind == OPT_SIZE_INT ||
		    od->kind == OPT_SIZE_U32, od->min, od->max, &n, err) == -1)
			return -1;
		goto store;
	}
	return cfg_fail(err, at, AT_VALUE, "internal error: option kind");
 store:
	if (od->size == sizeof(uint16_t)) {
		uint16_t	 u16 = (uint16_t)n;
		memcpy(dst, &u16, sizeof(u16));
	} else if (od->kind == OPT_INT || od->kind == OPT_SIZE_INT) {
		int		 i = (int)n;
		memcpy(dst, &i, sizeof(i));
	} else {
		uint32_t	 u32 = (uint32_t)n;
		memcpy(dst, &u32, sizeof(u32));
	}
	return 0;
}

int
cfg_v3_check(const struct v3def *vd, const json_t *v, const struct cfg_pos *at,
    struct config_err *err)
{
	const char	*s;
	long long	 n;
	size_t		 w, octets;
	bool		 b;
	uint32_t	 ms;
	struct dtls_fingerprint fp;

	switch (vd->kind) {
	case V3_STR:
	case V3_PATH:
		return cfg_str(v, at, (size_t)vd->min, (size_t)vd->max,
		    vd->kind == V3_PATH, &s, err);
	case V3_WORD:
		return cfg_word(v, at, vd->words, &w, err);
	case V3_BOOL:
		return cfg_bool(v, at, &b, err);
	case V3_INT:
		return cfg_int_range(v, at, 0, vd->min, vd->max, &n, err);
	case V3_HEX:
		if (!json_is_string(v) ||
		    cfg_hex_octets(json_string_value(v), &octets) == -1)
			return cfg_fail(err, at, AT_VALUE, "expected hex "
			    "octets such as \"0x80001f8880...\"");
		if (octets < (size_t)vd->min || octets > (size_t)vd->max)
			return cfg_fail(err, at, AT_VALUE, "must be %lld to "
			    "%lld octets", vd->min, vd->max);
		return 0;
	case V3_FINGERPRINT:
		if (!json_is_string(v) ||
		    dtls_fingerprint_parse(json_string_value(v), &fp) == -1)
			return cfg_fail(err, at, AT_VALUE, "expected a "
			    "certificate fingerprint: \"sha256:\" (or sha1, "
			    "sha384, sha512) and the hash in hex");
		return 0;
	case V3_DURATION:
		return cfg_duration(v, at, (uint32_t)vd->min,
		    (uint32_t)vd->max, &ms, err);
	}
	return cfg_fail(err, at, AT_VALUE, "internal error: option kind");
}

/*
 * Apply the option keys of obj on top of o (and the extra options into
 * extra, when given).  Keys listed in allowed are the caller's business;
 * any other key is an error.
 */
int
cfg_opts_apply(const json_t *obj, const struct cfg_pos *at, struct sess_opts *o,
    json_t *extra, const char *const *allowed, struct config_err *err)
{
	const char		*key;
	json_t			*val;
	const struct optdef	*od;
	const struct v3def	*vd;
	struct cfg_pos		 kat;
	struct suggest		 sg;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object of "
		    "session options");
	json_object_foreach((json_t *)obj, key, val) {
		kat = cfg_pos_key(at, key);
		if ((od = optdef_find(key)) != NULL) {
			if (opt_set(od, val, &kat, o, err) == -1)
				return -1;
		} else if ((vd = cfg_v3def_find(key)) != NULL) {
			if (cfg_v3_check(vd, val, &kat, err) == -1)
				return -1;
			if (extra != NULL && json_object_set(extra, key,
			    val) == -1)
				return cfg_fail(err, &kat, AT_VALUE,
				    "out of memory");
		} else if (!cfg_name_in(allowed, key)) {
			sg.key = key;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			suggest_options(&sg, allowed);
			return cfg_unknown(err, &kat, &sg, "session option");
		}
	}
	return 0;
}

/*
 * The agent's host as the session's transport can use it: a name, an IPv4
 * address, or an IPv6 address without brackets (a link-local one with its
 * %scope).  What would otherwise fail only at run time as a name that
 * does not exist is refused here, saying what to write instead.
 */
int
cfg_host_check(const struct sess_opts *o, const struct cfg_pos *at,
    struct config_err *err)
{
	const char	*h = o->host, *c;
	char		 buf[INET6_ADDRSTRLEN];
	size_t		 n;
	struct in_addr	 a4;
	struct in6_addr	 a6;
	struct cfg_pos	 kat = cfg_pos_key(at, "host");

	if (h[0] == '[')
		return cfg_fail(err, &kat, AT_VALUE, "\"%s\": an IPv6 address "
		    "goes without brackets, its port in \"port\"", h);
	if ((c = strchr(h, ':')) != NULL) {
		if (strchr(c + 1, ':') == NULL)
			return cfg_fail(err, &kat, AT_VALUE, "\"%s\": a host "
			    "and a port? the port goes in \"port\"", h);
		/* A scope ("%eth0") may name an interface that comes
		 * later: the resolver looks again; the address must be one. */
		if ((n = strcspn(h, "%")) >= sizeof(buf) ||
		    (h[n] == '%' && h[n + 1] == '\0'))
			return cfg_fail(err, &kat, AT_VALUE, "\"%s\": not an "
			    "IPv6 address", h);
		memcpy(buf, h, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return cfg_fail(err, &kat, AT_VALUE, "\"%s\": not an "
			    "IPv6 address", h);
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return cfg_fail(err, &kat, AT_VALUE, "\"%s\": an "
			    "IPv4-mapped address; give the IPv4 address "
			    "itself", h);
		return 0;
	}
	if ((o->transport == SESS_TRANSPORT_UDP6 ||
	    o->transport == SESS_TRANSPORT_TCP6) &&
	    inet_pton(AF_INET, h, &a4) == 1)
		return cfg_fail(err, &kat, AT_VALUE, "\"%s\": an IPv4 address, "
		    "but transport \"%s\" is IPv6 only", h,
		    transport_words[o->transport]);
	return 0;
}

/*
 * obj over *o (config_apply_session_opts); with change, a run-time change
 * (config_change_session_opts): base and *newextra its extra keys before
 * and after, *tls_cred what was read of its DTLS files.
 */
static int
session_opts_apply(const json_t *obj, struct sess_opts *o, bool change,
    const json_t *base, json_t **newextra, struct dtls_cred **tls_cred,
    struct config_err *err)
{
	struct cfg_pos	 at;
	struct sess_opts tmp;
	struct usm_cred	*cred = NULL;
	struct dtls_cred *tc = NULL;
	json_t		*extra, *merged = NULL, *v;
	const char	*badkey = "", *key;
	char		 why[300];

	memset(&at, 0, sizeof(at));
	err->text[0] = '\0';
	tmp = *o;
	if ((extra = json_object()) == NULL)
		return cfg_fail(err, &at, AT_VALUE, "out of memory");
	if (cfg_opts_apply(obj, &at, &tmp, extra, NULL, err) == -1)
		goto fail;
	if (tmp.host[0] == '\0') {
		cfg_fail(err, &at, AT_VALUE, "host: required");
		goto fail;
	}
	if (cfg_host_check(&tmp, &at, err) == -1)
		goto fail;
	/* Leaving DTLS: the level it implied goes too (cfg_tls_session). */
	if (change && o->transport == SESS_TRANSPORT_DTLS &&
	    tmp.transport != SESS_TRANSPORT_DTLS &&
	    json_object_get(base, "security_level") == NULL &&
	    json_object_get(extra, "security_level") == NULL)
		tmp.v3.level = SESS_LEVEL_DEFAULT;
	/* SNMPv3 keys: o's credential, with these over it (session.h). */
	if (cfg_v3_apply(extra, &tmp, &cred, &badkey, why, sizeof(why)) == -1) {
		(void)snprintf(err->text, sizeof(err->text), "%s: %s", badkey,
		    why);
		goto fail;
	}
	if (change) {
		/* The session's extra keys with obj's over them; the
		 * credential's are in its credential. */
		if ((merged = base != NULL ? json_deep_copy(base) :
		    json_object()) == NULL) {
			cfg_fail(err, &at, AT_VALUE, "out of memory");
			goto fail;
		}
		json_object_foreach(extra, key, v)
			if (!cfg_v3_cred_key(key) &&
			    json_object_set(merged, key, v) == -1) {
				cfg_fail(err, &at, AT_VALUE, "out of memory");
				goto fail;
			}
		/* DTLS: what changes is checked, the rest kept. */
		tc = dtls_cred_ref(*tls_cred);
		if (cfg_tls_change(merged, obj, &tmp,
		    o->transport == SESS_TRANSPORT_DTLS, &at, &tc, err) == -1)
			goto fail;
		cfg_secrets_mask(merged);
		if (json_object_size(merged) == 0) {
			json_decref(merged);
			merged = NULL;
		}
	} else if (cfg_tls_session(extra, &tmp, json_object_get(obj,
	    "version") != NULL, json_object_get(obj, "port") != NULL, &at,
	    tls_cred, NULL, err) == -1)
		/* DTLS: SNMPv3 under TSM, our certificate and key checked. */
		goto fail;
	json_decref(extra);
	if (cred != NULL) {
		usm_cred_free(o->v3.cred);
		tmp.v3.cred = cred;
	}
	if (change) {
		dtls_cred_free(*tls_cred);
		*tls_cred = tc;
		*newextra = merged;
	}
	*o = tmp;
	return 0;
 fail:
	usm_cred_free(cred);
	dtls_cred_free(tc);
	if (merged != NULL)
		config_json_wipe_secrets(merged);	/* a key_password */
	json_decref(merged);
	json_decref(extra);
	return -1;
}

int
config_apply_session_opts(const json_t *obj, struct sess_opts *o,
    struct dtls_cred **tls_cred, struct config_err *err)
{
	return session_opts_apply(obj, o, false, NULL, NULL, tls_cred, err);
}

int
config_change_session_opts(const json_t *obj, struct sess_opts *o,
    const json_t *extra, json_t **newextra, struct dtls_cred **tls_cred,
    struct config_err *err)
{
	return session_opts_apply(obj, o, true, extra, newextra, tls_cred,
	    err);
}

int
config_session_set_opts(struct config_session *s, const json_t *obj,
    struct config_err *err)
{
	struct sess_opts	 o;
	const struct sess_opts	*nb;
	struct dtls_cred	*tc;
	json_t			*extra = NULL;
	char			*host;

	sess_opts_compose(&o, s->opts, s->host);
	if (o.v3.cred != NULL)
		usm_cred_ref(o.v3.cred);
	tc = dtls_cred_ref(s->tls_cred);
	if (config_change_session_opts(obj, &o, s->extra, &extra, &tc,
	    err) == -1) {
		dtls_cred_free(tc);
		sess_opts_release(&o);
		return -1;
	}
	nb = sess_opts_intern(&o);
	host = strdup(o.host);
	sess_opts_release(&o);
	if (nb == NULL || host == NULL) {
		sess_opts_drop(nb);
		free(host);
		dtls_cred_free(tc);
		json_decref(extra);
		(void)snprintf(err->text, sizeof(err->text), "out of memory");
		return -1;
	}
	sess_opts_drop(s->opts);
	if (!s->host_in_name)
		free(s->host);
	s->host_in_name = false;
	s->opts = nb;
	s->host = host;
	json_decref(s->extra);
	s->extra = extra;
	dtls_cred_free(s->tls_cred);
	s->tls_cred = tc;
	return 0;
}

static json_t *
opt_json(const struct optdef *od, const struct sess_opts *o, bool mask)
{
	const char	*src = (const char *)o + od->off;
	char		 buf[32];
	uint16_t	 u16;
	uint32_t	 u32;
	int		 i;
	bool		 b;

	if (od->secret && mask)
		return json_string("***");
	switch (od->kind) {
	case OPT_ADDR:
	case OPT_STR:
		return json_stringn(src, strnlen(src, od->size));
	case OPT_BOOL:
		memcpy(&b, src, sizeof(b));
		return json_boolean(b);
	case OPT_DURATION:
		memcpy(&u32, src, sizeof(u32));
		cfg_format_duration(u32, buf, sizeof(buf));
		return json_string(buf);
	case OPT_TRANSPORT:
		return json_string(transport_words[o->transport <=
		    SESS_TRANSPORT_TCP6 ? o->transport : 0]);
	case OPT_VERSION:
		return json_string(o->version == SNMP_V1 ? "1" :
		    o->version == SNMP_V3 ? "3" : "2c");
	case OPT_U16:
		memcpy(&u16, src, sizeof(u16));
		return json_integer(u16);
	case OPT_INT:
	case OPT_SIZE_INT:
		memcpy(&i, src, sizeof(i));
		if (od->nullable && i == od->nullval && i < 0)
			return json_null();
		return json_integer(i);
	case OPT_U32:
	case OPT_SIZE_U32:
		memcpy(&u32, src, sizeof(u32));
		return json_integer(u32);
	}
	return json_null();
}

json_t *
config_session_opts_json(const struct sess_opts *o, bool mask)
{
	json_t	*obj, *v;
	size_t	 i;

	if ((obj = json_object()) == NULL)
		return NULL;
	for (i = 0; i < NOPTDEFS; i++) {
		if ((v = opt_json(&optdefs[i], o, mask)) == NULL ||
		    json_object_set_new(obj, optdefs[i].name, v) == -1) {
			json_decref(obj);
			return NULL;
		}
	}
	if (cfg_v3_opts_json(o, mask, obj) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *
config_extra_json(const json_t *extra, bool mask)
{
	json_t			*obj, *v;
	const char		*key;
	const struct v3def	*vd;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (extra == NULL)
		return obj;
	json_object_foreach((json_t *)extra, key, v) {
		vd = cfg_v3def_find(key);
		if (mask && vd != NULL && vd->secret) {
			if (json_object_set_new(obj, key,
			    json_string("***")) == -1)
				goto fail;
		} else if (json_object_set(obj, key, v) == -1)
			goto fail;
	}
	return obj;
 fail:
	json_decref(obj);
	return NULL;
}

/* A password or key member (auth_password, priv_key ...)? */
static bool
is_secret_key(const char *key)
{
	const struct v3def	*vd = cfg_v3def_find(key);

	return vd != NULL && vd->secret;
}

/*
 * A member whose string config_json_wipe_secrets() overwrites: the SNMPv3
 * secrets and cluster.nats.password.
 */
bool
cfg_secret_key(const char *key)
{
	return is_secret_key(key) || strcmp(key, "password") == 0;
}

bool
cfg_secret_name(const char *key)
{
	return cfg_secret_key(key) || strcmp(key, "community") == 0 ||
	    strcmp(key, "communities") == 0;
}

/*
 * Overwrite the string v where jansson keeps it, then make it "***".
 * Every holder of a reference to v sees the change.
 */
static void
secret_wipe(json_t *v)
{
	char	*p = (char *)json_string_value(v);

	if (p == NULL || strcmp(p, "***") == 0)
		return;
	OPENSSL_cleanse(p, json_string_length(v));
	(void)json_string_set(v, "***");
}

static void
secrets_wipe(json_t *j, int depth)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	if (depth > SNMPMGR_MAX_JSON_DEPTH)
		return;
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (json_is_string(v) && cfg_secret_key(key))
				secret_wipe(v);
			else
				secrets_wipe(v, depth + 1);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			secrets_wipe(v, depth + 1);
	}
}

void
config_json_wipe_secrets(json_t *j)
{
	secrets_wipe(j, 0);
}

void
config_json_wipe_string(json_t *v)
{
	if (json_is_string(v))
		secret_wipe(v);
}

/*
 * Put "***" in place of the secrets of a session's extra options once its
 * credential is made.  Replaced, not overwritten: while a config loads,
 * these strings are shared with the files' parse trees (and so with other
 * sessions of the same credentials), which are wiped when the load ends.
 */
void
cfg_secrets_mask(json_t *extra)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(extra, key, v)
		if (json_is_string(v) && is_secret_key(key))
			(void)json_object_set_new(extra, key,
			    json_string("***"));
}

