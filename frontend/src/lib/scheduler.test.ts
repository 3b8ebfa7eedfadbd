import { describe, expect, it } from 'vitest';
import { drawOrder, runSliced, warmIntl, type DrawItem } from './scheduler';

const item = (order: number, o: Partial<DrawItem> = {}): DrawItem & { id: number } =>
	({ id: order, order, visible: false, fresh: false, structural: false, drawnAt: 0, ...o });

describe('drawOrder', () => {
	it('draws stale charts on screen first, then new-range ones off screen, then overdue ones', () => {
		const now = 10_000;
		const items = [
			item(5, { visible: true }),
			item(1, { structural: true }),
			item(2, { drawnAt: now - 6000 }),
			item(3, { visible: true, fresh: true }),
			item(4, { drawnAt: now - 1000 }),
			item(0, { visible: true }),
		];
		expect(drawOrder(items, now, 5000).map((x) => x.id)).toEqual([0, 5, 1, 2]);
	});

	it('leaves fresh charts alone wherever they are', () => {
		expect(drawOrder([item(0, { fresh: true, visible: true }), item(1, { fresh: true, structural: true })], 0, 0)).toEqual([]);
	});
});

describe('runSliced', () => {
	it('yields once the budget is spent, never inside a step, and runs every step', async () => {
		let clock = 0;
		const log: string[] = [];
		const n = await runSliced([3, 3, 3, 10, 1], (ms) => {
			clock += ms;
			log.push(`step${ms}`);
		}, { budgetMs: 8, now: () => clock, yield: async () => {
			log.push('yield');
		} });
		expect(n).toBe(5);
		/* 3 + 3 = 6 < 8, + 3 = 9: yield; 10: yield; 1. */
		expect(log).toEqual(['step3', 'step3', 'step3', 'yield', 'step10', 'yield', 'step1']);
	});

	it('waits for a step that ends in a promise before reading the clock', async () => {
		let clock = 0;
		let yields = 0;
		await runSliced([1, 2], (ms) => Promise.resolve().then(() => {
			clock += ms * 10;
		}), { budgetMs: 5, now: () => clock, yield: async () => {
			yields++;
		} });
		expect(yields).toBe(1);
	});

	it('stops when asked (a newer pass took over)', async () => {
		let k = 0;
		const n = await runSliced([1, 2, 3, 4], () => {
			k++;
		}, { budgetMs: 100, stop: () => k >= 2 });
		expect(n).toBe(2);
	});
});

describe('warmIntl', () => {
	it('runs each step after a yield of its own, in order', async () => {
		const log: string[] = [];
		await warmIntl([() => log.push('a'), () => log.push('b')], async () => {
			log.push('yield');
		});
		expect(log).toEqual(['yield', 'a', 'yield', 'b']);
	});

	it('goes on after a step that throws', async () => {
		const log: string[] = [];
		await warmIntl([() => {
			throw new Error('no Intl.Locale');
		}, () => log.push('b')], async () => {});
		expect(log).toEqual(['b']);
	});
});
