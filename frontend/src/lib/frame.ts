/* The tick frame (docs/design.md, "The frame") and its flattening into series keys. */

export interface CpuStates {
	usr: number;
	nice: number;
	sys: number;
	idle: number;
	iowait: number;
	irq: number;
	softirq: number;
	steal: number;
	guest: number;
	guest_nice: number;
}

export interface Frame {
	v: number;
	host: string;
	ts: number;
	seq: number;
	dt: number;
	/* Set when the frame was too large for NOTIFY and only names a tick. */
	ref?: boolean;
	cpu?: { total: CpuStates; cores: (CpuStates & { cpu: number })[] };
	mem?: {
		total_kb: number;
		free_kb: number;
		available_kb: number;
		buffers_kb: number;
		cached_kb: number;
		swap_total_kb: number;
		swap_free_kb: number;
	};
	load?: { load1: number; load5: number; load15: number; running: number; tasks: number };
	unavailable?: Record<string, string>;
	/* OS sections (docs/design.md): arrays of rows keyed by their instance column. */
	pressure?: Row[];
	net?: Row[];
	disk?: Row[];
	fs?: Row[];
	cpufreq?: Row[];
	thermal?: Row[];
	vmstat?: Row;
	uptime?: { uptime_s: number };
	perf?: PerfSection;
}

export type Row = Record<string, unknown>;

export interface PerfSection {
	source?: string;
	hw?: { total?: Record<string, number | null> };
	sw?: { total?: Record<string, number | null> };
	membw?: Record<string, number | null>;
	reasons?: Record<string, string>;
	why?: Record<string, string>;
}

/* Row sections: the frame's key, its instance column, and the fields the dashboard charts. */
export const ROW_SECTIONS: { section: 'pressure' | 'net' | 'disk' | 'cpufreq' | 'thermal';
	label: string; fields: readonly string[] }[] = [
	{ section: 'pressure', label: 'resource', fields: ['some_avg10', 'full_avg10'] },
	{ section: 'net', label: 'iface', fields: ['rx_bytes_per_s', 'tx_bytes_per_s',
		'rx_errors_per_s', 'tx_errors_per_s', 'rx_drops_per_s', 'tx_drops_per_s'] },
	{ section: 'disk', label: 'dev', fields: ['reads_per_s', 'writes_per_s', 'read_bytes_per_s',
		'write_bytes_per_s', 'util_pct', 'read_await_ms', 'write_await_ms', 'queue_len'] },
	{ section: 'cpufreq', label: 'cpu', fields: ['freq_mhz'] },
	{ section: 'thermal', label: 'sensor', fields: ['temp_celsius'] },
];
export const VMSTAT_FIELDS = ['minor_faults_per_s', 'major_faults_per_s', 'swap_in_pages_per_s',
	'swap_out_pages_per_s', 'page_in_kb_per_s', 'page_out_kb_per_s'] as const;
/* Hardware counters of the whole machine (frame perf.hw.total → hw.<key>@total). */
export const HW_FIELDS = ['ipc', 'llc_miss_pct', 'llc_hit_pct', 'l1d_hit_pct', 'branch_miss_pct',
	'dtlb_mpki', 'ghz'] as const;
export const MEMBW_FIELDS = ['total_gbs', 'read_gbs', 'write_gbs'] as const;

export const CPU_STATES = [
	'usr', 'nice', 'sys', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice',
] as const;
export const MEM_FIELDS = [
	'total_kb', 'free_kb', 'available_kb', 'buffers_kb', 'cached_kb', 'swap_total_kb',
	'swap_free_kb', 'slab_kb', 'dirty_kb', 'shmem_kb',
] as const;
export const LOAD_FIELDS = ['load1', 'load5', 'load15'] as const;

/*
 * A series key names one value per tick: "cpu.usr@total", "cpu.idle@3" (core 3),
 * "mem.available_kb", "load.load1": the API's metric names (common/metrics.c), which are
 * `section.field` of the frame. Only cpu
 * series carry an instance.
 */
export function seriesKey(metric: string, instance?: string | number | null): string {
	if (CPU_INDEXED.some((p) => metric.startsWith(p)))
		return `${metric}@${normaliseInstance(instance)}`;
	if (instance === null || instance === undefined || instance === '' || instance === 'total')
		return metric;
	return `${metric}@${instance}`;
}

/* Sections whose instance is a CPU number (the machine's total is "total"). */
const CPU_INDEXED = ['cpu.', 'hw.', 'sw.'];

/* "total", "-1", "" and null mean the whole machine; "cpu3", "3" and 3 mean core 3. */
export function normaliseInstance(instance?: string | number | null): string {
	if (instance === null || instance === undefined)
		return 'total';
	const s = String(instance).trim();
	if (s === '' || s === 'total' || s === 'all' || s === '-1')
		return 'total';
	const digits = /(\d+)$/.exec(s);
	return digits ? String(Number(digits[1])) : s;
}

export function isFiniteNumber(x: unknown): x is number {
	return typeof x === 'number' && Number.isFinite(x);
}

/* Parses one WebSocket message; null when it is not a v1 frame with a numeric ts. */
/* A row's numeric field, or null when the row has none (missing, null or not a number). */
export function rowNum(r: Row, k: string): number | null {
	return typeof r[k] === 'number' ? (r[k] as number) : null;
}

export function parseFrame(text: string): Frame | null {
	let obj: unknown;
	try {
		obj = JSON.parse(text);
	} catch {
		return null;
	}
	if (typeof obj !== 'object' || obj === null)
		return null;
	const f = obj as Partial<Frame>;
	if (f.v !== 1 || !isFiniteNumber(f.ts))
		return null;
	return f as Frame;
}

/* Every numeric value of the frame under its series key. Missing sections give no entries. */
export function flattenFrame(f: Frame): Map<string, number> {
	const out = new Map<string, number>();
	const put = (key: string, v: unknown) => {
		if (isFiniteNumber(v))
			out.set(key, v);
	};
	if (f.cpu) {
		const total = f.cpu.total as unknown as Record<string, unknown> | undefined;
		if (total)
			for (const s of CPU_STATES)
				put(seriesKey(`cpu.${s}`, 'total'), total[s]);
		for (const core of f.cpu.cores ?? []) {
			const c = core as unknown as Record<string, unknown>;
			if (!isFiniteNumber(c.cpu))
				continue;
			for (const s of CPU_STATES)
				put(seriesKey(`cpu.${s}`, c.cpu), c[s]);
		}
	}
	if (f.mem) {
		const m = f.mem as unknown as Record<string, unknown>;
		for (const k of MEM_FIELDS)
			put(`mem.${k}`, m[k]);
	}
	if (f.load) {
		const l = f.load as unknown as Record<string, unknown>;
		for (const k of LOAD_FIELDS)
			put(`load.${k}`, l[k]);
	}
	for (const { section, label, fields } of ROW_SECTIONS) {
		const rows = f[section];
		if (!Array.isArray(rows))
			continue;
		for (const r of rows) {
			const inst = r[label];
			if (typeof inst !== 'string' && !isFiniteNumber(inst))
				continue;
			for (const k of fields)
				put(seriesKey(`${section}.${k}`, inst), r[k]);
		}
	}
	if (f.vmstat)
		for (const k of VMSTAT_FIELDS)
			put(`vmstat.${k}`, f.vmstat[k]);
	const hw = f.perf?.hw?.total;
	if (hw)
		for (const k of HW_FIELDS)
			put(seriesKey(`hw.${k}`, 'total'), hw[k]);
	const bw = f.perf?.membw;
	if (bw)
		for (const k of MEMBW_FIELDS)
			put(`membw.${k}`, bw[k]);
	return out;
}

/* Core numbers present in a frame, ascending. */
export function frameCores(f: Frame): number[] {
	const cores = (f.cpu?.cores ?? []).map((c) => c.cpu).filter(isFiniteNumber);
	return cores.sort((a, b) => a - b);
}
