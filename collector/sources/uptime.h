/* Time since boot from /proc/uptime. */
#ifndef PERFWATCH_COLLECTOR_SOURCES_UPTIME_H
#define PERFWATCH_COLLECTOR_SOURCES_UPTIME_H

#include <stddef.h>

#include "collector/source.h"
#include "common/compat.h"

/*
 * Parses /proc/uptime ("522.86 919.46\n": seconds since boot, then idle seconds summed over
 * the CPUs) into *uptime_s; returns 0, or -1 when the text is malformed.
 */
MUST_CHECK int uptime_parse(const char *text, size_t len, double *uptime_s);

/* The "uptime" source: {"uptime_s": seconds since boot}. */
extern const struct source_ops uptime_source;

#endif
