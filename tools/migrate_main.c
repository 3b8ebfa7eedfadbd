/* perfwatch-migrate: connects to the database and applies the pending migrations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/conf.h"
#include "common/log.h"
#include "common/migrate.h"

#define LOG_TAG "migrate"

struct migrate_conf {
	char *db;
	char *migrations_dir;
	char *log_level;
	int wait;
};

static const struct conf_entry migrate_conf_table[] = {
	{"db", CONF_STRING, offsetof(struct migrate_conf, db), "dbname=perfwatch", 0, 0,
	 "libpq connection string of the database to migrate"},
	{"migrations-dir", CONF_STRING, offsetof(struct migrate_conf, migrations_dir),
	 PERFWATCH_MIGRATIONS_DIR, 0, 0, "directory holding the NNN_name.sql files"},
	{"log-level", CONF_STRING, offsetof(struct migrate_conf, log_level), "info", 0, 0,
	 "error, warn, info or debug"},
	{"wait", CONF_INT, offsetof(struct migrate_conf, wait), "0", 0, 3600,
	 "seconds to keep retrying while the database is not accepting connections"},
};

static const char migrate_usage[] =
	"usage: perfwatch-migrate [--db CONNINFO] [--migrations-dir DIR] [--wait SECONDS]\n"
	"Applies every migration not yet recorded in schema_migrations, in order.";

/* Connects, retrying every half second for up to `wait` seconds; NULL after logging. */
static PGconn *
migrate_connect(const char *conninfo, int wait)
{
	const struct timespec half = {0, 500000000L};
	time_t deadline = time(NULL) + wait;
	PGconn *conn;

	for (;;) {
		conn = PQconnectdb(conninfo);
		if (PQstatus(conn) == CONNECTION_OK)
			return conn;
		if (time(NULL) >= deadline) {
			log_error("cannot connect to the database: %.*s",
				  (int)strcspn(PQerrorMessage(conn), "\n"), PQerrorMessage(conn));
			PQfinish(conn);
			return NULL;
		}
		PQfinish(conn);
		nanosleep(&half, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct migrate_conf conf;
	struct migrate_result result;
	enum log_level level;
	PGconn *conn = NULL;
	char err[512];
	int rc, status = EXIT_FAILURE;

	memset(&conf, 0, sizeof(conf));
	rc = conf_load(migrate_conf_table, ARRAY_LEN(migrate_conf_table), &conf, argc, argv,
		       migrate_usage, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "perfwatch-migrate: %s\n", err);
		conf_free(migrate_conf_table, ARRAY_LEN(migrate_conf_table), &conf);
		return rc > 0 ? EXIT_SUCCESS : 2;
	}
	if (log_level_parse(conf.log_level, &level) != 0) {
		fprintf(stderr, "perfwatch-migrate: --log-level: unknown level '%s'\n",
			conf.log_level);
		status = 2;
		goto fail;
	}
	log_set_level(level);
	conn = migrate_connect(conf.db, conf.wait);
	if (conn == NULL || migrate_apply(conn, conf.migrations_dir, &result) != 0)
		goto fail;
	if (result.applied == 0)
		log_info("database already at version %03d: nothing to apply", result.version);
	else
		log_info("applied %d migration(s): database at version %03d", result.applied,
			 result.version);
	status = EXIT_SUCCESS;
fail:
	PQfinish(conn);
	conf_free(migrate_conf_table, ARRAY_LEN(migrate_conf_table), &conf);
	return status;
}
