/*
 * cpu source: reads /proc/stat through a kept fd, parses every cpu line, and turns two samples
 * into per-state percentages, per core and in total, coping with CPUs that come and go.
 */
#include "collector/sources/proc_stat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/jkeep.h"
#include "collector/procfile.h"
#include "collector/scan.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "proc_stat"

const char *const proc_stat_state_names[PROC_STAT_NSTATES] = {
	"usr", "nice", "sys", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"};

/* Frame key per activity line; counters become per-second rates, gauges are copied. */
static const struct {
	const char *line;
	const char *key;
	bool counter;
} proc_stat_activities[PROC_STAT_NACTIVITY] = {
	{"ctxt", "ctxt_per_s", true},
	{"intr", "intr_per_s", true},
	{"processes", "forks_per_s", true},
	{"procs_running", "procs_running", false},
	{"procs_blocked", "procs_blocked", false},
};

struct proc_stat_core_pct {
	int cpu;
	double pct[PROC_STAT_NSTATES];
};

struct proc_stat_src {
	struct procfile *pf;
	struct proc_stat snap[2];
	int cur; /* index of the newest snapshot in snap */
	bool have_prev;
	bool total_valid;
	double total_pct[PROC_STAT_NSTATES];
	struct proc_stat_core_pct *core_pct;
	size_t ncore_pct;
	size_t cap;
	double activity[PROC_STAT_NACTIVITY]; /* rates per second, or gauges */
	unsigned activity_valid;	      /* bit per entry of activity[] */
	struct log_limit parse_limit;
	json_t *section; /* kept between ticks (jkeep.h) */
};

/* Reads the state columns after "cpu"/"cpuN"; returns how many, or -1 when fewer than 4. */
static int
proc_stat_parse_columns(struct scan *s, uint64_t jiffies[PROC_STAT_NSTATES])
{
	int n = 0;

	memset(jiffies, 0, sizeof(uint64_t) * PROC_STAT_NSTATES);
	while (n < PROC_STAT_NSTATES && scan_u64(s, &jiffies[n]))
		n++;
	return n >= 4 ? n : -1;
}

/* Parses the number after "cpu" in word[0, len); returns it or -1 when not a cpuN word. */
static int
proc_stat_cpu_number(const char *word, size_t len)
{
	long v = 0;

	if (len < 4 || memcmp(word, "cpu", 3) != 0)
		return -1;
	for (size_t i = 3; i < len; i++) {
		if (word[i] < '0' || word[i] > '9' || v > 1000000)
			return -1;
		v = v * 10 + (word[i] - '0');
	}
	return (int)v;
}

/* Reads the first number of an activity line; returns 1 when found, 0 not one, -1 malformed. */
static int
proc_stat_parse_activity(struct scan *s, const char *word, size_t wlen, struct proc_stat *out)
{
	for (int i = 0; i < PROC_STAT_NACTIVITY; i++) {
		if (!scan_word_is(word, wlen, proc_stat_activities[i].line))
			continue;
		if (!scan_u64(s, &out->activity[i]))
			return -1;
		out->activity_present |= 1u << i;
		return 1;
	}
	return 0;
}

int
proc_stat_parse(const char *text, size_t len, struct proc_stat *out)
{
	struct scan s = scan_init(text, len);
	bool have_total = false;
	const char *word;
	size_t wlen;
	int cpu, ncols;

	out->n = 0;
	out->seen = 0;
	out->activity_present = 0;
	do {
		if (!scan_word(&s, 0, &word, &wlen))
			continue;
		if (wlen < 3 || memcmp(word, "cpu", 3) != 0) {
			if (proc_stat_parse_activity(&s, word, wlen, out) < 0)
				return -1;
			continue;
		}
		if (wlen == 3) {
			out->total.cpu = -1;
			out->ncols = proc_stat_parse_columns(&s, out->total.jiffies);
			have_total = out->ncols > 0;
			continue;
		}
		cpu = proc_stat_cpu_number(word, wlen);
		if (cpu < 0)
			continue;
		if (out->seen++ >= out->cap)
			continue;
		out->cores[out->n].cpu = cpu;
		ncols = proc_stat_parse_columns(&s, out->cores[out->n].jiffies);
		if (ncols < 0)
			return -1;
		out->n++;
	} while (scan_next_line(&s));
	return have_total ? 0 : -1;
}

static uint64_t
proc_stat_delta(uint64_t prev, uint64_t cur)
{
	/* iowait is known to go backwards on NO_HZ kernels; a negative delta counts as none. */
	return cur > prev ? cur - prev : 0;
}

bool
proc_stat_percent(const struct proc_stat_cpu *prev, const struct proc_stat_cpu *cur,
		  double pct[PROC_STAT_NSTATES])
{
	uint64_t d[PROC_STAT_NSTATES];
	uint64_t elapsed = 0;

	for (int i = 0; i < PROC_STAT_NSTATES; i++)
		d[i] = proc_stat_delta(prev->jiffies[i], cur->jiffies[i]);
	/* The kernel counts guest time in usr (and guest_nice in nice) as well. */
	d[PROC_STAT_USR] -=
		d[PROC_STAT_GUEST] < d[PROC_STAT_USR] ? d[PROC_STAT_GUEST] : d[PROC_STAT_USR];
	d[PROC_STAT_NICE] -= d[PROC_STAT_GUEST_NICE] < d[PROC_STAT_NICE] ? d[PROC_STAT_GUEST_NICE]
									 : d[PROC_STAT_NICE];
	for (int i = 0; i < PROC_STAT_NSTATES; i++)
		elapsed += d[i];
	if (elapsed == 0)
		return false;
	for (int i = 0; i < PROC_STAT_NSTATES; i++)
		pct[i] = 100.0 * (double)d[i] / (double)elapsed;
	return true;
}

static void
proc_stat_alloc(struct proc_stat_src *st, size_t cap)
{
	for (int i = 0; i < 2; i++) {
		st->snap[i].cores = xrealloc(st->snap[i].cores, cap * sizeof(struct proc_stat_cpu));
		st->snap[i].cap = cap;
	}
	st->core_pct = xrealloc(st->core_pct, cap * sizeof(*st->core_pct));
	st->cap = cap;
}

/* Reads and parses into snap[idx], growing the arrays (rare: CPUs were added) when needed. */
static int
proc_stat_read(struct proc_stat_src *st, int idx)
{
	const char *text;
	size_t len;

	for (;;) {
		if (procfile_read(st->pf, &text, &len) != 0)
			return -1;
		if (proc_stat_parse(text, len, &st->snap[idx]) != 0) {
			log_limited(&st->parse_limit, LOG_LEVEL_WARN, "cannot parse %s",
				    procfile_path(st->pf));
			return -1;
		}
		if (st->snap[idx].seen <= st->cap)
			return 0;
		log_info("%zu CPUs now listed in %s (room for %zu): growing", st->snap[idx].seen,
			 procfile_path(st->pf), st->cap);
		proc_stat_alloc(st, st->snap[idx].seen * 2);
	}
}

/* Turns the activity lines into rates over dt; a counter that went backwards is left out. */
static void
proc_stat_compute_activity(struct proc_stat_src *st, double dt)
{
	const struct proc_stat *cur = &st->snap[st->cur], *prev = &st->snap[!st->cur];
	unsigned both = cur->activity_present & prev->activity_present;

	st->activity_valid = 0;
	for (int i = 0; i < PROC_STAT_NACTIVITY; i++) {
		if (!(cur->activity_present & (1u << i)))
			continue;
		if (!proc_stat_activities[i].counter) {
			st->activity[i] = (double)cur->activity[i];
		} else if ((both & (1u << i)) && dt > 0 && cur->activity[i] >= prev->activity[i]) {
			st->activity[i] = (double)(cur->activity[i] - prev->activity[i]) / dt;
		} else {
			continue;
		}
		st->activity_valid |= 1u << i;
	}
}

/* Pairs each core of cur with the same cpu number in prev; new or vanished CPUs are skipped. */
static void
proc_stat_compute(struct proc_stat_src *st, double dt)
{
	const struct proc_stat *cur = &st->snap[st->cur], *prev = &st->snap[!st->cur];
	size_t j = 0;

	proc_stat_compute_activity(st, dt);
	st->total_valid = proc_stat_percent(&prev->total, &cur->total, st->total_pct);
	st->ncore_pct = 0;
	for (size_t i = 0; i < cur->n; i++) {
		while (j < prev->n && prev->cores[j].cpu < cur->cores[i].cpu)
			j++;
		if (j == prev->n || prev->cores[j].cpu != cur->cores[i].cpu)
			continue;
		st->core_pct[st->ncore_pct].cpu = cur->cores[i].cpu;
		if (proc_stat_percent(&prev->cores[j], &cur->cores[i],
				      st->core_pct[st->ncore_pct].pct))
			st->ncore_pct++;
	}
}

static void *
proc_stat_init(const struct source_env *env, char *why, size_t whylen)
{
	struct proc_stat_src *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "stat", 16384, why, whylen);
	if (st->pf == NULL)
		goto fail;
	st->parse_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	proc_stat_alloc(st, 64);
	if (proc_stat_read(st, 0) != 0) {
		snprintf(why, whylen, "%s has no cpu line this collector understands",
			 procfile_path(st->pf));
		goto fail;
	}
	if (st->snap[0].n < st->snap[0].cap / 2)
		proc_stat_alloc(st, st->snap[0].n * 2 + 8);
	log_info("%zu CPUs, %d states per CPU in %s", st->snap[0].n, st->snap[0].ncols,
		 procfile_path(st->pf));
	return st;
fail:
	procfile_free(st->pf);
	free(st->snap[0].cores);
	free(st->snap[1].cores);
	free(st->core_pct);
	free(st);
	return NULL;
}

static int
proc_stat_sample(void *state, const struct tick *tick)
{
	struct proc_stat_src *st = state;
	int next = !st->cur;

	if (proc_stat_read(st, next) != 0) {
		st->have_prev = false;
		st->total_valid = false;
		st->ncore_pct = 0;
		return -1;
	}
	st->cur = next;
	if (st->have_prev)
		proc_stat_compute(st, tick->dt);
	st->have_prev = true;
	return 0;
}

/* Writes the CPU number (not for the total) and the percentage of each state. */
static void
proc_stat_states_json(struct jk_obj *o, int cpu, const double pct[PROC_STAT_NSTATES])
{
	if (cpu >= 0)
		jk_int(o, "cpu", cpu);
	for (int i = 0; i < PROC_STAT_NSTATES; i++)
		jk_real(o, proc_stat_state_names[i], round(pct[i] * 100.0) / 100.0);
}

static int
proc_stat_encode(void *state, json_t *frame)
{
	struct proc_stat_src *st = state;
	struct jk_obj cpu, total, core;
	struct jk_arr cores;
	int rc = 0;

	if (!st->total_valid)
		return 0;
	if (st->section == NULL)
		st->section = jk_new_object();
	jk_begin(&cpu, st->section);
	jk_begin(&total, jk_obj(&cpu, "total"));
	proc_stat_states_json(&total, -1, st->total_pct);
	for (int i = 0; i < PROC_STAT_NACTIVITY; i++) {
		if (!(st->activity_valid & (1u << i)))
			continue;
		if (proc_stat_activities[i].counter)
			jk_real(&total, proc_stat_activities[i].key,
				round(st->activity[i] * 100.0) / 100.0);
		else
			jk_int(&total, proc_stat_activities[i].key, (json_int_t)st->activity[i]);
	}
	rc |= jk_end(&total);
	jk_arr_begin(&cores, jk_arr(&cpu, "cores"));
	for (size_t i = 0; i < st->ncore_pct; i++) {
		jk_begin(&core, jk_arr_obj(&cores));
		proc_stat_states_json(&core, st->core_pct[i].cpu, st->core_pct[i].pct);
		rc |= jk_end(&core);
	}
	rc |= jk_arr_end(&cores);
	rc |= jk_end(&cpu);
	if (rc != 0)
		return -1;
	return json_object_set(frame, "cpu", st->section);
}

static void
proc_stat_fini(void *state)
{
	struct proc_stat_src *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	free(st->snap[0].cores);
	free(st->snap[1].cores);
	free(st->core_pct);
	json_decref(st->section);
	free(st);
}

const struct source_ops proc_stat_source = {
	.name = "cpu",
	.init = proc_stat_init,
	.sample = proc_stat_sample,
	.encode = proc_stat_encode,
	.fini = proc_stat_fini,
};
