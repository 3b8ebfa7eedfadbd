'use strict';
/*
 * The API server's access control against a real stack (docs/security.md): no credential is 401
 * on every route and on the WebSocket; cross-origin WebSockets are refused; a planted session
 * cookie never becomes a login; idle, absolute and token expiry and revocation are enforced
 * (also on an open WebSocket); SQL metacharacters in every parameter are 400 and change nothing
 * in the database; WebSocket messages are bounded; brute force is throttled with Retry-After;
 * `perfwatch-api user add|passwd|del` manages users without the web UI; the collector runs
 * without capabilities but CAP_DAC_OVERRIDE.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { startStack, binary } = require('../lib/harness.js');

let PASSWORD;
const IDLE_S = 4;
const MAX_S = 10;
let stack;
let origin;

before(async () => {
	stack = await startStack({ collector: true,
		apiArgs: ['--session-idle', String(IDLE_S), '--session-max', String(MAX_S)] });
	PASSWORD = stack.admin.password;
	origin = stack.httpUrl;
});

after(async () => {
	await stack?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const json = { 'Content-Type': 'application/json' };

async function call(path, { method = 'GET', headers = {}, body } = {}) {
	const res = await fetch(`${stack.httpUrl}${path}`, { method, headers, body,
		redirect: 'manual' });
	const text = await res.text();
	let parsed = null;
	try {
		parsed = JSON.parse(text);
	} catch { /* the status is checked by the caller */ }
	return { status: res.status, headers: res.headers, body: parsed, text };
}

async function login(user = 'admin', password = PASSWORD, headers = {}) {
	const r = await call('/api/v1/auth/login', { method: 'POST',
		headers: { ...json, Origin: origin, ...headers }, body: JSON.stringify({ user, password }) });
	const set = r.headers.get('set-cookie');
	return { ...r, cookie: set ? set.split(';')[0] : null, setCookie: set };
}

/* Opens /live; resolves { status } when refused, { ws, first } when a frame arrived. */
function openWs(headers) {
	return new Promise((resolve) => {
		const ws = new WebSocket(stack.wsUrl, { headers });
		ws.once('unexpected-response', (req, res) => resolve({ status: res.statusCode }));
		ws.once('message', (m) => resolve({ ws, first: String(m) }));
		ws.once('error', (e) => resolve({ error: e.message }));
	});
}

function closed(ws, timeoutMs) {
	return new Promise((resolve) => {
		const t = setTimeout(() => resolve(null), timeoutMs);
		ws.once('close', (code) => {
			clearTimeout(t);
			resolve(code);
		});
	});
}

const ROUTES = ['/api/v1/config', '/api/v1/latest', '/api/v1/query?metric=cpu.usr',
	'/api/v1/query?series=cpu.usr:total', '/api/v1/compare?series=cpu.usr:total&offset=1h',
	'/api/v1/anomalies?series=cpu.usr:total', '/api/v1/trends?series=cpu.usr:total&window=7d',
	'/api/v1/series', '/api/v1/hw', '/api/v1/auth/me', '/api/v1/auth/tokens'];
const POSTS = ['/api/v1/auth/logout', '/api/v1/auth/tokens/create', '/api/v1/auth/tokens/revoke'];

test('without a credential every route is 401 and the WebSocket too; only /healthz and the page are open', async () => {
	for (const path of ROUTES) {
		const r = await call(path);
		assert.equal(r.status, 401, `${path}: ${r.text}`);
		assert.deepEqual(r.body, { error: 'login required' });
		assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="perfwatch"');
	}
	for (const path of POSTS) {
		const r = await call(path, { method: 'POST', headers: { ...json, Origin: origin }, body: '{}' });
		assert.equal(r.status, 401, `${path}: ${r.text}`);
	}
	assert.equal((await call('/healthz')).status, 200);
	const page = await fetch(`${stack.httpUrl}/`);
	assert.equal(page.status, 200, 'the dashboard (and its login form) is served to anyone');
	assert.equal(page.headers.get('x-frame-options'), 'DENY');
	assert.equal(page.headers.get('content-security-policy'), "frame-ancestors 'none'");
	assert.deepEqual(await openWs({}), { status: 401 });
	assert.deepEqual(await openWs({ Authorization: `Bearer ${'0'.repeat(64)}` }), { status: 401 });
	assert.deepEqual(await openWs({ Cookie: 'perfwatch_session=nope' }), { status: 401 });
});

test('a login opens every route and the WebSocket; another origin cannot open it', async () => {
	const l = await login();
	assert.equal(l.status, 200, l.text);
	assert.deepEqual(Object.keys(l.body).sort(), ['admin', 'expires', 'kind', 'user']);
	assert.match(l.setCookie, /^perfwatch_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=10$/);
	for (const path of ROUTES) {
		const r = await call(path, { headers: { Cookie: l.cookie } });
		assert.notEqual(r.status, 401, path);
		assert.notEqual(r.status, 403, path);
	}
	const ok = await openWs({ Cookie: l.cookie, Origin: origin });
	assert.ok(ok.ws, JSON.stringify(ok));
	ok.ws.close();
	assert.deepEqual(await openWs({ Cookie: l.cookie, Origin: 'http://evil.example' }), { status: 403 });
	assert.deepEqual(await openWs({ Cookie: l.cookie, Origin: 'null' }), { status: 403 });
	/* Behind a TLS proxy the cookie is Secure. */
	const tls = await login('admin', PASSWORD, { 'X-Forwarded-Proto': 'https' });
	assert.match(tls.setCookie, /; Secure$/);
});

test('session fixation: a planted cookie is no login, and a login replaces any cookie it came with', async () => {
	const planted = `perfwatch_session=${'ab'.repeat(32)}`;
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: planted } })).status, 401);
	const l = await login('admin', PASSWORD, { Cookie: planted });
	assert.equal(l.status, 200);
	assert.notEqual(l.cookie, planted);
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: planted } })).status, 401);
	/* A real earlier session sent along with a new login ends. */
	const again = await login('admin', PASSWORD, { Cookie: l.cookie });
	assert.equal(again.status, 200);
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: l.cookie } })).status, 401);
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: again.cookie } })).status, 200);
});

test('state-changing requests need JSON and, with a cookie, this origin', async () => {
	const l = await login();
	const post = (headers) => call('/api/v1/auth/tokens/create', { method: 'POST',
		headers: { Cookie: l.cookie, ...headers }, body: '{"name":"x"}' });
	assert.equal((await post({ 'Content-Type': 'text/plain', Origin: origin })).status, 415);
	assert.equal((await post({ ...json, Origin: 'http://evil.example' })).status, 403);
	assert.equal((await post({ ...json })).status, 403);
	assert.equal((await post({ ...json, Origin: origin })).status, 201);
});

test('idle and absolute session timeouts, logout, expired and revoked tokens', async () => {
	/* Idle: unused for longer than --session-idle. */
	const idle = await login();
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: idle.cookie } })).status, 200);
	await sleep((IDLE_S + 1.5) * 1000);
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: idle.cookie } })).status, 401);
	/* Absolute: used every second, still over after --session-max. */
	const busy = await login();
	const start = Date.now();
	let lastOk = 0;
	while (Date.now() - start < (MAX_S + 2) * 1000) {
		const r = await call('/api/v1/auth/me', { headers: { Cookie: busy.cookie } });
		if (r.status === 200)
			lastOk = Date.now() - start;
		await sleep(1000);
	}
	assert.ok(lastOk > IDLE_S * 1000, `activity kept the session past the idle time (${lastOk} ms)`);
	assert.ok(lastOk <= MAX_S * 1000, `the session outlived --session-max (${lastOk} ms)`);
	/* Logout ends it at once. */
	const s = await login();
	const out = await call('/api/v1/auth/logout', { method: 'POST',
		headers: { ...json, Origin: origin, Cookie: s.cookie } });
	assert.equal(out.status, 200);
	assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: s.cookie } })).status, 401);
	/* Tokens: revoked through the API at once; expired in the database within a refresh. */
	const t = await login();
	const mk = (name) => call('/api/v1/auth/tokens/create', { method: 'POST',
		headers: { ...json, Origin: origin, Cookie: t.cookie }, body: JSON.stringify({ name }) });
	const a = (await mk('revoke-me')).body;
	const b = (await mk('expire-me')).body;
	const bearer = (tok) => ({ Authorization: `Bearer ${tok}` });
	assert.equal((await call('/api/v1/auth/me', { headers: bearer(a.token) })).status, 200);
	const tokWs = await openWs(bearer(a.token));
	assert.ok(tokWs.ws, `a token opens the WebSocket: ${JSON.stringify(tokWs)}`);
	const tokWsClosed = closed(tokWs.ws, 8000);
	const rv = await call('/api/v1/auth/tokens/revoke', { method: 'POST',
		headers: { ...json, Origin: origin, Cookie: t.cookie }, body: JSON.stringify({ id: a.id }) });
	assert.equal(rv.status, 200);
	assert.equal((await call('/api/v1/auth/me', { headers: bearer(a.token) })).status, 401);
	assert.deepEqual(await openWs(bearer(a.token)), { status: 401 });
	assert.notEqual(await tokWsClosed, null, 'the revoked token\'s WebSocket is closed');
	assert.equal((await call('/api/v1/auth/me', { headers: bearer(b.token) })).status, 200);
	stack.psql(`UPDATE perfwatch_auth.api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${b.id}`);
	await sleep((IDLE_S / 2 + 1) * 1000);
	assert.equal((await call('/api/v1/auth/me', { headers: bearer(b.token) })).status, 401);
	const list = await call('/api/v1/auth/tokens', { headers: { Cookie: t.cookie } });
	assert.ok(list.body.tokens.find((x) => x.id === a.id).revoked > 0);
	assert.ok(!JSON.stringify(list.body).includes(a.token), 'a token is shown once, at creation');
});

test('an open WebSocket closes when its session ends', async () => {
	const l = await login();
	const open = await openWs({ Cookie: l.cookie, Origin: origin });
	assert.ok(open.ws, JSON.stringify(open));
	const gone = closed(open.ws, 8000);
	await call('/api/v1/auth/logout', { method: 'POST', headers: { ...json, Origin: origin, Cookie: l.cookie } });
	assert.notEqual(await gone, null, 'the WebSocket was still open 8 s after logout');
});

test('WebSocket client messages are bounded in size and rate', async () => {
	const l = await login();
	const big = await openWs({ Cookie: l.cookie });
	const bigClosed = closed(big.ws, 5000);
	big.ws.send('x'.repeat(2000));
	assert.equal(await bigClosed, 1008);
	const chatty = await openWs({ Cookie: l.cookie });
	const chattyClosed = closed(chatty.ws, 5000);
	for (let i = 0; i < 30; i++)
		chatty.ws.send('{"subscribe":["cpu"]}');
	assert.equal(await chattyClosed, 1008);
});

/* perfwatch-api user …, the password on stdin. */
function userCli(args, input) {
	const r = spawnSync(binary('perfwatch-api'), ['user', ...args, '--db', stack.conninfo('perfwatch_api')],
		{ input, encoding: 'utf8', env: { PATH: process.env.PATH } });
	return { code: r.status, err: r.stderr };
}

test('perfwatch-api user add|passwd|del', async () => {
	assert.equal(userCli(['add', 'alice'], 'short\n').code, 1, 'a short password is refused');
	assert.equal(userCli(['add', "al'ice"], 'alice password 1\n').code, 2);
	const add = userCli(['add', 'alice'], 'alice password 1\n');
	assert.equal(add.code, 0, add.err);
	assert.equal(userCli(['add', 'alice'], 'alice password 1\n').code, 1, 'the name exists');
	const s = await login('alice', 'alice password 1');
	assert.equal(s.status, 200);
	assert.equal(s.body.admin, false);
	assert.equal(userCli(['passwd', 'alice'], 'alice password 2\n').code, 0);
	/* The old session ends (the cache follows the database within a refresh round). */
	await sleep((IDLE_S / 2 + 1) * 1000);
	assert.equal((await call('/api/v1/auth/me', { headers: { Cookie: s.cookie } })).status, 401);
	assert.equal((await login('alice', 'alice password 2')).status, 200);
	assert.equal(userCli(['del', 'alice']).code, 0);
	assert.equal(userCli(['del', 'alice']).code, 1, 'no such user');
	assert.equal((await login('alice', 'alice password 2')).status, 401);
	await login();
});

const HOSTILE = ["x'; DROP TABLE host; --", "1' OR '1'='1", 'a"b', '1;SELECT pg_sleep(5)', '\\',
	"$1'", '%00', "') UNION SELECT password_hash FROM perfwatch_auth.users --"];

/* Everything an injection could change, as one string. */
function snapshot() {
	return stack.psql(`SELECT (SELECT count(*) FROM host) || '/' || (SELECT count(*) FROM series)
		|| '/' || (SELECT string_agg(name || ':' || password_hash, ',') FROM perfwatch_auth.users)
		|| '/' || (SELECT count(*) FROM perfwatch_auth.api_tokens WHERE revoked_at IS NULL)
		|| '/' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)`);
}

test('SQL metacharacters in every parameter are 400 and change nothing', async () => {
	/* A fresh session per batch: at a high load the ~230 requests outlast --session-max. */
	const auth = {};
	const relogin = async () => { auth.Cookie = (await login()).cookie; };
	const before = snapshot();
	const routes = {
		'/api/v1/query': { metric: 'cpu.usr', instance: 'total', host: 'vm', from: '1763779000000', to: '1763779600000' },
		'/api/v1/query ': { series: 'cpu.usr:total', host: 'vm', from: '1763779000000', to: '1763779600000', points: '10', agg: 'avg', format: 'json' },
		'/api/v1/compare': { series: 'cpu.usr:total', host: 'vm', offset: '1h', points: '10' },
		'/api/v1/anomalies': { series: 'cpu.usr:total', host: 'vm' },
		'/api/v1/trends': { series: 'cpu.usr:total', host: 'vm', window: '7d' },
		'/api/v1/series': { host: 'vm' },
		'/api/v1/hw': { host: 'vm' },
	};
	let tried = 0;
	for (const [route, params] of Object.entries(routes)) {
		for (const key of Object.keys(params)) {
			await relogin();
			for (const bad of HOSTILE) {
				const qs = new URLSearchParams({ ...params, [key]: bad });
				const r = await call(`${route.trim()}?${qs}`, { headers: auth });
				assert.equal(r.status, 400, `${route.trim()} ${key}=${bad}: ${r.status} ${r.text}`);
				assert.equal(typeof r.body.error, 'string');
				tried++;
			}
		}
	}
	for (const bad of HOSTILE) {
		await relogin();
		const bodies = [
			['/api/v1/auth/login', { user: bad, password: 'x' }],
			['/api/v1/auth/tokens/create', { name: bad }],
			['/api/v1/auth/tokens/revoke', { id: bad }],
		];
		for (const [path, body] of bodies) {
			const r = await call(path, { method: 'POST', headers: { ...json, Origin: origin, ...auth },
				body: JSON.stringify(body) });
			assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${r.text}`);
			tried++;
		}
		/* A password is data: any text is compared, none is SQL. */
		const pw = await login('admin', bad);
		assert.equal(pw.status, 401, `password ${bad}`);
		await relogin(); /* a good login after each wrong password, as a user would */
	}
	assert.ok(tried >= 200, `${tried} hostile requests`);
	assert.equal(snapshot(), before);
});

test('the collector keeps only CAP_DAC_OVERRIDE after start-up, and keeps sampling', { skip: process.getuid() !== 0 && 'needs root' }, async () => {
	const pid = stack.services.collector.child.pid;
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const field = (name) => status.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))[1];
	for (const set of ['CapEff', 'CapPrm', 'CapBnd'])
		assert.equal(field(set), '0000000000000002', `${set} (bit 1 = CAP_DAC_OVERRIDE)`);
	assert.equal(field('CapInh'), '0000000000000000');
	assert.equal(field('CapAmb'), '0000000000000000');
	assert.equal(field('NoNewPrivs'), '1');
	const count = () => Number(stack.psql('SELECT count(*) FROM tick_samples'));
	const n = count();
	await sleep(2500);
	assert.ok(count() > n, 'ticks still arrive after the drop');
});

test('brute force is throttled with Retry-After; unknown user and wrong password look the same', async () => {
	let t0 = performance.now();
	const wrong = await login('admin', 'not the password');
	const wrongMs = performance.now() - t0;
	t0 = performance.now();
	const unknown = await login('nobody', 'not the password');
	const unknownMs = performance.now() - t0;
	assert.equal(wrong.status, 401);
	assert.equal(unknown.status, 401);
	assert.deepEqual(wrong.body, unknown.body);
	/* Both ran a bcrypt of cost 12 (a fraction of a second here); a shortcut for unknown names
	 * would answer in about a millisecond. */
	assert.ok(unknownMs > 0.3 * wrongMs, `unknown user ${unknownMs} ms, wrong password ${wrongMs} ms`);
	const statuses = [];
	for (let i = 0; i < 4; i++)
		statuses.push((await login('admin', `guess ${i}`)).status);
	assert.deepEqual(statuses, [401, 401, 401, 429], 'five failures from one address, then 429');
	const blocked = await login();
	assert.equal(blocked.status, 429, 'even the right password waits');
	assert.match(blocked.headers.get('retry-after'), /^[1-9]\d*$/);
	await sleep(Number(blocked.headers.get('retry-after')) * 1000 + 200);
	const okAfter = await login();
	assert.equal(okAfter.status, 200, 'after the wait the right password works (and clears the count)');
	assert.equal((await login('admin', 'again wrong')).status, 401);
});
