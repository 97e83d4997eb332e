/*
 * polls.h - scheduled polls on the daemon's sessions: the poll scheduler
 * (poller.h) bound to libevent and to the session engine.  It runs each
 * configured poll (a get of its OIDs, or walks of its subtrees) when the
 * scheduler says, stores the latest values in state.h form, keeps each
 * session's health, publishes poll/response/state/error events, and
 * gives the poll.* control methods (m_poll.c) what they ask for.
 */
#ifndef SNMPMGRD_POLLS_H
#define SNMPMGRD_POLLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

struct config;
struct daemon;
struct dsess;
struct oid;
struct polls;
struct polls_wait;

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

/* "up", "down", "unknown", "disabled" or "error" (no core session). */
const char	*polls_state_name(const struct dsess *ds);
/* Add state, last_success, last_error, srtt_ms, overruns, polls to a
 * session.list row.  0 or -1. */
int		 polls_row_json(const struct dsess *ds, json_t *row);
/* {"state": {...}, "polls": [...]} for session.show.  New reference. */
json_t		*polls_show_json(const struct dsess *ds);
/* Keys for daemon.status (sessions_up, sessions_down, polls_per_second,
 * overruns, timeouts, ...).  0 or -1. */
int		 polls_status_json(struct polls *P, json_t *res);
/* The scheduler's and the store's numbers for daemon.stats. */
json_t		*polls_stats_json(struct polls *P);

/*
 * poll.results: the latest values of ds's polls (or of the one named
 * poll) as JSON text in *out (malloc'ed, *outlen bytes).  0, or -1 when
 * there is no such poll or memory runs out (err set).
 */
int		 polls_results(struct polls *P, struct dsess *ds,
		    const char *poll, char **out, size_t *outlen, char *err,
		    size_t errsize);
/* poll.value: the latest stored value of o as JSON text.  0, -1 when no
 * poll of ds stored it, -2 when memory runs out. */
int		 polls_value(struct polls *P, struct dsess *ds,
		    const struct oid *o, char **out, size_t *outlen);
/* reset: forget ds's stored values. */
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

#endif /* SNMPMGRD_POLLS_H */
