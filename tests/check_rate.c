/*
 * check_rate.c - counter rates (core/rate.h): Counter32 with and without
 * a wrap, Counter64 near 2^64 and far above 2^53 without rounding of the
 * increase, time that does not advance, sysUpTime resets against its own
 * wrap, engineBoots changes.  Then daemon/rates.c on stored poll values
 * (state.h): a get's answers by position, a walk's by OID, the counters
 * asked per subtree, types that change, ifCounterDiscontinuityTime per
 * row.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/rate.h"
#include "daemon/conf.h"
#include "daemon/rates.h"
#include "daemon/state.h"
#include "check_main.h"

/* Two samples with nothing known but their times. */
static void
two(struct rate_sample *a, struct rate_sample *b, uint64_t ta, uint64_t tb)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->time_us = ta;
	b->time_us = tb;
}

START_TEST(rate_counter32_no_wrap)
{
	double	 r = -1;

	ck_assert_int_eq(rate_counter(false, 1000, 6000, 2000000, &r),
	    RATE_OK);
	ck_assert(r == 2500.0);
	ck_assert_uint_eq(rate_delta(false, 7, 7), 0);
}
END_TEST

START_TEST(rate_counter32_wraps_once)
{
	double	 r = -1;

	/* 4294967000 + 796 = 2^32 + 500. */
	ck_assert_uint_eq(rate_delta(false, 4294967000u, 500), 796);
	ck_assert_int_eq(rate_counter(false, 4294967000u, 500, 1000000, &r),
	    RATE_OK);
	ck_assert(r == 796.0);
	/* Just at the top and back to 0. */
	ck_assert_uint_eq(rate_delta(false, UINT32_MAX, 0), 1);
	/* A Counter32 never holds more than 32 bits. */
	ck_assert_uint_eq(rate_delta(false, 0x1ffffffffULL, 0x100000001ULL),
	    2);
}
END_TEST

START_TEST(rate_counter64_near_2_64)
{
	double	 r = -1;
	uint64_t prev = UINT64_MAX - 99, cur = 150;

	/* A wrap of all 64 bits. */
	ck_assert_uint_eq(rate_delta(true, prev, cur), 250);
	ck_assert_int_eq(rate_counter(true, prev, cur, 500000, &r), RATE_OK);
	ck_assert(r == 500.0);
	/* No wrap, just below the top: the increase is exact. */
	ck_assert_uint_eq(rate_delta(true, UINT64_MAX - 1000,
	    UINT64_MAX - 1), 999);
	/* Counter64 treated as Counter32 would be wrong: 64 bits kept. */
	ck_assert_uint_eq(rate_delta(true, 0x100000000ULL, 0x300000000ULL),
	    0x200000000ULL);
}
END_TEST

START_TEST(rate_counter64_above_2_53_exact)
{
	double	 r = -1;
	uint64_t prev = (1ULL << 60) + 1, cur = (1ULL << 60) + 4;

	/* As doubles these two are equal; the increase is still 3. */
	ck_assert((double)prev == (double)cur);
	ck_assert_int_eq(rate_counter(true, prev, cur, 1000000, &r), RATE_OK);
	ck_assert(r == 3.0);
	ck_assert_int_eq(rate_counter(true, 9007199254740993ULL,
	    9007199254740993ULL + 1000000007ULL, 2000000, &r), RATE_OK);
	ck_assert(r == 1000000007.0 / 2.0);
}
END_TEST

START_TEST(rate_time_not_advancing)
{
	struct rate_sample a, b;
	double	 r = 42;

	ck_assert_int_eq(rate_counter(false, 1, 2, 0, &r), RATE_DISC_CLOCK);
	ck_assert(r == 42);
	two(&a, &b, 5000000, 5000000);
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_DISC_CLOCK);
	b.time_us = 4000000;		/* backwards */
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_DISC_CLOCK);
	b.time_us = 6000000;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_OK);
	ck_assert(rate_is_discontinuity(RATE_DISC_CLOCK));
	ck_assert_str_eq(rate_reason_name(RATE_DISC_CLOCK), "clock");
}
END_TEST

START_TEST(rate_uptime_backwards_is_reset)
{
	struct rate_sample a, b;

	two(&a, &b, 1000000, 11000000);	/* 10 s apart */
	a.have_uptime = b.have_uptime = true;
	a.uptime = 500000;
	b.uptime = 501000;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_OK);
	b.uptime = 300;			/* restarted 3 s ago */
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_DISC_UPTIME);
	ck_assert(!rate_uptime_reset(500000, 500000, 0));
	ck_assert(rate_uptime_reset(500000, 499999, 10000000));
	ck_assert_str_eq(rate_reason_name(RATE_DISC_UPTIME), "sysUpTime");
	/* Only one side knows sysUpTime: nothing to compare. */
	a.have_uptime = false;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_OK);
}
END_TEST

START_TEST(rate_uptime_own_wrap_is_no_reset)
{
	/* 497 days on: 10 s of elapsed time explain going from 2^32 - 200
	 * to 800 hundredths. */
	ck_assert(!rate_uptime_reset(UINT32_MAX - 199, 800, 10000000));
	/* ...but not going to 60 s worth past the top. */
	ck_assert(rate_uptime_reset(UINT32_MAX - 199, 6000, 10000000));
}
END_TEST

START_TEST(rate_boots_change_is_discontinuity)
{
	struct rate_sample a, b;

	two(&a, &b, 1, 2);
	a.have_boots = b.have_boots = true;
	a.boots = b.boots = 7;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_OK);
	b.boots = 8;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_DISC_BOOTS);
	/* Boots is checked before sysUpTime, which may look fine. */
	a.have_uptime = b.have_uptime = true;
	a.uptime = 100;
	b.uptime = 200;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_DISC_BOOTS);
	b.have_boots = false;
	ck_assert_int_eq(rate_sample_check(&a, &b), RATE_OK);
	ck_assert_str_eq(rate_reason_name(RATE_DISC_BOOTS), "engineBoots");
	ck_assert_str_eq(rate_reason_name(RATE_DISC_IFCOUNTER),
	    "ifCounterDiscontinuityTime");
	ck_assert(rate_reason_name(RATE_OK) == NULL);
	ck_assert(!rate_is_discontinuity(RATE_OK));
	ck_assert(!rate_is_discontinuity(RATE_NONE));
}
END_TEST

/* ------------------------------------------------- daemon/rates.c */

static void
vbset(struct snmp_varbind *vb, const char *oid, uint8_t type, uint64_t u)
{
	memset(vb, 0, sizeof(*vb));
	ck_assert_int_eq(oid_parse_str(&vb->name, oid), 0);
	vb->value.type = type;
	vb->value.u = u;
}

#define UPT	"1.3.6.1.2.1.1.3.0"
#define CA	"1.3.6.1.4.1.9.1.0"
#define CB	"1.3.6.1.4.1.9.2.0"
#define GA	"1.3.6.1.4.1.9.3.0"

/* A get poll of UPT, CA (Counter32), CB (Counter64), GA (Gauge32)
 * answered with these values at time t (µs); the answer stored as
 * polls.c stores it. */
static void
get_sample(struct state_vals *v, const struct config_poll *cp, uint64_t t,
    uint32_t upt, uint64_t a, uint64_t b, uint8_t btype)
{
	struct snmp_varbind	 vb[4];
	struct rates_in		 in = { .cp = cp, .time_us = t };

	vbset(&vb[0], UPT, SNMP_T_TIMETICKS, upt);
	vbset(&vb[1], CA, SNMP_T_COUNTER32, a);
	vbset(&vb[2], CB, btype, b);
	vbset(&vb[3], GA, SNMP_T_GAUGE32, 5);
	rates_get(v, vb, 4, &in);
	ck_assert_int_eq(state_vals_set_get(v, vb, 4, cp->oids, cp->noids), 0);
	rates_get_done(v);
}

static void
get_poll(struct config_poll *cp, struct oid *oids)
{
	const char	*s[] = { UPT, CA, CB, GA };
	size_t		 i;

	memset(cp, 0, sizeof(*cp));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(oid_parse_str(&oids[i], s[i]), 0);
	cp->oids = oids;
	cp->noids = 4;
	cp->rate = cp->any_rate = true;
}

START_TEST(rates_get_poll_by_position)
{
	struct config_poll	 cp;
	struct oid		 oids[4];
	struct state_vals	 v;
	double			 r = 0;

	get_poll(&cp, oids);
	state_vals_init(&v);
	get_sample(&v, &cp, 1000000, 100, 4294967290u, 1ULL << 62,
	    SNMP_T_COUNTER64);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_NONE); /* first */
	ck_assert_uint_eq(v.rates->interval_us, 0);
	get_sample(&v, &cp, 3000000, 300, 10, (1ULL << 62) + 9,
	    SNMP_T_COUNTER64);
	ck_assert_uint_eq(v.rates->interval_us, 2000000);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_OK);
	ck_assert(r == 8.0);		/* 16 over 2 s, across the wrap */
	ck_assert_int_eq(state_vals_rate(&v, 2, &r), RATE_OK);
	ck_assert(r == 4.5);
	ck_assert_int_eq(state_vals_rate(&v, 0, &r), RATE_NONE);
	ck_assert_int_eq(state_vals_rate(&v, 3, &r), RATE_NONE);
	/* CB changes type: no earlier sample of it. */
	get_sample(&v, &cp, 4000000, 400, 20, 7, SNMP_T_COUNTER32);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_OK);
	ck_assert(r == 10.0);
	ck_assert_int_eq(state_vals_rate(&v, 2, &r), RATE_NONE);
	/* The agent restarted. */
	get_sample(&v, &cp, 5000000, 20, 1, 8, SNMP_T_COUNTER32);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_DISC_UPTIME);
	ck_assert_int_eq(state_vals_rate(&v, 2, &r), RATE_DISC_UPTIME);
	ck_assert_uint_eq(v.rates->interval_us, 0);
	/* Only CB asked for (an OID entry with "rate": true). */
	cp.rate = false;
	cp.oid_rate = (uint8_t[4]){ 0, 0, CONF_RATE_ON, 0 };
	get_sample(&v, &cp, 6000000, 120, 2, 10, SNMP_T_COUNTER32);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_NONE);
	ck_assert_int_eq(state_vals_rate(&v, 2, &r), RATE_OK);
	ck_assert(r == 2.0);
	state_vals_free(&v);
}
END_TEST

START_TEST(rates_get_other_answer_has_none)
{
	struct config_poll	 cp;
	struct oid		 oids[4];
	struct state_vals	 v;
	struct snmp_varbind	 vb[2];
	struct rates_in		 in = { .time_us = 9000000 };
	double			 r;

	get_poll(&cp, oids);
	in.cp = &cp;
	state_vals_init(&v);
	get_sample(&v, &cp, 1000000, 100, 1, 1, SNMP_T_COUNTER64);
	/* An agent answering two of the four: stored by OID, no rates. */
	vbset(&vb[0], CA, SNMP_T_COUNTER32, 5);
	vbset(&vb[1], CB, SNMP_T_COUNTER64, 5);
	rates_get(&v, vb, 2, &in);
	ck_assert_int_eq(state_vals_set_get(&v, vb, 2, cp.oids, 4), 0);
	rates_get_done(&v);
	ck_assert_ptr_null(v.names);
	ck_assert_int_eq(state_vals_rate(&v, 0, &r), RATE_NONE);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_NONE);
	/* The next full answer finds CA and CB by OID in those. */
	get_sample(&v, &cp, 10000000, 200, 7, 9, SNMP_T_COUNTER64);
	ck_assert_int_eq(state_vals_rate(&v, 1, &r), RATE_OK);
	ck_assert(r == 2.0);
	ck_assert_int_eq(state_vals_rate(&v, 2, &r), RATE_OK);
	ck_assert(r == 4.0);
	state_vals_free(&v);
}
END_TEST

#define IFIN(i)		"1.3.6.1.2.1.2.2.1.10." #i
#define IFHC(i)		"1.3.6.1.2.1.31.1.1.1.6." #i
#define IFDISC(i)	"1.3.6.1.2.1.31.1.1.1.19." #i

/* A walk of ifTable and ifXTable: two interfaces, in OID order. */
static void
walk_sample(struct state_vals *v, uint64_t in3, uint64_t in4, uint64_t hc3,
    uint32_t disc3, uint32_t disc4)
{
	struct snmp_varbind	 vb[6];

	vbset(&vb[0], IFIN(3), SNMP_T_COUNTER32, in3);
	vbset(&vb[1], IFIN(4), SNMP_T_COUNTER32, in4);
	vbset(&vb[2], IFHC(3), SNMP_T_COUNTER64, hc3);
	vbset(&vb[3], IFHC(4), SNMP_T_COUNTER64, 0);
	vbset(&vb[4], IFDISC(3), SNMP_T_TIMETICKS, disc3);
	vbset(&vb[5], IFDISC(4), SNMP_T_TIMETICKS, disc4);
	state_vals_init(v);
	ck_assert_int_eq(state_vals_add(v, vb, 6), 0);
	state_vals_finish(v);
}

START_TEST(rates_walk_by_oid_and_interface_resets)
{
	struct config_poll	 cp;
	struct oid		 oids[2];
	struct state_vals	 old, nv;
	struct rates_in		 in = { .cp = &cp, .time_us = 1000000 };
	double			 r;

	memset(&cp, 0, sizeof(cp));
	ck_assert_int_eq(oid_parse_str(&oids[0], "1.3.6.1.2.1.2.2"), 0);
	ck_assert_int_eq(oid_parse_str(&oids[1], "1.3.6.1.2.1.31.1.1"), 0);
	cp.oids = oids;
	cp.noids = 2;
	cp.is_walk = true;
	cp.rate = cp.any_rate = true;
	cp.oid_rate = (uint8_t[2]){ 0, CONF_RATE_OFF };	/* not ifXTable */
	walk_sample(&old, 100, 200, 300, 0, 0);
	state_vals_init(&nv);
	rates_walk(&old, &nv, &in);	/* nothing before */
	ck_assert_int_eq(state_vals_rate(&old, 0, &r), RATE_NONE);
	in.time_us = 2000000;
	walk_sample(&nv, 150, 260, 400, 0, 0);
	rates_walk(&nv, &old, &in);
	ck_assert_int_eq(state_vals_rate(&nv, 0, &r), RATE_OK);
	ck_assert(r == 50.0);
	ck_assert_int_eq(state_vals_rate(&nv, 1, &r), RATE_OK);
	ck_assert(r == 60.0);
	ck_assert_int_eq(state_vals_rate(&nv, 2, &r), RATE_NONE); /* off */
	state_vals_free(&old);
	/* Interface 3's counters reset; 4's go on. */
	cp.oid_rate = NULL;
	in.time_us = 3000000;
	walk_sample(&old, 5, 360, 7, 1234, 0);
	rates_walk(&old, &nv, &in);
	ck_assert_int_eq(state_vals_rate(&old, 0, &r), RATE_DISC_IFCOUNTER);
	ck_assert_int_eq(state_vals_rate(&old, 2, &r), RATE_DISC_IFCOUNTER);
	ck_assert_int_eq(state_vals_rate(&old, 1, &r), RATE_OK);
	ck_assert(r == 100.0);
	ck_assert_int_eq(state_vals_rate(&old, 3, &r), RATE_OK);
	ck_assert(r == 0.0);
	ck_assert_int_eq(state_vals_rate(&old, 4, &r), RATE_NONE);
	/* A boots change beats all (as if that sample had boots 1). */
	old.rates->have_boots = true;
	old.rates->boots = 1;
	state_vals_free(&nv);
	walk_sample(&nv, 6, 361, 8, 1234, 0);
	in.time_us = 4000000;
	in.have_boots = true;
	in.boots = 2;
	rates_walk(&nv, &old, &in);
	ck_assert_int_eq(state_vals_rate(&nv, 0, &r), RATE_DISC_BOOTS);
	ck_assert_int_eq(state_vals_rate(&nv, 1, &r), RATE_DISC_BOOTS);
	state_vals_free(&old);
	state_vals_free(&nv);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rate");
	TCase	*tc = tcase_create("rate");

	tcase_add_test(tc, rate_counter32_no_wrap);
	tcase_add_test(tc, rate_counter32_wraps_once);
	tcase_add_test(tc, rate_counter64_near_2_64);
	tcase_add_test(tc, rate_counter64_above_2_53_exact);
	tcase_add_test(tc, rate_time_not_advancing);
	tcase_add_test(tc, rate_uptime_backwards_is_reset);
	tcase_add_test(tc, rate_uptime_own_wrap_is_no_reset);
	tcase_add_test(tc, rate_boots_change_is_discontinuity);
	suite_add_tcase(s, tc);
	tc = tcase_create("poll");
	tcase_add_test(tc, rates_get_poll_by_position);
	tcase_add_test(tc, rates_get_other_answer_has_none);
	tcase_add_test(tc, rates_walk_by_oid_and_interface_resets);
	suite_add_tcase(s, tc);
	return check_run(s);
}
