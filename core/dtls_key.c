/*
 * dtls_key.c - our certificate, its chain and its private key in memory
 * (dtls.h, struct dtls_cred): read once from PEM files (the key possibly
 * encrypted) or a PKCS#12 file, with the pass phrase used then and kept
 * nowhere, checked to match, and handed to every context built from them.
 *
 * Credentials read from the same file contents with the same pass phrase
 * are shared while one of them lives: dtls_cred_get() compares an
 * HMAC-SHA-256, under a secret drawn once per process, of the files'
 * octets and the pass phrase.  The pass phrase itself is not kept, and a
 * file changed on disk (a renewed certificate) is a new credential.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dtls.h"
#include "dtls_int.h"
#include "errors.h"

/* A certificate or key file larger than this is not one. */
#define DTLS_MAX_CRED_FILE	(1024 * 1024)

struct dtls_cred {
	struct dtls_cred *next;		/* in dtls_creds */
	int		 refs;
	uint8_t		 fp[32];	/* dtls_cred_mac() of what it came from */
	X509		*leaf;
	EVP_PKEY	*pkey;
	STACK_OF(X509)	*chain;		/* the rest, to send; may be NULL */
};

static struct dtls_cred *dtls_creds;
static uint8_t	dtls_cred_secret[32];
static bool	dtls_cred_secret_set;

/*
 * The whole of file path (at most DTLS_MAX_CRED_FILE octets) in *buf,
 * *len octets of *cap allocated: the buffer grows with what is read, so
 * a 2 KiB certificate costs 4 KiB to read and to wipe, not 1 MiB.  0 or -1.
 */
static int
dtls_file_read(const char *what, const char *path, uint8_t **buf,
    size_t *len, size_t *cap)
{
	FILE	*f;
	uint8_t	*b = NULL, *nb;
	size_t	 n = 0, c = 0, nc;

	*buf = NULL;
	*len = *cap = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_NOT_FOUND, "%s %s: %s",
		    what, path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == c) {
			/* Up to one octet past the limit, to see it passed. */
			nc = c == 0 ? 4096 : c * 2;
			if (nc > DTLS_MAX_CRED_FILE + 1)
				nc = DTLS_MAX_CRED_FILE + 1;
			if (nc == c)
				break;
			/* Not realloc: the old copy is wiped, not left. */
			if ((nb = malloc(nc)) == NULL) {
				snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY,
				    "out of memory");
				goto fail;
			}
			if (b != NULL)
				memcpy(nb, b, n);
			OPENSSL_clear_free(b, c);
			b = nb;
			c = nc;
		}
		n += fread(b + n, 1, c - n, f);
		if (n < c)
			break;
	}
	if (ferror(f) || n > DTLS_MAX_CRED_FILE) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CREDENTIALS, "%s %s: %s", what,
		    path, ferror(f) ? strerror(errno) : "larger than 1 MiB");
		goto fail;
	}
	fclose(f);
	*buf = b;
	*len = n;
	*cap = c;
	return 0;
 fail:
	fclose(f);
	OPENSSL_clear_free(b, c);
	return -1;
}

static void
dtls_file_free(uint8_t *buf, size_t cap)
{
	if (buf != NULL)
		OPENSSL_clear_free(buf, cap);
}

/* What identifies a credential: its files' octets and the pass phrase. */
static int
dtls_cred_mac(const uint8_t *cert, size_t certlen, const uint8_t *key,
    size_t keylen, const char *pw, uint8_t fp[32])
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*mc = NULL;
	OSSL_PARAM	 p[2];
	uint8_t		 lens[24];
	size_t		 pwlen = pw != NULL ? strlen(pw) : 0, n, i;
	int		 rc = -1;

	if (!dtls_cred_secret_set) {
		if (RAND_bytes(dtls_cred_secret, sizeof(dtls_cred_secret)) !=
		    1)
			return -1;
		dtls_cred_secret_set = true;
	}
	/* Lengths first, so no two inputs run together the same way. */
	for (i = 0; i < 8; i++) {
		lens[i] = (uint8_t)((uint64_t)certlen >> (56 - 8 * i));
		lens[8 + i] = (uint8_t)((uint64_t)keylen >> (56 - 8 * i));
		lens[16 + i] = (uint8_t)((uint64_t)pwlen >> (56 - 8 * i));
	}
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	p[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256",
	    0);
	p[1] = OSSL_PARAM_construct_end();
	if ((mc = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(mc, dtls_cred_secret, sizeof(dtls_cred_secret),
	    p) == 1 &&
	    EVP_MAC_update(mc, lens, sizeof(lens)) == 1 &&
	    EVP_MAC_update(mc, cert, certlen) == 1 &&
	    (key == NULL || EVP_MAC_update(mc, key, keylen) == 1) &&
	    (pw == NULL || EVP_MAC_update(mc, (const uint8_t *)pw, pwlen) ==
	    1) &&
	    EVP_MAC_final(mc, fp, &n, 32) == 1 && n == 32)
		rc = 0;
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
	ERR_clear_error();
	return rc;
}

/* The pass phrase for PEM: never a prompt. */
static int
dtls_pw_cb(char *buf, int size, int rwflag, void *u)
{
	size_t	 n;

	(void)rwflag;
	if (u == NULL || size <= 0)
		return 0;
	n = strlen(u);
	if (n > (size_t)size)
		return 0;
	memcpy(buf, u, n);
	return (int)n;
}

static int
dtls_cred_p12(struct dtls_cred *c, const struct dtls_opts *o,
    const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	PKCS12		*p12;
	int		 rc = -1;

	if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "cert: neither PEM nor PKCS#12");
	if (PKCS12_parse(p12, o->key_password != NULL ? o->key_password :
	    "", &c->pkey, &c->leaf, &c->chain) != 1)
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "PKCS#12 (wrong key_password?)");
	else if (c->leaf == NULL || c->pkey == NULL)
		snmpmgr_seterr(SNMPMGR_ERR_TLS_NO_CHAIN,
		    "PKCS#12 %s holds no certificate and key", o->cert);
	else
		rc = 0;
	PKCS12_free(p12);
	return rc;
}

/* PEM: the certificate and the chain after it, the key (maybe encrypted). */
static int
dtls_cred_pem(struct dtls_cred *c, const struct dtls_opts *o,
    const uint8_t *cert, size_t certlen, const uint8_t *key, size_t keylen)
{
	BIO		*b;
	X509		*x;
	unsigned long	 e;

	if ((b = BIO_new_mem_buf(cert, (int)certlen)) == NULL)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "BIO_new");
	if ((c->leaf = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) == NULL) {
		BIO_free(b);
		e = ERR_peek_error();
		return dtls_ssl_err(ERR_GET_LIB(e) == ERR_LIB_PEM &&
		    ERR_GET_REASON(e) == PEM_R_NO_START_LINE ?
		    SNMPMGR_ERR_TLS_NO_CHAIN : SNMPMGR_ERR_TLS_CREDENTIALS,
		    "cert");
	}
	if ((c->chain = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		return dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(c->chain, x) <= 0) {
			X509_free(x);
			BIO_free(b);
			return dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY,
			    "out of memory");
		}
	BIO_free(b);
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
		return dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS, "cert chain");
	ERR_clear_error();
	if ((b = BIO_new_mem_buf(key, (int)keylen)) == NULL)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "BIO_new");
	c->pkey = PEM_read_bio_PrivateKey(b, NULL, dtls_pw_cb,
	    (void *)(uintptr_t)o->key_password);
	BIO_free(b);
	if (c->pkey == NULL)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    o->key_password != NULL ? "key (wrong key_password?)" :
		    "key (encrypted? then key_password is needed)");
	return 0;
}

static void
dtls_cred_destroy(struct dtls_cred *c)
{
	X509_free(c->leaf);
	EVP_PKEY_free(c->pkey);
	sk_X509_pop_free(c->chain, X509_free);
	OPENSSL_cleanse(c->fp, sizeof(c->fp));
	free(c);
}

struct dtls_cred *
dtls_cred_get(const struct dtls_opts *o)
{
	struct dtls_cred *c;
	uint8_t		*cert = NULL, *key = NULL, fp[32];
	size_t		 certlen, certcap, keylen = 0, keycap = 0;
	bool		 pem, have_fp;

	ERR_clear_error();
	if (o->cert == NULL || *o->cert == '\0') {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_NO_CHAIN, "no certificate "
		    "given");
		return NULL;
	}
	if (dtls_file_read("cert", o->cert, &cert, &certlen, &certcap) == -1)
		return NULL;
	pem = memmem(cert, certlen, "-----BEGIN", 10) != NULL;
	if (pem && o->key != NULL &&
	    dtls_file_read("key", o->key, &key, &keylen, &keycap) == -1) {
		dtls_file_free(cert, certcap);
		return NULL;
	}
	have_fp = dtls_cred_mac(cert, certlen, pem ? key : NULL, keylen,
	    o->key_password, fp) == 0;
	if (have_fp)
		for (c = dtls_creds; c != NULL; c = c->next)
			if (CRYPTO_memcmp(c->fp, fp, sizeof(fp)) == 0) {
				c->refs++;
				goto out;
			}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		goto out;
	}
	c->refs = 1;
	if ((pem ? dtls_cred_pem(c, o, cert, certlen, key != NULL ? key :
	    cert, key != NULL ? keylen : certlen) :
	    dtls_cred_p12(c, o, cert, certlen)) == -1)
		goto fail;
	if (X509_check_private_key(c->leaf, c->pkey) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "key does not match the certificate");
		goto fail;
	}
	if (have_fp) {
		memcpy(c->fp, fp, sizeof(fp));
		c->next = dtls_creds;
		dtls_creds = c;
	}
	goto out;
 fail:
	dtls_cred_destroy(c);
	c = NULL;
 out:
	OPENSSL_cleanse(fp, sizeof(fp));
	dtls_file_free(cert, certcap);
	dtls_file_free(key, keycap);
	ERR_clear_error();
	return c;
}

struct dtls_cred *
dtls_cred_ref(struct dtls_cred *c)
{
	if (c != NULL)
		c->refs++;
	return c;
}

void
dtls_cred_free(struct dtls_cred *c)
{
	struct dtls_cred **pp;

	if (c == NULL || --c->refs > 0)
		return;
	for (pp = &dtls_creds; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	dtls_cred_destroy(c);
}

/* t in seconds since 1970.  0 or -1. */
static int
dtls_asn1_secs(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME	*epoch;
	int		 days, secs, ok;

	if (t == NULL || (epoch = ASN1_TIME_set(NULL, 0)) == NULL)
		return -1;
	ok = ASN1_TIME_diff(&days, &secs, epoch, t);
	ASN1_TIME_free(epoch);
	if (ok != 1)
		return -1;
	*out = (int64_t)days * 86400 + secs;
	return 0;
}

int
dtls_x509_dates(const X509 *x, int64_t *not_before, int64_t *not_after)
{
	if (dtls_asn1_secs(X509_get0_notBefore(x), not_before) == -1 ||
	    dtls_asn1_secs(X509_get0_notAfter(x), not_after) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CREDENTIALS, "certificate "
		    "dates unreadable");
		return -1;
	}
	return 0;
}

int
dtls_cred_dates(const struct dtls_cred *c, int64_t *not_before,
    int64_t *not_after)
{
	return dtls_x509_dates(c->leaf, not_before, not_after);
}

int
dtls_cred_use(SSL_CTX *ssl, const struct dtls_cred *c)
{
	int	 i;

	if (SSL_CTX_use_certificate(ssl, c->leaf) != 1 ||
	    SSL_CTX_use_PrivateKey(ssl, c->pkey) != 1)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS, "cert");
	for (i = 0; c->chain != NULL && i < sk_X509_num(c->chain); i++)
		if (SSL_CTX_add1_chain_cert(ssl, sk_X509_value(c->chain, i)) !=
		    1)
			return dtls_ssl_err(SNMPMGR_ERR_TLS_NO_CHAIN, "chain");
	if (SSL_CTX_check_private_key(ssl) != 1)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "key does not match the certificate");
	return 0;
}
