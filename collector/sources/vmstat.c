/*
 * The "vmstat" source: a kept /proc/vmstat fd, parsed each tick into the counters of
 * enum vmstat_counter and turned into per-second rates over the real elapsed time.
 */
#include "collector/sources/vmstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/counter.h"
#include "collector/sources/section.h"
#include "common/xalloc.h"

const char *const vmstat_names[VMSTAT_NCOUNTERS] = {
	"pgpgin",	  "pgpgout",	    "pswpin",	     "pswpout",
	"pgfault",	  "pgmajfault",	    "pgscan_kswapd", "pgscan_direct",
	"pgsteal_kswapd", "pgsteal_direct", "oom_kill",
};

struct vmstat_state {
	struct procfile *pf;
	struct vmstat_stats cur, prev;
	bool have_cur, have_prev;
	double dt;
	json_t *section; /* kept between ticks (jkeep.h) */
};

/* Returns the counter named w[0, wlen), or -1. */
static int
vmstat_counter(const char *w, size_t wlen)
{
	for (int i = 0; i < VMSTAT_NCOUNTERS; i++)
		/* Length first: a word with a NUL inside would make strncmp stop early and the
		 * [wlen] read run past the name (found by fuzz_procfs). */
		if (strlen(vmstat_names[i]) == wlen && memcmp(vmstat_names[i], w, wlen) == 0)
			return i;
	return -1;
}

int
vmstat_parse(const char *text, size_t len, struct vmstat_stats *out)
{
	struct scan s = scan_init(text, len);
	const char *w;
	size_t wlen;
	bool any = false;
	int i;

	memset(out, 0, sizeof(*out));
	do {
		/* Every counter we read starts with 'p' or 'o': skip the ~170 other lines unread.
		 */
		if (scan_eof(&s) || (*s.p != 'p' && *s.p != 'o'))
			continue;
		if (!scan_word(&s, 0, &w, &wlen) || (i = vmstat_counter(w, wlen)) < 0)
			continue;
		/* Only counters are read: none of ours is ever negative. */
		if (!scan_u64(&s, &out->v[i]))
			return -1;
		out->present[i] = true;
		any = true;
	} while (scan_next_line(&s));
	return any ? 0 : -1;
}

static void *
vmstat_init(const struct source_env *env, char *why, size_t whylen)
{
	struct vmstat_state *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "vmstat", 8192, why, whylen);
	if (st->pf == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

static int
vmstat_parse_any(const char *text, size_t len, void *out)
{
	return vmstat_parse(text, len, out);
}

static int
vmstat_sample(void *state, const struct tick *tick)
{
	struct vmstat_state *st = state;

	st->prev = st->cur;
	st->have_prev = st->have_cur;
	st->have_cur = false;
	st->dt = tick->dt;
	st->have_cur = procfile_read_parse(st->pf, vmstat_parse_any, &st->cur) == 0;
	return st->have_cur ? 0 : -1;
}

/* Stores the change of counter i since the previous sample; false when it is not known. */
static bool
vmstat_delta(const struct vmstat_state *st, int i, uint64_t *d)
{
	return st->cur.present[i] && st->prev.present[i] &&
	       counter_delta(st->prev.v[i], st->cur.v[i], 64, d);
}

/* Sets obj[key] to the per-second rate of counter i, or null when unknown. */
static int
vmstat_rate(struct jk_obj *obj, const char *key, const struct vmstat_state *st, int i)
{
	uint64_t d = 0;
	bool ok = vmstat_delta(st, i, &d);

	return section_jk_real(obj, key, ok, (double)d / st->dt);
}

static int
vmstat_encode(void *state, json_t *frame)
{
	struct vmstat_state *st = state;
	uint64_t all = 0, major = 0;
	bool faults;
	struct jk_obj c, *o = &c;
	int rc = 0;

	if (!st->have_cur || !st->have_prev || st->dt <= 0)
		return 0;
	jk_begin(o, section_kept(frame, "vmstat", &st->section, false));
	/* pgpgin/pgpgout are already in KiB, whatever the page size. */
	rc |= vmstat_rate(o, "page_in_kb_per_s", st, VMSTAT_PGPGIN);
	rc |= vmstat_rate(o, "page_out_kb_per_s", st, VMSTAT_PGPGOUT);
	rc |= vmstat_rate(o, "swap_in_pages_per_s", st, VMSTAT_PSWPIN);
	rc |= vmstat_rate(o, "swap_out_pages_per_s", st, VMSTAT_PSWPOUT);
	/* pgfault counts every fault, major ones included. */
	faults = vmstat_delta(st, VMSTAT_PGFAULT, &all) &&
		 vmstat_delta(st, VMSTAT_PGMAJFAULT, &major) && all >= major;
	rc |= section_jk_real(o, "minor_faults_per_s", faults, (double)(all - major) / st->dt);
	rc |= vmstat_rate(o, "major_faults_per_s", st, VMSTAT_PGMAJFAULT);
	rc |= vmstat_rate(o, "pgscan_kswapd_per_s", st, VMSTAT_PGSCAN_KSWAPD);
	rc |= vmstat_rate(o, "pgscan_direct_per_s", st, VMSTAT_PGSCAN_DIRECT);
	rc |= vmstat_rate(o, "pgsteal_kswapd_per_s", st, VMSTAT_PGSTEAL_KSWAPD);
	rc |= vmstat_rate(o, "pgsteal_direct_per_s", st, VMSTAT_PGSTEAL_DIRECT);
	faults = vmstat_delta(st, VMSTAT_OOM_KILL, &all);
	rc |= section_jk_int(o, "oom_kills", faults, (json_int_t)all);
	if (!st->cur.present[VMSTAT_OOM_KILL])
		rc |= section_unavailable(frame, "vmstat.oom_kills",
					  "kernel has no oom_kill counter in /proc/vmstat "
					  "(added in Linux 4.13)");
	rc |= jk_end(o);
	return rc == 0 ? 0 : -1;
}

static void
vmstat_fini(void *state)
{
	struct vmstat_state *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	json_decref(st->section);
	free(st);
}

const struct source_ops vmstat_source = {
	.name = "vmstat",
	.init = vmstat_init,
	.sample = vmstat_sample,
	.encode = vmstat_encode,
	.fini = vmstat_fini,
};
