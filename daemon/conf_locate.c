/*
 * conf_locate.c - where a config value is and what to say about it.
 *
 * jansson forgets where a value was, so errors about meaning find it again:
 * a key path (cfg_pos) is followed by a small JSON scanner over the file
 * text to a line and column, and cfg_fail() writes "FILE:LINE:COL:
 * key.path: message".  Unknown keys and words get a "did you mean"
 * suggestion from the nearest known name.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/strdist.h"

#include "conf.h"
#include "conf_int.h"

/* ------------------------------------------------------------------ */
/* Key paths and positions                                             */

struct cfg_pos
cfg_pos_key(const struct cfg_pos *parent, const char *key)
{
	struct cfg_pos	 p = *parent;

	if (p.path.n < CONFIG_MAX_KEY_DEPTH) {
		p.path.seg[p.path.n].key = key;
		p.path.seg[p.path.n].idx = 0;
		p.path.n++;
	}
	return p;
}

struct cfg_pos
cfg_pos_idx(const struct cfg_pos *parent, size_t idx)
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

/*
 * Where a syntax error is: the text up to pos is read as a sequence of
 * tokens (jansson has refused it, so there is no tree), keeping the keys
 * and indexes of the objects and arrays still open.  The error is in a
 * secret when the nearest key around it (through arrays: a list of
 * communities) names one, or is written with escapes that hide its name.
 */
bool
cfg_syntax_secret(const char *text, size_t len, size_t pos, char *path,
    size_t size)
{
	struct {
		bool	 array;
		bool	 haskey;
		bool	 escaped;
		char	 key[64];
		size_t	 idx;
	}		 st[CONFIG_MAX_KEY_DEPTH];
	struct kpath	 kp;
	const char	*p = text, *end = text + (pos < len ? pos : len);
	const char	*s, *q;
	char		 nk[64];
	size_t		 depth = 0, n, i;
	bool		 esc, secret = false, nokey = false, pend = false;

	while (p < end) {
		if (*p == '"') {
			s = ++p;
			esc = false;
			while (p < end && *p != '"') {
				if (*p == '\\') {
					esc = true;
					p++;
				}
				p++;
			}
			if (p >= end)
				break;		/* the error is inside it */
			n = (size_t)(p - s);
			for (q = ++p; q < end && (*q == ' ' || *q == '\t' ||
			    *q == '\n' || *q == '\r'); q++)
				;
			if (q < end && *q == ':' && depth > 0 &&
			    depth <= CONFIG_MAX_KEY_DEPTH &&
			    !st[depth - 1].array) {
				i = depth - 1;
				st[i].haskey = true;
				st[i].escaped = esc;
				if (n >= sizeof(st[i].key))
					n = sizeof(st[i].key) - 1;
				memcpy(st[i].key, s, n);
				st[i].key[n] = '\0';
			} else if (!pend && depth > 0 &&
			    depth <= CONFIG_MAX_KEY_DEPTH &&
			    !st[depth - 1].array && !st[depth - 1].haskey) {
				/* A key without its ':' ("auth_password"
				 * "x"): the error is at its value, the next
				 * string (jansson points past it). */
				pend = true;
				nokey = esc || (n < sizeof(nk) &&
				    (memcpy(nk, s, n), nk[n] = '\0',
				    cfg_secret_name(nk)));
			}
			continue;
		}
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			pend = nokey = false;
		if (*p == '{' || *p == '[') {
			if (depth < CONFIG_MAX_KEY_DEPTH) {
				st[depth].array = *p == '[';
				st[depth].haskey = false;
				st[depth].idx = 0;
			}
			depth++;
		} else if ((*p == '}' || *p == ']') && depth > 0)
			depth--;
		else if (*p == ',' && depth > 0 &&
		    depth <= CONFIG_MAX_KEY_DEPTH) {
			if (st[depth - 1].array)
				st[depth - 1].idx++;
			else
				st[depth - 1].haskey = false;
		}
		p++;
	}
	if (depth > CONFIG_MAX_KEY_DEPTH)
		depth = CONFIG_MAX_KEY_DEPTH;
	/* The nearest key, through arrays. */
	for (i = depth; i > 0; i--)
		if (!st[i - 1].array) {
			secret = st[i - 1].haskey && (st[i - 1].escaped ||
			    cfg_secret_name(st[i - 1].key));
			break;
		}
	if (nokey)
		secret = true;
	memset(&kp, 0, sizeof(kp));
	for (i = 0; i < depth; i++) {
		if (st[i].array) {
			kp.seg[kp.n].key = NULL;
			kp.seg[kp.n++].idx = st[i].idx;
		} else if (st[i].haskey)
			kp.seg[kp.n++].key = st[i].key;
		else
			break;
	}
	kpath_format(&kp, path, size);
	return secret;
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

/* Fill err with "FILE:LINE:COL: path: message" (or "path: message"). */
int
cfg_fail(struct config_err *err, const struct cfg_pos *at, int at_key,
    const char *fmt, ...)
{
	char		 path[256];
	va_list		 ap;
	int		 line, col, r = 0;
	size_t		 off;

	kpath_format(&at->path, path, sizeof(path));
	if (at->file != NULL && at->file->inline_doc)
		r = snprintf(err->text, sizeof(err->text), "%s: %s%s",
		    at->file->path, path, path[0] != '\0' ? ": " : "");
	else if (at->file != NULL) {
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
void
cfg_where(const struct cfg_pos *at, char *buf, size_t size)
{
	int	 line, col;

	if (at->file == NULL) {
		(void)snprintf(buf, size, "here");
		return;
	}
	if (at->file->inline_doc) {
		(void)snprintf(buf, size, "%s", at->file->path);
		return;
	}
	cfg_locate(at->file, &at->path, AT_KEY, &line, &col);
	(void)snprintf(buf, size, "%s:%d:%d", at->file->path, line, col);
}

/* ------------------------------------------------------------------ */
/* Suggestions for unknown keys                                        */

void
cfg_suggest_try(struct suggest *sg, const char *name)
{
	size_t	 d = strdist(sg->key, name, false), len = strlen(sg->key);

	if (len >= 3 && strncmp(name, sg->key, len) == 0 && d > 1)
		d = 1;			/* "warn" for "warning" */
	if (d > 1 && strcasecmp(name, sg->key) == 0)
		d = 1;			/* "SHA" for "sha" */
	if (d < sg->dist) {
		sg->dist = d;
		sg->best = name;
	}
}

void
cfg_suggest_list(struct suggest *sg, const char *const *names)
{
	for (; names != NULL && *names != NULL; names++)
		cfg_suggest_try(sg, *names);
}

/* A suggestion is worth making when it is a typo away. */
const char *
cfg_suggest_result(const struct suggest *sg)
{
	size_t	 len = strlen(sg->key);

	if (sg->best == NULL || sg->dist == 0)
		return NULL;
	if (sg->dist <= 1 || (sg->dist <= 2 && len > 4) ||
	    (sg->dist <= 3 && len > 10))
		return sg->best;
	return NULL;
}

int
cfg_unknown(struct config_err *err, const struct cfg_pos *at,
    const struct suggest *sg, const char *what)
{
	const char	*best = cfg_suggest_result(sg);

	if (best != NULL)
		return cfg_fail(err, at, AT_KEY, "unknown %s (did you mean "
		    "\"%s\"?)", what, best);
	return cfg_fail(err, at, AT_KEY, "unknown %s", what);
}

int
cfg_name_in(const char *const *names, const char *key)
{
	for (; names != NULL && *names != NULL; names++)
		if ((*names)[0] == key[0] && strcmp(*names, key) == 0)
			return 1;
	return 0;
}

