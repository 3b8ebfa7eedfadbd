/*
 * Configuration: the input, split at newlines, is the command line (flags and values) given to
 * conf_load() with a table of every key type.
 */
#include <stdbool.h>
#include <stdio.h>

#include "common/conf.h"
#include "fuzz/fuzz.h"

struct fuzz_conf {
	int i;
	double d;
	char *s;
	bool b;
};

static const struct conf_entry fuzz_conf_table[] = {
	{"int", CONF_INT, offsetof(struct fuzz_conf, i), "1", 1, 65535, "an int"},
	{"double", CONF_DOUBLE, offsetof(struct fuzz_conf, d), "0.5", 0, 1e6, "a double"},
	{"string", CONF_STRING, offsetof(struct fuzz_conf, s), "x", 0, 0, "a string"},
	{"bool", CONF_BOOL, offsetof(struct fuzz_conf, b), "false", 0, 0, "a bool"},
};

#define FUZZ_CONF_MAX_ARGS 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *argv[FUZZ_CONF_MAX_ARGS + 1], err[512];
	char prog[] = "fuzz";
	struct fuzz_conf conf;
	int argc = 1;
	FILE *null;

	argv[0] = prog;
	for (char *p = text; argc < FUZZ_CONF_MAX_ARGS && p != NULL;) {
		argv[argc++] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	memset(&conf, 0, sizeof(conf));
	/* --help prints to stdout: keep the fuzzer's output readable. */
	null = freopen("/dev/null", "w", stdout);
	(void)conf_load(fuzz_conf_table, 4, &conf, argc, argv, "usage", err, sizeof(err));
	conf_free(fuzz_conf_table, 4, &conf);
	(void)null;
	free(text);
	return 0;
}
