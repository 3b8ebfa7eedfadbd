/*
 * Gives up the collector's privileges once its perf_event and /proc file descriptors are open:
 * every capability but CAP_DAC_OVERRIDE leaves the effective, permitted, inheritable, ambient
 * and bounding sets, and no_new_privs is set (docs/security.md says why that one stays).
 */
#ifndef PERFWATCH_COLLECTOR_PRIVDROP_H
#define PERFWATCH_COLLECTOR_PRIVDROP_H

#include <stddef.h>

#include "common/compat.h"

/*
 * Drops the capabilities; a process that has none (an unprivileged run) only gets
 * no_new_privs. Returns 0, or -1 with a sentence in err. Call after every source's init.
 */
MUST_CHECK int privdrop_apply(char *err, size_t errlen);

#endif
