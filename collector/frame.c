/*
 * Tick frames: jansson allocates from a bump arena that frame_begin resets. An allocation that
 * does not fit falls back to malloc for this tick and the arena is enlarged at the next reset, so
 * after the first large tick the steady state allocates nothing.
 */
#include "collector/frame.h"

#include <math.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "frame"

/* A block allocated outside the arena; freed at the next reset. */
struct frame_spill {
	struct frame_spill *next;
	alignas(max_align_t) unsigned char data[];
};

struct frame {
	unsigned char *arena;
	size_t arena_cap;
	size_t arena_used;
	struct frame_spill *spills;
	size_t spill_bytes; /* spilled during the current tick */
	size_t overflow_total;
	char *out;
	size_t out_cap;
	json_t *root;
};

/* jansson's allocator has no context argument: the one live frame is reached through this. */
static struct frame *frame_current;
/* > 0 while values that outlive the tick are made (jkeep.h): they come from malloc. */
static int frame_persist_depth;

void
frame_persist_enter(void)
{
	frame_persist_depth++;
}

void
frame_persist_leave(void)
{
	frame_persist_depth--;
}

static void *
frame_alloc(size_t size)
{
	struct frame *f = frame_current;
	size_t align = alignof(max_align_t);
	size_t off = (f->arena_used + align - 1) & ~(align - 1);
	struct frame_spill *spill;

	if (frame_persist_depth > 0)
		return malloc(size);

	if (off <= f->arena_cap && size <= f->arena_cap - off) {
		f->arena_used = off + size;
		return f->arena + off;
	}
	spill = malloc(sizeof(*spill) + size);
	if (spill == NULL)
		return NULL;
	spill->next = f->spills;
	f->spills = spill;
	f->spill_bytes += size + sizeof(*spill);
	f->overflow_total += size + sizeof(*spill);
	return spill->data;
}

static void
frame_release(void *ptr)
{
	const struct frame *f = frame_current;
	uintptr_t p = (uintptr_t)ptr, a = (uintptr_t)f->arena;

	/* Arena and spilled memory is reclaimed all at once by frame_begin. */
	if (ptr == NULL || (p >= a && p < a + f->arena_cap))
		return;
	for (const struct frame_spill *s = f->spills; s != NULL; s = s->next) {
		if (ptr == (const void *)s->data)
			return;
	}
	/* A value kept between ticks (jkeep.h), made with malloc. */
	free(ptr);
}

struct frame *
frame_new(size_t arena_bytes, size_t out_bytes)
{
	struct frame *f = xcalloc(1, sizeof(*f));

	f->arena_cap = arena_bytes;
	f->arena = xmalloc(arena_bytes);
	f->out_cap = out_bytes;
	f->out = xmalloc(out_bytes);
	frame_current = f;
	json_set_alloc_funcs(frame_alloc, frame_release);
	return f;
}

static void
frame_reset(struct frame *f)
{
	struct frame_spill *next;
	size_t need = f->arena_used + f->spill_bytes;

	while (f->spills != NULL) {
		next = f->spills->next;
		free(f->spills);
		f->spills = next;
	}
	if (f->spill_bytes > 0) {
		f->arena_cap = need * 2;
		free(f->arena);
		f->arena = xmalloc(f->arena_cap);
		log_info("frame arena grown to %zu bytes", f->arena_cap);
	}
	f->spill_bytes = 0;
	f->arena_used = 0;
}

/* Drops the tick's root: its own values are arena memory, kept sections lose a reference. */
static void
frame_drop_root(struct frame *f)
{
	json_decref(f->root);
	f->root = NULL;
}

json_t *
frame_begin(struct frame *f, const char *host, const struct tick *tick)
{
	frame_drop_root(f);
	frame_reset(f);
	f->root = json_object();
	json_object_set_new(f->root, "v", json_integer(1));
	json_object_set_new(f->root, "host", json_string(host));
	json_object_set_new(f->root, "ts", json_integer(tick->wall_us / 1000));
	json_object_set_new(f->root, "seq", json_integer((json_int_t)tick->seq));
	json_object_set_new(f->root, "dt", json_real(round(tick->dt * 1e6) / 1e6));
	return f->root;
}

int
frame_unavailable(struct frame *f, const char *name, const char *why)
{
	/* A source may already have added per-metric reasons to the same object. */
	json_t *u = json_object_get(f->root, "unavailable");

	if (u == NULL) {
		u = json_object();
		if (json_object_set_new(f->root, "unavailable", u) != 0)
			return -1;
	}
	return json_object_set_new(u, name, json_string(why));
}

int
frame_finish(struct frame *f, const char **text, size_t *len)
{
	/* Ten significant digits print 2-decimal percentages and µs-rounded dt exactly. */
	size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(10);
	size_t n = json_dumpb(f->root, f->out, f->out_cap - 1, flags);

	if (n == 0) {
		log_error("cannot serialise the frame");
		return -1;
	}
	if (n > f->out_cap - 1) {
		/* Rare (the machine grew): enlarge once and serialise again. */
		f->out_cap = n * 2;
		free(f->out);
		f->out = xmalloc(f->out_cap);
		log_info("frame buffer grown to %zu bytes", f->out_cap);
		n = json_dumpb(f->root, f->out, f->out_cap - 1, flags);
	}
	f->out[n] = '\0';
	*text = f->out;
	*len = n;
	return 0;
}

size_t
frame_overflow_bytes(const struct frame *f)
{
	return f->overflow_total;
}

void
frame_free(struct frame *f)
{
	if (f == NULL)
		return;
	frame_drop_root(f);
	f->spill_bytes = 0;
	frame_reset(f);
	json_set_alloc_funcs(malloc, free);
	if (frame_current == f)
		frame_current = NULL;
	free(f->arena);
	free(f->out);
	free(f);
}
