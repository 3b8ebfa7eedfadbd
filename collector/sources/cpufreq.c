/*
 * The "cpufreq" source: a kept fd per CPU on scaling_cur_freq, found at start; unavailable when
 * the kernel has no cpufreq driver (the usual case in virtual machines).
 */
#include "collector/sources/cpufreq.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "cpufreq"

struct cpufreq_cpu {
	int cpu;
	struct procfile *pf;
	uint64_t khz;
	bool ok; /* read this tick (an offline CPU fails) */
};

struct cpufreq_state {
	struct cpufreq_cpu *cpus;
	size_t n;
};

int
cpufreq_parse(const char *text, size_t len, uint64_t *khz)
{
	struct scan s = scan_init(text, len);

	if (!scan_u64(&s, khz))
		return -1;
	scan_blanks(&s);
	return scan_eol(&s) ? 0 : -1;
}

/* Returns N for a directory entry named "cpuN", or -1. */
static int
cpufreq_cpu_number(const char *name)
{
	long v = 0;

	if (strncmp(name, "cpu", 3) != 0 || name[3] == '\0')
		return -1;
	for (const char *c = name + 3; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || v > 100000)
			return -1;
		v = v * 10 + (*c - '0');
	}
	return (int)v;
}

static int
cpufreq_cmp(const void *a, const void *b)
{
	const struct cpufreq_cpu *x = a, *y = b;

	return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

static void *
cpufreq_init(const struct source_env *env, char *why, size_t whylen)
{
	struct cpufreq_state *st = xcalloc(1, sizeof(*st));
	char dir[4096], rel[96], err[256];
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int cpu;

	snprintf(dir, sizeof(dir), "%s/devices/system/cpu", env->sysfs);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		cpu = cpufreq_cpu_number(de->d_name);
		if (cpu < 0)
			continue;
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq",
			 cpu);
		struct procfile *pf = procfile_open(env->sysfs, rel, 64, err, sizeof(err));
		if (pf == NULL)
			continue;
		if (st->n == cap) {
			cap = cap * 2 + 8;
			st->cpus = xrealloc(st->cpus, cap * sizeof(*st->cpus));
		}
		st->cpus[st->n++] = (struct cpufreq_cpu){.cpu = cpu, .pf = pf};
	}
	if (d != NULL)
		closedir(d);
	if (st->n == 0) {
		snprintf(why, whylen,
			 "no %s/cpu*/cpufreq/scaling_cur_freq: the kernel has no cpufreq driver "
			 "for this CPU (usual in virtual machines)",
			 dir);
		free(st->cpus);
		free(st);
		return NULL;
	}
	qsort(st->cpus, st->n, sizeof(*st->cpus), cpufreq_cmp);
	log_info("cpufreq for %zu CPUs", st->n);
	return st;
}

static int
cpufreq_sample(void *state, const struct tick *tick)
{
	struct cpufreq_state *st = state;
	const char *text;
	size_t len;

	(void)tick;
	for (size_t i = 0; i < st->n; i++) {
		struct cpufreq_cpu *c = &st->cpus[i];

		c->ok = procfile_read(c->pf, &text, &len) == 0 &&
			cpufreq_parse(text, len, &c->khz) == 0;
	}
	return 0;
}

static int
cpufreq_encode(void *state, json_t *frame)
{
	struct cpufreq_state *st = state;
	json_t *rows = json_array(), *row;

	if (rows == NULL || json_object_set_new(frame, "cpufreq", rows) != 0)
		return -1;
	for (size_t i = 0; i < st->n; i++) {
		if (!st->cpus[i].ok)
			continue;
		row = json_object();
		if (row == NULL || json_array_append_new(rows, row) != 0 ||
		    json_object_set_new(row, "cpu", json_integer(st->cpus[i].cpu)) != 0 ||
		    section_real(row, "freq_mhz", true, (double)st->cpus[i].khz / 1000.0) != 0)
			return -1;
	}
	return 0;
}

static void
cpufreq_fini(void *state)
{
	struct cpufreq_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		procfile_free(st->cpus[i].pf);
	free(st->cpus);
	free(st);
}

const struct source_ops cpufreq_source = {
	.name = "cpufreq",
	.init = cpufreq_init,
	.sample = cpufreq_sample,
	.encode = cpufreq_encode,
	.fini = cpufreq_fini,
};
