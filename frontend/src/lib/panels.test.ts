import { describe, expect, it } from 'vitest';
import { TimeWindow } from './window';
import { flattenFrame, seriesKey, type Frame } from './frame';
import { activeIfaces, coreMatrix, diskTotal, extraTiles, fmtBytes, fmtRate, fmtUptime, heatRgb,
	netTotal, pressureLayers, sumColumns } from './panels';

const frame = (ts: number, rx: number, ipc: number | null): Frame => ({
	v: 1, host: 'h', ts, seq: 1, dt: 1,
	cpu: { total: { usr: 10, nice: 0, sys: 5, idle: 80, iowait: 5, irq: 0, softirq: 0, steal: 0, guest: 0, guest_nice: 0 },
		cores: [{ cpu: 0, usr: 50, nice: 0, sys: 0, idle: 50, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guest_nice: 0 }] },
	pressure: [{ resource: 'cpu', some_avg10: 1.5, full_avg10: null }, { resource: 'io', some_avg10: 0.5, full_avg10: 0.25 }],
	net: [{ iface: 'lo', rx_bytes_per_s: 1000, tx_bytes_per_s: 1000 },
		{ iface: 'eth0', rx_bytes_per_s: rx, tx_bytes_per_s: 7 }],
	disk: [{ dev: 'sda', read_bytes_per_s: 100, write_bytes_per_s: 50 }, { dev: 'sdb', read_bytes_per_s: 1, write_bytes_per_s: null }],
	perf: { hw: { total: { ipc, llc_miss_pct: null } }, membw: { total_gbs: null },
		reasons: { llc_miss_pct: 'no_pmu' }, why: { no_pmu: 'no PMU here' } },
	uptime: { uptime_s: 3725 },
});

describe('panels', () => {
	it('keys row sections by their instance and hw by cpu', () => {
		const m = flattenFrame(frame(1000, 5, 1.25));
		expect(m.get('net.rx_bytes_per_s@eth0')).toBe(5);
		expect(m.get('pressure.some_avg10@cpu')).toBe(1.5);
		expect(m.has('pressure.full_avg10@cpu')).toBe(false);
		expect(m.get('hw.ipc@total')).toBe(1.25);
		expect(seriesKey('hw.ipc', '-1')).toBe('hw.ipc@total');
		expect(seriesKey('net.rx_bytes_per_s', 'eth0')).toBe('net.rx_bytes_per_s@eth0');
	});

	it('sums network without lo, disks over every device, skipping nulls', () => {
		const t = extraTiles(frame(1000, 5, null));
		expect(t.netRx).toBe(5);
		expect(t.netTx).toBe(7);
		expect(t.diskRead).toBe(101);
		expect(t.diskWrite).toBe(50);
		expect(t.psiCpu).toBe(1.5);
		expect(t.psiIo).toBe(0.5);
		expect(t.ipc).toBeNull();
		expect(t.uptimeS).toBe(3725);
		const w = new TimeWindow(60000, 100);
		w.upsert(1000, flattenFrame(frame(1000, 5, null)));
		w.upsert(2000, flattenFrame(frame(2000, 9, null)));
		expect(netTotal(w, 'rx_bytes_per_s')).toEqual([5, 9]);
		expect(diskTotal(w, 'write_bytes_per_s')).toEqual([50, 50]);
		expect(activeIfaces(w)).toEqual(['eth0']);
		expect(pressureLayers(w).map((l) => l.label)).toEqual(['cpu some', 'io some', 'io full']);
		expect(coreMatrix(w, [0])).toEqual([[50, 50]]);
	});

	it('sums columns keeping gaps where all are null', () => {
		expect(sumColumns([[1, null, null], [2, 3, null]], 3)).toEqual([3, 3, null]);
	});

	it('formats rates, bytes, uptime and heat', () => {
		expect(fmtBytes(1234567)).toBe('1.23 MB');
		expect(fmtRate(1500)).toBe('1.5k/s');
		expect(fmtRate(12)).toBe('12/s');
		expect(fmtUptime(3725)).toBe('1 h 2 min');
		expect(fmtUptime(2 * 86400 + 7200)).toBe('2 d 2 h');
		expect(heatRgb(0)).toEqual([148, 163, 184]);
		expect(heatRgb(100)).toEqual([239, 68, 68]);
	});
});
