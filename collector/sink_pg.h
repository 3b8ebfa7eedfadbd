/*
 * PostgreSQL sink: writes each frame with one `SELECT perfwatch_ingest($1)` round trip. While
 * the database is unreachable (or frames are already waiting) it writes frames to the on-disk
 * spool, reconnects with exponential back-off, and backfills them in order at a bounded rate once
 * the database is back. Without a spool, frames wait in a bounded in-memory backlog.
 */
#ifndef PERFWATCH_COLLECTOR_SINK_PG_H
#define PERFWATCH_COLLECTOR_SINK_PG_H

#include <stddef.h>
#include <stdint.h>

#include "collector/spool.h"
#include "common/compat.h"

struct sink_pg;

/* Counters for logs and tests. */
struct sink_pg_stats {
	uint64_t written;    /* frames perfwatch_ingest accepted (backfilled ones included) */
	uint64_t backfilled; /* of those, frames that came from the spool */
	uint64_t rejected;   /* frames the database refused with a non-transient error (dropped) */
	uint64_t dropped;    /* oldest frames dropped because the memory backlog was full */
	uint64_t spooled;    /* frames written to the spool */
	uint64_t spool_lost; /* spooled frames dropped with the oldest segment (spool full) */
	uint64_t spool_pending; /* frames in the spool, of this run or a previous one */
	size_t pending;		/* frames waiting in memory */
	uint64_t connects;	/* successful connections */
};

/*
 * Creates a sink for libpq conninfo `conninfo` (copied) with a memory backlog of at most
 * max_frames frames / max_bytes bytes; takes ownership of spool (NULL: no spool), whose frames
 * are written back at most replay_rate per second. Does not connect yet. Free with sink_pg_free.
 */
struct sink_pg *sink_pg_new(const char *conninfo, size_t max_frames, size_t max_bytes,
			    struct spool *spool, double replay_rate);
/*
 * Queues a copy of the frame text[0, len) and then works like sink_pg_service, except that the
 * answer to the last frame it sends (nothing queued behind it) is read by the next push, not
 * waited for: a tick does not sleep for the database's answer.
 */
MUST_CHECK int sink_pg_push(struct sink_pg *s, const char *text, size_t len, uint64_t deadline_ns);
/*
 * Connects (non-blocking, resumed across calls) when the back-off allows, keeps partitions
 * ahead, and writes queued frames oldest first until the backlog is empty or CLOCK_MONOTONIC
 * passes deadline_ns (at least one attempt per call). Returns 0, or -1 when the database can
 * never take this build's frames (schema behind): the message is logged and the caller exits.
 */
MUST_CHECK int sink_pg_service(struct sink_pg *s, uint64_t deadline_ns);
/*
 * For a requested stop: works like sink_pg_service until deadline_ns, then writes every frame
 * still in memory (the one in flight included) to the spool and syncs it. Returns like
 * sink_pg_service.
 */
MUST_CHECK int sink_pg_finish(struct sink_pg *s, uint64_t deadline_ns);
/* Fills *out with the sink's counters. */
void sink_pg_stats(const struct sink_pg *s, struct sink_pg_stats *out);
/*
 * Closes the connection and the spool and frees the sink and its backlog (frames still in memory
 * are lost: call sink_pg_finish first); sink_pg_free(NULL) is a no-op.
 */
void sink_pg_free(struct sink_pg *s);

#endif
