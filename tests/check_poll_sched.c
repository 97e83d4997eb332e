/*
 * check_poll_sched.c - unit tests of the poll scheduler (daemon/poll_sched.c)
 * against a fake clock: spreading over the interval, jitter bounds,
 * overrun counting, the in-flight bounds, down after failures, probes
 * with backoff and recovery, and cancellation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "daemon/poll_sched.h"
#include "check_main.h"

#define MS	1000ULL
#define SEC	1000000ULL
#define MAXREC	100000

/* The fake world. */
static uint64_t	 fk_now;
static uint64_t	 fk_wake;
static int	 fk_start_fails;
static struct poller_job *fk_started[MAXREC];
static uint64_t	 fk_started_at[MAXREC];
static bool	 fk_started_probe[MAXREC];
static size_t	 fk_nstarted;
static struct poller_job *fk_cancelled[64];
static size_t	 fk_ncancelled;
static enum poller_state fk_states[64];
static uint64_t	 fk_states_at[64];
static size_t	 fk_nstates;

static uint64_t
fk_now_us(void *arg)
{
	return fk_now;
}

static void
fk_wake_cb(void *arg, uint64_t when)
{
	fk_wake = when;
}

static int
fk_start(void *arg, struct poller_job *j, bool probe)
{
	if (fk_start_fails)
		return -1;
	if (fk_nstarted < MAXREC) {
		fk_started[fk_nstarted] = j;
		fk_started_probe[fk_nstarted] = probe;
		fk_started_at[fk_nstarted++] = fk_now;
	}
	return 0;
}

static void
fk_cancel(void *arg, struct poller_job *j)
{
	if (fk_ncancelled < 64)
		fk_cancelled[fk_ncancelled++] = j;
}

static void
fk_state(void *arg, struct poller_sess *ps, enum poller_state from,
    enum poller_state to)
{
	if (fk_nstates < 64) {
		fk_states_at[fk_nstates] = fk_now;
		fk_states[fk_nstates++] = to;
	}
}

static const struct poller_io fk_io = {
	fk_now_us, fk_wake_cb, fk_start, fk_cancel, fk_state, NULL, NULL
};

/* The same with a wall clock fk_wall_off ahead of the monotonic one. */
static uint64_t	 fk_wall_off;

static uint64_t
fk_wall_us(void *arg)
{
	return fk_now + fk_wall_off;
}

static const struct poller_io fk_wall_io = {
	fk_now_us, fk_wake_cb, fk_start, fk_cancel, fk_state, NULL,
	fk_wall_us
};

static void
fk_reset(void)
{
	fk_now = 1000 * SEC;
	fk_wake = 0;
	fk_start_fails = 0;
	fk_nstarted = fk_ncancelled = fk_nstates = 0;
}

/* Run the clock to t, firing the timer whenever the poller asked. */
static void
fk_advance(struct poller *p, uint64_t t)
{
	while (fk_wake != 0 && fk_wake <= t) {
		if (fk_wake > fk_now)
			fk_now = fk_wake;
		poller_timer(p);
	}
	fk_now = t;
}

/* Finish, with outcome, every run started since index *from. */
static void
fk_finish_all(size_t *from, enum poller_outcome outcome)
{
	for (; *from < fk_nstarted; (*from)++)
		poller_done(fk_started[*from], outcome);
}

START_TEST(poller_spreads_first_turns_over_the_interval)
{
	struct poller		*p;
	struct poller_sess	*ps;
	unsigned int		 bucket[10] = { 0 };
	uint64_t		 t0;
	size_t			 i;
	char			 name[32];

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .max_in_flight =
	    100000, .session_in_flight = 4 }, 1);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "agent%zu", i);
		ps = poller_sess_add(p, name, NULL);
		ck_assert_ptr_nonnull(poller_job_add(ps, "system", 10000, 0,
		    NULL));
	}
	/* Nothing at once: not even 2% in the first 100 ms. */
	fk_advance(p, t0 + 100 * MS);
	ck_assert_uint_lt(fk_nstarted, 40);
	fk_advance(p, t0 + 10 * SEC - 1);
	ck_assert_uint_eq(fk_nstarted, 2000);
	for (i = 0; i < fk_nstarted; i++) {
		ck_assert_uint_ge(fk_started_at[i], t0);
		bucket[(fk_started_at[i] - t0) / SEC]++;
	}
	/* Each second of the interval gets about a tenth (200). */
	for (i = 0; i < 10; i++) {
		ck_assert_uint_gt(bucket[i], 140);
		ck_assert_uint_lt(bucket[i], 260);
	}
	poller_free(p);
}
END_TEST

START_TEST(poller_phase_is_deterministic_and_kept)
{
	struct poller		*p1, *p2;
	struct poller_sess	*a, *b;
	uint64_t		 t0, first1, first2;

	fk_reset();
	t0 = fk_now;
	p1 = poller_new(&fk_io, NULL, 1);
	a = poller_sess_add(p1, "core1", NULL);
	poller_job_add(a, "ifaces", 60000, 0, NULL);
	fk_advance(p1, t0 + 60 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	first1 = fk_started_at[0] - t0;

	fk_reset();
	p2 = poller_new(&fk_io, NULL, 99);
	b = poller_sess_add(p2, "core1", NULL);
	poller_job_add(b, "ifaces", 60000, 0, NULL);
	fk_advance(p2, t0 + 60 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	first2 = fk_started_at[0] - t0;
	/* Same names, same phase; the offset is not simply zero. */
	ck_assert_uint_eq(first1, first2);
	ck_assert_uint_gt(first1, 0);

	/* Turns stay on the grid: exactly one interval apart. */
	poller_done(fk_started[0], POLLER_OK);
	fk_advance(p2, t0 + 180 * SEC);
	ck_assert_uint_eq(fk_nstarted, 2);
	ck_assert_uint_eq(fk_started_at[1] - fk_started_at[0], 60 * SEC);
	poller_free(p1);
	poller_free(p2);
}
END_TEST

/*
 * Anchored to the wall clock, a job's turns come where the wall clock
 * reads phase + k * interval (poller_phase_us), whenever the poller was
 * made: two nodes started apart, with their own monotonic clocks, poll a
 * session at the same moments, and each turn begins its wall-clock slot
 * (cluster.c names a result by the slot its run started in).
 */
START_TEST(poller_grid_follows_the_wall_clock)
{
	struct poller		*p;
	struct poller_sess	*ps;
	uint64_t		 t0, iv = 10 * SEC, ph, w;
	size_t			 i, k, done = 0;
	/* monotonic start, wall clock minus monotonic (ends not aligned) */
	static const uint64_t	 node[][2] = {
		{ 1000 * SEC, 1765000000 * SEC + 123457 },
		{ 5003 * SEC + 777, 1765000000 * SEC - 4001 * SEC + 99 },
		{ 42 * SEC + 1, 1766000000 * SEC + 9 * SEC + 1 },
	};

	ph = poller_phase_us("core1", "ifaces", iv);
	ck_assert_uint_gt(ph, 0);
	for (k = 0; k < sizeof(node) / sizeof(node[0]); k++) {
		fk_reset();
		done = 0;
		fk_now = t0 = node[k][0];
		fk_wall_off = node[k][1];
		p = poller_new(&fk_wall_io, NULL, 1 + k);
		ps = poller_sess_add(p, "core1", NULL);
		ck_assert_ptr_nonnull(poller_job_add(ps, "ifaces", 10000, 0,
		    NULL));
		for (i = 1; i <= 50; i++) {
			fk_advance(p, t0 + i * SEC);
			fk_finish_all(&done, POLLER_OK);
		}
		ck_assert_uint_ge(fk_nstarted, 4);
		for (i = 0; i < fk_nstarted; i++) {
			w = fk_started_at[i] + fk_wall_off;
			ck_assert_uint_eq((w - ph) % iv, 0);
			if (i > 0)
				ck_assert_uint_eq(fk_started_at[i] -
				    fk_started_at[i - 1], iv);
		}
		/* The first turn is the first at or after the start. */
		ck_assert_uint_ge(fk_started_at[0], t0);
		ck_assert_uint_lt(fk_started_at[0], t0 + iv);
		poller_free(p);
	}
	fk_wall_off = 0;
}
END_TEST

START_TEST(poller_jitter_stays_within_bounds)
{
	struct poller		*p, *ref;
	struct poller_sess	*ps;
	uint64_t		 t0, phase, off, maxoff = 0;
	size_t			 i, done = 0;

	fk_reset();
	t0 = fk_now;
	/* The phase, from a twin without jitter. */
	ref = poller_new(&fk_io, NULL, 1);
	ps = poller_sess_add(ref, "r1", NULL);
	poller_job_add(ps, "p", 1000, 0, NULL);
	fk_advance(ref, t0 + 1 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	phase = fk_started_at[0] - t0;
	poller_free(ref);

	fk_reset();
	p = poller_new(&fk_io, NULL, 7);
	ps = poller_sess_add(p, "r1", NULL);
	poller_job_add(ps, "p", 1000, 200, NULL);
	/* Each run ends within 10 ms. */
	for (i = 1; i <= 20000; i++) {
		fk_advance(p, t0 + i * 10 * MS);
		fk_finish_all(&done, POLLER_OK);
	}
	ck_assert_uint_ge(fk_nstarted, 199);
	for (i = 0; i < fk_nstarted; i++) {
		/* Turn i is at t0 + phase + i s; it fires within 200 ms. */
		ck_assert_uint_ge(fk_started_at[i], t0 + phase + i * SEC);
		off = fk_started_at[i] - (t0 + phase + i * SEC);
		ck_assert_uint_lt(off, 200 * MS);
		if (off > maxoff)
			maxoff = off;
	}
	/* And it does jitter. */
	ck_assert_uint_gt(maxoff, 100 * MS);
	poller_free(p);
}
END_TEST

START_TEST(poller_counts_overruns_and_never_queues_twice)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_job	*j;
	struct poller_job_stats	 st;
	struct poller_stats	 pst;
	uint64_t		 t0;
	size_t			 done = 0;

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, NULL, 1);
	ps = poller_sess_add(p, "slow", NULL);
	j = poller_job_add(ps, "big", 1000, 0, NULL);
	fk_advance(p, t0 + 1 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	/* The run never ends: five more turns come and are skipped. */
	fk_advance(p, t0 + 6 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	poller_job_get_stats(j, &st);
	ck_assert_uint_eq(st.runs, 1);
	ck_assert_uint_eq(st.overruns, 5);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.overruns, 5);
	ck_assert_uint_eq(pst.waiting, 0);
	/* Once it ends, the next turn runs again. */
	fk_finish_all(&done, POLLER_OK);
	fk_advance(p, t0 + 7 * SEC);
	ck_assert_uint_eq(fk_nstarted, 2);
	poller_free(p);
}
END_TEST

START_TEST(poller_global_bound_waits_then_skips)
{
	struct poller		*p;
	struct poller_sess	*ps[4];
	struct poller_job	*j[4];
	struct poller_job_stats	 st;
	struct poller_stats	 pst;
	uint64_t		 t0;
	size_t			 i;
	char			 name[16];

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .max_in_flight = 1 },
	    1);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		ps[i] = poller_sess_add(p, name, NULL);
		j[i] = poller_job_add(ps[i], "p", 1000, 0, NULL);
	}
	fk_advance(p, t0 + 10 * SEC);
	/* One runs (and never ends); three wait, once each, and every
	 * later turn of all four is an overrun. */
	ck_assert_uint_eq(fk_nstarted, 1);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.running, 1);
	ck_assert_uint_eq(pst.waiting, 3);
	ck_assert_uint_ge(pst.overruns, 4 * 8);
	for (i = 0; i < 4; i++) {
		poller_job_get_stats(j[i], &st);
		ck_assert_uint_le(st.waited, 1);
	}
	/* Ending the run lets exactly one waiter in. */
	poller_done(fk_started[0], POLLER_OK);
	ck_assert_uint_eq(fk_nstarted, 2);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.waiting, 2);
	poller_free(p);
}
END_TEST

START_TEST(poller_session_bound_serialises_its_jobs)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_job	*a, *b;
	uint64_t		 t0;
	size_t			 done = 0;

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .session_in_flight =
	    1 }, 1);
	ps = poller_sess_add(p, "one", NULL);
	a = poller_job_add(ps, "a", 1000, 0, NULL);
	b = poller_job_add(ps, "b", 1000, 0, NULL);
	fk_advance(p, t0 + 1 * SEC);
	/* Both fired within the second; only one runs at a time. */
	ck_assert_uint_eq(fk_nstarted, 1);
	fk_finish_all(&done, POLLER_OK);
	ck_assert_uint_eq(fk_nstarted, 2);
	ck_assert_ptr_ne(fk_started[0], fk_started[1]);
	ck_assert(fk_started[1] == a || fk_started[1] == b);
	poller_free(p);
}
END_TEST

START_TEST(poller_marks_down_and_probes_with_backoff)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_sess_stats sst;
	struct poller_job_stats	 st;
	struct poller_job	*j;
	uint64_t		 t0;
	size_t			 done = 0, i, nprobe, first_probe;
	uint64_t		 expect[] = { 1, 2, 4, 8, 8 };

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .down_after = 3,
	    .backoff_min_ms = 1000, .backoff_max_ms = 8000 }, 1);
	ps = poller_sess_add(p, "dead", NULL);
	j = poller_job_add(ps, "p", 500, 0, NULL);
	/* Three unanswered runs: down, with one state event. */
	for (i = 1; i <= 3; i++) {
		fk_advance(p, t0 + i * 500 * MS);
		fk_finish_all(&done, POLLER_NOANSWER);
	}
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_DOWN);
	ck_assert_uint_eq(fk_nstates, 1);
	ck_assert_int_eq(fk_states[0], POLLER_DOWN);
	ck_assert_uint_eq(fk_nstarted, 3);
	first_probe = fk_nstarted;

	/* Probes, each unanswered, at waits of 1, 2, 4, 8, 8 s. */
	for (nprobe = 0; nprobe < 5; nprobe++) {
		fk_advance(p, fk_now + 9 * SEC);
		ck_assert_uint_eq(fk_nstarted, first_probe + nprobe + 1);
		ck_assert(fk_started_probe[fk_nstarted - 1]);
		fk_finish_all(&done, POLLER_NOANSWER);
	}
	poller_free(p);

	/* Exact waits, counted from the end of the probe before. */

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .down_after = 1,
	    .backoff_min_ms = 1000, .backoff_max_ms = 8000 }, 1);
	ps = poller_sess_add(p, "dead", NULL);
	j = poller_job_add(ps, "p", 500, 0, NULL);
	fk_advance(p, t0 + 500 * MS);
	done = 0;
	fk_finish_all(&done, POLLER_NOANSWER);
	ck_assert_int_eq(fk_states[0], POLLER_DOWN);
	for (i = 0; i < 5; i++) {
		uint64_t ended = fk_now;

		fk_advance(p, ended + expect[i] * SEC - 1);
		ck_assert_uint_eq(fk_nstarted, 1 + i);
		fk_advance(p, ended + expect[i] * SEC);
		ck_assert_uint_eq(fk_nstarted, 2 + i);
		ck_assert(fk_started_probe[1 + i]);
		poller_sess_get_stats(ps, &sst);
		ck_assert_uint_eq(sst.probes, i + 1);
		fk_finish_all(&done, POLLER_NOANSWER);
	}

	/* The agent answers the next probe: up, one event, and the turns
	 * resume on the grid (turns missed meanwhile are counted). */
	fk_advance(p, fk_now + 8 * SEC);
	ck_assert_uint_eq(fk_nstarted, 7);
	fk_finish_all(&done, POLLER_OK);
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_UP);
	ck_assert_uint_eq(fk_nstates, 2);
	ck_assert_int_eq(fk_states[1], POLLER_UP);
	poller_job_get_stats(j, &st);
	ck_assert_uint_gt(st.skipped_down, 40);
	fk_advance(p, fk_now + 500 * MS);
	ck_assert_uint_eq(fk_nstarted, 8);
	ck_assert(!fk_started_probe[7]);
	poller_free(p);
}
END_TEST

START_TEST(poller_error_answers_keep_the_session_up)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_sess_stats sst;
	uint64_t		 t0;
	size_t			 done = 0, i;

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .down_after = 2 }, 1);
	ps = poller_sess_add(p, "noisy", NULL);
	poller_job_add(ps, "p", 1000, 0, NULL);
	for (i = 1; i <= 6; i++) {
		fk_advance(p, t0 + i * SEC);
		fk_finish_all(&done, i % 2 ? POLLER_NOANSWER : POLLER_ERROR);
	}
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_UP);
	ck_assert_uint_eq(sst.transitions, 0);
	poller_free(p);
}
END_TEST

START_TEST(poller_interrupted_runs_say_nothing_of_the_agent)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_sess_stats sst;
	struct poller_job_stats	 st;
	struct poller_job	*j;
	uint64_t		 t0;
	size_t			 done = 0, i;

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .down_after = 2,
	    .backoff_min_ms = 1000, .backoff_max_ms = 8000 }, 1);
	ps = poller_sess_add(p, "x", NULL);
	j = poller_job_add(ps, "p", 1000, 0, NULL);
	/* Interrupted runs: not a failure to answer, not an answer. */
	for (i = 1; i <= 4; i++) {
		fk_advance(p, t0 + i * SEC);
		fk_finish_all(&done, POLLER_INTERRUPTED);
	}
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_UNKNOWN);
	ck_assert_uint_eq(fk_nstates, 0);
	poller_job_get_stats(j, &st);
	ck_assert_uint_eq(st.errors, 4);
	ck_assert_uint_eq(st.noanswer, 0);
	/* An unanswered run between interrupted ones still counts. */
	fk_advance(p, t0 + 5 * SEC);
	fk_finish_all(&done, POLLER_NOANSWER);
	fk_advance(p, t0 + 6 * SEC);
	fk_finish_all(&done, POLLER_INTERRUPTED);
	fk_advance(p, t0 + 7 * SEC);
	fk_finish_all(&done, POLLER_NOANSWER);
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_DOWN);
	/* Down: an interrupted probe neither ups it nor backs off more. */
	fk_advance(p, fk_now + 1 * SEC);
	ck_assert(fk_started_probe[fk_nstarted - 1]);
	fk_finish_all(&done, POLLER_INTERRUPTED);
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_DOWN);
	i = fk_nstarted;
	fk_advance(p, fk_now + 1 * SEC);
	ck_assert_uint_eq(fk_nstarted, i + 1);
	ck_assert(fk_started_probe[fk_nstarted - 1]);
	fk_finish_all(&done, POLLER_OK);
	poller_sess_get_stats(ps, &sst);
	ck_assert_int_eq(sst.state, POLLER_UP);
	poller_free(p);
}
END_TEST

START_TEST(poller_disable_cancels_and_enable_resumes)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_job	*j;
	struct poller_stats	 pst;
	uint64_t		 t0;

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, NULL, 1);
	ps = poller_sess_add(p, "x", NULL);
	j = poller_job_add(ps, "p", 1000, 0, NULL);
	fk_advance(p, t0 + 1 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	poller_sess_enable(ps, false);
	ck_assert_uint_eq(fk_ncancelled, 1);
	ck_assert_ptr_eq(fk_cancelled[0], j);
	ck_assert_int_eq(poller_job_run_now(j), -1);
	fk_advance(p, t0 + 10 * SEC);
	ck_assert_uint_eq(fk_nstarted, 1);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.running, 0);
	ck_assert_uint_eq(fk_wake, 0);
	poller_sess_enable(ps, true);
	fk_advance(p, t0 + 11 * SEC);
	ck_assert_uint_eq(fk_nstarted, 2);
	/* Removing a running job cancels it too. */
	poller_job_remove(j);
	ck_assert_uint_eq(fk_ncancelled, 2);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.running, 0);
	ck_assert_uint_eq(pst.jobs, 0);
	poller_free(p);
}
END_TEST

START_TEST(poller_run_now_and_start_failures)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_job	*j;
	struct poller_job_stats	 st;
	size_t			 done = 0;

	fk_reset();
	p = poller_new(&fk_io, NULL, 1);
	ps = poller_sess_add(p, "x", NULL);
	j = poller_job_add(ps, "p", 3600 * 1000, 0, NULL);
	ck_assert_int_eq(poller_job_run_now(j), 0);
	ck_assert_uint_eq(fk_nstarted, 1);
	ck_assert_int_eq(poller_job_run_now(j), -1);	/* running */
	fk_finish_all(&done, POLLER_OK);
	fk_start_fails = 1;
	ck_assert_int_eq(poller_job_run_now(j), 0);
	poller_job_get_stats(j, &st);
	ck_assert_uint_eq(st.runs, 2);
	ck_assert_uint_eq(st.ok, 1);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert(!poller_job_running(j));
	poller_free(p);
}
END_TEST

START_TEST(poller_uses_one_deadline_for_many_jobs)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_stats	 pst;
	uint64_t		 t0, last, first;
	size_t			 i, done = 0;
	char			 name[32];

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .max_in_flight =
	    100000 }, 1);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "a%zu", i);
		ps = poller_sess_add(p, name, NULL);
		poller_job_add(ps, "p", 10000, 1000, NULL);
	}
	/* The deadline asked for is the earliest turn of all. */
	ck_assert_uint_ge(fk_wake, t0);
	ck_assert_uint_lt(fk_wake, t0 + 1 * SEC);
	first = fk_wake;
	last = 0;
	for (i = 1; i <= 300; i++) {
		fk_advance(p, t0 + i * 100 * MS);
		fk_finish_all(&done, POLLER_OK);
	}
	ck_assert_uint_eq(fk_started_at[0], first);
	for (i = 0; i < fk_nstarted; i++) {
		ck_assert_uint_ge(fk_started_at[i], last);
		last = fk_started_at[i];
	}
	/* Turns fired in time order, about three per job. */
	ck_assert_uint_gt(fk_nstarted, 25000);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.jobs, 10000);
	ck_assert_uint_eq(pst.overruns, 0);
	poller_free(p);
}
END_TEST

/*
 * Jobs and sessions added and removed many times over (a reload's churn)
 * leave the schedule whole: the jobs kept fire once per interval, in time
 * order, and the ids of removed jobs are reused rather than outgrowing
 * the heap.
 */
/*
 * Taking a job off the schedule and back many times (here at one instant
 * and without jitter, so it comes back with the same deadline each time,
 * while another job holds the earliest one) leaves one turn per grid
 * step: nothing it was scheduled with before is fired or kept for ever.
 */
START_TEST(poller_flapping_leaves_one_turn_per_job)
{
	struct poller		*p;
	struct poller_sess	*ps, *other, *early;
	struct poller_job	*j, *j2, *gone, *e;
	struct poller_job_stats	 jst;
	uint64_t		 t0;
	size_t			 i, runs = 0, runs2 = 0, done = 0;

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, NULL, 1);
	ps = poller_sess_add(p, "flap", NULL);
	j = poller_job_add(ps, "p", 1000, 0, NULL);
	j2 = poller_job_add(ps, "q", 1000, 0, NULL);
	other = poller_sess_add(p, "other", NULL);
	gone = poller_job_add(other, "p", 1000, 0, NULL);
	early = poller_sess_add(p, "early", NULL);
	e = poller_job_add(early, "p", 1, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(j2);
	ck_assert_ptr_nonnull(gone);
	ck_assert_ptr_nonnull(e);
	for (i = 0; i < 5000; i++) {
		poller_sess_enable(ps, false);
		poller_sess_enable(ps, true);
		/* stale entries of a removed job outlive it harmlessly */
		if (i == 100)
			poller_job_remove(gone);
	}
	poller_job_get_stats(j, &jst);
	ck_assert_uint_gt(jst.next_us, t0);
	ck_assert_uint_le(jst.next_us, t0 + 1000 * MS);
	for (i = 1; i <= 10; i++) {
		fk_advance(p, t0 + i * 1000 * MS);
		fk_finish_all(&done, POLLER_OK);
	}
	for (i = 0; i < fk_nstarted; i++) {
		ck_assert(fk_started[i] == j || fk_started[i] == j2 ||
		    fk_started[i] == e);
		if (fk_started[i] == j)
			runs++;
		if (fk_started[i] == j2)
			runs2++;
	}
	ck_assert_uint_eq(runs, 10);
	ck_assert_uint_eq(runs2, 10);
	poller_job_get_stats(j, &jst);
	ck_assert_uint_eq(jst.overruns, 0);
	poller_free(p);
}
END_TEST

START_TEST(poller_survives_churn_of_jobs_and_sessions)
{
	struct poller		*p;
	struct poller_sess	*ps, *kept[100];
	struct poller_job	*j, *kj[100];
	struct poller_stats	 pst;
	uint64_t		 t0, last = 0;
	size_t			 i, k, n, done = 0;
	char			 name[32];

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .max_in_flight =
	    100000 }, 1);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%zu", i);
		kept[i] = poller_sess_add(p, name, NULL);
		kj[i] = poller_job_add(kept[i], "p", 1000, 0, NULL);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "c%zu", i);
		ps = poller_sess_add(p, name, NULL);
		j = poller_job_add(ps, "a", 500, 0, NULL);
		ck_assert_ptr_nonnull(poller_job_add(ps, "b", 700, 0, NULL));
		ck_assert_ptr_nonnull(j);
		if (i % 2 == 0)
			poller_job_remove(j);
		if (i % 3 != 0)
			poller_sess_remove(ps);
		else
			poller_sess_enable(ps, false);
		fk_advance(p, t0 + i * 2 * MS);
		fk_finish_all(&done, POLLER_OK);
	}
	/* Only the kept sessions' jobs run from here on. */
	t0 = fk_now;
	n = fk_nstarted;
	for (i = 1; i <= 100; i++) {
		fk_advance(p, t0 + i * 100 * MS);
		fk_finish_all(&done, POLLER_OK);
	}
	for (i = n; i < fk_nstarted; i++) {
		ck_assert_uint_ge(fk_started_at[i], last);
		last = fk_started_at[i];
	}
	for (k = 0; k < 100; k++) {
		size_t	 runs = 0;

		for (i = n; i < fk_nstarted; i++)
			if (fk_started[i] == kj[k])
				runs++;
		ck_assert_uint_ge(runs, 9);
		ck_assert_uint_le(runs, 11);
	}
	ck_assert_uint_eq(fk_nstarted - n, 1000);
	poller_get_stats(p, &pst);
	ck_assert_uint_eq(pst.sessions, 100 + 1667);
	ck_assert_uint_eq(pst.overruns, 0);
	poller_free(p);
}
END_TEST

/*
 * With a batch window, turns that come within it of the earliest one start
 * in one wake-up, none before its moment and none more than the window
 * late; without one, every turn has its own wake-up.
 */
START_TEST(poller_batches_turns_within_the_window)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_job_stats	 js;
	uint64_t		 t0, fire, wakes[2];
	size_t			 i, k, done = 0, ngroups;
	char			 name[32];
	int			 batch;

	for (batch = 0; batch < 2; batch++) {
		fk_reset();
		t0 = fk_now;
		p = poller_new(&fk_io, &(struct poller_conf){ .max_in_flight =
		    100000, .batch_us = batch ? 5 * MS : 0 }, 1);
		/* 10,000 jobs over 10 s: one every ms on average. */
		for (i = 0; i < 10000; i++) {
			snprintf(name, sizeof(name), "b%zu", i);
			ps = poller_sess_add(p, name, NULL);
			poller_job_add(ps, "p", 10000, 0, NULL);
		}
		wakes[batch] = 0;
		while (fk_wake != 0 && fk_wake < t0 + 10 * SEC + 5 * MS) {
			fk_now = fk_wake;
			k = fk_nstarted;
			poller_timer(p);
			wakes[batch]++;
			/* None early, none more than the window late: each
			 * started turn's next one is exactly an interval
			 * after its moment. */
			for (; k < fk_nstarted; k++) {
				poller_job_get_stats(fk_started[k], &js);
				fire = js.next_us - 10 * SEC;
				ck_assert_uint_le(fire, fk_now);
				ck_assert_uint_le(fk_now - fire,
				    batch ? 5 * MS : 0);
			}
			fk_finish_all(&done, POLLER_OK);
		}
		ck_assert_uint_ge(fk_nstarted, 10000);
		poller_free(p);
	}
	/* Without batching about one wake-up per job (phases may
	 * coincide); with it, far fewer. */
	ck_assert_uint_gt(wakes[0], 9000);
	/* A group spans at least the window: at most 10 s / 5 ms. */
	ngroups = wakes[1];
	ck_assert_uint_le(ngroups, 2002);
}
END_TEST

/*
 * A turn waits for its batch at most 1/POLLER_BATCH_SHARE of its interval:
 * with a 50 ms window, 10 s polls start up to 50 ms late but 100 ms polls
 * at most 1 ms late, though they share wake-ups; and none starts early.
 */
START_TEST(poller_batch_wait_bounded_by_interval)
{
	struct poller		*p;
	struct poller_sess	*ps;
	struct poller_job_stats	 js;
	uint64_t		 t0, fire, iv, slack, late[2] = { 0, 0 };
	size_t			 i, k, done = 0, wakes = 0, fast = 0;
	char			 name[32];

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &(struct poller_conf){ .max_in_flight =
	    100000, .batch_us = 50 * MS }, 1);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "m%zu", i);
		ps = poller_sess_add(p, name, NULL);
		poller_job_add(ps, "p", i % 20 == 0 ? 100 : 10000, 0, NULL);
	}
	while (fk_wake != 0 && fk_wake < t0 + 10 * SEC) {
		fk_now = fk_wake;
		k = fk_nstarted;
		poller_timer(p);
		wakes++;
		for (; k < fk_nstarted && k < MAXREC; k++) {
			poller_job_get_stats(fk_started[k], &js);
			iv = (uint64_t)poller_job_interval_ms(fk_started[k]) *
			    MS;
			fire = js.next_us - iv;
			slack = iv / POLLER_BATCH_SHARE < 50 * MS ?
			    iv / POLLER_BATCH_SHARE : 50 * MS;
			ck_assert_uint_le(fire, fk_now);
			ck_assert_uint_le(fk_now - fire, slack);
			if (fk_now - fire > late[iv == 100 * MS])
				late[iv == 100 * MS] = fk_now - fire;
			fast += iv == 100 * MS;
		}
		fk_finish_all(&done, POLLER_OK);
	}
	/* 100 fast jobs ten times a second for 10 s. */
	ck_assert_uint_ge(fast, 9000);
	/* The slow turns did wait for company; the wake-ups are about one
	 * per fast job's millisecond window, not one per turn. */
	ck_assert_uint_gt(late[0], 1 * MS);
	ck_assert_uint_lt(wakes, fast + 200);
	poller_free(p);
}
END_TEST

/*
 * Intervals past the deadline queue's round (~67 s of wheel buckets) and
 * far apart: every turn still starts within its batch slack of its grid
 * turn, none early, none missed, beside a job that fires every second.
 */
START_TEST(poller_long_intervals_keep_their_grid)
{
	static const uint32_t	 ivl_ms[] = { 1000, 65000, 90000, 300000,
	    3600000 };
	struct poller_conf	 conf = { .batch_us = 50 * MS };
	struct poller		*p;
	struct poller_sess	*ps;
	uint64_t		 t0, phase[5], turn, slack;
	size_t			 i, k, done = 0, runs[5] = { 0 };
	char			 name[8];

	fk_reset();
	t0 = fk_now;
	p = poller_new(&fk_io, &conf, 3);
	ps = poller_sess_add(p, "long", NULL);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "j%zu", i);
		ck_assert_ptr_nonnull(poller_job_add(ps, name, ivl_ms[i], 0,
		    (void *)(uintptr_t)(i + 1)));
		phase[i] = poller_phase_us("long", name, ivl_ms[i] * MS);
	}
	for (k = 1; k <= 7300; k++) {
		fk_advance(p, t0 + k * SEC);
		for (i = done; i < fk_nstarted; i++) {
			size_t	 ji = (uintptr_t)poller_job_udata(
			    fk_started[i]) - 1;
			uint64_t ivl = ivl_ms[ji] * MS;

			/* Its grid turn: the last one at or before it. */
			turn = t0 + phase[ji] + (fk_started_at[i] - t0 -
			    phase[ji]) / ivl * ivl;
			slack = 50 * MS < ivl / 100 ? 50 * MS : ivl / 100;
			ck_assert_uint_ge(fk_started_at[i], t0 + phase[ji]);
			ck_assert_uint_le(fk_started_at[i], turn + slack);
			runs[ji]++;
		}
		fk_finish_all(&done, POLLER_OK);
	}
	for (i = 0; i < 5; i++) {
		uint64_t ivl = ivl_ms[i] * MS, end = t0 + 7300 * SEC;

		/* Turns from the phase to the end, less one at the edge. */
		ck_assert_uint_ge(runs[i], (end - t0 - phase[i]) / ivl);
		ck_assert_uint_le(runs[i], (end - t0 - phase[i]) / ivl + 1);
	}
	poller_free(p);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("poller");
	TCase	*tc = tcase_create("scheduling");

	tcase_add_test(tc, poller_spreads_first_turns_over_the_interval);
	tcase_add_test(tc, poller_phase_is_deterministic_and_kept);
	tcase_add_test(tc, poller_grid_follows_the_wall_clock);
	tcase_add_test(tc, poller_jitter_stays_within_bounds);
	tcase_add_test(tc, poller_counts_overruns_and_never_queues_twice);
	tcase_add_test(tc, poller_global_bound_waits_then_skips);
	tcase_add_test(tc, poller_session_bound_serialises_its_jobs);
	tcase_add_test(tc, poller_marks_down_and_probes_with_backoff);
	tcase_add_test(tc, poller_interrupted_runs_say_nothing_of_the_agent);
	tcase_add_test(tc, poller_error_answers_keep_the_session_up);
	tcase_add_test(tc, poller_disable_cancels_and_enable_resumes);
	tcase_add_test(tc, poller_run_now_and_start_failures);
	tcase_add_test(tc, poller_uses_one_deadline_for_many_jobs);
	tcase_add_test(tc, poller_batches_turns_within_the_window);
	tcase_add_test(tc, poller_batch_wait_bounded_by_interval);
	tcase_add_test(tc, poller_survives_churn_of_jobs_and_sessions);
	tcase_add_test(tc, poller_flapping_leaves_one_turn_per_job);
	tcase_add_test(tc, poller_long_intervals_keep_their_grid);
	suite_add_tcase(su, tc);
	return check_run(su);
}
