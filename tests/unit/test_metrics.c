/* Tests for the metric catalogue: every string that reaches SQL text is a plain identifier. */
#include <check.h>
#include <string.h>

#include "common/metrics.h"
#include "unit_suites.h"

START_TEST(test_metrics_rows_are_safe_and_unique)
{
	const struct metric *m;
	const char *dot;

	ck_assert_uint_gt(metrics_count(), 0);
	for (size_t i = 0; i < metrics_count(); i++) {
		m = metrics_at(i);
		ck_assert_msg(metrics_is_identifier(m->table), "%s: bad table", m->name);
		ck_assert_msg(metrics_is_identifier(m->column), "%s: bad column", m->name);
		ck_assert_msg(m->instance_column == NULL ||
				      metrics_is_identifier(m->instance_column),
			      "%s: bad instance column", m->name);
		ck_assert_msg(m->instance_total == NULL || m->instance_column != NULL,
			      "%s: a total instance without an instance column", m->name);
		ck_assert_msg(strlen(m->table) > 8 &&
				      strcmp(m->table + strlen(m->table) - 8, "_samples") == 0,
			      "%s: table is not a *_samples table", m->name);
		dot = strchr(m->name, '.');
		ck_assert_msg(dot != NULL && dot != m->name && dot[1] != '\0',
			      "%s: name is not section.key", m->name);
		ck_assert_ptr_nonnull(m->unit);
		ck_assert_ptr_nonnull(m->description);
		ck_assert_str_ne(metrics_kind_name(m->kind), "unknown");
		ck_assert_ptr_eq(metrics_find(m->name), m);
	}
	ck_assert_ptr_null(metrics_at(metrics_count()));
}
END_TEST

START_TEST(test_metrics_find_and_identifiers)
{
	const struct metric *m = metrics_find("cpu.usr");

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->table, "cpu_samples");
	ck_assert_str_eq(m->instance_total, "-1");
	ck_assert_ptr_null(metrics_find("cpu.USR"));
	ck_assert_ptr_null(metrics_find(""));
	ck_assert(metrics_is_identifier("usr"));
	ck_assert(metrics_is_identifier("_x9"));
	ck_assert(!metrics_is_identifier(""));
	ck_assert(!metrics_is_identifier(NULL));
	ck_assert(!metrics_is_identifier("9x"));
	ck_assert(!metrics_is_identifier("Usr"));
	ck_assert(!metrics_is_identifier("usr;drop"));
	ck_assert(!metrics_is_identifier("a b"));
	ck_assert(!metrics_is_identifier(
		"a234567890123456789012345678901234567890123456789012345678901234"));
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_metrics_rows_are_safe_and_unique);
	tcase_add_test(tc, test_metrics_find_and_identifiers);
	suite_add_tcase(s, tc);
	return s;
}
