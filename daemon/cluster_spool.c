/*
 * cluster_spool.c - the on-disk spool of cluster mode (cluster_spool.h).
 *
 * A directory of segment files named by a growing number (16 hex digits
 * and ".spool"), each a run of records:
 *
 *	"SPL1" | subject length | id length | body length | CRC-32C |
 *	subject | Nats-Msg-Id | body
 *
 * the four numbers 32-bit little-endian, the CRC over the three lengths
 * and the three strings.  Records are appended to the newest segment (a
 * new one once it reaches a sixteenth of max_size, and always a new one
 * after a start, so nothing is written after a cut-short tail) and read
 * from the oldest.  The read position is kept in the file "cursor"
 * ("<segment> <offset>"), written after every consumed batch; a segment
 * read to its end is removed.  A record that is cut short or fails its
 * CRC ends its segment for us: what follows in that file is skipped and
 * counted once as corrupt, never fatal.
 */
#include <config.h>		/* autoconf's */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_spool.h"
#include "dirs.h"
#include "log.h"

#define SP_MAGIC	"SPL1"
#define SP_HDR		20
#define SP_MAX_NAME	1024		/* subject or id */
#define SP_MAX_BODY	(64U << 20)
#define SP_SEG_MIN	4096
#define SP_SEG_MAX	(16ULL << 20)
#define SP_SUFFIX	".spool"

struct sp_seg {
	uint64_t	 id;
	uint64_t	 size;		/* bytes of whole, valid records */
	uint64_t	 nrec;
};

struct cspool {
	char		*dir;
	uint64_t	 max_size;
	uint64_t	 seg_max;
	struct sp_seg	*segs;		/* oldest first */
	size_t		 nsegs, segcap;
	uint64_t	 next_id;
	int		 wfd;		/* the newest segment's, or -1 */
	int		 rfd;		/* the oldest segment's, or -1 */
	uint64_t	 rfd_id;
	uint64_t	 roff;		/* read position in segs[0] */
	uint64_t	 rrec;		/* records before it */
	bool		 dirty;		/* appended since the last sync */
	/* The last read: its segment and each record's end. */
	uint64_t	 last_id;
	uint64_t	*ends;
	size_t		 nends, endcap;
	uint8_t		*rbuf;
	size_t		 rcap;
	uint8_t		*wbuf;
	size_t		 wcap;
	struct cspool_stats st;
};

/* ------------------------------------------------------------ CRC-32C */

static uint32_t		 sp_crctab[256];
static pthread_once_t	 sp_crc_once = PTHREAD_ONCE_INIT;

static void
sp_crc_init(void)
{
	uint32_t	 c;
	int		 i, k;

	/* Castagnoli polynomial, reflected. */
	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		sp_crctab[i] = c;
	}
}

static uint32_t
sp_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n-- > 0)
		crc = sp_crctab[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------- files */

static void
sp_path(const struct cspool *sp, uint64_t id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%016" PRIx64 SP_SUFFIX, sp->dir, id);
}

static int
sp_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	void	*np;
	size_t	 ncap = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((np = realloc(*p, ncap * elem)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Keep the read position ("<segment> <offset>") for a restart. */
static void
sp_save_cursor(struct cspool *sp)
{
	char	 tmp[PATH_MAX], path[PATH_MAX], line[64];
	int	 fd, n;

	snprintf(tmp, sizeof(tmp), "%s/cursor.tmp", sp->dir);
	snprintf(path, sizeof(path), "%s/cursor", sp->dir);
	n = snprintf(line, sizeof(line), "%016" PRIx64 " %" PRIu64 "\n",
	    sp->nsegs > 0 ? sp->segs[0].id : sp->next_id, sp->roff);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return;
	if (write(fd, line, (size_t)n) != n) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	if (rename(tmp, path) == -1)
		unlink(tmp);
}

/*
 * One record at off of fd (file size fsize) into buf (grown): 0 and its
 * length in *reclen, or -1 with why (cut short, bad).
 */
static int
sp_load(struct cspool *sp, int fd, uint64_t off, uint64_t fsize,
    size_t at, size_t *reclen, uint32_t *slp, uint32_t *ilp, const char **why)
{
	uint8_t		 h[SP_HDR];
	uint32_t	 sl, il, bl;
	size_t		 n;

	*why = "cut short";
	if (fsize - off < SP_HDR)
		return -1;
	if (pread(fd, h, SP_HDR, (off_t)off) != SP_HDR) {
		*why = "unreadable";
		return -1;
	}
	sl = get32(h + 4);
	il = get32(h + 8);
	bl = get32(h + 12);
	if (memcmp(h, SP_MAGIC, 4) != 0 || sl == 0 || sl > SP_MAX_NAME ||
	    il > SP_MAX_NAME || bl > SP_MAX_BODY) {
		*why = "not a record";
		return -1;
	}
	n = (size_t)sl + il + bl;
	if (fsize - off - SP_HDR < n)
		return -1;
	/* Room for the three strings and their NULs. */
	if (sp_grow((void **)&sp->rbuf, &sp->rcap, at + n + 3, 1) == -1) {
		*why = "out of memory";
		return -1;
	}
	if (pread(fd, sp->rbuf + at, n, (off_t)(off + SP_HDR)) != (ssize_t)n) {
		*why = "unreadable";
		return -1;
	}
	if (sp_crc(sp_crc(0, h + 4, 12), sp->rbuf + at, n) != get32(h + 16)) {
		*why = "bad checksum";
		return -1;
	}
	*reclen = n;
	*slp = sl;
	*ilp = il;
	return 0;
}

static void
sp_report(struct cspool *sp, uint64_t id, uint64_t off, uint64_t fsize,
    const char *why)
{
	char	 path[PATH_MAX];

	sp_path(sp, id, path, sizeof(path));
	sp->st.corrupt++;
	log_warnx("cluster spool: %s: record at offset %" PRIu64 ": %s: the "
	    "rest of the file (%" PRIu64 " bytes) skipped", path, off, why,
	    fsize - off);
}

/* Count the records of one segment found at start. */
static void
sp_scan(struct cspool *sp, struct sp_seg *s, uint64_t cur_off,
    bool *cur_ok, uint64_t *cur_rec)
{
	char		 path[PATH_MAX];
	struct stat	 sb;
	const char	*why;
	uint64_t	 off = 0;
	size_t		 n;
	uint32_t	 sl, il;
	int		 fd;

	sp_path(sp, s->id, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		log_warn("cluster spool: %s", path);
		if (fd != -1)
			close(fd);
		return;
	}
	while (off < (uint64_t)sb.st_size) {
		if (off == cur_off) {
			*cur_ok = true;
			*cur_rec = s->nrec;
		}
		if (sp_load(sp, fd, off, (uint64_t)sb.st_size, 0, &n, &sl,
		    &il, &why) == -1) {
			sp_report(sp, s->id, off, (uint64_t)sb.st_size, why);
			break;
		}
		off += SP_HDR + n;
		s->nrec++;
	}
	if (off == cur_off) {
		*cur_ok = true;
		*cur_rec = s->nrec;
	}
	s->size = off;
	close(fd);
}

static int
sp_seg_cmp(const void *a, const void *b)
{
	const struct sp_seg *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The segments an earlier run left, and where it stopped reading. */
static int
sp_load_dir(struct cspool *sp)
{
	DIR		*dp;
	struct dirent	*de;
	FILE		*f;
	char		 path[PATH_MAX], hex[17];
	uint64_t	 id, cur_id = 0, cur_off = 0, cur_rec = 0;
	size_t		 i, k;
	bool		 have_cur = false, cur_ok = false;

	if ((dp = opendir(sp->dir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strlen(de->d_name) != 16 + strlen(SP_SUFFIX) ||
		    strcmp(de->d_name + 16, SP_SUFFIX) != 0 ||
		    strspn(de->d_name, "0123456789abcdef") != 16)
			continue;
		memcpy(hex, de->d_name, 16);
		hex[16] = '\0';
		id = strtoull(hex, NULL, 16);
		if (sp_grow((void **)&sp->segs, &sp->segcap, sp->nsegs + 1,
		    sizeof(*sp->segs)) == -1) {
			closedir(dp);
			errno = ENOMEM;
			return -1;
		}
		memset(&sp->segs[sp->nsegs], 0, sizeof(*sp->segs));
		sp->segs[sp->nsegs++].id = id;
		if (id >= sp->next_id)
			sp->next_id = id + 1;
	}
	closedir(dp);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), sp_seg_cmp);
	snprintf(path, sizeof(path), "%s/cursor", sp->dir);
	if ((f = fopen(path, "re")) != NULL) {
		have_cur = fscanf(f, "%16" SCNx64 " %" SCNu64, &cur_id,
		    &cur_off) == 2;
		fclose(f);
	}
	/* Segments before the cursor's were read: gone. */
	for (i = k = 0; i < sp->nsegs; i++) {
		if (have_cur && sp->segs[i].id < cur_id) {
			sp_path(sp, sp->segs[i].id, path, sizeof(path));
			unlink(path);
			continue;
		}
		sp->segs[k] = sp->segs[i];
		if (have_cur && sp->segs[k].id == cur_id)
			sp_scan(sp, &sp->segs[k], cur_off, &cur_ok, &cur_rec);
		else
			sp_scan(sp, &sp->segs[k], UINT64_MAX, &cur_ok,
			    &cur_rec);
		k++;
	}
	sp->nsegs = k;
	if (have_cur && sp->nsegs > 0 && sp->segs[0].id == cur_id) {
		if (cur_ok) {
			sp->roff = cur_off;
			sp->rrec = cur_rec;
		} else
			log_warnx("cluster spool: %s/cursor: not at a record "
			    "of its segment: read again from its start",
			    sp->dir);
	}
	/* Empty or fully read segments go. */
	while (sp->nsegs > 0 && sp->segs[0].nrec == sp->rrec) {
		sp_path(sp, sp->segs[0].id, path, sizeof(path));
		unlink(path);
		memmove(sp->segs, sp->segs + 1, --sp->nsegs *
		    sizeof(*sp->segs));
		sp->roff = sp->rrec = 0;
	}
	for (i = 1; i < sp->nsegs; i++)
		if (sp->segs[i].nrec == 0) {
			sp_path(sp, sp->segs[i].id, path, sizeof(path));
			unlink(path);
			memmove(sp->segs + i, sp->segs + i + 1,
			    (sp->nsegs - i - 1) * sizeof(*sp->segs));
			sp->nsegs--;
			i--;
		}
	return 0;
}

static void
sp_close_fds(struct cspool *sp)
{
	if (sp->wfd != -1) {
		if (sp->dirty)
			(void)fdatasync(sp->wfd);
		close(sp->wfd);
	}
	if (sp->rfd != -1)
		close(sp->rfd);
	sp->wfd = sp->rfd = -1;
	sp->dirty = false;
}

struct cspool *
cspool_open(const char *dir, uint64_t max_size)
{
	struct cspool	*sp;
	uint64_t	 i;

	pthread_once(&sp_crc_once, sp_crc_init);
	if ((sp = calloc(1, sizeof(*sp))) == NULL ||
	    (sp->dir = strdup(dir)) == NULL) {
		free(sp);
		log_warnx("cluster spool: out of memory");
		return NULL;
	}
	sp->wfd = sp->rfd = -1;
	sp->max_size = max_size;
	sp->seg_max = max_size / 16;
	if (sp->seg_max < SP_SEG_MIN)
		sp->seg_max = SP_SEG_MIN;
	if (sp->seg_max > SP_SEG_MAX)
		sp->seg_max = SP_SEG_MAX;
	if (dirs_make(dir, 0750, 0700) == -1 || sp_load_dir(sp) == -1) {
		log_warn("cluster spool: %s", dir);
		cspool_close(sp);
		return NULL;
	}
	for (i = 0; i < sp->nsegs; i++)
		sp->st.records += sp->segs[i].nrec;
	sp->st.records -= sp->rrec;
	if (sp->st.records > 0)
		log_info("cluster spool: %s: %" PRIu64 " records from an "
		    "earlier run to publish", dir, sp->st.records);
	return sp;
}

void
cspool_close(struct cspool *sp)
{
	if (sp == NULL)
		return;
	sp_close_fds(sp);
	free(sp->segs);
	free(sp->ends);
	free(sp->rbuf);
	free(sp->wbuf);
	free(sp->dir);
	free(sp);
}

static uint64_t
sp_disk_bytes(const struct cspool *sp)
{
	uint64_t	 b = 0;
	size_t		 i;

	for (i = 0; i < sp->nsegs; i++)
		b += sp->segs[i].size;
	return b;
}

/* Remove the oldest segment; its unread records count as dropped. */
static void
sp_drop_oldest(struct cspool *sp)
{
	char	 path[PATH_MAX];

	if (sp->nsegs == 0)
		return;
	if (sp->nsegs == 1 && sp->wfd != -1) {
		close(sp->wfd);
		sp->wfd = -1;
		sp->dirty = false;
	}
	if (sp->rfd != -1 && sp->rfd_id == sp->segs[0].id) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	sp_path(sp, sp->segs[0].id, path, sizeof(path));
	unlink(path);
	sp->st.dropped += sp->segs[0].nrec - sp->rrec;
	sp->st.records -= sp->segs[0].nrec - sp->rrec;
	memmove(sp->segs, sp->segs + 1, --sp->nsegs * sizeof(*sp->segs));
	sp->roff = sp->rrec = 0;
	sp->nends = 0;
}

/* A new segment to append to.  0 or -1. */
static int
sp_new_seg(struct cspool *sp)
{
	char	 path[PATH_MAX];

	if (sp->wfd != -1) {
		if (sp->dirty)
			(void)fdatasync(sp->wfd);
		close(sp->wfd);
		sp->wfd = -1;
		sp->dirty = false;
	}
	if (sp_grow((void **)&sp->segs, &sp->segcap, sp->nsegs + 1,
	    sizeof(*sp->segs)) == -1)
		return -1;
	sp_path(sp, sp->next_id, path, sizeof(path));
	if ((sp->wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("cluster spool: %s", path);
		return -1;
	}
	memset(&sp->segs[sp->nsegs], 0, sizeof(*sp->segs));
	sp->segs[sp->nsegs++].id = sp->next_id++;
	return 0;
}

int
cspool_append(struct cspool *sp, const char *subj, const char *id,
    const char *data, size_t len)
{
	size_t		 sl = strlen(subj), il = strlen(id), n;
	struct sp_seg	*s;
	uint8_t		*p;
	ssize_t		 w;

	n = SP_HDR + sl + il + len;
	if (sl == 0 || sl > SP_MAX_NAME || il > SP_MAX_NAME ||
	    len > SP_MAX_BODY || n > sp->max_size)
		goto drop;
	while (sp->nsegs > 0 && sp_disk_bytes(sp) + n > sp->max_size)
		sp_drop_oldest(sp);
	if ((sp->wfd == -1 || sp->segs[sp->nsegs - 1].size + n >
	    sp->seg_max) && sp_new_seg(sp) == -1)
		goto fail;
	if (sp_grow((void **)&sp->wbuf, &sp->wcap, n, 1) == -1)
		goto fail;
	p = sp->wbuf;
	memcpy(p, SP_MAGIC, 4);
	put32(p + 4, (uint32_t)sl);
	put32(p + 8, (uint32_t)il);
	put32(p + 12, (uint32_t)len);
	memcpy(p + SP_HDR, subj, sl);
	memcpy(p + SP_HDR + sl, id, il);
	memcpy(p + SP_HDR + sl + il, data, len);
	put32(p + 16, sp_crc(sp_crc(0, p + 4, 12), p + SP_HDR, n - SP_HDR));
	s = &sp->segs[sp->nsegs - 1];
	if ((w = write(sp->wfd, p, n)) != (ssize_t)n) {
		log_warn("cluster spool: writing segment %016" PRIx64, s->id);
		/* No half record left behind. */
		if (w > 0 && ftruncate(sp->wfd, (off_t)s->size) == -1)
			log_warn("cluster spool: truncating");
		goto fail;
	}
	s->size += n;
	s->nrec++;
	sp->dirty = true;
	sp->st.records++;
	sp->st.written++;
	return 0;
 fail:
	sp->st.write_errors++;
 drop:
	sp->st.dropped++;
	return -1;
}

int
cspool_commit(struct cspool *sp)
{
	if (sp->wfd == -1 || !sp->dirty)
		return 0;
	sp->dirty = false;
	if (fdatasync(sp->wfd) == -1) {
		log_warn("cluster spool: sync");
		sp->st.write_errors++;
		return -1;
	}
	return 0;
}

/* The oldest segment read to its end: remove it (unless it is the one
 * appended to). */
static bool
sp_head_done(struct cspool *sp)
{
	char	 path[PATH_MAX];

	if (sp->nsegs == 0 || sp->roff < sp->segs[0].size)
		return false;
	if (sp->nsegs == 1 && sp->wfd != -1)
		return false;
	if (sp->rfd != -1) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	sp_path(sp, sp->segs[0].id, path, sizeof(path));
	unlink(path);
	memmove(sp->segs, sp->segs + 1, --sp->nsegs * sizeof(*sp->segs));
	sp->roff = sp->rrec = 0;
	return true;
}

size_t
cspool_read(struct cspool *sp, struct cspool_rec *recs, size_t max)
{
	char		 path[PATH_MAX];
	struct sp_seg	*s;
	const char	*why;
	uint64_t	 off;
	size_t		 n, at = 0, k = 0, i;
	size_t		 offs[3 * CSPOOL_MAX_READ];
	uint32_t	 sl, il;

	if (max > CSPOOL_MAX_READ)
		max = CSPOOL_MAX_READ;
	sp->nends = 0;
	for (;;) {
		if (sp->nsegs == 0)
			return 0;
		if (!sp_head_done(sp))
			break;
	}
	s = &sp->segs[0];
	if (sp->roff >= s->size)
		return 0;
	if (sp->rfd == -1 || sp->rfd_id != s->id) {
		if (sp->rfd != -1)
			close(sp->rfd);
		sp_path(sp, s->id, path, sizeof(path));
		if ((sp->rfd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("cluster spool: %s", path);
			why = "unreadable";
			off = sp->roff;
			goto bad;
		}
		sp->rfd_id = s->id;
	}
	if (sp_grow((void **)&sp->ends, &sp->endcap, max, sizeof(*sp->ends))
	    == -1)
		return 0;
	off = sp->roff;
	while (k < max && off < s->size) {
		if (sp_load(sp, sp->rfd, off, s->size, at, &n, &sl, &il,
		    &why) == -1)
			goto bad;
		/* subj NUL id NUL body NUL, in place. */
		memmove(sp->rbuf + at + sl + il + 2, sp->rbuf + at + sl + il,
		    n - sl - il);
		sp->rbuf[at + sl + il + 2 + n - sl - il] = '\0';
		memmove(sp->rbuf + at + sl + 1, sp->rbuf + at + sl, il);
		sp->rbuf[at + sl + il + 1] = '\0';
		sp->rbuf[at + sl] = '\0';
		offs[3 * k] = at;
		offs[3 * k + 1] = at + sl + 1;
		offs[3 * k + 2] = at + sl + il + 2;
		recs[k].len = n - sl - il;
		at += n + 3;
		off += SP_HDR + n;
		sp->ends[k++] = off;
	}
	for (i = 0; i < k; i++) {
		recs[i].subj = (const char *)sp->rbuf + offs[3 * i];
		recs[i].id = (const char *)sp->rbuf + offs[3 * i + 1];
		recs[i].data = (const char *)sp->rbuf + offs[3 * i + 2];
	}
	sp->nends = k;
	sp->last_id = s->id;
	return k;
 bad:
	/* The file changed or went bad since it was written: its records
	 * from here on are lost to us. */
	sp_report(sp, s->id, off, s->size, why);
	sp->st.records -= s->nrec - sp->rrec - k;
	s->nrec = sp->rrec + k;
	s->size = off;
	if (k == 0) {
		/* Nothing before it: on to the next segment. */
		if (sp->nsegs > 1 || sp->wfd == -1)
			(void)sp_head_done(sp);
		return 0;
	}
	for (i = 0; i < k; i++) {
		recs[i].subj = (const char *)sp->rbuf + offs[3 * i];
		recs[i].id = (const char *)sp->rbuf + offs[3 * i + 1];
		recs[i].data = (const char *)sp->rbuf + offs[3 * i + 2];
	}
	sp->nends = k;
	sp->last_id = s->id;
	return k;
}

void
cspool_consume(struct cspool *sp, size_t n)
{
	if (n == 0 || sp->nends == 0 || sp->nsegs == 0 ||
	    sp->segs[0].id != sp->last_id)
		return;
	if (n > sp->nends)
		n = sp->nends;
	sp->roff = sp->ends[n - 1];
	sp->rrec += n;
	sp->st.records -= n;
	sp->st.replayed += n;
	sp->nends = 0;
	if (sp->roff >= sp->segs[0].size && sp->nsegs == 1 &&
	    sp->wfd != -1) {
		/* All read, the one appended to included: start afresh. */
		if (sp->dirty)
			(void)fdatasync(sp->wfd);
		close(sp->wfd);
		sp->wfd = -1;
		sp->dirty = false;
	}
	(void)sp_head_done(sp);
	sp_save_cursor(sp);
}

void
cspool_get_stats(const struct cspool *sp, struct cspool_stats *st)
{
	*st = sp->st;
	st->segments = sp->nsegs;
	st->bytes = sp_disk_bytes(sp) - (sp->nsegs > 0 ? sp->roff : 0);
}
