/*
 * check_oid.c - OBJECT IDENTIFIER text parsing and formatting, ordering,
 * and the BER content octets of X.690 8.19, including the bounds on arcs.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/oid.h"
#include "check_main.h"

static struct oid
mkoid(const char *s)
{
	struct oid	 o;

	ck_assert_msg(oid_parse_str(&o, s) == 0, "parse %s: %s", s,
	    snmpmgr_lasterr_detail());
	return o;
}

START_TEST(oid_parse_dotted_and_leading_dot)
{
	struct oid	 o;

	ck_assert_int_eq(oid_parse_str(&o, "1.3.6.1.2.1.1.3.0"), 0);
	ck_assert_uint_eq(o.len, 9);
	ck_assert_uint_eq(o.arcs[0], 1);
	ck_assert_uint_eq(o.arcs[2], 6);
	ck_assert_uint_eq(o.arcs[8], 0);
	ck_assert_int_eq(oid_parse_str(&o, ".1.3.6.1"), 0);
	ck_assert_uint_eq(o.len, 4);
	ck_assert_uint_eq(o.arcs[3], 1);
	/* Length-delimited: the text after n is not looked at. */
	ck_assert_int_eq(oid_parse(&o, "1.3.6.1xyz", 7), 0);
	ck_assert_uint_eq(o.len, 4);
	ck_assert_int_eq(oid_parse_str(&o, "2.999.4294967295"), 0);
	ck_assert_uint_eq(o.arcs[2], 4294967295u);
}
END_TEST

START_TEST(oid_parse_rejects_malformed_text)
{
	static const char *bad[] = {
		"", ".", "1", "1.", "1..3", "1.3.", "a.b", "1.3.6x", "3.1",
		"1.40", "0.40", "1.3.4294967296", "1.3.-1", " 1.3", "..1.3",
	};
	struct oid	 o;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snmpmgr_clearerr();
		ck_assert_msg(oid_parse_str(&o, bad[i]) == -1, "accepted '%s'",
		    bad[i]);
		ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_NO_SUCH_OID);
	}
}
END_TEST

START_TEST(oid_parse_rejects_more_than_128_arcs)
{
	char		 s[2 * 130 + 8];
	struct oid	 o;
	size_t		 i, n = 0;

	for (i = 0; i < 128; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s1",
		    i ? "." : "");
	ck_assert_int_eq(oid_parse(&o, s, n), 0);
	ck_assert_uint_eq(o.len, 128);
	n += (size_t)snprintf(s + n, sizeof(s) - n, ".1");
	ck_assert_int_eq(oid_parse(&o, s, n), -1);
}
END_TEST

START_TEST(oid_format_round_trips_text)
{
	static const char *good[] = {
		"1.3.6.1.2.1.1.1.0", "0.0", "2.999", "1.3.6.1.4.1.4294967295",
		"1.3.6.1.10.100.1000.10000.100000.1000000.10000000.100000000."
		"1000000000.9.99.999.9999.99999.999999.9999999.99999999."
		"999999999",
	};
	char		 buf[SNMPMGR_MAX_OID_STR];
	struct oid	 o;
	size_t		 i, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o = mkoid(good[i]);
		n = oid_format(&o, buf, sizeof(buf));
		ck_assert_str_eq(buf, good[i]);
		ck_assert_uint_eq(n, strlen(good[i]));
	}
}
END_TEST

START_TEST(oid_format_truncates_like_snprintf)
{
	char		 buf[8];
	struct oid	 o = mkoid("1.3.6.1.2.1.1.1.0");

	memset(buf, 'X', sizeof(buf));
	ck_assert_uint_eq(oid_format(&o, buf, 6), 17);
	ck_assert_str_eq(buf, "1.3.6");
	ck_assert_int_eq(buf[6], 'X');
	ck_assert_uint_eq(oid_format(&o, buf, 0), 17);
	ck_assert_int_eq(buf[0], '1');
	ck_assert_uint_eq(oid_format(&o, buf, 1), 17);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(oid_format_longest_oid_fits_max_str)
{
	char		 buf[SNMPMGR_MAX_OID_STR];
	struct oid	 o;
	size_t		 i, n;

	o.len = SNMPMGR_MAX_OID_LEN;
	for (i = 0; i < o.len; i++)
		o.arcs[i] = UINT32_MAX;
	n = oid_format(&o, buf, sizeof(buf));
	ck_assert_uint_eq(n, 128 * 11 - 1);
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_int_eq(strncmp(buf, "4294967295.4294967295.", 22), 0);
}
END_TEST

START_TEST(oid_cmp_orders_arcwise_prefix_first)
{
	struct oid	 a = mkoid("1.3.6.1.2"), b = mkoid("1.3.6.1.10");
	struct oid	 c = mkoid("1.3.6.1.2.1"), d = mkoid("1.3.6.1.2");
	struct oid	 big = mkoid("1.3.4294967295"), small = mkoid("1.3.7");

	ck_assert_int_lt(oid_cmp(&a, &b), 0);
	ck_assert_int_gt(oid_cmp(&b, &a), 0);
	ck_assert_int_lt(oid_cmp(&a, &c), 0);
	ck_assert_int_gt(oid_cmp(&c, &a), 0);
	ck_assert_int_eq(oid_cmp(&a, &d), 0);
	ck_assert_int_gt(oid_cmp(&big, &small), 0);
}
END_TEST

START_TEST(oid_is_prefix_detects_subtree)
{
	struct oid	 p = mkoid("1.3.6.1.2.1.2"), in = mkoid("1.3.6.1.2.1.2.2.1");
	struct oid	 out = mkoid("1.3.6.1.2.1.3"), sib = mkoid("1.3.6.1.2.1.20");

	ck_assert(oid_is_prefix(&p, &in));
	ck_assert(oid_is_prefix(&p, &p));
	ck_assert(!oid_is_prefix(&p, &out));
	ck_assert(!oid_is_prefix(&p, &sib));
	ck_assert(!oid_is_prefix(&in, &p));
}
END_TEST

START_TEST(oid_ber_known_encodings)
{
	/* sysDescr.0 and an arc needing every sub-identifier width. */
	static const uint8_t sysdescr[] = { 0x2b, 6, 1, 2, 1, 1, 1, 0 };
	static const uint8_t wide[] = { 0x88, 0x37, 0x7f, 0x81, 0x00,
	    0x8f, 0xff, 0xff, 0xff, 0x7f };
	uint8_t		 buf[SNMPMGR_MAX_OID_LEN * 5];
	struct oid	 o;
	ssize_t		 n;

	o = mkoid("1.3.6.1.2.1.1.1.0");
	n = oid_to_ber(&o, buf, sizeof(buf));
	ck_assert_int_eq(n, sizeof(sysdescr));
	ck_assert_mem_eq(buf, sysdescr, sizeof(sysdescr));

	/* 2.999 is the single sub-identifier 1079 = 0x88 0x37. */
	o = mkoid("2.999.127.128.4294967295");
	n = oid_to_ber(&o, buf, sizeof(buf));
	ck_assert_int_eq(n, sizeof(wide));
	ck_assert_mem_eq(buf, wide, sizeof(wide));
	ck_assert_int_eq(oid_from_ber(&o, wide, sizeof(wide)), 0);
	ck_assert_uint_eq(o.len, 5);
	ck_assert_uint_eq(o.arcs[0], 2);
	ck_assert_uint_eq(o.arcs[1], 999);
	ck_assert_uint_eq(o.arcs[3], 128);
	ck_assert_uint_eq(o.arcs[4], 4294967295u);
}
END_TEST

START_TEST(oid_ber_round_trip_max_arcs)
{
	uint8_t		 buf[SNMPMGR_MAX_OID_LEN * 5];
	struct oid	 o, back;
	ssize_t		 n;
	uint32_t	 i;

	o.len = SNMPMGR_MAX_OID_LEN;
	o.arcs[0] = 1;
	o.arcs[1] = 3;
	for (i = 2; i < o.len; i++)
		o.arcs[i] = i * 33554467u;
	n = oid_to_ber(&o, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(oid_from_ber(&back, buf, (size_t)n), 0);
	ck_assert_int_eq(oid_cmp(&o, &back), 0);
	/* One octet short of room. */
	ck_assert_int_eq(oid_to_ber(&o, buf, (size_t)n - 1), -1);
}
END_TEST

START_TEST(oid_ber_rejects_huge_arc)
{
	/* 2^32 = 0x90 0x80 0x80 0x80 0x00: five octets, 33 bits. */
	static const uint8_t big[] = { 0x2b, 0x90, 0x80, 0x80, 0x80, 0x00 };
	static const uint8_t max[] = { 0x2b, 0x8f, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t six[] = { 0x2b, 0x81, 0x80, 0x80, 0x80, 0x80,
	    0x00 };
	struct oid	 o;

	ck_assert_int_eq(oid_from_ber(&o, max, sizeof(max)), 0);
	ck_assert_uint_eq(o.arcs[2], UINT32_MAX);
	snmpmgr_clearerr();
	ck_assert_int_eq(oid_from_ber(&o, big, sizeof(big)), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_int_eq(oid_from_ber(&o, six, sizeof(six)), -1);
}
END_TEST

START_TEST(oid_ber_rejects_too_many_arcs)
{
	uint8_t		 buf[SNMPMGR_MAX_OID_LEN + 1];
	struct oid	 o;

	/* First octet gives two arcs, then 126 more: 128 in all. */
	memset(buf, 1, sizeof(buf));
	buf[0] = 0x2b;
	ck_assert_int_eq(oid_from_ber(&o, buf, 127), 0);
	ck_assert_uint_eq(o.len, 128);
	ck_assert_int_eq(oid_from_ber(&o, buf, 128), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
}
END_TEST

START_TEST(oid_ber_rejects_bad_subidentifiers)
{
	static const uint8_t lead80[] = { 0x2b, 0x80, 0x01 };
	static const uint8_t unterminated[] = { 0x2b, 0x06, 0x81 };
	struct oid	 o;

	ck_assert_int_eq(oid_from_ber(&o, lead80, sizeof(lead80)), -1);
	ck_assert_int_eq(oid_from_ber(&o, unterminated,
	    sizeof(unterminated)), -1);
	ck_assert_int_eq(oid_from_ber(&o, lead80, 0), -1);
}
END_TEST

START_TEST(oid_to_ber_rejects_unencodable)
{
	uint8_t		 buf[16];
	struct oid	 o;

	o.len = 1;
	o.arcs[0] = 1;
	ck_assert_int_eq(oid_to_ber(&o, buf, sizeof(buf)), -1);
	o.len = 2;
	o.arcs[0] = 3;
	o.arcs[1] = 0;
	ck_assert_int_eq(oid_to_ber(&o, buf, sizeof(buf)), -1);
	o.arcs[0] = 1;
	o.arcs[1] = 40;
	ck_assert_int_eq(oid_to_ber(&o, buf, sizeof(buf)), -1);
	o.arcs[0] = 2;
	o.arcs[1] = UINT32_MAX - 79;
	ck_assert_int_eq(oid_to_ber(&o, buf, sizeof(buf)), -1);
	o.arcs[1] = UINT32_MAX - 80;
	ck_assert_int_eq(oid_to_ber(&o, buf, sizeof(buf)), 5);
}
END_TEST

/* oid_format_ber() writes what oid_format() writes of oid_from_ber(),
 * and oid_ber_check() decides as oid_from_ber() does. */
START_TEST(oid_format_ber_matches_decoded)
{
	static const uint8_t sysdescr[] = { 0x2b, 6, 1, 2, 1, 1, 1, 0 };
	static const uint8_t wide[] = { 0x88, 0x37, 0x7f, 0x81, 0x00,
	    0x8f, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t zero[] = { 0x00 };
	static const uint8_t one39[] = { 0x4f, 0x83, 0x7f };
	static const uint8_t lead80[] = { 0x2b, 0x80, 0x01 };
	static const uint8_t big[] = { 0x2b, 0x90, 0x80, 0x80, 0x80, 0x00 };
	const struct { const uint8_t *p; size_t n; const char *text; } v[] = {
		{ sysdescr, sizeof(sysdescr), "1.3.6.1.2.1.1.1.0" },
		{ wide, sizeof(wide), "2.999.127.128.4294967295" },
		{ zero, sizeof(zero), "0.0" },
		{ one39, sizeof(one39), "1.39.511" },
	};
	uint8_t		 buf[SNMPMGR_MAX_OID_LEN * 5];
	char		 a[OID_BER_STR(sizeof(buf))], b[SNMPMGR_MAX_OID_STR];
	struct oid	 o;
	ssize_t		 n;
	size_t		 i, len;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(oid_ber_check(v[i].p, v[i].n), 0);
		len = oid_format_ber(v[i].p, v[i].n, a);
		ck_assert_uint_eq(len, strlen(v[i].text));
		ck_assert_str_eq(a, v[i].text);
		ck_assert_int_eq(oid_from_ber(&o, v[i].p, v[i].n), 0);
		ck_assert_uint_eq(oid_format(&o, b, sizeof(b)), len);
	}
	/* The longest text: 128 arcs of ten digits, within the bound. */
	o.len = SNMPMGR_MAX_OID_LEN;
	o.arcs[0] = 2;
	o.arcs[1] = UINT32_MAX - 80;
	for (i = 2; i < o.len; i++)
		o.arcs[i] = UINT32_MAX - (uint32_t)i;
	n = oid_to_ber(&o, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(oid_ber_check(buf, (size_t)n), 0);
	len = oid_format_ber(buf, (size_t)n, a);
	ck_assert_uint_lt(len, OID_BER_STR(n));
	ck_assert_uint_eq(oid_format(&o, b, sizeof(b)), len);
	ck_assert_str_eq(a, b);
	/* Refused alike. */
	snmpmgr_clearerr();
	ck_assert_int_eq(oid_ber_check(lead80, sizeof(lead80)), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_int_eq(oid_ber_check(big, sizeof(big)), -1);
	ck_assert_int_eq(oid_ber_check(big, 0), -1);
	memset(buf, 1, SNMPMGR_MAX_OID_LEN + 1);
	buf[0] = 0x2b;
	ck_assert_int_eq(oid_ber_check(buf, 127), 0);
	ck_assert_int_eq(oid_ber_check(buf, 128), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("oid");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, oid_parse_dotted_and_leading_dot);
	tcase_add_test(tc, oid_parse_rejects_malformed_text);
	tcase_add_test(tc, oid_parse_rejects_more_than_128_arcs);
	tcase_add_test(tc, oid_format_round_trips_text);
	tcase_add_test(tc, oid_format_truncates_like_snprintf);
	tcase_add_test(tc, oid_format_longest_oid_fits_max_str);
	tcase_add_test(tc, oid_cmp_orders_arcwise_prefix_first);
	tcase_add_test(tc, oid_is_prefix_detects_subtree);
	tcase_add_test(tc, oid_ber_known_encodings);
	tcase_add_test(tc, oid_ber_round_trip_max_arcs);
	tcase_add_test(tc, oid_ber_rejects_huge_arc);
	tcase_add_test(tc, oid_ber_rejects_too_many_arcs);
	tcase_add_test(tc, oid_ber_rejects_bad_subidentifiers);
	tcase_add_test(tc, oid_to_ber_rejects_unencodable);
	tcase_add_test(tc, oid_format_ber_matches_decoded);
	suite_add_tcase(s, tc);
	return check_run(s);
}
