/*
 * http_tls.c - the TLS server context of http_tls.h (OpenSSL 3).
 */
#include <config.h>		/* autoconf's */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/errors.h"
#include "http_tls.h"

/* err: "error N: TEXT: PATH: what (OpenSSL's reason)"; NULL back. */
static SSL_CTX *
tls_fail(SSL_CTX *ctx, int code, const char *path, const char *what,
    char *err, size_t errsize)
{
	char	 reason[256];
	unsigned long e = ERR_peek_last_error();

	reason[0] = '\0';
	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(err, errsize, "error %d: %s: %s: %s%s%s%s", code,
	    snmpmgr_strerror(code), path, what, reason[0] != '\0' ? " (" : "",
	    reason, reason[0] != '\0' ? ")" : "");
	SSL_CTX_free(ctx);
	return NULL;
}

static int
no_password(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

SSL_CTX *
http_tls_ctx_new(const struct http_tls_opts *o, char *err, size_t errsize,
    enum http_tls_file *which)
{
	SSL_CTX	*ctx;
	const char *files[3] = { o->cert, o->key, o->ca };
	int	 i;

	ERR_clear_error();
	for (i = 0; i < 3; i++) {
		*which = (enum http_tls_file)i;
		if (files[i] != NULL && access(files[i], R_OK) == -1) {
			snprintf(err, errsize, "error %d: %s: %s: %s",
			    SNMPMGR_ERR_TLS_CERT_NOT_FOUND,
			    snmpmgr_strerror(SNMPMGR_ERR_TLS_CERT_NOT_FOUND),
			    files[i], strerror(errno));
			return NULL;
		}
	}
	*which = HTTP_TLS_CERT;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return tls_fail(NULL, SNMPMGR_ERR_TLS_CREDENTIALS, o->cert,
		    "cannot make a TLS context", err, errsize);
	SSL_CTX_set_min_proto_version(ctx, o->min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* No session cache: scrapers reconnect rarely, and it holds
	 * memory per client. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
		return tls_fail(ctx, SNMPMGR_ERR_TLS_CREDENTIALS, o->cert,
		    "not a PEM certificate chain", err, errsize);
	*which = HTTP_TLS_KEY;
	/* No passphrase prompt on a terminal: an encrypted key fails. */
	SSL_CTX_set_default_passwd_cb(ctx, no_password);
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1)
		return tls_fail(ctx, SNMPMGR_ERR_TLS_CREDENTIALS, o->key,
		    "not an unencrypted PEM private key", err, errsize);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return tls_fail(ctx, SNMPMGR_ERR_TLS_CREDENTIALS, o->key,
		    "the key does not match the certificate", err, errsize);
	if (o->ca != NULL) {
		*which = HTTP_TLS_CA;
		if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
			return tls_fail(ctx, SNMPMGR_ERR_TLS_CERT_STORE, o->ca,
			    "no CA certificate loaded", err, errsize);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_verify_depth(ctx, 8);
	}
	return ctx;
}
