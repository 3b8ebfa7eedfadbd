import { describe, expect, it } from 'vitest';
import { backoffMs, busyPct, combine, coreBusy, cpuStateLayers, fmtKb, fmtPct, memLayers,
	stack, tilesFromFrame, windowCores } from './shape';
import { flattenFrame } from './frame';
import { TimeWindow } from './window';
import { FRAME } from '../test/frame-example';

describe('combine and stack', () => {
	it('propagates nulls through derived series', () => {
		expect(combine([[1, null, 3], [10, 20, null]], (a, b) => a + b)).toEqual([11, null, null]);
		expect(combine([], () => 0)).toEqual([]);
	});

	it('stacks layers cumulatively, a fully empty tick stays a gap', () => {
		expect(stack([[1, null, 2], [2, null, null], [3, null, 1]])).toEqual([
			[1, null, 2],
			[3, null, 2],
			[6, null, 3],
		]);
	});
});

describe('derived values', () => {
	const w = new TimeWindow(300_000, 1000);
	w.upsert(FRAME.ts, flattenFrame(FRAME as never));
	w.upsert(FRAME.ts + 1000, [['cpu.idle@0', 50], ['cpu.iowait@0', 10]]);

	it('computes busy % as 100 - idle - iowait, clamped', () => {
		expect(busyPct(96, 0.5)).toBe(3.5);
		expect(busyPct(100, 0.5)).toBe(0);
		expect(coreBusy(w, 0)).toEqual([3.5, 40]);
		expect(coreBusy(w, 1)).toEqual([2.5, null]);
		expect(coreBusy(w, 'total')[0]).toBe(3);
		expect(windowCores(w)).toEqual([0, 1]);
	});

	it('derives memory used from total - available', () => {
		const mem = memLayers(w);
		expect(mem.map((l) => l.label)).toEqual(['used', 'cached', 'buffers', 'free']);
		expect(mem[0].values[0]).toBe(24589012 - 20000000);
		const swap = new TimeWindow(300_000, 10);
		swap.upsert(1, [['mem.swap_total_kb', 1000], ['mem.swap_free_kb', 250]]);
		expect(memLayers(swap).find((l) => l.label === 'swap used')?.values).toEqual([750]);
	});

	it('folds irq+softirq and guest into one layer each', () => {
		const cpu = cpuStateLayers(w);
		expect(cpu.find((l) => l.label === 'irq+softirq')?.values[0]).toBe(0.5);
		expect(cpu.find((l) => l.label === 'guest')?.values[0]).toBe(0);
		expect(cpu.some((l) => l.label === 'idle')).toBe(false);
	});

	it('fills the tiles from one frame', () => {
		const t = tilesFromFrame(FRAME as never);
		expect(t.ts).toBe(FRAME.ts);
		expect(t.cpuBusy).toBe(3);
		expect(t.memUsedKb).toBe(4589012);
		expect(t.load1).toBe(0.12);
		expect(t.cores).toBe(2);
		expect(tilesFromFrame({ v: 1, host: 'h', ts: 5, seq: 1, dt: 1 }).cpuBusy).toBeNull();
	});
});

describe('formats', () => {
	it('prints kB in binary units', () => {
		expect(fmtKb(512)).toBe('512 KiB');
		expect(fmtKb(1536)).toBe('1.50 MiB');
		expect(fmtKb(24589012)).toBe('23.4 GiB');
		expect(fmtKb(3 * 1024 * 1024)).toBe('3.00 GiB');
		expect(fmtKb(null)).toBe('–');
		expect(fmtPct(12.345)).toBe('12.3 %');
		expect(fmtPct(Number.NaN)).toBe('–');
	});
});

describe('backoffMs', () => {
	it('doubles from 0.5 s up to 15 s, jittered by ±20 %', () => {
		expect(backoffMs(0, () => 0.5)).toBe(500);
		expect(backoffMs(3, () => 0.5)).toBe(4000);
		expect(backoffMs(20, () => 0.5)).toBe(15000);
		expect(backoffMs(0, () => 0)).toBe(400);
		expect(backoffMs(0, () => 1)).toBe(600);
	});
});
