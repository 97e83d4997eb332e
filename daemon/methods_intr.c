/*
 * methods_intr.c - interrupting what runs (SPEC.md 3 "interrupt") and
 * telling subscribers what failed (SPEC.md 4 on_error).
 *
 * request.cancel ends one request in flight on the caller's own
 * connection with error 398; the request's handler decides how (a walk
 * answers with its count and resume point, a get just stops waiting),
 * and one that registered no way of its own is let go as if its client
 * had disconnected.  session.interrupt ends every operation in flight on
 * one session through the session engine (sess_interrupt): control
 * requests on it answer 398, walks with their resume point, and its
 * scheduled polls count the run as failed without marking the agent
 * down.  methods_error_event() is how the control methods publish the
 * "error" event of an operation that failed, as polls.c does for polls.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/errors.h"
#include "core/session.h"

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "methods.h"
#include "sessions.h"

/* Every key of params must be one of keys (NULL-terminated).  0 or -1. */
static int
intr_only_keys(struct ctl_req *r, json_t *params, const char *const *keys)
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

/*
 * request.cancel {"id": ID}: end the request with that id, in flight on
 * this connection, with 398.  Its reply (the error, with what it got
 * so far) goes out before this one.
 */
int
m_request_cancel(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "id", NULL };
	struct ctl_req	*t;
	const char	*method;
	json_t		*id;

	if (intr_only_keys(r, params, keys) == -1)
		return CTL_DONE;
	id = json_object_get(params, "id");
	if (id == NULL || (!json_is_string(id) && !json_is_number(id))) {
		ctl_req_error(r, CTL_ERR_PARAMS, "id: expected the id (a "
		    "number or a string) of a request in flight on this "
		    "connection", NULL);
		return CTL_DONE;
	}
	if ((t = ctl_req_find(r, id)) == NULL) {
		ctl_req_error(r, CTL_ERR_PARAMS, "no request with that id in "
		    "flight on this connection", json_pack("{s:O}", "id", id));
		return CTL_DONE;
	}
	/* The table's name: still valid once t is gone. */
	method = ctl_req_method(t);
	if (ctl_req_interrupt(t, "cancelled by request.cancel") == -1) {
		ctl_req_errorf(r, CTL_ERR_PARAMS, "%s cannot be cancelled",
		    method != NULL ? method : "that request");
		return CTL_DONE;
	}
	log_debug("control: request.cancel ended a %s",
	    method != NULL ? method : "request");
	ctl_req_result(r, json_pack("{s:O,s:s?,s:b}", "id", id, "method",
	    method, "cancelled", 1));
	return CTL_DONE;
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

	if (intr_only_keys(r, params, keys) == -1)
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

void
methods_error_event(struct daemon *d, struct ctl_req *r, struct sess *s,
    int code, const char *detail, json_t *extra)
{
	const struct dsess	*ds = NULL;
	const struct sockaddr	*sa;
	const char		*name = NULL, *method, *msg;
	socklen_t		 salen = 0;
	char			 addr[128];
	json_t			*data;

	if (s != NULL && (ds = sess_get_udata(s)) != NULL)
		name = ds->name;
	if (code <= 0 || d->events == NULL ||
	    !events_wanted(d->events, EV_ERROR, name)) {
		json_decref(extra);
		return;
	}
	if (s != NULL) {
		sa = sess_addr(s, &salen);
		sessions_format_addr(sa, salen, addr, sizeof(addr));
	} else
		snprintf(addr, sizeof(addr), "?");
	method = r != NULL ? ctl_req_method(r) : NULL;
	msg = snmpmgr_strerror(code);
	data = json_pack("{s:s,s:i,s:s,s:s,s:s}", "method",
	    method != NULL ? method : "?", "code", code, "message",
	    msg != NULL ? msg : "?", "detail", detail != NULL ? detail : "",
	    "address", addr);
	if (data != NULL && extra != NULL)
		json_object_update(data, extra);
	json_decref(extra);
	if (data != NULL)
		events_publish(d->events, EV_ERROR, name, data);
}
