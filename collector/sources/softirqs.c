/*
 * The "softirqs" source: a kept /proc/softirqs fd; per-CPU counters are 32 bits wide and wrap,
 * so deltas are taken per CPU before they are summed into one rate per type.
 */
#include "collector/sources/softirqs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/counter.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "softirqs"

const char *const softirqs_keys[SOFTIRQS_NTYPES] = {
	"hi_per_s",	  "timer_per_s",   "net_tx_per_s", "net_rx_per_s",  "block_per_s",
	"irq_poll_per_s", "tasklet_per_s", "sched_per_s",  "hrtimer_per_s", "rcu_per_s",
};

static const char *const softirqs_names[SOFTIRQS_NTYPES] = {
	"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
};

struct softirqs_state {
	struct procfile *pf;
	uint64_t *cur, *prev; /* SOFTIRQS_NTYPES x cap */
	size_t cap, ncpus;
	bool present[SOFTIRQS_NTYPES];
	bool have_cur, have_prev;
	double rate[SOFTIRQS_NTYPES];
	bool rate_ok[SOFTIRQS_NTYPES];
	struct log_limit parse_limit;
	json_t *section; /* kept between ticks (jkeep.h) */
};

static int
softirqs_type(const char *w, size_t wlen)
{
	if (scan_word_is(w, wlen, "BLOCK_IOPOLL"))
		return SOFTIRQS_IRQ_POLL;
	for (int t = 0; t < SOFTIRQS_NTYPES; t++)
		if (scan_word_is(w, wlen, softirqs_names[t]))
			return t;
	return -1;
}

int
softirqs_parse(const char *text, size_t len, uint64_t *counts, size_t cap, size_t *ncpus,
	       bool present[SOFTIRQS_NTYPES])
{
	struct scan s = scan_init(text, len);
	const char *w;
	size_t wlen, n = 0, c;
	uint64_t v;
	int t;

	memset(present, 0, SOFTIRQS_NTYPES * sizeof(bool));
	while (scan_word(&s, 0, &w, &wlen))
		n++;
	if (n == 0 || !scan_next_line(&s))
		return -1;
	do {
		if (!scan_word(&s, ':', &w, &wlen))
			continue;
		if (!scan_char(&s, ':'))
			return -1;
		t = softirqs_type(w, wlen);
		for (c = 0; scan_u64(&s, &v); c++)
			if (t >= 0 && c < cap && c < n)
				counts[(size_t)t * cap + c] = v;
		scan_blanks(&s);
		if (c != n || !scan_eol(&s))
			return -1;
		if (t >= 0)
			present[t] = true;
	} while (scan_next_line(&s));
	*ncpus = n;
	return 0;
}

static void
softirqs_alloc(struct softirqs_state *st, size_t cap)
{
	st->cap = cap;
	st->cur = xrealloc(st->cur, SOFTIRQS_NTYPES * cap * sizeof(uint64_t));
	st->prev = xrealloc(st->prev, SOFTIRQS_NTYPES * cap * sizeof(uint64_t));
	st->have_cur = st->have_prev = false;
}

static void *
softirqs_init(const struct source_env *env, char *why, size_t whylen)
{
	struct softirqs_state *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "softirqs", 4096, why, whylen);
	if (st->pf == NULL) {
		free(st);
		return NULL;
	}
	st->parse_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	softirqs_alloc(st, 8);
	return st;
}

/* Sums the per-CPU deltas of each type into a rate; a column that cannot wrap was reset. */
static void
softirqs_compute(struct softirqs_state *st, double dt)
{
	uint64_t d = 0, sum;

	for (int t = 0; t < SOFTIRQS_NTYPES; t++) {
		st->rate_ok[t] = st->present[t] && dt > 0;
		sum = 0;
		for (size_t c = 0; c < st->ncpus && st->rate_ok[t]; c++) {
			size_t i = (size_t)t * st->cap + c;

			st->rate_ok[t] = counter_delta(st->prev[i], st->cur[i], 32, &d);
			sum += d;
		}
		st->rate[t] = (double)sum / dt;
	}
}

static int
softirqs_sample(void *state, const struct tick *tick)
{
	struct softirqs_state *st = state;
	uint64_t *swap = st->prev;
	const char *text;
	size_t len, n;

	st->prev = st->cur;
	st->cur = swap;
	st->have_prev = st->have_cur;
	st->have_cur = false;
	if (procfile_read(st->pf, &text, &len) != 0)
		return -1;
	if (softirqs_parse(text, len, st->cur, st->cap, &n, st->present) != 0) {
		log_limited(&st->parse_limit, LOG_LEVEL_WARN, "cannot parse %s",
			    procfile_path(st->pf));
		return -1;
	}
	if (n > st->cap || (st->have_prev && n != st->ncpus)) {
		/* More columns than room, or the CPU columns changed: start over. */
		softirqs_alloc(st, n > st->cap ? n : st->cap);
		if (softirqs_parse(text, len, st->cur, st->cap, &n, st->present) != 0)
			return -1;
		st->ncpus = n;
		st->have_cur = true;
		return 0;
	}
	st->ncpus = n;
	st->have_cur = true;
	if (st->have_prev)
		softirqs_compute(st, tick->dt);
	return 0;
}

static int
softirqs_encode(void *state, json_t *frame)
{
	struct softirqs_state *st = state;
	struct jk_obj o;

	if (!st->have_cur || !st->have_prev)
		return 0;
	jk_begin(&o, section_kept(frame, "softirqs", &st->section, false));
	for (int t = 0; t < SOFTIRQS_NTYPES; t++)
		(void)section_jk_real(&o, softirqs_keys[t], st->rate_ok[t], st->rate[t]);
	return jk_end(&o);
}

static void
softirqs_fini(void *state)
{
	struct softirqs_state *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	free(st->cur);
	free(st->prev);
	json_decref(st->section);
	free(st);
}

const struct source_ops softirqs_source = {
	.name = "softirqs",
	.init = softirqs_init,
	.sample = softirqs_sample,
	.encode = softirqs_encode,
	.fini = softirqs_fini,
};
