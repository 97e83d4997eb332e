/*
 * cluster_rec.c - the records cluster mode publishes (cluster_rec.h):
 * one allocation each, the event's JSON dumped once into it.
 */
#include <config.h>		/* autoconf's */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster_rec.h"
#include "render.h"

/* Blocks made for the spare lists are rounded up to this, so that a
 * spare fits the next record though its values' lengths vary. */
#define PUBM_ROUND	256

/*
 * A record of len bytes of data, in one block with its subject and
 * Nats-Msg-Id (each NUL-ended), made in sp's first spare if it fits (sp
 * NULL: none); the data is the caller's to fill.
 */
static struct pubm *
pubm_make(struct pubm_spares *sp, const char *subj, const char *id,
    size_t len)
{
	struct pubm	*m = NULL;
	size_t		 ls = strlen(subj) + 1, li = strlen(id) + 1, need, cap;

	need = ls + li + len + 1;
	if (sp != NULL && sp->n > 0) {
		sp->n--;
		m = sp->v[sp->n].m;
		cap = sp->v[sp->n].cap;
		if (cap < need) {
			free(m);
			m = NULL;
		}
		/* The next one is written next: ask for it now. */
		if (sp->n > 0)
			PUBM_PREFETCH(sp->v[sp->n - 1].m, sp->v[sp->n - 1].cap,
			    1);
	}
	if (m == NULL) {
		cap = sp != NULL && need <= SIZE_MAX - PUBM_ROUND ?
		    (need + PUBM_ROUND - 1) / PUBM_ROUND * PUBM_ROUND : need;
		if ((m = malloc(sizeof(*m) + cap)) == NULL)
			return NULL;
	}
	memset(m, 0, sizeof(*m));
	m->cap = cap;
	m->subj = (char *)(m + 1);
	m->id = m->subj + ls;
	m->data = m->id + li;
	memcpy(m->subj, subj, ls);
	memcpy(m->id, id, li);
	m->subjlen = ls - 1;
	m->idlen = li - 1;
	m->data[len] = '\0';
	m->len = len;
	return m;
}

struct pubm *
pubm_alloc(const char *subj, const char *id, size_t len)
{
	return pubm_make(NULL, subj, id, len);
}

void
pubm_free(struct pubm *m)
{
	free(m);
}

void
pubm_spare_put(struct pubm_spares *sp, struct pubm *m, size_t max)
{
	pubm_spare_keep(sp, m, m->cap, max);
}

void
pubm_spare_keep(struct pubm_spares *sp, struct pubm *m, size_t cap,
    size_t max)
{
	struct pubm_spare *nv;

	if (sp->n >= max) {
		free(m);
		return;
	}
	if (sp->n == sp->room) {
		if ((nv = reallocarray(sp->v, max, sizeof(*nv))) == NULL) {
			free(m);
			return;
		}
		sp->v = nv;
		sp->room = max;
	}
	sp->v[sp->n].m = m;
	sp->v[sp->n].cap = cap;
	sp->n++;
}

void
pubm_spares_free(struct pubm_spares *sp)
{
	while (sp->n > 0)
		free(sp->v[--sp->n].m);
	free(sp->v);
	sp->v = NULL;
	sp->room = 0;
}

/*
 * The record of an event: its JSON dumped once, straight into the
 * record's block, with "node" and the extra member (`"slot":N`, or none)
 * spliced in before the closing brace; communities and members of those
 * names left out (then from a shallow copy: the event is not ours).
 */
struct pubm *
pubm_event(struct recbuf *rb, const char *subj, const char *id,
    const json_t *params, const char *node_json, const char *extra)
{
	static const char *const drop[] = { "community", "community_hex",
	    "node", "slot", "seq" };
	json_t		*tmp = NULL;
	const json_t	*src = params;
	size_t		 i, n;
	char		*nb;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		if (json_object_get(params, drop[i]) == NULL)
			continue;
		if (tmp == NULL && (tmp = json_copy((json_t *)params)) == NULL)
			return NULL;
		json_object_del(tmp, drop[i]);
		src = tmp;
	}
	for (;;) {
		n = json_dumpb(src, rb->buf, rb->cap, RENDER_JSON_DUMP);
		if (n <= rb->cap || n == 0)
			break;
		if ((nb = realloc(rb->buf, n + 1024)) == NULL) {
			n = 0;
			break;
		}
		rb->buf = nb;
		rb->cap = n + 1024;
	}
	json_decref(tmp);
	return pubm_text(subj, id, rb->buf, n, node_json, extra);
}

struct pubm *
pubm_text(const char *subj, const char *id, const char *text, size_t n,
    const char *node_json, const char *extra)
{
	return pubm_text_from(NULL, subj, id, text, n, node_json, extra);
}

struct pubm *
pubm_text_from(struct pubm_spares *sp, const char *subj, const char *id,
    const char *text, size_t n, const char *node_json, const char *extra)
{
	struct pubm	*m;
	size_t		 ln, lx;
	char		*p;

	if (n < 2 || text[0] != '{' || text[n - 1] != '}')
		return NULL;
	ln = strlen(node_json);
	lx = strlen(extra);
	/* {...} becomes {...,"node":N<extra>}; {} becomes {"node":N...}. */
	if ((m = pubm_make(sp, subj, id, n + ln + lx + 8)) == NULL)
		return NULL;
	p = m->data;
	memcpy(p, text, n - 1);
	p += n - 1;
	if (n > 2)
		*p++ = ',';
	memcpy(p, "\"node\":", 7);
	p += 7;
	memcpy(p, node_json, ln);
	p += ln;
	memcpy(p, extra, lx);
	p += lx;
	*p++ = '}';
	*p = '\0';
	m->len = (size_t)(p - m->data);
	return m;
}
