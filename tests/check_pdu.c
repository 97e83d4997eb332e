/*
 * check_pdu.c - SNMP messages: decoding packets captured from Net-SNMP
 * field by field, re-encoding them byte for byte, round trips of every
 * value type and PDU type, the v3 wrapper, and the rejection of malformed
 * or truncated messages.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "fuzz/vectors.h"
#include "check_main.h"

#define NVB	16

static struct snmp_varbind	 vbs[NVB];

struct vector {
	const char	*name;
	const uint8_t	*p;
	size_t		 n;
};

#define V(x)	{ #x, x, sizeof(x) }
static const struct vector vectors[] = {
	V(get_v2c_tx1), V(get_v2c_rx1),
	V(get_v2c_nosuch_tx1), V(get_v2c_nosuch_rx1),
	V(getnext_v1_tx1), V(getnext_v1_rx1),
	V(get_v1_nosuchname_tx1), V(get_v1_nosuchname_rx1),
	V(bulk_v2c_tx1), V(bulk_v2c_rx1),
	V(getnext_end_tx1), V(getnext_end_rx1),
	V(get_c64_ip_tx1), V(get_c64_ip_rx1),
	V(set_v2c_tx1), V(set_v2c_rx1),
	V(v3_discovery_tx1), V(v3_discovery_rx1),
	V(v3_discovery_tx2), V(v3_discovery_rx2),
	V(trap_v1_tx1), V(trap_v2c_tx1),
};
#define NVECTORS	(sizeof(vectors) / sizeof(vectors[0]))

static void
msg_init(struct snmp_msg *m)
{
	memset(m, 0, sizeof(*m));
	memset(vbs, 0xa5, sizeof(vbs));
	m->pdu.vb = vbs;
	m->pdu.maxvb = NVB;
}

static void
decode_ok(const uint8_t *p, size_t n, struct snmp_msg *m)
{
	msg_init(m);
	ck_assert_msg(snmp_msg_decode(p, n, m) == 0, "decode: %s",
	    snmpmgr_lasterr_detail());
}

static void
assert_oid(const struct oid *o, const char *want)
{
	char	 buf[SNMPMGR_MAX_OID_STR];

	oid_format(o, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static void
assert_oid_value(const struct snmp_value *v, const char *want)
{
	struct oid	 o;

	ck_assert_int_eq(v->type, SNMP_T_OID);
	ck_assert_int_eq(oid_from_ber(&o, v->data, v->len), 0);
	assert_oid(&o, want);
}

static struct oid
mkoid(const char *s)
{
	struct oid	 o;

	ck_assert_int_eq(oid_parse_str(&o, s), 0);
	return o;
}

START_TEST(pdu_decode_netsnmp_get_response)
{
	static const char descr[] =
	    "Linux vm 6.18.44-fc-v595 #1 SMP PREEMPT_DYNAMIC @0 x86_64";
	struct snmp_msg	 m;

	decode_ok(get_v2c_rx1, sizeof(get_v2c_rx1), &m);
	ck_assert_int_eq(m.version, SNMP_V2C);
	ck_assert_uint_eq(m.community_len, 6);
	ck_assert_mem_eq(m.community, "public", 6);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_int_eq(m.pdu.request_id, 0x6d79b59a);
	ck_assert_int_eq(m.pdu.error_status, 0);
	ck_assert_int_eq(m.pdu.error_index, 0);
	ck_assert_uint_eq(m.pdu.nvb, 2);
	assert_oid(&vbs[0].name, "1.3.6.1.2.1.1.1.0");
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_OCTETS);
	ck_assert_uint_eq(vbs[0].value.len, strlen(descr));
	ck_assert_mem_eq(vbs[0].value.data, descr, strlen(descr));
	/* Zero-copy: the string points into the datagram. */
	ck_assert_ptr_eq(vbs[0].value.data, get_v2c_rx1 + 43);
	assert_oid(&vbs[1].name, "1.3.6.1.2.1.1.3.0");
	ck_assert_int_eq(vbs[1].value.type, SNMP_T_TIMETICKS);
	ck_assert_uint_eq(vbs[1].value.u, 100);
}
END_TEST

START_TEST(pdu_decode_netsnmp_exceptions)
{
	struct snmp_msg	 m;

	decode_ok(get_v2c_nosuch_rx1, sizeof(get_v2c_nosuch_rx1), &m);
	ck_assert_uint_eq(m.pdu.nvb, 2);
	assert_oid(&vbs[0].name, "1.3.6.1.2.1.1.99.0");
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_NOSUCHOBJECT);
	assert_oid(&vbs[1].name, "1.3.6.1.2.1.1.1.99");
	ck_assert_int_eq(vbs[1].value.type, SNMP_T_NOSUCHINSTANCE);

	decode_ok(getnext_end_rx1, sizeof(getnext_end_rx1), &m);
	ck_assert_uint_eq(m.pdu.nvb, 1);
	assert_oid(&vbs[0].name, "1.9.9.9");
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_ENDOFMIBVIEW);
}
END_TEST

START_TEST(pdu_decode_netsnmp_v1_getnext_and_error)
{
	struct snmp_msg	 m;

	decode_ok(getnext_v1_tx1, sizeof(getnext_v1_tx1), &m);
	ck_assert_int_eq(m.version, SNMP_V1);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_GETNEXT);
	assert_oid(&vbs[0].name, "1.3.6.1.2.1.1.2");
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_NULL);

	decode_ok(getnext_v1_rx1, sizeof(getnext_v1_rx1), &m);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	assert_oid(&vbs[0].name, "1.3.6.1.2.1.1.2.0");
	assert_oid_value(&vbs[0].value, "1.3.6.1.4.1.8072.3.2.10");

	decode_ok(get_v1_nosuchname_rx1, sizeof(get_v1_nosuchname_rx1), &m);
	ck_assert_int_eq(m.pdu.error_status, SNMP_ERR_NOSUCHNAME);
	ck_assert_int_eq(m.pdu.error_index, 1);
	ck_assert_str_eq(snmp_error_status_name(m.pdu.error_status),
	    "noSuchName");

	decode_ok(set_v2c_rx1, sizeof(set_v2c_rx1), &m);
	ck_assert_int_eq(m.pdu.error_status, SNMP_ERR_NOTWRITABLE);
	ck_assert_int_eq(m.pdu.error_index, 1);
	ck_assert_uint_eq(m.community_len, 7);
}
END_TEST

START_TEST(pdu_decode_netsnmp_bulk_and_typed_values)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	struct snmp_msg	 m;

	decode_ok(bulk_v2c_tx1, sizeof(bulk_v2c_tx1), &m);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_GETBULK);
	ck_assert_int_eq(m.pdu.error_status, 1);	/* non-repeaters */
	ck_assert_int_eq(m.pdu.error_index, 3);		/* max-repetitions */
	ck_assert_uint_eq(m.pdu.nvb, 2);

	decode_ok(bulk_v2c_rx1, sizeof(bulk_v2c_rx1), &m);
	ck_assert_uint_eq(m.pdu.nvb, 4);
	assert_oid_value(&vbs[0].value, "1.3.6.1.4.1.8072.3.2.10");
	assert_oid(&vbs[1].name, "1.3.6.1.2.1.2.2.1.5.1");
	ck_assert_int_eq(vbs[1].value.type, SNMP_T_GAUGE32);
	ck_assert_uint_eq(vbs[1].value.u, 10000000);
	assert_oid(&vbs[3].name, "1.3.6.1.2.1.2.2.1.5.3");
	ck_assert_uint_eq(vbs[3].value.u, 0);

	decode_ok(get_c64_ip_rx1, sizeof(get_c64_ip_rx1), &m);
	ck_assert_uint_eq(m.pdu.nvb, 3);
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_COUNTER64);
	ck_assert_uint_eq(vbs[0].value.u, 963053);
	assert_oid(&vbs[1].name, "1.3.6.1.2.1.4.20.1.1.127.0.0.1");
	ck_assert_int_eq(vbs[1].value.type, SNMP_T_IPADDR);
	ck_assert_uint_eq(vbs[1].value.len, 4);
	ck_assert_mem_eq(vbs[1].value.data, lo, 4);
	ck_assert_int_eq(vbs[2].value.type, SNMP_T_GAUGE32);
}
END_TEST

START_TEST(pdu_decode_netsnmp_traps)
{
	static const uint8_t agent[4] = { 10, 1, 2, 3 };
	struct snmp_msg	 m;

	decode_ok(trap_v1_tx1, sizeof(trap_v1_tx1), &m);
	ck_assert_int_eq(m.version, SNMP_V1);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_TRAP_V1);
	assert_oid(&m.pdu.enterprise, "1.3.6.1.4.1.8072.2.3");
	ck_assert_mem_eq(m.pdu.agent_addr, agent, 4);
	ck_assert_int_eq(m.pdu.generic_trap, 6);
	ck_assert_int_eq(m.pdu.specific_trap, 17);
	ck_assert_uint_eq(m.pdu.time_stamp, 12345);
	ck_assert_uint_eq(m.pdu.nvb, 1);
	ck_assert_uint_eq(vbs[0].value.len, 5);
	ck_assert_mem_eq(vbs[0].value.data, "hello", 5);

	decode_ok(trap_v2c_tx1, sizeof(trap_v2c_tx1), &m);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_TRAP);
	ck_assert_uint_eq(m.pdu.nvb, 6);
	assert_oid(&vbs[0].name, "1.3.6.1.2.1.1.3.0");
	ck_assert_uint_eq(vbs[0].value.u, 54321);
	assert_oid(&vbs[1].name, "1.3.6.1.6.3.1.1.4.1.0");
	assert_oid_value(&vbs[1].value, "1.3.6.1.6.3.1.1.5.1");
	ck_assert_int_eq(vbs[3].value.type, SNMP_T_INTEGER);
	ck_assert_int_eq(vbs[3].value.i, -5);
	ck_assert_int_eq(vbs[4].value.type, SNMP_T_COUNTER32);
	ck_assert_uint_eq(vbs[4].value.u, 4294967295u);
	ck_assert_uint_eq(vbs[5].value.u, 7);
}
END_TEST

START_TEST(pdu_decode_netsnmp_v3_discovery)
{
	static const uint8_t eid[] = { 0x80, 0x00, 0x1f, 0x88, 0x80, 0xaa,
	    0xbb, 0xcc, 0xdd };
	struct snmp_msg	 m;

	decode_ok(v3_discovery_tx1, sizeof(v3_discovery_tx1), &m);
	ck_assert_int_eq(m.version, SNMP_V3);
	ck_assert_int_eq(m.msg_id, 0x05b72eed);
	ck_assert_int_eq(m.msg_max_size, 65507);
	ck_assert_int_eq(m.msg_flags, SNMP_MSGFLAG_REPORT);
	ck_assert_int_eq(m.msg_security_model, SNMP_SECMODEL_USM);
	ck_assert_uint_eq(m.sec_params_len, 16);
	ck_assert_ptr_eq(m.sec_params, v3_discovery_tx1 + 26);
	ck_assert_ptr_null(m.encrypted);
	ck_assert_uint_eq(m.context_engine_id_len, 0);
	ck_assert_uint_eq(m.context_name_len, 0);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_GET);
	ck_assert_uint_eq(m.pdu.nvb, 0);

	decode_ok(v3_discovery_rx1, sizeof(v3_discovery_rx1), &m);
	ck_assert_int_eq(m.msg_flags, 0);
	ck_assert_uint_eq(m.sec_params_len, 25);
	ck_assert_uint_eq(m.context_engine_id_len, sizeof(eid));
	ck_assert_mem_eq(m.context_engine_id, eid, sizeof(eid));
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_REPORT);
	ck_assert_uint_eq(m.pdu.nvb, 1);
	/* usmStatsUnknownEngineIDs.0 */
	assert_oid(&vbs[0].name, "1.3.6.1.6.3.15.1.1.4.0");
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_COUNTER32);
	ck_assert_uint_eq(vbs[0].value.u, 1);

	decode_ok(v3_discovery_rx2, sizeof(v3_discovery_rx2), &m);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_uint_eq(vbs[0].value.len, 2);
	ck_assert_mem_eq(vbs[0].value.data, "vm", 2);
}
END_TEST

/* A v2c message of type t, request-id id, names[0..n) with Counter32
 * values 7, 8, ... (NULL values for a Get) into buf; its length. */
static ssize_t
mk_msg(uint8_t t, int32_t id, const char *const *names, size_t n,
    uint8_t *buf, size_t size, const uint8_t **out)
{
	struct snmp_varbind	 v[4];
	struct snmp_msg		 m;
	size_t			 i;

	memset(&m, 0, sizeof(m));
	memset(v, 0, sizeof(v));
	m.version = SNMP_V2C;
	m.community = (const uint8_t *)"public";
	m.community_len = 6;
	m.pdu.type = t;
	m.pdu.request_id = id;
	m.pdu.vb = v;
	m.pdu.nvb = m.pdu.maxvb = n;
	for (i = 0; i < n; i++) {
		v[i].name = mkoid(names[i]);
		v[i].value.type = t == SNMP_PDU_GET ? SNMP_T_NULL :
		    SNMP_T_COUNTER32;
		v[i].value.u = 7 + i;
	}
	return snmp_msg_encode(&m, buf, size, out);
}

START_TEST(pdu_encode_get_matches_netsnmp)
{
	static const char *const names[] = { "1.3.6.1.2.1.1.1.0",
	    "1.3.6.1.2.1.1.3.0" };
	struct snmp_msg		 m;
	uint8_t			 buf[256];
	const uint8_t		*out;
	ssize_t			 n;

	n = mk_msg(SNMP_PDU_GET, 0x6d79b59a, names, 2, buf, sizeof(buf),
	    &out);
	ck_assert_int_eq(n, sizeof(get_v2c_tx1));
	ck_assert_mem_eq(out, get_v2c_tx1, sizeof(get_v2c_tx1));
	ck_assert_ptr_eq(out + n, buf + sizeof(buf));
	/* Exactly enough room, then one octet short. */
	decode_ok(get_v2c_tx1, sizeof(get_v2c_tx1), &m);
	ck_assert_int_eq(snmp_msg_encode(&m, buf, (size_t)n, &out), n);
	ck_assert_ptr_eq(out, buf);
	snmpmgr_clearerr();
	ck_assert_int_eq(snmp_msg_encode(&m, buf, (size_t)n - 1, &out), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
}
END_TEST

/* Re-encode a decoded v3 message from its parts. */
static ssize_t
reencode_v3(const struct snmp_msg *m, uint8_t *buf, size_t size,
    const uint8_t **out)
{
	static uint8_t	 sbuf[4096];
	const uint8_t	*sp, *data;
	uint8_t		 ebuf[4096];
	struct ber_wr	 w;
	ssize_t		 n;

	if (m->encrypted != NULL) {
		ber_wr_init(&w, ebuf, sizeof(ebuf));
		ck_assert_int_eq(ber_wr_octets(&w, BER_TAG_OCTETS,
		    m->encrypted, m->encrypted_len, NULL), 0);
		data = ber_wr_data(&w);
		n = (ssize_t)ber_wr_len(&w);
	} else {
		n = snmp_scoped_pdu_encode(m, sbuf, sizeof(sbuf), &data);
		ck_assert_int_gt(n, 0);
	}
	sp = m->sec_params;
	return snmp_msg_encode_v3(m, sp, m->sec_params_len, data, (size_t)n,
	    buf, size, out);
}

START_TEST(pdu_reencode_netsnmp_vectors_byte_identical)
{
	struct snmp_msg	 m;
	uint8_t		 buf[4096];
	const uint8_t	*out;
	ssize_t		 n;
	size_t		 i;

	for (i = 0; i < NVECTORS; i++) {
		decode_ok(vectors[i].p, vectors[i].n, &m);
		if (m.version == SNMP_V3)
			n = reencode_v3(&m, buf, sizeof(buf), &out);
		else
			n = snmp_msg_encode(&m, buf, sizeof(buf), &out);
		ck_assert_msg(n == (ssize_t)vectors[i].n, "%s: length %zd",
		    vectors[i].name, n);
		ck_assert_msg(memcmp(out, vectors[i].p, vectors[i].n) == 0,
		    "%s differs", vectors[i].name);
	}
}
END_TEST

/*
 * A VarBindList encoded once and copied (snmp_vbl_encode, *_encode_vbl)
 * gives the octets of encoding the varbinds in place, for every PDU of
 * the vectors, the element the decoders note (vblist) too; and the
 * message encoders still check their bounds.
 */
START_TEST(pdu_encode_vbl_byte_identical)
{
	struct snmp_msg	 m;
	struct snmp_vbl	 vbl;
	uint8_t		 lbuf[4096], a[4096], b[4096];
	const uint8_t	*lout, *aout, *bout;
	ssize_t		 ln, an, bn;
	size_t		 i, tried = 0;

	for (i = 0; i < NVECTORS; i++) {
		decode_ok(vectors[i].p, vectors[i].n, &m);
		if (m.version == SNMP_V3 && m.encrypted != NULL)
			continue;
		ln = snmp_vbl_encode(m.pdu.vb, m.pdu.nvb, lbuf, sizeof(lbuf),
		    &lout);
		ck_assert_int_gt(ln, 1);
		ck_assert_int_eq(lout[0], 0x30);
		/* The decoder noted the same element where it read it. */
		ck_assert_msg(m.pdu.vblist.len == (size_t)ln &&
		    memcmp(m.pdu.vblist.p, lout, (size_t)ln) == 0,
		    "%s: vblist differs", vectors[i].name);
		vbl.p = lout;
		vbl.len = (size_t)ln;
		an = snmp_pdu_encode(&m.pdu, a, sizeof(a), &aout);
		bn = snmp_pdu_encode_vbl(&m.pdu, &vbl, b, sizeof(b), &bout);
		ck_assert_msg(an > 0 && an == bn && memcmp(aout, bout,
		    (size_t)an) == 0, "%s: PDU differs", vectors[i].name);
		tried++;
		/* It is the copy that is sent: an empty list instead. */
		vbl.p = (const uint8_t *)"\x30\x00";
		vbl.len = 2;
		bn = snmp_pdu_encode_vbl(&m.pdu, &vbl, b, sizeof(b), &bout);
		ck_assert_int_gt(bn, 0);
		ck_assert_int_le(bn, an - (ln - 2));
		ck_assert_mem_eq(bout + bn - 2, "\x30\x00", 2);
		vbl.p = lout;
		vbl.len = (size_t)ln;
		if (m.version == SNMP_V3)
			continue;
		bn = snmp_msg_encode_vbl(&m, &vbl, b, sizeof(b), &bout);
		ck_assert_msg(bn == (ssize_t)vectors[i].n &&
		    memcmp(bout, vectors[i].p, vectors[i].n) == 0,
		    "%s: message differs", vectors[i].name);
		snmpmgr_clearerr();
		ck_assert_int_eq(snmp_msg_encode_vbl(&m, &vbl, b,
		    (size_t)bn - 1, &bout), -1);
		ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	}
	ck_assert_uint_gt(tried, 3);
	/* More varbinds than a message takes are refused up front. */
	snmpmgr_clearerr();
	ck_assert_int_eq(snmp_vbl_encode(m.pdu.vb, SNMPMGR_MAX_VARBINDS + 1,
	    lbuf, sizeof(lbuf), &lout), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
}
END_TEST


/*
 * An answer decoded against the list its request sent: names asked for
 * at their place are marked, others (another OID, a swapped order, one
 * more) are not and are still checked, with the errors the raw decoder
 * gives; the request-id is read ahead of decoding.
 */
START_TEST(pdu_decode_expect_marks_asked_names)
{
	static const char *const asked[] = { "1.3.6.1.2.1.1.3.0",
	    "1.3.6.1.2.1.2.2.1.10.1" };
	static const char *const same[] = { "1.3.6.1.2.1.1.3.0",
	    "1.3.6.1.2.1.2.2.1.10.1", "1.3.6.1.2.1.1.5.0" };
	static const char *const swapped[] = { "1.3.6.1.2.1.2.2.1.10.1",
	    "1.3.6.1.2.1.1.3.0" };
	static const char *const other[] = { "1.3.6.1.2.1.1.3.0",
	    "1.3.6.1.2.1.2.2.1.10.2" };
	struct snmp_vbraw	 raw[4], raw2[4];
	struct snmp_vbl		 vbl;
	struct snmp_msg		 m, m2;
	struct oid		 o;
	uint8_t			 rq[512], an[512], bad[512], vl[512];
	const uint8_t		*rqo, *ano, *vlo;
	char			 detail[256];
	ssize_t			 rn, n, ln;
	int32_t			 id = 0;

	rn = mk_msg(SNMP_PDU_GET, 4242, asked, 2, rq, sizeof(rq), &rqo);
	ck_assert_int_gt(rn, 0);
	/* The list is the request's tail, as the session engine finds it. */
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode(rqo, (size_t)rn, &m), 0);
	ln = snmp_vbl_encode(m.pdu.vb, m.pdu.nvb, vl, sizeof(vl), &vlo);
	ck_assert_int_gt(ln, 0);
	ck_assert_mem_eq(rqo + rn - ln, vlo, (size_t)ln);
	vbl.p = rqo + rn - ln;
	vbl.len = (size_t)ln;

	n = mk_msg(SNMP_PDU_RESPONSE, 4242, same, 3, an, sizeof(an), &ano);
	ck_assert_int_eq(snmp_msg_peek_id(ano, (size_t)n, &id), 0);
	ck_assert_int_eq(id, 4242);
	msg_init(&m);
	memset(raw, 0xa5, sizeof(raw));
	ck_assert_int_eq(snmp_msg_decode_expect(ano, (size_t)n, &m, raw,
	    &vbl), 0);
	ck_assert_ptr_eq(m.pdu.raw, raw);
	ck_assert_uint_eq(m.pdu.nvb, 3);
	ck_assert(raw[0].asked && raw[1].asked && !raw[2].asked);
	ck_assert_uint_eq(raw[1].value.type, SNMP_T_COUNTER32);
	ck_assert_uint_eq(raw[1].value.u, 8);
	ck_assert_int_eq(oid_from_ber(&o, raw[1].name, raw[1].namelen), 0);
	assert_oid(&o, "1.3.6.1.2.1.2.2.1.10.1");
	ck_assert_int_eq(snmp_vbraw_decode(raw, 3, vbs), 0);
	assert_oid(&vbs[2].name, "1.3.6.1.2.1.1.5.0");
	ck_assert_uint_eq(vbs[2].value.u, 9);

	n = mk_msg(SNMP_PDU_RESPONSE, 1, swapped, 2, an, sizeof(an), &ano);
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode_expect(ano, (size_t)n, &m, raw,
	    &vbl), 0);
	ck_assert(!raw[0].asked && !raw[1].asked);

	n = mk_msg(SNMP_PDU_RESPONSE, 1, other, 2, an, sizeof(an), &ano);
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode_expect(ano, (size_t)n, &m, raw,
	    &vbl), 0);
	ck_assert(raw[0].asked && !raw[1].asked);
	/* The other name, broken (a sub-identifier led by 0x80): refused
	 * as the raw decoder refuses it. */
	memcpy(bad, ano, (size_t)n);
	ck_assert_uint_eq(bad[n - 4], 2);	/* its last arc, then the
						 * value's 41 01 08 */
	bad[n - 4] = 0x80;
	msg_init(&m);
	snmpmgr_clearerr();
	ck_assert_int_eq(snmp_msg_decode_raw(bad, (size_t)n, &m, raw2), -1);
	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	msg_init(&m2);
	snmpmgr_clearerr();
	ck_assert_int_eq(snmp_msg_decode_expect(bad, (size_t)n, &m2, raw,
	    &vbl), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_str_eq(snmpmgr_lasterr_detail(), detail);

	/* Not a v1/v2c message: no request-id read ahead. */
	ck_assert_int_eq(snmp_msg_peek_id(v3_discovery_rx1,
	    sizeof(v3_discovery_rx1), &id), -1);
	ck_assert_int_eq(snmp_msg_peek_id(ano, 3, &id), -1);
}
END_TEST

START_TEST(pdu_decode_fails_on_every_truncation)
{
	struct snmp_msg	 m;
	uint8_t		*copy;
	size_t		 i, k;

	for (i = 0; i < NVECTORS; i++) {
		for (k = 0; k < vectors[i].n; k++) {
			/* A heap copy of exactly k octets, so ASan sees
			 * any read past the end. */
			copy = malloc(k ? k : 1);
			ck_assert_ptr_nonnull(copy);
			memcpy(copy, vectors[i].p, k);
			msg_init(&m);
			snmpmgr_clearerr();
			ck_assert_msg(snmp_msg_decode(copy, k, &m) == -1,
			    "%s: prefix of %zu octets accepted",
			    vectors[i].name, k);
			ck_assert_int_eq(snmpmgr_lasterr(),
			    SNMPMGR_ERR_DEFECTIVE);
			free(copy);
		}
	}
}
END_TEST

START_TEST(pdu_reject_trailing_octets)
{
	uint8_t		 buf[256];
	struct snmp_msg	 m;

	memcpy(buf, get_v2c_tx1, sizeof(get_v2c_tx1));
	buf[sizeof(get_v2c_tx1)] = 0x00;
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode(buf, sizeof(get_v2c_tx1) + 1, &m),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
}
END_TEST

START_TEST(pdu_reject_too_many_varbinds)
{
	struct snmp_msg	 m;

	msg_init(&m);
	m.pdu.maxvb = 3;
	ck_assert_int_eq(snmp_msg_decode(bulk_v2c_rx1, sizeof(bulk_v2c_rx1),
	    &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
	m.pdu.maxvb = 4;
	ck_assert_int_eq(snmp_msg_decode(bulk_v2c_rx1, sizeof(bulk_v2c_rx1),
	    &m), 0);
	m.pdu.vb = NULL;
	ck_assert_int_eq(snmp_msg_decode(bulk_v2c_rx1, sizeof(bulk_v2c_rx1),
	    &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
}
END_TEST

/*
 * Past the varbind bound the message was read up to its varbinds: whose
 * answer it is (version, PDU type, request-id) is known, and the detail
 * says how many varbinds it held, so the session engine can end the
 * request it answers with the reason.
 */
START_TEST(pdu_too_many_varbinds_keeps_request_id_and_count)
{
	static struct snmp_varbind big[SNMPMGR_MAX_VARBINDS + 100];
	static uint8_t	 buf[65536];
	const uint8_t	*out;
	struct snmp_msg	 m;
	ssize_t		 len;
	size_t		 i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < SNMPMGR_MAX_VARBINDS + 100; i++) {
		big[i].name = mkoid("1.3.6.1.2.1.2.2.1.10.1");
		big[i].value.type = SNMP_T_INTEGER;
		big[i].value.i = (int64_t)i;
	}
	m.version = SNMP_V2C;
	m.community = (const uint8_t *)"public";
	m.community_len = 6;
	m.pdu.type = SNMP_PDU_RESPONSE;
	m.pdu.request_id = 4242;
	m.pdu.vb = big;
	m.pdu.nvb = m.pdu.maxvb = SNMPMGR_MAX_VARBINDS;
	/* The encoder takes no more than the bound either. */
	ck_assert_int_gt(len = snmp_msg_encode(&m, buf, sizeof(buf), &out), 0);
	msg_init(&m);
	m.pdu.maxvb = 10;
	ck_assert_int_eq(snmp_msg_decode(out, (size_t)len, &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
	ck_assert_str_eq(snmpmgr_lasterr_detail(),
	    "2048 varbinds, more than 10");
	ck_assert_int_eq(m.version, SNMP_V2C);
	ck_assert_int_eq(m.pdu.type, SNMP_PDU_RESPONSE);
	ck_assert_int_eq(m.pdu.request_id, 4242);
	ck_assert_uint_eq(m.pdu.nvb, 0);
}
END_TEST

START_TEST(pdu_reject_bad_version_and_pdu_mix)
{
	uint8_t		 buf[256], out_buf[256];
	const uint8_t	*out;
	struct snmp_msg	 m;

	/* msgVersion 2 */
	memcpy(buf, get_v2c_tx1, sizeof(get_v2c_tx1));
	buf[4] = 2;
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode(buf, sizeof(get_v2c_tx1), &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	/* GetBulk in a v1 message. */
	memcpy(buf, bulk_v2c_tx1, sizeof(bulk_v2c_tx1));
	buf[4] = 0;
	ck_assert_int_eq(snmp_msg_decode(buf, sizeof(bulk_v2c_tx1), &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_PDU_TYPE);
	/* A v1 Trap-PDU in a v2c message. */
	memcpy(buf, trap_v1_tx1, sizeof(trap_v1_tx1));
	buf[4] = 1;
	ck_assert_int_eq(snmp_msg_decode(buf, sizeof(trap_v1_tx1), &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_PDU_TYPE);
	/* Unknown PDU tag 0xa9. */
	memcpy(buf, get_v2c_tx1, sizeof(get_v2c_tx1));
	buf[13] = 0xa9;
	ck_assert_int_eq(snmp_msg_decode(buf, sizeof(get_v2c_tx1), &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_PDU_TYPE);

	/* Encoding GetBulk for v1 is error 305. */
	decode_ok(bulk_v2c_tx1, sizeof(bulk_v2c_tx1), &m);
	m.version = SNMP_V1;
	ck_assert_int_eq(snmp_msg_encode(&m, out_buf, sizeof(out_buf), &out),
	    -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	m.version = SNMP_V3;
	ck_assert_int_eq(snmp_msg_encode(&m, out_buf, sizeof(out_buf), &out),
	    -1);
}
END_TEST

/*
 * A v2c Response carrying one varbind 1.3.6.1.2.1.1.1.0 whose value
 * element is the raw octets given.
 */
static size_t
response_with_value(uint8_t *buf, size_t size, const uint8_t *val,
    size_t vlen, const uint8_t **out)
{
	struct ber_wr	 w;
	struct oid	 o = mkoid("1.3.6.1.2.1.1.1.0");
	size_t		 m0, m1, m2;

	ber_wr_init(&w, buf, size);
	ck_assert_int_eq(ber_wr_raw(&w, val, vlen), 0);
	m2 = ber_wr_len(&w) - vlen;
	ck_assert_int_eq(ber_wr_oid(&w, &o), 0);
	ck_assert_int_eq(ber_wr_close(&w, 0x30, m2), 0);
	ck_assert_int_eq(ber_wr_close(&w, 0x30, 0), 0);
	m1 = 0;
	ck_assert_int_eq(ber_wr_int(&w, 0x02, 0), 0);
	ck_assert_int_eq(ber_wr_int(&w, 0x02, 0), 0);
	ck_assert_int_eq(ber_wr_int(&w, 0x02, 42), 0);
	ck_assert_int_eq(ber_wr_close(&w, SNMP_PDU_RESPONSE, m1), 0);
	m0 = 0;
	ck_assert_int_eq(ber_wr_octets(&w, 0x04, "public", 6, NULL), 0);
	ck_assert_int_eq(ber_wr_int(&w, 0x02, 1), 0);
	ck_assert_int_eq(ber_wr_close(&w, 0x30, m0), 0);
	*out = ber_wr_data(&w);
	return ber_wr_len(&w);
}

START_TEST(pdu_reject_malformed_values)
{
	static const struct {
		const char	*what;
		uint8_t		 v[12];
		size_t		 n;
	} bad[] = {
		{ "IpAddress of 5", { 0x40, 5, 1, 2, 3, 4, 5 }, 7 },
		{ "IpAddress of 3", { 0x40, 3, 1, 2, 3 }, 5 },
		{ "Integer32 2^31", { 0x02, 5, 0, 0x80, 0, 0, 0 }, 7 },
		{ "Integer32 in 10 octets", { 0x02, 10, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 1 }, 12 },
		{ "Integer32 2^31 padded", { 0x02, 6, 0, 0, 0x80, 0, 0, 0 },
		    8 },
		{ "Counter32 2^32", { 0x41, 5, 1, 0, 0, 0, 0 }, 7 },
		{ "Counter32 2^32 padded", { 0x41, 7, 0, 0, 1, 0, 0, 0, 0 },
		    9 },
		{ "Counter32 -2^31-1", { 0x41, 5, 0xff, 0x7f, 0xff, 0xff,
		    0xff }, 7 },
		{ "TimeTicks empty", { 0x43, 0 }, 2 },
		{ "Counter64 2^64", { 0x46, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		    11 },
		{ "NULL with content", { 0x05, 1, 0 }, 3 },
		{ "endOfMibView with content", { 0x82, 1, 0 }, 3 },
		{ "OID empty", { 0x06, 0 }, 2 },
		{ "OID huge arc", { 0x06, 6, 0x2b, 0x90, 0x80, 0x80, 0x80,
		    0x00 }, 8 },
		{ "unknown type", { 0x48, 1, 0 }, 3 },
		{ "constructed value", { 0x30, 0 }, 2 },
	};
	uint8_t		 buf[128];
	const uint8_t	*p;
	struct snmp_msg	 m;
	size_t		 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = response_with_value(buf, sizeof(buf), bad[i].v, bad[i].n,
		    &p);
		msg_init(&m);
		snmpmgr_clearerr();
		ck_assert_msg(snmp_msg_decode(p, n, &m) == -1, "%s accepted",
		    bad[i].what);
		ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
		ck_assert_msg(strncmp(snmpmgr_lasterr_detail(), "varbind 1:",
		    10) == 0, "%s: detail '%s'", bad[i].what,
		    snmpmgr_lasterr_detail());
	}
}
END_TEST

START_TEST(pdu_boundary_values_accepted)
{
	static const struct {
		uint8_t		 v[12];
		size_t		 n;
		uint8_t		 type;
		int64_t		 i;
		uint64_t	 u;
	} good[] = {
		{ { 0x02, 4, 0x7f, 0xff, 0xff, 0xff }, 6, 0x02, INT32_MAX, 0 },
		{ { 0x02, 4, 0x80, 0, 0, 0 }, 6, 0x02, INT32_MIN, 0 },
		{ { 0x41, 5, 0, 0xff, 0xff, 0xff, 0xff }, 7, 0x41, 0,
		    UINT32_MAX },
		{ { 0x42, 5, 0, 0x80, 0, 0, 0 }, 7, 0x42, 0, 2147483648u },
		{ { 0x47, 1, 0 }, 3, 0x47, 0, 0 },
		{ { 0x46, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff }, 11, 0x46, 0, UINT64_MAX },
		{ { 0x46, 8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		    10, 0x46, 0, INT64_MAX },
		/* Non-minimal forms real agents send (ber.h). */
		{ { 0x02, 3, 0, 0, 5 }, 5, 0x02, 5, 0 },
		{ { 0x02, 3, 0xff, 0xff, 0x80 }, 5, 0x02, -128, 0 },
		{ { 0x41, 6, 0, 0, 0, 0, 0, 5 }, 8, 0x41, 0, 5 },
		{ { 0x43, 9, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, 11, 0x43,
		    0, UINT32_MAX },
		/* The sign bit without its 0x00, read as Net-SNMP does. */
		{ { 0x41, 4, 0xff, 0xff, 0xff, 0xfe }, 6, 0x41, 0,
		    4294967294u },
		{ { 0x42, 1, 0x80 }, 3, 0x42, 0, 4294967168u },
		{ { 0x46, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		    10, 0x46, 0, UINT64_MAX },
		{ { 0x46, 1, 0xff }, 3, 0x46, 0, 255 },
	};
	uint8_t		 buf[128];
	const uint8_t	*p;
	struct snmp_msg	 m;
	size_t		 i, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = response_with_value(buf, sizeof(buf), good[i].v, good[i].n,
		    &p);
		decode_ok(p, n, &m);
		ck_assert_int_eq(vbs[0].value.type, good[i].type);
		if (good[i].type == SNMP_T_INTEGER)
			ck_assert_int_eq(vbs[0].value.i, good[i].i);
		else
			ck_assert_uint_eq(vbs[0].value.u, good[i].u);
	}
}
END_TEST

/*
 * Non-minimal integers in the message and PDU header and in values, and a
 * Counter32 with its sign bit set: decoded as Net-SNMP would, re-encoded
 * minimal (10 octets shorter here), and stable from then on.
 */
START_TEST(pdu_decode_lenient_integers)
{
	static const uint8_t pkt[] = {
		0x30, 0x45,
		0x02, 0x02, 0x00, 0x01,			/* version 1 */
		0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c',
		0xa2, 0x37,
		0x02, 0x05, 0x00, 0x00, 0x00, 0x30, 0x39, /* request-id */
		0x02, 0x02, 0x00, 0x00,			/* error-status */
		0x02, 0x03, 0x00, 0x00, 0x00,		/* error-index */
		0x30, 0x25,
		0x30, 0x11,
		0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00,
		0x43, 0x05, 0x00, 0x00, 0x00, 0x00, 0x05, /* TimeTicks 5 */
		0x30, 0x10,
		0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00,
		0x41, 0x04, 0xff, 0xff, 0xff, 0xfe,	/* Counter32 */
	};
	uint8_t		 b1[256], b2[256], again[256];
	const uint8_t	*o1, *o2;
	struct snmp_msg	 m;
	ssize_t		 n1, n2;

	decode_ok(pkt, sizeof(pkt), &m);
	ck_assert_int_eq(m.version, SNMP_V2C);
	ck_assert_int_eq(m.pdu.request_id, 12345);
	ck_assert_int_eq(m.pdu.error_status, 0);
	ck_assert_int_eq(m.pdu.error_index, 0);
	ck_assert_uint_eq(m.pdu.nvb, 2);
	ck_assert_int_eq(vbs[0].value.type, SNMP_T_TIMETICKS);
	ck_assert_uint_eq(vbs[0].value.u, 5);
	ck_assert_int_eq(vbs[1].value.type, SNMP_T_COUNTER32);
	ck_assert_uint_eq(vbs[1].value.u, 4294967294u);

	n1 = snmp_msg_encode(&m, b1, sizeof(b1), &o1);
	ck_assert_int_eq(n1, (ssize_t)sizeof(pkt) - 10);
	memcpy(again, o1, (size_t)n1);
	decode_ok(again, (size_t)n1, &m);
	ck_assert_int_eq(m.pdu.request_id, 12345);
	ck_assert_uint_eq(vbs[0].value.u, 5);
	ck_assert_uint_eq(vbs[1].value.u, 4294967294u);
	n2 = snmp_msg_encode(&m, b2, sizeof(b2), &o2);
	ck_assert_int_eq(n2, n1);
	ck_assert_mem_eq(o1, o2, (size_t)n1);
}
END_TEST

START_TEST(pdu_error_detail_names_varbind)
{
	uint8_t		 buf[256];
	struct snmp_msg	 m;

	/* Make the second varbind's OID length run past the end. */
	memcpy(buf, get_v2c_tx1, sizeof(get_v2c_tx1));
	ck_assert_int_eq(buf[45], 0x06);
	buf[46] = 0x7f;
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode(buf, sizeof(get_v2c_tx1), &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_msg(strstr(snmpmgr_lasterr_detail(), "varbind 2:") != NULL &&
	    strstr(snmpmgr_lasterr_detail(), "past end") != NULL,
	    "detail '%s'", snmpmgr_lasterr_detail());
}
END_TEST

/* Every value type, with boundary values. */
static size_t
fill_all_values(struct snmp_varbind *v)
{
	static const uint8_t ip[4] = { 192, 0, 2, 1 };
	static const uint8_t bin[] = { 0x00, 0xff, 0x80, 0x0a };
	static const uint8_t oidc[] = { 0x2b, 6, 1, 4, 1, 0x8f, 0xff, 0xff,
	    0xff, 0x7f };
	static const uint8_t nsap[] = { 0x47, 0x00, 0x05 };
	size_t	 n = 0;

	memset(v, 0, sizeof(*v) * NVB);
#define ADD(t)	(v[n].name = mkoid("1.3.6.1.4.1.9999.1"), \
	    v[n].name.arcs[7] = (uint32_t)n, v[n].value.type = (t), &v[n++].value)
	ADD(SNMP_T_INTEGER)->i = INT32_MIN;
	ADD(SNMP_T_INTEGER)->i = INT32_MAX;
	ADD(SNMP_T_INTEGER)->i = -1;
	ADD(SNMP_T_OCTETS)->data = bin;
	v[n - 1].value.len = sizeof(bin);
	ADD(SNMP_T_OCTETS)->len = 0;
	ADD(SNMP_T_NULL);
	ADD(SNMP_T_OID)->data = oidc;
	v[n - 1].value.len = sizeof(oidc);
	ADD(SNMP_T_IPADDR)->data = ip;
	v[n - 1].value.len = 4;
	ADD(SNMP_T_COUNTER32)->u = UINT32_MAX;
	ADD(SNMP_T_GAUGE32)->u = 2147483648u;
	ADD(SNMP_T_TIMETICKS)->u = 0;
	ADD(SNMP_T_OPAQUE)->data = bin;
	v[n - 1].value.len = sizeof(bin);
	ADD(SNMP_T_NSAP)->data = nsap;
	v[n - 1].value.len = sizeof(nsap);
	ADD(SNMP_T_COUNTER64)->u = UINT64_MAX;
	ADD(SNMP_T_UINTEGER32)->u = 12345;
	ADD(SNMP_T_NOSUCHOBJECT);
#undef ADD
	ck_assert_uint_le(n, NVB);
	return n;
}

static void
assert_same_varbinds(const struct snmp_varbind *a,
    const struct snmp_varbind *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(oid_cmp(&a[i].name, &b[i].name), 0);
		ck_assert_int_eq(a[i].value.type, b[i].value.type);
		switch (a[i].value.type) {
		case SNMP_T_INTEGER:
			ck_assert_int_eq(a[i].value.i, b[i].value.i);
			break;
		case SNMP_T_COUNTER32:
		case SNMP_T_GAUGE32:
		case SNMP_T_TIMETICKS:
		case SNMP_T_UINTEGER32:
		case SNMP_T_COUNTER64:
			ck_assert_uint_eq(a[i].value.u, b[i].value.u);
			break;
		case SNMP_T_OCTETS:
		case SNMP_T_OID:
		case SNMP_T_IPADDR:
		case SNMP_T_OPAQUE:
		case SNMP_T_NSAP:
			ck_assert_uint_eq(a[i].value.len, b[i].value.len);
			if (a[i].value.len > 0)
				ck_assert_mem_eq(a[i].value.data,
				    b[i].value.data, a[i].value.len);
			break;
		}
	}
}

START_TEST(pdu_round_trip_every_value_type)
{
	struct snmp_varbind	 src[NVB];
	struct snmp_msg		 m, back;
	uint8_t			 buf[2048];
	const uint8_t		*out;
	ssize_t			 n;

	memset(&m, 0, sizeof(m));
	m.version = SNMP_V2C;
	m.community = (const uint8_t *)"c";
	m.community_len = 1;
	m.pdu.type = SNMP_PDU_SET;
	m.pdu.request_id = INT32_MIN;
	m.pdu.vb = src;
	m.pdu.nvb = m.pdu.maxvb = fill_all_values(src);
	n = snmp_msg_encode(&m, buf, sizeof(buf), &out);
	ck_assert_msg(n > 0, "encode: %s", snmpmgr_lasterr_detail());
	decode_ok(out, (size_t)n, &back);
	ck_assert_int_eq(back.pdu.request_id, INT32_MIN);
	ck_assert_uint_eq(back.pdu.nvb, m.pdu.nvb);
	assert_same_varbinds(src, vbs, m.pdu.nvb);
}
END_TEST

START_TEST(pdu_round_trip_every_pdu_type)
{
	static const uint8_t types[] = { SNMP_PDU_GET, SNMP_PDU_GETNEXT,
	    SNMP_PDU_RESPONSE, SNMP_PDU_SET, SNMP_PDU_TRAP_V1,
	    SNMP_PDU_GETBULK, SNMP_PDU_INFORM, SNMP_PDU_TRAP,
	    SNMP_PDU_REPORT };
	static const uint8_t agent[4] = { 198, 51, 100, 7 };
	struct snmp_varbind	 src[NVB];
	struct snmp_msg		 m, back;
	uint8_t			 buf[2048];
	const uint8_t		*out;
	ssize_t			 n;
	size_t			 i;

	for (i = 0; i < sizeof(types); i++) {
		memset(&m, 0, sizeof(m));
		m.version = types[i] == SNMP_PDU_TRAP_V1 ? SNMP_V1 : SNMP_V2C;
		m.community = (const uint8_t *)"public";
		m.community_len = 6;
		m.pdu.type = types[i];
		m.pdu.request_id = 0x7fffffff - (int32_t)i;
		m.pdu.error_status = (int32_t)i;
		m.pdu.error_index = 1000 + (int32_t)i;
		m.pdu.enterprise = mkoid("1.3.6.1.4.1.8072.4");
		memcpy(m.pdu.agent_addr, agent, 4);
		m.pdu.generic_trap = 6;
		m.pdu.specific_trap = -3;
		m.pdu.time_stamp = UINT32_MAX;
		m.pdu.vb = src;
		m.pdu.nvb = m.pdu.maxvb = fill_all_values(src);
		n = snmp_msg_encode(&m, buf, sizeof(buf), &out);
		ck_assert_msg(n > 0, "encode %s: %s",
		    snmp_pdu_type_name(types[i]), snmpmgr_lasterr_detail());
		decode_ok(out, (size_t)n, &back);
		ck_assert_int_eq(back.version, m.version);
		ck_assert_int_eq(back.pdu.type, types[i]);
		if (types[i] == SNMP_PDU_TRAP_V1) {
			ck_assert_int_eq(oid_cmp(&back.pdu.enterprise,
			    &m.pdu.enterprise), 0);
			ck_assert_mem_eq(back.pdu.agent_addr, agent, 4);
			ck_assert_int_eq(back.pdu.generic_trap, 6);
			ck_assert_int_eq(back.pdu.specific_trap, -3);
			ck_assert_uint_eq(back.pdu.time_stamp, UINT32_MAX);
		} else {
			ck_assert_int_eq(back.pdu.request_id,
			    m.pdu.request_id);
			ck_assert_int_eq(back.pdu.error_status,
			    m.pdu.error_status);
			ck_assert_int_eq(back.pdu.error_index,
			    m.pdu.error_index);
		}
		ck_assert_uint_eq(back.pdu.nvb, m.pdu.nvb);
		assert_same_varbinds(src, vbs, m.pdu.nvb);

		/* The bare PDU codec agrees with the message codec. */
		n = snmp_pdu_encode(&m.pdu, buf, sizeof(buf), &out);
		ck_assert_int_gt(n, 0);
		back.pdu.vb = vbs;
		back.pdu.maxvb = NVB;
		ck_assert_int_eq(snmp_pdu_decode(out, (size_t)n, &back.pdu),
		    0);
		ck_assert_int_eq(back.pdu.type, types[i]);
		ck_assert_uint_eq(back.pdu.nvb, m.pdu.nvb);
	}
}
END_TEST

START_TEST(pdu_encode_rejects_bad_values)
{
	struct snmp_varbind	 v;
	struct snmp_msg		 m;
	uint8_t			 buf[256];
	const uint8_t		*out;

	memset(&m, 0, sizeof(m));
	memset(&v, 0, sizeof(v));
	m.version = SNMP_V2C;
	m.pdu.type = SNMP_PDU_SET;
	m.pdu.vb = &v;
	m.pdu.nvb = 1;
	v.name = mkoid("1.3.6.1");
	v.value.type = SNMP_T_INTEGER;
	v.value.i = (int64_t)INT32_MAX + 1;
	ck_assert_int_eq(snmp_msg_encode(&m, buf, sizeof(buf), &out), -1);
	v.value.type = SNMP_T_COUNTER32;
	v.value.u = (uint64_t)UINT32_MAX + 1;
	ck_assert_int_eq(snmp_msg_encode(&m, buf, sizeof(buf), &out), -1);
	v.value.type = SNMP_T_IPADDR;
	v.value.data = (const uint8_t *)"abc";
	v.value.len = 3;
	ck_assert_int_eq(snmp_msg_encode(&m, buf, sizeof(buf), &out), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NOT_IP_ADDRESS);
	v.value.type = 0x99;
	ck_assert_int_eq(snmp_msg_encode(&m, buf, sizeof(buf), &out), -1);
	v.value.type = SNMP_T_NULL;
	v.name.len = 1;
	ck_assert_int_eq(snmp_msg_encode(&m, buf, sizeof(buf), &out), -1);
	v.name.len = 4;
	ck_assert_int_gt(snmp_msg_encode(&m, buf, sizeof(buf), &out), 0);
}
END_TEST

START_TEST(pdu_v3_encode_and_parse_header)
{
	static const uint8_t sp[] = { 0x30, 0x03, 0x04, 0x01, 0x00 };
	static const uint8_t eid[] = { 0x80, 0, 0, 0, 1 };
	struct snmp_varbind	 v;
	struct snmp_msg		 m, back;
	uint8_t			 sbuf[512], buf[512];
	const uint8_t		*scoped, *out;
	ssize_t			 sn, n;
	size_t			 off;

	memset(&m, 0, sizeof(m));
	memset(&v, 0, sizeof(v));
	m.version = SNMP_V3;
	m.msg_id = 2147483647;
	m.msg_max_size = 1472;
	m.msg_flags = SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_REPORT;
	m.msg_security_model = SNMP_SECMODEL_USM;
	m.context_engine_id = eid;
	m.context_engine_id_len = sizeof(eid);
	m.context_name = (const uint8_t *)"ctx";
	m.context_name_len = 3;
	m.pdu.type = SNMP_PDU_GETNEXT;
	m.pdu.request_id = 77;
	m.pdu.vb = &v;
	m.pdu.nvb = 1;
	v.name = mkoid("1.3.6.1.2.1");
	v.value.type = SNMP_T_NULL;
	sn = snmp_scoped_pdu_encode(&m, sbuf, sizeof(sbuf), &scoped);
	ck_assert_int_gt(sn, 0);
	n = snmp_msg_encode_v3_off(&m, sp, sizeof(sp), scoped, (size_t)sn, buf,
	    sizeof(buf), &out, &off);
	ck_assert_int_gt(n, 0);
	ck_assert_mem_eq(out + off, sp, sizeof(sp));

	decode_ok(out, (size_t)n, &back);
	ck_assert_int_eq(back.version, SNMP_V3);
	ck_assert_int_eq(back.msg_id, 2147483647);
	ck_assert_int_eq(back.msg_max_size, 1472);
	ck_assert_int_eq(back.msg_flags, SNMP_MSGFLAG_AUTH |
	    SNMP_MSGFLAG_REPORT);
	ck_assert_int_eq(back.msg_security_model, SNMP_SECMODEL_USM);
	ck_assert_ptr_eq(back.sec_params, out + off);
	ck_assert_uint_eq(back.sec_params_len, sizeof(sp));
	ck_assert_uint_eq(back.context_engine_id_len, sizeof(eid));
	ck_assert_mem_eq(back.context_engine_id, eid, sizeof(eid));
	ck_assert_uint_eq(back.context_name_len, 3);
	ck_assert_mem_eq(back.context_name, "ctx", 3);
	ck_assert_int_eq(back.pdu.type, SNMP_PDU_GETNEXT);
	ck_assert_int_eq(back.pdu.request_id, 77);
	ck_assert_uint_eq(back.pdu.nvb, 1);
	assert_oid(&vbs[0].name, "1.3.6.1.2.1");

	/* NULL sec_params reserves zeroed room in place. */
	n = snmp_msg_encode_v3_off(&m, NULL, 12, scoped, (size_t)sn, buf,
	    sizeof(buf), &out, &off);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(out[off - 2], 0x04);
	ck_assert_int_eq(out[off - 1], 12);
	ck_assert_int_eq(out[off + 11], 0);
}
END_TEST

START_TEST(pdu_v3_encrypted_msgdata)
{
	static const uint8_t cipher[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
	static const uint8_t enc[] = { 0x04, 0x05, 0xde, 0xad, 0xbe, 0xef,
	    0x01 };
	struct snmp_msg		 m, back;
	uint8_t			 buf[256];
	const uint8_t		*out;
	ssize_t			 n;

	memset(&m, 0, sizeof(m));
	m.version = SNMP_V3;
	m.msg_id = 1;
	m.msg_max_size = 65507;
	m.msg_flags = SNMP_MSGFLAG_AUTH | SNMP_MSGFLAG_PRIV;
	m.msg_security_model = SNMP_SECMODEL_USM;
	n = snmp_msg_encode_v3(&m, (const uint8_t *)"sp", 2, enc, sizeof(enc),
	    buf, sizeof(buf), &out);
	ck_assert_int_gt(n, 0);
	decode_ok(out, (size_t)n, &back);
	ck_assert_int_eq(back.msg_flags, 3);
	ck_assert_uint_eq(back.encrypted_len, sizeof(cipher));
	ck_assert_mem_eq(back.encrypted, cipher, sizeof(cipher));
	ck_assert_ptr_null(back.context_engine_id);
	ck_assert_uint_eq(back.pdu.nvb, 0);
}
END_TEST

START_TEST(pdu_v3_reject_bad_header)
{
	uint8_t		 buf[256], sbuf[256];
	const uint8_t	*scoped, *out;
	struct snmp_msg	 m;
	ssize_t		 sn, mn;
	size_t		 n = sizeof(v3_discovery_tx1);

	/* RFC 3412 6: the ranges of msgMaxSize, msgID, msgSecurityModel. */
	decode_ok(v3_discovery_tx1, n, &m);
	sn = snmp_scoped_pdu_encode(&m, sbuf, sizeof(sbuf), &scoped);
	ck_assert_int_gt(sn, 0);
	m.msg_max_size = 483;
	mn = snmp_msg_encode_v3(&m, m.sec_params, m.sec_params_len, scoped,
	    (size_t)sn, buf, sizeof(buf), &out);
	ck_assert_int_gt(mn, 0);
	ck_assert_int_eq(snmp_msg_decode(out, (size_t)mn, &m), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "msgMaxSize"));

	decode_ok(v3_discovery_tx1, n, &m);
	m.msg_id = -1;
	mn = snmp_msg_encode_v3(&m, m.sec_params, m.sec_params_len, scoped,
	    (size_t)sn, buf, sizeof(buf), &out);
	ck_assert_int_eq(snmp_msg_decode(out, (size_t)mn, &m), -1);

	decode_ok(v3_discovery_tx1, n, &m);
	m.msg_security_model = 0;
	mn = snmp_msg_encode_v3(&m, m.sec_params, m.sec_params_len, scoped,
	    (size_t)sn, buf, sizeof(buf), &out);
	ck_assert_int_eq(snmp_msg_decode(out, (size_t)mn, &m), -1);

	/* msgData neither ScopedPDU nor encryptedPDU. */
	memcpy(buf, v3_discovery_tx1, n);
	ck_assert_int_eq(buf[42], 0x30);
	buf[42] = 0x31;
	msg_init(&m);
	ck_assert_int_eq(snmp_msg_decode(buf, n, &m), -1);

	/* msgFlags an INTEGER instead of an OCTET STRING. */
	memcpy(buf, v3_discovery_tx1, n);
	ck_assert_int_eq(buf[18], 0x04);
	buf[18] = 0x02;
	ck_assert_int_eq(snmp_msg_decode(buf, n, &m), -1);

	/* msgFlags of two octets: insert one, fix both enclosing lengths. */
	memcpy(buf, v3_discovery_tx1, 21);
	buf[21] = 0x00;
	memcpy(buf + 22, v3_discovery_tx1 + 21, n - 21);
	buf[1]++;
	buf[6]++;
	buf[19] = 0x02;
	ck_assert_int_eq(snmp_msg_decode(buf, n + 1, &m), -1);
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "msgFlags"));
}
END_TEST

START_TEST(pdu_scoped_decode_ignores_padding)
{
	uint8_t			 sbuf[256], pad[300];
	const uint8_t		*scoped;
	struct snmp_msg		 m, back;
	struct snmp_varbind	 v;
	ssize_t			 sn;

	memset(&m, 0, sizeof(m));
	memset(&v, 0, sizeof(v));
	m.pdu.type = SNMP_PDU_RESPONSE;
	m.pdu.vb = &v;
	m.pdu.nvb = 1;
	v.name = mkoid("1.3.6.1.2.1.1.5.0");
	v.value.type = SNMP_T_OCTETS;
	v.value.data = (const uint8_t *)"host";
	v.value.len = 4;
	sn = snmp_scoped_pdu_encode(&m, sbuf, sizeof(sbuf), &scoped);
	ck_assert_int_gt(sn, 0);
	memcpy(pad, scoped, (size_t)sn);
	memset(pad + sn, 0x07, 7);
	msg_init(&back);
	back.msg_id = 99;
	ck_assert_int_eq(snmp_scoped_pdu_decode(pad, (size_t)sn + 7, &back),
	    0);
	ck_assert_int_eq(back.msg_id, 99);
	ck_assert_uint_eq(back.pdu.nvb, 1);
	ck_assert_mem_eq(vbs[0].value.data, "host", 4);
	/* Cut short it fails. */
	ck_assert_int_eq(snmp_scoped_pdu_decode(pad, (size_t)sn - 1, &back),
	    -1);
}
END_TEST

START_TEST(pdu_names)
{
	ck_assert_str_eq(snmp_error_status_name(0), "noError");
	ck_assert_str_eq(snmp_error_status_name(5), "genErr");
	ck_assert_str_eq(snmp_error_status_name(13), "resourceUnavailable");
	ck_assert_str_eq(snmp_error_status_name(18), "inconsistentName");
	ck_assert_ptr_null(snmp_error_status_name(19));
	ck_assert_ptr_null(snmp_error_status_name(-1));
	ck_assert_str_eq(snmp_type_name(SNMP_T_INTEGER), "Integer32");
	ck_assert_str_eq(snmp_type_name(SNMP_T_OCTETS), "OCTET STRING");
	ck_assert_str_eq(snmp_type_name(SNMP_T_OID), "OBJECT IDENTIFIER");
	ck_assert_str_eq(snmp_type_name(SNMP_T_NSAP), "NsapAddress");
	ck_assert_str_eq(snmp_type_name(SNMP_T_UINTEGER32), "UInteger32");
	ck_assert_str_eq(snmp_type_name(SNMP_T_ENDOFMIBVIEW), "endOfMibView");
	ck_assert_ptr_null(snmp_type_name(0x30));
	ck_assert_str_eq(snmp_pdu_type_name(SNMP_PDU_GETBULK),
	    "GetBulkRequest");
	ck_assert_str_eq(snmp_pdu_type_name(SNMP_PDU_TRAP), "SNMPv2-Trap");
	ck_assert_ptr_null(snmp_pdu_type_name(0xa9));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("pdu");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, pdu_decode_netsnmp_get_response);
	tcase_add_test(tc, pdu_encode_vbl_byte_identical);
	tcase_add_test(tc, pdu_decode_expect_marks_asked_names);
	tcase_add_test(tc, pdu_decode_netsnmp_exceptions);
	tcase_add_test(tc, pdu_decode_netsnmp_v1_getnext_and_error);
	tcase_add_test(tc, pdu_decode_netsnmp_bulk_and_typed_values);
	tcase_add_test(tc, pdu_decode_netsnmp_traps);
	tcase_add_test(tc, pdu_decode_netsnmp_v3_discovery);
	tcase_add_test(tc, pdu_encode_get_matches_netsnmp);
	tcase_add_test(tc, pdu_reencode_netsnmp_vectors_byte_identical);
	tcase_add_test(tc, pdu_decode_fails_on_every_truncation);
	tcase_add_test(tc, pdu_reject_trailing_octets);
	tcase_add_test(tc, pdu_reject_too_many_varbinds);
	tcase_add_test(tc, pdu_too_many_varbinds_keeps_request_id_and_count);
	tcase_add_test(tc, pdu_reject_bad_version_and_pdu_mix);
	tcase_add_test(tc, pdu_reject_malformed_values);
	tcase_add_test(tc, pdu_boundary_values_accepted);
	tcase_add_test(tc, pdu_decode_lenient_integers);
	tcase_add_test(tc, pdu_error_detail_names_varbind);
	tcase_add_test(tc, pdu_round_trip_every_value_type);
	tcase_add_test(tc, pdu_round_trip_every_pdu_type);
	tcase_add_test(tc, pdu_encode_rejects_bad_values);
	tcase_add_test(tc, pdu_v3_encode_and_parse_header);
	tcase_add_test(tc, pdu_v3_encrypted_msgdata);
	tcase_add_test(tc, pdu_v3_reject_bad_header);
	tcase_add_test(tc, pdu_scoped_decode_ignores_padding);
	tcase_add_test(tc, pdu_names);
	suite_add_tcase(s, tc);
	return check_run(s);
}
