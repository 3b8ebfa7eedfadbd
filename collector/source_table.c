/* The source table: adding a source is its own .c/.h under sources/ and one row here. */
#include "collector/source_table.h"

#include "collector/sources/cpufreq.h"
#include "collector/sources/diskstats.h"
#include "collector/sources/filesystems.h"
#include "collector/sources/net_dev.h"
#include "collector/sources/net_snmp.h"
#include "collector/sources/perf.h"
#include "collector/sources/pressure.h"
#include "collector/sources/proc_loadavg.h"
#include "collector/sources/proc_meminfo.h"
#include "collector/sources/proc_stat.h"
#include "collector/sources/softirqs.h"
#include "collector/sources/thermal.h"
#include "collector/sources/uptime.h"
#include "collector/sources/vmstat.h"

const struct source_ops *const source_table[] = {
	&proc_stat_source, &proc_meminfo_source, &proc_loadavg_source, &pressure_source,
	&vmstat_source,	   &softirqs_source,	 &net_dev_source,      &net_snmp_source,
	&diskstats_source, &filesystems_source,	 &cpufreq_source,      &thermal_source,
	&uptime_source,	   &perf_source,
};
const size_t source_table_len = ARRAY_LEN(source_table);
