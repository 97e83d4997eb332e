/*
 * methods_poll.c - the control methods of scheduled polling, live state
 * and run-time management (doc/protocol.md): events.subscribe and
 * unsubscribe, poll.run, poll.results, poll.value, poll.reset,
 * session.add, remove, enable, disable and config, daemon.reload and
 * daemon.stats.  The table in methods.c points here; the work is done in
 * polls.c, sessions.c and reload.c.
 */
#include <config.h>		/* autoconf's */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/oid.h"
#include "core/session.h"

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "methods.h"
#include "packets.h"
#include "polls.h"
#include "reload.h"
#include "sessions.h"
#include "v3cache.h"
#include "views.h"

/* JSON-RPC 2.0 5.1: -32000..-32099 are for the server's own errors. */
#define CTL_ERR_CONFIG		-32001	/* a config was refused */

/* Every key of params must be one of keys (NULL-terminated).  0 or -1. */
static int
only_keys(struct ctl_req *r, json_t *params, const char *const *keys)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach(params, key, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (keys[i] == NULL) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown param "
			    "\"%s\"", key);
			return -1;
		}
	}
	return 0;
}

/* params.session: a configured session.  NULL with the error set. */
static struct dsess *
param_session(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t		*v = json_object_get(params, "session");
	struct dsess	*ds;

	if (!json_is_string(v)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "session: expected a session "
		    "name", NULL);
		return NULL;
	}
	if ((ds = sessions_find(d->sessions, json_string_value(v))) == NULL)
		ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown session \"%s\"",
		    json_string_value(v));
	return ds;
}

/* An optional string param: 1 given, 0 absent, -1 error. */
static int
param_str(struct ctl_req *r, json_t *params, const char *key,
    const char **out)
{
	json_t	*v = json_object_get(params, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

static int
param_flag(struct ctl_req *r, json_t *params, const char *key, bool *out)
{
	json_t	*v = json_object_get(params, key);

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s: expected true or false",
		    key);
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

/* ------------------------------------------------------------- events */

int
m_events_subscribe(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "events", "sessions", "max_queue" };
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach(params, key, v) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown param "
			    "\"%s\" (events, sessions, max_queue)", key);
			return CTL_DONE;
		}
	}
	if (events_subscribe(d->events, r, params) == -1)
		return CTL_DONE;
	return CTL_PENDING;
}

int
m_events_unsubscribe(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t	*v = json_object_get(params, "subscription");

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		ctl_req_error(r, CTL_ERR_PARAMS, "subscription: expected the "
		    "number events.subscribe returned", NULL);
		return CTL_DONE;
	}
	if (events_unsubscribe(d->events,
	    (uint64_t)json_integer_value(v)) == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "no subscription %lld",
		    (long long)json_integer_value(v));
		return CTL_DONE;
	}
	ctl_req_result(r, json_pack("{s:O}", "subscription", v));
	return CTL_DONE;
}

/* --------------------------------------------------------------- poll.* */

int
m_poll_run(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "poll", NULL };
	struct dsess	*ds;
	const char	*poll;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL ||
	    param_str(r, params, "poll", &poll) == -1)
		return CTL_DONE;
	return polls_run(d->polls, ds, poll, r);
}

int
m_poll_results(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "poll", NULL };
	struct dsess	*ds;
	const char	*poll;
	char		*out, err[256];
	size_t		 len;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL ||
	    param_str(r, params, "poll", &poll) == -1)
		return CTL_DONE;
	if (view_poll_results(ds, poll, &out, &len, err,
	    sizeof(err)) == -1) {
		ctl_req_error(r, CTL_ERR_PARAMS, err, NULL);
		return CTL_DONE;
	}
	ctl_req_result_raw(r, out, len);
	free(out);
	return CTL_DONE;
}

int
m_poll_value(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "oid", NULL };
	struct dsess	*ds;
	struct oid	 o;
	json_t		*v;
	char		*out, detail[400];
	size_t		 len;
	int		 rv;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	v = json_object_get(params, "oid");
	if (!json_is_string(v) || oid_parse(&o, json_string_value(v),
	    json_string_length(v)) == -1) {
		ctl_req_error(r, CTL_ERR_PARAMS, "oid: expected an OID", NULL);
		return CTL_DONE;
	}
	if ((rv = view_poll_value(ds, &o, &out, &len)) == 0) {
		ctl_req_result_raw(r, out, len);
		free(out);
	} else if (rv == -1) {
		snprintf(detail, sizeof(detail), "no poll of session %s has "
		    "stored %.200s", ds->name, json_string_value(v));
		ctl_req_error_num(r, SNMPMGR_ERR_NO_SUCH_OID, detail, NULL);
	} else
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	return CTL_DONE;
}

int
m_poll_reset(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", NULL };
	struct dsess	*ds;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	polls_reset(d->polls, ds);
	ctl_req_result(r, json_pack("{s:s,s:b}", "session", ds->name,
	    "reset", 1));
	return CTL_DONE;
}

/* ------------------------------------------------------------ session.* */

int
m_session_add(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "config", "persist",
		NULL };
	struct config_err err;
	struct dsess	*ds;
	json_t		*name, *cfg, *res;
	bool		 persist;
	int		 rv;

	if (only_keys(r, params, keys) == -1 ||
	    param_flag(r, params, "persist", &persist) == -1)
		return CTL_DONE;
	name = json_object_get(params, "session");
	cfg = json_object_get(params, "config");
	if (!json_is_string(name) || json_string_length(name) == 0 ||
	    json_string_length(name) > SNMPMGR_MAX_NAME_LEN) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "session: expected a name of "
		    "1 to %d bytes", SNMPMGR_MAX_NAME_LEN);
		return CTL_DONE;
	}
	if (!json_is_object(cfg)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "config: expected an object "
		    "of session options, as in the config's \"sessions\"",
		    NULL);
		return CTL_DONE;
	}
	rv = reload_add_session(d, json_string_value(name), cfg, persist,
	    &err);
	config_json_wipe_secrets(cfg);	/* hashed into a credential now */
	if (rv == -1) {
		ctl_req_error(r, CTL_ERR_CONFIG, "session refused",
		    json_pack("{s:s}", "detail", err.text));
		return CTL_DONE;
	}
	ds = sessions_find(d->sessions, json_string_value(name));
	if (ds == NULL || (res = view_session_show(d, ds)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return CTL_DONE;
	}
	json_object_set_new(res, "persisted", json_boolean(persist));
	ctl_req_result(r, res);
	return CTL_DONE;
}

int
m_session_remove(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", NULL };
	struct config_err err;
	struct dsess	*ds;
	char		 name[SNMPMGR_MAX_NAME_LEN + 1];
	bool		 unpersisted;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	snprintf(name, sizeof(name), "%s", ds->name);
	if (reload_remove_session(d, name, &unpersisted, &err) == -1) {
		ctl_req_error(r, CTL_ERR_PARAMS, err.text, NULL);
		return CTL_DONE;
	}
	ctl_req_result(r, json_pack("{s:s,s:b,s:b}", "session", name,
	    "removed", 1, "unpersisted", unpersisted));
	return CTL_DONE;
}

static int
session_set(struct daemon *d, struct ctl_req *r, struct dsess *ds,
    json_t *opts)
{
	struct config_err err;
	json_t		*res;

	memset(&err, 0, sizeof(err));
	if (opts != NULL && sessions_set_opts(d, ds, opts, &err) == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s", err.text);
		return CTL_DONE;
	}
	res = json_pack("{s:s,s:o,s:s,s:b}", "session", ds->name,
	    "options", view_session_opts(ds),
	    "state", polls_state_name(ds), "modified", ds->modified);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

static int
session_enable(struct daemon *d, struct ctl_req *r, json_t *params, bool on)
{
	static const char *const keys[] = { "session", NULL };
	struct dsess	*ds;
	json_t		*opts;
	int		 rv;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	opts = json_pack("{s:b}", "enabled", on);
	rv = session_set(d, r, ds, opts);
	json_decref(opts);
	return rv;
}

int
m_session_enable(struct daemon *d, struct ctl_req *r, json_t *params)
{
	return session_enable(d, r, params, true);
}

int
m_session_disable(struct daemon *d, struct ctl_req *r, json_t *params)
{
	return session_enable(d, r, params, false);
}

int
m_session_config(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "options", NULL };
	struct dsess	*ds;
	json_t		*opts;
	int		 rv;

	if (only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	opts = json_object_get(params, "options");
	if (opts != NULL && !json_is_object(opts)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "options: expected an object "
		    "of option names and values", NULL);
		return CTL_DONE;
	}
	rv = session_set(d, r, ds, opts);
	config_json_wipe_secrets(opts);	/* hashed into a credential now */
	return rv;
}

/* ------------------------------------------------------------- daemon.* */

int
m_daemon_reload(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct config_err err;
	json_t		*summary;

	if (reload_apply(d, &err, &summary) == -1) {
		ctl_req_error(r, CTL_ERR_CONFIG, "config refused; the running "
		    "config stays", json_pack("{s:s}", "detail", err.text));
		return CTL_DONE;
	}
	ctl_req_result(r, summary);
	return CTL_DONE;
}

/* Resident set size of this process in KiB, from /proc/self/statm. */
static long
rss_kib(void)
{
	FILE		*fp;
	unsigned long	 size, res;
	long		 page = sysconf(_SC_PAGESIZE);

	if ((fp = fopen("/proc/self/statm", "re")) == NULL)
		return -1;
	if (fscanf(fp, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return (long)(res * (unsigned long)(page > 0 ? page : 4096) / 1024);
}

int
m_daemon_stats(struct daemon *d, struct ctl_req *r, json_t *params)
{
	const struct sess_stats	*ms = sess_mgr_get_stats(d->mgr);
	json_t			*res, *eng;

	res = json_pack("{s:f,s:I,s:o,s:o,s:{s:I},s:{s:I,s:I,s:I}}",
	    "uptime", daemon_uptime(d),
	    "rss_kib", (json_int_t)rss_kib(),
	    "polls", view_polls_stats(d->polls),
	    "events", events_stats_json(d->events),
	    "engine", "unmatched_bad_packets", (json_int_t)ms->bad_packets,
	    "control", "clients", (json_int_t)control_nclients(d->control),
	    "clients_dropped", (json_int_t)d->clients_dropped,
	    "requests_in_flight", (json_int_t)d->requests_in_flight);
	/* The sessions' bad packets and traces (packets.c). */
	if (res != NULL && (eng = view_packets_stats(d->packets)) != NULL) {
		json_object_update(json_object_get(res, "engine"), eng);
		json_decref(eng);
	}
	/* What inline SNMPv3 targets keep between requests. */
	if (res != NULL && (eng = view_v3cache_stats(d->v3cache)) != NULL)
		json_object_set_new(res, "v3_cache", eng);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}
