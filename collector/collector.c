/*
 * The tick loop: absolute CLOCK_MONOTONIC deadlines, a baseline sample at start, then every
 * interval all sources are sampled into one frame that goes to the sink in one round trip.
 */
#include "collector/collector.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/frame.h"
#include "collector/sink_pg.h"
#include "collector/source_table.h"
#include "collector/spool.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "collector"

#define COLLECTOR_ARENA_BYTES	 (256 * 1024)
#define COLLECTOR_FRAME_BYTES	 (64 * 1024)
#define COLLECTOR_BACKLOG_FRAMES 3600
#define COLLECTOR_BACKLOG_BYTES	 (64 * 1024 * 1024)
/* Segments of 1/16 of the spool (at most 8 MiB): dropping the oldest loses little at once. */
#define COLLECTOR_SPOOL_SEGMENTS    16
#define COLLECTOR_SPOOL_SEGMENT_MAX ((size_t)8 << 20)
/* At start the sink may take this long to connect, so a schema problem stops us right away. */
#define COLLECTOR_CONNECT_NS (3ull * 1000000000ull)
/* On a requested stop, queued frames get this long to reach the database. */
#define COLLECTOR_FINAL_DRAIN_NS (2ull * 1000000000ull)

struct collector_source {
	const struct source_ops *ops;
	void *state; /* NULL when unavailable */
	char why[256];
};

struct collector {
	const struct collector_conf *conf;
	struct source_env env;
	struct collector_source *sources;
	size_t nsources;
	struct frame *frame;
	struct sink_pg *sink;
	uint64_t interval_ns;
	struct tick tick;
	struct log_limit overrun_limit;
};

/* Opens the spool of --spool-dir / --spool-max-mb; returns 0 (*out NULL when disabled) or -1. */
static int
collector_spool(const struct collector_conf *conf, struct spool **out, char *err, size_t errlen)
{
	char dir[4096];
	size_t max = (size_t)conf->spool_max_mb << 20, seg = max / COLLECTOR_SPOOL_SEGMENTS;

	*out = NULL;
	if (conf->spool_max_mb == 0) {
		log_warn("--spool-max-mb 0: no spool, frames wait in memory while the database is "
			 "away and are lost on exit");
		return 0;
	}
	if (conf->spool_dir[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", conf->spool_dir);
	else if (spool_default_dir(dir, sizeof(dir)) != 0) {
		snprintf(err, errlen, "no default spool directory (no HOME): set --spool-dir");
		return -1;
	}
	*out = spool_open(dir, max,
			  seg < COLLECTOR_SPOOL_SEGMENT_MAX ? seg : COLLECTOR_SPOOL_SEGMENT_MAX,
			  err, errlen);
	if (*out == NULL)
		return -1;
	log_info("spool %s, at most %d MiB", dir, conf->spool_max_mb);
	return 0;
}

struct collector *
collector_new(const struct collector_conf *conf, char *err, size_t errlen)
{
	struct collector *c;
	struct collector_source *src;
	struct spool *spool;
	size_t navailable = 0;

	/* First, so that a spool another collector holds stops us before any source starts. */
	if (collector_spool(conf, &spool, err, errlen) != 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->sink = sink_pg_new(conf->db, COLLECTOR_BACKLOG_FRAMES, COLLECTOR_BACKLOG_BYTES, spool,
			      conf->spool_replay_rate);
	c->conf = conf;
	c->env.procfs = conf->procfs;
	c->env.sysfs = conf->sysfs;
	c->env.conf = conf;
	c->interval_ns = (uint64_t)(conf->interval * 1e9 + 0.5);
	c->overrun_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	c->nsources = source_table_len;
	c->sources = xcalloc(source_table_len, sizeof(*c->sources));
	for (size_t i = 0; i < c->nsources; i++) {
		src = &c->sources[i];
		src->ops = source_table[i];
		src->state = src->ops->init(&c->env, src->why, sizeof(src->why));
		if (src->state == NULL)
			log_warn("source %s unavailable: %s", src->ops->name, src->why);
		else
			log_info("source %s ready", src->ops->name);
		navailable += src->state != NULL;
	}
	if (navailable == 0) {
		snprintf(err, errlen, "no source can sample this machine (--procfs %s, --sysfs %s)",
			 conf->procfs, conf->sysfs);
		collector_free(c);
		return NULL;
	}
	/* After every init: only values made while encoding a tick live in the arena. */
	c->frame = frame_new(COLLECTOR_ARENA_BYTES, COLLECTOR_FRAME_BYTES);
	return c;
}

static void
collector_sample(struct collector *c, uint64_t seq)
{
	uint64_t prev_ns = c->tick.mono_ns;

	c->tick.mono_ns = clock_mono_ns();
	c->tick.wall_us = clock_wall_us();
	c->tick.seq = seq;
	c->tick.dt = seq == 0 ? 0 : (double)(c->tick.mono_ns - prev_ns) / 1e9;
	for (size_t i = 0; i < c->nsources; i++) {
		/* A failing source logs its own reason and leaves its section out. */
		if (c->sources[i].state != NULL)
			(void)c->sources[i].ops->sample(c->sources[i].state, &c->tick);
	}
}

/* Builds the tick's frame; returns 0 with the text, or -1 when it cannot be serialised. */
static int
collector_build(struct collector *c, const char **text, size_t *len)
{
	struct collector_source *src;
	json_t *root = frame_begin(c->frame, c->conf->hostname, &c->tick);

	for (size_t i = 0; i < c->nsources; i++) {
		src = &c->sources[i];
		if (src->state == NULL) {
			if (frame_unavailable(c->frame, src->ops->name, src->why) != 0)
				return -1;
		} else if (src->ops->encode(src->state, root) != 0) {
			log_debug("source %s could not encode this tick", src->ops->name);
		}
	}
	return frame_finish(c->frame, text, len);
}

static int
collector_tick(struct collector *c, uint64_t seq)
{
	const char *text;
	size_t len;

	collector_sample(c, seq);
	if (collector_build(c, &text, &len) != 0)
		return 0;
	log_debug("tick %llu: %zu-byte frame %s", (unsigned long long)seq, len, text);
	return sink_pg_push(c->sink, text, len, c->tick.mono_ns + c->interval_ns / 2);
}

uint64_t
collector_next_deadline(uint64_t deadline, uint64_t now, uint64_t interval, uint64_t *skipped)
{
	uint64_t next = deadline + interval;

	*skipped = 0;
	if (now > next) {
		*skipped = (now - next - 1) / interval + 1;
		next += *skipped * interval;
	}
	return next;
}

/* Sleeps until the absolute deadline; returns false when woken early to stop. */
static bool
collector_sleep_until(uint64_t deadline, volatile sig_atomic_t *stop)
{
	struct timespec ts = clock_ns_to_timespec(deadline);
	int rc;

	do {
		if (*stop)
			return false;
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	} while (rc == EINTR);
	return !*stop;
}

static void
collector_log_stats(const struct collector *c)
{
	struct sink_pg_stats st;

	sink_pg_stats(c->sink, &st);
	log_info("frames written %llu (backfilled from the spool %llu), rejected by the database "
		 "%llu, spooled %llu, lost from a full spool %llu, dropped from a full memory "
		 "backlog "
		 "%llu; in the spool for the next start %llu, in memory %zu (lost on exit)",
		 (unsigned long long)st.written, (unsigned long long)st.backfilled,
		 (unsigned long long)st.rejected, (unsigned long long)st.spooled,
		 (unsigned long long)st.spool_lost, (unsigned long long)st.dropped,
		 (unsigned long long)st.spool_pending, st.pending);
}

int
collector_run(struct collector *c, volatile sig_atomic_t *stop)
{
	uint64_t deadline, seq = 0, skipped;
	int rc = 0;

	if (sink_pg_service(c->sink, clock_mono_ns() + COLLECTOR_CONNECT_NS) != 0)
		return -1;
	collector_sample(c, 0);
	deadline = c->tick.mono_ns;
	log_info("sampling every %.3f s as host '%s'", c->conf->interval, c->conf->hostname);
	for (;;) {
		deadline = collector_next_deadline(deadline, clock_mono_ns(), c->interval_ns,
						   &skipped);
		if (skipped > 0)
			log_limited(&c->overrun_limit, LOG_LEVEL_WARN,
				    "tick overran: skipped %llu deadline(s)",
				    (unsigned long long)skipped);
		seq += skipped + 1;
		if (!collector_sleep_until(deadline, stop))
			break;
		if (collector_tick(c, seq) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		log_info("stopping after tick %llu", (unsigned long long)c->tick.seq);
		rc = sink_pg_finish(c->sink, clock_mono_ns() + COLLECTOR_FINAL_DRAIN_NS);
	}
	collector_log_stats(c);
	return rc;
}

void
collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	/* First restore jansson's malloc: values a source made in init are freed in fini. */
	frame_free(c->frame);
	for (size_t i = 0; i < c->nsources; i++) {
		if (c->sources[i].state != NULL)
			c->sources[i].ops->fini(c->sources[i].state);
	}
	free(c->sources);
	sink_pg_free(c->sink);
	free(c);
}
