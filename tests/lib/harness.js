'use strict';
/*
 * Test harness: starts a throw-away PerfWatch stack (a PostgreSQL cluster in a temporary
 * directory, perfwatch-migrate, the collector and the API server from PERFWATCH_BUILD_DIR) and
 * removes all of it on stop() or when the test process exits. Used by tests/integration and
 * tests/e2e. Logs of every process go to tests/artifacts/<test>/.
 *
 *   const { startStack } = require('../lib/harness.js');
 *   const stack = await startStack({ collector: true, interval: 1 });
 *   stack.httpUrl, stack.wsUrl, stack.db, stack.psql(sql), await stack.restartApi(), await stack.stop()
 * The API server's first admin gets a random password (stack.admin); the harness logs in once:
 *   await stack.fetch('/api/v1/latest')      fetch with the session cookie (stack.cookie)
 *   new WebSocket(stack.wsUrl, stack.wsOptions())   cookie and Origin for the upgrade
 *   stack.token                              an API token of the admin (Authorization: Bearer)
 */
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const PGBIN = process.env.PERFWATCH_PGBIN || '/usr/lib/postgresql/15/bin';
const OWNER = 'perfwatch';
const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|ThreadSanitizer/;

const live = new Set();
let stackCount = 0;

function buildDir() {
	return path.resolve(ROOT, process.env.PERFWATCH_BUILD_DIR || 'build-test');
}

/* Path of one of our binaries in the build directory; throws when it was not built. */
function binary(name) {
	const sub = { 'perfwatch-migrate': 'tools', 'perfwatch-collector': 'collector',
		'perfwatch-api': 'apiserver' }[name];
	if (!sub)
		throw new Error(`unknown binary ${name}`);
	const file = path.join(buildDir(), sub, name);
	if (!fs.existsSync(file))
		throw new Error(`${file} does not exist: build first (PERFWATCH_BUILD_DIR=${buildDir()})`);
	return file;
}

/* uid/gid of the unprivileged user when we are root (created if missing), else null. */
function ownerIds() {
	if (process.getuid() !== 0)
		return null;
	let r = spawnSync('id', ['-u', OWNER], { encoding: 'utf8' });
	if (r.status !== 0) {
		execFileSync('useradd', ['--system', '--create-home', OWNER]);
		r = spawnSync('id', ['-u', OWNER], { encoding: 'utf8' });
	}
	const gid = spawnSync('id', ['-g', OWNER], { encoding: 'utf8' });
	return { uid: Number(r.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* The inherited environment without PERFWATCH_* (the binaries read those as configuration). */
function cleanEnv(extra) {
	const env = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (!k.startsWith('PERFWATCH_'))
			env[k] = v;
	}
	return Object.assign(env, extra || {});
}

function tail(file, lines = 30) {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
	} catch {
		return '';
	}
}

/* The artifacts directory of this test: tests/artifacts/<name>/, emptied first. */
function artifactsDir(name) {
	const base = name || path.basename(process.argv[1] || 'test').replace(/\.(test|spec)\.[cm]?js$/, '');
	stackCount++;
	const dir = path.join(ROOT, 'tests', 'artifacts', stackCount > 1 ? `${base}-${stackCount}` : base);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	return dir;
}

/* One child process whose output goes to a log file. */
class Service {
	constructor(name, file, args, opts) {
		this.name = name;
		this.file = file;
		this.args = args;
		this.opts = opts;
		this.log = path.join(opts.logDir, `${name}.log`);
		this.child = null;
		this.exit = null;
	}

	start() {
		const fd = fs.openSync(this.log, 'a');
		const spawnOpts = { stdio: ['ignore', fd, fd], env: this.opts.env };
		if (this.opts.ids)
			Object.assign(spawnOpts, this.opts.ids);
		this.exit = null;
		this.child = spawn(this.file, this.args, spawnOpts);
		fs.closeSync(fd);
		this.exited = new Promise((resolve) => {
			this.child.on('exit', (code, signal) => {
				this.exit = { code, signal };
				resolve(this.exit);
			});
			this.child.on('error', (err) => {
				this.exit = { code: null, signal: null, error: err.message };
				resolve(this.exit);
			});
		});
	}

	running() {
		return this.child !== null && this.exit === null;
	}

	/* Sends `signal`, waits up to timeoutMs, then SIGKILL; resolves to the exit status. */
	async stop(signal = 'SIGTERM', timeoutMs = 10000) {
		if (!this.child)
			return null;
		if (this.exit === null) {
			this.child.kill(signal);
			const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
			await this.exited;
			clearTimeout(timer);
		}
		return this.exit;
	}

	/* Problems to report after a stop: an unclean exit or a sanitizer report in the log. */
	problems(expectedSignal) {
		const out = [];
		const e = this.exit;
		if (e && !(e.code === 0 || (expectedSignal && e.signal === expectedSignal)))
			out.push(`${this.name} exited with ${e.error || (e.signal ? `signal ${e.signal}` : `code ${e.code}`)}`);
		if (SANITIZER_RE.test(tail(this.log, 100000)))
			out.push(`${this.name}: sanitizer report in ${this.log}`);
		return out.length ? [`${out.join('; ')}\n--- ${this.log} (tail) ---\n${tail(this.log)}`] : [];
	}
}

async function waitFor(what, service, check, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (service && !service.running())
			throw new Error(`${service.name} exited while waiting for ${what} ` +
				`(${JSON.stringify(service.exit)})\n--- ${service.log} ---\n${tail(service.log)}`);
		if (await check())
			return;
		if (Date.now() > deadline)
			throw new Error(`timed out waiting for ${what}` +
				(service ? `\n--- ${service.log} ---\n${tail(service.log)}` : ''));
		await sleep(100);
	}
}

class Stack {
	constructor(opts) {
		this.opts = opts;
		this.artifacts = artifactsDir(opts.name);
		this.ids = ownerIds();
		this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'perfwatch-'));
		if (this.ids)
			fs.chownSync(this.tmp, this.ids.uid, this.ids.gid);
		fs.chmodSync(this.tmp, 0o700);
		this.services = {};
		this.stopped = false;
		this.admin = { user: 'admin', password: crypto.randomBytes(18).toString('base64url') };
		this.cookie = null;
		this.token = null;
		live.add(this);
	}

	/* libpq connection string for one of the roles (postgres is the superuser). */
	conninfo(user = 'postgres') {
		return `host=${this.tmp} port=${this.db.port} dbname=${this.db.database} user=${user}`;
	}

	/* Runs SQL with psql (unaligned, tuples only) and returns its stdout; throws on error. */
	psql(sql, { user = 'postgres', database = this.db.database } = {}) {
		const r = spawnSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1',
			'-h', this.tmp, '-p', String(this.db.port), '-U', user, '-d', database, '-c', sql],
		{ encoding: 'utf8', env: cleanEnv() });
		if (r.status !== 0)
			throw new Error(`psql failed (${user}): ${r.stderr.trim()}\nSQL: ${sql}`);
		return r.stdout.replace(/\n$/, '');
	}

	/*
	 * Runs one of our binaries to completion: exec('perfwatch-migrate', [...]) returns
	 * { code, signal, stdout, stderr }. opts.asOwner runs it as the unprivileged user.
	 */
	exec(name, args = [], { asOwner = false, env = {}, timeoutMs = 30000 } = {}) {
		const spawnOpts = { encoding: 'utf8', env: cleanEnv(env), timeout: timeoutMs };
		if (asOwner && this.ids)
			Object.assign(spawnOpts, this.ids);
		const r = spawnSync(binary(name), args, spawnOpts);
		fs.appendFileSync(path.join(this.artifacts, 'exec.log'),
			`$ ${name} ${args.join(' ')}\n${r.stdout}${r.stderr}exit ${r.status} ${r.signal || ''}\n`);
		return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
	}

	async startPostgres() {
		const data = path.join(this.tmp, 'pgdata');
		const ownerOpts = this.ids ? { ...this.ids } : {};
		const r = spawnSync(path.join(PGBIN, 'initdb'), ['-D', data, '-U', 'postgres', '-E', 'UTF8',
			'--locale=C.UTF-8', '--auth-local=trust', '--auth-host=reject', '--no-sync'],
		{ encoding: 'utf8', env: cleanEnv({ HOME: this.tmp }), ...ownerOpts });
		fs.writeFileSync(path.join(this.artifacts, 'initdb.log'), r.stdout + r.stderr);
		if (r.status !== 0)
			throw new Error(`initdb failed:\n${r.stderr}`);
		this.db = { host: this.tmp, port: await freePort(), database: 'perfwatch' };
		const pg = new Service('postgres', path.join(PGBIN, 'postgres'), ['-D', data,
			'-p', String(this.db.port), '-c', 'listen_addresses=', '-c', `unix_socket_directories=${this.tmp}`,
			'-c', 'unix_socket_permissions=0700', '-c', 'fsync=off', '-c', 'timezone=UTC'],
		{ logDir: this.artifacts, env: cleanEnv({ HOME: this.tmp }), ids: this.ids });
		this.services.postgres = pg;
		pg.start();
		await waitFor('PostgreSQL', pg, () => spawnSync(path.join(PGBIN, 'pg_isready'),
			['-q', '-h', this.tmp, '-p', String(this.db.port)]).status === 0, 30000);
		this.psql('CREATE DATABASE perfwatch', { database: 'postgres' });
	}

	migrate() {
		const dir = this.opts.migrationsDir || process.env.PERFWATCH_TEST_MIGRATIONS_DIR;
		const r = this.exec('perfwatch-migrate', ['--db', this.conninfo('postgres'),
			...(dir ? ['--migrations-dir', dir] : [])]);
		if (r.code !== 0)
			throw new Error(`perfwatch-migrate failed:\n${r.stderr}`);
		return r;
	}

	async startCollector() {
		const o = this.opts;
		const args = ['--db', this.conninfo('perfwatch_collector'), '--interval', String(o.interval ?? 1),
			/* Each stack spools into its own directory (the default is shared by every collector). */
			'--spool-dir', path.join(this.tmp, 'spool'), ...(o.collectorArgs || [])];
		const svc = new Service('collector', binary('perfwatch-collector'), args,
			{ logDir: this.artifacts, env: cleanEnv(o.collectorEnv) });
		this.services.collector = svc;
		const logged = fs.existsSync(svc.log) ? fs.statSync(svc.log).size : 0;
		svc.start();
		/*
		 * Until its first log line (written after it set its signal handlers; it executes itself
		 * once more first): a SIGTERM sent sooner, e.g. by a test's stop() right after a restart,
		 * would end it with the signal instead of a clean exit. At most 5 s (a quieter log level).
		 */
		for (const until = Date.now() + 5000; svc.running() && Date.now() < until;) {
			if (fs.existsSync(svc.log) && fs.statSync(svc.log).size > logged)
				break;
			await sleep(20);
		}
		if (!svc.running())
			await svc.exited;
		if (svc.exit)
			throw new Error(`collector exited at start (${JSON.stringify(svc.exit)})\n${tail(svc.log)}`);
	}

	async startApi() {
		const o = this.opts;
		const args = ['--db', this.conninfo('perfwatch_api'), '--http-addr', '127.0.0.1',
			'--http-port', String(this.httpPort), '--ws-port', String(this.wsPort),
			'--static-dir', o.staticDir || path.join(ROOT, 'frontend', 'dist'), ...(o.apiArgs || [])];
		const env = cleanEnv({ HOME: this.tmp, PERFWATCH_ADMIN_PASSWORD: this.admin.password, ...o.apiEnv });
		const svc = new Service('api', binary('perfwatch-api'), args,
			{ logDir: this.artifacts, env, ids: this.ids });
		this.services.api = svc;
		svc.start();
		await waitFor('the API server /healthz', svc, async () => {
			try {
				return (await fetch(`${this.httpUrl}/healthz`)).status === 200;
			} catch {
				return false;
			}
		}, 30000);
		if (o.login !== false && !this.cookie)
			await this.login();
	}

	/* Logs in as the first admin: the session cookie in this.cookie, an API token in this.token. */
	async login() {
		const res = await fetch(`${this.httpUrl}/api/v1/auth/login`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Origin: this.httpUrl },
			body: JSON.stringify(this.admin),
		});
		const setCookie = res.headers.get('set-cookie');
		if (res.status !== 200 || !setCookie)
			throw new Error(`login as ${this.admin.user} failed: ${res.status} ${await res.text()}`);
		this.cookie = setCookie.split(';')[0];
		const tok = await this.fetch('/api/v1/auth/tokens/create', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Origin: this.httpUrl },
			body: JSON.stringify({ name: 'harness' }),
		});
		if (tok.status !== 201)
			throw new Error(`creating an API token failed: ${tok.status} ${await tok.text()}`);
		this.token = (await tok.json()).token;
		return this.cookie;
	}

	/* fetch() of a path on the API server with the session cookie (and any init given). */
	fetch(urlPath, init = {}) {
		const headers = { ...(this.cookie ? { Cookie: this.cookie } : {}), ...(init.headers || {}) };
		return fetch(`${this.httpUrl}${urlPath}`, { ...init, headers });
	}

	/* Options for `new WebSocket(stack.wsUrl, opts)` (ws package): the session and our Origin. */
	wsOptions() {
		return { origin: this.httpUrl, headers: this.cookie ? { Cookie: this.cookie } : {} };
	}

	/* Stops the API server (it must exit cleanly), starts it again and waits until healthy. */
	async restartApi() {
		const api = this.services.api;
		if (api) {
			await api.stop();
			const bad = api.problems();
			if (bad.length)
				throw new Error(bad.join('\n'));
		}
		await this.startApi();
	}

	/* Stops the collector (it must exit cleanly) and starts it again. */
	async restartCollector() {
		const c = this.services.collector;
		if (c) {
			await c.stop();
			const bad = c.problems();
			if (bad.length)
				throw new Error(bad.join('\n'));
		}
		await this.startCollector();
	}

	/*
	 * Stops everything and removes the cluster. Throws (after cleaning up) when a service had
	 * exited on its own, did not exit cleanly on SIGTERM, or logged a sanitizer report.
	 */
	async stop() {
		if (this.stopped)
			return;
		this.stopped = true;
		const problems = [];
		for (const name of ['api', 'collector']) {
			const svc = this.services[name];
			if (!svc)
				continue;
			if (!svc.running())
				problems.push(`${name} had exited before stop()`);
			await svc.stop();
			problems.push(...svc.problems());
		}
		const pg = this.services.postgres;
		if (pg) {
			await pg.stop('SIGINT', 20000);
			problems.push(...pg.problems());
		}
		fs.rmSync(this.tmp, { recursive: true, force: true });
		live.delete(this);
		if (problems.length)
			throw new Error(`stack ${this.artifacts}:\n${problems.join('\n')}`);
	}

	/* Synchronous last-resort cleanup for process exit. */
	kill() {
		for (const svc of Object.values(this.services)) {
			if (svc.running())
				svc.child.kill('SIGKILL');
		}
		fs.rmSync(this.tmp, { recursive: true, force: true });
		live.delete(this);
	}
}

process.on('exit', () => {
	for (const s of [...live])
		s.kill();
});
for (const sig of ['SIGINT', 'SIGTERM']) {
	process.once(sig, () => {
		for (const s of [...live])
			s.kill();
		process.exit(128 + os.constants.signals[sig]);
	});
}

/*
 * Starts a stack. Options: collector (bool, default true), interval (s, 1), api (bool, true),
 * migrate (bool, true), migrationsDir (default: the build's, or PERFWATCH_TEST_MIGRATIONS_DIR), login (bool, true: log in as stack.admin once the API is up),
 * collectorArgs/apiArgs (extra flags), collectorEnv/apiEnv (extra environment), staticDir,
 * name (artifacts subdirectory; default: the test file's name).
 */
async function startStack(opts = {}) {
	const o = { collector: true, api: true, migrate: true, interval: 1, ...opts };
	const stack = new Stack(o);
	try {
		await stack.startPostgres();
		if (o.migrate)
			stack.migrate();
		stack.httpPort = await freePort();
		stack.wsPort = await freePort();
		stack.httpUrl = `http://127.0.0.1:${stack.httpPort}`;
		stack.wsUrl = `ws://127.0.0.1:${stack.wsPort}/live`;
		if (o.collector)
			await stack.startCollector();
		if (o.api)
			await stack.startApi();
	} catch (err) {
		stack.kill();
		throw err;
	}
	return stack;
}

module.exports = { startStack, buildDir, binary, freePort, ROOT };
