/* Tests for the net source: /proc/net/dev layouts, rates, speed/utilisation, hot-plug, reset. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/net_dev.h"
#include "os_fixture.h"
#include "unit_suites.h"

#define NET_HDR                                                                                    \
	"Inter-|   Receive                                                |  Transmit\n"           \
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs " \
	"drop fifo colls carrier compressed\n"

START_TEST(test_net_dev_parse_fixtures)
{
	struct net_dev_if ifs[8];
	size_t len, n;
	char *text = fx_read("proc/linux-6.18/net/dev", &len);

	ck_assert_int_eq(net_dev_parse(text, len, ifs, 8, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(ifs[3].name, "eth0");
	ck_assert_uint_eq(ifs[3].c[NET_DEV_RX_BYTES], 413203028);
	ck_assert_uint_eq(ifs[3].c[NET_DEV_TX_PACKETS], 4989);
	free(text);

	text = fx_read("proc/linux-4.9/net/dev", &len);
	/* Too small an array: the count still tells how many there are. */
	ck_assert_int_eq(net_dev_parse(text, len, ifs, 2, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(ifs[0].name, "eth0");
	ck_assert_uint_eq(ifs[0].c[NET_DEV_RX_BYTES], 81723991234ull);
	ck_assert_uint_eq(ifs[0].c[NET_DEV_RX_MULTICAST], 40211);
	free(text);

	/* 2.x kernels glued the first number to the colon. */
	text = strdup(NET_HDR "  eth0:123 4 0 0 0 0 0 0 567 8 0 0 0 0 0 0\n");
	ck_assert_int_eq(net_dev_parse(text, strlen(text), ifs, 8, &n), 0);
	ck_assert_uint_eq(ifs[0].c[NET_DEV_RX_BYTES], 123);
	ck_assert_uint_eq(ifs[0].c[NET_DEV_TX_BYTES], 567);
	free(text);
	text = strdup(NET_HDR "  eth0: 1 2 3\n");
	ck_assert_int_eq(net_dev_parse(text, strlen(text), ifs, 8, &n), -1);
	free(text);
}
END_TEST

static void
write_dev(const char *dir, const char *lines)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), NET_HDR "%s", lines);
	fx_write(dir, "proc/net/dev", buf);
}

START_TEST(test_net_dev_rates_hotplug_and_reset)
{
	char dir[64], proc[128], sys[128], why[256];
	struct source_env env = {.procfs = proc, .sysfs = sys};
	void *st;
	json_t *f, *rows, *eth;

	fx_tmpdir(dir, sizeof(dir));
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	fx_write(sys, "class/net/eth0/operstate", "up\n");
	fx_write(sys, "class/net/eth0/speed", "1000\n");
	fx_write(sys, "class/net/veth0/operstate", "up\n");
	fx_write(sys, "class/net/veth1/operstate", "up\n");
	write_dev(dir, "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n"
		       " veth0: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n");
	st = net_dev_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&net_dev_source, st, 0, 0);
	ck_assert_uint_eq(json_array_size(json_object_get(f, "net")), 0);
	json_decref(f);

	/* 125 MB received in 2 s on a 1 Gbit/s link: 62.5 MB/s, 50 % utilisation. */
	write_dev(dir, "  eth0: 125001000 1010 1 2 0 0 0 4 2000 20 0 0 0 0 0 0\n"
		       " veth1: 7 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n");
	f = fx_tick(&net_dev_source, st, 1, 2.0);
	rows = json_object_get(f, "net");
	ck_assert_uint_eq(json_array_size(rows), 1); /* veth0 gone, veth1 only a baseline */
	eth = fx_row(rows, "iface", "eth0");
	ck_assert_double_eq_tol(fx_num(eth, "rx_bytes_per_s"), 62500000, 1e-6);
	ck_assert_double_eq_tol(fx_num(eth, "rx_packets_per_s"), 500, 1e-9);
	ck_assert_double_eq_tol(fx_num(eth, "rx_drops_per_s"), 1, 1e-9);
	ck_assert_double_eq_tol(fx_num(eth, "rx_multicast_per_s"), 2, 1e-9);
	ck_assert_double_eq_tol(fx_num(eth, "tx_bytes_per_s"), 0, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(eth, "speed_mbps")), 1000);
	ck_assert_double_eq_tol(fx_num(eth, "util_pct"), 50, 1e-9);
	ck_assert_str_eq(json_string_value(json_object_get(eth, "operstate")), "up");
	json_decref(f);

	/* eth0 re-created (counters restart): no rate this tick, not a huge or negative one. */
	fx_write(sys, "class/net/eth0/operstate", "down\n");
	write_dev(dir, "  eth0: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n"
		       " veth1: 1007 11 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n");
	f = fx_tick(&net_dev_source, st, 2, 1.0);
	rows = json_object_get(f, "net");
	ck_assert_uint_eq(json_array_size(rows), 1);
	eth = fx_row(rows, "iface", "veth1");
	ck_assert_double_eq_tol(fx_num(eth, "rx_bytes_per_s"), 1000, 1e-9);
	/* No speed file: unknown speed and utilisation, not 0. */
	fx_null(eth, "speed_mbps");
	fx_null(eth, "util_pct");
	json_decref(f);

	write_dev(dir, "  eth0: 20 2 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n"
		       " veth1: 1007 11 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n");
	f = fx_tick(&net_dev_source, st, 3, 0.5);
	eth = fx_row(json_object_get(f, "net"), "iface", "eth0");
	ck_assert_ptr_nonnull(eth);
	ck_assert_double_eq_tol(fx_num(eth, "rx_bytes_per_s"), 20, 1e-9);
	ck_assert_str_eq(json_string_value(json_object_get(eth, "operstate")), "down");
	json_decref(f);
	net_dev_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

START_TEST(test_net_dev_recorded_tree)
{
	char proc[1024], sys[1024], why[256];
	struct source_env env = {.procfs = proc, .sysfs = sys};
	void *st;
	json_t *f, *lo;

	snprintf(proc, sizeof(proc), "%s", fx_dir("proc/linux-6.18"));
	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-6.18"));
	st = net_dev_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	json_decref(fx_tick(&net_dev_source, st, 0, 0));
	f = fx_tick(&net_dev_source, st, 1, 1.0);
	ck_assert_uint_eq(json_array_size(json_object_get(f, "net")), 4);
	lo = fx_row(json_object_get(f, "net"), "iface", "lo");
	ck_assert_double_eq(fx_num(lo, "rx_bytes_per_s"), 0); /* same file twice: truly 0 */
	fx_null(lo, "speed_mbps");
	ck_assert_str_eq(json_string_value(json_object_get(lo, "operstate")), "unknown");
	/* virtio reports -1 (SPEED_UNKNOWN). */
	fx_null(fx_row(json_object_get(f, "net"), "iface", "eth0"), "speed_mbps");
	json_decref(f);
	net_dev_source.fini(st);
}
END_TEST

Suite *
net_dev_suite(void)
{
	Suite *s = suite_create("net_dev");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_net_dev_parse_fixtures);
	tcase_add_test(tc, test_net_dev_rates_hotplug_and_reset);
	tcase_add_test(tc, test_net_dev_recorded_tree);
	suite_add_tcase(s, tc);
	return s;
}
