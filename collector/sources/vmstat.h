/*
 * Paging, swapping, reclaim and OOM activity from /proc/vmstat as per-second rates: the
 * counters behind vmstat's si/so/bi/bo and sar -B.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_VMSTAT_H
#define PERFWATCH_COLLECTOR_SOURCES_VMSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The /proc/vmstat counters this source reads, in vmstat_names order. */
enum vmstat_counter {
	VMSTAT_PGPGIN,
	VMSTAT_PGPGOUT,
	VMSTAT_PSWPIN,
	VMSTAT_PSWPOUT,
	VMSTAT_PGFAULT,
	VMSTAT_PGMAJFAULT,
	VMSTAT_PGSCAN_KSWAPD,
	VMSTAT_PGSCAN_DIRECT,
	VMSTAT_PGSTEAL_KSWAPD,
	VMSTAT_PGSTEAL_DIRECT,
	VMSTAT_OOM_KILL,
	VMSTAT_NCOUNTERS
};

/* The kernel's name of each counter, indexed by enum vmstat_counter. */
extern const char *const vmstat_names[VMSTAT_NCOUNTERS];

/* One reading; a counter the kernel does not have (oom_kill before 4.13) is not present. */
struct vmstat_stats {
	uint64_t v[VMSTAT_NCOUNTERS];
	bool present[VMSTAT_NCOUNTERS];
};

/*
 * Parses /proc/vmstat text into *out; returns 0, or -1 when a line is malformed or none of the
 * counters is present.
 */
MUST_CHECK int vmstat_parse(const char *text, size_t len, struct vmstat_stats *out);

/* The "vmstat" source: one frame object of rates. */
extern const struct source_ops vmstat_source;

#endif
