-- 003: hardware and software counters (issue 4), frame section "perf". Software counters per CPU
-- (sw_samples), hardware counter metrics per CPU (hw_samples, only when the PMU gave a value:
-- a VM without a PMU writes no rows), memory bandwidth (membw_samples), and, outside the
-- partitioned tables, why values are missing (perf_status, one row per change) and the
-- capability report served at GET /api/v1/hw (perf_capabilities, one row per change).
-- Units follow 001's convention: in the column name (_pct, _per_s, _gbs, _ghz) and at the start
-- of the column comment. cpu = -1 is the total over all CPUs.

CREATE TABLE IF NOT EXISTS sw_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	cpu smallint NOT NULL,
	context_switches_per_s real,
	cpu_migrations_per_s real,
	page_faults_per_s real,
	task_clock_pct real,
	sw_counted_pct real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE sw_samples IS 'Software perf_event counters per CPU and in total (cpu = -1), system-wide (frame perf.sw).';
COMMENT ON COLUMN sw_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN sw_samples.host_id IS 'host.id';
COMMENT ON COLUMN sw_samples.cpu IS 'CPU number; -1 = all CPUs.';
COMMENT ON COLUMN sw_samples.context_switches_per_s IS 'Per second: context switches on the CPU.';
COMMENT ON COLUMN sw_samples.cpu_migrations_per_s IS 'Per second: tasks migrated to the CPU.';
COMMENT ON COLUMN sw_samples.page_faults_per_s IS 'Per second: page faults (minor + major) taken on the CPU.';
COMMENT ON COLUMN sw_samples.task_clock_pct IS 'Percent: task-clock time over the interval (system-wide it includes the idle task, so about 100 per CPU).';
COMMENT ON COLUMN sw_samples.sw_counted_pct IS 'Percent: share of the interval the software group was counted (multiplexing duty cycle).';
CREATE INDEX IF NOT EXISTS sw_samples_ts_brin ON sw_samples USING brin (ts);

CREATE TABLE IF NOT EXISTS hw_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	cpu smallint NOT NULL,
	ghz real,
	ipc real,
	cpi real,
	cycles_per_s real,
	instructions_per_s real,
	branch_miss_pct real,
	branch_mpki real,
	cache_miss_pct real,
	llc_miss_pct real,
	llc_hit_pct real,
	llc_mpki real,
	l1d_miss_pct real,
	l1d_hit_pct real,
	dtlb_load_misses_per_s real,
	dtlb_mpki real,
	stall_frontend_pct real,
	stall_backend_pct real,
	core_counted_pct real,
	cache_counted_pct real,
	l1tlb_counted_pct real,
	stall_counted_pct real,
	reasons jsonb
) PARTITION BY RANGE (ts);
COMMENT ON TABLE hw_samples IS 'Hardware counter metrics per CPU and in total (cpu = -1), scaled for multiplexing (frame perf.hw). Rows exist only for ticks where at least one metric had a value; NULL columns say why in reasons.';
COMMENT ON COLUMN hw_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN hw_samples.host_id IS 'host.id';
COMMENT ON COLUMN hw_samples.cpu IS 'CPU number; -1 = all CPUs.';
COMMENT ON COLUMN hw_samples.ghz IS 'GHz: average unhalted frequency, nominal × cycles / ref-cycles.';
COMMENT ON COLUMN hw_samples.ipc IS 'Instructions per cycle.';
COMMENT ON COLUMN hw_samples.cpi IS 'Cycles per instruction.';
COMMENT ON COLUMN hw_samples.cycles_per_s IS 'Per second: unhalted core cycles.';
COMMENT ON COLUMN hw_samples.instructions_per_s IS 'Per second: instructions retired.';
COMMENT ON COLUMN hw_samples.branch_miss_pct IS 'Percent: mispredicted branches of branches retired.';
COMMENT ON COLUMN hw_samples.branch_mpki IS 'Mispredicted branches per 1000 instructions.';
COMMENT ON COLUMN hw_samples.cache_miss_pct IS 'Percent: cache-misses of cache-references (the PMU''s generic last-level events).';
COMMENT ON COLUMN hw_samples.llc_miss_pct IS 'Percent: LLC load misses of LLC loads.';
COMMENT ON COLUMN hw_samples.llc_hit_pct IS 'Percent: LLC loads that hit.';
COMMENT ON COLUMN hw_samples.llc_mpki IS 'LLC load misses per 1000 instructions.';
COMMENT ON COLUMN hw_samples.l1d_miss_pct IS 'Percent: L1 data cache load misses of loads.';
COMMENT ON COLUMN hw_samples.l1d_hit_pct IS 'Percent: L1 data cache loads that hit.';
COMMENT ON COLUMN hw_samples.dtlb_load_misses_per_s IS 'Per second: data TLB load misses.';
COMMENT ON COLUMN hw_samples.dtlb_mpki IS 'Data TLB load misses per 1000 instructions.';
COMMENT ON COLUMN hw_samples.stall_frontend_pct IS 'Percent: cycles stalled in the front end.';
COMMENT ON COLUMN hw_samples.stall_backend_pct IS 'Percent: cycles stalled in the back end.';
COMMENT ON COLUMN hw_samples.core_counted_pct IS 'Percent: share of the interval the core group (cycles, instructions, branches) was counted.';
COMMENT ON COLUMN hw_samples.cache_counted_pct IS 'Percent: same for the cache group.';
COMMENT ON COLUMN hw_samples.l1tlb_counted_pct IS 'Percent: same for the L1D/TLB group.';
COMMENT ON COLUMN hw_samples.stall_counted_pct IS 'Percent: same for the stall group.';
COMMENT ON COLUMN hw_samples.reasons IS 'Metric -> reason code for every NULL column of the row (perf_status.why explains the codes); NULL when none.';
CREATE INDEX IF NOT EXISTS hw_samples_ts_brin ON hw_samples USING brin (ts);

CREATE TABLE IF NOT EXISTS membw_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	read_gbs real,
	write_gbs real,
	total_gbs real,
	util_pct real
) PARTITION BY RANGE (ts);
COMMENT ON TABLE membw_samples IS 'Memory bandwidth from uncore IMC / AMD UMC PMUs or resctrl MBM (frame perf.membw); rows only when measured.';
COMMENT ON COLUMN membw_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN membw_samples.host_id IS 'host.id';
COMMENT ON COLUMN membw_samples.read_gbs IS 'GB/s (1e9 bytes per second): read from DRAM.';
COMMENT ON COLUMN membw_samples.write_gbs IS 'GB/s: written to DRAM.';
COMMENT ON COLUMN membw_samples.total_gbs IS 'GB/s: read + written.';
COMMENT ON COLUMN membw_samples.util_pct IS 'Percent: total_gbs of the configured peak (--perf-peak-gbs).';
CREATE INDEX IF NOT EXISTS membw_samples_ts_brin ON membw_samples USING brin (ts);

CREATE TABLE IF NOT EXISTS perf_status (
	host_id smallint NOT NULL REFERENCES host (id),
	ts timestamptz NOT NULL,
	source text NOT NULL,
	origin text,
	reasons jsonb NOT NULL,
	why jsonb NOT NULL,
	PRIMARY KEY (host_id, ts)
);
COMMENT ON TABLE perf_status IS 'Why perf metrics are NULL, from the frame''s perf.reasons/why: one row each time they change for a host (valid until the next row).';
COMMENT ON COLUMN perf_status.source IS '"perf_event" (this host''s kernel) or "replay" (a counter trace, see origin).';
COMMENT ON COLUMN perf_status.origin IS 'For a replay: where the trace came from (hardware it was recorded on, or synthetic).';
COMMENT ON COLUMN perf_status.reasons IS 'Metric -> reason code (no_pmu, paranoid, not_counted, ...) for the total''s NULL metrics.';
COMMENT ON COLUMN perf_status.why IS 'Reason code -> sentence explaining it on this host.';

CREATE TABLE IF NOT EXISTS perf_capabilities (
	host_id smallint NOT NULL REFERENCES host (id),
	ts timestamptz NOT NULL,
	report jsonb NOT NULL,
	PRIMARY KEY (host_id, ts)
);
COMMENT ON TABLE perf_capabilities IS 'The collector''s capability report (PMUs, paranoid level, capabilities, events opened per CPU, what is missing and how to fix it): one row each time it changes.';

CREATE OR REPLACE FUNCTION perfwatch_ingest_perf(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	last record;
BEGIN
	IF jsonb_typeof(section) IS DISTINCT FROM 'object' THEN
		RETURN;
	END IF;
	INSERT INTO sw_samples (ts, host_id, cpu, context_switches_per_s, cpu_migrations_per_s,
				page_faults_per_s, task_clock_pct, sw_counted_pct)
	SELECT $1, $2, coalesce(r.cpu, -1), r.context_switches_per_s, r.cpu_migrations_per_s,
	       r.page_faults_per_s, r.task_clock_pct, r.sw_counted_pct
	FROM (SELECT o FROM jsonb_array_elements(
			CASE WHEN jsonb_typeof(section #> '{sw,cores}') = 'array'
			     THEN section #> '{sw,cores}' ELSE '[]'::jsonb END) o
	      UNION ALL SELECT section #> '{sw,total}' WHERE jsonb_typeof(section #> '{sw,total}') = 'object') x,
	     jsonb_populate_record(NULL::sw_samples, x.o) r;

	-- Hardware rows only where a counter gave a value: no rows at all on a machine without PMU.
	INSERT INTO hw_samples
	SELECT $1, $2, coalesce(r.cpu, -1), r.ghz, r.ipc, r.cpi, r.cycles_per_s, r.instructions_per_s,
	       r.branch_miss_pct, r.branch_mpki, r.cache_miss_pct, r.llc_miss_pct, r.llc_hit_pct,
	       r.llc_mpki, r.l1d_miss_pct, r.l1d_hit_pct, r.dtlb_load_misses_per_s, r.dtlb_mpki,
	       r.stall_frontend_pct, r.stall_backend_pct, r.core_counted_pct, r.cache_counted_pct,
	       r.l1tlb_counted_pct, r.stall_counted_pct, NULLIF(x.reasons, '{}'::jsonb)
	FROM (SELECT o, o -> 'reasons' AS reasons FROM jsonb_array_elements(
			CASE WHEN jsonb_typeof(section #> '{hw,cores}') = 'array'
			     THEN section #> '{hw,cores}' ELSE '[]'::jsonb END) o
	      UNION ALL
	      SELECT section #> '{hw,total}', section -> 'reasons'
	      WHERE jsonb_typeof(section #> '{hw,total}') = 'object') x,
	     jsonb_populate_record(NULL::hw_samples, x.o - 'reasons') r
	WHERE EXISTS (SELECT 1 FROM jsonb_each(x.o) e
		      WHERE e.key NOT IN ('cpu', 'reasons') AND jsonb_typeof(e.value) = 'number');

	INSERT INTO membw_samples (ts, host_id, read_gbs, write_gbs, total_gbs, util_pct)
	SELECT $1, $2, r.read_gbs, r.write_gbs, r.total_gbs, r.util_pct
	FROM jsonb_populate_record(NULL::membw_samples, section -> 'membw') r
	WHERE jsonb_typeof(section -> 'membw') = 'object'
	  AND EXISTS (SELECT 1 FROM jsonb_each(section -> 'membw') e
		      WHERE jsonb_typeof(e.value) = 'number');

	SELECT s.source, s.origin, s.reasons, s.why INTO last FROM perf_status s
	WHERE s.host_id = $2 ORDER BY s.ts DESC LIMIT 1;
	IF NOT FOUND OR last.source IS DISTINCT FROM section ->> 'source'
	   OR last.origin IS DISTINCT FROM section ->> 'origin'
	   OR last.reasons IS DISTINCT FROM coalesce(section -> 'reasons', '{}'::jsonb)
	   OR last.why IS DISTINCT FROM coalesce(section -> 'why', '{}'::jsonb) THEN
		INSERT INTO perf_status (host_id, ts, source, origin, reasons, why)
		VALUES ($2, $1, coalesce(section ->> 'source', 'unknown'), section ->> 'origin',
			coalesce(section -> 'reasons', '{}'::jsonb),
			coalesce(section -> 'why', '{}'::jsonb))
		ON CONFLICT DO NOTHING;
	END IF;

	IF jsonb_typeof(section -> 'caps') = 'object' AND NOT EXISTS (
		SELECT 1 FROM (SELECT c.report FROM perf_capabilities c WHERE c.host_id = $2
			       ORDER BY c.ts DESC LIMIT 1) l
		WHERE l.report = section -> 'caps') THEN
		INSERT INTO perf_capabilities (host_id, ts, report) VALUES ($2, $1, section -> 'caps')
		ON CONFLICT DO NOTHING;
	END IF;
END
$$;

-- Rebuilds the frame's "perf" section from the tables: software rows, hardware rows (the total
-- with every key, NULL where missing; a core without its NULL keys, as the collector sends it),
-- bandwidth, and the reasons valid at that tick.
CREATE OR REPLACE FUNCTION perfwatch_frame_perf(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	WITH st AS (
		SELECT s.source, s.origin, s.reasons, s.why FROM perf_status s
		WHERE s.host_id = $2 AND s.ts <= $1 ORDER BY s.ts DESC LIMIT 1),
	hw_null AS (
		SELECT to_jsonb(jsonb_populate_record(NULL::hw_samples, '{}'::jsonb))
		       - '{ts,host_id,cpu,reasons}'::text[] AS o),
	mb_null AS (
		SELECT to_jsonb(jsonb_populate_record(NULL::membw_samples, '{}'::jsonb))
		       - '{ts,host_id}'::text[] AS o)
	SELECT jsonb_build_object(
		'source', st.source,
		'sw', jsonb_build_object(
			'total', (SELECT to_jsonb(s) - '{ts,host_id,cpu}'::text[] FROM sw_samples s
				  WHERE s.ts = $1 AND s.host_id = $2 AND s.cpu = -1),
			'cores', (SELECT jsonb_agg(to_jsonb(s) - '{ts,host_id}'::text[] ORDER BY s.cpu)
				  FROM sw_samples s WHERE s.ts = $1 AND s.host_id = $2 AND s.cpu >= 0)),
		'hw', jsonb_build_object(
			'total', coalesce((SELECT to_jsonb(h) - '{ts,host_id,cpu,reasons}'::text[]
					   FROM hw_samples h
					   WHERE h.ts = $1 AND h.host_id = $2 AND h.cpu = -1),
					  (SELECT o FROM hw_null)),
			'cores', (SELECT jsonb_agg(jsonb_build_object('cpu', s.cpu) || coalesce(
					  (SELECT jsonb_strip_nulls(to_jsonb(h) - '{ts,host_id,cpu}'::text[])
					   FROM hw_samples h
					   WHERE h.ts = $1 AND h.host_id = $2 AND h.cpu = s.cpu),
					  '{}'::jsonb) ORDER BY s.cpu)
				  FROM sw_samples s WHERE s.ts = $1 AND s.host_id = $2 AND s.cpu >= 0)),
		'membw', coalesce((SELECT to_jsonb(m) - '{ts,host_id}'::text[] FROM membw_samples m
				   WHERE m.ts = $1 AND m.host_id = $2), (SELECT o FROM mb_null)),
		'reasons', coalesce((SELECT h.reasons FROM hw_samples h
				     WHERE h.ts = $1 AND h.host_id = $2 AND h.cpu = -1), st.reasons),
		'why', st.why)
		|| CASE WHEN st.origin IS NULL THEN '{}'::jsonb
			ELSE jsonb_build_object('origin', st.origin) END
	FROM st
	WHERE EXISTS (SELECT 1 FROM sw_samples s WHERE s.ts = $1 AND s.host_id = $2);
$$;

-- The capability report behind GET /api/v1/hw: for `host` (NULL: the host that reported last),
-- the newest report and the reasons in force, or NULL when no collector has reported yet.
CREATE OR REPLACE FUNCTION perfwatch_hw_report(host text)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT jsonb_build_object(
		'host', h.name,
		'ts', (extract(epoch FROM c.ts) * 1000)::bigint,
		'report', c.report,
		'status', (SELECT jsonb_build_object(
				'ts', (extract(epoch FROM s.ts) * 1000)::bigint, 'source', s.source,
				'origin', s.origin, 'reasons', s.reasons, 'why', s.why)
			   FROM perf_status s WHERE s.host_id = c.host_id
			   ORDER BY s.ts DESC LIMIT 1))
	FROM perf_capabilities c JOIN host h ON h.id = c.host_id
	WHERE $1 IS NULL OR h.name = $1
	ORDER BY c.ts DESC LIMIT 1;
$$;

REVOKE ALL ON perf_status, perf_capabilities FROM PUBLIC;
GRANT SELECT ON perf_status, perf_capabilities TO perfwatch_api, perfwatch_reader;

SELECT perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date, 2);
SELECT perfwatch_grant_privileges();
REVOKE ALL ON FUNCTION perfwatch_hw_report(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION perfwatch_hw_report(text) TO perfwatch_api, perfwatch_reader;
