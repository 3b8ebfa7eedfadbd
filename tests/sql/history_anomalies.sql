-- Anomalies on planted anomalies. Series A (cpu.usr:total): 29 days of a daily sine + Gaussian noise
-- (3 samples a minute), so the hour-of-week baseline applies; series B (mem.available_kb): 2 days of
-- flat noise, so the 24 h fallback applies. On the last day, 7 anomalies are planted. Reports the
-- false-positive rate (flagged clean minutes), precision and recall; fails above 1 % / below 0.8.
UPDATE history_tier SET retention = interval '100 years';
SELECT perfwatch_host_id('h1');
SELECT perfwatch_create_partitions('2026-04-01', 29);
SELECT setseed(0.25);
CREATE TEMP TABLE planted (series text, lo timestamptz, hi timestamptz, delta float8, kind text);
INSERT INTO planted VALUES
	('A', '2026-04-29 03:00+00', '2026-04-29 03:05+00', 25, 'spike'),
	('A', '2026-04-29 09:00+00', '2026-04-29 09:05+00', 25, 'spike'),
	('A', '2026-04-29 15:00+00', '2026-04-29 15:05+00', -25, 'spike'),
	('A', '2026-04-29 12:00+00', '2026-04-29 12:10+00', -25, 'dip'),
	('A', '2026-04-29 20:00+00', '2026-04-30 00:00+00', 8, 'level shift'),
	('B', '2026-04-29 06:00+00', '2026-04-29 06:05+00', 100, 'spike'),
	('B', '2026-04-29 18:00+00', '2026-04-29 18:05+00', -100, 'spike');
CREATE FUNCTION pg_temp.gauss() RETURNS float8 LANGUAGE sql VOLATILE AS
	$$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;
INSERT INTO cpu_samples (ts, host_id, cpu, usr)
SELECT t, 1, -1, 50 + 20 * sin(2 * pi() * extract(epoch FROM t) / 86400) + 3 * pg_temp.gauss()
	+ coalesce((SELECT sum(delta) FROM planted p WHERE p.series = 'A' AND t >= p.lo AND t < p.hi), 0)
FROM generate_series(timestamptz '2026-04-01', '2026-04-29 23:59:40+00', '20 seconds') t;
INSERT INTO memory_samples (ts, host_id, total_kb, available_kb)
SELECT t, 1, 2000, round(1000 + 10 * pg_temp.gauss()
	+ coalesce((SELECT sum(delta) FROM planted p WHERE p.series = 'B' AND t >= p.lo AND t < p.hi), 0))
FROM generate_series(timestamptz '2026-04-28', '2026-04-29 23:59:40+00', '20 seconds') t;
SELECT (perfwatch_maintain(interval '10 minutes'))->>'more' AS more;
CREATE TEMP TABLE ids AS
SELECT CASE key WHEN 'cpu.usr:total' THEN 'A' ELSE 'B' END AS series, series_id
FROM perfwatch_series_resolve('{cpu.usr:total,mem.available_kb}');

CREATE TEMP TABLE found AS
SELECT i.series, a.* FROM perfwatch_history_anomalies((SELECT array_agg(series_id) FROM ids),
	'2026-04-29 00:00+00', '2026-04-30 00:00+00') a JOIN ids i USING (series_id);
-- A detection matches a planted anomaly when it overlaps it (a level shift: from 30 minutes before
-- its start, where the 30-minute windows begin to see it).
CREATE TEMP TABLE scored AS
SELECT f.*, EXISTS (SELECT 1 FROM planted p WHERE p.series = f.series
		    AND f.start_ts < p.hi
		    AND f.end_ts > p.lo - CASE WHEN p.kind = 'level shift' THEN interval '30 minutes' ELSE interval '0' END) AS hit
FROM found f;
SELECT series, to_char(start_ts, 'HH24:MI') AS start, to_char(end_ts, 'HH24:MI') AS end, rule,
       round(peak::numeric, 1) AS peak, round(baseline::numeric, 1) AS baseline,
       round(score::numeric, 1) AS score, hit
FROM scored ORDER BY 1, start_ts;
-- False positives per minute: flagged minutes of the 2 x 1440 that are outside every planted
-- anomaly (and the 30 minutes before a level shift).
CREATE TEMP TABLE fp AS
SELECT count(DISTINCT (s.series, m.m)) AS minutes
FROM scored s CROSS JOIN LATERAL generate_series(s.start_ts, s.end_ts - interval '1 minute', '1 minute') m(m)
WHERE NOT EXISTS (SELECT 1 FROM planted p WHERE p.series = s.series AND m.m < p.hi
		  AND m.m >= p.lo - CASE WHEN p.kind = 'level shift' THEN interval '30 minutes' ELSE interval '0' END);
CREATE TEMP TABLE pr AS
SELECT (SELECT count(*) FILTER (WHERE hit)::float8 / nullif(count(*), 0) FROM scored) AS precision,
       (SELECT count(*)::float8 / 7 FROM planted p WHERE EXISTS (
		SELECT 1 FROM scored s WHERE s.hit AND s.series = p.series AND s.start_ts < p.hi
		AND s.end_ts > p.lo - interval '30 minutes')) AS recall,
       (SELECT minutes FROM fp)::float8 / (2 * 1440) AS fp_rate;
SELECT t.check((SELECT fp_rate < 0.01 FROM pr), format('false-positive rate %s %% of minutes < 1 %%',
	       (SELECT round((100 * fp_rate)::numeric, 3) FROM pr)));
SELECT t.check((SELECT recall >= 0.85 FROM pr), format('recall %s on 7 planted anomalies',
	       (SELECT round(recall::numeric, 3) FROM pr)));
SELECT t.check((SELECT precision >= 0.8 FROM pr), format('precision %s',
	       (SELECT round(precision::numeric, 3) FROM pr)));
SELECT t.check((SELECT bool_or(rule = 'level_shift' AND hit) FROM scored WHERE series = 'A'),
	       'the level shift is reported by the level_shift rule');
SELECT t.check((SELECT bool_and(baseline BETWEEN 990 AND 1010) FROM scored WHERE series = 'B' AND rule = 'band'),
	       'B (2 days of history) uses the 24 h fallback baseline');
-- The clean day before: nothing, or almost nothing, is flagged.
SELECT t.check((SELECT coalesce(sum(extract(epoch FROM end_ts - start_ts) / 60), 0) < 0.01 * 1440
		FROM perfwatch_history_anomalies((SELECT array_agg(series_id) FROM ids WHERE series = 'A'),
						 '2026-04-28 00:00+00', '2026-04-29 00:00+00')),
	       'clean day: under 1 % of minutes flagged');
-- A clean week (04-21 .. 04-28, 3 weeks of history or more for each day): false positives per minute.
SELECT t.check((SELECT coalesce(sum(extract(epoch FROM end_ts - start_ts) / 60), 0) < 0.01 * 7 * 1440
		FROM perfwatch_history_anomalies((SELECT array_agg(series_id) FROM ids WHERE series = 'A'),
						 '2026-04-21 00:00+00', '2026-04-28 00:00+00')),
	       format('clean week: %s of 10080 minutes flagged',
		      (SELECT coalesce(sum(extract(epoch FROM end_ts - start_ts) / 60), 0)
		       FROM perfwatch_history_anomalies((SELECT array_agg(series_id) FROM ids WHERE series = 'A'),
							'2026-04-21 00:00+00', '2026-04-28 00:00+00'))));
-- Sensitivity: 5-minute spikes of 2 .. 12 noise sigmas (sigma of a 1-minute average = 3 / sqrt(3))
-- planted on 04-27 into a copy of A's values, detection reported per size (not asserted below 8).
CREATE TEMP TABLE graded AS
SELECT k AS sigmas, timestamptz '2026-04-27 01:00+00' + (k - 1) * interval '2 hours' AS lo
FROM generate_series(2, 12, 2) k;
UPDATE cpu_samples c SET usr = c.usr + g.sigmas * 3 / sqrt(3)
FROM graded g WHERE c.cpu = -1 AND c.ts >= g.lo AND c.ts < g.lo + interval '5 minutes';
SELECT perfwatch_history_rebuild('2026-04-27 00:00+00');
SELECT (perfwatch_maintain(interval '5 minutes'))->>'more' AS more;
CREATE TEMP TABLE graded_found AS
SELECT g.sigmas, EXISTS (SELECT 1 FROM perfwatch_history_anomalies(
	(SELECT array_agg(series_id) FROM ids WHERE series = 'A'), g.lo - interval '1 hour',
	g.lo + interval '1 hour') a WHERE a.start_ts < g.lo + interval '5 minutes' AND a.end_ts > g.lo) AS detected
FROM graded g;
DO $$ BEGIN RAISE NOTICE 'report - spike detection by size (sigmas:found): %',
	(SELECT string_agg(sigmas || ':' || detected, ' ' ORDER BY sigmas) FROM graded_found); END $$;
SELECT t.check((SELECT bool_and(detected) FROM graded_found WHERE sigmas >= 10),
	       'spikes of 10 sigmas and more are found');
