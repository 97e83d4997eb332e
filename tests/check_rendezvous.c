/*
 * check_rendezvous.c - session ownership by rendezvous hashing: the same
 * owner whatever the members' order, an even share, and only about 1/N of
 * the sessions moving when a member joins or leaves (and only to or from
 * that member).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "daemon/rendezvous.h"
#include "check_main.h"

#define NKEYS	6000

static char	 keys[NKEYS][32];

static void
make_keys(void)
{
	int	 i;

	for (i = 0; i < NKEYS; i++)
		snprintf(keys[i], sizeof(keys[i]), "router-%d", i);
}

START_TEST(rdv_none_and_one)
{
	const char *const one[] = { "mgr-a" };

	ck_assert_int_eq(rdv_owner(NULL, 0, "r1"), -1);
	ck_assert_int_eq(rdv_owner(one, 1, "r1"), 0);
}
END_TEST

START_TEST(rdv_order_does_not_matter)
{
	const char *const a[] = { "mgr-a", "mgr-b", "mgr-c" };
	const char *const b[] = { "mgr-c", "mgr-a", "mgr-b" };
	int	 i;

	make_keys();
	for (i = 0; i < NKEYS; i++)
		ck_assert_str_eq(a[rdv_owner(a, 3, keys[i])],
		    b[rdv_owner(b, 3, keys[i])]);
	/* and the same call twice gives the same answer */
	ck_assert_uint_eq(rdv_weight("mgr-a", "r1"), rdv_weight("mgr-a", "r1"));
	ck_assert_uint_ne(rdv_weight("mgr-a", "r1"), rdv_weight("mgr-a", "r2"));
	ck_assert_uint_ne(rdv_weight("mgr-a", "r1"), rdv_weight("mgr-b", "r1"));
}
END_TEST

START_TEST(rdv_even_share)
{
	const char *const m[] = { "mgr-a", "mgr-b", "mgr-c" };
	int	 cnt[3] = { 0, 0, 0 }, i;

	make_keys();
	for (i = 0; i < NKEYS; i++)
		cnt[rdv_owner(m, 3, keys[i])]++;
	for (i = 0; i < 3; i++) {
		ck_assert_int_gt(cnt[i], NKEYS * 28 / 100);
		ck_assert_int_lt(cnt[i], NKEYS * 39 / 100);
	}
}
END_TEST

START_TEST(rdv_join_moves_one_nth)
{
	const char *const m4[] = { "mgr-a", "mgr-b", "mgr-c", "mgr-d" };
	long	 before, after;
	int	 moved = 0, i;

	make_keys();
	for (i = 0; i < NKEYS; i++) {
		before = rdv_owner(m4, 3, keys[i]);
		after = rdv_owner(m4, 4, keys[i]);
		if (before != after) {
			moved++;
			/* only to the new member */
			ck_assert_int_eq(after, 3);
		}
	}
	ck_assert_int_gt(moved, NKEYS * 20 / 100);
	ck_assert_int_lt(moved, NKEYS * 30 / 100);
}
END_TEST

START_TEST(rdv_leave_moves_only_its_share)
{
	const char *const m3[] = { "mgr-a", "mgr-b", "mgr-c" };
	const char *const m2[] = { "mgr-a", "mgr-c" };
	long	 before, after;
	int	 moved = 0, i;

	make_keys();
	for (i = 0; i < NKEYS; i++) {
		before = rdv_owner(m3, 3, keys[i]);
		after = rdv_owner(m2, 2, keys[i]);
		if (strcmp(m3[before], m2[after]) != 0) {
			moved++;
			/* only the leaver's sessions move */
			ck_assert_str_eq(m3[before], "mgr-b");
		} else
			ck_assert_str_ne(m3[before], "mgr-b");
	}
	ck_assert_int_gt(moved, NKEYS * 28 / 100);
	ck_assert_int_lt(moved, NKEYS * 39 / 100);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rendezvous");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, rdv_none_and_one);
	tcase_add_test(tc, rdv_order_does_not_matter);
	tcase_add_test(tc, rdv_even_share);
	tcase_add_test(tc, rdv_join_moves_one_nth);
	tcase_add_test(tc, rdv_leave_moves_only_its_share);
	suite_add_tcase(s, tc);
	return check_run(s);
}
