/*
 * pdu.h - SNMP messages, PDUs, varbinds and values (RFC 1157, RFC 3416,
 * RFC 3412 6), encoded to and decoded from BER.
 *
 * Decoding is zero-copy: octet-string-like values, the community and the v3
 * message parts point into the caller's datagram buffer and are valid as
 * long as it is.  Varbind arrays are supplied by the caller; nothing here
 * allocates.  Encoders write into a caller buffer and fail with
 * SNMPMGR_ERR_MSG_TOO_LONG when it is too small.
 */
#ifndef SNMPMGR_PDU_H
#define SNMPMGR_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oid.h"

/* msgVersion values on the wire. */
enum snmp_version {
	SNMP_V1		= 0,
	SNMP_V2C	= 1,
	SNMP_V3		= 3,
};

/* PDU tags: context-specific, constructed (RFC 3416 3, RFC 1157 4.1). */
enum snmp_pdu_type {
	SNMP_PDU_GET		= 0xa0,
	SNMP_PDU_GETNEXT	= 0xa1,
	SNMP_PDU_RESPONSE	= 0xa2,
	SNMP_PDU_SET		= 0xa3,
	SNMP_PDU_TRAP_V1	= 0xa4,
	SNMP_PDU_GETBULK	= 0xa5,
	SNMP_PDU_INFORM		= 0xa6,
	SNMP_PDU_TRAP		= 0xa7,
	SNMP_PDU_REPORT		= 0xa8,
};

/* Value tags (RFC 2578 7.1, RFC 3416 3, RFC 2576 for NsapAddress/UInteger32). */
enum snmp_type {
	SNMP_T_INTEGER		= 0x02,
	SNMP_T_OCTETS		= 0x04,
	SNMP_T_NULL		= 0x05,
	SNMP_T_OID		= 0x06,
	SNMP_T_IPADDR		= 0x40,
	SNMP_T_COUNTER32	= 0x41,
	SNMP_T_GAUGE32		= 0x42,
	SNMP_T_TIMETICKS	= 0x43,
	SNMP_T_OPAQUE		= 0x44,
	SNMP_T_NSAP		= 0x45,
	SNMP_T_COUNTER64	= 0x46,
	SNMP_T_UINTEGER32	= 0x47,
	SNMP_T_NOSUCHOBJECT	= 0x80,
	SNMP_T_NOSUCHINSTANCE	= 0x81,
	SNMP_T_ENDOFMIBVIEW	= 0x82,
};

/* noSuchObject, noSuchInstance or endOfMibView: a varbind with no value. */
static inline bool
snmp_type_is_exception(uint8_t type)
{
	return type == SNMP_T_NOSUCHOBJECT || type == SNMP_T_NOSUCHINSTANCE ||
	    type == SNMP_T_ENDOFMIBVIEW;
}

/* error-status values 0..18 (RFC 3416 3). */
enum snmp_error_status {
	SNMP_ERR_NOERROR		= 0,
	SNMP_ERR_TOOBIG			= 1,
	SNMP_ERR_NOSUCHNAME		= 2,
	SNMP_ERR_BADVALUE		= 3,
	SNMP_ERR_READONLY		= 4,
	SNMP_ERR_GENERR			= 5,
	SNMP_ERR_NOACCESS		= 6,
	SNMP_ERR_WRONGTYPE		= 7,
	SNMP_ERR_WRONGLENGTH		= 8,
	SNMP_ERR_WRONGENCODING		= 9,
	SNMP_ERR_WRONGVALUE		= 10,
	SNMP_ERR_NOCREATION		= 11,
	SNMP_ERR_INCONSISTENTVALUE	= 12,
	SNMP_ERR_RESOURCEUNAVAILABLE	= 13,
	SNMP_ERR_COMMITFAILED		= 14,
	SNMP_ERR_UNDOFAILED		= 15,
	SNMP_ERR_AUTHORIZATIONERROR	= 16,
	SNMP_ERR_NOTWRITABLE		= 17,
	SNMP_ERR_INCONSISTENTNAME	= 18,
};

/*
 * One value.  Which fields are meaningful depends on type:
 *   INTEGER                          i
 *   Counter32, Gauge32, TimeTicks,
 *   UInteger32, Counter64            u
 *   OCTET STRING, IpAddress (4),
 *   Opaque, NsapAddress              data, len (the content octets)
 *   OBJECT IDENTIFIER                data, len (BER content octets; decode
 *                                    with oid_from_ber)
 *   NULL and the exception values    nothing
 * data is not owned: it points into a datagram or into caller memory.
 */
struct snmp_value {
	uint8_t		 type;
	union {
		int64_t	 i;
		uint64_t u;
	};
	const uint8_t	*data;
	size_t		 len;
};

struct snmp_varbind {
	struct oid		name;
	struct snmp_value	value;
};

/*
 * A VarBindList encoded once (snmp_vbl_encode) and copied into every
 * message that sends the same varbinds: a poll's request differs from the
 * last only in its request-id, and encoding ten names anew was a third of
 * the daemon's instructions per poll.  The octets are the whole element,
 * tag and length included.
 */
struct snmp_vbl {
	const uint8_t	*p;
	size_t		 len;
};

struct snmp_pdu {
	uint8_t		 type;		/* enum snmp_pdu_type */
	int32_t		 request_id;
	int32_t		 error_status;	/* non-repeaters for GetBulk */
	int32_t		 error_index;	/* max-repetitions for GetBulk */

	/* Trap-PDU of SNMPv1 only (RFC 1157 4.1.6). */
	struct oid	 enterprise;
	uint8_t		 agent_addr[4];
	int32_t		 generic_trap;
	int32_t		 specific_trap;
	uint32_t	 time_stamp;

	/* Caller-owned array: nvb used of maxvb. */
	struct snmp_varbind *vb;
	size_t		 nvb;
	size_t		 maxvb;
	/* Set by the decoders: NULL, or the caller's array of maxvb that
	 * the *_raw decoders filled instead of vb. */
	struct snmp_vbraw *raw;
	/* Set by the decoders: the VarBindList element as it came, for
	 * who sends the same varbinds back (an inform's Response) without
	 * decoding them. */
	struct snmp_vbl	 vblist;
};

/*
 * A varbind as the *_raw decoders leave it: the name checked as
 * oid_from_ber() checks it but not decoded (its content octets, in the
 * message), the value decoded as in struct snmp_varbind.  For who only
 * copies or prints names (the trap journal).
 */
struct snmp_vbraw {
	const uint8_t		*name;
	size_t			 namelen;
	struct snmp_value	 value;
	bool			 asked;		/* the name asked for at this
						 * place (decode_expect) */
};

/* msgFlags bits (RFC 3412 6.4). */
#define SNMP_MSGFLAG_AUTH	0x01
#define SNMP_MSGFLAG_PRIV	0x02
#define SNMP_MSGFLAG_REPORT	0x04

/* msgSecurityModel values (RFC 3411 5, RFC 5591). */
#define SNMP_SECMODEL_USM	3
#define SNMP_SECMODEL_TSM	4

struct snmp_msg {
	int32_t		 version;	/* enum snmp_version */

	/* v1 and v2c */
	const uint8_t	*community;
	size_t		 community_len;

	/*
	 * v3 (RFC 3412 6): the header, the raw msgSecurityParameters
	 * content and the msgData.  When msgData is a plaintext ScopedPDU the
	 * decoder also fills the context fields and pdu; when it is encrypted
	 * (an OCTET STRING) only encrypted/encrypted_len are set and the
	 * security module decrypts and calls snmp_scoped_pdu_decode().
	 */
	int32_t		 msg_id;
	int32_t		 msg_max_size;
	uint8_t		 msg_flags;
	int32_t		 msg_security_model;
	const uint8_t	*sec_params;	/* content of the OCTET STRING */
	size_t		 sec_params_len;
	const uint8_t	*encrypted;	/* content of the encryptedPDU */
	size_t		 encrypted_len;
	const uint8_t	*context_engine_id;
	size_t		 context_engine_id_len;
	const uint8_t	*context_name;
	size_t		 context_name_len;

	struct snmp_pdu	 pdu;
};

/*
 * Decode a whole message.  msg->pdu.vb and msg->pdu.maxvb must be set by the
 * caller; more varbinds than maxvb (or SNMPMGR_MAX_VARBINDS) fail with
 * SNMPMGR_ERR_TOO_MANY_OBJECTS, the detail saying how many the list held
 * ("2100 varbinds, more than 2048").  That failure comes after everything
 * before the varbinds was read: the header fields of msg and the type,
 * request_id, error_status and error_index of its pdu are set (nvb is 0),
 * so a receiver can tell whose answer went past the bound.  Other
 * failures: SNMPMGR_ERR_DEFECTIVE (malformed BER or structure, with a
 * detail naming the part), SNMPMGR_ERR_VERSION, SNMPMGR_ERR_PDU_TYPE.
 * Returns 0 or -1.
 */
int	 snmp_msg_decode(const uint8_t *buf, size_t len, struct snmp_msg *msg);
/*
 * The same, the same checks and errors, with the varbinds into raw
 * (msg->pdu.maxvb of them) instead of msg->pdu.vb: msg->pdu.raw is raw.
 */
int	 snmp_msg_decode_raw(const uint8_t *buf, size_t len,
	    struct snmp_msg *msg, struct snmp_vbraw *raw);

/*
 * The same for the answer to a v1 or v2c request that sent the
 * VarBindList asked (struct snmp_vbl, encoded here): a name that is the
 * one asked for at its place is not checked again and is marked
 * raw[i].asked.  An answer holds the names it was asked for, so a get's
 * answer is matched without decoding any name (a third of the decoding
 * of a poll's answer of ten).  Otherwise as snmp_msg_decode_raw, whose
 * checks and errors are the same; asked is not used for SNMPv3.
 */
int	 snmp_msg_decode_expect(const uint8_t *buf, size_t len,
	    struct snmp_msg *msg, struct snmp_vbraw *raw,
	    const struct snmp_vbl *asked);
/*
 * The request-id of a v1 or v2c message, read without decoding the rest
 * (to know whose answer it is before decoding it): 0, or -1 (lasterr
 * set) when buf does not begin as one.
 */
int	 snmp_msg_peek_id(const uint8_t *buf, size_t len, int32_t *id);
/* Raw varbinds (names checked) into vb[0..n): 0, or -1 with lasterr. */
int	 snmp_vbraw_decode(const struct snmp_vbraw *raw, size_t n,
	    struct snmp_varbind *vb);
/*
 * Decode a plaintext ScopedPDU (RFC 3412 6) into msg's context and pdu;
 * buf starts with its SEQUENCE tag.  Octets after the SEQUENCE are
 * ignored: decrypted data may end in cipher padding (RFC 3414 8.1.1.3).
 * msg's v3 header fields are left as they are.
 */
int	 snmp_scoped_pdu_decode(const uint8_t *buf, size_t len,
	    struct snmp_msg *msg);
int	 snmp_scoped_pdu_decode_raw(const uint8_t *buf, size_t len,
	    struct snmp_msg *msg, struct snmp_vbraw *raw);

/* Decode one PDU element (tag and all) into pdu.  0 or -1. */
int	 snmp_pdu_decode(const uint8_t *buf, size_t len, struct snmp_pdu *pdu);

/* Encode vb[0..nvb) as a VarBindList element, same conventions as
 * snmp_msg_encode. */
ssize_t	 snmp_vbl_encode(const struct snmp_varbind *vb, size_t nvb,
	    uint8_t *buf, size_t size, const uint8_t **out);

/*
 * Encode a v1 or v2c message (community and pdu) into buf.  Returns the
 * message length and sets *out to where it starts inside buf (encoders may
 * write from the end of the buffer backwards), or -1.
 */
ssize_t	 snmp_msg_encode(const struct snmp_msg *msg, uint8_t *buf,
	    size_t size, const uint8_t **out);

/* Encode one PDU element, same conventions as snmp_msg_encode. */
ssize_t	 snmp_pdu_encode(const struct snmp_pdu *pdu, uint8_t *buf,
	    size_t size, const uint8_t **out);

/*
 * The same two with the PDU's VarBindList copied from vbl (NULL: encoded
 * from pdu->vb); vbl must be pdu->vb's encoding, nvb their number.
 */
ssize_t	 snmp_msg_encode_vbl(const struct snmp_msg *msg,
	    const struct snmp_vbl *vbl, uint8_t *buf, size_t size,
	    const uint8_t **out);
ssize_t	 snmp_pdu_encode_vbl(const struct snmp_pdu *pdu,
	    const struct snmp_vbl *vbl, uint8_t *buf, size_t size,
	    const uint8_t **out);

/*
 * Encode a ScopedPDU (RFC 3412 6): SEQUENCE { contextEngineID, contextName,
 * PDU } from msg's context fields and pdu.  Same conventions as
 * snmp_msg_encode.  The result is the plaintext msgData, or what the
 * privacy module encrypts.
 */
ssize_t	 snmp_scoped_pdu_encode(const struct snmp_msg *msg, uint8_t *buf,
	    size_t size, const uint8_t **out);
/* The same with the PDU's VarBindList copied from vbl (NULL: from
 * msg->pdu.vb), as snmp_msg_encode_vbl. */
ssize_t	 snmp_scoped_pdu_encode_vbl(const struct snmp_msg *msg,
	    const struct snmp_vbl *vbl, uint8_t *buf, size_t size,
	    const uint8_t **out);

/*
 * Encode a v3 message (RFC 3412 6): msgVersion 3, msgGlobalData from
 * msg->msg_id, msg_max_size, msg_flags and msg_security_model, then
 * msgSecurityParameters as an OCTET STRING whose content is the
 * sec_params_len octets at sec_params (already encoded by the security
 * module; NULL means that many zero octets), then msg_data copied as is.
 * msg_data must be a whole encoded ScopedPduData element: the ScopedPDU
 * SEQUENCE from snmp_scoped_pdu_encode() when not encrypted, or the
 * encryptedPDU OCTET STRING element (tag 0x04, length and ciphertext) when
 * encrypted.  Same conventions as snmp_msg_encode.
 */
ssize_t	 snmp_msg_encode_v3(const struct snmp_msg *msg,
	    const uint8_t *sec_params, size_t sec_params_len,
	    const uint8_t *msg_data, size_t msg_data_len, uint8_t *buf,
	    size_t size, const uint8_t **out);
/*
 * The same, and *sec_params_off gets the offset from *out of the first
 * content octet of msgSecurityParameters, so the security module can find
 * and fill in a digest field it left zero (RFC 3414 6.3.1 step 2).
 */
ssize_t	 snmp_msg_encode_v3_off(const struct snmp_msg *msg,
	    const uint8_t *sec_params, size_t sec_params_len,
	    const uint8_t *msg_data, size_t msg_data_len, uint8_t *buf,
	    size_t size, const uint8_t **out, size_t *sec_params_off);

/* "noError" ... "inconsistentName"; NULL outside 0..18. */
const char *snmp_error_status_name(int status);
/* "Integer32", "OCTET STRING", ..., "endOfMibView" (SPEC 3); NULL if unknown. */
const char *snmp_type_name(uint8_t type);
/* "GetRequest", "Response", ...; NULL if unknown. */
const char *snmp_pdu_type_name(uint8_t type);

#endif /* SNMPMGR_PDU_H */
