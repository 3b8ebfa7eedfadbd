import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunks, loadAnomalies, loadHistory, namedRange, numericPoints, panelSeries, rangeFromUrl, rangeToSearch,
	snapTs } from './history';
import { TimeWindow } from './window';
import { compareSeries, fmtChange } from './compare';
import { FRAME } from '../test/frame-example';
import type { Frame } from './frame';

describe('history ranges', () => {
	const now = 1_800_000_000_000;

	it('reads and writes the range in the URL, keeping other parameters', () => {
		expect(rangeFromUrl('', now)).toEqual({ name: 'live', from: now - 300e3, to: now });
		expect(rangeFromUrl('?range=6h', now)).toEqual({ name: '6h', from: now - 6 * 3600e3, to: now });
		expect(rangeFromUrl('?range=bogus', now).name).toBe('live');
		expect(rangeFromUrl('?from=1000&to=5000', now)).toEqual({ name: 'custom', from: 1000, to: 5000 });
		expect(rangeFromUrl('?from=5000&to=1000', now).name).toBe('live');
		expect(rangeToSearch('?panel=net', namedRange('24h', now))).toBe('?panel=net&range=24h');
		expect(rangeToSearch('?range=1h&panel=net', { name: 'custom', from: 1.4, to: 9.6 }))
			.toBe('?panel=net&from=1&to=10');
		expect(rangeToSearch('?range=1h', namedRange('live', now))).toBe('');
	});

	it('snaps overlay timestamps onto the drawn ones', () => {
		expect(snapTs([], 5)).toBe(5);
		expect(snapTs([10, 20, 30], 24)).toBe(20);
		expect(snapTs([10, 20, 30], 26)).toBe(30);
		expect(snapTs([10, 20, 30], 1)).toBe(10);
		expect(snapTs([10, 20, 30], 99)).toBe(30);
	});

	it('names the series the panels need, 32 per request', () => {
		const f = { ...FRAME, net: [{ iface: 'eth0' }], pressure: [{ resource: 'cpu' }] } as unknown as Frame;
		const names = panelSeries(f);
		expect(names).toContain('cpu.usr:total');
		expect(names).toContain('cpu.idle:1');
		expect(names).toContain('mem.available_kb');
		expect(names).toContain('net.rx_bytes_per_s:eth0');
		expect(names).toContain('pressure.some_avg10:cpu');
		expect(chunks(names, 32).every((c) => c.length <= 32)).toBe(true);
		expect(chunks([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
	});

	it('compares at most 32 series, the busiest interfaces but lo', () => {
		const f = { ...FRAME, net: [{ iface: 'lo', rx_bytes_per_s: 1e9 }, { iface: 'a', rx_bytes_per_s: 1 },
			{ iface: 'b', rx_bytes_per_s: 5 }, { iface: 'c', rx_bytes_per_s: 3 }] } as unknown as Frame;
		const s = compareSeries(f);
		expect(s.filter((x) => x.panel === 'net').map((x) => x.name))
			.toEqual(['net.rx_bytes_per_s:b', 'net.tx_bytes_per_s:b', 'net.rx_bytes_per_s:c', 'net.tx_bytes_per_s:c']);
		expect(s.find((x) => x.name === 'cpu.usr:total')?.key).toBe('cpu.usr@total');
		expect(s.length).toBeLessThanOrEqual(32);
		expect(fmtChange(12.34)).toBe('+12.3 %');
		expect(fmtChange(-3)).toBe('−3.0 %');
		expect(fmtChange(null)).toBe('–');
	});
});

describe('numericPoints', () => {
	it('keeps the points whose ts and value are numbers', () => {
		expect(numericPoints([[1, 2], [3, null], ['x', 4], [5, 6, 7], [8]])).toEqual([[1, 2], [5, 6]]);
	});
});

describe('history requests', () => {
	afterEach(() => vi.unstubAllGlobals());

	/* A fetch that answers each /api/v1 request a few ms later and counts how many are open. */
	function stubFetch() {
		const seen = { calls: 0, open: 0, maxOpen: 0 };
		vi.stubGlobal('fetch', async (path: string) => {
			seen.calls++;
			seen.maxOpen = Math.max(seen.maxOpen, ++seen.open);
			await new Promise((r) => setTimeout(r, 5));
			seen.open--;
			const names = new URL(path, 'http://x').searchParams.get('series')!.split(',');
			const body = path.startsWith('/api/v1/anomalies') ? { anomalies: [] } : {
				tier: '1m', step_s: 60,
				series: names.map((n) => ({ metric: n.split(':')[0], instance: n.split(':')[1] ?? null, points: [[1000, 1]] })),
			};
			return new Response(JSON.stringify(body), { status: 200 });
		});
		return seen;
	}

	it('asks one request at a time, 32 series each, and merges every answer', async () => {
		const seen = stubFetch();
		const names = Array.from({ length: 70 }, (_, i) => `cpu.usr:${i}`);
		const win = new TimeWindow(3600e3, 100);
		const progress: number[] = [];
		const r = await loadHistory(win, names, namedRange('1h', 1e6), 200, undefined, (d) => progress.push(d));
		expect(r).toEqual({ tier: '1m', stepS: 60 });
		expect(seen.calls).toBe(3);
		expect(seen.maxOpen).toBe(1);
		expect(progress).toEqual([1, 2, 3]);
		expect(win.keys().length).toBe(70);
		await loadAnomalies(names, namedRange('24h', 1e8));
		expect(seen.calls).toBe(6);
		expect(seen.maxOpen).toBe(1);
	});
});
