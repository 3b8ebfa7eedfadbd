'use strict';
/*
 * Migration 001 against a real PostgreSQL: ingest/frame round trip through the generic dispatch,
 * partitions (including a day that had none), NOTIFY payloads (frame or reference) and the
 * privileges of the three roles.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/harness.js');

let stack;

before(async () => {
	stack = await startStack({ collector: false, api: false });
});

after(async () => {
	await stack?.stop();
});

const STATES = ['usr', 'nice', 'sys', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'];

function cpuRow(cpu, seed) {
	const row = cpu === null ? {} : { cpu };
	STATES.forEach((s, i) => { row[s] = Math.round(((seed * 7 + i * 3) % 11) * 10) / 10; });
	return row;
}

function frame(ts, seq, extra = {}) {
	return {
		v: 1, host: 'itest-host', ts, seq, dt: 1.000213,
		cpu: { total: cpuRow(null, seq), cores: [cpuRow(0, seq + 1), cpuRow(1, seq + 2)] },
		mem: { total_kb: 24589012, free_kb: 1000 + seq, available_kb: 2000, buffers_kb: 3,
			cached_kb: 4, swap_total_kb: 0, swap_free_kb: 0 },
		load: { load1: 0.12, load5: 0.3, load15: 0.25, running: 1, tasks: 312 },
		unavailable: { pressure: 'kernel has no /proc/pressure (CONFIG_PSI off)' },
		...extra,
	};
}

const sqlText = (s) => `'${s.replace(/'/g, "''")}'`;
const ingest = (f) => stack.psql(`SELECT perfwatch_ingest(${sqlText(JSON.stringify(f))})`,
	{ user: 'perfwatch_collector' });

/* Deep equality with float4 tolerance (the tables store `real`); every expected key must match. */
function assertClose(actual, expected, where = 'frame') {
	if (typeof expected === 'number') {
		assert.equal(typeof actual, 'number', `${where}: ${actual}`);
		assert.ok(Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)),
			`${where}: ${actual} != ${expected}`);
		return;
	}
	if (expected === null || typeof expected !== 'object') {
		assert.deepEqual(actual, expected, where);
		return;
	}
	/* Columns a later migration added and this frame does not carry come back as null. */
	const extra = Object.keys(actual ?? {}).filter((k) => !(k in expected) && actual[k] !== null);
	assert.deepEqual(extra, [], `${where}: unexpected keys`);
	for (const k of Object.keys(expected))
		assertClose(actual[k], expected[k], `${where}.${k}`);
}

test('every *_samples table is partitioned by day with a BRIN index on ts', () => {
	const tables = stack.psql(`SELECT relname FROM pg_class
		WHERE relkind = 'p' AND relname LIKE '%\\_samples' ORDER BY 1`).split('\n');
	for (const t of ['cpu_samples', 'load_samples', 'memory_samples', 'tick_samples'])
		assert.ok(tables.includes(t), `${t} missing from ${tables}`);
	const today = stack.psql(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')`);
	for (const t of tables) {
		assert.equal(stack.psql(`SELECT count(*) FROM pg_inherits WHERE inhparent = '${t}'::regclass
			AND inhrelid = to_regclass('${t}_${today}')`), '1', `${t} has no partition for today`);
		assert.match(stack.psql(`SELECT indexdef FROM pg_indexes WHERE tablename = '${t}'`), /USING brin \(ts\)/);
	}
	const created = stack.psql('SELECT perfwatch_ensure_partitions(4)', { user: 'perfwatch_collector' });
	assert.equal(Number(created), 2 * tables.length, 'days 3 and 4 are new for every table');
	assert.equal(stack.psql('SELECT perfwatch_ensure_partitions(4)', { user: 'perfwatch_collector' }), '0');
});

test('a frame goes into the tables and comes back from perfwatch_frame()', () => {
	const ts = Date.now() - 5000;
	const f = frame(ts, 7);
	ingest(f);
	ingest(frame(ts + 1000, 8));
	assert.equal(stack.psql(`SELECT count(*) FROM cpu_samples WHERE ts = to_timestamp(${ts} / 1000.0)`), '3');
	assert.equal(stack.psql(`SELECT total_kb FROM memory_samples WHERE ts = to_timestamp(${ts} / 1000.0)`), '24589012');
	assert.equal(stack.psql(`SELECT cpu, usr FROM cpu_samples WHERE ts = to_timestamp(${ts} / 1000.0) AND cpu = -1`),
		`-1|${f.cpu.total.usr}`);
	const back = JSON.parse(stack.psql(`SELECT perfwatch_frame('itest-host', to_timestamp(${ts} / 1000.0))`,
		{ user: 'perfwatch_api' }));
	assertClose(back, f);
	assert.equal(stack.psql(`SELECT perfwatch_frame('itest-host', to_timestamp(${ts - 1} / 1000.0)) IS NULL`,
		{ user: 'perfwatch_api' }), 't');
	assert.equal(stack.psql(`SELECT perfwatch_frame('nobody', to_timestamp(${ts} / 1000.0)) IS NULL`), 't');
});

test('unknown sections are ignored, a frame from a day without partitions is stored', () => {
	const old = Date.UTC(2020, 1, 29, 12, 0, 0, 250);
	ingest(frame(old, 1, { bogus: { x: 1 }, 'Bad Key': 2 }));
	assert.equal(stack.psql(`SELECT count(*) FROM load_samples_20200229`), '1');
	const back = JSON.parse(stack.psql(`SELECT perfwatch_frame('itest-host', to_timestamp(${old} / 1000.0))`));
	assert.equal(back.ts, old);
	assert.equal(back.bogus, undefined);
});

test('NOTIFY carries the frame, or a reference when it is 7999 bytes or more', () => {
	const small = frame(Date.now() - 3000, 20);
	const big = frame(Date.now() - 2000, 21, { pad: 'x'.repeat(8000) });
	const out = stack.psql(`LISTEN perfwatch_tick;
		SELECT perfwatch_ingest(${sqlText(JSON.stringify(small))});
		SELECT perfwatch_ingest(${sqlText(JSON.stringify(big))});`, { user: 'perfwatch_collector' });
	const payloads = [...out.matchAll(/with payload "(.*)" received from/g)].map((m) => JSON.parse(m[1]));
	assert.equal(payloads.length, 2, out);
	assert.deepEqual(payloads[0], small);
	assert.deepEqual(payloads[1], { v: 1, host: 'itest-host', ts: big.ts, ref: true });
});

test('malformed frames are rejected', () => {
	for (const bad of ['{"v":2,"host":"h","ts":1,"seq":1,"dt":1}', '{"v":1,"ts":1,"seq":1,"dt":1}', '[]'])
		assert.throws(() => stack.psql(`SELECT perfwatch_ingest(${sqlText(bad)})`, { user: 'perfwatch_collector' }),
			/frame must be an object/);
	assert.throws(() => stack.psql(`SELECT perfwatch_ingest('not json')`, { user: 'perfwatch_collector' }),
		/invalid input syntax for type json/);
});

test('ingesting does not consume host ids', () => {
	for (let i = 0; i < 5; i++)
		ingest(frame(Date.now() - 20000 + i, 30 + i));
	ingest({ ...frame(Date.now() - 30000, 1), host: 'second-host' });
	assert.equal(stack.psql(`SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM host`),
		'1=itest-host,2=second-host');
});

test('roles get exactly their privileges', () => {
	const denied = (sql, user) => assert.throws(() => stack.psql(sql, { user }), /permission denied/, `${user}: ${sql}`);
	denied('SELECT count(*) FROM cpu_samples', 'perfwatch_collector');
	denied('DELETE FROM cpu_samples', 'perfwatch_collector');
	denied('CREATE TABLE x (i int)', 'perfwatch_collector');
	denied(`SELECT perfwatch_frame('itest-host', now())`, 'perfwatch_collector');
	denied(`SELECT perfwatch_ingest('{}')`, 'perfwatch_api');
	denied('SELECT perfwatch_ensure_partitions(1)', 'perfwatch_api');
	denied(`INSERT INTO host (name) VALUES ('x')`, 'perfwatch_api');
	denied('DELETE FROM cpu_samples', 'perfwatch_api');
	denied(`SELECT perfwatch_create_partitions(current_date, 1)`, 'perfwatch_collector');
	assert.ok(Number(stack.psql('SELECT count(*) FROM cpu_samples', { user: 'perfwatch_api' })) > 0);
	assert.equal(stack.psql(`SELECT rolcanlogin FROM pg_roles WHERE rolname = 'perfwatch_reader'`), 'f');
	stack.psql('CREATE ROLE itest_stranger LOGIN');
	assert.throws(() => stack.psql('SELECT 1', { user: 'itest_stranger' }), /permission denied for database/);
	stack.psql('CREATE ROLE itest_alice LOGIN IN ROLE perfwatch_reader');
	assert.equal(stack.psql('SELECT count(*) > 0 FROM memory_samples', { user: 'itest_alice' }), 't');
	denied('INSERT INTO load_samples (ts, host_id) VALUES (now(), 1)', 'itest_alice');
	stack.psql('DROP ROLE itest_stranger; DROP ROLE itest_alice');
});
