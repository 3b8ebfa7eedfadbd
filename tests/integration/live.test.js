'use strict';
/*
 * The whole live path on this machine: collector (1 s) -> PostgreSQL -> NOTIFY -> API server ->
 * WebSocket. Checks ticks, CPU percentages, memory against /proc/meminfo, the same ticks from
 * /api/v1/query, /api/v1/latest and perfwatch_frame(), the rows in the tables, and that
 * WebSocket clients get ticks again after the API server restarts.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const { spawn } = require('node:child_process');
const WebSocket = require('ws');
const { startStack } = require('../lib/harness.js');

const STATES = ['usr', 'nice', 'sys', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'];
let stack;
let frames;

/* Collects `n` consecutive ticks (seq increasing by one) from the WebSocket. */
function collectTicks(url, n, timeoutMs = 30000) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, stack.wsOptions());
		let run = [];
		const timer = setTimeout(() => {
			ws.terminate();
			reject(new Error(`${run.length} consecutive ticks in ${timeoutMs} ms, wanted ${n}`));
		}, timeoutMs);
		ws.on('error', (err) => { clearTimeout(timer); reject(err); });
		ws.on('message', (data, isBinary) => {
			assert.equal(isBinary, false, 'frames are text messages');
			const msg = JSON.parse(data.toString());
			if (msg.v !== 1 || typeof msg.seq !== 'number' || msg.ref)
				return;
			msg.receivedMs = performance.timeOrigin + performance.now();
			if (run.length && msg.seq !== run[run.length - 1].seq + 1)
				run = [];
			run.push(msg);
			if (run.length === n) {
				clearTimeout(timer);
				ws.close();
				resolve(run);
			}
		});
	});
}

const close = (a, b, rel = 1e-5) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

async function getJson(path) {
	const res = await stack.fetch(path);
	return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

before(async () => {
	stack = await startStack({ collector: true, interval: 1 });
	frames = await collectTicks(stack.wsUrl, 4);
});

after(async () => {
	await stack?.stop();
});

test('the WebSocket delivers consecutive ticks about 1 s apart', () => {
	for (let i = 1; i < frames.length; i++) {
		const gap = frames[i].ts - frames[i - 1].ts;
		assert.ok(gap > 800 && gap < 1200, `ts gap ${gap} ms between seq ${frames[i - 1].seq} and ${frames[i].seq}`);
		assert.ok(frames[i].dt > 0.8 && frames[i].dt < 1.2, `dt ${frames[i].dt}`);
	}
	for (const f of frames) {
		assert.equal(f.host, stack.psql('SELECT name FROM host'));
		const lag = f.receivedMs - f.ts;
		assert.ok(lag >= 0 && lag < 1000, `received ${lag} ms after the sample`);
	}
});

test('CPU states sum to 100 ± 0.5 for the total and for every CPU', () => {
	const ncpu = os.cpus().length;
	for (const f of frames) {
		assert.equal(f.cpu.cores.length, ncpu, 'one entry per CPU');
		assert.deepEqual(f.cpu.cores.map((c) => c.cpu), [...Array(ncpu).keys()]);
		for (const [name, row] of [['total', f.cpu.total], ...f.cpu.cores.map((c) => [`cpu${c.cpu}`, c])]) {
			const sum = STATES.reduce((s, k) => {
				assert.equal(typeof row[k], 'number', `seq ${f.seq} ${name}.${k}`);
				assert.ok(row[k] >= 0 && row[k] <= 100, `seq ${f.seq} ${name}.${k} = ${row[k]}`);
				return s + row[k];
			}, 0);
			assert.ok(Math.abs(sum - 100) <= 0.5, `seq ${f.seq} ${name}: states sum to ${sum}`);
		}
	}
});

test('mem.total_kb is MemTotal from /proc/meminfo', () => {
	const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1]);
	for (const f of frames) {
		assert.equal(f.mem.total_kb, memTotal);
		assert.ok(f.mem.available_kb > 0 && f.mem.available_kb <= memTotal);
		assert.ok(f.load.tasks > 0 && f.load.running >= 1, JSON.stringify(f.load));
	}
});

test('every tick is in the tables and perfwatch_frame() rebuilds it', () => {
	const ncpu = os.cpus().length;
	for (const f of frames) {
		const at = `timestamptz 'epoch' + ${f.ts} * interval '1 ms'`;
		assert.equal(stack.psql(`SELECT count(*) FROM cpu_samples WHERE ts = ${at}`), String(ncpu + 1));
		assert.equal(stack.psql(`SELECT total_kb FROM memory_samples WHERE ts = ${at}`), String(f.mem.total_kb));
		assert.equal(stack.psql(`SELECT tasks FROM load_samples WHERE ts = ${at}`), String(f.load.tasks));
		assert.equal(stack.psql(`SELECT seq FROM tick_samples WHERE ts = ${at}`), String(f.seq));
		const back = JSON.parse(stack.psql(`SELECT perfwatch_frame('${f.host}', ${at})`, { user: 'perfwatch_api' }));
		assert.equal(back.seq, f.seq);
		assert.ok(close(back.cpu.total.usr, f.cpu.total.usr), `${back.cpu.total.usr} vs ${f.cpu.total.usr}`);
		assert.ok(close(back.load.load1, f.load.load1));
		assert.equal(back.mem.free_kb, f.mem.free_kb);
	}
});

test('/api/v1/query returns the same ticks', async () => {
	const first = frames[0].ts;
	const last = frames[frames.length - 1].ts;
	const { status, type, body } = await getJson(
		`/api/v1/query?metric=cpu.usr,cpu.sys,mem.free_kb&instance=total&from=${first}&to=${last}`);
	assert.equal(status, 200, JSON.stringify(body));
	assert.match(type, /application\/json/);
	assert.equal(body.from, first);
	assert.equal(body.to, last);
	const series = Object.fromEntries(body.series.map((s) => [s.metric, s]));
	assert.deepEqual(Object.keys(series).sort(), ['cpu.sys', 'cpu.usr', 'mem.free_kb']);
	assert.equal(series['cpu.usr'].unit, '%');
	for (const f of frames) {
		const at = (s) => s.points.find((p) => p[0] === f.ts);
		assert.ok(at(series['cpu.usr']), `tick ${f.ts} missing from cpu.usr`);
		assert.ok(close(at(series['cpu.usr'])[1], f.cpu.total.usr), `cpu.usr at ${f.ts}`);
		assert.ok(close(at(series['cpu.sys'])[1], f.cpu.total.sys), `cpu.sys at ${f.ts}`);
		assert.equal(at(series['mem.free_kb'])[1], f.mem.free_kb);
	}
	assert.equal(series['cpu.usr'].points.length, frames.length, 'only ticks inside [from, to]');
	const one = await getJson(`/api/v1/query?metric=cpu.idle&instance=1&from=${first}&to=${last}`);
	assert.equal(one.status, 200, JSON.stringify(one.body));
	assert.ok(close(one.body.series[0].points.find((p) => p[0] === first)[1], frames[0].cpu.cores[1].idle));
});

test('/healthz and /api/v1/latest', async () => {
	const health = await getJson('/healthz');
	assert.equal(health.status, 200);
	assert.deepEqual(health.body, { status: 'ok', db: 'up' });
	const latest = await getJson('/api/v1/latest');
	assert.equal(latest.status, 200);
	assert.ok(latest.body.seq >= frames[frames.length - 1].seq, `latest seq ${latest.body.seq}`);
	assert.equal(latest.body.host, frames[0].host);
});

test('the WebSocket upgrade needs a session and this server as Origin', async () => {
	const refused = (opts) => new Promise((resolve) => {
		const ws = new WebSocket(stack.wsUrl, opts);
		ws.on('open', () => { ws.terminate(); resolve(false); });
		ws.on('unexpected-response', (req, res) => { res.resume(); resolve(res.statusCode); });
		ws.on('error', () => resolve(true));
	});
	assert.ok(await refused({ origin: stack.httpUrl }), 'upgrade without a session');
	assert.ok(await refused({ ...stack.wsOptions(), origin: 'http://evil.example' }), 'upgrade from another origin');
	const res = await fetch(`${stack.httpUrl}/api/v1/latest`);
	assert.equal(res.status, 401, 'REST without a session');
});

test('after an API server restart, WebSocket clients get ticks again', async () => {
	const lastSeq = frames[frames.length - 1].seq;
	await stack.restartApi();
	const again = await collectTicks(stack.wsUrl, 2);
	assert.ok(again[0].seq > lastSeq, `seq ${again[0].seq} after ${lastSeq}`);
});

/*
 * The WebSocket thread knows logins only from the credential cache, so a restarted API server
 * is not ready (503 "starting") until its first credential round has answered: with the
 * sessions table locked that round waits, /healthz says so, and a valid session's upgrade is
 * accepted as soon as it says ok (before, /healthz said ok at once and the upgrade got 401).
 */
test('a restarted API server is ready only once it knows the logins', async () => {
	const locker = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', stack.conninfo()],
		{ stdio: ['pipe', 'pipe', 'inherit'] });
	const locked = new Promise((resolve, reject) => {
		locker.stdout.on('data', (d) => d.toString().includes('locked') && resolve());
		locker.on('exit', (code) => reject(new Error(`psql exited with ${code}`)));
	});
	locker.stdin.write('BEGIN; LOCK TABLE perfwatch_auth.sessions IN ACCESS EXCLUSIVE MODE; SELECT \'locked\';\n');
	await locked;
	const restarted = stack.restartApi();
	try {
		let health = null;
		for (let i = 0; i < 100 && health?.status !== 'starting'; i++) {
			await new Promise((r) => setTimeout(r, 100));
			try {
				health = await (await fetch(`${stack.httpUrl}/healthz`)).json();
			} catch {
				/* not listening yet */
			}
		}
		assert.deepEqual(health, { status: 'starting', db: 'up' }, 'while the credential round waits');
	} finally {
		locker.stdin.end('COMMIT;\n');
	}
	await restarted;
	const ticks = await collectTicks(stack.wsUrl, 1);
	assert.equal(ticks.length, 1);
});
