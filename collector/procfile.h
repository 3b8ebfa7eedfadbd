/*
 * A kept-open /proc or /sys file re-read with pread at offset 0 into a buffer allocated at open,
 * so that sources re-read their files every tick without open/close or malloc.
 */
#ifndef PERFWATCH_COLLECTOR_PROCFILE_H
#define PERFWATCH_COLLECTOR_PROCFILE_H

#include <stddef.h>

#include "common/compat.h"

struct procfile;

/*
 * Opens root/rel (e.g. "/proc" and "stat") read-only and keeps the fd, with a read buffer of
 * `cap` bytes; returns the procfile (free with procfile_free) or NULL with errno set and a
 * sentence in err naming the path when it cannot be opened.
 */
MUST_CHECK struct procfile *procfile_open(const char *root, const char *rel, size_t cap, char *err,
					  size_t errlen);
/*
 * Re-reads the whole file from offset 0; returns 0 with *text pointing at the NUL-terminated
 * contents (owned by pf, valid until the next read) and *len its length, or -1 after logging
 * (rate limited). Reopens the file once when the kept fd fails (ESPIPE, ENODEV after hot-unplug);
 * grows the buffer (the only allocation) when the file has outgrown it.
 */
MUST_CHECK int procfile_read(struct procfile *pf, const char **text, size_t *len);
/* Parses a file's text into out; returns 0, or -1 when the text is not what was expected. */
typedef int (*procfile_parse_fn)(const char *text, size_t len, void *out);
/*
 * procfile_read, then parse(text, len, out): returns 0, or -1 after logging the read failure or
 * "cannot parse <path>" (each rate limited per file).
 */
MUST_CHECK int procfile_read_parse(struct procfile *pf, procfile_parse_fn parse, void *out);
/* Returns the full path the procfile was opened with (owned by pf). */
const char *procfile_path(const struct procfile *pf);
/* Closes the fd and frees pf; procfile_free(NULL) is a no-op. */
void procfile_free(struct procfile *pf);

#endif
