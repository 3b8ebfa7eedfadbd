'use strict';
/*
 * Checks a running compose stack from the host, as a user would: /healthz, /api/v1/config,
 * consecutive ticks over the WebSocket, the same ticks in /api/v1/query, and that the frames
 * describe this host (CPU count, MemTotal, host name, network interfaces), not the container.
 * Logs in first, as a user of the defaults would: with the admin password the API server
 * generated and printed in its log. Run by tests/compose/smoke.sh; prints one JSON summary line
 * on success, exits 1 on failure.
 * Environment: PW_HTTP_PORT, PW_WS_PORT, PW_UP_START_MS (epoch ms when `up` began),
 * PW_ADMIN_USER, PW_ADMIN_PASSWORD.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const WebSocket = require('ws');

const HTTP = `http://127.0.0.1:${process.env.PW_HTTP_PORT}`;
const WS_PORT = Number(process.env.PW_WS_PORT);
const UP_START_MS = Number(process.env.PW_UP_START_MS);
const STATES = ['usr', 'nice', 'sys', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'];

let cookie = null;

async function getJson(path, want = 200) {
	const res = await fetch(HTTP + path, { headers: cookie ? { Cookie: cookie } : {} });
	const body = await res.text();
	assert.equal(res.status, want, `GET ${path}: ${res.status} ${body.slice(0, 200)}`);
	return JSON.parse(body);
}

/* The first `n` consecutive ticks (seq increasing by one) from the WebSocket. */
function collectTicks(url, n, timeoutMs) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { origin: HTTP, headers: { Cookie: cookie } });
		let run = [];
		const timer = setTimeout(() => {
			ws.terminate();
			reject(new Error(`${run.length} consecutive ticks in ${timeoutMs} ms, wanted ${n}`));
		}, timeoutMs);
		ws.on('error', (err) => { clearTimeout(timer); reject(err); });
		ws.on('message', (data, isBinary) => {
			if (isBinary)
				return reject(new Error('a binary WebSocket message; frames are text'));
			const msg = JSON.parse(data.toString());
			if (msg.v !== 1 || typeof msg.seq !== 'number' || msg.ref)
				return;
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

function hostMemTotalKb() {
	const m = /^MemTotal:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
	return Number(m[1]);
}

/* Interfaces in the host's network namespace (this process runs on the host). */
function hostInterfaces() {
	return fs.readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)
		.map((l) => l.split(':')[0].trim()).filter((s) => s !== '');
}

function checkFrame(f) {
	assert.equal(f.host, os.hostname(), 'frame host is the host\'s name');
	assert.ok(Math.abs(f.ts - Date.now()) < 60000, `frame ts ${f.ts} is recent`);
	assert.equal(f.cpu.cores.length, os.cpus().length, 'one cpu.cores entry per host CPU');
	let sum = 0;
	for (const s of STATES)
		sum += f.cpu.total[s];
	assert.ok(Math.abs(sum - 100) < 0.5, `cpu.total states sum to ${sum}, not 100`);
	const memTotal = hostMemTotalKb();
	assert.equal(f.mem.total_kb, memTotal, 'mem.total_kb is the host\'s MemTotal');
	assert.ok(f.mem.available_kb > 0 && f.mem.available_kb <= memTotal);
}

async function login() {
	const res = await fetch(`${HTTP}/api/v1/auth/login`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Origin: HTTP },
		body: JSON.stringify({ user: process.env.PW_ADMIN_USER, password: process.env.PW_ADMIN_PASSWORD }),
	});
	const setCookie = res.headers.get('set-cookie');
	assert.equal(res.status, 200, `login: ${res.status} ${await res.text()}`);
	assert.ok(setCookie, 'login sets a session cookie');
	cookie = setCookie.split(';')[0];
}

async function main() {
	const health = await getJson('/healthz');
	assert.deepEqual(health, { status: 'ok', db: 'up' });
	await getJson('/api/v1/config', 401);
	await login();
	const config = await getJson('/api/v1/config');
	assert.equal(config.ws_port, WS_PORT, '/api/v1/config names the published WebSocket port');

	const ticks = await collectTicks(`ws://127.0.0.1:${WS_PORT}${config.ws_path}`, 3, 30000);
	ticks.forEach(checkFrame);
	const last = ticks[ticks.length - 1];

	/* System-wide software counters at perf_event_paranoid 2 need CAP_PERFMON or CAP_SYS_ADMIN:
	 * the collector got cap_add SYS_ADMIN. */
	assert.ok(last.perf && last.perf.sw && Array.isArray(last.perf.sw.cores),
		`no perf.sw in the frame: ${JSON.stringify(last.perf)}; unavailable ${JSON.stringify(last.unavailable)}`);
	assert.equal(last.perf.sw.cores.length, os.cpus().length, 'software counters on every CPU');
	assert.equal(typeof last.perf.sw.cores[0].context_switches_per_s, 'number');

	let ifaces = null;
	if (Array.isArray(last.net)) {
		/* The frame lists the host's interfaces (docker0, br-*, eth0 ...), not a container's
		 * lo + eth0: the collector shares the host's network namespace. */
		const seen = new Set(last.net.map((r) => r.iface));
		const host = hostInterfaces().filter((i) => !i.startsWith('veth'));
		for (const i of host)
			assert.ok(seen.has(i), `host interface ${i} missing from frame.net [${[...seen]}]`);
		ifaces = [...seen].length;
	}

	/* The same ticks went through PostgreSQL: they are in /api/v1/query. */
	const q = await getJson(`/api/v1/query?metric=cpu.usr,mem.total_kb&instance=total` +
		`&from=${UP_START_MS}&to=${Date.now() + 1000}`);
	const usr = q.series.find((s) => s.metric === 'cpu.usr');
	const mem = q.series.find((s) => s.metric === 'mem.total_kb');
	assert.ok(usr && mem, `query returned ${JSON.stringify(q).slice(0, 300)}`);
	const byTs = new Map(usr.points.map(([ts, v]) => [ts, v]));
	for (const t of ticks) {
		assert.ok(byTs.has(t.ts), `tick ${t.seq} (ts ${t.ts}) is not in /api/v1/query`);
		assert.ok(Math.abs(byTs.get(t.ts) - t.cpu.total.usr) < 0.01, 'query value = frame value');
	}
	assert.ok(mem.points.every(([, v]) => v === hostMemTotalKb()), 'stored mem.total_kb = MemTotal');
	const firstTs = Math.min(...usr.points.map(([ts]) => ts));

	/* The host is known to the API server once a tick is stored (null before). */
	assert.equal((await getJson('/api/v1/config')).host, os.hostname());
	const latest = await getJson('/api/v1/latest');
	assert.ok(latest.seq >= last.seq, `latest seq ${latest.seq} < ${last.seq}`);

	console.log(JSON.stringify({
		ok: true,
		cpus: last.cpu.cores.length,
		mem_total_kb: last.mem.total_kb,
		host: last.host,
		ifaces,
		ticks_in_db: usr.points.length,
		first_tick_after_up_s: (firstTs - UP_START_MS) / 1000,
		unavailable: last.unavailable || {},
	}));
}

main().catch((err) => {
	console.error(`compose check failed: ${err.stack || err}`);
	process.exit(1);
});
