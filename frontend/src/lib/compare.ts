/*
 * Compare mode: which history series each panel compares with the shifted window (yesterday,
 * last week), how their statistics read, and the overlays of derived charts.
 */

import { isFiniteNumber, type Frame } from './frame';
import type { CompareStat } from './history';
import { seriesName } from './history';
import { seriesKey } from './frame';
import { busyPct, combine, fmtKb, fmtNum, fmtPct, type Layer } from './shape';
import { fmtRate, fmtRateB } from './panels';
import type { TimeWindow } from './window';

export interface CompareSeries {
	panel: string;
	/* History series name ("net.rx_bytes_per_s:eth0") and the window key it fills. */
	name: string;
	key: string;
	label: string;
	fmt: (v: number) => string;
}

export interface DeltaRow extends CompareStat {
	label: string;
	fmt: (v: number) => string;
}

const pct = (v: number) => fmtPct(v, 1);

/* The series compared per panel, for the machine of this frame (≤ 32 in all). */
export function compareSeries(f: Frame): CompareSeries[] {
	const out: CompareSeries[] = [];
	const add = (panel: string, metric: string, instance: string | undefined, label: string,
		fmt: (v: number) => string) =>
		out.push({ panel, name: seriesName(metric, instance), key: seriesKey(metric, instance ?? null), label, fmt });
	add('cpu', 'cpu.idle', 'total', 'idle', pct);
	add('cpu', 'cpu.iowait', 'total', 'iowait', pct);
	add('cpu', 'cpu.usr', 'total', 'user', pct);
	add('cpu', 'cpu.sys', 'total', 'system', pct);
	add('cpu', 'load.load1', undefined, 'load 1 min', (v) => fmtNum(v, 2));
	add('mem', 'mem.available_kb', undefined, 'available', fmtKb);
	if (f.vmstat) {
		add('mem', 'vmstat.minor_faults_per_s', undefined, 'minor faults', fmtRate);
		add('mem', 'vmstat.major_faults_per_s', undefined, 'major faults', fmtRate);
	}
	for (const r of f.pressure ?? [])
		if (typeof r.resource === 'string')
			add('pressure', 'pressure.some_avg10', r.resource, `${r.resource} some`, (v) => fmtPct(v, 2));
	const traffic = (r: Record<string, unknown>) =>
		(isFiniteNumber(r.rx_bytes_per_s) ? r.rx_bytes_per_s : 0) + (isFiniteNumber(r.tx_bytes_per_s) ? r.tx_bytes_per_s : 0);
	const ifaces = (f.net ?? []).filter((r) => r.iface !== 'lo' && typeof r.iface === 'string')
		.sort((a, b) => traffic(b) - traffic(a)).slice(0, 2);
	for (const r of ifaces) {
		add('net', 'net.rx_bytes_per_s', String(r.iface), `${r.iface} in`, fmtRateB);
		add('net', 'net.tx_bytes_per_s', String(r.iface), `${r.iface} out`, fmtRateB);
	}
	for (const r of (f.disk ?? []).slice(0, 2)) {
		add('disk', 'disk.read_bytes_per_s', String(r.dev), `${r.dev} read`, fmtRateB);
		add('disk', 'disk.write_bytes_per_s', String(r.dev), `${r.dev} write`, fmtRateB);
		add('disk', 'disk.util_pct', String(r.dev), `${r.dev} util`, pct);
	}
	const hw = f.perf?.hw?.total;
	if (hw && isFiniteNumber(hw.ipc))
		add('hw', 'hw.ipc', 'total', 'IPC', (v) => fmtNum(v, 2));
	if (hw && isFiniteNumber(hw.llc_miss_pct))
		add('hw', 'hw.llc_miss_pct', 'total', 'LLC miss', pct);
	if (isFiniteNumber(f.perf?.membw?.total_gbs))
		add('hw', 'membw.total_gbs', undefined, 'memory bandwidth', (v) => `${fmtNum(v, 2)} GB/s`);
	return out.slice(0, 32);
}

/* Overlay of the stacked CPU chart: busy % of the shifted window as one line. */
export function cpuOverlay(win: TimeWindow): Layer[] {
	if (!win.has('cpu.idle@total~cmp'))
		return [];
	return [{ label: 'busy', color: '#0f172a',
		values: combine([win.column('cpu.idle@total~cmp'), win.column('cpu.iowait@total~cmp')], busyPct) }];
}

/* Overlay of the memory chart: used = total (now) − available (then). */
export function memOverlay(win: TimeWindow): Layer[] {
	if (!win.has('mem.available_kb~cmp'))
		return [];
	const total = win.latest('mem.total_kb') ?? 0;
	return [{ label: 'used', color: '#3b82f6',
		values: win.column('mem.available_kb~cmp').map((v) => (v === null ? null : Math.max(0, total - v))) }];
}

/* "+12.5 %", "−3.0 %", "–". */
export function fmtChange(v: number | null | undefined): string {
	if (v === null || v === undefined || !Number.isFinite(v))
		return '–';
	return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(1)} %`;
}
