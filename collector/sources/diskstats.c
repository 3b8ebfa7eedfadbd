/*
 * The "disk" source: a kept /proc/diskstats fd, whole devices told apart from partitions by
 * <sysfs>/block/<name>, and per-device iostat -x figures over the real elapsed time.
 */
#include "collector/sources/diskstats.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/collector_conf.h"
#include "collector/procfile.h"
#include "collector/rows.h"
#include "collector/scan.h"
#include "collector/sources/counter.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "diskstats"

/* Sectors in /proc/diskstats are always 512 bytes, whatever the device's block size. */
#define DISKSTATS_SECTOR 512.0

/* Device name prefixes left out without a configuration (--disk-exclude's default). */
#define DISKSTATS_EXCLUDE_DEFAULT "loop,ram"
#define DISKSTATS_MAX_EXCLUDE	  16

struct diskstats_inst {
	char name[32];
	bool tracked; /* a whole, non-excluded device: the others are only remembered */
	bool seen;
	bool have_rate;
	int nfields;
	uint64_t prev[DISKSTATS_NFIELDS];
	uint64_t d[DISKSTATS_NFIELDS]; /* change since the previous sample */
	uint64_t in_flight;
	double dt;
};

struct diskstats_state {
	struct procfile *pf;
	char sysfs[PATH_MAX];
	struct rows devs; /* struct diskstats_dev, the last read */
	struct diskstats_inst *inst;
	size_t ninst, inst_cap;
	char exclude[DISKSTATS_MAX_EXCLUDE][32]; /* device name prefixes left out */
	size_t nexclude;
	json_t *section; /* kept between ticks (jkeep.h) */
};

unsigned
diskstats_field_bits(enum diskstats_field i)
{
	/* diskstats_show() prints the times and the in-flight count with %u. */
	switch (i) {
	case DISKSTATS_READ_MS:
	case DISKSTATS_WRITE_MS:
	case DISKSTATS_IN_FLIGHT:
	case DISKSTATS_IO_MS:
	case DISKSTATS_QUEUE_MS:
	case DISKSTATS_DISCARD_MS:
	case DISKSTATS_FLUSH_MS:
		return 32;
	default:
		return 64;
	}
}

static int
diskstats_parse_line(struct scan *s, struct diskstats_dev *out)
{
	struct diskstats_dev dev;
	uint64_t major, minor, v;
	const char *w;
	size_t wlen;

	if (!scan_u64(s, &major) || !scan_u64(s, &minor) || !scan_word(s, 0, &w, &wlen) ||
	    wlen >= sizeof(dev.name) || major > UINT_MAX || minor > UINT_MAX)
		return -1;
	memset(&dev, 0, sizeof(dev));
	dev.major = (unsigned)major;
	dev.minor = (unsigned)minor;
	memcpy(dev.name, w, wlen);
	while (scan_u64(s, &v)) {
		/* Later kernels may append fields: keep the ones we know. */
		if (dev.nfields < DISKSTATS_NFIELDS)
			dev.f[dev.nfields] = v;
		dev.nfields++;
	}
	scan_blanks(s);
	if (!scan_eol(s) || (dev.nfields != 4 && dev.nfields < 11))
		return -1;
	if (dev.nfields > DISKSTATS_NFIELDS)
		dev.nfields = DISKSTATS_NFIELDS;
	if (out != NULL)
		*out = dev;
	return 0;
}

int
diskstats_parse(const char *text, size_t len, struct diskstats_dev *out, size_t cap, size_t *n)
{
	struct scan s = scan_init(text, len);
	size_t count = 0;

	while (!scan_eof(&s)) {
		scan_blanks(&s);
		if (!scan_eol(&s)) {
			if (diskstats_parse_line(&s, count < cap ? &out[count] : NULL) != 0)
				return -1;
			count++;
		}
		(void)scan_next_line(&s);
	}
	*n = count;
	return 0;
}

/* Whole devices have a <sysfs>/block/<name> entry (a '/' in the name becomes '!'). */
static bool
diskstats_is_tracked(const struct diskstats_state *st, const char *name)
{
	char path[PATH_MAX], *c;
	struct stat sb;
	int n;

	for (size_t i = 0; i < st->nexclude; i++)
		if (strncmp(name, st->exclude[i], strlen(st->exclude[i])) == 0)
			return false;
	n = snprintf(path, sizeof(path), "%s/block/%s", st->sysfs, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	for (c = path + strlen(st->sysfs) + 7; *c != '\0'; c++)
		if (*c == '/')
			*c = '!';
	return stat(path, &sb) == 0;
}

static struct diskstats_inst *
diskstats_add(struct diskstats_state *st, const struct diskstats_dev *dev)
{
	struct diskstats_inst *in;

	if (st->ninst == st->inst_cap) {
		st->inst_cap = st->inst_cap * 2 + 8;
		st->inst = xrealloc(st->inst, st->inst_cap * sizeof(*st->inst));
	}
	in = &st->inst[st->ninst++];
	memset(in, 0, sizeof(*in));
	memcpy(in->name, dev->name, sizeof(in->name));
	memcpy(in->prev, dev->f, sizeof(in->prev));
	in->nfields = dev->nfields;
	in->in_flight = dev->f[DISKSTATS_IN_FLIGHT];
	/* 2.6-era partition lines (4 fields) are never whole devices. */
	in->tracked = dev->nfields >= 11 && diskstats_is_tracked(st, dev->name);
	if (in->tracked)
		log_info("disk %s appeared (%d fields)", dev->name, dev->nfields);
	return in;
}

static struct diskstats_inst *
diskstats_find(struct diskstats_state *st, const char *name, size_t hint)
{
	if (hint < st->ninst && strcmp(st->inst[hint].name, name) == 0)
		return &st->inst[hint];
	for (size_t i = 0; i < st->ninst; i++)
		if (strcmp(st->inst[i].name, name) == 0)
			return &st->inst[i];
	return NULL;
}

/* Stores the deltas; a 64-bit counter going backwards means the device was re-created. */
static void
diskstats_update(struct diskstats_inst *in, const struct diskstats_dev *dev, double dt)
{
	bool ok = dt > 0 && dev->nfields == in->nfields;

	for (int i = 0; i < dev->nfields && ok; i++)
		ok = counter_delta(in->prev[i], dev->f[i], diskstats_field_bits(i), &in->d[i]);
	if (!ok && dt > 0 && in->tracked)
		log_info("disk %s: counters went backwards (re-created?), new baseline", in->name);
	in->have_rate = ok;
	in->dt = dt;
	in->nfields = dev->nfields;
	in->in_flight = dev->f[DISKSTATS_IN_FLIGHT];
	memcpy(in->prev, dev->f, sizeof(in->prev));
}

static void
diskstats_prune(struct diskstats_state *st)
{
	size_t j = 0;

	for (size_t i = 0; i < st->ninst; i++) {
		if (!st->inst[i].seen) {
			if (st->inst[i].tracked)
				log_info("disk %s disappeared", st->inst[i].name);
			continue;
		}
		if (i != j)
			st->inst[j] = st->inst[i];
		j++;
	}
	st->ninst = j;
}

static int
diskstats_parse_rows(const char *text, size_t len, void *rows, size_t cap, size_t *n)
{
	return diskstats_parse(text, len, rows, cap, n);
}

/* Splits "loop,ram" into st->exclude; returns 0, or -1 with a sentence in why. */
static int
diskstats_set_exclude(struct diskstats_state *st, const char *list, char *why, size_t whylen)
{
	const char *p = list, *comma;
	size_t len;

	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(st->exclude[0]) || st->nexclude == DISKSTATS_MAX_EXCLUDE) {
			snprintf(why, whylen,
				 "--disk-exclude '%s': at most %d prefixes of 31 bytes", list,
				 DISKSTATS_MAX_EXCLUDE);
			return -1;
		}
		if (len > 0) {
			memcpy(st->exclude[st->nexclude], p, len);
			st->exclude[st->nexclude++][len] = '\0';
		}
		p += len + (comma != NULL);
	}
	return 0;
}

static void *
diskstats_init(const struct source_env *env, char *why, size_t whylen)
{
	struct diskstats_state *st = xcalloc(1, sizeof(*st));

	if (diskstats_set_exclude(
		    st, env->conf != NULL ? env->conf->disk_exclude : DISKSTATS_EXCLUDE_DEFAULT,
		    why, whylen) != 0) {
		free(st);
		return NULL;
	}
	st->pf = procfile_open(env->procfs, "diskstats", 4096, why, whylen);
	if (st->pf == NULL) {
		free(st);
		return NULL;
	}
	snprintf(st->sysfs, sizeof(st->sysfs), "%s", env->sysfs);
	rows_init(&st->devs, diskstats_parse_rows, sizeof(struct diskstats_dev), 32);
	return st;
}

static int
diskstats_sample(void *state, const struct tick *tick)
{
	struct diskstats_state *st = state;
	const struct diskstats_dev *dev;
	struct diskstats_inst *in;

	if (procfile_read_parse(st->pf, rows_parse, &st->devs) != 0) {
		for (size_t i = 0; i < st->ninst; i++)
			st->inst[i].have_rate = false;
		return -1;
	}
	for (size_t i = 0; i < st->ninst; i++)
		st->inst[i].seen = false;
	dev = st->devs.v;
	for (size_t i = 0; i < st->devs.n; i++) {
		in = diskstats_find(st, dev[i].name, i);
		if (in == NULL)
			in = diskstats_add(st, &dev[i]);
		else
			diskstats_update(in, &dev[i], tick->dt);
		in->seen = true;
	}
	diskstats_prune(st);
	return 0;
}

/* Sets obj[key] to the mean milliseconds per request of a kind, null without requests. */
static int
diskstats_await(struct jk_obj *row, const char *key, bool known, uint64_t ms, uint64_t ios)
{
	return section_jk_real(row, key, known && ios > 0, (double)ms / (double)ios);
}

static int
diskstats_encode_one(struct jk_arr *rows, const struct diskstats_inst *in)
{
	const uint64_t *d = in->d;
	double dt = in->dt, util = (double)d[DISKSTATS_IO_MS] / (dt * 1000.0) * 100.0;
	bool disc = in->nfields >= 15, flush = in->nfields >= 17;
	struct jk_obj c, *row = &c;
	int rc = 0;

	jk_begin(row, jk_arr_obj(rows));
	jk_str(row, "dev", in->name);
	rc |= section_jk_real(row, "reads_per_s", true, (double)d[DISKSTATS_READS] / dt);
	rc |= section_jk_real(row, "writes_per_s", true, (double)d[DISKSTATS_WRITES] / dt);
	rc |= section_jk_real(row, "read_bytes_per_s", true,
			      (double)d[DISKSTATS_READ_SECTORS] * DISKSTATS_SECTOR / dt);
	rc |= section_jk_real(row, "write_bytes_per_s", true,
			      (double)d[DISKSTATS_WRITE_SECTORS] * DISKSTATS_SECTOR / dt);
	rc |= section_jk_real(row, "reads_merged_per_s", true,
			      (double)d[DISKSTATS_READS_MERGED] / dt);
	rc |= section_jk_real(row, "writes_merged_per_s", true,
			      (double)d[DISKSTATS_WRITES_MERGED] / dt);
	rc |= diskstats_await(row, "read_await_ms", true, d[DISKSTATS_READ_MS], d[DISKSTATS_READS]);
	rc |= diskstats_await(row, "write_await_ms", true, d[DISKSTATS_WRITE_MS],
			      d[DISKSTATS_WRITES]);
	/* io_ticks can exceed the interval by a jiffy: a busy device is 100 %, not more. */
	rc |= section_jk_real(row, "util_pct", true, util > 100.0 ? 100.0 : util);
	rc |= section_jk_real(row, "queue_len", true,
			      (double)d[DISKSTATS_QUEUE_MS] / (dt * 1000.0));
	rc |= section_jk_int(row, "in_flight", true, (json_int_t)in->in_flight);
	rc |= section_jk_real(row, "discards_per_s", disc, (double)d[DISKSTATS_DISCARDS] / dt);
	rc |= section_jk_real(row, "discard_bytes_per_s", disc,
			      (double)d[DISKSTATS_DISCARD_SECTORS] * DISKSTATS_SECTOR / dt);
	rc |= diskstats_await(row, "discard_await_ms", disc, d[DISKSTATS_DISCARD_MS],
			      d[DISKSTATS_DISCARDS]);
	rc |= section_jk_real(row, "flushes_per_s", flush, (double)d[DISKSTATS_FLUSHES] / dt);
	rc |= diskstats_await(row, "flush_await_ms", flush, d[DISKSTATS_FLUSH_MS],
			      d[DISKSTATS_FLUSHES]);
	rc |= jk_end(row);
	return rc == 0 ? 0 : -1;
}

static int
diskstats_encode(void *state, json_t *frame)
{
	struct diskstats_state *st = state;
	struct jk_arr rows;

	jk_arr_begin(&rows, section_kept(frame, "disk", &st->section, true));
	for (size_t i = 0; i < st->ninst; i++)
		if (st->inst[i].tracked && st->inst[i].have_rate &&
		    diskstats_encode_one(&rows, &st->inst[i]) != 0)
			return -1;
	return jk_arr_end(&rows);
}

static void
diskstats_fini(void *state)
{
	struct diskstats_state *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	free(st->inst);
	rows_free(&st->devs);
	json_decref(st->section);
	free(st);
}

const struct source_ops diskstats_source = {
	.name = "disk",
	.init = diskstats_init,
	.sample = diskstats_sample,
	.encode = diskstats_encode,
	.fini = diskstats_fini,
};
