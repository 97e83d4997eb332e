/*
 * usm_key.c - the keys of the User-based Security Model: password-to-key
 * (RFC 3414 A.2.1, RFC 7860 9.1), localization for an engine ID
 * (RFC 3414 A.2.2), privacy key extension (Blumenthal and Reeder drafts),
 * the localized user that holds the keys with its keyed OpenSSL contexts,
 * and the bounded per-engine cache of localized users (usm.h).
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "errors.h"
#include "limits.h"
#include "usm.h"
#include "usm_int.h"

/* RFC 3414 A.2.1: octets of repeated password fed to the hash. */
#define USM_P2K_OCTETS	(1024 * 1024)
/* ...in chunks of this size. */
#define USM_P2K_CHUNK	64

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
	size_t		 need;
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
		/* The digest must be there (usm_md says why not). */
		if (usm_md(u->ai) == NULL || usm_hmac_init(u) == -1)
			goto fail;
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
		ecb = usm_ecb(u->pi);
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
