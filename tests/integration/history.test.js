'use strict';
/*
 * History routes against the real API server and PostgreSQL: known data written straight into
 * the raw tables (3 hours up to now, cpu.usr:total = second of the minute, a 3-minute spike
 * 90 minutes ago), one perfwatch_maintain(), then exact answers from /api/v1/query?series=
 * (JSON and CSV, raw and 1-minute tiers), compare, anomalies, trends and series; metric= still
 * answered by the raw route; every bad parameter a 400 with a JSON error and no statement run.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/harness.js');

let stack;
let now;
const HOST = 'hist-a';
const SPIKE = 90; /* minutes ago */

before(async () => {
	stack = await startStack({ collector: false });
	now = Math.floor(Date.now() / 1000) * 1000;
	const minute = Math.floor(now / 60000) * 60000;
	stack.psql(`SELECT perfwatch_host_id('${HOST}');
		SELECT perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date - 1, 1);
		INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys)
		SELECT t, perfwatch_host_id('${HOST}'), -1,
		       CASE WHEN t >= to_timestamp(${minute / 1000 - SPIKE * 60})
			     AND t < to_timestamp(${minute / 1000 - SPIKE * 60 + 180}) THEN 500
			    ELSE extract(second FROM t) END, 5
		FROM generate_series(to_timestamp(${now / 1000 - 3 * 3600}), to_timestamp(${now / 1000}),
				     interval '1 second') t;
		SELECT perfwatch_maintain(interval '5 minutes');`);
	stack.psql(`ALTER SYSTEM SET track_functions = 'pl'`);
	stack.psql('SELECT pg_reload_conf()');
});

after(async () => {
	await stack?.stop();
});

async function get(path, headers = {}) {
	const res = await stack.fetch(path, { headers });
	return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function getJson(path, status = 200) {
	const r = await get(path);
	assert.equal(r.status, status, `${path}: ${r.text.slice(0, 300)}`);
	assert.match(r.type, /application\/json/, path);
	return JSON.parse(r.text);
}

function series(keys) {
	return `series=${keys}&host=${HOST}`;
}

test('query: 1-minute tier, exact averages, aligned timestamps', async () => {
	const to = Math.floor(now / 3600000) * 3600000 - 3600000;
	const from = to - 3600000;
	const body = await getJson(`/api/v1/query?${series('cpu.usr:total')}&from=${from}&to=${to}&points=60`);
	assert.equal(body.tier, '1m');
	assert.equal(body.step_s, 60);
	assert.equal(body.series.length, 1);
	const s = body.series[0];
	assert.deepEqual([s.series, s.metric, s.instance, s.host, s.unit],
		['cpu.usr:total', 'cpu.usr', 'total', HOST, '%']);
	assert.equal(s.points.length, 60);
	s.points.forEach(([ts, v], i) => {
		assert.equal(ts, from + i * 60000);
		const spike = ts >= Math.floor(now / 60000) * 60000 - SPIKE * 60000 &&
			ts < Math.floor(now / 60000) * 60000 - (SPIKE - 3) * 60000;
		assert.equal(v, spike ? 500 : 29.5, `point ${i}`);
	});
});

test('query: raw tier buckets, metric without instance means total', async () => {
	const from = Math.floor(now / 60000) * 60000 - 30 * 60000;
	const body = await getJson(`/api/v1/query?${series('cpu.usr')}&from=${from}&to=${from + 60000}&points=6&agg=max`);
	assert.equal(body.tier, 'raw');
	assert.equal(body.step_s, 10);
	assert.deepEqual(body.series[0].points, [0, 1, 2, 3, 4, 5].map((i) => [from + i * 10000, i * 10 + 9]));
});

test('query: CSV by format=csv and by Accept', async () => {
	const from = Math.floor(now / 60000) * 60000 - 30 * 60000;
	const path = `/api/v1/query?${series('cpu.usr:total')}&from=${from}&to=${from + 180000}&points=3`;
	for (const [p, headers] of [[`${path}&format=csv`, {}], [path, { Accept: 'text/csv' }]]) {
		const r = await get(p, headers);
		assert.equal(r.status, 200, r.text);
		assert.match(r.type, /text\/csv/);
		const lines = r.text.trim().split('\r\n');
		assert.equal(lines[0], 'series,host,unit,ts_ms,time,value');
		assert.deepEqual(lines.slice(1), [0, 1, 2].map((i) =>
			`"cpu.usr:total","${HOST}","%",${from + i * 60000},${new Date(from + i * 60000).toISOString()},29.5`));
	}
});

test('query: metric= is still the raw route', async () => {
	const body = await getJson(`/api/v1/query?metric=cpu.usr&host=${HOST}&from=${now - 10000}&to=${now}`);
	assert.equal(body.series[0].metric, 'cpu.usr');
	assert.ok(body.series[0].points.length >= 9);
	assert.equal(body.tier, undefined);
});

test('compare: both windows on one axis, stats, changed_most', async () => {
	const to = Math.floor(now / 60000) * 60000;
	const body = await getJson(`/api/v1/compare?${series('cpu.usr:total,cpu.sys:total')}&from=${to - 3600000}&to=${to}&offset=1h&points=60&top=5`);
	assert.equal(body.offset_s, 3600);
	assert.equal(body.step_s, 60);
	const usr = body.series.find((s) => s.series === 'cpu.usr:total');
	assert.equal(usr.points.length, 60);
	assert.equal(usr.points[0][0], to - 3600000);
	/* The spike (90 to 87 minutes ago) is in the shifted window only. */
	const withSpike = usr.points.filter((p) => p[2] === 500).map((p) => p[0]);
	assert.deepEqual(withSpike, [0, 1, 2].map((i) => Math.floor(now / 60000) * 60000 - (SPIKE - 60 - i) * 60000));
	assert.ok(usr.points.every((p) => p[1] === 29.5));
	const shifted = (57 * 29.5 + 3 * 500) / 60;
	assert.ok(Math.abs(usr.mean_shifted - shifted) < 1e-9, `mean_shifted ${usr.mean_shifted}`);
	assert.ok(Math.abs(usr.change_pct - 100 * (29.5 - shifted) / shifted) < 1e-9,
		`change_pct ${usr.change_pct}`);
	assert.equal(body.series.find((s) => s.series === 'cpu.sys:total').change_pct, 0);
	assert.equal(body.changed_most[0].series, 'cpu.usr:total');
	const summary = await getJson(`/api/v1/compare?host=${HOST}&from=${to - 3600000}&to=${to}&offset=1h`);
	assert.deepEqual(summary.series, []);
	assert.equal(summary.changed_most[0].series, 'cpu.usr:total');
	assert.ok(summary.changed_most.length <= 10);
	const without = await getJson(`/api/v1/compare?${series('cpu.usr:total')}&from=${to - 3600000}&to=${to}&offset=1h`);
	assert.deepEqual(without.changed_most, []);
});

test('anomalies: the planted spike, by the band rule', async () => {
	const spike = Math.floor(now / 60000) * 60000 - SPIKE * 60000;
	const body = await getJson(`/api/v1/anomalies?${series('cpu.usr:total')}&from=${now - 2 * 3600000}&to=${now}`);
	assert.deepEqual(body.anomalies.map((a) => [a.series, a.rule, a.start, a.end, a.peak]),
		[['cpu.usr:total', 'band', spike, spike + 180000, 500]]);
	assert.ok(body.anomalies[0].score > 5);
});

test('trends and series', async () => {
	const t = await getJson(`/api/v1/trends?${series('cpu.sys:total')}&window=2h`);
	assert.equal(t.window_s, 7200);
	assert.equal(t.trends[0].slope_per_day, 0);
	assert.equal(t.trends[0].significant, false);
	const s = await getJson(`/api/v1/series?host=${HOST}`);
	assert.ok(s.series.some((x) => x.series === 'cpu.usr:total' && x.unit === '%' && x.host === HOST));
});

test('unknown series are 404, bad parameters 400, and no statement runs for them', async () => {
	const calls = (fn) => Number(stack.psql(`SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = '${fn}'`));
	const waitMore = async (fn, than) => {
		for (let i = 0; i < 150 && calls(fn) <= than; i++)
			await new Promise((r) => setTimeout(r, 100));
		return calls(fn);
	};
	const nf = await getJson(`/api/v1/query?series=cpu.nope:total`, 404);
	assert.match(nf.error, /unknown series: cpu\.nope:total/);
	/* A backend reports function statistics at most every 10 s when idle: let it, then count. */
	await new Promise((r) => setTimeout(r, 11000));
	const fns = ['perfwatch_api_query', 'perfwatch_api_compare', 'perfwatch_api_anomalies',
		'perfwatch_api_trends'];
	const before = Object.fromEntries(fns.map((f) => [f, calls(f)]));
	assert.ok(before.perfwatch_api_query > 0, 'function statistics are on');
	const cases = [
		['/api/v1/query?series=', /series/],
		['/api/v1/query?series=cpu.usr;select', /not a series id/],
		['/api/v1/query?series=cpu.usr&points=0', /points/],
		['/api/v1/query?series=cpu.usr&points=5000', /points/],
		['/api/v1/query?series=cpu.usr&agg=median', /agg/],
		['/api/v1/query?series=cpu.usr&format=xml', /format/],
		['/api/v1/query?series=cpu.usr&from=yesterday', /from/],
		[`/api/v1/query?series=cpu.usr&from=${now}&to=${now - 1}`, /earlier/],
		['/api/v1/query?series=cpu.usr&from=0', /longer than/],
		['/api/v1/query?series=cpu.usr&series=cpu.sys', /twice/],
		['/api/v1/query?series=cpu.usr&bogus=1', /unknown parameter/],
		[`/api/v1/query?series=${Array.from({ length: 33 }, (_, i) => `cpu.usr:${i}`).join(',')}`, /at most 32/],
		['/api/v1/compare?series=cpu.usr&offset=1', /offset/],
		['/api/v1/compare?series=cpu.usr&offset=yesterday', /offset/],
		[`/api/v1/compare?series=cpu.usr&from=${now - 40 * 86400e3}&to=${now}`, /longer than 31/],
		[`/api/v1/anomalies?series=cpu.usr&from=${now - 8 * 86400e3}&to=${now}`, /longer than 7/],
		['/api/v1/anomalies?series=cpu.usr&points=10', /unknown parameter/],
		['/api/v1/trends?series=cpu.usr&window=5m', /window/],
		['/api/v1/trends', /series is required/],
		['/api/v1/series?host=a&host=b', /host/],
	];
	for (const [path, pattern] of cases) {
		const body = await getJson(path, 400);
		assert.deepEqual(Object.keys(body), ['error'], path);
		assert.match(body.error, pattern, path);
	}
	/* One good call on the same connection; once it is counted, so would the bad ones be. */
	await getJson(`/api/v1/trends?${series('cpu.usr:total')}&window=1h`);
	assert.equal(await waitMore('perfwatch_api_trends', before.perfwatch_api_trends),
		before.perfwatch_api_trends + 1);
	for (const f of fns.slice(0, 3))
		assert.equal(calls(f), before[f], `a rejected request ran ${f}`);
});
