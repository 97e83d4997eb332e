/*
 * check_hex.c - the one hex codec: its rules (prefix, colons, blanks),
 * strictness (bad digits, odd counts, overflow) and bounds.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/hex.h"
#include "check_main.h"

static int
dec(const char *s, int flags, uint8_t *out, size_t max, size_t *n)
{
	return hex_decode_str(s, flags, out, max, n);
}

START_TEST(hex_decodes_plain_digits_both_cases)
{
	uint8_t	 o[8];
	size_t	 n;

	ck_assert_int_eq(dec("80001F88aB", 0, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(o, "\x80\x00\x1f\x88\xab", 5);
}
END_TEST

START_TEST(hex_prefix_only_when_allowed)
{
	uint8_t	 o[8];
	size_t	 n;

	ck_assert_int_eq(dec("0x0102", HEX_PREFIX, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(dec("0X0102", HEX_PREFIX, o, sizeof(o), &n), 0);
	ck_assert_int_eq(dec("0x0102", 0, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec("0x", HEX_PREFIX, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(hex_colons_only_between_octets)
{
	uint8_t	 o[8];
	size_t	 n;

	ck_assert_int_eq(dec("80:00:1f", HEX_COLONS, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(o, "\x80\x00\x1f", 3);
	ck_assert_int_eq(dec("80:00:1f", 0, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec(":80", HEX_COLONS, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec("80:", HEX_COLONS, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec("80::00", HEX_COLONS, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec("8:000", HEX_COLONS, o, sizeof(o), &n), -1);
}
END_TEST

START_TEST(hex_blanks_anywhere_when_allowed)
{
	uint8_t	 o[8];
	size_t	 n;

	ck_assert_int_eq(dec(" 0 1\t02 ", HEX_SPACES, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(o, "\x01\x02", 2);
	ck_assert_int_eq(dec("01 02", 0, o, sizeof(o), &n), -1);
}
END_TEST

START_TEST(hex_rejects_odd_count_bad_digit_and_overflow)
{
	uint8_t	 o[2];
	size_t	 n = 99;

	ck_assert_int_eq(dec("012", 0, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec("0g", 0, o, sizeof(o), &n), -1);
	ck_assert_int_eq(dec("010203", 0, o, sizeof(o), &n), -1);
	ck_assert_uint_eq(n, 99);	/* untouched on failure */
	ck_assert_int_eq(dec("0102", 0, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(hex_decode_stops_at_the_given_length)
{
	uint8_t	 o[4];
	size_t	 n;

	/* Not NUL-terminated: only the first 4 bytes are read. */
	ck_assert_int_eq(hex_decode("0102zz", 4, 0, o, sizeof(o), &n), 0);
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(hex_encode_lowercase_and_bounded)
{
	char	 buf[8];

	ck_assert_uint_eq(hex_encode((const uint8_t *)"\xab\x01", 2, buf,
	    sizeof(buf)), 4);
	ck_assert_str_eq(buf, "ab01");
	/* Room for 3 octets only: cut at an octet boundary. */
	ck_assert_uint_eq(hex_encode((const uint8_t *)"\x01\x02\x03\x04\x05",
	    5, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "010203");
	ck_assert_uint_eq(hex_encode((const uint8_t *)"\x01", 1, buf, 0), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("hex");
	TCase	*tc = tcase_create("codec");

	tcase_add_test(tc, hex_decodes_plain_digits_both_cases);
	tcase_add_test(tc, hex_prefix_only_when_allowed);
	tcase_add_test(tc, hex_colons_only_between_octets);
	tcase_add_test(tc, hex_blanks_anywhere_when_allowed);
	tcase_add_test(tc, hex_rejects_odd_count_bad_digit_and_overflow);
	tcase_add_test(tc, hex_decode_stops_at_the_given_length);
	tcase_add_test(tc, hex_encode_lowercase_and_bounded);
	suite_add_tcase(s, tc);
	return check_run(s);
}
