/*
 * What jansson's serialisation of a frame costs and what in the frame makes it: loads each JSON
 * file named (a frame written by bench/os_sources.c, or a variant of it) and dumps it with the
 * collector's flags (collector/frame.c) in a hot loop; prints the median of 9 rounds in µs per
 * dump, the files alternated round by round. The collector dumps once a second with cold caches, so
 * its figure is higher (see bench/README-os.md); the ratios between the files are what this is for.
 * usage: frame_dump FILE...
 * build: cc -std=c11 -D_GNU_SOURCE -O2 bench/frame_dump.c -o frame_dump -ljansson
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FRAME_DUMP_ROUNDS 9
#define FRAME_DUMP_LOOPS  2000
#define FRAME_DUMP_FLAGS  (JSON_COMPACT | JSON_REAL_PRECISION(10))

static double
frame_dump_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
frame_dump_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static char buf[256 * 1024];
	int nfiles = argc - 1;
	json_t **frames = calloc((size_t)(nfiles > 0 ? nfiles : 1), sizeof(*frames));
	double *us = calloc((size_t)(nfiles > 0 ? nfiles : 1) * FRAME_DUMP_ROUNDS, sizeof(*us));
	size_t *len = calloc((size_t)(nfiles > 0 ? nfiles : 1), sizeof(*len));

	if (nfiles < 1 || frames == NULL || us == NULL || len == NULL) {
		fprintf(stderr, "usage: frame_dump FILE...\n");
		return 2;
	}
	for (int i = 0; i < nfiles; i++) {
		json_error_t error;

		frames[i] = json_load_file(argv[i + 1], 0, &error);
		if (frames[i] == NULL) {
			fprintf(stderr, "%s:%d: %s\n", argv[i + 1], error.line, error.text);
			return 1;
		}
	}
	/* Rounds outside, files inside: a busy machine slows every file's rounds alike. */
	for (int r = 0; r < FRAME_DUMP_ROUNDS; r++) {
		for (int i = 0; i < nfiles; i++) {
			double t = frame_dump_now_us();

			for (int k = 0; k < FRAME_DUMP_LOOPS; k++)
				len[i] = json_dumpb(frames[i], buf, sizeof(buf), FRAME_DUMP_FLAGS);
			us[i * FRAME_DUMP_ROUNDS + r] =
				(frame_dump_now_us() - t) / FRAME_DUMP_LOOPS;
		}
	}
	for (int i = 0; i < nfiles; i++) {
		double *mine = us + i * FRAME_DUMP_ROUNDS;

		qsort(mine, FRAME_DUMP_ROUNDS, sizeof(*mine), frame_dump_cmp);
		printf("%s: %zu bytes, %.1f us per dump (median of %d rounds of %d, files "
		       "alternated)\n",
		       argv[i + 1], len[i], mine[FRAME_DUMP_ROUNDS / 2], FRAME_DUMP_ROUNDS,
		       FRAME_DUMP_LOOPS);
		json_decref(frames[i]);
	}
	free(frames);
	free(us);
	free(len);
	return 0;
}
