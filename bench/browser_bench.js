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
 *
 * For the page load alone: --loads N repeats the navigation N times, each in a new browser with
 * an empty profile (cold caches, as the first); --ab DIR_A,DIR_B alternates the dashboard builds
 * served (A B A B ..., the API server restarted on the other --static-dir between two loads);
 * --trace FILE records a Chrome trace of each load (devtools.timeline categories and V8 CPU
 * samples) into FILE-1.json, FILE-2.json ... and prints what each main-thread task of more than
 * 50 ms, or of more than 25 ms of CPU time, was made of (tracing slows the page down a little).
 * --live 0 and --replay 0 skip those parts. --settle MS waits MS ms between the browser's start and
 * the navigation (the profile and caches stay empty), so Chromium's own start-up work (on 156: a
 * WebUI renderer for the omnibox popup, ~0.7 s of CPU) does not share the 2 vCPUs with the page load,
 * as it does not when a user opens the dashboard in a browser already running.
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
	const o = { step: 10, live: 30, replay: 1800, write: null, loads: 1, ab: null, trace: null, settle: 0 };
	const strings = new Set(['write', 'ab', 'trace']);
	for (let i = 0; i < argv.length; i++) {
		const key = argv[i].replace(/^--/, '');
		if (!(key in o) || i + 1 >= argv.length)
			throw new Error('usage: browser_bench.js [--step S] [--live S] [--replay N] [--write FILE] [--loads N] ' +
				`[--ab DIR_A,DIR_B] [--trace FILE] [--settle MS] (bad: ${argv[i]})`);
		o[key] = strings.has(key) ? argv[++i] : Number(argv[++i]);
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

/*
 * One navigation to /?range=24h in a new browser with an empty profile; with `traceFile`, a
 * Chrome trace of it is written there and summarised (main-thread tasks > 50 ms). Returns the
 * load figures, the page (kept open for the live and replay parts) and close().
 */
async function measureLoad(stack, traceFile, settleMs = 0) {
	const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-bench-'));
	const context = await chromium.launchPersistentContext(userDir, {
		executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 720 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-precise-memory-info',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const close = async () => {
		await context.close();
		fs.rmSync(userDir, { recursive: true, force: true });
	};
	try {
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
		/* A browser that has finished starting (its own start-up renderers), as a user's is. */
		if (settleMs > 0)
			await sleep(settleMs);
		const cdp = await context.newCDPSession(page);
		let events = null;
		let traced = null;
		if (traceFile) {
			events = [];
			cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
			traced = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
			await cdp.send('Tracing.start', { transferMode: 'ReportEvents', categories: ['devtools.timeline',
				'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing', 'loading', 'toplevel',
				'disabled-by-default-v8.cpu_profiler'].join(',') });
		}
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
				/* Every pw-* mark the page set, in time order (to tell which task a trace's entry is). */
				marks: performance.getEntriesByType('mark').filter((e) => e.name.startsWith('pw-'))
					.sort((a, b) => a.startTime - b.startTime).map((e) => `${e.name.slice(3)}@${Math.round(e.startTime)}`).join(' '),
				dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_event_ms: nav.loadEventEnd,
				long_task_list: early.map((t) => `${Math.round(t.start)}+${Math.round(t.ms)}`).join(' '),
				long_tasks: early.length, longest_task_ms: early.reduce((a, t) => Math.max(a, t.ms), 0),
				last_long_task_end_ms: lastEnd, points: Number(document.querySelector('[data-testid="dashboard"]').dataset.points),
				range_text: document.querySelector('[data-testid="range-text"]').textContent, range_ms: Number(bar.rangeMs),
				/* Each API request: asked at + server answered after + body in after (ms), to tell a slow API from a busy page. */
				requests: performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/') && r.startTime < 5000)
					.map((r) => `${r.name.replace(/^.*\/api\/v1\//, '').replace(/\?.*series=([^,&%]*).*$/, '?$1').replace(/\?.*$/, '')}` +
						`@${Math.round(r.startTime)}+${Math.round(r.responseStart - r.startTime)}+${Math.round(r.responseEnd - r.responseStart)}`)
					.join(' ') };
		});
		load.tti_ms = Math.max(load.range_painted_ms, load.last_long_task_end_ms, load.dom_content_loaded_ms);
		let tasks = null;
		if (traceFile) {
			await cdp.send('Tracing.end');
			await traced;
			fs.writeFileSync(traceFile, JSON.stringify({ traceEvents: events }));
			tasks = summariseTrace(events, 50);
		}
		return { context, page, cdp, load, tasks, close };
	} catch (e) {
		await close();
		throw e;
	}
}

/*
 * What each main-thread task longer than `minMs` was made of, from a Chrome trace: its start (ms
 * from navigation start), length, the trace events it ran (exclusive ms per event name, a script's
 * or callback's name added) and the JavaScript functions the V8 sampler saw (self ms).
 */
function summariseTrace(events, minMs) {
	/* The main thread of the renderer that navigated to the dashboard (not Chrome's own pages). */
	const threads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' &&
		e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
	const navs = events.filter((e) => e.name === 'navigationStart' && threads.has(`${e.pid}:${e.tid}`) &&
		String(e.args?.data?.documentLoaderURL ?? '').startsWith('http')).sort((a, b) => b.ts - a.ts);
	if (!navs.length)
		return [];
	const t0 = navs[0].ts;
	const mains = new Set([`${navs[0].pid}:${navs[0].tid}`]);
	/* Complete events of the main threads, B/E pairs turned into complete ones. */
	const byThread = new Map();
	const open = new Map();
	for (const e of events) {
		const k = `${e.pid}:${e.tid}`;
		if (!mains.has(k) || e.ts < t0)
			continue;
		let x = null;
		if (e.ph === 'X')
			x = { name: e.name, ts: e.ts, dur: e.dur ?? 0, tdur: e.tdur, args: e.args };
		else if (e.ph === 'B')
			(open.get(k) ?? open.set(k, []).get(k)).push(e);
		else if (e.ph === 'E') {
			const b = open.get(k)?.pop();
			if (b)
				x = { name: b.name, ts: b.ts, dur: e.ts - b.ts, tdur: e.tts - b.tts, args: b.args };
		}
		if (x)
			(byThread.get(k) ?? byThread.set(k, []).get(k)).push(x);
	}
	/* V8 samples: Profile / ProfileChunk events, node ids per profile (ids are per process). */
	const profiles = new Map();
	for (const e of events) {
		if (e.name === 'Profile')
			profiles.set(`${e.pid}:${e.id}`, { pid: e.pid, tid: e.tid, t: e.args.data.startTime, nodes: new Map(), samples: [] });
		else if (e.name === 'ProfileChunk') {
			const p = profiles.get(`${e.pid}:${e.id}`);
			const cp = e.args.data.cpuProfile ?? {};
			if (!p)
				continue;
			for (const n of cp.nodes ?? [])
				p.nodes.set(n.id, n.callFrame);
			const deltas = e.args.data.timeDeltas ?? [];
			(cp.samples ?? []).forEach((id, i) => {
				p.t += deltas[i] ?? 0;
				p.samples.push({ t: p.t, id });
			});
		}
	}
	const label = (x) => {
		const d = x.args?.data ?? x.args?.beginData ?? {};
		const what = d.functionName || d.type || (d.url ? d.url.replace(/^.*\//, '') : '') || d.name || '';
		return what ? `${x.name}(${what})` : x.name;
	};
	const out = [];
	for (const [k, list] of byThread) {
		list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
		let taskEnd = -1;
		for (const task of list) {
			/* The outermost task only (RunTask and ThreadControllerImpl::RunTask nest). */
			if (!/RunTask$/.test(task.name) || task.ts < taskEnd)
				continue;
			taskEnd = task.ts + task.dur;
			/* Wall time, as a long task is; or CPU time over half of it (what a busier machine stretches). */
			if (task.dur < minMs * 1000 && !(task.tdur >= minMs * 500))
				continue;
			const end = task.ts + task.dur;
			const inner = list.filter((x) => x !== task && x.ts >= task.ts && x.ts + x.dur <= end && x.dur > 0 &&
				!/RunTask/.test(x.name));
			/* Exclusive time: each event's duration minus its direct children's. */
			const excl = new Map();
			const stack = [];
			const add = (x, ms) => excl.set(label(x), (excl.get(label(x)) ?? 0) + ms);
			for (const x of inner) {
				while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= x.ts)
					stack.pop();
				const parent = stack[stack.length - 1];
				if (parent)
					add(parent, -x.dur / 1000);
				add(x, x.dur / 1000);
				stack.push(x);
			}
			const js = new Map();
			/* The sampler's events come from its own thread: the renderer's process is what matches. */
			for (const p of profiles.values()) {
				if (p.pid !== navs[0].pid)
					continue;
				for (let i = 0; i < p.samples.length; i++) {
					const s = p.samples[i];
					if (s.t < task.ts || s.t >= end)
						continue;
					const dt = ((p.samples[i + 1]?.t ?? s.t) - s.t) / 1000;
					const f = p.nodes.get(s.id) ?? {};
					const name = `${f.functionName || '(anonymous)'} ${String(f.url ?? '').replace(/^.*\//, '')}:${(f.lineNumber ?? 0) + 1}`;
					js.set(name, (js.get(name) ?? 0) + dt);
				}
			}
			const top = (m, n) => [...m].filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]).slice(0, n)
				.map(([name, v]) => `${name} ${v.toFixed(1)}`);
			out.push({ start_ms: Math.round((task.ts - t0) / 1000), ms: Math.round(task.dur / 1000),
				cpu_ms: task.tdur === undefined ? null : Math.round(task.tdur / 1000),
				events: top(excl, 10), js: top(js, 10) });
		}
	}
	return out.sort((a, b) => a.start_ms - b.start_ms);
}

function finish(out, o) {
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

async function main() {
	const o = parseArgs(process.argv.slice(2));
	if (!fs.existsSync(path.join(ROOT, 'frontend', 'dist', 'index.html')))
		throw new Error('frontend/dist is missing: cd frontend && npm run build');
	const out = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load1: os.loadavg()[0] },
		settle_ms: o.settle };
	const stack = await startStack({ collector: true, interval: 1, name: 'browser-bench' });
	let first = null;
	try {
		for (let i = 0; i < 100 && (await stack.fetch('/api/v1/latest')).status !== 200; i++)
			await sleep(200);
		console.error('seeding history…');
		const seeded = await seedHistory(stack, { hours: 25, stepS: o.step, burstAgoH: 3 });
		out.history = { hours: 25, step_s: o.step, frames: seeded.frames, seed_ms: seeded.ms };

		/* 2. Navigation with the 24 h range (and the repeats: each in a new browser, cold). */
		const dists = o.ab ? o.ab.split(',').map((d) => path.resolve(d)) : [null];
		const loads = [];
		for (let i = 0; i < Math.max(1, o.loads); i++) {
			const dist = dists[i % dists.length];
			if (dist && stack.opts.staticDir !== dist) {
				stack.opts.staticDir = dist;
				await stack.restartApi();
			}
			const run = await measureLoad(stack, o.trace ? o.trace.replace(/(\.json)?$/, `-${i + 1}.json`) : null,
				o.settle);
			loads.push({ dist: dist ? path.basename(dist) : undefined, load1: Math.round(os.loadavg()[0] * 100) / 100,
				...run.load, traced: run.tasks?.map((t) => `${t.start_ms}+${t.ms}/${t.cpu_ms}`).join(' ') });
			console.error(`load ${i + 1}${dist ? ` (${path.basename(dist)})` : ''}: first chart ${Math.round(run.load.range_first_chart_ms)} ms, ` +
				`tti ${Math.round(run.load.tti_ms)} ms, tasks > 50 ms: ${run.load.long_task_list || 'none'}`);
			console.error(`  marks: latest ${Math.round(run.load.latest_ms)} catalogue ${Math.round(run.load.catalogue_ms)} ` +
				`history ${Math.round(run.load.history_loaded_ms)} | requests: ${run.load.requests}`);
			console.error(`  all marks: ${run.load.marks}`);
			for (const t of run.tasks ?? [])
				console.error(`  ${t.start_ms}+${t.ms} (cpu ${t.cpu_ms}) | ${t.events.slice(0, 5).join('; ')} | ${t.js.slice(0, 5).join('; ')}`);
			if (i === 0)
				first = run;
			else
				await run.close();
		}
		if (dists.length > 1) {
			/* Per build: the medians of its loads (only a side-by-side run compares builds fairly). */
			const med = (xs) => {
				const v = xs.filter((x) => x !== null).sort((a, b) => a - b);
				return v.length ? r1((v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2) : null;
			};
			out.ab = dists.map((d) => {
				const ls = loads.filter((l) => l.dist === path.basename(d));
				return { dist: path.basename(d), loads: ls.length, first_chart_ms_p50: med(ls.map((l) => l.range_first_chart_ms)),
					tti_ms_p50: med(ls.map((l) => l.tti_ms)), long_tasks_p50: med(ls.map((l) => l.long_tasks)),
					latest_ms_p50: med(ls.map((l) => l.latest_ms)), catalogue_ms_p50: med(ls.map((l) => l.catalogue_ms)),
					history_loaded_ms_p50: med(ls.map((l) => l.history_loaded_ms)) };
			});
		}
		out.load = { ...loads[0] };
		delete out.load.dist;
		delete out.load.load1;
		delete out.load.traced;
		if (loads.length > 1)
			out.loads = loads.map((l) => ({ dist: l.dist, load1: l.load1, first_chart_ms: Math.round(l.range_first_chart_ms),
				tti_ms: Math.round(l.tti_ms), long_tasks: l.long_task_list, traced: l.traced }));
		if (first.tasks)
			out.load_trace = first.tasks;
		const { page, cdp } = first;
		/* Without a forced GC (that would be a long task of its own): performance.memory. */
		const usedMb = async () => r1(await page.evaluate(() => performance.memory.usedJSHeapSize) / 1048576);
		const heapMb = async () => {
			await cdp.send('HeapProfiler.collectGarbage');
			const h = await cdp.send('Runtime.getHeapUsage');
			return r1(h.usedSize / 1048576);
		};
		if (o.live <= 0 && o.replay <= 0) {
			out.bundle = bundleSize();
			out.machine.load1_end = Math.round(os.loadavg()[0] * 100) / 100;
			return finish(out, o);
		}

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
		await first?.close();
		await stack.stop().catch((e) => console.error(`stopping the stack: ${e.message}`));
	}
	finish(out, o);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
