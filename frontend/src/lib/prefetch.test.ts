import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { startPrefetch, takePrefetch } from './prefetch';

/* A fetch answering from a table of path prefixes, recording every URL asked. */
function stubFetch(answers: Record<string, [number, unknown]>): string[] {
	const asked: string[] = [];
	vi.stubGlobal('fetch', async (url: string) => {
		asked.push(url);
		const key = Object.keys(answers).find((k) => url.startsWith(k));
		const [status, body] = key ? answers[key] : [404, { error: 'not found' }];
		return new Response(JSON.stringify(body), { status });
	});
	return asked;
}

afterEach(() => {
	vi.unstubAllGlobals();
	takePrefetch();
});

describe('startPrefetch', () => {
	it('asks for the CPU history and the catalogue of the host the config names', async () => {
		vi.stubGlobal('location', { search: '?range=24h' });
		vi.stubGlobal('window', { innerWidth: 1280 });
		const asked = stubFetch({
			'/api/v1/config': [200, { ws_port: 1, ws_path: '/live', host: 'db-1', interval_ms: 1000 }],
			'/api/v1/query': [200, { tier: '1m', step_s: 300, series: [] }],
			'/api/v1/series': [200, { series: [{ series: 'cpu.usr:total' }] }],
			'/api/v1/auth/me': [200, { user: 'a', admin: true, kind: 'session', expires: null }],
		});
		startPrefetch();
		const p = takePrefetch();
		expect(takePrefetch()).toBeNull();
		expect(p?.range.name).toBe('24h');
		expect(p?.range.to! - p?.range.from!).toBe(24 * 3600e3);
		expect((await p!.me).user).toBe('a');
		expect(await p!.history!.answer).toEqual({ tier: '1m', step_s: 300, series: [] });
		expect([...await p!.history!.known]).toEqual(['cpu.usr:total']);
		const q = asked.find((u) => u.startsWith('/api/v1/query'))!;
		expect(q).toContain('series=cpu.usr:total,cpu.nice:total');
		expect(q).toContain('points=640');
		expect(q).toContain('host=db-1');
		expect(asked).toContain('/api/v1/series?host=db-1');
	});

	it('asks for no history live, and a 401 left unread is no unhandled rejection', async () => {
		vi.stubGlobal('location', { search: '' });
		const asked = stubFetch({ '/api/v1/': [401, { error: 'login required' }] });
		startPrefetch();
		const p = takePrefetch()!;
		expect(p.history).toBeNull();
		await expect(p.me).rejects.toBeInstanceOf(ApiError);
		/* config and latest are dropped unread, as the dashboard does on a 401. */
		await new Promise((r) => setTimeout(r, 10));
		expect(asked.sort()).toEqual(['/api/v1/auth/me', '/api/v1/config', '/api/v1/latest']);
	});
});
