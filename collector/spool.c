/*
 * The on-disk frame spool. A record is "PWS1", the payload length and a CRC-32C of length and
 * payload (both 32-bit little-endian), the payload, then '\n'. Segments are named by a growing
 * 16-hex-digit id; the oldest is read whole into a buffer allocated at open.
 */
#include "collector/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "spool"

#define SPOOL_MAGIC	  "PWS1"
#define SPOOL_HEADER	  12
#define SPOOL_OVERHEAD	  (SPOOL_HEADER + 1)
#define SPOOL_RECORD_MAX  (16u << 20)
#define SPOOL_SEGMENT_MAX (64u << 20)
#define SPOOL_SUFFIX	  ".seg"
/* Room for the segments of a full spool, plus the small ones a catching-up reader seals. */
#define SPOOL_EXTRA_SEGMENTS 64

struct spool_segment {
	uint64_t id;
	size_t bytes;
	uint64_t records; /* valid records in the file, popped or not */
};

struct spool {
	char *dir;
	char path[PATH_MAX]; /* scratch for segment paths */
	int dir_fd;
	int lock_fd;
	size_t max_bytes;
	size_t segment_bytes;
	struct spool_segment *segs; /* oldest first; the last one is written when wfd >= 0 */
	size_t nsegs;
	size_t cap;
	uint64_t next_id;
	int wfd;
	/* The reader: segs[0], loaded whole into buf while `loaded`. */
	char *buf;
	size_t buf_cap;
	size_t buf_len;
	size_t off; /* where the search for the next record starts */
	bool loaded;
	bool head;	       /* a record at head_off is the oldest */
	size_t head_off;       /* payload offset in buf */
	size_t head_len;       /* payload length */
	uint64_t seg_popped;   /* records of segs[0] popped */
	struct spool_stats st; /* bytes and segments are computed by spool_stats */
	size_t bytes;
};

static uint32_t spool_crc_table[256];

static void
spool_crc_init(void)
{
	uint32_t c;

	if (spool_crc_table[1] != 0)
		return;
	for (uint32_t i = 0; i < 256; i++) {
		c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		spool_crc_table[i] = c;
	}
}

/* CRC-32C (Castagnoli), continuing from crc (0 to start). */
static uint32_t
spool_crc(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	crc = ~crc;
	while (len-- > 0)
		crc = spool_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
spool_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
spool_get32(const char *q)
{
	const unsigned char *p = (const unsigned char *)q;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* True when a whole valid record starts at buf[off] (len bytes in buf); sets its payload size. */
static bool
spool_valid_at(const char *buf, size_t len, size_t off, size_t *payload)
{
	size_t room = len - off, n;

	if (room < SPOOL_OVERHEAD || memcmp(buf + off, SPOOL_MAGIC, 4) != 0)
		return false;
	n = spool_get32(buf + off + 4);
	if (n > room - SPOOL_OVERHEAD || buf[off + SPOOL_HEADER + n] != '\n')
		return false;
	if (spool_crc(spool_crc(0, buf + off + 4, 4), buf + off + SPOOL_HEADER, n) !=
	    spool_get32(buf + off + 8))
		return false;
	*payload = n;
	return true;
}

/*
 * Finds the first valid record at or after *off; returns true with its offset in *at and its
 * payload size, or false at the end. *skipped is the number of damaged bytes passed over.
 */
static bool
spool_find(const char *buf, size_t len, size_t off, size_t *at, size_t *payload, size_t *skipped)
{
	const char *m;

	*skipped = 0;
	while (off < len) {
		if (spool_valid_at(buf, len, off, payload)) {
			*at = off;
			return true;
		}
		/* Resynchronise on the next magic: a damaged record does not hide the ones after.
		 */
		m = memmem(buf + off + 1, len - off - 1, SPOOL_MAGIC, 4);
		if (m == NULL) {
			*skipped += len - off;
			return false;
		}
		*skipped += (size_t)(m - buf) - off;
		off = (size_t)(m - buf);
	}
	return false;
}

static const char *
spool_seg_path(struct spool *s, uint64_t id)
{
	snprintf(s->path, sizeof(s->path), "%s/%016llx" SPOOL_SUFFIX, s->dir,
		 (unsigned long long)id);
	return s->path;
}

/* Reads segment `id` whole into buf (buf_len); returns 0 or -1 (logged). */
static int
spool_read(struct spool *s, uint64_t id)
{
	const char *path = spool_seg_path(s, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	size_t got = 0;
	ssize_t n = -1;

	s->buf_len = 0;
	if (fd < 0 || fstat(fd, &sb) != 0)
		goto fail;
	if ((size_t)sb.st_size + 1 > s->buf_cap) {
		/* Only a segment written with a larger --spool-max-mb: not the steady state. */
		s->buf_cap = (size_t)sb.st_size + 1;
		s->buf = xrealloc(s->buf, s->buf_cap);
	}
	while (got < (size_t)sb.st_size) {
		n = pread(fd, s->buf + got, (size_t)sb.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	s->buf_len = got;
	return 0;
fail:
	log_error("cannot read spool segment %s: %s", path,
		  n == 0 ? "file shrank" : strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Loads segs[0] for the reader; returns 0 or -1 (logged). */
static int
spool_load(struct spool *s)
{
	if (spool_read(s, s->segs[0].id) != 0)
		return -1;
	s->off = 0;
	s->seg_popped = 0;
	s->loaded = true;
	s->head = false;
	return 0;
}

/* Removes segs[i] (not loaded) and its file. */
static void
spool_remove(struct spool *s, size_t i)
{
	if (unlink(spool_seg_path(s, s->segs[i].id)) != 0 && errno != ENOENT)
		log_error("cannot remove spool segment %s: %s", s->path, strerror(errno));
	memmove(&s->segs[i], &s->segs[i + 1], (s->nsegs - i - 1) * sizeof(*s->segs));
	s->nsegs--;
}

/* Unlinks segs[0] and forgets it; its records not popped leave the pending count. */
static void
spool_retire_oldest(struct spool *s)
{
	struct spool_segment *seg = &s->segs[0];

	if (s->wfd >= 0 && s->nsegs == 1) {
		close(s->wfd);
		s->wfd = -1;
	}
	s->st.pending -= seg->records - (s->loaded ? s->seg_popped : 0);
	s->bytes -= seg->bytes;
	s->loaded = false;
	s->head = false;
	spool_remove(s, 0);
}

static void
spool_drop_oldest(struct spool *s)
{
	uint64_t id = s->segs[0].id;
	uint64_t lost = s->segs[0].records - (s->loaded ? s->seg_popped : 0);

	spool_retire_oldest(s);
	s->st.lost += lost;
	log_warn("spool full (%zu bytes, %zu segments): dropped its oldest segment %016llx, %llu "
		 "frames lost, %llu lost so far",
		 s->max_bytes, s->nsegs + 1, (unsigned long long)id, (unsigned long long)lost,
		 (unsigned long long)s->st.lost);
}

/* In the loaded segment, finds the next valid record from off or retires the segment. */
static void
spool_advance(struct spool *s)
{
	size_t at, payload, skipped;
	bool found = spool_find(s->buf, s->buf_len, s->off, &at, &payload, &skipped);

	if (skipped > 0) {
		s->st.corrupt++;
		log_warn("spool segment %016llx: skipped %zu damaged bytes at offset %zu (a torn "
			 "or corrupt record; checksum mismatch)",
			 (unsigned long long)s->segs[0].id, skipped, s->off);
	}
	if (!found) {
		spool_retire_oldest(s);
		return;
	}
	s->head = true;
	s->head_off = at + SPOOL_HEADER;
	s->head_len = payload;
	s->buf[at + SPOOL_HEADER + payload] = '\0';
}

const char *
spool_peek(struct spool *s, size_t *len, uint64_t *token)
{
	while (!s->head) {
		if (s->nsegs == 0)
			return NULL;
		if (!s->loaded) {
			/* Seal the segment being written: the buffer must hold all of it. */
			if (s->wfd >= 0 && s->nsegs == 1) {
				close(s->wfd);
				s->wfd = -1;
			}
			if (spool_load(s) != 0) {
				spool_drop_oldest(s);
				continue;
			}
		}
		spool_advance(s);
	}
	*len = s->head_len;
	*token = s->segs[0].id << 32 | (uint64_t)(s->head_off - SPOOL_HEADER);
	return s->buf + s->head_off;
}

void
spool_pop(struct spool *s, uint64_t token)
{
	size_t len;
	uint64_t head;

	if (spool_peek(s, &len, &head) == NULL || head != token)
		return;
	s->off = s->head_off + s->head_len + 1;
	s->head = false;
	s->seg_popped++;
	s->st.popped++;
	s->st.pending--;
	/* Unlink the segment as soon as its last record is popped, not at the next peek. */
	spool_advance(s);
}

/* Opens a new segment for writing; returns 0 or -1 (logged). */
static int
spool_new_segment(struct spool *s)
{
	const char *path;
	int fd;

	if (s->wfd >= 0) {
		close(s->wfd);
		s->wfd = -1;
	}
	if (s->nsegs == s->cap)
		spool_drop_oldest(s);
	path = spool_seg_path(s, s->next_id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot create spool segment %s: %s", path, strerror(errno));
		return -1;
	}
	/* The new name must survive a crash too, or the records in it are lost. */
	if (fsync(s->dir_fd) != 0)
		log_warn("fsync of %s failed: %s", s->dir, strerror(errno));
	s->segs[s->nsegs++] = (struct spool_segment){s->next_id++, 0, 0};
	s->wfd = fd;
	return 0;
}

int
spool_append(struct spool *s, const char *text, size_t len, uint64_t *token)
{
	static char newline = '\n';
	unsigned char hdr[SPOOL_HEADER];
	struct iovec iov[3] = {{hdr, sizeof(hdr)}, {(void *)(uintptr_t)text, len}, {&newline, 1}};
	size_t rec = len + SPOOL_OVERHEAD;
	struct spool_segment *seg;
	ssize_t n;

	if (len > SPOOL_RECORD_MAX || rec > s->max_bytes) {
		log_error("a %zu-byte frame does not fit in the spool: not spooled", len);
		return -1;
	}
	while (s->nsegs > 0 && s->bytes + rec > s->max_bytes)
		spool_drop_oldest(s);
	seg = s->nsegs > 0 ? &s->segs[s->nsegs - 1] : NULL;
	if (s->wfd < 0 || (seg->bytes > 0 && seg->bytes + rec > s->segment_bytes)) {
		if (spool_new_segment(s) != 0)
			return -1;
		seg = &s->segs[s->nsegs - 1];
	}
	memcpy(hdr, SPOOL_MAGIC, 4);
	spool_put32(hdr + 4, (uint32_t)len);
	spool_put32(hdr + 8, spool_crc(spool_crc(0, hdr + 4, 4), text, len));
	do {
		n = writev(s->wfd, iov, 3);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)rec) {
		log_error("cannot write to spool segment %016llx: %s", (unsigned long long)seg->id,
			  n < 0 ? strerror(errno) : "short write");
		/* Leave no torn record behind (the reader would skip it, but say so). */
		if (n > 0 && ftruncate(s->wfd, (off_t)seg->bytes) != 0)
			log_error("cannot truncate the torn record: %s", strerror(errno));
		return -1;
	}
	if (token != NULL)
		*token = seg->id << 32 | (uint64_t)seg->bytes;
	seg->bytes += rec;
	seg->records++;
	s->bytes += rec;
	s->st.appended++;
	s->st.pending++;
	return 0;
}

int
spool_sync(struct spool *s)
{
	if (s->wfd < 0 || fdatasync(s->wfd) == 0)
		return 0;
	log_error("fdatasync of spool segment %016llx failed: %s",
		  (unsigned long long)s->segs[s->nsegs - 1].id, strerror(errno));
	return -1;
}

/* mkdir -p with mode 0700; returns 0 or -1 with a message in err. */
static int
spool_mkdirs(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		snprintf(err, errlen, "--spool-dir '%s': empty or too long", dir);
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create spool directory %s: %s", path,
				 strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* Takes the directory's lock file; returns 0 or -1 with a message in err. */
static int
spool_lock(struct spool *s, char *err, size_t errlen)
{
	char path[PATH_MAX], pid[32] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "%s/lock", s->dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(s->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? strcspn(pid, "\n") : 0] = '\0';
		snprintf(err, errlen,
			 "spool directory %s is in use by another perfwatch-collector (pid %s): "
			 "give each collector its own --spool-dir",
			 s->dir, pid[0] != '\0' ? pid : "unknown");
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid into %s: %s", path, strerror(errno));
	return 0;
}

static int
spool_cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct spool_segment *)a)->id;
	uint64_t y = ((const struct spool_segment *)b)->id;

	return x < y ? -1 : x > y;
}

/* True when name is a segment file name; sets its id. */
static bool
spool_seg_name(const char *name, uint64_t *id)
{
	char *end;

	if (strlen(name) != 16 + strlen(SPOOL_SUFFIX) || strcmp(name + 16, SPOOL_SUFFIX) != 0)
		return false;
	errno = 0;
	*id = strtoull(name, &end, 16);
	return errno == 0 && end == name + 16;
}

/* Lists the segment files into segs (growing it), sorted by id. */
static int
spool_list(struct spool *s, char *err, size_t errlen)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	uint64_t id;

	if (d == NULL) {
		snprintf(err, errlen, "cannot read spool directory %s: %s", s->dir,
			 strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!spool_seg_name(e->d_name, &id))
			continue;
		if (s->nsegs == s->cap) {
			s->cap *= 2;
			s->segs = xrealloc(s->segs, s->cap * sizeof(*s->segs));
		}
		s->segs[s->nsegs++] = (struct spool_segment){id, 0, 0};
	}
	closedir(d);
	qsort(s->segs, s->nsegs, sizeof(*s->segs), spool_cmp_id);
	s->next_id = s->nsegs > 0 ? s->segs[s->nsegs - 1].id + 1 : 1;
	return 0;
}

/* Counts the valid records of every listed segment; removes the ones with none. */
static void
spool_recover(struct spool *s)
{
	size_t i = 0, at, payload, skipped = 0, damaged = 0, off;
	struct spool_segment *seg;

	while (i < s->nsegs) {
		seg = &s->segs[i];
		if (spool_read(s, seg->id) == 0) {
			for (off = 0; spool_find(s->buf, s->buf_len, off, &at, &payload, &skipped);
			     off = at + SPOOL_OVERHEAD + payload) {
				seg->records++;
				damaged += skipped > 0;
			}
			damaged += skipped > 0;
		}
		if (seg->records == 0) {
			log_warn("spool segment %016llx holds no valid record: removed",
				 (unsigned long long)seg->id);
			spool_remove(s, i);
			continue;
		}
		seg->bytes = s->buf_len;
		s->bytes += seg->bytes;
		s->st.pending += seg->records;
		i++;
	}
	s->st.recovered = s->st.pending;
	if (s->nsegs > 0)
		log_info("spool %s: %llu frames left by a previous run in %zu segments (%zu bytes, "
			 "%zu damaged stretches): backfilling them first",
			 s->dir, (unsigned long long)s->st.pending, s->nsegs, s->bytes, damaged);
}

struct spool *
spool_open(const char *dir, size_t max_bytes, size_t segment_bytes, char *err, size_t errlen)
{
	struct spool *s = xcalloc(1, sizeof(*s));

	spool_crc_init();
	s->dir = xstrdup(dir);
	s->dir_fd = -1;
	s->lock_fd = -1;
	s->wfd = -1;
	s->max_bytes = max_bytes;
	s->segment_bytes = segment_bytes < SPOOL_SEGMENT_MAX ? segment_bytes : SPOOL_SEGMENT_MAX;
	if (s->segment_bytes == 0)
		s->segment_bytes = 1;
	s->cap = max_bytes / s->segment_bytes + SPOOL_EXTRA_SEGMENTS;
	s->segs = xcalloc(s->cap, sizeof(*s->segs));
	s->buf_cap = s->segment_bytes + SPOOL_OVERHEAD + (64u << 10) + 1;
	s->buf = xmalloc(s->buf_cap);
	if (spool_mkdirs(dir, err, errlen) != 0)
		goto fail;
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		snprintf(err, errlen, "cannot open spool directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (spool_lock(s, err, errlen) != 0 || spool_list(s, err, errlen) != 0)
		goto fail;
	spool_recover(s);
	while (s->bytes > s->max_bytes)
		spool_drop_oldest(s);
	return s;
fail:
	spool_close(s);
	return NULL;
}

uint64_t
spool_pending(const struct spool *s)
{
	return s->st.pending;
}

void
spool_stats(const struct spool *s, struct spool_stats *out)
{
	*out = s->st;
	out->bytes = s->bytes;
	out->segments = s->nsegs;
}

const char *
spool_dir(const struct spool *s)
{
	return s->dir;
}

int
spool_default_dir(char *buf, size_t len)
{
	const char *state = getenv("PERFWATCH_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (state != NULL && state[0] != '\0')
		n = snprintf(buf, len, "%s/spool", state);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/var/lib/perfwatch/spool");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/perfwatch/spool", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/perfwatch/spool", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	/* Closing the descriptor releases the flock. */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->segs);
	free(s->buf);
	free(s->dir);
	free(s);
}
