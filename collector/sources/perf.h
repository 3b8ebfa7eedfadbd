/*
 * Hardware and software counters from perf_event: per-CPU system-wide groups encoded by libpfm4,
 * memory bandwidth from uncore PMUs or resctrl, and the capability report.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PERF_H
#define PERFWATCH_COLLECTOR_SOURCES_PERF_H

#include "collector/source.h"

/*
 * The "perf" section: from the kernel's perf_event interface, or, when the collector's
 * --perf-replay names a trace file, from that trace (collector/sources/perf_replay.h).
 */
extern const struct source_ops perf_source;

#endif
