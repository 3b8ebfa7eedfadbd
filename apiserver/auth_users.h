/*
 * User management with blocking libpq, for the two moments the event loop is not running: the
 * first admin at start-up, and the `perfwatch-api user add|passwd|del` command line.
 */
#ifndef PERFWATCH_APISERVER_AUTH_USERS_H
#define PERFWATCH_APISERVER_AUTH_USERS_H

#include "common/compat.h"

/*
 * When the database has no user yet, creates `name` as an admin with `password` (from
 * PERFWATCH_ADMIN_PASSWORD), or with a generated one when password is NULL, which is then
 * printed once to stderr. Returns 0 (also when users exist already), or -1 (logged). Blocking;
 * main thread, before the loop starts.
 */
MUST_CHECK int auth_users_bootstrap(const char *conninfo, const char *name, const char *password);
/*
 * Runs `perfwatch-api user add|passwd|del NAME [--admin] [--db …]` (argv[0] is "user"). The
 * password is read from stdin (twice, without echo, on a terminal). Returns the exit status.
 */
int auth_users_cli(int argc, char **argv);

#endif
