/* Monotonic and wall-clock helpers for tick scheduling and timestamps. */
#ifndef PERFWATCH_COMMON_CLOCK_H
#define PERFWATCH_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Returns CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_mono_ns(void);
/* Returns CLOCK_REALTIME in milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);
/* Returns CLOCK_REALTIME in microseconds since the Unix epoch. */
int64_t clock_wall_us(void);
/* Converts nanoseconds to a struct timespec. */
struct timespec clock_ns_to_timespec(uint64_t ns);

#endif
