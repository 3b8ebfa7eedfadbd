/* Migration runner: applies migrations/NNN_name.sql files in order, one transaction each. */
#ifndef PERFWATCH_COMMON_MIGRATE_H
#define PERFWATCH_COMMON_MIGRATE_H

#include <libpq-fe.h>

#include "common/compat.h"

/* What one migrate_apply() call did. */
struct migrate_result {
	int applied; /* migrations applied by this call */
	int version; /* highest version recorded in schema_migrations afterwards (0: none) */
};

/*
 * Parses a migration file name "NNN_name.sql" (digits, '_', at least one more character,
 * ".sql"); returns 0 with the version in *version, or -1 when the name is not a migration.
 */
MUST_CHECK int migrate_parse_name(const char *name, int *version);

/*
 * Applies, in numeric order, every migration in `dir` whose version is not yet recorded in
 * schema_migrations, each in its own transaction together with its schema_migrations row, while
 * holding a session advisory lock so that concurrent runners wait for each other. Returns 0 with
 * *out filled, or -1 after logging the failing file, line and server message (nothing of the
 * failing migration is kept). Blocking; the caller keeps ownership of conn.
 */
MUST_CHECK int migrate_apply(PGconn *conn, const char *dir, struct migrate_result *out);

#endif
