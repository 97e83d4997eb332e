/*
 * check_traps.c - unit tests of daemon/trap_rx.c: the trap receiver's
 * decisions about single datagrams, driven with packets built here (by
 * core/pdu.c and trapproc_v3_encode for SNMPv3) and a fake clock.
 *
 * Covers RFC 3584 3.1 trap folding, community checks, the v2c inform
 * Response (RFC 3416 4.2.7), and the USM receive path of RFC 3414 3.2 in
 * both roles: traps (the sender authoritative, keys localized for its
 * engine, boots/time tracked per engine, stale boots rejected) and
 * informs (we authoritative: discovery Report, time-window Report, the
 * Response authenticated and encrypted with keys localized for our
 * engine).  And what a hostile sender must not get (issue 9 item 5): a
 * replay accepted after a flood of engine IDs, new engines learnt
 * without bound, engine IDs outside 5..32 octets, Reports without a
 * rate limit.
 */
#include <config.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/tsm.h"
#include "core/usm.h"
#include "core/v3.h"
#include "daemon/trap_rx.h"
#include "check_main.h"

static const uint8_t OURS[] = { 0x80, 0x00, 0x1f, 0x88, 0x04, 'o', 'u', 'r',
	's', '1' };
static const uint8_t SENDER1[] = { 0x80, 0x00, 0x1f, 0x88, 0x04, 's', 'n',
	'd', '1' };
static const uint8_t SENDER2[] = { 0x80, 0x00, 0x1f, 0x88, 0x04, 's', 'n',
	'd', '2' };
#define NOW	1000

static uint8_t	 s1[SNMPMGR_MAX_DGRAM], s2[SNMPMGR_MAX_DGRAM],
		 outbuf[SNMPMGR_MAX_DGRAM], pkt[SNMPMGR_MAX_DGRAM];
static struct sockaddr_in from;

/* A receiver tracking up to max_engines sender engines (0: the
 * default), with alice (authPriv) and bob (authNoPriv). */
static struct trapproc *
tp_make_n(size_t max_engines)
{
	struct trapproc		*tp;
	struct usm_cred_params	 p;

	usm_init();
	from.sin_family = AF_INET;
	from.sin_port = htons(40000);
	from.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_ptr_nonnull(tp = trapproc_new(max_engines, 0));
	ck_assert_int_eq(trapproc_add_community(tp, "public"), 0);
	trapproc_set_engine(tp, OURS, sizeof(OURS), 3, NOW);
	memset(&p, 0, sizeof(p));
	p.user = "alice";
	p.auth = USM_AUTH_SHA;
	p.auth_password = "alicepass1";
	p.priv = USM_PRIV_AES;
	p.priv_password = "alicepriv1";
	ck_assert_int_eq(trapproc_add_user(tp, &p, NULL, NULL, 0), 0);
	memset(&p, 0, sizeof(p));
	p.user = "bob";
	p.auth = USM_AUTH_SHA256;
	p.auth_password = "bobpass123";
	ck_assert_int_eq(trapproc_add_user(tp, &p, NULL, NULL, 0), 0);
	return tp;
}

static struct trapproc *
tp_make(void)
{
	return tp_make_n(0);
}

static struct usm_user *
user_for(const char *name, enum usm_auth auth, const char *apw,
    enum usm_priv priv, const char *ppw, enum usm_keyext ext,
    const uint8_t *eng, size_t englen)
{
	struct usm_cred_params	 p;
	struct usm_cred		*c;
	struct usm_user		*u;

	memset(&p, 0, sizeof(p));
	p.user = name;
	p.auth = auth;
	p.auth_password = apw;
	p.priv = priv;
	p.priv_password = ppw;
	p.keyext = ext;
	ck_assert_ptr_nonnull(c = usm_cred_new(&p));
	ck_assert_ptr_nonnull(u = usm_user_new(c, eng, englen));
	usm_cred_free(c);
	return u;
}

/* sysUpTime.0, snmpTrapOID.0 = linkDown, ifIndex.2 = 2, a text. */
static struct snmp_varbind vbs[4];
static uint8_t trapoid_ber[64];

static void
vbs_fill(void)
{
	struct oid	 o;
	ssize_t		 n;

	memset(vbs, 0, sizeof(vbs));
	oid_parse_str(&vbs[0].name, "1.3.6.1.2.1.1.3.0");
	vbs[0].value.type = SNMP_T_TIMETICKS;
	vbs[0].value.u = 1234;
	oid_parse_str(&vbs[1].name, "1.3.6.1.6.3.1.1.4.1.0");
	oid_parse_str(&o, "1.3.6.1.6.3.1.1.5.3");
	n = oid_to_ber(&o, trapoid_ber, sizeof(trapoid_ber));
	vbs[1].value.type = SNMP_T_OID;
	vbs[1].value.data = trapoid_ber;
	vbs[1].value.len = (size_t)n;
	oid_parse_str(&vbs[2].name, "1.3.6.1.2.1.2.2.1.1.2");
	vbs[2].value.type = SNMP_T_INTEGER;
	vbs[2].value.i = 2;
	oid_parse_str(&vbs[3].name, "1.3.6.1.2.1.2.2.1.2.2");
	vbs[3].value.type = SNMP_T_OCTETS;
	vbs[3].value.data = (const uint8_t *)"eth0";
	vbs[3].value.len = 4;
}

static size_t
enc_community(int version, const char *community, uint8_t type,
    int32_t reqid, const uint8_t **p)
{
	struct snmp_msg	 m;
	ssize_t		 n;

	vbs_fill();
	memset(&m, 0, sizeof(m));
	m.version = version;
	m.community = (const uint8_t *)community;
	m.community_len = strlen(community);
	m.pdu.type = type;
	m.pdu.request_id = reqid;
	m.pdu.vb = vbs;
	m.pdu.nvb = m.pdu.maxvb = 4;
	n = snmp_msg_encode(&m, pkt, sizeof(pkt), p);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* A v3 message with engine `eng` authoritative (boots/time given). */
static size_t
enc_v3(struct usm_user *u, bool priv, const uint8_t *eng, size_t englen,
    uint32_t boots, uint32_t etime, const char *user, uint8_t type,
    int32_t reqid, const uint8_t **p)
{
	struct trapproc_local	 me;
	struct snmp_pdu		 pdu;
	ssize_t			 n;

	vbs_fill();
	me.engine_id = eng;
	me.engine_id_len = englen;
	me.boots = boots;
	me.time = etime;
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = type;
	pdu.request_id = reqid;
	pdu.vb = vbs;
	pdu.nvb = pdu.maxvb = 4;
	n = trapproc_v3_encode(&me, u, priv, 77, (const uint8_t *)user,
	    strlen(user), eng, englen, (const uint8_t *)"", 0, &pdu, NULL,
	    SNMPMGR_MAX_MSG_SIZE, s1, s2, outbuf, p);
	ck_assert_msg(n > 0, "encode: %s", snmpmgr_lasterr_detail());
	memcpy(pkt, *p, (size_t)n);
	*p = pkt;
	return (size_t)n;
}

static void
input(struct trapproc *tp, const uint8_t *p, size_t n, int64_t now,
    struct trapproc_out *out)
{
	trapproc_input(tp, p, n, (struct sockaddr *)&from,
	    "2026-11-21T10:00:00.000001Z", "udp:127.0.0.1:162", now, out);
}

static void
input_from(struct trapproc *tp, const uint8_t *p, size_t n,
    const struct sockaddr *sa, int64_t now, struct trapproc_out *out)
{
	trapproc_input(tp, p, n, sa, "2026-11-21T10:00:00.000001Z",
	    "udp:[::]:162", now, out);
}

/* Engine ID number i: 80001f8804 "fl" and i in two octets. */
static void
flood_engine(unsigned i, uint8_t id[9])
{
	static const uint8_t	 head[] = { 0x80, 0x00, 0x1f, 0x88, 0x04, 'f',
		'l' };

	memcpy(id, head, sizeof(head));
	id[7] = (uint8_t)(i >> 8);
	id[8] = (uint8_t)i;
}

/*
 * Authenticated traps from bob under count engine IDs from number first
 * on (boots 1, time 1), as an attacker holding bob's keys could send;
 * how many were accepted.
 */
static unsigned
flood_engines(struct trapproc *tp, unsigned first, unsigned count,
    int64_t now)
{
	struct usm_cred_params	 cp;
	struct usm_cred		*c;
	struct usm_user		*u;
	struct trapproc_out	 out;
	const uint8_t		*p;
	uint8_t			 id[9];
	unsigned		 i, ok = 0;
	size_t			 n;

	memset(&cp, 0, sizeof(cp));
	cp.user = "bob";
	cp.auth = USM_AUTH_SHA256;
	cp.auth_password = "bobpass123";
	ck_assert_ptr_nonnull(c = usm_cred_new(&cp));
	for (i = first; i < first + count; i++) {
		flood_engine(i, id);
		ck_assert_ptr_nonnull(u = usm_user_new(c, id, sizeof(id)));
		n = enc_v3(u, false, id, sizeof(id), 1, 1, "bob",
		    SNMP_PDU_TRAP, (int32_t)i, &p);
		input(tp, p, n, now, &out);
		if (out.verdict == TRAPPROC_ACCEPT)
			ok++;
		usm_user_free(u);
	}
	usm_cred_free(c);
	return ok;
}

static json_t *
rec_json(const struct trapproc_out *out)
{
	json_t	*j;

	ck_assert_int_eq(out->verdict, TRAPPROC_ACCEPT);
	ck_assert_ptr_nonnull(j = json_loadb(out->rec, out->reclen, 0, NULL));
	return j;
}

static const char *
jstr(json_t *j, const char *key)
{
	const char	*s = json_string_value(json_object_get(j, key));

	ck_assert_msg(s != NULL, "no string %s", key);
	return s;
}

/* ------------------------------------------------------------ folding */

START_TEST(traps_v1_generic_trap_folds_to_snmptraps)
{
	struct snmp_pdu	 pdu;
	struct oid	 o;
	char		 buf[SNMPMGR_MAX_OID_STR];
	int		 g;

	memset(&pdu, 0, sizeof(pdu));
	oid_parse_str(&pdu.enterprise, "1.3.6.1.4.1.8072.3.2.10");
	for (g = 0; g <= 5; g++) {
		pdu.generic_trap = g;
		ck_assert_int_eq(trapproc_v1_trap_oid(&pdu, &o), 0);
		oid_format(&o, buf, sizeof(buf));
		ck_assert_uint_eq(o.len, 10);
		ck_assert_uint_eq(o.arcs[9], (uint32_t)g + 1);
		ck_assert(strncmp(buf, "1.3.6.1.6.3.1.1.5.", 18) == 0);
	}
}
END_TEST

START_TEST(traps_v1_enterprise_specific_folds_to_enterprise_0_specific)
{
	struct snmp_pdu	 pdu;
	struct oid	 o;
	char		 buf[SNMPMGR_MAX_OID_STR];

	memset(&pdu, 0, sizeof(pdu));
	oid_parse_str(&pdu.enterprise, "1.3.6.1.4.1.8072.2.3.1");
	pdu.generic_trap = 6;
	pdu.specific_trap = 17;
	ck_assert_int_eq(trapproc_v1_trap_oid(&pdu, &o), 0);
	oid_format(&o, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.3.6.1.4.1.8072.2.3.1.0.17");
	pdu.generic_trap = 7;
	ck_assert_int_eq(trapproc_v1_trap_oid(&pdu, &o), -1);
	pdu.generic_trap = 6;
	pdu.specific_trap = -1;
	ck_assert_int_eq(trapproc_v1_trap_oid(&pdu, &o), -1);
}
END_TEST

START_TEST(traps_v2_fields_need_snmptrapoid)
{
	struct snmp_pdu	 pdu;
	struct oid	 o;
	int64_t		 up;

	vbs_fill();
	memset(&pdu, 0, sizeof(pdu));
	pdu.vb = vbs;
	pdu.nvb = 4;
	ck_assert_int_eq(trapproc_v2_fields(&pdu, &up, &o), 0);
	ck_assert_int_eq(up, 1234);
	ck_assert_uint_eq(o.arcs[9], 3);
	/* Without sysUpTime.0 first. */
	pdu.vb = vbs + 1;
	pdu.nvb = 3;
	ck_assert_int_eq(trapproc_v2_fields(&pdu, &up, &o), 0);
	ck_assert_int_eq(up, -1);
	/* Without snmpTrapOID.0. */
	pdu.vb = vbs + 2;
	pdu.nvb = 2;
	ck_assert_int_eq(trapproc_v2_fields(&pdu, &up, &o), -1);
}
END_TEST

/* ------------------------------------------------------------ v1, v2c */

START_TEST(traps_v1_trap_record_has_v1_fields)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_msg		 m;
	const uint8_t		*p;
	json_t			*j;
	ssize_t			 n;

	vbs_fill();
	memset(&m, 0, sizeof(m));
	m.version = SNMP_V1;
	m.community = (const uint8_t *)"public";
	m.community_len = 6;
	m.pdu.type = SNMP_PDU_TRAP_V1;
	oid_parse_str(&m.pdu.enterprise, "1.3.6.1.4.1.8072.2.3.1");
	memcpy(m.pdu.agent_addr, "\xc0\x00\x02\x01", 4);
	m.pdu.generic_trap = 6;
	m.pdu.specific_trap = 17;
	m.pdu.time_stamp = 555;
	m.pdu.vb = vbs + 2;
	m.pdu.nvb = m.pdu.maxvb = 2;
	ck_assert_int_gt(n = snmp_msg_encode(&m, pkt, sizeof(pkt), &p), 0);
	input(tp, p, (size_t)n, NOW, &out);
	j = rec_json(&out);
	ck_assert_str_eq(jstr(j, "version"), "1");
	ck_assert_str_eq(jstr(j, "type"), "trap");
	ck_assert_str_eq(jstr(j, "source"), "127.0.0.1");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "port")), 40000);
	ck_assert_str_eq(jstr(j, "community"), "public");
	ck_assert_str_eq(jstr(j, "enterprise"), "1.3.6.1.4.1.8072.2.3.1");
	ck_assert_str_eq(jstr(j, "agent_addr"), "192.0.2.1");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "generic_trap")), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "specific_trap")), 17);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "uptime")),
	    555);
	ck_assert_str_eq(jstr(j, "trap_oid"), "1.3.6.1.4.1.8072.2.3.1.0.17");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "varbinds")), 2);
	ck_assert_ptr_null(out.reply);
	json_decref(j);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v2c_trap_record_keeps_all_varbinds)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	const uint8_t		*p;
	json_t			*j, *vb;
	size_t			 n;

	n = enc_community(SNMP_V2C, "public", SNMP_PDU_TRAP, 4242, &p);
	input(tp, p, n, NOW, &out);
	j = rec_json(&out);
	ck_assert_str_eq(jstr(j, "version"), "2c");
	ck_assert_str_eq(jstr(j, "time"), "2026-11-21T10:00:00.000001Z");
	ck_assert_str_eq(jstr(j, "listener"), "udp:127.0.0.1:162");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "request_id")), 4242);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "uptime")),
	    1234);
	ck_assert_str_eq(jstr(j, "trap_oid"), "1.3.6.1.6.3.1.1.5.3");
	vb = json_object_get(j, "varbinds");
	ck_assert_uint_eq(json_array_size(vb), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(vb,
	    3), "value")), "eth0");
	ck_assert_ptr_null(out.reply);
	json_decref(j);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_bad_community_rejected_and_counted)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	const uint8_t		*p;
	size_t			 n;

	n = enc_community(SNMP_V2C, "wrong", SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_BAD_COMMUNITY);
	ck_assert_ptr_null(out.rec);
	/* The detail does not show the community. */
	ck_assert_ptr_null(strstr(out.detail, "wrong"));
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.rejected[TRAPPROC_BAD_COMMUNITY], 1);
	ck_assert_uint_eq(st.traps, 0);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v2c_inform_answered_with_same_reqid_and_varbinds)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_varbind	 rvb[8];
	struct snmp_msg		 m;
	const uint8_t		*p;
	size_t			 n, t;

	n = enc_community(SNMP_V2C, "public", SNMP_PDU_INFORM, 99, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	ck_assert(out.inform);
	ck_assert_ptr_nonnull(out.reply);
	m.pdu.vb = rvb;
	m.pdu.maxvb = 8;
	ck_assert_int_eq(snmp_msg_decode(out.reply, out.replylen, &m), 0);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_int_eq(m.pdu.request_id, 99);
	ck_assert_int_eq(m.pdu.error_status, 0);
	ck_assert_uint_eq(m.pdu.nvb, 4);
	ck_assert_int_eq(oid_cmp(&m.pdu.vb[2].name, &vbs[2].name), 0);
	ck_assert_uint_eq(m.community_len, 6);
	/* RFC 3416 4.2.7: the same message but for the PDU's tag; the
	 * varbinds go back octet for octet. */
	n = enc_community(SNMP_V2C, "public", SNMP_PDU_INFORM, 99, &p);
	ck_assert_uint_eq(out.replylen, n);
	/* The PDU's tag: after the message's header, version and
	 * community (02 01 01, 04 06 "public"). */
	t = (p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f)) + 3 + 8;
	ck_assert_uint_eq(p[t], SNMP_PDU_INFORM);
	ck_assert_uint_eq(out.reply[t], SNMP_PDU_RESPONSE);
	ck_assert_int_eq(memcmp(out.reply, p, t), 0);
	ck_assert_int_eq(memcmp(out.reply + t + 1, p + t + 1, n - t - 1), 0);
	/* Without auto-acknowledgement: recorded, not answered. */
	trapproc_set_auto_ack(tp, false);
	n = enc_community(SNMP_V2C, "public", SNMP_PDU_INFORM, 100, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	ck_assert_ptr_null(out.reply);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_get_on_trap_port_is_unexpected)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	const uint8_t		*p;
	size_t			 n;

	n = enc_community(SNMP_V2C, "public", SNMP_PDU_GET, 5, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_UNEXPECTED_PDU);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_garbage_is_malformed)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	static const uint8_t	 junk[] = { 0x30, 0x05, 0x02, 0x01, 0x01,
		0x04, 0x09 };

	input(tp, junk, sizeof(junk), NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_MALFORMED);
	ck_assert_int_eq(out.error, SNMPMGR_ERR_DEFECTIVE);
	trapproc_free(tp);
}
END_TEST

/* ------------------------------------------------------------ v3 traps */

START_TEST(traps_v3_authpriv_trap_accepted_with_sender_keys)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct usm_user		*u;
	const uint8_t		*p;
	json_t			*j;
	size_t			 n;

	u = user_for("alice", USM_AUTH_SHA, "alicepass1", USM_PRIV_AES,
	    "alicepriv1", USM_KEYEXT_BLUMENTHAL, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 5, 300, "alice",
	    SNMP_PDU_TRAP, 31, &p);
	input(tp, p, n, NOW, &out);
	j = rec_json(&out);
	ck_assert_str_eq(jstr(j, "version"), "3");
	ck_assert_str_eq(jstr(j, "user"), "alice");
	ck_assert_str_eq(jstr(j, "security_level"), "authPriv");
	ck_assert_str_eq(jstr(j, "engine_id"), "80001f8804736e6431");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "engine_boots")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "request_id")), 31);
	ck_assert_str_eq(jstr(j, "trap_oid"), "1.3.6.1.6.3.1.1.5.3");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "varbinds")), 4);
	ck_assert_ptr_null(out.reply);
	json_decref(j);
	/* The same key again comes from the cache. */
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 5, 301, "alice",
	    SNMP_PDU_TRAP, 32, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.localizations, 1);
	ck_assert_uint_eq(st.v3, 2);
	ck_assert_uint_eq(st.engines, 1);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

/*
 * A sender engine keeps the keys its last trap was checked with; they
 * are used only for the same credential: after a reload that changes
 * the user's password the old keys check nothing.
 */
START_TEST(traps_v3_engine_keys_follow_reload)
{
	struct trapproc		*tp = tp_make(), *other;
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct usm_cred_params	 cp;
	struct usm_user		*u, *u2;
	const uint8_t		*p;
	size_t			 n;

	u = user_for("alice", USM_AUTH_SHA, "alicepass1", USM_PRIV_AES,
	    "alicepriv1", 0, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 5, 300, "alice",
	    SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 5, 301, "alice",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.localizations, 1);
	ck_assert_uint_eq(st.key_cache_hits, 1);

	/* Reload: alice with another authentication password. */
	ck_assert_ptr_nonnull(other = trapproc_new(0, 0));
	memset(&cp, 0, sizeof(cp));
	cp.user = "alice";
	cp.auth = USM_AUTH_SHA;
	cp.auth_password = "alicepass2";
	cp.priv = USM_PRIV_AES;
	cp.priv_password = "alicepriv1";
	ck_assert_int_eq(trapproc_add_user(other, &cp, NULL, NULL, 0), 0);
	trapproc_swap_access(tp, other);
	trapproc_free(other);
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 5, 302, "alice",
	    SNMP_PDU_TRAP, 3, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_WRONG_DIGEST);
	u2 = user_for("alice", USM_AUTH_SHA, "alicepass2", USM_PRIV_AES,
	    "alicepriv1", 0, SENDER1, sizeof(SENDER1));
	n = enc_v3(u2, true, SENDER1, sizeof(SENDER1), 5, 303, "alice",
	    SNMP_PDU_TRAP, 4, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	n = enc_v3(u2, true, SENDER1, sizeof(SENDER1), 5, 304, "alice",
	    SNMP_PDU_TRAP, 5, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	trapproc_get_stats(tp, &st);
	/* 302 localized the new keys, 303 found them in the cache, 304
	 * in the engine's entry. */
	ck_assert_uint_eq(st.localizations, 2);
	ck_assert_uint_eq(st.key_cache_hits, 3);
	usm_user_free(u);
	usm_user_free(u2);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_same_user_two_engines)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct usm_user		*u1, *u2;
	const uint8_t		*p;
	size_t			 n;

	u1 = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0,
	    SENDER1, sizeof(SENDER1));
	u2 = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0,
	    SENDER2, sizeof(SENDER2));
	n = enc_v3(u1, false, SENDER1, sizeof(SENDER1), 1, 10, "bob",
	    SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	n = enc_v3(u2, false, SENDER2, sizeof(SENDER2), 9, 9000, "bob",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	/* A key localized for the wrong engine does not verify. */
	n = enc_v3(u1, false, SENDER2, sizeof(SENDER2), 9, 9001, "bob",
	    SNMP_PDU_TRAP, 3, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_WRONG_DIGEST);
	usm_user_free(u1);
	usm_user_free(u2);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_stale_boots_rejected)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct usm_user		*u;
	const uint8_t		*p;
	size_t			 n;

	u = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0,
	    SENDER1, sizeof(SENDER1));
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 5, 1000, "bob",
	    SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	/* Another sender reusing the engine ID, booted fewer times. */
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 4, 5000, "bob",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW + 1, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_NOT_IN_TIME_WINDOW);
	ck_assert_int_eq(out.error, SNMPMGR_ERR_TIME_FRAME);
	/* Same boots, time far behind: a replay. */
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 5, 500, "bob",
	    SNMP_PDU_TRAP, 3, &p);
	input(tp, p, n, NOW + 1, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_NOT_IN_TIME_WINDOW);
	/* A reboot (boots up) is fine. */
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 6, 1, "bob",
	    SNMP_PDU_TRAP, 4, &p);
	input(tp, p, n, NOW + 2, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.rejected[TRAPPROC_NOT_IN_TIME_WINDOW], 2);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_wrong_user_password_level)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct usm_user		*u;
	const uint8_t		*p;
	size_t			 n;

	/* Unknown user. */
	u = user_for("mallory", USM_AUTH_SHA, "mallorypw1", 0, NULL, 0,
	    SENDER1, sizeof(SENDER1));
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 1, 1, "mallory",
	    SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_UNKNOWN_USER);
	ck_assert_ptr_null(out.reply);		/* traps get no report */
	usm_user_free(u);
	/* Wrong password. */
	u = user_for("alice", USM_AUTH_SHA, "notalicepw", USM_PRIV_AES,
	    "alicepriv1", 0, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 1, 1, "alice",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_WRONG_DIGEST);
	usm_user_free(u);
	/* Wrong privacy password. */
	u = user_for("alice", USM_AUTH_SHA, "alicepass1", USM_PRIV_AES,
	    "wrongpriv1", 0, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 1, 1, "alice",
	    SNMP_PDU_TRAP, 3, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_DECRYPTION_ERROR);
	/* authNoPriv from an authPriv user. */
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 1, 1, "alice",
	    SNMP_PDU_TRAP, 4, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_UNSUPPORTED_SEC_LEVEL);
	/* noAuthNoPriv claiming to be bob. */
	n = enc_v3(NULL, false, SENDER1, sizeof(SENDER1), 1, 1, "bob",
	    SNMP_PDU_TRAP, 5, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_UNSUPPORTED_SEC_LEVEL);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_engine_allow_list)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct usm_cred_params	 cp;
	struct usm_user		*u;
	const uint8_t		*engs[1] = { SENDER2 };
	size_t			 lens[1] = { sizeof(SENDER2) };
	const uint8_t		*p;
	size_t			 n;

	memset(&cp, 0, sizeof(cp));
	cp.user = "carol";
	cp.auth = USM_AUTH_MD5;
	cp.auth_password = "carolpass1";
	ck_assert_int_eq(trapproc_add_user(tp, &cp, engs, lens, 1), 0);
	u = user_for("carol", USM_AUTH_MD5, "carolpass1", 0, NULL, 0,
	    SENDER1, sizeof(SENDER1));
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 1, 1, "carol",
	    SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_UNKNOWN_ENGINE);
	usm_user_free(u);
	u = user_for("carol", USM_AUTH_MD5, "carolpass1", 0, NULL, 0,
	    SENDER2, sizeof(SENDER2));
	n = enc_v3(u, false, SENDER2, sizeof(SENDER2), 1, 1, "carol",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_auto_key_extension_tries_both)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct usm_cred_params	 cp;
	struct usm_user		*u;
	const uint8_t		*p;
	size_t			 n;

	if (usm_priv_available(USM_PRIV_AES192) == -1)
		return;
	/* As traps.c registers priv_key_extension "auto". */
	memset(&cp, 0, sizeof(cp));
	cp.user = "dave";
	cp.auth = USM_AUTH_MD5;
	cp.auth_password = "davepass12";
	cp.priv = USM_PRIV_AES192;
	cp.priv_password = "davepriv12";
	cp.keyext = USM_KEYEXT_BLUMENTHAL;
	ck_assert_int_eq(trapproc_add_user(tp, &cp, NULL, NULL, 0), 0);
	cp.keyext = USM_KEYEXT_REEDER;
	ck_assert_int_eq(trapproc_add_user(tp, &cp, NULL, NULL, 0), 0);
	u = user_for("dave", USM_AUTH_MD5, "davepass12", USM_PRIV_AES192,
	    "davepriv12", USM_KEYEXT_REEDER, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 1, 1, "dave",
	    SNMP_PDU_TRAP, 1, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	usm_user_free(u);
	u = user_for("dave", USM_AUTH_MD5, "davepass12", USM_PRIV_AES192,
	    "davepriv12", USM_KEYEXT_BLUMENTHAL, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, true, SENDER1, sizeof(SENDER1), 1, 2, "dave",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

/* ------------------------------------------------------------ v3 informs */

/* Decode a reply of ours; u (localized for OURS) checks and decrypts. */
static void
reply_decode(const struct trapproc_out *out, struct usm_user *u,
    struct snmp_msg *m, struct usm_secparams *sp)
{
	static struct snmp_varbind rvb[8];
	static uint8_t	 plain[SNMPMGR_MAX_DGRAM];
	size_t		 plen = sizeof(plain);

	ck_assert_ptr_nonnull(out->reply);
	m->pdu.vb = rvb;
	m->pdu.maxvb = 8;
	ck_assert_int_eq(snmp_msg_decode(out->reply, out->replylen, m), 0);
	ck_assert_int_eq(m->version, SNMP_V3);
	ck_assert_int_eq(usm_secparams_decode(m->sec_params,
	    m->sec_params_len, sp), 0);
	ck_assert_uint_eq(sp->engine_id_len, sizeof(OURS));
	ck_assert(memcmp(sp->engine_id, OURS, sizeof(OURS)) == 0);
	ck_assert_uint_eq(sp->boots, 3);
	if (m->msg_flags & SNMP_MSGFLAG_AUTH)
		ck_assert_int_eq(usm_auth_verify(u, out->reply, out->replylen,
		    (size_t)(sp->auth - out->reply), sp->auth_len), 0);
	if (m->msg_flags & SNMP_MSGFLAG_PRIV) {
		ck_assert_int_eq(usm_decrypt(u, sp->boots, sp->time, sp->priv,
		    sp->priv_len, m->encrypted, m->encrypted_len, plain,
		    &plen), 0);
		ck_assert_int_eq(snmp_scoped_pdu_decode(plain, plen, m), 0);
	}
}

START_TEST(traps_v3_discovery_gets_our_engine_id)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_msg		 m;
	struct usm_secparams	 sp;
	char			 buf[SNMPMGR_MAX_OID_STR];
	const uint8_t		*p;
	size_t			 n;

	/* A probe as snmpinform sends it: empty engine ID, noAuthNoPriv, a
	 * confirmed-class PDU, so reportable. */
	n = enc_v3(NULL, false, (const uint8_t *)"", 0, 0, 0, "",
	    SNMP_PDU_GET, 7, &p);
	input(tp, p, n, NOW + 40, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
	ck_assert(out.discovery);
	reply_decode(&out, NULL, &m, &sp);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_REPORT);
	ck_assert_int_eq(m.pdu.request_id, 7);
	ck_assert_int_eq(m.msg_id, 77);
	ck_assert_uint_eq(sp.time, 40);
	oid_format(&m.pdu.vb[0].name, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.3.6.1.6.3.15.1.1.4.0");
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_inform_acknowledged_with_our_keys)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_msg		 m;
	struct usm_secparams	 sp;
	struct usm_user		*u;
	const uint8_t		*p;
	json_t			*j;
	size_t			 n, i;

	u = user_for("alice", USM_AUTH_SHA, "alicepass1", USM_PRIV_AES,
	    "alicepriv1", 0, OURS, sizeof(OURS));
	n = enc_v3(u, true, OURS, sizeof(OURS), 3, 10, "alice",
	    SNMP_PDU_INFORM, 555, &p);
	input(tp, p, n, NOW + 12, &out);
	j = rec_json(&out);
	ck_assert_str_eq(jstr(j, "type"), "inform");
	json_decref(j);
	ck_assert(out.inform);
	reply_decode(&out, u, &m, &sp);
	ck_assert_int_eq(m.msg_flags, SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV);
	ck_assert_int_eq(m.msg_id, 77);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_int_eq(m.pdu.request_id, 555);
	ck_assert_uint_eq(m.pdu.nvb, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(oid_cmp(&m.pdu.vb[i].name, &vbs[i].name), 0);
		ck_assert_uint_eq(m.pdu.vb[i].value.type, vbs[i].value.type);
		ck_assert_uint_eq(m.pdu.vb[i].value.len, vbs[i].value.len);
		ck_assert(m.pdu.vb[i].value.len == 0 ||
		    memcmp(m.pdu.vb[i].value.data, vbs[i].value.data,
		    vbs[i].value.len) == 0);
		if (vbs[i].value.data == NULL)
			ck_assert_uint_eq(m.pdu.vb[i].value.u, vbs[i].value.u);
	}
	ck_assert_uint_eq(sp.time, 12);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_v3_inform_out_of_window_gets_authenticated_report)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_msg		 m;
	struct usm_secparams	 sp;
	struct usm_user		*u;
	char			 buf[SNMPMGR_MAX_OID_STR];
	const uint8_t		*p;
	size_t			 n;

	u = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0, OURS,
	    sizeof(OURS));
	/* Boots 0 / time 0: what a sender knows before it synchronizes. */
	n = enc_v3(u, false, OURS, sizeof(OURS), 0, 0, "bob",
	    SNMP_PDU_INFORM, 9, &p);
	input(tp, p, n, NOW + 500, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
	ck_assert_int_eq(out.reason, TRAPPROC_NOT_IN_TIME_WINDOW);
	reply_decode(&out, u, &m, &sp);
	ck_assert_int_eq(m.msg_flags, SNMP_MSGFLAG_AUTH);
	ck_assert_uint_eq(sp.time, 500);
	oid_format(&m.pdu.vb[0].name, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.3.6.1.6.3.15.1.1.2.0");
	/* In the window now. */
	n = enc_v3(u, false, OURS, sizeof(OURS), 3, 501, "bob",
	    SNMP_PDU_INFORM, 10, &p);
	input(tp, p, n, NOW + 500, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	/* An inform for another engine: tell the sender ours. */
	usm_user_free(u);
	u = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0,
	    SENDER1, sizeof(SENDER1));
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 1, 1, "bob",
	    SNMP_PDU_INFORM, 11, &p);
	input(tp, p, n, NOW + 500, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
	ck_assert_int_eq(out.reason, TRAPPROC_UNKNOWN_ENGINE);
	reply_decode(&out, NULL, &m, &sp);
	oid_format(&m.pdu.vb[0].name, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.3.6.1.6.3.15.1.1.4.0");
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

/*
 * Issue 9 item 5: a replay refused as out of its time window must stay
 * refused after a flood of authenticated traps from other engine IDs
 * (here a table of 8): an engine seen within the window is never
 * evicted, so the flood's new engines are refused instead.
 */
START_TEST(traps_v3_replay_refused_after_engine_flood)
{
	struct trapproc		*tp = tp_make_n(8);
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct usm_user		*u;
	const uint8_t		*p;
	uint8_t			 old[SNMPMGR_MAX_DGRAM];
	size_t			 n, oldn;
	unsigned		 flooded;

	u = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0,
	    SENDER1, sizeof(SENDER1));
	/* The trap an attacker captures. */
	oldn = enc_v3(u, false, SENDER1, sizeof(SENDER1), 5, 1000, "bob",
	    SNMP_PDU_TRAP, 1, &p);
	memcpy(old, p, oldn);
	input(tp, old, oldn, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	/* The sender goes on; the capture is now out of the window. */
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 5, 1200, "bob",
	    SNMP_PDU_TRAP, 2, &p);
	input(tp, p, n, NOW + 200, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	input(tp, old, oldn, NOW + 200, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_NOT_IN_TIME_WINDOW);
	/* The flood: 7 engines fill the table, the rest find no room. */
	flooded = flood_engines(tp, 0, 40, NOW + 200);
	input(tp, old, oldn, NOW + 200, &out);
	ck_assert_msg(out.verdict == TRAPPROC_REJECT &&
	    out.reason == TRAPPROC_NOT_IN_TIME_WINDOW,
	    "the replay was accepted after the flood (verdict %d)",
	    out.verdict);
	ck_assert_uint_eq(flooded, 7);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.engines, 8);
	ck_assert_uint_eq(st.engines_evicted, 0);
	ck_assert_uint_eq(st.rejected[TRAPPROC_ENGINE_TABLE_FULL], 33);
	ck_assert_str_eq(trapproc_reason_name(TRAPPROC_ENGINE_TABLE_FULL),
	    "engine_table_full");
	/* Engines last seen longer than the window ago make room. */
	ck_assert_uint_eq(flood_engines(tp, 100, 1,
	    NOW + 200 + USM_TIME_WINDOW + 1), 1);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.engines_evicted, 1);
	usm_user_free(u);
	trapproc_free(tp);
}
END_TEST

/* Each user teaches us new engines only as fast as its bucket allows;
 * another user, and engines already tracked, are not held back. */
START_TEST(traps_v3_new_engines_rate_limited_per_user)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct usm_user		*u;
	const uint8_t		*p;
	size_t			 n;

	ck_assert_uint_eq(flood_engines(tp, 0,
	    SNMPMGR_MAX_TRAP_ENGINE_BURST + 10, NOW),
	    SNMPMGR_MAX_TRAP_ENGINE_BURST);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.rejected[TRAPPROC_ENGINE_RATE_LIMITED], 10);
	ck_assert_uint_eq(st.engines, SNMPMGR_MAX_TRAP_ENGINE_BURST);
	/* A tracked engine still gets through. */
	ck_assert_uint_eq(flood_engines(tp, 0, 1, NOW), 1);
	/* alice has a bucket of her own. */
	u = user_for("alice", USM_AUTH_SHA, "alicepass1", USM_PRIV_AES,
	    "alicepriv1", 0, SENDER2, sizeof(SENDER2));
	n = enc_v3(u, true, SENDER2, sizeof(SENDER2), 2, 20, "alice",
	    SNMP_PDU_TRAP, 5, &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	usm_user_free(u);
	/* A second later bob's bucket has refilled by the rate. */
	ck_assert_uint_eq(flood_engines(tp, 1000,
	    SNMPMGR_MAX_TRAP_ENGINE_RATE + 5, NOW + 1),
	    SNMPMGR_MAX_TRAP_ENGINE_RATE);
	trapproc_free(tp);
}
END_TEST

/* A TLV of short length (content under 128 octets) at w. */
static uint8_t *
tlv(uint8_t *w, uint8_t tag, const uint8_t *c, size_t n)
{
	ck_assert_uint_lt(n, 128);
	*w++ = tag;
	*w++ = (uint8_t)n;
	memmove(w, c, n);
	return w + n;
}

/* A v3 trap, noAuthNoPriv, whose msgAuthoritativeEngineID is englen
 * octets (any length, unlike what our encoder allows). */
static size_t
raw_v3_trap(size_t englen, uint8_t *out)
{
	static const uint8_t	 hdr[] = { 0x02, 0x01, 0x07, 0x02, 0x03,
		0x00, 0xff, 0xe3, 0x04, 0x01, 0x00, 0x02, 0x01, 0x03 };
	static const uint8_t	 ints[] = { 0x02, 0x01, 0x01, 0x02, 0x01,
		0x01, 0x04, 0x03, 'b', 'o', 'b', 0x04, 0x00, 0x04, 0x00 };
	static const uint8_t	 pdu[] = { 0x04, 0x00, 0x04, 0x00, 0xa7, 0x0b,
		0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30,
		0x00 };
	uint8_t			 eng[64], a[128], b[128], m[256], *w;

	memset(eng, 0x80, sizeof(eng));
	w = tlv(a, 0x04, eng, englen);
	memcpy(w, ints, sizeof(ints));
	w = tlv(b, 0x30, a, (size_t)(w - a) + sizeof(ints));
	w = tlv(a, 0x04, b, (size_t)(w - b));	/* msgSecurityParameters */
	memcpy(m, (const uint8_t []){ 0x02, 0x01, 0x03 }, 3);
	w = tlv(m + 3, 0x30, hdr, sizeof(hdr));
	memcpy(w, a, (size_t)(a[1] + 2));
	w += a[1] + 2;
	w = tlv(w, 0x30, pdu, sizeof(pdu));
	return (size_t)(tlv(out, 0x30, m, (size_t)(w - m)) - out);
}

/* RFC 3411 5: SnmpEngineID is 5..32 octets; others are refused. */
START_TEST(traps_v3_engine_id_length_enforced)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct usm_user		*u;
	uint8_t			 raw[512];
	const uint8_t		*p;
	size_t			 n;

	/* Four octets, authenticated with bob's keys for them. */
	u = user_for("bob", USM_AUTH_SHA256, "bobpass123", 0, NULL, 0,
	    SENDER1, 4);
	n = enc_v3(u, false, SENDER1, 4, 5, 1000, "bob", SNMP_PDU_TRAP, 1,
	    &p);
	input(tp, p, n, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_BAD_ENGINE_ID);
	ck_assert_int_eq(out.error, SNMPMGR_ERR_ENGINE_ID);
	usm_user_free(u);
	n = raw_v3_trap(1, raw);
	input(tp, raw, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_BAD_ENGINE_ID);
	n = raw_v3_trap(33, raw);
	input(tp, raw, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_BAD_ENGINE_ID);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.rejected[TRAPPROC_BAD_ENGINE_ID], 3);
	ck_assert_uint_eq(st.engines, 0);
	/* Five and 32 octets pass that check (and fail the next: bob's
	 * traps must be authenticated). */
	n = raw_v3_trap(5, raw);
	input(tp, raw, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_UNSUPPORTED_SEC_LEVEL);
	n = raw_v3_trap(32, raw);
	input(tp, raw, n, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_UNSUPPORTED_SEC_LEVEL);
	trapproc_free(tp);
}
END_TEST

/*
 * Discovery probes from one /24 (or /64) are answered up to the bucket,
 * then dropped and counted; another prefix is still answered, and the
 * first again once its bucket refills.
 */
START_TEST(traps_v3_discovery_rate_limited_per_prefix)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct trapproc_stats	 st;
	struct sockaddr_in	 a4;
	struct sockaddr_in6	 a6;
	const uint8_t		*p;
	size_t			 n;
	int			 i;

	n = enc_v3(NULL, false, (const uint8_t *)"", 0, 0, 0, "",
	    SNMP_PDU_GET, 7, &p);
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_port = htons(5000);
	a4.sin_addr.s_addr = htonl(0x0a010203);		/* 10.1.2.3 */
	for (i = 0; i < SNMPMGR_MAX_TRAP_REPORT_BURST; i++) {
		input_from(tp, p, n, (struct sockaddr *)&a4, NOW, &out);
		ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
		ck_assert_ptr_nonnull(out.reply);
	}
	input_from(tp, p, n, (struct sockaddr *)&a4, NOW, &out);
	ck_assert_msg(out.verdict == TRAPPROC_REJECT && out.reply == NULL,
	    "probe %d answered", i + 1);
	ck_assert_int_eq(out.reason, TRAPPROC_DISCOVERY_RATE_LIMITED);
	/* Another host of the same /24 shares the bucket. */
	a4.sin_addr.s_addr = htonl(0x0a0102c8);		/* 10.1.2.200 */
	input_from(tp, p, n, (struct sockaddr *)&a4, NOW, &out);
	ck_assert_ptr_null(out.reply);
	/* Another /24 does not. */
	a4.sin_addr.s_addr = htonl(0x0a010301);		/* 10.1.3.1 */
	input_from(tp, p, n, (struct sockaddr *)&a4, NOW, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
	ck_assert_ptr_nonnull(out.reply);
	/* IPv6: by /64. */
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons(5000);
	inet_pton(AF_INET6, "2001:db8:1:2::1", &a6.sin6_addr);
	for (i = 0; i < SNMPMGR_MAX_TRAP_REPORT_BURST; i++)
		input_from(tp, p, n, (struct sockaddr *)&a6, NOW, &out);
	inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &a6.sin6_addr);
	input_from(tp, p, n, (struct sockaddr *)&a6, NOW, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_DISCOVERY_RATE_LIMITED);
	inet_pton(AF_INET6, "2001:db8:1:3::1", &a6.sin6_addr);
	input_from(tp, p, n, (struct sockaddr *)&a6, NOW, &out);
	ck_assert_ptr_nonnull(out.reply);
	/* A second later, the first /24 has tokens again. */
	a4.sin_addr.s_addr = htonl(0x0a010203);
	input_from(tp, p, n, (struct sockaddr *)&a4, NOW + 1, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.rejected[TRAPPROC_DISCOVERY_RATE_LIMITED], 3);
	ck_assert_uint_eq(st.reports_rate_limited, 3);
	ck_assert_uint_eq(st.discoveries,
	    2 * SNMPMGR_MAX_TRAP_REPORT_BURST + 3);
	trapproc_free(tp);
}
END_TEST

/* ------------------------------------------------------------ TSM */

/* A TSM message (RFC 5591): msgSecurityModel 4, plaintext ScopedPDU,
 * msgID 4242, with the first nvb of vbs. */
static size_t
enc_tsm_vbs(uint8_t flags, const uint8_t *ceng, size_t cenglen,
    uint8_t type, int32_t reqid, size_t nvb, const uint8_t **p)
{
	struct snmp_pdu	 pdu;
	struct v3_out	 o;
	const uint8_t	*pp;
	ssize_t		 n;

	memset(&pdu, 0, sizeof(pdu));
	pdu.type = type;
	pdu.request_id = reqid;
	pdu.vb = vbs;
	pdu.nvb = pdu.maxvb = nvb;
	ck_assert_int_gt(n = snmp_pdu_encode(&pdu, s1, sizeof(s1), &pp), 0);
	memset(&o, 0, sizeof(o));
	o.msg_id = 4242;
	o.max_size = 65507;
	o.flags = flags;
	o.ctx_engine_id = ceng;
	o.ctx_engine_id_len = cenglen;
	o.pdu = pp;
	o.pdu_len = (size_t)n;
	ck_assert_int_gt(n = v3_encode_tsm(&o, outbuf, sizeof(outbuf), p), 0);
	memcpy(pkt, *p, (size_t)n);
	*p = pkt;
	return (size_t)n;
}

/* The same with the trap varbinds of vbs_fill(). */
static size_t
enc_tsm(uint8_t flags, const uint8_t *ceng, size_t cenglen, uint8_t type,
    int32_t reqid, size_t nvb, const uint8_t **p)
{
	vbs_fill();
	return enc_tsm_vbs(flags, ceng, cenglen, type, reqid, nvb, p);
}

static void
input_tsm(struct trapproc *tp, const uint8_t *p, size_t n, bool prefix,
    struct trapproc_out *out)
{
	struct trapproc_tls	 tls = { "dtls", "ops", "sha256:ab:cd",
		prefix };

	trapproc_input_tsm(tp, p, n, (struct sockaddr *)&from, &tls,
	    "2026-11-21T10:00:00.000001Z", "dtls:127.0.0.1:10162", out);
}

START_TEST(traps_tsm_trap_record_has_the_transport_fields)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	const uint8_t		*p;
	json_t			*j;
	size_t			 n;

	n = enc_tsm(SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV, SENDER1,
	    sizeof(SENDER1), SNMP_PDU_TRAP, 5, 4, &p);
	input_tsm(tp, p, n, false, &out);
	j = rec_json(&out);
	ck_assert_ptr_null(out.reply);
	ck_assert_str_eq(jstr(j, "version"), "3");
	ck_assert_str_eq(jstr(j, "transport"), "dtls");
	ck_assert_str_eq(jstr(j, "security_model"), "tsm");
	ck_assert_str_eq(jstr(j, "security_name"), "ops");
	ck_assert_str_eq(jstr(j, "tm_security_name"), "ops");
	ck_assert_str_eq(jstr(j, "peer_fingerprint"), "sha256:ab:cd");
	ck_assert_str_eq(jstr(j, "security_level"), "authPriv");
	ck_assert_str_eq(jstr(j, "trap_oid"), "1.3.6.1.6.3.1.1.5.3");
	ck_assert_str_eq(jstr(j, "listener"), "dtls:127.0.0.1:10162");
	json_decref(j);
	/* RFC 5591 5.2 step 3 with snmpTsmConfigurationUsePrefix. */
	n = enc_tsm(0, SENDER1, sizeof(SENDER1), SNMP_PDU_TRAP, 6, 4, &p);
	input_tsm(tp, p, n, true, &out);
	j = rec_json(&out);
	ck_assert_str_eq(jstr(j, "security_name"), "dtls:ops");
	ck_assert_str_eq(jstr(j, "tm_security_name"), "ops");
	ck_assert_str_eq(jstr(j, "security_level"), "noAuthNoPriv");
	json_decref(j);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_tsm_inform_answered_over_tsm)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_varbind	 rvb[8];
	struct snmp_msg		 m;
	const uint8_t		*p;
	size_t			 n;

	n = enc_tsm(SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV | SNMP_MSGFLAG_REPORT,
	    OURS, sizeof(OURS), SNMP_PDU_INFORM, 99, 4, &p);
	input_tsm(tp, p, n, false, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_ACCEPT);
	ck_assert(out.inform);
	ck_assert_ptr_nonnull(out.reply);
	m.pdu.vb = rvb;
	m.pdu.maxvb = 8;
	ck_assert_int_eq(tsm_decode(out.reply, out.replylen, TSM_LEVEL_PRIV,
	    &m, NULL), 0);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_int_eq(m.pdu.request_id, 99);
	ck_assert_int_eq(m.msg_id, 4242);
	ck_assert_uint_eq(m.msg_flags, SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV);
	ck_assert_uint_eq(m.pdu.nvb, 4);
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_tsm_rfc5343_probe_gets_our_engine_id)
{
	static const uint8_t	 local[] = { 0x80, 0, 0, 0, 6 };
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct snmp_varbind	 rvb[2];
	struct snmp_msg		 m;
	const uint8_t		*p;
	size_t			 n;

	vbs_fill();
	n = enc_tsm(SNMP_MSGFLAG_REPORT, local, sizeof(local), SNMP_PDU_GET,
	    3, 0, &p);
	/* No varbind: not the probe. */
	input_tsm(tp, p, n, false, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_UNEXPECTED_PDU);
	/* GET snmpEngineID.0: the first varbind made so. */
	oid_parse_str(&vbs[0].name, "1.3.6.1.6.3.10.2.1.1.0");
	vbs[0].value.type = SNMP_T_NULL;
	n = enc_tsm_vbs(SNMP_MSGFLAG_REPORT, local, sizeof(local),
	    SNMP_PDU_GET, 3, 1, &p);
	input_tsm(tp, p, n, false, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REPORT);
	ck_assert(out.discovery);
	m.pdu.vb = rvb;
	m.pdu.maxvb = 2;
	ck_assert_int_eq(tsm_decode(out.reply, out.replylen, TSM_LEVEL_PRIV,
	    &m, NULL), 0);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_int_eq(m.msg_id, 4242);
	ck_assert_uint_eq(m.pdu.nvb, 1);
	ck_assert_uint_eq(rvb[0].value.type, SNMP_T_OCTETS);
	ck_assert_uint_eq(rvb[0].value.len, sizeof(OURS));
	ck_assert_mem_eq(rvb[0].value.data, OURS, sizeof(OURS));
	trapproc_free(tp);
}
END_TEST

START_TEST(traps_tsm_refuses_usm_and_community_messages)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_out	 out;
	struct usm_user		*u;
	const uint8_t		*p;
	size_t			 n;

	u = user_for("bob", USM_AUTH_SHA256, "bobpass123", USM_PRIV_NONE,
	    NULL, 0, SENDER1, sizeof(SENDER1));
	n = enc_v3(u, false, SENDER1, sizeof(SENDER1), 1, 1, "bob",
	    SNMP_PDU_TRAP, 1, &p);
	input_tsm(tp, p, n, false, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_UNSUPPORTED_SEC_MODEL);
	usm_user_free(u);
	n = enc_community(SNMP_V2C, "public", SNMP_PDU_TRAP, 2, &p);
	input_tsm(tp, p, n, false, &out);
	ck_assert_int_eq(out.verdict, TRAPPROC_REJECT);
	ck_assert_int_eq(out.reason, TRAPPROC_BAD_VERSION);
	input_tsm(tp, (const uint8_t *)"\x30\x03\x02\x01", 4, false, &out);
	ck_assert_int_eq(out.reason, TRAPPROC_MALFORMED);
	trapproc_free(tp);
}
END_TEST

/* Feed one message (over TSM when tsm) and check what became of it:
 * verdict v for reason r, a Response or not. */
static void
verdict_is(struct trapproc *tp, const uint8_t *msg, size_t len, bool tsm,
    enum trapproc_verdict v, enum trapproc_reason r, bool reply)
{
	struct trapproc_out	 o;

	if (tsm)
		input_tsm(tp, msg, len, false, &o);
	else
		input(tp, msg, len, NOW + 12, &o);
	ck_assert_int_eq(o.verdict, v);
	ck_assert_int_eq(o.reason, r);
	ck_assert((o.reply != NULL) == reply);
	if (v == TRAPPROC_REJECT)
		ck_assert_ptr_null(o.rec);
}

/*
 * Without room for an acknowledgement an inform is refused before any
 * record is made, whatever carried it (v2c, v3 USM, TSM); traps are not
 * concerned, nor informs when nothing would be acknowledged.
 */
START_TEST(traps_inform_without_ack_room_refused_unrecorded)
{
	struct trapproc		*tp = tp_make();
	struct trapproc_stats	 st;
	struct usm_user		*alice;
	const uint8_t		*m;
	size_t			 len;

	ck_assert_str_eq(trapproc_reason_name(TRAPPROC_ACK_QUEUE_FULL),
	    "ack_queue_full");
	trapproc_set_ack_room(tp, false);
	len = enc_community(SNMP_V2C, "public", SNMP_PDU_INFORM, 99, &m);
	verdict_is(tp, m, len, false, TRAPPROC_REJECT,
	    TRAPPROC_ACK_QUEUE_FULL, false);
	alice = user_for("alice", USM_AUTH_SHA, "alicepass1", USM_PRIV_AES,
	    "alicepriv1", 0, OURS, sizeof(OURS));
	len = enc_v3(alice, true, OURS, sizeof(OURS), 3, 10, "alice",
	    SNMP_PDU_INFORM, 555, &m);
	verdict_is(tp, m, len, false, TRAPPROC_REJECT,
	    TRAPPROC_ACK_QUEUE_FULL, false);
	usm_user_free(alice);
	len = enc_tsm(SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV |
	    SNMP_MSGFLAG_REPORT, OURS, sizeof(OURS), SNMP_PDU_INFORM, 99, 4,
	    &m);
	verdict_is(tp, m, len, true, TRAPPROC_REJECT,
	    TRAPPROC_ACK_QUEUE_FULL, false);
	/* A trap needs no acknowledgement, nor an inform when informs are
	 * not acknowledged; with room again an inform is answered. */
	len = enc_community(SNMP_V2C, "public", SNMP_PDU_TRAP, 100, &m);
	verdict_is(tp, m, len, false, TRAPPROC_ACCEPT, TRAPPROC_OK, false);
	trapproc_set_auto_ack(tp, false);
	len = enc_community(SNMP_V2C, "public", SNMP_PDU_INFORM, 101, &m);
	verdict_is(tp, m, len, false, TRAPPROC_ACCEPT, TRAPPROC_OK, false);
	trapproc_set_auto_ack(tp, true);
	trapproc_set_ack_room(tp, true);
	len = enc_community(SNMP_V2C, "public", SNMP_PDU_INFORM, 102, &m);
	verdict_is(tp, m, len, false, TRAPPROC_ACCEPT, TRAPPROC_OK, true);

	trapproc_get_stats(tp, &st);
	ck_assert_uint_eq(st.rejected[TRAPPROC_ACK_QUEUE_FULL], 3);
	ck_assert_uint_eq(st.informs, 2);
	ck_assert_uint_eq(st.traps, 1);
	trapproc_free(tp);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("traps");
	TCase	*tc = tcase_create("traps");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, traps_v1_generic_trap_folds_to_snmptraps);
	tcase_add_test(tc,
	    traps_v1_enterprise_specific_folds_to_enterprise_0_specific);
	tcase_add_test(tc, traps_v2_fields_need_snmptrapoid);
	tcase_add_test(tc, traps_v1_trap_record_has_v1_fields);
	tcase_add_test(tc, traps_v2c_trap_record_keeps_all_varbinds);
	tcase_add_test(tc, traps_bad_community_rejected_and_counted);
	tcase_add_test(tc,
	    traps_v2c_inform_answered_with_same_reqid_and_varbinds);
	tcase_add_test(tc, traps_get_on_trap_port_is_unexpected);
	tcase_add_test(tc, traps_garbage_is_malformed);
	tcase_add_test(tc, traps_v3_authpriv_trap_accepted_with_sender_keys);
	tcase_add_test(tc, traps_v3_same_user_two_engines);
	tcase_add_test(tc, traps_v3_engine_keys_follow_reload);
	tcase_add_test(tc, traps_v3_stale_boots_rejected);
	tcase_add_test(tc, traps_v3_wrong_user_password_level);
	tcase_add_test(tc, traps_v3_engine_allow_list);
	tcase_add_test(tc, traps_v3_auto_key_extension_tries_both);
	tcase_add_test(tc, traps_v3_discovery_gets_our_engine_id);
	tcase_add_test(tc, traps_v3_inform_acknowledged_with_our_keys);
	tcase_add_test(tc,
	    traps_v3_inform_out_of_window_gets_authenticated_report);
	tcase_add_test(tc, traps_v3_replay_refused_after_engine_flood);
	tcase_add_test(tc, traps_v3_new_engines_rate_limited_per_user);
	tcase_add_test(tc, traps_v3_engine_id_length_enforced);
	tcase_add_test(tc, traps_v3_discovery_rate_limited_per_prefix);
	tcase_add_test(tc, traps_tsm_trap_record_has_the_transport_fields);
	tcase_add_test(tc, traps_tsm_inform_answered_over_tsm);
	tcase_add_test(tc, traps_inform_without_ack_room_refused_unrecorded);
	tcase_add_test(tc, traps_tsm_rfc5343_probe_gets_our_engine_id);
	tcase_add_test(tc, traps_tsm_refuses_usm_and_community_messages);
	suite_add_tcase(s, tc);
	return check_run(s);
}
