/*
 * Fixed ring of reference-counted frames between the main thread (producer) and the lws thread
 * (consumer): lock, insert, unlock, wake. Memory is bounded by capacity frames plus at most one
 * frame per client currently being written.
 */
#include "apiserver/fanout.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct fanout_frame {
	uint64_t seq;
	size_t len;
	unsigned refs; /* guarded by fanout.lock: one for the ring slot, one per taker */
	char *text;    /* points headroom bytes into data */
	char data[];   /* headroom + len bytes */
};

struct fanout {
	pthread_mutex_t lock;
	size_t capacity, backlog, headroom, max_frame; /* constant after fanout_new */
	struct fanout_frame **ring;		       /* guarded by lock */
	uint64_t head;				       /* guarded by lock: frames published */
	fanout_wake_fn wake;			       /* guarded by lock */
	void *wake_arg;				       /* guarded by lock */
};

/* Runs on: main thread, before the consumer starts. */
struct fanout *
fanout_new(size_t capacity, size_t backlog, size_t headroom, size_t max_frame)
{
	struct fanout *f = xcalloc(1, sizeof(*f));

	pthread_mutex_init(&f->lock, NULL);
	f->capacity = capacity > 0 ? capacity : 1;
	f->backlog = backlog > 0 ? backlog : 1;
	f->headroom = headroom;
	f->max_frame = max_frame;
	f->ring = xcalloc(f->capacity, sizeof(*f->ring));
	return f;
}

/* Runs on: any thread, with f->lock held. Returns the frame when this was the last reference. */
static struct fanout_frame *
fanout_unref_locked(struct fanout_frame *fr)
{
	if (fr == NULL || --fr->refs > 0)
		return NULL;
	return fr;
}

/* Runs on: the thread calling fanout_free(), after both threads stopped using f. */
void
fanout_free(struct fanout *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->capacity; i++)
		free(fanout_unref_locked(f->ring[i]));
	free(f->ring);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Runs on: any thread. */
void
fanout_set_wake(struct fanout *f, fanout_wake_fn fn, void *arg)
{
	pthread_mutex_lock(&f->lock);
	f->wake = fn;
	f->wake_arg = arg;
	pthread_mutex_unlock(&f->lock);
}

/* Runs on: main thread (producer). Allocation and copying happen outside the lock. */
int
fanout_publish(struct fanout *f, const char *text, size_t len)
{
	struct fanout_frame *fr, *old;
	fanout_wake_fn wake;
	void *wake_arg;

	if (len > f->max_frame)
		return -1;
	fr = xmalloc(sizeof(*fr) + f->headroom + len);
	fr->len = len;
	fr->refs = 1;
	fr->text = fr->data + f->headroom;
	memcpy(fr->text, text, len);
	pthread_mutex_lock(&f->lock);
	fr->seq = f->head;
	old = fanout_unref_locked(f->ring[f->head % f->capacity]);
	f->ring[f->head % f->capacity] = fr;
	f->head++;
	wake = f->wake;
	wake_arg = f->wake_arg;
	pthread_mutex_unlock(&f->lock);
	free(old);
	if (wake != NULL)
		wake(wake_arg);
	return 0;
}

/* Runs on: consumer thread. */
void
fanout_cursor_init(struct fanout *f, struct fanout_cursor *c)
{
	pthread_mutex_lock(&f->lock);
	c->next = f->head > 0 ? f->head - 1 : 0;
	c->skipped = 0;
	pthread_mutex_unlock(&f->lock);
}

/* Runs on: consumer thread. */
struct fanout_frame *
fanout_take(struct fanout *f, struct fanout_cursor *c)
{
	struct fanout_frame *fr = NULL;
	uint64_t lag;

	pthread_mutex_lock(&f->lock);
	if (c->next < f->head) {
		lag = f->head - c->next;
		if (lag > f->backlog) {
			c->skipped += lag - 1;
			c->next = f->head - 1;
		}
		fr = f->ring[c->next % f->capacity];
		fr->refs++;
		c->next++;
	}
	pthread_mutex_unlock(&f->lock);
	return fr;
}

/* Runs on: consumer thread. */
bool
fanout_hopeless(struct fanout *f, const struct fanout_cursor *c)
{
	bool hopeless;

	pthread_mutex_lock(&f->lock);
	hopeless = c->next + f->capacity <= f->head;
	pthread_mutex_unlock(&f->lock);
	return hopeless;
}

/* Runs on: consumer thread. */
void
fanout_release(struct fanout *f, struct fanout_frame *fr)
{
	pthread_mutex_lock(&f->lock);
	fr = fanout_unref_locked(fr);
	pthread_mutex_unlock(&f->lock);
	free(fr);
}

/* Runs on: consumer thread; the text is immutable after publish. */
char *
fanout_frame_text(struct fanout_frame *fr)
{
	return fr->text;
}

/* Runs on: consumer thread. */
size_t
fanout_frame_len(const struct fanout_frame *fr)
{
	return fr->len;
}

/* Runs on: consumer thread. */
uint64_t
fanout_frame_seq(const struct fanout_frame *fr)
{
	return fr->seq;
}
