/* Schema version check shared by both services: is every migration this build knows applied? */
#ifndef PERFWATCH_COMMON_SCHEMA_H
#define PERFWATCH_COMMON_SCHEMA_H

#include <stddef.h>

#include <libpq-fe.h>

#include "common/compat.h"

/* The migrations this binary was built with (generated from migrations/NNN_*.sql). */
extern const int schema_versions[];
extern const size_t schema_versions_len;

/*
 * Returns 0 when every known migration is recorded in schema_migrations, or -1 with a sentence
 * in err naming the missing versions and the command to run (perfwatch-migrate). Blocking.
 */
MUST_CHECK int schema_check(PGconn *conn, char *err, size_t errlen);

#endif
