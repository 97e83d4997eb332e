/*
 * check_journal.c - unit tests of daemon/journal.c: records as lines,
 * rotation within the size bound, a torn last line cut and kept aside, the
 * fsync
 * policies (records settle through the event loop once the writer thread
 * wrote, and for "always" synced, them), failed writes settled as failed,
 * and queries (filters, limit, rotated files, order) answered from a
 * thread.
 */
#include <config.h>

#include <sys/stat.h>

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "daemon/journal.h"
#include "daemon/render.h"
#include "check_main.h"

static char	 dir[64];
static char	 path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_journal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/traps.jsonl", dir);
}

static void
teardown(void)
{
	char	 cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

struct settle {
	struct event_base	*base;
	uint64_t		 upto;
	int			 calls;
	size_t			 nfailed;
	struct journal_range	 failed;
};

static void
settle_cb(void *arg, uint64_t upto, const struct journal_range *failed,
    size_t nfailed)
{
	struct settle	*st = arg;

	st->upto = upto;
	st->calls++;
	st->nfailed += nfailed;
	if (nfailed > 0)
		st->failed = failed[0];
	event_base_loopbreak(st->base);
}

static void
loop_for(struct event_base *base, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Flush and run the loop until everything up to seq is settled. */
static void
settle(struct journal *j, struct event_base *base, uint64_t seq)
{
	int	 i;

	journal_flush(j);
	for (i = 0; i < 100 && journal_settled(j) < seq; i++)
		loop_for(base, 50);
	ck_assert_uint_ge(journal_settled(j), seq);
}

static struct journal *
jopen(struct event_base *base, uint64_t max, uint32_t keep,
    enum journal_fsync f, journal_settled_cb *cb, void *arg)
{
	struct journal_opts	 o;
	struct journal		*j;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.max_size = max;
	o.keep = keep;
	o.fsync = f;
	o.interval_ms = 20;
	ck_assert_ptr_nonnull(j = journal_new(base, &o, cb, arg));
	return j;
}

/* The whole file; its size in *n. */
static char *
slurp(const char *p, size_t *n)
{
	FILE	*fp;
	char	*buf;
	long	 sz;

	if ((fp = fopen(p, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)sz + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)sz, fp), (size_t)sz);
	fclose(fp);
	*n = (size_t)sz;
	return buf;
}

static void
append(struct journal *j, const char *rec, uint64_t *seq)
{
	ck_assert_int_eq(journal_append(j, rec, strlen(rec), seq), 0);
}

START_TEST(journal_records_are_lines)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	uint64_t		 s1, s2;
	char			*text;
	size_t			 n;

	j = jopen(base, 1 << 20, 2, JOURNAL_FSYNC_NONE, NULL, NULL);
	append(j, "{\"a\":1}", &s1);
	append(j, "{\"b\":2}", &s2);
	ck_assert_uint_eq(s1, 8);
	ck_assert_uint_eq(s2, 16);
	/* Buffered until the flush. */
	loop_for(base, 20);
	ck_assert_ptr_nonnull(text = slurp(path, &n));
	ck_assert_uint_eq(n, 0);
	free(text);
	ck_assert_uint_eq(journal_settled(j), 0);
	settle(j, base, 16);
	text = slurp(path, &n);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"b\":2}\n");
	free(text);
	journal_free(j);
	/* Reopened, it appends. */
	j = jopen(base, 1 << 20, 2, JOURNAL_FSYNC_NONE, NULL, NULL);
	append(j, "{\"c\":3}", NULL);
	journal_free(j);
	text = slurp(path, &n);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	free(text);
	event_base_free(base);
}
END_TEST

START_TEST(journal_rotation_keeps_size_bound)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_stats	 st;
	char			 rec[128], name[160], *text;
	size_t			 n, total = 0;
	uint64_t		 seq = 0;
	int			 i;
	struct stat		 sb;

	j = jopen(base, 4096, 2, JOURNAL_FSYNC_NONE, NULL, NULL);
	for (i = 0; i < 1000; i++) {
		snprintf(rec, sizeof(rec), "{\"n\":%04d,\"pad\":\"%060d\"}", i,
		    0);
		append(j, rec, &seq);
		if (i % 7 == 0)
			journal_flush(j);
	}
	settle(j, base, seq);
	journal_get_stats(j, &st);
	ck_assert_uint_gt(st.rotations, 10);
	journal_free(j);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_le(sb.st_size, 4096);
	for (i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "%s.%d", path, i);
		ck_assert_int_eq(stat(name, &sb), 0);
		ck_assert_int_le(sb.st_size, 4096);
		ck_assert_int_gt(sb.st_size, 4096 - 100);
		total += (size_t)sb.st_size;
	}
	snprintf(name, sizeof(name), "%s.3", path);
	ck_assert_int_eq(stat(name, &sb), -1);
	/* The newest record is last in the current file. */
	text = slurp(path, &n);
	ck_assert_ptr_nonnull(strstr(text, "{\"n\":0999,"));
	ck_assert(text[n - 1] == '\n');
	free(text);
	ck_assert_uint_le(total + n, 3 * 4096);
	event_base_free(base);
}
END_TEST

/* Write the journal file by hand, open it, append rec; the file then. */
static char *
reopen_after(struct event_base *base, const char *content, const char *rec)
{
	struct journal	*j;
	uint64_t	 seq;
	size_t		 n;
	int		 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
	j = jopen(base, 1 << 20, 1, JOURNAL_FSYNC_NONE, NULL, NULL);
	append(j, rec, &seq);
	settle(j, base, seq);
	journal_free(j);
	return slurp(path, &n);
}

START_TEST(journal_torn_last_line_is_cut_aside)
{
	struct event_base	*base = event_base_new();
	struct dirent		*de;
	DIR			*d;
	char			*text, torn[256];
	size_t			 n;
	int			 ntorn = 0;

	/* What kill -9 in the middle of a write leaves.  The torn record
	 * is no line of the journal ... */
	text = reopen_after(base, "{\"a\":1}\n{\"b\"", "{\"c\":3}");
	ck_assert_str_eq(text, "{\"a\":1}\n{\"c\":3}\n");
	free(text);
	/* ... but kept aside, in one file next to it. */
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "traps.jsonl.torn-", 17) != 0)
			continue;
		ntorn++;
		snprintf(torn, sizeof(torn), "%s/%s", dir, de->d_name);
	}
	closedir(d);
	ck_assert_int_eq(ntorn, 1);
	text = slurp(torn, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(text, "{\"b\"");
	free(text);

	/* A file that is one torn line becomes empty. */
	text = reopen_after(base, "{\"d\":", "{\"e\":5}");
	ck_assert_str_eq(text, "{\"e\":5}\n");
	free(text);
	event_base_free(base);
}
END_TEST

/*
 * The writer gathers: flushes of one small record each, 100 us apart,
 * are written about once a millisecond, not once per flush.
 */
START_TEST(journal_writer_gathers_small_flushes)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_stats	 st;
	struct timespec		 t0, t1;
	uint64_t		 seq = 0, elapsed_ms;
	int			 i;

	j = jopen(base, 1 << 20, 1, JOURNAL_FSYNC_NONE, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 40; i++) {
		append(j, "{\"trap\":1}", &seq);
		journal_flush(j);
		usleep(100);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	settle(j, base, seq);
	journal_get_stats(j, &st);
	elapsed_ms = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000000);
	/* Each write covers at least a millisecond of flushes. */
	ck_assert_uint_ge(st.writes, 1);
	ck_assert_uint_le(st.writes, elapsed_ms + 2);
	ck_assert_uint_eq(st.bytes, seq);
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_always_settles_after_the_sync)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_stats	 st;
	struct settle		 se;
	uint64_t		 seq;
	int			 i;

	memset(&se, 0, sizeof(se));
	se.base = base;
	j = jopen(base, 1 << 20, 1, JOURNAL_FSYNC_ALWAYS, settle_cb, &se);
	append(j, "{\"inform\":1}", NULL);
	append(j, "{\"inform\":2}", &seq);
	journal_flush(j);
	for (i = 0; i < 50 && se.upto < seq; i++)
		loop_for(base, 100);
	ck_assert_int_ge(se.calls, 1);
	ck_assert_uint_eq(se.upto, seq);
	ck_assert_uint_eq(se.nfailed, 0);
	journal_get_stats(j, &st);
	/* Settled only once a sync covered it. */
	ck_assert_uint_ge(st.syncs, 1);
	ck_assert_uint_eq(st.bytes, seq);
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_interval_syncs_on_its_timer)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_stats	 st;
	uint64_t		 seq;
	int			 i;

	j = jopen(base, 1 << 20, 1, JOURNAL_FSYNC_INTERVAL, NULL, NULL);
	append(j, "{\"trap\":1}", &seq);
	/* Settled when written; the sync comes on its own. */
	settle(j, base, seq);
	for (i = 0; i < 50; i++) {
		loop_for(base, 50);
		journal_get_stats(j, &st);
		if (st.syncs > 0)
			break;
	}
	ck_assert_uint_ge(st.syncs, 1);
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_failed_write_settles_as_failed)
{
	struct event_base	*base = event_base_new();
	struct journal_opts	 o;
	struct journal		*j;
	struct journal_stats	 st;
	struct settle		 se;
	uint64_t		 s1, s2;
	int			 i;

	if (access("/dev/full", W_OK) == -1)
		return;
	memset(&se, 0, sizeof(se));
	se.base = base;
	memset(&o, 0, sizeof(o));
	o.path = "/dev/full";
	o.max_size = 1ULL << 40;	/* never rotates /dev/full */
	o.fsync = JOURNAL_FSYNC_NONE;
	ck_assert_ptr_nonnull(j = journal_new(base, &o, settle_cb, &se));
	ck_assert_int_eq(journal_append(j, "{}", 2, &s1), 0);
	ck_assert_int_eq(journal_append(j, "{}", 2, &s2), 0);
	journal_flush(j);
	for (i = 0; i < 50 && se.upto < s2; i++)
		loop_for(base, 100);
	ck_assert_uint_eq(se.upto, s2);
	ck_assert_uint_eq(se.nfailed, 1);
	ck_assert_uint_lt(se.failed.from, s1);
	ck_assert_uint_ge(se.failed.to, s2);
	journal_get_stats(j, &st);
	ck_assert_uint_eq(st.write_errors, 1);
	ck_assert_uint_eq(st.records_lost, 2);
	journal_free(j);
	event_base_free(base);
}
END_TEST

struct qres {
	struct event_base	*base;
	int			 calls;
	size_t			 n;
	uint64_t		 matched;
	uint64_t		 skipped;
	char			 lines[16][256];
};

static void
query_cb(const struct journal_result *res, void *arg)
{
	struct qres	*q = arg;
	size_t		 i;

	q->calls++;
	q->n = res->n;
	q->matched = res->matched;
	q->skipped = res->skipped;
	for (i = 0; i < res->n && i < 16; i++)
		snprintf(q->lines[i], sizeof(q->lines[i]), "%.*s",
		    (int)res->lens[i], res->lines[i]);
	event_base_loopbreak(q->base);
}

static void
run_query(struct journal *j, struct event_base *base,
    const struct journal_filter *f, struct qres *q)
{
	int	 i;

	memset(q, 0, sizeof(*q));
	q->base = base;
	ck_assert_ptr_nonnull(journal_query(j, f, query_cb, q));
	for (i = 0; i < 50 && q->calls == 0; i++)
		loop_for(base, 100);
	ck_assert_int_eq(q->calls, 1);
}

static uint64_t
add_trap(struct journal *j, int sec, const char *src, const char *oid,
    int n)
{
	char	 rec[256];
	uint64_t seq;

	snprintf(rec, sizeof(rec), "{\"time\":\"2026-11-21T10:00:%02d."
	    "000000Z\",\"type\":\"trap\",\"source\":\"%s\",\"trap_oid\":"
	    "\"%s\",\"n\":%d,\"varbinds\":[{\"oid\":\"1.3.6.1\",\"type\":"
	    "\"OCTET STRING\",\"value\":\"\\\"source\\\":\\\"10.9.9.9\"}]}",
	    sec, src, oid, n);
	append(j, rec, &seq);
	return seq;
}

START_TEST(journal_query_filters_and_limits)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_filter	 f;
	struct qres		 q;
	uint64_t		 seq;
	int			 i;

	j = jopen(base, 1 << 20, 2, JOURNAL_FSYNC_NONE, NULL, NULL);
	for (i = 0; i < 20; i++)
		add_trap(j, i, i % 2 ? "10.0.0.1" : "10.0.0.2",
		    i % 3 ? "1.3.6.1.6.3.1.1.5.3" : "1.3.6.1.4.1.9.0.1", i);
	journal_flush(j);
	/* A torn line in the middle is skipped, not returned. */
	ck_assert_int_eq(journal_append(j, "{\"time\":\"2026-11-21T10:00:30",
	    27, NULL), 0);
	seq = add_trap(j, 31, "10.0.0.1", "1.3.6.1.6.3.1.1.5.3", 31);
	settle(j, base, seq);

	memset(&f, 0, sizeof(f));
	f.limit = 5;
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 5);
	ck_assert_ptr_nonnull(strstr(q.lines[4], "\"n\":31"));
	ck_assert_ptr_nonnull(strstr(q.lines[0], "\"n\":16"));
	ck_assert_uint_eq(q.skipped, 1);

	/* source: exact; the quoted text inside the varbind is no match. */
	memset(&f, 0, sizeof(f));
	f.limit = 100;
	f.nmatch = 1;
	snprintf(f.match[0].key, sizeof(f.match[0].key), "source");
	snprintf(f.match[0].value, sizeof(f.match[0].value), "10.9.9.9");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 0);
	snprintf(f.match[0].value, sizeof(f.match[0].value), "10.0.0.2");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 10);

	/* trap_oid: a subtree, not a text prefix. */
	f.match[0].mode = JOURNAL_MATCH_OID;
	snprintf(f.match[0].key, sizeof(f.match[0].key), "trap_oid");
	snprintf(f.match[0].value, sizeof(f.match[0].value), "1.3.6.1.4.1.9");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 7);
	snprintf(f.match[0].value, sizeof(f.match[0].value), "1.3.6.1.4.1.");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 0);
	snprintf(f.match[0].value, sizeof(f.match[0].value), "1.3.6.1.4.1.90");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 0);

	/* since / until */
	memset(&f, 0, sizeof(f));
	f.limit = 100;
	snprintf(f.since, sizeof(f.since), "2026-11-21T10:00:15.000000Z");
	snprintf(f.until, sizeof(f.until), "2026-11-21T10:00:18.000000Z");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 4);
	ck_assert_ptr_nonnull(strstr(q.lines[0], "\"n\":15"));
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_query_invalid_lines_take_no_place)
{
	static const char *const junk[] = {
		/* a record cut short inside its varbinds, then ended */
		"{\"time\":\"2026-11-21T10:00:05.000000Z\",\"type\":\"trap\","
		    "\"source\":\"10.0.0.1\",\"varbinds\":[{\"oid\":\"1.3\"}",
		/* whole-looking but not JSON */
		"{\"time\":\"2026-11-21T10:00:06.000000Z\",\"source\":"
		    "\"10.0.0.1\",}",
		"{\"time\":\"2026-11-21T10:00:07.000000Z\",\"source\":"
		    "\"10.0.0.1\"}}",
		"{\"time\":\"2026-11-21T10:00:08.000000Z\",\"source\":"
		    "\"10.0.0.1\",\"x\":\"\\q\"}",
		"{\"time\":\"2026-11-21T10:00:09.000000Z\",\"source\":"
		    "\"10.0.0.1\",\"x\":\"\xc3\"}",
		"{\"time\":\"2026-11-21T10:00:09.000000Z\",\"source\":"
		    "\"10.0.0.1\",\"x\":01}",
		"{\"time\":\"2026-11-21T10:00:09.000000Z\",\"source\":"
		    "\"10.0.0.1\",\"x\":\"\\u0000\"}",
		"{\"time\":\"2026-11-21T10:00:09.000000Z\",\"source\":"
		    "\"10.0.0.1\",\"x\":tru}",
	};
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_filter	 f;
	struct qres		 q;
	uint64_t		 seq;
	size_t			 i;

	j = jopen(base, 1 << 20, 1, JOURNAL_FSYNC_NONE, NULL, NULL);
	add_trap(j, 1, "10.0.0.1", "1.3.6.1.6.3.1.1.5.3", 1);
	add_trap(j, 2, "10.0.0.1", "1.3.6.1.6.3.1.1.5.3", 2);
	add_trap(j, 3, "10.0.0.2", "1.3.6.1.6.3.1.1.5.3", 3);
	add_trap(j, 4, "10.0.0.1", "1.3.6.1.6.3.1.1.5.3", 4);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		append(j, junk[i], &seq);
	/* A valid record with every kind of value and escape. */
	append(j, "{\"time\":\"2026-11-21T10:00:10.000000Z\",\"source\":"
	    "\"10.0.0.1\",\"n\":10,\"a\":[1,-2.5e+3,0.5,true,false,null,{}],"
	    "\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\xc3\xa9\"}",
	    &seq);
	settle(j, base, seq);

	/* The last two matching records, whatever lies between. */
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	f.nmatch = 1;
	snprintf(f.match[0].key, sizeof(f.match[0].key), "source");
	snprintf(f.match[0].value, sizeof(f.match[0].value), "10.0.0.1");
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 2);
	ck_assert_ptr_nonnull(strstr(q.lines[0], "\"n\":4"));
	ck_assert_ptr_nonnull(strstr(q.lines[1], "\"n\":10"));
	ck_assert_uint_eq(q.matched, 4);
	ck_assert_uint_eq(q.skipped, sizeof(junk) / sizeof(junk[0]));

	/* The case: three matching records, the newest torn and
	 * ended by the next write. */
	ck_assert_int_eq(journal_append(j, junk[0], strlen(junk[0]) - 5,
	    &seq), 0);
	settle(j, base, seq);
	f.limit = 3;
	run_query(j, base, &f, &q);
	ck_assert_uint_eq(q.n, 3);
	ck_assert_ptr_nonnull(strstr(q.lines[0], "\"n\":2"));
	ck_assert_uint_eq(q.skipped, sizeof(junk) / sizeof(junk[0]) + 1);
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_query_reads_rotated_files_in_order)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_filter	 f;
	struct journal_stats	 st;
	struct qres		 q;
	uint64_t		 seq;
	int			 i;

	j = jopen(base, 1024, 3, JOURNAL_FSYNC_NONE, NULL, NULL);
	for (i = 0; i < 20; i++) {
		seq = add_trap(j, i, "10.0.0.1", "1.3.6.1.6.3.1.1.5.1", i);
		settle(j, base, seq);
	}
	journal_get_stats(j, &st);
	ck_assert_uint_ge(st.rotations, 2);
	memset(&f, 0, sizeof(f));
	f.limit = 16;
	run_query(j, base, &f, &q);
	ck_assert_uint_ge(q.matched, 8);
	for (i = 1; i < (int)q.n && i < 16; i++)
		ck_assert_int_lt(strcmp(q.lines[i - 1], q.lines[i]), 0);
	ck_assert_ptr_nonnull(strstr(q.lines[q.n - 1], "\"n\":19"));
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_time_format_is_fixed_width)
{
	struct timespec	 ts = { 1795256000, 1234000 };
	char		 buf[32];

	render_time_utc(&ts, buf);
	ck_assert_uint_eq(strlen(buf), 27);
	ck_assert_str_eq(buf, "2026-11-21T10:13:20.001234Z");
	ts.tv_nsec = 999999999;
	render_time_utc(&ts, buf);
	ck_assert_str_eq(buf, "2026-11-21T10:13:20.999999Z");
}
END_TEST

START_TEST(journal_reconfigure_moves_without_loss)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_opts	 o;
	struct settle		 se;
	char			 npath[160], *text;
	uint64_t		 s1, s2, s3;
	size_t			 n;

	memset(&se, 0, sizeof(se));
	se.base = base;
	j = jopen(base, 1 << 20, 2, JOURNAL_FSYNC_INTERVAL, settle_cb, &se);
	append(j, "{\"a\":1}", &s1);
	/* Appended but not flushed: it must land in the old file. */
	append(j, "{\"b\":2}", &s2);
	snprintf(npath, sizeof(npath), "%s/sub/moved.jsonl", dir);
	memset(&o, 0, sizeof(o));
	o.path = npath;
	o.max_size = 4096;
	o.keep = 1;
	o.fsync = JOURNAL_FSYNC_ALWAYS;
	ck_assert_int_eq(journal_reconfigure(j, &o), 0);
	ck_assert_str_eq(journal_path(j), npath);
	ck_assert_int_eq(journal_policy(j), JOURNAL_FSYNC_ALWAYS);
	text = slurp(path, &n);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"b\":2}\n");
	free(text);
	/* Sequence numbers go on; both ranges settle. */
	append(j, "{\"c\":3}", &s3);
	ck_assert_uint_eq(s3, s2 + 8);
	settle(j, base, s3);
	ck_assert_uint_eq(se.upto, s3);
	ck_assert_uint_eq(se.nfailed, 0);
	text = slurp(npath, &n);
	ck_assert_str_eq(text, "{\"c\":3}\n");
	free(text);
	text = slurp(path, &n);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"b\":2}\n");
	free(text);
	journal_free(j);
	event_base_free(base);
}
END_TEST

START_TEST(journal_reconfigure_failure_keeps_old_file)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	struct journal_opts	 o;
	char			 npath[200], *text;
	uint64_t		 seq;
	size_t			 n;

	j = jopen(base, 1 << 20, 2, JOURNAL_FSYNC_NONE, NULL, NULL);
	append(j, "{\"a\":1}", NULL);
	/* A directory where the file should be cannot be opened. */
	snprintf(npath, sizeof(npath), "%s/isdir", dir);
	ck_assert_int_eq(mkdir(npath, 0700), 0);
	memset(&o, 0, sizeof(o));
	o.path = npath;
	o.keep = 5;
	o.fsync = JOURNAL_FSYNC_ALWAYS;
	ck_assert_int_eq(journal_reconfigure(j, &o), -1);
	ck_assert_str_eq(journal_path(j), path);
	ck_assert_int_eq(journal_policy(j), JOURNAL_FSYNC_NONE);
	append(j, "{\"b\":2}", &seq);
	settle(j, base, seq);
	text = slurp(path, &n);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"b\":2}\n");
	free(text);
	journal_free(j);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("journal");
	TCase	*tc = tcase_create("journal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, journal_records_are_lines);
	tcase_add_test(tc, journal_rotation_keeps_size_bound);
	tcase_add_test(tc, journal_torn_last_line_is_cut_aside);
	tcase_add_test(tc, journal_always_settles_after_the_sync);
	tcase_add_test(tc, journal_writer_gathers_small_flushes);
	tcase_add_test(tc, journal_interval_syncs_on_its_timer);
	tcase_add_test(tc, journal_failed_write_settles_as_failed);
	tcase_add_test(tc, journal_query_filters_and_limits);
	tcase_add_test(tc, journal_query_invalid_lines_take_no_place);
	tcase_add_test(tc, journal_query_reads_rotated_files_in_order);
	tcase_add_test(tc, journal_time_format_is_fixed_width);
	tcase_add_test(tc, journal_reconfigure_moves_without_loss);
	tcase_add_test(tc, journal_reconfigure_failure_keeps_old_file);
	suite_add_tcase(s, tc);
	return check_run(s);
}
