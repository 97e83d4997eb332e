/*
 * control.c - the control socket server.
 *
 * Accepts connections on a Unix stream socket, frames requests by '\n',
 * parses each line as a JSON-RPC 2.0 request (JSON-RPC 2.0 specification,
 * sections 4 and 5), hands it to the dispatcher (methods.c) and frames the
 * reply.  Bounds: a line of at most SNMPMGR_MAX_CTL_LINE bytes (a longer
 * one gets -32600 and the connection is closed once the error is written),
 * at most SNMPMGR_MAX_CTL_OUTPUT bytes queued per client (past that the
 * client is dropped), SNMPMGR_MAX_CTL_CLIENTS connections, JSON nesting of
 * SNMPMGR_MAX_JSON_DEPTH.
 *
 * Slots are not there for the taking: a connection with nothing in
 * flight and no request for control.idle_timeout is closed, one that
 * leaves a request line unfinished for control.line_timeout too (one byte
 * a second does not keep it), a user other than root and the daemon's
 * own (the peer's uid, SO_PEERCRED) holds at most
 * SNMPMGR_MAX_CTL_CLIENTS_PER_UID of them, and all such users together
 * leave SNMPMGR_CTL_RESERVED_CLIENTS free, so an administrator always gets
 * in.  Memory a burst of large lines or replies took is given back to the
 * system (malloc_trim) once their buffers are empty or gone.
 *
 * Every request gets a struct ctl_req that its connection keeps on a list,
 * so when the client goes away its pending requests are cancelled and
 * freed rather than completed into freed memory.  A client that only shuts
 * down its sending side (`echo REQUEST | socat - UNIX-CONNECT:...`) has
 * not gone away: its requests run to the end, then the connection closes
 * once the replies are written.  Connections are freed
 * from their own zero-timeout event, never from under a caller that may
 * still hold them (a walk writing rows, a reply being framed).
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "core/errors.h"
#include "core/limits.h"

#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "dirs.h"
#include "log.h"
#include "render.h"

struct ctl_conn;

struct ctl_req {
	TAILQ_ENTRY(ctl_req)	 entry;
	struct ctl_conn		*conn;
	char			*id;	/* JSON text; NULL: notification */
	size_t			 idlen;
	bool			 pending;
	bool			 answered;	/* ctl_req_ack: reply sent */

	json_t			*result;
	char			*raw;
	size_t			 rawlen;
	bool			 has_error;
	int			 errcode;
	char			*errmsg;
	json_t			*errdata;

	void			(*cancel)(void *);
	void			*cancel_arg;
	void			(*drain)(void *);
	void			*drain_arg;
	void			(*intr)(void *, const char *);
	void			*intr_arg;
	const char		*method;	/* the dispatcher's name */
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct control		*ctl;
	struct bufferevent	*bev;
	struct event		*ev_free;
	struct event		*ev_hup;	/* half-closed: gone yet? */
	struct event		*ev_idle;	/* control.idle_timeout */
	struct event		*ev_line;	/* control.line_timeout */
	TAILQ_HEAD(, ctl_req)	 reqs;
	size_t			 nreqs;
	uid_t			 uid;		/* the peer's (SO_PEERCRED) */
	bool			 privileged;	/* root or our own user */
	size_t			 idle_outq;	/* output queued at the last
						 * idle check */
	size_t			 peak;		/* most bytes buffered */
	bool			 closing;	/* flush, then close */
	bool			 dead;		/* free at the next turn */
	bool			 eof;		/* client sends no more */
	bool			 internal;	/* control_attach_internal's */
};

struct control {
	struct daemon		*d;
	control_dispatch_fn	*dispatch;
	char			*path;
	int			 fd;
	struct event		*ev_accept;
	struct event		*ev_pause;
	struct event		*ev_trim;	/* malloc_trim, coalesced */
	TAILQ_HEAD(, ctl_conn)	 conns;
	size_t			 nconns;
	size_t			 nunpriv;	/* of other users than below */
	uid_t			 euid;		/* ours; privileged, as root */
	size_t			 nreqs;		/* of all connections */
	struct log_repeat	 rep_accept;
	struct log_repeat	 rep_full;
	struct log_repeat	 rep_user;
	struct log_repeat	 rep_slow;
};

/* Low mark of queued output at which paused streams go on. */
#define CTL_STREAM_LOW		(SNMPMGR_CTL_STREAM_HIGH / 2)
/*
 * A connection whose buffers held this much has glibc keep the freed
 * memory in its heap unless asked to give it back: once they are empty
 * (or gone), trim, at most once per CTL_TRIM_DELAY_MS, so a burst of such
 * clients costs a few trims and not one each.
 */
#define CTL_TRIM_MIN		(64 * 1024)
#define CTL_TRIM_DELAY_MS	500

static void	 conn_kill(struct ctl_conn *);
static struct ctl_conn *conn_new(struct control *, int, uid_t, bool);
static void	 conn_close_after_flush(struct ctl_conn *);
static void	 conn_finish(struct ctl_conn *, struct ctl_req *);
static void	 conn_reply_error(struct ctl_conn *, const char *, size_t, int,
		    const char *, json_t *);

/* ------------------------------------------------- timeouts and memory */

/* The config's timeouts, read when armed: a reload changes them. */
static uint32_t
ctl_idle_ms(const struct control *ctl)
{
	return ctl->d->conf != NULL ? ctl->d->conf->control_idle_ms :
	    SNMPMGR_CTL_IDLE_TIMEOUT;
}

static uint32_t
ctl_line_ms(const struct control *ctl)
{
	return ctl->d->conf != NULL ? ctl->d->conf->control_line_ms :
	    SNMPMGR_CTL_LINE_TIMEOUT;
}

static void
ctl_evtimer_ms(struct event *ev, uint32_t ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* (Re)start c's idle timeout: it must ask something before it ends. */
static void
conn_idle_arm(struct ctl_conn *c)
{
	uint32_t	 ms = ctl_idle_ms(c->ctl);

	if (c->dead || c->ev_idle == NULL || c->internal)
		return;
	if (ms == 0)
		evtimer_del(c->ev_idle);
	else
		ctl_evtimer_ms(c->ev_idle, ms);
}

/*
 * Idle: nothing in flight, no event stream, no request since the timer
 * was armed, and no reply being read either (what is queued did not
 * shrink since the last look).  A partial line is the line timeout's.
 */
static void
conn_idle_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_conn	*c = arg;
	size_t		 outq;

	if (c->dead)
		return;
	if (!c->closing && !TAILQ_EMPTY(&c->reqs))
		return;		/* armed again when the last one ends */
	outq = evbuffer_get_length(bufferevent_get_output(c->bev));
	if ((outq > 0 && outq != c->idle_outq) || (!c->closing &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)) {
		c->idle_outq = outq;
		conn_idle_arm(c);
		return;
	}
	log_debug("control: closing a client idle for %u ms%s",
	    ctl_idle_ms(c->ctl), outq > 0 ? " that does not read" : "");
	conn_kill(c);
}

/* After input was taken: time the partial line left, if any, from its
 * first byte (restarted: a line before it was finished just now). */
static void
conn_line_watch(struct ctl_conn *c, bool restarted)
{
	struct ctl_conn	*o;

	if (c->dead || c->closing ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0) {
		evtimer_del(c->ev_line);
		if (!c->ctl->rep_slow.active || !restarted)
			return;
		TAILQ_FOREACH(o, &c->ctl->conns, entry)
			if (evtimer_pending(o->ev_line, NULL))
				return;
		log_repeat_clear(&c->ctl->rep_slow, "control: clients "
		    "finish their request lines again");
		return;
	}
	if (restarted || !evtimer_pending(c->ev_line, NULL))
		ctl_evtimer_ms(c->ev_line, ctl_line_ms(c->ctl));
}

/* A request line begun and not finished in time: say so if the reply
 * can still be framed (nothing else queued), and close. */
static void
conn_line_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_conn	*c = arg;
	struct evbuffer	*in;
	uint32_t	 ms = ctl_line_ms(c->ctl);

	if (c->dead || c->closing)
		return;
	in = bufferevent_get_input(c->bev);
	if (evbuffer_get_length(in) == 0)
		return;
	log_repeat(&c->ctl->rep_slow, "control: closing a client that left "
	    "a request line unfinished for %u ms", ms);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		conn_kill(c);
		return;
	}
	conn_reply_error(c, "null", 4, CTL_ERR_INVALID,
	    "request line not finished in time",
	    json_pack("{s:I}", "timeout_ms", (json_int_t)ms));
	conn_close_after_flush(c);
}

static void
ctl_trim_cb(evutil_socket_t fd, short ev, void *arg)
{
	malloc_trim(0);
}

static void
ctl_trim_soon(struct control *ctl)
{
	if (ctl->ev_trim != NULL && !evtimer_pending(ctl->ev_trim, NULL))
		ctl_evtimer_ms(ctl->ev_trim, CTL_TRIM_DELAY_MS);
}

/* Follow how much c's buffers hold; when they are empty after holding
 * a lot, have the memory given back. */
static void
conn_note_buffers(struct ctl_conn *c)
{
	size_t	 n;

	if (c->dead)
		return;
	n = evbuffer_get_length(bufferevent_get_input(c->bev)) +
	    evbuffer_get_length(bufferevent_get_output(c->bev));
	if (n > c->peak)
		c->peak = n;
	else if (n == 0 && c->peak >= CTL_TRIM_MIN) {
		c->peak = 0;
		ctl_trim_soon(c->ctl);
	}
}

/* ------------------------------------------------------------ requests */

struct daemon *
ctl_req_daemon(const struct ctl_req *r)
{
	return r->conn->ctl->d;
}

static void
req_clear_answer(struct ctl_req *r)
{
	json_decref(r->result);
	r->result = NULL;
	free(r->raw);
	r->raw = NULL;
	r->rawlen = 0;
	free(r->errmsg);
	r->errmsg = NULL;
	json_decref(r->errdata);
	r->errdata = NULL;
	r->has_error = false;
}

void
ctl_req_result(struct ctl_req *r, json_t *result)
{
	req_clear_answer(r);
	r->result = result;
}

void
ctl_req_result_raw(struct ctl_req *r, const char *json, size_t len)
{
	req_clear_answer(r);
	if ((r->raw = malloc(len ? len : 1)) == NULL) {
		ctl_req_error(r, CTL_ERR_INTERNAL, "out of memory", NULL);
		return;
	}
	memcpy(r->raw, json, len);
	r->rawlen = len;
}

void
ctl_req_error(struct ctl_req *r, int code, const char *message, json_t *data)
{
	req_clear_answer(r);
	r->has_error = true;
	r->errcode = code;
	r->errmsg = strdup(message);
	r->errdata = data;
}

void
ctl_req_errorf(struct ctl_req *r, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_req_error(r, code, msg, NULL);
}

void
ctl_req_error_no_session(struct ctl_req *r, const char *name)
{
	ctl_req_errorf(r, CTL_ERR_PARAMS, "unknown session \"%s\"", name);
}

void
ctl_req_error_num(struct ctl_req *r, int code, const char *detail,
    json_t *data)
{
	if (data == NULL)
		data = json_object();
	if (data != NULL && detail != NULL)
		json_object_set_new(data, "detail", json_string(detail));
	ctl_req_error(r, code, snmpmgr_strerror(code), data);
}

void
ctl_req_set_cancel(struct ctl_req *r, void (*cb)(void *), void *arg)
{
	r->cancel = cb;
	r->cancel_arg = arg;
}

void
ctl_req_set_interrupt(struct ctl_req *r, void (*cb)(void *, const char *),
    void *arg)
{
	r->intr = cb;
	r->intr_arg = arg;
}

const char *
ctl_req_method(const struct ctl_req *r)
{
	return r->method;
}

void
ctl_req_set_method(struct ctl_req *r, const char *method)
{
	r->method = method;
}

struct ctl_req *
ctl_req_find(struct ctl_req *r, const json_t *id)
{
	struct ctl_req	*t;
	char		*text;

	if (id == NULL || json_is_null(id) ||
	    (text = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return NULL;
	TAILQ_FOREACH(t, &r->conn->reqs, entry) {
		if (t == r || t->id == NULL || (!t->pending && !t->answered))
			continue;
		if (strcmp(t->id, text) == 0)
			break;
	}
	free(text);
	return t;
}

int
ctl_req_interrupt(struct ctl_req *t, const char *why)
{
	void	(*intr)(void *, const char *) = t->intr;
	void	(*cancel)(void *) = t->cancel;

	if (intr == NULL && cancel == NULL)
		return -1;	/* nobody could let go of it */
	t->intr = NULL;
	if (intr != NULL) {
		intr(t->intr_arg, why);
		return 0;
	}
	/* No way to stop it gracefully: as if its client had gone. */
	t->cancel = NULL;
	t->drain = NULL;
	if (cancel != NULL)
		cancel(t->cancel_arg);
	ctl_req_error_num(t, SNMPMGR_ERR_INTERRUPTED, why, NULL);
	ctl_req_done(t);
	return 0;
}

void
ctl_req_set_drain(struct ctl_req *r, void (*cb)(void *), void *arg)
{
	r->drain = cb;
	r->drain_arg = arg;
	if (cb != NULL && !r->conn->dead)
		bufferevent_setwatermark(r->conn->bev, EV_WRITE,
		    CTL_STREAM_LOW, 0);
}

const char *
ctl_req_id(const struct ctl_req *r, size_t *len)
{
	if (r->id == NULL) {
		*len = 4;
		return "null";
	}
	*len = r->idlen;
	return r->id;
}

bool
ctl_req_is_notification(const struct ctl_req *r)
{
	return r->id == NULL;
}

size_t
ctl_req_outq(const struct ctl_req *r)
{
	if (r->conn->dead)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(r->conn->bev));
}

static int
conn_write(struct ctl_conn *c, const char *buf, size_t len)
{
	struct evbuffer	*out;
	ssize_t		 n;

	if (c->dead)
		return -1;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) == 0) {
		/*
		 * Nothing queued: hand it to the socket now.  A walk's batch
		 * then costs one send() instead of arming write readiness,
		 * waking up for it, writing and disarming it again.  What the
		 * socket does not take is queued below, behind nothing.
		 */
		n = send(bufferevent_getfd(c->bev), buf, len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			log_debug("control: client error: %s", strerror(errno));
			conn_kill(c);
			return -1;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
		if (len == 0)
			return 0;
	}
	if (evbuffer_get_length(out) + len > SNMPMGR_MAX_CTL_OUTPUT) {
		log_warnx("control: dropping a client that does not read "
		    "its replies (%zu bytes queued)", evbuffer_get_length(out));
		c->ctl->d->clients_dropped++;
		conn_kill(c);
		return -1;
	}
	if (bufferevent_write(c->bev, buf, len) == -1) {
		conn_kill(c);
		return -1;
	}
	conn_note_buffers(c);
	return 0;
}

int
ctl_req_write(struct ctl_req *r, const char *buf, size_t len)
{
	if (r->conn->closing)
		return -1;
	return conn_write(r->conn, buf, len);
}

static struct ctl_req *
req_new(struct ctl_conn *c, json_t *id)
{
	struct ctl_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->conn = c;
	if (id != NULL) {
		if ((r->id = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL) {
			free(r);
			return NULL;
		}
		r->idlen = strlen(r->id);
	}
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->nreqs++;
	c->ctl->nreqs++;
	return r;
}

static void
req_free(struct ctl_req *r)
{
	if (r == NULL)
		return;
	if (r->pending)
		r->conn->ctl->d->requests_in_flight--;
	TAILQ_REMOVE(&r->conn->reqs, r, entry);
	if (--r->conn->nreqs == 0)
		conn_idle_arm(r->conn);	/* nothing in flight: idle from now */
	r->conn->ctl->nreqs--;
	req_clear_answer(r);
	free(r->id);
	free(r);
}

/* Frame one reply line: {"jsonrpc":"2.0","id":ID,"result"|"error":...}. */
static void
conn_reply(struct ctl_conn *c, const char *id, size_t idlen,
    const char *kind, const char *body, size_t bodylen)
{
	struct evbuffer	*b;
	size_t		 len;
	char		*line;

	if (c->dead || c->closing)
		return;
	if ((b = evbuffer_new()) == NULL)
		return;
	evbuffer_add(b, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
	evbuffer_add(b, id, idlen);
	evbuffer_add_printf(b, ",\"%s\":", kind);
	evbuffer_add(b, body, bodylen);
	evbuffer_add(b, "}\n", 2);
	len = evbuffer_get_length(b);
	if ((line = (char *)evbuffer_pullup(b, -1)) != NULL)
		conn_write(c, line, len);
	evbuffer_free(b);
}

static void
conn_reply_error(struct ctl_conn *c, const char *id, size_t idlen, int code,
    const char *message, json_t *data)
{
	json_t	*e;
	char	*s;

	e = json_pack("{s:i,s:s}", "code", code, "message", message);
	if (e == NULL) {
		json_decref(data);
		return;
	}
	if (data != NULL)
		json_object_set_new(e, "data", data);
	if ((s = json_dumps(e, RENDER_JSON_DUMP)) != NULL) {
		conn_reply(c, id, idlen, "error", s, strlen(s));
		free(s);
	}
	json_decref(e);
}

/* Send r's answer (unless it is a notification) and free it. */
static void
conn_finish(struct ctl_conn *c, struct ctl_req *r)
{
	char	*s;

	if (r->id == NULL || c->dead || r->answered)
		goto done;
	if (r->has_error) {
		conn_reply_error(c, r->id, r->idlen, r->errcode,
		    r->errmsg ? r->errmsg : "error", r->errdata);
		r->errdata = NULL;
	} else if (r->raw != NULL) {
		conn_reply(c, r->id, r->idlen, "result", r->raw, r->rawlen);
	} else {
		s = NULL;
		if (r->result != NULL)
			s = json_dumps(r->result, RENDER_JSON_DUMP | JSON_ENCODE_ANY);
		if (s == NULL)
			conn_reply(c, r->id, r->idlen, "result", "null", 4);
		else {
			conn_reply(c, r->id, r->idlen, "result", s, strlen(s));
			free(s);
		}
	}
 done:
	req_free(r);
	/* A half-closed client's last answer: close once it is written. */
	if (c->eof && !c->dead && !c->closing && TAILQ_EMPTY(&c->reqs))
		conn_close_after_flush(c);
}

void
ctl_req_done(struct ctl_req *r)
{
	conn_finish(r->conn, r);
}

void
ctl_req_ack(struct ctl_req *r)
{
	struct ctl_conn	*c = r->conn;
	char		*s;

	if (r->answered)
		return;
	r->answered = true;
	if (r->id == NULL || c->dead)
		return;
	if (r->has_error) {
		conn_reply_error(c, r->id, r->idlen, r->errcode,
		    r->errmsg ? r->errmsg : "error", r->errdata);
		r->errdata = NULL;
	} else if (r->raw != NULL)
		conn_reply(c, r->id, r->idlen, "result", r->raw, r->rawlen);
	else if (r->result != NULL &&
	    (s = json_dumps(r->result, RENDER_JSON_DUMP | JSON_ENCODE_ANY)) !=
	    NULL) {
		conn_reply(c, r->id, r->idlen, "result", s, strlen(s));
		free(s);
	} else
		conn_reply(c, r->id, r->idlen, "result", "null", 4);
	req_clear_answer(r);
}

/* ------------------------------------------------------------ dispatch */

/*
 * Nesting depth of the JSON text in p: brackets outside strings.  jansson
 * has no run-time depth bound, so lines are measured before parsing.
 */
static int
ctl_json_depth(const char *p, size_t n)
{
	size_t	 i;
	int	 depth = 0, max = 0;
	bool	 instr = false;

	for (i = 0; i < n; i++) {
		if (instr) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				instr = false;
			continue;
		}
		switch (p[i]) {
		case '"':
			instr = true;
			break;
		case '[':
		case '{':
			if (++depth > max)
				max = depth;
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return max;
}

static void
conn_handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct daemon		*d = c->ctl->d;
	struct ctl_req		*r;
	json_error_t		 jerr;
	json_t			*req = NULL, *id, *method, *params, *ver;
	int			 rv;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
	    line[len - 1] == '\t'))
		len--;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		line++;
		len--;
	}
	if (len == 0)
		return;
	conn_idle_arm(c);		/* a request: not idle */

	if (ctl_json_depth(line, len) > SNMPMGR_MAX_JSON_DEPTH) {
		conn_reply_error(c, "null", 4, CTL_ERR_INVALID,
		    "JSON nested too deeply",
		    json_pack("{s:i}", "max_depth", SNMPMGR_MAX_JSON_DEPTH));
		return;
	}
	if ((req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		conn_reply_error(c, "null", 4, CTL_ERR_PARSE, "parse error",
		    json_pack("{s:s,s:i}", "detail", jerr.text,
		    "column", jerr.column));
		return;
	}
	if (!json_is_object(req)) {
		conn_reply_error(c, "null", 4, CTL_ERR_INVALID,
		    "invalid request", json_pack("{s:s}", "detail",
		    "a request must be a JSON object"));
		goto out;
	}
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_string(id) && !json_is_number(id) &&
	    !json_is_null(id)) {
		conn_reply_error(c, "null", 4, CTL_ERR_INVALID,
		    "invalid request", json_pack("{s:s}", "detail",
		    "id must be a string, a number or null"));
		goto out;
	}
	if ((r = req_new(c, id)) == NULL) {
		log_warnx("control: out of memory");
		goto out;
	}
	/* Requests a client can keep waiting are bounded, as memory is. */
	if (c->nreqs > SNMPMGR_MAX_CTL_CLIENT_REQUESTS ||
	    c->ctl->nreqs > SNMPMGR_MAX_CTL_REQUESTS) {
		ctl_req_error_num(r, SNMPMGR_ERR_BUSY, "too many requests in "
		    "flight", json_pack("{s:i,s:i}", "max_per_client",
		    SNMPMGR_MAX_CTL_CLIENT_REQUESTS, "max",
		    SNMPMGR_MAX_CTL_REQUESTS));
		goto finish;
	}

	ver = json_object_get(req, "jsonrpc");
	method = json_object_get(req, "method");
	params = json_object_get(req, "params");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0")) {
		ctl_req_error(r, CTL_ERR_INVALID, "invalid request",
		    json_pack("{s:s}", "detail", "jsonrpc must be \"2.0\""));
		goto finish;
	}
	if (!json_is_string(method)) {
		ctl_req_error(r, CTL_ERR_INVALID, "invalid request",
		    json_pack("{s:s}", "detail", "method must be a string"));
		goto finish;
	}
	rv = c->ctl->dispatch(d, r, json_string_value(method), params);
	if (rv == CTL_PENDING && r->answered)
		goto out;	/* a stream that has its reply: not in flight */
	if (rv == CTL_PENDING) {
		r->pending = true;
		d->requests_in_flight++;
		goto out;
	}
 finish:
	conn_finish(c, r);
 out:
	json_decref(req);
}

/* ---------------------------------------------------------- connections */

static void
conn_free(struct ctl_conn *c)
{
	struct ctl_req	*r;
	void		(*cancel)(void *);

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		cancel = r->cancel;
		r->cancel = NULL;
		r->drain = NULL;
		if (cancel != NULL)
			cancel(r->cancel_arg);
		req_free(r);
	}
	if (c->ev_free != NULL)
		event_free(c->ev_free);
	if (c->ev_hup != NULL)
		event_free(c->ev_hup);
	if (c->ev_idle != NULL)
		event_free(c->ev_idle);
	if (c->ev_line != NULL)
		event_free(c->ev_line);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->peak >= CTL_TRIM_MIN)
		ctl_trim_soon(c->ctl);
	TAILQ_REMOVE(&c->ctl->conns, c, entry);
	c->ctl->nconns--;
	if (!c->privileged)
		c->ctl->nunpriv--;
	free(c);
}

static void
conn_free_cb(evutil_socket_t fd, short ev, void *arg)
{
	conn_free(arg);
}

/* Stop talking to c and free it at the next turn of the loop. */
static void
conn_kill(struct ctl_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->ev_free, EV_TIMEOUT, 0);
}

/* Write what is queued, then close. */
static void
conn_close_after_flush(struct ctl_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	evtimer_del(c->ev_line);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_kill(c);
	else
		conn_idle_arm(c);	/* a client that never reads: closed */
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 eollen, linelen;
	unsigned char		*line;
	bool			 taken = false;

	while (!c->dead && !c->closing) {
		eol = evbuffer_search_eol(in, NULL, &eollen, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) > SNMPMGR_MAX_CTL_LINE)
				goto toolong;
			break;
		}
		linelen = (size_t)eol.pos;
		if (linelen > SNMPMGR_MAX_CTL_LINE)
			goto toolong;
		if ((line = evbuffer_pullup(in, (ev_ssize_t)linelen + 1)) ==
		    NULL) {
			log_warnx("control: out of memory");
			conn_kill(c);
			return;
		}
		conn_handle_line(c, (const char *)line, linelen);
		evbuffer_drain(in, linelen + 1);
		taken = true;
	}
	conn_line_watch(c, taken);
	conn_note_buffers(c);
	return;
 toolong:
	conn_reply_error(c, "null", 4, CTL_ERR_INVALID,
	    "request line too long", json_pack("{s:i}", "max_bytes",
	    SNMPMGR_MAX_CTL_LINE));
	evbuffer_drain(in, evbuffer_get_length(in));
	conn_close_after_flush(c);
	conn_note_buffers(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn	*c = arg;
	struct ctl_req	*r, *next;
	void		(*drain)(void *);
	bool		 more = false;

	if (c->dead)
		return;
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_kill(c);
		return;
	}
	conn_note_buffers(c);
	/* Paused streams go on; one may pause again, others may finish. */
	for (r = TAILQ_FIRST(&c->reqs); r != NULL && !c->dead; r = next) {
		next = TAILQ_NEXT(r, entry);
		if ((drain = r->drain) == NULL)
			continue;
		r->drain = NULL;
		drain(r->drain_arg);
		/* drain may have finished r; next is still on the list,
		 * because nothing else runs meanwhile. */
	}
	if (c->dead)
		return;
	TAILQ_FOREACH(r, &c->reqs, entry)
		if (r->drain != NULL)
			more = true;
	if (!more)
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
}

/*
 * After EOF: has the client closed its socket, or only shut down its
 * sending side?  On a Unix stream socket only the former raises POLLHUP.
 */
static bool
conn_peer_closed(struct ctl_conn *c)
{
	struct pollfd	 pfd;

	pfd.fd = bufferevent_getfd(c->bev);
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == -1)
		return true;
	return (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static void
conn_hup_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_conn	*c = arg;

	if (!c->dead && conn_peer_closed(c)) {
		log_debug("control: half-closed client went away");
		conn_kill(c);
	}
}

/*
 * Reading stops at EOF, so when a half-closed client with requests still
 * running (a subscription never ends) closes its socket for good, no
 * event says so until something is written to it, and a quiet
 * subscription would keep its slot forever.  Look once a second.
 */
static void
conn_watch_hup(struct ctl_conn *c)
{
	struct timeval	 onesec = { 1, 0 };

	if (c->ev_hup == NULL && (c->ev_hup = event_new(c->ctl->d->base, -1,
	    EV_PERSIST, conn_hup_cb, c)) == NULL) {
		log_warnx("control: out of memory");
		conn_kill(c);
		return;
	}
	evtimer_add(c->ev_hup, &onesec);
}

/*
 * The client sends no more but still reads: answer a last line that came
 * without its newline, let the pending requests finish (walks keep
 * streaming), and close once the last reply is written (conn_finish).
 */
static void
conn_half_closed(struct ctl_conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	unsigned char	*line;
	size_t		 len;

	log_debug("control: client half-closed its connection");
	c->eof = true;
	if (c->closing)
		return;		/* already flushing an error, then closing */
	if ((len = evbuffer_get_length(in)) > 0) {
		if ((line = evbuffer_pullup(in, -1)) == NULL) {
			log_warnx("control: out of memory");
			conn_kill(c);
			return;
		}
		conn_handle_line(c, (const char *)line, len);
		evbuffer_drain(in, len);
	}
	conn_line_watch(c, false);
	conn_note_buffers(c);
	if (!c->dead && !c->closing && TAILQ_EMPTY(&c->reqs))
		conn_close_after_flush(c);
	else if (!c->dead && !c->closing)
		conn_watch_hup(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn	*c = arg;

	if (c->dead)
		return;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    !conn_peer_closed(c)) {
		conn_half_closed(c);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		log_debug("control: client error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	/* Gone or broken: whatever it had in flight is cancelled. */
	conn_kill(c);
}

/* ------------------------------------------------------------- listener */

static void
ctl_pause_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;

	event_add(ctl->ev_accept, NULL);
}

/* Say why on s (one error line, if the socket takes it) and close it. */
static void
ctl_refuse(int s, const char *message, json_t *data)
{
	json_t	*e;
	char	 line[512];
	size_t	 n;

	e = json_pack("{s:s,s:n,s:{s:i,s:s,s:o*}}", "jsonrpc", "2.0", "id",
	    "error", "code", CTL_ERR_INTERNAL, "message", message, "data",
	    data);
	if (e != NULL && (n = json_dumpb(e, line, sizeof(line) - 1,
	    RENDER_JSON_DUMP | JSON_PRESERVE_ORDER)) > 0 &&
	    n < sizeof(line)) {
		line[n++] = '\n';
		(void)!send(s, line, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	json_decref(e);
	close(s);
}

/* Connections of uid other users may not take more of. */
static size_t
ctl_user_conns(const struct control *ctl, uid_t uid)
{
	const struct ctl_conn	*c;
	size_t			 n = 0;

	TAILQ_FOREACH(c, &ctl->conns, entry)
		if (c->uid == uid && !c->dead)
			n++;
	return n;
}

/*
 * May a client of uid have one more slot?  Root and our own user may
 * take all of them; any other user at most SNMPMGR_MAX_CTL_CLIENTS_PER_UID,
 * and all other users together never the last
 * SNMPMGR_CTL_RESERVED_CLIENTS.  If not, refuse s and say why.
 */
static bool
ctl_admit(struct control *ctl, int s, uid_t uid, bool privileged)
{
	if (ctl->nconns >= SNMPMGR_MAX_CTL_CLIENTS) {
		log_repeat(&ctl->rep_full, "control: %d clients already, "
		    "refusing another", SNMPMGR_MAX_CTL_CLIENTS);
		ctl_refuse(s, "too many clients", json_pack("{s:i}", "max",
		    SNMPMGR_MAX_CTL_CLIENTS));
		return false;
	}
	if (privileged)
		return true;
	if (ctl->nunpriv >= SNMPMGR_MAX_CTL_CLIENTS -
	    SNMPMGR_CTL_RESERVED_CLIENTS) {
		log_repeat(&ctl->rep_full, "control: %zu clients of ordinary "
		    "users already, refusing uid %lu (the other %d are kept "
		    "for root and our own user)", ctl->nunpriv,
		    (unsigned long)uid, SNMPMGR_CTL_RESERVED_CLIENTS);
		ctl_refuse(s, "too many clients", json_pack("{s:i,s:i,s:s}",
		    "max", SNMPMGR_MAX_CTL_CLIENTS, "reserved",
		    SNMPMGR_CTL_RESERVED_CLIENTS, "detail", "the remaining "
		    "connections are reserved for root and the daemon's user"));
		return false;
	}
	if (ctl_user_conns(ctl, uid) >= SNMPMGR_MAX_CTL_CLIENTS_PER_UID) {
		log_repeat(&ctl->rep_user, "control: uid %lu has %d clients "
		    "already, refusing another", (unsigned long)uid,
		    SNMPMGR_MAX_CTL_CLIENTS_PER_UID);
		ctl_refuse(s, "too many clients of this user",
		    json_pack("{s:I,s:i}", "uid", (json_int_t)uid,
		    "max_per_user", SNMPMGR_MAX_CTL_CLIENTS_PER_UID));
		return false;
	}
	return true;
}

static void
ctl_accept_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct control		*ctl = arg;
	struct timeval		 onesec = { 1, 0 };
	struct ucred		 cred;
	socklen_t		 credlen = sizeof(cred);
	bool			 privileged;
	int			 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_repeat(&ctl->rep_accept, "control: accept: %s; "
			    "pausing for a second", strerror(errno));
			event_del(ctl->ev_accept);
			evtimer_add(ctl->ev_pause, &onesec);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	log_repeat_clear(&ctl->rep_accept, "control: accepting again");
	/* Whose it is: the kernel says, as the client connected. */
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1) {
		log_warn("control: cannot tell who connected (SO_PEERCRED)");
		close(s);
		return;
	}
	privileged = cred.uid == 0 || cred.uid == ctl->euid;
	if (!ctl_admit(ctl, s, cred.uid, privileged))
		return;
	log_repeat_clear(&ctl->rep_full, "control: accepting clients again");
	log_repeat_clear(&ctl->rep_user, "control: accepting clients of "
	    "every user again");
	if (conn_new(ctl, s, cred.uid, privileged) == NULL)
		return;
	log_debug("control: client connected (%zu, uid %lu)", ctl->nconns,
	    (unsigned long)cred.uid);
}

/* A connection on socket s (closed on failure, logged).  NULL or it. */
static struct ctl_conn *
conn_new(struct control *ctl, int s, uid_t uid, bool privileged)
{
	struct ctl_conn		*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	TAILQ_INIT(&c->reqs);
	c->ctl = ctl;
	c->uid = uid;
	c->privileged = privileged;
	c->ev_free = event_new(ctl->d->base, -1, 0, conn_free_cb, c);
	c->ev_idle = evtimer_new(ctl->d->base, conn_idle_cb, c);
	c->ev_line = evtimer_new(ctl->d->base, conn_line_cb, c);
	c->bev = bufferevent_socket_new(ctl->d->base, s, BEV_OPT_CLOSE_ON_FREE);
	if (c->ev_free == NULL || c->ev_idle == NULL || c->ev_line == NULL ||
	    c->bev == NULL) {
		if (c->ev_free != NULL)
			event_free(c->ev_free);
		if (c->ev_idle != NULL)
			event_free(c->ev_idle);
		if (c->ev_line != NULL)
			event_free(c->ev_line);
		if (c->bev != NULL) {
			bufferevent_free(c->bev);
			s = -1;
		}
		free(c);
		goto fail;
	}
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nconns++;
	if (!privileged)
		ctl->nunpriv++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* Read at most one longest line (plus its newline) ahead. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, SNMPMGR_MAX_CTL_LINE + 1);
	bufferevent_enable(c->bev, EV_READ);
	conn_idle_arm(c);
	return c;
 fail:
	log_warnx("control: cannot set up a client: out of memory");
	if (s != -1)
		close(s);
	return NULL;
}

int
control_attach_internal(struct control *ctl)
{
	struct ctl_conn	*c;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		log_warn("control: socketpair");
		return -1;
	}
	if ((c = conn_new(ctl, sv[0], ctl->euid, true)) == NULL) {
		close(sv[1]);
		return -1;
	}
	c->internal = true;
	evtimer_del(c->ev_idle);
	return sv[1];
}

bool
ctl_req_internal(const struct ctl_req *r)
{
	return r->conn->internal;
}

/* Remove a socket file at path unless a server answers on it. */
static int
ctl_unlink_stale(const struct sockaddr_un *sun)
{
	struct stat	 st;
	int		 s, rv;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rv = connect(s, (const struct sockaddr *)sun, sizeof(*sun));
	close(s);
	if (rv == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	log_info("control: removing stale socket %s", sun->sun_path);
	return unlink(sun->sun_path);
}

struct control *
control_new(struct daemon *d, const char *path, mode_t mode,
    control_dispatch_fn *dispatch)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	mode_t			 oldmask;
	int			 rv;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		log_warn("control");
		return NULL;
	}
	ctl->d = d;
	ctl->dispatch = dispatch;
	ctl->fd = -1;
	ctl->euid = geteuid();
	TAILQ_INIT(&ctl->conns);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control: socket path too long: %s", path);
		goto fail;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((ctl->path = strdup(path)) == NULL) {
		log_warn("control");
		goto fail;
	}
	if (dirs_make_for(path, 0755) == -1) {
		log_warn("control: cannot create the directory of %s", path);
		goto fail;
	}
	if (ctl_unlink_stale(&sun) == -1) {
		if (errno == EADDRINUSE)
			log_warnx("control: %s: another server is listening "
			    "there", path);
		else
			log_warn("control: %s", path);
		goto fail;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd == -1) {
		log_warn("control: socket");
		goto fail;
	}
	oldmask = umask(~mode & 0777);
	rv = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(oldmask);
	if (rv == -1) {
		log_warn("control: bind %s", path);
		goto fail;
	}
	if (chmod(path, mode) == -1) {
		log_warn("control: chmod %s", path);
		goto fail_unlink;
	}
	if (listen(ctl->fd, 64) == -1) {
		log_warn("control: listen");
		goto fail_unlink;
	}
	ctl->ev_accept = event_new(d->base, ctl->fd, EV_READ | EV_PERSIST,
	    ctl_accept_cb, ctl);
	ctl->ev_pause = evtimer_new(d->base, ctl_pause_cb, ctl);
	ctl->ev_trim = evtimer_new(d->base, ctl_trim_cb, ctl);
	if (ctl->ev_accept == NULL || ctl->ev_pause == NULL ||
	    ctl->ev_trim == NULL || event_add(ctl->ev_accept, NULL) == -1) {
		log_warnx("control: cannot set up events");
		goto fail_unlink;
	}
	log_info("control: listening on %s", path);
	return ctl;
 fail_unlink:
	unlink(path);
 fail:
	if (ctl->ev_accept != NULL)
		event_free(ctl->ev_accept);
	if (ctl->ev_pause != NULL)
		event_free(ctl->ev_pause);
	if (ctl->ev_trim != NULL)
		event_free(ctl->ev_trim);
	if (ctl->fd != -1)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	return NULL;
}

void
control_free(struct control *ctl)
{
	struct ctl_conn	*c;

	if (ctl == NULL)
		return;
	if (ctl->ev_accept != NULL)
		event_free(ctl->ev_accept);
	if (ctl->ev_pause != NULL)
		event_free(ctl->ev_pause);
	while ((c = TAILQ_FIRST(&ctl->conns)) != NULL)
		conn_free(c);
	if (ctl->ev_trim != NULL)
		event_free(ctl->ev_trim);
	/* After control_shutdown() the socket file is gone already. */
	if (ctl->fd != -1) {
		close(ctl->fd);
		if (ctl->path != NULL && unlink(ctl->path) == -1 &&
		    errno != ENOENT)
			log_warn("control: unlink %s", ctl->path);
	}
	free(ctl->path);
	free(ctl);
}

size_t
control_nclients(const struct control *ctl)
{
	return ctl != NULL ? ctl->nconns : 0;
}

void
control_shutdown(struct control *ctl)
{
	if (ctl == NULL || ctl->fd == -1)
		return;
	if (ctl->ev_accept != NULL)
		event_del(ctl->ev_accept);
	if (ctl->ev_pause != NULL)
		event_del(ctl->ev_pause);
	close(ctl->fd);
	ctl->fd = -1;
	if (ctl->path != NULL && unlink(ctl->path) == -1 && errno != ENOENT)
		log_warn("control: unlink %s", ctl->path);
}

size_t
control_outq(const struct control *ctl)
{
	struct ctl_conn	*c;
	size_t		 n = 0;

	if (ctl == NULL)
		return 0;
	TAILQ_FOREACH(c, &ctl->conns, entry)
		if (!c->dead)
			n += evbuffer_get_length(bufferevent_get_output(c->bev));
	return n;
}
