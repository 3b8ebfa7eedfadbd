/*
 * The perf source: opens per-CPU system-wide counter groups (pid = -1) encoded by libpfm4 in a
 * short-lived child process, reads them each tick without allocating, and reports what could
 * not be opened and why.
 */
#include <perfmon/pfmlib_perf_event.h>

#include "collector/sources/perf.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/perf_caps.h"
#include "collector/collector_conf.h"
#include "collector/perf_frame.h"
#include "collector/procfile.h"
#include "collector/sources/perf_replay.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "perf"

#define PERF_MAX_CPUS	 4096
#define PERF_MAX_MEMBERS 8
#define PERF_PFM_SONAME	 "libpfm.so.4"
#define PERF_READ_FORMAT                                                                           \
	(PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |                     \
	 PERF_FORMAT_TOTAL_TIME_RUNNING)

/* One open group on one CPU: the leader and its members with their kernel ids. */
struct perf_group_fds {
	int leader; /* -1 when no member could be opened */
	unsigned n;
	int fd[PERF_MAX_MEMBERS];
	uint64_t id[PERF_MAX_MEMBERS];
	enum perf_frame_event ev[PERF_MAX_MEMBERS];
};

/* What happened to one event across CPUs, for the capability report. */
struct perf_event_result {
	bool encoded;
	char pfm_error[96];
	struct perf_event_attr attr;
	unsigned opened; /* CPUs */
	int first_errno;
	enum perf_reason reason;
};

/*
 * What the libpfm4 encoder child sends back, fixed size: libpfm4 is never mapped into the
 * collector, whose peak RSS would otherwise carry its relocated event tables (~2.2 MB).
 */
struct perf_pfm_reply {
	int init_rc;	      /* pfm_initialize(), or -1 when libpfm4 could not be loaded */
	char init_error[256]; /* when init_rc != PFM_SUCCESS */
	char claims[512];     /* space-separated PMUs libpfm4 says are present */
	struct perf_pfm_event {
		int rc; /* pfm_get_os_event_encoding() */
		char error[96];
		struct perf_event_attr attr;
	} ev[PERF_FRAME_EV_COUNT];
};

struct perf_state {
	struct perf_caps caps;
	char pfm_claims[512];
	struct perf_frame *frame;
	unsigned ncpus;
	int *cpu_ids;
	struct perf_group_fds *groups; /* ncpus × PERF_FRAME_G_COUNT */
	struct perf_event_result ev[PERF_FRAME_EV_COUNT];
	uint64_t buf[3 + 2 * PERF_MAX_MEMBERS];
	uint64_t values[PERF_FRAME_EV_COUNT];
	size_t nbw;
	struct perf_group_fds *bw_groups; /* uncore: read event leads, write event follows */
	struct procfile **bw_files;	  /* resctrl */
	bool turned_off;		  /* --perf-counters=off: nothing opened */
	struct log_limit read_limit;
};

static int
perf_open(struct perf_event_attr *attr, int cpu, int group_fd)
{
	return (int)syscall(__NR_perf_event_open, attr, -1, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
}

/* Resolves sym from libpfm4 into *fn (a function pointer of the right type); false if absent. */
static bool
perf_pfm_sym(void *lib, const char *sym, void *fn, size_t fnlen)
{
	void *p = dlsym(lib, sym);

	/* POSIX guarantees a function pointer fits a void *; memcpy keeps -Wpedantic quiet. */
	if (p == NULL || fnlen != sizeof(p))
		return false;
	memcpy(fn, &p, sizeof(p));
	return true;
}

/* Runs in the encoder child: loads libpfm4, encodes every event, fills *rep. */
static void
perf_pfm_encode_all(struct perf_pfm_reply *rep)
{
	pfm_err_t (*init)(void);
	pfm_err_t (*encode)(const char *, int, pfm_os_t, void *);
	pfm_err_t (*pmu_info)(pfm_pmu_t, pfm_pmu_info_t *);
	const char *(*strerr)(int);
	void *lib = dlopen(PERF_PFM_SONAME, RTLD_NOW | RTLD_LOCAL);

	rep->init_rc = -1;
	if (lib == NULL || !perf_pfm_sym(lib, "pfm_initialize", &init, sizeof(init)) ||
	    !perf_pfm_sym(lib, "pfm_get_os_event_encoding", &encode, sizeof(encode)) ||
	    !perf_pfm_sym(lib, "pfm_get_pmu_info", &pmu_info, sizeof(pmu_info)) ||
	    !perf_pfm_sym(lib, "pfm_strerror", &strerr, sizeof(strerr))) {
		const char *err = dlerror();

		snprintf(rep->init_error, sizeof(rep->init_error), "cannot load %s: %s",
			 PERF_PFM_SONAME, err ? err : "a symbol is missing");
		return;
	}
	rep->init_rc = init();
	if (rep->init_rc != PFM_SUCCESS) {
		snprintf(rep->init_error, sizeof(rep->init_error), "%s", strerr(rep->init_rc));
		return;
	}
	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		struct perf_pfm_event *r = &rep->ev[e];
		pfm_perf_encode_arg_t arg;

		memset(&arg, 0, sizeof(arg));
		arg.attr = &r->attr;
		arg.size = sizeof(arg);
		r->rc = encode(perf_frame_events[e].pfm_name, PFM_PLM0 | PFM_PLM3,
			       PFM_OS_PERF_EVENT_EXT, &arg);
		if (r->rc != PFM_SUCCESS)
			snprintf(r->error, sizeof(r->error), "%s", strerr(r->rc));
	}
	for (int p = 0; p < PFM_PMU_MAX; p++) {
		pfm_pmu_info_t info;
		size_t used = strlen(rep->claims);

		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		if (pmu_info((pfm_pmu_t)p, &info) == PFM_SUCCESS && info.is_present)
			snprintf(rep->claims + used, sizeof(rep->claims) - used, "%s%s",
				 used ? " " : "", info.name);
	}
}

/* Reads exactly len bytes unless EOF or an error comes first; returns the count read. */
static size_t
perf_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* Writes all of buf; returns 0 or -1. */
static int
perf_write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = write(fd, (const char *)buf + put, len - put);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		put += (size_t)n;
	}
	return 0;
}

/*
 * Has a forked child dlopen libpfm4 and encode every event's portable name, and reads the
 * fixed-size answer from a pipe: the daemon itself never maps libpfm4. Returns 0, or -1 with a
 * sentence in why.
 */
static int
perf_pfm_encode(struct perf_pfm_reply *rep, char *why, size_t whylen)
{
	int fds[2], status = 0;
	size_t got;
	pid_t pid;

	memset(rep, 0, sizeof(*rep));
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(why, whylen, "cannot create a pipe for the libpfm4 encoder: %s",
			 strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot start the libpfm4 encoder process: %s",
			 strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		perf_pfm_encode_all(rep);
		_exit(perf_write_full(fds[1], rep, sizeof(*rep)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	got = perf_read_full(fds[0], rep, sizeof(*rep));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(*rep)) {
		snprintf(why, whylen, "the libpfm4 encoder process ended without an answer (%s %d)",
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return -1;
	}
	if (rep->init_rc != PFM_SUCCESS) {
		snprintf(why, whylen, "libpfm4 cannot initialise: %s", rep->init_error);
		return -1;
	}
	return 0;
}

/* Takes every event's encoding from the encoder child's answer, for all CPUs. */
static void
perf_encode_events(struct perf_state *st, const struct perf_pfm_reply *rep)
{
	snprintf(st->pfm_claims, sizeof(st->pfm_claims), "%s", rep->claims);
	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		struct perf_event_result *r = &st->ev[e];

		r->encoded = rep->ev[e].rc == PFM_SUCCESS;
		if (!r->encoded) {
			snprintf(r->pfm_error, sizeof(r->pfm_error), "%s", rep->ev[e].error);
			r->reason = PERF_REASON_EVENT_UNKNOWN;
			continue;
		}
		r->attr = rep->ev[e].attr;
		r->attr.size = sizeof(r->attr);
		r->attr.read_format = PERF_READ_FORMAT;
	}
}

/* Adds fd as a member of g; false (fd closed, errno set) when the kernel will not say its id. */
static bool
perf_group_add(struct perf_group_fds *g, int fd, enum perf_frame_event ev)
{
	uint64_t id;

	if (g->n >= PERF_MAX_MEMBERS || ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
		int err = g->n >= PERF_MAX_MEMBERS ? E2BIG : errno;

		close(fd);
		errno = err;
		return false;
	}
	if (g->leader < 0)
		g->leader = fd;
	g->fd[g->n] = fd;
	g->id[g->n] = id;
	g->ev[g->n] = ev;
	g->n++;
	return true;
}

/* Opens group grp on CPU index ci; every event that fails gets its reason in the frame. */
static void
perf_open_group(struct perf_state *st, unsigned ci, enum perf_frame_group grp)
{
	struct perf_group_fds *g = &st->groups[ci * PERF_FRAME_G_COUNT + grp];
	bool hw = perf_frame_group_is_hw(grp);

	g->leader = -1;
	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		struct perf_event_result *r = &st->ev[e];
		struct perf_event_attr attr;
		enum perf_reason why;
		int fd;

		if (perf_frame_events[e].group != grp)
			continue;
		if (!r->encoded) {
			perf_frame_set_event_reason(st->frame, ci, e, PERF_REASON_EVENT_UNKNOWN);
			continue;
		}
		attr = r->attr;
		attr.disabled = g->leader < 0;
		fd = perf_open(&attr, st->cpu_ids[ci], g->leader);
		if (fd >= 0 && perf_group_add(g, fd, e)) {
			r->opened++;
			continue;
		}
		why = perf_caps_classify(&st->caps, hw, errno);
		if (r->first_errno == 0) {
			r->first_errno = errno;
			r->reason = why;
		}
		perf_frame_set_event_reason(st->frame, ci, e, why);
	}
	if (g->leader >= 0 && ioctl(g->leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0)
		log_warn("cannot enable the %s group on CPU %d: %s", perf_frame_group_name(grp),
			 st->cpu_ids[ci], strerror(errno));
}

static void
perf_close_group(struct perf_group_fds *g)
{
	for (unsigned i = 0; i < g->n; i++)
		close(g->fd[i]);
	g->n = 0;
	g->leader = -1;
}

/* Reads one group into st->values; returns 0 with the group's times, or -1. */
static int
perf_read_group(struct perf_state *st, const struct perf_group_fds *g, uint64_t *enabled,
		uint64_t *running)
{
	size_t want = (3 + 2 * (size_t)g->n) * sizeof(uint64_t);
	ssize_t n = read(g->leader, st->buf, want);

	if (n != (ssize_t)want || st->buf[0] != g->n)
		return -1;
	*enabled = st->buf[1];
	*running = st->buf[2];
	for (unsigned i = 0; i < g->n; i++) {
		uint64_t value = st->buf[3 + 2 * i], id = st->buf[4 + 2 * i];

		for (unsigned m = 0; m < g->n; m++) {
			if (g->id[m] == id)
				st->values[g->ev[m]] = value;
		}
	}
	return 0;
}

/* Opens the uncore read/write pair of each bandwidth channel; false when any fails. */
static bool
perf_open_bw_pmus(struct perf_state *st, char *why, size_t whylen)
{
	st->bw_groups = xcalloc(st->caps.nbw, sizeof(*st->bw_groups));
	for (size_t i = 0; i < st->caps.nbw; i++) {
		const struct perf_caps_bw *b = &st->caps.bw[i];
		const struct perf_caps_pmu_event *pe[2] = {&b->read, &b->write};
		struct perf_group_fds *g = &st->bw_groups[i];

		g->leader = -1;
		for (unsigned k = 0; k < 2; k++) {
			struct perf_event_attr attr;
			int fd;

			memset(&attr, 0, sizeof(attr));
			attr.size = sizeof(attr);
			attr.type = pe[k]->type;
			attr.config = pe[k]->config;
			attr.config1 = pe[k]->config1;
			attr.config2 = pe[k]->config2;
			attr.read_format = PERF_READ_FORMAT;
			attr.disabled = k == 0;
			fd = perf_open(&attr, pe[k]->cpu, g->leader);
			if (fd < 0) {
				char text[300];
				int err = errno;

				perf_caps_explain(&st->caps,
						  perf_caps_classify(&st->caps, true, err), text,
						  sizeof(text));
				snprintf(why, whylen, "cannot open %s: %s (%s)", b->name,
					 strerror(err), text);
				return false;
			}
			/* Members are indexed 0 (read) and 1 (write) in st->values. */
			if (!perf_group_add(g, fd, (enum perf_frame_event)k))
				break;
		}
		if (g->n != 2 ||
		    ioctl(g->leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0) {
			snprintf(why, whylen, "cannot set up the %s counters", b->name);
			return false;
		}
	}
	return true;
}

/* Opens the bandwidth source the probe found and declares it to the frame. */
static void
perf_open_bw(struct perf_state *st)
{
	double rd[PERF_CAPS_MAX_BW], wr[PERF_CAPS_MAX_BW];
	char why[512], err[256];
	bool ok = st->caps.nbw > 0;

	why[0] = '\0';
	if (ok && st->caps.bw_kind == PERF_BW_RESCTRL) {
		st->bw_files = xcalloc(st->caps.nbw, sizeof(*st->bw_files));
		for (size_t i = 0; i < st->caps.nbw && ok; i++) {
			char dir[sizeof(st->caps.bw[i].path)], *slash;

			snprintf(dir, sizeof(dir), "%s", st->caps.bw[i].path);
			slash = strrchr(dir, '/');
			if (slash == NULL)
				break;
			*slash = '\0';
			st->bw_files[i] = procfile_open(dir, slash + 1, 64, err, sizeof(err));
			ok = st->bw_files[i] != NULL;
			snprintf(why, sizeof(why), "resctrl MBM unreadable: %s", err);
		}
	} else if (ok) {
		ok = perf_open_bw_pmus(st, why, sizeof(why));
	}
	for (size_t i = 0; ok && i < st->caps.nbw; i++) {
		rd[i] = st->caps.bw[i].read.scale_bytes;
		wr[i] = st->caps.bw[i].write.scale_bytes;
		if (st->caps.bw_kind == PERF_BW_RESCTRL)
			rd[i] = 1.0;
	}
	st->nbw = ok ? st->caps.nbw : 0;
	perf_frame_bw_setup(st->frame, ok ? st->caps.bw_kind : PERF_BW_NONE, st->nbw, rd, wr);
	if (!ok && why[0] != '\0') {
		log_warn("memory bandwidth unavailable: %s", why);
		snprintf(st->caps.bw_why, sizeof(st->caps.bw_why), "%s", why);
	}
}

/* Reads the online CPU list; returns the count or -1. */
static int
perf_online_cpus(const char *sysfs, int **out, char *why, size_t whylen)
{
	char err[256];
	const char *text;
	size_t len;
	struct procfile *pf =
		procfile_open(sysfs, "devices/system/cpu/online", 4096, err, sizeof(err));
	int *ids, n;

	if (pf == NULL) {
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	ids = xcalloc(PERF_MAX_CPUS, sizeof(*ids));
	n = procfile_read(pf, &text, &len) == 0 ? perf_caps_parse_cpulist(text, ids, PERF_MAX_CPUS)
						: -1;
	procfile_free(pf);
	if (n <= 0) {
		snprintf(why, whylen, "cannot parse %s/devices/system/cpu/online", sysfs);
		free(ids);
		return -1;
	}
	*out = ids;
	return n;
}

/*
 * Nominal (TSC) frequency in GHz: --perf-nominal-mhz, cpufreq's base_frequency, or the
 * "@ 2.40GHz" in the CPU model name; 0 when none says.
 */
static double
perf_nominal_ghz(const char *sysfs, const char *procfs, double conf_mhz)
{
	const char *text, *at;
	char err[256];
	struct procfile *pf;
	double ghz = 0;
	size_t len;

	if (conf_mhz > 0)
		return conf_mhz / 1000.0;
	pf = procfile_open(sysfs, "devices/system/cpu/cpu0/cpufreq/base_frequency", 64, err,
			   sizeof(err));
	if (pf != NULL && procfile_read(pf, &text, &len) == 0)
		ghz = atof(text) / 1e6;
	procfile_free(pf);
	if (ghz > 0)
		return ghz;
	pf = procfile_open(procfs, "cpuinfo", 1 << 16, err, sizeof(err));
	if (pf != NULL && procfile_read(pf, &text, &len) == 0) {
		at = strstr(text, "GHz\n");
		while (at != NULL && at > text && at[-1] != '@')
			at--;
		if (at != NULL && at > text)
			ghz = atof(at);
	}
	procfile_free(pf);
	return ghz;
}

/* Adds {code, why, fix, events} for every reason an event could not be opened. */
static int
perf_report_unavailable(const struct perf_state *st, json_t *list)
{
	bool done[PERF_REASON_COUNT] = {false};
	char text[512], fix[512];
	int rc = 0;

	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		enum perf_reason r = st->ev[e].reason;
		json_t *item, *events;

		if (r == PERF_REASON_OK || done[r])
			continue;
		done[r] = true;
		events = json_array();
		for (unsigned k = e; k < PERF_FRAME_EV_COUNT; k++) {
			if (st->ev[k].reason == r)
				rc |= json_array_append_new(events,
							    json_string(perf_frame_events[k].key));
		}
		if (st->turned_off && r == PERF_REASON_TURNED_OFF)
			rc |= json_array_append_new(events, json_string("membw"));
		perf_caps_explain(&st->caps, r, text, sizeof(text));
		perf_caps_fix(&st->caps, r, fix, sizeof(fix));
		item = json_pack("{s:s, s:s, s:s, s:o}", "code", perf_caps_reason_code(r), "why",
				 text, "fix", fix, "events", events);
		rc |= item ? json_array_append_new(list, item) : -1;
	}
	/* Without a PMU, errno hides a second obstacle: say it too. */
	if (!perf_caps_privileged(&st->caps) && !done[PERF_REASON_PARANOID] && !st->turned_off) {
		perf_caps_explain(&st->caps, PERF_REASON_PARANOID, text, sizeof(text));
		perf_caps_fix(&st->caps, PERF_REASON_PARANOID, fix, sizeof(fix));
		rc |= json_array_append_new(list,
					    json_pack("{s:s, s:s, s:s, s:[]}", "code", "paranoid",
						      "why", text, "fix", fix, "events"));
	}
	if (st->nbw == 0 && !st->turned_off) {
		perf_caps_explain(&st->caps, PERF_REASON_NO_BANDWIDTH, text, sizeof(text));
		perf_caps_fix(&st->caps, PERF_REASON_NO_BANDWIDTH, fix, sizeof(fix));
		rc |= json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:[s]}", "code",
							    "no_bandwidth_source", "why", text,
							    "fix", fix, "events", "membw"));
	}
	return rc;
}

/* The per-event part of the report: how each was encoded and on how many CPUs it opened. */
static json_t *
perf_report_events(const struct perf_state *st)
{
	json_t *events = json_array();

	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		const struct perf_event_result *r = &st->ev[e];
		const char *errname = r->first_errno ? strerrorname_np(r->first_errno) : NULL;

		json_array_append_new(
			events,
			json_pack("{s:s, s:s, s:s, s:b, s:b, s:i, s:s?, s:s}", "event",
				  perf_frame_events[e].key, "name", perf_frame_events[e].pfm_name,
				  "group", perf_frame_group_name(perf_frame_events[e].group),
				  "hardware", perf_frame_group_is_hw(perf_frame_events[e].group),
				  "encoded", r->encoded, "opened_cpus", (int)r->opened, "errno",
				  errname, "reason", perf_caps_reason_code(r->reason)));
	}
	return events;
}

/* The libpfm4 PMUs that claim to be present (matched on the CPU model, not the kernel). */
static json_t *
perf_report_pfm_pmus(const struct perf_state *st)
{
	json_t *list = json_array();
	const char *p = st->pfm_claims;

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n > 0)
			json_array_append_new(list, json_stringn(p, n));
		p += n + (p[n] == ' ');
	}
	return list;
}

/* Builds the capability report (GET /api/v1/hw) and hands its text to the frame. */
static void
perf_build_report(struct perf_state *st, double nominal_ghz, double peak_gbs)
{
	static const char *const bw_kinds[] = {"none", "intel_imc", "amd_umc", "resctrl"};
	void *(*jmalloc)(size_t);
	void (*jfree)(void *);
	struct utsname uts;
	json_t *report, *cpus = json_array(), *channels = json_array(), *unavail = json_array();
	char *text;

	uname(&uts);
	for (unsigned i = 0; i < st->ncpus; i++)
		json_array_append_new(cpus, json_integer(st->cpu_ids[i]));
	for (size_t i = 0; i < st->nbw; i++)
		json_array_append_new(channels, json_string(st->caps.bw[i].name));
	if (perf_report_unavailable(st, unavail) != 0)
		log_warn("capability report is incomplete");
	report = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:i, s:b, s:b, s:o, s:f, s:f, s:o,"
			   " s:{s:s, s:o}, s:o}",
			   "source", "perf_event", "kernel", uts.release, "pmus", st->caps.pmus,
			   "core_pmu", st->caps.core_pmu[0] ? st->caps.core_pmu : NULL,
			   "libpfm4_claims", perf_report_pfm_pmus(st), "perf_event_paranoid",
			   st->caps.paranoid, "cap_perfmon", st->caps.cap_perfmon, "cap_sys_admin",
			   st->caps.cap_sys_admin, "cpus", cpus, "nominal_ghz", nominal_ghz,
			   "peak_gbs", peak_gbs, "events", perf_report_events(st), "bandwidth",
			   "kind", bw_kinds[st->nbw ? st->caps.bw_kind : PERF_BW_NONE], "channels",
			   channels, "unavailable", unavail);
	if (report == NULL) {
		log_warn("cannot build the capability report");
		return;
	}
	text = json_dumps(report, JSON_COMPACT);
	json_decref(report);
	if (text == NULL)
		return;
	log_info("capability report: %s", text);
	perf_frame_set_caps_report(st->frame, text);
	json_get_alloc_funcs(&jmalloc, &jfree);
	jfree(text);
}

/* Says once, in sentences, what is counted and what is not. */
static void
perf_log_summary(const struct perf_state *st)
{
	char text[512], fix[512];
	unsigned sw = 0, hw = 0;
	bool said[PERF_REASON_COUNT] = {false};

	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		enum perf_reason r = st->ev[e].reason;

		if (st->ev[e].opened > 0)
			*(perf_frame_group_is_hw(perf_frame_events[e].group) ? &hw : &sw) += 1;
		if (r == PERF_REASON_OK || said[r])
			continue;
		said[r] = true;
		perf_caps_explain(&st->caps, r, text, sizeof(text));
		perf_caps_fix(&st->caps, r, fix, sizeof(fix));
		log_warn("%s unavailable (%s): %s%s%s", perf_frame_events[e].key,
			 perf_caps_reason_code(r), text, fix[0] ? "; fix: " : "", fix);
	}
	log_info("counting %u software and %u hardware events on %u CPUs, %zu bandwidth channels",
		 sw, hw, st->ncpus, st->nbw);
}

/* Gives every reason its sentence for this machine. */
static void
perf_set_whys(struct perf_state *st)
{
	char text[512];

	for (unsigned r = 1; r < PERF_REASON_COUNT; r++) {
		perf_caps_explain(&st->caps, (enum perf_reason)r, text, sizeof(text));
		perf_frame_set_why(st->frame, (enum perf_reason)r, text);
	}
}

static void perf_live_fini(struct perf_state *st);

/* --perf-counters=off: no counter is opened, every metric says turned_off. */
static void
perf_turn_off(struct perf_state *st)
{
	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		st->ev[e].reason = PERF_REASON_TURNED_OFF;
		for (unsigned c = 0; c < st->ncpus; c++)
			perf_frame_set_event_reason(st->frame, c, e, PERF_REASON_TURNED_OFF);
	}
	for (size_t i = 0; i < (size_t)st->ncpus * PERF_FRAME_G_COUNT; i++)
		st->groups[i].leader = -1;
	perf_frame_set_bw_none_reason(st->frame, PERF_REASON_TURNED_OFF);
}

static void *
perf_live_init(const struct source_env *env, char *why, size_t whylen)
{
	struct perf_state *st;
	struct perf_pfm_reply *rep = xcalloc(1, sizeof(*rep));
	double nominal, peak_gbs = env->conf ? env->conf->perf_peak_gbs : 0;
	bool off = env->conf != NULL && !env->conf->perf_counters;
	int n;

	if (!off && perf_pfm_encode(rep, why, whylen) != 0) {
		free(rep);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->turned_off = off;
	st->read_limit = (struct log_limit)LOG_LIMIT_INIT(600);
	n = perf_online_cpus(env->sysfs, &st->cpu_ids, why, whylen);
	if (n < 0)
		goto fail;
	st->ncpus = (unsigned)n;
	perf_caps_probe(env->sysfs, env->procfs, &st->caps);
	st->frame = perf_frame_new(st->ncpus, st->cpu_ids, "perf_event", NULL);
	perf_set_whys(st);
	nominal = perf_nominal_ghz(env->sysfs, env->procfs,
				   env->conf ? env->conf->perf_nominal_mhz : 0);
	perf_frame_set_nominal_ghz(st->frame, nominal);
	perf_frame_set_peak_gbs(st->frame, peak_gbs > 0 ? peak_gbs : 0);
	st->groups = xcalloc((size_t)st->ncpus * PERF_FRAME_G_COUNT, sizeof(*st->groups));
	if (off) {
		perf_turn_off(st);
	} else {
		perf_encode_events(st, rep);
		for (unsigned c = 0; c < st->ncpus; c++) {
			for (unsigned g = 0; g < PERF_FRAME_G_COUNT; g++)
				perf_open_group(st, c, (enum perf_frame_group)g);
		}
		perf_open_bw(st);
	}
	free(rep);
	rep = NULL;
	perf_build_report(st, nominal, peak_gbs);
	perf_log_summary(st);
	return st;
fail:
	free(rep);
	perf_live_fini(st);
	return NULL;
}

static int
perf_live_sample(struct perf_state *st, const struct tick *tick)
{
	uint64_t enabled, running;
	int failed = 0;

	perf_frame_tick_begin(st->frame);
	for (unsigned c = 0; c < st->ncpus; c++) {
		for (unsigned g = 0; g < PERF_FRAME_G_COUNT; g++) {
			struct perf_group_fds *grp = &st->groups[c * PERF_FRAME_G_COUNT + g];

			if (grp->leader < 0)
				continue;
			if (perf_read_group(st, grp, &enabled, &running) != 0) {
				failed++;
				continue;
			}
			perf_frame_group_read(st->frame, c, (enum perf_frame_group)g, enabled,
					      running, st->values);
		}
	}
	for (size_t i = 0; i < st->nbw; i++) {
		if (st->bw_files != NULL) {
			const char *text;
			size_t len;
			char *end;
			unsigned long long v;

			/* resctrl says "Unavailable" while MBM has no data for the domain yet. */
			if (procfile_read(st->bw_files[i], &text, &len) != 0)
				continue;
			v = strtoull(text, &end, 10);
			if (end != text)
				perf_frame_bw_read(st->frame, i, v, 0, tick->mono_ns);
		} else if (perf_read_group(st, &st->bw_groups[i], &enabled, &running) == 0) {
			perf_frame_bw_read(st->frame, i, st->values[0], st->values[1], enabled);
		} else {
			failed++;
		}
	}
	if (failed > 0) {
		log_limited(&st->read_limit, LOG_LEVEL_WARN, "%d counter group reads failed",
			    failed);
		return -1;
	}
	return 0;
}

static void
perf_live_fini(struct perf_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; st->groups != NULL && i < (size_t)st->ncpus * PERF_FRAME_G_COUNT; i++)
		perf_close_group(&st->groups[i]);
	for (size_t i = 0; st->bw_groups != NULL && i < st->caps.nbw; i++)
		perf_close_group(&st->bw_groups[i]);
	for (size_t i = 0; st->bw_files != NULL && i < st->caps.nbw; i++)
		procfile_free(st->bw_files[i]);
	free(st->groups);
	free(st->bw_groups);
	free(st->bw_files);
	free(st->cpu_ids);
	perf_frame_free(st->frame);
	free(st);
}

/* The source's state: the live counters, or the replay that --perf-replay selected. */
struct perf_source_state {
	struct perf_state *live;
	struct perf_replay *replay;
};

static void *
perf_init(const struct source_env *env, char *why, size_t whylen)
{
	struct perf_source_state *s = xcalloc(1, sizeof(*s));

	if (env->conf != NULL && env->conf->perf_replay != NULL && env->conf->perf_replay[0]) {
		log_warn("--perf-replay: counters come from the trace %s, not from this machine",
			 env->conf->perf_replay);
		s->replay = perf_replay_open(env->conf->perf_replay, why, whylen);
	} else {
		s->live = perf_live_init(env, why, whylen);
	}
	if (s->live == NULL && s->replay == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static int
perf_sample(void *state, const struct tick *tick)
{
	struct perf_source_state *s = state;

	return s->replay ? perf_replay_sample(s->replay, tick) : perf_live_sample(s->live, tick);
}

static int
perf_encode(void *state, json_t *frame)
{
	struct perf_source_state *s = state;

	return s->replay ? perf_replay_encode(s->replay, frame)
			 : perf_frame_encode(s->live->frame, frame);
}

static void
perf_fini(void *state)
{
	struct perf_source_state *s = state;

	if (s == NULL)
		return;
	perf_replay_free(s->replay);
	perf_live_fini(s->live);
	free(s);
}

const struct source_ops perf_source = {"perf", perf_init, perf_sample, perf_encode, perf_fini};
