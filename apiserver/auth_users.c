/*
 * perfwatch-api's user commands and the first admin, over a blocking connection (the event loop
 * is not running). The database hashes every password (migration 005).
 */
#include "apiserver/auth_users.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "apiserver/auth.h"
#include "common/conf.h"
#include "common/log.h"

#define LOG_TAG "auth_users"

#define AUTH_USERS_GENERATED_LEN 24

/* The command line's own options. */
struct auth_users_conf {
	char *db;
	bool admin;
	char *log_level;
};

static const struct conf_entry auth_users_table[] = {
	{"db", CONF_STRING, offsetof(struct auth_users_conf, db),
	 "dbname=perfwatch user=perfwatch_api", 0, 0,
	 "libpq connection string (role perfwatch_api)"},
	{"admin", CONF_BOOL, offsetof(struct auth_users_conf, admin), "false", 0, 0,
	 "user add: make the user an administrator"},
	{"log-level", CONF_STRING, offsetof(struct auth_users_conf, log_level), "warn", 0, 0,
	 "error, warn, info or debug"},
};

static const char auth_users_usage[] =
	"usage: perfwatch-api user add|passwd|del NAME [--admin] [--db CONNINFO]\n\n"
	"Adds a user, sets a user's password (ending their sessions and API tokens) or deletes a "
	"user.\nThe password is read from standard input (asked twice on a terminal), "
	"10 to 72 bytes.";

static PGconn *
auth_users_connect(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK) {
		log_error("cannot connect to the database (%.*s)",
			  (int)strcspn(PQerrorMessage(conn), "\n"), PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Runs one statement returning one value; copies it into out. Returns 0 or -1 (logged). */
static int
auth_users_exec(PGconn *conn, const char *sql, int n, const char *const *values, char *out,
		size_t len)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	int rc = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_error("%.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
			  PQresultErrorMessage(res));
		goto out;
	}
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	rc = 0;
out:
	PQclear(res);
	return rc;
}

int
auth_users_bootstrap(const char *conninfo, const char *name, const char *password)
{
	char generated[AUTH_USERS_GENERATED_LEN + 1], created[8];
	const char *values[2] = {name, password};
	PGconn *conn;
	int rc = -1;

	if (!auth_name_ok(name)) {
		log_error("--admin-user '%s' is not a valid user name", name);
		return -1;
	}
	if (password == NULL) {
		if (auth_password_new(generated, sizeof(generated)) != 0)
			return -1;
		values[1] = generated;
	} else if (!auth_password_ok(password)) {
		log_error("PERFWATCH_ADMIN_PASSWORD must be %d to %d bytes without control "
			  "characters",
			  AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return -1;
	}
	if ((conn = auth_users_connect(conninfo)) == NULL)
		return -1;
	if (auth_users_exec(conn, "SELECT perfwatch_auth.bootstrap($1, $2)", 2, values, created,
			    sizeof(created)) != 0)
		goto out;
	if (created[0] == 't' && password == NULL)
		/* The one time this password is shown: run.sh and docker logs pick the line up. */
		fprintf(stderr,
			"perfwatch-api: first login: user '%s', password '%s' (shown once; change "
			"it "
			"with: perfwatch-api user passwd %s)\n",
			name, generated, name);
	else if (created[0] == 't')
		log_info("first login: user '%s' with the password in PERFWATCH_ADMIN_PASSWORD",
			 name);
	else if (password != NULL)
		log_warn("PERFWATCH_ADMIN_PASSWORD ignored: users exist already (change a password "
			 "with: perfwatch-api user passwd NAME)");
	else
		log_info("login: users exist already (reset a password with: perfwatch-api user "
			 "passwd NAME)");
	rc = 0;
out:
	OPENSSL_cleanse(generated, sizeof(generated));
	PQfinish(conn);
	return rc;
}

/* Reads one line of at most len - 1 bytes (without its newline); false on EOF or overflow. */
static bool
auth_users_read_line(const char *prompt, char *buf, size_t len)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	bool ok;
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)len, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return false;
	n = strcspn(buf, "\n");
	if (buf[n] != '\n' && n + 1 >= len && !feof(stdin))
		return false;
	buf[n] = '\0';
	return true;
}

static int
auth_users_password(char *pw, size_t len)
{
	char again[AUTH_PASSWORD_MAX + 2];
	int rc = -1;

	if (!auth_users_read_line("password: ", pw, len) || !auth_password_ok(pw)) {
		fprintf(stderr, "perfwatch-api: the password must be one line of %d to %d bytes\n",
			AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		goto out;
	}
	if (isatty(STDIN_FILENO) &&
	    (!auth_users_read_line("again: ", again, sizeof(again)) || strcmp(again, pw) != 0)) {
		fprintf(stderr, "perfwatch-api: the passwords differ\n");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

static int
auth_users_run(const char *cmd, const char *name, const struct auth_users_conf *conf)
{
	char pw[AUTH_PASSWORD_MAX + 2] = "", out[16];
	const char *values[3] = {name, pw, conf->admin ? "true" : "false"};
	const char *sql;
	PGconn *conn = NULL;
	int rc = 1, n = 2;

	if (strcmp(cmd, "add") == 0) {
		sql = "SELECT perfwatch_auth.user_add($1, $2, $3::boolean)";
		n = 3;
	} else if (strcmp(cmd, "passwd") == 0) {
		sql = "SELECT perfwatch_auth.user_passwd($1, $2)";
	} else {
		sql = "SELECT perfwatch_auth.user_del($1)";
		n = 1;
	}
	if (n > 1 && auth_users_password(pw, sizeof(pw)) != 0)
		goto out;
	if ((conn = auth_users_connect(conf->db)) == NULL ||
	    auth_users_exec(conn, sql, n, values, out, sizeof(out)) != 0)
		goto out;
	if (out[0] == 'f') {
		fprintf(stderr, "perfwatch-api: no user '%s'\n", name);
		goto out;
	}
	fprintf(stderr, "perfwatch-api: user '%s': %s done\n", name, cmd);
	rc = 0;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	PQfinish(conn);
	return rc;
}

int
auth_users_cli(int argc, char **argv)
{
	struct auth_users_conf conf;
	enum log_level level;
	char err[512];
	int rc;

	if (argc < 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "passwd") != 0 &&
			 strcmp(argv[1], "del") != 0)) {
		fprintf(stderr, "%s\n", auth_users_usage);
		return 2;
	}
	if (!auth_name_ok(argv[2])) {
		fprintf(stderr,
			"perfwatch-api: '%s' is not a valid user name (1 to %d letters, "
			"digits or _.@-)\n",
			argv[2], AUTH_NAME_MAX);
		return 2;
	}
	memset(&conf, 0, sizeof(conf));
	/* conf_load() skips its argv[0]: here that is the user name. */
	rc = conf_load(auth_users_table, ARRAY_LEN(auth_users_table), &conf, argc - 2, argv + 2,
		       auth_users_usage, err, sizeof(err));
	if (rc == 0 && log_level_parse(conf.log_level, &level) == 0)
		log_set_level(level);
	if (rc < 0)
		fprintf(stderr, "perfwatch-api: %s\n", err);
	if (rc == 0)
		rc = auth_users_run(argv[1], argv[2], &conf);
	else
		rc = rc > 0 ? 0 : 2;
	conf_free(auth_users_table, ARRAY_LEN(auth_users_table), &conf);
	return rc;
}
