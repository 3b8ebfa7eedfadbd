'use strict';
/*
 * What the browser tests share: Debian's Chromium (never a downloaded one), the dashboard built
 * into frontend/dist when a fresh clone has none, where screenshots go, and polling.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./harness.js');

const CHROMIUM = process.env.PERFWATCH_CHROMIUM || '/usr/bin/chromium';
const FRONTEND = path.join(ROOT, 'frontend');
const SHOTS = path.join(ROOT, 'tests', 'artifacts', 'e2e');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* The dashboard is served from frontend/dist: build it when there is none. */
function ensureDashboardBuilt() {
	if (fs.existsSync(path.join(FRONTEND, 'dist', 'index.html')))
		return;
	const opts = { cwd: FRONTEND, stdio: 'inherit' };
	if (!fs.existsSync(path.join(FRONTEND, 'node_modules')))
		execFileSync('npm', ['ci', '--no-audit', '--no-fund'], opts);
	execFileSync('npm', ['run', 'build'], opts);
}

/*
 * Polls check() every 100 ms until it returns something truthy, and returns that; on time-out
 * throws, adding what seen() says (e.g. what the page showed) when it is given.
 */
async function waitUntil(what, check, timeoutMs = 20000, seen = null) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await check();
		if (r)
			return r;
		if (Date.now() > deadline) {
			const more = seen ? `; ${await seen()}` : '';
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`);
		}
		await sleep(100);
	}
}

module.exports = { CHROMIUM, FRONTEND, SHOTS, sleep, ensureDashboardBuilt, waitUntil };
