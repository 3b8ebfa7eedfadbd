import { describe, expect, it } from 'vitest';
import { lowerBound, TimeWindow } from './window';

const row = (o: Record<string, number>) => Object.entries(o);

describe('TimeWindow', () => {
	it('appends ticks in order and aligns columns', () => {
		const w = new TimeWindow(10_000, 100);
		w.upsert(1000, row({ a: 1 }));
		w.upsert(2000, row({ a: 2, b: 20 }));
		expect(w.ts).toEqual([1000, 2000]);
		expect(w.column('a')).toEqual([1, 2]);
		expect(w.column('b')).toEqual([null, 20]);
		expect(w.column('missing')).toEqual([null, null]);
		expect(w.lastTs).toBe(2000);
		expect(w.latest('b')).toBe(20);
	});

	it('merges backfilled points into gaps and overwrites the same tick', () => {
		const w = new TimeWindow(60_000, 100);
		w.upsert(1000, row({ a: 1 }));
		w.upsert(4000, row({ a: 4 }));
		w.upsert(2000, row({ a: 2 }));
		w.upsert(3000, row({ b: 30 }));
		w.upsert(3000, row({ a: 3 }));
		w.upsert(4000, row({ b: 40 }));
		expect(w.ts).toEqual([1000, 2000, 3000, 4000]);
		expect(w.column('a')).toEqual([1, 2, 3, 4]);
		expect(w.column('b')).toEqual([null, null, 30, 40]);
	});

	it('drops what falls out of the span and refuses ticks older than it', () => {
		const w = new TimeWindow(5000, 100);
		for (let t = 0; t <= 10_000; t += 1000)
			w.upsert(t, row({ a: t }));
		expect(w.firstTs).toBe(5000);
		expect(w.length).toBe(6);
		expect(w.upsert(1000, row({ a: -1 }))).toBe(false);
		expect(w.ts).not.toContain(1000);
		w.trim(12_500);
		expect(w.firstTs).toBe(8000);
	});

	it('never holds more than its capacity', () => {
		const w = new TimeWindow(1e9, 3);
		for (let t = 1; t <= 10; t++)
			w.upsert(t, row({ a: t, b: -t }));
		expect(w.ts).toEqual([8, 9, 10]);
		expect(w.column('a')).toEqual([8, 9, 10]);
		expect(w.column('b')).toEqual([-8, -9, -10]);
	});

	it('rejects a non-positive span or capacity', () => {
		expect(() => new TimeWindow(0, 10)).toThrow(RangeError);
		expect(() => new TimeWindow(10, 0)).toThrow(RangeError);
	});
});

describe('lowerBound', () => {
	it('finds the first index not below x', () => {
		const a = [1, 3, 3, 5];
		expect(lowerBound(a, 0)).toBe(0);
		expect(lowerBound(a, 3)).toBe(1);
		expect(lowerBound(a, 4)).toBe(3);
		expect(lowerBound(a, 6)).toBe(4);
		expect(lowerBound([], 1)).toBe(0);
	});
});

describe('TimeWindow.mergeSeries', () => {
	/* The reference: the same points upserted one by one. */
	const oneByOne = (w: TimeWindow, key: string, pts: [number, number][]) => {
		for (const [t, v] of pts)
			w.upsert(t, [[key, v]]);
	};
	const same = (a: TimeWindow, b: TimeWindow) => {
		expect(a.ts).toEqual(b.ts);
		expect(a.keys().sort()).toEqual(b.keys().sort());
		for (const k of a.keys())
			expect(a.column(k)).toEqual(b.column(k));
	};

	it('equals upserting each point: appends, fills gaps, inserts rows, later duplicates win', () => {
		const a = new TimeWindow(60_000, 1000);
		const b = new TimeWindow(60_000, 1000);
		for (const w of [a, b]) {
			w.upsert(1000, [['x', 1]]);
			w.upsert(3000, [['x', 3], ['y', 30]]);
		}
		const pts: [number, number][] = [[500, 5], [1000, 10], [2000, 20], [2000, 21], [3000, 30], [6000, 60]];
		expect(a.mergeSeries('y', pts)).toBe(6);
		oneByOne(b, 'y', pts);
		same(a, b);
		expect(a.ts).toEqual([500, 1000, 2000, 3000, 6000]);
		expect(a.column('x')).toEqual([null, 1, null, 3, null]);
		expect(a.column('y')).toEqual([5, 10, 21, 30, 60]);
	});

	it('sorts unsorted points and leaves out those older than the span', () => {
		const a = new TimeWindow(10_000, 1000);
		const b = new TimeWindow(10_000, 1000);
		const pts: [number, number][] = [[30_000, 3], [1000, 1], [25_000, 2.5], [20_000, 2]];
		expect(a.mergeSeries('k', pts)).toBe(3);
		oneByOne(b, 'k', [...pts].sort((x, y) => x[0] - y[0]));
		same(a, b);
		expect(a.ts).toEqual([20_000, 25_000, 30_000]);
	});

	it('keeps the capacity bound', () => {
		const w = new TimeWindow(1e9, 4);
		w.mergeSeries('a', [[1, 1], [2, 2], [3, 3]]);
		w.mergeSeries('b', [[4, 4], [5, 5], [6, 6]]);
		expect(w.ts).toEqual([3, 4, 5, 6]);
		expect(w.column('a')).toEqual([3, null, null, null]);
		expect(w.column('b')).toEqual([null, 4, 5, 6]);
		expect(w.mergeSeries('c', [])).toBe(0);
	});
});
