/*
 * The collector's configuration: one struct and one table (docs/design.md lists the keys).
 * To add a key, add a field here and a row in collector_conf.c's table.
 */
#ifndef PERFWATCH_COLLECTOR_COLLECTOR_CONF_H
#define PERFWATCH_COLLECTOR_COLLECTOR_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compat.h"
#include "common/conf.h"
#include "common/log.h"

struct collector_conf {
	char *db;	 /* libpq conninfo */
	double interval; /* seconds between samples */
	char *procfs;	 /* root of procfs, "/proc" unless a host's is mounted elsewhere */
	char *sysfs;	 /* root of sysfs */
	char *hostname;	 /* host name written in frames; resolved from gethostname when empty */
	char *log_level; /* error, warn, info or debug */
	enum log_level level;	 /* log_level parsed by collector_conf_load */
	char *perf_replay;	 /* counter trace replayed instead of perf_event; "" = live */
	bool perf_counters;	 /* false: no perf_event counter is opened (metrics turned_off) */
	double perf_nominal_mhz; /* nominal (TSC) MHz for GHz from ref-cycles; 0 = discover */
	double perf_peak_gbs;	 /* peak memory bandwidth for utilisation; 0 = unknown */
	char *disk_exclude;	 /* comma-separated device name prefixes the disk source skips */
	char *spool_dir;	 /* on-disk spool while the database is away; "" = the default */
	int spool_max_mb;	 /* bound of the spool in MiB; 0 = no spool (memory backlog only) */
	double spool_replay_rate; /* spooled frames per second written once the database is back */
};

/* The table behind --help, PERFWATCH_* and the flags. */
extern const struct conf_entry collector_conf_table[];
extern const size_t collector_conf_table_len;

/*
 * Fills a zeroed conf from defaults, environment and argv and validates it; returns 0, 1 when
 * --help was printed, or -1 with a message in err. Free with collector_conf_free.
 */
MUST_CHECK int collector_conf_load(struct collector_conf *conf, int argc, char **argv, char *err,
				   size_t errlen);
/* Frees the strings in conf. */
void collector_conf_free(struct collector_conf *conf);

#endif
