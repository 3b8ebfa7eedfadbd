/*
 * Pressure stall information (/proc/pressure/{cpu,memory,io,irq}): the kernel's some/full
 * averages and the stall-time rate from `total`. Absent on kernels without PSI.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PRESSURE_H
#define PERFWATCH_COLLECTOR_SOURCES_PRESSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* One "some" or "full" line: averages in percent, total stall time in microseconds. */
struct pressure_line {
	bool present;
	double avg10, avg60, avg300;
	uint64_t total_us;
};

/* One /proc/pressure/<resource> file. */
struct pressure_stats {
	struct pressure_line some, full;
};

/*
 * Parses the text of one pressure file into *out; returns 0, or -1 when it has neither line or
 * a line is malformed. A missing line leaves its present false: cpu has no "full" before 5.13,
 * irq (6.1+) has only "full".
 */
MUST_CHECK int pressure_parse(const char *text, size_t len, struct pressure_stats *out);

/* The "pressure" source: one frame row per resource the kernel reports. */
extern const struct source_ops pressure_source;

#endif
