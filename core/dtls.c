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
#include <openssl/rand.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dtls.h"
#include "dtls_int.h"
#include "errors.h"
#include "hex.h"
#include "limits.h"


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
	/* Every record OpenSSL writes for an association counts, alerts
	 * and answers after the handshake too: we must never write its
	 * sequence numbers. */
	if (io->assoc != NULL)
		dtls_rec_scan((const uint8_t *)data, (size_t)len,
		    &io->assoc->tx_seen);
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

/* ---------------------------------------------------- record buffers */

/*
 * OpenSSL gives each SSL object a read and a write record buffer of
 * ~17 KiB each for its whole life (SSL_MODE_RELEASE_BUFFERS only acts on
 * TLS).  An open association hands them back between datagrams: they are
 * taken before every call that may read or write a record and given back
 * after it when nothing is pending, so an idle association holds none.
 * SSL_free_buffers() could free a buffer still in use before OpenSSL
 * 3.0.14, 3.1.6, 3.2.2 and 3.3.1 (CVE-2024-4741): older libraries keep
 * their buffers.
 */
bool
dtls_gives_buffers_back(void)
{
	static int	 safe = -1;
	unsigned long	 v, minor, patch;

	if (safe == -1) {
		v = OpenSSL_version_num();
		minor = (v >> 20) & 0xff;
		patch = (v >> 4) & 0xff;
		if ((v >> 28) != 3)
			safe = (v >> 28) > 3;
		else
			safe = minor >= 4 || (minor == 3 && patch >= 1) ||
			    (minor == 2 && patch >= 2) ||
			    (minor == 1 && patch >= 6) ||
			    (minor == 0 && patch >= 14);
	}
	return safe == 1;
}

/* Before a call that may read or write a record.  0, or -1 (memory). */
static int
dtls_bufs_take(struct dtls_assoc *a)
{
	if (!a->bufs_off || a->ssl == NULL)
		return 0;
	if (SSL_alloc_buffers(a->ssl) != 1)
		return -1;
	a->bufs_off = false;
	return 0;
}

/* After it: an open association with nothing pending gives them back. */
static void
dtls_bufs_give(struct dtls_assoc *a)
{
	if (a->state == DTLS_OPEN && a->ssl != NULL && !a->bufs_off &&
	    dtls_gives_buffers_back() &&
	    SSL_free_buffers(a->ssl) == 1)
		a->bufs_off = true;
}

/* ------------------------------------------------------------ errors */

/* Record code with what and OpenSSL's latest reason; -1. */
int
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

/* RFC 7366: whether a ServerHello body (RFC 5246 7.4.1.3) carries the
 * encrypt_then_mac extension. */
static bool
dtls_hello_etm(const uint8_t *p, size_t n)
{
	size_t	 off, end, len;

	/* version, random, session ID, cipher suite, compression */
	if (n < 2 + 32 + 1 || (off = 2 + 32 + 1 + p[34] + 2 + 1) + 2 > n)
		return false;
	end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
	if (end > n)
		return false;
	for (off += 2; off + 4 <= end; off += 4 + len) {
		len = (size_t)p[off + 2] << 8 | p[off + 3];
		if (((size_t)p[off] << 8 | p[off + 1]) ==
		    TLSEXT_TYPE_encrypt_then_mac)
			return true;
	}
	return false;
}

/* Every handshake message either way: the ServerHello tells whether the
 * association's CBC records use encrypt_then_mac (dtls_sieve.c). */
static void
dtls_msg_cb(int write_p, int version, int type, const void *buf, size_t n,
    SSL *ssl, void *arg)
{
	struct dtls_io	*io = SSL_get_app_data(ssl);
	const uint8_t	*p = buf;

	(void)write_p;
	(void)version;
	(void)arg;
	/* A DTLS handshake header (RFC 6347 4.2.2): 12 octets. */
	if (type != SSL3_RT_HANDSHAKE || n < DTLS1_HM_HEADER_LENGTH ||
	    p[0] != SSL3_MT_SERVER_HELLO || io == NULL || io->assoc == NULL)
		return;
	io->assoc->etm = dtls_hello_etm(p + DTLS1_HM_HEADER_LENGTH,
	    n - DTLS1_HM_HEADER_LENGTH);
}

/* ------------------------------------------------------------ context */

/* Our certificate and key: o's own, or read from o's files now. */
static int
dtls_load_cert(struct dtls_ctx *c, const struct dtls_opts *o)
{
	struct dtls_cred *cred;
	int		 rc;

	if ((cred = o->cred != NULL ? dtls_cred_ref(o->cred) :
	    dtls_cred_get(o)) == NULL)
		return -1;
	rc = dtls_cred_use(c->ssl, cred);
	dtls_cred_free(cred);
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
	SSL_CTX_set_msg_callback(c->ssl, dtls_msg_cb);

	if (o->cred != NULL || (o->cert != NULL && *o->cert != '\0')) {
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
	dtls_rec_free(a->rec);
	dtls_sieve_clear(&a->sieve);
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

/* Read every application record waiting into the inbox: how many, or
 * -1 when the association failed. */
static int
dtls_read_records(struct dtls_assoc *a)
{
	uint8_t		 buf[SNMPMGR_MAX_DTLS_MSG];
	char		 d[256];
	unsigned long	 err;
	int		 r, e, got = 0;

	for (;;) {
		ERR_clear_error();
		r = SSL_read(a->ssl, buf, sizeof(buf));
		if (r > 0) {
			/* A full inbox drops the message, as a socket would. */
			(void)dtls_queue_push(&a->inbox, buf, (size_t)r);
			got++;
			continue;
		}
		e = SSL_get_error(a->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return got;
		if (e == SSL_ERROR_ZERO_RETURN) {
			/* close_notify: answer it (RFC 5246 7.2.1). */
			(void)SSL_shutdown(a->ssl);
			a->state = DTLS_CLOSED;
			ERR_clear_error();
			return got;
		}
		/* The dtls_sieve.c checks let no forged record end it
		 * here: a fatal alert from the peer, or OpenSSL's own on an
		 * authentic record. */
		err = ERR_peek_last_error();
		if (err != 0 && ERR_GET_LIB(err) == ERR_LIB_SSL &&
		    ERR_GET_REASON(err) >= SSL_AD_REASON_OFFSET)
			snprintf(d, sizeof(d), "record: fatal alert %d from "
			    "the peer: %s", ERR_GET_REASON(err) -
			    SSL_AD_REASON_OFFSET, ERR_reason_error_string(err));
		else
			snprintf(d, sizeof(d), "record: %s", err != 0 ?
			    ERR_reason_error_string(err) : "fatal alert");
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_DECRYPT, d);
	}
}

/*
 * Carry on with an open association's records ourselves (dtls_rec.c) and
 * give OpenSSL's state back, when the cipher allows.  A client does so
 * as the handshake ends (the server's Finished is the last flight).  A
 * server keeps OpenSSL's state until the client's first application
 * record: until then the client may not have our Finished and send its
 * last flight again, which OpenSSL answers.  dgram is the datagram that
 * brought it (NULL for a client): its records that authenticate under
 * the new keys are marked seen, so a record forged beside them cannot
 * move the replay window.
 */
static void
dtls_rec_take(struct dtls_assoc *a, const uint8_t *dgram, size_t n)
{
	bool			 server = a->ctx->role == DTLS_SERVER;
	struct dtls_seen	 rx = a->rx_seen;

	if (server != (dgram != NULL) || a->state != DTLS_OPEN ||
	    SSL_pending(a->ssl) > 0 || a->rec_tried)
		return;
	if (server) {
		/* Once: another cipher stays with OpenSSL for good. */
		a->rec_tried = true;
		/* Nothing of the client's epoch is seen; the datagram's
		 * authentic records are marked below. */
		rx.any = a->tx_seen.any;
		rx.epoch = a->tx_seen.epoch;
		rx.seq = 0;
	}
	if ((a->rec = dtls_rec_new(a->ssl, server, &a->tx_seen, &rx)) ==
	    NULL) {
		ERR_clear_error();
		return;
	}
	if (server)
		dtls_rec_mark(a->rec, dgram, n);
	dtls_sieve_clear(&a->sieve);
	SSL_free(a->ssl);
	a->ssl = NULL;
	a->bufs_off = false;
}

/* Alert levels and the one description we act on (RFC 5246 7.2). */
#define DTLS_ALERT_FATAL	2
#define DTLS_ALERT_CLOSE_NOTIFY	0

/* One alert (our own records): close_notify closes, a fatal one fails. */
static int
dtls_rec_alert(struct dtls_assoc *a, const uint8_t *p, ssize_t n)
{
	char	 d[64];

	if (n != 2)
		return 0;
	if (p[1] == DTLS_ALERT_CLOSE_NOTIFY) {
		/* Answered with ours (RFC 5246 7.2.1). */
		(void)dtls_assoc_close(a);
		return 0;
	}
	if (p[0] != DTLS_ALERT_FATAL)
		return 0;
	snprintf(d, sizeof(d), "record: fatal alert %u from the peer",
	    (unsigned)p[1]);
	return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_DECRYPT, d);
}

/* A datagram for an association whose records are ours. */
static int
dtls_rec_input(struct dtls_assoc *a, const uint8_t *dgram, size_t n)
{
	uint8_t	 buf[SNMPMGR_MAX_DTLS_MSG];
	uint8_t	 type;
	ssize_t	 m;

	while (n > 0 && a->state == DTLS_OPEN) {
		if ((m = dtls_rec_open(a->rec, &dgram, &n, &type, buf,
		    sizeof(buf))) == -1) {
			a->dropped++;
			continue;
		}
		if (type == SSL3_RT_APPLICATION_DATA && m > 0)
			/* A full inbox drops it, as a socket would. */
			(void)dtls_queue_push(&a->inbox, buf, (size_t)m);
		else if (type == SSL3_RT_ALERT &&
		    dtls_rec_alert(a, buf, m) == -1)
			return -1;
		/* Handshake records (a late Finished, a HelloRequest: we do
		 * not renegotiate) and the rest: dropped. */
	}
	return 0;
}

/* One record of type from our own records into the output.  0 or -1. */
static int
dtls_rec_output(struct dtls_assoc *a, uint8_t type, const uint8_t *msg,
    size_t n)
{
	uint8_t	 rec[SNMPMGR_MAX_DTLS_MSG + 64];
	ssize_t	 m;

	if ((m = dtls_rec_seal(a->rec, type, msg, n, rec, sizeof(rec))) == -1)
		return -1;
	if (dtls_queue_push(&a->io.out, rec, (size_t)m) == -1) {
		snmpmgr_seterr(SNMPMGR_ERR_TLS_ENCRYPT, "record: output "
		    "queue full");
		return -1;
	}
	return 0;
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
	if (dtls_read_records(a) == -1)
		return -1;
	dtls_rec_take(a, NULL, 0);
	/* OpenSSL keeps the records (for now): check them before it sees
	 * them.  Without (a cipher it cannot judge) OpenSSL alone does. */
	if (a->rec == NULL && a->state == DTLS_OPEN &&
	    dtls_sieve_init(&a->sieve, a->ssl, a->ctx->role == DTLS_SERVER,
	    a->etm, a->tx_seen.epoch) == -1)
		ERR_clear_error();
	return 0;
}

int
dtls_assoc_start(struct dtls_assoc *a, uint64_t now)
{
	int	 rc;

	(void)now;
	if (a->state != DTLS_HANDSHAKE) {
		snmpmgr_seterr(SNMPMGR_ERR_ALREADY_ACTIVE,
		    "association already %s", dtls_state_name(a->state));
		return -1;
	}
	rc = dtls_drive(a);
	dtls_bufs_give(a);
	return rc;
}

int
dtls_assoc_input(struct dtls_assoc *a, const uint8_t *dgram, size_t n,
    uint64_t now)
{
	/* The records a datagram may hold that OpenSSL reads. */
	uint8_t	 kept[SSL3_RT_MAX_ENCRYPTED_LENGTH + DTLS1_RT_HEADER_LENGTH];
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
	if (a->rec != NULL)
		return dtls_rec_input(a, dgram, n);
	if (a->state == DTLS_OPEN && a->sieve.on) {
		n = dtls_sieve_run(&a->sieve, dgram, n, kept, sizeof(kept),
		    &a->dropped);
		dgram = kept;
		if (n == 0)
			return 0;
	}
	if (dtls_bufs_take(a) == -1)
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_LIBRARY,
		    "out of memory for the record buffers");
	/*
	 * What the server sent, from the datagram that ends the handshake
	 * only: a forged datagram before it cannot move our replay window
	 * (one with a huge sequence number would make us drop every real
	 * record).  When the Finished came in an earlier datagram, the
	 * epochs differ and OpenSSL keeps the records.
	 */
	if (a->ctx->role == DTLS_CLIENT) {
		if (a->state == DTLS_HANDSHAKE)
			memset(&a->rx_seen, 0, sizeof(a->rx_seen));
		dtls_rec_scan(dgram, n, &a->rx_seen);
	}
	a->io.in = dgram;
	a->io.in_len = n;
	if (a->state == DTLS_HANDSHAKE)
		rc = dtls_drive(a);
	else if ((rc = dtls_read_records(a)) > 0) {
		rc = 0;
		dtls_rec_take(a, dgram, n);
	}
	a->io.in = NULL;
	a->io.in_len = 0;
	dtls_bufs_give(a);
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
	if (a->rec != NULL) {
		if (dtls_rec_output(a, SSL3_RT_APPLICATION_DATA, msg, n) == -1)
			return dtls_assoc_fail(a, snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail());
		return 0;
	}
	if (dtls_bufs_take(a) == -1)
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_LIBRARY,
		    "out of memory for the record buffers");
	ERR_clear_error();
	if ((r = SSL_write(a->ssl, msg, (int)n)) != (int)n) {
		snprintf(d, sizeof(d), "record: %s",
		    ERR_peek_last_error() != 0 ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "write failed");
		return dtls_assoc_fail(a, SNMPMGR_ERR_TLS_ENCRYPT, d);
	}
	dtls_bufs_give(a);
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
	static const uint8_t close_notify[2] = { 1, DTLS_ALERT_CLOSE_NOTIFY };

	if (a->state == DTLS_OPEN && a->rec != NULL) {
		(void)dtls_rec_output(a, SSL3_RT_ALERT, close_notify,
		    sizeof(close_notify));
		a->state = DTLS_CLOSED;
	} else if (a->state == DTLS_OPEN || a->state == DTLS_HANDSHAKE) {
		ERR_clear_error();
		/* No buffer for the alert: close without close_notify. */
		if (dtls_bufs_take(a) == 0)
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

uint64_t
dtls_assoc_dropped(const struct dtls_assoc *a)
{
	return a->dropped;
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
