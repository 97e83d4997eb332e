/*
 * state.h - what snmpmgrd knows about its agents right now: the latest
 * values of each poll (with when and how long it took), the last error,
 * and per-session health.  The one place the control methods read poll
 * results from.
 *
 * Values are kept packed: one array of 16-byte records and one byte area
 * per poll, reused from run to run, so storing a result costs copies and
 * no allocation once a poll's size is known.  The OIDs of a get poll's
 * answer are normally the ones it asked for, in that order: then they are
 * not stored at all, only the values (a record each for integers), so ten
 * thousand sessions of ten objects take under two megabytes.  Only the
 * latest values are kept (no history); a poll holds at most
 * SNMPMGR_MAX_POLL_OBJECTS objects.
 */
#ifndef SNMPMGRD_STATE_H
#define SNMPMGRD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oid;
struct snmp_varbind;
struct render_buf;
struct state_vals;

/* Objects one poll result may hold (a walk past it ends with 302). */
#define SNMPMGR_MAX_POLL_OBJECTS	100000

/*
 * One stored object: its OID arcs (unless the set is named, see below)
 * and value bytes live in the data area.
 */
struct state_vb {
	uint64_t	 u;		/* integer value (int64_t bits for
					 * Integer32) */
	uint32_t	 off;		/* arcs, then value bytes */
	uint16_t	 len;		/* value bytes (<= SNMPMGR_MAX_MSG_SIZE) */
	uint8_t		 type;		/* SNMP_T_* */
	uint8_t		 oidlen;	/* arcs stored (<= SNMPMGR_MAX_OID_LEN) */
};

/*
 * The rates of a set's counters (core/rate.h), for polls that ask for
 * them: what the sample was (its monotonic time, the agent's boots) and
 * per object its enum rate_status and, for RATE_OK, the rate per second.
 * The previous values are the previous set itself: nothing else is kept.
 */
struct state_rates {
	uint64_t	 time_us;	/* monotonic, when taken */
	uint64_t	 interval_us;	/* since the sample before; 0: none */
	uint32_t	 boots;		/* snmpEngineBoots, if have_boots */
	uint32_t	 n;		/* objects with a status */
	uint32_t	 cap;
	bool		 have_boots;
	uint8_t		*st;		/* [i]: enum rate_status (after
					 * rate[cap], same allocation) */
	double		 rate[];	/* [i] for st[i] == RATE_OK */
};

/* Room for n statuses (all RATE_NONE) in v's rates, made if need be.  0
 * or -1 (out of memory; v keeps no rates then). */
int	 state_rates_prepare(struct state_vals *v, size_t n);

/*
 * A set of objects.  A named set (names != NULL) holds exactly nnames
 * objects whose OIDs are names[0..], in that order (a get poll's request
 * OIDs, owned by the config); any other set stores OIDs and is sorted by
 * OID once finished.
 */
struct state_vals {
	struct state_vb	*vb;
	uint8_t		*data;
	const struct oid *names;
	struct state_rates *rates;	/* NULL: no rates (owned) */
	/* Counts and sizes fit 32 bits (SNMPMGR_MAX_POLL_OBJECTS, data
	 * offsets): a set is in every poll job of every session. */
	uint32_t	 n;
	uint32_t	 cap;
	uint32_t	 len;
	uint32_t	 datacap;
	uint32_t	 dead;		/* bytes of data no record uses (replaced
					 * objects); len - dead are live */
	uint32_t	 nnames;
	bool		 sorted;
	/*
	 * A named set whose values have no bytes (integers, counters,
	 * exceptions: most polls) keeps no records: data holds the n
	 * value words (uint64_t), then the n types; vb is not used.  Read
	 * through state_vals_get() and state_vals_value().
	 */
	bool		 compact;
};

void	 state_vals_init(struct state_vals *v);
/* Forget the objects, keep the memory. */
void	 state_vals_clear(struct state_vals *v);
void	 state_vals_free(struct state_vals *v);
/* Append n objects.  0, or -1 when memory or SNMPMGR_MAX_POLL_OBJECTS
 * runs out (nothing of the call is kept then). */
int	 state_vals_add(struct state_vals *v, const struct snmp_varbind *vb,
	    size_t n);
/*
 * Replace the set with the answer to a get of names[0..nnames-1]: named
 * when the answer's OIDs are exactly those, else stored and sorted.  0 or
 * -1 (the set is empty then).
 */
int	 state_vals_set_get(struct state_vals *v, const struct snmp_varbind *vb,
	    size_t n, const struct oid *names, size_t nnames);
/*
 * The same for an answer decoded raw against its request (core/pdu.h,
 * snmp_msg_decode_expect) whose names are all those asked for, in order,
 * and whose values have no octets (integers, counters): 0 when set, as
 * state_vals_set_get would; 1 when the answer is not such (nothing
 * changed: decode it and use state_vals_set_get); -1 out of memory (the
 * set is empty then).
 */
int	 state_vals_set_asked(struct state_vals *v,
	    const struct snmp_vbraw *raw, size_t n, const struct oid *names,
	    size_t nnames);
/* The names moved (a reload kept the poll, with equal OIDs). */
void	 state_vals_rename(struct state_vals *v, const struct oid *names);
/* Sort by OID (a later duplicate OID wins). */
void	 state_vals_finish(struct state_vals *v);
void	 state_vals_swap(struct state_vals *a, struct state_vals *b);
/* Index of the object named o in a finished set, or -1. */
ssize_t	 state_vals_find(const struct state_vals *v, const struct oid *o);
/* Object i as a varbind (value bytes point into v). */
void	 state_vals_get(const struct state_vals *v, size_t i,
	    struct snmp_varbind *out);
/* Object i's value alone, and its OID's length in arcs. */
struct snmp_value;
void	 state_vals_value(const struct state_vals *v, size_t i,
	    struct snmp_value *out, size_t *oidlen);
/* A JSON array of every object (render.c's varbind format, with "rate"
 * or "discontinuity" and "discontinuity_reason" where the rates say). */
void	 state_vals_render(struct render_buf *b, const struct state_vals *v);
/* The same, a named set's OID text (a get's objects, the same every run)
 * through c (render.h), the caller's. */
struct render_oidcache;
void	 state_vals_render_c(struct render_buf *b, struct render_oidcache *c,
	    const struct state_vals *v);
/* Object i alone, the same way. */
void	 state_vals_render_one(struct render_buf *b, const struct state_vals *v,
	    size_t i);
/* What the rates say of object i: an enum rate_status (core/rate.h),
 * RATE_NONE when the set has none; *rate set for RATE_OK.  For other
 * readers of the store (an exporter) as for the views. */
int	 state_vals_rate(const struct state_vals *v, size_t i, double *rate);
/*
 * The objects as table rows (snmp.table, table polls): those under an
 * entry OID of elen arcs (entry.COLUMN.INDEX...), grouped by index in
 * index order, as [{"suffix": "1", "index": {"ifIndex": 1}, "values":
 * {"ifDescr": VARBIND, ...}}, ...]; columns named by the current MIBs
 * (else their arc), the index decoded when they can; the number of
 * rows in *nrows.
 */
void	 state_vals_render_rows(struct render_buf *b,
	    const struct state_vals *v, size_t elen, size_t *nrows);
/* Bytes held, for daemon.stats. */
size_t	 state_vals_memory(const struct state_vals *v);

/* The last error of a poll or session. */
struct state_err {
	int		 code;		/* 0: none */
	char		*detail;	/* NULL: none; owned */
	uint64_t	 time_ms;	/* wall clock, ms since the epoch */
};

/* Set e (detail copied; NULL fine).  Copy src into dst.  Free. */
void	 state_err_set(struct state_err *e, int code, const char *detail,
	    uint64_t time_ms);
void	 state_err_copy(struct state_err *dst, const struct state_err *src);
void	 state_err_free(struct state_err *e);
/* The detail, "" when there is none. */
const char *state_err_detail(const struct state_err *e);

/* The latest of one poll of one session. */
struct state_poll {
	struct state_vals vals;		/* latest complete result */
	struct state_vals *work;	/* being filled by a walk
					 * (state_poll_work); NULL between
					 * runs */
	uint64_t	 time_ms;	/* when vals was taken (wall clock) */
	uint64_t	 duration_us;
	bool		 have;		/* vals holds a result */
	struct state_err err;		/* of the last failed run */
	bool		 last_failed;	/* the last run failed */
	uint64_t	 ok;
	uint64_t	 failed;
};

void	 state_poll_init(struct state_poll *sp);
/* The work area of a walk, made when first asked for; NULL when memory
 * runs out.  Freed when the run ends (commit, fail, reset). */
struct state_vals *state_poll_work(struct state_poll *sp);
void	 state_poll_work_free(struct state_poll *sp);
void	 state_poll_free(struct state_poll *sp);
/* A walk ended well: work becomes the latest values. */
void	 state_poll_commit(struct state_poll *sp, uint64_t time_ms,
	    uint64_t duration_us);
/* A get ended well: vals was filled already. */
void	 state_poll_done(struct state_poll *sp, uint64_t time_ms,
	    uint64_t duration_us);
/* A run failed: the latest values stay, the error is noted. */
void	 state_poll_fail(struct state_poll *sp, int code, const char *detail,
	    uint64_t time_ms);
/* reset: forget the stored objects (counters stay). */
void	 state_poll_reset(struct state_poll *sp);

/*
 * A session's store: what ad-hoc operations asked to keep ("store": true
 * on snmp.get, getnext, getbulk and walk), the latest value of each OID,
 * kept in a state_poll whose vals only ever grow (a later value of an
 * OID replaces the earlier; exceptions are left out) until reset.
 * state_store_add() adds an answer's varbinds at once; a walk stages its
 * rows in a state_vals of its own (state_vals_add) and
 * state_store_commit() moves them in at its end (staged is left as it
 * was, sorted; the walk frees it).  Each costs about its own objects'
 * lookups, not a pass over the store.  0, or -1 when
 * SNMPMGR_MAX_POLL_OBJECTS or memory runs out (what fitted is kept).
 */
int	 state_store_add(struct state_poll *sp, const struct snmp_varbind *vb,
	    size_t n, uint64_t time_ms);
int	 state_store_commit(struct state_poll *sp, struct state_vals *staged,
	    uint64_t time_ms);

/* Health of one session beyond what the engine counts. */
struct state_sess {
	uint32_t	 srtt_us;	/* smoothed RTT (RFC 6298 2, alpha 1/8) */
	uint32_t	 rttvar_us;
	bool		 have_rtt;
	uint64_t	 last_ok_ms;	/* wall clock of the last success */
	struct state_err err;		/* last error of any poll */
	uint64_t	 polls_ok;
	uint64_t	 polls_failed;
};

/*
 * One poll of a session as the views show it: plain numbers, filled by
 * polls.c (polls_job_info) and formatted by views_poll.c.
 */
struct state_job_info {
	const char		*poll;
	bool			 is_walk;
	size_t			 table_elen;	/* a table poll: its entry
						   OID's arcs; 0 otherwise */
	uint32_t		 interval_ms;
	const struct state_poll	*st;
	bool			 running;
	uint64_t		 runs;
	uint64_t		 ok;
	uint64_t		 failed;	/* errors and no answers */
	uint64_t		 overruns;
	uint64_t		 skipped_down;
	uint64_t		 next_us;	/* next turn; 0: none */
};

/* Fold one RTT sample into the smoothed RTT. */
void	 state_sess_rtt(struct state_sess *ss, uint32_t rtt_us);

/* Wall clock now, ms since the epoch. */
uint64_t state_now_ms(void);
/* "2026-11-21T10:00:00.123Z" for a wall-clock ms time. */
void	 state_format_time(uint64_t ms, char *buf, size_t size);

/* Compare a packed OID with a struct oid: <0, 0, >0. */
int	 state_oid_cmp(const uint32_t *arcs, size_t n, const struct oid *o);

#endif /* SNMPMGRD_STATE_H */
