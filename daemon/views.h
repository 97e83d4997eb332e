/*
 * views.h - the JSON the control methods answer with, built in one place
 * from what the modules that hold state expose (plain structs and
 * getters): sessions, their polls, the packet counters, the trap
 * receiver's counters.  Those modules build no JSON themselves.
 *
 * Every function returns a new reference, or NULL when memory runs out,
 * unless it says otherwise.
 */
#ifndef SNMPMGRD_VIEWS_H
#define SNMPMGRD_VIEWS_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

struct daemon;
struct dsess;
struct oid;
struct packets;
struct polls;
struct sess;
struct sessions;
struct traps;
struct v3cache;

/* {"sessions": [ROW, ...]} for session.list; only sessions in state (up,
 * down, unknown, disabled, error) when it is not NULL. */
json_t	*view_session_list(struct daemon *d, const struct sessions *t,
	    const char *state);
/* {"engine_id", "engine_boots", "engine_time", "discovery", ...} of a v3
 * session's agent (snmp.discover, session.show, "discovery" events);
 * NULL unless v3. */
json_t	*view_v3_engine(const struct sess *s);
/* {"engine": ..., "usm": {...}} of a v3 session for session.show; NULL
 * unless v3. */
json_t	*view_v3_show(const struct sess *s);
/* {"name", "address", "options", "stats", "state", "polls", ...} for
 * session.show. */
json_t	*view_session_show(struct daemon *d, const struct dsess *ds);
/*
 * The options of ds for session.show and session.config: secrets as
 * "***" unless the session's mask_sensitive_data is false (then keys in
 * hex; passwords are never kept once hashed), with mask_sensitive_data
 * and decrypt_trace.
 */
json_t	*view_session_opts(const struct dsess *ds);

/*
 * poll.results: the latest values of ds's polls (or of the one named
 * poll) as JSON text in *out (malloc'ed, *outlen bytes).  0, or -1 when
 * there is no such poll or memory runs out (err set).
 */
int	 view_poll_results(const struct dsess *ds, const char *poll,
	    char **out, size_t *outlen, char *err, size_t errsize);
/* poll.value: the latest stored value of o as JSON text.  0, -1 when no
 * poll of ds stored it, -2 when memory runs out. */
int	 view_poll_value(const struct dsess *ds, const struct oid *o,
	    char **out, size_t *outlen);

/* Add daemon.status' keys (sessions_up, sessions_down, polls_per_second,
 * overruns, timeouts, ...) to res.  0 or -1. */
int	 view_polls_status(struct polls *P, json_t *res);
/* The scheduler's and the store's numbers for daemon.stats. */
json_t	*view_polls_stats(struct polls *P);

/* {"bad_packets", "bad_packets_by_code": {CODE: n}, "traces"} for
 * daemon.stats' "engine". */
json_t	*view_packets_stats(const struct packets *pk);

/* trap.stats: counters by reason, listeners, journal. */
json_t	*view_traps_stats(const struct traps *t);

/* The inline targets' credential and engine caches for daemon.stats. */
json_t	*view_v3cache_stats(const struct v3cache *vc);

#endif /* SNMPMGRD_VIEWS_H */
