/*
 * The metric catalogue table. A new subsystem adds its rows here, next to its migration; the
 * API server's /api/v1/query reads names, tables and columns from nowhere else.
 */
#include "common/metrics.h"

#include <string.h>

/* Rows follow migrations/001_init.sql; a new source appends its rows. */
static const struct metric metrics_table[] = {
	{"cpu.usr", "cpu_samples", "usr", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: user mode (excluding nice)"},
	{"cpu.nice", "cpu_samples", "nice", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: user mode at positive nice"},
	{"cpu.sys", "cpu_samples", "sys", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: kernel mode"},
	{"cpu.idle", "cpu_samples", "idle", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: idle"},
	{"cpu.iowait", "cpu_samples", "iowait", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: idle with I/O outstanding"},
	{"cpu.irq", "cpu_samples", "irq", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: servicing hardware interrupts"},
	{"cpu.softirq", "cpu_samples", "softirq", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: servicing softirqs"},
	{"cpu.steal", "cpu_samples", "steal", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: stolen by the hypervisor"},
	{"cpu.guest", "cpu_samples", "guest", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: running a guest (also in usr)"},
	{"cpu.guest_nice", "cpu_samples", "guest_nice", "cpu", "-1", "%", METRIC_PERCENT,
	 "percent of elapsed time: running a niced guest (also in nice)"},
	{"mem.total_kb", "memory_samples", "total_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "MemTotal: usable RAM"},
	{"mem.free_kb", "memory_samples", "free_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "MemFree: unused RAM"},
	{"mem.available_kb", "memory_samples", "available_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "MemAvailable: RAM available without swapping"},
	{"mem.buffers_kb", "memory_samples", "buffers_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Buffers: block device buffers"},
	{"mem.cached_kb", "memory_samples", "cached_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Cached: page cache"},
	{"mem.swap_total_kb", "memory_samples", "swap_total_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "SwapTotal: swap space"},
	{"mem.swap_free_kb", "memory_samples", "swap_free_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "SwapFree: unused swap space"},
	{"load.load1", "load_samples", "load1", NULL, NULL, "", METRIC_GAUGE,
	 "load average over 1 minute"},
	{"load.load5", "load_samples", "load5", NULL, NULL, "", METRIC_GAUGE,
	 "load average over 5 minutes"},
	{"load.load15", "load_samples", "load15", NULL, NULL, "", METRIC_GAUGE,
	 "load average over 15 minutes"},
	{"load.running", "load_samples", "running", NULL, NULL, "tasks", METRIC_GAUGE,
	 "runnable tasks"},
	{"load.tasks", "load_samples", "tasks", NULL, NULL, "tasks", METRIC_GAUGE,
	 "tasks (threads) that exist"},
	/* migrations/002_os_metrics.sql: the OS sources of collector/sources/. */
	{"pressure.some_avg10", "pressure_samples", "some_avg10", "resource", NULL, "%",
	 METRIC_PERCENT,
	 "share of the last 10 s in which at least one task stalled on the resource (kernel "
	 "average)"},
	{"pressure.some_avg60", "pressure_samples", "some_avg60", "resource", NULL, "%",
	 METRIC_PERCENT,
	 "share of the last 60 s in which at least one task stalled on the resource (kernel "
	 "average)"},
	{"pressure.some_avg300", "pressure_samples", "some_avg300", "resource", NULL, "%",
	 METRIC_PERCENT,
	 "share of the last 300 s in which at least one task stalled on the resource (kernel "
	 "average)"},
	{"pressure.some_stall_pct", "pressure_samples", "some_stall_pct", "resource", NULL, "%",
	 METRIC_PERCENT,
	 "share of this tick's elapsed time in which at least one task stalled (from the total "
	 "counter)"},
	{"pressure.full_avg10", "pressure_samples", "full_avg10", "resource", NULL, "%",
	 METRIC_PERCENT,
	 "share of the last 10 s in which all non-idle tasks stalled at once; NULL where the "
	 "kernel has no full line (cpu before 5.13)"},
	{"pressure.full_avg60", "pressure_samples", "full_avg60", "resource", NULL, "%",
	 METRIC_PERCENT, "share of the last 60 s in which all non-idle tasks stalled at once"},
	{"pressure.full_avg300", "pressure_samples", "full_avg300", "resource", NULL, "%",
	 METRIC_PERCENT, "share of the last 300 s in which all non-idle tasks stalled at once"},
	{"pressure.full_stall_pct", "pressure_samples", "full_stall_pct", "resource", NULL, "%",
	 METRIC_PERCENT, "share of this tick's elapsed time in which all non-idle tasks stalled"},
	{"vmstat.page_in_kb_per_s", "vmstat_samples", "page_in_kb_per_s", NULL, NULL, "KiB/s",
	 METRIC_RATE, "read from block devices, in KiB per second (pgpgin; vmstat bi)"},
	{"vmstat.page_out_kb_per_s", "vmstat_samples", "page_out_kb_per_s", NULL, NULL, "KiB/s",
	 METRIC_RATE, "written to block devices, in KiB per second (pgpgout; vmstat bo)"},
	{"vmstat.swap_in_pages_per_s", "vmstat_samples", "swap_in_pages_per_s", NULL, NULL,
	 "pages/s", METRIC_RATE,
	 "pages swapped in per second (pswpin; vmstat si = this x page size)"},
	{"vmstat.swap_out_pages_per_s", "vmstat_samples", "swap_out_pages_per_s", NULL, NULL,
	 "pages/s", METRIC_RATE, "pages swapped out per second (pswpout)"},
	{"vmstat.minor_faults_per_s", "vmstat_samples", "minor_faults_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "minor page faults per second (pgfault - pgmajfault)"},
	{"vmstat.major_faults_per_s", "vmstat_samples", "major_faults_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "major page faults (needing I/O) per second (pgmajfault)"},
	{"vmstat.pgscan_kswapd_per_s", "vmstat_samples", "pgscan_kswapd_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "pages scanned by kswapd per second (sar -B pgscank/s)"},
	{"vmstat.pgscan_direct_per_s", "vmstat_samples", "pgscan_direct_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "pages scanned in direct reclaim per second (sar -B pgscand/s)"},
	{"vmstat.pgsteal_kswapd_per_s", "vmstat_samples", "pgsteal_kswapd_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "pages reclaimed by kswapd per second"},
	{"vmstat.pgsteal_direct_per_s", "vmstat_samples", "pgsteal_direct_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "pages reclaimed in direct reclaim per second"},
	{"vmstat.oom_kills", "vmstat_samples", "oom_kills", NULL, NULL, "", METRIC_GAUGE,
	 "processes killed by the OOM killer during the tick (count); NULL before Linux 4.13"},
	{"softirqs.hi_per_s", "softirqs_samples", "hi_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: HI (high-priority tasklets)"},
	{"softirqs.timer_per_s", "softirqs_samples", "timer_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: TIMER"},
	{"softirqs.net_tx_per_s", "softirqs_samples", "net_tx_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: NET_TX (network transmit)"},
	{"softirqs.net_rx_per_s", "softirqs_samples", "net_rx_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: NET_RX (network receive)"},
	{"softirqs.block_per_s", "softirqs_samples", "block_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: BLOCK (block I/O completion)"},
	{"softirqs.irq_poll_per_s", "softirqs_samples", "irq_poll_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "softirqs per second: IRQ_POLL (BLOCK_IOPOLL before 4.4)"},
	{"softirqs.tasklet_per_s", "softirqs_samples", "tasklet_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "softirqs per second: TASKLET"},
	{"softirqs.sched_per_s", "softirqs_samples", "sched_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: SCHED (load balancing)"},
	{"softirqs.hrtimer_per_s", "softirqs_samples", "hrtimer_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "softirqs per second: HRTIMER"},
	{"softirqs.rcu_per_s", "softirqs_samples", "rcu_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "softirqs per second: RCU"},
	{"net.rx_bytes_per_s", "net_samples", "rx_bytes_per_s", "iface", NULL, "B/s", METRIC_RATE,
	 "bytes received per second"},
	{"net.rx_packets_per_s", "net_samples", "rx_packets_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "packets received per second"},
	{"net.rx_errors_per_s", "net_samples", "rx_errors_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "receive errors per second"},
	{"net.rx_drops_per_s", "net_samples", "rx_drops_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "received packets dropped per second"},
	{"net.rx_fifo_per_s", "net_samples", "rx_fifo_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "receive FIFO overruns per second"},
	{"net.rx_frame_per_s", "net_samples", "rx_frame_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "receive framing errors per second"},
	{"net.rx_compressed_per_s", "net_samples", "rx_compressed_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "compressed packets received per second"},
	{"net.rx_multicast_per_s", "net_samples", "rx_multicast_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "multicast packets received per second"},
	{"net.tx_bytes_per_s", "net_samples", "tx_bytes_per_s", "iface", NULL, "B/s", METRIC_RATE,
	 "bytes sent per second"},
	{"net.tx_packets_per_s", "net_samples", "tx_packets_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "packets sent per second"},
	{"net.tx_errors_per_s", "net_samples", "tx_errors_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "transmit errors per second"},
	{"net.tx_drops_per_s", "net_samples", "tx_drops_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "packets dropped on transmit per second"},
	{"net.tx_fifo_per_s", "net_samples", "tx_fifo_per_s", "iface", NULL, "/s", METRIC_RATE,
	 "transmit FIFO errors per second"},
	{"net.tx_collisions_per_s", "net_samples", "tx_collisions_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "collisions per second"},
	{"net.tx_carrier_per_s", "net_samples", "tx_carrier_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "carrier losses per second"},
	{"net.tx_compressed_per_s", "net_samples", "tx_compressed_per_s", "iface", NULL, "/s",
	 METRIC_RATE, "compressed packets sent per second"},
	{"net.speed_mbps", "net_samples", "speed_mbps", "iface", NULL, "Mbit/s", METRIC_GAUGE,
	 "link speed in Mbit/s from /sys/class/net/<iface>/speed; NULL when the driver reports "
	 "none (virtual devices, down links)"},
	{"net.util_pct", "net_samples", "util_pct", "iface", NULL, "%", METRIC_PERCENT,
	 "the busier direction's bits per second over the link speed (sar %ifutil, full duplex); "
	 "NULL without a speed"},
	{"tcp.active_opens_per_s", "tcp_samples", "active_opens_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "connections opened by this host per second (ActiveOpens; sar active/s)"},
	{"tcp.passive_opens_per_s", "tcp_samples", "passive_opens_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "connections accepted per second (PassiveOpens; sar passive/s)"},
	{"tcp.attempt_fails_per_s", "tcp_samples", "attempt_fails_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "failed connection attempts per second (AttemptFails; sar atmptf/s)"},
	{"tcp.estab_resets_per_s", "tcp_samples", "estab_resets_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "established connections reset per second (EstabResets; sar estres/s)"},
	{"tcp.in_segs_per_s", "tcp_samples", "in_segs_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "segments received per second (InSegs; sar iseg/s)"},
	{"tcp.out_segs_per_s", "tcp_samples", "out_segs_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "segments sent per second (OutSegs; sar oseg/s)"},
	{"tcp.retrans_segs_per_s", "tcp_samples", "retrans_segs_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "segments retransmitted per second (RetransSegs; sar retrans/s)"},
	{"tcp.in_errs_per_s", "tcp_samples", "in_errs_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "segments received in error per second (InErrs; sar isegerr/s)"},
	{"tcp.out_rsts_per_s", "tcp_samples", "out_rsts_per_s", NULL, NULL, "/s", METRIC_RATE,
	 "resets sent per second (OutRsts; sar orsts/s)"},
	{"tcp.listen_overflows_per_s", "tcp_samples", "listen_overflows_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "accept-queue overflows per second (TcpExt ListenOverflows)"},
	{"tcp.listen_drops_per_s", "tcp_samples", "listen_drops_per_s", NULL, NULL, "/s",
	 METRIC_RATE, "sYNs dropped at listening sockets per second (TcpExt ListenDrops)"},
	{"tcp.established", "tcp_samples", "established", NULL, NULL, "", METRIC_GAUGE,
	 "connections in ESTABLISHED or CLOSE-WAIT now (CurrEstab) (count)"},
	{"tcp.retrans_pct", "tcp_samples", "retrans_pct", NULL, NULL, "%", METRIC_PERCENT,
	 "segments retransmitted over segments sent during the tick"},
	{"disk.reads_per_s", "disk_samples", "reads_per_s", "dev", NULL, "/s", METRIC_RATE,
	 "reads completed per second (iostat r/s)"},
	{"disk.writes_per_s", "disk_samples", "writes_per_s", "dev", NULL, "/s", METRIC_RATE,
	 "writes completed per second (iostat w/s)"},
	{"disk.read_bytes_per_s", "disk_samples", "read_bytes_per_s", "dev", NULL, "B/s",
	 METRIC_RATE, "bytes read per second (iostat rkB/s x 1024)"},
	{"disk.write_bytes_per_s", "disk_samples", "write_bytes_per_s", "dev", NULL, "B/s",
	 METRIC_RATE, "bytes written per second (iostat wkB/s x 1024)"},
	{"disk.reads_merged_per_s", "disk_samples", "reads_merged_per_s", "dev", NULL, "/s",
	 METRIC_RATE, "adjacent reads merged per second (iostat rrqm/s)"},
	{"disk.writes_merged_per_s", "disk_samples", "writes_merged_per_s", "dev", NULL, "/s",
	 METRIC_RATE, "adjacent writes merged per second (iostat wrqm/s)"},
	{"disk.read_await_ms", "disk_samples", "read_await_ms", "dev", NULL, "ms", METRIC_GAUGE,
	 "mean time per read in ms, queue included (iostat r_await); NULL without reads"},
	{"disk.write_await_ms", "disk_samples", "write_await_ms", "dev", NULL, "ms", METRIC_GAUGE,
	 "mean time per write in ms, queue included (iostat w_await); NULL without writes"},
	{"disk.util_pct", "disk_samples", "util_pct", "dev", NULL, "%", METRIC_PERCENT,
	 "time the device had I/O in flight (iostat %util)"},
	{"disk.queue_len", "disk_samples", "queue_len", "dev", NULL, "", METRIC_GAUGE,
	 "mean number of requests in flight or queued (iostat aqu-sz)"},
	{"disk.in_flight", "disk_samples", "in_flight", "dev", NULL, "", METRIC_GAUGE,
	 "requests in flight at the sample (count)"},
	{"disk.discards_per_s", "disk_samples", "discards_per_s", "dev", NULL, "/s", METRIC_RATE,
	 "discards completed per second; NULL before Linux 4.18"},
	{"disk.discard_bytes_per_s", "disk_samples", "discard_bytes_per_s", "dev", NULL, "B/s",
	 METRIC_RATE, "bytes discarded per second; NULL before Linux 4.18"},
	{"disk.discard_await_ms", "disk_samples", "discard_await_ms", "dev", NULL, "ms",
	 METRIC_GAUGE, "mean time per discard in ms; NULL without discards"},
	{"disk.flushes_per_s", "disk_samples", "flushes_per_s", "dev", NULL, "/s", METRIC_RATE,
	 "flush requests completed per second; NULL before Linux 5.5"},
	{"disk.flush_await_ms", "disk_samples", "flush_await_ms", "dev", NULL, "ms", METRIC_GAUGE,
	 "mean time per flush in ms; NULL without flushes"},
	{"fs.size_bytes", "fs_samples", "size_bytes", "mount", NULL, "B", METRIC_GAUGE,
	 "size of the filesystem (df 1B-blocks)"},
	{"fs.used_bytes", "fs_samples", "used_bytes", "mount", NULL, "B", METRIC_GAUGE,
	 "in use (df Used)"},
	{"fs.avail_bytes", "fs_samples", "avail_bytes", "mount", NULL, "B", METRIC_GAUGE,
	 "available to unprivileged users (df Avail)"},
	{"fs.used_pct", "fs_samples", "used_pct", "mount", NULL, "%", METRIC_PERCENT,
	 "used / (used + available), as df's Use%"},
	{"fs.inodes_total", "fs_samples", "inodes_total", "mount", NULL, "", METRIC_GAUGE,
	 "inodes in the filesystem; NULL where it has no fixed inode table (btrfs, vfat)"},
	{"fs.inodes_used", "fs_samples", "inodes_used", "mount", NULL, "", METRIC_GAUGE,
	 "inodes in use"},
	{"fs.inodes_free", "fs_samples", "inodes_free", "mount", NULL, "", METRIC_GAUGE,
	 "inodes free"},
	{"fs.inodes_used_pct", "fs_samples", "inodes_used_pct", "mount", NULL, "%", METRIC_PERCENT,
	 "inodes in use (df -i IUse%)"},
	{"cpufreq.freq_mhz", "cpufreq_samples", "freq_mhz", "cpu", NULL, "MHz", METRIC_GAUGE,
	 "current frequency in MHz as the cpufreq driver reports it"},
	{"thermal.temp_celsius", "thermal_samples", "temp_celsius", "sensor", NULL, "Cel",
	 METRIC_GAUGE, "temperature in degrees Celsius"},
	{"mem.swap_cached_kb", "memory_samples", "swap_cached_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "SwapCached: swapped out and back in, still in the swap file"},
	{"mem.active_kb", "memory_samples", "active_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Active: recently used, not reclaimed unless needed"},
	{"mem.inactive_kb", "memory_samples", "inactive_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Inactive: less recently used, reclaim candidates"},
	{"mem.active_anon_kb", "memory_samples", "active_anon_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Active(anon): anonymous memory recently used"},
	{"mem.inactive_anon_kb", "memory_samples", "inactive_anon_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "Inactive(anon): anonymous memory less recently used"},
	{"mem.active_file_kb", "memory_samples", "active_file_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Active(file): page cache recently used"},
	{"mem.inactive_file_kb", "memory_samples", "inactive_file_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "Inactive(file): page cache less recently used"},
	{"mem.unevictable_kb", "memory_samples", "unevictable_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Unevictable: cannot be reclaimed (mlocked, ramfs)"},
	{"mem.mlocked_kb", "memory_samples", "mlocked_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Mlocked: locked with mlock()"},
	{"mem.dirty_kb", "memory_samples", "dirty_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Dirty: waiting to be written back"},
	{"mem.writeback_kb", "memory_samples", "writeback_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Writeback: being written back now"},
	{"mem.anon_kb", "memory_samples", "anon_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "AnonPages: anonymous pages mapped into user page tables"},
	{"mem.mapped_kb", "memory_samples", "mapped_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Mapped: files mapped with mmap"},
	{"mem.shmem_kb", "memory_samples", "shmem_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Shmem: shared memory and tmpfs"},
	{"mem.slab_kb", "memory_samples", "slab_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "Slab: kernel slab caches"},
	{"mem.slab_reclaimable_kb", "memory_samples", "slab_reclaimable_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "SReclaimable: reclaimable slab (dentries, inodes)"},
	{"mem.slab_unreclaimable_kb", "memory_samples", "slab_unreclaimable_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "SUnreclaim: slab that cannot be reclaimed"},
	{"mem.kernel_stack_kb", "memory_samples", "kernel_stack_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "KernelStack: kernel stacks"},
	{"mem.page_tables_kb", "memory_samples", "page_tables_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "PageTables: page tables"},
	{"mem.commit_limit_kb", "memory_samples", "commit_limit_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "CommitLimit: allocation limit under strict overcommit"},
	{"mem.committed_as_kb", "memory_samples", "committed_as_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "Committed_AS: memory committed by all processes"},
	{"mem.vmalloc_used_kb", "memory_samples", "vmalloc_used_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "VmallocUsed: vmalloc area in use"},
	{"mem.anon_huge_kb", "memory_samples", "anon_huge_kb", NULL, NULL, "KiB", METRIC_GAUGE,
	 "AnonHugePages: anonymous transparent huge pages"},
	{"mem.huge_pages_total", "memory_samples", "huge_pages_total", NULL, NULL, "pages",
	 METRIC_GAUGE, "HugePages_Total: huge pages in the pool"},
	{"mem.huge_pages_free", "memory_samples", "huge_pages_free", NULL, NULL, "pages",
	 METRIC_GAUGE, "HugePages_Free: huge pages not yet allocated"},
	{"mem.huge_page_size_kb", "memory_samples", "huge_page_size_kb", NULL, NULL, "KiB",
	 METRIC_GAUGE, "Hugepagesize: size of a huge page"},
	{"cpu.ctxt_per_s", "cpu_samples", "ctxt_per_s", "cpu", "-1", "/s", METRIC_RATE,
	 "context switches per second, all CPUs (/proc/stat ctxt)"},
	{"cpu.intr_per_s", "cpu_samples", "intr_per_s", "cpu", "-1", "/s", METRIC_RATE,
	 "interrupts serviced per second, all CPUs (/proc/stat intr)"},
	{"cpu.forks_per_s", "cpu_samples", "forks_per_s", "cpu", "-1", "/s", METRIC_RATE,
	 "processes and threads created per second (/proc/stat processes)"},
	{"cpu.procs_running", "cpu_samples", "procs_running", "cpu", "-1", "tasks", METRIC_GAUGE,
	 "tasks runnable now (/proc/stat procs_running) (count)"},
	{"cpu.procs_blocked", "cpu_samples", "procs_blocked", "cpu", "-1", "tasks", METRIC_GAUGE,
	 "tasks blocked on I/O now (/proc/stat procs_blocked) (count)"},

};

const struct metric *
metrics_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(metrics_table); i++) {
		if (strcmp(metrics_table[i].name, name) == 0)
			return &metrics_table[i];
	}
	return NULL;
}

size_t
metrics_count(void)
{
	return ARRAY_LEN(metrics_table);
}

const struct metric *
metrics_at(size_t i)
{
	return i < ARRAY_LEN(metrics_table) ? &metrics_table[i] : NULL;
}

const char *
metrics_kind_name(enum metric_kind kind)
{
	switch (kind) {
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_RATE:
		return "rate";
	case METRIC_PERCENT:
		return "percent";
	}
	return "unknown";
}

bool
metrics_is_identifier(const char *s)
{
	size_t i;

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return i <= 63;
}
