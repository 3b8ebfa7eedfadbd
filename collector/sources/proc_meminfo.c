/* memory source: re-reads /proc/meminfo through a kept fd and reports its fields by a table. */
#include "collector/sources/proc_meminfo.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/jkeep.h"
#include "collector/procfile.h"
#include "collector/scan.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "proc_meminfo"

/* Frame key and the kernel's name of each field; the first rows follow enum proc_meminfo_field. */
static const struct {
	const char *key;
	const char *name;
} proc_meminfo_fields[] = {
	{"total_kb", "MemTotal"},
	{"free_kb", "MemFree"},
	{"available_kb", "MemAvailable"},
	{"buffers_kb", "Buffers"},
	{"cached_kb", "Cached"},
	{"swap_total_kb", "SwapTotal"},
	{"swap_free_kb", "SwapFree"},
	{"swap_cached_kb", "SwapCached"},
	{"active_kb", "Active"},
	{"inactive_kb", "Inactive"},
	{"active_anon_kb", "Active(anon)"},
	{"inactive_anon_kb", "Inactive(anon)"},
	{"active_file_kb", "Active(file)"},
	{"inactive_file_kb", "Inactive(file)"},
	{"unevictable_kb", "Unevictable"},
	{"mlocked_kb", "Mlocked"},
	{"dirty_kb", "Dirty"},
	{"writeback_kb", "Writeback"},
	{"anon_kb", "AnonPages"},
	{"mapped_kb", "Mapped"},
	{"shmem_kb", "Shmem"},
	{"slab_kb", "Slab"},
	{"slab_reclaimable_kb", "SReclaimable"},
	{"slab_unreclaimable_kb", "SUnreclaim"},
	{"kernel_stack_kb", "KernelStack"},
	{"page_tables_kb", "PageTables"},
	{"commit_limit_kb", "CommitLimit"},
	{"committed_as_kb", "Committed_AS"},
	{"vmalloc_used_kb", "VmallocUsed"},
	{"anon_huge_kb", "AnonHugePages"},
	{"huge_pages_total", "HugePages_Total"},
	{"huge_pages_free", "HugePages_Free"},
	{"huge_page_size_kb", "Hugepagesize"},
};

_Static_assert(ARRAY_LEN(proc_meminfo_fields) == PROC_MEMINFO_NFIELDS,
	       "PROC_MEMINFO_NFIELDS must match the field table");
_Static_assert(PROC_MEMINFO_NFIELDS <= 64, "present is a 64-bit mask");

const char *
proc_meminfo_key(int field)
{
	return proc_meminfo_fields[field].key;
}

struct proc_meminfo_src {
	struct procfile *pf;
	struct proc_meminfo mem;
	bool valid;
	json_t *section; /* kept between ticks (jkeep.h) */
};

int
proc_meminfo_index(const char *key)
{
	for (int i = 0; i < PROC_MEMINFO_NFIELDS; i++) {
		if (strcmp(proc_meminfo_fields[i].key, key) == 0)
			return i;
	}
	return -1;
}

static int
proc_meminfo_field(const char *name, size_t len)
{
	for (int i = 0; i < PROC_MEMINFO_NFIELDS; i++) {
		if (scan_word_is(name, len, proc_meminfo_fields[i].name))
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
		out->present |= UINT64_C(1) << field;
	} while (scan_next_line(&s));
	return (out->present & (UINT64_C(1) << PROC_MEMINFO_TOTAL)) ? 0 : -1;
}

static int
proc_meminfo_parse_any(const char *text, size_t len, void *out)
{
	return proc_meminfo_parse(text, len, out);
}

static void *
proc_meminfo_init(const struct source_env *env, char *why, size_t whylen)
{
	struct proc_meminfo_src *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "meminfo", 8192, why, whylen);
	if (st->pf == NULL)
		goto fail;
	if (procfile_read_parse(st->pf, proc_meminfo_parse_any, &st->mem) != 0) {
		snprintf(why, whylen, "%s has no MemTotal line", procfile_path(st->pf));
		goto fail;
	}
	for (int i = 0; i <= PROC_MEMINFO_SWAP_FREE; i++) {
		if (!(st->mem.present & (UINT64_C(1) << i)))
			log_info("%s has no %s: %s is left out of frames", procfile_path(st->pf),
				 proc_meminfo_fields[i].name, proc_meminfo_fields[i].key);
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
	st->valid = procfile_read_parse(st->pf, proc_meminfo_parse_any, &st->mem) == 0;
	return st->valid ? 0 : -1;
}

static int
proc_meminfo_encode(void *state, json_t *frame)
{
	struct proc_meminfo_src *st = state;
	struct jk_obj c;

	if (!st->valid)
		return 0;
	if (st->section == NULL)
		st->section = jk_new_object();
	jk_begin(&c, st->section);
	for (int i = 0; i < PROC_MEMINFO_NFIELDS; i++) {
		if (st->mem.present & (UINT64_C(1) << i))
			jk_int(&c, proc_meminfo_fields[i].key, (json_int_t)st->mem.kb[i]);
	}
	if (jk_end(&c) != 0)
		return -1;
	return json_object_set(frame, "mem", st->section);
}

static void
proc_meminfo_fini(void *state)
{
	struct proc_meminfo_src *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	json_decref(st->section);
	free(st);
}

const struct source_ops proc_meminfo_source = {
	.name = "mem",
	.init = proc_meminfo_init,
	.sample = proc_meminfo_sample,
	.encode = proc_meminfo_encode,
	.fini = proc_meminfo_fini,
};
