/* Tests for the tcp source: Tcp/TcpExt header-value pairs across kernels, rates, gauges. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/net_snmp.h"
#include "os_fixture.h"
#include "unit_suites.h"

static const char *const names[] = {"MaxConn", "ActiveOpens", "CurrEstab", "OutRsts", "Nope"};

START_TEST(test_net_snmp_parse_fixtures)
{
	static const char *const ext[] = {"ListenOverflows", "ListenDrops"};
	uint64_t v[5];
	bool present[5];
	size_t len;
	char *text = fx_read("proc/linux-6.18/net/snmp", &len);

	ck_assert_int_eq(net_snmp_parse(text, len, "Tcp", names, 5, v, present), 0);
	ck_assert(!present[0]); /* MaxConn is -1: not a counter */
	ck_assert(present[1] && present[2] && present[3] && !present[4]);
	ck_assert_uint_eq(v[1], 54);
	ck_assert_uint_eq(v[2], 0);
	ck_assert_uint_eq(v[3], 78);
	/* The prefix is a whole word: "Tc" is not "Tcp". */
	ck_assert_int_eq(net_snmp_parse(text, len, "Tc", names, 5, v, present), -1);
	free(text);

	text = fx_read("proc/linux-4.9/net/netstat", &len);
	ck_assert_int_eq(net_snmp_parse(text, len, "TcpExt", ext, 2, v, present), 0);
	ck_assert(present[0] && present[1]);
	ck_assert_uint_eq(v[0], 312);
	free(text);
	text = fx_read("proc/linux-5.4/net/netstat", &len);
	ck_assert_int_eq(net_snmp_parse(text, len, "TcpExt", ext, 2, v, present), 0);
	ck_assert_uint_eq(v[1], 4);
	free(text);
}
END_TEST

START_TEST(test_net_snmp_parse_rejects_mismatch)
{
	static const char *const bad[] = {
		"Tcp: A B C\n",
		"Tcp: A B C\nTcp: 1 2\n",
		"Tcp: A B\nTcp: 1 2 3\n",
		"Tcp: A B\nTcp: 1 x\n",
	};
	uint64_t v[5];
	bool present[5];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(net_snmp_parse(bad[i], strlen(bad[i]), "Tcp", names, 5, v, present) ==
				      -1,
			      "accepted %s", bad[i]);
}
END_TEST

#define TCP_HDR                                                                                    \
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "           \
	"EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
#define EXT_HDR "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"

START_TEST(test_net_snmp_rates)
{
	char dir[64], why[256];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	void *st;
	json_t *f, *tcp;

	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "net/snmp", TCP_HDR "Tcp: 1 200 120000 -1 10 20 0 0 3 1000 2000 0 0 5 0\n");
	fx_write(dir, "net/netstat", EXT_HDR "TcpExt: 0 7 7\n");
	st = net_snmp_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&net_snmp_source, st, 0, 0);
	ck_assert_ptr_null(json_object_get(f, "tcp"));
	json_decref(f);
	fx_write(dir, "net/snmp", TCP_HDR "Tcp: 1 200 120000 -1 14 22 1 0 5 1400 2800 20 0 9 0\n");
	fx_write(dir, "net/netstat", EXT_HDR "TcpExt: 0 9 10\n");
	f = fx_tick(&net_snmp_source, st, 1, 4.0);
	tcp = json_object_get(f, "tcp");
	ck_assert_double_eq_tol(fx_num(tcp, "active_opens_per_s"), 1, 1e-9);
	ck_assert_double_eq_tol(fx_num(tcp, "passive_opens_per_s"), 0.5, 1e-9);
	ck_assert_double_eq_tol(fx_num(tcp, "out_segs_per_s"), 200, 1e-9);
	ck_assert_double_eq_tol(fx_num(tcp, "retrans_segs_per_s"), 5, 1e-9);
	ck_assert_double_eq_tol(fx_num(tcp, "retrans_pct"), 2.5, 1e-9);
	ck_assert_double_eq_tol(fx_num(tcp, "listen_drops_per_s"), 0.75, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(tcp, "established")), 5);
	ck_assert_ptr_null(json_object_get(f, "unavailable"));
	json_decref(f);
	net_snmp_source.fini(st);

	/* Without /proc/net/netstat: listen drops unknown and said so, the rest still there. */
	ck_assert_int_eq(remove(strcat(strcpy(why, dir), "/net/netstat")), 0);
	st = net_snmp_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	json_decref(fx_tick(&net_snmp_source, st, 0, 0));
	f = fx_tick(&net_snmp_source, st, 1, 1.0);
	tcp = json_object_get(f, "tcp");
	fx_null(tcp, "listen_drops_per_s");
	ck_assert_double_eq_tol(fx_num(tcp, "active_opens_per_s"), 0, 1e-9);
	ck_assert_ptr_nonnull(
		json_object_get(json_object_get(f, "unavailable"), "tcp.listen_drops_per_s"));
	json_decref(f);
	net_snmp_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

Suite *
net_snmp_suite(void)
{
	Suite *s = suite_create("net_snmp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_net_snmp_parse_fixtures);
	tcase_add_test(tc, test_net_snmp_parse_rejects_mismatch);
	tcase_add_test(tc, test_net_snmp_rates);
	suite_add_tcase(s, tc);
	return s;
}
