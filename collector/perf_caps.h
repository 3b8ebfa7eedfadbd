/*
 * What this machine lets PerfWatch count, and why not: event_source PMUs in sysfs,
 * perf_event_paranoid, CAP_PERFMON/CAP_SYS_ADMIN, memory-bandwidth sources (Intel uncore IMC,
 * AMD UMC, resctrl MBM), and the classification of each perf_event_open errno into a reason.
 */
#ifndef PERFWATCH_COLLECTOR_PERF_CAPS_H
#define PERFWATCH_COLLECTOR_PERF_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/* Why a counter or metric has no value; PERF_REASON_OK when it has one. */
enum perf_reason {
	PERF_REASON_OK,
	PERF_REASON_NO_PMU,	       /* the kernel has no CPU PMU driver (VM without vPMU) */
	PERF_REASON_PARANOID,	       /* perf_event_paranoid > 0 and no capability */
	PERF_REASON_NO_CAPABILITY,     /* has CAP_PERFMON but the kernel wants CAP_SYS_ADMIN */
	PERF_REASON_DENIED,	       /* EACCES/EPERM although privileged: LSM or seccomp */
	PERF_REASON_EVENT_UNKNOWN,     /* libpfm4 cannot encode the event name */
	PERF_REASON_EVENT_UNSUPPORTED, /* the PMU exists but rejects this event */
	PERF_REASON_COUNTER_BUSY,      /* EBUSY: counter held exclusively by someone else */
	PERF_REASON_TOO_MANY_FDS,      /* EMFILE/ENFILE */
	PERF_REASON_OPEN_FAILED,       /* any other errno */
	PERF_REASON_NOT_COUNTED,       /* multiplexed out for the whole interval */
	PERF_REASON_RESET,	       /* counter reset between two reads */
	PERF_REASON_ZERO_DENOM,	       /* ratio undefined: nothing counted in the denominator */
	PERF_REASON_NO_NOMINAL_FREQ,   /* frequency needs the nominal (TSC) frequency */
	PERF_REASON_NO_BANDWIDTH,      /* no uncore IMC, AMD UMC or resctrl MBM here */
	PERF_REASON_NO_PEAK,	       /* bandwidth utilisation needs a configured peak */
	PERF_REASON_NO_SPLIT,	       /* resctrl MBM: total only, no read/write split */
	PERF_REASON_READ_FAILED,       /* reading an open counter group failed this tick */
	PERF_REASON_WARMING_UP,	       /* needs two reads */
	PERF_REASON_TURNED_OFF,	       /* --perf-counters=off: nothing is opened */
	PERF_REASON_COUNT
};

/* Where memory bandwidth can be read on this machine. */
enum perf_bw_kind {
	PERF_BW_NONE,
	PERF_BW_INTEL_IMC, /* uncore_imc_* PMUs with read/write CAS event aliases */
	PERF_BW_AMD_UMC,   /* amd_umc_* PMUs (Zen 4+), encoded from their format/ files */
	PERF_BW_RESCTRL,   /* resctrl MBM mbm_total_bytes files (total only, no read/write split) */
};

/* One perf event of a sysfs PMU, encoded into perf_event_attr fields from format/ and events/. */
struct perf_caps_pmu_event {
	uint32_t type;
	uint64_t config, config1, config2;
	double scale_bytes; /* bytes per count: .scale × .unit, or the architectural size */
	int cpu;	    /* first CPU of the PMU's cpumask: where an uncore event is opened */
};

#define PERF_CAPS_MAX_BW   32
#define PERF_CAPS_NAME_LEN 48

/* One memory-bandwidth channel: an uncore PMU (read + write events) or a resctrl domain. */
struct perf_caps_bw {
	char name[PERF_CAPS_NAME_LEN];
	struct perf_caps_pmu_event read, write; /* PERF_BW_INTEL_IMC / PERF_BW_AMD_UMC */
	char path[600];				/* PERF_BW_RESCTRL: mbm_total_bytes */
};

/* Everything probed once at start; a plain value struct so tests can build and adjust one. */
struct perf_caps {
	char pmus[512]; /* space-separated /sys/bus/event_source/devices entries */
	char core_pmu[PERF_CAPS_NAME_LEN]; /* "cpu", "cpu_core", "armv8_pmuv3_0"…; "" = none */
	int paranoid;	  /* kernel.perf_event_paranoid; PERF_CAPS_PARANOID_UNKNOWN if unreadable */
	bool cap_perfmon; /* CAP_PERFMON in the effective set */
	bool cap_sys_admin; /* CAP_SYS_ADMIN in the effective set */
	enum perf_bw_kind bw_kind;
	char bw_why[512]; /* when PERF_BW_NONE: what was looked for and not found */
	size_t nbw;
	struct perf_caps_bw bw[PERF_CAPS_MAX_BW];
};

#define PERF_CAPS_PARANOID_UNKNOWN (-100)

/*
 * Probes sysfs (e.g. "/sys") and procfs (e.g. "/proc") roots into *out, and the process's
 * capabilities with capget(2). Missing files are facts, not errors: always returns a filled
 * struct. Logs nothing.
 */
void perf_caps_probe(const char *sysfs, const char *procfs, struct perf_caps *out);

/* Reads the effective CAP_PERFMON and CAP_SYS_ADMIN of this process; false when capget fails. */
void perf_caps_read_capabilities(bool *perfmon, bool *sys_admin);

/*
 * Encodes event `event` of the sysfs PMU directory `pmu_dir` (…/devices/uncore_imc_0) from
 * events/<event>, events/<event>.scale and .unit and the format/ files, or from `terms`
 * ("event=0x0a, rdwrmask=1") when event is NULL; returns 0 or -1 with a sentence in err.
 */
MUST_CHECK int perf_caps_pmu_event(const char *pmu_dir, const char *event, const char *terms,
				   struct perf_caps_pmu_event *out, char *err, size_t errlen);

/*
 * Classifies the errno of one perf_event_open (0 = success) of a hardware (true) or software
 * event on a machine with these capabilities. A hardware event without a core PMU is
 * PERF_REASON_NO_PMU whatever the errno: unprivileged the kernel says ENOENT or EACCES.
 */
enum perf_reason perf_caps_classify(const struct perf_caps *caps, bool hardware, int err);

/* Short stable code of a reason ("no_pmu"), for the frame, the database and the API. */
const char *perf_caps_reason_code(enum perf_reason r);

/* Writes one human sentence explaining reason r on this machine (with paranoid, PMUs). */
void perf_caps_explain(const struct perf_caps *caps, enum perf_reason r, char *buf, size_t len);

/* Writes how to fix reason r, or "" when nothing can be done. */
void perf_caps_fix(const struct perf_caps *caps, enum perf_reason r, char *buf, size_t len);

/*
 * Parses a sysfs CPU list ("0-3,8,10-11") into out[] (at most max entries); returns the count,
 * or -1 on a malformed list.
 */
MUST_CHECK int perf_caps_parse_cpulist(const char *text, int *out, size_t max);

/* Returns true when the process may count system-wide at this paranoid level. */
bool perf_caps_privileged(const struct perf_caps *caps);

#endif
