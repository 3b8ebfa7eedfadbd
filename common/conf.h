/*
 * Table-driven configuration: defaults, then PERFWATCH_* environment variables, then
 * command-line flags, merged into one caller-owned struct and validated in one pass.
 */
#ifndef PERFWATCH_COMMON_CONF_H
#define PERFWATCH_COMMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/compat.h"

enum conf_type { CONF_INT, CONF_DOUBLE, CONF_STRING, CONF_BOOL };

/*
 * One configuration key. `name` is the flag (--name) and, upper-cased with '-' as '_', the
 * environment variable PERFWATCH_NAME. CONF_STRING fields are `char *` owned by the struct
 * (free them with conf_free()). min/max bound CONF_INT and CONF_DOUBLE values.
 */
struct conf_entry {
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *default_value;
	double min;
	double max;
	const char *help;
};

/*
 * Fills `dst` from the table: defaults, environment, then argv. Returns 0, 1 when --help was
 * given (help already printed to stdout), or -1 with a message in err on a bad value or unknown
 * flag. `dst` must be zeroed before the first call.
 */
MUST_CHECK int conf_load(const struct conf_entry *table, size_t n, void *dst, int argc, char **argv,
			 const char *usage, char *err, size_t errlen);
/* Sets one key from its text value; returns 0 or -1 with a message in err. */
MUST_CHECK int conf_set(const struct conf_entry *e, void *dst, const char *value, char *err,
			size_t errlen);
/* Prints usage and every key with its environment variable, default and help. */
void conf_print_help(const struct conf_entry *table, size_t n, const char *usage, FILE *out);
/* Frees the strings conf_load() allocated in `dst`. */
void conf_free(const struct conf_entry *table, size_t n, void *dst);

#endif
