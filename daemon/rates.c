/*
 * rates.c - counter rates of poll results (rates.h).
 *
 * One pass over the new sample finds sysUpTime.0 and the
 * ifCounterDiscontinuityTime instances; the sample's verdict
 * (rate_sample_check) and the interfaces whose counters were reset
 * follow; a second pass gives each counter asked for its status and rate,
 * its previous value found by position (a get answering what it asked) or
 * by OID in the previous values.
 */
#include <config.h>		/* autoconf's */

#include <stdlib.h>
#include <string.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/rate.h"

#include "conf.h"
#include "rates.h"
#include "state.h"

/* SNMPv2-MIB sysUpTime.0; IF-MIB ifEntry, ifXEntry and its column 19,
 * ifCounterDiscontinuityTime (RFC 2863 6). */
static const uint32_t sysuptime0[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const uint32_t if_entry[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1 };
static const uint32_t ifx_entry[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1 };
#define IFX_DISC_TIME	19
#define NARCS(a)	(sizeof(a) / sizeof((a)[0]))

/* The new sample: a set, or a get's answer. */
struct sample {
	const struct state_vals		*v;
	const struct snmp_varbind	*vb;
	size_t				 n;
	bool				 named;	/* vb holds cp->oids in order */
};

/* Object i of s: its arcs, type and integer value. */
static void
sample_get(const struct sample *s, size_t i, const uint32_t **arcs,
    size_t *len, uint8_t *type, uint64_t *u)
{
	const struct state_vb	*r;
	struct snmp_value	 val;

	if (s->vb != NULL) {
		*arcs = s->vb[i].name.arcs;
		*len = s->vb[i].name.len;
		*type = s->vb[i].value.type;
		*u = s->vb[i].value.u;
		return;
	}
	if (s->v->names != NULL) {
		*arcs = s->v->names[i].arcs;
		state_vals_value(s->v, i, &val, len);
		*type = val.type;
		*u = val.u;
		return;
	}
	r = &s->v->vb[i];
	*arcs = (const uint32_t *)(s->v->data + r->off);
	*len = r->oidlen;
	*type = r->type;
	*u = r->u;
}

static bool
arcs_eq(const uint32_t *a, size_t n, const uint32_t *b, size_t m)
{
	return n == m && memcmp(a, b, n * sizeof(*a)) == 0;
}

static bool
arcs_under(const uint32_t *a, size_t n, const uint32_t *pre, size_t m)
{
	return n >= m && memcmp(a, pre, m * sizeof(*a)) == 0;
}

/* The ifIndex of a counter of an ifTable or ifXTable row, or 0. */
static uint32_t
if_row(const uint32_t *a, size_t n)
{
	if (n == NARCS(if_entry) + 2 && arcs_under(a, n, if_entry,
	    NARCS(if_entry)))
		return a[n - 1];
	if (n == NARCS(ifx_entry) + 2 && arcs_under(a, n, ifx_entry,
	    NARCS(ifx_entry)))
		return a[n - 1];
	return 0;
}

/* Index of the object of old named by arcs, or -1. */
static ssize_t
old_find(const struct state_vals *old, const uint32_t *arcs, size_t len)
{
	struct oid	 o;

	if (len > SNMPMGR_MAX_OID_LEN)
		return -1;
	o.len = (uint32_t)len;
	memcpy(o.arcs, arcs, len * sizeof(*arcs));
	return state_vals_find(old, &o);
}

/* The previous value of object i of s (arcs), if old has it. */
static bool
old_value(const struct state_vals *old, const struct sample *s, size_t i,
    const uint32_t *arcs, size_t len, uint8_t *type, uint64_t *u)
{
	struct snmp_value val;
	ssize_t	 k;
	size_t	 olen;

	if (s->named && old->names != NULL && i < old->n)
		k = (ssize_t)i;		/* the same OIDs in the same order */
	else if ((k = old_find(old, arcs, len)) < 0)
		return false;
	state_vals_value(old, (size_t)k, &val, &olen);
	*type = val.type;
	*u = val.u;
	return true;
}

/* Does the poll ask rates for object i of s? */
static bool
asked(const struct config_poll *cp, const struct sample *s, size_t i,
    const uint32_t *arcs, size_t len)
{
	size_t	 k;

	if (cp->oid_rate == NULL)
		return cp->rate;
	if (s->named)
		return config_poll_rate(cp, i);
	for (k = 0; k < cp->noids; k++)
		if (cp->is_walk ? arcs_under(arcs, len, cp->oids[k].arcs,
		    cp->oids[k].len) : arcs_eq(arcs, len, cp->oids[k].arcs,
		    cp->oids[k].len))
			return config_poll_rate(cp, k);
	return cp->rate;
}

/*
 * The ifIndexes whose ifCounterDiscontinuityTime differs between old and
 * s, in *out (malloc'ed; NULL when none or out of memory, then counters
 * are taken as continuous).  Their number.
 */
static size_t
if_resets(const struct state_vals *old, const struct sample *s,
    uint32_t **out)
{
	const uint32_t	*arcs;
	uint32_t	*set = NULL, *ns;
	size_t		 i, len, n = 0, cap = 0;
	uint8_t		 type, otype;
	uint64_t	 u, ou;

	*out = NULL;
	for (i = 0; i < s->n; i++) {
		sample_get(s, i, &arcs, &len, &type, &u);
		if (type != SNMP_T_TIMETICKS || len != NARCS(ifx_entry) + 2 ||
		    arcs[NARCS(ifx_entry)] != IFX_DISC_TIME ||
		    !arcs_under(arcs, len, ifx_entry, NARCS(ifx_entry)) ||
		    !old_value(old, s, i, arcs, len, &otype, &ou) ||
		    otype != SNMP_T_TIMETICKS || ou == u)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((ns = reallocarray(set, cap, sizeof(*ns))) == NULL) {
				free(set);
				return 0;
			}
			set = ns;
		}
		set[n++] = arcs[len - 1];
	}
	*out = set;
	return n;
}

static bool
in_set(const uint32_t *set, size_t n, uint32_t x)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (set[i] == x)
			return true;
	return false;
}

/* sysUpTime.0 of a set or sample, if there. */
static bool
uptime_of(const struct sample *s, uint32_t *uptime)
{
	const uint32_t	*arcs;
	size_t		 i, len;
	uint8_t		 type;
	uint64_t	 u;

	for (i = 0; i < s->n; i++) {
		sample_get(s, i, &arcs, &len, &type, &u);
		if (type == SNMP_T_TIMETICKS && arcs_eq(arcs, len, sysuptime0,
		    NARCS(sysuptime0))) {
			*uptime = (uint32_t)u;
			return true;
		}
	}
	return false;
}

/*
 * The rates of s against old into r (prepared for s->n objects), the
 * previous sample being prev (time_us 0: none).
 */
static void
compute(struct state_rates *r, const struct rate_sample *prev,
    const struct state_vals *old, const struct sample *s,
    const struct rates_in *in)
{
	const struct config_poll *cp = in->cp;
	struct rate_sample	 cur;
	enum rate_status	 verdict, st;
	const uint32_t		*arcs;
	uint32_t		*resets = NULL, idx;
	size_t			 i, len, nresets;
	uint8_t			 type, otype;
	uint64_t		 u, ou;

	memset(&cur, 0, sizeof(cur));
	cur.time_us = in->time_us;
	cur.have_boots = in->have_boots;
	cur.boots = in->boots;
	cur.have_uptime = uptime_of(s, &cur.uptime);
	r->time_us = cur.time_us;
	r->have_boots = cur.have_boots;
	r->boots = cur.boots;
	r->interval_us = 0;
	if (prev->time_us == 0 || old->n == 0)
		return;			/* a first sample: no rates */
	verdict = rate_sample_check(prev, &cur);
	if (verdict == RATE_OK)
		r->interval_us = cur.time_us - prev->time_us;
	nresets = verdict == RATE_OK ? if_resets(old, s, &resets) : 0;
	for (i = 0; i < s->n; i++) {
		sample_get(s, i, &arcs, &len, &type, &u);
		if ((type != SNMP_T_COUNTER32 && type != SNMP_T_COUNTER64) ||
		    !asked(cp, s, i, arcs, len) ||
		    !old_value(old, s, i, arcs, len, &otype, &ou) ||
		    otype != type)
			continue;
		st = verdict;
		if (st == RATE_OK && nresets > 0 &&
		    (idx = if_row(arcs, len)) != 0 &&
		    in_set(resets, nresets, idx))
			st = RATE_DISC_IFCOUNTER;
		if (st == RATE_OK)
			st = rate_counter(type == SNMP_T_COUNTER64, ou, u,
			    r->interval_us, &r->rate[i]);
		r->st[i] = (uint8_t)st;
	}
	if (nresets > 0)
		free(resets);
}

/* What old says of its sample. */
static void
prev_sample(const struct state_vals *old, struct rate_sample *prev)
{
	struct sample	 s = { .v = old, .n = old->n };

	memset(prev, 0, sizeof(*prev));
	if (old->rates == NULL)
		return;
	prev->time_us = old->rates->time_us;
	prev->have_boots = old->rates->have_boots;
	prev->boots = old->rates->boots;
	prev->have_uptime = uptime_of(&s, &prev->uptime);
}

void
rates_walk(struct state_vals *nv, const struct state_vals *old,
    const struct rates_in *in)
{
	struct rate_sample	 prev;
	struct sample		 s = { .v = nv, .n = nv->n };

	prev_sample(old, &prev);
	if (state_rates_prepare(nv, nv->n) == -1)
		return;
	compute(nv->rates, &prev, old, &s, in);
}

void
rates_get(struct state_vals *v, const struct snmp_varbind *vb, size_t n,
    const struct rates_in *in)
{
	const struct config_poll *cp = in->cp;
	struct rate_sample	 prev;
	struct sample		 s = { .vb = vb, .n = n };
	size_t			 i;

	s.named = n == cp->noids;
	for (i = 0; s.named && i < n; i++)
		s.named = oid_cmp(&vb[i].name, &cp->oids[i]) == 0;
	/* The previous sample is read before v's rates are rewritten. */
	prev_sample(v, &prev);
	if (state_rates_prepare(v, n) == -1)
		return;
	compute(v->rates, &prev, v, &s, in);
}

void
rates_get_done(struct state_vals *v)
{
	if (v->rates != NULL && v->names == NULL)
		v->rates->n = 0;
}
