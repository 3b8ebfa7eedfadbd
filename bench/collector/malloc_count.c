/*
 * LD_PRELOAD shim for bench/collector/measure.sh: counts malloc/calloc/realloc calls by the
 * shared object that called them and prints the counts to stderr at exit.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);

#define MALLOC_COUNT_SLOTS 16

struct malloc_count_slot {
	void *base; /* dli_fbase of the calling object */
	unsigned long long calls;
};

static struct malloc_count_slot malloc_count_slots[MALLOC_COUNT_SLOTS];
static __thread int malloc_count_busy __attribute__((tls_model("initial-exec")));

static void
malloc_count_hit(void *caller)
{
	Dl_info info;

	if (malloc_count_busy)
		return;
	malloc_count_busy = 1;
	if (dladdr(caller, &info) != 0) {
		for (int i = 0; i < MALLOC_COUNT_SLOTS; i++) {
			if (malloc_count_slots[i].base == NULL)
				malloc_count_slots[i].base = info.dli_fbase;
			if (malloc_count_slots[i].base == info.dli_fbase) {
				malloc_count_slots[i].calls++;
				break;
			}
		}
	}
	malloc_count_busy = 0;
}

void *
malloc(size_t size)
{
	malloc_count_hit(__builtin_return_address(0));
	return __libc_malloc(size);
}

void *
calloc(size_t nmemb, size_t size)
{
	malloc_count_hit(__builtin_return_address(0));
	return __libc_calloc(nmemb, size);
}

void *
realloc(void *ptr, size_t size)
{
	malloc_count_hit(__builtin_return_address(0));
	return __libc_realloc(ptr, size);
}

__attribute__((destructor)) static void
malloc_count_report(void)
{
	Dl_info info;

	malloc_count_busy = 1;
	for (int i = 0; i < MALLOC_COUNT_SLOTS && malloc_count_slots[i].base != NULL; i++) {
		const char *name = "?";

		if (dladdr(malloc_count_slots[i].base, &info) != 0 && info.dli_fname != NULL)
			name = info.dli_fname;
		fprintf(stderr, "malloc_count %s %llu\n", name[0] ? name : "(main program)",
			malloc_count_slots[i].calls);
	}
}
