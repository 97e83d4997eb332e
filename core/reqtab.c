/*
 * reqtab.c - the hash by request ID and the min-heap by deadline that
 * hold a session manager's outstanding requests (reqtab.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "reqtab.h"

int
reqtab_init(struct reqtab *t, size_t hsize)
{
	t->heap = NULL;
	t->hcap = 0;
	t->nheap = 0;
	t->hsize = hsize;
	if ((t->hash = calloc(hsize, sizeof(*t->hash))) == NULL)
		return -1;
	return 0;
}

void
reqtab_release(struct reqtab *t)
{
	free(t->hash);
	free(t->heap);
	t->hash = NULL;
	t->heap = NULL;
}

/* ------------------------------------------------------------ heap */

static void
reqtab_heap_set(struct reqtab *t, size_t i, struct reqtab_ent *e)
{
	t->heap[i] = e;
	e->hidx = i;
}

static void
reqtab_heap_up(struct reqtab *t, size_t i)
{
	struct reqtab_ent *e = t->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (t->heap[parent]->deadline <= e->deadline)
			break;
		reqtab_heap_set(t, i, t->heap[parent]);
		i = parent;
	}
	reqtab_heap_set(t, i, e);
}

static void
reqtab_heap_down(struct reqtab *t, size_t i)
{
	struct reqtab_ent *e = t->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= t->nheap)
			break;
		if (child + 1 < t->nheap &&
		    t->heap[child + 1]->deadline < t->heap[child]->deadline)
			child++;
		if (e->deadline <= t->heap[child]->deadline)
			break;
		reqtab_heap_set(t, i, t->heap[child]);
		i = child;
	}
	reqtab_heap_set(t, i, e);
}

int
reqtab_heap_push(struct reqtab *t, struct reqtab_ent *e)
{
	struct reqtab_ent **n;
	size_t cap;

	if (t->nheap == t->hcap) {
		cap = t->hcap ? t->hcap * 2 : 64;
		if ((n = reallocarray(t->heap, cap, sizeof(*n))) == NULL)
			return -1;
		t->heap = n;
		t->hcap = cap;
	}
	reqtab_heap_set(t, t->nheap, e);
	t->nheap++;
	reqtab_heap_up(t, e->hidx);
	e->in_heap = true;
	return 0;
}

void
reqtab_heap_remove(struct reqtab *t, struct reqtab_ent *e)
{
	size_t i = e->hidx;
	struct reqtab_ent *last;

	e->in_heap = false;
	t->nheap--;
	if (i == t->nheap)
		return;
	last = t->heap[t->nheap];
	reqtab_heap_set(t, i, last);
	if (i > 0 && t->heap[(i - 1) / 2]->deadline > last->deadline)
		reqtab_heap_up(t, i);
	else
		reqtab_heap_down(t, i);
}

void
reqtab_heap_update(struct reqtab *t, struct reqtab_ent *e)
{
	reqtab_heap_up(t, e->hidx);
	reqtab_heap_down(t, e->hidx);
}

/* ------------------------------------------------------------ hash */

static size_t
reqtab_hash_slot(const struct reqtab *t, int32_t id)
{
	uint32_t h = (uint32_t)id;

	h ^= h >> 16;
	h *= 0x45d9f3bU;
	h ^= h >> 16;
	return h & (t->hsize - 1);
}

struct reqtab_ent *
reqtab_hash_find(const struct reqtab *t, int32_t id)
{
	struct reqtab_ent *e;

	for (e = t->hash[reqtab_hash_slot(t, id)]; e != NULL; e = e->hnext)
		if (e->id == id)
			return e;
	return NULL;
}

int
reqtab_hash_grow(struct reqtab *t)
{
	struct reqtab_ent **old = t->hash, *e, *next;
	size_t oldsize = t->hsize, i, slot;

	if (t->nheap < t->hsize)
		return 0;
	if ((t->hash = calloc(oldsize * 2, sizeof(*t->hash))) == NULL) {
		t->hash = old;
		return -1;
	}
	t->hsize = oldsize * 2;
	for (i = 0; i < oldsize; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->hnext;
			slot = reqtab_hash_slot(t, e->id);
			e->hnext = t->hash[slot];
			t->hash[slot] = e;
		}
	}
	free(old);
	return 0;
}

void
reqtab_hash_insert(struct reqtab *t, struct reqtab_ent *e)
{
	size_t slot = reqtab_hash_slot(t, e->id);

	e->hnext = t->hash[slot];
	t->hash[slot] = e;
}

void
reqtab_hash_remove(struct reqtab *t, struct reqtab_ent *e)
{
	struct reqtab_ent **pp;

	for (pp = &t->hash[reqtab_hash_slot(t, e->id)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			return;
		}
	}
}
