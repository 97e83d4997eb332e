/*
 * cluster_pub.c - cluster mode's publishing thread (cluster_int.h): what
 * the loop handed over is published to JetStream in batches on a NATS
 * connection of its own (not the loop's: neither a write nor a PubAck
 * wakes the loop), each message with its Nats-Msg-Id and a reply subject
 * of ours whose PubAcks this thread reads itself; what NATS cannot take goes to the disk spool
 * (cluster_spool.h) and is replayed, in order, when NATS is back.  The
 * lease is another thread's (cluster.c), so a backlog here never delays
 * it.
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

/*
 * Publish the k records in cl->batch, each with its Nats-Msg-Id and a
 * reply subject of our own, then read their PubAcks (2 heartbeats at
 * most); those without a good one stay marked failed.  The connection is
 * this thread's, off the loop: the batch gathers in its buffer and
 * libnats's flusher thread writes it at once (a larger one is written
 * from here as the buffer fills); the acks its reader thread takes are
 * read here, not by a delivery thread.  The tokens of informs stored are
 * handed to the loop.
 */
static void
cl_pub_batch(struct cluster *cl, struct cl_nats *n, size_t k)
{
	natsMsg		*m, *am;
	natsStatus	 s = NATS_OK;
	const char	*subj;
	char		 reply[160];
	size_t		 i, sent, left, ntok = 0, acked = 0, bad = 0;
	unsigned long long g;
	uint64_t	*nt;
	int64_t		 end, now;

	n->gen++;
	for (i = 0; i < k; i++)
		cl->batch[i]->failed = true;
	for (sent = 0; sent < k; sent++) {
		if (natsConnection_Status(n->pc) != NATS_CONN_STATUS_CONNECTED)
			break;
		snprintf(reply, sizeof(reply), "%s.%llu-%zu", n->ackpre,
		    (unsigned long long)n->gen, sent);
		s = natsMsg_Create(&m, cl->batch[sent]->subj, reply,
		    cl->batch[sent]->data, (int)cl->batch[sent]->len);
		if (s == NATS_OK && (s = natsMsgHeader_Set(m, "Nats-Msg-Id",
		    cl->batch[sent]->id)) == NATS_OK)
			s = natsConnection_PublishMsg(n->pc, m);
		natsMsg_Destroy(m);
		if (s != NATS_OK)
			break;
	}
	end = cl_now_ms() + 2 * (int64_t)cl->hb_ms;
	for (left = sent; left > 0; ) {
		if ((now = cl_now_ms()) >= end)
			break;
		s = natsSubscription_NextMsg(&am, n->acksub, end - now);
		if (s == NATS_TIMEOUT)
			break;
		if (s != NATS_OK)
			continue;	/* e.g. slow consumer: the acks go on */
		subj = strrchr(natsMsg_GetSubject(am), '.');
		if (subj != NULL && sscanf(subj + 1, "%llu-%zu", &g, &i) == 2 &&
		    g == n->gen && i < sent && cl->batch[i]->failed) {
			left--;
			if (cl_ack_ok(am)) {
				cl->batch[i]->failed = false;
				acked++;
			} else
				bad++;
		}
		natsMsg_Destroy(am);
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
		cl_pub_batch(cl, n, k);
		pthread_mutex_lock(&cl->mu);
		nfail = 0;
		for (i = k; i-- > 0;) {
			if (cl->batch[i]->failed) {
				cl_q_put(cl, cl->batch[i], true);
				nfail++;
			} else
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

/* The subscription PubAcks come to (ackpre.*), read synchronously. */
natsStatus
cl_ack_subscribe(struct cl_nats *n)
{
	natsInbox	*inbox = NULL;
	natsStatus	 s;
	char		 wild[140];

	if ((s = natsInbox_Create(&inbox)) != NATS_OK)
		return s;
	snprintf(n->ackpre, sizeof(n->ackpre), "%s", inbox);
	natsInbox_Destroy(inbox);
	snprintf(wild, sizeof(wild), "%s.*", n->ackpre);
	s = natsConnection_SubscribeSync(&n->acksub, n->pc, wild);
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(n->acksub, -1, -1);
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
	/* Woken by the loop (a batch) or libnats's reader (a PubAck), it
	 * need not preempt the loop. */
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
		up = cl->ready;
		pthread_mutex_unlock(&cl->mu);
		/* Its own connection's state (the loop's may differ). */
		up = up && natsConnection_Status(n->pc) ==
		    NATS_CONN_STATUS_CONNECTED;
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
	return NULL;
}
#endif /* HAVE_NATS */
