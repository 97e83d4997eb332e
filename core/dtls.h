/*
 * dtls.h - SNMP over DTLS (RFC 6353): DTLS 1.2 associations over OpenSSL,
 * with no sockets and no event loop.
 *
 * A struct dtls_ctx is one SSL_CTX built from a session's (or a trap
 * listener's) options: our certificate and key, the CA, the pinned
 * fingerprint, the name check, the protocol floor and ciphers, and on the
 * server side the ordered cert-to-name rules.  A struct dtls_assoc is one
 * association, client or server side, driven by three inputs only: a
 * datagram that arrived (dtls_assoc_input), the timer firing
 * (dtls_assoc_timer) and data to send (dtls_assoc_send); what it wants
 * sent comes out as whole datagrams (dtls_assoc_output).  The caller owns
 * the socket and the loop.
 *
 * Server side, datagrams from a peer that has no association go to a
 * struct dtls_listener first: it answers a ClientHello without a valid
 * cookie with a HelloVerifyRequest (RFC 6347 4.2.1) and keeps nothing for
 * that peer; only a ClientHello that returns the cookie made for its
 * address becomes an association.  Client certificates are required.
 *
 * Acceptance of the peer (issue 10, "Precise rules"):
 *   ca and fingerprint set   both must hold;
 *   only fingerprint         the pin alone decides (self-signed peers work;
 *                            the certificate must still be within its dates);
 *   only ca                  the chain must verify to ca, plus the name check;
 *   neither                  the system trust store, plus the name check.
 * A fingerprint pins the peer's certificate or a CA certificate in its
 * chain (the chain is then verified up to that CA).  The name check (client
 * side) matches server_name, or the peer's address when server_name is
 * unset, against the certificate's SAN DNS names and IP addresses (the CN
 * only when there is no SAN); server_name "" turns it off, allowed only
 * with a fingerprint.  With only a fingerprint and no server_name, no name
 * is checked.  A server accepts a client whose chain verifies to ca or
 * whose own certificate a cert-to-name rule names by fingerprint, and then
 * maps it to a tmSecurityName (RFC 6353 7.3): the first rule whose
 * fingerprint matches the certificate or a CA in its verified chain and
 * whose mapping yields a name wins; a client no rule maps is refused.
 *
 * Errors (errors.h): 270 OpenSSL unusable or bad protocol options, 271 CA
 * unreadable, 272 certificate or key file missing, 273 certificate or key
 * unloadable or not matching, 274 no certificate to send, 275 chain does
 * not verify to ca, 276 handshake failed or timed out, 280 certificate
 * rejected (fingerprint, name, dates, no cert-to-name mapping), 281 the
 * client sent no certificate, 282 the server sent none, 283 / 284 record
 * encrypt / decrypt failures.  The detail carries OpenSSL's reason.
 *
 * Once an association with one of the default AEAD ciphers is open (a
 * client's), or has had the client's first application record (a
 * server's), its records are sealed and opened by dtls_rec.c and
 * OpenSSL's state (the SSL object, its 21 KiB handshake buffer, the
 * peer's parsed certificates) is freed: an idle association costs
 * ~2-3 KiB.  Other ciphers stay with OpenSSL (an association that waits
 * holds no record buffers, dtls_gives_buffers_back()).
 *
 * OpenSSL keeps the retransmission timer on its own clock; "now" here is
 * the caller's clock (milliseconds, monotonic) and deadlines are given in
 * it.  Calling dtls_assoc_timer() early does nothing.
 */
#ifndef SNMPMGR_DTLS_H
#define SNMPMGR_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "limits.h"

struct dtls_cred;
struct dtls_ctx;
struct dtls_assoc;
struct dtls_listener;

enum dtls_role {
	DTLS_CLIENT	= 0,	/* a session talking to an agent */
	DTLS_SERVER	= 1,	/* a trap / inform listener */
};

/* Hash of a fingerprint (RFC 6353 SnmpTLSFingerprint uses these). */
enum dtls_fp_alg {
	/* TLS HashAlgorithm numbers (RFC 5246 7.4.1.4.1). */
	DTLS_FP_SHA1	= 2,
	DTLS_FP_SHA256	= 4,
	DTLS_FP_SHA384	= 5,
	DTLS_FP_SHA512	= 6,
};

struct dtls_fingerprint {
	enum dtls_fp_alg alg;
	size_t		 len;
	uint8_t		 md[64];
};

/*
 * "sha256:" (or sha1/sha384/sha512) and the hex digest, with or without
 * colons between octets, any case; the digest length must fit the hash.
 * 0 or -1 (280).
 */
int	 dtls_fingerprint_parse(const char *s, struct dtls_fingerprint *fp);
/* "sha256:" and lowercase hex with colons, into out (size bytes). */
size_t	 dtls_fingerprint_format(const struct dtls_fingerprint *fp, char *out,
	    size_t size);

/* How a cert-to-name rule maps (RFC 6353 snmpTlstmCertToTSNMapType). */
enum dtls_map_kind {
	DTLS_MAP_SPECIFIED	= 1,	/* the rule's name */
	DTLS_MAP_SAN_RFC822	= 2,	/* first rfc822Name, host lowercase */
	DTLS_MAP_SAN_DNS	= 3,	/* first dNSName, lowercase */
	DTLS_MAP_SAN_IP		= 4,	/* first iPAddress: v4 dotted, v6 hex */
	DTLS_MAP_SAN_ANY	= 5,	/* first of those three kinds */
	DTLS_MAP_CN		= 6,	/* the subject's commonName */
};

struct dtls_map_rule {
	struct dtls_fingerprint	 fp;
	enum dtls_map_kind	 kind;
	/* The name of a DTLS_MAP_SPECIFIED rule. */
	char			 name[SNMPMGR_MAX_SECNAME_LEN + 1];
};

struct dtls_opts {
	enum dtls_role	 role;
	/* Our certificate (PEM chain, or PKCS#12) and key (PEM; NULL with
	 * PKCS#12 or when the key is in the certificate file). */
	const char	*cert;
	const char	*key;
	const char	*key_password;
	/* Or all three already read (dtls_cred_get()): then used, and the
	 * files and the password are not looked at. */
	struct dtls_cred *cred;
	const char	*ca;		/* CA file or directory */
	/* Client side. */
	const char	*server_fingerprint;
	const char	*server_name;	/* NULL: the address; "": no check */
	/* "1.2" (the default and the only DTLS OpenSSL 3.0 has above 1.0). */
	const char	*tls_min_version;
	const char	*tls_ciphers;	/* NULL: ECDHE with AEAD ciphers */
	/* Server side: ordered cert-to-name rules (copied). */
	const struct dtls_map_rule *map;
	size_t		 nmap;
	/* Path MTU for handshake records (0: 1400) and the first
	 * retransmission timeout in ms (0: 1000, RFC 6347 4.2.4.1). */
	unsigned	 mtu;
	unsigned	 retransmit_ms;
};

/*
 * Our certificate (with the chain after it), and its key, read now from
 * o's cert, key and key_password: PEM (the key maybe encrypted) or
 * PKCS#12.  The password is used for this and kept nowhere.  Reference
 * counted; a credential read from the same files' contents with the same
 * password while one lives is that one again.  NULL with the error set
 * (272 a file missing, 273 unloadable or wrong password or the key does
 * not match, 274 no certificate in the file).
 */
struct dtls_cred *dtls_cred_get(const struct dtls_opts *o);
struct dtls_cred *dtls_cred_ref(struct dtls_cred *c);
void		 dtls_cred_free(struct dtls_cred *c);
/*
 * The validity of a certificate (OpenSSL's X509), in seconds since 1970
 * UTC, and of a credential's own certificate (PEM or PKCS#12 alike).
 * 0, or -1 when a date cannot be read.
 */
struct x509_st;
int		 dtls_x509_dates(const struct x509_st *x, int64_t *not_before,
		    int64_t *not_after);
int		 dtls_cred_dates(const struct dtls_cred *c, int64_t *not_before,
		    int64_t *not_after);

/* Build a context: files read and checked now.  NULL with the error set. */
struct dtls_ctx	*dtls_ctx_new(const struct dtls_opts *o);
/* Associations hold a reference; the context goes with the last one. */
void		 dtls_ctx_free(struct dtls_ctx *c);

/*
 * Server: draw a new cookie secret.  Cookies made under the one before
 * stay good until the next call, so calling this every few minutes
 * bounds how long a cookie can be replayed without failing handshakes
 * under way.  0 or -1.
 */
int		 dtls_ctx_new_cookie_secret(struct dtls_ctx *c);

/*
 * Whether open associations give OpenSSL's record buffers back between
 * datagrams (not with OpenSSL before the CVE-2024-4741 fix).
 */
bool		 dtls_gives_buffers_back(void);

enum dtls_state {
	DTLS_HANDSHAKE	= 1,
	DTLS_OPEN	= 2,
	DTLS_CLOSED	= 3,	/* close_notify sent or received */
	DTLS_FAILED	= 4,	/* fatal error: the association is dead */
};

/* Why the peer was accepted. */
enum dtls_accept {
	DTLS_ACCEPT_NONE	= 0,
	DTLS_ACCEPT_CA		= 1,
	DTLS_ACCEPT_FINGERPRINT	= 2,
	DTLS_ACCEPT_BOTH	= 3,
};

#define DTLS_MAX_SAN	8
#define DTLS_MAX_CHAIN	8

/* An association idle this long is closed (dtls_idle_timeout's default). */
#define DTLS_IDLE_DEFAULT_MS	(5 * 60 * 1000)

enum dtls_san_type {
	DTLS_SAN_DNS	= 1,
	DTLS_SAN_IP	= 2,
	DTLS_SAN_EMAIL	= 3,
	DTLS_SAN_URI	= 4,
};

struct dtls_san {
	enum dtls_san_type	 type;
	const char		*value;		/* IP addresses as text */
};

/* One certificate of the chain. */
struct dtls_chain_cert {
	const char	*subject;
	const char	*issuer;
	const char	*sha256;	/* dtls_fingerprint_format() form */
};

/*
 * The peer's certificate and the handshake, once established: one block
 * holding the texts as long as they are (an open association keeps it).
 */
struct dtls_peer_info {
	const char		*version;	/* "DTLSv1.2" */
	const char		*cipher;
	const char		*subject;	/* RFC 2253 */
	const char		*issuer;
	const char		*serial;	/* hex */
	/* ISO 8601 UTC: 2026-01-31T12:00:00Z */
	const char		*not_before;
	const char		*not_after;
	size_t			 nsan;		/* at most DTLS_MAX_SAN */
	const struct dtls_san	*san;
	const char		*sha1;		/* "sha1:..." */
	const char		*sha256;	/* "sha256:..." */
	/* The chain, the peer's certificate first (DTLS_MAX_CHAIN). */
	size_t			 nchain;
	const struct dtls_chain_cert *chain;
	enum dtls_accept	 accepted;
	/* Server side: the tmSecurityName cert-to-name gave ("" if none),
	 * and its rule (0-based). */
	const char		*security_name;
	int			 map_rule;
};

/*
 * A client association to the peer at address text addr (an IP literal or
 * a host name, for the default name check).  Nothing is sent until
 * dtls_assoc_start().  NULL with the error set.
 */
struct dtls_assoc	*dtls_client_new(struct dtls_ctx *c, const char *addr);
void			 dtls_assoc_free(struct dtls_assoc *a);
/* Client: begin the handshake (a ClientHello to send).  0 or -1. */
int	 dtls_assoc_start(struct dtls_assoc *a, uint64_t now);

/*
 * One datagram from the peer.  Advances the handshake; application data
 * it carries is read with dtls_assoc_recv().  A record that does not
 * authenticate is dropped silently (RFC 6347 4.1.2.7), so garbage never
 * breaks an open association.  0, or -1 when the association failed (its
 * error set, state DTLS_FAILED; an alert may wait in the output).
 */
int	 dtls_assoc_input(struct dtls_assoc *a, const uint8_t *dgram, size_t n,
	    uint64_t now);
/*
 * The next SNMP message received: its length (copied into buf), 0 when
 * none is waiting, -1 on failure (284, or 118 when it does not fit).
 */
ssize_t	 dtls_assoc_recv(struct dtls_assoc *a, uint8_t *buf, size_t size);
/* Encrypt one message as one record (RFC 6353 5.1.2).  0 or -1 (283, 118). */
int	 dtls_assoc_send(struct dtls_assoc *a, const uint8_t *msg, size_t n);
/* The next datagram to send: its length, 0 when none (-1: buf too small). */
ssize_t	 dtls_assoc_output(struct dtls_assoc *a, uint8_t *buf, size_t size);
/*
 * When the retransmission timer fires, in the caller's clock: true with
 * *deadline set, false when no timer runs (open or closed).
 */
bool	 dtls_assoc_deadline(struct dtls_assoc *a, uint64_t now,
	    uint64_t *deadline);
/* The timer fired: retransmit the last flight.  0, or -1 (276 timed out). */
int	 dtls_assoc_timer(struct dtls_assoc *a, uint64_t now);
/* Send close_notify (RFC 5246 7.2.1); the state becomes DTLS_CLOSED. */
int	 dtls_assoc_close(struct dtls_assoc *a);

enum dtls_state	 dtls_assoc_state(const struct dtls_assoc *a);
/* After the handshake (DTLS_OPEN); NULL before. */
const struct dtls_peer_info *dtls_assoc_peer(const struct dtls_assoc *a);
/*
 * Records dropped as invalid (RFC 6347 4.1.2.7: a MAC or length that
 * fails, a replay, another epoch) since it opened; the association stays.
 */
uint64_t	 dtls_assoc_dropped(const struct dtls_assoc *a);
/* The error that failed it: the number (0 if none) and its detail. */
int		 dtls_assoc_error(const struct dtls_assoc *a,
		    const char **detail);
const char	*dtls_state_name(enum dtls_state s);
const char	*dtls_accept_name(enum dtls_accept r);

/* Server side: the cookie exchange in front of new associations. */
struct dtls_listener	*dtls_listener_new(struct dtls_ctx *c);
void			 dtls_listener_free(struct dtls_listener *l);
/*
 * A datagram from peer (the caller's address key: any octets that name
 * the source address and port) that has no association.  0: nothing kept
 * (a HelloVerifyRequest may wait in dtls_listener_output(), or the
 * datagram was not a ClientHello and was dropped).  1: the ClientHello
 * carried a valid cookie; *assoc is a new server association for peer
 * that has taken the datagram and has its reply in its output.  -1 out of
 * memory or OpenSSL failure.
 */
int	 dtls_listen(struct dtls_listener *l, const void *peer,
	    size_t peer_len, const uint8_t *dgram, size_t n, uint64_t now,
	    struct dtls_assoc **assoc);
/* A HelloVerifyRequest for the peer of the last dtls_listen(). */
ssize_t	 dtls_listener_output(struct dtls_listener *l, uint8_t *buf,
	    size_t size);

#endif /* SNMPMGR_DTLS_H */
