/*
 * poll_sched.c - the poll scheduler of poll_sched.h.
 *
 * Every job that has a next turn (or, in a down session, the one job that
 * serves as its probe) sits in one deadline queue (timeq.h) keyed by the
 * latest moment it may start: its turn plus its share of the batch window
 * (turn_slack), a probe's moment itself.  The queue's earliest is the one
 * deadline asked of the loop through io->wake, so ten thousand sessions
 * cost one timer, and each wake-up starts every turn whose moment has
 * come: no turn starts before its moment or after its deadline.  Jobs that fire
 * without a free slot wait in FIFOs: one per session (its bound was
 * reached) and one global (the daemon's bound was), and a job is on at
 * most one of them.  When a run ends, its session's queue and then the
 * global queue are pumped, without recursion, so a burst of failures to
 * start cannot deepen the stack.
 *
 * No libevent and no JSON here: check_poll_sched.c runs all of it against a
 * fake clock.
 */
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "poll_sched.h"
#include "timeq.h"

enum job_run {
	J_IDLE = 0,
	J_WAIT_SESS,		/* on its session's queue */
	J_WAIT_GLOBAL,		/* on the poller's queue */
	J_RUNNING,
};

struct poller_job {
	struct poller_sess	*ps;
	TAILQ_ENTRY(poller_job)	 sentry;	/* ps->jobs */
	TAILQ_ENTRY(poller_job)	 qentry;	/* a wait queue */
	struct timeq_node	 tq;		/* in p->q while scheduled */
	uint64_t		 fire_at;	/* its moment (the queue's key
						 * adds turn_slack) */
	uint64_t		 due;		/* the turn it fires for */
	uint64_t		 interval_us;
	uint64_t		 jitter_us;
	uint64_t		 phase_us;
	enum job_run		 run;
	bool			 probe_sched;	/* queued as the probe */
	bool			 probing;	/* waits or runs as the probe */
	void			*udata;
	struct poller_job_stats	 st;
};

struct poller_sess {
	struct poller		*p;
	TAILQ_ENTRY(poller_sess) entry;
	TAILQ_HEAD(, poller_job) jobs;
	TAILQ_HEAD(, poller_job) waitq;
	void			*udata;
	uint64_t		 hash;
	enum poller_state	 state;
	bool			 enabled;
	uint32_t		 fails;
	uint32_t		 running;
	uint32_t		 backoff_ms;
	uint64_t		 since;
	uint64_t		 transitions;
	uint64_t		 probes;
	struct poller_job	*probe;		/* scheduled probe, or NULL */
};

struct poller {
	struct poller_io	 io;
	struct poller_conf	 conf;
	uint64_t		 epoch;
	/* With io.wall_us: the wall clock minus the monotonic one, and the
	 * grids are anchored to the wall clock (epoch unused). */
	uint64_t		 wall_off;
	bool			 wall;
	uint64_t		 rng;
	uint64_t		 wake_at;
	TAILQ_HEAD(, poller_sess) sessions;
	TAILQ_HEAD(, poller_job) waitq;
	struct timeq		*q;

	size_t			 nsess;
	size_t			 njobs;
	size_t			 ndown;
	uint32_t		 running;
	uint32_t		 waiting;
	uint64_t		 runs;
	uint64_t		 overruns;
	uint64_t		 skipped_down;
	uint64_t		 waited;
};

static void	pump(struct poller *, struct poller_sess *);

static uint64_t
now_us(struct poller *p)
{
	return p->io.now_us(p->io.arg);
}

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t
rng_next(struct poller *p)
{
	uint64_t	 x = p->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 2685821657736338717ULL;
}

/* FNV-1a, 64 bits. */
static uint64_t
hash_str(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The offset of a job's turns in its interval, from the names. */
static uint64_t
phase_of(uint64_t sess_hash, const char *job, uint64_t interval_us)
{
	return hash_str(sess_hash ^ 0x5bd1e995ULL, job) % interval_us;
}

uint64_t
poller_phase_us(const char *session, const char *job, uint64_t interval_us)
{
	return interval_us == 0 ? 0 : phase_of(hash_str(
	    14695981039346656037ULL, session), job, interval_us);
}

/* ------------------------------------------------------------ the queue */

/*
 * Every scheduled job sits in one timeq (timeq.h) keyed by its deadline:
 * with 100,000 jobs in one heap, each fired turn's sift wrote the new
 * slot into jobs last touched a minute before, a cache miss per level.
 */
static struct poller_job *
job_of(struct timeq_node *n)
{
	return n == NULL ? NULL : (struct poller_job *)(void *)((char *)n -
	    offsetof(struct poller_job, tq));
}

static bool
queued(const struct poller_job *j)
{
	return timeq_queued(&j->tq);
}

static void
q_push(struct poller *p, struct poller_job *j, uint64_t deadline)
{
	timeq_insert(p->q, &j->tq, deadline);
}

static void
q_remove(struct poller *p, struct poller_job *j)
{
	timeq_remove(p->q, &j->tq);
}

static void
rewake(struct poller *p)
{
	uint64_t	 want = 0;

	if (timeq_top(p->q, &want) != NULL && want == 0)
		want = 1;	/* 0 means "nothing"; fire at once */
	if (want != p->wake_at) {
		p->wake_at = want;
		p->io.wake(p->io.arg, want);
	}
}

/* ------------------------------------------------------------- turns */

/*
 * The first turn of j's grid at or after t: epoch + phase + k * interval
 * on the monotonic clock, or, anchored to the wall clock, the moment it
 * reads phase + k * interval.
 */
static uint64_t
grid_next(const struct poller *p, const struct poller_job *j, uint64_t t)
{
	uint64_t	 base = p->epoch + j->phase_us, k;

	if (p->wall) {
		base = j->phase_us;
		t += p->wall_off;
	}
	if (t <= base)
		k = 0;
	else
		k = (t - base + j->interval_us - 1) / j->interval_us;
	return base + k * j->interval_us - (p->wall ? p->wall_off : 0);
}

/*
 * How late a turn of j may start so that it shares a wake-up with others:
 * the batch window, but never more than 1/POLLER_BATCH_SHARE of j's
 * interval (a 60 s poll may wait the whole window, a 100 ms one 1 ms).
 */
static uint64_t
turn_slack(const struct poller *p, const struct poller_job *j)
{
	uint64_t	 share = j->interval_us / POLLER_BATCH_SHARE;

	return p->conf.batch_us < share ? p->conf.batch_us : share;
}

static void
schedule_turn(struct poller *p, struct poller_job *j)
{
	j->fire_at = j->due;
	if (j->jitter_us > 0)
		j->fire_at += rng_next(p) % j->jitter_us;
	j->st.next_us = j->fire_at;
	q_push(p, j, j->fire_at + turn_slack(p, j));
}

static void
schedule_probe(struct poller *p, struct poller_sess *ps,
    struct poller_job *j, uint64_t now)
{
	q_remove(p, j);
	ps->probe = j;
	j->probe_sched = true;
	j->fire_at = now + (uint64_t)ps->backoff_ms * 1000;
	j->st.next_us = 0;
	q_push(p, j, j->fire_at);
}

/* Take j off its wait queue, if it is on one. */
static void
unqueue(struct poller *p, struct poller_job *j)
{
	if (j->run == J_WAIT_SESS)
		TAILQ_REMOVE(&j->ps->waitq, j, qentry);
	else if (j->run == J_WAIT_GLOBAL)
		TAILQ_REMOVE(&p->waitq, j, qentry);
	else
		return;
	p->waiting--;
	j->run = J_IDLE;
	j->probing = false;
}

/* ------------------------------------------------------------- runs */

/*
 * Start j (a slot is free).  A start that fails counts as an error run
 * and changes nothing else; 0 started, -1 not.
 */
static int
start_job(struct poller *p, struct poller_job *j)
{
	struct poller_sess	*ps = j->ps;
	uint64_t		 now = now_us(p);

	j->run = J_RUNNING;
	ps->running++;
	p->running++;
	j->st.runs++;
	p->runs++;
	j->st.last_start_us = now;
	if (j->probing)
		ps->probes++;
	if (p->io.start(p->io.arg, j, j->probing) == 0)
		return 0;
	j->run = J_IDLE;
	ps->running--;
	p->running--;
	j->st.errors++;
	j->st.last_end_us = now;
	j->st.last_duration_us = 0;
	if (j->probing && ps->state == POLLER_DOWN && ps->probe == NULL)
		schedule_probe(p, ps, j, now);
	j->probing = false;
	return -1;
}

/* Run j now if the bounds allow, else queue it. */
static void
dispatch(struct poller *p, struct poller_job *j, bool probe)
{
	struct poller_sess	*ps = j->ps;

	j->probing = probe;
	if (ps->running >= p->conf.session_in_flight) {
		j->run = J_WAIT_SESS;
		TAILQ_INSERT_TAIL(&ps->waitq, j, qentry);
	} else if (p->running >= p->conf.max_in_flight) {
		j->run = J_WAIT_GLOBAL;
		TAILQ_INSERT_TAIL(&p->waitq, j, qentry);
	} else {
		start_job(p, j);
		return;
	}
	p->waiting++;
	j->st.waited++;
	p->waited++;
}

/* Start what waits while there is room: ps's queue first (a run of ps
 * just ended), then the global one. */
static void
pump(struct poller *p, struct poller_sess *ps)
{
	struct poller_job	*j;

	for (;;) {
		if (ps != NULL && ps->running < p->conf.session_in_flight &&
		    (j = TAILQ_FIRST(&ps->waitq)) != NULL) {
			TAILQ_REMOVE(&ps->waitq, j, qentry);
			if (p->running < p->conf.max_in_flight) {
				p->waiting--;
				start_job(p, j);
			} else {
				j->run = J_WAIT_GLOBAL;
				TAILQ_INSERT_TAIL(&p->waitq, j, qentry);
			}
			continue;
		}
		if (p->running < p->conf.max_in_flight &&
		    (j = TAILQ_FIRST(&p->waitq)) != NULL) {
			TAILQ_REMOVE(&p->waitq, j, qentry);
			if (j->ps->running < p->conf.session_in_flight) {
				p->waiting--;
				start_job(p, j);
			} else {
				j->run = J_WAIT_SESS;
				TAILQ_INSERT_TAIL(&j->ps->waitq, j, qentry);
			}
			continue;
		}
		break;
	}
}

static void
set_state(struct poller *p, struct poller_sess *ps, enum poller_state to,
    uint64_t now)
{
	enum poller_state	 from = ps->state;

	if (from == to)
		return;
	if (from == POLLER_DOWN)
		p->ndown--;
	if (to == POLLER_DOWN)
		p->ndown++;
	if (from == POLLER_DOWN || to == POLLER_DOWN)
		ps->transitions++;
	ps->state = to;
	ps->since = now;
	p->io.state(p->io.arg, ps, from, to);
}

/* Down: stop every turn, keep one job as the probe. */
static void
enter_down(struct poller *p, struct poller_sess *ps, uint64_t now)
{
	struct poller_job	*j, *probe = NULL;

	TAILQ_FOREACH(j, &ps->jobs, sentry) {
		q_remove(p, j);
		unqueue(p, j);
		j->st.next_us = 0;
		if (probe == NULL && j->run == J_IDLE)
			probe = j;
	}
	if (probe == NULL)
		probe = TAILQ_FIRST(&ps->jobs);
	ps->backoff_ms = p->conf.backoff_min_ms;
	if (probe != NULL)
		schedule_probe(p, ps, probe, now);
	set_state(p, ps, POLLER_DOWN, now);
}

/* Every job of ps back on its grid; turns missed since t counted. */
static void
regrid(struct poller *p, struct poller_sess *ps, uint64_t now, bool count)
{
	struct poller_job	*j;
	uint64_t		 missed;

	if (ps->probe != NULL) {
		q_remove(p, ps->probe);
		ps->probe->probe_sched = false;
		ps->probe = NULL;
	}
	TAILQ_FOREACH(j, &ps->jobs, sentry) {
		if (queued(j))
			continue;
		if (count && now > ps->since) {
			missed = (now - ps->since) / j->interval_us;
			j->st.skipped_down += missed;
			p->skipped_down += missed;
		}
		j->due = grid_next(p, j, now);
		schedule_turn(p, j);
	}
	ps->backoff_ms = 0;
}

void
poller_done(struct poller_job *j, enum poller_outcome outcome)
{
	struct poller_sess	*ps = j->ps;
	struct poller		*p = ps->p;
	uint64_t		 now = now_us(p);
	bool			 probing = j->probing;

	if (j->run != J_RUNNING)
		return;
	j->run = J_IDLE;
	j->probing = false;
	ps->running--;
	p->running--;
	j->st.last_end_us = now;
	j->st.last_duration_us = now > j->st.last_start_us ?
	    now - j->st.last_start_us : 0;
	switch (outcome) {
	case POLLER_OK:
		j->st.ok++;
		break;
	case POLLER_ERROR:
	case POLLER_INTERRUPTED:
		j->st.errors++;
		break;
	default:
		j->st.noanswer++;
		break;
	}

	if (outcome == POLLER_INTERRUPTED) {
		/* Neither up nor down; a down session's probe comes again. */
		if (ps->state == POLLER_DOWN && ps->probe == NULL)
			schedule_probe(p, ps, j, now);
	} else if (outcome != POLLER_NOANSWER) {
		ps->fails = 0;
		if (ps->state == POLLER_DOWN)
			regrid(p, ps, now, true);
		set_state(p, ps, POLLER_UP, now);
	} else {
		ps->fails++;
		if (ps->state != POLLER_DOWN &&
		    ps->fails >= p->conf.down_after)
			enter_down(p, ps, now);
		else if (ps->state == POLLER_DOWN && ps->probe == NULL) {
			/* A probe (or a run from before) went unanswered:
			 * wait twice as long before the next one. */
			if (probing) {
				ps->backoff_ms = ps->backoff_ms >
				    p->conf.backoff_max_ms / 2 ?
				    p->conf.backoff_max_ms :
				    ps->backoff_ms * 2;
				if (ps->backoff_ms < p->conf.backoff_min_ms)
					ps->backoff_ms =
					    p->conf.backoff_min_ms;
			}
			schedule_probe(p, ps, j, now);
		}
	}
	pump(p, ps);
	rewake(p);
}

/* ------------------------------------------------------------ timer */

static void
fire(struct poller *p, struct poller_job *j, uint64_t now)
{
	struct poller_sess	*ps = j->ps;
	uint64_t		 skip;

	if (j->probe_sched) {
		j->probe_sched = false;
		ps->probe = NULL;
		if (j->run != J_IDLE) {
			/* Still busy with a run from before it went down. */
			schedule_probe(p, ps, j, now);
			return;
		}
		dispatch(p, j, true);
		return;
	}
	/* The next turn first, so a run that fails to start keeps it. */
	j->due += j->interval_us;
	if (j->due <= now) {
		skip = (now - j->due) / j->interval_us + 1;
		j->st.overruns += skip;
		p->overruns += skip;
		j->due += skip * j->interval_us;
	}
	schedule_turn(p, j);
	if (j->run != J_IDLE) {
		j->st.overruns++;
		p->overruns++;
		return;
	}
	dispatch(p, j, false);
}

void
poller_timer(struct poller *p)
{
	struct poller_job	*j;
	uint64_t		 now;

	p->wake_at = UINT64_MAX;	/* the timer that called us is spent */
	now = now_us(p);
	/*
	 * The top's deadline has come (or is near): start it and, in the
	 * same wake-up, every job after it whose moment has come.  A job
	 * whose moment has not stops the round; it and those after it
	 * have later deadlines, which the next wake-up serves.
	 */
	while ((j = job_of(timeq_top(p->q, NULL))) != NULL &&
	    j->fire_at <= now) {
		q_remove(p, j);
		fire(p, j, now);
	}
	rewake(p);
}

/* ------------------------------------------------------- the poller */

static void
conf_fill(struct poller_conf *dst, const struct poller_conf *src)
{
	if (src != NULL)
		*dst = *src;
	else
		memset(dst, 0, sizeof(*dst));
	if (dst->max_in_flight == 0)
		dst->max_in_flight = POLLER_DEF_IN_FLIGHT;
	if (dst->session_in_flight == 0)
		dst->session_in_flight = POLLER_DEF_SESS_IN_FLIGHT;
	if (dst->down_after == 0)
		dst->down_after = POLLER_DEF_DOWN_AFTER;
	if (dst->backoff_min_ms == 0)
		dst->backoff_min_ms = POLLER_DEF_BACKOFF_MIN;
	if (dst->backoff_max_ms == 0)
		dst->backoff_max_ms = POLLER_DEF_BACKOFF_MAX;
	if (dst->backoff_max_ms < dst->backoff_min_ms)
		dst->backoff_max_ms = dst->backoff_min_ms;
}

struct poller *
poller_new(const struct poller_io *io, const struct poller_conf *conf,
    uint64_t seed)
{
	struct poller	*p;
	uint64_t	 w;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->q = timeq_new()) == NULL) {
		free(p);
		return NULL;
	}
	p->io = *io;
	conf_fill(&p->conf, conf);
	p->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
	TAILQ_INIT(&p->sessions);
	TAILQ_INIT(&p->waitq);
	p->epoch = now_us(p);
	if (p->io.wall_us != NULL) {
		w = p->io.wall_us(p->io.arg);
		/* A wall clock behind the monotonic one (set to 1970?) cannot
		 * anchor anything: the grids keep their own epoch. */
		if (w >= p->epoch) {
			p->wall_off = w - p->epoch;
			p->wall = true;
		}
	}
	return p;
}

void
poller_free(struct poller *p)
{
	struct poller_sess	*ps;

	if (p == NULL)
		return;
	while ((ps = TAILQ_FIRST(&p->sessions)) != NULL)
		poller_sess_remove(ps);
	timeq_free(p->q);
	free(p);
}

void
poller_set_conf(struct poller *p, const struct poller_conf *c)
{
	uint32_t	 min = p->conf.backoff_min_ms;
	struct poller_sess *ps;

	conf_fill(&p->conf, c);
	if (min != p->conf.backoff_min_ms)
		TAILQ_FOREACH(ps, &p->sessions, entry)
			if (ps->state == POLLER_DOWN &&
			    ps->backoff_ms < p->conf.backoff_min_ms)
				ps->backoff_ms = p->conf.backoff_min_ms;
	pump(p, NULL);
	rewake(p);
}

const struct poller_conf *
poller_get_conf(const struct poller *p)
{
	return &p->conf;
}

/* Turns of j missed since its session went down (not yet counted). */
static uint64_t
missed_down(const struct poller_job *j, uint64_t now)
{
	const struct poller_sess *ps = j->ps;

	if (ps->state != POLLER_DOWN || now <= ps->since)
		return 0;
	return (now - ps->since) / j->interval_us;
}

void
poller_get_stats(const struct poller *p, struct poller_stats *st)
{
	const struct poller_sess *ps;
	const struct poller_job	*j;
	uint64_t		 now = p->io.now_us(p->io.arg);

	memset(st, 0, sizeof(*st));
	st->runs = p->runs;
	st->overruns = p->overruns;
	st->skipped_down = p->skipped_down;
	if (p->ndown > 0)
		TAILQ_FOREACH(ps, &p->sessions, entry)
			TAILQ_FOREACH(j, &ps->jobs, sentry)
				st->skipped_down += missed_down(j, now);
	st->waited = p->waited;
	st->running = p->running;
	st->waiting = p->waiting;
	st->sessions = p->nsess;
	st->jobs = p->njobs;
	st->down = p->ndown;
}

const char *
poller_state_name(enum poller_state s)
{
	switch (s) {
	case POLLER_UP:
		return "up";
	case POLLER_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

/* ---------------------------------------------------------- sessions */

struct poller_sess *
poller_sess_add(struct poller *p, const char *name, void *udata)
{
	struct poller_sess	*ps;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	ps->p = p;
	ps->udata = udata;
	ps->enabled = true;
	ps->hash = hash_str(14695981039346656037ULL, name);
	ps->since = now_us(p);
	TAILQ_INIT(&ps->jobs);
	TAILQ_INIT(&ps->waitq);
	TAILQ_INSERT_TAIL(&p->sessions, ps, entry);
	p->nsess++;
	return ps;
}

/* Take every job of ps off the schedule; running ones are cancelled. */
static void
sess_stop(struct poller *p, struct poller_sess *ps)
{
	struct poller_job	*j;

	TAILQ_FOREACH(j, &ps->jobs, sentry) {
		q_remove(p, j);
		unqueue(p, j);
		j->probe_sched = false;
		j->st.next_us = 0;
		if (j->run == J_RUNNING) {
			j->run = J_IDLE;
			j->probing = false;
			ps->running--;
			p->running--;
			p->io.cancel(p->io.arg, j);
		}
	}
	ps->probe = NULL;
}

void
poller_sess_remove(struct poller_sess *ps)
{
	struct poller		*p;
	struct poller_job	*j;

	if (ps == NULL)
		return;
	p = ps->p;
	sess_stop(p, ps);
	while ((j = TAILQ_FIRST(&ps->jobs)) != NULL) {
		TAILQ_REMOVE(&ps->jobs, j, sentry);
		p->njobs--;
		free(j);
	}
	if (ps->state == POLLER_DOWN)
		p->ndown--;
	TAILQ_REMOVE(&p->sessions, ps, entry);
	p->nsess--;
	free(ps);
	pump(p, NULL);
	rewake(p);
}

void
poller_sess_enable(struct poller_sess *ps, bool on)
{
	struct poller	*p = ps->p;
	uint64_t	 now = now_us(p);

	if (ps->enabled == on)
		return;
	ps->enabled = on;
	if (!on) {
		sess_stop(p, ps);
		if (ps->state == POLLER_DOWN)
			p->ndown--;
		ps->state = POLLER_UNKNOWN;
		ps->fails = 0;
		ps->backoff_ms = 0;
		pump(p, NULL);
	} else {
		ps->since = now;
		regrid(p, ps, now, false);
	}
	rewake(p);
}

void
poller_sess_reset(struct poller_sess *ps)
{
	struct poller	*p = ps->p;
	uint64_t	 now = now_us(p);

	ps->fails = 0;
	if (ps->state == POLLER_DOWN) {
		p->ndown--;
		ps->state = POLLER_UNKNOWN;
		if (ps->enabled)
			regrid(p, ps, now, false);
	}
	ps->state = POLLER_UNKNOWN;
	ps->since = now;
	rewake(p);
}

void *
poller_sess_udata(const struct poller_sess *ps)
{
	return ps->udata;
}

void
poller_sess_get_stats(const struct poller_sess *ps,
    struct poller_sess_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->state = ps->state;
	st->fails = ps->fails;
	st->since_us = ps->since;
	st->transitions = ps->transitions;
	st->probes = ps->probes;
	st->backoff_ms = ps->state == POLLER_DOWN ? ps->backoff_ms : 0;
	st->next_probe_us = ps->probe != NULL ? ps->probe->fire_at : 0;
	st->running = ps->running;
	st->enabled = ps->enabled;
}

/* -------------------------------------------------------------- jobs */

struct poller_job *
poller_job_add(struct poller_sess *ps, const char *name, uint32_t interval_ms,
    uint32_t jitter_ms, void *udata)
{
	struct poller		*p = ps->p;
	struct poller_job	*j;
	uint64_t		 now;

	if (interval_ms == 0 || timeq_reserve(p->q, p->njobs + 1) == -1)
		return NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->ps = ps;
	j->udata = udata;
	timeq_node_init(&j->tq);
	j->interval_us = (uint64_t)interval_ms * 1000;
	if (jitter_ms >= interval_ms)
		jitter_ms = interval_ms - 1;
	j->jitter_us = (uint64_t)jitter_ms * 1000;
	j->phase_us = phase_of(ps->hash, name, j->interval_us);
	TAILQ_INSERT_TAIL(&ps->jobs, j, sentry);
	p->njobs++;
	now = now_us(p);
	if (!ps->enabled)
		;
	else if (ps->state == POLLER_DOWN) {
		if (ps->probe == NULL)
			schedule_probe(p, ps, j, now);
	} else {
		j->due = grid_next(p, j, now);
		schedule_turn(p, j);
	}
	rewake(p);
	return j;
}

void
poller_job_remove(struct poller_job *j)
{
	struct poller_sess	*ps;
	struct poller		*p;
	struct poller_job	*o;

	if (j == NULL)
		return;
	ps = j->ps;
	p = ps->p;
	q_remove(p, j);
	unqueue(p, j);
	if (j->run == J_RUNNING) {
		j->run = J_IDLE;
		ps->running--;
		p->running--;
		p->io.cancel(p->io.arg, j);
	}
	TAILQ_REMOVE(&ps->jobs, j, sentry);
	p->njobs--;
	if (ps->probe == j) {
		/* Another job of the down session takes over probing. */
		ps->probe = NULL;
		if ((o = TAILQ_FIRST(&ps->jobs)) != NULL)
			schedule_probe(p, ps, o, now_us(p));
	}
	free(j);
	pump(p, ps);
	rewake(p);
}

int
poller_job_run_now(struct poller_job *j)
{
	struct poller_sess	*ps = j->ps;
	struct poller		*p = ps->p;

	if (!ps->enabled || j->run != J_IDLE)
		return -1;
	if (j->probe_sched) {
		q_remove(p, j);
		j->probe_sched = false;
		ps->probe = NULL;
	}
	dispatch(p, j, ps->state == POLLER_DOWN);
	rewake(p);
	return 0;
}

void *
poller_job_udata(const struct poller_job *j)
{
	return j->udata;
}

struct poller_sess *
poller_job_sess(const struct poller_job *j)
{
	return j->ps;
}

bool
poller_job_running(const struct poller_job *j)
{
	return j->run == J_RUNNING;
}

void
poller_job_get_stats(const struct poller_job *j, struct poller_job_stats *st)
{
	*st = j->st;
	if (!queued(j) || j->probe_sched)
		st->next_us = 0;
	st->skipped_down += missed_down(j,
	    j->ps->p->io.now_us(j->ps->p->io.arg));
}

uint32_t
poller_job_interval_ms(const struct poller_job *j)
{
	return (uint32_t)(j->interval_us / 1000);
}

struct poller_job *
poller_job_first(const struct poller_sess *ps)
{
	return TAILQ_FIRST(&ps->jobs);
}

struct poller_job *
poller_job_next(const struct poller_job *j)
{
	return TAILQ_NEXT(j, sentry);
}
