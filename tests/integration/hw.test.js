'use strict';
/*
 * Hardware and software counters end to end (issue 4). On this machine: the software counters of
 * the frame agree with `perf stat -a` over the same interval (within 5 %), and every hardware
 * metric is null with the exact reason (no PMU here), also in GET /api/v1/hw. With
 * --perf-replay: the synthetic trace's IPC, cache and bandwidth figures, recomputed here from the
 * trace file independently of the C code, come back through the frame, the tables and the API.
 * With --perf-counters=off: no counter is opened and every counter metric says turned_off.
 */
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { startStack, ROOT } = require('../lib/harness.js');

const TRACE = path.join(ROOT, 'tests', 'fixtures', 'perf', 'replay-synthetic.trace');
const HAS_PERF = spawnSync('perf', ['--version']).status === 0;
const HAS_CPU_PMU = ['cpu', 'cpu_core', 'cpu_atom'].some((d) =>
	fs.existsSync(`/sys/bus/event_source/devices/${d}`));
const HW_KEYS = ['ghz', 'ipc', 'cpi', 'cycles_per_s', 'instructions_per_s', 'branch_miss_pct',
	'branch_mpki', 'cache_miss_pct', 'llc_miss_pct', 'llc_hit_pct', 'llc_mpki', 'l1d_miss_pct',
	'l1d_hit_pct', 'dtlb_load_misses_per_s', 'dtlb_mpki', 'stall_frontend_pct',
	'stall_backend_pct', 'core_counted_pct', 'cache_counted_pct', 'l1tlb_counted_pct',
	'stall_counted_pct'];
const SW_EVENTS = { 'context-switches': 'context_switches_per_s',
	'cpu-migrations': 'cpu_migrations_per_s', 'page-faults': 'page_faults_per_s' };

const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/* The perf_event file descriptors a process holds. */
const perfFds = (pid) => fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
	try {
		return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[perf_event]';
	} catch {
		return false;
	}
}).length;

/* Resolves with the frames received on the WebSocket while `until()` is false. */
function watchFrames(stack, until, timeoutMs) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(stack.wsUrl, stack.wsOptions());
		const frames = [];
		const timer = setTimeout(() => { ws.terminate(); reject(new Error(`only ${frames.length} frames`)); },
			timeoutMs);
		ws.on('error', (e) => { clearTimeout(timer); reject(e); });
		ws.on('message', (data) => {
			const f = JSON.parse(data.toString());
			if (f.v !== 1 || f.ref || !f.perf)
				return;
			f.receivedMs = Date.now();
			frames.push(f);
			if (until(frames)) {
				clearTimeout(timer);
				ws.close();
				resolve(frames);
			}
		});
	});
}

async function getJson(stack, p) {
	const res = await stack.fetch(p);
	return { status: res.status, body: await res.json() };
}

describe('on this machine', () => {
	let stack;
	before(async () => { stack = await startStack({ name: 'hw-live', interval: 1 }); });
	after(async () => { await stack?.stop(); });

	test('software counters agree with perf stat -a over the same interval (5 %)',
		{ skip: !HAS_PERF && 'perf (Debian linux-perf) is not installed' }, async () => {
		/* perf stat prints every 100 ms; each line's arrival dates its bin on the wall clock. */
		const perf = spawn('perf', ['stat', '-a', '-x,', '-I', '100', '-e', Object.keys(SW_EVENTS).join(',')],
			{ stdio: ['ignore', 'ignore', 'pipe'] });
		const bins = [];
		let start = Infinity;
		let buf = '';
		perf.stderr.on('data', (d) => {
			const now = Date.now();
			buf += d.toString();
			let nl;
			while ((nl = buf.indexOf('\n')) >= 0) {
				const line = buf.slice(0, nl);
				buf = buf.slice(nl + 1);
				const f = line.trim().split(',');
				if (f.length < 4 || !(f[3] in SW_EVENTS))
					continue;
				const t = Number(f[0]) * 1000;
				start = Math.min(start, now - t);
				bins.push({ t, event: f[3], count: Number(f[1]) });
			}
		});
		const exited = new Promise((r) => perf.on('exit', r));
		await sleep(1500);
		const frames = await watchFrames(stack, (fr) => fr.length >= 11, 30000);
		await sleep(300);
		perf.kill('SIGINT');
		await exited;
		/* Collector window: from the sample of the first frame to the sample of the last. */
		const w0 = frames[0].ts;
		const w1 = frames[frames.length - 1].ts;
		assert.ok(start + 100 < w0, 'perf stat started before the window');
		for (const [event, key] of Object.entries(SW_EVENTS)) {
			let perfCount = 0;
			for (const b of bins.filter((x) => x.event === event)) {
				const hi = start + b.t;
				const lo = hi - 100;
				const overlap = Math.max(0, Math.min(hi, w1) - Math.max(lo, w0));
				perfCount += b.count * overlap / 100;
			}
			let ours = 0;
			for (const f of frames.slice(1))
				ours += f.perf.sw.total[key] * f.dt;
			const percpu = frames.slice(1).reduce((s, f) =>
				s + f.perf.sw.cores.reduce((a, c) => a + c[key], 0) * f.dt, 0);
			console.log(`${event}: collector ${ours.toFixed(0)}, perf stat ${perfCount.toFixed(0)} ` +
				`over ${(w1 - w0) / 1000} s (${(100 * rel(ours, perfCount)).toFixed(2)} %)`);
			assert.ok(perfCount > 100, `too few ${event} to compare: ${perfCount}`);
			assert.ok(rel(ours, perfCount) <= 0.05, `${event}: ${ours} vs perf stat ${perfCount}`);
			assert.ok(rel(percpu, ours) < 1e-3, `${event}: cores sum to ${percpu}, total ${ours}`);
		}
		for (const f of frames.slice(1)) {
			assert.equal(f.perf.sw.cores.length, os.cpus().length);
			assert.equal(f.perf.sw.total.sw_counted_pct, 100);
			assert.ok(Math.abs(f.perf.sw.total.task_clock_pct - 100 * os.cpus().length) < 2,
				`task-clock ${f.perf.sw.total.task_clock_pct} %`);
		}
	});

	test('every hardware metric is null with the exact reason', { skip: HAS_CPU_PMU && 'this machine has a CPU PMU' }, async () => {
		const [f] = await watchFrames(stack, (fr) => fr.length >= 1, 10000);
		const pmus = fs.readdirSync('/sys/bus/event_source/devices').sort().join(' ');
		assert.equal(f.perf.source, 'perf_event');
		for (const k of HW_KEYS) {
			assert.equal(f.perf.hw.total[k], null, k);
			assert.equal(f.perf.reasons[k], 'no_pmu', k);
		}
		assert.equal(f.perf.why.no_pmu,
			'the kernel has no CPU PMU driver (no cpu entry in /sys/bus/event_source/devices), as ' +
			'in a virtual machine without a virtual PMU: hardware counters cannot be read here ' +
			`(the kernel's PMUs: ${pmus})`);
		for (const k of ['read_gbs', 'write_gbs', 'total_gbs', 'util_pct']) {
			assert.equal(f.perf.membw[k], null, k);
			assert.equal(f.perf.reasons[k], 'no_bandwidth_source', k);
		}
		assert.match(f.perf.why.no_bandwidth_source, /no uncore_imc_\* or amd_umc_\* PMU/);
		/* Nothing pretends to be a measurement: no hardware or bandwidth rows at all. */
		assert.equal(stack.psql('SELECT count(*) FROM hw_samples'), '0');
		assert.equal(stack.psql('SELECT count(*) FROM membw_samples'), '0');
		assert.ok(Number(stack.psql('SELECT count(*) FROM sw_samples')) > 0);
	});

	test('libpfm4 is never mapped into the collector (a child process encodes the events)', () => {
		const pid = stack.services.collector.child.pid;
		const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
		assert.doesNotMatch(maps, /libpfm/, 'libpfm4 mapped into the collector');
		assert.match(maps, /libpq/, 'the maps are the collector\'s');
		/* The counting side of the turned-off test below: here the groups are open. */
		assert.ok(perfFds(pid) >= 4 * os.cpus().length, `${perfFds(pid)} perf_event fds`);
	});

	test('GET /api/v1/hw returns the capability report', async () => {
		const { status, body } = await getJson(stack, '/api/v1/hw');
		assert.equal(status, 200, JSON.stringify(body));
		const r = body.report;
		assert.equal(body.host, stack.psql('SELECT name FROM host'));
		assert.equal(r.source, 'perf_event');
		assert.equal(r.pmus, fs.readdirSync('/sys/bus/event_source/devices').sort().join(' '));
		assert.equal(r.perf_event_paranoid, Number(fs.readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8')));
		assert.deepEqual(r.cpus, [...Array(os.cpus().length).keys()]);
		for (const e of r.events.filter((x) => !x.hardware))
			assert.equal(e.opened_cpus, os.cpus().length, `${e.event} opened on every CPU`);
		if (!HAS_CPU_PMU) {
			assert.equal(r.core_pmu, null);
			for (const e of r.events.filter((x) => x.hardware)) {
				assert.equal(e.opened_cpus, 0);
				assert.equal(e.reason, 'no_pmu');
				assert.equal(e.errno, 'ENOENT', `${e.event}: the kernel says ENOENT without a PMU`);
			}
			const nopmu = r.unavailable.find((u) => u.code === 'no_pmu');
			assert.ok(nopmu, JSON.stringify(r.unavailable));
			assert.match(nopmu.fix, /virtual PMU/);
			assert.equal(nopmu.events.length, 14);
			assert.equal(body.status.reasons.ipc, 'no_pmu');
		}
		/* libpfm4 answered from its child process: the same claims as linking it did. */
		assert.ok(Array.isArray(r.libpfm4_claims) && r.libpfm4_claims.length > 0,
			JSON.stringify(r.libpfm4_claims));
		console.log(`capability report: ${JSON.stringify(body)}`);
		const other = await getJson(stack, '/api/v1/hw?host=no-such-host');
		assert.equal(other.status, 404);
		assert.equal((await getJson(stack, '/api/v1/hw?bogus=1')).status, 400);
	});
});

/* Per trace tick k ≥ 1: the figures the aggregation must produce, computed from the file. */
function expectedFromTrace(file) {
	const reads = new Map();
	const bw = new Map();
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		if (!line || line.startsWith('#'))
			continue;
		const f = line.split(' ');
		const k = Number(f[0]);
		if (f[1] === 'g') {
			const vals = Object.fromEntries(f.slice(6).map((kv) => kv.split('=')).map(([a, b]) => [a, Number(b)]));
			reads.set(`${k}/${f[2]}/${f[3]}`, { en: Number(f[4]), run: Number(f[5]), vals });
		} else {
			bw.set(`${k}/${f[2]}`, { t: Number(f[3]), rd: Number(f[4]), wr: Number(f[5]) });
		}
	}
	const scaled = (k, cpu, group, ev) => {
		const a = reads.get(`${k - 1}/${cpu}/${group}`);
		const b = reads.get(`${k}/${cpu}/${group}`);
		const dr = b.run - a.run;
		return dr === 0 ? null : (b.vals[ev] - a.vals[ev]) * (b.en - a.en) / dr;
	};
	const out = [];
	for (let k = 1; reads.has(`${k}/0/core`); k++) {
		const e = { k, cores: [] };
		let ins = 0, cyc = 0, llc = 0, llcm = 0;
		for (const cpu of [0, 1]) {
			const c = { ipc: scaled(k, cpu, 'core', 'instructions') / scaled(k, cpu, 'core', 'cycles'),
				llc_miss_pct: 100 * scaled(k, cpu, 'cache', 'llc_load_misses') / scaled(k, cpu, 'cache', 'llc_loads'),
				ghz: 2.4 * scaled(k, cpu, 'core', 'cycles') / scaled(k, cpu, 'core', 'ref_cycles') };
			e.cores.push(c);
			ins += scaled(k, cpu, 'core', 'instructions');
			cyc += scaled(k, cpu, 'core', 'cycles');
			llc += scaled(k, cpu, 'cache', 'llc_loads');
			llcm += scaled(k, cpu, 'cache', 'llc_load_misses');
		}
		e.ipc = ins / cyc;
		e.llc_miss_pct = 100 * llcm / llc;
		e.read_gbs = 0;
		e.write_gbs = 0;
		for (const ch of [0, 1]) {
			const a = bw.get(`${k - 1}/${ch}`);
			const b = bw.get(`${k}/${ch}`);
			e.read_gbs += (b.rd - a.rd) * 64 / (b.t - a.t);
			e.write_gbs += (b.wr - a.wr) * 64 / (b.t - a.t);
		}
		e.util_pct = 100 * (e.read_gbs + e.write_gbs) / 40;
		out.push(e);
	}
	return out;
}

describe('--perf-replay of the synthetic trace', () => {
	let stack;
	let frames;
	const expected = expectedFromTrace(TRACE);
	/* The trace tick a frame replays: the one whose every figure matches (rounded to 6 digits). */
	const matchTick = (p) => expected.find((e) => rel(p.hw.total.ipc, e.ipc) < 2e-5 &&
		rel(p.hw.cores[0].ipc, e.cores[0].ipc) < 2e-5 && rel(p.hw.cores[1].ipc, e.cores[1].ipc) < 2e-5);

	before(async () => {
		stack = await startStack({ name: 'hw-replay', interval: 1, collectorArgs: ['--perf-replay', TRACE] });
		frames = await watchFrames(stack, (fr) => fr.length >= 5, 30000);
	});
	after(async () => { await stack?.stop(); });

	test('the frame carries the trace figures, labelled as a synthetic replay', () => {
		for (const f of frames) {
			assert.equal(f.perf.source, 'replay');
			assert.match(f.perf.origin, /^synthetic .*NOT measured/);
			const e = matchTick(f.perf);
			assert.ok(e, `seq ${f.seq}: IPC ${f.perf.hw.total.ipc} is no tick of the trace`);
			assert.ok(rel(f.perf.hw.total.llc_miss_pct, e.llc_miss_pct) < 2e-5);
			assert.ok(rel(f.perf.hw.cores[1].llc_miss_pct, e.cores[1].llc_miss_pct) < 2e-5);
			assert.ok(rel(f.perf.hw.cores[0].ghz, e.cores[0].ghz) < 2e-5);
			assert.ok(rel(f.perf.membw.read_gbs, e.read_gbs) < 2e-5, `${f.perf.membw.read_gbs} vs ${e.read_gbs}`);
			assert.ok(rel(f.perf.membw.write_gbs, e.write_gbs) < 2e-5);
			assert.ok(rel(f.perf.membw.util_pct, e.util_pct) < 2e-5);
			assert.equal(f.perf.hw.total.cache_counted_pct, 50);
			assert.equal(f.perf.hw.total.stall_frontend_pct, null);
			assert.equal(f.perf.reasons.stall_frontend_pct, 'event_unsupported');
			console.log(`seq ${f.seq} = trace tick ${e.k}: IPC ${f.perf.hw.total.ipc} (cpu0 ` +
				`${f.perf.hw.cores[0].ipc}, cpu1 ${f.perf.hw.cores[1].ipc}), LLC miss ` +
				`${f.perf.hw.total.llc_miss_pct} %, ${f.perf.hw.cores[0].ghz} GHz, read ` +
				`${f.perf.membw.read_gbs} GB/s, write ${f.perf.membw.write_gbs} GB/s, ` +
				`${f.perf.membw.util_pct} % of peak`);
		}
	});

	test('the tables and /api/v1/query hold the same figures', async () => {
		const from = frames[0].ts;
		const to = frames[frames.length - 1].ts;
		const q = await getJson(stack,
			`/api/v1/query?metric=hw.ipc,hw.llc_miss_pct,membw.read_gbs&instance=total&from=${from}&to=${to}`);
		assert.equal(q.status, 200, JSON.stringify(q.body));
		const series = Object.fromEntries(q.body.series.map((s) => [s.metric, s]));
		for (const f of frames) {
			const at = `timestamptz 'epoch' + ${f.ts} * interval '1 ms'`;
			const [ipc, llc] = stack.psql(`SELECT ipc, llc_miss_pct FROM hw_samples WHERE ts = ${at} AND cpu = -1`)
				.split('|').map(Number);
			assert.ok(rel(ipc, f.perf.hw.total.ipc) < 1e-6, `hw_samples.ipc ${ipc}`);
			assert.ok(rel(llc, f.perf.hw.total.llc_miss_pct) < 1e-6);
			const rd = Number(stack.psql(`SELECT read_gbs FROM membw_samples WHERE ts = ${at}`));
			assert.ok(rel(rd, f.perf.membw.read_gbs) < 1e-6);
			const point = (m) => series[m].points.find((p) => p[0] === f.ts)?.[1];
			assert.ok(rel(point('hw.ipc'), f.perf.hw.total.ipc) < 1e-6, `query hw.ipc at ${f.ts}`);
			assert.ok(rel(point('hw.llc_miss_pct'), f.perf.hw.total.llc_miss_pct) < 1e-6);
			assert.ok(rel(point('membw.read_gbs'), f.perf.membw.read_gbs) < 1e-6);
		}
		assert.equal(stack.psql('SELECT source FROM perf_status ORDER BY ts DESC LIMIT 1'), 'replay');
	});

	test('GET /api/v1/hw says it is a replay and where the trace came from', async () => {
		const { status, body } = await getJson(stack, '/api/v1/hw');
		assert.equal(status, 200, JSON.stringify(body));
		assert.equal(body.report.source, 'replay');
		assert.equal(body.report.trace, TRACE);
		assert.match(body.report.origin, /synthetic/);
		assert.equal(body.status.source, 'replay');
	});
});

describe('--perf-counters=off', () => {
	let stack;
	let frames;
	before(async () => {
		stack = await startStack({ name: 'hw-off', interval: 1, collectorArgs: ['--perf-counters=off'] });
		frames = await watchFrames(stack, (fr) => fr.length >= 2, 20000);
	});
	after(async () => { await stack?.stop(); });

	test('no counter is opened and every counter metric says turned_off', () => {
		assert.equal(perfFds(stack.services.collector.child.pid), 0);
		for (const f of frames) {
			for (const k of [...HW_KEYS, ...Object.values(SW_EVENTS)]) {
				const part = HW_KEYS.includes(k) ? f.perf.hw : f.perf.sw;
				assert.equal(part.total[k], null, k);
				assert.equal(f.perf.reasons[k], 'turned_off', k);
			}
			for (const k of ['read_gbs', 'write_gbs', 'total_gbs', 'util_pct']) {
				assert.equal(f.perf.membw[k], null, k);
				assert.equal(f.perf.reasons[k], 'turned_off', k);
			}
			assert.match(f.perf.why.turned_off, /--perf-counters=off/);
			assert.ok(f.cpu && f.mem, 'the other sources are sampled');
		}
		/* Software rows carry NULLs (their reason is in perf_status); hardware rows are left out. */
		assert.equal(stack.psql('SELECT count(*) FROM sw_samples WHERE num_nonnulls(context_switches_per_s, ' +
			'cpu_migrations_per_s, page_faults_per_s, task_clock_pct, sw_counted_pct) > 0'), '0');
		assert.equal(stack.psql('SELECT count(*) FROM hw_samples'), '0');
		assert.equal(stack.psql('SELECT count(*) FROM membw_samples'), '0');
		assert.equal(stack.psql("SELECT reasons ->> 'page_faults_per_s' FROM perf_status ORDER BY ts DESC LIMIT 1"),
			'turned_off');
	});

	test('GET /api/v1/hw gives the one reason, its fix, and still the kernel', async () => {
		const { status, body } = await getJson(stack, '/api/v1/hw');
		assert.equal(status, 200, JSON.stringify(body));
		const r = body.report;
		assert.equal(r.kernel, os.release());
		assert.deepEqual(r.unavailable.map((u) => u.code), ['turned_off'], JSON.stringify(r.unavailable));
		assert.match(r.unavailable[0].fix, /without --perf-counters=off/);
		assert.ok(r.unavailable[0].events.includes('membw') && r.unavailable[0].events.includes('cycles'),
			JSON.stringify(r.unavailable[0].events));
		for (const e of r.events)
			assert.equal(e.opened_cpus, 0, e.event);
		assert.equal(body.status.reasons.ipc, 'turned_off');
	});
});
