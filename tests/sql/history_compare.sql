-- compare: the window and the shifted window on one axis, gaps kept as NULLs; stats; changes().
UPDATE history_tier SET retention = interval '100 years';
SELECT perfwatch_host_id('h1');
SELECT perfwatch_create_partitions('2026-05-01', 1);
-- Yesterday 10:00-11:00 usr = 10 with no data 10:20-10:30; today usr = 20 with no data 10:40-10:45.
-- sys = 5 in both (unchanged).
INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys)
SELECT t, 1, -1, 10, 5 FROM generate_series(timestamptz '2026-05-01 10:00+00', '2026-05-01 10:59:59+00', '1 second') t
WHERE NOT (t >= '2026-05-01 10:20+00' AND t < '2026-05-01 10:30+00')
UNION ALL
SELECT t, 1, -1, 20, 5 + (extract(second FROM t)::integer % 2) FROM generate_series(timestamptz '2026-05-02 10:00+00', '2026-05-02 10:59:59+00', '1 second') t
WHERE NOT (t >= '2026-05-02 10:40+00' AND t < '2026-05-02 10:45+00');
SELECT perfwatch_maintain(interval '5 minutes');
CREATE TEMP TABLE ids AS SELECT key, series_id FROM perfwatch_series_resolve('{cpu.usr:total,cpu.sys:total}');
CREATE TEMP TABLE c AS SELECT * FROM perfwatch_history_compare(
	(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
	'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '1 day', 60);
SELECT t.eq((SELECT count(*) FROM c), 60::bigint, '60 one-minute rows on one axis');
SELECT t.check((SELECT bool_and(ts >= '2026-05-02 10:00+00' AND ts < '2026-05-02 11:00+00' AND step_s = 60) FROM c),
	       'timestamps are today''s');
SELECT t.eq((SELECT array_agg(to_char(ts, 'HH24:MI') ORDER BY ts) FROM c WHERE value_shifted IS NULL),
	    '{10:20,10:21,10:22,10:23,10:24,10:25,10:26,10:27,10:28,10:29}', 'yesterday''s gap stays NULL');
SELECT t.eq((SELECT array_agg(to_char(ts, 'HH24:MI') ORDER BY ts) FROM c WHERE value IS NULL),
	    '{10:40,10:41,10:42,10:43,10:44}', 'today''s gap stays NULL');
SELECT t.check((SELECT bool_and(value IS NULL OR value = 20) AND bool_and(value_shifted IS NULL OR value_shifted = 10) FROM c),
	       'values from the right day');
-- 5-minute buckets: a bucket wholly in a gap is NULL, one partly in a gap averages what exists.
SELECT t.eq((SELECT array_agg(coalesce(value, -1) ORDER BY ts) FROM perfwatch_history_compare(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
		'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '1 day', 12)),
	    '{20,20,20,20,20,20,20,20,-1,20,20,20}'::float8[], '5-minute buckets with today''s gap');
-- Raw tier (5 s buckets): both windows aligned on the same 5-second axis.
SELECT t.check((SELECT count(*) = 720 AND bool_and(extract(epoch FROM ts)::bigint % 5 = 0)
		       AND count(value_shifted) = 720 - 120 AND count(value) = 720 - 60
		FROM perfwatch_history_compare((SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
		'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '1 day', 720)),
	       'raw 5 s buckets aligned, gaps NULL on each side');
-- An offset that is not whole days: 25 hours puts yesterday 09:00 under today 10:00.
SELECT t.eq((SELECT count(value_shifted) FROM perfwatch_history_compare(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
		'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '25 hours', 60)), 0::bigint,
	    '25 h offset: shifted window has no data');
SELECT t.eq((SELECT (mean, mean_shifted, change_pct)::text FROM perfwatch_history_compare_stats(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.usr:total'),
		'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '1 day', 60)),
	    '(20,10,100)', 'mean 20 vs 10: +100 %');
-- sys alternates 5, 6 each second today: 5 s buckets average 5.4 or 5.6.
SELECT t.near((SELECT p95 FROM perfwatch_history_compare_stats(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.sys:total'),
		'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '1 day', 720)),
	    5.6, 'p95 of 5 s buckets of sys');
SELECT t.eq((SELECT array_agg(s.name ORDER BY ch.score DESC) FROM perfwatch_history_changes(
		'2026-05-02 10:00+00', '2026-05-02 11:00+00', interval '1 day', 10) ch
	     JOIN series s ON s.id = ch.series_id),
	    '{cpu.usr:total,cpu.sys:total}', 'changes: usr changed most, sys less');
