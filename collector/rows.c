/* A growable array of rows that a row parser fills from a file's text (see rows.h). */
#include "collector/rows.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/xalloc.h"

void
rows_init(struct rows *r, rows_parse_fn parse, size_t size, size_t cap)
{
	r->parse = parse;
	r->size = size;
	r->cap = cap > 0 ? cap : 1;
	r->v = xcalloc(r->cap, size);
	r->n = 0;
}

void
rows_free(struct rows *r)
{
	free(r->v);
	r->v = NULL;
	r->cap = 0;
	r->n = 0;
}

int
rows_parse(const char *text, size_t len, void *out)
{
	struct rows *r = out;
	size_t n;

	r->n = 0;
	for (;;) {
		if (r->parse(text, len, r->v, r->cap, &n) != 0)
			return -1;
		if (n <= r->cap)
			break;
		if (n > SIZE_MAX / 2 / r->size)
			return -1;
		r->cap = n * 2;
		r->v = xrealloc(r->v, r->cap * r->size);
	}
	r->n = n;
	return 0;
}
