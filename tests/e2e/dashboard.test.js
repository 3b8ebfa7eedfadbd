'use strict';
/*
 * Browser test of the dashboard against a real stack (PostgreSQL, collector at 1 s, API
 * server serving frontend/dist): charts render, ticks advance, tiles show the values of the
 * WebSocket frames, history comes from /api/v1/query, the page reconnects after an API
 * restart without leaving a gap, and says so when the API is down. Chromium is Debian's.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startStack } = require('../lib/harness.js');
const { CHROMIUM, SHOTS, sleep, ensureDashboardBuilt, waitUntil: waitFor } = require('../lib/browser.js');

const CHARTS = ['cpu', 'cores', 'mem', 'load'];
/* Panels and the charts in them that every Linux machine with /proc fills. */
const PANELS = ['cpu', 'mem', 'pressure', 'net', 'disk', 'fs', 'hw', 'sensors'];
const OS_CHARTS = ['faults', 'paging', 'pressure', 'net', 'net-errors', 'disk-iops', 'disk-bytes',
	'disk-util', 'disk-await'];

/* Debian's Chromium, headless, with a throw-away profile in userDir; never a downloaded one. */
function launch(userDir) {
	return chromium.launchPersistentContext(userDir, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: { width: 1440, height: 900 },
		colorScheme: 'light',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
}

/* waitUntil that, on time-out, says what the page showed. */
function waitUntil(what, check, timeoutMs = 15000, page = null) {
	return waitFor(what, check, timeoutMs,
		page ? async () => `page: ${JSON.stringify(await readPage(page))}` : null);
}

/* GET on the API server as the stack's admin (the harness keeps the session cookie). */
async function apiGet(stack, p) {
	const res = stack.fetch ? await stack.fetch(p) : await fetch(`${stack.httpUrl}${p}`);
	assert.equal(res.status, 200, `GET ${p}`);
	return res.json();
}

/* Signs in through the page's form as the stack's first admin. */
async function signIn(page, stack) {
	await page.waitForSelector('[data-testid="login-form"]', { timeout: 15000 });
	await page.fill('[data-testid="login-user"]', stack.admin.user);
	await page.fill('[data-testid="login-password"]', stack.admin.password);
	await page.click('[data-testid="login-submit"]');
	await page.waitForSelector('[data-testid="login-form"]', { state: 'detached', timeout: 15000 });
}

/* Everything the test reads from the page, read in one go so the values belong together. */
function readPage(page) {
	return page.evaluate(() => {
		const q = (id) => document.querySelector(`[data-testid="${id}"]`);
		const num = (el, attr = 'value') => {
			const v = el?.dataset[attr];
			return v === undefined || v === '' ? null : Number(v);
		};
		const root = q('dashboard');
		return {
			lastTs: num(root, 'lastTs'),
			firstTs: num(root, 'firstTs'),
			points: num(root, 'points'),
			paints: num(root, 'paints'),
			frames: num(root, 'frames'),
			conn: q('conn-indicator')?.dataset.state ?? null,
			banner: q('error-banner')?.textContent.trim() ?? null,
			host: q('host')?.textContent.trim() ?? null,
			tileTs: num(q('tile-cpu'), 'ts'),
			cpu: num(q('tile-cpu')),
			mem: num(q('tile-mem')),
			swap: num(q('tile-swap')),
			load1: num(q('tile-load1')),
			load5: num(q('tile-load5')),
			load15: num(q('tile-load15')),
			cpuText: q('tile-cpu')?.querySelector('.tile__value')?.textContent.trim() ?? null,
		};
	});
}

/* The overview tiles beyond CPU, memory and load. */
function readTiles(page) {
	return page.evaluate(() => {
		const q = (id) => document.querySelector(`[data-testid="${id}"]`);
		const num = (id) => {
			const v = q(id)?.dataset.value;
			return v === undefined || v === '' ? null : Number(v);
		};
		const out = { ts: q('tile-net-rx')?.dataset.ts ? Number(q('tile-net-rx').dataset.ts) : null };
		for (const [k, id] of [['psi', 'tile-psi'], ['netRx', 'tile-net-rx'], ['netTx', 'tile-net-tx'],
			['diskRead', 'tile-disk-read'], ['diskWrite', 'tile-disk-write'], ['ipc', 'tile-ipc'],
			['llc', 'tile-llc'], ['membw', 'tile-membw'], ['uptime', 'uptime']]) {
			out[k] = num(id);
			out[`${k}Why`] = q(id)?.dataset.unavailable ?? null;
		}
		out.kernel = q('kernel')?.textContent.trim() ?? null;
		return out;
	});
}

describe('dashboard in Chromium', () => {
	let stack;
	let context;
	let page;
	let userDir;
	const frames = new Map();
	let browserLog = null;

	/* What the page did, for diagnosis: tests/artifacts/e2e/browser.log. */
	function logBrowser(p) {
		const log = (line) => fs.writeSync(browserLog, `${new Date().toISOString()} ${line}\n`);
		p.on('console', (m) => log(`console.${m.type()}: ${m.text()}`));
		p.on('pageerror', (e) => log(`pageerror: ${e.message}`));
		p.on('requestfailed', (r) => log(`failed: ${r.url()} ${r.failure()?.errorText}`));
		p.on('response', (r) => log(`${r.status()} ${r.url()}`));
		p.on('websocket', (ws) => {
			log(`ws open ${ws.url()}`);
			ws.on('close', () => log(`ws close ${ws.url()}`));
		});
	}

	/* Records every frame the page's WebSocket receives, by ts. */
	function recordFrames(p) {
		p.on('websocket', (ws) => {
			ws.on('framereceived', ({ payload }) => {
				try {
					const f = JSON.parse(String(payload));
					if (typeof f.ts === 'number')
						frames.set(f.ts, f);
				} catch {
					/* not a frame */
				}
			});
		});
	}

	before(async () => {
		ensureDashboardBuilt();
		fs.mkdirSync(SHOTS, { recursive: true });
		stack = await startStack({ collector: true, interval: 1 });
		userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-chromium-'));
		context = await launch(userDir);
		browserLog = fs.openSync(path.join(SHOTS, 'browser.log'), 'w');
		page = await context.newPage();
		const errors = [];
		page.on('pageerror', (e) => errors.push(e.message));
		page.errors = errors;
		logBrowser(page);
		recordFrames(page);
	});

	after(async () => {
		await context?.close();
		if (browserLog !== null)
			fs.closeSync(browserLog);
		if (userDir)
			fs.rmSync(userDir, { recursive: true, force: true });
		await stack?.stop();
	});

	it('asks for a login and refuses a wrong password', async () => {
		await page.goto(stack.httpUrl, { waitUntil: 'load' });
		await page.waitForSelector('[data-testid="login-form"]', { timeout: 15000 });
		assert.equal((await readPage(page)).lastTs, null, 'nothing is shown before a login');
		await page.fill('[data-testid="login-user"]', stack.admin.user);
		await page.fill('[data-testid="login-password"]', `${stack.admin.password}-wrong`);
		await page.click('[data-testid="login-submit"]');
		const err = await page.waitForSelector('[data-testid="login-error"]', { timeout: 15000 });
		assert.match(await err.innerText(), /wrong user name or password/i);
		await page.screenshot({ path: path.join(SHOTS, 'dashboard-login.png') });
		await signIn(page, stack);
		assert.equal(await page.locator('[data-testid="user-name"]').innerText(), stack.admin.user);
	});

	it('renders the charts and advances over at least 3 ticks', async () => {
		for (const id of CHARTS)
			await page.waitForSelector(`[data-testid="chart-${id}"] canvas`, { timeout: 15000 });
		const seen = new Set();
		await waitUntil('4 distinct painted ticks', async () => {
			const s = await readPage(page);
			if (s.lastTs !== null)
				seen.add(s.lastTs);
			return seen.size >= 4;
		}, 20000);
		const ticks = [...seen].sort((a, b) => a - b);
		for (let i = 1; i < ticks.length; i++)
			assert.ok(ticks[i] > ticks[i - 1], 'painted ticks only move forward');
		const s = await readPage(page);
		assert.equal(s.conn, 'live');
		assert.equal(s.banner, null);
		assert.ok(s.frames >= 3, `received ${s.frames} frames over the WebSocket`);
		for (const id of CHARTS) {
			const box = await page.locator(`[data-testid="chart-${id}"] canvas`).first().boundingBox();
			assert.ok(box && box.width > 200 && box.height > 100, `chart ${id} canvas is drawn`);
		}
		const cores = await page.locator('[data-testid="chart-cores"] .u-legend .u-series').count();
		assert.ok(cores >= 2, 'the per-core chart has a series per core');
		assert.deepEqual(page.errors, []);
	});

	it('shows in the tiles the values of the frame it painted', async () => {
		const s = await waitUntil('a painted frame that the test also received', async () => {
			const r = await readPage(page);
			return r.tileTs !== null && frames.has(r.tileTs) ? r : null;
		});
		const f = frames.get(s.tileTs);
		const busy = Math.min(100, Math.max(0, 100 - f.cpu.total.idle - f.cpu.total.iowait));
		assert.equal(s.cpu, busy);
		assert.equal(s.mem, f.mem.total_kb - f.mem.available_kb);
		assert.equal(s.swap, f.mem.swap_total_kb - f.mem.swap_free_kb);
		assert.equal(s.load1, f.load.load1);
		assert.equal(s.load5, f.load.load5);
		assert.equal(s.load15, f.load.load15);
		assert.equal(s.cpuText, `${busy.toFixed(1)} %`);
		const latest = await apiGet(stack, '/api/v1/latest');
		assert.ok(latest.ts >= s.tileTs, '/api/v1/latest is not older than the page');
		assert.equal(s.host, latest.host);
		assert.ok(s.mem > 0 && s.mem <= f.mem.total_kb);
	});

	it('shows in the OS and hardware tiles the API\'s values of the same tick', async () => {
		const s = await waitUntil('a painted frame that the test also received', async () => {
			const r = await readTiles(page);
			return r.ts !== null && frames.has(r.ts) ? r : null;
		});
		const f = frames.get(s.ts);
		const sum = (rows, k, keep = () => true) => rows.filter(keep).reduce((a, r) => a + r[k], 0);
		const own = (r) => r.iface !== 'lo';
		assert.equal(s.netRx, sum(f.net, 'rx_bytes_per_s', own));
		assert.equal(s.netTx, sum(f.net, 'tx_bytes_per_s', own));
		assert.equal(s.diskRead, sum(f.disk, 'read_bytes_per_s'));
		assert.equal(s.diskWrite, sum(f.disk, 'write_bytes_per_s'));
		/* The stored value of that tick, read back through /api/v1/query. */
		const q = await apiGet(stack, `/api/v1/query?metric=pressure.some_avg10&instance=cpu&from=${s.ts - 500}&to=${s.ts + 500}`);
		const point = q.series[0].points.find((p) => p[0] === s.ts);
		assert.ok(point, `tick ${s.ts} is stored`);
		assert.equal(s.psi, point[1]);
		const hw = await apiGet(stack, '/api/v1/hw');
		for (const [tile, metric] of [['ipc', 'ipc'], ['llc', 'llc_miss_pct'], ['membw', 'total_gbs']]) {
			const v = metric === 'total_gbs' ? f.perf.membw.total_gbs : f.perf.hw.total[metric];
			if (v === null) {
				const code = f.perf.reasons[metric];
				const entry = hw.report.unavailable.find((u) => u.code === code);
				assert.ok(entry, `/api/v1/hw explains ${code}`);
				assert.equal(s[`${tile}Why`], entry.why, `tile ${tile} gives the reason`);
				assert.equal(s[tile], null);
			} else {
				assert.equal(s[tile], v);
			}
		}
		assert.ok(s.uptime > 0 && Math.abs(s.uptime - f.uptime.uptime_s) < 30);
		if (hw.report.kernel)
			assert.equal(s.kernel, `Linux ${hw.report.kernel}`);
	});

	it('renders every panel, and a tile leads to its panel', async () => {
		await page.setViewportSize({ width: 1280, height: 720 });
		for (const id of OS_CHARTS) {
			await page.waitForSelector(`[data-testid="chart-${id}"] canvas`, { timeout: 15000 });
			await waitUntil(`chart ${id} has data`, async () =>
				Number(await page.getAttribute(`[data-testid="chart-${id}"]`, 'data-layers')) > 0, 15000, page);
		}
		const latest = await apiGet(stack, '/api/v1/latest');
		assert.equal(Number(await page.getAttribute('[data-testid="heatmap-cores"]', 'data-cores')),
			latest.cpu.cores.length, 'a heatmap row per core');
		assert.equal(await page.locator('[data-testid="net-table"] tbody tr').count(), latest.net.length);
		assert.equal(await page.locator('[data-testid="disk-table"] tbody tr').count(), latest.disk.length);
		const bars = await page.locator('[data-testid="fs-usage"] .fsrow').evaluateAll((els) =>
			els.map((e) => ({ mount: e.dataset.mount, pct: Number(e.dataset.usedPct) })));
		assert.ok(bars.length >= 1, 'a usage bar per file system');
		const root = latest.fs.find((r) => r.mount === bars[0].mount);
		assert.ok(root && Math.abs(root.used_pct - bars[0].pct) < 5);
		const hw = await apiGet(stack, '/api/v1/hw');
		if (latest.perf.hw.total.ipc === null) {
			const text = await page.locator('[data-testid="hw-reasons"]').innerText();
			for (const u of hw.report.unavailable) {
				assert.ok(text.includes(u.why), `the reason for ${u.code}`);
				assert.ok(text.includes(u.fix), `the fix for ${u.code}`);
			}
		} else {
			await waitUntil('the IPC chart', async () =>
				Number(await page.getAttribute('[data-testid="chart-hw-ipc"]', 'data-layers')) > 0);
		}
		if (!latest.thermal && !latest.cpufreq)
			assert.match(await page.locator('[data-testid="sensor-reasons"]').innerText(), /thermal|cpufreq/);
		await page.click('[data-testid="tile-net-rx"]');
		await waitUntil('the network panel in view', async () => page.evaluate(() => {
			const r = document.getElementById('panel-net').getBoundingClientRect();
			return r.top >= -2 && r.top < 200;
		}), 5000);
		assert.equal(new URL(page.url()).searchParams.get('panel'), 'net');
		/* Panel shots: the pointer off the charts (the shared cursor would move every legend to
		 * its time), the sticky header not drawn over the panel's title. */
		await page.mouse.move(2, 2);
		const unstick = await page.addStyleTag({ content: '.bar { position: static !important; }' });
		for (const id of PANELS)
			await page.locator(`[data-testid="panel-${id}"]`).screenshot({ path: path.join(SHOTS, `panel-${id}.png`) });
		await unstick.evaluate((el) => el.remove());
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: path.join(SHOTS, 'overview-1280x720.png') });
		await page.setViewportSize({ width: 1440, height: 900 });
		assert.deepEqual(page.errors, []);
	});

	it('loads the last minutes from /api/v1/query when opened', async () => {
		const stored = async () =>
			(await apiGet(stack, '/api/v1/query?metric=cpu.usr&instance=total')).series[0].points.length;
		await waitUntil('8 ticks in the database', async () => (await stored()) >= 8, 20000);
		const fresh = await context.newPage();
		logBrowser(fresh);
		try {
			await fresh.goto(stack.httpUrl, { waitUntil: 'load' });
			/* More points than frames received (the first from /api/v1/latest, then over the
			 * socket): the rest came from the database. */
			const s = await waitUntil('points from history', async () => {
				const r = await readPage(fresh);
				return r.points !== null && r.points >= r.frames + 6 ? r : null;
			}, 15000, fresh);
			assert.equal(s.banner, null);
		} finally {
			await fresh.close();
		}
	});

	it('reconnects after an API restart', async () => {
		const before = await readPage(page);
		const left = page.waitForFunction(() =>
			document.querySelector('[data-testid="conn-indicator"]').dataset.state !== 'live',
		null, { timeout: 20000, polling: 50 });
		await stack.restartApi();
		await left;
		const after = await waitUntil('live again with new ticks', async () => {
			const r = await readPage(page);
			return r.conn === 'live' && r.lastTs > before.lastTs + 2000 ? r : null;
		}, 30000);
		assert.equal(after.banner, null);
	});

	it('says when the API is down, then fills the gap from the database', async () => {
		const stoppedAt = Date.now();
		await stack.services.api.stop();
		const down = await waitUntil('the error banner', async () => {
			const r = await readPage(page);
			return r.banner ? r : null;
		}, 20000);
		assert.match(down.banner, /unreachable/i);
		assert.ok(['reconnecting', 'offline'].includes(down.conn), `indicator is ${down.conn}`);
		await page.screenshot({ path: path.join(SHOTS, 'dashboard-api-down.png') });
		/* Stay down for at least 4 ticks: the collector keeps writing them to the database. */
		await sleep(Math.max(0, stoppedAt + 4500 - Date.now()));
		assert.equal((await readPage(page)).lastTs, down.lastTs, 'nothing is painted while down');
		await stack.startApi();
		await waitUntil('live again', async () => {
			const r = await readPage(page);
			return r.conn === 'live' && r.banner === null && r.lastTs > down.lastTs + 5000;
		}, 30000, page);
		/* Live frames resume at once; the missed ticks arrive with the gap query after them. */
		const filled = (r) => r.points >= Math.round((r.lastTs - r.firstTs) / 1000);
		const after = await waitUntil('the gap filled from /api/v1/query',
			async () => {
				const r = await readPage(page);
				return filled(r) ? r : null;
			}, 10000, page);
		assert.ok(after.points > down.points + 4, 'the missed ticks are painted');
	});

	it('says when the collector goes silent, and recovers when it is back', async () => {
		await stack.services.collector.stop();
		const stale = await waitUntil('the no-data state', async () => {
			const r = await readPage(page);
			return r.conn === 'stale' && r.banner ? r : null;
		}, 20000, page);
		assert.match(stale.banner, /collector/i);
		await stack.startCollector();
		await waitUntil('live again', async () => {
			const r = await readPage(page);
			return r.conn === 'live' && r.banner === null && r.lastTs > stale.lastTs ? r : null;
		}, 20000, page);
	});

	it('saves light and dark screenshots', async () => {
		/* The plain URL: the current one names a panel, which the page would scroll to. */
		await page.goto(stack.httpUrl, { waitUntil: 'load' });
		await waitUntil('a full window', async () => {
			const r = await readPage(page);
			return r.conn === 'live' && r.points >= 10 ? r : null;
		});
		await sleep(300);
		await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
		await page.emulateMedia({ colorScheme: 'dark' });
		const paints = (await readPage(page)).paints;
		await waitUntil('a repaint in dark mode', async () => (await readPage(page)).paints > paints + 1);
		const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		assert.notEqual(bg, 'rgb(244, 246, 250)', 'dark mode changes the background');
		await page.screenshot({ path: path.join(SHOTS, 'dashboard-dark.png'), fullPage: true });
		await page.emulateMedia({ colorScheme: 'light' });
		assert.deepEqual(page.errors, []);
	});

	it('signs out: the data goes, the login form comes back', async () => {
		await page.click('[data-testid="logout"]');
		await page.waitForSelector('[data-testid="login-form"]', { timeout: 15000 });
		/* The form shows first; the painted data goes with the next animation frame. */
		await waitUntil('the data gone after signing out', async () => {
			const s = await readPage(page);
			const conn = await page.getAttribute('[data-testid="dashboard"]', 'data-conn');
			return conn === 'offline' && s.conn === null && s.tileTs === null && s.lastTs === null;
		}, 5000, page);
		await page.reload({ waitUntil: 'load' });
		await page.waitForSelector('[data-testid="login-form"]', { timeout: 15000 });
	});
});

describe('dashboard before the first sample', () => {
	let stack;
	let context;
	let userDir;

	before(async () => {
		ensureDashboardBuilt();
		stack = await startStack({ collector: false, name: 'dashboard-empty' });
		userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-chromium-'));
		context = await launch(userDir);
	});

	after(async () => {
		await context?.close();
		if (userDir)
			fs.rmSync(userDir, { recursive: true, force: true });
		await stack?.stop();
	});

	it('waits for data, says the collector is silent, then draws its first frames', async () => {
		const page = await context.newPage();
		const errors = [];
		page.on('pageerror', (e) => errors.push(e.message));
		await page.goto(stack.httpUrl, { waitUntil: 'load' });
		await signIn(page, stack);
		const empty = await waitUntil('the no-data state', async () => {
			const r = await readPage(page);
			return r.conn === 'stale' && r.banner ? r : null;
		}, 20000, page);
		assert.match(empty.banner, /collector/i);
		assert.equal(empty.lastTs, null);
		assert.equal(await page.locator('[data-testid^="chart-"] canvas').count(), 0);
		assert.match(await page.locator('[data-testid="chart-cpu"]').innerText(), /Waiting for data/);
		await page.screenshot({ path: path.join(SHOTS, 'dashboard-empty.png') });
		await stack.startCollector();
		const seen = new Set();
		await waitUntil('3 painted ticks', async () => {
			const r = await readPage(page);
			if (r.lastTs !== null)
				seen.add(r.lastTs);
			return seen.size >= 3 && r.conn === 'live' && r.banner === null;
		}, 20000, page);
		await sleep(300);
		for (const id of CHARTS) {
			const box = await page.locator(`[data-testid="chart-${id}"] canvas`).first().boundingBox();
			assert.ok(box && box.width > 400, `chart ${id} spans its card (${box?.width} px)`);
		}
		assert.deepEqual(errors, []);
	});
});
