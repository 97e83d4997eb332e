/*
 * conf_tls.c - the DTLS options of SPEC 2 (RFC 6353, TSM RFC 5591): from
 * checked JSON keys to struct dtls_opts, the rules that tie them together,
 * the check of our certificate and key files (snmpmgrd -t, every load,
 * and run-time changes, which read them again only when they change), and
 * a session's TLS options as session.show has them.  Kept apart so the
 * trap listeners' "tls" block can use the same reading.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "core/session.h"
#include "conf.h"
#include "conf_int.h"
#include "log.h"

static const char *
tls_str(const json_t *extra, const char *key)
{
	const json_t	*v = json_object_get(extra, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void
cfg_tls_opts(const json_t *extra, int role, struct dtls_opts *d)
{
	memset(d, 0, sizeof(*d));
	d->role = (enum dtls_role)role;
	d->cert = tls_str(extra, "cert");
	d->key = tls_str(extra, "key");
	d->key_password = tls_str(extra, "key_password");
	d->ca = tls_str(extra, "ca");
	d->tls_min_version = tls_str(extra, "tls_min_version");
	d->tls_ciphers = tls_str(extra, "tls_ciphers");
	if (role == DTLS_CLIENT) {
		d->server_fingerprint = tls_str(extra, "server_fingerprint");
		d->server_name = tls_str(extra, "server_name");
	}
}

/* A certificate valid from nb to na (seconds since 1970 UTC), now. */
static enum cfg_tls_dates
tls_judge_dates(int64_t nb, int64_t na, int *days, char *end, size_t endlen)
{
	time_t		 now = time(NULL), t = (time_t)na;
	struct tm	 tm;

	*days = 0;
	end[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(end, endlen, "%b %e %H:%M:%S %Y GMT", &tm) == 0)
		end[0] = '\0';
	if (nb > (int64_t)now)
		return CFG_TLS_DATES_NOT_YET;
	if (na <= (int64_t)now)
		return CFG_TLS_DATES_EXPIRED;
	*days = (int)((na - (int64_t)now) / 86400);
	return *days < TLS_EXPIRY_WARN_DAYS ? CFG_TLS_DATES_SOON :
	    CFG_TLS_DATES_OK;
}

enum cfg_tls_dates
cfg_tls_cert_dates(const char *path, int *days, char *end, size_t endlen)
{
	BIO		*b;
	X509		*x;
	int64_t		 nb, na;
	int		 rc;

	*days = 0;
	end[0] = '\0';
	if ((b = BIO_new_file(path, "r")) == NULL)
		return CFG_TLS_DATES_OK;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL)
		return CFG_TLS_DATES_OK;
	rc = dtls_x509_dates(x, &nb, &na);
	X509_free(x);
	return rc == -1 ? CFG_TLS_DATES_OK :
	    tls_judge_dates(nb, na, days, end, endlen);
}

enum cfg_tls_dates
cfg_tls_cred_dates(const struct dtls_cred *c, int *days, char *end,
    size_t endlen)
{
	int64_t		 nb, na;

	*days = 0;
	end[0] = '\0';
	if (dtls_cred_dates(c, &nb, &na) == -1)
		return CFG_TLS_DATES_OK;
	return tls_judge_dates(nb, na, days, end, endlen);
}

int
cfg_tls_files_check(const struct dtls_opts *d, const struct cfg_pos *at,
    struct dtls_cred **keep, struct config_err *err)
{
	struct dtls_opts dc = *d;
	struct dtls_ctx	*c;
	enum cfg_tls_dates dates;
	char		 end[64];
	int		 days;

	if (d->cert == NULL)
		return cfg_fail(err, at, AT_KEY, "error %d: no \"cert\" "
		    "given: DTLS needs our certificate and key",
		    SNMPMGR_ERR_TLS_CERT_NOT_FOUND);
	snmpmgr_clearerr();
	/* Read once; the context checked here is built from what was read. */
	if ((dc.cred = dtls_cred_get(d)) == NULL)
		return cfg_fail(err, at, AT_KEY, "error %d: %s",
		    snmpmgr_lasterr(), snmpmgr_lasterr_detail());
	if ((c = dtls_ctx_new(&dc)) == NULL) {
		dtls_cred_free(dc.cred);
		return cfg_fail(err, at, AT_KEY, "error %d: %s",
		    snmpmgr_lasterr(), snmpmgr_lasterr_detail());
	}
	dtls_ctx_free(c);
	/* The certificate read (PEM or PKCS#12): its dates. */
	dates = cfg_tls_cred_dates(dc.cred, &days, end, sizeof(end));
	if (keep != NULL && dates != CFG_TLS_DATES_NOT_YET &&
	    dates != CFG_TLS_DATES_EXPIRED) {
		dtls_cred_free(*keep);
		*keep = dc.cred;
	} else
		dtls_cred_free(dc.cred);
	switch (dates) {
	case CFG_TLS_DATES_NOT_YET:
		return cfg_fail(err, at, AT_KEY, "error %d: certificate %s is "
		    "not valid yet", SNMPMGR_ERR_TLS_CREDENTIALS, d->cert);
	case CFG_TLS_DATES_EXPIRED:
		return cfg_fail(err, at, AT_KEY, "error %d: certificate %s has "
		    "expired", SNMPMGR_ERR_TLS_CREDENTIALS, d->cert);
	case CFG_TLS_DATES_SOON:
		log_warnx("certificate %s expires in %d day%s", d->cert, days,
		    days == 1 ? "" : "s");
		break;
	case CFG_TLS_DATES_OK:
		break;
	}
	return 0;
}

/*
 * What one load has checked: sessions naming the same files, password and
 * options (a template's, typically) share one check and one credential.
 * The key holds the password, so it is wiped when the load ends.
 */
struct cfg_tls_memo {
	struct cfg_tls_memo *next;
	char		*key;
	size_t		 keylen;
	struct dtls_cred *cred;
};

/* d's strings, each as a 0 (NULL) or 1 octet then the string and NUL. */
static char *
tls_memo_key(const struct dtls_opts *d, size_t *len)
{
	const char	*f[] = { d->cert, d->key, d->key_password, d->ca,
			    d->server_fingerprint, d->server_name,
			    d->tls_min_version, d->tls_ciphers };
	size_t		 i, n = 0;
	char		*k, *p;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		n += 1 + (f[i] != NULL ? strlen(f[i]) + 1 : 0);
	if ((k = p = malloc(n)) == NULL)
		return NULL;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		*p++ = f[i] != NULL;
		if (f[i] != NULL) {
			memcpy(p, f[i], strlen(f[i]) + 1);
			p += strlen(f[i]) + 1;
		}
	}
	*len = n;
	return k;
}

void
cfg_tls_memo_free(struct cfg_tls_memo *m)
{
	struct cfg_tls_memo *next;

	for (; m != NULL; m = next) {
		next = m->next;
		OPENSSL_clear_free(m->key, m->keylen);
		dtls_cred_free(m->cred);
		free(m);
	}
}

/* RFC 6353 runs under TSM: SNMPv3 only. */
static int
tls_version(const struct sess_opts *o, bool version_given,
    const struct cfg_pos *at, struct config_err *err)
{
	if (version_given && o->version != SNMP_V3)
		return cfg_fail(err, at, AT_KEY, "transport \"dtls\" "
		    "carries SNMPv3 only (TSM): version must be \"3\" or "
		    "left out");
	return 0;
}

/* The rules that tie a session's TLS options together. */
static int
tls_rules(const struct dtls_opts *d, const struct cfg_pos *at,
    struct config_err *err)
{
	if (d->server_name != NULL && d->server_name[0] == '\0' &&
	    d->server_fingerprint == NULL)
		return cfg_fail(err, at, AT_KEY, "server_name \"\" turns "
		    "the name check off, which needs a server_fingerprint");
	return 0;
}

int
cfg_tls_session(const json_t *extra, struct sess_opts *o, bool version_given,
    bool port_given, const struct cfg_pos *at, struct dtls_cred **cred,
    struct cfg_tls_memo **memo, struct config_err *err)
{
	struct dtls_opts	 d;
	struct cfg_tls_memo	*m = NULL;
	struct dtls_cred	*got = NULL;
	char			*key = NULL;
	size_t			 keylen = 0;

	if (o->transport != SESS_TRANSPORT_DTLS)
		return 0;
	if (tls_version(o, version_given, at, err) == -1)
		return -1;
	o->version = SNMP_V3;
	if (!port_given)
		o->port = 10161;
	/* RFC 6353: DTLS authenticates and encrypts; ask for authPriv
	 * unless told otherwise (RFC 5591 5.2 allows less). */
	if (json_object_get(extra, "security_level") == NULL)
		o->v3.level = SESS_LEVEL_PRIV;
	cfg_tls_opts(extra, DTLS_CLIENT, &d);
	if (tls_rules(&d, at, err) == -1)
		return -1;
	if (memo != NULL && (key = tls_memo_key(&d, &keylen)) != NULL)
		for (m = *memo; m != NULL; m = m->next)
			if (m->keylen == keylen &&
			    memcmp(m->key, key, keylen) == 0)
				break;
	if (m != NULL)
		got = dtls_cred_ref(m->cred);
	else if (cfg_tls_files_check(&d, at, &got, err) == -1) {
		OPENSSL_clear_free(key, keylen);
		return -1;
	} else if (key != NULL && (m = calloc(1, sizeof(*m))) != NULL) {
		m->key = key;
		m->keylen = keylen;
		m->cred = dtls_cred_ref(got);
		m->next = *memo;
		*memo = m;
		key = NULL;
	}
	OPENSSL_clear_free(key, keylen);
	if (cred != NULL) {
		dtls_cred_free(*cred);
		*cred = got;
	} else
		dtls_cred_free(got);
	return 0;
}

/* What is read into a credential: our certificate and key. */
static const char *const tls_file_keys[] = { "cert", "key", "key_password",
	NULL };
/* Everything an association is built from. */
static const char *const tls_assoc_keys[] = { "cert", "key", "key_password",
	"ca", "server_fingerprint", "server_name", "tls_min_version",
	"tls_ciphers", "dtls_idle_timeout", NULL };

static bool
tls_any(const json_t *obj, const char *const *keys)
{
	size_t	 i;

	for (i = 0; keys[i] != NULL; i++)
		if (json_object_get(obj, keys[i]) != NULL)
			return true;
	return false;
}

bool
config_tls_touched(const json_t *obj)
{
	return tls_any(obj, tls_assoc_keys);
}

int
cfg_tls_change(const json_t *extra, const json_t *obj, struct sess_opts *o,
    bool was_dtls, const struct cfg_pos *at, struct dtls_cred **cred,
    struct config_err *err)
{
	struct dtls_opts d;
	struct dtls_ctx	*c;
	struct dtls_cred *got = NULL;
	const char	*pw;
	bool		 files;

	if (o->transport != SESS_TRANSPORT_DTLS) {
		dtls_cred_free(*cred);
		*cred = NULL;
		return 0;
	}
	files = !was_dtls || *cred == NULL || tls_any(obj, tls_file_keys);
	/* The pass phrase went once the files were read. */
	pw = tls_str(extra, "key_password");
	if (files && pw != NULL && strcmp(pw, "***") == 0 &&
	    json_object_get(obj, "key_password") == NULL)
		return cfg_fail(err, at, AT_KEY, "key_password: the pass "
		    "phrase is not kept once the key is read: give it again "
		    "to read the key");
	if (!was_dtls || *cred == NULL)
		return cfg_tls_session(extra, o, json_object_get(obj,
		    "version") != NULL, json_object_get(obj, "port") != NULL,
		    at, cred, NULL, err);
	/* Already over DTLS: its port and level stay as they are. */
	if (tls_version(o, json_object_get(obj, "version") != NULL, at,
	    err) == -1)
		return -1;
	cfg_tls_opts(extra, DTLS_CLIENT, &d);
	if (tls_rules(&d, at, err) == -1)
		return -1;
	if (files) {
		if (cfg_tls_files_check(&d, at, &got, err) == -1)
			return -1;
		dtls_cred_free(*cred);
		*cred = got;
		return 0;
	}
	if (!tls_any(obj, tls_assoc_keys))
		return 0;
	/* The key read before, with another CA, pin, name or ciphers. */
	snmpmgr_clearerr();
	d.cred = *cred;
	if ((c = dtls_ctx_new(&d)) == NULL)
		return cfg_fail(err, at, AT_KEY, "error %d: %s",
		    snmpmgr_lasterr(), snmpmgr_lasterr_detail());
	dtls_ctx_free(c);
	return 0;
}

/* dtls_idle_timeout of extra (checked), or its default. */
static uint32_t
tls_idle_ms(const json_t *extra)
{
	const json_t	*v;
	struct config_err err;
	struct cfg_pos	 at;
	uint32_t	 ms;

	if ((v = json_object_get(extra, "dtls_idle_timeout")) == NULL)
		return DTLS_IDLE_DEFAULT_MS;
	memset(&at, 0, sizeof(at));
	if (cfg_duration(v, &at, 1000, 24 * 3600 * 1000, &ms, &err) == -1)
		return DTLS_IDLE_DEFAULT_MS;
	return ms;
}

int
config_tls_view(const json_t *extra, json_t *out)
{
	/* Paths and names, not secrets: shown as they are (null: unset). */
	static const char *const strs[] = { "cert", "key", "ca",
		"server_fingerprint", "server_name", "security_name",
		"tls_ciphers", NULL };
	const json_t	*v;
	char		 buf[32];
	size_t		 i;
	int		 rc = 0;

	for (i = 0; strs[i] != NULL; i++) {
		v = json_object_get(extra, strs[i]);
		rc |= json_object_set_new(out, strs[i], json_is_string(v) ?
		    json_string(json_string_value(v)) : json_null());
	}
	/* The pass phrase itself is never kept, so never shown. */
	if (json_object_get(extra, "key_password") != NULL)
		rc |= json_object_set_new(out, "key_password",
		    json_string("***"));
	v = json_object_get(extra, "tls_min_version");
	rc |= json_object_set_new(out, "tls_min_version",
	    json_string(json_is_string(v) ? json_string_value(v) : "1.2"));
	rc |= json_object_set_new(out, "tsm_use_prefix",
	    json_boolean(json_is_true(json_object_get(extra,
	    "tsm_use_prefix"))));
	cfg_format_duration(tls_idle_ms(extra), buf, sizeof(buf));
	rc |= json_object_set_new(out, "dtls_idle_timeout", json_string(buf));
	return rc != 0 ? -1 : 0;
}

/* The password was masked once the configuration was read. */
static int
tls_masked_password(const struct dtls_opts *o)
{
	if (o->cred == NULL && o->key_password != NULL &&
	    strcmp(o->key_password, "***") == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "key_password: the "
		    "encrypted key was not read when the options were");
		return -1;
	}
	return 0;
}

int
config_tls_opts_json(const json_t *extra, struct dtls_cred *cred,
    struct dtls_opts *o, uint32_t *idle_ms)
{
	cfg_tls_opts(extra, DTLS_CLIENT, o);
	*idle_ms = tls_idle_ms(extra);
	o->cred = cred;
	return tls_masked_password(o);
}
