/*
 * Bounded frame FIFO. Each frame is stored contiguously in the byte ring (NUL-terminated, so it
 * can be handed to libpq as is); when it does not fit at the end, it starts again at offset 0.
 */
#include "collector/backlog.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct backlog_entry {
	size_t off;
	size_t len; /* bytes used in the ring, including the NUL */
};

struct backlog {
	char *ring;
	size_t cap;
	struct backlog_entry *entries;
	size_t max_entries;
	size_t first; /* index of the oldest entry */
	size_t count;
	uint64_t dropped;
};

struct backlog *
backlog_new(size_t max_frames, size_t max_bytes)
{
	struct backlog *b = xcalloc(1, sizeof(*b));

	b->ring = xmalloc(max_bytes);
	b->cap = max_bytes;
	b->max_entries = max_frames;
	b->entries = xcalloc(max_frames, sizeof(*b->entries));
	return b;
}

/* Finds a contiguous place for need bytes after the newest entry; returns false when none. */
static bool
backlog_fits(const struct backlog *b, size_t need, size_t *pos)
{
	const struct backlog_entry *oldest, *newest;
	size_t head, tail;

	if (b->count == 0) {
		*pos = 0;
		return need <= b->cap;
	}
	oldest = &b->entries[b->first];
	newest = &b->entries[(b->first + b->count - 1) % b->max_entries];
	head = oldest->off;
	tail = newest->off + newest->len;
	if (tail > head) {
		if (b->cap - tail >= need) {
			*pos = tail;
			return true;
		}
		*pos = 0;
		return head >= need;
	}
	*pos = tail;
	return head - tail >= need;
}

int
backlog_push(struct backlog *b, const char *text, size_t len)
{
	struct backlog_entry *e;
	size_t need = len + 1, pos;

	if (need > b->cap)
		return -1;
	while (b->count == b->max_entries || !backlog_fits(b, need, &pos)) {
		backlog_pop(b);
		b->dropped++;
	}
	memcpy(b->ring + pos, text, len);
	b->ring[pos + len] = '\0';
	e = &b->entries[(b->first + b->count) % b->max_entries];
	e->off = pos;
	e->len = need;
	b->count++;
	return 0;
}

const char *
backlog_peek(const struct backlog *b, size_t *len)
{
	const struct backlog_entry *e;

	if (b->count == 0)
		return NULL;
	e = &b->entries[b->first];
	*len = e->len - 1;
	return b->ring + e->off;
}

void
backlog_pop(struct backlog *b)
{
	if (b->count == 0)
		return;
	b->first = (b->first + 1) % b->max_entries;
	b->count--;
}

size_t
backlog_count(const struct backlog *b)
{
	return b->count;
}

uint64_t
backlog_dropped(const struct backlog *b)
{
	return b->dropped;
}

void
backlog_free(struct backlog *b)
{
	if (b == NULL)
		return;
	free(b->ring);
	free(b->entries);
	free(b);
}
