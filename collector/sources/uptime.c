/* The "uptime" source: seconds since boot from a kept /proc/uptime fd. */
#include "collector/sources/uptime.h"

#include <stdbool.h>
#include <stdlib.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/section.h"
#include "common/xalloc.h"

struct uptime_state {
	struct procfile *pf;
	double uptime_s;
	bool ok;
	json_t *section; /* kept between ticks (jkeep.h) */
};

int
uptime_parse(const char *text, size_t len, double *uptime_s)
{
	struct scan s = scan_init(text, len);
	double idle;

	if (!scan_decimal(&s, uptime_s) || !scan_decimal(&s, &idle))
		return -1;
	scan_blanks(&s);
	return scan_eol(&s) ? 0 : -1;
}

static void *
uptime_init(const struct source_env *env, char *why, size_t whylen)
{
	struct uptime_state *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "uptime", 64, why, whylen);
	if (st->pf == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

static int
uptime_parse_any(const char *text, size_t len, void *out)
{
	return uptime_parse(text, len, out);
}

static int
uptime_sample(void *state, const struct tick *tick)
{
	struct uptime_state *st = state;
	(void)tick;
	st->ok = procfile_read_parse(st->pf, uptime_parse_any, &st->uptime_s) == 0;
	return st->ok ? 0 : -1;
}

static int
uptime_encode(void *state, json_t *frame)
{
	struct uptime_state *st = state;
	struct jk_obj o;

	if (!st->ok)
		return 0;
	jk_begin(&o, section_kept(frame, "uptime", &st->section, false));
	(void)section_jk_real(&o, "uptime_s", true, st->uptime_s);
	return jk_end(&o);
}

static void
uptime_fini(void *state)
{
	struct uptime_state *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	json_decref(st->section);
	free(st);
}

const struct source_ops uptime_source = {
	.name = "uptime",
	.init = uptime_init,
	.sample = uptime_sample,
	.encode = uptime_encode,
	.fini = uptime_fini,
};
