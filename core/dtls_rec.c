/*
 * dtls_rec.c - the records of an open association once OpenSSL's
 * handshake is done (RFC 6347 4.1; AES-GCM RFC 5288, ChaCha20-Poly1305
 * RFC 7905), so the association can give its SSL object back.
 *
 * OpenSSL 3.0 keeps a DTLS connection's whole handshake state for its
 * life: a 21 KiB handshake buffer (freed after a TLS handshake, never
 * after a DTLS one over UDP), the SSL object, the peer's certificates
 * parsed.  An idle SNMP association needs none of it: only the two keys,
 * the two implicit nonce parts, the write sequence number and the replay
 * window.  An association whose cipher is one of the AEAD ciphers we
 * offer by default therefore takes these from OpenSSL (the key block
 * derived from the master secret, RFC 5246 6.3) and frees the SSL
 * object; everything else stays with OpenSSL.  A client does so when its
 * handshake ends, a server (the trap listener) at the client's first
 * application record, which shows the client has the server's Finished
 * and will not send its last flight again.
 *
 * The sequence numbers OpenSSL used are not readable through its API;
 * the datagram BIO sees every record, so dtls_rec_scan() notes the
 * newest epoch and its highest sequence number of what we sent, and of
 * the datagram that ended a client's handshake: we write on from one
 * past the highest we sent, and take every record at or below the
 * highest of that datagram as seen.  A server marks as seen only the
 * records of the client's first application datagram that authenticate
 * under the new keys (dtls_rec_mark()).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include "dtls.h"
#include "dtls_int.h"
#include "errors.h"

/* RFC 6347 4.1: type, version, epoch, 48-bit sequence number, length. */
#define REC_HDR		13
#define REC_TAG		16
/* RFC 5288 3: the explicit part of the GCM nonce, sent in each record. */
#define REC_GCM_EXPLICIT 8
#define REC_MAX_SEQ	((UINT64_C(1) << 48) - 1)
/* RFC 6347 4.1.2.6: a window of 64 records. */
#define REC_WINDOW	64

struct dtls_rec {
	EVP_CIPHER	*cipher;
	bool		 chacha;	/* else AES-GCM */
	size_t		 keylen;
	size_t		 ivlen;		/* 4 (GCM salt) or 12 (ChaCha) */
	uint8_t		 wkey[32];
	uint8_t		 rkey[32];
	uint8_t		 wiv[12];
	uint8_t		 riv[12];
	uint16_t	 version;
	uint16_t	 epoch;
	uint64_t	 wseq;		/* the next we send */
	uint64_t	 rmax;		/* the highest we took */
	uint64_t	 rwin;		/* bit i: rmax - i was taken */
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t
rd48(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* epoch (16 bits) and sequence number (48 bits): 8 octets. */
static void
wr_seq(uint8_t *p, uint16_t epoch, uint64_t seq)
{
	int	 i;

	wr16(p, epoch);
	for (i = 0; i < 6; i++)
		p[2 + i] = (uint8_t)(seq >> (8 * (5 - i)));
}

void
dtls_rec_scan(const uint8_t *d, size_t n, struct dtls_seen *s)
{
	uint16_t	 epoch, len;
	uint64_t	 seq;

	while (n >= REC_HDR) {
		epoch = rd16(d + 3);
		seq = rd48(d + 5);
		len = rd16(d + 11);
		if ((size_t)len > n - REC_HDR)
			return;
		if (!s->any || epoch > s->epoch) {
			s->any = true;
			s->epoch = epoch;
			s->seq = seq;
		} else if (epoch == s->epoch && seq > s->seq)
			s->seq = seq;
		d += REC_HDR + len;
		n -= REC_HDR + len;
	}
}

/* The cipher's key and IV lengths, or false when we leave it to OpenSSL. */
static bool
dtls_rec_cipher(const SSL_CIPHER *c, struct dtls_rec *r, const char **name)
{
	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm:
		r->keylen = 16;
		r->ivlen = 4;
		*name = "AES-128-GCM";
		return true;
	case NID_aes_256_gcm:
		r->keylen = 32;
		r->ivlen = 4;
		*name = "AES-256-GCM";
		return true;
	case NID_chacha20_poly1305:
		r->keylen = 32;
		r->ivlen = 12;
		r->chacha = true;
		*name = "ChaCha20-Poly1305";
		return true;
	default:
		return false;
	}
}

/* RFC 5246 6.3: the key block from the master secret and the randoms. */
int
dtls_rec_key_block(SSL *ssl, const EVP_MD *md, uint8_t *out, size_t len)
{
	uint8_t		 master[SSL_MAX_MASTER_KEY_LENGTH];
	uint8_t		 seed[13 + 2 * SSL3_RANDOM_SIZE];
	OSSL_PARAM	 p[4];
	EVP_KDF		*kdf = NULL;
	EVP_KDF_CTX	*kctx = NULL;
	size_t		 mlen;
	int		 rc = -1;

	mlen = SSL_SESSION_get_master_key(SSL_get_session(ssl), master,
	    sizeof(master));
	memcpy(seed, "key expansion", 13);
	if (mlen == 0 || SSL_get_server_random(ssl, seed + 13,
	    SSL3_RANDOM_SIZE) != SSL3_RANDOM_SIZE ||
	    SSL_get_client_random(ssl, seed + 13 + SSL3_RANDOM_SIZE,
	    SSL3_RANDOM_SIZE) != SSL3_RANDOM_SIZE)
		goto done;
	if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto done;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)EVP_MD_get0_name(md), 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
	    master, mlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed,
	    sizeof(seed));
	p[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, len, p) == 1)
		rc = 0;
 done:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	OPENSSL_cleanse(master, sizeof(master));
	return rc;
}

struct dtls_rec *
dtls_rec_new(SSL *ssl, bool server, const struct dtls_seen *tx,
    const struct dtls_seen *rx)
{
	const SSL_CIPHER	*c = SSL_get_current_cipher(ssl);
	const EVP_MD		*md;
	struct dtls_rec		*r;
	const char		*name;
	uint8_t			 kb[2 * 32 + 2 * 12];

	if (c == NULL || !tx->any || !rx->any || tx->epoch != rx->epoch ||
	    tx->epoch == 0 || tx->seq >= REC_MAX_SEQ ||
	    (md = SSL_CIPHER_get_handshake_digest(c)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (!dtls_rec_cipher(c, r, &name) ||
	    (r->cipher = EVP_CIPHER_fetch(NULL, name, NULL)) == NULL ||
	    dtls_rec_key_block(ssl, md, kb, 2 * r->keylen + 2 * r->ivlen) ==
	    -1) {
		dtls_rec_free(r);
		return NULL;
	}
	/* RFC 5246 6.3: client key, server key, client IV, server IV (no
	 * MAC keys with an AEAD cipher). */
	memcpy(server ? r->rkey : r->wkey, kb, r->keylen);
	memcpy(server ? r->wkey : r->rkey, kb + r->keylen, r->keylen);
	memcpy(server ? r->riv : r->wiv, kb + 2 * r->keylen, r->ivlen);
	memcpy(server ? r->wiv : r->riv, kb + 2 * r->keylen + r->ivlen,
	    r->ivlen);
	OPENSSL_cleanse(kb, sizeof(kb));
	r->version = (uint16_t)SSL_version(ssl);
	r->epoch = tx->epoch;
	r->wseq = tx->seq + 1;
	r->rmax = rx->seq;
	r->rwin = ~UINT64_C(0);
	return r;
}

void
dtls_rec_mark(struct dtls_rec *r, const uint8_t *d, size_t n)
{
	uint8_t	 scratch[SNMPMGR_MAX_DTLS_MSG + 64];
	uint8_t	 type;

	while (n > 0)
		(void)dtls_rec_open(r, &d, &n, &type, scratch,
		    sizeof(scratch));
	OPENSSL_cleanse(scratch, sizeof(scratch));
}

void
dtls_rec_free(struct dtls_rec *r)
{
	if (r == NULL)
		return;
	EVP_CIPHER_free(r->cipher);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* The per-record nonce (12 octets) and, for GCM, its explicit part. */
static void
dtls_rec_nonce(const struct dtls_rec *r, const uint8_t *iv, uint64_t seq,
    uint8_t *nonce)
{
	uint8_t	 s[8];
	int	 i;

	wr_seq(s, r->epoch, seq);
	if (r->chacha) {
		/* RFC 7905 2: the IV XOR the padded sequence number. */
		memcpy(nonce, iv, 12);
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= s[i];
	} else {
		/* RFC 5288 3: salt, then the explicit part (our seq). */
		memcpy(nonce, iv, 4);
		memcpy(nonce + 4, s, 8);
	}
}

/* RFC 5246 6.2.3.3: seq_num + type + version + length of the plaintext. */
static void
dtls_rec_aad(const struct dtls_rec *r, uint8_t type, uint64_t seq,
    size_t len, uint8_t *aad)
{
	wr_seq(aad, r->epoch, seq);
	aad[8] = type;
	wr16(aad + 9, r->version);
	wr16(aad + 11, (uint16_t)len);
}

/* One AEAD pass; tag is written (enc) or checked (!enc).  0 or -1. */
static int
dtls_rec_crypt(const struct dtls_rec *r, bool enc, const uint8_t *key,
    const uint8_t *nonce, const uint8_t *aad, const uint8_t *in, size_t n,
    uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX	*x;
	int		 l, rc = -1;

	if ((x = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_CipherInit_ex2(x, r->cipher, NULL, NULL, enc ? 1 : 0,
	    NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex2(x, NULL, key, nonce, enc ? 1 : 0, NULL) != 1 ||
	    EVP_CipherUpdate(x, NULL, &l, aad, REC_HDR) != 1 ||
	    (n > 0 && EVP_CipherUpdate(x, out, &l, in, (int)n) != 1))
		goto done;
	if (!enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, REC_TAG,
	    tag) != 1)
		goto done;
	if (EVP_CipherFinal_ex(x, out + n, &l) != 1)
		goto done;
	if (enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, REC_TAG,
	    tag) != 1)
		goto done;
	rc = 0;
 done:
	EVP_CIPHER_CTX_free(x);
	return rc;
}

ssize_t
dtls_rec_seal(struct dtls_rec *r, uint8_t type, const uint8_t *in, size_t n,
    uint8_t *out, size_t size)
{
	uint8_t	 nonce[12], aad[REC_HDR], *body;
	size_t	 explicit = r->chacha ? 0 : REC_GCM_EXPLICIT;
	size_t	 len = explicit + n + REC_TAG;

	if (REC_HDR + len > size || len > UINT16_MAX) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG, "record of %zu "
		    "octets", n);
		return -1;
	}
	if (r->wseq > REC_MAX_SEQ) {
		/* RFC 6347 4.1: never wrap; the association must end. */
		snmpmgr_seterr(SNMPMGR_ERR_TLS_ENCRYPT, "sequence numbers "
		    "used up");
		return -1;
	}
	out[0] = type;
	wr16(out + 1, r->version);
	wr_seq(out + 3, r->epoch, r->wseq);
	wr16(out + 11, (uint16_t)len);
	body = out + REC_HDR;
	if (!r->chacha)
		wr_seq(body, r->epoch, r->wseq);
	dtls_rec_nonce(r, r->wiv, r->wseq, nonce);
	dtls_rec_aad(r, type, r->wseq, n, aad);
	if (dtls_rec_crypt(r, true, r->wkey, nonce, aad, in, n,
	    body + explicit, body + explicit + n) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_ENCRYPT, "record: encryption "
		    "failed");
		return -1;
	}
	r->wseq++;
	return (ssize_t)(REC_HDR + len);
}

/* RFC 6347 4.1.2.6: whether seq is new (not taken, not too old). */
static bool
dtls_rec_fresh(const struct dtls_rec *r, uint64_t seq)
{
	if (seq > r->rmax)
		return true;
	if (r->rmax - seq >= REC_WINDOW)
		return false;
	return (r->rwin & (UINT64_C(1) << (r->rmax - seq))) == 0;
}

static void
dtls_rec_took(struct dtls_rec *r, uint64_t seq)
{
	uint64_t	 shift;

	if (seq > r->rmax) {
		shift = seq - r->rmax;
		r->rwin = shift >= REC_WINDOW ? 0 : r->rwin << shift;
		r->rmax = seq;
	}
	r->rwin |= UINT64_C(1) << (r->rmax - seq);
}

ssize_t
dtls_rec_open(struct dtls_rec *r, const uint8_t **dgram, size_t *left,
    uint8_t *type, uint8_t *out, size_t size)
{
	const uint8_t	*d = *dgram, *body;
	uint8_t		 nonce[12], aad[REC_HDR], tag[REC_TAG];
	size_t		 explicit = r->chacha ? 0 : REC_GCM_EXPLICIT;
	size_t		 len, n;
	uint64_t	 seq;

	if (*left < REC_HDR) {
		*left = 0;
		return -1;
	}
	len = rd16(d + 11);
	if (len > *left - REC_HDR) {
		*left = 0;		/* a cut record: the rest goes */
		return -1;
	}
	*dgram = d + REC_HDR + len;
	*left -= REC_HDR + len;
	seq = rd48(d + 5);
	/* Another epoch (a late handshake record), a replay, too short. */
	if (rd16(d + 1) != r->version || rd16(d + 3) != r->epoch ||
	    !dtls_rec_fresh(r, seq) || len < explicit + REC_TAG)
		return -1;
	n = len - explicit - REC_TAG;
	if (n > size)
		return -1;
	body = d + REC_HDR;
	dtls_rec_nonce(r, r->riv, seq, nonce);
	if (!r->chacha)
		memcpy(nonce + 4, body, REC_GCM_EXPLICIT);
	dtls_rec_aad(r, d[0], seq, n, aad);
	memcpy(tag, body + explicit + n, REC_TAG);
	if (dtls_rec_crypt(r, false, r->rkey, nonce, aad, body + explicit, n,
	    out, tag) == -1)
		return -1;	/* RFC 6347 4.1.2.7: dropped silently */
	dtls_rec_took(r, seq);
	*type = d[0];
	return (ssize_t)n;
}
