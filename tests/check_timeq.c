/*
 * check_timeq.c - unit tests of the scheduler's deadline queue
 * (daemon/timeq.c): the earliest deadline against a brute-force model
 * through inserts, removals and pops spread over several rounds of the
 * wheel, deadlines far apart (the horizon jumps), deadlines behind the
 * horizon, a steady periodic load like the poll scheduler's, and the
 * room the wheel keeps under short periods.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "daemon/timeq.h"
#include "check_main.h"

#define SEC	1000000ULL
#define NNODES	2000

struct item {
	struct timeq_node	 tq;
	uint64_t		 at;
	bool			 in;
};

static struct item	 items[NNODES];

static struct item *
item_of(struct timeq_node *n)
{
	return n == NULL ? NULL : (struct item *)(void *)n;
}

/* The model: the earliest deadline of the items queued, UINT64_MAX if
 * none. */
static uint64_t
model_min(void)
{
	uint64_t	 m = UINT64_MAX;
	size_t		 i;

	for (i = 0; i < NNODES; i++)
		if (items[i].in && items[i].at < m)
			m = items[i].at;
	return m;
}

static size_t
model_count(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < NNODES; i++)
		n += items[i].in;
	return n;
}

static uint64_t	 rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
check_top(struct timeq *q)
{
	uint64_t	 at = 0, m = model_min();
	struct item	*it = item_of(timeq_top(q, &at));

	ck_assert_uint_eq(timeq_count(q), model_count());
	if (m == UINT64_MAX) {
		ck_assert_ptr_null(it);
		return;
	}
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(at, m);
	ck_assert(it->in);
	ck_assert_uint_eq(it->at, m);
}

static struct timeq *
setup(void)
{
	struct timeq	*q = timeq_new();
	size_t		 i;

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(timeq_reserve(q, NNODES), 0);
	memset(items, 0, sizeof(items));
	for (i = 0; i < NNODES; i++)
		timeq_node_init(&items[i].tq);
	return q;
}

START_TEST(timeq_earliest_matches_a_model_over_many_rounds)
{
	struct timeq	*q = setup();
	uint64_t	 now = 5000 * SEC, at;
	struct item	*it;
	size_t		 i, step;

	check_top(q);
	for (step = 0; step < 200000; step++) {
		i = rnd() % NNODES;
		switch (rnd() % 4) {
		case 0:
		case 1:
			if (items[i].in)
				break;
			/* Mostly within a round, some several rounds on,
			 * some behind the horizon (just before now). */
			switch (rnd() % 8) {
			case 0:
				at = now + rnd() % (400 * SEC);
				break;
			case 1:
				at = now - rnd() % (100000);
				break;
			case 2:
				at = now + rnd() % 1000;
				break;
			default:
				at = now + rnd() % (70 * SEC);
				break;
			}
			items[i].at = at;
			items[i].in = true;
			timeq_insert(q, &items[i].tq, at);
			ck_assert(timeq_queued(&items[i].tq));
			break;
		case 2:
			timeq_remove(q, &items[i].tq);
			items[i].in = false;
			ck_assert(!timeq_queued(&items[i].tq));
			break;
		default:
			/* Pop the earliest; time moves to it. */
			it = item_of(timeq_top(q, &at));
			if (it == NULL)
				break;
			ck_assert_uint_eq(at, model_min());
			if (at > now)
				now = at;
			timeq_remove(q, &it->tq);
			it->in = false;
			break;
		}
		if (step % 7 == 0)
			check_top(q);
	}
	check_top(q);
	timeq_free(q);
}
END_TEST

START_TEST(timeq_far_apart_deadlines_are_found)
{
	struct timeq	*q = setup();
	uint64_t	 at;

	/* One deadline hours away, rounds of the wheel empty before it. */
	timeq_insert(q, &items[0].tq, 3 * 3600 * SEC);
	items[0].at = 3 * 3600 * SEC;
	items[0].in = true;
	check_top(q);
	/* An earlier one, behind where the horizon now is. */
	timeq_insert(q, &items[1].tq, 10 * SEC);
	items[1].at = 10 * SEC;
	items[1].in = true;
	check_top(q);
	/* One in the bucket the far one's index shares, a round before. */
	at = 3 * 3600 * SEC - 1024 * (1ULL << 16);
	timeq_insert(q, &items[2].tq, at);
	items[2].at = at;
	items[2].in = true;
	check_top(q);
	timeq_remove(q, &items[1].tq);
	items[1].in = false;
	check_top(q);
	ck_assert_ptr_eq(item_of(timeq_top(q, NULL)), &items[2]);
	timeq_remove(q, &items[2].tq);
	items[2].in = false;
	check_top(q);
	ck_assert_ptr_eq(item_of(timeq_top(q, NULL)), &items[0]);
	/* Inserting a queued node changes nothing. */
	timeq_insert(q, &items[0].tq, 1);
	check_top(q);
	timeq_remove(q, &items[0].tq);
	items[0].in = false;
	timeq_remove(q, &items[0].tq);	/* not queued: fine */
	check_top(q);
	ck_assert_uint_eq(timeq_count(q), 0);
	timeq_free(q);
	timeq_free(NULL);
}
END_TEST

/* Like the scheduler: every node due once a period, taken off when due
 * and queued again a period on; each fires once a period, in order. */
START_TEST(timeq_periodic_load_fires_each_once_a_period)
{
	struct timeq	*q = setup();
	static uint32_t	 fired[NNODES];
	uint64_t	 period = 60 * SEC, now = 1000 * SEC, at, last = 0;
	struct item	*it;
	size_t		 i, n = 0;

	memset(fired, 0, sizeof(fired));
	for (i = 0; i < NNODES; i++) {
		items[i].at = now + rnd() % period;
		items[i].in = true;
		timeq_insert(q, &items[i].tq, items[i].at);
	}
	while ((it = item_of(timeq_top(q, &at))) != NULL &&
	    at < now + 5 * period) {
		ck_assert_uint_ge(at, last);
		last = at;
		timeq_remove(q, &it->tq);
		fired[it - items]++;
		it->at = at + period;
		timeq_insert(q, &it->tq, it->at);
		if (++n % 997 == 0)
			check_top(q);
	}
	for (i = 0; i < NNODES; i++)
		ck_assert_uint_eq(fired[i], 5);
	ck_assert_uint_eq(timeq_count(q), NNODES);
	timeq_free(q);
}
END_TEST

/* Short periods put every node in a few buckets at a time, a different
 * few as time goes on: an emptied bucket gives its room back, so the
 * wheel holds about what is queued, not a round's worth of peaks. */
START_TEST(timeq_short_periods_keep_little_room)
{
	struct timeq	*q = setup();
	uint64_t	 period = SEC, now = 1000 * SEC, at;
	struct item	*it;
	size_t		 i, peak = 0;

	for (i = 0; i < NNODES; i++) {
		items[i].at = now + rnd() % period;
		items[i].in = true;
		timeq_insert(q, &items[i].tq, items[i].at);
	}
	while ((it = item_of(timeq_top(q, &at))) != NULL &&
	    at < now + 200 * period) {
		timeq_remove(q, &it->tq);
		timeq_insert(q, &it->tq, at + period);
		if (timeq_bytes(q) > peak)
			peak = timeq_bytes(q);
	}
	/* A round's buckets each at ~NNODES/16 entries would be 2 MB. */
	ck_assert_uint_lt(peak, 200 * 1024);
	ck_assert_uint_eq(timeq_count(q), NNODES);
	timeq_free(q);
}
END_TEST

/* All removed (a reload dropped the sessions): the room goes with them,
 * though the horizon never passes the buckets again. */
START_TEST(timeq_removing_all_gives_the_room_back)
{
	struct timeq	*q = setup();
	size_t		 empty = timeq_bytes(q), i;

	for (i = 0; i < NNODES; i++) {
		items[i].at = 1000 * SEC + 2 * SEC + rnd() % (60 * SEC);
		items[i].in = true;
		timeq_insert(q, &items[i].tq, items[i].at);
	}
	ck_assert_uint_gt(timeq_bytes(q), empty + 8 * 1024);
	for (i = 0; i < NNODES; i++)
		timeq_remove(q, &items[i].tq);
	ck_assert_uint_eq(timeq_count(q), 0);
	ck_assert_uint_le(timeq_bytes(q), empty + 1024);
	timeq_free(q);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("timeq");
	TCase	*tc = tcase_create("queue");

	/* The model test takes ~0.7 s of CPU, more under the sanitizers:
	 * Check's 4 s of wall time ran out on a loaded machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, timeq_earliest_matches_a_model_over_many_rounds);
	tcase_add_test(tc, timeq_far_apart_deadlines_are_found);
	tcase_add_test(tc, timeq_periodic_load_fires_each_once_a_period);
	tcase_add_test(tc, timeq_short_periods_keep_little_room);
	tcase_add_test(tc, timeq_removing_all_gives_the_room_back);
	suite_add_tcase(su, tc);
	return check_run(su);
}
