/*
 * Pure arithmetic of perf counters: deltas across counter reset and wrap, multiplexing scaling
 * (Δvalue × Δenabled / Δrunning), derived ratios (IPC, CPI, miss ratios, MPKI, frequency) and
 * rates and memory bandwidth over the real, possibly irregular, interval. No I/O, no state.
 */
#ifndef PERFWATCH_COLLECTOR_PERF_MATH_H
#define PERFWATCH_COLLECTOR_PERF_MATH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compat.h"

/* Why a computed value is or is not valid; every non-OK status means "no value", never zero. */
enum perf_math_status {
	PERF_MATH_OK,	       /* the value is valid */
	PERF_MATH_RESET,       /* a counter went backwards (reset or reopened): delta unknown */
	PERF_MATH_NOT_COUNTED, /* Δrunning = 0: multiplexed out for the whole interval */
	PERF_MATH_ZERO_DENOM,  /* a ratio's denominator is 0 (e.g. no cycles on an idle CPU) */
	PERF_MATH_NO_INTERVAL, /* the interval is 0 or went backwards */
};

/* One read of one counter of a group: its value and the group's enabled/running times (ns). */
struct perf_math_read {
	uint64_t value;
	uint64_t enabled;
	uint64_t running;
};

/*
 * Stores cur - prev in *out for a counter `width` bits wide (1..64). A counter that went
 * backwards is taken as wrapped when width < 64 and both reads fit in the width (the delta is
 * then cur + 2^width - prev); a 64-bit counter cannot wrap in practice (a century at 5 GHz), so
 * going backwards means reset: returns PERF_MATH_RESET and *out = 0.
 */
MUST_CHECK enum perf_math_status perf_math_delta(uint64_t prev, uint64_t cur, unsigned width,
						 uint64_t *out);

/*
 * Scales the counter's delta between two reads for multiplexing: Δvalue × Δenabled / Δrunning,
 * stored in *out, and the fraction of the interval it was counted (Δrunning / Δenabled, 0..1)
 * in *duty (may be NULL). Returns PERF_MATH_NOT_COUNTED when Δrunning = 0 (the value is unknown,
 * not zero), PERF_MATH_RESET when any of the three went backwards, PERF_MATH_NO_INTERVAL when
 * Δenabled = 0.
 */
MUST_CHECK enum perf_math_status perf_math_scale(const struct perf_math_read *prev,
						 const struct perf_math_read *cur, double *out,
						 double *duty);

/*
 * Stores num / den × mult in *out; returns PERF_MATH_ZERO_DENOM when den is 0 (or negative).
 * IPC = ratio(instructions, cycles, 1); CPI = ratio(cycles, instructions, 1); a miss ratio in %
 * = ratio(misses, accesses, 100); MPKI = ratio(misses, instructions, 1000).
 */
MUST_CHECK enum perf_math_status perf_math_ratio(double num, double den, double mult, double *out);

/*
 * Average frequency in GHz while unhalted: ref-cycles tick at the nominal (TSC) frequency, so
 * f = nominal_ghz × cycles / ref_cycles. PERF_MATH_ZERO_DENOM when ref_cycles or nominal is 0.
 */
MUST_CHECK enum perf_math_status perf_math_freq_ghz(double cycles, double ref_cycles,
						    double nominal_ghz, double *out);

/* Stores delta / (dt_ns / 1e9), a per-second rate, in *out; PERF_MATH_NO_INTERVAL when dt is 0. */
MUST_CHECK enum perf_math_status perf_math_rate(double delta, uint64_t dt_ns, double *out);

/*
 * Memory bandwidth in GB/s (1e9 bytes/s) from a count of `scale_bytes`-sized units over dt_ns
 * nanoseconds: count × scale_bytes / dt_ns. PERF_MATH_NO_INTERVAL when dt is 0.
 */
MUST_CHECK enum perf_math_status perf_math_bandwidth_gbs(double count, double scale_bytes,
							 uint64_t dt_ns, double *out);

/*
 * Parses a sysfs event `.unit` ("Bytes", "KiB", "MiB", "GiB", "kB", "MB", "GB") into bytes per
 * unit; returns false for any other unit.
 */
MUST_CHECK bool perf_math_unit_bytes(const char *unit, double *out);

#endif
