/*
 * journal.c - the trap journal of journal.h: batched appends handed to a
 * writer thread, size-bound rotation, fsync policies with group commit,
 * and queries that scan the files in threads of their own.
 *
 * Threads.  The event loop appends records to its batch (`fill`) and, at
 * journal_flush(), hands them over: the batch joins `pend` under the lock
 * (a pointer swap when the writer has caught up).  The writer thread takes
 * all of `pend` at once, writes it, rotating at the record boundaries the
 * loop marked, syncs as the policy says, then publishes how far records
 * are settled (and any failed range) and wakes the loop through an
 * eventfd; the loop calls the settle callback.  So write(2), rename(2) and
 * fdatasync(2) never run on the loop, and while the writer is busy the
 * next batches simply gather in `pend`: one write and one sync cover them
 * all.  The writer owns the journal's descriptor; the loop keeps its own
 * idea of the current file's size (`proj`) only to decide where rotations
 * fall.  Each query thread reads descriptors opened for it, under the
 * lock, when it starts, so a rotation cannot slip between its opens.
 * Nothing on the loop waits for a thread except at shutdown; the lock is
 * never held across a system call that touches the disk, except for the
 * renames and open of a rotation (for queries' sake).
 */
#include <config.h>		/* autoconf's */

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "journal.h"
#include "log.h"
#include "render.h"

/* Read size of a query. */
#define JOURNAL_READ_CHUNK	(1024 * 1024)

struct journal_query {
	TAILQ_ENTRY(journal_query) entry;
	struct journal		*j;
	pthread_t		 th;
	atomic_int		 cancelled;
	int			 finished;	/* under j->lock */

	struct journal_filter	 f;
	int			*fds;		/* oldest file first */
	off_t			*limits;	/* bytes to read of each */
	bool			*rotated;
	size_t			 nfiles;

	journal_query_cb	*cb;
	void			*arg;
	struct journal_result	 res;

	/* The last f.limit matches, a ring. */
	char			**ring;
	size_t			*ringlen;
	size_t			 ringhead;	/* next slot to fill */
	size_t			 ringn;
};

/* A batch of records with the offsets where a rotation comes first. */
struct jbatch {
	struct render_buf	 b;
	size_t			*rot;
	size_t			 nrot;
	size_t			 rotcap;
	uint64_t		 records;
};

struct journal {
	struct event_base	*base;
	char			*path;
	uint64_t		 max_size;
	uint32_t		 keep;
	enum journal_fsync	 policy;
	uint32_t		 interval_ms;

	journal_settled_cb	*cb;
	void			*cbarg;

	/* Loop side. */
	struct jbatch		 fill;
	uint64_t		 proj;		/* current file, as appended */
	uint64_t		 appended;	/* sequence numbers */
	uint64_t		 settled;
	uint64_t		 records;
	uint64_t		 refused;
	uint64_t		 queries_run;
	atomic_size_t		 backlog;	/* handed over, not written */
	struct event		*ev_wake;
	int			 efd;
	struct log_repeat	 rep_write;
	struct log_repeat	 rep_sync;
	struct log_repeat	 rep_full;

	/* Shared with the writer, under lock. */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	bool			 have_writer;
	pthread_t		 writer;
	bool			 stop;
	struct jbatch		 pend;
	uint64_t		 pend_seq;	/* sequence at pend's end */
	uint64_t		 done_seq;	/* settled by the writer */
	struct journal_range	*failed;	/* not yet told to the loop */
	size_t			 nfailed;
	size_t			 failcap;
	int			 write_err;	/* errno, for the log */
	int			 sync_err;
	uint64_t		 file_size;	/* of the current file */
	uint64_t		 bytes;
	uint64_t		 rotations;
	uint64_t		 syncs;
	uint64_t		 write_errors;
	uint64_t		 sync_errors;
	uint64_t		 records_failed;
	uint64_t		 rot_gen;	/* odd: a rotation is on */
	TAILQ_HEAD(, journal_query) queries;
	size_t			 nqueries;

	/* Writer side. */
	int			 fd;		/* -1 after a failed reopen */
	bool			 torn;		/* the file ends mid-line */
	struct jbatch		 work;
};

static void	journal_wake_cb(evutil_socket_t, short, void *);
static int	journal_write_all(int, const char *, size_t, size_t *);
static void	journal_query_reap(struct journal *, struct journal_query *);
static void	journal_query_free(struct journal_query *);

static const char *const fsync_names[] = {
	[JOURNAL_FSYNC_NONE] = "none",
	[JOURNAL_FSYNC_INTERVAL] = "interval",
	[JOURNAL_FSYNC_ALWAYS] = "always",
};

int
journal_fsync_from_name(const char *s, enum journal_fsync *f)
{
	size_t	 i;

	for (i = 0; i < sizeof(fsync_names) / sizeof(fsync_names[0]); i++)
		if (strcmp(s, fsync_names[i]) == 0) {
			*f = (enum journal_fsync)i;
			return 0;
		}
	return -1;
}

const char *
journal_fsync_name(enum journal_fsync f)
{
	if ((unsigned)f >= sizeof(fsync_names) / sizeof(fsync_names[0]))
		return "unknown";
	return fsync_names[f];
}

void
journal_format_time(const struct timespec *ts, char *buf)
{
	/* The date part changes once a second: keep the last one. */
	static __thread time_t	 last = (time_t)-1;
	static __thread char	 head[24];
	struct tm		 tm;
	long			 us;
	int			 i;

	if (ts->tv_sec != last) {
		gmtime_r(&ts->tv_sec, &tm);
		if (strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S.",
		    &tm) != 20)
			memcpy(head, "0000-00-00T00:00:00.", 20);
		last = ts->tv_sec;
	}
	memcpy(buf, head, 20);
	us = ts->tv_nsec / 1000;
	for (i = 25; i >= 20; i--) {
		buf[i] = (char)('0' + us % 10);
		us /= 10;
	}
	buf[26] = 'Z';
	buf[27] = '\0';
}

/* ------------------------------------------------------------ batches */

static void
jbatch_init(struct jbatch *jb)
{
	memset(jb, 0, sizeof(*jb));
	render_buf_init(&jb->b);
}

static void
jbatch_free(struct jbatch *jb)
{
	render_buf_free(&jb->b);
	free(jb->rot);
	jbatch_init(jb);
}

static void
jbatch_reset(struct jbatch *jb)
{
	render_buf_reset(&jb->b);
	jb->nrot = 0;
	jb->records = 0;
}

static int
jbatch_mark(struct jbatch *jb, size_t off)
{
	size_t	*nr, ncap;

	if (jb->nrot == jb->rotcap) {
		ncap = jb->rotcap ? jb->rotcap * 2 : 8;
		if ((nr = reallocarray(jb->rot, ncap, sizeof(*nr))) == NULL)
			return -1;
		jb->rot = nr;
		jb->rotcap = ncap;
	}
	jb->rot[jb->nrot++] = off;
	return 0;
}

/* Append src to dst (both under the caller's control). */
static int
jbatch_join(struct jbatch *dst, const struct jbatch *src)
{
	size_t	 base = dst->b.len, i;

	if (render_reserve(&dst->b, src->b.len) == -1) {
		dst->b.failed = false;
		return -1;
	}
	for (i = 0; i < src->nrot; i++)
		if (jbatch_mark(dst, base + src->rot[i]) == -1)
			return -1;
	memcpy(dst->b.p + base, src->b.p, src->b.len);
	dst->b.len += src->b.len;
	dst->records += src->records;
	return 0;
}

static void
jbatch_swap(struct jbatch *a, struct jbatch *b)
{
	struct jbatch	 t = *a;

	*a = *b;
	*b = t;
}

/* ------------------------------------------------------------ files */

/* PATH or PATH.n; under the lock, as journal_reconfigure() may move
 * PATH while a query opens files. */
static char *
journal_name(const struct journal *j, uint32_t n)
{
	pthread_mutex_t	*lock = (pthread_mutex_t *)&j->lock;
	char		*s;

	pthread_mutex_lock(lock);
	if (n == 0)
		s = strdup(j->path);
	else if (asprintf(&s, "%s.%u", j->path, n) == -1)
		s = NULL;
	pthread_mutex_unlock(lock);
	return s;
}

/* Create the journal's directory when it is missing (one level). */
static void
journal_mkdir(const char *path)
{
	char	*dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == -1 && errno != EEXIST)
			log_warn("journal: mkdir %s", dir);
	}
	free(dir);
}

/* Offset just past the last newline in the first size octets of fd, 0
 * when there is none; -1 (errno) on a read error. */
static off_t
journal_last_newline(int fd, off_t size)
{
	char	 buf[64 * 1024];
	char	*nl;
	off_t	 off = size;
	size_t	 want;
	ssize_t	 r;

	while (off > 0) {
		want = off < (off_t)sizeof(buf) ? (size_t)off : sizeof(buf);
		off -= (off_t)want;
		if ((r = pread(fd, buf, want, off)) != (ssize_t)want) {
			if (r >= 0)
				errno = EIO;
			return -1;
		}
		if ((nl = memrchr(buf, '\n', want)) != NULL)
			return off + (nl - buf) + 1;
	}
	return 0;
}

/* Copy octets [from, to) of rfd into a new file fd; 0 or -1 (errno). */
static int
journal_copy_range(int rfd, off_t from, off_t to, int fd)
{
	char	 buf[64 * 1024];
	size_t	 want, done;
	ssize_t	 r;

	while (from < to) {
		want = to - from < (off_t)sizeof(buf) ? (size_t)(to - from) :
		    sizeof(buf);
		if ((r = pread(rfd, buf, want, from)) <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		if (journal_write_all(fd, buf, (size_t)r, &done) == -1)
			return -1;
		from += r;
	}
	return fsync(fd);
}

/*
 * The file ends in the middle of a line (a record cut short by a crash or
 * kill -9): move that tail into PATH.torn-TIME (nothing is lost, and it
 * is synced before the journal is cut) and truncate the journal after its
 * last whole line, so the torn record is no line of the journal.  The new
 * size, or -1 when the tail stays (the file is then ended with a newline
 * before the next record, as before).
 */
static off_t
journal_cut_torn(struct journal *j, int rfd, off_t size)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32];
	char		*name = NULL;
	off_t		 keep;
	int		 fd = -1, n;

	if ((keep = journal_last_newline(rfd, size)) == -1)
		goto fail;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (n = 0; n < 100 && fd == -1; n++) {
		free(name);
		if ((n == 0 ? asprintf(&name, "%s.torn-%s", j->path, stamp) :
		    asprintf(&name, "%s.torn-%s.%d", j->path, stamp, n)) == -1) {
			name = NULL;
			goto fail;
		}
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd == -1 && errno != EEXIST)
			goto fail;
	}
	if (fd == -1)
		goto fail;
	if (journal_copy_range(rfd, keep, size, fd) == -1 ||
	    close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (ftruncate(j->fd, keep) == -1)
		goto fail;
	log_warnx("journal: %s ended in a torn record of %lld octets; cut "
	    "and kept in %s", j->path, (long long)(size - keep), name);
	free(name);
	return keep;
 fail:
	log_warn("journal: %s ends in a torn record, left in place%s%s",
	    j->path, name != NULL ? "; copy to " : "",
	    name != NULL ? name : "");
	if (fd != -1)
		close(fd);
	if (name != NULL)
		unlink(name);
	free(name);
	return -1;
}

/*
 * Open PATH for appending and note its size.  A last line cut short is
 * moved aside (journal_cut_torn), or, when that fails, the file is noted
 * as torn, to be ended with a newline before the next record.  The writer
 * (or journal_new, before it runs).  0 or -1 (errno).
 */
static int
journal_open_file(struct journal *j)
{
	struct stat	 sb;
	uint64_t	 size = 0;
	off_t		 cut;
	char		 last = '\n';
	int		 rfd;

	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (j->fd == -1)
		return -1;
	j->torn = false;
	if (fstat(j->fd, &sb) == 0 && sb.st_size > 0) {
		size = (uint64_t)sb.st_size;
		if ((rfd = open(j->path, O_RDONLY | O_CLOEXEC)) != -1) {
			if (pread(rfd, &last, 1, sb.st_size - 1) == 1 &&
			    last != '\n') {
				if ((cut = journal_cut_torn(j, rfd,
				    sb.st_size)) >= 0)
					size = (uint64_t)cut;
				else
					j->torn = true;
			}
			close(rfd);
		}
	}
	pthread_mutex_lock(&j->lock);
	j->file_size = size;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

/* A rotation starts or ends: queries opening files try again. */
static void
journal_rot_gen(struct journal *j)
{
	pthread_mutex_lock(&j->lock);
	j->rot_gen++;
	pthread_mutex_unlock(&j->lock);
}

/*
 * Writer: PATH -> PATH.1 -> ... -> PATH.keep (deleted), then a new PATH.
 * Unless the policy is none, the old file is synced first: records in it
 * settle with the batch.  On failure the current file stays in use (or,
 * if the new one cannot be opened, writes fail until it can).
 */
static void
journal_rotate(struct journal *j, int *err)
{
	char	*from = NULL, *to = NULL;
	uint32_t n;
	bool	 moved = true;

	if (j->fd != -1 && j->policy != JOURNAL_FSYNC_NONE &&
	    fdatasync(j->fd) == -1)
		*err = errno;
	/* No lock across the renames: under heavy I/O they can wait for
	 * the file system's journal, and the loop must not wait with
	 * them.  Queries see rot_gen odd and retry. */
	journal_rot_gen(j);
	if (j->keep == 0) {
		if (unlink(j->path) == -1 && errno != ENOENT)
			moved = false;
	} else {
		if ((to = journal_name(j, j->keep)) == NULL)
			goto out;
		(void)unlink(to);
		for (n = j->keep; n > 0; n--) {
			if ((from = journal_name(j, n - 1)) == NULL)
				goto out;
			if (rename(from, to) == -1 && errno != ENOENT &&
			    n == 1)
				moved = false;
			free(to);
			to = from;
			from = NULL;
		}
	}
	if (!moved)
		goto out;	/* keep writing to the old file */
	if (j->fd != -1)
		close(j->fd);
	if (journal_open_file(j) == -1 && *err == 0)
		*err = errno;
	pthread_mutex_lock(&j->lock);
	j->rotations++;
	pthread_mutex_unlock(&j->lock);
 out:
	journal_rot_gen(j);
	free(from);
	free(to);
}

static int
journal_write_all(int fd, const char *p, size_t n, size_t *done)
{
	ssize_t	 r;

	*done = 0;
	while (n > 0) {
		r = write(fd, p, n);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		*done += (size_t)r;
	}
	return 0;
}

/* Writer: one segment of records into the current file.  0 or errno. */
static int
journal_write_seg(struct journal *j, const char *p, size_t n)
{
	size_t	 done = 0;
	int	 err;

	if (n == 0)
		return 0;
	if (j->fd == -1 && journal_open_file(j) == -1)
		return errno;
	if (j->torn) {
		if (journal_write_all(j->fd, "\n", 1, &done) == -1)
			return errno;
		j->torn = false;
		pthread_mutex_lock(&j->lock);
		j->file_size++;
		pthread_mutex_unlock(&j->lock);
	}
	if (journal_write_all(j->fd, p, n, &done) == -1) {
		err = errno;
		pthread_mutex_lock(&j->lock);
		j->file_size += done;
		pthread_mutex_unlock(&j->lock);
		if (done > 0)
			j->torn = true;	/* ended by the next write */
		return err;
	}
	pthread_mutex_lock(&j->lock);
	j->file_size += n;
	j->bytes += n;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

/* ------------------------------------------------------------ writer */

static void
journal_signal_loop(struct journal *j)
{
	uint64_t	 one = 1;

	if (write(j->efd, &one, sizeof(one)) == -1) {
		/* EAGAIN: a wake-up is pending already. */
	}
}

static uint64_t
journal_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Under the lock: remember that (from, to] failed. */
static void
journal_fail_range(struct journal *j, uint64_t from, uint64_t to)
{
	struct journal_range	*nf;
	size_t			 ncap;

	if (j->nfailed > 0 && j->failed[j->nfailed - 1].to >= from) {
		j->failed[j->nfailed - 1].to = to;
		return;
	}
	if (j->nfailed == j->failcap) {
		ncap = j->failcap ? j->failcap * 2 : 8;
		if ((nf = reallocarray(j->failed, ncap, sizeof(*nf))) ==
		    NULL) {
			/* Widen the last range instead: failing more
			 * records than failed is the safe side. */
			if (j->nfailed > 0) {
				j->failed[j->nfailed - 1].to = to;
				return;
			}
			return;
		}
		j->failed = nf;
		j->failcap = ncap;
	}
	j->failed[j->nfailed].from = from;
	j->failed[j->nfailed].to = to;
	j->nfailed++;
}

static void *
journal_writer_main(void *arg)
{
	struct journal	*j = arg;
	struct timespec	 ts;
	uint64_t	 end_seq, start_seq, next_sync = 0, now;
	size_t		 i, off, segend;
	int		 werr, serr, err;
	bool		 dirty = false, sync_now;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (!j->stop && j->pend.b.len == 0) {
			if (!dirty || j->policy != JOURNAL_FSYNC_INTERVAL) {
				pthread_cond_wait(&j->cond, &j->lock);
				continue;
			}
			now = journal_now_ms();
			if (now >= next_sync)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)((next_sync - now) / 1000);
			ts.tv_nsec += (long)((next_sync - now) % 1000) *
			    1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&j->cond, &j->lock, &ts);
		}
		if (j->stop && j->pend.b.len == 0 && !dirty)
			break;
		jbatch_swap(&j->work, &j->pend);
		start_seq = j->done_seq;
		end_seq = j->pend_seq;
		pthread_mutex_unlock(&j->lock);

		/* Write, rotating where the loop said. */
		werr = serr = 0;
		for (i = 0, off = 0; off < j->work.b.len || i < j->work.nrot;
		    ) {
			if (i < j->work.nrot && j->work.rot[i] <= off) {
				journal_rotate(j, &serr);
				i++;
				continue;
			}
			segend = i < j->work.nrot ? j->work.rot[i] :
			    j->work.b.len;
			if ((err = journal_write_seg(j, j->work.b.p + off,
			    segend - off)) != 0 && werr == 0)
				werr = err;
			off = segend;
		}
		if (j->work.b.len > 0)
			dirty = true;
		now = journal_now_ms();
		sync_now = dirty && j->fd != -1 &&
		    (j->policy == JOURNAL_FSYNC_ALWAYS ||
		    (j->policy == JOURNAL_FSYNC_INTERVAL &&
		    (now >= next_sync || j->stop)));
		if (sync_now) {
			if (fdatasync(j->fd) == -1 && serr == 0)
				serr = errno;
			dirty = false;
			next_sync = now + j->interval_ms;
		} else if (j->policy == JOURNAL_FSYNC_NONE)
			dirty = false;
		else if (dirty && next_sync <= now)
			next_sync = now + j->interval_ms;

		pthread_mutex_lock(&j->lock);
		if (sync_now)
			j->syncs++;
		if (werr != 0) {
			j->write_errors++;
			j->write_err = werr;
			j->records_failed += j->work.records;
		}
		if (serr != 0) {
			j->sync_errors++;
			j->sync_err = serr;
		}
		/* Under "always" a failed sync fails what it covered; under
		 * the other policies a record settles once written. */
		if (werr != 0 || (serr != 0 &&
		    j->policy == JOURNAL_FSYNC_ALWAYS))
			journal_fail_range(j, start_seq, end_seq);
		j->done_seq = end_seq;
		atomic_fetch_sub(&j->backlog, j->work.b.len);
		jbatch_reset(&j->work);
		journal_signal_loop(j);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* ------------------------------------------------------------ life */

static int
journal_start_writer(struct journal *j)
{
	int	 err;

	j->stop = false;
	if ((err = pthread_create(&j->writer, NULL, journal_writer_main,
	    j)) != 0) {
		log_warnx("journal: cannot start the writer thread: %s",
		    strerror(err));
		errno = err;
		return -1;
	}
	j->have_writer = true;
	return 0;
}

/* Hand over what was appended and wait until the writer has written it
 * (and synced it, unless the policy is none) and ended. */
static void
journal_stop_writer(struct journal *j)
{
	if (!j->have_writer)
		return;
	journal_flush(j);
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->writer, NULL);
	j->have_writer = false;
}

struct journal *
journal_new(struct event_base *base, const struct journal_opts *o,
    journal_settled_cb *cb, void *arg)
{
	struct journal	*j;
	int		 err;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->base = base;
	j->fd = j->efd = -1;
	j->max_size = o->max_size > 0 ? o->max_size : 64ULL << 20;
	j->keep = o->keep;
	j->policy = o->fsync;
	j->interval_ms = o->interval_ms ? o->interval_ms :
	    JOURNAL_DEFAULT_INTERVAL_MS;
	j->cb = cb;
	j->cbarg = arg;
	jbatch_init(&j->fill);
	jbatch_init(&j->pend);
	jbatch_init(&j->work);
	TAILQ_INIT(&j->queries);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	if ((j->path = strdup(o->path)) == NULL)
		goto fail;

	journal_mkdir(j->path);
	if (journal_open_file(j) == -1) {
		err = errno;
		log_warn("journal: %s", j->path);
		errno = err;
		goto fail;
	}
	j->proj = j->file_size + (j->torn ? 1 : 0);
	if ((j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("journal: eventfd");
		goto fail;
	}
	if ((j->ev_wake = event_new(base, j->efd, EV_READ | EV_PERSIST,
	    journal_wake_cb, j)) == NULL || event_add(j->ev_wake, NULL) == -1)
		goto fail;
	if (journal_start_writer(j) == -1)
		goto fail;
	return j;
 fail:
	journal_free(j);
	return NULL;
}

void
journal_free(struct journal *j)
{
	struct journal_query	*q;

	if (j == NULL)
		return;
	journal_stop_writer(j);
	while ((q = TAILQ_FIRST(&j->queries)) != NULL) {
		atomic_store(&q->cancelled, 1);
		pthread_join(q->th, NULL);
		TAILQ_REMOVE(&j->queries, q, entry);
		journal_query_free(q);
	}
	if (j->ev_wake != NULL)
		event_free(j->ev_wake);
	if (j->efd != -1)
		close(j->efd);
	if (j->fd != -1)
		close(j->fd);
	jbatch_free(&j->fill);
	jbatch_free(&j->pend);
	jbatch_free(&j->work);
	free(j->failed);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->path);
	free(j);
}

int
journal_reconfigure(struct journal *j, const struct journal_opts *o)
{
	char		*npath = NULL, *opath;
	uint64_t	 osize;
	bool		 otorn, move;
	int		 ofd, err = 0, rv = 0;

	move = strcmp(o->path, j->path) != 0;
	if (move && (npath = strdup(o->path)) == NULL)
		return -1;
	/* Everything appended so far lands under the old settings. */
	journal_stop_writer(j);
	if (move) {
		ofd = j->fd;
		otorn = j->torn;
		pthread_mutex_lock(&j->lock);
		osize = j->file_size;
		opath = j->path;
		j->path = npath;
		j->rot_gen++;		/* queries opening files retry */
		pthread_mutex_unlock(&j->lock);
		journal_mkdir(npath);
		if (journal_open_file(j) == -1) {
			err = errno;
			log_warn("journal: %s", npath);
			pthread_mutex_lock(&j->lock);
			j->path = opath;
			j->file_size = osize;
			pthread_mutex_unlock(&j->lock);
			j->fd = ofd;
			j->torn = otorn;
			opath = npath;
			rv = -1;
		} else {
			if (ofd != -1)
				close(ofd);
			j->proj = j->file_size + (j->torn ? 1 : 0);
		}
		journal_rot_gen(j);
		free(opath);
	}
	if (rv == 0) {
		j->max_size = o->max_size > 0 ? o->max_size : 64ULL << 20;
		j->keep = o->keep;
		j->policy = o->fsync;
		j->interval_ms = o->interval_ms ? o->interval_ms :
		    JOURNAL_DEFAULT_INTERVAL_MS;
	}
	if (journal_start_writer(j) == -1) {
		err = errno;
		rv = -1;
	}
	if (rv == -1)
		errno = err;
	return rv;
}

/* ------------------------------------------------------------ writing */

int
journal_append(struct journal *j, const char *rec, size_t len,
    uint64_t *seq)
{
	uint64_t	 need = (uint64_t)len + 1;
	size_t		 pending;

	pending = atomic_load(&j->backlog) + j->fill.b.len;
	if (pending + need > JOURNAL_MAX_PENDING)
		goto refuse;
	if (j->proj > 0 && j->proj + need > j->max_size) {
		if (jbatch_mark(&j->fill, j->fill.b.len) == -1)
			goto refuse;
		j->proj = 0;
	}
	if (render_reserve(&j->fill.b, len + 1) == -1) {
		j->fill.b.failed = false;
		goto refuse;
	}
	memcpy(j->fill.b.p + j->fill.b.len, rec, len);
	j->fill.b.p[j->fill.b.len + len] = '\n';
	j->fill.b.len += len + 1;
	j->fill.records++;
	j->records++;
	j->proj += need;
	j->appended += need;
	if (seq != NULL)
		*seq = j->appended;
	return 0;
 refuse:
	j->refused++;
	log_repeat(&j->rep_full, "journal: %s: %zu bytes wait for the disk; "
	    "records are refused", j->path, pending);
	return -1;
}

void
journal_flush(struct journal *j)
{
	size_t	 len = j->fill.b.len;

	if (len == 0 && j->fill.nrot == 0)
		return;
	atomic_fetch_add(&j->backlog, len);
	pthread_mutex_lock(&j->lock);
	if (j->pend.b.len == 0 && j->pend.nrot == 0)
		jbatch_swap(&j->pend, &j->fill);
	else if (jbatch_join(&j->pend, &j->fill) == -1) {
		/* Out of memory: these records are lost; say so through
		 * the settle callback like a failed write. */
		j->records_failed += j->fill.records;
		journal_fail_range(j, j->pend_seq, j->appended);
		atomic_fetch_sub(&j->backlog, len);
	}
	j->pend_seq = j->appended;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	jbatch_reset(&j->fill);
}

uint64_t
journal_settled(const struct journal *j)
{
	return j->settled;
}

enum journal_fsync
journal_policy(const struct journal *j)
{
	return j->policy;
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

void
journal_get_stats(const struct journal *j, struct journal_stats *st)
{
	pthread_mutex_t	*lock = (pthread_mutex_t *)&j->lock;

	memset(st, 0, sizeof(*st));
	st->records = j->records;
	st->queries = j->queries_run;
	st->settled = j->settled;
	pthread_mutex_lock(lock);
	st->bytes = j->bytes;
	st->file_size = j->file_size;
	st->rotations = j->rotations;
	st->syncs = j->syncs;
	st->write_errors = j->write_errors;
	st->sync_errors = j->sync_errors;
	st->records_lost = j->records_failed + j->refused;
	st->pending = atomic_load(&j->backlog) + j->fill.b.len;
	pthread_mutex_unlock(lock);
}

/* The loop side of the eventfd: records settled, queries finished. */
static void
journal_wake_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct journal		*j = arg;
	struct journal_query	*q, *next;
	struct journal_range	*failed = NULL;
	uint64_t		 cnt, done;
	size_t			 nfailed;
	int			 werr, serr;

	if (read(j->efd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("journal: eventfd read");
	pthread_mutex_lock(&j->lock);
	done = j->done_seq;
	werr = j->write_err;
	serr = j->sync_err;
	j->write_err = j->sync_err = 0;
	/* Ranges are in order; those past done are told later. */
	for (nfailed = 0; nfailed < j->nfailed &&
	    j->failed[nfailed].to <= done; nfailed++)
		;
	if (nfailed > 0 && (failed = malloc(nfailed * sizeof(*failed))) !=
	    NULL)
		memcpy(failed, j->failed, nfailed * sizeof(*failed));
	if (nfailed > 0) {
		memmove(j->failed, j->failed + nfailed,
		    (j->nfailed - nfailed) * sizeof(*j->failed));
		j->nfailed -= nfailed;
	}
	pthread_mutex_unlock(&j->lock);

	if (werr != 0)
		log_repeat(&j->rep_write, "journal: write %s: %s; records "
		    "are lost", j->path, strerror(werr));
	else if (j->rep_write.active && done > j->settled)
		log_repeat_clear(&j->rep_write, "journal: writing again");
	if (serr != 0)
		log_repeat(&j->rep_sync, "journal: fdatasync %s: %s", j->path,
		    strerror(serr));
	else if (j->rep_sync.active && done > j->settled)
		log_repeat_clear(&j->rep_sync, "journal: syncing again");
	if (done > j->settled || nfailed > 0) {
		if (done > j->settled)
			j->settled = done;
		if (j->cb != NULL) {
			if (nfailed > 0 && failed == NULL) {
				/* Could not copy them: fail everything. */
				struct journal_range all = { 0, done };

				j->cb(j->cbarg, j->settled, &all, 1);
			} else
				j->cb(j->cbarg, j->settled, failed, nfailed);
		}
	}
	free(failed);

	for (q = TAILQ_FIRST(&j->queries); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		pthread_mutex_lock(&j->lock);
		if (!q->finished) {
			pthread_mutex_unlock(&j->lock);
			continue;
		}
		pthread_mutex_unlock(&j->lock);
		journal_query_reap(j, q);
	}
}

/* ------------------------------------------------------------ queries */

static void
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

static void
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

/*
 * Whether a line is one whole JSON text (RFC 8259) that is an object, as
 * every record is: a torn record (a prefix of one) or other junk is not,
 * and must neither be returned nor take a place under the limit.  It
 * checks what json_loadb() would reject (structure, escapes, UTF-8, NUL)
 * without building anything, so every line can afford it.
 */
#define JOURNAL_JSON_DEPTH	64

static const char *jv_value(const char *, const char *, int);

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
	for (i = 0; i < f->nmatch; i++) {
		if (journal_field(line, len, f->match[i].key, &v,
		    &vlen) == -1 || !journal_match_one(&f->match[i], v, vlen))
			return;
	}
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
	/* What was accepted so far goes to the writer; the query sees
	 * what is written when it starts. */
	journal_flush(j);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->j = j;
	q->f = *f;
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
