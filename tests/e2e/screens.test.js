'use strict';
/*
 * The dashboard on a 4K screen (3840×2160, deviceScaleFactor 1) and on a HiDPI one (1920×1080 at
 * deviceScaleFactor 2), against a real stack (PostgreSQL, collector at 1 s, API server serving
 * frontend/dist) in Debian's Chromium: no horizontal overflow, every chart as wide as its card,
 * canvases backed at CSS size × devicePixelRatio (crisp), text no smaller than 11 px, the page
 * using the width of a 4K screen. Screenshots: tests/artifacts/e2e/overview-3840x2160.png,
 * overview-1920x1080@2x.png, panel-cpu-1920x1080@2x.png.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startStack } = require('../lib/harness.js');
const { CHROMIUM, SHOTS, sleep, ensureDashboardBuilt, waitUntil } = require('../lib/browser.js');

/* Charts every Linux machine with /proc fills (hardware counters and sensors may be missing). */
const CHARTS = ['cpu', 'load', 'cores', 'mem', 'faults', 'paging', 'pressure', 'net', 'net-errors',
	'disk-iops', 'disk-bytes', 'disk-util', 'disk-await'];
/*
 * Charts that may rightly have no value yet: a disk's average wait is undefined (null) while it
 * completes no I/O, so disk-await has no layer with data until the disk does some (that wait took
 * 13-30 s in some CI runs: the slow 4K cases, diagnosed from the state printed below).
 */
const MAY_BE_EMPTY = ['disk-await'];

/*
 * What the layout checks need, measured in the page: the document's widths, each chart's card,
 * plot and canvases, the heatmap and sparkline canvases, and the smallest text on screen.
 */
function measure(page) {
	return page.evaluate(() => {
		const dpr = window.devicePixelRatio;
		const rect = (el) => el.getBoundingClientRect();
		const canvasInfo = (c) => {
			const r = rect(c);
			return { cssW: r.width, cssH: r.height, w: c.width, h: c.height };
		};
		const charts = {};
		for (const card of document.querySelectorAll('section.card[data-testid^="chart-"]')) {
			if (!card.offsetParent)
				continue;
			const plot = card.querySelector('.card__plot');
			const u = card.querySelector('.uplot');
			charts[card.dataset.testid.slice(6)] = {
				card: rect(card).width, plot: rect(plot).width, uplot: u ? rect(u).width : null,
				right: rect(card).right, canvases: [...card.querySelectorAll('canvas')].map(canvasInfo),
			};
		}
		/* Text: every element with its own non-empty text, visible, in the page. */
		let minFont = Infinity;
		let minFontText = '';
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!n.textContent.trim() || !el || !el.offsetParent || el.closest('[hidden]'))
				continue;
			const fs = parseFloat(getComputedStyle(el).fontSize);
			if (fs < minFont) {
				minFont = fs;
				minFontText = n.textContent.trim().slice(0, 40);
			}
		}
		const wide = [...document.querySelectorAll('body *')].filter((el) => rect(el).right > innerWidth + 0.5 &&
			getComputedStyle(el).position !== 'fixed').map((el) => `${el.tagName}.${el.className}`).slice(0, 5);
		return {
			dpr, innerWidth, scrollWidth: document.documentElement.scrollWidth,
			clientWidth: document.documentElement.clientWidth, wide,
			content: rect(document.querySelector('.content')).width,
			charts, minFont, minFontText,
			heat: canvasInfo(document.querySelector('[data-testid="heatmap-cores"] canvas')),
			sparks: [...document.querySelectorAll('.tile__spark')].filter((c) => c.offsetParent).map(canvasInfo),
		};
	});
}

/* A canvas backed at its CSS size × devicePixelRatio (uPlot and ours round to whole pixels). */
function assertCrisp(what, c, dpr) {
	assert.ok(c.cssW > 0 && c.cssH > 0, `${what} is laid out (${c.cssW}×${c.cssH})`);
	assert.ok(Math.abs(c.w - c.cssW * dpr) <= 1.5 && Math.abs(c.h - c.cssH * dpr) <= 1.5,
		`${what}: backing ${c.w}×${c.h} for ${c.cssW}×${c.cssH} CSS px at devicePixelRatio ${dpr}`);
}

describe('dashboard on large and HiDPI screens', () => {
	let stack;
	let browser;
	const errors = [];

	before(async () => {
		ensureDashboardBuilt();
		fs.mkdirSync(SHOTS, { recursive: true });
		stack = await startStack({ collector: true, interval: 1, name: 'dashboard-screens' });
		await waitUntil('a first frame', async () => (await stack.fetch('/api/v1/latest')).status === 200);
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'] });
	});

	after(async () => {
		await browser?.close();
		await stack?.stop();
	});

	/* A page of a new context with this screen, signed in with the harness's session cookie. */
	async function open(width, height, deviceScaleFactor) {
		const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor, colorScheme: 'light' });
		const [name, value] = stack.cookie.split('=');
		await context.addCookies([{ name, value, domain: new URL(stack.httpUrl).hostname, path: '/',
			httpOnly: true, sameSite: 'Strict' }]);
		const page = await context.newPage();
		page.on('pageerror', (e) => errors.push(e.message));
		await page.goto(stack.httpUrl, { waitUntil: 'load' });
		/*
		 * Every chart drawn with data (off-screen ones are drawn in the background; MAY_BE_EMPTY
		 * ones drawn at all), a full tick window. Usually 5-6 s; what the page had after 10 s is
		 * printed before waiting up to 60 s in all (layout is checked here, not speed: that is
		 * bench/browser_bench.js's job).
		 */
		const drawn = () => page.evaluate(([ids, mayBeEmpty]) => {
			const root = document.querySelector('[data-testid="dashboard"]');
			return Number(root?.dataset.points) >= 5 && ids.every((id) => {
				const card = document.querySelector(`[data-testid="chart-${id}"]`);
				return card && (mayBeEmpty.includes(id) || Number(card.dataset.layers) > 0) &&
					card.querySelector('.uplot canvas');
			});
		}, [CHARTS, MAY_BE_EMPTY]);
		const seen = () => page.evaluate((ids) => {
			const root = document.querySelector('[data-testid="dashboard"]');
			const cards = ids.map((id) => {
				const card = document.querySelector(`[data-testid="chart-${id}"]`);
				return `${id}: ${card ? `layers ${card.dataset.layers}, canvas ${!!card.querySelector('.uplot canvas')}` : 'no card'}`;
			});
			const banner = document.querySelector('[data-testid="error-banner"]')?.textContent ?? '';
			return `points ${root?.dataset.points}, frames ${root?.dataset.frames}, conn ${root?.dataset.conn}; ${cards.join('; ')}; banner "${banner}"`;
		}, CHARTS).catch((e) => e.message).then((page) => `${page}; page errors: ${errors.join(' / ') || 'none'}`);
		const t0 = Date.now();
		try {
			await waitUntil('every chart drawn', drawn, 10000, seen);
		} catch (e) {
			console.log(`# ${width}x${height}@${deviceScaleFactor}: not every chart drawn after 10 s: ${e.message}`);
			await waitUntil('every chart drawn', drawn, 50000, seen);
			console.log(`# ${width}x${height}@${deviceScaleFactor}: every chart drawn after ${Date.now() - t0} ms`);
		}
		await page.mouse.move(1, 1);
		await sleep(1500);
		return { context, page };
	}

	function checkLayout(m, label) {
		assert.equal(m.scrollWidth, m.clientWidth, `${label}: no horizontal overflow (${m.wide.join(', ')})`);
		assert.deepEqual(m.wide, [], `${label}: nothing wider than the window`);
		for (const id of CHARTS) {
			const c = m.charts[id];
			assert.ok(c, `${label}: chart ${id} is shown`);
			/* The plot fills its card's content box, uPlot as wide as the plot element. */
			assert.ok(c.plot > 200 && c.plot < c.card && c.card - c.plot <= 40, `${label}: chart ${id} plot ${c.plot} px in a ${c.card} px card`);
			assert.ok(Math.abs(c.uplot - c.plot) <= 1, `${label}: chart ${id} drawn ${c.uplot} px wide in a ${c.plot} px plot`);
			assert.ok(c.right <= m.innerWidth, `${label}: chart ${id} inside the window`);
			assert.ok(c.canvases.length >= 1);
			for (const [i, cv] of c.canvases.entries())
				assertCrisp(`${label}: chart ${id} canvas ${i}`, cv, m.dpr);
		}
		assertCrisp(`${label}: heatmap`, m.heat, m.dpr);
		assert.ok(m.sparks.length >= 8, `${label}: sparklines shown`);
		for (const [i, s] of m.sparks.entries())
			assertCrisp(`${label}: sparkline ${i}`, s, m.dpr);
		assert.ok(m.minFont >= 11, `${label}: smallest text ${m.minFont}px ("${m.minFontText}")`);
	}

	it('uses a 4K screen (3840×2160, scale 1): no overflow, charts fill their cards, readable text', async () => {
		const { context, page } = await open(3840, 2160, 1);
		try {
			const m = await measure(page);
			assert.equal(m.dpr, 1);
			checkLayout(m, '3840x2160');
			/* The width is used: content across most of the screen, three charts side by side. */
			assert.ok(m.content >= 0.8 * 3840 - 100, `content ${m.content} px wide on a 3840 px screen`);
			const cpu = m.charts.cpu;
			assert.ok(cpu.card < 3840 / 2.5, `a chart card is ${cpu.card} px: several per row`);
			await page.screenshot({ path: path.join(SHOTS, 'overview-3840x2160.png') });
		} finally {
			await context.close();
		}
	});

	it('is crisp at 1920×1080 with deviceScaleFactor 2: canvases backed at twice their CSS size', async () => {
		const { context, page } = await open(1920, 1080, 2);
		try {
			const m = await measure(page);
			assert.equal(m.dpr, 2);
			checkLayout(m, '1920x1080@2x');
			await page.screenshot({ path: path.join(SHOTS, 'overview-1920x1080@2x.png') });
			const unstick = await page.addStyleTag({ content: '.bar { position: static !important; }' });
			await page.locator('[data-testid="panel-cpu"]').screenshot({ path: path.join(SHOTS, 'panel-cpu-1920x1080@2x.png') });
			await unstick.evaluate((el) => el.remove());
			/* A window resized to 1280×720 on the same screen: the charts follow their cards. */
			await page.setViewportSize({ width: 1280, height: 720 });
			const sharp = (c) => Math.abs(c.w - c.cssW * 2) <= 1.5 && Math.abs(c.h - c.cssH * 2) <= 1.5;
			await waitUntil('the charts, the heatmap and the sparklines redrawn at the new size', async () => {
				const r = await measure(page);
				return Object.values(r.charts).every((c) => c.uplot !== null && Math.abs(c.uplot - c.plot) <= 1) &&
					sharp(r.heat) && r.sparks.every(sharp) ? r : null;
			}, 15000);
			checkLayout(await measure(page), '1280x720@2x');
		} finally {
			await context.close();
		}
		assert.deepEqual(errors, []);
	});
});
