/*
 * Aggregation of perf counter group reads into the frame's "perf" section: per-CPU deltas
 * scaled for multiplexing, derived metrics per CPU and total, memory bandwidth, and a reason
 * for every null. Shared by the live source (sources/perf.c) and the replay (perf_replay.c).
 */
#ifndef PERFWATCH_COLLECTOR_PERF_FRAME_H
#define PERFWATCH_COLLECTOR_PERF_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "collector/perf_caps.h"
#include "common/compat.h"

/* Counter groups: hardware and software never share a group; each fits in a PMU's counters. */
enum perf_frame_group {
	PERF_FRAME_G_SW,    /* context switches, migrations, page faults, task-clock */
	PERF_FRAME_G_CORE,  /* cycles, instructions, ref-cycles, branches, branch misses */
	PERF_FRAME_G_CACHE, /* cache references/misses, LLC loads/misses */
	PERF_FRAME_G_L1TLB, /* L1D loads/misses, dTLB load misses */
	PERF_FRAME_G_STALL, /* stalled cycles front/back end (absent on many PMUs) */
	PERF_FRAME_G_COUNT
};

/* Counted events, in group order: a group's members are consecutive. */
enum perf_frame_event {
	PERF_FRAME_EV_CONTEXT_SWITCHES,
	PERF_FRAME_EV_CPU_MIGRATIONS,
	PERF_FRAME_EV_PAGE_FAULTS,
	PERF_FRAME_EV_TASK_CLOCK,
	PERF_FRAME_EV_CYCLES,
	PERF_FRAME_EV_INSTRUCTIONS,
	PERF_FRAME_EV_REF_CYCLES,
	PERF_FRAME_EV_BRANCHES,
	PERF_FRAME_EV_BRANCH_MISSES,
	PERF_FRAME_EV_CACHE_REFS,
	PERF_FRAME_EV_CACHE_MISSES,
	PERF_FRAME_EV_LLC_LOADS,
	PERF_FRAME_EV_LLC_MISSES,
	PERF_FRAME_EV_L1D_LOADS,
	PERF_FRAME_EV_L1D_MISSES,
	PERF_FRAME_EV_DTLB_MISSES,
	PERF_FRAME_EV_STALL_FE,
	PERF_FRAME_EV_STALL_BE,
	PERF_FRAME_EV_COUNT
};

/* One counted event: its key in traces and reports, its portable libpfm4 name, its group. */
struct perf_frame_event_def {
	const char *key;
	const char *pfm_name;
	enum perf_frame_group group;
};

/* The event table, indexed by enum perf_frame_event. */
extern const struct perf_frame_event_def perf_frame_events[PERF_FRAME_EV_COUNT];

/* Returns the group's name ("sw", "core", "cache", "l1tlb", "stall"). */
const char *perf_frame_group_name(enum perf_frame_group g);
/* Returns true for the hardware groups. */
bool perf_frame_group_is_hw(enum perf_frame_group g);

struct perf_frame;

/*
 * Creates the aggregation for `ncpus` CPUs numbered cpu_ids[] (copied) whose data comes from
 * `source` ("perf_event" or "replay") and `origin` (NULL, or the replay trace's provenance;
 * copied). Every event starts as PERF_REASON_WARMING_UP. Free with perf_frame_free().
 */
struct perf_frame *perf_frame_new(unsigned ncpus, const int *cpu_ids, const char *source,
				  const char *origin);
/* Frees f; perf_frame_free(NULL) is a no-op. */
void perf_frame_free(struct perf_frame *f);

/* Sets the sentence shown for reason r (explained for this machine); text is copied. */
void perf_frame_set_why(struct perf_frame *f, enum perf_reason r, const char *text);
/* Marks event ev on CPU index cpu as permanently unavailable for reason r (its open failed). */
void perf_frame_set_event_reason(struct perf_frame *f, unsigned cpu, enum perf_frame_event ev,
				 enum perf_reason r);
/* Sets the nominal frequency in GHz used to turn cycles/ref-cycles into GHz (0 = unknown). */
void perf_frame_set_nominal_ghz(struct perf_frame *f, double ghz);
/* Sets the peak memory bandwidth in GB/s for utilisation (0 = unknown). */
void perf_frame_set_peak_gbs(struct perf_frame *f, double gbs);
/* Sets the capability report (JSON text, copied) added to the section on the first encode. */
void perf_frame_set_caps_report(struct perf_frame *f, const char *json_text);

/* Sets the replayed trace's tick number, shown as "trace_tick" (negative: not shown). */
void perf_frame_set_trace_tick(struct perf_frame *f, long tick);

/* Starts a tick: every group not read before the next encode counts as PERF_REASON_READ_FAILED. */
void perf_frame_tick_begin(struct perf_frame *f);
/*
 * Records one read of group g on CPU index cpu: the group's total enabled and running times (ns)
 * and the cumulative value of each of its events, indexed by enum perf_frame_event (events not
 * open on this CPU are ignored). Computes this interval's scaled deltas. No allocation.
 */
void perf_frame_group_read(struct perf_frame *f, unsigned cpu, enum perf_frame_group g,
			   uint64_t enabled, uint64_t running, const uint64_t *values);

/*
 * Declares the memory-bandwidth source: `kind`, `nchan` channels with bytes per read and per
 * write count (for PERF_BW_RESCTRL, rd_scale is bytes per unit of the total and wr_scale is
 * ignored). With PERF_BW_NONE the bandwidth metrics are null with PERF_REASON_NO_BANDWIDTH.
 */
void perf_frame_bw_setup(struct perf_frame *f, enum perf_bw_kind kind, size_t nchan,
			 const double *rd_scale, const double *wr_scale);
/* The reason the bandwidth metrics are null with PERF_BW_NONE (PERF_REASON_NO_BANDWIDTH). */
void perf_frame_set_bw_none_reason(struct perf_frame *f, enum perf_reason r);
/* Records cumulative counts of channel chan read at t_ns (any monotonic clock). No allocation. */
void perf_frame_bw_read(struct perf_frame *f, size_t chan, uint64_t rd, uint64_t wr, uint64_t t_ns);

/*
 * Adds the "perf" section to frame (in the frame's allocator); adds nothing before the second
 * read. Returns 0, or -1 when jansson fails.
 */
MUST_CHECK int perf_frame_encode(struct perf_frame *f, json_t *frame);

#endif
