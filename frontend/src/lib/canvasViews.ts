/* Canvas drawings that uPlot does not do: tile sparklines and the per-core heatmap. */

import type { Column } from './window';
import { heatRgb } from './panels';
import { fmtClock } from './timefmt';

function fit(canvas: HTMLCanvasElement, cssW: number, cssH: number): CanvasRenderingContext2D | null {
	const dpr = window.devicePixelRatio || 1;
	const w = Math.max(1, Math.round(cssW * dpr));
	const h = Math.max(1, Math.round(cssH * dpr));
	if (canvas.width !== w || canvas.height !== h) {
		canvas.width = w;
		canvas.height = h;
	}
	const ctx = canvas.getContext('2d');
	ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
	return ctx;
}

const drawn = new WeakSet<HTMLCanvasElement>();

/*
 * The newest values of a column as a line with a light fill; at most one point per pixel.
 * size: the canvas's CSS size as a ResizeObserver reported it (reading clientWidth here would
 * force a layout after the DOM changes of the same frame).
 */
export function drawSparkline(canvas: HTMLCanvasElement, values: Column, color: string,
	size: { w: number; h: number } = { w: canvas.clientWidth, h: canvas.clientHeight }): number {
	const cssW = size.w || 120;
	const cssH = size.h || 28;
	const n = Math.min(values.length, Math.floor(cssW));
	const start = values.length - n;
	let lo = Infinity, hi = -Infinity, k = 0;
	for (let i = start; i < values.length; i++) {
		const v = values[i];
		if (v === null || v === undefined)
			continue;
		lo = Math.min(lo, v);
		hi = Math.max(hi, v);
		k++;
	}
	/* Nothing to draw: a canvas never drawn is left alone (no context, no backing store yet). */
	if (k < 2 && !drawn.has(canvas))
		return k;
	drawn.add(canvas);
	const ctx = fit(canvas, cssW, cssH);
	if (!ctx)
		return 0;
	ctx.clearRect(0, 0, cssW, cssH);
	if (k < 2)
		return k;
	lo = Math.min(lo, 0);
	const span = hi - lo || 1;
	const x = (i: number) => ((i - start) / Math.max(1, n - 1)) * (cssW - 1);
	const y = (v: number) => cssH - 1 - ((v - lo) / span) * (cssH - 3);
	ctx.beginPath();
	let first = -1, last = -1;
	for (let i = start; i < values.length; i++) {
		const v = values[i];
		if (v === null || v === undefined)
			continue;
		if (first < 0) {
			ctx.moveTo(x(i), y(v));
			first = i;
		} else {
			ctx.lineTo(x(i), y(v));
		}
		last = i;
	}
	ctx.strokeStyle = color;
	ctx.lineWidth = 1.25;
	ctx.stroke();
	ctx.lineTo(x(last), cssH);
	ctx.lineTo(x(first), cssH);
	ctx.closePath();
	ctx.globalAlpha = 0.14;
	ctx.fillStyle = color;
	ctx.fill();
	ctx.globalAlpha = 1;
	return k;
}

export interface HeatmapInput {
	ts: readonly number[];
	/* One row per core, aligned with ts. */
	rows: Column[];
	cores: readonly number[];
	spanMs: number;
	/* End of the time axis (ms); default: the newest ts. */
	end?: number;
	textColor: string;
}

export const HEAT_GUTTER = 48;
const AXIS_H = 16;
/* CSS px per time bucket. */
const BUCKET_W = 2;

export interface HeatLayout {
	/* CSS px per core row. */
	rowH: number;
	/* A label every `labelEvery` rows (cpu0, cpu4, …), a faint line every `groupEvery` rows (0: none). */
	labelEvery: number;
	groupEvery: number;
	plotH: number;
}

/*
 * Row height and labels for n cores: rows of up to 28 px for a few cores, never under 4 px
 * (128 cores: 512 px), labels at least 14 px apart on a power-of-two step of cores, and with
 * 16 cores or more a line between groups of 8 so a row can be followed across.
 */
export function heatLayout(nCores: number): HeatLayout {
	const n = Math.max(1, nCores);
	const rowH = Math.max(4, Math.min(28, Math.floor(176 / n)));
	let labelEvery = 1;
	while (labelEvery * rowH < 14)
		labelEvery *= 2;
	return { rowH, labelEvery, groupEvery: nCores >= 16 ? 8 : 0, plotH: Math.max(24, nCores * rowH) };
}

/* What a point of the heatmap shows: the core, the tick whose value it is, and that value. */
export interface HeatCell {
	core: number;
	/* ts (ms) of the tick whose value the cell shows (the highest in its bucket), or null. */
	ts: number | null;
	value: number | null;
	/* Start of the cell's time bucket (ms). */
	bucketStart: number;
}

/*
 * The bucket grid: one row per core, `cols` buckets of spanMs/cols from end - spanMs; a cell holds
 * the highest busy % of its bucket and the index (in ts) of the tick it came from. Buckets
 * narrower than the data's step carry each value over the step it stands for.
 */
export function heatGrid(input: Pick<HeatmapInput, 'ts' | 'rows' | 'spanMs' | 'end'>, nCores: number, cols: number):
	{ grid: Float32Array; src: Int32Array; t0: number; bucketMs: number } {
	const end = input.end ?? (input.ts.length ? input.ts[input.ts.length - 1] : Date.now());
	const t0 = end - input.spanMs;
	const bucketMs = input.spanMs / cols;
	const grid = new Float32Array(cols * nCores).fill(-1);
	const src = new Int32Array(cols * nCores).fill(-1);
	for (let i = 0; i < input.ts.length; i++) {
		const b = Math.floor((input.ts[i] - t0) / bucketMs);
		if (b < 0 || b >= cols)
			continue;
		for (let r = 0; r < nCores; r++) {
			const v = input.rows[r][i];
			if (v !== null && v !== undefined && v > grid[r * cols + b]) {
				grid[r * cols + b] = v;
				src[r * cols + b] = i;
			}
		}
	}
	const n = input.ts.length;
	const stepMs = n > 1 ? (input.ts[n - 1] - input.ts[0]) / (n - 1) : 0;
	const fill = Math.min(cols, Math.ceil(stepMs / bucketMs) - 1);
	if (fill > 0)
		for (let r = 0; r < nCores; r++) {
			let last = -1;
			let lastSrc = -1;
			let age = 0;
			for (let c = 0; c < cols; c++) {
				const i = r * cols + c;
				if (grid[i] >= 0) {
					last = grid[i];
					lastSrc = src[i];
					age = 0;
				} else if (last >= 0 && ++age <= fill) {
					grid[i] = last;
					src[i] = lastSrc;
				}
			}
		}
	return { grid, src, t0, bucketMs };
}

/*
 * One row per core, one column per time bucket (2 CSS px), colour = highest busy % in the bucket.
 * Drawn as an ImageData of buckets × cores scaled without smoothing, so 128 cores × 300 buckets
 * cost one putImageData and one drawImage. The canvas's backing store is its CSS size times
 * devicePixelRatio (crisp on a HiDPI screen); its width comes from a ResizeObserver, not from a
 * layout read while drawing. Hover: the core, the tick and its value (also as data-* on the tip).
 */
export class Heatmap {
	private readonly canvas: HTMLCanvasElement;
	private readonly off = document.createElement('canvas');
	private src: Int32Array = new Int32Array(0);
	private ts: readonly number[] = [];
	private rows: Column[] = [];
	private cols = 0;
	private t0 = 0;
	private bucketMs = 1;
	private rowH = 1;
	private cores: readonly number[] = [];
	private cssW = 0;
	private cssH = 0;
	private readonly obs: ResizeObserver;
	readonly tip: HTMLElement;

	constructor(canvas: HTMLCanvasElement, tip: HTMLElement, onSized?: () => void) {
		this.canvas = canvas;
		this.tip = tip;
		canvas.addEventListener('mousemove', (e) => this.hover(e));
		canvas.addEventListener('mouseleave', () => {
			this.tip.hidden = true;
		});
		this.obs = new ResizeObserver((entries) => {
			/* Not rounded: the backing store is this width × devicePixelRatio, rounded once (crisp). */
			const w = entries[entries.length - 1].contentRect.width;
			if (w === this.cssW)
				return;
			const was = this.cssW;
			this.cssW = w;
			if (w > 0 && was !== w)
				onSized?.();
		});
		this.obs.observe(canvas);
	}

	get sized(): boolean {
		return this.cssW > 0;
	}

	destroy(): void {
		this.obs.disconnect();
	}

	/* The cell under a point of the canvas (CSS px from its top left), or null. */
	cellAt(x: number, y: number): HeatCell | null {
		const c = Math.floor((x - HEAT_GUTTER) / BUCKET_W);
		const r = Math.floor(y / this.rowH);
		const nCores = this.cores.length;
		if (x < HEAT_GUTTER || c < 0 || c >= this.cols || r < 0 || r >= nCores)
			return null;
		/* The value itself from the row (the grid holds it as float32, for the colours). */
		const i = this.src[r * this.cols + c];
		const v = i >= 0 ? this.rows[r]?.[i] : null;
		return { core: this.cores[r], ts: i >= 0 ? this.ts[i] : null, value: v ?? null,
			bucketStart: this.t0 + c * this.bucketMs };
	}

	draw(input: HeatmapInput): void {
		if (!this.cssW)
			return;
		const cssW = this.cssW;
		const nCores = input.cores.length;
		const lay = heatLayout(nCores);
		const plotH = lay.plotH;
		const cssH = plotH + AXIS_H;
		if (cssH !== this.cssH) {
			this.canvas.style.height = `${cssH}px`;
			this.cssH = cssH;
		}
		const ctx = fit(this.canvas, cssW, cssH);
		if (!ctx)
			return;
		ctx.clearRect(0, 0, cssW, cssH);
		const plotW = Math.max(10, cssW - HEAT_GUTTER);
		const cols = Math.max(1, Math.floor(plotW / BUCKET_W));
		const { grid, src, t0, bucketMs } = heatGrid(input, nCores, cols);
		this.src = src;
		/* A copy: the live window's ts column shifts as ticks come and go. */
		this.ts = input.ts.slice();
		this.rows = input.rows;
		this.cols = cols;
		this.t0 = t0;
		this.bucketMs = bucketMs;
		this.rowH = lay.rowH;
		this.cores = input.cores;
		if (nCores === 0)
			return;
		this.off.width = cols;
		this.off.height = nCores;
		const octx = this.off.getContext('2d');
		if (!octx)
			return;
		const img = octx.createImageData(cols, nCores);
		for (let r = 0; r < nCores; r++)
			for (let c = 0; c < cols; c++) {
				const v = grid[r * cols + c];
				const o = (r * cols + c) * 4;
				if (v < 0)
					continue;
				const [R, G, B] = heatRgb(v);
				img.data[o] = R;
				img.data[o + 1] = G;
				img.data[o + 2] = B;
				img.data[o + 3] = v < 0.5 ? 60 : 255;
			}
		octx.putImageData(img, 0, 0);
		ctx.imageSmoothingEnabled = false;
		ctx.drawImage(this.off, HEAT_GUTTER, 0, cols * BUCKET_W, plotH);
		ctx.fillStyle = input.textColor;
		if (lay.groupEvery) {
			ctx.globalAlpha = 0.35;
			for (let r = lay.groupEvery; r < nCores; r += lay.groupEvery)
				ctx.fillRect(HEAT_GUTTER - 4, r * lay.rowH, cols * BUCKET_W + 4, 1);
			ctx.globalAlpha = 1;
		}
		ctx.font = '11px system-ui, sans-serif';
		ctx.textBaseline = 'middle';
		ctx.textAlign = 'right';
		const labelY = (r: number) => r * lay.rowH + Math.max(lay.rowH / 2, 6);
		for (let r = 0; r < nCores; r += lay.labelEvery)
			ctx.fillText(`cpu${input.cores[r]}`, HEAT_GUTTER - 6, labelY(r));
		ctx.textAlign = 'center';
		ctx.textBaseline = 'top';
		for (let k = 0; k <= 5; k++) {
			const t = t0 + (input.spanMs * k) / 5;
			const d = new Date(t);
			const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
			const lbl = input.spanMs > 36 * 3600e3 ? `${d.getMonth() + 1}/${d.getDate()} ${hm}` : hm;
			const xx = HEAT_GUTTER + (cols * BUCKET_W * k) / 5;
			ctx.fillText(lbl, Math.min(cssW - 16, Math.max(HEAT_GUTTER + 14, xx)), plotH + 3);
		}
	}

	private hover(e: MouseEvent): void {
		const x = e.offsetX;
		const y = e.offsetY;
		const cell = this.cellAt(x, y);
		if (!cell) {
			this.tip.hidden = true;
			return;
		}
		const when = fmtClock(cell.ts ?? cell.bucketStart);
		this.tip.textContent = `cpu${cell.core} · ${when} · ${cell.value === null ? 'no data' : `${cell.value.toFixed(1)} % busy`}`;
		this.tip.dataset.cpu = String(cell.core);
		this.tip.dataset.ts = cell.ts === null ? '' : String(cell.ts);
		this.tip.dataset.value = cell.value === null ? '' : String(cell.value);
		this.tip.style.left = `${x + 12}px`;
		this.tip.style.top = `${y + 12}px`;
		this.tip.hidden = false;
	}
}
