/*
 * conf_trap_tls.c - traps.tls: the certificate, key and CA of the DTLS
 * trap listeners (RFC 6353), the ordered cert_to_name rules of
 * snmpTlstmCertToTSNTable (RFC 6353 7.3), the RFC 5591 prefix option and
 * the listeners' bounds.  The files are opened now, as the listener
 * would open them (dtls_ctx_new), so `snmpmgrd -t` finds an unreadable
 * CA (271), a missing certificate or key (272), or one that cannot be
 * loaded, does not match or has expired (273); a certificate that
 * expires within 30 days is a warning.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "core/limits.h"
#include "conf.h"
#include "conf_int.h"

#define TLS_DEFAULT_ASSOCS		1024
#define TLS_DEFAULT_HANDSHAKES		64
#define TLS_DEFAULT_IDLE_MS		(5 * 60 * 1000)
#define TLS_DEFAULT_HANDSHAKE_MS	10000

/* cert_to_name "map" words, in enum dtls_map_kind order from 1. */
static const char *const map_words[] = { "specified", "san_rfc822",
	"san_dns", "san_ip", "san_any", "cn", NULL };

/* One cert_to_name rule: {"fingerprint", "map", "name"}. */
static int
tls_rule(const json_t *e, const struct cfg_pos *at, struct dtls_map_rule *r,
    struct config_err *err)
{
	static const char *const keys[] = { "fingerprint", "map", "name",
		NULL };
	struct cfg_pos	 kat;
	const json_t	*v;
	const char	*s;
	size_t		 w;

	if (!json_is_object(e))
		return cfg_fail(err, at, AT_VALUE, "expected {\"fingerprint\": "
		    "\"sha256:...\", \"map\": \"cn\"}");
	if (cfg_check_keys(e, at, keys, err) == -1)
		return -1;
	kat = cfg_pos_key(at, "fingerprint");
	if ((v = json_object_get(e, "fingerprint")) == NULL)
		return cfg_fail(err, at, AT_VALUE, "\"fingerprint\" missing "
		    "(of the sender's certificate or of a CA in its chain)");
	if (cfg_str(v, &kat, 1, 300, 0, &s, err) == -1)
		return -1;
	if (dtls_fingerprint_parse(s, &r->fp) == -1)
		return cfg_fail(err, &kat, AT_VALUE, "%s",
		    snmpmgr_lasterr_detail());
	kat = cfg_pos_key(at, "map");
	if ((v = json_object_get(e, "map")) == NULL)
		return cfg_fail(err, at, AT_VALUE, "\"map\" missing: one of "
		    "specified, san_rfc822, san_dns, san_ip, san_any, cn");
	if (cfg_word(v, &kat, map_words, &w, err) == -1)
		return -1;
	r->kind = (enum dtls_map_kind)(w + 1);
	kat = cfg_pos_key(at, "name");
	v = json_object_get(e, "name");
	if (r->kind != DTLS_MAP_SPECIFIED) {
		if (v != NULL)
			return cfg_fail(err, &kat, AT_KEY, "only a "
			    "\"specified\" rule has a name");
		return 0;
	}
	if (v == NULL)
		return cfg_fail(err, at, AT_VALUE, "a \"specified\" rule "
		    "needs a \"name\"");
	if (cfg_str(v, &kat, 1, SNMPMGR_MAX_SECNAME_LEN, 0, &s, err) == -1)
		return -1;
	copy_str(r->name, s, sizeof(r->name));
	return 0;
}

/* A path value into an absolute, malloc'ed path. */
static int
tls_path(struct cfg_ctx *ctx, const json_t *obj, const struct cfg_pos *at,
    const char *key, char **out)
{
	struct cfg_pos	 kat = cfg_pos_key(at, key);
	const json_t	*v;
	const char	*s;

	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (cfg_str(v, &kat, 1, PATH_MAX - 1, 0, &s, ctx->err) == -1)
		return -1;
	if ((*out = cfg_abspath(ctx->c, s)) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	return 0;
}

/*
 * The dates of our certificate as read (PEM or PKCS#12): expired or not
 * yet valid is an error, within 30 days of its end a warning.
 */
static int
tls_dates(struct config_traps_tls *t, const struct cfg_pos *at,
    struct config_err *err)
{
	char	 end[64];
	int	 days;

	switch (cfg_tls_cred_dates(t->cred, &days, end, sizeof(end))) {
	case CFG_TLS_DATES_EXPIRED:
		return cfg_fail(err, at, AT_VALUE, "error %d: %s: %s: the "
		    "certificate expired (%s)", SNMPMGR_ERR_TLS_CREDENTIALS,
		    snmpmgr_strerror(SNMPMGR_ERR_TLS_CREDENTIALS), t->cert,
		    end);
	case CFG_TLS_DATES_NOT_YET:
		return cfg_fail(err, at, AT_VALUE, "error %d: %s: %s: the "
		    "certificate is not valid yet",
		    SNMPMGR_ERR_TLS_CREDENTIALS,
		    snmpmgr_strerror(SNMPMGR_ERR_TLS_CREDENTIALS), t->cert);
	case CFG_TLS_DATES_SOON:
		snprintf(t->warning, sizeof(t->warning), "traps.tls.cert: %s "
		    "expires within %d days (%s)", t->cert,
		    TLS_EXPIRY_WARN_DAYS, end);
		break;
	case CFG_TLS_DATES_OK:
		break;
	}
	return 0;
}

static void
tls_wipe_password(struct config_traps_tls *t)
{
	if (t->key_password != NULL) {
		OPENSSL_cleanse(t->key_password, strlen(t->key_password));
		free(t->key_password);
		t->key_password = NULL;
	}
}

/* Open the files as a listener would. */
static int
tls_check_files(struct config_traps_tls *t, const struct cfg_pos *at,
    struct config_err *err)
{
	struct dtls_opts	 o;
	struct dtls_ctx		*c;
	struct cfg_pos		 kat;
	int			 e;

	config_traps_tls_opts(t, &o);
	/* Read once: the listeners use what was read, and the password
	 * goes now. */
	if ((o.cred = dtls_cred_get(&o)) != NULL &&
	    (c = dtls_ctx_new(&o)) != NULL) {
		dtls_ctx_free(c);
		t->cred = o.cred;
		tls_wipe_password(t);
		kat = cfg_pos_key(at, "cert");
		return tls_dates(t, &kat, err);
	}
	dtls_cred_free(o.cred);
	/* Point at the file it is about: the detail names it first. */
	e = snmpmgr_lasterr();
	kat = cfg_pos_key(at, e == SNMPMGR_ERR_TLS_CERT_STORE && t->ca !=
	    NULL ? "ca" : t->key != NULL && strncmp(snmpmgr_lasterr_detail(),
	    "key", 3) == 0 ? "key" : "cert");
	return cfg_fail(err, &kat, AT_VALUE, "error %d: %s: %s", e,
	    snmpmgr_strerror(e), snmpmgr_lasterr_detail());
}

void
config_traps_tls_opts(const struct config_traps_tls *t, struct dtls_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->role = DTLS_SERVER;
	o->cert = t->cert;
	o->key = t->key;
	o->key_password = t->key_password;
	o->cred = t->cred;
	o->ca = t->ca;
	o->map = t->map;
	o->nmap = t->nmap;
}

int
cfg_traps_tls(struct cfg_ctx *ctx, const json_t *obj,
    const struct cfg_pos *at)
{
	static const char *const keys[] = { "cert", "key", "key_password",
		"ca", "cert_to_name", "tsm_use_prefix", "max_associations",
		"max_handshakes", "idle_timeout", "handshake_timeout", NULL };
	struct config_traps_tls *t = &ctx->c->traps.tls;
	struct cfg_pos	 kat, eat;
	const json_t	*v;
	const char	*s;
	long long	 n;
	size_t		 i, k;

	t->max_associations = TLS_DEFAULT_ASSOCS;
	t->max_handshakes = TLS_DEFAULT_HANDSHAKES;
	t->idle_timeout_ms = TLS_DEFAULT_IDLE_MS;
	t->handshake_timeout_ms = TLS_DEFAULT_HANDSHAKE_MS;
	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected an object "
		    "with cert, key, ca and cert_to_name");
	t->have = true;
	if (cfg_check_keys(obj, at, keys, ctx->err) == -1 ||
	    tls_path(ctx, obj, at, "cert", &t->cert) == -1 ||
	    tls_path(ctx, obj, at, "key", &t->key) == -1 ||
	    tls_path(ctx, obj, at, "ca", &t->ca) == -1)
		return -1;
	if (t->cert == NULL)
		return cfg_fail(ctx->err, at, AT_VALUE, "\"cert\" missing: "
		    "the DTLS listener's certificate");
	kat = cfg_pos_key(at, "key_password");
	if ((v = json_object_get(obj, "key_password")) != NULL) {
		if (cfg_str(v, &kat, 0, CONFIG_MAX_SECRET_LEN, 0, &s,
		    ctx->err) == -1)
			return -1;
		if ((t->key_password = strdup(s)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
	}
	kat = cfg_pos_key(at, "cert_to_name");
	v = json_object_get(obj, "cert_to_name");
	if (v == NULL || !json_is_array(v) || json_array_size(v) == 0)
		return cfg_fail(ctx->err, v == NULL ? at : &kat, AT_VALUE,
		    "\"cert_to_name\" must list at least one rule: a sender "
		    "no rule maps is refused");
	if ((k = json_array_size(v)) > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "more than %d rules",
		    CONFIG_MAX_LIST);
	if ((t->map = calloc(k, sizeof(*t->map))) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	for (i = 0; i < k; i++) {
		eat = cfg_pos_idx(&kat, i);
		if (tls_rule(json_array_get(v, i), &eat, &t->map[i],
		    ctx->err) == -1)
			return -1;
		t->nmap++;
	}
	kat = cfg_pos_key(at, "tsm_use_prefix");
	if ((v = json_object_get(obj, "tsm_use_prefix")) != NULL &&
	    cfg_bool(v, &kat, &t->use_prefix, ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(at, "max_associations");
	if ((v = json_object_get(obj, "max_associations")) != NULL) {
		if (cfg_int_range(v, &kat, 0, 1, SNMPMGR_MAX_TRAP_DTLS_ASSOCS,
		    &n, ctx->err) == -1)
			return -1;
		t->max_associations = (uint32_t)n;
	}
	kat = cfg_pos_key(at, "max_handshakes");
	if ((v = json_object_get(obj, "max_handshakes")) != NULL) {
		if (cfg_int_range(v, &kat, 0, 1,
		    SNMPMGR_MAX_TRAP_DTLS_HANDSHAKES, &n, ctx->err) == -1)
			return -1;
		t->max_handshakes = (uint32_t)n;
	}
	kat = cfg_pos_key(at, "idle_timeout");
	if ((v = json_object_get(obj, "idle_timeout")) != NULL &&
	    cfg_duration(v, &kat, 1000, 86400000, &t->idle_timeout_ms,
	    ctx->err) == -1)
		return -1;
	kat = cfg_pos_key(at, "handshake_timeout");
	if ((v = json_object_get(obj, "handshake_timeout")) != NULL &&
	    cfg_duration(v, &kat, 100, 600000, &t->handshake_timeout_ms,
	    ctx->err) == -1)
		return -1;
	return tls_check_files(t, at, ctx->err);
}

void
config_traps_tls_free(struct config_traps_tls *t)
{
	free(t->cert);
	free(t->key);
	tls_wipe_password(t);
	dtls_cred_free(t->cred);
	free(t->ca);
	free(t->map);
	memset(t, 0, sizeof(*t));
}
