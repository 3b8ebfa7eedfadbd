/*
 * The "tcp" source: kept fds on /proc/net/snmp and /proc/net/netstat, the Tcp and TcpExt
 * header/value line pairs parsed by name, turned into per-second rates.
 */
#include "collector/sources/net_snmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/procfile.h"
#include "collector/scan.h"
#include "collector/sources/counter.h"
#include "collector/sources/section.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "net_snmp"

/* The Tcp: counters, then the TcpExt: ones; CurrEstab is a gauge. */
enum {
	TCP_ACTIVE_OPENS,
	TCP_PASSIVE_OPENS,
	TCP_ATTEMPT_FAILS,
	TCP_ESTAB_RESETS,
	TCP_CURR_ESTAB,
	TCP_IN_SEGS,
	TCP_OUT_SEGS,
	TCP_RETRANS_SEGS,
	TCP_IN_ERRS,
	TCP_OUT_RSTS,
	TCP_NSNMP,
	TCP_LISTEN_OVERFLOWS = TCP_NSNMP,
	TCP_LISTEN_DROPS,
	TCP_N
};

static const char *const net_snmp_names[TCP_N] = {
	"ActiveOpens", "PassiveOpens", "AttemptFails",	  "EstabResets",
	"CurrEstab",   "InSegs",       "OutSegs",	  "RetransSegs",
	"InErrs",      "OutRsts",      "ListenOverflows", "ListenDrops",
};

/* Frame keys of the rates, NULL for the gauge. */
static const char *const net_snmp_keys[TCP_N] = {
	"active_opens_per_s",
	"passive_opens_per_s",
	"attempt_fails_per_s",
	"estab_resets_per_s",
	NULL,
	"in_segs_per_s",
	"out_segs_per_s",
	"retrans_segs_per_s",
	"in_errs_per_s",
	"out_rsts_per_s",
	"listen_overflows_per_s",
	"listen_drops_per_s",
};

struct net_snmp_reading {
	uint64_t v[TCP_N];
	bool present[TCP_N];
};

struct net_snmp_state {
	struct procfile *snmp, *netstat; /* netstat may be NULL */
	struct net_snmp_reading cur, prev;
	bool have_cur, have_prev;
	double dt;
	struct log_limit parse_limit;
	json_t *section; /* kept between ticks (jkeep.h) */
};

/* Moves s to the start of the next line that begins with "<prefix>:"; false when none. */
static bool
net_snmp_find(struct scan *s, const char *prefix)
{
	size_t plen = strlen(prefix);

	do {
		if ((size_t)(s->end - s->p) > plen && memcmp(s->p, prefix, plen) == 0 &&
		    s->p[plen] == ':') {
			s->p += plen + 1;
			return true;
		}
	} while (scan_next_line(s));
	return false;
}

/* Reads the next value token; a negative one (Tcp MaxConn = -1) is not a counter. */
static bool
net_snmp_value(struct scan *s, uint64_t *v, bool *counter)
{
	scan_blanks(s);
	*counter = !scan_char(s, '-');
	return scan_u64(s, v);
}

int
net_snmp_parse(const char *text, size_t len, const char *prefix, const char *const *names, size_t n,
	       uint64_t *vals, bool *present)
{
	struct scan hdr = scan_init(text, len), val;
	const char *w;
	size_t wlen;
	uint64_t v;
	bool counter;

	memset(present, 0, n * sizeof(*present));
	if (!net_snmp_find(&hdr, prefix))
		return -1;
	val = hdr;
	if (!scan_next_line(&val) || !net_snmp_find(&val, prefix))
		return -1;
	while (scan_word(&hdr, 0, &w, &wlen)) {
		if (!net_snmp_value(&val, &v, &counter))
			return -1;
		for (size_t i = 0; i < n && counter; i++) {
			if (scan_word_is(w, wlen, names[i])) {
				vals[i] = v;
				present[i] = true;
				break;
			}
		}
	}
	scan_blanks(&val);
	return scan_eol(&val) ? 0 : -1;
}

static void *
net_snmp_init(const struct source_env *env, char *why, size_t whylen)
{
	struct net_snmp_state *st = xcalloc(1, sizeof(*st));
	char err[256];

	st->snmp = procfile_open(env->procfs, "net/snmp", 4096, why, whylen);
	if (st->snmp == NULL) {
		free(st);
		return NULL;
	}
	st->netstat = procfile_open(env->procfs, "net/netstat", 8192, err, sizeof(err));
	if (st->netstat == NULL)
		log_warn("no listen-queue drops: %s", err);
	st->parse_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	return st;
}

static int
net_snmp_sample(void *state, const struct tick *tick)
{
	struct net_snmp_state *st = state;
	struct net_snmp_reading *r = &st->cur;
	const char *text;
	size_t len;

	st->prev = st->cur;
	st->have_prev = st->have_cur;
	st->have_cur = false;
	st->dt = tick->dt;
	if (procfile_read(st->snmp, &text, &len) != 0)
		return -1;
	if (net_snmp_parse(text, len, "Tcp", net_snmp_names, TCP_NSNMP, r->v, r->present) != 0) {
		log_limited(&st->parse_limit, LOG_LEVEL_WARN, "cannot parse the Tcp lines of %s",
			    procfile_path(st->snmp));
		return -1;
	}
	if (st->netstat != NULL) {
		if (procfile_read(st->netstat, &text, &len) != 0)
			return -1;
		if (net_snmp_parse(text, len, "TcpExt", net_snmp_names + TCP_NSNMP,
				   TCP_N - TCP_NSNMP, r->v + TCP_NSNMP,
				   r->present + TCP_NSNMP) != 0) {
			log_limited(&st->parse_limit, LOG_LEVEL_WARN,
				    "cannot parse the TcpExt lines of %s",
				    procfile_path(st->netstat));
			return -1;
		}
	}
	st->have_cur = true;
	return 0;
}

static int
net_snmp_encode(void *state, json_t *frame)
{
	struct net_snmp_state *st = state;
	uint64_t d[TCP_N] = {0};
	bool ok[TCP_N];
	struct jk_obj c, *o = &c;
	int rc = 0;

	if (!st->have_cur || !st->have_prev || st->dt <= 0)
		return 0;
	jk_begin(o, section_kept(frame, "tcp", &st->section, false));
	for (int i = 0; i < TCP_N; i++) {
		ok[i] = st->cur.present[i] && st->prev.present[i] &&
			counter_delta(st->prev.v[i], st->cur.v[i], 64, &d[i]);
		if (net_snmp_keys[i] != NULL)
			rc |= section_jk_real(o, net_snmp_keys[i], ok[i], (double)d[i] / st->dt);
	}
	if (st->netstat == NULL)
		rc |= section_unavailable(frame, "tcp.listen_drops_per_s",
					  "no /proc/net/netstat: listen-queue overflows and drops "
					  "are not counted");
	rc |= section_jk_int(o, "established", st->cur.present[TCP_CURR_ESTAB],
			     (json_int_t)st->cur.v[TCP_CURR_ESTAB]);
	/* Retransmitted share of the segments sent, as sar -n ETCP's retrans/s over oseg/s. */
	rc |= section_jk_real(o, "retrans_pct",
			      ok[TCP_RETRANS_SEGS] && ok[TCP_OUT_SEGS] && d[TCP_OUT_SEGS] > 0,
			      100.0 * (double)d[TCP_RETRANS_SEGS] / (double)d[TCP_OUT_SEGS]);
	rc |= jk_end(o);
	return rc == 0 ? 0 : -1;
}

static void
net_snmp_fini(void *state)
{
	struct net_snmp_state *st = state;

	if (st == NULL)
		return;
	procfile_free(st->snmp);
	procfile_free(st->netstat);
	json_decref(st->section);
	free(st);
}

const struct source_ops net_snmp_source = {
	.name = "tcp",
	.init = net_snmp_init,
	.sample = net_snmp_sample,
	.encode = net_snmp_encode,
	.fini = net_snmp_fini,
};
