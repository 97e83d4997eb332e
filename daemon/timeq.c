/*
 * timeq.c - the deadline queue of timeq.h: a wheel of buckets beyond a
 * horizon, a 4-ary min-heap below it.
 *
 * Invariant: every node whose deadline is below near_end (a multiple of
 * the bucket width) is in the heap; the wheel holds only deadlines at or
 * past it, each in bucket (deadline / width) mod TQ_NBUCKETS, where a
 * deadline more than a round ahead waits through the rounds in between.
 * The heap may also hold later deadlines (a bucket that could not grow,
 * a horizon moved past them): fill() moves buckets in until the heap's
 * top is below the horizon, so the top is the earliest deadline of all.
 *
 * The scheduler this serves fires ~100,000 jobs a minute, each one a
 * cache miss away: with every job in one heap, each fired turn's sift
 * wrote the new slot into up to eight jobs last touched a minute before
 * (nine tenths of the heap's time).  Here a job's node is written when it
 * is queued (it was just fired: warm), when its bucket is moved into the
 * heap (one pass over an array, prefetching ahead) and in the small heap
 * (nodes due within about a bucket: warm since the move).
 */
#include <stdlib.h>
#include <string.h>

#include "timeq.h"

#define TQ_SHIFT	16			/* bucket width 2^16 */
#define TQ_WIDTH	((uint64_t)1 << TQ_SHIFT)
#define TQ_NBUCKETS	1024			/* a round: ~67 s of us */
#define TQ_PREFETCH	8			/* nodes ahead in a move */
#define HEAP_D		4

enum { TQ_NONE = 0, TQ_NEAR, TQ_FAR };

struct tq_ent {
	uint64_t		 at;
	struct timeq_node	*n;
};

struct tq_bucket {
	struct tq_ent		*e;
	uint32_t		 n;
	uint32_t		 cap;
};

struct timeq {
	struct tq_ent		*heap;
	size_t			 hn;
	size_t			 hcap;
	size_t			 nfar;		/* nodes in the wheel */
	uint64_t		 near_end;
	struct tq_bucket	 b[TQ_NBUCKETS];
};

struct timeq *
timeq_new(void)
{
	return calloc(1, sizeof(struct timeq));
}

void
timeq_free(struct timeq *q)
{
	size_t	 i;

	if (q == NULL)
		return;
	for (i = 0; i < TQ_NBUCKETS; i++)
		free(q->b[i].e);
	free(q->heap);
	free(q);
}

int
timeq_reserve(struct timeq *q, size_t n)
{
	struct tq_ent	*nh;
	size_t		 ncap;

	if (n <= q->hcap)
		return 0;
	for (ncap = q->hcap ? q->hcap : 64; ncap < n; ncap *= 2)
		;
	/* Not realloc: it would copy (and so make resident) all of the
	 * old room, while the heap uses a bucket's worth of it. */
	if ((nh = reallocarray(NULL, ncap, sizeof(*nh))) == NULL)
		return -1;
	if (q->hn > 0)
		memcpy(nh, q->heap, q->hn * sizeof(*nh));
	free(q->heap);
	q->heap = nh;
	q->hcap = ncap;
	return 0;
}

void
timeq_node_init(struct timeq_node *n)
{
	memset(n, 0, sizeof(*n));
}

bool
timeq_queued(const struct timeq_node *n)
{
	return n->where != TQ_NONE;
}

size_t
timeq_count(const struct timeq *q)
{
	return q->hn + q->nfar;
}

size_t
timeq_bytes(const struct timeq *q)
{
	size_t	 n = sizeof(*q) + q->hcap * sizeof(struct tq_ent), i;

	for (i = 0; i < TQ_NBUCKETS; i++)
		n += (size_t)q->b[i].cap * sizeof(struct tq_ent);
	return n;
}

/* ------------------------------------------------------------ the heap */

static void
heap_set(struct timeq *q, size_t i, struct tq_ent e)
{
	q->heap[i] = e;
	e.n->slot = (uint32_t)i;
}

static void
heap_up(struct timeq *q, size_t i)
{
	struct tq_ent	 e = q->heap[i];
	size_t		 parent;

	while (i > 0) {
		parent = (i - 1) / HEAP_D;
		if (q->heap[parent].at <= e.at)
			break;
		heap_set(q, i, q->heap[parent]);
		i = parent;
	}
	heap_set(q, i, e);
}

static void
heap_down(struct timeq *q, size_t i)
{
	struct tq_ent	 e = q->heap[i];
	size_t		 c, k, best, end;

	for (;;) {
		c = HEAP_D * i + 1;
		if (c >= q->hn)
			break;
		end = c + HEAP_D < q->hn ? c + HEAP_D : q->hn;
		for (best = c, k = c + 1; k < end; k++)
			if (q->heap[k].at < q->heap[best].at)
				best = k;
		if (e.at <= q->heap[best].at)
			break;
		heap_set(q, i, q->heap[best]);
		i = best;
	}
	heap_set(q, i, e);
}

/* The caller reserved room for every node: this cannot fail. */
static void
heap_push(struct timeq *q, struct timeq_node *n, uint64_t at)
{
	n->where = TQ_NEAR;
	heap_set(q, q->hn++, (struct tq_ent){ at, n });
	heap_up(q, n->slot);
}

static void
heap_remove(struct timeq *q, struct timeq_node *n)
{
	size_t		 i = n->slot;
	struct tq_ent	 last;

	last = q->heap[--q->hn];
	if (last.n == n)
		return;
	heap_set(q, i, last);
	if (i > 0 && q->heap[(i - 1) / HEAP_D].at > last.at)
		heap_up(q, i);
	else
		heap_down(q, i);
}

/* ----------------------------------------------------------- the wheel */

static size_t
bucket_of(uint64_t at)
{
	return (size_t)(at >> TQ_SHIFT) & (TQ_NBUCKETS - 1);
}

/* 0, or -1 when the bucket cannot grow. */
static int
wheel_add(struct timeq *q, struct timeq_node *n, uint64_t at)
{
	size_t			 bi = bucket_of(at);
	struct tq_bucket	*b = &q->b[bi];
	struct tq_ent		*ne;
	uint32_t		 ncap;

	if (b->n == b->cap) {
		ncap = b->cap ? b->cap * 2 : 32;
		if (ncap < b->cap ||
		    (ne = reallocarray(b->e, ncap, sizeof(*ne))) == NULL)
			return -1;
		b->e = ne;
		b->cap = ncap;
	}
	b->e[b->n] = (struct tq_ent){ at, n };
	n->where = TQ_FAR;
	n->bucket = (uint16_t)bi;
	n->slot = b->n++;
	q->nfar++;
	return 0;
}

static void
wheel_remove(struct timeq *q, struct timeq_node *n)
{
	struct tq_bucket	*b = &q->b[n->bucket];
	struct tq_ent		 last = b->e[--b->n];

	if (n->slot != b->n) {
		b->e[n->slot] = last;
		last.n->slot = n->slot;
	}
	q->nfar--;
	/* Emptied (a reload removed its sessions): its room goes now, not
	 * when the horizon passes, which an empty wheel never does. */
	if (b->n == 0) {
		free(b->e);
		b->e = NULL;
		b->cap = 0;
	}
}

/*
 * Move the bucket at the horizon into the heap and the horizon one
 * bucket on.  Deadlines of later rounds stay, in their order.
 */
static void
advance(struct timeq *q)
{
	struct tq_bucket	*b = &q->b[bucket_of(q->near_end)];
	uint64_t		 end = q->near_end + TQ_WIDTH;
	struct tq_ent		 e;
	uint32_t		 i, k = 0;

	for (i = 0; i < b->n; i++) {
		if (i + TQ_PREFETCH < b->n)
			__builtin_prefetch(b->e[i + TQ_PREFETCH].n, 1);
		e = b->e[i];
		if (e.at < end) {
			q->nfar--;
			heap_push(q, e.n, e.at);
		} else {
			if (k != i) {
				b->e[k] = e;
				e.n->slot = k;
			}
			k++;
		}
	}
	b->n = k;
	if (k == 0) {
		/* A bucket fills again a round later, or never: its room is
		 * not kept, or every bucket would come to hold the most it
		 * ever held (short intervals put all the nodes in a few
		 * buckets at a time, a different few as time goes on). */
		free(b->e);
		b->e = NULL;
		b->cap = 0;
	}
	q->near_end = end;
}

/* The earliest deadline in the wheel (nfar > 0): a pass over it all. */
static uint64_t
wheel_min(const struct timeq *q)
{
	uint64_t	 m = UINT64_MAX;
	size_t		 i;
	uint32_t	 k;

	for (i = 0; i < TQ_NBUCKETS; i++)
		for (k = 0; k < q->b[i].n; k++)
			if (q->b[i].e[k].at < m)
				m = q->b[i].e[k].at;
	return m;
}

/*
 * Make the heap's top the earliest deadline of all: move buckets in
 * until it is below the horizon.  After a round of buckets without one,
 * the horizon jumps to the earliest deadline's bucket (nothing is due
 * for a round: a few timers, far apart).
 */
static void
fill(struct timeq *q)
{
	size_t		 steps = 0;
	uint64_t	 m;

	while (q->nfar > 0 && (q->hn == 0 || q->heap[0].at >= q->near_end)) {
		if (++steps > TQ_NBUCKETS) {
			m = wheel_min(q);
			if (q->hn > 0 && q->heap[0].at < m)
				m = q->heap[0].at;
			q->near_end = m & ~(TQ_WIDTH - 1);
			steps = 0;
		}
		advance(q);
	}
}

/* ------------------------------------------------------------ the queue */

void
timeq_insert(struct timeq *q, struct timeq_node *n, uint64_t at)
{
	if (n->where != TQ_NONE)
		return;
	if (at < q->near_end || wheel_add(q, n, at) == -1)
		heap_push(q, n, at);
}

void
timeq_remove(struct timeq *q, struct timeq_node *n)
{
	if (n->where == TQ_NEAR)
		heap_remove(q, n);
	else if (n->where == TQ_FAR)
		wheel_remove(q, n);
	n->where = TQ_NONE;
}

struct timeq_node *
timeq_top(struct timeq *q, uint64_t *at)
{
	fill(q);
	if (q->hn == 0)
		return NULL;
	if (at != NULL)
		*at = q->heap[0].at;
	return q->heap[0].n;
}
