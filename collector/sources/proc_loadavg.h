/* load source: 1/5/15-minute load averages and running/total tasks from /proc/loadavg. */
#ifndef PERFWATCH_COLLECTOR_SOURCES_PROC_LOADAVG_H
#define PERFWATCH_COLLECTOR_SOURCES_PROC_LOADAVG_H

#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* A parsed /proc/loadavg. */
struct proc_loadavg {
	double load1;
	double load5;
	double load15;
	uint64_t running; /* runnable tasks (kernel scheduling entities) */
	uint64_t tasks;	  /* all tasks */
};

/* Parses /proc/loadavg text[0, len) ("0.12 0.30 0.20 1/312 4242"); returns 0 or -1. */
MUST_CHECK int proc_loadavg_parse(const char *text, size_t len, struct proc_loadavg *out);

/* The "load" source for the collector's table. */
extern const struct source_ops proc_loadavg_source;

#endif
