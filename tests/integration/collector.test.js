'use strict';
/*
 * The collector against a real PostgreSQL: it refuses a database whose schema is behind, writes
 * cpu/memory/load rows and NOTIFYs every tick, keeps sampling while the database is down (stopped,
 * then started again) and writes the frames it held, in order, once the database is back.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
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

test('a database whose schema is behind stops the collector with exit 1', async () => {
	stack = await startStack({ collector: false, api: false, migrate: false, interval: 0.5 });
	const r = stack.exec('perfwatch-collector', ['--db', stack.conninfo('postgres'),
		'--interval', '0.5'], { timeoutMs: 20000 });
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
