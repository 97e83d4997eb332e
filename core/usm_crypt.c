/*
 * usm_crypt.c - the packet path of the User-based Security Model: HMAC
 * signing and checking (RFC 3414 6 and 7, RFC 7860 4), the salt and IV
 * of the privacy protocols, and DES / 3DES-EDE / AES-CFB encryption and
 * decryption (RFC 3414 8, RFC 3826 3, the 3DES and AES-192/256 drafts).
 *
 * OpenSSL 3, with the state each localized user keeps keyed from its
 * creation (usm_key.c): two digest states holding the HMAC's keyed inner
 * and outer halves (copied per message, RFC 2104), and the block cipher
 * in ECB mode through EVP, with the CBC/CFB chaining done here, so no IV
 * is set through OpenSSL per message and decryption runs whole blocks at
 * once.
 */
#include "config.h"

/*
 * The HMAC runs on OpenSSL's one-hash functions (MD5_Update, SHA1_Update
 * ...), deprecated in 3.0 in favour of EVP but kept, because their state
 * is a plain struct: copying the keyed state per message is a memcpy,
 * where EVP_MD_CTX_copy_ex() of 3.0 allocates, copies and frees the
 * provider's context (a third of the HMAC's time over a 220-octet trap).
 * They run the same assembler as EVP.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ber.h"
#include "errors.h"
#include "limits.h"
#include "usm.h"
#include "usm_int.h"

/* Octets decrypted per ECB pass (a multiple of every block size). */
#define USM_ECB_CHUNK	2048

/* One digest state, whichever the user's protocol. */
union usm_hstate {
	MD5_CTX		 md5;
	SHA_CTX		 sha1;
	SHA256_CTX	 sha256;	/* and SHA-224 */
	SHA512_CTX	 sha512;	/* and SHA-384 */
};

_Static_assert(sizeof(union usm_hstate) <= USM_HSTATE_SIZE,
    "USM_HSTATE_SIZE too small for a digest state");

/* The salt counter of the privacy protocols, process-wide. */
static struct {
	bool		 ready;
	uint64_t	 next;
} usm_salt;

static int
usm_h_init(enum usm_auth a, union usm_hstate *h)
{
	switch (a) {
	case USM_AUTH_MD5:
		return MD5_Init(&h->md5);
	case USM_AUTH_SHA:
		return SHA1_Init(&h->sha1);
	case USM_AUTH_SHA224:
		return SHA224_Init(&h->sha256);
	case USM_AUTH_SHA256:
		return SHA256_Init(&h->sha256);
	case USM_AUTH_SHA384:
		return SHA384_Init(&h->sha512);
	case USM_AUTH_SHA512:
		return SHA512_Init(&h->sha512);
	default:
		return 0;
	}
}

static int
usm_h_update(enum usm_auth a, union usm_hstate *h, const void *p, size_t n)
{
	switch (a) {
	case USM_AUTH_MD5:
		return MD5_Update(&h->md5, p, n);
	case USM_AUTH_SHA:
		return SHA1_Update(&h->sha1, p, n);
	case USM_AUTH_SHA224:
	case USM_AUTH_SHA256:
		return SHA256_Update(&h->sha256, p, n);
	case USM_AUTH_SHA384:
	case USM_AUTH_SHA512:
		return SHA512_Update(&h->sha512, p, n);
	default:
		return 0;
	}
}

/* The digest (ai->keylen octets: the key length is the digest's). */
static int
usm_h_final(enum usm_auth a, union usm_hstate *h, uint8_t *out)
{
	switch (a) {
	case USM_AUTH_MD5:
		return MD5_Final(out, &h->md5);
	case USM_AUTH_SHA:
		return SHA1_Final(out, &h->sha1);
	case USM_AUTH_SHA224:
		return SHA224_Final(out, &h->sha256);
	case USM_AUTH_SHA256:
		return SHA256_Final(out, &h->sha256);
	case USM_AUTH_SHA384:
		return SHA384_Final(out, &h->sha512);
	case USM_AUTH_SHA512:
		return SHA512_Final(out, &h->sha512);
	default:
		return 0;
	}
}

int
usm_hmac_init(struct usm_user *u)
{
	union usm_hstate	*hin = (union usm_hstate *)(void *)u->hin;
	union usm_hstate	*hout = (union usm_hstate *)(void *)u->hout;
	uint8_t			 pad[128];
	size_t			 bsize, i;
	int			 ok;

	/* RFC 2104 2: the key (a digest, never longer than a block here)
	 * padded with zeros, XOR ipad and opad. */
	bsize = u->auth == USM_AUTH_SHA384 || u->auth == USM_AUTH_SHA512 ?
	    128 : 64;
	if (u->ai == NULL || u->auth_key.len > bsize) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "HMAC-%s key",
		    u->ai != NULL ? u->ai->mdname : "?");
		return -1;
	}
	memset(pad, 0, sizeof(pad));
	memcpy(pad, u->auth_key.bytes, u->auth_key.len);
	for (i = 0; i < bsize; i++)
		pad[i] ^= 0x36;
	ok = usm_h_init(u->auth, hin) && usm_h_update(u->auth, hin, pad,
	    bsize);
	for (i = 0; i < bsize; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && usm_h_init(u->auth, hout) && usm_h_update(u->auth, hout,
	    pad, bsize);
	OPENSSL_cleanse(pad, sizeof(pad));
	if (!ok) {
		snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "HMAC-%s failed in "
		    "OpenSSL", u->ai->mdname);
		return -1;
	}
	u->hready = true;
	return 0;
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
	union usm_hstate w;
	uint8_t		 full[EVP_MAX_MD_SIZE];
	size_t		 maclen, dlen;
	int		 ok;

	if (u->ai == NULL || !u->hready) {
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
	dlen = u->ai->keylen;
	memcpy(&w, u->hin, sizeof(w));
	ok = memcmp(msg + off, zeros, maclen) == 0 ?
	    usm_h_update(u->auth, &w, msg, len) :
	    usm_h_update(u->auth, &w, msg, off) &&
	    usm_h_update(u->auth, &w, zeros, maclen) &&
	    usm_h_update(u->auth, &w, msg + off + maclen,
	    len - off - maclen);
	ok = ok && usm_h_final(u->auth, &w, full);
	memcpy(&w, u->hout, sizeof(w));
	ok = ok && usm_h_update(u->auth, &w, full, dlen) &&
	    usm_h_final(u->auth, &w, full) && dlen >= maclen;
	/* The states hold what the keyed halves became: wiped. */
	OPENSSL_cleanse(&w, sizeof(w));
	if (!ok) {
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
	/* An authenticated message that carries no digest at all: 310, as
	 * the reference names it, rather than a digest that is wrong. */
	if (field_len == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_SIGNATURE, "authenticated "
		    "message with empty msgAuthenticationParameters");
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
	if (!usm_salt.ready) {
		if (RAND_bytes((unsigned char *)&usm_salt.next,
		    sizeof(usm_salt.next)) != 1) {
			ERR_clear_error();
			snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
			    "no random salt from OpenSSL");
			return -1;
		}
		usm_salt.ready = true;
	}
	*salt = usm_salt.next++;
	return 0;
}

void
usm_salt_wipe(void)
{
	OPENSSL_cleanse(&usm_salt.next, sizeof(usm_salt.next));
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
