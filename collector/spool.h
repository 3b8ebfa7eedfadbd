/*
 * A bounded on-disk FIFO of frames for while the database is away: append-only segment files of
 * checksummed records in one locked directory, read back oldest first, each segment unlinked once
 * every record in it was popped. docs/operations.md describes the format and the policies.
 */
#ifndef PERFWATCH_COLLECTOR_SPOOL_H
#define PERFWATCH_COLLECTOR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

struct spool;

/* Counters for logs and tests; every count is of frames (records) except where it says bytes. */
struct spool_stats {
	uint64_t pending;   /* valid records not yet popped, including those of a previous run */
	uint64_t appended;  /* records appended since spool_open */
	uint64_t popped;    /* records popped since spool_open */
	uint64_t lost;	    /* records dropped with the oldest segment to stay within the bound */
	uint64_t corrupt;   /* damaged or torn stretches skipped (one per stretch, logged) */
	uint64_t recovered; /* valid records found by spool_open (left by a previous run) */
	size_t bytes;	    /* bytes in all segment files */
	size_t segments;    /* segment files */
};

/*
 * Opens (creating it and its parents, mode 0700) the spool in `dir`, locks it against a second
 * collector, and counts the records a previous run left (segments with no valid record are
 * removed). The spool keeps at most max_bytes in segments of about segment_bytes. Returns the
 * spool (close with spool_close) or NULL with a message in err.
 */
struct spool *spool_open(const char *dir, size_t max_bytes, size_t segment_bytes, char *err,
			 size_t errlen);
/*
 * Appends text[0, len) as one record (not yet synced: see spool_sync), first dropping the oldest
 * segments (counted in lost, logged) when the bound would be passed. Sets *token (may be NULL) to
 * the record's identity for spool_pop. Returns 0, or -1 on an I/O error (logged, nothing
 * written).
 */
MUST_CHECK int spool_append(struct spool *s, const char *text, size_t len, uint64_t *token);
/* fdatasyncs the segment being written; returns 0 (also when nothing is open) or -1 (logged). */
MUST_CHECK int spool_sync(struct spool *s);
/*
 * Returns the oldest record (NUL-terminated, owned by s, valid until the next call that changes
 * s) with its length and token, or NULL when the spool is empty. Damaged records are skipped
 * with a log line. Reading the segment being written closes it: later appends start a new one.
 */
const char *spool_peek(struct spool *s, size_t *len, uint64_t *token);
/*
 * Removes the oldest record if its token is `token` (a record already dropped by the bound is
 * not there any more: then nothing happens); unlinks its segment when it was the last one.
 */
void spool_pop(struct spool *s, uint64_t token);
/* Returns the number of valid records not yet popped. */
uint64_t spool_pending(const struct spool *s);
/* Fills *out with the spool's counters. */
void spool_stats(const struct spool *s, struct spool_stats *out);
/* Returns the spool's directory (owned by s). */
const char *spool_dir(const struct spool *s);
/*
 * Writes the default spool directory into buf: $PERFWATCH_STATE_DIR/spool, else
 * /var/lib/perfwatch/spool for root, else $XDG_STATE_HOME (or ~/.local/state)/perfwatch/spool.
 * Returns 0, or -1 when it does not fit or no home is known.
 */
MUST_CHECK int spool_default_dir(char *buf, size_t len);
/* Closes the segment files and the lock and frees the spool; spool_close(NULL) is a no-op. */
void spool_close(struct spool *s);

#endif
