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
m_events_subscribe(struct mcall *c)
{
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
