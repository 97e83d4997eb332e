/*
 * metrics.h - the Prometheus view: every polled value and snmpmgrd's own
 * health as text exposition (format 0.0.4) or OpenMetrics 1.0, built from
 * the getters of polls.h, sessions.h, traps.h and events.h, as views.c
 * builds JSON.  daemon/http.c serves it.
 *
 * Names: a value's metric is its object's MIB label ("ifHCInOctets") when
 * the current MIB set knows it, else "oid_" and the arcs of the poll's
 * OID that holds it; a table row's index becomes labels named after the
 * INDEX objects (ifIndex="3"), else index="1.2.3".  Every sample has the
 * labels session, host and poll, and the poll's "labels" columns.
 * Counter32/64 are counters, other numbers gauges (printed as exact
 * integers), strings info-style gauges of value 1 with the text as a
 * label named after the metric.  A counter of a poll asking for rates
 * also has a NAME_rate gauge: its rate per second, when its latest sample
 * has one (state_vals_rate()).  Label values are escaped so the text is
 * always valid: backslash, quote and newline as the format says, bytes
 * that are not UTF-8 text as the four characters \xNN.
 */
#ifndef SNMPMGRD_METRICS_H
#define SNMPMGRD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct dsess;
struct render_buf;
struct metrics_scratch;

/* What to render. */
struct metrics_sel {
	bool			 openmetrics;	/* else text 0.0.4 */
	const struct dsess	*only;		/* NULL: every session */
	const char		*poll;		/* NULL: every poll */
	bool			 values;	/* the polled values */
	bool			 health;	/* snmpmgrd_* */
	/* Memory kept for the next rendering (NULL: its own). */
	struct metrics_scratch	*scratch;
};

/*
 * A rendering of many sessions needs megabytes of working memory (an
 * entry per value, the sessions' labels escaped once); fresh memory
 * costs its page faults on every scrape, so a caller that renders often
 * keeps one scratch, owned by it, used by one rendering at a time.
 * NULL when memory ran out (renderings then use their own).
 */
struct metrics_scratch *metrics_scratch_new(void);
void	 metrics_scratch_free(struct metrics_scratch *sc);

/* Append the exposition to b (without OpenMetrics' "# EOF", which the
 * caller adds after its own metrics).  b->failed on allocation failure. */
void	 metrics_render(struct daemon *d, const struct metrics_sel *sel,
	    struct render_buf *b);

/*
 * snmpmgrd's own metric families, each with its name, type and HELP text
 * in one table (metrics.c).  A counter's name here has no "_total": its
 * samples add it, and so does its TYPE line in the text format (which
 * names the samples), not in OpenMetrics (which names the family).
 */
enum metrics_fam {
	MF_UPTIME, MF_SESSIONS, MF_SESSIONS_DOWN, MF_POLLS_SCHEDULED,
	MF_POLLS_RUNNING, MF_POLLS_WAITING, MF_POLLS_DONE, MF_POLLS_FAILED,
	MF_POLLS_OVERRUNS, MF_STORE_OBJECTS, MF_STORE_BYTES,
	MF_EVENT_SUBSCRIBERS, MF_EVENTS_DELIVERED, MF_EVENTS_PUBLISHED,
	MF_EVENT_SUBSCRIPTIONS_ENDED,
	/* per session, in the order of metrics.c's sfig */
	MF_SESSION_UP, MF_SESSION_REQUESTS, MF_SESSION_RESPONSES,
	MF_SESSION_TIMEOUTS, MF_SESSION_RETRIES, MF_SESSION_BAD_PACKETS,
	MF_SESSION_RTT,
	/* per poll, in the order of metrics.c's pfig */
	MF_POLL_RUNS, MF_POLL_OK, MF_POLL_FAILED, MF_POLL_OVERRUNS,
	MF_POLL_SKIPPED_DOWN, MF_POLL_DURATION, MF_POLL_LAST_SUCCESS,
	MF_TRAP_PACKETS, MF_TRAPS_ACCEPTED, MF_TRAPS_REJECTED,
	MF_TRAP_ACKS_SENT, MF_TRAP_ACKS_DROPPED, MF_TRAP_ACKS_WAITING,
	MF_TRAP_ACKS_OVERFLOW, MF_TRAP_ACKS_AGAIN, MF_TRAP_TCP_HOLDS,
	MF_JOURNAL_RECORDS,
	MF_JOURNAL_BYTES, MF_JOURNAL_FILE_SIZE, MF_JOURNAL_ROTATIONS,
	MF_JOURNAL_WRITE_ERRORS, MF_JOURNAL_RECORDS_LOST,
	MF_JOURNAL_SYNC_ERRORS, MF_JOURNAL_PENDING,
	MF_HTTP_CONNECTIONS, MF_HTTP_ACCEPTED, MF_HTTP_REFUSED,
	MF_HTTP_EVICTED, MF_HTTP_REQUESTS, MF_HTTP_BAD_REQUESTS,
	MF_HTTP_TIMEOUTS, MF_HTTP_RENDERS, MF_HTTP_PROBES_WAITING,
	MF_HTTP_TLS_FAILURES, MF_PROBE_SUCCESS, MF_PROBE_DURATION,
	MF__COUNT
};

/* One family of a single sample without labels: v, or v 10^-dec units
 * for a family the table gives dec digits after the point. */
void	 metrics_scalar(struct render_buf *b, const struct metrics_sel *sel,
	    enum metrics_fam f, uint64_t v);

/* A label value escaped as metrics.h says (no quotes added). */
void	 metrics_label_value(struct render_buf *b, const char *s, size_t n);

#endif /* SNMPMGRD_METRICS_H */
