import { describe, expect, it } from 'vitest';
import { flattenFrame, frameCores, normaliseInstance, parseFrame, rowNum, seriesKey } from './frame';
import { FRAME } from '../test/frame-example';

describe('parseFrame', () => {
	it('accepts a v1 frame and rejects anything else', () => {
		expect(parseFrame(JSON.stringify(FRAME))?.seq).toBe(42);
		expect(parseFrame('not json')).toBeNull();
		expect(parseFrame('[1,2]')).toBeNull();
		expect(parseFrame(JSON.stringify({ ...FRAME, v: 2 }))).toBeNull();
		expect(parseFrame(JSON.stringify({ ...FRAME, ts: '1763779644123' }))).toBeNull();
		expect(parseFrame('null')).toBeNull();
	});
});

describe('series keys', () => {
	it('carry an instance for cpu metrics only', () => {
		expect(seriesKey('cpu.usr', 'total')).toBe('cpu.usr@total');
		expect(seriesKey('cpu.usr', -1)).toBe('cpu.usr@total');
		expect(seriesKey('cpu.usr', 'cpu3')).toBe('cpu.usr@3');
		expect(seriesKey('cpu.usr', 3)).toBe('cpu.usr@3');
		expect(seriesKey('mem.total_kb', null)).toBe('mem.total_kb');
		expect(seriesKey('load.load1', 'total')).toBe('load.load1');
		expect(normaliseInstance(undefined)).toBe('total');
		expect(normaliseInstance('07')).toBe('7');
	});
});

describe('flattenFrame', () => {
	it('maps every section to API metric names', () => {
		const m = flattenFrame(FRAME as never);
		expect(m.get('cpu.usr@total')).toBe(1.5);
		expect(m.get('cpu.idle@0')).toBe(96);
		expect(m.get('cpu.idle@1')).toBe(97);
		expect(m.get('mem.total_kb')).toBe(24589012);
		expect(m.get('mem.available_kb')).toBe(20000000);
		expect(m.get('mem.swap_free_kb')).toBe(0);
		expect(m.get('load.load15')).toBe(0.2);
		/* 10 states x (total + 2 cores) + 7 memory + 3 load averages */
		expect(m.size).toBe(40);
	});

	it('skips missing sections and non-numeric values', () => {
		const m = flattenFrame({ v: 1, host: 'h', ts: 1, seq: 1, dt: 1,
			load: { load1: null, load5: 1, load15: 'x' } } as never);
		expect([...m.keys()]).toEqual(['load.load5']);
	});

	it('lists cores in ascending order', () => {
		expect(frameCores(FRAME as never)).toEqual([0, 1]);
	});
});

describe('rowNum', () => {
	it('gives a number field and null for anything else', () => {
		const r = { a: 1.5, z: 0, s: '3', n: null };
		expect(rowNum(r, 'a')).toBe(1.5);
		expect(rowNum(r, 'z')).toBe(0);
		expect(rowNum(r, 's')).toBeNull();
		expect(rowNum(r, 'n')).toBeNull();
		expect(rowNum(r, 'missing')).toBeNull();
	});
});
