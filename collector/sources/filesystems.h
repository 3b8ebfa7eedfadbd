/*
 * Space and inodes of every real mounted filesystem (pseudo filesystems such as proc, sysfs,
 * tmpfs or cgroup left out), from the mount table and statvfs(3).
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_FILESYSTEMS_H
#define PERFWATCH_COLLECTOR_SOURCES_FILESYSTEMS_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/source.h"
#include "common/compat.h"

/* One mount table line, with the kernel's octal escapes (\040 for a space) decoded. */
struct filesystems_mount {
	char dev[128];
	char mnt[512];
	char type[32];
};

/* Returns true when a filesystem type holds no user data on a device (proc, tmpfs, ...). */
bool filesystems_is_pseudo(const char *type);

/*
 * Parses mount table text (/proc/self/mounts format) into out[0, cap) and sets *n to the number
 * of mounts (more than cap means out was too small); returns 0, or -1 on a malformed line. A
 * line whose mount point or type does not fit struct filesystems_mount is skipped; a long
 * device name is cut.
 */
MUST_CHECK int filesystems_parse(const char *text, size_t len, struct filesystems_mount *out,
				 size_t cap, size_t *n);

/* The "fs" source: one frame row per real mount point. */
extern const struct source_ops filesystems_source;

#endif
