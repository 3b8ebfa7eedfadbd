/* The four charts of the dashboard: what each draws and how it labels values. */

import type { ChartSpec } from './lib/chartView';
import { coreBusy, coreColor, cpuStateLayers, fmtKb, fmtNum, fmtPct, loadLayers, memLayers,
	windowCores } from './lib/shape';

const pctAxis = (v: number) => `${Math.round(v)}%`;

export const cpuChart: ChartSpec = {
	id: 'cpu',
	title: 'CPU by state',
	stacked: true,
	fmt: (v) => fmtPct(v),
	axisFmt: pctAxis,
	yRange: () => [0, 100],
	layers: cpuStateLayers,
};

export const coresChart: ChartSpec = {
	id: 'cores',
	title: 'CPU busy per core',
	fmt: (v) => fmtPct(v),
	axisFmt: pctAxis,
	yRange: () => [0, 100],
	layers: (win) => windowCores(win).map((c, i) => ({
		label: `cpu${c}`,
		color: coreColor(i),
		values: coreBusy(win, c),
	})),
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
};

export const loadChart: ChartSpec = {
	id: 'load',
	title: 'Load average',
	fmt: (v) => fmtNum(v, 2),
	axisFmt: (v) => fmtNum(v, v < 10 ? 1 : 0),
	yRange: (_win, max) => [0, Math.max(1, max * 1.15)],
	layers: loadLayers,
};

export const CHARTS: ChartSpec[] = [cpuChart, coresChart, memChart, loadChart];
