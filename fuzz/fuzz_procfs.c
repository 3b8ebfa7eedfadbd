/*
 * The /proc and /sys parsers of the collector: the first byte picks the parser, the rest is
 * the file's text (as procfile hands it over: len bytes and a NUL after them).
 */
#include <stdbool.h>

#include "collector/perf_caps.h"
#include "collector/sources/cpufreq.h"
#include "collector/sources/diskstats.h"
#include "collector/sources/filesystems.h"
#include "collector/sources/net_dev.h"
#include "collector/sources/net_snmp.h"
#include "collector/sources/pressure.h"
#include "collector/sources/proc_loadavg.h"
#include "collector/sources/proc_meminfo.h"
#include "collector/sources/proc_stat.h"
#include "collector/sources/softirqs.h"
#include "collector/sources/thermal.h"
#include "collector/sources/uptime.h"
#include "collector/sources/vmstat.h"
#include "fuzz/fuzz.h"

#define FUZZ_CAP 8

static void
fuzz_procfs_tables(unsigned sel, const char *t, size_t len)
{
	static const char *const tcp[] = {"ActiveOpens", "PassiveOpens", "RetransSegs", "CurrEstab",
					  "MaxConn"};
	struct diskstats_dev disks[FUZZ_CAP];
	struct filesystems_mount mounts[FUZZ_CAP];
	struct net_dev_if ifs[FUZZ_CAP];
	uint64_t counts[SOFTIRQS_NTYPES * FUZZ_CAP], vals[5];
	bool present[SOFTIRQS_NTYPES], got[5];
	int cpus[FUZZ_CAP];
	size_t n;

	switch (sel) {
	case 0:
		(void)diskstats_parse(t, len, disks, FUZZ_CAP, &n);
		break;
	case 1:
		(void)filesystems_parse(t, len, mounts, FUZZ_CAP, &n);
		break;
	case 2:
		(void)net_dev_parse(t, len, ifs, FUZZ_CAP, &n);
		break;
	case 3:
		(void)net_snmp_parse(t, len, "Tcp", tcp, 5, vals, got);
		break;
	case 4:
		(void)softirqs_parse(t, len, counts, FUZZ_CAP, &n, present);
		break;
	default:
		(void)perf_caps_parse_cpulist(t, cpus, FUZZ_CAP);
		break;
	}
}

static void
fuzz_procfs_values(unsigned sel, const char *t, size_t len)
{
	struct proc_stat_cpu cores[FUZZ_CAP];
	struct proc_stat st = {.cores = cores, .cap = FUZZ_CAP};
	struct proc_meminfo mem;
	struct proc_loadavg load;
	struct pressure_stats psi;
	struct vmstat_stats vm;
	uint64_t khz;
	int64_t millic;
	double up;

	switch (sel) {
	case 6:
		(void)proc_stat_parse(t, len, &st);
		break;
	case 7:
		(void)proc_meminfo_parse(t, len, &mem);
		break;
	case 8:
		(void)proc_loadavg_parse(t, len, &load);
		break;
	case 9:
		(void)pressure_parse(t, len, &psi);
		break;
	case 10:
		(void)vmstat_parse(t, len, &vm);
		break;
	case 11:
		(void)cpufreq_parse(t, len, &khz);
		break;
	case 12:
		(void)thermal_parse(t, len, &millic);
		break;
	default:
		(void)uptime_parse(t, len, &up);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0] % 14;
	text = fuzz_text(data + 1, size - 1);
	if (sel < 6)
		fuzz_procfs_tables(sel, text, size - 1);
	else
		fuzz_procfs_values(sel, text, size - 1);
	free(text);
	return 0;
}
