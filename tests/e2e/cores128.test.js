'use strict';
/*
 * The per-core heatmap with 128 CPUs, in Debian's Chromium against a real stack. This VM has 2
 * CPUs, so the 128-CPU frames are SYNTHETIC TEST DATA: the collector's newest frame is the
 * template, its cpu.cores replaced by 128 made-up cores with a deterministic pattern, written
 * through the real ingest path (SELECT perfwatch_ingest($1), the way tests/e2e/seed-history.js
 * writes history) with the collector stopped, one frame a second, under the host name
 * "synthetic-128cpu" (the page then shows that host only, and says so in its header). They are
 * never presented as measured: they live in this throw-away stack only, and the screenshots'
 * names say synthetic.
 * Checks: a row per core (128 painted rows, each at least 4 px, labelled), hover names the CPU,
 * the tick and its busy %, and that value equals the API's for that core and tick; the per-core
 * chart draws the spread (busiest / mean / least busy) instead of 128 lines.
 * Screenshots: tests/artifacts/e2e/heatmap-128-cpus-synthetic.png, panel-cpu-128-cpus-synthetic.png.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { Client } = require('pg');
const { startStack } = require('../lib/harness.js');
const { CHROMIUM, SHOTS, ensureDashboardBuilt, waitUntil } = require('../lib/browser.js');

const NCPU = 128;

/*
 * SYNTHETIC: busy % of core c at tick k — a diagonal pattern over cores and time (so rows differ
 * visibly), two decimals, part of it iowait on every fifth core.
 */
function syntheticCore(c, k) {
	const busy = Math.round((((c * 37 + k * 11) % 97) + 1.25) * 100) / 100;
	const iowait = c % 5 === 0 ? Math.round(busy * 10) / 100 : 0;
	const usr = Math.round((busy - iowait) * 60) / 100;
	const sys = Math.round((busy - iowait - usr) * 100) / 100;
	return { cpu: c, usr, nice: 0, sys, idle: Math.round((100 - busy) * 100) / 100, iowait,
		irq: 0, softirq: 0, steal: 0, guest: 0, guest_nice: 0 };
}

/*
 * The synthetic frames' host: not the machine's own, so the API (whose config names the host of
 * the newest frame) and the page show only them, under a name that says what they are.
 */
const HOST = 'synthetic-128cpu';

/* SYNTHETIC frame k at ts: the collector's own frame with 128 made-up cores (and their mean as total). */
function syntheticFrame(template, k, ts) {
	const f = JSON.parse(JSON.stringify(template));
	f.host = HOST;
	const cores = Array.from({ length: NCPU }, (_, c) => syntheticCore(c, k));
	const mean = (key) => Math.round(cores.reduce((a, x) => a + x[key], 0) / NCPU * 100) / 100;
	f.ts = ts;
	f.seq = 1_000_000 + k;
	f.dt = 1;
	f.cpu = { total: { usr: mean('usr'), nice: 0, sys: mean('sys'), idle: mean('idle'), iowait: mean('iowait'),
		irq: 0, softirq: 0, steal: 0, guest: 0, guest_nice: 0 }, cores };
	return f;
}

describe('per-core heatmap at 128 CPUs (synthetic frames through perfwatch_ingest)', () => {
	let stack;
	let browser;
	let page;
	let db;
	let template;
	/* Frame k has ts firstTs + k s (past ones first, then the live ones). */
	let k = 0;
	let firstTs = 0;
	let ticker = null;
	const errors = [];

	/* One synthetic frame at ts, through the real ingest function (one transaction, one NOTIFY). */
	async function ingest(ts) {
		await db.query('SELECT perfwatch_ingest($1)', [JSON.stringify(syntheticFrame(template, k++, ts))]);
	}

	before(async () => {
		ensureDashboardBuilt();
		fs.mkdirSync(SHOTS, { recursive: true });
		stack = await startStack({ collector: true, interval: 1, name: 'dashboard-cores128' });
		await waitUntil('a first frame', async () => (await stack.fetch('/api/v1/latest')).status === 200);
		/* From here on the only frames are the synthetic ones. */
		await stack.services.collector.stop();
		template = await (await stack.fetch('/api/v1/latest')).json();
		db = new Client({ host: stack.db.host, port: stack.db.port, database: stack.db.database, user: 'postgres' });
		await db.connect();
		/* 4 minutes of past ticks (the page backfills them through /api/v1/query, one request per core). */
		/* After the collector's last frame: the API names the host of its newest frame by ts, and
		 * a page that loads while that is still the real host shows the real host for good. */
		const now = Math.max(Math.floor(Date.now() / 1000) * 1000, template.ts + 1000);
		firstTs = now - 240e3;
		for (let t = firstTs; t <= now; t += 1000)
			await ingest(t);
		/* Then one a second, live, while the page is open. */
		let next = now + 1000;
		ticker = setInterval(() => {
			const ts = next;
			next += 1000;
			ingest(ts).catch((e) => errors.push(`ingest: ${e.message}`));
		}, 1000);
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'] });
		const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
		const [name, value] = stack.cookie.split('=');
		await context.addCookies([{ name, value, domain: new URL(stack.httpUrl).hostname, path: '/',
			httpOnly: true, sameSite: 'Strict' }]);
		page = await context.newPage();
		page.on('pageerror', (e) => errors.push(e.message));
		await page.goto(stack.httpUrl, { waitUntil: 'load' });
	});

	after(async () => {
		if (ticker)
			clearInterval(ticker);
		await browser?.close();
		await db?.end();
		/* stop() wants every service it started running (it checks that none died on its own). */
		if (stack && !stack.services.collector.running())
			await stack.startCollector();
		await stack?.stop();
	});

	it('draws one readable, labelled row per core for all 128', async () => {
		const heat = page.locator('[data-testid="heatmap-cores"]');
		/* The page shows the synthetic host (the newest frames' host), named as such. */
		await waitUntil('the synthetic host in the header', async () =>
			(await page.locator('[data-testid="host"]').textContent().catch(() => '')) === HOST, 20000,
			async () => `header: ${await page.locator('[data-testid="host"]').textContent().catch((e) => e.message)}; errors: ${errors.join(' / ')}`);
		await waitUntil('128 cores in the heatmap and 200 ticks backfilled', async () =>
			Number(await heat.getAttribute('data-cores')) === NCPU &&
			Number(await page.getAttribute('[data-testid="dashboard"]', 'data-points')) >= 200, 60000);
		await heat.scrollIntoViewIfNeeded();
		/* The backfill is one request per core: wait until every row has the 4 minutes, not the last ticks only. */
		const measure = () => page.evaluate((n) => {
			const c = document.querySelector('[data-testid="heatmap-cores"] canvas');
			const r = c.getBoundingClientRect();
			const dpr = window.devicePixelRatio;
			const ctx = c.getContext('2d');
			/* Painted pixels per core row (the gutter of labels left of x = 48 CSS px excluded). */
			const rowH = 4;
			const rows = [];
			for (let i = 0; i < n; i++) {
				const y = Math.floor((i * rowH + rowH / 2) * dpr);
				const d = ctx.getImageData(Math.ceil(48 * dpr), y, Math.floor(c.width - 48 * dpr), 1).data;
				let painted = 0;
				for (let p = 3; p < d.length; p += 4)
					if (d[p] > 0)
						painted++;
				rows.push(painted);
			}
			/* Label pixels in the gutter: text drawn left of the plot. */
			const g = ctx.getImageData(0, 0, Math.floor(44 * dpr), Math.floor(n * rowH * dpr)).data;
			let ink = 0;
			for (let p = 3; p < g.length; p += 4)
				if (g[p] > 0)
					ink++;
			return { cssW: r.width, cssH: r.height, w: c.width, h: c.height, rows, ink,
				card: c.closest('section').getBoundingClientRect().width, win: innerWidth,
				note: document.querySelector('.heat__note')?.textContent ?? '' };
		}, NCPU);
		/* 4 minutes of a 5-minute axis in every row: equal rows alone are not enough, since rows
		 * holding only the live ticks drawn before the backfill lands are equal too. */
		const plotPx = (r) => r.w - 48 * (r.w / r.cssW);
		const m = await waitUntil('every row painted across the backfilled minutes', async () => {
			const r = await measure();
			return r.rows.length > 0 && Math.min(...r.rows) > 0.7 * plotPx(r) ? r : null;
		}, 30000).catch(async (e) => {
			const r = await measure();
			throw new Error(`${e.message}: painted pixels per row ${JSON.stringify(r.rows)}`);
		});
		/* 4 px rows: 512 px of plot plus the time axis; the card takes the whole row with this many cores. */
		assert.ok(m.cssH >= NCPU * 4, `heatmap ${m.cssH} px tall for ${NCPU} rows`);
		assert.ok(m.card > m.win * 0.8, `the heatmap card is ${m.card} px wide in a ${m.win} px window`);
		assert.ok(m.ink > 500, 'the rows are labelled');
		assert.match(m.note, /128 cores/);
		/* 128 lines would be unreadable: the per-core chart shows their spread instead. */
		const legend = await page.locator('[data-testid="chart-cores"] .u-legend').innerText();
		assert.match(legend, /busiest of 128 cores/);
		assert.match(legend, /least busy of 128 cores/);
		await page.mouse.move(1, 1);
		await heat.screenshot({ path: path.join(SHOTS, 'heatmap-128-cpus-synthetic.png') });
		const unstick = await page.addStyleTag({ content: '.bar { position: static !important; }' });
		await page.locator('[data-testid="panel-cpu"]').screenshot({ path: path.join(SHOTS, 'panel-cpu-128-cpus-synthetic.png') });
		await unstick.evaluate((el) => el.remove());
	});

	it('shows on hover the CPU, the tick and the busy % the API has for them', async () => {
		const canvas = page.locator('[data-testid="heatmap-cores"] canvas');
		const tip = page.locator('[data-testid="heatmap-tip"]');
		const box = await canvas.boundingBox();
		/* Cores at the top, the middle and the bottom, a few seconds before the newest tick. */
		for (const core of [0, 5, 63, 127]) {
			const y = box.y + core * 4 + 2;
			const x = box.x + box.width - 40;
			await page.mouse.move(x, y);
			const shown = await waitUntil(`the tip over cpu${core}`, async () => {
				if (await tip.isHidden())
					return null;
				const d = await tip.evaluate((el) => ({ ...el.dataset, text: el.textContent }));
				return d.ts ? d : null;
			}, 5000);
			assert.equal(Number(shown.cpu), core, `the row under the pointer is cpu${core}: "${shown.text}"`);
			const ts = Number(shown.ts);
			const value = Number(shown.value);
			assert.ok(shown.text.startsWith(`cpu${core} · `), shown.text);
			assert.ok(shown.text.endsWith(`${value.toFixed(1)} % busy`), shown.text);
			/* The API's numbers for that core and tick, busy = 100 − idle − iowait as the page computes it. */
			const q = async (metric) => {
				const r = await stack.fetch(`/api/v1/query?metric=${metric}&instance=${core}&host=${HOST}&from=${ts - 500}&to=${ts + 500}`);
				assert.equal(r.status, 200);
				const pts = (await r.json()).series[0].points.filter((p) => p[0] === ts);
				assert.equal(pts.length, 1, `${metric} of cpu${core} at ${ts}`);
				return pts[0][1];
			};
			const idle = await q('cpu.idle');
			const iowait = await q('cpu.iowait');
			const busy = Math.min(100, Math.max(0, 100 - idle - iowait));
			assert.equal(value, busy, `cpu${core} at ${ts}: page ${value}, API ${busy}`);
			/* And it is the synthetic value written for that core and tick (not another's). */
			const written = syntheticCore(core, (ts - firstTs) / 1000);
			assert.ok(Math.abs(value - (100 - written.idle - written.iowait)) < 0.01,
				`cpu${core} at ${ts}: page ${value}, written ${100 - written.idle - written.iowait}`);
		}
		await page.mouse.move(1, 1);
		assert.deepEqual(errors, []);
	});
});
