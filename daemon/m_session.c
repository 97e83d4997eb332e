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
#include "views.h"

int
m_session_list(struct mcall *c)
{
	json_t	*res;

	res = view_session_list(c->d, c->d->sessions, mcall_str(c, "state"));
	if (res == NULL)
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(c->r, res);
	return CTL_DONE;
}

int
m_session_show(struct mcall *c)
{
	json_t	*res;

	if ((res = view_session_show(c->d, c->ds)) == NULL)
		ctl_req_error(c->r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(c->r, res);
	return CTL_DONE;
}


/* ------------------------------------------------------------ session.* */

int
m_session_add(struct mcall *c)
{
	struct daemon		*d = c->d;
	struct ctl_req		*r = c->r;
	struct config_err	 err;
	struct dsess		*ds;
	const char		*name = mcall_str(c, "session");
	json_t			*cfg = mcall_json(c, "config"), *res;
	bool			 persist = mcall_bool(c, "persist", false);
	int			 rv;

	rv = reload_add_session(d, name, cfg, persist, &err);
	config_json_wipe_secrets(cfg);	/* hashed into a credential now */
	if (rv == -1) {
		ctl_req_error(r, CTL_ERR_CONFIG, "session refused",
		    json_pack("{s:s}", "detail", err.text));
		return CTL_DONE;
	}
	ds = sessions_find(d->sessions, name);
	if (ds == NULL || (res = view_session_show(d, ds)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return CTL_DONE;
	}
	json_object_set_new(res, "persisted", json_boolean(persist));
	ctl_req_result(r, res);
	return CTL_DONE;
}

int
m_session_remove(struct mcall *c)
{
	struct config_err err;
	char		 name[SNMPMGR_MAX_NAME_LEN + 1];
	bool		 unpersisted;

	snprintf(name, sizeof(name), "%s", c->ds->name);
	if (reload_remove_session(c->d, name, &unpersisted, &err) == -1) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, err.text, NULL);
		return CTL_DONE;
	}
	ctl_req_result(c->r, json_pack("{s:s,s:b,s:b}", "session", name,
	    "removed", 1, "unpersisted", unpersisted));
	return CTL_DONE;
}

/*
 * Apply opts to ds; with persist, also keep them across reloads
 * (reload_persist_opts).  A failure to persist after the options took
 * effect is an error reply saying so.
 */
static int
session_set(struct daemon *d, struct ctl_req *r, struct dsess *ds,
    json_t *opts, bool persist)
{
	struct config_err err;
	json_t		*res;

	memset(&err, 0, sizeof(err));
	/* Refused before anything is applied. */
	if (persist && reload_persist_check(opts, &err) == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s", err.text);
		return CTL_DONE;
	}
	if (opts != NULL && sessions_set_opts(d, ds, opts, &err) == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s", err.text);
		return CTL_DONE;
	}
	if (persist && opts != NULL &&
	    reload_persist_opts(d, ds, opts, &err) == -1) {
		ctl_req_errorf(r, CTL_ERR_INTERNAL, "applied until the next "
		    "reload, not persisted: %s", err.text);
		return CTL_DONE;
	}
	res = json_pack("{s:s,s:o,s:s,s:b,s:b}", "session", ds->name,
	    "options", view_session_opts(ds),
	    "state", polls_state_name(ds), "modified", ds->modified,
	    "persisted", persist && opts != NULL);
	if (res == NULL)
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	else
		ctl_req_result(r, res);
	return CTL_DONE;
}

static int
session_enable(struct mcall *c, bool on)
{
	json_t	*opts;
	int	 rv;

	opts = json_pack("{s:b}", "enabled", on);
	rv = session_set(c->d, c->r, c->ds, opts, mcall_bool(c, "persist",
	    false));
	json_decref(opts);
	return rv;
}

int
m_session_enable(struct mcall *c)
{
	return session_enable(c, true);
}

int
m_session_disable(struct mcall *c)
{
	return session_enable(c, false);
}

int
m_session_config(struct mcall *c)
{
	json_t	*opts = mcall_json(c, "options");
	int	 rv;

	rv = session_set(c->d, c->r, c->ds, opts, mcall_bool(c, "persist",
	    false));
	config_json_wipe_secrets(opts);	/* hashed into a credential now */
	return rv;
}

/*
 * session.interrupt {"session": NAME}: end everything in flight on the
 * session with 398.  Result: how many operations ended.
 */
int
m_session_interrupt(struct mcall *c)
{
	struct dsess	*ds = c->ds;
	size_t		 n = 0;

	/* Without an agent address nothing can be in flight. */
	if (ds->s != NULL)
		n = sess_interrupt(ds->s, "interrupted by session.interrupt");
	if (n > 0)
		log_info("session %s: %zu operation%s interrupted", ds->name,
		    n, n == 1 ? "" : "s");
	ctl_req_result(c->r, json_pack("{s:s,s:I}", "session", ds->name,
	    "interrupted", (json_int_t)n));
	return CTL_DONE;
}
