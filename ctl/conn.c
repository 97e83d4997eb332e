/*
 * conn.c - snmpmgrctl's side of the control socket (doc/protocol.md
 * "Framing and limits"): a blocking Unix stream connection carrying one JSON
 * object per line in each direction.
 *
 * Replies are read into a buffer that grows as needed, so a reply may
 * arrive in any number of pieces and be as long as the daemon's output
 * bound.  Each read takes as much as the kernel has, and a line is scanned
 * for its newline only once, so streaming a large walk costs one parse per
 * line and no more.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/limits.h"
#include "conn.h"

#define CTL_READ_CHUNK	(64 * 1024)

struct ctl_conn {
	int	 fd;
	char	*path;
	char	*buf;
	size_t	 size;		/* allocated */
	size_t	 start;		/* first byte not yet returned as a line */
	size_t	 scan;		/* bytes from start known to hold no '\n' */
	size_t	 len;		/* bytes held, from 0 */
	ctl_conn_line_cb line_cb;	/* raw lines first, if set */
	void	*line_arg;
};

struct ctl_conn *
ctl_conn_new(const char *path)
{
	struct ctl_conn		*c = NULL;
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "snmpmgrctl: socket path too long: %s\n", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->fd = -1;
	if ((c->path = strdup(path)) == NULL)
		goto nomem;
	c->size = CTL_READ_CHUNK;
	if ((c->buf = malloc(c->size)) == NULL)
		goto nomem;

	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "snmpmgrctl: socket: %s\n", strerror(errno));
		goto fail;
	}
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		fprintf(stderr, "snmpmgrctl: cannot connect to %s: %s "
		    "(is snmpmgrd running? see -s and SNMPMGRD_SOCKET)\n",
		    path, strerror(errno));
		goto fail;
	}
	return c;

nomem:
	fprintf(stderr, "snmpmgrctl: out of memory\n");
fail:
	ctl_conn_free(c);
	return NULL;
}

void
ctl_conn_free(struct ctl_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->path);
	free(c->buf);
	free(c);
}

int
ctl_conn_fd(const struct ctl_conn *c)
{
	return c->fd;
}

int
ctl_conn_send(struct ctl_conn *c, const json_t *msg)
{
	char	*text;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 rv = -1;

	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "snmpmgrctl: cannot encode the request\n");
		return -1;
	}
	len = strlen(text);
	if (len >= SNMPMGR_MAX_CTL_LINE) {
		fprintf(stderr, "snmpmgrctl: request longer than %d bytes\n",
		    SNMPMGR_MAX_CTL_LINE);
		goto done;
	}
	text[len++] = '\n';	/* replaces the NUL; len counts it now */
	while (off < len) {
		/* MSG_NOSIGNAL: a vanished daemon is an error, not SIGPIPE. */
		n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "snmpmgrctl: sending to %s: %s\n",
			    c->path, strerror(errno));
			goto done;
		}
		off += (size_t)n;
	}
	rv = 0;
done:
	free(text);
	return rv;
}

void
ctl_conn_set_line_cb(struct ctl_conn *c, ctl_conn_line_cb cb, void *arg)
{
	c->line_cb = cb;
	c->line_arg = arg;
}

/* Make room for at least CTL_READ_CHUNK more bytes after c->len. */
static int
ctl_conn_grow(struct ctl_conn *c)
{
	char	*p;
	size_t	 nsize;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->start = 0;
	}
	if (c->size - c->len >= CTL_READ_CHUNK)
		return 0;
	if (c->len > SNMPMGR_MAX_CTL_OUTPUT) {
		fprintf(stderr, "snmpmgrctl: reply line from snmpmgrd longer "
		    "than %d bytes\n", SNMPMGR_MAX_CTL_OUTPUT);
		return -1;
	}
	nsize = c->size * 2;
	if ((p = realloc(c->buf, nsize)) == NULL) {
		fprintf(stderr, "snmpmgrctl: out of memory\n");
		return -1;
	}
	c->buf = p;
	c->size = nsize;
	return 0;
}

json_t *
ctl_conn_recv(struct ctl_conn *c)
{
	json_t		*msg;
	json_error_t	 jerr;
	char		*line, *nl;
	size_t		 linelen;
	ssize_t		 n;

	for (;;) {
		nl = memchr(c->buf + c->start + c->scan, '\n',
		    c->len - c->start - c->scan);
		if (nl != NULL) {
			line = c->buf + c->start;
			linelen = (size_t)(nl - line);
			c->start += linelen + 1;
			c->scan = 0;
			if (linelen == 0 || (linelen == 1 && line[0] == '\r'))
				continue;	/* tolerate blank lines */
			if (c->line_cb != NULL &&
			    c->line_cb(line, linelen, c->line_arg))
				continue;
			msg = json_loadb(line, linelen, 0, &jerr);
			if (msg == NULL) {
				fprintf(stderr, "snmpmgrctl: malformed reply "
				    "from snmpmgrd: %s\n", jerr.text);
				return NULL;
			}
			if (!json_is_object(msg)) {
				fprintf(stderr, "snmpmgrctl: malformed reply "
				    "from snmpmgrd: not a JSON object\n");
				json_decref(msg);
				return NULL;
			}
			return msg;
		}
		c->scan = c->len - c->start;
		if (ctl_conn_grow(c) == -1)
			return NULL;
		n = read(c->fd, c->buf + c->len, c->size - c->len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "snmpmgrctl: reading from %s: %s\n",
			    c->path, strerror(errno));
			return NULL;
		}
		if (n == 0) {
			fprintf(stderr, "snmpmgrctl: snmpmgrd closed the "
			    "connection before replying%s\n",
			    c->len > c->start ? " (incomplete line)" : "");
			return NULL;
		}
		c->len += (size_t)n;
	}
}
