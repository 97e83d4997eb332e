/*
 * cluster_pub.c - cluster mode's publishing thread (cluster_int.h): what
 * the loop handed over is published to JetStream in batches, each
 * message with its Nats-Msg-Id; a reply subject of ours, whose PubAcks
 * this thread reads itself, on every trap, inform and event record but
 * only on the last of a run of poll records (its PubAck stands for the
 * run: see cl_pub_batch for when it does not, and what is done then);
 * what NATS cannot take goes to the disk spool (cluster_spool.h) and is
 * replayed, in order, when NATS is back.  The lease is another thread's
 * (cluster.c), so a backlog here never delays it.
 */
#include <config.h>		/* autoconf's */

#ifdef HAVE_NATS
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cluster_int.h"
#include "log.h"

#define CL_MEM_SPILL	(8U << 20) /* in memory during a replay, at most */
#define CL_SPILL_MS	100	/* records gather this long before a spill */
#define CL_ACK_NAP_US	2000	/* PubAcks gather this long between reads */
#define CL_KEEP_HB	2	/* proxied poll records kept, heartbeats */

/* Under mu: the spool's figures for daemon.status. */
static void
cl_spool_stats(struct cluster *cl)
{
	if (cl->spool != NULL)
		cspool_get_stats(cl->spool, &cl->sst);
}

/* Whether a PubAck says the message was stored (or was a duplicate). */
static bool
cl_ack_ok(natsMsg *m)
{
	const char	*d = natsMsg_GetData(m);
	int		 len = natsMsg_GetDataLength(m);

	return !natsMsg_IsNoResponders(m) && d != NULL && len > 0 &&
	    memmem(d, (size_t)len, "\"error\"", 7) == NULL &&
	    memmem(d, (size_t)len, "\"seq\"", 5) != NULL;
}

/* Free the PubAcks read: one hand-over to libnats's garbage collector
 * for many (it wakes when its list was empty, so freeing them one by
 * one as they came woke it once per record). */
static void
cl_acks_free(natsMsg **acks, size_t *nacks)
{
	size_t	 i;

	for (i = 0; i < *nacks; i++)
		natsMsg_Destroy(acks[i]);
	*nacks = 0;
}

/* One PubAck read: the record it answers, if it is this batch's. */
static void
cl_ack_take(struct cluster *cl, struct cl_nats *n, natsMsg *am, size_t sent,
    size_t *left, size_t *bad)
{
	const char	*subj;
	unsigned long long g;
	size_t		 i;

	subj = strrchr(natsMsg_GetSubject(am), '.');
	if (subj != NULL && sscanf(subj + 1, "%llu-%zu", &g, &i) == 2 &&
	    g == n->gen && i < sent && cl->batch[i]->failed) {
		(*left)--;
		if (cl_ack_ok(am))
			cl->batch[i]->failed = false;
		else
			(*bad)++;
	}
}

/* Whether m is a poll result (for the polls stream). */
static bool
cl_is_poll(const struct cluster *cl, const struct pubm *m)
{
	size_t	 l = strlen(cl->name);

	return strncmp(m->subj, "snmpmgrd.", 9) == 0 &&
	    strncmp(m->subj + 9, cl->name, l) == 0 &&
	    strncmp(m->subj + 9 + l, ".poll.", 6) == 0;
}

/*
 * On the loop: publish the messages the thread made (their first is
 * written when the loop next waits; no wake-up of the loop per message
 * from another thread), and tell it how many went.
 */
void
cl_send_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cluster	*cl = arg;
	natsConnection	*nc;
	natsMsg		**v;
	size_t		 i, k, sent = 0;

	pthread_mutex_lock(&cl->mu);
	nc = cl->send_nc;
	v = (natsMsg **)cl->sendv;
	k = cl->nsend;
	cl->send_taken = true;
	pthread_mutex_unlock(&cl->mu);
	for (i = 0; i < k; i++) {
		if (sent == i && natsConnection_Status(nc) ==
		    NATS_CONN_STATUS_CONNECTED &&
		    natsConnection_PublishMsg(nc, v[i]) == NATS_OK)
			sent++;
		natsMsg_Destroy(v[i]);
	}
	pthread_mutex_lock(&cl->mu);
	cl->nsent = sent;
	cl->send_done = true;
	pthread_cond_signal(&cl->scv);
	pthread_mutex_unlock(&cl->mu);
}

/*
 * The k messages v published by the loop (cl_send_cb), which destroys
 * them; how many went, in order.  When the daemon stops before the loop
 * took them, none went.
 */
static size_t
cl_send(struct cluster *cl, struct cl_nats *n, natsMsg **v, size_t k)
{
	size_t		 i, sent;

	if (k == 0)
		return 0;
	pthread_mutex_lock(&cl->mu);
	cl->send_nc = n->nc;
	cl->sendv = (void **)v;
	cl->nsend = k;
	cl->nsent = 0;
	cl->send_taken = cl->send_done = false;
	pthread_mutex_unlock(&cl->mu);
	event_active(cl->ev_send, EV_TIMEOUT, 0);
	pthread_mutex_lock(&cl->mu);
	while (!cl->send_done && !cl->stop)
		pthread_cond_wait(&cl->scv, &cl->mu);
	/* Stopping: the loop is in cluster_free (it sets stop), so it took
	 * them and finished, or never will. */
	sent = cl->send_done ? cl->nsent : 0;
	if (!cl->send_taken)
		for (i = 0; i < k; i++)
			natsMsg_Destroy(v[i]);
	cl->send_taken = true;
	cl->nsend = 0;
	pthread_mutex_unlock(&cl->mu);
	return sent;
}

/*
 * Publish the k records in cl->batch, each with its Nats-Msg-Id, then
 * read their PubAcks (2 heartbeats at most); those without a good one
 * stay marked failed.  The messages are made here and published by the
 * loop (cl_send: one wake-up each way for the batch; published from this
 * thread, each one woke the loop to write it), the acks are read here,
 * not by a delivery thread: woken by
 * the first one, the thread takes all that came, then naps CL_ACK_NAP_US
 * so that the next ones gather.  The tokens of informs stored are
 * handed to the loop.
 *
 * With agg, a run of poll records asks for one PubAck, on its last: one
 * connection, one stream, so the stream leader gets them in order and
 * had the earlier ones when it stored the last.  Unless the leader
 * changed in between: the old one may have lost the earlier ones while
 * the new one stored the last.  Such a run is marked proxied and kept
 * CL_KEEP_HB heartbeats after its PubAck (cl_keep); when the thread
 * reads a leader election of the polls stream (JetStream's advisory) or
 * the connection came back meanwhile, everything kept is published
 * again (cl_recheck) and the stream's duplicate window drops what it
 * had.  A record is lost only if that advisory never reaches this node
 * (it is a plain NATS message) or comes later than the keeping; a
 * record the stream refuses without a reply subject (no such refusal
 * for our streams' limits: they discard old messages) goes unseen.
 * Traps, informs and events ask for a PubAck each; so do records
 * replayed from the disk spool (agg false).
 */
static void
cl_pub_batch(struct cluster *cl, struct cl_nats *n, size_t k, bool agg)
{
	natsMsg		*m, *am, *acks[CL_BATCH], *msgs[CL_BATCH];
	natsStatus	 s = NATS_OK;
	char		 reply[160];
	size_t		 i, sent, left, ntok = 0, acked = 0, bad = 0, nacks = 0;
	uint64_t	*nt;
	int64_t		 end, now;
	int		 pend;
	bool		 ask[CL_BATCH], poll[CL_BATCH], cov;
	struct timespec	 nap = { 0, CL_ACK_NAP_US * 1000 };

	n->gen++;
	for (i = 0; i < k; i++) {
		cl->batch[i]->failed = true;
		cl->batch[i]->proxied = false;
		poll[i] = agg && cl->batch[i]->token == 0 &&
		    cl_is_poll(cl, cl->batch[i]);
	}
	for (i = 0; i < k; i++)
		ask[i] = !poll[i] || i + 1 == k || !poll[i + 1];
	for (i = 0; i < k; i++) {
		snprintf(reply, sizeof(reply), "%s.%llu-%zu", n->ackpre,
		    (unsigned long long)n->gen, i);
		m = NULL;
		s = natsMsg_Create(&m, cl->batch[i]->subj, ask[i] ? reply :
		    NULL, cl->batch[i]->data, (int)cl->batch[i]->len);
		if (s == NATS_OK && (s = natsMsgHeader_Set(m, "Nats-Msg-Id",
		    cl->batch[i]->id)) != NATS_OK) {
			natsMsg_Destroy(m);
			m = NULL;
		}
		if (m == NULL)
			break;
		msgs[i] = m;
	}
	sent = cl_send(cl, n, msgs, i);
	for (i = 0, left = 0; i < sent; i++)
		if (ask[i])
			left++;
	end = cl_now_ms() + 2 * (int64_t)cl->hb_ms;
	while (left > 0) {
		if ((now = cl_now_ms()) >= end)
			break;
		s = natsSubscription_NextMsg(&am, n->acksub, end - now);
		if (s == NATS_TIMEOUT)
			break;
		if (s != NATS_OK)
			continue;	/* e.g. slow consumer: the acks go on */
		for (;;) {
			cl_ack_take(cl, n, am, sent, &left, &bad);
			if (nacks == CL_BATCH)
				cl_acks_free(acks, &nacks);
			acks[nacks++] = am;
			if (natsSubscription_GetPending(n->acksub, &pend,
			    NULL) != NATS_OK || pend <= 0 ||
			    natsSubscription_NextMsg(&am, n->acksub, 0) !=
			    NATS_OK)
				break;
		}
		if (left > 0)
			(void)nanosleep(&nap, NULL);
	}
	cl_acks_free(acks, &nacks);
	/* A run of poll records stands or falls with its last. */
	for (i = sent, cov = false; i-- > 0;) {
		if (ask[i])
			cov = !cl->batch[i]->failed;
		else {
			cl->batch[i]->failed = !cov;
			cl->batch[i]->proxied = cov;
		}
		if (!cl->batch[i]->failed && !cl->batch[i]->again)
			acked++;
	}
	pthread_mutex_lock(&cl->mu);
	cl->pub_acked += acked;
	cl->pub_errors += bad;
	for (i = 0; i < k; i++) {
		if (cl->batch[i]->failed || cl->batch[i]->token == 0)
			continue;
		if (cl->nconf_tok == cl->conf_cap) {
			nt = reallocarray(cl->conf_tok, cl->conf_cap ?
			    cl->conf_cap * 2 : 256, sizeof(*nt));
			if (nt == NULL)
				continue;	/* its ack waits, then goes */
			cl->conf_tok = nt;
			cl->conf_cap = cl->conf_cap ? cl->conf_cap * 2 : 256;
		}
		cl->conf_tok[cl->nconf_tok++] = cl->batch[i]->token;
		ntok++;
	}
	pthread_mutex_unlock(&cl->mu);
	if (ntok > 0)
		event_active(cl->ev_confirm, EV_TIMEOUT, 0);
}

/* Keep m, stored by a later record's PubAck, CL_KEEP_HB heartbeats
 * (at most CL_MEM_SPILL bytes of them: the oldest go first). */
static void
cl_keep(struct cluster *cl, struct cl_nats *n, struct pubm *m)
{
	struct pubm	**nk;
	size_t		 i, cap;

	if (n->klen == n->kcap) {
		cap = n->kcap ? n->kcap * 2 : CL_BATCH;
		if ((nk = reallocarray(NULL, cap, sizeof(*nk))) == NULL) {
			pubm_free(m);
			return;
		}
		for (i = 0; i < n->klen; i++)
			nk[i] = n->kept[(n->khead + i) % n->kcap];
		free(n->kept);
		n->kept = nk;
		n->kcap = cap;
		n->khead = 0;
	}
	m->kept_ms = cl_now_ms() + CL_KEEP_HB * (int64_t)cl->hb_ms;
	n->kept[(n->khead + n->klen++) % n->kcap] = m;
	n->kbytes += m->len;
	while (n->klen > 1 && n->kbytes > CL_MEM_SPILL) {
		n->kbytes -= n->kept[n->khead]->len;
		pubm_free(n->kept[n->khead]);
		n->khead = (n->khead + 1) % n->kcap;
		n->klen--;
	}
}

/* Forget kept records older than now (all of them: all). */
static void
cl_kept_expire(struct cl_nats *n, bool all)
{
	int64_t		 now = cl_now_ms();

	while (n->klen > 0 && (all || n->kept[n->khead]->kept_ms <= now)) {
		n->kbytes -= n->kept[n->khead]->len;
		pubm_free(n->kept[n->khead]);
		n->khead = (n->khead + 1) % n->kcap;
		n->klen--;
	}
}

/*
 * Before a batch: when the polls stream elected a leader or the
 * connection came back since the last look, the records kept (stored by
 * a PubAck that may not stand for them, cl_pub_batch) go to the head of
 * the queue, in order, to be published again.
 */
static void
cl_recheck(struct cluster *cl, struct cl_nats *n)
{
	natsMsg		*am;
	struct pubm	*m;
	int		 pend;
	size_t		 nre = 0;
	bool		 elected = false;

	while (n->leadsub != NULL && natsSubscription_GetPending(n->leadsub,
	    &pend, NULL) == NATS_OK && pend > 0 &&
	    natsSubscription_NextMsg(&am, n->leadsub, 0) == NATS_OK) {
		elected = true;
		natsMsg_Destroy(am);
	}
	pthread_mutex_lock(&cl->mu);
	if (elected || cl->reconnects != n->reconnects) {
		while (n->klen > 0) {
			m = n->kept[(n->khead + --n->klen) % n->kcap];
			n->kbytes -= m->len;
			m->again = true;
			cl_q_put(cl, m, true);
			nre++;
		}
		cl->pub_resent += nre;
	}
	n->reconnects = cl->reconnects;
	pthread_mutex_unlock(&cl->mu);
	if (nre > 0)
		log_info("cluster %s: %s: %zu poll records published again",
		    cl->name, elected ? "the polls stream elected a leader" :
		    "NATS connection back", nre);
	cl_kept_expire(n, false);
}

/*
 * Publish what is queued in memory, CL_BATCH records at a time.  Those
 * without a PubAck go back to the head of the queue in their order, for
 * the next try (JetStream drops the ones it had after all).  False when
 * NATS did not take them all.
 */
static bool
cl_flush(struct cluster *cl, struct cl_nats *n)
{
	size_t		 i, k, nfail;

	for (;;) {
		cl_recheck(cl, n);
		pthread_mutex_lock(&cl->mu);
		for (k = 0; k < CL_BATCH && cl->qlen > 0; k++) {
			cl->batch[k] = cl->q[cl->qhead];
			cl->qbytes -= cl->batch[k]->len;
			cl->flight_bytes += cl->batch[k]->len;
			cl->qhead = (cl->qhead + 1) % cl->qcap;
			cl->qlen--;
		}
		cl->nbatch = cl->nflight = k;
		pthread_mutex_unlock(&cl->mu);
		if (k == 0)
			return true;
		cl_pub_batch(cl, n, k, true);
		pthread_mutex_lock(&cl->mu);
		nfail = 0;
		for (i = k; i-- > 0;) {
			if (cl->batch[i]->failed) {
				cl_q_put(cl, cl->batch[i], true);
				cl->batch[i] = NULL;
				nfail++;
			}
		}
		for (i = 0; i < k; i++) {
			if (cl->batch[i] == NULL)
				continue;
			if (cl->batch[i]->proxied)
				cl_keep(cl, n, cl->batch[i]);
			else
				pubm_free(cl->batch[i]);
		}
		cl->nbatch = cl->nflight = 0;
		cl->flight_bytes = 0;
		pthread_mutex_unlock(&cl->mu);
		if (nfail > 0)
			return false;
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
		cl_pub_batch(cl, n, k, false);
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

/* The subscriptions PubAcks come to (ackpre.*) and the polls stream's
 * leader elections, read synchronously. */
natsStatus
cl_ack_subscribe(struct cluster *cl, struct cl_nats *n)
{
	natsInbox	*inbox = NULL;
	natsStatus	 s;
	char		 wild[140], adv[160];

	if ((s = natsInbox_Create(&inbox)) != NATS_OK)
		return s;
	snprintf(n->ackpre, sizeof(n->ackpre), "%s", inbox);
	natsInbox_Destroy(inbox);
	snprintf(wild, sizeof(wild), "%s.*", n->ackpre);
	s = natsConnection_SubscribeSync(&n->acksub, n->nc, wild);
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(n->acksub, -1, -1);
	snprintf(adv, sizeof(adv), "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED."
	    "SNMPMGRD_%s_POLLS", cl->name);
	if (s == NATS_OK)
		s = natsConnection_SubscribeSync(&n->leadsub, n->nc, adv);
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(n->leadsub, -1, -1);
	return s;
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
	bool		 up, retry = false;

	(void)pthread_setname_np(pthread_self(), "cl-publish");
#ifdef SCHED_BATCH
	/* Woken by the loop, it need not preempt it: the loop finishes
	 * reading a burst of PubAcks before this thread takes them. */
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
		cl_deadline(&ts, cl->hb_ms);
		while ((cl->qlen == 0 || retry) && cl_wait(cl, &cl->cv, &ts) &&
		    !cl->stop)
			;
		if (cl->stop)
			break;
		up = cl->state == NS_CONNECTED && cl->ready;
		pthread_mutex_unlock(&cl->mu);
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
	cl_kept_expire(n, true);
	free(n->kept);
	n->kept = NULL;
	n->kcap = n->khead = 0;
	return NULL;
}
#endif /* HAVE_NATS */
