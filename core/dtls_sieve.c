/*
 * dtls_sieve.c - the records of an open association that OpenSSL keeps
 * (a CBC cipher, a server before the client's first application record,
 * a client whose handshake ended on a reordered flight), checked before
 * OpenSSL sees them.
 *
 * RFC 6347 4.1.2.7 asks that an invalid record be dropped silently: over
 * UDP anyone can send one on the association's addresses.  OpenSSL 3.0
 * drops most of them, but ends the association with a fatal alert on
 * three kinds (openssl/openssl issues 24972, 25389): a record whose MAC
 * fails under encrypt_then_mac (RFC 7366, which OpenSSL peers negotiate
 * with every CBC cipher), a record too short to hold its MAC (CBC, with
 * or without encrypt_then_mac), and an AEAD record too short to hold its
 * explicit nonce and tag.  The sieve drops those first: the lengths are
 * public, and with encrypt_then_mac the MAC covers the ciphertext, so it
 * is checked here with the peer's MAC key (RFC 5246 6.3, the key block
 * dtls_rec.c derives).  Under MAC-then-encrypt OpenSSL checks the MAC
 * itself, in constant time, and drops a record that fails it.
 *
 * Only records of the association's epoch are judged; OpenSSL drops
 * those of other epochs (it does not renegotiate here) without harm.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include "dtls_int.h"

/* RFC 6347 4.1: the record header. */
#define SV_HDR		13
/* RFC 5288 3, RFC 6655 3: the explicit nonce of GCM and CCM records. */
#define SV_AEAD_NONCE	8

static uint16_t
sv_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The shortest record body of a block or NULL cipher with an HMAC. */
static void
sv_min(struct dtls_sieve *s)
{
	if (s->bs > 1 && s->etm)
		/* The explicit IV, one block at least, the MAC after. */
		s->min = 2 * s->bs + s->maclen;
	else if (s->bs > 1)
		/* The explicit IV, then MAC and padding length, padded. */
		s->min = s->bs + (s->maclen + 1 + s->bs - 1) / s->bs * s->bs;
	else
		s->min = s->maclen;
}

/* The lengths of c's records: 0, or -1 for a cipher we cannot judge. */
static int
sv_cipher(struct dtls_sieve *s, const SSL_CIPHER *c)
{
	const EVP_CIPHER	*ec;
	const EVP_MD		*md;
	int			 nid, mode;

	nid = SSL_CIPHER_get_cipher_nid(c);
	if (SSL_CIPHER_is_aead(c)) {
		s->aead = true;
		if (nid == NID_chacha20_poly1305) {
			s->min = 16;		/* RFC 7905: no explicit nonce */
			return 0;
		}
		if ((ec = EVP_get_cipherbynid(nid)) == NULL)
			return -1;
		mode = EVP_CIPHER_get_mode(ec);
		if (mode == EVP_CIPH_CCM_MODE &&
		    strstr(SSL_CIPHER_get_name(c), "CCM8") != NULL)
			s->min = SV_AEAD_NONCE + 8;
		else if (mode == EVP_CIPH_GCM_MODE || mode == EVP_CIPH_CCM_MODE)
			s->min = SV_AEAD_NONCE + 16;
		else
			return -1;
		return 0;
	}
	/* A block or NULL cipher and an HMAC. */
	if ((md = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(c))) ==
	    NULL || EVP_MD_get_size(md) <= 0 ||
	    (size_t)EVP_MD_get_size(md) > sizeof(s->mackey))
		return -1;
	s->maclen = (size_t)EVP_MD_get_size(md);
	snprintf(s->md, sizeof(s->md), "%s", EVP_MD_get0_name(md));
	s->bs = 1;
	if (nid != NID_undef) {
		if ((ec = EVP_get_cipherbynid(nid)) == NULL)
			return -1;
		if (EVP_CIPHER_get_mode(ec) == EVP_CIPH_CBC_MODE)
			s->bs = (size_t)EVP_CIPHER_get_block_size(ec);
	}
	sv_min(s);
	return 0;
}

int
dtls_sieve_init(struct dtls_sieve *s, SSL *ssl, bool server, bool etm,
    uint16_t epoch)
{
	const SSL_CIPHER	*c = SSL_get_current_cipher(ssl);
	const EVP_MD		*prf;
	uint8_t			 kb[2 * EVP_MAX_MD_SIZE];

	memset(s, 0, sizeof(*s));
	s->etm = etm;
	if (c == NULL || epoch == 0 || sv_cipher(s, c) == -1)
		goto fail;
	if (s->bs > 1 && s->etm) {
		/*
		 * RFC 5246 6.3: the client's MAC key, then the server's.
		 * RFC 5246 5: suites older than TLS 1.2 (the SHA-1 ones)
		 * take its PRF with SHA-256 in (D)TLS 1.2.
		 */
		if ((prf = SSL_CIPHER_get_handshake_digest(c)) == NULL)
			goto fail;
		if (EVP_MD_get_type(prf) == NID_md5_sha1)
			prf = EVP_sha256();
		if (dtls_rec_key_block(ssl, prf, kb, 2 * s->maclen) == -1)
			goto fail;
		memcpy(s->mackey, kb + (server ? 0 : s->maclen), s->maclen);
		OPENSSL_cleanse(kb, sizeof(kb));
	} else
		s->etm = false;		/* it applies to block ciphers only */
	s->version = (uint16_t)SSL_version(ssl);
	s->epoch = epoch;
	s->on = true;
	return 0;
fail:
	OPENSSL_cleanse(kb, sizeof(kb));
	dtls_sieve_clear(s);
	return -1;
}

void
dtls_sieve_clear(struct dtls_sieve *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

/* RFC 7366 3, RFC 6347 4.1.2.1: the MAC of an encrypt_then_mac record
 * (its header, epoch and sequence number first) matches. */
static bool
sv_mac_ok(const struct dtls_sieve *s, const uint8_t *rec, size_t len)
{
	uint8_t		 pseudo[SV_HDR], md[EVP_MAX_MD_SIZE];
	size_t		 body = len - s->maclen, mdlen = 0;
	EVP_MAC		*mac;
	EVP_MAC_CTX	*x = NULL;
	OSSL_PARAM	 p[2];
	bool		 ok = false;

	memcpy(pseudo, rec + 3, 8);		/* epoch, sequence number */
	pseudo[8] = rec[0];			/* type */
	memcpy(pseudo + 9, rec + 1, 2);		/* version */
	pseudo[11] = (uint8_t)(body >> 8);
	pseudo[12] = (uint8_t)body;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (x = EVP_MAC_CTX_new(mac)) == NULL)
		goto done;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)s->md, 0);
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(x, s->mackey, s->maclen, p) == 1 &&
	    EVP_MAC_update(x, pseudo, sizeof(pseudo)) == 1 &&
	    EVP_MAC_update(x, rec + SV_HDR, body) == 1 &&
	    EVP_MAC_final(x, md, &mdlen, sizeof(md)) == 1 &&
	    mdlen == s->maclen &&
	    CRYPTO_memcmp(md, rec + SV_HDR + body, s->maclen) == 0)
		ok = true;
done:
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(mac);
	OPENSSL_cleanse(md, sizeof(md));
	return ok;
}

/* Whether OpenSSL may see this record of len octets after the header. */
static bool
sv_keep(const struct dtls_sieve *s, const uint8_t *rec, size_t len)
{
	if (sv_rd16(rec + 3) != s->epoch)
		return true;		/* OpenSSL drops it (or answers it) */
	if (sv_rd16(rec + 1) != s->version || len < s->min ||
	    len > SSL3_RT_MAX_ENCRYPTED_LENGTH)
		return false;
	if (s->aead || s->bs == 1)
		return true;
	if (!s->etm)
		return len % s->bs == 0;
	return (len - s->maclen) % s->bs == 0 && sv_mac_ok(s, rec, len);
}

size_t
dtls_sieve_run(const struct dtls_sieve *s, const uint8_t *d, size_t n,
    uint8_t *out, size_t size, uint64_t *dropped)
{
	size_t	 len, kept = 0;

	while (n > 0) {
		if (n < SV_HDR || (len = sv_rd16(d + 11)) > n - SV_HDR) {
			(*dropped)++;		/* a cut record: the rest */
			break;
		}
		if (!sv_keep(s, d, len) || SV_HDR + len > size - kept)
			(*dropped)++;
		else {
			memcpy(out + kept, d, SV_HDR + len);
			kept += SV_HDR + len;
		}
		d += SV_HDR + len;
		n -= SV_HDR + len;
	}
	return kept;
}
