/*
 * Time ranges other than live: the range in the URL, which history series the panels need, and
 * loading them through /api/v1/query?series=…&points=N (the API picks the tier) and
 * /api/v1/compare and /api/v1/anomalies.
 */

import { getJson, mapLimit } from './api';
import { CPU_STATES, HW_FIELDS, LOAD_FIELDS, MEM_FIELDS, MEMBW_FIELDS, ROW_SECTIONS, seriesKey,
	VMSTAT_FIELDS, type Frame } from './frame';
import type { TimeWindow } from './window';

export type RangeName = 'live' | '1h' | '6h' | '24h' | '7d' | 'custom';
export const RANGES: { name: RangeName; label: string; ms: number }[] = [
	{ name: 'live', label: 'Live 5 min', ms: 5 * 60e3 },
	{ name: '1h', label: '1 h', ms: 3600e3 },
	{ name: '6h', label: '6 h', ms: 6 * 3600e3 },
	{ name: '24h', label: '24 h', ms: 24 * 3600e3 },
	{ name: '7d', label: '7 d', ms: 7 * 24 * 3600e3 },
];

export interface Range {
	name: RangeName;
	/* Epoch ms; for named ranges, `to` is when the range was chosen. */
	from: number;
	to: number;
}

/* The range of a URL (?range=6h, or ?from=…&to=… for a custom one); live when absent or bad. */
export function rangeFromUrl(search: string, now: number): Range {
	const p = new URLSearchParams(search);
	const from = Number(p.get('from'));
	const to = Number(p.get('to'));
	if (p.get('from') && p.get('to') && Number.isFinite(from) && Number.isFinite(to) && to > from)
		return { name: 'custom', from, to };
	const r = RANGES.find((x) => x.name === p.get('range')) ?? RANGES[0];
	return { name: r.name, from: now - r.ms, to: now };
}

/* Writes the range into a URL's query, keeping the other parameters (panel=…). */
export function rangeToSearch(search: string, r: Range): string {
	const p = new URLSearchParams(search);
	p.delete('range');
	p.delete('from');
	p.delete('to');
	if (r.name === 'custom') {
		p.set('from', String(Math.round(r.from)));
		p.set('to', String(Math.round(r.to)));
	} else if (r.name !== 'live') {
		p.set('range', r.name);
	}
	const s = p.toString();
	return s ? `?${s}` : '';
}

export function namedRange(name: RangeName, now: number): Range {
	const r = RANGES.find((x) => x.name === name) ?? RANGES[0];
	return { name: r.name, from: now - r.ms, to: now };
}

/* History series name (migrations/004: "subsystem.metric" or "subsystem.metric:instance"). */
export const seriesName = (metric: string, instance?: string | number) =>
	instance === undefined || instance === '' ? metric : `${metric}:${instance}`;

/* Every history series the panels draw, for the machine of this frame. */
export function panelSeries(f: Frame, maxRows = 8): string[] {
	const out: string[] = [];
	for (const s of CPU_STATES)
		out.push(seriesName(`cpu.${s}`, 'total'));
	for (const c of f.cpu?.cores ?? []) {
		out.push(seriesName('cpu.idle', c.cpu));
		out.push(seriesName('cpu.iowait', c.cpu));
	}
	for (const k of MEM_FIELDS)
		out.push(`mem.${k}`);
	for (const k of LOAD_FIELDS)
		out.push(`load.${k}`);
	if (f.vmstat)
		for (const k of VMSTAT_FIELDS)
			out.push(`vmstat.${k}`);
	if (f.perf?.hw?.total)
		for (const k of HW_FIELDS)
			out.push(seriesName(`hw.${k}`, 'total'));
	if (f.perf?.membw)
		for (const k of MEMBW_FIELDS)
			out.push(`membw.${k}`);
	for (const { section, label, fields } of ROW_SECTIONS) {
		if (section === 'cpufreq')
			continue;
		const rows = f[section];
		if (!Array.isArray(rows))
			continue;
		for (const r of rows.slice(0, maxRows))
			for (const k of fields)
				out.push(seriesName(`${section}.${k}`, String(r[label])));
	}
	return out;
}

export function chunks<T>(xs: readonly T[], n: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < xs.length; i += n)
		out.push(xs.slice(i, i + n));
	return out;
}

interface HistSeries {
	series: string;
	metric: string;
	instance: string | null;
	points: [number, number | null][];
}

/* The catalogue's series names for a host (unknown names make a history request a 404). */
export async function catalogue(host?: string): Promise<Set<string>> {
	const q = host ? `?host=${encodeURIComponent(host)}` : '';
	const r = await getJson<{ series: { series: string }[] }>(`/api/v1/series${q}`);
	return new Set((r.series ?? []).map((s) => s.series));
}

function histPath(route: string, names: string[], r: Range, points: number, host?: string, extra = ''): string {
	const p = new URLSearchParams();
	p.set('series', names.join(','));
	p.set('from', String(Math.floor(r.from)));
	p.set('to', String(Math.ceil(r.to)));
	if (points > 0)
		p.set('points', String(points));
	if (host)
		p.set('host', host);
	return `/api/v1/${route}?${p.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}${extra}`;
}

/*
 * Each loader below asks one request at a time (the CPU chart's own request and the trend lines
 * may still run beside it): on the 2-vCPU VM three in flight competed with the page for the CPUs
 * while it built its first charts (their server time summed 636 ms against 293 ms one at a time;
 * a main-thread task over 50 ms in 14 of 20 cold loads against 6 of 20), and the history was not
 * in any sooner (bench/README-browser.md, "One history request at a time"). A many-core server
 * would answer three at once sooner.
 */
const HISTORY_IN_FLIGHT = 1;

/*
 * Loads every series into win (cleared by the caller), 32 per request; calls progress(done,
 * total) after each. Returns the tier and bucket width the API chose.
 */
export async function loadHistory(win: TimeWindow, names: string[], r: Range, points: number,
		host: string | undefined, progress: (done: number, total: number) => void):
		Promise<{ tier: string; stepS: number }> {
	const parts = chunks(names, 32);
	let done = 0;
	let tier = '';
	let stepS = 0;
	await mapLimit(parts, HISTORY_IN_FLIGHT, async (part) => {
		const res = await fetchHistory(part, r, points, host);
		tier = res.tier;
		stepS = res.step_s;
		mergeHistory(win, res);
		progress(++done, parts.length);
	});
	return { tier, stepS };
}

export interface HistAnswer {
	tier: string;
	step_s: number;
	series: HistSeries[];
}

/* One /api/v1/query request of at most 32 series (the API's limit). */
export function fetchHistory(names: string[], r: Range, points: number, host?: string): Promise<HistAnswer> {
	return getJson<HistAnswer>(histPath('query', names, r, points, host));
}

export function mergeHistory(win: TimeWindow, res: HistAnswer): void {
	for (const s of res.series ?? [])
		win.mergeSeries(seriesKey(s.metric, s.instance), numericPoints(s.points ?? []));
}

/* About one point per CSS pixel of the widest chart, width 0 when none is laid out yet. */
export function pointsFor(width: number): number {
	return Math.min(2000, Math.max(200, Math.round(width || window.innerWidth / 2)));
}

/* The points whose ts and value are numbers (a null value is a bucket without data). */
export function numericPoints(points: readonly (readonly unknown[])[]): [number, number][] {
	const out: [number, number][] = [];
	for (const p of points)
		if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number')
			out.push([p[0], p[1]]);
	return out;
}

/*
 * The window's timestamp nearest to ts (ts itself when the window is empty): overlay points land
 * on the ticks or buckets already drawn instead of adding rows where every other series is null,
 * which would break their lines into dots.
 */
export function snapTs(ts: readonly number[], t: number): number {
	if (!ts.length)
		return t;
	let lo = 0;
	let hi = ts.length - 1;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (ts[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	const a = ts[Math.max(0, lo - 1)];
	const b = ts[lo];
	return Math.abs(a - t) <= Math.abs(b - t) ? a : b;
}

export interface CompareStat {
	series: string;
	key: string;
	mean: number | null;
	meanShifted: number | null;
	p95: number | null;
	p95Shifted: number | null;
	changePct: number | null;
}

interface CompareSeries extends Omit<HistSeries, 'points'> {
	mean: number | null;
	mean_shifted: number | null;
	p95: number | null;
	p95_shifted: number | null;
	change_pct: number | null;
	points: [number, number | null, number | null][];
}

/* The shifted window of each series goes into win under `<key>~cmp`; the statistics are returned. */
export async function loadCompare(win: TimeWindow, names: string[], r: Range, offset: string,
		points: number, host?: string): Promise<CompareStat[]> {
	const stats: CompareStat[] = [];
	await mapLimit(chunks(names, 32), HISTORY_IN_FLIGHT, async (part) => {
		const res = await getJson<{ series: CompareSeries[] }>(
			histPath('compare', part, r, points, host, `&offset=${offset}`));
		for (const s of res.series ?? []) {
			const key = seriesKey(s.metric, s.instance);
			const shifted: [number, number][] = [];
			for (const [ts, , v] of s.points ?? [])
				if (typeof ts === 'number' && typeof v === 'number')
					shifted.push([snapTs(win.ts, ts), v]);
			win.mergeSeries(`${key}~cmp`, shifted);
			stats.push({ series: s.series, key, mean: s.mean, meanShifted: s.mean_shifted, p95: s.p95,
				p95Shifted: s.p95_shifted, changePct: s.change_pct });
		}
	});
	return stats;
}

export interface Anomaly {
	series: string;
	start: number;
	end: number;
	rule: string;
	peak: number | null;
	baseline: number | null;
	score: number | null;
}

const toMs = (v: unknown): number => (typeof v === 'number' ? v : Date.parse(String(v)));

export async function loadAnomalies(names: string[], r: Range, host?: string): Promise<Anomaly[]> {
	const week = 7 * 24 * 3600e3;
	const rr = { ...r, from: Math.max(r.from, r.to - week) };
	const out: Anomaly[] = [];
	await mapLimit(chunks(names, 32), HISTORY_IN_FLIGHT, async (part) => {
		const res = await getJson<{ anomalies: Record<string, unknown>[] }>(histPath('anomalies', part, rr, 0, host));
		for (const a of res.anomalies ?? [])
			out.push({ series: String(a.series), start: toMs(a.start), end: toMs(a.end), rule: String(a.rule),
				peak: a.peak as number | null, baseline: a.baseline as number | null, score: a.score as number | null });
	});
	return out.sort((a, b) => a.start - b.start);
}
