/* Tests for the mem source: /proc/meminfo parsing per kernel and the frame section. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/proc_meminfo.h"
#include "unit_suites.h"

static char *
read_fixture(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/proc/%s", PERFWATCH_FIXTURES_DIR, rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

#define ABSENT UINT64_MAX

static const struct {
	const char *kernel;
	uint64_t kb[PROC_MEMINFO_SWAP_FREE + 1]; /* ABSENT when the kernel has no such line */
	size_t nkeys;				 /* fields of the 33 the file has */
} mem_cases[] = {
	{"linux-6.18", {24684092, 22975440, 23960988, 10384, 1338228, 0, 0}, 33},
	{"linux-4.19", {32780964, 1874432, 21341228, 702144, 18203376, 8388604, 8211036}, 33},
	{"linux-2.6.18", {4046860, 201232, ABSENT, 312004, 2401128, 2096440, 2096440}, 21},
};

START_TEST(test_proc_meminfo_parses_each_kernel)
{
	char rel[64];
	struct proc_meminfo mem;
	size_t len;
	char *text;

	snprintf(rel, sizeof(rel), "%s/meminfo", mem_cases[_i].kernel);
	text = read_fixture(rel, &len);
	ck_assert_int_eq(proc_meminfo_parse(text, len, &mem), 0);
	for (int f = 0; f <= PROC_MEMINFO_SWAP_FREE; f++) {
		if (mem_cases[_i].kb[f] == ABSENT) {
			ck_assert_msg(!(mem.present & (UINT64_C(1) << f)), "%s present",
				      proc_meminfo_key(f));
			continue;
		}
		ck_assert_msg(mem.present & (UINT64_C(1) << f), "%s missing", proc_meminfo_key(f));
		ck_assert_uint_eq(mem.kb[f], mem_cases[_i].kb[f]);
	}
	free(text);
}
END_TEST

START_TEST(test_proc_meminfo_does_not_confuse_similar_names)
{
	/* SwapCached and "Active(file)" must not be taken for Cached or anything else. */
	static const char text[] = "MemTotal: 100 kB\nSwapCached: 7 kB\nActive(file): 9 kB\n"
				   "Cached: 5 kB\nHugePages_Total:       0\nActive(xyz): 3 kB\n";
	struct proc_meminfo mem;

	ck_assert_int_eq(proc_meminfo_parse(text, strlen(text), &mem), 0);
	ck_assert_uint_eq(mem.kb[PROC_MEMINFO_CACHED], 5);
	ck_assert_uint_eq(mem.kb[proc_meminfo_index("swap_cached_kb")], 7);
	ck_assert_uint_eq(mem.kb[proc_meminfo_index("active_file_kb")], 9);
	ck_assert_uint_eq(mem.kb[proc_meminfo_index("huge_pages_total")], 0);
	ck_assert_uint_eq(__builtin_popcountll(mem.present), 5);
	ck_assert(!(mem.present & (UINT64_C(1) << proc_meminfo_index("active_kb"))));
}
END_TEST

static const struct {
	const char *kernel;
	const char *key;
	uint64_t want; /* ABSENT when the kernel has no such line */
} breakdown_cases[] = {
	{"linux-4.19", "swap_cached_kb", 12044},
	{"linux-4.19", "active_anon_kb", 8403352},
	{"linux-4.19", "inactive_file_kb", 10127804},
	{"linux-4.19", "slab_reclaimable_kb", 978412},
	{"linux-4.19", "slab_unreclaimable_kb", 685820},
	{"linux-4.19", "committed_as_kb", 18733212},
	{"linux-4.19", "anon_huge_kb", 4098048},
	{"linux-4.19", "huge_pages_total", 0},
	{"linux-4.19", "huge_page_size_kb", 2048},
	{"linux-2.6.18", "active_kb", 2101100},
	{"linux-2.6.18", "vmalloc_used_kb", 264012},
	{"linux-2.6.18", "slab_reclaimable_kb", ABSENT},
	{"linux-2.6.18", "shmem_kb", ABSENT},
	{"linux-2.6.18", "active_anon_kb", ABSENT},
};

START_TEST(test_proc_meminfo_breakdown)
{
	char rel[64];
	struct proc_meminfo mem;
	int idx = proc_meminfo_index(breakdown_cases[_i].key);
	size_t len;
	char *text;

	ck_assert_int_ge(idx, 0);
	snprintf(rel, sizeof(rel), "%s/meminfo", breakdown_cases[_i].kernel);
	text = read_fixture(rel, &len);
	ck_assert_int_eq(proc_meminfo_parse(text, len, &mem), 0);
	free(text);
	if (breakdown_cases[_i].want == ABSENT) {
		ck_assert(!(mem.present & (UINT64_C(1) << idx)));
		return;
	}
	ck_assert(mem.present & (UINT64_C(1) << idx));
	ck_assert_uint_eq(mem.kb[idx], breakdown_cases[_i].want);
}
END_TEST

START_TEST(test_proc_meminfo_rejects_malformed)
{
	static const char *const bad[] = {"", "MemFree: 10 kB\n", "MemTotal: lots kB\n",
					  "MemTotal 10 kB\n"};
	struct proc_meminfo mem;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proc_meminfo_parse(bad[i], strlen(bad[i]), &mem) == -1,
			      "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_proc_meminfo_section_leaves_out_missing_fields)
{
	char root[512], why[256];
	struct source_env env = {root, "/nonexistent-sys", NULL};
	struct tick tick = {1, 0, 0, 1.0};
	json_t *frame = json_object(), *mem;
	void *st;

	snprintf(root, sizeof(root), "%s/proc/%s", PERFWATCH_FIXTURES_DIR, mem_cases[_i].kernel);
	st = proc_meminfo_source.init(&env, why, sizeof(why));
	ck_assert_msg(st != NULL, "%s", why);
	ck_assert_int_eq(proc_meminfo_source.sample(st, &tick), 0);
	ck_assert_int_eq(proc_meminfo_source.encode(st, frame), 0);
	mem = json_object_get(frame, "mem");
	ck_assert_ptr_nonnull(mem);
	/* Every field the kernel has, and only those: 33 on 6.18 and 4.19, 21 on 2.6.18. */
	ck_assert_uint_eq(json_object_size(mem), mem_cases[_i].nkeys);
	for (int f = 0; f <= PROC_MEMINFO_SWAP_FREE; f++) {
		json_t *v = json_object_get(mem, proc_meminfo_key(f));

		if (mem_cases[_i].kb[f] == ABSENT) {
			ck_assert_ptr_null(v);
			continue;
		}
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(json_integer_value(v), (json_int_t)mem_cases[_i].kb[f]);
	}
	json_decref(frame);
	proc_meminfo_source.fini(st);
}
END_TEST

Suite *
proc_meminfo_suite(void)
{
	Suite *s = suite_create("proc_meminfo");
	TCase *tc = tcase_create("core");
	int ncases = (int)(sizeof(mem_cases) / sizeof(mem_cases[0]));

	tcase_add_loop_test(tc, test_proc_meminfo_parses_each_kernel, 0, ncases);
	tcase_add_test(tc, test_proc_meminfo_does_not_confuse_similar_names);
	tcase_add_loop_test(tc, test_proc_meminfo_breakdown, 0,
			    (int)(sizeof(breakdown_cases) / sizeof(breakdown_cases[0])));
	tcase_add_test(tc, test_proc_meminfo_rejects_malformed);
	tcase_add_loop_test(tc, test_proc_meminfo_section_leaves_out_missing_fields, 0, ncases);
	suite_add_tcase(s, tc);
	return s;
}
