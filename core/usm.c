/*
 * usm.c - SNMPv3 User-based Security Model (RFC 3414, RFC 7860): the
 * protocol tables and the OpenSSL algorithms fetched for them, protocol
 * names, credentials (interned by fingerprint), timeliness, usmStats
 * reports and the UsmSecurityParameters codec.
 *
 * Keys (password-to-key, localization, extension, localized users and
 * their cache) are in usm_key.c; digests and privacy ciphers on the
 * packet path in usm_crypt.c; usm_int.h is what the three share.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "ber.h"
#include "errors.h"
#include "limits.h"
#include "oid.h"
#include "usm.h"
#include "usm_int.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 3414 6 and 7 (12-octet HMACs), RFC 7860 4.2 (the SHA-2 family). */
static const struct usm_authinfo authinfo[] = {
	{ USM_AUTH_MD5,		"md5",		"MD5",		16, 12 },
	{ USM_AUTH_SHA,		"sha",		"SHA1",		20, 12 },
	{ USM_AUTH_SHA224,	"sha224",	"SHA2-224",	28, 16 },
	{ USM_AUTH_SHA256,	"sha256",	"SHA2-256",	32, 24 },
	{ USM_AUTH_SHA384,	"sha384",	"SHA2-384",	48, 32 },
	{ USM_AUTH_SHA512,	"sha512",	"SHA2-512",	64, 48 },
};

/*
 * RFC 3414 8.1.1.1 (DES: 8-octet key, then the 8-octet pre-IV),
 * draft-reeder-snmpv3-usm-3desede 5.1.1.1 (3DES: 24-octet key, then the
 * pre-IV), RFC 3826 3.1.2.1 and draft-blumenthal-aes-usm-04 (AES: the key
 * only; the IV comes from boots, time and the salt).
 */
static const struct usm_privinfo privinfo[] = {
	{ USM_PRIV_DES, "des", "DES-CBC", "DES-ECB", 8, 16, 8, 8 },
	{ USM_PRIV_3DES, "3des", "DES-EDE3-CBC", "DES-EDE3-ECB", 24, 32, 8,
	    8 },
	{ USM_PRIV_AES, "aes", "AES-128-CFB", "AES-128-ECB", 16, 16, 1, 16 },
	{ USM_PRIV_AES192, "aes192", "AES-192-CFB", "AES-192-ECB", 24, 24, 1,
	    16 },
	{ USM_PRIV_AES256, "aes256", "AES-256-CFB", "AES-256-ECB", 32, 32, 1,
	    16 },
};

/* Process-wide state: providers, fetched algorithms, credentials. */
static struct {
	bool		 ready;
	OSSL_PROVIDER	*deflt;
	OSSL_PROVIDER	*legacy;
	EVP_MD		*md[nitems(authinfo)];
	EVP_CIPHER	*cipher[nitems(privinfo)];
	EVP_CIPHER	*ecb[nitems(privinfo)];
	uint64_t	 next_cred_id;
	/* Credentials made by usm_cred_get(), by fingerprint. */
	struct usm_cred	**intern;
	size_t		 nintern_buckets;	/* a power of two, or 0 */
	size_t		 nintern;
} usm_g;

const struct usm_authinfo *
usm_authinfo(enum usm_auth auth)
{
	size_t	i;

	for (i = 0; i < nitems(authinfo); i++)
		if (authinfo[i].auth == auth)
			return &authinfo[i];
	return NULL;
}

const struct usm_privinfo *
usm_privinfo(enum usm_priv priv)
{
	size_t	i;

	for (i = 0; i < nitems(privinfo); i++)
		if (privinfo[i].priv == priv)
			return &privinfo[i];
	return NULL;
}

void
usm_init(void)
{
	size_t	i;

	if (usm_g.ready)
		return;
	usm_g.ready = true;
	/*
	 * Loading any provider by hand stops OpenSSL from loading "default"
	 * by itself, so load it too.  DES-CBC lives in "legacy" only.
	 */
	usm_g.deflt = OSSL_PROVIDER_load(NULL, "default");
	usm_g.legacy = OSSL_PROVIDER_load(NULL, "legacy");
	for (i = 0; i < nitems(authinfo); i++)
		usm_g.md[i] = EVP_MD_fetch(NULL, authinfo[i].mdname, NULL);
	for (i = 0; i < nitems(privinfo); i++) {
		usm_g.cipher[i] = EVP_CIPHER_fetch(NULL,
		    privinfo[i].ciphername, NULL);
		usm_g.ecb[i] = EVP_CIPHER_fetch(NULL, privinfo[i].ecbname,
		    NULL);
	}
	/* A missing legacy provider leaves errors queued: not ours to keep. */
	ERR_clear_error();
}

void
usm_shutdown(void)
{
	size_t	i;

	if (!usm_g.ready)
		return;
	for (i = 0; i < nitems(authinfo); i++)
		EVP_MD_free(usm_g.md[i]);
	for (i = 0; i < nitems(privinfo); i++) {
		EVP_CIPHER_free(usm_g.cipher[i]);
		EVP_CIPHER_free(usm_g.ecb[i]);
	}
	if (usm_g.legacy != NULL)
		OSSL_PROVIDER_unload(usm_g.legacy);
	if (usm_g.deflt != NULL)
		OSSL_PROVIDER_unload(usm_g.deflt);
	usm_salt_wipe();
	memset(&usm_g, 0, sizeof(usm_g));
}

const EVP_MD *
usm_md(const struct usm_authinfo *ai)
{
	usm_init();
	if (usm_g.md[ai - authinfo] == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "digest %s not available in OpenSSL", ai->mdname);
		return NULL;
	}
	return usm_g.md[ai - authinfo];
}

const EVP_CIPHER *
usm_cipher(const struct usm_privinfo *pi)
{
	usm_init();
	if (usm_g.cipher[pi - privinfo] != NULL &&
	    usm_g.ecb[pi - privinfo] != NULL)
		return usm_g.cipher[pi - privinfo];
	if (pi->priv == USM_PRIV_DES && usm_g.legacy == NULL)
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "DES needs the OpenSSL legacy provider");
	else
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "cipher %s not available in OpenSSL", pi->ciphername);
	return NULL;
}

EVP_CIPHER *
usm_ecb(const struct usm_privinfo *pi)
{
	return usm_g.ecb[pi - privinfo];
}

int
usm_priv_available(enum usm_priv priv)
{
	const struct usm_privinfo *pi;

	if (priv == USM_PRIV_NONE)
		return 0;
	if ((pi = usm_privinfo(priv)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown privacy protocol %d", (int)priv);
		return -1;
	}
	return usm_cipher(pi) == NULL ? -1 : 0;
}

size_t
usm_auth_key_len(enum usm_auth auth)
{
	const struct usm_authinfo *ai = usm_authinfo(auth);

	return ai == NULL ? 0 : ai->keylen;
}

size_t
usm_auth_mac_len(enum usm_auth auth)
{
	const struct usm_authinfo *ai = usm_authinfo(auth);

	return ai == NULL ? 0 : ai->maclen;
}

size_t
usm_priv_key_len(enum usm_priv priv)
{
	const struct usm_privinfo *pi = usm_privinfo(priv);

	return pi == NULL ? 0 : pi->matlen;
}

const char *
usm_auth_name(enum usm_auth auth)
{
	const struct usm_authinfo *ai;

	if (auth == USM_AUTH_NONE)
		return "none";
	ai = usm_authinfo(auth);
	return ai == NULL ? "unknown" : ai->name;
}

const char *
usm_priv_name(enum usm_priv priv)
{
	const struct usm_privinfo *pi;

	if (priv == USM_PRIV_NONE)
		return "none";
	pi = usm_privinfo(priv);
	return pi == NULL ? "unknown" : pi->name;
}

const char *
usm_keyext_name(enum usm_keyext ext)
{
	switch (ext) {
	case USM_KEYEXT_BLUMENTHAL:
		return "blumenthal";
	case USM_KEYEXT_REEDER:
		return "reeder";
	case USM_KEYEXT_AUTO:
		return "auto";
	}
	return "unknown";
}

/*
 * Lower-case name without '-' and '_' into buf, so "SHA-256", "sha_256"
 * and "sha256" compare equal.  -1 when it does not fit.
 */
static int
usm_fold_name(const char *name, char *buf, size_t size)
{
	size_t	n = 0;

	if (name == NULL)
		return -1;
	for (; *name != '\0'; name++) {
		if (*name == '-' || *name == '_')
			continue;
		if (n + 1 >= size)
			return -1;
		buf[n++] = tolower((unsigned char)*name);
	}
	buf[n] = '\0';
	return 0;
}

struct usm_alias {
	const char	*name;
	int		 value;
	int		 reeder;
};

static const struct usm_alias auth_aliases[] = {
	{ "none", USM_AUTH_NONE, 0 },
	{ "noauth", USM_AUTH_NONE, 0 },
	{ "md5", USM_AUTH_MD5, 0 },
	{ "hmacmd5", USM_AUTH_MD5, 0 },
	{ "sha", USM_AUTH_SHA, 0 },
	{ "sha1", USM_AUTH_SHA, 0 },
	{ "hmacsha", USM_AUTH_SHA, 0 },
	{ "sha224", USM_AUTH_SHA224, 0 },
	{ "sha256", USM_AUTH_SHA256, 0 },
	{ "sha384", USM_AUTH_SHA384, 0 },
	{ "sha512", USM_AUTH_SHA512, 0 },
};

/* "aes192c"/"aes256c": Net-SNMP's AES-192-C/AES-256-C, Reeder keys. */
static const struct usm_alias priv_aliases[] = {
	{ "none", USM_PRIV_NONE, 0 },
	{ "nopriv", USM_PRIV_NONE, 0 },
	{ "des", USM_PRIV_DES, 0 },
	{ "3des", USM_PRIV_3DES, 0 },
	{ "3desede", USM_PRIV_3DES, 0 },
	{ "des3", USM_PRIV_3DES, 0 },
	{ "tripledes", USM_PRIV_3DES, 0 },
	{ "aes", USM_PRIV_AES, 0 },
	{ "aes128", USM_PRIV_AES, 0 },
	{ "aes192", USM_PRIV_AES192, 0 },
	{ "aes256", USM_PRIV_AES256, 0 },
	{ "aes192c", USM_PRIV_AES192, 1 },
	{ "aes256c", USM_PRIV_AES256, 1 },
};

static const struct usm_alias *
usm_find_alias(const struct usm_alias *tab, size_t n, const char *name)
{
	char	folded[32];
	size_t	i;

	if (usm_fold_name(name, folded, sizeof(folded)) == -1)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(tab[i].name, folded) == 0)
			return &tab[i];
	return NULL;
}

int
usm_auth_from_name(const char *name, enum usm_auth *auth)
{
	const struct usm_alias *a;

	a = usm_find_alias(auth_aliases, nitems(auth_aliases), name);
	if (a == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown authentication protocol \"%.32s\"",
		    name == NULL ? "" : name);
		return -1;
	}
	*auth = a->value;
	return 0;
}

int
usm_priv_from_name(const char *name, enum usm_priv *priv,
    enum usm_keyext *ext)
{
	const struct usm_alias *a;

	a = usm_find_alias(priv_aliases, nitems(priv_aliases), name);
	if (a == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown privacy protocol \"%.32s\"",
		    name == NULL ? "" : name);
		return -1;
	}
	*priv = a->value;
	if (a->reeder && ext != NULL)
		*ext = USM_KEYEXT_REEDER;
	return 0;
}

int
usm_keyext_from_name(const char *name, enum usm_keyext *ext)
{
	char	folded[32];

	if (usm_fold_name(name, folded, sizeof(folded)) == 0) {
		if (strcmp(folded, "blumenthal") == 0) {
			*ext = USM_KEYEXT_BLUMENTHAL;
			return 0;
		}
		if (strcmp(folded, "reeder") == 0 ||
		    strcmp(folded, "cisco") == 0) {
			*ext = USM_KEYEXT_REEDER;
			return 0;
		}
		if (strcmp(folded, "auto") == 0) {
			*ext = USM_KEYEXT_AUTO;
			return 0;
		}
	}
	snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
	    "unknown key extension \"%.32s\"", name == NULL ? "" : name);
	return -1;
}

/*
 * One side (auth or priv) of a credential: a key from the parameters if
 * given, else the password's master key.
 */
static int
usm_cred_key(enum usm_auth hash, const char *pw, const uint8_t *key,
    size_t keylen, bool localized, size_t privlen, int missing,
    const char *what, struct usm_key *out)
{
	size_t	hashlen = usm_auth_key_len(hash);

	if (key != NULL && keylen > 0) {
		/*
		 * A master key or a localized key is one digest long; a
		 * localized privacy key may also come cut or extended to
		 * what the cipher uses (Net-SNMP stores it so).
		 */
		if (keylen != hashlen && !(localized && privlen > 0 &&
		    keylen >= privlen && keylen <= USM_MAX_KEY_LEN)) {
			snmpmgr_seterr(SNMPMGR_ERR_KEY_LENGTH,
			    "%s key of %zu octets, %s needs %zu", what, keylen,
			    usm_auth_name(hash), hashlen);
			return -1;
		}
		return usm_key_set(out, hash, key, keylen);
	}
	if (pw == NULL || *pw == '\0') {
		snmpmgr_seterr(missing, "%s protocol set without a password "
		    "or key", what);
		return -1;
	}
	return usm_password_to_key(hash, pw, strlen(pw), out);
}

struct usm_cred *
usm_cred_new(const struct usm_cred_params *p)
{
	struct usm_cred	*c = NULL;
	size_t		 ulen = p->user == NULL ? 0 : strlen(p->user);

	if (ulen > SNMPMGR_MAX_USER_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_USER_NAME,
		    "user name of %zu octets, at most %d", ulen,
		    SNMPMGR_MAX_USER_LEN);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	c->refs = 1;
	memcpy(c->user, p->user == NULL ? "" : p->user, ulen);
	c->user_len = ulen;
	c->auth = p->auth == 0 ? USM_AUTH_NONE : p->auth;
	c->priv = p->priv == 0 ? USM_PRIV_NONE : p->priv;
	c->keyext = p->keyext;
	if (c->auth != USM_AUTH_NONE && usm_authinfo(c->auth) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown authentication protocol %d", (int)c->auth);
		goto fail;
	}
	if (c->priv != USM_PRIV_NONE && usm_privinfo(c->priv) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown privacy protocol %d", (int)c->priv);
		goto fail;
	}
	if (c->keyext != USM_KEYEXT_BLUMENTHAL &&
	    c->keyext != USM_KEYEXT_REEDER && c->keyext != USM_KEYEXT_AUTO) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "unknown key extension %d", (int)c->keyext);
		goto fail;
	}
	/* RFC 3414 3.1 step 3 / RFC 3411 3.4.3: no privacy without auth. */
	if (c->priv != USM_PRIV_NONE && c->auth == USM_AUTH_NONE) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL,
		    "privacy needs an authentication protocol");
		goto fail;
	}
	if (usm_priv_available(c->priv) == -1)
		goto fail;
	if (c->auth != USM_AUTH_NONE) {
		if (usm_cred_key(c->auth, p->auth_password, p->auth_key,
		    p->auth_key_len, p->auth_key_localized, 0,
		    SNMPMGR_ERR_NO_AUTH_PASSWORD, "authentication",
		    &c->auth_key) == -1)
			goto fail;
		c->auth_localized = p->auth_key != NULL &&
		    p->auth_key_len > 0 && p->auth_key_localized;
		c->auth_src = c->auth_localized ? 'l' : (p->auth_key != NULL &&
		    p->auth_key_len > 0) ? 'm' : 'p';
	}
	if (c->priv != USM_PRIV_NONE) {
		if (usm_cred_key(c->auth, p->priv_password, p->priv_key,
		    p->priv_key_len, p->priv_key_localized,
		    usm_priv_key_len(c->priv), SNMPMGR_ERR_NO_PRIV_PASSWORD,
		    "privacy", &c->priv_key) == -1)
			goto fail;
		c->priv_localized = p->priv_key != NULL &&
		    p->priv_key_len > 0 && p->priv_key_localized;
		c->priv_src = c->priv_localized ? 'l' : (p->priv_key != NULL &&
		    p->priv_key_len > 0) ? 'm' : 'p';
	}
	usm_init();
	c->id = ++usm_g.next_cred_id;
	return c;
 fail:
	usm_cred_free(c);
	return NULL;
}

struct usm_cred *
usm_cred_ref(struct usm_cred *c)
{
	c->refs++;
	return c;
}

static void	usm_intern_remove(struct usm_cred *c);

void
usm_cred_free(struct usm_cred *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	if (c->interned)
		usm_intern_remove(c);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* Feed one length-prefixed field to the fingerprint. */
static int
usm_fp_field(EVP_MD_CTX *ctx, const void *p, size_t len)
{
	uint8_t	 n[4];

	usm_put32_be(n, (uint32_t)len);
	return EVP_DigestUpdate(ctx, n, sizeof(n)) &&
	    (len == 0 || EVP_DigestUpdate(ctx, p, len));
}

/*
 * A SHA-256 of everything that makes the credential: user, protocols,
 * extension, and per side the password or the key and its kind.  0 or -1.
 */
static int
usm_cred_fingerprint(const struct usm_cred_params *p, uint8_t fp[32])
{
	EVP_MD_CTX	*ctx;
	uint8_t		 hdr[4];
	unsigned int	 len;
	int		 ok;

	hdr[0] = (uint8_t)(p->auth == 0 ? USM_AUTH_NONE : p->auth);
	hdr[1] = (uint8_t)(p->priv == 0 ? USM_PRIV_NONE : p->priv);
	hdr[2] = (uint8_t)p->keyext;
	hdr[3] = (uint8_t)((p->auth_key_localized ? 1 : 0) |
	    (p->priv_key_localized ? 2 : 0));
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) &&
	    usm_fp_field(ctx, hdr, sizeof(hdr)) &&
	    usm_fp_field(ctx, p->user, p->user == NULL ? 0 :
	    strlen(p->user)) &&
	    usm_fp_field(ctx, p->auth_password, p->auth_password == NULL ? 0 :
	    strlen(p->auth_password)) &&
	    usm_fp_field(ctx, p->auth_key, p->auth_key == NULL ? 0 :
	    p->auth_key_len) &&
	    usm_fp_field(ctx, p->priv_password, p->priv_password == NULL ? 0 :
	    strlen(p->priv_password)) &&
	    usm_fp_field(ctx, p->priv_key, p->priv_key == NULL ? 0 :
	    p->priv_key_len) &&
	    EVP_DigestFinal_ex(ctx, fp, &len) && len == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

static size_t
usm_intern_slot(const uint8_t fp[32], size_t nbuckets)
{
	size_t	 h;

	memcpy(&h, fp, sizeof(h));
	return h & (nbuckets - 1);
}

static void
usm_intern_remove(struct usm_cred *c)
{
	struct usm_cred	**pp;

	if (usm_g.nintern_buckets == 0)
		return;
	for (pp = &usm_g.intern[usm_intern_slot(c->fp,
	    usm_g.nintern_buckets)]; *pp != NULL; pp = &(*pp)->inext) {
		if (*pp == c) {
			*pp = c->inext;
			usm_g.nintern--;
			break;
		}
	}
	c->interned = false;
	if (usm_g.nintern == 0) {
		free(usm_g.intern);
		usm_g.intern = NULL;
		usm_g.nintern_buckets = 0;
	}
}

/* Room for one more interned credential.  0 or -1. */
static int
usm_intern_grow(void)
{
	struct usm_cred	**nb, *c, *next;
	size_t		  n, i, slot;

	if (usm_g.nintern < usm_g.nintern_buckets)
		return 0;
	n = usm_g.nintern_buckets ? usm_g.nintern_buckets * 2 : 64;
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < usm_g.nintern_buckets; i++) {
		for (c = usm_g.intern[i]; c != NULL; c = next) {
			next = c->inext;
			slot = usm_intern_slot(c->fp, n);
			c->inext = nb[slot];
			nb[slot] = c;
		}
	}
	free(usm_g.intern);
	usm_g.intern = nb;
	usm_g.nintern_buckets = n;
	return 0;
}

struct usm_cred *
usm_cred_get(const struct usm_cred_params *p)
{
	struct usm_cred	*c;
	uint8_t		 fp[32];
	size_t		 slot;

	if (usm_cred_fingerprint(p, fp) == -1)
		return usm_cred_new(p);
	if (usm_g.nintern_buckets > 0) {
		slot = usm_intern_slot(fp, usm_g.nintern_buckets);
		for (c = usm_g.intern[slot]; c != NULL; c = c->inext)
			if (CRYPTO_memcmp(c->fp, fp, sizeof(fp)) == 0) {
				OPENSSL_cleanse(fp, sizeof(fp));
				return usm_cred_ref(c);
			}
	}
	if ((c = usm_cred_new(p)) == NULL || usm_intern_grow() == -1) {
		OPENSSL_cleanse(fp, sizeof(fp));
		return c;	/* usable, just not shared */
	}
	memcpy(c->fp, fp, sizeof(fp));
	OPENSSL_cleanse(fp, sizeof(fp));
	slot = usm_intern_slot(c->fp, usm_g.nintern_buckets);
	c->inext = usm_g.intern[slot];
	usm_g.intern[slot] = c;
	c->interned = true;
	usm_g.nintern++;
	return c;
}

const uint8_t *
usm_cred_user(const struct usm_cred *c, size_t *len)
{
	*len = c->user_len;
	return c->user;
}

enum usm_auth
usm_cred_auth(const struct usm_cred *c)
{
	return c->auth;
}

enum usm_priv
usm_cred_priv(const struct usm_cred *c)
{
	return c->priv;
}

enum usm_keyext
usm_cred_keyext(const struct usm_cred *c)
{
	return c->keyext;
}

int
usm_cred_auth_source(const struct usm_cred *c)
{
	return c->auth_src;
}

int
usm_cred_priv_source(const struct usm_cred *c)
{
	return c->priv_src;
}

const struct usm_key *
usm_cred_auth_key(const struct usm_cred *c)
{
	return c->auth == USM_AUTH_NONE ? NULL : &c->auth_key;
}

const struct usm_key *
usm_cred_priv_key(const struct usm_cred *c)
{
	return c->priv == USM_PRIV_NONE ? NULL : &c->priv_key;
}

/* The same key, kind and all (no early exit on the octets). */
static bool
usm_key_equal(const struct usm_key *a, bool alocal, const struct usm_key *b,
    bool blocal)
{
	return alocal == blocal && a->hash == b->hash && a->len == b->len &&
	    a->len <= sizeof(a->bytes) &&
	    CRYPTO_memcmp(a->bytes, b->bytes, a->len) == 0;
}

bool
usm_cred_equal(const struct usm_cred *a, const struct usm_cred *b)
{
	if (a == b)
		return true;
	if (a == NULL || b == NULL)
		return false;
	if (a->user_len != b->user_len ||
	    memcmp(a->user, b->user, a->user_len) != 0 ||
	    a->auth != b->auth || a->priv != b->priv ||
	    a->keyext != b->keyext)
		return false;
	if (a->auth != USM_AUTH_NONE && !usm_key_equal(&a->auth_key,
	    a->auth_localized, &b->auth_key, b->auth_localized))
		return false;
	if (a->priv != USM_PRIV_NONE && !usm_key_equal(&a->priv_key,
	    a->priv_localized, &b->priv_key, b->priv_localized))
		return false;
	return true;
}

uint64_t
usm_cred_id(const struct usm_cred *c)
{
	return c->id;
}

void
usm_time_set(struct usm_timeliness *t, uint32_t boots, uint32_t etime,
    int64_t now)
{
	t->known = true;
	t->boots = boots;
	t->time = etime;
	t->latest = etime;
	t->stamp = now;
}

void
usm_time_now(const struct usm_timeliness *t, int64_t now, uint32_t *boots,
    uint32_t *etime)
{
	int64_t	v;

	if (!t->known) {
		*boots = 0;
		*etime = 0;
		return;
	}
	/* RFC 3414 2.3: the kept time advances with the local clock. */
	v = (int64_t)t->time + (now > t->stamp ? now - t->stamp : 0);
	*boots = t->boots;
	*etime = v > (int64_t)USM_MAX_BOOTS ? USM_MAX_BOOTS : (uint32_t)v;
}

int
usm_time_check(struct usm_timeliness *t, uint32_t boots, uint32_t etime,
    int64_t now)
{
	uint32_t	lboots, ltime;

	if (boots > USM_MAX_BOOTS || etime > USM_MAX_BOOTS) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "engine boots %u / time %u out of range", boots, etime);
		return -1;
	}
	/* RFC 3414 3.2 step 7b (1): adopt newer values. */
	if (!t->known || boots > t->boots ||
	    (boots == t->boots && etime > t->latest))
		usm_time_set(t, boots, etime, now);
	usm_time_now(t, now, &lboots, &ltime);
	/* Step 7b (2). */
	if (lboots == USM_MAX_BOOTS) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "engine boots at its maximum");
		return -1;
	}
	if (boots < lboots) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "engine boots %u, expected %u", boots, lboots);
		return -1;
	}
	if (boots == lboots && (uint64_t)etime + USM_TIME_WINDOW < ltime) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "engine time %u more than %d s behind %u", etime,
		    USM_TIME_WINDOW, ltime);
		return -1;
	}
	return 0;
}

int
usm_time_check_local(uint32_t our_boots, uint32_t our_time, uint32_t boots,
    uint32_t etime)
{
	uint32_t	diff;

	/* RFC 3414 3.2 step 7a. */
	if (our_boots >= USM_MAX_BOOTS) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "our engine boots at its maximum");
		return -1;
	}
	if (boots != our_boots) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "engine boots %u, ours is %u", boots, our_boots);
		return -1;
	}
	diff = etime > our_time ? etime - our_time : our_time - etime;
	if (diff > USM_TIME_WINDOW) {
		snmpmgr_seterr(SNMPMGR_ERR_TIME_FRAME,
		    "engine time %u, ours is %u", etime, our_time);
		return -1;
	}
	return 0;
}

int
usm_report_error(const struct oid *name)
{
	/* usmStats 1.3.6.1.6.3.15.1.1 (RFC 3414 5). */
	static const uint32_t prefix[] = { 1, 3, 6, 1, 6, 3, 15, 1, 1 };
	static const int errs[] = {
		SNMPMGR_ERR_SEC_LEVEL,	/* 1 usmStatsUnsupportedSecLevels */
		SNMPMGR_ERR_TIME_FRAME,	/* 2 usmStatsNotInTimeWindows */
		SNMPMGR_ERR_USER_NAME,	/* 3 usmStatsUnknownUserNames */
		SNMPMGR_ERR_ENGINE_ID,	/* 4 usmStatsUnknownEngineIDs */
		SNMPMGR_ERR_AUTH_FAILED, /* 5 usmStatsWrongDigests */
		SNMPMGR_ERR_DECRYPT,	/* 6 usmStatsDecryptionErrors */
	};
	size_t	i;

	/* The scalar's instance (.0) is optional: some agents omit it. */
	if (name->len != nitems(prefix) + 1 && name->len != nitems(prefix) + 2)
		return 0;
	for (i = 0; i < nitems(prefix); i++)
		if (name->arcs[i] != prefix[i])
			return 0;
	if (name->len == nitems(prefix) + 2 && name->arcs[i + 1] != 0)
		return 0;
	if (name->arcs[i] < 1 || name->arcs[i] > nitems(errs))
		return 0;
	return errs[name->arcs[i] - 1];
}

/* An INTEGER (0..2147483647) of UsmSecurityParameters (RFC 3414 2.4). */
static int
usm_read_boots(struct ber *b, const char *what, uint32_t *v)
{
	int64_t	i;

	if (ber_read_int64(b, BER_TAG_INTEGER, &i) == -1)
		return -1;
	if (i < 0 || i > (int64_t)USM_MAX_BOOTS) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "%s %lld out of range",
		    what, (long long)i);
		return -1;
	}
	*v = (uint32_t)i;
	return 0;
}

int
usm_secparams_decode(const uint8_t *buf, size_t len, struct usm_secparams *sp)
{
	struct ber	b, seq;

	memset(sp, 0, sizeof(*sp));
	ber_init(&b, buf, len);
	if (ber_enter(&b, BER_TAG_SEQUENCE, &seq) == -1 ||
	    ber_read_octets(&seq, BER_TAG_OCTETS, &sp->engine_id,
	    &sp->engine_id_len) == -1 ||
	    usm_read_boots(&seq, "msgAuthoritativeEngineBoots",
	    &sp->boots) == -1 ||
	    usm_read_boots(&seq, "msgAuthoritativeEngineTime",
	    &sp->time) == -1 ||
	    ber_read_octets(&seq, BER_TAG_OCTETS, &sp->user,
	    &sp->user_len) == -1 ||
	    ber_read_octets(&seq, BER_TAG_OCTETS, &sp->auth,
	    &sp->auth_len) == -1 ||
	    ber_read_octets(&seq, BER_TAG_OCTETS, &sp->priv,
	    &sp->priv_len) == -1 ||
	    ber_expect_end(&seq, "UsmSecurityParameters") == -1 ||
	    ber_expect_end(&b, "msgSecurityParameters") == -1)
		return -1;
	if (sp->engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgAuthoritativeEngineID of %zu octets",
		    sp->engine_id_len);
		return -1;
	}
	if (sp->user_len > SNMPMGR_MAX_USER_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgUserName of %zu octets", sp->user_len);
		return -1;
	}
	return 0;
}

int
usm_secparams_write(struct ber_wr *w, const struct usm_secparams *sp,
    uint8_t **authp)
{
	uint8_t	*auth;
	size_t	 mark = ber_wr_len(w);

	if (sp->engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN ||
	    sp->user_len > SNMPMGR_MAX_USER_LEN ||
	    sp->boots > USM_MAX_BOOTS || sp->time > USM_MAX_BOOTS) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "UsmSecurityParameters field out of range");
		return -1;
	}
	/* Last element first: the writer fills the buffer backwards. */
	if (ber_wr_octets(w, BER_TAG_OCTETS, sp->priv, sp->priv_len,
	    NULL) == -1 ||
	    ber_wr_octets(w, BER_TAG_OCTETS, sp->auth, sp->auth_len,
	    &auth) == -1 ||
	    ber_wr_octets(w, BER_TAG_OCTETS, sp->user, sp->user_len,
	    NULL) == -1 ||
	    ber_wr_int(w, BER_TAG_INTEGER, sp->time) == -1 ||
	    ber_wr_int(w, BER_TAG_INTEGER, sp->boots) == -1 ||
	    ber_wr_octets(w, BER_TAG_OCTETS, sp->engine_id, sp->engine_id_len,
	    NULL) == -1 ||
	    ber_wr_close(w, BER_TAG_SEQUENCE, mark) == -1)
		return -1;
	if (authp != NULL)
		*authp = auth;
	return 0;
}

ssize_t
usm_secparams_encode(const struct usm_secparams *sp, uint8_t *buf,
    size_t size, const uint8_t **out, size_t *auth_off)
{
	struct ber_wr	 w;
	uint8_t		*auth;

	ber_wr_init(&w, buf, size);
	if (usm_secparams_write(&w, sp, &auth) == -1)
		return -1;
	*out = ber_wr_data(&w);
	*auth_off = (size_t)(auth - ber_wr_data(&w));
	return (ssize_t)ber_wr_len(&w);
}
