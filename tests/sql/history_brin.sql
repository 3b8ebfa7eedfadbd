-- Raw tables' BRIN on ts (009): 16 pages per range on every raw table and every partition, existing
-- or created later (by perfwatch_create_partitions(), by ingest of an old frame, by maintenance's
-- partitions ahead); perfwatch_history_raw_brin() is idempotent and fixes a table created with the
-- default; reads of a few minutes use it.
CREATE FUNCTION pg_temp.brin_options()
RETURNS TABLE (tbl text, idx text, parent text, options text[])
LANGUAGE sql AS $$
	SELECT t.relname::text, ic.relname::text, coalesce(p.relname, t.relname)::text, ic.reloptions
	FROM pg_class t
	JOIN pg_index x ON x.indrelid = t.oid
	JOIN pg_class ic ON ic.oid = x.indexrelid
	JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'brin'
	LEFT JOIN pg_inherits i ON i.inhrelid = t.oid
	LEFT JOIN pg_class p ON p.oid = i.inhparent
	WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('p', 'r')
	  AND coalesce(p.relname, t.relname) LIKE '%\_samples';
$$;

SELECT t.check((SELECT count(DISTINCT parent) >= 16 FROM pg_temp.brin_options()),
	       'every raw table has a BRIN (16 or more tables)');
SELECT t.eq((SELECT array_agg(DISTINCT parent ORDER BY parent) FROM pg_temp.brin_options()
	     WHERE options IS DISTINCT FROM '{pages_per_range=16}'), NULL::text[],
	    'every raw BRIN, partitioned and partition, has pages_per_range=16');
SELECT t.eq(perfwatch_history_raw_brin(16), 0, 'raw_brin: nothing to rebuild the second time');

-- Partitions created later copy the partitioned index with its setting.
DELETE FROM history_state;
SELECT perfwatch_maintain();
SELECT perfwatch_create_partitions('2026-02-01', 1);
SELECT perfwatch_host_id('h1');
SELECT perfwatch_ingest(json_build_object('v', 1, 'host', 'h1', 'seq', 1, 'dt', 1.0,
	'ts', extract(epoch FROM timestamptz '2025-12-31 12:00:00+00') * 1000,
	'cpu', json_build_object('total', json_build_object('usr', 1)))::text);
SELECT t.eq((SELECT array_agg(DISTINCT options::text) FROM pg_temp.brin_options()
	     WHERE tbl IN ('cpu_samples_20260201', 'cpu_samples_20260202', 'memory_samples_20260201',
			   'cpu_samples_20251231', 'uptime_samples_20251231',
			   'cpu_samples_' || to_char((now() AT TIME ZONE 'UTC')::date + 2, 'YYYYMMDD'))),
	    '{"{pages_per_range=16}"}', 'new partitions (ahead, by day, by ingest of an old frame): 16 pages');
SELECT t.eq((SELECT count(*) FROM pg_temp.brin_options()
	     WHERE tbl IN ('cpu_samples_20260201', 'cpu_samples_20260202', 'memory_samples_20260201',
			   'cpu_samples_20251231', 'uptime_samples_20251231',
			   'cpu_samples_' || to_char((now() AT TIME ZONE 'UTC')::date + 2, 'YYYYMMDD'))),
	    6::bigint, 'those six partitions exist and have their BRIN');

-- A table a later migration adds with the default BRIN: rebuilt, with its partitions, same name.
CREATE TABLE later_samples (ts timestamptz NOT NULL, host_id smallint NOT NULL, v real)
	PARTITION BY RANGE (ts);
CREATE INDEX later_samples_ts_brin ON later_samples USING brin (ts);
SELECT perfwatch_create_partitions('2026-02-01', 0);
SELECT t.eq(perfwatch_history_raw_brin(16), 1, 'raw_brin: one table rebuilt');
SELECT t.eq((SELECT array_agg(idx || ' ' || options::text ORDER BY idx) FROM pg_temp.brin_options()
	     WHERE parent = 'later_samples'),
	    '{"later_samples_20260201_ts_idx {pages_per_range=16}","later_samples_ts_brin {pages_per_range=16}"}',
	    'rebuilt under its name, partition included');
DO $$
BEGIN
	PERFORM perfwatch_history_raw_brin(0);
	RAISE EXCEPTION 'not ok - pages 0 accepted';
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'ok - raw_brin: pages 0 rejected';
END
$$;

-- The last 5 minutes of a day of cpu rows are found through the BRIN and read a few ranges, not
-- the whole day.
INSERT INTO cpu_samples (ts, host_id, cpu, usr)
SELECT t, 1, c, 1 FROM generate_series(timestamptz '2026-02-01 00:00+00', '2026-02-01 23:59:59+00', '1 second') t,
	LATERAL generate_series(-1, CASE WHEN t IS NULL THEN 0 ELSE 1 END) c;
VACUUM ANALYZE cpu_samples_20260201;
CREATE TEMP TABLE plan (line text);
DO $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM cpu_samples '
			 'WHERE ts >= ''2026-02-01 23:55+00'' AND ts < ''2026-02-02 00:00+00'''
	LOOP
		INSERT INTO plan VALUES (l);
	END LOOP;
END
$$;
SELECT t.check((SELECT bool_or(line ~ 'Bitmap Index Scan on cpu_samples_20260201_ts_idx') FROM plan),
	       'last 5 minutes: bitmap scan of the partition''s BRIN');
SELECT t.check((SELECT max(substring(line FROM 'lossy=([0-9]+)')::integer) <= 48 FROM plan),
	       format('last 5 minutes of %s pages: at most 48 pages read (%s)',
		      pg_relation_size('cpu_samples_20260201') / 8192,
		      (SELECT string_agg(trim(line), '; ') FROM plan WHERE line ~ 'Heap Blocks')));
