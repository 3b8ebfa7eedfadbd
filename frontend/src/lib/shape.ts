/* Pure data shaping: derived series (busy %, memory used, stacks), tiles and number formats. */

import type { Column, TimeWindow } from './window';
import type { Frame } from './frame';

/* Element-wise fn over columns of equal length; null wherever any input is null. */
export function combine(cols: readonly Column[], fn: (...v: number[]) => number): Column {
	const n = cols.length ? cols[0].length : 0;
	const out: Column = new Array(n);
	const args: number[] = new Array(cols.length);
	for (let i = 0; i < n; i++) {
		let ok = true;
		for (let j = 0; j < cols.length; j++) {
			const v = cols[j][i];
			if (v === null || v === undefined) {
				ok = false;
				break;
			}
			args[j] = v;
		}
		out[i] = ok ? fn(...args) : null;
	}
	return out;
}

const sum = (...v: number[]) => v.reduce((a, b) => a + b, 0);

/*
 * Cumulative sums for a stacked chart, bottom layer first. A null in a layer counts as 0 for
 * the layers above it unless every layer is null at that index (then all are null: a gap).
 */
export function stack(layers: readonly Column[]): Column[] {
	const n = layers.length ? layers[0].length : 0;
	const out: Column[] = layers.map(() => new Array(n));
	for (let i = 0; i < n; i++) {
		const empty = layers.every((l) => l[i] === null || l[i] === undefined);
		let acc = 0;
		for (let j = 0; j < layers.length; j++) {
			acc += layers[j][i] ?? 0;
			out[j][i] = empty ? null : acc;
		}
	}
	return out;
}

export interface Layer {
	label: string;
	color: string;
	values: Column;
	/* The window column the values are (when they are one): compare overlays use `<key>~cmp`. */
	key?: string;
}

const TOTAL = '@total';

/* CPU time of the whole machine by state, in percent, bottom layer first (idle left out). */
export function cpuStateLayers(win: TimeWindow): Layer[] {
	const c = (s: string) => win.column(`cpu.${s}${TOTAL}`);
	return [
		{ label: 'user', color: '#3b82f6', values: c('usr'), key: `cpu.usr${TOTAL}` },
		{ label: 'nice', color: '#06b6d4', values: c('nice') },
		{ label: 'system', color: '#ef4444', values: c('sys'), key: `cpu.sys${TOTAL}` },
		{ label: 'iowait', color: '#f59e0b', values: c('iowait'), key: `cpu.iowait${TOTAL}` },
		{ label: 'irq+softirq', color: '#a855f7', values: combine([c('irq'), c('softirq')], sum) },
		{ label: 'steal', color: '#64748b', values: c('steal') },
		{ label: 'guest', color: '#10b981',
		  values: combine([c('guest'), c('guest_nice')], sum) },
	];
}

/* Busy percent: the time neither idle nor waiting for I/O. */
export function busyPct(idle: number, iowait: number): number {
	return Math.min(100, Math.max(0, 100 - idle - iowait));
}

export function coreBusy(win: TimeWindow, core: number | 'total'): Column {
	const inst = core === 'total' ? 'total' : String(core);
	return combine([win.column(`cpu.idle@${inst}`), win.column(`cpu.iowait@${inst}`)], busyPct);
}

/* Core numbers that have data in the window, ascending. */
export function windowCores(win: TimeWindow): number[] {
	const cores = new Set<number>();
	for (const k of win.keys()) {
		const m = /^cpu\.idle@(\d+)$/.exec(k);
		if (m)
			cores.add(Number(m[1]));
	}
	return [...cores].sort((a, b) => a - b);
}

const CORE_COLORS = [
	'#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#a855f7', '#06b6d4', '#ec4899', '#84cc16',
	'#f97316', '#6366f1', '#14b8a6', '#eab308',
];

export function coreColor(i: number): string {
	return CORE_COLORS[i % CORE_COLORS.length];
}

/* Memory series in kB: used = total - available, cached, buffers, free; swap used if any. */
export function memLayers(win: TimeWindow): Layer[] {
	const c = (k: string) => win.column(`mem.${k}`);
	const diff = (a: number, b: number) => Math.max(0, a - b);
	const layers: Layer[] = [
		{ label: 'used', color: '#3b82f6', values: combine([c('total_kb'), c('available_kb')], diff) },
		{ label: 'cached', color: '#10b981', values: c('cached_kb') },
		{ label: 'buffers', color: '#a855f7', values: c('buffers_kb') },
		{ label: 'free', color: '#94a3b8', values: c('free_kb') },
	];
	if ((win.latest('mem.swap_total_kb') ?? 0) > 0)
		layers.push({ label: 'swap used', color: '#ef4444',
			values: combine([c('swap_total_kb'), c('swap_free_kb')], diff) });
	return layers;
}

export function loadLayers(win: TimeWindow): Layer[] {
	return [
		{ label: '1 min', color: '#3b82f6', values: win.column('load.load1'), key: 'load.load1' },
		{ label: '5 min', color: '#f59e0b', values: win.column('load.load5') },
		{ label: '15 min', color: '#a855f7', values: win.column('load.load15') },
	];
}

/* Milliseconds to the seconds uPlot's time scale uses. */
export function toSeconds(ts: readonly number[]): number[] {
	return ts.map((t) => t / 1000);
}

export interface Tiles {
	ts: number;
	cpuBusy: number | null;
	memUsedKb: number | null;
	memTotalKb: number | null;
	swapUsedKb: number | null;
	swapTotalKb: number | null;
	load1: number | null;
	load5: number | null;
	load15: number | null;
	cores: number;
	tasks: number | null;
	running: number | null;
}

/* The big-number tiles for one frame. */
export function tilesFromFrame(f: Frame): Tiles {
	const t = f.cpu?.total;
	const m = f.mem;
	const l = f.load;
	return {
		ts: f.ts,
		cpuBusy: t ? busyPct(t.idle, t.iowait) : null,
		memUsedKb: m ? Math.max(0, m.total_kb - m.available_kb) : null,
		memTotalKb: m ? m.total_kb : null,
		swapUsedKb: m ? Math.max(0, m.swap_total_kb - m.swap_free_kb) : null,
		swapTotalKb: m ? m.swap_total_kb : null,
		load1: l ? l.load1 : null,
		load5: l ? l.load5 : null,
		load15: l ? l.load15 : null,
		cores: f.cpu?.cores?.length ?? 0,
		tasks: l ? l.tasks : null,
		running: l ? l.running : null,
	};
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/* kB (KiB, as /proc/meminfo counts) in a short binary unit: "3.42 GiB", "512 MiB". */
export function fmtKb(kb: number | null | undefined): string {
	if (kb === null || kb === undefined || !Number.isFinite(kb))
		return '–';
	let v = kb;
	let u = 0;
	while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
		v /= 1024;
		u++;
	}
	const digits = Math.abs(v) >= 100 || u === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
	return `${v.toFixed(digits)} ${UNITS[u]}`;
}

export function fmtPct(v: number | null | undefined, digits = 1): string {
	if (v === null || v === undefined || !Number.isFinite(v))
		return '–';
	return `${v.toFixed(digits)} %`;
}

export function fmtNum(v: number | null | undefined, digits = 2): string {
	if (v === null || v === undefined || !Number.isFinite(v))
		return '–';
	return v.toFixed(digits);
}

/* Reconnect delay: 0.5 s doubling to 15 s, with ±20 % jitter so clients do not stampede. */
export function backoffMs(attempt: number, rand: () => number = Math.random): number {
	const base = Math.min(15000, 500 * 2 ** Math.max(0, Math.min(attempt, 10)));
	return Math.round(base * (0.8 + 0.4 * rand()));
}

/* Above this many cores the per-core chart draws their spread instead of one line each. */
export const CORE_LINES_MAX = 16;

/*
 * The per-core chart's layers: one busy % line per core up to CORE_LINES_MAX cores; beyond that
 * (a 128-line tangle with no legend) the busiest core, the mean and the least busy core at each
 * tick, the heatmap beside it showing which core is which. Cores without a value at a tick are
 * left out of that tick; a tick where none has one is a gap.
 */
export function coreLayers(win: TimeWindow, cores: readonly number[] = windowCores(win)): Layer[] {
	if (cores.length <= CORE_LINES_MAX)
		return cores.map((c, i) => ({ label: `cpu${c}`, color: coreColor(i), values: coreBusy(win, c) }));
	const cols = cores.map((c) => coreBusy(win, c));
	const n = win.length;
	const max: Column = new Array(n).fill(null);
	const mean: Column = new Array(n).fill(null);
	const min: Column = new Array(n).fill(null);
	for (let i = 0; i < n; i++) {
		let lo = Infinity, hi = -Infinity, s = 0, k = 0;
		for (const col of cols) {
			const v = col[i];
			if (v === null || v === undefined)
				continue;
			lo = Math.min(lo, v);
			hi = Math.max(hi, v);
			s += v;
			k++;
		}
		if (k) {
			max[i] = hi;
			mean[i] = s / k;
			min[i] = lo;
		}
	}
	const of = `of ${cores.length} cores`;
	return [
		{ label: `busiest ${of}`, color: '#ef4444', values: max },
		{ label: `mean ${of}`, color: '#3b82f6', values: mean },
		{ label: `least busy ${of}`, color: '#10b981', values: min },
	];
}
