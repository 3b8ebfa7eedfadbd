/*
 * Capability probing for hardware counters: which PMUs the kernel has (not what libpfm4 guesses
 * from the CPU model), the paranoid level, capabilities, memory-bandwidth sources, and reasons.
 */
#include "collector/perf_caps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collector/perf_math.h"
#include "common/xalloc.h"

#define PERF_CAPS_DEVICES "bus/event_source/devices"

/* Bytes moved by one DRAM CAS command: one 64-byte cache line (Intel IMC and AMD UMC). */
#define PERF_CAPS_CAS_BYTES 64.0

static const struct {
	const char *code;
	const char *text;
	const char *fix;
} perf_caps_reasons[PERF_REASON_COUNT] = {
	[PERF_REASON_OK] = {"ok", "counted", ""},
	[PERF_REASON_NO_PMU] =
		{"no_pmu",
		 "the kernel has no CPU PMU driver (no cpu entry in "
		 "/sys/bus/event_source/devices), as in a virtual machine without "
		 "a virtual PMU: hardware counters cannot be read here",
		 "enable the virtual PMU in the hypervisor (KVM/QEMU: -cpu host or "
		 "pmu=on; VMware: \"virtualize CPU performance counters\"; clouds: a "
		 "bare-metal or full-socket instance type) or run on bare metal"},
	[PERF_REASON_PARANOID] = {"paranoid",
				  "kernel.perf_event_paranoid forbids system-wide counting to a "
				  "process without CAP_PERFMON or CAP_SYS_ADMIN",
				  "run the collector as root or grant CAP_PERFMON (setcap "
				  "cap_perfmon+ep, or docker cap_add: [SYS_ADMIN]), or sysctl "
				  "kernel.perf_event_paranoid=0"},
	[PERF_REASON_NO_CAPABILITY] = {"no_capability",
				       "the collector has CAP_PERFMON but not CAP_SYS_ADMIN, and "
				       "this kernel (older than 5.8) only honours CAP_SYS_ADMIN",
				       "grant CAP_SYS_ADMIN or set kernel.perf_event_paranoid=0"},
	[PERF_REASON_DENIED] =
		{"denied",
		 "perf_event_open was refused although the collector is privileged: "
		 "a security module (SELinux, AppArmor) or a seccomp filter blocks it",
		 "allow perf_event_open in the LSM policy or the container's seccomp "
		 "profile"},
	[PERF_REASON_EVENT_UNKNOWN] = {"event_unknown",
				       "libpfm4 has no encoding of this event for this CPU", ""},
	[PERF_REASON_EVENT_UNSUPPORTED] = {"event_unsupported",
					   "the CPU's PMU does not support this event", ""},
	[PERF_REASON_COUNTER_BUSY] = {"counter_busy",
				      "the counter is held exclusively by another user (EBUSY), "
				      "e.g. the NMI watchdog or another profiler",
				      "stop the other profiler, or sysctl kernel.nmi_watchdog=0"},
	[PERF_REASON_TOO_MANY_FDS] = {"too_many_fds",
				      "the collector ran out of file descriptors opening counters",
				      "raise the collector's RLIMIT_NOFILE (ulimit -n)"},
	[PERF_REASON_OPEN_FAILED] = {"open_failed", "perf_event_open failed", ""},
	[PERF_REASON_NOT_COUNTED] = {"not_counted",
				     "the group was multiplexed out for the whole interval "
				     "(running time 0): the value is unknown, not zero",
				     "count fewer events per group or free counters"},
	[PERF_REASON_RESET] = {"reset", "a counter was reset between two reads", ""},
	[PERF_REASON_ZERO_DENOM] = {"zero_denominator",
				    "nothing was counted in the ratio's denominator this interval "
				    "(e.g. no cycles on an idle CPU)",
				    ""},
	[PERF_REASON_NO_NOMINAL_FREQ] = {"no_nominal_freq",
					 "the CPU's nominal (TSC) frequency is unknown, so "
					 "cycles/ref-cycles cannot be turned into GHz",
					 "set --perf-nominal-mhz"},
	[PERF_REASON_NO_BANDWIDTH] =
		{"no_bandwidth_source",
		 "no memory-bandwidth source: no uncore_imc_* or amd_umc_* PMU "
		 "and no resctrl MBM",
		 "run on hardware whose kernel exposes uncore IMC (Intel) or UMC "
		 "(AMD Zen 4+) PMUs, or mount resctrl on a CPU with MBM"},
	[PERF_REASON_NO_PEAK] = {"no_peak",
				 "utilisation needs the peak memory bandwidth, which is not "
				 "configured",
				 "set --perf-peak-gbs"},
	[PERF_REASON_NO_SPLIT] =
		{"no_split",
		 "resctrl MBM counts total memory traffic only, without a read/write "
		 "split",
		 ""},
	[PERF_REASON_READ_FAILED] = {"read_failed", "reading the open counter group failed", ""},
	[PERF_REASON_WARMING_UP] = {"warming_up", "rates need two reads", ""},
	[PERF_REASON_TURNED_OFF] =
		{"turned_off",
		 "the collector was started with --perf-counters=off "
		 "(PERFWATCH_PERF_COUNTERS=off): it opens no counter and leaves "
		 "the PMU to other tools",
		 "start the collector without --perf-counters=off (on is the default)"},
};

/* Reads a small text file into buf (NUL-terminated, trailing newline removed); 0 or -1. */
static int
perf_caps_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int
perf_caps_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
perf_caps_is_core_pmu(const char *name)
{
	return strcmp(name, "cpu") == 0 || strcmp(name, "cpu_core") == 0 ||
	       strcmp(name, "cpu_atom") == 0 || strncmp(name, "armv", 4) == 0;
}

/* Lists the event_source devices in sorted order into caps->pmus and finds the core PMU. */
static void
perf_caps_list_pmus(const char *sysfs, struct perf_caps *caps)
{
	char path[512], *names[256];
	size_t n = 0, used = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", sysfs, PERF_CAPS_DEVICES);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < ARRAY_LEN(names)) {
		if (de->d_name[0] != '.')
			names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), perf_caps_name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (caps->core_pmu[0] == '\0' && perf_caps_is_core_pmu(names[i]))
			snprintf(caps->core_pmu, sizeof(caps->core_pmu), "%s", names[i]);
		if (used + strlen(names[i]) + 2 < sizeof(caps->pmus))
			used += (size_t)snprintf(caps->pmus + used, sizeof(caps->pmus) - used,
						 "%s%s", used ? " " : "", names[i]);
		free(names[i]);
	}
}

void
perf_caps_read_capabilities(bool *perfmon, bool *sys_admin)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	*perfmon = false;
	*sys_admin = false;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return;
	*perfmon = (data[CAP_PERFMON / 32].effective >> (CAP_PERFMON % 32)) & 1u;
	*sys_admin = (data[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1u;
}

/* Places `value` into the bit ranges of a format spec such as "config:0-7,32-35". */
static int
perf_caps_apply_format(const char *spec, uint64_t value, struct perf_caps_pmu_event *ev)
{
	const char *colon = strchr(spec, ':'), *p;
	uint64_t *field;
	unsigned shift = 0;

	if (colon == NULL)
		return -1;
	if (strncmp(spec, "config1:", 8) == 0)
		field = &ev->config1;
	else if (strncmp(spec, "config2:", 8) == 0)
		field = &ev->config2;
	else if (strncmp(spec, "config:", 7) == 0)
		field = &ev->config;
	else
		return -1;
	for (p = colon + 1; *p != '\0';) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p || lo > 63)
			return -1;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || hi > 63 || hi < lo)
				return -1;
		}
		for (unsigned long bit = lo; bit <= hi; bit++, shift++) {
			if (shift < 64 && ((value >> shift) & 1u))
				*field |= UINT64_C(1) << bit;
		}
		p = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -1;
	}
	return 0;
}

/* Applies one "name=value" (or bare "name", value 1) term through pmu_dir/format/<name>. */
static int
perf_caps_apply_term(const char *pmu_dir, const char *term, size_t len,
		     struct perf_caps_pmu_event *ev, char *err, size_t errlen)
{
	char name[64], spec[128], path[512];
	const char *eq = memchr(term, '=', len);
	size_t nlen = eq ? (size_t)(eq - term) : len;
	uint64_t value = 1;

	if (nlen == 0 || nlen >= sizeof(name)) {
		snprintf(err, errlen, "bad event term '%.*s'", (int)len, term);
		return -1;
	}
	memcpy(name, term, nlen);
	name[nlen] = '\0';
	if (eq != NULL) {
		char num[32], *end;
		size_t vlen = len - nlen - 1;

		if (vlen == 0 || vlen >= sizeof(num))
			goto bad;
		memcpy(num, eq + 1, vlen);
		num[vlen] = '\0';
		errno = 0;
		value = strtoull(num, &end, 0);
		if (errno != 0 || *end != '\0')
			goto bad;
	}
	snprintf(path, sizeof(path), "%s/format/%s", pmu_dir, name);
	if (perf_caps_read_text(path, spec, sizeof(spec)) != 0) {
		snprintf(err, errlen, "%s has no format for term '%s'", pmu_dir, name);
		return -1;
	}
	if (perf_caps_apply_format(spec, value, ev) != 0) {
		snprintf(err, errlen, "cannot parse %s ('%s')", path, spec);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad value in event term '%.*s'", (int)len, term);
	return -1;
}

/* Reads .scale and .unit of events/<event> into bytes per count (64 when neither exists). */
static int
perf_caps_event_scale(const char *pmu_dir, const char *event, double *out, char *err, size_t errlen)
{
	char path[512], text[64];
	double scale = 1.0, unit;

	*out = PERF_CAPS_CAS_BYTES;
	snprintf(path, sizeof(path), "%s/events/%s.unit", pmu_dir, event);
	if (perf_caps_read_text(path, text, sizeof(text)) != 0)
		return 0;
	if (!perf_math_unit_bytes(text, &unit)) {
		snprintf(err, errlen, "%s: unknown unit '%s'", path, text);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/%s.scale", pmu_dir, event);
	if (perf_caps_read_text(path, text, sizeof(text)) == 0) {
		char *end;

		scale = strtod(text, &end);
		if (end == text || !(scale > 0)) {
			snprintf(err, errlen, "%s: bad scale '%s'", path, text);
			return -1;
		}
	}
	*out = scale * unit;
	return 0;
}

int
perf_caps_pmu_event(const char *pmu_dir, const char *event, const char *terms,
		    struct perf_caps_pmu_event *out, char *err, size_t errlen)
{
	char path[512], text[256];
	const char *p;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/type", pmu_dir);
	if (perf_caps_read_text(path, text, sizeof(text)) != 0) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	out->type = (uint32_t)strtoul(text, NULL, 10);
	snprintf(path, sizeof(path), "%s/cpumask", pmu_dir);
	if (perf_caps_read_text(path, text, sizeof(text)) == 0)
		out->cpu = atoi(text);
	out->scale_bytes = PERF_CAPS_CAS_BYTES;
	if (event != NULL) {
		snprintf(path, sizeof(path), "%s/events/%s", pmu_dir, event);
		if (perf_caps_read_text(path, text, sizeof(text)) != 0) {
			snprintf(err, errlen, "%s has no event %s", pmu_dir, event);
			return -1;
		}
		if (perf_caps_event_scale(pmu_dir, event, &out->scale_bytes, err, errlen) != 0)
			return -1;
		terms = text;
	}
	for (p = terms; *p != '\0';) {
		size_t len = strcspn(p, ",");

		if (perf_caps_apply_term(pmu_dir, p, len, out, err, errlen) != 0)
			return -1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Finds the first event alias of `names` that pmu_dir has and encodes it. */
static int
perf_caps_find_alias(const char *pmu_dir, const char *const *names, size_t n,
		     struct perf_caps_pmu_event *out)
{
	char path[512], err[256];

	for (size_t i = 0; i < n; i++) {
		int len = snprintf(path, sizeof(path), "%s/events/%s", pmu_dir, names[i]);

		if (len > 0 && (size_t)len < sizeof(path) && access(path, R_OK) == 0)
			return perf_caps_pmu_event(pmu_dir, names[i], NULL, out, err, sizeof(err));
	}
	return -1;
}

/* Adds every PMU named prefix* with read and write bandwidth events; `free_running` selects
 * Intel's free-running IMC counters, used only when no programmable IMC PMU exists. */
static void
perf_caps_scan_imc(const char *sysfs, struct perf_caps *caps, bool free_running)
{
	static const char *const rd[] = {"cas_count_read", "data_reads", "read"};
	static const char *const wr[] = {"cas_count_write", "data_writes", "write"};
	char dir[512], list[sizeof(caps->pmus)], *save = NULL;

	snprintf(list, sizeof(list), "%s", caps->pmus);
	for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		struct perf_caps_bw *bw = &caps->bw[caps->nbw];
		bool is_free = strstr(tok, "free_running") != NULL;

		if (strncmp(tok, "uncore_imc", 10) != 0 || is_free != free_running ||
		    caps->nbw >= PERF_CAPS_MAX_BW)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/%s", sysfs, PERF_CAPS_DEVICES, tok);
		if (perf_caps_find_alias(dir, rd, ARRAY_LEN(rd), &bw->read) != 0 ||
		    perf_caps_find_alias(dir, wr, ARRAY_LEN(wr), &bw->write) != 0)
			continue;
		snprintf(bw->name, sizeof(bw->name), "%s", tok);
		caps->nbw++;
	}
}

/*
 * AMD Zen 4+ UMC PMUs have format/ but no event aliases; UMC event 0x0a counts CAS commands,
 * rdwrmask 1 = reads, 2 = writes (AMD PPR for family 19h; the same encoding Linux perf's
 * umc_cas_cmd.rd/.wr use).
 */
static void
perf_caps_scan_umc(const char *sysfs, struct perf_caps *caps)
{
	char dir[512], err[256], list[sizeof(caps->pmus)], *save = NULL;

	snprintf(list, sizeof(list), "%s", caps->pmus);
	for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		struct perf_caps_bw *bw = &caps->bw[caps->nbw];

		if (strncmp(tok, "amd_umc", 7) != 0 || caps->nbw >= PERF_CAPS_MAX_BW)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/%s", sysfs, PERF_CAPS_DEVICES, tok);
		if (perf_caps_pmu_event(dir, NULL, "event=0x0a,rdwrmask=1", &bw->read, err,
					sizeof(err)) != 0 ||
		    perf_caps_pmu_event(dir, NULL, "event=0x0a,rdwrmask=2", &bw->write, err,
					sizeof(err)) != 0)
			continue;
		snprintf(bw->name, sizeof(bw->name), "%s", tok);
		caps->nbw++;
	}
}

/* Adds each resctrl monitoring domain's mbm_total_bytes (sysfs/fs/resctrl/mon_data/mon_L3_*). */
static void
perf_caps_scan_resctrl(const char *sysfs, struct perf_caps *caps)
{
	char dir[512];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/fs/resctrl/mon_data", sysfs);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && caps->nbw < PERF_CAPS_MAX_BW) {
		struct perf_caps_bw *bw = &caps->bw[caps->nbw];

		if (strncmp(de->d_name, "mon_L3_", 7) != 0)
			continue;
		if (snprintf(bw->path, sizeof(bw->path), "%s/%.40s/mbm_total_bytes", dir,
			     de->d_name) >= (int)sizeof(bw->path))
			continue;
		if (access(bw->path, R_OK) != 0)
			continue;
		snprintf(bw->name, sizeof(bw->name), "%.40s", de->d_name);
		caps->nbw++;
	}
	closedir(d);
}

/* Says what was looked for when no bandwidth source exists. */
static void
perf_caps_bw_why(const char *procfs, struct perf_caps *caps)
{
	char path[512], fs[4096];
	bool resctrl_fs = false;

	snprintf(path, sizeof(path), "%s/filesystems", procfs);
	if (perf_caps_read_text(path, fs, sizeof(fs)) == 0)
		resctrl_fs = strstr(fs, "resctrl") != NULL;
	snprintf(caps->bw_why, sizeof(caps->bw_why),
		 "no uncore_imc_* or amd_umc_* PMU among the kernel's PMUs (%.160s)%s; %s",
		 caps->pmus[0] ? caps->pmus : "none",
		 strstr(caps->pmus, "amd_df") ? " (amd_df exists, but its DRAM events are model "
						"specific and not supported)"
					      : "",
		 resctrl_fs ? "resctrl is in the kernel but not mounted with MBM "
			      "(mount -t resctrl resctrl /sys/fs/resctrl)"
			    : "resctrl is not in this kernel");
}

void
perf_caps_probe(const char *sysfs, const char *procfs, struct perf_caps *out)
{
	char path[512], text[32];

	memset(out, 0, sizeof(*out));
	perf_caps_list_pmus(sysfs, out);
	out->paranoid = PERF_CAPS_PARANOID_UNKNOWN;
	snprintf(path, sizeof(path), "%s/sys/kernel/perf_event_paranoid", procfs);
	if (perf_caps_read_text(path, text, sizeof(text)) == 0)
		out->paranoid = atoi(text);
	perf_caps_read_capabilities(&out->cap_perfmon, &out->cap_sys_admin);

	perf_caps_scan_imc(sysfs, out, false);
	if (out->nbw == 0)
		perf_caps_scan_imc(sysfs, out, true);
	if (out->nbw > 0) {
		out->bw_kind = PERF_BW_INTEL_IMC;
		return;
	}
	perf_caps_scan_umc(sysfs, out);
	if (out->nbw > 0) {
		out->bw_kind = PERF_BW_AMD_UMC;
		return;
	}
	perf_caps_scan_resctrl(sysfs, out);
	if (out->nbw > 0) {
		out->bw_kind = PERF_BW_RESCTRL;
		return;
	}
	perf_caps_bw_why(procfs, out);
}

int
perf_caps_parse_cpulist(const char *text, int *out, size_t max)
{
	const char *p = text;
	size_t n = 0;

	while (*p != '\0' && *p != '\n') {
		char *end;
		long lo = strtol(p, &end, 10), hi;

		if (end == p || lo < 0)
			return -1;
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo)
				return -1;
		}
		/* strtol saturates at LONG_MAX: c++ below would overflow (found by fuzz_procfs). */
		if (hi > INT_MAX)
			return -1;
		for (long c = lo; c <= hi; c++) {
			if (n >= max)
				return -1;
			out[n++] = (int)c;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0' && *end != '\n')
			return -1;
		p = end;
	}
	return (int)n;
}

bool
perf_caps_privileged(const struct perf_caps *caps)
{
	return caps->cap_perfmon || caps->cap_sys_admin ||
	       (caps->paranoid != PERF_CAPS_PARANOID_UNKNOWN && caps->paranoid <= 0);
}

enum perf_reason
perf_caps_classify(const struct perf_caps *caps, bool hardware, int err)
{
	if (err == 0)
		return PERF_REASON_OK;
	if (hardware && caps->core_pmu[0] == '\0')
		return PERF_REASON_NO_PMU;
	switch (err) {
	case EACCES:
	case EPERM:
		if (!caps->cap_perfmon && !caps->cap_sys_admin)
			return caps->paranoid > 0 ? PERF_REASON_PARANOID : PERF_REASON_DENIED;
		if (!caps->cap_sys_admin)
			return PERF_REASON_NO_CAPABILITY;
		return PERF_REASON_DENIED;
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
	case EINVAL:
		return PERF_REASON_EVENT_UNSUPPORTED;
	case EBUSY:
		return PERF_REASON_COUNTER_BUSY;
	case EMFILE:
	case ENFILE:
		return PERF_REASON_TOO_MANY_FDS;
	default:
		return PERF_REASON_OPEN_FAILED;
	}
}

const char *
perf_caps_reason_code(enum perf_reason r)
{
	return (unsigned)r < PERF_REASON_COUNT ? perf_caps_reasons[r].code : "unknown";
}

void
perf_caps_explain(const struct perf_caps *caps, enum perf_reason r, char *buf, size_t len)
{
	const char *text = (unsigned)r < PERF_REASON_COUNT ? perf_caps_reasons[r].text : "unknown";

	switch (r) {
	case PERF_REASON_NO_PMU:
		snprintf(buf, len, "%s (the kernel's PMUs: %s)", text,
			 caps->pmus[0] ? caps->pmus : "none");
		break;
	case PERF_REASON_PARANOID:
		snprintf(buf, len, "%s (perf_event_paranoid is %d)", text, caps->paranoid);
		break;
	case PERF_REASON_NO_BANDWIDTH:
		snprintf(buf, len, "no memory-bandwidth source: %s",
			 caps->bw_why[0] ? caps->bw_why : text);
		break;
	default:
		snprintf(buf, len, "%s", text);
		break;
	}
}

void
perf_caps_fix(const struct perf_caps *caps, enum perf_reason r, char *buf, size_t len)
{
	(void)caps;
	snprintf(buf, len, "%s", (unsigned)r < PERF_REASON_COUNT ? perf_caps_reasons[r].fix : "");
}
