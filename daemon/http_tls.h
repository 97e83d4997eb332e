/*
 * http_tls.h - the TLS server context of the Prometheus endpoint
 * ("http.tls"): our certificate chain and key (PEM), the CA that client
 * certificates must chain to when one is given (then a client without a
 * certificate is refused in the handshake), and the lowest TLS version.
 * Built by the config check (`snmpmgrd -t` opens the files as the
 * endpoint will) and by daemon/http.c at start and reload.  No libevent.
 */
#ifndef SNMPMGRD_HTTP_TLS_H
#define SNMPMGRD_HTTP_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct http_tls_opts {
	const char	*cert;		/* PEM chain, ours first */
	const char	*key;		/* PEM, not encrypted */
	const char	*ca;		/* NULL: no client certificates */
	int		 min_version;	/* TLS1_2_VERSION or TLS1_3_VERSION */
};

/* Which file a failure is about (for the config's key path). */
enum http_tls_file { HTTP_TLS_CERT, HTTP_TLS_KEY, HTTP_TLS_CA };

/*
 * A server context for o, or NULL with a numbered error (272: a file
 * cannot be read; 273: it does not load or the key does not match; 271:
 * the CA) and its text in err, and the file in *which.  The text names
 * files and OpenSSL's reason, never their contents.
 */
SSL_CTX	*http_tls_ctx_new(const struct http_tls_opts *o, char *err,
	    size_t errsize, enum http_tls_file *which);

#endif /* SNMPMGRD_HTTP_TLS_H */
