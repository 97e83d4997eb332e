/*
 * check_v3.c - SNMPv3 in the session engine, driven by a fake clock and a
 * fake agent inside the test.
 *
 * The fake agent is an authoritative USM engine built from the same
 * pieces a real one needs (v3.c, usm.c): it opens each datagram the
 * engine sends, checks engine ID, user, level, digest, time window and
 * privacy in RFC 3414 3.2 order, and answers with the report an RFC agent
 * would send or with a response at the request's level.  Knobs make it
 * reboot, change its engine ID, forge, or stay silent, so discovery,
 * recovery, report mapping and the checks on incoming messages can be
 * tested without sockets or timing.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/usm.h"
#include "core/v3.h"
#include "check_fakeio.h"
#include "check_main.h"

static const char maple[] = "maplesyrup";

/* The fake authoritative engine. */
static struct agent {
	uint8_t		 engine[32];
	size_t		 engine_len;
	uint32_t	 boots;
	int64_t		 time_base;	/* agent time = base + fake seconds */
	char		 user[33];
	struct usm_cred	*cred;
	struct usm_user	*u;		/* localized for engine */
	uint8_t		 min_level;	/* the user's level in its VACM */
	bool		 silent;	/* drops everything */
	bool		 silent_after_discovery; /* drops real requests */
	int		 force_report;	/* 0, or a usmStats arc to report */
	uint32_t	 counters[7];
	int		 responses;
	int		 probes;
	uint8_t		 last_level;
	uint8_t		 ctx_engine[32];
	size_t		 ctx_engine_len;
	char		 ctx_name[33];
	int32_t		 last_msgid;
	int32_t		 max_size;	/* msgMaxSize it announces (65507) */
	size_t		 many;		/* answer with this many varbinds */
} ag;

/* A credential as both sides see it. */
static struct usm_cred *
cred_new(const char *user, enum usm_auth auth, enum usm_priv priv,
    enum usm_keyext ext, const char *authpw, const char *privpw)
{
	struct usm_cred_params p;
	struct usm_cred	*c;

	memset(&p, 0, sizeof(p));
	p.user = user;
	p.auth = auth;
	p.auth_password = auth != USM_AUTH_NONE ? authpw : NULL;
	p.priv = priv;
	p.priv_password = priv != USM_PRIV_NONE ? privpw : NULL;
	p.keyext = ext;
	c = usm_cred_new(&p);
	ck_assert_msg(c != NULL, "cred: %s", snmpmgr_lasterr_detail());
	return c;
}

static void
agent_localize(void)
{
	usm_user_free(ag.u);
	ag.u = NULL;
	if (usm_cred_auth(ag.cred) != USM_AUTH_NONE) {
		ag.u = usm_user_new(ag.cred, ag.engine, ag.engine_len);
		ck_assert_ptr_nonnull(ag.u);
	}
}

static void
agent_init(enum usm_auth auth, enum usm_priv priv, enum usm_keyext ext)
{
	static const uint8_t eid[] = { 0x80, 0x00, 0x1f, 0x88, 0x80, 0x11,
	    0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

	usm_user_free(ag.u);
	usm_cred_free(ag.cred);
	memset(&ag, 0, sizeof(ag));
	memcpy(ag.engine, eid, sizeof(eid));
	ag.engine_len = sizeof(eid);
	ag.boots = 7;
	ag.time_base = 1000;
	snprintf(ag.user, sizeof(ag.user), "ops");
	ag.cred = cred_new("ops", auth, priv, ext, maple, maple);
	ag.min_level = (auth != USM_AUTH_NONE ? SNMP_MSGFLAG_AUTH : 0) |
	    (priv != USM_PRIV_NONE ? SNMP_MSGFLAG_PRIV : 0);
	agent_localize();
}

static void
agent_free(void)
{
	usm_user_free(ag.u);
	usm_cred_free(ag.cred);
	memset(&ag, 0, sizeof(ag));
}

static uint32_t
agent_time(void)
{
	return (uint32_t)(ag.time_base + (int64_t)(fk.now / 1000000));
}

/* Wrap an encoded PDU in the agent's v3 message at a level, into out. */
static size_t
agent_wrap(const uint8_t *p, size_t plen, uint8_t level, int32_t msgid,
    const uint8_t *user, size_t user_len, uint8_t *out, size_t size,
    uint32_t boots, uint32_t etime)
{
	static uint8_t	 scratch[65536];
	const uint8_t	*o;
	struct v3_out	 vo;
	ssize_t		 len;

	memset(&vo, 0, sizeof(vo));
	vo.msg_id = msgid;
	vo.max_size = ag.max_size != 0 ? ag.max_size : 65507;
	vo.flags = level;
	vo.engine_id = ag.engine;
	vo.engine_id_len = ag.engine_len;
	vo.boots = boots;
	vo.time = etime;
	vo.user = user;
	vo.user_len = user_len;
	vo.u = ag.u;
	vo.ctx_engine_id = ag.engine;
	vo.ctx_engine_id_len = ag.engine_len;
	vo.pdu = p;
	vo.pdu_len = plen;
	len = v3_encode(&vo, out, size, scratch, sizeof(scratch), &o);
	ck_assert_msg(len > 0, "agent encode: %s", snmpmgr_lasterr_detail());
	memmove(out, o, (size_t)len);
	return (size_t)len;
}

/* Encode the agent's answer: a PDU at a level, into out. */
static size_t
agent_encode(const struct snmp_pdu *pdu, uint8_t level, int32_t msgid,
    const uint8_t *user, size_t user_len, uint8_t *out, size_t size,
    uint32_t boots, uint32_t etime)
{
	static uint8_t	 pbuf[4096];
	const uint8_t	*p;
	ssize_t		 plen;

	ck_assert_int_gt(plen = snmp_pdu_encode(pdu, pbuf, sizeof(pbuf), &p),
	    0);
	return agent_wrap(p, (size_t)plen, level, msgid, user, user_len, out,
	    size, boots, etime);
}

/*
 * A Response PDU of n Integer32 varbinds for request-id reqid, built with
 * the BER writer (the PDU encoder stops at SNMPMGR_MAX_VARBINDS).
 */
static size_t
agent_many(int32_t reqid, size_t n, const uint8_t **p)
{
	static uint8_t	 buf[65536];
	struct ber_wr	 w;
	struct oid	 name;
	size_t		 i, mark;

	ck_assert_int_eq(oid_parse_str(&name, "1.3.6.1.2.1.2.2.1.10.7"), 0);
	ber_wr_init(&w, buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		mark = ber_wr_len(&w);
		ck_assert_int_eq(ber_wr_int(&w, SNMP_T_INTEGER, 7), 0);
		ck_assert_int_eq(ber_wr_oid(&w, &name), 0);
		ck_assert_int_eq(ber_wr_close(&w, BER_TAG_SEQUENCE, mark), 0);
	}
	ck_assert_int_eq(ber_wr_close(&w, BER_TAG_SEQUENCE, 0), 0);
	ck_assert_int_eq(ber_wr_int(&w, BER_TAG_INTEGER, 0), 0);
	ck_assert_int_eq(ber_wr_int(&w, BER_TAG_INTEGER, 0), 0);
	ck_assert_int_eq(ber_wr_int(&w, BER_TAG_INTEGER, reqid), 0);
	ck_assert_int_eq(ber_wr_close(&w, SNMP_PDU_RESPONSE, 0), 0);
	*p = ber_wr_data(&w);
	return ber_wr_len(&w);
}

/* A usmStats report (RFC 3414 5) for request-id reqid. */
static size_t
agent_report(int arc, uint8_t level, int32_t msgid, int32_t reqid,
    const uint8_t *user, size_t user_len, uint8_t *out, size_t size)
{
	struct snmp_varbind vb;
	struct snmp_pdu	 pdu;
	char		 oid[64];

	ag.counters[arc]++;
	memset(&vb, 0, sizeof(vb));
	snprintf(oid, sizeof(oid), "1.3.6.1.6.3.15.1.1.%d.0", arc);
	ck_assert_int_eq(oid_parse_str(&vb.name, oid), 0);
	vb.value.type = SNMP_T_COUNTER32;
	vb.value.u = ag.counters[arc];
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_REPORT;
	pdu.request_id = reqid;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	return agent_encode(&pdu, level, msgid, user, user_len, out, size,
	    ag.boots, agent_time());
}

/*
 * What an RFC 3414 agent does with one datagram.  Returns the length of
 * its answer in out, or 0 for silence.
 */
static size_t
agent_handle(const uint8_t *buf, size_t len, uint8_t *out, size_t size)
{
	static uint8_t	 dbuf[4096];
	struct snmp_varbind vb[16], rvb[16];
	struct snmp_msg	 msg;
	struct usm_secparams sp;
	struct snmp_pdu	 resp;
	uint8_t		 level;
	size_t		 i;
	uint32_t	 now;

	if (ag.silent)
		return 0;
	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = vb;
	msg.pdu.maxvb = 16;
	ck_assert_int_eq(snmp_msg_decode(buf, len, &msg), 0);
	ck_assert_int_eq(msg.version, SNMP_V3);
	ck_assert_int_eq(v3_secparams(&msg, &sp), 0);
	ck_assert(msg.msg_flags & SNMP_MSGFLAG_REPORT);
	ag.last_msgid = msg.msg_id;
	level = msg.msg_flags & V3_LEVEL_MASK;
	/* RFC 3414 3.2 step 3. */
	if (sp.engine_id_len != ag.engine_len ||
	    memcmp(sp.engine_id, ag.engine, ag.engine_len) != 0) {
		ag.probes++;
		return agent_report(4, 0, msg.msg_id, msg.encrypted ? 0 :
		    msg.pdu.request_id, sp.user, sp.user_len, out, size);
	}
	/* Step 4. */
	if (sp.user_len != strlen(ag.user) ||
	    memcmp(sp.user, ag.user, sp.user_len) != 0)
		return agent_report(3, 0, msg.msg_id, 0, sp.user, sp.user_len,
		    out, size);
	/* Step 5: more than the user can do. */
	if ((level & ~ag.min_level) != 0)
		return agent_report(1, 0, msg.msg_id, 0, sp.user, sp.user_len,
		    out, size);
	if (level & SNMP_MSGFLAG_AUTH) {
		/* Step 6. */
		if (v3_verify(ag.u, buf, len, &sp) == -1)
			return agent_report(5, 0, msg.msg_id, 0, sp.user,
			    sp.user_len, out, size);
		/* Step 7a. */
		now = agent_time();
		if (sp.boots != ag.boots || (sp.time > now ? sp.time - now :
		    now - sp.time) > 150) {
			ag.probes++;
			return agent_report(2, SNMP_MSGFLAG_AUTH, msg.msg_id,
			    0, sp.user, sp.user_len, out, size);
		}
		/* Step 8; Net-SNMP drops what does not decrypt. */
		if ((level & SNMP_MSGFLAG_PRIV) && v3_decrypt(ag.u, &msg, &sp,
		    dbuf, sizeof(dbuf)) == -1) {
			ag.counters[6]++;
			return 0;
		}
	}
	if (ag.force_report != 0)
		return agent_report(ag.force_report, 0, msg.msg_id,
		    msg.pdu.request_id, sp.user, sp.user_len, out, size);
	if (ag.silent_after_discovery)
		return 0;
	if (ag.many != 0) {
		const uint8_t *p;
		size_t plen = agent_many(msg.pdu.request_id, ag.many, &p);

		ag.responses++;
		return agent_wrap(p, plen, level, msg.msg_id, sp.user,
		    sp.user_len, out, size, ag.boots, agent_time());
	}
	/* The scoped PDU the manager meant. */
	ag.last_level = level;
	ag.ctx_engine_len = msg.context_engine_id_len;
	memcpy(ag.ctx_engine, msg.context_engine_id, msg.context_engine_id_len);
	memset(ag.ctx_name, 0, sizeof(ag.ctx_name));
	memcpy(ag.ctx_name, msg.context_name, msg.context_name_len);
	memset(&resp, 0, sizeof(resp));
	resp.type = SNMP_PDU_RESPONSE;
	resp.request_id = msg.pdu.request_id;
	resp.vb = rvb;
	for (i = 0; i < msg.pdu.nvb; i++) {
		rvb[i].name = vb[i].name;
		rvb[i].value.type = SNMP_T_INTEGER;
		rvb[i].value.i = 42 + (int64_t)i;
	}
	resp.nvb = resp.maxvb = msg.pdu.nvb;
	ag.responses++;
	return agent_encode(&resp, level, msg.msg_id, sp.user, sp.user_len,
	    out, size, ag.boots, agent_time());
}

static void
from_agent(struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(161);
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
}

static void
deliver(struct sess_mgr *m, const uint8_t *buf, size_t len)
{
	struct sockaddr_in from;

	from_agent(&from);
	sess_mgr_input(m, NULL, (struct sockaddr *)&from, sizeof(from), buf,
	    len);
}

/* Let the agent answer every datagram not seen yet, until quiet. */
static void
pump(struct sess_mgr *m)
{
	static uint8_t out[65536];
	size_t	 n;
	int	 guard = 0;

	while (fk.done < fk.nsent) {
		ck_assert_int_lt(guard++, 100);
		n = agent_handle(fk.sent[fk.done].buf, fk.sent[fk.done].len,
		    out, sizeof(out));
		fk.done++;
		fk.now += 300;
		if (n > 0)
			deliver(m, out, n);
	}
}

/* The agent's answer to datagram i, without delivering it. */
static size_t
answer_of(int i, uint8_t *out, size_t size)
{
	return agent_handle(fk.sent[i].buf, fk.sent[i].len, out, size);
}

static void
advance_to(struct sess_mgr *m, uint64_t to)
{
	int	 guard = 0;

	while (fk.wake != 0 && fk.wake <= to) {
		ck_assert_int_lt(guard++, 10000);
		if (fk.wake > fk.now)
			fk.now = fk.wake;
		sess_mgr_timer(m);
	}
	fk.now = to;
}

/* A v3 session to 192.0.2.1 with the agent's credential. */
static struct sess *
v3_sess(struct sess_mgr *m, struct sess_opts *o)
{
	struct sess	*s;

	sess_opts_default(o);
	snprintf(o->host, sizeof(o->host), "192.0.2.1");
	o->version = SNMP_V3;
	o->timeout_ms = 1000;
	o->retries = 2;
	o->v3.cred = usm_cred_ref(ag.cred);
	s = sess_new(m, o);
	ck_assert_msg(s != NULL, "sess_new: %s", snmpmgr_lasterr_detail());
	return s;
}

/* msgFlags, msgID and security parameters of datagram i. */
static void
sent_v3(int i, uint8_t *flags, int32_t *msgid, struct usm_secparams *sp)
{
	struct snmp_varbind vb[8];
	struct snmp_msg	 msg;

	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = vb;
	msg.pdu.maxvb = 8;
	ck_assert_int_eq(snmp_msg_decode(fk.sent[i].buf, fk.sent[i].len,
	    &msg), 0);
	ck_assert_int_eq(v3_secparams(&msg, sp), 0);
	*flags = msg.msg_flags;
	*msgid = msg.msg_id;
}

START_TEST(v3_two_step_discovery_then_authpriv_get)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct usm_secparams sp;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;
	int32_t		 id;
	uint8_t		 flags;

	agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_int_eq(info.disc, SESS_DISC_NONE);
	ck_assert_int_eq(info.level, SESS_LEVEL_PRIV);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));

	/* RFC 3414 4: the engine ID probe, noAuthNoPriv, empty user. */
	ck_assert_int_eq(fk.nsent, 1);
	sent_v3(0, &flags, &id, &sp);
	ck_assert_int_eq(flags, SNMP_MSGFLAG_REPORT);
	ck_assert_uint_eq(sp.engine_id_len, 0);
	ck_assert_uint_eq(sp.user_len, 0);
	pump(m);
	/* Then the signed probe with zero boots/time, then the request. */
	ck_assert_int_eq(fk.nsent, 3);
	sent_v3(1, &flags, &id, &sp);
	ck_assert_int_eq(flags, SNMP_MSGFLAG_REPORT | SNMP_MSGFLAG_AUTH);
	ck_assert_uint_eq(sp.boots, 0);
	ck_assert_uint_eq(sp.time, 0);
	ck_assert_mem_eq(sp.engine_id, ag.engine, ag.engine_len);
	sent_v3(2, &flags, &id, &sp);
	ck_assert_int_eq(flags, SNMP_MSGFLAG_REPORT | SNMP_MSGFLAG_AUTH |
	    SNMP_MSGFLAG_PRIV);
	ck_assert_uint_eq(sp.boots, ag.boots);
	ck_assert_uint_le(agent_time() - sp.time, 1);
	ck_assert_uint_eq(sp.priv_len, 8);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_msg(rec.error == 0, "error %d: %s", rec.error, rec.detail);
	ck_assert_int_eq(rec.value, 42);
	ck_assert_int_eq(ag.last_level, SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV);
	/* contextEngineID defaults to the agent's engine ID. */
	ck_assert_uint_eq(ag.ctx_engine_len, ag.engine_len);
	ck_assert_mem_eq(ag.ctx_engine, ag.engine, ag.engine_len);

	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_int_eq(info.disc, SESS_DISC_DONE);
	ck_assert_uint_eq(info.engine_id_len, ag.engine_len);
	ck_assert_mem_eq(info.engine_id, ag.engine, ag.engine_len);
	ck_assert(info.time_known);
	ck_assert_uint_eq(info.boots, ag.boots);
	ck_assert_int_eq(info.agent_max_size, 65507);
	ck_assert_uint_eq(sess_get_usm_stats(s)->discoveries, 1);
	ck_assert_uint_eq(sess_get_usm_stats(s)->rpt_unknown_engine_ids, 1);
	ck_assert_uint_eq(sess_get_usm_stats(s)->rpt_not_in_time_windows, 1);
	ck_assert_uint_eq(sess_get_stats(s)->requests, 1);
	ck_assert_uint_eq(sess_get_stats(s)->responses, 1);
	ck_assert_int_eq(fk.nbad, 0);

	/* The next request goes straight out. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	ck_assert_int_eq(fk.nsent, 4);
	pump(m);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_every_auth_and_priv_protocol_round_trips)
{
	static const enum usm_auth auths[] = { USM_AUTH_MD5, USM_AUTH_SHA,
	    USM_AUTH_SHA224, USM_AUTH_SHA256, USM_AUTH_SHA384,
	    USM_AUTH_SHA512 };
	static const enum usm_priv privs[] = { USM_PRIV_NONE, USM_PRIV_DES,
	    USM_PRIV_3DES, USM_PRIV_AES, USM_PRIV_AES192, USM_PRIV_AES256 };
	struct sess_mgr	*m;
	struct sess_opts o;
	struct fakeio_rec	 rec;
	struct sess	*s;
	size_t		 a, p;
	int		 ext;

	for (a = 0; a < sizeof(auths) / sizeof(auths[0]); a++) {
		for (p = 0; p < sizeof(privs) / sizeof(privs[0]); p++) {
			if (usm_priv_available(privs[p]) == -1)
				continue;	/* DES without legacy */
			for (ext = 0; ext < 2; ext++) {
				if (ext == 1 && privs[p] != USM_PRIV_AES256)
					continue;
				m = fakeio_mgr(5000000000ULL);
				agent_init(auths[a], privs[p], ext);
				s = v3_sess(m, &o);
				memset(&rec, 0, sizeof(rec));
				ck_assert_ptr_nonnull(fakeio_get(s, &rec));
				pump(m);
				ck_assert_msg(rec.called == 1 &&
				    rec.error == 0, "%s/%s: %d %s",
				    usm_auth_name(auths[a]),
				    usm_priv_name(privs[p]), rec.error,
				    rec.detail);
				ck_assert_int_eq(rec.value, 42);
				sess_opts_release(&o);
				sess_mgr_free(m);
				agent_free();
			}
		}
	}
}
END_TEST

START_TEST(v3_single_step_discovery_and_noauth)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	agent_init(USM_AUTH_SHA256, USM_PRIV_AES256, USM_KEYEXT_BLUMENTHAL);
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.version = SNMP_V3;
	o.v3.cred = usm_cred_ref(ag.cred);
	o.v3.single_step_discovery = true;
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	/* The engine ID probe, then the request: no time probe. */
	ck_assert_int_eq(fk.nsent, 2);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_uint_eq(info.boots, ag.boots);

	/* noAuthNoPriv with the same user: one probe too. */
	o.v3.level = SESS_LEVEL_NOAUTH;
	o.v3.single_step_discovery = false;
	ag.min_level = 0;
	ck_assert_int_eq(sess_set_opts(s, &o), 0);
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(fk.nsent, 4);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(ag.last_level, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_preset_engine_boots_time_skip_discovery)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;
	struct usm_secparams sp;
	int32_t		 id;
	uint8_t		 flags;

	agent_init(USM_AUTH_MD5, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.version = SNMP_V3;
	o.v3.cred = usm_cred_ref(ag.cred);
	memcpy(o.v3.engine_id, ag.engine, ag.engine_len);
	o.v3.engine_id_len = ag.engine_len;
	o.v3.engine_boots = ag.boots;
	o.v3.engine_time = agent_time();
	o.v3.engine_time_set = true;
	snprintf(o.v3.context_name, sizeof(o.v3.context_name), "vrf-red");
	memcpy(o.v3.context_engine_id, "\x80\x00\x00\x00\x05\x01", 6);
	o.v3.context_engine_id_len = 6;
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	ck_assert_int_eq(fk.nsent, 1);
	sent_v3(0, &flags, &id, &sp);
	ck_assert_int_eq(flags & V3_LEVEL_MASK, V3_LEVEL_MASK);
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(ag.probes, 0);
	ck_assert_str_eq(ag.ctx_name, "vrf-red");
	ck_assert_uint_eq(ag.ctx_engine_len, 6);
	ck_assert_uint_eq(sess_get_usm_stats(s)->discoveries, 0);

	/* Preset engine ID only: the time probe alone. */
	o.v3.engine_time_set = false;
	ck_assert_int_eq(sess_set_opts(s, &o), 0);
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(fk.nsent, 3);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(ag.probes, 1);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

/* A preset engine ID that is not the agent's: learnt, then it works. */
START_TEST(v3_stale_preset_engine_id_recovers)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	agent_init(USM_AUTH_SHA, USM_PRIV_DES, USM_KEYEXT_BLUMENTHAL);
	if (usm_priv_available(USM_PRIV_DES) == -1) {
		agent_free();
		agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	}
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.version = SNMP_V3;
	o.v3.cred = usm_cred_ref(ag.cred);
	memcpy(o.v3.engine_id, "\x80\x00\x00\x00\x05\x99\x99", 7);
	o.v3.engine_id_len = 7;
	o.v3.engine_boots = 3;
	o.v3.engine_time = 100;
	o.v3.engine_time_set = true;
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_msg(rec.error == 0, "%d %s", rec.error, rec.detail);
	ck_assert_int_eq(rec.value, 42);
	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_mem_eq(info.engine_id, ag.engine, ag.engine_len);
	ck_assert_uint_eq(sess_get_usm_stats(s)->recoveries, 1);
	ck_assert_uint_eq(sess_get_usm_stats(s)->rpt_unknown_engine_ids, 2);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_agent_reboot_recovers_without_caller_noticing)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct fakeio_rec	 rec = { 0 };
	struct usm_secparams sp1, sp2;
	struct sess	*s;
	int32_t		 id1, id2;
	uint8_t		 f;
	int		 n;

	agent_init(USM_AUTH_SHA512, USM_PRIV_AES256, USM_KEYEXT_REEDER);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);

	/* The agent restarts: boots up, its clock from zero. */
	ag.boots++;
	ag.time_base = -(int64_t)(fk.now / 1000000) + 5;
	memset(&rec, 0, sizeof(rec));
	n = fk.nsent;
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	/* notInTimeWindow (authenticated) -> new clock -> resend. */
	ck_assert_int_eq(fk.nsent, n + 2);
	sent_v3(n, &f, &id1, &sp1);
	sent_v3(n + 1, &f, &id2, &sp2);
	ck_assert_int_eq(id2, id1 + 1);
	ck_assert_uint_eq(sp2.boots, ag.boots);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_msg(rec.error == 0, "%d %s", rec.error, rec.detail);
	ck_assert_uint_eq(sess_get_usm_stats(s)->recoveries, 1);
	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_uint_eq(info.boots, ag.boots);

	/* A clock that jumps with the same boots, ahead then back. */
	ag.time_base += 100000;
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_uint_eq(sess_get_usm_stats(s)->recoveries, 2);
	ag.time_base -= 50000;
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_msg(rec.error == 0, "%d %s", rec.error, rec.detail);
	ck_assert_uint_eq(sess_get_usm_stats(s)->recoveries, 3);
	ck_assert_int_eq(fk.nbad, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_engine_id_change_rediscovers_and_resends)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	agent_init(USM_AUTH_SHA256, USM_PRIV_AES192, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	/* The box is replaced: another engine ID, keys localized anew. */
	ag.engine[ag.engine_len - 1] ^= 0xff;
	ag.boots = 1;
	agent_localize();
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_msg(rec.error == 0, "%d %s", rec.error, rec.detail);
	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_mem_eq(info.engine_id, ag.engine, ag.engine_len);
	ck_assert_uint_eq(sess_get_usm_stats(s)->discoveries, 2);
	ck_assert_uint_eq(sess_get_usm_stats(s)->recoveries, 1);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

/* Recovery is once per request: a second such report is the error. */
START_TEST(v3_recovery_once_then_error_325)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	agent_init(USM_AUTH_SHA, USM_PRIV_NONE, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	ag.force_report = 2;	/* notInTimeWindow, always */
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_TIME_FRAME);
	ck_assert_ptr_nonnull(strstr(rec.detail, "usmStatsNotInTimeWindows"));
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_reports_map_to_numbered_errors)
{
	static const struct {
		int	 arc;
		int	 error;
	} cases[] = {
		{ 1, SNMPMGR_ERR_SEC_LEVEL },
		{ 3, SNMPMGR_ERR_USER_NAME },
		{ 5, SNMPMGR_ERR_AUTH_FAILED },
		{ 6, SNMPMGR_ERR_DECRYPT },
	};
	struct sess_mgr	*m;
	struct sess_opts o;
	struct fakeio_rec	 rec;
	struct sess	*s;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = fakeio_mgr(5000000000ULL);
		agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
		s = v3_sess(m, &o);
		memset(&rec, 0, sizeof(rec));
		ck_assert_ptr_nonnull(fakeio_get(s, &rec));
		pump(m);
		ck_assert_int_eq(rec.error, 0);
		ag.force_report = cases[i].arc;
		memset(&rec, 0, sizeof(rec));
		ck_assert_ptr_nonnull(fakeio_get(s, &rec));
		pump(m);
		ck_assert_int_eq(rec.called, 1);
		ck_assert_int_eq(rec.error, cases[i].error);
		sess_opts_release(&o);
		sess_mgr_free(m);
		agent_free();
	}
}
END_TEST

/* The agent's own checks, as real agents answer wrong credentials. */
START_TEST(v3_wrong_credentials_get_the_agents_errors)
{
	struct sess_mgr	*m;
	struct sess_opts o;
	struct fakeio_rec	 rec;
	struct sess	*s;
	struct usm_cred	*wrong;

	/* Wrong auth password: usmStatsWrongDigests -> 308.  The report
	 * to the probe is unauthenticated, so discovery falls back to the
	 * engine ID report's clock and the real request's report (the
	 * second) decides. */
	m = fakeio_mgr(5000000000ULL);
	agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.version = SNMP_V3;
	o.v3.cred = wrong = cred_new("ops", USM_AUTH_SHA, USM_PRIV_AES,
	    USM_KEYEXT_BLUMENTHAL, "not-the-password", maple);
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_AUTH_FAILED);
	ck_assert_uint_eq(sess_get_usm_stats(s)->rpt_wrong_digests, 2);
	sess_opts_release(&o);
	sess_mgr_free(m);

	/* Unknown user: 326. */
	m = fakeio_mgr(5000000000ULL);
	o.v3.cred = cred_new("nobody", USM_AUTH_SHA, USM_PRIV_AES,
	    USM_KEYEXT_BLUMENTHAL, maple, maple);
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_USER_NAME);
	sess_opts_release(&o);
	sess_mgr_free(m);

	/* authNoPriv to a user that needs privacy: here 327. */
	m = fakeio_mgr(5000000000ULL);
	o.v3.cred = usm_cred_ref(ag.cred);
	o.v3.level = SESS_LEVEL_AUTH;
	ag.min_level = V3_LEVEL_MASK;
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	memset(&rec, 0, sizeof(rec));
	ag.force_report = 0;
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);	/* our agent lets it through */
	ck_assert_int_eq(ag.last_level, SNMP_MSGFLAG_AUTH);
	o.v3.level = SESS_LEVEL_PRIV;
	ag.min_level = SNMP_MSGFLAG_AUTH;	/* and now refuses priv */
	ck_assert_int_eq(sess_set_opts(s, &o), 0);
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_SEC_LEVEL);
	sess_opts_release(&o);
	sess_mgr_free(m);

	/* Wrong priv password: the agent stays silent -> 201. */
	m = fakeio_mgr(5000000000ULL);
	o.v3.level = SESS_LEVEL_DEFAULT;
	ag.min_level = V3_LEVEL_MASK;
	o.v3.cred = cred_new("ops", USM_AUTH_SHA, USM_PRIV_AES,
	    USM_KEYEXT_BLUMENTHAL, maple, "not-the-password");
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	ag.force_report = 0;
	pump(m);			/* discovery works: auth is right */
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(ag.counters[6], 1);	/* the agent could not */
	advance_to(m, fk.now + 20000000);	/* 3 tries of 5 s */
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_TIMEOUT);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_forged_response_with_bad_digest_dropped_and_counted)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;
	struct usm_secparams sp;
	uint8_t		 out[4096], f;
	int32_t		 id;
	size_t		 n, i;

	agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(fk.nbad, 0);

	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	n = answer_of(fk.nsent - 1, out, sizeof(out));
	fk.done = fk.nsent;
	ck_assert_uint_gt(n, 0);
	/* Flip one octet of the ciphertext: the digest no longer fits. */
	out[n - 3] ^= 0x01;
	deliver(m, out, n);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(fk.nbad, 1);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_AUTH_FAILED);
	ck_assert_uint_eq(sess_get_usm_stats(s)->wrong_digests, 1);
	ck_assert_uint_eq(sess_get_stats(s)->bad_packets, 1);
	/* The genuine answer still completes the request. */
	out[n - 3] ^= 0x01;
	deliver(m, out, n);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(rec.value, 42);

	/*
	 * A notInTimeWindow report with a forged digest must not move our
	 * idea of the agent's clock: dropped too.
	 */
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	sent_v3(fk.nsent - 1, &f, &id, &sp);
	ag.boots += 100;
	n = agent_report(2, SNMP_MSGFLAG_AUTH, id, 0,
	    (const uint8_t *)"ops", 3, out, sizeof(out));
	ag.boots -= 100;
	/* msgUserName "ops", then the 12-octet digest: 04 0c ... */
	for (i = 0; i + 19 < n; i++)
		if (memcmp(out + i, "\x04\x03ops\x04\x0c", 7) == 0)
			break;
	ck_assert_uint_lt(i + 19, n);
	out[i + 10] ^= 0x80;
	deliver(m, out, n);
	ck_assert_int_eq(fk.nbad, 2);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_AUTH_FAILED);
	ck_assert_uint_eq(sess_get_usm_stats(s)->recoveries, 0);
	ck_assert_int_eq(rec.called, 0);
	/*
	 * The same report with no digest at all (the authentication flag
	 * set, msgAuthenticationParameters empty; the 12 octets moved to
	 * msgPrivacyParameters so no length changes): 310 missing
	 * signature, counted as a wrong digest.
	 */
	out[i + 10] ^= 0x80;
	ck_assert_mem_eq(out + i + 19, "\x04\x00", 2);
	memmove(out + i + 9, out + i + 7, 12);
	memcpy(out + i + 5, "\x04\x00\x04\x0c", 4);
	deliver(m, out, n);
	ck_assert_int_eq(fk.nbad, 3);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_NO_SIGNATURE);
	ck_assert_uint_eq(sess_get_usm_stats(s)->wrong_digests, 3);
	ck_assert_int_eq(rec.called, 0);
	pump(m);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

/* An old authenticated response replayed after a new one: too old. */
START_TEST(v3_replayed_response_outside_time_window_dropped)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;
	struct snmp_varbind vb;
	struct snmp_pdu	 resp;
	struct usm_secparams sp;
	uint8_t		 out[4096], f;
	int32_t		 id;
	size_t		 n;

	agent_init(USM_AUTH_SHA256, USM_PRIV_NONE, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	fk.done = fk.nsent;
	sent_v3(fk.nsent - 1, &f, &id, &sp);
	memset(&vb, 0, sizeof(vb));
	ck_assert_int_eq(oid_parse_str(&vb.name, "1.3.6.1.2.1.1.3.0"), 0);
	vb.value.type = SNMP_T_INTEGER;
	memset(&resp, 0, sizeof(resp));
	resp.type = SNMP_PDU_RESPONSE;
	resp.request_id = id;
	resp.vb = &vb;
	resp.nvb = resp.maxvb = 1;
	/* Signed with the right key, but 200 s in the past. */
	n = agent_encode(&resp, SNMP_MSGFLAG_AUTH, id, (const uint8_t *)"ops",
	    3, out, sizeof(out), ag.boots, agent_time() - 200);
	deliver(m, out, n);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_TIME_FRAME);
	ck_assert_uint_eq(sess_get_usm_stats(s)->not_in_time_windows, 1);
	/* Unauthenticated response to an authenticated request: 321. */
	n = agent_encode(&resp, 0, id, (const uint8_t *)"ops", 3, out,
	    sizeof(out), ag.boots, agent_time());
	deliver(m, out, n);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_NOT_AUTHENTICATED);
	ck_assert_uint_eq(sess_get_usm_stats(s)->unauthenticated, 1);
	/* A community message with the same ID: never for a v3 request. */
	ck_assert_int_eq(fk.nbad, 2);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

/* Each retransmission has a new msgID; an answer to an old one counts. */
START_TEST(v3_retransmission_new_msgid_old_one_still_matches)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct usm_secparams sp;
	struct sess	*s;
	uint8_t		 out[4096], f;
	int32_t		 id0, id1, id2;
	size_t		 n;
	int		 first;

	agent_init(USM_AUTH_MD5, USM_PRIV_NONE, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	memset(&rec, 0, sizeof(rec));
	first = fk.nsent;
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	fk.done = fk.nsent;
	advance_to(m, fk.now + 2500000);	/* two retransmissions */
	ck_assert_int_eq(fk.nsent, first + 3);
	sent_v3(first, &f, &id0, &sp);
	sent_v3(first + 1, &f, &id1, &sp);
	sent_v3(first + 2, &f, &id2, &sp);
	ck_assert_int_eq(id1, id0 + 1);
	ck_assert_int_eq(id2, id0 + 2);
	n = answer_of(first, out, sizeof(out));
	fk.done = fk.nsent;
	deliver(m, out, n);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	/* A late answer to another try of it is a duplicate. */
	n = answer_of(first + 2, out, sizeof(out));
	deliver(m, out, n);
	ck_assert_uint_eq(sess_get_stats(s)->duplicates, 1);
	ck_assert_int_eq(fk.nbad, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_silent_agent_fails_waiting_requests_with_201)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec[3];
	struct sess	*s;
	int		 i;

	agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	ag.silent = true;
	s = v3_sess(m, &o);
	memset(rec, 0, sizeof(rec));
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(fakeio_get(s, &rec[i]));
	/* One probe for all three, with its retries. */
	ck_assert_int_eq(fk.nsent, 1);
	ck_assert_uint_eq(sess_pending(s), 4);
	advance_to(m, fk.now + 10000000);
	ck_assert_int_eq(fk.nsent, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(rec[i].called, 1);
		ck_assert_int_eq(rec[i].error, SNMPMGR_ERR_TIMEOUT);
		ck_assert_ptr_nonnull(strstr(rec[i].detail, "discovery"));
	}
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(sess_get_stats(s)->timeouts, 3);
	/* The agent comes back: the next request discovers again. */
	ag.silent = false;
	memset(rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec[0]));
	pump(m);
	ck_assert_int_eq(rec[0].error, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_cancel_and_free_while_waiting_for_discovery)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec[2];
	struct sess_req	*r0;
	struct sess	*s;

	agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	memset(rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(r0 = fakeio_get(s, &rec[0]));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec[1]));
	sess_req_cancel(r0);
	ck_assert_uint_eq(sess_pending(s), 2);	/* probe + one */
	sess_free(s);
	ck_assert_int_eq(rec[0].called, 0);
	ck_assert_int_eq(rec[1].called, 1);
	ck_assert_int_eq(rec[1].error, SNMPMGR_ERR_INTERRUPTED);
	pump(m);				/* answers find nobody */
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

static void
discover_cb(struct sess_req *req, const struct sess_result *res, void *arg)
{
	struct fakeio_rec	*r = arg;

	r->called++;
	r->error = res->error;
	ck_assert_ptr_null(res->pdu);
}

START_TEST(v3_discover_runs_again_and_reports)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	agent_init(USM_AUTH_SHA384, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(sess_discover(s, discover_cb, &rec));
	ck_assert_int_eq(rec.called, 0);	/* never from inside */
	pump(m);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(fk.nsent, 2);
	ck_assert_int_eq(sess_v3_info(s, &info), 0);
	ck_assert_int_eq(info.disc, SESS_DISC_DONE);
	ck_assert_uint_eq(info.boots, ag.boots);
	ck_assert_uint_gt(info.discovered_us, 0);
	/* Again: both probes again. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(sess_discover(s, discover_cb, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(fk.nsent, 4);
	ck_assert_uint_eq(sess_get_usm_stats(s)->discoveries, 2);
	sess_opts_release(&o);

	/* Not for a v2c session. */
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	ck_assert_ptr_null(sess_discover(s, discover_cb, &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	ck_assert_int_eq(sess_v3_info(s, &info), -1);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

static struct {
	int	 reports;
	int	 last_error;
	bool	 authed;
	int	 discoveries;
} hk;

static void
hook_report(struct sess *s, int error, const struct oid *name,
    uint64_t value, bool authenticated, void *arg)
{
	hk.reports++;
	hk.last_error = error;
	hk.authed = authenticated;
}

static void
hook_discovery(struct sess *s, int error, void *arg)
{
	hk.discoveries++;
}

START_TEST(v3_hooks_see_reports_and_discovery)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_v3_hooks h;
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;

	memset(&hk, 0, sizeof(hk));
	memset(&h, 0, sizeof(h));
	h.report = hook_report;
	h.discovery = hook_discovery;
	sess_mgr_set_v3_hooks(m, &h);
	agent_init(USM_AUTH_SHA, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(hk.reports, 2);
	ck_assert_int_eq(hk.last_error, SNMPMGR_ERR_TIME_FRAME);
	ck_assert(hk.authed);
	ck_assert_int_eq(hk.discoveries, 1);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

START_TEST(v3_options_checked)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;

	agent_init(USM_AUTH_SHA, USM_PRIV_NONE, USM_KEYEXT_BLUMENTHAL);
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.version = SNMP_V3;
	o.v3.cred = ag.cred;	/* borrowed: sess_new takes its own */
	o.v3.level = SESS_LEVEL_PRIV;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_PRIV_PASSWORD);
	o.v3.level = SESS_LEVEL_DEFAULT;
	o.v3.msg_max_size = 100;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_SHORT);
	o.v3.msg_max_size = 0;
	o.v3.engine_time_set = true;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_ENGINE_ID);
	o.v3.engine_time_set = false;
	o.v3.cred = NULL;
	o.v3.level = SESS_LEVEL_AUTH;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_AUTH_PASSWORD);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

/*
 * Hostile input: thousands of mutations of a genuine authPriv response
 * (one to three octets changed, or cut short) are all dropped without a
 * crash and never complete the request; the genuine one then does.
 */
START_TEST(v3_mutated_responses_dropped_never_accepted)
{
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;
	uint8_t		 good[4096], mut[4096];
	size_t		 n, len, k;
	unsigned int	 seed = 12345;
	int		 i;

	agent_init(USM_AUTH_SHA256, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	memset(&rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	n = answer_of(fk.nsent - 1, good, sizeof(good));
	fk.done = fk.nsent;
	for (i = 0; i < 3000; i++) {
		memcpy(mut, good, n);
		len = n;
		if (i % 10 == 9)
			len = (size_t)rand_r(&seed) % n;
		else
			for (k = 0; k < 1 + (size_t)(i % 3); k++)
				mut[(size_t)rand_r(&seed) % n] ^=
				    (uint8_t)(1 + rand_r(&seed) % 255);
		if (len == n && memcmp(mut, good, n) == 0)
			continue;
		deliver(m, mut, len);
		ck_assert_int_eq(rec.called, 0);
	}
	ck_assert_int_gt(fk.nbad, 2500);
	deliver(m, good, n);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST


/*
 * Never send what the agent said it cannot take: a request larger than
 * the msgMaxSize of the agent's messages is refused with 118 and the
 * reason, whether the session authenticates (the value of its last
 * authenticated message) or not (of its last message).
 */
START_TEST(v3_request_past_the_agents_msgmaxsize_refused)
{
	static struct snmp_varbind vb[40];
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct sess_v3_info info;
	struct snmp_pdu	 pdu;
	struct fakeio_rec	 rec = { 0 };
	struct sess	*s;
	int		 i, lvl, sent;

	memset(vb, 0, sizeof(vb));
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(oid_parse_str(&vb[i].name,
		    "1.3.6.1.2.1.2.2.1.10.1000"), 0);
		vb[i].value.type = SNMP_T_NULL;
	}
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_GET;
	pdu.vb = vb;
	pdu.nvb = pdu.maxvb = 40;
	for (lvl = 0; lvl < 2; lvl++) {
		agent_init(lvl == 0 ? USM_AUTH_SHA : USM_AUTH_NONE,
		    USM_PRIV_NONE, USM_KEYEXT_BLUMENTHAL);
		ag.max_size = 484;
		s = v3_sess(m, &o);
		memset(&rec, 0, sizeof(rec));
		ck_assert_ptr_nonnull(fakeio_get(s, &rec));
		pump(m);
		ck_assert_int_eq(rec.error, 0);
		ck_assert_int_eq(sess_v3_info(s, &info), 0);
		ck_assert_int_eq(info.agent_max_size, 484);
		sent = fk.nsent;
		ck_assert_ptr_null(sess_request(s, &pdu, fakeio_record_cb, &rec));
		ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
		ck_assert_msg(strstr(snmpmgr_lasterr_detail(),
		    "msgMaxSize 484") != NULL, "detail: %s",
		    snmpmgr_lasterr_detail());
		ck_assert_int_eq(fk.nsent, sent);
		ck_assert_uint_eq(sess_pending(s), 0);
		/* A larger agent takes it. */
		ag.max_size = 65507;
		memset(&rec, 0, sizeof(rec));
		ck_assert_ptr_nonnull(fakeio_get(s, &rec));
		pump(m);
		ck_assert_int_eq(sess_v3_info(s, &info), 0);
		ck_assert_int_eq(info.agent_max_size, 65507);
		ck_assert_ptr_nonnull(sess_request(s, &pdu, fakeio_record_cb, &rec));
		ck_assert_int_eq(fk.nsent, sent + 2);
		fk.done = fk.nsent;	/* more varbinds than the agent reads */
		sess_free(s);
		sess_opts_release(&o);
		agent_free();
	}
	sess_mgr_free(m);
}
END_TEST

/*
 * An authenticated, decrypted answer with more varbinds than the engine
 * takes ends its request with 317 and the reason (not 313, not a
 * timeout); the same from a forger who cannot sign, in clear, is dropped
 * and ends nothing.
 */
START_TEST(v3_answer_past_the_bound_ends_request_with_317)
{
	static uint8_t	 forged[65536];
	struct sess_mgr	*m = fakeio_mgr(5000000000ULL);
	struct sess_opts o;
	struct fakeio_rec	 rec = { 0 }, rec2 = { 0 };
	struct usm_secparams sp;
	struct sess	*s;
	const uint8_t	*p;
	size_t		 plen, n;
	int32_t		 msgid;
	uint8_t		 flags;

	agent_init(USM_AUTH_SHA256, USM_PRIV_AES, USM_KEYEXT_BLUMENTHAL);
	s = v3_sess(m, &o);
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.error, 0);
	memset(&rec, 0, sizeof(rec));
	ag.many = SNMPMGR_MAX_VARBINDS + 52;
	ck_assert_ptr_nonnull(fakeio_get(s, &rec));
	pump(m);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_DEFECTIVE);
	ck_assert_msg(strstr(rec.detail, "2100 varbinds") != NULL,
	    "detail: %s", rec.detail);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_DEFECTIVE);
	ck_assert_uint_eq(sess_get_stats(s)->bad_packets, 1);
	ck_assert_uint_eq(sess_get_usm_stats(s)->decryption_errors, 0);
	ck_assert_uint_eq(sess_pending(s), 0);

	/* Forged in clear for a request waiting for its answer. */
	ag.silent = true;
	ck_assert_ptr_nonnull(fakeio_get(s, &rec2));
	pump(m);
	sent_v3(fk.nsent - 1, &flags, &msgid, &sp);
	plen = agent_many(msgid, SNMPMGR_MAX_VARBINDS + 52, &p);
	usm_user_free(ag.u);
	ag.u = NULL;
	n = agent_wrap(p, plen, 0, msgid, (const uint8_t *)"ops", 3, forged,
	    sizeof(forged), ag.boots, agent_time());
	deliver(m, forged, n);
	ck_assert_int_eq(rec2.called, 0);
	ck_assert_int_eq(fk.bad, SNMPMGR_ERR_NOT_AUTHENTICATED);
	ck_assert_uint_eq(sess_pending(s), 1);
	sess_opts_release(&o);
	sess_mgr_free(m);
	agent_free();
}
END_TEST

static Suite *
v3_suite(void)
{
	Suite	*s = suite_create("v3");
	TCase	*tc = tcase_create("engine");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, v3_two_step_discovery_then_authpriv_get);
	tcase_add_test(tc, v3_every_auth_and_priv_protocol_round_trips);
	tcase_add_test(tc, v3_single_step_discovery_and_noauth);
	tcase_add_test(tc, v3_preset_engine_boots_time_skip_discovery);
	tcase_add_test(tc, v3_stale_preset_engine_id_recovers);
	tcase_add_test(tc, v3_agent_reboot_recovers_without_caller_noticing);
	tcase_add_test(tc, v3_engine_id_change_rediscovers_and_resends);
	tcase_add_test(tc, v3_recovery_once_then_error_325);
	tcase_add_test(tc, v3_reports_map_to_numbered_errors);
	tcase_add_test(tc, v3_wrong_credentials_get_the_agents_errors);
	tcase_add_test(tc,
	    v3_forged_response_with_bad_digest_dropped_and_counted);
	tcase_add_test(tc, v3_replayed_response_outside_time_window_dropped);
	tcase_add_test(tc, v3_retransmission_new_msgid_old_one_still_matches);
	tcase_add_test(tc, v3_silent_agent_fails_waiting_requests_with_201);
	tcase_add_test(tc, v3_cancel_and_free_while_waiting_for_discovery);
	tcase_add_test(tc, v3_discover_runs_again_and_reports);
	tcase_add_test(tc, v3_hooks_see_reports_and_discovery);
	tcase_add_test(tc, v3_options_checked);
	tcase_add_test(tc, v3_mutated_responses_dropped_never_accepted);
	tcase_add_test(tc, v3_request_past_the_agents_msgmaxsize_refused);
	tcase_add_test(tc, v3_answer_past_the_bound_ends_request_with_317);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(v3_suite());
}
