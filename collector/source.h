/*
 * The interface every collector source implements. A source reads one part of the OS into its
 * own state (sample) and writes that state as one section of the tick's JSON frame (encode).
 * collector.c drives every source from one table; adding a source is one .c and one table row.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCE_H
#define PERFWATCH_COLLECTOR_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/compat.h"

struct collector_conf;

/* Where a source finds the OS: "/proc" and "/sys", or a host's mounted at another root. */
struct source_env {
	const char *procfs;
	const char *sysfs;
	const struct collector_conf *conf; /* the whole configuration, for source-specific keys */
};

/* One sampling instant, shared by every source in the tick. */
struct tick {
	uint64_t seq;	  /* 0 for the baseline sample taken at start */
	int64_t wall_us;  /* CLOCK_REALTIME at the start of the tick, µs since the epoch */
	uint64_t mono_ns; /* CLOCK_MONOTONIC at the start of the tick */
	double dt;	  /* real seconds since the previous tick's sample; 0 on the baseline */
};

/*
 * init: discovers devices and opens fds; returns the source's state, or NULL with a human
 *       sentence in `why` when the source is unavailable on this machine (not an error).
 * sample: re-reads the open fds into the state; returns 0 or -1 (logged, rate limited).
 *         Must not allocate in the steady state.
 * encode: adds the source's section to `frame` (key = name); may add nothing when it has no
 *         data yet (rates need two samples). The frame's jansson allocator is a per-tick arena.
 * fini: closes fds and frees the state; fini(NULL) is a no-op.
 */
struct source_ops {
	const char *name;
	void *(*init)(const struct source_env *env, char *why, size_t whylen);
	int (*sample)(void *state, const struct tick *tick);
	int (*encode)(void *state, json_t *frame);
	void (*fini)(void *state);
};

#endif
