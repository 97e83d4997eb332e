/*
 * check_tsm.c - the Transport Security Model (RFC 5591): the message with
 * msgSecurityModel 4 and empty security parameters (byte for byte for the
 * RFC 5343 contextEngineID probe), the prefix rules of 4.2 and 5.2 step 3
 * with their SNMP-TSM-MIB counters, and the level check of 5.2 step 4.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/tsm.h"
#include "core/v3.h"
#include "check_fakeio.h"
#include "check_main.h"

/* RFC 5343 3: GET snmpEngineID.0 (1.3.6.1.6.3.10.2.1.1.0), request-id 1. */
static const uint8_t probe_pdu[] = {
	0xa0, 0x1b, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
	0x30, 0x10, 0x30, 0x0e, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x06, 0x03,
	0x0a, 0x02, 0x01, 0x01, 0x00, 0x05, 0x00,
};
/* RFC 5343 3: the well-known localEngineID as contextEngineID. */
static const uint8_t local_engine[] = { 0x80, 0x00, 0x00, 0x00, 0x04 };

/* The whole probe under TSM, noAuthNoPriv, reportable (RFC 5591 4.2). */
static const uint8_t probe_msg[] = {
	0x30, 0x40,
	0x02, 0x01, 0x03,				/* msgVersion 3 */
	0x30, 0x11,					/* msgGlobalData */
	0x02, 0x04, 0x12, 0x34, 0x56, 0x78,		/* msgID */
	0x02, 0x03, 0x00, 0xff, 0xe3,			/* msgMaxSize 65507 */
	0x04, 0x01, 0x04,				/* msgFlags: reportable */
	0x02, 0x01, 0x04,				/* msgSecurityModel TSM */
	0x04, 0x00,					/* empty securityParameters */
	0x30, 0x26,					/* ScopedPDU */
	0x04, 0x05, 0x80, 0x00, 0x00, 0x00, 0x04,
	0x04, 0x00,
	0xa0, 0x1b, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
	0x30, 0x10, 0x30, 0x0e, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x06, 0x03,
	0x0a, 0x02, 0x01, 0x01, 0x00, 0x05, 0x00,
};

static void
probe_out(struct v3_out *o, uint8_t flags)
{
	memset(o, 0, sizeof(*o));
	o->msg_id = 0x12345678;
	o->max_size = 65507;
	o->flags = flags;
	o->ctx_engine_id = local_engine;
	o->ctx_engine_id_len = sizeof(local_engine);
	o->pdu = probe_pdu;
	o->pdu_len = sizeof(probe_pdu);
}

START_TEST(tsm_encodes_the_rfc5343_probe_byte_for_byte)
{
	struct v3_out	 o;
	uint8_t		 buf[256];
	const uint8_t	*out;
	ssize_t		 n;

	probe_out(&o, tsm_flags(TSM_LEVEL_NOAUTH, true));
	ck_assert_uint_eq(o.flags, SNMP_MSGFLAG_REPORT);
	n = tsm_encode(&o, TSM_LEVEL_PRIV, buf, sizeof(buf), &out);
	ck_assert_int_eq(n, (ssize_t)sizeof(probe_msg));
	ck_assert_mem_eq(out, probe_msg, sizeof(probe_msg));
}
END_TEST

START_TEST(tsm_authpriv_message_is_plaintext_with_flags_7)
{
	struct v3_out		 o;
	struct snmp_varbind	 vb[4];
	struct snmp_msg		 m;
	uint8_t			 buf[256];
	const uint8_t		*out;
	ssize_t			 n;

	probe_out(&o, tsm_flags(TSM_LEVEL_PRIV, true));
	ck_assert_uint_eq(o.flags, 0x07);
	n = tsm_encode(&o, TSM_LEVEL_PRIV, buf, sizeof(buf), &out);
	ck_assert_int_eq(n, (ssize_t)sizeof(probe_msg));
	/* Only msgFlags differ from the noAuthNoPriv probe. */
	ck_assert_mem_eq(out, probe_msg, 20);
	ck_assert_uint_eq(out[20], 0x07);
	ck_assert_mem_eq(out + 21, probe_msg + 21, sizeof(probe_msg) - 21);

	memset(&m, 0, sizeof(m));
	m.pdu.vb = vb;
	m.pdu.maxvb = 4;
	ck_assert_int_eq(tsm_decode(out, (size_t)n, TSM_LEVEL_PRIV, &m, NULL),
	    0);
	ck_assert_int_eq(m.msg_security_model, SNMP_SECMODEL_TSM);
	ck_assert_uint_eq(m.sec_params_len, 0);
	ck_assert_ptr_null(m.encrypted);
	ck_assert_uint_eq(m.context_engine_id_len, sizeof(local_engine));
	ck_assert_mem_eq(m.context_engine_id, local_engine,
	    sizeof(local_engine));
	ck_assert_uint_eq(m.pdu.type, SNMP_PDU_GET);
	ck_assert_uint_eq(m.pdu.nvb, 1);
	ck_assert_int_eq(tsm_level_of_flags(m.msg_flags), TSM_LEVEL_PRIV);
}
END_TEST

START_TEST(tsm_refuses_to_send_above_the_transport_level)
{
	struct v3_out	 o;
	uint8_t		 buf[256];
	const uint8_t	*out;

	probe_out(&o, tsm_flags(TSM_LEVEL_PRIV, false));
	ck_assert_int_eq(tsm_encode(&o, TSM_LEVEL_AUTH, buf, sizeof(buf),
	    &out), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEC_LEVEL);
	/* RFC 3411 3.4.3: privacy without authentication is no level. */
	probe_out(&o, SNMP_MSGFLAG_PRIV);
	ck_assert_int_eq(v3_encode_tsm(&o, buf, sizeof(buf), &out), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEC_LEVEL);
	/* Too small a buffer. */
	probe_out(&o, 0);
	ck_assert_int_eq(tsm_encode(&o, TSM_LEVEL_PRIV, buf, 40, &out), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
}
END_TEST

/* RFC 5591 5.2 step 4: at or below the transport's level is accepted. */
START_TEST(tsm_level_at_or_below_the_transport_is_accepted)
{
	struct tsm_stats	 st;
	int			 t, l;

	memset(&st, 0, sizeof(st));
	for (t = TSM_LEVEL_NOAUTH; t <= TSM_LEVEL_PRIV; t++)
		for (l = TSM_LEVEL_NOAUTH; l <= TSM_LEVEL_PRIV; l++) {
			snmpmgr_clearerr();
			ck_assert_int_eq(tsm_check_level(l, t, &st),
			    l <= t ? 0 : -1);
			if (l > t)
				ck_assert_int_eq(snmpmgr_lasterr(),
				    SNMPMGR_ERR_SEC_LEVEL);
		}
	/* (auth over noauth), (priv over noauth), (priv over auth). */
	ck_assert_uint_eq(st.inadequate_levels, 3);
	ck_assert_uint_eq(st.unknown_prefixes + st.invalid_prefixes +
	    st.invalid_caches, 0);
}
END_TEST

START_TEST(tsm_decode_counts_an_inadequate_level)
{
	struct v3_out		 o;
	struct snmp_varbind	 vb[4];
	struct snmp_msg		 m;
	struct tsm_stats	 st;
	uint8_t			 buf[256];
	const uint8_t		*out;
	ssize_t			 n;

	memset(&st, 0, sizeof(st));
	probe_out(&o, tsm_flags(TSM_LEVEL_PRIV, true));
	n = tsm_encode(&o, TSM_LEVEL_PRIV, buf, sizeof(buf), &out);
	ck_assert_int_gt(n, 0);
	memset(&m, 0, sizeof(m));
	m.pdu.vb = vb;
	m.pdu.maxvb = 4;
	ck_assert_int_eq(tsm_decode(out, (size_t)n, TSM_LEVEL_AUTH, &m, &st),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEC_LEVEL);
	ck_assert_uint_eq(st.inadequate_levels, 1);
	/* The noAuthNoPriv probe over any transport: accepted. */
	ck_assert_int_eq(tsm_decode(probe_msg, sizeof(probe_msg),
	    TSM_LEVEL_AUTH, &m, &st), 0);
	ck_assert_uint_eq(st.inadequate_levels, 1);
}
END_TEST

START_TEST(tsm_decode_refuses_other_models_and_encrypted_data)
{
	struct snmp_varbind	 vb[4];
	struct snmp_msg		 m;
	uint8_t			 b[sizeof(probe_msg)];
	/* v2c get of sysUpTime.0. */
	static const uint8_t v2c[] = {
		0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62,
		0x6c, 0x69, 0x63, 0xa0, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01,
		0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08,
		0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00,
	};
	/* msgData an encryptedPDU (OCTET STRING) under TSM. */
	static const uint8_t enc[] = {
		0x30, 0x1e, 0x02, 0x01, 0x03, 0x30, 0x11, 0x02, 0x04, 0x12,
		0x34, 0x56, 0x78, 0x02, 0x03, 0x00, 0xff, 0xe3, 0x04, 0x01,
		0x07, 0x02, 0x01, 0x04, 0x04, 0x00, 0x04, 0x04, 0xde, 0xad,
		0xbe, 0xef,
	};

	memset(&m, 0, sizeof(m));
	m.pdu.vb = vb;
	m.pdu.maxvb = 4;
	ck_assert_int_eq(tsm_decode(v2c, sizeof(v2c), TSM_LEVEL_PRIV, &m,
	    NULL), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);

	memcpy(b, probe_msg, sizeof(b));
	b[23] = SNMP_SECMODEL_USM;
	ck_assert_int_eq(tsm_decode(b, sizeof(b), TSM_LEVEL_PRIV, &m, NULL),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEC_MODEL);
	/* And USM refuses TSM's, as before. */
	{
		struct usm_secparams	 sp;

		ck_assert_int_eq(snmp_msg_decode(probe_msg, sizeof(probe_msg),
		    &m), 0);
		ck_assert_int_eq(v3_secparams(&m, &sp), -1);
		ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEC_MODEL);
	}

	memcpy(b, probe_msg, sizeof(b));
	b[20] = SNMP_MSGFLAG_PRIV;
	ck_assert_int_eq(tsm_decode(b, sizeof(b), TSM_LEVEL_PRIV, &m, NULL),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);

	ck_assert_int_eq(tsm_decode(enc, sizeof(enc), TSM_LEVEL_PRIV, &m,
	    NULL), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);

	ck_assert_int_eq(tsm_decode(probe_msg, sizeof(probe_msg) - 1,
	    TSM_LEVEL_PRIV, &m, NULL), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
}
END_TEST

/* RFC 5591 4.2 step 2: the prefix is checked and stripped on the way out. */
START_TEST(tsm_outgoing_prefix_rules)
{
	struct tsm_stats	 st;
	const char		*tm;
	size_t			 n;

	memset(&st, 0, sizeof(st));
	/* Without the option the name goes out as it is. */
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, false, "dtls:ops", 8,
	    &tm, &n, &st), 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(tm, "dtls:ops", 8);

	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "dtls:ops", 8,
	    &tm, &n, &st), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(tm, "ops", 3);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_TLS, true, "tls:a", 5,
	    &tm, &n, &st), 0);
	ck_assert_mem_eq(tm, "a", 1);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_SSH, true, "ssh:root", 8,
	    &tm, &n, &st), 0);
	ck_assert_uint_eq(st.invalid_prefixes + st.unknown_prefixes, 0);

	/* Another domain's prefix, none, case or an empty rest: invalid. */
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "tls:ops", 7,
	    &tm, &n, &st), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_USER_NAME);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "ops", 3,
	    &tm, &n, &st), -1);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "DTLS:ops", 8,
	    &tm, &n, &st), -1);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "dtls", 4,
	    &tm, &n, &st), -1);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "dtls:", 5,
	    &tm, &n, &st), -1);
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_DTLS, true, "dtlsx:ops", 9,
	    &tm, &n, &st), -1);
	ck_assert_uint_eq(st.invalid_prefixes, 6);
	/* A transport without a known prefix. */
	ck_assert_int_eq(tsm_name_out(TSM_DOMAIN_NONE, true, "dtls:ops", 8,
	    &tm, &n, &st), -1);
	ck_assert_uint_eq(st.unknown_prefixes, 1);
	ck_assert_uint_eq(st.invalid_prefixes, 6);
}
END_TEST

/* RFC 5591 5.2 step 3: the prefix is added on the way in. */
START_TEST(tsm_incoming_prefix_rules)
{
	struct tsm_stats	 st;
	char			 out[SNMPMGR_MAX_SECNAME_LEN + 1];
	uint8_t			 long_name[40];

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, true,
	    (const uint8_t *)"ops", 3, out, sizeof(out), &st), 0);
	ck_assert_str_eq(out, "dtls:ops");
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_SSH, true,
	    (const uint8_t *)"ops", 3, out, sizeof(out), &st), 0);
	ck_assert_str_eq(out, "ssh:ops");
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, false,
	    (const uint8_t *)"ops", 3, out, sizeof(out), &st), 0);
	ck_assert_str_eq(out, "ops");

	/* 32 octets in all is the most (SnmpAdminString (SIZE(1..32))). */
	memset(long_name, 'a', sizeof(long_name));
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, true, long_name, 27,
	    out, sizeof(out), &st), 0);
	ck_assert_uint_eq(strlen(out), 32);
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, true, long_name, 28,
	    out, sizeof(out), &st), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_USER_NAME);
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, false, long_name, 32,
	    out, sizeof(out), &st), 0);
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, false, long_name, 33,
	    out, sizeof(out), &st), -1);
	/* Nor empty, nor with a NUL inside, nor past the caller's buffer. */
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, false,
	    (const uint8_t *)"", 0, out, sizeof(out), &st), -1);
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, false,
	    (const uint8_t *)"a\0b", 3, out, sizeof(out), &st), -1);
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_DTLS, true,
	    (const uint8_t *)"ops", 3, out, 8, &st), -1);
	ck_assert_uint_eq(st.unknown_prefixes, 0);
	/* A domain without a known prefix (snmpTsmUnknownPrefixes). */
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_NONE, true,
	    (const uint8_t *)"ops", 3, out, sizeof(out), &st), -1);
	ck_assert_uint_eq(st.unknown_prefixes, 1);
	ck_assert_int_eq(tsm_name_in(TSM_DOMAIN_NONE, false,
	    (const uint8_t *)"ops", 3, out, sizeof(out), &st), 0);
}
END_TEST

START_TEST(tsm_names_and_flags)
{
	ck_assert_str_eq(tsm_prefix(TSM_DOMAIN_DTLS), "dtls");
	ck_assert_str_eq(tsm_prefix(TSM_DOMAIN_TLS), "tls");
	ck_assert_str_eq(tsm_prefix(TSM_DOMAIN_SSH), "ssh");
	ck_assert_ptr_null(tsm_prefix(TSM_DOMAIN_NONE));
	ck_assert_str_eq(tsm_level_name(TSM_LEVEL_NOAUTH), "noAuthNoPriv");
	ck_assert_str_eq(tsm_level_name(TSM_LEVEL_AUTH), "authNoPriv");
	ck_assert_str_eq(tsm_level_name(TSM_LEVEL_PRIV), "authPriv");
	ck_assert_ptr_null(tsm_level_name(0));
	ck_assert_uint_eq(tsm_flags(TSM_LEVEL_NOAUTH, false), 0);
	ck_assert_uint_eq(tsm_flags(TSM_LEVEL_AUTH, true), 0x05);
	ck_assert_int_eq(tsm_level_of_flags(0x04), TSM_LEVEL_NOAUTH);
	ck_assert_int_eq(tsm_level_of_flags(0x01), TSM_LEVEL_AUTH);
	ck_assert_int_eq(tsm_level_of_flags(0x03), TSM_LEVEL_PRIV);
	ck_assert_int_eq(tsm_level_of_flags(0x02), 0);
}
END_TEST


/* ------------------------------------------------- sessions under TSM */

static struct sess *
tk_sess(struct sess_mgr *m, struct sess_opts *o)
{
	struct sess	*s;

	sess_opts_default(o);
	snprintf(o->host, sizeof(o->host), "192.0.2.1");
	o->transport = SESS_TRANSPORT_DTLS;
	o->port = 10161;
	o->version = SNMP_V3;
	o->timeout_ms = 1000;
	o->retries = 1;
	s = sess_new(m, o);
	ck_assert_msg(s != NULL, "sess_new: %s", snmpmgr_lasterr_detail());
	return s;
}

/* Datagram i as the agent reads it. */
static void
tk_sent(int i, struct snmp_msg *msg, struct snmp_varbind *vb)
{
	memset(msg, 0, sizeof(*msg));
	msg->pdu.vb = vb;
	msg->pdu.maxvb = 4;
	ck_assert_int_eq(snmp_msg_decode(fk.sent[i].buf, fk.sent[i].len, msg), 0);
}

/* The agent answers msg with one varbind, at msgFlags flags, under
 * contextEngineID ctx (what Net-SNMP echoes is not checked). */
static void
tk_answer(struct sess_mgr *m, const struct snmp_msg *q, uint8_t flags,
    const uint8_t *ctx, size_t ctxlen, const struct snmp_value *val)
{
	struct snmp_varbind vb;
	struct snmp_pdu	 pdu;
	struct v3_out	 o;
	struct sockaddr_in sin;
	uint8_t		 pbuf[512], mbuf[1024];
	const uint8_t	*p, *out;
	ssize_t		 plen, mlen;

	memset(&pdu, 0, sizeof(pdu));
	vb = q->pdu.vb[0];
	vb.value = *val;
	pdu.type = SNMP_PDU_RESPONSE;
	pdu.request_id = q->pdu.request_id;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	ck_assert_int_ne(plen = snmp_pdu_encode(&pdu, pbuf, sizeof(pbuf), &p),
	    -1);
	memset(&o, 0, sizeof(o));
	o.msg_id = q->msg_id;
	o.max_size = 65507;
	o.flags = flags;
	o.ctx_engine_id = ctx;
	o.ctx_engine_id_len = ctxlen;
	o.ctx_name = (const uint8_t *)"";
	o.pdu = p;
	o.pdu_len = (size_t)plen;
	ck_assert_int_ne(mlen = v3_encode_tsm(&o, mbuf, sizeof(mbuf), &out),
	    -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(10161);
	sin.sin_addr.s_addr = htonl(0xc0000201);
	sess_mgr_input(m, NULL, (struct sockaddr *)&sin, sizeof(sin), out,
	    (size_t)mlen);
}

static const uint8_t agent_engine[] = { 0x80, 0x00, 0x1f, 0x88, 0x80, 0x11,
	0x22, 0x33, 0x44 };
static const uint8_t rfc5343_ctx[] = { 0x80, 0x00, 0x00, 0x00, 0x06 };

START_TEST(tsm_session_discovers_context_engine_id_then_gets)
{
	struct sess_mgr	*m = fakeio_mgr(1000000000ULL);
	struct sess_opts o;
	struct snmp_varbind vb[4];
	struct snmp_msg	 q;
	struct snmp_value val;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s = tk_sess(m, &o);
	struct oid	 eid;

	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	/* RFC 5343: GET snmpEngineID.0 under TSM, noAuthNoPriv,
	 * contextEngineID 0x8000000006; no USM discovery. */
	ck_assert_int_eq(fk.nsent, 1);
	tk_sent(0, &q, vb);
	ck_assert_int_eq(q.msg_security_model, SNMP_SECMODEL_TSM);
	ck_assert_uint_eq(q.sec_params_len, 0);
	ck_assert_uint_eq(q.msg_flags, SNMP_MSGFLAG_REPORT);
	ck_assert_uint_eq(q.context_engine_id_len, sizeof(rfc5343_ctx));
	ck_assert_mem_eq(q.context_engine_id, rfc5343_ctx,
	    sizeof(rfc5343_ctx));
	ck_assert_uint_eq(q.pdu.nvb, 1);
	ck_assert_int_eq(oid_parse_str(&eid, "1.3.6.1.6.3.10.2.1.1.0"), 0);
	ck_assert_int_eq(oid_cmp(&q.pdu.vb[0].name, &eid), 0);
	ck_assert_int_eq(rec.called, 0);
	/* The answer echoes a contextEngineID of its own (as snmpd 5.9.3
	 * does): not checked; the engine ID is the value. */
	memset(&val, 0, sizeof(val));
	val.type = SNMP_T_OCTETS;
	val.data = agent_engine;
	val.len = sizeof(agent_engine);
	tk_answer(m, &q, 0, (const uint8_t *)"\x01\x02\x03\x04\x05", 5, &val);
	ck_assert_int_eq(fk.nbad, 0);

	/* The GET goes out at authPriv, in clear, under the learnt ID. */
	ck_assert_int_eq(fk.nsent, 2);
	tk_sent(1, &q, vb);
	ck_assert_int_eq(q.msg_security_model, SNMP_SECMODEL_TSM);
	ck_assert_uint_eq(q.sec_params_len, 0);
	ck_assert_uint_eq(q.msg_flags, SNMP_MSGFLAG_REPORT | SNMP_MSGFLAG_AUTH |
	    SNMP_MSGFLAG_PRIV);
	ck_assert_ptr_null(q.encrypted);
	ck_assert_uint_eq(q.context_engine_id_len, sizeof(agent_engine));
	ck_assert_mem_eq(q.context_engine_id, agent_engine,
	    sizeof(agent_engine));
	/* An answer at a lower level than the transport gives is taken
	 * (RFC 5591 5.2). */
	memset(&val, 0, sizeof(val));
	val.type = SNMP_T_TIMETICKS;
	val.u = 4242;
	tk_answer(m, &q, 0, agent_engine, sizeof(agent_engine), &val);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(rec.value, 4242);
	ck_assert_int_eq(fk.nbad, 0);

	/* The next request needs no discovery. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	ck_assert_int_eq(fk.nsent, 3);
	sess_opts_release(&o);
	sess_mgr_free(m);
}
END_TEST

START_TEST(tsm_session_with_context_engine_id_skips_discovery)
{
	struct sess_mgr	*m = fakeio_mgr(1000000000ULL);
	struct sess_opts o;
	struct snmp_varbind vb[4];
	struct snmp_msg	 q;
	struct snmp_value val;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	sess_opts_default(&o);
	memcpy(o.v3.context_engine_id, agent_engine, sizeof(agent_engine));
	o.v3.context_engine_id_len = sizeof(agent_engine);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.transport = SESS_TRANSPORT_DTLS;
	o.port = 10161;
	o.version = SNMP_V3;
	o.v3.level = SESS_LEVEL_AUTH;
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	ck_assert_int_eq(fk.nsent, 1);
	tk_sent(0, &q, vb);
	ck_assert_uint_eq(q.msg_flags, SNMP_MSGFLAG_REPORT | SNMP_MSGFLAG_AUTH);
	ck_assert_mem_eq(q.context_engine_id, agent_engine,
	    sizeof(agent_engine));
	/* A USM message is not an answer under TSM. */
	memset(&val, 0, sizeof(val));
	val.type = SNMP_T_INTEGER;
	val.i = 7;
	tk_answer(m, &q, SNMP_MSGFLAG_AUTH, agent_engine,
	    sizeof(agent_engine), &val);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.value, 7);
	/* SNMPv1/v2c over DTLS is refused. */
	o.version = SNMP_V2C;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	sess_mgr_free(m);
}
END_TEST

START_TEST(tsm_session_drops_usm_answers)
{
	struct sess_mgr	*m = fakeio_mgr(1000000000ULL);
	struct sess_opts o;
	struct snmp_varbind vb[4];
	struct snmp_msg	 q;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s = tk_sess(m, &o);
	struct v3_out	 out;
	struct snmp_pdu	 pdu;
	struct sockaddr_in sin;
	uint8_t		 pbuf[256], mbuf[512], scratch[512];
	const uint8_t	*p, *msg;
	ssize_t		 plen, mlen;

	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	tk_sent(0, &q, vb);
	/* The same answer under USM (model 3): dropped, counted. */
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_RESPONSE;
	pdu.request_id = q.pdu.request_id;
	pdu.vb = q.pdu.vb;
	pdu.nvb = pdu.maxvb = 1;
	ck_assert_int_ne(plen = snmp_pdu_encode(&pdu, pbuf, sizeof(pbuf), &p),
	    -1);
	memset(&out, 0, sizeof(out));
	out.msg_id = q.msg_id;
	out.max_size = 65507;
	out.engine_id = agent_engine;
	out.engine_id_len = sizeof(agent_engine);
	out.user = (const uint8_t *)"x";
	out.user_len = 1;
	out.ctx_engine_id = agent_engine;
	out.ctx_engine_id_len = sizeof(agent_engine);
	out.pdu = p;
	out.pdu_len = (size_t)plen;
	ck_assert_int_ne(mlen = v3_encode(&out, mbuf, sizeof(mbuf), scratch,
	    sizeof(scratch), &msg), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0000201);
	sin.sin_port = htons(10161);
	sess_mgr_input(m, NULL, (struct sockaddr *)&sin, sizeof(sin), msg,
	    (size_t)mlen);
	ck_assert_int_eq(fk.nbad, 1);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_SEC_MODEL);
	ck_assert_int_eq(rec.called, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tsm");
	TCase	*tc = tcase_create("tsm");

	tcase_add_test(tc, tsm_encodes_the_rfc5343_probe_byte_for_byte);
	tcase_add_test(tc, tsm_authpriv_message_is_plaintext_with_flags_7);
	tcase_add_test(tc, tsm_refuses_to_send_above_the_transport_level);
	tcase_add_test(tc, tsm_level_at_or_below_the_transport_is_accepted);
	tcase_add_test(tc, tsm_decode_counts_an_inadequate_level);
	tcase_add_test(tc, tsm_decode_refuses_other_models_and_encrypted_data);
	tcase_add_test(tc, tsm_outgoing_prefix_rules);
	tcase_add_test(tc, tsm_incoming_prefix_rules);
	tcase_add_test(tc, tsm_names_and_flags);
	tcase_add_test(tc, tsm_session_discovers_context_engine_id_then_gets);
	tcase_add_test(tc, tsm_session_with_context_engine_id_skips_discovery);
	tcase_add_test(tc, tsm_session_drops_usm_answers);
	suite_add_tcase(s, tc);
	return check_run(s);
}
