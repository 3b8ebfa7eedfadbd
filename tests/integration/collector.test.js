'use strict';
/*
 * The collector against a real PostgreSQL: it refuses a database whose schema is behind, writes
 * cpu/memory/load rows and NOTIFYs every tick, keeps sampling while the database is down (stopped,
 * then started again) and writes the frames it spooled, in order, once the database is back; a
 * SIGTERM while the database is down keeps the frames in the spool for the next run, and a frame
 * whose commit was never acknowledged is not stored twice when it is sent again.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startStack } = require('../lib/harness.js');

const PGBIN = process.env.PERFWATCH_PGBIN || '/usr/lib/postgresql/15/bin';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let stack;

after(async () => {
	await stack?.stop();
});

async function until(what, check, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = check();
		if (v)
			return v;
		if (Date.now() > deadline)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(200);
	}
}

function pgReady() {
	return spawnSync(path.join(PGBIN, 'pg_isready'), ['-q', '-h', stack.tmp,
		'-p', String(stack.db.port)]).status === 0;
}

/* seq values of the stored ticks of this host, ascending. */
function storedSeqs() {
	const out = stack.psql('SELECT seq FROM tick_samples ORDER BY seq');
	return out === '' ? [] : out.split('\n').map(Number);
}

/* seq values of every stored tick in ts order (each collector run counts from 1 again). */
function seqsByTs() {
	const out = stack.psql('SELECT seq FROM tick_samples ORDER BY ts');
	return out === '' ? [] : out.split('\n').map(Number);
}

/* The runs in seqsByTs(): [[1, 2, ...], [1, 2, ...]]. */
function runs(seqs) {
	const out = [];
	for (const s of seqs) {
		if (out.length === 0 || s <= out[out.length - 1][out[out.length - 1].length - 1])
			out.push([]);
		out[out.length - 1].push(s);
	}
	return out;
}

function assertContiguous(run, what) {
	run.forEach((s, i) => assert.equal(s, run[0] + i, `${what}: gap or repeat at ${i}: ${run}`));
}

const spoolDir = () => path.join(stack.tmp, 'spool');
const segments = () => fs.readdirSync(spoolDir()).filter((f) => f.endsWith('.seg'));
const collectorLog = () => fs.readFileSync(stack.services.collector.log, 'utf8');

test('a database whose schema is behind stops the collector with exit 1', async () => {
	stack = await startStack({ collector: false, api: false, migrate: false, interval: 0.5 });
	/* Each stack spools in its own directory, removed with the stack. */
	stack.opts.collectorArgs = ['--spool-dir', spoolDir()];
	const r = stack.exec('perfwatch-collector', ['--db', stack.conninfo('postgres'),
		'--interval', '0.5', '--spool-dir', spoolDir()], { timeoutMs: 20000 });
	assert.equal(r.code, 1, r.stderr);
	assert.match(r.stderr, /perfwatch-migrate/);
	stack.migrate();
});

test('every tick becomes rows and a NOTIFY', async () => {
	await stack.startCollector();
	const listen = spawnSync('psql', ['-X', '-h', stack.tmp, '-p', String(stack.db.port), '-U',
		'postgres', '-d', 'perfwatch', '-c', 'LISTEN perfwatch_tick', '-c', 'SELECT pg_sleep(2.2)'],
	{ encoding: 'utf8' });
	const notes = listen.stdout.split('\n').filter((l) => l.includes('"perfwatch_tick"'));
	assert.ok(notes.length >= 3, `${notes.length} notifications in 2.2 s at 0.5 s:\n${listen.stdout}`);
	let frame = JSON.parse(notes[0].match(/with payload "(.*)" received from server/)[1]);
	assert.equal(frame.v, 1);
	if (frame.ref) /* 7999 bytes or more: the NOTIFY names the tick, the tables hold it */
		frame = JSON.parse(stack.psql(`SELECT perfwatch_frame('${frame.host}',
			to_timestamp(${frame.ts} / 1000.0))`));
	assert.ok(frame.cpu.total.idle >= 0 && frame.cpu.total.idle <= 100, JSON.stringify(frame));
	assert.ok(frame.mem.total_kb > 0 && frame.load.tasks > 0, JSON.stringify(frame));
	const seqs = storedSeqs();
	assert.ok(seqs.length >= 3);
	/* It re-executed itself once to keep GnuTLS from initialising at load (collector/main.c),
	 * under its own name: ps, docker top and the compose smoke test look for it by that name. */
	const pid = stack.services.collector.child.pid;
	assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'perfwatch-colle');
	assert.ok(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
		.includes('GNUTLS_NO_IMPLICIT_INIT=1'), 'the collector did not re-execute itself');
	const cpuRows = Number(stack.psql(`SELECT count(*) FROM cpu_samples WHERE cpu = -1`));
	const memRows = Number(stack.psql('SELECT count(*) FROM memory_samples WHERE total_kb > 0'));
	const loadRows = Number(stack.psql('SELECT count(*) FROM load_samples WHERE tasks > 0'));
	assert.ok(cpuRows >= 3 && memRows >= 3 && loadRows >= 3, `${cpuRows} ${memRows} ${loadRows}`);
	const sums = stack.psql(`SELECT min(usr + nice + sys + idle + iowait + irq + softirq + steal
		+ guest + guest_nice), max(usr + nice + sys + idle + iowait + irq + softirq + steal
		+ guest + guest_nice) FROM cpu_samples`).split('|').map(Number);
	assert.ok(sums[0] > 99.9 && sums[1] < 100.1, `state sums ${sums}`);
});

test('frames sampled while the database is down are written in order when it is back', async () => {
	const pg = stack.services.postgres;
	const before = storedSeqs();
	await pg.stop('SIGINT', 20000);
	await sleep(4000); /* 8 ticks at 0.5 s with nowhere to go */
	pg.start();
	await until('PostgreSQL to accept connections again', pgReady, 30000);
	/* Back-off is at most 30 s; then the held frames drain within a few ticks. */
	const seqs = await until('the held frames', () => {
		const s = storedSeqs();
		return s.length >= before.length + 12 ? s : null;
	}, 45000);
	const first = seqs[0];
	seqs.forEach((s, i) => assert.equal(s, first + i, `gap in stored ticks at ${i}: ${seqs}`));
	const order = stack.psql(`SELECT bool_and(ts > prev) FROM (SELECT ts, lag(ts) OVER (ORDER BY seq)
		AS prev FROM tick_samples) t WHERE prev IS NOT NULL`);
	assert.equal(order, 't');
	assert.equal(stack.services.collector.running(), true);
});

test('SIGTERM while the database is down: the next run backfills the spool first, nothing lost', async () => {
	const pg = stack.services.postgres;
	const collector = stack.services.collector;
	await pg.stop('SIGINT', 20000);
	await until('frames in the spool', () => segments().length > 0, 10000);
	await sleep(2000);
	const exit = await collector.stop('SIGTERM');
	assert.deepEqual(exit, { code: 0, signal: null }, collectorLog());
	assert.deepEqual(collector.problems(), []);
	const log = collectorLog();
	const last = Number(log.match(/stopping after tick (\d+)/g).pop().match(/\d+/)[0]);
	assert.match(log, /writing frames to the spool in .* until they can be backfilled/);
	assert.match(log, /in the spool for the next start [1-9]/);
	assert.ok(segments().length > 0, 'the spool is empty after SIGTERM while the database is down');

	pg.start();
	await until('PostgreSQL to accept connections again', pgReady, 30000);
	await stack.startCollector();
	/* The second run starts at seq 1: wait until it is stored past the backfill. */
	const all = await until('both runs stored', () => {
		const r = runs(seqsByTs());
		return r.length === 2 && r[1].length >= 4 ? r : null;
	}, 45000);
	assert.equal(all[0][0], 1);
	assertContiguous(all[0], 'first run');
	assert.equal(all[0][all[0].length - 1], last, 'the first run\'s last tick is stored');
	assert.equal(all[1][0], 1);
	assertContiguous(all[1], 'second run');
	assert.equal(stack.psql('SELECT count(*) - count(DISTINCT (host_id, ts)) FROM tick_samples'), '0');
	await until('the spool to be empty', () => segments().length === 0, 10000);
	const log2 = collectorLog().slice(log.length);
	assert.match(log2, /frames left by a previous run in \d+ segments/);
	assert.match(log2, /spool drained: \d+ frames backfilled/);
});

test('a frame whose commit was not acknowledged is stored once when it is sent again', async () => {
	const collector = stack.services.collector;
	const backend = Number(stack.psql(`SELECT pid FROM pg_stat_activity
		WHERE application_name = 'perfwatch-collector'`));
	assert.ok(backend > 0);
	const before = Number(stack.psql('SELECT count(*) FROM tick_samples'));
	/* The collector's backend stops answering: the next frame's commit is never acknowledged. */
	process.kill(backend, 'SIGSTOP');
	try {
		await sleep(1600);
		const exit = await collector.stop('SIGTERM');
		assert.deepEqual(exit, { code: 0, signal: null }, collectorLog());
	} finally {
		process.kill(backend, 'SIGCONT');
	}
	/* Resumed, the backend runs the frame it had received (it commits), then sees the close. */
	await until('the unacknowledged frame to be committed', () =>
		Number(stack.psql('SELECT count(*) FROM tick_samples')) > before, 10000);
	assert.ok(segments().length > 0, 'the unacknowledged frames are in the spool');
	const mark = collectorLog().length;
	await stack.startCollector();
	await until('the spool to be backfilled', () => /spool drained/.test(collectorLog().slice(mark)), 30000);
	const r = await until('ticks of the third run', () => {
		const all = runs(seqsByTs());
		return all.length >= 3 && all[2].length >= 2 ? all : null;
	}, 10000);
	assert.equal(stack.psql('SELECT count(*) - count(DISTINCT (host_id, ts)) FROM tick_samples'), '0');
	assert.equal(r.length, 3, JSON.stringify(r.map((x) => [x[0], x[x.length - 1]])));
	r.forEach((run, i) => {
		assert.equal(run[0], 1);
		assertContiguous(run, `run ${i + 1}`);
	});
	assert.equal(r[1][r[1].length - 1], Number(collectorLog().slice(0, mark)
		.match(/stopping after tick (\d+)/g).pop().match(/\d+/)[0]));
});
