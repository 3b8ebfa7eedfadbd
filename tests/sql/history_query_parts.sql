-- perfwatch_history_query() against the raw rows, bucket by bucket: several series of one table
-- (instances, a column with NULLs) and of another, every agg, bucket widths of each tier (raw,
-- 1m, 1h) with tier boundaries on and off the bucket grid, origins shifted as compare shifts
-- them. Every bucket must equal the aggregate of the raw rows in it (exactly for min and max).
SELECT perfwatch_host_id('h1');
SELECT t.away_from_hour_boundary();
SELECT setseed(0.75);
SELECT perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date - 1, 0);
-- The all-NULL minute, fixed once: each statement has its own now(), and the checks below run
-- a minute or more after the insert.
CREATE TEMP TABLE gap AS SELECT date_bin('1 minute', now(), 'epoch') - interval '47 minutes' AS at;
-- 5 hours up to now at 1 Hz; cpu 1's sys is NULL one second in seven and all of one minute.
INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys)
SELECT t, 1, c, round((random() * 100)::numeric, 2),
       CASE WHEN c = 1 AND (extract(epoch FROM t)::bigint % 7 = 0
			    OR t >= (SELECT at FROM gap) AND t < (SELECT at FROM gap) + interval '1 minute')
	    THEN NULL ELSE round((random() * 10)::numeric, 2) END
FROM generate_series(date_bin('1 second', now(), 'epoch') - interval '5 hours',
		     date_bin('1 second', now(), 'epoch'), '1 second') t,
     LATERAL generate_series(-1, CASE WHEN t IS NULL THEN 0 ELSE 1 END) c;
INSERT INTO memory_samples (ts, host_id, total_kb, available_kb)
SELECT t, 1, 1000000, 500000 + (random() * 1000)::bigint
FROM generate_series(date_bin('1 second', now(), 'epoch') - interval '5 hours',
		     date_bin('1 second', now(), 'epoch'), '1 second') t;
SELECT perfwatch_maintain(interval '5 minutes');
-- Written after maintenance: only raw rows have them.
INSERT INTO cpu_samples (ts, host_id, cpu, usr, sys) VALUES (now(), 1, -1, 1000, 1000), (now(), 1, 1, 2000, NULL);
CREATE TEMP TABLE ids AS SELECT key, series_id FROM perfwatch_series_resolve(
	'{cpu.usr:total,cpu.usr:0,cpu.sys:1,cpu.sys:total,mem.available_kb}');
SELECT t.eq((SELECT count(*) FROM ids), 5::bigint, 'five series of two tables');
-- Each raw row with the start of the rollup bucket that holds it where a tier is complete: a
-- rollup row counts in the bucket its start falls in (this matters with an origin off the minute).
CREATE TEMP TABLE raw AS
SELECT x.series_id, x.ts, x.v,
       CASE WHEN x.ts < w.done_1h THEN date_bin('1 hour', x.ts, 'epoch') END AS at_1h,
       CASE WHEN x.ts < w.done_1m THEN date_bin('1 minute', x.ts, 'epoch') END AS at_1m
FROM (SELECT 'cpu_samples' AS tbl, s.series_id, c.ts,
	     CASE s.key WHEN 'cpu.usr:total' THEN c.usr WHEN 'cpu.usr:0' THEN c.usr
			ELSE c.sys END::float8 AS v
      FROM cpu_samples c JOIN ids s ON (s.key IN ('cpu.usr:total', 'cpu.sys:total') AND c.cpu = -1)
	   OR (s.key = 'cpu.usr:0' AND c.cpu = 0) OR (s.key = 'cpu.sys:1' AND c.cpu = 1)
      UNION ALL
      SELECT 'memory_samples', s.series_id, m.ts, m.available_kb::real::float8 FROM memory_samples m
      JOIN ids s ON s.key = 'mem.available_kb') x
JOIN history_watermark w ON w.table_name = x.tbl;
SELECT t.check((SELECT bool_and(done_1h < done_1m AND done_1m < now() AND done_1h > now() - interval '1 hour')
		FROM history_watermark), 'watermarks: hours and minutes rolled up, the newest minute raw');
-- The database stores reals: min and max of real columns are compared as reals.
CREATE TEMP TABLE cases AS
SELECT st.step, a.agg, o.origin, f.back
FROM (VALUES (1), (5), (60), (120), (300), (900), (3600), (7200)) st(step)
CROSS JOIN (VALUES ('avg'), ('min'), ('max')) a(agg)
CROSS JOIN (VALUES (timestamptz 'epoch'), (timestamptz 'epoch' - interval '1 day'),
		   (timestamptz 'epoch' - interval '90 seconds')) o(origin)
CROSS JOIN (VALUES (interval '10 minutes'), (interval '4 hours 17 minutes 13 seconds')) f(back)
WHERE f.back > st.step * interval '2 seconds';
CREATE TEMP TABLE bad (step integer, agg text, origin timestamptz, back interval, series_id integer,
		       ts timestamptz, got float8, want float8);
CREATE TEMP TABLE counts (step integer, agg text, origin timestamptz, back interval, got bigint,
			  want bigint);
DO $$
DECLARE
	c record;
	p_from timestamptz;
	p_to timestamptz := now() + interval '1 second';
BEGIN
	FOR c IN SELECT * FROM cases LOOP
		p_from := now() - c.back;
		CREATE TEMP TABLE q AS SELECT * FROM perfwatch_history_query(
			(SELECT array_agg(series_id) FROM ids), p_from, p_to, 100000, c.agg, c.step,
			c.origin);
		CREATE TEMP TABLE d AS
		SELECT r.series_id, date_bin(make_interval(secs => c.step), r.at, c.origin) AS ts,
		       CASE c.agg WHEN 'avg' THEN avg(r.v) WHEN 'min' THEN min(r.v) ELSE max(r.v) END AS v
		FROM (SELECT r.series_id, r.v,
			     CASE WHEN c.step >= 3600 THEN coalesce(r.at_1h, r.at_1m, r.ts)
				  WHEN c.step >= 60 THEN coalesce(r.at_1m, r.ts) ELSE r.ts END AS at
		      FROM raw r) r
		WHERE r.v IS NOT NULL AND r.at < p_to
		  AND r.at >= date_bin(make_interval(secs => c.step), p_from, c.origin)
		GROUP BY 1, 2;
		INSERT INTO bad SELECT c.step, c.agg, c.origin, c.back, coalesce(q.series_id, d.series_id),
				       coalesce(q.ts, d.ts), q.value, d.v
		FROM q FULL JOIN d USING (series_id, ts)
		WHERE q.value IS NULL OR d.v IS NULL
		   OR (c.agg = 'avg' AND abs(q.value - d.v) > 1e-9 * greatest(abs(d.v), 1))
		   OR (c.agg <> 'avg' AND q.value <> d.v);
		INSERT INTO counts SELECT c.step, c.agg, c.origin, c.back, (SELECT count(*) FROM q),
					  (SELECT count(*) FROM d);
		DROP TABLE q, d;
	END LOOP;
END
$$;
SELECT t.check((SELECT count(*) = (SELECT count(*) FROM cases) AND count(*) >= 100 FROM counts), 'cases run: '
	       || (SELECT count(*) FROM counts));
SELECT t.check((SELECT min(got) > 0 FROM counts), 'every case returned points');
SELECT t.eq((SELECT count(*) FROM bad), 0::bigint,
	    'every bucket of every case equals the raw aggregate; first differences: '
	    || coalesce((SELECT string_agg(format('step %s %s origin %s back %s series %s %s: %s vs %s',
					      step, agg, origin, back, series_id, ts, got, want), '; ')
			 FROM (SELECT * FROM bad LIMIT 5) b), 'none'));
SELECT t.check((SELECT bool_or(step = 1) AND bool_or(step = 60) AND bool_or(step = 7200) FROM counts),
	       'raw, 1m and 1h tiers covered');
-- The series whose column is NULL for a whole minute has no point there (a gap stays a gap).
SELECT t.eq((SELECT count(*) FROM perfwatch_history_query(
		(SELECT array_agg(series_id) FROM ids WHERE key = 'cpu.sys:1'),
		(SELECT at FROM gap), (SELECT at FROM gap) + interval '1 minute', 60)), 0::bigint,
	    'an all-NULL minute gives no point');
