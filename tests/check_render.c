/*
 * check_render.c - the JSON rendering of varbinds (doc/protocol.md
 * "Values"): every type, lossless Counter64, the text-or-hex choice for
 * octet strings, and JSON string escaping.  Each rendering is also fed to
 * jansson to prove it is valid JSON.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/oid.h"
#include "core/pdu.h"
#include "core/rate.h"
#include "daemon/render.h"
#include "daemon/state.h"
#include "check_main.h"

/* Render one varbind at 1.3.6.1.2.1.1.1.0 and return it as a string. */
static char *
render_one(uint8_t type, int64_t i, uint64_t u, const void *data, size_t len)
{
	struct snmp_varbind	 vb;
	struct render_buf	 b;
	char			*s;

	memset(&vb, 0, sizeof(vb));
	ck_assert_int_eq(oid_parse_str(&vb.name, "1.3.6.1.2.1.1.1.0"), 0);
	vb.value.type = type;
	if (type == SNMP_T_INTEGER)
		vb.value.i = i;
	else
		vb.value.u = u;
	vb.value.data = data;
	vb.value.len = len;
	render_buf_init(&b);
	render_varbind(&b, &vb);
	ck_assert(!b.failed);
	s = malloc(b.len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, b.p, b.len);
	s[b.len] = '\0';
	render_buf_free(&b);
	return s;
}

static void
expect(char *got, const char *want)
{
	json_error_t	 err;
	json_t		*j;

	ck_assert_str_eq(got, want);
	j = json_loads(got, 0, &err);
	ck_assert_msg(j != NULL, "not JSON: %s (%s)", got, err.text);
	json_decref(j);
	free(got);
}

#define OIDPFX	"{\"oid\":\"1.3.6.1.2.1.1.1.0\",\"type\":"

START_TEST(render_integer_types_are_numbers)
{
	expect(render_one(SNMP_T_INTEGER, INT32_MIN, 0, NULL, 0),
	    OIDPFX "\"Integer32\",\"value\":-2147483648}");
	expect(render_one(SNMP_T_COUNTER32, 0, 4294967295u, NULL, 0),
	    OIDPFX "\"Counter32\",\"value\":4294967295}");
	expect(render_one(SNMP_T_GAUGE32, 0, 0, NULL, 0),
	    OIDPFX "\"Gauge32\",\"value\":0}");
	expect(render_one(SNMP_T_TIMETICKS, 0, 12345, NULL, 0),
	    OIDPFX "\"TimeTicks\",\"value\":12345}");
	expect(render_one(SNMP_T_UINTEGER32, 0, 7, NULL, 0),
	    OIDPFX "\"UInteger32\",\"value\":7}");
}
END_TEST

START_TEST(render_counter64_keeps_all_bits_as_string)
{
	expect(render_one(SNMP_T_COUNTER64, 0, UINT64_MAX, NULL, 0),
	    OIDPFX "\"Counter64\",\"value\":\"18446744073709551615\"}");
	expect(render_one(SNMP_T_COUNTER64, 0, (1ull << 53) + 1, NULL, 0),
	    OIDPFX "\"Counter64\",\"value\":\"9007199254740993\"}");
}
END_TEST

START_TEST(render_text_octets_escaped)
{
	static const char txt[] = "a\"b\\c\td\r\ne \xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80";

	expect(render_one(SNMP_T_OCTETS, 0, 0, txt, sizeof(txt) - 1),
	    OIDPFX "\"OCTET STRING\",\"value\":\"a\\\"b\\\\c\\td\\r\\ne "
	    "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
	expect(render_one(SNMP_T_OCTETS, 0, 0, "", 0),
	    OIDPFX "\"OCTET STRING\",\"value\":\"\"}");
}
END_TEST

START_TEST(render_binary_octets_as_hex)
{
	static const uint8_t bin[] = { 0x00, 0x1b, 0xff, 0xa0 };

	expect(render_one(SNMP_T_OCTETS, 0, 0, bin, sizeof(bin)),
	    OIDPFX "\"OCTET STRING\",\"hex\":\"001bffa0\"}");
	expect(render_one(SNMP_T_OPAQUE, 0, 0, "ab", 2),
	    OIDPFX "\"Opaque\",\"hex\":\"6162\"}");
	expect(render_one(SNMP_T_NSAP, 0, 0, bin, 2),
	    OIDPFX "\"NsapAddress\",\"hex\":\"001b\"}");
}
END_TEST

START_TEST(render_rejects_bad_utf8_and_controls)
{
	static const char *bad[] = {
		"\x01", "\x7f", "a\x1b[0m", "\xc2\x85",	/* C0, DEL, C1 */
		"\xc0\xaf", "\xe0\x80\xaf",		/* overlong */
		"\xed\xa0\x80",				/* surrogate */
		"\xf4\x90\x80\x80",			/* past U+10FFFF */
		"\xc3", "\xe2\x82", "\x80", "\xff",	/* cut or stray */
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!render_is_text((const uint8_t *)bad[i],
		    strlen(bad[i])), "case %zu taken as text", i);
	ck_assert(render_is_text((const uint8_t *)"tab\there\r\n", 10));
	ck_assert(render_is_text((const uint8_t *)"\xc2\xa0", 2));
	ck_assert(render_is_text((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));
}
END_TEST

START_TEST(render_oid_and_ipaddress_dotted)
{
	static const uint8_t ip[] = { 192, 0, 2, 255 };
	static const uint8_t oidber[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x87,
	    0x67 };			/* 1.3.6.1.4.1.999 */

	expect(render_one(SNMP_T_IPADDR, 0, 0, ip, 4),
	    OIDPFX "\"IpAddress\",\"value\":\"192.0.2.255\"}");
	expect(render_one(SNMP_T_IPADDR, 0, 0, ip, 3),
	    OIDPFX "\"IpAddress\",\"hex\":\"c00002\"}");
	expect(render_one(SNMP_T_OID, 0, 0, oidber, sizeof(oidber)),
	    OIDPFX "\"OBJECT IDENTIFIER\",\"value\":\"1.3.6.1.4.1.999\"}");
}
END_TEST

START_TEST(render_exceptions_have_no_value)
{
	expect(render_one(SNMP_T_NULL, 0, 0, NULL, 0),
	    OIDPFX "\"NULL\"}");
	expect(render_one(SNMP_T_NOSUCHOBJECT, 0, 0, NULL, 0),
	    OIDPFX "\"noSuchObject\"}");
	expect(render_one(SNMP_T_NOSUCHINSTANCE, 0, 0, NULL, 0),
	    OIDPFX "\"noSuchInstance\"}");
	expect(render_one(SNMP_T_ENDOFMIBVIEW, 0, 0, NULL, 0),
	    OIDPFX "\"endOfMibView\"}");
	expect(render_one(0x9f, 0, 0, "\x01", 1),
	    OIDPFX "\"unknown\",\"hex\":\"01\",\"tag\":159}");
}
END_TEST

START_TEST(render_batch_is_one_array)
{
	struct snmp_varbind	 vb[3];
	struct render_buf	 b;
	json_t			*j;
	size_t			 i;

	memset(vb, 0, sizeof(vb));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(oid_parse_str(&vb[i].name, "1.3.6.1"), 0);
		vb[i].name.arcs[3] = (uint32_t)i;
		vb[i].value.type = SNMP_T_INTEGER;
		vb[i].value.i = -(int64_t)i;
	}
	render_buf_init(&b);
	render_varbinds(&b, vb, 3);
	render_add(&b, "", 1);
	j = json_loads(b.p, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_array_size(j), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(j, 2), "value")), -2);
	json_decref(j);
	render_buf_reset(&b);
	render_varbinds(&b, vb, 0);
	ck_assert_uint_eq(b.len, 2);
	ck_assert(memcmp(b.p, "[]", 2) == 0);
	render_buf_free(&b);
}
END_TEST

/* Two renderings of the same thing, neither failed, alike to the octet. */
static void
assert_same_text(const struct render_buf *a, const struct render_buf *b,
    const char *what, unsigned round, unsigned k)
{
	ck_assert(!a->failed && !b->failed);
	ck_assert_uint_eq(a->len, b->len);
	ck_assert_msg(memcmp(a->p, b->p, a->len) == 0,
	    "round %u, %s %u differs", round, what, k);
}

/*
 * The OID text cache gives what formatting gives: OIDs of every length
 * (the longest past what it keeps), many more than it has slots and
 * colliding in them, each rendered several times over, as names, as OID
 * values and through render_oid_cached.
 */
START_TEST(render_oidcache_matches_plain)
{
	struct render_oidcache	*c;
	struct render_buf	 plain, cached;
	struct snmp_varbind	 vb[2];
	uint8_t			 ber[SNMPMGR_MAX_OID_LEN * 5];
	ssize_t			 n;
	uint32_t		 k, round, i;

	c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	render_buf_init(&plain);
	render_buf_init(&cached);
	memset(vb, 0, sizeof(vb));
	for (round = 0; round < 3; round++)
		for (k = 0; k < 4 * RENDER_OIDCACHE_SLOTS; k++) {
			/* 2 to 40 arcs, values that differ in one arc. */
			vb[0].name.len = 2 + k % 39;
			for (i = 0; i < vb[0].name.len; i++)
				vb[0].name.arcs[i] = i < 2 ? 1 :
				    (k * 7919 + i) % (i % 3 == 0 ? 50 : 300000);
			vb[1].name = vb[0].name;
			vb[1].name.arcs[vb[1].name.len - 1] ^= 1;
			vb[0].value.type = SNMP_T_INTEGER;
			vb[0].value.i = k;
			n = oid_to_ber(&vb[0].name, ber, sizeof(ber));
			ck_assert_int_gt(n, 0);
			vb[1].value.type = SNMP_T_OID;
			vb[1].value.data = ber;
			vb[1].value.len = (size_t)n;
			render_buf_reset(&plain);
			render_buf_reset(&cached);
			render_varbinds(&plain, vb, 2);
			render_oid(&plain, &vb[1].name);
			render_varbinds_cached(&cached, c, vb, 2);
			render_oid_cached(&cached, c, &vb[1].name);
			assert_same_text(&plain, &cached, "OID", round, k);
		}
	render_buf_free(&plain);
	render_buf_free(&cached);
	free(c);
}
END_TEST

/*
 * A varbind's head kept by OID and type gives what formatting gives when
 * the same OIDs come back with other types: every type in turn (an
 * unknown tag too, which is never kept), values changing, more OIDs than
 * the cache has slots.
 */
START_TEST(render_head_cache_types_change)
{
	static const uint8_t types[] = { SNMP_T_COUNTER32, SNMP_T_GAUGE32,
	    SNMP_T_OCTETS, SNMP_T_NULL, SNMP_T_NOSUCHOBJECT, 0x99,
	    SNMP_T_INTEGER, SNMP_T_TIMETICKS, SNMP_T_COUNTER64,
	    SNMP_T_IPADDR, SNMP_T_OPAQUE };
	struct render_oidcache	*c;
	struct render_buf	 plain, cached;
	struct snmp_varbind	 vb;
	uint8_t			 data[4] = { 192, 0, 2, 7 };
	uint32_t		 k, round, i;

	c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	render_buf_init(&plain);
	render_buf_init(&cached);
	memset(&vb, 0, sizeof(vb));
	for (round = 0; round < 3 * sizeof(types); round++)
		for (k = 0; k < 2 * RENDER_OIDCACHE_SLOTS; k++) {
			vb.name.len = 11 + k % 14;	/* kept: <= 24 arcs */
			for (i = 0; i < vb.name.len; i++)
				vb.name.arcs[i] = i < 2 ? 1 : (k * 31 + i) % 97;
			vb.value.type = types[(round + k) % sizeof(types)];
			vb.value.i = vb.value.u = round * 1000003 + k;
			vb.value.data = data;
			vb.value.len = sizeof(data);
			render_buf_reset(&plain);
			render_buf_reset(&cached);
			render_varbinds(&plain, &vb, 1);
			render_varbinds_cached(&cached, c, &vb, 1);
			assert_same_text(&plain, &cached, "type", round, k);
		}
	render_buf_free(&plain);
	render_buf_free(&cached);
	free(c);
}
END_TEST

/*
 * Varbinds whose names are left as BER octets (the trap journal's) render
 * as decoded ones do: every value type, many names colliding in the BER
 * cache, each several times over, and render_oid_ber as render_oid.
 */
START_TEST(render_raw_matches_decoded)
{
	static const uint8_t text[] = "row-1", bin[] = { 0, 1, 0xff };
	static const uint8_t ip[] = { 192, 0, 2, 7 };
	static const struct { uint8_t type; int64_t i; const uint8_t *d;
	    size_t n; } val[] = {
		{ SNMP_T_INTEGER, -5, NULL, 0 },
		{ SNMP_T_OCTETS, 0, text, 5 },
		{ SNMP_T_OCTETS, 0, bin, 3 },
		{ SNMP_T_NULL, 0, NULL, 0 },
		{ SNMP_T_OID, 0, NULL, 0 },	/* the name of the next */
		{ SNMP_T_IPADDR, 0, ip, 4 },
		{ SNMP_T_COUNTER32, 4000000000, NULL, 0 },
		{ SNMP_T_GAUGE32, 7, NULL, 0 },
		{ SNMP_T_TIMETICKS, 206311, NULL, 0 },
		{ SNMP_T_OPAQUE, 0, bin, 3 },
		{ SNMP_T_COUNTER64, INT64_MAX, NULL, 0 },
		{ SNMP_T_UINTEGER32, 9, NULL, 0 },
		{ SNMP_T_NOSUCHINSTANCE, 0, NULL, 0 },
		{ SNMP_T_ENDOFMIBVIEW, 0, NULL, 0 },
	};
	enum { NV = sizeof(val) / sizeof(val[0]) };
	struct render_bercache	*c;
	struct render_buf	 plain, raw;
	struct snmp_varbind	 vb[NV];
	struct snmp_vbraw	 rv[NV];
	uint8_t			 ber[NV][SNMPMGR_MAX_OID_LEN * 5];
	ssize_t			 n;
	uint32_t		 k, round, i, j;

	c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	render_buf_init(&plain);
	render_buf_init(&raw);
	memset(vb, 0, sizeof(vb));
	for (round = 0; round < 3; round++)
		for (k = 0; k < 4 * RENDER_BERCACHE_SLOTS; k++) {
			for (j = 0; j < NV; j++) {
				/* 2 to 40 arcs, some past the cached
				 * length, first arcs 0 to 2. */
				vb[j].name.len = 2 + (k + j) % 39;
				vb[j].name.arcs[0] = (k + j) % 3;
				vb[j].name.arcs[1] = (k * 31 + j) % 40;
				for (i = 2; i < vb[j].name.len; i++)
					vb[j].name.arcs[i] = (k * 7919 + i +
					    j) % (i % 3 == 0 ? 50 : 300000);
				n = oid_to_ber(&vb[j].name, ber[j],
				    sizeof(ber[j]));
				ck_assert_int_gt(n, 0);
				vb[j].value.type = val[j].type;
				vb[j].value.i = val[j].i;
				vb[j].value.data = val[j].d;
				vb[j].value.len = val[j].n;
				rv[j].name = ber[j];
				rv[j].namelen = (size_t)n;
			}
			for (j = 0; j < NV; j++) {
				if (val[j].type == SNMP_T_OID) {
					vb[j].value.data = rv[j + 1].name;
					vb[j].value.len = rv[j + 1].namelen;
				}
				rv[j].value = vb[j].value;
			}
			render_buf_reset(&plain);
			render_buf_reset(&raw);
			render_varbinds(&plain, vb, NV);
			render_oid(&plain, &vb[0].name);
			render_varbinds_raw(&raw, c, rv, NV);
			render_oid_ber(&raw, c, rv[0].name, rv[0].namelen);
			assert_same_text(&plain, &raw, "set", round, k);
		}
	render_buf_free(&plain);
	render_buf_free(&raw);
	free(c);
}
END_TEST

/* Every digit count, both sides of each power of ten and of 2^32, against
 * printf. */
START_TEST(render_numbers_match_printf)
{
	struct render_buf	 b;
	char			 want[32];
	uint64_t		 p = 1, vals[4];
	size_t			 k, j;

	render_buf_init(&b);
	for (k = 0; k < 20; k++) {
		vals[0] = p - 1;
		vals[1] = p;
		vals[2] = p + 1;
		vals[3] = p * 9 + (p - 1);	/* 99...9 */
		for (j = 0; j < 4; j++) {
			render_buf_reset(&b);
			render_u64(&b, vals[j]);
			snprintf(want, sizeof(want), "%ju", (uintmax_t)vals[j]);
			ck_assert_uint_eq(b.len, strlen(want));
			ck_assert(memcmp(b.p, want, b.len) == 0);
			render_buf_reset(&b);
			render_i64(&b, -(int64_t)(vals[j] >> 1));
			snprintf(want, sizeof(want), "%jd",
			    -(intmax_t)(vals[j] >> 1));
			ck_assert_uint_eq(b.len, strlen(want));
			ck_assert(memcmp(b.p, want, b.len) == 0);
		}
		if (k < 19)
			p *= 10;
	}
	/* Both sides of the 32-bit path's end. */
	for (j = 0; j < 5; j++) {
		vals[0] = (uint64_t)UINT32_MAX - 2 + j;
		render_buf_reset(&b);
		render_u64(&b, vals[0]);
		snprintf(want, sizeof(want), "%ju", (uintmax_t)vals[0]);
		ck_assert_uint_eq(b.len, strlen(want));
		ck_assert(memcmp(b.p, want, b.len) == 0);
	}
	render_buf_reset(&b);
	render_u64(&b, UINT64_MAX);
	render_i64(&b, INT64_MIN);
	ck_assert_uint_eq(b.len, 20 + 20);
	ck_assert(memcmp(b.p, "18446744073709551615-9223372036854775808",
	    40) == 0);
	render_buf_free(&b);
}
END_TEST

/* Fixed-point decimals: every digit count of the integer part (the
 * /metrics uptime once lost its newline past 100 s) and of the
 * fraction, against printf of the same quotient. */
START_TEST(render_fixed_matches_printf)
{
	struct render_buf	 b;
	char			 want[48];
	uint64_t		 v, p, q;
	unsigned		 dec, k, i;

	render_buf_init(&b);
	for (dec = 0; dec <= 9; dec++) {
		for (p = 1, i = 0; i < dec; i++)
			p *= 10;
		v = 7;
		for (k = 0; k < 19; k++, v = v * 10 + 3) {
			render_buf_reset(&b);
			render_fixed(&b, v, dec);
			render_add(&b, "\n", 1);
			q = v / p;
			if (dec == 0)
				snprintf(want, sizeof(want), "%ju\n",
				    (uintmax_t)q);
			else
				snprintf(want, sizeof(want), "%ju.%0*ju\n",
				    (uintmax_t)q, (int)dec, (uintmax_t)(v % p));
			ck_assert_uint_eq(b.len, strlen(want));
			ck_assert(memcmp(b.p, want, b.len) == 0);
		}
	}
	/* 100.000 s and one more digit: the lengths the old buffer cut. */
	render_buf_reset(&b);
	render_fixed(&b, 100000, 3);
	render_fixed(&b, UINT64_MAX, 3);
	ck_assert_uint_eq(b.len, 7 + 21);
	ck_assert(memcmp(b.p, "100.00018446744073709551.615", b.len) == 0);
	render_buf_free(&b);
}
END_TEST

/* Doubles: 15 significant digits (RENDER_REAL_DIGITS), so a value in ms
 * with microseconds prints as its decimal, not a double's 17-digit
 * noise; null if not finite. */
START_TEST(render_double_fifteen_digits)
{
	static const struct {
		double		 v;
		const char	*text;
	} t[] = {
		{ 0.1, "0.1" }, { 1500.0, "1500" }, { 399 / 1000.0, "0.399" },
		{ 659 / 1000.0, "0.659" }, { 1.0 / 3, "0.333333333333333" },
		{ 4738.213693437574, "4738.21369343757" }, { 1e300, "1e+300" },
		{ -2.5e-7, "-2.5e-07" }, { 123456789.0 / 0.3, "411522630" },
		{ 123456789012.345, "123456789012.345" },
		{ NAN, "null" }, { INFINITY, "null" },
	};
	struct render_buf	 b;
	size_t			 i;

	render_buf_init(&b);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		render_buf_reset(&b);
		render_double(&b, t[i].v);
		ck_assert_msg(b.len == strlen(t[i].text) &&
		    memcmp(b.p, t[i].text, b.len) == 0, "%s: got %.*s",
		    t[i].text, (int)b.len, b.p);
	}
	render_buf_free(&b);
}
END_TEST

/* A stored set with rates: "rate" on RATE_OK, "discontinuity" and its
 * reason on a discontinuity, nothing more otherwise. */
START_TEST(render_stored_rates)
{
	struct state_vals	 v;
	struct snmp_varbind	 vb[3];
	struct render_buf	 b;
	json_error_t		 jerr;
	json_t			*a, *e;
	size_t			 i;

	memset(vb, 0, sizeof(vb));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(oid_parse_str(&vb[i].name, "1.3.6.1.9"), 0);
		vb[i].name.arcs[vb[i].name.len++] = (uint32_t)i + 1;
		vb[i].value.type = SNMP_T_COUNTER32;
		vb[i].value.u = 10 * i;
	}
	state_vals_init(&v);
	ck_assert_int_eq(state_vals_add(&v, vb, 3), 0);
	ck_assert_int_eq(state_rates_prepare(&v, 3), 0);
	v.rates->st[0] = RATE_OK;
	v.rates->rate[0] = 2.5;
	v.rates->st[1] = RATE_DISC_UPTIME;
	render_buf_init(&b);
	state_vals_render(&b, &v);
	ck_assert(!b.failed);
	a = json_loadb(b.p, b.len, 0, &jerr);
	ck_assert_ptr_nonnull(a);
	e = json_array_get(a, 0);
	ck_assert(json_real_value(json_object_get(e, "rate")) == 2.5);
	ck_assert_ptr_null(json_object_get(e, "discontinuity"));
	e = json_array_get(a, 1);
	ck_assert_ptr_null(json_object_get(e, "rate"));
	ck_assert(json_is_true(json_object_get(e, "discontinuity")));
	ck_assert_str_eq(json_string_value(json_object_get(e,
	    "discontinuity_reason")), "sysUpTime");
	e = json_array_get(a, 2);
	ck_assert_uint_eq(json_object_size(e), 3);	/* oid, type, value */
	json_decref(a);
	render_buf_free(&b);
	ck_assert_uint_gt(state_vals_memory(&v), 3 * (sizeof(double) + 1));
	state_vals_free(&v);
	ck_assert_ptr_null(v.rates);
}
END_TEST

/*
 * A get's named set without value bytes is kept compact (value words and
 * types, no records) and reads back the same; one with bytes, or whose
 * OIDs differ from the names, keeps records; the set moves between the
 * two from run to run.
 */
START_TEST(state_named_set_compact)
{
	struct state_vals	 v;
	struct snmp_varbind	 vb[4], got;
	struct oid		 names[4];
	struct render_buf	 b;
	size_t			 i, run;

	memset(vb, 0, sizeof(vb));
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(oid_parse_str(&names[i], "1.3.6.1.9.1"), 0);
		names[i].arcs[names[i].len++] = (uint32_t)i + 1;
		vb[i].name = names[i];
	}
	state_vals_init(&v);
	for (run = 0; run < 3; run++) {
		for (i = 0; i < 4; i++) {
			vb[i].value.type = i == 3 ? SNMP_T_NOSUCHINSTANCE :
			    i == 2 ? SNMP_T_INTEGER : SNMP_T_COUNTER32;
			vb[i].value.u = 1000 * run + i;
			vb[i].value.data = NULL;
			vb[i].value.len = 0;
		}
		if (run == 1) {
			vb[1].value.type = SNMP_T_OCTETS;
			vb[1].value.data = (const uint8_t *)"ab";
			vb[1].value.len = 2;
		}
		vb[2].value.i = -5;
		ck_assert_int_eq(state_vals_set_get(&v, vb, 4, names, 4), 0);
		ck_assert(v.compact == (run != 1));
		ck_assert_ptr_eq(v.names, names);
		ck_assert_uint_eq(v.n, 4);
		for (i = 0; i < 4; i++) {
			state_vals_get(&v, i, &got);
			ck_assert_int_eq(oid_cmp(&got.name, &names[i]), 0);
			ck_assert_uint_eq(got.value.type, vb[i].value.type);
			ck_assert_uint_eq(got.value.len, vb[i].value.len);
			if (vb[i].value.len > 0)
				ck_assert_mem_eq(got.value.data,
				    vb[i].value.data, vb[i].value.len);
			else
				ck_assert_uint_eq(got.value.u, vb[i].value.u);
		}
		ck_assert_int_eq(state_vals_find(&v, &names[2]), 2);
		render_buf_init(&b);
		state_vals_render(&b, &v);
		ck_assert(!b.failed);
		ck_assert_ptr_nonnull(strstr(b.p, "-5"));
		render_buf_free(&b);
		if (run != 1)
			ck_assert_uint_lt(state_vals_memory(&v),
			    4 * sizeof(struct state_vb));
	}
	state_vals_free(&v);
}
END_TEST

/*
 * A stored set rendered with a cache (the results' records) is the set
 * rendered without, byte for byte: named sets (compact, and with value
 * bytes), sets of other names sharing the cache and colliding in it, an
 * unnamed set (its names are not cached), rates, each run several times.
 */
START_TEST(render_stored_cached_matches_plain)
{
	struct render_oidcache	*c;
	struct render_buf	 plain, cached;
	struct state_vals	 v;
	struct snmp_varbind	 vb[8];
	struct oid		 names[4][8];
	size_t			 i, set, run;

	c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	render_buf_init(&plain);
	render_buf_init(&cached);
	for (set = 0; set < 4; set++)
		for (i = 0; i < 8; i++) {
			ck_assert_int_eq(oid_parse_str(&names[set][i],
			    "1.3.6.1.4.1.99999.2.1"), 0);
			names[set][i].arcs[names[set][i].len++] =
			    (uint32_t)(i + 1 + set * 8 * RENDER_OIDCACHE_SLOTS);
			names[set][i].arcs[names[set][i].len++] = 1;
		}
	for (run = 0; run < 4 * 5; run++) {
		set = run % 4;
		memset(vb, 0, sizeof(vb));
		for (i = 0; i < 8; i++) {
			vb[i].name = names[set][i];
			vb[i].value.type = i % 3 == 0 ? SNMP_T_COUNTER32 :
			    i % 3 == 1 ? SNMP_T_INTEGER : SNMP_T_GAUGE32;
			vb[i].value.u = run * 1000 + i;
		}
		if (run % 5 == 2) {
			vb[3].value.type = SNMP_T_OCTETS;
			vb[3].value.data = (const uint8_t *)"eth0";
			vb[3].value.len = 4;
		}
		if (run % 5 == 4) {
			/* Still values without bytes (a compact set): a
			 * negative integer, a Counter64 past 32 bits, an
			 * exception. */
			vb[1].value.i = -(int64_t)run * 1000003;
			vb[2].value.type = SNMP_T_COUNTER64;
			vb[2].value.u = 18446744073709551615ULL - run;
			vb[4].value.type = SNMP_T_NOSUCHINSTANCE;
			vb[4].value.u = 0;
		}
		state_vals_init(&v);
		if (set == 3)
			ck_assert_int_eq(state_vals_add(&v, vb, 8), 0);
		else
			ck_assert_int_eq(state_vals_set_get(&v, vb, 8,
			    names[set], 8), 0);
		ck_assert(set == 3 ? v.names == NULL : v.names != NULL);
		if (run % 2 == 1) {
			ck_assert_int_eq(state_rates_prepare(&v, 8), 0);
			v.rates->st[0] = RATE_OK;
			v.rates->rate[0] = 0.1 * (double)run;
			v.rates->st[1] = RATE_DISC_UPTIME;
		}
		render_buf_reset(&plain);
		render_buf_reset(&cached);
		state_vals_render(&plain, &v);
		state_vals_render_c(&cached, c, &v);
		assert_same_text(&plain, &cached, "stored set", run, set);
		state_vals_free(&v);
	}
	render_buf_free(&plain);
	render_buf_free(&cached);
	free(c);
}
END_TEST

/* The store against a plain model: random batches of replaced and new
 * OIDs (values growing and shrinking, repeats within a batch, exceptions
 * left out), by get and by a walk's staged rows; after each the set is
 * sorted, one of each OID, each the latest value, its dead bytes
 * counted right. */
#define STORE_POOL	300
START_TEST(store_matches_model)
{
	struct state_poll	 sp;
	struct state_vals	 staged;
	struct snmp_varbind	 vb[40], got;
	uint8_t			 bytes[40][64], want[64];
	int			 model[STORE_POOL];	/* length + 1; 0: none */
	uint8_t			 mbyte[STORE_POOL];
	size_t			 i, k, n, live, have;
	unsigned		 seed = 7;
	int			 round, o;

	memset(model, 0, sizeof(model));
	state_poll_init(&sp);
	for (round = 0; round < 150; round++) {
		n = (size_t)(rand_r(&seed) % 40) + 1;
		memset(vb, 0, sizeof(vb));
		for (i = 0; i < n; i++) {
			o = rand_r(&seed) % STORE_POOL;
			vb[i].name.len = 3;
			vb[i].name.arcs[0] = 1;
			vb[i].name.arcs[1] = (uint32_t)o % 17;
			vb[i].name.arcs[2] = (uint32_t)o;
			/* (A walk's rows hold no exceptions.) */
			if (round % 3 != 0 && rand_r(&seed) % 10 == 0) {
				vb[i].value.type = SNMP_T_NOSUCHOBJECT;
				continue;
			}
			vb[i].value.type = SNMP_T_OCTETS;
			vb[i].value.len = (size_t)(rand_r(&seed) % 64);
			memset(bytes[i], round & 0xff, vb[i].value.len);
			vb[i].value.data = bytes[i];
			model[o] = (int)vb[i].value.len + 1;
			mbyte[o] = (uint8_t)(round & 0xff);
		}
		if (round % 3 == 0) {
			state_vals_init(&staged);
			ck_assert_int_eq(state_vals_add(&staged, vb, n), 0);
			ck_assert_int_eq(state_store_commit(&sp, &staged, 1), 0);
			state_vals_free(&staged);
		} else
			ck_assert_int_eq(state_store_add(&sp, vb, n, 1), 0);
		for (o = 0, have = 0; o < STORE_POOL; o++)
			have += model[o] != 0;
		ck_assert_uint_eq(sp.vals.n, have);
		for (k = 0, live = 0; k < sp.vals.n; k++) {
			state_vals_get(&sp.vals, k, &got);
			if (k > 0)
				ck_assert_int_lt(state_oid_cmp(
				    (const uint32_t *)(sp.vals.data +
				    sp.vals.vb[k - 1].off),
				    sp.vals.vb[k - 1].oidlen, &got.name), 0);
			o = (int)got.name.arcs[2];
			ck_assert_int_eq((int)got.value.len + 1, model[o]);
			memset(want, mbyte[o], sizeof(want));
			ck_assert(got.value.len == 0 ||
			    memcmp(got.value.data, want, got.value.len) == 0);
			ck_assert_int_eq(state_vals_find(&sp.vals, &got.name),
			    (ssize_t)k);
			live += (sp.vals.vb[k].oidlen * 4 + got.value.len + 3) &
			    ~(size_t)3;
		}
		ck_assert_uint_eq(sp.vals.len - sp.vals.dead, live);
	}
	state_poll_free(&sp);
}
END_TEST

/* The longest OID, with arcs of every width, renders as printf would. */
START_TEST(render_oid_longest)
{
	struct render_buf	 b;
	struct oid		 o;
	char			 want[SNMPMGR_MAX_OID_STR + 2];
	size_t			 n = 0;
	uint32_t		 i, v;

	o.len = SNMPMGR_MAX_OID_LEN;
	n += (size_t)snprintf(want + n, sizeof(want) - n, "\"");
	for (i = 0; i < o.len; i++) {
		v = i % 3 == 0 ? UINT32_MAX - i : i * 97 * (i % 7 + 1);
		o.arcs[i] = v;
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%u",
		    i ? "." : "", v);
	}
	n += (size_t)snprintf(want + n, sizeof(want) - n, "\"");
	render_buf_init(&b);
	render_oid(&b, &o);
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, n);
	ck_assert(memcmp(b.p, want, n) == 0);
	render_buf_free(&b);
}
END_TEST

START_TEST(render_json_str_escapes_controls)
{
	struct render_buf	 b;

	render_buf_init(&b);
	render_json_str(&b, "a\x01\x1f\"", 4);
	ck_assert_uint_eq(b.len, 17);
	ck_assert(memcmp(b.p, "\"a\\u0001\\u001f\\\"\"", 17) == 0);
	render_buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("render");
	TCase	*tc = tcase_create("render");

	tcase_add_test(tc, render_integer_types_are_numbers);
	tcase_add_test(tc, render_counter64_keeps_all_bits_as_string);
	tcase_add_test(tc, render_text_octets_escaped);
	tcase_add_test(tc, render_binary_octets_as_hex);
	tcase_add_test(tc, render_rejects_bad_utf8_and_controls);
	tcase_add_test(tc, render_oid_and_ipaddress_dotted);
	tcase_add_test(tc, render_exceptions_have_no_value);
	tcase_add_test(tc, render_batch_is_one_array);
	tcase_add_test(tc, render_oidcache_matches_plain);
	tcase_add_test(tc, render_head_cache_types_change);
	tcase_add_test(tc, render_json_str_escapes_controls);
	tcase_add_test(tc, render_numbers_match_printf);
	tcase_add_test(tc, render_oid_longest);
	tcase_add_test(tc, render_double_fifteen_digits);
	tcase_add_test(tc, render_fixed_matches_printf);
	tcase_add_test(tc, render_raw_matches_decoded);
	tcase_add_test(tc, render_stored_rates);
	tcase_add_test(tc, render_stored_cached_matches_plain);
	tcase_add_test(tc, state_named_set_compact);
	tcase_add_test(tc, store_matches_model);
	suite_add_tcase(s, tc);
	return check_run(s);
}
