'use strict';
/*
 * The API server rejects bad requests with the documented status and a JSON
 * {"error":"sentence"} body, and answers a valid query over an empty range with empty series.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/harness.js');

let stack;

before(async () => {
	stack = await startStack({ collector: false });
});

after(async () => {
	await stack?.stop();
});

async function request(path, init) {
	const res = await stack.fetch(path, init);
	const text = await res.text();
	let body;
	try {
		body = JSON.parse(text);
	} catch {
		assert.fail(`${path}: body is not JSON: ${text.slice(0, 200)}`);
	}
	return { status: res.status, type: res.headers.get('content-type'), body };
}

async function expectError(path, status, pattern, init) {
	const r = await request(path, init);
	assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
	assert.match(r.type, /application\/json/, path);
	assert.deepEqual(Object.keys(r.body), ['error'], path);
	assert.equal(typeof r.body.error, 'string');
	assert.match(r.body.error, pattern, path);
}

const now = Date.now();
const seventeen = Array.from({ length: 17 }, (_, i) => ['cpu.usr', 'cpu.sys', 'cpu.idle', 'cpu.nice',
	'cpu.iowait', 'cpu.irq', 'cpu.softirq', 'cpu.steal', 'cpu.guest', 'cpu.guest_nice', 'mem.total_kb',
	'mem.free_kb', 'mem.available_kb', 'mem.buffers_kb', 'mem.cached_kb', 'mem.swap_total_kb',
	'load.load1'][i]).join(',');

test('bad /api/v1/query parameters are 400 with a JSON error', async () => {
	const cases = [
		['/api/v1/query', /metric is required/],
		['/api/v1/query?metric=', /metric/],
		['/api/v1/query?metric=nope.nope', /unknown metric 'nope\.nope'/],
		['/api/v1/query?metric=cpu.usr,cpu.usr', /listed twice/],
		[`/api/v1/query?metric=${seventeen}`, /too many metrics/],
		['/api/v1/query?metric=cpu.usr&from=yesterday', /from: 'yesterday' is not/],
		['/api/v1/query?metric=cpu.usr&to=12x', /to: '12x' is not/],
		[`/api/v1/query?metric=cpu.usr&from=${now}&to=${now - 1000}`, /from must be earlier than to/],
		[`/api/v1/query?metric=cpu.usr&from=${now - 25 * 3600e3}&to=${now}`, /longer than 24 hours/],
		['/api/v1/query?metric=cpu.usr&metric=cpu.sys', /given twice/],
		[`/api/v1/query?metric=cpu.usr&instance=${'x'.repeat(300)}`, /instance/],
	];
	for (const [path, pattern] of cases)
		await expectError(path, 400, pattern);
});

test('unknown paths are 404 and wrong methods 405, both as JSON', async () => {
	await expectError('/api/v1/nope', 404, /./);
	await expectError('/api/v1/query?metric=cpu.usr', 405, /./, { method: 'POST', body: '{}' });
});

test('a valid query over a range without data has empty series', async () => {
	const r = await request(`/api/v1/query?metric=cpu.usr,mem.free_kb&from=${now - 60000}&to=${now}`);
	assert.equal(r.status, 200, JSON.stringify(r.body));
	assert.equal(r.body.from, now - 60000);
	assert.equal(r.body.to, now);
	assert.deepEqual(r.body.series.map((s) => [s.metric, s.points.length]),
		[['cpu.usr', 0], ['mem.free_kb', 0]]);
	const rfc = await request(`/api/v1/query?metric=cpu.usr&from=${encodeURIComponent(new Date(now - 60000).toISOString())}&to=${now}`);
	assert.equal(rfc.status, 200, JSON.stringify(rfc.body));
	assert.equal(rfc.body.from, now - 60000);
});
