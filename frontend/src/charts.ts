/* The four charts of the dashboard: what each draws and how it labels values. */

import type { ChartSpec } from './lib/chartView';
import { cpuOverlay, memOverlay } from './lib/compare';
import { diskAwaitLayers, diskBytesLayers, diskIopsLayers, diskUtilLayers, faultLayers, fmtRate,
	fmtRateB, freqLayers, netErrorLayers, hwLayers, hwPctLayers, membwLayers, netLayers, pagingLayers,
	pressureLayers, tempLayers } from './lib/panels';
import { coreLayers, cpuStateLayers, fmtKb, fmtNum, fmtPct, loadLayers, memLayers } from './lib/shape';

const pctAxis = (v: number) => `${Math.round(v)}%`;

export const cpuChart: ChartSpec = {
	id: 'cpu',
	title: 'CPU by state',
	stacked: true,
	fmt: (v) => fmtPct(v),
	axisFmt: pctAxis,
	yRange: () => [0, 100],
	layers: cpuStateLayers,
	overlay: cpuOverlay,
};

export const coresChart: ChartSpec = {
	id: 'cores',
	title: 'CPU busy per core',
	fmt: (v) => fmtPct(v),
	axisFmt: pctAxis,
	yRange: () => [0, 100],
	layers: (win) => coreLayers(win),
};

/* Tick steps for kB axes in whole binary units: 1, 2, 4, 8 ... KiB, MiB, GiB, TiB. */
const KB_INCRS = [0, 1, 2, 3, 4].flatMap((p) =>
	[1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((m) => m * 1024 ** p));

export const memChart: ChartSpec = {
	id: 'mem',
	title: 'Memory',
	fmt: fmtKb,
	axisFmt: (v) => (v === 0 ? '0' : fmtKb(v).replace(/\.0+ /, ' ')),
	yIncrs: KB_INCRS,
	fillFirst: true,
	dashed: ['swap used'],
	yRange: (win, max) => {
		const total = win.latest('mem.total_kb') ?? 0;
		return [0, Math.max(total, max, 1)];
	},
	layers: memLayers,
	overlay: memOverlay,
};

export const loadChart: ChartSpec = {
	id: 'load',
	title: 'Load average',
	fmt: (v) => fmtNum(v, 2),
	axisFmt: (v) => fmtNum(v, v < 10 ? 1 : 0),
	yRange: (_win, max) => [0, Math.max(1, max * 1.15)],
	layers: loadLayers,
};

const zeroTo = (min: number) => (_w: unknown, max: number): [number, number] =>
	[0, Math.max(min, max * 1.15)];
const pctRange = (_w: unknown, max: number): [number, number] => [0, Math.max(5, Math.min(100, max * 1.2))];

export const faultsChart: ChartSpec = {
	id: 'faults', title: 'Page faults', fmt: fmtRate, axisFmt: fmtRate, yRange: zeroTo(1),
	layers: faultLayers,
};
export const pagingChart: ChartSpec = {
	id: 'paging', title: 'Paging (kB/s) and swapping (pages/s)', fmt: (v) => fmtNum(v, 0),
	axisFmt: (v) => fmtNum(v, 0), yRange: zeroTo(1), dashed: ['swap in', 'swap out'],
	layers: pagingLayers,
};
export const pressureChart: ChartSpec = {
	id: 'pressure', title: 'Pressure stall (avg10, % of time)', fmt: (v) => fmtPct(v, 2), axisFmt: pctAxis,
	yRange: pctRange, dashed: ['cpu full', 'memory full', 'io full', 'irq full'], layers: pressureLayers,
};
export const netChart: ChartSpec = {
	id: 'net', title: 'Network throughput (busiest interfaces)', fmt: fmtRateB, axisFmt: fmtRateB,
	yRange: zeroTo(1024), layers: netLayers,
};
export const netErrChart: ChartSpec = {
	id: 'net-errors', title: 'Network errors and drops (all interfaces)', fmt: fmtRate, axisFmt: fmtRate,
	yRange: zeroTo(1), layers: netErrorLayers,
};
export const diskIopsChart: ChartSpec = {
	id: 'disk-iops', title: 'Disk IOPS per device', fmt: fmtRate, axisFmt: fmtRate, yRange: zeroTo(1),
	layers: diskIopsLayers,
};
export const diskBytesChart: ChartSpec = {
	id: 'disk-bytes', title: 'Disk throughput per device', fmt: fmtRateB, axisFmt: fmtRateB,
	yRange: zeroTo(1024), layers: diskBytesLayers,
};
export const diskUtilChart: ChartSpec = {
	id: 'disk-util', title: 'Disk utilisation', fmt: (v) => fmtPct(v), axisFmt: pctAxis,
	yRange: pctRange, layers: diskUtilLayers,
};
export const diskAwaitChart: ChartSpec = {
	id: 'disk-await', title: 'Disk await (ms)', fmt: (v) => `${fmtNum(v, 2)} ms`,
	axisFmt: (v) => fmtNum(v, v < 10 ? 1 : 0), yRange: zeroTo(1), layers: diskAwaitLayers,
};
export const ipcChart: ChartSpec = {
	id: 'hw-ipc', title: 'Instructions per cycle', fmt: (v) => fmtNum(v, 2), yRange: zeroTo(1),
	layers: hwLayers,
};
export const hwPctChart: ChartSpec = {
	id: 'hw-cache', title: 'Cache and branch (%)', fmt: (v) => fmtPct(v), axisFmt: pctAxis,
	yRange: pctRange, layers: hwPctLayers,
};
export const membwChart: ChartSpec = {
	id: 'hw-membw', title: 'Memory bandwidth (GB/s)', fmt: (v) => `${fmtNum(v, 2)} GB/s`,
	axisFmt: (v) => fmtNum(v, 1), yRange: zeroTo(0.1), layers: membwLayers,
};
export const tempChart: ChartSpec = {
	id: 'temp', title: 'Temperature (°C)', fmt: (v) => `${fmtNum(v, 1)} °C`, axisFmt: (v) => fmtNum(v, 0),
	yRange: (_w, max) => [0, Math.max(50, max * 1.1)], layers: tempLayers,
};
export const freqChart: ChartSpec = {
	id: 'freq', title: 'CPU frequency (MHz)', fmt: (v) => `${fmtNum(v, 0)} MHz`, axisFmt: (v) => fmtNum(v, 0),
	yRange: zeroTo(100), layers: freqLayers,
};

export interface PanelSpec {
	id: string;
	title: string;
	charts: ChartSpec[];
}

/* The page's panels, top to bottom; tiles link to them by id (#panel-<id>, ?panel=<id>). */
export const PANELS: PanelSpec[] = [
	{ id: 'cpu', title: 'CPU', charts: [cpuChart, loadChart, coresChart] },
	{ id: 'mem', title: 'Memory', charts: [memChart, faultsChart, pagingChart] },
	{ id: 'pressure', title: 'Pressure (PSI)', charts: [pressureChart] },
	{ id: 'net', title: 'Network', charts: [netChart, netErrChart] },
	{ id: 'disk', title: 'Disks', charts: [diskIopsChart, diskBytesChart, diskUtilChart, diskAwaitChart] },
	{ id: 'fs', title: 'File systems', charts: [] },
	{ id: 'hw', title: 'Hardware counters', charts: [ipcChart, hwPctChart, membwChart] },
	{ id: 'sensors', title: 'Temperature and frequency', charts: [tempChart, freqChart] },
];

export const CHARTS: ChartSpec[] = PANELS.flatMap((p) => p.charts);
