/* Test data: the example frame of docs/design.md with both cores filled in. */

const states = (usr: number, idle: number) => ({
	usr, nice: 0, sys: 1, idle, iowait: 0.5, irq: 0.25, softirq: 0.25, steal: 0, guest: 0,
	guest_nice: 0,
});

export const FRAME = {
	v: 1,
	host: 'build-vm',
	ts: 1763779644123,
	seq: 42,
	dt: 1.000213,
	cpu: {
		total: states(1.5, 96.5),
		cores: [{ cpu: 1, ...states(1, 97) }, { cpu: 0, ...states(2, 96) }],
	},
	mem: {
		total_kb: 24589012, free_kb: 1000, available_kb: 20000000, buffers_kb: 300,
		cached_kb: 4000, swap_total_kb: 0, swap_free_kb: 0,
	},
	load: { load1: 0.12, load5: 0.3, load15: 0.2, running: 1, tasks: 312 },
	unavailable: { pressure: 'kernel has no /proc/pressure (CONFIG_PSI off)' },
};

