/*
 * TCP activity from /proc/net/snmp ("Tcp:") and /proc/net/netstat ("TcpExt:"): opens, segments,
 * retransmits, resets and listen-queue drops per second, and established connections.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_NET_SNMP_H
#define PERFWATCH_COLLECTOR_SOURCES_NET_SNMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/*
 * Finds the "<prefix>:" header line and the value line after it in /proc/net/snmp-style text
 * and, for each of names[0, n) in the header, stores its value in vals[i] and sets present[i];
 * returns 0, or -1 when the pair is missing or the lines do not match. Negative values (such as
 * Tcp MaxConn = -1) are not counters and leave present[i] false.
 */
MUST_CHECK int net_snmp_parse(const char *text, size_t len, const char *prefix,
			      const char *const *names, size_t n, uint64_t *vals, bool *present);

/* The "tcp" source: one frame object. */
extern const struct source_ops net_snmp_source;

#endif
