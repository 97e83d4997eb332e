/*
 * mib_hint.c - what a loaded MIB says about a value or an instance:
 * enum labels, DISPLAY-HINT text (RFC 2579 3.1), table indexes decoded
 * by the row's INDEX clause (RFC 2578 7.7), and names printed the way
 * Net-SNMP's tools print them by default (mib.h).
 */
#include <config.h>		/* autoconf's */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "mib.h"
#include "mib_int.h"

const char *
mib_enum_label(const struct mib_node *n, int64_t v)
{
	size_t	 i;

	if (n == NULL || n->base != MIB_B_ENUM)
		return NULL;
	for (i = 0; i < n->nenums; i++)
		if (n->enums[i].value == v)
			return n->enums[i].label;
	return NULL;
}

/* ------------------------------------------------------------ indexes */

/* v in decimal at buf (room for 11 bytes), NUL-terminated; its length. */
static size_t
utoa(uint32_t v, char *buf)
{
	char	 tmp[10];
	size_t	 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

/* RFC 2578 7.7: how many arcs one INDEX object takes, and its item. */
static int
index_one(const struct mib_node *in, bool last_implied, const uint32_t *a,
    size_t n, struct mib_index_item *it)
{
	size_t		 take, i, off = 0, len;

	/* not memset: text is 256 bytes and this runs per varbind */
	it->name = in->label != NULL ? in->label : "?";
	it->numeric = it->is_string = false;
	it->num = 0;
	it->label = NULL;
	it->len = 0;
	it->text[0] = '\0';
	if (in->app_ip) {
		if (n < 4)
			return -1;
		for (i = 0; i < 4; i++)
			if (a[i] > 255)
				return -1;
		it->len = (size_t)snprintf(it->text, sizeof(it->text),
		    "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return 4;
	}
	switch (in->base) {
	case MIB_B_INTEGER32:
	case MIB_B_UNSIGNED32:
	case MIB_B_INTEGER64:
	case MIB_B_UNSIGNED64:
	case MIB_B_ENUM:
		if (n < 1)
			return -1;
		it->numeric = true;
		it->num = a[0];
		it->label = mib_enum_label(in, (int64_t)a[0]);
		it->len = utoa(a[0], it->text);
		return 1;
	case MIB_B_OCTETS:
	case MIB_B_BITS:
		if (last_implied)
			take = n;
		else if (in->size_min == in->size_max && in->size_max > 0)
			take = in->size_max;
		else {
			if (n < 1)
				return -1;
			take = a[0];
			off = 1;
		}
		if (take > n - off || take >= sizeof(it->text))
			return -1;
		for (i = 0; i < take; i++) {
			if (a[off + i] > 255)
				return -1;
			it->text[i] = (char)a[off + i];
		}
		it->text[take] = '\0';
		it->len = take;
		it->is_string = true;
		return (int)(off + take);
	case MIB_B_OID:
		if (last_implied)
			take = n;
		else {
			if (n < 1)
				return -1;
			take = a[0];
			off = 1;
		}
		if (take > n - off)
			return -1;
		len = 0;
		for (i = 0; i < take && len < sizeof(it->text); i++)
			len += (size_t)snprintf(it->text + len,
			    sizeof(it->text) - len, "%s%u", i ? "." : "",
			    a[off + i]);
		if (len >= sizeof(it->text))
			return -1;
		it->len = len;
		return (int)(off + take);
	default:
		return -1;
	}
}

/* The decoded items and how many arcs they took, or -1. */
static int
index_decode(const struct mib_node *n, const struct oid *o, size_t plen,
    struct mib_index_item *items, size_t max, size_t *used)
{
	const struct mib_node *row = mib_node_row(n);
	size_t		 i, at = plen;
	int		 k;

	*used = 0;
	if (row == NULL || row->nindex == 0 || !(n->kind & MIB_K_COLUMN) ||
	    row->nindex > max || plen > o->len)
		return -1;
	for (i = 0; i < row->nindex; i++) {
		k = index_one(row->index[i], row->implied &&
		    i + 1 == row->nindex, o->arcs + at, o->len - at,
		    &items[i]);
		if (k < 0)
			return -1;
		at += (size_t)k;
	}
	*used = at - plen;
	return (int)row->nindex;
}

int
mib_index_decode(const struct mib_node *n, const struct oid *o, size_t plen,
    struct mib_index_item *items, size_t max)
{
	size_t	 used;

	return index_decode(n, o, plen, items, max, &used);
}

/* ------------------------------------------------------------ names out */

/* n bytes of p at buf + *len when they fit in size (with a NUL). */
static bool
put(char *buf, size_t size, size_t *len, const char *p, size_t n)
{
	if (*len >= size || size - *len <= n) {
		*len = size;
		return false;
	}
	memcpy(buf + *len, p, n);
	*len += n;
	buf[*len] = '\0';
	return true;
}

size_t
mib_name_instance(const struct mib_node *n, const struct oid *o, size_t plen,
    struct mib_index_item *items, size_t max, int *nitems, char *buf,
    size_t size)
{
	size_t		 len = 0, used = 0, i, j, at;
	int		 ni;
	char		 q, num[12];
	const char	*t;

	*nitems = 0;
	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (!put(buf, size, &len, n->module, strlen(n->module)) ||
	    !put(buf, size, &len, "::", 2) ||
	    !put(buf, size, &len, n->label, strlen(n->label)))
		return len;
	if ((ni = index_decode(n, o, plen, items, max, &used)) < 0) {
		ni = 0;
		used = 0;
	}
	*nitems = ni;
	for (i = 0; i < (size_t)ni && len < size; i++) {
		if (!items[i].is_string) {
			/* An enumerated index shows its label, as in
			 * Net-SNMP's "nsLogType.debug". */
			t = items[i].label != NULL ? items[i].label :
			    items[i].text;
			if (!put(buf, size, &len, ".", 1) ||
			    !put(buf, size, &len, t, items[i].label != NULL ?
			    strlen(t) : items[i].len))
				return len;
			continue;
		}
		/* As Net-SNMP: quoted, IMPLIED in single quotes, bytes that
		 * do not print as '.', nothing escaped. */
		q = mib_node_row(n)->implied && i + 1 == (size_t)ni ? '\'' :
		    '"';
		if (size - len < items[i].len + 4) {
			len = size;
			break;
		}
		buf[len++] = '.';
		buf[len++] = q;
		for (j = 0; j < items[i].len; j++) {
			unsigned char c = (unsigned char)items[i].text[j];

			buf[len++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
		}
		buf[len++] = q;
		buf[len] = '\0';
	}
	for (at = plen + used; at < o->len && len < size; at++) {
		num[0] = '.';
		if (!put(buf, size, &len, num, 1 + utoa(o->arcs[at], num + 1)))
			break;
	}
	return len;
}

size_t
mib_format_name(const struct mib *m, const struct oid *o, char *buf,
    size_t size)
{
	struct mib_index_item items[SNMPMGR_MAX_OID_LEN / 2];
	const struct mib_node *n;
	size_t		 plen;
	int		 ni;

	if (size == 0 || (n = mib_lookup(m, o, &plen)) == NULL)
		return 0;
	return mib_name_instance(n, o, plen, items, sizeof(items) /
	    sizeof(items[0]), &ni, buf, size);
}

/* ------------------------------------------------------------ hints */

/* RFC 2579 3.1, an INTEGER hint: "d", "d-N", "x", "o", "b". */
static size_t
hint_int(const char *h, int64_t v, char *buf, size_t size)
{
	char		 digits[72];
	uint64_t	 u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t		 n = 0, dec, len;
	int		 i;

	switch (h[0]) {
	case 'd':
		if (h[1] == '\0')
			return (size_t)snprintf(buf, size, "%" PRId64, v);
		if (h[1] != '-' || h[2] < '0' || h[2] > '9')
			return 0;
		dec = (size_t)(h[2] - '0');
		if (h[3] >= '0' && h[3] <= '9')
			dec = dec * 10 + (size_t)(h[3] - '0');
		if (dec > 20)
			return 0;
		len = (size_t)snprintf(digits, sizeof(digits), "%0*" PRIu64,
		    (int)dec + 1, u);
		return (size_t)snprintf(buf, size, "%s%.*s.%s", v < 0 ? "-" :
		    "", (int)(len - dec), digits, digits + len - dec);
	case 'x':
		return (size_t)snprintf(buf, size, "%s%" PRIx64, v < 0 ? "-" :
		    "", u);
	case 'o':
		return (size_t)snprintf(buf, size, "%s%" PRIo64, v < 0 ? "-" :
		    "", u);
	case 'b':
		for (i = 63; i > 0 && !(u >> i & 1); i--)
			;
		for (; i >= 0; i--)
			digits[n++] = (char)('0' + (u >> i & 1));
		digits[n] = '\0';
		return (size_t)snprintf(buf, size, "%s%s", v < 0 ? "-" : "",
		    digits);
	default:
		return 0;
	}
}

struct hint_spec {
	bool		 star;
	size_t		 len;
	char		 fmt;
	char		 sep;		/* '\0': none */
	char		 term;
};

/* Parse one spec at *h; false at the end or on a malformed hint. */
static bool
hint_next(const char **hp, struct hint_spec *s)
{
	const char	*h = *hp;

	memset(s, 0, sizeof(*s));
	if (*h == '\0')
		return false;
	if (*h == '*') {
		s->star = true;
		h++;
	}
	if (*h < '0' || *h > '9')
		return false;
	while (*h >= '0' && *h <= '9') {
		s->len = s->len * 10 + (size_t)(*h - '0');
		if (s->len > 1024)
			return false;
		h++;
	}
	if (*h != 'd' && *h != 'x' && *h != 'o' && *h != 'a' && *h != 't')
		return false;
	s->fmt = *h++;
	if (*h != '\0' && *h != '*' && (*h < '0' || *h > '9'))
		s->sep = *h++;
	if (s->star && *h != '\0' && *h != '*' && (*h < '0' || *h > '9'))
		s->term = *h++;
	*hp = h;
	return true;
}

/* One application of spec s to n octets at p. */
static size_t
hint_apply(const struct hint_spec *s, const uint8_t *p, size_t n, char *buf,
    size_t size)
{
	uint64_t	 u = 0;
	size_t		 i, len = 0;

	switch (s->fmt) {
	case 'a':
	case 't':
		if (n >= size)
			return size;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return n;
	case 'd':
	case 'o':
		if (n > 8)
			return size;
		for (i = 0; i < n; i++)
			u = u << 8 | p[i];
		return (size_t)snprintf(buf, size, s->fmt == 'd' ? "%" PRIu64 :
		    "%" PRIo64, u);
	case 'x':
	default:
		for (i = 0; i < n && len < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%02x",
			    p[i]);
		return len;
	}
}

/* RFC 2579 3.1, an OCTET STRING hint over n octets. */
static size_t
hint_octets(const char *hint, const uint8_t *p, size_t n, char *buf,
    size_t size)
{
	struct hint_spec s;
	const char	*h = hint;
	size_t		 len = 0, at = 0, reps, r, take;
	bool		 have = false;

	buf[0] = '\0';
	while (at < n) {
		if (!have || *h != '\0') {
			if (!hint_next(&h, &s))
				return have ? len : 0;
			have = true;
		}
		reps = 1;
		if (s.star)
			reps = p[at++];
		for (r = 0; r < reps && at < n; r++) {
			take = s.len < n - at ? s.len : n - at;
			if (take == 0 && s.fmt != 'a' && s.fmt != 't')
				return 0;
			len += hint_apply(&s, p + at, take, buf + len,
			    size - len);
			if (len >= size)
				return 0;
			at += take;
			if (s.star && r + 1 == reps && s.term != '\0') {
				if (at < n && len + 1 < size)
					buf[len++] = s.term;
			} else if (s.sep != '\0' && at < n && len + 1 < size)
				buf[len++] = s.sep;
			buf[len] = '\0';
			if (take == 0)
				break;
		}
	}
	return len;
}

bool
mib_display_is_self(const struct mib_node *n, const struct snmp_value *v)
{
	const char	*h;
	size_t		 max = 0;

	if (n == NULL || (h = n->hint) == NULL || v->type != SNMP_T_OCTETS ||
	    n->base != MIB_B_OCTETS)
		return false;
	/* One "Na" spec (RFC 2579 3.1: up to N octets as ASCII). */
	for (; *h >= '0' && *h <= '9' && max < 100000; h++)
		max = max * 10 + (size_t)(*h - '0');
	return h != n->hint && h[0] == 'a' && h[1] == '\0' && v->len <= max;
}

size_t
mib_display(const struct mib_node *n, const struct snmp_value *v, char *buf,
    size_t size)
{
	if (n == NULL || n->hint == NULL || size < 2)
		return 0;
	switch (v->type) {
	case SNMP_T_INTEGER:
		if (n->base != MIB_B_INTEGER32)
			return 0;
		return hint_int(n->hint, v->i, buf, size);
	case SNMP_T_GAUGE32:
	case SNMP_T_UINTEGER32:
		if (v->u > INT64_MAX)
			return 0;
		return hint_int(n->hint, (int64_t)v->u, buf, size);
	case SNMP_T_OCTETS:
		if (n->base != MIB_B_OCTETS)
			return 0;
		return hint_octets(n->hint, v->data, v->len, buf, size);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ details */

static const char *
kind_name(uint16_t k)
{
	if (k & MIB_K_SCALAR)
		return "scalar";
	if (k & MIB_K_TABLE)
		return "table";
	if (k & MIB_K_ROW)
		return "row";
	if (k & MIB_K_COLUMN)
		return "column";
	if (k & MIB_K_NOTIF)
		return "notification";
	return "node";
}

static const char *
access_name(uint8_t a)
{
	/* libsmi's SmiAccess numbers. */
	switch (a) {
	case 2:	return "not-accessible";
	case 3:	return "accessible-for-notify";
	case 4:	return "read-only";
	case 5:	return "read-write";
	default: return NULL;
	}
}

static const char *
base_name(const struct mib_node *n)
{
	if (n->app_ip)
		return "IpAddress";
	switch (n->base) {
	case MIB_B_INTEGER32:	return "Integer32";
	case MIB_B_OCTETS:	return "OCTET STRING";
	case MIB_B_OID:		return "OBJECT IDENTIFIER";
	case MIB_B_UNSIGNED32:	return "Unsigned32";
	case MIB_B_INTEGER64:	return "Integer64";
	case MIB_B_UNSIGNED64:	return "Counter64";
	case MIB_B_ENUM:	return "INTEGER";
	case MIB_B_BITS:	return "BITS";
	default:		return NULL;
	}
}

void
mib_node_info(const struct mib_node *n, struct mib_info *in)
{
	const struct mib_node *row = mib_node_row(n);

	memset(in, 0, sizeof(*in));
	in->module = n->module;
	in->label = n->label;
	in->kind = kind_name(n->kind);
	in->access = (n->kind & (MIB_K_SCALAR | MIB_K_COLUMN | MIB_K_ROW |
	    MIB_K_TABLE)) ? access_name(n->access) : NULL;
	in->type = n->type_name;
	in->type_module = n->type_module;
	in->base = base_name(n);
	in->hint = n->hint;
	in->units = n->units;
	in->descr = n->descr;
	in->nenums = n->nenums;
	if (row != NULL) {
		in->nindex = row->nindex;
		in->implied = row->implied;
	}
}

const char *
mib_node_enum(const struct mib_node *n, size_t i, int64_t *v)
{
	*v = n->enums[i].value;
	return n->enums[i].label;
}

const struct mib_node *
mib_node_index(const struct mib_node *n, size_t i)
{
	return mib_node_row(n)->index[i];
}

void
mib_node_oid(const struct mib_node *n, struct oid *o)
{
	o->len = n->depth;
	memcpy(o->arcs, n->oid, n->depth * sizeof(uint32_t));
}

size_t
mib_node_nkids(const struct mib_node *n)
{
	return n->nkids;
}

const struct mib_node *
mib_node_kid(const struct mib_node *n, size_t i)
{
	return n->kids[i];
}

/* ------------------------------------------------------------- tables */

const struct mib_node *
mib_table_entry(const struct mib *m, const struct oid *o)
{
	const struct mib_node	*n, *row;
	size_t			 plen;

	if ((n = mib_lookup(m, o, &plen)) == NULL || plen != o->len ||
	    (row = mib_node_row(n)) == NULL)
		return NULL;
	if (n == row || ((n->kind & MIB_K_TABLE) && n->nkids == 1 &&
	    n->kids[0] == row))
		return row;
	return NULL;
}

size_t
mib_table_columns(const struct mib_node *row, struct oid *cols,
    const struct mib_node **nodes, size_t max)
{
	const struct mib_node	*k;
	size_t			 i, n = 0;

	for (i = 0; i < row->nkids && n < max; i++) {
		k = row->kids[i];
		/* libsmi: 2 not-accessible, 3 accessible-for-notify */
		if (!(k->kind & MIB_K_COLUMN) || k->access == 2 ||
		    k->access == 3)
			continue;
		if (nodes != NULL)
			nodes[n] = k;
		mib_node_oid(k, &cols[n++]);
	}
	return n;
}

const struct mib_node *
mib_table_column(const struct mib *m, const struct mib_node *row,
    const struct oid *o)
{
	const struct mib_node	*k;
	size_t			 plen;

	if ((k = mib_lookup(m, o, &plen)) == NULL || plen != o->len ||
	    k->parent != row || !(k->kind & MIB_K_COLUMN))
		return NULL;
	return k;
}
