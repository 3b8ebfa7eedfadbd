'use strict';
/*
 * The OS sections are on every data path: each number a live frame carries in an OS section is
 * listed by GET /api/v1/metrics and answers GET /api/v1/query with the same value the frame had;
 * each catalogue metric of those sections is a real table column (the query answers 200); and
 * perfwatch_frame() rebuilds the sections from the tables as the collector sent them.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/harness.js');

const SECTIONS = ['pressure', 'vmstat', 'softirqs', 'net', 'tcp', 'disk', 'fs', 'cpufreq', 'thermal',
	'uptime'];
const INSTANCE = { pressure: 'resource', net: 'iface', disk: 'dev', fs: 'mount', cpufreq: 'cpu',
	thermal: 'sensor' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let stack;

before(async () => {
	stack = await startStack({ collector: true, interval: 1 });
});

after(async () => {
	await stack?.stop();
});

async function getJson(path) {
	const res = await stack.fetch(path);
	const body = await res.json();
	assert.equal(res.status, 200, `${path}: ${JSON.stringify(body)}`);
	return body;
}

/* [metric name, instance or null, value] for every number of the OS sections of a frame. */
function frameValues(frame) {
	const out = [];
	for (const sec of SECTIONS) {
		const v = frame[sec];
		if (v === undefined)
			continue;
		const rows = Array.isArray(v) ? v : [v];
		for (const row of rows) {
			for (const [k, x] of Object.entries(row)) {
				if (k !== INSTANCE[sec] && (typeof x === 'number' || x === null))
					out.push([`${sec}.${k}`, INSTANCE[sec] ? String(row[INSTANCE[sec]]) : null, x]);
			}
		}
	}
	return out;
}

test('every OS number of a frame is in the catalogue and reads back through /api/v1/query', async () => {
	let frame;
	for (let i = 0; i < 40 && !(frame && frame.disk && frame.net); i++) {
		await sleep(500);
		const res = await stack.fetch('/api/v1/latest');
		if (res.status === 200)
			frame = await res.json();
	}
	assert.ok(frame?.net && frame?.disk && frame?.vmstat, 'no frame with the OS sections arrived');
	/* Sources this VM lacks say why, as sentences. */
	for (const sec of SECTIONS.filter((s) => frame[s] === undefined))
		assert.match(frame.unavailable?.[sec] ?? '', /\w+ \w+/, `${sec}: neither data nor a reason`);

	const catalogue = new Map((await getJson('/api/v1/metrics')).metrics.map((m) => [m.name, m]));
	const values = frameValues(frame);
	assert.ok(values.length > 100, `only ${values.length} OS values in the frame`);
	const missing = values.filter(([name]) => !catalogue.has(name)).map(([n]) => n);
	assert.deepEqual([...new Set(missing)], [], 'frame keys missing from /api/v1/metrics');

	/* The stored point at the frame's ts equals the frame's value (real columns: 4-byte floats). */
	const byMetric = new Map();
	for (const [name, inst, x] of values) {
		const key = `${name}|${inst}`;
		byMetric.set(key, [name, inst, x]);
	}
	const from = frame.ts - 1;
	const to = frame.ts;
	for (const [name, inst, x] of byMetric.values()) {
		const qs = new URLSearchParams({ metric: name, from: String(from), to: String(to) });
		if (inst !== null)
			qs.set('instance', inst);
		const body = await getJson(`/api/v1/query?${qs}`);
		const pts = body.series[0].points.filter(([ts]) => ts === frame.ts);
		assert.equal(pts.length, 1, `${name} ${inst}: ${JSON.stringify(body.series[0].points)}`);
		const got = pts[0][1];
		if (x === null)
			assert.equal(got, null, `${name} ${inst}`);
		else
			assert.ok(Math.abs(got - x) <= 1e-6 * Math.max(1, Math.abs(x)) + 0.005,
				`${name} ${inst}: frame ${x}, query ${got}`);
		assert.equal(body.series[0].unit, catalogue.get(name).unit);
	}
});

test('every catalogue metric of the OS sections is a stored column', async () => {
	const { metrics } = await getJson('/api/v1/metrics');
	const mine = metrics.filter((m) => SECTIONS.includes(m.section));
	assert.ok(mine.length >= 87, `only ${mine.length} OS metrics in the catalogue`);
	const now = Date.now();
	for (let i = 0; i < mine.length; i += 16) {
		const names = mine.slice(i, i + 16).map((m) => m.name).join(',');
		await getJson(`/api/v1/query?metric=${names}&from=${now - 60000}&to=${now}`);
	}
	for (const m of mine) {
		assert.ok(['gauge', 'rate', 'percent'].includes(m.kind), m.name);
		assert.equal(m.labels.length, INSTANCE[m.section] ? 1 : 0, m.name);
	}
});

test('perfwatch_frame() rebuilds the OS sections as they were sent', async () => {
	const frame = await (await stack.fetch('/api/v1/latest')).json();
	const rebuilt = JSON.parse(stack.psql(`SELECT perfwatch_frame('${frame.host}', ` +
		`timestamptz 'epoch' + ${frame.ts} * interval '1 millisecond')::text`));
	for (const sec of SECTIONS.filter((s) => frame[s] !== undefined)) {
		const sent = frameValues({ [sec]: frame[sec] });
		const back = new Map(frameValues({ [sec]: rebuilt[sec] }).map(([n, i, x]) => [`${n}|${i}`, x]));
		for (const [n, i, x] of sent) {
			const y = back.get(`${n}|${i}`);
			assert.ok(y !== undefined, `${n} ${i} missing from the rebuilt frame`);
			if (x === null)
				assert.equal(y, null, `${n} ${i}`);
			else
				assert.ok(Math.abs(y - x) <= 1e-6 * Math.max(1, Math.abs(x)) + 0.005, `${n} ${i}: ${x} vs ${y}`);
		}
	}
});
