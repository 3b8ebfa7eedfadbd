import { describe, expect, it } from 'vitest';
import { fmtTrend, parseTrends, trendColumn, trendPath, trendWindow, type Trend } from './trend';

const H = 3600e3;
const D = 24 * H;

describe('trend window and request', () => {
	it('asks for trends only from 24 h on, over the range ending at its end', () => {
		expect(trendWindow({ name: '6h', from: 0, to: 6 * H })).toBeNull();
		expect(trendWindow({ name: '24h', from: 1000, to: 1000 + D })).toBe('1440m');
		expect(trendWindow({ name: 'custom', from: 0, to: 49 * H })).toBe('2940m');
		expect(trendPath(['cpu.usr:total', 'mem.available_kb'], { name: '7d', from: 5, to: 5 + 7 * D + 0.4 }, 'h1'))
			.toBe(`/api/v1/trends?series=cpu.usr:total,mem.available_kb&window=10080m&to=${5 + 7 * D + 1}&host=h1`);
		expect(trendPath([], { name: '7d', from: 0, to: 7 * D })).toBeNull();
		expect(trendPath(['a'], { name: '1h', from: 0, to: H })).toBeNull();
	});
});

describe('parseTrends', () => {
	it('keeps the API numbers and the fitted window, drops series without a slope', () => {
		const t = parseTrends({ to: 10 * D, window_s: 86400, trends: [
			{ series: 'cpu.usr:total', slope_per_day: 3.2, ci95_per_day: 0.5, r2: 0.81, mean: 20, significant: true },
			{ series: 'load.load1', slope_per_day: null, ci95_per_day: null, r2: null, mean: 1, significant: false },
		] });
		expect(t).toEqual([{ series: 'cpu.usr:total', slopePerDay: 3.2, ci95PerDay: 0.5, r2: 0.81, mean: 20,
			significant: true, from: 9 * D, to: 10 * D }]);
		expect(parseTrends({ trends: [] })).toEqual([]);
	});
});

describe('fmtTrend', () => {
	const t: Trend = { series: 's', slopePerDay: -3.21, ci95PerDay: 0.5, r2: 0.814, mean: 0, significant: true, from: 0, to: D };
	it('signs the slope, formats it with the chart format and gives r²', () => {
		expect(fmtTrend(t, (v) => `${v.toFixed(1)} %`)).toBe('trend −3.2 %/day ±0.5 %, r²=0.81');
		expect(fmtTrend({ ...t, slopePerDay: 0.2, significant: false, r2: null, ci95PerDay: null }, (v) => v.toFixed(1)))
			.toBe('trend +0.2/day (not significant)');
	});
});

describe('trendColumn', () => {
	it('goes through the mean at the mean time of the drawn points, with the slope per day', () => {
		const ts = [0, D / 2, D, 2 * D];
		const t: Trend = { series: 's', slopePerDay: 4, ci95PerDay: 0, r2: 1, mean: 10, significant: true, from: 0, to: D };
		/* Points at 0 and D/2 inside the window: mean time D/4. The point at 2 D is outside. */
		const col = trendColumn(ts, [1, 2, null, 5], t);
		expect(col[0]).toBeCloseTo(9);
		expect(col[1]).toBeCloseTo(11);
		expect(col[2]).toBeCloseTo(13);
		expect(col[3]).toBeNull();
	});
	it('is empty when the series has no point in the window', () => {
		const t: Trend = { series: 's', slopePerDay: 1, ci95PerDay: 0, r2: 1, mean: 1, significant: true, from: 0, to: D };
		expect(trendColumn([0, D], [null, null], t)).toEqual([null, null]);
	});
});
