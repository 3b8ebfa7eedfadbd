/*
 * The collector: initialises every source in the table, then samples them all on absolute
 * CLOCK_MONOTONIC deadlines and hands one frame per tick to the PostgreSQL sink.
 */
#ifndef PERFWATCH_COLLECTOR_COLLECTOR_H
#define PERFWATCH_COLLECTOR_COLLECTOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/collector_conf.h"
#include "common/compat.h"

struct collector;

/*
 * Initialises every source (unavailable ones are logged with their reason), the frame builder
 * and the sink; does not connect yet. Borrows conf for its lifetime. Returns the collector (free
 * with collector_free) or NULL with a message in err.
 */
struct collector *collector_new(const struct collector_conf *conf, char *err, size_t errlen);
/*
 * Takes the baseline sample, then one frame per interval until *stop becomes non-zero (the
 * current tick is finished first). Returns 0 on a requested stop, -1 when the database can never
 * take this build's frames (logged).
 */
MUST_CHECK int collector_run(struct collector *c, volatile sig_atomic_t *stop);
/*
 * Returns the first deadline after `now` on the grid deadline + k * interval (k >= 1), and sets
 * *skipped to how many deadlines of that grid were missed (0 when now is before deadline +
 * interval).
 */
uint64_t collector_next_deadline(uint64_t deadline, uint64_t now, uint64_t interval,
				 uint64_t *skipped);
/* Finalises every source and frees the collector; collector_free(NULL) is a no-op. */
void collector_free(struct collector *c);

#endif
