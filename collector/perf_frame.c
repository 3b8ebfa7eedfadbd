/*
 * Turns cumulative perf group reads into the frame's "perf" section: scaled per-interval deltas
 * per CPU, derived metrics per CPU and in total, memory bandwidth, and a reason for every null.
 */
#include "collector/perf_frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collector/jkeep.h"
#include "collector/perf_math.h"
#include "common/xalloc.h"

/* The capability report rides along with the first frame and then once an hour at 1 Hz. */
#define PERF_FRAME_CAPS_EVERY 3600

#define EV(x) PERF_FRAME_EV_##x

const struct perf_frame_event_def perf_frame_events[PERF_FRAME_EV_COUNT] = {
	[EV(CONTEXT_SWITCHES)] = {"context_switches", "perf::context-switches", PERF_FRAME_G_SW},
	[EV(CPU_MIGRATIONS)] = {"cpu_migrations", "perf::cpu-migrations", PERF_FRAME_G_SW},
	[EV(PAGE_FAULTS)] = {"page_faults", "perf::page-faults", PERF_FRAME_G_SW},
	[EV(TASK_CLOCK)] = {"task_clock", "perf::task-clock", PERF_FRAME_G_SW},
	[EV(CYCLES)] = {"cycles", "cycles", PERF_FRAME_G_CORE},
	[EV(INSTRUCTIONS)] = {"instructions", "instructions", PERF_FRAME_G_CORE},
	[EV(REF_CYCLES)] = {"ref_cycles", "ref-cycles", PERF_FRAME_G_CORE},
	[EV(BRANCHES)] = {"branches", "branch-instructions", PERF_FRAME_G_CORE},
	[EV(BRANCH_MISSES)] = {"branch_misses", "branch-misses", PERF_FRAME_G_CORE},
	[EV(CACHE_REFS)] = {"cache_references", "cache-references", PERF_FRAME_G_CACHE},
	[EV(CACHE_MISSES)] = {"cache_misses", "cache-misses", PERF_FRAME_G_CACHE},
	[EV(LLC_LOADS)] = {"llc_loads", "LLC-loads", PERF_FRAME_G_CACHE},
	[EV(LLC_MISSES)] = {"llc_load_misses", "LLC-load-misses", PERF_FRAME_G_CACHE},
	[EV(L1D_LOADS)] = {"l1d_loads", "L1-dcache-loads", PERF_FRAME_G_L1TLB},
	[EV(L1D_MISSES)] = {"l1d_load_misses", "L1-dcache-load-misses", PERF_FRAME_G_L1TLB},
	[EV(DTLB_MISSES)] = {"dtlb_load_misses", "dTLB-load-misses", PERF_FRAME_G_L1TLB},
	[EV(STALL_FE)] = {"stalled_cycles_frontend", "stalled-cycles-frontend", PERF_FRAME_G_STALL},
	[EV(STALL_BE)] = {"stalled_cycles_backend", "stalled-cycles-backend", PERF_FRAME_G_STALL},
};

static const char *const perf_frame_group_names[PERF_FRAME_G_COUNT] = {"sw", "core", "cache",
								       "l1tlb", "stall"};

/* How a metric is computed from the interval's scaled deltas. */
enum perf_frame_kind {
	PERF_FRAME_K_RATE,  /* num per second of the group's enabled time, × mult */
	PERF_FRAME_K_RATIO, /* num / den × mult */
	PERF_FRAME_K_HIT,   /* 100 − num / den × 100 */
	PERF_FRAME_K_FREQ,  /* nominal GHz × num / den */
	PERF_FRAME_K_DUTY,  /* % of the interval the group was counted */
};

struct perf_frame_metric {
	const char *key;
	bool hw;
	enum perf_frame_kind kind;
	enum perf_frame_event num, den;
	double mult;
	enum perf_frame_group group; /* PERF_FRAME_K_DUTY */
};

static const struct perf_frame_metric perf_frame_metrics[] = {
	{"context_switches_per_s", false, PERF_FRAME_K_RATE, EV(CONTEXT_SWITCHES), 0, 1, 0},
	{"cpu_migrations_per_s", false, PERF_FRAME_K_RATE, EV(CPU_MIGRATIONS), 0, 1, 0},
	{"page_faults_per_s", false, PERF_FRAME_K_RATE, EV(PAGE_FAULTS), 0, 1, 0},
	/* task-clock counts ns: ns per second × 1e-7 = % of the interval. */
	{"task_clock_pct", false, PERF_FRAME_K_RATE, EV(TASK_CLOCK), 0, 1e-7, 0},
	{"sw_counted_pct", false, PERF_FRAME_K_DUTY, 0, 0, 100, PERF_FRAME_G_SW},
	{"ghz", true, PERF_FRAME_K_FREQ, EV(CYCLES), EV(REF_CYCLES), 1, 0},
	{"ipc", true, PERF_FRAME_K_RATIO, EV(INSTRUCTIONS), EV(CYCLES), 1, 0},
	{"cpi", true, PERF_FRAME_K_RATIO, EV(CYCLES), EV(INSTRUCTIONS), 1, 0},
	{"cycles_per_s", true, PERF_FRAME_K_RATE, EV(CYCLES), 0, 1, 0},
	{"instructions_per_s", true, PERF_FRAME_K_RATE, EV(INSTRUCTIONS), 0, 1, 0},
	{"branch_miss_pct", true, PERF_FRAME_K_RATIO, EV(BRANCH_MISSES), EV(BRANCHES), 100, 0},
	{"branch_mpki", true, PERF_FRAME_K_RATIO, EV(BRANCH_MISSES), EV(INSTRUCTIONS), 1000, 0},
	{"cache_miss_pct", true, PERF_FRAME_K_RATIO, EV(CACHE_MISSES), EV(CACHE_REFS), 100, 0},
	{"llc_miss_pct", true, PERF_FRAME_K_RATIO, EV(LLC_MISSES), EV(LLC_LOADS), 100, 0},
	{"llc_hit_pct", true, PERF_FRAME_K_HIT, EV(LLC_MISSES), EV(LLC_LOADS), 100, 0},
	{"llc_mpki", true, PERF_FRAME_K_RATIO, EV(LLC_MISSES), EV(INSTRUCTIONS), 1000, 0},
	{"l1d_miss_pct", true, PERF_FRAME_K_RATIO, EV(L1D_MISSES), EV(L1D_LOADS), 100, 0},
	{"l1d_hit_pct", true, PERF_FRAME_K_HIT, EV(L1D_MISSES), EV(L1D_LOADS), 100, 0},
	{"dtlb_load_misses_per_s", true, PERF_FRAME_K_RATE, EV(DTLB_MISSES), 0, 1, 0},
	{"dtlb_mpki", true, PERF_FRAME_K_RATIO, EV(DTLB_MISSES), EV(INSTRUCTIONS), 1000, 0},
	{"stall_frontend_pct", true, PERF_FRAME_K_RATIO, EV(STALL_FE), EV(CYCLES), 100, 0},
	{"stall_backend_pct", true, PERF_FRAME_K_RATIO, EV(STALL_BE), EV(CYCLES), 100, 0},
	{"core_counted_pct", true, PERF_FRAME_K_DUTY, 0, 0, 100, PERF_FRAME_G_CORE},
	{"cache_counted_pct", true, PERF_FRAME_K_DUTY, 0, 0, 100, PERF_FRAME_G_CACHE},
	{"l1tlb_counted_pct", true, PERF_FRAME_K_DUTY, 0, 0, 100, PERF_FRAME_G_L1TLB},
	{"stall_counted_pct", true, PERF_FRAME_K_DUTY, 0, 0, 100, PERF_FRAME_G_STALL},
};

/* One CPU: last cumulative reads and this interval's scaled deltas with their status. */
struct perf_frame_cpu {
	int id;
	enum perf_reason ev_open[PERF_FRAME_EV_COUNT]; /* set at open; OK when counting */
	enum perf_reason ev_tick[PERF_FRAME_EV_COUNT]; /* this interval */
	double delta[PERF_FRAME_EV_COUNT];
	uint64_t prev_value[PERF_FRAME_EV_COUNT];
	bool have_prev[PERF_FRAME_G_COUNT];
	uint64_t prev_enabled[PERF_FRAME_G_COUNT], prev_running[PERF_FRAME_G_COUNT];
	enum perf_reason g_tick[PERF_FRAME_G_COUNT];
	uint64_t dt_ns[PERF_FRAME_G_COUNT];
	double duty[PERF_FRAME_G_COUNT];
};

/* One memory-bandwidth channel (uncore PMU or resctrl domain). */
struct perf_frame_bw {
	double rd_scale, wr_scale;
	bool have_prev;
	uint64_t rd, wr, t_ns;
	enum perf_reason tick;
	double rd_gbs, wr_gbs;
};

struct perf_frame {
	unsigned ncpus;
	struct perf_frame_cpu *cpus;
	char source[32];
	char *origin;
	char *caps_report;
	uint64_t ticks, encodes;
	long trace_tick;
	double nominal_ghz, peak_gbs;
	enum perf_bw_kind bw_kind;
	size_t nbw;
	enum perf_reason bw_none; /* why the bandwidth is null without a source */
	struct perf_frame_bw *bw;
	char why[PERF_REASON_COUNT][400];
	json_t *section; /* kept between ticks (jkeep.h) */
};

const char *
perf_frame_group_name(enum perf_frame_group g)
{
	return (unsigned)g < PERF_FRAME_G_COUNT ? perf_frame_group_names[g] : "?";
}

bool
perf_frame_group_is_hw(enum perf_frame_group g)
{
	return g != PERF_FRAME_G_SW;
}

struct perf_frame *
perf_frame_new(unsigned ncpus, const int *cpu_ids, const char *source, const char *origin)
{
	struct perf_frame *f = xcalloc(1, sizeof(*f));

	f->ncpus = ncpus;
	f->cpus = xcalloc(ncpus ? ncpus : 1, sizeof(*f->cpus));
	for (unsigned i = 0; i < ncpus; i++) {
		f->cpus[i].id = cpu_ids[i];
		for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++)
			f->cpus[i].ev_tick[e] = PERF_REASON_WARMING_UP;
		for (unsigned g = 0; g < PERF_FRAME_G_COUNT; g++)
			f->cpus[i].g_tick[g] = PERF_REASON_WARMING_UP;
	}
	snprintf(f->source, sizeof(f->source), "%s", source);
	f->origin = origin ? xstrdup(origin) : NULL;
	f->trace_tick = -1;
	f->bw_none = PERF_REASON_NO_BANDWIDTH;
	return f;
}

void
perf_frame_free(struct perf_frame *f)
{
	if (f == NULL)
		return;
	free(f->cpus);
	free(f->bw);
	free(f->origin);
	free(f->caps_report);
	json_decref(f->section);
	free(f);
}

void
perf_frame_set_why(struct perf_frame *f, enum perf_reason r, const char *text)
{
	if ((unsigned)r < PERF_REASON_COUNT)
		snprintf(f->why[r], sizeof(f->why[r]), "%s", text);
}

void
perf_frame_set_event_reason(struct perf_frame *f, unsigned cpu, enum perf_frame_event ev,
			    enum perf_reason r)
{
	if (cpu < f->ncpus && (unsigned)ev < PERF_FRAME_EV_COUNT)
		f->cpus[cpu].ev_open[ev] = r;
}

void
perf_frame_set_nominal_ghz(struct perf_frame *f, double ghz)
{
	f->nominal_ghz = ghz;
}

void
perf_frame_set_peak_gbs(struct perf_frame *f, double gbs)
{
	f->peak_gbs = gbs;
}

void
perf_frame_set_caps_report(struct perf_frame *f, const char *json_text)
{
	free(f->caps_report);
	f->caps_report = json_text ? xstrdup(json_text) : NULL;
}

void
perf_frame_set_trace_tick(struct perf_frame *f, long tick)
{
	f->trace_tick = tick;
}

void
perf_frame_tick_begin(struct perf_frame *f)
{
	f->ticks++;
	for (unsigned i = 0; i < f->ncpus; i++) {
		struct perf_frame_cpu *c = &f->cpus[i];

		for (unsigned g = 0; g < PERF_FRAME_G_COUNT; g++)
			c->g_tick[g] =
				c->have_prev[g] ? PERF_REASON_READ_FAILED : PERF_REASON_WARMING_UP;
		for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++)
			c->ev_tick[e] = c->g_tick[perf_frame_events[e].group];
	}
	for (size_t i = 0; i < f->nbw; i++)
		f->bw[i].tick =
			f->bw[i].have_prev ? PERF_REASON_READ_FAILED : PERF_REASON_WARMING_UP;
}

static enum perf_reason
perf_frame_from_math(enum perf_math_status st)
{
	switch (st) {
	case PERF_MATH_OK:
		return PERF_REASON_OK;
	case PERF_MATH_RESET:
		return PERF_REASON_RESET;
	case PERF_MATH_ZERO_DENOM:
		return PERF_REASON_ZERO_DENOM;
	case PERF_MATH_NOT_COUNTED:
	case PERF_MATH_NO_INTERVAL:
		return PERF_REASON_NOT_COUNTED;
	}
	return PERF_REASON_NOT_COUNTED;
}

void
perf_frame_group_read(struct perf_frame *f, unsigned cpu, enum perf_frame_group g, uint64_t enabled,
		      uint64_t running, const uint64_t *values)
{
	struct perf_frame_cpu *c;
	bool first;

	if (cpu >= f->ncpus || (unsigned)g >= PERF_FRAME_G_COUNT)
		return;
	c = &f->cpus[cpu];
	first = !c->have_prev[g];
	c->g_tick[g] = first ? PERF_REASON_WARMING_UP : PERF_REASON_OK;
	if (!first) {
		struct perf_math_read prev = {0, c->prev_enabled[g], c->prev_running[g]};
		struct perf_math_read cur = {0, enabled, running};
		double dummy;

		c->dt_ns[g] = enabled - c->prev_enabled[g];
		/* The group's times alone decide "not counted" and the duty cycle. */
		prev.value = cur.value = 0;
		c->g_tick[g] =
			perf_frame_from_math(perf_math_scale(&prev, &cur, &dummy, &c->duty[g]));
	}
	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		struct perf_math_read prev, cur;

		if (perf_frame_events[e].group != g || c->ev_open[e] != PERF_REASON_OK)
			continue;
		prev = (struct perf_math_read){c->prev_value[e], c->prev_enabled[g],
					       c->prev_running[g]};
		cur = (struct perf_math_read){values[e], enabled, running};
		c->ev_tick[e] = c->g_tick[g];
		if (!first && c->g_tick[g] == PERF_REASON_OK)
			c->ev_tick[e] = perf_frame_from_math(
				perf_math_scale(&prev, &cur, &c->delta[e], NULL));
		c->prev_value[e] = values[e];
	}
	c->prev_enabled[g] = enabled;
	c->prev_running[g] = running;
	c->have_prev[g] = true;
}

void
perf_frame_bw_setup(struct perf_frame *f, enum perf_bw_kind kind, size_t nchan,
		    const double *rd_scale, const double *wr_scale)
{
	free(f->bw);
	f->bw = NULL;
	f->bw_kind = nchan > 0 ? kind : PERF_BW_NONE;
	f->nbw = f->bw_kind == PERF_BW_NONE ? 0 : nchan;
	if (f->nbw == 0)
		return;
	f->bw = xcalloc(f->nbw, sizeof(*f->bw));
	for (size_t i = 0; i < f->nbw; i++) {
		f->bw[i].rd_scale = rd_scale[i];
		f->bw[i].wr_scale = wr_scale ? wr_scale[i] : 0;
		f->bw[i].tick = PERF_REASON_WARMING_UP;
	}
}

void
perf_frame_set_bw_none_reason(struct perf_frame *f, enum perf_reason r)
{
	f->bw_none = r;
}

void
perf_frame_bw_read(struct perf_frame *f, size_t chan, uint64_t rd, uint64_t wr, uint64_t t_ns)
{
	struct perf_frame_bw *b;
	uint64_t drd = 0, dwr = 0, dt = 0;
	enum perf_math_status st;

	if (chan >= f->nbw)
		return;
	b = &f->bw[chan];
	b->tick = PERF_REASON_WARMING_UP;
	if (b->have_prev) {
		st = perf_math_delta(b->rd, rd, 64, &drd);
		if (st == PERF_MATH_OK)
			st = perf_math_delta(b->wr, wr, 64, &dwr);
		if (st == PERF_MATH_OK && perf_math_delta(b->t_ns, t_ns, 64, &dt) != PERF_MATH_OK)
			st = PERF_MATH_NO_INTERVAL;
		if (st == PERF_MATH_OK)
			st = perf_math_bandwidth_gbs((double)drd, b->rd_scale, dt, &b->rd_gbs);
		if (st == PERF_MATH_OK)
			st = perf_math_bandwidth_gbs((double)dwr, b->wr_scale, dt, &b->wr_gbs);
		b->tick = perf_frame_from_math(st);
	}
	b->rd = rd;
	b->wr = wr;
	b->t_ns = t_ns;
	b->have_prev = true;
}

/* The reason event e on CPU c has no value this interval, or PERF_REASON_OK. */
static enum perf_reason
perf_frame_ev_reason(const struct perf_frame_cpu *c, enum perf_frame_event e)
{
	return c->ev_open[e] != PERF_REASON_OK ? c->ev_open[e] : c->ev_tick[e];
}

/* The first reason among a group's events that failed to open, for a duty of nothing. */
static enum perf_reason
perf_frame_group_reason(const struct perf_frame_cpu *c, enum perf_frame_group g)
{
	enum perf_reason first = PERF_REASON_OK;

	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		if (perf_frame_events[e].group != g)
			continue;
		if (c->ev_open[e] == PERF_REASON_OK)
			return c->g_tick[g];
		if (first == PERF_REASON_OK)
			first = c->ev_open[e];
	}
	return first;
}

/* Numerator and denominator deltas of metric m on CPU c, or the reason they are missing. */
static enum perf_reason
perf_frame_inputs(const struct perf_frame_cpu *c, const struct perf_frame_metric *m, double *num,
		  double *den)
{
	enum perf_reason r;

	if (m->kind == PERF_FRAME_K_DUTY) {
		r = perf_frame_group_reason(c, m->group);
		*num = c->duty[m->group];
		*den = 1;
		/* Multiplexed out all interval: the group was counted 0 % of the time, a value. */
		return r == PERF_REASON_NOT_COUNTED ? PERF_REASON_OK : r;
	}
	r = perf_frame_ev_reason(c, m->num);
	if (r != PERF_REASON_OK)
		return r;
	*num = c->delta[m->num];
	if (m->kind == PERF_FRAME_K_RATE) {
		*den = (double)c->dt_ns[perf_frame_events[m->num].group];
		return PERF_REASON_OK;
	}
	r = perf_frame_ev_reason(c, m->den);
	*den = c->delta[m->den];
	return r;
}

/* Applies metric m's formula to summed inputs. */
static enum perf_reason
perf_frame_apply(const struct perf_frame *f, const struct perf_frame_metric *m, double num,
		 double den, double *out)
{
	enum perf_math_status st;

	switch (m->kind) {
	case PERF_FRAME_K_RATE:
		st = perf_math_rate(num * m->mult, (uint64_t)den, out);
		break;
	case PERF_FRAME_K_HIT:
		st = perf_math_ratio(num, den, m->mult, out);
		*out = 100.0 - *out;
		break;
	case PERF_FRAME_K_FREQ:
		if (!(f->nominal_ghz > 0))
			return PERF_REASON_NO_NOMINAL_FREQ;
		st = perf_math_freq_ghz(num, den, f->nominal_ghz, out);
		break;
	case PERF_FRAME_K_DUTY:
		*out = num / den * m->mult;
		return PERF_REASON_OK;
	case PERF_FRAME_K_RATIO:
	default:
		st = perf_math_ratio(num, den, m->mult, out);
		break;
	}
	return perf_frame_from_math(st);
}

/*
 * Metric m over every CPU: rates and duty cycles combine per CPU (sum, mean), ratios as the
 * ratio of the sums. Valid only when every CPU's inputs are; else the first CPU's reason.
 */
static enum perf_reason
perf_frame_total(const struct perf_frame *f, const struct perf_frame_metric *m, double *out)
{
	double num = 0, den = 0, sum = 0;
	enum perf_reason r;

	*out = 0;
	if (f->ncpus == 0)
		return PERF_REASON_WARMING_UP;
	for (unsigned i = 0; i < f->ncpus; i++) {
		double n, d, v;

		r = perf_frame_inputs(&f->cpus[i], m, &n, &d);
		if (r != PERF_REASON_OK)
			return r;
		if (m->kind == PERF_FRAME_K_RATE || m->kind == PERF_FRAME_K_DUTY) {
			r = perf_frame_apply(f, m, n, d, &v);
			if (r != PERF_REASON_OK)
				return r;
			sum += v;
		}
		num += n;
		den += d;
	}
	if (m->kind == PERF_FRAME_K_RATE) {
		*out = sum;
		return PERF_REASON_OK;
	}
	if (m->kind == PERF_FRAME_K_DUTY) {
		*out = sum / f->ncpus;
		return PERF_REASON_OK;
	}
	return perf_frame_apply(f, m, num, den, out);
}

/* Rounds to 6 significant digits: counters are not more precise, and frames stay small. */
static double
perf_frame_round(double v)
{
	double scale;

	if (v == 0 || !isfinite(v))
		return v;
	scale = pow(10.0, 5 - floor(log10(fabs(v))));
	return round(v * scale) / scale;
}

/* The reasons of a frame's nulls, metric key -> reason, first wins; written out after the values.
 */
struct perf_frame_reasons {
	const char *key[ARRAY_LEN(perf_frame_metrics) + 4];
	enum perf_reason r[ARRAY_LEN(perf_frame_metrics) + 4];
	size_t n;
};

static void
perf_frame_reasons_add(struct perf_frame_reasons *rs, const char *key, enum perf_reason r)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->key[i], key) == 0)
			return;
	}
	if (rs->n < ARRAY_LEN(rs->key)) {
		rs->key[rs->n] = key;
		rs->r[rs->n++] = r;
	}
}

/* Writes {key: reason code} for every reason recorded, in the order they were first seen. */
static int
perf_frame_reasons_write(json_t *obj, const struct perf_frame_reasons *rs)
{
	struct jk_obj c;

	jk_begin(&c, obj);
	for (size_t i = 0; i < rs->n; i++)
		jk_str(&c, rs->key[i], perf_caps_reason_code(rs->r[i]));
	return jk_end(&c);
}

/* Sets obj[key] to the value, or to null and records the reason in reasons (first wins). */
static void
perf_frame_put(struct jk_obj *obj, const char *key, enum perf_reason r, double v,
	       struct perf_frame_reasons *reasons, bool *used)
{
	if (r == PERF_REASON_OK && !isfinite(v))
		r = PERF_REASON_ZERO_DENOM;
	if (r == PERF_REASON_OK) {
		jk_real(obj, key, perf_frame_round(v));
		return;
	}
	used[r] = true;
	perf_frame_reasons_add(reasons, key, r);
	jk_null(obj, key);
}

/*
 * Writes {"total": {...}, "cores": [{"cpu": N, ...}]} for the hardware or software metrics into
 * sec. The total has every metric; a core leaves out a metric that is null for the total's
 * reason, and carries any other reason for a null in its own "reasons".
 */
static int
perf_frame_encode_kind(const struct perf_frame *f, bool hw, json_t *sec,
		       struct perf_frame_reasons *reasons, bool *used)
{
	enum perf_reason total_r[ARRAY_LEN(perf_frame_metrics)];
	struct jk_obj c, total, core;
	struct jk_arr cores;
	struct perf_frame_reasons own;
	int rc = 0;

	jk_begin(&c, sec);
	jk_begin(&total, jk_obj(&c, "total"));
	jk_arr_begin(&cores, jk_arr(&c, "cores"));
	rc |= jk_end(&c);
	for (size_t k = 0; k < ARRAY_LEN(perf_frame_metrics); k++) {
		const struct perf_frame_metric *m = &perf_frame_metrics[k];
		double v;

		if (m->hw != hw)
			continue;
		total_r[k] = perf_frame_total(f, m, &v);
		perf_frame_put(&total, m->key, total_r[k], v, reasons, used);
	}
	rc |= jk_end(&total);
	for (unsigned i = 0; i < f->ncpus; i++) {
		const struct perf_frame_cpu *cpu = &f->cpus[i];

		own.n = 0;
		jk_begin(&core, jk_arr_obj(&cores));
		jk_int(&core, "cpu", cpu->id);
		for (size_t k = 0; k < ARRAY_LEN(perf_frame_metrics); k++) {
			const struct perf_frame_metric *m = &perf_frame_metrics[k];
			enum perf_reason r;
			double n, d, v = 0;

			if (m->hw != hw)
				continue;
			r = perf_frame_inputs(cpu, m, &n, &d);
			if (r == PERF_REASON_OK)
				r = perf_frame_apply(f, m, n, d, &v);
			/* The total's null already says this core's: keep frames small. */
			if (r != PERF_REASON_OK && r == total_r[k])
				continue;
			perf_frame_put(&core, m->key, r, v, &own, used);
		}
		if (own.n > 0)
			rc |= perf_frame_reasons_write(jk_obj(&core, "reasons"), &own);
		rc |= jk_end(&core);
	}
	rc |= jk_arr_end(&cores);
	return rc == 0 ? 0 : -1;
}

/* Writes the "membw" object: read/write/total GB/s over every channel and utilisation. */
static int
perf_frame_encode_bw(const struct perf_frame *f, json_t *obj, struct perf_frame_reasons *reasons,
		     bool *used)
{
	enum perf_reason r = f->nbw == 0 ? f->bw_none : PERF_REASON_OK;
	enum perf_reason split = f->bw_kind == PERF_BW_RESCTRL ? PERF_REASON_NO_SPLIT : r;
	double rd = 0, wr = 0, total, util = 0;
	enum perf_reason ru;
	struct jk_obj o;

	for (size_t i = 0; i < f->nbw && r == PERF_REASON_OK; i++) {
		r = f->bw[i].tick;
		rd += f->bw[i].rd_gbs;
		wr += f->bw[i].wr_gbs;
	}
	if (split == PERF_REASON_OK)
		split = r;
	total = rd + wr;
	ru = r;
	if (ru == PERF_REASON_OK && !(f->peak_gbs > 0))
		ru = PERF_REASON_NO_PEAK;
	else if (ru == PERF_REASON_OK)
		util = total / f->peak_gbs * 100.0;
	jk_begin(&o, obj);
	perf_frame_put(&o, "read_gbs", split, rd, reasons, used);
	perf_frame_put(&o, "write_gbs", split, wr, reasons, used);
	perf_frame_put(&o, "total_gbs", r, total, reasons, used);
	perf_frame_put(&o, "util_pct", ru, util, reasons, used);
	return jk_end(&o);
}

/* Writes "why": the sentence of every reason used in this frame. */
static int
perf_frame_encode_why(const struct perf_frame *f, json_t *obj, const bool *used)
{
	struct jk_obj why;

	jk_begin(&why, obj);
	for (unsigned r = 1; r < PERF_REASON_COUNT; r++) {
		if (used[r])
			jk_str(&why, perf_caps_reason_code((enum perf_reason)r),
			       f->why[r][0] ? f->why[r] : "—");
	}
	return jk_end(&why);
}

/*
 * The capability report goes out every PERF_FRAME_CAPS_EVERY frames: that tick's section is a
 * per-tick (arena) object holding the kept section's values and the report after them.
 */
static json_t *
perf_frame_with_caps(json_t *kept, const char *caps_report)
{
	json_t *sec = json_object(), *caps = json_loads(caps_report, 0, NULL);
	const char *key;
	json_t *v;
	int rc = sec == NULL || caps == NULL;

	json_object_foreach(kept, key, v) rc |= json_object_set(sec, key, v);
	rc |= json_object_set_new(sec, "caps", caps);
	if (rc != 0) {
		json_decref(sec);
		return NULL;
	}
	return sec;
}

int
perf_frame_encode(struct perf_frame *f, json_t *frame)
{
	bool used[PERF_REASON_COUNT] = {false};
	struct perf_frame_reasons reasons = {.n = 0};
	struct jk_obj sec;
	json_t *sw, *hw, *membw, *out;
	bool caps;
	int rc = 0;

	if (f->ticks < 2)
		return 0;
	if (f->section == NULL)
		f->section = jk_new_object();
	jk_begin(&sec, f->section);
	jk_str(&sec, "source", f->source);
	if (f->origin != NULL)
		jk_str(&sec, "origin", f->origin);
	if (f->trace_tick >= 0)
		jk_int(&sec, "trace_tick", f->trace_tick);
	sw = jk_obj(&sec, "sw");
	hw = jk_obj(&sec, "hw");
	membw = jk_obj(&sec, "membw");
	rc |= perf_frame_encode_kind(f, false, sw, &reasons, used);
	rc |= perf_frame_encode_kind(f, true, hw, &reasons, used);
	rc |= perf_frame_encode_bw(f, membw, &reasons, used);
	rc |= perf_frame_reasons_write(jk_obj(&sec, "reasons"), &reasons);
	rc |= perf_frame_encode_why(f, jk_obj(&sec, "why"), used);
	rc |= jk_end(&sec);
	caps = f->caps_report != NULL && f->encodes % PERF_FRAME_CAPS_EVERY == 0;
	f->encodes++;
	if (rc != 0)
		return -1;
	if (caps) {
		out = perf_frame_with_caps(f->section, f->caps_report);
		return out != NULL ? json_object_set_new(frame, "perf", out) : -1;
	}
	return json_object_set(frame, "perf", f->section);
}
