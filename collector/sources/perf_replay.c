/*
 * The perf replay source: parses a counter trace once, then hands one tick of group reads per
 * sample to the same aggregation as the live source (perf_frame), looping at the end.
 */
#include "collector/sources/perf_replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/perf_caps.h"
#include "collector/perf_frame.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "perf_replay"

#define PERF_REPLAY_MAGIC    "# perfwatch-perf-trace 1"
#define PERF_REPLAY_MAX_CPUS 256

/* One line of the trace: a group read on a CPU, or a bandwidth channel read. */
struct perf_replay_rec {
	long tick;
	bool bw;
	unsigned index; /* CPU index (group read) or channel (bandwidth read) */
	enum perf_frame_group group;
	uint64_t enabled, running; /* group read; bandwidth: t_ns in enabled */
	uint64_t values[PERF_FRAME_EV_COUNT];
};

struct perf_replay {
	struct perf_frame *frame;
	struct perf_replay_rec *recs;
	size_t nrec, cap, pos;
	unsigned ncpus;
	int cpu_ids[PERF_REPLAY_MAX_CPUS];
	char origin[512];
	double nominal_mhz, peak_gbs;
	enum perf_bw_kind bw_kind;
	size_t nbw;
	double bw_scale[2];
	bool seen[PERF_FRAME_EV_COUNT];
	char path[512];
};

/* The header is "# key: value" lines; returns 0, or -1 with why. */
static int
perf_replay_header(struct perf_replay *r, const char *line, char *why, size_t whylen)
{
	static const char *const kinds[] = {"none", "intel_imc", "amd_umc", "resctrl"};
	const char *v;

	if (strncmp(line, "# origin:", 9) == 0) {
		v = line + 9 + strspn(line + 9, " ");
		snprintf(r->origin, sizeof(r->origin), "%.*s", (int)strcspn(v, "\n"), v);
	} else if (strncmp(line, "# cpus:", 7) == 0) {
		char *end;

		v = line + 7;
		r->ncpus = 0;
		for (long c = strtol(v, &end, 10); end != v && r->ncpus < PERF_REPLAY_MAX_CPUS;
		     c = strtol(v, &end, 10)) {
			r->cpu_ids[r->ncpus++] = (int)c;
			v = end;
		}
	} else if (strncmp(line, "# nominal_mhz:", 14) == 0) {
		r->nominal_mhz = atof(line + 14);
	} else if (strncmp(line, "# peak_gbs:", 11) == 0) {
		r->peak_gbs = atof(line + 11);
	} else if (strncmp(line, "# bandwidth:", 12) == 0) {
		char kind[32];
		unsigned long n;

		if (sscanf(line + 12, "%31s %lu %lf %lf", kind, &n, &r->bw_scale[0],
			   &r->bw_scale[1]) != 4) {
			snprintf(why, whylen, "bad bandwidth line '%s'", line);
			return -1;
		}
		r->nbw = n;
		for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
			if (strcmp(kind, kinds[k]) == 0)
				r->bw_kind = (enum perf_bw_kind)k;
		}
	}
	return 0;
}

static int
perf_replay_group(const char *name, enum perf_frame_group *out)
{
	for (unsigned g = 0; g < PERF_FRAME_G_COUNT; g++) {
		if (strcmp(name, perf_frame_group_name((enum perf_frame_group)g)) == 0) {
			*out = (enum perf_frame_group)g;
			return 0;
		}
	}
	return -1;
}

/* Parses "key=value" counter terms of a group read into rec->values. */
static int
perf_replay_values(struct perf_replay *r, struct perf_replay_rec *rec, char *terms)
{
	char *save = NULL;

	for (char *t = strtok_r(terms, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(t, '='), *end;
		unsigned e;

		if (eq == NULL)
			return -1;
		*eq = '\0';
		for (e = 0; e < PERF_FRAME_EV_COUNT; e++) {
			if (strcmp(t, perf_frame_events[e].key) == 0 &&
			    perf_frame_events[e].group == rec->group)
				break;
		}
		if (e == PERF_FRAME_EV_COUNT)
			return -1;
		errno = 0;
		rec->values[e] = strtoull(eq + 1, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		r->seen[e] = true;
	}
	return 0;
}

/* Parses one record line; returns 0 or -1. */
static int
perf_replay_record(struct perf_replay *r, char *line)
{
	struct perf_replay_rec rec;
	char kind, group[16];
	unsigned long long a, b, c, d;
	int used = 0;

	memset(&rec, 0, sizeof(rec));
	if (sscanf(line, "%ld %c%n", &rec.tick, &kind, &used) != 2)
		return -1;
	if (kind == 'b') {
		if (sscanf(line + used, "%llu %llu %llu %llu", &a, &b, &c, &d) != 4 || a >= r->nbw)
			return -1;
		rec.bw = true;
		rec.index = (unsigned)a;
		rec.enabled = b;
		rec.values[0] = c;
		rec.values[1] = d;
	} else if (kind == 'g') {
		int n = 0;

		line += used;
		if (sscanf(line, "%llu %15s %llu %llu%n", &a, group, &b, &c, &n) != 4 ||
		    perf_replay_group(group, &rec.group) != 0)
			return -1;
		rec.index = r->ncpus;
		for (unsigned i = 0; i < r->ncpus; i++) {
			if ((unsigned long long)r->cpu_ids[i] == a)
				rec.index = i;
		}
		rec.enabled = b;
		rec.running = c;
		if (rec.index >= r->ncpus || perf_replay_values(r, &rec, line + n) != 0)
			return -1;
	} else {
		return -1;
	}
	if (r->nrec > 0 && rec.tick < r->recs[r->nrec - 1].tick)
		return -1;
	if (r->nrec == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->recs = xrealloc(r->recs, r->cap * sizeof(*r->recs));
	}
	r->recs[r->nrec++] = rec;
	return 0;
}

/* Reads the file: the magic line, the header, then records. */
static int
perf_replay_read(struct perf_replay *r, FILE *fp, char *why, size_t whylen)
{
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = -1;

	while (getline(&line, &cap, fp) >= 0) {
		lineno++;
		if (lineno == 1 &&
		    strncmp(line, PERF_REPLAY_MAGIC, strlen(PERF_REPLAY_MAGIC)) != 0) {
			snprintf(why, whylen, "%s is not a perf trace (no '%s' first line)",
				 r->path, PERF_REPLAY_MAGIC);
			goto out;
		}
		if (line[0] == '#') {
			if (perf_replay_header(r, line, why, whylen) != 0)
				goto out;
		} else if (line[strspn(line, " \t\n")] != '\0' &&
			   perf_replay_record(r, line) != 0) {
			snprintf(why, whylen,
				 "%s:%ld: malformed record (or a CPU not in '# cpus:')", r->path,
				 lineno);
			goto out;
		}
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* The capability report of a replay says that it is one, and where the trace came from. */
static void
perf_replay_report(struct perf_replay *r)
{
	static const char *const kinds[] = {"none", "intel_imc", "amd_umc", "resctrl"};
	json_t *cpus = json_array(), *events = json_array(), *report;
	void *(*jmalloc)(size_t);
	void (*jfree)(void *);
	char *text;

	for (unsigned i = 0; i < r->ncpus; i++)
		json_array_append_new(cpus, json_integer(r->cpu_ids[i]));
	for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
		if (r->seen[e])
			json_array_append_new(events, json_string(perf_frame_events[e].key));
	}
	report = json_pack("{s:s, s:s, s:s, s:o, s:o, s:f, s:f, s:{s:s, s:i}, s:[]}", "source",
			   "replay", "origin", r->origin, "trace", r->path, "cpus", cpus,
			   "events_in_trace", events, "nominal_ghz", r->nominal_mhz / 1000.0,
			   "peak_gbs", r->peak_gbs, "bandwidth", "kind", kinds[r->bw_kind],
			   "channels", (int)r->nbw, "unavailable");
	text = report ? json_dumps(report, JSON_COMPACT) : NULL;
	json_decref(report);
	if (text == NULL)
		return;
	log_info("replaying %s (%zu records): %s", r->path, r->nrec, text);
	perf_frame_set_caps_report(r->frame, text);
	json_get_alloc_funcs(&jmalloc, &jfree);
	jfree(text);
}

/* Builds the aggregation: CPUs, events the trace lacks, bandwidth, frequency, peak. */
static void
perf_replay_setup(struct perf_replay *r)
{
	double rd[PERF_CAPS_MAX_BW], wr[PERF_CAPS_MAX_BW];
	struct perf_caps none;
	char text[512];

	memset(&none, 0, sizeof(none));
	r->frame = perf_frame_new(r->ncpus, r->cpu_ids, "replay", r->origin);
	for (unsigned k = 1; k < PERF_REASON_COUNT; k++) {
		perf_caps_explain(&none, (enum perf_reason)k, text, sizeof(text));
		perf_frame_set_why(r->frame, (enum perf_reason)k, text);
	}
	perf_frame_set_why(r->frame, PERF_REASON_EVENT_UNSUPPORTED,
			   "the replayed trace has no such counter (its PMU did not count it)");
	perf_frame_set_why(r->frame, PERF_REASON_NO_BANDWIDTH,
			   "the replayed trace has no memory-bandwidth channels");
	for (unsigned c = 0; c < r->ncpus; c++) {
		for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
			if (!r->seen[e])
				perf_frame_set_event_reason(r->frame, c, (enum perf_frame_event)e,
							    PERF_REASON_EVENT_UNSUPPORTED);
		}
	}
	if (r->nbw > PERF_CAPS_MAX_BW)
		r->nbw = PERF_CAPS_MAX_BW;
	for (size_t i = 0; i < r->nbw; i++) {
		rd[i] = r->bw_scale[0];
		wr[i] = r->bw_scale[1];
	}
	perf_frame_bw_setup(r->frame, r->bw_kind, r->nbw, rd, wr);
	perf_frame_set_nominal_ghz(r->frame, r->nominal_mhz / 1000.0);
	perf_frame_set_peak_gbs(r->frame, r->peak_gbs);
	perf_replay_report(r);
}

struct perf_replay *
perf_replay_open(const char *path, char *why, size_t whylen)
{
	struct perf_replay *r = xcalloc(1, sizeof(*r));
	FILE *fp = fopen(path, "re");

	snprintf(r->path, sizeof(r->path), "%s", path);
	if (fp == NULL) {
		snprintf(why, whylen, "cannot open the perf trace %s: %s", path, strerror(errno));
		goto fail;
	}
	if (perf_replay_read(r, fp, why, whylen) != 0)
		goto fail;
	if (r->origin[0] == '\0') {
		snprintf(why, whylen,
			 "%s has no '# origin:' line saying where it was recorded (or that it is "
			 "synthetic): refusing to replay it",
			 path);
		goto fail;
	}
	if (r->ncpus == 0 || r->nrec == 0) {
		snprintf(why, whylen, "%s has no '# cpus:' line or no records", path);
		goto fail;
	}
	fclose(fp);
	perf_replay_setup(r);
	return r;
fail:
	if (fp != NULL)
		fclose(fp);
	perf_replay_free(r);
	return NULL;
}

int
perf_replay_sample(struct perf_replay *r, const struct tick *tick)
{
	long t;

	(void)tick;
	/* At the end the trace starts over: its counters go backwards, which the aggregation
	 * reports honestly as one "reset" interval. */
	if (r->pos >= r->nrec)
		r->pos = 0;
	t = r->recs[r->pos].tick;
	perf_frame_tick_begin(r->frame);
	perf_frame_set_trace_tick(r->frame, t);
	for (; r->pos < r->nrec && r->recs[r->pos].tick == t; r->pos++) {
		const struct perf_replay_rec *rec = &r->recs[r->pos];

		if (rec->bw)
			perf_frame_bw_read(r->frame, rec->index, rec->values[0], rec->values[1],
					   rec->enabled);
		else
			perf_frame_group_read(r->frame, rec->index, rec->group, rec->enabled,
					      rec->running, rec->values);
	}
	return 0;
}

int
perf_replay_encode(struct perf_replay *r, json_t *frame)
{
	return perf_frame_encode(r->frame, frame);
}

void
perf_replay_free(struct perf_replay *r)
{
	if (r == NULL)
		return;
	perf_frame_free(r->frame);
	free(r->recs);
	free(r);
}
