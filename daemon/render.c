/*
 * render.c - hand-written JSON formatting of varbinds.
 *
 * Rules (doc/protocol.md "Values"): integer types are JSON numbers except
 * Counter64, a decimal string; an OCTET STRING that is valid UTF-8 without
 * control characters (other than tab, CR, LF) is a text "value", any other
 * a lowercase "hex" field; Opaque and NsapAddress are always hex; OBJECT
 * IDENTIFIER and IpAddress values are dotted strings; NULL and the
 * exceptions of RFC 3416 3 (noSuchObject, noSuchInstance, endOfMibView)
 * have no value.  Each varbind reserves its worst-case size once and is
 * then written with plain stores.
 */
#include <config.h>		/* autoconf's */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/oid.h"
#include "core/pdu.h"
#include "mib.h"
#include "render.h"

static const char hexdig[] = "0123456789abcdef";

void
render_buf_init(struct render_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void
render_buf_free(struct render_buf *b)
{
	free(b->p);
	render_buf_init(b);
}

void
render_buf_reset(struct render_buf *b)
{
	b->len = 0;
	b->failed = false;
}

int
render_reserve_grow(struct render_buf *b, size_t n)
{
	size_t	 ncap;
	char	*np;

	if (b->failed)
		return -1;
	if (b->cap - b->len >= n)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		goto fail;
	ncap = b->cap ? b->cap : 4096;
	while (ncap - b->len < n)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		goto fail;
	b->p = np;
	b->cap = ncap;
	return 0;
 fail:
	b->failed = true;
	return -1;
}

void
render_add_grow(struct render_buf *b, const void *p, size_t n)
{
	if (render_reserve(b, n) == -1)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Two decimal digits per entry, "00" to "99". */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* The decimal digits of v: one division per four. */
static inline unsigned
u32_digits(uint32_t v)
{
	unsigned	 n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

/*
 * Unchecked appends: the caller reserved the room.  Numbers are written in
 * place, two digits per step, from the last digit back; in 32 bits when
 * they fit (most values: cheaper than 64-bit division by a constant).
 */
static inline void
put_u32(struct render_buf *b, uint32_t v)
{
	unsigned	 n = u32_digits(v), r;
	char		*q = b->p + b->len + n;

	b->len += n;
	while (v >= 100) {
		r = (v % 100) * 2;
		v /= 100;
		*--q = digits2[r + 1];
		*--q = digits2[r];
	}
	if (v >= 10) {
		*--q = digits2[v * 2 + 1];
		*--q = digits2[v * 2];
	} else
		*--q = (char)('0' + v);
}

static inline void
put_u64(struct render_buf *b, uint64_t v)
{
	uint64_t	 t = v;
	size_t		 n = 1;
	char		*q;
	unsigned	 r;

	if (v <= UINT32_MAX) {
		put_u32(b, (uint32_t)v);
		return;
	}
	while (t >= 100) {
		t /= 100;
		n += 2;
	}
	n += t >= 10;
	q = b->p + b->len + n;
	b->len += n;
	while (v >= 100) {
		r = (unsigned)(v % 100) * 2;
		v /= 100;
		*--q = digits2[r + 1];
		*--q = digits2[r];
	}
	if (v >= 10) {
		*--q = digits2[v * 2 + 1];
		*--q = digits2[v * 2];
	} else
		*--q = (char)('0' + v);
}

static inline void
put_i64(struct render_buf *b, int64_t v)
{
	if (v < 0) {
		b->p[b->len++] = '-';
		put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else
		put_u64(b, (uint64_t)v);
}

static inline void
put_mem(struct render_buf *b, const void *p, size_t n)
{
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

#define PUT_LIT(b, s)	put_mem((b), (s), sizeof(s) - 1)

/* Needs SNMPMGR_MAX_OID_STR bytes of room (the NUL is overwritten). */
static inline void
put_oid_arcs(struct render_buf *b, const struct oid *o)
{
	b->len += oid_format(o, b->p + b->len, SNMPMGR_MAX_OID_STR);
}

/* put_oid_arcs() through c (NULL: none); the same room. */
static void
put_oid_cached(struct render_buf *b, struct render_oidcache *c,
    const struct oid *o)
{
	uint32_t	 h, n = o->len;
	size_t		 len;

	if (c == NULL || n < 2 || n > RENDER_OIDCACHE_ARCS) {
		put_oid_arcs(b, o);
		return;
	}
	/* The length and the last arcs tell most OIDs apart. */
	h = n * 0x9e3779b1U ^ o->arcs[n - 1] * 0x85ebca6bU ^
	    o->arcs[n - 2] * 0xc2b2ae35U ^ o->arcs[n / 2];
	h = (h ^ h >> 15) % RENDER_OIDCACHE_SLOTS;
	if (c->slot[h].len == n &&
	    memcmp(c->slot[h].arcs, o->arcs, n * sizeof(o->arcs[0])) == 0) {
		memcpy(b->p + b->len, c->slot[h].text, c->slot[h].textlen);
		b->len += c->slot[h].textlen;
		return;
	}
	len = oid_format(o, b->p + b->len, SNMPMGR_MAX_OID_STR);
	c->slot[h].len = n;
	c->slot[h].textlen = (uint32_t)len;
	memcpy(c->slot[h].arcs, o->arcs, n * sizeof(o->arcs[0]));
	memcpy(c->slot[h].text, b->p + b->len, len);
	b->len += len;
}

/* OID content octets (checked) as dotted text through c (NULL: none);
 * needs OID_BER_STR(n) bytes of room. */
static void
put_oid_ber(struct render_buf *b, struct render_bercache *c,
    const uint8_t *p, size_t n)
{
	uint32_t	 h;
	size_t		 len;

	if (c == NULL || n > RENDER_BERCACHE_OCTETS || n < 2) {
		b->len += oid_format_ber(p, n, b->p + b->len);
		return;
	}
	/* The length and the last octets tell most names apart. */
	h = (uint32_t)n * 0x9e3779b1U ^ p[n - 1] * 0x85ebca6bU ^
	    p[n - 2] * 0xc2b2ae35U ^ p[n / 2] * 0x27d4eb2fU;
	h = (h ^ h >> 15) % RENDER_BERCACHE_SLOTS;
	if (c->slot[h].len == n && memcmp(c->slot[h].ber, p, n) == 0) {
		memcpy(b->p + b->len, c->slot[h].text, c->slot[h].textlen);
		b->len += c->slot[h].textlen;
		return;
	}
	len = oid_format_ber(p, n, b->p + b->len);
	c->slot[h].len = (uint16_t)n;
	c->slot[h].textlen = (uint16_t)len;
	memcpy(c->slot[h].ber, p, n);
	memcpy(c->slot[h].text, b->p + b->len, len);
	b->len += len;
}

static void
put_hex(struct render_buf *b, const uint8_t *p, size_t n)
{
	/* The caller made room for 2 * n digits; the NUL hex_encode adds
	 * lands in the room reserved for what follows. */
	b->len += hex_encode(p, n, b->p + b->len, 2 * n + 1);
}

/* Needs 2 + 6 * n bytes of room at most. */
static void
put_json_str(struct render_buf *b, const char *s, size_t n)
{
	char		*q = b->p + b->len;
	size_t		 i;
	unsigned char	 c;

	*q++ = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*q++ = (char)c;
			continue;
		}
		*q++ = '\\';
		switch (c) {
		case '"':
			*q++ = '"';
			break;
		case '\\':
			*q++ = '\\';
			break;
		case '\n':
			*q++ = 'n';
			break;
		case '\r':
			*q++ = 'r';
			break;
		case '\t':
			*q++ = 't';
			break;
		default:
			*q++ = 'u';
			*q++ = '0';
			*q++ = '0';
			*q++ = hexdig[c >> 4];
			*q++ = hexdig[c & 0xf];
			break;
		}
	}
	*q++ = '"';
	b->len = (size_t)(q - b->p);
}

void
render_u64(struct render_buf *b, uint64_t v)
{
	if (render_reserve(b, 24) == 0)
		put_u64(b, v);
}

void
render_i64(struct render_buf *b, int64_t v)
{
	if (render_reserve(b, 24) == 0)
		put_i64(b, v);
}

void
render_fixed(struct render_buf *b, uint64_t v, unsigned dec)
{
	char		 frac[20];
	uint64_t	 p = 1;
	unsigned	 i;

	if (dec > 19)
		dec = 19;
	for (i = 0; i < dec; i++)
		p *= 10;
	render_u64(b, v / p);
	if (dec == 0)
		return;
	v %= p;
	for (i = dec; i > 0; i--) {
		frac[i] = (char)('0' + v % 10);
		v /= 10;
	}
	frac[0] = '.';
	render_add(b, frac, dec + 1);
}

void
render_double(struct render_buf *b, double v)
{
	char	 buf[40];
	int	 n;

	if (!isfinite(v)) {
		render_adds(b, "null");
		return;
	}
	/* As jansson writes them (RENDER_JSON_DUMP): a rate in poll.results
	 * and in its response event read the same. */
	n = snprintf(buf, sizeof(buf), "%.*g", RENDER_REAL_DIGITS, v);
	render_add(b, buf, (size_t)n);
}

void
render_json_str(struct render_buf *b, const char *s, size_t n)
{
	if (n > (SIZE_MAX - 2) / 6 || render_reserve(b, 2 + 6 * n) == -1) {
		b->failed = true;
		return;
	}
	put_json_str(b, s, n);
}

void
render_oid(struct render_buf *b, const struct oid *o)
{
	render_oid_cached(b, NULL, o);
}

void
render_oid_cached(struct render_buf *b, struct render_oidcache *c,
    const struct oid *o)
{
	if (render_reserve(b, SNMPMGR_MAX_OID_STR + 2) == -1)
		return;
	b->p[b->len++] = '"';
	put_oid_cached(b, c, o);
	b->p[b->len++] = '"';
}

/*
 * UTF-8 as RFC 3629 4 allows it (no overlong forms, no surrogates, nothing
 * past U+10FFFF), and no C0/C1 control characters or DEL other than tab,
 * CR and LF.
 */
bool
render_is_text(const uint8_t *p, size_t n)
{
	size_t		 i = 0;
	uint8_t		 c;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
			    c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (n - i < 2 || (p[i + 1] & 0xc0) != 0x80)
				return false;
			/* U+0080..U+009F are C1 controls. */
			if (c == 0xc2 && p[i + 1] < 0xa0)
				return false;
			i += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (n - i < 3 || (p[i + 1] & 0xc0) != 0x80 ||
			    (p[i + 2] & 0xc0) != 0x80)
				return false;
			if (c == 0xe0 && p[i + 1] < 0xa0)
				return false;	/* overlong */
			if (c == 0xed && p[i + 1] >= 0xa0)
				return false;	/* surrogate */
			i += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (n - i < 4 || (p[i + 1] & 0xc0) != 0x80 ||
			    (p[i + 2] & 0xc0) != 0x80 ||
			    (p[i + 3] & 0xc0) != 0x80)
				return false;
			if (c == 0xf0 && p[i + 1] < 0x90)
				return false;	/* overlong */
			if (c == 0xf4 && p[i + 1] >= 0x90)
				return false;	/* past U+10FFFF */
			i += 4;
		} else
			return false;
	}
	return true;
}

/* Type names of doc/protocol.md, with their lengths, by tag. */
struct render_type {
	const char	*name;
	size_t		 len;
	bool		 unknown;
};
#define RT(s)	{ s, sizeof(s) - 1, false }

static struct render_type
render_type_name(uint8_t t)
{
	static const struct render_type unknown = { "unknown", 7, true };

	switch (t) {
	case SNMP_T_INTEGER:	return (struct render_type)RT("Integer32");
	case SNMP_T_OCTETS:	return (struct render_type)RT("OCTET STRING");
	case SNMP_T_NULL:	return (struct render_type)RT("NULL");
	case SNMP_T_OID:	return (struct render_type)RT("OBJECT IDENTIFIER");
	case SNMP_T_IPADDR:	return (struct render_type)RT("IpAddress");
	case SNMP_T_COUNTER32:	return (struct render_type)RT("Counter32");
	case SNMP_T_GAUGE32:	return (struct render_type)RT("Gauge32");
	case SNMP_T_TIMETICKS:	return (struct render_type)RT("TimeTicks");
	case SNMP_T_OPAQUE:	return (struct render_type)RT("Opaque");
	case SNMP_T_NSAP:	return (struct render_type)RT("NsapAddress");
	case SNMP_T_COUNTER64:	return (struct render_type)RT("Counter64");
	case SNMP_T_UINTEGER32:	return (struct render_type)RT("UInteger32");
	case SNMP_T_NOSUCHOBJECT: return (struct render_type)RT("noSuchObject");
	case SNMP_T_NOSUCHINSTANCE: return (struct render_type)RT("noSuchInstance");
	case SNMP_T_ENDOFMIBVIEW: return (struct render_type)RT("endOfMibView");
	default:		return unknown;
	}
}

/*
 * What the current MIB set says about one varbind (mib.h).  Most objects
 * (scalars, columns of rows indexed by integers) have a plain name: the
 * node's "MODULE::label" made at load, then the OID's further arcs, the
 * first of them the index - written straight from the arcs, with no
 * decoding and no escaping.  Others are named and decoded by
 * mib_name_instance into name and items.
 */
struct render_mib {
	const struct mib_node	*node;
	const struct oid	*oid;
	size_t			 plen;		/* arcs of node */
	const char		*plain;		/* plain name, or NULL */
	size_t			 plainlen;
	size_t			 nplain;	/* its index arcs */
	char			 name[512];
	size_t			 namelen;
	const char		*en;
	size_t			 enlen;
	char			 disp[1024];
	size_t			 displen;
	struct mib_index_item	 items[16];
	int			 nitems;
	size_t			 room;		/* bytes all of it may take */
};

/* The longest name render_mib_lookup makes (slow or plain). */
#define RENDER_NAME_MAX		(sizeof(((struct render_mib *)0)->name) - 1)

/* Fill rm from the current MIB set for an object's name and value;
 * false when it names nothing. */
static bool
render_mib_lookup(const struct oid *name, const struct snmp_value *v,
    struct render_mib *rm)
{
	const struct mib	*m = mib_current();
	size_t			 plen, i, rest, len;

	if (m == NULL || (rm->node = mib_lookup(m, name, &plen)) == NULL)
		return false;
	rm->oid = name;
	rm->plen = plen;
	rm->plain = NULL;
	rm->nitems = 0;
	rest = name->len - plen;
	if (mib_node_plain_name(rm->node, &rm->plain, &rm->plainlen,
	    &rm->nplain) && rm->plainlen + 11 * rest <= RENDER_NAME_MAX) {
		/* Too short for its index: no index, as the slow way. */
		if (rm->nplain > rest)
			rm->nplain = 0;
		rm->room = 32 + rm->plainlen + 11 * rest;	/* + ,"index":{} */
		for (i = 0; i < rm->nplain; i++) {
			(void)mib_node_index_label(rm->node, i, &len);
			rm->room += 16 + len;
		}
	} else {
		rm->plain = NULL;
		/* One lookup, one index decoding: the name is made from
		 * it. */
		rm->namelen = mib_name_instance(rm->node, name, plen,
		    rm->items, sizeof(rm->items) / sizeof(rm->items[0]),
		    &rm->nitems, rm->name, sizeof(rm->name));
		if (rm->namelen >= sizeof(rm->name))
			rm->namelen = 0;
		rm->room = 16 + 6 * rm->namelen;
	}
	rm->en = NULL;
	rm->displen = 0;
	if (!mib_node_is_object(rm->node) || rest == 0) {
		rm->nitems = 0;
		rm->nplain = 0;
		return rm->plain != NULL || rm->namelen > 0;
	}
	if (v->type == SNMP_T_INTEGER &&
	    (rm->en = mib_enum_label(rm->node, v->i)) != NULL) {
		rm->enlen = strlen(rm->en);
		rm->room += 16 + 6 * rm->enlen;
	}
	if (!mib_display_is_self(rm->node, v))
		rm->displen = mib_display(rm->node, v, rm->disp,
		    sizeof(rm->disp));
	/* Text that shows as itself ("255a") needs no second copy. */
	if (rm->displen >= sizeof(rm->disp) ||
	    !render_is_text((const uint8_t *)rm->disp, rm->displen) ||
	    (v->type == SNMP_T_OCTETS && rm->displen == v->len &&
	    (v->len == 0 || memcmp(rm->disp, v->data, v->len) == 0)))
		rm->displen = 0;
	rm->room += 16 + 6 * rm->displen;
	for (i = 0; i < (size_t)rm->nitems; i++)
		rm->room += 32 + 6 * strlen(rm->items[i].name) +
		    6 * rm->items[i].len + 2 * rm->items[i].len;
	return true;
}

/* ,"name":"..." of rm, either way: needs rm->room of room. */
static void
put_mib_name(struct render_buf *b, const struct render_mib *rm)
{
	size_t		 at;

	if (rm->plain == NULL) {
		if (rm->namelen > 0) {
			PUT_LIT(b, ",\"name\":");
			put_json_str(b, rm->name, rm->namelen);
		}
		return;
	}
	PUT_LIT(b, ",\"name\":\"");
	put_mem(b, rm->plain, rm->plainlen);
	for (at = rm->plen; at < rm->oid->len; at++) {
		b->p[b->len++] = '.';
		put_u64(b, rm->oid->arcs[at]);
	}
	b->p[b->len++] = '"';
}

/* ,"index":{...} of a plain name: needs rm->room of room. */
static void
put_plain_index(struct render_buf *b, const struct render_mib *rm)
{
	const char	*label;
	size_t		 i, len;

	PUT_LIT(b, ",\"index\":{");
	for (i = 0; i < rm->nplain; i++) {
		label = mib_node_index_label(rm->node, i, &len);
		if (i > 0)
			b->p[b->len++] = ',';
		b->p[b->len++] = '"';
		put_mem(b, label, len);
		PUT_LIT(b, "\":");
		put_u64(b, rm->oid->arcs[rm->plen + i]);
	}
	b->p[b->len++] = '}';
}

/* ,"enum":...,"display":...,"index":{...}: needs rm->room of room. */
static void
put_mib_extras(struct render_buf *b, const struct render_mib *rm)
{
	const struct mib_index_item *it;
	int			 i;

	if (rm->en != NULL) {
		PUT_LIT(b, ",\"enum\":");
		put_json_str(b, rm->en, rm->enlen);
	}
	if (rm->displen > 0) {
		PUT_LIT(b, ",\"display\":");
		put_json_str(b, rm->disp, rm->displen);
	}
	if (rm->plain != NULL) {
		if (rm->nplain > 0)
			put_plain_index(b, rm);
		return;
	}
	if (rm->nitems <= 0)
		return;
	PUT_LIT(b, ",\"index\":{");
	for (i = 0; i < rm->nitems; i++) {
		it = &rm->items[i];
		if (i > 0)
			b->p[b->len++] = ',';
		put_json_str(b, it->name, strlen(it->name));
		b->p[b->len++] = ':';
		if (it->numeric)
			put_u64(b, it->num);
		else if (!it->is_string || render_is_text((const uint8_t *)
		    it->text, it->len))
			put_json_str(b, it->text, it->len);
		else {
			PUT_LIT(b, "\"0x");
			put_hex(b, (const uint8_t *)it->text, it->len);
			b->p[b->len++] = '"';
		}
	}
	b->p[b->len++] = '}';
}

/*
 * ,"value":... or ,"hex":... of v: OID values through c (decoded) or,
 * when bc is not NULL, straight from their checked content octets
 * through bc.  Needs 128 + 2 * SNMPMGR_MAX_OID_STR + 6 * v->len of room.
 */
static void
put_value(struct render_buf *b, const struct snmp_value *v,
    struct render_oidcache *c, struct render_bercache *bc)
{
	struct oid	 o;

	switch (v->type) {
	case SNMP_T_INTEGER:
		PUT_LIT(b, ",\"value\":");
		put_i64(b, v->i);
		break;
	case SNMP_T_COUNTER32:
	case SNMP_T_GAUGE32:
	case SNMP_T_TIMETICKS:
	case SNMP_T_UINTEGER32:
		PUT_LIT(b, ",\"value\":");
		put_u64(b, v->u);
		break;
	case SNMP_T_COUNTER64:
		PUT_LIT(b, ",\"value\":\"");
		put_u64(b, v->u);
		b->p[b->len++] = '"';
		break;
	case SNMP_T_OCTETS:
		if (render_is_text(v->data, v->len)) {
			PUT_LIT(b, ",\"value\":");
			put_json_str(b, (const char *)v->data, v->len);
			break;
		}
		goto hex;
	case SNMP_T_IPADDR:
		if (v->len != 4)
			goto hex;
		PUT_LIT(b, ",\"value\":\"");
		put_u64(b, v->data[0]);
		b->p[b->len++] = '.';
		put_u64(b, v->data[1]);
		b->p[b->len++] = '.';
		put_u64(b, v->data[2]);
		b->p[b->len++] = '.';
		put_u64(b, v->data[3]);
		b->p[b->len++] = '"';
		break;
	case SNMP_T_OID:
		if (bc != NULL) {
			/* Checked by the raw decoder. */
			PUT_LIT(b, ",\"value\":\"");
			put_oid_ber(b, bc, v->data, v->len);
			b->p[b->len++] = '"';
			break;
		}
		if (oid_from_ber(&o, v->data, v->len) == -1)
			goto hex;
		PUT_LIT(b, ",\"value\":\"");
		put_oid_cached(b, c, &o);
		b->p[b->len++] = '"';
		break;
	case SNMP_T_NULL:
	case SNMP_T_NOSUCHOBJECT:
	case SNMP_T_NOSUCHINSTANCE:
	case SNMP_T_ENDOFMIBVIEW:
		break;
	case SNMP_T_OPAQUE:
	case SNMP_T_NSAP:
	default:
 hex:
		PUT_LIT(b, ",\"hex\":\"");
		put_hex(b, v->data, v->len);
		b->p[b->len++] = '"';
		break;
	}
}

/*
 * The room one varbind needs, name text and extra added to the worst
 * case of its value (an OID value twice, 6 bytes per octet of text);
 * 0 with b failed when that does not fit a size_t.
 */
static size_t
vb_room(struct render_buf *b, const struct snmp_value *v, size_t extra)
{
	if (v->len > (SIZE_MAX - 1024 - extra) / 6 - 2 * SNMPMGR_MAX_OID_STR) {
		b->failed = true;
		return 0;
	}
	return 128 + 2 * SNMPMGR_MAX_OID_STR + 6 * v->len + extra;
}

/* ,"type":"T" of v; whether T is a tag this build does not know. */
static bool
put_vb_type(struct render_buf *b, const struct snmp_value *v)
{
	struct render_type	 tn;

	PUT_LIT(b, ",\"type\":\"");
	tn = render_type_name(v->type);
	put_mem(b, tn.name, tn.len);
	b->p[b->len++] = '"';
	return tn.unknown;
}

/* After a varbind's type: its value, rm's extras (NULL: none), an
 * unknown tag's number, the closing brace. */
static void
put_vb_value(struct render_buf *b, const struct snmp_value *v,
    struct render_oidcache *c, struct render_bercache *bc,
    const struct render_mib *rm, bool unknown)
{
	put_value(b, v, c, bc);
	if (rm != NULL)
		put_mib_extras(b, rm);
	if (unknown) {
		/* A tag this build does not know: say which one it was. */
		PUT_LIT(b, ",\"tag\":");
		put_u64(b, v->type);
	}
	b->p[b->len++] = '}';
}

/* After a varbind's "oid" (and name): its type, value, rm's extras
 * (NULL: none), an unknown tag's number, the closing brace. */
static void
put_vb_rest(struct render_buf *b, const struct snmp_value *v,
    struct render_oidcache *c, struct render_bercache *bc,
    const struct render_mib *rm)
{
	put_vb_value(b, v, c, bc, rm, put_vb_type(b, v));
}

/* The head slot for OID o (2 to RENDER_OIDCACHE_ARCS arcs) and type t:
 * the length, the last arcs and the type tell most apart. */
static inline uint32_t
head_slot(const struct oid *o, uint8_t t)
{
	uint32_t	 h, n = o->len;

	h = n * 0x9e3779b1U ^ o->arcs[n - 1] * 0x85ebca6bU ^
	    o->arcs[n - 2] * 0xc2b2ae35U ^ o->arcs[n / 2] ^
	    t * 0x27d4eb2fU;
	return (h ^ h >> 15) % RENDER_OIDCACHE_SLOTS;
}

/*
 * A varbind without MIB names through c's heads: the head (`{"oid":..,
 * "type":..`) copied when c has it, else written and kept (a known type
 * only), then the value.  Needs vb_room()'s room.
 */
static void
put_object_cached(struct render_buf *b, struct render_oidcache *c,
    const struct oid *name, const struct snmp_value *v)
{
	uint32_t	 h, n = name->len;
	size_t		 at;
	bool		 unknown;

	if (n < 2 || n > RENDER_OIDCACHE_ARCS) {
		PUT_LIT(b, "{\"oid\":\"");
		put_oid_arcs(b, name);
		b->p[b->len++] = '"';
		put_vb_rest(b, v, c, NULL, NULL);
		return;
	}
	h = head_slot(name, v->type);
	if (c->head[h].len == n && c->head[h].type == v->type &&
	    memcmp(c->head[h].arcs, name->arcs, n * sizeof(name->arcs[0])) ==
	    0) {
		memcpy(b->p + b->len, c->head[h].text, c->head[h].textlen);
		b->len += c->head[h].textlen;
		put_vb_value(b, v, c, NULL, NULL, false);
		return;
	}
	at = b->len;
	PUT_LIT(b, "{\"oid\":\"");
	put_oid_cached(b, c, name);
	b->p[b->len++] = '"';
	unknown = put_vb_type(b, v);
	if (!unknown && b->len - at <= sizeof(c->head[h].text)) {
		c->head[h].len = n;
		c->head[h].type = v->type;
		c->head[h].textlen = (uint32_t)(b->len - at);
		memcpy(c->head[h].arcs, name->arcs, n *
		    sizeof(name->arcs[0]));
		memcpy(c->head[h].text, b->p + at, b->len - at);
	}
	put_vb_value(b, v, c, NULL, NULL, unknown);
}

void
render_object(struct render_buf *b, struct render_oidcache *c,
    const struct oid *name, const struct snmp_value *v)
{
	struct render_mib	 rm;
	size_t			 room;
	bool			 named;

	named = render_mib_lookup(name, v, &rm);
	if ((room = vb_room(b, v, named ? rm.room : 0)) == 0 ||
	    render_reserve(b, room) == -1)
		return;
	if (c != NULL && !named) {
		put_object_cached(b, c, name, v);
		return;
	}
	PUT_LIT(b, "{\"oid\":\"");
	put_oid_cached(b, c, name);
	b->p[b->len++] = '"';
	if (named)
		put_mib_name(b, &rm);
	put_vb_rest(b, v, c, NULL, named ? &rm : NULL);
}

void
render_words_cached(struct render_buf *b, struct render_oidcache *c,
    const struct oid *names, const uint64_t *words, const uint8_t *types,
    size_t n)
{
	struct snmp_value	 v;
	const struct oid	*o;
	uint32_t		 h;
	size_t			 i;

	memset(&v, 0, sizeof(v));
	render_add(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			render_add(b, ",", 1);
		o = &names[i];
		v.type = types[i];
		v.u = words[i];
		h = o->len >= 2 && o->len <= RENDER_OIDCACHE_ARCS ?
		    head_slot(o, v.type) : 0;
		/* Room for the head and a value without bytes (32 octets at
		 * most); a head c does not have is written in full (and
		 * kept). */
		if (o->len < 2 || o->len > RENDER_OIDCACHE_ARCS ||
		    c->head[h].len != o->len || c->head[h].type != v.type ||
		    memcmp(c->head[h].arcs, o->arcs, o->len *
		    sizeof(o->arcs[0])) != 0 ||
		    render_reserve(b, RENDER_HEAD_TEXT + 64) == -1) {
			render_object(b, c, o, &v);
			continue;
		}
		memcpy(b->p + b->len, c->head[h].text, c->head[h].textlen);
		b->len += c->head[h].textlen;
		put_value(b, &v, c, NULL);
		b->p[b->len++] = '}';
	}
	render_add(b, "]", 1);
}

static void
render_varbind_c(struct render_buf *b, struct render_oidcache *c,
    const struct snmp_varbind *vb)
{
	render_object(b, c, &vb->name, &vb->value);
}

void
render_hex_str(struct render_buf *b, const uint8_t *p, size_t n)
{
	if (n > (SIZE_MAX - 8) / 2 || render_reserve(b, 2 * n + 8) == -1)
		return;
	PUT_LIT(b, "\"0x");
	put_hex(b, p, n);
	b->p[b->len++] = '"';
}

void
render_varbind(struct render_buf *b, const struct snmp_varbind *vb)
{
	render_varbind_c(b, NULL, vb);
}

void
render_varbinds(struct render_buf *b, const struct snmp_varbind *vb, size_t n)
{
	render_varbinds_cached(b, NULL, vb, n);
}

void
render_varbinds_cached(struct render_buf *b, struct render_oidcache *c,
    const struct snmp_varbind *vb, size_t n)
{
	size_t	 i;

	render_add(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			render_add(b, ",", 1);
		render_varbind_c(b, c, &vb[i]);
	}
	render_add(b, "]", 1);
}

bool
render_names_on(void)
{
	return mib_current() != NULL;
}

void
render_oid_ber(struct render_buf *b, struct render_bercache *c,
    const uint8_t *p, size_t n)
{
	if (n > (SIZE_MAX - 16) / 4 || render_reserve(b, OID_BER_STR(n) +
	    2) == -1)
		return;
	b->p[b->len++] = '"';
	put_oid_ber(b, c, p, n);
	b->p[b->len++] = '"';
}

void
render_varbinds_raw(struct render_buf *b, struct render_bercache *c,
    const struct snmp_vbraw *vb, size_t n)
{
	size_t	 i, room;

	render_add(b, "[", 1);
	for (i = 0; i < n; i++) {
		/* The name's text at most OID_BER_STR, as a decoded one's. */
		if (vb[i].namelen > SNMPMGR_MAX_OID_STR) {
			b->failed = true;
			return;
		}
		if ((room = vb_room(b, &vb[i].value,
		    OID_BER_STR(vb[i].namelen) + 12)) == 0 ||
		    render_reserve(b, room) == -1)
			return;
		if (i > 0)
			b->p[b->len++] = ',';
		PUT_LIT(b, "{\"oid\":\"");
		put_oid_ber(b, c, vb[i].name, vb[i].namelen);
		b->p[b->len++] = '"';
		put_vb_rest(b, &vb[i].value, NULL, c, NULL);
	}
	render_add(b, "]", 1);
}

void
render_time_utc(const struct timespec *ts, char *buf)
{
	/* The date part changes once a second: keep the last one. */
	static __thread time_t	 last = (time_t)-1;
	static __thread char	 head[24];
	struct tm		 tm;
	long			 us;
	int			 i;

	if (ts->tv_sec != last) {
		gmtime_r(&ts->tv_sec, &tm);
		if (strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S.",
		    &tm) != 20)
			memcpy(head, "0000-00-00T00:00:00.", 20);
		last = ts->tv_sec;
	}
	memcpy(buf, head, 20);
	us = ts->tv_nsec / 1000;
	for (i = 25; i >= 20; i--) {
		buf[i] = (char)('0' + us % 10);
		us /= 10;
	}
	buf[26] = 'Z';
	buf[27] = '\0';
}
