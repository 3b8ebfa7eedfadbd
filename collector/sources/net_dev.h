/*
 * Per-interface network traffic from /proc/net/dev as per-second rates, with link speed,
 * utilisation and operstate from /sys/class/net/<iface>/.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_NET_DEV_H
#define PERFWATCH_COLLECTOR_SOURCES_NET_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* The sixteen /proc/net/dev columns, in kernel order. */
enum net_dev_counter {
	NET_DEV_RX_BYTES,
	NET_DEV_RX_PACKETS,
	NET_DEV_RX_ERRORS,
	NET_DEV_RX_DROPS,
	NET_DEV_RX_FIFO,
	NET_DEV_RX_FRAME,
	NET_DEV_RX_COMPRESSED,
	NET_DEV_RX_MULTICAST,
	NET_DEV_TX_BYTES,
	NET_DEV_TX_PACKETS,
	NET_DEV_TX_ERRORS,
	NET_DEV_TX_DROPS,
	NET_DEV_TX_FIFO,
	NET_DEV_TX_COLLISIONS,
	NET_DEV_TX_CARRIER,
	NET_DEV_TX_COMPRESSED,
	NET_DEV_NCOUNTERS
};

/* The frame key of each counter's rate, indexed by enum net_dev_counter. */
extern const char *const net_dev_rate_keys[NET_DEV_NCOUNTERS];

/* One interface line. */
struct net_dev_if {
	char name[16]; /* IFNAMSIZ */
	uint64_t c[NET_DEV_NCOUNTERS];
};

/*
 * Parses /proc/net/dev text into out[0, cap) and sets *n to the number of interfaces in the
 * text (more than cap means out was too small); returns 0, or -1 on a malformed line.
 */
MUST_CHECK int net_dev_parse(const char *text, size_t len, struct net_dev_if *out, size_t cap,
			     size_t *n);

/* The "net" source: one frame row per interface with rates once it has two samples. */
extern const struct source_ops net_dev_source;

#endif
