'use strict';
/*
 * What the dashboard's load costs the API server and PostgreSQL, request by request, for two
 * builds of perfwatch-api side by side on one database:
 *   1. a stack (collector at 1 s) and --hours of history at one frame per --step seconds
 *      (tests/e2e/seed-history.js); with --analyze, VACUUM ANALYZE after it (statistics as
 *      autovacuum leaves them; without it, the fresh state a browser benchmark loads into);
 *   2. the API requests of one page load with the 24 h range (Debian's Chromium), recorded;
 *   3. each request timed --reps times in a row (median), the builds alternated --rounds times
 *      (the API server restarted from the other build directory in between), so a busy
 *      machine slows both alike.
 * Prints a line per request (median of the rounds' medians, A and B) and the sums.
 *
 *   node bench/api_queries.js --builds build-a,build-b [--hours 25] [--step 10] [--rounds 4]
 *                             [--reps 5] [--analyze]
 */
const path = require('path');
const { startStack, ROOT } = require('../tests/lib/harness.js');
const { seedHistory } = require('../tests/e2e/seed-history.js');
const { chromium } = require('../tests/node_modules/playwright-core');
const { CHROMIUM, sleep } = require('../tests/lib/browser.js');

function parseArgs(argv) {
	const o = { builds: '', hours: 25, step: 10, rounds: 4, reps: 5, analyze: false };
	for (let i = 0; i < argv.length; i++) {
		const key = argv[i].replace(/^--/, '');
		if (!(key in o))
			throw new Error('usage: api_queries.js --builds A,B [--hours H] [--step S] [--rounds N] ' +
				`[--reps N] [--analyze] (bad: ${argv[i]})`);
		o[key] = typeof o[key] === 'boolean' ? true : typeof o[key] === 'number' ? Number(argv[++i]) : argv[++i];
	}
	const builds = o.builds.split(',').filter(Boolean).map((b) => path.resolve(ROOT, b));
	if (builds.length !== 2)
		throw new Error('--builds names two build directories, A,B');
	return { ...o, builds };
}

/* The /api/ requests of one page load with the 24 h range, in the order they were sent. */
async function recordLoad(stack) {
	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
	try {
		const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
		const [name, value] = stack.cookie.split('=');
		await context.addCookies([{ name, value, domain: new URL(stack.httpUrl).hostname, path: '/',
			httpOnly: true, sameSite: 'Strict' }]);
		const page = await context.newPage();
		const urls = [];
		page.on('request', (r) => {
			const u = new URL(r.url());
			if (u.pathname.startsWith('/api/'))
				urls.push(u.pathname + u.search);
		});
		await page.goto(`${stack.httpUrl}/?range=24h`, { waitUntil: 'load' });
		await sleep(8000);
		return urls;
	} finally {
		await browser.close();
	}
}

/* Median wall time of `reps` requests in a row; throws unless each answers 200. */
async function timeUrl(stack, url, reps) {
	const t = [];
	for (let k = 0; k < reps; k++) {
		const t0 = performance.now();
		const r = await stack.fetch(url);
		await r.arrayBuffer();
		t.push(performance.now() - t0);
		if (r.status !== 200)
			throw new Error(`${url}: HTTP ${r.status}`);
	}
	return median(t);
}

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	process.env.PERFWATCH_BUILD_DIR = o.builds[0];
	const stack = await startStack({ collector: true, interval: 1, name: 'api-queries' });
	try {
		for (let i = 0; i < 100 && (await stack.fetch('/api/v1/latest')).status !== 200; i++)
			await sleep(200);
		const seeded = await seedHistory(stack, { hours: o.hours, stepS: o.step, burstAgoH: 3 });
		console.error(`seeded ${seeded.frames} frames in ${seeded.ms} ms`);
		if (o.analyze)
			stack.psql('VACUUM ANALYZE');
		const urls = await recordLoad(stack);
		console.error(`${urls.length} requests in one load`);
		const ms = o.builds.map(() => urls.map(() => []));
		for (let r = 0; r < o.rounds; r++) {
			for (let b = 0; b < o.builds.length; b++) {
				process.env.PERFWATCH_BUILD_DIR = o.builds[b];
				await stack.restartApi();
				/* /api/v1/latest answers 404 until the restarted server has seen a tick. */
				for (let i = 0; i < 50 && (await stack.fetch('/api/v1/latest')).status !== 200; i++)
					await sleep(100);
				for (let u = 0; u < urls.length; u++)
					ms[b][u].push(await timeUrl(stack, urls[u], o.reps));
			}
		}
		const names = o.builds.map((b) => path.basename(b));
		console.log(`${names[0]} | ${names[1]} | request (median ms of ${o.rounds} rounds x ${o.reps})`);
		const sums = [0, 0];
		for (let u = 0; u < urls.length; u++) {
			const m = ms.map((per) => median(per[u]));
			sums[0] += m[0];
			sums[1] += m[1];
			console.log(`${m[0].toFixed(1).padStart(7)} | ${m[1].toFixed(1).padStart(7)} | ${urls[u].slice(0, 120)}`);
		}
		console.log(`sum ${sums[0].toFixed(0)} ms | ${sums[1].toFixed(0)} ms (B/A ${(sums[1] / sums[0]).toFixed(2)})`);
	} finally {
		await stack.stop();
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
