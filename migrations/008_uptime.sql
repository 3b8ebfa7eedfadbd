-- 008: time since boot (frame section "uptime", collector/sources/uptime.c), the same way 002
-- adds its sections: a table partitioned by UTC day and its ingest/frame pair.

CREATE TABLE IF NOT EXISTS uptime_samples (
	ts timestamptz NOT NULL,
	host_id smallint NOT NULL,
	uptime_s double precision
) PARTITION BY RANGE (ts);
COMMENT ON TABLE uptime_samples IS 'Time since boot from /proc/uptime (frame section "uptime"); it drops back to 0 at a reboot.';
COMMENT ON COLUMN uptime_samples.ts IS 'Start of the sample (tick_samples.ts).';
COMMENT ON COLUMN uptime_samples.host_id IS 'host.id';
COMMENT ON COLUMN uptime_samples.uptime_s IS 'Seconds since the kernel booted.';
CREATE INDEX IF NOT EXISTS uptime_samples_ts_brin ON uptime_samples USING brin (ts);

CREATE OR REPLACE FUNCTION perfwatch_ingest_uptime(ts timestamptz, host_id smallint, section jsonb)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
	INSERT INTO uptime_samples (ts, host_id, uptime_s)
	SELECT $1, $2, r.uptime_s
	FROM jsonb_populate_record(NULL::uptime_samples, $3) r
	WHERE jsonb_typeof($3) = 'object';
$$;

CREATE OR REPLACE FUNCTION perfwatch_frame_uptime(ts timestamptz, host_id smallint)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT to_jsonb(x) - '{ts,host_id}'::text[] FROM uptime_samples x
	WHERE x.ts = $1 AND x.host_id = $2;
$$;

SELECT perfwatch_create_partitions((now() AT TIME ZONE 'UTC')::date, 2);
SELECT perfwatch_grant_privileges();
