/*
 * check_session.c - the request engine driven by a fake clock and a fake
 * send that keeps every datagram, with responses built by the codec and
 * injected as if they came from the network: request-ID matching and the
 * origin/version/duplicate checks, retransmission and timeout, the limits
 * on requests.  The libevent binding (daemon/sess_event.c) has its own
 * tests in check_sess_event.c.
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
#include "check_main.h"

#define MAXSENT	256

struct sent {
	uint8_t		 buf[2048];
	size_t		 len;
	struct sess	*s;
};

static struct fake {
	uint64_t	 now;
	uint64_t	 wake;
	int		 nwake;
	int		 nsent;
	struct sent	 sent[MAXSENT];
	int		 attached;
	int		 detached;
	int		 fail_send;
	int		 send_errno;	/* errno of a failed send (ENOBUFS) */
	int		 lookups;	/* io.resolve calls */
	int		 unlookups;	/* io.unresolve calls */
	int		 resolve_now;	/* 1: answer at once, 0: later */
	int		 drops;		/* io.drop calls */
} fk;

static struct badrec {
	int		 n;
	int		 error;
	struct sess	*s;
} bad;

struct cbrec {
	int		 called;
	int		 error;
	int32_t		 reqid;
	size_t		 nvb;
	int64_t		 value;
	uint32_t	 rtt;
	char		 detail[256];
};

static uint64_t
fake_now(void *arg)
{
	return fk.now;
}

static void
fake_wake(void *arg, uint64_t when)
{
	fk.wake = when;
	fk.nwake++;
}

static int
fake_attach(void *arg, struct sess *s)
{
	fk.attached++;
	return 0;
}

static void
fake_detach(void *arg, struct sess *s)
{
	fk.detached++;
}

static int
fake_send(void *arg, struct sess *s, const uint8_t *buf, size_t len)
{
	if (fk.fail_send) {
		errno = fk.send_errno != 0 ? fk.send_errno : ENOBUFS;
		return -1;
	}
	ck_assert_int_lt(fk.nsent, MAXSENT);
	ck_assert_uint_le(len, sizeof(fk.sent[0].buf));
	memcpy(fk.sent[fk.nsent].buf, buf, len);
	fk.sent[fk.nsent].len = len;
	fk.sent[fk.nsent].s = s;
	fk.nsent++;
	return 0;
}

static void
badpkt_cb(struct sess_mgr *m, struct sess *s, int error, const char *detail,
    const struct sockaddr *from, const uint8_t *buf, size_t len, void *arg)
{
	bad.n++;
	bad.error = error;
	bad.s = s;
}

/* Names answer later (or at once with resolve_now), as 192.0.2.1. */
static int
fake_resolve(void *arg, struct sess *s, const char *host, int family,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	fk.lookups++;
	if (!fk.resolve_now)
		return 0;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
	*sslen = sizeof(*sin);
	return 1;
}

static void
fake_unresolve(void *arg, struct sess *s)
{
	fk.unlookups++;
}

static void
fake_drop(void *arg, struct sess *s)
{
	fk.drops++;
}

static struct sess_mgr *
mgr_new(void)
{
	struct sess_io io;
	struct sess_mgr *m;

	memset(&fk, 0, sizeof(fk));
	memset(&bad, 0, sizeof(bad));
	fk.now = 1000000;
	memset(&io, 0, sizeof(io));
	io.now_us = fake_now;
	io.wake = fake_wake;
	io.attach = fake_attach;
	io.detach = fake_detach;
	io.send = fake_send;
	io.drop = fake_drop;
	io.resolve = fake_resolve;
	io.unresolve = fake_unresolve;
	m = sess_mgr_new(&io);
	ck_assert_ptr_nonnull(m);
	sess_mgr_set_badpkt_cb(m, badpkt_cb, NULL);
	return m;
}

static void
opts_init(struct sess_opts *o)
{
	sess_opts_default(o);
	snprintf(o->host, sizeof(o->host), "192.0.2.1");
	o->timeout_ms = 1000;
	o->retries = 2;
}

static struct sess *
sess_mk(struct sess_mgr *m, const struct sess_opts *o)
{
	struct sess *s = sess_new(m, o);

	ck_assert_msg(s != NULL, "sess_new: %s", snmpmgr_lasterr_detail());
	return s;
}

static void
record_cb(struct sess_req *req, const struct sess_result *res, void *arg)
{
	struct cbrec *r = arg;

	r->called++;
	r->error = res->error;
	r->reqid = sess_req_id(req);
	r->rtt = res->rtt_us;
	snprintf(r->detail, sizeof(r->detail), "%s",
	    res->error != 0 && snmpmgr_lasterr() == res->error ?
	    snmpmgr_lasterr_detail() : "");
	if (res->error == 0) {
		r->nvb = res->pdu->nvb;
		if (res->pdu->nvb > 0)
			r->value = res->pdu->vb[0].value.i;
	}
}

static struct sess_req *
get(struct sess *s, const char *oid, struct cbrec *rec)
{
	struct snmp_varbind vb;
	struct snmp_pdu pdu;

	memset(&vb, 0, sizeof(vb));
	memset(&pdu, 0, sizeof(pdu));
	ck_assert_int_eq(oid_parse_str(&vb.name, oid), 0);
	vb.value.type = SNMP_T_NULL;
	pdu.type = SNMP_PDU_GET;
	pdu.vb = &vb;
	pdu.nvb = 1;
	pdu.maxvb = 1;
	return sess_request(s, &pdu, record_cb, rec);
}

/* The request ID of the i-th datagram sent. */
static int32_t
sent_id(int i)
{
	struct snmp_varbind vb[8];
	struct snmp_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = vb;
	msg.pdu.maxvb = 8;
	ck_assert_int_eq(snmp_msg_decode(fk.sent[i].buf, fk.sent[i].len,
	    &msg), 0);
	return msg.pdu.request_id;
}

static void
addr_v4(struct sockaddr_in *sin, const char *ip, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

/* Build a response (type, version, id, one Integer32 varbind) and inject
 * it as coming from ip:port. */
static void
inject(struct sess_mgr *m, struct sess *owner, const char *ip, uint16_t port,
    int32_t version, uint8_t type, int32_t id, int64_t value)
{
	uint8_t buf[1024];
	const uint8_t *out;
	struct snmp_varbind vb;
	struct snmp_msg msg;
	struct sockaddr_in from;
	ssize_t len;

	memset(&vb, 0, sizeof(vb));
	memset(&msg, 0, sizeof(msg));
	ck_assert_int_eq(oid_parse_str(&vb.name, "1.3.6.1.2.1.1.3.0"), 0);
	vb.value.type = SNMP_T_INTEGER;
	vb.value.i = value;
	msg.version = version;
	msg.community = (const uint8_t *)"public";
	msg.community_len = 6;
	msg.pdu.type = type;
	msg.pdu.request_id = id;
	msg.pdu.vb = &vb;
	msg.pdu.nvb = 1;
	msg.pdu.maxvb = 1;
	len = snmp_msg_encode(&msg, buf, sizeof(buf), &out);
	ck_assert_int_gt(len, 0);
	addr_v4(&from, ip, port);
	sess_mgr_input(m, owner, (struct sockaddr *)&from, sizeof(from), out,
	    len);
}

static void
answer(struct sess_mgr *m, int32_t id, int64_t value)
{
	inject(m, NULL, "192.0.2.1", 161, SNMP_V2C, SNMP_PDU_RESPONSE, id,
	    value);
}

/* Move the fake clock to `to`, firing every deadline on the way. */
static void
advance_to(struct sess_mgr *m, uint64_t to)
{
	int guard = 0;

	while (fk.wake != 0 && fk.wake <= to) {
		ck_assert_int_lt(guard++, 10000);
		if (fk.wake > fk.now)
			fk.now = fk.wake;
		sess_mgr_timer(m);
	}
	fk.now = to;
}

/* Sessions with the same options but their hosts share one block. */
START_TEST(sess_option_blocks_shared)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o, got;
	struct sess *a, *b, *c;
	size_t base = sess_opts_blocks();

	opts_init(&o);
	a = sess_mk(m, &o);
	snprintf(o.host, sizeof(o.host), "192.0.2.2");
	b = sess_mk(m, &o);
	ck_assert_ptr_eq(sess_get_opts(a), sess_get_opts(b));
	ck_assert_uint_eq(sess_opts_blocks(), base + 1);
	ck_assert_str_eq(sess_get_opts(a)->host, "");
	ck_assert_str_eq(sess_get_host(a), "192.0.2.1");
	ck_assert_str_eq(sess_get_host(b), "192.0.2.2");
	/* Another option: a block of its own. */
	o.retries = 7;
	c = sess_mk(m, &o);
	ck_assert_ptr_ne(sess_get_opts(c), sess_get_opts(a));
	ck_assert_uint_eq(sess_opts_blocks(), base + 2);
	/* A change on one leaves the other as it was. */
	sess_copy_opts(a, &got);
	ck_assert_str_eq(got.host, "192.0.2.1");
	got.timeout_ms = 4321;
	ck_assert_int_eq(sess_set_opts(a, &got), 0);
	ck_assert_uint_eq(sess_get_opts(a)->timeout_ms, 4321);
	ck_assert_uint_eq(sess_get_opts(b)->timeout_ms, 1000);
	ck_assert_str_eq(sess_get_host(a), "192.0.2.1");
	ck_assert_uint_eq(sess_opts_blocks(), base + 3);
	/* Back to b's options: the shared block again. */
	got.timeout_ms = 1000;
	ck_assert_int_eq(sess_set_opts(a, &got), 0);
	ck_assert_ptr_eq(sess_get_opts(a), sess_get_opts(b));
	ck_assert_uint_eq(sess_opts_blocks(), base + 2);
	sess_free(c);
	sess_free(b);
	ck_assert_uint_eq(sess_opts_blocks(), base + 1);
	sess_free(a);
	ck_assert_uint_eq(sess_opts_blocks(), base);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_response_matches_request_id)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	struct sess_req *req;

	opts_init(&o);
	s = sess_mk(m, &o);
	ck_assert_int_eq(fk.attached, 1);
	req = get(s, "1.3.6.1.2.1.1.3.0", &rec);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(fk.nsent, 1);
	ck_assert_int_eq(sent_id(0), sess_req_id(req));
	ck_assert_uint_eq(sess_pending(s), 1);
	ck_assert_uint_eq(fk.wake, fk.now + 1000000);

	fk.now += 1500;
	answer(m, sent_id(0), 42);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(rec.value, 42);
	ck_assert_uint_eq(rec.rtt, 1500);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(sess_get_stats(s)->responses, 1);
	ck_assert_uint_eq(sess_get_stats(s)->last_rtt_us, 1500);
	ck_assert_uint_eq(fk.wake, 0);
	ck_assert_int_eq(bad.n, 0);
	sess_mgr_free(m);
	ck_assert_int_eq(fk.detached, 1);
}
END_TEST

START_TEST(sess_request_ids_unique_and_increasing)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec rec[6];
	int i;

	memset(rec, 0, sizeof(rec));
	opts_init(&o);
	s1 = sess_mk(m, &o);
	s2 = sess_mk(m, &o);
	for (i = 0; i < 6; i++)
		ck_assert_ptr_nonnull(get(i % 2 ? s2 : s1, "1.3.6.1.2.1.1.3.0",
		    &rec[i]));
	for (i = 0; i < 6; i++) {
		ck_assert_int_gt(sent_id(i), 0);
		if (i > 0 && sent_id(i - 1) != INT32_MAX)
			ck_assert_int_eq(sent_id(i), sent_id(i - 1) + 1);
	}
	/* Answers in reverse order reach the right callbacks. */
	for (i = 5; i >= 0; i--)
		answer(m, sent_id(i), 100 + i);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(rec[i].called, 1);
		ck_assert_int_eq(rec[i].value, 100 + i);
	}
	ck_assert_uint_eq(sess_get_stats(s1)->responses, 3);
	ck_assert_uint_eq(sess_get_stats(s2)->responses, 3);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_origin_mismatch_dropped)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	inject(m, NULL, "192.0.2.99", 161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(0), 1);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_ORIGIN);
	ck_assert_ptr_eq(bad.s, s);
	ck_assert_uint_eq(sess_get_stats(s)->origin_mismatch, 1);
	ck_assert_uint_eq(sess_pending(s), 1);
	/* The real answer still gets through. */
	answer(m, sent_id(0), 2);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.value, 2);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_origin_check_off_accepts_any_source)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	o.check_message_origin = false;
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	inject(m, NULL, "192.0.2.99", 9999, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(0), 7);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.value, 7);
	ck_assert_int_eq(bad.n, 0);
	ck_assert_uint_eq(sess_get_stats(s)->origin_mismatch, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_port_mismatch_rejected_unless_ignored)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec r1 = { 0 }, r2 = { 0 };

	opts_init(&o);
	s1 = sess_mk(m, &o);
	o.ignore_port_mismatch = true;
	s2 = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &r1));
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &r2));

	inject(m, NULL, "192.0.2.1", 1161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(0), 1);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_ORIGIN);
	ck_assert_uint_eq(sess_get_stats(s1)->origin_mismatch, 1);

	/* Port ignored, but the address still counts. */
	inject(m, NULL, "192.0.2.2", 1161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(1), 1);
	ck_assert_int_eq(r2.called, 0);
	ck_assert_uint_eq(sess_get_stats(s2)->origin_mismatch, 1);
	inject(m, NULL, "192.0.2.1", 1161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(1), 5);
	ck_assert_int_eq(r2.called, 1);
	ck_assert_int_eq(r2.value, 5);
	ck_assert_int_eq(bad.n, 2);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_version_mismatch_dropped)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec r1 = { 0 }, r2 = { 0 };

	opts_init(&o);
	s1 = sess_mk(m, &o);
	o.check_version = false;
	s2 = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &r1));
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &r2));
	inject(m, NULL, "192.0.2.1", 161, SNMP_V1, SNMP_PDU_RESPONSE,
	    sent_id(0), 1);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_VERSION);
	ck_assert_uint_eq(sess_get_stats(s1)->version_mismatch, 1);
	ck_assert_uint_eq(sess_pending(s1), 1);
	inject(m, NULL, "192.0.2.1", 161, SNMP_V1, SNMP_PDU_RESPONSE,
	    sent_id(1), 3);
	ck_assert_int_eq(r2.called, 1);
	ck_assert_int_eq(r2.value, 3);
	ck_assert_uint_eq(sess_get_stats(s2)->version_mismatch, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_duplicate_response_ignored_or_counted)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec r1 = { 0 }, r2 = { 0 };

	opts_init(&o);
	s1 = sess_mk(m, &o);
	o.ignore_duplicate_response = false;
	s2 = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &r1));
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &r2));

	answer(m, sent_id(0), 1);
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(r1.called, 1);
	ck_assert_uint_eq(sess_get_stats(s1)->duplicates, 1);
	ck_assert_uint_eq(sess_get_stats(s1)->bad_packets, 0);
	ck_assert_int_eq(bad.n, 0);

	answer(m, sent_id(1), 1);
	answer(m, sent_id(1), 1);
	ck_assert_int_eq(r2.called, 1);
	ck_assert_uint_eq(sess_get_stats(s2)->duplicates, 1);
	ck_assert_uint_eq(sess_get_stats(s2)->bad_packets, 1);
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_ptr_eq(bad.s, s2);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_unknown_request_id_is_bad_packet)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	answer(m, sent_id(0) + 1000, 1);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_ptr_null(bad.s);
	ck_assert_uint_eq(sess_mgr_get_stats(m)->bad_packets, 1);
	ck_assert_uint_eq(sess_get_stats(s)->duplicates, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_defective_datagram_is_bad_packet)
{
	static const uint8_t junk[] = { 0x30, 0x82, 0x10, 0x00, 0x02, 0x01 };
	struct sess_mgr *m = mgr_new();
	struct sockaddr_in from;

	addr_v4(&from, "192.0.2.1", 161);
	sess_mgr_input(m, NULL, (struct sockaddr *)&from, sizeof(from), junk,
	    sizeof(junk));
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_DEFECTIVE);
	ck_assert_uint_eq(sess_mgr_get_stats(m)->bad_packets, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_non_response_pdu_rejected)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	inject(m, NULL, "192.0.2.1", 161, SNMP_V2C, SNMP_PDU_GET, sent_id(0),
	    1);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_uint_eq(sess_pending(s), 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_own_socket_takes_only_its_responses)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec r1 = { 0 };

	opts_init(&o);
	s1 = sess_mk(m, &o);
	s2 = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &r1));
	inject(m, s2, "192.0.2.1", 161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(0), 1);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_uint_eq(sess_get_stats(s2)->bad_packets, 1);
	inject(m, s1, "192.0.2.1", 161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(0), 1);
	ck_assert_int_eq(r1.called, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_retries_then_timeout)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	uint64_t t0;
	int i;

	opts_init(&o);
	o.timeout_ms = 1000;
	o.retries = 2;
	s = sess_mk(m, &o);
	t0 = fk.now;
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	advance_to(m, t0 + 999999);
	ck_assert_int_eq(fk.nsent, 1);
	advance_to(m, t0 + 1000000);
	ck_assert_int_eq(fk.nsent, 2);
	advance_to(m, t0 + 2999999);
	ck_assert_int_eq(fk.nsent, 3);
	ck_assert_int_eq(rec.called, 0);
	advance_to(m, t0 + 3000000);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_TIMEOUT);
	/* Exactly retries + 1 transmissions, all the same bytes. */
	advance_to(m, t0 + 10000000);
	ck_assert_int_eq(fk.nsent, 3);
	for (i = 1; i < 3; i++) {
		ck_assert_uint_eq(fk.sent[i].len, fk.sent[0].len);
		ck_assert_int_eq(memcmp(fk.sent[i].buf, fk.sent[0].buf,
		    fk.sent[0].len), 0);
	}
	ck_assert_uint_eq(sess_get_stats(s)->requests, 1);
	ck_assert_uint_eq(sess_get_stats(s)->retries, 2);
	ck_assert_uint_eq(sess_get_stats(s)->timeouts, 1);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(fk.wake, 0);
	sess_mgr_free(m);
}
END_TEST

/*
 * RFC 3430: on a stream a request is written once per connection; its
 * tries pass without a resend until the binding says the connection is
 * gone, and then the next try goes out (on the next connection).
 */
START_TEST(sess_stream_resends_only_on_a_new_connection)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 }, rec2 = { 0 };
	uint64_t t0;

	opts_init(&o);
	o.transport = SESS_TRANSPORT_TCP;
	o.timeout_ms = 1000;
	o.retries = 2;
	s = sess_mk(m, &o);
	t0 = fk.now;
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_int_eq(fk.nsent, 1);
	advance_to(m, t0 + 1500000);
	ck_assert_int_eq(fk.nsent, 1);
	ck_assert_uint_eq(sess_get_stats(s)->retries, 0);
	ck_assert_int_eq(fk.drops, 0);
	/* The connection drops: the next try goes out again. */
	sess_stream_lost(s, 0, NULL, NULL, 0);
	ck_assert_int_eq(bad.n, 0);
	advance_to(m, t0 + 2000000);
	ck_assert_int_eq(fk.nsent, 2);
	ck_assert_uint_eq(sess_get_stats(s)->retries, 1);
	answer(m, sent_id(1), 6);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);

	/* Never answered on a live connection: one write, then 201 after
	 * every try's timeout, and the connection is dropped. */
	t0 = fk.now;
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec2));
	advance_to(m, t0 + 2999999);
	ck_assert_int_eq(rec2.called, 0);
	advance_to(m, t0 + 3000000);
	ck_assert_int_eq(rec2.called, 1);
	ck_assert_int_eq(rec2.error, SNMPMGR_ERR_TIMEOUT);
	ck_assert_int_eq(fk.nsent, 3);
	ck_assert_int_eq(fk.drops, 1);

	/* A framing failure is a bad packet of the session. */
	sess_stream_lost(s, SNMPMGR_ERR_MSG_TOO_LONG, "too long", NULL, 0);
	ck_assert_int_eq(bad.n, 1);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_ptr_eq(bad.s, s);
	ck_assert_uint_eq(sess_get_stats(s)->bad_packets, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_rtt_from_last_transmission)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	uint64_t t0;

	opts_init(&o);
	s = sess_mk(m, &o);
	t0 = fk.now;
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	advance_to(m, t0 + 1200000);
	ck_assert_int_eq(fk.nsent, 2);
	ck_assert_int_eq(sent_id(1), sent_id(0));
	answer(m, sent_id(0), 9);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_uint_eq(rec.rtt, 200000);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_send_failure_counts_and_retries)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	fk.fail_send = 1;
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_uint_eq(sess_get_stats(s)->send_errors, 1);
	fk.fail_send = 0;
	advance_to(m, fk.now + 1000000);
	ck_assert_int_eq(fk.nsent, 1);
	answer(m, sent_id(0), 4);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	sess_mgr_free(m);
}
END_TEST

/*
 * A send the system refuses for good (EACCES to a broadcast address,
 * ENETUNREACH) is no lost datagram: the request ends at once with 397 and
 * the errno text, and the send is counted; nothing waits for a timeout.
 * EMSGSIZE is 118.
 */
START_TEST(sess_send_refused_ends_request_at_once)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	uint64_t t0;

	opts_init(&o);
	s = sess_mk(m, &o);
	/* The first try: refused up front, no callback, nothing pending. */
	fk.fail_send = 1;
	fk.send_errno = EACCES;
	ck_assert_ptr_null(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_SEND);
	ck_assert_msg(strstr(snmpmgr_lasterr_detail(), "Permission denied") !=
	    NULL && strstr(snmpmgr_lasterr_detail(), "192.0.2.1:161") != NULL,
	    "detail: %s", snmpmgr_lasterr_detail());
	ck_assert_uint_eq(sess_get_stats(s)->send_errors, 1);
	ck_assert_uint_eq(sess_get_stats(s)->requests, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(fk.wake, 0);
	ck_assert_int_eq(rec.called, 0);

	/* A retransmission: the callback hears it at that moment, not after
	 * the retries. */
	fk.fail_send = 0;
	t0 = fk.now;
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	fk.fail_send = 1;
	fk.send_errno = ENETUNREACH;
	advance_to(m, t0 + 1000000);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_SEND);
	ck_assert_msg(strstr(rec.detail, "Network is unreachable") != NULL,
	    "detail: %s", rec.detail);
	ck_assert_uint_eq(sess_get_stats(s)->send_errors, 2);
	ck_assert_uint_eq(sess_get_stats(s)->timeouts, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(fk.wake, 0);

	/* Too long for the path: 118. */
	fk.send_errno = EMSGSIZE;
	ck_assert_ptr_null(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_uint_eq(sess_get_stats(s)->send_errors, 3);
	ck_assert_int_eq(fk.nsent, 1);
	sess_mgr_free(m);
}
END_TEST

/* A GetBulk of nvb varbinds, nr non-repeaters, max-repetitions rep. */
static struct sess_req *
bulk(struct sess *s, size_t nvb, int32_t nr, int32_t rep, struct cbrec *rec)
{
	static struct snmp_varbind vb[SNMPMGR_MAX_VARBINDS + 1];
	struct snmp_pdu pdu;
	size_t i;

	ck_assert_uint_le(nvb, SNMPMGR_MAX_VARBINDS + 1);
	memset(vb, 0, sizeof(vb));
	memset(&pdu, 0, sizeof(pdu));
	for (i = 0; i < nvb; i++) {
		ck_assert_int_eq(oid_parse_str(&vb[i].name, "1.3.6.1.2.1.2"),
		    0);
		vb[i].value.type = SNMP_T_NULL;
	}
	pdu.type = SNMP_PDU_GETBULK;
	pdu.error_status = nr;
	pdu.error_index = rep;
	pdu.vb = vb;
	pdu.nvb = pdu.maxvb = nvb;
	return sess_request(s, &pdu, record_cb, rec);
}

/*
 * Never ask for what cannot be taken: a GetBulk whose legal answer (RFC
 * 3416 4.2.3: N + M * R varbinds) holds more than the decoder accepts is
 * refused up front with 302, before anything is sent.
 */
START_TEST(sess_getbulk_answer_past_the_bound_refused)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	/* 3 columns x 1000 repetitions: 3000 varbinds. */
	ck_assert_ptr_null(bulk(s, 3, 0, 1000, &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
	ck_assert_msg(strstr(snmpmgr_lasterr_detail(), "3000") != NULL &&
	    strstr(snmpmgr_lasterr_detail(), "682") != NULL,
	    "detail: %s", snmpmgr_lasterr_detail());
	/* Non-repeaters count once: 48 + 2 x 1000 = 2048 fits exactly. */
	ck_assert_ptr_null(bulk(s, 51, 49, 1000, &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
	ck_assert_int_eq(fk.nsent, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_ptr_nonnull(bulk(s, 50, 48, 1000, &rec));
	/* More non-repeaters than varbinds: all are, none repeats. */
	ck_assert_ptr_nonnull(bulk(s, 3, 5000, 1000, &rec));
	/* More varbinds than a PDU holds. */
	ck_assert_ptr_null(bulk(s, SNMPMGR_MAX_VARBINDS + 1,
	    SNMPMGR_MAX_VARBINDS + 1, 0, &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_TOO_MANY_OBJECTS);
	ck_assert_int_eq(fk.nsent, 2);
	ck_assert_int_eq(rec.called, 0);
	sess_mgr_free(m);
}
END_TEST

/*
 * A Response with request-id id holding n Integer32 varbinds, built with
 * the BER writer (the PDU encoder stops at SNMPMGR_MAX_VARBINDS), from
 * ip:161.
 */
static void
answer_many(struct sess_mgr *m, const char *ip, int32_t id, size_t n)
{
	static uint8_t buf[65536];
	struct ber_wr w;
	struct oid name;
	struct sockaddr_in from;
	size_t i, mark;

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
	ck_assert_int_eq(ber_wr_int(&w, BER_TAG_INTEGER, id), 0);
	ck_assert_int_eq(ber_wr_close(&w, SNMP_PDU_RESPONSE, 0), 0);
	ck_assert_int_eq(ber_wr_octets(&w, BER_TAG_OCTETS, "public", 6,
	    NULL), 0);
	ck_assert_int_eq(ber_wr_int(&w, BER_TAG_INTEGER, SNMP_V2C), 0);
	ck_assert_int_eq(ber_wr_close(&w, BER_TAG_SEQUENCE, 0), 0);
	addr_v4(&from, ip, 161);
	sess_mgr_input(m, NULL, (struct sockaddr *)&from, sizeof(from),
	    ber_wr_data(&w), ber_wr_len(&w));
}

/*
 * An answer with more varbinds than the engine takes is past a bound,
 * not lost: the request it answers (its request-id is read before the
 * varbinds) ends with 317 and the reason, and the datagram still counts
 * as a bad packet.  Checks the origin first, like any answer.
 */
START_TEST(sess_answer_past_the_bound_ends_request_with_317)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 }, rec2 = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.2.2.1.10.7", &rec));
	/* From elsewhere: dropped (318), the request still waits. */
	answer_many(m, "192.0.2.99", sent_id(0), SNMPMGR_MAX_VARBINDS + 52);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_ORIGIN);
	ck_assert_int_eq(rec.called, 0);
	answer_many(m, "192.0.2.1", sent_id(0), SNMPMGR_MAX_VARBINDS + 52);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_DEFECTIVE);
	ck_assert_msg(strstr(rec.detail, "2100 varbinds") != NULL &&
	    strstr(rec.detail, "2048") != NULL, "detail: %s", rec.detail);
	ck_assert_int_eq(bad.n, 2);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_DEFECTIVE);
	ck_assert_ptr_eq(bad.s, s);
	ck_assert_uint_eq(sess_get_stats(s)->bad_packets, 2);
	ck_assert_uint_eq(sess_get_stats(s)->timeouts, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(fk.wake, 0);
	/* The same answer again is a duplicate, not a stranger. */
	answer_many(m, "192.0.2.1", sent_id(0), SNMPMGR_MAX_VARBINDS + 52);
	ck_assert_uint_eq(sess_get_stats(s)->duplicates, 1);
	/* At the bound it is an answer like any. */
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.2.2.1.10.7", &rec2));
	answer_many(m, "192.0.2.1", sent_id(1), SNMPMGR_MAX_VARBINDS);
	ck_assert_int_eq(rec2.called, 1);
	ck_assert_int_eq(rec2.error, 0);
	ck_assert_uint_eq(rec2.nvb, SNMPMGR_MAX_VARBINDS);
	sess_mgr_free(m);
}
END_TEST

/*
 * max_packet_size bounds what is sent; what is received is bounded by
 * the largest datagram only, so an answer longer than max_packet_size
 * (the agent's to size, RFC 3416 4.2) is taken.
 */
START_TEST(sess_answer_longer_than_max_packet_size_taken)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	o.max_packet_size = 484;
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.2.2.1.10.7", &rec));
	answer_many(m, "192.0.2.1", sent_id(0), 1500);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_uint_eq(rec.nvb, 1500);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_busy_limit)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s, *s2;
	static struct cbrec rec[SNMPMGR_MAX_SESSION_PENDING + 1];
	int i;

	memset(rec, 0, sizeof(rec));
	opts_init(&o);
	s = sess_mk(m, &o);
	s2 = sess_mk(m, &o);
	for (i = 0; i < SNMPMGR_MAX_SESSION_PENDING; i++)
		ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec[i]));
	ck_assert_ptr_null(get(s, "1.3.6.1.2.1.1.3.0", &rec[i]));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_BUSY);
	ck_assert_int_eq(fk.nsent, SNMPMGR_MAX_SESSION_PENDING);
	/* Another session is not affected. */
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &rec[i]));
	/* One answered: room for one more. */
	answer(m, sent_id(0), 1);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec[0]));
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_cancel_calls_no_callback)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec r1 = { 0 }, r2 = { 0 };
	struct sess_req *req;

	opts_init(&o);
	s = sess_mk(m, &o);
	req = get(s, "1.3.6.1.2.1.1.3.0", &r1);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &r2));
	sess_req_cancel(req);
	ck_assert_uint_eq(sess_pending(s), 1);
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_BAD_PACKET);
	advance_to(m, fk.now + 10000000);
	ck_assert_int_eq(r1.called, 0);
	ck_assert_int_eq(r2.called, 1);
	ck_assert_int_eq(r2.error, SNMPMGR_ERR_TIMEOUT);
	/* Only the second request was retransmitted. */
	ck_assert_int_eq(fk.nsent, 2 + 2);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_free_interrupts_requests)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s, *s2;
	struct cbrec r1 = { 0 }, r2 = { 0 }, r3 = { 0 };

	opts_init(&o);
	s = sess_mk(m, &o);
	s2 = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &r1));
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &r2));
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &r3));
	sess_free(s);
	ck_assert_int_eq(fk.detached, 1);
	ck_assert_int_eq(r1.called, 1);
	ck_assert_int_eq(r1.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_int_eq(r2.called, 1);
	ck_assert_int_eq(r2.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_int_eq(r3.called, 0);
	/* A late answer to a freed session's request goes nowhere. */
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(r1.called, 1);
	answer(m, sent_id(2), 1);
	ck_assert_int_eq(r3.called, 1);
	ck_assert_int_eq(r3.error, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_getbulk_on_v1_rejected)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct snmp_varbind vb;
	struct snmp_pdu pdu;
	struct cbrec rec = { 0 };

	opts_init(&o);
	o.version = SNMP_V1;
	s = sess_mk(m, &o);
	memset(&vb, 0, sizeof(vb));
	memset(&pdu, 0, sizeof(pdu));
	oid_parse_str(&vb.name, "1.3.6.1.2.1");
	vb.value.type = SNMP_T_NULL;
	pdu.type = SNMP_PDU_GETBULK;
	pdu.error_index = 10;
	pdu.vb = &vb;
	pdu.nvb = pdu.maxvb = 1;
	ck_assert_ptr_null(sess_request(s, &pdu, record_cb, &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	ck_assert_int_eq(fk.nsent, 0);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	/* GetNext on v1 is fine. */
	pdu.type = SNMP_PDU_GETNEXT;
	pdu.error_index = 0;
	ck_assert_ptr_nonnull(sess_request(s, &pdu, record_cb, &rec));
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_max_packet_size_enforced)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct snmp_varbind vb[20];
	struct snmp_pdu pdu;
	struct cbrec rec = { 0 };
	int i;

	opts_init(&o);
	o.max_packet_size = 200;
	s = sess_mk(m, &o);
	memset(vb, 0, sizeof(vb));
	memset(&pdu, 0, sizeof(pdu));
	for (i = 0; i < 20; i++) {
		oid_parse_str(&vb[i].name, "1.3.6.1.2.1.2.2.1.10.1000");
		vb[i].value.type = SNMP_T_NULL;
	}
	pdu.type = SNMP_PDU_GET;
	pdu.vb = vb;
	pdu.nvb = pdu.maxvb = 20;
	ck_assert_ptr_null(sess_request(s, &pdu, record_cb, &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ck_assert_int_eq(fk.nsent, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	pdu.nvb = 2;
	ck_assert_ptr_nonnull(sess_request(s, &pdu, record_cb, &rec));
	ck_assert_uint_le(fk.sent[0].len, 200);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_disabled_rejects_requests)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	o.enabled = false;
	s = sess_mk(m, &o);
	ck_assert_ptr_null(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MUST_BE_ACTIVE);
	o.enabled = true;
	ck_assert_int_eq(sess_set_opts(s, &o), 0);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_dtls_v2c_and_bad_options_refused)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;

	/* SNMPv3 works (check_v3.c); authPriv without a credential not. */
	opts_init(&o);
	o.version = SNMP_V3;
	o.v3.level = SESS_LEVEL_PRIV;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_AUTH_PASSWORD);
	/* DTLS carries SNMPv3 (TSM) only: check_tsm.c. */
	opts_init(&o);
	o.transport = SESS_TRANSPORT_DTLS;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	opts_init(&o);
	o.version = 2;
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_VERSION);
	/* A name is looked up without blocking: the session waits for it
	 * (sess_name_* below); it is attached only once an address is
	 * known. */
	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "no-such-host.invalid");
	ck_assert_ptr_nonnull(sess_new(m, &o));
	ck_assert_int_eq(fk.lookups, 1);
	ck_assert_int_eq(fk.attached, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_accept_data_off_drops_responses)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };

	opts_init(&o);
	o.accept_data = false;
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(rec.called, 0);
	ck_assert_uint_eq(sess_get_stats(s)->dropped, 1);
	ck_assert_uint_eq(sess_pending(s), 1);
	o.accept_data = true;
	ck_assert_int_eq(sess_set_opts(s, &o), 0);
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_ipv6_origin_compared)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	struct sockaddr_in6 from;
	uint8_t buf[512];
	const uint8_t *out;
	struct snmp_varbind vb;
	struct snmp_msg msg;
	ssize_t len;

	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "2001:db8::1");
	s = sess_mk(m, &o);
	ck_assert_int_eq(sess_addr(s, NULL)->sa_family, AF_INET6);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));

	memset(&vb, 0, sizeof(vb));
	memset(&msg, 0, sizeof(msg));
	oid_parse_str(&vb.name, "1.3.6.1.2.1.1.3.0");
	vb.value.type = SNMP_T_NULL;
	msg.version = SNMP_V2C;
	msg.community = (const uint8_t *)"public";
	msg.community_len = 6;
	msg.pdu.type = SNMP_PDU_RESPONSE;
	msg.pdu.request_id = sent_id(0);
	msg.pdu.vb = &vb;
	msg.pdu.nvb = msg.pdu.maxvb = 1;
	len = snmp_msg_encode(&msg, buf, sizeof(buf), &out);
	ck_assert_int_gt(len, 0);
	memset(&from, 0, sizeof(from));
	from.sin6_family = AF_INET6;
	from.sin6_port = htons(161);
	inet_pton(AF_INET6, "2001:db8::2", &from.sin6_addr);
	sess_mgr_input(m, NULL, (struct sockaddr *)&from, sizeof(from), out,
	    len);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_ORIGIN);
	inet_pton(AF_INET6, "2001:db8::1", &from.sin6_addr);
	sess_mgr_input(m, NULL, (struct sockaddr *)&from, sizeof(from), out,
	    len);
	ck_assert_int_eq(rec.called, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_name_requests_wait_for_the_address)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	struct sockaddr_in sin;

	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "agent.example");
	s = sess_mk(m, &o);
	ck_assert(sess_resolving(s));
	ck_assert_int_eq(fk.lookups, 1);
	ck_assert_int_eq(fk.attached, 0);	/* no family known yet */
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_int_eq(fk.nsent, 0);
	addr_v4(&sin, "192.0.2.1", 0);
	ck_assert_int_eq(sess_resolved(s, 0, NULL, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	ck_assert(!sess_resolving(s));
	ck_assert_int_eq(fk.attached, 1);
	ck_assert_int_eq(fk.nsent, 1);		/* sent at once */
	/* The port is the session's, not the lookup's. */
	answer(m, sent_id(0), 7);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	ck_assert_int_eq(rec.value, 7);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_name_lookup_failure_ends_waiting_requests)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec[2];

	memset(rec, 0, sizeof(rec));
	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "slow.example");
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec[0]));
	ck_assert_int_eq(sess_resolved(s, SNMPMGR_ERR_NOT_IP_ADDRESS,
	    "slow.example: name lookup timed out", NULL, 0), 0);
	ck_assert_int_eq(rec[0].called, 1);
	ck_assert_int_eq(rec[0].error, SNMPMGR_ERR_NOT_IP_ADDRESS);
	ck_assert_int_eq(fk.nsent, 0);
	ck_assert(sess_resolving(s));
	/* The next request asks again. */
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec[1]));
	ck_assert_int_eq(fk.lookups, 2);
	ck_assert_int_eq(rec[1].called, 0);
	sess_free(s);
	ck_assert_int_eq(rec[1].called, 1);
	ck_assert_int_eq(fk.unlookups, 1);	/* the second lookup dropped */
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_name_unanswered_by_the_timeout_is_303_not_201)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	uint64_t t0 = fk.now;

	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "slow.example");
	o.timeout_ms = 1000;
	o.retries = 1;
	s = sess_mk(m, &o);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	advance_to(m, t0 + 1999999);
	ck_assert_int_eq(rec.called, 0);
	advance_to(m, t0 + 2000000);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, SNMPMGR_ERR_NOT_IP_ADDRESS);
	ck_assert_int_eq(fk.nsent, 0);
	ck_assert_uint_eq(sess_get_stats(s)->timeouts, 0);
	ck_assert_uint_eq(sess_get_stats(s)->retries, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_name_known_now_needs_no_wait)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s;
	struct cbrec rec = { 0 };
	struct sockaddr_in sin;

	fk.resolve_now = 1;
	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "cached.example");
	s = sess_mk(m, &o);
	ck_assert(!sess_resolving(s));
	ck_assert_int_eq(fk.attached, 1);
	ck_assert_ptr_nonnull(get(s, "1.3.6.1.2.1.1.3.0", &rec));
	ck_assert_int_eq(fk.nsent, 1);
	/* A later lookup that fails keeps the address it has. */
	ck_assert_int_eq(sess_resolved(s, SNMPMGR_ERR_NOT_IP_ADDRESS,
	    "gone", NULL, 0), 0);
	ck_assert(!sess_resolving(s));
	/* One that moves it is followed. */
	addr_v4(&sin, "192.0.2.9", 0);
	ck_assert_int_eq(sess_resolved(s, 0, NULL, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	inject(m, NULL, "192.0.2.9", 161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    sent_id(0), 5);
	ck_assert_int_eq(rec.called, 1);
	ck_assert_int_eq(rec.error, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_name_without_resolver_refused)
{
	struct sess_io io;
	struct sess_mgr *m;
	struct sess_opts o;

	memset(&fk, 0, sizeof(fk));
	memset(&io, 0, sizeof(io));
	io.now_us = fake_now;
	io.wake = fake_wake;
	io.send = fake_send;
	m = sess_mgr_new(&io);
	opts_init(&o);
	snprintf(o.host, sizeof(o.host), "agent.example");
	ck_assert_ptr_null(sess_new(m, &o));
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NOT_IP_ADDRESS);
	sess_mgr_free(m);
}
END_TEST

START_TEST(sess_interrupt_ends_a_sessions_requests)
{
	struct sess_mgr *m = mgr_new();
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec rec[4];
	struct sess_req *req;
	int i;

	memset(rec, 0, sizeof(rec));
	opts_init(&o);
	s1 = sess_mk(m, &o);
	s2 = sess_mk(m, &o);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &rec[i]));
	ck_assert_ptr_nonnull(req = get(s2, "1.3.6.1.2.1.1.3.0", &rec[3]));
	ck_assert_uint_eq(sess_interrupt(s1, "asked to"), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(rec[i].called, 1);
		ck_assert_int_eq(rec[i].error, SNMPMGR_ERR_INTERRUPTED);
	}
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_INTERRUPTED);
	ck_assert_str_eq(snmpmgr_lasterr_detail(), "asked to");
	ck_assert_uint_eq(sess_pending(s1), 0);
	/* The other session's request goes on, and is answered. */
	ck_assert_int_eq(rec[3].called, 0);
	ck_assert_uint_eq(sess_pending(s2), 1);
	answer(m, sess_req_id(req), 7);
	ck_assert_int_eq(rec[3].called, 1);
	ck_assert_int_eq(rec[3].error, 0);
	/* A late answer to an interrupted request is no one's. */
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(rec[0].called, 1);
	ck_assert_uint_eq(sess_interrupt(s1, NULL), 0);

	/* One request alone. */
	memset(rec, 0, sizeof(rec));
	ck_assert_ptr_nonnull(req = get(s1, "1.3.6.1.2.1.1.3.0", &rec[0]));
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &rec[1]));
	sess_req_interrupt(req, "just this one");
	ck_assert_int_eq(rec[0].called, 1);
	ck_assert_int_eq(rec[0].error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_int_eq(rec[1].called, 0);
	ck_assert_uint_eq(sess_pending(s1), 1);
	/* No retransmission or timeout of it follows. */
	advance_to(m, fk.now + 10000000);
	ck_assert_int_eq(rec[0].called, 1);
	ck_assert_int_eq(rec[1].called, 1);
	ck_assert_int_eq(rec[1].error, SNMPMGR_ERR_TIMEOUT);
	sess_mgr_free(m);
}
END_TEST

static struct tracerec {
	int		 nout, nin, nwanted;
	int		 last_error;
	bool		 last_had_msg;
	int32_t		 last_id;
	size_t		 last_len;
	struct sess	*want;		/* the one session traced */
	struct sess	*last_s;
} tr;

static bool
trace_wanted(struct sess *s, void *arg)
{
	tr.nwanted++;
	return s == tr.want;
}

static void
trace_cb(struct sess *s, const struct sess_trace *t, void *arg)
{
	struct snmp_varbind vb[4];
	struct snmp_msg msg;

	tr.last_s = s;
	tr.last_len = t->len;
	tr.last_error = t->error;
	tr.last_had_msg = t->msg != NULL;
	ck_assert_ptr_nonnull(t->peer);
	if (t->out) {
		tr.nout++;
		memset(&msg, 0, sizeof(msg));
		msg.pdu.vb = vb;
		msg.pdu.maxvb = 4;
		ck_assert_int_eq(snmp_msg_decode(t->buf, t->len, &msg), 0);
		tr.last_id = msg.pdu.request_id;
		/* A hook that trips lasterr does not disturb the engine. */
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "from the hook");
	} else {
		tr.nin++;
		if (t->msg != NULL)
			tr.last_id = t->msg->pdu.request_id;
	}
}

START_TEST(sess_trace_hook_sees_a_sessions_datagrams)
{
	struct sess_mgr *m = mgr_new();
	struct sess_trace_hooks h;
	struct sess_opts o;
	struct sess *s1, *s2;
	struct cbrec rec[4];
	struct sess_req *req;
	int32_t id;

	memset(rec, 0, sizeof(rec));
	memset(&tr, 0, sizeof(tr));
	opts_init(&o);
	s1 = sess_mk(m, &o);
	s2 = sess_mk(m, &o);
	/* No hooks: nothing asked, nothing traced. */
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &rec[0]));
	answer(m, sent_id(0), 1);
	ck_assert_int_eq(tr.nwanted + tr.nout + tr.nin, 0);

	memset(&h, 0, sizeof(h));
	h.wanted = trace_wanted;
	h.trace = trace_cb;
	tr.want = s1;
	sess_mgr_set_trace(m, &h);
	ck_assert_ptr_nonnull(req = get(s1, "1.3.6.1.2.1.1.3.0", &rec[1]));
	id = sess_req_id(req);
	ck_assert_int_eq(snmpmgr_lasterr(), 0);
	ck_assert_int_eq(tr.nout, 1);
	ck_assert_int_eq(tr.last_id, id);
	ck_assert_uint_eq(tr.last_len, fk.sent[1].len);
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &rec[2]));
	ck_assert_int_eq(tr.nout, 1);
	/* Asked once per session, not per datagram. */
	ck_assert_ptr_nonnull(get(s1, "1.3.6.1.2.1.1.3.0", &rec[3]));
	ck_assert_int_eq(tr.nout, 2);
	ck_assert_int_eq(tr.nwanted, 2);
	/* Retransmissions are datagrams too. */
	advance_to(m, fk.now + 1000000);
	ck_assert_int_eq(tr.nout, 4);

	/* In: taken, with the message; dropped, with the reason. */
	inject(m, NULL, "192.0.2.99", 161, SNMP_V2C, SNMP_PDU_RESPONSE,
	    id, 5);
	ck_assert_int_eq(tr.nin, 1);
	ck_assert_int_eq(tr.last_error, SNMPMGR_ERR_ORIGIN);
	ck_assert(!tr.last_had_msg);
	ck_assert_int_eq(bad.error, SNMPMGR_ERR_ORIGIN);
	answer(m, id, 5);
	ck_assert_int_eq(tr.nin, 2);
	ck_assert_int_eq(tr.last_error, 0);
	ck_assert(tr.last_had_msg);
	ck_assert_int_eq(tr.last_id, id);
	ck_assert_int_eq(rec[1].called, 1);
	ck_assert_ptr_eq(tr.last_s, s1);

	/* Set again: the sessions are asked again. */
	tr.want = s2;
	sess_mgr_set_trace(m, &h);
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &rec[0]));
	ck_assert_ptr_eq(tr.last_s, s2);
	ck_assert_int_eq(tr.nout, 5);
	/* Cleared: nothing more. */
	sess_mgr_set_trace(m, NULL);
	ck_assert_ptr_nonnull(get(s2, "1.3.6.1.2.1.1.3.0", &rec[0]));
	ck_assert_int_eq(tr.nout, 5);
	sess_mgr_free(m);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session");
	TCase *tc = tcase_create("engine");

	tcase_add_test(tc, sess_option_blocks_shared);
	tcase_add_test(tc, sess_response_matches_request_id);
	tcase_add_test(tc, sess_request_ids_unique_and_increasing);
	tcase_add_test(tc, sess_origin_mismatch_dropped);
	tcase_add_test(tc, sess_origin_check_off_accepts_any_source);
	tcase_add_test(tc, sess_port_mismatch_rejected_unless_ignored);
	tcase_add_test(tc, sess_version_mismatch_dropped);
	tcase_add_test(tc, sess_duplicate_response_ignored_or_counted);
	tcase_add_test(tc, sess_unknown_request_id_is_bad_packet);
	tcase_add_test(tc, sess_defective_datagram_is_bad_packet);
	tcase_add_test(tc, sess_non_response_pdu_rejected);
	tcase_add_test(tc, sess_own_socket_takes_only_its_responses);
	tcase_add_test(tc, sess_retries_then_timeout);
	tcase_add_test(tc, sess_stream_resends_only_on_a_new_connection);
	tcase_add_test(tc, sess_rtt_from_last_transmission);
	tcase_add_test(tc, sess_send_failure_counts_and_retries);
	tcase_add_test(tc, sess_send_refused_ends_request_at_once);
	tcase_add_test(tc, sess_getbulk_answer_past_the_bound_refused);
	tcase_add_test(tc, sess_answer_past_the_bound_ends_request_with_317);
	tcase_add_test(tc, sess_answer_longer_than_max_packet_size_taken);
	tcase_add_test(tc, sess_busy_limit);
	tcase_add_test(tc, sess_cancel_calls_no_callback);
	tcase_add_test(tc, sess_free_interrupts_requests);
	tcase_add_test(tc, sess_getbulk_on_v1_rejected);
	tcase_add_test(tc, sess_max_packet_size_enforced);
	tcase_add_test(tc, sess_disabled_rejects_requests);
	tcase_add_test(tc, sess_dtls_v2c_and_bad_options_refused);
	tcase_add_test(tc, sess_accept_data_off_drops_responses);
	tcase_add_test(tc, sess_ipv6_origin_compared);
	tcase_add_test(tc, sess_interrupt_ends_a_sessions_requests);
	tcase_add_test(tc, sess_name_requests_wait_for_the_address);
	tcase_add_test(tc, sess_name_lookup_failure_ends_waiting_requests);
	tcase_add_test(tc, sess_name_unanswered_by_the_timeout_is_303_not_201);
	tcase_add_test(tc, sess_name_known_now_needs_no_wait);
	tcase_add_test(tc, sess_name_without_resolver_refused);
	tcase_add_test(tc, sess_trace_hook_sees_a_sessions_datagrams);
	suite_add_tcase(su, tc);
	return check_run(su);
}
