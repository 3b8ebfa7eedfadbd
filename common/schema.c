/* Schema version check: compares schema_migrations with the migrations compiled in. */
#include "common/schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/schema_versions.h"

const int schema_versions[] = {SCHEMA_VERSIONS};
const size_t schema_versions_len = ARRAY_LEN(schema_versions);

static bool
schema_has(PGresult *res, int version)
{
	for (int i = 0; i < PQntuples(res); i++) {
		if (atoi(PQgetvalue(res, i, 0)) == version)
			return true;
	}
	return false;
}

int
schema_check(PGconn *conn, char *err, size_t errlen)
{
	PGresult *res;
	size_t len = 0;
	int missing = 0;

	res = PQexec(conn, "SELECT version FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen,
			 "cannot read schema_migrations (%s): run perfwatch-migrate against this "
			 "database first",
			 strtok(PQerrorMessage(conn), "\n"));
		PQclear(res);
		return -1;
	}
	for (size_t i = 0; i < schema_versions_len; i++) {
		if (schema_has(res, schema_versions[i]))
			continue;
		if (missing++ == 0)
			len = (size_t)snprintf(err, errlen, "database schema is behind: migration");
		if (len < errlen)
			len += (size_t)snprintf(err + len, errlen - len, " %03d",
						schema_versions[i]);
	}
	PQclear(res);
	if (missing > 0 && len < errlen)
		snprintf(err + len, errlen - len,
			 " not applied; run perfwatch-migrate (./run.sh does it for you)");
	return missing > 0 ? -1 : 0;
}
