'use strict';
/*
 * End-to-end latency: the frame's "ts" (CLOCK_REALTIME when the collector started sampling) to
 * the moment a WebSocket client receives that frame, through the real stack (collector ->
 * perfwatch_ingest + NOTIFY -> API server LISTEN -> libwebsockets). Same host, same clock.
 *
 *   PERFWATCH_BUILD_DIR=build node bench/e2e_latency.js [--ticks 300] [--interval 1] [--clients 1]
 *                                                     [--write bench/README.md]
 * Prints the summary as JSON; --write replaces the "e2e latency" section of that Markdown file.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');
const { startStack, ROOT } = require('../tests/lib/harness.js');

const testsRequire = createRequire(path.join(ROOT, 'tests', 'package.json'));
const WebSocket = testsRequire('ws');
const { Client } = testsRequire('pg');

function parseArgs(argv) {
	const o = { ticks: 300, interval: 1, clients: 1, write: null };
	for (let i = 0; i < argv.length; i++) {
		const key = argv[i].replace(/^--/, '');
		if (!(key in o) || i + 1 >= argv.length)
			throw new Error(`usage: e2e_latency.js [--ticks N] [--interval S] [--clients N] [--write FILE] (bad: ${argv[i]})`);
		o[key] = key === 'write' ? argv[++i] : Number(argv[++i]);
	}
	return o;
}

/* Nearest-rank percentile of sorted values. */
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/* LISTENs on perfwatch_tick and records when each tick's notification arrives, by ts. */
async function listen(stack) {
	const client = new Client({ host: stack.db.host, port: stack.db.port, database: stack.db.database,
		user: 'perfwatch_api' });
	const arrived = new Map();
	await client.connect();
	client.on('notification', (n) => {
		const now = performance.timeOrigin + performance.now();
		arrived.set(JSON.parse(n.payload).ts, now);
	});
	await client.query('LISTEN perfwatch_tick');
	return { client, arrived };
}

/* One client: resolves to the latencies (ms) of `ticks` frames, the first (warm-up) tick skipped. */
function measure(stack, ticks) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(stack.wsUrl, stack.wsOptions());
		const lat = [];
		let seen = 0;
		ws.on('error', reject);
		ws.on('message', (data) => {
			const now = performance.timeOrigin + performance.now();
			const f = JSON.parse(data.toString());
			if (f.v !== 1 || typeof f.ts !== 'number' || typeof f.seq !== 'number')
				return;
			if (seen++ === 0)
				return;
			lat.push({ ts: f.ts, total: now - f.ts, received: now });
			if (lat.length === ticks) {
				ws.close();
				resolve(lat);
			}
		});
	});
}

function summarize(lat) {
	const s = lat.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
	const r = (v) => Math.round(v * 100) / 100;
	return { n: s.length, min: r(s[0]), median: r(pct(s, 50)), p90: r(pct(s, 90)),
		p99: r(pct(s, 99)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

function writeSection(file, o, rows, started) {
	const begin = '<!-- e2e_latency:begin -->';
	const end = '<!-- e2e_latency:end -->';
	const cmd = `PERFWATCH_BUILD_DIR=${path.relative(ROOT, process.env.PERFWATCH_BUILD_DIR ? path.resolve(ROOT, process.env.PERFWATCH_BUILD_DIR) : path.join(ROOT, 'build-test')) || '.'} ` +
		`node bench/e2e_latency.js --ticks ${o.ticks} --interval ${o.interval} --clients ${o.clients} --write ${path.relative(ROOT, file)}`;
	const section = [begin,
		'## End-to-end latency: sample to WebSocket',
		'',
		'From the frame\'s `ts` (CLOCK_REALTIME when the collector starts sampling) to the moment a',
		'WebSocket client on the same host receives the frame: sampling, `perfwatch_ingest()` with its',
		'NOTIFY, the API server\'s LISTEN, the hand-over to the libwebsockets thread and the send.',
		'The first tick of each client is skipped (warm-up). Milliseconds, nearest-rank percentiles.',
		'',
		'A second LISTEN connection (node-postgres) timestamps each NOTIFY, which splits the total into',
		'"sample → NOTIFY" (collector + database) and "NOTIFY → WebSocket" (API server). The split is',
		'approximate: PostgreSQL wakes each listening backend separately, so on a busy machine the',
		'bench\'s own listener can hear of a tick after the API server has already sent it (negative min).',
		'',
		`${o.ticks} ticks × ${o.clients} client(s), interval ${o.interval} s.`,
		'',
		'| segment | n | min | median | p90 | p99 | max | mean |',
		'|---|---|---|---|---|---|---|---|',
		...[['sample → WebSocket (total)', rows.total], ['sample → NOTIFY delivered', rows.to_notify],
			['NOTIFY → WebSocket', rows.notify_to_ws]].map(([name, r]) =>
			`| ${name} | ${r.n} | ${r.min} | ${r.median} | ${r.p90} | ${r.p99} | ${r.max} | ${r.mean} |`),
		'',
		`Measured ${started} on ${os.cpus().length} vCPU (${os.cpus()[0].model.trim()}), ` +
		`kernel ${os.release()}, Node ${process.versions.node}, shared with other work (noisy). Command:`,
		'',
		'```sh',
		cmd,
		'```',
		end].join('\n');
	let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
	const a = text.indexOf(begin);
	const b = text.indexOf(end);
	if (a >= 0 && b > a)
		text = text.slice(0, a) + section + text.slice(b + end.length);
	else
		text = `${text.replace(/\n*$/, '')}\n\n${section}\n`;
	fs.writeFileSync(file, text);
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
	const stack = await startStack({ collector: true, interval: o.interval, name: 'e2e_latency' });
	let lat;
	let notify;
	try {
		notify = await listen(stack);
		const runs = await Promise.all(Array.from({ length: o.clients }, () => measure(stack, o.ticks)));
		lat = runs.flat();
	} finally {
		await notify?.client.end();
		await stack.stop();
	}
	const rows = {
		total: summarize(lat.map((l) => l.total)),
		to_notify: summarize(lat.map((l) => notify.arrived.get(l.ts) - l.ts)),
		notify_to_ws: summarize(lat.map((l) => l.received - notify.arrived.get(l.ts))),
	};
	console.log(JSON.stringify({ ...o, started, ...rows }));
	if (o.write)
		writeSection(path.resolve(o.write), o, rows, started);
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
