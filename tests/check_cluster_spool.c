/*
 * check_cluster_spool.c - the on-disk spool of cluster mode: records read
 * back in order and once, the read position kept across a reopen, the
 * oldest dropped (and counted) when full, a record with a bad checksum
 * or cut short skipped with the rest of its file, never fatal.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cluster_spool.h"
#include "check_main.h"

#define REC	(20 + 17 + 7 + 59)

static char	 dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check-spool-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	DIR		*dp;
	struct dirent	*de;
	char		 p[PATH_MAX];

	if ((dp = opendir(dir)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			(void)unlink(p);
		}
		closedir(dp);
	}
	(void)rmdir(dir);
}

static void
put(struct cspool *sp, int i)
{
	char	 id[32], body[128];

	/* REC bytes each: header, subject, id, body */
	snprintf(id, sizeof(id), "id-%04d", i);
	snprintf(body, sizeof(body), "{\"n\":%04d,\"pad\":\"%040d\"}", i, i);
	ck_assert_int_eq(cspool_append(sp, "snmpmgrd.t.trap.x", id, body,
	    strlen(body)), 0);
}

/* Read and consume everything: the numbers in order, -1 after. */
static int
drain(struct cspool *sp, int *got, int max)
{
	struct cspool_rec r[64];
	size_t		 k, i;
	int		 n = 0;

	while ((k = cspool_read(sp, r, 64)) > 0 || n == 0) {
		if (k == 0)
			break;
		for (i = 0; i < k && n < max; i++) {
			ck_assert_str_eq(r[i].subj, "snmpmgrd.t.trap.x");
			ck_assert_int_eq(atoi(r[i].id + 3), atoi(r[i].data + 5));
			ck_assert_uint_eq(strlen(r[i].data), r[i].len);
			got[n++] = atoi(r[i].data + 5);
		}
		cspool_consume(sp, k);
	}
	return n;
}

/* The name of the i-th segment file (sorted), in p. */
static int
seg(int i, char *p, size_t size)
{
	struct dirent	**nl;
	int		 n, k, j = 0, found = -1;

	n = scandir(dir, &nl, NULL, alphasort);
	for (k = 0; k < n; k++) {
		if (strstr(nl[k]->d_name, ".spool") != NULL && j++ == i) {
			snprintf(p, size, "%s/%s", dir, nl[k]->d_name);
			found = 0;
		}
		free(nl[k]);
	}
	free(nl);
	return found;
}

START_TEST(spool_order_and_reopen)
{
	struct cspool		*sp;
	struct cspool_rec	 r[64];
	struct cspool_stats	 st;
	int			 got[300], i, n;
	size_t			 k;

	sp = cspool_open(dir, 1 << 20);
	ck_assert_ptr_nonnull(sp);
	for (i = 0; i < 200; i++)
		put(sp, i);
	ck_assert_int_eq(cspool_commit(sp), 0);
	/* 10 published, 5 read but not published */
	k = cspool_read(sp, r, 10);
	ck_assert_uint_eq(k, 10);
	cspool_consume(sp, 10);
	k = cspool_read(sp, r, 5);
	ck_assert_uint_eq(k, 5);
	cspool_close(sp);

	sp = cspool_open(dir, 1 << 20);
	cspool_get_stats(sp, &st);
	ck_assert_uint_eq(st.records, 190);
	for (i = 200; i < 220; i++)
		put(sp, i);
	cspool_commit(sp);
	n = drain(sp, got, 300);
	ck_assert_int_eq(n, 210);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(got[i], 10 + i);
	cspool_get_stats(sp, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.corrupt, 0);
	cspool_close(sp);
	/* read to the end: nothing left over */
	sp = cspool_open(dir, 1 << 20);
	cspool_get_stats(sp, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.segments, 0);
	cspool_close(sp);
}
END_TEST

START_TEST(spool_full_drops_oldest)
{
	struct cspool		*sp;
	struct cspool_stats	 st;
	int			 got[2000], i, n;

	sp = cspool_open(dir, 65536);
	for (i = 0; i < 2000; i++)
		put(sp, i);
	cspool_commit(sp);
	cspool_get_stats(sp, &st);
	ck_assert_uint_le(st.bytes, 65536);
	ck_assert_uint_gt(st.dropped, 0);
	ck_assert_uint_eq(st.records + st.dropped, 2000);
	n = drain(sp, got, 2000);
	ck_assert_int_eq((uint64_t)n, st.records);
	ck_assert_int_eq(got[n - 1], 1999);
	for (i = 1; i < n; i++)
		ck_assert_int_eq(got[i], got[i - 1] + 1);
	ck_assert_int_eq(got[0], (int)st.dropped);
	cspool_close(sp);
}
END_TEST

START_TEST(spool_bad_records_skipped)
{
	struct cspool		*sp;
	struct cspool_stats	 st;
	struct stat		 sb;
	char			 p0[PATH_MAX], p1[PATH_MAX], c;
	int			 got[2000], i, n, fd, per;

	/* segments of 4 KiB: about 50 records each */
	sp = cspool_open(dir, 65536);
	for (i = 0; i < 300; i++)
		put(sp, i);
	cspool_close(sp);
	ck_assert_int_eq(seg(0, p0, sizeof(p0)), 0);
	ck_assert_int_eq(seg(1, p1, sizeof(p1)), 0);
	ck_assert_int_eq(stat(p0, &sb), 0);
	per = (int)(sb.st_size / REC);
	ck_assert_int_eq(per * REC, sb.st_size);
	/* one byte of the 3rd record of segment 0 changed */
	fd = open(p0, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, 2 * REC + 60), 1);
	c ^= 0x20;
	ck_assert_int_eq(pwrite(fd, &c, 1, 2 * REC + 60), 1);
	close(fd);
	/* segment 1 cut in its last record */
	ck_assert_int_eq(stat(p1, &sb), 0);
	ck_assert_int_eq(truncate(p1, sb.st_size - 3), 0);

	sp = cspool_open(dir, 65536);
	ck_assert_ptr_nonnull(sp);
	cspool_get_stats(sp, &st);
	ck_assert_uint_eq(st.corrupt, 2);
	ck_assert_uint_eq(st.records, 300 - (per - 2) - 1);
	n = drain(sp, got, 2000);
	ck_assert_int_eq(n, 300 - (per - 2) - 1);
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(got[2], per);		/* segment 1 */
	ck_assert_int_eq(got[per], 2 * per - 2);
	ck_assert_int_eq(got[per + 1], 2 * per);	/* its last lost */
	ck_assert_int_eq(got[n - 1], 299);
	cspool_close(sp);
}
END_TEST

START_TEST(spool_not_a_directory)
{
	char	 p[PATH_MAX];
	int	 fd;

	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ck_assert_ptr_null(cspool_open(p, 65536));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cluster_spool");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, spool_order_and_reopen);
	tcase_add_test(tc, spool_full_drops_oldest);
	tcase_add_test(tc, spool_bad_records_skipped);
	tcase_add_test(tc, spool_not_a_directory);
	suite_add_tcase(s, tc);
	return check_run(s);
}
