/*
 * conf_units.c - scalar values of the config: durations ("500ms", "5s",
 * "1m", "1h" or seconds) and sizes ("64MiB", "10k" or bytes), and the
 * typed readers of JSON values (integers in a range, booleans, bounded
 * strings, words of a fixed list, names) that report through cfg_fail().
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/hex.h"
#include "conf.h"
#include "conf_int.h"

/* ------------------------------------------------------------------ */
/* Durations and sizes                                                 */

/*
 * A decimal number "123" or "1.25" at s: its digits as an integer and the
 * count of digits after the point.  *end is set past it.  -1 when there
 * is no number; past the 18 digits we count, -2 when it is larger, -3
 * when it has a finer fraction.
 */
static int
parse_decimal(const char *s, uint64_t *mant, unsigned *fdigits,
    const char **end)
{
	uint64_t	 m = 0;
	unsigned	 nd = 0, fd = 0;
	int		 point = 0, digits = 0, big = 0;

	for (;; s++) {
		if (*s == '.' && !point) {
			point = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		digits = 1;
		if (nd >= 18) {
			/* Past what we count: a larger number, or a finer
			 * fraction unless it is a trailing zero. */
			if (!point)
				big = -2;
			else if (*s != '0' && big == 0)
				big = -3;
			continue;
		}
		if (m > 0 || *s != '0')
			nd++;
		m = m * 10 + (uint64_t)(*s - '0');
		if (point)
			fd++;
	}
	if (!digits)
		return -1;
	if (point && fd == 0)
		return -1;		/* "5." */
	*mant = m;
	*fdigits = fd;
	*end = s;
	return big;
}

/* mant / 10^fd * mult, exactly; -2 on overflow, -3 on a fraction left
 * over. */
static int
scale_exact(uint64_t mant, unsigned fd, uint64_t mult, uint64_t *out)
{
	uint64_t	 v, p = 1;

	if (__builtin_mul_overflow(mant, mult, &v))
		return -2;
	/* 10^20 and up divide no uint64_t but 0. */
	if (fd > 19) {
		if (v != 0)
			return -3;
		fd = 0;
	}
	while (fd-- > 0)
		p *= 10;
	if (v % p != 0)
		return -3;
	*out = v / p;
	return 0;
}

struct unit {
	const char	*name;
	uint64_t	 mult;
};

static const struct unit duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "", 1000 },
	{ "m", 60 * 1000 },
	{ "min", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 24 * 3600 * 1000 },
};

static const struct unit size_units[] = {
	{ "", 1 }, { "B", 1 },
	{ "k", 1000 }, { "K", 1000 }, { "kB", 1000 }, { "KB", 1000 },
	{ "M", 1000000 }, { "MB", 1000000 },
	{ "G", 1000000000 }, { "GB", 1000000000 },
	{ "T", 1000000000000ULL }, { "TB", 1000000000000ULL },
	{ "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 },
	{ "TiB", 1ULL << 40 },
};

/* A number and its unit: 0, -1 not one, -2 too large, -3 a fraction of
 * the smallest unit left over. */
static int
parse_units(const char *s, const struct unit *units, size_t nunits,
    uint64_t *out)
{
	uint64_t	 mant;
	unsigned	 fd;
	const char	*end;
	size_t		 i;
	int		 rv;

	if (s == NULL || (rv = parse_decimal(s, &mant, &fd, &end)) == -1)
		return -1;
	for (i = 0; i < nunits; i++)
		if (strcmp(end, units[i].name) == 0)
			return rv != 0 ? rv : scale_exact(mant, fd,
			    units[i].mult, out);
	return -1;
}

int
config_parse_duration(const char *s, uint32_t *ms)
{
	uint64_t	 v;
	int		 rv;

	if ((rv = parse_units(s, duration_units,
	    sizeof(duration_units) / sizeof(duration_units[0]), &v)) != 0)
		return rv == -2 ? CONFIG_DURATION_RANGE : rv == -3 ?
		    CONFIG_DURATION_FINE : -1;
	if (v > UINT32_MAX)
		return CONFIG_DURATION_RANGE;
	*ms = (uint32_t)v;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t	 v;

	if (parse_units(s, size_units,
	    sizeof(size_units) / sizeof(size_units[0]), &v) != 0)
		return -1;
	*bytes = v;
	return 0;
}

/* The shortest exact form: "1h", "90s", "1500ms". */
void
cfg_format_duration(uint32_t ms, char *buf, size_t size)
{
	if (ms != 0 && ms % 3600000 == 0)
		(void)snprintf(buf, size, "%uh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		(void)snprintf(buf, size, "%um", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		(void)snprintf(buf, size, "%us", ms / 1000);
	else
		(void)snprintf(buf, size, "%ums", ms);
}

#define DURATION_HINT	"expected a duration such as \"5s\", \"500ms\" " \
			"or a number of seconds"
#define SIZE_HINT	"expected a size such as \"64MiB\", \"10k\" or a " \
			"number of bytes"

/* A JSON duration (string, or number of seconds) in [min, max] ms. */
int
cfg_duration(const json_t *v, const struct cfg_pos *at, uint32_t min,
    uint32_t max, uint32_t *ms, struct config_err *err)
{
	char		 lo[32], hi[32];
	double		 d, r;
	uint64_t	 u;

	if (json_is_string(v)) {
		switch (config_parse_duration(json_string_value(v), ms)) {
		case 0:
			break;
		case CONFIG_DURATION_RANGE:
			goto range;
		case CONFIG_DURATION_FINE:
			goto fine;
		default:
			return cfg_fail(err, at, AT_VALUE, DURATION_HINT);
		}
	} else if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX / 1000)
			goto range;
		*ms = (uint32_t)json_integer_value(v) * 1000;
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= 0) || d > UINT32_MAX / 1000.0)
			goto range;
		r = d * 1000.0;
		u = (uint64_t)(r + 0.5);
		if (r - (double)u > 1e-6 || (double)u - r > 1e-6)
			goto fine;
		*ms = (uint32_t)u;
	} else
		return cfg_fail(err, at, AT_VALUE, DURATION_HINT);
	if (*ms >= min && *ms <= max)
		return 0;
 range:
	cfg_format_duration(min, lo, sizeof(lo));
	cfg_format_duration(max, hi, sizeof(hi));
	return cfg_fail(err, at, AT_VALUE, "must be from %s to %s", lo, hi);
 fine:
	return cfg_fail(err, at, AT_VALUE, "finer than a millisecond");
}

/* A JSON integer in [min, max]; with sizes, "64KiB" strings too. */
int
cfg_int_range(const json_t *v, const struct cfg_pos *at, int sizes,
    long long min, long long max, long long *out, struct config_err *err)
{
	uint64_t	 u;

	if (json_is_integer(v))
		*out = json_integer_value(v);
	else if (sizes && json_is_string(v)) {
		if (config_parse_size(json_string_value(v), &u) == -1)
			return cfg_fail(err, at, AT_VALUE, SIZE_HINT);
		*out = u > INT64_MAX ? INT64_MAX : (long long)u;
	} else if (sizes)
		return cfg_fail(err, at, AT_VALUE, SIZE_HINT);
	else
		return cfg_fail(err, at, AT_VALUE, "expected an integer");
	if (*out < min || *out > max)
		return cfg_fail(err, at, AT_VALUE, "must be from %lld to %lld",
		    min, max);
	return 0;
}

int
cfg_bool(const json_t *v, const struct cfg_pos *at, bool *out,
    struct config_err *err)
{
	if (!json_is_boolean(v))
		return cfg_fail(err, at, AT_VALUE, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string of minlen..maxlen bytes; addr: no spaces or control bytes. */
int
cfg_str(const json_t *v, const struct cfg_pos *at, size_t minlen,
    size_t maxlen, int addr, const char **out, struct config_err *err)
{
	const char	*s;
	size_t		 n, i;

	if (!json_is_string(v))
		return cfg_fail(err, at, AT_VALUE, "expected a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n < minlen)
		return cfg_fail(err, at, AT_VALUE, minlen == 1 ?
		    "must not be empty" : "shorter than %zu bytes", minlen);
	if (n > maxlen)
		return cfg_fail(err, at, AT_VALUE, "longer than %zu bytes",
		    maxlen);
	for (i = 0; addr && i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return cfg_fail(err, at, AT_VALUE, "contains spaces "
			    "or control characters");
	*out = s;
	return 0;
}

/* One of a fixed list of words. */
int
cfg_word(const json_t *v, const struct cfg_pos *at,
    const char *const *words, size_t *idx, struct config_err *err)
{
	char		 list[256];
	size_t		 i;
	struct suggest	 sg;

	if (json_is_string(v))
		for (i = 0; words[i] != NULL; i++)
			if (strcmp(json_string_value(v), words[i]) == 0) {
				*idx = i;
				return 0;
			}
	config_words_list(words, list, sizeof(list));
	if (json_is_string(v)) {
		sg.key = json_string_value(v);
		sg.best = NULL;
		sg.dist = SIZE_MAX;
		cfg_suggest_list(&sg, words);
		if (cfg_suggest_result(&sg) != NULL)
			return cfg_fail(err, at, AT_VALUE, "expected %s (did "
			    "you mean \"%s\"?)", list, cfg_suggest_result(&sg));
	}
	return cfg_fail(err, at, AT_VALUE, "expected %s", list);
}

void
config_words_list(const char *const *words, char *buf, size_t size)
{
	size_t	 i, off = 0;

	if (size > 0)
		buf[0] = '\0';
	for (i = 0; words[i] != NULL && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s\"%s\"",
		    i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ",
		    words[i]);
}

/* Names of sessions, polls, templates, credentials. */
int
cfg_check_name(const char *name, const struct cfg_pos *at,
    struct config_err *err)
{
	size_t	 n = strlen(name), i;

	if (n == 0)
		return cfg_fail(err, at, AT_KEY, "empty name");
	if (n > SNMPMGR_MAX_NAME_LEN)
		return cfg_fail(err, at, AT_KEY, "name longer than %d bytes",
		    SNMPMGR_MAX_NAME_LEN);
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_' || name[i] == '.' || name[i] == '-'))
			return cfg_fail(err, at, AT_KEY, "names may only hold "
			    "letters, digits, '_', '.' and '-'");
	return 0;
}

/* The config's hex syntax: optional "0x", one ':' between two octets. */
#define CFG_HEX_FLAGS	(HEX_PREFIX | HEX_COLONS)

/* Hex octets in the config's syntax: 0 with their count, or -1. */
int
cfg_hex_octets(const char *s, size_t *noctets)
{
	uint8_t	*buf;
	size_t	 len = strlen(s), room = len / 2 + 1, n;
	int	 rv;

	/* Room for all the text could hold: callers name the count of a
	 * string that is too long in their message. */
	if ((buf = malloc(room)) == NULL)
		return -1;
	rv = hex_decode(s, len, CFG_HEX_FLAGS, buf, room, &n);
	OPENSSL_cleanse(buf, room);	/* it may be a key */
	free(buf);
	if (rv == -1 || n == 0)
		return -1;
	*noctets = n;
	return 0;
}

size_t
cfg_hex_decode(const char *s, uint8_t *out, size_t max)
{
	size_t	 n;

	if (hex_decode_str(s, CFG_HEX_FLAGS, out, max, &n) == -1)
		return 0;
	return n;
}

