/*
 * metrics.c - the Prometheus exposition of metrics.h, from plain getters.
 *
 * The text format wants every sample of a metric together under one TYPE
 * line, while the store keeps values per session and poll.  So a first
 * pass names each value (a MIB lookup) and interns its metric name in a
 * hash table of families, in order of first appearance; a counting sort
 * by family then gives the order of the second pass, which writes the
 * samples.  Nothing is allocated per value but one small entry.
 *
 * Rates (issue 12 "Counter rates") are another helper's work: when the
 * store's samples carry a rate or a discontinuity flag, metrics_value()
 * is the one place to add a NAME_rate gauge beside each counter.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"

#include "conf.h"
#include "daemon.h"
#include "events.h"
#include "journal.h"
#include "metrics.h"
#include "mib.h"
#include "polls.h"
#include "render.h"
#include "sessions.h"
#include "state.h"
#include "trap_rx.h"
#include "traps.h"

#define METRICS_NAME_MAX	128
#define METRICS_MAX_INDEX	8

enum mkind { MK_COUNTER, MK_GAUGE, MK_INFO };

struct mfam {
	char		 name[METRICS_NAME_MAX];
	uint32_t	 hash;
	enum mkind	 kind;
	size_t		 count;		/* entries, then their start */
};

/* One value to write. */
struct mentry {
	const struct dsess	*ds;
	const struct state_poll	*st;
	const char		*poll;
	const struct config_poll *cp;
	const struct mib_node	*node;	/* NULL: numeric name */
	uint32_t		 vbi;
	uint32_t		 fam;
	uint32_t		 pfx;	/* its session, host and poll labels */
	uint32_t		 pfxlen;	/* in mctx.pfx */
	uint16_t		 plen;	/* arcs of the name (node or poll OID) */
};

/*
 * The names of a get poll's values, found once per set of request OIDs
 * (a poll definition shared by many sessions) rather than per value.
 */
#define METRICS_NCACHE	64
struct ncache {
	const struct oid	*names;		/* the named set's OIDs */
	size_t			 n;
	int32_t			*fam;		/* -1: not named yet */
	struct mentry		*ent;		/* node and plen */
};

struct mctx {
	const struct metrics_sel *sel;
	struct ncache		 nc[METRICS_NCACHE];
	const struct mib	*mib;
	struct mfam		*fam;
	size_t			 nfam;
	size_t			 famcap;
	uint32_t		*tab;	/* hash slots: family + 1, 0 empty */
	size_t			 tabsize;
	struct mentry		*ent;
	size_t			 nent;
	size_t			 entcap;
	struct render_buf	 pfx;	/* label prefixes, one per poll run */
	bool			 nomem;
};

/* ------------------------------------------------------------ escaping */

/* The length of the UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const uint8_t *p, size_t n)
{
	size_t	 len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void
metrics_label_value(struct render_buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i = 0, run = 0, k;
	char		 x[5];

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '"') {
			i++;
			run++;
			continue;
		}
		k = p[i] >= 0x80 ? utf8_len(p + i, n - i) : 0;
		if (k > 0) {
			i += k;
			run += k;
			continue;
		}
		render_add(b, p + i - run, run);
		run = 0;
		if (p[i] == '\\')
			render_add(b, "\\\\", 2);
		else if (p[i] == '"')
			render_add(b, "\\\"", 2);
		else if (p[i] == '\n')
			render_add(b, "\\n", 2);
		else if (p[i] == '\t')
			render_add(b, "\t", 1);
		else {
			/* Not text: the four characters \xNN (the backslash
			 * escaped as the format wants). */
			x[0] = 'x';
			x[1] = hexd[p[i] >> 4];
			x[2] = hexd[p[i] & 15];
			render_add(b, "\\\\", 2);
			render_add(b, x, 3);
		}
		i++;
	}
	render_add(b, p + i - run, run);
}

/* A metric or label name: [a-zA-Z0-9_], not starting with a digit. */
static size_t
metrics_name(char *dst, size_t size, const char *src)
{
	size_t	 i;
	char	 c;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		c = src[i];
		dst[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (i > 0 && c >= '0' && c <= '9')) ? c : '_';
	}
	dst[i] = '\0';
	return i;
}

/* "oid_1_3_6_1..." of the first n arcs of o. */
static void
metrics_oid_name(char *dst, size_t size, const struct oid *o, size_t n)
{
	size_t	 off, i;

	off = (size_t)snprintf(dst, size, "oid");
	for (i = 0; i < n && off + 12 < size; i++)
		off += (size_t)snprintf(dst + off, size - off, "_%u",
		    o->arcs[i]);
}

/* ------------------------------------------------------------ families */

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int
fam_grow(struct mctx *m)
{
	uint32_t	*nt;
	size_t		 size, i, j;

	size = m->tabsize == 0 ? 256 : m->tabsize * 2;
	if ((nt = calloc(size, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < m->nfam; i++) {
		j = m->fam[i].hash & (size - 1);
		while (nt[j] != 0)
			j = (j + 1) & (size - 1);
		nt[j] = (uint32_t)i + 1;
	}
	free(m->tab);
	m->tab = nt;
	m->tabsize = size;
	return 0;
}

/* The family named name (made with kind if new), or -1. */
static ssize_t
fam_get(struct mctx *m, const char *name, enum mkind kind)
{
	struct mfam	*nf;
	uint32_t	 h = name_hash(name);
	size_t		 j;

	if ((m->nfam + 1) * 2 > m->tabsize && fam_grow(m) == -1)
		return -1;
	for (j = h & (m->tabsize - 1); m->tab[j] != 0;
	    j = (j + 1) & (m->tabsize - 1)) {
		nf = &m->fam[m->tab[j] - 1];
		if (nf->hash == h && strcmp(nf->name, name) == 0)
			return m->tab[j] - 1;
	}
	if (m->nfam == m->famcap) {
		nf = realloc(m->fam, (m->famcap * 2 + 64) * sizeof(*nf));
		if (nf == NULL)
			return -1;
		m->fam = nf;
		m->famcap = m->famcap * 2 + 64;
	}
	nf = &m->fam[m->nfam];
	snprintf(nf->name, sizeof(nf->name), "%s", name);
	nf->hash = h;
	nf->kind = kind;
	nf->count = 0;
	m->tab[j] = (uint32_t)m->nfam + 1;
	return (ssize_t)m->nfam++;
}

static enum mkind
value_kind(uint8_t type, bool *skip)
{
	*skip = false;
	switch (type) {
	case SNMP_T_COUNTER32:
	case SNMP_T_COUNTER64:
		return MK_COUNTER;
	case SNMP_T_INTEGER:
	case SNMP_T_GAUGE32:
	case SNMP_T_TIMETICKS:
	case SNMP_T_UINTEGER32:
		return MK_GAUGE;
	case SNMP_T_OCTETS:
	case SNMP_T_OID:
	case SNMP_T_IPADDR:
	case SNMP_T_OPAQUE:
	case SNMP_T_NSAP:
		return MK_INFO;
	default:
		*skip = true;	/* NULL and the exceptions */
		return MK_GAUGE;
	}
}

/*
 * The metric name of vb in a poll with OIDs cp: its MIB object's label,
 * else "oid_" and the arcs of the poll OID holding it.  Fills e->node and
 * e->plen.
 */
static void
value_name(struct mctx *m, const struct snmp_varbind *vb,
    const struct config_poll *cp, struct mentry *e, char *name, size_t size)
{
	const struct mib_node *node;
	size_t		 plen = 0, i;

	node = mib_lookup(m->mib, &vb->name, &plen);
	if (node != NULL && mib_node_is_object(node)) {
		e->node = node;
		e->plen = (uint16_t)plen;
		metrics_name(name, size, mib_node_label(node));
		return;
	}
	e->node = NULL;
	plen = vb->name.len;
	for (i = 0; cp != NULL && i < cp->noids; i++)
		if (oid_is_prefix(&cp->oids[i], &vb->name)) {
			plen = cp->oids[i].len;
			break;
		}
	e->plen = (uint16_t)plen;
	metrics_oid_name(name, size, &vb->name, plen);
}

static int
ent_add(struct mctx *m, const struct mentry *e)
{
	struct mentry	*ne;

	if (m->nent == m->entcap) {
		ne = realloc(m->ent, (m->entcap * 2 + 1024) * sizeof(*ne));
		if (ne == NULL)
			return -1;
		m->ent = ne;
		m->entcap = m->entcap * 2 + 1024;
	}
	m->ent[m->nent++] = *e;
	return 0;
}

static void	 label(struct render_buf *, bool *, const char *,
		    const char *, size_t);

/* The name cache of a named set (NULL: not named, or no room). */
static struct ncache *
ncache_get(struct mctx *m, const struct state_vals *v)
{
	struct ncache	*nc;
	size_t		 i, k;

	if (v->names == NULL || v->n != v->nnames)
		return NULL;
	for (i = 0; i < METRICS_NCACHE; i++) {
		nc = &m->nc[i];
		if (nc->names == v->names && nc->n == v->n)
			return nc;
		if (nc->names != NULL)
			continue;
		if ((nc->fam = malloc(v->n * sizeof(*nc->fam))) == NULL ||
		    (nc->ent = malloc(v->n * sizeof(*nc->ent))) == NULL) {
			free(nc->fam);
			nc->fam = NULL;
			return NULL;
		}
		for (k = 0; k < v->n; k++)
			nc->fam[k] = -1;
		nc->names = v->names;
		nc->n = v->n;
		return nc;
	}
	return NULL;
}

/* Pass one: name and group every value of the selected polls. */
static void
collect(struct daemon *d, struct mctx *m, const struct dsess *ds)
{
	struct polls_sess_info	 info;
	struct state_job_info	 ji;
	struct snmp_varbind	 vb;
	struct mentry		 e;
	char			 name[METRICS_NAME_MAX];
	enum mkind		 kind;
	ssize_t			 f;
	size_t			 i, k;
	bool			 skip, first;
	struct ncache		*nc;
	const char		*host = sessions_host(ds);

	if (polls_sess_info(ds, &info) == -1)
		return;
	for (i = 0; i < info.njobs && !m->nomem; i++) {
		polls_job_info(ds, i, &ji);
		if (!ji.st->have || (m->sel->poll != NULL &&
		    strcmp(m->sel->poll, ji.poll) != 0))
			continue;
		memset(&e, 0, sizeof(e));
		e.ds = ds;
		e.st = ji.st;
		e.poll = ji.poll;
		e.cp = config_find_poll(d->conf, ji.poll);
		nc = ncache_get(m, &ji.st->vals);
		/* The labels every value of this poll has, escaped once. */
		first = true;
		e.pfx = (uint32_t)m->pfx.len;
		label(&m->pfx, &first, "session", ds->name, strlen(ds->name));
		label(&m->pfx, &first, "host", host, strlen(host));
		label(&m->pfx, &first, "poll", ji.poll, strlen(ji.poll));
		e.pfxlen = (uint32_t)(m->pfx.len - e.pfx);
		if (m->pfx.failed || m->pfx.len > UINT32_MAX) {
			m->nomem = true;
			return;
		}
		for (k = 0; k < ji.st->vals.n; k++) {
			kind = value_kind(ji.st->vals.vb[k].type, &skip);
			if (skip)
				continue;
			if (nc != NULL && nc->fam[k] >= 0 &&
			    m->fam[nc->fam[k]].kind == kind) {
				f = nc->fam[k];
				e.node = nc->ent[k].node;
				e.plen = nc->ent[k].plen;
			} else {
				state_vals_get(&ji.st->vals, k, &vb);
				value_name(m, &vb, e.cp, &e, name,
				    sizeof(name));
				if ((f = fam_get(m, name, kind)) == -1) {
					m->nomem = true;
					return;
				}
				if (nc != NULL) {
					nc->fam[k] = (int32_t)f;
					nc->ent[k] = e;
				}
			}
			if (m->fam[f].kind != kind)
				continue;	/* one kind per name */
			e.vbi = (uint32_t)k;
			e.fam = (uint32_t)f;
			if (ent_add(m, &e) == -1) {
				m->nomem = true;
				return;
			}
			m->fam[f].count++;
		}
	}
}

/* ------------------------------------------------------------- samples */

static void
label(struct render_buf *b, bool *first, const char *name, const char *v,
    size_t n)
{
	render_adds(b, *first ? "{" : ",");
	*first = false;
	render_adds(b, name);
	render_adds(b, "=\"");
	metrics_label_value(b, v, n);
	render_add(b, "\"", 1);
}

/* The text of a string-like value: DISPLAY-HINT, dotted, or its bytes. */
static size_t
value_text(const struct mentry *e, const struct snmp_value *val,
    char *buf, size_t size, const char **out)
{
	size_t	 n;

	*out = buf;
	if (e->node != NULL && val->type == SNMP_T_OCTETS &&
	    (n = mib_display(e->node, val, buf, size)) > 0 && n < size)
		return n;
	if (val->type == SNMP_T_IPADDR && val->len == 4)
		return (size_t)snprintf(buf, size, "%u.%u.%u.%u",
		    val->data[0], val->data[1], val->data[2],
		    val->data[3]);
	if (val->type == SNMP_T_OID) {
		struct oid	 o;

		if (val->len % 4 == 0 && val->len / 4 <=
		    SNMPMGR_MAX_OID_LEN) {
			o.len = (uint32_t)(val->len / 4);
			memcpy(o.arcs, val->data, val->len);
			n = oid_format(&o, buf, size);
			return n < size ? n : size - 1;
		}
	}
	*out = (const char *)val->data;
	return val->len;
}

/* The labels of a table row's index (or index="..."). */
/* Label names a sample has so far beyond session, host and poll. */
struct lset {
	char	 names[METRICS_MAX_INDEX + 1][METRICS_NAME_MAX];
	size_t	 n;
};

static bool
lset_has(const struct lset *ls, const char *name)
{
	size_t	 i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->names[i], name) == 0)
			return true;
	return strcmp(name, "session") == 0 || strcmp(name, "host") == 0 ||
	    strcmp(name, "poll") == 0;
}

static void
index_labels(struct render_buf *b, bool *first, const struct mentry *e,
    const struct oid *on, const char *skipname, struct lset *ls)
{
	struct mib_index_item items[METRICS_MAX_INDEX];
	char		 name[METRICS_NAME_MAX], num[24], dotted[SNMPMGR_MAX_OID_STR];
	struct oid	 suffix;
	int		 n = -1, i;

	if (e->plen >= on->len)
		return;
	if (e->node != NULL && mib_node_row(e->node) == NULL &&
	    on->len == (size_t)e->plen + 1 && on->arcs[e->plen] == 0)
		return;		/* a scalar's .0 */
	if (e->node != NULL && mib_node_row(e->node) != NULL)
		n = mib_index_decode(e->node, on, e->plen, items,
		    METRICS_MAX_INDEX);
	for (i = 0; i < n; i++) {
		metrics_name(name, sizeof(name), items[i].name);
		if ((skipname != NULL && strcmp(name, skipname) == 0) ||
		    lset_has(ls, name))
			continue;
		memcpy(ls->names[ls->n++], name, sizeof(name));
		if (items[i].numeric) {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)items[i].num);
			label(b, first, name, num, strlen(num));
		} else
			label(b, first, name, items[i].text, items[i].len);
	}
	if (n >= 0)
		return;
	if (lset_has(ls, "index"))
		return;
	snprintf(ls->names[ls->n++], METRICS_NAME_MAX, "index");
	suffix.len = on->len - e->plen;
	memcpy(suffix.arcs, on->arcs + e->plen,
	    suffix.len * sizeof(suffix.arcs[0]));
	label(b, first, "index", dotted, oid_format(&suffix, dotted,
	    sizeof(dotted)));
}

/* The poll's "labels": the same row's value of each listed column. */
static void
lookup_labels(struct render_buf *b, bool *first, const struct mentry *e,
    const struct oid *on, const struct lset *ls, const char *info)
{
	const struct config_poll *cp = e->cp;
	struct snmp_varbind	 lv;
	struct mentry		 le;
	struct oid		 o;
	const char		*txt;
	char			 buf[512];
	ssize_t			 k;
	size_t			 i, n, sfx;

	if (cp == NULL || cp->nlabels == 0 || e->node == NULL ||
	    mib_node_row(e->node) == NULL || e->plen >= on->len)
		return;
	sfx = on->len - e->plen;
	for (i = 0; i < cp->nlabels; i++) {
		if (cp->label_oids[i].len + sfx > SNMPMGR_MAX_OID_LEN ||
		    (cp->label_oids[i].len == e->plen &&
		    memcmp(cp->label_oids[i].arcs, on->arcs,
		    e->plen * sizeof(o.arcs[0])) == 0) ||
		    lset_has(ls, cp->label_names[i]) ||
		    (info != NULL && strcmp(info, cp->label_names[i]) == 0))
			continue;	/* the column itself, or a name taken */
		o = cp->label_oids[i];
		memcpy(o.arcs + o.len, on->arcs + e->plen,
		    sfx * sizeof(o.arcs[0]));
		o.len += (uint32_t)sfx;
		if ((k = state_vals_find(&e->st->vals, &o)) < 0)
			continue;
		state_vals_get(&e->st->vals, (size_t)k, &lv);
		le.node = mib_lookup(mib_current(), &lv.name, &n);
		if (lv.value.type == SNMP_T_INTEGER ||
		    lv.value.type == SNMP_T_COUNTER32 ||
		    lv.value.type == SNMP_T_GAUGE32 ||
		    lv.value.type == SNMP_T_TIMETICKS ||
		    lv.value.type == SNMP_T_COUNTER64 ||
		    lv.value.type == SNMP_T_UINTEGER32) {
			n = lv.value.type == SNMP_T_INTEGER ?
			    (size_t)snprintf(buf, sizeof(buf), "%lld",
			    (long long)lv.value.i) :
			    (size_t)snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)lv.value.u);
			txt = buf;
		} else if (lv.value.type >= SNMP_T_NOSUCHOBJECT ||
		    lv.value.type == SNMP_T_NULL)
			continue;
		else
			n = value_text(&le, &lv.value, buf, sizeof(buf), &txt);
		label(b, first, cp->label_names[i], txt, n);
	}
}

/* One sample.  The hook for rates: see the top of the file. */
static void
metrics_value(struct mctx *m, struct render_buf *b, const struct mfam *f,
    const struct mentry *e)
{
	const struct state_vals *v = &e->st->vals;
	const struct state_vb *r = &v->vb[e->vbi];
	struct snmp_varbind vb;
	struct snmp_value val;
	const struct oid *on;
	const char	*txt;
	char		 buf[1024];
	size_t		 n;
	bool		 first = true;
	struct lset	 ls;

	ls.n = 0;
	/* A named set's OID is read in place, not copied. */
	if (v->names != NULL) {
		on = &v->names[e->vbi];
		val.type = r->type;
		val.u = r->u;
		val.len = r->len;
		val.data = r->len > 0 ? v->data + r->off +
		    (size_t)r->oidlen * 4 : NULL;
	} else {
		state_vals_get(v, e->vbi, &vb);
		on = &vb.name;
		val = vb.value;
	}
	render_adds(b, f->name);
	if (f->kind == MK_COUNTER && m->sel->openmetrics)
		render_adds(b, "_total");
	render_add(b, m->pfx.p + e->pfx, e->pfxlen);
	first = false;
	index_labels(b, &first, e, on, f->kind == MK_INFO ? f->name : NULL,
	    &ls);
	lookup_labels(b, &first, e, on, &ls, f->kind == MK_INFO ? f->name :
	    NULL);
	switch (f->kind) {
	case MK_INFO:
		n = value_text(e, &val, buf, sizeof(buf), &txt);
		label(b, &first, f->name, txt, n);
		render_adds(b, "} 1\n");
		return;
	case MK_COUNTER:
	case MK_GAUGE:
		render_adds(b, "} ");
		if (val.type == SNMP_T_INTEGER)
			render_i64(b, val.i);
		else
			render_u64(b, val.u);
		render_add(b, "\n", 1);
		return;
	}
}

static void
render_values(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct mctx	 m;
	struct mentry	*sorted;
	size_t		 i, pos, f;

	memset(&m, 0, sizeof(m));
	render_buf_init(&m.pfx);
	m.sel = sel;
	m.mib = mib_current();
	if (sel->only != NULL)
		collect(d, &m, sel->only);
	else
		for (i = 0; i < sessions_count(d->sessions); i++)
			collect(d, &m, sessions_at(d->sessions, i));
	if (m.nomem || (sorted = malloc((m.nent + 1) * sizeof(*sorted))) ==
	    NULL) {
		b->failed = true;
		goto out;
	}
	/* Counting sort by family: each family's entries in store order. */
	for (pos = 0, f = 0; f < m.nfam; f++) {
		i = m.fam[f].count;
		m.fam[f].count = pos;
		pos += i;
	}
	for (i = 0; i < m.nent; i++)
		sorted[m.fam[m.ent[i].fam].count++] = m.ent[i];
	/* About what a sample takes, so the buffer grows once or twice. */
	(void)render_reserve(b, m.nent * 160);
	for (f = 0, i = 0; f < m.nfam && !b->failed; f++) {
		render_adds(b, "# TYPE ");
		render_adds(b, m.fam[f].name);
		render_adds(b, m.fam[f].kind == MK_COUNTER ? " counter\n" :
		    " gauge\n");
		for (; i < m.fam[f].count; i++)
			metrics_value(&m, b, &m.fam[f], &sorted[i]);
	}
	free(sorted);
 out:
	for (i = 0; i < METRICS_NCACHE; i++) {
		free(m.nc[i].fam);
		free(m.nc[i].ent);
	}
	free(m.fam);
	free(m.tab);
	free(m.ent);
	render_buf_free(&m.pfx);
}

/* --------------------------------------------------------------- health */

static void
type_line(struct render_buf *b, const struct metrics_sel *sel,
    const char *name, bool counter, const char *help)
{
	render_adds(b, "# HELP ");
	render_adds(b, name);
	render_add(b, " ", 1);
	render_adds(b, help);
	render_adds(b, "\n# TYPE ");
	render_adds(b, name);
	render_adds(b, counter ? " counter\n" : " gauge\n");
	(void)sel;
}

static void
sample_start(struct render_buf *b, const struct metrics_sel *sel,
    const char *name, bool counter)
{
	render_adds(b, name);
	if (counter && sel->openmetrics)
		render_adds(b, "_total");
}

void
metrics_scalar(struct render_buf *b, const struct metrics_sel *sel,
    const char *name, bool counter, uint64_t v)
{
	type_line(b, sel, name, counter, "snmpmgrd figure");
	sample_start(b, sel, name, counter);
	render_add(b, " ", 1);
	render_u64(b, v);
	render_add(b, "\n", 1);
}

/* Per-session figures. */
enum sfig {
	SF_UP, SF_REQUESTS, SF_RESPONSES, SF_TIMEOUTS, SF_RETRIES,
	SF_BAD_PACKETS, SF_RTT, SF__COUNT
};

static const struct {
	const char	*name;
	bool		 counter;
	const char	*help;
} sfigs[SF__COUNT] = {
	{ "snmpmgrd_session_up", false, "1 when the session's agent "
	    "answers its polls" },
	{ "snmpmgrd_session_requests", true, "requests sent" },
	{ "snmpmgrd_session_responses", true, "responses received" },
	{ "snmpmgrd_session_timeouts", true, "requests that timed out" },
	{ "snmpmgrd_session_retries", true, "retransmissions" },
	{ "snmpmgrd_session_bad_packets", true, "packets dropped as bad" },
	{ "snmpmgrd_session_rtt_seconds", false, "smoothed round-trip time" },
};

static void
sess_labels(struct render_buf *b, const struct dsess *ds)
{
	const char	*host = sessions_host(ds);
	bool		 first = true;

	label(b, &first, "session", ds->name, strlen(ds->name));
	label(b, &first, "host", host, strlen(host));
}

static void
health_sessions(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	static const struct sess_stats zero;
	const struct sess_stats *st;
	struct polls_sess_info	 info;
	const struct dsess	*ds;
	size_t			 i, n = sessions_count(d->sessions);
	int			 f;
	char			 t[32];

	for (f = 0; f < SF__COUNT; f++) {
		type_line(b, sel, sfigs[f].name, sfigs[f].counter,
		    sfigs[f].help);
		for (i = 0; i < n; i++) {
			ds = sessions_at(d->sessions, i);
			if (sel->only != NULL && ds != sel->only)
				continue;
			st = ds->s != NULL ? sess_get_stats(ds->s) : &zero;
			if (f == SF_RTT && (polls_sess_info(ds, &info) == -1 ||
			    !info.st->have_rtt))
				continue;
			sample_start(b, sel, sfigs[f].name, sfigs[f].counter);
			sess_labels(b, ds);
			render_adds(b, "} ");
			switch ((enum sfig)f) {
			case SF_UP:
				render_adds(b, strcmp(polls_state_name(ds),
				    "up") == 0 ? "1" : "0");
				break;
			case SF_REQUESTS:
				render_u64(b, st->requests);
				break;
			case SF_RESPONSES:
				render_u64(b, st->responses);
				break;
			case SF_TIMEOUTS:
				render_u64(b, st->timeouts);
				break;
			case SF_RETRIES:
				render_u64(b, st->retries);
				break;
			case SF_BAD_PACKETS:
				render_u64(b, st->bad_packets);
				break;
			case SF_RTT:
				snprintf(t, sizeof(t), "%.6f",
				    info.st->srtt_us / 1e6);
				render_adds(b, t);
				break;
			case SF__COUNT:
				break;
			}
			render_add(b, "\n", 1);
		}
	}
}

/* Per-poll figures. */
enum pfig {
	PF_RUNS, PF_OK, PF_FAILED, PF_OVERRUNS, PF_SKIPPED, PF_DURATION,
	PF_LAST, PF__COUNT
};

static const struct {
	const char	*name;
	bool		 counter;
	const char	*help;
} pfigs[PF__COUNT] = {
	{ "snmpmgrd_poll_runs", true, "runs started" },
	{ "snmpmgrd_poll_ok", true, "runs that ended with values" },
	{ "snmpmgrd_poll_failed", true, "runs that failed or went "
	    "unanswered" },
	{ "snmpmgrd_poll_overruns", true, "turns missed: the previous run "
	    "was still going" },
	{ "snmpmgrd_poll_skipped_down", true, "turns skipped while the "
	    "agent was down" },
	{ "snmpmgrd_poll_duration_seconds", false, "how long the latest "
	    "successful run took" },
	{ "snmpmgrd_poll_last_success_timestamp_seconds", false, "when the "
	    "latest values were taken" },
};

static void
health_polls(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct polls_sess_info	 info;
	struct state_job_info	 ji;
	const struct dsess	*ds;
	size_t			 i, j, n = sessions_count(d->sessions);
	bool			 first;
	int			 f;
	char			 t[32];

	for (f = 0; f < PF__COUNT; f++) {
		type_line(b, sel, pfigs[f].name, pfigs[f].counter,
		    pfigs[f].help);
		for (i = 0; i < n; i++) {
			ds = sessions_at(d->sessions, i);
			if ((sel->only != NULL && ds != sel->only) ||
			    polls_sess_info(ds, &info) == -1)
				continue;
			for (j = 0; j < info.njobs; j++) {
				polls_job_info(ds, j, &ji);
				if ((sel->poll != NULL &&
				    strcmp(sel->poll, ji.poll) != 0) ||
				    (f >= PF_DURATION && !ji.st->have))
					continue;
				sample_start(b, sel, pfigs[f].name,
				    pfigs[f].counter);
				sess_labels(b, ds);
				first = false;
				label(b, &first, "poll", ji.poll,
				    strlen(ji.poll));
				render_adds(b, "} ");
				switch ((enum pfig)f) {
				case PF_RUNS:
					render_u64(b, ji.runs);
					break;
				case PF_OK:
					render_u64(b, ji.ok);
					break;
				case PF_FAILED:
					render_u64(b, ji.failed);
					break;
				case PF_OVERRUNS:
					render_u64(b, ji.overruns);
					break;
				case PF_SKIPPED:
					render_u64(b, ji.skipped_down);
					break;
				case PF_DURATION:
					snprintf(t, sizeof(t), "%.6f",
					    ji.st->duration_us / 1e6);
					render_adds(b, t);
					break;
				case PF_LAST:
					snprintf(t, sizeof(t), "%.3f",
					    ji.st->time_ms / 1e3);
					render_adds(b, t);
					break;
				case PF__COUNT:
					break;
				}
				render_add(b, "\n", 1);
			}
		}
	}
}

/* A family of one sample per member of a JSON object of counts. */
static void
json_family(struct render_buf *b, const struct metrics_sel *sel,
    const char *name, bool counter, const char *lname, const json_t *obj,
    const char *help)
{
	const char	*k;
	json_t		*v;
	bool		 first;

	type_line(b, sel, name, counter, help);
	json_object_foreach((json_t *)obj, k, v) {
		if (!json_is_integer(v))
			continue;
		sample_start(b, sel, name, counter);
		first = true;
		label(b, &first, lname, k, strlen(k));
		render_adds(b, "} ");
		render_u64(b, (uint64_t)json_integer_value(v));
		render_add(b, "\n", 1);
	}
}

static void
health_traps(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct traps_info	 ti;
	const struct journal_stats *js = &ti.journal;
	bool			 first;
	int			 r;

	if (d->traps == NULL)
		return;
	traps_info(d->traps, &ti);
	metrics_scalar(b, sel, "snmpmgrd_trap_packets", true, ti.proc.packets);
	type_line(b, sel, "snmpmgrd_traps_accepted", true, "notifications "
	    "accepted, by kind");
	sample_start(b, sel, "snmpmgrd_traps_accepted", true);
	render_adds(b, "{kind=\"trap\"} ");
	render_u64(b, ti.proc.traps);
	render_add(b, "\n", 1);
	sample_start(b, sel, "snmpmgrd_traps_accepted", true);
	render_adds(b, "{kind=\"inform\"} ");
	render_u64(b, ti.proc.informs);
	render_add(b, "\n", 1);
	type_line(b, sel, "snmpmgrd_traps_rejected", true, "notifications "
	    "rejected, by reason");
	for (r = 1; r < TRAPPROC__COUNT; r++) {
		sample_start(b, sel, "snmpmgrd_traps_rejected", true);
		first = true;
		label(b, &first, "reason", trapproc_reason_name(r),
		    strlen(trapproc_reason_name(r)));
		render_adds(b, "} ");
		render_u64(b, ti.proc.rejected[r]);
		render_add(b, "\n", 1);
	}
	metrics_scalar(b, sel, "snmpmgrd_trap_acks_sent", true, ti.acks_sent);
	metrics_scalar(b, sel, "snmpmgrd_trap_acks_dropped", true,
	    ti.acks_dropped);
	metrics_scalar(b, sel, "snmpmgrd_journal_records", true, js->records);
	metrics_scalar(b, sel, "snmpmgrd_journal_bytes", true, js->bytes);
	metrics_scalar(b, sel, "snmpmgrd_journal_file_size_bytes", false,
	    js->file_size);
	metrics_scalar(b, sel, "snmpmgrd_journal_rotations", true,
	    js->rotations);
	metrics_scalar(b, sel, "snmpmgrd_journal_write_errors", true,
	    js->write_errors);
	metrics_scalar(b, sel, "snmpmgrd_journal_records_lost", true,
	    js->records_lost);
	metrics_scalar(b, sel, "snmpmgrd_journal_sync_errors", true,
	    js->sync_errors);
	metrics_scalar(b, sel, "snmpmgrd_journal_pending_bytes", false,
	    js->pending);
}

static void
health_daemon(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	struct polls_info	 pi;
	json_t			*ev;
	char			 t[32];

	type_line(b, sel, "snmpmgrd_uptime_seconds", false, "seconds since "
	    "start");
	snprintf(t, sizeof(t), "snmpmgrd_uptime_seconds %.3f\n",
	    daemon_uptime(d));
	render_adds(b, t);
	metrics_scalar(b, sel, "snmpmgrd_sessions", false,
	    sessions_count(d->sessions));
	polls_info(d->polls, &pi);
	metrics_scalar(b, sel, "snmpmgrd_sessions_down", false, pi.sched.down);
	metrics_scalar(b, sel, "snmpmgrd_polls_scheduled", false,
	    pi.sched.jobs);
	metrics_scalar(b, sel, "snmpmgrd_polls_running", false,
	    pi.sched.running);
	metrics_scalar(b, sel, "snmpmgrd_polls_waiting", false,
	    pi.sched.waiting);
	metrics_scalar(b, sel, "snmpmgrd_polls_done", true, pi.done);
	metrics_scalar(b, sel, "snmpmgrd_polls_failed", true, pi.failed);
	metrics_scalar(b, sel, "snmpmgrd_polls_overruns", true,
	    pi.sched.overruns);
	metrics_scalar(b, sel, "snmpmgrd_store_objects", false, pi.objects);
	metrics_scalar(b, sel, "snmpmgrd_store_bytes", false, pi.bytes);
	if ((ev = events_stats_json(d->events)) != NULL) {
		metrics_scalar(b, sel, "snmpmgrd_event_subscribers", false,
		    (uint64_t)json_integer_value(json_object_get(ev,
		    "subscribers")));
		metrics_scalar(b, sel, "snmpmgrd_events_delivered", true,
		    (uint64_t)json_integer_value(json_object_get(ev,
		    "delivered")));
		json_family(b, sel, "snmpmgrd_events_published", true, "type",
		    json_object_get(ev, "published"), "events published, by "
		    "type");
		json_family(b, sel, "snmpmgrd_event_subscriptions_ended", true,
		    "reason", json_object_get(ev, "ended"), "subscriptions "
		    "ended by the daemon or the client, by reason");
		json_decref(ev);
	}
}

void
metrics_render(struct daemon *d, const struct metrics_sel *sel,
    struct render_buf *b)
{
	if (sel->values)
		render_values(d, sel, b);
	if (!sel->health)
		return;
	if (sel->only == NULL)
		health_daemon(d, sel, b);
	health_sessions(d, sel, b);
	health_polls(d, sel, b);
	if (sel->only == NULL)
		health_traps(d, sel, b);
}
