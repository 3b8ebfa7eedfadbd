-- 002: OS metrics beyond cpu/memory/load (issue 3). One wide table per frame section, each row one
-- instance (resource, interface, device, mount point, CPU, sensor) per tick, partitioned by UTC
-- day through 001's generic mechanism, with its perfwatch_ingest_<section> and
-- perfwatch_frame_<section> pair; plus the /proc/meminfo breakdown on memory_samples and the
-- /proc/stat activity counters on cpu_samples (total row). Frame keys are the column names.
-- Units follow 001's convention: in the column name (_pct, _kb, _bytes, _per_s, _ms, _mhz,
-- _celsius) and at the start of the column comment.

CREATE TABLE IF NOT EXISTS pressure_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	resource text NOT NULL,
	some_avg10 real,
	some_avg60 real,
	some_avg300 real,
	some_stall_pct real,
	full_avg10 real,
	full_avg60 real,
	full_avg300 real,
	full_stall_pct real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE pressure_samples IS 'Pressure stall information (PSI) from /proc/pressure/<resource>, one row per resource (frame section "pressure").';
COMMENT ON COLUMN pressure_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN pressure_samples.host_id IS 'host.id';
COMMENT ON COLUMN pressure_samples.resource IS 'Resource: cpu, memory, io or irq.';
COMMENT ON COLUMN pressure_samples.some_avg10 IS 'Percent: share of the last 10 s in which at least one task stalled on the resource (kernel average).';
COMMENT ON COLUMN pressure_samples.some_avg60 IS 'Percent: share of the last 60 s in which at least one task stalled on the resource (kernel average).';
COMMENT ON COLUMN pressure_samples.some_avg300 IS 'Percent: share of the last 300 s in which at least one task stalled on the resource (kernel average).';
COMMENT ON COLUMN pressure_samples.some_stall_pct IS 'Percent: share of this tick''s elapsed time in which at least one task stalled (from the total counter).';
COMMENT ON COLUMN pressure_samples.full_avg10 IS 'Percent: share of the last 10 s in which all non-idle tasks stalled at once; NULL where the kernel has no full line (cpu before 5.13).';
COMMENT ON COLUMN pressure_samples.full_avg60 IS 'Percent: share of the last 60 s in which all non-idle tasks stalled at once.';
COMMENT ON COLUMN pressure_samples.full_avg300 IS 'Percent: share of the last 300 s in which all non-idle tasks stalled at once.';
COMMENT ON COLUMN pressure_samples.full_stall_pct IS 'Percent: share of this tick''s elapsed time in which all non-idle tasks stalled.';
CREATE INDEX IF NOT EXISTS pressure_samples_ts_brin ON pressure_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_pressure(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO pressure_samples (
		ts, host_id, resource, some_avg10, some_avg60, some_avg300, some_stall_pct, full_avg10,
		full_avg60, full_avg300, full_stall_pct)
	SELECT
		$1, $2, r.resource, r.some_avg10, r.some_avg60, r.some_avg300, r.some_stall_pct,
		r.full_avg10, r.full_avg60, r.full_avg300, r.full_stall_pct
	FROM jsonb_populate_recordset(NULL::pressure_samples,
				      CASE WHEN jsonb_typeof($3) = 'array' THEN $3
					   ELSE '[]'::jsonb END) r
	WHERE r.resource IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_pressure(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_agg(to_jsonb(x) - '{ts,host_id}'::text[] ORDER BY x.resource)
	FROM pressure_samples x WHERE x.ts = $1 AND x.host_id = $2
	HAVING count(*) > 0;
$$;

CREATE TABLE IF NOT EXISTS vmstat_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	page_in_kb_per_s real,
	page_out_kb_per_s real,
	swap_in_pages_per_s real,
	swap_out_pages_per_s real,
	minor_faults_per_s real,
	major_faults_per_s real,
	pgscan_kswapd_per_s real,
	pgscan_direct_per_s real,
	pgsteal_kswapd_per_s real,
	pgsteal_direct_per_s real,
	oom_kills integer
) PARTITION BY RANGE (ts);
COMMENT ON TABLE vmstat_samples IS 'Paging, swapping, reclaim and OOM activity from /proc/vmstat over the tick (frame section "vmstat").';
COMMENT ON COLUMN vmstat_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN vmstat_samples.host_id IS 'host.id';
COMMENT ON COLUMN vmstat_samples.page_in_kb_per_s IS 'Read from block devices, in KiB per second (pgpgin; vmstat bi).';
COMMENT ON COLUMN vmstat_samples.page_out_kb_per_s IS 'Written to block devices, in KiB per second (pgpgout; vmstat bo).';
COMMENT ON COLUMN vmstat_samples.swap_in_pages_per_s IS 'Pages swapped in per second (pswpin; vmstat si = this x page size).';
COMMENT ON COLUMN vmstat_samples.swap_out_pages_per_s IS 'Pages swapped out per second (pswpout).';
COMMENT ON COLUMN vmstat_samples.minor_faults_per_s IS 'Minor page faults per second (pgfault - pgmajfault).';
COMMENT ON COLUMN vmstat_samples.major_faults_per_s IS 'Major page faults (needing I/O) per second (pgmajfault).';
COMMENT ON COLUMN vmstat_samples.pgscan_kswapd_per_s IS 'Pages scanned by kswapd per second (sar -B pgscank/s).';
COMMENT ON COLUMN vmstat_samples.pgscan_direct_per_s IS 'Pages scanned in direct reclaim per second (sar -B pgscand/s).';
COMMENT ON COLUMN vmstat_samples.pgsteal_kswapd_per_s IS 'Pages reclaimed by kswapd per second.';
COMMENT ON COLUMN vmstat_samples.pgsteal_direct_per_s IS 'Pages reclaimed in direct reclaim per second.';
COMMENT ON COLUMN vmstat_samples.oom_kills IS 'Processes killed by the OOM killer during the tick (count); NULL before Linux 4.13.';
CREATE INDEX IF NOT EXISTS vmstat_samples_ts_brin ON vmstat_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_vmstat(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO vmstat_samples (
		ts, host_id, page_in_kb_per_s, page_out_kb_per_s, swap_in_pages_per_s,
		swap_out_pages_per_s, minor_faults_per_s, major_faults_per_s, pgscan_kswapd_per_s,
		pgscan_direct_per_s, pgsteal_kswapd_per_s, pgsteal_direct_per_s, oom_kills)
	SELECT
		$1, $2, r.page_in_kb_per_s, r.page_out_kb_per_s, r.swap_in_pages_per_s,
		r.swap_out_pages_per_s, r.minor_faults_per_s, r.major_faults_per_s,
		r.pgscan_kswapd_per_s, r.pgscan_direct_per_s, r.pgsteal_kswapd_per_s,
		r.pgsteal_direct_per_s, r.oom_kills
	FROM jsonb_populate_record(NULL::vmstat_samples, $3) r
	WHERE jsonb_typeof($3) = 'object';
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_vmstat(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT to_jsonb(x) - '{ts,host_id}'::text[] FROM vmstat_samples x
	WHERE x.ts = $1 AND x.host_id = $2;
$$;

CREATE TABLE IF NOT EXISTS softirqs_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	hi_per_s real,
	timer_per_s real,
	net_tx_per_s real,
	net_rx_per_s real,
	block_per_s real,
	irq_poll_per_s real,
	tasklet_per_s real,
	sched_per_s real,
	hrtimer_per_s real,
	rcu_per_s real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE softirqs_samples IS 'Softirqs run per second by type, all CPUs together, from /proc/softirqs (frame section "softirqs").';
COMMENT ON COLUMN softirqs_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN softirqs_samples.host_id IS 'host.id';
COMMENT ON COLUMN softirqs_samples.hi_per_s IS 'Softirqs per second: HI (high-priority tasklets).';
COMMENT ON COLUMN softirqs_samples.timer_per_s IS 'Softirqs per second: TIMER.';
COMMENT ON COLUMN softirqs_samples.net_tx_per_s IS 'Softirqs per second: NET_TX (network transmit).';
COMMENT ON COLUMN softirqs_samples.net_rx_per_s IS 'Softirqs per second: NET_RX (network receive).';
COMMENT ON COLUMN softirqs_samples.block_per_s IS 'Softirqs per second: BLOCK (block I/O completion).';
COMMENT ON COLUMN softirqs_samples.irq_poll_per_s IS 'Softirqs per second: IRQ_POLL (BLOCK_IOPOLL before 4.4).';
COMMENT ON COLUMN softirqs_samples.tasklet_per_s IS 'Softirqs per second: TASKLET.';
COMMENT ON COLUMN softirqs_samples.sched_per_s IS 'Softirqs per second: SCHED (load balancing).';
COMMENT ON COLUMN softirqs_samples.hrtimer_per_s IS 'Softirqs per second: HRTIMER.';
COMMENT ON COLUMN softirqs_samples.rcu_per_s IS 'Softirqs per second: RCU.';
CREATE INDEX IF NOT EXISTS softirqs_samples_ts_brin ON softirqs_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_softirqs(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO softirqs_samples (
		ts, host_id, hi_per_s, timer_per_s, net_tx_per_s, net_rx_per_s, block_per_s,
		irq_poll_per_s, tasklet_per_s, sched_per_s, hrtimer_per_s, rcu_per_s)
	SELECT
		$1, $2, r.hi_per_s, r.timer_per_s, r.net_tx_per_s, r.net_rx_per_s, r.block_per_s,
		r.irq_poll_per_s, r.tasklet_per_s, r.sched_per_s, r.hrtimer_per_s, r.rcu_per_s
	FROM jsonb_populate_record(NULL::softirqs_samples, $3) r
	WHERE jsonb_typeof($3) = 'object';
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_softirqs(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT to_jsonb(x) - '{ts,host_id}'::text[] FROM softirqs_samples x
	WHERE x.ts = $1 AND x.host_id = $2;
$$;

CREATE TABLE IF NOT EXISTS net_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	iface text NOT NULL,
	rx_bytes_per_s real,
	rx_packets_per_s real,
	rx_errors_per_s real,
	rx_drops_per_s real,
	rx_fifo_per_s real,
	rx_frame_per_s real,
	rx_compressed_per_s real,
	rx_multicast_per_s real,
	tx_bytes_per_s real,
	tx_packets_per_s real,
	tx_errors_per_s real,
	tx_drops_per_s real,
	tx_fifo_per_s real,
	tx_collisions_per_s real,
	tx_carrier_per_s real,
	tx_compressed_per_s real,
	speed_mbps integer,
	util_pct real,
	operstate text
) PARTITION BY RANGE (ts);
COMMENT ON TABLE net_samples IS 'Network traffic per interface from /proc/net/dev and /sys/class/net (frame section "net").';
COMMENT ON COLUMN net_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN net_samples.host_id IS 'host.id';
COMMENT ON COLUMN net_samples.iface IS 'Interface name.';
COMMENT ON COLUMN net_samples.rx_bytes_per_s IS 'Bytes received per second.';
COMMENT ON COLUMN net_samples.rx_packets_per_s IS 'Packets received per second.';
COMMENT ON COLUMN net_samples.rx_errors_per_s IS 'Receive errors per second.';
COMMENT ON COLUMN net_samples.rx_drops_per_s IS 'Received packets dropped per second.';
COMMENT ON COLUMN net_samples.rx_fifo_per_s IS 'Receive FIFO overruns per second.';
COMMENT ON COLUMN net_samples.rx_frame_per_s IS 'Receive framing errors per second.';
COMMENT ON COLUMN net_samples.rx_compressed_per_s IS 'Compressed packets received per second.';
COMMENT ON COLUMN net_samples.rx_multicast_per_s IS 'Multicast packets received per second.';
COMMENT ON COLUMN net_samples.tx_bytes_per_s IS 'Bytes sent per second.';
COMMENT ON COLUMN net_samples.tx_packets_per_s IS 'Packets sent per second.';
COMMENT ON COLUMN net_samples.tx_errors_per_s IS 'Transmit errors per second.';
COMMENT ON COLUMN net_samples.tx_drops_per_s IS 'Packets dropped on transmit per second.';
COMMENT ON COLUMN net_samples.tx_fifo_per_s IS 'Transmit FIFO errors per second.';
COMMENT ON COLUMN net_samples.tx_collisions_per_s IS 'Collisions per second.';
COMMENT ON COLUMN net_samples.tx_carrier_per_s IS 'Carrier losses per second.';
COMMENT ON COLUMN net_samples.tx_compressed_per_s IS 'Compressed packets sent per second.';
COMMENT ON COLUMN net_samples.speed_mbps IS 'Link speed in Mbit/s from /sys/class/net/<iface>/speed; NULL when the driver reports none (virtual devices, down links).';
COMMENT ON COLUMN net_samples.util_pct IS 'Percent: the busier direction''s bits per second over the link speed (sar %ifutil, full duplex); NULL without a speed.';
COMMENT ON COLUMN net_samples.operstate IS 'RFC 2863 operational state: up, down, unknown, dormant, ...';
CREATE INDEX IF NOT EXISTS net_samples_ts_brin ON net_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_net(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO net_samples (
		ts, host_id, iface, rx_bytes_per_s, rx_packets_per_s, rx_errors_per_s, rx_drops_per_s,
		rx_fifo_per_s, rx_frame_per_s, rx_compressed_per_s, rx_multicast_per_s, tx_bytes_per_s,
		tx_packets_per_s, tx_errors_per_s, tx_drops_per_s, tx_fifo_per_s, tx_collisions_per_s,
		tx_carrier_per_s, tx_compressed_per_s, speed_mbps, util_pct, operstate)
	SELECT
		$1, $2, r.iface, r.rx_bytes_per_s, r.rx_packets_per_s, r.rx_errors_per_s,
		r.rx_drops_per_s, r.rx_fifo_per_s, r.rx_frame_per_s, r.rx_compressed_per_s,
		r.rx_multicast_per_s, r.tx_bytes_per_s, r.tx_packets_per_s, r.tx_errors_per_s,
		r.tx_drops_per_s, r.tx_fifo_per_s, r.tx_collisions_per_s, r.tx_carrier_per_s,
		r.tx_compressed_per_s, r.speed_mbps, r.util_pct, r.operstate
	FROM jsonb_populate_recordset(NULL::net_samples,
				      CASE WHEN jsonb_typeof($3) = 'array' THEN $3
					   ELSE '[]'::jsonb END) r
	WHERE r.iface IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_net(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_agg(to_jsonb(x) - '{ts,host_id}'::text[] ORDER BY x.iface)
	FROM net_samples x WHERE x.ts = $1 AND x.host_id = $2
	HAVING count(*) > 0;
$$;

CREATE TABLE IF NOT EXISTS tcp_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	active_opens_per_s real,
	passive_opens_per_s real,
	attempt_fails_per_s real,
	estab_resets_per_s real,
	in_segs_per_s real,
	out_segs_per_s real,
	retrans_segs_per_s real,
	in_errs_per_s real,
	out_rsts_per_s real,
	listen_overflows_per_s real,
	listen_drops_per_s real,
	established integer,
	retrans_pct real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE tcp_samples IS 'TCP activity from /proc/net/snmp (Tcp) and /proc/net/netstat (TcpExt) (frame section "tcp").';
COMMENT ON COLUMN tcp_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN tcp_samples.host_id IS 'host.id';
COMMENT ON COLUMN tcp_samples.active_opens_per_s IS 'Connections opened by this host per second (ActiveOpens; sar active/s).';
COMMENT ON COLUMN tcp_samples.passive_opens_per_s IS 'Connections accepted per second (PassiveOpens; sar passive/s).';
COMMENT ON COLUMN tcp_samples.attempt_fails_per_s IS 'Failed connection attempts per second (AttemptFails; sar atmptf/s).';
COMMENT ON COLUMN tcp_samples.estab_resets_per_s IS 'Established connections reset per second (EstabResets; sar estres/s).';
COMMENT ON COLUMN tcp_samples.in_segs_per_s IS 'Segments received per second (InSegs; sar iseg/s).';
COMMENT ON COLUMN tcp_samples.out_segs_per_s IS 'Segments sent per second (OutSegs; sar oseg/s).';
COMMENT ON COLUMN tcp_samples.retrans_segs_per_s IS 'Segments retransmitted per second (RetransSegs; sar retrans/s).';
COMMENT ON COLUMN tcp_samples.in_errs_per_s IS 'Segments received in error per second (InErrs; sar isegerr/s).';
COMMENT ON COLUMN tcp_samples.out_rsts_per_s IS 'Resets sent per second (OutRsts; sar orsts/s).';
COMMENT ON COLUMN tcp_samples.listen_overflows_per_s IS 'Accept-queue overflows per second (TcpExt ListenOverflows).';
COMMENT ON COLUMN tcp_samples.listen_drops_per_s IS 'SYNs dropped at listening sockets per second (TcpExt ListenDrops).';
COMMENT ON COLUMN tcp_samples.established IS 'Connections in ESTABLISHED or CLOSE-WAIT now (CurrEstab) (count).';
COMMENT ON COLUMN tcp_samples.retrans_pct IS 'Percent: segments retransmitted over segments sent during the tick.';
CREATE INDEX IF NOT EXISTS tcp_samples_ts_brin ON tcp_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_tcp(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO tcp_samples (
		ts, host_id, active_opens_per_s, passive_opens_per_s, attempt_fails_per_s,
		estab_resets_per_s, in_segs_per_s, out_segs_per_s, retrans_segs_per_s, in_errs_per_s,
		out_rsts_per_s, listen_overflows_per_s, listen_drops_per_s, established, retrans_pct)
	SELECT
		$1, $2, r.active_opens_per_s, r.passive_opens_per_s, r.attempt_fails_per_s,
		r.estab_resets_per_s, r.in_segs_per_s, r.out_segs_per_s, r.retrans_segs_per_s,
		r.in_errs_per_s, r.out_rsts_per_s, r.listen_overflows_per_s, r.listen_drops_per_s,
		r.established, r.retrans_pct
	FROM jsonb_populate_record(NULL::tcp_samples, $3) r
	WHERE jsonb_typeof($3) = 'object';
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_tcp(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT to_jsonb(x) - '{ts,host_id}'::text[] FROM tcp_samples x
	WHERE x.ts = $1 AND x.host_id = $2;
$$;

CREATE TABLE IF NOT EXISTS disk_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	dev text NOT NULL,
	reads_per_s real,
	writes_per_s real,
	read_bytes_per_s real,
	write_bytes_per_s real,
	reads_merged_per_s real,
	writes_merged_per_s real,
	read_await_ms real,
	write_await_ms real,
	util_pct real,
	queue_len real,
	in_flight integer,
	discards_per_s real,
	discard_bytes_per_s real,
	discard_await_ms real,
	flushes_per_s real,
	flush_await_ms real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE disk_samples IS 'I/O per whole block device from /proc/diskstats, as iostat -x computes it (frame section "disk").';
COMMENT ON COLUMN disk_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN disk_samples.host_id IS 'host.id';
COMMENT ON COLUMN disk_samples.dev IS 'Kernel device name (sda, nvme0n1, dm-0); partitions, loop and ram devices are left out.';
COMMENT ON COLUMN disk_samples.reads_per_s IS 'Reads completed per second (iostat r/s).';
COMMENT ON COLUMN disk_samples.writes_per_s IS 'Writes completed per second (iostat w/s).';
COMMENT ON COLUMN disk_samples.read_bytes_per_s IS 'Bytes read per second (iostat rkB/s x 1024).';
COMMENT ON COLUMN disk_samples.write_bytes_per_s IS 'Bytes written per second (iostat wkB/s x 1024).';
COMMENT ON COLUMN disk_samples.reads_merged_per_s IS 'Adjacent reads merged per second (iostat rrqm/s).';
COMMENT ON COLUMN disk_samples.writes_merged_per_s IS 'Adjacent writes merged per second (iostat wrqm/s).';
COMMENT ON COLUMN disk_samples.read_await_ms IS 'Mean time per read in ms, queue included (iostat r_await); NULL without reads.';
COMMENT ON COLUMN disk_samples.write_await_ms IS 'Mean time per write in ms, queue included (iostat w_await); NULL without writes.';
COMMENT ON COLUMN disk_samples.util_pct IS 'Percent: time the device had I/O in flight (iostat %util).';
COMMENT ON COLUMN disk_samples.queue_len IS 'Mean number of requests in flight or queued (iostat aqu-sz).';
COMMENT ON COLUMN disk_samples.in_flight IS 'Requests in flight at the sample (count).';
COMMENT ON COLUMN disk_samples.discards_per_s IS 'Discards completed per second; NULL before Linux 4.18.';
COMMENT ON COLUMN disk_samples.discard_bytes_per_s IS 'Bytes discarded per second; NULL before Linux 4.18.';
COMMENT ON COLUMN disk_samples.discard_await_ms IS 'Mean time per discard in ms; NULL without discards.';
COMMENT ON COLUMN disk_samples.flushes_per_s IS 'Flush requests completed per second; NULL before Linux 5.5.';
COMMENT ON COLUMN disk_samples.flush_await_ms IS 'Mean time per flush in ms; NULL without flushes.';
CREATE INDEX IF NOT EXISTS disk_samples_ts_brin ON disk_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_disk(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO disk_samples (
		ts, host_id, dev, reads_per_s, writes_per_s, read_bytes_per_s, write_bytes_per_s,
		reads_merged_per_s, writes_merged_per_s, read_await_ms, write_await_ms, util_pct,
		queue_len, in_flight, discards_per_s, discard_bytes_per_s, discard_await_ms,
		flushes_per_s, flush_await_ms)
	SELECT
		$1, $2, r.dev, r.reads_per_s, r.writes_per_s, r.read_bytes_per_s, r.write_bytes_per_s,
		r.reads_merged_per_s, r.writes_merged_per_s, r.read_await_ms, r.write_await_ms,
		r.util_pct, r.queue_len, r.in_flight, r.discards_per_s, r.discard_bytes_per_s,
		r.discard_await_ms, r.flushes_per_s, r.flush_await_ms
	FROM jsonb_populate_recordset(NULL::disk_samples,
				      CASE WHEN jsonb_typeof($3) = 'array' THEN $3
					   ELSE '[]'::jsonb END) r
	WHERE r.dev IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_disk(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_agg(to_jsonb(x) - '{ts,host_id}'::text[] ORDER BY x.dev)
	FROM disk_samples x WHERE x.ts = $1 AND x.host_id = $2
	HAVING count(*) > 0;
$$;

CREATE TABLE IF NOT EXISTS fs_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	mount text NOT NULL,
	device text,
	fstype text,
	size_bytes bigint,
	used_bytes bigint,
	avail_bytes bigint,
	used_pct real,
	inodes_total bigint,
	inodes_used bigint,
	inodes_free bigint,
	inodes_used_pct real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE fs_samples IS 'Space and inodes per real mounted filesystem from statvfs(3); proc, sysfs, tmpfs, cgroup and other pseudo filesystems are left out (frame section "fs").';
COMMENT ON COLUMN fs_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN fs_samples.host_id IS 'host.id';
COMMENT ON COLUMN fs_samples.mount IS 'Mount point.';
COMMENT ON COLUMN fs_samples.device IS 'Mounted device or source (/dev/sda1, server:/export).';
COMMENT ON COLUMN fs_samples.fstype IS 'Filesystem type (ext4, xfs, btrfs, nfs4, ...).';
COMMENT ON COLUMN fs_samples.size_bytes IS 'Bytes: size of the filesystem (df 1B-blocks).';
COMMENT ON COLUMN fs_samples.used_bytes IS 'Bytes: in use (df Used).';
COMMENT ON COLUMN fs_samples.avail_bytes IS 'Bytes: available to unprivileged users (df Avail).';
COMMENT ON COLUMN fs_samples.used_pct IS 'Percent: used / (used + available), as df''s Use%.';
COMMENT ON COLUMN fs_samples.inodes_total IS 'Inodes in the filesystem; NULL where it has no fixed inode table (btrfs, vfat).';
COMMENT ON COLUMN fs_samples.inodes_used IS 'Inodes in use.';
COMMENT ON COLUMN fs_samples.inodes_free IS 'Inodes free.';
COMMENT ON COLUMN fs_samples.inodes_used_pct IS 'Percent: inodes in use (df -i IUse%).';
CREATE INDEX IF NOT EXISTS fs_samples_ts_brin ON fs_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_fs(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO fs_samples (
		ts, host_id, mount, device, fstype, size_bytes, used_bytes, avail_bytes, used_pct,
		inodes_total, inodes_used, inodes_free, inodes_used_pct)
	SELECT
		$1, $2, r.mount, r.device, r.fstype, r.size_bytes, r.used_bytes, r.avail_bytes,
		r.used_pct, r.inodes_total, r.inodes_used, r.inodes_free, r.inodes_used_pct
	FROM jsonb_populate_recordset(NULL::fs_samples,
				      CASE WHEN jsonb_typeof($3) = 'array' THEN $3
					   ELSE '[]'::jsonb END) r
	WHERE r.mount IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_fs(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_agg(to_jsonb(x) - '{ts,host_id}'::text[] ORDER BY x.mount)
	FROM fs_samples x WHERE x.ts = $1 AND x.host_id = $2
	HAVING count(*) > 0;
$$;

CREATE TABLE IF NOT EXISTS cpufreq_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	cpu smallint NOT NULL,
	freq_mhz real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE cpufreq_samples IS 'Current frequency per CPU from /sys/devices/system/cpu/cpuN/cpufreq/scaling_cur_freq (frame section "cpufreq").';
COMMENT ON COLUMN cpufreq_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN cpufreq_samples.host_id IS 'host.id';
COMMENT ON COLUMN cpufreq_samples.cpu IS 'CPU number.';
COMMENT ON COLUMN cpufreq_samples.freq_mhz IS 'Current frequency in MHz as the cpufreq driver reports it.';
CREATE INDEX IF NOT EXISTS cpufreq_samples_ts_brin ON cpufreq_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_cpufreq(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO cpufreq_samples (
		ts, host_id, cpu, freq_mhz)
	SELECT
		$1, $2, r.cpu, r.freq_mhz
	FROM jsonb_populate_recordset(NULL::cpufreq_samples,
				      CASE WHEN jsonb_typeof($3) = 'array' THEN $3
					   ELSE '[]'::jsonb END) r
	WHERE r.cpu IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_cpufreq(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_agg(to_jsonb(x) - '{ts,host_id}'::text[] ORDER BY x.cpu)
	FROM cpufreq_samples x WHERE x.ts = $1 AND x.host_id = $2
	HAVING count(*) > 0;
$$;

CREATE TABLE IF NOT EXISTS thermal_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	sensor text NOT NULL,
	temp_celsius real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE thermal_samples IS 'Temperatures from thermal zones and hwmon sensors (frame section "thermal").';
COMMENT ON COLUMN thermal_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN thermal_samples.host_id IS 'host.id';
COMMENT ON COLUMN thermal_samples.sensor IS 'thermal_zoneN:<type> or hwmonN:<chip>:<label>.';
COMMENT ON COLUMN thermal_samples.temp_celsius IS 'Temperature in degrees Celsius.';
CREATE INDEX IF NOT EXISTS thermal_samples_ts_brin ON thermal_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_thermal(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO thermal_samples (
		ts, host_id, sensor, temp_celsius)
	SELECT
		$1, $2, r.sensor, r.temp_celsius
	FROM jsonb_populate_recordset(NULL::thermal_samples,
				      CASE WHEN jsonb_typeof($3) = 'array' THEN $3
					   ELSE '[]'::jsonb END) r
	WHERE r.sensor IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_thermal(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_agg(to_jsonb(x) - '{ts,host_id}'::text[] ORDER BY x.sensor)
	FROM thermal_samples x WHERE x.ts = $1 AND x.host_id = $2
	HAVING count(*) > 0;
$$;

-- The /proc/meminfo breakdown (frame section "mem"): one column per field, NULL when the kernel
-- does not have the field.
ALTER TABLE memory_samples
	ADD COLUMN IF NOT EXISTS swap_cached_kb bigint,
	ADD COLUMN IF NOT EXISTS active_kb bigint,
	ADD COLUMN IF NOT EXISTS inactive_kb bigint,
	ADD COLUMN IF NOT EXISTS active_anon_kb bigint,
	ADD COLUMN IF NOT EXISTS inactive_anon_kb bigint,
	ADD COLUMN IF NOT EXISTS active_file_kb bigint,
	ADD COLUMN IF NOT EXISTS inactive_file_kb bigint,
	ADD COLUMN IF NOT EXISTS unevictable_kb bigint,
	ADD COLUMN IF NOT EXISTS mlocked_kb bigint,
	ADD COLUMN IF NOT EXISTS dirty_kb bigint,
	ADD COLUMN IF NOT EXISTS writeback_kb bigint,
	ADD COLUMN IF NOT EXISTS anon_kb bigint,
	ADD COLUMN IF NOT EXISTS mapped_kb bigint,
	ADD COLUMN IF NOT EXISTS shmem_kb bigint,
	ADD COLUMN IF NOT EXISTS slab_kb bigint,
	ADD COLUMN IF NOT EXISTS slab_reclaimable_kb bigint,
	ADD COLUMN IF NOT EXISTS slab_unreclaimable_kb bigint,
	ADD COLUMN IF NOT EXISTS kernel_stack_kb bigint,
	ADD COLUMN IF NOT EXISTS page_tables_kb bigint,
	ADD COLUMN IF NOT EXISTS commit_limit_kb bigint,
	ADD COLUMN IF NOT EXISTS committed_as_kb bigint,
	ADD COLUMN IF NOT EXISTS vmalloc_used_kb bigint,
	ADD COLUMN IF NOT EXISTS anon_huge_kb bigint,
	ADD COLUMN IF NOT EXISTS huge_pages_total bigint,
	ADD COLUMN IF NOT EXISTS huge_pages_free bigint,
	ADD COLUMN IF NOT EXISTS huge_page_size_kb bigint;
COMMENT ON COLUMN memory_samples.swap_cached_kb IS 'KiB: SwapCached: swapped out and back in, still in the swap file.';
COMMENT ON COLUMN memory_samples.active_kb IS 'KiB: Active: recently used, not reclaimed unless needed.';
COMMENT ON COLUMN memory_samples.inactive_kb IS 'KiB: Inactive: less recently used, reclaim candidates.';
COMMENT ON COLUMN memory_samples.active_anon_kb IS 'KiB: Active(anon): anonymous memory recently used.';
COMMENT ON COLUMN memory_samples.inactive_anon_kb IS 'KiB: Inactive(anon): anonymous memory less recently used.';
COMMENT ON COLUMN memory_samples.active_file_kb IS 'KiB: Active(file): page cache recently used.';
COMMENT ON COLUMN memory_samples.inactive_file_kb IS 'KiB: Inactive(file): page cache less recently used.';
COMMENT ON COLUMN memory_samples.unevictable_kb IS 'KiB: Unevictable: cannot be reclaimed (mlocked, ramfs).';
COMMENT ON COLUMN memory_samples.mlocked_kb IS 'KiB: Mlocked: locked with mlock().';
COMMENT ON COLUMN memory_samples.dirty_kb IS 'KiB: Dirty: waiting to be written back.';
COMMENT ON COLUMN memory_samples.writeback_kb IS 'KiB: Writeback: being written back now.';
COMMENT ON COLUMN memory_samples.anon_kb IS 'KiB: AnonPages: anonymous pages mapped into user page tables.';
COMMENT ON COLUMN memory_samples.mapped_kb IS 'KiB: Mapped: files mapped with mmap.';
COMMENT ON COLUMN memory_samples.shmem_kb IS 'KiB: Shmem: shared memory and tmpfs.';
COMMENT ON COLUMN memory_samples.slab_kb IS 'KiB: Slab: kernel slab caches.';
COMMENT ON COLUMN memory_samples.slab_reclaimable_kb IS 'KiB: SReclaimable: reclaimable slab (dentries, inodes).';
COMMENT ON COLUMN memory_samples.slab_unreclaimable_kb IS 'KiB: SUnreclaim: slab that cannot be reclaimed.';
COMMENT ON COLUMN memory_samples.kernel_stack_kb IS 'KiB: KernelStack: kernel stacks.';
COMMENT ON COLUMN memory_samples.page_tables_kb IS 'KiB: PageTables: page tables.';
COMMENT ON COLUMN memory_samples.commit_limit_kb IS 'KiB: CommitLimit: allocation limit under strict overcommit.';
COMMENT ON COLUMN memory_samples.committed_as_kb IS 'KiB: Committed_AS: memory committed by all processes.';
COMMENT ON COLUMN memory_samples.vmalloc_used_kb IS 'KiB: VmallocUsed: vmalloc area in use.';
COMMENT ON COLUMN memory_samples.anon_huge_kb IS 'KiB: AnonHugePages: anonymous transparent huge pages.';
COMMENT ON COLUMN memory_samples.huge_pages_total IS 'HugePages_Total: huge pages in the pool (count).';
COMMENT ON COLUMN memory_samples.huge_pages_free IS 'HugePages_Free: huge pages not yet allocated (count).';
COMMENT ON COLUMN memory_samples.huge_page_size_kb IS 'KiB: Hugepagesize: size of a huge page.';

CREATE OR REPLACE FUNCTION perfwatch_ingest_mem(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO memory_samples (
		ts, host_id, total_kb, free_kb, available_kb, buffers_kb, cached_kb, swap_total_kb,
		swap_free_kb, swap_cached_kb, active_kb, inactive_kb, active_anon_kb, inactive_anon_kb,
		active_file_kb, inactive_file_kb, unevictable_kb, mlocked_kb, dirty_kb, writeback_kb,
		anon_kb, mapped_kb, shmem_kb, slab_kb, slab_reclaimable_kb, slab_unreclaimable_kb,
		kernel_stack_kb, page_tables_kb, commit_limit_kb, committed_as_kb, vmalloc_used_kb,
		anon_huge_kb, huge_pages_total, huge_pages_free, huge_page_size_kb)
	SELECT
		$1, $2, r.total_kb, r.free_kb, r.available_kb, r.buffers_kb, r.cached_kb,
		r.swap_total_kb, r.swap_free_kb, r.swap_cached_kb, r.active_kb, r.inactive_kb,
		r.active_anon_kb, r.inactive_anon_kb, r.active_file_kb, r.inactive_file_kb,
		r.unevictable_kb, r.mlocked_kb, r.dirty_kb, r.writeback_kb, r.anon_kb, r.mapped_kb,
		r.shmem_kb, r.slab_kb, r.slab_reclaimable_kb, r.slab_unreclaimable_kb,
		r.kernel_stack_kb, r.page_tables_kb, r.commit_limit_kb, r.committed_as_kb,
		r.vmalloc_used_kb, r.anon_huge_kb, r.huge_pages_total, r.huge_pages_free,
		r.huge_page_size_kb
	FROM jsonb_populate_record(NULL::memory_samples, $3) r
	WHERE jsonb_typeof($3) = 'object';
$$;

-- Kernel activity from /proc/stat on the all-CPU row (cpu = -1) of cpu_samples; frame keys in
-- "cpu"."total" next to the states. Per-CPU rows leave them NULL.
ALTER TABLE cpu_samples
	ADD COLUMN IF NOT EXISTS ctxt_per_s real,
	ADD COLUMN IF NOT EXISTS intr_per_s real,
	ADD COLUMN IF NOT EXISTS forks_per_s real,
	ADD COLUMN IF NOT EXISTS procs_running integer,
	ADD COLUMN IF NOT EXISTS procs_blocked integer;
COMMENT ON COLUMN cpu_samples.ctxt_per_s IS 'Context switches per second, all CPUs (/proc/stat ctxt); total row only.';
COMMENT ON COLUMN cpu_samples.intr_per_s IS 'Interrupts serviced per second, all CPUs (/proc/stat intr); total row only.';
COMMENT ON COLUMN cpu_samples.forks_per_s IS 'Processes and threads created per second (/proc/stat processes); total row only.';
COMMENT ON COLUMN cpu_samples.procs_running IS 'Tasks runnable now (/proc/stat procs_running) (count); total row only.';
COMMENT ON COLUMN cpu_samples.procs_blocked IS 'Tasks blocked on I/O now (/proc/stat procs_blocked) (count); total row only.';

CREATE OR REPLACE FUNCTION perfwatch_ingest_cpu(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO cpu_samples (
		ts, host_id, cpu, usr, nice, sys, idle, iowait, irq, softirq, steal, guest, guest_nice,
		ctxt_per_s, intr_per_s, forks_per_s, procs_running, procs_blocked)
	SELECT $1, $2, -1, r.usr, r.nice, r.sys, r.idle, r.iowait, r.irq, r.softirq, r.steal,
	       r.guest, r.guest_nice,
	       r.ctxt_per_s, r.intr_per_s, r.forks_per_s, r.procs_running, r.procs_blocked
	FROM jsonb_populate_record(NULL::cpu_samples, $3 -> 'total') r
	WHERE jsonb_typeof($3 -> 'total') = 'object'
	UNION ALL
	SELECT $1, $2, r.cpu, r.usr, r.nice, r.sys, r.idle, r.iowait, r.irq, r.softirq, r.steal,
	       r.guest, r.guest_nice, NULL, NULL, NULL, NULL, NULL
	FROM jsonb_populate_recordset(NULL::cpu_samples,
				      CASE WHEN jsonb_typeof($3 -> 'cores') = 'array'
					   THEN $3 -> 'cores' ELSE '[]'::jsonb END) r
	WHERE r.cpu IS NOT NULL;
$$;

-- Per-CPU rows have no activity counters: leave those keys out of "cores", as live frames do.
CREATE OR REPLACE FUNCTION perfwatch_frame_cpu(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_build_object(
		'total', (SELECT to_jsonb(c) - '{ts,host_id,cpu}'::text[] FROM cpu_samples c
			  WHERE c.ts = $1 AND c.host_id = $2 AND c.cpu = -1),
		'cores', (SELECT jsonb_agg(to_jsonb(c)
					   - '{ts,host_id,ctxt_per_s,intr_per_s,forks_per_s,procs_running,procs_blocked}'::text[]
					   ORDER BY c.cpu)
			  FROM cpu_samples c WHERE c.ts = $1 AND c.host_id = $2 AND c.cpu >= 0))
	WHERE EXISTS (SELECT 1 FROM cpu_samples c WHERE c.ts = $1 AND c.host_id = $2);
$$;

SELECT perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date, 2);
SELECT perfwatch_grant_privileges();
