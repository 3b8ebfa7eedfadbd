/*
 * The metric catalogue: each public metric name mapped to the table, column and instance column
 * that hold it. SQL is built only from these strings; user input goes in query parameters.
 */
#ifndef PERFWATCH_COMMON_METRICS_H
#define PERFWATCH_COMMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compat.h"

enum metric_kind {
	METRIC_GAUGE,	/* a level sampled at the tick (memory in use, load average) */
	METRIC_RATE,	/* a counter turned into a per-second rate over the tick's real dt */
	METRIC_PERCENT, /* a share of the tick's elapsed time, 0-100 */
};

/*
 * One catalogue row. The name is "<frame section>.<frame key>", so live frames and stored
 * history use the same names. instance_column is NULL when the table has one row per host and
 * tick; instance_total is the instance column's value that the instance "total" stands for
 * (cpu = -1), or NULL when the instance column has no such row.
 */
struct metric {
	const char *name;
	const char *table;
	const char *column;
	const char *instance_column;
	const char *instance_total;
	const char *unit;
	enum metric_kind kind;
	const char *description;
};

/* Returns the catalogue row named `name`, or NULL when there is none. */
const struct metric *metrics_find(const char *name);
/* Returns the number of rows in the catalogue. */
size_t metrics_count(void);
/* Returns row i (i < metrics_count()). */
const struct metric *metrics_at(size_t i);
/* Returns the kind's lower-case name ("gauge", "rate", "percent"). */
const char *metrics_kind_name(enum metric_kind kind);
/* Returns true when s is a plain lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 bytes). */
bool metrics_is_identifier(const char *s);

#endif
