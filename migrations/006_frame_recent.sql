-- 006: the last minutes of frames, verbatim, so that a frame too large for a NOTIFY payload
-- (7,999 bytes) reaches WebSocket clients with one index lookup instead of a rebuild from every
-- *_samples table (perfwatch_frame() took 14-57 ms per frame that way; the lookup takes well
-- under 1 ms). UNLOGGED: it is a cache of what the sample tables hold durably, so it writes no
-- WAL; after a crash it is empty and perfwatch_frame() falls back to the rebuild.

CREATE UNLOGGED TABLE IF NOT EXISTS frame_recent (
	host_id smallint NOT NULL,
	ts timestamptz NOT NULL,
	frame text NOT NULL,
	PRIMARY KEY (host_id, ts)
);
COMMENT ON TABLE frame_recent IS
	'The collector''s frames of the last 10 minutes, verbatim (a cache; the *_samples tables hold the data).';
REVOKE ALL ON frame_recent FROM PUBLIC;
GRANT SELECT ON frame_recent TO perfwatch_api, perfwatch_reader;

-- Same contract as 001's perfwatch_ingest; additionally keeps the frame in frame_recent and
-- trims that host's frames older than 10 minutes (by the frame's own clock, so a backfill of
-- old frames does not evict the live ones).
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
			NULLIF(f -> 'unavailable', '{}'::jsonb));
	EXCEPTION WHEN check_violation THEN
		-- "no partition of relation ... found for row": a frame of a day without partitions
		-- (held while the database was away, or the hourly ensure has not run yet).
		IF SQLERRM NOT LIKE 'no partition of relation%' THEN
			RAISE;
		END IF;
		PERFORM perfwatch_create_partitions((ts AT TIME ZONE 'UTC')::date, 0);
		INSERT INTO tick_samples (ts, host_id, seq, dt_s, unavailable)
		VALUES (ts, hid, (f ->> 'seq')::bigint, (f ->> 'dt')::real,
			NULLIF(f -> 'unavailable', '{}'::jsonb));
	END;
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

-- The frame of `host` at `ts` as text: verbatim from frame_recent when it is there, else
-- rebuilt from the tables by perfwatch_frame(). The API server resolves "ref" notifications
-- with it.
CREATE OR REPLACE FUNCTION perfwatch_frame_text(host text, ts timestamptz)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
	SELECT coalesce(
		(SELECT r.frame FROM frame_recent r JOIN host h ON h.id = r.host_id
		 WHERE h.name = $1 AND r.ts = $2),
		perfwatch_frame($1, $2)::text);
$$;

SELECT perfwatch_grant_privileges();
