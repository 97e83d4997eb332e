/*
 * journal_query.c - the reading side of the trap journal of journal.h:
 * journal_query() scans the files in a thread of its own, oldest file
 * first, and keeps the last `limit` records that pass the filter (time
 * bounds, string fields) in a ring.  Every line is checked to be one whole
 * JSON object without building anything (journal_line_valid), so a torn
 * record or junk is counted as skipped and takes no place under the
 * limit.  The files, rotation and the writer thread are in journal.c;
 * journal_int.h holds what both halves share.
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "journal.h"
#include "journal_int.h"

/* Read size of a query. */
#define JOURNAL_READ_CHUNK	(1024 * 1024)

/* ------------------------------------------------------------ queries */

void
journal_query_free(struct journal_query *q)
{
	size_t	 i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nfiles; i++)
		if (q->fds[i] != -1)
			close(q->fds[i]);
	free(q->fds);
	free(q->limits);
	free(q->rotated);
	if (q->ring != NULL)
		for (i = 0; i < q->f.limit; i++)
			free(q->ring[i]);
	free(q->ring);
	free(q->ringlen);
	for (i = 0; i < q->res.n; i++)
		free(q->res.lines[i]);
	free(q->res.lines);
	free(q->res.lens);
	free(q);
}

void
journal_query_reap(struct journal *j, struct journal_query *q)
{
	pthread_join(q->th, NULL);
	TAILQ_REMOVE(&j->queries, q, entry);
	j->nqueries--;
	if (!atomic_load(&q->cancelled) && q->cb != NULL)
		q->cb(&q->res, q->arg);
	journal_query_free(q);
}

void
journal_query_cancel(struct journal_query *q)
{
	if (q != NULL)
		atomic_store(&q->cancelled, 1);
}

/*
 * The value of a top-level string field: `"key":"` followed by text up to
 * the next quote.  Records put these fields before any nested value, and
 * inside a JSON string every quote is escaped, so the first `"key":"` is
 * the field itself.
 */
static int
journal_field(const char *line, size_t len, const char *key, const char **v,
    size_t *vlen)
{
	char		 pat[48];
	const char	*p, *e;
	int		 n;

	n = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if (n < 0 || (size_t)n >= sizeof(pat))
		return -1;
	if ((p = memmem(line, len, pat, (size_t)n)) == NULL)
		return -1;
	p += n;
	if ((e = memchr(p, '"', len - (size_t)(p - line))) == NULL)
		return -1;
	*v = p;
	*vlen = (size_t)(e - p);
	return 0;
}

static bool
journal_match_one(const struct journal_match *m, const char *v, size_t n)
{
	size_t	 ml = strlen(m->value);

	if (n == ml && memcmp(v, m->value, n) == 0)
		return true;
	return m->mode == JOURNAL_MATCH_OID && n > ml &&
	    memcmp(v, m->value, ml) == 0 && v[ml] == '.';
}

/* Whether the record has m's field, or one of its alternatives, with a
 * value that matches. */
static bool
journal_match_line(const struct journal_match *m, const char *line,
    size_t len)
{
	const char	*v;
	size_t		 vlen, i;

	if (journal_field(line, len, m->key, &v, &vlen) == 0 &&
	    journal_match_one(m, v, vlen))
		return true;
	for (i = 0; i < sizeof(m->alt) / sizeof(m->alt[0]); i++)
		if (m->alt[i][0] != '\0' && journal_field(line, len,
		    m->alt[i], &v, &vlen) == 0 && journal_match_one(m, v, vlen))
			return true;
	return false;
}

/*
 * Whether a line is one whole JSON text (RFC 8259) that is an object, as
 * every record is: a torn record (a prefix of one) or other junk is not,
 * and must neither be returned nor take a place under the limit.  It
 * checks what json_loadb() would reject (structure, escapes, UTF-8, NUL)
 * without building anything, so every line can afford it.
 */
#define JOURNAL_JSON_DEPTH	64

static const char *jv_value(const char *, const char *, int);
static void	 journal_query_wait(struct journal_query *);

static const char *
jv_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static int
jv_hex4(const char *p, const char *e, unsigned *v)
{
	int	 i, c;

	if (e - p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		*v = *v << 4 | (unsigned)c;
	}
	return 0;
}

/* One UTF-8 sequence of more than one octet at p (its lead >= 0x80). */
static const char *
jv_utf8(const char *p, const char *e)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned char	 lo = 0x80, hi = 0xbf;
	int		 n, i;

	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 1;
	else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 2;
		if (u[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (u[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 3;
		if (u[0] == 0xf0)
			lo = 0x90;
		else if (u[0] == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return NULL;
	if (e - p <= n)
		return NULL;
	for (i = 1; i <= n; i++) {
		if (u[i] < (i == 1 ? lo : 0x80) || u[i] > (i == 1 ? hi : 0xbf))
			return NULL;
	}
	return p + n + 1;
}

/* A string, p at its opening quote. */
static const char *
jv_string(const char *p, const char *e)
{
	unsigned	 v, v2;

	for (p++; p < e; ) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if ((unsigned char)*p >= 0x80) {
			if ((p = jv_utf8(p, e)) == NULL)
				return NULL;
			continue;
		}
		if (*p != '\\') {
			p++;
			continue;
		}
		if (++p == e)
			return NULL;
		if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0') {
			p++;
			continue;
		}
		if (*p != 'u' || jv_hex4(p + 1, e, &v) == -1 || v == 0)
			return NULL;
		p += 5;
		if (v >= 0xdc00 && v <= 0xdfff)
			return NULL;
		if (v >= 0xd800 && v <= 0xdbff) {
			/* A high surrogate wants its low one. */
			if (e - p < 2 || p[0] != '\\' || p[1] != 'u' ||
			    jv_hex4(p + 2, e, &v2) == -1 || v2 < 0xdc00 ||
			    v2 > 0xdfff)
				return NULL;
			p += 6;
		}
	}
	return NULL;
}

static const char *
jv_digits(const char *p, const char *e)
{
	const char	*s = p;

	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p == s ? NULL : p;
}

static const char *
jv_number(const char *p, const char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if ((p = jv_digits(p, e)) == NULL)
		return NULL;
	if (p < e && *p == '.' && (p = jv_digits(p + 1, e)) == NULL)
		return NULL;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if ((p = jv_digits(p, e)) == NULL)
			return NULL;
	}
	return p;
}

/* An object or array, p at its opening bracket. */
static const char *
jv_container(const char *p, const char *e, int depth)
{
	char	 close = *p == '{' ? '}' : ']';
	bool	 obj = *p == '{';

	if (depth >= JOURNAL_JSON_DEPTH)
		return NULL;
	p = jv_ws(p + 1, e);
	if (p < e && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (p == e || *p != '"' || (p = jv_string(p, e)) ==
			    NULL)
				return NULL;
			p = jv_ws(p, e);
			if (p == e || *p != ':')
				return NULL;
			p = jv_ws(p + 1, e);
		}
		if ((p = jv_value(p, e, depth + 1)) == NULL)
			return NULL;
		p = jv_ws(p, e);
		if (p == e)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = jv_ws(p + 1, e);
	}
}

static const char *
jv_value(const char *p, const char *e, int depth)
{
	size_t	 n = (size_t)(e - p);

	if (p == e)
		return NULL;
	switch (*p) {
	case '{':
	case '[':
		return jv_container(p, e, depth);
	case '"':
		return jv_string(p, e);
	case 't':
		return n >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return n >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return n >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return jv_number(p, e);
	}
}

static bool
journal_line_valid(const char *line, size_t len)
{
	const char	*e = line + len;
	const char	*p = jv_ws(line, e);

	if (p == e || *p != '{' || (p = jv_container(p, e, 0)) == NULL)
		return false;
	return jv_ws(p, e) == e;
}

/* One line of a file: filter it, keep it in the ring. */
static void
journal_query_line(struct journal_query *q, const char *line, size_t len)
{
	const struct journal_filter *f = &q->f;
	const char	*v;
	size_t		 vlen, i, slot;
	char		*copy;

	if (len == 0)
		return;
	q->res.scanned++;
	/* An invalid line is counted and passed over: it takes no place
	 * under the limit. */
	if (!journal_line_valid(line, len) || journal_field(line, len,
	    "time", &v, &vlen) == -1) {
		q->res.skipped++;
		return;
	}
	if (f->since[0] != '\0' && (vlen < strlen(f->since) ?
	    memcmp(v, f->since, vlen) <= 0 : memcmp(v, f->since,
	    strlen(f->since)) < 0))
		return;
	if (f->until[0] != '\0' && memcmp(v, f->until, vlen <
	    strlen(f->until) ? vlen : strlen(f->until)) > 0)
		return;
	for (i = 0; i < f->nmatch; i++)
		if (!journal_match_line(&f->match[i], line, len))
			return;
	q->res.matched++;
	if ((copy = malloc(len)) == NULL) {
		q->res.error = ENOMEM;
		return;
	}
	memcpy(copy, line, len);
	slot = q->ringhead;
	free(q->ring[slot]);
	q->ring[slot] = copy;
	q->ringlen[slot] = len;
	q->ringhead = (slot + 1) % f->limit;
	if (q->ringn < f->limit)
		q->ringn++;
}

/* Read one file in chunks, line by line. */
static void
journal_query_file(struct journal_query *q, int fd, off_t limit)
{
	char	*buf = NULL, *nb, *p, *nl;
	size_t	 cap = JOURNAL_READ_CHUNK, have = 0, want;
	off_t	 off = 0;
	ssize_t	 r;
	bool	 skipping = false;	/* inside an over-long line */

	if ((buf = malloc(cap)) == NULL) {
		q->res.error = ENOMEM;
		return;
	}
	while (off < limit && !atomic_load(&q->cancelled)) {
		if (have == cap) {
			/* A line longer than the buffer. */
			if (cap >= JOURNAL_MAX_LINE) {
				skipping = true;
				have = 0;
			} else {
				if ((nb = realloc(buf, cap * 2)) == NULL) {
					q->res.error = ENOMEM;
					break;
				}
				buf = nb;
				cap *= 2;
			}
		}
		want = cap - have;
		if ((off_t)want > limit - off)
			want = (size_t)(limit - off);
		r = pread(fd, buf + have, want, off);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			q->res.error = errno;
			break;
		}
		if (r == 0)
			break;
		off += r;
		have += (size_t)r;
		p = buf;
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf))) !=
		    NULL) {
			if (skipping) {
				q->res.skipped++;
				skipping = false;
			} else
				journal_query_line(q, p, (size_t)(nl - p));
			p = nl + 1;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
	}
	/* A last line without newline is being written, or torn: skip. */
	free(buf);
}

static void
journal_query_close(struct journal_query *q)
{
	size_t	 i;

	for (i = 0; i < q->nfiles; i++) {
		if (q->fds[i] != -1)
			close(q->fds[i]);
		q->fds[i] = -1;
	}
}

/*
 * Open PATH.keep (oldest) ... PATH.1, PATH with no rotation in between:
 * the writer's rot_gen is odd while it renames, and changes with each
 * rotation, so a set opened under one even value is consistent.  The
 * current file is read up to what was written then.  0 or errno.
 */
static int
journal_query_open(struct journal_query *q)
{
	struct journal		*j = q->j;
	struct timespec		 pause = { 0, 1000000 };
	struct stat		 sb;
	uint64_t		 gen, gen2, size;
	char			*name;
	size_t			 i;
	int			 err, tries;

	for (tries = 0; tries < 1000; tries++) {
		pthread_mutex_lock(&j->lock);
		gen = j->rot_gen;
		pthread_mutex_unlock(&j->lock);
		if (gen % 2 == 1) {
			nanosleep(&pause, NULL);
			continue;
		}
		for (i = 0; i < q->nfiles; i++) {
			if ((name = journal_name(j, (uint32_t)(q->nfiles - 1 -
			    i))) == NULL)
				return ENOMEM;
			q->fds[i] = open(name, O_RDONLY | O_CLOEXEC);
			err = errno;
			free(name);
			if (q->fds[i] == -1 && err != ENOENT) {
				journal_query_close(q);
				return err;
			}
			q->rotated[i] = i + 1 < q->nfiles;
			if (q->fds[i] != -1 && q->rotated[i] &&
			    fstat(q->fds[i], &sb) == 0)
				q->limits[i] = sb.st_size;
		}
		pthread_mutex_lock(&j->lock);
		gen2 = j->rot_gen;
		size = j->file_size;
		pthread_mutex_unlock(&j->lock);
		if (gen2 == gen) {
			q->limits[q->nfiles - 1] = (off_t)size;
			return 0;
		}
		journal_query_close(q);
	}
	return EAGAIN;
}

static void *
journal_query_main(void *arg)
{
	struct journal_query	*q = arg;
	struct journal		*j = q->j;
	struct journal_result	*res = &q->res;
	struct stat		 sb;
	json_error_t		 jerr;
	json_t			*v;
	size_t			 i, k, slot;

	journal_query_wait(q);
	if ((res->error = journal_query_open(q)) != 0)
		goto done;
	for (i = 0; i < q->nfiles && !atomic_load(&q->cancelled); i++) {
		if (q->fds[i] == -1)
			continue;
		/* A rotated file last written before since holds nothing
		 * newer. */
		if (q->rotated[i] && q->f.since_epoch != 0 &&
		    fstat(q->fds[i], &sb) == 0 &&
		    sb.st_mtime < q->f.since_epoch)
			continue;
		journal_query_file(q, q->fds[i], q->limits[i]);
	}
	if ((res->lines = calloc(q->ringn + 1, sizeof(*res->lines))) ==
	    NULL || (res->lens = calloc(q->ringn + 1,
	    sizeof(*res->lens))) == NULL) {
		res->error = ENOMEM;
		goto done;
	}
	/* Oldest first; check each is a whole JSON object. */
	for (k = 0; k < q->ringn; k++) {
		slot = (q->ringhead + q->f.limit - q->ringn + k) % q->f.limit;
		v = json_loadb(q->ring[slot], q->ringlen[slot],
		    JSON_REJECT_DUPLICATES, &jerr);
		if (v == NULL || !json_is_object(v)) {
			res->skipped++;
			res->matched--;
			json_decref(v);
			continue;
		}
		json_decref(v);
		res->lines[res->n] = q->ring[slot];
		res->lens[res->n++] = q->ringlen[slot];
		q->ring[slot] = NULL;
	}
 done:
	pthread_mutex_lock(&j->lock);
	q->finished = 1;
	journal_signal_loop(j);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/*
 * Query thread: wait until the writer has written what was appended when
 * the query began (it was handed over then), for at most a few seconds
 * (a disk that hangs; the query then sees what is written), and not past
 * a cancel.
 */
static void
journal_query_wait(struct journal_query *q)
{
	struct journal	*j = q->j;
	struct timespec	 ts;
	int		 i;

	pthread_mutex_lock(&j->lock);
	for (i = 0; i < 200 && j->done_seq < q->upto &&
	    !atomic_load(&q->cancelled); i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&j->written, &j->lock, &ts);
	}
	pthread_mutex_unlock(&j->lock);
}

struct journal_query *
journal_query(struct journal *j, const struct journal_filter *f,
    journal_query_cb *cb, void *arg)
{
	struct journal_query	*q;
	size_t			 i, n;
	int			 err;

	if (j->nqueries >= JOURNAL_MAX_QUERIES) {
		errno = EBUSY;
		return NULL;
	}
	if (f->limit == 0 || f->limit > JOURNAL_MAX_LIMIT ||
	    f->nmatch > JOURNAL_MAX_MATCH) {
		errno = EINVAL;
		return NULL;
	}
	/* What was accepted so far goes to the writer; the query waits
	 * until it is written (journal_query_wait), so it sees every record
	 * accepted before it. */
	journal_flush_now(j);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->j = j;
	q->f = *f;
	q->upto = j->appended;
	q->cb = cb;
	q->arg = arg;
	atomic_init(&q->cancelled, 0);
	n = (size_t)j->keep + 1;
	if ((q->fds = calloc(n, sizeof(*q->fds))) == NULL ||
	    (q->limits = calloc(n, sizeof(*q->limits))) == NULL ||
	    (q->rotated = calloc(n, sizeof(*q->rotated))) == NULL ||
	    (q->ring = calloc(f->limit, sizeof(*q->ring))) == NULL ||
	    (q->ringlen = calloc(f->limit, sizeof(*q->ringlen))) == NULL)
		goto fail;
	/* The thread opens the files (journal_query_open). */
	for (i = 0; i < n; i++)
		q->fds[i] = -1;
	q->nfiles = n;
	if ((err = pthread_create(&q->th, NULL, journal_query_main, q)) != 0) {
		errno = err;
		goto fail;
	}
	TAILQ_INSERT_TAIL(&j->queries, q, entry);
	j->nqueries++;
	j->queries_run++;
	return q;
 fail:
	err = errno;
	journal_query_free(q);
	errno = err;
	return NULL;
}
