/* memory source: re-reads /proc/meminfo through a kept fd and reports seven fields in kB. */
#include "collector/sources/proc_meminfo.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "proc_meminfo"

const char *const proc_meminfo_keys[PROC_MEMINFO_NFIELDS] = {
	"total_kb",  "free_kb",	      "available_kb", "buffers_kb",
	"cached_kb", "swap_total_kb", "swap_free_kb"};

/* The kernel's name for each field, indexed by enum proc_meminfo_field. */
static const char *const proc_meminfo_names[PROC_MEMINFO_NFIELDS] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapTotal", "SwapFree"};

struct proc_meminfo_src {
	struct procfile *pf;
	struct proc_meminfo mem;
	bool valid;
	struct log_limit parse_limit;
};

static int
proc_meminfo_field(const char *name, size_t len)
{
	for (int i = 0; i < PROC_MEMINFO_NFIELDS; i++) {
		if (scan_word_is(name, len, proc_meminfo_names[i]))
			return i;
	}
	return -1;
}

int
proc_meminfo_parse(const char *text, size_t len, struct proc_meminfo *out)
{
	struct scan s = scan_init(text, len);
	const char *name;
	size_t nlen;
	int field;

	memset(out, 0, sizeof(*out));
	do {
		if (!scan_word(&s, ':', &name, &nlen) || !scan_char(&s, ':'))
			continue;
		field = proc_meminfo_field(name, nlen);
		if (field < 0)
			continue;
		if (!scan_u64(&s, &out->kb[field]))
			return -1;
		out->present |= 1u << field;
	} while (scan_next_line(&s));
	return (out->present & (1u << PROC_MEMINFO_TOTAL)) ? 0 : -1;
}

static int
proc_meminfo_read(struct proc_meminfo_src *st)
{
	const char *text;
	size_t len;

	if (procfile_read(st->pf, &text, &len) != 0)
		return -1;
	if (proc_meminfo_parse(text, len, &st->mem) != 0) {
		log_limited(&st->parse_limit, LOG_LEVEL_WARN, "cannot parse %s",
			    procfile_path(st->pf));
		return -1;
	}
	return 0;
}

static void *
proc_meminfo_init(const struct source_env *env, char *why, size_t whylen)
{
	struct proc_meminfo_src *st = xcalloc(1, sizeof(*st));

	st->parse_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	st->pf = procfile_open(env->procfs, "meminfo", 8192, why, whylen);
	if (st->pf == NULL)
		goto fail;
	if (proc_meminfo_read(st) != 0) {
		snprintf(why, whylen, "%s has no MemTotal line", procfile_path(st->pf));
		goto fail;
	}
	for (int i = 0; i < PROC_MEMINFO_NFIELDS; i++) {
		if (!(st->mem.present & (1u << i)))
			log_info("%s has no %s: %s is left out of frames", procfile_path(st->pf),
				 proc_meminfo_names[i], proc_meminfo_keys[i]);
	}
	return st;
fail:
	procfile_free(st->pf);
	free(st);
	return NULL;
}

static int
proc_meminfo_sample(void *state, const struct tick *tick)
{
	struct proc_meminfo_src *st = state;

	(void)tick;
	st->valid = proc_meminfo_read(st) == 0;
	return st->valid ? 0 : -1;
}

static int
proc_meminfo_encode(void *state, json_t *frame)
{
	struct proc_meminfo_src *st = state;
	json_t *mem;

	if (!st->valid)
		return 0;
	mem = json_object();
	for (int i = 0; i < PROC_MEMINFO_NFIELDS; i++) {
		if (st->mem.present & (1u << i))
			json_object_set_new(mem, proc_meminfo_keys[i],
					    json_integer((json_int_t)st->mem.kb[i]));
	}
	return json_object_set_new(frame, "mem", mem);
}

static void
proc_meminfo_fini(void *state)
{
	struct proc_meminfo_src *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	free(st);
}

const struct source_ops proc_meminfo_source = {
	.name = "mem",
	.init = proc_meminfo_init,
	.sample = proc_meminfo_sample,
	.encode = proc_meminfo_encode,
	.fini = proc_meminfo_fini,
};
