/*
 * The "net" source: per-interface rates from a kept /proc/net/dev fd, operstate from kept sysfs
 * fds, link speed re-read when the operstate changes; interfaces come and go between ticks.
 */
#include "collector/sources/net_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/procfile.h"
#include "collector/rows.h"
#include "collector/scan.h"
#include "collector/sources/counter.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "net_dev"

const char *const net_dev_rate_keys[NET_DEV_NCOUNTERS] = {
	"rx_bytes_per_s", "rx_packets_per_s",	 "rx_errors_per_s",	"rx_drops_per_s",
	"rx_fifo_per_s",  "rx_frame_per_s",	 "rx_compressed_per_s", "rx_multicast_per_s",
	"tx_bytes_per_s", "tx_packets_per_s",	 "tx_errors_per_s",	"tx_drops_per_s",
	"tx_fifo_per_s",  "tx_collisions_per_s", "tx_carrier_per_s",	"tx_compressed_per_s",
};

struct net_dev_inst {
	char name[16];
	uint64_t prev[NET_DEV_NCOUNTERS];
	double rate[NET_DEV_NCOUNTERS];
	bool have_rate; /* false on the first sample and after a counter reset */
	bool seen;	/* listed in the newest sample */
	struct procfile *operstate;
	char oper[16];
	int64_t speed_mbps; /* -1 when the driver does not report it */
};

struct net_dev_state {
	struct procfile *pf;
	char sysfs[PATH_MAX];
	struct rows ifs; /* struct net_dev_if, the last read */
	struct net_dev_inst *inst;
	size_t ninst, inst_cap;
	json_t *section; /* kept between ticks (jkeep.h) */
};

/* Parses " eth0: 1 2 3 ..." (old kernels: "eth0:1 2 ..."); returns 0 or -1. */
static int
net_dev_parse_line(struct scan *s, struct net_dev_if *out)
{
	const char *w;
	size_t wlen;

	if (!scan_word(s, ':', &w, &wlen) || !scan_char(s, ':'))
		return -1;
	if (out == NULL)
		return 0;
	if (wlen >= sizeof(out->name))
		return -1;
	memcpy(out->name, w, wlen);
	out->name[wlen] = '\0';
	for (int i = 0; i < NET_DEV_NCOUNTERS; i++)
		if (!scan_u64(s, &out->c[i]))
			return -1;
	return 0;
}

int
net_dev_parse(const char *text, size_t len, struct net_dev_if *out, size_t cap, size_t *n)
{
	struct scan s = scan_init(text, len);
	size_t count = 0;

	/* Two header lines, then one line per interface. */
	if (!scan_next_line(&s) || !scan_next_line(&s))
		return -1;
	while (!scan_eof(&s)) {
		scan_blanks(&s);
		if (!scan_eol(&s)) {
			if (net_dev_parse_line(&s, count < cap ? &out[count] : NULL) != 0)
				return -1;
			count++;
		}
		(void)scan_next_line(&s);
	}
	*n = count;
	return 0;
}

/* Reads a small sysfs attribute with open/read/close; returns its length or -1. */
static ssize_t
net_dev_read_attr(const struct net_dev_state *st, const char *iface, const char *attr, char *buf,
		  size_t cap)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	n = snprintf(path, sizeof(path), "%s/class/net/%s/%s", st->sysfs, iface, attr);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n;
}

/* Re-reads the link speed in Mbit/s; virtual devices and down links report none (-1). */
static void
net_dev_read_speed(const struct net_dev_state *st, struct net_dev_inst *in)
{
	char buf[32];
	struct scan s;
	uint64_t v;

	in->speed_mbps = -1;
	if (net_dev_read_attr(st, in->name, "speed", buf, sizeof(buf)) <= 0)
		return;
	s = scan_init(buf, strlen(buf));
	/* Unknown speed reads as -1 (SPEED_UNKNOWN) or fails with EINVAL. */
	if (scan_u64(&s, &v) && scan_eof(&s) && v > 0 && v < INT32_MAX)
		in->speed_mbps = (int64_t)v;
}

/* Re-reads operstate through its kept fd and the speed when the state changed. */
static void
net_dev_read_state(const struct net_dev_state *st, struct net_dev_inst *in)
{
	const char *text;
	size_t len;

	if (in->operstate == NULL || procfile_read(in->operstate, &text, &len) != 0)
		return;
	while (len > 0 && text[len - 1] == '\n')
		len--;
	if (len >= sizeof(in->oper))
		len = sizeof(in->oper) - 1;
	if (strlen(in->oper) == len && memcmp(in->oper, text, len) == 0)
		return;
	memcpy(in->oper, text, len);
	in->oper[len] = '\0';
	net_dev_read_speed(st, in);
}

/* Adds an interface seen for the first time: its counters become the baseline. */
static struct net_dev_inst *
net_dev_add(struct net_dev_state *st, const struct net_dev_if *cur)
{
	struct net_dev_inst *in;
	char rel[64], err[256];

	if (st->ninst == st->inst_cap) {
		st->inst_cap = st->inst_cap * 2 + 8;
		st->inst = xrealloc(st->inst, st->inst_cap * sizeof(*st->inst));
	}
	in = &st->inst[st->ninst++];
	memset(in, 0, sizeof(*in));
	memcpy(in->name, cur->name, sizeof(in->name));
	memcpy(in->prev, cur->c, sizeof(in->prev));
	in->speed_mbps = -1;
	snprintf(rel, sizeof(rel), "class/net/%s/operstate", cur->name);
	in->operstate = procfile_open(st->sysfs, rel, 64, err, sizeof(err));
	if (in->operstate == NULL)
		log_debug("%s: no operstate (%s)", cur->name, err);
	log_info("interface %s appeared", cur->name);
	return in;
}

/* Finds the instance named like cur, trying the slot it had last time first. */
static struct net_dev_inst *
net_dev_find(struct net_dev_state *st, const struct net_dev_if *cur, size_t hint)
{
	if (hint < st->ninst && strcmp(st->inst[hint].name, cur->name) == 0)
		return &st->inst[hint];
	for (size_t i = 0; i < st->ninst; i++)
		if (strcmp(st->inst[i].name, cur->name) == 0)
			return &st->inst[i];
	return NULL;
}

/* Turns the new counters into rates; a counter that went backwards means a re-created device. */
static void
net_dev_update(struct net_dev_inst *in, const struct net_dev_if *cur, double dt)
{
	uint64_t d[NET_DEV_NCOUNTERS];
	bool ok = dt > 0;

	for (int i = 0; i < NET_DEV_NCOUNTERS && ok; i++)
		ok = counter_delta(in->prev[i], cur->c[i], 64, &d[i]);
	if (!ok && dt > 0)
		log_info("interface %s: counters went backwards (re-created?), new baseline",
			 in->name);
	in->have_rate = ok;
	for (int i = 0; i < NET_DEV_NCOUNTERS && ok; i++)
		in->rate[i] = (double)d[i] / dt;
	memcpy(in->prev, cur->c, sizeof(in->prev));
}

/* Drops the interfaces missing from the newest sample, keeping the others in order. */
static void
net_dev_prune(struct net_dev_state *st)
{
	size_t j = 0;

	for (size_t i = 0; i < st->ninst; i++) {
		if (!st->inst[i].seen) {
			log_info("interface %s disappeared", st->inst[i].name);
			procfile_free(st->inst[i].operstate);
			continue;
		}
		if (i != j)
			st->inst[j] = st->inst[i];
		j++;
	}
	st->ninst = j;
}

static int
net_dev_parse_rows(const char *text, size_t len, void *rows, size_t cap, size_t *n)
{
	return net_dev_parse(text, len, rows, cap, n);
}

static void *
net_dev_init(const struct source_env *env, char *why, size_t whylen)
{
	struct net_dev_state *st = xcalloc(1, sizeof(*st));

	st->pf = procfile_open(env->procfs, "net/dev", 4096, why, whylen);
	if (st->pf == NULL) {
		free(st);
		return NULL;
	}
	snprintf(st->sysfs, sizeof(st->sysfs), "%s", env->sysfs);
	rows_init(&st->ifs, net_dev_parse_rows, sizeof(struct net_dev_if), 16);
	return st;
}

static int
net_dev_sample(void *state, const struct tick *tick)
{
	struct net_dev_state *st = state;
	const struct net_dev_if *ifs;
	struct net_dev_inst *in;

	if (procfile_read_parse(st->pf, rows_parse, &st->ifs) != 0) {
		for (size_t i = 0; i < st->ninst; i++)
			st->inst[i].have_rate = false;
		return -1;
	}
	for (size_t i = 0; i < st->ninst; i++)
		st->inst[i].seen = false;
	ifs = st->ifs.v;
	for (size_t i = 0; i < st->ifs.n; i++) {
		in = net_dev_find(st, &ifs[i], i);
		if (in == NULL)
			in = net_dev_add(st, &ifs[i]);
		else
			net_dev_update(in, &ifs[i], tick->dt);
		in->seen = true;
		net_dev_read_state(st, in);
	}
	net_dev_prune(st);
	return 0;
}

static int
net_dev_encode_one(struct jk_arr *rows, const struct net_dev_inst *in)
{
	struct jk_obj c, *row = &c;
	bool speed = in->speed_mbps > 0;
	double peak = in->rate[NET_DEV_RX_BYTES] > in->rate[NET_DEV_TX_BYTES]
			      ? in->rate[NET_DEV_RX_BYTES]
			      : in->rate[NET_DEV_TX_BYTES];
	int rc = 0;

	jk_begin(row, jk_arr_obj(rows));
	jk_str(row, "iface", in->name);
	for (int i = 0; i < NET_DEV_NCOUNTERS; i++)
		rc |= section_jk_real(row, net_dev_rate_keys[i], true, in->rate[i]);
	rc |= section_jk_int(row, "speed_mbps", speed, in->speed_mbps);
	/* Full duplex: the busier direction against the link speed, as sar's %ifutil. */
	rc |= section_jk_real(row, "util_pct", speed,
			      peak * 8.0 / ((double)in->speed_mbps * 1e6) * 100.0);
	jk_str(row, "operstate", in->oper[0] != '\0' ? in->oper : NULL);
	rc |= jk_end(row);
	return rc == 0 ? 0 : -1;
}

static int
net_dev_encode(void *state, json_t *frame)
{
	struct net_dev_state *st = state;
	struct jk_arr rows;

	jk_arr_begin(&rows, section_kept(frame, "net", &st->section, true));
	for (size_t i = 0; i < st->ninst; i++)
		if (st->inst[i].have_rate && net_dev_encode_one(&rows, &st->inst[i]) != 0)
			return -1;
	return jk_arr_end(&rows);
}

static void
net_dev_fini(void *state)
{
	struct net_dev_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ninst; i++)
		procfile_free(st->inst[i].operstate);
	procfile_free(st->pf);
	free(st->inst);
	rows_free(&st->ifs);
	json_decref(st->section);
	free(st);
}

const struct source_ops net_dev_source = {
	.name = "net",
	.init = net_dev_init,
	.sample = net_dev_sample,
	.encode = net_dev_encode,
	.fini = net_dev_fini,
};
