/*
 * cluster_wire.c - the publishing thread's own NATS connection
 * (cluster_wire.h): NATS's text protocol spoken directly, so that a
 * batch of records is one write and its PubAcks are read by the thread
 * that waits for them, with no libnats message, header, reader, flusher
 * or garbage-collector thread in between.
 */
#include <config.h>		/* autoconf's */

#ifdef HAVE_NATS
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <nats/nats.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cluster_wire.h"
#include "conf.h"

#define NW_LINE_MAX	(64U << 10)	/* a protocol line (INFO), at most */
#define NW_CREDS_MAX	(64U << 10)

/* ------------------------------------------------------ pure parts */

/* The next token of line[*i..n) (blanks between).  Its end found by
 * memchr: a PubAck's subject is ~50 octets, read once per record. */
static bool
nw_tok(const char *line, size_t n, size_t *i, const char **t, size_t *tl)
{
	const char	*sp, *tab, *end = line + n;

	while (*i < n && (line[*i] == ' ' || line[*i] == '\t'))
		(*i)++;
	if (*i >= n)
		return false;
	*t = line + *i;
	if ((sp = memchr(*t, ' ', (size_t)(end - *t))) == NULL)
		sp = end;
	if ((tab = memchr(*t, '\t', (size_t)(sp - *t))) != NULL)
		sp = tab;
	*tl = (size_t)(sp - *t);
	*i = (size_t)(sp - line);
	return true;
}

bool
nw_dec(const char *t, size_t tl, size_t maxd, unsigned long long *v)
{
	size_t	 i;

	if (tl == 0 || tl > maxd || maxd > 19)
		return false;
	for (*v = 0, i = 0; i < tl; i++) {
		if (t[i] < '0' || t[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(t[i] - '0');
	}
	return true;
}

/* A decimal count of at most 10 digits; false when it is not one. */
static bool
nw_count(const char *t, size_t tl, size_t *v)
{
	unsigned long long x;

	if (!nw_dec(t, tl, 10, &x))
		return false;
	*v = (size_t)x;
	return true;
}

/* The first CR LF of buf, or NULL (memchr: memmem's general search
 * cost 400 instructions a PubAck). */
static const char *
nw_eol(const char *buf, size_t len)
{
	const char	*p = buf, *end = buf + len;

	while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (end - p >= 2 && p[1] == '\n')
			return p;
		p++;
	}
	return NULL;
}

ssize_t
nw_parse(const char *buf, size_t len, size_t max, struct nw_frame *f)
{
	const char	*eol, *t[6];
	size_t		 n, i, tl[6], nt, hl = 0, tot, op;
	bool		 msg;

	memset(f, 0, sizeof(*f));
	f->reply = f->subj = f->sid = f->hdr = f->data = "";
	if ((eol = nw_eol(buf, len)) == NULL)
		return len > NW_LINE_MAX ? -1 : 0;
	n = (size_t)(eol - buf);
	for (i = 0, nt = 0; nt < 6 && nw_tok(buf, n, &i, &t[nt], &tl[nt]);)
		nt++;
	if (nt == 0)
		return -1;
	op = tl[0];
#define NW_IS(w) (op == sizeof(w) - 1 && strncasecmp(t[0], w, op) == 0)
	/* Every PubAck is a MSG as the server writes it: that first. */
	msg = op == 3 && memcmp(t[0], "MSG", 3) == 0;
	if (!msg && (NW_IS("PING") || NW_IS("PONG") || NW_IS("+OK"))) {
		f->op = NW_IS("PING") ? NW_PING : NW_IS("PONG") ? NW_PONG :
		    NW_OK;
		return (ssize_t)(n + 2);
	}
	if (!msg && (NW_IS("-ERR") || NW_IS("INFO"))) {
		f->op = NW_IS("-ERR") ? NW_ERR : NW_INFO;
		f->data = t[0] + op;
		while (f->data < eol && (*f->data == ' ' || *f->data == '\t'))
			f->data++;
		f->datalen = (size_t)(eol - f->data);
		return (ssize_t)(n + 2);
	}
	if (msg || NW_IS("MSG")) {
		/* MSG subject sid [reply] bytes */
		if (nt != 4 && nt != 5)
			return -1;
		if (!nw_count(t[nt - 1], tl[nt - 1], &tot))
			return -1;
	} else if (NW_IS("HMSG")) {
		/* HMSG subject sid [reply] header-bytes total-bytes */
		if (nt != 5 && nt != 6)
			return -1;
		if (!nw_count(t[nt - 2], tl[nt - 2], &hl) ||
		    !nw_count(t[nt - 1], tl[nt - 1], &tot) || hl > tot ||
		    hl < 4)
			return -1;
		nt--;
	} else
		return -1;
#undef NW_IS
	if (tot > max)
		return -1;
	if (len - n - 2 < tot + 2)
		return 0;
	if (memcmp(eol + 2 + tot, "\r\n", 2) != 0)
		return -1;
	f->op = NW_MSG;
	f->subj = t[1];
	f->subjlen = tl[1];
	f->sid = t[2];
	f->sidlen = tl[2];
	if (nt == 5) {
		f->reply = t[3];
		f->replylen = tl[3];
	}
	f->hdr = eol + 2;
	f->hdrlen = hl;
	f->data = eol + 2 + hl;
	f->datalen = tot - hl;
	return (ssize_t)(n + 2 + tot + 2);
}

int
nw_put(struct nw_buf *b, const char *s, size_t len)
{
	char	*p;
	size_t	 cap;

	if (b->len + len > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->len + len; cap *= 2)
			;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	return 0;
}

/* The decimal digits of v into p (room for 20); their count.  Two
 * digits a division, from the last back (several times a record). */
size_t
nw_utoa(char *p, unsigned long long v)
{
	char		 t[20], *q = t + sizeof(t);
	unsigned	 r;
	size_t		 n;

	while (v >= 100) {
		r = (unsigned)(v % 100);
		v /= 100;
		*--q = (char)('0' + r % 10);
		*--q = (char)('0' + r / 10);
	}
	if (v >= 10) {
		*--q = (char)('0' + v % 10);
		v /= 10;
	}
	*--q = (char)('0' + v);
	n = (size_t)(t + sizeof(t) - q);
	memcpy(p, q, n);
	return n;
}

int
nw_hpub(struct nw_buf *b, const char *subj, const char *reply,
    const char *id, const char *data, size_t len, size_t max)
{
	return nw_hpubn(b, subj, strlen(subj), reply, strlen(reply), id,
	    strlen(id), data, len, max);
}

int
nw_hpubn(struct nw_buf *b, const char *subj, size_t ls, const char *reply,
    size_t lr, const char *id, size_t li, const char *data, size_t len,
    size_t max)
{
	static const char h0[] = "NATS/1.0\r\nNats-Msg-Id: ", h1[] =
	    "\r\n\r\n";
	size_t	 hl, need, cap;
	char	*p;

	/* HPUB subj reply hl hl+len\r\n header data\r\n, written by hand:
	 * this runs once per record. */
	hl = sizeof(h0) - 1 + li + sizeof(h1) - 1;
	if (hl >= 256)
		return -1;
	if (max > 0 && hl + len > max)
		return -2;
	need = 5 + ls + 1 + lr + 1 + 20 + 1 + 20 + 2 + hl + len + 2;
	if (b->len + need > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->len + need;
		    cap *= 2)
			;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	p = b->p + b->len;
	memcpy(p, "HPUB ", 5);
	p += 5;
	memcpy(p, subj, ls);
	p += ls;
	*p++ = ' ';
	memcpy(p, reply, lr);
	p += lr;
	*p++ = ' ';
	p += nw_utoa(p, hl);
	*p++ = ' ';
	p += nw_utoa(p, hl + len);
	*p++ = '\r';
	*p++ = '\n';
	memcpy(p, h0, sizeof(h0) - 1);
	p += sizeof(h0) - 1;
	memcpy(p, id, li);
	p += li;
	memcpy(p, h1, sizeof(h1) - 1);
	p += sizeof(h1) - 1;
	memcpy(p, data, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	b->len = (size_t)(p - b->p);
	return 0;
}

/* Past JSON white space at *i of p[0..n). */
static void
nw_ws(const char *p, size_t n, size_t *i)
{
	while (*i < n && (p[*i] == ' ' || p[*i] == '\t' || p[*i] == '\n' ||
	    p[*i] == '\r'))
		(*i)++;
}

/* A JSON string at *i (its escapes checked, not decoded): its content
 * in *s and *sl; false when it is not one. */
static bool
nw_jstr(const char *p, size_t n, size_t *i, const char **s, size_t *sl)
{
	size_t		 k, j = *i;	/* j in a register: this runs for
					 * every PubAck's members */
	unsigned char	 c;

	if (j >= n || p[j] != '"')
		return false;
	*s = p + ++j;
	while (j < n && p[j] != '"') {
		c = (unsigned char)p[j];
		if (c < 0x20)
			return false;
		if (c != '\\') {
			j++;
			continue;
		}
		if (++j >= n)
			return false;
		c = (unsigned char)p[j];
		if (c == 'u') {
			for (k = 1; k <= 4; k++)
				if (j + k >= n || !isxdigit((unsigned char)
				    p[j + k]))
					return false;
			j += 5;
		} else if (c != '\0' && strchr("\"\\/bfnrt", c) != NULL)
			j++;
		else
			return false;
	}
	if (j >= n)
		return false;
	*sl = (size_t)(p + j - *s);
	*i = j + 1;
	return true;
}

/* Skip one JSON value at *i (nested at most 8 deep): a member of a
 * PubAck we do not read.  False when it is not one. */
static bool
nw_jskip(const char *p, size_t n, size_t *i, unsigned depth)
{
	const char	*s;
	size_t		 sl, d;
	char		 close;

	if (*i >= n)
		return false;
	if (p[*i] == '"')
		return nw_jstr(p, n, i, &s, &sl);
	if (p[*i] == '{' || p[*i] == '[') {
		if (depth >= 8)
			return false;
		close = p[(*i)++] == '{' ? '}' : ']';
		nw_ws(p, n, i);
		if (*i < n && p[*i] == close) {
			(*i)++;
			return true;
		}
		for (;;) {
			if (close == '}') {
				if (!nw_jstr(p, n, i, &s, &sl))
					return false;
				nw_ws(p, n, i);
				if (*i >= n || p[(*i)++] != ':')
					return false;
				nw_ws(p, n, i);
			}
			if (!nw_jskip(p, n, i, depth + 1))
				return false;
			nw_ws(p, n, i);
			if (*i >= n)
				return false;
			if (p[*i] == close) {
				(*i)++;
				return true;
			}
			if (p[(*i)++] != ',')
				return false;
			nw_ws(p, n, i);
		}
	}
	if (n - *i >= 4 && (memcmp(p + *i, "true", 4) == 0 ||
	    memcmp(p + *i, "null", 4) == 0)) {
		*i += 4;
		return true;
	}
	if (n - *i >= 5 && memcmp(p + *i, "false", 5) == 0) {
		*i += 5;
		return true;
	}
	/* A number, loosely: what follows is checked by the caller. */
	for (d = 0; *i < n && strchr("-+.eE0123456789", p[*i]) != NULL &&
	    p[*i] != '\0'; (*i)++, d++)
		;
	return d > 0;
}

/*
 * The form every PubAck of ours has, {"stream":"S", "seq":N} (as
 * nats-server writes it, blanks after the comma or none), S of letters,
 * digits, '_' and '-', N of at most 19 digits (no overflow): read
 * straight, 0 as nw_puback_parse() would; 1 when p is of another form
 * (the general parser then decides).  Runs once per record.
 */
static int
nw_puback_common(const char *p, size_t n, struct nw_puback *a)
{
	static const char h[] = "{\"stream\":\"", m[] = "\"seq\":";
	size_t			 i = sizeof(h) - 1, j, d;
	unsigned long long	 x;
	char			 c;

	if (n < i || memcmp(p, h, i) != 0)
		return 1;
	for (j = i; j < n; j++) {
		c = p[j];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			break;
	}
	if (j == i || n - j < 2 || p[j] != '"' || p[j + 1] != ',')
		return 1;
	a->stream = p + i;
	a->streamlen = j - i;
	for (i = j + 2; i < n && p[i] == ' '; i++)
		;
	if (n - i < sizeof(m) - 1 || memcmp(p + i, m, sizeof(m) - 1) != 0)
		return 1;
	for (i += sizeof(m) - 1, x = 0, d = 0; i < n && p[i] >= '0' &&
	    p[i] <= '9'; i++, d++) {
		if (d == 19)
			return 1;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	if (d == 0 || (d > 1 && p[i - d] == '0') || i + 1 != n ||
	    p[i] != '}')
		return 1;
	a->seq = x;
	return 0;
}

int
nw_puback_parse(const char *p, size_t n, struct nw_puback *a)
{
	const char		*k, *v;
	size_t			 i = 0, kl, vl, d;
	unsigned		 seen = 0, bit;
	unsigned long long	 x;

	memset(a, 0, sizeof(*a));
	if (nw_puback_common(p, n, a) == 0)
		return 0;
	memset(a, 0, sizeof(*a));
	nw_ws(p, n, &i);
	if (i >= n || p[i++] != '{')
		return -1;
	for (;;) {
		nw_ws(p, n, &i);
		if (!nw_jstr(p, n, &i, &k, &kl))
			return -1;
		nw_ws(p, n, &i);
		if (i >= n || p[i++] != ':')
			return -1;
		nw_ws(p, n, &i);
#define NW_KEY(w) (kl == sizeof(w) - 1 && memcmp(k, w, kl) == 0)
		if (NW_KEY("stream") || NW_KEY("domain")) {
			bit = NW_KEY("stream") ? 1 : 2;
			if (!nw_jstr(p, n, &i, &v, &vl))
				return -1;
			if (bit == 1) {
				a->stream = v;
				a->streamlen = vl;
			}
		} else if (NW_KEY("seq")) {
			bit = 4;
			/* Digits only: no sign, fraction, exponent or
			 * leading zero, nothing beyond 64 bits. */
			for (x = 0, d = 0; i < n && p[i] >= '0' && p[i] <= '9';
			    i++, d++) {
				if (x > (ULLONG_MAX - (unsigned)(p[i] - '0')) /
				    10)
					return -1;
				x = x * 10 + (unsigned)(p[i] - '0');
			}
			if (d == 0 || (d > 1 && p[i - d] == '0'))
				return -1;
			a->seq = x;
		} else if (NW_KEY("duplicate")) {
			bit = 8;
			if (n - i >= 4 && memcmp(p + i, "true", 4) == 0) {
				a->duplicate = true;
				i += 4;
			} else if (n - i >= 5 && memcmp(p + i, "false", 5) == 0)
				i += 5;
			else
				return -1;
		} else if (NW_KEY("error"))
			return -1;
		else {
			/* A member a later server may add ("batch", "val",
			 * ...): skipped, so an upgrade of nats-server does
			 * not make every PubAck an error. */
			if (!nw_jskip(p, n, &i, 0))
				return -1;
			bit = 0;
		}
#undef NW_KEY
		if (seen & bit)
			return -1;
		seen |= bit;
		nw_ws(p, n, &i);
		if (i >= n)
			return -1;
		if (p[i] == '}')
			break;
		if (p[i++] != ',')
			return -1;
	}
	i++;
	nw_ws(p, n, &i);
	if (i != n || (seen & 5) != 5 || a->streamlen == 0)
		return -1;
	return 0;
}

bool
nw_ack_ok(const struct nw_frame *f)
{
	struct nw_puback a;

	/* A status line ("NATS/1.0 503") is no PubAck: no responders. */
	if (f->op != NW_MSG || (f->hdrlen > 8 && f->hdr[8] == ' '))
		return false;
	return nw_puback_parse(f->data, f->datalen, &a) == 0;
}

/* The first non-blank line after the line holding mark, trimmed. */
static char *
nw_after(const char *text, const char *mark)
{
	const char	*p, *e;

	if ((p = strstr(text, mark)) == NULL || (p = strchr(p, '\n')) == NULL)
		return NULL;
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			return NULL;
		e = p + strcspn(p, "\r\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > p)
			return strndup(p, (size_t)(e - p));
	}
}

int
nw_creds_parse(const char *text, char **jwt, char **seed)
{
	*jwt = nw_after(text, "BEGIN NATS USER JWT");
	*seed = nw_after(text, "BEGIN USER NKEY SEED");
	if (*jwt != NULL && *seed != NULL && **jwt != '-' && **seed != '-')
		return 0;
	free(*jwt);
	if (*seed != NULL) {
		OPENSSL_cleanse(*seed, strlen(*seed));
		free(*seed);
	}
	*jwt = *seed = NULL;
	return -1;
}

/* ------------------------------------------------------ the socket */

struct nwire {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	char		*in;		/* what was read, not yet taken */
	size_t		 inoff, inlen, incap;
	size_t		 max;		/* max_payload */
	int		 timeout_ms;
};

static int64_t
nw_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
nw_write(struct nwire *w, const char *buf, size_t len)
{
	ssize_t	 k;
	int	 r;

	while (len > 0) {
		if (w->ssl != NULL) {
			r = SSL_write(w->ssl, buf, len > (1U << 30) ? 1 << 30 :
			    (int)len);
			if (r <= 0)
				return -1;
			k = r;
		} else if ((k = send(w->fd, buf, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Read what comes within ms into the buffer: 1, 0 (nothing in time) or
 * -1 (lost). */
static int
nw_fill(struct nwire *w, int ms)
{
	struct pollfd	 pfd;
	size_t		 cap;
	ssize_t		 k;
	char		*p;
	int		 r;

	if (w->inoff > 0) {
		memmove(w->in, w->in + w->inoff, w->inlen - w->inoff);
		w->inlen -= w->inoff;
		w->inoff = 0;
	}
	if (w->inlen == w->incap) {
		cap = w->incap * 2;
		if (cap > w->max + NW_LINE_MAX * 2 || (p = realloc(w->in,
		    cap)) == NULL)
			return -1;
		w->in = p;
		w->incap = cap;
	}
	if (w->ssl == NULL) {
		/* What came already is read without a poll first: the
		 * PubAcks of a batch are usually there by the time they are
		 * read (one system call instead of two). */
		do
			k = recv(w->fd, w->in + w->inlen, w->incap - w->inlen,
			    MSG_DONTWAIT);
		while (k < 0 && errno == EINTR);
		if (k > 0) {
			w->inlen += (size_t)k;
			return 1;
		}
		if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		if (ms == 0)
			return 0;
	}
	if (w->ssl == NULL || SSL_pending(w->ssl) == 0) {
		pfd.fd = w->fd;
		pfd.events = POLLIN;
		do
			r = poll(&pfd, 1, ms);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
	if (w->ssl != NULL) {
		r = SSL_read(w->ssl, w->in + w->inlen, (int)(w->incap -
		    w->inlen));
		if (r <= 0) {
			r = SSL_get_error(w->ssl, r);
			return r == SSL_ERROR_WANT_READ ? 0 : -1;
		}
		k = r;
	} else {
		do
			k = recv(w->fd, w->in + w->inlen, w->incap - w->inlen,
			    0);
		while (k < 0 && errno == EINTR);
		if (k <= 0)
			return -1;
	}
	w->inlen += (size_t)k;
	return 1;
}

/* The next operation of any kind within ms: 1, 0 or -1 as nw_next. */
static int
nw_frame(struct nwire *w, struct nw_frame *f, int ms)
{
	int64_t		 end = ms > 0 ? nw_ms() + ms : 0, now;
	ssize_t		 k;
	int		 r;

	for (;;) {
		k = nw_parse(w->in + w->inoff, w->inlen - w->inoff, w->max, f);
		if (k < 0)
			return -1;
		if (k > 0) {
			w->inoff += (size_t)k;
			return 1;
		}
		if (ms < 0)
			return 0;	/* what was read only */
		/* The clock only when there is time to wait (a frame that
		 * was read already takes none: that is most PubAcks). */
		now = ms > 0 ? nw_ms() : 0;
		if ((r = nw_fill(w, now >= end ? 0 : (int)(end - now))) <= 0)
			return r;
	}
}

int
nw_next(struct nwire *w, struct nw_frame *f, int ms)
{
	int64_t		 end = ms > 0 ? nw_ms() + ms : 0, now;
	int		 r;

	for (;;) {
		now = ms > 0 ? nw_ms() : 0;
		r = nw_frame(w, f, ms < 0 ? -1 : now >= end ? 0 :
		    (int)(end - now));
		if (r <= 0)
			return r;
		if (f->op == NW_MSG || f->op == NW_ERR)
			return 1;
		if (f->op == NW_PING && nw_write(w, "PONG\r\n", 6) == -1)
			return -1;
	}
}

int
nw_sub(struct nwire *w, const char *subj, const char *sid)
{
	char	 line[300];
	int	 n;

	n = snprintf(line, sizeof(line), "SUB %s %s\r\n", subj, sid);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return nw_write(w, line, (size_t)n);
}

size_t
nw_max_payload(const struct nwire *w)
{
	return w != NULL ? w->max : 0;
}

void
nw_close(struct nwire *w)
{
	if (w == NULL)
		return;
	if (w->ssl != NULL) {
		(void)SSL_shutdown(w->ssl);
		SSL_free(w->ssl);
	}
	SSL_CTX_free(w->ctx);
	if (w->fd >= 0)
		close(w->fd);
	free(w->in);
	free(w);
}

/* A TCP connection to a numeric address within ms, or -1: never a
 * name lookup, whose time no one bounds. */
static int
nw_tcp(const char *addr, const char *port, int ms)
{
	struct addrinfo	 hints, *res, *ai;
	struct pollfd	 pfd;
	struct timeval	 tv;
	socklen_t	 sl;
	int		 fd = -1, one = 1, err, fl;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(addr, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0)
			continue;
		fl = fcntl(fd, F_GETFL);
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			err = errno;
			if (err == EINPROGRESS) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				sl = sizeof(err);
				if (poll(&pfd, 1, ms) != 1 || getsockopt(fd,
				    SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
					err = ETIMEDOUT;
			}
		}
		if (err == 0) {
			(void)fcntl(fd, F_SETFL, fl);
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			/* A write the server does not take in time fails. */
			tv.tv_sec = ms / 1000;
			tv.tv_usec = (ms % 1000) * 1000;
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			    sizeof(tv));
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* TLS over w->fd, verifying the server against ca (or the system's). */
static int
nw_tls(struct nwire *w, const struct nw_opts *o, const char *host,
    char *err, size_t errlen)
{
	X509_VERIFY_PARAM *vp;
	struct in6_addr	 a6;
	struct in_addr	 a4;
	struct timeval	 tv;

	tv.tv_sec = o->timeout_ms / 1000;
	tv.tv_usec = (o->timeout_ms % 1000) * 1000;
	(void)setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((w->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	(void)SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION);
	if ((o->ca != NULL ? SSL_CTX_load_verify_locations(w->ctx, o->ca,
	    NULL) : SSL_CTX_set_default_verify_paths(w->ctx)) != 1)
		goto fail;
	if (o->cert != NULL && (SSL_CTX_use_certificate_chain_file(w->ctx,
	    o->cert) != 1 || SSL_CTX_use_PrivateKey_file(w->ctx, o->key,
	    SSL_FILETYPE_PEM) != 1))
		goto fail;
	SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
	if ((w->ssl = SSL_new(w->ctx)) == NULL ||
	    SSL_set_fd(w->ssl, w->fd) != 1)
		goto fail;
	vp = SSL_get0_param(w->ssl);
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(w->ssl, host) != 1 ||
	    SSL_set1_host(w->ssl, host) != 1)
		goto fail;
	/* The receive timeout stays: a record the server began and does
	 * not finish fails a read after it instead of hanging it. */
	if (SSL_connect(w->ssl) != 1)
		goto fail;
	return 0;
 fail:
	snprintf(err, errlen, "TLS: %s", ERR_reason_error_string(
	    ERR_peek_last_error()) != NULL ? ERR_reason_error_string(
	    ERR_peek_last_error()) : "handshake failed");
	ERR_clear_error();
	return -1;
}

/* Base64 without padding, URL alphabet (a signature for CONNECT). */
static char *
nw_b64url(const unsigned char *p, int len)
{
	char	*s;
	int	 n, i;

	if ((s = malloc((size_t)(4 * ((len + 2) / 3) + 1))) == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)s, p, len);
	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	for (i = 0; i < n; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return s;
}

/* CONNECT's user and password or JWT and signature of nonce. */
static int
nw_auth(json_t *c, const struct nw_opts *o, const char *nonce, char *err,
    size_t errlen)
{
	unsigned char	*sig = NULL;
	char		*text, *jwt = NULL, *seed = NULL, *s64 = NULL;
	FILE		*fp;
	size_t		 n;
	int		 siglen = 0, rc = -1;

	if (o->user != NULL) {
		json_object_set_new(c, "user", json_string(o->user));
		json_object_set_new(c, "pass", json_string(o->password ?
		    o->password : ""));
	}
	if (o->creds == NULL)
		return 0;
	if ((text = calloc(1, NW_CREDS_MAX + 1)) == NULL)
		return -1;
	if ((fp = fopen(o->creds, "re")) == NULL) {
		snprintf(err, errlen, "cannot read the creds file");
		free(text);
		return -1;
	}
	n = fread(text, 1, NW_CREDS_MAX, fp);
	fclose(fp);
	if (nw_creds_parse(text, &jwt, &seed) == -1)
		snprintf(err, errlen, "no user JWT and seed in the creds file");
	else if (nonce == NULL)
		snprintf(err, errlen, "the server sent no nonce to sign");
	else if (nats_Sign(seed, nonce, &sig, &siglen) != NATS_OK ||
	    (s64 = nw_b64url(sig, siglen)) == NULL)
		snprintf(err, errlen, "cannot sign with the creds file's seed");
	else {
		json_object_set_new(c, "jwt", json_string(jwt));
		json_object_set_new(c, "sig", json_string(s64));
		rc = 0;
	}
	OPENSSL_cleanse(text, n);
	free(text);
	if (seed != NULL) {
		OPENSSL_cleanse(seed, strlen(seed));
		free(seed);
	}
	free(jwt);
	free(sig);
	free(s64);
	return rc;
}

/* Read INFO, upgrade to TLS, CONNECT, PING and wait for the PONG. */
static int
nw_hello(struct nwire *w, const struct nw_opts *o, const char *host,
    bool tls, char *err, size_t errlen)
{
	struct nw_frame	 f;
	json_t		*info = NULL, *c = NULL;
	json_error_t	 je;
	const char	*nonce = NULL;
	json_int_t	 maxp = 0;
	int		 hdrs = 0, treq = 0, rc = -1;
	char		*text = NULL;

	if (nw_frame(w, &f, o->timeout_ms) != 1 || f.op != NW_INFO ||
	    (info = json_loadb(f.data, f.datalen, 0, &je)) == NULL) {
		snprintf(err, errlen, "no INFO from the server");
		return -1;
	}
	(void)json_unpack(info, "{s?b,s?b,s?I,s?s}", "headers", &hdrs,
	    "tls_required", &treq, "max_payload", &maxp, "nonce", &nonce);
	if (!hdrs) {
		snprintf(err, errlen, "the server does not take headers");
		goto out;
	}
	if (maxp > 0)
		w->max = (size_t)maxp;
	if ((tls || treq || o->ca != NULL || o->cert != NULL) &&
	    nw_tls(w, o, host, err, errlen) == -1)
		goto out;
	c = json_pack("{s:b,s:b,s:b,s:s,s:s,s:s,s:i,s:b,s:b}", "verbose", 0,
	    "pedantic", 0, "tls_required", w->ssl != NULL, "name", o->name,
	    "lang", "C", "version", PACKAGE_VERSION, "protocol", 1, "headers",
	    1, "no_responders", 1);
	if (c == NULL || nw_auth(c, o, nonce, err, errlen) == -1)
		goto out;
	if ((text = json_dumps(c, JSON_COMPACT)) == NULL)
		goto out;
	if (nw_write(w, "CONNECT ", 8) == -1 ||
	    nw_write(w, text, strlen(text)) == -1 ||
	    nw_write(w, "\r\nPING\r\n", 8) == -1) {
		snprintf(err, errlen, "connection lost while connecting");
		goto out;
	}
	for (;;) {
		if (nw_frame(w, &f, o->timeout_ms) != 1) {
			snprintf(err, errlen, "no PONG from the server");
			break;
		}
		if (f.op == NW_PONG) {
			rc = 0;
			break;
		}
		if (f.op == NW_ERR) {
			/* The server's words, e.g. 'Authorization
			 * Violation': never a secret of ours. */
			snprintf(err, errlen, "the server said %.*s",
			    (int)(f.datalen > 200 ? 200 : f.datalen), f.data);
			break;
		}
	}
 out:
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	/* Its strings are copies of ours, the password among them. */
	if (c != NULL)
		config_json_wipe_string(json_object_get(c, "pass"));
	json_decref(c);
	json_decref(info);
	return rc;
}

struct nwire *
nw_connect(const struct nw_opts *o, int *next, char *err, size_t errlen)
{
	const struct nw_server *sv;
	struct nwire	*w;
	int		 i, k;

	snprintf(err, errlen, "no server address");
	for (i = 0; i < o->nservers; i++) {
		k = (*next + i) % o->nservers;
		sv = &o->servers[k];
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return NULL;
		w->timeout_ms = o->timeout_ms;
		w->max = 1U << 20;
		w->incap = 64U << 10;
		if ((w->in = malloc(w->incap)) == NULL) {
			free(w);
			return NULL;
		}
		if ((w->fd = nw_tcp(sv->addr, sv->port, o->timeout_ms)) < 0)
			snprintf(err, errlen, "cannot connect to %s port %s",
			    sv->addr, sv->port);
		else if (nw_hello(w, o, sv->name, sv->tls, err, errlen) == 0) {
			*next = k;	/* the same first, next time */
			return w;
		}
		nw_close(w);
	}
	*next = (*next + 1) % (o->nservers > 0 ? o->nservers : 1);
	return NULL;
}
#endif /* HAVE_NATS */
