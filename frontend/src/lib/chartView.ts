/* One uPlot chart bound to a DOM element: built from a spec, redrawn from the time window. */

import uPlot from 'uplot';
import { stack, type Layer } from './shape';
import type { TimeWindow } from './window';
import { fmtTrend, trendColumn, type Trend } from './trend';
import { themedAxis, type Theme } from './theme';

export { themeFor, type Theme } from './theme';

export interface ChartSpec {
	id: string;
	title: string;
	/* Formats a y value for the legend, and for the axis unless axisFmt is given. */
	fmt: (v: number) => string;
	axisFmt?: (v: number) => string;
	/* Stacked areas (bottom layer first) instead of lines. */
	stacked?: boolean;
	/* Fixed or computed y range; default: 0 to the data's max. */
	yRange?: (win: TimeWindow, dataMax: number) => [number, number];
	/* Which layers gets a light area fill when not stacked. */
	fillFirst?: boolean;
	/* Layers with a dashed line. */
	dashed?: string[];
	/* Y axis tick increments (uPlot picks the first that fits); default: decimal. */
	yIncrs?: number[];
	layers: (win: TimeWindow) => Layer[];
	/* Compare overlay (the shifted window, `<key>~cmp` columns); default: one per keyed layer. */
	overlay?: (win: TimeWindow) => Layer[];
}

/* A shaded span on the time axis with its explanation (an anomaly from the history API). */
export interface Marker {
	start: number;
	end: number;
	text: string;
}

/* What every chart shares: the cursor, and drag-to-zoom; onSized: the element got a width. */
export interface ChartHooks {
	onZoom?: (fromMs: number, toMs: number) => void;
	onSized?: () => void;
}

/* Default overlay: the shifted twin of every layer that is one window column. */
export function defaultOverlay(layers: Layer[], win: TimeWindow): Layer[] {
	const out: Layer[] = [];
	for (const l of layers)
		if (l.key && win.has(`${l.key}~cmp`))
			out.push({ label: `${l.label} ·`, color: l.color, values: win.column(`${l.key}~cmp`) });
	return out;
}

export function alpha(hex: string, a: number): string {
	const h = hex.replace('#', '');
	const n = parseInt(h.length === 3 ? h.replace(/./g, '$&$&') : h, 16);
	return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

const HEIGHT = 200;
const MAX_LEGEND = 16;

const pad2 = (n: number) => String(n).padStart(2, '0');

/* Axis time label in the browser's time zone, 24-hour: "14:05", or "14:05:30" off the minute. */
export function clock(sec: number): string {
	const d = new Date(sec * 1000);
	const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
	return d.getSeconds() ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

export class ChartView {
	private plot: uPlot | null = null;
	/* The first draw of a chart built by update(), until finishBuild(). */
	private pendingInit: (() => void) | null = null;
	private signature = '';
	private raw: Layer[] = [];
	private readonly el: HTMLElement;
	private readonly spec: ChartSpec;
	private theme: Theme;
	private resizeObs: ResizeObserver;
	private spanSec: number;
	private hovering = false;
	/* Fixed x range in seconds (history), or null: the newest `spanSec` (live). */
	private xRange: [number, number] | null = null;
	/* Label of the compare overlay ("yesterday"), or null for none. */
	private compareLabel: string | null = null;
	private markers: Marker[] = [];
	private markerEls: HTMLElement[] = [];
	/* The fitted trend of the main series (history ranges ≥ 24 h), and that series' window key. */
	private trend: { key: string; t: Trend } | null = null;
	private readonly hooks: ChartHooks;

	constructor(el: HTMLElement, spec: ChartSpec, theme: Theme, spanMs: number, hooks: ChartHooks = {}) {
		this.el = el;
		this.spec = spec;
		this.theme = theme;
		this.hooks = hooks;
		this.spanSec = spanMs / 1000;
		/* The width comes from the observer (after layout), never read from the element while
		 * drawing: a read after DOM changes would force a layout in the middle of the work. */
		this.resizeObs = new ResizeObserver((entries) => {
			const e = entries[entries.length - 1];
			this.onWidth(Math.floor(e.contentRect.width));
		});
		this.resizeObs.observe(el);
	}

	/* CSS width of the element (0 before its first layout, or while hidden). */
	private cssW = 0;

	get sized(): boolean {
		return this.cssW > 0;
	}

	get element(): HTMLElement {
		return this.el;
	}

	setTheme(theme: Theme): void {
		this.theme = theme;
		this.signature = '';
	}

	get id(): string {
		return this.spec.id;
	}

	/* How many layers had at least one value at the last update, and how many are overlays. */
	layersWithData = 0;
	overlayCount = 0;

	/* Live: the newest spanMs; history: [fromMs, toMs]. */
	setRange(range: [number, number] | null, spanMs: number): void {
		this.xRange = range ? [range[0] / 1000, range[1] / 1000] : null;
		this.spanSec = spanMs / 1000;
		this.signature = '';
	}

	get width(): number {
		return this.plot?.width ?? this.cssW;
	}

	/* The window columns this chart draws (anomaly markers go where their series is). */
	layerKeys(): string[] {
		return this.raw.map((l) => l.key).filter((k): k is string => !!k);
	}

	/* The window columns this chart would draw from win (before it drew anything). */
	keysFor(win: TimeWindow): string[] {
		return this.spec.layers(win).map((l) => l.key).filter((k): k is string => !!k);
	}

	setCompare(label: string | null): void {
		this.compareLabel = label;
	}

	/*
	 * Anomaly markers. `redraw` false: drawn at the chart's next draw, which the caller asks for
	 * (the dashboard's sliced pass: every chart redrawn at once here was one long task).
	 */
	setMarkers(m: Marker[], redraw = true): void {
		const had = this.markers.length > 0;
		this.markers = m;
		if (redraw && !this.pendingInit && (had || m.length > 0))
			this.plot?.redraw(false, false);
	}

	setTrend(key: string | null, t: Trend | null): void {
		this.trend = key && t ? { key, t } : null;
		/* The caption goes at once (the chart itself is redrawn in a later slice). */
		if (!this.trend)
			this.el.querySelector('.trend-caption')?.remove();
	}

	/* Rebuilds the data from the window and repaints; returns the number of points drawn. */
	update(win: TimeWindow): number {
		const base = this.spec.layers(win);
		this.layersWithData = base.filter((l) => l.values.some((v) => v !== null && v !== undefined)).length;
		const over = this.compareLabel ?
			(this.spec.overlay ? this.spec.overlay(win) : defaultOverlay(base, win))
				.map((l) => ({ ...l, label: `${l.label.replace(/ ·$/, '')} (${this.compareLabel})` })) : [];
		const tr = this.trend;
		const trendBase = tr ? base.find((l) => l.key === tr.key) : undefined;
		if (tr && trendBase)
			over.push({ label: fmtTrend(tr.t, this.spec.fmt), color: trendBase.color,
				values: trendColumn(win.ts, trendBase.values, tr.t) });
		const layers = [...base, ...over];
		this.overlayCount = over.length;
		this.raw = layers;
		/* Without a width (not laid out yet, or a hidden card) only the layer count is kept; the
		 * chart is built when the observer reports a width (hooks.onSized). */
		if (!this.sized) {
			this.pendingInit = null;
			this.plot?.destroy();
			this.plot = null;
			this.el.replaceChildren();
			return win.length;
		}
		const sig = `${layers.map((l) => l.label).join('|')}#${this.xRange ? 'h' : 'l'}`;
		const xs = win.ts.map((t) => t / 1000);
		const ys = this.spec.stacked ? [...stack(base.map((l) => l.values)), ...over.map((l) => l.values)] :
			layers.map((l) => l.values);
		const data = [xs, ...ys] as uPlot.AlignedData;
		this.finishBuild();
		if (sig !== this.signature || !this.plot) {
			this.plot?.destroy();
			this.el.replaceChildren();
			/*
			 * Built in two pieces: uPlot's DOM, series and axes now; its first draw (and the
			 * canvas put on the page) in finishBuild(), which the dashboard calls in its next
			 * slice. Both in one task were 20-30 ms of CPU per chart during the page load.
			 */
			let init: (() => void) | null = null;
			const plot = new uPlot(this.options(layers, win), data, (_u, go) => {
				init = go as () => void;
			});
			this.plot = plot;
			this.pendingInit = () => {
				this.pendingInit = null;
				if (this.plot !== plot)
					return;
				this.el.insertBefore(plot.root, this.el.firstChild);
				(init as (() => void) | null)?.();
				if (!this.hovering)
					this.showLatest();
			};
			this.signature = sig;
			this.hovering = false;
			if (tr && trendBase) {
				const cap = document.createElement('div');
				cap.className = 'trend-caption';
				cap.dataset.testid = 'trend';
				cap.dataset.series = tr.t.series;
				cap.dataset.slope = String(tr.t.slopePerDay);
				cap.dataset.ci = String(tr.t.ci95PerDay);
				cap.dataset.r2 = String(tr.t.r2);
				cap.textContent = `${trendBase.label}: ${fmtTrend(tr.t, this.spec.fmt)}`;
				this.el.appendChild(cap);
			}
			this.plot.over.addEventListener('mouseenter', () => {
				this.hovering = true;
			});
			this.plot.over.addEventListener('mouseleave', () => {
				this.hovering = false;
				this.showLatest();
			});
		} else {
			const width = Math.max(200, this.cssW);
			if (width !== this.plot.width)
				this.plot.setSize({ width, height: HEIGHT });
			this.plot.setData(data, true);
		}
		if (!this.hovering && !this.pendingInit)
			this.showLatest();
		return xs.length;
	}

	/* update() built a new chart whose first draw is still to come (finishBuild()). */
	get pending(): boolean {
		return this.pendingInit !== null;
	}

	/* Draws a chart update() built (its canvas goes on the page); nothing when none waits. */
	finishBuild(): void {
		this.pendingInit?.();
	}

	/* Anomalies: a shaded band on the plot and, over it, an element whose title explains it. */
	private drawMarkers(u: uPlot): void {
		for (const el of this.markerEls)
			el.remove();
		this.markerEls = [];
		if (!this.markers.length)
			return;
		const ctx = u.ctx;
		const { left, top, width, height } = u.bbox;
		const dpr = window.devicePixelRatio || 1;
		ctx.save();
		ctx.fillStyle = 'rgba(239,68,68,0.14)';
		for (const m of this.markers) {
			const x0 = Math.max(left, u.valToPos(m.start / 1000, 'x', true));
			const x1 = Math.min(left + width, u.valToPos(m.end / 1000, 'x', true));
			if (x1 < left || x0 > left + width)
				continue;
			const w = Math.max(2 * dpr, x1 - x0);
			ctx.fillRect(x0, top, w, height);
			const el = document.createElement('div');
			el.className = 'anomaly';
			el.dataset.testid = 'anomaly-marker';
			el.title = m.text;
			el.style.left = `${(x0 - left) / dpr}px`;
			el.style.width = `${Math.max(6, w / dpr)}px`;
			u.over.appendChild(el);
			this.markerEls.push(el);
		}
		ctx.restore();
	}

	/* Without a cursor on the chart, the legend shows the newest values. */
	private showLatest(): void {
		const n = this.plot?.data[0].length ?? 0;
		if (this.plot && n > 0)
			this.plot.setLegend({ idx: n - 1 });
	}

	/* Removes the chart (an empty window shows the card's placeholder instead). */
	clear(): void {
		this.layersWithData = 0;
		this.pendingInit = null;
		this.plot?.destroy();
		this.plot = null;
		this.el.replaceChildren();
	}

	destroy(): void {
		this.resizeObs.disconnect();
		this.pendingInit = null;
		this.plot?.destroy();
		this.plot = null;
	}

	private onWidth(w: number): void {
		if (w === this.cssW)
			return;
		this.cssW = w;
		/* Not resized here: the dashboard redraws it in its next slice (update()), so twenty charts
		 * resized together (a window resize, a scroll bar appearing) are not one long task. */
		if (w > 0)
			this.hooks.onSized?.();
	}

	private options(layers: Layer[], win: TimeWindow): uPlot.Options {
		const { spec, theme } = this;
		const fmt = spec.fmt;
		const legendValue = (_u: uPlot, _v: number | null, si: number, di: number | null) => {
			const raw = di === null ? null : this.raw[si - 1]?.values[di];
			return raw === null || raw === undefined ? '–' : fmt(raw);
		};
		const series: uPlot.Series[] = [{ value: (_u, v) => (v === null ? '–' : clock(v)) }];
		const nBase = layers.length - this.overlayCount;
		layers.forEach((l, i) => {
			const isOverlay = i >= nBase;
			const s: uPlot.Series = {
				label: l.label,
				stroke: l.color,
				width: 1.5,
				points: { show: false },
				value: legendValue,
			};
			/* Stacked layers are areas only: the edge of a layer that is 0 would hide the one below. */
			if (isOverlay) {
				s.spanGaps = true;
				s.stroke = alpha(l.color, 0.9);
				s.dash = [3, 3];
				s.width = 1.25;
			} else if (spec.stacked) {
				s.fill = alpha(l.color, 0.75);
				s.width = 0;
			}
			else if (spec.fillFirst && i === 0)
				s.fill = alpha(l.color, 0.15);
			if (spec.dashed?.includes(l.label))
				s.dash = [6, 4];
			if (isOverlay && this.trend && l.label.startsWith('trend ')) {
				s.dash = [10, 5];
				s.width = 1.5;
			}
			series.push(s);
		});
		const bands: uPlot.Band[] = [];
		if (spec.stacked)
			for (let i = 2; i <= nBase; i++)
				bands.push({ series: [i, i - 1] });
		const axis = (extra: Partial<uPlot.Axis>): uPlot.Axis => themedAxis(theme, extra);
		const span = this.spanSec;
		return {
			width: Math.max(200, this.cssW),
			height: HEIGHT,
			series,
			bands,
			/* A legend for dozens of cores would be taller than the plot: above 16 series, none. */
			legend: { live: true, show: layers.length <= MAX_LEGEND },
			cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 },
				sync: { key: 'perfwatch', setSeries: false } },
			hooks: {
				setSelect: [(u) => {
					const sel = u.select;
					if (sel.width > 4 && this.hooks.onZoom) {
						const a = u.posToVal(sel.left, 'x');
						const b = u.posToVal(sel.left + sel.width, 'x');
						this.hooks.onZoom(a * 1000, b * 1000);
					}
					u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
				}],
				draw: [(u) => this.drawMarkers(u)],
			},
			scales: {
				x: {
					time: true,
					range: (_u, _min, max) => {
						if (this.xRange)
							return this.xRange;
						const end = max ?? Date.now() / 1000;
						return [end - span, end];
					},
				},
				y: {
					range: (_u, _min, max) => spec.yRange ? spec.yRange(win, max) :
						[0, max > 0 ? max * 1.1 : 1],
				},
			},
			axes: [
				axis({ space: 70, values: (_u, splits) => splits.map((v) => {
					const sp = this.xRange ? this.xRange[1] - this.xRange[0] : span;
					if (sp <= 36 * 3600)
						return clock(v);
					const d = new Date(v * 1000);
					return `${d.getMonth() + 1}/${d.getDate()} ${clock(v).slice(0, 5)}`;
				}) }),
				axis({
					size: 64,
					values: (_u, splits) => splits.map(spec.axisFmt ?? fmt),
					...(spec.yIncrs ? { incrs: spec.yIncrs } : {}),
				}),
			],
		};
	}
}
