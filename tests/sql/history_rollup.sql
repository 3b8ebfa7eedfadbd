-- Exact rollup values from known data, bucket and partition placement across midnight UTC and
-- across a DST change (Europe/Berlin, 2026-03-29 01:00 UTC), tier selection in queries.
UPDATE history_tier SET retention = interval '100 years';
SELECT perfwatch_host_id('h1');
SELECT perfwatch_create_partitions('2026-03-28', 1);
-- 23:00 to 03:00 UTC at 1 Hz: cpu total usr = second of the minute (0..59), cpu 0 sys = minute of
-- the hour; memory available_kb = second of the hour (0..3599).
INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys)
SELECT t, 1, -1, extract(second FROM t), NULL FROM generate_series(
	timestamptz '2026-03-28 23:00:00+00', '2026-03-29 02:59:59+00', '1 second') t
UNION ALL
SELECT t, 1, 0, NULL, extract(minute FROM t) FROM generate_series(
	timestamptz '2026-03-28 23:00:00+00', '2026-03-29 02:59:59+00', '1 second') t;
INSERT INTO memory_samples (ts, host_id, total_kb, available_kb)
SELECT t, 1, 1000, (extract(epoch FROM t)::bigint % 3600) FROM generate_series(
	timestamptz '2026-03-28 23:00:00+00', '2026-03-29 02:59:59+00', '1 second') t;

-- Maintenance from a session in a DST zone: buckets must still be UTC minutes and hours.
SET TIME ZONE 'Europe/Berlin';
SELECT perfwatch_maintain(interval '5 minutes');
SELECT t.eq((perfwatch_maintain())->>'more', 'false', 'maintenance is caught up');

CREATE TEMP TABLE ids AS SELECT key, series_id FROM perfwatch_series_resolve(
	'{cpu.usr:total,cpu.sys:0,mem.available_kb,mem.total_kb}');
SELECT t.eq((SELECT count(*) FROM ids), 4::bigint, 'series registered by the rollup');
SELECT t.eq((SELECT array_agg(DISTINCT unit ORDER BY unit) FROM series), '{%,KiB}'::text[],
	    'units from the column comments');

SELECT t.eq((SELECT count(*) FROM rollup_1m r JOIN ids USING (series_id)
	     WHERE key = 'cpu.usr:total'), 240::bigint, '240 minutes of cpu.usr:total');
SELECT t.check((SELECT bool_and(count = 60 AND sum = 1770 AND min = 0 AND max = 59)
		FROM rollup_1m r JOIN ids USING (series_id) WHERE key = 'cpu.usr:total'),
	       'each minute: count 60, sum 1770, min 0, max 59');
SELECT t.check((SELECT bool_and(count = 60 AND sum = 60 * extract(minute FROM bucket)
				AND min = extract(minute FROM bucket)
				AND max = extract(minute FROM bucket))
		FROM rollup_1m r JOIN ids USING (series_id) WHERE key = 'cpu.sys:0'),
	       'cpu.sys:0 minute buckets hold the minute of the hour');
SELECT t.eq((SELECT array_agg(bucket AT TIME ZONE 'UTC' ORDER BY bucket)::text
	     FROM rollup_1h r JOIN ids USING (series_id) WHERE key = 'cpu.usr:total'),
	    '{"2026-03-28 23:00:00","2026-03-29 00:00:00","2026-03-29 01:00:00","2026-03-29 02:00:00"}',
	    'four UTC hours across the DST change, the last one final once the host went quiet');
SELECT t.check((SELECT bool_and(count = 3600 AND sum = 106200 AND min = 0 AND max = 59)
		FROM rollup_1h r JOIN ids USING (series_id) WHERE key = 'cpu.usr:total'),
	       'each hour: count 3600, sum 106200, min 0, max 59');
SELECT t.check((SELECT bool_and(count = 3600 AND sum = 6478200 AND min = 0 AND max = 3599)
		FROM rollup_1h r JOIN ids USING (series_id) WHERE key = 'mem.available_kb'),
	       'mem.available_kb hours: sum 6478200, min 0, max 3599');

-- Midnight UTC: raw rows and rollup rows land in the partition of their UTC day.
SELECT t.eq((SELECT array_agg(DISTINCT tableoid::regclass::text) FROM cpu_samples
	     WHERE ts = '2026-03-28 23:59:59+00'), '{cpu_samples_20260328}', 'raw 23:59:59 UTC');
SELECT t.eq((SELECT array_agg(DISTINCT tableoid::regclass::text) FROM cpu_samples
	     WHERE ts = '2026-03-29 00:00:00+00'), '{cpu_samples_20260329}', 'raw 00:00:00 UTC');
SELECT t.eq((SELECT array_agg(DISTINCT tableoid::regclass::text) FROM rollup_1m
	     WHERE bucket = '2026-03-28 23:59+00'), '{rollup_1m_20260328}', 'rollup 23:59 UTC');
SELECT t.eq((SELECT array_agg(DISTINCT tableoid::regclass::text) FROM rollup_1m
	     WHERE bucket = '2026-03-29 00:00+00'), '{rollup_1m_20260329}', 'rollup 00:00 UTC');
SELECT t.eq((SELECT array_agg(DISTINCT tableoid::regclass::text) FROM rollup_1h),
	    '{rollup_1h_202603}', 'hour rollup partitioned by UTC month');
-- A frame ingested at 23:59:59.999 on a day without partitions goes to that UTC day.
SELECT perfwatch_ingest(json_build_object('v', 1, 'host', 'h2', 'seq', 1, 'dt', 1.0,
	'ts', extract(epoch FROM timestamptz '2026-03-30 23:59:59.999+00') * 1000,
	'cpu', json_build_object('total', json_build_object('usr', 1)))::text);
SELECT perfwatch_ingest(json_build_object('v', 1, 'host', 'h2', 'seq', 2, 'dt', 1.0,
	'ts', extract(epoch FROM timestamptz '2026-03-31 00:00:00+00') * 1000,
	'cpu', json_build_object('total', json_build_object('usr', 2)))::text);
SELECT t.eq((SELECT array_agg(tableoid::regclass::text ORDER BY ts) FROM cpu_samples
	     WHERE host_id = perfwatch_host_id('h2')),
	    '{cpu_samples_20260330,cpu_samples_20260331}', 'ingest across midnight UTC');

-- Partitions ahead: today and the next two UTC days exist for raw and 1-minute tables.
SELECT t.check((SELECT bool_and(to_regclass(tbl || '_' || to_char((now() AT TIME ZONE 'UTC')::date + d, 'YYYYMMDD')) IS NOT NULL)
		FROM unnest('{cpu_samples,memory_samples,load_samples,rollup_1m}'::text[]) tbl,
		     generate_series(0, 2) d), 'partitions for today + 2 days exist');
SELECT t.check(to_regclass('rollup_1h_' || to_char(now() AT TIME ZONE 'UTC' + interval '1 month', 'YYYYMM')) IS NOT NULL,
	       'rollup_1h partition for next month exists');

-- Queries: tier by range and points, buckets on UTC boundaries whatever the session zone.
SELECT t.eq((SELECT tier FROM perfwatch_history_plan(now() - interval '5 minutes', now(), 300)),
	    'raw', '5 min / 300 points: raw');
SELECT t.eq((SELECT (tier, step_s)::text FROM perfwatch_history_plan(now() - interval '24 hours', now(), 720)),
	    '(1m,120)', '24 h / 720 points: 1m tier, 120 s');
SELECT t.eq((SELECT (tier, step_s)::text FROM perfwatch_history_plan(now() - interval '7 days', now(), 1000)),
	    '(1m,900)', '7 d / 1000 points: 1m tier, 900 s');
SELECT t.eq((SELECT (tier, step_s)::text FROM perfwatch_history_plan(now() - interval '90 days', now(), 1000)),
	    '(1h,10800)', '90 d / 1000 points: 1h tier, 3 h');
SELECT t.eq((SELECT array_agg(value ORDER BY ts) FROM perfwatch_history_query(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
		'2026-03-29 01:00:00+00', '2026-03-29 01:01:00+00', 6)),
	    '{4.5,14.5,24.5,34.5,44.5,54.5}'::float8[], 'raw 10 s buckets: exact averages');
SELECT t.eq((SELECT array_agg(value ORDER BY ts) FROM perfwatch_history_query(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.sys:0'),
		'2026-03-29 00:00:00+01', '2026-03-29 05:00:00+02', 4, 'max')),
	    '{59,59,59,59}'::float8[], 'Berlin-local range over the DST change: 4 hourly buckets');
SELECT t.eq((SELECT array_agg(to_char(ts AT TIME ZONE 'UTC', 'HH24:MI') ORDER BY ts)
	     FROM perfwatch_history_query(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'mem.available_kb'),
		'2026-03-29 00:00:00+01', '2026-03-29 05:00:00+02', 4)),
	    '{23:00,00:00,01:00,02:00}', 'hour buckets at UTC hours');
SELECT t.eq((SELECT array_agg(value ORDER BY ts) FROM perfwatch_history_query(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'mem.available_kb'),
		'2026-03-29 00:00:00+01', '2026-03-29 05:00:00+02', 4)),
	    '{1799.5,1799.5,1799.5,1799.5}'::float8[], 'hour averages of mem.available_kb');
CREATE TEMP TABLE berlin AS SELECT * FROM perfwatch_history_query(
	(SELECT array_agg(series_id) FROM ids), '2026-03-28 23:30+00', '2026-03-29 01:30+00', 100);
SET TIME ZONE 'UTC';
SELECT t.check((SELECT count(*) = (SELECT count(*) FROM berlin) AND count(*) > 0
		FROM perfwatch_history_query((SELECT array_agg(series_id) FROM ids),
					     '2026-03-28 23:30+00', '2026-03-29 01:30+00', 100) q
		JOIN berlin b USING (series_id, ts) WHERE b.value = q.value),
	       'same points from a UTC and a Berlin session');
DO $$
BEGIN
	PERFORM perfwatch_history_query('{1}', now(), now() - interval '1 hour', 10);
	RAISE EXCEPTION 'not ok - reversed range accepted';
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'ok - reversed range rejected';
END
$$;
DO $$
BEGIN
	PERFORM perfwatch_history_query('{1}', now() - interval '1 hour', now(), 10, 'median');
	RAISE EXCEPTION 'not ok - agg median accepted';
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'ok - unknown agg rejected';
END
$$;
