/* HTTP API client (docs/design.md, "HTTP API") and merging of query results into a window. */

import { parseFrame, seriesKey, type Frame } from './frame';
import type { TimeWindow } from './window';

export interface ApiConfig {
	ws_port: number;
	ws_path: string;
	host: string;
	interval_ms: number;
}

export interface QuerySeries {
	metric: string;
	instance?: string | null;
	unit?: string;
	points: [number, number | null][];
}

export interface QueryResult {
	from: number;
	to: number;
	series: QuerySeries[];
}

export class ApiError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
	}
}

const TIMEOUT_MS = 8000;

/* GETs path and parses JSON; throws ApiError (status 0 when the server is unreachable). */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
	const onAbort = () => ctl.abort();
	signal?.addEventListener('abort', onAbort);
	let res: Response;
	try {
		res = await fetch(path, { signal: ctl.signal, headers: { Accept: 'application/json' } });
	} catch (e) {
		throw new ApiError(0, `API server unreachable (${(e as Error).message})`);
	} finally {
		clearTimeout(timer);
		signal?.removeEventListener('abort', onAbort);
	}
	const text = await res.text();
	let body: unknown = null;
	try {
		body = text ? JSON.parse(text) : null;
	} catch {
		throw new ApiError(res.status, `${path}: response is not JSON (HTTP ${res.status})`);
	}
	if (!res.ok) {
		const msg = (body as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
		throw new ApiError(res.status, `${path}: ${msg}`);
	}
	return body as T;
}

/* POSTs a JSON body (the API refuses state-changing requests in any other type). */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
			body: JSON.stringify(body),
			credentials: 'same-origin',
		});
	} catch (e) {
		throw new ApiError(0, `API server unreachable (${(e as Error).message})`);
	}
	const text = await res.text();
	let parsed: unknown = null;
	try {
		parsed = text ? JSON.parse(text) : null;
	} catch {
		/* an empty or non-JSON answer: the status says enough */
	}
	if (!res.ok) {
		const msg = (parsed as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
		throw new ApiError(res.status, msg);
	}
	return parsed as T;
}

export interface Who {
	user: string;
	admin: boolean;
	kind: 'session' | 'token';
	expires: number | null;
}

/* Starts a session (the server sets an HttpOnly cookie); throws ApiError 401/429 on refusal. */
export function login(user: string, password: string): Promise<Who> {
	return postJson<Who>('/api/v1/auth/login', { user, password });
}

export function logout(): Promise<unknown> {
	return postJson('/api/v1/auth/logout', {});
}

export function fetchMe(): Promise<Who> {
	return getJson<Who>('/api/v1/auth/me');
}

export function fetchConfig(signal?: AbortSignal): Promise<ApiConfig> {
	return getJson<ApiConfig>('/api/v1/config', signal);
}

/* The newest frame, or null when the collector has not written one yet (404). */
export async function fetchLatest(signal?: AbortSignal): Promise<Frame | null> {
	try {
		const f = await getJson<unknown>('/api/v1/latest', signal);
		return parseFrame(JSON.stringify(f));
	} catch (e) {
		if (e instanceof ApiError && e.status === 404)
			return null;
		throw e;
	}
}

export interface QuerySpec {
	metrics: string[];
	instance?: string;
	/* The collector's host name; without it the API mixes every host in the database. */
	host?: string;
}

/* The query string for one request (no from: the server's last 5 min); at most 16 metrics. */
export function queryPath(spec: QuerySpec, fromMs?: number, toMs?: number): string {
	if (spec.metrics.length === 0 || spec.metrics.length > 16)
		throw new RangeError('a query names 1 to 16 metrics');
	const p = new URLSearchParams();
	p.set('metric', spec.metrics.join(','));
	if (spec.instance !== undefined)
		p.set('instance', spec.instance);
	if (spec.host)
		p.set('host', spec.host);
	if (fromMs !== undefined)
		p.set('from', String(Math.floor(fromMs)));
	if (toMs !== undefined)
		p.set('to', String(Math.ceil(toMs)));
	return `/api/v1/query?${p.toString().replace(/%2C/g, ',')}`;
}

export function query(spec: QuerySpec, fromMs?: number, toMs?: number,
		signal?: AbortSignal): Promise<QueryResult> {
	return getJson<QueryResult>(queryPath(spec, fromMs, toMs), signal);
}

/* Merges every point of a query result into the window; returns how many points were kept. */
export function mergeQuery(win: TimeWindow, result: QueryResult): number {
	let kept = 0;
	for (const s of result.series ?? []) {
		const pts: [number, number][] = [];
		for (const p of s.points ?? [])
			if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number')
				pts.push([p[0], p[1]]);
		kept += win.mergeSeries(seriesKey(s.metric, s.instance), pts);
	}
	return kept;
}

/* Runs fn over items with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number,
		fn: (item: T) => Promise<R>): Promise<R[]> {
	const out: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const i = next++;
			out[i] = await fn(items[i]);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return out;
}
