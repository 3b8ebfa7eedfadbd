/* Shared by the libFuzzer targets: the input as an exact-size, NUL-terminated heap copy. */
#ifndef PERFWATCH_FUZZ_FUZZ_H
#define PERFWATCH_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point (defined by each target). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns a malloc'd copy of data[0, size) followed by a NUL (caller frees). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
