/* Table-driven configuration: one loop over the table for defaults, environment and flags. */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static void
conf_env_name(const char *name, char *buf, size_t len)
{
	size_t i = 0;
	int n = snprintf(buf, len, "PERFWATCH_");

	for (i = (size_t)n; *name != '\0' && i + 1 < len; name++, i++)
		buf[i] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	buf[i] = '\0';
}

static int
conf_set_number(const struct conf_entry *e, void *field, const char *value, char *err,
		size_t errlen)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !isfinite(d)) {
		snprintf(err, errlen, "--%s: '%s' is not a number", e->name, value);
		return -1;
	}
	/* The range first: casting a double beyond long's range is undefined (found by fuzz_conf).
	 */
	if (d < e->min || d > e->max) {
		snprintf(err, errlen, "--%s: %s is out of range [%g, %g]", e->name, value, e->min,
			 e->max);
		return -1;
	}
	if (e->type == CONF_INT && d != (double)(long)d) {
		snprintf(err, errlen, "--%s: '%s' is not a whole number", e->name, value);
		return -1;
	}
	if (e->type == CONF_INT)
		*(int *)field = (int)d;
	else
		*(double *)field = d;
	return 0;
}

int
conf_set(const struct conf_entry *e, void *dst, const char *value, char *err, size_t errlen)
{
	void *field = (char *)dst + e->offset;
	char **sp;

	switch (e->type) {
	case CONF_INT:
	case CONF_DOUBLE:
		return conf_set_number(e, field, value, err, errlen);
	case CONF_STRING:
		sp = field;
		free(*sp);
		*sp = xstrdup(value);
		return 0;
	case CONF_BOOL:
		if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "on") == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 ||
		    strcmp(value, "no") == 0 || strcmp(value, "off") == 0) {
			*(bool *)field = false;
			return 0;
		}
		snprintf(err, errlen, "--%s: '%s' is not a boolean", e->name, value);
		return -1;
	}
	snprintf(err, errlen, "--%s: unknown type", e->name);
	return -1;
}

static const struct conf_entry *
conf_find(const struct conf_entry *table, size_t n, const char *name, size_t namelen)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(table[i].name) == namelen && strncmp(table[i].name, name, namelen) == 0)
			return &table[i];
	}
	return NULL;
}

static int
conf_load_env(const struct conf_entry *table, size_t n, void *dst, char *err, size_t errlen)
{
	char envname[128];
	const char *value;

	for (size_t i = 0; i < n; i++) {
		conf_env_name(table[i].name, envname, sizeof(envname));
		value = getenv(envname);
		if (value != NULL && conf_set(&table[i], dst, value, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
conf_load_args(const struct conf_entry *table, size_t n, void *dst, int argc, char **argv,
	       char *err, size_t errlen)
{
	const struct conf_entry *e;
	const char *arg, *eq, *value;

	for (int i = 1; i < argc; i++) {
		arg = argv[i];
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s' (see --help)", arg);
			return -1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		e = conf_find(table, n, arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (e == NULL) {
			snprintf(err, errlen, "unknown option '%s' (see --help)", argv[i]);
			return -1;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (e->type == CONF_BOOL)
			value = "true";
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			snprintf(err, errlen, "option '--%s' needs a value", e->name);
			return -1;
		}
		if (conf_set(e, dst, value, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
conf_load(const struct conf_entry *table, size_t n, void *dst, int argc, char **argv,
	  const char *usage, char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			conf_print_help(table, n, usage, stdout);
			return 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (table[i].default_value != NULL &&
		    conf_set(&table[i], dst, table[i].default_value, err, errlen) != 0)
			return -1;
	}
	if (conf_load_env(table, n, dst, err, errlen) != 0)
		return -1;
	return conf_load_args(table, n, dst, argc, argv, err, errlen);
}

void
conf_print_help(const struct conf_entry *table, size_t n, const char *usage, FILE *out)
{
	char envname[128];

	fprintf(out, "%s\n\nOptions (each also read from its environment variable):\n", usage);
	for (size_t i = 0; i < n; i++) {
		conf_env_name(table[i].name, envname, sizeof(envname));
		fprintf(out, "  --%-22s %s\n  %-24s   env %s, default '%s'\n", table[i].name,
			table[i].help, "", envname,
			table[i].default_value ? table[i].default_value : "");
	}
}

void
conf_free(const struct conf_entry *table, size_t n, void *dst)
{
	for (size_t i = 0; i < n; i++) {
		if (table[i].type == CONF_STRING) {
			char **sp = (char **)((char *)dst + table[i].offset);
			free(*sp);
			*sp = NULL;
		}
	}
}
