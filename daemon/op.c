/*
 * op.c - an SNMP operation on behalf of a control request (op.h).
 *
 * The one path from a control request to the session engine and back:
 * resolving the target, registering the request's cancel and interrupt,
 * taking the engine's callback, publishing the "error" event of what
 * failed, finishing the request and freeing what the operation held.
 */
#include <config.h>		/* autoconf's */

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"

#include "core/errors.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/transport.h"
#include "core/usm.h"
#include "core/walk.h"

#include "control.h"
#include "daemon.h"
#include "events.h"
#include "op.h"
#include "polls.h"
#include "render.h"
#include "sess_event.h"
#include "sessions.h"
#include "v3cache.h"

struct op *
op_new(struct daemon *d, struct ctl_req *r)
{
	struct op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return NULL;
	}
	op->d = d;
	op->r = r;
	return op;
}

/* The ops whose temporary session runs over DTLS. */
static struct op *op_tls_list;

int
op_dtls_opts(void *arg, struct sess *s, struct dtls_opts *o,
    uint32_t *idle_ms)
{
	struct op	*op;

	(void)arg;
	for (op = op_tls_list; op != NULL; op = op->tls_next)
		if (op->s == s)
			return config_tls_opts_json(op->tls, op->tls_cred, o,
			    idle_ms);
	snmpmgr_seterr(SNMPMGR_ERR_NOT_SUPPORTED, "SNMP over DTLS: no "
	    "options for this target");
	return -1;
}

void
op_free(struct op *op)
{
	struct op	**pp;

	if (op == NULL)
		return;
	if (op->tls != NULL) {
		for (pp = &op_tls_list; *pp != NULL; pp = &(*pp)->tls_next)
			if (*pp == op) {
				*pp = op->tls_next;
				break;
			}
		json_decref(op->tls);
	}
	dtls_cred_free(op->tls_cred);
	if (op->sent_res != NULL) {
		(void)sess_loop_when_sent(op->s, 0, NULL, NULL);
		json_decref(op->sent_res);
	}
	if (op->sr != NULL)
		sess_req_cancel(op->sr);
	if (op->w != NULL) {
		walk_cancel(op->w);
		op->d->walks_active--;
	}
	polls_wait_free(op->pw);
	if (op->temp && op->s != NULL)
		daemon_defer_sess_free(op->d, op->s);
	if (op->priv_free != NULL)
		op->priv_free(op->priv);
	free(op);
}

/* The client went away. */
static void
op_cancel_cb(void *arg)
{
	op_free(arg);
}

/* request.cancel named the request: end it now, with 398. */
static void
op_interrupt_cb(void *arg, const char *why)
{
	struct op	*op = arg;

	if (op->w != NULL)
		walk_interrupt(op->w, why);	/* op_walk_done_cb answers */
	else if (op->sr != NULL)
		sess_req_interrupt(op->sr, why); /* op_response_cb answers */
	else {
		ctl_req_error_num(op->r, SNMPMGR_ERR_INTERRUPTED, why, NULL);
		ctl_req_done(op->r);
		op_free(op);
	}
}

/* From now on the op is the request's. */
static int
op_pending(struct op *op)
{
	ctl_req_set_cancel(op->r, op_cancel_cb, op);
	ctl_req_set_interrupt(op->r, op_interrupt_cb, op);
	return CTL_PENDING;
}

/* Starting failed (lasterr says why): answer, tell, free. */
static int
op_start_failed(struct op *op)
{
	op_error_lasterr(op->r);
	op_error_event(op, snmpmgr_lasterr(), snmpmgr_lasterr_detail(), NULL);
	op_free(op);
	return CTL_DONE;
}

void
op_error_lasterr(struct ctl_req *r)
{
	int	 code = snmpmgr_lasterr();

	if (code == 0)
		code = CTL_ERR_INTERNAL;
	ctl_req_error_num(r, code, snmpmgr_lasterr_detail(), NULL);
}

/*
 * The target of an snmp.* request: "session": NAME or "target": {...}.
 * Sets op->s (and op->ds or op->temp).  0, or -1 with the error set.
 */
int
op_target(struct op *op, json_t *params)
{
	struct ctl_req		*r = op->r;
	json_t			*sv, *tv;
	struct sess_opts	 o;
	struct config_err	 err;
	int			 rv;

	sv = json_object_get(params, "session");
	tv = json_object_get(params, "target");
	if (sv != NULL && tv != NULL) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "give either session or target, not both", NULL);
		return -1;
	}
	if (sv != NULL) {
		if (!json_is_string(sv)) {
			ctl_req_error(r, CTL_ERR_PARAMS,
			    "session: expected a session name", NULL);
			return -1;
		}
		if ((op->ds = sessions_find(op->d->sessions,
		    json_string_value(sv))) == NULL) {
			ctl_req_error_no_session(r, json_string_value(sv));
			return -1;
		}
		if (op->ds->s == NULL) {
			ctl_req_error_num(r, op->ds->err, op->ds->errdetail,
			    NULL);
			return -1;
		}
		op->s = op->ds->s;
		return 0;
	}
	if (tv == NULL) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "session or target is required", NULL);
		return -1;
	}
	if (!json_is_object(tv)) {
		ctl_req_error(r, CTL_ERR_PARAMS,
		    "target: expected an object of session options", NULL);
		return -1;
	}
	/* Inline targets start from the config's "defaults" section too;
	 * o holds a credential reference of its own (session.h). */
	o = op->d->conf->defaults;
	if (o.v3.cred != NULL)
		usm_cred_ref(o.v3.cred);
	memset(&err, 0, sizeof(err));
	rv = config_apply_session_opts(tv, &o, &op->tls_cred, &err);
	/* Passwords are keys now (or refused): none stays in the params. */
	config_json_wipe_secrets(tv);
	if (rv == -1) {
		sess_opts_release(&o);
		ctl_req_errorf(r, CTL_ERR_PARAMS, "target: %s", err.text);
		return -1;
	}
	if (o.host[0] == '\0') {
		sess_opts_release(&o);
		ctl_req_error(r, CTL_ERR_PARAMS, "target: host is required",
		    NULL);
		return -1;
	}
	/* A DTLS target connects with the key read above. */
	if (o.transport == SESS_TRANSPORT_DTLS) {
		if ((op->tls = json_deep_copy(tv)) == NULL) {
			sess_opts_release(&o);
			ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory",
			    NULL);
			return -1;
		}
		op->tls_next = op_tls_list;
		op_tls_list = op;
	}
	/* The next request with this credential does not hash again. */
	if (o.v3.cred != op->d->conf->defaults.v3.cred)
		v3cache_hold_cred(op->d->v3cache, o.v3.cred);
	op->s = sess_new(op->d->mgr, &o);
	sess_opts_release(&o);
	if (op->s == NULL) {
		op_error_lasterr(r);
		return -1;
	}
	op->temp = true;
	/* An engine learned for this address skips discovery. */
	v3cache_preset(op->d->v3cache, op->s);
	return 0;
}

void
op_session(struct op *op, struct dsess *ds)
{
	op->ds = ds;
	op->s = ds->s;
}

/* ------------------------------------------------- requests, discovery */

static void
op_response_cb(struct sess_req *sr, const struct sess_result *res, void *arg)
{
	struct op		*op = arg;
	struct sess_result	 r2;
	char			 detail[512];

	if (res->more) {
		/* A broadcast: more may come until the deadline. */
		if (op->answer_more != NULL)
			op->answer_more(op, res);
		return;
	}
	if (op->ds != NULL) {
		/* A broadcast's end (no pdu) has no round trip of its own. */
		if (res->error != 0)
			op_error_detail(op, res->error, res->tries, detail,
			    sizeof(detail));
		sessions_asked(op->ds, res->error, res->error ? detail : NULL,
		    res->rtt_us, res->error == 0 && res->pdu != NULL);
	}
	if (res->error == 0 && res->answers > 0 && op->answer_more == NULL) {
		/* broadcast turned on while it ran: no answer to give. */
		r2 = *res;
		r2.error = SNMPMGR_ERR_ROLE;
		snmpmgr_seterr(SNMPMGR_ERR_ROLE, "the session became a "
		    "broadcast session while the request ran");
		res = &r2;
	}
	op->sr = NULL;
	op->answer_req(op, res);
	if (op->sr != NULL)
		return;		/* the answer sent the op's next request */
	ctl_req_done(op->r);
	op_free(op);
}

int
op_request(struct op *op, const struct snmp_pdu *pdu,
    void (*answer)(struct op *, const struct sess_result *))
{
	op->answer_req = answer;
	if (sess_get_opts(op->s)->broadcast && op->answer_more == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_ROLE, "%s needs one agent, not a "
		    "broadcast session", ctl_req_method(op->r));
		return op_start_failed(op);
	}
	if (op_request_next(op, pdu, answer) == -1) {
		if (op->ds != NULL)
			sessions_note(op->ds, snmpmgr_lasterr(),
			    snmpmgr_lasterr_detail());
		return op_start_failed(op);
	}
	return op_pending(op);
}

int
op_request_next(struct op *op, const struct snmp_pdu *pdu,
    void (*answer)(struct op *, const struct sess_result *))
{
	op->answer_req = answer;
	if ((op->sr = sess_request(op->s, pdu, op_response_cb, op)) == NULL)
		return -1;
	op->req_id = sess_req_id(op->sr);
	return 0;
}

int
op_discover(struct op *op,
    void (*answer)(struct op *, const struct sess_result *))
{
	op->answer_req = answer;
	if ((op->sr = sess_discover(op->s, op_response_cb, op)) == NULL)
		return op_start_failed(op);
	return op_pending(op);
}

/* -------------------------------------------------------------- walks */

static void
op_walk_done_cb(struct walk *w, const struct walk_result *res, void *arg)
{
	struct op	*op = arg;
	char		 detail[512];

	op->w = NULL;		/* the engine frees it */
	op->d->walks_active--;
	if (op->ds != NULL) {
		/* Its round trip: that of the walk's last answer. */
		if (res->error != 0)
			op_walk_error_detail(op, res, detail, sizeof(detail));
		sessions_asked(op->ds, res->error, res->error ? detail : NULL,
		    sess_get_stats(op->s)->last_rtt_us, res->error == 0);
	}
	op->answer_walk(op, res);
	ctl_req_done(op->r);
	op_free(op);
}

int
op_walk(struct op *op, const struct walk_opts *wo,
    int (*rows)(struct walk *, const struct snmp_varbind *, size_t, void *),
    void (*answer)(struct op *, const struct walk_result *))
{
	op->answer_walk = answer;
	if ((op->w = walk_start(op->s, wo, rows, op_walk_done_cb, op)) ==
	    NULL)
		return op_start_failed(op);
	op->d->walks_active++;
	return op_pending(op);
}

static void
op_walk_drain_cb(void *arg)
{
	struct op	*op = arg;

	if (op->w != NULL)
		walk_resume(op->w);
}

void
op_walk_pause(struct op *op)
{
	ctl_req_set_drain(op->r, op_walk_drain_cb, op);
}

/* ------------------------------------------------ a message that left */

static void
op_sent_cb(void *arg, int error, const char *detail)
{
	struct op	*op = arg;

	if (error == 0) {
		ctl_req_result(op->r, op->sent_res);
		op->sent_res = NULL;
	} else {
		ctl_req_error_num(op->r, error, detail, NULL);
		op_error_event(op, error, detail, NULL);
	}
	ctl_req_done(op->r);
	op_free(op);
}

int
op_wait_sent(struct op *op, json_t *res)
{
	const struct sess_opts	*o = sess_get_opts(op->s);
	uint64_t		 ms;

	op->sent_res = res;
	ms = (uint64_t)(o->timeout_ms > 0 ? o->timeout_ms : 1) *
	    ((uint64_t)o->retries + 1);
	if (sess_loop_when_sent(op->s, ms > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)ms, op_sent_cb, op) == -1)
		return op_start_failed(op);
	return op_pending(op);
}

/* ---------------------------------------------------------- poll.run */

static void
op_poll_done_cb(struct polls_wait *pw, void *arg)
{
	struct op	*op = arg;

	op->answer_poll(op);
	ctl_req_done(op->r);
	op_free(op);
}

int
op_poll_wait(struct op *op, struct polls_wait *pw,
    void (*answer)(struct op *))
{
	op->pw = pw;
	op->answer_poll = answer;
	if (polls_wait_ended(pw)) {
		answer(op);
		op_free(op);
		return CTL_DONE;
	}
	polls_wait_set_cb(pw, op_poll_done_cb, op);
	return op_pending(op);
}

/* -------------------------------------------------------------- errors */

void
op_error_detail(const struct op *op, int error, uint32_t tries, char *buf,
    size_t size)
{
	if (error == SNMPMGR_ERR_TIMEOUT)
		sessions_timeout_detail(op->s, tries != 0 ? tries :
		    sess_get_opts(op->s)->retries + 1, buf, size);
	else if (snmpmgr_lasterr() == error)
		snprintf(buf, size, "%s", snmpmgr_lasterr_detail());
	else
		snprintf(buf, size, "%s", snmpmgr_strerror(error));
}

void
op_walk_error_detail(const struct op *op, const struct walk_result *res,
    char *buf, size_t size)
{
	const char	*name;

	if (res->error_status == 0) {
		op_error_detail(op, res->error, 0, buf, size);
		return;
	}
	name = snmp_error_status_name(res->error_status);
	snprintf(buf, size, "agent answered %s (error-status %d, index %d)",
	    name != NULL ? name : "?", res->error_status, res->error_index);
}

/* The session's name for op's events (NULL for an inline target). */
static const char *
op_event_name(const struct op *op)
{
	const struct dsess	*ds;

	ds = op->s != NULL ? sess_get_udata(op->s) : NULL;
	return ds != NULL ? ds->name : NULL;
}

/* The agent's address for op's events: formatted only once an event is
 * wanted. */
static void
op_event_addr(const struct op *op, char *addr, size_t addrsize)
{
	const struct sockaddr	*sa;
	socklen_t		 salen = 0;

	if (op->s == NULL) {
		snprintf(addr, addrsize, "?");
		return;
	}
	sa = sess_addr(op->s, &salen);
	transport_addr_str(sa, salen, true, addr, addrsize);
}

void
op_error_event(const struct op *op, int code, const char *detail,
    json_t *extra)
{
	struct daemon		*d = op->d;
	const char		*name, *method, *msg;
	char			 addr[128];
	json_t			*data;

	name = op_event_name(op);
	if (code <= 0 || d->events == NULL ||
	    !events_wanted(d->events, EV_ERROR, name)) {
		json_decref(extra);
		return;
	}
	op_event_addr(op, addr, sizeof(addr));
	method = ctl_req_method(op->r);
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

void
op_response_event(const struct op *op, const struct snmp_varbind *vb,
    size_t n, const struct snmp_pdu *pdu, uint32_t rtt_us)
{
	struct daemon		*d = op->d;
	struct render_buf	 b;
	json_error_t		 jerr;
	const char		*name, *method, *esn;
	char			 addr[128];
	json_t			*data, *vbs;

	name = op_event_name(op);
	if (d->events == NULL || !events_wanted(d->events, EV_RESPONSE, name))
		return;
	op_event_addr(op, addr, sizeof(addr));
	render_buf_init(&b);
	render_varbinds(&b, vb, n);
	vbs = b.failed ? NULL : json_loadb(b.p, b.len, 0, &jerr);
	render_buf_free(&b);
	method = ctl_req_method(op->r);
	data = json_pack("{s:s,s:s,s:o*}", "method", method != NULL ?
	    method : "?", "address", addr, "varbinds", vbs);
	if (data != NULL && pdu != NULL) {
		esn = snmp_error_status_name(pdu->error_status);
		json_object_set_new(data, "request_id",
		    json_integer(pdu->request_id));
		json_object_set_new(data, "error_status",
		    json_integer(pdu->error_status));
		json_object_set_new(data, "error_status_name",
		    json_string(esn != NULL ? esn : "unknown"));
		json_object_set_new(data, "error_index",
		    json_integer(pdu->error_index));
		json_object_set_new(data, "rtt_ms",
		    json_real(rtt_us / 1000.0));
	}
	if (data != NULL)
		events_publish(d->events, EV_RESPONSE, name, data);
}
