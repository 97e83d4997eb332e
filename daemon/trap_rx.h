/*
 * trap_rx.h - what the trap receiver does with one datagram: decode it,
 * accept or reject it (communities for v1/v2c; USM users, keys localized
 * per engine, digests, time windows and privacy for v3), fold it into one
 * journal record, and make the datagram to send back (the Response that
 * acknowledges an inform, or a USM Report).
 *
 * Nothing here touches a socket, a clock, a file or the event loop:
 * traps.c feeds datagrams in and carries out the verdict, and the unit
 * tests drive it with crafted packets and a fake clock.
 *
 * Roles (RFC 3411 3.1.1.1, RFC 3414 3.2): for a v3 trap the sender is the
 * authoritative engine, so keys are localized for the sender's engine ID
 * and its boots/time are tracked per engine (RFC 3414 3.2 step 7b); for a
 * v3 inform we are authoritative, so keys are localized for our own engine
 * ID, the message must be in our time window (step 7a), and a sender that
 * does not know our engine ID yet gets a discovery Report (RFC 3414 4).
 */
#ifndef SNMPMGRD_TRAP_RX_H
#define SNMPMGRD_TRAP_RX_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oid;
struct snmp_pdu;
struct snmp_vbl;
struct trapproc;
struct usm_cred;
struct usm_cred_params;
struct usm_user;

/* Why a datagram was not accepted (the rejection counters). */
enum trapproc_reason {
	TRAPPROC_OK = 0,
	TRAPPROC_BAD_COMMUNITY,
	TRAPPROC_UNKNOWN_USER,		/* usmStatsUnknownUserNames */
	TRAPPROC_WRONG_DIGEST,		/* usmStatsWrongDigests */
	TRAPPROC_DECRYPTION_ERROR,	/* usmStatsDecryptionErrors */
	TRAPPROC_NOT_IN_TIME_WINDOW,	/* usmStatsNotInTimeWindows */
	TRAPPROC_UNKNOWN_ENGINE,	/* usmStatsUnknownEngineIDs */
	TRAPPROC_UNSUPPORTED_SEC_LEVEL,	/* usmStatsUnsupportedSecLevels */
	TRAPPROC_UNSUPPORTED_SEC_MODEL,	/* snmpUnknownSecurityModels */
	TRAPPROC_BAD_VERSION,		/* snmpInBadVersions */
	TRAPPROC_UNEXPECTED_PDU,	/* not a trap or inform */
	TRAPPROC_MALFORMED,		/* snmpInASNParseErrs and the like */
	TRAPPROC_BAD_ENGINE_ID,		/* not 5..32 octets (RFC 3411 5) */
	/* An authenticated trap from an engine not tracked yet, refused: */
	TRAPPROC_ENGINE_TABLE_FULL,	/* every tracked one seen lately */
	TRAPPROC_ENGINE_RATE_LIMITED,	/* its user taught us too many */
	/* A discovery probe left unanswered: its source prefix asked for
	 * too many Reports. */
	TRAPPROC_DISCOVERY_RATE_LIMITED,
	/* An inform refused unrecorded: its acknowledgement could not be
	 * queued (trapproc_set_ack_room); the sender's retransmission is
	 * taken once there is room. */
	TRAPPROC_ACK_QUEUE_FULL,
	TRAPPROC__COUNT
};

enum trapproc_verdict {
	TRAPPROC_ACCEPT = 0,	/* journal out->rec; send out->reply if any */
	TRAPPROC_REPORT,	/* send out->reply (a Report); nothing else */
	TRAPPROC_REJECT,	/* drop; out->reason says why */
};

struct trapproc_out {
	enum trapproc_verdict	 verdict;
	enum trapproc_reason	 reason;	/* TRAPPROC_OK when accepted */
	int			 error;		/* numbered error (SPEC 5) */
	char			 detail[160];
	bool			 inform;	/* an InformRequest */
	int32_t			 request_id;	/* of an accepted v2c/v3 PDU */
	uint64_t		 vb_hash;	/* an inform's VarBindList's */
	bool			 discovery;	/* the Report answers a probe */
	/* The journal record: one JSON object, no newline. */
	const char		*rec;
	size_t			 reclen;
	/* A datagram for the source: the inform's Response or a Report. */
	const uint8_t		*reply;
	size_t			 replylen;
};

struct trapproc_stats {
	uint64_t	 packets;	/* datagrams looked at */
	uint64_t	 traps;		/* accepted */
	uint64_t	 informs;	/* accepted */
	uint64_t	 v1, v2c, v3;	/* accepted, by version */
	uint64_t	 reports;	/* Reports made */
	uint64_t	 reports_rate_limited;	/* Reports not made: the
					 * source prefix's bucket was empty */
	uint64_t	 discoveries;	/* of them, answers to probes */
	uint64_t	 rejected[TRAPPROC__COUNT];
	uint64_t	 engines;	/* sender engines tracked now */
	uint64_t	 engines_evicted;
	uint64_t	 localizations;	/* keys localized (cache misses) */
	uint64_t	 key_cache_hits;
};

/* "bad_community", ... (the stats keys); NULL for TRAPPROC_OK. */
const char	*trapproc_reason_name(enum trapproc_reason r);

/*
 * max_engines bounds the sender engines tracked, max_keys the cache of
 * localized keys; 0 picks the defaults.  An engine seen within the time
 * window (RFC 3414 3.2 step 7b, 150 s) is never evicted to make room:
 * while all are that fresh, traps from new engines are refused, so the
 * timeliness of a sender cannot be forgotten by a flood and its traps
 * replayed.  NULL on allocation failure.
 */
struct trapproc	*trapproc_new(size_t max_engines, size_t max_keys);
void		 trapproc_free(struct trapproc *tp);

/* Accept v1/v2c messages with this community (none: every one is
 * refused).  0 or -1. */
int		 trapproc_add_community(struct trapproc *tp, const char *c);
/*
 * Accept v3 messages from this user: the credential is made here
 * (passwords hashed once).  Several credentials may share a user name;
 * each is tried in turn (this is how priv_key_extension "auto" tries both
 * extensions).  engines: an allow-list of sender engine IDs for its traps
 * (n of them, each 1..32 octets), or none for any engine.  A message's
 * security level must be the credential's.  0, or -1 with lasterr (as
 * usm_cred_new).
 */
int		 trapproc_add_user(struct trapproc *tp,
		    const struct usm_cred_params *p,
		    const uint8_t *const *engines, const size_t *lens,
		    size_t n);
/*
 * The same for a credential already made (the config's trap users, hashed
 * when the config was loaded): tp takes a reference of its own.
 */
int		 trapproc_add_cred(struct trapproc *tp, struct usm_cred *cred,
		    const uint8_t *const *engines, const size_t *lens,
		    size_t n);
/*
 * Our engine (RFC 3411 snmpEngineID, snmpEngineBoots), authoritative for
 * informs; now is the monotonic second snmpEngineTime counts from.
 * Without one, v3 informs and discovery are refused (unknown engine).
 */
void		 trapproc_set_engine(struct trapproc *tp, const uint8_t *id,
		    size_t len, uint32_t boots, int64_t now);
/* Make Responses for informs (default true). */
void		 trapproc_set_auto_ack(struct trapproc *tp, bool on);
/*
 * Whether the caller can queue one more inform acknowledgement now
 * (default true).  Without room an inform that would be acknowledged is
 * refused (TRAPPROC_ACK_QUEUE_FULL) before any record is made: an inform
 * recorded but not answered would be recorded again when the sender
 * retransmits it.
 */
void		 trapproc_set_ack_room(struct trapproc *tp, bool room);
/*
 * Exchange the communities and users of tp and other (a reload builds
 * the new tables in a scratch trapproc, then swaps them in); tp keeps its
 * engines, statistics and the keys localized for credentials it still
 * has, and forgets the others' keys.
 */
void		 trapproc_swap_access(struct trapproc *tp,
		    struct trapproc *other);

/*
 * One datagram from `from`, received at `timestr` (the journal's time
 * format), on listener `listener` (its spec, for the record); now is
 * monotonic seconds.  Fills out; pointers in it stay valid until the next
 * call.  Never fails: problems are verdicts.
 */
void		 trapproc_input(struct trapproc *tp, const uint8_t *buf,
		    size_t len, const struct sockaddr *from,
		    const char *timestr, const char *listener, int64_t now,
		    struct trapproc_out *out);

/*
 * The same for one message framed out of a stream (TCP, RFC 3430): the
 * record also says "transport": transport (e.g. "tcp"), right after
 * "version".
 */
void		 trapproc_input_stream(struct trapproc *tp,
		    const char *transport, const uint8_t *buf, size_t len,
		    const struct sockaddr *from, const char *timestr,
		    const char *listener, int64_t now,
		    struct trapproc_out *out);

void		 trapproc_get_stats(const struct trapproc *tp,
		    struct trapproc_stats *st);

/* What the secure transport tells about a message's sender (trap_tsm.c). */
struct trapproc_tls {
	const char	*transport;		/* "dtls" */
	/* The tmSecurityName the cert-to-name rules gave (RFC 6353 7.3). */
	const char	*tm_security_name;
	const char	*fingerprint;		/* its certificate's, sha256 */
	bool		 use_prefix;		/* RFC 5591 "dtls:" prefix */
};

/*
 * One SNMP message that arrived over DTLS (RFC 6353) from `from`, for the
 * Transport Security Model (RFC 5591 5.2): SNMPv3, msgSecurityModel 4, a
 * plaintext ScopedPDU, any level (DTLS provides authPriv).  Traps and
 * informs are accepted (the record carries the transport, the security
 * name, tmSecurityName and the peer's fingerprint; an inform's Response
 * goes in out->reply, to be sent over the same association); an RFC 5343
 * contextEngineID probe (GET snmpEngineID.0 in context 0x8000000006)
 * gets TRAPPROC_REPORT with discovery set and our engine ID in the
 * Response.  Never fails: problems are verdicts.
 */
void		 trapproc_input_tsm(struct trapproc *tp, const uint8_t *buf,
		    size_t len, const struct sockaddr *from,
		    const struct trapproc_tls *tls, const char *timestr,
		    const char *listener, struct trapproc_out *out);
/* SNMP-TSM-MIB's counters for those messages. */
struct tsm_stats;
void		 trapproc_get_tsm_stats(const struct trapproc *tp,
		    struct tsm_stats *st);

/*
 * Our side of an SNMPv3 message we are authoritative for (RFC 3412 7.1:
 * Responses and Reports we send as the inform receiver, notifications we
 * send): our snmpEngineID, snmpEngineBoots and snmpEngineTime.
 */
struct trapproc_local {
	const uint8_t	*engine_id;
	size_t		 engine_id_len;
	uint32_t	 boots;
	uint32_t	 time;
};

/*
 * Encode an SNMPv3 message (RFC 3412 6, RFC 3414 3.1) from engine `me`:
 * pdu in a ScopedPDU with the given context, for user (userlen octets),
 * secured with u's keys (u localized for me->engine_id; NULL means
 * noAuthNoPriv) and encrypted when priv, its VarBindList copied from vbl
 * when not NULL (snmp_msg_encode_vbl).  The digest is computed over the
 * finished message.  s1, s2 and out are caller buffers of SNMPMGR_MAX_DGRAM
 * octets; the message lands in out, *start tells where.  A message longer
 * than maxlen fails with 118.  Returns its length, or -1 with lasterr.
 */
ssize_t		 trapproc_v3_encode(const struct trapproc_local *me,
		    struct usm_user *u, bool priv, int32_t msg_id,
		    const uint8_t *user, size_t userlen, const uint8_t *cengine,
		    size_t cenginelen, const uint8_t *cname, size_t cnamelen,
		    const struct snmp_pdu *pdu, const struct snmp_vbl *vbl,
		    size_t maxlen, uint8_t *s1, uint8_t *s2, uint8_t *out,
		    const uint8_t **start);

/*
 * RFC 3584 3.1 (2): the snmpTrapOID of an SNMPv1 Trap-PDU: a standard
 * generic trap g (0..5) is snmpTraps.(g+1), 1.3.6.1.6.3.1.1.5.(g+1); an
 * enterpriseSpecific one (6) is enterprise.0.specific.  0, or -1 for a
 * generic-trap outside 0..6, a negative specific-trap or an enterprise
 * too long to extend.
 */
int		 trapproc_v1_trap_oid(const struct snmp_pdu *pdu,
		    struct oid *out);
/*
 * RFC 3416 4.2.6/4.2.7: sysUpTime.0 and snmpTrapOID.0 of an SNMPv2-Trap
 * or InformRequest (the first two varbinds; snmpTrapOID.0 is also looked
 * for further on, for senders that leave out sysUpTime.0).  *uptime is
 * -1 without sysUpTime.0.  0, or -1 without a snmpTrapOID.0 holding an
 * OID.
 */
int		 trapproc_v2_fields(const struct snmp_pdu *pdu,
		    int64_t *uptime, struct oid *trap_oid);

#endif /* SNMPMGRD_TRAP_RX_H */
