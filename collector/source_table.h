/* The table of collector sources, in frame order (collector/source_table.c). */
#ifndef PERFWATCH_COLLECTOR_SOURCE_TABLE_H
#define PERFWATCH_COLLECTOR_SOURCE_TABLE_H

#include <stddef.h>

#include "collector/source.h"

/* Every source the collector knows; each is initialised once and sampled every tick. */
extern const struct source_ops *const source_table[];
extern const size_t source_table_len;

#endif
