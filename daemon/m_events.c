/*
 * m_events.c - the events.* methods (doc/protocol.md): subscribing to
 * and unsubscribing from the event stream (the work is events.c's).
 */
#include <config.h>		/* autoconf's */

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "methods.h"
#include "sessions.h"

/* ------------------------------------------------------------- events */

/*
 * The names of "sessions" (one string or an array) must be sessions
 * there are now: a subscription to a misspelt name would wait forever
 * for nothing.  0, or -1 with the error of an unknown session set.
 * events.c judges the shape of the value.
 */
static int
me_sessions_known(struct mcall *c)
{
	json_t		*v = mcall_json(c, "sessions"), *x;
	const char	*name;
	size_t		 i, n;

	n = json_is_array(v) ? json_array_size(v) : 1;
	for (i = 0; v != NULL && i < n; i++) {
		x = json_is_array(v) ? json_array_get(v, i) : v;
		if ((name = json_string_value(x)) == NULL ||
		    sessions_find(c->d->sessions, name) != NULL)
			continue;
		ctl_req_error_no_session(c->r, name);
		return -1;
	}
	return 0;
}

int
m_events_subscribe(struct mcall *c)
{
	if (me_sessions_known(c) == -1)
		return CTL_DONE;
	/* events.c reads the params the table let through. */
	if (events_subscribe(c->d->events, c->r, c->params) == -1)
		return CTL_DONE;
	return CTL_PENDING;
}

int
m_events_unsubscribe(struct mcall *c)
{
	int64_t	 id = mcall_int(c, "subscription", 0);

	if (events_unsubscribe(c->d->events, (uint64_t)id) == -1) {
		ctl_req_errorf(c->r, CTL_ERR_PARAMS, "no subscription %lld",
		    (long long)id);
		return CTL_DONE;
	}
	ctl_req_result(c->r, json_pack("{s:O}", "subscription",
	    mcall_json(c, "subscription")));
	return CTL_DONE;
}
