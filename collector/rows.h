/*
 * A growable array of parsed rows kept by a source between ticks (devices, interfaces, mounts):
 * a row parser fills it from a file's text, and it grows — its only allocation — when the text
 * has more rows than it holds, so the steady state allocates nothing.
 */
#ifndef PERFWATCH_COLLECTOR_ROWS_H
#define PERFWATCH_COLLECTOR_ROWS_H

#include <stddef.h>

#include "common/compat.h"

/*
 * Fills at most cap rows of `rows` from text and sets *n to the number of rows the text holds
 * (more than cap when the array is too small); returns 0, or -1 when the text cannot be parsed.
 */
typedef int (*rows_parse_fn)(const char *text, size_t len, void *rows, size_t cap, size_t *n);

struct rows {
	rows_parse_fn parse;
	size_t size; /* bytes per row */
	void *v;     /* cap rows, owned */
	size_t cap;
	size_t n; /* rows of the last successful parse */
};

/* Allocates room for cap rows of size bytes, filled by parse. */
void rows_init(struct rows *r, rows_parse_fn parse, size_t size, size_t cap);
/* Frees the rows; the struct may be initialised again. */
void rows_free(struct rows *r);
/*
 * Parses text into `out` (a struct rows), growing it until every row fits; returns 0 with r->n
 * set, or -1 when the parser fails (r->n is then 0). A procfile_parse_fn.
 */
MUST_CHECK int rows_parse(const char *text, size_t len, void *out);

#endif
