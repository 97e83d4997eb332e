/*
 * views_poll.h - JSON of a poll and of the poll events, built from the
 * plain structs of state.h.
 *
 * These builders read nothing but their arguments, so polls.c can call
 * them to publish events and answer poll.run without the views depending
 * back on it; views.c uses them for session.show.
 */
#ifndef SNMPMGRD_VIEWS_POLL_H
#define SNMPMGRD_VIEWS_POLL_H

#include <stdint.h>

typedef struct json_t json_t;

struct render_buf;
struct state_err;
struct state_job_info;
struct state_poll;
struct state_vals;

/* null, or {"code", "message", "detail", "time"}.  New reference. */
json_t	*view_state_err(const struct state_err *e);
/* null for 0, else the wall-clock time as "2026-...Z".  New reference. */
json_t	*view_state_time(uint64_t ms);

/* One poll's summary (no values), next turn counted from now_us. */
json_t	*view_poll_job(const struct state_job_info *ji, uint64_t now_us);
/* The summary with its latest "varbinds" as JSON text into b (b->failed
 * set when memory runs out). */
void	 view_poll_job_render(struct render_buf *b,
	    const struct state_job_info *ji, uint64_t now_us);
/* ,"stored":{"time","count","varbinds"}: a session's store (state.h). */
void	 view_store_render(struct render_buf *b, const struct state_poll *st);

/* Event data (events.h).  New references, NULL when memory runs out. */
/* "state": to and from are state names; err (NULL: none) is added. */
json_t	*view_ev_state(const char *to, const char *from,
	    const struct state_err *err);
/* "poll": a run of poll ended (error 0: well). */
json_t	*view_ev_poll(const char *poll, int error, const char *detail,
	    double duration_ms, uint64_t count);
/* "response": the values a run stored, rendered through b (scratch). */
json_t	*view_ev_response(const char *poll, struct render_buf *b,
	    const struct state_vals *vals);
/* The same as members text (`"poll":..,"varbinds":[..]`), into b; a get
 * poll's OID text through c (render.h; NULL: none). */
struct render_oidcache;
void	 view_ev_response_text(struct render_buf *b,
	    struct render_oidcache *c, const char *poll,
	    const struct state_vals *vals);
/* "error": a run of poll failed. */
json_t	*view_ev_poll_error(const char *poll, int error, const char *detail);

#endif /* SNMPMGRD_VIEWS_POLL_H */
