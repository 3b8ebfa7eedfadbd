/* The source table: adding a source is its own .c/.h under sources/ and one row here. */
#include "collector/source_table.h"

#include "collector/sources/proc_loadavg.h"
#include "collector/sources/proc_meminfo.h"
#include "collector/sources/proc_stat.h"

const struct source_ops *const source_table[] = {
	&proc_stat_source,
	&proc_meminfo_source,
	&proc_loadavg_source,
};
const size_t source_table_len = ARRAY_LEN(source_table);
