-- 007: perfwatch_ingest is idempotent per tick. The collector spools frames while the database is
-- away and sends a frame again when it cannot know whether its commit happened (the answer was
-- lost, or it stopped while waiting); a frame whose (host, ts) is stored already is now a no-op
-- instead of a second copy of every row. (host_id, ts) identifies a tick everywhere else too
-- (perfwatch_frame(host, ts), frame_recent's key).

-- Copies stored before this migration (the collector's old 60 s answer timeout could make them)
-- would stop the constraint: keep the first row of each tick. Their sample rows stay as they are.
DELETE FROM tick_samples a USING tick_samples b
WHERE a.host_id = b.host_id AND a.ts = b.ts AND a.tableoid = b.tableoid AND a.ctid > b.ctid;

-- On the partitioned table: every partition, present and future, gets the unique index.
ALTER TABLE tick_samples ADD CONSTRAINT tick_samples_host_ts_key UNIQUE (host_id, ts);

-- Same contract as 006's perfwatch_ingest; a frame whose tick is stored already changes nothing
-- and sends no NOTIFY.
CREATE OR REPLACE FUNCTION perfwatch_ingest(frame text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	f jsonb;
	hname text;
	ts_ms bigint;
	ts timestamptz;
	hid smallint;
	stored bigint;
BEGIN
	f := frame::jsonb;
	IF jsonb_typeof(f) IS DISTINCT FROM 'object' OR f -> 'v' IS DISTINCT FROM '1'::jsonb
	   OR jsonb_typeof(f -> 'host') IS DISTINCT FROM 'string'
	   OR jsonb_typeof(f -> 'ts') IS DISTINCT FROM 'number'
	   OR jsonb_typeof(f -> 'seq') IS DISTINCT FROM 'number'
	   OR jsonb_typeof(f -> 'dt') IS DISTINCT FROM 'number' THEN
		RAISE EXCEPTION 'frame must be an object with "v":1, "host", "ts", "seq" and "dt"'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	hname := f ->> 'host';
	ts_ms := (f ->> 'ts')::numeric::bigint;
	ts := timestamptz 'epoch' + ts_ms * interval '1 millisecond';
	hid := perfwatch_host_id(hname);
	BEGIN
		INSERT INTO tick_samples (ts, host_id, seq, dt_s, unavailable)
		VALUES (ts, hid, (f ->> 'seq')::bigint, (f ->> 'dt')::real,
			NULLIF(f -> 'unavailable', '{}'::jsonb))
		ON CONFLICT ON CONSTRAINT tick_samples_host_ts_key DO NOTHING;
		GET DIAGNOSTICS stored = ROW_COUNT;
	EXCEPTION WHEN check_violation THEN
		-- "no partition of relation ... found for row": a frame of a day without partitions
		-- (held while the database was away, or the hourly ensure has not run yet).
		IF SQLERRM NOT LIKE 'no partition of relation%' THEN
			RAISE;
		END IF;
		PERFORM perfwatch_create_partitions((ts AT TIME ZONE 'UTC')::date, 0);
		INSERT INTO tick_samples (ts, host_id, seq, dt_s, unavailable)
		VALUES (ts, hid, (f ->> 'seq')::bigint, (f ->> 'dt')::real,
			NULLIF(f -> 'unavailable', '{}'::jsonb))
		ON CONFLICT ON CONSTRAINT tick_samples_host_ts_key DO NOTHING;
		GET DIAGNOSTICS stored = ROW_COUNT;
	END;
	IF stored = 0 THEN
		-- This host's tick at this ts is stored: a frame sent again after its commit was not
		-- acknowledged (connection lost, collector stopped). Nothing more to write or notify.
		RETURN;
	END IF;
	PERFORM perfwatch_dispatch_ingest(ts, hid, f);
	IF octet_length(frame) < 7999 THEN
		PERFORM pg_notify('perfwatch_tick', frame);
		RETURN;
	END IF;
	INSERT INTO frame_recent (host_id, ts, frame) VALUES (hid, ts, frame)
	ON CONFLICT ON CONSTRAINT frame_recent_pkey DO UPDATE SET frame = EXCLUDED.frame;
	DELETE FROM frame_recent r WHERE r.host_id = hid AND r.ts < ts - interval '10 minutes';
	PERFORM pg_notify('perfwatch_tick',
			  json_build_object('v', 1, 'host', hname, 'ts', ts_ms, 'ref', true)::text);
END
$$;

SELECT perfwatch_grant_privileges();
