'use strict';
/*
 * Least privilege in a real PostgreSQL (docs/security.md): the collector may only insert
 * samples (through perfwatch_ingest, which also NOTIFYs), the API server may not write samples
 * and reaches the auth tables only through perfwatch_auth's functions, and perfwatch_reader
 * (people, Grafana) can see neither password hashes nor token hashes. Each denial is a real
 * statement that must fail with "permission denied"; each allowance a real statement that works.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/harness.js');

let stack;

before(async () => {
	stack = await startStack({ collector: false, api: false });
	stack.psql(`SELECT perfwatch_auth.bootstrap('admin', 'itest-password-1')`);
	stack.psql(`CREATE ROLE itest_grafana LOGIN IN ROLE perfwatch_reader`);
	stack.psql(`SELECT perfwatch_ensure_partitions(1)`, { user: 'perfwatch_collector' });
});

after(async () => {
	await stack?.stop();
});

const denied = (user, sql) => assert.throws(() => stack.psql(sql, { user }), /permission denied/,
	`${user} must not be allowed: ${sql}`);
const allowed = (user, sql) => stack.psql(sql, { user });

const HASH = `'\\x${'ab'.repeat(32)}'::bytea`;
const AUTH_READS = [
	'SELECT * FROM perfwatch_auth.users',
	'SELECT password_hash FROM perfwatch_auth.users',
	'SELECT token_hash FROM perfwatch_auth.sessions',
	'SELECT token_hash FROM perfwatch_auth.api_tokens',
	'SELECT password_hash FROM perfwatch_auth.dummy',
];
const AUTH_CALLS = [
	`SELECT * FROM perfwatch_auth.check(ARRAY[${HASH}])`,
	`SELECT * FROM perfwatch_auth.refresh(ARRAY[${HASH}], 10)`,
	`SELECT * FROM perfwatch_auth.refresh(ARRAY[${HASH}], ARRAY[0::bigint], 10)`,
	`SELECT * FROM perfwatch_auth.login('admin', 'itest-password-1', ${HASH}, '1h', '1d', 'x')`,
	`SELECT perfwatch_auth.user_add('mallory', 'mallory-password', true)`,
	`SELECT perfwatch_auth.user_passwd('admin', 'mallory-password')`,
	`SELECT perfwatch_auth.bootstrap('mallory', 'mallory-password')`,
];

function frame(ts) {
	return JSON.stringify({ v: 1, host: 'itest-sec', ts, seq: 1, dt: 1,
		load: { load1: 0.5, load5: 0.4, load15: 0.3, running: 1, tasks: 100 } });
}

test('the collector inserts samples (and notifies) and can do nothing else', () => {
	allowed('perfwatch_collector', `SELECT perfwatch_ingest('${frame(Date.now())}')`);
	allowed('perfwatch_collector', `INSERT INTO load_samples (ts, host_id, load1) VALUES (now(), 1, 1)`);
	allowed('perfwatch_collector', `NOTIFY perfwatch_tick, 'x'`);
	denied('perfwatch_collector', 'SELECT * FROM load_samples');
	denied('perfwatch_collector', 'UPDATE load_samples SET load1 = 0');
	denied('perfwatch_collector', 'DELETE FROM load_samples');
	denied('perfwatch_collector', 'TRUNCATE load_samples');
	denied('perfwatch_collector', 'SELECT * FROM series');
	denied('perfwatch_collector', 'SELECT perfwatch_maintain()');
	denied('perfwatch_collector', 'CREATE TABLE itest_x (i int)');
	for (const sql of [...AUTH_READS, ...AUTH_CALLS])
		denied('perfwatch_collector', sql);
});

test('the API server cannot write samples nor read the auth tables, only call their functions', () => {
	allowed('perfwatch_api', 'SELECT count(*) FROM load_samples');
	denied('perfwatch_api', `INSERT INTO load_samples (ts, host_id, load1) VALUES (now(), 1, 1)`);
	denied('perfwatch_api', 'UPDATE load_samples SET load1 = 0');
	denied('perfwatch_api', 'DELETE FROM load_samples');
	denied('perfwatch_api', 'TRUNCATE load_samples');
	denied('perfwatch_api', `SELECT perfwatch_ingest('${frame(Date.now())}')`);
	denied('perfwatch_api', 'CREATE TABLE itest_x (i int)');
	denied('perfwatch_api', 'CREATE TABLE perfwatch_auth.itest_x (i int)');
	for (const sql of AUTH_READS)
		denied('perfwatch_api', sql);
	denied('perfwatch_api', `UPDATE perfwatch_auth.users SET is_admin = true`);
	denied('perfwatch_api', `SELECT perfwatch_auth.crypt('x', perfwatch_auth.gen_salt('bf'))`);
	/* What it may do, it does through the functions, which never return a stored hash. */
	const login = allowed('perfwatch_api',
		`SELECT user_name, is_admin FROM perfwatch_auth.login('admin', 'itest-password-1', ${HASH}, '1h', '1d', 'x')`);
	assert.equal(login, 'admin|t');
	const check = allowed('perfwatch_api', `SELECT kind, user_name FROM perfwatch_auth.check(ARRAY[${HASH}])`);
	assert.equal(check, 'session|admin');
	/* Across the whole catalogue: no write privilege on any table or view outside the auth schema. */
	const writable = allowed('perfwatch_api', `
		SELECT string_agg(c.relname, ',') FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')
		  AND has_table_privilege('perfwatch_api', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')`);
	assert.equal(writable, '', `perfwatch_api may write: ${writable}`);
});

test('perfwatch_reader reads samples but sees no password or token hash', () => {
	assert.match(allowed('itest_grafana', 'SELECT count(*) FROM load_samples'), /^\d+$/);
	assert.match(allowed('itest_grafana', 'SELECT count(*) FROM series'), /^\d+$/);
	for (const sql of [...AUTH_READS, ...AUTH_CALLS])
		denied('itest_grafana', sql);
	denied('itest_grafana', `INSERT INTO load_samples (ts, host_id, load1) VALUES (now(), 1, 1)`);
	denied('itest_grafana', 'DELETE FROM load_samples');
	denied('itest_grafana', `SELECT perfwatch_ingest('${frame(Date.now())}')`);
	/* Over the whole catalogue (read as the superuser): no column of ours that holds a hash is
	 * selectable by the reader, and the auth schema not even usable. */
	const visible = stack.psql(`
		SELECT string_agg(format('%s.%s', c.oid::regclass, a.attname), ',')
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE a.attnum > 0 AND a.attname ~ '(hash|token|password)'
		  AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
		  AND has_column_privilege('perfwatch_reader', c.oid, a.attnum, 'SELECT')`);
	assert.equal(visible, '', `perfwatch_reader can read: ${visible}`);
	const hashCols = stack.psql(`SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = 'perfwatch_auth'::regnamespace AND a.attname ~ 'hash'`);
	assert.ok(Number(hashCols) >= 3, 'the check above looked at the hash columns');
	assert.equal(stack.psql(`SELECT has_schema_privilege('perfwatch_reader', 'perfwatch_auth', 'USAGE')`), 'f');
});

test('a password is stored as a bcrypt hash of cost 12, never as text', () => {
	const row = stack.psql(`SELECT password_hash FROM perfwatch_auth.users WHERE name = 'admin'`);
	assert.match(row, /^\$2[abxy]\$12\$[./A-Za-z0-9]{53}$/);
	assert.ok(!row.includes('itest-password-1'));
});

test('the cache refresh marks a session used when it was used, not when the round ran', () => {
	const h = (b) => `'\\x${b.repeat(32)}'::bytea`;
	const ms = (sql) => `(extract(epoch FROM ${sql}) * 1000)::bigint`;
	const lastSeen = (b) => Number(stack.psql(`SELECT round(extract(epoch FROM now() - last_seen_at))
		FROM perfwatch_auth.sessions WHERE token_hash = ${h(b)}`));
	stack.psql(`INSERT INTO perfwatch_auth.sessions (token_hash, user_id, last_seen_at, expires_at, idle_timeout)
		SELECT v.h, u.id, now() - v.seen, now() + interval '1 day', interval '1 hour'
		FROM perfwatch_auth.users u, (VALUES (${h('c1')}, interval '50 minutes'),
			(${h('c2')}, interval '2 hours'), (${h('c3')}, interval '10 minutes')) v(h, seen)
		WHERE u.name = 'admin'`);
	/* c1 used 40 min ago; c2 used 30 min ago, after its idle hour had run out; c3 "in an hour". */
	const live = stack.psql(`SELECT string_agg(encode(token_hash, 'hex'), ',') FROM perfwatch_auth.refresh(
		ARRAY[${h('c1')}, ${h('c2')}, ${h('c3')}],
		ARRAY[${ms("now() - interval '40 minutes'")}, ${ms("now() - interval '30 minutes'")},
		      ${ms("now() + interval '1 hour'")}], 1000)`, { user: 'perfwatch_api' });
	/* (seconds from the row's time to now, a statement or two later) */
	assert.ok(Math.abs(lastSeen('c1') - 40 * 60) <= 2, `the idle time counts from the last use: ${lastSeen('c1')}`);
	assert.ok(Math.abs(lastSeen('c2') - 2 * 3600) <= 2, 'a use after the idle time ran out revives nothing');
	assert.ok(lastSeen('c3') <= 1, 'a use time in the future counts as now');
	assert.ok(live.includes('c1'.repeat(32)) && !live.includes('c2'.repeat(32)), live);
	assert.throws(() => stack.psql(`SELECT * FROM perfwatch_auth.refresh(ARRAY[${h('c1')}], '{}'::bigint[], 10)`,
		{ user: 'perfwatch_api' }), /1 hashes but 0 use times/);
	stack.psql(`DELETE FROM perfwatch_auth.sessions WHERE token_hash IN (${h('c1')}, ${h('c2')}, ${h('c3')})`);
});
