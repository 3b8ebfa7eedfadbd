/*
 * Benchmark of the perf source's per-tick cost: times perf_source.sample() (every open counter
 * group on every CPU read with one read(2) each, plus the aggregation) at a real interval, and
 * the bare read(2) of one software group per CPU from a thread pinned to CPU 0 (local vs remote).
 * --ring: the alternative evaluated for issue 4 — a cpu-clock sampling leader per CPU group whose
 * PERF_SAMPLE_READ records the kernel writes into a mmap ring on the counted CPU — timed side by
 * side with read(2): the user-space cost of consuming the rings per tick. --sample-cost: the
 * kernel's cost of taking one such sample (time stolen from a pinned busy loop on CPU 1).
 */
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

#define BENCH_NSW 4
#define BENCH_READ_FORMAT                                                                          \
	(PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |                     \
	 PERF_FORMAT_TOTAL_TIME_RUNNING)

static const uint64_t bench_sw[BENCH_NSW] = {PERF_COUNT_SW_CONTEXT_SWITCHES,
					     PERF_COUNT_SW_CPU_MIGRATIONS,
					     PERF_COUNT_SW_PAGE_FAULTS, PERF_COUNT_SW_TASK_CLOCK};

/*
 * Opens the four software events of the perf source as one group on cpu; returns the leader.
 * With period_ns > 0 the group gets a cpu-clock leader sampling every period_ns on
 * CLOCK_MONOTONIC, its records carrying the time and (with sample_read) the group's values.
 */
static int
bench_open_group(int cpu, uint64_t period_ns, bool sample_read)
{
	int leader = -1;

	for (int i = period_ns ? -1 : 0; i < BENCH_NSW; i++) {
		struct perf_event_attr a;
		int fd;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_SOFTWARE;
		a.config = i < 0 ? PERF_COUNT_SW_CPU_CLOCK : bench_sw[i];
		a.read_format = BENCH_READ_FORMAT;
		if (period_ns) {
			/* Every member of a group must be on the leader's clock. */
			a.use_clockid = 1;
			a.clockid = CLOCK_MONOTONIC;
		}
		if (i < 0) {
			a.sample_period = period_ns;
			a.sample_type = PERF_SAMPLE_TIME | (sample_read ? PERF_SAMPLE_READ : 0);
			a.wakeup_events = 1u << 30;
			a.disabled = 1;
		}
		fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, leader, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			perror("perf_event_open");
			return -1;
		}
		if (leader < 0)
			leader = fd;
	}
	return leader;
}

static int
bench_open_sw_group(int cpu)
{
	return bench_open_group(cpu, 0, false);
}

/* One CPU's sampling group and its ring (1 metadata page + data pages). */
struct bench_ring {
	int leader;
	struct perf_event_mmap_page *meta;
	const unsigned char *data;
	uint64_t size, last_time, values[1 + BENCH_NSW];
	unsigned samples, lost;
};

static int
bench_ring_open(struct bench_ring *r, int cpu, uint64_t period_ns, unsigned data_pages,
		bool sample_read)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	memset(r, 0, sizeof(*r));
	r->leader = bench_open_group(cpu, period_ns, sample_read);
	if (r->leader < 0)
		return -1;
	r->size = (uint64_t)data_pages * (uint64_t)page;
	p = mmap(NULL, (size_t)page + r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->leader, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	r->meta = p;
	r->data = (const unsigned char *)p + page;
	return 0;
}

/* Copies len bytes at ring offset pos (wrapping) into out. */
static void
bench_ring_copy(const struct bench_ring *r, uint64_t pos, void *out, size_t len)
{
	size_t off = (size_t)(pos % r->size), first = len;

	if (off + len > r->size)
		first = (size_t)r->size - off;
	memcpy(out, r->data + off, first);
	memcpy((unsigned char *)out + first, r->data, len - first);
}

/* Consumes every record, keeping the newest sample's time and values; true if there was one. */
static bool
bench_ring_consume(struct bench_ring *r)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail, rec[4 + 2 * (1 + BENCH_NSW)];
	bool got = false;

	while (tail < head) {
		struct perf_event_header h;

		bench_ring_copy(r, tail, &h, sizeof(h));
		if (h.size < sizeof(h))
			break;
		if (h.type == PERF_RECORD_SAMPLE && h.size - sizeof(h) <= sizeof(rec)) {
			/* time, nr, enabled, running, {value, id} × nr */
			bench_ring_copy(r, tail + sizeof(h), rec, h.size - sizeof(h));
			r->last_time = rec[0];
			for (uint64_t i = 0; i < rec[1] && i < 1 + BENCH_NSW; i++)
				r->values[i] = rec[4 + 2 * i];
			r->samples++;
			got = true;
		} else if (h.type == PERF_RECORD_LOST) {
			r->lost++;
		}
		tail += h.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	return got;
}

static void
bench_sleep_until(uint64_t ns)
{
	struct timespec ts = clock_ns_to_timespec(ns);

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * Per CPU: a sampling group (period = the interval, enabled `lead` before a tick so its
 * samples land just before each tick) and a plain group; every tick, from CPU 0, consumes the
 * rings and reads the plain groups with read(2), in alternating order. Prints medians.
 */
static int
bench_ring_vs_read(long ncpus, int ticks, double interval_ms)
{
	uint64_t period = (uint64_t)(interval_ms * 1e6), lead = period / 50, buf[3 + 2 * BENCH_NSW];
	struct bench_ring *r = calloc((size_t)ncpus, sizeof(*r));
	int *plain = calloc((size_t)ncpus, sizeof(*plain)), missing = 0;
	double *tr = calloc((size_t)(ncpus * ticks), sizeof(double));
	double *tp = calloc((size_t)(ncpus * ticks), sizeof(double));
	double *cr = calloc((size_t)ticks, sizeof(double)),
	       *cp = calloc((size_t)ticks, sizeof(double));
	uint64_t deadline;
	int64_t oldest = 0, newest = INT64_MIN;
	cpu_set_t set;

	if (lead > 2000000)
		lead = 2000000;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity");
	for (long c = 0; c < ncpus; c++) {
		plain[c] = bench_open_sw_group((int)c);
		if (plain[c] < 0 || bench_ring_open(&r[c], (int)c, period, 1, true) != 0)
			return 1;
	}
	deadline = clock_mono_ns() + period;
	bench_sleep_until(deadline - lead);
	for (long c = 0; c < ncpus; c++)
		ioctl(r[c].leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
	for (int k = 0; k < ticks; k++) {
		deadline += period;
		bench_sleep_until(deadline);
		for (int pass = 0; pass < 2; pass++) {
			bool ring = (pass == 0) == (k % 2 == 0);
			double c0 = bench_thread_us();

			for (long c = 0; c < ncpus; c++) {
				uint64_t t0 = clock_mono_ns();

				if (!ring) {
					if (read(plain[c], buf, sizeof(buf)) <= 0)
						perror("read");
					tp[c * ticks + k] = (double)(clock_mono_ns() - t0) / 1e3;
					continue;
				}
				if (!bench_ring_consume(&r[c])) {
					missing++;
				} else {
					/* Negative: the sample was taken after the tick's deadline.
					 */
					int64_t age = (int64_t)(deadline - r[c].last_time);

					oldest = age > oldest ? age : oldest;
					newest = age < newest || newest == INT64_MIN ? age : newest;
				}
				tr[c * ticks + k] = (double)(clock_mono_ns() - t0) / 1e3;
			}
			(ring ? cr : cp)[k] = bench_thread_us() - c0;
		}
	}
	for (long c = 0; c < ncpus; c++) {
		qsort(tr + c * ticks, (size_t)ticks, sizeof(double), bench_cmp);
		qsort(tp + c * ticks, (size_t)ticks, sizeof(double), bench_cmp);
		printf("CPU %ld: ring consume µs median %.2f p90 %.2f | read(2) %s median %.2f p90 "
		       "%.2f | samples %u, lost records %u\n",
		       c, tr[c * ticks + ticks / 2], tr[c * ticks + ticks * 9 / 10],
		       c == 0 ? "local" : "remote", tp[c * ticks + ticks / 2],
		       tp[c * ticks + ticks * 9 / 10], r[c].samples, r[c].lost);
		close(plain[c]);
	}
	qsort(cr, (size_t)ticks, sizeof(double), bench_cmp);
	qsort(cp, (size_t)ticks, sizeof(double), bench_cmp);
	printf("%d ticks every %.0f ms, %ld CPUs, thread CPU µs per tick median: rings %.2f "
	       "(%.2f per CPU), read(2) %.2f (%.2f per CPU); CPU-ticks without a new sample %d; "
	       "sample age at its tick %.3f to %.3f ms (enabled %.3f ms before a tick)\n",
	       ticks, interval_ms, ncpus, cr[ticks / 2], cr[ticks / 2] / (double)ncpus,
	       cp[ticks / 2], cp[ticks / 2] / (double)ncpus, missing, (double)newest / 1e6,
	       (double)oldest / 1e6, (double)lead / 1e6);
	return 0;
}

/* The busy loop of --sample-cost: sums the gaps (> 300 ns, < 1 ms) in its own clock reads. */
static _Atomic uint64_t bench_stolen_ns;
static atomic_int bench_stop;

static void *
bench_busy(void *arg)
{
	uint64_t prev = clock_mono_ns(), stolen = 0;
	cpu_set_t set;
	unsigned k = 0;

	(void)arg;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load_explicit(&bench_stop, memory_order_relaxed)) {
		uint64_t t = clock_mono_ns(), gap = t - prev;

		prev = t;
		/* Longer gaps are another task running here: not the kernel's cost of a sample. */
		if (gap > 300 && gap < 1000000)
			stolen += gap;
		if ((++k & 255) == 0)
			atomic_store_explicit(&bench_stolen_ns, stolen, memory_order_relaxed);
	}
	return NULL;
}

/*
 * Kernel cost per event on CPU 1 while a busy loop runs there: windows alternate on/off; the
 * extra time stolen from the loop while on, divided by the events. mode 0: sampling group with
 * PERF_SAMPLE_READ; 1: sampling leader with PERF_SAMPLE_TIME only; 2: read(2) of CPU 1's plain
 * group from CPU 0 (the IPI it costs CPU 1) at the same period.
 */
static int
bench_sample_cost(int mode, double period_us, int windows, double window_ms)
{
	static const char *const names[] = {"sample (TIME|READ, group of 5)", "sample (TIME only)",
					    "remote read(2) from CPU 0"};
	uint64_t period = (uint64_t)(period_us * 1e3), buf[3 + 2 * (1 + BENCH_NSW)];
	double *per = calloc((size_t)windows, sizeof(double));
	struct bench_ring r;
	pthread_t busy;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (mode == 2 ? (r.leader = bench_open_sw_group(1)) < 0
		      : bench_ring_open(&r, 1, period, 256, mode == 0) != 0)
		return 1;
	atomic_store(&bench_stop, 0);
	pthread_create(&busy, NULL, bench_busy, NULL);
	usleep(100000);
	for (int w = 0; w < windows; w++) {
		double stolen[2];
		uint64_t events = 0;

		for (int phase = 0; phase < 2; phase++) {
			bool on = (phase == 0) == (w % 2 == 1);
			uint64_t t0 = clock_mono_ns(), end = t0 + (uint64_t)(window_ms * 1e6);
			uint64_t s0 = atomic_load(&bench_stolen_ns);

			if (on && mode != 2) {
				ioctl(r.leader, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
				ioctl(r.leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
			}
			while (clock_mono_ns() < end) {
				if (on && mode == 2) {
					uint64_t next = clock_mono_ns() + period;

					events += read(r.leader, buf, sizeof(buf)) > 0;
					while (clock_mono_ns() < next)
						;
					continue;
				}
				usleep(2000);
				if (mode != 2)
					(void)bench_ring_consume(&r);
			}
			if (on && mode != 2) {
				ioctl(r.leader, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
				/* The cpu-clock leader counted the enabled ns: one sample per
				 * period. */
				if (read(r.leader, buf, sizeof(buf)) > 0)
					events = buf[3] / period;
			}
			stolen[on] = (double)(atomic_load(&bench_stolen_ns) - s0) /
				     (double)(clock_mono_ns() - t0);
		}
		per[w] = (stolen[1] - stolen[0]) * window_ms * 1e3 / (double)(events ? events : 1);
	}
	atomic_store(&bench_stop, 1);
	pthread_join(busy, NULL);
	qsort(per, (size_t)windows, sizeof(double), bench_cmp);
	printf("kernel cost on CPU 1 of one %s every %.0f µs, %d × %.0f ms on/off: µs stolen per "
	       "event median %.2f (p25 %.2f, p75 %.2f)\n",
	       names[mode], period_us, windows, window_ms, per[windows / 2], per[windows / 4],
	       per[windows * 3 / 4]);
	free(per);
	return 0;
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
	int ticks;
	double interval_ms;
	bool show_frame;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	double *wall, *cpu;
	uint64_t next, t0;
	char why[512];
	void *st;

	if (argc > 1 && strcmp(argv[1], "--ring") == 0 && argc == 4 && atoi(argv[2]) >= 2)
		return bench_ring_vs_read(ncpus, atoi(argv[2]), atof(argv[3]));
	if (argc > 1 && strcmp(argv[1], "--sample-cost") == 0 && argc == 5 && ncpus >= 2) {
		int rc = 0;

		for (int mode = 0; mode < 3; mode++)
			rc |= bench_sample_cost(mode, atof(argv[2]), atoi(argv[3]), atof(argv[4]));
		return rc;
	}
	ticks = argc > 1 ? atoi(argv[1]) : 60;
	interval_ms = argc > 2 ? atof(argv[2]) : 1000.0;
	show_frame = argc > 3 && strcmp(argv[3], "--frame") == 0;
	if (ticks < 2 || interval_ms <= 0) {
		fprintf(stderr, "usage: perf_read [ticks>=2] [interval_ms>0] [--frame]\n"
				"       perf_read --ring TICKS INTERVAL_MS\n"
				"       perf_read --sample-cost PERIOD_US WINDOWS WINDOW_MS\n");
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
