/*
 * The metric catalogue table. A new subsystem adds its rows here, next to its migration; the
 * API server's /api/v1/query reads names, tables and columns from nowhere else.
 */
#include "common/metrics.h"

#include <string.h>

/* Rows follow migrations/001_init.sql; a new source appends its rows. */
static const struct metric metrics_table[] = {
	{"cpu.usr", "cpu_samples", "usr", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: user mode (excluding nice)"},
	{"cpu.nice", "cpu_samples", "nice", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: user mode at positive nice"},
	{"cpu.sys", "cpu_samples", "sys", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: kernel mode"},
	{"cpu.idle", "cpu_samples", "idle", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: idle"},
	{"cpu.iowait", "cpu_samples", "iowait", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: idle with I/O outstanding"},
	{"cpu.irq", "cpu_samples", "irq", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: servicing hardware interrupts"},
	{"cpu.softirq", "cpu_samples", "softirq", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: servicing softirqs"},
	{"cpu.steal", "cpu_samples", "steal", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: stolen by the hypervisor"},
	{"cpu.guest", "cpu_samples", "guest", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: running a guest (also in usr)"},
	{"cpu.guest_nice", "cpu_samples", "guest_nice", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: running a niced guest (also in nice)"},
	{"mem.total_kb", "memory_samples", "total_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "MemTotal: usable RAM"},
	{"mem.free_kb", "memory_samples", "free_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "MemFree: unused RAM"},
	{"mem.available_kb", "memory_samples", "available_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "MemAvailable: RAM available without swapping"},
	{"mem.buffers_kb", "memory_samples", "buffers_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Buffers: block device buffers"},
	{"mem.cached_kb", "memory_samples", "cached_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Cached: page cache"},
	{"mem.swap_total_kb", "memory_samples", "swap_total_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "SwapTotal: swap space"},
	{"mem.swap_free_kb", "memory_samples", "swap_free_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "SwapFree: unused swap space"},
	{"load.load1", "load_samples", "load1", NULL, NULL, "", METRIC_GAUGE,
	 "load average over 1 minute"},
	{"load.load5", "load_samples", "load5", NULL, NULL, "", METRIC_GAUGE,
	 "load average over 5 minutes"},
	{"load.load15", "load_samples", "load15", NULL, NULL, "", METRIC_GAUGE,
	 "load average over 15 minutes"},
	{"load.running", "load_samples", "running", NULL, NULL, "tasks", METRIC_GAUGE,
	 "runnable tasks"},
	{"load.tasks", "load_samples", "tasks", NULL, NULL, "tasks", METRIC_GAUGE,
	 "tasks (threads) that exist"},
};

const struct metric *
metrics_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(metrics_table); i++) {
		if (strcmp(metrics_table[i].name, name) == 0)
			return &metrics_table[i];
	}
	return NULL;
}

size_t
metrics_count(void)
{
	return ARRAY_LEN(metrics_table);
}

const struct metric *
metrics_at(size_t i)
{
	return i < ARRAY_LEN(metrics_table) ? &metrics_table[i] : NULL;
}

const char *
metrics_kind_name(enum metric_kind kind)
{
	switch (kind) {
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_RATE:
		return "rate";
	case METRIC_PERCENT:
		return "percent";
	}
	return "unknown";
}

bool
metrics_is_identifier(const char *s)
{
	size_t i;

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return i <= 63;
}
