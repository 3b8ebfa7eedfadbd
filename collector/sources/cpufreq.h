/* Current frequency of each CPU from <sysfs>/devices/system/cpu/cpuN/cpufreq/scaling_cur_freq. */
#ifndef PERFWATCH_COLLECTOR_SOURCES_CPUFREQ_H
#define PERFWATCH_COLLECTOR_SOURCES_CPUFREQ_H

#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* Parses a scaling_cur_freq text ("2400000\n", kHz) into *khz; returns 0 or -1. */
MUST_CHECK int cpufreq_parse(const char *text, size_t len, uint64_t *khz);

/* The "cpufreq" source: one frame row per CPU with a cpufreq policy. */
extern const struct source_ops cpufreq_source;

#endif
