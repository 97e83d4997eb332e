/*
 * journal.c - the trap journal of journal.h: batched appends handed to a
 * writer thread, size-bound rotation, fsync policies with group commit.
 * Queries, which scan the files in threads of their own, are in
 * journal_query.c; journal_int.h holds what both halves share.
 *
 * Threads.  The event loop appends records to its batch (`fill`) and, at
 * journal_flush() once the batch is big or old enough (JOURNAL_GATHER_*;
 * else from a timer), hands them over: the batch joins `pend` under the
 * lock (a pointer swap when the writer has caught up).  The writer thread takes
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

#include <dirent.h>
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

#include "dirs.h"
#include "journal.h"
#include "journal_int.h"
#include "log.h"
#include "render.h"

static void	journal_wake_cb(evutil_socket_t, short, void *);
static void	journal_gather_cb(evutil_socket_t, short, void *);
static int	journal_write_all(int, const char *, size_t, size_t *);

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
char *
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

/* Create the journal's directory when it is missing. */
static void
journal_mkdir(const char *path)
{
	if (dirs_make_for(path, 0750) == -1)
		log_warn("journal: directory of %s", path);
}

/*
 * Delete the rotated files keep no longer covers: PATH.n for every n >
 * keep, exactly our own naming (no leading zero; PATH.torn-* and other
 * files stay), which a lowered keep would otherwise leave on the disk for
 * good, unread by queries.  Called where the writer is the only one
 * renaming: at open and reload (writer stopped) and in a rotation.
 */
static void
journal_prune(const struct journal *j)
{
	char		*dir, *end;
	const char	*slash, *base;
	struct dirent	*de;
	unsigned long	 n;
	size_t		 blen;
	DIR		*dp;
	int		 dfd;

	slash = strrchr(j->path, '/');
	if ((dir = slash == NULL ? strdup(".") : strndup(j->path,
	    slash == j->path ? 1 : (size_t)(slash - j->path))) == NULL)
		return;
	base = slash == NULL ? j->path : slash + 1;
	blen = strlen(base);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	dfd = dirfd(dp);
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    de->d_name[blen] != '.' || de->d_name[blen + 1] < '1' ||
		    de->d_name[blen + 1] > '9')
			continue;
		errno = 0;
		n = strtoul(de->d_name + blen + 1, &end, 10);
		if (*end != '\0' || errno != 0 || n <= j->keep)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == -1)
			log_warn("journal: %s/%s", dir, de->d_name);
		else
			log_info("journal: removed %s/%s: past keep (%u)",
			    dir, de->d_name, j->keep);
	}
	closedir(dp);
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
	journal_prune(j);
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

void
journal_signal_loop(struct journal *j)
{
	uint64_t	 one = 1;

	if (write(j->efd, &one, sizeof(one)) == -1) {
		/* EAGAIN: a wake-up is pending already. */
	}
}

static uint64_t
journal_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
journal_now_ms(void)
{
	return journal_now_us() / 1000;
}

/* Under the lock: wait for the cond at most `us` microseconds. */
static void
journal_wait_us(struct journal *j, uint64_t us)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(us / 1000000);
	ts.tv_nsec += (long)(us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&j->cond, &j->lock, &ts);
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

/*
 * Writer: let go of the journal's pages in the page cache once they are
 * on the disk.  The journal is written once and read rarely, so keeping
 * its pages cached only pushes out what others use, and a journal
 * growing at tens of megabytes a second would otherwise take fresh
 * memory for every page it writes (on a virtual machine each first touch
 * of a fresh page may cost a fault in the host, more than the write).
 * Dropped pages are reused by the next writes.  Under "none" nothing
 * syncs, so writeback of what was written is started here and what it
 * cleaned is dropped next time.  Advice only: errors are ignored.
 */
static void
journal_drop_cache(struct journal *j)
{
	if (j->fd == -1)
		return;
	if (j->policy == JOURNAL_FSYNC_NONE)
		(void)sync_file_range(j->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	(void)posix_fadvise(j->fd, 0, 0, POSIX_FADV_DONTNEED);
}

static void *
journal_writer_main(void *arg)
{
	struct journal	*j = arg;
	uint64_t	 end_seq, start_seq, next_sync = 0, now;
	uint64_t	 next_drop = 0;
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
			journal_wait_us(j, (next_sync - now) * 1000);
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
		/* At most once an interval, after a sync (or, under none,
		 * after a write). */
		if (now >= next_drop && (sync_now ? serr == 0 :
		    j->policy == JOURNAL_FSYNC_NONE && j->work.b.len > 0)) {
			journal_drop_cache(j);
			next_drop = now + j->interval_ms;
		}

		pthread_mutex_lock(&j->lock);
		if (sync_now)
			j->syncs++;
		if (j->work.b.len > 0)
			j->writes++;
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
		pthread_cond_broadcast(&j->written);
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
	journal_flush_now(j);
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
	pthread_cond_init(&j->written, NULL);
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
	journal_prune(j);
	if ((j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("journal: eventfd");
		goto fail;
	}
	if ((j->ev_wake = event_new(base, j->efd, EV_READ | EV_PERSIST,
	    journal_wake_cb, j)) == NULL || event_add(j->ev_wake, NULL) == -1)
		goto fail;
	if ((j->ev_gather = evtimer_new(base, journal_gather_cb, j)) == NULL)
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
	if (j->ev_gather != NULL)
		event_free(j->ev_gather);
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
	pthread_cond_destroy(&j->written);
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
		journal_prune(j);
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

/* Give fill to the writer now, whatever its size and age. */
void
journal_flush_now(struct journal *j)
{
	size_t	 len = j->fill.b.len;

	j->fill_since_us = 0;
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

void
journal_flush(struct journal *j)
{
	struct timeval	 tv;
	uint64_t	 now, age;

	if (j->fill.b.len == 0 && j->fill.nrot == 0)
		return;
	if (j->fill.b.len < JOURNAL_GATHER_BYTES) {
		now = journal_now_us();
		if (j->fill_since_us == 0)
			j->fill_since_us = now;
		age = now - j->fill_since_us;
		if (age < JOURNAL_GATHER_US) {
			/* The timer hands over what is still here then. */
			if (!evtimer_pending(j->ev_gather, NULL)) {
				tv.tv_sec = 0;
				tv.tv_usec = (suseconds_t)(JOURNAL_GATHER_US -
				    age);
				evtimer_add(j->ev_gather, &tv);
			}
			return;
		}
	}
	journal_flush_now(j);
}

static void
journal_gather_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	journal_flush(arg);
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
	st->writes = j->writes;
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
