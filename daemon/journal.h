/*
 * journal.h - the trap journal: an append-only file of JSON lines, one
 * record per accepted trap or inform, bounded in size and rotated, with a
 * choice of how hard each record is pushed to the disk.
 *
 * Writing.  journal_append() adds a record to an in-memory batch;
 * journal_flush() hands the batch to the journal's writer thread, which
 * writes it with one write(2) while the event loop goes on receiving: a
 * slow or busy disk never stops intake (up to JOURNAL_MAX_PENDING bytes
 * waiting; past that, records are refused and counted as lost).  Every
 * record gets a sequence number: the journal's byte count (over its whole
 * life, not per file) at the record's end.  A record is "settled" once the
 * policy below is satisfied, and the settle callback says so on the event
 * loop, in order:
 *
 *   none      once written (in the page cache: it survives the daemon
 *             being killed, not a power cut)
 *   interval  the same; and an fdatasync every interval_ms (group commit)
 *             bounds what a power cut can take
 *   always    after an fdatasync that covers it; one sync covers every
 *             record written before it (group commit)
 *
 * A record whose write or sync failed is settled as failed.
 *
 * Rotation.  Before a record would carry the current file past max_size,
 * the file is renamed PATH.1 (PATH.1 becomes PATH.2 and so on; PATH.keep
 * is deleted) and a new PATH is started, so the journal never holds more
 * than (keep + 1) * max_size bytes (a single record larger than max_size
 * would get a file of its own and break that bound: the config keeps
 * max_size at JOURNAL_MIN_MAX_SIZE or more, see there).  PATH.n files
 * past keep (a lowered keep leaves them) are deleted at open, reload and
 * rotation.  A file whose last line was cut short (a crash,
 * kill -9 or a power cut in the middle of a write) is repaired when it is
 * opened: the torn tail is copied to PATH.torn-YYYYMMDDTHHMMSSZ (synced,
 * so nothing is lost) and cut from the journal; if that fails the tail
 * stays and is ended with a newline before anything is appended.
 *
 * Reading.  journal_query() scans the files in a thread of its own, so a
 * reader never blocks intake; files are opened when the query starts and
 * the current file is read only up to what was written then.  The result
 * is the last `limit` matching records, oldest first.  A line that is not
 * one JSON object (a torn record, junk) is counted in `skipped` and never
 * takes a place under the limit.
 */
#ifndef SNMPMGRD_JOURNAL_H
#define SNMPMGRD_JOURNAL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;
struct journal;
struct journal_query;

enum journal_fsync {
	JOURNAL_FSYNC_NONE	= 0,
	JOURNAL_FSYNC_INTERVAL	= 1,
	JOURNAL_FSYNC_ALWAYS	= 2,
};

/* Bytes appended but not yet written that the journal holds at most. */
#define JOURNAL_MAX_PENDING		(64 * 1024 * 1024)
/*
 * The smallest max_size the config takes: larger than any record, so no
 * record needs a file of its own and the journal keeps its bound of
 * (keep + 1) * max_size bytes.  The largest record is under half of it:
 * a message of at most 65507 octets holds at most 2048 varbinds
 * (SNMPMGR_MAX_VARBINDS) of at least 6 octets of headers each; a varbind
 * renders as at most 64 characters of its own plus 5 per octet of its
 * name and value (an OID arc of one octet, "127.", the worst; text, hex,
 * numbers and addresses take less), so the varbinds take at most
 * 2048 * 64 + 5 * 65507 = 458,607 bytes, and the rest of the record
 * (addresses, community as hex, engine IDs, names, trap OID) a few KiB.
 * With MIB names on, each varbind may also carry a name, index, enum
 * label and DISPLAY-HINT text: thousands of tiny varbinds in a table with
 * long names could in theory pass 1 MiB; such a record still gets a file
 * of its own (conf(5) says so) rather than being lost.
 */
#define JOURNAL_MIN_MAX_SIZE		(1024 * 1024)
/* Group-commit period of the interval policy when none is given. */
#define JOURNAL_DEFAULT_INTERVAL_MS	1000
/* Queries running at once; more fail with 307 busy. */
#define JOURNAL_MAX_QUERIES		4
/* Records one query returns at most. */
#define JOURNAL_MAX_LIMIT		10000
/* Longest record a query reads back (longer lines are skipped). */
#define JOURNAL_MAX_LINE		(4 * 1024 * 1024)
/* String fields one query may match on: trap.list's five (source,
 * trap_oid, type, version, user) at once. */
#define JOURNAL_MAX_MATCH		5

struct journal_opts {
	const char	*path;		/* borrowed for journal_new */
	uint64_t	 max_size;	/* bytes per file */
	uint32_t	 keep;		/* rotated files kept */
	enum journal_fsync fsync;
	uint32_t	 interval_ms;	/* 0 = JOURNAL_DEFAULT_INTERVAL_MS */
};

struct journal_stats {
	uint64_t	 records;	/* appended since start */
	uint64_t	 bytes;		/* written since start */
	uint64_t	 file_size;	/* of the current file */
	uint64_t	 rotations;
	uint64_t	 writes;	/* writer passes that wrote records */
	uint64_t	 syncs;		/* fdatasync calls completed */
	uint64_t	 write_errors;	/* batches not (fully) written */
	uint64_t	 records_lost;	/* refused (pending full) or failed */
	uint64_t	 sync_errors;
	uint64_t	 queries;
	uint64_t	 pending;	/* bytes waiting for the writer */
	uint64_t	 settled;	/* sequence: settled */
};

/* Records with sequence numbers from < seq <= to. */
struct journal_range {
	uint64_t	 from;
	uint64_t	 to;
};

/*
 * Called on the event loop when records are settled: every record with a
 * sequence number up to `upto` is, and those in the failed ranges (n of
 * them, valid during the call) were not written or not synced.
 */
typedef void	 journal_settled_cb(void *arg, uint64_t upto,
		    const struct journal_range *failed, size_t nfailed);

/*
 * Open (creating it and its directory when missing) the journal at
 * o->path.  cb may be NULL.  NULL with errno and the reason logged.
 */
struct journal	*journal_new(struct event_base *base,
		    const struct journal_opts *o, journal_settled_cb *cb,
		    void *arg);
/* Write what is pending, sync unless the policy is none, stop the threads
 * (running queries are cancelled; no more callbacks), close.  NULL is
 * fine. */
void		 journal_free(struct journal *j);

/*
 * Apply new options to a running journal (a reload): what was appended is
 * written (and synced, unless the old policy is none) under the old
 * options first, then the size, keep and fsync settings change and, when
 * o->path differs, the journal goes on in the new file (opened, its
 * directory made, as journal_new does).  Sequence numbers go on counting,
 * so records appended before and after settle as usual.  Waits for the
 * writer on the calling thread.  0, or -1 with errno (the reason logged)
 * when the new file cannot be opened: then nothing changed.
 */
int		 journal_reconfigure(struct journal *j,
		    const struct journal_opts *o);

/* "none", "interval", "always"; -1 for another word. */
int		 journal_fsync_from_name(const char *s, enum journal_fsync *f);
const char	*journal_fsync_name(enum journal_fsync f);

/*
 * Append one record: len octets of JSON text without a newline (the
 * journal adds it).  *seq (may be NULL) gets its sequence number.  0, or
 * -1 when the record is refused (out of memory, or JOURNAL_MAX_PENDING
 * bytes already wait for the writer): it is counted as lost and will not
 * be settled.
 */
int		 journal_append(struct journal *j, const char *rec, size_t len,
		    uint64_t *seq);
/*
 * Hand what was appended to the writer.  Never blocks on the disk.  Small
 * batches are gathered on the loop for up to a millisecond (or 256 KiB)
 * first: a loop timer hands over what no later flush did, so the writer
 * is woken about once a millisecond under load.  journal_flush_now()
 * hands over at once.
 */
void		 journal_flush(struct journal *j);
void		 journal_flush_now(struct journal *j);
/* The sequence number settled so far (as the last callback said). */
uint64_t	 journal_settled(const struct journal *j);
enum journal_fsync journal_policy(const struct journal *j);
const char	*journal_path(const struct journal *j);
void		 journal_get_stats(const struct journal *j,
		    struct journal_stats *st);

/* How a record's string field is compared with a query's value. */
enum journal_match_mode {
	JOURNAL_MATCH_EXACT	= 0,
	JOURNAL_MATCH_OID	= 1,	/* equal, or the OID lies under it */
};

/* The field key matches, or failing that one of alt[] ("" for none):
 * one filter over fields that name one thing in different records. */
struct journal_match {
	char			 key[32];
	char			 alt[2][32];
	char			 value[1400];
	enum journal_match_mode	 mode;
};

/*
 * What a query selects.  since/until: "time" values in the records'
 * format (YYYY-MM-DDTHH:MM:SS.ffffffZ), compared as text; "" for no
 * bound.  since_epoch lets whole rotated files older than since be
 * skipped (0 for none).  Each match names a top-level string field that
 * must be present and match.
 */
struct journal_filter {
	char			 since[40];
	char			 until[40];
	time_t			 since_epoch;
	struct journal_match	 match[JOURNAL_MAX_MATCH];
	size_t			 nmatch;
	size_t			 limit;		/* 1..JOURNAL_MAX_LIMIT */
};

/* What a query found.  The lines are valid JSON objects, oldest first. */
struct journal_result {
	char		**lines;
	size_t		*lens;
	size_t		 n;
	uint64_t	 matched;	/* before the limit was applied */
	uint64_t	 scanned;	/* records read */
	uint64_t	 skipped;	/* lines that were not valid records */
	int		 error;		/* 0, or errno of a failed read */
};

/* Called on the event loop, once, unless the query was cancelled. */
typedef void	 journal_query_cb(const struct journal_result *res,
		    void *arg);

/*
 * Start a query in a thread of its own; the filter is copied.  NULL with
 * errno (EBUSY when JOURNAL_MAX_QUERIES run already).
 */
struct journal_query *journal_query(struct journal *j,
		    const struct journal_filter *f, journal_query_cb *cb,
		    void *arg);
/* Its callback will not be called; the journal frees it. */
void		 journal_query_cancel(struct journal_query *q);


#endif /* SNMPMGRD_JOURNAL_H */
