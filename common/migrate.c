/*
 * Migration runner: scans a directory for NNN_name.sql, takes an advisory lock and applies the
 * versions schema_migrations lacks, each file and its schema_migrations row in one transaction.
 */
#include "common/migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "migrate"

/* The advisory lock every runner takes (pg_advisory_lock keys are bigint). */
#define MIGRATE_LOCK_SQL   "SELECT pg_advisory_lock(hashtext('perfwatch-migrate'))"
#define MIGRATE_UNLOCK_SQL "SELECT pg_advisory_unlock(hashtext('perfwatch-migrate'))"
#define MIGRATE_TABLE_SQL                                                                          \
	"CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "              \
	"name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"

/* One migration file found in the directory. */
struct migrate_file {
	int version;
	char *name;
};

/* The migration files of a directory, sorted by version. */
struct migrate_list {
	struct migrate_file *files;
	size_t len;
};

int
migrate_parse_name(const char *name, int *version)
{
	const char *p = name;
	size_t len = strlen(name);
	long v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > 999999)
			return -1;
	}
	/* Digits, '_', a non-empty description, ".sql". */
	if (*p != '_' || len < 5 || strcmp(name + len - 4, ".sql") != 0 ||
	    (size_t)(p - name) + 1 >= len - 4)
		return -1;
	if (v == 0)
		return -1;
	*version = (int)v;
	return 0;
}

static int
migrate_file_cmp(const void *a, const void *b)
{
	const struct migrate_file *fa = a, *fb = b;

	return (fa->version > fb->version) - (fa->version < fb->version);
}

static void
migrate_list_free(struct migrate_list *list)
{
	for (size_t i = 0; i < list->len; i++)
		free(list->files[i].name);
	free(list->files);
	list->files = NULL;
	list->len = 0;
}

static int
migrate_list_scan(const char *dir, struct migrate_list *list)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int version;

	d = opendir(dir);
	if (d == NULL) {
		log_error("cannot open migrations directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (migrate_parse_name(de->d_name, &version) != 0)
			continue;
		if (list->len == cap) {
			cap = cap ? cap * 2 : 16;
			list->files = xrealloc(list->files, cap * sizeof(*list->files));
		}
		list->files[list->len].version = version;
		list->files[list->len++].name = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(list->files, list->len, sizeof(*list->files), migrate_file_cmp);
	for (size_t i = 1; i < list->len; i++) {
		if (list->files[i].version == list->files[i - 1].version) {
			log_error("%s and %s in %s have the same version", list->files[i - 1].name,
				  list->files[i].name, dir);
			return -1;
		}
	}
	return 0;
}

static char *
migrate_read_file(const char *dir, const char *name)
{
	char path[4096];
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		buf = xrealloc(buf, len + 65536 + 1);
		n = fread(buf + len, 1, 65536, f);
		len += n;
	} while (n == 65536);
	if (ferror(f)) {
		log_error("cannot read %s", path);
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

/* Returns the 1-based line of the 1-based character position `pos` in `sql` (UTF-8). */
static int
migrate_line_of(const char *sql, long pos)
{
	int line = 1;

	for (const char *p = sql; *p != '\0' && pos > 1; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80)
			pos--;
		if (*p == '\n')
			line++;
	}
	return line;
}

static void
migrate_log_failure(const PGresult *res, const PGconn *conn, const char *name, const char *sql)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg == NULL)
		msg = PQerrorMessage(conn);
	if (pos != NULL && sql != NULL)
		log_error("%s: line %d: %s", name, migrate_line_of(sql, atol(pos)), msg);
	else
		log_error("%s: %s%s%s", name, msg, ctx ? " -- " : "", ctx ? ctx : "");
}

/* Runs a statement that returns nothing or rows we do not need; 0 or -1 (logged). */
static int
migrate_exec(PGconn *conn, const char *sql, const char *what)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		migrate_log_failure(res, conn, what, NULL);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static void
migrate_rollback(PGconn *conn)
{
	PGresult *res = PQexec(conn, "ROLLBACK");

	PQclear(res);
}

/* Applies one file and records it, in one transaction; 0 or -1 (logged, rolled back). */
static int
migrate_one(PGconn *conn, const char *dir, const struct migrate_file *file)
{
	const char *params[2];
	char version[16];
	PGresult *res = NULL;
	char *sql;

	sql = migrate_read_file(dir, file->name);
	if (sql == NULL)
		return -1;
	if (migrate_exec(conn, "BEGIN", file->name) != 0)
		goto fail;
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		migrate_log_failure(res, conn, file->name, sql);
		goto fail;
	}
	PQclear(res);
	snprintf(version, sizeof(version), "%d", file->version);
	params[0] = version;
	params[1] = file->name;
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
			   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		migrate_log_failure(res, conn, file->name, NULL);
		goto fail;
	}
	PQclear(res);
	res = NULL;
	if (migrate_exec(conn, "COMMIT", file->name) != 0)
		goto fail;
	free(sql);
	log_info("applied %s", file->name);
	return 0;
fail:
	PQclear(res);
	migrate_rollback(conn);
	free(sql);
	return -1;
}

/* Fetches the recorded versions in ascending order; the result is the caller's to PQclear. */
static PGresult *
migrate_recorded(PGconn *conn)
{
	PGresult *res = PQexec(conn, "SELECT version FROM schema_migrations ORDER BY version");

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		migrate_log_failure(res, conn, "schema_migrations", NULL);
		PQclear(res);
		return NULL;
	}
	return res;
}

static bool
migrate_is_recorded(const PGresult *res, int version)
{
	for (int i = 0; i < PQntuples(res); i++) {
		if (atoi(PQgetvalue(res, i, 0)) == version)
			return true;
	}
	return false;
}

/* Warns about recorded versions this directory does not have (a newer schema than the files). */
static void
migrate_warn_unknown(const PGresult *res, const struct migrate_list *list, const char *dir)
{
	for (int i = 0; i < PQntuples(res); i++) {
		int v = atoi(PQgetvalue(res, i, 0));
		bool known = false;

		for (size_t j = 0; j < list->len && !known; j++)
			known = list->files[j].version == v;
		if (!known)
			log_warn("schema_migrations has version %03d, which %s does not have", v,
				 dir);
	}
}

static int
migrate_pending(PGconn *conn, const char *dir, const struct migrate_list *list,
		struct migrate_result *out)
{
	PGresult *res = migrate_recorded(conn);

	if (res == NULL)
		return -1;
	migrate_warn_unknown(res, list, dir);
	for (size_t i = 0; i < list->len; i++) {
		if (migrate_is_recorded(res, list->files[i].version))
			continue;
		if (migrate_one(conn, dir, &list->files[i]) != 0) {
			PQclear(res);
			return -1;
		}
		out->applied++;
	}
	PQclear(res);
	res = migrate_recorded(conn);
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0)
		out->version = atoi(PQgetvalue(res, PQntuples(res) - 1, 0));
	PQclear(res);
	return 0;
}

/* Server notices ("relation already exists, skipping") are only interesting when debugging. */
static void
migrate_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("server: %.*s", (int)strcspn(message, "\n"), message);
}

int
migrate_apply(PGconn *conn, const char *dir, struct migrate_result *out)
{
	struct migrate_list list = {NULL, 0};
	PQnoticeProcessor old;
	bool locked = false;
	int rc = -1;

	out->applied = 0;
	out->version = 0;
	old = PQsetNoticeProcessor(conn, migrate_notice, NULL);
	if (migrate_list_scan(dir, &list) != 0)
		goto fail;
	if (list.len == 0) {
		log_error("no NNN_name.sql migrations in %s", dir);
		goto fail;
	}
	if (migrate_exec(conn, MIGRATE_LOCK_SQL, "advisory lock") != 0)
		goto fail;
	locked = true;
	if (migrate_exec(conn, MIGRATE_TABLE_SQL, "schema_migrations") != 0)
		goto fail;
	rc = migrate_pending(conn, dir, &list, out);
fail:
	if (locked && migrate_exec(conn, MIGRATE_UNLOCK_SQL, "advisory unlock") != 0)
		rc = -1;
	PQsetNoticeProcessor(conn, old, NULL);
	migrate_list_free(&list);
	return rc;
}
