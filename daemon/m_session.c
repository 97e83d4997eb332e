/*
 * m_session.c - the session.* methods (doc/protocol.md): list, show, add,
 * remove, enable, disable, config and interrupt.  session.interrupt ends
 * every operation in flight on one session through the session engine
 * (sess_interrupt): control requests on it answer 398, walks with their
 * resume point, and its scheduled polls count the run as failed without
 * marking the agent down.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"

#include "core/session.h"

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "methods.h"
#include "packets.h"
#include "polls.h"
#include "reload.h"
#include "sessions.h"

/* JSON-RPC 2.0 5.1: -32000..-32099 are for the server's own errors. */
#define CTL_ERR_CONFIG		-32001	/* a config was refused */

int
m_session_list(struct daemon *d, struct ctl_req *r, json_t *params)
{
	json_t		*res, *st;
	const char	*state = NULL;

	st = json_object_get(params, "state");
	if (st != NULL && !json_is_null(st)) {
		if (!json_is_string(st)) {
			ctl_req_error(r, CTL_ERR_PARAMS, "state: expected up, "
			    "down, unknown, disabled or error", NULL);
			return CTL_DONE;
		}
		state = json_string_value(st);
	}
	if ((res = sessions_list_json(d, d->sessions, state)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

int
m_session_show(struct daemon *d, struct ctl_req *r, json_t *params)
{
	struct dsess	*ds;
	json_t		*sv, *res;

	sv = json_object_get(params, "session");
	if (!json_is_string(sv)) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "session: expected a session name", NULL);
		return CTL_DONE;
	}
	if ((ds = sessions_find(d->sessions, json_string_value(sv))) == NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown session \"%s\"",
		    json_string_value(sv));
		return CTL_DONE;
	}
	if ((res = sessions_show_json(d, ds)) == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
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

	if (param_only_keys(r, params, keys) == -1 ||
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
	if (ds == NULL || (res = sessions_show_json(d, ds)) == NULL) {
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

	if (param_only_keys(r, params, keys) == -1 ||
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
	    "options", packets_opts_json(ds),
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

	if (param_only_keys(r, params, keys) == -1 ||
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

	if (param_only_keys(r, params, keys) == -1 ||
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

/*
 * session.interrupt {"session": NAME}: end everything in flight on the
 * session with 398.  Result: how many operations ended.
 */
int
m_session_interrupt(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", NULL };
	struct dsess	*ds;
	json_t		*v;
	size_t		 n = 0;

	if (param_only_keys(r, params, keys) == -1)
		return CTL_DONE;
	v = json_object_get(params, "session");
	if (!json_is_string(v)) {
		ctl_req_error(r, CTL_ERR_PARAMS, "session: expected a session "
		    "name", NULL);
		return CTL_DONE;
	}
	if ((ds = sessions_find(d->sessions, json_string_value(v))) == NULL) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown session \"%s\"",
		    json_string_value(v));
		return CTL_DONE;
	}
	/* Without an agent address nothing can be in flight. */
	if (ds->s != NULL)
		n = sess_interrupt(ds->s, "interrupted by session.interrupt");
	if (n > 0)
		log_info("session %s: %zu operation%s interrupted", ds->name,
		    n, n == 1 ? "" : "s");
	ctl_req_result(r, json_pack("{s:s,s:I}", "session", ds->name,
	    "interrupted", (json_int_t)n));
	return CTL_DONE;
}
