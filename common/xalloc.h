/* Allocation wrappers that abort on out-of-memory, so callers never check for NULL. */
#ifndef PERFWATCH_COMMON_XALLOC_H
#define PERFWATCH_COMMON_XALLOC_H

#include <stddef.h>

/* Each returns memory the caller frees with free(); each aborts when memory is exhausted. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);

#endif
