/*
 * Per-source cost for bench/os_overhead.sh: runs every source of the collector's table once per
 * interval, as the collector does, and reports the thread CPU time of each source's sample() and
 * encode() per tick, so the collector's total can be split by source; encode() writes into the
 * collector's frame (collector/frame.c, its arena), and the last row is frame_finish(), the
 * serialisation of the whole frame by jansson. sample() counts from the first tick with rates
 * (k = 1), encode() and the frame from the next one: the first section of a run is built once
 * (and the perf section carries the capability report, then once an hour), not every tick.
 * usage: os_sources [TICKS] [FRAME_FILE]: FRAME_FILE receives the last frame's text (the input
 * of bench/frame_dump.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/collector_conf.h"
#include "collector/frame.h"
#include "collector/source_table.h"

struct os_sources_row {
	void *state;
	double sample_us, encode_us;
};

static double
os_sources_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	char *cargv[] = {argv[0], NULL};
	struct collector_conf conf;
	struct source_env env;
	struct os_sources_row *rows = calloc(source_table_len, sizeof(*rows));
	struct timespec next;
	char why[512], err[256];
	long ticks = argc > 1 ? atol(argv[1]) : 30;
	double t, begin_us = 0, finish_us = 0;
	struct frame *f;
	const char *text;
	size_t len = 0;

	memset(&conf, 0, sizeof(conf));
	if (rows == NULL || ticks < 2 ||
	    collector_conf_load(&conf, 1, cargv, err, sizeof(err)) != 0) {
		fprintf(stderr, "usage: os_sources [TICKS >= 2] [FRAME_FILE] %s\n", err);
		return 2;
	}
	env = (struct source_env){conf.procfs, conf.sysfs, &conf};
	for (size_t i = 0; i < source_table_len; i++) {
		rows[i].state = source_table[i]->init(&env, why, sizeof(why));
		if (rows[i].state == NULL)
			printf("%-10s unavailable: %s\n", source_table[i]->name, why);
	}
	f = frame_new(256 * 1024, 64 * 1024); /* as collector.c */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long k = 0; k <= ticks; k++) {
		struct tick tick = {(uint64_t)k, 0, 0, k == 0 ? 0.0 : 1.0};
		json_t *frame;

		t = os_sources_cpu_us();
		frame = frame_begin(f, "bench", &tick);
		if (k > 1)
			begin_us += os_sources_cpu_us() - t;

		for (size_t i = 0; i < source_table_len; i++) {
			if (rows[i].state == NULL)
				continue;
			t = os_sources_cpu_us();
			(void)source_table[i]->sample(rows[i].state, &tick);
			if (k > 0)
				rows[i].sample_us += os_sources_cpu_us() - t;
			t = os_sources_cpu_us();
			(void)source_table[i]->encode(rows[i].state, frame);
			if (k > 1)
				rows[i].encode_us += os_sources_cpu_us() - t;
		}
		t = os_sources_cpu_us();
		if (frame_finish(f, &text, &len) != 0)
			return 1;
		if (k > 1)
			finish_us += os_sources_cpu_us() - t;
		next.tv_sec++;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	if (argc > 2) {
		FILE *out = fopen(argv[2], "w");

		if (out == NULL || fwrite(text, 1, len, out) != len || fclose(out) != 0) {
			perror(argv[2]);
			return 1;
		}
	}
	frame_free(f);
	printf("| source | sample() µs per tick | encode() µs per tick |\n|---|---|---|\n");
	for (size_t i = 0; i < source_table_len; i++) {
		if (rows[i].state == NULL)
			continue;
		printf("| %s | %.1f | %.1f |\n", source_table[i]->name,
		       rows[i].sample_us / (double)ticks, rows[i].encode_us / (double)(ticks - 1));
		source_table[i]->fini(rows[i].state);
	}
	printf("| frame_begin() / frame_finish() (%zu bytes) | %.1f | %.1f |\n", len,
	       begin_us / (double)(ticks - 1), finish_us / (double)(ticks - 1));
	collector_conf_free(&conf);
	free(rows);
	return 0;
}
