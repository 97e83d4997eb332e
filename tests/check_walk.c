/*
 * check_walk.c - the walk engine against a small fake agent inside the
 * test.  The agent answers the requests the engine "sent" (captured by a
 * fake send) from a sorted table of OIDs, as GetNext/GetBulk/Get demand,
 * and can be told to misbehave: answer tooBig, go backwards, stay silent,
 * answer with an error-status, answer GetNext/GetBulk with no object or
 * fewer than asked (RFC 3416 4.2.3), or go backwards for good.  Time is a
 * fake clock.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/walk.h"
#include "check_main.h"

/* mib index of the first ifTable object (after 2 system and ifNumber). */
#define IFT		3
#define MAXSENT		512
#define MAXMIB		64
#define MAXGOT		256

struct sent {
	uint8_t		 buf[1024];
	size_t		 len;
};

static struct fake {
	uint64_t	 now;
	uint64_t	 wake;
	int		 nsent;
	struct sent	 sent[MAXSENT];
} fk;

/* The fake agent. */
static struct agent {
	struct oid	 mib[MAXMIB];
	int		 n;
	int		 handled;	/* datagrams of fk.sent looked at */
	uint32_t	 toobig_above;	/* tooBig when max-repetitions > it */
	uint32_t	 slow_above;	/* no answer (too slow) to a GetBulk
					 * of more max-repetitions */
	int		 always_toobig;
	int		 backwards_at;	/* the k-th object sent goes back */
	int		 silent_after;	/* answer this many, then none */
	int		 error_status;	/* answer with this error-status */
	int		 get_error_status; /* the same, to Get only */
	int		 empty;		/* answer this many next requests
					 * with no object; -1: all */
	int		 empty_after;	/* ... after this many answered */
	int		 nexts;		/* next requests answered */
	uint32_t	 most;		/* objects per answer at most; 0 any */
	int		 stuck;		/* every next answer is mib[IFT] */
	int		 emitted;	/* objects sent so far */
	int		 answered;
	int		 ngets;
	uint32_t	 reps[MAXSENT];	/* max-repetitions asked */
	int		 nreps;
	uint8_t		 types[MAXSENT]; /* PDU types asked */
} ag;

static struct wrec {
	int		 rows_calls;
	int		 count;
	struct oid	 got[MAXGOT];
	int		 pause_every;	/* rows returns 1 on these calls */
	int		 cancel_on_call; /* walk_cancel() inside rows */
	int		 done;
	struct walk_result res;
} wr;

static uint64_t
fake_now(void *arg)
{
	return fk.now;
}

static void
fake_wake(void *arg, uint64_t when)
{
	fk.wake = when;
}

static int
fake_send(void *arg, struct sess *s, const uint8_t *buf, size_t len)
{
	ck_assert_int_lt(fk.nsent, MAXSENT);
	ck_assert_uint_le(len, sizeof(fk.sent[0].buf));
	memcpy(fk.sent[fk.nsent].buf, buf, len);
	fk.sent[fk.nsent].len = len;
	fk.nsent++;
	return 0;
}

static int
oid_sort_cmp(const void *a, const void *b)
{
	return oid_cmp(a, b);
}

static void
mib_add(const char *oid)
{
	ck_assert_int_lt(ag.n, MAXMIB);
	ck_assert_int_eq(oid_parse_str(&ag.mib[ag.n++], oid), 0);
}

/*
 * system (2 objects), an ifTable-like subtree 1.3.6.1.2.1.2.2.1 of
 * 2 columns x 10 rows, then ip (1 object) unless tail is false.
 */
static void
mib_build(int tail)
{
	char buf[64];
	int c, r;

	mib_add("1.3.6.1.2.1.1.1.0");
	mib_add("1.3.6.1.2.1.1.3.0");
	mib_add("1.3.6.1.2.1.2.1.0");
	for (c = 1; c <= 2; c++) {
		for (r = 1; r <= 10; r++) {
			snprintf(buf, sizeof(buf), "1.3.6.1.2.1.2.2.1.%d.%d",
			    c, r);
			mib_add(buf);
		}
	}
	if (tail)
		mib_add("1.3.6.1.2.1.4.1.0");
	qsort(ag.mib, ag.n, sizeof(ag.mib[0]), oid_sort_cmp);
}

/* Index of the first object after o, or ag.n. */
static int
mib_next(const struct oid *o)
{
	int i;

	for (i = 0; i < ag.n; i++)
		if (oid_cmp(&ag.mib[i], o) > 0)
			return i;
	return ag.n;
}

static int
mib_find(const struct oid *o)
{
	int i;

	for (i = 0; i < ag.n; i++)
		if (oid_cmp(&ag.mib[i], o) == 0)
			return i;
	return -1;
}

/* Put object i into vb, or send an earlier one when told to go back. */
static void
agent_object(struct snmp_varbind *vb, int i)
{
	ag.emitted++;
	if (ag.backwards_at != 0 && ag.emitted == ag.backwards_at && i > 0)
		i--;
	vb->name = ag.mib[i];
	vb->value.type = SNMP_T_INTEGER;
	vb->value.i = i;
}

/* Answer one request datagram. */
static void
agent_answer(struct sess_mgr *m, const struct sent *req)
{
	struct snmp_varbind in[8], out[MAXMIB + 1];
	struct snmp_msg msg;
	struct sockaddr_in from;
	uint8_t buf[8192];
	const uint8_t *enc;
	ssize_t len;
	uint32_t k, rep;
	int i, j;

	memset(&msg, 0, sizeof(msg));
	msg.pdu.vb = in;
	msg.pdu.maxvb = 8;
	ck_assert_int_eq(snmp_msg_decode(req->buf, req->len, &msg), 0);
	ck_assert_int_eq(msg.pdu.nvb, 1);
	ag.types[ag.nreps] = msg.pdu.type;
	ag.reps[ag.nreps++] = msg.pdu.type == SNMP_PDU_GETBULK ?
	    (uint32_t)msg.pdu.error_index : 0;
	if (ag.silent_after != 0 && ag.answered >= ag.silent_after)
		return;
	if (msg.pdu.type == SNMP_PDU_GETBULK && ag.slow_above != 0 &&
	    (uint32_t)msg.pdu.error_index > ag.slow_above)
		return;
	ag.answered++;

	memset(out, 0, sizeof(out));
	msg.pdu.vb = out;
	msg.pdu.maxvb = MAXMIB + 1;
	msg.pdu.nvb = 0;
	rep = (uint32_t)msg.pdu.error_index;
	msg.pdu.error_status = 0;
	msg.pdu.error_index = 0;
	if (ag.error_status != 0 || ag.always_toobig ||
	    (msg.pdu.type == SNMP_PDU_GETBULK && ag.toobig_above != 0 &&
	    rep > ag.toobig_above)) {
		msg.pdu.error_status = ag.error_status ? ag.error_status :
		    SNMP_ERR_TOOBIG;
		msg.pdu.error_index = ag.error_status ? 1 : 0;
		out[0] = in[0];
		msg.pdu.nvb = 1;
		goto send;
	}
	if (msg.pdu.type == SNMP_PDU_GET && ag.get_error_status != 0) {
		ag.ngets++;
		msg.pdu.error_status = ag.get_error_status;
		msg.pdu.error_index = 1;
		out[0] = in[0];
		msg.pdu.nvb = 1;
		goto send;
	}
	if (msg.pdu.type != SNMP_PDU_GET && ag.empty != 0 &&
	    ag.nexts++ >= ag.empty_after) {
		/* RFC 3416 4.2.3: fewer objects than asked, none even. */
		if (ag.empty > 0)
			ag.empty--;
		goto send;
	}
	if (msg.pdu.type != SNMP_PDU_GET && ag.stuck) {
		agent_object(&out[0], IFT);
		msg.pdu.nvb = 1;
		goto send;
	}
	if (ag.most != 0 && rep > ag.most)
		rep = ag.most;
	switch (msg.pdu.type) {
	case SNMP_PDU_GET:
		ag.ngets++;
		out[0].name = in[0].name;
		if ((i = mib_find(&in[0].name)) >= 0) {
			out[0].value.type = SNMP_T_INTEGER;
			out[0].value.i = i;
		} else if (msg.version == SNMP_V1) {
			msg.pdu.error_status = SNMP_ERR_NOSUCHNAME;
			msg.pdu.error_index = 1;
			out[0].value.type = SNMP_T_NULL;
		} else
			out[0].value.type = SNMP_T_NOSUCHOBJECT;
		msg.pdu.nvb = 1;
		break;
	case SNMP_PDU_GETNEXT:
		i = mib_next(&in[0].name);
		if (i < ag.n)
			agent_object(&out[0], i);
		else if (msg.version == SNMP_V1) {
			/* RFC 1157 4.1.3: past the end, noSuchName. */
			msg.pdu.error_status = SNMP_ERR_NOSUCHNAME;
			msg.pdu.error_index = 1;
			out[0] = in[0];
		} else {
			out[0].name = in[0].name;
			out[0].value.type = SNMP_T_ENDOFMIBVIEW;
		}
		msg.pdu.nvb = 1;
		break;
	case SNMP_PDU_GETBULK:
		i = mib_next(&in[0].name);
		for (k = 0, j = 0; k < rep && j <= MAXMIB; k++, j++) {
			if (i >= ag.n) {
				out[j].name = j ? out[j - 1].name : in[0].name;
				out[j].value.type = SNMP_T_ENDOFMIBVIEW;
				j++;
				break;
			}
			agent_object(&out[j], i);
			i = mib_next(&out[j].name);
		}
		msg.pdu.nvb = j;
		break;
	default:
		ck_abort_msg("unexpected PDU 0x%02x", msg.pdu.type);
	}
 send:
	msg.pdu.type = SNMP_PDU_RESPONSE;
	len = snmp_msg_encode(&msg, buf, sizeof(buf), &enc);
	ck_assert_int_gt(len, 0);
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_port = htons(161);
	inet_pton(AF_INET, "192.0.2.1", &from.sin_addr);
	sess_mgr_input(m, NULL, (struct sockaddr *)&from, sizeof(from), enc,
	    len);
}

/* Answer everything sent so far, and what that makes the walk send. */
static void
pump(struct sess_mgr *m)
{
	while (ag.handled < fk.nsent)
		agent_answer(m, &fk.sent[ag.handled++]);
}

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

/* The session's request timeouts and retransmissions. */
static void
assert_stats(const struct sess *s, uint64_t timeouts, uint64_t retries)
{
	ck_assert_uint_eq(sess_get_stats(s)->timeouts, timeouts);
	ck_assert_uint_eq(sess_get_stats(s)->retries, retries);
}

/* Answer and let time pass a try at a time until the walk is done. */
static void
pump_until_done(struct sess_mgr *m)
{
	int guard = 0;

	for (pump(m); wr.done == 0; pump(m)) {
		ck_assert_int_lt(guard++, 100);
		advance_to(m, fk.now + 1000000);
	}
}

static int
rows_cb(struct walk *w, const struct snmp_varbind *vb, size_t n, void *arg)
{
	size_t i;

	wr.rows_calls++;
	for (i = 0; i < n; i++) {
		ck_assert_int_lt(wr.count, MAXGOT);
		wr.got[wr.count++] = vb[i].name;
	}
	if (wr.cancel_on_call == wr.rows_calls) {
		walk_cancel(w);
		return 0;
	}
	if (wr.pause_every != 0 && wr.rows_calls % wr.pause_every == 0)
		return 1;
	return 0;
}

static void
done_cb(struct walk *w, const struct walk_result *res, void *arg)
{
	wr.done++;
	wr.res = *res;
}

static struct sess_mgr *
setup(struct sess **sp, int32_t version, int tail)
{
	struct sess_io io;
	struct sess_opts o;
	struct sess_mgr *m;

	memset(&fk, 0, sizeof(fk));
	memset(&ag, 0, sizeof(ag));
	memset(&wr, 0, sizeof(wr));
	fk.now = 5000000;
	mib_build(tail);
	memset(&io, 0, sizeof(io));
	io.now_us = fake_now;
	io.wake = fake_wake;
	io.send = fake_send;
	m = sess_mgr_new(&io);
	ck_assert_ptr_nonnull(m);
	sess_opts_default(&o);
	snprintf(o.host, sizeof(o.host), "192.0.2.1");
	o.version = version;
	o.timeout_ms = 1000;
	o.retries = 1;
	o.max_repetitions = 4;
	*sp = sess_new(m, &o);
	ck_assert_ptr_nonnull(*sp);
	return m;
}

static struct walk *
start(struct sess *s, const char *root, const char *from, uint32_t limit,
    bool inside)
{
	struct walk_opts wo;
	struct oid r;
	struct walk *w;

	ck_assert_int_eq(oid_parse_str(&r, root), 0);
	walk_opts_from_sess(&wo, s, &r);
	if (from != NULL)
		ck_assert_int_eq(oid_parse_str(&wo.start, from), 0);
	wo.limit = limit;
	wo.inside_range = inside;
	/* these tests count requests of the session's 4 repetitions */
	wo.fixed_repetitions = true;
	w = walk_start(s, &wo, rows_cb, done_cb, NULL);
	ck_assert_ptr_nonnull(w);
	return w;
}

/* Rows got are exactly mib[first..first+n), in order. */
static void
assert_rows(int first, int n)
{
	int i;

	ck_assert_int_eq(wr.count, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(oid_cmp(&wr.got[i], &ag.mib[first + i]) == 0,
		    "row %d is not mib[%d]", i, first + i);
}

START_TEST(walk_getbulk_whole_subtree_then_leaves_it)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	ck_assert_uint_eq(wr.res.count, 20);
	assert_rows(IFT, 20);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 19]), 0);
	/* 20 objects at 4 a request, the last batch crossing out. */
	ck_assert_int_eq(ag.nreps, 6);
	ck_assert_int_eq(ag.types[0], SNMP_PDU_GETBULK);
	ck_assert_uint_eq(ag.reps[0], 4);
	ck_assert_int_eq(ag.ngets, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_getnext_v1_ends_on_nosuchname)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V1, 0);

	start(s, "1.3.6.1.2.1.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	ck_assert_int_eq(wr.res.error_status, 0);
	assert_rows(2, 21);
	ck_assert_int_eq(ag.types[0], SNMP_PDU_GETNEXT);
	/* One request per object, and one more that hit the end. */
	ck_assert_int_eq(ag.nreps, 22);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_getnext_when_asked_on_v2c)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	struct walk_opts wo;

	walk_opts_from_sess(&wo, s, NULL);
	ck_assert_int_eq(oid_parse_str(&wo.root, "1.3.6.1.2.1.1"), 0);
	wo.use_getnext = true;
	ck_assert_ptr_nonnull(walk_start(s, &wo, rows_cb, done_cb, NULL));
	pump(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(0, 2);
	ck_assert_int_eq(ag.types[0], SNMP_PDU_GETNEXT);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_ends_at_endofmibview)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 0);

	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_non_increasing_oid_is_out_of_range)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	ag.backwards_at = 7;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_OUT_OF_RANGE);
	/* The six good objects were handed out before. */
	assert_rows(IFT, 6);
	ck_assert_uint_eq(wr.res.count, 6);
	ck_assert_int_eq(ag.ngets, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_non_increasing_oid_skipped_without_inside_range)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	int i;

	/* Not an end: the object and the rest of its answer are dropped,
	 * the walk goes on after the sixth and gets every object.  The
	 * answer brought the fifth and sixth, so nothing is asked for
	 * less (as snmpmgrctl(1) and snmpmgrd.conf(5) say). */
	ag.backwards_at = 7;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, false);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	for (i = 0; i < ag.nreps; i++) {
		ck_assert_int_eq(ag.types[i], SNMP_PDU_GETBULK);
		ck_assert_uint_eq(ag.reps[i], 4);
	}
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_backwards_out_of_subtree_is_out_of_range)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	/* The first answer starts with ifNumber, before the subtree: not
	 * the subtree's end but a step back. */
	ag.backwards_at = 1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_OUT_OF_RANGE);
	ck_assert_uint_eq(wr.res.count, 0);
	ck_assert_int_eq(ag.ngets, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_stuck_agent_without_inside_range_fails)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	char buf[SNMPMGR_MAX_OID_STR];

	/* Every answer repeats the first object: the walk takes it once,
	 * then halves, goes to GetNext, and gives up with the count and
	 * the resume point. */
	ag.stuck = 1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, false);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_int_eq(wr.res.error_status, 0);
	assert_rows(IFT, 1);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT]), 0);
	ck_assert_int_eq(ag.nreps, 1 + SNMPMGR_MAX_WALK_FRUITLESS);
	ck_assert_uint_eq(ag.reps[1], 4);
	ck_assert_uint_eq(ag.reps[2], 2);
	ck_assert_uint_eq(ag.reps[3], 1);
	ck_assert_int_eq(ag.types[4], SNMP_PDU_GETNEXT);
	ck_assert_int_eq(ag.types[ag.nreps - 1], SNMP_PDU_GETNEXT);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_BAD_PACKET);
	oid_format(&ag.mib[IFT], buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), buf));
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(),
	    "SNMPMGR_MAX_WALK_FRUITLESS"));
	ck_assert_int_eq(ag.ngets, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_empty_answer_is_no_end)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	/* Two empty answers mid-walk: asked again with 2, then 1. */
	ag.empty_after = 1;
	ag.empty = 2;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[1], 4);	/* answered empty */
	ck_assert_uint_eq(ag.reps[2], 2);	/* answered empty */
	ck_assert_uint_eq(ag.reps[3], 1);
	ck_assert_int_eq(ag.ngets, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_empty_first_answer_is_no_end)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	/* Today's bug: an empty first answer ended the walk with success
	 * and nothing (after a Get of the root). */
	ag.empty = 1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_int_eq(ag.ngets, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_empty_getnext_answer_is_no_end)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V1, 1);

	ag.empty = 3;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_always_empty_fails_with_resume_point)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	char buf[SNMPMGR_MAX_OID_STR];

	/* Four objects, then nothing but empty answers. */
	ag.empty_after = 1;
	ag.empty = -1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_int_eq(wr.res.error_status, 0);
	ck_assert_uint_eq(wr.res.count, 4);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 3]), 0);
	/* 1 answered request, then the bound of empty ones. */
	ck_assert_int_eq(ag.nreps, 1 + SNMPMGR_MAX_WALK_FRUITLESS);
	ck_assert_int_eq(ag.types[ag.nreps - 1], SNMP_PDU_GETNEXT);
	oid_format(&ag.mib[IFT + 3], buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), buf));
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(),
	    "4 objects so far"));
	ck_assert_int_eq(ag.ngets, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_truncated_answers_go_on)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	/* Asked for 4, the agent sends at most 3 (to fit its size). */
	ag.most = 3;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[ag.nreps - 1], 4);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_root_get_error_is_no_success)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	/* Nothing in the subtree, and the Get of the root fails: the
	 * walk cannot say the object is not there. */
	ag.get_error_status = SNMP_ERR_GENERR;
	start(s, "1.3.6.1.2.1.1.1.0", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(ag.ngets, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_int_eq(wr.res.error_status, SNMP_ERR_GENERR);
	ck_assert_int_eq(wr.count, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_limit_trims_last_batch)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	start(s, "1.3.6.1.2.1.2.2", NULL, 7, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 7);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 6]), 0);
	/* 4, then only the 3 the limit leaves. */
	ck_assert_int_eq(ag.nreps, 2);
	ck_assert_uint_eq(ag.reps[1], 3);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_limit_on_getnext)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V1, 1);

	start(s, "1.3.6.1.2.1.2.2", NULL, 5, true);
	pump(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 5);
	ck_assert_int_eq(ag.nreps, 5);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_toobig_halves_max_repetitions)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	struct walk_opts wo;
	struct oid r;

	ag.toobig_above = 3;
	oid_parse_str(&r, "1.3.6.1.2.1.2.2");
	walk_opts_from_sess(&wo, s, &r);
	wo.max_repetitions = 25;
	wo.fixed_repetitions = true;
	ck_assert_ptr_nonnull(walk_start(s, &wo, rows_cb, done_cb, NULL));
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[0], 25);
	ck_assert_uint_eq(ag.reps[1], 12);
	ck_assert_uint_eq(ag.reps[2], 6);
	ck_assert_uint_eq(ag.reps[3], 3);
	ck_assert_uint_eq(ag.reps[4], 3);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_toobig_at_one_repetition_fails)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	ag.always_toobig = 1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_int_eq(wr.res.error_status, SNMP_ERR_TOOBIG);
	ck_assert_int_eq(wr.count, 0);
	/* 4, 2, 1. */
	ck_assert_int_eq(ag.nreps, 3);
	ck_assert_uint_eq(ag.reps[2], 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_error_status_ends_walk)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	ag.error_status = SNMP_ERR_GENERR;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_BAD_PACKET);
	ck_assert_int_eq(wr.res.error_status, SNMP_ERR_GENERR);
	ck_assert_int_eq(wr.res.error_index, 1);
	ck_assert_int_eq(ag.nreps, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_start_oid_resumes)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	char buf[SNMPMGR_MAX_OID_STR];

	oid_format(&ag.mib[IFT + 4], buf, sizeof(buf));
	start(s, "1.3.6.1.2.1.2.2", buf, 0, true);
	pump(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT + 5, 15);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_pause_and_resume)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	struct walk *w;
	int sent;

	wr.pause_every = 1;
	w = start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.rows_calls, 1);
	ck_assert_int_eq(wr.count, 4);
	ck_assert_int_eq(wr.done, 0);
	sent = fk.nsent;
	/* Paused: time passes, nothing is sent, nothing times out. */
	advance_to(m, fk.now + 60000000);
	ck_assert_int_eq(fk.nsent, sent);
	ck_assert_int_eq(wr.done, 0);
	while (wr.done == 0) {
		ck_assert_int_lt(wr.rows_calls, 20);
		walk_resume(w);
		pump(m);
	}
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_timeout_mid_walk)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	ag.silent_after = 2;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 0);
	ck_assert_int_eq(wr.count, 8);
	advance_to(m, fk.now + 1999999);
	ck_assert_int_eq(wr.done, 0);
	advance_to(m, fk.now + 1);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_TIMEOUT);
	ck_assert_uint_eq(wr.res.count, 8);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 7]), 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_instance_root_returns_itself)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	start(s, "1.3.6.1.2.1.1.1.0", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	ck_assert_int_eq(ag.ngets, 1);
	assert_rows(0, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_missing_root_returns_nothing)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V1, 1);

	start(s, "1.3.6.1.2.1.3", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	ck_assert_int_eq(ag.ngets, 1);
	ck_assert_int_eq(wr.count, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_cancel_calls_no_done)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	struct walk *w;

	w = start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	ck_assert_uint_eq(sess_pending(s), 1);
	walk_cancel(w);
	ck_assert_uint_eq(sess_pending(s), 0);
	pump(m);
	ck_assert_int_eq(wr.rows_calls, 0);
	ck_assert_int_eq(wr.done, 0);

	/* From inside rows too. */
	wr.cancel_on_call = 2;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.rows_calls, 2);
	ck_assert_int_eq(wr.done, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_session_freed_ends_walk)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	struct sess_opts o;

	sess_copy_opts(s, &o);

	/* Paused, with no request outstanding. */
	wr.pause_every = 1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	sess_free(s);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_uint_eq(wr.res.count, 4);

	/* Waiting for an answer. */
	memset(&wr, 0, sizeof(wr));
	ck_assert_ptr_nonnull(s = sess_new(m, &o));
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	ck_assert_uint_eq(sess_pending(s), 1);
	sess_free(s);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_uint_eq(wr.res.count, 0);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_interrupt_gives_resume_point)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	struct walk *w;

	/* Two answers, then a request outstanding: interrupted. */
	ag.silent_after = 2;
	w = start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.count, 8);
	ck_assert_uint_eq(sess_pending(s), 1);
	walk_interrupt(w, "by the test");
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_str_eq(snmpmgr_lasterr_detail(), "by the test");
	ck_assert_uint_eq(wr.res.count, 8);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 7]), 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	/* Nothing more comes: no retry, no second done. */
	advance_to(m, fk.now + 60000000);
	ck_assert_int_eq(wr.done, 1);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_session_interrupt_ends_paused_and_waiting_walks)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	/* Paused between requests: the watcher ends it. */
	wr.pause_every = 1;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 0);
	ck_assert_uint_eq(sess_pending(s), 0);
	ck_assert_uint_eq(sess_interrupt(s, "stop"), 1);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_uint_eq(wr.res.count, 4);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 3]), 0);

	/* Waiting for an answer: its request ends it, once. */
	memset(&wr, 0, sizeof(wr));
	ag.silent_after = ag.answered;
	start(s, "1.3.6.1.2.1.2.2", "1.3.6.1.2.1.2.2.1.1.2", 0, true);
	ck_assert_uint_eq(sess_pending(s), 1);
	ck_assert_uint_eq(sess_interrupt(s, "stop"), 1);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_INTERRUPTED);
	ck_assert_uint_eq(wr.res.count, 0);
	ck_assert_int_eq(oid_cmp(&wr.res.last, &ag.mib[IFT + 1]), 0);
	/* The session goes on working. */
	memset(&wr, 0, sizeof(wr));
	ag.silent_after = 0;
	ck_assert_uint_eq(sess_interrupt(s, "nothing"), 0);
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	sess_mgr_free(m);
}
END_TEST

/* A walk of the ifTable whose max-repetitions may adapt. */
static void
start_adaptive(struct sess *s)
{
	struct walk_opts wo;
	struct oid r;

	memset(&wr, 0, sizeof(wr));
	ag.nreps = 0;
	ck_assert_int_eq(oid_parse_str(&r, "1.3.6.1.2.1.2.2"), 0);
	walk_opts_from_sess(&wo, s, &r);
	ck_assert_ptr_nonnull(walk_start(s, &wo, rows_cb, done_cb, NULL));
}

START_TEST(walk_adaptive_grows_and_remembers)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	uint32_t hint;

	ck_assert_uint_eq(sess_walk_hint(s), 0);
	start_adaptive(s);
	pump(m);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	/* full answers double it: 4 + 8 + 16 (crossing out) */
	ck_assert_int_eq(ag.nreps, 3);
	ck_assert_uint_eq(ag.reps[0], 4);
	ck_assert_uint_eq(ag.reps[1], 8);
	ck_assert_uint_eq(ag.reps[2], 16);
	hint = sess_walk_hint(s);
	ck_assert_uint_eq(hint, 16);
	/* the next walk starts where this one ended */
	start_adaptive(s);
	pump(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[0], hint);
	ck_assert_int_eq(ag.nreps, 2);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_adaptive_cut_short_comes_down)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	int i;

	ag.most = 3;		/* the agent's size limit */
	start_adaptive(s);
	pump(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[0], 4);
	for (i = 1; i < ag.nreps; i++)
		ck_assert_uint_eq(ag.reps[i], 3);
	ck_assert_uint_eq(sess_walk_hint(s), 3);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_adaptive_toobig_caps_growth)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	int i;

	ag.toobig_above = 5;
	start_adaptive(s);
	pump(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[0], 4);
	ck_assert_uint_eq(ag.reps[1], 8);	/* tooBig */
	for (i = 2; i < ag.nreps; i++)
		ck_assert_uint_eq(ag.reps[i], 4);
	ck_assert_uint_eq(sess_walk_hint(s), 4);
	sess_mgr_free(m);
}
END_TEST

START_TEST(walk_adaptive_timeout_halves_hint)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	ag.silent_after = 2;
	start_adaptive(s);
	pump(m);
	/* one try and one retry of a second each, as the session says */
	advance_to(m, fk.now + 1999999);
	ck_assert_int_eq(wr.done, 0);
	advance_to(m, fk.now + 1);
	ck_assert_int_eq(wr.done, 1);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_TIMEOUT);
	ck_assert_uint_eq(wr.res.count, 12);
	pump(m);
	ck_assert_int_eq(ag.nreps, 4);
	ck_assert_uint_eq(ag.reps[2], 16);	/* never answered */
	ck_assert_uint_eq(ag.reps[3], 8);	/* the retry asks for less */
	ck_assert_uint_eq(sess_walk_hint(s), 4);
	/* nothing came in time: no bound for later walks */
	ck_assert_uint_eq(sess_walk_ceil(s), 0);
	assert_stats(s, 1, 1);
	sess_mgr_free(m);
}
END_TEST

/*
 * An agent too slow to answer a GetBulk of more than 5 repetitions in
 * time: the retry of the one of 8 asks for 4, the walk completes, and
 * later walks of the session do not ask for more than 4 until
 * SNMPMGR_WALK_CEIL_WALKS of them went by.
 */
START_TEST(walk_adaptive_timeout_retries_with_fewer)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);
	uint64_t t0 = fk.now;
	int i, k;

	ag.slow_above = 5;
	start_adaptive(s);
	pump_until_done(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[0], 4);
	ck_assert_uint_eq(ag.reps[1], 8);	/* too slow */
	ck_assert_uint_eq(ag.reps[2], 4);	/* the retry */
	for (i = 3; i < ag.nreps; i++)
		ck_assert_uint_eq(ag.reps[i], 4);
	/* one try's wait lost, within the request's 2 tries */
	ck_assert_uint_eq(fk.now - t0, 1000000);
	assert_stats(s, 0, 1);
	ck_assert_uint_eq(sess_walk_hint(s), 4);

	for (k = 0; k < SNMPMGR_WALK_CEIL_WALKS; k++) {
		start_adaptive(s);
		pump(m);
		ck_assert_int_eq(wr.done, 1);
		ck_assert_int_eq(wr.res.error, 0);
		assert_rows(IFT, 20);
		for (i = 0; i < ag.nreps; i++)
			ck_assert_uint_eq(ag.reps[i], 4);
	}
	/* the bound lapses: one walk grows again and finds it again */
	start_adaptive(s);
	pump_until_done(m);
	ck_assert_int_eq(wr.res.error, 0);
	assert_rows(IFT, 20);
	ck_assert_uint_eq(ag.reps[1], 8);
	ck_assert_uint_eq(ag.reps[2], 4);
	assert_stats(s, 0, 2);
	sess_mgr_free(m);
}
END_TEST

/* A walk with its own max-repetitions keeps them on a timeout: the
 * engine retransmits the very request. */
START_TEST(walk_fixed_timeout_retransmits_the_same)
{
	struct sess *s;
	struct sess_mgr *m = setup(&s, SNMP_V2C, 1);

	ag.slow_above = 3;
	start(s, "1.3.6.1.2.1.2.2", NULL, 0, true);
	pump_until_done(m);
	ck_assert_int_eq(wr.res.error, SNMPMGR_ERR_TIMEOUT);
	ck_assert_int_eq(ag.nreps, 2);
	ck_assert_uint_eq(ag.reps[0], 4);
	ck_assert_uint_eq(ag.reps[1], 4);
	assert_stats(s, 1, 1);
	sess_mgr_free(m);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("walk");
	TCase *tc = tcase_create("walk");

	tcase_add_test(tc, walk_getbulk_whole_subtree_then_leaves_it);
	tcase_add_test(tc, walk_getnext_v1_ends_on_nosuchname);
	tcase_add_test(tc, walk_getnext_when_asked_on_v2c);
	tcase_add_test(tc, walk_ends_at_endofmibview);
	tcase_add_test(tc, walk_non_increasing_oid_is_out_of_range);
	tcase_add_test(tc, walk_non_increasing_oid_skipped_without_inside_range);
	tcase_add_test(tc, walk_backwards_out_of_subtree_is_out_of_range);
	tcase_add_test(tc, walk_stuck_agent_without_inside_range_fails);
	tcase_add_test(tc, walk_empty_answer_is_no_end);
	tcase_add_test(tc, walk_empty_first_answer_is_no_end);
	tcase_add_test(tc, walk_empty_getnext_answer_is_no_end);
	tcase_add_test(tc, walk_always_empty_fails_with_resume_point);
	tcase_add_test(tc, walk_truncated_answers_go_on);
	tcase_add_test(tc, walk_root_get_error_is_no_success);
	tcase_add_test(tc, walk_limit_trims_last_batch);
	tcase_add_test(tc, walk_limit_on_getnext);
	tcase_add_test(tc, walk_toobig_halves_max_repetitions);
	tcase_add_test(tc, walk_toobig_at_one_repetition_fails);
	tcase_add_test(tc, walk_error_status_ends_walk);
	tcase_add_test(tc, walk_start_oid_resumes);
	tcase_add_test(tc, walk_pause_and_resume);
	tcase_add_test(tc, walk_timeout_mid_walk);
	tcase_add_test(tc, walk_instance_root_returns_itself);
	tcase_add_test(tc, walk_missing_root_returns_nothing);
	tcase_add_test(tc, walk_cancel_calls_no_done);
	tcase_add_test(tc, walk_session_freed_ends_walk);
	tcase_add_test(tc, walk_interrupt_gives_resume_point);
	tcase_add_test(tc, walk_session_interrupt_ends_paused_and_waiting_walks);
	tcase_add_test(tc, walk_adaptive_grows_and_remembers);
	tcase_add_test(tc, walk_adaptive_cut_short_comes_down);
	tcase_add_test(tc, walk_adaptive_toobig_caps_growth);
	tcase_add_test(tc, walk_adaptive_timeout_halves_hint);
	tcase_add_test(tc, walk_adaptive_timeout_retries_with_fewer);
	tcase_add_test(tc, walk_fixed_timeout_retransmits_the_same);
	suite_add_tcase(su, tc);
	return check_run(su);
}
