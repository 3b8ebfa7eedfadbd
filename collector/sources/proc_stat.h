/*
 * cpu source: per-core and total CPU time from /proc/stat, as percent of the real elapsed
 * jiffies per state. Pure parser and percentage functions are exported for the tests.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PROC_STAT_H
#define PERFWATCH_COLLECTOR_SOURCES_PROC_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The ten /proc/stat CPU states in kernel column order. */
enum proc_stat_state {
	PROC_STAT_USR,
	PROC_STAT_NICE,
	PROC_STAT_SYS,
	PROC_STAT_IDLE,
	PROC_STAT_IOWAIT,
	PROC_STAT_IRQ,
	PROC_STAT_SOFTIRQ,
	PROC_STAT_STEAL,
	PROC_STAT_GUEST,
	PROC_STAT_GUEST_NICE,
	PROC_STAT_NSTATES
};

/* One "cpu" or "cpuN" line: cumulative jiffies per state (missing columns read as 0). */
struct proc_stat_cpu {
	int cpu; /* -1 for the aggregate "cpu" line */
	uint64_t jiffies[PROC_STAT_NSTATES];
};

/* The kernel activity lines of /proc/stat, indexed into struct proc_stat's activity[]. */
enum proc_stat_activity {
	PROC_STAT_CTXT,		 /* "ctxt": context switches since boot */
	PROC_STAT_INTR,		 /* "intr": first number, interrupts serviced since boot */
	PROC_STAT_PROCESSES,	 /* "processes": forks since boot */
	PROC_STAT_PROCS_RUNNING, /* "procs_running": runnable tasks now */
	PROC_STAT_PROCS_BLOCKED, /* "procs_blocked": tasks blocked on I/O now */
	PROC_STAT_NACTIVITY
};

/* A parsed /proc/stat: the caller provides `cores` with room for `cap` entries. */
struct proc_stat {
	struct proc_stat_cpu total;
	struct proc_stat_cpu *cores; /* ascending cpu numbers; offline CPUs are absent */
	size_t cap;
	size_t n;    /* entries stored in cores (at most cap) */
	size_t seen; /* cpuN lines in the text; more than cap means cores was too small */
	int ncols;   /* state columns on the aggregate line: 4 on old kernels, 10 on new */
	uint64_t activity[PROC_STAT_NACTIVITY];
	unsigned activity_present; /* bit (1 << enum proc_stat_activity) per line found */
};

/* JSON key of each state, indexed by enum proc_stat_state. */
extern const char *const proc_stat_state_names[PROC_STAT_NSTATES];

/*
 * Parses /proc/stat text[0, len) into out (out->cores and out->cap set by the caller); returns
 * 0, or -1 when there is no well-formed aggregate "cpu" line or a cpuN or activity line is
 * malformed.
 */
MUST_CHECK int proc_stat_parse(const char *text, size_t len, struct proc_stat *out);
/*
 * Computes each state's percent of the jiffies elapsed between prev and cur (guest time taken
 * out of usr/nice so the ten states sum to 100); a counter that went backwards counts as 0.
 * Returns false when no time elapsed, leaving pct untouched.
 */
bool proc_stat_percent(const struct proc_stat_cpu *prev, const struct proc_stat_cpu *cur,
		       double pct[PROC_STAT_NSTATES]);

/* The "cpu" source for the collector's table. */
extern const struct source_ops proc_stat_source;

#endif
