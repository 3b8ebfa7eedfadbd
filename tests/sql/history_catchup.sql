-- Catching up after downtime: maintenance that was not run for days rolls everything up in bounded
-- calls ("more": true until done), skips the collector's gaps, and a rebuild re-rolls late data.
UPDATE history_tier SET retention = interval '100 years';
SELECT perfwatch_host_id('h1');
SELECT perfwatch_create_partitions('2026-02-10', 1);
-- Two hours of data eight hours apart, and another host with nothing in memory_samples.
INSERT INTO cpu_samples (ts, host_id, cpu, usr)
SELECT t, 1, -1, 1 FROM generate_series(timestamptz '2026-02-10 00:00+00', '2026-02-10 00:59:59+00', '1 second') t
UNION ALL
SELECT t, 1, -1, 3 FROM generate_series(timestamptz '2026-02-10 09:00+00', '2026-02-10 09:59:59+00', '1 second') t;
SELECT perfwatch_host_id('h2');
INSERT INTO cpu_samples (ts, host_id, cpu, usr)
SELECT t, perfwatch_host_id('h2'), -1, 5 FROM generate_series(timestamptz '2026-02-11 12:00+00', '2026-02-11 12:09:59+00', '1 second') t;

-- A zero budget does no rollup work and asks to be called again.
SELECT t.eq((perfwatch_maintain(interval '0')) ->> 'more', 'true', 'zero budget: more');
CREATE TEMP TABLE calls (n integer);
DO $$
DECLARE
	n integer := 0;
BEGIN
	LOOP
		n := n + 1;
		EXIT WHEN (perfwatch_maintain(interval '1 millisecond', interval '30 minutes')) ->> 'more' = 'false'
			  OR n > 1000;
	END LOOP;
	INSERT INTO calls VALUES (n);
END
$$;
SELECT t.check((SELECT n > 1 AND n < 1000 FROM calls), 'caught up in several bounded calls');
CREATE TEMP TABLE ids AS SELECT key, series_id FROM perfwatch_series_resolve('{cpu.usr:total}', 'h1');
SELECT t.eq((SELECT count(*) FROM rollup_1m JOIN ids USING (series_id)), 120::bigint,
	    '120 minute rows, none in the 8-hour gap');
SELECT t.eq((SELECT array_agg(sum / count ORDER BY bucket) FROM rollup_1h JOIN ids USING (series_id)),
	    '{1,3}'::float8[], 'two hour rows: 1 then 3');
SELECT t.check((SELECT done_1m >= '2026-02-10 10:00+00' FROM history_watermark w
		JOIN host h ON h.id = w.host_id WHERE h.name = 'h1' AND table_name = 'cpu_samples'),
	       'h1 watermark past its last row');
SELECT t.eq((SELECT count(*) FROM rollup_1m r JOIN series s ON s.id = r.series_id
	     JOIN host h ON h.id = s.host_id WHERE h.name = 'h2'), 10::bigint, 'h2 rolled up too');
-- Late data (written under an old watermark) needs a rebuild from its time.
UPDATE cpu_samples SET usr = 7 WHERE host_id = 1 AND ts >= '2026-02-10 00:30+00' AND ts < '2026-02-10 00:31+00';
SELECT perfwatch_maintain();
SELECT t.eq((SELECT sum / count FROM rollup_1m JOIN ids USING (series_id) WHERE bucket = '2026-02-10 00:30+00'),
	    1::float8, 'late change not seen before a rebuild');
SELECT t.check(perfwatch_history_rebuild('2026-02-10 00:00+00') > 0, 'rebuild moves the watermarks back');
DO $$
BEGIN
	WHILE (perfwatch_maintain()) ->> 'more' = 'true' LOOP
	END LOOP;
END
$$;
SELECT t.eq((SELECT sum / count FROM rollup_1m JOIN ids USING (series_id) WHERE bucket = '2026-02-10 00:30+00'),
	    7::float8, 'rebuild re-rolls the late minute');
SELECT t.eq((SELECT sum FROM rollup_1h JOIN ids USING (series_id) WHERE bucket = '2026-02-10 00:00+00'),
	    (59 * 60 * 1 + 60 * 7)::float8, 'and its hour');
