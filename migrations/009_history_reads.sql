-- 009: faster history reads (issue 5's budgets), same answers.
--
-- 1. Raw tables: BRIN on ts with 16 pages per range instead of the default 128. A "last 5
--    minutes" read rechecked a whole 128-page range (1 MB, about an hour of cpu_samples) per
--    table; with 16 pages it reads at most two 128 kB ranges. Existing partitions are rebuilt
--    here; partitions created later (perfwatch_create_partitions) copy the parent's index with
--    its setting. A later migration adding a *_samples table creates its BRIN WITH
--    (pages_per_range = 16) or calls perfwatch_history_raw_brin(); tests/sql/history_brin.sql
--    checks every raw table.
-- 2. perfwatch_history_query() reads each raw table once per window for all the series it holds
--    (one scan with an aggregate per series), not once per series.

-- Rebuilds the BRIN on ts of every partitioned public.*_samples table whose pages_per_range is
-- not `pages` (the partitioned index and, through it, every partition's). Returns the number of
-- tables rebuilt. Takes each table's lock for the rebuild: a migration's job, not maintenance's.
CREATE FUNCTION perfwatch_history_raw_brin(pages integer DEFAULT 16)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	i record;
	n integer := 0;
BEGIN
	IF pages IS NULL OR pages < 1 OR pages > 131072 THEN
		RAISE EXCEPTION 'pages must be between 1 and 131072' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR i IN
		SELECT t.relname AS tbl, ic.relname AS idx
		FROM pg_class t
		JOIN pg_index x ON x.indrelid = t.oid
		JOIN pg_class ic ON ic.oid = x.indexrelid
		JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'brin'
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] AND a.attname = 'ts'
		WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'p'
		  AND t.relname LIKE '%\_samples' AND x.indnatts = 1
		  AND NOT coalesce(ic.reloptions, '{}') @> ARRAY['pages_per_range=' || pages]
		ORDER BY t.relname
	LOOP
		-- A partitioned index's options cannot be altered: drop it (with the partitions'
		-- indexes) and create it again under the same name.
		EXECUTE format('DROP INDEX %I', i.idx);
		EXECUTE format('CREATE INDEX %I ON %I USING brin (ts) WITH (pages_per_range = %s)',
			       i.idx, i.tbl, pages);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;

SELECT perfwatch_history_raw_brin(16);

-- One rollup part of perfwatch_history_query(): (series_id, t, n, v) per series and bucket of
-- width `step` aligned on `origin`, from `tbl` (buckets of bucket_s seconds) in [lo, hi). Its rows
-- are read as they are when they already are those buckets, else grouped. v_roll / v_group: the
-- value expression per row / per group (sum for avg, min or max).
CREATE FUNCTION perfwatch_history_rollup_part(tbl text, bucket_s integer, ids integer[],
					      lo timestamptz, hi timestamptz, step interval,
					      origin timestamptz, v_roll text, v_group text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT CASE
		WHEN extract(epoch FROM step) = bucket_s AND extract(epoch FROM origin) % bucket_s = 0 THEN
			format('SELECT series_id, bucket, count::bigint, %s FROM %I '
			       'WHERE series_id = ANY (%L::integer[]) AND bucket >= %L AND bucket < %L',
			       v_roll, tbl, ids, lo, hi)
		ELSE
			format('SELECT series_id, date_bin(%L, bucket, %L), sum(count), %s FROM %I '
			       'WHERE series_id = ANY (%L::integer[]) AND bucket >= %L AND bucket < %L '
			       'GROUP BY 1, 2', step, origin, v_group, tbl, ids, lo, hi)
		END;
$$;

-- As in 004, with three changes that keep every answer the same:
--   * the raw rows of one table are read by one statement per window: every requested instance's
--     rows, an aggregate per series (FILTER on its instance), then one row per series and bucket;
--   * each part computes only what the requested agg needs (count and sum, or count and min, or
--     count and max);
--   * rows are bucketed inside each part (a rollup part whose rows are already the buckets is read
--     as is), and the outer statement merges parts with a GROUP BY only when a bucket can hold
--     rows of two parts (a tier boundary off the bucket grid). Reading 48 h of 1-minute rows,
--     regrouping 23,000 rows that were already one per bucket cost more than reading them.
CREATE OR REPLACE FUNCTION perfwatch_history_query(p_series integer[], p_from timestamptz,
						   p_to timestamptz, p_points integer DEFAULT 1000,
						   p_agg text DEFAULT 'avg', p_min_step integer DEFAULT 1,
						   p_origin timestamptz DEFAULT 'epoch')
RETURNS TABLE (series_id integer, ts timestamptz, value double precision)
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
-- Short queries on a small machine: no parallel workers to start, no JIT to compile.
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
DECLARE
	pl record;
	step interval;
	lo timestamptz;
	raw_from timestamptz;
	g record;
	aggs text;
	vals text;
	cond text;
	merge boolean := false;
	parts text[] := '{}';
	-- The part's value: sum for avg, else min or max (as float8, from the real they are stored as).
	v_roll constant text := CASE p_agg WHEN 'avg' THEN 'sum' ELSE p_agg || '::float8' END;
	v_group constant text := CASE p_agg WHEN 'avg' THEN 'sum(sum)' ELSE p_agg || '(' || p_agg || ')::float8' END;
	v_raw constant text := CASE p_agg WHEN 'avg' THEN '(sum(%1$I::float8) FILTER (WHERE %2$s))'
				      ELSE '(' || p_agg || '(%1$I) FILTER (WHERE %2$s))::real::float8' END;
BEGIN
	IF p_agg IS NULL OR p_agg NOT IN ('avg', 'min', 'max') THEN
		RAISE EXCEPTION 'agg must be avg, min or max' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	pl := perfwatch_history_plan(p_from, p_to, p_points, p_min_step);
	step := make_interval(secs => pl.step_s);
	lo := date_bin(step, p_from, p_origin);
	-- An unaligned p_from can make one bucket too many: drop the leading partial one.
	IF ceil(extract(epoch FROM p_to - lo) / pl.step_s) > p_points THEN
		lo := lo + step;
	END IF;
	FOR g IN
		SELECT src.table_name, s.host_id,
		       coalesce(w.done_1m, '-infinity') AS done_1m,
		       coalesce(w.done_1h, '-infinity') AS done_1h,
		       array_agg(s.id ORDER BY s.id) AS ids,
		       array_agg(m.column_name ORDER BY s.id) AS cols,
		       array_agg(perfwatch_history_instance_filter(src, s.instance) ORDER BY s.id)
			       AS filters
		FROM series s
		JOIN series_metric m ON m.subsystem = s.subsystem AND m.metric = s.metric
		JOIN history_source src ON src.subsystem = s.subsystem
		LEFT JOIN history_watermark w
			ON w.table_name = src.table_name AND w.host_id = s.host_id
		WHERE s.id = ANY (p_series)
		GROUP BY 1, 2, 3, 4
	LOOP
		raw_from := lo;
		IF pl.tier = '1h' AND lo < least(p_to, g.done_1h) THEN
			parts := parts || perfwatch_history_rollup_part('rollup_1h', 3600, g.ids, lo,
				least(p_to, g.done_1h), step, p_origin, v_roll, v_group);
			raw_from := greatest(lo, g.done_1h);
		END IF;
		IF pl.tier IN ('1h', '1m') AND raw_from < least(p_to, g.done_1m) THEN
			merge := merge OR date_bin(step, raw_from, p_origin) <> raw_from;
			parts := parts || perfwatch_history_rollup_part('rollup_1m', 60, g.ids, raw_from,
				least(p_to, g.done_1m), step, p_origin, v_roll, v_group);
			raw_from := greatest(raw_from, g.done_1m);
		END IF;
		CONTINUE WHEN raw_from >= p_to;
		merge := merge OR date_bin(step, raw_from, p_origin) <> raw_from;
		SELECT string_agg(format('count(%1$I) FILTER (WHERE %2$s) AS n%3$s, '
					 || v_raw || ' AS v%3$s', u.col, u.f, u.i),
				  ', ' ORDER BY u.i),
		       string_agg(format('(%s, r.t, r.n%2$s, r.v%2$s)', u.id, u.i), ', ' ORDER BY u.i),
		       CASE WHEN bool_or(u.f = 'true') THEN 'true'
			    ELSE string_agg(DISTINCT '(' || u.f || ')', ' OR ') END
		INTO aggs, vals, cond
		FROM unnest(g.ids, g.cols, g.filters) WITH ORDINALITY u(id, col, f, i);
		parts := parts || format(
			'SELECT x.* FROM (SELECT date_bin(%L, ts, %L) AS t, %s FROM %I '
			'WHERE host_id = %s AND ts >= %L AND ts < %L AND (%s) GROUP BY 1) r '
			'CROSS JOIN LATERAL (VALUES %s) x(series_id, t, n, v) WHERE x.n > 0',
			step, p_origin, aggs, g.table_name, g.host_id, raw_from, p_to, cond, vals);
	END LOOP;
	IF cardinality(parts) = 0 THEN
		RETURN;
	END IF;
	IF merge THEN
		RETURN QUERY EXECUTE format(
			'SELECT p.series_id, p.t, %s FROM (%s) p(series_id, t, n, v) '
			'GROUP BY 1, 2 ORDER BY 1, 2',
			CASE p_agg WHEN 'avg' THEN 'sum(p.v) / sum(p.n)' ELSE p_agg || '(p.v)' END,
			array_to_string(parts, ' UNION ALL '));
	ELSE
		RETURN QUERY EXECUTE format(
			'SELECT p.series_id, p.t, %s FROM (%s) p(series_id, t, n, v) ORDER BY 1, 2',
			CASE p_agg WHEN 'avg' THEN 'p.v / p.n' ELSE 'p.v' END,
			array_to_string(parts, ' UNION ALL '));
	END IF;
END
$$;

GRANT EXECUTE ON FUNCTION perfwatch_history_rollup_part(text, integer, integer[], timestamptz,
							timestamptz, interval, timestamptz, text, text)
	TO perfwatch_api, perfwatch_reader;

-- As in 004, with the per-series objects and their points built as json, not jsonb: for 8 x 720
-- points jsonb_agg() built a binary document only to print it again. Same keys and values (json
-- keeps the keys in the order written; numbers print as float8 does, shortest exact form).
CREATE OR REPLACE FUNCTION perfwatch_api_compare(p_keys text[], p_host text, p_from timestamptz,
						 p_to timestamptz, p_offset interval,
						 p_points integer, p_agg text,
						 p_top integer DEFAULT 10)
RETURNS TABLE (status integer, body text)
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
DECLARE
	r record;
BEGIN
	r := perfwatch_api_series(p_keys, p_host);
	IF cardinality(r.missing) > 0 THEN
		RETURN QUERY SELECT 404, perfwatch_api_missing(r.missing);
		RETURN;
	END IF;
	RETURN QUERY
	WITH c AS MATERIALIZED (
		SELECT * FROM perfwatch_history_compare(r.ids, p_from, p_to, p_offset, p_points,
							p_agg)),
	per AS (
		SELECT c.series_id, avg(c.value) AS mean, avg(c.value_shifted) AS mean_shifted,
		       percentile_cont(0.95) WITHIN GROUP (ORDER BY c.value) AS p95,
		       percentile_cont(0.95) WITHIN GROUP (ORDER BY c.value_shifted) AS p95_shifted,
		       json_agg(json_build_array((extract(epoch FROM c.ts) * 1000)::bigint,
						 c.value, c.value_shifted) ORDER BY c.ts) AS points
		FROM c GROUP BY 1),
	x AS MATERIALIZED (
		SELECT * FROM perfwatch_history_changes(p_from, p_to, p_offset, p_top, p_host)
		WHERE p_top > 0),
	ch AS (
		SELECT sj.obj || jsonb_build_object('mean', x.mean, 'mean_shifted', x.mean_shifted,
						    'change_pct', x.change_pct, 'score', x.score) AS o,
		       x.score
		FROM x JOIN perfwatch_api_series_json(ARRAY(SELECT series_id FROM x)) sj
			ON sj.id = x.series_id)
	SELECT 200, json_build_object(
		'from', (extract(epoch FROM p_from) * 1000)::bigint,
		'to', (extract(epoch FROM p_to) * 1000)::bigint,
		'offset_s', extract(epoch FROM p_offset)::bigint,
		'step_s', (SELECT max(c.step_s) FROM c),
		'series', coalesce((SELECT json_agg(json_build_object(
				'id', s.id, 'series', s.name, 'metric', s.subsystem || '.' || s.metric,
				'instance', s.instance, 'host', h.name, 'unit', s.unit,
				'mean', per.mean, 'mean_shifted', per.mean_shifted, 'p95', per.p95,
				'p95_shifted', per.p95_shifted, 'change_pct',
				100 * (per.mean - per.mean_shifted) / nullif(per.mean_shifted, 0),
				'points', coalesce(per.points, '[]'::json)) ORDER BY s.id)
			FROM series s JOIN host h ON h.id = s.host_id
			LEFT JOIN per ON per.series_id = s.id
			WHERE s.id = ANY (r.ids)), '[]'::json),
		'changed_most', coalesce((SELECT jsonb_agg(ch.o ORDER BY ch.score DESC) FROM ch),
					 '[]'::jsonb))::text;
END
$$;
