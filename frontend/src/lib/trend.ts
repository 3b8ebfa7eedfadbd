/*
 * Trend lines for ranges of 24 h and more: /api/v1/trends for each chart's main series over the
 * range's length ending at its end, drawn as a dashed line with the slope per day, its 95 %
 * interval and r² in the legend.
 */

import { getJson } from './api';
import type { Range } from './history';
import type { Column } from './window';

export const TREND_MIN_MS = 24 * 3600e3;
const TREND_MAX_MS = 731 * 24 * 3600e3;

export interface Trend {
	series: string;
	slopePerDay: number;
	ci95PerDay: number | null;
	r2: number | null;
	mean: number;
	significant: boolean;
	/* The fitted window, epoch ms. */
	from: number;
	to: number;
}

/* The trends window of a range ("49h"), or null below 24 h (no trend line then). */
export function trendWindow(r: Range): string | null {
	const ms = r.to - r.from;
	if (!(ms >= TREND_MIN_MS - 60e3))
		return null;
	return `${Math.round(Math.min(ms, TREND_MAX_MS) / 60e3)}m`;
}

/* The request for names over range r, or null when the range is too short or names is empty. */
export function trendPath(names: string[], r: Range, host?: string): string | null {
	const w = trendWindow(r);
	if (!w || !names.length)
		return null;
	const p = new URLSearchParams();
	p.set('series', names.join(','));
	p.set('window', w);
	p.set('to', String(Math.ceil(r.to)));
	if (host)
		p.set('host', host);
	return `/api/v1/trends?${p.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/* The API's answer as Trends (series with no slope or mean are left out). */
export function parseTrends(body: { to?: number; window_s?: number; trends?: Record<string, unknown>[] }): Trend[] {
	const to = num(body.to);
	const w = num(body.window_s);
	if (to === null || w === null)
		return [];
	const out: Trend[] = [];
	for (const t of body.trends ?? []) {
		const slope = num(t.slope_per_day);
		const mean = num(t.mean);
		if (slope === null || mean === null || typeof t.series !== 'string')
			continue;
		out.push({ series: t.series, slopePerDay: slope, ci95PerDay: num(t.ci95_per_day), r2: num(t.r2), mean,
			significant: t.significant === true, from: to - w * 1000, to });
	}
	return out;
}

export async function loadTrends(names: string[], r: Range, host?: string): Promise<Trend[]> {
	const path = trendPath(names, r, host);
	return path ? parseTrends(await getJson(path)) : [];
}

/* "+1.25/day ±0.40, r²=0.81" with the chart's number format; "(not significant)" when within ±ci. */
export function fmtTrend(t: Trend, fmt: (v: number) => string): string {
	const s = t.slopePerDay;
	const sign = s > 0 ? '+' : s < 0 ? '−' : '±';
	const ci = t.ci95PerDay === null ? '' : ` ±${fmt(t.ci95PerDay)}`;
	const r2 = t.r2 === null ? '' : `, r²=${t.r2.toFixed(2)}`;
	return `trend ${sign}${fmt(Math.abs(s))}/day${ci}${r2}${t.significant ? '' : ' (not significant)'}`;
}

/*
 * The fitted line on the window's timestamps (ms): a least-squares line passes through the mean
 * of its points, so it goes through (mean time of the drawn points inside the fitted window, the
 * API's mean) with the API's slope. Null outside the window, and everywhere when the series has
 * no point inside it.
 */
export function trendColumn(ts: readonly number[], values: Column, t: Trend): Column {
	let sum = 0;
	let n = 0;
	for (let i = 0; i < ts.length; i++)
		if (ts[i] >= t.from && ts[i] <= t.to && values[i] !== null && values[i] !== undefined) {
			sum += ts[i];
			n++;
		}
	if (!n)
		return ts.map(() => null);
	const tMean = sum / n;
	return ts.map((x) => (x >= t.from && x <= t.to ? t.mean + t.slopePerDay * (x - tMean) / 86400e3 : null));
}
