/*
 * v3.c - SNMPv3 messages with the User-based Security Model: one-pass
 * encoding of an outgoing message and the steps that open an incoming one.
 *
 * Outgoing (RFC 3412 7.1 step 9, RFC 3414 3.1.1): the BER writer fills the
 * buffer from its end, so the message is written last field first: the
 * ScopedPDU (or its ciphertext), then UsmSecurityParameters with a zeroed
 * digest field, the header, the version and the outer SEQUENCE.  The
 * digest field does not move as the rest is prepended, so once the message
 * is complete the HMAC goes straight into it.  The PDU itself comes
 * already encoded, so a retransmission re-encodes only the envelope (new
 * msgID, current engine time, fresh salt).
 *
 * Incoming (RFC 3412 7.2, RFC 3414 3.2): the codec has split the message;
 * the helpers here decode the security parameters, check the digest over
 * the datagram as received, and decrypt and decode the ScopedPDU.  The
 * caller runs them in the RFC's order with its own engine and time state.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ber.h"
#include "errors.h"
#include "limits.h"
#include "pdu.h"
#include "usm.h"
#include "v3.h"

/* RFC 3412 6: the ScopedPDU, last field first. */
static int
v3_write_scoped(struct ber_wr *w, const struct v3_out *o)
{
	size_t	 mark = ber_wr_len(w);

	if (o->ctx_engine_id_len > SNMPMGR_MAX_ENGINE_ID_LEN ||
	    o->ctx_name_len > SNMPMGR_MAX_CONTEXT_LEN) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET,
		    "contextEngineID or contextName too long");
		return -1;
	}
	if (o->pdu == NULL || o->pdu_len == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "no PDU");
		return -1;
	}
	if (ber_wr_raw(w, o->pdu, o->pdu_len) == -1 ||
	    ber_wr_octets(w, BER_TAG_OCTETS, o->ctx_name, o->ctx_name_len,
	    NULL) == -1 ||
	    ber_wr_octets(w, BER_TAG_OCTETS, o->ctx_engine_id,
	    o->ctx_engine_id_len, NULL) == -1 ||
	    ber_wr_close(w, BER_TAG_SEQUENCE, mark) == -1)
		return -1;
	return 0;
}

/*
 * RFC 3412 6: msgGlobalData with msgSecurityModel model in front of the
 * msgSecurityParameters already written, then msgVersion and the outer
 * SEQUENCE around the whole message.
 */
static int
v3_write_header(struct ber_wr *w, const struct v3_out *o, int32_t model)
{
	size_t	 mark = ber_wr_len(w);

	if (ber_wr_int(w, BER_TAG_INTEGER, model) == -1 ||
	    ber_wr_octets(w, BER_TAG_OCTETS, &o->flags, 1, NULL) == -1 ||
	    ber_wr_int(w, BER_TAG_INTEGER, o->max_size) == -1 ||
	    ber_wr_int(w, BER_TAG_INTEGER, o->msg_id) == -1 ||
	    ber_wr_close(w, BER_TAG_SEQUENCE, mark) == -1 ||
	    ber_wr_int(w, BER_TAG_INTEGER, SNMP_V3) == -1 ||
	    ber_wr_close(w, BER_TAG_SEQUENCE, 0) == -1)
		return -1;
	return 0;
}

ssize_t
v3_encode(const struct v3_out *o, uint8_t *buf, size_t size,
    uint8_t *scratch, size_t scratch_size, const uint8_t **out)
{
	struct ber_wr		 w, sw;
	struct usm_secparams	 sp;
	uint8_t			 salt[USM_PRIV_PARAMS_LEN];
	uint8_t			*authp = NULL, *ct;
	size_t			 mark, plen, clen;
	bool			 auth, priv;

	auth = (o->flags & SNMP_MSGFLAG_AUTH) != 0;
	priv = (o->flags & SNMP_MSGFLAG_PRIV) != 0;
	/* RFC 3412 7.1 step 4 / RFC 3411 3.4.3: no privacy without auth. */
	if (priv && !auth) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL,
		    "privacy without authentication");
		return -1;
	}
	if ((auth || priv) && o->u == NULL) {
		snmpmgr_seterr(auth ? SNMPMGR_ERR_NO_AUTH_KEY :
		    SNMPMGR_ERR_NOT_ENCRYPTED,
		    "no keys for the security level");
		return -1;
	}
	if (auth && usm_user_mac_len(o->u) == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_AUTH_KEY,
		    "user has no authentication protocol");
		return -1;
	}

	ber_wr_init(&w, buf, size);
	memset(salt, 0, sizeof(salt));
	if (priv) {
		/* RFC 3414 3.1.1 step 4: encrypt the ScopedPDU. */
		ber_wr_init(&sw, scratch, scratch_size);
		if (v3_write_scoped(&sw, o) == -1)
			return -1;
		plen = ber_wr_len(&sw);
		clen = usm_encrypted_len(o->u, plen);
		if (ber_wr_octets(&w, BER_TAG_OCTETS, NULL, clen, &ct) == -1)
			return -1;
		if (usm_encrypt(o->u, o->boots, o->time, ber_wr_data(&sw),
		    plen, ct, &clen, salt) == -1)
			return -1;
		if (clen != usm_encrypted_len(o->u, plen)) {
			snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
			    "ciphertext of unexpected length");
			return -1;
		}
	} else if (v3_write_scoped(&w, o) == -1)
		return -1;

	/* RFC 3414 2.4: msgSecurityParameters, digest zeroed for now. */
	memset(&sp, 0, sizeof(sp));
	sp.engine_id = o->engine_id;
	sp.engine_id_len = o->engine_id_len;
	sp.boots = o->boots;
	sp.time = o->time;
	sp.user = o->user;
	sp.user_len = o->user_len;
	sp.auth = NULL;
	sp.auth_len = auth ? usm_user_mac_len(o->u) : 0;
	sp.priv = priv ? salt : NULL;
	sp.priv_len = priv ? sizeof(salt) : 0;
	mark = ber_wr_len(&w);
	if (usm_secparams_write(&w, &sp, &authp) == -1 ||
	    ber_wr_close(&w, BER_TAG_OCTETS, mark) == -1)
		return -1;

	if (v3_write_header(&w, o, SNMP_SECMODEL_USM) == -1)
		return -1;

	/* RFC 3414 3.1.1 step 7 / 6.3.1, RFC 7860 4.2.1: sign in place. */
	if (auth && usm_auth_sign(o->u, ber_wr_data(&w), ber_wr_len(&w),
	    (size_t)(authp - ber_wr_data(&w))) == -1)
		return -1;
	*out = ber_wr_data(&w);
	return (ssize_t)ber_wr_len(&w);
}

/*
 * RFC 5591 4.2: the Transport Security Model's message is the USM one
 * without the security: msgSecurityModel 4, a zero-length
 * msgSecurityParameters (RFC 5591 3.2) and always a plaintext ScopedPDU,
 * the transport doing authentication and encryption.
 */
ssize_t
v3_encode_tsm(const struct v3_out *o, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	struct ber_wr	 w;

	/* RFC 3412 7.1 step 4 / RFC 3411 3.4.3: no privacy without auth. */
	if ((o->flags & V3_LEVEL_MASK) == SNMP_MSGFLAG_PRIV) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_LEVEL,
		    "privacy without authentication");
		return -1;
	}
	ber_wr_init(&w, buf, size);
	if (v3_write_scoped(&w, o) == -1 ||
	    ber_wr_octets(&w, BER_TAG_OCTETS, NULL, 0, NULL) == -1 ||
	    v3_write_header(&w, o, SNMP_SECMODEL_TSM) == -1)
		return -1;
	*out = ber_wr_data(&w);
	return (ssize_t)ber_wr_len(&w);
}

int
v3_check_header(const struct snmp_msg *msg, int32_t model)
{
	/* RFC 3412 7.2 step 4: a security model we implement. */
	if (msg->msg_security_model != model) {
		snmpmgr_seterr(SNMPMGR_ERR_SEC_MODEL,
		    "msgSecurityModel %d, only %s (%d) here",
		    msg->msg_security_model,
		    model == SNMP_SECMODEL_USM ? "USM" : "TSM", model);
		return -1;
	}
	/* RFC 3412 7.2 step 5: privacy without authentication is invalid. */
	if ((msg->msg_flags & V3_LEVEL_MASK) == SNMP_MSGFLAG_PRIV) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgFlags 0x%02x: privacy without authentication",
		    msg->msg_flags);
		return -1;
	}
	return 0;
}

int
v3_secparams(const struct snmp_msg *msg, struct usm_secparams *sp)
{
	if (v3_check_header(msg, SNMP_SECMODEL_USM) == -1)
		return -1;
	/* RFC 3414 3.2 step 1. */
	return usm_secparams_decode(msg->sec_params, msg->sec_params_len, sp);
}

int
v3_verify(struct usm_user *u, const uint8_t *buf, size_t len,
    const struct usm_secparams *sp)
{
	if (sp->auth == NULL || sp->auth < buf || sp->auth_len > len ||
	    (size_t)(sp->auth - buf) > len - sp->auth_len) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "msgAuthenticationParameters outside the message");
		return -1;
	}
	return usm_auth_verify(u, buf, len, (size_t)(sp->auth - buf),
	    sp->auth_len);
}

int
v3_decrypt(struct usm_user *u, struct snmp_msg *msg,
    const struct usm_secparams *sp, uint8_t *scratch, size_t size)
{
	char	 detail[256];
	size_t	 n;

	/* RFC 3414 3.2 step 8a: the privacy flag needs an encryptedPDU. */
	if (msg->encrypted == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
		    "privacy flag set but msgData is not encrypted");
		return -1;
	}
	if (msg->encrypted_len > size) {
		snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
		    "encryptedPDU of %zu octets", msg->encrypted_len);
		return -1;
	}
	if (usm_decrypt(u, sp->boots, sp->time, sp->priv, sp->priv_len,
	    msg->encrypted, msg->encrypted_len, scratch, &n) == -1)
		return -1;
	/* Step 8b: a ScopedPDU that does not decode is a decryption error. */
	if (snmp_scoped_pdu_decode(scratch, n, msg) == -1) {
		if (snmpmgr_lasterr() == SNMPMGR_ERR_DEFECTIVE) {
			snprintf(detail, sizeof(detail), "%s",
			    snmpmgr_lasterr_detail());
			snmpmgr_seterr(SNMPMGR_ERR_DECRYPT,
			    "decrypted ScopedPDU malformed: %s", detail);
		}
		return -1;
	}
	return 0;
}
