/*
 * rate.h - per-second rates of SNMP counters between two samples, and the
 * rules that tell a counter's wrap from a discontinuity (RFC 2578 7.1.6,
 * 7.1.10; RFC 2863 3.1.6 ifCounterDiscontinuityTime).  Pure arithmetic:
 * the caller keeps the samples and gives the times.
 *
 * A Counter32 that went down wrapped once (at most one wrap per interval
 * is assumed); a Counter64 likewise modulo 2^64.  The difference is taken
 * as an unsigned integer and only then made a double, so a Counter64 far
 * above 2^53 loses nothing of its increase.  A discontinuity (the agent
 * restarted, its engine rebooted, an interface's counters were reset) is
 * no wrap: that sample gets no rate, only the reason.
 */
#ifndef SNMPMGR_RATE_H
#define SNMPMGR_RATE_H

#include <stdbool.h>
#include <stdint.h>

/* What a sample of one counter says (stored in one byte). */
enum rate_status {
	RATE_NONE		= 0,	/* no rate: not asked, not a counter,
					 * or no earlier sample of it */
	RATE_OK			= 1,	/* a rate */
	RATE_DISC_UPTIME	= 2,	/* sysUpTime.0 went backwards */
	RATE_DISC_BOOTS		= 3,	/* snmpEngineBoots changed */
	RATE_DISC_IFCOUNTER	= 4,	/* ifCounterDiscontinuityTime of its
					 * interface changed */
	RATE_DISC_CLOCK		= 5,	/* no time passed between the two */
};

/* True for the discontinuities (no rate, a reason). */
bool		 rate_is_discontinuity(enum rate_status st);
/* "sysUpTime", "engineBoots", "ifCounterDiscontinuityTime", "clock";
 * NULL for RATE_NONE and RATE_OK. */
const char	*rate_reason_name(enum rate_status st);

/*
 * The increase of a counter from prev to cur: modulo 2^32 when !is64
 * (values above 2^32 - 1 are taken modulo 2^32 too), else modulo 2^64.
 */
uint64_t	 rate_delta(bool is64, uint64_t prev, uint64_t cur);

/*
 * The rate per second of a counter from prev to cur, dt_us microseconds
 * apart, in *rate: RATE_OK, or RATE_DISC_CLOCK when dt_us is 0 (*rate
 * untouched).  The rate is delta / (dt_us / 1e6) in double arithmetic.
 */
enum rate_status rate_counter(bool is64, uint64_t prev, uint64_t cur,
		    uint64_t dt_us, double *rate);

/*
 * Did sysUpTime (TimeTicks, hundredths of a second, 32 bits) going from
 * prev to cur over dt_us microseconds of our clock mean a restart?  True
 * when it went backwards, unless the elapsed time explains a wrap of its
 * 32 bits (after 497 days): then the wrapped increase is at most twice
 * the elapsed time plus ten seconds.
 */
bool		 rate_uptime_reset(uint32_t prev, uint32_t cur,
		    uint64_t dt_us);

/*
 * What one sample of an agent says about all its counters: when it was
 * taken (monotonic microseconds) and, when known, sysUpTime.0 and the
 * agent's snmpEngineBoots.
 */
struct rate_sample {
	uint64_t	 time_us;
	uint32_t	 uptime;
	uint32_t	 boots;
	bool		 have_uptime;
	bool		 have_boots;
};

/*
 * The verdict for every counter of cur against prev: RATE_OK (rates may
 * be computed), RATE_DISC_CLOCK (time did not advance: cur is not later
 * than prev), RATE_DISC_BOOTS (both know boots and they differ) or
 * RATE_DISC_UPTIME (both have sysUpTime and rate_uptime_reset says so).
 * Checked in that order.
 */
enum rate_status rate_sample_check(const struct rate_sample *prev,
		    const struct rate_sample *cur);

#endif /* SNMPMGR_RATE_H */
