-- Data for the docs/sql.md cookbook (tests/sql/run.sh then runs every query of docs/sql.md as
-- perfwatch_reader): 8 days of generated samples at one a minute for host "cookbook", and one
-- planted 5-minute spike of cpu.usr:total 3 hours ago.
SELECT gen.fill('cookbook', date_bin('1 minute', now(), 'epoch') - interval '8 days',
		date_bin('1 minute', now(), 'epoch'), interval '60 seconds') > 0 AS filled;
UPDATE cpu_samples SET usr = 500
WHERE cpu = -1 AND ts >= date_bin('1 minute', now(), 'epoch') - interval '3 hours'
  AND ts < date_bin('1 minute', now(), 'epoch') - interval '3 hours' + interval '5 minutes';
SELECT (perfwatch_maintain(interval '5 minutes'))->>'more' AS more;
SELECT t.check((SELECT count(*) > 200 FROM series), 'over 200 series in the catalogue');
