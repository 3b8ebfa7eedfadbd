/*
 * Tests for sections kept between ticks (collector/jkeep.c): values updated in place while the
 * shape holds, and the same text as a fresh build when it changes (keys, types, array lengths),
 * also across frames whose arena is reset every tick.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector/frame.h"
#include "collector/jkeep.h"
#include "unit_suites.h"

/* One tick's content of a test section; a negative count leaves the key out. */
struct shape {
	double usr;
	int with_sys;	 /* 1: "sys" is a real, 0: null, -1: absent */
	int nrows;	 /* rows in "rows" */
	const char *tag; /* "tag" string, NULL: null */
};

static void
write_section(json_t *section, const struct shape *sh)
{
	struct jk_obj c, r;
	struct jk_arr a;
	json_t *row;

	jk_begin(&c, section);
	jk_real(&c, "usr", sh->usr);
	if (sh->with_sys == 1)
		jk_real(&c, "sys", sh->usr / 2);
	else if (sh->with_sys == 0)
		jk_null(&c, "sys");
	jk_arr_begin(&a, jk_arr(&c, "rows"));
	for (int i = 0; i < sh->nrows; i++) {
		row = jk_arr_obj(&a);
		jk_begin(&r, row);
		jk_int(&r, "i", i);
		jk_str(&r, "name", i % 2 ? "odd" : "even");
		jk_bool(&r, "first", i == 0);
		ck_assert_int_eq(jk_end(&r), 0);
	}
	ck_assert_int_eq(jk_arr_end(&a), 0);
	jk_str(&c, "tag", sh->tag);
	ck_assert_int_eq(jk_end(&c), 0);
}

/* The same section built from nothing with plain jansson calls. */
static json_t *
fresh_section(const struct shape *sh)
{
	json_t *o = json_object(), *rows = json_array(), *row;

	json_object_set_new(o, "usr", json_real(sh->usr));
	if (sh->with_sys == 1)
		json_object_set_new(o, "sys", json_real(sh->usr / 2));
	else if (sh->with_sys == 0)
		json_object_set_new(o, "sys", json_null());
	for (int i = 0; i < sh->nrows; i++) {
		row = json_object();
		json_object_set_new(row, "i", json_integer(i));
		json_object_set_new(row, "name", json_string(i % 2 ? "odd" : "even"));
		json_object_set_new(row, "first", json_boolean(i == 0));
		json_array_append_new(rows, row);
	}
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "tag", sh->tag ? json_string(sh->tag) : json_null());
	return o;
}

static const struct shape shapes[] = {
	{1.5, 1, 2, "a"},  {2.5, 1, 2, "a"}, /* steady */
	{3.5, 0, 2, "a"},		     /* sys becomes null */
	{4.5, -1, 3, "b"},		     /* sys goes, a row appears, the tag changes */
	{5.5, 1, 1, NULL},		     /* sys comes back, rows go, the tag is null */
	{6.5, 1, 0, "c"},  {7.5, 1, 4, "c"}, {8.5, 1, 4, "c"},
};

static void
check_same_text(json_t *kept, const struct shape *sh)
{
	json_t *fresh = fresh_section(sh);
	char *a = json_dumps(kept, JSON_COMPACT), *b = json_dumps(fresh, JSON_COMPACT);

	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	json_decref(fresh);
}

START_TEST(test_jkeep_matches_a_fresh_build_through_shape_changes)
{
	json_t *kept = jk_new_object();

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		write_section(kept, &shapes[i]);
		check_same_text(kept, &shapes[i]);
	}
	json_decref(kept);
}
END_TEST

START_TEST(test_jkeep_updates_numbers_in_place)
{
	json_t *kept = jk_new_object(), *usr, *row1;
	struct shape a = {1.25, 1, 3, "x"}, b = {9.75, 1, 3, "x"};

	write_section(kept, &a);
	usr = json_object_get(kept, "usr");
	row1 = json_array_get(json_object_get(kept, "rows"), 1);
	write_section(kept, &b);
	/* The very same values, now holding the new numbers. */
	ck_assert_ptr_eq(json_object_get(kept, "usr"), usr);
	ck_assert_ptr_eq(json_array_get(json_object_get(kept, "rows"), 1), row1);
	ck_assert_double_eq(json_real_value(usr), 9.75);
	check_same_text(kept, &b);
	json_decref(kept);
}
END_TEST

static size_t allocs;

static void *
counting_malloc(size_t n)
{
	allocs++;
	return malloc(n);
}

/* A number that turns null and back, tick after tick, is kept aside: no malloc once built. */
START_TEST(test_jkeep_null_and_back_does_not_allocate)
{
	struct shape with = {1.0, 1, 2, "t"}, without = {2.0, 0, 2, "t"};
	json_t *kept;

	json_set_alloc_funcs(counting_malloc, free);
	kept = jk_new_object();
	write_section(kept, &with);
	write_section(kept, &without);
	allocs = 0;
	for (int i = 0; i < 10; i++) {
		write_section(kept, &with);
		check_same_text(kept, &with); /* json_dumps and the fresh section allocate */
		allocs = 0;
		write_section(kept, &without);
		ck_assert_uint_eq(allocs, 0);
		write_section(kept, &with);
		ck_assert_uint_eq(allocs, 0);
	}
	json_decref(kept);
	json_set_alloc_funcs(malloc, free);
}
END_TEST

/* A kept section lives outside the frame's arena: resets and other values do not touch it. */
START_TEST(test_jkeep_section_outlives_the_frame_arena)
{
	struct frame *f = frame_new(4096, 4096);
	struct tick tick = {1, 1763779644123456, 5000000000, 1.0};
	json_t *kept = NULL, *root, *expect;
	const char *text;
	size_t len, n;
	char want[2048];

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		root = frame_begin(f, "h", &tick);
		/* Per-tick values fill the arena around the kept section. */
		json_object_set_new(root, "pad", json_string("some per-tick text"));
		if (kept == NULL)
			kept = jk_new_object();
		write_section(kept, &shapes[i]);
		ck_assert_int_eq(json_object_set(root, "s", kept), 0);
		ck_assert_int_eq(frame_finish(f, &text, &len), 0);
		expect = fresh_section(&shapes[i]);
		/* Made in the arena, like any per-tick value: no free() of its text. */
		n = json_dumpb(expect, want, sizeof(want) - 1,
			       JSON_COMPACT | JSON_REAL_PRECISION(10));
		want[n] = '\0';
		ck_assert_ptr_nonnull(strstr(text, want));
		json_decref(expect);
		tick.seq++;
	}
	frame_free(f);
	ck_assert_int_eq(kept->refcount, 1);
	json_decref(kept);
}
END_TEST

Suite *
jkeep_suite(void)
{
	Suite *s = suite_create("jkeep");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_jkeep_matches_a_fresh_build_through_shape_changes);
	tcase_add_test(tc, test_jkeep_updates_numbers_in_place);
	tcase_add_test(tc, test_jkeep_section_outlives_the_frame_arena);
	tcase_add_test(tc, test_jkeep_null_and_back_does_not_allocate);
	suite_add_tcase(s, tc);
	return s;
}
