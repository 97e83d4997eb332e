/*
 * rates.h - the rates of a poll's counters: a new sample against the
 * previous one (the poll's stored values, state.h), through the rules of
 * core/rate.h, into the new sample's state_rates.
 *
 * Which counters: those the poll asks rates for (config_poll_rate: the
 * poll's "rate", or its OID entry's; a walk's objects follow the subtree
 * they came from).  Discontinuities: our clock, the agent's engineBoots
 * (SNMPv3, given by the caller), sysUpTime.0 when the poll fetched it in
 * both samples, and for the counters of ifTable and ifXTable rows the
 * ifCounterDiscontinuityTime of that ifIndex when the poll fetched it in
 * both samples.
 */
#ifndef SNMPMGRD_RATES_H
#define SNMPMGRD_RATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_poll;
struct snmp_varbind;
struct state_vals;

/* What the caller knows of the new sample. */
struct rates_in {
	const struct config_poll *cp;
	uint64_t		 time_us;	/* monotonic, now */
	uint32_t		 boots;		/* the agent's, if have_boots */
	bool			 have_boots;
};

/*
 * A walk poll's new values nv (finished) against old (the values stored
 * so far): nv gets its rates.  Without memory nv has none.
 */
void	 rates_walk(struct state_vals *nv, const struct state_vals *old,
	    const struct rates_in *in);
/*
 * A get poll's answer vb[0..n-1], before it replaces the values in v:
 * v's rates become those of the answer, in its order.  Call
 * rates_get_done(v) once the answer is stored.
 */
void	 rates_get(struct state_vals *v, const struct snmp_varbind *vb,
	    size_t n, const struct rates_in *in);
/* The answer was stored in v: rates stay only if its objects are the
 * ones asked, in that order (a named set). */
void	 rates_get_done(struct state_vals *v);

#endif /* SNMPMGRD_RATES_H */
