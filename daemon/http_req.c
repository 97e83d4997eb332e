/*
 * http_req.c - request heads and /probe queries for daemon/http.c, as
 * http_req.h says.  No libevent, no allocation: fuzzed alone.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_req.h"

static void
fail(struct http_req *r, int status, const char *why)
{
	r->status = status;
	r->error = why;
	if (status != 404)
		r->keepalive = false;
}

/*
 * The line at *p, cut at its LF and without the CR before it (RFC 9112
 * 2.2 lets a recipient take a bare LF as a line end); *p moves past it
 * (NULL at the end).
 */
static char *
next_line(char **p)
{
	char	*line = *p, *lf;

	if (line == NULL)
		return NULL;
	if ((lf = strchr(line, '\n')) != NULL) {
		*p = lf + 1;
		if (lf > line && lf[-1] == '\r')
			lf--;
		*lf = '\0';
	} else
		*p = NULL;
	return line;
}

ssize_t
http_head_end(const char *p, size_t n)
{
	const char	*lf, *at = p, *end = p + n;

	/* A line end, then an empty line: LF LF or LF CR LF. */
	for (; (lf = memchr(at, '\n', (size_t)(end - at))) != NULL;
	    at = lf + 1) {
		if (lf + 1 < end && lf[1] == '\n')
			return lf + 2 - p;
		if (lf + 2 < end && lf[1] == '\r' && lf[2] == '\n')
			return lf + 3 - p;
	}
	return -1;
}

/* Content-Length: digits only (RFC 9110 8.6); 0 or not. */
static int
content_length(const char *v, bool *zero)
{
	size_t	 n = strspn(v, "0123456789");

	if (n == 0 || v[n + strspn(v + n, " \t")] != '\0')
		return -1;
	*zero = strspn(v, "0") == n;
	return 0;
}

void
http_req_parse(char *head, struct http_req *r)
{
	char	*rest = head, *line, *method, *target, *version, *v, *a;
	size_t	 n;
	bool	 zero;

	memset(r, 0, sizeof(*r));
	r->method = "";
	r->keepalive = true;
	line = next_line(&rest);
	method = line;
	if ((target = strchr(method, ' ')) == NULL ||
	    (version = strchr(target + 1, ' ')) == NULL) {
		fail(r, 400, "bad request line");
		return;
	}
	*target++ = '\0';
	*version++ = '\0';
	r->method = method;
	r->target = target;
	r->get = strcmp(method, "GET") == 0;
	r->head = strcmp(method, "HEAD") == 0;
	if (strcmp(version, "HTTP/1.1") != 0 &&
	    strcmp(version, "HTTP/1.0") != 0) {
		fail(r, strncmp(version, "HTTP/", 5) == 0 ? 505 : 400,
		    "HTTP/1.0 or HTTP/1.1 only");
		return;
	}
	r->keepalive = strcmp(version, "HTTP/1.0") != 0;
	while ((line = next_line(&rest)) != NULL && *line != '\0') {
		if ((v = strchr(line, ':')) == NULL) {
			fail(r, 400, "bad header line");
			return;
		}
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strchr(v, '\r') != NULL) {
			/* RFC 9112 2.2: a bare CR is invalid */
			fail(r, 400, "bare CR in a header line");
			return;
		}
		if (strcasecmp(line, "Content-Length") == 0 &&
		    content_length(v, &zero) == -1) {
			/* RFC 9112 6.3 item 5 */
			fail(r, 400, "bad Content-Length");
			return;
		}
		if ((strcasecmp(line, "Content-Length") == 0 && !zero) ||
		    strcasecmp(line, "Transfer-Encoding") == 0) {
			fail(r, 413, "request bodies are not accepted");
			return;
		}
		if (strcasecmp(line, "Connection") == 0) {
			if (strcasestr(v, "close") != NULL)
				r->keepalive = false;
			else if (strcasestr(v, "keep-alive") != NULL)
				r->keepalive = true;
		}
		if (strcasecmp(line, "Accept") == 0)
			r->om = http_wants_om(v);
	}
	if (!r->get && !r->head) {
		fail(r, 405, "GET or HEAD only");
		return;
	}
	if ((r->query = strchr(target, '?')) != NULL)
		*r->query++ = '\0';
	/* RFC 9112 3.2.2: absolute-form; the authority is not ours to
	 * check (3.2.3), the path is what counts, "/" when empty. */
	n = strncasecmp(target, "http://", 7) == 0 ? 7 :
	    strncasecmp(target, "https://", 8) == 0 ? 8 : 0;
	if (n > 0) {
		a = target + n;
		a += strcspn(a, "/");
		if (*a != '/')
			*--a = '/';	/* over the authority's last byte */
		r->target = a;
	}
}

bool
http_wants_om(const char *accept)
{
	const char	*p = strstr(accept, "application/openmetrics-text");
	const char	*end;

	if (p == NULL)
		return false;
	end = strchr(p, ',');
	p = strstr(p, "q=0");
	return p == NULL || (end != NULL && p > end) || p[3] == '.';
}

int
http_url_decode(char *s)
{
	char	*w = s, hex[3] = { 0, 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*w++ = ' ';
		else if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) ||
			    !isxdigit((unsigned char)s[2]))
				return -1;
			hex[0] = s[1];
			hex[1] = s[2];
			if ((*w++ = (char)strtol(hex, NULL, 16)) == '\0')
				return -1;
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
	return 0;
}

int
http_query_parse(char *q, struct http_query *out)
{
	char	*p, *k, *v;

	memset(out, 0, sizeof(*out));
	for (p = q; p != NULL && *p != '\0'; ) {
		k = p;
		if ((p = strchr(p, '&')) != NULL)
			*p++ = '\0';
		if ((v = strchr(k, '=')) == NULL)
			continue;
		*v++ = '\0';
		if (http_url_decode(k) == -1 || http_url_decode(v) == -1)
			return -1;
		if (strcmp(k, "session") == 0)
			out->session = v;
		else if (strcmp(k, "target") == 0)
			out->target = v;
		else if (strcmp(k, "module") == 0 || strcmp(k, "poll") == 0)
			out->module = v;
	}
	return 0;
}
