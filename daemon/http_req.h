/*
 * http_req.h - the request side of the Prometheus endpoint's HTTP/1.1
 * (daemon/http.c), pure so that it can be fuzzed alone
 * (tests/fuzz/fuzz_http.c): a request head into its method, target,
 * query and the few headers we act on, and a /probe query into its
 * parameters.  Nothing here allocates; the strings point into the head,
 * which is cut up in place.
 */
#ifndef SNMPMGRD_HTTP_REQ_H
#define SNMPMGRD_HTTP_REQ_H

#include <sys/types.h>

#include <stdbool.h>

struct http_req {
	int		 status;	/* 0, or the HTTP status to answer */
	const char	*error;		/* why, for status (static text) */
	const char	*method;	/* "" before the request line is read */
	char		*target;	/* the path, without the query */
	char		*query;		/* after '?', or NULL */
	bool		 get;		/* GET */
	bool		 head;		/* HEAD: answer without a body */
	bool		 keepalive;	/* HTTP/1.1 default or Connection */
	bool		 om;		/* Accept asks for OpenMetrics */
};

/*
 * The length of the request head at p (n bytes, not NUL-terminated)
 * through the empty line that ends it, or -1 when it has not ended yet.
 * Lines end in CRLF or a bare LF (RFC 9112 2.2).
 */
ssize_t	 http_head_end(const char *p, size_t n);

/*
 * One request head: a NUL-terminated text of CRLF- or LF-ended lines (the
 * blank line ending it included or not; no NUL inside).  Only GET and
 * HEAD, HTTP/1.0 and 1.1, no body (a Content-Length other than 0 or a
 * Transfer-Encoding is 413; a Content-Length that is not a number 400).
 * An absolute-form target (http://host/path, RFC 9112 3.2.2) is taken
 * as its path.  r->status is 0 when the request is to be served;
 * otherwise r->error says why and r->keepalive may be false.
 */
void	 http_req_parse(char *head, struct http_req *r);

/* Does an Accept header's value ask for OpenMetrics (not with q=0)? */
bool	 http_wants_om(const char *accept);

/* %XX and '+' decoding in place: 0, or -1 on a bad escape or a %00. */
int	 http_url_decode(char *s);

/* A /probe query's parameters (NULL when not given). */
struct http_query {
	char	*session;
	char	*target;
	char	*module;		/* "module" or "poll" */
};

/* Cut q (may be NULL) up in place: 0, or -1 on a bad %-escape.  Unknown
 * keys and pieces without '=' are ignored; a later key wins. */
int	 http_query_parse(char *q, struct http_query *out);

#endif /* SNMPMGRD_HTTP_REQ_H */
