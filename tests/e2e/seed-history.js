'use strict';
/*
 * Fills a test stack's database with history through the real ingest path: the collector's
 * newest frame (GET /api/v1/latest) is the template, and perfwatch_ingest() gets one copy per
 * step from `hours` ago to 6 minutes ago (the live window stays the collector's own), with the values that move in a dashboard (CPU states per core and
 * in total, available memory, load, traffic per interface, disk bytes, PSI) following a daily
 * curve plus noise, and a 15-minute CPU burst `burstAgoH` hours ago (an anomaly to find).
 * Then the rollups are rebuilt (perfwatch_history_rebuild, perfwatch_maintain until done).
 *
 *   const { seedHistory } = require('./seed-history.js');
 *   const { frames, ms } = await seedHistory(stack, { hours: 49, stepS: 30 });
 */

/* The PL/pgSQL that turns the template into `n` frames and ingests them (one statement). */
function seedSql(template, hours, stepS, burstAgoH) {
	const lit = (s) => `$tpl$${s}$tpl$`;
	return `
DO $seed$
DECLARE
	tpl jsonb := ${lit(template)}::jsonb;
	now_ms bigint := (tpl->>'ts')::bigint;
	from_ms bigint := now_ms - ${Math.round(hours * 3600e3)}::bigint;
	step_ms bigint := ${Math.round(stepS * 1000)};
	burst_ms bigint := now_ms - ${Math.round(burstAgoH * 3600e3)}::bigint;
	f jsonb;
	t bigint;
	x float8;
	busy float8;
	i int;
	seq bigint := 1;
BEGIN
	PERFORM perfwatch_create_partitions((to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC')::date,
		${Math.ceil(hours / 24) + 2});
	PERFORM perfwatch_history_partitions('rollup_1m', to_timestamp(from_ms / 1000.0), now() + interval '2 days');
	PERFORM perfwatch_history_partitions('rollup_1h', to_timestamp(from_ms / 1000.0), now() + interval '32 days');
	t := from_ms;
	WHILE t < now_ms - 360000 LOOP
		-- daily curve in [0, 1] plus noise
		x := 0.5 + 0.35 * sin(2 * pi() * (t % 86400000) / 86400000.0) + 0.1 * (random() - 0.5);
		busy := 10 + 50 * x;
		IF t BETWEEN burst_ms AND burst_ms + 900000 THEN
			busy := 97;
		END IF;
		f := tpl || jsonb_build_object('ts', t, 'seq', seq);
		f := jsonb_set(f, '{cpu,total}', (f->'cpu'->'total') || jsonb_build_object(
			'usr', round((busy * 0.7)::numeric, 2), 'sys', round((busy * 0.25)::numeric, 2),
			'iowait', round((busy * 0.05)::numeric, 2), 'nice', 0, 'irq', 0, 'softirq', 0, 'steal', 0,
			'idle', round((100 - busy)::numeric, 2)));
		FOR i IN 0 .. jsonb_array_length(f->'cpu'->'cores') - 1 LOOP
			f := jsonb_set(f, ARRAY['cpu', 'cores', i::text], (f->'cpu'->'cores'->i) || jsonb_build_object(
				'usr', round(least(100, busy * (0.6 + 0.3 * i)) ::numeric, 2), 'sys', 0, 'nice', 0,
				'iowait', 0, 'irq', 0, 'softirq', 0, 'steal', 0,
				'idle', round(greatest(0, 100 - least(100, busy * (0.6 + 0.3 * i)))::numeric, 2)));
		END LOOP;
		f := jsonb_set(f, '{mem,available_kb}', to_jsonb(round(((f->'mem'->>'total_kb')::float8 * (0.9 - 0.5 * x))::numeric)));
		f := jsonb_set(f, '{load,load1}', to_jsonb(round((busy / 25)::numeric, 2)));
		IF f ? 'net' THEN
			FOR i IN 0 .. jsonb_array_length(f->'net') - 1 LOOP
				f := jsonb_set(f, ARRAY['net', i::text], (f->'net'->i) || jsonb_build_object(
					'rx_bytes_per_s', round((2e5 * x * (i + 1))::numeric, 1),
					'tx_bytes_per_s', round((5e4 * x * (i + 1))::numeric, 1)));
			END LOOP;
		END IF;
		IF f ? 'disk' THEN
			FOR i IN 0 .. jsonb_array_length(f->'disk') - 1 LOOP
				f := jsonb_set(f, ARRAY['disk', i::text], (f->'disk'->i) || jsonb_build_object(
					'read_bytes_per_s', round((4e6 * x)::numeric, 1), 'write_bytes_per_s', round((1e6 * x)::numeric, 1),
					'util_pct', round((20 * x)::numeric, 2)));
			END LOOP;
		END IF;
		IF f ? 'pressure' THEN
			FOR i IN 0 .. jsonb_array_length(f->'pressure') - 1 LOOP
				f := jsonb_set(f, ARRAY['pressure', i::text, 'some_avg10'], to_jsonb(round((busy / 10)::numeric, 2)));
			END LOOP;
		END IF;
		PERFORM perfwatch_ingest(f::text);
		t := t + step_ms;
		seq := seq + 1;
	END LOOP;
END
$seed$;
SELECT perfwatch_history_rebuild(to_timestamp(${Math.round(Date.now() - hours * 3600e3)} / 1000.0) - interval '1 hour');
`;
}

async function seedHistory(stack, { hours = 49, stepS = 30, burstAgoH = 3 } = {}) {
	const t0 = Date.now();
	const res = await stack.fetch('/api/v1/latest');
	if (res.status !== 200)
		throw new Error(`GET /api/v1/latest: ${res.status}`);
	const template = await res.text();
	stack.psql(seedSql(template, hours, stepS, burstAgoH));
	/* Roll up what was written: maintenance answers "more" until it caught up; the API server's
	 * own run (every minute) may hold the lock meanwhile. */
	const deadline = Date.now() + 180000;
	for (;;) {
		const out = stack.psql("SELECT perfwatch_maintain(interval '20 seconds', interval '12 hours')::text");
		if (!/"more"\s*:\s*true|skipped/.test(out))
			break;
		if (Date.now() > deadline)
			throw new Error(`history maintenance did not catch up: ${out}`);
		await new Promise((r) => setTimeout(r, /skipped/.test(out) ? 500 : 0));
	}
	return { frames: Math.floor((hours * 3600 - 360) / stepS), ms: Date.now() - t0 };
}

module.exports = { seedHistory };
