/*
 * Hardware and software counters from perf_event: per-CPU system-wide groups encoded by libpfm4,
 * memory bandwidth from uncore PMUs or resctrl, and the capability report. Also the replay
 * source, which feeds a recorded or synthetic counter trace through the same aggregation.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PERF_H
#define PERFWATCH_COLLECTOR_SOURCES_PERF_H

#include "collector/source.h"

/* The live source: section "perf", from the kernel's perf_event interface. */
extern const struct source_ops perf_source;

/*
 * The replay source, section "perf": reads the trace file named by the environment variable
 * PERFWATCH_PERF_REPLAY (set by the collector's --perf-replay flag) and feeds one tick of it per
 * sample, looping at the end; the section says "source": "replay" and the trace's origin.
 */
extern const struct source_ops perf_replay_source;

/* The environment variable the replay source reads its trace file name from. */
#define PERF_REPLAY_ENV "PERFWATCH_PERF_REPLAY"

#endif
