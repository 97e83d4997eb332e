/*
 * http.c - the Prometheus endpoint of http.h on the daemon's libevent loop.
 *
 * A deliberately small HTTP/1.1 server on bufferevents rather than evhttp:
 * libevent 2.1's evhttp has no bound on connections (evhttp_set_max_
 * connections came in 2.2) and its timeouts restart with every byte read,
 * so a client trickling a header could hold a connection for ever.  Here
 * each connection has one deadline for its whole request head, the head
 * must fit max_header_size, the kernel buffers and the response are the
 * only memory a client can make us hold, and requests are served one at a
 * time per connection (keep-alive, pipelined requests wait their turn).
 * Only GET and HEAD, no bodies, no chunked encoding.
 *
 * Connections wait in two queues, as the TCP trap listener's do: "fresh"
 * ones that have not sent a whole request head yet, by accept time, and
 * "served" ones, by their latest request.  At max_connections a new
 * connection closes the oldest fresh one, else the served one that has
 * waited longest for its next request; only when every connection is
 * answering is it refused with a 503.  A flood of idle or trickling
 * connections so pushes out its own kind and a scrape always gets in.
 * One accept round takes at most half of max_connections (the listeners
 * pause until the loop has read what came meanwhile), so a scraper
 * accepted in it is read before as many newer connections could evict
 * it.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "daemon.h"
#include "http.h"
#include "http_req.h"
#include "http_tls.h"
#include "log.h"
#include "metrics.h"
#include "polls.h"
#include "render.h"
#include "sessions.h"
#include "state.h"

#define HTTP_BACKLOG	128
#define HTTP_ACCEPT_ROUND 64	/* at most, besides max_connections / 2 */
#define HTTP_TEXT	"text/plain; version=0.0.4; charset=utf-8"
#define HTTP_OM		"application/openmetrics-text; version=1.0.0; " \
			"charset=utf-8"

/* A /metrics rendering, shared by the responses that send it. */
struct hcache {
	char		*p;
	size_t		 len;
	size_t		 cap;
	uint64_t	 at_ms;
	unsigned	 refs;
};

struct hconn {
	struct http		*h;
	struct bufferevent	*bev;
	struct event		*timer;
	TAILQ_ENTRY(hconn)	 q;		/* in fresh or served */
	bool			 fresh;		/* no whole head yet */
	bool			 busy;		/* answering: input waits */
	bool			 keepalive;
	bool			 head;		/* HEAD: no body */
	bool			 started;	/* bytes of a request came */
	bool			 om;		/* OpenMetrics asked */
	bool			 tls_up;	/* the handshake ended well */
	struct polls_wait	*pw;		/* a probe waiting */
	char			 probe_ds[SNMPMGR_MAX_NAME_LEN + 1];
	char			 probe_poll[SNMPMGR_MAX_NAME_LEN + 1];
	uint64_t		 probe_start_us;
};

TAILQ_HEAD(hconnq, hconn);

struct http {
	struct daemon		*d;
	struct config_http	 c;		/* bounds (listen not kept) */
	struct evconnlistener	**ls;
	size_t			 nls;
	char			(*specs)[300];
	struct hconnq		 fresh;		/* by accept, oldest first */
	struct hconnq		 served;	/* by latest request */
	uint32_t		 nconns;
	uint32_t		 round;		/* accepted this round */
	bool			 paused;	/* listeners off till its end */
	struct event		*resume;	/* the round ends */
	uint32_t		 nprobes;
	struct hcache		*cache[2];	/* text, OpenMetrics */
	/* Kept from one /metrics rendering to the next (NULL: none). */
	struct metrics_scratch	*scratch;
	SSL_CTX			*tls;		/* NULL: plain HTTP */
	/* Counters for snmpmgrd_http_*. */
	uint64_t		 accepted;
	uint64_t		 refused;
	uint64_t		 evicted;	/* to make room */
	uint64_t		 requests;
	uint64_t		 timeouts;
	uint64_t		 bad;		/* 4xx */
	uint64_t		 renders;
	uint64_t		 tls_failed;	/* handshakes that failed */
};

static void	 conn_read_cb(struct bufferevent *, void *);
static void	 conn_process(struct hconn *c);

static uint64_t
mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
cache_unref(struct hcache *hc)
{
	if (hc != NULL && --hc->refs == 0) {
		free(hc->p);
		free(hc);
	}
}

static void
cache_cleanup_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	cache_unref(arg);
}

static void
conn_free(struct hconn *c)
{
	struct http	*h = c->h;

	if (c->pw != NULL) {
		polls_wait_free(c->pw);
		h->nprobes--;
	}
	TAILQ_REMOVE(c->fresh ? &h->fresh : &h->served, c, q);
	h->nconns--;
	event_free(c->timer);
	bufferevent_free(c->bev);
	free(c);
}

static void
arm(struct hconn *c, uint32_t ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/*
 * Queue a response: the head, then body (len bytes; from hc when given,
 * by reference).  Input waits until it is sent.
 */
static void
respond(struct hconn *c, int status, const char *ctype, const char *body,
    size_t len, struct hcache *hc)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (status >= 400 && status < 500)
		c->h->bad++;
	if (status >= 400 && status != 404)
		c->keepalive = false;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: %s\r\n%s\r\n", status,
	    status_text(status), ctype, len, c->keepalive ? "keep-alive" :
	    "close", status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (!c->head && len > 0) {
		if (hc != NULL) {
			hc->refs++;
			if (evbuffer_add_reference(out, body, len,
			    cache_cleanup_cb, hc) == -1)
				hc->refs--;
		} else
			evbuffer_add(out, body, len);
	}
	c->busy = true;
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
}

static void
respond_text(struct hconn *c, int status, const char *msg)
{
	char	 buf[600];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%s\n", msg);
	respond(c, status, "text/plain; charset=utf-8", buf,
	    n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 :
	    (size_t)n, NULL);
}

/* Our own figures, after the daemon's. */
static void
http_figures(struct http *h, const struct metrics_sel *sel,
    struct render_buf *b)
{
	metrics_scalar(b, sel, MF_HTTP_CONNECTIONS, h->nconns);
	metrics_scalar(b, sel, MF_HTTP_ACCEPTED, h->accepted);
	metrics_scalar(b, sel, MF_HTTP_REFUSED, h->refused);
	metrics_scalar(b, sel, MF_HTTP_EVICTED, h->evicted);
	metrics_scalar(b, sel, MF_HTTP_REQUESTS, h->requests);
	metrics_scalar(b, sel, MF_HTTP_BAD_REQUESTS, h->bad);
	metrics_scalar(b, sel, MF_HTTP_TIMEOUTS, h->timeouts);
	metrics_scalar(b, sel, MF_HTTP_RENDERS, h->renders);
	metrics_scalar(b, sel, MF_HTTP_PROBES_WAITING, h->nprobes);
	if (h->tls != NULL)
		metrics_scalar(b, sel, MF_HTTP_TLS_FAILURES, h->tls_failed);
}

/* Send b (its memory taken) as the exposition; too large: 500. */
static void
respond_render(struct hconn *c, struct render_buf *b, bool om,
    struct hcache **slot)
{
	struct hcache	*hc;

	if (om)
		render_adds(b, "# EOF\n");
	if (b->failed) {
		render_buf_free(b);
		respond_text(c, 500, "out of memory");
		return;
	}
	if (b->len > c->h->c.max_response_size) {
		render_buf_free(b);
		respond_text(c, 500, "the exposition is larger than "
		    "http.max_response_size");
		return;
	}
	if ((hc = calloc(1, sizeof(*hc))) == NULL) {
		render_buf_free(b);
		respond_text(c, 500, "out of memory");
		return;
	}
	hc->p = b->p;
	hc->len = b->len;
	hc->cap = b->cap;
	hc->at_ms = state_now_ms();
	hc->refs = 1;
	respond(c, 200, om ? HTTP_OM : HTTP_TEXT, hc->p, hc->len, hc);
	if (slot != NULL) {
		cache_unref(*slot);
		*slot = hc;		/* our reference moves there */
	} else
		cache_unref(hc);
}

static void
serve_metrics(struct hconn *c)
{
	struct http	*h = c->h;
	struct metrics_sel sel = { .openmetrics = c->om, .values = true,
	    .health = true, .scratch = h->scratch };
	struct hcache	*hc = h->cache[c->om];
	struct render_buf b;
	uint64_t	 now = state_now_ms();

	if (hc != NULL && h->c.cache_ms > 0 && now >= hc->at_ms &&
	    now - hc->at_ms < h->c.cache_ms) {
		respond(c, 200, c->om ? HTTP_OM : HTTP_TEXT, hc->p, hc->len,
		    hc);
		return;
	}
	h->renders++;
	render_buf_init(&b);
	/* The previous rendering's memory, when no response still sends
	 * it: a fresh 20 MB buffer costs its page faults again. */
	if (hc != NULL && hc->refs == 1) {
		b.p = hc->p;
		b.cap = hc->cap;
		hc->p = NULL;
		cache_unref(hc);
		h->cache[c->om] = NULL;
	}
	metrics_render(h->d, &sel, &b);
	http_figures(h, &sel, &b);
	respond_render(c, &b, c->om, &h->cache[c->om]);
}

/* The probe's polls ended (or its time ran out: timed_out). */
static void
probe_answer(struct hconn *c, bool timed_out)
{
	struct metrics_sel sel = { .openmetrics = c->om, .values = true,
	    .health = true };
	const struct dsess *ds;
	struct polls_sess_info info;
	struct state_job_info ji;
	struct render_buf b;
	size_t		 i;
	bool		 ok = !timed_out;

	polls_wait_free(c->pw);
	c->pw = NULL;
	c->h->nprobes--;
	sel.poll = c->probe_poll[0] != '\0' ? c->probe_poll : NULL;
	/* By name: a reload may have removed the session meanwhile. */
	if ((ds = sessions_find(c->h->d->sessions, c->probe_ds)) == NULL) {
		respond_text(c, 503, "the session was removed");
		return;
	}
	sel.only = ds;
	if (polls_sess_info(ds, &info) == -1)
		info.njobs = 0;
	for (i = 0; i < info.njobs; i++) {
		polls_job_info(ds, i, &ji);
		if ((sel.poll == NULL || strcmp(sel.poll, ji.poll) == 0) &&
		    ji.st->last_failed)
			ok = false;
	}
	render_buf_init(&b);
	metrics_render(c->h->d, &sel, &b);
	metrics_scalar(&b, &sel, MF_PROBE_SUCCESS, ok);
	metrics_scalar(&b, &sel, MF_PROBE_DURATION,
	    mono_us() - c->probe_start_us);
	respond_render(c, &b, c->om, NULL);
}

static void
probe_done_cb(struct polls_wait *pw, void *arg)
{
	struct hconn	*c = arg;

	(void)pw;
	probe_answer(c, false);
}

/* The session a probe's target names: a session, its host, or
 * host:port. */
static struct dsess *
probe_target(struct http *h, const char *target)
{
	const struct sess_opts *o;
	const char	*host;
	struct dsess	*ds;
	char		 hp[300];
	size_t		 i;

	if ((ds = sessions_find(h->d->sessions, target)) != NULL)
		return ds;
	for (i = 0; i < sessions_count(h->d->sessions); i++) {
		ds = sessions_at(h->d->sessions, i);
		o = sessions_opts(ds);
		host = sessions_host(ds);
		snprintf(hp, sizeof(hp), strchr(host, ':') != NULL ?
		    "[%s]:%u" : "%s:%u", host, (unsigned)o->port);
		if (strcmp(host, target) == 0 || strcmp(hp, target) == 0)
			return ds;
	}
	return NULL;
}

static void
serve_probe(struct hconn *c, char *query)
{
	struct http	*h = c->h;
	struct dsess	*ds = NULL;
	struct http_query q;
	char		*session, *target, *module, msg[400];
	int		 why;

	if (http_query_parse(query, &q) == -1) {
		respond_text(c, 400, "bad %-escape in the query");
		return;
	}
	session = q.session;
	target = q.target;
	module = q.module;
	if (session == NULL && target == NULL) {
		respond_text(c, 400, "give session=NAME, or target=HOST (a "
		    "configured session's name, host or host:port)");
		return;
	}
	if (session != NULL)
		ds = sessions_find(h->d->sessions, session);
	else
		ds = probe_target(h, target);
	if (ds == NULL) {
		snprintf(msg, sizeof(msg), "no session \"%.200s\" (probes run "
		    "configured sessions only)", session != NULL ? session :
		    target);
		respond_text(c, 400, msg);
		return;
	}
	if (module != NULL && strlen(module) > SNMPMGR_MAX_NAME_LEN) {
		respond_text(c, 400, "module: name too long");
		return;
	}
	if (ds->s == NULL) {
		snprintf(msg, sizeof(msg), "session %s has no agent address: "
		    "%.200s", ds->name, ds->errdetail);
		respond_text(c, 503, msg);
		return;
	}
	if (h->nprobes >= h->c.max_probes) {
		respond_text(c, 503, "too many probes waiting "
		    "(http.max_probes)");
		return;
	}
	if ((c->pw = polls_run(h->d->polls, ds, module, &why)) == NULL) {
		if (why == POLLS_RUN_NO_POLL)
			snprintf(msg, sizeof(msg), "session %s has no poll "
			    "\"%.200s\"", ds->name, module != NULL ? module :
			    "");
		else if (why == POLLS_RUN_DISABLED)
			snprintf(msg, sizeof(msg), "session %s is disabled",
			    ds->name);
		else
			snprintf(msg, sizeof(msg), "out of memory");
		respond_text(c, why == POLLS_RUN_NO_POLL ? 400 : 503, msg);
		return;
	}
	h->nprobes++;
	snprintf(c->probe_ds, sizeof(c->probe_ds), "%s", ds->name);
	snprintf(c->probe_poll, sizeof(c->probe_poll), "%s",
	    module != NULL ? module : "");
	c->probe_start_us = mono_us();
	c->busy = true;
	bufferevent_disable(c->bev, EV_READ);
	if (polls_wait_ended(c->pw)) {
		probe_answer(c, false);
		return;
	}
	polls_wait_set_cb(c->pw, probe_done_cb, c);
	arm(c, h->c.probe_timeout_ms);
}

static void
serve_index(struct hconn *c)
{
	static const char page[] = "snmpmgrd Prometheus endpoint\n"
	    "/metrics              every polled value and snmpmgrd_* health\n"
	    "/probe?session=NAME   run NAME's polls now (&module=POLL: one)\n"
	    "/probe?target=HOST    the same for the session polling HOST\n";

	respond(c, 200, "text/plain; charset=utf-8", page, sizeof(page) - 1,
	    NULL);
}

/* One request head (NUL-terminated, CRLF lines).  Serves it. */
static void
conn_request(struct hconn *c, char *head)
{
	struct http	*h = c->h;
	struct http_req	 r;

	/* The newest of the served: evicted last. */
	TAILQ_REMOVE(c->fresh ? &h->fresh : &h->served, c, q);
	TAILQ_INSERT_TAIL(&h->served, c, q);
	c->fresh = false;
	h->requests++;
	http_req_parse(head, &r);
	c->head = r.head;
	c->keepalive = r.keepalive;
	c->om = r.om;
	if (r.status != 0)
		respond_text(c, r.status, r.error);
	else if (strcmp(r.target, "/metrics") == 0)
		serve_metrics(c);
	else if (strcmp(r.target, "/probe") == 0)
		serve_probe(c, r.query);
	else if (strcmp(r.target, "/") == 0)
		serve_index(c);
	else
		respond_text(c, 404, "not found: try /metrics or /probe");
}

/* Serve the next complete request head in the input, if any. */
static void
conn_process(struct hconn *c)
{
	struct http	*h = c->h;
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 len = evbuffer_get_length(in), hl, n;
	const char	*p;
	ssize_t		 end;
	char		*head;

	if (c->busy || len == 0)
		return;
	if (!c->started) {
		c->started = true;
		arm(c, h->c.request_timeout_ms);
	}
	/* Only as much as a head may hold is looked at (and made one
	 * piece: a head usually came in one read, one chunk already). */
	n = len < h->c.max_header_size ? len : h->c.max_header_size;
	if ((p = (const char *)evbuffer_pullup(in, (ssize_t)n)) == NULL) {
		conn_free(c);
		return;
	}
	if ((end = http_head_end(p, n)) == -1) {
		if (len > h->c.max_header_size) {
			c->keepalive = false;
			respond_text(c, 431, "request head larger than "
			    "http.max_header_size");
		}
		return;
	}
	hl = (size_t)end;
	if ((head = malloc(hl + 1)) == NULL) {
		conn_free(c);
		return;
	}
	evbuffer_remove(in, head, hl);
	head[hl] = '\0';
	c->started = false;
	if (memchr(head, '\0', hl) != NULL) {
		c->keepalive = false;
		respond_text(c, 400, "NUL in the request head");
	} else
		conn_request(c, head);
	free(head);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

/* The response went out: next request, or close. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct hconn	*c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0 ||
	    !c->busy || c->pw != NULL)
		return;
	c->busy = false;
	if (!c->keepalive) {
		conn_free(c);
		return;
	}
	arm(c, c->h->c.idle_timeout_ms);
	bufferevent_enable(bev, EV_READ);
	conn_process(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct hconn	*c = arg;

	unsigned long	 e;
	char		 why[160];

	if (what & BEV_EVENT_CONNECTED) {
		c->tls_up = true;	/* the TLS handshake ended */
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		c->h->timeouts++;
	if (c->h->tls != NULL && !c->tls_up) {
		c->h->tls_failed++;
		/* OpenSSL's reason names no secret; debug only, as a
		 * client can cause as many as it likes. */
		if ((e = bufferevent_get_openssl_error(bev)) != 0) {
			ERR_error_string_n(e, why, sizeof(why));
			log_debug("http: TLS handshake failed: %s", why);
		}
		while (bufferevent_get_openssl_error(bev) != 0)
			;
	}
	conn_free(c);
}

/* A deadline passed: the request head, the idle wait, or a probe. */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hconn	*c = arg;

	(void)fd;
	(void)what;
	if (c->pw != NULL) {
		c->keepalive = false;
		probe_answer(c, true);
		return;
	}
	if (c->busy)
		return;
	c->h->timeouts++;
	if (c->h->tls != NULL && !c->tls_up) {
		/* Half a handshake, or a trickled one: nothing to answer
		 * on. */
		c->h->tls_failed++;
		conn_free(c);
		return;
	}
	if (c->started) {
		/* Best effort: the client may not read it. */
		c->keepalive = false;
		respond_text(c, 408, "request head not received in time "
		    "(http.request_timeout)");
		return;
	}
	conn_free(c);
}

/*
 * Room for one more connection: close the oldest that has not sent a
 * whole request head, else the one idle longest between requests.  -1
 * when every connection is answering.
 */
static int
conn_evict(struct http *h)
{
	struct hconn	*c;

	/* Never one being answered (a 408 or 431 on its way, too). */
	TAILQ_FOREACH(c, &h->fresh, q)
		if (!c->busy)
			break;
	if (c == NULL)
		TAILQ_FOREACH(c, &h->served, q)
			if (!c->busy)
				break;
	if (c == NULL)
		return -1;
	h->evicted++;
	log_debug("http: a connection closed to make room for a new one "
	    "(http.max_connections)");
	conn_free(c);
	return 0;
}

/* Accepts a round: half of max_connections, at least 1, at most
 * HTTP_ACCEPT_ROUND. */
static uint32_t
round_max(const struct http *h)
{
	uint32_t	 n = h->c.max_connections / 2;

	return n == 0 ? 1 : n > HTTP_ACCEPT_ROUND ? HTTP_ACCEPT_ROUND : n;
}

/* The loop has read what came during the accept round: accept again. */
static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http	*h = arg;
	size_t		 i;

	(void)fd;
	(void)what;
	if (h->paused)
		for (i = 0; i < h->nls; i++)
			evconnlistener_enable(h->ls[i]);
	h->paused = false;
	h->round = 0;
}

/* One more accepted this round; pause the listeners at its end. */
static void
accept_round(struct http *h)
{
	struct timeval	 now = { 0, 0 };
	size_t		 i;

	if (h->round++ == 0)
		evtimer_add(h->resume, &now);
	if (!h->paused && h->round >= round_max(h)) {
		h->paused = true;
		for (i = 0; i < h->nls; i++)
			evconnlistener_disable(h->ls[i]);
	}
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	static const char full[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	struct http	*h = arg;
	struct hconn	*c;
	struct timeval	 wtv;
	SSL		*ssl;

	(void)l;
	(void)sa;
	(void)salen;
	accept_round(h);
	if ((h->nconns >= h->c.max_connections && conn_evict(h) == -1) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		h->refused++;
		if (h->tls == NULL)	/* a TLS client could not read it */
			(void)!write(fd, full, sizeof(full) - 1);
		close(fd);
		return;
	}
	c->h = h;
	if (h->tls != NULL) {
		/* The bufferevent owns ssl (and fd) once made. */
		if ((ssl = SSL_new(h->tls)) != NULL &&
		    (c->bev = bufferevent_openssl_socket_new(h->d->base, fd,
		    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) ==
		    NULL)
			SSL_free(ssl);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(h->d->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(h->d->base, conn_timer_cb, c);
	if (c->bev == NULL || c->timer == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		h->refused++;
		return;
	}
	h->accepted++;
	h->nconns++;
	c->fresh = true;
	TAILQ_INSERT_TAIL(&h->fresh, c, q);
	c->keepalive = true;
	/* Read no more than a head can hold before it is judged. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, h->c.max_header_size + 1);
	wtv.tv_sec = h->c.write_timeout_ms / 1000;
	wtv.tv_usec = (h->c.write_timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_enable(c->bev, EV_READ);
	c->started = true;
	arm(c, h->c.request_timeout_ms);
}

/* A listening socket for l (IPv6 ones IPv6 only). */
static int
http_bind(const struct config_http_listen *l, char *err, size_t errsize)
{
	struct addrinfo	 hints, *res;
	char		 port[8];
	int		 fd, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", (unsigned)l->port);
	if (getaddrinfo(l->host, port, &hints, &res) != 0) {
		snprintf(err, errsize, "http: %s: not a numeric address",
		    l->spec);
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || (res->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, HTTP_BACKLOG) == -1) {
		snprintf(err, errsize, "http: cannot listen on %s: %s",
		    l->spec, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The TLS context of c's files, or NULL with err set. */
static SSL_CTX *
tls_ctx(const struct config_http *c, char *err, size_t errsize)
{
	struct http_tls_opts o = { c->tls_cert, c->tls_key,
	    c->tls_ca[0] != '\0' ? c->tls_ca : NULL, c->tls_min_version };
	enum http_tls_file which;
	char		 msg[1400];
	SSL_CTX		*ctx;

	if ((ctx = http_tls_ctx_new(&o, msg, sizeof(msg), &which)) == NULL)
		snprintf(err, errsize, "http.tls: %s", msg);
	return ctx;
}

struct http *
http_new(struct daemon *d, const struct config_http *c, char *err,
    size_t errsize)
{
	struct http	*h;
	size_t		 i;
	int		 fd;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->ls = calloc(c->nlisten, sizeof(*h->ls))) == NULL ||
	    (h->specs = calloc(c->nlisten, sizeof(*h->specs))) == NULL) {
		snprintf(err, errsize, "http: out of memory");
		goto fail;
	}
	h->d = d;
	h->c = *c;
	h->c.listen = NULL;
	TAILQ_INIT(&h->fresh);
	TAILQ_INIT(&h->served);
	if ((h->resume = evtimer_new(d->base, resume_cb, h)) == NULL) {
		snprintf(err, errsize, "http: out of memory");
		goto fail;
	}
	h->scratch = metrics_scratch_new();	/* NULL: renders without */
	if (c->tls && (h->tls = tls_ctx(c, err, errsize)) == NULL)
		goto fail;
	for (i = 0; i < c->nlisten; i++) {
		if ((fd = http_bind(&c->listen[i], err, errsize)) == -1)
			goto fail;
		h->ls[i] = evconnlistener_new(d->base, accept_cb, h,
		    LEV_OPT_CLOSE_ON_FREE, -1, fd);
		if (h->ls[i] == NULL) {
			close(fd);
			snprintf(err, errsize, "http: %s: out of memory",
			    c->listen[i].spec);
			goto fail;
		}
		snprintf(h->specs[i], sizeof(h->specs[i]), "%s",
		    c->listen[i].spec);
		h->nls++;
		log_info("http: listening on %s%s", c->listen[i].spec,
		    h->tls != NULL ? " (TLS)" : "");
	}
	return h;
 fail:
	http_free(h);
	return NULL;
}

void
http_reconfigure(struct http *h, const struct config_http *c)
{
	size_t	 i;
	bool	 same = c->nlisten == h->nls;

	for (i = 0; same && i < c->nlisten; i++)
		same = strcmp(c->listen[i].spec, h->specs[i]) == 0;
	SSL_CTX	*ctx;
	char	 err[1500];

	if (!same)
		log_warnx("http: listen addresses changed; they take effect "
		    "at the next restart");
	if (c->tls != (h->tls != NULL))
		log_warnx("http: tls %s; that takes effect at the next "
		    "restart", c->tls ? "added" : "removed");
	else if (c->tls) {
		/* New connections take the reloaded files (a renewed
		 * certificate); open ones keep theirs. */
		if ((ctx = tls_ctx(c, err, sizeof(err))) == NULL)
			log_warnx("%s; the previous certificate stays", err);
		else {
			SSL_CTX_free(h->tls);
			h->tls = ctx;
		}
	}
	h->c = *c;
	h->c.listen = NULL;
	h->c.tls = h->tls != NULL;
	cache_unref(h->cache[0]);
	cache_unref(h->cache[1]);
	h->cache[0] = h->cache[1] = NULL;
}

void
http_free(struct http *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	while (!TAILQ_EMPTY(&h->fresh))
		conn_free(TAILQ_FIRST(&h->fresh));
	while (!TAILQ_EMPTY(&h->served))
		conn_free(TAILQ_FIRST(&h->served));
	if (h->resume != NULL)
		event_free(h->resume);
	for (i = 0; i < h->nls; i++)
		evconnlistener_free(h->ls[i]);
	cache_unref(h->cache[0]);
	cache_unref(h->cache[1]);
	metrics_scratch_free(h->scratch);
	SSL_CTX_free(h->tls);
	free(h->ls);
	free(h->specs);
	free(h);
}
