/*
 * conf.c - load and validate snmpmgrd's JSON configuration (SPEC.md
 * sections 2 and 8) into a struct config.
 *
 * The main file and every file it includes are read whole and parsed with
 * jansson (duplicate keys rejected).  Their top-level keys are merged:
 * named entries (sessions, polls, templates, credentials) are pooled, and a
 * scalar section may be given once.  Then everything is checked and turned
 * into plain C structures.  jansson forgets where a value was, so errors
 * about meaning find it again with a small JSON scanner over the file text
 * that follows the key path of the offending value; every error therefore
 * reads "FILE:LINE:COL: key.path: what is wrong".
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "core/session.h"
#include "core/usm.h"
#include "conf.h"

#define CONFIG_DEFAULT_SOCKET	"/run/snmpmgrd/control.sock"
#define CONFIG_DEFAULT_STATEDIR	"/var/lib/snmpmgrd"
#define CONFIG_DEFAULT_MODE	0660
#define CONFIG_DEFAULT_JOURNAL	"traps.jsonl"
#define CONFIG_MAX_INCLUDE_DEPTH 8
#define CONFIG_MAX_LIST		1024	/* listen specs, communities, ... */
#define CONFIG_MAX_SECRET_LEN	1024

/* ------------------------------------------------------------------ */
/* Key paths and positions                                             */

/* Copy a string known to fit (checked by the caller), or truncate. */
static void
copy_str(char *dst, const char *src, size_t size)
{
	(void)snprintf(dst, size, "%s", src);
}

#define CONFIG_MAX_KEY_DEPTH	6

/* A path from a file's top-level object to one value. */
struct kpath {
	int		 n;
	struct {
		const char	*key;	/* NULL: an array index */
		size_t		 idx;
	}		 seg[CONFIG_MAX_KEY_DEPTH];
};

struct cfg_file {
	char		*path;		/* as opened */
	char		*real;		/* realpath(3), for include loops */
	char		*text;
	size_t		 len;
	json_t		*root;
};

/* Where a value is: a file (NULL for inline targets) and a key path. */
struct cfg_pos {
	const struct cfg_file *file;
	struct kpath	 path;
};

static struct cfg_pos
pos_key(const struct cfg_pos *parent, const char *key)
{
	struct cfg_pos	 p = *parent;

	if (p.path.n < CONFIG_MAX_KEY_DEPTH) {
		p.path.seg[p.path.n].key = key;
		p.path.seg[p.path.n].idx = 0;
		p.path.n++;
	}
	return p;
}

static struct cfg_pos
pos_idx(const struct cfg_pos *parent, size_t idx)
{
	struct cfg_pos	 p = *parent;

	if (p.path.n < CONFIG_MAX_KEY_DEPTH) {
		p.path.seg[p.path.n].key = NULL;
		p.path.seg[p.path.n].idx = idx;
		p.path.n++;
	}
	return p;
}

static void
kpath_format(const struct kpath *kp, char *buf, size_t size)
{
	size_t	 off = 0;
	int	 i, r;

	buf[0] = '\0';
	for (i = 0; i < kp->n && off < size; i++) {
		if (kp->seg[i].key != NULL)
			r = snprintf(buf + off, size - off, "%s%s",
			    i > 0 ? "." : "", kp->seg[i].key);
		else
			r = snprintf(buf + off, size - off, "[%zu]",
			    kp->seg[i].idx);
		if (r < 0)
			break;
		off += (size_t)r;
	}
}

/*
 * The position finder: a minimal JSON scanner (RFC 8259 grammar, no
 * validation; jansson has accepted the text already) that follows a key
 * path and stops at the value, or at the key when at_key is set.  When the
 * path cannot be followed it stops at the deepest value it reached.
 */
struct scan {
	const char	*p;
	const char	*end;
};

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
scan_hex4(const char *p, const char *end, unsigned *v)
{
	int	 i;

	*v = 0;
	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			*v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			*v |= (unsigned)(p[i] - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/*
 * Read the string at s->p, decoding escapes into buf (NUL-terminated).
 * *fits is false when it did not fit.  -1 when there is no string here.
 */
static int
scan_string(struct scan *s, char *buf, size_t size, int *fits)
{
	size_t		 n = 0;
	unsigned	 cp, lo;
	char		 tmp[4];
	size_t		 tn, i;

	*fits = 1;
	if (s->p >= s->end || *s->p != '"')
		return -1;
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p != '\\') {
			tmp[0] = *s->p++;
			tn = 1;
		} else {
			if (s->end - s->p < 2)
				return -1;
			s->p++;
			tn = 1;
			switch (*s->p) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u':
				if (scan_hex4(s->p + 1, s->end, &cp) == -1)
					return -1;
				s->p += 4;
				if (cp >= 0xd800 && cp < 0xdc00 &&
				    s->end - s->p > 6 && s->p[1] == '\\' &&
				    s->p[2] == 'u' &&
				    scan_hex4(s->p + 3, s->end, &lo) == 0 &&
				    lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					s->p += 6;
				}
				if (cp < 0x80) {
					tmp[0] = (char)cp;
				} else if (cp < 0x800) {
					tmp[0] = (char)(0xc0 | (cp >> 6));
					tmp[1] = (char)(0x80 | (cp & 0x3f));
					tn = 2;
				} else if (cp < 0x10000) {
					tmp[0] = (char)(0xe0 | (cp >> 12));
					tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
					tmp[2] = (char)(0x80 | (cp & 0x3f));
					tn = 3;
				} else {
					tmp[0] = (char)(0xf0 | (cp >> 18));
					tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
					tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
					tmp[3] = (char)(0x80 | (cp & 0x3f));
					tn = 4;
				}
				break;
			default:
				tmp[0] = *s->p;
				break;
			}
			s->p++;
		}
		for (i = 0; i < tn; i++) {
			if (n + 1 < size)
				buf[n++] = tmp[i];
			else
				*fits = 0;
		}
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	buf[n] = '\0';
	return 0;
}

/* Skip one value of any kind; iterative, so nesting costs no stack. */
static int
scan_skip(struct scan *s)
{
	size_t	 depth = 0;

	do {
		scan_ws(s);
		if (s->p >= s->end)
			return -1;
		switch (*s->p) {
		case '"':
			s->p++;
			while (s->p < s->end && *s->p != '"') {
				if (*s->p == '\\')
					s->p++;
				s->p++;
			}
			if (s->p >= s->end)
				return -1;
			s->p++;
			break;
		case '{':
		case '[':
			depth++;
			s->p++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return -1;
			depth--;
			s->p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return -1;
			s->p++;
			break;
		default:
			/* A NUL is no delimiter (strchr would find one). */
			while (s->p < s->end && (*s->p == '\0' ||
			    strchr(" \t\r\n,:]}", *s->p) == NULL))
				s->p++;
			break;
		}
	} while (depth > 0);
	return 0;
}

/* Move s into the member key of the object at s->p; at its value. */
static const char *
scan_member(struct scan *s, const char *key)
{
	char		 buf[512];
	const char	*kpos;
	int		 fits;

	if (s->p >= s->end || *s->p != '{')
		return NULL;
	s->p++;
	for (;;) {
		scan_ws(s);
		kpos = s->p;
		if (scan_string(s, buf, sizeof(buf), &fits) == -1)
			return NULL;
		scan_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return NULL;
		s->p++;
		scan_ws(s);
		if (fits && strcmp(buf, key) == 0)
			return kpos;
		if (scan_skip(s) == -1)
			return NULL;
		scan_ws(s);
		if (s->p >= s->end || *s->p != ',')
			return NULL;
		s->p++;
	}
}

static int
scan_element(struct scan *s, size_t idx)
{
	size_t	 i;

	if (s->p >= s->end || *s->p != '[')
		return -1;
	s->p++;
	for (i = 0; ; i++) {
		scan_ws(s);
		if (s->p >= s->end || *s->p == ']')
			return -1;
		if (i == idx)
			return 0;
		if (scan_skip(s) == -1)
			return -1;
		scan_ws(s);
		if (s->p >= s->end || *s->p != ',')
			return -1;
		s->p++;
	}
}

/* Line and column (both from 1; columns count characters) of a value. */
static void
cfg_locate(const struct cfg_file *f, const struct kpath *kp, int at_key,
    int *line, int *col)
{
	struct scan	 s;
	const char	*at, *kpos = NULL, *p;
	int		 i;

	s.p = f->text;
	s.end = f->text + f->len;
	scan_ws(&s);
	at = s.p;
	for (i = 0; i < kp->n; i++) {
		if (kp->seg[i].key != NULL) {
			kpos = scan_member(&s, kp->seg[i].key);
			if (kpos == NULL)
				break;
		} else {
			kpos = NULL;
			if (scan_element(&s, kp->seg[i].idx) == -1)
				break;
		}
		at = s.p;
	}
	if (i == kp->n && at_key && kpos != NULL)
		at = kpos;
	*line = 1;
	*col = 1;
	for (p = f->text; p < at && p < s.end; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else if ((*p & 0xc0) != 0x80)
			(*col)++;
	}
}

#define AT_VALUE	0
#define AT_KEY		1

static int	 cfg_fail(struct config_err *, const struct cfg_pos *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/* Fill err with "FILE:LINE:COL: path: message" (or "path: message"). */
static int
cfg_fail(struct config_err *err, const struct cfg_pos *at, int at_key,
    const char *fmt, ...)
{
	char		 path[256];
	va_list		 ap;
	int		 line, col, r = 0;
	size_t		 off;

	kpath_format(&at->path, path, sizeof(path));
	if (at->file != NULL) {
		cfg_locate(at->file, &at->path, at_key, &line, &col);
		r = snprintf(err->text, sizeof(err->text), "%s:%d:%d: %s%s",
		    at->file->path, line, col, path, path[0] != '\0' ? ": " :
		    "");
	} else if (path[0] != '\0')
		r = snprintf(err->text, sizeof(err->text), "%s: ", path);
	else
		err->text[0] = '\0';
	off = r < 0 ? 0 : (size_t)r;
	if (off < sizeof(err->text)) {
		va_start(ap, fmt);
		(void)vsnprintf(err->text + off, sizeof(err->text) - off, fmt,
		    ap);
		va_end(ap);
	}
	return -1;
}

/* "FILE:LINE:COL" of a value, for messages naming a second place. */
static void
cfg_where(const struct cfg_pos *at, char *buf, size_t size)
{
	int	 line, col;

	if (at->file == NULL) {
		(void)snprintf(buf, size, "here");
		return;
	}
	cfg_locate(at->file, &at->path, AT_KEY, &line, &col);
	(void)snprintf(buf, size, "%s:%d:%d", at->file->path, line, col);
}

/* ------------------------------------------------------------------ */
/* Suggestions for unknown keys                                        */

struct suggest {
	const char	*key;
	const char	*best;
	size_t		 dist;
};

/* Levenshtein distance of two short strings; SIZE_MAX for long ones. */
static size_t
cfg_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), row[41], i, j, prev, tmp, v;

	if (la > 40 || lb > 40)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			v = prev + (a[i - 1] == b[j - 1] ? 0 : 1);
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			prev = tmp;
		}
	}
	return row[lb];
}

static void
suggest_try(struct suggest *sg, const char *name)
{
	size_t	 d = cfg_distance(sg->key, name), len = strlen(sg->key);

	if (len >= 3 && strncmp(name, sg->key, len) == 0 && d > 1)
		d = 1;			/* "warn" for "warning" */
	if (d > 1 && strcasecmp(name, sg->key) == 0)
		d = 1;			/* "SHA" for "sha" */
	if (d < sg->dist) {
		sg->dist = d;
		sg->best = name;
	}
}

static void
suggest_list(struct suggest *sg, const char *const *names)
{
	for (; names != NULL && *names != NULL; names++)
		suggest_try(sg, *names);
}

/* A suggestion is worth making when it is a typo away. */
static const char *
suggest_result(const struct suggest *sg)
{
	size_t	 len = strlen(sg->key);

	if (sg->best == NULL || sg->dist == 0)
		return NULL;
	if (sg->dist <= 1 || (sg->dist <= 2 && len > 4) ||
	    (sg->dist <= 3 && len > 10))
		return sg->best;
	return NULL;
}

static int
cfg_unknown(struct config_err *err, const struct cfg_pos *at,
    const struct suggest *sg, const char *what)
{
	const char	*best = suggest_result(sg);

	if (best != NULL)
		return cfg_fail(err, at, AT_KEY, "unknown %s (did you mean "
		    "\"%s\"?)", what, best);
	return cfg_fail(err, at, AT_KEY, "unknown %s", what);
}

static int
name_in(const char *const *names, const char *key)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, key) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Durations and sizes                                                 */

/*
 * A decimal number "123" or "1.25" at s: its digits as an integer and the
 * count of digits after the point.  *end is set past it.
 */
static int
parse_decimal(const char *s, uint64_t *mant, unsigned *fdigits,
    const char **end)
{
	uint64_t	 m = 0;
	unsigned	 nd = 0, fd = 0;
	int		 point = 0, digits = 0;

	for (;; s++) {
		if (*s == '.' && !point) {
			point = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (nd >= 18)
			return -1;
		digits = 1;
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
	return 0;
}

/* mant / 10^fd * mult, exactly; -1 on a fraction left over or overflow. */
static int
scale_exact(uint64_t mant, unsigned fd, uint64_t mult, uint64_t *out)
{
	uint64_t	 v, p = 1;

	while (fd-- > 0)
		p *= 10;
	if (__builtin_mul_overflow(mant, mult, &v))
		return -1;
	if (v % p != 0)
		return -1;
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

static int
parse_units(const char *s, const struct unit *units, size_t nunits,
    uint64_t *out)
{
	uint64_t	 mant;
	unsigned	 fd;
	const char	*end;
	size_t		 i;

	if (s == NULL || parse_decimal(s, &mant, &fd, &end) == -1)
		return -1;
	for (i = 0; i < nunits; i++)
		if (strcmp(end, units[i].name) == 0)
			return scale_exact(mant, fd, units[i].mult, out);
	return -1;
}

int
config_parse_duration(const char *s, uint32_t *ms)
{
	uint64_t	 v;

	if (parse_units(s, duration_units,
	    sizeof(duration_units) / sizeof(duration_units[0]), &v) == -1 ||
	    v > UINT32_MAX)
		return -1;
	*ms = (uint32_t)v;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t	 v;

	if (parse_units(s, size_units,
	    sizeof(size_units) / sizeof(size_units[0]), &v) == -1)
		return -1;
	*bytes = v;
	return 0;
}

/* The shortest exact form: "1h", "90s", "1500ms". */
static void
format_duration(uint32_t ms, char *buf, size_t size)
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
static int
json_duration(const json_t *v, const struct cfg_pos *at, uint32_t min,
    uint32_t max, uint32_t *ms, struct config_err *err)
{
	char		 lo[32], hi[32];
	double		 d, r;
	uint64_t	 u;

	if (json_is_string(v)) {
		if (config_parse_duration(json_string_value(v), ms) == -1)
			return cfg_fail(err, at, AT_VALUE, DURATION_HINT);
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
			return cfg_fail(err, at, AT_VALUE, "finer than a "
			    "millisecond");
		*ms = (uint32_t)u;
	} else
		return cfg_fail(err, at, AT_VALUE, DURATION_HINT);
	if (*ms >= min && *ms <= max)
		return 0;
 range:
	format_duration(min, lo, sizeof(lo));
	format_duration(max, hi, sizeof(hi));
	return cfg_fail(err, at, AT_VALUE, "must be from %s to %s", lo, hi);
}

/* A JSON integer in [min, max]; with sizes, "64KiB" strings too. */
static int
json_int_range(const json_t *v, const struct cfg_pos *at, int sizes,
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

static int
json_bool(const json_t *v, const struct cfg_pos *at, bool *out,
    struct config_err *err)
{
	if (!json_is_boolean(v))
		return cfg_fail(err, at, AT_VALUE, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string of minlen..maxlen bytes; addr: no spaces or control bytes. */
static int
json_str(const json_t *v, const struct cfg_pos *at, size_t minlen,
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
static int
json_word(const json_t *v, const struct cfg_pos *at,
    const char *const *words, size_t *idx, struct config_err *err)
{
	char		 list[256];
	size_t		 i, off = 0;
	struct suggest	 sg;

	if (json_is_string(v))
		for (i = 0; words[i] != NULL; i++)
			if (strcmp(json_string_value(v), words[i]) == 0) {
				*idx = i;
				return 0;
			}
	list[0] = '\0';
	for (i = 0; words[i] != NULL && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
		    "%s\"%s\"", i == 0 ? "" : words[i + 1] == NULL ? " or " :
		    ", ", words[i]);
	if (json_is_string(v)) {
		sg.key = json_string_value(v);
		sg.best = NULL;
		sg.dist = SIZE_MAX;
		suggest_list(&sg, words);
		if (suggest_result(&sg) != NULL)
			return cfg_fail(err, at, AT_VALUE, "expected %s (did "
			    "you mean \"%s\"?)", list, suggest_result(&sg));
	}
	return cfg_fail(err, at, AT_VALUE, "expected %s", list);
}

/* Names of sessions, polls, templates, credentials. */
static int
check_name(const char *name, const struct cfg_pos *at, struct config_err *err)
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

/* Hex octets: optional "0x", optional ':' between octets. */
static int
hex_octets(const char *s, size_t *noctets)
{
	size_t	 digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s != '\0'; s++) {
		if (*s == ':' && digits % 2 == 0 && digits > 0 && s[1] != '\0')
			continue;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		    (*s >= 'A' && *s <= 'F')))
			return -1;
		digits++;
	}
	if (digits == 0 || digits % 2 != 0)
		return -1;
	*noctets = digits / 2;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Session options                                                     */

enum optkind {
	OPT_ADDR,		/* char[]: no spaces */
	OPT_STR,		/* char[]: any bytes */
	OPT_U16,
	OPT_U32,
	OPT_INT,
	OPT_SIZE_INT,		/* int, "64KiB" allowed */
	OPT_SIZE_U32,		/* uint32_t, "64KiB" allowed */
	OPT_BOOL,
	OPT_DURATION,		/* uint32_t milliseconds */
	OPT_VERSION,
	OPT_TRANSPORT,
};

struct optdef {
	const char	*name;
	enum optkind	 kind;
	size_t		 off;
	size_t		 size;
	long long	 min, max;
	int		 nullable;	/* JSON null sets nullval */
	long long	 nullval;
	int		 secret;
};

#define OPTF(f)	offsetof(struct sess_opts, f), \
		sizeof(((struct sess_opts *)0)->f)

static const struct optdef optdefs[] = {
	{ "host", OPT_ADDR, OPTF(host), 1, 0, 0, 0, 0 },
	{ "port", OPT_U16, OPTF(port), 1, 65535, 0, 0, 0 },
	{ "transport", OPT_TRANSPORT, OPTF(transport), 0, 0, 0, 0, 0 },
	{ "version", OPT_VERSION, OPTF(version), 0, 0, 0, 0, 0 },
	{ "community", OPT_STR, OPTF(community), 0, 0, 0, 0, 1 },
	{ "timeout", OPT_DURATION, OPTF(timeout_ms), 1,
	    SNMPMGR_MAX_TIMEOUT_MS, 0, 0, 0 },
	{ "retries", OPT_U32, OPTF(retries), 0, SNMPMGR_MAX_RETRIES, 0, 0, 0 },
	{ "max_repetitions", OPT_U32, OPTF(max_repetitions), 1,
	    SNMPMGR_MAX_REPETITIONS, 0, 0, 0 },
	{ "non_repeaters", OPT_U32, OPTF(non_repeaters), 0,
	    SNMPMGR_MAX_VARBINDS, 0, 0, 0 },
	{ "walk_limit", OPT_U32, OPTF(walk_limit), 0, UINT32_MAX, 0, 0, 0 },
	{ "walk_inside_range", OPT_BOOL, OPTF(walk_inside_range), 0, 0, 0, 0,
	    0 },
	{ "check_message_origin", OPT_BOOL, OPTF(check_message_origin), 0, 0,
	    0, 0, 0 },
	{ "ignore_port_mismatch", OPT_BOOL, OPTF(ignore_port_mismatch), 0, 0,
	    0, 0, 0 },
	{ "check_version", OPT_BOOL, OPTF(check_version), 0, 0, 0, 0, 0 },
	{ "ignore_duplicate_response", OPT_BOOL,
	    OPTF(ignore_duplicate_response), 0, 0, 0, 0, 0 },
	{ "local_host", OPT_ADDR, OPTF(local_host), 0, 0, 0, 0, 0 },
	{ "local_port", OPT_U16, OPTF(local_port), 0, 65535, 0, 0, 0 },
	{ "force_local_port", OPT_BOOL, OPTF(force_local_port), 0, 0, 0, 0,
	    0 },
	{ "share_local_port", OPT_BOOL, OPTF(share_local_port), 0, 0, 0, 0,
	    0 },
	{ "use_connection", OPT_BOOL, OPTF(use_connection), 0, 0, 0, 0, 0 },
	{ "dont_fragment", OPT_BOOL, OPTF(dont_fragment), 0, 0, 0, 0, 0 },
	{ "dscp", OPT_INT, OPTF(dscp), 0, 63, 1, -1, 0 },
	{ "in_buffer_size", OPT_SIZE_INT, OPTF(in_buffer_size), 0, INT32_MAX,
	    1, 0, 0 },
	{ "out_buffer_size", OPT_SIZE_INT, OPTF(out_buffer_size), 0, INT32_MAX,
	    1, 0, 0 },
	{ "max_packet_size", OPT_SIZE_U32, OPTF(max_packet_size), 484, 65535,
	    0, 0, 0 },
	{ "enabled", OPT_BOOL, OPTF(enabled), 0, 0, 0, 0, 0 },
	{ "accept_data", OPT_BOOL, OPTF(accept_data), 0, 0, 0, 0, 0 },
};
#define NOPTDEFS	(sizeof(optdefs) / sizeof(optdefs[0]))

static const char *const transport_words[] = { "udp", "udp6", "dtls", NULL };
static const char *const version_words[] = { "1", "2c", "3", "2", NULL };

/* The options of SPEC 2 that live in config_session.extra for now. */
enum v3kind {
	V3_STR,
	V3_PATH,
	V3_WORD,
	V3_HEX,
	V3_INT,
	V3_BOOL,
	V3_FINGERPRINT,
};

struct v3def {
	const char		*name;
	enum v3kind		 kind;
	long long		 min, max;	/* length, octets or value */
	const char *const	*words;
	int			 secret;
};

static const char *const auth_words[] = { "md5", "sha", "sha224", "sha256",
	"sha384", "sha512", NULL };
static const char *const priv_words[] = { "des", "3des", "aes", "aes192",
	"aes256", NULL };
static const char *const keyext_words[] = { "blumenthal", "reeder", "auto",
	NULL };
/* RFC 3411 5 SnmpSecurityLevel, as Net-SNMP's -l spells them. */
static const char *const level_words[] = { "noAuthNoPriv", "authNoPriv",
	"authPriv", NULL };
static const char *const keytype_words[] = { "localized", "master", NULL };

static const struct v3def v3defs[] = {
	{ "user", V3_STR, 1, SNMPMGR_MAX_USER_LEN, NULL, 0 },
	{ "auth", V3_WORD, 0, 0, auth_words, 0 },
	/* RFC 3414 11.2: passwords of at least 8 octets. */
	{ "auth_password", V3_STR, 8, CONFIG_MAX_SECRET_LEN, NULL, 1 },
	{ "priv", V3_WORD, 0, 0, priv_words, 0 },
	{ "priv_password", V3_STR, 8, CONFIG_MAX_SECRET_LEN, NULL, 1 },
	{ "priv_key_extension", V3_WORD, 0, 0, keyext_words, 0 },
	{ "auth_key", V3_HEX, 16, 64, NULL, 1 },
	{ "priv_key", V3_HEX, 16, 64, NULL, 1 },
	{ "auth_key_type", V3_WORD, 0, 0, keytype_words, 0 },
	{ "priv_key_type", V3_WORD, 0, 0, keytype_words, 0 },
	{ "security_level", V3_WORD, 0, 0, level_words, 0 },
	/* RFC 3411 5: SnmpEngineID is 5..32 octets. */
	{ "local_engine_id", V3_HEX, 5, SNMPMGR_MAX_ENGINE_ID_LEN, NULL, 0 },
	{ "engine_id", V3_HEX, 5, SNMPMGR_MAX_ENGINE_ID_LEN, NULL, 0 },
	{ "engine_boots", V3_INT, 0, 2147483647, NULL, 0 },
	{ "engine_time", V3_INT, 0, 2147483647, NULL, 0 },
	{ "context_engine_id", V3_HEX, 5, SNMPMGR_MAX_ENGINE_ID_LEN, NULL, 0 },
	{ "context_name", V3_STR, 0, SNMPMGR_MAX_CONTEXT_LEN, NULL, 0 },
	/* RFC 3412 6: msgMaxSize is at least 484. */
	{ "msg_max_size", V3_INT, 484, SNMPMGR_MAX_MSG_SIZE, NULL, 0 },
	{ "single_step_discovery", V3_BOOL, 0, 0, NULL, 0 },
	{ "mask_sensitive_data", V3_BOOL, 0, 0, NULL, 0 },
	{ "decrypt_trace", V3_BOOL, 0, 0, NULL, 0 },
	{ "cert", V3_PATH, 1, PATH_MAX, NULL, 0 },
	{ "key", V3_PATH, 1, PATH_MAX, NULL, 0 },
	{ "ca", V3_PATH, 1, PATH_MAX, NULL, 0 },
	{ "server_fingerprint", V3_FINGERPRINT, 0, 0, NULL, 0 },
	/* RFC 5591: tmSecurityName is a SnmpAdminString (1..32 here). */
	{ "security_name", V3_STR, 1, 32, NULL, 0 },
};
#define NV3DEFS		(sizeof(v3defs) / sizeof(v3defs[0]))

static const struct optdef *
optdef_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NOPTDEFS; i++)
		if (strcmp(optdefs[i].name, name) == 0)
			return &optdefs[i];
	return NULL;
}

static const struct v3def *
v3def_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NV3DEFS; i++)
		if (strcmp(v3defs[i].name, name) == 0)
			return &v3defs[i];
	return NULL;
}

static void
suggest_options(struct suggest *sg, const char *const *extra)
{
	size_t	 i;

	for (i = 0; i < NOPTDEFS; i++)
		suggest_try(sg, optdefs[i].name);
	for (i = 0; i < NV3DEFS; i++)
		suggest_try(sg, v3defs[i].name);
	suggest_list(sg, extra);
}

static int
opt_set(const struct optdef *od, const json_t *v, const struct cfg_pos *at,
    struct sess_opts *o, struct config_err *err)
{
	char		*dst = (char *)o + od->off;
	const char	*s;
	long long	 n;
	uint32_t	 ms;
	size_t		 w;
	bool		 b = false;

	if (od->nullable && json_is_null(v)) {
		n = od->nullval;
		goto store;
	}
	switch (od->kind) {
	case OPT_ADDR:
	case OPT_STR:
		if (json_str(v, at, (size_t)od->min, od->size - 1,
		    od->kind == OPT_ADDR, &s, err) == -1)
			return -1;
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	case OPT_BOOL:
		if (json_bool(v, at, &b, err) == -1)
			return -1;
		memcpy(dst, &b, sizeof(b));
		return 0;
	case OPT_DURATION:
		if (json_duration(v, at, (uint32_t)od->min, (uint32_t)od->max,
		    &ms, err) == -1)
			return -1;
		memcpy(dst, &ms, sizeof(ms));
		return 0;
	case OPT_TRANSPORT:
		if (json_word(v, at, transport_words, &w, err) == -1)
			return -1;
		o->transport = w == 0 ? SESS_TRANSPORT_UDP : w == 1 ?
		    SESS_TRANSPORT_UDP6 : SESS_TRANSPORT_DTLS;
		return 0;
	case OPT_VERSION:
		if (json_is_integer(v)) {
			switch (json_integer_value(v)) {
			case 1:
				o->version = SNMP_V1;
				return 0;
			case 2:
				o->version = SNMP_V2C;
				return 0;
			case 3:
				o->version = SNMP_V3;
				return 0;
			}
			return cfg_fail(err, at, AT_VALUE, "expected \"1\", "
			    "\"2c\" or \"3\"");
		}
		for (w = 0; json_is_string(v) && version_words[w] != NULL;
		    w++)
			if (strcmp(json_string_value(v), version_words[w]) == 0)
				break;
		if (!json_is_string(v) || version_words[w] == NULL)
			return cfg_fail(err, at, AT_VALUE, "expected \"1\", "
			    "\"2c\" or \"3\"");
		o->version = w == 0 ? SNMP_V1 : w == 2 ? SNMP_V3 : SNMP_V2C;
		return 0;
	case OPT_U16:
	case OPT_U32:
	case OPT_INT:
	case OPT_SIZE_INT:
	case OPT_SIZE_U32:
		if (json_int_range(v, at, od->kind == OPT_SIZE_INT ||
		    od->kind == OPT_SIZE_U32, od->min, od->max, &n, err) == -1)
			return -1;
		goto store;
	}
	return cfg_fail(err, at, AT_VALUE, "internal error: option kind");
 store:
	if (od->size == sizeof(uint16_t)) {
		uint16_t	 u16 = (uint16_t)n;
		memcpy(dst, &u16, sizeof(u16));
	} else if (od->kind == OPT_INT || od->kind == OPT_SIZE_INT) {
		int		 i = (int)n;
		memcpy(dst, &i, sizeof(i));
	} else {
		uint32_t	 u32 = (uint32_t)n;
		memcpy(dst, &u32, sizeof(u32));
	}
	return 0;
}

static int
v3_check(const struct v3def *vd, const json_t *v, const struct cfg_pos *at,
    struct config_err *err)
{
	const char	*s;
	long long	 n;
	size_t		 w, octets;
	bool		 b;

	switch (vd->kind) {
	case V3_STR:
	case V3_PATH:
		return json_str(v, at, (size_t)vd->min, (size_t)vd->max,
		    vd->kind == V3_PATH, &s, err);
	case V3_WORD:
		return json_word(v, at, vd->words, &w, err);
	case V3_BOOL:
		return json_bool(v, at, &b, err);
	case V3_INT:
		return json_int_range(v, at, 0, vd->min, vd->max, &n, err);
	case V3_HEX:
		if (!json_is_string(v) ||
		    hex_octets(json_string_value(v), &octets) == -1)
			return cfg_fail(err, at, AT_VALUE, "expected hex "
			    "octets such as \"0x80001f8880...\"");
		if (octets < (size_t)vd->min || octets > (size_t)vd->max)
			return cfg_fail(err, at, AT_VALUE, "must be %lld to "
			    "%lld octets", vd->min, vd->max);
		return 0;
	case V3_FINGERPRINT:
		if (!json_is_string(v))
			return cfg_fail(err, at, AT_VALUE, "expected a string");
		s = json_string_value(v);
		if (strncmp(s, "sha256:", 7) == 0)
			s += 7;
		else if (strncmp(s, "sha1:", 5) == 0)
			s += 5;
		if (hex_octets(s, &octets) == -1 || (octets != 20 &&
		    octets != 28 && octets != 32 && octets != 48 &&
		    octets != 64))
			return cfg_fail(err, at, AT_VALUE, "expected a "
			    "certificate fingerprint: SHA-1 or SHA-2 hash in "
			    "hex, optionally \"sha256:\"-prefixed");
		return 0;
	}
	return cfg_fail(err, at, AT_VALUE, "internal error: option kind");
}

/*
 * Apply the option keys of obj on top of o (and the extra options into
 * extra, when given).  Keys listed in allowed are the caller's business;
 * any other key is an error.
 */
static int
opts_apply(const json_t *obj, const struct cfg_pos *at, struct sess_opts *o,
    json_t *extra, const char *const *allowed, struct config_err *err)
{
	const char		*key;
	json_t			*val;
	const struct optdef	*od;
	const struct v3def	*vd;
	struct cfg_pos		 kat;
	struct suggest		 sg;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object of "
		    "session options");
	json_object_foreach((json_t *)obj, key, val) {
		kat = pos_key(at, key);
		if ((od = optdef_find(key)) != NULL) {
			if (opt_set(od, val, &kat, o, err) == -1)
				return -1;
		} else if ((vd = v3def_find(key)) != NULL) {
			if (v3_check(vd, val, &kat, err) == -1)
				return -1;
			if (extra != NULL && json_object_set(extra, key,
			    val) == -1)
				return cfg_fail(err, &kat, AT_VALUE,
				    "out of memory");
		} else if (!name_in(allowed, key)) {
			sg.key = key;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			suggest_options(&sg, allowed);
			return cfg_unknown(err, &kat, &sg, "session option");
		}
	}
	return 0;
}

static int	v3_apply(const json_t *, struct sess_opts *, struct usm_cred **,
		    const char **, char *, size_t);
static int	v3_opts_json(const struct sess_opts *, bool, json_t *);

int
config_apply_session_opts(const json_t *obj, struct sess_opts *o,
    struct config_err *err)
{
	struct cfg_pos	 at;
	struct sess_opts tmp;
	struct usm_cred	*cred = NULL;
	json_t		*extra;
	const char	*badkey = "";
	char		 why[300];

	memset(&at, 0, sizeof(at));
	err->text[0] = '\0';
	tmp = *o;
	if ((extra = json_object()) == NULL)
		return cfg_fail(err, &at, AT_VALUE, "out of memory");
	if (opts_apply(obj, &at, &tmp, extra, NULL, err) == -1)
		goto fail;
	if (tmp.host[0] == '\0') {
		cfg_fail(err, &at, AT_VALUE, "host: required");
		goto fail;
	}
	if (tmp.transport == SESS_TRANSPORT_DTLS) {
		cfg_fail(err, &at, AT_VALUE, "transport: SNMP over DTLS "
		    "is not supported yet");
		goto fail;
	}
	/* SNMPv3 keys: o's credential, with these over it (session.h). */
	if (v3_apply(extra, &tmp, &cred, &badkey, why, sizeof(why)) == -1) {
		(void)snprintf(err->text, sizeof(err->text), "%s: %s", badkey,
		    why);
		goto fail;
	}
	json_decref(extra);
	if (cred != NULL) {
		usm_cred_free(o->v3.cred);
		tmp.v3.cred = cred;
	}
	*o = tmp;
	return 0;
 fail:
	json_decref(extra);
	return -1;
}

static json_t *
opt_json(const struct optdef *od, const struct sess_opts *o, bool mask)
{
	const char	*src = (const char *)o + od->off;
	char		 buf[32];
	uint16_t	 u16;
	uint32_t	 u32;
	int		 i;
	bool		 b;

	if (od->secret && mask)
		return json_string("***");
	switch (od->kind) {
	case OPT_ADDR:
	case OPT_STR:
		return json_stringn(src, strnlen(src, od->size));
	case OPT_BOOL:
		memcpy(&b, src, sizeof(b));
		return json_boolean(b);
	case OPT_DURATION:
		memcpy(&u32, src, sizeof(u32));
		format_duration(u32, buf, sizeof(buf));
		return json_string(buf);
	case OPT_TRANSPORT:
		return json_string(o->transport == SESS_TRANSPORT_UDP6 ?
		    "udp6" : o->transport == SESS_TRANSPORT_DTLS ? "dtls" :
		    "udp");
	case OPT_VERSION:
		return json_string(o->version == SNMP_V1 ? "1" :
		    o->version == SNMP_V3 ? "3" : "2c");
	case OPT_U16:
		memcpy(&u16, src, sizeof(u16));
		return json_integer(u16);
	case OPT_INT:
	case OPT_SIZE_INT:
		memcpy(&i, src, sizeof(i));
		if (od->nullable && i == od->nullval && i < 0)
			return json_null();
		return json_integer(i);
	case OPT_U32:
	case OPT_SIZE_U32:
		memcpy(&u32, src, sizeof(u32));
		return json_integer(u32);
	}
	return json_null();
}

json_t *
config_session_opts_json(const struct sess_opts *o, bool mask)
{
	json_t	*obj, *v;
	size_t	 i;

	if ((obj = json_object()) == NULL)
		return NULL;
	for (i = 0; i < NOPTDEFS; i++) {
		if ((v = opt_json(&optdefs[i], o, mask)) == NULL ||
		    json_object_set_new(obj, optdefs[i].name, v) == -1) {
			json_decref(obj);
			return NULL;
		}
	}
	if (v3_opts_json(o, mask, obj) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *
config_extra_json(const json_t *extra, bool mask)
{
	json_t			*obj, *v;
	const char		*key;
	const struct v3def	*vd;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (extra == NULL)
		return obj;
	json_object_foreach((json_t *)extra, key, v) {
		vd = v3def_find(key);
		if (mask && vd != NULL && vd->secret) {
			if (json_object_set_new(obj, key,
			    json_string("***")) == -1)
				goto fail;
		} else if (json_object_set(obj, key, v) == -1)
			goto fail;
	}
	return obj;
 fail:
	json_decref(obj);
	return NULL;
}

/* A password or key member (auth_password, priv_key ...)? */
static bool
is_secret_key(const char *key)
{
	const struct v3def	*vd = v3def_find(key);

	return vd != NULL && vd->secret;
}

/*
 * Overwrite the string v where jansson keeps it, then make it "***".
 * Every holder of a reference to v sees the change.
 */
static void
secret_wipe(json_t *v)
{
	char	*p = (char *)json_string_value(v);

	if (p == NULL || strcmp(p, "***") == 0)
		return;
	OPENSSL_cleanse(p, json_string_length(v));
	(void)json_string_set(v, "***");
}

static void
secrets_wipe(json_t *j, int depth)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	if (depth > SNMPMGR_MAX_JSON_DEPTH)
		return;
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (json_is_string(v) && is_secret_key(key))
				secret_wipe(v);
			else
				secrets_wipe(v, depth + 1);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			secrets_wipe(v, depth + 1);
	}
}

void
config_json_wipe_secrets(json_t *j)
{
	secrets_wipe(j, 0);
}

/*
 * Put "***" in place of the secrets of a session's extra options once its
 * credential is made.  Replaced, not overwritten: while a config loads,
 * these strings are shared with the files' parse trees (and so with other
 * sessions of the same credentials), which are wiped when the load ends.
 */
static void
secrets_mask(json_t *extra)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(extra, key, v)
		if (json_is_string(v) && is_secret_key(key))
			(void)json_object_set_new(extra, key,
			    json_string("***"));
}


/* ------------------------------------------------------------------ */
/* SNMPv3 options: from JSON keys to struct sess_v3opts and a usm_cred  */

/* Keys that make up the USM credential (the rest are plain options). */
static const char *const cred_keys[] = { "user", "auth", "auth_password",
	"auth_key", "auth_key_type", "priv", "priv_password", "priv_key",
	"priv_key_type", "priv_key_extension", NULL };

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* Octets of a string hex_octets() accepted; at most max.  The count. */
static size_t
v3_hex_decode(const char *s, uint8_t *out, size_t max)
{
	size_t	 n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s[0] != '\0' && s[1] != '\0' && n < max) {
		if (s[0] == ':') {
			s++;
			continue;
		}
		out[n++] = (uint8_t)(hex_nibble(s[0]) << 4 | hex_nibble(s[1]));
		s += 2;
	}
	return n;
}

/* "0x80001f88..." for JSON output. */
static json_t *
hex_json(const uint8_t *p, size_t n)
{
	char	 buf[2 + 2 * 64 + 1];
	size_t	 i;

	if (n > 64)
		n = 64;
	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < n; i++)
		snprintf(buf + 2 + 2 * i, 3, "%02x", p[i]);
	buf[2 + 2 * n] = '\0';
	return json_string(buf);
}

static size_t
v3_word(const json_t *v, const char *const *words)
{
	size_t	 i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(json_string_value(v), words[i]) == 0)
			return i;
	return 0;
}

/*
 * Apply the SNMPv3 keys of obj (values already checked by v3_check) on
 * top of o: the plain options into o->v3, and, when obj has any credential
 * key, a credential made from o's current one with obj's keys over it
 * (usm_cred_get: identical credentials are shared and hashed once).  The
 * new credential reference goes to *newcred (NULL when none was made); o's
 * is left alone.  -1 with *badkey and why on failure.
 */
static int
v3_apply(const json_t *obj, struct sess_opts *o, struct usm_cred **newcred,
    const char **badkey, char *why, size_t whylen)
{
	struct sess_v3opts	*v = &o->v3;
	struct usm_cred_params	 p;
	const struct usm_cred	*base = v->cred;
	const struct usm_key	*bk;
	const json_t		*j, *jb, *jt;
	const uint8_t		*u;
	uint8_t			 akey[64], pkey[64];
	char			 user[SNMPMGR_MAX_USER_LEN + 1];
	size_t			 n, i;
	bool			 any = false, newauth, newpriv;
	int			 rv = -1;

	*newcred = NULL;
	memset(&p, 0, sizeof(p));
	if ((j = json_object_get(obj, "security_level")) != NULL)
		v->level = (enum sess_level)(v3_word(j, level_words) + 1);
	if ((j = json_object_get(obj, "engine_id")) != NULL)
		v->engine_id_len = v3_hex_decode(json_string_value(j),
		    v->engine_id, sizeof(v->engine_id));
	jb = json_object_get(obj, "engine_boots");
	jt = json_object_get(obj, "engine_time");
	if ((jb != NULL) != (jt != NULL)) {
		*badkey = jb != NULL ? "engine_boots" : "engine_time";
		snprintf(why, whylen, "engine_boots and engine_time go "
		    "together");
		return -1;
	}
	if (jb != NULL) {
		v->engine_boots = (uint32_t)json_integer_value(jb);
		v->engine_time = (uint32_t)json_integer_value(jt);
		v->engine_time_set = true;
	}
	if ((j = json_object_get(obj, "context_engine_id")) != NULL)
		v->context_engine_id_len = v3_hex_decode(json_string_value(j),
		    v->context_engine_id, sizeof(v->context_engine_id));
	if ((j = json_object_get(obj, "context_name")) != NULL)
		copy_str(v->context_name, json_string_value(j),
		    sizeof(v->context_name));
	if ((j = json_object_get(obj, "msg_max_size")) != NULL)
		v->msg_max_size = (uint32_t)json_integer_value(j);
	if ((j = json_object_get(obj, "single_step_discovery")) != NULL)
		v->single_step_discovery = json_is_true(j);
	if (v->engine_time_set && v->engine_id_len == 0) {
		*badkey = "engine_boots";
		snprintf(why, whylen, "engine_boots and engine_time need "
		    "engine_id");
		return -1;
	}

	for (i = 0; cred_keys[i] != NULL; i++)
		if (json_object_get(obj, cred_keys[i]) != NULL)
			any = true;
	if (any) {
		/* Start from the credential o has. */
		user[0] = '\0';
		p.auth = USM_AUTH_NONE;
		p.priv = USM_PRIV_NONE;
		if (base != NULL) {
			u = usm_cred_user(base, &n);
			memcpy(user, u, n);
			user[n] = '\0';
			p.auth = usm_cred_auth(base);
			p.priv = usm_cred_priv(base);
			p.keyext = usm_cred_keyext(base);
			if ((bk = usm_cred_auth_key(base)) != NULL) {
				memcpy(akey, bk->bytes, bk->len);
				p.auth_key = akey;
				p.auth_key_len = bk->len;
				p.auth_key_localized =
				    usm_cred_auth_source(base) == 'l';
			}
			if ((bk = usm_cred_priv_key(base)) != NULL) {
				memcpy(pkey, bk->bytes, bk->len);
				p.priv_key = pkey;
				p.priv_key_len = bk->len;
				p.priv_key_localized =
				    usm_cred_priv_source(base) == 'l';
			}
		}
		if ((j = json_object_get(obj, "user")) != NULL)
			copy_str(user, json_string_value(j), sizeof(user));
		p.user = user;

		/* SPEC 2: md5 and des when only a password is set. */
		newauth = json_object_get(obj, "auth_password") != NULL ||
		    json_object_get(obj, "auth_key") != NULL;
		newpriv = json_object_get(obj, "priv_password") != NULL ||
		    json_object_get(obj, "priv_key") != NULL;
		if ((j = json_object_get(obj, "auth")) != NULL) {
			if (usm_auth_from_name(json_string_value(j),
			    &p.auth) == -1) {
				*badkey = "auth";
				goto cred_fail;
			}
			if (!newauth && p.auth_key != NULL &&
			    usm_auth_key_len(p.auth) != p.auth_key_len) {
				*badkey = "auth";
				snprintf(why, whylen, "another protocol needs "
				    "auth_password or auth_key as well");
				goto out;
			}
		} else if (newauth && p.auth == USM_AUTH_NONE)
			p.auth = USM_AUTH_MD5;
		if ((j = json_object_get(obj, "priv")) != NULL) {
			if (usm_priv_from_name(json_string_value(j), &p.priv,
			    NULL) == -1) {
				*badkey = "priv";
				goto cred_fail;
			}
		} else if (newpriv && p.priv == USM_PRIV_NONE)
			p.priv = USM_PRIV_DES;
		if ((j = json_object_get(obj, "priv_key_extension")) != NULL &&
		    usm_keyext_from_name(json_string_value(j), &p.keyext) ==
		    -1) {
			*badkey = "priv_key_extension";
			goto cred_fail;
		}
		if ((j = json_object_get(obj, "auth_password")) != NULL) {
			p.auth_password = json_string_value(j);
			p.auth_key = NULL;
			p.auth_key_len = 0;
		}
		if ((j = json_object_get(obj, "auth_key")) != NULL) {
			p.auth_key_len = v3_hex_decode(json_string_value(j),
			    akey, sizeof(akey));
			p.auth_key = akey;
			p.auth_password = NULL;
			p.auth_key_localized = true;
		}
		if ((j = json_object_get(obj, "auth_key_type")) != NULL) {
			if (json_object_get(obj, "auth_key") == NULL) {
				*badkey = "auth_key_type";
				snprintf(why, whylen, "needs auth_key");
				goto out;
			}
			p.auth_key_localized = v3_word(j, keytype_words) == 0;
		}
		if ((j = json_object_get(obj, "priv_password")) != NULL) {
			p.priv_password = json_string_value(j);
			p.priv_key = NULL;
			p.priv_key_len = 0;
		}
		if ((j = json_object_get(obj, "priv_key")) != NULL) {
			p.priv_key_len = v3_hex_decode(json_string_value(j),
			    pkey, sizeof(pkey));
			p.priv_key = pkey;
			p.priv_password = NULL;
			p.priv_key_localized = true;
		}
		if ((j = json_object_get(obj, "priv_key_type")) != NULL) {
			if (json_object_get(obj, "priv_key") == NULL) {
				*badkey = "priv_key_type";
				snprintf(why, whylen, "needs priv_key");
				goto out;
			}
			p.priv_key_localized = v3_word(j, keytype_words) == 0;
		}
		if (p.auth != USM_AUTH_NONE && p.auth_password == NULL &&
		    p.auth_key == NULL) {
			*badkey = "auth_password";
			snprintf(why, whylen, "auth \"%s\" needs auth_password "
			    "or auth_key", usm_auth_name(p.auth));
			goto out;
		}
		if (p.priv != USM_PRIV_NONE && p.priv_password == NULL &&
		    p.priv_key == NULL) {
			*badkey = "priv_password";
			snprintf(why, whylen, "priv \"%s\" needs priv_password "
			    "or priv_key", usm_priv_name(p.priv));
			goto out;
		}
		/* Passwords are hashed here, once per distinct credential. */
		if ((*newcred = usm_cred_get(&p)) == NULL) {
			switch (snmpmgr_lasterr()) {
			case SNMPMGR_ERR_USER_NAME:
				*badkey = "user";
				break;
			case SNMPMGR_ERR_SEC_LEVEL:
			case SNMPMGR_ERR_NOT_SUPPORTED:
				*badkey = "priv";
				break;
			case SNMPMGR_ERR_NO_PRIV_PASSWORD:
				*badkey = "priv_password";
				break;
			case SNMPMGR_ERR_KEY_LENGTH:
				*badkey = strstr(snmpmgr_lasterr_detail(),
				    "privacy") != NULL ? "priv_key" :
				    p.auth_key != NULL ? "auth_key" :
				    "auth_password";
				break;
			default:
				*badkey = "auth_password";
				break;
			}
			goto cred_fail;
		}
	}
	/* The level must be one the credential can do (SPEC 5: 309, 314). */
	p.auth = USM_AUTH_NONE;
	p.priv = USM_PRIV_NONE;
	if (*newcred != NULL || base != NULL) {
		p.auth = usm_cred_auth(*newcred != NULL ? *newcred : base);
		p.priv = usm_cred_priv(*newcred != NULL ? *newcred : base);
	}
	if ((v->level >= SESS_LEVEL_AUTH && p.auth == USM_AUTH_NONE) ||
	    (v->level == SESS_LEVEL_PRIV && p.priv == USM_PRIV_NONE)) {
		*badkey = "security_level";
		snprintf(why, whylen, "%s needs %s", level_words[v->level - 1],
		    p.auth == USM_AUTH_NONE ? "auth and auth_password or "
		    "auth_key" : "priv and priv_password or priv_key");
		usm_cred_free(*newcred);
		*newcred = NULL;
		goto out;
	}
	rv = 0;
	goto out;
 cred_fail:
	snprintf(why, whylen, "%s (%d): %s",
	    snmpmgr_strerror(snmpmgr_lasterr()), snmpmgr_lasterr(),
	    snmpmgr_lasterr_detail());
 out:
	OPENSSL_cleanse(akey, sizeof(akey));
	OPENSSL_cleanse(pkey, sizeof(pkey));
	return rv;
}

/* The SNMPv3 options of o as config keys (secrets "***" when mask). */
static int
v3_opts_json(const struct sess_opts *o, bool mask, json_t *obj)
{
	const struct sess_v3opts *v = &o->v3;
	const struct usm_cred	*c = v->cred;
	const struct usm_key	*k;
	const uint8_t		*u;
	size_t			 n;
	int			 rc = 0;

	if (o->version != SNMP_V3 && c == NULL)
		return 0;
	if (c != NULL) {
		u = usm_cred_user(c, &n);
		rc |= json_object_set_new(obj, "user",
		    json_stringn((const char *)u, n));
		if (usm_cred_auth(c) != USM_AUTH_NONE) {
			rc |= json_object_set_new(obj, "auth",
			    json_string(usm_auth_name(usm_cred_auth(c))));
			k = usm_cred_auth_key(c);
			if (mask)
				rc |= json_object_set_new(obj,
				    usm_cred_auth_source(c) == 'p' ?
				    "auth_password" : "auth_key",
				    json_string("***"));
			else
				rc |= json_object_set_new(obj, "auth_key",
				    hex_json(k->bytes, k->len));
			if (!mask || usm_cred_auth_source(c) != 'p')
				rc |= json_object_set_new(obj, "auth_key_type",
				    json_string(usm_cred_auth_source(c) ==
				    'l' ? "localized" : "master"));
		}
		if (usm_cred_priv(c) != USM_PRIV_NONE) {
			rc |= json_object_set_new(obj, "priv",
			    json_string(usm_priv_name(usm_cred_priv(c))));
			k = usm_cred_priv_key(c);
			if (mask)
				rc |= json_object_set_new(obj,
				    usm_cred_priv_source(c) == 'p' ?
				    "priv_password" : "priv_key",
				    json_string("***"));
			else
				rc |= json_object_set_new(obj, "priv_key",
				    hex_json(k->bytes, k->len));
			if (!mask || usm_cred_priv_source(c) != 'p')
				rc |= json_object_set_new(obj, "priv_key_type",
				    json_string(usm_cred_priv_source(c) ==
				    'l' ? "localized" : "master"));
			rc |= json_object_set_new(obj, "priv_key_extension",
			    json_string(usm_keyext_name(usm_cred_keyext(c))));
		}
	}
	if (v->level != SESS_LEVEL_DEFAULT)
		rc |= json_object_set_new(obj, "security_level",
		    json_string(level_words[v->level - 1]));
	if (v->engine_id_len > 0)
		rc |= json_object_set_new(obj, "engine_id",
		    hex_json(v->engine_id, v->engine_id_len));
	if (v->engine_time_set) {
		rc |= json_object_set_new(obj, "engine_boots",
		    json_integer(v->engine_boots));
		rc |= json_object_set_new(obj, "engine_time",
		    json_integer(v->engine_time));
	}
	if (v->context_engine_id_len > 0)
		rc |= json_object_set_new(obj, "context_engine_id",
		    hex_json(v->context_engine_id, v->context_engine_id_len));
	rc |= json_object_set_new(obj, "context_name",
	    json_string(v->context_name));
	rc |= json_object_set_new(obj, "msg_max_size",
	    json_integer(v->msg_max_size));
	rc |= json_object_set_new(obj, "single_step_discovery",
	    json_boolean(v->single_step_discovery));
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Files and includes                                                  */

enum sect_id {
	SECT_CONTROL,
	SECT_STATE_DIR,
	SECT_LOG,
	SECT_INCLUDE,
	SECT_DEFAULTS,
	SECT_CREDENTIALS,
	SECT_POLLS,
	SECT_TEMPLATES,
	SECT_SESSIONS,
	SECT_TRAPS,
	SECT_SCHEDULER,
	SECT_LOCAL_ENGINE_ID,
	NSECT
};

enum sect_kind {
	SECT_SCALAR,		/* given once across all files */
	SECT_COLLECTION,	/* named entries pooled across files */
	SECT_INCLUDES,
};

static const struct {
	const char	*name;
	enum sect_kind	 kind;
} sections[NSECT] = {
	[SECT_CONTROL] =	{ "control", SECT_SCALAR },
	[SECT_STATE_DIR] =	{ "state_dir", SECT_SCALAR },
	[SECT_LOG] =		{ "log", SECT_SCALAR },
	[SECT_INCLUDE] =	{ "include", SECT_INCLUDES },
	[SECT_DEFAULTS] =	{ "defaults", SECT_SCALAR },
	[SECT_CREDENTIALS] =	{ "credentials", SECT_COLLECTION },
	[SECT_POLLS] =		{ "polls", SECT_COLLECTION },
	[SECT_TEMPLATES] =	{ "templates", SECT_COLLECTION },
	[SECT_SESSIONS] =	{ "sessions", SECT_COLLECTION },
	[SECT_TRAPS] =		{ "traps", SECT_SCALAR },
	[SECT_SCHEDULER] =	{ "scheduler", SECT_SCALAR },
	[SECT_LOCAL_ENGINE_ID] = { "local_engine_id", SECT_SCALAR },
};

/* A template, resolved: defaults + its credentials + its own keys. */
struct cfg_tmpl {
	const char	*name;
	struct sess_opts opts;
	json_t		*extra;
	const json_t	*polls;		/* its "polls" array, or NULL */
	const char	*credentials;
};

struct cfg_ctx {
	struct config		*c;
	struct config_err	*err;
	struct cfg_file		**files;
	size_t			 nfiles;
	size_t			 total;		/* bytes read, all files */
	const json_t		*sect[NSECT];	/* scalar sections */
	int			 sectfile[NSECT];
	json_t			*coll[NSECT];	/* name -> entry */
	json_t			*origin[NSECT];	/* name -> file index */
	struct sess_opts	 base;		/* with "defaults" applied */
	json_t			*base_extra;
	struct cfg_tmpl		*tmpl;
	size_t			 ntmpl;
};

static void
cfg_file_free(struct cfg_file *f)
{
	if (f == NULL)
		return;
	free(f->path);
	free(f->real);
	/* The text and the tree may hold SNMPv3 passwords. */
	if (f->text != NULL)
		OPENSSL_cleanse(f->text, f->len);
	free(f->text);
	config_json_wipe_secrets(f->root);
	json_decref(f->root);
	free(f);
}

static struct cfg_pos
sect_pos(const struct cfg_ctx *ctx, enum sect_id id)
{
	struct cfg_pos	 p, root;

	memset(&root, 0, sizeof(root));
	root.file = ctx->sectfile[id] >= 0 ? ctx->files[ctx->sectfile[id]] :
	    NULL;
	p = pos_key(&root, sections[id].name);
	return p;
}

static struct cfg_pos
entry_pos(const struct cfg_ctx *ctx, enum sect_id id, const char *name)
{
	struct cfg_pos	 p, root;
	json_t		*o;

	memset(&root, 0, sizeof(root));
	o = json_object_get(ctx->origin[id], name);
	root.file = o != NULL ? ctx->files[json_integer_value(o)] : NULL;
	p = pos_key(&root, sections[id].name);
	return pos_key(&p, name);
}

static int	 cfg_read_file(struct cfg_ctx *, const char *,
		    const struct cfg_pos *, int);
static int	 cfg_merge_file(struct cfg_ctx *, int, int);

/* Read the whole of path, bounded by SNMPMGR_MAX_CONFIG_SIZE. */
static int
cfg_slurp(struct cfg_file *f, const struct cfg_pos *from,
    struct config_err *err)
{
	struct stat	 st;
	ssize_t		 r;
	size_t		 cap;
	int		 fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		goto syserr;
	if (fstat(fd, &st) == -1)
		goto syserr;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (from != NULL)
			return cfg_fail(err, from, AT_VALUE, "%s: not a "
			    "regular file", f->path);
		(void)snprintf(err->text, sizeof(err->text), "%s: not a "
		    "regular file", f->path);
		return -1;
	}
	if (st.st_size > SNMPMGR_MAX_CONFIG_SIZE)
		goto toobig;
	cap = (size_t)st.st_size + 1;
	if ((f->text = malloc(cap)) == NULL)
		goto syserr;
	for (;;) {
		r = read(fd, f->text + f->len, cap - f->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto syserr;
		if (r == 0)
			break;
		f->len += (size_t)r;
		if (f->len == cap) {
			close(fd);
			(void)snprintf(err->text, sizeof(err->text), "%s: "
			    "changed while being read", f->path);
			return -1;
		}
	}
	close(fd);
	return 0;
 toobig:
	close(fd);
	(void)snprintf(err->text, sizeof(err->text), "%s: larger than %d "
	    "bytes", f->path, SNMPMGR_MAX_CONFIG_SIZE);
	return -1;
 syserr:
	r = errno;
	if (fd != -1)
		close(fd);
	if (from != NULL)
		return cfg_fail(err, from, AT_VALUE, "%s: %s", f->path,
		    strerror((int)r));
	(void)snprintf(err->text, sizeof(err->text), "%s: %s", f->path,
	    strerror((int)r));
	return -1;
}

/* Merge one top-level section of file fi into the pool. */
static int
cfg_merge(struct cfg_ctx *ctx, int fi, enum sect_id id, json_t *val)
{
	struct cfg_pos	 root, at, eat, prev;
	const char	*name;
	json_t		*entry;
	char		 where[300];

	memset(&root, 0, sizeof(root));
	root.file = ctx->files[fi];
	at = pos_key(&root, sections[id].name);
	if (sections[id].kind == SECT_SCALAR) {
		if (ctx->sectfile[id] >= 0) {
			prev = sect_pos(ctx, id);
			cfg_where(&prev, where, sizeof(where));
			return cfg_fail(ctx->err, &at, AT_KEY, "already set at "
			    "%s", where);
		}
		ctx->sect[id] = val;
		ctx->sectfile[id] = fi;
		return 0;
	}
	if (!json_is_object(val))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "of named entries");
	json_object_foreach(val, name, entry) {
		eat = pos_key(&at, name);
		if (check_name(name, &eat, ctx->err) == -1)
			return -1;
		if (json_object_get(ctx->coll[id], name) != NULL) {
			prev = entry_pos(ctx, id, name);
			cfg_where(&prev, where, sizeof(where));
			return cfg_fail(ctx->err, &eat, AT_KEY, "already "
			    "defined at %s", where);
		}
		if (id == SECT_SESSIONS && json_object_size(ctx->coll[id]) >=
		    SNMPMGR_MAX_SESSIONS)
			return cfg_fail(ctx->err, &eat, AT_KEY, "more than %d "
			    "sessions", SNMPMGR_MAX_SESSIONS);
		if (json_object_set(ctx->coll[id], name, entry) == -1 ||
		    json_object_set_new(ctx->origin[id], name,
		    json_integer(fi)) == -1)
			return cfg_fail(ctx->err, &eat, AT_KEY, "out of "
			    "memory");
	}
	return 0;
}

/* dir/name in a new string, or NULL. */
static char *
path_join(const char *dir, const char *name)
{
	size_t	 n = strlen(dir) + strlen(name) + 2;
	char	*s;

	if ((s = malloc(n)) != NULL)
		(void)snprintf(s, n, "%s/%s", dir, name);
	return s;
}

static int
has_glob_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The "include" list of file fi: glob each pattern, read each match. */
static int
cfg_includes(struct cfg_ctx *ctx, int fi, json_t *val, int depth)
{
	struct cfg_pos	 root, at, eat;
	const char	*pat;
	char		*dir = NULL, *tmp = NULL, *full = NULL;
	glob_t		 g;
	size_t		 i, j, n;
	int		 r, have_glob = 0;
	json_t		*one = NULL;
	struct stat	 st;

	memset(&root, 0, sizeof(root));
	root.file = ctx->files[fi];
	at = pos_key(&root, "include");
	if (json_is_string(val)) {
		if ((one = json_array()) == NULL ||
		    json_array_append(one, val) == -1)
			goto nomem;
		val = one;
	} else if (!json_is_array(val)) {
		cfg_fail(ctx->err, &at, AT_VALUE, "expected a list of file "
		    "patterns");
		goto fail;
	}
	if ((tmp = strdup(ctx->files[fi]->path)) == NULL ||
	    (dir = strdup(dirname(tmp))) == NULL)
		goto nomem;
	n = json_array_size(val);
	for (i = 0; i < n; i++) {
		eat = one != NULL ? at : pos_idx(&at, i);
		if (json_str(json_array_get(val, i), &eat, 1, PATH_MAX, 0,
		    &pat, ctx->err) == -1)
			goto fail;
		free(full);
		if (pat[0] == '/')
			full = strdup(pat);
		else
			full = path_join(dir, pat);
		if (full == NULL)
			goto nomem;
		if (!has_glob_magic(full) && stat(full, &st) == -1) {
			cfg_fail(ctx->err, &eat, AT_VALUE, "%s: %s", full,
			    strerror(errno));
			goto fail;
		}
		memset(&g, 0, sizeof(g));
		r = glob(full, 0, NULL, &g);
		have_glob = 1;
		if (r == GLOB_NOMATCH) {
			globfree(&g);
			have_glob = 0;
			continue;
		}
		if (r != 0) {
			cfg_fail(ctx->err, &eat, AT_VALUE, "%s: cannot expand "
			    "the pattern", full);
			goto fail;
		}
		for (j = 0; j < g.gl_pathc; j++)
			if (cfg_read_file(ctx, g.gl_pathv[j], &eat,
			    depth + 1) == -1)
				goto fail;
		globfree(&g);
		have_glob = 0;
	}
	free(full);
	free(dir);
	free(tmp);
	json_decref(one);
	return 0;
 nomem:
	cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
 fail:
	if (have_glob)
		globfree(&g);
	free(full);
	free(dir);
	free(tmp);
	json_decref(one);
	return -1;
}

/*
 * Read, parse and merge one file; from is the include entry that named it
 * (NULL for the main file).
 */
static int
cfg_read_file(struct cfg_ctx *ctx, const char *path,
    const struct cfg_pos *from, int depth)
{
	struct cfg_file	*f;
	json_error_t	 jerr;
	size_t		 i;
	int		 fi;

	if (from != NULL && ctx->nfiles > SNMPMGR_MAX_INCLUDES)
		return cfg_fail(ctx->err, from, AT_VALUE, "more than %d "
		    "included files", SNMPMGR_MAX_INCLUDES);
	if (from != NULL && depth > CONFIG_MAX_INCLUDE_DEPTH)
		return cfg_fail(ctx->err, from, AT_VALUE, "includes nested "
		    "deeper than %d", CONFIG_MAX_INCLUDE_DEPTH);
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL) {
		cfg_file_free(f);
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
		    "%s: out of memory", path);
		return -1;
	}
	if (cfg_slurp(f, from, ctx->err) == -1)
		goto fail;
	ctx->total += f->len;
	if (ctx->total > SNMPMGR_MAX_CONFIG_SIZE) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: the "
		    "configuration files together are larger than %d bytes",
		    path, SNMPMGR_MAX_CONFIG_SIZE);
		goto fail;
	}
	if ((f->real = realpath(path, NULL)) == NULL) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
		    "%s: %s", path, strerror(errno));
		goto fail;
	}
	for (i = 0; i < ctx->nfiles; i++)
		if (strcmp(ctx->files[i]->real, f->real) == 0) {
			cfg_fail(ctx->err, from, AT_VALUE, "%s is already "
			    "loaded (an include loop, or two patterns "
			    "matching it)", path);
			goto fail;
		}
	f->root = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &jerr);
	if (f->root == NULL) {
		if (jerr.line > 0)
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%s:%d:%d: %s", path, jerr.line,
			    jerr.column > 0 ? jerr.column : 1, jerr.text);
		else
			(void)snprintf(ctx->err->text, sizeof(ctx->err->text),
			    "%s: %s", path, jerr.text);
		goto fail;
	}
	fi = (int)ctx->nfiles;
	ctx->files[ctx->nfiles++] = f;
	return cfg_merge_file(ctx, fi, depth);
 fail:
	cfg_file_free(f);
	return -1;
}

/* Merge the top-level sections of file fi, then read its includes. */
static int
cfg_merge_file(struct cfg_ctx *ctx, int fi, int depth)
{
	struct cfg_file	*f = ctx->files[fi];
	struct cfg_pos	 root, at;
	const char	*key;
	json_t		*val, *inc = NULL;
	int		 id;
	struct suggest	 sg;

	memset(&root, 0, sizeof(root));
	root.file = f;
	if (!json_is_object(f->root))
		return cfg_fail(ctx->err, &root, AT_VALUE, "the top level "
		    "must be a JSON object");
	json_object_foreach(f->root, key, val) {
		at = pos_key(&root, key);
		for (id = 0; id < NSECT; id++)
			if (strcmp(sections[id].name, key) == 0)
				break;
		if (id == NSECT) {
			sg.key = key;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			for (id = 0; id < NSECT; id++)
				suggest_try(&sg, sections[id].name);
			return cfg_unknown(ctx->err, &at, &sg, "top-level key");
		}
		if (sections[id].kind == SECT_INCLUDES)
			inc = val;
		else if (cfg_merge(ctx, fi, (enum sect_id)id, val) == -1)
			return -1;
	}
	if (inc != NULL)
		return cfg_includes(ctx, fi, inc, depth);
	return 0;
}

/*
 * An object given in memory, taken as one more included file called name
 * (error messages point into its JSON text as dumped here).  It may not
 * include other files.
 */
static int
cfg_read_inline(struct cfg_ctx *ctx, const json_t *obj, const char *name)
{
	struct cfg_file	*f;
	struct cfg_pos	 root, at;
	json_error_t	 jerr;

	if (ctx->nfiles > SNMPMGR_MAX_INCLUDES) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: "
		    "more than %d included files", name, SNMPMGR_MAX_INCLUDES);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(name)) == NULL ||
	    (f->real = strdup(name)) == NULL ||
	    (f->text = json_dumps(obj, JSON_INDENT(2))) == NULL)
		goto nomem;
	f->len = strlen(f->text);
	ctx->total += f->len;
	if (ctx->total > SNMPMGR_MAX_CONFIG_SIZE) {
		(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: the "
		    "configuration files together are larger than %d bytes",
		    name, SNMPMGR_MAX_CONFIG_SIZE);
		cfg_file_free(f);
		return -1;
	}
	/* Parsed back from the text, so positions match what was read. */
	if ((f->root = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		goto nomem;
	ctx->files[ctx->nfiles++] = f;
	if (json_object_get(f->root, "include") != NULL) {
		memset(&root, 0, sizeof(root));
		root.file = f;
		at = pos_key(&root, "include");
		return cfg_fail(ctx->err, &at, AT_KEY, "not allowed here");
	}
	return cfg_merge_file(ctx, (int)ctx->nfiles - 1, 0);
 nomem:
	cfg_file_free(f);
	(void)snprintf(ctx->err->text, sizeof(ctx->err->text), "%s: out of "
	    "memory", name);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */

/* An object's keys must all be in names. */
static int
check_keys(const json_t *obj, const struct cfg_pos *at,
    const char *const *names, struct config_err *err)
{
	const char	*key;
	json_t		*val;
	struct cfg_pos	 kat;
	struct suggest	 sg;

	if (!json_is_object(obj))
		return cfg_fail(err, at, AT_VALUE, "expected an object");
	json_object_foreach((json_t *)obj, key, val) {
		if (name_in(names, key))
			continue;
		kat = pos_key(at, key);
		sg.key = key;
		sg.best = NULL;
		sg.dist = SIZE_MAX;
		suggest_list(&sg, names);
		return cfg_unknown(err, &kat, &sg, "key");
	}
	return 0;
}

/* path, or state_dir/path when relative; malloc'ed. */
static char *
cfg_abspath(const struct config *c, const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	return path_join(c->state_dir, path);
}

static int
cfg_state_dir(struct cfg_ctx *ctx)
{
	struct cfg_pos	 at = sect_pos(ctx, SECT_STATE_DIR);
	const char	*s = CONFIG_DEFAULT_STATEDIR;

	if (ctx->sect[SECT_STATE_DIR] != NULL) {
		if (json_str(ctx->sect[SECT_STATE_DIR], &at, 1, PATH_MAX - 1,
		    0, &s, ctx->err) == -1)
			return -1;
		if (s[0] != '/')
			return cfg_fail(ctx->err, &at, AT_VALUE, "must be an "
			    "absolute path");
	}
	if ((ctx->c->state_dir = strdup(s)) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	return 0;
}

static int
cfg_control(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "socket", "mode", NULL };
	struct cfg_pos	 at = sect_pos(ctx, SECT_CONTROL), kat;
	const json_t	*obj = ctx->sect[SECT_CONTROL], *v;
	const char	*sock = CONFIG_DEFAULT_SOCKET, *m;
	struct sockaddr_un sun;
	unsigned long	 mode = CONFIG_DEFAULT_MODE;
	char		*end;

	if (obj != NULL) {
		if (check_keys(obj, &at, keys, ctx->err) == -1)
			return -1;
		kat = pos_key(&at, "socket");
		if ((v = json_object_get(obj, "socket")) != NULL &&
		    json_str(v, &kat, 1, PATH_MAX, 0, &sock, ctx->err) == -1)
			return -1;
		kat = pos_key(&at, "mode");
		if ((v = json_object_get(obj, "mode")) != NULL) {
			if (!json_is_string(v))
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "expected an octal string such as "
				    "\"0660\"");
			m = json_string_value(v);
			errno = 0;
			mode = strtoul(m, &end, 8);
			if (m[0] < '0' || m[0] > '7' || *end != '\0' ||
			    errno != 0 || mode > 0777)
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "expected an octal mode from \"0000\" to "
				    "\"0777\" such as \"0660\"");
		}
	}
	ctx->c->control_mode = (mode_t)mode;
	kat = pos_key(&at, "socket");
	if ((ctx->c->control_socket = cfg_abspath(ctx->c, sock)) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	if (strlen(ctx->c->control_socket) >= sizeof(sun.sun_path))
		return cfg_fail(ctx->err, &kat, AT_VALUE, "%s: longer than "
		    "%zu bytes, the limit of a Unix socket path",
		    ctx->c->control_socket, sizeof(sun.sun_path) - 1);
	return 0;
}

static int
cfg_log(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "level", "syslog", NULL };
	static const char *const levels[] = { "debug", "info", "notice",
		"warning", "err", NULL };
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE,
		LOG_WARNING, LOG_ERR };
	struct cfg_pos	 at = sect_pos(ctx, SECT_LOG), kat;
	const json_t	*obj = ctx->sect[SECT_LOG], *v;
	size_t		 w;

	ctx->c->log_level = LOG_INFO;
	ctx->c->log_syslog = false;
	if (obj == NULL)
		return 0;
	if (check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	kat = pos_key(&at, "level");
	if ((v = json_object_get(obj, "level")) != NULL) {
		if (json_word(v, &kat, levels, &w, ctx->err) == -1)
			return -1;
		ctx->c->log_level = prio[w];
	}
	kat = pos_key(&at, "syslog");
	if ((v = json_object_get(obj, "syslog")) != NULL &&
	    json_bool(v, &kat, &ctx->c->log_syslog, ctx->err) == -1)
		return -1;
	return 0;
}

/* "scheduler": bounds and backoff of the poll scheduler (poll_sched.h). */
static int
cfg_scheduler(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "max_in_flight",
		"session_in_flight", "down_after", "backoff_min",
		"backoff_max", NULL };
	struct config_scheduler *sc = &ctx->c->sched;
	struct cfg_pos	 at = sect_pos(ctx, SECT_SCHEDULER), kat;
	const json_t	*obj = ctx->sect[SECT_SCHEDULER], *v;
	long long	 n;

	memset(sc, 0, sizeof(*sc));
	if (obj == NULL)
		return 0;
	if (check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	if ((v = json_object_get(obj, "max_in_flight")) != NULL) {
		kat = pos_key(&at, "max_in_flight");
		if (json_int_range(v, &kat, 0, 1, SNMPMGR_MAX_PENDING, &n,
		    ctx->err) == -1)
			return -1;
		sc->max_in_flight = (uint32_t)n;
	}
	if ((v = json_object_get(obj, "session_in_flight")) != NULL) {
		kat = pos_key(&at, "session_in_flight");
		if (json_int_range(v, &kat, 0, 1, SNMPMGR_MAX_SESSION_PENDING,
		    &n, ctx->err) == -1)
			return -1;
		sc->session_in_flight = (uint32_t)n;
	}
	if ((v = json_object_get(obj, "down_after")) != NULL) {
		kat = pos_key(&at, "down_after");
		if (json_int_range(v, &kat, 0, 1, 1000, &n, ctx->err) == -1)
			return -1;
		sc->down_after = (uint32_t)n;
	}
	if ((v = json_object_get(obj, "backoff_min")) != NULL) {
		kat = pos_key(&at, "backoff_min");
		if (json_duration(v, &kat, 10, 24 * 3600 * 1000,
		    &sc->backoff_min_ms, ctx->err) == -1)
			return -1;
	}
	if ((v = json_object_get(obj, "backoff_max")) != NULL) {
		kat = pos_key(&at, "backoff_max");
		if (json_duration(v, &kat, 10, 24 * 3600 * 1000,
		    &sc->backoff_max_ms, ctx->err) == -1)
			return -1;
		if (sc->backoff_max_ms < (sc->backoff_min_ms ?
		    sc->backoff_min_ms : 1000))
			return cfg_fail(ctx->err, &kat, AT_VALUE, "must not be "
			    "less than backoff_min");
	}
	return 0;
}

/*
 * The SNMPv3 options of extra into o (o->v3.cred must not hold a
 * reference yet; it gets one).  Errors point at the key: in the session
 * sname (obj, template t) when given, else at `at`.
 */
static struct cfg_pos option_origin(struct cfg_ctx *, const char *,
		    const json_t *, const struct cfg_tmpl *, const char *);

static int
cfg_v3(struct cfg_ctx *ctx, const json_t *extra, struct sess_opts *o,
    const struct cfg_pos *at, const char *sname, const json_t *obj,
    const struct cfg_tmpl *t)
{
	struct usm_cred	*cred = NULL;
	struct cfg_pos	 kat;
	const char	*badkey = "";
	char		 why[300];

	o->v3.cred = NULL;
	if (extra == NULL)
		return 0;
	if (v3_apply(extra, o, &cred, &badkey, why, sizeof(why)) == -1) {
		kat = sname != NULL ? option_origin(ctx, sname, obj, t,
		    badkey) : pos_key(at, badkey);
		if (sname != NULL && json_object_get(obj, badkey) == NULL &&
		    (t == NULL || json_object_get(json_object_get(
		    ctx->coll[SECT_TEMPLATES], t->name), badkey) == NULL))
			return cfg_fail(ctx->err, &kat, AT_KEY, "%s: %s",
			    badkey, why);
		return cfg_fail(ctx->err, &kat, AT_VALUE, "%s", why);
	}
	o->v3.cred = cred;
	return 0;
}

/* "local_engine_id": our own engine ID (daemon/engineid.c). */
static int
cfg_local_engine_id(struct cfg_ctx *ctx)
{
	struct cfg_pos	 at = sect_pos(ctx, SECT_LOCAL_ENGINE_ID);
	const json_t	*v = ctx->sect[SECT_LOCAL_ENGINE_ID];
	size_t		 n;

	ctx->c->local_engine_id_len = 0;
	if (v == NULL)
		return 0;
	/* RFC 3411 5: SnmpEngineID is 5 to 32 octets. */
	if (!json_is_string(v) || hex_octets(json_string_value(v), &n) == -1 ||
	    n < 5 || n > SNMPMGR_MAX_ENGINE_ID_LEN)
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an engine "
		    "ID of 5 to 32 hex octets such as \"0x80001f8880...\"");
	ctx->c->local_engine_id_len = v3_hex_decode(json_string_value(v),
	    ctx->c->local_engine_id, sizeof(ctx->c->local_engine_id));
	return 0;
}

static int
cfg_defaults(struct cfg_ctx *ctx)
{
	struct cfg_pos	 at = sect_pos(ctx, SECT_DEFAULTS);

	sess_opts_default(&ctx->base);
	if ((ctx->base_extra = json_object()) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	if (ctx->sect[SECT_DEFAULTS] != NULL &&
	    opts_apply(ctx->sect[SECT_DEFAULTS], &at, &ctx->base,
	    ctx->base_extra, NULL, ctx->err) == -1)
		return -1;
	ctx->c->defaults = ctx->base;
	/* Inline targets inherit SNMPv3 defaults (and their credential);
	 * sessions build theirs from the merged keys. */
	return cfg_v3(ctx, ctx->base_extra, &ctx->c->defaults, &at, NULL,
	    NULL, NULL);
}

static int
cfg_credentials(struct cfg_ctx *ctx)
{
	const char		*name, *key;
	json_t			*obj, *val;
	struct cfg_pos		 at, kat;
	const struct v3def	*vd;
	struct suggest		 sg;
	size_t			 i;

	json_object_foreach(ctx->coll[SECT_CREDENTIALS], name, obj) {
		at = entry_pos(ctx, SECT_CREDENTIALS, name);
		if (!json_is_object(obj))
			return cfg_fail(ctx->err, &at, AT_VALUE, "expected an "
			    "object of SNMPv3 credentials");
		json_object_foreach(obj, key, val) {
			kat = pos_key(&at, key);
			if ((vd = v3def_find(key)) == NULL) {
				sg.key = key;
				sg.best = NULL;
				sg.dist = SIZE_MAX;
				for (i = 0; i < NV3DEFS; i++)
					suggest_try(&sg, v3defs[i].name);
				return cfg_unknown(ctx->err, &kat, &sg,
				    "credentials key");
			}
			if (v3_check(vd, val, &kat, ctx->err) == -1)
				return -1;
		}
		if (json_object_get(obj, "user") == NULL &&
		    json_object_get(obj, "security_name") == NULL)
			return cfg_fail(ctx->err, &at, AT_KEY, "no \"user\" "
			    "given");
		kat = pos_key(&at, "auth_key");
		if (json_object_get(obj, "auth_password") != NULL &&
		    json_object_get(obj, "auth_key") != NULL)
			return cfg_fail(ctx->err, &kat, AT_KEY, "give "
			    "auth_password or auth_key, not both");
		kat = pos_key(&at, "priv_key");
		if (json_object_get(obj, "priv_password") != NULL &&
		    json_object_get(obj, "priv_key") != NULL)
			return cfg_fail(ctx->err, &kat, AT_KEY, "give "
			    "priv_password or priv_key, not both");
		/* RFC 3414 3.1.1: there is no privacy without auth. */
		if ((json_object_get(obj, "priv_password") != NULL ||
		    json_object_get(obj, "priv_key") != NULL) &&
		    json_object_get(obj, "auth_password") == NULL &&
		    json_object_get(obj, "auth_key") == NULL)
			return cfg_fail(ctx->err, &at, AT_KEY, "privacy "
			    "needs authentication: auth_password or auth_key "
			    "missing");
	}
	return 0;
}

static int
oid_list(const json_t *v, const struct cfg_pos *at, struct config_poll *p,
    struct config_err *err)
{
	struct cfg_pos	 eat;
	const char	*s;
	size_t		 i, n;

	if (!json_is_array(v) && !json_is_string(v))
		return cfg_fail(err, at, AT_VALUE, "expected a list of OIDs");
	n = json_is_string(v) ? 1 : json_array_size(v);
	if (n == 0)
		return cfg_fail(err, at, AT_VALUE, "empty list of OIDs");
	if (n > SNMPMGR_MAX_VARBINDS)
		return cfg_fail(err, at, AT_VALUE, "more than %d OIDs",
		    SNMPMGR_MAX_VARBINDS);
	if ((p->oids = calloc(n, sizeof(*p->oids))) == NULL)
		return cfg_fail(err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = json_is_string(v) ? *at : pos_idx(at, i);
		if (json_str(json_is_string(v) ? v : json_array_get(v, i),
		    &eat, 1, SNMPMGR_MAX_OID_STR, 1, &s, err) == -1)
			return -1;
		if (oid_parse_str(&p->oids[i], s) == -1)
			return cfg_fail(err, &eat, AT_VALUE, "not an OID: %s",
			    snmpmgr_lasterr_detail());
		p->noids++;
	}
	return 0;
}

enum poll_key {
	PK_GET, PK_WALK, PK_INTERVAL, PK_JITTER, PK_TIMEOUT, PK_RETRIES,
	PK_MAX_REPETITIONS, PK_USE_GETNEXT
};

static const char *const poll_keys[] = { "get", "walk", "interval",
	"jitter", "timeout", "retries", "max_repetitions", "use_getnext",
	NULL };

static int
cfg_poll(struct cfg_ctx *ctx, const char *name, const json_t *obj,
    struct config_poll *p)
{
	struct cfg_pos	 at = entry_pos(ctx, SECT_POLLS, name), kat;
	struct config_err *err = ctx->err;
	const json_t	*v;
	long long	 n;
	int		 k;

	copy_str(p->name, name, sizeof(p->name));
	p->retries = -1;
	if (check_keys(obj, &at, poll_keys, err) == -1)
		return -1;
	if (json_object_get(obj, "get") != NULL &&
	    json_object_get(obj, "walk") != NULL) {
		kat = pos_key(&at, "walk");
		return cfg_fail(err, &kat, AT_KEY, "give \"get\" or \"walk\", "
		    "not both");
	}
	if (json_object_get(obj, "get") == NULL &&
	    json_object_get(obj, "walk") == NULL)
		return cfg_fail(err, &at, AT_KEY, "no \"get\" or \"walk\" list "
		    "given");
	if (json_object_get(obj, "interval") == NULL)
		return cfg_fail(err, &at, AT_KEY, "no \"interval\" given");
	p->is_walk = json_object_get(obj, "walk") != NULL;
	for (k = 0; poll_keys[k] != NULL; k++) {
		if ((v = json_object_get(obj, poll_keys[k])) == NULL)
			continue;
		kat = pos_key(&at, poll_keys[k]);
		switch ((enum poll_key)k) {
		case PK_GET:
		case PK_WALK:
			if (oid_list(v, &kat, p, err) == -1)
				return -1;
			break;
		case PK_INTERVAL:
			if (json_duration(v, &kat, 100, 7 * 24 * 3600 * 1000,
			    &p->interval_ms, err) == -1)
				return -1;
			break;
		case PK_JITTER:
			if (json_duration(v, &kat, 0, UINT32_MAX,
			    &p->jitter_ms, err) == -1)
				return -1;
			break;
		case PK_TIMEOUT:
			if (json_duration(v, &kat, 1, SNMPMGR_MAX_TIMEOUT_MS,
			    &p->timeout_ms, err) == -1)
				return -1;
			break;
		case PK_RETRIES:
			if (json_int_range(v, &kat, 0, 0, SNMPMGR_MAX_RETRIES,
			    &n, err) == -1)
				return -1;
			p->retries = (int32_t)n;
			break;
		case PK_MAX_REPETITIONS:
			if (!p->is_walk)
				return cfg_fail(err, &kat, AT_KEY, "only walk "
				    "polls use max_repetitions");
			if (json_int_range(v, &kat, 0, 1,
			    SNMPMGR_MAX_REPETITIONS, &n, err) == -1)
				return -1;
			p->max_repetitions = (uint32_t)n;
			break;
		case PK_USE_GETNEXT:
			if (!p->is_walk)
				return cfg_fail(err, &kat, AT_KEY, "only walk "
				    "polls use use_getnext");
			if (json_bool(v, &kat, &p->use_getnext, err) == -1)
				return -1;
			break;
		}
	}
	if (p->jitter_ms >= p->interval_ms) {
		kat = pos_key(&at, "jitter");
		return cfg_fail(err, &kat, AT_VALUE, "must be less than the "
		    "interval");
	}
	return 0;
}

static int
cmp_poll(const void *a, const void *b)
{
	return strcmp(((const struct config_poll *)a)->name,
	    ((const struct config_poll *)b)->name);
}

static int
cmp_session(const void *a, const void *b)
{
	return strcmp(((const struct config_session *)a)->name,
	    ((const struct config_session *)b)->name);
}

static int
cfg_polls(struct cfg_ctx *ctx)
{
	struct config	*c = ctx->c;
	const char	*name;
	json_t		*obj;
	size_t		 n = json_object_size(ctx->coll[SECT_POLLS]);
	struct cfg_pos	 at;

	if (n == 0)
		return 0;
	if ((c->polls = calloc(n, sizeof(*c->polls))) == NULL) {
		at = sect_pos(ctx, SECT_POLLS);
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	}
	json_object_foreach(ctx->coll[SECT_POLLS], name, obj) {
		if (cfg_poll(ctx, name, obj, &c->polls[c->npolls++]) == -1)
			return -1;
	}
	qsort(c->polls, c->npolls, sizeof(*c->polls), cmp_poll);
	return 0;
}

/* A "polls" list of a template or session: names of defined polls. */
static int
poll_refs(struct cfg_ctx *ctx, const json_t *v, const struct cfg_pos *at)
{
	struct cfg_pos	 eat;
	const char	*s;
	size_t		 i, j;
	struct suggest	 sg;

	if (!json_is_array(v))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected a list of "
		    "poll names");
	if (json_array_size(v) > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, at, AT_VALUE, "more than %d polls",
		    CONFIG_MAX_LIST);
	for (i = 0; i < json_array_size(v); i++) {
		eat = pos_idx(at, i);
		if (json_str(json_array_get(v, i), &eat, 1,
		    SNMPMGR_MAX_NAME_LEN, 0, &s, ctx->err) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(s, json_string_value(json_array_get(v,
			    j))) == 0)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "poll \"%s\" listed twice", s);
		if (json_object_get(ctx->coll[SECT_POLLS], s) == NULL) {
			const char	*key;
			json_t		*val;

			sg.key = s;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			json_object_foreach(ctx->coll[SECT_POLLS], key, val)
				suggest_try(&sg, key);
			if (suggest_result(&sg) != NULL)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "no poll named \"%s\" (did you mean "
				    "\"%s\"?)", s, suggest_result(&sg));
			return cfg_fail(ctx->err, &eat, AT_VALUE, "no poll "
			    "named \"%s\"", s);
		}
	}
	return 0;
}

/* "credentials": NAME; merge that set into extra. */
static int
cred_ref(struct cfg_ctx *ctx, const json_t *v, const struct cfg_pos *at,
    json_t *extra, const char **name)
{
	json_t	*set;

	if (json_str(v, at, 1, SNMPMGR_MAX_NAME_LEN, 0, name,
	    ctx->err) == -1)
		return -1;
	if ((set = json_object_get(ctx->coll[SECT_CREDENTIALS],
	    *name)) == NULL)
		return cfg_fail(ctx->err, at, AT_VALUE, "no credentials named "
		    "\"%s\"", *name);
	if (json_object_update(extra, set) == -1)
		return cfg_fail(ctx->err, at, AT_VALUE, "out of memory");
	return 0;
}

static int
cfg_templates(struct cfg_ctx *ctx)
{
	static const char *const allowed[] = { "polls", "credentials", NULL };
	const char	*name;
	json_t		*obj, *v;
	struct cfg_pos	 at, kat;
	struct cfg_tmpl	*t;
	size_t		 n = json_object_size(ctx->coll[SECT_TEMPLATES]);

	if (n == 0)
		return 0;
	if ((ctx->tmpl = calloc(n, sizeof(*ctx->tmpl))) == NULL) {
		at = sect_pos(ctx, SECT_TEMPLATES);
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	}
	json_object_foreach(ctx->coll[SECT_TEMPLATES], name, obj) {
		at = entry_pos(ctx, SECT_TEMPLATES, name);
		t = &ctx->tmpl[ctx->ntmpl++];
		t->name = name;
		t->opts = ctx->base;
		if ((t->extra = json_deep_copy(ctx->base_extra)) == NULL)
			return cfg_fail(ctx->err, &at, AT_VALUE, "out of "
			    "memory");
		if (json_is_object(obj) && json_object_get(obj,
		    "template") != NULL) {
			kat = pos_key(&at, "template");
			return cfg_fail(ctx->err, &kat, AT_KEY, "a template "
			    "cannot use another template");
		}
		if (json_is_object(obj) &&
		    (v = json_object_get(obj, "credentials")) != NULL) {
			kat = pos_key(&at, "credentials");
			if (cred_ref(ctx, v, &kat, t->extra,
			    &t->credentials) == -1)
				return -1;
		}
		if (opts_apply(obj, &at, &t->opts, t->extra, allowed,
		    ctx->err) == -1)
			return -1;
		if ((v = json_object_get(obj, "polls")) != NULL) {
			kat = pos_key(&at, "polls");
			if (poll_refs(ctx, v, &kat) == -1)
				return -1;
			t->polls = v;
		}
	}
	return 0;
}

static struct cfg_tmpl *
tmpl_find(struct cfg_ctx *ctx, const char *name)
{
	size_t	 i;

	for (i = 0; i < ctx->ntmpl; i++)
		if (strcmp(ctx->tmpl[i].name, name) == 0)
			return &ctx->tmpl[i];
	return NULL;
}

/*
 * Where the key that gave a session its final value of an option was:
 * the session's own, its template's, or the defaults'.
 */
static struct cfg_pos
option_origin(struct cfg_ctx *ctx, const char *sname, const json_t *obj,
    const struct cfg_tmpl *t, const char *key)
{
	struct cfg_pos	 at;
	json_t		*tobj;

	at = entry_pos(ctx, SECT_SESSIONS, sname);
	if (json_object_get(obj, key) != NULL)
		return pos_key(&at, key);
	if (t != NULL && (tobj = json_object_get(ctx->coll[SECT_TEMPLATES],
	    t->name)) != NULL && json_object_get(tobj, key) != NULL) {
		at = entry_pos(ctx, SECT_TEMPLATES, t->name);
		return pos_key(&at, key);
	}
	if (ctx->sect[SECT_DEFAULTS] != NULL &&
	    json_object_get(ctx->sect[SECT_DEFAULTS], key) != NULL) {
		at = sect_pos(ctx, SECT_DEFAULTS);
		return pos_key(&at, key);
	}
	return at;
}

static int
cfg_session(struct cfg_ctx *ctx, const char *name, const json_t *obj,
    struct config_session *s)
{
	static const char *const allowed[] = { "template", "polls",
		"credentials", NULL };
	struct cfg_pos	 at = entry_pos(ctx, SECT_SESSIONS, name), kat;
	struct cfg_tmpl	*t = NULL;
	const json_t	*v, *polls = NULL;
	const char	*tname, *cname;
	size_t		 i;
	char		 where[300];

	copy_str(s->name, name, sizeof(s->name));
	s->opts = ctx->base;
	s->opts.v3.cred = NULL;		/* cfg_v3() makes the session's */
	if (!json_is_object(obj))
		return cfg_fail(ctx->err, &at, AT_VALUE, "expected an object "
		    "of session options");
	if ((v = json_object_get(obj, "template")) != NULL) {
		kat = pos_key(&at, "template");
		if (json_str(v, &kat, 1, SNMPMGR_MAX_NAME_LEN, 0, &tname,
		    ctx->err) == -1)
			return -1;
		if ((t = tmpl_find(ctx, tname)) == NULL) {
			struct suggest	 sg;

			sg.key = tname;
			sg.best = NULL;
			sg.dist = SIZE_MAX;
			for (i = 0; i < ctx->ntmpl; i++)
				suggest_try(&sg, ctx->tmpl[i].name);
			if (suggest_result(&sg) != NULL)
				return cfg_fail(ctx->err, &kat, AT_VALUE,
				    "no template named \"%s\" (did you mean "
				    "\"%s\"?)", tname, suggest_result(&sg));
			return cfg_fail(ctx->err, &kat, AT_VALUE, "no "
			    "template named \"%s\"", tname);
		}
		copy_str(s->template_name, tname,
		    sizeof(s->template_name));
		s->opts = t->opts;
		s->opts.v3.cred = NULL;
		polls = t->polls;
		if (t->credentials != NULL)
			copy_str(s->credentials, t->credentials,
			    sizeof(s->credentials));
	}
	if ((s->extra = json_deep_copy(t != NULL ? t->extra :
	    ctx->base_extra)) == NULL)
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	if ((v = json_object_get(obj, "credentials")) != NULL) {
		kat = pos_key(&at, "credentials");
		if (cred_ref(ctx, v, &kat, s->extra, &cname) == -1)
			return -1;
		copy_str(s->credentials, cname, sizeof(s->credentials));
	}
	if (opts_apply(obj, &at, &s->opts, s->extra, allowed, ctx->err) == -1)
		return -1;
	if ((v = json_object_get(obj, "polls")) != NULL) {
		kat = pos_key(&at, "polls");
		if (poll_refs(ctx, v, &kat) == -1)
			return -1;
		polls = v;
	}
	if (json_object_size(s->extra) == 0) {
		json_decref(s->extra);
		s->extra = NULL;
	}
	if (s->opts.host[0] == '\0')
		return cfg_fail(ctx->err, &at, AT_KEY, "no \"host\" given");
	/* SNMPv3: typed options and the credential (hashed here, once). */
	if (cfg_v3(ctx, s->extra, &s->opts, &at, name, obj, t) == -1)
		return -1;
	/* The credential holds the keys now: no password stays behind. */
	if (s->extra != NULL)
		secrets_mask(s->extra);
	if (s->opts.transport == SESS_TRANSPORT_DTLS) {
		kat = option_origin(ctx, name, obj, t, "transport");
		cfg_where(&kat, where, sizeof(where));
		return cfg_fail(ctx->err, &at, AT_KEY, "SNMP over DTLS is not "
		    "supported yet (transport \"dtls\" set at %s)", where);
	}
	if (polls != NULL && json_array_size(polls) > 0) {
		if ((s->polls = calloc(json_array_size(polls),
		    sizeof(*s->polls))) == NULL)
			return cfg_fail(ctx->err, &at, AT_VALUE, "out of "
			    "memory");
		for (i = 0; i < json_array_size(polls); i++) {
			if ((s->polls[i] = strdup(json_string_value(
			    json_array_get(polls, i)))) == NULL)
				return cfg_fail(ctx->err, &at, AT_VALUE,
				    "out of memory");
			s->npolls++;
		}
	}
	return 0;
}

static int
cfg_sessions(struct cfg_ctx *ctx)
{
	struct config	*c = ctx->c;
	const char	*name;
	json_t		*obj;
	size_t		 n = json_object_size(ctx->coll[SECT_SESSIONS]);
	struct cfg_pos	 at;

	if (n == 0)
		return 0;
	if ((c->sessions = calloc(n, sizeof(*c->sessions))) == NULL) {
		at = sect_pos(ctx, SECT_SESSIONS);
		return cfg_fail(ctx->err, &at, AT_VALUE, "out of memory");
	}
	json_object_foreach(ctx->coll[SECT_SESSIONS], name, obj) {
		if (cfg_session(ctx, name, obj,
		    &c->sessions[c->nsessions++]) == -1)
			return -1;
	}
	qsort(c->sessions, c->nsessions, sizeof(*c->sessions), cmp_session);
	return 0;
}

/* "udp:0.0.0.0:162", "udp6:[::]:162", "dtls:[::1]:10162", port optional. */
static int
trap_listen_parse(const char *spec, struct config_trap_listen *l,
    const char **why)
{
	const char	*rest, *hend, *pstr = NULL;
	size_t		 hlen;
	unsigned long	 port;
	char		*end;
	unsigned char	 addr[16];
	int		 bracket = 0, family;

	if (strlen(spec) >= sizeof(l->spec)) {
		*why = "too long";
		return -1;
	}
	copy_str(l->spec, spec, sizeof(l->spec));
	if (strncmp(spec, "udp:", 4) == 0) {
		l->transport = SESS_TRANSPORT_UDP;
		rest = spec + 4;
		l->port = 162;
	} else if (strncmp(spec, "udp6:", 5) == 0) {
		l->transport = SESS_TRANSPORT_UDP6;
		rest = spec + 5;
		l->port = 162;
	} else if (strncmp(spec, "dtls:", 5) == 0) {
		l->transport = SESS_TRANSPORT_DTLS;
		rest = spec + 5;
		l->port = 10162;
	} else {
		*why = "expected \"udp:ADDR:PORT\", \"udp6:[ADDR]:PORT\" or "
		    "\"dtls:ADDR:PORT\"";
		return -1;
	}
	if (l->transport == SESS_TRANSPORT_UDP6 && rest[0] != '[') {
		*why = "IPv6 addresses go in brackets: \"udp6:[::]:162\"";
		return -1;
	}
	if (rest[0] == '[') {
		bracket = 1;
		rest++;
		if ((hend = strchr(rest, ']')) == NULL) {
			*why = "no ']' after the IPv6 address";
			return -1;
		}
		if (hend[1] == ':')
			pstr = hend + 2;
		else if (hend[1] != '\0') {
			*why = "expected ':' and a port after ']'";
			return -1;
		}
	} else {
		hend = strchr(rest, ':');
		if (hend != NULL)
			pstr = hend + 1;
		else
			hend = rest + strlen(rest);
	}
	hlen = (size_t)(hend - rest);
	if (hlen == 0 || hlen >= sizeof(l->host)) {
		*why = "no address";
		return -1;
	}
	memcpy(l->host, rest, hlen);
	l->host[hlen] = '\0';
	if (pstr != NULL) {
		errno = 0;
		port = strtoul(pstr, &end, 10);
		if (pstr[0] < '0' || pstr[0] > '9' || *end != '\0' ||
		    errno != 0 || port < 1 || port > 65535) {
			*why = "the port must be from 1 to 65535";
			return -1;
		}
		l->port = (uint16_t)port;
	}
	family = bracket ? AF_INET6 : AF_INET;
	if (l->transport == SESS_TRANSPORT_UDP && bracket) {
		*why = "use \"udp6:[ADDR]:PORT\" for IPv6";
		return -1;
	}
	if (inet_pton(family, l->host, addr) != 1) {
		*why = family == AF_INET ? "not a numeric IPv4 address" :
		    "not a numeric IPv6 address";
		return -1;
	}
	return 0;
}

/* A list of strings into a malloc'ed char * array. */
static int
str_list(const json_t *v, const struct cfg_pos *at, size_t maxlen,
    char ***out, size_t *nout, struct config_err *err)
{
	struct cfg_pos	 eat;
	const char	*s;
	size_t		 i, n;

	if (!json_is_array(v))
		return cfg_fail(err, at, AT_VALUE, "expected a list of "
		    "strings");
	n = json_array_size(v);
	if (n > CONFIG_MAX_LIST)
		return cfg_fail(err, at, AT_VALUE, "more than %d entries",
		    CONFIG_MAX_LIST);
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return cfg_fail(err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = pos_idx(at, i);
		if (json_str(json_array_get(v, i), &eat, 0, maxlen, 0, &s,
		    err) == -1)
			return -1;
		if (((*out)[i] = strdup(s)) == NULL)
			return cfg_fail(err, &eat, AT_VALUE, "out of memory");
		(*nout)++;
	}
	return 0;
}

/* Hex octets already checked by hex_octets() into out. */
static void
hex_decode(const char *s, uint8_t *out)
{
	int	 hi = -1, x;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		x = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		if (hi == -1)
			hi = x;
		else {
			*out++ = (uint8_t)(hi << 4 | x);
			hi = -1;
		}
	}
}

/*
 * traps.users: credentials names, or {"credentials": NAME, "engines":
 * [HEX, ...]} to accept that user's traps from those sender engines only.
 */
static int
trap_users(struct cfg_ctx *ctx, const json_t *v, const struct cfg_pos *at)
{
	static const char *const keys[] = { "credentials", "engines", NULL };
	struct config_traps *tr = &ctx->c->traps;
	struct config_trap_user *tu;
	struct cfg_pos	 eat, kat, xat;
	const json_t	*e, *name, *engs, *set;
	const char	*s;
	size_t		 i, k, n, octets;

	if (!json_is_array(v))
		return cfg_fail(ctx->err, at, AT_VALUE, "expected a list of "
		    "credentials names");
	if ((n = json_array_size(v)) > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, at, AT_VALUE, "more than %d entries",
		    CONFIG_MAX_LIST);
	if (n == 0)
		return 0;
	if ((tr->users = calloc(n, sizeof(*tr->users))) == NULL ||
	    (tr->user_info = calloc(n, sizeof(*tr->user_info))) == NULL)
		return cfg_fail(ctx->err, at, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = pos_idx(at, i);
		e = json_array_get(v, i);
		name = e;
		engs = NULL;
		kat = eat;
		if (json_is_object(e)) {
			if (check_keys(e, &eat, keys, ctx->err) == -1)
				return -1;
			kat = pos_key(&eat, "credentials");
			if ((name = json_object_get(e, "credentials")) == NULL)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "\"credentials\" missing");
			engs = json_object_get(e, "engines");
		}
		if (json_str(name, &kat, 1, SNMPMGR_MAX_NAME_LEN, 0, &s,
		    ctx->err) == -1)
			return -1;
		if ((set = json_object_get(ctx->coll[SECT_CREDENTIALS],
		    s)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "no "
			    "credentials named \"%s\"", s);
		if ((tr->users[i] = strdup(s)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
		tr->nusers++;
		tu = &tr->user_info[i];
		if ((tu->cred = json_deep_copy(set)) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
		if (engs == NULL)
			continue;
		kat = pos_key(&eat, "engines");
		if (!json_is_array(engs) || json_array_size(engs) == 0 ||
		    json_array_size(engs) > CONFIG_MAX_LIST)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "expected a "
			    "list of engine IDs in hex");
		k = json_array_size(engs);
		if ((tu->engines = calloc(k, sizeof(*tu->engines))) == NULL ||
		    (tu->englens = calloc(k, sizeof(*tu->englens))) == NULL)
			return cfg_fail(ctx->err, &kat, AT_VALUE, "out of "
			    "memory");
		for (k = 0; k < json_array_size(engs); k++) {
			xat = pos_idx(&kat, k);
			if (json_str(json_array_get(engs, k), &xat, 1, 200, 1,
			    &s, ctx->err) == -1)
				return -1;
			/* RFC 3411 5: SnmpEngineID is 5..32 octets. */
			if (hex_octets(s, &octets) == -1 || octets < 5 ||
			    octets > SNMPMGR_MAX_ENGINE_ID_LEN)
				return cfg_fail(ctx->err, &xat, AT_VALUE,
				    "expected an engine ID of 5 to 32 octets "
				    "in hex, such as \"0x80001f8880...\"");
			hex_decode(s, tu->engines[k]);
			tu->englens[k] = octets;
			tu->nengines++;
		}
	}
	return 0;
}

static int
cfg_journal(struct cfg_ctx *ctx, const json_t *obj, const struct cfg_pos *at)
{
	static const char *const keys[] = { "path", "max_size", "keep",
		"fsync", "interval", NULL };
	static const char *const fsyncs[] = { "none", "interval", "always",
		NULL };
	struct config_traps *tr = &ctx->c->traps;
	struct cfg_pos	 kat;
	const json_t	*v;
	const char	*path = CONFIG_DEFAULT_JOURNAL;
	long long	 n;
	size_t		 w;

	tr->journal_max_size = 64ULL << 20;
	tr->journal_keep = 4;
	tr->journal_interval_ms = 1000;
	copy_str(tr->journal_fsync, "interval",
	    sizeof(tr->journal_fsync));
	if (obj != NULL) {
		if (check_keys(obj, at, keys, ctx->err) == -1)
			return -1;
		kat = pos_key(at, "interval");
		if ((v = json_object_get(obj, "interval")) != NULL &&
		    json_duration(v, &kat, 10, 3600000,
		    &tr->journal_interval_ms, ctx->err) == -1)
			return -1;
		kat = pos_key(at, "path");
		if ((v = json_object_get(obj, "path")) != NULL &&
		    json_str(v, &kat, 1, PATH_MAX - 1, 0, &path,
		    ctx->err) == -1)
			return -1;
		kat = pos_key(at, "max_size");
		if ((v = json_object_get(obj, "max_size")) != NULL) {
			if (json_int_range(v, &kat, 1, 4096, 1LL << 40, &n,
			    ctx->err) == -1)
				return -1;
			tr->journal_max_size = (uint64_t)n;
		}
		kat = pos_key(at, "keep");
		if ((v = json_object_get(obj, "keep")) != NULL) {
			if (json_int_range(v, &kat, 0, 0, 1000, &n,
			    ctx->err) == -1)
				return -1;
			tr->journal_keep = (uint32_t)n;
		}
		kat = pos_key(at, "fsync");
		if ((v = json_object_get(obj, "fsync")) != NULL) {
			if (json_word(v, &kat, fsyncs, &w, ctx->err) == -1)
				return -1;
			copy_str(tr->journal_fsync, fsyncs[w],
			    sizeof(tr->journal_fsync));
		}
	}
	kat = pos_key(at, "path");
	if ((tr->journal_path = cfg_abspath(ctx->c, path)) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	return 0;
}

static int
cfg_traps(struct cfg_ctx *ctx)
{
	static const char *const keys[] = { "listen", "communities", "users",
		"journal", "auto_ack", "receive_buffer", NULL };
	static const char *const default_listen[] = { "udp:0.0.0.0:162",
		"udp6:[::]:162" };
	struct config_traps *tr = &ctx->c->traps;
	struct cfg_pos	 at = sect_pos(ctx, SECT_TRAPS), kat, eat;
	const json_t	*obj = ctx->sect[SECT_TRAPS], *v;
	const char	*why, *s;
	size_t		 i, j, n;
	long long	 ll;

	if (obj == NULL)
		return 0;
	ctx->c->have_traps = true;
	if (check_keys(obj, &at, keys, ctx->err) == -1)
		return -1;
	kat = pos_key(&at, "listen");
	v = json_object_get(obj, "listen");
	if (v != NULL && !json_is_array(v))
		return cfg_fail(ctx->err, &kat, AT_VALUE, "expected a list of "
		    "listen specs such as \"udp:0.0.0.0:162\"");
	n = v != NULL ? json_array_size(v) : 2;
	if (n > CONFIG_MAX_LIST)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "more than %d "
		    "entries", CONFIG_MAX_LIST);
	if (n > 0 && (tr->listen = calloc(n, sizeof(*tr->listen))) == NULL)
		return cfg_fail(ctx->err, &kat, AT_VALUE, "out of memory");
	for (i = 0; i < n; i++) {
		eat = pos_idx(&kat, i);
		if (v == NULL)
			s = default_listen[i];
		else if (json_str(json_array_get(v, i), &eat, 1, 299, 1, &s,
		    ctx->err) == -1)
			return -1;
		if (trap_listen_parse(s, &tr->listen[i], &why) == -1)
			return cfg_fail(ctx->err, &eat, AT_VALUE, "%s", why);
		tr->nlisten++;
		for (j = 0; j < i; j++)
			if (tr->listen[j].transport ==
			    tr->listen[i].transport &&
			    tr->listen[j].port == tr->listen[i].port &&
			    strcmp(tr->listen[j].host,
			    tr->listen[i].host) == 0)
				return cfg_fail(ctx->err, &eat, AT_VALUE,
				    "listed twice");
	}
	kat = pos_key(&at, "communities");
	if ((v = json_object_get(obj, "communities")) != NULL &&
	    str_list(v, &kat, SNMPMGR_MAX_COMMUNITY_LEN, &tr->communities,
	    &tr->ncommunities, ctx->err) == -1)
		return -1;
	kat = pos_key(&at, "users");
	if ((v = json_object_get(obj, "users")) != NULL &&
	    trap_users(ctx, v, &kat) == -1)
		return -1;
	tr->auto_ack = true;
	kat = pos_key(&at, "auto_ack");
	if ((v = json_object_get(obj, "auto_ack")) != NULL &&
	    json_bool(v, &kat, &tr->auto_ack, ctx->err) == -1)
		return -1;
	tr->receive_buffer = 8 << 20;
	kat = pos_key(&at, "receive_buffer");
	if ((v = json_object_get(obj, "receive_buffer")) != NULL) {
		if (json_int_range(v, &kat, 1, 0, 1LL << 30, &ll,
		    ctx->err) == -1)
			return -1;
		tr->receive_buffer = (uint64_t)ll;
	}
	kat = pos_key(&at, "journal");
	return cfg_journal(ctx, json_object_get(obj, "journal"), &kat);
}

static void
cfg_ctx_clear(struct cfg_ctx *ctx)
{
	size_t	 i;

	for (i = 0; i < ctx->nfiles; i++)
		cfg_file_free(ctx->files[i]);
	free(ctx->files);
	for (i = 0; i < NSECT; i++) {
		json_decref(ctx->coll[i]);
		json_decref(ctx->origin[i]);
	}
	for (i = 0; i < ctx->ntmpl; i++) {
		config_json_wipe_secrets(ctx->tmpl[i].extra);
		json_decref(ctx->tmpl[i].extra);
	}
	free(ctx->tmpl);
	config_json_wipe_secrets(ctx->base_extra);
	json_decref(ctx->base_extra);
}

struct config *
config_load(const char *path, struct config_err *err)
{
	return config_load_extra(path, NULL, NULL, err);
}

struct config *
config_load_extra(const char *path, const json_t *extra,
    const char *extra_name, struct config_err *err)
{
	struct cfg_ctx	 ctx;
	struct config	*c;
	int		 i;

	memset(&ctx, 0, sizeof(ctx));
	err->text[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL)
		goto nomem;
	ctx.c = c;
	ctx.err = err;
	if ((ctx.files = calloc(SNMPMGR_MAX_INCLUDES + 1,
	    sizeof(*ctx.files))) == NULL)
		goto nomem;
	for (i = 0; i < NSECT; i++) {
		ctx.sectfile[i] = -1;
		if (sections[i].kind != SECT_COLLECTION)
			continue;
		if ((ctx.coll[i] = json_object()) == NULL ||
		    (ctx.origin[i] = json_object()) == NULL)
			goto nomem;
	}
	if (cfg_read_file(&ctx, path, NULL, 0) == -1 ||
	    (extra != NULL && cfg_read_inline(&ctx, extra, extra_name) ==
	    -1) ||
	    cfg_state_dir(&ctx) == -1 ||
	    cfg_control(&ctx) == -1 ||
	    cfg_log(&ctx) == -1 ||
	    cfg_scheduler(&ctx) == -1 ||
	    cfg_local_engine_id(&ctx) == -1 ||
	    cfg_defaults(&ctx) == -1 ||
	    cfg_credentials(&ctx) == -1 ||
	    cfg_polls(&ctx) == -1 ||
	    cfg_templates(&ctx) == -1 ||
	    cfg_sessions(&ctx) == -1 ||
	    cfg_traps(&ctx) == -1)
		goto fail;
	cfg_ctx_clear(&ctx);
	return c;
 nomem:
	(void)snprintf(err->text, sizeof(err->text), "%s: out of memory",
	    path);
 fail:
	cfg_ctx_clear(&ctx);
	config_free(c);
	return NULL;
}

static void
strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
config_free(struct config *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsessions; i++) {
		strv_free(c->sessions[i].polls, c->sessions[i].npolls);
		config_json_wipe_secrets(c->sessions[i].extra);
		json_decref(c->sessions[i].extra);
		sess_opts_release(&c->sessions[i].opts);
	}
	sess_opts_release(&c->defaults);
	free(c->sessions);
	for (i = 0; i < c->npolls; i++)
		free(c->polls[i].oids);
	free(c->polls);
	free(c->traps.listen);
	strv_free(c->traps.communities, c->traps.ncommunities);
	for (i = 0; c->traps.user_info != NULL && i < c->traps.nusers; i++) {
		config_json_wipe_secrets(c->traps.user_info[i].cred);
		json_decref(c->traps.user_info[i].cred);
		free(c->traps.user_info[i].engines);
		free(c->traps.user_info[i].englens);
	}
	free(c->traps.user_info);
	strv_free(c->traps.users, c->traps.nusers);
	free(c->traps.journal_path);
	free(c->path);
	free(c->control_socket);
	free(c->state_dir);
	free(c);
}

const struct config_session *
config_find_session(const struct config *c, const char *name)
{
	struct config_session	 key;

	if (c == NULL || c->nsessions == 0 ||
	    strlen(name) >= sizeof(key.name))
		return NULL;
	copy_str(key.name, name, sizeof(key.name));
	return bsearch(&key, c->sessions, c->nsessions, sizeof(key),
	    cmp_session);
}

const struct config_poll *
config_find_poll(const struct config *c, const char *name)
{
	struct config_poll	 key;

	if (c == NULL || c->npolls == 0 || strlen(name) >= sizeof(key.name))
		return NULL;
	copy_str(key.name, name, sizeof(key.name));
	return bsearch(&key, c->polls, c->npolls, sizeof(key), cmp_poll);
}
