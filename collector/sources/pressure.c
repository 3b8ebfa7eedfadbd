/*
 * The "pressure" source: PSI averages and stall rates from kept fds on /proc/pressure files, one
 * frame row per resource; the whole source is unavailable when the kernel has no /proc/pressure.
 */
#include "collector/sources/pressure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/counter.h"
#include "collector/sources/section.h"
#include "common/xalloc.h"

static const char *const pressure_resources[] = {"cpu", "memory", "io", "irq"};
#define PRESSURE_NRES ARRAY_LEN(pressure_resources)

struct pressure_res {
	struct procfile *pf; /* NULL when this resource is not reported by the kernel */
	struct pressure_stats cur, prev;
	bool have_cur, have_prev;
	char why[300];
	char key[32]; /* "pressure.<resource>", the key of why in the frame's unavailable */
};

struct pressure_state {
	struct pressure_res res[PRESSURE_NRES];
	double dt;
	json_t *section; /* kept between ticks (jkeep.h) */
};

/* Parses "avg10=1.00 avg60=0.50 avg300=0.10 total=123" after the some/full word. */
static int
pressure_parse_fields(struct scan *s, struct pressure_line *line)
{
	bool a10 = false, a60 = false, a300 = false, total = false, ok;
	const char *w, *skip;
	size_t wlen, skiplen;

	while (!scan_eol(s)) {
		if (!scan_word(s, '=', &w, &wlen) || !scan_char(s, '='))
			return -1;
		if (scan_word_is(w, wlen, "avg10"))
			ok = a10 = scan_decimal(s, &line->avg10);
		else if (scan_word_is(w, wlen, "avg60"))
			ok = a60 = scan_decimal(s, &line->avg60);
		else if (scan_word_is(w, wlen, "avg300"))
			ok = a300 = scan_decimal(s, &line->avg300);
		else if (scan_word_is(w, wlen, "total"))
			ok = total = scan_u64(s, &line->total_us);
		else
			ok = scan_word(s, 0, &skip, &skiplen);
		if (!ok)
			return -1;
		scan_blanks(s);
	}
	line->present = a10 && a60 && a300 && total;
	return line->present ? 0 : -1;
}

int
pressure_parse(const char *text, size_t len, struct pressure_stats *out)
{
	struct scan s = scan_init(text, len);
	struct pressure_line *line;
	const char *w;
	size_t wlen;

	memset(out, 0, sizeof(*out));
	do {
		if (!scan_word(&s, 0, &w, &wlen))
			continue;
		if (scan_word_is(w, wlen, "some"))
			line = &out->some;
		else if (scan_word_is(w, wlen, "full"))
			line = &out->full;
		else
			return -1;
		if (pressure_parse_fields(&s, line) != 0)
			return -1;
	} while (scan_next_line(&s));
	return out->some.present || out->full.present ? 0 : -1;
}

static void *
pressure_init(const struct source_env *env, char *why, size_t whylen)
{
	struct pressure_state *st = xcalloc(1, sizeof(*st));
	char rel[64], err[256];
	size_t found = 0;

	for (size_t i = 0; i < PRESSURE_NRES; i++) {
		struct pressure_res *r = &st->res[i];

		snprintf(rel, sizeof(rel), "pressure/%s", pressure_resources[i]);
		snprintf(r->key, sizeof(r->key), "pressure.%s", pressure_resources[i]);
		r->pf = procfile_open(env->procfs, rel, 256, err, sizeof(err));
		if (r->pf == NULL) {
			if (errno == ENOENT)
				snprintf(r->why, sizeof(r->why),
					 "kernel has no %s/%s (irq needs Linux 6.1 and "
					 "CONFIG_IRQ_TIME_ACCOUNTING)",
					 env->procfs, rel);
			else
				snprintf(r->why, sizeof(r->why), "%s", err);
			continue;
		}
		found++;
	}
	if (found == 0) {
		snprintf(why, whylen,
			 "kernel has no %s/pressure (PSI needs Linux 4.20 with CONFIG_PSI, and "
			 "psi=1 on kernels built with CONFIG_PSI_DEFAULT_DISABLED)",
			 env->procfs);
		free(st);
		return NULL;
	}
	return st;
}

static int
pressure_parse_any(const char *text, size_t len, void *out)
{
	return pressure_parse(text, len, out);
}

static int
pressure_sample(void *state, const struct tick *tick)
{
	struct pressure_state *st = state;
	int rc = 0;

	st->dt = tick->dt;
	for (size_t i = 0; i < PRESSURE_NRES; i++) {
		struct pressure_res *r = &st->res[i];

		if (r->pf == NULL)
			continue;
		r->prev = r->cur;
		r->have_prev = r->have_cur;
		r->have_cur = false;
		r->have_cur = procfile_read_parse(r->pf, pressure_parse_any, &r->cur) == 0;
		if (!r->have_cur)
			rc = -1;
	}
	return rc;
}

/* Frame keys of a line's avg10, avg60, avg300 and stall percentage: [0] some, [1] full. */
static const char *const pressure_keys[2][4] = {
	{"some_avg10", "some_avg60", "some_avg300", "some_stall_pct"},
	{"full_avg10", "full_avg60", "full_avg300", "full_stall_pct"},
};

/* Adds the line's averages and its stall percentage of the elapsed time, null when unknown. */
static int
pressure_encode_line(struct jk_obj *row, const char *const keys[4], const struct pressure_line *cur,
		     const struct pressure_line *prev, bool have_prev, double dt)
{
	uint64_t d = 0;
	bool rate = cur->present && have_prev && prev->present && dt > 0 &&
		    counter_delta(prev->total_us, cur->total_us, 64, &d);
	int rc = 0;

	rc |= section_jk_real(row, keys[0], cur->present, cur->avg10);
	rc |= section_jk_real(row, keys[1], cur->present, cur->avg60);
	rc |= section_jk_real(row, keys[2], cur->present, cur->avg300);
	rc |= section_jk_real(row, keys[3], rate, (double)d / (dt * 1e6) * 100.0);
	return rc == 0 ? 0 : -1;
}

static int
pressure_encode(void *state, json_t *frame)
{
	struct pressure_state *st = state;
	struct jk_arr rows;
	struct jk_obj row;

	jk_arr_begin(&rows, section_kept(frame, "pressure", &st->section, true));
	for (size_t i = 0; i < PRESSURE_NRES; i++) {
		const struct pressure_res *r = &st->res[i];

		if (r->pf == NULL) {
			if (section_unavailable(frame, r->key, r->why) != 0)
				return -1;
			continue;
		}
		if (!r->have_cur)
			continue;
		jk_begin(&row, jk_arr_obj(&rows));
		jk_str(&row, "resource", pressure_resources[i]);
		if (pressure_encode_line(&row, pressure_keys[0], &r->cur.some, &r->prev.some,
					 r->have_prev, st->dt) != 0 ||
		    pressure_encode_line(&row, pressure_keys[1], &r->cur.full, &r->prev.full,
					 r->have_prev, st->dt) != 0 ||
		    jk_end(&row) != 0)
			return -1;
	}
	return jk_arr_end(&rows);
}

static void
pressure_fini(void *state)
{
	struct pressure_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < PRESSURE_NRES; i++)
		procfile_free(st->res[i].pf);
	json_decref(st->section);
	free(st);
}

const struct source_ops pressure_source = {
	.name = "pressure",
	.init = pressure_init,
	.sample = pressure_sample,
	.encode = pressure_encode,
	.fini = pressure_fini,
};
