/* memory source: RAM and swap sizes from /proc/meminfo, in kB as the kernel reports them. */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PROC_MEMINFO_H
#define PERFWATCH_COLLECTOR_SOURCES_PROC_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The fields this source reports, in frame order. */
enum proc_meminfo_field {
	PROC_MEMINFO_TOTAL,
	PROC_MEMINFO_FREE,
	PROC_MEMINFO_AVAILABLE,
	PROC_MEMINFO_BUFFERS,
	PROC_MEMINFO_CACHED,
	PROC_MEMINFO_SWAP_TOTAL,
	PROC_MEMINFO_SWAP_FREE,
	PROC_MEMINFO_NFIELDS
};

/* A parsed /proc/meminfo: kB per field, and a bit (1 << field) for each field present. */
struct proc_meminfo {
	uint64_t kb[PROC_MEMINFO_NFIELDS];
	unsigned present;
};

/* The frame key ("total_kb", ...) of each field, indexed by enum proc_meminfo_field. */
extern const char *const proc_meminfo_keys[PROC_MEMINFO_NFIELDS];

/*
 * Parses /proc/meminfo text[0, len) into out; returns 0, or -1 when MemTotal is missing or a
 * reported line is malformed. Fields the kernel does not have (MemAvailable before 3.14) are
 * left out of out->present.
 */
MUST_CHECK int proc_meminfo_parse(const char *text, size_t len, struct proc_meminfo *out);

/* The "mem" source for the collector's table. */
extern const struct source_ops proc_meminfo_source;

#endif
