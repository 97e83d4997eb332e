/*
 * check_main.h - the one main() body every tests/check_*.c shares.
 *
 * A test program builds its Suite and ends main() with
 *
 *	return check_run(s);
 *
 * which runs every test case of s (forked, as Check does by default),
 * prints Check's summary, frees s and gives the exit status automake's
 * test driver reads: 0 when all passed, 1 otherwise.
 */
#ifndef SNMPMGR_CHECK_MAIN_H
#define SNMPMGR_CHECK_MAIN_H

#include <stdlib.h>

#include <check.h>

static inline int
check_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* SNMPMGR_CHECK_MAIN_H */
