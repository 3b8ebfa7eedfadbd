/*
 * The perf replay: feeds a counter trace file (recorded on real hardware, or synthetic, as its
 * header says) through the same aggregation as the live perf source. Selected only by the
 * collector's --perf-replay=FILE; its frames say "source": "replay" and the trace's origin.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PERF_REPLAY_H
#define PERFWATCH_COLLECTOR_SOURCES_PERF_REPLAY_H

#include <stddef.h>

#include <jansson.h>

#include "collector/source.h"
#include "common/compat.h"

struct perf_replay;

/*
 * Reads and checks the whole trace at `path`; returns the replay (free with perf_replay_free),
 * or NULL with a sentence in why when the file is unreadable, malformed, or does not say where
 * it came from ("# origin:").
 */
struct perf_replay *perf_replay_open(const char *path, char *why, size_t whylen);
/* Feeds the trace's next tick (looping at the end); returns 0. No allocation. */
MUST_CHECK int perf_replay_sample(struct perf_replay *r, const struct tick *tick);
/* Adds the "perf" section for the last fed tick; returns 0 or -1. */
MUST_CHECK int perf_replay_encode(struct perf_replay *r, json_t *frame);
/* Frees r; perf_replay_free(NULL) is a no-op. */
void perf_replay_free(struct perf_replay *r);

#endif
