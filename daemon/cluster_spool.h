/*
 * cluster_spool.h - the bounded on-disk spool of cluster mode: records
 * the cluster could not publish while NATS was away (subject, Nats-Msg-Id
 * and JSON body), kept in order in append-only segment files under one
 * directory, read back in the same order when NATS is back, and across a
 * restart.  Each record carries a CRC-32C; a record that fails it, or is
 * cut short, is reported and the rest of its file skipped.  When the
 * spool is full the oldest segment goes (its records counted as
 * dropped).  Plain files, no loop and no NATS: the cluster's publisher
 * thread is the only caller, so nothing here ever runs on the loop.
 */
#ifndef SNMPMGRD_CLUSTER_SPOOL_H
#define SNMPMGRD_CLUSTER_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct cspool;

struct cspool_stats {
	uint64_t	 records;	/* waiting on disk */
	uint64_t	 bytes;		/* their size in the files */
	uint64_t	 segments;	/* files */
	uint64_t	 written;	/* records appended since start */
	uint64_t	 replayed;	/* records read back and consumed */
	uint64_t	 dropped;	/* oldest records dropped (full) */
	uint64_t	 corrupt;	/* bad or cut-short records met */
	uint64_t	 write_errors;	/* records that could not be written */
};

/* One record as read back; the strings are NUL-terminated and valid
 * until the next cspool_read. */
struct cspool_rec {
	const char	*subj;
	const char	*id;
	const char	*data;
	size_t		 len;
};

/* Open (make) directory dir, at most max_size bytes of records; what an
 * earlier run left there is scanned and waits to be read.  NULL when the
 * directory cannot be made or read (logged). */
struct cspool	*cspool_open(const char *dir, uint64_t max_size);
/* Sync and close.  NULL is fine. */
void		 cspool_close(struct cspool *sp);

/* Append one record (buffered until cspool_commit).  When the spool is
 * full the oldest segments are dropped first.  0, or -1 (counted). */
int		 cspool_append(struct cspool *sp, const char *subj,
		    const char *id, const char *data, size_t len);
/* Write and sync what was appended.  0 or -1 (logged, counted). */
int		 cspool_commit(struct cspool *sp);

#define CSPOOL_MAX_READ	256	/* records one read gives, at most */

/* Read up to max records from the oldest on, without consuming them;
 * the number read (0: none waiting).  recs[i] stay valid until the next
 * call. */
size_t		 cspool_read(struct cspool *sp, struct cspool_rec *recs,
		    size_t max);
/* The first n records of the last read are published: forget them
 * (the position is kept in the directory, so a restart goes on from
 * there). */
void		 cspool_consume(struct cspool *sp, size_t n);

void		 cspool_get_stats(const struct cspool *sp,
		    struct cspool_stats *st);

#endif /* SNMPMGRD_CLUSTER_SPOOL_H */
