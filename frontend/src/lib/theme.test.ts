import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { themeFor } from './theme';

/* themeFor() repeats style.css's colours (reading them would force a style recalculation): same values. */
describe('theme', () => {
	const css = readFileSync(new URL('../style.css', import.meta.url), 'utf8');
	const vars = (block: string) => Object.fromEntries([...block.matchAll(/--(fg|muted|grid):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
	it('has the light and dark values of style.css', () => {
		const light = vars(css.slice(0, css.indexOf('@media (prefers-color-scheme: dark)')));
		const dark = vars(css.slice(css.indexOf('@media (prefers-color-scheme: dark)')).split('}')[0]);
		expect(themeFor(false)).toEqual({ text: light.fg, muted: light.muted, grid: light.grid });
		expect(themeFor(true)).toEqual({ text: dark.fg, muted: dark.muted, grid: dark.grid });
	});
});
