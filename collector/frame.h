/*
 * The tick's JSON frame (docs/design.md): built with jansson from a bump arena that is reset
 * every tick, and serialised into a buffer allocated once, so the steady state does not malloc.
 */
#ifndef PERFWATCH_COLLECTOR_FRAME_H
#define PERFWATCH_COLLECTOR_FRAME_H

#include <stddef.h>

#include <jansson.h>

#include "collector/source.h"
#include "common/compat.h"

struct frame;

/*
 * Creates a frame builder with an arena of arena_bytes and an output buffer of out_bytes and
 * points jansson's allocator at the arena (process-wide: only one frame may exist at a time, and
 * no other jansson value may be live across frame_new/frame_free). Free with frame_free.
 */
struct frame *frame_new(size_t arena_bytes, size_t out_bytes);
/*
 * Starts a tick's frame: resets the arena (every json_t of the previous frame becomes invalid)
 * and returns the root object holding v, host, ts, seq and dt; the frame owns it.
 */
json_t *frame_begin(struct frame *f, const char *host, const struct tick *tick);
/* Records that source `name` is unavailable on this machine, with a sentence saying why. */
MUST_CHECK int frame_unavailable(struct frame *f, const char *name, const char *why);
/*
 * Serialises the frame into the output buffer; returns 0 with *text (NUL-terminated, owned by
 * f, valid until the next frame_begin) and *len, or -1 when jansson fails (logged).
 */
MUST_CHECK int frame_finish(struct frame *f, const char **text, size_t *len);
/* Returns how many bytes were allocated outside the arena since frame_new (0 when it fits). */
size_t frame_overflow_bytes(const struct frame *f);
/*
 * Between these two calls jansson values come from malloc, not the arena, so that they outlive
 * the tick (sections kept between ticks: jkeep.h); they nest. A kept value is attached to the
 * frame with json_object_set (the frame drops that reference at the next frame_begin) and freed
 * with json_decref by its owner. Harmless without a frame.
 */
void frame_persist_enter(void);
void frame_persist_leave(void);
/* Frees the frame and restores jansson's default allocator; frame_free(NULL) is a no-op. */
void frame_free(struct frame *f);

#endif
