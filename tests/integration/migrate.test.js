'use strict';
/*
 * perfwatch-migrate against a real PostgreSQL: applies every migration once, is idempotent and
 * safe to run concurrently, keeps nothing of a failing migration; the services refuse a database
 * whose schema is behind and say to run perfwatch-migrate.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startStack, binary, freePort, ROOT } = require('../lib/harness.js');

const MIGRATIONS = path.join(ROOT, 'migrations');
const files = fs.readdirSync(MIGRATIONS).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
let stack;

before(async () => {
	stack = await startStack({ collector: false, api: false, migrate: false });
});

after(async () => {
	await stack?.stop();
});

const conninfo = (db) => stack.conninfo('postgres').replace('dbname=perfwatch', `dbname=${db}`);

test('applies every migration in order, then has nothing to apply', () => {
	const first = stack.exec('perfwatch-migrate', ['--db', stack.conninfo()]);
	assert.equal(first.code, 0, first.stderr);
	const applied = [...first.stderr.matchAll(/applied (\d+_\S+\.sql)/g)].map((m) => m[1]);
	assert.deepEqual(applied, files);
	const rows = stack.psql('SELECT version, name FROM schema_migrations ORDER BY version').split('\n');
	assert.deepEqual(rows, files.map((f) => `${parseInt(f, 10)}|${f}`));

	const second = stack.exec('perfwatch-migrate', ['--db', stack.conninfo()]);
	assert.equal(second.code, 0, second.stderr);
	assert.match(second.stderr, /nothing to apply/);
	assert.doesNotMatch(second.stderr, /applied \d+_/);
	assert.equal(stack.psql('SELECT count(*) FROM schema_migrations'), String(files.length));
});

test('concurrent runners apply each migration exactly once', async () => {
	stack.psql('CREATE DATABASE concurrent', { database: 'postgres' });
	const run = () => new Promise((resolve) => {
		const child = spawn(binary('perfwatch-migrate'), ['--db', conninfo('concurrent')]);
		let err = '';
		child.stderr.on('data', (d) => { err += d; });
		child.on('exit', (code) => resolve({ code, err }));
	});
	const results = await Promise.all([run(), run(), run()]);
	for (const r of results)
		assert.equal(r.code, 0, r.err);
	const applied = results.flatMap((r) => [...r.err.matchAll(/applied (\d+_\S+\.sql)/g)].map((m) => m[1]));
	assert.deepEqual(applied.sort(), files);
	assert.equal(stack.psql('SELECT count(*) FROM schema_migrations', { database: 'concurrent' }),
		String(files.length));
});

test('a failing migration is rolled back and reported with its line', () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-migrations-'));
	try {
		for (const f of files)
			fs.copyFileSync(path.join(MIGRATIONS, f), path.join(dir, f));
		fs.writeFileSync(path.join(dir, '999_broken.sql'),
			'-- broken on purpose\nCREATE TABLE itest_partial (i int);\n\nSELECT nope FROM;\n');
		fs.writeFileSync(path.join(dir, 'README'), 'not a migration');
		const r = stack.exec('perfwatch-migrate', ['--db', stack.conninfo(), '--migrations-dir', dir]);
		assert.equal(r.code, 1, r.stderr);
		assert.match(r.stderr, /999_broken\.sql: line 4: syntax error/);
		assert.equal(stack.psql(`SELECT to_regclass('itest_partial') IS NULL`), 't');
		assert.equal(stack.psql('SELECT count(*) FROM schema_migrations WHERE version = 999'), '0');
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

test('bad flags and an unreachable database fail with a message', () => {
	let r = stack.exec('perfwatch-migrate', ['--nope']);
	assert.equal(r.code, 2);
	assert.match(r.stderr, /unknown option '--nope'/);
	r = stack.exec('perfwatch-migrate', ['--db', conninfo('does_not_exist')]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /cannot connect to the database: .*does_not_exist/);
	r = stack.exec('perfwatch-migrate', ['--db', stack.conninfo(), '--migrations-dir', '/nonexistent']);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /cannot open migrations directory \/nonexistent/);
});

/* The services compare schema_migrations with the migrations they were built with. */
test('the collector and the API server refuse a schema that is behind', async () => {
	const [newest, name] = stack.psql('SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1').split('|');
	stack.psql(`DELETE FROM schema_migrations WHERE version = ${newest}`);
	try {
		const pad = String(newest).padStart(3, '0');
		const c = stack.exec('perfwatch-collector', ['--db', stack.conninfo('perfwatch_collector')],
			{ timeoutMs: 20000 });
		assert.notEqual(c.code, 0, 'collector kept running against an old schema');
		assert.equal(c.signal, null, `collector did not exit by itself: ${c.stderr}`);
		assert.match(c.stderr, new RegExp(`migration.* ${pad}.*perfwatch-migrate`));
		const a = stack.exec('perfwatch-api', ['--db', stack.conninfo('perfwatch_api'),
			'--http-port', String(await freePort()), '--ws-port', String(await freePort())],
		{ asOwner: true, timeoutMs: 20000 });
		assert.notEqual(a.code, 0, 'API server kept running against an old schema');
		assert.equal(a.signal, null, `API server did not exit by itself: ${a.stderr}`);
		assert.match(a.stderr, /perfwatch-migrate/);
	} finally {
		stack.psql(`INSERT INTO schema_migrations (version, name) VALUES (${newest}, '${name}')`);
	}
});

test('the services refuse a database that was never migrated', async () => {
	stack.psql('CREATE DATABASE never_migrated', { database: 'postgres' });
	const c = stack.exec('perfwatch-collector', ['--db', conninfo('never_migrated')], { timeoutMs: 20000 });
	assert.notEqual(c.code, 0, 'collector kept running against an empty database');
	assert.equal(c.signal, null, `collector did not exit by itself: ${c.stderr}`);
	assert.match(c.stderr, /schema_migrations.*perfwatch-migrate/);
	const a = stack.exec('perfwatch-api', ['--db', conninfo('never_migrated'),
		'--http-port', String(await freePort()), '--ws-port', String(await freePort())],
	{ asOwner: true, timeoutMs: 20000 });
	assert.notEqual(a.code, 0, 'API server kept running against an empty database');
	assert.equal(a.signal, null, `API server did not exit by itself: ${a.stderr}`);
	assert.match(a.stderr, /schema_migrations.*perfwatch-migrate/);
});
