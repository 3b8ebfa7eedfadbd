/*
 * The read floor for bench/os_overhead.sh: keeps every file named on the command line open and,
 * once per interval, preads each from offset 0 to EOF and statvfs()s each --statvfs path. That
 * is the kernel work a collector of the same files cannot avoid; its CPU is the floor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_MAX_FILES 256
#define FLOOR_BUF	(256 * 1024)

static char floor_buf[FLOOR_BUF];

/*
 * Reads fd from offset 0 to EOF; returns the bytes read or -1. A short read of under 2 KiB is
 * the end of the file without the pread that would return 0, as in collector/procfile.c (a
 * seq_file stops short before its end only when a page-sized buffer is nearly full): the
 * collector does not make that pread, so it is not part of the floor either.
 */
static long
floor_read(int fd)
{
	long off = 0;
	ssize_t n;

	for (;;) {
		n = pread(fd, floor_buf, sizeof(floor_buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return off;
		off += n;
		if (n < 2048)
			return off;
	}
}

int
main(int argc, char **argv)
{
	int fds[FLOOR_MAX_FILES];
	const char *paths[FLOOR_MAX_FILES], *mounts[FLOOR_MAX_FILES];
	size_t nfds = 0, nmounts = 0;
	double interval = 1.0;
	long ticks = -1;
	struct timespec next;
	struct statvfs sv;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) {
			interval = atof(argv[++i]);
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			ticks = atol(argv[++i]);
		} else if (strcmp(argv[i], "--statvfs") == 0 && i + 1 < argc &&
			   nmounts < FLOOR_MAX_FILES) {
			mounts[nmounts++] = argv[++i];
		} else if (nfds < FLOOR_MAX_FILES) {
			fds[nfds] = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fds[nfds] < 0) {
				fprintf(stderr, "os_overhead_floor: %s: %s\n", argv[i],
					strerror(errno));
				return 1;
			}
			paths[nfds++] = argv[i];
		}
	}
	if (interval <= 0 || nfds == 0) {
		fprintf(stderr,
			"usage: os_overhead_floor [-i SECONDS] [-n TICKS] [--statvfs PATH]... "
			"FILE...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long t = 0; ticks < 0 || t < ticks; t++) {
		for (size_t i = 0; i < nfds; i++) {
			if (fds[i] < 0 || floor_read(fds[i]) >= 0)
				continue;
			/* A device that went away (a container's veth): stop reading it. */
			fprintf(stderr, "os_overhead_floor: %s: %s\n", paths[i], strerror(errno));
			close(fds[i]);
			fds[i] = -1;
		}
		for (size_t i = 0; i < nmounts; i++)
			if (statvfs(mounts[i], &sv) != 0)
				fprintf(stderr, "os_overhead_floor: statvfs %s: %s\n", mounts[i],
					strerror(errno));
		next.tv_nsec += (long)((interval - (long)interval) * 1e9);
		next.tv_sec += (time_t)interval + next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	return 0;
}
