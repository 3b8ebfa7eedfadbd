-- 010: history reads within budget with margin (issue 5), same answers.
--
-- 1. perfwatch_history_anomalies() reads the whole minutes of its 48 hours straight from
--    rollup_1m (perfwatch_history_query() only for the minutes after the oldest watermark of
--    the series' tables), and computes the hour-of-week slot from date_part() (float8), not
--    extract() (numeric), and sqrt(1/n_before + 1/n_after) once per pair of counts, not once
--    per row in numeric. The same values, bit for bit: the slot of a minute-aligned timestamp is
--    exact either way, and the factor is the same numeric expression cast to float8 as before.
--    Its joins are hash joins (enable_mergejoin off for the function).
-- 2. perfwatch_api_query() returns the 'plan' row, every 'series' row, then the points as
--    perfwatch_history_query() returns them (by series, in time order), instead of sorting all
--    of them again to put each series row before its points: perfwatch-api files points by
--    series id (apiserver/http_history.c). Same rows, another order.

CREATE OR REPLACE FUNCTION perfwatch_history_anomalies(p_series integer[], p_from timestamptz,
					    p_to timestamptz, p_band double precision DEFAULT 5,
					    p_shift double precision DEFAULT 8)
RETURNS TABLE (series_id integer, start_ts timestamptz, end_ts timestamptz, rule text,
	       peak double precision, baseline double precision, score double precision)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
-- The CTEs' row estimates are far off (333 rows for 11,000), so the planner sorted the window's
-- rows by a computed slot to merge-join a baseline of a few rows; hash joins cost ~20 % less.
SET enable_mergejoin = off
AS $$
	-- One read of 1-minute averages for the fallback day, the 30 minutes before p_from and
	-- the window; complete minutes only (the one being written has fewer samples). The same
	-- rows as perfwatch_history_query(p_series, p_from - 24 h, hi, pts, 'avg', 60), read
	-- without it where they are whole rollup_1m rows (before the series' oldest watermark):
	-- its bounds, and its leading partial minute dropped as it drops it; the newer minutes come
	-- from it. When the plan is not 1-minute buckets (retention), it reads everything.
	WITH pl AS (
		SELECT x.lo0, x.hi, x.pts,
		       (perfwatch_history_plan(p_from - interval '24 hours', x.hi, x.pts, 60)).step_s
		FROM (SELECT date_bin('1 minute', p_from - interval '24 hours', timestamptz 'epoch') AS lo0,
			     least(p_to, date_bin('1 minute', now(), timestamptz 'epoch')) AS hi,
			     (extract(epoch FROM p_to - p_from) / 60)::integer + 1441 AS pts) x),
	b AS (
		SELECT pl.hi, pl.pts, pl.step_s,
		       CASE WHEN ceil(extract(epoch FROM pl.hi - pl.lo0) / 60) > pl.pts
			    THEN pl.lo0 + interval '1 minute' ELSE pl.lo0 END AS lo,
		       (SELECT coalesce(min(coalesce(w.done_1m, '-infinity')), '-infinity')
			FROM series s
			JOIN series_metric sm ON sm.subsystem = s.subsystem AND sm.metric = s.metric
			JOIN history_source src ON src.subsystem = s.subsystem
			LEFT JOIN history_watermark w
				ON w.table_name = src.table_name AND w.host_id = s.host_id
			WHERE s.id = ANY (p_series)) AS wm
		FROM pl),
	m AS MATERIALIZED (
		SELECT r.series_id, r.bucket AS ts, r.sum / r.count AS v
		FROM b JOIN rollup_1m r ON r.series_id = ANY (p_series)
			AND r.bucket >= b.lo AND r.bucket < least(b.hi, b.wm)
		WHERE b.step_s = 60
		UNION ALL
		SELECT q.series_id, q.ts, q.value
		FROM b CROSS JOIN LATERAL perfwatch_history_query(p_series, greatest(b.lo, b.wm), b.hi,
								 b.pts, 'avg', 60) q
		WHERE b.step_s = 60 AND greatest(b.lo, b.wm) < b.hi
		UNION ALL
		SELECT q.series_id, q.ts, q.value
		FROM b CROSS JOIN LATERAL perfwatch_history_query(p_series, p_from - interval '24 hours',
								 b.hi, b.pts, 'avg', 60) q
		WHERE b.step_s <> 60),
	cur AS (
		SELECT m.series_id, m.ts, m.v FROM m WHERE m.ts >= p_from - interval '30 minutes'),
	hist AS (
		SELECT r.series_id, k.k,
		       (floor(date_part('epoch', r.bucket) / 3600))::bigint % 168 AS slot,
		       r.sum / r.count AS v
		FROM generate_series(1, 4) k(k)
		JOIN rollup_1m r ON r.series_id = ANY (p_series)
			AND r.bucket >= p_from - k.k * interval '7 days'
			AND r.bucket < p_to - k.k * interval '7 days'),
	slot_med AS (
		SELECT h.series_id, h.slot, count(DISTINCT h.k) AS weeks,
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY h.v) AS med
		FROM hist h GROUP BY 1, 2),
	slot_stats AS (
		SELECT m.series_id, m.slot, m.med,
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.v - m.med)) AS mad
		FROM slot_med m JOIN hist h USING (series_id, slot)
		WHERE m.weeks >= 2 GROUP BY 1, 2, 3),
	day AS (
		SELECT m.series_id, m.v FROM m WHERE m.ts < p_from),
	day_med AS (
		SELECT d.series_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY d.v) AS med
		FROM day d GROUP BY 1),
	day_stats AS (
		SELECT m.series_id, m.med,
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(d.v - m.med)) AS mad
		FROM day_med m JOIN day d USING (series_id) GROUP BY 1, 2),
	band AS (
		SELECT c.series_id, c.ts, c.v, coalesce(s.med, d.med) AS med,
		       (c.v - coalesce(s.med, d.med))
		       / greatest(1.4826 * coalesce(s.mad, d.mad),
				  1e-3 * abs(coalesce(s.med, d.med)), 1e-9) AS z
		FROM cur c
		LEFT JOIN slot_stats s ON s.series_id = c.series_id
			AND s.slot = (floor(date_part('epoch', c.ts) / 3600))::bigint % 168
		LEFT JOIN day_stats d ON d.series_id = c.series_id),
	-- The level-shift rule works on the values the band rule accepts, so spikes do not look
	-- like steps up and down at their edges.
	calm AS (
		SELECT b.series_id, b.ts, CASE WHEN abs(b.z) <= p_band THEN b.v END AS v FROM band b),
	diffs AS (
		SELECT c.series_id, c.v - lag(c.v) OVER w AS d
		FROM calm c WINDOW w AS (PARTITION BY c.series_id ORDER BY c.ts)),
	noise_med AS (
		SELECT d.series_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY d.d) AS md
		FROM diffs d WHERE d.d IS NOT NULL GROUP BY 1),
	noise AS (
		SELECT d.series_id,
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(d.d - m.md)) AS mad
		FROM diffs d JOIN noise_med m USING (series_id) WHERE d.d IS NOT NULL GROUP BY 1),
	-- Sums of the 30 rows before and the 30 rows from each row, from running sums (a sliding
	-- avg() over float8 is recomputed frame by frame: 30 times the work).
	running AS (
		SELECT c.series_id, c.ts, c.v,
		       coalesce(sum(c.v) OVER w, 0) AS cs, count(c.v) OVER w AS cn,
		       coalesce(sum(c.v) OVER wall, 0) AS cs_all, count(c.v) OVER wall AS cn_all
		FROM calm c
		WINDOW w AS (PARTITION BY c.series_id ORDER BY c.ts ROWS UNBOUNDED PRECEDING),
		       wall AS (PARTITION BY c.series_id)),
	halves AS (
		SELECT r.series_id, r.ts, r.v,
		       coalesce(lag(r.cs) OVER w, 0) - coalesce(lag(r.cs, 31) OVER w, 0) AS s_before,
		       coalesce(lag(r.cn) OVER w, 0) - coalesce(lag(r.cn, 31) OVER w, 0) AS n_before,
		       coalesce(lead(r.cs, 29) OVER w, r.cs_all) - coalesce(lag(r.cs) OVER w, 0)
			       AS s_after,
		       coalesce(lead(r.cn, 29) OVER w, r.cn_all) - coalesce(lag(r.cn) OVER w, 0)
			       AS n_after
		FROM running r WINDOW w AS (PARTITION BY r.series_id ORDER BY r.ts)),
	-- The standard error's factor sqrt(1/n_before + 1/n_after) for the counts a row can have
	-- (10 to 30 each), computed once as 004 computed it per row (numeric, then float8), looked
	-- up by position (a join would lose the rows' order and cost a sort).
	se AS (
		SELECT array_agg(sqrt(1.0 / a::bigint + 1.0 / b::bigint)::float8 ORDER BY a, b) AS f
		FROM generate_series(10, 30) a, generate_series(10, 30) b),
	deltas AS (
		SELECT h.series_id, h.ts, h.v, h.n_before, h.n_after,
		       h.s_before / h.n_before AS m_before,
		       h.s_after / h.n_after - h.s_before / h.n_before AS delta
		FROM halves h WHERE h.n_before >= 10 AND h.n_after >= 10),
	shift AS (
		SELECT d.series_id, d.ts, d.v, d.m_before AS med,
		       sign(d.delta)
		       * greatest(abs(d.delta) - greatest(abs(coalesce(lag(d.delta, 30) OVER w, 0)),
							   abs(coalesce(lead(d.delta, 30) OVER w, 0))),
				  0)
		       / greatest(1.4826 * n.mad / sqrt(2)
				  * CASE WHEN d.n_before BETWEEN 10 AND 30 AND d.n_after BETWEEN 10 AND 30
					 THEN (SELECT se.f FROM se)[(d.n_before - 10) * 21 + d.n_after - 9]
					 ELSE sqrt(1.0 / d.n_before + 1.0 / d.n_after)::float8 END,
				  1e-3 * abs(d.m_before), 1e-9) AS z
		FROM deltas d JOIN noise n USING (series_id)
		WINDOW w AS (PARTITION BY d.series_id ORDER BY d.ts)),
	flagged AS (
		SELECT b.series_id, b.ts, 'band' AS rule, b.v, b.med, b.z FROM band b
		WHERE b.ts >= p_from AND abs(b.z) > p_band
		UNION ALL
		SELECT s.series_id, s.ts, 'level_shift', s.v, s.med, s.z FROM shift s
		WHERE s.ts >= p_from AND s.v IS NOT NULL AND abs(s.z) > p_shift),
	runs AS (
		SELECT f.*, f.ts - interval '1 minute'
			* row_number() OVER (PARTITION BY f.series_id, f.rule ORDER BY f.ts) AS grp
		FROM flagged f)
	SELECT r.series_id, min(r.ts), max(r.ts) + interval '1 minute', r.rule,
	       (array_agg(r.v ORDER BY abs(r.z) DESC))[1],
	       (array_agg(r.med ORDER BY abs(r.z) DESC))[1],
	       (array_agg(r.z ORDER BY abs(r.z) DESC))[1]
	FROM runs r GROUP BY r.series_id, r.rule, r.grp
	ORDER BY 1, 2, 4;
$$;

-- GET /api/v1/query?series=: one 'plan' row (label = tier, value = bucket seconds), the 'series'
-- rows (by id), then the 'point' rows (ts_ms, value) by series and time; or 'missing' rows only.
CREATE OR REPLACE FUNCTION perfwatch_api_query(p_keys text[], p_host text, p_from timestamptz,
				    p_to timestamptz, p_points integer, p_agg text)
RETURNS TABLE (kind text, series_id integer, label text, host text, unit text, ts_ms bigint,
	       value double precision)
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
DECLARE
	r record;
	pl record;
BEGIN
	r := perfwatch_api_series(p_keys, p_host);
	IF cardinality(r.missing) > 0 THEN
		RETURN QUERY SELECT 'missing', NULL::integer, m, NULL::text, NULL::text, NULL::bigint,
				    NULL::float8 FROM unnest(r.missing) m;
		RETURN;
	END IF;
	pl := perfwatch_history_plan(p_from, p_to, p_points);
	RETURN QUERY SELECT 'plan', NULL::integer, pl.tier, NULL::text, NULL::text, NULL::bigint,
			    pl.step_s::float8;
	RETURN QUERY
	SELECT 'series', s.id, s.name, h.name, s.unit, NULL::bigint, NULL::float8
	FROM series s JOIN public.host h ON h.id = s.host_id WHERE s.id = ANY (r.ids) ORDER BY s.id;
	RETURN QUERY
	SELECT 'point', q.series_id, NULL, NULL, NULL, (extract(epoch FROM q.ts) * 1000)::bigint, q.value
	FROM perfwatch_history_query(r.ids, p_from, p_to, p_points, p_agg) q;
END
$$;
