/*
 * check_errors.c - the numbered errors keep the reference's numbers and
 * texts, and the last-error record carries a detail.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "check_main.h"

START_TEST(errors_numbers_have_reference_texts)
{
	ck_assert_str_eq(snmpmgr_strerror(201), "timeout");
	ck_assert_str_eq(snmpmgr_strerror(305), "unsupported SNMP version");
	ck_assert_str_eq(snmpmgr_strerror(333), "returned OID out of range");
	ck_assert_str_eq(snmpmgr_strerror(276), "handshake error");
	ck_assert_str_eq(snmpmgr_strerror(12345), "unknown error");
}
END_TEST

/* 116 is the remote port zero under use_connection and 117 changing
 * use_connection while active, as the reference numbers them (they were
 * swapped once). */
START_TEST(errors_116_117_in_reference_order)
{
	ck_assert_int_eq(SNMPMGR_ERR_PORT_ZERO_CONNECTION, 116);
	ck_assert_str_eq(snmpmgr_strerror(116),
	    "remote port zero is not allowed with use_connection");
	ck_assert_str_eq(snmpmgr_strerror(117),
	    "cannot change socket option while active");
	ck_assert_str_eq(snmpmgr_strerror(SNMPMGR_ERR_SOCKOPT_ACTIVE),
	    "cannot change socket option while active");
}
END_TEST

START_TEST(errors_lasterr_keeps_detail)
{
	snmpmgr_seterr(317, "length %d past end", 9);
	ck_assert_int_eq(snmpmgr_lasterr(), 317);
	ck_assert_str_eq(snmpmgr_lasterr_detail(), "length 9 past end");
	snmpmgr_seterr(201, NULL);
	ck_assert_str_eq(snmpmgr_lasterr_detail(), "timeout");
	snmpmgr_clearerr();
	ck_assert_int_eq(snmpmgr_lasterr(), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, errors_numbers_have_reference_texts);
	tcase_add_test(tc, errors_lasterr_keeps_detail);
	tcase_add_test(tc, errors_116_117_in_reference_order);
	suite_add_tcase(s, tc);
	return check_run(s);
}
