/*
 * The one meeting point of the main and WebSocket threads: a fixed ring of reference-counted
 * frames. The main thread publishes; the lws thread reads through one cursor per client.
 */
#ifndef PERFWATCH_APISERVER_FANOUT_H
#define PERFWATCH_APISERVER_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

struct fanout;
struct fanout_frame;

/* Called after each publish, without the lock held (the WebSocket thread: lws_cancel_service). */
typedef void (*fanout_wake_fn)(void *arg);

/* One client's position; owned by the consumer thread, never shared. */
struct fanout_cursor {
	uint64_t next;	  /* sequence number of the next frame to send */
	uint64_t skipped; /* frames passed over because the client was behind */
};

/*
 * Creates a ring of `capacity` frames. A client more than `backlog` frames behind skips to the
 * newest; one `capacity` frames behind is hopeless. Each frame keeps `headroom` writable bytes
 * before its text (LWS_PRE). Frames over `max_frame` bytes are refused. Free with fanout_free().
 */
struct fanout *fanout_new(size_t capacity, size_t backlog, size_t headroom, size_t max_frame);
/* Frees the ring and its frames; every taken frame must have been released. NULL is a no-op. */
void fanout_free(struct fanout *f);
/* Sets the function called after each publish (NULL to stop waking). Any thread. */
void fanout_set_wake(struct fanout *f, fanout_wake_fn fn, void *arg);
/* Copies text into the ring, dropping the oldest frame; returns 0, or -1 when it is too big.
 * Producer thread. */
MUST_CHECK int fanout_publish(struct fanout *f, const char *text, size_t len);
/* Points c at the newest frame, so a new client gets it at once. Consumer thread. */
void fanout_cursor_init(struct fanout *f, struct fanout_cursor *c);
/*
 * Returns the cursor's next frame (taking a reference the caller gives back with
 * fanout_release()) and advances it, skipping to the newest when it is more than `backlog`
 * behind; NULL when it is up to date. Consumer thread.
 */
struct fanout_frame *fanout_take(struct fanout *f, struct fanout_cursor *c);
/* Returns true when the cursor is `capacity` or more frames behind: the client should go. */
bool fanout_hopeless(struct fanout *f, const struct fanout_cursor *c);
/* Drops a reference from fanout_take(). Consumer thread. */
void fanout_release(struct fanout *f, struct fanout_frame *fr);
/* The frame's text (not NUL-terminated); the `headroom` bytes before it are the caller's. */
char *fanout_frame_text(struct fanout_frame *fr);
/* The text's length in bytes. */
size_t fanout_frame_len(const struct fanout_frame *fr);
/* The frame's sequence number (0 for the first published). */
uint64_t fanout_frame_seq(const struct fanout_frame *fr);

#endif
