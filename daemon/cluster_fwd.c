/*
 * cluster_fwd.c - requests forwarded to a session's owner over NATS
 * request/reply (cluster_fwd.h).
 *
 * Three sides share struct cluster_fwd under its mutex: the loop, which
 * sends forwarded requests and serves the ones that arrive; this
 * module's thread, which publishes what the loop queued (requests and
 * answers); and the libnats delivery threads, whose callbacks queue what
 * arrives (requests to serve, answers to ours) and wake the loop.  The
 * loop never calls NATS.
 */
#include <config.h>		/* autoconf's */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "core/errors.h"
#include "core/limits.h"

#include "cluster_fwd.h"
#include "control.h"
#include "daemon.h"
#include "log.h"

#ifdef HAVE_NATS
#include <nats/nats.h>

/* Messages waiting in either direction, at most; more are dropped (a
 * forwarded request then times out). */
#define FWD_QUEUE_MAX	4096

/* A message to publish, or one that arrived. */
struct fwd_msg {
	struct fwd_msg	*next;
	char		*subj;		/* out: subject; in: reply subject */
	char		*reply;		/* out: our inbox subject or NULL */
	char		*data;
	size_t		 len;
	uint64_t	 id;		/* our request / an answer to it */
	bool		 answer;	/* in: an answer to one of ours */
	bool		 noresp;	/* in: NATS says nobody listens */
	bool		 failed;	/* in: publishing ours failed */
};

struct fwd_q {
	struct fwd_msg	*head, **tail;
	size_t		 len;
};

/* One of our requests, waiting for its answer. */
struct fwd_wait {
	struct fwd_wait	*next;
	struct cluster_fwd *f;
	uint64_t	 id;
	struct ctl_req	*r;
	struct event	*timer;
	char		 owner[65];
};

/* A request we serve: its id on the internal connection, and where the
 * answer goes. */
struct fwd_serve {
	struct fwd_serve *next;
	uint64_t	 id;
	char		*reply;
};

struct cluster_fwd {
	struct daemon	*d;
	char		*subj;
	uint32_t	 timeout_ms;
	struct event	*ev_in;

	pthread_t	 thr;
	bool		 thr_started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* for the thread */
	pthread_cond_t	 dcv;		/* for a detach: busy, subs_done */
	/* Under mu. */
	bool		 stop;
	natsConnection	*nc;
	bool		 busy;		/* the thread publishes on nc */
	bool		 subs_lost;	/* a delivery did not end in time */
	natsSubscription *sub_rpc, *sub_ans;
	int		 subs_done;	/* subscriptions whose delivery ended */
	char		 inbox[128];	/* answers come to inbox.<id> */
	int64_t		 max_payload;
	struct fwd_q	 out, in;
	uint64_t	 forwarded, errors, served, dropped;

	/* The loop's. */
	struct fwd_wait	*waits;
	struct fwd_serve *serves;
	uint64_t	 next_id;
	struct bufferevent *bev;	/* our end of the internal connection */
};

static void
msg_free(struct fwd_msg *m)
{
	if (m == NULL)
		return;
	free(m->subj);
	free(m->reply);
	free(m->data);
	free(m);
}

static struct fwd_msg *
msg_new(const char *subj, const char *reply, const char *data, size_t len)
{
	struct fwd_msg	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->subj = subj != NULL ? strdup(subj) : NULL;
	m->reply = reply != NULL ? strdup(reply) : NULL;
	m->data = malloc(len + 1);
	if ((subj != NULL && m->subj == NULL) || (reply != NULL &&
	    m->reply == NULL) || m->data == NULL) {
		msg_free(m);
		return NULL;
	}
	memcpy(m->data, data, len);
	m->data[len] = '\0';
	m->len = len;
	return m;
}

/* Under mu: append m (or drop it when the queue is full).  False when
 * dropped. */
static bool
q_put(struct cluster_fwd *f, struct fwd_q *q, struct fwd_msg *m)
{
	if (q->len >= FWD_QUEUE_MAX) {
		f->dropped++;
		msg_free(m);
		return false;
	}
	m->next = NULL;
	*q->tail = m;
	q->tail = &m->next;
	q->len++;
	return true;
}

/* Under mu: the whole queue, emptied. */
static struct fwd_msg *
q_take(struct fwd_q *q)
{
	struct fwd_msg	*m = q->head;

	q->head = NULL;
	q->tail = &q->head;
	q->len = 0;
	return m;
}

/* From any thread: m arrived for the loop. */
static void
fwd_deliver(struct cluster_fwd *f, struct fwd_msg *m)
{
	bool	 wake;

	pthread_mutex_lock(&f->mu);
	wake = q_put(f, &f->in, m) && f->in.len == 1;
	pthread_mutex_unlock(&f->mu);
	if (wake)
		event_active(f->ev_in, EV_TIMEOUT, 0);
}

/* On the loop: queue m for the thread. */
static void
fwd_send(struct cluster_fwd *f, struct fwd_msg *m)
{
	pthread_mutex_lock(&f->mu);
	if (q_put(f, &f->out, m))
		pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* ------------------------------------------------- libnats callbacks */

/* A request for this node: for the loop to serve. */
static void
fwd_rpc_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
    void *arg)
{
	struct cluster_fwd *f = arg;
	struct fwd_msg	*m;
	const char	*reply = natsMsg_GetReply(msg);

	if (reply != NULL && reply[0] != '\0' && (m = msg_new(reply, NULL,
	    natsMsg_GetData(msg) != NULL ? natsMsg_GetData(msg) : "",
	    (size_t)natsMsg_GetDataLength(msg))) != NULL)
		fwd_deliver(f, m);
	natsMsg_Destroy(msg);
}

/* An answer to one of ours (inbox.<id>), or NATS's "no responders". */
static void
fwd_ans_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
    void *arg)
{
	struct cluster_fwd *f = arg;
	struct fwd_msg	*m;
	const char	*s = strrchr(natsMsg_GetSubject(msg), '.');

	if (s != NULL && (m = msg_new(NULL, NULL, natsMsg_GetData(msg) !=
	    NULL ? natsMsg_GetData(msg) : "",
	    (size_t)natsMsg_GetDataLength(msg))) != NULL) {
		m->answer = true;
		m->id = strtoull(s + 1, NULL, 10);
		m->noresp = natsMsg_IsNoResponders(msg);
		fwd_deliver(f, m);
	}
	natsMsg_Destroy(msg);
}

/*
 * A subscription's delivery thread ended (after its unsubscription): none
 * of its callbacks runs any more.
 */
static void
fwd_sub_done_cb(void *arg)
{
	struct cluster_fwd *f = arg;

	pthread_mutex_lock(&f->mu);
	f->subs_done++;
	pthread_cond_broadcast(&f->dcv);
	pthread_mutex_unlock(&f->mu);
}

/* Subscribe subj to cb, told when its delivery ends. */
static natsStatus
fwd_subscribe(struct cluster_fwd *f, natsSubscription **sub,
    natsConnection *nc, const char *subj, natsMsgHandler cb)
{
	natsStatus	 s;

	s = natsConnection_Subscribe(sub, nc, subj, cb, f);
	if (s == NATS_OK && (s = natsSubscription_SetOnCompleteCB(*sub,
	    fwd_sub_done_cb, f)) != NATS_OK) {
		natsSubscription_Unsubscribe(*sub);
		natsSubscription_Destroy(*sub);
		*sub = NULL;
	}
	return s;
}

/*
 * Unsubscribe both and wait (2 s at most) until their delivery threads
 * have ended: a callback running meanwhile queues into f, so f must
 * outlive it.
 */
static void
fwd_unsubscribe(struct cluster_fwd *f)
{
	struct timespec	 ts;
	int		 want = 0;

	/* Counted afresh: a round that timed out must not count here. */
	pthread_mutex_lock(&f->mu);
	f->subs_done = 0;
	pthread_mutex_unlock(&f->mu);
	if (f->sub_rpc != NULL && natsSubscription_Unsubscribe(f->sub_rpc) ==
	    NATS_OK)
		want++;
	if (f->sub_ans != NULL && natsSubscription_Unsubscribe(f->sub_ans) ==
	    NATS_OK)
		want++;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	pthread_mutex_lock(&f->mu);
	while (f->subs_done < want && pthread_cond_timedwait(&f->dcv,
	    &f->mu, &ts) != ETIMEDOUT)
		;
	/* A delivery still running may call into f: f is never freed. */
	if (f->subs_done < want)
		f->subs_lost = true;
	pthread_mutex_unlock(&f->mu);
	natsSubscription_Destroy(f->sub_rpc);
	natsSubscription_Destroy(f->sub_ans);
	f->sub_rpc = f->sub_ans = NULL;
}

/* ---------------------------------------------------------- the thread */

static void *
fwd_thread(void *arg)
{
	struct cluster_fwd *f = arg;
	struct fwd_msg	*m, *next, *fail;
	natsConnection	*nc;
	natsMsg		*nm;
	natsStatus	 s;

	(void)pthread_setname_np(pthread_self(), "cl-forward");

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->stop && f->out.len == 0)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop)
			break;
		m = q_take(&f->out);
		nc = f->nc;	/* kept until the batch is out (busy) */
		f->busy = nc != NULL;
		pthread_mutex_unlock(&f->mu);
		for (; m != NULL; m = next) {
			next = m->next;
			/* Counted before it goes, so that a client that has
			 * its answer reads it counted. */
			if (m->reply != NULL) {
				pthread_mutex_lock(&f->mu);
				f->forwarded++;
				pthread_mutex_unlock(&f->mu);
			}
			s = nc == NULL ? NATS_CONNECTION_CLOSED :
			    natsMsg_Create(&nm, m->subj, m->reply, m->data,
			    (int)m->len);
			if (nc != NULL && s == NATS_OK) {
				s = natsConnection_PublishMsg(nc, nm);
				natsMsg_Destroy(nm);
			}
			fail = NULL;
			if (s != NATS_OK && m->reply != NULL && (fail =
			    msg_new(NULL, NULL, natsStatus_GetText(s),
			    strlen(natsStatus_GetText(s)))) != NULL) {
				/* Ours could not go: say so now. */
				fail->answer = fail->failed = true;
				fail->id = m->id;
			}
			if (fail != NULL)
				fwd_deliver(f, fail);
			msg_free(m);
		}
		pthread_mutex_lock(&f->mu);
		f->busy = false;
		pthread_cond_broadcast(&f->dcv);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

void
cluster_fwd_attach(struct cluster_fwd *f, void *ncp)
{
	natsConnection	*nc = ncp;
	natsInbox	*inbox = NULL;
	natsStatus	 s;
	char		 wild[140];

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	if (f->nc != NULL) {
		pthread_mutex_unlock(&f->mu);
		return;
	}
	s = natsInbox_Create(&inbox);
	if (s == NATS_OK) {
		snprintf(f->inbox, sizeof(f->inbox), "%s", inbox);
		snprintf(wild, sizeof(wild), "%s.*", inbox);
		natsInbox_Destroy(inbox);
		s = fwd_subscribe(f, &f->sub_ans, nc, wild, fwd_ans_cb);
	}
	if (s == NATS_OK)
		s = fwd_subscribe(f, &f->sub_rpc, nc, f->subj, fwd_rpc_cb);
	if (s == NATS_OK) {
		f->nc = nc;
		f->max_payload = natsConnection_GetMaxPayload(nc);
	}
	pthread_mutex_unlock(&f->mu);
	if (s != NATS_OK)
		log_warnx("cluster: cannot listen on %s: %s (requests for this "
		    "node's sessions are not served)", f->subj,
		    natsStatus_GetText(s));
}

void
cluster_fwd_detach(struct cluster_fwd *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->nc = NULL;		/* new requests are refused, not sent */
	while (f->busy)
		pthread_cond_wait(&f->dcv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	fwd_unsubscribe(f);
}

/* ------------------------------------------------------------ the loop */

/* Our request id is answered (or failed): end it. */
static void
wait_end(struct cluster_fwd *f, struct fwd_wait *w)
{
	struct fwd_wait	**p;

	for (p = &f->waits; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	event_free(w->timer);
	free(w);
}

static void
wait_fail(struct fwd_wait *w, const char *why)
{
	struct cluster_fwd *f = w->f;
	char		 detail[300];

	snprintf(detail, sizeof(detail), "node %s: %s", w->owner, why);
	ctl_req_error_num(w->r, SNMPMGR_ERR_FORWARD, detail, json_pack(
	    "{s:s}", "node", w->owner));
	ctl_req_set_cancel(w->r, NULL, NULL);
	ctl_req_done(w->r);
	pthread_mutex_lock(&f->mu);
	f->errors++;
	pthread_mutex_unlock(&f->mu);
	wait_end(f, w);
}

static void
wait_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct fwd_wait	*w = arg;
	char		 why[80];

	snprintf(why, sizeof(why), "no answer within %u ms",
	    w->f->timeout_ms);
	wait_fail(w, why);
}

/* The client went away. */
static void
wait_cancel_cb(void *arg)
{
	struct fwd_wait	*w = arg;

	wait_end(w->f, w);
}

/* The owner's answer: a JSON-RPC reply line; its result or error is
 * ours. */
static void
wait_answer(struct cluster_fwd *f, struct fwd_msg *m)
{
	struct fwd_wait	*w;
	json_t		*j, *e, *res;
	json_error_t	 je;

	for (w = f->waits; w != NULL && w->id != m->id; w = w->next)
		;
	if (w == NULL)
		return;		/* timed out or cancelled already */
	if (m->failed) {
		wait_fail(w, m->data);
		return;
	}
	if (m->noresp) {
		wait_fail(w, "nobody listens for it (node down)");
		return;
	}
	j = json_loadb(m->data, m->len, 0, &je);
	e = json_object_get(j, "error");
	res = json_object_get(j, "result");
	if (json_is_object(e) && json_is_integer(json_object_get(e, "code")))
		ctl_req_error(w->r, (int)json_integer_value(json_object_get(e,
		    "code")), json_string_value(json_object_get(e,
		    "message")) != NULL ? json_string_value(json_object_get(e,
		    "message")) : "error", json_incref(json_object_get(e,
		    "data")));
	else if (res != NULL)
		ctl_req_result(w->r, json_incref(res));
	else {
		json_decref(j);
		wait_fail(w, "an answer that is not a JSON-RPC reply");
		return;
	}
	json_decref(j);
	ctl_req_set_cancel(w->r, NULL, NULL);
	ctl_req_done(w->r);
	wait_end(f, w);
}

int
cluster_fwd_request(struct cluster_fwd *f, struct ctl_req *r,
    const char *subj, const char *owner, const char *method,
    const json_t *params)
{
	struct fwd_wait	*w = NULL;
	struct fwd_msg	*m;
	struct timeval	 tv;
	json_t		*body;
	char		*text, reply[160];
	bool		 up;

	pthread_mutex_lock(&f->mu);
	up = f->nc != NULL && natsConnection_Status(f->nc) ==
	    NATS_CONN_STATUS_CONNECTED;
	snprintf(reply, sizeof(reply), "%s.%llu", f->inbox,
	    (unsigned long long)(f->next_id + 1));
	pthread_mutex_unlock(&f->mu);
	if (!up) {
		ctl_req_error_num(r, SNMPMGR_ERR_FORWARD, "NATS is not "
		    "connected: cannot reach the session's owner", json_pack(
		    "{s:s}", "node", owner));
		return CTL_DONE;
	}
	body = json_pack("{s:s,s:O}", "method", method, "params", params);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	m = text != NULL ? msg_new(subj, reply, text, strlen(text)) : NULL;
	free(text);
	if (m == NULL || (w = calloc(1, sizeof(*w))) == NULL ||
	    (w->timer = evtimer_new(f->d->base, wait_timeout_cb, w)) == NULL) {
		free(w);
		msg_free(m);
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return CTL_DONE;
	}
	m->id = w->id = ++f->next_id;
	w->f = f;
	w->r = r;
	snprintf(w->owner, sizeof(w->owner), "%s", owner);
	w->next = f->waits;
	f->waits = w;
	tv.tv_sec = f->timeout_ms / 1000;
	tv.tv_usec = (f->timeout_ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
	ctl_req_set_cancel(r, wait_cancel_cb, w);
	fwd_send(f, m);
	return CTL_PENDING;
}

/* ------------------------------------------------ serving other nodes */

static void	 serve_read_cb(struct bufferevent *, void *);
static void	 serve_event_cb(struct bufferevent *, short, void *);

/* The internal connection went: drop what it had (they time out). */
static void
serve_close(struct cluster_fwd *f)
{
	struct fwd_serve *s;

	if (f->bev != NULL)
		bufferevent_free(f->bev);
	f->bev = NULL;
	while ((s = f->serves) != NULL) {
		f->serves = s->next;
		free(s->reply);
		free(s);
	}
}

static void
serve_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		serve_close(arg);
}

/* Answer reply with line (a JSON-RPC reply), or with error 396 when NATS
 * would not take one that long. */
static void
serve_answer(struct cluster_fwd *f, const char *reply, const char *line,
    size_t len)
{
	struct fwd_msg	*m;
	char		 err[300];
	int64_t		 max;

	pthread_mutex_lock(&f->mu);
	max = f->max_payload;
	f->served++;
	pthread_mutex_unlock(&f->mu);
	if (max > 0 && (int64_t)len > max - 64) {
		snprintf(err, sizeof(err), "{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"error\":{\"code\":%d,\"message\":\"%s\",\"data\":{"
		    "\"detail\":\"the answer (%zu bytes) is longer than NATS "
		    "takes (max_payload %lld)\"}}}", SNMPMGR_ERR_FORWARD,
		    snmpmgr_strerror(SNMPMGR_ERR_FORWARD), len,
		    (long long)max);
		line = err;
		len = strlen(err);
	}
	if ((m = msg_new(reply, NULL, line, len)) != NULL)
		fwd_send(f, m);
}

/* Replies on the internal connection, one per line: to their askers. */
static void
serve_read_cb(struct bufferevent *bev, void *arg)
{
	struct cluster_fwd *f = arg;
	struct fwd_serve **p, *s;
	json_t		*j;
	json_error_t	 je;
	char		*line;
	size_t		 len;
	uint64_t	 id;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		j = json_loadb(line, len, 0, &je);
		id = json_is_integer(json_object_get(j, "id")) ? (uint64_t)
		    json_integer_value(json_object_get(j, "id")) : 0;
		json_decref(j);
		for (p = &f->serves; *p != NULL && (*p)->id != id;
		    p = &(*p)->next)
			;
		if ((s = *p) != NULL) {
			*p = s->next;
			serve_answer(f, s->reply, line, len);
			free(s->reply);
			free(s);
		}
		free(line);
	}
}

/* A request from another node: to our control socket as a client's. */
static void
serve_request(struct cluster_fwd *f, struct fwd_msg *m)
{
	struct fwd_serve *s;
	json_t		*req, *line;
	json_error_t	 je;
	const char	*bad = NULL;
	char		*text, err[200];
	int		 fd = -1;

	req = json_loadb(m->data, m->len, 0, &je);
	if (!json_is_string(json_object_get(req, "method")) ||
	    !json_is_object(json_object_get(req, "params")))
		bad = "expected {\"method\", \"params\"}";
	if (bad == NULL && f->bev == NULL) {
		if (f->d->control == NULL || (fd = control_attach_internal(
		    f->d->control)) == -1 || (f->bev =
		    bufferevent_socket_new(f->d->base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			if (fd != -1)
				close(fd);
			bad = "the node cannot serve it now";
		} else {
			bufferevent_setcb(f->bev, serve_read_cb, NULL,
			    serve_event_cb, f);
			bufferevent_enable(f->bev, EV_READ);
		}
	}
	if (bad != NULL) {
		snprintf(err, sizeof(err), "{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"error\":{\"code\":%d,\"message\":\"invalid request\","
		    "\"data\":{\"detail\":\"%s\"}}}", CTL_ERR_INVALID, bad);
		serve_answer(f, m->subj, err, strlen(err));
		json_decref(req);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->reply = strdup(m->subj)) == NULL) {
		free(s);
		json_decref(req);
		return;
	}
	s->id = ++f->next_id;
	line = json_pack("{s:s,s:I,s:O,s:O}", "jsonrpc", "2.0", "id",
	    (json_int_t)s->id, "method", json_object_get(req, "method"),
	    "params", json_object_get(req, "params"));
	text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	json_decref(req);
	if (text == NULL) {
		free(s->reply);
		free(s);
		return;
	}
	s->next = f->serves;
	f->serves = s;
	bufferevent_write(f->bev, text, strlen(text));
	bufferevent_write(f->bev, "\n", 1);
	free(text);
}

static void
fwd_in_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cluster_fwd *f = arg;
	struct fwd_msg	*m, *next;

	pthread_mutex_lock(&f->mu);
	m = q_take(&f->in);
	pthread_mutex_unlock(&f->mu);
	for (; m != NULL; m = next) {
		next = m->next;
		if (m->answer)
			wait_answer(f, m);
		else
			serve_request(f, m);
		msg_free(m);
	}
}

struct cluster_fwd *
cluster_fwd_new(struct daemon *d, const char *subj, uint32_t timeout_ms)
{
	struct cluster_fwd *f;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->subj = strdup(subj)) == NULL) {
		free(f);
		log_warnx("cluster: out of memory");
		return NULL;
	}
	f->d = d;
	f->timeout_ms = timeout_ms;
	f->out.tail = &f->out.head;
	f->in.tail = &f->in.head;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	pthread_cond_init(&f->dcv, NULL);
	if ((f->ev_in = event_new(d->base, -1, 0, fwd_in_cb, f)) == NULL ||
	    pthread_create(&f->thr, NULL, fwd_thread, f) != 0) {
		log_warnx("cluster: cannot start forwarding");
		cluster_fwd_free(f);
		return NULL;
	}
	f->thr_started = true;
	return f;
}

void
cluster_fwd_free(struct cluster_fwd *f)
{
	struct fwd_msg	*m, *next;

	if (f == NULL)
		return;
	if (f->thr_started) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thr, NULL);
	}
	fwd_unsubscribe(f);
	while (f->waits != NULL)
		wait_fail(f->waits, "this node is stopping");
	serve_close(f);
	for (m = q_take(&f->out); m != NULL; m = next) {
		next = m->next;
		msg_free(m);
	}
	for (m = q_take(&f->in); m != NULL; m = next) {
		next = m->next;
		msg_free(m);
	}
	if (f->subs_lost) {
		/* A NATS delivery thread may still call into f. */
		log_warnx("cluster: a NATS delivery did not end in time: "
		    "forwarding's state left allocated");
		return;
	}
	if (f->ev_in != NULL)
		event_free(f->ev_in);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	pthread_cond_destroy(&f->dcv);
	free(f->subj);
	free(f);
}

void
cluster_fwd_status(struct cluster_fwd *f, json_t *o)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	json_object_set_new(o, "forwarded", json_integer((json_int_t)
	    f->forwarded));
	json_object_set_new(o, "forward_errors", json_integer((json_int_t)
	    f->errors));
	json_object_set_new(o, "served", json_integer((json_int_t)
	    f->served));
	pthread_mutex_unlock(&f->mu);
}
#endif /* HAVE_NATS */
