/*
 * dtls.c - DTLS 1.2 associations for SNMP over DTLS (RFC 6353) on
 * OpenSSL 3, driven by datagrams in, timers and sends, with no sockets.
 *
 * Each SSL object reads and writes through a small BIO of our own that
 * keeps datagram boundaries: a read returns the one datagram the caller
 * handed in (or "retry"), and each write OpenSSL makes is one datagram
 * queued for the caller to send.  (A plain memory BIO would run the
 * records of a flight together and lose them.)
 *
 * The peer's certificate is judged in one place, dtls_verify_cb(), which
 * replaces OpenSSL's chain verification for our contexts: it runs the
 * chain check itself when the rules need it, the fingerprint pin, the
 * dates, the name check (client) or the cert-to-name mapping (server),
 * and records the numbered error, so a refused peer fails the handshake
 * with an alert and the caller learns exactly why.
 *
 * The server's cookie (RFC 6347 4.2.1) is an HMAC-SHA-256 of the peer's
 * address key under a secret drawn when the context is made (and redrawn
 * by dtls_ctx_new_cookie_secret(), the previous one still accepted so a
 * handshake under way survives it): a listener
 * answers a ClientHello without the right cookie from one reused SSL
 * object, so a flood of spoofed ClientHellos costs no per-peer memory.
 */
#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dtls.h"
#include "errors.h"
#include "hex.h"
#include "limits.h"

/* ECDHE key exchange and AEAD ciphers only (DTLS 1.2). */
#define DTLS_DEFAULT_CIPHERS \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define DTLS_DEFAULT_MTU	1400
#define DTLS_DEFAULT_RTO_MS	1000
/* RFC 6347 4.2.4.1: back off to at most 60 s. */
#define DTLS_MAX_RTO_US		60000000u
#define DTLS_SECRET_LEN		32
/* IPv4 + UDP headers, for OpenSSL's MTU arithmetic. */
#define DTLS_DGRAM_OVERHEAD	28

/* One queued datagram or received message. */
struct dtls_buf {
	struct dtls_buf	*next;
	size_t		 len;
	uint8_t		 data[];
};

struct dtls_queue {
	struct dtls_buf	*head;
	struct dtls_buf	**tail;
	size_t		 n;
};

/* What one SSL object's BIO reads from and writes to. */
struct dtls_io {
	struct dtls_ctx		*ctx;
	struct dtls_assoc	*assoc;		/* NULL for a listener */
	const uint8_t		*in;		/* the datagram handed in */
	size_t			 in_len;
	struct dtls_queue	 out;		/* datagrams to send */
	uint8_t			 peer[SNMPMGR_MAX_DTLS_PEER];
	size_t			 peer_len;
};

struct dtls_ctx {
	SSL_CTX			*ssl;
	BIO_METHOD		*bio;
	enum dtls_role		 role;
	int			 refs;
	bool			 has_ca;
	bool			 has_fp;
	bool			 name_off;	/* server_name "" */
	struct dtls_fingerprint	 fp;
	char			*server_name;
	struct dtls_map_rule	*map;
	size_t			 nmap;
	unsigned		 mtu;
	unsigned		 rto_ms;
	/* Cookie secrets: the current one, the one before. */
	uint8_t			 secret[2][DTLS_SECRET_LEN];
};

struct dtls_assoc {
	struct dtls_ctx		*ctx;
	SSL			*ssl;
	struct dtls_io		 io;
	enum dtls_state		 state;
	char			*addr;		/* client: the default name */
	struct dtls_queue	 inbox;		/* messages received */
	int			 err;
	char			 detail[256];
	/* Filled by dtls_verify_cb(). */
	int			 verify_err;
	char			 verify_detail[256];
	enum dtls_accept	 accepted;
	char			 secname[SNMPMGR_MAX_SECNAME_LEN + 1];
	int			 map_rule;
	struct dtls_peer_info	*peer;
};

struct dtls_listener {
	struct dtls_ctx		*ctx;
	SSL			*ssl;
	struct dtls_io		 io;
};

/* ------------------------------------------------------------ queues */

static void
dtls_queue_init(struct dtls_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->n = 0;
}

static int
dtls_queue_push(struct dtls_queue *q, const void *p, size_t len)
{
	struct dtls_buf	*b;

	if (q->n >= SNMPMGR_MAX_DTLS_QUEUE ||
	    (b = malloc(sizeof(*b) + len)) == NULL)
		return -1;
	b->next = NULL;
	b->len = len;
	memcpy(b->data, p, len);
	*q->tail = b;
	q->tail = &b->next;
	q->n++;
	return 0;
}

/* Copy the first entry into buf: its length, 0 if none, -1 too small. */
static ssize_t
dtls_queue_pop(struct dtls_queue *q, uint8_t *buf, size_t size)
{
	struct dtls_buf	*b = q->head;
	size_t		 len;

	if (b == NULL)
		return 0;
	if (b->len > size) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "%zu octets waiting, room for %zu", b->len, size);
		return -1;
	}
	len = b->len;
	memcpy(buf, b->data, len);
	if ((q->head = b->next) == NULL)
		q->tail = &q->head;
	q->n--;
	free(b);
	return (ssize_t)len;
}

static void
dtls_queue_clear(struct dtls_queue *q)
{
	struct dtls_buf	*b;

	while ((b = q->head) != NULL) {
		q->head = b->next;
		free(b);
	}
	dtls_queue_init(q);
}

/* -------------------------------------------------- the datagram BIO */

static int
dtls_bio_write(BIO *b, const char *data, int len)
{
	struct dtls_io	*io = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (dtls_queue_push(&io->out, data, (size_t)len) == -1)
		return -1;
	return len;
}

static int
dtls_bio_read(BIO *b, char *buf, int size)
{
	struct dtls_io	*io = BIO_get_data(b);
	size_t		 n;

	BIO_clear_retry_flags(b);
	if (io->in == NULL || size <= 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	/* A datagram longer than the record buffer is cut; DTLS drops it. */
	n = io->in_len < (size_t)size ? io->in_len : (size_t)size;
	memcpy(buf, io->in, n);
	io->in = NULL;
	io->in_len = 0;
	return (int)n;
}

static long
dtls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_io	*io = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return io != NULL && io->in != NULL ? (long)io->in_len : 0;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return DTLS_DGRAM_OVERHEAD;
	default:
		return 0;
	}
}

static int
dtls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* ------------------------------------------------------------ errors */

/* Record code with what and OpenSSL's latest reason; -1. */
static int
dtls_ssl_err(int code, const char *what)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snmpmgr_seterr(code, "%s: %s", what, r);
	else
		snmpmgr_seterr(code, "%s", what);
	ERR_clear_error();
	return -1;
}

/* The association failed: record it, keep it, and report it. */
static int
dtls_assoc_fail(struct dtls_assoc *a, int code, const char *detail)
{
	a->state = DTLS_FAILED;
	a->err = code;
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
	snmpmgr_seterr(code, "%s", a->detail);
	ERR_clear_error();
	return -1;
}

/* ------------------------------------------------------ fingerprints */

static const struct {
	const char		*name;
	enum dtls_fp_alg	 alg;
	size_t			 len;
} dtls_fp_algs[] = {
	{ "sha1",	DTLS_FP_SHA1,	20 },
	{ "sha256",	DTLS_FP_SHA256,	32 },
	{ "sha384",	DTLS_FP_SHA384,	48 },
	{ "sha512",	DTLS_FP_SHA512,	64 },
};

static const EVP_MD *
dtls_md(enum dtls_fp_alg alg)
{
	switch (alg) {
	case DTLS_FP_SHA1:
		return EVP_sha1();
	case DTLS_FP_SHA256:
		return EVP_sha256();
	case DTLS_FP_SHA384:
		return EVP_sha384();
	case DTLS_FP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static const char *
dtls_fp_alg_name(enum dtls_fp_alg alg)
{
	size_t	 i;

	for (i = 0; i < sizeof(dtls_fp_algs) / sizeof(dtls_fp_algs[0]); i++)
		if (dtls_fp_algs[i].alg == alg)
			return dtls_fp_algs[i].name;
	return "?";
}

int
dtls_fingerprint_parse(const char *s, struct dtls_fingerprint *fp)
{
	const char	*colon;
	size_t		 i, nl, len;

	if (s == NULL || (colon = strchr(s, ':')) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "fingerprint must be ALG:HEX (sha256:...)");
		return -1;
	}
	nl = (size_t)(colon - s);
	for (i = 0; i < sizeof(dtls_fp_algs) / sizeof(dtls_fp_algs[0]); i++)
		if (strlen(dtls_fp_algs[i].name) == nl &&
		    strncasecmp(s, dtls_fp_algs[i].name, nl) == 0)
			break;
	if (i == sizeof(dtls_fp_algs) / sizeof(dtls_fp_algs[0])) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "fingerprint hash \"%.*s\": sha1, sha256, sha384 or "
		    "sha512", (int)(nl > 16 ? 16 : nl), s);
		return -1;
	}
	if (hex_decode_str(colon + 1, HEX_COLONS, fp->md, sizeof(fp->md),
	    &len) == -1 || len != dtls_fp_algs[i].len) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "fingerprint: %zu hex octets expected for %s",
		    dtls_fp_algs[i].len, dtls_fp_algs[i].name);
		return -1;
	}
	fp->alg = dtls_fp_algs[i].alg;
	fp->len = len;
	return 0;
}

size_t
dtls_fingerprint_format(const struct dtls_fingerprint *fp, char *out,
    size_t size)
{
	size_t	 i, n;

	if (size == 0)
		return 0;
	n = (size_t)snprintf(out, size, "%s:", dtls_fp_alg_name(fp->alg));
	for (i = 0; i < fp->len && n + 3 < size; i++) {
		if (i > 0)
			out[n++] = ':';
		n += hex_encode(fp->md + i, 1, out + n, size - n);
	}
	if (n >= size)
		n = size - 1;
	out[n] = '\0';
	return n;
}

/* The certificate's digest under alg. */
static int
dtls_cert_fp(X509 *x, enum dtls_fp_alg alg, struct dtls_fingerprint *fp)
{
	unsigned int	 n = 0;

	if (X509_digest(x, dtls_md(alg), fp->md, &n) != 1)
		return -1;
	fp->alg = alg;
	fp->len = n;
	return 0;
}

static bool
dtls_fp_match(X509 *x, const struct dtls_fingerprint *want)
{
	struct dtls_fingerprint	 got;

	if (dtls_cert_fp(x, want->alg, &got) == -1 || got.len != want->len)
		return false;
	return CRYPTO_memcmp(got.md, want->md, got.len) == 0;
}

/* ------------------------------------------------- certificate text */

static void
dtls_name_text(const X509_NAME *nm, char *out, size_t size)
{
	BIO	*m = BIO_new(BIO_s_mem());
	int	 n = 0;

	out[0] = '\0';
	if (m == NULL)
		return;
	if (X509_NAME_print_ex(m, nm, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(m, out, (int)size - 1)) < 0)
		n = 0;
	out[n] = '\0';
	BIO_free(m);
}

static void
dtls_time_text(const ASN1_TIME *t, char *out, size_t size)
{
	struct tm	 tm;

	out[0] = '\0';
	if (t != NULL && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An iPAddress SAN as text: dotted IPv4, or IPv6 as inet_ntop writes. */
static bool
dtls_ip_text(const ASN1_OCTET_STRING *ip, char *out, size_t size)
{
	const unsigned char	*p = ASN1_STRING_get0_data(ip);
	int			 n = ASN1_STRING_length(ip);

	if (n == 4)
		return inet_ntop(AF_INET, p, out, (socklen_t)size) != NULL;
	if (n == 16)
		return inet_ntop(AF_INET6, p, out, (socklen_t)size) != NULL;
	return false;
}

/* An IA5String SAN (no NULs) copied, or false. */
static bool
dtls_ia5_text(const ASN1_IA5STRING *s, char *out, size_t size)
{
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	int			 n = ASN1_STRING_length(s);

	if (n <= 0 || (size_t)n >= size || memchr(p, '\0', (size_t)n))
		return false;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return true;
}

static void
dtls_fill_sans(struct dtls_peer_info *pi, X509 *x)
{
	GENERAL_NAMES	*g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	GENERAL_NAME	*gn;
	struct dtls_san	*s;
	int		 i;

	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g) &&
	    pi->nsan < DTLS_MAX_SAN; i++) {
		gn = sk_GENERAL_NAME_value(g, i);
		s = &pi->san[pi->nsan];
		switch (gn->type) {
		case GEN_DNS:
			s->type = DTLS_SAN_DNS;
			if (!dtls_ia5_text(gn->d.dNSName, s->value,
			    sizeof(s->value)))
				continue;
			break;
		case GEN_EMAIL:
			s->type = DTLS_SAN_EMAIL;
			if (!dtls_ia5_text(gn->d.rfc822Name, s->value,
			    sizeof(s->value)))
				continue;
			break;
		case GEN_URI:
			s->type = DTLS_SAN_URI;
			if (!dtls_ia5_text(gn->d.uniformResourceIdentifier,
			    s->value, sizeof(s->value)))
				continue;
			break;
		case GEN_IPADD:
			s->type = DTLS_SAN_IP;
			if (!dtls_ip_text(gn->d.iPAddress, s->value,
			    sizeof(s->value)))
				continue;
			break;
		default:
			continue;
		}
		pi->nsan++;
	}
	GENERAL_NAMES_free(g);
}

static void
dtls_fill_chain_cert(struct dtls_chain_cert *cc, X509 *x)
{
	struct dtls_fingerprint	 fp;

	dtls_name_text(X509_get_subject_name(x), cc->subject,
	    sizeof(cc->subject));
	dtls_name_text(X509_get_issuer_name(x), cc->issuer,
	    sizeof(cc->issuer));
	cc->sha256[0] = '\0';
	if (dtls_cert_fp(x, DTLS_FP_SHA256, &fp) == 0)
		dtls_fingerprint_format(&fp, cc->sha256, sizeof(cc->sha256));
}

/* The handshake's and the peer certificate's details. */
static struct dtls_peer_info *
dtls_peer_info(struct dtls_assoc *a, X509 *leaf)
{
	struct dtls_peer_info	*pi;
	struct dtls_fingerprint	 fp;
	STACK_OF(X509)		*chain;
	BIGNUM			*bn;
	char			*hex;
	X509			*x;
	size_t			 i;
	int			 k;

	if ((pi = calloc(1, sizeof(*pi))) == NULL)
		return NULL;
	snprintf(pi->version, sizeof(pi->version), "%s",
	    SSL_get_version(a->ssl));
	snprintf(pi->cipher, sizeof(pi->cipher), "%s",
	    SSL_get_cipher_name(a->ssl));
	dtls_name_text(X509_get_subject_name(leaf), pi->subject,
	    sizeof(pi->subject));
	dtls_name_text(X509_get_issuer_name(leaf), pi->issuer,
	    sizeof(pi->issuer));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL)) !=
	    NULL && (hex = BN_bn2hex(bn)) != NULL) {
		for (i = 0; hex[i] != '\0' && i + 1 < sizeof(pi->serial); i++)
			pi->serial[i] = (char)tolower((unsigned char)hex[i]);
		pi->serial[i] = '\0';
		OPENSSL_free(hex);
	}
	BN_free(bn);
	dtls_time_text(X509_get0_notBefore(leaf), pi->not_before,
	    sizeof(pi->not_before));
	dtls_time_text(X509_get0_notAfter(leaf), pi->not_after,
	    sizeof(pi->not_after));
	dtls_fill_sans(pi, leaf);
	if (dtls_cert_fp(leaf, DTLS_FP_SHA1, &fp) == 0)
		dtls_fingerprint_format(&fp, pi->sha1, sizeof(pi->sha1));
	if (dtls_cert_fp(leaf, DTLS_FP_SHA256, &fp) == 0)
		dtls_fingerprint_format(&fp, pi->sha256, sizeof(pi->sha256));

	/* The verified chain when there is one, else what the peer sent. */
	dtls_fill_chain_cert(&pi->chain[pi->nchain++], leaf);
	chain = SSL_get0_verified_chain(a->ssl);
	if (chain == NULL || sk_X509_num(chain) == 0)
		chain = SSL_get_peer_cert_chain(a->ssl);
	for (k = 0; chain != NULL && k < sk_X509_num(chain) &&
	    pi->nchain < DTLS_MAX_CHAIN; k++) {
		x = sk_X509_value(chain, k);
		if (X509_cmp(x, leaf) != 0)
			dtls_fill_chain_cert(&pi->chain[pi->nchain++], x);
	}
	pi->accepted = a->accepted;
	memcpy(pi->security_name, a->secname, sizeof(pi->security_name));
	pi->map_rule = a->map_rule;
	return pi;
}

/* ---------------------------------------------------- cert-to-name */

/* Copy n octets as a security name (1..32, no NUL), lowercased from lc. */
static bool
dtls_secname(const char *p, size_t n, size_t lc, char *out)
{
	size_t	 i;

	if (n == 0 || n > SNMPMGR_MAX_SECNAME_LEN || memchr(p, '\0', n))
		return false;
	for (i = 0; i < n; i++)
		out[i] = i >= lc ? (char)tolower((unsigned char)p[i]) : p[i];
	out[n] = '\0';
	return true;
}

/* RFC 6353 7.3 (snmpTlstmCertToTSNMapType): one SAN converted. */
static bool
dtls_map_san(const GENERAL_NAME *gn, enum dtls_map_kind kind, char *out)
{
	const char		*p;
	const unsigned char	*ip;
	char			 t[40];
	size_t			 n, at;
	int			 len;

	switch (gn->type) {
	case GEN_EMAIL:
		if (kind != DTLS_MAP_SAN_RFC822 && kind != DTLS_MAP_SAN_ANY)
			return false;
		p = (const char *)ASN1_STRING_get0_data(gn->d.rfc822Name);
		n = (size_t)ASN1_STRING_length(gn->d.rfc822Name);
		/* The host part lowercase, the local part as it is. */
		for (at = n; at > 0 && p[at - 1] != '@'; at--)
			;
		return dtls_secname(p, n, at, out);
	case GEN_DNS:
		if (kind != DTLS_MAP_SAN_DNS && kind != DTLS_MAP_SAN_ANY)
			return false;
		p = (const char *)ASN1_STRING_get0_data(gn->d.dNSName);
		n = (size_t)ASN1_STRING_length(gn->d.dNSName);
		return dtls_secname(p, n, 0, out);
	case GEN_IPADD:
		if (kind != DTLS_MAP_SAN_IP && kind != DTLS_MAP_SAN_ANY)
			return false;
		ip = ASN1_STRING_get0_data(gn->d.iPAddress);
		len = ASN1_STRING_length(gn->d.iPAddress);
		/* IPv4 dotted; IPv6 as 32 hex digits, no colons. */
		if (len == 4)
			snprintf(t, sizeof(t), "%u.%u.%u.%u", ip[0], ip[1],
			    ip[2], ip[3]);
		else if (len == 16)
			hex_encode(ip, 16, t, sizeof(t));
		else
			return false;
		return dtls_secname(t, strlen(t), 0, out);
	default:
		return false;
	}
}

/* The name rule r gives leaf, into out; false when it gives none. */
static bool
dtls_map_name(const struct dtls_map_rule *r, X509 *leaf, char *out)
{
	GENERAL_NAMES	*g;
	X509_NAME	*sub;
	X509_NAME_ENTRY	*e;
	unsigned char	*u = NULL;
	bool		 ok = false;
	int		 i, n;

	switch (r->kind) {
	case DTLS_MAP_SPECIFIED:
		return dtls_secname(r->name, strlen(r->name), SIZE_MAX, out);
	case DTLS_MAP_SAN_RFC822:
	case DTLS_MAP_SAN_DNS:
	case DTLS_MAP_SAN_IP:
	case DTLS_MAP_SAN_ANY:
		g = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
		/* The first SAN of the kind decides. */
		for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);

			if ((gn->type == GEN_EMAIL &&
			    (r->kind == DTLS_MAP_SAN_RFC822 ||
			    r->kind == DTLS_MAP_SAN_ANY)) ||
			    (gn->type == GEN_DNS &&
			    (r->kind == DTLS_MAP_SAN_DNS ||
			    r->kind == DTLS_MAP_SAN_ANY)) ||
			    (gn->type == GEN_IPADD &&
			    (r->kind == DTLS_MAP_SAN_IP ||
			    r->kind == DTLS_MAP_SAN_ANY))) {
				ok = dtls_map_san(gn, r->kind, out);
				break;
			}
		}
		GENERAL_NAMES_free(g);
		return ok;
	case DTLS_MAP_CN:
		sub = X509_get_subject_name(leaf);
		if ((i = X509_NAME_get_index_by_NID(sub, NID_commonName,
		    -1)) < 0 || X509_NAME_get_index_by_NID(sub,
		    NID_commonName, i) >= 0)
			return false;	/* none, or more than one */
		e = X509_NAME_get_entry(sub, i);
		if ((n = ASN1_STRING_to_UTF8(&u,
		    X509_NAME_ENTRY_get_data(e))) < 0)
			return false;
		ok = dtls_secname((const char *)u, (size_t)n, SIZE_MAX, out);
		OPENSSL_free(u);
		return ok;
	}
	return false;
}

/* ------------------------------------------------- peer acceptance */

/* Verify leaf up to anchor alone (a pinned CA, no ca configured). */
static bool
dtls_verify_to(X509 *leaf, STACK_OF(X509) *untrusted, X509 *anchor)
{
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*xs = X509_STORE_CTX_new();
	bool		 ok = false;

	if (st != NULL && xs != NULL && X509_STORE_add_cert(st, anchor) == 1 &&
	    X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN) == 1 &&
	    X509_STORE_CTX_init(xs, st, leaf, untrusted) == 1)
		ok = X509_verify_cert(xs) == 1;
	X509_STORE_CTX_free(xs);
	X509_STORE_free(st);
	return ok;
}

/* Does fp pin leaf, or a CA certificate whose chain down to leaf holds? */
static bool
dtls_pin_holds(const struct dtls_fingerprint *fp, X509 *leaf,
    STACK_OF(X509) *verified, STACK_OF(X509) *untrusted)
{
	X509	*x;
	int	 i;

	if (dtls_fp_match(leaf, fp))
		return true;
	/* A CA of the verified chain. */
	for (i = 1; verified != NULL && i < sk_X509_num(verified); i++)
		if (dtls_fp_match(sk_X509_value(verified, i), fp))
			return true;
	/* A CA the peer sent, when its chain down to leaf verifies. */
	for (i = 0; untrusted != NULL && i < sk_X509_num(untrusted); i++) {
		x = sk_X509_value(untrusted, i);
		if (X509_check_ca(x) > 0 && dtls_fp_match(x, fp) &&
		    dtls_verify_to(leaf, untrusted, x))
			return true;
	}
	return false;
}

static bool
dtls_is_ip(const char *s)
{
	unsigned char	 b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* Refuse the peer: remembered for dtls_assoc_error(), alert sent. */
static int
dtls_refuse(struct dtls_assoc *a, X509_STORE_CTX *xs, int code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
dtls_refuse(struct dtls_assoc *a, X509_STORE_CTX *xs, int code,
    const char *fmt, ...)
{
	va_list	 ap;

	a->verify_err = code;
	va_start(ap, fmt);
	vsnprintf(a->verify_detail, sizeof(a->verify_detail), fmt, ap);
	va_end(ap);
	X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* The server's rules: chain to ca or pinned by a rule, then mapped. */
static int
dtls_verify_client(struct dtls_ctx *c, struct dtls_assoc *a,
    X509_STORE_CTX *xs, X509 *leaf, bool ca_ok, const char *why)
{
	STACK_OF(X509)	*chain = ca_ok ? X509_STORE_CTX_get0_chain(xs) : NULL;
	bool		 pinned = false, hit;
	size_t		 r;
	int		 i;

	for (r = 0; r < c->nmap && !pinned; r++)
		pinned = dtls_fp_match(leaf, &c->map[r].fp);
	if (!ca_ok && !pinned)
		return c->has_ca ? dtls_refuse(a, xs,
		    SNMPMGR_ERR_TLS_VERIFY_CHAIN,
		    "client chain does not verify to ca: %s", why) :
		    dtls_refuse(a, xs, SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "%s", "client certificate neither verifies to a ca nor "
		    "is named by a cert_to_name fingerprint");
	/* RFC 6353 7.3: the first rule that matches and maps wins. */
	for (r = 0; r < c->nmap; r++) {
		hit = dtls_fp_match(leaf, &c->map[r].fp);
		for (i = 1; !hit && chain != NULL && i < sk_X509_num(chain);
		    i++)
			hit = dtls_fp_match(sk_X509_value(chain, i),
			    &c->map[r].fp);
		if (hit && dtls_map_name(&c->map[r], leaf, a->secname)) {
			a->map_rule = (int)r;
			a->accepted = ca_ok ? (pinned ? DTLS_ACCEPT_BOTH :
			    DTLS_ACCEPT_CA) : DTLS_ACCEPT_FINGERPRINT;
			return 1;
		}
	}
	return dtls_refuse(a, xs, SNMPMGR_ERR_TLS_CERT_VERIFY, "%s",
	    "no cert_to_name rule maps the client certificate");
}

/* The client's rules (see dtls.h). */
static int
dtls_verify_server(struct dtls_ctx *c, struct dtls_assoc *a,
    X509_STORE_CTX *xs, X509 *leaf, bool ca_ok, const char *why)
{
	struct dtls_fingerprint	 got;
	const char		*name;
	char			 fps[200];
	bool			 name_ok;

	if (c->has_fp && !dtls_pin_holds(&c->fp, leaf, ca_ok ?
	    X509_STORE_CTX_get0_chain(xs) : NULL,
	    X509_STORE_CTX_get0_untrusted(xs))) {
		fps[0] = '\0';
		if (dtls_cert_fp(leaf, c->fp.alg, &got) == 0)
			dtls_fingerprint_format(&got, fps, sizeof(fps));
		return dtls_refuse(a, xs, SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "fingerprint mismatch: the agent's certificate is %s",
		    fps);
	}
	if (!ca_ok && (c->has_ca || !c->has_fp))
		return dtls_refuse(a, xs, SNMPMGR_ERR_TLS_VERIFY_CHAIN,
		    "agent chain does not verify to %s: %s", c->has_ca ?
		    "ca" : "the system trust store", why);
	/* The name check: server_name, else the address unless pinned. */
	name = c->server_name;
	if (name == NULL && !c->name_off && !(c->has_fp && !c->has_ca))
		name = a->addr;
	if (name != NULL) {
		if (dtls_is_ip(name))
			name_ok = X509_check_ip_asc(leaf, name, 0) == 1;
		else
			name_ok = X509_check_host(leaf, name, strlen(name), 0,
			    NULL) == 1;
		if (!name_ok)
			return dtls_refuse(a, xs, SNMPMGR_ERR_TLS_CERT_VERIFY,
			    "name mismatch: %s is not in the agent's "
			    "certificate", name);
	}
	a->accepted = c->has_fp ? (c->has_ca ? DTLS_ACCEPT_BOTH :
	    DTLS_ACCEPT_FINGERPRINT) : DTLS_ACCEPT_CA;
	return 1;
}

/*
 * Replaces X509_verify_cert() for our SSL objects
 * (SSL_CTX_set_cert_verify_callback): 1 accepts the peer, 0 refuses it.
 */
static int
dtls_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct dtls_ctx		*c = arg;
	SSL			*ssl;
	struct dtls_io		*io;
	struct dtls_assoc	*a;
	X509			*leaf = X509_STORE_CTX_get0_cert(xs);
	const char		*why = "not checked";
	bool			 ca_ok = false;
	int			 ok;

	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (io = SSL_get_app_data(ssl)) == NULL ||
	    (a = io->assoc) == NULL || leaf == NULL)
		return 0;
	/* Dates first: an expired pinned certificate is refused too. */
	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0)
		return dtls_refuse(a, xs, SNMPMGR_ERR_TLS_CERT_VERIFY, "%s",
		    "certificate not yet valid");
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0)
		return dtls_refuse(a, xs, SNMPMGR_ERR_TLS_CERT_VERIFY, "%s",
		    "certificate expired");
	/* The chain, when a ca is set (or the system store applies). */
	if (c->has_ca || (c->role == DTLS_CLIENT && !c->has_fp)) {
		ok = X509_verify_cert(xs);
		if (ok == 1)
			ca_ok = true;
		else {
			why = X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(xs));
			switch (X509_STORE_CTX_get_error(xs)) {
			case X509_V_ERR_CERT_HAS_EXPIRED:
			case X509_V_ERR_CERT_NOT_YET_VALID:
				return dtls_refuse(a, xs,
				    SNMPMGR_ERR_TLS_CERT_VERIFY,
				    "certificate in the chain: %s", why);
			}
		}
	}
	ok = c->role == DTLS_SERVER ?
	    dtls_verify_client(c, a, xs, leaf, ca_ok, why) :
	    dtls_verify_server(c, a, xs, leaf, ca_ok, why);
	if (ok == 1)
		X509_STORE_CTX_set_error(xs, X509_V_OK);
	return ok;
}

/* ------------------------------------------------------------ cookies */

static int
dtls_cookie_hmac(SSL *ssl, int which, unsigned char *out, size_t *len)
{
	struct dtls_io	*io = SSL_get_app_data(ssl);

	if (io == NULL || EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
	    io->ctx->secret[which], DTLS_SECRET_LEN, io->peer, io->peer_len,
	    out, EVP_MAX_MD_SIZE, len) == NULL)
		return -1;
	return 0;
}

static int
dtls_cookie_make_cb(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	size_t		 n;

	if (dtls_cookie_hmac(ssl, 0, md, &n) == -1 || n > DTLS1_COOKIE_LENGTH)
		return 0;
	memcpy(cookie, md, n);
	*len = (unsigned int)n;
	return 1;
}

/* A cookie made under the current secret or the one before. */
static int
dtls_cookie_check_cb(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	size_t		 n;
	int		 which;

	for (which = 0; which < 2; which++)
		if (dtls_cookie_hmac(ssl, which, md, &n) == 0 && len == n &&
		    CRYPTO_memcmp(md, cookie, n) == 0)
			return 1;
	return 0;
}

int
dtls_ctx_new_cookie_secret(struct dtls_ctx *c)
{
	uint8_t	 next[DTLS_SECRET_LEN];

	if (c->role != DTLS_SERVER) {
		snmpmgr_seterr(SNMPMGR_ERR_ROLE, "a client makes no cookies");
		return -1;
	}
	if (RAND_bytes(next, sizeof(next)) != 1)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "RAND_bytes");
	memcpy(c->secret[1], c->secret[0], DTLS_SECRET_LEN);
	memcpy(c->secret[0], next, DTLS_SECRET_LEN);
	OPENSSL_cleanse(next, sizeof(next));
	return 0;
}

/* RFC 6347 4.2.4.1: the first timeout, then doubling up to 60 s. */
static unsigned int
dtls_timer_cb(SSL *ssl, unsigned int us)
{
	struct dtls_io	*io = SSL_get_app_data(ssl);

	if (us == 0)
		return io != NULL ? io->ctx->rto_ms * 1000u :
		    DTLS_DEFAULT_RTO_MS * 1000u;
	return us >= DTLS_MAX_RTO_US / 2 ? DTLS_MAX_RTO_US : us * 2;
}

/* ------------------------------------------------------------ context */

static int
dtls_pw_cb(char *buf, int size, int rwflag, void *u)
{
	size_t	 n;

	(void)rwflag;
	if (u == NULL || size <= 0)
		return 0;	/* never prompt */
	n = strlen(u);
	if (n > (size_t)size)
		return 0;
	memcpy(buf, u, n);
	return (int)n;
}

static bool
dtls_file_is_pem(const char *path)
{
	char	 buf[4096];
	FILE	*f;
	size_t	 n;
	bool	 pem;

	if ((f = fopen(path, "rb")) == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	pem = memmem(buf, n, "-----BEGIN", 10) != NULL;
	OPENSSL_cleanse(buf, sizeof(buf));
	return pem;
}

static int
dtls_load_p12(struct dtls_ctx *c, const struct dtls_opts *o)
{
	PKCS12		*p12 = NULL;
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	STACK_OF(X509)	*ca = NULL;
	FILE		*f;
	int		 i, rc = -1;

	if ((f = fopen(o->cert, "rb")) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_NOT_FOUND, "cert %s: %s",
		    o->cert, strerror(errno));
		return -1;
	}
	p12 = d2i_PKCS12_fp(f, NULL);
	fclose(f);
	if (p12 == NULL) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "cert: neither PEM nor PKCS#12");
		goto fail;
	}
	if (PKCS12_parse(p12, o->key_password ? o->key_password : "", &pkey,
	    &x, &ca) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "PKCS#12 (wrong key_password?)");
		goto fail;
	}
	if (x == NULL || pkey == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_NO_CHAIN,
		    "PKCS#12 %s holds no certificate and key", o->cert);
		goto fail;
	}
	if (SSL_CTX_use_certificate(c->ssl, x) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ssl, pkey) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS, "PKCS#12");
		goto fail;
	}
	for (i = 0; ca != NULL && i < sk_X509_num(ca); i++)
		if (SSL_CTX_add1_chain_cert(c->ssl, sk_X509_value(ca, i)) !=
		    1) {
			dtls_ssl_err(SNMPMGR_ERR_TLS_NO_CHAIN, "PKCS#12 chain");
			goto fail;
		}
	rc = 0;
fail:
	sk_X509_pop_free(ca, X509_free);
	X509_free(x);
	EVP_PKEY_free(pkey);
	PKCS12_free(p12);
	return rc;
}

static int
dtls_load_cert(struct dtls_ctx *c, const struct dtls_opts *o)
{
	const char	*keyf = o->key != NULL ? o->key : o->cert;
	int		 rc = -1;

	if (access(o->cert, R_OK) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_NOT_FOUND, "cert %s: %s",
		    o->cert, strerror(errno));
		return -1;
	}
	if (o->key != NULL && access(o->key, R_OK) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_NOT_FOUND, "key %s: %s",
		    o->key, strerror(errno));
		return -1;
	}
	SSL_CTX_set_default_passwd_cb(c->ssl, dtls_pw_cb);
	SSL_CTX_set_default_passwd_cb_userdata(c->ssl, (void *)o->key_password);
	if (!dtls_file_is_pem(o->cert)) {
		if (dtls_load_p12(c, o) == -1)
			goto out;
	} else if (SSL_CTX_use_certificate_chain_file(c->ssl, o->cert) != 1) {
		/* The first error says why: no certificate in the file? */
		dtls_ssl_err(ERR_GET_LIB(ERR_peek_error()) == ERR_LIB_PEM &&
		    ERR_GET_REASON(ERR_peek_error()) == PEM_R_NO_START_LINE ?
		    SNMPMGR_ERR_TLS_NO_CHAIN : SNMPMGR_ERR_TLS_CREDENTIALS,
		    "cert");
		goto out;
	} else if (SSL_CTX_use_PrivateKey_file(c->ssl, keyf,
	    SSL_FILETYPE_PEM) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS, "key");
		goto out;
	}
	if (SSL_CTX_check_private_key(c->ssl) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_CREDENTIALS,
		    "key does not match the certificate");
		goto out;
	}
	rc = 0;
out:
	SSL_CTX_set_default_passwd_cb_userdata(c->ssl, NULL);
	return rc;
}

static int
dtls_load_ca(struct dtls_ctx *c, const char *ca)
{
	struct stat	 st;
	int		 ok;

	if (stat(ca, &st) == -1 || access(ca, R_OK) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_STORE, "ca %s: %s", ca,
		    strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_locations(c->ssl, NULL, ca);
	else
		ok = SSL_CTX_load_verify_locations(c->ssl, ca, NULL);
	if (ok != 1)
		return dtls_ssl_err(SNMPMGR_ERR_TLS_CERT_STORE, "ca");
	return 0;
}

static int
dtls_min_version(const char *v)
{
	if (v == NULL || *v == '\0' || strcasecmp(v, "1.2") == 0 ||
	    strcasecmp(v, "dtls1.2") == 0 || strcasecmp(v, "DTLSv1.2") == 0)
		return DTLS1_2_VERSION;
	snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY,
	    "tls_min_version \"%.16s\": only 1.2 (DTLS 1.2) is offered", v);
	return -1;
}

struct dtls_ctx *
dtls_ctx_new(const struct dtls_opts *o)
{
	struct dtls_ctx	*c;
	int		 ver;

	ERR_clear_error();
	if ((ver = dtls_min_version(o->tls_min_version)) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		return NULL;
	}
	c->refs = 1;
	c->role = o->role;
	c->mtu = o->mtu != 0 ? o->mtu : DTLS_DEFAULT_MTU;
	c->rto_ms = o->retransmit_ms != 0 ? o->retransmit_ms :
	    DTLS_DEFAULT_RTO_MS;
	if ((c->ssl = SSL_CTX_new(DTLS_method())) == NULL) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "SSL_CTX_new");
		goto fail;
	}
	if ((c->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "snmpmgr datagram")) == NULL ||
	    BIO_meth_set_write(c->bio, dtls_bio_write) != 1 ||
	    BIO_meth_set_read(c->bio, dtls_bio_read) != 1 ||
	    BIO_meth_set_ctrl(c->bio, dtls_bio_ctrl) != 1 ||
	    BIO_meth_set_create(c->bio, dtls_bio_create) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "BIO_meth_new");
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(c->ssl, ver) != 1 ||
	    SSL_CTX_set_max_proto_version(c->ssl, DTLS1_2_VERSION) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "DTLS 1.2");
		goto fail;
	}
	if (SSL_CTX_set_cipher_list(c->ssl, o->tls_ciphers != NULL ?
	    o->tls_ciphers : DTLS_DEFAULT_CIPHERS) != 1) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "tls_ciphers");
		goto fail;
	}
	SSL_CTX_set_options(c->ssl, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    (c->role == DTLS_SERVER ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);

	if (o->cert != NULL && *o->cert != '\0') {
		if (dtls_load_cert(c, o) == -1)
			goto fail;
	} else if (c->role == DTLS_SERVER) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_NO_CHAIN,
		    "a DTLS listener needs cert and key");
		goto fail;
	}
	if (o->ca != NULL && *o->ca != '\0') {
		if (dtls_load_ca(c, o->ca) == -1)
			goto fail;
		c->has_ca = true;
	}
	if (c->role == DTLS_CLIENT && o->server_fingerprint != NULL &&
	    *o->server_fingerprint != '\0') {
		if (dtls_fingerprint_parse(o->server_fingerprint, &c->fp) == -1)
			goto fail;
		c->has_fp = true;
	}
	if (c->role == DTLS_CLIENT && !c->has_ca && !c->has_fp &&
	    SSL_CTX_set_default_verify_paths(c->ssl) != 1)
		ERR_clear_error();	/* then nothing verifies: 275 later */
	if (c->role == DTLS_CLIENT && o->server_name != NULL) {
		if (*o->server_name == '\0') {
			if (!c->has_fp) {
				snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
				    "server_name \"\" turns the name check "
				    "off only with server_fingerprint");
				goto fail;
			}
			c->name_off = true;
		} else if ((c->server_name = strdup(o->server_name)) == NULL)
			goto nomem;
	}
	if (c->role == DTLS_SERVER && o->nmap > 0) {
		if ((c->map = calloc(o->nmap, sizeof(*c->map))) == NULL)
			goto nomem;
		memcpy(c->map, o->map, o->nmap * sizeof(*c->map));
		c->nmap = o->nmap;
	}

	/* Every peer is judged by dtls_verify_cb(); servers want a cert. */
	SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER | (c->role == DTLS_SERVER ?
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	SSL_CTX_set_cert_verify_callback(c->ssl, dtls_verify_cb, c);
	if (c->role == DTLS_SERVER) {
		if (RAND_bytes(c->secret[0], DTLS_SECRET_LEN) != 1 ||
		    RAND_bytes(c->secret[1], DTLS_SECRET_LEN) != 1) {
			dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "RAND_bytes");
			goto fail;
		}
		SSL_CTX_set_cookie_generate_cb(c->ssl, dtls_cookie_make_cb);
		SSL_CTX_set_cookie_verify_cb(c->ssl, dtls_cookie_check_cb);
	}
	ERR_clear_error();
	return c;
nomem:
	snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
fail:
	c->refs = 1;
	dtls_ctx_free(c);
	return NULL;
}

void
dtls_ctx_free(struct dtls_ctx *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	SSL_CTX_free(c->ssl);
	BIO_meth_free(c->bio);
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	free(c->server_name);
	free(c->map);
	free(c);
}

/* ------------------------------------------------------- associations */

/* A new SSL object for c reading and writing through io. */
static SSL *
dtls_ssl_new(struct dtls_ctx *c, struct dtls_io *io)
{
	SSL	*ssl;
	BIO	*b;

	if ((ssl = SSL_new(c->ssl)) == NULL)
		return NULL;
	if ((b = BIO_new(c->bio)) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	BIO_set_data(b, io);
	SSL_set_bio(ssl, b, b);
	SSL_set_app_data(ssl, io);
	SSL_set_mtu(ssl, c->mtu);
	DTLS_set_timer_cb(ssl, dtls_timer_cb);
	return ssl;
}

static void
dtls_io_init(struct dtls_io *io, struct dtls_ctx *c, struct dtls_assoc *a)
{
	memset(io, 0, sizeof(*io));
	io->ctx = c;
	io->assoc = a;
	dtls_queue_init(&io->out);
}

static struct dtls_assoc *
dtls_assoc_alloc(struct dtls_ctx *c)
{
	struct dtls_assoc	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		return NULL;
	}
	a->ctx = c;
	c->refs++;
	dtls_io_init(&a->io, c, a);
	dtls_queue_init(&a->inbox);
	a->state = DTLS_HANDSHAKE;
	a->map_rule = -1;
	return a;
}

struct dtls_assoc *
dtls_client_new(struct dtls_ctx *c, const char *addr)
{
	struct dtls_assoc	*a;
	const char		*sni;

	if (c->role != DTLS_CLIENT) {
		snmpmgr_seterr(SNMPMGR_ERR_ROLE,
		    "a listener's context opens no client associations");
		return NULL;
	}
	if ((a = dtls_assoc_alloc(c)) == NULL)
		return NULL;
	if (addr != NULL && (a->addr = strdup(addr)) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		goto fail;
	}
	if ((a->ssl = dtls_ssl_new(c, &a->io)) == NULL) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "SSL_new");
		goto fail;
	}
	SSL_set_connect_state(a->ssl);
	/* Server Name Indication for a host name (RFC 6066 3: not an IP). */
	sni = c->server_name != NULL ? c->server_name : a->addr;
	if (sni != NULL && !dtls_is_ip(sni))
		SSL_set_tlsext_host_name(a->ssl, sni);
	return a;
fail:
	dtls_assoc_free(a);
	return NULL;
}

void
dtls_assoc_free(struct dtls_assoc *a)
{
	if (a == NULL)
		return;
	SSL_free(a->ssl);
	dtls_queue_clear(&a->io.out);
	dtls_queue_clear(&a->inbox);
	free(a->peer);
	free(a->addr);
	dtls_ctx_free(a->ctx);
	free(a);
}

/* The handshake failed: the most precise number we have. */
static int
dtls_handshake_failed(struct dtls_assoc *a)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r = e != 0 ? ERR_reason_error_string(e) : NULL;
	char		 d[256];

	if (a->verify_err != 0)
		return dtls_assoc_fail(a, a->verify_err, a->verify_detail);
	if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_NO_CLIENT_CERT,
		    "the trap sender sent no certificate");
	snprintf(d, sizeof(d), "handshake failed: %s",
	    r != NULL ? r : "unknown reason");
	return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_HANDSHAKE, d);
}

/* Read every application record waiting into the inbox. */
static int
dtls_read_records(struct dtls_assoc *a)
{
	uint8_t	 buf[SNMPMGR_MAX_DTLS_MSG];
	char	 d[256];
	int	 r, e;

	for (;;) {
		ERR_clear_error();
		r = SSL_read(a->ssl, buf, sizeof(buf));
		if (r > 0) {
			/* A full inbox drops the message, as a socket would. */
			(void)dtls_queue_push(&a->inbox, buf, (size_t)r);
			continue;
		}
		e = SSL_get_error(a->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		if (e == SSL_ERROR_ZERO_RETURN) {
			/* close_notify: answer it (RFC 5246 7.2.1). */
			(void)SSL_shutdown(a->ssl);
			a->state = DTLS_CLOSED;
			ERR_clear_error();
			return 0;
		}
		e = (int)ERR_peek_last_error();
		snprintf(d, sizeof(d), "record: %s", e != 0 ?
		    ERR_reason_error_string((unsigned long)e) : "fatal alert");
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_DECRYPT, d);
	}
}

/* Advance the handshake; on success, open the association. */
static int
dtls_drive(struct dtls_assoc *a)
{
	X509	*peer;
	int	 r, e;

	ERR_clear_error();
	r = SSL_do_handshake(a->ssl);
	if (r != 1) {
		e = SSL_get_error(a->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		return dtls_handshake_failed(a);
	}
	if ((peer = SSL_get0_peer_certificate(a->ssl)) == NULL)
		return dtls_assoc_fail(a, a->ctx->role == DTLS_SERVER ?
		    SNMPMGR_ERR_TLS_NO_CLIENT_CERT :
		    SNMPMGR_ERR_TLS_NO_SERVER_CERT,
		    "the peer sent no certificate");
	if (a->accepted == DTLS_ACCEPT_NONE)
		/* Never judged by dtls_verify_cb(): a broken invariant. */
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "peer certificate was not verified");
	if ((a->peer = dtls_peer_info(a, peer)) == NULL)
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_LIBRARY,
		    "out of memory");
	a->state = DTLS_OPEN;
	return dtls_read_records(a);
}

int
dtls_assoc_start(struct dtls_assoc *a, uint64_t now)
{
	(void)now;
	if (a->state != DTLS_HANDSHAKE) {
		snmpmgr_seterr(SNMPMGR_ERR_ALREADY_ACTIVE,
		    "association already %s", dtls_state_name(a->state));
		return -1;
	}
	return dtls_drive(a);
}

int
dtls_assoc_input(struct dtls_assoc *a, const uint8_t *dgram, size_t n,
    uint64_t now)
{
	int	 rc = 0;

	(void)now;
	switch (a->state) {
	case DTLS_FAILED:
		snmpmgr_seterr(a->err, "%s", a->detail);
		return -1;
	case DTLS_CLOSED:
		return 0;	/* late datagrams of a closed association */
	default:
		break;
	}
	a->io.in = dgram;
	a->io.in_len = n;
	if (a->state == DTLS_HANDSHAKE)
		rc = dtls_drive(a);
	else
		rc = dtls_read_records(a);
	a->io.in = NULL;
	a->io.in_len = 0;
	return rc;
}

ssize_t
dtls_assoc_recv(struct dtls_assoc *a, uint8_t *buf, size_t size)
{
	return dtls_queue_pop(&a->inbox, buf, size);
}

int
dtls_assoc_send(struct dtls_assoc *a, const uint8_t *msg, size_t n)
{
	char	 d[256];
	int	 r;

	if (a->state != DTLS_OPEN) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_ENCRYPT, "association %s",
		    dtls_state_name(a->state));
		return -1;
	}
	if (n == 0 || n > SNMPMGR_MAX_DTLS_MSG) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "message of %zu octets, one DTLS record holds %d", n,
		    SNMPMGR_MAX_DTLS_MSG);
		return -1;
	}
	ERR_clear_error();
	if ((r = SSL_write(a->ssl, msg, (int)n)) != (int)n) {
		snprintf(d, sizeof(d), "record: %s",
		    ERR_peek_last_error() != 0 ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "write failed");
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_ENCRYPT, d);
	}
	return 0;
}

ssize_t
dtls_assoc_output(struct dtls_assoc *a, uint8_t *buf, size_t size)
{
	return dtls_queue_pop(&a->io.out, buf, size);
}

bool
dtls_assoc_deadline(struct dtls_assoc *a, uint64_t now, uint64_t *deadline)
{
	struct timeval	 tv;

	if (a->state != DTLS_HANDSHAKE || DTLSv1_get_timeout(a->ssl, &tv) != 1)
		return false;
	*deadline = now + (uint64_t)tv.tv_sec * 1000 +
	    ((uint64_t)tv.tv_usec + 999) / 1000;
	return true;
}

int
dtls_assoc_timer(struct dtls_assoc *a, uint64_t now)
{
	(void)now;
	if (a->state != DTLS_HANDSHAKE)
		return 0;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(a->ssl) < 0)
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_HANDSHAKE,
		    "handshake timed out: no answer to retransmissions");
	ERR_clear_error();
	return 0;
}

int
dtls_assoc_close(struct dtls_assoc *a)
{
	if (a->state == DTLS_OPEN || a->state == DTLS_HANDSHAKE) {
		ERR_clear_error();
		(void)SSL_shutdown(a->ssl);
		ERR_clear_error();
		a->state = DTLS_CLOSED;
	}
	return 0;
}

enum dtls_state
dtls_assoc_state(const struct dtls_assoc *a)
{
	return a->state;
}

const struct dtls_peer_info *
dtls_assoc_peer(const struct dtls_assoc *a)
{
	return a->peer;
}

int
dtls_assoc_error(const struct dtls_assoc *a, const char **detail)
{
	if (detail != NULL)
		*detail = a->err != 0 ? a->detail : "";
	return a->err;
}

const char *
dtls_state_name(enum dtls_state s)
{
	switch (s) {
	case DTLS_HANDSHAKE:
		return "handshake";
	case DTLS_OPEN:
		return "open";
	case DTLS_CLOSED:
		return "closed";
	case DTLS_FAILED:
		return "failed";
	}
	return "unknown";
}

const char *
dtls_accept_name(enum dtls_accept r)
{
	switch (r) {
	case DTLS_ACCEPT_CA:
		return "ca";
	case DTLS_ACCEPT_FINGERPRINT:
		return "fingerprint";
	case DTLS_ACCEPT_BOTH:
		return "both";
	default:
		return "none";
	}
}

/* ------------------------------------------------------------ listener */

struct dtls_listener *
dtls_listener_new(struct dtls_ctx *c)
{
	struct dtls_listener	*l;

	if (c->role != DTLS_SERVER) {
		snmpmgr_seterr(SNMPMGR_ERR_ROLE,
		    "a client context has no listener");
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		return NULL;
	}
	l->ctx = c;
	c->refs++;
	dtls_io_init(&l->io, c, NULL);
	if ((l->ssl = dtls_ssl_new(c, &l->io)) == NULL) {
		dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "SSL_new");
		dtls_listener_free(l);
		return NULL;
	}
	SSL_set_accept_state(l->ssl);
	return l;
}

void
dtls_listener_free(struct dtls_listener *l)
{
	if (l == NULL)
		return;
	SSL_free(l->ssl);
	dtls_queue_clear(&l->io.out);
	dtls_ctx_free(l->ctx);
	free(l);
}

int
dtls_listen(struct dtls_listener *l, const void *peer, size_t peer_len,
    const uint8_t *dgram, size_t n, uint64_t now, struct dtls_assoc **assoc)
{
	struct dtls_assoc	*a;
	BIO_ADDR		*ba;
	int			 r;

	*assoc = NULL;
	if (peer_len == 0 || peer_len > sizeof(l->io.peer)) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY,
		    "peer address key of %zu octets", peer_len);
		return -1;
	}
	/* An answer not collected belongs to an earlier peer. */
	dtls_queue_clear(&l->io.out);
	memcpy(l->io.peer, peer, peer_len);
	l->io.peer_len = peer_len;
	l->io.in = dgram;
	l->io.in_len = n;
	if ((ba = BIO_ADDR_new()) == NULL) {
		l->io.in = NULL;
		snmpmgr_seterr(SNMPMGR_ERR_TLS_LIBRARY, "out of memory");
		return -1;
	}
	ERR_clear_error();
	r = DTLSv1_listen(l->ssl, ba);
	BIO_ADDR_free(ba);
	l->io.in = NULL;
	l->io.in_len = 0;
	ERR_clear_error();
	if (r <= 0)
		return 0;	/* answered with a cookie, or dropped */

	/* A valid cookie: this SSL object becomes the peer's association. */
	if ((a = dtls_assoc_alloc(l->ctx)) == NULL)
		return -1;
	a->ssl = l->ssl;
	memcpy(a->io.peer, peer, peer_len);
	a->io.peer_len = peer_len;
	BIO_set_data(SSL_get_rbio(a->ssl), &a->io);
	SSL_set_app_data(a->ssl, &a->io);
	if ((l->ssl = dtls_ssl_new(l->ctx, &l->io)) == NULL) {
		l->ssl = a->ssl;
		a->ssl = NULL;
		BIO_set_data(SSL_get_rbio(l->ssl), &l->io);
		SSL_set_app_data(l->ssl, &l->io);
		dtls_assoc_free(a);
		return dtls_ssl_err(SNMPMGR_ERR_TLS_LIBRARY, "SSL_new");
	}
	SSL_set_accept_state(l->ssl);
	(void)dtls_assoc_start(a, now);	/* a failure shows in its state */
	*assoc = a;
	return 1;
}

ssize_t
dtls_listener_output(struct dtls_listener *l, uint8_t *buf, size_t size)
{
	return dtls_queue_pop(&l->io.out, buf, size);
}
