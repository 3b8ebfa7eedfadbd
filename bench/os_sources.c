/*
 * Per-source cost for bench/os_overhead.sh: runs every source of the collector's table once per
 * interval, as the collector does, and reports the thread CPU time of each source's sample() and
 * encode() per tick, so the collector's total can be split by source.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/collector_conf.h"
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
	double t;

	memset(&conf, 0, sizeof(conf));
	if (rows == NULL || ticks < 2 ||
	    collector_conf_load(&conf, 1, cargv, err, sizeof(err)) != 0) {
		fprintf(stderr, "usage: os_sources [TICKS >= 2] %s\n", err);
		return 2;
	}
	env = (struct source_env){conf.procfs, conf.sysfs, &conf};
	for (size_t i = 0; i < source_table_len; i++) {
		rows[i].state = source_table[i]->init(&env, why, sizeof(why));
		if (rows[i].state == NULL)
			printf("%-10s unavailable: %s\n", source_table[i]->name, why);
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long k = 0; k <= ticks; k++) {
		struct tick tick = {(uint64_t)k, 0, 0, k == 0 ? 0.0 : 1.0};
		json_t *frame = json_object();

		for (size_t i = 0; i < source_table_len; i++) {
			if (rows[i].state == NULL)
				continue;
			t = os_sources_cpu_us();
			(void)source_table[i]->sample(rows[i].state, &tick);
			if (k > 0)
				rows[i].sample_us += os_sources_cpu_us() - t;
			t = os_sources_cpu_us();
			(void)source_table[i]->encode(rows[i].state, frame);
			if (k > 0)
				rows[i].encode_us += os_sources_cpu_us() - t;
		}
		json_decref(frame);
		next.tv_sec++;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("| source | sample() µs per tick | encode() µs per tick |\n|---|---|---|\n");
	for (size_t i = 0; i < source_table_len; i++) {
		if (rows[i].state == NULL)
			continue;
		printf("| %s | %.1f | %.1f |\n", source_table[i]->name,
		       rows[i].sample_us / (double)ticks, rows[i].encode_us / (double)ticks);
		source_table[i]->fini(rows[i].state);
	}
	collector_conf_free(&conf);
	free(rows);
	return 0;
}
