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
m_poll_run(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "poll", NULL };
	struct polls_wait *pw;
	struct dsess	*ds;
	struct op	*op;
	const char	*poll;
	int		 why;

	if (param_only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL ||
	    param_str(r, params, "poll", &poll) == -1)
		return CTL_DONE;
	if (ds->s == NULL) {
		ctl_req_error_num(r, ds->err, ds->errdetail, NULL);
		return CTL_DONE;
	}
	if ((op = op_new(d, r)) == NULL)
		return CTL_DONE;
	op_session(op, ds);
	if ((pw = polls_run(d->polls, ds, poll, &why)) == NULL) {
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
m_poll_results(struct daemon *d, struct ctl_req *r, json_t *params)
{
	static const char *const keys[] = { "session", "poll", NULL };
	struct dsess	*ds;
	const char	*poll;
	char		*out, err[256];
	size_t		 len;

	if (param_only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL ||
	    param_str(r, params, "poll", &poll) == -1)
		return CTL_DONE;
	if (polls_results(d->polls, ds, poll, &out, &len, err,
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

	if (param_only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	v = json_object_get(params, "oid");
	if (!json_is_string(v) || oid_parse(&o, json_string_value(v),
	    json_string_length(v)) == -1) {
		ctl_req_error(r, CTL_ERR_PARAMS, "oid: expected an OID", NULL);
		return CTL_DONE;
	}
	if ((rv = polls_value(d->polls, ds, &o, &out, &len)) == 0) {
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

	if (param_only_keys(r, params, keys) == -1 ||
	    (ds = param_session(d, r, params)) == NULL)
		return CTL_DONE;
	polls_reset(d->polls, ds);
	ctl_req_result(r, json_pack("{s:s,s:b}", "session", ds->name,
	    "reset", 1));
	return CTL_DONE;
}
