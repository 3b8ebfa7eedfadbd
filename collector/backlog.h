/*
 * A bounded in-memory FIFO of frames waiting for the database: a byte ring and an entry ring
 * allocated once. When full, the oldest frames are dropped (and counted) to make room.
 */
#ifndef PERFWATCH_COLLECTOR_BACKLOG_H
#define PERFWATCH_COLLECTOR_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

struct backlog;

/* Creates a backlog holding at most max_frames frames and max_bytes bytes of frame text. */
struct backlog *backlog_new(size_t max_frames, size_t max_bytes);
/*
 * Appends a copy of text[0, len), dropping the oldest frames when needed; returns 0, or -1 when
 * the frame alone is larger than the whole byte ring (the frame is not kept).
 */
MUST_CHECK int backlog_push(struct backlog *b, const char *text, size_t len);
/* Returns the oldest frame (owned by b, valid until it is popped), or NULL when empty. */
const char *backlog_peek(const struct backlog *b, size_t *len);
/* Removes the oldest frame; no-op when empty. */
void backlog_pop(struct backlog *b);
/* Returns the number of frames held. */
size_t backlog_count(const struct backlog *b);
/* Returns how many frames have been dropped to make room since backlog_new. */
uint64_t backlog_dropped(const struct backlog *b);
/* Frees the backlog; backlog_free(NULL) is a no-op. */
void backlog_free(struct backlog *b);

#endif
