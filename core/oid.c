/*
 * oid.c - OBJECT IDENTIFIER values: dotted text in and out, ordering, and
 * the BER content octets of X.690 8.19.
 *
 * oid_from_ber() and oid_format() run once per varbind of every walk, so
 * they avoid stdio and do one pass over their input.
 */
#include <stdint.h>
#include <string.h>

#include "errors.h"
#include "oid.h"

/* Two decimal digits per entry, "00" to "99". */
static const char oid_digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

static int
oid_parse_err(const char *s, size_t n, size_t i, const char *why)
{
	unsigned char	 c;

	if (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
			    "OID text: %s at '%c' (offset %zu)", why, c, i);
		else
			snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
			    "OID text: %s at byte 0x%02x (offset %zu)", why, c,
			    i);
	} else
		snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
		    "OID text: %s at end (offset %zu)", why, i);
	return -1;
}

int
oid_parse(struct oid *o, const char *s, size_t n)
{
	size_t		 i = 0;
	uint64_t	 v;
	uint32_t	 len = 0;

	if (n > 0 && s[0] == '.')
		i = 1;
	for (;;) {
		if (i >= n || s[i] < '0' || s[i] > '9')
			return oid_parse_err(s, n, i, "digit expected");
		v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (v > UINT32_MAX)
				return oid_parse_err(s, n, i,
				    "arc larger than 4294967295");
			i++;
		}
		if (len >= SNMPMGR_MAX_OID_LEN)
			return oid_parse_err(s, n, i, "more than 128 arcs");
		o->arcs[len++] = (uint32_t)v;
		if (i == n)
			break;
		if (s[i] != '.')
			return oid_parse_err(s, n, i, "unexpected character");
		i++;
	}
	o->len = len;
	/* X.690 8.19.4: the first two arcs share one sub-identifier. */
	if (len < 2) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
		    "OID text: fewer than two arcs");
		return -1;
	}
	if (o->arcs[0] > 2) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
		    "OID text: first arc %u is not 0, 1 or 2", o->arcs[0]);
		return -1;
	}
	if (o->arcs[0] < 2 && o->arcs[1] > 39) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
		    "OID text: second arc %u above 39 under %u", o->arcs[1],
		    o->arcs[0]);
		return -1;
	}
	return 0;
}

int
oid_parse_str(struct oid *o, const char *s)
{
	return oid_parse(o, s, strlen(s));
}

/* Decimal digits of v. */
static inline size_t
oid_ndigits(uint32_t v)
{
	if (v < 10)
		return 1;
	if (v < 100)
		return 2;
	if (v < 1000)
		return 3;
	if (v < 10000)
		return 4;
	if (v < 100000)
		return 5;
	if (v < 1000000)
		return 6;
	if (v < 10000000)
		return 7;
	if (v < 100000000)
		return 8;
	if (v < 1000000000)
		return 9;
	return 10;
}

/* Write v in decimal at p; returns the octet after it. */
static inline char *
oid_put_u32(char *p, uint32_t v)
{
	size_t	 n = oid_ndigits(v);
	char	*q = p + n;
	uint32_t r;

	while (v >= 100) {
		r = (v % 100) * 2;
		v /= 100;
		*--q = oid_digits2[r + 1];
		*--q = oid_digits2[r];
	}
	if (v >= 10) {
		*--q = oid_digits2[v * 2 + 1];
		*--q = oid_digits2[v * 2];
	} else
		*--q = (char)('0' + v);
	return p + n;
}

/* Arc v and a dot at p; returns the octet after them. */
static inline char *
oid_put_arc(char *p, uint32_t v)
{
	/* Most arcs are small: one or two digits without dividing. */
	if (v < 10)
		*p++ = (char)('0' + v);
	else if (v < 100) {
		p[0] = oid_digits2[v * 2];
		p[1] = oid_digits2[v * 2 + 1];
		p += 2;
	} else
		p = oid_put_u32(p, v);
	*p++ = '.';
	return p;
}

/* Dotted text into p, which has room for len * 11 + 1 octets. */
static size_t
oid_format_fast(const struct oid *o, uint32_t len, char *p)
{
	char		*start = p;
	uint32_t	 i;

	for (i = 0; i < len; i++)
		p = oid_put_arc(p, o->arcs[i]);
	if (p > start)
		p--;
	*p = '\0';
	return (size_t)(p - start);
}

size_t
oid_format(const struct oid *o, char *buf, size_t size)
{
	char		 tmp[SNMPMGR_MAX_OID_STR];
	uint32_t	 len = o->len;
	size_t		 n;

	if (len > SNMPMGR_MAX_OID_LEN)
		len = SNMPMGR_MAX_OID_LEN;
	if (size >= (size_t)len * 11 + 1)
		return oid_format_fast(o, len, buf);
	n = oid_format_fast(o, len, tmp);
	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(buf, tmp, c);
		buf[c] = '\0';
	}
	return n;
}

int
oid_cmp(const struct oid *a, const struct oid *b)
{
	uint32_t	 n = a->len < b->len ? a->len : b->len;
	uint32_t	 i;

	for (i = 0; i < n; i++) {
		if (a->arcs[i] != b->arcs[i])
			return a->arcs[i] < b->arcs[i] ? -1 : 1;
	}
	if (a->len == b->len)
		return 0;
	return a->len < b->len ? -1 : 1;
}

bool
oid_eq(const struct oid *a, const struct oid *b)
{
	return a->len == b->len &&
	    memcmp(a->arcs, b->arcs, a->len * sizeof(a->arcs[0])) == 0;
}

bool
oid_is_prefix(const struct oid *prefix, const struct oid *o)
{
	uint32_t	 i;

	if (prefix->len > o->len)
		return false;
	for (i = 0; i < prefix->len; i++)
		if (prefix->arcs[i] != o->arcs[i])
			return false;
	return true;
}

/* Why sub-identifier idx cannot be decoded (kept out of the hot loop). */
static int
oid_subid_err(int why, uint32_t idx)
{
	if (why == 0)
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "OBJECT IDENTIFIER "
		    "sub-identifier %u has a leading 0x80 octet", idx);
	else if (why == 1)
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "OBJECT IDENTIFIER ends inside a sub-identifier");
	else
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "OBJECT IDENTIFIER arc does not fit 32 bits");
	return -1;
}

/*
 * One sub-identifier at *pp (X.690 8.19.2: base 128, the high bit set on
 * every octet but the last); idx numbers it for messages.  0 or -1.
 */
static inline int
oid_subid(const uint8_t **pp, const uint8_t *end, uint32_t idx,
    uint32_t *out)
{
	const uint8_t	*p = *pp;
	uint8_t		 c = *p++;
	uint32_t	 v = c & 0x7f;

	if (c & 0x80) {
		if (c == 0x80)
			return oid_subid_err(0, idx);
		do {
			if (p == end)
				return oid_subid_err(1, idx);
			if (v > (UINT32_MAX >> 7))
				return oid_subid_err(2, idx);
			c = *p++;
			v = (v << 7) | (c & 0x7f);
		} while (c & 0x80);
	}
	*pp = p;
	*out = v;
	return 0;
}

/*
 * X.690 8.19: content octets to arcs, into arcs when not NULL (else only
 * checked), their number in *lenp.  Walks decode every name here.
 */
static inline int
oid_ber_walk(uint32_t *arcs, const uint8_t *p, size_t n, uint32_t *lenp)
{
	const uint8_t	*end = p + n;
	uint32_t	 len, v;

	if (n == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "empty OBJECT IDENTIFIER");
		return -1;
	}
	if (oid_subid(&p, end, 1, &v) == -1)
		return -1;
	/* X.690 8.19.4: the first sub-identifier is (X * 40) + Y. */
	if (arcs != NULL) {
		arcs[0] = v < 40 ? 0 : v < 80 ? 1 : 2;
		arcs[1] = v - 40 * arcs[0];
	}
	len = 2;
	while (p < end) {
		if (len == SNMPMGR_MAX_OID_LEN) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "OBJECT IDENTIFIER longer than %d arcs",
			    SNMPMGR_MAX_OID_LEN);
			return -1;
		}
		if (oid_subid(&p, end, len + 1, &v) == -1)
			return -1;
		if (arcs != NULL)
			arcs[len] = v;
		len++;
	}
	*lenp = len;
	return 0;
}

int
oid_from_ber(struct oid *o, const uint8_t *p, size_t n)
{
	return oid_ber_walk(o->arcs, p, n, &o->len);
}

int
oid_ber_check(const uint8_t *p, size_t n)
{
	uint32_t	 len;

	return oid_ber_walk(NULL, p, n, &len);
}

size_t
oid_format_ber(const uint8_t *p, size_t n, char *buf)
{
	const uint8_t	*end = p + n;
	char		*q = buf;
	uint32_t	 v;
	bool		 first = true;

	while (p < end) {
		v = *p & 0x7f;
		while ((*p++ & 0x80) && p < end)
			v = (v << 7) | (*p & 0x7f);
		if (first) {
			/* X.690 8.19.4, as oid_from_ber splits it. */
			*q++ = (char)('0' + (v < 40 ? 0 : v < 80 ? 1 : 2));
			*q++ = '.';
			v -= v < 40 ? 0 : v < 80 ? 40 : 80;
			first = false;
		}
		q = oid_put_arc(q, v);
	}
	if (q > buf)
		q--;
	*q = '\0';
	return (size_t)(q - buf);
}

ssize_t
oid_to_ber(const struct oid *o, uint8_t *buf, size_t size)
{
	uint8_t		*q = buf;
	uint32_t	 i, v;
	int		 k, shift;

	if (o->len < 2 || o->len > SNMPMGR_MAX_OID_LEN || o->arcs[0] > 2 ||
	    (o->arcs[0] < 2 && o->arcs[1] > 39) ||
	    (o->arcs[0] == 2 && o->arcs[1] > UINT32_MAX - 80)) {
		snmpmgr_seterr(SNMPMGR_ERR_NO_SUCH_OID,
		    "OID of %u arcs cannot be encoded", o->len);
		return -1;
	}
	for (i = 1; i < o->len; i++) {
		v = i == 1 ? o->arcs[0] * 40 + o->arcs[1] : o->arcs[i];
		/* Sub-identifier octets: 1 for < 2^7 ... 5 for 2^28 and up. */
		for (k = 1; k < 5 && (v >> (7 * k)) != 0; k++)
			;
		if ((size_t)(buf + size - q) < (size_t)k) {
			snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
			    "OID encoding needs more than %zu octets", size);
			return -1;
		}
		for (shift = 7 * (k - 1); shift > 0; shift -= 7)
			*q++ = 0x80 | (uint8_t)((v >> shift) & 0x7f);
		*q++ = (uint8_t)(v & 0x7f);
	}
	return q - buf;
}
