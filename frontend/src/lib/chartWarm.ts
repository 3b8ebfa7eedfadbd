/*
 * uPlot's first chart of a page, a small one thrown away, built before the range's history
 * arrives: the page's first real chart cost about twice a later one (uPlot's functions compiled
 * on their first call, the canvas's first font, the first stacked paths), one task of 24-31 ms of
 * CPU at the load. Here that first time is spread over three tasks: the chart's DOM and options,
 * its first draw, a second draw with new data.
 */

import type uPlot from 'uplot';
import { themeFor, themedAxis } from './theme';

type UPlotCtor = typeof uPlot;

/* A small stacked chart like the CPU chart: filled bands, two axes, a legend, the cursor. */
export function warmOptions(width: number): uPlot.Options {
	const th = themeFor(false);
	const axis = (extra: Partial<uPlot.Axis>): uPlot.Axis => themedAxis(th, extra);
	return {
		width,
		height: 120,
		series: [{}, { label: 'a', stroke: '#3b82f6', fill: 'rgba(59,130,246,0.75)', width: 0 },
			{ label: 'b', stroke: '#ef4444', fill: 'rgba(239,68,68,0.75)', width: 0 },
			{ label: 'c', stroke: '#10b981', width: 1.5, dash: [6, 4] }],
		bands: [{ series: [2, 1] }],
		legend: { live: true, show: true },
		cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
		scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
		axes: [axis({ space: 70 }), axis({ size: 64, values: (_u, splits) => splits.map((v) => `${Math.round(v)}%`) })],
	};
}

/* `n` points a second apart ending now (seconds), three made-up series; the second stacked on the first. */
export function warmData(n: number, seed: number): uPlot.AlignedData {
	const t0 = Math.floor(Date.now() / 1000) - n;
	const xs: number[] = [];
	const a: number[] = [];
	const b: number[] = [];
	const c: number[] = [];
	for (let i = 0; i < n; i++) {
		xs.push(t0 + i);
		a.push((i * 7 + seed) % 10);
		b.push(a[i] + ((i * 3 + seed) % 5));
		c.push((i + seed) % 4);
	}
	return [xs, a, b, c];
}

/*
 * Builds the chart off screen (hidden, out of the page's layout), draws it twice and destroys it,
 * a yield before each step. Errors are swallowed: this is only a head start.
 */
export async function warmCharts(U: UPlotCtor, yld: () => Promise<void>): Promise<void> {
	if (typeof document === 'undefined')
		return;
	const el = document.createElement('div');
	el.setAttribute('aria-hidden', 'true');
	el.style.cssText = 'position:fixed;left:-10000px;top:0;width:400px;height:200px;visibility:hidden;' +
		'pointer-events:none;contain:strict';
	let plot: uPlot | null = null;
	try {
		await yld();
		performance.mark('pw-warm');
		document.body.appendChild(el);
		let init: (() => void) | null = null;
		/* A function as the third argument: uPlot builds its DOM and waits for init() to draw. */
		plot = new U(warmOptions(400), warmData(60, 0), (_u, go) => {
			init = go as () => void;
		});
		await yld();
		el.appendChild(plot.root);
		(init as (() => void) | null)?.();
		await Promise.resolve();
		await yld();
		plot.setData(warmData(90, 3));
		await Promise.resolve();
	} catch {
		/* the real charts do the same work, later */
	} finally {
		plot?.destroy();
		el.remove();
		performance.mark('pw-warm-done');
	}
}
