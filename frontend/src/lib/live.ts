/*
 * The /live WebSocket: connect, hand each frame to the caller, reconnect with back-off.
 * States: connecting (first attempt), live (open, frames arriving), stale (open, but no frame
 * for several intervals), reconnecting (closed, retrying), offline (retries keep failing or
 * the browser is offline; still retrying at the longest delay).
 */

import { parseFrame, type Frame } from './frame';

/* performance.now() of the newest WebSocket message (for the paint-latency measurement). */
export let lastMessageAt = 0;
import { backoffMs } from './shape';

export type LiveState = 'connecting' | 'live' | 'stale' | 'reconnecting' | 'offline';

export interface LiveHooks {
	/* Called before every attempt; returns the URL to open (re-reads /api/v1/config). */
	resolveUrl: () => Promise<string>;
	onFrame: (f: Frame) => void;
	onState: (s: LiveState, detail: string) => void;
	/* Called when a socket opens; reconnect is true after the first successful open. */
	onOpen: (reconnect: boolean) => void;
}

const OFFLINE_AFTER_FAILURES = 4;

export class LiveConnection {
	private ws: WebSocket | null = null;
	private state: LiveState = 'connecting';
	private failures = 0;
	private everOpened = false;
	private retryTimer: ReturnType<typeof setTimeout> | null = null;
	private staleTimer: ReturnType<typeof setTimeout> | null = null;
	private stopped = false;
	private staleAfterMs: number;
	private readonly hooks: LiveHooks;

	constructor(hooks: LiveHooks, intervalMs: number) {
		this.hooks = hooks;
		this.staleAfterMs = LiveConnection.staleAfter(intervalMs);
	}

	static staleAfter(intervalMs: number): number {
		return Math.max(5000, 5 * (intervalMs > 0 ? intervalMs : 1000));
	}

	setInterval(intervalMs: number): void {
		this.staleAfterMs = LiveConnection.staleAfter(intervalMs);
	}

	get current(): LiveState {
		return this.state;
	}

	start(): void {
		this.stopped = false;
		void this.attempt();
	}

	stop(): void {
		this.stopped = true;
		this.clearTimers();
		if (this.ws) {
			this.ws.onclose = null;
			this.ws.close();
			this.ws = null;
		}
	}

	private setState(s: LiveState, detail = ''): void {
		this.state = s;
		this.hooks.onState(s, detail);
	}

	private clearTimers(): void {
		if (this.retryTimer)
			clearTimeout(this.retryTimer);
		if (this.staleTimer)
			clearTimeout(this.staleTimer);
		this.retryTimer = this.staleTimer = null;
	}

	private async attempt(): Promise<void> {
		if (this.stopped)
			return;
		let url: string;
		try {
			url = await this.hooks.resolveUrl();
		} catch (e) {
			this.fail(`API unreachable: ${(e as Error).message}`);
			return;
		}
		if (this.stopped)
			return;
		let ws: WebSocket;
		try {
			ws = new WebSocket(url);
		} catch (e) {
			this.fail(`cannot open ${url}: ${(e as Error).message}`);
			return;
		}
		this.ws = ws;
		ws.onopen = () => {
			const reconnect = this.everOpened;
			this.everOpened = true;
			this.failures = 0;
			this.setState('live', url);
			this.armStale();
			this.hooks.onOpen(reconnect);
		};
		ws.onmessage = (ev: MessageEvent) => {
			/* When the message arrived: the dashboard measures tick → painted from here. */
			lastMessageAt = performance.now();
			if (typeof ev.data !== 'string')
				return;
			const f = parseFrame(ev.data);
			if (!f)
				return;
			if (this.state !== 'live')
				this.setState('live', url);
			this.armStale();
			this.hooks.onFrame(f);
		};
		ws.onclose = (ev: CloseEvent) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			this.fail(`socket closed (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
		};
		ws.onerror = () => {
			/* onclose follows and does the work. */
		};
	}

	private armStale(): void {
		if (this.staleTimer)
			clearTimeout(this.staleTimer);
		this.staleTimer = setTimeout(() => {
			if (this.ws && this.state === 'live')
				this.setState('stale', `no frame for ${Math.round(this.staleAfterMs / 1000)} s`);
		}, this.staleAfterMs);
	}

	private fail(detail: string): void {
		this.clearTimers();
		if (this.stopped)
			return;
		this.failures++;
		const offline = this.failures >= OFFLINE_AFTER_FAILURES ||
			(typeof navigator !== 'undefined' && navigator.onLine === false);
		const delay = backoffMs(this.failures - 1);
		this.setState(offline ? 'offline' : 'reconnecting',
			`${detail}; retry in ${(delay / 1000).toFixed(1)} s`);
		this.retryTimer = setTimeout(() => void this.attempt(), delay);
	}
}
