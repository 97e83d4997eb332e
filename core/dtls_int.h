/*
 * dtls_int.h - what the files of the DTLS module share (dtls.c: the
 * datagram BIO, contexts, associations and the cookie listener;
 * dtls_cert.c: fingerprints, the peer certificate's details, cert-to-name
 * mapping and the acceptance rules; dtls_key.c: our certificate and key
 * in memory; dtls_rec.c: an open association's records without OpenSSL;
 * dtls_sieve.c: the records OpenSSL must not see).  Not for use outside
 * core/dtls*.c.
 */
#ifndef SNMPMGR_DTLS_INT_H
#define SNMPMGR_DTLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dtls.h"
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

/* The newest epoch seen in one direction and its highest sequence number. */
struct dtls_seen {
	bool		 any;
	uint16_t	 epoch;
	uint64_t	 seq;
};

struct dtls_rec;

/* What dtls_sieve.c checks the records of an association OpenSSL keeps
 * with, before OpenSSL sees them. */
struct dtls_sieve {
	bool		 on;
	bool		 aead;
	bool		 etm;		/* encrypt_then_mac (RFC 7366) */
	uint16_t	 version;
	uint16_t	 epoch;		/* the records judged */
	size_t		 min;		/* the shortest valid record body */
	size_t		 bs;		/* CBC block size, else 1 */
	size_t		 maclen;
	char		 md[16];	/* the HMAC's digest */
	uint8_t		 mackey[64];	/* the peer's MAC key */
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
	bool			 bufs_off;	/* record buffers given back */
	/* The records after the handshake (ssl freed then), and what the
	 * handshake's records showed (dtls_rec.c). */
	struct dtls_rec		*rec;
	bool			 rec_tried;	/* a server tried once */
	struct dtls_seen	 tx_seen;
	struct dtls_seen	 rx_seen;
	/* While OpenSSL keeps the records of an open association. */
	struct dtls_sieve	 sieve;
	bool			 etm;		/* the ServerHello said so */
	uint64_t		 dropped;	/* invalid records dropped */
};

struct dtls_listener {
	struct dtls_ctx		*ctx;
	SSL			*ssl;
	struct dtls_io		 io;
};

/* dtls.c: record code with what and OpenSSL's latest reason; -1. */
int		 dtls_ssl_err(int code, const char *what);

/* dtls_key.c: give ssl our certificate, chain and key from c.  0 or -1. */
int		 dtls_cred_use(SSL_CTX *ssl, const struct dtls_cred *c);

/*
 * dtls_rec.c: an open association's records without OpenSSL.
 * dtls_rec_scan() notes the records of one datagram in s.
 * dtls_rec_new() takes the keys of ssl's finished handshake, as the
 * server or the client: NULL when the cipher is not one we protect
 * ourselves (or out of memory).  dtls_rec_mark() takes the records of
 * datagram d that authenticate as seen (OpenSSL read them), nothing else.
 * dtls_rec_seal() makes one record of type from in[0..n-1] into out:
 * its length, or -1 with the error set.  dtls_rec_open() takes the next
 * record of *dgram (*left octets; both advanced past it): the plaintext
 * length with *type set, or -1 when the record is dropped (another
 * epoch, a replay, or it does not authenticate).
 */
void		 dtls_rec_scan(const uint8_t *d, size_t n, struct dtls_seen *s);
/* RFC 5246 6.3: the first len octets of ssl's key block (PRF md). */
int		 dtls_rec_key_block(SSL *ssl, const EVP_MD *md, uint8_t *out,
		    size_t len);
struct dtls_rec	*dtls_rec_new(SSL *ssl, bool server,
		    const struct dtls_seen *tx, const struct dtls_seen *rx);
void		 dtls_rec_mark(struct dtls_rec *r, const uint8_t *d,
		    size_t n);
void		 dtls_rec_free(struct dtls_rec *r);
ssize_t		 dtls_rec_seal(struct dtls_rec *r, uint8_t type,
		    const uint8_t *in, size_t n, uint8_t *out, size_t size);
ssize_t		 dtls_rec_open(struct dtls_rec *r, const uint8_t **dgram,
		    size_t *left, uint8_t *type, uint8_t *out, size_t size);

/*
 * dtls_sieve.c: dtls_sieve_init() readies s for ssl's open association
 * (its records of epoch), as the server or the client, etm when the
 * ServerHello agreed to encrypt_then_mac: 0, or -1 (a cipher it cannot
 * judge, or out of memory) with s off.  dtls_sieve_run() copies the
 * records of datagram d OpenSSL may see into out (size octets) and
 * counts the others in *dropped: the length copied.
 * dtls_sieve_clear() wipes s (its MAC key).
 */
int		 dtls_sieve_init(struct dtls_sieve *s, SSL *ssl, bool server,
		    bool etm, uint16_t epoch);
size_t		 dtls_sieve_run(const struct dtls_sieve *s, const uint8_t *d,
		    size_t n, uint8_t *out, size_t size, uint64_t *dropped);
void		 dtls_sieve_clear(struct dtls_sieve *s);

/* dtls_cert.c */
/* Judge the peer of an association (SSL_CTX_set_cert_verify_callback). */
int		 dtls_verify_cb(X509_STORE_CTX *xs, void *arg);
/* Whether s is a numeric IPv4 or IPv6 address. */
bool		 dtls_is_ip(const char *s);
/* The details of an accepted peer certificate, for dtls_assoc_peer(). */
struct dtls_peer_info *dtls_peer_info(struct dtls_assoc *a, X509 *leaf);

#endif /* SNMPMGR_DTLS_INT_H */
