/*
 * check_rate.c - counter rates (core/rate.h): Counter32 with and without
 * a wrap, Counter64 near 2^64 and far above 2^53 without rounding of the
 * increase, time that does not advance, sysUpTime resets against its own
 * wrap, engineBoots changes.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/rate.h"
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
	return check_run(s);
}
