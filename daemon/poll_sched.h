/*
 * poll_sched.h - the poll scheduler: when each (session, poll) pair runs.
 *
 * A poller holds sessions and, per session, jobs: one per poll the
 * session lists, each with an interval and a jitter.  It does not run
 * SNMP requests, own an event loop or know about JSON: like the session
 * engine (core/session.h) it is driven by poller_timer() ("the deadline I
 * asked for passed") and poller_done() ("the job I started finished"),
 * reads the time through struct poller_io and starts jobs through it, so
 * tests drive it with a fake clock.  polls.c binds it to libevent and to
 * the sessions: poll_sched is the pure half, polls its loop binding.  The
 * functions keep the short poller_ prefix.
 *
 * Scheduling rules:
 *   - Turns of a job lie on a grid: epoch + phase + k * interval, where
 *     the phase is a hash of the session and poll names, so thousands of
 *     jobs with one interval spread evenly over it, at start-up and after
 *     a reload alike (a new job joins the grid at its own phase), and an
 *     unchanged job keeps its turns across reloads.  Each turn fires at a
 *     random moment in [turn, turn + jitter).
 *   - At most max_in_flight jobs run at once, at most session_in_flight
 *     per session; a job that finds no free slot waits in a FIFO (at most
 *     once: a job is either idle, waiting or running).
 *   - A turn that comes while the job still runs or waits is skipped and
 *     counted as an overrun.  Nothing is ever queued twice.
 *   - down_after consecutive runs without an answer mark a session down
 *     (io->state).  Its jobs stop; one of them runs as a probe after
 *     backoff_min, the wait doubling up to backoff_max, until the agent
 *     answers: the session is up again (io->state) and its jobs resume at
 *     their next grid turns.  Turns missed while down are counted apart.
 *
 * All times are microseconds of a monotonic clock.
 */
#ifndef SNMPMGRD_POLL_SCHED_H
#define SNMPMGRD_POLL_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct poller;
struct poller_sess;
struct poller_job;

/* How a run ended, as far as scheduling cares. */
enum poller_outcome {
	POLLER_OK = 0,		/* answered, no error */
	POLLER_ERROR = 1,	/* answered with an error (the agent is up) */
	POLLER_NOANSWER = 2,	/* timeout or send failure */
	POLLER_INTERRUPTED = 3,	/* stopped on request (session.interrupt):
				 * an error run that says nothing of the
				 * agent, up or down */
};

enum poller_state {
	POLLER_UNKNOWN = 0,	/* no run has ended yet */
	POLLER_UP = 1,
	POLLER_DOWN = 2,
};

/*
 * How the poller reaches the world.  All callbacks get arg.
 *   now_us  monotonic clock
 *   wake    call poller_timer() at when_us; replaces the earlier ask; 0:
 *           nothing is scheduled
 *   start   run job j now (probe: it is the probe of a down session).
 *           0 when started: poller_done(j, ...) follows later, never from
 *           inside start.  -1 when it could not start: the run counts as
 *           ended with POLLER_ERROR.
 *   cancel  stop job j, which is running; poller_done must not follow
 *   state   session ps went from one state to another
 *   wall_us optional: the wall clock (microseconds since 1970), read
 *           once, by poller_new(), to anchor every grid to it
 */
struct poller_io {
	uint64_t	(*now_us)(void *arg);
	void		(*wake)(void *arg, uint64_t when_us);
	int		(*start)(void *arg, struct poller_job *j, bool probe);
	void		(*cancel)(void *arg, struct poller_job *j);
	void		(*state)(void *arg, struct poller_sess *ps,
			    enum poller_state from, enum poller_state to);
	void		*arg;
	uint64_t	(*wall_us)(void *arg);
};

struct poller_conf {
	uint32_t	 max_in_flight;		/* 0: POLLER_DEF_IN_FLIGHT */
	uint32_t	 session_in_flight;	/* 0: POLLER_DEF_SESS_IN_FLIGHT */
	uint32_t	 down_after;		/* 0: POLLER_DEF_DOWN_AFTER */
	uint32_t	 backoff_min_ms;	/* 0: POLLER_DEF_BACKOFF_MIN */
	uint32_t	 backoff_max_ms;	/* 0: POLLER_DEF_BACKOFF_MAX */
	/*
	 * Batching: a turn may start up to batch_us late, but never more
	 * than 1/POLLER_BATCH_SHARE of its job's interval late.  The timer
	 * is asked for the earliest such deadline, and every turn whose
	 * moment has come by then starts in that one wake-up, so polls
	 * spread over an interval run in groups rather than one wake-up
	 * each.  0: none.
	 */
	uint32_t	 batch_us;
};

/* A turn waits for its batch at most this part of its interval. */
#define POLLER_BATCH_SHARE		100

/*
 * Every poll in flight may have an answer waiting in the shared socket's
 * receive buffer (about 2 KiB each, counted as the kernel does): 1000 fit
 * the 4 MiB the session engine asks for.  More only lose answers.
 */
#define POLLER_DEF_IN_FLIGHT		1000
#define POLLER_DEF_SESS_IN_FLIGHT	2
#define POLLER_DEF_DOWN_AFTER		3
#define POLLER_DEF_BACKOFF_MIN		1000
#define POLLER_DEF_BACKOFF_MAX		300000

struct poller_job_stats {
	uint64_t	 runs;		/* started */
	uint64_t	 ok;
	uint64_t	 errors;
	uint64_t	 noanswer;
	uint64_t	 overruns;	/* turns skipped: still running/waiting */
	uint64_t	 skipped_down;	/* turns skipped while the session was
					 * down */
	uint64_t	 waited;	/* runs that waited for a free slot */
	uint64_t	 last_start_us;	/* 0: never */
	uint64_t	 last_end_us;
	uint64_t	 last_duration_us;
	uint64_t	 next_us;	/* next turn; 0: none scheduled */
};

struct poller_sess_stats {
	enum poller_state state;
	uint32_t	 fails;		/* consecutive runs without answer */
	uint64_t	 since_us;	/* in this state since */
	uint64_t	 transitions;	/* up->down and down->up */
	uint64_t	 probes;
	uint32_t	 backoff_ms;	/* current probe wait (down only) */
	uint64_t	 next_probe_us;	/* 0: none */
	uint32_t	 running;
	bool		 enabled;
};

struct poller_stats {
	uint64_t	 runs;
	uint64_t	 overruns;
	uint64_t	 skipped_down;
	uint64_t	 waited;
	uint32_t	 running;
	uint32_t	 waiting;
	size_t		 sessions;
	size_t		 jobs;
	size_t		 down;
};

/*
 * NULL on allocation failure.  The epoch of every grid is now, or, with
 * io->wall_us, the start of 1970 on the wall clock, translated to the
 * monotonic clock once, here: a job's turns then lie where the wall clock
 * reads phase + k * interval, the same moments on every node of a cluster
 * whatever its start time, and a turn begins its wall-clock slot
 * (poller_phase_us) instead of falling anywhere inside it.
 */
struct poller	*poller_new(const struct poller_io *io,
		    const struct poller_conf *conf, uint64_t seed);
/* Cancels running jobs (io->cancel) and frees everything.  NULL is
 * fine. */
void		 poller_free(struct poller *p);
/* Change the bounds and backoff; takes effect from the next decision. */
void		 poller_set_conf(struct poller *p, const struct poller_conf *c);
const struct poller_conf *poller_get_conf(const struct poller *p);

/* The deadline asked for with wake() has passed. */
void		 poller_timer(struct poller *p);

/*
 * A session, enabled, state unknown.  name seeds the phases of its jobs
 * (it is not kept).  NULL on allocation failure.
 */
struct poller_sess *poller_sess_add(struct poller *p, const char *name,
		    void *udata);
/* Removes its jobs (running ones cancelled) and frees it.  NULL fine. */
void		 poller_sess_remove(struct poller_sess *ps);
/* Disable: its jobs stop (running ones cancelled).  Enable: its jobs
 * rejoin their grids, state unknown. */
void		 poller_sess_enable(struct poller_sess *ps, bool on);
void		*poller_sess_udata(const struct poller_sess *ps);
void		 poller_sess_get_stats(const struct poller_sess *ps,
		    struct poller_sess_stats *st);
/* Forget up/down history: state unknown, no failures. */
void		 poller_sess_reset(struct poller_sess *ps);

/*
 * A job of ps every interval_ms, jitter_ms < interval (larger is
 * clamped); name (not kept) and the session's name give its phase.  Its
 * first turn is its next grid turn.  NULL on allocation failure or a zero
 * interval.
 */
/*
 * The offset (us) of the turns of job in session's polls within their
 * interval, as scheduled here: a function of the names only, so that
 * cluster nodes number a poll's runs alike (cluster.c, Nats-Msg-Id).
 */
uint64_t	 poller_phase_us(const char *session, const char *job,
		    uint64_t interval_us);
struct poller_job *poller_job_add(struct poller_sess *ps, const char *name,
		    uint32_t interval_ms, uint32_t jitter_ms, void *udata);
/* Stop (cancelling a run) and free.  NULL is fine. */
void		 poller_job_remove(struct poller_job *j);
/*
 * Run j now, out of turn (also when its session is down: an answer
 * brings it up).  0 when started or waiting for a slot, -1 when it is
 * already running or waiting, or its session is disabled.
 */
int		 poller_job_run_now(struct poller_job *j);
/* A run started through io->start ended. */
void		 poller_done(struct poller_job *j, enum poller_outcome outcome);
void		*poller_job_udata(const struct poller_job *j);
struct poller_sess *poller_job_sess(const struct poller_job *j);
bool		 poller_job_running(const struct poller_job *j);
void		 poller_job_get_stats(const struct poller_job *j,
		    struct poller_job_stats *st);
uint32_t	 poller_job_interval_ms(const struct poller_job *j);
/* Jobs of a session, in the order added. */
struct poller_job *poller_job_first(const struct poller_sess *ps);
struct poller_job *poller_job_next(const struct poller_job *j);

void		 poller_get_stats(const struct poller *p,
		    struct poller_stats *st);

const char	*poller_state_name(enum poller_state s);

#endif /* SNMPMGRD_POLL_SCHED_H */
