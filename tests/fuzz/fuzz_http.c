/*
 * fuzz_http.c - libFuzzer target for the Prometheus endpoint's request
 * side (daemon/http_req.c): request heads, the Accept header's test and
 * /probe queries, on any bytes.
 *
 * The input is framed as daemon/http.c frames a connection's bytes: up to
 * the first empty line (http_head_end(), CRLF or bare LF line ends; or
 * all of it), refused when it holds a NUL.  The
 * parser must then either refuse it with one of its statuses and a reason
 * or hand back a GET or HEAD whose target and query lie inside the head;
 * a query's parameters must lie inside it and be no longer than it, and
 * decoding never makes a string longer.
 * Build with clang -fsanitize=fuzzer,address,undefined (tests/fuzz_http.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http_req.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_HEAD	65536

static void
inside(const char *p, const char *buf, size_t len)
{
	if (p != NULL && (p < buf || p + strlen(p) > buf + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req	 r;
	struct http_query q;
	char		*head, *copy;
	size_t		 len = size, qlen;
	ssize_t		 end;

	if (size > FUZZ_MAX_HEAD)
		return 0;
	if ((end = http_head_end((const char *)data, size)) != -1) {
		if (end < 2 || (size_t)end > size)
			abort();
		len = (size_t)end;
	}
	if (memchr(data, '\0', len) != NULL)
		return 0;
	if ((head = malloc(len + 1)) == NULL ||
	    (copy = malloc(len + 1)) == NULL) {
		free(head);
		return 0;
	}
	memcpy(head, data, len);
	head[len] = '\0';
	memcpy(copy, head, len + 1);

	(void)http_wants_om(copy);
	if (http_url_decode(copy) == 0 && strlen(copy) > len)
		abort();

	http_req_parse(head, &r);
	switch (r.status) {
	case 0:
		if (r.target == NULL || r.method == NULL || r.error != NULL ||
		    r.get == r.head)
			abort();
		inside(r.target, head, len);
		inside(r.query, head, len);
		if (r.query == NULL)
			break;
		qlen = strlen(r.query);
		if (http_query_parse(r.query, &q) == 0) {
			inside(q.session, head, len);
			inside(q.target, head, len);
			inside(q.module, head, len);
			if ((q.session != NULL && strlen(q.session) > qlen) ||
			    (q.target != NULL && strlen(q.target) > qlen) ||
			    (q.module != NULL && strlen(q.module) > qlen))
				abort();
		}
		break;
	case 400: case 405: case 413: case 505:
		if (r.error == NULL || r.keepalive)
			abort();
		break;
	default:
		abort();
	}
	free(head);
	free(copy);
	return 0;
}
