import { describe, expect, it } from 'vitest';
import { mapLimit, mergeQuery, queryPath } from './api';
import { TimeWindow } from './window';
import { backfillQueries } from './dashboard';

describe('queryPath', () => {
	it('builds the documented query string', () => {
		expect(queryPath({ metrics: ['cpu.usr', 'cpu.sys'], instance: 'total' }, 1000, 2000.5))
			.toBe('/api/v1/query?metric=cpu.usr,cpu.sys&instance=total&from=1000&to=2001');
		expect(queryPath({ metrics: ['mem.total_kb'] })).toBe('/api/v1/query?metric=mem.total_kb');
	});

	it('refuses more than 16 metrics or none', () => {
		expect(() => queryPath({ metrics: [] })).toThrow(RangeError);
		expect(() => queryPath({ metrics: Array(17).fill('cpu.usr') })).toThrow(RangeError);
	});

	it('stays within the API limits for the backfill', () => {
		const qs = backfillQueries([0, 1, 2], 'db-1');
		expect(qs.every((q) => q.metrics.length >= 1 && q.metrics.length <= 16)).toBe(true);
		expect(qs.every((q) => queryPath(q).includes('&host=db-1'))).toBe(true);
		expect(qs.filter((q) => q.instance === '2')).toHaveLength(1);
		expect(qs[0].instance).toBe('total');
	});
});

describe('mergeQuery', () => {
	it('merges series by timestamp and skips null points', () => {
		const w = new TimeWindow(300_000, 1000);
		w.upsert(3000, [['cpu.usr@total', 30]]);
		const kept = mergeQuery(w, {
			from: 0,
			to: 3000,
			series: [
				{ metric: 'cpu.usr', instance: 'total', unit: '%',
				  points: [[1000, 10], [2000, null], [3000, 31]] },
				{ metric: 'mem.total_kb', instance: null, unit: 'KiB', points: [[2000, 99]] },
				{ metric: 'cpu.idle', instance: '1', unit: '%', points: [[2000, 50]] },
			],
		});
		expect(kept).toBe(4);
		expect(w.ts).toEqual([1000, 2000, 3000]);
		expect(w.column('cpu.usr@total')).toEqual([10, null, 31]);
		expect(w.column('mem.total_kb')).toEqual([null, 99, null]);
		expect(w.column('cpu.idle@1')).toEqual([null, 50, null]);
	});
});

describe('mapLimit', () => {
	it('keeps order and never runs more than the limit at once', async () => {
		let running = 0;
		let peak = 0;
		const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
			running++;
			peak = Math.max(peak, running);
			await new Promise((r) => setTimeout(r, x));
			running--;
			return x * 10;
		});
		expect(out).toEqual([50, 10, 40, 20, 30]);
		expect(peak).toBe(2);
	});
});
