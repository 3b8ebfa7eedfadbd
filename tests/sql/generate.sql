-- Synthetic samples for the cookbook test and the history benchmark (never part of migrations).
-- gen.fill(host, from, to, step) writes one row per instance and tick into every *_samples table:
-- each numeric column follows a daily sine (phase per column) plus 10 % noise, scaled by
-- (instance ordinal + 1) so that the second disk, interface, CPU... is busier than the first.
-- Per-CPU rows leave the all-CPU-only columns NULL, as the collector does; hw_samples gets the
-- all-CPU row only (a VM without a PMU writes none; the cookbook needs some). Returns rows written.
CREATE SCHEMA IF NOT EXISTS gen;

CREATE OR REPLACE FUNCTION gen.instances(tbl text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE tbl
		WHEN 'cpu_samples' THEN '{-1,0,1}'
		WHEN 'sw_samples' THEN '{-1,0,1}'
		WHEN 'hw_samples' THEN '{-1}'
		WHEN 'cpufreq_samples' THEN '{0,1}'
		WHEN 'net_samples' THEN '{eth0,eth1}'
		WHEN 'disk_samples' THEN '{sda,sdb}'
		WHEN 'fs_samples' THEN '{/,/home}'
		WHEN 'pressure_samples' THEN '{cpu,io,memory}'
		WHEN 'thermal_samples' THEN '{x86_pkg_temp}'
		ELSE NULL END::text[];
$$;

CREATE OR REPLACE FUNCTION gen.fill(p_host text, p_from timestamptz, p_to timestamptz,
				    p_step interval)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	hid smallint := perfwatch_host_id(p_host);
	t record;
	inst text;
	cols text;
	exprs text;
	n bigint;
	total bigint := 0;
BEGIN
	PERFORM perfwatch_history_discover();
	PERFORM perfwatch_create_partitions((p_from AT TIME ZONE 'UTC')::date,
					    (p_to AT TIME ZONE 'UTC')::date - (p_from AT TIME ZONE 'UTC')::date + 1);
	EXECUTE 'INSERT INTO tick_samples (ts, host_id, seq, dt_s)
		 SELECT g, $1, row_number() OVER (ORDER BY g), extract(epoch FROM $4)
		 FROM generate_series($2, $3 - $4, $4) g'
	USING hid, p_from, p_to, p_step;
	FOR t IN
		SELECT c.oid, c.relname FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'p'
		  AND c.relname LIKE '%\_samples' AND c.relname NOT IN ('tick_samples', 'membw_samples')
		ORDER BY c.relname
	LOOP
		SELECT s.instance_column INTO inst FROM history_source s WHERE s.table_name = t.relname;
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
		       string_agg(CASE
			WHEN a.attname = inst THEN
				CASE WHEN a.atttypid = 'int2'::regtype THEN 'i.v::smallint' ELSE 'i.v' END
			WHEN a.atttypid IN ('text'::regtype, 'varchar'::regtype) THEN quote_literal('up')
			WHEN a.atttypid = 'jsonb'::regtype THEN 'NULL'
			WHEN t.relname = 'cpu_samples' AND a.attname = 'idle' THEN
				'greatest(0, 100 - 16 * (1 + 0.5 * sin(2 * pi() * extract(epoch FROM g) / 86400)) * i.o)'
			WHEN t.relname = 'cpu_samples' AND a.attnum <= 13 THEN
				'(2 * (1 + 0.5 * sin(2 * pi() * extract(epoch FROM g) / 86400) + 0.1 * random()) * i.o)'
			WHEN t.relname = 'cpu_samples' THEN
				'CASE WHEN i.v = ''-1'' THEN (1000 + 500 * sin(2 * pi() * extract(epoch FROM g) / 86400)) END'
			ELSE format('((%s) * (1 + 0.5 * sin(2 * pi() * (extract(epoch FROM g) / 86400 + %s / 7.0))'
				    ' + 0.1 * random()) * i.o)::%s',
				    CASE WHEN a.attname ~ '_pct$' THEN '10'
					 WHEN a.atttypid = 'int8'::regtype THEN '1000000'
					 ELSE '100' END, a.attnum, format_type(a.atttypid, NULL))
			END, ', ' ORDER BY a.attnum)
		INTO cols, exprs
		FROM pg_attribute a
		WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
		  AND a.attname NOT IN ('ts', 'host_id');
		-- Tick after tick, all instances of a tick together, as the collector writes them:
		-- the reference to g makes the ticks the outer loop (without it the planner may
		-- write one instance's week, then the next one's, and every BRIN range of ts would
		-- span the whole period).
		EXECUTE format('INSERT INTO %I (ts, host_id, %s) SELECT g, $1, %s '
			       'FROM generate_series($2, $3 - $4, $4) g CROSS JOIN LATERAL '
			       'unnest(CASE WHEN g IS NOT NULL THEN coalesce($5, ''{""}''::text[]) END) '
			       'WITH ORDINALITY i(v, o)',
			       t.relname, cols, exprs)
		USING hid, p_from, p_to, p_step, gen.instances(t.relname);
		GET DIAGNOSTICS n = ROW_COUNT;
		total := total + n;
	END LOOP;
	RETURN total;
END
$$;
