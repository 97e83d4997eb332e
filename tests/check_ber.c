/*
 * check_ber.c - the bounded BER reader refuses what X.690 or our limits
 * rule out, and the backwards writer produces minimal encodings that the
 * reader takes back.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ber.h"
#include "core/errors.h"
#include "core/oid.h"
#include "check_main.h"

/* Read one element from p and expect failure with SNMPMGR_ERR_DEFECTIVE. */
static void
expect_tlv_fails(const uint8_t *p, size_t n)
{
	struct ber	 b;
	struct ber_tlv	 t;

	ber_init(&b, p, n);
	snmpmgr_clearerr();
	ck_assert_int_eq(ber_read_tlv(&b, &t), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
}

START_TEST(ber_reject_indefinite_length)
{
	static const uint8_t p[] = { 0x30, 0x80, 0x02, 0x01, 0x00, 0x00,
	    0x00 };

	expect_tlv_fails(p, sizeof(p));
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "indefinite"));
}
END_TEST

START_TEST(ber_reject_length_past_end)
{
	static const uint8_t p[] = { 0x04, 0x05, 'a', 'b', 'c', 'd' };
	static const uint8_t l[] = { 0x04, 0x82, 0x01, 0x00, 'a' };
	struct ber	 b;
	struct ber_tlv	 t;

	expect_tlv_fails(p, sizeof(p));
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "past end"));
	expect_tlv_fails(l, sizeof(l));
	/* Exactly fitting is fine. */
	ber_init(&b, (const uint8_t *)"\x04\x04" "abcd", 6);
	ck_assert_int_eq(ber_read_tlv(&b, &t), 0);
	ck_assert_uint_eq(t.len, 4);
	ck_assert(ber_at_end(&b));
}
END_TEST

START_TEST(ber_reject_overlong_length_field)
{
	/* Five length octets, beyond SNMPMGR_MAX_BER_LEN_OCTETS. */
	static const uint8_t p[] = { 0x04, 0x85, 0x00, 0x00, 0x00, 0x00,
	    0x01, 'x' };
	/* 0xff is reserved (X.690 8.1.3.5 c). */
	static const uint8_t r[] = { 0x04, 0xff, 0x00 };
	/* Length field cut short. */
	static const uint8_t c[] = { 0x04, 0x82, 0x01 };

	expect_tlv_fails(p, sizeof(p));
	expect_tlv_fails(r, sizeof(r));
	expect_tlv_fails(c, sizeof(c));
}
END_TEST

START_TEST(ber_accept_nonminimal_length)
{
	/* 82 00 03: long form for a short length, allowed by BER. */
	static const uint8_t p[] = { 0x04, 0x82, 0x00, 0x03, 'a', 'b', 'c' };
	struct ber	 b;
	const uint8_t	*d;
	size_t		 n;

	ber_init(&b, p, sizeof(p));
	ck_assert_int_eq(ber_read_octets(&b, BER_TAG_OCTETS, &d, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(d, "abc", 3);
}
END_TEST

START_TEST(ber_reject_multibyte_tag)
{
	static const uint8_t p[] = { 0x1f, 0x81, 0x00, 0x00 };
	static const uint8_t q[] = { 0x5f, 0x20, 0x00 };

	expect_tlv_fails(p, sizeof(p));
	expect_tlv_fails(q, sizeof(q));
}
END_TEST

START_TEST(ber_reject_empty_and_truncated_header)
{
	static const uint8_t p[] = { 0x02 };

	expect_tlv_fails(p, 0);
	expect_tlv_fails(p, 1);
}
END_TEST

/* Net-SNMP takes redundant leading octets; so do we (ber.h). */
START_TEST(ber_accept_nonminimal_integer)
{
	static const uint8_t z[] = { 0x00, 0x7f };
	static const uint8_t f[] = { 0xff, 0x80 };
	static const uint8_t five[] = { 0x00, 0x00, 0x05 };
	static const uint8_t m1[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t c32[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x05 };
	static const uint8_t ok1[] = { 0x00, 0x80 };
	static const uint8_t ok2[] = { 0xff, 0x7f };
	static const uint8_t big9[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x2a };
	int64_t		 v;
	uint64_t	 u;
	uint32_t	 w;

	ck_assert_int_eq(ber_decode_int(z, 2, &v), 0);
	ck_assert_int_eq(v, 127);
	ck_assert_int_eq(ber_decode_int(f, 2, &v), 0);
	ck_assert_int_eq(v, -128);
	ck_assert_int_eq(ber_decode_int(five, 3, &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(ber_decode_int(m1, 5, &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(ber_decode_int(big9, 9, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(ber_decode_uint(z, 2, &u), 0);
	ck_assert_uint_eq(u, 127);
	ck_assert_int_eq(ber_decode_uint(c32, 6, &u), 0);
	ck_assert_uint_eq(u, 5);
	ck_assert_int_eq(ber_decode_uint32(c32, 6, &w), 0);
	ck_assert_uint_eq(w, 5);
	ck_assert_int_eq(ber_decode_uint32(big9, 9, &w), 0);
	ck_assert_uint_eq(w, 42);
	/* Minimal forms as before. */
	ck_assert_int_eq(ber_decode_int(ok1, 2, &v), 0);
	ck_assert_int_eq(v, 128);
	ck_assert_int_eq(ber_decode_int(ok2, 2, &v), 0);
	ck_assert_int_eq(v, -129);
	ck_assert_int_eq(ber_decode_uint(ok1, 2, &u), 0);
	ck_assert_uint_eq(u, 128);
}
END_TEST

/*
 * The top bit set without a leading 0x00, as Net-SNMP reads it: Counter64
 * octets are an unsigned number; the 32-bit types sign-extend and wrap
 * modulo 2^32, within -2^31..-1.
 */
START_TEST(ber_unsigned_negative_encodings)
{
	static const uint8_t ff[] = { 0xff };
	static const uint8_t ffff[] = { 0xff, 0xff };
	static const uint8_t x80[] = { 0x80 };
	static const uint8_t fffe[] = { 0xff, 0xff, 0xff, 0xfe };
	static const uint8_t min32[] = { 0x80, 0x00, 0x00, 0x00 };
	static const uint8_t below[] = { 0xff, 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t c64[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff };
	uint64_t	 u;
	uint32_t	 w;

	ck_assert_int_eq(ber_decode_uint32(ff, 1, &w), 0);
	ck_assert_uint_eq(w, UINT32_MAX);
	ck_assert_int_eq(ber_decode_uint32(x80, 1, &w), 0);
	ck_assert_uint_eq(w, 4294967168u);
	ck_assert_int_eq(ber_decode_uint32(fffe, 4, &w), 0);
	ck_assert_uint_eq(w, 4294967294u);
	ck_assert_int_eq(ber_decode_uint32(min32, 4, &w), 0);
	ck_assert_uint_eq(w, 2147483648u);
	/* -2^31-1: no 32-bit field holds it. */
	ck_assert_int_eq(ber_decode_uint32(below, 5, &w), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_int_eq(ber_decode_uint(ff, 1, &u), 0);
	ck_assert_uint_eq(u, 255);
	ck_assert_int_eq(ber_decode_uint(ffff, 2, &u), 0);
	ck_assert_uint_eq(u, 65535);
	ck_assert_int_eq(ber_decode_uint(c64, 8, &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
}
END_TEST

/* Still refused: no octets, more than the bound, values past the type. */
START_TEST(ber_reject_integer_too_long_or_large)
{
	static const uint8_t z10[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x01 };
	static const uint8_t i65[] = { 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00 };
	static const uint8_t u65[] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00 };
	static const uint8_t u33[] = { 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	    0x00 };
	int64_t		 v;
	uint64_t	 u;
	uint32_t	 w;

	ck_assert_int_eq(ber_decode_int(z10, 0, &v), -1);
	ck_assert_int_eq(ber_decode_uint(z10, 0, &u), -1);
	ck_assert_int_eq(ber_decode_uint32(z10, 0, &w), -1);
	/* 1 in 10 octets: past SNMPMGR_MAX_BER_INT_OCTETS. */
	ck_assert_int_eq(ber_decode_int(z10, 10, &v), -1);
	ck_assert_int_eq(ber_decode_uint(z10, 10, &u), -1);
	ck_assert_int_eq(ber_decode_uint32(z10, 10, &w), -1);
	ck_assert_int_eq(ber_decode_int(z10 + 1, 9, &v), 0);
	ck_assert_int_eq(v, 1);
	/* 2^63 signed, 2^64 unsigned, 2^32 for 32 bits. */
	ck_assert_int_eq(ber_decode_int(i65, 9, &v), -1);
	ck_assert_int_eq(ber_decode_uint(i65, 9, &u), 0);
	ck_assert_uint_eq(u, 1ull << 63);
	ck_assert_int_eq(ber_decode_uint(u65, 9, &u), -1);
	ck_assert_int_eq(ber_decode_uint32(u33, 7, &w), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
}
END_TEST

START_TEST(ber_integer_ranges)
{
	/* INTEGER 2^31 does not fit int32; 2^32 does not fit uint32. */
	static const uint8_t i31[] = { 0x02, 0x05, 0x00, 0x80, 0x00, 0x00,
	    0x00 };
	static const uint8_t u32[] = { 0x41, 0x05, 0x00, 0xff, 0xff, 0xff,
	    0xff };
	static const uint8_t u33[] = { 0x41, 0x05, 0x01, 0x00, 0x00, 0x00,
	    0x00 };
	static const uint8_t c64[] = { 0x46, 0x09, 0x00, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t c65[] = { 0x46, 0x09, 0x01, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t i9[] = { 0x02, 0x09, 0x00, 0x80, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00 };
	struct ber	 b;
	int32_t		 i;
	int64_t		 l;
	uint32_t	 u;
	uint64_t	 q;

	ber_init(&b, i31, sizeof(i31));
	ck_assert_int_eq(ber_read_int32(&b, 0x02, &i), -1);
	ber_init(&b, i31, sizeof(i31));
	ck_assert_int_eq(ber_read_int64(&b, 0x02, &l), 0);
	ck_assert_int_eq(l, 2147483648LL);
	ber_init(&b, u32, sizeof(u32));
	ck_assert_int_eq(ber_read_uint32(&b, 0x41, &u), 0);
	ck_assert_uint_eq(u, UINT32_MAX);
	ber_init(&b, u33, sizeof(u33));
	ck_assert_int_eq(ber_read_uint32(&b, 0x41, &u), -1);
	ber_init(&b, c64, sizeof(c64));
	ck_assert_int_eq(ber_read_uint64(&b, 0x46, &q), 0);
	ck_assert_uint_eq(q, UINT64_MAX);
	ber_init(&b, c65, sizeof(c65));
	ck_assert_int_eq(ber_read_uint64(&b, 0x46, &q), -1);
	ber_init(&b, i9, sizeof(i9));
	ck_assert_int_eq(ber_read_int64(&b, 0x02, &l), -1);
	/* Wrong tag leaves the cursor where it was. */
	ber_init(&b, u32, sizeof(u32));
	ck_assert_int_eq(ber_read_uint32(&b, 0x42, &u), -1);
	ck_assert_uint_eq(ber_offset(&b), 0);
}
END_TEST

START_TEST(ber_reject_deep_nesting)
{
	uint8_t		 p[2 * (SNMPMGR_MAX_BER_DEPTH + 1)];
	struct ber	 b[SNMPMGR_MAX_BER_DEPTH + 2];
	size_t		 i, n = sizeof(p) / 2;

	/* SNMPMGR_MAX_BER_DEPTH + 1 nested SEQUENCEs, innermost empty. */
	for (i = 0; i < n; i++) {
		p[2 * i] = 0x30;
		p[2 * i + 1] = (uint8_t)(2 * (n - i - 1));
	}
	ber_init(&b[0], p, sizeof(p));
	for (i = 0; i < SNMPMGR_MAX_BER_DEPTH; i++)
		ck_assert_int_eq(ber_enter(&b[i], 0x30, &b[i + 1]), 0);
	snmpmgr_clearerr();
	ck_assert_int_eq(ber_enter(&b[i], 0x30, &b[i + 1]), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_DEFECTIVE);
	ck_assert_ptr_nonnull(strstr(snmpmgr_lasterr_detail(), "nesting"));
}
END_TEST

START_TEST(ber_enter_requires_constructed_and_end)
{
	static const uint8_t p[] = { 0x30, 0x05, 0x02, 0x01, 0x05, 0x05,
	    0x00, 0xff };
	static const uint8_t prim[] = { 0x04, 0x00 };
	struct ber	 b, s;
	struct ber_tlv	 t;
	int32_t		 v;

	ber_init(&b, p, 6);
	ck_assert_int_eq(ber_enter(&b, 0x30, &s), -1);	/* length 5 > 4 */
	ber_init(&b, p, sizeof(p));
	ck_assert_int_eq(ber_enter(&b, 0x30, &s), 0);
	ck_assert_int_eq(ber_read_int32(&s, 0x02, &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(ber_expect_end(&s, "test"), -1);
	ck_assert_int_eq(ber_read_null(&s, 0x05), 0);
	ck_assert_int_eq(ber_expect_end(&s, "test"), 0);
	ck_assert_uint_eq(ber_left(&b), 1);
	ber_init(&b, prim, sizeof(prim));
	ck_assert_int_eq(ber_read_tlv(&b, &t), 0);
	ck_assert_int_eq(ber_enter_tlv(&b, &t, &s), -1);
}
END_TEST

START_TEST(ber_reject_null_with_content)
{
	static const uint8_t p[] = { 0x05, 0x01, 0x00 };
	struct ber	 b;

	ber_init(&b, p, sizeof(p));
	ck_assert_int_eq(ber_read_null(&b, 0x05), -1);
}
END_TEST

START_TEST(ber_write_minimal_integers)
{
	static const struct {
		int64_t		 v;
		size_t		 n;
		uint8_t		 c[9];
	} iv[] = {
		{ 0, 1, { 0x00 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x00, 0x80 } },
		{ -1, 1, { 0xff } },
		{ -128, 1, { 0x80 } },
		{ -129, 2, { 0xff, 0x7f } },
		{ INT32_MAX, 4, { 0x7f, 0xff, 0xff, 0xff } },
		{ INT32_MIN, 4, { 0x80, 0x00, 0x00, 0x00 } },
		{ INT64_MIN, 8, { 0x80 } },
	};
	uint8_t		 buf[16];
	struct ber_wr	 w;
	struct ber	 b;
	int64_t		 back;
	size_t		 i;

	for (i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
		ber_wr_init(&w, buf, sizeof(buf));
		ck_assert_int_eq(ber_wr_int(&w, 0x02, iv[i].v), 0);
		ck_assert_uint_eq(ber_wr_len(&w), iv[i].n + 2);
		ck_assert_int_eq(ber_wr_data(&w)[1], iv[i].n);
		ck_assert_mem_eq(ber_wr_data(&w) + 2, iv[i].c, iv[i].n);
		ber_init(&b, ber_wr_data(&w), ber_wr_len(&w));
		ck_assert_int_eq(ber_read_int64(&b, 0x02, &back), 0);
		ck_assert_int_eq(back, iv[i].v);
	}
}
END_TEST

START_TEST(ber_write_minimal_unsigned)
{
	static const struct {
		uint64_t	 v;
		size_t		 n;
	} uv[] = {
		{ 0, 1 }, { 127, 1 }, { 128, 2 }, { 255, 2 }, { 32767, 2 },
		{ 32768, 3 }, { 2147483647, 4 }, { 2147483648u, 5 },
		{ UINT32_MAX, 5 }, { INT64_MAX, 8 }, { UINT64_MAX, 9 },
	};
	uint8_t		 buf[16];
	struct ber_wr	 w;
	struct ber	 b;
	uint64_t	 back;
	size_t		 i;

	for (i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
		ber_wr_init(&w, buf, sizeof(buf));
		ck_assert_int_eq(ber_wr_uint(&w, 0x46, uv[i].v), 0);
		ck_assert_uint_eq(ber_wr_len(&w), uv[i].n + 2);
		ber_init(&b, ber_wr_data(&w), ber_wr_len(&w));
		ck_assert_int_eq(ber_read_uint64(&b, 0x46, &back), 0);
		ck_assert_uint_eq(back, uv[i].v);
	}
}
END_TEST

START_TEST(ber_write_lengths_and_overflow)
{
	static uint8_t	 buf[70000], big[66000];
	struct ber_wr	 w;
	struct ber	 b;
	const uint8_t	*d;
	size_t		 n, sizes[] = { 0, 127, 128, 255, 256, 65535, 65536 };
	size_t		 hdr[] = { 2, 2, 3, 3, 4, 4, 5 }, i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ber_wr_init(&w, buf, sizeof(buf));
		ck_assert_int_eq(ber_wr_octets(&w, 0x04, big, sizes[i], NULL),
		    0);
		ck_assert_uint_eq(ber_wr_len(&w), sizes[i] + hdr[i]);
		ber_init(&b, ber_wr_data(&w), ber_wr_len(&w));
		ck_assert_int_eq(ber_read_octets(&b, 0x04, &d, &n), 0);
		ck_assert_uint_eq(n, sizes[i]);
	}
	ber_wr_init(&w, buf, 4);
	snmpmgr_clearerr();
	ck_assert_int_eq(ber_wr_octets(&w, 0x04, "abc", 3, NULL), -1);
	ck_assert_int_eq(snmpmgr_lasterr(), SNMPMGR_ERR_MSG_TOO_LONG);
	ber_wr_init(&w, buf, 5);
	ck_assert_int_eq(ber_wr_octets(&w, 0x04, "abc", 3, NULL), 0);
	ck_assert_int_eq(ber_wr_null(&w, 0x05), -1);
}
END_TEST

START_TEST(ber_write_content_pointer_survives_prepends)
{
	uint8_t		 buf[64];
	struct ber_wr	 w;
	uint8_t		*digest;
	size_t		 mark, off;

	/* Like a zeroed msgAuthenticationParameters inside a SEQUENCE. */
	ber_wr_init(&w, buf, sizeof(buf));
	mark = ber_wr_len(&w);
	ck_assert_int_eq(ber_wr_octets(&w, 0x04, NULL, 12, &digest), 0);
	ck_assert_int_eq(ber_wr_int(&w, 0x02, 7), 0);
	ck_assert_int_eq(ber_wr_close(&w, 0x30, mark), 0);
	off = (size_t)(digest - ber_wr_data(&w));
	ck_assert_uint_eq(off, 2 + 3 + 2);
	memset(digest, 0xab, 12);
	ck_assert_int_eq(ber_wr_data(&w)[0], 0x30);
	ck_assert_int_eq(ber_wr_data(&w)[1], 17);
	ck_assert_int_eq(ber_wr_data(&w)[off - 2], 0x04);
	ck_assert_int_eq(ber_wr_data(&w)[off + 11], 0xab);
}
END_TEST

START_TEST(ber_oid_element_round_trip)
{
	uint8_t		 buf[SNMPMGR_MAX_OID_LEN * 5 + 8];
	struct ber_wr	 w;
	struct ber	 b;
	struct oid	 o, back;

	ck_assert_int_eq(oid_parse_str(&o, "1.3.6.1.4.1.8072.3.2.10"), 0);
	ber_wr_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(ber_wr_oid(&w, &o), 0);
	ber_init(&b, ber_wr_data(&w), ber_wr_len(&w));
	ck_assert_int_eq(ber_read_oid(&b, &back), 0);
	ck_assert_int_eq(oid_cmp(&o, &back), 0);
	ck_assert(ber_at_end(&b));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ber");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, ber_reject_indefinite_length);
	tcase_add_test(tc, ber_reject_length_past_end);
	tcase_add_test(tc, ber_reject_overlong_length_field);
	tcase_add_test(tc, ber_accept_nonminimal_length);
	tcase_add_test(tc, ber_reject_multibyte_tag);
	tcase_add_test(tc, ber_reject_empty_and_truncated_header);
	tcase_add_test(tc, ber_accept_nonminimal_integer);
	tcase_add_test(tc, ber_unsigned_negative_encodings);
	tcase_add_test(tc, ber_reject_integer_too_long_or_large);
	tcase_add_test(tc, ber_integer_ranges);
	tcase_add_test(tc, ber_reject_deep_nesting);
	tcase_add_test(tc, ber_enter_requires_constructed_and_end);
	tcase_add_test(tc, ber_reject_null_with_content);
	tcase_add_test(tc, ber_write_minimal_integers);
	tcase_add_test(tc, ber_write_minimal_unsigned);
	tcase_add_test(tc, ber_write_lengths_and_overflow);
	tcase_add_test(tc, ber_write_content_pointer_survives_prepends);
	tcase_add_test(tc, ber_oid_element_round_trip);
	suite_add_tcase(s, tc);
	return check_run(s);
}
