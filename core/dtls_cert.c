/*
 * dtls_cert.c - the certificates of SNMP over DTLS (RFC 6353): fingerprints
 * ("sha256:HEX"), the peer certificate's details, cert-to-name mapping
 * (RFC 6353 snmpTlstmCertToTSNTable: specified, san_rfc822, san_dns,
 * san_ip, san_any, cn) and the acceptance rules of a peer, all judged in
 * dtls_verify_cb(): the chain to `ca` when the rules need it, the
 * fingerprint pin, the dates, the name check (client side) or the mapping
 * (server side), with the numbered error of a refusal recorded on the
 * association.
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
#include "dtls_int.h"
#include "errors.h"
#include "hex.h"
#include "limits.h"
#include "transport.h"


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

/* The hash whose name is the n bytes at s, or whose digest is len octets
 * (name NULL); -1 when none. */
static int
dtls_fp_alg_find(const char *s, size_t n, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(dtls_fp_algs) / sizeof(dtls_fp_algs[0]); i++)
		if (s != NULL ? strlen(dtls_fp_algs[i].name) == n &&
		    strncasecmp(s, dtls_fp_algs[i].name, n) == 0 :
		    dtls_fp_algs[i].len == len)
			return (int)i;
	return -1;
}

/*
 * ALG:HEX, or the hex alone (colons between octets or none, as openssl
 * x509 -fingerprint prints it): SHA-256 by default, or the hash whose
 * digest has that many octets.
 */
int
dtls_fingerprint_parse(const char *s, struct dtls_fingerprint *fp)
{
	const char	*colon;
	size_t		 nl, len;
	int		 i;

	if (s == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
		    "fingerprint must be ALG:HEX (sha256:...) or HEX");
		return -1;
	}
	colon = strchr(s, ':');
	nl = colon != NULL ? (size_t)(colon - s) : 0;
	if (colon != NULL && (i = dtls_fp_alg_find(s, nl, 0)) != -1) {
		if (hex_decode_str(colon + 1, HEX_COLONS, fp->md,
		    sizeof(fp->md), &len) == -1 ||
		    len != dtls_fp_algs[i].len) {
			snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
			    "fingerprint: %zu hex octets expected for %s",
			    dtls_fp_algs[i].len, dtls_fp_algs[i].name);
			return -1;
		}
	} else if (hex_decode_str(s, HEX_COLONS, fp->md, sizeof(fp->md),
	    &len) == -1 || (i = dtls_fp_alg_find(NULL, 0, len)) == -1) {
		if (colon != NULL && nl > 2)
			snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
			    "fingerprint hash \"%.*s\": sha1, sha256, sha384 "
			    "or sha512", (int)(nl > 16 ? 16 : nl), s);
		else
			snmpmgr_seterr(SNMPMGR_ERR_TLS_CERT_VERIFY,
			    "fingerprint: ALG:HEX (sha256:...) or the hex "
			    "octets of a SHA-256 (or SHA-1, SHA-384, SHA-512) "
			    "digest expected");
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

	if (n != 4 && n != 16)
		return false;
	return transport_ip_str(n == 4 ? AF_INET : AF_INET6, p, out, size) !=
	    -1;
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

/*
 * The details as first written, in buffers of the longest sizes we keep,
 * before dtls_peer_pack() copies them into one block as long as they are.
 */
struct dtls_peer_draft {
	char			 subject[256];
	char			 issuer[256];
	char			 serial[80];
	char			 not_before[24];
	char			 not_after[24];
	char			 sha1[72];
	char			 sha256[112];
	size_t			 nsan;
	enum dtls_san_type	 san_type[DTLS_MAX_SAN];
	char			 san[DTLS_MAX_SAN][128];
	size_t			 nchain;
	struct {
		char		 subject[256];
		char		 issuer[256];
		char		 sha256[112];
	}			 chain[DTLS_MAX_CHAIN];
};

static void
dtls_fill_sans(struct dtls_peer_draft *pd, X509 *x)
{
	GENERAL_NAMES	*g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	GENERAL_NAME	*gn;
	char		*v;
	size_t		 vs;
	int		 i;

	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g) &&
	    pd->nsan < DTLS_MAX_SAN; i++) {
		gn = sk_GENERAL_NAME_value(g, i);
		v = pd->san[pd->nsan];
		vs = sizeof(pd->san[pd->nsan]);
		switch (gn->type) {
		case GEN_DNS:
			pd->san_type[pd->nsan] = DTLS_SAN_DNS;
			if (!dtls_ia5_text(gn->d.dNSName, v, vs))
				continue;
			break;
		case GEN_EMAIL:
			pd->san_type[pd->nsan] = DTLS_SAN_EMAIL;
			if (!dtls_ia5_text(gn->d.rfc822Name, v, vs))
				continue;
			break;
		case GEN_URI:
			pd->san_type[pd->nsan] = DTLS_SAN_URI;
			if (!dtls_ia5_text(gn->d.uniformResourceIdentifier,
			    v, vs))
				continue;
			break;
		case GEN_IPADD:
			pd->san_type[pd->nsan] = DTLS_SAN_IP;
			if (!dtls_ip_text(gn->d.iPAddress, v, vs))
				continue;
			break;
		default:
			continue;
		}
		pd->nsan++;
	}
	GENERAL_NAMES_free(g);
}

static void
dtls_fill_chain_cert(struct dtls_peer_draft *pd, X509 *x)
{
	struct dtls_fingerprint	 fp;
	size_t			 k = pd->nchain++;

	dtls_name_text(X509_get_subject_name(x), pd->chain[k].subject,
	    sizeof(pd->chain[k].subject));
	dtls_name_text(X509_get_issuer_name(x), pd->chain[k].issuer,
	    sizeof(pd->chain[k].issuer));
	pd->chain[k].sha256[0] = '\0';
	if (dtls_cert_fp(x, DTLS_FP_SHA256, &fp) == 0)
		dtls_fingerprint_format(&fp, pd->chain[k].sha256,
		    sizeof(pd->chain[k].sha256));
}

/* Copy s to *p (advanced past it); the copy. */
static const char *
dtls_pack_str(char **p, const char *s)
{
	size_t		 n = strlen(s) + 1;
	const char	*r = *p;

	memcpy(*p, s, n);
	*p += n;
	return r;
}

/* The texts of the draft and of the handshake in one block. */
static struct dtls_peer_info *
dtls_peer_pack(const struct dtls_peer_draft *pd, const char *version,
    const char *cipher, const char *secname)
{
	const char *const top[] = { version, cipher, pd->subject, pd->issuer,
	    pd->serial, pd->not_before, pd->not_after, pd->sha1, pd->sha256,
	    secname };
	struct dtls_peer_info	*pi;
	struct dtls_san		*san;
	struct dtls_chain_cert	*ch;
	size_t			 i, size;
	char			*p;

	size = sizeof(*pi) + pd->nsan * sizeof(*san) +
	    pd->nchain * sizeof(*ch);
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		size += strlen(top[i]) + 1;
	for (i = 0; i < pd->nsan; i++)
		size += strlen(pd->san[i]) + 1;
	for (i = 0; i < pd->nchain; i++)
		size += strlen(pd->chain[i].subject) +
		    strlen(pd->chain[i].issuer) +
		    strlen(pd->chain[i].sha256) + 3;
	if ((pi = calloc(1, size)) == NULL)
		return NULL;
	san = (struct dtls_san *)(pi + 1);
	ch = (struct dtls_chain_cert *)(san + pd->nsan);
	p = (char *)(ch + pd->nchain);
	pi->version = dtls_pack_str(&p, version);
	pi->cipher = dtls_pack_str(&p, cipher);
	pi->subject = dtls_pack_str(&p, pd->subject);
	pi->issuer = dtls_pack_str(&p, pd->issuer);
	pi->serial = dtls_pack_str(&p, pd->serial);
	pi->not_before = dtls_pack_str(&p, pd->not_before);
	pi->not_after = dtls_pack_str(&p, pd->not_after);
	pi->sha1 = dtls_pack_str(&p, pd->sha1);
	pi->sha256 = dtls_pack_str(&p, pd->sha256);
	pi->security_name = dtls_pack_str(&p, secname);
	for (i = 0; i < pd->nsan; i++) {
		san[i].type = pd->san_type[i];
		san[i].value = dtls_pack_str(&p, pd->san[i]);
	}
	for (i = 0; i < pd->nchain; i++) {
		ch[i].subject = dtls_pack_str(&p, pd->chain[i].subject);
		ch[i].issuer = dtls_pack_str(&p, pd->chain[i].issuer);
		ch[i].sha256 = dtls_pack_str(&p, pd->chain[i].sha256);
	}
	pi->nsan = pd->nsan;
	pi->san = san;
	pi->nchain = pd->nchain;
	pi->chain = ch;
	return pi;
}

/* The handshake's and the peer certificate's details. */
struct dtls_peer_info *
dtls_peer_info(struct dtls_assoc *a, X509 *leaf)
{
	struct dtls_peer_draft	*pd;
	struct dtls_peer_info	*pi;
	struct dtls_fingerprint	 fp;
	STACK_OF(X509)		*chain;
	BIGNUM			*bn;
	const char		*cipher;
	char			*hex;
	X509			*x;
	size_t			 i;
	int			 k;

	if ((pd = calloc(1, sizeof(*pd))) == NULL)
		return NULL;
	dtls_name_text(X509_get_subject_name(leaf), pd->subject,
	    sizeof(pd->subject));
	dtls_name_text(X509_get_issuer_name(leaf), pd->issuer,
	    sizeof(pd->issuer));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL)) !=
	    NULL && (hex = BN_bn2hex(bn)) != NULL) {
		for (i = 0; hex[i] != '\0' && i + 1 < sizeof(pd->serial); i++)
			pd->serial[i] = (char)tolower((unsigned char)hex[i]);
		pd->serial[i] = '\0';
		OPENSSL_free(hex);
	}
	BN_free(bn);
	dtls_time_text(X509_get0_notBefore(leaf), pd->not_before,
	    sizeof(pd->not_before));
	dtls_time_text(X509_get0_notAfter(leaf), pd->not_after,
	    sizeof(pd->not_after));
	dtls_fill_sans(pd, leaf);
	if (dtls_cert_fp(leaf, DTLS_FP_SHA1, &fp) == 0)
		dtls_fingerprint_format(&fp, pd->sha1, sizeof(pd->sha1));
	if (dtls_cert_fp(leaf, DTLS_FP_SHA256, &fp) == 0)
		dtls_fingerprint_format(&fp, pd->sha256, sizeof(pd->sha256));

	/* The verified chain when there is one, else what the peer sent. */
	dtls_fill_chain_cert(pd, leaf);
	chain = SSL_get0_verified_chain(a->ssl);
	if (chain == NULL || sk_X509_num(chain) == 0)
		chain = SSL_get_peer_cert_chain(a->ssl);
	for (k = 0; chain != NULL && k < sk_X509_num(chain) &&
	    pd->nchain < DTLS_MAX_CHAIN; k++) {
		x = sk_X509_value(chain, k);
		if (X509_cmp(x, leaf) != 0)
			dtls_fill_chain_cert(pd, x);
	}
	cipher = SSL_get_cipher_name(a->ssl);
	pi = dtls_peer_pack(pd, SSL_get_version(a->ssl),
	    cipher != NULL ? cipher : "", a->secname);
	free(pd);
	if (pi == NULL)
		return NULL;
	pi->accepted = a->accepted;
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

bool
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
int
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

