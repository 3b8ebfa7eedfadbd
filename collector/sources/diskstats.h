/*
 * Per-disk I/O from /proc/diskstats in all its layouts (14, 18 and 20 fields), turned into the
 * figures of iostat -x: IOPS, bytes/s, merges, await, queue length, utilisation, discards, flushes.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_DISKSTATS_H
#define PERFWATCH_COLLECTOR_SOURCES_DISKSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The statistics after major, minor and name, in kernel order (Documentation/admin-guide/iostats).
 */
enum diskstats_field {
	DISKSTATS_READS,
	DISKSTATS_READS_MERGED,
	DISKSTATS_READ_SECTORS,
	DISKSTATS_READ_MS,
	DISKSTATS_WRITES,
	DISKSTATS_WRITES_MERGED,
	DISKSTATS_WRITE_SECTORS,
	DISKSTATS_WRITE_MS,
	DISKSTATS_IN_FLIGHT,
	DISKSTATS_IO_MS,
	DISKSTATS_QUEUE_MS,
	DISKSTATS_DISCARDS, /* Linux 4.18+ */
	DISKSTATS_DISCARDS_MERGED,
	DISKSTATS_DISCARD_SECTORS,
	DISKSTATS_DISCARD_MS,
	DISKSTATS_FLUSHES, /* Linux 5.5+ */
	DISKSTATS_FLUSH_MS,
	DISKSTATS_NFIELDS
};

/* One /proc/diskstats line. */
struct diskstats_dev {
	unsigned major, minor;
	char name[32];
	uint64_t f[DISKSTATS_NFIELDS];
	int nfields; /* statistics on the line: 11, 15 or 17 (4 for 2.6-era partitions) */
};

/* Returns the width in bits of field i as the kernel prints it (32 for the millisecond ones). */
unsigned diskstats_field_bits(enum diskstats_field i);

/*
 * Parses /proc/diskstats text into out[0, cap) and sets *n to the number of lines (more than
 * cap means out was too small); returns 0, or -1 on a malformed line.
 */
MUST_CHECK int diskstats_parse(const char *text, size_t len, struct diskstats_dev *out, size_t cap,
			       size_t *n);

/*
 * The "disk" source: one frame row per whole block device; partitions and the name prefixes of
 * env->conf->disk_exclude ("loop,ram" without a configuration) are left out.
 */
extern const struct source_ops diskstats_source;

#endif
