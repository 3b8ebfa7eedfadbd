/* Canvas drawings that uPlot does not do: tile sparklines and the per-core heatmap. */

import type { Column } from './window';
import { heatRgb } from './panels';

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

/* The newest values of a column as a line with a light fill; at most one point per pixel. */
export function drawSparkline(canvas: HTMLCanvasElement, values: Column, color: string): number {
	const cssW = canvas.clientWidth || 120;
	const cssH = canvas.clientHeight || 28;
	const ctx = fit(canvas, cssW, cssH);
	if (!ctx)
		return 0;
	ctx.clearRect(0, 0, cssW, cssH);
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

export const HEAT_GUTTER = 44;
const AXIS_H = 16;

/*
 * One row per core, one column per time bucket (2 CSS px), colour = highest busy % in the bucket.
 * Drawn as an ImageData of buckets × cores scaled without smoothing, so 128 cores × 300 buckets
 * cost one putImageData and one drawImage. Returns the bucket grid for hover lookups.
 */
export class Heatmap {
	private readonly canvas: HTMLCanvasElement;
	private readonly off = document.createElement('canvas');
	private grid: Float32Array = new Float32Array(0);
	private cols = 0;
	private t0 = 0;
	private bucketMs = 1;
	private cores: readonly number[] = [];
	readonly tip: HTMLElement;

	constructor(canvas: HTMLCanvasElement, tip: HTMLElement) {
		this.canvas = canvas;
		this.tip = tip;
		canvas.addEventListener('mousemove', (e) => this.hover(e));
		canvas.addEventListener('mouseleave', () => {
			this.tip.hidden = true;
		});
	}

	draw(input: HeatmapInput): void {
		const cssW = this.canvas.clientWidth || 600;
		const nCores = input.cores.length;
		const rowH = Math.max(2, Math.min(28, Math.floor(176 / Math.max(1, nCores))));
		const plotH = Math.max(24, nCores * rowH);
		const cssH = plotH + AXIS_H;
		this.canvas.style.height = `${cssH}px`;
		const ctx = fit(this.canvas, cssW, cssH);
		if (!ctx)
			return;
		ctx.clearRect(0, 0, cssW, cssH);
		const plotW = Math.max(10, cssW - HEAT_GUTTER);
		const cols = Math.max(1, Math.floor(plotW / 2));
		const end = input.end ?? (input.ts.length ? input.ts[input.ts.length - 1] : Date.now());
		const t0 = end - input.spanMs;
		const bucketMs = input.spanMs / cols;
		const grid = new Float32Array(cols * nCores).fill(-1);
		for (let i = 0; i < input.ts.length; i++) {
			const b = Math.floor((input.ts[i] - t0) / bucketMs);
			if (b < 0 || b >= cols)
				continue;
			for (let r = 0; r < nCores; r++) {
				const v = input.rows[r][i];
				if (v !== null && v !== undefined && v > grid[r * cols + b])
					grid[r * cols + b] = v;
			}
		}
		/* Buckets narrower than the data's step: carry each value over the step it stands for. */
		const n = input.ts.length;
		const stepMs = n > 1 ? (input.ts[n - 1] - input.ts[0]) / (n - 1) : 0;
		const fill = Math.min(cols, Math.ceil(stepMs / bucketMs) - 1);
		if (fill > 0)
			for (let r = 0; r < nCores; r++) {
				let last = -1;
				let age = 0;
				for (let c = 0; c < cols; c++) {
					const i = r * cols + c;
					if (grid[i] >= 0) {
						last = grid[i];
						age = 0;
					} else if (last >= 0 && ++age <= fill) {
						grid[i] = last;
					}
				}
			}
		this.grid = grid;
		this.cols = cols;
		this.t0 = t0;
		this.bucketMs = bucketMs;
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
		ctx.drawImage(this.off, HEAT_GUTTER, 0, cols * 2, plotH);
		ctx.fillStyle = input.textColor;
		ctx.font = '10px system-ui, sans-serif';
		ctx.textBaseline = 'middle';
		ctx.textAlign = 'right';
		const every = Math.max(1, Math.ceil(12 / rowH));
		const labelY = (r: number) => r * rowH + rowH / 2;
		for (let r = 0; r < nCores; r += every)
			ctx.fillText(`cpu${input.cores[r]}`, HEAT_GUTTER - 6, Math.max(6, labelY(r)));
		ctx.textAlign = 'center';
		ctx.textBaseline = 'top';
		for (let k = 0; k <= 5; k++) {
			const t = t0 + (input.spanMs * k) / 5;
			const d = new Date(t);
			const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
			const lbl = input.spanMs > 36 * 3600e3 ? `${d.getMonth() + 1}/${d.getDate()} ${hm}` : hm;
			const xx = HEAT_GUTTER + (cols * 2 * k) / 5;
			ctx.fillText(lbl, Math.min(cssW - 16, Math.max(HEAT_GUTTER + 14, xx)), plotH + 3);
		}
	}

	private hover(e: MouseEvent): void {
		const rect = this.canvas.getBoundingClientRect();
		const x = e.clientX - rect.left - HEAT_GUTTER;
		const nCores = this.cores.length;
		const plotH = rect.height - AXIS_H;
		if (x < 0 || nCores === 0 || e.clientY - rect.top > plotH) {
			this.tip.hidden = true;
			return;
		}
		const c = Math.floor(x / 2);
		const r = Math.floor(((e.clientY - rect.top) / plotH) * nCores);
		if (c >= this.cols || r < 0 || r >= nCores) {
			this.tip.hidden = true;
			return;
		}
		const v = this.grid[r * this.cols + c];
		const t = new Date(this.t0 + c * this.bucketMs).toLocaleTimeString([], { hour12: false });
		this.tip.textContent = `cpu${this.cores[r]} · ${t} · ${v < 0 ? 'no data' : `${v.toFixed(1)} % busy`}`;
		this.tip.style.left = `${e.clientX - rect.left + 12}px`;
		this.tip.style.top = `${e.clientY - rect.top + 12}px`;
		this.tip.hidden = false;
	}
}
