/*
 * Length-bounded scanning of procfs text for the pure parsers: numbers, words and lines,
 * without scanf and without relying on a terminating NUL.
 */
#ifndef PERFWATCH_COLLECTOR_SCAN_H
#define PERFWATCH_COLLECTOR_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/* A cursor over [p, end). */
struct scan {
	const char *p;
	const char *end;
};

/* Returns a cursor over text[0, len). */
struct scan scan_init(const char *text, size_t len);
/* Returns true when the cursor is at the end of its text. */
bool scan_eof(const struct scan *s);
/* Skips spaces and tabs (not newlines). */
void scan_blanks(struct scan *s);
/* Moves past the next newline (or to the end); returns false when already at the end. */
bool scan_next_line(struct scan *s);
/* Returns true when the cursor is at a newline or at the end. */
bool scan_eol(const struct scan *s);
/*
 * Skips blanks then reads a run of characters up to a blank, newline or `stop` character (0 for
 * none); sets *word and *len to it (not NUL-terminated); returns false when the run is empty.
 */
MUST_CHECK bool scan_word(struct scan *s, char stop, const char **word, size_t *len);
/* Skips blanks then reads an unsigned decimal; returns false (cursor unchanged) when none. */
MUST_CHECK bool scan_u64(struct scan *s, uint64_t *out);
/* Skips blanks then reads a non-negative decimal such as "0.12"; returns false when none. */
MUST_CHECK bool scan_decimal(struct scan *s, double *out);
/* Consumes `c` when it is the next character; returns whether it did. */
bool scan_char(struct scan *s, char c);
/* Returns true when word[0, len) equals the NUL-terminated `lit`. */
bool scan_word_is(const char *word, size_t len, const char *lit);

#endif
