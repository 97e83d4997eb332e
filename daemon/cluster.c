/*
 * cluster.c - cluster mode (cluster.h): the lease, the members and the
 * ownership of sessions.
 *
 * Two sides share struct cluster under its mutex.  The thread connects to
 * NATS (the connection's socket is served by the loop through the libnats
 * libevent adapter; records are published by cluster_pub.c's thread on a
 * connection of its own, cluster_wire.h), makes the members bucket, puts
 * this node's lease
 * every heartbeat and reads every lease back; then it hands the view to
 * the loop (event_active, the base being thread-safe).  The loop computes
 * who owns what and makes the sessions of other nodes idle (polls.h).
 * Nothing on the loop waits for NATS.
 */
#include <config.h>		/* autoconf's */

#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "cluster_int.h"
#include "conf.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "poll_sched.h"
#include "polls.h"
#include "render.h"
#include "rendezvous.h"
#include "sessions.h"

#ifdef HAVE_NATS
#include <openssl/crypto.h>
#include <nats/adapters/libevent.h>
#endif

int64_t
cl_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- the loop */

/* 1 + index of node in the names pool, added when new; 0 when full. */
static int
name_idx(struct cluster *cl, const char *node)
{
	size_t	 i;

	for (i = 0; i < cl->nnames; i++)
		if (strcmp(cl->names[i], node) == 0)
			return (int)i + 1;
	if (cl->nnames >= CL_MAX_MEMBERS)
		return 0;
	snprintf(cl->names[cl->nnames], CL_NODE_LEN, "%s", node);
	return (int)++cl->nnames;
}

/* Whether the node of names pool index idx is among the live ones. */
static bool
cl_is_live(const struct cluster *cl, int idx, const char *const *live,
    size_t nlive)
{
	size_t	 i;

	if (idx <= 0 || (size_t)idx > cl->nnames)
		return false;
	for (i = 0; i < nlive; i++)
		if (strcmp(live[i], cl->names[idx - 1]) == 0)
			return true;
	return false;
}

/* Give every configured session its owner; idle those of other nodes. */
static void
cluster_assign(struct cluster *cl, const char *const *live, size_t nlive)
{
	struct daemon	*d = cl->d;
	struct dsess	*ds;
	size_t		 i;
	long		 o;
	int		 me = name_idx(cl, cl->node), idx, why;
	bool		 catchup, exact = me > 0;
	uint32_t	 owned = 0, moved = 0;
	uint64_t	 set[CL_MAX_MEMBERS / 64];

	/* Every reading of the leases comes here: with the same live
	 * members and the same sessions, every owner would be the same,
	 * and the pass over all sessions is not made again. */
	memset(set, 0, sizeof(set));
	for (i = 0; i < nlive; i++) {
		if ((idx = name_idx(cl, live[i])) <= 0) {
			exact = false;
			break;
		}
		set[(idx - 1) / 64] |= UINT64_C(1) << ((idx - 1) % 64);
	}
	if (exact && cl->assigned && cl->assigned_standalone ==
	    cl->standalone && cl->assigned_changes ==
	    sessions_changes(d->sessions) &&
	    memcmp(set, cl->assigned_live, sizeof(set)) == 0)
		return;
	memcpy(cl->assigned_live, set, sizeof(set));
	cl->assigned = exact;
	cl->assigned_standalone = cl->standalone;
	cl->assigned_changes = sessions_changes(d->sessions);

	for (i = 0; i < sessions_count(d->sessions); i++) {
		ds = sessions_at(d->sessions, i);
		if (ds->runtime) {
			idx = me;
		} else if (cl->standalone) {
			idx = me;
		} else {
			o = rdv_owner(live, nlive, ds->name);
			idx = o < 0 ? 0 : name_idx(cl, live[o]);
		}
		catchup = idx == me && ds->cl_owner > 0 && ds->cl_owner != me &&
		    !cl_is_live(cl, ds->cl_owner, live, nlive);
		if (idx != ds->cl_owner) {
			moved++;
			ds->cl_owner = idx;
		}
		ds->cl_mine = idx == me;
		if (idx == me)
			owned++;
		polls_set_idle(d->polls, ds, idx != me);
		/* Taken from a node that is gone: it missed this slot most
		 * likely, so poll now rather than at the session's next point
		 * (a slot it did poll is stored once, by its Nats-Msg-Id). */
		if (catchup && ds->s != NULL)
			polls_wait_free(polls_run(d->polls, ds, NULL, &why));
	}
	if (moved > 0)
		log_info("cluster %s: %zu live members, %u sessions changed "
		    "owner, %u owned here", cl->name, nlive, moved, owned);
	cl->owned = owned;
	pthread_mutex_lock(&cl->mu);
	cl->load = owned;
	pthread_mutex_unlock(&cl->mu);
}

/*
 * Ownership over the members of the last view that are live now; and a
 * timer for the next moment that changes (a lease ends 3 heartbeats after
 * it was stored, a member becomes eligible a heartbeat after its first),
 * so a dead node's sessions move when its lease ends, not a reading
 * later.  A lease whose end the last reading did not see yet (read
 * before it; the member may have put a newer one since) stays live, and
 * the lease thread is asked for a reading at once, which decides: on a
 * loaded machine a member's put a little late and our own reading a
 * little late made a live member look dead (and its sessions moved here
 * and back), while a dead member's lease now ends a reading's round trip
 * after its end.
 */
static void
cluster_reassign(struct cluster *cl)
{
	const char	*live[CL_MAX_MEMBERS];
	struct member	*m;
	size_t		 i, n = 0;
	int64_t		 now = cl_now_ms(), next = 0, t, hb = cl->hb_ms;
	struct timeval	 tv;
	bool		 unread = false;

	if (now < cl->hold_until) {
		tv.tv_sec = (cl->hold_until - now) / 1000;
		tv.tv_usec = ((cl->hold_until - now) % 1000) * 1000 + 1000;
		evtimer_add(cl->ev_expiry, &tv);
		return;
	}
	for (i = 0; i < cl->nmembers && n < CL_MAX_MEMBERS; i++) {
		m = &cl->members[i];
		t = m->put_ms + 3 * hb;
		if (now >= t && cl->members_ms >= t)
			continue;	/* ended, and read so */
		if (now >= t)
			unread = true;	/* ended by the clock only */
		if (now - m->since_ms >= hb)
			live[n++] = m->node;
		else if (m->since_ms + hb < t)
			t = m->since_ms + hb;
		if (t > now && (next == 0 || t < next))
			next = t;
	}
	cluster_assign(cl, live, n);
	if (unread) {
		pthread_mutex_lock(&cl->mu);
		cl->read_now = true;
		pthread_cond_signal(&cl->lcv);
		pthread_mutex_unlock(&cl->mu);
	}
	if (next > now) {
		tv.tv_sec = (next - now) / 1000;
		tv.tv_usec = ((next - now) % 1000) * 1000 + 1000;
		evtimer_add(cl->ev_expiry, &tv);
	}
}

static void
cluster_expiry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cluster	*cl = arg;

	/* Leases end only by a recent reading: when our readings stall
	 * (NATS away, a reply slow), it is not the others that are gone. */
	if (cl->view_ok && !cl->standalone && cl_now_ms() - cl->members_ms <
	    2 * (int64_t)cl->hb_ms)
		cluster_reassign(cl);
}

/*
 * Say when another node announces a config hash other than ours, once
 * per node and hash (a node whose files differ from ours), and when it
 * comes to agree.  old: the members of the view before (NULL: say it of
 * every member that differs, after our own hash changed).
 */
static void
cl_hash_news(struct cluster *cl, const struct member *old, size_t nold)
{
	const struct member	*m, *o;
	size_t			 i, k;

	for (i = 0; i < cl->nmembers; i++) {
		m = &cl->members[i];
		if (strcmp(m->node, cl->node) == 0)
			continue;
		for (k = 0, o = NULL; k < nold && o == NULL; k++)
			if (strcmp(old[k].node, m->node) == 0)
				o = &old[k];
		if (o != NULL && strcmp(o->hash, m->hash) == 0)
			continue;
		if (strcmp(m->hash, cl->hash) != 0)
			log_warnx("cluster %s: node %s announces config hash "
			    "%.16s, ours is %.16s: its configuration files "
			    "differ from ours", cl->name, m->node, m->hash,
			    cl->hash);
		else if (o != NULL)
			log_info("cluster %s: node %s has our configuration "
			    "now (hash %.16s)", cl->name, m->node, m->hash);
	}
}

/*
 * The thread read the leases: the members for ownership are the live
 * ones (a lease younger than 3 heartbeats) that have held one for a
 * heartbeat, so a node that joins or restarts takes sessions only once
 * every node sees it.  A failed reading keeps the last ownership.
 */
static void
cluster_view_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cluster	*cl = arg;
	struct member	*old = NULL;
	size_t		 nold = 0;
	bool		 valid, fresh;

	pthread_mutex_lock(&cl->mu);
	fresh = cl->view_new;
	valid = cl->view_valid;
	if (fresh && valid) {
		old = cl->members;
		nold = cl->nmembers;
		cl->members = cl->view;
		cl->nmembers = cl->nview;
		cl->members_ms = cl->view_ms;
		cl->view = NULL;
		cl->nview = 0;
	}
	cl->view_new = false;
	pthread_mutex_unlock(&cl->mu);
	if (fresh && valid)
		cl_hash_news(cl, old, nold);
	free(old);
	if (!fresh)
		return;
	/* Back after NATS was away: the others' leases are old because
	 * nobody could refresh them; keep what we own until they have had
	 * three heartbeats to do so. */
	if (valid && !cl->view_ok && cl->ever_viewed)
		cl->hold_until = cl_now_ms() + 3 * (int64_t)cl->hb_ms;
	cl->view_ok = valid;
	if (!valid) {
		/* NATS away: keep what we own; never reached: own all. */
		if (!cl->ever_viewed && !cl->standalone) {
			cl->standalone = true;
			log_warnx("cluster %s: NATS not reachable: polling "
			    "every session here until it is "
			    "(standalone-degraded)", cl->name);
			cluster_assign(cl, NULL, 0);
		}
		return;
	}
	if (cl->standalone)
		log_info("cluster %s: NATS reached: sharing the sessions",
		    cl->name);
	cl->standalone = false;
	cl->ever_viewed = true;
	cluster_reassign(cl);
}

/* ------------------------------------------------------- publishing */

/* A subject token from a name: '.', '*', '>', ':' and blanks become '_'.
 * Its length. */
static size_t
token(char *dst, size_t size, const char *src)
{
	size_t	 i;
	char	 c;

	for (i = 0; (c = src[i]) != '\0' && i + 1 < size; i++)
		dst[i] = c == '.' || c == '*' || c == '>' || c == ':' ||
		    c == ' ' || c == '\t' ? '_' : c;
	dst[i] = '\0';
	return i;
}

/* Under mu: drop the oldest record (counted). */
void
cl_q_drop_oldest(struct cluster *cl)
{
	struct pubm	*m = cl->q[cl->qhead];

	cl->qbytes -= m->len;
	pubm_free(m);
	cl->qhead = (cl->qhead + 1) % cl->qcap;
	cl->qlen--;
	cl->pub_dropped++;
}

/* Under mu: add m at the tail (or the head, for a record sent back). */
void
cl_q_put(struct cluster *cl, struct pubm *m, bool front)
{
	while (cl->qlen > 0 && (cl->qlen >= cl->qcap ||
	    cl->qbytes + m->len > cl->qmax_bytes))
		cl_q_drop_oldest(cl);
	if (front) {
		cl->qhead = (cl->qhead + cl->qcap - 1) % cl->qcap;
		cl->q[cl->qhead] = m;
	} else
		cl->q[(cl->qhead + cl->qlen) % cl->qcap] = m;
	cl->qlen++;
	cl->qbytes += m->len;
}

/*
 * Hand what gathered on the loop to the thread: one lock and one
 * wake-up for the batch, not one per record.
 */
static void
cl_handover(struct cluster *cl)
{
	struct pubm_spares sp;
	size_t	 i;

	evtimer_del(cl->ev_hand);
	if (cl->nlq == 0)
		return;
	pthread_mutex_lock(&cl->mu);
	for (i = 0; i < cl->nlq; i++)
		cl_q_put(cl, cl->lq[i], false);
	cl->pub_queued += cl->nlq;
	pthread_cond_signal(&cl->cv);
	if (cl->lspares.n < cl->spares.n) {
		/* The thread's spares for the loop's fewer ones. */
		sp = cl->lspares;
		cl->lspares = cl->spares;
		cl->spares = sp;
	}
	pthread_mutex_unlock(&cl->mu);
	cl->nlq = 0;
}

static void
cluster_hand_cb(evutil_socket_t fd, short ev, void *arg)
{
	cl_handover(arg);
}

/*
 * On the loop: m gathers with the others for CL_LINGER_MS (or until a
 * batch is full), then they go to the thread together.  An inform whose
 * acknowledgement waits for its PubAck (traps.ack_after "cluster") goes
 * at once with what gathered before it: the gathering delays no
 * acknowledgement.
 */
static void
cl_gather(struct cluster *cl, struct pubm *m)
{
	struct timeval	 tv = { 0, CL_LINGER_MS * 1000 };
	struct pubm	**nq;
	size_t		 cap;

	if (cl->nlq == cl->lqcap) {
		cap = cl->lqcap ? cl->lqcap * 2 : CL_BATCH;
		if ((nq = reallocarray(cl->lq, cap, sizeof(*nq))) == NULL) {
			cl_handover(cl);
			pthread_mutex_lock(&cl->mu);
			cl_q_put(cl, m, false);
			cl->pub_queued++;
			pthread_cond_signal(&cl->cv);
			pthread_mutex_unlock(&cl->mu);
			return;
		}
		cl->lq = nq;
		cl->lqcap = cap;
	}
	cl->lq[cl->nlq++] = m;
	if (cl->nlq >= CL_BATCH || m->token != 0)
		cl_handover(cl);
	else if (cl->nlq == 1)
		evtimer_add(cl->ev_hand, &tv);
}

#define CL_SUBJ_LEN	400
/* Append n bytes of s at p, which moves past them. */
#define PUT(p, s, n)	do { memcpy((p), (s), (n)); (p) += (n); } while (0)

/*
 * A poll result's subject, Nats-Msg-Id and `,"slot":N` (buffers of
 * CL_SUBJ_LEN, 32): the slot of the wall clock, phased as scheduled, in
 * which the run started.  A turn begins its slot (the scheduler's grids
 * are anchored to the wall clock), so consecutive turns get consecutive
 * slots however late their answers come: named by the answer's arrival,
 * a slow answer took the next turn's name and JetStream dropped that
 * turn's result as a duplicate.  -1 for a poll not in the config.
 */
static int
cl_poll_ids(struct cluster *cl, const char *session, const char *poll,
    char *subj, char *id, char *extra)
{
	const struct config_poll *cp;
	char		 a[SNMPMGR_MAX_NAME_LEN + 1], b[SNMPMGR_MAX_NAME_LEN + 1];
	char		 num[24], *p;
	uint64_t	 iv, ph, now_us, slot;
	size_t		 la, lb, ln, ls, lp, ld;
	struct timespec	 ts;

	if ((cp = config_find_poll(cl->d->conf, poll)) == NULL)
		return -1;
	if ((now_us = polls_publishing_start_us(cl->d->polls)) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now_us = (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000;
	}
	iv = (uint64_t)cp->interval_ms * 1000;
	ph = poller_phase_us(session, poll, iv);
	slot = iv == 0 ? 0 : (now_us - ph) / iv;
	la = token(a, sizeof(a), session);
	lb = token(b, sizeof(b), poll);
	ln = strlen(cl->name);
	ls = strlen(session);
	lp = strlen(poll);
	ld = nw_utoa(num, slot);
	if (9 + ln + 6 + la + 1 + lb >= CL_SUBJ_LEN ||
	    ls + 1 + lp + 1 + ld >= CL_SUBJ_LEN) {
		/* Not from a config this daemon takes; cut as ever. */
		snprintf(subj, CL_SUBJ_LEN, "snmpmgrd.%s.poll.%s.%s",
		    cl->name, a, b);
		snprintf(id, CL_SUBJ_LEN, "%s/%s/%llu", session, poll,
		    (unsigned long long)slot);
	} else {
		/* Without printf: this runs once per result. */
		p = subj;
		PUT(p, "snmpmgrd.", 9);
		PUT(p, cl->name, ln);
		PUT(p, ".poll.", 6);
		PUT(p, a, la);
		*p++ = '.';
		PUT(p, b, lb);
		*p = '\0';
		p = id;
		PUT(p, session, ls);
		*p++ = '/';
		PUT(p, poll, lp);
		*p++ = '/';
		PUT(p, num, ld);
		*p = '\0';
	}
	p = extra;
	PUT(p, ",\"slot\":", 8);
	PUT(p, num, ld);
	*p = '\0';
	return 0;
}

/*
 * The event bus's text tap: poll results rendered without a JSON tree
 * (nobody else wanted them), key the poll's name.
 */
static void
cluster_text_tap(void *arg, enum event_type t, const char *session,
    const char *poll, const char *text, size_t len)
{
	struct cluster	*cl = arg;
	struct pubm	*m;
	char		 subj[CL_SUBJ_LEN], id[CL_SUBJ_LEN], extra[32];

	if (t != EV_RESPONSE || !cl->pub_polls || session == NULL ||
	    poll == NULL || cl_poll_ids(cl, session, poll, subj, id,
	    extra) == -1)
		return;
	if ((m = pubm_text_from(&cl->lspares, subj, id, text, len,
	    cl->node_json, extra)) != NULL)
		cl_gather(cl, m);
}

/*
 * The event bus's tap: poll results ("response" events of scheduled
 * polls), traps and informs, and the event types configured, made into
 * records (the event's JSON plus "node"; communities left out) with their
 * subject and Nats-Msg-Id, and queued for the thread.
 */
static void
cluster_tap(void *arg, enum event_type t, const char *session,
    const json_t *params)
{
	struct cluster	*cl = arg;
	const json_t	*v;
	struct pubm	*m;
	const char	*poll;
	char		 subj[CL_SUBJ_LEN], id[CL_SUBJ_LEN], extra[32] = "",
			 a[SNMPMGR_MAX_NAME_LEN + 1];

	subj[0] = '\0';
	if (t == EV_RESPONSE && cl->pub_polls && session != NULL &&
	    (v = json_object_get(params, "poll")) != NULL &&
	    (poll = json_string_value(v)) != NULL &&
	    cl_poll_ids(cl, session, poll, subj, id, extra) == 0) {
		/* subject, id and slot made */
	} else if ((t == EV_TRAP || t == EV_INFORM) && cl->pub_traps &&
	    (poll = json_string_value(json_object_get(params, "source"))) !=
	    NULL) {
		token(a, sizeof(a), poll);
		snprintf(subj, sizeof(subj), "snmpmgrd.%s.trap.%s", cl->name,
		    a);
		/* The start time keeps a restarted node's ids new.  An
		 * inform's id is the same for its retransmissions (source,
		 * port, request-id, uptime), so JetStream keeps one. */
		++cl->trap_seq;
		if (t == EV_INFORM)
			snprintf(id, sizeof(id), "%s/inform/%s/%lld/%lld/%lld",
			    cl->node, a, (long long)json_integer_value(
			    json_object_get(params, "port")), (long long)
			    json_integer_value(json_object_get(params,
			    "request_id")), (long long)json_integer_value(
			    json_object_get(params, "uptime")));
		else
			snprintf(id, sizeof(id), "%lld-%llu/%s", (long long)
			    cl->started_ms, (unsigned long long)cl->trap_seq,
			    cl->node);
		snprintf(extra, sizeof(extra), ",\"seq\":%llu",
		    (unsigned long long)cl->trap_seq);
	} else if (cl->pub_events & (1U << t) && t != EV_RESPONSE) {
		snprintf(subj, sizeof(subj), "snmpmgrd.%s.event.%s", cl->name,
		    events_name(t));
		snprintf(id, sizeof(id), "%s/%s/%s", events_name(t),
		    cl->node, json_string_value(json_object_get(params,
		    "time")) != NULL ? json_string_value(json_object_get(
		    params, "time")) : "");
	}
	m = subj[0] != '\0' ? pubm_event(&cl->tapbuf, subj, id, params,
	    cl->node_json, extra) : NULL;
	if (m == NULL)
		return;
	if (t == EV_INFORM) {
		m->token = cl->inform_token;
		cl->inform_token = 0;
	}
	cl_gather(cl, m);
}

/* Informs JetStream stored: their acknowledgements may go. */
static void
cluster_confirm_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cluster	*cl = arg;
	uint64_t	*tok;
	size_t		 n;

	pthread_mutex_lock(&cl->mu);
	tok = cl->conf_tok;
	n = cl->nconf_tok;
	cl->conf_tok = NULL;
	cl->nconf_tok = cl->conf_cap = 0;
	cl->informs_confirmed += n;
	pthread_mutex_unlock(&cl->mu);
	if (cl->confirm_cb != NULL && n > 0)
		cl->confirm_cb(cl->confirm_arg, tok, n);
	free(tok);
}

void
cluster_set_confirm(struct cluster *cl, void (*cb)(void *, const uint64_t *,
    size_t), void *arg)
{
	if (cl == NULL)
		return;
	cl->confirm_cb = cb;
	cl->confirm_arg = arg;
}

void
cluster_inform_token(struct cluster *cl, uint64_t token)
{
	if (cl != NULL)
		cl->inform_token = token;
}

bool
cluster_owns(const struct cluster *cl, const struct dsess *ds)
{
	size_t	 i;

	if (cl == NULL || ds->runtime)
		return true;
	if (ds->cl_owner <= 0 || (size_t)ds->cl_owner > cl->nnames)
		return false;
	i = (size_t)ds->cl_owner - 1;
	return strcmp(cl->names[i], cl->node) == 0;
}

int
cluster_forward(struct cluster *cl, struct ctl_req *r,
    const struct dsess *ds, const char *method, const json_t *params)
{
#ifdef HAVE_NATS
	const char	*owner;
	char		 tok[CL_NODE_LEN], subj[160];

	if (cl == NULL || cl->fwd == NULL || cluster_owns(cl, ds) ||
	    (owner = cluster_owner(cl, ds))[0] == '\0')
		return -1;
	token(tok, sizeof(tok), owner);
	snprintf(subj, sizeof(subj), "snmpmgrd.%s.rpc.%s", cl->name, tok);
	return cluster_fwd_request(cl->fwd, r, subj, owner, method, params);
#else
	return -1;
#endif
}

const char *
cluster_owner(const struct cluster *cl, const struct dsess *ds)
{
	if (cl == NULL || ds->runtime)
		return cl == NULL ? "" : cl->node;
	if (ds->cl_owner <= 0 || (size_t)ds->cl_owner > cl->nnames)
		return "";
	return cl->names[ds->cl_owner - 1];
}


void
cluster_set_hash(struct cluster *cl, const char *hash)
{
	if (strcmp(cl->hash, hash) == 0)
		return;
	/* The lease thread reads it under mu; the loop alone writes it. */
	pthread_mutex_lock(&cl->mu);
	snprintf(cl->hash, sizeof(cl->hash), "%s", hash);
	pthread_mutex_unlock(&cl->mu);
	log_info("cluster: config hash now %s", hash);
	/* Who differs from us now, said again. */
	cl_hash_news(cl, NULL, 0);
}


#ifdef HAVE_NATS
/* ------------------------------------------------------- the thread */

static struct cl_nats	*cl_n;	/* the threads', one cluster per daemon */

/* The connection's state and what went wrong, logged once until it
 * changes. */
static void
cl_seterr_text(struct cluster *cl, enum nats_state st, const char *buf)
{
	pthread_mutex_lock(&cl->mu);
	cl->state = st;
	if (strcmp(cl->lasterr, buf) != 0) {
		snprintf(cl->lasterr, sizeof(cl->lasterr), "%s", buf);
		pthread_mutex_unlock(&cl->mu);
		log_warnx("cluster %s: NATS: %s", cl->name, buf);
		return;
	}
	pthread_mutex_unlock(&cl->mu);
}

static void
cl_seterr(struct cluster *cl, enum nats_state st, const char *what,
    natsStatus s)
{
	char	 buf[256];

	snprintf(buf, sizeof(buf), "%s: %s%s%s", what, natsStatus_GetText(s),
	    nats_GetLastError(NULL) != NULL ? ": " : "",
	    nats_GetLastError(NULL) != NULL ? nats_GetLastError(NULL) : "");
	cl_seterr_text(cl, st, buf);
}

/*
 * Under mu: NATS is reached (again).  Coming from another state, the
 * publishing thread replays the spool and what waits now, not at its
 * next heartbeat or retry (up to a heartbeat later: most of the replay
 * time of 20,000 records, bench/README.md spool.py).
 */
static void
cl_nats_back(struct cluster *cl)
{
	if (cl->state != NS_CONNECTED) {
		cl->back = true;
		pthread_cond_signal(&cl->cv);
	}
	cl->state = NS_CONNECTED;
}

static void
cl_disconnected_cb(natsConnection *nc, void *arg)
{
	struct cluster	*cl = arg;

	pthread_mutex_lock(&cl->mu);
	cl->state = NS_DISCONNECTED;
	cl->lib_down = true;
	if (cl->addr_gen != cl->conn_gen)
		pthread_cond_signal(&cl->lcv);
	pthread_mutex_unlock(&cl->mu);
}

static void
cl_reconnected_cb(natsConnection *nc, void *arg)
{
	struct cluster	*cl = arg;

	pthread_mutex_lock(&cl->mu);
	cl->lib_down = false;
	cl_nats_back(cl);
	pthread_mutex_unlock(&cl->mu);
	log_info("cluster %s: NATS connection back", cl->name);
}

/* The last callback of a connection (library thread). */
static void
cl_closed_cb(natsConnection *nc, void *arg)
{
	struct cl_nats	*n = arg;

	pthread_mutex_lock(&n->cmu);
	n->closed = true;
	pthread_cond_signal(&n->ccv);
	pthread_mutex_unlock(&n->cmu);
}

static void
cl_close(struct cl_nats *n)
{
	struct timespec	 ts;

	kvStore_Destroy(n->kv);
	jsCtx_Destroy(n->js);
	if (n->nc != NULL) {
		natsConnection_Close(n->nc);
		/* Its disconnected callback, queued before the closed one,
		 * must not run after struct cluster is freed. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		pthread_mutex_lock(&n->cmu);
		while (!n->closed && pthread_cond_timedwait(&n->ccv, &n->cmu,
		    &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&n->cmu);
		natsConnection_Destroy(n->nc);
	}
	n->kv = NULL;
	n->js = NULL;
	n->nc = NULL;
}


/* Make stream SNMPMGRD_<cluster>_<NAME> for snmpmgrd.<cluster>.<kind>.>
 * when absent (an existing one is updated to the limits). */
static int
cl_stream(struct cluster *cl, struct cl_nats *n, const char *kind,
    const char *name, const struct config_stream_limits *l)
{
	jsStreamConfig	 sc;
	jsErrCode	 je = 0;
	natsStatus	 s;
	char		 sname[80], subj[100], what[120];
	const char	*subjs[1] = { subj };

	snprintf(sname, sizeof(sname), "SNMPMGRD_%s_%s", cl->name, name);
	snprintf(subj, sizeof(subj), "snmpmgrd.%s.%s.>", cl->name, kind);
	jsStreamConfig_Init(&sc);
	sc.Name = sname;
	sc.Subjects = subjs;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	sc.Retention = js_LimitsPolicy;
	sc.MaxAge = (int64_t)l->max_age_ms * 1000000;
	sc.MaxBytes = (int64_t)l->max_size;
	sc.Replicas = n->replicas;
	sc.Duplicates = n->dup_ms * 1000000;
	s = js_AddStream(NULL, n->js, &sc, NULL, &je);
	if (s != NATS_OK && je == JSStreamNameExistErr)
		s = js_UpdateStream(NULL, n->js, &sc, NULL, &je);
	if (s != NATS_OK) {
		snprintf(what, sizeof(what), "cannot make stream %s (%d)",
		    sname, (int)je);
		cl_seterr(cl, NS_DISCONNECTED, what, s);
		return -1;
	}
	return 0;
}

/*
 * The node's connection's servers: numeric URLs of the servers whose
 * names have an address (cluster_addr.c), so libnats never looks a name
 * up, and the name their certificates must carry.  With TLS that name
 * is one: the servers named as the first to try (n->lnext, the next one
 * after a failure).  0 and the options set, 1 when no server has an
 * address yet but a first lookup is still out, -1 when none has one
 * (logged).
 */
static int
cl_servers(struct cluster *cl, struct cl_nats *n, natsOptions *o,
    natsStatus *st)
{
	struct nw_server sv[SNMPMGR_MAX_NATS_SERVERS];
	int		 idx[SNMPMGR_MAX_NATS_SERVERS], k, i, j, first, nu = 0;
	char		 ubuf[SNMPMGR_MAX_NATS_SERVERS][NW_HOST_LEN + 1100];
	const char	*urls[SNMPMGR_MAX_NATS_SERVERS], *ui, *expect;
	char		 why[600], what[700];
	bool		 pending, tls, v6, same = true;

	k = cl_addr_take(cl, sv, idx, &pending, why, sizeof(why),
	    &n->take_gen);
	if (k == 0) {
		if (pending)
			return 1;
		snprintf(what, sizeof(what), "cannot connect: no address for "
		    "any NATS server%s%s", why[0] != '\0' ? ": " : "", why);
		cl_seterr_text(cl, NS_DISCONNECTED, what);
		return -1;
	}
	tls = n->ca != NULL || n->cert != NULL;
	for (i = 0; i < k; i++)
		tls = tls || sv[i].tls;
	first = n->lnext % k;
	expect = sv[first].name;
	for (i = 0; i < k; i++) {
		j = (first + i) % k;
		if (strcasecmp(sv[j].name, expect) != 0) {
			if (tls)
				continue;	/* another name: another try */
			same = false;
		}
		ui = n->srv[idx[j]].userinfo;
		v6 = strchr(sv[j].addr, ':') != NULL;
		snprintf(ubuf[nu], sizeof(ubuf[nu]), "%s://%s%s%s%s:%s",
		    sv[j].tls ? "tls" : "nats", ui != NULL ? ui : "",
		    v6 ? "[" : "", sv[j].addr, v6 ? "]" : "", sv[j].port);
		urls[nu] = ubuf[nu];
		nu++;
	}
	/* Without TLS configured and with names that differ, a server
	 * that asks for TLS anyway is checked against its address (libnats
	 * as Debian builds it checks the URL's host). */
	if (!same)
		expect = NULL;
	n->lnext = (first + 1) % k;
	*st = natsOptions_SetServers(o, urls, nu);
	/* The servers a NATS cluster tells of are left out: libnats would
	 * look their names up itself, unbounded. */
	if (*st == NATS_OK)
		*st = natsOptions_SetIgnoreDiscoveredServers(o, true);
	if (*st == NATS_OK && expect != NULL)
		*st = natsOptions_SetExpectedHostname(o, expect);
	for (i = 0; i < nu; i++)
		OPENSSL_cleanse(ubuf[i], strlen(ubuf[i]));
	return 0;
}

/* Connect and open (or make) the members bucket.  0, -1 (logged), or 1
 * when the servers' names have no address yet (a lookup is out). */
static int
cl_connect(struct cluster *cl, struct cl_nats *n)
{
	natsOptions	*o = NULL;
	natsStatus	 s;
	kvConfig	 kc;
	jsOptions	 jo;
	int		 r;

	if ((s = natsOptions_Create(&o)) != NATS_OK)
		goto fail;
	if ((r = cl_servers(cl, n, o, &s)) != 0) {
		natsOptions_Destroy(o);
		return r;
	}
	if (s == NATS_OK)
		s = natsOptions_SetName(o, cl->node);
	if (s == NATS_OK && n->user != NULL)
		s = natsOptions_SetUserInfo(o, n->user, n->password);
	if (s == NATS_OK && n->creds != NULL)
		s = natsOptions_SetUserCredentialsFromFiles(o, n->creds, NULL);
	if (s == NATS_OK && n->ca != NULL)
		s = natsOptions_LoadCATrustedCertificates(o, n->ca);
	if (s == NATS_OK && n->cert != NULL)
		s = natsOptions_LoadCertificatesChain(o, n->cert, n->key);
	if (s == NATS_OK && (n->ca != NULL || n->cert != NULL))
		s = natsOptions_SetSecure(o, true);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 500);
	/* No buffering while reconnecting: what NATS did not take stays in
	 * our queue, so it is published in order when NATS is back. */
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(o, 1);
	/* Writes go to the loop at once (the first of a batch wakes it):
	 * no flusher thread between the publisher and the loop. */
	if (s == NATS_OK)
		s = natsOptions_SetSendAsap(o, true);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(o, cl_disconnected_cb, cl);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(o, cl_reconnected_cb, cl);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(o, cl_closed_cb, n);
	if (s == NATS_OK)
		s = natsOptions_SetEventLoop(o, cl->d->base, natsLibevent_Attach,
		    natsLibevent_Read, natsLibevent_Write, natsLibevent_Detach);
	if (s != NATS_OK)
		goto fail;
	pthread_mutex_lock(&n->cmu);
	n->closed = false;
	pthread_mutex_unlock(&n->cmu);
	if ((s = natsConnection_Connect(&n->nc, o)) != NATS_OK) {
		natsOptions_Destroy(o);
		cl_seterr(cl, NS_DISCONNECTED, "cannot connect", s);
		return -1;
	}
	natsOptions_Destroy(o);
	o = NULL;
	/* A reply slower than a heartbeat is as good as none. */
	jsOptions_Init(&jo);
	jo.Wait = cl->hb_ms;
	if ((s = natsConnection_JetStream(&n->js, n->nc, &jo)) != NATS_OK)
		goto fail;
	kvConfig_Init(&kc);
	kc.Bucket = n->bucket;
	kc.History = 1;
	kc.TTL = (int64_t)cl->hb_ms * 10 * 1000000;	/* ns */
	kc.Replicas = (int)n->replicas;
	if ((s = js_CreateKeyValue(&n->kv, n->js, &kc)) != NATS_OK &&
	    (s = js_KeyValue(&n->kv, n->js, n->bucket)) != NATS_OK) {
		cl_seterr(cl, NS_DISCONNECTED, "cannot open the members bucket",
		    s);
		cl_close(n);
		return -1;
	}
	if (cl_stream(cl, n, "poll", "POLLS", &n->polls) == -1 ||
	    cl_stream(cl, n, "trap", "TRAPS", &n->traps) == -1 ||
	    cl_stream(cl, n, "event", "EVENTS", &n->events) == -1) {
		cl_close(n);
		return -1;
	}
	pthread_mutex_lock(&cl->mu);
	cl->state = NS_CONNECTED;
	cl->conn_gen = n->take_gen;
	cl->lib_down = false;
	cl->ready = true;
	cl->back = true;	/* a spool left from before goes now */
	cl->lasterr[0] = '\0';
	pthread_cond_signal(&cl->cv);
	pthread_mutex_unlock(&cl->mu);
	cluster_fwd_attach(cl->fwd, n->nc);
	log_info("cluster %s: node %s connected to NATS, bucket %s",
	    cl->name, cl->node, n->bucket);
	return 0;
 fail:
	natsOptions_Destroy(o);
	cl_seterr(cl, NS_DISCONNECTED, "cannot set up", s);
	cl_close(n);
	return -1;
}

/* Parse one lease; false when it is not one of ours. */
static bool
cl_parse(kvEntry *e, struct member *m)
{
	json_t		*j;
	json_error_t	 je;
	const char	*node = NULL, *ver = "", *hash = "";
	json_int_t	 load = 0, since = 0;
	bool		 ok;

	j = json_loadb(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), 0, &je);
	ok = j != NULL && json_unpack(j, "{s:s,s?s,s?s,s?I,s?I}", "node",
	    &node, "version", &ver, "hash", &hash, "load", &load, "since",
	    &since) == 0 && strlen(node) < sizeof(m->node);
	if (ok) {
		memset(m, 0, sizeof(*m));
		snprintf(m->node, sizeof(m->node), "%s", node);
		snprintf(m->version, sizeof(m->version), "%s", ver);
		snprintf(m->hash, sizeof(m->hash), "%s", hash);
		m->load = (uint32_t)load;
		m->since_ms = since;
		m->put_ms = kvEntry_Created(e) / 1000000;
	}
	json_decref(j);
	return ok;
}

/* Put our lease, read them all, hand the view to the loop. */
static void
cl_beat(struct cluster *cl, struct cl_nats *n)
{
	kvKeysList	 kl = { NULL, 0 };
	kvEntry		*e;
	json_t		*lease;
	struct member	*v = NULL;
	size_t		 nv = 0;
	natsStatus	 s, gs;
	char		*text, hash[sizeof(cl->hash)];
	uint32_t	 load;
	int64_t		 since;
	int		 i;
	bool		 mine;

	pthread_mutex_lock(&cl->mu);
	load = cl->load;
	if (cl->since_ms == 0)
		cl->since_ms = cl_now_ms();
	since = cl->since_ms;
	memcpy(hash, cl->hash, sizeof(hash));
	pthread_mutex_unlock(&cl->mu);
	lease = json_pack("{s:s,s:s,s:s,s:I,s:I}", "node", cl->node,
	    "version", PACKAGE_VERSION, "hash", hash, "load",
	    (json_int_t)load, "since", (json_int_t)since);
	text = lease != NULL ? json_dumps(lease, RENDER_JSON_DUMP) : NULL;
	json_decref(lease);
	if (text == NULL)
		return;
	s = kvStore_PutString(NULL, n->kv, cl->node, text);
	free(text);
	if (s == NATS_OK)
		s = kvStore_Keys(&kl, n->kv, NULL);
	if (s == NATS_OK && (v = calloc((size_t)kl.Count + 1,
	    sizeof(*v))) == NULL)
		s = NATS_NO_MEMORY;
	for (i = 0; s == NATS_OK && i < kl.Count && i < CL_MAX_MEMBERS; i++) {
		/* A lease deleted since the listing is gone; any other
		 * failure makes the whole reading unusable (NATS going away
		 * mid-reading must not look like every member gone). */
		if ((gs = kvStore_Get(&e, n->kv, kl.Keys[i])) != NATS_OK) {
			if (gs != NATS_NOT_FOUND)
				s = gs;
			continue;
		}
		if (cl_parse(e, &v[nv]))
			nv++;
		kvEntry_Destroy(e);
	}
	kvKeysList_Destroy(&kl);
	/* Our lease was just stored: a reading without it is not one. */
	for (i = 0, mine = false; s == NATS_OK && (size_t)i < nv; i++)
		if (strcmp(v[i].node, cl->node) == 0)
			mine = true;
	if (s == NATS_OK && !mine)
		s = NATS_NOT_FOUND;
	pthread_mutex_lock(&cl->mu);
	if (s == NATS_OK) {
		cl->leases_put++;
		free(cl->view);
		cl->view = v;
		cl->nview = nv;
		cl->view_ms = cl_now_ms();
		cl->view_valid = true;
		cl_nats_back(cl);
	} else {
		free(v);
		cl->lease_errors++;
		cl->view_valid = false;
	}
	cl->view_new = true;
	pthread_mutex_unlock(&cl->mu);
	if (s != NATS_OK)
		cl_seterr(cl, NS_DISCONNECTED, "lease not stored", s);
	event_active(cl->ev_view, EV_TIMEOUT, 0);
}

/* Under mu: libnats lost the connection and has only addresses that
 * changed since it was made (a change while connecting counts too). */
static bool
cl_moved(const struct cluster *cl)
{
	return cl->ready && cl->lib_down && cl->addr_gen != cl->conn_gen;
}

/*
 * The connection to the servers' old addresses goes (the forwarder's
 * subscriptions first), so that the next one is made to their new ones:
 * libnats reconnects to the URLs it was given, for ever.
 */
static void
cl_reconnect(struct cluster *cl, struct cl_nats *n)
{
	log_info("cluster %s: a NATS server's address changed: connecting "
	    "again", cl->name);
	cluster_fwd_detach(cl->fwd);
	cl_close(n);
}

/*
 * The lease thread: connect, then put the lease and read the others'
 * every heartbeat, whatever publishing is doing (a backlog of records or
 * a slow PubAck never delays the lease: its thread is another one).
 */
static void *
cl_lease_thread(void *arg)
{
	struct cluster	*cl = arg;
	struct cl_nats	*n = cl_n;
	struct timespec	 ts;
	bool		 ready, moved;

	(void)pthread_setname_np(pthread_self(), "cl-lease");
	pthread_mutex_lock(&cl->mu);
	while (!cl->stop) {
		if ((moved = cl_moved(cl)))
			cl->ready = false;
		ready = cl->ready;
		cl->addr_news = false;
		cl->read_now = false;
		pthread_mutex_unlock(&cl->mu);
		cl_deadline(&ts, cl->hb_ms);
		if (moved)
			cl_reconnect(cl, n);
		if (ready)
			cl_beat(cl, n);
		else if (cl_connect(cl, n) == -1) {
			pthread_mutex_lock(&cl->mu);
			cl->view_new = true;
			cl->view_valid = false;
			pthread_mutex_unlock(&cl->mu);
			event_active(cl->ev_view, EV_TIMEOUT, 0);
		}
		/* Not connected, a server's name lookup that ends is tried
		 * at once; a reading the loop asks for (read_now) is made
		 * at once. */
		pthread_mutex_lock(&cl->mu);
		while (!(cl->addr_news && !cl->ready) && !cl->read_now &&
		    !cl_moved(cl) && cl_wait(cl, &cl->lcv, &ts) && !cl->stop)
			;
	}
	pthread_mutex_unlock(&cl->mu);
	return NULL;
}

static void
cl_nats_free(struct cl_nats *n)
{
	if (n == NULL)
		return;
	cl_close(n);
	nw_close(n->w);
	free(n->out.p);
	pthread_cond_destroy(&n->ccv);
	pthread_mutex_destroy(&n->cmu);
	cl_addr_free(n);
	if (n->password != NULL) {
		OPENSSL_cleanse(n->password, strlen(n->password));
		free(n->password);
	}
	free(n->user);
	free(n->creds);
	free(n->spool_path);
	free(n->ca);
	free(n->cert);
	free(n->key);
	free(n);
}

static char *
dup_or_null(const char *s, bool *bad)
{
	char	*r;

	if (s == NULL)
		return NULL;
	if ((r = strdup(s)) == NULL)
		*bad = true;
	return r;
}

static struct cl_nats *
cl_nats_new(const struct config_cluster *cc)
{
	struct cl_nats	*n;
	bool		 bad = false;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	pthread_mutex_init(&n->cmu, NULL);
	pthread_cond_init(&n->ccv, NULL);
	if (cl_addr_init(n, cc->servers, cc->nservers) == -1)
		bad = true;
	n->resolve_ms = cc->resolve_interval_ms;
	n->user = dup_or_null(cc->user, &bad);
	n->password = dup_or_null(cc->password, &bad);
	n->creds = dup_or_null(cc->creds, &bad);
	n->spool_path = dup_or_null(cc->spool_path, &bad);
	n->spool_max = cc->spool_max_size;
	n->ca = dup_or_null(cc->tls_ca, &bad);
	n->cert = dup_or_null(cc->tls_cert, &bad);
	n->key = dup_or_null(cc->tls_key, &bad);
	n->replicas = cc->replicas;
	n->polls = cc->polls;
	n->traps = cc->traps;
	n->events = cc->events;
	snprintf(n->bucket, sizeof(n->bucket), "snmpmgrd_%s_members",
	    cc->name);
	if (bad) {
		cl_nats_free(n);
		return NULL;
	}
	return n;
}

void
cluster_init(void)
{
	natsLibevent_Init();
	(void)nats_Open(-1);
}
#else
void
cluster_init(void)
{
}
#endif /* HAVE_NATS */

struct cluster *
cluster_start(struct daemon *d)
{
	const struct config_cluster *cc = &d->conf->cluster;
	struct cluster	*cl;
	size_t		 i;
	int		 t;
	char		 subj[CL_NODE_LEN], fsubj[160];
	json_t		*v;

	if (!cc->have)
		return NULL;
#ifndef HAVE_NATS
	log_warnx("cluster mode is not supported by this build");
	return NULL;
#else
	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->names = calloc(CL_MAX_MEMBERS, sizeof(*cl->names))) ==
	    NULL || (cl_n = cl_nats_new(cc)) == NULL) {
		log_warnx("cluster: out of memory");
		goto fail;
	}
	cl->d = d;
	cl->nats = cl_n;
	snprintf(cl->name, sizeof(cl->name), "%s", cc->name);
	snprintf(cl->node, sizeof(cl->node), "%s", cc->node);
	v = json_string(cl->node);
	if (v == NULL || (i = json_dumpb(v, cl->node_json,
	    sizeof(cl->node_json) - 1, JSON_ENCODE_ANY)) == 0 ||
	    i >= sizeof(cl->node_json))
		snprintf(cl->node_json, sizeof(cl->node_json), "\"\"");
	json_decref(v);
	snprintf(cl->hash, sizeof(cl->hash), "%s", cc->hash);
	cl->hb_ms = cc->heartbeat_ms;
	cl->started_ms = cl_now_ms();
	cl->pub_polls = cc->publish_polls;
	cl->pub_traps = cc->publish_traps;
	for (i = 0; i < cc->npublish_events; i++)
		if ((t = events_from_name(cc->publish_events[i])) >= 0)
			cl->pub_events |= 1U << t;
	/* Duplicate window: two of the longest interval, 2 min at least. */
	cl_n->dup_ms = 120000;
	for (i = 0; i < d->conf->npolls; i++)
		if (2 * (int64_t)d->conf->polls[i].interval_ms > cl_n->dup_ms)
			cl_n->dup_ms = 2 * (int64_t)d->conf->polls[i].interval_ms;
	cl->qcap = CL_QUEUE_MAX;
	cl->qmax_bytes = cc->spool_max_size;
	if ((cl->q = calloc(cl->qcap, sizeof(*cl->q))) == NULL ||
	    (cl->batch = calloc(CL_WINDOW, sizeof(*cl->batch))) == NULL ||
	    (cl->slot = calloc(CL_WINDOW, sizeof(*cl->slot))) == NULL) {
		log_warnx("cluster: out of memory");
		goto fail;
	}
	pthread_mutex_init(&cl->mu, NULL);
	pthread_cond_init(&cl->cv, NULL);
	pthread_cond_init(&cl->lcv, NULL);
	if ((cl->ev_view = event_new(d->base, -1, 0, cluster_view_cb, cl)) ==
	    NULL || (cl->ev_expiry = evtimer_new(d->base, cluster_expiry_cb,
	    cl)) == NULL || (cl->ev_confirm = event_new(d->base, -1, 0,
	    cluster_confirm_cb, cl)) == NULL || (cl->ev_hand = evtimer_new(
	    d->base, cluster_hand_cb, cl)) == NULL) {
		log_warnx("cluster: cannot create its event");
		goto fail;
	}
	token(subj, sizeof(subj), cl->node);
	snprintf(fsubj, sizeof(fsubj), "snmpmgrd.%s.rpc.%s", cl->name, subj);
	if ((cl->fwd = cluster_fwd_new(d, fsubj, cc->forward_timeout_ms)) ==
	    NULL)
		goto fail;
	/* The servers' names, looked up on the loop for the threads. */
	if (cl_addr_start(cl) == -1) {
		log_warnx("cluster: cannot look up the NATS servers' names");
		goto fail;
	}
	if (pthread_create(&cl->thr, NULL, cl_pub_thread, cl) != 0) {
		log_warn("cluster: cannot start its thread");
		goto fail;
	}
	cl->thr_started = true;
	if (pthread_create(&cl->lthr, NULL, cl_lease_thread, cl) != 0) {
		log_warn("cluster: cannot start its lease thread");
		goto fail;
	}
	cl->lthr_started = true;
	if (cl->pub_polls || cl->pub_traps || cl->pub_events != 0)
		events_set_tap(d->events, (cl->pub_polls ? 1U << EV_RESPONSE :
		    0) | (cl->pub_traps ? (1U << EV_TRAP) | (1U << EV_INFORM) :
		    0) | cl->pub_events, cluster_tap, cl);
	if (cl->pub_polls)
		events_set_text_tap(d->events, 1U << EV_RESPONSE,
		    cluster_text_tap, cl);
	log_info("cluster %s: node %s, heartbeat %ums, config hash %.16s",
	    cl->name, cl->node, cl->hb_ms, cl->hash);
	return cl;
 fail:
	cluster_free(cl);
	return NULL;
#endif
}

void
cluster_free(struct cluster *cl)
{
	if (cl == NULL)
		return;
#ifdef HAVE_NATS
	cl_addr_stop(cl);
#endif
	/* What gathers on the loop goes to the thread, to be spooled. */
	if (cl->ev_hand != NULL)
		cl_handover(cl);
	if (cl->thr_started || cl->lthr_started) {
		pthread_mutex_lock(&cl->mu);
		cl->stop = true;
		pthread_cond_broadcast(&cl->cv);
		pthread_cond_broadcast(&cl->lcv);
		pthread_mutex_unlock(&cl->mu);
		if (cl->lthr_started)
			pthread_join(cl->lthr, NULL);
		if (cl->thr_started)
			pthread_join(cl->thr, NULL);
	}
#ifdef HAVE_NATS
	cluster_fwd_free(cl->fwd);
	cl_nats_free(cl_n);
	cl_n = NULL;
#endif
	if (cl->ev_view != NULL)
		event_free(cl->ev_view);
	if (cl->ev_expiry != NULL)
		event_free(cl->ev_expiry);
	if (cl->ev_confirm != NULL)
		event_free(cl->ev_confirm);
	if (cl->ev_hand != NULL)
		event_free(cl->ev_hand);
	while (cl->nlq > 0)
		pubm_free(cl->lq[--cl->nlq]);
	free(cl->lq);
	pubm_spares_free(&cl->spares);
	pubm_spares_free(&cl->lspares);
	cspool_close(cl->spool);
	free(cl->conf_tok);
	while (cl->q != NULL && cl->qlen > 0)
		cl_q_drop_oldest(cl);
	free(cl->q);
	free(cl->batch);
	free(cl->slot);
	free(cl->view);
	free(cl->members);
	free(cl->names);
	free(cl->tapbuf.buf);
	free(cl);
}
