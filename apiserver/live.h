/*
 * The live path: a LISTEN perfwatch_tick connection (reconnecting, re-LISTENing), resolution of
 * "ref" payloads with perfwatch_frame(), the newest frame for /api/v1/latest, and fan-out.
 * Every function runs on the main (libevent) thread.
 */
#ifndef PERFWATCH_APISERVER_LIVE_H
#define PERFWATCH_APISERVER_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "apiserver/fanout.h"

#define LIVE_CHANNEL "perfwatch_tick"

struct live;

/*
 * Starts listening on its own connection to `conninfo`, which also resolves ref payloads and
 * reads the newest frame after each (re)connect; frames go to `f` (borrowed). Free with
 * live_free().
 */
struct live *live_new(struct event_base *base, const char *conninfo, struct fanout *f);
/* Closes the LISTEN connection and frees the newest frame. NULL is a no-op. */
void live_free(struct live *lv);
/* Returns true while the LISTEN connection is established. */
bool live_is_up(const struct live *lv);
/* Returns the newest frame's JSON text (owned by lv, valid until the next frame) or NULL. */
const char *live_latest(const struct live *lv);
/* Returns the newest frame's host name (owned by lv) or NULL. */
const char *live_latest_host(const struct live *lv);
/* Returns the newest frame's dt in milliseconds, or -1 when there is none. */
int64_t live_interval_ms(const struct live *lv);

#endif
