/*
 * conf_json.c - parse a config file's JSON text into a jansson tree
 * faster than json_loadb() does for the text configs are made of.
 *
 * jansson reads its input one byte at a time through a callback and
 * spends ~165 instructions per byte of an indented config, which made
 * parsing a third of the start-up of a 100,000-session config.  This
 * parser walks the buffer directly and builds the same tree (objects in
 * key order, integers, strings, true, false, null) for the common text:
 * ASCII strings with the short escapes, integers of up to 18 digits,
 * nesting up to CFG_JSON_DEPTH.  Anything else - a syntax error, a
 * duplicate key, a real number, a \u escape, a byte >= 0x80 - makes it
 * give up and hand the whole text to json_loadb() with the flags the
 * config always used (JSON_REJECT_DUPLICATES): what it accepts and the
 * error messages (line, column, text) are jansson's own.  Equal short
 * strings and integers close together (a template's name, a port in
 * every session) are one shared value, except under a key whose value
 * config_json_wipe_secrets() overwrites.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "conf_int.h"

/* Deeper text goes to jansson (its own limit is 2,048). */
#define CFG_JSON_DEPTH	64
/* Slots of the shared values (a power of two), their longest string. */
#define CJP_SHARED	256
#define CJP_SHARED_LEN	32

struct cjp {
	const char	*p;
	const char	*e;
	char		*buf;		/* unescaped string */
	size_t		 bufsize;
	bool		 secrets;	/* a key config_json_wipe_secrets()
					 * wipes was seen */
	/* Short strings and integers made last, by content: a value
	 * repeated by every session of a template (its name, a port, a
	 * community) is one shared object (a reference each). */
	json_t		*shared[CJP_SHARED];
};

static json_t	*cjp_value(struct cjp *, int, bool);

static void
cjp_ws(struct cjp *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\n' ||
	    *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

/*
 * A string, c->p at its opening quote: its bytes in *s (into the text,
 * or into c->buf when it had escapes) and *len.  -1: not one we take.
 */
static int
cjp_string(struct cjp *c, const char **s, size_t *len)
{
	const char	*p = c->p + 1, *start = p;
	size_t		 n = 0, need;
	char		*nb, ch;

	while (p < c->e && *p != '"' && *p != '\\' &&
	    (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80)
		p++;
	if (p >= c->e)
		return -1;
	if (*p == '"') {
		*s = start;
		*len = (size_t)(p - start);
		c->p = p + 1;
		return 0;
	}
	/* Escapes: copy into buf. */
	p = start;
	for (;;) {
		if (p >= c->e)
			return -1;
		ch = *p;
		if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x80)
			return -1;
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (++p >= c->e)
				return -1;
			switch (*p) {
			case '"':	ch = '"'; break;
			case '\\':	ch = '\\'; break;
			case '/':	ch = '/'; break;
			case 'b':	ch = '\b'; break;
			case 'f':	ch = '\f'; break;
			case 'n':	ch = '\n'; break;
			case 'r':	ch = '\r'; break;
			case 't':	ch = '\t'; break;
			default:	return -1;	/* \u and errors */
			}
		}
		if (n + 1 > c->bufsize) {
			need = c->bufsize < 64 ? 64 : c->bufsize * 2;
			if ((nb = realloc(c->buf, need)) == NULL)
				return -1;
			c->buf = nb;
			c->bufsize = need;
		}
		c->buf[n++] = ch;
		p++;
	}
	*s = n > 0 ? c->buf : start;
	*len = n;
	c->p = p + 1;
	return 0;
}

/*
 * A value shared through c->shared: a new reference to the one made
 * last with this content, or v itself (remembered).  Values under a key
 * config_json_wipe_secrets() wipes are never shared (share false), so a
 * wipe, which writes "***" into the string where it is, cannot reach
 * another key's value.
 */
static json_t *
cjp_share(struct cjp *c, uint32_t h, json_t *v)
{
	json_t	**slot = &c->shared[h & (CJP_SHARED - 1)];

	if (v == NULL)
		return NULL;
	json_decref(*slot);
	*slot = json_incref(v);
	return v;
}

static uint32_t
cjp_hash(const char *s, size_t len, uint32_t h)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static json_t *
cjp_shared_string(struct cjp *c, const char *s, size_t len, bool share)
{
	json_t		*v;
	uint32_t	 h;

	if (!share || len > CJP_SHARED_LEN)
		return json_stringn_nocheck(s, len);
	h = cjp_hash(s, len, 2166136261u);
	v = c->shared[h & (CJP_SHARED - 1)];
	if (json_is_string(v) && json_string_length(v) == len &&
	    memcmp(json_string_value(v), s, len) == 0)
		return json_incref(v);
	return cjp_share(c, h, json_stringn_nocheck(s, len));
}

static json_t *
cjp_shared_integer(struct cjp *c, long long n, bool share)
{
	json_t		*v;
	uint32_t	 h;

	if (!share)
		return json_integer(n);
	h = cjp_hash((const char *)&n, sizeof(n), 0x811c9dc5u ^ 0x5a5a5a5au);
	v = c->shared[h & (CJP_SHARED - 1)];
	if (json_is_integer(v) && json_integer_value(v) == n)
		return json_incref(v);
	return cjp_share(c, h, json_integer(n));
}

static json_t *
cjp_number(struct cjp *c, bool share)
{
	const char	*p = c->p;
	long long	 v = 0;
	int		 neg = 0, nd = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= c->e || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0' && p + 1 < c->e && p[1] >= '0' && p[1] <= '9')
		return NULL;
	while (p < c->e && *p >= '0' && *p <= '9') {
		if (++nd > 18)
			return NULL;
		v = v * 10 + (*p++ - '0');
	}
	/* A real number (or junk) is jansson's to read. */
	if (p < c->e && (*p == '.' || *p == 'e' || *p == 'E'))
		return NULL;
	c->p = p;
	return cjp_shared_integer(c, neg ? -v : v, share);
}

static bool
cjp_word(struct cjp *c, const char *w, size_t n)
{
	if ((size_t)(c->e - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Past an opening bracket: whether the container ends at once. */
static bool
cjp_open(struct cjp *c, char close)
{
	c->p++;
	cjp_ws(c);
	if (c->p < c->e && *c->p == close) {
		c->p++;
		return true;
	}
	return false;
}

/* After a member: 1 at a ',' (another follows), 0 at close (the
 * container ends), -1 at anything else. */
static int
cjp_next(struct cjp *c, char close)
{
	cjp_ws(c);
	if (c->p < c->e && *c->p == ',') {
		c->p++;
		cjp_ws(c);
		return 1;
	}
	if (c->p < c->e && *c->p == close) {
		c->p++;
		return 0;
	}
	return -1;
}

static json_t *
cjp_object(struct cjp *c, int depth)
{
	json_t		*o, *v;
	const char	*k;
	char		 kb[128], *key;
	size_t		 klen, n;
	bool		 secret;
	int		 more = -1;

	if ((o = json_object()) == NULL)
		return NULL;
	if (cjp_open(c, '}'))
		return o;
	for (;;) {
		if (c->p >= c->e || *c->p != '"' ||
		    cjp_string(c, &k, &klen) == -1)
			goto fail;
		/* NUL-terminated, and safe from c->buf's next use. */
		if (klen < sizeof(kb))
			key = kb;
		else if ((key = malloc(klen + 1)) == NULL)
			goto fail;
		memcpy(key, k, klen);
		key[klen] = '\0';
		secret = cfg_secret_key(key);
		if (secret)
			c->secrets = true;
		cjp_ws(c);
		if (c->p >= c->e || *c->p != ':')
			goto failkey;
		c->p++;
		cjp_ws(c);
		if ((v = cjp_value(c, depth + 1, !secret)) == NULL)
			goto failkey;
		/* A duplicate key replaces its value (the size stays):
		 * jansson names it. */
		n = json_object_size(o);
		if (json_object_set_new_nocheck(o, key, v) == -1 ||
		    json_object_size(o) == n)
			goto failkey;
		if (key != kb)
			free(key);
		if ((more = cjp_next(c, '}')) != 1)
			break;
	}
	if (more == 0)
		return o;
	goto fail;
 failkey:
	if (key != kb)
		free(key);
 fail:
	json_decref(o);
	return NULL;
}

static json_t *
cjp_array(struct cjp *c, int depth)
{
	json_t	*a, *v = NULL;
	int	 more = -1;

	if ((a = json_array()) == NULL)
		return NULL;
	if (cjp_open(c, ']'))
		return a;
	do {
		if ((v = cjp_value(c, depth + 1, true)) == NULL ||
		    json_array_append_new(a, v) == -1)
			break;
	} while ((more = cjp_next(c, ']')) == 1);
	if (v != NULL && more == 0)
		return a;
	json_decref(a);
	return NULL;
}

/* One value at c->p (no white space before it), or NULL; share: it may
 * be a shared one (cjp_share). */
static json_t *
cjp_value(struct cjp *c, int depth, bool share)
{
	const char	*s;
	size_t		 len;

	if (c->p >= c->e || depth > CFG_JSON_DEPTH)
		return NULL;
	switch (*c->p) {
	case '{':
		return cjp_object(c, depth);
	case '[':
		return cjp_array(c, depth);
	case '"':
		if (cjp_string(c, &s, &len) == -1)
			return NULL;
		return cjp_shared_string(c, s, len, share);
	case 't':
		return cjp_word(c, "true", 4) ? json_true() : NULL;
	case 'f':
		return cjp_word(c, "false", 5) ? json_false() : NULL;
	case 'n':
		return cjp_word(c, "null", 4) ? json_null() : NULL;
	default:
		return cjp_number(c, share);
	}
}

json_t *
cfg_json_fast(const char *text, size_t len, bool *secrets)
{
	struct cjp	 c;
	json_t		*root = NULL;
	size_t		 i;

	memset(&c, 0, sizeof(c));
	c.p = text;
	c.e = text + len;
	cjp_ws(&c);
	/* Without JSON_DECODE_ANY jansson wants an object or an array. */
	if (c.p < c.e && (*c.p == '{' || *c.p == '['))
		root = cjp_value(&c, 0, true);
	if (root != NULL) {
		cjp_ws(&c);
		if (c.p != c.e) {
			json_decref(root);
			root = NULL;
		}
	}
	/* It may have held an escaped password. */
	if (c.buf != NULL)
		OPENSSL_cleanse(c.buf, c.bufsize);
	free(c.buf);
	for (i = 0; i < CJP_SHARED; i++)
		json_decref(c.shared[i]);
	*secrets = c.secrets;
	return root;
}

json_t *
cfg_json_load(const char *text, size_t len, json_error_t *err,
    bool *secrets)
{
	json_t	*root;

	if ((root = cfg_json_fast(text, len, secrets)) != NULL)
		return root;
	*secrets = true;	/* not looked at */
	return json_loadb(text, len, JSON_REJECT_DUPLICATES, err);
}
