'use strict';
/*
 * PerfWatch's OS figures agree with the standard Linux tools. Known load is put on the machine
 * (stress-ng CPU + memory, fio random I/O on a temp file, iperf3 over loopback), then sysstat's
 * mpstat, iostat and sar and procps' vmstat sample the same seconds as the collector. The mean of
 * each tool's per-second values is compared with the mean of PerfWatch's per-tick values read
 * back through GET /api/v1/query, within the tolerances in TOLERANCES (see bench/README-os.md for
 * a recorded run). Needs: apt-get install sysstat stress-ng fio iperf3 procps.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startStack } = require('../lib/harness.js');

const WINDOW = 10; /* seconds the tools and the collector are compared over */
const WARMUP = 3; /* seconds of load before the window, so that the load is steady */
const TOOL_ENV = { ...process.env, LC_ALL: 'C', S_TIME_FORMAT: 'ISO' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let stack;
let tmp;
let iperfServer;

/* Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
function run(cmd, args) {
	return new Promise((resolve, reject) => {
		const p = spawn(cmd, args, { env: TOOL_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', (d) => { err += d; });
		p.on('error', reject);
		p.on('close', (code) => (code === 0 ? resolve(out)
			: reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
	});
}

function requireTools() {
	const missing = ['mpstat', 'iostat', 'sar', 'vmstat', 'stress-ng', 'fio', 'iperf3', 'findmnt']
		.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
	assert.deepEqual(missing, [], `missing tools (apt-get install sysstat stress-ng fio iperf3): ${missing}`);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/* Rows of a sysstat/vmstat report: [{column: value}] for lines whose first field is a time. */
function table(text, { key = null, keyValue = null } = {}) {
	const rows = [];
	let header = null;
	for (const line of text.split('\n')) {
		const f = line.trim().split(/\s+/);
		if (f.length < 2 || !/^\d\d:\d\d:\d\d$/.test(f[0]))
			continue;
		if (f.slice(1).every((x) => isNaN(Number(x)))) {
			header = f.slice(1);
			continue;
		}
		if (!header)
			continue;
		const row = {};
		header.forEach((h, i) => { row[h] = /^-?[\d.]+$/.test(f[i + 1]) ? Number(f[i + 1]) : f[i + 1]; });
		if (key === null || row[key] === keyValue)
			rows.push(row);
	}
	return rows;
}

/* iostat -x rows for one device (iostat prints no time column with -y and no -t). */
function iostatRows(text, dev) {
	const rows = [];
	let header = null;
	for (const line of text.split('\n')) {
		const f = line.trim().split(/\s+/);
		if (f[0] === 'Device')
			header = f;
		else if (header && f[0] === dev)
			rows.push(Object.fromEntries(header.map((h, i) => [h, Number(f[i])])));
	}
	return rows;
}

/* vmstat -n -w rows; the first one is the average since boot and is dropped. */
function vmstatRows(text) {
	const lines = text.trim().split('\n').filter((l) => /^\s*\d/.test(l));
	const header = text.split('\n').find((l) => /\bfree\b/.test(l)).trim().split(/\s+/);
	return lines.slice(1).map((l) => {
		const f = l.trim().split(/\s+/).map(Number);
		return Object.fromEntries(header.map((h, i) => [h, f[i]]));
	});
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/* PerfWatch's [ts, value] points of `metrics` for `instance` from /api/v1/query, by metric. */
async function points(metrics, instance, from, to) {
	const qs = new URLSearchParams({ metric: metrics.join(','), from: String(from), to: String(to) });
	if (instance !== null)
		qs.set('instance', instance);
	const res = await stack.fetch(`/api/v1/query?${qs}`);
	const body = await res.json();
	assert.equal(res.status, 200, JSON.stringify(body));
	return Object.fromEntries(body.series.map((s) => [s.metric, s.points]));
}

/* PerfWatch's per-tick values of `metrics` for `instance` with ts in (from, to]. */
async function ours(metrics, instance, from, to) {
	const out = {};
	for (const [metric, pts] of Object.entries(await points(metrics, instance, from, to)))
		out[metric] = pts.filter(([ts]) => ts > from && ts <= to).map(([, v]) => v);
	return out;
}

/*
 * Waits until just after one of the collector's ticks, so that the tools' seconds start where the
 * collector's do. With the phases up to a second apart, a burst of writes at an edge of the window
 * (a journal commit, a checkpoint: a few MB in one second) fell into one side's window only and
 * moved its mean write rate by 10-15 %.
 */
async function alignWithTicks() {
	const now = Date.now();
	const ts = (await points(['cpu.usr'], 'total', now - 6000, now + 1000))['cpu.usr'].map(([t]) => t);
	assert.ok(ts.length >= 3, `collector ticks in the last 6 s: ${ts.length}`);
	const phases = ts.map((t) => t % 1000).sort((a, b) => a - b);
	const phase = phases[phases.length >> 1];
	await sleep((phase + 30 - (Date.now() % 1000) + 2000) % 1000);
}

before(async () => {
	requireTools();
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-agreement-'));
	/* Written (not just allocated: ext4 reads unwritten extents without I/O) before the window. */
	await run('fio', ['--name=layout', `--filename=${path.join(tmp, 'fio.dat')}`, '--size=128M',
		'--rw=write', '--bs=1M', '--direct=1']);
	stack = await startStack({ collector: true, interval: 1 });
});

after(async () => {
	iperfServer?.kill('SIGTERM');
	if (tmp)
		fs.rmSync(tmp, { recursive: true, force: true });
	await stack?.stop();
});

test('OS metrics agree with mpstat, iostat, sar and vmstat over the same seconds', async (t) => {
	const dev = path.basename(spawnSync('findmnt', ['-no', 'SOURCE', '--target', tmp],
		{ encoding: 'utf8' }).stdout.trim());
	assert.ok(fs.existsSync(`/sys/block/${dev}`), `${tmp} is not on a whole disk (${dev})`);
	const port = await freePort();
	iperfServer = spawn('iperf3', ['-s', '-p', String(port), '-B', '127.0.0.1'], { stdio: 'ignore' });
	await sleep(500);

	const loadSecs = WARMUP + WINDOW + 4;
	const loads = [
		run('stress-ng', ['--cpu', '1', '--cpu-load', '60', '--vm', '1', '--vm-bytes', '256M',
			'--timeout', `${loadSecs}s`, '--quiet']),
		run('fio', ['--name=agree', `--filename=${path.join(tmp, 'fio.dat')}`, '--size=128M',
			'--rw=randrw', '--rwmixread=50', '--bs=4k', '--direct=1', '--ioengine=psync',
			'--rate_iops=150,150', '--time_based', `--runtime=${loadSecs}`]),
		run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-b', '80M', '-t', String(loadSecs),
			'-P', '2']),
	];
	await sleep(WARMUP * 1000);
	await alignWithTicks();

	const t0 = Date.now();
	const [mp, io, sarNet, sarB, vm, vma, soft] = await Promise.all([
		run('mpstat', ['-u', '1', String(WINDOW)]),
		run('iostat', ['-dxky', dev, '1', String(WINDOW)]),
		run('sar', ['-n', 'DEV,TCP', '1', String(WINDOW)]),
		run('sar', ['-B', '1', String(WINDOW)]),
		run('vmstat', ['-n', '-w', '1', String(WINDOW + 1)]),
		run('vmstat', ['-a', '-n', '-w', '1', String(WINDOW + 1)]),
		run('mpstat', ['-I', 'SCPU', '1', String(WINDOW)]),
	]);
	const dfOut = await run('df', ['-B1', '--output=target,size,used,avail', tmp]);
	const t1 = Date.now();
	await Promise.all(loads);
	await sleep(1500); /* the collector's sample for the window's last second is stored */

	/*
	 * A tool's k-th line covers (t0 + k - 1, t0 + k]; a PerfWatch row at ts covers (ts - dt, ts],
	 * and its ticks fall a few ms before t0 + k: the rows with ts in (t0 + 0.5, t0 + WINDOW + 0.5].
	 */
	const from = t0 + 500;
	const to = t0 + WINDOW * 1000 + 500;
	const cpu = await ours(['cpu.usr', 'cpu.nice', 'cpu.sys', 'cpu.idle', 'cpu.iowait',
		'cpu.ctxt_per_s', 'cpu.intr_per_s'], 'total', from, to);
	const mem = await ours(['mem.free_kb', 'mem.buffers_kb', 'mem.total_kb', 'mem.active_kb',
		'mem.inactive_kb'], null, from, to);
	const sirq = await ours(['softirqs.net_rx_per_s', 'softirqs.timer_per_s', 'softirqs.block_per_s'],
		null, from, to);
	const [dfMount, dfSize, dfUsed, dfAvail] = dfOut.trim().split('\n')[1].trim().split(/\s+/);
	const fsNow = await ours(['fs.size_bytes', 'fs.used_bytes', 'fs.avail_bytes'], dfMount,
		t1 - 2000, Date.now());
	const vms = await ours(['vmstat.minor_faults_per_s', 'vmstat.major_faults_per_s',
		'vmstat.page_in_kb_per_s', 'vmstat.page_out_kb_per_s'], null, from, to);
	const disk = await ours(['disk.reads_per_s', 'disk.writes_per_s', 'disk.read_bytes_per_s',
		'disk.write_bytes_per_s', 'disk.util_pct', 'disk.queue_len', 'disk.read_await_ms',
		'disk.write_await_ms'], dev, from, to);
	const lo = await ours(['net.rx_bytes_per_s', 'net.rx_packets_per_s', 'net.tx_bytes_per_s'], 'lo', from, to);
	const tcp = await ours(['tcp.in_segs_per_s', 'tcp.out_segs_per_s', 'tcp.active_opens_per_s'], null, from, to);
	assert.ok(Math.abs(cpu['cpu.usr'].length - WINDOW) <= 1,
		`expected ~${WINDOW} PerfWatch ticks in the window, got ${cpu['cpu.usr'].length}`);

	const mpRows = table(mp).filter((r) => r.CPU === 'all');
	const ioRows = iostatRows(io, dev);
	const devRows = table(sarNet, { key: 'IFACE', keyValue: 'lo' });
	const tcpRows = table(sarNet).filter((r) => 'iseg/s' in r);
	const bRows = table(sarB);
	const vmRows = vmstatRows(vm);
	const vmaRows = vmstatRows(vma);
	/* mpstat -I SCPU: one row per CPU and second; sum the CPUs of each second. */
	const softRows = Object.values(table(soft).filter((r) => r.CPU !== 'all').reduce((acc, r, i) => {
		const k = Math.floor(i / os.cpus().length);
		acc[k] = acc[k] || {};
		for (const [col, v] of Object.entries(r))
			if (typeof v === 'number')
				acc[k][col] = (acc[k][col] || 0) + v;
		return acc;
	}, {}));
	const last = (xs) => xs[xs.length - 1];
	const total = mean(mem['mem.total_kb']);
	const sum = (a, b) => a.map((x, i) => x + b[i]);
	const m = (rows, col) => mean(rows.map((r) => r[col]));

	/* [what, PerfWatch mean, tool mean, absolute tolerance, relative tolerance, tool column]. */
	const checks = [
		['cpu usr+nice %', mean(sum(cpu['cpu.usr'], cpu['cpu.nice'])), m(mpRows, '%usr') + m(mpRows, '%nice'), 3, 0, 'mpstat %usr+%nice'],
		['cpu sys %', mean(cpu['cpu.sys']), m(mpRows, '%sys'), 3, 0, 'mpstat %sys'],
		['cpu idle %', mean(cpu['cpu.idle']), m(mpRows, '%idle'), 3, 0, 'mpstat %idle'],
		['cpu iowait %', mean(cpu['cpu.iowait']), m(mpRows, '%iowait'), 3, 0, 'mpstat %iowait'],
		['context switches /s', mean(cpu['cpu.ctxt_per_s']), m(vmRows, 'cs'), 50, 0.10, 'vmstat cs'],
		['interrupts /s', mean(cpu['cpu.intr_per_s']), m(vmRows, 'in'), 50, 0.10, 'vmstat in'],
		['softirq NET_RX /s', mean(sirq['softirqs.net_rx_per_s']), m(softRows, 'NET_RX/s'), 20, 0.10, 'mpstat -I SCPU NET_RX/s'],
		['softirq TIMER /s', mean(sirq['softirqs.timer_per_s']), m(softRows, 'TIMER/s'), 20, 0.10, 'mpstat -I SCPU TIMER/s'],
		['softirq BLOCK /s', mean(sirq['softirqs.block_per_s']), m(softRows, 'BLOCK/s'), 20, 0.10, 'mpstat -I SCPU BLOCK/s'],
		['mem free KiB', mean(mem['mem.free_kb']), m(vmRows, 'free'), 0.02 * total, 0, 'vmstat free'],
		['mem active KiB', mean(mem['mem.active_kb']), m(vmaRows, 'active'), 0.02 * total, 0, 'vmstat -a active'],
		['mem inactive KiB', mean(mem['mem.inactive_kb']), m(vmaRows, 'inact'), 0.02 * total, 0, 'vmstat -a inact'],
		['mem buffers KiB', mean(mem['mem.buffers_kb']), m(vmRows, 'buff'), 0.02 * total, 0, 'vmstat buff'],
		['page faults /s', mean(sum(vms['vmstat.minor_faults_per_s'], vms['vmstat.major_faults_per_s'])), m(bRows, 'fault/s'), 50, 0.10, 'sar -B fault/s'],
		['major faults /s', mean(vms['vmstat.major_faults_per_s']), m(bRows, 'majflt/s'), 5, 0.10, 'sar -B majflt/s'],
		['paged in KiB/s', mean(vms['vmstat.page_in_kb_per_s']), m(bRows, 'pgpgin/s'), 50, 0.10, 'sar -B pgpgin/s'],
		['paged out KiB/s', mean(vms['vmstat.page_out_kb_per_s']), m(bRows, 'pgpgout/s'), 50, 0.10, 'sar -B pgpgout/s'],
		[`${dev} reads/s`, mean(disk['disk.reads_per_s']), m(ioRows, 'r/s'), 3, 0.10, 'iostat r/s'],
		[`${dev} writes/s`, mean(disk['disk.writes_per_s']), m(ioRows, 'w/s'), 3, 0.10, 'iostat w/s'],
		[`${dev} read KiB/s`, mean(disk['disk.read_bytes_per_s']) / 1024, m(ioRows, 'rkB/s'), 20, 0.10, 'iostat rkB/s'],
		[`${dev} write KiB/s`, mean(disk['disk.write_bytes_per_s']) / 1024, m(ioRows, 'wkB/s'), 20, 0.10, 'iostat wkB/s'],
		[`${dev} util %`, mean(disk['disk.util_pct']), m(ioRows, '%util'), 5, 0, 'iostat %util'],
		[`${dev} queue`, mean(disk['disk.queue_len']), m(ioRows, 'aqu-sz'), 0.05, 0.20, 'iostat aqu-sz'],
		[`${dev} read await ms`, mean(disk['disk.read_await_ms'].filter((v) => v !== null)), m(ioRows.filter((r) => r['r/s'] > 0), 'r_await'), 0.2, 0.25, 'iostat r_await'],
		[`${dev} write await ms`, mean(disk['disk.write_await_ms'].filter((v) => v !== null)), m(ioRows.filter((r) => r['w/s'] > 0), 'w_await'), 0.2, 0.25, 'iostat w_await'],
		['lo rx KiB/s', mean(lo['net.rx_bytes_per_s']) / 1024, m(devRows, 'rxkB/s'), 10, 0.05, 'sar -n DEV rxkB/s'],
		['lo tx KiB/s', mean(lo['net.tx_bytes_per_s']) / 1024, m(devRows, 'txkB/s'), 10, 0.05, 'sar -n DEV txkB/s'],
		['lo rx packets/s', mean(lo['net.rx_packets_per_s']), m(devRows, 'rxpck/s'), 10, 0.05, 'sar -n DEV rxpck/s'],
		['tcp in segments/s', mean(tcp['tcp.in_segs_per_s']), m(tcpRows, 'iseg/s'), 10, 0.05, 'sar -n TCP iseg/s'],
		['tcp out segments/s', mean(tcp['tcp.out_segs_per_s']), m(tcpRows, 'oseg/s'), 10, 0.05, 'sar -n TCP oseg/s'],
		['tcp active opens/s', mean(tcp['tcp.active_opens_per_s']), m(tcpRows, 'active/s'), 1, 0, 'sar -n TCP active/s'],
		/* df runs once, after the window: compare with PerfWatch's newest sample. */
		[`fs ${dfMount} size GiB`, last(fsNow['fs.size_bytes']) / 2 ** 30, Number(dfSize) / 2 ** 30, 0.01, 0, 'df size'],
		[`fs ${dfMount} used GiB`, last(fsNow['fs.used_bytes']) / 2 ** 30, Number(dfUsed) / 2 ** 30, 0.5, 0, 'df used'],
		[`fs ${dfMount} avail GiB`, last(fsNow['fs.avail_bytes']) / 2 ** 30, Number(dfAvail) / 2 ** 30, 0.5, 0, 'df avail'],
	];

	const lines = ['| metric | PerfWatch | tool | tool column | tolerance | ok |', '|---|---|---|---|---|---|'];
	const bad = [];
	for (const [what, a, b, abs, rel, col] of checks) {
		assert.ok(Number.isFinite(a) && Number.isFinite(b), `${what}: PerfWatch ${a}, ${col} ${b}`);
		const tol = abs + rel * Math.abs(b);
		const ok = Math.abs(a - b) <= tol;
		lines.push(`| ${what} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${col} | ±${tol.toFixed(2)} | ${ok ? 'yes' : 'NO'} |`);
		if (!ok)
			bad.push(`${what}: PerfWatch ${a.toFixed(2)} vs ${col} ${b.toFixed(2)} (±${tol.toFixed(2)})`);
	}
	const report = lines.join('\n');
	t.diagnostic(`\n${report}`);
	fs.mkdirSync(stack.artifacts, { recursive: true });
	fs.writeFileSync(path.join(stack.artifacts, 'agreement.md'), `${report}\n`);
	assert.deepEqual(bad, [], `\n${report}`);
	/* The load must be visible, or agreement would be trivial. */
	assert.ok(m(ioRows, 'r/s') > 20 && m(ioRows, 'w/s') > 20, `fio load not seen: ${JSON.stringify(ioRows[0])}`);
	assert.ok(m(devRows, 'rxkB/s') > 5000, 'iperf3 load not seen on lo');
	assert.ok(m(mpRows, '%idle') < 90, 'stress-ng load not seen');

});
