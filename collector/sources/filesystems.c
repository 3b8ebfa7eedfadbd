/*
 * The "fs" source: the mount table through a kept fd, re-read only when poll() on a second fd
 * says the mount namespace changed; statvfs(3) on each real mount every tick. Mounts of the host
 * are reached through <procfs>/1/root when the collector reads another root's /proc.
 */
#include "collector/sources/filesystems.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector/procfile.h"
#include "collector/rows.h"
#include "collector/scan.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "filesystems"

/* Filesystem types without user data on a device; node_exporter's list plus tmpfs and ramfs. */
static const char *const filesystems_pseudo[] = {
	"autofs",      "binfmt_misc", "bpf",	    "cgroup",
	"cgroup2",     "configfs",    "debugfs",    "devpts",
	"devtmpfs",    "efivarfs",    "fusectl",    "hugetlbfs",
	"mqueue",      "nsfs",	      "overlay",    "proc",
	"pstore",      "ramfs",	      "rpc_pipefs", "securityfs",
	"selinuxfs",   "squashfs",    "sysfs",	    "tmpfs",
	"tracefs",     "iso9660",     "fuse.lxcfs", "fuse.gvfsd-fuse",
	"fuse.portal", "nfsd",
};

struct filesystems_inst {
	struct filesystems_mount m;
	struct statvfs sv;
	bool ok; /* statvfs succeeded this tick */
};

struct filesystems_state {
	struct procfile *pf;
	int watch_fd;	     /* the same mount table, only polled: POLLPRI when it changed */
	bool table_read;     /* the table was parsed at least once */
	char root[PATH_MAX]; /* prefix for statvfs: "" or "<procfs>/1/root" */
	char *last;	     /* the mount table text last parsed */
	size_t last_len, last_cap;
	struct rows mounts; /* struct filesystems_mount, the last table parsed */
	struct filesystems_inst *inst;
	size_t ninst, inst_cap;
	struct log_limit stat_limit, parse_limit;
	json_t *section; /* kept between ticks (jkeep.h) */
};

static int
filesystems_parse_rows(const char *text, size_t len, void *rows, size_t cap, size_t *n)
{
	return filesystems_parse(text, len, rows, cap, n);
}

bool
filesystems_is_pseudo(const char *type)
{
	for (size_t i = 0; i < ARRAY_LEN(filesystems_pseudo); i++)
		if (strcmp(type, filesystems_pseudo[i]) == 0)
			return true;
	return false;
}

/*
 * Copies a mount table field into dst, decoding \ooo escapes; false (dst holding what fits) when
 * it does not fit.
 */
static bool
filesystems_unescape(char *dst, size_t cap, const char *w, size_t wlen)
{
	size_t j = 0;

	for (size_t i = 0; i < wlen; i++) {
		char c = w[i];

		if (c == '\\' && i + 3 < wlen && w[i + 1] >= '0' && w[i + 1] <= '3' &&
		    w[i + 2] >= '0' && w[i + 2] <= '7' && w[i + 3] >= '0' && w[i + 3] <= '7') {
			c = (char)((w[i + 1] - '0') * 64 + (w[i + 2] - '0') * 8 + (w[i + 3] - '0'));
			i += 3;
		}
		if (j + 1 >= cap) {
			dst[j] = '\0';
			return false;
		}
		dst[j++] = c;
	}
	dst[j] = '\0';
	return true;
}

/* Parses "dev mnt type ..."; returns 0, 1 when the mount point or type is too long, -1. */
static int
filesystems_parse_line(struct scan *s, struct filesystems_mount *out)
{
	struct filesystems_mount m;
	const char *w[3];
	size_t wlen[3];

	for (int i = 0; i < 3; i++)
		if (!scan_word(s, 0, &w[i], &wlen[i]))
			return -1;
	/* The device is only a label: a long one (an NFS export) is cut, not a reason to fail. */
	(void)filesystems_unescape(m.dev, sizeof(m.dev), w[0], wlen[0]);
	if (!filesystems_unescape(m.mnt, sizeof(m.mnt), w[1], wlen[1]) ||
	    !filesystems_unescape(m.type, sizeof(m.type), w[2], wlen[2]))
		return 1;
	if (out != NULL)
		*out = m;
	return 0;
}

int
filesystems_parse(const char *text, size_t len, struct filesystems_mount *out, size_t cap,
		  size_t *n)
{
	struct scan s = scan_init(text, len);
	size_t count = 0;

	int rc;

	while (!scan_eof(&s)) {
		scan_blanks(&s);
		if (!scan_eol(&s)) {
			rc = filesystems_parse_line(&s, count < cap ? &out[count] : NULL);
			if (rc < 0)
				return -1;
			/* A mount point longer than we keep cannot be statvfs()ed: skipped. */
			count += rc == 0;
		}
		(void)scan_next_line(&s);
	}
	*n = count;
	return 0;
}

/* Rebuilds the instance list from the parsed table: real filesystems, one per mount point. */
static void
filesystems_rebuild(struct filesystems_state *st)
{
	const struct filesystems_mount *mounts = st->mounts.v;
	size_t k, before = st->ninst;

	st->ninst = 0;
	for (size_t i = 0; i < st->mounts.n; i++) {
		const struct filesystems_mount *m = &mounts[i];

		if (filesystems_is_pseudo(m->type) || m->mnt[0] != '/')
			continue;
		/* A later mount on the same point hides the earlier one. */
		for (k = 0; k < st->ninst; k++)
			if (strcmp(st->inst[k].m.mnt, m->mnt) == 0)
				break;
		if (k == st->ninst) {
			if (st->ninst == st->inst_cap) {
				st->inst_cap = st->inst_cap * 2 + 8;
				st->inst = xrealloc(st->inst, st->inst_cap * sizeof(*st->inst));
			}
			st->ninst++;
		}
		st->inst[k].m = *m;
		st->inst[k].ok = false;
	}
	/* Container start-ups rewrite the table often; say something only when it matters. */
	if (st->ninst != before || !st->table_read)
		log_info("%zu real filesystems mounted", st->ninst);
}

/* Returns true when the mount table may have changed since the last call. */
static bool
filesystems_table_changed(struct filesystems_state *st)
{
	struct pollfd pfd = {.fd = st->watch_fd, .events = POLLPRI};

	if (!st->table_read || st->watch_fd < 0)
		return true;
	/* The kernel flags a mounts file POLLPRI | POLLERR once after each namespace change. */
	return poll(&pfd, 1, 0) != 0;
}

/* Re-reads the mount table when it changed; re-parses it only when its text changed. */
static int
filesystems_read_table(struct filesystems_state *st)
{
	const char *text;
	size_t len;

	if (!filesystems_table_changed(st))
		return 0;
	/* Until a read and parse succeed, poll() is not trusted: its event was consumed. */
	if (procfile_read(st->pf, &text, &len) != 0) {
		st->table_read = false;
		return -1;
	}
	if (st->last != NULL && len == st->last_len && memcmp(text, st->last, len) == 0)
		return 0;
	if (rows_parse(text, len, &st->mounts) != 0) {
		log_limited(&st->parse_limit, LOG_LEVEL_WARN, "cannot parse %s",
			    procfile_path(st->pf));
		st->table_read = false;
		return -1;
	}
	if (len + 1 > st->last_cap) {
		st->last_cap = len * 2 + 1;
		st->last = xrealloc(st->last, st->last_cap);
	}
	memcpy(st->last, text, len);
	st->last_len = len;
	filesystems_rebuild(st);
	st->table_read = true;
	return 0;
}

/* Opens the mount table for polling; -1 (read every tick) when it is not a procfs file. */
static int
filesystems_watch(const char *path)
{
	struct statfs sfs;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_warn("cannot watch %s (%s): reading it every tick", path, strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *
filesystems_init(const struct source_env *env, char *why, size_t whylen)
{
	struct filesystems_state *st = xcalloc(1, sizeof(*st));
	bool own = strcmp(env->procfs, "/proc") == 0;

	/* Another root's /proc: its init process sees the host's mounts, under its root. */
	st->pf = procfile_open(env->procfs, own ? "self/mounts" : "1/mounts", 4096, why, whylen);
	if (st->pf == NULL) {
		free(st);
		return NULL;
	}
	st->watch_fd = filesystems_watch(procfile_path(st->pf));
	if (!own)
		snprintf(st->root, sizeof(st->root), "%s/1/root", env->procfs);
	st->stat_limit = (struct log_limit)LOG_LIMIT_INIT(600);
	st->parse_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	rows_init(&st->mounts, filesystems_parse_rows, sizeof(struct filesystems_mount), 32);
	return st;
}

static int
filesystems_sample(void *state, const struct tick *tick)
{
	struct filesystems_state *st = state;
	char path[PATH_MAX];
	int n;

	(void)tick;
	if (filesystems_read_table(st) != 0)
		return -1;
	for (size_t i = 0; i < st->ninst; i++) {
		struct filesystems_inst *in = &st->inst[i];

		n = snprintf(path, sizeof(path), "%s%s", st->root, in->m.mnt);
		in->ok = n > 0 && (size_t)n < sizeof(path) && statvfs(path, &in->sv) == 0;
		if (!in->ok)
			log_limited(&st->stat_limit, LOG_LEVEL_WARN, "cannot statvfs %s", path);
	}
	return 0;
}

static int
filesystems_encode_one(struct jk_arr *rows, const struct filesystems_inst *in)
{
	const struct statvfs *sv = &in->sv;
	double bs = (double)sv->f_frsize;
	double used = (double)(sv->f_blocks - sv->f_bfree), avail = (double)sv->f_bavail;
	double iused = (double)(sv->f_files - sv->f_ffree);
	struct jk_obj c, *row = &c;
	int rc = 0;

	jk_begin(row, jk_arr_obj(rows));
	jk_str(row, "mount", in->m.mnt);
	jk_str(row, "device", in->m.dev);
	jk_str(row, "fstype", in->m.type);
	rc |= section_jk_int(row, "size_bytes", true, (json_int_t)(sv->f_blocks * sv->f_frsize));
	rc |= section_jk_int(row, "used_bytes", true, (json_int_t)(used * bs));
	rc |= section_jk_int(row, "avail_bytes", true, (json_int_t)(avail * bs));
	/* df's Use%: the root-reserved blocks count as neither used nor available. */
	rc |= section_jk_real(row, "used_pct", used + avail > 0, used / (used + avail) * 100.0);
	/* Filesystems without an inode table (btrfs, vfat) report 0 inodes: unknown, not 0 %. */
	rc |= section_jk_int(row, "inodes_total", sv->f_files > 0, (json_int_t)sv->f_files);
	rc |= section_jk_int(row, "inodes_used", sv->f_files > 0, (json_int_t)iused);
	rc |= section_jk_int(row, "inodes_free", sv->f_files > 0, (json_int_t)sv->f_ffree);
	rc |= section_jk_real(row, "inodes_used_pct", sv->f_files > 0,
			      iused / (double)sv->f_files * 100.0);
	rc |= jk_end(row);
	return rc == 0 ? 0 : -1;
}

static int
filesystems_encode(void *state, json_t *frame)
{
	struct filesystems_state *st = state;
	struct jk_arr rows;

	jk_arr_begin(&rows, section_kept(frame, "fs", &st->section, true));
	for (size_t i = 0; i < st->ninst; i++)
		if (st->inst[i].ok && filesystems_encode_one(&rows, &st->inst[i]) != 0)
			return -1;
	if (jk_arr_end(&rows) != 0)
		return -1;
	/* Mounts listed but none readable (another root without access): say so, not "no disks". */
	if (st->ninst > 0 && json_array_size(st->section) == 0) {
		json_object_del(frame, "fs");
		return section_unavailable(
			frame, "fs",
			st->root[0] != '\0'
				? "no mount is readable through <procfs>/1/root "
				  "(the collector needs CAP_SYS_PTRACE to follow the host's "
				  "root from a container)"
				: "statvfs failed on every mount");
	}
	return 0;
}

static void
filesystems_fini(void *state)
{
	struct filesystems_state *st = state;

	if (st == NULL)
		return;
	procfile_free(st->pf);
	if (st->watch_fd >= 0)
		close(st->watch_fd);
	free(st->last);
	rows_free(&st->mounts);
	free(st->inst);
	json_decref(st->section);
	free(st);
}

const struct source_ops filesystems_source = {
	.name = "fs",
	.init = filesystems_init,
	.sample = filesystems_sample,
	.encode = filesystems_encode,
	.fini = filesystems_fini,
};
