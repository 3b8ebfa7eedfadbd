/*
 * Turning two readings of a kernel counter into a delta: counters narrower than 64 bits wrap,
 * 64-bit counters that go backwards were reset (device re-created, module reloaded).
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_COUNTER_H
#define PERFWATCH_COLLECTOR_SOURCES_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Stores curr - prev in *delta for a counter `bits` wide (32 or 64) and returns true; returns
 * false when a 64-bit counter went backwards, or a 32-bit one holds a value it cannot (a reset).
 */
static inline bool
counter_delta(uint64_t prev, uint64_t curr, unsigned bits, uint64_t *delta)
{
	if (curr >= prev) {
		*delta = curr - prev;
		return true;
	}
	if (bits == 32 && prev <= UINT32_MAX) {
		*delta = (uint64_t)UINT32_MAX + 1 - prev + curr;
		return true;
	}
	return false;
}

#endif
