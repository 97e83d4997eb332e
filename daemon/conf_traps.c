/*
 * conf_traps.c - the "traps" section (SPEC 8): listen addresses,
 * communities, SNMPv3 users with the engines they may send from, the
 * acknowledgement and buffer options and the journal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/session.h"
#include "core/usm.h"
#include "conf.h"
#include "conf_int.h"
#include "journal.h"

/* traps.tcp defaults. */
#define TCP_DEFAULT_CONNECTIONS		256
#define TCP_DEFAULT_IDLE_MS		(5 * 60 * 1000)
#define TCP_DEFAULT_MESSAGE_MS		10000

static int
trap_listen_parse(const char *spec, struct config_trap_listen *l,
    const char **why)
{
	/* The listen spec prefixes and their default ports. */
	static const struct {
		const char		*prefix;
		enum sess_transport	 transport;
		uint16_t		 port;
	} kinds[] = {
		{ "udp:", SESS_TRANSPORT_UDP, 162 },
		{ "udp6:", SESS_TRANSPORT_UDP6, 162 },
		{ "tcp:", SESS_TRANSPORT_TCP, 162 },
		{ "tcp6:", SESS_TRANSPORT_TCP6, 162 },
		{ "dtls:", SESS_TRANSPORT_DTLS, 10162 },
	};
	const char	*rest, *hend, *pstr = NULL;
	size_t		 hlen, k;
	unsigned long	 port;
	char		*end;
	unsigned char	 addr[16];
	int		 bracket = 0, family;

	if (strlen(spec) >= sizeof(l->spec)) {
		*why = "too long";
		return -1;
	}
	copy_str(l->spec, spec, sizeof(l->spec));
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strncmp(spec, kinds[k].prefix, strlen(kinds[k].prefix)) ==
		    0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		*why = "expected \"udp:ADDR:PORT\", \"udp6:[ADDR]:PORT\", "
		    "\"tcp:ADDR:PORT\", \"tcp6:[ADDR]:PORT\" or "
		    "\"dtls:ADDR:PORT\"";
		return -1;
	}
	l->transport = kinds[k].transport;
	l->port = kinds[k].port;
	rest = spec + strlen(kinds[k].prefix);
	if ((l->transport == SESS_TRANSPORT_UDP6 ||
	    l->transport == SESS_TRANSPORT_TCP6) && rest[0] != '[') {
		*why = "IPv6 addresses go in brackets: \"udp6:[::]:162\"";
		return -1;
	}
	if (rest[0] == '[') {
		bracket = 1;
		rest++;
		if ((hend = strchr(rest, ']')) == NULL) {
			*why = "no ']' after the IPv6 address";
			return -1;
		}
		if (hend[1] == ':')
			pstr = hend + 2;
		else if (hend[1] != '\0') {
			*why = "expected ':' and a port after ']'";
			return -1;
		}
	} else {
		hend = strchr(rest, ':');
		if (hend != NULL)
			pstr = hend + 1;
		else
			hend = rest + strlen(rest);
	}
	hlen = (size_t)(hend - rest);
	if (hlen == 0 || hlen >= sizeof(l->host)) {
		*why = "no address";
		return -1;
	}
	memcpy(l->host, rest, hlen);
	l->host[hlen] = '\0';
	if (pstr != NULL) {
		errno = 0;
		port = strtoul(pstr, &end, 10);
		if (pstr[0] < '0' || pstr[0] > '9' || *end != '\0' ||
		    errno != 0 || port < 1 || port > 65535) {
			*why = "the port must be from 1 to 65535";
			return -1;
		}
		l->port = (uint16_t)port;
	}
	family = bracket ? AF_INET6 : AF_INET;
	if (l->transport == SESS_TRANSPORT_UDP && bracket) {
		*why = "use \"udp6:[ADDR]:PORT\" for IPv6";
		return -1;
	}
	if (l->transport == SESS_TRANSPORT_TCP && bracket) {
		*why = "use \"tcp6:[ADDR]:PORT\" for IPv6";
		return -1;
	}
	if (inet_pton(family, l->host, addr) != 1) {
		*why = family == AF_INET ? "not a numeric IPv4 address" :
		    "not a numeric IPv6 address";
		return -1;
	}
	return 0;
}

/* A list of strings into a malloc'ed char * array. */
static int
str_list(const json_t *v, const struct cfg_pos *at, size_t maxlen,
    char ***out, size_t *nout, struct config_err *err)
{
	struct cfg_pos	 eat;
	const char	*s;
	size_t		 i, n;

	if (!json_is_array(v))
		return cfg_fail(err, at, AT_VALUE, "expected a list of "
		    "strings");
	n = json_array_size(v);
	if (n > CONFIG_MAX_LIST)
		return cfg_fail(err, at, AT_VALUE, "more than %d entries",
		    CONFIG_MAX_LIST);
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return cfg_fail(err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = cfg_pos_idx(at, i);
		if (cfg_str(json_array_get(v, i), &eat, 0, maxlen, 0, &s,
		    err) == -1)
			return -1;
		if (((*out)[i] = strdup(s)) == NULL)
			return cfg_fail(err, &eat, AT_VALUE, "out of memory");
		(*nout)++;
	}
	return 0;
}

/*
 * The credential(s) of a trap user from its credentials set (checked by
 * cfg_credentials): only the USM keys count, with SPEC 2's defaults (MD5
 * when there is an auth password or key, DES when there is a privacy
 * one; keys localized unless their *_key_type is "master"), and "auto"
 * key extension makes one credential per extension.  Passwords are hashed
 * here, once (usm_cred_get; an identical credential still alive is
 * shared).  A set that makes no credential is no config error (it never
 * was): the reason is kept in tu for the receiver to report.
 */
static void
trap_user_creds(const json_t *set, struct config_trap_user *tu)
{
	struct usm_cred_params	 p;
	uint8_t			 akey[USM_MAX_KEY_LEN], pkey[USM_MAX_KEY_LEN];
	const char		*s;
	bool			 both = false;

	memset(&p, 0, sizeof(p));
	p.user = json_string_value(json_object_get(set, "user"));
	p.auth_password = json_string_value(json_object_get(set,
	    "auth_password"));
	p.priv_password = json_string_value(json_object_get(set,
	    "priv_password"));
	if ((s = json_string_value(json_object_get(set, "auth_key"))) !=
	    NULL) {
		p.auth_key = akey;
		p.auth_key_len = cfg_hex_decode(s, akey, sizeof(akey));
		s = json_string_value(json_object_get(set, "auth_key_type"));
		p.auth_key_localized = s == NULL || strcmp(s, "master") != 0;
	}
	if ((s = json_string_value(json_object_get(set, "priv_key"))) !=
	    NULL) {
		p.priv_key = pkey;
		p.priv_key_len = cfg_hex_decode(s, pkey, sizeof(pkey));
		s = json_string_value(json_object_get(set, "priv_key_type"));
		p.priv_key_localized = s == NULL || strcmp(s, "master") != 0;
	}
	p.auth = USM_AUTH_NONE;
	if ((s = json_string_value(json_object_get(set, "auth"))) != NULL) {
		if (usm_auth_from_name(s, &p.auth) == -1)
			goto fail;
	} else if (p.auth_password != NULL || p.auth_key != NULL)
		p.auth = USM_AUTH_MD5;		/* SPEC 2 default */
	p.priv = USM_PRIV_NONE;
	if ((s = json_string_value(json_object_get(set, "priv"))) != NULL) {
		if (usm_priv_from_name(s, &p.priv, &p.keyext) == -1)
			goto fail;
	} else if (p.priv_password != NULL || p.priv_key != NULL)
		p.priv = USM_PRIV_DES;		/* SPEC 2 default */
	if ((s = json_string_value(json_object_get(set,
	    "priv_key_extension"))) != NULL) {
		if (strcmp(s, "auto") == 0)
			both = true;
		else if (usm_keyext_from_name(s, &p.keyext) == -1)
			goto fail;
	}
	if (p.user == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME, "no user name");
		goto fail;
	}
	if (both)
		p.keyext = USM_KEYEXT_BLUMENTHAL;
	if ((tu->creds[0] = usm_cred_get(&p)) == NULL)
		goto fail;
	tu->ncreds = 1;
	if (both) {
		p.keyext = USM_KEYEXT_REEDER;
		if ((tu->creds[1] = usm_cred_get(&p)) == NULL)
			goto fail;
		tu->ncreds = 2;
	}
	goto out;
 fail:
	tu->err = snmpmgr_lasterr();
	copy_str(tu->err_detail, snmpmgr_lasterr_detail(),
	    sizeof(tu->err_detail));
	usm_cred_free(tu->creds[0]);
	tu->creds[0] = NULL;
	tu->ncreds = 0;
 out:
	OPENSSL_cleanse(akey, sizeof(akey));
	OPENSSL_cleanse(pkey, sizeof(pkey));
}

/*
 * traps.users: credentials names, or {"credentials": NAME, "engines":
 * [HEX, ...]} to accept that user's traps from those sender engines only.
 */
static int
trap_users(struct cfg_ctx *ctx, const json_t *v, const struct cfg_pos *at)
{
	static const char *const keys[] = { "credentials", "engines", NULL };
	struct config_traps *tr = &ctx->c->traps;
	struct config_trap_user *tu;
	struct cfg_pos	 eat, kat, xat;
	const json_t	*e, *name, *engs, *set;
	const char	*s;
	size_t		 i, k, n, octets;

	if (!json_is_array(v))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected a list of "
		    "credentials names");
	if ((n = json_array_size(v)) > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, at, AT_VALUE, "more than %d entries",
		    CONFIG_MAX_LIST);
	if (n == 0)
		return 0;
	if ((tr->users = calloc(n, sizeof(*tr->users))) == NULL ||
	    (tr->user_info = calloc(n, sizeof(*tr->user_info))) == NULL)
		return cfg_fail(ctx->err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = cfg_pos_idx(at, i);
		e = json_array_get(v, i);
		name = e;
		engs = NULL;
		kat = eat;
		if (json_is_object(e)) {
			if (cfg_check_keys(e, &eat, keys, ctx->err) == -1)
				return -1;
			kat = cfg_pos_key(&eat, "credentials");
			if ((name = json_object_get(e, "credentials")) == NULL)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "\"credentials\" missing");
			engs = json_object_get(e, "engines");
		}
		if (cfg_str(name, &kat, 1, SNMPMGR_MAX_NAME_LEN, 0, &s,
		    ctx->err) == -1)
			return -1;
		if ((set = json_object_get(ctx->coll[SECT_CREDENTIALS],
		    s)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "no "
			    "credentials named \"%s\"", s);
		if ((tr->users[i] = strdup(s)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
		tr->nusers++;
		tu = &tr->user_info[i];
		trap_user_creds(set, tu);
		if (engs == NULL)
			continue;
		kat = cfg_pos_key(&eat, "engines");
		if (!json_is_array(engs) || json_array_size(engs) == 0 ||
		    json_array_size(engs) > CONFIG_MAX_LIST)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected a "
			    "list of engine IDs in hex");
		k = json_array_size(engs);
		if ((tu->engines = calloc(k, sizeof(*tu->engines))) == NULL ||
		    (tu->englens = calloc(k, sizeof(*tu->englens))) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
		for (k = 0; k < json_array_size(engs); k++) {
			xat = cfg_pos_idx(&kat, k);
			if (cfg_str(json_array_get(engs, k), &xat, 1, 200, 1,
			    &s, ctx->err) == -1)
				return -1;
			/* RFC 3411 5: SnmpEngineID is 5..32 octets. */
			if (cfg_hex_octets(s, &octets) == -1 || octets < 5 ||
			    octets > SNMPMGR_MAX_ENGINE_ID_LEN)
				return cfg_fail(ctx->err, &xat, AT_VALUE,
				    "expected an engine ID of 5 to 32 octets "
				    "in hex, such as \"0x80001f8880...\"");
			tu->englens[k] = cfg_hex_decode(s, tu->engines[k],
			    sizeof(tu->engines[k]));
			tu->nengines++;
		}
	}
	return 0;
}

/* traps.tcp: the bounds of the TCP listeners (SPEC 8). */
static int
cfg_traps_tcp(struct cfg_ctx *ctx, const json_t *obj,
    const struct cfg_pos *at)
{
	static const char *const keys[] = { "max_connections",
		"idle_timeout", "message_timeout", NULL };
	struct config_traps_tcp *tc = &ctx->c->traps.tcp;
	struct cfg_pos	 kat;
	const json_t	*v;
	long long	 n;

	tc->max_connections = TCP_DEFAULT_CONNECTIONS;
	tc->idle_timeout_ms = TCP_DEFAULT_IDLE_MS;
	tc->message_timeout_ms = TCP_DEFAULT_MESSAGE_MS;
	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected an object "
		    "with max_connections, idle_timeout, message_timeout");
	if (cfg_check_keys(obj, at, keys, ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(at, "max_connections");
	if ((v = json_object_get(obj, "max_connections")) != NULL) {
		if (cfg_int_range(v, &kat, 0, 1,
		    SNMPMGR_MAX_TRAP_TCP_CONNECTIONS, &n, ctx->err) == -1)
			return -1;
		tc->max_connections = (uint32_t)n;
	}
	kat = cfg_pos_key(at, "idle_timeout");
	if ((v = json_object_get(obj, "idle_timeout")) != NULL &&
	    cfg_duration(v, &kat, 1000, 86400000, &tc->idle_timeout_ms,
	    ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(at, "message_timeout");
	if ((v = json_object_get(obj, "message_timeout")) != NULL &&
	    cfg_duration(v, &kat, 100, 600000, &tc->message_timeout_ms,
	    ctx->err) == -1)
		return -1;
	return 0;
}

static int
cfg_journal(struct cfg_ctx *ctx, const json_t *obj, const struct cfg_pos *at)
{
	static const char *const keys[] = { "path", "max_size", "keep",
		"fsync", "interval", NULL };
	static const char *const fsyncs[] = { "none", "interval", "always",
		NULL };
	struct config_traps *tr = &ctx->c->traps;
	struct cfg_pos	 kat;
	const json_t	*v;
	const char	*path = CONFIG_DEFAULT_JOURNAL;
	long long	 n;
	size_t		 w;

	tr->journal_max_size = 64ULL << 20;
	tr->journal_keep = 4;
	tr->journal_interval_ms = 1000;
	copy_str(tr->journal_fsync, "interval",
	    sizeof(tr->journal_fsync));
	if (obj != NULL) {
		if (cfg_check_keys(obj, at, keys, ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(at, "interval");
		if ((v = json_object_get(obj, "interval")) != NULL &&
		    cfg_duration(v, &kat, 10, 3600000,
		    &tr->journal_interval_ms, ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(at, "path");
		if ((v = json_object_get(obj, "path")) != NULL &&
		    cfg_str(v, &kat, 1, PATH_MAX - 1, 0, &path,
		    ctx->err) == -1)
			return -1;
		kat = cfg_pos_key(at, "max_size");
		if ((v = json_object_get(obj, "max_size")) != NULL) {
			if (cfg_int_range(v, &kat, 1, 1, 1LL << 40, &n,
			    ctx->err) == -1)
				return -1;
			/* A record never gets a file of its own, which
			 * would break the journal's size bound. */
			if (n < JOURNAL_MIN_MAX_SIZE)
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "must be at least 1MiB (%d), more than the "
				    "largest record", JOURNAL_MIN_MAX_SIZE);
			tr->journal_max_size = (uint64_t)n;
		}
		kat = cfg_pos_key(at, "keep");
		if ((v = json_object_get(obj, "keep")) != NULL) {
			if (cfg_int_range(v, &kat, 0, 0, 1000, &n,
			    ctx->err) == -1)
				return -1;
			tr->journal_keep = (uint32_t)n;
		}
		kat = cfg_pos_key(at, "fsync");
		if ((v = json_object_get(obj, "fsync")) != NULL) {
			if (cfg_word(v, &kat, fsyncs, &w, ctx->err) == -1)
				return -1;
			copy_str(tr->journal_fsync, fsyncs[w],
			    sizeof(tr->journal_fsync));
		}
	}
	kat = cfg_pos_key(at, "path");
	if ((tr->journal_path = cfg_abspath(ctx->c, path)) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	return 0;
}

int
cfg_traps(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "listen", "communities", "users",
		"journal", "auto_ack", "ack_after", "receive_buffer", "tls", "tcp",
		NULL };
	static const char *const default_listen[] = { "udp:0.0.0.0:162",
		"udp6:[::]:162" };
	struct config_traps *tr = &ctx->c->traps;
	struct cfg_pos	 at = cfg_sect_pos(ctx, SECT_TRAPS), kat, eat;
	const json_t	*obj = ctx->sect[SECT_TRAPS], *v;
	const char	*why, *s;
	size_t		 i, j, n;
	long long	 ll;

	if (obj == NULL)
		return 0;
	ctx->c->have_traps = true;
	if (cfg_check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(&at, "listen");
	v = json_object_get(obj, "listen");
	if (v != NULL && !json_is_array(v))
		return cfg_fail(ctx->err, &kat, AT_VALUE, "expected a list of "
		    "listen specs such as \"udp:0.0.0.0:162\"");
	n = v != NULL ? json_array_size(v) : 2;
	if (n > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "more than %d "
		    "entries", CONFIG_MAX_LIST);
	if (n > 0 && (tr->listen = calloc(n, sizeof(*tr->listen))) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = cfg_pos_idx(&kat, i);
		if (v == NULL)
			s = default_listen[i];
		else if (cfg_str(json_array_get(v, i), &eat, 1, 299, 1, &s,
		    ctx->err) == -1)
			return -1;
		if (trap_listen_parse(s, &tr->listen[i], &why) == -1)
			return cfg_fail(ctx->err, &eat, AT_VALUE, "%s", why);
		tr->nlisten++;
		for (j = 0; j < i; j++)
			if (tr->listen[j].transport ==
			    tr->listen[i].transport &&
			    tr->listen[j].port == tr->listen[i].port &&
			    strcmp(tr->listen[j].host,
			    tr->listen[i].host) == 0)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "listed twice");
	}
	kat = cfg_pos_key(&at, "communities");
	if ((v = json_object_get(obj, "communities")) != NULL &&
	    str_list(v, &kat, SNMPMGR_MAX_COMMUNITY_LEN, &tr->communities,
	    &tr->ncommunities, ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(&at, "users");
	if ((v = json_object_get(obj, "users")) != NULL &&
	    trap_users(ctx, v, &kat) == -1)
		return -1;
	tr->auto_ack = true;
	kat = cfg_pos_key(&at, "auto_ack");
	if ((v = json_object_get(obj, "auto_ack")) != NULL &&
	    cfg_bool(v, &kat, &tr->auto_ack, ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(&at, "ack_after");
	if ((v = json_object_get(obj, "ack_after")) != NULL) {
		if (!json_is_string(v) || (strcmp(json_string_value(v),
		    "journal") != 0 && strcmp(json_string_value(v),
		    "cluster") != 0))
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected "
			    "\"journal\" or \"cluster\"");
		tr->ack_after_cluster = strcmp(json_string_value(v),
		    "cluster") == 0;
		if (tr->ack_after_cluster && ctx->sect[SECT_CLUSTER] == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "\"cluster\" "
			    "needs a \"cluster\" section");
	}
	tr->receive_buffer = 8 << 20;
	kat = cfg_pos_key(&at, "receive_buffer");
	if ((v = json_object_get(obj, "receive_buffer")) != NULL) {
		if (cfg_int_range(v, &kat, 1, 0, 1LL << 30, &ll,
		    ctx->err) == -1)
			return -1;
		tr->receive_buffer = (uint64_t)ll;
	}
	kat = cfg_pos_key(&at, "tls");
	if (cfg_traps_tls(ctx, json_object_get(obj, "tls"), &kat) == -1)
		return -1;
	/* RFC 6353: a DTLS listener needs our certificate and the rules. */
	for (i = 0; i < tr->nlisten; i++)
		if (tr->listen[i].transport == SESS_TRANSPORT_DTLS &&
		    !tr->tls.have) {
			eat = cfg_pos_key(&at, "listen");
			kat = cfg_pos_idx(&eat, i);
			return cfg_fail(ctx->err, &kat, AT_VALUE, "a DTLS "
			    "listener needs \"traps.tls\" (cert, key, ca, "
			    "cert_to_name)");
		}
	kat = cfg_pos_key(&at, "tcp");
	if (cfg_traps_tcp(ctx, json_object_get(obj, "tcp"), &kat) == -1)
		return -1;
	kat = cfg_pos_key(&at, "journal");
	return cfg_journal(ctx, json_object_get(obj, "journal"), &kat);
}

