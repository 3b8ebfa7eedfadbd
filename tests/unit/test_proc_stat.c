/* Tests for the cpu source: /proc/stat parsing per kernel, percentages, hot-plug, resets. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/sources/proc_stat.h"
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

static void
parse_fixture(const char *rel, struct proc_stat *st, struct proc_stat_cpu *cores, size_t cap)
{
	size_t len;
	char *text = read_fixture(rel, &len);

	memset(st, 0, sizeof(*st));
	st->cores = cores;
	st->cap = cap;
	ck_assert_int_eq(proc_stat_parse(text, len, st), 0);
	free(text);
}

static const struct {
	const char *file;
	int ncols;
	size_t ncpu;
	int cpus[8];
	uint64_t total[PROC_STAT_NSTATES];
	uint64_t activity[PROC_STAT_NACTIVITY];
} stat_cases[] = {
	{"linux-6.18/stat",
	 10,
	 2,
	 {0, 1},
	 {16815, 320, 10414, 142868, 1061, 0, 246, 177, 0, 0},
	 {1209647, 546836, 27376, 1, 0}},
	{"linux-4.19/stat",
	 10,
	 7,
	 {0, 1, 2, 3, 4, 6, 7},
	 {2799410, 7671, 677626, 56972508, 34897, 0, 15382, 0, 825400, 1690},
	 {3922671201, 1984512201, 9123311, 3, 0}},
	{"linux-2.6.18/stat",
	 8,
	 2,
	 {0, 1},
	 {242413, 4312, 79135, 19833348, 24342, 2199, 6308, 0},
	 {512345678, 312345612, 412345, 1, 0}},
};

START_TEST(test_proc_stat_parses_each_kernel)
{
	struct proc_stat_cpu cores[16];
	struct proc_stat st;

	parse_fixture(stat_cases[_i].file, &st, cores, 16);
	ck_assert_int_eq(st.ncols, stat_cases[_i].ncols);
	ck_assert_uint_eq(st.n, stat_cases[_i].ncpu);
	ck_assert_uint_eq(st.seen, stat_cases[_i].ncpu);
	ck_assert_int_eq(st.total.cpu, -1);
	for (size_t i = 0; i < st.n; i++)
		ck_assert_int_eq(st.cores[i].cpu, stat_cases[_i].cpus[i]);
	for (int s = 0; s < PROC_STAT_NSTATES; s++)
		ck_assert_uint_eq(st.total.jiffies[s], stat_cases[_i].total[s]);
	ck_assert_uint_eq(st.activity_present, (1u << PROC_STAT_NACTIVITY) - 1);
	for (int a = 0; a < PROC_STAT_NACTIVITY; a++)
		ck_assert_uint_eq(st.activity[a], stat_cases[_i].activity[a]);
}
END_TEST

START_TEST(test_proc_stat_reports_cores_beyond_capacity)
{
	struct proc_stat_cpu cores[2];
	struct proc_stat st;

	parse_fixture("linux-4.19/stat", &st, cores, 2);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_uint_eq(st.seen, 7);
	ck_assert_int_eq(st.cores[1].cpu, 1);
}
END_TEST

START_TEST(test_proc_stat_rejects_malformed)
{
	static const char *const bad[] = {"",
					  "cpu0 1 2 3 4 5\n",
					  "cpu  1 2 3\n",
					  "intr 1 2\nctxt 4\n",
					  "cpu  1 2 3 4\ncpu0 1 2\n",
					  "cpu  1 2 3 4\nctxt\n",
					  "cpu  1 2 3 4\nprocs_running x\n"};
	struct proc_stat_cpu cores[4];
	struct proc_stat st = {.cores = cores, .cap = 4};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proc_stat_parse(bad[i], strlen(bad[i]), &st) == -1, "accepted '%s'",
			      bad[i]);
}
END_TEST

START_TEST(test_proc_stat_percent_from_recorded_samples)
{
	struct proc_stat_cpu c0[4], c1[4];
	struct proc_stat a, b;
	double pct[PROC_STAT_NSTATES], sum = 0;

	parse_fixture("linux-6.18/stat", &a, c0, 4);
	parse_fixture("linux-6.18/stat.next", &b, c1, 4);
	/* Deltas: usr 64, sys 32, idle 96, iowait 4, softirq 1: 197 jiffies over ~1 s, 2 CPUs. */
	ck_assert(proc_stat_percent(&a.total, &b.total, pct));
	ck_assert_double_eq_tol(pct[PROC_STAT_USR], 100.0 * 64 / 197, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_SYS], 100.0 * 32 / 197, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_IDLE], 100.0 * 96 / 197, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_IOWAIT], 100.0 * 4 / 197, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_SOFTIRQ], 100.0 * 1 / 197, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_NICE], 0.0, 1e-9);
	for (int s = 0; s < PROC_STAT_NSTATES; s++)
		sum += pct[s];
	ck_assert_double_eq_tol(sum, 100.0, 1e-9);
}
END_TEST

START_TEST(test_proc_stat_percent_takes_guest_out_of_usr)
{
	struct proc_stat_cpu prev = {0, {1000, 500, 100, 5000, 0, 0, 0, 0, 300, 100}};
	struct proc_stat_cpu cur = prev;
	double pct[PROC_STAT_NSTATES], sum = 0;

	cur.jiffies[PROC_STAT_USR] += 100;
	cur.jiffies[PROC_STAT_GUEST] += 60;
	cur.jiffies[PROC_STAT_NICE] += 20;
	cur.jiffies[PROC_STAT_GUEST_NICE] += 20;
	cur.jiffies[PROC_STAT_IDLE] += 80;
	/* 200 jiffies elapsed: usr 40 of its own, guest 60, guest_nice 20, nice 0, idle 80. */
	ck_assert(proc_stat_percent(&prev, &cur, pct));
	ck_assert_double_eq_tol(pct[PROC_STAT_USR], 20.0, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_GUEST], 30.0, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_NICE], 0.0, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_GUEST_NICE], 10.0, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_IDLE], 40.0, 1e-9);
	for (int s = 0; s < PROC_STAT_NSTATES; s++)
		sum += pct[s];
	ck_assert_double_eq_tol(sum, 100.0, 1e-9);
}
END_TEST

START_TEST(test_proc_stat_percent_ignores_counters_going_backwards)
{
	struct proc_stat_cpu prev = {0, {1000, 0, 100, 5000, 400, 0, 0, 0, 0, 0}};
	struct proc_stat_cpu cur = prev;
	double pct[PROC_STAT_NSTATES] = {-1};

	ck_assert(!proc_stat_percent(&prev, &cur, pct));
	ck_assert_double_eq(pct[0], -1);
	cur.jiffies[PROC_STAT_IOWAIT] -= 50; /* NO_HZ iowait going backwards */
	ck_assert(!proc_stat_percent(&prev, &cur, pct));
	cur.jiffies[PROC_STAT_IDLE] += 100;
	ck_assert(proc_stat_percent(&prev, &cur, pct));
	ck_assert_double_eq_tol(pct[PROC_STAT_IDLE], 100.0, 1e-9);
	ck_assert_double_eq_tol(pct[PROC_STAT_IOWAIT], 0.0, 1e-9);
}
END_TEST

/* Writes a /proc/stat with `ncpu` CPUs (skipping `skip`) whose counters are `base` + cpu. */
static void
write_stat(const char *path, int ncpu, int skip, uint64_t base)
{
	FILE *f = fopen(path, "w");

	ck_assert(f != NULL);
	fprintf(f, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", (unsigned long long)(base * ncpu),
		(unsigned long long)(base * ncpu), (unsigned long long)(2 * base * ncpu));
	for (int i = 0; i < ncpu; i++) {
		if (i != skip)
			fprintf(f, "cpu%d %llu 0 %llu %llu 0 0 0 0 0 0\n", i,
				(unsigned long long)(base + (uint64_t)i), (unsigned long long)base,
				(unsigned long long)(2 * base));
	}
	fprintf(f, "ctxt 1\n");
	fclose(f);
}

static json_t *
sample_and_encode(void *st, uint64_t seq)
{
	struct tick tick = {seq, 0, 0, 1.0};
	json_t *frame = json_object();

	ck_assert_int_eq(proc_stat_source.sample(st, &tick), 0);
	ck_assert_int_eq(proc_stat_source.encode(st, frame), 0);
	return frame;
}

START_TEST(test_proc_stat_source_survives_cpus_coming_and_going)
{
	char dir[] = "/tmp/perfwatch-test-procXXXXXX", path[128], why[256];
	struct source_env env = {dir, "/nonexistent-sys", NULL};
	json_t *frame, *cores, *total;
	void *st;

	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/stat", dir);
	write_stat(path, 2, -1, 1000);
	st = proc_stat_source.init(&env, why, sizeof(why));
	ck_assert_msg(st != NULL, "%s", why);
	frame = sample_and_encode(st, 0);
	ck_assert_ptr_null(json_object_get(frame, "cpu")); /* baseline: no rates yet */
	json_decref(frame);

	/* 40 CPUs appear (more than the arrays were sized for), cpu1 goes offline. */
	write_stat(path, 40, 1, 2000);
	frame = sample_and_encode(st, 1);
	cores = json_object_get(json_object_get(frame, "cpu"), "cores");
	ck_assert_uint_eq(json_array_size(cores), 1); /* only cpu0 has two samples */
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(cores, 0), "cpu")), 0);
	total = json_object_get(json_object_get(frame, "cpu"), "total");
	ck_assert_double_eq_tol(json_real_value(json_object_get(total, "idle")), 50.0, 0.01);
	json_decref(frame);

	write_stat(path, 40, 1, 3000);
	frame = sample_and_encode(st, 2);
	cores = json_object_get(json_object_get(frame, "cpu"), "cores");
	ck_assert_uint_eq(json_array_size(cores), 39);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(cores, 1), "cpu")), 2);
	json_decref(frame);

	/* Back to 2 CPUs with counters reset (e.g. a restored VM): no crash, no negative values. */
	write_stat(path, 2, -1, 10);
	frame = sample_and_encode(st, 3);
	ck_assert_ptr_null(json_object_get(frame, "cpu"));
	json_decref(frame);

	proc_stat_source.fini(st);
	unlink(path);
	rmdir(dir);
}
END_TEST

static void
copy_fixture(const char *rel, const char *path)
{
	size_t len;
	char *text = read_fixture(rel, &len);
	FILE *f = fopen(path, "w");

	ck_assert(f != NULL);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	free(text);
}

START_TEST(test_proc_stat_source_activity_rates)
{
	char dir[] = "/tmp/perfwatch-test-procXXXXXX", path[128], why[256];
	struct source_env env = {dir, "/nonexistent-sys", NULL};
	struct tick tick = {0, 0, 0, 0};
	json_t *frame, *total;
	void *st;

	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/stat", dir);
	copy_fixture("linux-6.18/stat", path);
	st = proc_stat_source.init(&env, why, sizeof(why));
	ck_assert_msg(st != NULL, "%s", why);
	ck_assert_int_eq(proc_stat_source.sample(st, &tick), 0);
	copy_fixture("linux-6.18/stat.next", path);
	tick.seq = 1;
	tick.dt = 0.5;
	ck_assert_int_eq(proc_stat_source.sample(st, &tick), 0);
	frame = json_object();
	ck_assert_int_eq(proc_stat_source.encode(st, frame), 0);
	total = json_object_get(json_object_get(frame, "cpu"), "total");
	/* ctxt +1810, intr +1059, processes +84 over 0.5 s; procs_running 4, procs_blocked 0. */
	ck_assert_double_eq_tol(json_real_value(json_object_get(total, "ctxt_per_s")), 3620, 1e-9);
	ck_assert_double_eq_tol(json_real_value(json_object_get(total, "intr_per_s")), 2118, 1e-9);
	ck_assert_double_eq_tol(json_real_value(json_object_get(total, "forks_per_s")), 168, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(total, "procs_running")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(total, "procs_blocked")), 0);
	ck_assert_ptr_null(json_object_get(
		json_array_get(json_object_get(json_object_get(frame, "cpu"), "cores"), 0),
		"ctxt_per_s"));
	json_decref(frame);

	/* Back to the earlier file: jiffies and counters went backwards, nothing is made up. */
	copy_fixture("linux-6.18/stat", path);
	tick.seq = 2;
	ck_assert_int_eq(proc_stat_source.sample(st, &tick), 0);
	frame = json_object();
	ck_assert_int_eq(proc_stat_source.encode(st, frame), 0);
	ck_assert_ptr_null(json_object_get(frame, "cpu"));
	json_decref(frame);

	proc_stat_source.fini(st);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_proc_stat_source_unavailable_says_why)
{
	struct source_env env = {"/nonexistent-proc", "/nonexistent-sys", NULL};
	char why[256] = "";

	ck_assert_ptr_null(proc_stat_source.init(&env, why, sizeof(why)));
	ck_assert_msg(strstr(why, "/nonexistent-proc/stat") != NULL, "why: %s", why);
}
END_TEST

Suite *
proc_stat_suite(void)
{
	Suite *s = suite_create("proc_stat");
	TCase *tc = tcase_create("core");
	int ncases = (int)(sizeof(stat_cases) / sizeof(stat_cases[0]));

	tcase_add_loop_test(tc, test_proc_stat_parses_each_kernel, 0, ncases);
	tcase_add_test(tc, test_proc_stat_reports_cores_beyond_capacity);
	tcase_add_test(tc, test_proc_stat_rejects_malformed);
	tcase_add_test(tc, test_proc_stat_percent_from_recorded_samples);
	tcase_add_test(tc, test_proc_stat_percent_takes_guest_out_of_usr);
	tcase_add_test(tc, test_proc_stat_percent_ignores_counters_going_backwards);
	tcase_add_test(tc, test_proc_stat_source_survives_cpus_coming_and_going);
	tcase_add_test(tc, test_proc_stat_source_activity_rates);
	tcase_add_test(tc, test_proc_stat_source_unavailable_says_why);
	suite_add_tcase(s, tc);
	return s;
}
