/*
 * journal_int.h - what the two halves of the trap journal share: the
 * journal itself and a running query, and the few helpers each half
 * offers the other.  journal.c writes (files, rotation, the writer
 * thread, appends); journal_query.c reads (journal_query() and its
 * threads).  Not for use outside journal*.c; journal.h is the module's
 * interface.
 */
#ifndef SNMPMGRD_JOURNAL_INT_H
#define SNMPMGRD_JOURNAL_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "log.h"
#include "render.h"

struct event;

struct journal_query {
	TAILQ_ENTRY(journal_query) entry;
	struct journal		*j;
	pthread_t		 th;
	atomic_int		 cancelled;
	int			 finished;	/* under j->lock */

	struct journal_filter	 f;
	uint64_t		 upto;		/* appended when it began */
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
/*
 * The loop gathers: journal_flush() hands `fill` over only once it holds
 * JOURNAL_GATHER_BYTES or its oldest record is JOURNAL_GATHER_US old (a
 * loop timer hands over what is left), so the lock is taken and the
 * writer woken once per hand-over, about once a millisecond at high
 * trap rates instead of once per received batch, and the writer writes
 * whatever it is handed at once.
 */
#define JOURNAL_GATHER_BYTES	(256 * 1024)
#define JOURNAL_GATHER_US	1000

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
	uint64_t		 fill_since_us;	/* oldest record in fill,
						 * 0: none */
	struct event		*ev_gather;	/* hands fill over */
	struct event		*ev_wake;
	int			 efd;
	struct log_repeat	 rep_write;
	struct log_repeat	 rep_sync;
	struct log_repeat	 rep_full;

	/* Shared with the writer, under lock. */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* wakes the writer */
	pthread_cond_t		 written;	/* done_seq moved */
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
	uint64_t		 writes;
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

/* journal.c */
char		*journal_name(const struct journal *j, uint32_t n);
void		 journal_signal_loop(struct journal *j);

/* journal_query.c */
void		 journal_query_free(struct journal_query *q);
void		 journal_query_reap(struct journal *j, struct journal_query *q);

#endif /* SNMPMGRD_JOURNAL_INT_H */
