/*
 * m_request.c - request.cancel (SPEC.md 3 "interrupt"): end one request
 * in flight on the caller's own connection with error 398.  The
 * request's handler decides how (a walk answers with its count and
 * resume point, a get just stops waiting); one that registered no way of
 * its own is let go as if its client had disconnected.
 */
#include <config.h>		/* autoconf's */

#include <jansson.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "methods.h"

/*
 * request.cancel {"id": ID}: end the request with that id, in flight on
 * this connection, with 398.  Its reply (the error, with what it got
 * so far) goes out before this one.
 */
int
m_request_cancel(struct mcall *c)
{
	struct ctl_req	*r = c->r, *t;
	const char	*method;
	json_t		*id = mcall_json(c, "id");

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
