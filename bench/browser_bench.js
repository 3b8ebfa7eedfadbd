'use strict';
/*
 * Browser benchmark of the dashboard (issue 6 budget), in Debian's Chromium through
 * playwright-core, against a real stack (PostgreSQL, collector at 1 s, perfwatch-api serving
 * frontend/dist):
 *   1. 25 h of history written through perfwatch_ingest (tests/e2e/seed-history.js, one frame
 *      per --step seconds), rolled up by perfwatch_maintain();
 *   2. navigation to /?range=24h with a session: first chart with the 24 h drawn
 *      (performance mark "pw-range-first-chart"), every chart ("pw-range-painted"), the marks on
 *      the way (pw-latest, pw-catalogue, pw-history-loaded) and time to interactive (that mark, or the end of
 *      the last long task in the first 5 s when later), both from navigation start;
 *   3. live ticks for --live seconds: WebSocket message → repaint done (the tiles and the charts
 *      on screen drawn; performance.now(), measured in the page: src/lib/dashboard.ts perfStats),
 *      long tasks > 50 ms;
 *   4. the collector stopped, --replay frames ingested as fast as one transaction each allows
 *      (each its own NOTIFY, so the page receives every one): JS heap after a forced GC
 *      before, during and after, long tasks;
 *   5. the bundle's gzipped size (frontend/dist/assets).
 *
 *   PERFWATCH_BUILD_DIR=build-dash node bench/browser_bench.js [--step 10] [--live 30] [--replay 1800]
 *                                                           [--write bench/README-browser.md]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { createRequire } = require('node:module');
const { startStack, ROOT } = require('../tests/lib/harness.js');
const { seedHistory } = require('../tests/e2e/seed-history.js');

const testsRequire = createRequire(path.join(ROOT, 'tests', 'package.json'));
const { chromium } = testsRequire('playwright-core');
const CHROMIUM = process.env.PERFWATCH_CHROMIUM || '/usr/bin/chromium';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
	const o = { step: 10, live: 30, replay: 1800, write: null };
	for (let i = 0; i < argv.length; i++) {
		const key = argv[i].replace(/^--/, '');
		if (!(key in o) || i + 1 >= argv.length)
			throw new Error(`usage: browser_bench.js [--step S] [--live S] [--replay N] [--write FILE] (bad: ${argv[i]})`);
		o[key] = key === 'write' ? argv[++i] : Number(argv[++i]);
	}
	return o;
}

const pct = (xs, p) => {
	if (!xs.length)
		return null;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r1 = (v) => (v === null || v === undefined ? null : Math.round(v * 10) / 10);

function bundleSize() {
	const dir = path.join(ROOT, 'frontend', 'dist', 'assets');
	let raw = 0;
	let gz = 0;
	for (const f of fs.readdirSync(dir)) {
		if (!/\.(js|css)$/.test(f))
			continue;
		const b = fs.readFileSync(path.join(dir, f));
		raw += b.length;
		gz += zlib.gzipSync(b, { level: 9 }).length;
	}
	return { raw_kb: r1(raw / 1024), gzip_kb: r1(gz / 1024) };
}

/* Ingests n copies of the template, ts 1 s apart from `fromMs`, one transaction (and NOTIFY) each. */
function replaySql(template, n, fromMs) {
	return `
DO $r$
DECLARE
	tpl jsonb := $tpl$${template}$tpl$::jsonb;
	i int;
	busy float8;
BEGIN
	FOR i IN 1 .. ${n} LOOP
		busy := 20 + 60 * random();
		PERFORM perfwatch_ingest(jsonb_set(
			tpl || jsonb_build_object('ts', ${fromMs}::bigint + i * 1000::bigint, 'seq', 100000 + i),
			'{cpu,total}',
			(tpl->'cpu'->'total') || jsonb_build_object('usr', round(busy::numeric, 2),
				'idle', round((100 - busy)::numeric, 2), 'sys', 0, 'iowait', 0))::text);
		COMMIT;
		PERFORM pg_sleep(0.004);
	END LOOP;
END
$r$;`;
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	if (!fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')))
		throw new Error('frontend/dist is missing: cd frontend && npm run build');
	const out = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load1: os.loadavg()[0] } };
	const stack = await startStack({ collector: true, interval: 1, name: 'browser-bench' });
	const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-bench-'));
	let context;
	try {
		for (let i = 0; i < 100 && (await stack.fetch('/api/v1/latest')).status !== 200; i++)
			await sleep(200);
		console.error('seeding history…');
		const seeded = await seedHistory(stack, { hours: 25, stepS: o.step, burstAgoH: 3 });
		out.history = { hours: 25, step_s: o.step, frames: seeded.frames, seed_ms: seeded.ms };

		context = await chromium.launchPersistentContext(userDir, {
			executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 720 },
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-precise-memory-info',
				'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		const [name, value] = stack.cookie.split('=');
		const u = new URL(stack.httpUrl);
		await context.addCookies([{ name, value, domain: u.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
		await context.addInitScript(() => {
			window.__longtasks = [];
			new PerformanceObserver((l) => {
				for (const e of l.getEntries())
					window.__longtasks.push({ start: e.startTime, ms: e.duration });
			}).observe({ type: 'longtask', buffered: true });
		});
		const page = await context.newPage();
		const cdp = await context.newCDPSession(page);
		/* Without a forced GC (that would be a long task of its own): performance.memory. */
		const usedMb = async () => r1(await page.evaluate(() => performance.memory.usedJSHeapSize) / 1048576);
		const heapMb = async () => {
			await cdp.send('HeapProfiler.collectGarbage');
			const h = await cdp.send('Runtime.getHeapUsage');
			return r1(h.usedSize / 1048576);
		};

		/* 2. Navigation with the 24 h range. */
		await page.goto(`${stack.httpUrl}/?range=24h`, { waitUntil: 'load' });
		await page.waitForFunction(() => performance.getEntriesByName('pw-range-painted').length > 0, null,
			{ timeout: 60000, polling: 20 });
		await sleep(5000);
		const load = await page.evaluate(() => {
			const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
			const nav = performance.getEntriesByType('navigation')[0];
			const early = window.__longtasks.filter((t) => t.start < 5000);
			const lastEnd = early.reduce((a, t) => Math.max(a, t.start + t.ms), 0);
			const bar = document.querySelector('[data-testid="rangebar"]').dataset;
			return { range_first_chart_ms: m('pw-range-first-chart'), range_painted_ms: m('pw-range-painted'),
				first_chart_ms: m('pw-first-chart'), latest_ms: m('pw-latest'), catalogue_ms: m('pw-catalogue'),
				history_loaded_ms: m('pw-history-loaded'),
				dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_event_ms: nav.loadEventEnd,
				long_task_list: early.map((t) => `${Math.round(t.start)}+${Math.round(t.ms)}`).join(' '),
				long_tasks: early.length, longest_task_ms: early.reduce((a, t) => Math.max(a, t.ms), 0),
				last_long_task_end_ms: lastEnd, points: Number(document.querySelector('[data-testid="dashboard"]').dataset.points),
				range_text: document.querySelector('[data-testid="range-text"]').textContent, range_ms: Number(bar.rangeMs) };
		});
		load.tti_ms = Math.max(load.range_painted_ms, load.last_long_task_end_ms, load.dom_content_loaded_ms);
		out.load = load;

		/* 3. Live ticks. */
		await page.click('[data-testid="range-live"]');
		await sleep(2000);
		const mark = await page.evaluate(() => ({ n: window.__perfwatch.tickN, lt: window.__longtasks.length,
			t: performance.now() }));
		await sleep(o.live * 1000);
		const live = await page.evaluate((m) => {
			const s = window.__perfwatch;
			const xs = [];
			for (let i = m.n; i < s.tickN; i++)
				xs.push(s.tickMs[i % s.tickMs.length]);
			return { xs, long: window.__longtasks.slice(m.lt).map((t) => t.ms) };
		}, mark);
		out.live = { ticks: live.xs.length, paint_ms_p50: r1(pct(live.xs, 50)), paint_ms_p95: r1(pct(live.xs, 95)),
			paint_ms_max: r1(Math.max(...live.xs)), long_tasks: live.long.length, longest_task_ms: r1(Math.max(0, ...live.long)) };

		/* 4. Replay. */
		const heap = { before_mb: await heapMb() };
		await stack.services.collector.stop();
		const template = await (await stack.fetch('/api/v1/latest')).text();
		const f0 = JSON.parse(template);
		const lt0 = await page.evaluate(() => window.__longtasks.length);
		const frames0 = Number(await page.getAttribute('[data-testid="dashboard"]', 'data-frames'));
		const t0 = Date.now();
		const third = Math.floor(o.replay / 3);
		for (let k = 0; k < 3; k++) {
			const n = k < 2 ? third : o.replay - 2 * third;
			stack.psql(replaySql(template, n, f0.ts + k * third * 1000));
			heap[`used_after_${k < 2 ? (k + 1) * third : o.replay}_ticks_mb`] = await usedMb();
		}
		const replayS = (Date.now() - t0) / 1000;
		await sleep(1000);
		const afterReplay = await page.evaluate((lt) => ({ long: window.__longtasks.slice(lt).map((t) => t.ms),
			frames: Number(document.querySelector('[data-testid="dashboard"]').dataset.frames),
			points: Number(document.querySelector('[data-testid="dashboard"]').dataset.points) }), lt0);
		const after = afterReplay;
		heap.after_gc_mb = await heapMb();
		out.replay = { ticks: o.replay, seconds: r1(replayS), ticks_per_s: r1(o.replay / replayS),
			frames_received: after.frames - frames0, window_points: after.points,
			long_tasks: after.long.length, longest_task_ms: r1(Math.max(0, ...after.long)), heap };
		out.bundle = bundleSize();
		/* The VM is shared: the load average at the end too (timings vary with it). */
		out.machine.load1_end = Math.round(os.loadavg()[0] * 100) / 100;
		await stack.startCollector();
	} finally {
		await context?.close();
		fs.rmSync(userDir, { recursive: true, force: true });
		await stack.stop().catch((e) => console.error(`stopping the stack: ${e.message}`));
	}
	console.log(JSON.stringify(out, null, 2));
	if (o.write) {
		const file = path.resolve(o.write);
		const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
		const block = `<!-- browser-bench:start -->\n\`\`\`json\n${JSON.stringify(out, null, 2)}\n\`\`\`\n<!-- browser-bench:end -->`;
		const next = /<!-- browser-bench:start -->[\s\S]*<!-- browser-bench:end -->/.test(text) ?
			text.replace(/<!-- browser-bench:start -->[\s\S]*<!-- browser-bench:end -->/, block) : `${text}\n${block}\n`;
		fs.writeFileSync(file, next);
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
