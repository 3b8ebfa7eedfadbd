/*
 * Data shaping for the overview tiles and the OS / hardware panels: per-instance layers from the
 * time window, machine-wide sums, and the tile values of one frame (the same numbers the API's
 * /api/v1/latest gives for that tick).
 */

import type { Column, TimeWindow } from './window';
import { isFiniteNumber, type Frame, type Row } from './frame';
import { busyPct, combine, coreColor, type Layer } from './shape';

/* Interfaces that carry no traffic of the machine's own: left out of the network totals. */
export function countsForTotal(iface: string): boolean {
	return iface !== 'lo';
}

/* Instances of `section.field@inst` keys present in the window, sorted. */
export function windowInstances(win: TimeWindow, metric: string): string[] {
	const pre = `${metric}@`;
	const out: string[] = [];
	for (const k of win.keys())
		if (k.startsWith(pre) && !k.endsWith('~cmp'))
			out.push(k.slice(pre.length));
	return out.sort();
}

/* Element-wise sum of columns where any is non-null (missing ones count as 0). */
export function sumColumns(cols: readonly Column[], n: number): Column {
	const out: Column = new Array(n).fill(null);
	for (const c of cols)
		for (let i = 0; i < n; i++) {
			const v = c[i];
			if (v !== null && v !== undefined)
				out[i] = (out[i] ?? 0) + v;
		}
	return out;
}

export function netTotal(win: TimeWindow, field: string): Column {
	const cols = windowInstances(win, `net.${field}`).filter(countsForTotal)
		.map((i) => win.column(`net.${field}@${i}`));
	return sumColumns(cols, win.length);
}

export function diskTotal(win: TimeWindow, field: string): Column {
	const cols = windowInstances(win, `disk.${field}`).map((d) => win.column(`disk.${field}@${d}`));
	return sumColumns(cols, win.length);
}

/* Interfaces worth a line: the `max` busiest in the window (bytes in + out), lo last. */
export function activeIfaces(win: TimeWindow, max = 4): string[] {
	const all = windowInstances(win, 'net.rx_bytes_per_s');
	const total = (i: string) => {
		let s = 0;
		for (const k of ['rx', 'tx'])
			for (const v of win.column(`net.${k}_bytes_per_s@${i}`))
				s += v ?? 0;
		return s;
	};
	const score = new Map(all.map((i) => [i, total(i)]));
	return all.filter((i) => countsForTotal(i) || all.length === 1)
		.sort((a, b) => (score.get(b)! - score.get(a)!) || a.localeCompare(b)).slice(0, max);
}

export function netLayers(win: TimeWindow): Layer[] {
	const out: Layer[] = [];
	activeIfaces(win).forEach((i, n) => {
		out.push({ label: `${i} rx`, color: coreColor(2 * n), values: win.column(`net.rx_bytes_per_s@${i}`), key: `net.rx_bytes_per_s@${i}` });
		out.push({ label: `${i} tx`, color: coreColor(2 * n + 1), values: win.column(`net.tx_bytes_per_s@${i}`), key: `net.tx_bytes_per_s@${i}` });
	});
	return out;
}

/* Errors and drops summed over every interface: any non-zero value is worth a look. */
export function netErrorLayers(win: TimeWindow): Layer[] {
	const sum = (f: string) => sumColumns(windowInstances(win, `net.${f}`).map((i) => win.column(`net.${f}@${i}`)), win.length);
	return [
		{ label: 'rx errors', color: '#ef4444', values: sum('rx_errors_per_s') },
		{ label: 'tx errors', color: '#f97316', values: sum('tx_errors_per_s') },
		{ label: 'rx drops', color: '#a855f7', values: sum('rx_drops_per_s') },
		{ label: 'tx drops', color: '#ec4899', values: sum('tx_drops_per_s') },
	];
}

function perDevice(win: TimeWindow, a: string, b: string, la: string, lb: string): Layer[] {
	const out: Layer[] = [];
	windowInstances(win, `disk.${a}`).forEach((d, n) => {
		out.push({ label: `${d} ${la}`, color: coreColor(2 * n), values: win.column(`disk.${a}@${d}`), key: `disk.${a}@${d}` });
		out.push({ label: `${d} ${lb}`, color: coreColor(2 * n + 1), values: win.column(`disk.${b}@${d}`), key: `disk.${b}@${d}` });
	});
	return out;
}

export const diskIopsLayers = (win: TimeWindow) =>
	perDevice(win, 'reads_per_s', 'writes_per_s', 'read', 'write');
export const diskBytesLayers = (win: TimeWindow) =>
	perDevice(win, 'read_bytes_per_s', 'write_bytes_per_s', 'read', 'write');
export const diskAwaitLayers = (win: TimeWindow) =>
	perDevice(win, 'read_await_ms', 'write_await_ms', 'read', 'write');

export function diskUtilLayers(win: TimeWindow): Layer[] {
	return windowInstances(win, 'disk.util_pct').map((d, n) => ({
		label: d, color: coreColor(n), values: win.column(`disk.util_pct@${d}`), key: `disk.util_pct@${d}`,
	}));
}

const PSI_COLORS: Record<string, string> = { cpu: '#3b82f6', memory: '#10b981', io: '#f59e0b', irq: '#a855f7' };

export function pressureLayers(win: TimeWindow): Layer[] {
	const out: Layer[] = [];
	for (const r of windowInstances(win, 'pressure.some_avg10')) {
		const color = PSI_COLORS[r] ?? '#64748b';
		out.push({ label: `${r} some`, color, values: win.column(`pressure.some_avg10@${r}`), key: `pressure.some_avg10@${r}` });
		if (win.latest(`pressure.full_avg10@${r}`) !== null)
			out.push({ label: `${r} full`, color, values: win.column(`pressure.full_avg10@${r}`), key: `pressure.full_avg10@${r}` });
	}
	return out;
}

export function faultLayers(win: TimeWindow): Layer[] {
	return [
		{ label: 'minor', color: '#3b82f6', values: win.column('vmstat.minor_faults_per_s'), key: 'vmstat.minor_faults_per_s' },
		{ label: 'major', color: '#ef4444', values: win.column('vmstat.major_faults_per_s'), key: 'vmstat.major_faults_per_s' },
	];
}

export function pagingLayers(win: TimeWindow): Layer[] {
	return [
		{ label: 'page in', color: '#3b82f6', values: win.column('vmstat.page_in_kb_per_s'), key: 'vmstat.page_in_kb_per_s' },
		{ label: 'page out', color: '#10b981', values: win.column('vmstat.page_out_kb_per_s'), key: 'vmstat.page_out_kb_per_s' },
		{ label: 'swap in', color: '#f59e0b', values: win.column('vmstat.swap_in_pages_per_s'), key: 'vmstat.swap_in_pages_per_s' },
		{ label: 'swap out', color: '#ef4444', values: win.column('vmstat.swap_out_pages_per_s'), key: 'vmstat.swap_out_pages_per_s' },
	];
}

export function hwLayers(win: TimeWindow): Layer[] {
	return [
		{ label: 'IPC', color: '#3b82f6', values: win.column('hw.ipc@total'), key: 'hw.ipc@total' },
	];
}

export function hwPctLayers(win: TimeWindow): Layer[] {
	return [
		{ label: 'LLC miss', color: '#ef4444', values: win.column('hw.llc_miss_pct@total'), key: 'hw.llc_miss_pct@total' },
		{ label: 'L1D hit', color: '#10b981', values: win.column('hw.l1d_hit_pct@total'), key: 'hw.l1d_hit_pct@total' },
		{ label: 'branch miss', color: '#f59e0b', values: win.column('hw.branch_miss_pct@total'), key: 'hw.branch_miss_pct@total' },
	];
}

export function membwLayers(win: TimeWindow): Layer[] {
	return [
		{ label: 'read', color: '#3b82f6', values: win.column('membw.read_gbs'), key: 'membw.read_gbs' },
		{ label: 'write', color: '#f59e0b', values: win.column('membw.write_gbs'), key: 'membw.write_gbs' },
	];
}

export function tempLayers(win: TimeWindow): Layer[] {
	return windowInstances(win, 'thermal.temp_celsius').map((s, n) => ({
		label: s, color: coreColor(n), values: win.column(`thermal.temp_celsius@${s}`), key: `thermal.temp_celsius@${s}`,
	}));
}

/* Frequency: the mean over CPUs, and the lowest and highest, so 128 CPUs stay three lines. */
export function freqLayers(win: TimeWindow): Layer[] {
	const cols = windowInstances(win, 'cpufreq.freq_mhz').map((c) => win.column(`cpufreq.freq_mhz@${c}`));
	if (!cols.length)
		return [];
	const n = win.length;
	const mean: Column = new Array(n).fill(null);
	const lo: Column = new Array(n).fill(null);
	const hi: Column = new Array(n).fill(null);
	for (let i = 0; i < n; i++) {
		let s = 0, k = 0, a = Infinity, b = -Infinity;
		for (const c of cols) {
			const v = c[i];
			if (v === null || v === undefined)
				continue;
			s += v; k++; a = Math.min(a, v); b = Math.max(b, v);
		}
		if (k) {
			mean[i] = s / k; lo[i] = a; hi[i] = b;
		}
	}
	return [
		{ label: 'mean', color: '#3b82f6', values: mean },
		{ label: 'min', color: '#10b981', values: lo },
		{ label: 'max', color: '#ef4444', values: hi },
	];
}

/* One value per core and tick for the heatmap: busy % (null where unknown). */
export function coreMatrix(win: TimeWindow, cores: readonly number[]): Column[] {
	return cores.map((c) => combine([win.column(`cpu.idle@${c}`), win.column(`cpu.iowait@${c}`)], busyPct));
}

const num = (r: Row | undefined, k: string): number | null => {
	const v = r?.[k];
	return isFiniteNumber(v) ? v : null;
};

/* Overview numbers of one frame beyond the CPU/memory/load tiles; null where the frame has none. */
export interface ExtraTiles {
	ts: number;
	psiCpu: number | null;
	psiMem: number | null;
	psiIo: number | null;
	netRx: number | null;
	netTx: number | null;
	diskRead: number | null;
	diskWrite: number | null;
	ipc: number | null;
	llcMissPct: number | null;
	membwGbs: number | null;
	uptimeS: number | null;
}

function sumRows(rows: Row[] | undefined, k: string, keep: (r: Row) => boolean = () => true): number | null {
	if (!Array.isArray(rows))
		return null;
	let s: number | null = null;
	for (const r of rows) {
		const v = num(r, k);
		if (v !== null && keep(r))
			s = (s ?? 0) + v;
	}
	return s;
}

export function extraTiles(f: Frame): ExtraTiles {
	const psi = (res: string) => num(f.pressure?.find((r) => r.resource === res), 'some_avg10');
	const hw = f.perf?.hw?.total;
	const own = (r: Row) => typeof r.iface === 'string' && countsForTotal(r.iface);
	return {
		ts: f.ts,
		psiCpu: psi('cpu'),
		psiMem: psi('memory'),
		psiIo: psi('io'),
		netRx: sumRows(f.net, 'rx_bytes_per_s', own),
		netTx: sumRows(f.net, 'tx_bytes_per_s', own),
		diskRead: sumRows(f.disk, 'read_bytes_per_s'),
		diskWrite: sumRows(f.disk, 'write_bytes_per_s'),
		ipc: isFiniteNumber(hw?.ipc) ? hw!.ipc as number : null,
		llcMissPct: isFiniteNumber(hw?.llc_miss_pct) ? hw!.llc_miss_pct as number : null,
		membwGbs: isFiniteNumber(f.perf?.membw?.total_gbs) ? f.perf!.membw!.total_gbs as number : null,
		uptimeS: isFiniteNumber(f.uptime?.uptime_s) ? f.uptime!.uptime_s : null,
	};
}

/* Why a hardware metric of the frame is null: the sentence for its reason code, or null. */
export function hwReason(f: Frame | null, metric: string): string | null {
	const code = f?.perf?.reasons?.[metric];
	if (!code)
		return f?.unavailable?.perf ?? null;
	return f?.perf?.why?.[code] ?? code;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/* Bytes (decimal units, as link speeds and disk vendors count): "12.3 MB". */
export function fmtBytes(v: number | null | undefined): string {
	if (v === null || v === undefined || !Number.isFinite(v))
		return '–';
	let x = v;
	let u = 0;
	while (Math.abs(x) >= 1000 && u < BYTE_UNITS.length - 1) {
		x /= 1000;
		u++;
	}
	const digits = u === 0 || Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
	return `${x.toFixed(digits)} ${BYTE_UNITS[u]}`;
}

export const fmtRateB = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmtBytes(v)}/s`);

/* Counts per second: "1.2k/s", "340/s". */
export function fmtRate(v: number | null | undefined): string {
	if (v === null || v === undefined || !Number.isFinite(v))
		return '–';
	const a = Math.abs(v);
	if (a >= 1e6)
		return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M/s`;
	if (a >= 1e3)
		return `${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k/s`;
	return `${v.toFixed(a >= 100 || v === Math.round(v) ? 0 : 1)}/s`;
}

/* "3 d 4 h", "5 h 12 min", "12 min". */
export function fmtUptime(s: number | null | undefined): string {
	if (s === null || s === undefined || !Number.isFinite(s))
		return '–';
	const d = Math.floor(s / 86400);
	const h = Math.floor((s % 86400) / 3600);
	const m = Math.floor((s % 3600) / 60);
	if (d)
		return `${d} d ${h} h`;
	if (h)
		return `${h} h ${m} min`;
	return `${m} min`;
}

const HEAT: [number, number, number][] = [[148, 163, 184], [59, 130, 246], [245, 158, 11], [239, 68, 68]];

/* Heat colour for 0–100 %: slate (idle) through blue and amber to red; [r, g, b]. */
export function heatRgb(pct: number): [number, number, number] {
	const p = Math.min(100, Math.max(0, pct)) / 100;
	const x = p * (HEAT.length - 1);
	const i = Math.min(HEAT.length - 2, Math.floor(x));
	const t = x - i;
	return [0, 1, 2].map((j) => Math.round(HEAT[i][j] + (HEAT[i + 1][j] - HEAT[i][j]) * t)) as [number, number, number];
}
