/*
 * The first requests, sent as the bundle is evaluated, before Vue mounts: the session, the
 * config, the newest frame and, for a link to a range, the CPU chart's history. Each used to wait
 * for the answer before it and for the mount work in between (/me → /latest → the history).
 */

import { fetchConfig, fetchLatest, fetchMe, type ApiConfig, type Who } from './api';
import { CPU_STATES, type Frame } from './frame';
import { catalogue, fetchHistory, pointsFor, rangeFromUrl, type HistAnswer, type Range } from './history';

/* The CPU chart's series: the first chart drawn with a range's history. */
export const MAIN_SERIES = CPU_STATES.map((st) => `cpu.${st}:total`);

export interface PrefetchedHistory {
	range: Range;
	points: number;
	/* The host the config named (undefined when it named none or failed). */
	host: Promise<string | undefined>;
	answer: Promise<HistAnswer>;
	/* /api/v1/series: which of the panels' series the other requests ask for. */
	known: Promise<Set<string>>;
}

export interface Prefetch {
	me: Promise<Who>;
	config: Promise<ApiConfig>;
	latest: Promise<Frame | null>;
	range: Range;
	/* null for the live range. */
	history: PrefetchedHistory | null;
}

let pending: Prefetch | null = null;

/* A promise that may be dropped unread (a 401 from /me) without an unhandled rejection. */
function quiet<T>(p: Promise<T>): Promise<T> {
	p.catch(() => {});
	return p;
}

/* Sends the first requests; the dashboard takes their promises with takePrefetch(). */
export function startPrefetch(): void {
	const me = quiet(fetchMe());
	const config = quiet(fetchConfig());
	const latest = quiet(fetchLatest());
	const range = rangeFromUrl(location.search, Date.now());
	let history: PrefetchedHistory | null = null;
	if (range.name !== 'live') {
		/* Scoped to the config's host, as every history request is; /config answers in a few ms. */
		const host = quiet(config.then((c) => c.host || undefined, () => undefined));
		const points = pointsFor(0);
		history = { range, points, host,
			answer: quiet(host.then((h) => fetchHistory(MAIN_SERIES, range, points, h))),
			known: quiet(host.then((h) => catalogue(h))) };
	}
	pending = { me, config, latest, range, history };
}

/* The prefetched requests, once: a reconnect or a sign-in asks again. */
export function takePrefetch(): Prefetch | null {
	const p = pending;
	pending = null;
	return p;
}
