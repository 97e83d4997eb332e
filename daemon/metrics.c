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
 * Both the values and the health figures are written family by family,
 * so one session's labels appear in many families: they are escaped once
 * per scrape (the roster below) and copied after, and the figures are
 * read from the getters once per session and poll, not once per family.
 * Numbers are formatted by hand (render_u64, render_fixed).
 *
 * A counter of a poll that asks for rates has a second sample, in the
 * gauge family NAME_rate: its increase per second over the poll's last
 * interval (state_vals_rate()), present only when there is one (not
 * after a discontinuity, nor for a first sample), so that a graph shows
 * a gap rather than a spike.
 */
#include <config.h>		/* autoconf's */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/rate.h"
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

enum mkind { MK_COUNTER, MK_GAUGE, MK_INFO, MK_RATE };

struct mfam {
	char		 name[METRICS_NAME_MAX];
	size_t		 namelen;
	uint32_t	 hash;
	enum mkind	 kind;
	size_t		 count;		/* entries, then their start */
};

/*
 * The health figures of each session and each poll: a family each, its
 * samples integers, or fixed-point decimals (dec digits after the point)
 * of an integer count of 10^-dec units.
 */
struct hfig {
	const char	*name;
	bool		 counter;
	const char	*help;
	unsigned	 dec;
};

enum sfig {
	SF_UP, SF_REQUESTS, SF_RESPONSES, SF_TIMEOUTS, SF_RETRIES,
	SF_BAD_PACKETS, SF_RTT, SF__COUNT
};

static const struct hfig sfigs[SF__COUNT] = {
	{ "snmpmgrd_session_up", false, "1 when the session's agent "
	    "answers its polls", 0 },
	{ "snmpmgrd_session_requests", true, "requests sent", 0 },
	{ "snmpmgrd_session_responses", true, "responses received", 0 },
	{ "snmpmgrd_session_timeouts", true, "requests that timed out", 0 },
	{ "snmpmgrd_session_retries", true, "retransmissions", 0 },
	{ "snmpmgrd_session_bad_packets", true, "packets dropped as bad", 0 },
	{ "snmpmgrd_session_rtt_seconds", false, "smoothed round-trip time",
	    6 },
};

enum pfig {
	PF_RUNS, PF_OK, PF_FAILED, PF_OVERRUNS, PF_SKIPPED, PF_DURATION,
	PF_LAST, PF__COUNT
};

static const struct hfig pfigs[PF__COUNT] = {
	{ "snmpmgrd_poll_runs", true, "runs started", 0 },
	{ "snmpmgrd_poll_ok", true, "runs that ended with values", 0 },
	{ "snmpmgrd_poll_failed", true, "runs that failed or went "
	    "unanswered", 0 },
	{ "snmpmgrd_poll_overruns", true, "turns missed: the previous run "
	    "was still going", 0 },
	{ "snmpmgrd_poll_skipped_down", true, "turns skipped while the "
	    "agent was down", 0 },
	{ "snmpmgrd_poll_duration_seconds", false, "how long the latest "
	    "successful run took", 6 },
	{ "snmpmgrd_poll_last_success_timestamp_seconds", false, "when the "
	    "latest values were taken", 3 },
};

/*
 * What a scrape needs of each selected session and poll, read once: the
 * labels they give every sample, escaped once into one buffer, and their
 * figures, copied from the getters.
 */
struct mjob {
	struct state_job_info	 ji;
	const struct config_poll *cp;
	uint64_t		 fig[PF__COUNT];
	uint32_t		 pfx;	/* {session=..,host=..,poll=".." */
	uint32_t		 pfxlen;	/* in roster.pfx */
};

struct msess {
	uint64_t		 fig[SF__COUNT];
	bool			 have_rtt;
	uint32_t		 pfx;	/* {session="..",host=".." */
	uint32_t		 pfxlen;
};

struct roster {
	struct msess		*sess;
	size_t			 nsess;
	size_t			 capsess;
	struct mjob		*jobs;
	size_t			 njobs;
	size_t			 capjobs;
	struct render_buf	 pfx;
};

/*
 * One value to write.  Its number is copied here while pass one reads
 * the store in its order: pass two goes family by family, across every
 * session's store, and would miss the cache on each value.
 */
struct mentry {
	const struct mib_node	*node;	/* NULL: numeric name */
	uint64_t		 u;	/* the value (state_vb.u) */
	uint32_t		 job;	/* in roster.jobs */
	uint32_t		 vbi;
	uint32_t		 fam;
	uint16_t		 plen;	/* arcs of the name (node or poll OID) */
	uint8_t			 type;	/* SNMP_T_* */
	bool			 bare;	/* no labels but its job's: no index */
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

/* Memory a rendering leaves for the next (metrics.h). */
struct metrics_scratch {
	struct roster		 r;
	struct mentry		*ent;
	size_t			 entcap;
	uint32_t		*order;
	size_t			 ordercap;
};

struct mctx {
	const struct metrics_sel *sel;
	const struct roster	*r;
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
	nf->namelen = strlen(nf->name);
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

/* Room for n more entries. */
static int
ent_reserve(struct mctx *m, size_t n)
{
	struct mentry	*ne;
	size_t		 cap;

	if (m->entcap - m->nent >= n)
		return 0;
	cap = m->entcap * 2 + 1024;
	if (cap - m->nent < n)
		cap = m->nent + n;
	if ((ne = realloc(m->ent, cap * sizeof(*ne))) == NULL)
		return -1;
	m->ent = ne;
	m->entcap = cap;
	return 0;
}

static inline int
ent_add(struct mctx *m, const struct mentry *e)
{
	if (m->nent == m->entcap && ent_reserve(m, 1) == -1)
		return -1;
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

/* The NAME_rate sample of counter entry e (family f), when its poll's
 * latest sample has a rate.  -1 when memory ran out. */
static int
rate_add(struct mctx *m, struct mentry *e, ssize_t f)
{
	char		 name[METRICS_NAME_MAX];
	struct mentry	 r;
	ssize_t		 rf;
	size_t		 n;
	double		 rate;

	if (state_vals_rate(&m->r->jobs[e->job].ji.st->vals, e->vbi,
	    &rate) != RATE_OK)
		return 0;
	n = strlen(m->fam[f].name);
	if (n + sizeof("_rate") > sizeof(name))
		n = sizeof(name) - sizeof("_rate");
	memcpy(name, m->fam[f].name, n);
	memcpy(name + n, "_rate", sizeof("_rate"));
	if ((rf = fam_get(m, name, MK_RATE)) == -1) {
		m->nomem = true;
		return -1;
	}
	if (m->fam[rf].kind != MK_RATE)
		return 0;		/* the name is a polled object's */
	r = *e;
	r.fam = (uint32_t)rf;
	if (ent_add(m, &r) == -1) {
		m->nomem = true;
		return -1;
	}
	m->fam[rf].count++;
	return 0;
}

/* Pass one: name and group every value of the selected polls. */
static void
collect(struct mctx *m)
{
	const struct mjob	*job;
	struct snmp_varbind	 vb;
	struct mentry		 e;
	char			 name[METRICS_NAME_MAX];
	enum mkind		 kind;
	ssize_t			 f;
	size_t			 i, k;
	bool			 skip;
	struct ncache		*nc;
	const struct state_vals	*v;
	struct snmp_value	 val;
	size_t			 oidlen;

	/* One entry per value (two for counters with rates), at most. */
	for (i = 0, k = 0; i < m->r->njobs; i++)
		if (m->r->jobs[i].ji.st->have)
			k += m->r->jobs[i].ji.st->vals.n *
			    (m->r->jobs[i].ji.st->vals.rates != NULL ? 2 : 1);
	if (ent_reserve(m, k) == -1) {
		m->nomem = true;
		return;
	}
	for (i = 0; i < m->r->njobs && !m->nomem; i++) {
		job = &m->r->jobs[i];
		if (!job->ji.st->have)
			continue;
		memset(&e, 0, sizeof(e));
		e.job = (uint32_t)i;
		v = &job->ji.st->vals;
		nc = ncache_get(m, v);
		for (k = 0; k < v->n; k++) {
			state_vals_value(v, k, &val, &oidlen);
			kind = value_kind(val.type, &skip);
			if (skip)
				continue;
			if (nc != NULL && nc->fam[k] >= 0 &&
			    m->fam[nc->fam[k]].kind == kind) {
				f = nc->fam[k];
				e.node = nc->ent[k].node;
				e.plen = nc->ent[k].plen;
			} else {
				state_vals_get(&job->ji.st->vals, k, &vb);
				value_name(m, &vb, job->cp, &e, name,
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
			e.u = val.u;
			e.type = val.type;
			/* index_labels and lookup_labels add nothing */
			e.bare = e.plen >= oidlen;
			if (ent_add(m, &e) == -1) {
				m->nomem = true;
				return;
			}
			m->fam[f].count++;
			if (kind == MK_COUNTER &&
			    job->ji.st->vals.rates != NULL &&
			    rate_add(m, &e, f) == -1)
				return;
		}
	}
}

/* ------------------------------------------------------------- samples */

static void
label(struct render_buf *b, bool *first, const char *name, const char *v,
    size_t n)
{
	render_add(b, *first ? "{" : ",", 1);
	*first = false;
	render_adds(b, name);
	render_add(b, "=\"", 2);
	metrics_label_value(b, v, n);
	render_add(b, "\"", 1);
}

/* The roster of the selected sessions and polls (see struct mjob); -1
 * when memory ran out. */
/* Add ds to r, which has room for its session. */
static int
roster_add(struct roster *r, struct daemon *d, const struct metrics_sel *sel,
    const struct dsess *ds)
{
	static const struct sess_stats zero;
	const struct sess_stats	*st;
	const struct state_sess	*ss;
	struct polls_sess_info	 info;
	struct msess		*ms;
	struct mjob		*mj, *nj;
	const char		*host = sessions_host(ds);
	size_t			 j;
	bool			 first = true;

	ms = &r->sess[r->nsess++];	/* roster_gather made the room */
	st = ds->s != NULL ? sess_get_stats(ds->s) : &zero;
	ms->fig[SF_UP] = strcmp(polls_state_name(ds), "up") == 0;
	ms->fig[SF_REQUESTS] = st->requests;
	ms->fig[SF_RESPONSES] = st->responses;
	ms->fig[SF_TIMEOUTS] = st->timeouts;
	ms->fig[SF_RETRIES] = st->retries;
	ms->fig[SF_BAD_PACKETS] = st->bad_packets;
	ms->fig[SF_RTT] = 0;
	ms->pfx = (uint32_t)r->pfx.len;
	label(&r->pfx, &first, "session", ds->name, strlen(ds->name));
	label(&r->pfx, &first, "host", host, strlen(host));
	ms->pfxlen = (uint32_t)(r->pfx.len - ms->pfx);
	ms->have_rtt = false;
	if (polls_sess_info(ds, &info) == -1) {
		/* No polls: its client requests' RTT. */
		if ((ss = sessions_asked_state(ds)) != NULL) {
			ms->have_rtt = ss->have_rtt;
			ms->fig[SF_RTT] = ss->srtt_us;
		}
		return r->pfx.failed ? -1 : 0;
	}
	ms->have_rtt = info.st->have_rtt;
	ms->fig[SF_RTT] = info.st->srtt_us;		/* 10^-6 s */
	for (j = 0; j < info.njobs; j++) {
		if (r->njobs == r->capjobs) {
			if ((nj = realloc(r->jobs, (r->capjobs * 2 + 256) *
			    sizeof(*nj))) == NULL)
				return -1;
			r->jobs = nj;
			r->capjobs = r->capjobs * 2 + 256;
		}
		mj = &r->jobs[r->njobs];
		polls_job_info(ds, j, &mj->ji);
		if (sel->poll != NULL && strcmp(sel->poll, mj->ji.poll) != 0)
			continue;
		r->njobs++;
		mj->cp = config_find_poll(d->conf, mj->ji.poll);
		mj->fig[PF_RUNS] = mj->ji.runs;
		mj->fig[PF_OK] = mj->ji.ok;
		mj->fig[PF_FAILED] = mj->ji.failed;
		mj->fig[PF_OVERRUNS] = mj->ji.overruns;
		mj->fig[PF_SKIPPED] = mj->ji.skipped_down;
		mj->fig[PF_DURATION] = mj->ji.st->duration_us;	/* 10^-6 s */
		mj->fig[PF_LAST] = mj->ji.st->time_ms;		/* 10^-3 s */
		mj->pfx = (uint32_t)r->pfx.len;
		/* the session's labels again, then the poll's */
		if (render_reserve(&r->pfx, ms->pfxlen) == 0)
			render_add(&r->pfx, r->pfx.p + ms->pfx, ms->pfxlen);
		first = false;
		label(&r->pfx, &first, "poll", mj->ji.poll,
		    strlen(mj->ji.poll));
		mj->pfxlen = (uint32_t)(r->pfx.len - mj->pfx);
	}
	return r->pfx.failed || r->pfx.len > UINT32_MAX ? -1 : 0;
}

/* r is empty, with the memory of sc when given. */
static int
roster_gather(struct roster *r, struct daemon *d,
    const struct metrics_sel *sel, struct metrics_scratch *sc)
{
	struct msess	*ns;
	size_t		 i, n = sel->only != NULL ? 1 :
			    sessions_count(d->sessions);

	if (sc != NULL) {
		*r = sc->r;
		memset(&sc->r, 0, sizeof(sc->r));
	} else {
		memset(r, 0, sizeof(*r));
		render_buf_init(&r->pfx);
	}
	r->nsess = r->njobs = 0;
	render_buf_reset(&r->pfx);
	if (r->capsess < n) {
		if ((ns = reallocarray(r->sess, n, sizeof(*ns))) == NULL)
			return -1;
		r->sess = ns;
		r->capsess = n;
	}
	if (sel->only != NULL)
		return roster_add(r, d, sel, sel->only);
	for (i = 0; i < sessions_count(d->sessions); i++)
		if (roster_add(r, d, sel, sessions_at(d->sessions, i)) == -1)
			return -1;
	return 0;
}

/* r's memory back to sc when given, else freed. */
static void
roster_free(struct roster *r, struct metrics_scratch *sc)
{
	if (sc != NULL && sc->r.sess == NULL && sc->r.jobs == NULL &&
	    sc->r.pfx.p == NULL) {
		sc->r = *r;
		return;
	}
	free(r->sess);
	free(r->jobs);
	render_buf_free(&r->pfx);
}

struct metrics_scratch *
metrics_scratch_new(void)
{
	struct metrics_scratch *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	render_buf_init(&sc->r.pfx);
	return sc;
}

void
metrics_scratch_free(struct metrics_scratch *sc)
{
	if (sc == NULL)
		return;
	free(sc->r.sess);
	free(sc->r.jobs);
	render_buf_free(&sc->r.pfx);
	free(sc->ent);
	free(sc->order);
	free(sc);
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
    const struct mjob *job, const struct oid *on, const struct lset *ls,
    const char *info)
{
	const struct config_poll *cp = job->cp;
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
		if ((k = state_vals_find(&job->ji.st->vals, &o)) < 0)
			continue;
		state_vals_get(&job->ji.st->vals, (size_t)k, &lv);
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

/* One sample (a counter's rate: see the top of the file). */
static void
metrics_value(struct mctx *m, struct render_buf *b, const struct mfam *f,
    const struct mentry *e)
{
	const struct mjob *job = &m->r->jobs[e->job];
	const struct state_vals *v;
	struct snmp_varbind vb;
	struct snmp_value val;
	const struct oid *on;
	const char	*txt;
	char		 buf[1024];
	size_t		 n;
	bool		 first = true;
	struct lset	 ls;
	double		 rate = 0;

	if (e->bare && (f->kind == MK_COUNTER || f->kind == MK_GAUGE)) {
		/* Most samples: from the entry, without the store. */
		render_add(b, f->name, f->namelen);
		if (f->kind == MK_COUNTER && m->sel->openmetrics)
			render_add(b, "_total", 6);
		render_add(b, m->r->pfx.p + job->pfx, job->pfxlen);
		render_add(b, "} ", 2);
		if (e->type == SNMP_T_INTEGER)
			render_i64(b, (int64_t)e->u);
		else
			render_u64(b, e->u);
		render_add(b, "\n", 1);
		return;
	}
	v = &job->ji.st->vals;
	ls.n = 0;
	/* A named set's OID is read in place, not copied. */
	if (v->names != NULL) {
		on = &v->names[e->vbi];
		state_vals_value(v, e->vbi, &val, &n);
	} else {
		state_vals_get(v, e->vbi, &vb);
		on = &vb.name;
		val = vb.value;
	}
	render_add(b, f->name, f->namelen);
	if (f->kind == MK_COUNTER && m->sel->openmetrics)
		render_add(b, "_total", 6);
	render_add(b, m->r->pfx.p + job->pfx, job->pfxlen);
	first = false;
	index_labels(b, &first, e, on, f->kind == MK_INFO ? f->name : NULL,
	    &ls);
	lookup_labels(b, &first, e, job, on, &ls, f->kind == MK_INFO ?
	    f->name : NULL);
	switch (f->kind) {
	case MK_INFO:
		n = value_text(e, &val, buf, sizeof(buf), &txt);
		label(b, &first, f->name, txt, n);
		render_add(b, "} 1\n", 4);
		return;
	case MK_COUNTER:
	case MK_GAUGE:
		render_add(b, "} ", 2);
		if (val.type == SNMP_T_INTEGER)
			render_i64(b, val.i);
		else
			render_u64(b, val.u);
		render_add(b, "\n", 1);
		return;
	case MK_RATE:
		render_add(b, "} ", 2);
		(void)state_vals_rate(v, e->vbi, &rate);
		render_double(b, rate);
		render_add(b, "\n", 1);
		return;
	}
}

static void
render_values(const struct roster *r, const struct metrics_sel *sel,
    struct metrics_scratch *sc, struct render_buf *b)
{
	struct mctx	 m;
	uint32_t	*order = NULL, *no;
	size_t		 i, pos, f, ordercap = 0;

	memset(&m, 0, sizeof(m));
	m.sel = sel;
	m.r = r;
	m.mib = mib_current();
	if (sc != NULL) {
		m.ent = sc->ent;
		m.entcap = sc->entcap;
		order = sc->order;
		ordercap = sc->ordercap;
		sc->ent = NULL;
		sc->order = NULL;
	}
	collect(&m);
	if (!m.nomem && ordercap < m.nent + 1) {
		if ((no = realloc(order, (m.nent + 1) * sizeof(*no))) == NULL)
			m.nomem = true;
		else {
			order = no;
			ordercap = m.nent + 1;
		}
	}
	if (m.nomem || m.nent > UINT32_MAX) {
		b->failed = true;
		goto out;
	}
	/* Counting sort by family: each family's entries in store order
	 * (their indexes: pass two reads each family's in rising order). */
	for (pos = 0, f = 0; f < m.nfam; f++) {
		i = m.fam[f].count;
		m.fam[f].count = pos;
		pos += i;
	}
	for (i = 0; i < m.nent; i++)
		order[m.fam[m.ent[i].fam].count++] = (uint32_t)i;
	/* About what a sample takes, so the buffer grows once or twice. */
	(void)render_reserve(b, m.nent * 160);
	for (f = 0, i = 0; f < m.nfam && !b->failed; f++) {
		render_add(b, "# TYPE ", 7);
		render_add(b, m.fam[f].name, m.fam[f].namelen);
		render_adds(b, m.fam[f].kind == MK_COUNTER ? " counter\n" :
		    " gauge\n");
		for (; i < m.fam[f].count; i++)
			metrics_value(&m, b, &m.fam[f], &m.ent[order[i]]);
	}
 out:
	for (i = 0; i < METRICS_NCACHE; i++) {
		free(m.nc[i].fam);
		free(m.nc[i].ent);
	}
	free(m.fam);
	free(m.tab);
	if (sc != NULL) {
		sc->ent = m.ent;
		sc->entcap = m.entcap;
		sc->order = order;
		sc->ordercap = ordercap;
	} else {
		free(m.ent);
		free(order);
	}
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

/* One sample: NAME[_total], its labels' prefix, v as fig says. */
static void
health_sample(struct render_buf *b, const struct metrics_sel *sel,
    const struct hfig *fig, size_t namelen, const char *pfx,
    size_t pfxlen, uint64_t v)
{
	render_add(b, fig->name, namelen);
	if (fig->counter && sel->openmetrics)
		render_add(b, "_total", 6);
	render_add(b, pfx, pfxlen);
	render_add(b, "} ", 2);
	if (fig->dec > 0)
		render_fixed(b, v, fig->dec);
	else
		render_u64(b, v);
	render_add(b, "\n", 1);
}

static void
health_sessions(const struct roster *r, const struct metrics_sel *sel,
    struct render_buf *b)
{
	const struct msess	*ms;
	size_t			 i, namelen;
	int			 f;

	for (f = 0; f < SF__COUNT; f++) {
		type_line(b, sel, sfigs[f].name, sfigs[f].counter,
		    sfigs[f].help);
		namelen = strlen(sfigs[f].name);
		for (i = 0; i < r->nsess; i++) {
			ms = &r->sess[i];
			if (f == SF_RTT && !ms->have_rtt)
				continue;
			health_sample(b, sel, &sfigs[f], namelen,
			    r->pfx.p + ms->pfx, ms->pfxlen, ms->fig[f]);
		}
	}
}

static void
health_polls(const struct roster *r, const struct metrics_sel *sel,
    struct render_buf *b)
{
	const struct mjob	*mj;
	size_t			 j, namelen;
	int			 f;

	for (f = 0; f < PF__COUNT; f++) {
		type_line(b, sel, pfigs[f].name, pfigs[f].counter,
		    pfigs[f].help);
		namelen = strlen(pfigs[f].name);
		for (j = 0; j < r->njobs; j++) {
			mj = &r->jobs[j];
			if (f >= PF_DURATION && !mj->ji.st->have)
				continue;
			health_sample(b, sel, &pfigs[f], namelen,
			    r->pfx.p + mj->pfx, mj->pfxlen, mj->fig[f]);
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
	metrics_scalar(b, sel, "snmpmgrd_trap_acks_waiting", false,
	    ti.acks_waiting);
	metrics_scalar(b, sel, "snmpmgrd_trap_acks_overflow", true,
	    ti.acks_overflow);
	metrics_scalar(b, sel, "snmpmgrd_trap_acks_retransmissions", true,
	    ti.acks_again);
	metrics_scalar(b, sel, "snmpmgrd_trap_tcp_holds", true,
	    ti.acks_holds);
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

	type_line(b, sel, "snmpmgrd_uptime_seconds", false, "seconds since "
	    "start");
	/* (a 32-byte snprintf buffer cut the newline off from 100 s on) */
	render_adds(b, "snmpmgrd_uptime_seconds ");
	render_fixed(b, (uint64_t)(daemon_uptime(d) * 1e3 + 0.5), 3);
	render_add(b, "\n", 1);
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
	struct roster	 r;

	if (roster_gather(&r, d, sel, sel->scratch) == -1) {
		b->failed = true;
		goto out;
	}
	if (sel->values)
		render_values(&r, sel, sel->scratch, b);
	if (!sel->health)
		goto out;
	if (sel->only == NULL)
		health_daemon(d, sel, b);
	health_sessions(&r, sel, b);
	health_polls(&r, sel, b);
	if (sel->only == NULL)
		health_traps(d, sel, b);
 out:
	roster_free(&r, sel->scratch);
}
