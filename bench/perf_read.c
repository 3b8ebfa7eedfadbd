/*
 * Benchmark of the perf source's per-tick cost: times perf_source.sample() (every open counter
 * group on every CPU read with one read(2) each, plus the aggregation) at a real interval, and
 * the bare read(2) of one software group per CPU from a thread pinned to CPU 0 (local vs remote).
 */
#include <linux/perf_event.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "collector/sources/perf.h"
#include "common/clock.h"

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
bench_thread_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Opens the four software events of the perf source as one group on cpu; returns the leader. */
static int
bench_open_sw_group(int cpu)
{
	static const uint64_t cfg[] = {PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_CPU_MIGRATIONS,
				       PERF_COUNT_SW_PAGE_FAULTS, PERF_COUNT_SW_TASK_CLOCK};
	int leader = -1;

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct perf_event_attr a;
		int fd;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_SOFTWARE;
		a.config = cfg[i];
		a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID |
				PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
		fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, leader, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			return -1;
		if (leader < 0)
			leader = fd;
	}
	return leader;
}

/* Times one read(2) of each CPU's group per tick from CPU 0; prints medians per CPU. */
static void
bench_raw_reads(long ncpus, int ticks, double interval_ms)
{
	uint64_t buf[3 + 2 * 4];
	double *t = calloc((size_t)(ncpus * ticks), sizeof(*t));
	int *fd = calloc((size_t)ncpus, sizeof(*fd));
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity");
	for (long c = 0; c < ncpus; c++)
		fd[c] = bench_open_sw_group((int)c);
	for (int k = 0; k < ticks; k++) {
		for (long c = 0; c < ncpus; c++) {
			uint64_t t0 = clock_mono_ns();

			if (fd[c] < 0 || read(fd[c], buf, sizeof(buf)) <= 0)
				continue;
			t[c * ticks + k] = (double)(clock_mono_ns() - t0) / 1e3;
		}
		usleep((useconds_t)(interval_ms * 1000));
	}
	for (long c = 0; c < ncpus; c++) {
		qsort(t + c * ticks, (size_t)ticks, sizeof(*t), bench_cmp);
		printf("bare group read from CPU 0 of CPU %ld (%s): µs median %.2f p90 %.2f\n", c,
		       c == 0 ? "local" : "remote, an IPI", t[c * ticks + ticks / 2],
		       t[c * ticks + ticks * 9 / 10]);
		if (fd[c] >= 0)
			close(fd[c]);
	}
	free(t);
	free(fd);
}

int
main(int argc, char **argv)
{
	struct source_env env = {"/proc", "/sys", NULL};
	int ticks = argc > 1 ? atoi(argv[1]) : 60;
	double interval_ms = argc > 2 ? atof(argv[2]) : 1000.0;
	bool show_frame = argc > 3 && strcmp(argv[3], "--frame") == 0;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	double *wall, *cpu;
	uint64_t next, t0;
	char why[512];
	void *st;

	if (ticks < 2 || interval_ms <= 0) {
		fprintf(stderr, "usage: perf_read [ticks>=2] [interval_ms>0] [--frame]\n");
		return 2;
	}
	st = perf_source.init(&env, why, sizeof(why));
	if (st == NULL) {
		fprintf(stderr, "perf source unavailable: %s\n", why);
		return 1;
	}
	wall = calloc((size_t)ticks, sizeof(*wall));
	cpu = calloc((size_t)ticks, sizeof(*cpu));
	next = clock_mono_ns();
	for (int i = 0; i < ticks; i++) {
		struct tick tick = {(uint64_t)i, clock_wall_us(), clock_mono_ns(), 0};
		struct timespec ts;
		double c0 = bench_thread_us();

		t0 = clock_mono_ns();
		if (perf_source.sample(st, &tick) != 0)
			fprintf(stderr, "sample %d failed\n", i);
		wall[i] = (double)(clock_mono_ns() - t0) / 1e3;
		cpu[i] = bench_thread_us() - c0;
		next += (uint64_t)(interval_ms * 1e6);
		ts = clock_ns_to_timespec(next);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	if (show_frame) {
		json_t *frame = json_object();
		char *text;

		if (perf_source.encode(st, frame) == 0) {
			text = json_dumps(json_object_get(frame, "perf"),
					  JSON_INDENT(1) | JSON_REAL_PRECISION(6));
			printf("last frame section:\n%s\n", text ? text : "(none)");
			free(text);
		}
		json_decref(frame);
	}
	qsort(wall, (size_t)ticks, sizeof(*wall), bench_cmp);
	qsort(cpu, (size_t)ticks, sizeof(*cpu), bench_cmp);
	printf("%d ticks every %.0f ms on %ld CPUs: sample() wall µs median %.2f p90 %.2f max %.2f "
	       "(per CPU: median %.2f p90 %.2f); thread CPU µs median %.2f p90 %.2f\n",
	       ticks, interval_ms, ncpus, wall[ticks / 2], wall[ticks * 9 / 10], wall[ticks - 1],
	       wall[ticks / 2] / (double)ncpus, wall[ticks * 9 / 10] / (double)ncpus,
	       cpu[ticks / 2], cpu[ticks * 9 / 10]);
	free(wall);
	free(cpu);
	perf_source.fini(st);
	bench_raw_reads(ncpus, ticks, interval_ms);
	return 0;
}
