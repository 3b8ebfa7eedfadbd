import { describe, expect, it } from 'vitest';
import { heatGrid, heatLayout } from './canvasViews';
import { coreLayers, CORE_LINES_MAX } from './shape';
import { TimeWindow } from './window';

describe('heatLayout', () => {
	it('gives a few cores tall rows with every label, 128 cores 4 px rows labelled every 4th', () => {
		expect(heatLayout(2)).toMatchObject({ rowH: 28, labelEvery: 1, groupEvery: 0, plotH: 56 });
		const big = heatLayout(128);
		expect(big.rowH).toBe(4);
		expect(big.plotH).toBe(512);
		expect(big.labelEvery * big.rowH).toBeGreaterThanOrEqual(14);
		expect(big.labelEvery).toBe(4);
		expect(big.groupEvery).toBe(8);
		/* Labels at least 14 px apart at any core count. */
		for (const n of [1, 3, 8, 16, 24, 48, 64, 96, 128, 256]) {
			const l = heatLayout(n);
			expect(l.rowH * l.labelEvery).toBeGreaterThanOrEqual(14);
			expect(l.rowH).toBeGreaterThanOrEqual(4);
		}
	});
});

describe('heatGrid', () => {
	it('keeps the highest value of a bucket and which tick it came from', () => {
		const ts = [1000, 1500, 2000, 3000];
		const rows = [[10, 50, 20, 5], [null, 1, 2, 3]];
		/* 4 buckets of 1 s from 0 to 4000 (end 4000, span 4000). */
		const g = heatGrid({ ts, rows, spanMs: 4000, end: 4000 }, 2, 4);
		expect(g.t0).toBe(0);
		expect(g.bucketMs).toBe(1000);
		expect([...g.grid.slice(0, 4)]).toEqual([-1, 50, 20, 5]);
		expect([...g.src.slice(0, 4)]).toEqual([-1, 1, 2, 3]);
		expect([...g.grid.slice(4)]).toEqual([-1, 1, 2, 3]);
	});

	it('carries a value over buckets narrower than the data step', () => {
		const g = heatGrid({ ts: [0, 4000], rows: [[10, 20]], spanMs: 8000, end: 8000 }, 1, 8);
		/* Step 4 s, buckets 1 s: each value stands for 3 more buckets. */
		expect([...g.grid]).toEqual([10, 10, 10, 10, 20, 20, 20, 20]);
		expect([...g.src]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
	});
});

describe('coreLayers', () => {
	const win = (cores: number, busy: (c: number, t: number) => number | null) => {
		const w = new TimeWindow(1e9, 100);
		for (let t = 0; t < 3; t++) {
			const row: [string, number][] = [];
			for (let c = 0; c < cores; c++) {
				const b = busy(c, t);
				if (b !== null)
					row.push([`cpu.idle@${c}`, 100 - b], [`cpu.iowait@${c}`, 0]);
			}
			w.upsert(t * 1000, row);
		}
		return w;
	};

	it('draws a line per core up to CORE_LINES_MAX cores', () => {
		const layers = coreLayers(win(4, (c, t) => c * 10 + t));
		expect(layers.map((l) => l.label)).toEqual(['cpu0', 'cpu1', 'cpu2', 'cpu3']);
		expect(layers[3].values).toEqual([30, 31, 32]);
	});

	it('draws the busiest, mean and least busy core beyond that', () => {
		const n = 128;
		expect(n).toBeGreaterThan(CORE_LINES_MAX);
		/* Core c is c % 100 busy; at t = 2 only cores 0 and 1 report. */
		const layers = coreLayers(win(n, (c, t) => (t === 2 && c > 1 ? null : c % 100)));
		expect(layers.map((l) => l.label)).toEqual(['busiest of 128 cores', 'mean of 128 cores', 'least busy of 128 cores']);
		const all = Array.from({ length: n }, (_, c) => c % 100);
		const mean = all.reduce((a, b) => a + b, 0) / n;
		expect(layers[0].values).toEqual([99, 99, 1]);
		expect(layers[1].values[0]).toBeCloseTo(mean, 10);
		expect(layers[1].values[2]).toBe(0.5);
		expect(layers[2].values).toEqual([0, 0, 0]);
	});
});
