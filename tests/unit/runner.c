/* Runs every Check suite; the suite list is generated from tests/unit/test_*.c by CMake. */
#include <check.h>
#include <stdlib.h>

#include "unit_suites.h"
#include "unit_suites_table.h"

int
main(void)
{
	SRunner *runner = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(unit_suites) / sizeof(unit_suites[0]); i++)
		srunner_add_suite(runner, unit_suites[i]());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
