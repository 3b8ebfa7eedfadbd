/*
 * The "thermal" source: sensors found at start under class/thermal and class/hwmon, each read
 * through a kept fd every tick; unavailable when the machine exposes none (virtual machines).
 */
#include "collector/sources/thermal.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "thermal"

struct thermal_sensor {
	char name[96];
	struct procfile *pf;
	int64_t millic;
	bool ok;
};

struct thermal_state {
	struct thermal_sensor *s;
	size_t n, cap;
};

int
thermal_parse(const char *text, size_t len, int64_t *millic)
{
	struct scan s = scan_init(text, len);
	uint64_t v;
	bool neg;

	scan_blanks(&s);
	neg = scan_char(&s, '-');
	if (!scan_u64(&s, &v) || v > 10000000)
		return -1;
	scan_blanks(&s);
	if (!scan_eol(&s))
		return -1;
	*millic = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* Reads a one-line attribute such as "type" or "temp1_label" into buf without its newline. */
static bool
thermal_read_label(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return false;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n > 0;
}

static void
thermal_add(struct thermal_state *st, const char *sysfs, const char *rel, const char *name)
{
	char err[256];
	struct procfile *pf = procfile_open(sysfs, rel, 64, err, sizeof(err));

	if (pf == NULL)
		return;
	if (st->n == st->cap) {
		st->cap = st->cap * 2 + 8;
		st->s = xrealloc(st->s, st->cap * sizeof(*st->s));
	}
	memset(&st->s[st->n], 0, sizeof(st->s[st->n]));
	snprintf(st->s[st->n].name, sizeof(st->s[st->n].name), "%s", name);
	st->s[st->n].pf = pf;
	st->n++;
}

/* Adds thermal_zoneN/temp, named "thermal_zoneN:<type>". */
static void
thermal_scan_zone(struct thermal_state *st, const char *sysfs, const char *zone)
{
	char path[512], rel[128], type[64], name[96];

	snprintf(path, sizeof(path), "%s/class/thermal/%.64s/type", sysfs, zone);
	if (!thermal_read_label(path, type, sizeof(type)))
		snprintf(type, sizeof(type), "unknown");
	snprintf(rel, sizeof(rel), "class/thermal/%.64s/temp", zone);
	snprintf(name, sizeof(name), "%.31s:%.60s", zone, type);
	thermal_add(st, sysfs, rel, name);
}

/* Adds every hwmonN/tempM_input, named "hwmonN:<name>:<label or tempM>". */
static void
thermal_scan_hwmon(struct thermal_state *st, const char *sysfs, const char *hw)
{
	char dir[512], path[800], rel[300], chip[32], label[32], name[96];
	struct dirent *de;
	size_t len;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/class/hwmon/%.64s", sysfs, hw);
	snprintf(path, sizeof(path), "%s/name", dir);
	if (!thermal_read_label(path, chip, sizeof(chip)))
		snprintf(chip, sizeof(chip), "unknown");
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "temp", 4) != 0 || len < 11 || len > 20 ||
		    strcmp(de->d_name + len - 6, "_input") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%.*s_label", dir, (int)(len - 6), de->d_name);
		if (!thermal_read_label(path, label, sizeof(label)))
			snprintf(label, sizeof(label), "%.*s", (int)(len - 6), de->d_name);
		snprintf(rel, sizeof(rel), "class/hwmon/%.31s/%s", hw, de->d_name);
		snprintf(name, sizeof(name), "%.15s:%.31s:%.31s", hw, chip, label);
		thermal_add(st, sysfs, rel, name);
	}
	if (d != NULL)
		closedir(d);
}

static int
thermal_cmp(const void *a, const void *b)
{
	return strcmp(((const struct thermal_sensor *)a)->name,
		      ((const struct thermal_sensor *)b)->name);
}

static void *
thermal_init(const struct source_env *env, char *why, size_t whylen)
{
	struct thermal_state *st = xcalloc(1, sizeof(*st));
	char dir[4096];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/class/thermal", env->sysfs);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "thermal_zone", 12) == 0)
			thermal_scan_zone(st, env->sysfs, de->d_name);
	if (d != NULL)
		closedir(d);
	snprintf(dir, sizeof(dir), "%s/class/hwmon", env->sysfs);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "hwmon", 5) == 0)
			thermal_scan_hwmon(st, env->sysfs, de->d_name);
	if (d != NULL)
		closedir(d);
	if (st->n == 0) {
		snprintf(why, whylen,
			 "no temperature sensors: %s/class/thermal has no thermal_zone* and "
			 "%s/class/hwmon no temp*_input (usual in virtual machines)",
			 env->sysfs, env->sysfs);
		free(st);
		return NULL;
	}
	qsort(st->s, st->n, sizeof(*st->s), thermal_cmp);
	log_info("%zu temperature sensors", st->n);
	return st;
}

static int
thermal_sample(void *state, const struct tick *tick)
{
	struct thermal_state *st = state;
	const char *text;
	size_t len;

	(void)tick;
	for (size_t i = 0; i < st->n; i++)
		st->s[i].ok = procfile_read(st->s[i].pf, &text, &len) == 0 &&
			      thermal_parse(text, len, &st->s[i].millic) == 0;
	return 0;
}

static int
thermal_encode(void *state, json_t *frame)
{
	struct thermal_state *st = state;
	json_t *rows = json_array(), *row;

	if (rows == NULL || json_object_set_new(frame, "thermal", rows) != 0)
		return -1;
	for (size_t i = 0; i < st->n; i++) {
		if (!st->s[i].ok)
			continue;
		row = json_object();
		if (row == NULL || json_array_append_new(rows, row) != 0 ||
		    json_object_set_new(row, "sensor", json_string(st->s[i].name)) != 0 ||
		    section_real(row, "temp_celsius", true, (double)st->s[i].millic / 1000.0) != 0)
			return -1;
	}
	return 0;
}

static void
thermal_fini(void *state)
{
	struct thermal_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		procfile_free(st->s[i].pf);
	free(st->s);
	free(st);
}

const struct source_ops thermal_source = {
	.name = "thermal",
	.init = thermal_init,
	.sample = thermal_sample,
	.encode = thermal_encode,
	.fini = thermal_fini,
};
