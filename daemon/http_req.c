/*
 * http_req.c - request heads and /probe queries for daemon/http.c, as
 * http_req.h says.  No libevent, no allocation: fuzzed alone.
 */
#include <config.h>		/* autoconf's */

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

/* The line at *p, cut at its CRLF; *p moves past it (NULL at the end). */
static char *
next_line(char **p)
{
	char	*line = *p, *crlf;

	if (line == NULL)
		return NULL;
	if ((crlf = strstr(line, "\r\n")) != NULL) {
		*crlf = '\0';
		*p = crlf + 2;
	} else
		*p = NULL;
	return line;
}

void
http_req_parse(char *head, struct http_req *r)
{
	char	*rest = head, *line, *method, *target, *version, *v;

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
		if ((strcasecmp(line, "Content-Length") == 0 &&
		    strcmp(v, "0") != 0) ||
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
