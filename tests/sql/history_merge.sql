-- Partial-bucket merge: each tier is read only where complete, the newest part comes from the finer
-- tier down to raw rows, and every bucket equals the same aggregate computed from raw rows.
SELECT perfwatch_host_id('h1');
SELECT t.away_from_hour_boundary();
SELECT setseed(0.5);
SELECT perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date - 1, 0);
-- 3 hours up to now at 1 Hz, random values.
INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys)
SELECT t, 1, c, round((random() * 100)::numeric, 2), round((random() * 10)::numeric, 2)
FROM generate_series(date_bin('1 second', now(), 'epoch') - interval '3 hours',
		     date_bin('1 second', now(), 'epoch'), '1 second') t, generate_series(-1, 1) c;
SELECT perfwatch_maintain(interval '5 minutes');
-- Rows written after maintenance into the current minute: only raw rows have them. Their time is
-- fixed for the windows below (each statement has its own now()), and both series get one: on a
-- slow machine that minute can have begun after the 3 hours were generated.
CREATE TEMP TABLE clock AS SELECT now() AS at;
INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys)
VALUES ((SELECT at FROM clock), 1, -1, 1000, 1000), ((SELECT at FROM clock), 1, 1, 2000, 2000);
CREATE TEMP TABLE ids AS SELECT key, series_id FROM perfwatch_series_resolve('{cpu.usr:total,cpu.sys:1}');
CREATE TEMP TABLE direct AS
SELECT s.id AS series_id, st.step, date_bin(make_interval(secs => st.step), c.ts, 'epoch') AS ts,
       avg(CASE s.metric WHEN 'usr' THEN c.usr ELSE c.sys END::float8) AS avg,
       min(CASE s.metric WHEN 'usr' THEN c.usr ELSE c.sys END::float8) AS min,
       max(CASE s.metric WHEN 'usr' THEN c.usr ELSE c.sys END::float8) AS max
FROM cpu_samples c JOIN series s ON s.instance = CASE WHEN c.cpu < 0 THEN 'total' ELSE c.cpu::text END
CROSS JOIN (VALUES (60), (3600)) st(step)
WHERE s.id IN (SELECT series_id FROM ids) AND c.ts >= (SELECT at FROM clock) - interval '3 hours'
GROUP BY 1, 2, 3;

SELECT t.check((SELECT done_1h < (SELECT at FROM clock) AND done_1h > (SELECT at FROM clock) - interval '1 hour' AND done_1m > done_1h
		FROM history_watermark WHERE table_name = 'cpu_samples'),
	       'watermarks: complete hours in 1h, complete minutes in 1m');
-- 1-minute tier over the last 2 hours, and 1-hour tier over 3 hours.
CREATE TEMP TABLE q1m AS SELECT * FROM perfwatch_history_query((SELECT array_agg(series_id) FROM ids),
	date_bin('1 minute', (SELECT at FROM clock), 'epoch') - interval '2 hours',
	date_bin('1 minute', (SELECT at FROM clock), 'epoch') + interval '1 minute', 121);
CREATE TEMP TABLE q1h AS SELECT * FROM perfwatch_history_query((SELECT array_agg(series_id) FROM ids),
	date_bin('1 hour', (SELECT at FROM clock), 'epoch') - interval '2 hours',
	date_bin('1 hour', (SELECT at FROM clock), 'epoch') + interval '1 hour', 3);
SELECT t.eq((SELECT tier FROM perfwatch_history_plan((SELECT at FROM clock) - interval '2 hours', (SELECT at FROM clock), 121)), '1m', 'plan 1m');
SELECT t.eq((SELECT count(*) FROM q1m), 2 * 121::bigint, '121 minute buckets per series');
SELECT t.eq((SELECT count(*) FROM q1h), 2 * 3::bigint, '3 hour buckets per series');
SELECT t.check((SELECT bool_and(abs(q.value - d.avg) <= 1e-9 * greatest(abs(d.avg), 1))
		FROM q1m q JOIN direct d USING (series_id, ts) WHERE d.step = 60),
	       '1m tier + raw tail: every minute average equals the raw average');
SELECT t.check((SELECT bool_and(abs(q.value - d.avg) <= 1e-9 * greatest(abs(d.avg), 1))
		FROM q1h q JOIN direct d USING (series_id, ts) WHERE d.step = 3600),
	       '1h tier + 1m + raw tail: every hour average equals the raw average');
SELECT t.near((SELECT value FROM q1m JOIN ids USING (series_id) WHERE key = 'cpu.usr:total' ORDER BY ts DESC LIMIT 1),
	      (SELECT avg FROM direct JOIN ids USING (series_id) WHERE key = 'cpu.usr:total' AND step = 60 ORDER BY ts DESC LIMIT 1),
	      'the current minute includes the row written after maintenance');
SELECT t.check((SELECT bool_and(q.value = d.max) FROM perfwatch_history_query((SELECT array_agg(series_id) FROM ids),
		date_bin('1 hour', (SELECT at FROM clock), 'epoch') - interval '2 hours',
		date_bin('1 hour', (SELECT at FROM clock), 'epoch') + interval '1 hour', 3, 'max') q
		JOIN direct d USING (series_id, ts) WHERE d.step = 3600), 'max per hour across tiers');
SELECT t.check((SELECT bool_and(q.value = d.min) FROM perfwatch_history_query((SELECT array_agg(series_id) FROM ids),
		date_bin('1 minute', (SELECT at FROM clock), 'epoch') - interval '2 hours',
		date_bin('1 minute', (SELECT at FROM clock), 'epoch') + interval '1 minute', 121, 'min') q
		JOIN direct d USING (series_id, ts) WHERE d.step = 60), 'min per minute across tiers');
-- Each range is read from exactly one tier: poison a complete rollup_1m bucket and the query shows
-- it, while the same bucket in the raw table is not read twice.
UPDATE rollup_1m SET sum = -1e6 * count
WHERE series_id = (SELECT series_id FROM ids WHERE key = 'cpu.usr:total')
  AND bucket = date_bin('1 minute', (SELECT at FROM clock), 'epoch') - interval '30 minutes';
SELECT t.eq((SELECT value FROM perfwatch_history_query((SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
		date_bin('1 minute', (SELECT at FROM clock), 'epoch') - interval '30 minutes',
		date_bin('1 minute', (SELECT at FROM clock), 'epoch') - interval '29 minutes', 1)), -1e6::float8,
	    'complete minutes come from rollup_1m only');
