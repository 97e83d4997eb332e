/*
 * http.h - the opt-in Prometheus endpoint ("http" in the config): a small
 * HTTP/1.1 server on the daemon's event loop serving /metrics (every
 * polled value and snmpmgrd's health, metrics.h) and /probe (run one
 * session's polls now and answer with their values when they end).
 *
 * Everything a client can make it hold is bounded: connections (over the
 * limit a new one is closed at once), the request head's size and the
 * time to send it (a whole-request deadline, so trickling bytes does not
 * extend it), the time without progress while we send, the response's
 * size, the probes waiting, and the CPU of /metrics (a rendering is
 * reused for "cache" ms).  Request bodies are refused.
 */
#ifndef SNMPMGRD_HTTP_H
#define SNMPMGRD_HTTP_H

struct config_http;
struct daemon;
struct http;

/* Listen as c says.  NULL with err set when an address cannot be bound
 * or memory runs out. */
struct http	*http_new(struct daemon *d, const struct config_http *c,
		    char *err, size_t errsize);
/* Take the bounds of a reloaded config (listen changes need a restart:
 * said in the log). */
void		 http_reconfigure(struct http *h, const struct config_http *c);
/* Close every connection and listener (waiting probes stop waiting). */
void		 http_free(struct http *h);

#endif /* SNMPMGRD_HTTP_H */
