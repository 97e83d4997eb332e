/*
 * trap_dtls.h - one DTLS trap listener (RFC 6353) on the event loop: the
 * associations of the senders on one UDP socket, from the stateless
 * cookie exchange to close, with their bounds and timers, and the
 * connected, disconnected, ssl-status and ssl-client-authentication
 * events.  The SNMP messages that come out of an open association go to
 * the caller (traps.c), which answers through trap_dtls_send().
 *
 * Bounds (traps.tls): at most max_handshakes associations still in their
 * handshake (a new one past that evicts the oldest, so half-finished
 * handshakes cannot lock out a sender), at most max_associations in all
 * (a new one past that evicts the least recently active); a handshake
 * not done within handshake_timeout and an association idle for
 * idle_timeout are closed.  Nothing is kept for a peer before it returns
 * a valid cookie (core/dtls.h, dtls_listen).
 */
#ifndef SNMPMGRD_TRAP_DTLS_H
#define SNMPMGRD_TRAP_DTLS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct config_traps_tls;
struct daemon;
struct dtls_peer_info;
struct trap_dtls;

/* A sender whose association delivered a message. */
struct trap_dtls_peer {
	uint64_t		 id;	/* the association, for replies */
	const struct sockaddr	*from;
	socklen_t		 fromlen;
	const struct dtls_peer_info *info;	/* certificate, mapped name */
};

typedef void (*trap_dtls_msg_cb)(void *arg, const struct trap_dtls_peer *p,
    const uint8_t *msg, size_t len);

struct trap_dtls_stats {
	uint64_t	 associations;	/* now */
	uint64_t	 handshaking;	/* now, of them */
	uint64_t	 cookies;	/* HelloVerifyRequests sent */
	uint64_t	 dropped;	/* datagrams with no association that
					 * were no ClientHello */
	uint64_t	 handshakes;	/* started (a valid cookie came back) */
	uint64_t	 established;
	uint64_t	 failed;	/* handshakes that failed or timed out */
	uint64_t	 refused;	/* of them: the certificate was refused
					 * (untrusted, unmapped, none) */
	uint64_t	 no_certificate;	/* of them: 281 */
	uint64_t	 unmapped;	/* of them: no cert_to_name rule */
	uint64_t	 timeouts;	/* handshakes not done in time */
	uint64_t	 evicted;	/* to make room under the bounds */
	uint64_t	 idle_closed;
	uint64_t	 peer_closed;	/* close_notify from the sender */
	uint64_t	 records_dropped;	/* invalid records (a MAC or
					 * length that fails, a replay) on
					 * associations, which stay */
	uint64_t	 messages;	/* SNMP messages received */
	uint64_t	 sent;		/* SNMP messages sent (answers) */
	uint64_t	 send_errors;
};

/*
 * A listener on the bound UDP socket fd (the caller's; not closed here),
 * named spec in events and logs, with conf's certificate and rules.
 * Messages go to cb(arg, ...).  NULL with lasterr set (270-274).
 */
struct trap_dtls	*trap_dtls_new(struct daemon *d, int fd,
			    const char *spec,
			    const struct config_traps_tls *conf,
			    trap_dtls_msg_cb cb, void *arg);
/* Closes every association (close_notify, "disconnected").  NULL is
 * fine. */
void			 trap_dtls_free(struct trap_dtls *td);

/* A datagram that arrived on the socket from `from`. */
void		 trap_dtls_input(struct trap_dtls *td, const uint8_t *dgram,
		    size_t n, const struct sockaddr *from, socklen_t fromlen);
/* One SNMP message to association id with the sender at `to`.  0, or
 * -1 when it is gone (closed, or replaced by a new one). */
int		 trap_dtls_send(struct trap_dtls *td, uint64_t id,
		    const uint8_t *msg, size_t len, const struct sockaddr *to);

void		 trap_dtls_get_stats(const struct trap_dtls *td,
		    struct trap_dtls_stats *st);

/*
 * A peer certificate's details as JSON (subject, issuer, serial, dates,
 * fingerprints, SAN entries, the chain), for events and session.show;
 * NULL when out of memory.
 */
struct json_t;
struct json_t	*trap_dtls_cert_json(const struct dtls_peer_info *pi);

#endif /* SNMPMGRD_TRAP_DTLS_H */
