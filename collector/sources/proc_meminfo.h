/*
 * memory source: RAM and swap sizes and the usage breakdown from /proc/meminfo, in kB as the
 * kernel reports them (frame keys = memory_samples columns, migrations 001 and 002).
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PROC_MEMINFO_H
#define PERFWATCH_COLLECTOR_SOURCES_PROC_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The first fields this source reports, in frame order; the breakdown fields follow. */
enum proc_meminfo_field {
	PROC_MEMINFO_TOTAL,
	PROC_MEMINFO_FREE,
	PROC_MEMINFO_AVAILABLE,
	PROC_MEMINFO_BUFFERS,
	PROC_MEMINFO_CACHED,
	PROC_MEMINFO_SWAP_TOTAL,
	PROC_MEMINFO_SWAP_FREE,
};

/* How many fields the source reports (enum proc_meminfo_field, then the breakdown). */
#define PROC_MEMINFO_NFIELDS 33

/* A parsed /proc/meminfo: the value per field, and a bit (1 << field) for each field present. */
struct proc_meminfo {
	uint64_t kb[PROC_MEMINFO_NFIELDS]; /* kB, or a count for huge_pages_total/free */
	uint64_t present;
};

/* Returns the frame key ("total_kb", ...) of field 0 <= field < PROC_MEMINFO_NFIELDS. */
const char *proc_meminfo_key(int field);

/* Returns the index of the field with frame key `key`, or -1. */
int proc_meminfo_index(const char *key);

/*
 * Parses /proc/meminfo text[0, len) into out; returns 0, or -1 when MemTotal is missing or a
 * reported line is malformed. Fields the kernel does not have (MemAvailable before 3.14) are
 * left out of out->present.
 */
MUST_CHECK int proc_meminfo_parse(const char *text, size_t len, struct proc_meminfo *out);

/* The "mem" source for the collector's table. */
extern const struct source_ops proc_meminfo_source;

#endif
