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

/*
 * Collects a child's output: resolves with {out, arrivals} (its stdout, and when each chunk of it
 * arrived, ms since the epoch), rejects on a non-zero exit with the command and its stderr.
 */
function collect(p, cmd, args) {
	return new Promise((resolve, reject) => {
		const arrivals = [];
		let out = '';
		let err = '';
		p.stdout.on('data', (d) => { out += d; arrivals.push(Date.now()); });
		p.stderr.on('data', (d) => { err += d; });
		p.on('error', reject);
		p.on('close', (code) => (code === 0 ? resolve({ out, arrivals })
			: reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
	});
}

/* Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
async function run(cmd, args) {
	const p = spawn(cmd, args, { env: TOOL_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
	return (await collect(p, cmd, args)).out;
}

/*
 * Starts `cmd args` held back: a shell waits on its stdin and execs the tool when release() is
 * called. Forking from Node takes 10-20 ms per child under this load, so tools spawned one after
 * another at the aligned moment began their seconds 60-150 ms after the collector's (measured);
 * released together, they begin within a few ms of each other. `done`: collect()'s answer.
 */
function held(cmd, args) {
	const p = spawn('sh', ['-c', 'read _ && exec "$@"', 'sh', cmd, ...args],
		{ env: TOOL_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
	return { name: `${cmd} ${args[0]}`, done: collect(p, cmd, args), release: () => p.stdin.end('\n') };
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
const meanOf = (xs) => mean(xs.filter((x) => x !== null && x !== undefined));

/*
 * Whether PerfWatch's per-second values and a tool's agree: their means over the window, or, when
 * both have one value per second of it, over the window less its first and/or last second. The
 * tools still start their seconds some tens of ms from the collector's (a released tool runs 13-54
 * ms later under this load: the `date` probes), so what happens in those ms at the window's edges
 * counts on one side only; a burst there (a writeback of a few MB, a stress-ng page-fault storm)
 * can move a mean by more than the tolerance. Dropping an edge second moves that edge by a second,
 * away from the burst; an error of PerfWatch's in its rates or units shows in every choice. Null
 * values (an await of a second without I/O) are left out of the means.
 */
const CUTS = [[0, 0], [0, 1], [1, 0], [1, 1]]; /* seconds dropped at the start, at the end */
function agree(ours, tool, abs, rel) {
	const cuts = ours.length === WINDOW && tool.length === WINDOW ? CUTS : CUTS.slice(0, 1);
	let first = null;
	for (const [head, tail] of cuts) {
		const a = meanOf(ours.slice(head, ours.length - tail));
		const b = meanOf(tool.slice(head, tool.length - tail));
		const tol = abs + rel * Math.abs(b);
		const r = { a, b, tol, ok: Math.abs(a - b) <= tol,
			seconds: ours.length === 1 ? 'now' : `${head + 1}-${ours.length - tail}` };
		if (r.ok)
			return r;
		first = first ?? r;
	}
	return first;
}

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
 * The phase (ms within the second) of the collector's ticks: the median of the last few. The tools
 * are released so that their seconds start with the collector's. With the phases apart, what
 * happened in between counted on one side only: with them up to a second apart a write burst at a
 * window edge (a journal commit, a checkpoint: a few MB in one second) moved a mean write rate by
 * 10-15 %; with the tools spawned one after another just after a tick (60-150 ms apart, measured)
 * stress-ng's page faults (60,000/s, in bursts) still differed by 11 % and a write burst by 30 %
 * (CI of c0d6952).
 */
async function tickPhase() {
	const now = Date.now();
	const ts = (await points(['cpu.usr'], 'total', now - 6000, now + 1000))['cpu.usr'].map(([t]) => t);
	assert.ok(ts.length >= 3, `collector ticks in the last 6 s: ${ts.length}`);
	const phases = ts.map((t) => t % 1000).sort((a, b) => a - b);
	return phases[phases.length >> 1];
}

/*
 * Releases the held tools at once, RELEASE_LEAD ms before a collector tick: under this test's load
 * a released tool runs 13-54 ms later (the `date` probe's figures in the report), so they start
 * around the tick. Returns the release time.
 */
const RELEASE_LEAD = 35;
async function releaseAroundTick(phase, tools) {
	const target = (phase - RELEASE_LEAD + 1000) % 1000;
	const wait = () => (target - (Date.now() % 1000) + 1000) % 1000;
	/* Timers run late under load: sleep to 50 ms before, then spin. */
	if (wait() < 50)
		await sleep(wait() + 1);
	await sleep(Math.max(0, wait() - 50));
	while (wait() > 0 && wait() < 900)
		;
	const t0 = Date.now();
	for (const tool of tools)
		tool.release();
	return t0;
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
	const tools = [
		held('date', ['+%s%3N']), /* probes: when the first and the last released one ran */
		held('mpstat', ['-u', '1', String(WINDOW)]),
		held('iostat', ['-dxky', dev, '1', String(WINDOW)]),
		held('sar', ['-n', 'DEV,TCP', '1', String(WINDOW)]),
		held('sar', ['-B', '1', String(WINDOW)]),
		held('vmstat', ['-n', '-w', '1', String(WINDOW + 1)]),
		held('vmstat', ['-a', '-n', '-w', '1', String(WINDOW + 1)]),
		held('mpstat', ['-I', 'SCPU', '1', String(WINDOW)]),
		held('date', ['+%s%3N']),
	];
	await sleep(WARMUP * 1000);
	const phase = await tickPhase();
	const t0 = await releaseAroundTick(phase, tools);
	const reports = await Promise.all(tools.map((tool) => tool.done));
	const [probeFirst, mp, io, sarNet, sarB, vm, vma, soft, probeLast] = reports.map((r) => r.out);
	/* How long after the collector's tick each tool's report lines arrived (median). */
	const signedMs = (ms) => ((ms % 1000) + 1500) % 1000 - 500;
	const lags = tools.slice(1, -1).map((tool, i) => {
		const ms = reports[i + 1].arrivals.map((a) => signedMs(a - phase)).sort((a, b) => a - b);
		return `${tool.name} ${ms[ms.length >> 1]} ms`;
	});
	const dfOut = await run('df', ['-B1', '--output=target,size,used,avail', tmp]);
	const t1 = Date.now();
	await Promise.all(loads);
	await sleep(1500); /* the collector's sample for the window's last second is stored */

	/*
	 * A tool's k-th line covers about (t0 + k - 1, t0 + k], shifted by the time it took to run; a
	 * PerfWatch row at ts covers (ts - dt, ts], and its ticks fall RELEASE_LEAD ms after t0 + k - 1:
	 * the rows with ts in (t0 + 0.5, t0 + WINDOW + 0.5].
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
	const m = (rows, c) => mean(rows.map((r) => r[c]));
	const col = (rows, c) => rows.map((r) => r[c]);
	const per = (xs, unit) => xs.map((x) => x / unit);

	/* [what, PerfWatch per second, tool per second, absolute and relative tolerance, tool column]. */
	const checks = [
		['cpu usr+nice %', sum(cpu['cpu.usr'], cpu['cpu.nice']), sum(col(mpRows, '%usr'), col(mpRows, '%nice')), 3, 0, 'mpstat %usr+%nice'],
		['cpu sys %', cpu['cpu.sys'], col(mpRows, '%sys'), 3, 0, 'mpstat %sys'],
		['cpu idle %', cpu['cpu.idle'], col(mpRows, '%idle'), 3, 0, 'mpstat %idle'],
		['cpu iowait %', cpu['cpu.iowait'], col(mpRows, '%iowait'), 3, 0, 'mpstat %iowait'],
		['context switches /s', cpu['cpu.ctxt_per_s'], col(vmRows, 'cs'), 50, 0.10, 'vmstat cs'],
		['interrupts /s', cpu['cpu.intr_per_s'], col(vmRows, 'in'), 50, 0.10, 'vmstat in'],
		['softirq NET_RX /s', sirq['softirqs.net_rx_per_s'], col(softRows, 'NET_RX/s'), 20, 0.10, 'mpstat -I SCPU NET_RX/s'],
		['softirq TIMER /s', sirq['softirqs.timer_per_s'], col(softRows, 'TIMER/s'), 20, 0.10, 'mpstat -I SCPU TIMER/s'],
		['softirq BLOCK /s', sirq['softirqs.block_per_s'], col(softRows, 'BLOCK/s'), 20, 0.10, 'mpstat -I SCPU BLOCK/s'],
		['mem free KiB', mem['mem.free_kb'], col(vmRows, 'free'), 0.02 * total, 0, 'vmstat free'],
		['mem active KiB', mem['mem.active_kb'], col(vmaRows, 'active'), 0.02 * total, 0, 'vmstat -a active'],
		['mem inactive KiB', mem['mem.inactive_kb'], col(vmaRows, 'inact'), 0.02 * total, 0, 'vmstat -a inact'],
		['mem buffers KiB', mem['mem.buffers_kb'], col(vmRows, 'buff'), 0.02 * total, 0, 'vmstat buff'],
		['page faults /s', sum(vms['vmstat.minor_faults_per_s'], vms['vmstat.major_faults_per_s']), col(bRows, 'fault/s'), 50, 0.10, 'sar -B fault/s'],
		['major faults /s', vms['vmstat.major_faults_per_s'], col(bRows, 'majflt/s'), 5, 0.10, 'sar -B majflt/s'],
		['paged in KiB/s', vms['vmstat.page_in_kb_per_s'], col(bRows, 'pgpgin/s'), 50, 0.10, 'sar -B pgpgin/s'],
		['paged out KiB/s', vms['vmstat.page_out_kb_per_s'], col(bRows, 'pgpgout/s'), 50, 0.10, 'sar -B pgpgout/s'],
		[`${dev} reads/s`, disk['disk.reads_per_s'], col(ioRows, 'r/s'), 3, 0.10, 'iostat r/s'],
		[`${dev} writes/s`, disk['disk.writes_per_s'], col(ioRows, 'w/s'), 3, 0.10, 'iostat w/s'],
		[`${dev} read KiB/s`, per(disk['disk.read_bytes_per_s'], 1024), col(ioRows, 'rkB/s'), 20, 0.10, 'iostat rkB/s'],
		[`${dev} write KiB/s`, per(disk['disk.write_bytes_per_s'], 1024), col(ioRows, 'wkB/s'), 20, 0.10, 'iostat wkB/s'],
		[`${dev} util %`, disk['disk.util_pct'], col(ioRows, '%util'), 5, 0, 'iostat %util'],
		[`${dev} queue`, disk['disk.queue_len'], col(ioRows, 'aqu-sz'), 0.05, 0.20, 'iostat aqu-sz'],
		[`${dev} read await ms`, disk['disk.read_await_ms'], ioRows.map((r) => (r['r/s'] > 0 ? r.r_await : null)), 0.2, 0.25, 'iostat r_await'],
		[`${dev} write await ms`, disk['disk.write_await_ms'], ioRows.map((r) => (r['w/s'] > 0 ? r.w_await : null)), 0.2, 0.25, 'iostat w_await'],
		['lo rx KiB/s', per(lo['net.rx_bytes_per_s'], 1024), col(devRows, 'rxkB/s'), 10, 0.05, 'sar -n DEV rxkB/s'],
		['lo tx KiB/s', per(lo['net.tx_bytes_per_s'], 1024), col(devRows, 'txkB/s'), 10, 0.05, 'sar -n DEV txkB/s'],
		['lo rx packets/s', lo['net.rx_packets_per_s'], col(devRows, 'rxpck/s'), 10, 0.05, 'sar -n DEV rxpck/s'],
		['tcp in segments/s', tcp['tcp.in_segs_per_s'], col(tcpRows, 'iseg/s'), 10, 0.05, 'sar -n TCP iseg/s'],
		['tcp out segments/s', tcp['tcp.out_segs_per_s'], col(tcpRows, 'oseg/s'), 10, 0.05, 'sar -n TCP oseg/s'],
		['tcp active opens/s', tcp['tcp.active_opens_per_s'], col(tcpRows, 'active/s'), 1, 0, 'sar -n TCP active/s'],
		/* df runs once, after the window: compare with PerfWatch's newest sample. */
		[`fs ${dfMount} size GiB`, [last(fsNow['fs.size_bytes']) / 2 ** 30], [Number(dfSize) / 2 ** 30], 0.01, 0, 'df size'],
		[`fs ${dfMount} used GiB`, [last(fsNow['fs.used_bytes']) / 2 ** 30], [Number(dfUsed) / 2 ** 30], 0.5, 0, 'df used'],
		[`fs ${dfMount} avail GiB`, [last(fsNow['fs.avail_bytes']) / 2 ** 30], [Number(dfAvail) / 2 ** 30], 0.5, 0, 'df avail'],
	];

	const lines = ['| metric | PerfWatch | tool | tool column | tolerance | seconds | ok |',
		'|---|---|---|---|---|---|---|'];
	const bad = [];
	for (const [what, ourSeries, toolSeries, abs, rel, column] of checks) {
		const r = agree(ourSeries, toolSeries, abs, rel);
		assert.ok(Number.isFinite(r.a) && Number.isFinite(r.b), `${what}: PerfWatch ${r.a}, ${column} ${r.b}`);
		lines.push(`| ${what} | ${r.a.toFixed(2)} | ${r.b.toFixed(2)} | ${column} | ±${r.tol.toFixed(2)} | ${r.seconds} | ${r.ok ? 'yes' : 'NO'} |`);
		if (!r.ok)
			bad.push(`${what}: PerfWatch ${r.a.toFixed(2)} vs ${column} ${r.b.toFixed(2)} (±${r.tol.toFixed(2)})`);
	}
	const report = `${lines.join('\n')}\n\ntools released ${signedMs(t0 - phase)} ms from the collector's tick; the first and the last released ran ${Number(probeFirst) - t0} and ${Number(probeLast) - t0} ms later; their report lines arrived (median): ${lags.join(', ')}`;
	t.diagnostic(`\n${report}`);
	fs.mkdirSync(stack.artifacts, { recursive: true });
	fs.writeFileSync(path.join(stack.artifacts, 'agreement.md'), `${report}\n`);
	assert.deepEqual(bad, [], `\n${report}`);
	/* The load must be visible, or agreement would be trivial. */
	assert.ok(m(ioRows, 'r/s') > 20 && m(ioRows, 'w/s') > 20, `fio load not seen: ${JSON.stringify(ioRows[0])}`);
	assert.ok(m(devRows, 'rxkB/s') > 5000, 'iperf3 load not seen on lo');
	assert.ok(m(mpRows, '%idle') < 90, 'stress-ng load not seen');

});
