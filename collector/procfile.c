/* Kept-open procfs/sysfs files: pread from offset 0, reopen on failure, buffer sized at open. */
#include "collector/procfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "procfile"

/* Largest buffer a procfile grows to; /proc/stat on a 1024-CPU host stays well below it. */
#define PROCFILE_MAX_CAP (16u * 1024 * 1024)
/*
 * A read that returns fewer bytes than asked for and fewer than this is the end of the file, so
 * the pread that would return 0 to confirm it is not made (it cost ~3.4 µs per file, ~57 µs per
 * tick for the 17 files of this VM). A regular file and a sysfs attribute (one show() of at most
 * a page) return everything at once; a procfs seq_file returns a short read before its end only
 * when its buffer (at least a page, 4096 bytes) cannot take the next record, so such a read is
 * longer than 4096 minus one record: more than 2048 bytes for records of at most 2 KiB, and the
 * files read here (/proc/net/dev, diskstats, vmstat, mounts) have records of under 200 bytes.
 * Longer short reads are followed by another pread, as before.
 */
#define PROCFILE_SHORT_IS_EOF 2048

struct procfile {
	int fd;
	char path[PATH_MAX];
	char *buf;
	size_t cap; /* bytes in buf, one of them kept for the terminating NUL */
	struct log_limit fail_limit;
	struct log_limit parse_limit;
};

struct procfile *
procfile_open(const char *root, const char *rel, size_t cap, char *err, size_t errlen)
{
	struct procfile *pf = xcalloc(1, sizeof(*pf));
	int saved;
	int n;

	n = snprintf(pf->path, sizeof(pf->path), "%s/%s", root, rel);
	if (n < 0 || (size_t)n >= sizeof(pf->path)) {
		snprintf(err, errlen, "path %s/%s is too long", root, rel);
		free(pf);
		errno = ENAMETOOLONG;
		return NULL;
	}
	pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC);
	if (pf->fd < 0) {
		saved = errno;
		snprintf(err, errlen, "cannot open %s: %s", pf->path, strerror(saved));
		free(pf);
		errno = saved;
		return NULL;
	}
	pf->cap = cap < 64 ? 64 : cap;
	pf->buf = xmalloc(pf->cap);
	pf->fail_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	pf->parse_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	return pf;
}

/* Reads from offset 0 until EOF or a full buffer; returns bytes read or -1 with errno. */
static ssize_t
procfile_pread_all(struct procfile *pf)
{
	size_t off = 0, want;
	ssize_t n;

	while (off < pf->cap - 1) {
		want = pf->cap - 1 - off;
		n = pread(pf->fd, pf->buf + off, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
		if ((size_t)n < want && (size_t)n < PROCFILE_SHORT_IS_EOF)
			break;
	}
	return (ssize_t)off;
}

static int
procfile_reopen(struct procfile *pf)
{
	int fd = open(pf->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	close(pf->fd);
	pf->fd = fd;
	return 0;
}

/* Reads once, reopening the fd and retrying once when the kept fd fails. */
static ssize_t
procfile_read_once(struct procfile *pf)
{
	ssize_t n = procfile_pread_all(pf);

	if (n >= 0)
		return n;
	if (procfile_reopen(pf) != 0)
		return -1;
	return procfile_pread_all(pf);
}

int
procfile_read(struct procfile *pf, const char **text, size_t *len)
{
	ssize_t n;

	for (;;) {
		n = procfile_read_once(pf);
		if (n < 0) {
			log_limited(&pf->fail_limit, LOG_LEVEL_WARN, "cannot read %s: %s", pf->path,
				    strerror(errno));
			return -1;
		}
		if ((size_t)n < pf->cap - 1 || pf->cap >= PROCFILE_MAX_CAP)
			break;
		/* A full buffer may mean a truncated file: grow and read again. */
		pf->cap *= 2;
		free(pf->buf);
		pf->buf = xmalloc(pf->cap);
		log_info("%s outgrew its buffer, now %zu bytes", pf->path, pf->cap);
	}
	pf->buf[n] = '\0';
	*text = pf->buf;
	*len = (size_t)n;
	return 0;
}

int
procfile_read_parse(struct procfile *pf, procfile_parse_fn parse, void *out)
{
	const char *text;
	size_t len;

	if (procfile_read(pf, &text, &len) != 0)
		return -1;
	if (parse(text, len, out) != 0) {
		log_limited(&pf->parse_limit, LOG_LEVEL_WARN, "cannot parse %s", pf->path);
		return -1;
	}
	return 0;
}

const char *
procfile_path(const struct procfile *pf)
{
	return pf->path;
}

void
procfile_free(struct procfile *pf)
{
	if (pf == NULL)
		return;
	close(pf->fd);
	free(pf->buf);
	free(pf);
}
