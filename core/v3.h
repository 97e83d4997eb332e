/*
 * v3.h - SNMPv3 message processing (RFC 3412 6 and 7) for the User-based
 * Security Model (RFC 3414 3.1 and 3.2): build a whole outgoing message in
 * one pass (ScopedPDU, encryption, UsmSecurityParameters, HMAC), and open
 * an incoming one step by step (security parameters, digest, privacy,
 * ScopedPDU).
 *
 * Nothing here keeps state: the caller (the session engine as a manager,
 * the trap receiver as an authoritative engine) decides which engine ID,
 * times and localized user apply, in which order the checks run, and what
 * to do when one fails.  Keys come in as struct usm_user (usm.h), already
 * localized, so nothing on this path hashes a password or localizes a key.
 */
#ifndef SNMPMGR_V3_H
#define SNMPMGR_V3_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pdu.h"
#include "usm.h"

/* The msgFlags security-level bits for a level (RFC 3411 5). */
#define V3_LEVEL_MASK	(SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV)

/* What goes into one outgoing message.  Pointers are borrowed. */
struct v3_out {
	int32_t		 msg_id;
	int32_t		 max_size;	/* msgMaxSize we announce */
	uint8_t		 flags;		/* SNMP_MSGFLAG_* */
	/* UsmSecurityParameters: the authoritative engine's view. */
	const uint8_t	*engine_id;
	size_t		 engine_id_len;
	uint32_t	 boots;
	uint32_t	 time;
	const uint8_t	*user;
	size_t		 user_len;
	/* Keys: needed when flags ask for authentication or privacy. */
	struct usm_user	*u;
	/* ScopedPDU (RFC 3412 6). */
	const uint8_t	*ctx_engine_id;
	size_t		 ctx_engine_id_len;
	const uint8_t	*ctx_name;
	size_t		 ctx_name_len;
	const uint8_t	*pdu;		/* one encoded PDU element */
	size_t		 pdu_len;
};

/*
 * Encode the message o describes into buf (RFC 3412 7.1 step 9, RFC 3414
 * 3.1.1): with SNMP_MSGFLAG_PRIV the ScopedPDU is built in scratch and
 * encrypted into buf (RFC 3414 3.1.1 step 4); with SNMP_MSGFLAG_AUTH the
 * digest is computed over the finished message and written in place
 * (RFC 3414 3.1.1 step 7).  Returns the length and sets *out to the start
 * inside buf, or -1 (118 too long, 327 privacy without authentication,
 * 330/315 when o->u lacks the keys, 313 cipher failure).
 */
ssize_t	 v3_encode(const struct v3_out *o, uint8_t *buf, size_t size,
	    uint8_t *scratch, size_t scratch_size, const uint8_t **out);

/*
 * The same message for the Transport Security Model (RFC 5591 4.2):
 * msgSecurityModel 4, an empty msgSecurityParameters and the ScopedPDU in
 * plaintext, whatever the level in o->flags (the secure transport
 * protects it).  Only msg_id, max_size, flags and the ScopedPDU fields of
 * o are used.  Same returns as v3_encode (118, 327).
 */
ssize_t	 v3_encode_tsm(const struct v3_out *o, uint8_t *buf, size_t size,
	    const uint8_t **out);

/*
 * RFC 3412 7.2 steps 4-5 for a message that snmp_msg_decode() accepted:
 * msgSecurityModel must be model (SNMP_SECMODEL_*) and the flags valid
 * (no privacy without authentication).  0 or -1 (316, 317).
 */
int	 v3_check_header(const struct snmp_msg *msg, int32_t model);

/*
 * RFC 3412 7.2 steps 3-5 and RFC 3414 3.2 step 1 for a message that
 * snmp_msg_decode() accepted: the security model must be USM, the flags
 * valid (no privacy without authentication), and msgSecurityParameters a
 * well-formed UsmSecurityParameters.  sp points into the message.  0 or
 * -1 (316, 317).
 */
int	 v3_secparams(const struct snmp_msg *msg, struct usm_secparams *sp);

/*
 * RFC 3414 3.2 step 6: check the digest of the whole datagram buf[0..len)
 * from which msg and sp were decoded.  Constant-time.  0 or -1 (308 wrong
 * digest or length, 317 when sp does not point into buf).
 */
int	 v3_verify(struct usm_user *u, const uint8_t *buf, size_t len,
	    const struct usm_secparams *sp);

/*
 * RFC 3414 3.2 step 8: decrypt msgData (with the boots and time the
 * message carries, as RFC 3826 3.1.4 wants) into scratch and decode the
 * ScopedPDU into msg, whose varbinds then point into scratch.  0 or -1
 * (313 not encrypted or wrong key, 323 bad salt, 317 malformed plaintext).
 */
int	 v3_decrypt(struct usm_user *u, struct snmp_msg *msg,
	    const struct usm_secparams *sp, uint8_t *scratch, size_t size);

#endif /* SNMPMGR_V3_H */
