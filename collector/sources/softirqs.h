/* Softirqs by type from /proc/softirqs, summed over the CPUs, as per-second rates. */
#ifndef PERFWATCH_COLLECTOR_SOURCES_SOFTIRQS_H
#define PERFWATCH_COLLECTOR_SOURCES_SOFTIRQS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The kernel's softirq types (include/linux/interrupt.h), in /proc/softirqs order. */
enum softirqs_type {
	SOFTIRQS_HI,
	SOFTIRQS_TIMER,
	SOFTIRQS_NET_TX,
	SOFTIRQS_NET_RX,
	SOFTIRQS_BLOCK,
	SOFTIRQS_IRQ_POLL, /* BLOCK_IOPOLL before Linux 4.4 */
	SOFTIRQS_TASKLET,
	SOFTIRQS_SCHED,
	SOFTIRQS_HRTIMER,
	SOFTIRQS_RCU,
	SOFTIRQS_NTYPES
};

/* The frame key of each type's rate, indexed by enum softirqs_type. */
extern const char *const softirqs_keys[SOFTIRQS_NTYPES];

/*
 * Parses /proc/softirqs text: counts[t * cap + c] receives type t on CPU column c, for up to
 * `cap` columns; *ncpus is set to the columns in the header (more than cap means counts was
 * too small) and present[t] tells which types the kernel lists. Returns 0, or -1 when the text
 * is malformed.
 */
MUST_CHECK int softirqs_parse(const char *text, size_t len, uint64_t *counts, size_t cap,
			      size_t *ncpus, bool present[SOFTIRQS_NTYPES]);

/* The "softirqs" source: one frame object of per-type rates. */
extern const struct source_ops softirqs_source;

#endif
