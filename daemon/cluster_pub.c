/*
 * cluster_pub.c - cluster mode's publishing thread (cluster_int.h): what
 * the loop handed over is published to JetStream through a sliding
 * window of records in flight on a NATS connection of its own
 * (cluster_wire.h: not the loop's, and no libnats thread between), each
 * message with its Nats-Msg-Id and a reply subject of ours whose PubAcks
 * this thread reads itself; what NATS cannot take goes to the disk spool
 * (cluster_spool.h) and is replayed, in order, when NATS is back.  The
 * lease is another thread's (cluster.c), so a backlog here never delays
 * it.
 */
#include <config.h>		/* autoconf's */

#ifdef HAVE_NATS
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cluster_int.h"
#include "log.h"

#define CL_MEM_SPILL	(8U << 20) /* in memory during a replay, at most */
#define CL_SPILL_MS	100	/* records gather this long before a spill */

/* Under mu: the spool's figures for daemon.status. */
static void
cl_spool_stats(struct cluster *cl)
{
	if (cl->spool != NULL)
		cspool_get_stats(cl->spool, &cl->sst);
}

/* Log what the publishing connection met, once until it changes (the
 * text never holds a secret: cluster_wire.h). */
static void
cl_pub_err(struct cluster *cl, struct cl_nats *n, const char *what,
    const char *text, size_t len)
{
	char	 buf[sizeof(n->werr)];

	snprintf(buf, sizeof(buf), "%s%s%.*s", what, len > 0 ? ": " : "",
	    (int)len, text);
	if (strcmp(buf, n->werr) == 0)
		return;
	snprintf(n->werr, sizeof(n->werr), "%s", buf);
	log_warnx("cluster %s: NATS, publishing: %s", cl->name, buf);
}

static void
cl_pub_lost(struct cluster *cl, struct cl_nats *n)
{
	nw_close(n->w);
	n->w = NULL;
	n->wretry_ms = cl_now_ms() + CL_RECONNECT_MS;
	cl_pub_err(cl, n, "connection lost", "", 0);
}

/*
 * Whether the publishing connection is up: connected now if it was not
 * (once per CL_RECONNECT_MS at most), with the subscription PubAcks come
 * to (ackpre.*).  Answers the PINGs that came meanwhile.
 */
static bool
cl_pub_up(struct cluster *cl, struct cl_nats *n)
{
	struct nw_server sv[SNMPMGR_MAX_NATS_SERVERS];
	struct nw_opts	 o;
	struct nw_frame	 f;
	natsInbox	*inbox = NULL;
	char		 err[200], wild[140], name[CL_NODE_LEN + 8], why[600];
	int		 r, idx[SNMPMGR_MAX_NATS_SERVERS];
	bool		 pending;

	if (n->w != NULL) {
		while ((r = nw_next(n->w, &f, 0)) == 1)
			if (f.op == NW_ERR)
				cl_pub_err(cl, n, "the server said", f.data,
				    f.datalen);
		if (r == 0)
			return true;
		cl_pub_lost(cl, n);
		return false;
	}
	if (cl_now_ms() < n->wretry_ms)
		return false;
	n->wretry_ms = cl_now_ms() + CL_RECONNECT_MS;
	snprintf(name, sizeof(name), "%s/pub", cl->node);
	memset(&o, 0, sizeof(o));
	/* Numeric addresses, looked up on the loop (cluster_addr.c). */
	o.servers = sv;
	if ((o.nservers = cl_addr_take(cl, sv, idx, &pending, why,
	    sizeof(why), NULL)) == 0) {
		cl_pub_err(cl, n, "no address for any NATS server", why,
		    strlen(why));
		return false;
	}
	o.name = name;
	o.user = n->user;
	o.password = n->password;
	o.creds = n->creds;
	o.ca = n->ca;
	o.cert = n->cert;
	o.key = n->key;
	o.timeout_ms = 2000;
	if ((n->w = nw_connect(&o, &n->wnext, err, sizeof(err))) == NULL) {
		cl_pub_err(cl, n, "cannot connect", err, strlen(err));
		return false;
	}
	if (natsInbox_Create(&inbox) != NATS_OK) {
		cl_pub_lost(cl, n);
		return false;
	}
	snprintf(n->ackpre, sizeof(n->ackpre), "%s", inbox);
	natsInbox_Destroy(inbox);
	snprintf(wild, sizeof(wild), "%s.*", n->ackpre);
	if (nw_sub(n->w, wild, "1") == -1) {
		cl_pub_lost(cl, n);
		return false;
	}
	if (n->werr[0] != '\0')
		log_info("cluster %s: NATS, publishing: connected", cl->name);
	n->werr[0] = '\0';
	return true;
}

/* The batch and index of a PubAck's subject (ackpre.<gen>-<index>),
 * read by hand: this runs once per record. */
static bool
cl_ack_index(const struct nw_frame *f, unsigned long long *g, size_t *i)
{
	const char	*dot, *dash, *end = f->subj + f->subjlen;
	unsigned long long v;

	dot = memrchr(f->subj, '.', f->subjlen);
	if (dot == NULL || (dash = memchr(dot + 1, '-', (size_t)(end - dot -
	    1))) == NULL)
		return false;
	if (!nw_dec(dot + 1, (size_t)(dash - dot - 1), 19, g) ||
	    !nw_dec(dash + 1, (size_t)(end - dash - 1), 19, &v) ||
	    v > SIZE_MAX)
		return false;
	*i = (size_t)v;
	return true;
}

/*
 * Wait up to ms for the next frame: 1 when it is the PubAck of a record
 * of cl->batch in [lo, hi) (this generation, still waiting: its
 * cl->slot failed), *i its
 * index and *ok whether it was stored; 2 when a frame came that was
 * another's; 0 when nothing came in time; -1 when the connection is
 * lost.
 */
static int
cl_next_ack(struct cluster *cl, struct cl_nats *n, int ms, size_t lo,
    size_t hi, size_t *i, bool *ok)
{
	struct nw_frame	 f;
	unsigned long long g;
	int		 r;

	if ((r = nw_next(n->w, &f, ms)) <= 0) {
		if (r < 0)
			cl_pub_lost(cl, n);
		return r;
	}
	if (f.op == NW_ERR) {
		cl_pub_err(cl, n, "the server said", f.data, f.datalen);
		return 2;
	}
	if (!cl_ack_index(&f, &g, i) || g != n->gen || *i < lo || *i >= hi ||
	    !cl->slot[*i % CL_WINDOW].failed)
		return 2;
	if (!(*ok = nw_ack_ok(&f)))
		cl_pub_err(cl, n, "not stored", f.datalen > 0 ? f.data :
		    f.hdr, f.datalen > 0 ? f.datalen : f.hdrlen);
	return 1;
}

/*
 * Append m's HPUB to n->out, its PubAck to come to ackpre.<gen>-<i>:
 * 0, -1 when out of memory, -2 when it is longer than the server takes
 * (then dropped: no longer failed, nothing to confirm).
 */
static int
cl_put(struct cluster *cl, struct cl_nats *n, struct pubm *m, size_t i)
{
	char		 reply[sizeof(n->ackpre) + 42], *p;
	size_t		 lp = strlen(n->ackpre);
	int		 r;

	/* ackpre.<gen>-<i>, without printf (once per record). */
	memcpy(reply, n->ackpre, lp);
	p = reply + lp;
	*p++ = '.';
	p += nw_utoa(p, n->gen);
	*p++ = '-';
	p += nw_utoa(p, i);
	*p = '\0';
	r = nw_hpubn(&n->out, m->subj, m->subjlen, reply, (size_t)(p - reply),
	    m->id, m->idlen, m->data, m->len, nw_max_payload(n->w));
	if (r == -2) {
		/* Longer than the server takes: it would end the connection
		 * at every try and hold back every record after it.
		 * Dropped, counted, said. */
		log_warnx("cluster %s: %s: record %s of %zu octets is longer "
		    "than the NATS server takes (max_payload %zu): dropped",
		    cl->name, m->subj, m->id, m->len, nw_max_payload(n->w));
		m->failed = false;
		m->token = 0;		/* not stored */
		cl->slot[i % CL_WINDOW].failed = false;
		cl->slot[i % CL_WINDOW].inform = false;
	}
	return r;
}

/* Under mu: m's inform token (if any) to the loop's confirmations; 1
 * when one was added. */
static size_t
cl_confirm(struct cluster *cl, const struct pubm *m)
{
	uint64_t	*nt;

	if (m->token == 0)
		return 0;
	if (cl->nconf_tok == cl->conf_cap) {
		nt = reallocarray(cl->conf_tok, cl->conf_cap ?
		    cl->conf_cap * 2 : 256, sizeof(*nt));
		if (nt == NULL)
			return 0;	/* its ack waits, then goes */
		cl->conf_tok = nt;
		cl->conf_cap = cl->conf_cap ? cl->conf_cap * 2 : 256;
	}
	cl->conf_tok[cl->nconf_tok++] = m->token;
	return 1;
}

/*
 * Publish the k records in cl->batch, each with its Nats-Msg-Id and a
 * reply subject of our own, then read their PubAcks (2 heartbeats at
 * most); those without a good one stay marked failed.  The connection is
 * this thread's (cluster_wire.h): the batch is one write, the PubAcks
 * are read from the socket here.  The tokens of informs stored are
 * handed to the loop.
 */
static void
cl_pub_batch(struct cluster *cl, struct cl_nats *n, size_t k)
{
	size_t		 i, sent, left, ntok = 0, acked = 0, bad = 0;
	size_t		 big = 0;
	int64_t		 end, now;
	bool		 ok;
	int		 r;

	n->gen++;
	for (i = 0; i < k; i++) {
		cl->slot[i].failed = true;
		cl->slot[i].inform = cl->batch[i]->token != 0;
	}
	n->out.len = 0;
	for (sent = 0; sent < k; sent++) {
		if ((r = cl_put(cl, n, cl->batch[sent], sent)) == -1)
			break;
		if (r == -2)
			big++;
	}
	if (n->w == NULL || nw_write(n->w, n->out.p, n->out.len) == -1) {
		if (n->w != NULL)
			cl_pub_lost(cl, n);
		sent = 0;
		for (i = 0; i < k; i++)
			cl->slot[i].failed = true;
		big = 0;
	}
	end = cl_now_ms() + 2 * (int64_t)cl->hb_ms;
	for (left = sent - big; left > 0; ) {
		if ((now = cl_now_ms()) >= end)
			break;
		if ((r = cl_next_ack(cl, n, (int)(end - now), 0, sent, &i,
		    &ok)) < 0)
			break;
		if (r != 1)
			continue;
		left--;
		if (ok) {
			cl->slot[i].failed = false;
			acked++;
		} else
			bad++;
	}
	for (i = 0; i < k; i++)
		cl->batch[i]->failed = cl->slot[i].failed;
	pthread_mutex_lock(&cl->mu);
	cl->pub_acked += acked;
	cl->pub_errors += bad;
	cl->pub_dropped += big;
	for (i = 0; i < k; i++)
		if (!cl->batch[i]->failed)
			ntok += cl_confirm(cl, cl->batch[i]);
	pthread_mutex_unlock(&cl->mu);
	if (ntok > 0)
		event_active(cl->ev_confirm, EV_TIMEOUT, 0);
}

/*
 * Under mu: take the records of the window from seq *head on out of it,
 * in order: the stored ones go to the spares (their informs confirmed), the
 * others (when fail) go back to the head of the queue in their order.
 * Stops at the first not stored unless fail.  The counters too.
 */
static void
cl_retire(struct cluster *cl, size_t *head, size_t next, bool fail,
    size_t *ntok)
{
	struct pubm	*m;
	struct cl_slot	*s;
	size_t		 i;

	if (fail) {
		for (i = next; i-- > *head;) {
			m = cl->batch[i % CL_WINDOW];
			s = &cl->slot[i % CL_WINDOW];
			cl->nflight--;
			cl->flight_bytes -= s->len;
			if (s->failed)
				cl_q_put(cl, m, true);
			else {
				if (s->inform)
					*ntok += cl_confirm(cl, m);
				pubm_spare_keep(&cl->spares, m, s->cap,
				    CL_SPARES);
			}
		}
		*head = next;
		return;
	}
	/* The records' blocks are not read here (cold by now): their
	 * slots tell. */
	for (; *head < next; (*head)++) {
		s = &cl->slot[*head % CL_WINDOW];
		if (s->failed)
			break;
		m = cl->batch[*head % CL_WINDOW];
		if (s->inform)
			*ntok += cl_confirm(cl, m);
		cl->nflight--;
		cl->flight_bytes -= s->len;
		pubm_spare_keep(&cl->spares, m, s->cap, CL_SPARES);
	}
}

/* A cl_flush() pass's window: the records of seqs [head, next) are in
 * flight, at cl->batch[seq % CL_WINDOW]. */
struct cl_win {
	size_t		 head, next;
	size_t		 tokseq;	/* after the last inform taken */
	size_t		 acked, bad, big; /* not yet in cl's counters */
	bool		 fail;		/* the pass ends, the rest go back */
	bool		 deferred;	/* waited for the loop since the
					 * last write */
};

/* Whether the window takes more records. */
static bool
cl_win_room(const struct cluster *cl, const struct cl_win *w)
{
	return w->next - w->head < CL_WINDOW &&
	    cl->flight_bytes < CL_WINDOW_BYTES;
}

/*
 * Retire what is stored (all that is left, after a failure), add the
 * counters, then take what came, up to CL_BATCH records and the
 * window's room, unless the pass failed.  *k0 is the seq of the first
 * taken; true when more wait in the queue.
 */
static bool
cl_win_take(struct cluster *cl, struct cl_win *w, size_t *k0)
{
	struct pubm	*m;
	size_t		 ntok = 0;
	bool		 more;

	pthread_mutex_lock(&cl->mu);
	cl_retire(cl, &w->head, w->next, w->fail, &ntok);
	cl->pub_acked += w->acked;
	cl->pub_errors += w->bad;
	cl->pub_dropped += w->big;
	w->acked = w->bad = w->big = 0;
	*k0 = w->next;
	while (!w->fail && cl->qlen > 0 && w->next - *k0 < CL_BATCH &&
	    cl_win_room(cl, w)) {
		/* A few records on, the header to be read (the blocks are
		 * cold: the loop made them up to CL_LINGER_MS ago). */
		if (cl->qlen > 4)
			__builtin_prefetch(cl->q[(cl->qhead + 4) % cl->qcap]);
		m = cl->q[cl->qhead];
		cl->qbytes -= m->len;
		cl->flight_bytes += m->len;
		cl->nflight++;
		cl->qhead = (cl->qhead + 1) % cl->qcap;
		cl->qlen--;
		cl->slot[w->next % CL_WINDOW].len = m->len;
		cl->slot[w->next % CL_WINDOW].cap = m->cap;
		cl->slot[w->next % CL_WINDOW].inform = m->token != 0;
		cl->batch[w->next++ % CL_WINDOW] = m;
		if (m->token != 0)
			w->tokseq = w->next;	/* an inform waits on it */
	}
	more = cl->qlen > 0;
	pthread_mutex_unlock(&cl->mu);
	if (ntok > 0)
		event_active(cl->ev_confirm, EV_TIMEOUT, 0);
	return more;
}

/* Write the records of seqs [k0, w->next) in one go, each due within 2
 * heartbeats.  False (w->fail) when they could not go. */
static bool
cl_win_write(struct cluster *cl, struct cl_nats *n, struct cl_win *w,
    size_t k0)
{
	struct pubm	*m;
	size_t		 i;
	int64_t		 now = cl_now_ms();
	int		 r;

	n->out.len = 0;
	for (i = k0; i < w->next; i++) {
		m = cl->batch[i % CL_WINDOW];
		/* The next record is copied next: ask for its block now. */
		if (i + 1 < w->next)
			PUBM_PREFETCH(cl->batch[(i + 1) % CL_WINDOW],
			    cl->slot[(i + 1) % CL_WINDOW].cap, 0);
		cl->slot[i % CL_WINDOW].failed = true;
		cl->slot[i % CL_WINDOW].due_ms = now + 2 * (int64_t)cl->hb_ms;
		if ((r = cl_put(cl, n, m, i)) == -1)
			w->fail = true;
		else if (r == -2)
			w->big++;
	}
	if (w->fail || n->w == NULL ||
	    nw_write(n->w, n->out.p, n->out.len) == -1) {
		if (n->w != NULL)
			cl_pub_lost(cl, n);
		w->fail = true;
		return false;
	}
	w->deferred = false;
	return true;
}

/*
 * Read the PubAcks of the window (not empty); wait for one only when
 * nothing else is to be done, until the oldest record is overdue (then
 * w->fail, as on a PubAck that is not good or a connection lost).
 */
static void
cl_win_read(struct cluster *cl, struct cl_nats *n, struct cl_win *w)
{
	struct timespec	 ts;
	const struct cl_slot *s = &cl->slot[w->head % CL_WINDOW];
	size_t		 i;
	int64_t		 wait;
	bool		 ok, defer, got;
	int		 r;

	if (!s->failed)
		return;			/* stored: retired next */
	if ((wait = s->due_ms - cl_now_ms()) <= 0) {
		w->fail = true;
		return;
	}
	/*
	 * The PubAcks that came already, without waiting.  When none has,
	 * no inform waits on the window and it holds a batch of
	 * CL_ACK_DEFER_MIN or more, wait for the loop's next hand-over
	 * rather than on the socket, CL_ACK_DEFER_MS at most: its records
	 * and these PubAcks are then taken in one wake-up, not one each.
	 * After that, or for a small window, wait on the socket.
	 */
	defer = !w->deferred && w->tokseq <= w->head &&
	    w->next - w->head >= CL_ACK_DEFER_MIN;
	r = cl_next_ack(cl, n, defer ? 0 : (int)wait, w->head, w->next, &i,
	    &ok);
	/* Then every other one already read, with no system call. */
	for (got = false; r == 1 || r == 2; r = cl_next_ack(cl, n, -1,
	    w->head, w->next, &i, &ok)) {
		if (r != 1)
			continue;
		got = true;
		if (ok) {
			cl->slot[i % CL_WINDOW].failed = false;
			w->acked++;
		} else {
			w->bad++;
			w->fail = true;
			break;
		}
	}
	if (r < 0)
		w->fail = true;
	if (got || w->fail || !defer)
		return;
	w->deferred = true;
	cl_deadline(&ts, wait < CL_ACK_DEFER_MS ? (uint32_t)wait :
	    CL_ACK_DEFER_MS);
	pthread_mutex_lock(&cl->mu);
	while (cl->qlen == 0 && !cl->stop && cl_wait(cl, &cl->cv, &ts))
		;
	pthread_mutex_unlock(&cl->mu);
}

/*
 * Publish what is queued in memory through a sliding window: up to
 * CL_WINDOW records (CL_WINDOW_BYTES) in flight, new ones written as
 * they come while the PubAcks of earlier ones are read.  Records leave
 * the window in order once stored.  The first without a good PubAck (an
 * error, none within 2 heartbeats, the connection lost) ends it: it and
 * the others not stored go back to the head of the queue, in their
 * order, for the next try (JetStream drops the ones it had after all).
 * False then.
 */
static bool
cl_flush(struct cluster *cl, struct cl_nats *n)
{
	struct cl_win	 w;
	size_t		 k0;
	bool		 more;

	memset(&w, 0, sizeof(w));
	n->gen++;
	for (;;) {
		more = cl_win_take(cl, &w, &k0);
		if (w.fail)
			return false;
		if (w.head == w.next && !more)
			return true;
		if (w.next > k0) {
			if (!cl_win_write(cl, n, &w, k0))
				continue;
			if (more && cl_win_room(cl, &w))
				continue;	/* room for more */
		}
		if (w.head < w.next)
			cl_win_read(cl, n, &w);
	}
}

/*
 * Move what waits in memory to the disk spool, in order, behind what is
 * there already (an inform written there is no longer confirmed: its
 * acknowledgement is never sent and the sender retransmits).
 */
static void
cl_spill(struct cluster *cl)
{
	struct pubm	*m[CL_BATCH];
	size_t		 i, k;

	if (cl->spool == NULL)
		return;
	for (;;) {
		pthread_mutex_lock(&cl->mu);
		for (k = 0; k < CL_BATCH && cl->qlen > 0; k++) {
			m[k] = cl->q[cl->qhead];
			cl->qbytes -= m[k]->len;
			cl->qhead = (cl->qhead + 1) % cl->qcap;
			cl->qlen--;
		}
		pthread_mutex_unlock(&cl->mu);
		for (i = 0; i < k; i++) {
			(void)cspool_append(cl->spool, m[i]->subj, m[i]->id,
			    m[i]->data, m[i]->len);
			pubm_free(m[i]);
		}
		if (k < CL_BATCH)
			break;
	}
	(void)cspool_commit(cl->spool);
	pthread_mutex_lock(&cl->mu);
	cl_spool_stats(cl);
	pthread_mutex_unlock(&cl->mu);
}

/*
 * Publish the disk spool, oldest first, before anything in memory (which
 * is newer).  A record is forgotten once it and all before it are
 * stored.  False when NATS did not take them all.
 */
static bool
cl_replay(struct cluster *cl, struct cl_nats *n)
{
	struct cspool_rec recs[CSPOOL_MAX_READ];
	struct pubm	*m;
	size_t		 i, k, ok;
	uint64_t	 left = UINT64_MAX, rest;
	bool		 bad;

	if (cl->spool == NULL)
		return true;
	for (;;) {
		/* Memory piling up meanwhile goes behind on disk. */
		pthread_mutex_lock(&cl->mu);
		bad = cl->qbytes > CL_MEM_SPILL;
		pthread_mutex_unlock(&cl->mu);
		if (bad)
			cl_spill(cl);
		k = cspool_read(cl->spool, recs, CSPOOL_MAX_READ);
		if (k == 0) {
			pthread_mutex_lock(&cl->mu);
			cl_spool_stats(cl);
			rest = cl->sst.records;
			pthread_mutex_unlock(&cl->mu);
			if (rest == 0)
				return true;
			if (rest >= left)
				return false;	/* nothing moved: later */
			left = rest;
			continue;	/* a bad file was skipped */
		}
		pthread_mutex_lock(&cl->mu);
		for (i = 0; i < k; i++) {
			m = pubm_alloc(recs[i].subj, recs[i].id, recs[i].len);
			if (m == NULL)
				break;
			memcpy(m->data, recs[i].data, recs[i].len);
			cl->batch[i] = m;
		}
		k = i;
		cl->nbatch = k;
		pthread_mutex_unlock(&cl->mu);
		if (k == 0)
			return false;
		cl_pub_batch(cl, n, k);
		pthread_mutex_lock(&cl->mu);
		for (ok = 0; ok < k && !cl->batch[ok]->failed; ok++)
			;
		for (i = 0; i < k; i++)
			pubm_free(cl->batch[i]);
		cl->nbatch = 0;
		pthread_mutex_unlock(&cl->mu);
		cspool_consume(cl->spool, ok);
		pthread_mutex_lock(&cl->mu);
		cl_spool_stats(cl);
		pthread_mutex_unlock(&cl->mu);
		if (ok < k)
			return false;
	}
}

/* Under mu: wait on cv until ts (absolute), or less when stopping or
 * signalled; false when ts passed. */
bool
cl_wait(struct cluster *cl, pthread_cond_t *cv, const struct timespec *ts)
{
	return cl->stop || pthread_cond_timedwait(cv, &cl->mu, ts) !=
	    ETIMEDOUT;
}

/* ts = now + ms, on the clock the condition variables wait by. */
void
cl_deadline(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/*
 * The publishing thread: what the loop hands over is published, the
 * disk spool first, as soon as it comes; while NATS is away it goes to
 * the disk spool, gathered CL_SPILL_MS at a time; so does what is left
 * when the daemon stops, published after the next start.  A batch NATS
 * did not take is tried again a heartbeat later (or with the next
 * records).
 */
void *
cl_pub_thread(void *arg)
{
	struct cluster	*cl = arg;
	struct cl_nats	*n = cl->nats;
	struct cspool	*sp;
	struct timespec	 ts;
	bool		 up, retry = false, pubdown = false;

	(void)pthread_setname_np(pthread_self(), "cl-publish");
#ifdef SCHED_BATCH
	/* Woken by the loop (a batch) or its socket (PubAcks), it need
	 * not preempt the loop. */
	{
		struct sched_param sp0 = { 0 };

		(void)pthread_setschedparam(pthread_self(), SCHED_BATCH,
		    &sp0);
	}
#endif
	sp = cspool_open(n->spool_path, n->spool_max);
	pthread_mutex_lock(&cl->mu);
	cl->spool = sp;
	cl->spool_failed = sp == NULL;
	cl_spool_stats(cl);
	pthread_mutex_unlock(&cl->mu);
	if (sp == NULL)
		log_warnx("cluster %s: no disk spool: records wait in memory "
		    "only while NATS is away", cl->name);
	pthread_mutex_lock(&cl->mu);
	while (!cl->stop) {
		/* With the node's connection up and this thread's own not,
		 * try it again at its retry interval, not at the next
		 * heartbeat. */
		cl_deadline(&ts, pubdown ? CL_RECONNECT_MS : cl->hb_ms);
		while ((cl->qlen == 0 || retry) && !cl->back &&
		    cl_wait(cl, &cl->cv, &ts) && !cl->stop)
			;
		if (cl->stop)
			break;
		cl->back = false;
		/* The node's connection first (its state is the one shown),
		 * then this thread's own. */
		up = cl->state == NS_CONNECTED && cl->ready;
		pthread_mutex_unlock(&cl->mu);
		pubdown = up && !cl_pub_up(cl, n);
		up = up && !pubdown;
		if (up)
			retry = !cl_replay(cl, n) || !cl_flush(cl, n);
		else if (cl->spool != NULL) {
			/* Gather, then one write and one sync. */
			cl_deadline(&ts, CL_SPILL_MS);
			pthread_mutex_lock(&cl->mu);
			while (cl_wait(cl, &cl->cv, &ts) && !cl->stop)
				;
			pthread_mutex_unlock(&cl->mu);
			cl_spill(cl);
			retry = false;
		} else
			retry = true;
		pthread_mutex_lock(&cl->mu);
	}
	pthread_mutex_unlock(&cl->mu);
	/* What waits in memory goes to disk, for the next start.  The
	 * lease is left to expire: the loop may be gone, and a request now
	 * would only wait for its timeout. */
	cl_spill(cl);
	nw_close(n->w);
	n->w = NULL;
	return NULL;
}
#endif /* HAVE_NATS */
