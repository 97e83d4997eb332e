/*
 * polls.h - scheduled polls on the daemon's sessions: the poll scheduler
 * (poll_sched.h) bound to libevent and to the session engine.  It runs each
 * configured poll (a get of its OIDs, or walks of its subtrees) when the
 * scheduler says, stores the latest values in state.h form, keeps each
 * session's health, publishes poll/response/state/error events (their
 * data built by views_poll.c), and runs poll.run for m_poll.c.  What the
 * other poll.* methods and session.show show is built by views.c from
 * polls_sess_info, polls_job_info and polls_info.
 */
#ifndef SNMPMGRD_POLLS_H
#define SNMPMGRD_POLLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "poll_sched.h"

struct config;
struct daemon;
struct dsess;
struct polls;
struct polls_wait;
struct sessions;
struct state_job_info;
struct state_sess;

/* NULL with the reason logged.  Schedules nothing yet. */
struct polls	*polls_new(struct daemon *d);
/* Cancels every run (waiting clients get 398) and frees. */
void		 polls_free(struct polls *P);
/* Take the scheduler section of c (bounds, backoff). */
void		 polls_configure(struct polls *P, const struct config *c);
/* Stop every poll (shutdown): runs cancelled, nothing scheduled. */
void		 polls_stop(struct polls *P);

/*
 * Schedule the polls ds lists (names of the daemon config's polls).  0, or
 * -1 when memory runs out or a poll is not defined (err set).
 */
int		 polls_attach(struct polls *P, struct dsess *ds, char *err,
		    size_t errsize);
/* Unschedule and forget (runs cancelled).  Fine without polls. */
void		 polls_detach(struct polls *P, struct dsess *ds);
/*
 * After a reload replaced the daemon's config: point ds's polls at the new
 * definitions; a poll whose definition changed is rescheduled and its
 * values dropped, one no longer listed removed, a new one added; the
 * others keep their schedule, values and runs in flight.  0 or -1 (err).
 */
int		 polls_sync(struct polls *P, struct dsess *ds, char *err,
		    size_t errsize);
/* The session was enabled or disabled. */
void		 polls_enable(struct polls *P, struct dsess *ds, bool on);
/* Cluster mode: another node owns ds (idle: scheduled nothing, kept), or
 * this one does again. */
void		 polls_set_idle(struct polls *P, struct dsess *ds, bool idle);

/* "up", "down", "unknown", "disabled" or "error" (no core session). */
const char	*polls_state_name(const struct dsess *ds);
/*
 * What the views (views.c) read, as plain numbers.  polls_sess_info: 0
 * with info filled, -1 when ds has no polls.  polls_job_info: poll i
 * (< info.njobs) of ds.
 */
struct polls_sess_info {
	size_t			 njobs;
	const struct state_sess	*st;
	struct poller_sess_stats sched;
	uint64_t		 now_us;	/* the scheduler's clock */
};
int		 polls_sess_info(const struct dsess *ds,
		    struct polls_sess_info *info);
void		 polls_job_info(const struct dsess *ds, size_t i,
		    struct state_job_info *ji);
/* The scheduler's and the store's numbers (daemon.status, .stats). */
struct polls_info {
	struct poller_stats	 sched;
	const struct poller_conf *conf;
	uint64_t		 done;		/* runs ended */
	uint64_t		 failed;
	double			 per_second;
	size_t			 objects;	/* values stored */
	size_t			 bytes;
	struct sessions		*sessions;	/* the daemon's */
};
void		 polls_info(struct polls *P, struct polls_info *pi);

/* reset: forget ds's stored values (its polls' and its store's). */
void		 polls_reset(struct polls *P, struct dsess *ds);
/*
 * poll.run: run ds's polls (or the one named) now, and wait for them.
 * NULL with *why one of POLLS_RUN_*.  The runs may all have ended on
 * return (polls_wait_ended); otherwise the callback set with
 * polls_wait_set_cb runs when the last one ends.  ds must have a core
 * session.
 */
#define POLLS_RUN_DISABLED	1	/* the session is disabled */
#define POLLS_RUN_NO_POLL	2	/* no such poll (or no polls) */
#define POLLS_RUN_NOMEM		3
struct polls_wait *polls_run(struct polls *P, struct dsess *ds,
		    const char *poll, int *why);
bool		 polls_wait_ended(const struct polls_wait *pw);
void		 polls_wait_set_cb(struct polls_wait *pw,
		    void (*cb)(struct polls_wait *, void *), void *arg);
/* The results of the polls waited for as JSON text in *out (malloc'ed,
 * *outlen bytes): 1; 0 when they were all removed meanwhile; -1 when
 * memory runs out. */
int		 polls_wait_result(struct polls_wait *pw, char **out,
		    size_t *outlen);
/* Stop waiting (the runs go on).  NULL is fine. */
void		 polls_wait_free(struct polls_wait *pw);

/*
 * While the events of a run that ended are published (from an events
 * tap): the wall-clock time (us since 1970) at which that run started,
 * so that a result is named by its run, not by when its answer came.
 * 0 at any other time.
 */
uint64_t	 polls_publishing_start_us(const struct polls *P);

#endif /* SNMPMGRD_POLLS_H */
