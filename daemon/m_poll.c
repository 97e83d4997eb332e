/*
 * m_poll.c - the poll.* methods (doc/protocol.md): poll.run, poll.results,
 * poll.value and poll.reset on a configured session's scheduled polls
 * (the work is polls.c's; poll.run waits through an op, op.h).
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "core/errors.h"
#include "core/oid.h"

#include "control.h"
#include "daemon.h"
#include "methods.h"
#include "op.h"
#include "polls.h"
#include "sessions.h"
#include "views.h"

/* --------------------------------------------------------------- poll.* */

/* The answer of poll.run: the results of the polls it waited for. */
static void
poll_run_answer(struct op *op)
{
	char	*out;
	size_t	 len;
	int	 rv;

	if ((rv = polls_wait_result(op->pw, &out, &len)) == 1) {
		ctl_req_result_raw(op->r, out, len);
		free(out);
	} else if (rv == 0)
		ctl_req_error_num(op->r, SNMPMGR_ERR_INTERRUPTED, "the session "
		    "or its polls were removed", NULL);
	else
		ctl_req_error(op->r, CTL_ERR_INTERNAL, "out of memory", NULL);
}

int
m_poll_run(struct mcall *c)
{
	struct ctl_req		*r = c->r;
	struct dsess		*ds = c->ds;
	const char		*poll = mcall_str(c, "poll");
	struct polls_wait	*pw;
	struct op		*op;
	int			 why;

	if (ds->s == NULL) {
		ctl_req_error_num(r, ds->err, ds->errdetail, NULL);
		return CTL_DONE;
	}
	if ((op = op_new(c->d, r)) == NULL)
		return CTL_DONE;
	op_session(op, ds);
	if ((pw = polls_run(c->d->polls, ds, poll, &why)) == NULL) {
		if (why == POLLS_RUN_DISABLED)
			ctl_req_error_num(r, SNMPMGR_ERR_MUST_BE_ACTIVE, "the "
			    "session is disabled", NULL);
		else if (why == POLLS_RUN_NO_POLL && poll != NULL)
			ctl_req_errorf(r, CTL_ERR_PARAMS, "session %s has no "
			    "poll \"%s\"", ds->name, poll);
		else if (why == POLLS_RUN_NO_POLL)
			ctl_req_errorf(r, CTL_ERR_PARAMS, "session %s has no "
			    "polls", ds->name);
		else
			ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory",
			    NULL);
		op_free(op);
		return CTL_DONE;
	}
	return op_poll_wait(op, pw, poll_run_answer);
}

int
m_poll_results(struct mcall *c)
{
	char	*out, err[256];
	size_t	 len;

	if (view_poll_results(c->ds, mcall_str(c, "poll"), &out,
	    &len, err, sizeof(err)) == -1) {
		ctl_req_error(c->r, CTL_ERR_PARAMS, err, NULL);
		return CTL_DONE;
	}
	ctl_req_result_raw(c->r, out, len);
	free(out);
	return CTL_DONE;
}

int
m_poll_value(struct mcall *c)
{
	struct ctl_req	*r = c->r;
	char		*out, detail[400];
	size_t		 len;
	int		 rv;

	rv = view_poll_value(c->ds, mcall_oid(c, "oid"), &out, &len);
	if (rv == 0) {
		ctl_req_result_raw(r, out, len);
		free(out);
	} else if (rv == -1) {
		snprintf(detail, sizeof(detail), "no poll of session %s has "
		    "stored %.200s", c->ds->name, mcall_str(c, "oid"));
		ctl_req_error_num(r, SNMPMGR_ERR_NO_SUCH_OID, detail, NULL);
	} else
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
	return CTL_DONE;
}

int
m_poll_reset(struct mcall *c)
{
	polls_reset(c->d->polls, c->ds);
	ctl_req_result(c->r, json_pack("{s:s,s:b}", "session", c->ds->name,
	    "reset", 1));
	return CTL_DONE;
}
