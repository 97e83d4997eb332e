/*
 * views.c - JSON of sessions, polls and counters for the control methods
 * (views.h), from the getters of sessions.h, polls.h, packets.h,
 * traps.h and v3cache.h.  poll.results and poll.value, which can carry a
 * whole agent's values, are rendered as text with render.h instead.
 *
 * Key order and number formats are part of the protocol (tests compare
 * them), so each view packs its members in the order it always has.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/dtls.h"
#include "core/errors.h"
#include "core/hex.h"
#include "core/pdu.h"
#include "core/rate.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/usm.h"

#include "cluster.h"
#include "conf.h"
#include "daemon.h"
#include "packets.h"
#include "polls.h"
#include "render.h"
#include "sess_event.h"
#include "sessions.h"
#include "state.h"
#include "trap_dtls.h"
#include "traps.h"
#include "v3cache.h"
#include "views.h"
#include "views_poll.h"

/* ---------------------------------------------------------- sessions */

static const struct sess_stats *
view_sess_stats(const struct dsess *ds)
{
	static const struct sess_stats zero;

	return ds->s != NULL ? sess_get_stats(ds->s) : &zero;
}

/* The round trip of the last answer: null before the first (as
 * srtt_ms), not 0. */
static json_t *
view_last_rtt(const struct sess_stats *st)
{
	return st->responses > 0 ? json_real(st->last_rtt_us / 1000.0) :
	    json_null();
}

/* Add last_success, last_error, srtt_ms of st (NULL: none yet) to o. */
static void
view_sess_health(json_t *o, const struct state_sess *st)
{
	json_object_set_new(o, "last_success",
	    view_state_time(st != NULL ? st->last_ok_ms : 0));
	json_object_set_new(o, "last_error", st != NULL ?
	    view_state_err(&st->err) : json_null());
	json_object_set_new(o, "srtt_ms", st != NULL && st->have_rtt ?
	    json_real(st->srtt_us / 1000.0) : json_null());
}

/*
 * What a session's health is read from: its polls', or, until one of its
 * polls has run, what its clients' requests left (so a session whose
 * first poll is still ahead shows the round trips it has had).
 */
static const struct state_sess *
view_health_of(const struct dsess *ds, const struct state_sess *polls)
{
	const struct state_sess	*asked = sessions_asked_state(ds);

	if (polls != NULL && polls->polls_ok + polls->polls_failed == 0 &&
	    asked != NULL)
		return asked;
	return polls;
}

/* Add polls, last_success, last_error, srtt_ms, overruns to a
 * session.list row: a session without polls has its client requests'
 * and no overruns. */
static void
view_poll_row(const struct dsess *ds, json_t *row)
{
	struct polls_sess_info	 info;
	struct state_job_info	 ji;
	uint64_t		 overruns = 0;
	size_t			 i;

	if (polls_sess_info(ds, &info) == -1) {
		json_object_set_new(row, "polls", json_integer(0));
		view_sess_health(row, sessions_asked_state(ds));
		return;
	}
	for (i = 0; i < info.njobs; i++) {
		polls_job_info(ds, i, &ji);
		overruns += ji.overruns;
	}
	json_object_set_new(row, "polls",
	    json_integer((json_int_t)info.njobs));
	view_sess_health(row, view_health_of(ds, info.st));
	json_object_set_new(row, "overruns", json_integer((json_int_t)overruns));
}

json_t *
view_session_list(struct daemon *d, const struct sessions *t,
    const char *state)
{
	const struct sess_opts	*o;
	const struct sess_stats	*st;
	const struct dsess	*ds;
	json_t			*rows, *row;
	const char		*ps;
	size_t			 i;

	if ((rows = json_array()) == NULL)
		return NULL;
	for (i = 0; t != NULL && i < sessions_count(t); i++) {
		ds = sessions_at(t, i);
		ps = polls_state_name(ds);
		if (state != NULL && strcmp(state, ps) != 0)
			continue;
		o = sessions_opts(ds);
		st = view_sess_stats(ds);
		row = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b,s:s,s:I,s:I,s:I,s:I,"
		    "s:I,s:o}",
		    "name", ds->name,
		    "host", sessions_host(ds),
		    "port", (int)o->port,
		    "version", sessions_version_name(o->version),
		    "transport", sessions_transport_name(o->transport),
		    "enabled", ds->s != NULL && o->enabled,
		    "state", ps,
		    "requests", (json_int_t)st->requests,
		    "responses", (json_int_t)st->responses,
		    "timeouts", (json_int_t)st->timeouts,
		    "retries", (json_int_t)st->retries,
		    "bad_packets", (json_int_t)st->bad_packets,
		    "last_rtt_ms", view_last_rtt(st));
		if (row == NULL || json_array_append_new(rows, row) == -1)
			goto fail;
		if (ds->s == NULL)
			json_object_set_new(row, "error", json_pack("{s:i,s:s}",
			    "code", ds->err, "detail", ds->errdetail));
		view_poll_row(ds, row);
		if (d->cluster != NULL)
			json_object_set_new(row, "owner", json_string(
			    cluster_owner(d->cluster, ds)));
	}
	return json_pack("{s:o}", "sessions", rows);
 fail:
	json_decref(rows);
	return NULL;
}

json_t *
view_session_opts(const struct dsess *ds)
{
	struct sess_opts so;
	json_t	*o;
	bool	 mask = packets_mask(ds);

	sessions_copy_opts(ds, &so);
	if ((o = config_session_opts_json(&so, mask)) == NULL)
		return NULL;
	json_object_set_new(o, "mask_sensitive_data", json_boolean(mask));
	json_object_set_new(o, "decrypt_trace",
	    json_boolean(packets_decrypt_trace(ds)));
	if (so.transport == SESS_TRANSPORT_DTLS &&
	    config_tls_view(sessions_extra(ds), o) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* session.show: "last_bad_packet" ({"time", "code", "message"}) when the
 * session had one. */
static void
view_bad_packet(const struct dsess *ds, json_t *res)
{
	const char	*msg;
	char		 when[40];

	if (ds->bad_last_ms == 0)
		return;
	state_format_time(ds->bad_last_ms, when, sizeof(when));
	msg = snmpmgr_strerror(ds->bad_code);
	json_object_set_new(res, "last_bad_packet", json_pack(
	    "{s:s,s:i,s:s}", "time", when, "code", ds->bad_code, "message",
	    msg != NULL ? msg : "?"));
}

/* {"state": {...}, "polls": [...]} of session.show. */
static json_t *
view_poll_show(const struct dsess *ds)
{
	struct polls_sess_info	 info;
	struct state_job_info	 ji;
	const struct state_sess	*ss;
	const struct poller_sess_stats *st = &info.sched;
	json_t			*arr, *state;
	uint64_t		 now;
	size_t			 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	if (polls_sess_info(ds, &info) == -1) {
		/* No polls: what its client requests left. */
		if ((state = json_pack("{s:s}", "state",
		    polls_state_name(ds))) != NULL)
			view_sess_health(state, sessions_asked_state(ds));
		return json_pack("{s:o,s:o}", "state", state, "polls", arr);
	}
	now = info.now_us;
	ss = view_health_of(ds, info.st);
	state = json_pack("{s:s,s:I,s:f,s:I,s:I,s:o,s:o,s:o,s:o,s:I,s:I}",
	    "state", polls_state_name(ds),
	    "consecutive_failures", (json_int_t)st->fails,
	    "since_s", (now - st->since_us) / 1e6,
	    "transitions", (json_int_t)st->transitions,
	    "probes", (json_int_t)st->probes,
	    "next_probe_in_ms", st->next_probe_us > now ?
	    json_integer((json_int_t)((st->next_probe_us - now) / 1000)) :
	    json_null(),
	    "last_success", view_state_time(ss->last_ok_ms),
	    "last_error", view_state_err(&ss->err),
	    "srtt_ms", ss->have_rtt ? json_real(ss->srtt_us / 1000.0) :
	    json_null(),
	    "polls_ok", (json_int_t)info.st->polls_ok,
	    "polls_failed", (json_int_t)info.st->polls_failed);
	if (state == NULL) {
		json_decref(arr);
		return NULL;
	}
	for (i = 0; i < info.njobs; i++) {
		polls_job_info(ds, i, &ji);
		json_array_append_new(arr, view_poll_job(&ji, now));
	}
	return json_pack("{s:o,s:o}", "state", state, "polls", arr);
}

/* {"engine_id", "engine_boots", "engine_time", ...} of a v3 session. */
json_t *
view_v3_engine(const struct sess *s)
{
	struct sess_v3_info	 vi;
	json_t			*o;

	if (sess_v3_info(s, &vi) == -1)
		return NULL;
	o = json_pack("{s:s,s:s}", "discovery", sess_disc_name(vi.disc),
	    "security_level", sess_level_name(vi.level));
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "engine_id", vi.engine_id_len > 0 ?
	    config_hex_json(vi.engine_id, vi.engine_id_len) : json_null());
	if (vi.time_known) {
		json_object_set_new(o, "engine_boots", json_integer(vi.boots));
		json_object_set_new(o, "engine_time", json_integer(vi.time));
	} else {
		json_object_set_new(o, "engine_boots", json_null());
		json_object_set_new(o, "engine_time", json_null());
	}
	if (vi.agent_max_size > 0)
		json_object_set_new(o, "msg_max_size",
		    json_integer(vi.agent_max_size));
	if (vi.fallback)
		json_object_set_new(o, "fallback", json_string(
		    vi.fallback_why));
	if (vi.last_error != 0)
		json_object_set_new(o, "last_error", json_pack("{s:i,s:s}",
		    "code", vi.last_error, "message",
		    snmpmgr_strerror(vi.last_error)));
	return o;
}

json_t *
view_v3_show(const struct sess *s)
{
	const struct sess_usm_stats *u;
	json_t		*eng, *res;

	if (s == NULL || (eng = view_v3_engine(s)) == NULL)
		return NULL;
	u = sess_get_usm_stats(s);
	res = json_pack("{s:o,s:{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "engine", eng, "usm",
	    "reports",
	    "unsupported_sec_levels", (json_int_t)u->rpt_unsupported_sec_levels,
	    "not_in_time_windows", (json_int_t)u->rpt_not_in_time_windows,
	    "unknown_user_names", (json_int_t)u->rpt_unknown_user_names,
	    "unknown_engine_ids", (json_int_t)u->rpt_unknown_engine_ids,
	    "wrong_digests", (json_int_t)u->rpt_wrong_digests,
	    "decryption_errors", (json_int_t)u->rpt_decryption_errors,
	    "other", (json_int_t)u->rpt_other,
	    "wrong_digests", (json_int_t)u->wrong_digests,
	    "not_in_time_windows", (json_int_t)u->not_in_time_windows,
	    "unknown_engine_ids", (json_int_t)u->unknown_engine_ids,
	    "unknown_user_names", (json_int_t)u->unknown_user_names,
	    "decryption_errors", (json_int_t)u->decryption_errors,
	    "unauthenticated", (json_int_t)u->unauthenticated,
	    "discoveries", (json_int_t)u->discoveries,
	    "recoveries", (json_int_t)u->recoveries);
	return res;
}

/*
 * A DTLS session's association: null until one is open, then the
 * handshake and the agent's certificate (the seed's ssl_server_cert_*).
 */
static json_t *
view_session_tls(const struct dsess *ds)
{
	uint64_t	 dropped = 0;
	const struct dtls_peer_info *pi = sess_loop_dtls_peer(ds->s, &dropped);
	json_t	*o;

	if (pi == NULL)
		return json_null();
	if ((o = trap_dtls_cert_json(pi)) == NULL)
		return json_null();
	json_object_set_new(o, "protocol", json_string(pi->version));
	json_object_set_new(o, "cipher", json_string(pi->cipher));
	json_object_set_new(o, "accepted_by",
	    json_string(dtls_accept_name(pi->accepted)));
	json_object_set_new(o, "records_dropped", json_integer(
	    (json_int_t)dropped));
	return o;
}

/* What the session's walks learnt of the agent (sess_walk_info). */
static json_t *
view_session_walk(const struct sess *s)
{
	struct sess_walk_info	 wi;

	sess_walk_info(s, &wi);
	return json_pack("{s:o,s:o,s:I,s:o,s:I}",
	    "max_repetitions", wi.hint > 0 ?
	    json_integer(wi.hint) : json_null(),
	    "max_repetitions_ceiling", wi.ceil > 0 ?
	    json_integer(wi.ceil) : json_null(),
	    "max_repetitions_ceiling_walks", (json_int_t)wi.ceil_walks,
	    "columns_ceiling", wi.cols > 0 ?
	    json_integer(wi.cols) : json_null(),
	    "columns_ceiling_walks", (json_int_t)wi.cols_walks);
}

json_t *
view_session_show(struct daemon *d, const struct dsess *ds)
{
	const struct sess_stats	*st = view_sess_stats(ds);
	const struct sockaddr	*sa;
	socklen_t		 salen = 0;
	json_t			*res, *opts, *stats, *polls, *v3;
	char			 addr[TRANSPORT_ADDRSTRLEN];

	/* Secrets masked unless the session's mask_sensitive_data is off. */
	if ((opts = view_session_opts(ds)) == NULL)
		return NULL;
	stats = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I}",
	    "requests", (json_int_t)st->requests,
	    "retries", (json_int_t)st->retries,
	    "responses", (json_int_t)st->responses,
	    "timeouts", (json_int_t)st->timeouts,
	    "bad_packets", (json_int_t)st->bad_packets,
	    "origin_mismatch", (json_int_t)st->origin_mismatch,
	    "version_mismatch", (json_int_t)st->version_mismatch,
	    "duplicates", (json_int_t)st->duplicates,
	    "send_errors", (json_int_t)st->send_errors,
	    "last_rtt_ms", view_last_rtt(st),
	    "pending", (json_int_t)(ds->s != NULL ? sess_pending(ds->s) : 0));
	if (stats == NULL) {
		json_decref(opts);
		return NULL;
	}
	if (ds->s != NULL) {
		sa = sess_addr(ds->s, &salen);
		transport_addr_str(sa, salen, true, addr, sizeof(addr));
		res = json_pack("{s:s,s:s,s:o,s:o}", "name", ds->name,
		    "address", addr, "options", opts, "stats", stats);
		if (res != NULL)
			json_object_set_new(res, "walk",
			    view_session_walk(ds->s));
		/* As it runs: the transport may have changed at run time. */
		if (res != NULL && sess_get_opts(ds->s)->transport ==
		    SESS_TRANSPORT_DTLS)
			json_object_set_new(res, "tls", view_session_tls(ds));
	} else {
		res = json_pack("{s:s,s:n,s:o,s:o,s:{s:i,s:s,s:s}}",
		    "name", ds->name, "address", "options", opts,
		    "stats", stats, "error", "code", ds->err,
		    "message", snmpmgr_strerror(ds->err),
		    "detail", ds->errdetail);
	}
	if (res == NULL)
		return NULL;
	json_object_set_new(res, "origin", json_string(ds->runtime ?
	    "runtime" : "config"));
	json_object_set_new(res, "modified", json_boolean(ds->modified));
	/* SNMPv3: the agent's engine and the usmStats-style counters. */
	if ((v3 = view_v3_show(ds->s)) != NULL) {
		json_object_update(res, v3);
		json_decref(v3);
	}
	if (ds->cs->template_name != NULL)
		json_object_set_new(res, "template",
		    json_string(ds->cs->template_name));
	view_bad_packet(ds, res);
	if ((polls = view_poll_show(ds)) == NULL ||
	    json_object_update(res, polls) == -1) {
		json_decref(polls);
		json_decref(res);
		return NULL;
	}
	json_decref(polls);
	return res;
}

/* ------------------------------------------------------------- polls */

/* The latest values of ds's polls (or of the one named poll), rendered
 * without building jansson objects: one can hold a whole agent. */
int
view_poll_results(const struct dsess *ds, const char *poll, char **out,
    size_t *outlen, char *err, size_t errsize)
{
	struct polls_sess_info	 info;
	struct state_job_info	 ji;
	const struct state_poll	*store;
	struct render_buf	 b;
	size_t			 i, n = 0;

	if (polls_sess_info(ds, &info) == -1)
		info.njobs = 0;
	render_buf_init(&b);
	render_adds(&b, "{\"session\":");
	render_json_str(&b, ds->name, strlen(ds->name));
	render_adds(&b, ",\"polls\":[");
	for (i = 0; i < info.njobs; i++) {
		polls_job_info(ds, i, &ji);
		if (poll != NULL && strcmp(ji.poll, poll) != 0)
			continue;
		if (n++ > 0)
			render_add(&b, ",", 1);
		view_poll_job_render(&b, &ji, info.now_us);
	}
	render_adds(&b, "]");
	store = sessions_store(ds);
	if (poll == NULL && store != NULL && store->have)
		view_store_render(&b, store);
	render_adds(&b, "}");
	if (poll != NULL && n == 0) {
		snprintf(err, errsize, "session %s has no poll \"%s\"",
		    ds->name, poll);
		render_buf_free(&b);
		return -1;
	}
	if (b.failed) {
		snprintf(err, errsize, "out of memory");
		render_buf_free(&b);
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

int
view_poll_value(const struct dsess *ds, const struct oid *o, char **out,
    size_t *outlen)
{
	struct polls_sess_info	 info;
	struct state_job_info	 ji;
	const struct state_poll	*best = NULL, *store;
	const char		*bestname = NULL;
	struct render_buf	 b;
	double			 rate;
	ssize_t			 k, bestk = -1;
	size_t			 i;
	char			 t[40];

	if (polls_sess_info(ds, &info) == -1)
		info.njobs = 0;
	for (i = 0; i < info.njobs; i++) {
		polls_job_info(ds, i, &ji);
		if (!ji.st->have)
			continue;
		k = state_vals_find(&ji.st->vals, o);
		if (k >= 0 && (best == NULL || ji.st->time_ms > best->time_ms)) {
			best = ji.st;
			bestname = ji.poll;
			bestk = k;
		}
	}
	/* What ad-hoc operations stored, as one more source. */
	store = sessions_store(ds);
	if (store != NULL && store->have &&
	    (k = state_vals_find(&store->vals, o)) >= 0 &&
	    (best == NULL || store->time_ms > best->time_ms)) {
		best = store;
		bestname = NULL;
		bestk = k;
	}
	if (best == NULL)
		return -1;
	render_buf_init(&b);
	state_vals_render_one(&b, &best->vals, (size_t)bestk);
	if (b.failed || b.len == 0) {
		render_buf_free(&b);
		return -2;
	}
	/* Drop the closing brace, add where the value came from. */
	b.len--;
	render_adds(&b, ",\"session\":");
	render_json_str(&b, ds->name, strlen(ds->name));
	render_adds(&b, ",\"poll\":");
	if (bestname != NULL)
		render_json_str(&b, bestname, strlen(bestname));
	else
		render_adds(&b, "null,\"stored\":true");
	state_format_time(best->time_ms, t, sizeof(t));
	render_adds(&b, ",\"time\":");
	render_json_str(&b, t, strlen(t));
	render_adds(&b, ",\"age_ms\":");
	render_u64(&b, state_now_ms() > best->time_ms ?
	    state_now_ms() - best->time_ms : 0);
	if (state_vals_rate(&best->vals, (size_t)bestk, &rate) == RATE_OK) {
		render_adds(&b, ",\"rate_interval_ms\":");
		render_double(&b, best->vals.rates->interval_us / 1000.0);
	}
	render_add(&b, "}", 1);
	if (b.failed) {
		render_buf_free(&b);
		return -2;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

int
view_polls_status(struct polls *P, json_t *res)
{
	struct polls_info	 pi;
	struct sessions		*t;
	struct dsess		*ds;
	size_t			 i, up = 0;
	uint64_t		 timeouts = 0;

	polls_info(P, &pi);
	t = pi.sessions;
	for (i = 0; i < sessions_count(t); i++) {
		ds = sessions_at(t, i);
		if (ds->s != NULL)
			timeouts += sess_get_stats(ds->s)->timeouts;
		if (strcmp(polls_state_name(ds), "up") == 0)
			up++;
	}
	json_object_set_new(res, "sessions_up", json_integer((json_int_t)up));
	json_object_set_new(res, "sessions_down",
	    json_integer((json_int_t)pi.sched.down));
	json_object_set_new(res, "polls_scheduled",
	    json_integer((json_int_t)pi.sched.jobs));
	json_object_set_new(res, "polls_running",
	    json_integer((json_int_t)pi.sched.running));
	json_object_set_new(res, "polls_waiting",
	    json_integer((json_int_t)pi.sched.waiting));
	json_object_set_new(res, "polls_per_second", json_real(pi.per_second));
	json_object_set_new(res, "polls_done",
	    json_integer((json_int_t)pi.done));
	json_object_set_new(res, "polls_failed",
	    json_integer((json_int_t)pi.failed));
	json_object_set_new(res, "overruns",
	    json_integer((json_int_t)pi.sched.overruns));
	json_object_set_new(res, "timeouts", json_integer((json_int_t)timeouts));
	return 0;
}

json_t *
view_polls_stats(struct polls *P)
{
	struct polls_info	 pi;
	const struct poller_conf *pc;
	const struct poller_stats *st = &pi.sched;

	polls_info(P, &pi);
	pc = pi.conf;
	return json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:f},s:{s:I,s:I}}",
	    "scheduler",
	    "max_in_flight", (json_int_t)pc->max_in_flight,
	    "session_in_flight", (json_int_t)pc->session_in_flight,
	    "down_after", (json_int_t)pc->down_after,
	    "backoff_min_ms", (json_int_t)pc->backoff_min_ms,
	    "backoff_max_ms", (json_int_t)pc->backoff_max_ms,
	    "batch_window_ms", (json_int_t)(pc->batch_us / 1000),
	    "polls",
	    "sessions", (json_int_t)st->sessions,
	    "scheduled", (json_int_t)st->jobs,
	    "runs", (json_int_t)st->runs,
	    "done", (json_int_t)pi.done,
	    "failed", (json_int_t)pi.failed,
	    "running", (json_int_t)st->running,
	    "waiting", (json_int_t)st->waiting,
	    "waited", (json_int_t)st->waited,
	    "overruns", (json_int_t)st->overruns,
	    "skipped_down", (json_int_t)st->skipped_down,
	    "per_second", pi.per_second,
	    "store",
	    "objects", (json_int_t)pi.objects,
	    "bytes", (json_int_t)pi.bytes);
}

/* ----------------------------------------------------------- packets */

json_t *
view_packets_stats(const struct packets *pk)
{
	struct packets_info	 pi;
	json_t			*by;
	char			 key[16];
	size_t			 i;

	if (pk == NULL || (by = json_object()) == NULL)
		return NULL;
	packets_info(pk, &pi);
	for (i = 0; i < pi.ncodes; i++) {
		snprintf(key, sizeof(key), "%d", pi.by_code[i].code);
		json_object_set_new(by, key,
		    json_integer((json_int_t)pi.by_code[i].n));
	}
	if (pi.bad_other > 0)
		json_object_set_new(by, "other",
		    json_integer((json_int_t)pi.bad_other));
	return json_pack("{s:I,s:o,s:I}", "bad_packets", (json_int_t)pi.bad,
	    "bad_packets_by_code", by, "traces", (json_int_t)pi.traces);
}

/* ------------------------------------------------------------- traps */

/*
 * Udp RcvbufErrors and InErrors of /proc/net/snmp (system-wide), or
 * "error" saying why they are missing (a /proc that hides the file, as
 * systemd's ProcSubset=pid does), never silently nothing.
 */
static void
view_proc_udp(json_t *o)
{
	static const char path[] = "/proc/net/snmp";
	FILE		*fp;
	char		 head[512], vals[512], *hs, *vs, *h, *v;
	unsigned long long n;

	if ((fp = fopen(path, "re")) == NULL) {
		json_object_set_new(o, "error", json_sprintf(
		    "cannot read %s: %s", path, strerror(errno)));
		return;
	}
	while (fgets(head, sizeof(head), fp) != NULL &&
	    fgets(vals, sizeof(vals), fp) != NULL) {
		if (strncmp(head, "Udp:", 4) != 0)
			continue;
		h = strtok_r(head + 4, " \n", &hs);
		v = strtok_r(vals + 4, " \n", &vs);
		while (h != NULL && v != NULL) {
			n = strtoull(v, NULL, 10);
			if (strcmp(h, "RcvbufErrors") == 0)
				json_object_set_new(o, "udp_rcvbuf_errors",
				    json_integer((json_int_t)n));
			else if (strcmp(h, "InErrors") == 0)
				json_object_set_new(o, "udp_in_errors",
				    json_integer((json_int_t)n));
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(fp);
	if (json_object_size(o) == 0)
		json_object_set_new(o, "error", json_sprintf(
		    "no Udp counters in %s", path));
}

/* A DTLS trap listener's associations and handshakes. */
static json_t *
view_trap_dtls(const struct trap_dtls_stats *d)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I,s:I,s:I,s:I}",
	    "associations", (json_int_t)d->associations,
	    "handshaking", (json_int_t)d->handshaking,
	    "cookies", (json_int_t)d->cookies,
	    "dropped", (json_int_t)d->dropped,
	    "handshakes", (json_int_t)d->handshakes,
	    "established", (json_int_t)d->established,
	    "failed", (json_int_t)d->failed,
	    "refused", (json_int_t)d->refused,
	    "no_certificate", (json_int_t)d->no_certificate,
	    "unmapped", (json_int_t)d->unmapped,
	    "timeouts", (json_int_t)d->timeouts,
	    "evicted", (json_int_t)d->evicted,
	    "idle_closed", (json_int_t)d->idle_closed,
	    "peer_closed", (json_int_t)d->peer_closed,
	    "records_dropped", (json_int_t)d->records_dropped,
	    "messages", (json_int_t)d->messages,
	    "sent", (json_int_t)d->sent,
	    "send_errors", (json_int_t)d->send_errors);
}

/* A TCP trap listener's connections. */
static json_t *
view_trap_tcp(const struct trap_tcp_stats *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I}",
	    "connections", (json_int_t)c->connections,
	    "accepted", (json_int_t)c->accepted,
	    "evicted", (json_int_t)c->evicted,
	    "idle_closed", (json_int_t)c->idle_closed,
	    "timeouts", (json_int_t)c->timeouts,
	    "peer_closed", (json_int_t)c->peer_closed,
	    "framing_errors", (json_int_t)c->framing_errors,
	    "too_long", (json_int_t)c->too_long,
	    "overflow", (json_int_t)c->overflow,
	    "messages", (json_int_t)c->messages,
	    "sent", (json_int_t)c->sent,
	    "send_errors", (json_int_t)c->send_errors,
	    "accept_errors", (json_int_t)c->accept_errors,
	    "held", (json_int_t)c->held,
	    "holds", (json_int_t)c->holds);
}

json_t *
view_traps_stats(const struct traps *t)
{
	struct traps_info	 ti;
	struct traps_listener_info li;
	const struct trapproc_stats *st = &ti.proc;
	const struct journal_stats *js = &ti.journal;
	json_t			*o, *rej, *ls, *l, *sys;
	uint64_t		 nrej = 0, drops = 0;
	size_t			 i;
	int			 r;

	traps_info(t, &ti);
	if ((rej = json_object()) == NULL)
		return NULL;
	for (r = 1; r < TRAPPROC__COUNT; r++) {
		json_object_set_new(rej, trapproc_reason_name(r),
		    json_integer((json_int_t)st->rejected[r]));
		nrej += st->rejected[r];
	}
	if ((ls = json_array()) == NULL) {
		json_decref(rej);
		return NULL;
	}
	for (i = 0; i < ti.nls; i++) {
		traps_listener_info(t, i, &li);
		drops += li.drops;
		l = json_pack("{s:s,s:s,s:b,s:I,s:I,s:i,s:I,s:I}",
		    "listen", li.spec,
		    "address", li.addr,
		    "open", li.open,
		    "received", (json_int_t)li.received,
		    "drops", (json_int_t)li.drops,
		    "receive_buffer", li.rcvbuf,
		    "reads", (json_int_t)li.reads,
		    "paced_reads", (json_int_t)li.paced_reads);
		if (l != NULL && !li.open)
			json_object_set_new(l, "error", json_string(li.error));
		if (l != NULL && li.dtls)
			json_object_set_new(l, "dtls", view_trap_dtls(
			    &li.dtls_stats));
		if (l != NULL && li.tcp)
			json_object_set_new(l, "tcp", view_trap_tcp(
			    &li.tcp_stats));
		json_array_append_new(ls, l);
	}
	if ((sys = json_object()) != NULL)
		view_proc_udp(sys);
	o = json_pack("{s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:I,s:o,s:I,s:I,"
	    "s:I,s:{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I},s:o,s:{s:I,s:I},"
	    "s:{s:I,s:I},s:o}",
	    "received", (json_int_t)st->packets,
	    "accepted", (json_int_t)(st->traps + st->informs),
	    "traps", (json_int_t)st->traps,
	    "informs", (json_int_t)st->informs,
	    "by_version",
		"1", (json_int_t)st->v1,
		"2c", (json_int_t)st->v2c,
		"3", (json_int_t)st->v3,
	    "rejected", (json_int_t)nrej,
	    "rejected_by_reason", rej,
	    "reports", (json_int_t)ti.reports_sent,
	    "discoveries", (json_int_t)st->discoveries,
	    "kernel_drops", (json_int_t)drops,
	    "acks",
		"auto", ti.auto_ack,
		"sent", (json_int_t)ti.acks_sent,
		"waiting", (json_int_t)ti.acks_waiting,
		"dropped", (json_int_t)ti.acks_dropped,
		"overflow", (json_int_t)ti.acks_overflow,
		"retransmissions", (json_int_t)ti.acks_again,
		"send_errors", (json_int_t)ti.send_errors,
		"tcp_held", ti.acks_held,
		"tcp_holds", (json_int_t)ti.acks_holds,
	    "listeners", ls,
	    "engines",
		"tracked", (json_int_t)st->engines,
		"evicted", (json_int_t)st->engines_evicted,
	    "keys",
		"localized", (json_int_t)st->localizations,
		"cache_hits", (json_int_t)st->key_cache_hits,
	    "system", sys != NULL ? sys : json_object());
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "reports_rate_limited",
	    json_integer((json_int_t)st->reports_rate_limited));
	/* SNMP-TSM-MIB snmpTsmStats (RFC 5591 6). */
	json_object_set_new(o, "tsm", json_pack("{s:I,s:I,s:I,s:I}",
	    "invalid_caches", (json_int_t)ti.tsm.invalid_caches,
	    "inadequate_levels", (json_int_t)ti.tsm.inadequate_levels,
	    "unknown_prefixes", (json_int_t)ti.tsm.unknown_prefixes,
	    "invalid_prefixes", (json_int_t)ti.tsm.invalid_prefixes));
	json_object_set_new(o, "journal", json_pack("{s:s,s:s,s:I,s:i,s:I,"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "path", journal_path(ti.j),
	    "fsync", journal_fsync_name(journal_policy(ti.j)),
	    "max_size", (json_int_t)ti.max_size,
	    "keep", (int)ti.keep,
	    "records", (json_int_t)js->records,
	    "bytes", (json_int_t)js->bytes,
	    "file_size", (json_int_t)js->file_size,
	    "rotations", (json_int_t)js->rotations,
	    "writes", (json_int_t)js->writes,
	    "syncs", (json_int_t)js->syncs,
	    "write_errors", (json_int_t)js->write_errors,
	    "records_lost", (json_int_t)js->records_lost,
	    "sync_errors", (json_int_t)js->sync_errors,
	    "queries", (json_int_t)js->queries,
	    "pending", (json_int_t)js->pending));
	return o;
}

/* ----------------------------------------------------------- v3cache */

json_t *
view_v3cache_stats(const struct v3cache *vc)
{
	struct v3cache_info	 vi;

	if (vc == NULL)
		return NULL;
	v3cache_info(vc, &vi);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "credentials", (json_int_t)vi.credentials,
	    "credential_hits", (json_int_t)vi.credential_hits,
	    "credentials_evicted", (json_int_t)vi.credentials_evicted,
	    "engines", (json_int_t)vi.engines,
	    "engine_hits", (json_int_t)vi.engine_hits,
	    "engines_learned", (json_int_t)vi.engines_learned,
	    "engines_expired", (json_int_t)vi.engines_expired);
}
