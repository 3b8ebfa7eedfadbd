/* load source: re-reads /proc/loadavg through a kept fd. */
#include "collector/sources/proc_loadavg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/section.h"
#include "common/xalloc.h"

struct proc_loadavg_src {
	struct procfile *pf;
	struct proc_loadavg load;
	bool valid;
	json_t *section; /* kept between ticks (jkeep.h) */
};

int
proc_loadavg_parse(const char *text, size_t len, struct proc_loadavg *out)
{
	struct scan s = scan_init(text, len);

	if (!scan_decimal(&s, &out->load1) || !scan_decimal(&s, &out->load5) ||
	    !scan_decimal(&s, &out->load15) || !scan_u64(&s, &out->running) ||
	    !scan_char(&s, '/') || !scan_u64(&s, &out->tasks))
		return -1;
	return 0;
}

static int
proc_loadavg_parse_any(const char *text, size_t len, void *out)
{
	return proc_loadavg_parse(text, len, out);
}

static void *
proc_loadavg_init(const struct source_env *env, char *why, size_t whylen)
{
	struct proc_loadavg_src *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "loadavg", 256, why, whylen);
	if (st->pf == NULL)
		goto fail;
	if (procfile_read_parse(st->pf, proc_loadavg_parse_any, &st->load) != 0) {
		snprintf(why, whylen, "%s is not in the expected format", procfile_path(st->pf));
		goto fail;
	}
	return st;
fail:
	procfile_free(st->pf);
	free(st);
	return NULL;
}

static int
proc_loadavg_sample(void *state, const struct tick *tick)
{
	struct proc_loadavg_src *st = state;

	(void)tick;
	st->valid = procfile_read_parse(st->pf, proc_loadavg_parse_any, &st->load) == 0;
	return st->valid ? 0 : -1;
}

static int
proc_loadavg_encode(void *state, json_t *frame)
{
	struct proc_loadavg_src *st = state;
	struct jk_obj c;

	if (!st->valid)
		return 0;
	jk_begin(&c, section_kept(frame, "load", &st->section, false));
	jk_real(&c, "load1", st->load.load1);
	jk_real(&c, "load5", st->load.load5);
	jk_real(&c, "load15", st->load.load15);
	jk_int(&c, "running", (json_int_t)st->load.running);
	jk_int(&c, "tasks", (json_int_t)st->load.tasks);
	return jk_end(&c);
}

static void
proc_loadavg_fini(void *state)
{
	struct proc_loadavg_src *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	json_decref(st->section);
	free(st);
}

const struct source_ops proc_loadavg_source = {
	.name = "load",
	.init = proc_loadavg_init,
	.sample = proc_loadavg_sample,
	.encode = proc_loadavg_encode,
	.fini = proc_loadavg_fini,
};
