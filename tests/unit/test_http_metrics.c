/* Tests for GET /api/v1/metrics's body: every catalogue row, with section, unit, kind, labels. */
#include <check.h>
#include <string.h>

#include "apiserver/http_metrics.h"
#include "common/metrics.h"
#include "unit_suites.h"

static json_t *
find(json_t *list, const char *name)
{
	size_t i;
	json_t *m;

	json_array_foreach(list, i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
			return m;
	}
	return NULL;
}

START_TEST(test_http_metrics_lists_the_catalogue)
{
	json_t *body = http_metrics_body();
	json_t *list = json_object_get(body, "metrics");
	json_t *m;

	ck_assert_uint_eq(json_array_size(list), metrics_count());
	ck_assert_uint_gt(metrics_count(), 100);
	m = find(list, "net.rx_bytes_per_s");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(json_string_value(json_object_get(m, "section")), "net");
	ck_assert_str_eq(json_string_value(json_object_get(m, "unit")), "B/s");
	ck_assert_str_eq(json_string_value(json_object_get(m, "kind")), "rate");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(m, "labels"), 0)),
			 "iface");
	m = find(list, "vmstat.oom_kills");
	ck_assert_str_eq(json_string_value(json_object_get(m, "kind")), "gauge");
	ck_assert_uint_eq(json_array_size(json_object_get(m, "labels")), 0);
	m = find(list, "pressure.some_stall_pct");
	ck_assert_str_eq(json_string_value(json_object_get(m, "unit")), "%");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(m, "labels"), 0)),
			 "resource");
	ck_assert_ptr_nonnull(find(list, "cpu.usr"));
	ck_assert_ptr_null(find(list, "cpu"));
	json_decref(body);
}
END_TEST

Suite *
http_metrics_suite(void)
{
	Suite *s = suite_create("http_metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_http_metrics_lists_the_catalogue);
	suite_add_tcase(s, tc);
	return s;
}
