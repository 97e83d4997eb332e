/*
 * ber.c - the bounded BER reader and backwards writer of ber.h.
 *
 * Only what SNMP needs of X.690: one-octet tags, definite lengths, INTEGER,
 * OCTET STRING, NULL, OBJECT IDENTIFIER and constructed elements.  The
 * reader trusts nothing it reads; the writer trusts its caller.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ber.h"
#include "errors.h"
#include "oid.h"

#define BER_OFF(b, q)	((size_t)((q) - (b)->base))

void
ber_init(struct ber *b, const uint8_t *buf, size_t len)
{
	b->p = buf;
	b->end = buf + len;
	b->base = buf;
	b->depth = 0;
}

size_t
ber_left(const struct ber *b)
{
	return (size_t)(b->end - b->p);
}

bool
ber_at_end(const struct ber *b)
{
	return b->p >= b->end;
}

size_t
ber_offset(const struct ber *b)
{
	return BER_OFF(b, b->p);
}

int
ber_peek_tag(const struct ber *b, uint8_t *tag)
{
	if (b->p >= b->end)
		return -1;
	*tag = b->p[0];
	return 0;
}

/* X.690 8.1.2 (identifier), 8.1.3 (length, definite form only). */
int
ber_read_tlv(struct ber *b, struct ber_tlv *t)
{
	const uint8_t	*p = b->p, *end = b->end;
	size_t		 len, n, i;

	if (p >= end) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: element expected, message ends",
		    BER_OFF(b, p));
		return -1;
	}
	t->start = p;
	t->tag = *p++;
	if ((t->tag & BER_TAG_MULTI) == BER_TAG_MULTI) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: multi-octet tag 0x%02x not supported",
		    BER_OFF(b, t->start), t->tag);
		return -1;
	}
	if (p >= end) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: length missing after tag 0x%02x",
		    BER_OFF(b, p), t->tag);
		return -1;
	}
	len = *p++;
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0) {
			/* X.690 8.1.3.6: indefinite form. */
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "offset %zu: indefinite length not allowed",
			    BER_OFF(b, p - 1));
			return -1;
		}
		if (n > SNMPMGR_MAX_BER_LEN_OCTETS) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "offset %zu: length field of %zu octets too long",
			    BER_OFF(b, p - 1), n);
			return -1;
		}
		if ((size_t)(end - p) < n) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
			    "offset %zu: length field truncated",
			    BER_OFF(b, p - 1));
			return -1;
		}
		len = 0;
		for (i = 0; i < n; i++)
			len = (len << 8) | *p++;
	}
	if (len > (size_t)(end - p)) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: length %zu past end of message (%zu left)",
		    BER_OFF(b, t->start), len, (size_t)(end - p));
		return -1;
	}
	t->data = p;
	t->len = len;
	b->p = p + len;
	return 0;
}

int
ber_read_tag(struct ber *b, uint8_t tag, struct ber_tlv *t)
{
	const uint8_t	*save = b->p;

	if (ber_read_tlv(b, t) == -1)
		return -1;
	if (t->tag != tag) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: tag 0x%02x where 0x%02x expected",
		    BER_OFF(b, t->start), t->tag, tag);
		b->p = save;
		return -1;
	}
	return 0;
}

int
ber_skip(struct ber *b)
{
	struct ber_tlv	 t;

	return ber_read_tlv(b, &t);
}

int
ber_enter_tlv(const struct ber *b, const struct ber_tlv *t, struct ber *sub)
{
	if (b->depth >= SNMPMGR_MAX_BER_DEPTH) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: nesting deeper than %d",
		    BER_OFF(b, t->start), SNMPMGR_MAX_BER_DEPTH);
		return -1;
	}
	if ((t->tag & BER_CONSTRUCTED) == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: tag 0x%02x is not constructed",
		    BER_OFF(b, t->start), t->tag);
		return -1;
	}
	sub->p = t->data;
	sub->end = t->data + t->len;
	sub->base = b->base;
	sub->depth = b->depth + 1;
	return 0;
}

int
ber_enter(struct ber *b, uint8_t tag, struct ber *sub)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	return ber_enter_tlv(b, &t, sub);
}

int
ber_expect_end(const struct ber *sub, const char *what)
{
	if (sub->p < sub->end) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: %zu trailing octets in %s",
		    BER_OFF(sub, sub->p), (size_t)(sub->end - sub->p), what);
		return -1;
	}
	return 0;
}

/*
 * X.690 8.3: at least one content octet, and no more than any value we
 * take can need.  X.690 8.3.2 also wants the shortest form (the first nine
 * bits never all zeros or all ones), but agents send redundant leading
 * octets and Net-SNMP reads them, so they are skipped instead: *p and *n
 * are moved past them.  Two's complement: a 0x00 before a clear top bit,
 * a 0xff before a set one.  Unsigned: every leading 0x00.
 */
static int
ber_int_trim(const uint8_t **p, size_t *n, bool is_unsigned)
{
	const uint8_t	*q = *p;
	size_t		 m = *n;

	if (m == 0) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "empty INTEGER");
		return -1;
	}
	if (m > SNMPMGR_MAX_BER_INT_OCTETS) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "INTEGER of %zu octets too large", m);
		return -1;
	}
	if (is_unsigned)
		while (m > 1 && q[0] == 0x00) {
			q++;
			m--;
		}
	else
		while (m > 1 && ((q[0] == 0x00 && (q[1] & 0x80) == 0) ||
		    (q[0] == 0xff && (q[1] & 0x80) != 0))) {
			q++;
			m--;
		}
	*p = q;
	*n = m;
	return 0;
}

int
ber_decode_int(const uint8_t *p, size_t n, int64_t *v)
{
	uint64_t	 x;
	size_t		 i;

	if (ber_int_trim(&p, &n, false) == -1)
		return -1;
	if (n > 8) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "INTEGER does not fit 64 bits");
		return -1;
	}
	x = (p[0] & 0x80) ? UINT64_MAX : 0;
	for (i = 0; i < n; i++)
		x = (x << 8) | p[i];
	*v = (int64_t)x;
	return 0;
}

int
ber_decode_uint(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t	 x = 0;
	size_t		 i;

	if (ber_int_trim(&p, &n, true) == -1)
		return -1;
	if (n > 8) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "unsigned value does not fit 64 bits");
		return -1;
	}
	/* A set top bit is not a sign here (see ber.h). */
	for (i = 0; i < n; i++)
		x = (x << 8) | p[i];
	*v = x;
	return 0;
}

int
ber_decode_uint32(const uint8_t *p, size_t n, uint32_t *v)
{
	uint64_t	 u;
	int64_t		 i;

	if (n > 0 && (p[0] & 0x80)) {
		/* Negative: taken modulo 2^32, as Net-SNMP does. */
		if (ber_decode_int(p, n, &i) == -1)
			return -1;
		if (i < INT32_MIN) {
			snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE, "negative "
			    "unsigned value %lld does not fit 32 bits",
			    (long long)i);
			return -1;
		}
		*v = (uint32_t)i;
		return 0;
	}
	if (ber_decode_uint(p, n, &u) == -1)
		return -1;
	if (u > UINT32_MAX) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "value %llu outside unsigned 32-bit range",
		    (unsigned long long)u);
		return -1;
	}
	*v = (uint32_t)u;
	return 0;
}

/* Prefix the offset of t to the detail of a content decoding error. */
static int
ber_content_err(const struct ber *b, const struct ber_tlv *t)
{
	char	 detail[200];

	snprintf(detail, sizeof(detail), "%s", snmpmgr_lasterr_detail());
	snmpmgr_seterr(snmpmgr_lasterr(), "offset %zu: %s",
	    BER_OFF(b, t->start), detail);
	return -1;
}

int
ber_read_int64(struct ber *b, uint8_t tag, int64_t *v)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	if (ber_decode_int(t.data, t.len, v) == -1)
		return ber_content_err(b, &t);
	return 0;
}

int
ber_read_int32(struct ber *b, uint8_t tag, int32_t *v)
{
	struct ber_tlv	 t;
	int64_t		 x;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	if (ber_decode_int(t.data, t.len, &x) == -1)
		return ber_content_err(b, &t);
	if (x < INT32_MIN || x > INT32_MAX) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: INTEGER %lld outside 32-bit range",
		    BER_OFF(b, t.start), (long long)x);
		return -1;
	}
	*v = (int32_t)x;
	return 0;
}

int
ber_read_uint64(struct ber *b, uint8_t tag, uint64_t *v)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	if (ber_decode_uint(t.data, t.len, v) == -1)
		return ber_content_err(b, &t);
	return 0;
}

int
ber_read_uint32(struct ber *b, uint8_t tag, uint32_t *v)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	if (ber_decode_uint32(t.data, t.len, v) == -1)
		return ber_content_err(b, &t);
	return 0;
}

int
ber_read_octets(struct ber *b, uint8_t tag, const uint8_t **p, size_t *n)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	*p = t.data;
	*n = t.len;
	return 0;
}

int
ber_read_null(struct ber *b, uint8_t tag)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, tag, &t) == -1)
		return -1;
	if (t.len != 0) {
		snmpmgr_seterr(SNMPMGR_ERR_DEFECTIVE,
		    "offset %zu: tag 0x%02x with %zu content octets, 0 expected",
		    BER_OFF(b, t.start), tag, t.len);
		return -1;
	}
	return 0;
}

int
ber_read_oid(struct ber *b, struct oid *o)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, BER_TAG_OID, &t) == -1)
		return -1;
	if (oid_from_ber(o, t.data, t.len) == -1)
		return ber_content_err(b, &t);
	return 0;
}

int
ber_read_oid_raw(struct ber *b, const uint8_t **p, size_t *n)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, BER_TAG_OID, &t) == -1)
		return -1;
	if (oid_ber_check(t.data, t.len) == -1)
		return ber_content_err(b, &t);
	*p = t.data;
	*n = t.len;
	return 0;
}

int
ber_read_oid_asked(struct ber *b, const uint8_t *ap, size_t an,
    const uint8_t **p, size_t *n, bool *same)
{
	struct ber_tlv	 t;

	if (ber_read_tag(b, BER_TAG_OID, &t) == -1)
		return -1;
	*same = ap != NULL && t.len == an && memcmp(t.data, ap, an) == 0;
	if (!*same && oid_ber_check(t.data, t.len) == -1)
		return ber_content_err(b, &t);
	*p = t.data;
	*n = t.len;
	return 0;
}

/* Writer. */

void
ber_wr_init(struct ber_wr *w, uint8_t *buf, size_t size)
{
	w->buf = buf;
	w->end = buf + size;
	w->p = w->end;
}

size_t
ber_wr_len(const struct ber_wr *w)
{
	return (size_t)(w->end - w->p);
}

uint8_t *
ber_wr_data(const struct ber_wr *w)
{
	return w->p;
}

static int
ber_wr_room(struct ber_wr *w, size_t n)
{
	if ((size_t)(w->p - w->buf) < n) {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "encoding needs more than %zu octets",
		    (size_t)(w->end - w->buf));
		return -1;
	}
	return 0;
}

int
ber_wr_raw(struct ber_wr *w, const void *p, size_t n)
{
	if (ber_wr_room(w, n) == -1)
		return -1;
	w->p -= n;
	if (n > 0)
		memcpy(w->p, p, n);
	return 0;
}

/* X.690 8.1.3.4-5: short form below 128, else the fewest length octets. */
int
ber_wr_hdr(struct ber_wr *w, uint8_t tag, size_t len)
{
	uint8_t	*q;
	size_t	 n, l;

	if (len < 0x80)
		n = 1;
	else if (len <= 0xff)
		n = 2;
	else if (len <= 0xffff)
		n = 3;
	else if (len <= 0xffffff)
		n = 4;
	else if (len <= 0xffffffffUL)
		n = 5;
	else {
		snmpmgr_seterr(SNMPMGR_ERR_MSG_TOO_LONG,
		    "element of %zu octets too long", len);
		return -1;
	}
	if (ber_wr_room(w, n + 1) == -1)
		return -1;
	w->p -= n + 1;
	q = w->p;
	q[0] = tag;
	if (n == 1) {
		q[1] = (uint8_t)len;
		return 0;
	}
	q[1] = 0x80 | (uint8_t)(n - 1);
	for (l = len; n > 1; n--, l >>= 8)
		q[n] = (uint8_t)(l & 0xff);
	return 0;
}

int
ber_wr_close(struct ber_wr *w, uint8_t tag, size_t mark)
{
	return ber_wr_hdr(w, tag, ber_wr_len(w) - mark);
}

/* Prepend the content octets of u, plus a 0x00 octet if top is set. */
static int
ber_wr_uint_content(struct ber_wr *w, uint64_t u, size_t n)
{
	uint8_t	*q;

	if (ber_wr_room(w, n) == -1)
		return -1;
	w->p -= n;
	q = w->p + n;
	while (q > w->p) {
		*--q = (uint8_t)(u & 0xff);
		u >>= 8;
	}
	return 0;
}

/* X.690 8.3: the fewest octets holding v in two's complement. */
int
ber_wr_int(struct ber_wr *w, uint8_t tag, int64_t v)
{
	uint64_t	 u = (uint64_t)v;
	size_t		 n = 1;

	while (n < 8) {
		int64_t lo = -((int64_t)1 << (8 * n - 1));
		int64_t hi = ((int64_t)1 << (8 * n - 1)) - 1;

		if (v >= lo && v <= hi)
			break;
		n++;
	}
	if (ber_wr_uint_content(w, u, n) == -1)
		return -1;
	return ber_wr_hdr(w, tag, n);
}

int
ber_wr_uint(struct ber_wr *w, uint8_t tag, uint64_t v)
{
	size_t	 n;

	/* The fewest octets leaving the top bit clear: 9 for v >= 2^63. */
	for (n = 1; n < 9; n++)
		if ((v >> (8 * n - 1)) == 0)
			break;
	if (ber_wr_uint_content(w, v, n) == -1)
		return -1;
	return ber_wr_hdr(w, tag, n);
}

int
ber_wr_octets(struct ber_wr *w, uint8_t tag, const void *p, size_t n,
    uint8_t **content)
{
	if (p != NULL) {
		if (ber_wr_raw(w, p, n) == -1)
			return -1;
	} else {
		if (ber_wr_room(w, n) == -1)
			return -1;
		w->p -= n;
		memset(w->p, 0, n);
	}
	if (content != NULL)
		*content = w->p;
	return ber_wr_hdr(w, tag, n);
}

int
ber_wr_null(struct ber_wr *w, uint8_t tag)
{
	return ber_wr_hdr(w, tag, 0);
}

int
ber_wr_oid(struct ber_wr *w, const struct oid *o)
{
	uint8_t	 tmp[SNMPMGR_MAX_OID_LEN * 5];
	ssize_t	 n;

	if ((n = oid_to_ber(o, tmp, sizeof(tmp))) == -1)
		return -1;
	return ber_wr_octets(w, BER_TAG_OID, tmp, (size_t)n, NULL);
}
