/*
 * timeq.h - a queue of deadlines for very many timers whose memory has
 * gone cold between their turns.
 *
 * Each queued timer is a struct timeq_node inside its owner (the poll
 * scheduler's job); the queue hands back the node with the earliest
 * deadline.  Deadlines more than one bucket ahead wait in a wheel of
 * buckets (each an array of deadline and node, appended to); only the
 * deadlines below a moving horizon sit in a small 4-ary min-heap, filled
 * one bucket at a time as the earliest deadline reaches the horizon.  So
 * the heap holds what comes due in the next tens of milliseconds and its
 * sifting writes only into nodes about to fire, not into nodes last
 * touched a minute ago; a bucket is moved in one pass that prefetches the
 * nodes ahead of it.  The earliest deadline is always exact: every
 * deadline below the horizon is in the heap, every one at or past it in
 * the wheel.
 *
 * Pure: no clock of its own, no event loop.  Times are whatever unit the
 * caller uses (the scheduler's microseconds); the bucket width is 2^16 of
 * them.
 */
#ifndef SNMPMGRD_TIMEQ_H
#define SNMPMGRD_TIMEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kept inside the owner; zero (or timeq_node_init) means not queued.
 * The queue alone writes it. */
struct timeq_node {
	uint32_t	 slot;		/* heap slot or index in its bucket */
	uint16_t	 bucket;	/* in the wheel: which bucket */
	uint8_t		 where;		/* TIMEQ_* of timeq.c */
};

struct timeq;

/* NULL on allocation failure. */
struct timeq	*timeq_new(void);
/* Frees the queue, not the nodes.  NULL is fine. */
void		 timeq_free(struct timeq *q);

/*
 * Room for n nodes queued at once: with it, timeq_insert() cannot fail
 * (a bucket that cannot grow sends its node to the heap instead).
 * 0 or -1 (allocation failure: the room stays what it was).
 */
int		 timeq_reserve(struct timeq *q, size_t n);

void		 timeq_node_init(struct timeq_node *n);
bool		 timeq_queued(const struct timeq_node *n);
/* Queue n (not queued) with deadline at.  A queued n is left alone. */
void		 timeq_insert(struct timeq *q, struct timeq_node *n,
		    uint64_t at);
/* Take n off the queue; a node not queued is fine. */
void		 timeq_remove(struct timeq *q, struct timeq_node *n);
/*
 * The node with the earliest deadline (*at set to it, if at is not
 * NULL), left queued; NULL when the queue is empty.  Not const: it may
 * move a bucket into the heap.
 */
struct timeq_node *timeq_top(struct timeq *q, uint64_t *at);
/* Nodes queued. */
size_t		 timeq_count(const struct timeq *q);
/* Bytes the queue holds (its arrays, used or not), for tests. */
size_t		 timeq_bytes(const struct timeq *q);

#endif /* SNMPMGRD_TIMEQ_H */
