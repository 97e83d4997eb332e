/*
 * polls.c - scheduled polls on the daemon's sessions (polls.h).
 *
 * The scheduler (poll_sched.c) decides when; this file gives it a monotonic
 * clock and one libevent timer, and runs what it starts: a get poll is
 * one Get request of its OIDs; a walk poll walks its subtrees one after
 * the other with the walk engine.  Values of a run collect in the poll's
 * work area and replace the latest values only when the run succeeds, so
 * readers always see one complete result.  Outcomes go back to the
 * scheduler (an answer, even an error-status, means the agent is up; a
 * timeout or a failed send does not), into the session's health, to the
 * log (once per repeated failure, sessions_note) and, when someone
 * subscribed, out as events.
 *
 * Each session with polls has a struct psess and one struct pjob per
 * poll; both live as long as the session's entry in the table, and a
 * reload that keeps a poll keeps its pjob (schedule, values, run in
 * flight).
 */
#include <config.h>		/* autoconf's */

#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "sess_event.h"
#include "core/session.h"
#include "core/walk.h"

#include "conf.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "poll_sched.h"
#include "polls.h"
#include "rates.h"
#include "render.h"
#include "sessions.h"
#include "state.h"
#include "views_poll.h"

/* Seconds of completed runs kept for polls_per_second. */
#define POLLS_RATE_SECS		10

/* One job of a poll.run request. */
struct pwait {
	TAILQ_ENTRY(pwait)	 entry;		/* pj->waiters */
	struct polls_wait	*run;
	struct pjob		*pj;		/* NULL once it is gone */
	bool			 done;
};

/* Waiting for the runs of a poll.run to end (polls.h). */
struct polls_wait {
	struct polls		*P;
	struct pwait		*w;
	size_t			 nw;
	size_t			 pending;
	bool			 starting;	/* polls_run sets it up */
	void			(*cb)(struct polls_wait *, void *);
	void			*arg;
};

struct pjob {
	struct psess		*pp;
	struct poller_job	*j;
	const struct config_poll *cp;	/* in the daemon's config */
	struct state_poll	 st;
	/* The run in flight. */
	struct sess_req		*sr;
	struct walk		*w;
	size_t			 wi;		/* subtree walked now */
	uint64_t		 start_us;
	uint32_t		 tries;		/* a get's, sent (0: not known) */
	TAILQ_HEAD(, pwait)	 waiters;
};

struct psess {
	struct polls		*P;
	struct dsess		*ds;
	struct poller_sess	*ps;
	/* Its jobs (psess_jobs): one, the usual case, needs no vector. */
	union {
		struct pjob	**v;	/* njobs != 1 */
		struct pjob	*one;	/* njobs == 1 */
	}			 jobs;
	uint32_t		 njobs;
	bool			 idle;	/* another cluster node owns it */
	struct state_sess	 st;
};

static struct pjob **
psess_jobs(struct psess *pp)
{
	return pp->njobs == 1 ? &pp->jobs.one : pp->jobs.v;
}

struct polls {
	struct daemon		*d;
	struct poller		*p;
	struct event		*timer;
	struct snmp_varbind	*vb;		/* request scratch */
	struct snmp_varbind	*dvb;		/* decode scratch (raw answers
						 * that need their names) */
	/* The get poll whose names vb holds (a name is a 516-byte struct
	 * oid: ten of them were copied anew for every poll); NULL when
	 * none, and after a reload, which may free the definitions. */
	const struct config_poll *vb_cp;
	struct render_buf	 rb;
	/* The OID text of the get polls' objects, for the results'
	 * records (the same names every run). */
	struct render_oidcache	*oc;
	bool			 stopped;
	/* While an ended run's events are published: when it started. */
	uint64_t		 pub_start_us;

	uint64_t		 done;		/* runs ended */
	uint64_t		 failed;
	uint64_t		 rate[POLLS_RATE_SECS];
	uint64_t		 rate_sec;	/* second of rate[sec % N] */
};

static void	pjob_end(struct pjob *, int, const char *, bool);
static void	pwait_end(struct pwait *);

/* ------------------------------------------------------------ clock */

/* The session engine's clock and timer arming (sess_event.h). */
static uint64_t
polls_now_us(void *arg)
{
	return sess_loop_clock_us();
}

/* The wall clock, which anchors the scheduler's grids (poll_sched.h). */
static uint64_t
polls_wall_us(void *arg)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
polls_publishing_start_us(const struct polls *P)
{
	uint64_t	 now;

	if (P == NULL || P->pub_start_us == 0)
		return 0;
	now = polls_now_us(NULL);
	return polls_wall_us(NULL) - (now > P->pub_start_us ? now -
	    P->pub_start_us : 0);
}

static void
polls_wake(void *arg, uint64_t when)
{
	struct polls	*P = arg;

	sess_loop_timer_at(P->timer, when);
}

static void
polls_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct polls	*P = arg;

	/* The turns of this wake-up send their requests together. */
	sess_loop_cork(P->d->loop, true);
	poller_timer(P->p);
	sess_loop_cork(P->d->loop, false);
}

/* Count one ended run in the per-second ring. */
static void
polls_count(struct polls *P, uint64_t now_us)
{
	uint64_t	 sec = now_us / 1000000, s;

	if (sec != P->rate_sec) {
		for (s = P->rate_sec + 1; s <= sec &&
		    s <= P->rate_sec + POLLS_RATE_SECS; s++)
			P->rate[s % POLLS_RATE_SECS] = 0;
		P->rate_sec = sec;
	}
	P->rate[sec % POLLS_RATE_SECS]++;
}

/* Runs per second over the last full seconds. */
static double
polls_rate(struct polls *P)
{
	uint64_t	 sec = polls_now_us(P) / 1000000, sum = 0, s;

	for (s = sec - (POLLS_RATE_SECS - 1); s < sec; s++)
		if (s + POLLS_RATE_SECS > P->rate_sec && s <= P->rate_sec)
			sum += P->rate[s % POLLS_RATE_SECS];
	return (double)sum / (POLLS_RATE_SECS - 1);
}

/* --------------------------------------------------------------- runs */

/* What rates.c needs of a sample of pj taken now. */
static void
pjob_rates_in(const struct pjob *pj, struct rates_in *in)
{
	struct sess_v3_info	 v3;
	struct sess		*s = pj->pp->ds->s;

	memset(in, 0, sizeof(*in));
	in->cp = pj->cp;
	in->time_us = polls_now_us(pj->pp->P);
	/* The agent's snmpEngineBoots, as the engine last learnt it. */
	if (s != NULL && sess_v3_info(s, &v3) == 0 && v3.time_known) {
		in->have_boots = true;
		in->boots = v3.boots;
	}
}

/*
 * A raw answer's varbinds decoded into P's scratch (made at the first
 * need: most answers are taken raw), or NULL.
 */
static const struct snmp_varbind *
polls_decode(struct polls *P, const struct snmp_pdu *pdu)
{
	if (P->dvb == NULL && (P->dvb = calloc(SNMPMGR_MAX_VARBINDS,
	    sizeof(*P->dvb))) == NULL)
		return NULL;
	if (pdu->nvb > SNMPMGR_MAX_VARBINDS ||
	    snmp_vbraw_decode(pdu->raw, pdu->nvb, P->dvb) == -1)
		return NULL;
	return P->dvb;
}

static void
pjob_get_cb(struct sess_req *sr, const struct sess_result *res, void *arg)
{
	struct pjob		*pj = arg;
	const struct snmp_pdu	*pdu = res->pdu;
	const struct snmp_varbind *vb;
	struct rates_in		 in;
	const char		*name;
	char			 detail[160];
	int			 rv;

	pj->sr = NULL;
	if (res->error != 0) {
		pj->tries = res->tries;
		pjob_end(pj, res->error, NULL, false);
		return;
	}
	state_sess_rtt(&pj->pp->st, res->rtt_us);
	if (pdu->error_status != 0) {
		name = snmp_error_status_name(pdu->error_status);
		snprintf(detail, sizeof(detail), "agent answered %s "
		    "(error-status %d, index %d)", name ? name : "?",
		    pdu->error_status, pdu->error_index);
		/* RFC 1157 4.1.2: noSuchName is v1's "no such OID". */
		pjob_end(pj, pdu->error_status == 2 ? SNMPMGR_ERR_NO_SUCH_OID :
		    SNMPMGR_ERR_BAD_PACKET, detail, true);
		return;
	}
	/* Straight into the latest values: one answer is the whole run.
	 * Answered raw (sess_request_vbl) with the names asked for and
	 * plain numbers, as a poll mostly is, no name is decoded. */
	vb = pdu->vb;
	if (pdu->raw != NULL) {
		rv = pj->cp->any_rate ? 1 : state_vals_set_asked(
		    &pj->st.vals, pdu->raw, pdu->nvb, pj->cp->oids,
		    pj->cp->noids);
		if (rv == 0) {
			pjob_end(pj, 0, NULL, true);
			return;
		}
		if (rv == 1 && (vb = polls_decode(pj->pp->P, pdu)) == NULL)
			rv = -1;
		if (rv == -1) {
			pj->st.have = false;
			pjob_end(pj, SNMPMGR_ERR_TOO_MANY_OBJECTS, "cannot "
			    "store the values", true);
			return;
		}
	}
	/* Rates first, while the latest values are the previous sample. */
	if (pj->cp->any_rate) {
		pjob_rates_in(pj, &in);
		rates_get(&pj->st.vals, vb, pdu->nvb, &in);
	}
	if (state_vals_set_get(&pj->st.vals, vb, pdu->nvb, pj->cp->oids,
	    pj->cp->noids) == -1) {
		pj->st.have = false;
		pjob_end(pj, SNMPMGR_ERR_TOO_MANY_OBJECTS, "cannot store the "
		    "values", true);
		return;
	}
	if (pj->cp->any_rate)
		rates_get_done(&pj->st.vals);
	pjob_end(pj, 0, NULL, true);
}

static int	pjob_walk_next(struct pjob *);

static int
pjob_rows_cb(struct walk *w, const struct snmp_varbind *vb, size_t n,
    void *arg)
{
	struct pjob	*pj = arg;
	struct state_vals *work = state_poll_work(&pj->st);

	if (work != NULL && state_vals_add(work, vb, n) == 0)
		return 0;
	walk_cancel(w);
	pj->w = NULL;
	pjob_end(pj, SNMPMGR_ERR_TOO_MANY_OBJECTS, "more than 100000 objects "
	    "in one poll", true);
	return 1;
}

/*
 * Whether a walk that ended with error heard the agent (a report, a value
 * out of range ...), rather than nothing: no answer, or one we could not
 * send, reach (a refused connection) or trust (a DTLS handshake).
 */
static bool
pjob_agent_said(int error)
{
	if (error >= SNMPMGR_ERR_TLS_LIBRARY &&
	    error <= SNMPMGR_ERR_TLS_DECRYPT)
		return false;
	switch (error) {
	case SNMPMGR_ERR_TIMEOUT:
	case SNMPMGR_ERR_INTERRUPTED:
	case SNMPMGR_ERR_SEND:
	case SNMPMGR_ERR_BUSY:
	case SNMPMGR_ERR_MUST_BE_ACTIVE:
	case SNMPMGR_ERR_MSG_TOO_LONG:
	case SNMPMGR_ERR_NOT_IP_ADDRESS:
	case SNMPMGR_ERR_NOT_SUPPORTED:
		return false;
	}
	return true;
}

static void
pjob_walk_done_cb(struct walk *w, const struct walk_result *res, void *arg)
{
	struct pjob	*pj = arg;
	const char	*name;
	char		 detail[160];
	int		 err;

	pj->w = NULL;		/* the engine frees it */
	if (res->error != 0) {
		if (res->error_status != 0) {
			name = snmp_error_status_name(res->error_status);
			snprintf(detail, sizeof(detail), "agent answered %s "
			    "(error-status %d, index %d)", name ? name : "?",
			    res->error_status, res->error_index);
			pjob_end(pj, res->error, detail, true);
		} else
			pjob_end(pj, res->error, NULL,
			    pjob_agent_said(res->error));
		return;
	}
	if (pj->pp->ds->s != NULL)
		state_sess_rtt(&pj->pp->st,
		    sess_get_stats(pj->pp->ds->s)->last_rtt_us);
	pj->wi++;
	if (pj->wi < pj->cp->noids) {
		if (pjob_walk_next(pj) == -1) {
			err = snmpmgr_lasterr();
			pjob_end(pj, err ? err : SNMPMGR_ERR_BUSY,
			    snmpmgr_lasterr_detail(), false);
		}
		return;
	}
	pjob_end(pj, 0, NULL, true);
}

/* Walk subtree pj->wi.  0 or -1 with lasterr. */
static int
pjob_walk_next(struct pjob *pj)
{
	const struct config_poll *cp = pj->cp;
	struct sess		*s = pj->pp->ds->s;
	struct walk_opts	 wo;

	walk_opts_from_sess(&wo, s, &cp->oids[pj->wi]);
	if (cp->is_table) {
		/* the columns together, in one walk */
		wo.columns = cp->oids;
		wo.ncolumns = cp->noids;
		pj->wi = cp->noids - 1;
	}
	/* A poll's own GetBulk size is what it asks (tooBig still halves
	 * it), as snmp.walk's own; without one the walk adapts. */
	if (cp->max_repetitions > 0) {
		wo.max_repetitions = cp->max_repetitions;
		wo.fixed_repetitions = true;
	}
	wo.use_getnext = cp->use_getnext;
	if (cp->timeout_ms > 0 || cp->retries >= 0) {
		wo.timing = true;
		wo.timeout_ms = cp->timeout_ms > 0 ? cp->timeout_ms :
		    sess_get_opts(s)->timeout_ms;
		wo.retries = cp->retries >= 0 ? (uint32_t)cp->retries :
		    sess_get_opts(s)->retries;
	}
	if ((pj->w = walk_start(s, &wo, pjob_rows_cb, pjob_walk_done_cb,
	    pj)) == NULL)
		return -1;
	return 0;
}

/* poller_io.start */
static int
polls_start(void *arg, struct poller_job *j, bool probe)
{
	struct polls		*P = arg;
	struct pjob		*pj = poller_job_udata(j);
	const struct config_poll *cp = pj->cp;
	struct sess		*s = pj->pp->ds->s;
	struct snmp_pdu		 pdu;
	struct snmp_vbl		 vbl;
	struct pwait		*w;
	size_t			 i;
	int			 err;

	pj->start_us = polls_now_us(P);
	state_poll_work_free(&pj->st);
	snmpmgr_clearerr();
	if (s == NULL) {
		snmpmgr_seterr(pj->pp->ds->err, "%s", pj->pp->ds->errdetail);
		goto fail;
	}
	if (cp->is_walk) {
		pj->wi = 0;
		if (pjob_walk_next(pj) == -1)
			goto fail;
		return 0;
	}
	memset(&pdu, 0, sizeof(pdu));
	pdu.type = SNMP_PDU_GET;
	if (P->vb_cp != cp) {
		for (i = 0; i < cp->noids; i++) {
			P->vb[i].name = cp->oids[i];
			P->vb[i].value.type = SNMP_T_NULL;
			P->vb[i].value.len = 0;
			P->vb[i].value.data = NULL;
		}
		P->vb_cp = cp;
	}
	pdu.vb = P->vb;
	pdu.nvb = pdu.maxvb = cp->noids;
	/* The names as encoded at load, copied (conf.h). */
	vbl.p = cp->vbl;
	vbl.len = cp->vbl_len;
	if ((pj->sr = sess_request_vbl(s, &pdu, cp->vbl != NULL ? &vbl : NULL,
	    pjob_get_cb, pj)) == NULL)
		goto fail;
	/* The poll's own timeout and retries, if it has them. */
	if (cp->timeout_ms > 0 || cp->retries >= 0)
		sess_req_set_timing(pj->sr, cp->timeout_ms > 0 ?
		    cp->timeout_ms : sess_get_opts(s)->timeout_ms,
		    cp->retries >= 0 ? (uint32_t)cp->retries :
		    sess_get_opts(s)->retries);
	return 0;
 fail:
	/* The scheduler counts it as an error run; note why here. */
	err = snmpmgr_lasterr() != 0 ? snmpmgr_lasterr() : SNMPMGR_ERR_BUSY;
	state_poll_fail(&pj->st, err, snmpmgr_lasterr_detail(),
	    state_now_ms());
	state_err_copy(&pj->pp->st.err, &pj->st.err);
	pj->pp->st.polls_failed++;
	P->failed++;
	sessions_note(pj->pp->ds, err, snmpmgr_lasterr_detail());
	while ((w = TAILQ_FIRST(&pj->waiters)) != NULL) {
		TAILQ_REMOVE(&pj->waiters, w, entry);
		pwait_end(w);
	}
	return -1;
}

/* Stop what pj has in flight; no callback follows. */
static void
pjob_stop(struct pjob *pj)
{
	if (pj->sr != NULL) {
		sess_req_cancel(pj->sr);
		pj->sr = NULL;
	}
	if (pj->w != NULL) {
		walk_cancel(pj->w);
		pj->w = NULL;
	}
	state_poll_work_free(&pj->st);
}

/* poller_io.cancel */
static void
polls_cancel(void *arg, struct poller_job *j)
{
	struct pjob	*pj = poller_job_udata(j);
	struct pwait	*w;

	pjob_stop(pj);
	while ((w = TAILQ_FIRST(&pj->waiters)) != NULL) {
		TAILQ_REMOVE(&pj->waiters, w, entry);
		pwait_end(w);
	}
}

/* poller_io.state */
static void
polls_state(void *arg, struct poller_sess *ps, enum poller_state from,
    enum poller_state to)
{
	struct polls	*P = arg;
	struct psess	*pp = poller_sess_udata(ps);
	struct dsess	*ds = pp->ds;

	if (to == POLLER_DOWN)
		log_warnx("session %s: down (no answer to %u polls in a row; "
		    "last error %s (%d))", ds->name,
		    poller_get_conf(P->p)->down_after,
		    snmpmgr_strerror(pp->st.err.code), pp->st.err.code);
	else if (from == POLLER_DOWN)
		log_info("session %s: up again", ds->name);
	else
		log_debug("session %s: %s", ds->name, poller_state_name(to));
	if (!events_wanted(P->d->events, EV_STATE, ds->name))
		return;
	events_publish(P->d->events, EV_STATE, ds->name, view_ev_state(
	    poller_state_name(to), poller_state_name(from),
	    pp->st.err.code != 0 && to == POLLER_DOWN ? &pp->st.err : NULL));
}

/* Publish poll, response and error events for a run that ended. */
static void
pjob_events(struct pjob *pj, int error, const char *detail)
{
	struct polls	*P = pj->pp->P;
	struct events	*e = P->d->events;
	const char	*sname = pj->pp->ds->name;

	if (events_wanted(e, EV_POLL, sname))
		events_publish(e, EV_POLL, sname, view_ev_poll(pj->cp->name,
		    error, detail, (polls_now_us(P) - pj->start_us) / 1000.0,
		    error == 0 ? pj->st.vals.n : 0));
	if (error == 0 && events_wanted(e, EV_RESPONSE, sname)) {
		if (events_text_only(e, EV_RESPONSE, sname)) {
			/* Only the cluster wants it: no JSON tree. */
			view_ev_response_text(&P->rb, P->oc, pj->cp->name,
			    &pj->st.vals);
			if (!P->rb.failed)
				events_publish_text(e, EV_RESPONSE, sname,
				    pj->cp->name, P->rb.p, P->rb.len);
		} else
			events_publish(e, EV_RESPONSE, sname,
			    view_ev_response(pj->cp->name, &P->rb,
			    &pj->st.vals));
	}
	if (error != 0 && events_wanted(e, EV_ERROR, sname))
		events_publish(e, EV_ERROR, sname, view_ev_poll_error(
		    pj->cp->name, error, detail));
}

/*
 * A run of pj ended: error 0, or the numbered error (detail NULL: made up
 * here); answered says whether the agent answered at all.
 */
static void
pjob_end(struct pjob *pj, int error, const char *detail, bool answered)
{
	struct psess	*pp = pj->pp;
	struct polls	*P = pp->P;
	struct dsess	*ds = pp->ds;
	struct pwait	*w;
	struct rates_in	 in;
	uint64_t	 now = polls_now_us(P), now_ms = state_now_ms();
	char		 buf[256];

	if (error != 0 && detail == NULL) {
		if (error == SNMPMGR_ERR_TIMEOUT && ds->s != NULL)
			sessions_timeout_detail(ds->s, pj->tries != 0 ?
			    pj->tries : (pj->cp->retries >= 0 ?
			    (uint32_t)pj->cp->retries :
			    sess_get_opts(ds->s)->retries) + 1, buf,
			    sizeof(buf));
		else if (snmpmgr_lasterr() == error)
			snprintf(buf, sizeof(buf), "%s",
			    snmpmgr_lasterr_detail());
		else
			snprintf(buf, sizeof(buf), "%s",
			    snmpmgr_strerror(error));
		detail = buf;
	}
	pj->tries = 0;
	P->done++;
	polls_count(P, now);
	if (error == 0) {
		if (pj->cp->is_walk && pj->cp->any_rate &&
		    pj->st.work != NULL) {
			state_vals_finish(pj->st.work);
			pjob_rates_in(pj, &in);
			rates_walk(pj->st.work, &pj->st.vals, &in);
		}
		if (pj->cp->is_walk)
			state_poll_commit(&pj->st, now_ms, now - pj->start_us);
		else
			state_poll_done(&pj->st, now_ms, now - pj->start_us);
		pp->st.last_ok_ms = now_ms;
		pp->st.polls_ok++;
		sessions_note(ds, 0, NULL);
	} else {
		state_poll_fail(&pj->st, error, detail, now_ms);
		state_err_copy(&pp->st.err, &pj->st.err);
		pp->st.polls_failed++;
		P->failed++;
		sessions_note(ds, error, detail);
	}
	P->pub_start_us = pj->start_us;
	pjob_events(pj, error, detail);
	P->pub_start_us = 0;
	/* This may start other runs, never pj's.  An interrupted run
	 * (session.interrupt) says nothing of the agent. */
	poller_done(pj->j, error == 0 ? POLLER_OK :
	    error == SNMPMGR_ERR_INTERRUPTED ? POLLER_INTERRUPTED :
	    answered ? POLLER_ERROR : POLLER_NOANSWER);
	while ((w = TAILQ_FIRST(&pj->waiters)) != NULL) {
		TAILQ_REMOVE(&pj->waiters, w, entry);
		pwait_end(w);
	}
}

/* ------------------------------------------------------ the polls */

static const struct poller_io polls_io_tmpl = {
	polls_now_us, polls_wake, polls_start, polls_cancel, polls_state, NULL,
	polls_wall_us
};

struct polls *
polls_new(struct daemon *d)
{
	struct polls		*P;
	struct poller_io	 io = polls_io_tmpl;
	uint64_t		 seed;

	if ((P = calloc(1, sizeof(*P))) == NULL)
		goto fail;
	P->d = d;
	render_buf_init(&P->rb);
	if ((P->vb = calloc(SNMPMGR_MAX_VARBINDS, sizeof(*P->vb))) == NULL ||
	    (P->oc = calloc(1, sizeof(*P->oc))) == NULL ||
	    (P->timer = evtimer_new(d->base, polls_timer_cb, P)) == NULL)
		goto fail;
	io.arg = P;
	seed = polls_now_us(P) ^ ((uint64_t)getpid() << 32);
	if ((P->p = poller_new(&io, NULL, seed)) == NULL)
		goto fail;
	return P;
 fail:
	log_warnx("polls: cannot start the scheduler: out of memory");
	polls_free(P);
	return NULL;
}

void
polls_free(struct polls *P)
{
	if (P == NULL)
		return;
	polls_stop(P);
	poller_free(P->p);
	if (P->timer != NULL)
		event_free(P->timer);
	free(P->vb);
	free(P->dvb);
	render_buf_free(&P->rb);
	free(P->oc);
	free(P);
}

void
polls_configure(struct polls *P, const struct config *c)
{
	struct poller_conf	 pc;

	memset(&pc, 0, sizeof(pc));
	pc.max_in_flight = c->sched.max_in_flight;
	pc.session_in_flight = c->sched.session_in_flight;
	pc.down_after = c->sched.down_after;
	pc.backoff_min_ms = c->sched.backoff_min_ms;
	pc.backoff_max_ms = c->sched.backoff_max_ms;
	pc.batch_us = c->sched.batch_ms * 1000;
	poller_set_conf(P->p, &pc);
	P->vb_cp = NULL;	/* c's polls replace the old ones */
}

void
polls_stop(struct polls *P)
{
	struct sessions	*t = P->d->sessions;
	struct dsess	*ds;
	size_t		 i;

	P->stopped = true;
	for (i = 0; t != NULL && i < sessions_count(t); i++) {
		ds = sessions_at(t, i);
		if (ds->ps != NULL)
			poller_sess_enable(ds->ps->ps, false);
	}
}

static void
pjob_free(struct pjob *pj)
{
	struct pwait	*w;

	if (pj == NULL)
		return;
	/* Waiting clients no longer see this poll... */
	while ((w = TAILQ_FIRST(&pj->waiters)) != NULL) {
		TAILQ_REMOVE(&pj->waiters, w, entry);
		w->pj = NULL;
		pwait_end(w);
	}
	/* ...and unscheduling cancels a run in flight (polls_cancel). */
	poller_job_remove(pj->j);
	pjob_stop(pj);
	state_poll_free(&pj->st);
	free(pj);
}

static struct pjob *
pjob_new(struct psess *pp, const struct config_poll *cp)
{
	struct pjob	*pj;

	if ((pj = calloc(1, sizeof(*pj))) == NULL)
		return NULL;
	pj->pp = pp;
	pj->cp = cp;
	state_poll_init(&pj->st);
	TAILQ_INIT(&pj->waiters);
	if ((pj->j = poller_job_add(pp->ps, cp->name, cp->interval_ms,
	    cp->jitter_ms, pj)) == NULL) {
		free(pj);
		return NULL;
	}
	return pj;
}

static void
psess_free(struct psess *pp)
{
	size_t	 i;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->njobs; i++)
		pjob_free(psess_jobs(pp)[i]);
	if (pp->njobs != 1)
		free(pp->jobs.v);
	poller_sess_remove(pp->ps);
	state_err_free(&pp->st.err);
	free(pp);
}

/* The same poll, as far as a running job cares? */
static bool
poll_same(const struct config_poll *a, const struct config_poll *b)
{
	size_t	 i;

	if (a->is_walk != b->is_walk || a->is_table != b->is_table ||
	    a->noids != b->noids ||
	    a->interval_ms != b->interval_ms || a->jitter_ms != b->jitter_ms ||
	    a->timeout_ms != b->timeout_ms || a->retries != b->retries ||
	    a->max_repetitions != b->max_repetitions ||
	    a->use_getnext != b->use_getnext || a->any_rate != b->any_rate)
		return false;
	for (i = 0; i < a->noids; i++)
		if (oid_cmp(&a->oids[i], &b->oids[i]) != 0 ||
		    config_poll_rate(a, i) != config_poll_rate(b, i))
			return false;
	return true;
}

int
polls_sync(struct polls *P, struct dsess *ds, char *err, size_t errsize)
{
	const struct config	 *c = P->d->conf;
	const struct config_poll *cp;
	struct psess		 *pp = ds->ps;
	struct pjob		**nj = NULL, *pj, *one = NULL;
	size_t			  i, k, m = 0, n = ds->cs->npolls;
	int			  rv = 0;

	if (n == 0 || ds->s == NULL) {
		polls_detach(P, ds);
		return 0;
	}
	if (sess_get_opts(ds->s)->broadcast) {
		snprintf(err, errsize, "session %s: a broadcast session "
		    "cannot poll (its answers come from many agents)",
		    ds->name);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (config_find_poll(c, ds->cs->polls[i]) == NULL) {
			snprintf(err, errsize, "session %s: no poll named "
			    "\"%s\"", ds->name, ds->cs->polls[i]);
			return -1;
		}
	if (pp == NULL) {
		if ((pp = calloc(1, sizeof(*pp))) == NULL)
			goto nomem;
		pp->P = P;
		pp->ds = ds;
		if ((pp->ps = poller_sess_add(P->p, ds->name, pp)) == NULL) {
			free(pp);
			goto nomem;
		}
		ds->ps = pp;
		/* Cluster mode: idle until cluster.c says it is ours. */
		pp->idle = P->d->cluster != NULL && !ds->runtime &&
		    !ds->cl_mine;
		if (P->stopped || !sess_get_opts(ds->s)->enabled || pp->idle)
			poller_sess_enable(pp->ps, false);
	}
	/* One poll (the usual case) needs no vector. */
	if (n == 1)
		nj = &one;
	else if ((nj = calloc(n, sizeof(*nj))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		cp = config_find_poll(c, ds->cs->polls[i]);
		/* Keep the job of an unchanged poll. */
		for (k = 0; k < pp->njobs; k++) {
			pj = psess_jobs(pp)[k];
			if (pj != NULL && strcmp(pj->cp->name, cp->name) == 0 &&
			    poll_same(pj->cp, cp)) {
				pj->cp = cp;
				state_vals_rename(&pj->st.vals, cp->oids);
				nj[m++] = pj;
				psess_jobs(pp)[k] = NULL;
				break;
			}
		}
		if (k < pp->njobs)
			continue;
		if ((nj[m] = pjob_new(pp, cp)) == NULL) {
			snprintf(err, errsize, "session %s: poll %s: out of "
			    "memory", ds->name, cp->name);
			rv = -1;
			continue;
		}
		m++;
	}
	for (k = 0; k < pp->njobs; k++)
		pjob_free(psess_jobs(pp)[k]);
	if (pp->njobs != 1)
		free(pp->jobs.v);
	if (m == 1) {
		one = nj[0];
		if (nj != &one)
			free(nj);
		pp->jobs.one = one;
	} else
		pp->jobs.v = nj != &one ? nj : NULL;
	pp->njobs = (uint32_t)m;
	return rv;
 nomem:
	snprintf(err, errsize, "session %s: out of memory", ds->name);
	return -1;
}

int
polls_attach(struct polls *P, struct dsess *ds, char *err, size_t errsize)
{
	return polls_sync(P, ds, err, errsize);
}

void
polls_detach(struct polls *P, struct dsess *ds)
{
	if (ds->ps == NULL)
		return;
	psess_free(ds->ps);
	ds->ps = NULL;
}

void
polls_enable(struct polls *P, struct dsess *ds, bool on)
{
	if (ds->ps != NULL && !P->stopped)
		poller_sess_enable(ds->ps->ps, on && !ds->ps->idle);
}

void
polls_set_idle(struct polls *P, struct dsess *ds, bool idle)
{
	if (ds->ps == NULL || ds->ps->idle == idle)
		return;
	ds->ps->idle = idle;
	if (!P->stopped && ds->s != NULL)
		poller_sess_enable(ds->ps->ps, !idle &&
		    sess_get_opts(ds->s)->enabled);
}

/* ------------------------------------------------------ for the views */

const char *
polls_state_name(const struct dsess *ds)
{
	struct poller_sess_stats st;

	if (ds->s == NULL)
		return "error";
	if (!sess_get_opts(ds->s)->enabled)
		return "disabled";
	if (ds->ps == NULL)
		return "unknown";
	poller_sess_get_stats(ds->ps->ps, &st);
	return poller_state_name(st.state);
}

/* A job's plain numbers for the views. */
static void
pjob_info(const struct pjob *pj, struct state_job_info *ji)
{
	struct poller_job_stats	 st;

	poller_job_get_stats(pj->j, &st);
	memset(ji, 0, sizeof(*ji));
	ji->poll = pj->cp->name;
	ji->is_walk = pj->cp->is_walk;
	if (pj->cp->is_table)
		ji->table_elen = pj->cp->oids[0].len - 1;
	ji->interval_ms = pj->cp->interval_ms;
	ji->st = &pj->st;
	ji->running = poller_job_running(pj->j);
	ji->runs = st.runs;
	ji->ok = st.ok;
	ji->failed = st.errors + st.noanswer;
	ji->overruns = st.overruns;
	ji->skipped_down = st.skipped_down;
	ji->next_us = st.next_us;
}

int
polls_sess_info(const struct dsess *ds, struct polls_sess_info *info)
{
	const struct psess	*pp = ds->ps;

	memset(info, 0, sizeof(*info));
	if (pp == NULL)
		return -1;
	info->njobs = pp->njobs;
	info->st = &pp->st;
	info->now_us = polls_now_us(pp->P);
	poller_sess_get_stats(pp->ps, &info->sched);
	return 0;
}

void
polls_job_info(const struct dsess *ds, size_t i, struct state_job_info *ji)
{
	pjob_info(psess_jobs(ds->ps)[i], ji);
}

void
polls_info(struct polls *P, struct polls_info *pi)
{
	struct sessions		*t = P->d->sessions;
	struct dsess		*ds;
	struct pjob		*pj;
	size_t			 i, k;

	memset(pi, 0, sizeof(*pi));
	poller_get_stats(P->p, &pi->sched);
	pi->conf = poller_get_conf(P->p);
	pi->done = P->done;
	pi->failed = P->failed;
	pi->per_second = polls_rate(P);
	pi->sessions = t;
	for (i = 0; i < sessions_count(t); i++) {
		ds = sessions_at(t, i);
		for (k = 0; ds->ps != NULL && k < ds->ps->njobs; k++) {
			pj = psess_jobs(ds->ps)[k];
			pi->bytes += state_vals_memory(&pj->st.vals);
			if (pj->st.work != NULL)
				pi->bytes += state_vals_memory(
				    pj->st.work);
			pi->objects += pj->st.vals.n;
		}
	}
}

/* One poll's results as JSON text into b. */
static void
pjob_render(struct render_buf *b, const struct pjob *pj, uint64_t now_us)
{
	struct state_job_info	 ji;

	pjob_info(pj, &ji);
	view_poll_job_render(b, &ji, now_us);
}

void
polls_reset(struct polls *P, struct dsess *ds)
{
	size_t	 i;

	for (i = 0; ds->ps != NULL && i < ds->ps->njobs; i++)
		state_poll_reset(&psess_jobs(ds->ps)[i]->st);
	if (sessions_store(ds) != NULL)
		state_poll_reset(sessions_store(ds));
}

/* ---------------------------------------------------------- poll.run */

void
polls_wait_free(struct polls_wait *run)
{
	size_t	 i;

	if (run == NULL)
		return;
	for (i = 0; i < run->nw; i++)
		if (!run->w[i].done && run->w[i].pj != NULL)
			TAILQ_REMOVE(&run->w[i].pj->waiters, &run->w[i],
			    entry);
	free(run->w);
	free(run);
}

bool
polls_wait_ended(const struct polls_wait *run)
{
	return run->pending == 0;
}

void
polls_wait_set_cb(struct polls_wait *run,
    void (*cb)(struct polls_wait *, void *), void *arg)
{
	run->cb = cb;
	run->arg = arg;
}

int
polls_wait_result(struct polls_wait *run, char **out, size_t *outlen)
{
	struct render_buf	 b;
	uint64_t		 now = polls_now_us(run->P);
	size_t			 i, n = 0;
	const char		*name = NULL;

	render_buf_init(&b);
	for (i = 0; i < run->nw; i++)
		if (run->w[i].pj != NULL) {
			name = run->w[i].pj->pp->ds->name;
			break;
		}
	render_adds(&b, "{\"session\":");
	if (name != NULL)
		render_json_str(&b, name, strlen(name));
	else
		render_adds(&b, "null");
	render_adds(&b, ",\"polls\":[");
	for (i = 0; i < run->nw; i++) {
		if (run->w[i].pj == NULL)
			continue;
		if (n++ > 0)
			render_add(&b, ",", 1);
		pjob_render(&b, run->w[i].pj, now);
	}
	render_adds(&b, "]}");
	if (n == 0) {
		render_buf_free(&b);
		return 0;
	}
	if (b.failed) {
		render_buf_free(&b);
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 1;
}

/* w's job ended (or went): the wait ends with the last one. */
static void
pwait_end(struct pwait *w)
{
	struct polls_wait	*run = w->run;

	w->done = true;
	if (--run->pending == 0 && !run->starting && run->cb != NULL)
		run->cb(run, run->arg);
}

struct polls_wait *
polls_run(struct polls *P, struct dsess *ds, const char *poll, int *why)
{
	struct psess		*pp = ds->ps;
	struct polls_wait	*run;
	struct pjob		*pj;
	size_t			 i, n = 0;

	if (!sess_get_opts(ds->s)->enabled || P->stopped) {
		*why = POLLS_RUN_DISABLED;
		return NULL;
	}
	for (i = 0; pp != NULL && i < pp->njobs; i++)
		if (poll == NULL || strcmp(psess_jobs(pp)[i]->cp->name,
		    poll) == 0)
			n++;
	if (n == 0) {
		*why = POLLS_RUN_NO_POLL;
		return NULL;
	}
	if ((run = calloc(1, sizeof(*run))) == NULL ||
	    (run->w = calloc(n, sizeof(*run->w))) == NULL) {
		free(run);
		*why = POLLS_RUN_NOMEM;
		return NULL;
	}
	run->P = P;
	run->starting = true;
	for (i = 0; i < pp->njobs; i++) {
		pj = psess_jobs(pp)[i];
		if (poll != NULL && strcmp(pj->cp->name, poll) != 0)
			continue;
		run->w[run->nw].run = run;
		run->w[run->nw].pj = pj;
		TAILQ_INSERT_TAIL(&pj->waiters, &run->w[run->nw], entry);
		run->nw++;
		run->pending++;
	}
	/*
	 * Start each now; one already running or waiting for a slot is
	 * waited for.  A start that fails ends its wait at once
	 * (polls_start), so all of them may have ended here
	 * (polls_wait_ended).
	 */
	for (i = 0; i < run->nw; i++)
		(void)poller_job_run_now(run->w[i].pj->j);
	run->starting = false;
	return run;
}
