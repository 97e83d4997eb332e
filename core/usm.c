/*
 * usm.c - SNMPv3 User-based Security Model: password-to-key and key
 * localization for the six HMAC protocols (RFC 3414, RFC 7860), privacy key
 * extension (Blumenthal and Reeder drafts), HMAC signing and checking,
 * DES / 3DES-EDE / AES-CFB privacy, the per-engine key cache, timeliness,
 * and the UsmSecurityParameters codec.
 *
 * OpenSSL 3 EVP only.  Algorithms are fetched once; each localized user
 * keeps its contexts keyed at creation, which is what makes the packet
 * path cheap: two digest contexts holding the HMAC's keyed inner and
 * outer halves (copied per message, RFC 2104), and the block cipher in
 * ECB mode, with the CBC/CFB chaining done here, so no IV is set through
 * OpenSSL per message and decryption runs whole blocks at once.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "ber.h"
#include "errors.h"
#include "limits.h"
#include "oid.h"
#include "usm.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 3414 A.2.1: octets of repeated password fed to the hash. */
#define USM_P2K_OCTETS	(1024 * 1024)
/* ...in chunks of this size. */
#define USM_P2K_CHUNK	64

struct usm_authinfo {
	enum usm_auth	 auth;
	const char	*name;
	const char	*mdname;	/* OpenSSL digest name */
	size_t		 keylen;	/* digest length = key length */
	size_t		 maclen;	/* truncated HMAC on the wire */
};

/* RFC 3414 6 and 7 (12-octet HMACs), RFC 7860 4.2 (the SHA-2 family). */
static const struct usm_authinfo authinfo[] = {
	{ USM_AUTH_MD5,		"md5",		"MD5",		16, 12 },
	{ USM_AUTH_SHA,		"sha",		"SHA1",		20, 12 },
	{ USM_AUTH_SHA224,	"sha224",	"SHA2-224",	28, 16 },
	{ USM_AUTH_SHA256,	"sha256",	"SHA2-256",	32, 24 },
	{ USM_AUTH_SHA384,	"sha384",	"SHA2-384",	48, 32 },
	{ USM_AUTH_SHA512,	"sha512",	"SHA2-512",	64, 48 },
};

struct usm_privinfo {
	enum usm_priv	 priv;
	const char	*name;
	const char	*ciphername;	/* OpenSSL cipher name */
	const char	*ecbname;	/* the same cipher in ECB mode */
	size_t		 keylen;	/* cipher key octets */
	size_t		 matlen;	/* key material used: key (+ pre-IV) */
	size_t		 block;		/* padding unit: 8 for CBC, 1 for CFB */
	size_t		 cblock;	/* the cipher's block: 8 or 16 */
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

/* Octets decrypted per ECB pass (a multiple of every block size). */
#define USM_ECB_CHUNK	2048

/* Process-wide state: providers, fetched algorithms, salt counter. */
static struct {
	bool		 ready;
	OSSL_PROVIDER	*deflt;
	OSSL_PROVIDER	*legacy;
	EVP_MD		*md[nitems(authinfo)];
	EVP_CIPHER	*cipher[nitems(privinfo)];
	EVP_CIPHER	*ecb[nitems(privinfo)];
	bool		 salt_ready;
	uint64_t	 salt;
	uint64_t	 next_cred_id;
	/* Credentials made by usm_cred_get(), by fingerprint. */
	struct usm_cred	**intern;
	size_t		 nintern_buckets;	/* a power of two, or 0 */
	size_t		 nintern;
} usm_g;

struct usm_cred {
	unsigned int	 refs;
	uint64_t	 id;
	bool		 interned;
	struct usm_cred	*inext;		/* intern bucket chain */
	uint8_t		 fp[32];	/* SHA-256 of the parameters */
	char		 auth_src;	/* 'p', 'm', 'l' or 0 */
	char		 priv_src;
	uint8_t		 user[SNMPMGR_MAX_USER_LEN];
	size_t		 user_len;
	enum usm_auth	 auth;
	enum usm_priv	 priv;
	enum usm_keyext	 keyext;
	struct usm_key	 auth_key;
	bool		 auth_localized;
	struct usm_key	 priv_key;
	bool		 priv_localized;
};

struct usm_user {
	unsigned int	 refs;
	uint8_t		 user[SNMPMGR_MAX_USER_LEN];
	size_t		 user_len;
	uint8_t		 engine_id[SNMPMGR_MAX_ENGINE_ID_LEN];
	size_t		 engine_id_len;
	enum usm_auth	 auth;
	enum usm_priv	 priv;
	const struct usm_authinfo *ai;
	const struct usm_privinfo *pi;
	struct usm_key	 auth_key;	/* localized */
	struct usm_key	 priv_key;	/* localized, extended, trimmed */
	/*
	 * HMAC (RFC 2104) with the keyed halves computed once: hin has
	 * absorbed K XOR ipad, hout K XOR opad; each message copies them
	 * into hwork, which OpenSSL does without re-keying or parameters.
	 */
	EVP_MD_CTX	*hin;
	EVP_MD_CTX	*hout;
	EVP_MD_CTX	*hwork;
	EVP_CIPHER_CTX	*enc;
	EVP_CIPHER_CTX	*dec;
};

struct usm_centry {
	TAILQ_ENTRY(usm_centry)	 lru;
	struct usm_centry	*next;	/* bucket chain */
	uint64_t		 cred_id;
	uint32_t		 hash;
	struct usm_user		*user;
};

struct usm_cache {
	struct usm_centry	**buckets;
	size_t			 nbuckets;	/* a power of two */
	size_t			 count;
	size_t			 max;
	TAILQ_HEAD(usm_centry_q, usm_centry) lru; /* most recent first */
	uint64_t		 hits;
	uint64_t		 misses;
};

static void
usm_put32_be(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static const struct usm_authinfo *
usm_authinfo(enum usm_auth auth)
{
	size_t	i;

	for (i = 0; i < nitems(authinfo); i++)
		if (authinfo[i].auth == auth)
			return &authinfo[i];
	return NULL;
}

static const struct usm_privinfo *
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
	OPENSSL_cleanse(&usm_g.salt, sizeof(usm_g.salt));
	memset(&usm_g, 0, sizeof(usm_g));
}

static const EVP_MD *
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

static const EVP_CIPHER *
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
 * RFC 3414 A.2.1 without the length policy (key chaining hashes keys):
 * digest USM_P2K_OCTETS octets of pw repeated end to end.
 */
static int
usm_p2k(const EVP_MD *md, const uint8_t *pw, size_t len, struct usm_key *ku)
{
	EVP_MD_CTX	*ctx = NULL;
	uint8_t		 chunk[USM_P2K_CHUNK];
	size_t		 done, i, j = 0;
	unsigned int	 mdlen;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex2(ctx, md, NULL))
		goto fail;
	for (done = 0; done < USM_P2K_OCTETS; done += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++) {
			chunk[i] = pw[j];
			if (++j == len)
				j = 0;
		}
		if (!EVP_DigestUpdate(ctx, chunk, sizeof(chunk)))
			goto fail;
	}
	if (!EVP_DigestFinal_ex(ctx, ku->bytes, &mdlen))
		goto fail;
	ku->len = mdlen;
	OPENSSL_cleanse(chunk, sizeof(chunk));
	EVP_MD_CTX_free(ctx);
	return 0;
 fail:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	EVP_MD_CTX_free(ctx);
	snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "digest failed in OpenSSL");
	return -1;
}

int
usm_password_to_key(enum usm_auth auth, const char *pw, size_t len,
    struct usm_key *ku)
{
	const struct usm_authinfo *ai;
	const EVP_MD	*md;

	if ((ai = usm_authinfo(auth)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "no key for authentication protocol %s",
		    usm_auth_name(auth));
		return -1;
	}
	/* RFC 3414 11.2; Net-SNMP refuses shorter ones as well. */
	if (pw == NULL || len < USM_MIN_PASSWORD_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_KEY_LENGTH,
		    "password of %zu octets: RFC 3414 wants at least %d",
		    pw == NULL ? 0 : len, USM_MIN_PASSWORD_LEN);
		return -1;
	}
	if ((md = usm_md(ai)) == NULL)
		return -1;
	if (usm_p2k(md, (const uint8_t *)pw, len, ku) == -1)
		return -1;
	ku->hash = auth;
	return 0;
}

int
usm_key_localize(const struct usm_key *ku, const uint8_t *engine_id,
    size_t engine_id_len, struct usm_key *kul)
{
	const struct usm_authinfo *ai;
	const EVP_MD	*md;
	EVP_MD_CTX	*ctx = NULL;
	uint8_t		 out[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;

	if ((ai = usm_authinfo(ku->hash)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "no key for authentication protocol %s",
		    usm_auth_name(ku->hash));
		return -1;
	}
	if (engine_id == NULL || engine_id_len == 0 ||
	    engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_ENGINE_ID,
		    "engine ID of %zu octets", engine_id_len);
		return -1;
	}
	if ((md = usm_md(ai)) == NULL)
		return -1;
	/* RFC 3414 2.6: Kul = H(Ku || snmpEngineID || Ku). */
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex2(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, ku->bytes, ku->len) ||
	    !EVP_DigestUpdate(ctx, engine_id, engine_id_len) ||
	    !EVP_DigestUpdate(ctx, ku->bytes, ku->len) ||
	    !EVP_DigestFinal_ex(ctx, out, &mdlen) ||
	    mdlen > sizeof(kul->bytes)) {
		EVP_MD_CTX_free(ctx);
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "digest failed in OpenSSL");
		return -1;
	}
	EVP_MD_CTX_free(ctx);
	kul->hash = ku->hash;
	kul->len = mdlen;
	memcpy(kul->bytes, out, mdlen);
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

int
usm_key_extend(struct usm_key *kul, size_t need, enum usm_keyext ext,
    const uint8_t *engine_id, size_t engine_id_len)
{
	const struct usm_authinfo *ai;
	const EVP_MD	*md;
	struct usm_key	 more;
	unsigned int	 mdlen;
	size_t		 n;

	if ((ai = usm_authinfo(kul->hash)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
		    "no key for authentication protocol %s",
		    usm_auth_name(kul->hash));
		return -1;
	}
	if (need > sizeof(kul->bytes)) {
		snmpmgr_seterr(SNMPMGR_ERR_KEY_LENGTH,
		    "cannot extend a key to %zu octets", need);
		return -1;
	}
	if ((md = usm_md(ai)) == NULL)
		return -1;
	while (kul->len < need) {
		switch (ext) {
		case USM_KEYEXT_BLUMENTHAL:
			/*
			 * draft-blumenthal-aes-usm-04 3.1.2.1: append the
			 * hash of the whole key so far.
			 */
			if (!EVP_Digest(kul->bytes, kul->len, more.bytes,
			    &mdlen, md, NULL)) {
				snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
				    "digest failed in OpenSSL");
				goto fail;
			}
			more.len = mdlen;
			break;
		case USM_KEYEXT_REEDER:
			/*
			 * draft-reeder-snmpv3-usm-3desede 2.1: treat the key
			 * so far as a password, make a master key of it,
			 * localize that and append it.
			 */
			if (usm_p2k(md, kul->bytes, kul->len, &more) == -1)
				goto fail;
			more.hash = kul->hash;
			if (usm_key_localize(&more, engine_id, engine_id_len,
			    &more) == -1)
				goto fail;
			break;
		default:
			snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
			    "unknown key extension %d", (int)ext);
			goto fail;
		}
		n = need - kul->len;
		if (n > more.len)
			n = more.len;
		memcpy(kul->bytes + kul->len, more.bytes, n);
		kul->len += n;
	}
	OPENSSL_cleanse(&more, sizeof(more));
	return 0;
 fail:
	OPENSSL_cleanse(&more, sizeof(more));
	return -1;
}

int
usm_key_set(struct usm_key *k, enum usm_auth hash, const uint8_t *p,
    size_t len)
{
	if (p == NULL || len == 0 || len > sizeof(k->bytes)) {
		snmpmgr_seterr(SNMPMGR_ERR_KEY_LENGTH, "key of %zu octets",
		    len);
		return -1;
	}
	k->hash = hash;
	k->len = len;
	memcpy(k->bytes, p, len);
	return 0;
}

void
usm_key_wipe(struct usm_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
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

uint64_t
usm_cred_id(const struct usm_cred *c)
{
	return c->id;
}

struct usm_user *
usm_user_new(const struct usm_cred *c, const uint8_t *engine_id,
    size_t engine_id_len)
{
	return usm_user_new_keyext(c, engine_id, engine_id_len, c->keyext);
}

struct usm_user *
usm_user_new_keyext(const struct usm_cred *c, const uint8_t *engine_id,
    size_t engine_id_len, enum usm_keyext keyext)
{
	struct usm_user	*u = NULL;
	const EVP_CIPHER *cipher;
	EVP_CIPHER	*ecb;
	const EVP_MD	*md;
	uint8_t		 pad[128];
	size_t		 need, bsize, i;
	enum usm_keyext	 ext;

	if (engine_id == NULL || engine_id_len == 0 ||
	    engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_ENGINE_ID,
		    "engine ID of %zu octets", engine_id_len);
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	u->refs = 1;
	memcpy(u->user, c->user, c->user_len);
	u->user_len = c->user_len;
	memcpy(u->engine_id, engine_id, engine_id_len);
	u->engine_id_len = engine_id_len;
	u->auth = c->auth;
	u->priv = c->priv;

	if (c->auth != USM_AUTH_NONE) {
		u->ai = usm_authinfo(c->auth);
		if (c->auth_localized)
			u->auth_key = c->auth_key;
		else if (usm_key_localize(&c->auth_key, engine_id,
		    engine_id_len, &u->auth_key) == -1)
			goto fail;
		if ((md = usm_md(u->ai)) == NULL)
			goto fail;
		/* RFC 2104 2: the key (a digest, never longer than a
		 * block here) padded with zeros, XOR ipad and opad. */
		bsize = (size_t)EVP_MD_get_block_size(md);
		if (bsize > sizeof(pad) || u->auth_key.len > bsize) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
			    "HMAC-%s block size", u->ai->mdname);
			goto fail;
		}
		memset(pad, 0, sizeof(pad));
		memcpy(pad, u->auth_key.bytes, u->auth_key.len);
		for (i = 0; i < bsize; i++)
			pad[i] ^= 0x36;
		if ((u->hin = EVP_MD_CTX_new()) == NULL ||
		    (u->hout = EVP_MD_CTX_new()) == NULL ||
		    (u->hwork = EVP_MD_CTX_new()) == NULL ||
		    !EVP_DigestInit_ex2(u->hin, md, NULL) ||
		    !EVP_DigestUpdate(u->hin, pad, bsize))
			goto hmacfail;
		for (i = 0; i < bsize; i++)
			pad[i] ^= 0x36 ^ 0x5c;
		if (!EVP_DigestInit_ex2(u->hout, md, NULL) ||
		    !EVP_DigestUpdate(u->hout, pad, bsize))
			goto hmacfail;
		OPENSSL_cleanse(pad, sizeof(pad));
	}

	if (c->priv != USM_PRIV_NONE) {
		u->pi = usm_privinfo(c->priv);
		if ((cipher = usm_cipher(u->pi)) == NULL)
			goto fail;
		if (c->priv_localized)
			u->priv_key = c->priv_key;
		else if (usm_key_localize(&c->priv_key, engine_id,
		    engine_id_len, &u->priv_key) == -1)
			goto fail;
		/* 3DES always chains the Reeder way (draft-reeder 2.1). */
		need = u->pi->matlen;
		ext = u->priv == USM_PRIV_3DES ? USM_KEYEXT_REEDER :
		    keyext == USM_KEYEXT_REEDER ? USM_KEYEXT_REEDER :
		    USM_KEYEXT_BLUMENTHAL;
		if (usm_key_extend(&u->priv_key, need, ext, engine_id,
		    engine_id_len) == -1)
			goto fail;
		OPENSSL_cleanse(u->priv_key.bytes + need,
		    sizeof(u->priv_key.bytes) - need);
		u->priv_key.len = need;
		/*
		 * The block cipher runs in ECB mode and the chaining is done
		 * here (usm_ecb_encrypt, usm_ecb_decrypt): enc encrypts
		 * (CBC, and CFB both ways), dec decrypts (CBC only).
		 */
		ecb = usm_g.ecb[u->pi - privinfo];
		if ((u->enc = EVP_CIPHER_CTX_new()) == NULL ||
		    !EVP_CipherInit_ex2(u->enc, ecb, u->priv_key.bytes, NULL,
		    1, NULL) || !EVP_CIPHER_CTX_set_padding(u->enc, 0) ||
		    (u->pi->block > 1 &&
		    ((u->dec = EVP_CIPHER_CTX_new()) == NULL ||
		    !EVP_CipherInit_ex2(u->dec, ecb, u->priv_key.bytes, NULL,
		    0, NULL) || !EVP_CIPHER_CTX_set_padding(u->dec, 0)))) {
			snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED,
			    "%s failed in OpenSSL", u->pi->ciphername);
			goto fail;
		}
	}
	return u;
 hmacfail:
	OPENSSL_cleanse(pad, sizeof(pad));
	snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "HMAC-%s failed in OpenSSL",
	    u->ai->mdname);
 fail:
	usm_user_free(u);
	return NULL;
}

struct usm_user *
usm_user_ref(struct usm_user *u)
{
	u->refs++;
	return u;
}

void
usm_user_free(struct usm_user *u)
{
	if (u == NULL || --u->refs > 0)
		return;
	EVP_MD_CTX_free(u->hin);
	EVP_MD_CTX_free(u->hout);
	EVP_MD_CTX_free(u->hwork);
	EVP_CIPHER_CTX_free(u->enc);
	EVP_CIPHER_CTX_free(u->dec);
	OPENSSL_cleanse(u, sizeof(*u));
	free(u);
}

const uint8_t *
usm_user_name(const struct usm_user *u, size_t *len)
{
	*len = u->user_len;
	return u->user;
}

const uint8_t *
usm_user_engine_id(const struct usm_user *u, size_t *len)
{
	*len = u->engine_id_len;
	return u->engine_id;
}

enum usm_auth
usm_user_auth(const struct usm_user *u)
{
	return u->auth;
}

enum usm_priv
usm_user_priv(const struct usm_user *u)
{
	return u->priv;
}

const struct usm_key *
usm_user_auth_key(const struct usm_user *u)
{
	return &u->auth_key;
}

const struct usm_key *
usm_user_priv_key(const struct usm_user *u)
{
	return &u->priv_key;
}

size_t
usm_user_mac_len(const struct usm_user *u)
{
	return u->ai == NULL ? 0 : u->ai->maclen;
}

/* FNV-1a over the credential number and the engine ID. */
static uint32_t
usm_cache_hash(uint64_t id, const uint8_t *eid, size_t len)
{
	uint32_t	h = 2166136261U;
	size_t		i;

	for (i = 0; i < sizeof(id); i++) {
		h ^= (uint8_t)(id >> (8 * i));
		h *= 16777619U;
	}
	for (i = 0; i < len; i++) {
		h ^= eid[i];
		h *= 16777619U;
	}
	return h;
}

struct usm_cache *
usm_cache_new(size_t max)
{
	struct usm_cache *cache;
	size_t		 n = 16;

	if (max == 0)
		max = USM_CACHE_DEFAULT;
	while (n < max && n < ((size_t)1 << 24))
		n <<= 1;
	if ((cache = calloc(1, sizeof(*cache))) == NULL ||
	    (cache->buckets = calloc(n, sizeof(*cache->buckets))) == NULL) {
		free(cache);
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	cache->nbuckets = n;
	cache->max = max;
	TAILQ_INIT(&cache->lru);
	return cache;
}

static void
usm_cache_drop(struct usm_cache *cache, struct usm_centry *e)
{
	struct usm_centry **pp;

	pp = &cache->buckets[e->hash & (cache->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	TAILQ_REMOVE(&cache->lru, e, lru);
	cache->count--;
	usm_user_free(e->user);
	free(e);
}

void
usm_cache_free(struct usm_cache *cache)
{
	if (cache == NULL)
		return;
	while (!TAILQ_EMPTY(&cache->lru))
		usm_cache_drop(cache, TAILQ_FIRST(&cache->lru));
	free(cache->buckets);
	free(cache);
}

struct usm_user *
usm_cache_get(struct usm_cache *cache, const struct usm_cred *c,
    const uint8_t *engine_id, size_t engine_id_len)
{
	struct usm_centry *e;
	struct usm_user	*u;
	uint32_t	 h;
	size_t		 b;

	if (engine_id == NULL || engine_id_len == 0 ||
	    engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_ENGINE_ID,
		    "engine ID of %zu octets", engine_id_len);
		return NULL;
	}
	h = usm_cache_hash(c->id, engine_id, engine_id_len);
	b = h & (cache->nbuckets - 1);
	for (e = cache->buckets[b]; e != NULL; e = e->next) {
		if (e->hash == h && e->cred_id == c->id &&
		    e->user->engine_id_len == engine_id_len &&
		    memcmp(e->user->engine_id, engine_id,
		    engine_id_len) == 0) {
			TAILQ_REMOVE(&cache->lru, e, lru);
			TAILQ_INSERT_HEAD(&cache->lru, e, lru);
			cache->hits++;
			return usm_user_ref(e->user);
		}
	}
	if ((u = usm_user_new(c, engine_id, engine_id_len)) == NULL)
		return NULL;
	cache->misses++;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return u;	/* usable, just not cached */
	if (cache->count >= cache->max)
		usm_cache_drop(cache, TAILQ_LAST(&cache->lru, usm_centry_q));
	e->cred_id = c->id;
	e->hash = h;
	e->user = usm_user_ref(u);
	e->next = cache->buckets[b];
	cache->buckets[b] = e;
	TAILQ_INSERT_HEAD(&cache->lru, e, lru);
	cache->count++;
	return u;
}

void
usm_cache_forget(struct usm_cache *cache, const struct usm_cred *c)
{
	struct usm_centry *e, *next;

	for (e = TAILQ_FIRST(&cache->lru); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (e->cred_id == c->id)
			usm_cache_drop(cache, e);
	}
}

size_t
usm_cache_count(const struct usm_cache *cache)
{
	return cache->count;
}

void
usm_cache_stats(const struct usm_cache *cache, uint64_t *misses,
    uint64_t *hits)
{
	*misses = cache->misses;
	*hits = cache->hits;
}

/*
 * The truncated HMAC of msg with the digest field at off taken as zeros
 * (RFC 3414 6.3.1 / 7.3.1, RFC 7860 4.2.1).  The keyed context is only
 * restarted; the key schedule is not redone.
 */
static int
usm_mac(struct usm_user *u, const uint8_t *msg, size_t len, size_t off,
    uint8_t *mac)
{
	static const uint8_t zeros[USM_MAX_MAC_LEN];
	uint8_t		 full[EVP_MAX_MD_SIZE];
	unsigned int	 ilen, flen;
	size_t		 maclen;
	EVP_MD_CTX	*w = u->hwork;

	if (u->ai == NULL || u->hin == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_AUTH_KEY,
		    "user has no authentication protocol");
		return -1;
	}
	maclen = u->ai->maclen;
	if (off > len || len - off < maclen) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "digest field at %zu past the message end %zu", off, len);
		return -1;
	}
	/*
	 * RFC 2104 2: H(K^opad || H(K^ipad || msg)).  A field that is zero
	 * already (we sign) goes in with the message in one piece.
	 */
	if (!EVP_MD_CTX_copy_ex(w, u->hin) ||
	    (memcmp(msg + off, zeros, maclen) == 0 ?
	    !EVP_DigestUpdate(w, msg, len) :
	    (!EVP_DigestUpdate(w, msg, off) ||
	    !EVP_DigestUpdate(w, zeros, maclen) ||
	    !EVP_DigestUpdate(w, msg + off + maclen, len - off - maclen))) ||
	    !EVP_DigestFinal_ex(w, full, &ilen) ||
	    !EVP_MD_CTX_copy_ex(w, u->hout) ||
	    !EVP_DigestUpdate(w, full, ilen) ||
	    !EVP_DigestFinal_ex(w, full, &flen) || flen < maclen) {
		ERR_clear_error();
		snmpmgr_seterr(SNMPMGR_ERR_AUTH_FAILED,
		    "HMAC-%s failed in OpenSSL", u->ai->mdname);
		return -1;
	}
	/* The digest is no key (part of it goes on the wire): not wiped. */
	memcpy(mac, full, maclen);
	return 0;
}

int
usm_auth_sign(struct usm_user *u, uint8_t *msg, size_t len, size_t off)
{
	uint8_t	mac[USM_MAX_MAC_LEN];

	if (usm_mac(u, msg, len, off, mac) == -1)
		return -1;
	memcpy(msg + off, mac, u->ai->maclen);
	return 0;
}

int
usm_auth_verify(struct usm_user *u, const uint8_t *msg, size_t len,
    size_t off, size_t field_len)
{
	uint8_t	mac[USM_MAX_MAC_LEN];

	if (u->ai == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_AUTH_KEY,
		    "user has no authentication protocol");
		return -1;
	}
	/* RFC 3414 6.3.2 step 1 / RFC 7860 4.2.2 step 1. */
	if (field_len != u->ai->maclen) {
		snmpmgr_seterr(SNMPMGR_ERR_AUTH_FAILED,
		    "msgAuthenticationParameters of %zu octets, %s uses %zu",
		    field_len, usm_auth_name(u->auth), u->ai->maclen);
		return -1;
	}
	if (usm_mac(u, msg, len, off, mac) == -1)
		return -1;
	if (CRYPTO_memcmp(mac, msg + off, u->ai->maclen) != 0) {
		snmpmgr_seterr(SNMPMGR_ERR_AUTH_FAILED, "wrong digest");
		return -1;
	}
	return 0;
}

/*
 * RFC 3414 8.1.1.1 / RFC 3826 3.1.2.1: a local integer started at a
 * random value and counted up per message, so no salt repeats soon.
 */
static int
usm_next_salt(uint64_t *salt)
{
	if (!usm_g.salt_ready) {
		if (RAND_bytes((unsigned char *)&usm_g.salt,
		    sizeof(usm_g.salt)) != 1) {
			ERR_clear_error();
			snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
			    "no random salt from OpenSSL");
			return -1;
		}
		usm_g.salt_ready = true;
	}
	*salt = usm_g.salt++;
	return 0;
}

/*
 * The IV from the salt in msgPrivacyParameters.  CBC (RFC 3414 8.1.1.1.2,
 * draft-reeder 5.1.1.1.2): pre-IV XOR salt, the pre-IV being the key
 * material after the cipher key.  CFB (RFC 3826 3.1.2.1): boots || time ||
 * salt.
 */
static void
usm_make_iv(const struct usm_user *u, uint32_t boots, uint32_t etime,
    const uint8_t *salt, uint8_t *iv)
{
	size_t	i;

	if (u->pi->block > 1) {
		for (i = 0; i < 8; i++)
			iv[i] = u->priv_key.bytes[u->pi->keylen + i] ^ salt[i];
	} else {
		usm_put32_be(iv, boots);
		usm_put32_be(iv + 4, etime);
		memcpy(iv + 8, salt, 8);
	}
}

size_t
usm_encrypted_len(const struct usm_user *u, size_t len)
{
	if (u->pi == NULL || u->pi->block == 1)
		return len;
	return (len + u->pi->block - 1) / u->pi->block * u->pi->block;
}

static void	usm_xor(uint8_t *, const uint8_t *, const uint8_t *, size_t);

/*
 * Encrypt with the chaining done here, one ECB block at a time: CFB
 * (RFC 3826 3.1.3) C[i] = P[i] XOR E(C[i-1]), the last block cut short;
 * CBC (RFC 3414 8.1.1.2) C[i] = E(P[i] XOR C[i-1]), the last block
 * zero-padded.  C[-1] is the IV.  Re-keying is never needed and no
 * parameters go through OpenSSL per message.  in may be out; the
 * keystream block is not wiped (see usm_ecb_decrypt).  0 or -1.
 */
static int
usm_ecb_encrypt(struct usm_user *u, const uint8_t *iv, const uint8_t *in,
    size_t inlen, uint8_t *out)
{
	uint8_t		 prev[16], blk[16];
	size_t		 bl = u->pi->cblock, off, n;
	int		 outl, rv = -1;

	memcpy(prev, iv, bl);
	for (off = 0; off < inlen; off += bl) {
		n = inlen - off < bl ? inlen - off : bl;
		if (u->pi->block == 1) {
			if (!EVP_CipherUpdate(u->enc, blk, &outl, prev,
			    (int)bl))
				goto out;
			usm_xor(out + off, in + off, blk, n);
			memcpy(prev, out + off, n);
			continue;
		}
		memset(blk, 0, sizeof(blk));	/* RFC 3414 8.1.1.2 padding */
		memcpy(blk, in + off, n);
		usm_xor(blk, blk, prev, bl);
		if (!EVP_CipherUpdate(u->enc, prev, &outl, blk, (int)bl))
			goto out;
		memcpy(out + off, prev, bl);
	}
	rv = 0;
 out:
	return rv;
}

int
usm_encrypt(struct usm_user *u, uint32_t boots, uint32_t etime,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen,
    uint8_t privparams[USM_PRIV_PARAMS_LEN])
{
	uint8_t		 iv[16];
	uint64_t	 salt;
	size_t		 need;

	if (u->pi == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_ENCRYPTED,
		    "user has no privacy protocol");
		return -1;
	}
	need = usm_encrypted_len(u, inlen);
	if (inlen > SNMPMGR_MAX_MSG_SIZE || *outlen < need) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "%zu octets to encrypt, room for %zu", need, *outlen);
		return -1;
	}
	if (usm_next_salt(&salt) == -1)
		return -1;
	if (u->pi->block > 1) {
		/* RFC 3414 8.1.1.1.2: engineBoots || the local integer. */
		usm_put32_be(privparams, boots);
		usm_put32_be(privparams + 4, (uint32_t)salt);
	} else {
		/* RFC 3826 3.1.2.1: the 64-bit integer. */
		usm_put32_be(privparams, (uint32_t)(salt >> 32));
		usm_put32_be(privparams + 4, (uint32_t)salt);
	}
	usm_make_iv(u, boots, etime, privparams, iv);
	/* RFC 3414 8.1.1.2: DES pads the last block; the padding is
	 * ignored by the receiver. */
	if (usm_ecb_encrypt(u, iv, in, inlen, out) == -1)
		goto fail;
	*outlen = need;
	OPENSSL_cleanse(iv, sizeof(iv));
	return 0;
 fail:
	ERR_clear_error();
	OPENSSL_cleanse(iv, sizeof(iv));
	snmpmgr_seterr(SNMPMGR_ERR_DECRYPT, "%s encryption failed in OpenSSL",
	    u->pi->ciphername);
	return -1;
}

/*
 * out = a XOR b, from the last octet to the first, so out may overlap b
 * at a higher address (CBC in place: out[i] = a[i] ^ in[i - 8]).
 */
static void
usm_xor_back(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n)
{
	while (n-- > 0)
		out[n] = a[n] ^ b[n];
}

/* out = a XOR b, n octets; out may be a or b. */
static void
usm_xor(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t	 x, y;
	size_t		 i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		x ^= y;
		memcpy(out + i, &x, 8);
	}
	for (; i < n; i++)
		out[i] = a[i] ^ b[i];
}

/*
 * Decrypt with the chaining done here.  Every CFB keystream block is
 * E(previous ciphertext block) (RFC 3826 3.1.4, the IV first) and every
 * CBC block is D(ciphertext block) XOR the previous one (RFC 3414
 * 8.3.2), so the cipher's work depends on ciphertext only: one ECB pass
 * per chunk does it all at once (pipelined, where the one-block-at-a-time
 * CFB/CBC decryption of OpenSSL is not), and an XOR finishes.  Chunks keep
 * the work area on the stack; in may be out.  The keystream left there is
 * not wiped: it is no key, the plaintext it gives stays in memory anyway,
 * and OPENSSL_cleanse would cost more than the decryption.  0 or -1.
 */
static int
usm_ecb_decrypt(struct usm_user *u, const uint8_t *iv, const uint8_t *in,
    size_t inlen, uint8_t *out)
{
	uint8_t		 ks[USM_ECB_CHUNK], prev[16], last[16];
	size_t		 bl = u->pi->cblock, off, n, nb;
	int		 outl, rv = -1;

	memcpy(prev, iv, bl);
	for (off = 0; off < inlen; off += n) {
		n = inlen - off < sizeof(ks) ? inlen - off : sizeof(ks);
		nb = (n + bl - 1) / bl;
		if (u->pi->block == 1) {
			/* CFB: keystream E(prev), E(C[0]), ... E(C[nb-2]). */
			if (!EVP_CipherUpdate(u->enc, ks, &outl, prev,
			    (int)bl) || (nb > 1 && !EVP_CipherUpdate(u->enc,
			    ks + bl, &outl, in + off, (int)((nb - 1) * bl))))
				goto out;
			if (off + n < inlen)	/* a full block: n is a chunk */
				memcpy(prev, in + off + n - bl, bl);
			usm_xor(out + off, in + off, ks, n);
			continue;
		}
		/* CBC: D(C[i]) XOR C[i-1], last block first so in may be
		 * out. */
		if (!EVP_CipherUpdate(u->dec, ks, &outl, in + off, (int)n))
			goto out;
		memcpy(last, in + off + n - bl, bl);
		if (n > bl)
			usm_xor_back(out + off + bl, ks + bl, in + off, n - bl);
		usm_xor(out + off, ks, prev, bl);
		memcpy(prev, last, bl);
	}
	rv = 0;
 out:
	return rv;
}

int
usm_decrypt(struct usm_user *u, uint32_t boots, uint32_t etime,
    const uint8_t *privparams, size_t privparams_len,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	struct ber	 b;
	struct ber_tlv	 t;
	uint8_t		 iv[16];
	size_t		 n;

	if (u->pi == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_ENCRYPTED,
		    "user has no privacy protocol");
		return -1;
	}
	/* RFC 3414 8.3.2 step 1, RFC 3826 3.1.4 step 1. */
	if (privparams == NULL || privparams_len != USM_PRIV_PARAMS_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_PRIV_PARAM,
		    "msgPrivacyParameters of %zu octets, want %d",
		    privparams == NULL ? 0 : privparams_len,
		    USM_PRIV_PARAMS_LEN);
		return -1;
	}
	/* RFC 3414 8.3.2 step 2: whole DES blocks only. */
	if (inlen == 0 || inlen % u->pi->block != 0 ||
	    inlen > SNMPMGR_MAX_MSG_SIZE) {
		snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
		    "encryptedPDU of %zu octets for %s", inlen,
		    usm_priv_name(u->priv));
		return -1;
	}
	usm_make_iv(u, boots, etime, privparams, iv);
	n = inlen;
	if (usm_ecb_decrypt(u, iv, in, inlen, out) == -1) {
		ERR_clear_error();
		OPENSSL_cleanse(iv, sizeof(iv));
		snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
		    "%s decryption failed in OpenSSL", u->pi->ciphername);
		return -1;
	}
	OPENSSL_cleanse(iv, sizeof(iv));
	/* A ScopedPDU is one SEQUENCE; anything after it is padding. */
	ber_init(&b, out, n);
	if (ber_read_tlv(&b, &t) == -1 || t.tag != BER_TAG_SEQUENCE) {
		snmpmgr_seterr(SNMPMGR_ERR_DECRYPT, "decrypted data is not a "
		    "ScopedPDU (wrong privacy key?)");
		return -1;
	}
	*outlen = (size_t)(t.data + t.len - out);
	return 0;
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
