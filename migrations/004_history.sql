-- 004: history. A `series` catalogue, rollup tiers (1 minute, 1 hour: count/sum/min/max, avg =
-- sum/count), the maintenance that keeps them (rollups that catch up after downtime, retention by
-- dropping whole partitions, partitions created ahead), the read functions behind the history API
-- (query with tier selection and partial-bucket merge, compare, anomalies, trends) and the views
-- people and Grafana use. Timestamps are bucketed in UTC whatever the session's TimeZone.
--
-- Maintenance has one entry point, perfwatch_maintain(), which perfwatch-api runs every minute
-- (docs/design.md, "Database"); anyone may also run it by hand as the database owner.

-- Tiers and their retention. Edit the rows to change retention; maintenance reads them.
CREATE TABLE history_tier (
	tier text PRIMARY KEY CHECK (tier IN ('raw', '1m', '1h')),
	bucket interval NOT NULL,
	retention interval NOT NULL CHECK (retention >= interval '1 day')
);
COMMENT ON TABLE history_tier IS 'Storage tiers: raw *_samples rows, rollup_1m, rollup_1h; retention per tier (whole partitions are dropped once older).';
INSERT INTO history_tier (tier, bucket, retention) VALUES
	('raw', interval '1 second', interval '7 days'),
	('1m', interval '1 minute', interval '90 days'),
	('1h', interval '1 hour', interval '2 years');

-- Raw tables the rollups read. Filled for the tables that exist now and, by
-- perfwatch_history_discover() (run by every maintenance), for *_samples tables added later.
CREATE TABLE history_source (
	table_name text PRIMARY KEY,
	subsystem text NOT NULL UNIQUE CHECK (subsystem ~ '^[a-z][a-z0-9_]*$'),
	instance_column text,
	instance_expr text NOT NULL
);
COMMENT ON TABLE history_source IS 'Raw *_samples tables rolled up: subsystem name used in series names, and the SQL expression (over the table''s columns) giving a row''s instance as text.';
INSERT INTO history_source (table_name, subsystem, instance_column, instance_expr) VALUES
	('cpu_samples', 'cpu', 'cpu', 'CASE WHEN cpu < 0 THEN ''total'' ELSE cpu::text END'),
	('memory_samples', 'mem', NULL, ''''''),
	('load_samples', 'load', NULL, '''''');

-- One row per (subsystem, metric): where it is stored and what it means.
CREATE TABLE series_metric (
	subsystem text NOT NULL REFERENCES history_source (subsystem),
	metric text NOT NULL,
	column_name text NOT NULL,
	unit text NOT NULL,
	description text NOT NULL,
	PRIMARY KEY (subsystem, metric)
);
COMMENT ON TABLE series_metric IS 'The metrics of each subsystem: raw column, unit and meaning (from the column comment).';

CREATE TABLE series (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	host_id smallint NOT NULL REFERENCES host (id),
	subsystem text NOT NULL,
	metric text NOT NULL,
	instance text NOT NULL,
	unit text NOT NULL,
	description text NOT NULL,
	name text GENERATED ALWAYS AS (subsystem || '.' || metric
				       || CASE WHEN instance = '' THEN '' ELSE ':' || instance END) STORED,
	UNIQUE (host_id, subsystem, metric, instance),
	FOREIGN KEY (subsystem, metric) REFERENCES series_metric (subsystem, metric)
);
COMMENT ON TABLE series IS 'Series catalogue: one row per host, metric and instance ever seen. name is "subsystem.metric" or "subsystem.metric:instance" (cpu.usr:total, cpu.sys:3, mem.available_kb), metric being the raw column.';
COMMENT ON COLUMN series.instance IS 'CPU number, "total", interface, device, mount point...; empty for host-wide metrics.';
COMMENT ON COLUMN series.unit IS '"%", "KiB", "B/s", "tasks"...; empty when dimensionless.';

-- Rollups: one row per series and bucket. avg = sum / count. Column order keeps rows at 32 bytes.
CREATE TABLE rollup_1m (
	bucket timestamptz NOT NULL,
	sum double precision NOT NULL,
	series_id integer NOT NULL,
	count integer NOT NULL CHECK (count > 0),
	min real NOT NULL,
	max real NOT NULL,
	PRIMARY KEY (series_id, bucket) INCLUDE (count, sum, min, max)
) PARTITION BY RANGE (bucket);
COMMENT ON TABLE rollup_1m IS '1-minute rollup of every series: count, sum, min, max of the raw values in [bucket, bucket + 1 min); avg = sum / count. Partitioned by UTC day.';
CREATE TABLE rollup_1h (LIKE rollup_1m INCLUDING CONSTRAINTS,
	PRIMARY KEY (series_id, bucket) INCLUDE (count, sum, min, max)
) PARTITION BY RANGE (bucket);
-- Rows arrive in bucket order: a BRIN serves whole-catalogue time ranges (changes(), metrics_*).
CREATE INDEX rollup_1m_bucket_brin ON rollup_1m USING brin (bucket);
CREATE INDEX rollup_1h_bucket_brin ON rollup_1h USING brin (bucket);
COMMENT ON TABLE rollup_1h IS '1-hour rollup (from rollup_1m): count, sum, min, max in [bucket, bucket + 1 h). Partitioned by UTC month.';

-- Per raw table and host: every 1m (1h) bucket starting before done_1m (done_1h) is final.
-- The bucket at the watermark may be partial: the next run recomputes it.
CREATE TABLE history_watermark (
	table_name text NOT NULL REFERENCES history_source (table_name),
	host_id smallint NOT NULL REFERENCES host (id),
	done_1m timestamptz NOT NULL,
	done_1h timestamptz NOT NULL,
	PRIMARY KEY (table_name, host_id)
);
COMMENT ON TABLE history_watermark IS 'Rollup progress per raw table and host: buckets before done_1m / done_1h are complete; newer data is read from the finer tier.';

-- When maintenance last did its housekeeping (discovery, partitions ahead, retention).
CREATE TABLE history_state (
	name text PRIMARY KEY,
	at timestamptz NOT NULL
);
COMMENT ON TABLE history_state IS 'perfwatch_maintain() bookkeeping: housekeeping runs every 10 minutes, rollups every call.';

-- Unit and description from a column comment written as "Unit: meaning." (001's convention).
CREATE FUNCTION perfwatch_history_unit(col text, comment text)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $$
	SELECT CASE
		WHEN col ~ '_pct$' OR comment ~* '^percent\M' THEN '%'
		WHEN col ~ '_kb$' OR comment ~ '^KiB\M' THEN 'KiB'
		WHEN col ~ '_bytes_per_s$|_bps$' THEN 'B/s'
		WHEN col ~ '_kb_per_s$' THEN 'KiB/s'
		WHEN col ~ '_pages_per_s$' THEN 'pages/s'
		WHEN col ~ '_mbps$' THEN 'Mbit/s'
		WHEN col ~ '_per_s$' THEN '/s'
		WHEN col ~ '_bytes$' THEN 'B'
		WHEN col ~ '_ms$' THEN 'ms'
		WHEN col ~ '_us$' THEN 'us'
		WHEN col ~ '_s$' THEN 's'
		WHEN col ~ '_mhz$' THEN 'MHz'
		WHEN col ~ '_gbs$' THEN 'GB/s'
		WHEN col = 'ghz' OR comment ~ '^GHz\M' THEN 'GHz'
		WHEN comment ~* '^per second\M' THEN '/s'
		WHEN col ~ '_c$|_celsius$' THEN 'Cel'
		ELSE '' END;
$$;

-- Registers *_samples tables and numeric columns not yet known. A table's instance column is its
-- first text column or one named like an instance (cpu, dev, iface, ...). Returns the number of
-- metrics added.
CREATE FUNCTION perfwatch_history_discover()
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	t record;
	inst text;
	added integer;
BEGIN
	FOR t IN
		SELECT c.oid, c.relname FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'p'
		  AND c.relname LIKE '%\_samples' AND c.relname <> 'tick_samples'
		  AND NOT EXISTS (SELECT 1 FROM history_source s WHERE s.table_name = c.relname)
		  AND substr(c.relname, 1, length(c.relname) - 8) ~ '^[a-z][a-z0-9_]*$'
	LOOP
		SELECT a.attname INTO inst FROM pg_attribute a
		WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
		  AND a.attname NOT IN ('ts', 'host_id')
		  AND (a.atttypid IN ('text'::regtype, 'varchar'::regtype)
		       OR a.attname IN ('cpu', 'dev', 'device', 'iface', 'mount', 'fs', 'resource',
					'zone', 'node', 'sensor', 'instance'))
		ORDER BY a.attnum LIMIT 1;
		INSERT INTO history_source (table_name, subsystem, instance_column, instance_expr)
		VALUES (t.relname, substr(t.relname, 1, length(t.relname) - 8), inst,
			CASE WHEN inst IS NULL THEN ''''''
			     -- 001's convention: cpu = -1 is the all-CPU row.
			     WHEN inst = 'cpu' THEN 'CASE WHEN cpu < 0 THEN ''total'' ELSE cpu::text END'
			     ELSE format('%I::text', inst) END);
	END LOOP;
	INSERT INTO series_metric (subsystem, metric, column_name, unit, description)
	SELECT s.subsystem, a.attname, a.attname,
	       perfwatch_history_unit(a.attname, d.descr),
	       coalesce(regexp_replace(d.descr, '^(Percent|KiB): |\.$', '', 'g'), a.attname)
	FROM history_source s
	JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(s.table_name))
	LEFT JOIN LATERAL (SELECT col_description(a.attrelid, a.attnum) AS descr) d ON true
	WHERE a.attnum > 0 AND NOT a.attisdropped
	  AND a.attname NOT IN ('ts', 'host_id') AND a.attname IS DISTINCT FROM s.instance_column
	  AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'float4'::regtype,
			     'float8'::regtype, 'numeric'::regtype)
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS added = ROW_COUNT;
	RETURN added;
END
$$;

-- Creates the partition of a rollup table holding `at` (a UTC day for rollup_1m, a UTC month for
-- rollup_1h) when missing; returns true when it created one.
CREATE FUNCTION perfwatch_history_partition(parent text, at timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	unit text := CASE parent WHEN 'rollup_1m' THEN 'day' WHEN 'rollup_1h' THEN 'month' END;
	lo timestamp;
	part text;
BEGIN
	IF unit IS NULL THEN
		RAISE EXCEPTION 'not a rollup table: %', parent USING ERRCODE = 'invalid_parameter_value';
	END IF;
	lo := date_trunc(unit, at AT TIME ZONE 'UTC');
	part := parent || '_' || to_char(lo, CASE unit WHEN 'day' THEN 'YYYYMMDD' ELSE 'YYYYMM' END);
	IF to_regclass(quote_ident(part)) IS NOT NULL THEN
		RETURN false;
	END IF;
	EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent,
		       lo::text || '+00', (lo + ('1 ' || unit)::interval)::text || '+00');
	EXECUTE format('GRANT SELECT ON %I TO perfwatch_api, perfwatch_reader', part);
	RETURN true;
END
$$;

-- Creates the rollup partitions covering [lo, hi). Returns the number created.
CREATE FUNCTION perfwatch_history_partitions(parent text, lo timestamptz, hi timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	step interval := CASE parent WHEN 'rollup_1m' THEN interval '1 day' ELSE interval '1 month' END;
	t timestamptz := lo;
	created integer := 0;
BEGIN
	WHILE t < hi LOOP
		IF perfwatch_history_partition(parent, t) THEN
			created := created + 1;
		END IF;
		t := t + step;
	END LOOP;
	IF perfwatch_history_partition(parent, hi - interval '1 microsecond') THEN
		created := created + 1;
	END IF;
	RETURN created;
END
$$;

-- Rolls raw rows of one table and host in [lo, hi) up into rollup_1m (upsert: buckets are
-- recomputed whole), registering new series on the way. Returns the start of the newest bucket
-- written, or NULL when there was no row.
CREATE FUNCTION perfwatch_history_rollup_raw(src history_source, hid smallint, lo timestamptz,
					     hi timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	aggs text;
	vals text;
	sql text;
	stmt text;
	newest timestamptz;
BEGIN
	SELECT string_agg(format('count(%1$I) AS n%2$s, sum(%1$I::float8) AS s%2$s, '
				 'min(%1$I)::real AS lo%2$s, max(%1$I)::real AS hi%2$s',
				 m.column_name, i), ', ' ORDER BY i),
	       string_agg(format('(%L, g.n%2$s, g.s%2$s, g.lo%2$s, g.hi%2$s)', m.metric, i), ', '
			  ORDER BY i)
	INTO aggs, vals
	FROM (SELECT mm.*, row_number() OVER (ORDER BY mm.metric) AS i
	      FROM series_metric mm WHERE mm.subsystem = src.subsystem) m;
	IF aggs IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM perfwatch_history_partitions('rollup_1m', lo, hi);
	sql := format($q$
		WITH g AS MATERIALIZED (
			SELECT date_bin('1 minute', ts, timestamptz 'epoch') AS bucket,
			       %1$s AS instance, %2$s
			FROM %3$I WHERE host_id = $1 AND ts >= $2 AND ts < $3
			GROUP BY 1, 2),
		v AS (
			SELECT g.bucket, g.instance, x.*
			FROM g CROSS JOIN LATERAL (VALUES %4$s) x(metric, n, s, lo, hi)
			WHERE x.n > 0),
		fresh AS (
			INSERT INTO series (host_id, subsystem, metric, instance, unit, description)
			SELECT DISTINCT $1, m.subsystem, m.metric, v.instance, m.unit, m.description
			FROM v JOIN series_metric m ON m.subsystem = %5$L AND m.metric = v.metric
			WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.host_id = $1
					  AND s.subsystem = %5$L AND s.metric = v.metric
					  AND s.instance = v.instance)
			ON CONFLICT DO NOTHING
			RETURNING id, metric, instance),
		ser AS (
			SELECT id, metric, instance FROM series
			WHERE host_id = $1 AND subsystem = %5$L
			UNION ALL SELECT id, metric, instance FROM fresh),
		up AS (
			INSERT INTO rollup_1m AS r (series_id, bucket, count, sum, min, max)
			SELECT ser.id, v.bucket, v.n, v.s, v.lo, v.hi
			FROM v JOIN ser USING (metric, instance)
			ON CONFLICT (series_id, bucket) DO UPDATE
			SET count = excluded.count, sum = excluded.sum, min = excluded.min,
			    max = excluded.max
			RETURNING r.bucket)
		SELECT max(bucket) FROM up$q$,
		src.instance_expr, aggs, src.table_name, vals, src.subsystem);
	-- Prepared once per session (perfwatch-api keeps its maintenance connection): planning
	-- this statement costs more than running it on a minute of rows.
	stmt := 'perfwatch_rollup_' || left(md5(sql), 20);
	IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements p WHERE p.name = stmt) THEN
		EXECUTE format('PREPARE %I (smallint, timestamptz, timestamptz) AS %s', stmt, sql);
	END IF;
	EXECUTE format('EXECUTE %I (%L, %L, %L)', stmt, hid, lo, hi) INTO newest;
	RETURN newest;
END
$$;

-- Rolls rollup_1m rows of one table's series on one host in [lo, hi) up into rollup_1h.
CREATE FUNCTION perfwatch_history_rollup_1m(src history_source, hid smallint, lo timestamptz,
					    hi timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
	PERFORM perfwatch_history_partitions('rollup_1h', lo, hi);
	INSERT INTO rollup_1h AS r (series_id, bucket, count, sum, min, max)
	SELECT m.series_id, date_bin('1 hour', m.bucket, timestamptz 'epoch'), sum(m.count),
	       sum(m.sum), min(m.min), max(m.max)
	FROM rollup_1m m JOIN series s ON s.id = m.series_id
	WHERE s.host_id = hid AND s.subsystem = src.subsystem AND m.bucket >= lo AND m.bucket < hi
	GROUP BY 1, 2
	ON CONFLICT (series_id, bucket) DO UPDATE
	SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max;
END
$$;

-- The oldest raw row of a host in a table: scans partitions oldest first and stops at the first
-- that has one, so it costs one partition scan, not a whole-table scan.
CREATE FUNCTION perfwatch_history_first_ts(tbl text, hid smallint)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	p record;
	first timestamptz;
BEGIN
	FOR p IN
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass(quote_ident(tbl))
		ORDER BY c.relname
	LOOP
		EXECUTE format('SELECT min(ts) FROM %I WHERE host_id = $1', p.relname)
		INTO first USING hid;
		IF first IS NOT NULL THEN
			RETURN first;
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;

-- Advances one table/host pair by at most `span` of raw data: 1-minute buckets, then the hours
-- they complete. Returns true when it advanced and more may remain.
CREATE FUNCTION perfwatch_history_step(src history_source, hid smallint, span interval)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	w history_watermark;
	cur timestamptz := date_bin('1 minute', now(), timestamptz 'epoch');
	hi timestamptz;
	newest timestamptz;
	new_1m timestamptz;
	hour_done timestamptz;
	more boolean := false;
BEGIN
	SELECT * INTO w FROM history_watermark
	WHERE table_name = src.table_name AND host_id = hid;
	IF NOT FOUND THEN
		-- From the host's oldest row, or from now when it has none in this table yet.
		w.done_1m := date_bin('1 minute', coalesce(perfwatch_history_first_ts(src.table_name, hid),
							   now()), timestamptz 'epoch');
		w.done_1h := date_bin('1 hour', w.done_1m, timestamptz 'epoch');
		INSERT INTO history_watermark (table_name, host_id, done_1m, done_1h)
		VALUES (src.table_name, hid, w.done_1m, w.done_1h);
	END IF;
	-- Up to the current minute included (it is partial: the next run recomputes it).
	hi := least(w.done_1m + span, cur + interval '1 minute');
	new_1m := w.done_1m;
	newest := perfwatch_history_rollup_raw(src, hid, w.done_1m, hi);
	IF newest > w.done_1m THEN
		new_1m := newest;
		more := hi <= cur;
	ELSIF hi <= cur THEN
		-- Nothing after the watermark's bucket in this chunk: a gap (collector stopped).
		-- Skip it when newer rows exist; the watermark's bucket is then final.
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE host_id = $1 AND ts >= $2)',
			       src.table_name)
		INTO more USING hid, hi;
		IF more THEN
			new_1m := hi;
		END IF;
	END IF;
	-- No row for 10 minutes and none after: the host stopped, its last bucket is final.
	IF NOT more AND newest IS NOT NULL AND new_1m < cur - interval '10 minutes' THEN
		new_1m := new_1m + interval '1 minute';
	END IF;
	-- Hours are rolled up once complete; the current hour is read from rollup_1m.
	hour_done := date_bin('1 hour', new_1m, timestamptz 'epoch');
	IF hour_done > w.done_1h THEN
		PERFORM perfwatch_history_rollup_1m(src, hid, w.done_1h, hour_done);
		w.done_1h := hour_done;
	END IF;
	UPDATE history_watermark SET done_1m = new_1m, done_1h = w.done_1h
	WHERE table_name = src.table_name AND host_id = hid;
	RETURN more;
END
$$;

-- Detaches and drops the partitions of `parent` whose whole range ends at or before `cutoff`.
-- Returns the names dropped.
CREATE FUNCTION perfwatch_history_drop_before(parent text, cutoff timestamptz)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	p record;
	dropped text[] := '{}';
BEGIN
	FOR p IN
		SELECT c.relname,
		       substring(pg_get_expr(c.relpartbound, c.oid)
				 FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass(quote_ident(parent))
		ORDER BY c.relname
	LOOP
		CONTINUE WHEN p.upper IS NULL OR p.upper > cutoff;
		EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, p.relname);
		EXECUTE format('DROP TABLE %I', p.relname);
		dropped := dropped || p.relname::text;
	END LOOP;
	RETURN dropped;
END
$$;

-- Summarizes the BRIN page ranges that were filled since the last call in the partitions of
-- today and yesterday (UTC) of every raw table and of rollup_1m. Without it, the newest rows
-- stay unsummarized until autovacuum gets to them (hours on a big partition) and every "last N
-- minutes" read scans all of them. Returns the number of ranges summarized.
CREATE FUNCTION perfwatch_history_summarize()
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	idx regclass;
	n integer := 0;
BEGIN
	FOR idx IN
		SELECT i.indexrelid::regclass
		FROM pg_inherits h
		JOIN pg_class c ON c.oid = h.inhrelid
		JOIN pg_index i ON i.indrelid = c.oid
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'brin'
		WHERE h.inhparent IN (SELECT to_regclass(quote_ident(table_name)) FROM history_source
				      UNION ALL SELECT 'rollup_1m'::regclass)
		  AND right(c.relname, 8) IN (to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD'),
					      to_char(now() AT TIME ZONE 'UTC' - interval '1 day',
						      'YYYYMMDD'))
	LOOP
		n := n + brin_summarize_new_values(idx);
	END LOOP;
	RETURN n;
END
$$;

-- The oldest watermark of `tbl` that still has raw rows after it (maintenance is behind): raw
-- partitions from there on must wait. +infinity when every host is caught up. A host that stopped
-- sending keeps an old watermark but has nothing after it, so it holds nothing back.
CREATE FUNCTION perfwatch_history_raw_pending(tbl text)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	w record;
	pending boolean;
	oldest timestamptz := 'infinity';
BEGIN
	FOR w IN SELECT host_id, done_1m FROM history_watermark WHERE table_name = tbl LOOP
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE host_id = $1 AND ts >= $2)', tbl)
		INTO pending USING w.host_id, w.done_1m + interval '1 minute';
		IF pending AND w.done_1m < oldest THEN
			oldest := w.done_1m;
		END IF;
	END LOOP;
	RETURN oldest;
END
$$;

-- Applies retention to every tier as of `at`. Data is never dropped before the next tier has it:
-- the raw cutoff stops at a watermark that is behind, the 1-minute cutoff at an hour not yet
-- rolled up. Returns the names of the partitions dropped.
CREATE FUNCTION perfwatch_history_retention(at timestamptz DEFAULT now())
RETURNS text[]
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	keep_raw interval := (SELECT retention FROM history_tier WHERE tier = 'raw');
	keep_1m interval := (SELECT retention FROM history_tier WHERE tier = '1m');
	keep_1h interval := (SELECT retention FROM history_tier WHERE tier = '1h');
	src history_source;
	dropped text[] := '{}';
BEGIN
	FOR src IN SELECT * FROM history_source ORDER BY table_name LOOP
		CONTINUE WHEN to_regclass(quote_ident(src.table_name)) IS NULL;
		dropped := dropped || perfwatch_history_drop_before(src.table_name,
			least(at - keep_raw, perfwatch_history_raw_pending(src.table_name)));
	END LOOP;
	IF to_regclass('tick_samples') IS NOT NULL THEN
		dropped := dropped || perfwatch_history_drop_before('tick_samples', at - keep_raw);
	END IF;
	dropped := dropped || perfwatch_history_drop_before('rollup_1m',
		least(at - keep_1m, coalesce((SELECT min(done_1h) FROM history_watermark
					      WHERE date_bin('1 hour', done_1m, timestamptz 'epoch')
						    > done_1h), 'infinity')));
	dropped := dropped || perfwatch_history_drop_before('rollup_1h', at - keep_1h);
	RETURN dropped;
END
$$;

CREATE FUNCTION perfwatch_maintain(budget interval DEFAULT interval '20 seconds',
				   chunk interval DEFAULT interval '6 hours')
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	started timestamptz := clock_timestamp();
	src history_source;
	h record;
	more boolean := true;
	steps integer := 0;
	housekeeping boolean;
	summarized integer;
	created integer := 0;
	dropped text[] := '{}';
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('perfwatch_maintain')) THEN
		RETURN jsonb_build_object('skipped', 'another maintenance is running');
	END IF;
	housekeeping := coalesce((SELECT at FROM history_state WHERE name = 'housekeeping'),
				 '-infinity') < now() - interval '10 minutes';
	IF housekeeping THEN
		PERFORM perfwatch_history_discover();
		created := perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date, 2)
			   + perfwatch_history_partitions('rollup_1m', now(), now() + interval '2 days')
			   + perfwatch_history_partitions('rollup_1h', now(), now() + interval '32 days');
		INSERT INTO history_state VALUES ('housekeeping', now())
		ON CONFLICT (name) DO UPDATE SET at = excluded.at;
	END IF;
	WHILE more AND clock_timestamp() - started < budget LOOP
		more := false;
		FOR src IN SELECT * FROM history_source ORDER BY table_name LOOP
			CONTINUE WHEN to_regclass(quote_ident(src.table_name)) IS NULL;
			FOR h IN SELECT id FROM host ORDER BY id LOOP
				IF perfwatch_history_step(src, h.id, chunk) THEN
					more := true;
				END IF;
				steps := steps + 1;
			END LOOP;
		END LOOP;
	END LOOP;
	summarized := perfwatch_history_summarize();
	IF housekeeping THEN
		dropped := perfwatch_history_retention(now());
	END IF;
	RETURN jsonb_build_object('steps', steps, 'more', more, 'housekeeping', housekeeping,
				  'brin_ranges_summarized', summarized,
				  'partitions_created', created, 'partitions_dropped', to_jsonb(dropped),
				  'ms', round(extract(epoch FROM clock_timestamp() - started) * 1000, 1));
END
$$;
COMMENT ON FUNCTION perfwatch_maintain(interval, interval) IS 'History maintenance, the one entry point: rolls up (catching up after downtime, at most `budget` of work; "more": true asks to be called again) and, every 10 minutes, registers new tables, creates partitions ahead and applies retention. perfwatch-api runs it every minute.';

-- Marks [lo, ...) as not rolled up, so the next maintenance recomputes it from the raw rows that
-- are still kept (for data written late, e.g. by hand). Returns the number of watermarks moved.
CREATE FUNCTION perfwatch_history_rebuild(lo timestamptz)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
	WITH u AS (
		UPDATE history_watermark
		SET done_1m = least(done_1m, date_bin('1 minute', lo, timestamptz 'epoch')),
		    done_1h = least(done_1h, date_bin('1 hour', lo, timestamptz 'epoch'))
		RETURNING 1)
	SELECT count(*)::integer FROM u;
$$;

-- Resolves series names ("cpu.usr:total", "mem.available_kb"; "cpu.usr" alone is cpu.usr:total) or
-- ids ("17") to series ids, on host `host` (NULL: every host). Unknown names give no row.
CREATE FUNCTION perfwatch_series_resolve(keys text[], host text DEFAULT NULL)
RETURNS TABLE (key text, series_id integer)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT k.key, s.id
	FROM unnest(keys) WITH ORDINALITY AS k(key, ord)
	CROSS JOIN LATERAL (
		SELECT x.id, x.host_id FROM series x WHERE x.name = k.key
		UNION ALL
		-- CASE, not AND: SQL may evaluate the cast before the pattern test.
		SELECT x.id, x.host_id FROM series x
		WHERE x.id = CASE WHEN k.key ~ '^[0-9]{1,9}$' THEN k.key::integer END
		UNION ALL
		-- "cpu.usr" alone means the all-CPU series, as metric= does.
		SELECT x.id, x.host_id FROM series x
		WHERE k.key !~ '[:0-9]$|:' AND x.name = k.key || ':total') s
	JOIN public.host h ON h.id = s.host_id
	WHERE perfwatch_series_resolve.host IS NULL OR h.name = perfwatch_series_resolve.host
	ORDER BY k.ord, h.name;
$$;

-- A predicate on the raw columns selecting instance `inst` of `src`, so that reads compare the
-- column itself (cpu = 3, cpu < 0, dev = 'sda') instead of converting every row to text.
CREATE FUNCTION perfwatch_history_instance_filter(src history_source, inst text)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $$
	SELECT CASE
		WHEN src.instance_column IS NULL THEN 'true'
		WHEN src.instance_column = 'cpu' AND inst = 'total' THEN 'cpu < 0'
		WHEN src.instance_column = 'cpu' AND inst ~ '^[0-9]{1,5}$' THEN 'cpu = ' || inst
		ELSE format('%s = %L', src.instance_expr, inst) END;
$$;

-- The tier and bucket width (seconds) for about `points` buckets over [p_from, p_to):
-- raw below a minute, rollup_1m below an hour, rollup_1h above; never a tier whose retention
-- has already dropped p_from. The width is one of 1 2 5 10 15 30 s, 1 2 5 10 15 30 min,
-- 1 2 3 6 12 24 h or whole days, and at least p_min_step.
CREATE FUNCTION perfwatch_history_plan(p_from timestamptz, p_to timestamptz, p_points integer,
				       p_min_step integer DEFAULT 1, OUT tier text,
				       OUT step_s integer)
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
	want double precision;
	s integer;
BEGIN
	IF p_to <= p_from OR p_points < 1 THEN
		RAISE EXCEPTION 'need from < to and points >= 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	want := greatest(extract(epoch FROM p_to - p_from) / p_points, p_min_step);
	IF p_from < now() - (SELECT retention FROM history_tier WHERE history_tier.tier = 'raw') THEN
		want := greatest(want, 60);
	END IF;
	IF p_from < now() - (SELECT retention FROM history_tier WHERE history_tier.tier = '1m') THEN
		want := greatest(want, 3600);
	END IF;
	FOREACH s IN ARRAY '{1,2,5,10,15,30,60,120,300,600,900,1800,3600,7200,10800,21600,43200,86400}'::integer[]
	LOOP
		IF s >= want THEN
			step_s := s;
			EXIT;
		END IF;
	END LOOP;
	step_s := coalesce(step_s, (ceil(want / 86400) * 86400)::integer);
	tier := CASE WHEN step_s < 60 THEN 'raw' WHEN step_s < 3600 THEN '1m' ELSE '1h' END;
END
$$;

-- Points of the series `p_series` over [p_from, p_to) in buckets of the planned width aligned
-- on p_origin (date_bin): value is the avg, min or max of the raw values in the bucket. Each
-- tier is read only where it is complete (history_watermark); the newest part comes from the
-- finer tier, down to the raw rows, so the last bucket is never missing or stale.
CREATE FUNCTION perfwatch_history_query(p_series integer[], p_from timestamptz, p_to timestamptz,
					p_points integer DEFAULT 1000, p_agg text DEFAULT 'avg',
					p_min_step integer DEFAULT 1,
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
	parts text[] := '{}';
	rollup constant text := 'SELECT series_id, bucket AS t, count, sum, min, max FROM %I '
				'WHERE series_id = ANY (%L::integer[]) AND bucket >= %L AND bucket < %L';
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
		IF pl.tier = '1h' THEN
			parts := parts || format(rollup, 'rollup_1h', g.ids, lo, least(p_to, g.done_1h));
			raw_from := greatest(lo, g.done_1h);
		END IF;
		IF pl.tier IN ('1h', '1m') THEN
			parts := parts || format(rollup, 'rollup_1m', g.ids, raw_from,
						 least(p_to, g.done_1m));
			raw_from := greatest(raw_from, g.done_1m);
		END IF;
		-- The raw rows: one aggregate per series (a scan of a few minutes each).
		FOR i IN 1 .. CASE WHEN raw_from < p_to THEN cardinality(g.ids) ELSE 0 END LOOP
			parts := parts || format(
				'SELECT %s, date_bin(%L, ts, %L), count(%I)::integer, sum(%I::float8), '
				'min(%I)::real, max(%I)::real FROM %I WHERE host_id = %s AND ts >= %L '
				'AND ts < %L AND %s AND %I IS NOT NULL GROUP BY 2',
				g.ids[i], step, p_origin, g.cols[i], g.cols[i], g.cols[i], g.cols[i],
				g.table_name, g.host_id, raw_from, p_to, g.filters[i], g.cols[i]);
		END LOOP;
	END LOOP;
	IF cardinality(parts) = 0 THEN
		RETURN;
	END IF;
	RETURN QUERY EXECUTE format(
		'SELECT p.series_id, date_bin(%L, p.t, %L) AS ts, %s '
		'FROM (%s) p(series_id, t, count, sum, min, max) GROUP BY 1, 2 ORDER BY 1, 2',
		step, p_origin,
		CASE p_agg WHEN 'avg' THEN 'sum(p.sum) / sum(p.count)'
			   WHEN 'min' THEN 'min(p.min)::float8' ELSE 'max(p.max)::float8' END,
		array_to_string(parts, ' UNION ALL '));
END
$$;

-- The window [p_from, p_to) and the same window p_offset earlier, on one time axis: value is the
-- window's bucket, value_shifted the bucket p_offset earlier (NULL where either has no data, so
-- gaps stay gaps). Both windows use the coarser of their two plans, so buckets line up.
CREATE FUNCTION perfwatch_history_compare(p_series integer[], p_from timestamptz,
					  p_to timestamptz, p_offset interval,
					  p_points integer DEFAULT 720, p_agg text DEFAULT 'avg')
RETURNS TABLE (series_id integer, ts timestamptz, value double precision,
	       value_shifted double precision, step_s integer)
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
DECLARE
	step integer;
BEGIN
	IF p_offset IS NULL OR p_offset <= interval '0' THEN
		RAISE EXCEPTION 'offset must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	step := greatest((perfwatch_history_plan(p_from, p_to, p_points)).step_s,
			 (perfwatch_history_plan(p_from - p_offset, p_to - p_offset, p_points)).step_s);
	RETURN QUERY
	SELECT coalesce(a.series_id, b.series_id), coalesce(a.ts, b.ts), a.value, b.value, step
	FROM perfwatch_history_query(p_series, p_from, p_to, p_points, p_agg, step) a
	FULL JOIN (SELECT q.series_id, q.ts + p_offset AS ts, q.value
		   FROM perfwatch_history_query(p_series, p_from - p_offset, p_to - p_offset,
						p_points, p_agg, step,
						timestamptz 'epoch' - p_offset) q) b
		ON a.series_id = b.series_id AND a.ts = b.ts
	ORDER BY 1, 2;
END
$$;

-- Per series of a compare: mean and p95 of the bucket values of each window and the change of
-- the mean in percent of the shifted window's (NULL when that mean is 0).
CREATE FUNCTION perfwatch_history_compare_stats(p_series integer[], p_from timestamptz,
						p_to timestamptz, p_offset interval,
						p_points integer DEFAULT 720,
						p_agg text DEFAULT 'avg')
RETURNS TABLE (series_id integer, mean double precision, mean_shifted double precision,
	       p95 double precision, p95_shifted double precision,
	       change_pct double precision)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
	SELECT c.series_id, avg(c.value), avg(c.value_shifted),
	       percentile_cont(0.95) WITHIN GROUP (ORDER BY c.value),
	       percentile_cont(0.95) WITHIN GROUP (ORDER BY c.value_shifted),
	       100 * (avg(c.value) - avg(c.value_shifted)) / nullif(avg(c.value_shifted), 0)
	FROM perfwatch_history_compare(p_series, p_from, p_to, p_offset, p_points, p_agg) c
	GROUP BY 1 ORDER BY 1;
$$;

-- Every series ranked by how much its mean changed between [p_from, p_to) and the same window
-- p_offset earlier (pmdiff over the whole catalogue). score is the change in units of the
-- series' own bucket-to-bucket spread, so flat series do not dominate by percentages. Reads
-- rollup_1m (rollup_1h for windows over 2 days): the minute being written is not included.
-- p_host limits it to one host.
CREATE FUNCTION perfwatch_history_changes(p_from timestamptz, p_to timestamptz,
					  p_offset interval, p_limit integer DEFAULT 10,
					  p_host text DEFAULT NULL)
RETURNS TABLE (series_id integer, mean double precision, mean_shifted double precision,
	       change_pct double precision, score double precision)
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
		WITH b AS (
			SELECT r.series_id, r.bucket >= $1 AS cur, r.sum, r.count,
			       r.sum / r.count AS v
			FROM %I r
			WHERE (r.bucket >= $1 AND r.bucket < $2)
			   OR (r.bucket >= $1 - $3 AND r.bucket < $2 - $3)),
		s AS (
			SELECT b.series_id,
			       sum(b.sum) FILTER (WHERE cur) / sum(b.count) FILTER (WHERE cur) AS m1,
			       sum(b.sum) FILTER (WHERE NOT cur)
				       / sum(b.count) FILTER (WHERE NOT cur) AS m0,
			       coalesce(var_samp(b.v) FILTER (WHERE cur), 0) AS v1,
			       coalesce(var_samp(b.v) FILTER (WHERE NOT cur), 0) AS v0
			FROM b GROUP BY 1)
		SELECT s.series_id, s.m1, s.m0, 100 * (s.m1 - s.m0) / nullif(s.m0, 0),
		       abs(s.m1 - s.m0) / (sqrt((s.v1 + s.v0) / 2)
					   + 1e-3 * greatest(abs(s.m0), abs(s.m1)) + 1e-9)
		FROM s WHERE s.m1 IS NOT NULL AND s.m0 IS NOT NULL
		  AND ($5 IS NULL OR s.series_id IN (SELECT x.id FROM series x JOIN host h
						     ON h.id = x.host_id WHERE h.name = $5))
		ORDER BY 5 DESC, 1 LIMIT $4$q$,
		CASE WHEN p_to - p_from > interval '2 days' THEN 'rollup_1h' ELSE 'rollup_1m' END)
	USING p_from, p_to, p_offset, p_limit, p_host;
END
$$;

-- Intervals of [p_from, p_to) where a series leaves its usual band, on 1-minute averages.
-- rule 'band': |value - median| > p_band robust sigmas (1.4826 * MAD), the median and MAD taken
-- from the same hour of the week over the past 4 weeks when at least 2 of them have data, else
-- from the 24 h before p_from. rule 'level_shift': the mean of the next 30 minutes differs from
-- the mean of the previous 30 by p_shift standard errors more than it did 30 minutes before or
-- after (a step, not a slope or a spike). score is the largest deviation in those units, peak
-- the value there.
CREATE FUNCTION perfwatch_history_anomalies(p_series integer[], p_from timestamptz,
					    p_to timestamptz, p_band double precision DEFAULT 5,
					    p_shift double precision DEFAULT 8)
RETURNS TABLE (series_id integer, start_ts timestamptz, end_ts timestamptz, rule text,
	       peak double precision, baseline double precision, score double precision)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
	-- One read of 1-minute averages for the fallback day, the 30 minutes before p_from and
	-- the window; complete minutes only (the one being written has fewer samples).
	WITH m AS MATERIALIZED (
		SELECT q.series_id, q.ts, q.value AS v
		FROM perfwatch_history_query(p_series, p_from - interval '24 hours',
					     least(p_to, date_bin('1 minute', now(), timestamptz 'epoch')),
					     (extract(epoch FROM p_to - p_from) / 60)::integer + 1441,
					     'avg', 60) q),
	cur AS (
		SELECT m.series_id, m.ts, m.v FROM m WHERE m.ts >= p_from - interval '30 minutes'),
	hist AS (
		SELECT r.series_id, k.k,
		       (floor(extract(epoch FROM r.bucket) / 3600))::bigint % 168 AS slot,
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
			AND s.slot = (floor(extract(epoch FROM c.ts) / 3600))::bigint % 168
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
		       / greatest(1.4826 * n.mad / sqrt(2) * sqrt(1.0 / d.n_before + 1.0 / d.n_after),
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

-- Linear trend of each series over the `p_window` before p_to (bucket averages, about 500
-- buckets): slope per day, the half-width of its 95 % confidence interval (ordinary least
-- squares; neighbouring buckets are correlated, so read it as a lower bound), r2 and the mean.
CREATE FUNCTION perfwatch_history_trends(p_series integer[], p_window interval,
					 p_to timestamptz DEFAULT now())
RETURNS TABLE (series_id integer, slope_per_day double precision,
	       ci95_per_day double precision, r2 double precision, points integer,
	       mean double precision)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
	SELECT s.series_id, s.slope,
	       (1.96 + 2.5 / greatest(s.n - 2, 1))
	       * sqrt(greatest(s.syy - s.slope * s.sxy, 0) / greatest(s.n - 2, 1) / nullif(s.sxx, 0)),
	       s.r2, s.n::integer, s.mean
	FROM (SELECT q.series_id, regr_slope(q.value, x.d) AS slope, regr_sxx(q.value, x.d) AS sxx,
		     regr_syy(q.value, x.d) AS syy, regr_sxy(q.value, x.d) AS sxy,
		     regr_r2(q.value, x.d) AS r2, regr_count(q.value, x.d) AS n, avg(q.value) AS mean
	      FROM perfwatch_history_query(p_series, p_to - p_window, p_to, 500) q
	      CROSS JOIN LATERAL (SELECT extract(epoch FROM q.ts) / 86400 AS d) x
	      GROUP BY 1) s
	WHERE s.n >= 3
	ORDER BY 1;
$$;

-- The history API's statements (apiserver/http_history.c): each resolves the requested series
-- keys on `host` (NULL: any host), answers 404 naming unknown keys, raises
-- invalid_parameter_value (-> 400) beyond 32 series, and otherwise returns the response.

-- Series ids for keys; `missing` lists keys that match nothing.
CREATE FUNCTION perfwatch_api_series(p_keys text[], p_host text, OUT ids integer[],
				     OUT missing text[])
LANGUAGE plpgsql
STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
	found text[];
BEGIN
	SELECT array_agg(DISTINCT r.series_id ORDER BY r.series_id), array_agg(r.key)
	INTO ids, found FROM perfwatch_series_resolve(p_keys, p_host) r;
	ids := coalesce(ids, '{}');
	missing := ARRAY(SELECT k FROM unnest(p_keys) k WHERE k <> ALL (coalesce(found, '{}')));
	IF cardinality(ids) > 32 THEN
		RAISE EXCEPTION 'the series given match % series, more than 32: name fewer or add host=',
			cardinality(ids) USING ERRCODE = 'invalid_parameter_value';
	END IF;
END
$$;

-- {"error": "unknown series: a, b"} for the keys that match nothing.
CREATE FUNCTION perfwatch_api_missing(missing text[])
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $$
	SELECT json_build_object('error', 'unknown series: ' || array_to_string(missing, ', ')
				 || ' (GET /api/v1/series lists them)')::text;
$$;

-- The series objects of a response, keyed by id.
CREATE FUNCTION perfwatch_api_series_json(ids integer[])
RETURNS TABLE (id integer, obj jsonb)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT s.id, jsonb_build_object('id', s.id, 'series', s.name, 'metric',
					s.subsystem || '.' || s.metric, 'instance', s.instance,
					'host', h.name, 'unit', s.unit)
	FROM series s JOIN host h ON h.id = s.host_id WHERE s.id = ANY (ids);
$$;

-- GET /api/v1/query?series=: one 'plan' row (label = tier, value = bucket seconds), one 'series'
-- row per series, then its 'point' rows (ts_ms, value) in time order; or 'missing' rows only.
CREATE FUNCTION perfwatch_api_query(p_keys text[], p_host text, p_from timestamptz,
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
	SELECT x.kind, x.id, x.label, x.host, x.unit, x.ts_ms, x.value
	FROM (SELECT 'series' AS kind, s.id, s.name AS label, h.name AS host, s.unit,
		     NULL::bigint AS ts_ms, NULL::float8 AS value
	      FROM series s JOIN public.host h ON h.id = s.host_id WHERE s.id = ANY (r.ids)
	      UNION ALL
	      SELECT 'point', q.series_id, NULL, NULL, NULL,
		     (extract(epoch FROM q.ts) * 1000)::bigint, q.value
	      FROM perfwatch_history_query(r.ids, p_from, p_to, p_points, p_agg) q) x
	ORDER BY x.id, x.ts_ms NULLS FIRST;
END
$$;

-- GET /api/v1/compare: {"from","to","offset_s","step_s","series":[{...,"mean","mean_shifted",
-- "p95","p95_shifted","change_pct","points":[[ts_ms,value,value_shifted],...]}],
-- "changed_most":[{...,"mean","mean_shifted","change_pct","score"}]} (status 200), or 404.
-- p_top is the length of changed_most (0: not computed); p_keys may be empty.
CREATE FUNCTION perfwatch_api_compare(p_keys text[], p_host text, p_from timestamptz,
				      p_to timestamptz, p_offset interval, p_points integer,
				      p_agg text, p_top integer DEFAULT 10)
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
		       jsonb_agg(jsonb_build_array((extract(epoch FROM c.ts) * 1000)::bigint,
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
	SELECT 200, jsonb_build_object(
		'from', (extract(epoch FROM p_from) * 1000)::bigint,
		'to', (extract(epoch FROM p_to) * 1000)::bigint,
		'offset_s', extract(epoch FROM p_offset)::bigint,
		'step_s', (SELECT max(c.step_s) FROM c),
		'series', coalesce((SELECT jsonb_agg(sj.obj || jsonb_build_object(
				'mean', per.mean, 'mean_shifted', per.mean_shifted, 'p95', per.p95,
				'p95_shifted', per.p95_shifted, 'change_pct',
				100 * (per.mean - per.mean_shifted) / nullif(per.mean_shifted, 0),
				'points', coalesce(per.points, '[]'::jsonb)) ORDER BY sj.id)
			FROM perfwatch_api_series_json(r.ids) sj
			LEFT JOIN per ON per.series_id = sj.id), '[]'::jsonb),
		'changed_most', coalesce((SELECT jsonb_agg(ch.o ORDER BY ch.score DESC) FROM ch),
					 '[]'::jsonb))::text;
END
$$;

-- GET /api/v1/anomalies: {"from","to","series":[...],"anomalies":[{...series,"start","end",
-- "rule","peak","baseline","score"}]} (times in ms), or 404.
CREATE FUNCTION perfwatch_api_anomalies(p_keys text[], p_host text, p_from timestamptz,
					p_to timestamptz)
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
	SELECT 200, jsonb_build_object(
		'from', (extract(epoch FROM p_from) * 1000)::bigint,
		'to', (extract(epoch FROM p_to) * 1000)::bigint,
		'series', coalesce((SELECT jsonb_agg(sj.obj ORDER BY sj.id)
				    FROM perfwatch_api_series_json(r.ids) sj), '[]'::jsonb),
		'anomalies', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'id', a.series_id, 'series', s.name,
				'start', (extract(epoch FROM a.start_ts) * 1000)::bigint,
				'end', (extract(epoch FROM a.end_ts) * 1000)::bigint,
				'rule', a.rule, 'peak', a.peak, 'baseline', a.baseline,
				'score', a.score) ORDER BY a.start_ts, a.series_id)
			FROM perfwatch_history_anomalies(r.ids, p_from, p_to) a
			JOIN series s ON s.id = a.series_id), '[]'::jsonb))::text;
END
$$;

-- GET /api/v1/trends: {"to","window_s","trends":[{...series,"slope_per_day","ci95_per_day",
-- "r2","points","mean","significant"}]}, or 404. significant: the 95 % interval excludes 0.
CREATE FUNCTION perfwatch_api_trends(p_keys text[], p_host text, p_window interval,
				     p_to timestamptz)
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
	SELECT 200, jsonb_build_object(
		'to', (extract(epoch FROM p_to) * 1000)::bigint,
		'window_s', extract(epoch FROM p_window)::bigint,
		'trends', coalesce((SELECT jsonb_agg(sj.obj || jsonb_build_object(
				'slope_per_day', t.slope_per_day, 'ci95_per_day', t.ci95_per_day,
				'r2', t.r2, 'points', t.points, 'mean', t.mean,
				'significant', abs(t.slope_per_day) > t.ci95_per_day) ORDER BY sj.id)
			FROM perfwatch_history_trends(r.ids, p_window, p_to) t
			JOIN perfwatch_api_series_json(r.ids) sj ON sj.id = t.series_id),
			'[]'::jsonb))::text;
END
$$;

-- GET /api/v1/series: the catalogue (optionally one host's).
CREATE FUNCTION perfwatch_api_series_list(p_host text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_build_object('series', coalesce(jsonb_agg(jsonb_build_object(
		'id', s.id, 'series', s.name, 'metric', s.subsystem || '.' || s.metric,
		'instance', s.instance, 'host', h.name, 'unit', s.unit,
		'description', s.description) ORDER BY h.name, s.name), '[]'::jsonb))::text
	FROM series s JOIN host h ON h.id = s.host_id
	WHERE p_host IS NULL OR h.name = p_host;
$$;

CREATE INDEX series_name ON series (name);

-- Views: one-line answers for people and Grafana. Raw views keep the tables' ts filter, so a
-- WHERE on ts prunes partitions. net_rates and disk_io need 002, hw_ipc 003.
CREATE VIEW cpu_usage AS
SELECT c.ts, h.name AS host, CASE WHEN c.cpu < 0 THEN 'total' ELSE c.cpu::text END AS cpu,
       100 - c.idle - c.iowait AS busy_pct, c.usr AS usr_pct, c.nice AS nice_pct,
       c.sys AS sys_pct, c.iowait AS iowait_pct, c.irq AS irq_pct, c.softirq AS softirq_pct,
       c.steal AS steal_pct, c.idle AS idle_pct
FROM cpu_samples c JOIN host h ON h.id = c.host_id;
COMMENT ON VIEW cpu_usage IS 'CPU use per tick and CPU (cpu = ''total'' for all CPUs): busy_pct = 100 - idle - iowait.';

CREATE VIEW memory_usage AS
SELECT m.ts, h.name AS host, m.total_kb, m.available_kb, m.total_kb - m.available_kb AS used_kb,
       round((100.0 * (m.total_kb - m.available_kb) / nullif(m.total_kb, 0))::numeric, 2)
	       AS used_pct,
       m.free_kb, m.buffers_kb, m.cached_kb, m.swap_total_kb,
       m.swap_total_kb - m.swap_free_kb AS swap_used_kb
FROM memory_samples m JOIN host h ON h.id = m.host_id;
COMMENT ON VIEW memory_usage IS 'Memory per tick in KiB: used = total - available (what new work cannot have without swapping).';

-- Over 002's tables (migrations apply in order, so 002 and 003 are there when this runs).
CREATE VIEW net_rates AS
SELECT n.ts, h.name AS host, n.iface, n.rx_bytes_per_s, n.tx_bytes_per_s,
       8 * (n.rx_bytes_per_s + n.tx_bytes_per_s) / 1e6 AS total_mbit_per_s,
       n.rx_packets_per_s, n.tx_packets_per_s,
       n.rx_errors_per_s + n.tx_errors_per_s AS errors_per_s,
       n.rx_drops_per_s + n.tx_drops_per_s AS drops_per_s, n.util_pct, n.speed_mbps,
       n.operstate
FROM net_samples n JOIN host h ON h.id = n.host_id;
COMMENT ON VIEW net_rates IS 'Network traffic per tick and interface: bytes and packets per second each way, errors and drops per second both ways, utilisation of the link speed.';

CREATE VIEW disk_io AS
SELECT d.ts, h.name AS host, d.dev, d.reads_per_s, d.writes_per_s, d.read_bytes_per_s,
       d.write_bytes_per_s, d.read_bytes_per_s + d.write_bytes_per_s AS bytes_per_s,
       d.util_pct, d.read_await_ms, d.write_await_ms, d.queue_len, d.in_flight
FROM disk_samples d JOIN host h ON h.id = d.host_id;
COMMENT ON VIEW disk_io IS 'Disk I/O per tick and device, as iostat -x: operations and bytes per second, %util, await (ms), queue length.';

-- Over 003's hw_samples: rows exist only where the PMU counted (none on a VM without one).
CREATE VIEW hw_ipc AS
SELECT w.ts, h.name AS host, CASE WHEN w.cpu < 0 THEN 'total' ELSE w.cpu::text END AS cpu,
       w.ipc, w.cpi, w.ghz, w.instructions_per_s, w.cycles_per_s, w.branch_miss_pct,
       w.llc_miss_pct, w.l1d_miss_pct, w.stall_backend_pct, w.core_counted_pct, w.reasons
FROM hw_samples w JOIN host h ON h.id = w.host_id;
COMMENT ON VIEW hw_ipc IS 'Instructions per cycle and the main hardware ratios per tick and CPU (cpu = ''total'' for all CPUs); core_counted_pct < 100 means multiplexed and scaled.';

CREATE VIEW metrics_1m AS
SELECT r.bucket AS time, h.name AS host, s.name AS metric, s.subsystem, s.instance, s.unit,
       r.sum / r.count AS value, r.min, r.max, r.count, r.sum, r.series_id
FROM rollup_1m r JOIN series s ON s.id = r.series_id JOIN host h ON h.id = s.host_id;
COMMENT ON VIEW metrics_1m IS 'Every series per minute in long format (Grafana: time, metric, value): value is the average, min/max the extremes, count the raw samples. Complete minutes only; the current minute is in the raw tables.';

CREATE VIEW metrics_1h AS
SELECT r.bucket AS time, h.name AS host, s.name AS metric, s.subsystem, s.instance, s.unit,
       r.sum / r.count AS value, r.min, r.max, r.count, r.sum, r.series_id
FROM rollup_1h r JOIN series s ON s.id = r.series_id JOIN host h ON h.id = s.host_id;
COMMENT ON VIEW metrics_1h IS 'Every series per hour in long format, as metrics_1m. Complete hours only.';

REVOKE ALL ON history_tier, history_source, series_metric, series, rollup_1m, rollup_1h,
	history_watermark, history_state, cpu_usage, memory_usage, net_rates, disk_io, hw_ipc,
	metrics_1m, metrics_1h FROM PUBLIC;
GRANT SELECT ON history_tier, history_source, series_metric, series, rollup_1m, rollup_1h,
	history_watermark, history_state, cpu_usage, memory_usage, net_rates, disk_io, hw_ipc,
	metrics_1m, metrics_1h TO perfwatch_api, perfwatch_reader;
DO $$
DECLARE
	p record;
BEGIN
	FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		 WHERE i.inhparent IN ('rollup_1m'::regclass, 'rollup_1h'::regclass) LOOP
		EXECUTE format('GRANT SELECT ON %I TO perfwatch_api, perfwatch_reader', p.relname);
	END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION perfwatch_series_resolve(text[], text),
	perfwatch_history_instance_filter(history_source, text),
	perfwatch_history_plan(timestamptz, timestamptz, integer, integer),
	perfwatch_history_query(integer[], timestamptz, timestamptz, integer, text, integer,
				timestamptz),
	perfwatch_history_compare(integer[], timestamptz, timestamptz, interval, integer, text),
	perfwatch_history_compare_stats(integer[], timestamptz, timestamptz, interval, integer,
					text),
	perfwatch_history_changes(timestamptz, timestamptz, interval, integer, text),
	perfwatch_history_anomalies(integer[], timestamptz, timestamptz, double precision,
				    double precision),
	perfwatch_history_trends(integer[], interval, timestamptz),
	perfwatch_api_series(text[], text), perfwatch_api_missing(text[]),
	perfwatch_api_series_json(integer[]),
	perfwatch_api_query(text[], text, timestamptz, timestamptz, integer, text),
	perfwatch_api_compare(text[], text, timestamptz, timestamptz, interval, integer, text,
			      integer),
	perfwatch_api_anomalies(text[], text, timestamptz, timestamptz),
	perfwatch_api_trends(text[], text, interval, timestamptz),
	perfwatch_api_series_list(text)
	TO perfwatch_api, perfwatch_reader;
-- perfwatch-api runs maintenance (docs/design.md).
GRANT EXECUTE ON FUNCTION perfwatch_maintain(interval, interval),
	perfwatch_history_rebuild(timestamptz) TO perfwatch_api;

SELECT perfwatch_history_discover();
SELECT perfwatch_history_partitions('rollup_1m', now(), now() + interval '2 days');
SELECT perfwatch_history_partitions('rollup_1h', now(), now() + interval '32 days');
