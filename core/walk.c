/*
 * walk.c - subtree walks on top of the session engine.
 *
 * A walk asks for the successors of the last OID it saw, with GetNext
 * (RFC 1157 4.1.3, RFC 3416 4.2.2) or GetBulk (RFC 3416 4.2.3), and hands
 * each response's objects inside the subtree to the caller before it asks
 * again, so it holds one response at a time.
 *
 * A walk claims completion only when it is complete: it ends without an
 * error when an object lies past the subtree, at endOfMibView or another
 * exception in place of the next object (RFC 3416 4.2.2.1), at a v1
 * noSuchName answer (RFC 1157 4.1.3: the end of the MIB), or at the
 * limit.  Every other end is an error with the count and the resume point
 * (the last object handed out).  An answer with fewer objects than asked
 * is legal (RFC 3416 4.2.3: to fit the agent's size limit) and the walk
 * goes on from its last object; one with none is no end either: the walk
 * asks again with half the max-repetitions, then with GetNext, and gives
 * up with 320 only after SNMPMGR_MAX_WALK_FRUITLESS such answers in a
 * row.  An OID that does not increase (an agent bug that would loop
 * forever) ends the walk with 333 under inside_range; without it the
 * object is dropped and counts as such a fruitless answer, so an agent
 * whose GetBulk misorders is walked with GetNext.  GetBulk answered with
 * tooBig is retried with half the max-repetitions, and so is one that
 * timed out when the walk adapts them (an agent may be too slow to
 * build a large answer in time): each retry of such a GetBulk asks for
 * half what the last try did, down to one, the last tries of one
 * repetition being the session engine's retransmissions.  Like Net-SNMP's
 * snmpwalk, a walk that finds nothing inside the subtree finally tries a
 * Get of the root itself, so walking an instance OID returns that one
 * object.
 *
 * A table walk (walk_opts.columns) is the same walk over several
 * subtrees at once, as Net-SNMP's snmptable does: each request carries
 * one varbind per column still open, each column keeps its own position
 * and ends on its own, and the answer's objects are sorted out by the
 * position of their varbind (RFC 3416 4.2.3: repetition r of varbind c
 * is at r * N + c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "limits.h"
#include "oid.h"
#include "pdu.h"
#include "session.h"
#include "walk.h"

enum walk_phase {
	WALK_RUN,	/* getnext/getbulk through the subtree */
	WALK_ROOT,	/* the final Get of the root */
};

/* One subtree of the walk (a table walk has one per column). */
struct walk_col {
	struct oid		 root;
	struct oid		 next;		/* ask for its successors */
	bool			 open;
	bool			 stalled;	/* went backwards in this answer */
	const struct oid	*prev;		/* while an answer is sorted
						 * out: its last new object */
};

struct walk {
	struct sess		*s;
	struct walk_opts	 o;
	walk_rows_cb		*rows;
	walk_done_cb		*done;
	void			*arg;

	struct sess_req		*req;
	struct walk_col		*cols;
	size_t			 ncols;
	bool			 table;		/* opts.columns was given */
	size_t			 sent[SNMPMGR_TABLE_REQ_COLUMNS]; /* the
						 * column of each varbind
						 * outstanding */
	size_t			 nsent;
	size_t			 percol;	/* columns per request, fewer
						 * after tooBig or a timeout
						 * at one repetition */
	bool			 cols_shrunk;	/* percol came down after a
						 * timeout (walk_resend) */
	struct snmp_varbind	*acc;		/* a table answer's objects */
	size_t			 accsz;
	struct walk_result	 res;
	enum walk_phase		 phase;
	uint32_t		 maxrep;	/* current, after backoff */
	uint32_t		 asked;		/* objects the GetBulk
						 * outstanding asks for */
	uint32_t		 asked_rep;	/* its max-repetitions */
	bool			 asked_full;	/* all maxrep allows */
	uint32_t		 ceil;		/* maxrep grows up to it */
	bool			 adapt;		/* maxrep may grow */
	uint32_t		 fruitless;	/* answers in a row without a
						 * new object */
	uint32_t		 tries;		/* retransmissions left to the
						 * request outstanding */
	bool			 shrunk;	/* it asks for less after a
						 * timeout (walk_resend) */
	bool			 getnext;
	bool			 paused;
	bool			 in_cb;		/* inside rows or done */
	bool			 cancelled;	/* walk_cancel() in a callback */
	bool			 watched;
};

static void	walk_resp_cb(struct sess_req *, const struct sess_result *,
		    void *);
static void	walk_gone_cb(struct sess *, void *);
static int	walk_intr_cb(struct sess *, void *);

void
walk_opts_from_sess(struct walk_opts *o, const struct sess *s,
    const struct oid *root)
{
	const struct sess_opts *so = sess_get_opts(s);

	memset(o, 0, sizeof(*o));
	if (root != NULL)
		o->root = *root;
	o->limit = so->walk_limit;
	o->inside_range = so->walk_inside_range;
	o->max_repetitions = so->max_repetitions;
}

static void
walk_destroy(struct walk *w)
{
	if (w->req != NULL)
		sess_req_cancel(w->req);
	if (w->watched)
		sess_unwatch(w->s, walk_gone_cb, w);
	free(w->cols);
	free(w->acc);
	free(w);
}

/* The retransmissions a request of the walk may have. */
static uint32_t
walk_retries(const struct walk *w)
{
	uint32_t n = w->o.timing ? w->o.retries :
	    sess_get_opts(w->s)->retries;

	return n > SNMPMGR_MAX_RETRIES ? SNMPMGR_MAX_RETRIES : n;
}

/*
 * The outstanding request's timing: over datagrams, a GetBulk of several
 * repetitions of an adaptive walk, and a table walk's request of several
 * columns, are retransmitted by the walk, asking for fewer (walk_resend),
 * each try a request of its own; any other gets the tries left from the
 * engine.
 */
static void
walk_set_timing(struct walk *w, const struct snmp_pdu *pdu)
{
	const struct sess_opts *so = sess_get_opts(w->s);

	if (w->o.timing)
		sess_req_set_timing(w->req, w->o.timeout_ms, w->tries);
	else if (w->tries != walk_retries(w))
		sess_req_set_timing(w->req, so->timeout_ms, w->tries);
	if (w->tries == 0 || SESS_TRANSPORT_IS_STREAM(so->transport) ||
	    pdu->type == SNMP_PDU_GET)
		return;
	if ((pdu->type == SNMP_PDU_GETBULK && w->adapt && w->asked_rep > 1) ||
	    w->nsent > 1)
		sess_req_resend_on_timeout(w->req);
}

/* Ask for the next batch (or the root, in the last phase).  0 or -1. */
static int
walk_send(struct walk *w)
{
	struct snmp_pdu pdu;
	struct snmp_varbind vb[SNMPMGR_TABLE_REQ_COLUMNS];
	uint32_t rep, left;
	size_t i;

	memset(&pdu, 0, sizeof(pdu));
	memset(vb, 0, sizeof(vb));
	pdu.vb = vb;
	w->nsent = 0;
	if (w->phase == WALK_ROOT) {
		pdu.type = SNMP_PDU_GET;
		vb[0].name = w->o.root;
		vb[0].value.type = SNMP_T_NULL;
		w->nsent = 1;
	} else {
		for (i = 0; i < w->ncols && w->nsent < w->percol; i++) {
			if (!w->cols[i].open)
				continue;
			vb[w->nsent].name = w->cols[i].next;
			vb[w->nsent].value.type = SNMP_T_NULL;
			w->sent[w->nsent++] = i;
		}
		pdu.type = w->getnext ? SNMP_PDU_GETNEXT : SNMP_PDU_GETBULK;
	}
	if (pdu.type == SNMP_PDU_GETBULK) {
		/* maxrep is objects per answer, shared by the columns */
		rep = w->maxrep / (uint32_t)w->nsent;
		if (rep == 0)
			rep = 1;
		w->asked_full = true;
		/* Ask for no more than the limit leaves. */
		left = w->o.limit != 0 ? w->o.limit - (uint32_t)w->res.count :
		    0;
		if (w->o.limit != 0 && left / w->nsent < rep) {
			rep = left / (uint32_t)w->nsent;
			w->asked_full = false;
		}
		if (rep == 0)
			rep = 1;
		pdu.error_status = 0;			/* non-repeaters */
		pdu.error_index = (int32_t)rep;		/* max-repetitions */
		w->asked_rep = rep;
		w->asked = rep * (uint32_t)w->nsent;
	}
	pdu.nvb = pdu.maxvb = w->nsent;
	if ((w->req = sess_request(w->s, &pdu, walk_resp_cb, w)) == NULL)
		return -1;
	w->res.requests++;
	w->res.last_request_id = sess_req_id(w->req);
	walk_set_timing(w, &pdu);
	return 0;
}

/* End the walk: call done (unless cancelled) and free. */
static void
walk_finish(struct walk *w, int error)
{
	if (w->adapt && !w->getnext)
		sess_set_walk_hint(w->s, error == SNMPMGR_ERR_TIMEOUT &&
		    w->maxrep > 1 ? w->maxrep / 2 : w->maxrep);
	w->res.error = error;
	w->in_cb = true;
	if (w->done != NULL)
		w->done(w, &w->res, w->arg);
	walk_destroy(w);
}

/* Hand n objects out.  Returns what rows said (0 go on, 1 pause). */
static int
walk_emit(struct walk *w, const struct snmp_varbind *vb, size_t n)
{
	int rc = 0;

	if (n == 0)
		return 0;
	w->res.count += n;
	w->res.last = vb[n - 1].name;
	w->in_cb = true;
	if (w->rows != NULL)
		rc = w->rows(w, vb, n, w->arg);
	w->in_cb = false;
	return rc;
}

/* The subtree held nothing: Get the root itself, or just end. */
static void
walk_end(struct walk *w)
{
	if (w->res.count == 0 && w->o.start.len == 0 && !w->table &&
	    w->phase == WALK_RUN) {
		w->phase = WALK_ROOT;
		if (walk_send(w) == 0)
			return;
		walk_finish(w, snmpmgr_lasterr());
		return;
	}
	walk_finish(w, 0);
}

static void
walk_root_answer(struct walk *w, const struct snmp_pdu *pdu)
{
	const struct snmp_varbind *vb = pdu->vb;

	/* noSuchName (v1) says the root is no object; any other error
	 * leaves that unknown. */
	if (pdu->error_status != SNMP_ERR_NOERROR &&
	    !(pdu->error_status == SNMP_ERR_NOSUCHNAME &&
	    sess_get_opts(w->s)->version == SNMP_V1)) {
		w->res.error_status = pdu->error_status;
		w->res.error_index = pdu->error_index;
		walk_finish(w, SNMPMGR_ERR_BAD_PACKET);
		return;
	}
	if (pdu->error_status == SNMP_ERR_NOERROR && pdu->nvb == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "the agent answered "
		    "the Get of the walk's root without an object");
		walk_finish(w, SNMPMGR_ERR_BAD_PACKET);
		return;
	}
	if (pdu->error_status == SNMP_ERR_NOERROR && pdu->nvb >= 1 &&
	    !snmp_type_is_exception(vb->value.type) &&
	    oid_cmp(&vb->name, &w->o.root) == 0) {
		(void)walk_emit(w, vb, 1);
		if (w->cancelled) {
			walk_destroy(w);
			return;
		}
	}
	walk_finish(w, 0);
}

/*
 * An answer brought no new object: ask again for less (half the
 * max-repetitions, then GetNext), or give up after
 * SNMPMGR_MAX_WALK_FRUITLESS of them in a row.
 */
static void
walk_fruitless(struct walk *w)
{
	char	 last[SNMPMGR_MAX_OID_STR];

	if (++w->fruitless >= SNMPMGR_MAX_WALK_FRUITLESS) {
		oid_format(&w->cols[w->nsent > 0 ? w->sent[0] : 0].next, last,
		    sizeof(last));
		snmpmgr_seterr(SNMPMGR_ERR_BAD_PACKET, "walk stalled: %u "
		    "answers in a row brought no object after %s "
		    "(SNMPMGR_MAX_WALK_FRUITLESS); %llu objects so far, "
		    "resume with start_oid", (unsigned)w->fruitless, last,
		    (unsigned long long)w->res.count);
		walk_finish(w, SNMPMGR_ERR_BAD_PACKET);
		return;
	}
	if (!w->getnext) {
		if (w->maxrep > 1)
			w->maxrep /= 2;
		else
			w->getnext = true;
	}
	if (walk_send(w) == -1)
		walk_finish(w, snmpmgr_lasterr());
}

/*
 * An adaptive walk's answer to a GetBulk of w->asked repetitions: grow
 * maxrep after a full one, within the message sizes at the size of the
 * objects seen; come down to what came when it was cut short.
 */
static void
walk_adapt(struct walk *w, const struct snmp_pdu *pdu)
{
	struct sess_v3_info v3;
	size_t	 i, per = 0, vbsz, budget, fit;
	uint32_t rep;

	if (!w->adapt || w->getnext || w->asked == 0 || pdu->nvb == 0)
		return;
	if (pdu->nvb < w->asked) {
		/* cut short to fit the agent's size limit: that is the size */
		if (pdu->nvb < w->maxrep)
			w->maxrep = (uint32_t)pdu->nvb;
		w->ceil = w->maxrep;
		return;
	}
	if (!w->asked_full || w->maxrep >= w->ceil)
		return;
	/* bytes an object takes, at most (BER: an arc <= 5 bytes; tags and
	 * lengths <= 12), the largest seen */
	for (i = 0; i < pdu->nvb; i++) {
		vbsz = 12 + (size_t)pdu->vb[i].name.len * 5 +
		    (pdu->vb[i].value.data != NULL ? pdu->vb[i].value.len : 9);
		if (vbsz > per)
			per = vbsz;
	}
	budget = sess_get_opts(w->s)->max_packet_size;
	if (budget == 0 || budget > SNMPMGR_MAX_MSG_SIZE)
		budget = SNMPMGR_MAX_MSG_SIZE;
	if (sess_v3_info(w->s, &v3) == 0 && v3.agent_max_size > 0 &&
	    (size_t)v3.agent_max_size < budget)
		budget = (size_t)v3.agent_max_size;
	fit = budget / 2 / per;	/* room for headers and misjudgement */
	rep = w->maxrep * 2;
	if (rep > w->ceil)
		rep = w->ceil;
	if (rep > fit)
		rep = (uint32_t)fit;
	if (rep > w->maxrep)
		w->maxrep = rep;
}

/*
 * An answer with an error-status: tooBig asks again for less (half the
 * repetitions, or at one repetition half the columns), v1 noSuchName
 * ends the column of its varbind (the walk when that was the last one),
 * anything else ends the walk with 320.
 */
static void
walk_status(struct walk *w, const struct snmp_pdu *pdu)
{
	size_t	 i;

	if (pdu->error_status == SNMP_ERR_TOOBIG && !w->getnext &&
	    (w->asked_rep > 1 || w->nsent > 1)) {
		/* Back off: half as many repetitions, or columns. */
		if (w->asked_rep > 1) {
			w->maxrep /= 2;
			if (w->maxrep == 0)
				w->maxrep = 1;
			w->ceil = w->maxrep;
		} else
			w->percol = w->nsent / 2;
		if (walk_send(w) == -1)
			walk_finish(w, snmpmgr_lasterr());
		return;
	}
	if (pdu->error_status == SNMP_ERR_NOSUCHNAME &&
	    sess_get_opts(w->s)->version == SNMP_V1) {
		/* RFC 1157 4.1.3: nothing follows that varbind's OID, the
		 * MIB ends. */
		if (pdu->error_index >= 1 &&
		    (size_t)pdu->error_index <= w->nsent)
			w->cols[w->sent[pdu->error_index - 1]].open = false;
		else
			for (i = 0; i < w->ncols; i++)
				w->cols[i].open = false;
		for (i = 0; i < w->ncols; i++)
			if (w->cols[i].open)
				break;
		if (i == w->ncols)
			walk_end(w);
		else if (walk_send(w) == -1)
			walk_finish(w, snmpmgr_lasterr());
		return;
	}
	w->res.error_status = pdu->error_status;
	w->res.error_index = pdu->error_index;
	walk_finish(w, SNMPMGR_ERR_BAD_PACKET);
}

/*
 * A request timed out (sess_req_resend_on_timeout).  An adaptive GetBulk
 * of several repetitions asks again for half as many objects, and grows
 * no further than that in this walk; once such an answer comes in time,
 * in the session's later walks neither (sess_set_walk_ceil).  A table
 * walk's request of one repetition (or GetNext) for several columns
 * asks again for half the columns, and likewise keeps to that
 * (sess_set_walk_cols).
 */
static void
walk_resend(struct walk *w)
{
	w->tries--;
	if (!w->getnext && w->adapt && w->asked_rep > 1) {
		w->maxrep = w->asked / 2;
		if (w->maxrep == 0)
			w->maxrep = 1;
		w->ceil = w->maxrep;
		w->shrunk = true;
	} else {
		/* one object per column: half the columns, and as many
		 * objects per answer */
		w->percol = w->nsent / 2;
		if (w->percol == 0)
			w->percol = 1;
		w->cols_shrunk = true;
		if (!w->getnext) {
			w->maxrep = (uint32_t)w->percol;
			if (w->adapt) {
				w->ceil = w->maxrep;
				w->shrunk = true;
			}
		}
	}
	if (walk_send(w) == -1)
		walk_finish(w, snmpmgr_lasterr());
}

/*
 * Sort an answer out: each varbind belongs to the column it was asked
 * for (repetition r of varbind c at r * nsent + c).  A column's objects
 * are accepted in order until one ends the column (an exception, past
 * its subtree) or does not increase: the rest of that column's answer is
 * dropped (*error 333 under inside_range).  The new objects, in answer
 * order: a prefix of pdu->vb for a walk of one subtree, w->acc for a
 * table walk.  *end when every column has ended or the limit is reached.
 * Their count, or -1 out of memory.
 */
static size_t
walk_take(struct walk *w, const struct snmp_pdu *pdu, bool *end, int *error)
{
	const struct snmp_varbind *vb;
	struct walk_col *c;
	size_t i, j, n = 0;

	*end = false;
	*error = 0;
	if (w->table && pdu->nvb > w->accsz) {
		free(w->acc);
		w->accsz = 0;
		if ((w->acc = calloc(pdu->nvb, sizeof(*w->acc))) == NULL)
			return (size_t)-1;
		w->accsz = pdu->nvb;
	}
	for (i = 0; i < w->nsent; i++) {
		c = &w->cols[w->sent[i]];
		c->stalled = false;
		c->prev = &c->next;
	}
	for (i = 0, j = 0; i < pdu->nvb && w->nsent > 0; i++, j++) {
		if (j == w->nsent)
			j = 0;
		vb = &pdu->vb[i];
		c = &w->cols[w->sent[j]];
		if (!c->open || c->stalled)
			continue;
		if (snmp_type_is_exception(vb->value.type)) {
			c->open = false;
			continue;
		}
		if (oid_cmp(&vb->name, c->prev) <= 0) {
			/* The agent went backwards: it would loop.  Without
			 * inside_range the rest of the column's answer is
			 * dropped and it goes on after its last object. */
			if (w->o.inside_range) {
				*error = SNMPMGR_ERR_OUT_OF_RANGE;
				break;
			}
			c->stalled = true;
			continue;
		}
		if (!oid_is_prefix(&c->root, &vb->name)) {
			/* Past the subtree (it is past the last object). */
			c->open = false;
			continue;
		}
		c->prev = &vb->name;
		if (w->table)
			w->acc[n] = *vb;
		n++;
		if (w->o.limit != 0 && w->res.count + n >= w->o.limit) {
			*end = true;
			break;
		}
	}
	/* Each column goes on after its last new object. */
	for (i = 0; i < w->nsent; i++) {
		c = &w->cols[w->sent[i]];
		if (c->prev != &c->next)
			c->next = *c->prev;
	}
	for (i = 0; i < w->ncols && !*end; i++)
		if (w->cols[i].open)
			break;
	if (i == w->ncols)
		*end = true;
	return n;
}

/*
 * Take a response apart.  Objects are accepted in order until one ends
 * the walk or does not increase; those are handed out, then the walk
 * ends or goes on.
 */
static void
walk_resp_cb(struct sess_req *req, const struct sess_result *r, void *arg)
{
	struct walk *w = arg;
	const struct snmp_pdu *pdu = r->pdu;
	size_t n;
	bool end;
	int error;

	w->req = NULL;
	if (r->error == SNMPMGR_ERR_TIMEOUT && r->resend) {
		walk_resend(w);
		return;
	}
	if (r->error != 0) {
		walk_finish(w, r->error);
		return;
	}
	w->tries = walk_retries(w);
	if (w->shrunk) {
		w->shrunk = false;
		sess_set_walk_ceil(w->s, w->ceil);
	}
	if (w->cols_shrunk) {
		w->cols_shrunk = false;
		sess_set_walk_cols(w->s, (uint32_t)w->percol);
	}
	if (w->phase == WALK_ROOT) {
		walk_root_answer(w, pdu);
		return;
	}

	if (pdu->error_status != SNMP_ERR_NOERROR) {
		walk_status(w, pdu);
		return;
	}
	if ((n = walk_take(w, pdu, &end, &error)) == (size_t)-1) {
		walk_finish(w, SNMPMGR_ERR_BUSY);
		return;
	}
	/* Fewer objects than asked, none even (RFC 3416 4.2.3), is no end. */
	if (n > 0)
		w->fruitless = 0;
	if (n > 0 && !end && error == 0)
		walk_adapt(w, pdu);

	if (walk_emit(w, w->table ? w->acc : pdu->vb, n) == 1)
		w->paused = true;
	if (w->cancelled) {
		walk_destroy(w);
		return;
	}
	if (error != 0) {
		walk_finish(w, error);
		return;
	}
	if (end) {
		w->paused = false;
		walk_end(w);
		return;
	}
	if (n == 0) {
		walk_fruitless(w);
		return;
	}
	if (w->paused)
		return;
	if (walk_send(w) == -1)
		walk_finish(w, snmpmgr_lasterr());
}

/* The session is being freed while the walk waits (paused). */
static void
walk_gone_cb(struct sess *s, void *arg)
{
	struct walk *w = arg;

	w->watched = false;
	w->req = NULL;
	walk_finish(w, SNMPMGR_ERR_INTERRUPTED);
}

/*
 * sess_interrupt() on the session: a walk waiting for its request ends
 * through that request's callback; one paused between requests ends
 * here.
 */
static int
walk_intr_cb(struct sess *s, void *arg)
{
	struct walk *w = arg;

	if (w->in_cb || w->req != NULL)
		return 0;
	walk_finish(w, SNMPMGR_ERR_INTERRUPTED);
	return 1;
}

/* The walk's subtrees: the columns, or the root.  0 or -1 (lasterr). */
static int
walk_cols(struct walk *w, const struct walk_opts *opts)
{
	uint32_t cols;
	size_t i;

	w->table = opts->ncolumns > 0;
	w->ncols = w->table ? opts->ncolumns : 1;
	if ((w->cols = calloc(w->ncols, sizeof(*w->cols))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return -1;
	}
	for (i = 0; i < w->ncols; i++) {
		w->cols[i].root = w->table ? opts->columns[i] : opts->root;
		if (w->cols[i].root.len == 0) {
			free(w->cols);
			snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID, "an empty "
			    "column OID");
			return -1;
		}
		w->cols[i].next = !w->table && opts->start.len ? opts->start :
		    w->cols[i].root;
		w->cols[i].open = true;
	}
	w->percol = w->ncols < SNMPMGR_TABLE_REQ_COLUMNS ? w->ncols :
	    SNMPMGR_TABLE_REQ_COLUMNS;
	/* a request of more columns timed out: no more than came in time */
	if (w->table && (cols = sess_walk_cols(w->s)) > 0 &&
	    w->percol > cols)
		w->percol = cols;
	/* the caller's pointer is not kept */
	w->o.columns = NULL;
	return 0;
}

struct walk *
walk_start(struct sess *s, const struct walk_opts *opts, walk_rows_cb *rows,
    walk_done_cb *done, void *arg)
{
	const struct sess_opts *so = sess_get_opts(s);
	struct walk *w;
	uint32_t ceil;

	if (opts->root.len == 0 && opts->ncolumns == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID, "no walk root");
		return NULL;
	}
	if (opts->ncolumns > SNMPMGR_MAX_TABLE_COLUMNS) {
		snmpmgr_seterr(SNMPMGR_ERR_TOO_MANY_OBJECTS, "a table walk "
		    "takes at most %d columns", SNMPMGR_MAX_TABLE_COLUMNS);
		return NULL;
	}
	if (so->broadcast) {
		snmpmgr_seterr(SNMPMGR_ERR_ROLE, "a walk needs one agent, "
		    "not a broadcast session");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	w->s = s;
	w->o = *opts;
	w->rows = rows;
	w->done = done;
	w->arg = arg;
	w->phase = WALK_RUN;
	w->getnext = so->version == SNMP_V1 || opts->use_getnext;
	w->maxrep = opts->max_repetitions ? opts->max_repetitions :
	    so->max_repetitions;
	if (w->maxrep == 0)
		w->maxrep = 25;
	w->adapt = !opts->fixed_repetitions;
	if (w->adapt && sess_walk_hint(s) > 0)
		w->maxrep = sess_walk_hint(s);
	if (w->maxrep > SNMPMGR_MAX_REPETITIONS)
		w->maxrep = SNMPMGR_MAX_REPETITIONS;
	w->ceil = w->adapt && w->maxrep < SNMPMGR_WALK_MAX_ADAPTIVE ?
	    SNMPMGR_WALK_MAX_ADAPTIVE : w->maxrep;
	/* a GetBulk of more timed out: no growing past what came in time */
	if (w->adapt && (ceil = sess_walk_ceil(s)) > 0) {
		if (w->ceil > ceil)
			w->ceil = ceil;
		if (w->maxrep > w->ceil)
			w->maxrep = w->ceil;
	}
	w->tries = walk_retries(w);
	if (walk_cols(w, opts) == -1) {
		free(w);
		return NULL;
	}
	if (opts->start.len && !w->table)
		w->res.last = opts->start;
	if (sess_watch_intr(s, walk_gone_cb, walk_intr_cb, w) == -1) {
		free(w->cols);
		free(w);
		snmpmgr_seterr(SNMPMGR_ERR_BUSY, "out of memory");
		return NULL;
	}
	w->watched = true;
	if (walk_send(w) == -1) {
		walk_destroy(w);
		return NULL;
	}
	return w;
}

void
walk_resume(struct walk *w)
{
	if (w == NULL || !w->paused || w->in_cb)
		return;
	w->paused = false;
	if (walk_send(w) == -1)
		walk_finish(w, snmpmgr_lasterr());
}

void
walk_interrupt(struct walk *w, const char *why)
{
	if (w == NULL || w->in_cb)
		return;
	if (w->req != NULL) {
		sess_req_cancel(w->req);
		w->req = NULL;
	}
	w->paused = false;
	snmpmgr_seterr(SNMPMGR_ERR_INTERRUPTED, "%s",
	    why != NULL ? why : "interrupted");
	walk_finish(w, SNMPMGR_ERR_INTERRUPTED);
}

void
walk_cancel(struct walk *w)
{
	if (w == NULL)
		return;
	if (w->in_cb) {
		/* Inside rows: freed when it returns.  Inside done: freed
		 * right after anyway. */
		w->cancelled = true;
		return;
	}
	walk_destroy(w);
}
