/*
 * walk.h - subtree walks on top of a session: getnext (v1, or on request)
 * or getbulk (v2c/v3) until the subtree ends, endOfMibView, the limit, or an
 * error.  Rows are handed out as each response arrives, so a walk of any
 * size holds one response in memory.
 */
#ifndef SNMPMGR_WALK_H
#define SNMPMGR_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "oid.h"
#include "pdu.h"

struct sess;
struct walk;

struct walk_opts {
	struct oid	 root;		/* the subtree */
	struct oid	 start;		/* resume after this OID; len 0: root */
	uint32_t	 limit;		/* most objects to return; 0 = none */
	bool		 inside_range;	/* stop with 333 on a non-increasing
					 * OID (true), or drop it and go on
					 * after the last object (false) */
	bool		 use_getnext;	/* getnext even on v2c/v3 */
	uint32_t	 max_repetitions; /* 0 = the session's */
	/* max_repetitions is the caller's own: keep it (backing off on
	 * tooBig and empty answers only).  Else the walk starts from what
	 * the session's last walk ended with (sess_walk_hint) or
	 * max_repetitions, doubles it while answers come back full up to
	 * SNMPMGR_WALK_MAX_ADAPTIVE and the message sizes, comes down to
	 * what fitted when an answer is cut short, halves it on tooBig, and
	 * leaves the session what it ended with (half after a timeout).  A
	 * GetBulk of more than one repetition that times out (on a datagram
	 * transport) is retried asking for half, within the retries: each
	 * retry a request of its own (sess_req_resend_on_timeout), and the
	 * walk, then the session's next ones (sess_walk_ceil), grow no
	 * further than what came in time.  A table walk's request of
	 * several columns at one repetition each (or GetNext) that times
	 * out is retried likewise asking for half the columns, and the
	 * session's next table walks ask for no more (sess_walk_cols). */
	bool		 fixed_repetitions;
	/* timing: each request waits timeout_ms per try with at most
	 * retries retransmissions (sess_req_set_timing), not the
	 * session's. */
	bool		 timing;
	uint32_t	 timeout_ms;
	uint32_t	 retries;
	/* A table walk: the subtrees of these columns at once instead of
	 * root (start is ignored), up to SNMPMGR_MAX_TABLE_COLUMNS.  Each
	 * request has one varbind per column still open (up to
	 * SNMPMGR_TABLE_REQ_COLUMNS), and max-repetitions is shared out
	 * between them; a column ends alone (past its subtree, an exception,
	 * v1 noSuchName on its varbind), the walk when all have.  rows gets
	 * each answer's new objects of all columns, row by row; the final
	 * Get of the root is not done.  The copy is the walk's own. */
	const struct oid *columns;
	size_t		 ncolumns;
};

/* Fill from the session's options (limit, inside_range, max_repetitions). */
void	 walk_opts_from_sess(struct walk_opts *o, const struct sess *s,
	    const struct oid *root);

/*
 * How a walk ended.  error is 0 only when the walk is complete (an object
 * past the subtree, endOfMibView or another exception in place of the
 * next object, v1 noSuchName at the end of the MIB, or the limit
 * reached), else:
 *   201  a request timed out
 *   333  an OID did not increase and inside_range is set (the rows before
 *        it were handed out)
 *   320  the agent answered with an error-status (tooBig even at one
 *        repetition, genErr, ...): error_status and error_index (1-based,
 *        as on the wire) say which; report those, not the text of 320.
 *        With error_status 0: SNMPMGR_MAX_WALK_FRUITLESS answers in a row
 *        brought no new object (empty answers, or only non-increasing
 *        OIDs without inside_range, even with GetNext), or the final Get
 *        of the root was answered without an object; lasterr's detail
 *        says which
 *   398  the session was freed under the walk, or the walk was
 *        interrupted (walk_interrupt, sess_interrupt)
 *   or the error of a request that could not be sent (307, 109, 118...).
 * last is the resume point: the last OID handed out, or start when none.
 */
struct walk_result {
	int		 error;		/* 0, or a numbered error (201, 333...) */
	int		 error_status;	/* agent error-status when it ended one */
	int		 error_index;
	uint64_t	 count;		/* objects handed out */
	struct oid	 last;		/* last OID handed out (for start_oid) */
	uint32_t	 requests;	/* sent (retransmissions not counted) */
	int32_t		 last_request_id; /* of the last one, 0 if none */
};

/*
 * Objects inside the subtree, in order.  Return 0 to go on, or 1 to pause:
 * no further request is sent until walk_resume().  vb is valid during the
 * call only.
 */
typedef int	 walk_rows_cb(struct walk *w, const struct snmp_varbind *vb,
		    size_t n, void *arg);
/* The walk ended; w is freed right after this returns. */
typedef void	 walk_done_cb(struct walk *w, const struct walk_result *res,
		    void *arg);

/*
 * Start a walk.  NULL with lasterr if the first request cannot be sent
 * (done is then never called).  When a walk finds nothing inside the
 * subtree (and start is not set) it ends with one Get of the root and
 * returns that object if it has a value, as Net-SNMP's snmpwalk does.
 */
struct walk	*walk_start(struct sess *s, const struct walk_opts *opts,
		    walk_rows_cb *rows, walk_done_cb *done, void *arg);
/*
 * Go on after rows returned 1.  A no-op unless paused (and when called
 * from inside rows).  If the next request cannot be sent, done is called
 * from inside walk_resume().
 */
void		 walk_resume(struct walk *w);
/* Stop and free a walk; done is not called.  Allowed inside rows; inside
 * done it is a no-op (w is freed after done anyway). */
void		 walk_cancel(struct walk *w);
/*
 * End a walk now as interrupted: done is called from inside this call
 * with error 398 (lasterr 398, why as detail), count and the resume
 * point, then w is freed.  A no-op inside rows or done.  A walk paused
 * between requests also ends this way when sess_interrupt() is called
 * on its session; one with a request outstanding ends through that
 * request.
 */
void		 walk_interrupt(struct walk *w, const char *why);

#endif /* SNMPMGR_WALK_H */
