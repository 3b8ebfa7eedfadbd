import { describe, expect, it } from 'vitest';
import { warmCharts, warmData, warmOptions } from './chartWarm';

describe('chart warm-up', () => {
	it('makes aligned data for every series of its options, the stacked one above the other', () => {
		const opts = warmOptions(400);
		const d = warmData(60, 3);
		expect(d.length).toBe(opts.series.length);
		for (const col of d)
			expect(col.length).toBe(60);
		const xs = d[0] as number[];
		for (let i = 1; i < xs.length; i++)
			expect(xs[i]).toBeGreaterThan(xs[i - 1]);
		const [a, b] = [d[1] as number[], d[2] as number[]];
		a.forEach((v, i) => expect(b[i]).toBeGreaterThanOrEqual(v));
		expect(opts.bands?.[0].series).toEqual([2, 1]);
	});

	it('does nothing without a document (and never builds a chart there)', async () => {
		let built = 0;
		const Fake = function () {
			built++;
		} as unknown as Parameters<typeof warmCharts>[0];
		await warmCharts(Fake, () => Promise.resolve());
		expect(built).toBe(0);
	});
});
