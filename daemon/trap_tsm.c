/*
 * trap_tsm.c - the trap receiver's half for messages that arrived over a
 * secure transport (DTLS, RFC 6353) under the Transport Security Model
 * (RFC 5591): the transport has authenticated the sender and protected
 * the message, so what is left is the SNMPv3 header, the security name
 * and level, the PDU, the record and the answer.
 *
 * RFC 5591 5.2: msgSecurityModel 4, an empty msgSecurityParameters and a
 * plaintext ScopedPDU; the securityName is the transport's
 * tmSecurityName (the cert-to-name mapping of RFC 6353 7.3), with the
 * "dtls:" prefix when snmpTsmConfigurationUsePrefix is on; a message may
 * ask for any level up to the transport's (authPriv for DTLS).
 *
 * Besides traps and informs, one GET is answered: the RFC 5343
 * contextEngineID discovery (snmpEngineID.0 in the context
 * 0x8000000006), which Net-SNMP's snmpinform sends over DTLS before its
 * inform.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/tsm.h"
#include "core/v3.h"

#include "render.h"
#include "trap_rx.h"
#include "trap_rx_int.h"

/* The reason a message that tsm_decode() refused is counted under. */
static enum trapproc_reason
tsm_reason(int err)
{
	switch (err) {
	case SNMPMGR_ERR_VERSION:
		return TRAPPROC_BAD_VERSION;
	case SNMPMGR_ERR_SEC_MODEL:
		return TRAPPROC_UNSUPPORTED_SEC_MODEL;
	case SNMPMGR_ERR_SEC_LEVEL:
		return TRAPPROC_UNSUPPORTED_SEC_LEVEL;
	case SNMPMGR_ERR_PDU_TYPE:
		return TRAPPROC_UNEXPECTED_PDU;
	default:
		return TRAPPROC_MALFORMED;
	}
}

/*
 * A Response to msg (RFC 3416 4.2.7 for informs, 4.2.1 for the RFC 5343
 * probe) in the same context, at the same level, without the reportable
 * flag (RFC 3412 7.1 step 3); tooBig without varbinds when it does not
 * fit the sender's msgMaxSize.
 */
static void
tsm_respond(struct trapproc *tp, struct snmp_msg *msg,
    struct trapproc_out *out)
{
	struct v3_out	 o;
	const uint8_t	*pdu, *p;
	ssize_t		 n, m = -1;
	size_t		 max = msg->msg_max_size > 0 &&
			    (size_t)msg->msg_max_size < SNMPMGR_MAX_DTLS_MSG ?
			    (size_t)msg->msg_max_size : SNMPMGR_MAX_DTLS_MSG;
	int		 i;

	msg->pdu.type = SNMP_PDU_RESPONSE;
	msg->pdu.error_status = SNMP_ERR_NOERROR;
	msg->pdu.error_index = 0;
	for (i = 0; i < 2 && m == -1; i++) {
		if (i == 1) {
			msg->pdu.error_status = SNMP_ERR_TOOBIG;
			msg->pdu.nvb = 0;
		}
		if ((n = snmp_pdu_encode(&msg->pdu, tp->enc, SNMPMGR_MAX_DGRAM,
		    &pdu)) == -1)
			continue;
		memset(&o, 0, sizeof(o));
		o.msg_id = msg->msg_id;
		o.max_size = SNMPMGR_MAX_DTLS_MSG;
		o.flags = msg->msg_flags & (SNMP_MSGFLAG_AUTH |
		    SNMP_MSGFLAG_PRIV);
		o.ctx_engine_id = msg->context_engine_id;
		o.ctx_engine_id_len = msg->context_engine_id_len;
		o.ctx_name = msg->context_name;
		o.ctx_name_len = msg->context_name_len;
		o.pdu = pdu;
		o.pdu_len = (size_t)n;
		if ((m = v3_encode_tsm(&o, tp->reply, SNMPMGR_MAX_DGRAM,
		    &p)) != -1 && (size_t)m > max)
			m = -1;
	}
	if (m == -1)
		return;
	out->reply = p;
	out->replylen = (size_t)m;
}

/* RFC 5343 3: a GET of snmpEngineID.0 in the localEngineID context. */
static bool
tsm_is_probe(const struct snmp_msg *msg)
{
	const struct snmp_varbind *vb = msg->pdu.vb;

	return msg->pdu.type == SNMP_PDU_GET && msg->pdu.nvb == 1 &&
	    msg->context_engine_id_len == TSM_LOCAL_ENGINE_ID_LEN &&
	    memcmp(msg->context_engine_id, tsm_local_engine_id,
	    TSM_LOCAL_ENGINE_ID_LEN) == 0 &&
	    oid_cmp(&vb[0].name, &tsm_oid_snmp_engine_id0) == 0;
}

void
trapproc_input_tsm(struct trapproc *tp, const uint8_t *buf, size_t len,
    const struct sockaddr *from, const struct trapproc_tls *tls,
    const char *timestr, const char *listener, struct trapproc_out *out)
{
	struct snmp_msg	 msg;
	struct render_buf *b = &tp->rec;
	struct tp_notif	 notif;
	char		 secname[SNMPMGR_MAX_SECNAME_LEN + 1];
	bool		 inform;

	memset(out, 0, sizeof(*out));
	tp->st.packets++;
	msg.pdu.vb = tp->vb;
	msg.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
	/* RFC 5591 5.2 steps 1-4; DTLS provides authPriv. */
	if (tsm_decode(buf, len, TSM_LEVEL_PRIV, &msg, &tp->tsm) == -1) {
		tp_reject(tp, out, tsm_reason(snmpmgr_lasterr()), "%s",
		    snmpmgr_lasterr_detail());
		return;
	}
	/* Step 3: the securityName from the transport's tmSecurityName. */
	if (tsm_name_in(TSM_DOMAIN_DTLS, tls->use_prefix,
	    (const uint8_t *)tls->tm_security_name,
	    strlen(tls->tm_security_name), secname, sizeof(secname),
	    &tp->tsm) == -1) {
		tp_reject(tp, out, TRAPPROC_UNKNOWN_USER, "%s",
		    snmpmgr_lasterr_detail());
		return;
	}
	if (tsm_is_probe(&msg)) {
		if (tp->engine_id_len == 0) {
			tp_reject(tp, out, TRAPPROC_UNKNOWN_ENGINE, "RFC 5343 "
			    "contextEngineID probe and we have no engine ID");
			return;
		}
		msg.pdu.vb[0].value.type = SNMP_T_OCTETS;
		msg.pdu.vb[0].value.data = tp->engine_id;
		msg.pdu.vb[0].value.len = tp->engine_id_len;
		tsm_respond(tp, &msg, out);
		tp->st.discoveries++;
		out->verdict = TRAPPROC_REPORT;
		out->discovery = true;
		return;
	}
	inform = msg.pdu.type == SNMP_PDU_INFORM;
	if (msg.pdu.type != SNMP_PDU_TRAP && !inform) {
		tp_reject(tp, out, TRAPPROC_UNEXPECTED_PDU, "%s PDU on the "
		    "trap port", snmp_pdu_type_name(msg.pdu.type) ?
		    snmp_pdu_type_name(msg.pdu.type) : "unknown");
		return;
	}
	if (tp_notif_v2(&msg.pdu, &notif) == -1) {
		tp_reject(tp, out, TRAPPROC_MALFORMED, "%s without "
		    "snmpTrapOID.0", inform ? "InformRequest" : "SNMPv2-Trap");
		return;
	}
	if (inform && tp_inform_no_room(tp, out))
		return;
	tp_rec_begin(tp, timestr, inform, from, listener, "3");
	render_adds(b, ",\"transport\":");
	render_json_str(b, tls->transport, strlen(tls->transport));
	render_adds(b, ",\"security_model\":\"tsm\",\"security_name\":");
	render_json_str(b, secname, strlen(secname));
	render_adds(b, ",\"tm_security_name\":");
	render_json_str(b, tls->tm_security_name,
	    strlen(tls->tm_security_name));
	render_adds(b, ",\"peer_fingerprint\":");
	render_json_str(b, tls->fingerprint, strlen(tls->fingerprint));
	render_adds(b, ",\"security_level\":\"");
	render_adds(b, tsm_level_name(tsm_level_of_flags(msg.msg_flags)));
	render_adds(b, "\",\"context_engine_id\":");
	tp_hex(b, msg.context_engine_id, msg.context_engine_id_len);
	tp_text_field(b, "context_name", msg.context_name,
	    msg.context_name_len);
	render_adds(b, ",\"msg_id\":");
	render_i64(b, msg.msg_id);
	notif.who = tp_key_hash(tp_key_hash(tp_key_hash(4 + msg.msg_flags,
	    (const uint8_t *)secname, strlen(secname)), msg.context_engine_id,
	    msg.context_engine_id_len), msg.context_name,
	    msg.context_name_len);
	if (tp_rec_end(tp, out, true, msg.pdu.request_id, &notif,
	    &msg.pdu) == -1)
		return;
	out->inform = inform;
	tp->st.v3++;
	if (!inform) {
		tp->st.traps++;
		return;
	}
	tp->st.informs++;
	if (tp->auto_ack)
		tsm_respond(tp, &msg, out);
}

void
trapproc_get_tsm_stats(const struct trapproc *tp, struct tsm_stats *st)
{
	*st = tp->tsm;
}
