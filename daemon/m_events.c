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
