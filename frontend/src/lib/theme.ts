/* The page's colours for canvas drawings: the values of style.css's custom properties. */

import type uPlot from 'uplot';

export interface Theme {
	text: string;
	muted: string;
	grid: string;
}

/*
 * --fg, --muted and --grid of style.css (keep them in step), by colour scheme: reading them with
 * getComputedStyle would force a style recalculation of the whole page in the middle of a draw.
 */
export function themeFor(dark: boolean): Theme {
	return dark ? { text: '#e2e8f0', muted: '#8b98ad', grid: '#1c2638' } :
		{ text: '#0f172a', muted: '#64748b', grid: '#eef1f5' };
}

/* The theme of the colour scheme the browser asks for now. */
export function currentTheme(): Theme {
	return themeFor(typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches);
}

/* A chart axis in the theme's colours (the dashboard's charts and chartWarm's throw-away one). */
export function themedAxis(theme: Theme, extra: Partial<uPlot.Axis>): uPlot.Axis {
	return {
		stroke: theme.muted,
		grid: { stroke: theme.grid, width: 1 },
		ticks: { stroke: theme.grid, width: 1, size: 4 },
		font: '11px system-ui, sans-serif',
		...extra,
	};
}
