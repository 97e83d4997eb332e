/*
 * views_poll.c - JSON of a poll and of the poll events (views_poll.h).
 *
 * Moved out of polls.c, which now fills plain structs and publishes what
 * these return.
 */
#include <config.h>		/* autoconf's */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/errors.h"

#include "render.h"
#include "state.h"
#include "views_poll.h"

json_t *
view_state_err(const struct state_err *e)
{
	const char	*msg;
	char		 t[40];

	if (e->code == 0)
		return json_null();
	msg = snmpmgr_strerror(e->code);
	state_format_time(e->time_ms, t, sizeof(t));
	return json_pack("{s:i,s:s,s:s,s:s}", "code", e->code, "message",
	    msg ? msg : "?", "detail", state_err_detail(e), "time", t);
}

json_t *
view_state_time(uint64_t ms)
{
	char	 t[40];

	if (ms == 0)
		return json_null();
	state_format_time(ms, t, sizeof(t));
	return json_string(t);
}

/* Add "rate_interval_ms" to o for a set with rates: the time between
 * the sample and the one before, null when its counters have no rates. */
static json_t *
add_rate_interval(json_t *o, const struct state_vals *v)
{
	if (o == NULL || v->rates == NULL)
		return o;
	json_object_set_new(o, "rate_interval_ms", v->rates->interval_us > 0 ?
	    json_real(v->rates->interval_us / 1000.0) : json_null());
	return o;
}

json_t *
view_poll_job(const struct state_job_info *ji, uint64_t now_us)
{
	const struct state_poll	*st = ji->st;
	json_t			*o;

	o = json_pack("{s:s,s:s,s:I,s:o,s:f,s:I,s:b,s:o,s:I,s:I,s:I,s:I,"
	    "s:I,s:I}",
	    "poll", ji->poll,
	    "kind", ji->table_elen > 0 ? "table" : ji->is_walk ? "walk" :
	    "get",
	    "interval_ms", (json_int_t)ji->interval_ms,
	    "time", view_state_time(st->have ? st->time_ms : 0),
	    "duration_ms", st->duration_us / 1000.0,
	    "count", (json_int_t)(st->have ? st->vals.n : 0),
	    "running", ji->running,
	    "error", st->last_failed ? view_state_err(&st->err) :
	    json_null(),
	    "runs", (json_int_t)ji->runs,
	    "ok", (json_int_t)ji->ok,
	    "failed", (json_int_t)ji->failed,
	    "overruns", (json_int_t)ji->overruns,
	    "skipped_down", (json_int_t)ji->skipped_down,
	    "next_in_ms", (json_int_t)(ji->next_us > now_us ?
	    (ji->next_us - now_us) / 1000 : 0));
	return add_rate_interval(o, &st->vals);
}

void
view_poll_job_render(struct render_buf *b, const struct state_job_info *ji,
    uint64_t now_us)
{
	json_t	*sum;
	char	*s;
	size_t	 n;

	/* The summary, with "varbinds" added before its closing brace. */
	sum = view_poll_job(ji, now_us);
	s = sum != NULL ? json_dumps(sum, RENDER_JSON_DUMP) : NULL;
	json_decref(sum);
	if (s == NULL) {
		b->failed = true;
		return;
	}
	n = strlen(s);
	render_add(b, s, n - 1);
	free(s);
	render_adds(b, ",\"varbinds\":");
	state_vals_render(b, &ji->st->vals);
	if (ji->table_elen > 0) {
		/* the same objects as the table's rows */
		render_adds(b, ",\"rows\":");
		state_vals_render_rows(b, &ji->st->vals, ji->table_elen, &n);
	}
	render_add(b, "}", 1);
}

void
view_store_render(struct render_buf *b, const struct state_poll *st)
{
	char	t[40];

	state_format_time(st->time_ms, t, sizeof(t));
	render_adds(b, ",\"stored\":{\"time\":");
	render_json_str(b, t, strlen(t));
	render_adds(b, ",\"count\":");
	render_u64(b, st->vals.n);
	render_adds(b, ",\"varbinds\":");
	state_vals_render(b, &st->vals);
	render_add(b, "}", 1);
}

json_t *
view_ev_state(const char *to, const char *from, const struct state_err *err)
{
	const char	*msg;
	json_t		*data;

	data = json_pack("{s:s,s:s}", "state", to, "previous", from);
	if (data != NULL && err != NULL) {
		msg = snmpmgr_strerror(err->code);
		json_object_set_new(data, "error", json_pack("{s:i,s:s,s:s}",
		    "code", err->code, "message", msg ? msg : "?",
		    "detail", state_err_detail(err)));
	}
	return data;
}

json_t *
view_ev_poll(const char *poll, int error, const char *detail,
    double duration_ms, uint64_t count)
{
	const char	*msg;
	json_t		*data;

	data = json_pack("{s:s,s:b,s:f,s:I}", "poll", poll, "ok", error == 0,
	    "duration_ms", duration_ms, "count", (json_int_t)count);
	if (data != NULL && error != 0) {
		msg = snmpmgr_strerror(error);
		json_object_set_new(data, "error", json_pack("{s:i,s:s,s:s}",
		    "code", error, "message", msg ? msg : "?", "detail",
		    detail ? detail : ""));
	}
	return data;
}

json_t *
view_ev_response(const char *poll, struct render_buf *b,
    const struct state_vals *vals)
{
	json_error_t	 jerr;
	json_t		*vbs;

	render_buf_reset(b);
	state_vals_render(b, vals);
	vbs = b->failed ? NULL : json_loadb(b->p, b->len, 0, &jerr);
	return add_rate_interval(json_pack("{s:s,s:o*}", "poll", poll,
	    "varbinds", vbs), vals);
}

void
view_ev_response_text(struct render_buf *b, struct render_oidcache *c,
    const char *poll, const struct state_vals *vals)
{
	double	 ms;

	render_buf_reset(b);
	render_adds(b, "\"poll\":");
	render_json_str(b, poll, strlen(poll));
	render_adds(b, ",\"varbinds\":");
	state_vals_render_c(b, c, vals);
	if (vals->rates != NULL) {
		render_adds(b, ",\"rate_interval_ms\":");
		/* As jansson writes a real: 5000.0, not 5000. */
		ms = vals->rates->interval_us / 1000.0;
		if (vals->rates->interval_us > 0 && ms == (double)(int64_t)ms) {
			render_i64(b, (int64_t)ms);
			render_adds(b, ".0");
		} else if (vals->rates->interval_us > 0)
			render_double(b, ms);
		else
			render_adds(b, "null");
	}
}

json_t *
view_ev_poll_error(const char *poll, int error, const char *detail)
{
	const char	*msg = snmpmgr_strerror(error);

	return json_pack("{s:s,s:i,s:s,s:s}", "poll", poll, "code", error,
	    "message", msg ? msg : "?", "detail", detail ? detail : "");
}
