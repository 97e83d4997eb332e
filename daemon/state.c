/*
 * state.c - packed storage of poll results and per-session health
 * (state.h).
 *
 * A state_vals is two growing arrays: records (struct state_vb) and a byte
 * area holding, for each record, its OID arcs (4-byte aligned) followed by
 * its value bytes.  Appending copies; finishing sorts the records by OID
 * (walks usually arrive sorted, and that is checked as they come, so most
 * results are never sorted at all); lookups are binary searches.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/rate.h"

#include "mib.h"
#include "render.h"
#include "state.h"

#define ALIGN4(x)	(((x) + 3) & ~(size_t)3)

void
state_vals_init(struct state_vals *v)
{
	memset(v, 0, sizeof(*v));
	v->sorted = true;
}

void
state_vals_clear(struct state_vals *v)
{
	v->n = 0;
	v->len = 0;
	v->dead = 0;
	v->sorted = true;
	v->compact = false;
	v->names = NULL;
	v->nnames = 0;
}

void
state_vals_free(struct state_vals *v)
{
	free(v->vb);
	free(v->data);
	free(v->rates);
	state_vals_init(v);
}

/* The rates of up to cap objects in one allocation: the header, the
 * doubles, the status bytes. */
static size_t
rates_size(size_t cap)
{
	return sizeof(struct state_rates) + cap * (sizeof(double) + 1);
}

int
state_rates_prepare(struct state_vals *v, size_t n)
{
	struct state_rates	*r = v->rates;

	if (n > SNMPMGR_MAX_POLL_OBJECTS) {
		free(r);
		v->rates = NULL;
		return -1;
	}
	if (r == NULL || n > r->cap) {
		/* The values of a poll keep their number from run to run:
		 * exact, no spare room. */
		if ((r = realloc(v->rates, rates_size(n))) == NULL) {
			free(v->rates);
			v->rates = NULL;
			return -1;
		}
		if (v->rates == NULL)
			memset(r, 0, sizeof(*r));
		r->cap = (uint32_t)n;
		r->st = (uint8_t *)(r->rate + n);
		v->rates = r;
	}
	if (n > 0)
		memset(r->st, RATE_NONE, n);
	r->n = (uint32_t)n;
	return 0;
}

void
state_vals_swap(struct state_vals *a, struct state_vals *b)
{
	struct state_vals	 t = *a;

	*a = *b;
	*b = t;
}

void
state_vals_rename(struct state_vals *v, const struct oid *names)
{
	if (v->names != NULL)
		v->names = names;
}

size_t
state_vals_memory(const struct state_vals *v)
{
	size_t	 n = v->cap * sizeof(*v->vb) + v->datacap;

	if (v->rates != NULL)
		n += rates_size(v->rates->cap);
	return n;
}

int
state_oid_cmp(const uint32_t *arcs, size_t n, const struct oid *o)
{
	size_t	 i, m = n < o->len ? n : o->len;

	for (i = 0; i < m; i++)
		if (arcs[i] != o->arcs[i])
			return arcs[i] < o->arcs[i] ? -1 : 1;
	if (n == o->len)
		return 0;
	return n < o->len ? -1 : 1;
}

static int
packed_cmp(const uint8_t *data, const struct state_vb *a,
    const struct state_vb *b)
{
	const uint32_t	*x = (const uint32_t *)(data + a->off);
	const uint32_t	*y = (const uint32_t *)(data + b->off);
	size_t		 i, m = a->oidlen < b->oidlen ? a->oidlen : b->oidlen;

	for (i = 0; i < m; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	if (a->oidlen == b->oidlen)
		return 0;
	return a->oidlen < b->oidlen ? -1 : 1;
}

/* Room for need elements; the first allocation is exact (most results
 * keep their size from run to run), later ones double. */
static int
grow(void **p, uint32_t *cap, size_t need, size_t elem)
{
	size_t	 ncap;
	void	*np;

	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX)
		return -1;
	ncap = *cap == 0 ? need : (size_t)*cap * 2;
	if (ncap < need)
		ncap = need;
	if (ncap > UINT32_MAX)
		ncap = UINT32_MAX;
	if ((np = reallocarray(*p, ncap, elem)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Append n objects, their arcs stored unless named. */
static int
vals_append(struct state_vals *v, const struct snmp_varbind *vb, size_t n,
    bool named)
{
	struct state_vb	*r;
	size_t		 i, need = v->len, arcs;
	uint8_t		*p;

	if (n == 0)
		return 0;
	if (v->n + n > SNMPMGR_MAX_POLL_OBJECTS)
		return -1;
	for (i = 0; i < n; i++) {
		if (vb[i].value.len > UINT16_MAX ||
		    vb[i].name.len > SNMPMGR_MAX_OID_LEN)
			return -1;
		need = ALIGN4(need + (named ? 0 : (size_t)vb[i].name.len * 4) +
		    (vb[i].value.data != NULL ? vb[i].value.len : 0));
	}
	if (need > UINT32_MAX ||
	    grow((void **)&v->vb, &v->cap, v->n + n, sizeof(*v->vb)) == -1 ||
	    (need > 0 && grow((void **)&v->data, &v->datacap, need, 1) == -1))
		return -1;
	for (i = 0; i < n; i++) {
		r = &v->vb[v->n];
		arcs = named ? 0 : vb[i].name.len;
		r->off = (uint32_t)v->len;
		r->oidlen = (uint8_t)arcs;
		r->type = vb[i].value.type;
		r->len = vb[i].value.data != NULL ?
		    (uint16_t)vb[i].value.len : 0;
		r->u = vb[i].value.u;
		p = v->data + v->len;
		if (arcs > 0)
			memcpy(p, vb[i].name.arcs, arcs * 4);
		if (r->len > 0)
			memcpy(p + arcs * 4, vb[i].value.data, r->len);
		v->len = ALIGN4(v->len + arcs * 4 + r->len);
		if (!named && v->sorted && v->n > 0 &&
		    packed_cmp(v->data, &v->vb[v->n - 1], r) >= 0)
			v->sorted = false;
		v->n++;
	}
	return 0;
}

int
state_vals_add(struct state_vals *v, const struct snmp_varbind *vb, size_t n)
{
	if (v->names != NULL)
		return -1;
	return vals_append(v, vb, n, false);
}

/*
 * A named set without value bytes as value words and types (state_vals'
 * compact): 9 bytes an object instead of a 16-byte record.  The byte
 * area is reused from run to run; the records are given back.
 */
static int
vals_set_compact(struct state_vals *v, const struct snmp_varbind *vb,
    const struct snmp_vbraw *raw, size_t n)
{
	const struct snmp_value *val;
	uint64_t	*u;
	size_t		 i;

	if (grow((void **)&v->data, &v->datacap, n * (sizeof(*u) + 1),
	    1) == -1)
		return -1;
	free(v->vb);
	v->vb = NULL;
	v->cap = 0;
	u = (uint64_t *)(void *)v->data;
	for (i = 0; i < n; i++) {
		val = vb != NULL ? &vb[i].value : &raw[i].value;
		u[i] = val->u;
		v->data[n * sizeof(*u) + i] = val->type;
	}
	v->n = (uint32_t)n;
	v->len = (uint32_t)(n * (sizeof(*u) + 1));
	v->compact = true;
	return 0;
}

/* The set replaced by n values, compact, named names: 0 or -1 (empty). */
static int
vals_set_named(struct state_vals *v, const struct snmp_varbind *vb,
    const struct snmp_vbraw *raw, size_t n, const struct oid *names,
    size_t nnames)
{
	state_vals_clear(v);
	if (vals_set_compact(v, vb, raw, n) == -1) {
		state_vals_clear(v);
		return -1;
	}
	v->names = names;
	v->nnames = nnames;
	return 0;
}

int
state_vals_set_get(struct state_vals *v, const struct snmp_varbind *vb,
    size_t n, const struct oid *names, size_t nnames)
{
	bool	 named = n == nnames, bytes = false;
	size_t	 i;

	for (i = 0; named && i < n; i++) {
		if (!oid_eq(&vb[i].name, &names[i]))
			named = false;
		if (vb[i].value.data != NULL)
			bytes = true;
	}
	if (named && !bytes && n > 0)
		return vals_set_named(v, vb, NULL, n, names, nnames);
	state_vals_clear(v);
	if (vals_append(v, vb, n, named) == -1) {
		state_vals_clear(v);
		return -1;
	}
	if (named) {
		v->names = names;
		v->nnames = nnames;
	} else
		state_vals_finish(v);
	return 0;
}

int
state_vals_set_asked(struct state_vals *v, const struct snmp_vbraw *raw,
    size_t n, const struct oid *names, size_t nnames)
{
	size_t	 i;

	if (n == 0 || n != nnames)
		return 1;
	for (i = 0; i < n; i++)
		if (!raw[i].asked || raw[i].value.data != NULL)
			return 1;
	return vals_set_named(v, NULL, raw, n, names, nnames);
}

/* By OID, then in the order appended (offsets grow), so that the last
 * of equal OIDs, the one state_vals_finish() keeps, is the latest. */
static int
qsort_cmp(const void *a, const void *b, void *data)
{
	const struct state_vb	*x = a, *y = b;
	int			 c;

	if ((c = packed_cmp(data, x, y)) != 0)
		return c;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The bytes of data record r takes. */
static size_t
rec_size(const struct state_vb *r)
{
	return ALIGN4((size_t)r->oidlen * 4 + r->len);
}

/* Sort the records from index from on, keeping one of each OID. */
static void
vals_sort_from(struct state_vals *v, size_t from)
{
	size_t	 i, o;

	if (v->n <= from)
		return;
	qsort_r(v->vb + from, v->n - from, sizeof(*v->vb), qsort_cmp,
	    v->data);
	for (i = from + 1, o = from + 1; i < v->n; i++) {
		if (packed_cmp(v->data, &v->vb[o - 1], &v->vb[i]) == 0) {
			v->dead += (uint32_t)rec_size(&v->vb[o - 1]);
			v->vb[o - 1] = v->vb[i];
			continue;
		}
		v->vb[o++] = v->vb[i];
	}
	v->n = o;
}

void
state_vals_finish(struct state_vals *v)
{
	if (v->sorted || v->names != NULL)
		return;
	vals_sort_from(v, 0);
	v->sorted = true;
}

/* Index of o among the first n records of a sorted set, or -1. */
static ssize_t
vals_search(const struct state_vals *v, size_t n, const struct oid *o)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = state_oid_cmp((const uint32_t *)(v->data + v->vb[mid].off),
		    v->vb[mid].oidlen, o);
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

ssize_t
state_vals_find(const struct state_vals *v, const struct oid *o)
{
	size_t	 i;

	if (v->names != NULL) {
		/* A get's OIDs, as asked: few, and in the asker's order. */
		for (i = 0; i < v->n; i++)
			if (oid_cmp(&v->names[i], o) == 0)
				return (ssize_t)i;
		return -1;
	}
	return vals_search(v, v->n, o);
}

void
state_vals_value(const struct state_vals *v, size_t i, struct snmp_value *out,
    size_t *oidlen)
{
	const struct state_vb	*r;

	if (v->compact) {
		out->type = v->data[(size_t)v->n * sizeof(uint64_t) + i];
		out->u = ((const uint64_t *)(const void *)v->data)[i];
		out->len = 0;
		out->data = NULL;
		*oidlen = v->names[i].len;
		return;
	}
	r = &v->vb[i];
	out->type = r->type;
	out->u = r->u;
	out->len = r->len;
	out->data = r->len > 0 ? v->data + r->off + (size_t)r->oidlen * 4 :
	    NULL;
	*oidlen = v->names != NULL ? v->names[i].len : r->oidlen;
}

void
state_vals_get(const struct state_vals *v, size_t i, struct snmp_varbind *out)
{
	const struct state_vb	*r;
	size_t			 oidlen;

	if (v->compact) {
		out->name = v->names[i];
		state_vals_value(v, i, &out->value, &oidlen);
		return;
	}
	r = &v->vb[i];

	if (v->names != NULL)
		out->name = v->names[i];
	else {
		out->name.len = r->oidlen;
		memcpy(out->name.arcs, v->data + r->off,
		    (size_t)r->oidlen * 4);
	}
	out->value.type = r->type;
	out->value.u = r->u;
	out->value.len = r->len;
	out->value.data = r->len > 0 ? v->data + r->off +
	    (size_t)r->oidlen * 4 : NULL;
}

int
state_vals_rate(const struct state_vals *v, size_t i, double *rate)
{
	if (v->rates == NULL || i >= v->rates->n)
		return RATE_NONE;
	if (v->rates->st[i] == RATE_OK)
		*rate = v->rates->rate[i];
	return v->rates->st[i];
}

/* Object i's name: in the set's names, or its arcs copied to *tmp (no
 * whole struct oid copied per object). */
static const struct oid *
vals_name(const struct state_vals *v, size_t i, struct oid *tmp)
{
	const struct state_vb	*r;

	if (v->names != NULL)
		return &v->names[i];
	r = &v->vb[i];
	tmp->len = r->oidlen;
	memcpy(tmp->arcs, v->data + r->off, (size_t)r->oidlen * 4);
	return tmp;
}

static void
vals_render_one(struct render_buf *b, struct render_oidcache *c,
    const struct state_vals *v, size_t i)
{
	struct snmp_value	 val;
	struct oid		 tmp;
	const char		*why;
	double			 rate;
	size_t			 oidlen;
	int			 st;

	state_vals_value(v, i, &val, &oidlen);
	render_object(b, c, vals_name(v, i, &tmp), &val);
	if ((st = state_vals_rate(v, i, &rate)) == RATE_NONE || b->failed)
		return;
	/* Drop the closing brace, add the rate or why there is none. */
	b->len--;
	if (st == RATE_OK) {
		render_adds(b, ",\"rate\":");
		render_double(b, rate);
	} else if ((why = rate_reason_name(st)) != NULL) {
		render_adds(b, ",\"discontinuity\":true,"
		    "\"discontinuity_reason\":\"");
		render_adds(b, why);
		render_add(b, "\"", 1);
	}
	render_add(b, "}", 1);
}

void
state_vals_render_one(struct render_buf *b, const struct state_vals *v,
    size_t i)
{
	vals_render_one(b, NULL, v, i);
}

void
state_vals_render(struct render_buf *b, const struct state_vals *v)
{
	state_vals_render_c(b, NULL, v);
}

void
state_vals_render_c(struct render_buf *b, struct render_oidcache *c,
    const struct state_vals *v)
{
	size_t			 i;

	/* Only a named set's names repeat from run to run. */
	if (v->names == NULL)
		c = NULL;
	if (c != NULL && v->compact && v->rates == NULL &&
	    !render_names_on()) {
		/* Value words, no rates, no MIB names: the short way. */
		render_words_cached(b, c, v->names, (const uint64_t *)(const
		    void *)v->data, v->data + (size_t)v->n * sizeof(uint64_t),
		    v->n);
		return;
	}
	render_add(b, "[", 1);
	for (i = 0; i < v->n; i++) {
		if (i > 0)
			render_add(b, ",", 1);
		vals_render_one(b, c, v, i);
	}
	render_add(b, "]", 1);
}

/* ------------------------------------------------------------ table rows */

/* What the row sort compares by (qsort has no argument). */
static const struct state_vals	*rows_v;
static size_t			 rows_elen;

/* Row index (the arcs after the column), then column. */
static int
rows_cmp(const void *a, const void *b)
{
	struct snmp_varbind	 x, y;
	size_t			 i, e = rows_elen + 1;

	state_vals_get(rows_v, *(const size_t *)a, &x);
	state_vals_get(rows_v, *(const size_t *)b, &y);
	for (i = e; i < x.name.len && i < y.name.len; i++)
		if (x.name.arcs[i] != y.name.arcs[i])
			return x.name.arcs[i] < y.name.arcs[i] ? -1 : 1;
	if (x.name.len != y.name.len)
		return x.name.len < y.name.len ? -1 : 1;
	if (x.name.arcs[rows_elen] != y.name.arcs[rows_elen])
		return x.name.arcs[rows_elen] < y.name.arcs[rows_elen] ? -1 : 1;
	return 0;
}

/* {"suffix": "1.3", "index": {...}, "values": { of a row's first cell. */
static void
rows_head(struct render_buf *b, const struct snmp_varbind *vb, size_t elen)
{
	struct mib_index_item	 items[16];
	const struct mib_node	*n;
	struct oid		 sfx;
	size_t			 plen;
	int			 ni, i;

	sfx.len = vb->name.len - elen - 1;
	memcpy(sfx.arcs, vb->name.arcs + elen + 1, sfx.len * sizeof(uint32_t));
	render_adds(b, "{\"suffix\":");
	render_oid(b, &sfx);
	n = mib_lookup(mib_current(), &vb->name, &plen);
	if (n != NULL && plen == elen + 1 && (ni = mib_index_decode(n,
	    &vb->name, plen, items, sizeof(items) / sizeof(items[0]))) > 0) {
		render_adds(b, ",\"index\":{");
		for (i = 0; i < ni; i++) {
			if (i > 0)
				render_add(b, ",", 1);
			render_json_str(b, items[i].name,
			    strlen(items[i].name));
			render_add(b, ":", 1);
			if (items[i].numeric)
				render_u64(b, items[i].num);
			else if (render_is_text((const uint8_t *)items[i].text,
			    items[i].len))
				render_json_str(b, items[i].text, items[i].len);
			else
				render_hex_str(b, (const uint8_t *)
				    items[i].text, items[i].len);
		}
		render_add(b, "}", 1);
	}
	render_adds(b, ",\"values\":{");
}

void
state_vals_render_rows(struct render_buf *b, const struct state_vals *v,
    size_t elen, size_t *nrows)
{
	struct snmp_varbind	 vb, prev;
	const struct mib_node	*n;
	size_t			*idx, i, k = 0, plen;
	char			 arc[16];
	int			 len;

	*nrows = 0;
	if ((idx = calloc(v->n + 1, sizeof(*idx))) == NULL) {
		b->failed = true;
		return;
	}
	for (i = 0; i < v->n; i++) {
		state_vals_get(v, i, &vb);
		if (vb.name.len > elen + 1)
			idx[k++] = i;
	}
	rows_v = v;
	rows_elen = elen;
	qsort(idx, k, sizeof(*idx), rows_cmp);
	render_add(b, "[", 1);
	for (i = 0; i < k; i++) {
		state_vals_get(v, idx[i], &vb);
		if (i == 0 || vb.name.len != prev.name.len ||
		    memcmp(vb.name.arcs +
		    elen + 1, prev.name.arcs + elen + 1, (vb.name.len - elen -
		    1) * sizeof(uint32_t)) != 0) {
			if (i > 0)
				render_adds(b, "}},");
			rows_head(b, &vb, elen);
			(*nrows)++;
		} else
			render_add(b, ",", 1);
		n = mib_lookup(mib_current(), &vb.name, &plen);
		if (n != NULL && plen == elen + 1)
			render_json_str(b, mib_node_label(n),
			    strlen(mib_node_label(n)));
		else {
			len = snprintf(arc, sizeof(arc), "\"%u\"",
			    vb.name.arcs[elen]);
			render_add(b, arc, (size_t)len);
		}
		render_add(b, ":", 1);
		/* As in varbinds: with its rate, or why there is none. */
		vals_render_one(b, NULL, v, idx[i]);
		prev = vb;
	}
	if (k > 0)
		render_adds(b, "}}");
	render_add(b, "]", 1);
	free(idx);
}

/* ------------------------------------------------------------ errors */

void
state_err_set(struct state_err *e, int code, const char *detail,
    uint64_t time_ms)
{
	e->code = code;
	e->time_ms = time_ms;
	if (e->detail != NULL && detail != NULL &&
	    strcmp(e->detail, detail) == 0)
		return;		/* the same again: keep it */
	free(e->detail);
	e->detail = detail != NULL && *detail != '\0' ? strdup(detail) : NULL;
}

void
state_err_copy(struct state_err *dst, const struct state_err *src)
{
	state_err_set(dst, src->code, src->detail, src->time_ms);
}

void
state_err_free(struct state_err *e)
{
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

const char *
state_err_detail(const struct state_err *e)
{
	return e->detail != NULL ? e->detail : "";
}

/* ------------------------------------------------------------- polls */

void
state_poll_init(struct state_poll *sp)
{
	memset(sp, 0, sizeof(*sp));
	state_vals_init(&sp->vals);
	sp->work = NULL;
}

void
state_poll_work_free(struct state_poll *sp)
{
	if (sp->work == NULL)
		return;
	state_vals_free(sp->work);
	free(sp->work);
	sp->work = NULL;
}

struct state_vals *
state_poll_work(struct state_poll *sp)
{
	if (sp->work == NULL && (sp->work = malloc(sizeof(*sp->work))) !=
	    NULL)
		state_vals_init(sp->work);
	return sp->work;
}

void
state_poll_free(struct state_poll *sp)
{
	state_vals_free(&sp->vals);
	state_poll_work_free(sp);
	state_err_free(&sp->err);
}

void
state_poll_commit(struct state_poll *sp, uint64_t time_ms,
    uint64_t duration_us)
{
	if (sp->work != NULL) {
		state_vals_finish(sp->work);
		state_vals_swap(&sp->vals, sp->work);
	} else
		state_vals_free(&sp->vals);	/* nothing came */
	/* Only the latest result stays in memory between runs. */
	state_poll_work_free(sp);
	state_poll_done(sp, time_ms, duration_us);
}

void
state_poll_done(struct state_poll *sp, uint64_t time_ms,
    uint64_t duration_us)
{
	sp->time_ms = time_ms;
	sp->duration_us = duration_us;
	sp->have = true;
	sp->last_failed = false;
	sp->ok++;
}

void
state_poll_fail(struct state_poll *sp, int code, const char *detail,
    uint64_t time_ms)
{
	state_poll_work_free(sp);
	state_err_set(&sp->err, code, detail, time_ms);
	sp->last_failed = true;
	sp->failed++;
}

void
state_poll_reset(struct state_poll *sp)
{
	state_vals_free(&sp->vals);
	state_poll_work_free(sp);
	sp->have = false;
	sp->time_ms = 0;
	sp->duration_us = 0;
}

/* ------------------------------------------------------------ store */

/* Copy a finished set into a fresh one when replaced values (older
 * duplicates) take most of its byte area. */
static void
vals_compact(struct state_vals *v)
{
	struct state_vals	 c;
	struct snmp_varbind	 vb;
	size_t			 i;

	if (v->len <= 2 * (v->len - v->dead) + 4096)
		return;
	state_vals_init(&c);
	for (i = 0; i < v->n; i++) {
		state_vals_get(v, i, &vb);
		if (state_vals_add(&c, &vb, 1) == -1) {
			state_vals_free(&c);
			return;		/* keep the larger one */
		}
	}
	c.sorted = true;
	state_vals_swap(v, &c);
	state_vals_free(&c);
}

/* Give record i the value of vb: in its place when it fits, else at the
 * end of the byte area (its old bytes are dead then). */
static int
vals_replace(struct state_vals *v, size_t i, const struct snmp_varbind *vb)
{
	struct state_vb	*r = &v->vb[i];
	size_t		 len = vb->value.data != NULL ? vb->value.len : 0;
	size_t		 old = rec_size(r), arcs = (size_t)r->oidlen * 4;
	size_t		 size = ALIGN4(arcs + len);

	if (len > UINT16_MAX)
		return -1;
	if (size > old) {
		if (v->len + size > UINT32_MAX || grow((void **)&v->data,
		    &v->datacap, v->len + size, 1) == -1)
			return -1;
		memcpy(v->data + v->len, v->data + r->off, arcs);
		r->off = (uint32_t)v->len;
		v->len += size;
		v->dead += (uint32_t)old;
	} else
		v->dead += (uint32_t)(old - size);
	r->type = vb->value.type;
	r->u = vb->value.u;
	r->len = (uint16_t)len;
	if (len > 0)
		memcpy(v->data + r->off + arcs, vb->value.data, len);
	return 0;
}

/* Put one object in the store's set, whose first n0 records are sorted:
 * replaced if it is among them, else appended (exceptions left out). */
static int
store_put(struct state_vals *v, size_t n0, const struct snmp_varbind *vb)
{
	ssize_t	 k;

	if (snmp_type_is_exception(vb->value.type))
		return 0;
	if ((k = vals_search(v, n0, &vb->name)) >= 0)
		return vals_replace(v, (size_t)k, vb);
	return vals_append(v, vb, 1, false);
}

/*
 * The records appended after the first n0 (new OIDs) are sorted, one of
 * each, and merged into their places from the end: only the records
 * after the first new one move.
 */
static void
store_settle(struct state_vals *v, size_t n0)
{
	struct state_vb	*tail;
	size_t		 i, j, k, m;

	vals_sort_from(v, n0);
	v->sorted = true;
	m = v->n - n0;
	if (m == 0 || n0 == 0 ||
	    packed_cmp(v->data, &v->vb[n0 - 1], &v->vb[n0]) < 0)
		return;
	if ((tail = reallocarray(NULL, m, sizeof(*tail))) == NULL) {
		v->sorted = false;
		state_vals_finish(v);
		return;
	}
	memcpy(tail, v->vb + n0, m * sizeof(*tail));
	for (i = n0, j = m, k = n0 + m; j > 0; )
		if (i > 0 && packed_cmp(v->data, &v->vb[i - 1],
		    &tail[j - 1]) > 0)
			v->vb[--k] = v->vb[--i];
		else
			v->vb[--k] = tail[--j];
	free(tail);
}

/* The store's set after a change: compacted when mostly dead bytes. */
static int
store_done(struct state_poll *sp, int rv, uint64_t time_ms)
{
	vals_compact(&sp->vals);
	sp->time_ms = time_ms;
	sp->have = sp->vals.n > 0;
	if (rv == 0)
		sp->ok++;
	else
		sp->failed++;
	return rv;
}

int
state_store_add(struct state_poll *sp, const struct snmp_varbind *vb,
    size_t n, uint64_t time_ms)
{
	size_t	 i, n0 = sp->vals.n;
	int	 rv = 0;

	for (i = 0; i < n && rv == 0; i++)
		rv = store_put(&sp->vals, n0, &vb[i]);
	store_settle(&sp->vals, n0);
	return store_done(sp, rv, time_ms);
}

int
state_store_commit(struct state_poll *sp, struct state_vals *staged,
    uint64_t time_ms)
{
	struct snmp_varbind	 vb;
	size_t			 i, n0 = sp->vals.n;
	int			 rv = 0;

	state_vals_finish(staged);
	for (i = 0; i < staged->n && rv == 0; i++) {
		state_vals_get(staged, i, &vb);
		rv = store_put(&sp->vals, n0, &vb);
	}
	store_settle(&sp->vals, n0);
	return store_done(sp, rv, time_ms);
}

/* ---------------------------------------------------------- sessions */

void
state_sess_rtt(struct state_sess *ss, uint32_t rtt_us)
{
	uint32_t	 d;

	if (!ss->have_rtt) {
		ss->srtt_us = rtt_us;
		ss->rttvar_us = rtt_us / 2;
		ss->have_rtt = true;
		return;
	}
	/* RFC 6298 2.3: RTTVAR first, with the old SRTT. */
	d = ss->srtt_us > rtt_us ? ss->srtt_us - rtt_us : rtt_us - ss->srtt_us;
	ss->rttvar_us = ss->rttvar_us - ss->rttvar_us / 4 + d / 4;
	ss->srtt_us = ss->srtt_us - ss->srtt_us / 8 + rtt_us / 8;
}

uint64_t
state_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
state_format_time(uint64_t ms, char *buf, size_t size)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);
	size_t		 n;

	gmtime_r(&t, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
}
