/*
 * cluster_rec.h - a record cluster mode publishes: subject, Nats-Msg-Id
 * and JSON body in one block, made from an event on the loop by dumping
 * its JSON once (no copy of the tree) with "node" and the record's extra
 * member spliced in.  Pure: no loop, no NATS, no locks.
 */
#ifndef SNMPMGRD_CLUSTER_REC_H
#define SNMPMGRD_CLUSTER_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* One record to publish: subject, Nats-Msg-Id and JSON (one block). */
struct pubm {
	char		*subj;
	char		*id;
	char		*data;
	size_t		 len;
	size_t		 subjlen, idlen; /* without their NULs */
	bool		 failed;	/* no PubAck: back in the queue */
	uint64_t	 token;		/* an inform's, to confirm; or 0 */
	size_t		 cap;		/* bytes of the block after this */
};

/*
 * Records done with, kept to be made again: a record is about a
 * kilobyte, past malloc's per-thread caches, and is freed by another
 * thread than the one that made it (the loop makes, the publishing
 * thread frees), which cost the loop 300 instructions and an arena lock
 * per record.  A stack of the blocks with their sizes, not a list
 * through them: taking one reads nothing of its block, which has left
 * the caches since it was published.  The owner locks as it needs.
 */
struct pubm_spares {
	struct pubm_spare {
		struct pubm	*m;
		size_t		 cap;	/* m->cap */
	}		*v;
	size_t		 n, room;	/* kept, v's room */
};
/*
 * Ask the caches for m's block, header and cap bytes after it (rw 0: to
 * be read, 1: written), at most PUBM_PREFETCH_MAX octets (a large record
 * would push out more than it brings): a record's block is cold when the
 * other thread comes to it, tens of milliseconds later.
 */
#define PUBM_PREFETCH_MAX	4096
#define PUBM_PREFETCH(m, cap, rw) do {					\
	const char *pf_ = (const char *)(m);				\
	size_t pf_n_ = sizeof(struct pubm) + (cap);			\
	const char *pf_end_ = pf_ + (pf_n_ < PUBM_PREFETCH_MAX ?	\
	    pf_n_ : PUBM_PREFETCH_MAX);					\
									\
	for (; pf_ < pf_end_; pf_ += 64)				\
		__builtin_prefetch(pf_, (rw));				\
} while (0)

/* Keep m (at most max kept; beyond, it is freed). */
void		 pubm_spare_put(struct pubm_spares *sp, struct pubm *m,
		    size_t max);
/* The same, m->cap given (not read from m). */
void		 pubm_spare_keep(struct pubm_spares *sp, struct pubm *m,
		    size_t cap, size_t max);
void		 pubm_spares_free(struct pubm_spares *sp);

/* The caller's buffer for dumping, reused from record to record. */
struct recbuf {
	char		*buf;
	size_t		 cap;
};

/* A record with room for len bytes of data (NUL-ended), or NULL. */
struct pubm	*pubm_alloc(const char *subj, const char *id, size_t len);
void		 pubm_free(struct pubm *m);

/*
 * The record of an event's params: its JSON (compact) with
 * "node":node_json and extra (e.g. `,"slot":7`, or "") before the closing
 * brace; "community", "community_hex", "node", "slot" and "seq" of params
 * left out.  NULL when out of memory.
 */
struct pubm	*pubm_event(struct recbuf *rb, const char *subj, const char *id,
		    const json_t *params, const char *node_json,
		    const char *extra);

/*
 * The record of an event already written as JSON text (len bytes, one
 * object, none of the members left out above): "node" and extra spliced
 * in before its closing brace.  NULL when out of memory or not an object.
 */
struct pubm	*pubm_text(const char *subj, const char *id, const char *text,
		    size_t len, const char *node_json, const char *extra);
/* The same in a spare of sp (NULL: none) if the first one is big enough
 * (else it is freed). */
struct pubm	*pubm_text_from(struct pubm_spares *sp, const char *subj,
		    const char *id, const char *text, size_t len,
		    const char *node_json, const char *extra);

#endif /* SNMPMGRD_CLUSTER_REC_H */
