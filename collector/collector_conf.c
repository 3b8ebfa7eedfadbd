/* The collector's configuration table, loading and validation. */
#include "collector/collector_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

#define F(field) offsetof(struct collector_conf, field)

const struct conf_entry collector_conf_table[] = {
	{"db", CONF_STRING, F(db), "dbname=perfwatch", 0, 0,
	 "libpq connection string of the PerfWatch database"},
	{"interval", CONF_DOUBLE, F(interval), "1", 0.1, 3600, "seconds between samples"},
	{"procfs", CONF_STRING, F(procfs), "/proc", 0, 0,
	 "where procfs is mounted (a host's /proc inside a container)"},
	{"sysfs", CONF_STRING, F(sysfs), "/sys", 0, 0, "where sysfs is mounted"},
	{"hostname", CONF_STRING, F(hostname), "", 0, 0,
	 "host name written in every frame (empty: this machine's host name)"},
	{"log-level", CONF_STRING, F(log_level), "info", 0, 0, "error, warn, info or debug"},
	{"perf-counters", CONF_BOOL, F(perf_counters), "on", 0, 0,
	 "count the hardware and software perf_event counters (off: open none and leave the PMU "
	 "to other tools such as perf; the hardware metrics then say turned_off)"},
	{"perf-replay", CONF_STRING, F(perf_replay), "", 0, 0,
	 "replay this counter trace file instead of reading perf_event (tests, demos)"},
	{"perf-nominal-mhz", CONF_DOUBLE, F(perf_nominal_mhz), "0", 0, 100000,
	 "nominal CPU MHz for the frequency from ref-cycles (0: from cpufreq or the model name)"},
	{"perf-peak-gbs", CONF_DOUBLE, F(perf_peak_gbs), "0", 0, 100000,
	 "peak memory bandwidth in GB/s for the utilisation percentage (0: unknown)"},
	{"disk-exclude", CONF_STRING, F(disk_exclude), "loop,ram", 0, 0,
	 "comma-separated block device name prefixes left out of the disk metrics (partitions "
	 "always are)"},
	{"spool-dir", CONF_STRING, F(spool_dir), "", 0, 0,
	 "directory of the on-disk spool that holds frames while the database is unreachable "
	 "(empty: $PERFWATCH_STATE_DIR/spool, else /var/lib/perfwatch/spool as root, else "
	 "~/.local/state/perfwatch/spool)"},
	{"spool-max-mb", CONF_INT, F(spool_max_mb), "256", 0, 1048576,
	 "MiB the spool may use; past it the oldest frames are dropped and counted (0: no spool, "
	 "frames wait in memory only)"},
	{"spool-replay-rate", CONF_DOUBLE, F(spool_replay_rate), "50", 1, 100000,
	 "spooled frames per second written back once the database is reachable again"},
};
const size_t collector_conf_table_len = ARRAY_LEN(collector_conf_table);

static const char collector_conf_usage[] =
	"usage: perfwatch-collector [--option value]...\n"
	"Samples /proc and /sys every interval and writes one frame per tick to PostgreSQL.";

static int
collector_conf_validate(struct collector_conf *conf, char *err, size_t errlen)
{
	char host[256];

	if (log_level_parse(conf->log_level, &conf->level) != 0) {
		snprintf(err, errlen, "--log-level: '%s' is not error, warn, info or debug",
			 conf->log_level);
		return -1;
	}
	if (conf->procfs[0] == '\0' || conf->sysfs[0] == '\0') {
		snprintf(err, errlen, "--procfs and --sysfs must not be empty");
		return -1;
	}
	if (conf->hostname[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0) {
			snprintf(err, errlen, "cannot get the host name: set --hostname");
			return -1;
		}
		host[sizeof(host) - 1] = '\0';
		free(conf->hostname);
		conf->hostname = xstrdup(host);
	}
	if (strlen(conf->hostname) > 255) {
		snprintf(err, errlen, "--hostname is longer than 255 bytes");
		return -1;
	}
	return 0;
}

int
collector_conf_load(struct collector_conf *conf, int argc, char **argv, char *err, size_t errlen)
{
	int rc = conf_load(collector_conf_table, collector_conf_table_len, conf, argc, argv,
			   collector_conf_usage, err, errlen);

	if (rc != 0)
		return rc;
	return collector_conf_validate(conf, err, errlen);
}

void
collector_conf_free(struct collector_conf *conf)
{
	conf_free(collector_conf_table, collector_conf_table_len, conf);
}
