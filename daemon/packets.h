/*
 * packets.h - what the daemon tells about the datagrams of its manager
 * sessions: "trace" events (SPEC.md 4 on_packet_trace) for sessions a
 * subscriber asked to trace, "bad-packet" events and counters for what
 * the session engine dropped (SPEC.md 4 on_bad_packet), and how much of
 * a session's secrets traces and session.show reveal (SPEC.md 2
 * mask_sensitive_data, decrypt_trace).
 */
#ifndef SNMPMGRD_PACKETS_H
#define SNMPMGRD_PACKETS_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;
struct daemon;
struct dsess;
struct packets;

/*
 * Hook the session engine's bad-packet callback, and its trace hooks
 * whenever someone subscribes to "trace".  Needs d->mgr and d->events.
 * NULL when memory runs out (logged).
 */
struct packets	*packets_new(struct daemon *d);
/* Unhook and free.  NULL is fine. */
void		 packets_free(struct packets *pk);

/*
 * The session's mask_sensitive_data (default true) and decrypt_trace
 * (default false): as changed at run time, else as configured.  ds NULL
 * (an inline target): the defaults.
 */
bool		 packets_mask(const struct dsess *ds);
bool		 packets_decrypt_trace(const struct dsess *ds);
/*
 * n octets of a datagram as lowercase hex for an event, the community of
 * an SNMPv1/v2c message (even one cut short or broken further on) shown
 * as "**" per octet when mask.  NULL when memory runs out.
 */
json_t		*packets_hex(const uint8_t *buf, size_t n, bool mask);

/* Distinct numbered reasons of bad packets counted one by one. */
#define PACKETS_NCODES		24

/*
 * The trap receiver's traffic: a "trace" event (no session; "origin"
 * "traps", the listener when known, a note such as "accepted" or the
 * reason of a refusal) for one datagram received (out false) or sent,
 * when someone subscribed to traces of no particular session.
 * packets_tracing() tells whether anyone did.
 */
bool		 packets_tracing(const struct packets *pk);
void		 packets_trace_datagram(struct packets *pk, bool out,
		    const struct sockaddr *peer, socklen_t peerlen,
		    const uint8_t *buf, size_t len, const char *listener,
		    const char *note);

/* The bad-packet and trace counters, for daemon.stats (views.c). */
struct packets_info {
	uint64_t		 bad;
	struct {
		int		 code;
		uint64_t	 n;
	}			 by_code[PACKETS_NCODES];
	size_t			 ncodes;
	uint64_t		 bad_other;	/* reasons beyond by_code */
	uint64_t		 traces;
};
void		 packets_info(const struct packets *pk,
		    struct packets_info *pi);

#endif /* SNMPMGRD_PACKETS_H */
