/*
 * control.h - the control socket: a Unix stream socket speaking JSON-RPC 2.0,
 * one object per line (doc/protocol.md).
 *
 * control.c owns the listener, the connections, the framing, the limits and
 * the reply format; what a request asks for is the dispatcher's business
 * (methods.c, given to control_new).  Method handlers see only a struct
 * ctl_req:
 * they fill in a result or an error and either return CTL_DONE, or return
 * CTL_PENDING and call ctl_req_done() later, when the SNMP reply is in.  A
 * request whose client goes away is cancelled through the callback its
 * handler registered, and is freed by control.c; a handler never frees one.
 */
#ifndef SNMPMGRD_CONTROL_H
#define SNMPMGRD_CONTROL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

typedef struct json_t json_t;

struct daemon;
struct control;
struct ctl_req;

/* JSON-RPC 2.0 error codes (JSON-RPC 2.0 specification, 5.1). */
#define CTL_ERR_PARSE		-32700
#define CTL_ERR_INVALID		-32600
#define CTL_ERR_METHOD		-32601
#define CTL_ERR_PARAMS		-32602
#define CTL_ERR_INTERNAL	-32603

/* What a method handler returns. */
#define CTL_DONE		0
#define CTL_PENDING		1

/*
 * What runs a request: method name with params (NULL when absent, else
 * any JSON value the client sent) on r.  It fills in r's answer and
 * returns CTL_DONE, or CTL_PENDING (see below).
 */
typedef int	 control_dispatch_fn(struct daemon *d, struct ctl_req *r,
		    const char *name, json_t *params);

/*
 * Listen on path (creating its parent directory when missing, removing a
 * stale socket nobody listens on) with the given mode; requests go to
 * dispatch.  NULL with the reason logged.
 */
struct control	*control_new(struct daemon *d, const char *path, mode_t mode,
		    control_dispatch_fn *dispatch);
/* Close every connection (cancelling their requests), stop listening and
 * remove the socket file.  NULL is fine. */
void		 control_free(struct control *c);
size_t		 control_nclients(const struct control *c);
/* Graceful stop: accept no more clients and remove the socket file;
 * connections stay until control_free(). */
void		 control_shutdown(struct control *c);
/* Bytes queued for all clients, not yet written. */
size_t		 control_outq(const struct control *c);
/*
 * A client connection from inside the daemon (cluster forwarding,
 * cluster_fwd.h): our end of a socket pair, the other end a privileged
 * connection that is never idle and whose requests say so
 * (ctl_req_internal).  The caller owns and closes the fd.  -1 (logged).
 */
int		 control_attach_internal(struct control *c);

/* The request's result: a JSON value (ownership passes), or raw JSON text
 * (copied). */
void		 ctl_req_result(struct ctl_req *r, json_t *result);
void		 ctl_req_result_raw(struct ctl_req *r, const char *json,
		    size_t len);
/* The request's error; data (ownership passes) may be NULL. */
void		 ctl_req_error(struct ctl_req *r, int code, const char *message,
		    json_t *data);
void		 ctl_req_errorf(struct ctl_req *r, int code, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* A numbered error: message is its fixed text, data.detail the detail;
 * extra keys of data (ownership passes, may be NULL) are kept. */
void		 ctl_req_error_num(struct ctl_req *r, int code,
		    const char *detail, json_t *data);

/* The error of a session name that names none (-32602, every method's
 * words). */
void		 ctl_req_error_no_session(struct ctl_req *r, const char *name);

/* Finish a request its handler left pending: send the reply, free r. */
void		 ctl_req_done(struct ctl_req *r);
/*
 * Send r's reply (result or error) now but keep r open as a stream of
 * notifications (events.subscribe): the handler then returns CTL_PENDING,
 * r does not count as in flight, and a later ctl_req_done() frees it
 * without a second reply.
 */
void		 ctl_req_ack(struct ctl_req *r);

/* Called (once) if r is cancelled because its client went away. */
void		 ctl_req_set_cancel(struct ctl_req *r, void (*cb)(void *),
		    void *arg);
/*
 * Called (once) when request.cancel names r: cb must end r before it
 * returns, with error 398 and whatever data says how far it got (walks:
 * count and last_oid), through ctl_req_done().  why is the detail to
 * give.  A request without one is cancelled as if its client had gone
 * (its cancel callback) and answered 398 by control.c.
 */
void		 ctl_req_set_interrupt(struct ctl_req *r,
		    void (*cb)(void *, const char *why), void *arg);
/*
 * The request in flight (pending, or an open stream) with JSON id on r's
 * connection, other than r; NULL when there is none.
 */
struct ctl_req	*ctl_req_find(struct ctl_req *r, const json_t *id);
/* End t now with 398 (request.cancel), as ctl_req_set_interrupt says.
 * 0, or -1 when t has no way to be stopped (it is left alone). */
int		 ctl_req_interrupt(struct ctl_req *t, const char *why);
/* The method r called ("snmp.get"), or NULL before it was looked up;
 * the dispatcher sets it (a string that lives as long as the daemon). */
const char	*ctl_req_method(const struct ctl_req *r);
void		 ctl_req_set_method(struct ctl_req *r, const char *method);
/* Called (once) when the client's queued output drains below the low
 * mark; for streams that paused. */
void		 ctl_req_set_drain(struct ctl_req *r, void (*cb)(void *),
		    void *arg);

/* The request's id as JSON text ("null" for a notification). */
const char	*ctl_req_id(const struct ctl_req *r, size_t *len);
bool		 ctl_req_is_notification(const struct ctl_req *r);
/* Whether r came over control_attach_internal's connection. */
bool		 ctl_req_internal(const struct ctl_req *r);
/* Bytes queued for the client, not yet written. */
size_t		 ctl_req_outq(const struct ctl_req *r);
/* Queue raw output (whole lines) for the client.  -1 if the client is gone
 * or was dropped for not reading. */
int		 ctl_req_write(struct ctl_req *r, const char *buf, size_t len);
struct daemon	*ctl_req_daemon(const struct ctl_req *r);

#endif /* SNMPMGRD_CONTROL_H */
