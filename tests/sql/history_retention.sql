-- Retention drops exactly the partitions whose whole range is past each tier's retention, never
-- raw data that is not rolled up yet, and nothing else.
SELECT perfwatch_host_id('h1');
-- Raw and tick partitions 2026-06-01 .. 2026-06-17; 1m partitions 2026-03-10 .. 2026-03-20 and
-- 2026-06-14 .. 2026-06-16; 1h partitions 2024-04 .. 2024-07.
SELECT perfwatch_create_partitions('2026-06-01', 16);
SELECT perfwatch_history_partitions('rollup_1m', '2026-03-10', '2026-03-21');
SELECT perfwatch_history_partitions('rollup_1m', '2026-06-14', '2026-06-17');
SELECT perfwatch_history_partitions('rollup_1h', '2024-04-01', '2024-08-01');
INSERT INTO cpu_samples (ts, host_id, cpu, usr)
SELECT t, 1, -1, 1 FROM generate_series(timestamptz '2026-06-01', '2026-06-17 23:00', '1 hour') t;
CREATE TEMP TABLE before AS
SELECT tbl, t.parts(tbl) AS parts FROM unnest('{cpu_samples,memory_samples,load_samples,tick_samples,rollup_1m,rollup_1h}'::text[]) tbl;
CREATE TEMP TABLE other_tables AS
SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v')
  AND NOT relispartition;

-- Host 1 is behind: its cpu rows after 2026-06-03 00:00 are not rolled up.
INSERT INTO history_watermark VALUES ('cpu_samples', 1, '2026-06-03 00:00+00', '2026-06-03 00:00+00');
SELECT perfwatch_history_retention('2026-06-15 12:00+00');
SELECT t.eq(t.parts('cpu_samples'),
	    ARRAY(SELECT p FROM before, unnest(parts) p WHERE before.tbl = 'cpu_samples' AND p >= 'cpu_samples_20260603'),
	    'cpu raw: partitions not rolled up yet are kept (cutoff = watermark 06-03)');
SELECT t.eq(t.parts('memory_samples'),
	    ARRAY(SELECT p FROM before, unnest(parts) p WHERE before.tbl = 'memory_samples' AND p >= 'memory_samples_20260608'),
	    'memory raw: 7 days kept, 06-01 .. 06-07 dropped');
SELECT t.eq(t.parts('tick_samples'),
	    ARRAY(SELECT p FROM before, unnest(parts) p WHERE before.tbl = 'tick_samples' AND p >= 'tick_samples_20260608'),
	    'tick_samples follows the raw tier');
SELECT t.eq(t.parts('rollup_1m'),
	    ARRAY(SELECT p FROM before, unnest(parts) p WHERE before.tbl = 'rollup_1m' AND p >= 'rollup_1m_20260317'),
	    '1m: 90 days kept (cutoff 03-17 12:00), 03-10 .. 03-16 dropped');
SELECT t.eq(t.parts('rollup_1h'),
	    ARRAY(SELECT p FROM before, unnest(parts) p WHERE before.tbl = 'rollup_1h' AND p >= 'rollup_1h_202406'),
	    '1h: 2 years kept (cutoff 2024-06-15 12:00), 2024-04 and 2024-05 dropped');
SELECT t.eq((SELECT count(*) FROM cpu_samples), (17 - 2) * 24::bigint,
	    'rows of kept partitions untouched');

-- Caught up: the cpu partitions older than 7 days go too.
UPDATE history_watermark SET done_1m = '2026-06-18 00:00+00', done_1h = '2026-06-18 00:00+00';
SELECT perfwatch_history_retention('2026-06-15 12:00+00');
SELECT t.eq(t.parts('cpu_samples'),
	    ARRAY(SELECT p FROM before, unnest(parts) p WHERE before.tbl = 'cpu_samples' AND p >= 'cpu_samples_20260608'),
	    'cpu raw: dropped once rolled up');
-- A host that stopped long ago (old watermark, nothing after it) holds nothing back.
INSERT INTO host (name) VALUES ('gone');
INSERT INTO history_watermark SELECT 'memory_samples', id, '2026-05-01', '2026-05-01' FROM host WHERE name = 'gone';
SELECT perfwatch_history_retention('2026-06-16 12:00+00');
SELECT t.eq((t.parts('memory_samples'))[1], 'memory_samples_20260609', 'stopped host does not pin raw partitions');
-- A 1h rollup behind holds 1m partitions back.
INSERT INTO history_watermark SELECT 'load_samples', id, '2026-03-18 10:00', '2026-03-18 00:00' FROM host WHERE name = 'gone';
SELECT perfwatch_history_retention('2026-06-20 12:00+00');
SELECT t.eq((t.parts('rollup_1m'))[1], 'rollup_1m_20260318', '1m partitions wait for the hour rollup');
SELECT t.eq(ARRAY(SELECT relname::text FROM other_tables ORDER BY 1),
	    ARRAY(SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
		  AND relkind IN ('r', 'p', 'v') AND NOT relispartition ORDER BY 1),
	    'no other table or view dropped');
