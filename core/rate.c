/*
 * rate.c - counter rates and discontinuities (rate.h).
 */
#include <stddef.h>

#include "rate.h"

bool
rate_is_discontinuity(enum rate_status st)
{
	return st == RATE_DISC_UPTIME || st == RATE_DISC_BOOTS ||
	    st == RATE_DISC_IFCOUNTER || st == RATE_DISC_CLOCK;
}

const char *
rate_reason_name(enum rate_status st)
{
	switch (st) {
	case RATE_DISC_UPTIME:
		return "sysUpTime";
	case RATE_DISC_BOOTS:
		return "engineBoots";
	case RATE_DISC_IFCOUNTER:
		return "ifCounterDiscontinuityTime";
	case RATE_DISC_CLOCK:
		return "clock";
	case RATE_NONE:
	case RATE_OK:
		break;
	}
	return NULL;
}

uint64_t
rate_delta(bool is64, uint64_t prev, uint64_t cur)
{
	if (is64)
		return cur - prev;	/* modulo 2^64: one wrap at most */
	return (uint64_t)((uint32_t)cur - (uint32_t)prev);
}

enum rate_status
rate_counter(bool is64, uint64_t prev, uint64_t cur, uint64_t dt_us,
    double *rate)
{
	if (dt_us == 0)
		return RATE_DISC_CLOCK;
	*rate = (double)rate_delta(is64, prev, cur) / ((double)dt_us / 1e6);
	return RATE_OK;
}

bool
rate_uptime_reset(uint32_t prev, uint32_t cur, uint64_t dt_us)
{
	uint64_t	 wrapped, elapsed_cs = dt_us / 10000;

	if (cur >= prev)
		return false;
	/* RFC 2578 7.1.8: TimeTicks wrap modulo 2^32 too. */
	wrapped = (uint64_t)(uint32_t)(cur - prev);
	return wrapped > 2 * elapsed_cs + 1000;
}

enum rate_status
rate_sample_check(const struct rate_sample *prev,
    const struct rate_sample *cur)
{
	if (cur->time_us <= prev->time_us)
		return RATE_DISC_CLOCK;
	if (prev->have_boots && cur->have_boots && prev->boots != cur->boots)
		return RATE_DISC_BOOTS;
	if (prev->have_uptime && cur->have_uptime &&
	    rate_uptime_reset(prev->uptime, cur->uptime,
	    cur->time_us - prev->time_us))
		return RATE_DISC_UPTIME;
	return RATE_OK;
}
