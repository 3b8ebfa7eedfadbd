'use strict';
/*
 * Browser test of the dashboard's time ranges against a real stack whose database holds 49 hours
 * of history written through perfwatch_ingest (seed-history.js): 1 h / 24 h / live switching,
 * drag to zoom, the range in the URL, the compare overlay with its per-panel deltas equal to
 * /api/v1/compare, anomaly markers from /api/v1/anomalies. Chromium is Debian's.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startStack } = require('../lib/harness.js');
const { CHROMIUM, SHOTS, ensureDashboardBuilt, waitUntil } = require('../lib/browser.js');
const { seedHistory } = require('./seed-history.js');

async function apiGet(stack, p) {
	const res = await stack.fetch(p);
	assert.equal(res.status, 200, `GET ${p}`);
	return res.json();
}

/* The range bar's state and what the charts drew. */
function readRange(page) {
	return page.evaluate(() => {
		const bar = document.querySelector('[data-testid="rangebar"]')?.dataset ?? {};
		const root = document.querySelector('[data-testid="dashboard"]').dataset;
		return { range: bar.range, from: Number(bar.from), to: Number(bar.to), loading: bar.loading === '1',
			compare: bar.compare, rangeMs: Number(bar.rangeMs), points: Number(root.points), url: location.href };
	});
}

/* Waits until a range finished loading and its charts are painted (rangeMs: the time that took). */
async function rangeLoaded(page, name) {
	return waitUntil(`range ${name} loaded`, async () => {
		const r = await readRange(page);
		return r.range === name && !r.loading && r.points > 0 && r.rangeMs > 0 ? r : null;
	});
}

describe('dashboard time ranges over seeded history', () => {
	let stack;
	let context;
	let page;
	let userDir;
	const errors = [];
	const compareUrls = [];
	const trendUrls = [];

	before(async () => {
		ensureDashboardBuilt();
		fs.mkdirSync(SHOTS, { recursive: true });
		stack = await startStack({ collector: true, interval: 1, name: 'dashboard-history' });
		await waitUntil('a first frame', async () => (await stack.fetch('/api/v1/latest')).status === 200);
		await seedHistory(stack, { hours: 49, stepS: 60, burstAgoH: 3 });
		userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-chromium-'));
		context = await chromium.launchPersistentContext(userDir, {
			executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 720 },
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		page = await context.newPage();
		page.on('pageerror', (e) => errors.push(e.message));
		page.on('request', (r) => {
			if (r.url().includes('/api/v1/compare?'))
				compareUrls.push(r.url());
			if (r.url().includes('/api/v1/trends?'))
				trendUrls.push(r.url());
		});
		await page.goto(stack.httpUrl, { waitUntil: 'load' });
		await page.waitForSelector('[data-testid="login-form"]', { timeout: 15000 });
		await page.fill('[data-testid="login-user"]', stack.admin.user);
		await page.fill('[data-testid="login-password"]', stack.admin.password);
		await page.click('[data-testid="login-submit"]');
		await page.waitForSelector('[data-testid="chart-cpu"] canvas', { timeout: 20000 });
	});

	after(async () => {
		await context?.close();
		if (userDir)
			fs.rmSync(userDir, { recursive: true, force: true });
		await stack?.stop();
	});

	it('switches to 24 h: history from the rollups, the range in the URL', async () => {
		await page.click('[data-testid="range-24h"]');
		const r = await rangeLoaded(page, '24h');
		assert.ok(Math.abs(r.to - r.from - 24 * 3600e3) < 1000);
		assert.equal(new URL(r.url).searchParams.get('range'), '24h');
		/* One point per bucket the API chose, across the whole day (seeded every minute). */
		const q = await apiGet(stack, `/api/v1/query?series=cpu.usr:total&from=${r.from}&to=${r.to}&points=2000`);
		assert.ok(q.series[0].points.length > 200, 'the API has the day');
		assert.ok(r.points >= 200, `the charts drew ${r.points} points of the day`);
		const text = await page.locator('[data-testid="range-text"]').innerText();
		assert.match(text, /tier/);
		await page.mouse.move(2, 2);
		await page.locator('[data-testid="panel-cpu"]').screenshot({ path: path.join(SHOTS, 'history-24h-cpu.png') });
	});

	it('draws the 24 h trend of each main series with the slope, interval and r² of /api/v1/trends', async () => {
		const r = await rangeLoaded(page, '24h');
		const cap = page.locator('[data-testid="chart-cpu"] [data-testid="trend"]');
		await waitUntil('the CPU trend caption', async () => (await cap.count()) === 1);
		const shown = await cap.evaluate((el) => ({ ...el.dataset, text: el.textContent }));
		assert.equal(shown.series, 'cpu.usr:total');
		/* The page's own request, asked again: the same window ending at the range's end. */
		const url = trendUrls.filter((u) => u.includes('cpu.usr:total')).at(-1);
		assert.ok(url, 'the page asked /api/v1/trends');
		const u = new URL(url);
		assert.equal(u.searchParams.get('window'), '1440m');
		assert.equal(Number(u.searchParams.get('to')), Math.ceil(r.to));
		const api = await apiGet(stack, `${u.pathname}${u.search}`);
		assert.equal(api.window_s, 86400);
		const t = api.trends.find((x) => x.series === 'cpu.usr:total');
		assert.ok(t && Number.isFinite(t.slope_per_day) && t.points > 100, 'the API fits the seeded day');
		assert.equal(Number(shown.slope), t.slope_per_day);
		assert.equal(Number(shown.ci), t.ci95_per_day);
		assert.equal(Number(shown.r2), t.r2);
		const sign = t.slope_per_day > 0 ? '+' : t.slope_per_day < 0 ? '−' : '±';
		assert.ok(shown.text.startsWith(`user: trend ${sign}${Math.abs(t.slope_per_day).toFixed(1)} %/day ±${t.ci95_per_day.toFixed(1)} %, r²=${t.r2.toFixed(2)}`),
			`caption "${shown.text}" for slope ${t.slope_per_day}, ci ${t.ci95_per_day}, r² ${t.r2}`);
		assert.equal(shown.text.endsWith('(not significant)'), !t.significant);
		/* The legend names the dashed line with the same text. */
		const legend = await page.locator('[data-testid="chart-cpu"] .u-legend').innerText();
		assert.ok(legend.includes(shown.text.slice('user: '.length)), `legend: ${legend}`);
	});

	it('switches to 1 h and back to live', async () => {
		await page.click('[data-testid="range-1h"]');
		const r = await rangeLoaded(page, '1h');
		assert.ok(Math.abs(r.to - r.from - 3600e3) < 1000);
		assert.equal(new URL(r.url).searchParams.get('range'), '1h');
		assert.equal(await page.locator('[data-testid="trend"]').count(), 0, 'no trend below 24 h');
		await page.click('[data-testid="range-live"]');
		const live = await waitUntil('live again', async () => {
			const x = await readRange(page);
			return x.range === 'live' && x.points > 0 ? x : null;
		});
		assert.equal(new URL(live.url).searchParams.get('range'), null);
		const last = Number(await page.getAttribute('[data-testid="dashboard"]', 'data-last-ts'));
		assert.ok(Date.now() - last < 15000, 'live ticks are painted');
	});

	it('zooms into a dragged span of a chart', async () => {
		await page.click('[data-testid="range-24h"]');
		const day = await rangeLoaded(page, '24h');
		const over = page.locator('[data-testid="chart-cpu"] .u-over');
		const box = await over.boundingBox();
		const y = box.y + box.height / 2;
		await page.mouse.move(box.x + box.width * 0.5, y);
		await page.mouse.down();
		await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
		await page.mouse.move(box.x + box.width * 0.75, y, { steps: 5 });
		await page.mouse.up();
		const z = await rangeLoaded(page, 'custom');
		const span = day.to - day.from;
		assert.ok(z.to - z.from > span * 0.15 && z.to - z.from < span * 0.35, `zoomed to ${(z.to - z.from) / 3600e3} h`);
		assert.ok(Math.abs(z.from - (day.from + span * 0.5)) < span * 0.05, 'starts where the drag started');
		const u = new URL(z.url);
		assert.equal(Number(u.searchParams.get('from')), Math.round(z.from));
		assert.equal(Number(u.searchParams.get('to')), Math.round(z.to));
	});

	it('overlays yesterday with per-panel deltas equal to /api/v1/compare, and marks anomalies', async () => {
		await page.click('[data-testid="range-24h"]');
		await page.selectOption('[data-testid="compare"]', '1d');
		const r = await waitUntil('the compare deltas', async () => {
			const x = await readRange(page);
			const n = await page.locator('[data-testid="delta-cpu"] tbody tr').count();
			return x.range === '24h' && !x.loading && x.compare === '1d' && n > 0 ? x : null;
		});
		assert.equal(new URL(r.url).searchParams.get('compare'), '1d');
		const legend = await page.locator('[data-testid="chart-cpu"] .u-legend').innerText();
		assert.match(legend, /busy \(yesterday\)/);
		/* The same request as the page's, asked again: the table shows the API's numbers. */
		const asked = compareUrls.filter((u) => u.includes('cpu.usr:total') && u.includes(`from=${Math.floor(r.from)}`)).pop();
		assert.ok(asked, 'the page asked /api/v1/compare for the range');
		const u = new URL(asked);
		assert.equal(u.searchParams.get('offset'), '1d');
		const cmp = await apiGet(stack, `${u.pathname}${u.search}`);
		const api = cmp.series.find((x) => x.series === 'cpu.usr:total');
		const row = page.locator('[data-testid="delta-cpu"] tr[data-series="cpu.usr:total"]');
		const shown = Number(await row.getAttribute('data-change'));
		assert.equal(shown, api.change_pct);
		assert.equal(await row.locator('td').nth(5).innerText(),
			`${api.change_pct > 0 ? '+' : api.change_pct < 0 ? '−' : '±'}${Math.abs(api.change_pct).toFixed(1)} %`);
		/* The 15-minute burst 3 h ago: the anomaly API finds it and the chart marks it. */
		const an = await apiGet(stack, `/api/v1/anomalies?series=cpu.usr:total&from=${r.from}&to=${r.to}`);
		assert.ok(an.anomalies.length > 0, 'the API finds the seeded burst');
		const marks = page.locator('[data-testid="chart-cpu"] [data-testid="anomaly-marker"]');
		await waitUntil('anomaly markers', async () => (await marks.count()) > 0);
		assert.match(await marks.first().getAttribute('title'), /cpu\.usr:total: .*peak/);
		await page.mouse.move(2, 2);
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: path.join(SHOTS, 'history-24h-compare.png') });
		const unstick = await page.addStyleTag({ content: '.bar { position: static !important; }' });
		await page.locator('[data-testid="panel-cpu"]').screenshot({ path: path.join(SHOTS, 'history-compare-cpu.png') });
		await unstick.evaluate((el) => el.remove());
	});

	it('opens a shared link with its range, compare and panel', async () => {
		const from = Date.now() - 5 * 3600e3;
		const to = Date.now() - 3600e3;
		const fresh = await context.newPage();
		try {
			await fresh.goto(`${stack.httpUrl}/?from=${from}&to=${to}&compare=1d&panel=net`, { waitUntil: 'load' });
			const r = await rangeLoaded(fresh, 'custom');
			assert.equal(r.from, from);
			assert.equal(r.to, to);
			assert.equal(r.compare, '1d');
			await waitUntil('the network panel in view', async () => fresh.evaluate(() => {
				const b = document.getElementById('panel-net').getBoundingClientRect();
				return b.top >= -2 && b.top < 200;
			}));
		} finally {
			await fresh.close();
		}
		assert.deepEqual(errors, []);
	});
});
