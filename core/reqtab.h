/*
 * reqtab.h - the table of a session manager's outstanding requests.
 *
 * Every outstanding request sits in a hash table keyed by its request ID
 * (found in O(1) when its response arrives) and, while it waits for an
 * answer, in a binary min-heap ordered by its next deadline (the earliest
 * found in O(1), inserted, moved and removed in O(log n)).  The table
 * knows nothing of sessions: a request embeds a struct reqtab_ent and the
 * session engine gets from the entry back to its request.  The table owns
 * its arrays, never the entries.
 */
#ifndef SNMPMGR_REQTAB_H
#define SNMPMGR_REQTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The part of a request the table uses; the caller sets id and deadline. */
struct reqtab_ent {
	struct reqtab_ent	*hnext;		/* hash chain */
	size_t			 hidx;		/* heap slot */
	int32_t			 id;		/* hash key */
	uint64_t		 deadline;	/* heap key */
	bool			 in_heap;
};

struct reqtab {
	struct reqtab_ent	**hash;		/* by ID */
	size_t			 hsize;		/* power of two */
	struct reqtab_ent	**heap;		/* by deadline */
	size_t			 hcap;
	size_t			 nheap;		/* entries on the heap */
};

/* An empty table of hsize (a power of two) hash slots.  0 or -1. */
int	 reqtab_init(struct reqtab *, size_t hsize);
/* Free the arrays (not the entries). */
void	 reqtab_release(struct reqtab *);

/* Double the hash slots when the heap holds as many entries.  0 or -1. */
int	 reqtab_hash_grow(struct reqtab *);
void	 reqtab_hash_insert(struct reqtab *, struct reqtab_ent *);
void	 reqtab_hash_remove(struct reqtab *, struct reqtab_ent *);
/* The entry of id, or NULL. */
struct reqtab_ent *reqtab_hash_find(const struct reqtab *, int32_t id);

/* Put e on the heap by its deadline.  0 or -1 (out of memory). */
int	 reqtab_heap_push(struct reqtab *, struct reqtab_ent *);
void	 reqtab_heap_remove(struct reqtab *, struct reqtab_ent *);
/* e's deadline changed. */
void	 reqtab_heap_update(struct reqtab *, struct reqtab_ent *);

/* The entry with the earliest deadline, or NULL when the heap is empty. */
static inline struct reqtab_ent *
reqtab_heap_first(const struct reqtab *t)
{
	return t->nheap > 0 ? t->heap[0] : NULL;
}

#endif /* SNMPMGR_REQTAB_H */
