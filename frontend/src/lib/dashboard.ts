/*
 * The dashboard's state and wiring: config, backfill queries, the live socket, the time
 * window, and repainting at most once per animation frame.
 */

import { reactive } from 'vue';
import { ApiError, fetchConfig, fetchLatest, fetchMe, getJson, login, logout, mapLimit, mergeQuery,
	query, type ApiConfig,
	type QuerySpec } from './api';
import { CPU_STATES, seriesKey, flattenFrame, frameCores, HW_FIELDS, LOAD_FIELDS, MEM_FIELDS, MEMBW_FIELDS,
	ROW_SECTIONS, VMSTAT_FIELDS, type Frame, type Row } from './frame';
import { coreMatrix, extraTiles, type ExtraTiles } from './panels';
import { drawSparkline, Heatmap } from './canvasViews';
import { afterNextFrame, drawOrder, runSliced, yieldToMain, type DrawItem } from './scheduler';
import { currentTheme, type Theme } from './theme';
import { fmtDateTime } from './timefmt';
import type { Column } from './window';
import { LiveConnection, lastMessageAt, type LiveState } from './live';

/*
 * Measurements for bench/browser_bench.js, bounded: milliseconds from a WebSocket message to the
 * end of the repaint that shows it (charts drawn to their canvases, tiles updated).
 */
export const perfStats = { tickMs: new Float64Array(4096), tickN: 0 };
(globalThis as Record<string, unknown>).__perfwatch = perfStats;
import { tilesFromFrame, windowCores, type Tiles } from './shape';
/* Types only: uPlot and the chart specs are in the panels' chunk, loaded after the first paint. */
import type { ChartHooks, ChartView, Marker } from './chartView';
import { catalogue, loadAnomalies, loadCompare, loadHistory, mergeHistory, namedRange, panelSeries,
	pointsFor, rangeFromUrl, rangeToSearch, type Anomaly, type CompareStat, type Range,
	type RangeName } from './history';
import { compareSeries, type DeltaRow } from './compare';
import { loadTrends, trendWindow, type Trend } from './trend';
import { TimeWindow } from './window';
import { MAIN_SERIES, takePrefetch, type Prefetch, type PrefetchedHistory } from './prefetch';

export const SPAN_MS = 5 * 60 * 1000;
/* 5 min at 10 ticks per second, with room for a backfill overlapping live frames. */
const CAPACITY = 3600;

/* The API takes one instance per request: per-core history is one request per core. */
const MAX_CORE_QUERIES = 128;
const QUERY_CONCURRENCY = 4;

export function backfillQueries(cores: readonly number[], host?: string, frame?: Frame | null): QuerySpec[] {
	const q: QuerySpec[] = [
		{ metrics: CPU_STATES.map((s) => `cpu.${s}`), instance: 'total', host },
		{ metrics: [...MEM_FIELDS.map((k) => `mem.${k}`), ...LOAD_FIELDS.map((k) => `load.${k}`)],
		  host },
	];
	for (const c of cores.slice(0, MAX_CORE_QUERIES))
		q.push({ metrics: ['cpu.idle', 'cpu.iowait'], instance: String(c), host });
	if (!frame)
		return q;
	if (frame.vmstat)
		q.push({ metrics: VMSTAT_FIELDS.map((k) => `vmstat.${k}`), host });
	if (frame.perf?.hw?.total)
		q.push({ metrics: HW_FIELDS.map((k) => `hw.${k}`), instance: 'total', host });
	if (frame.perf?.membw)
		q.push({ metrics: MEMBW_FIELDS.map((k) => `membw.${k}`), host });
	for (const { section, label, fields } of ROW_SECTIONS) {
		if (section === 'cpufreq')
			continue;
		const rows = frame[section];
		if (!Array.isArray(rows))
			continue;
		for (const r of rows.slice(0, MAX_ROW_QUERIES)) {
			const inst = r[label];
			if (typeof inst === 'string' && inst)
				q.push({ metrics: fields.map((k) => `${section}.${k}`), instance: inst, host });
		}
	}
	return q;
}

const MAX_ROW_QUERIES = 16;

/* At most this many ms between repaints: 10 a second at most, whatever the tick rate. */
const MIN_FRAME_MS = 100;
/* Milliseconds of chart work between two yields to the browser (a long task is > 50 ms). */
const SLICE_MS = 8;
/* Sparklines drawn for the first time in one repaint, at most (the others in the next ones). */
const NEW_SPARKS_PER_FRAME = 4;
/* Live data: a chart off screen is redrawn at most this often (at once when it scrolls into view). */
const OFFSCREEN_MS = 5000;

/* A chart or the heatmap, with what the scheduler needs to know of it. */
interface Slot extends DrawItem {
	id: string;
	el: Element;
	chart: ChartView | null;
}

/* The capability report of /api/v1/hw: what the UI shows where a counter is null. */
export interface HwInfo {
	kernel: string | null;
	paranoid: number | null;
	unavailable: { code: string; why: string; fix: string; events: string[] }[];
}

interface Spark {
	el: HTMLCanvasElement;
	color: string;
	values: (win: TimeWindow) => Column;
	/* CSS size from the ResizeObserver (0 × 0 until the first layout). */
	size: { w: number; h: number };
	/* Drawn once (its canvas has a context): later drawings are cheap. */
	drawn: boolean;
}

export interface DashState {
	conn: LiveState;
	connDetail: string;
	banner: string | null;
	host: string;
	intervalMs: number;
	tiles: Tiles | null;
	/* ts (ms) of the newest tick painted on the charts, and how many paints happened. */
	paintedTs: number | null;
	/* ts (ms) of the oldest tick painted: with `points`, tells whether the window has gaps. */
	firstTs: number | null;
	paints: number;
	/* Milliseconds the last repaint took (all charts and tiles). */
	drawMs: number;
	framesReceived: number;
	points: number;
	unavailable: Record<string, string>;
	/* The API answered 401: the login form replaces the page until a login succeeds. */
	needLogin: boolean;
	loginError: string | null;
	loginBusy: boolean;
	user: string | null;
	extra: ExtraTiles | null;
	hw: HwInfo | null;
	/* Layers with data per chart id (0: the card says the source is missing). */
	chartLayers: Record<string, number>;
	fs: Row[];
	net: Row[];
	disk: Row[];
	cores: number;
	/* perf.reasons and perf.why of the newest frame: why a hardware metric is null. */
	hwReasons: Record<string, string>;
	hwWhy: Record<string, string>;
	range: RangeName;
	rangeFrom: number;
	rangeTo: number;
	/* "Loading history 2/5" while a range loads, else null. */
	loading: string | null;
	/* Tier and bucket width the API chose for the range (raw / 1m / 1h). */
	tier: string;
	stepS: number;
	compare: '' | '1d' | '7d';
	deltas: Record<string, DeltaRow[]>;
	anomalies: Anomaly[];
	/* Milliseconds from choosing a range to its charts painted. */
	rangeMs: number;
}

export class Dashboard {
	readonly state: DashState = reactive({
		conn: 'connecting',
		connDetail: '',
		banner: null,
		host: '',
		intervalMs: 1000,
		tiles: null,
		paintedTs: null,
		firstTs: null,
		paints: 0,
		drawMs: 0,
		framesReceived: 0,
		points: 0,
		unavailable: {},
		needLogin: false,
		loginError: null,
		loginBusy: false,
		user: null,
		extra: null,
		hw: null,
		chartLayers: {},
		fs: [],
		net: [],
		disk: [],
		cores: 0,
		hwReasons: {},
		hwWhy: {},
		range: 'live',
		rangeFrom: 0,
		rangeTo: 0,
		loading: null,
		tier: '',
		stepS: 0,
		compare: '',
		deltas: {},
		anomalies: [],
		rangeMs: 0,
	}) as DashState;

	/* Everything a range other than live shows (one column per series, up to 2,000 points). */
	readonly hist = new TimeWindow(3 * 366 * 24 * 3600e3, 40000);
	private range: Range = { name: 'live', from: 0, to: 0 };
	private loadGen = 0;
	private rangeLoad: Promise<void> = Promise.resolve();
	private markedFirst = false;
	private rangeT0 = 0;
	/* The CPU chart drawn with the range's history gets the mark pw-range-first-chart. */
	private wantFirstRangeMark = false;

	readonly win = new TimeWindow(SPAN_MS, CAPACITY);
	private config: ApiConfig | null = null;
	/* The requests main.ts sent before the mount, each used once (src/lib/prefetch.ts). */
	private pre: Prefetch | null = null;
	private preHistory: PrefetchedHistory | null = null;
	private preConfig: Promise<ApiConfig> | null = null;
	private latest: Frame | null = null;
	private initialDone = false;
	private charts: ChartView[] = [];
	/* Every chart and the heatmap, in page order, with their drawing state. */
	private slots: Slot[] = [];
	private visObs: IntersectionObserver | null = null;
	private sparkObs: ResizeObserver | null = null;
	private theme: Theme | null = null;
	/* Anomaly markers of the range shown, by window key (charts attached later get theirs too). */
	private markersByKey = new Map<string, Marker[]>();
	private passRunning = false;
	private passAgain = false;
	/* performance.now() of the oldest WebSocket message whose repaint is not done yet. */
	private pendingSince = 0;
	private frameT0 = 0;
	private readyResolve: (() => void) | null = null;
	/* Resolved when the panels' chunk attached every chart (panelsReady()). */
	readonly chartsReady = new Promise<void>((resolve) => {
		this.readyResolve = resolve;
	});
	private rafPending = false;
	private live: LiveConnection | null = null;
	private healthTimer: ReturnType<typeof setInterval> | null = null;
	private scheme: MediaQueryList | null = null;
	private readonly onScheme = () => this.retheme();

	private sparks: Spark[] = [];
	private heatmap: Heatmap | null = null;

	/* A tile's sparkline: drawn from the window on every repaint. */
	attachSpark(el: HTMLCanvasElement, color: string, values: (win: TimeWindow) => Column): void {
		const sp: Spark = { el, color, values, size: { w: 0, h: 0 }, drawn: false };
		this.sparks.push(sp);
		this.sparkObs ??= new ResizeObserver((entries) => {
			for (const e of entries) {
				const it = this.sparks.find((x) => x.el === e.target);
				if (it)
					it.size = { w: e.contentRect.width, h: e.contentRect.height };
			}
			/* Redrawn at the new size in the next repaint, not at the next tick. */
			this.scheduleDraw();
		});
		this.sparkObs.observe(el);
	}

	/* The page's colours (read once, and again when the colour scheme changes). */
	get colors(): Theme {
		return (this.theme ??= currentTheme());
	}

	/* What each chart is given: drag-to-zoom sets the range; a new width redraws it. */
	chartHooks(id: string): ChartHooks {
		return {
			onZoom: (a, b) => this.setRange({ name: 'custom', from: Math.round(a), to: Math.round(b) }),
			onSized: () => this.restale(id),
		};
	}

	attachHeatmap(canvas: HTMLCanvasElement, tip: HTMLElement, order: number): void {
		this.heatmap?.destroy();
		this.slots = this.slots.filter((x) => x.id !== 'heatmap');
		this.heatmap = new Heatmap(canvas, tip, () => this.restale('heatmap'));
		this.addSlot({ id: 'heatmap', el: canvas, chart: null, order });
	}

	/* A chart built by the panels' chunk (chartView.ts, uPlot), at its place on the page. */
	attachChart(view: ChartView, order: number): void {
		const live = this.range.name === 'live';
		view.setRange(live ? null : [this.range.from, this.range.to], live ? SPAN_MS : this.range.to - this.range.from);
		view.setCompare(this.state.compare === '1d' ? 'yesterday' : this.state.compare === '7d' ? 'last week' : null);
		view.setMarkers(view.keysFor(this.view).flatMap((k) => this.markersByKey.get(k) ?? []), false);
		this.charts.push(view);
		this.addSlot({ id: view.id, el: view.element, chart: view, order });
	}

	/* Every chart is attached: trend lines (which need each chart's main series) may be loaded. */
	panelsReady(): void {
		this.readyResolve?.();
	}

	private addSlot(x: { id: string; el: Element; chart: ChartView | null; order: number }): void {
		const slot: Slot = { ...x, visible: false, fresh: false, structural: true, drawnAt: 0 };
		this.slots.push(slot);
		this.slots.sort((a, b) => a.order - b.order);
		this.visObs ??= new IntersectionObserver((entries) => {
			let wake = false;
			for (const e of entries) {
				const sl = this.slots.find((y) => y.el === e.target);
				if (!sl)
					continue;
				sl.visible = e.isIntersecting;
				wake ||= sl.visible && !sl.fresh;
			}
			if (wake)
				this.requestPass();
		}, { rootMargin: '150px 0px' });
		this.visObs.observe(x.el);
		this.requestPass();
	}

	/* One chart (a new width, or attached late) needs a full redraw, wherever it is. */
	private restale(id: string): void {
		const sl = this.slots.find((x) => x.id === id);
		if (!sl)
			return;
		sl.fresh = false;
		sl.structural = true;
		this.requestPass();
	}

	/* Every chart is redrawn; `structural`: off screen too (a new range, overlay, first data). */
	private staleAll(structural: boolean): void {
		for (const sl of this.slots) {
			sl.fresh = false;
			sl.structural ||= structural;
		}
	}

	/* The window the charts draw: live frames, or the loaded range. */
	private get view(): TimeWindow {
		return this.range.name === 'live' ? this.win : this.hist;
	}

	/* Shows a range (live, 1 h … 7 d, custom) and writes it into the URL. */
	setRange(r: Range): void {
		this.range = r;
		this.state.range = r.name;
		this.state.rangeFrom = r.from;
		this.state.rangeTo = r.to;
		history.replaceState(null, '', `${location.pathname}${rangeToSearch(location.search, r)}${location.hash}`);
		const live = r.name === 'live';
		for (const c of this.charts)
			c.setRange(live ? null : [r.from, r.to], live ? SPAN_MS : r.to - r.from);
		this.rangeT0 = performance.now();
		this.state.rangeMs = 0; /* until this range's charts are all painted */
		this.wantFirstRangeMark = !live;
		this.hist.clear();
		this.state.deltas = {};
		this.state.anomalies = [];
		this.markersByKey.clear();
		for (const c of this.charts) {
			c.setMarkers([]);
			c.setTrend(null, null);
		}
		if (live) {
			this.state.loading = null;
			this.loadGen++;
			if (this.state.compare)
				void this.loadCompareOnly();
			this.redrawCharts();
			return;
		}
		this.rangeLoad = this.loadRange();
	}

	selectRange(name: RangeName): void {
		this.setRange(namedRange(name, Date.now()));
	}

	setCompare(offset: '' | '1d' | '7d'): void {
		this.state.compare = offset;
		const u = new URL(location.href);
		if (offset)
			u.searchParams.set('compare', offset);
		else
			u.searchParams.delete('compare');
		history.replaceState(null, '', u);
		const label = offset === '1d' ? 'yesterday' : offset === '7d' ? 'last week' : null;
		for (const c of this.charts)
			c.setCompare(label);
		this.state.deltas = {};
		for (const k of this.view.keys())
			if (k.endsWith('~cmp'))
				this.view.dropKey(k);
		if (offset)
			void this.loadCompareOnly();
		this.redrawCharts();
	}

	private pointsWanted(): number {
		/* The widest chart's (its card may still be hidden). */
		return pointsFor(Math.max(0, ...this.charts.map((c) => c.width)));
	}

	private async loadRange(): Promise<void> {
		const gen = ++this.loadGen;
		const r = this.range;
		const f = this.latest;
		if (!f) {
			this.state.loading = 'Waiting for the first frame…';
			return;
		}
		/* The CPU chart's history asked before the mount: the rest alike, so the buckets line up. */
		const pre = this.preHistory?.range === r ? this.preHistory : null;
		this.preHistory = null;
		try {
			const host = pre ? await pre.host : this.config?.host || undefined;
			this.state.loading = 'Loading history…';
			let done = 0;
			let total = 0;
			const progress = () => {
				done++;
				if (gen === this.loadGen && total)
					this.state.loading = `Loading history ${done}/${total}`;
			};
			const points = pre ? pre.points : this.pointsWanted();
			const paint = <T>(x: T): T => {
				if (gen === this.loadGen)
					this.paintMainChart();
				return x;
			};
			/*
			 * The CPU chart's series are asked first, in a request of their own, without waiting for
			 * the catalogue (a collector writes every CPU state), and that chart is drawn as soon as
			 * they are in; should one be unknown (a 404), they are asked again with the catalogue's
			 * names. The rest (3 requests in flight) and the other charts after.
			 */
			const early = (pre ? pre.answer.then((a) => {
				if (gen === this.loadGen)
					mergeHistory(this.hist, a);
				progress();
				return { tier: a.tier, stepS: a.step_s };
			}) : loadHistory(this.hist, MAIN_SERIES, r, points, host, progress)).then(paint, () => null);
			const known = await (pre ? pre.known : catalogue(host));
			performance.mark('pw-catalogue');
			const names = panelSeries(f).filter((n) => known.has(n));
			const mainNames = names.filter((n) => MAIN_SERIES.includes(n));
			const restNames = names.filter((n) => !MAIN_SERIES.includes(n));
			total = Math.ceil(restNames.length / 32) + 1;
			const main = early.then((x) => x ?? (mainNames.length ?
				loadHistory(this.hist, mainNames, r, points, host, progress).then(paint) : null));
			const rest = loadHistory(this.hist, restNames, r, points, host, progress);
			/* Trend lines are set before the charts are built, so a trend does not rebuild them later. */
			const trends = this.loadTrendLines(r, names, host);
			const [resMain, resRest, setTrends] = await Promise.all([main, rest, trends]);
			if (gen === this.loadGen)
				setTrends();
			const res = resMain ?? resRest;
			performance.mark('pw-history-loaded');
			if (gen !== this.loadGen)
				return;
			this.state.tier = res.tier;
			this.state.stepS = res.stepS;
			this.state.loading = null;
			this.apiOk();
			this.redrawCharts();
			await this.loadCompareOnly(gen, known);
		} catch (e) {
			if (gen === this.loadGen) {
				this.state.loading = null;
				this.apiFailed(e);
			}
		}
	}

	/* Ranges ≥ 24 h: each chart's main series (its first layer that is a history series) gets its fitted trend. */
	private async loadTrendLines(r: Range, names: string[], host?: string): Promise<() => void> {
		if (!trendWindow(r))
			return () => {};
		/* Each chart's main series comes from its spec: wait for the panels' chunk (not for ever). */
		await Promise.race([this.chartsReady, new Promise((r) => setTimeout(r, 5000))]);
		const byKey = new Map<string, string>();
		for (const n of names) {
			const i = n.indexOf(':');
			byKey.set(i < 0 ? seriesKey(n) : seriesKey(n.slice(0, i), n.slice(i + 1)), n);
		}
		/* Layer keys from the live window: it holds the newest frame, so interfaces and devices are known. */
		const main = new Map<ChartView, { key: string; name: string }>();
		for (const c of this.charts) {
			const key = c.keysFor(this.win).find((k) => byKey.has(k));
			if (key)
				main.set(c, { key, name: byKey.get(key)! });
		}
		const wanted = [...new Set([...main.values()].map((m) => m.name))].slice(0, 32);
		let trends: Trend[] = [];
		try {
			trends = await loadTrends(wanted, r, host);
		} catch (e) {
			/* The range is still worth showing without its trend lines. */
			console.warn('trend lines:', e);
		}
		return () => {
			for (const [c, m] of main)
				c.setTrend(m.key, trends.find((t) => t.series === m.name) ?? null);
		};
	}

	/* The compare overlay, its per-panel deltas, and anomaly markers for the range shown. */
	private async loadCompareOnly(gen = this.loadGen, known?: Set<string>): Promise<void> {
		const f = this.latest;
		if (!f)
			return;
		const host = this.config?.host || undefined;
		const r = this.range.name === 'live' ? { name: 'live' as const, from: Date.now() - SPAN_MS, to: Date.now() } : this.range;
		try {
			known ??= await catalogue(host);
			const wanted = compareSeries(f).filter((x) => known!.has(x.name));
			const names = wanted.map((x) => x.name);
			if (!names.length)
				return;
			const [stats, anomalies] = await Promise.all([
				this.state.compare ? loadCompare(this.view, names, r, this.state.compare, this.pointsWanted(), host) :
					Promise.resolve([] as CompareStat[]),
				loadAnomalies(names, r, host),
			]);
			if (gen !== this.loadGen)
				return;
			const deltas: Record<string, DeltaRow[]> = {};
			for (const w of wanted) {
				const st = stats.find((x) => x.series === w.name);
				if (!st)
					continue;
				(deltas[w.panel] ??= []).push({ ...st, label: w.label, fmt: w.fmt });
			}
			this.state.deltas = deltas;
			this.state.anomalies = anomalies;
			const markers = new Map<string, Marker[]>();
			for (const a of anomalies) {
				const key = wanted.find((x) => x.name === a.series)?.key;
				if (!key)
					continue;
				const fmt = wanted.find((x) => x.name === a.series)?.fmt ?? String;

				(markers.get(key) ?? markers.set(key, []).get(key)!).push({ start: a.start, end: a.end,
					text: `${a.series}: ${a.rule === 'band' ? 'outside its usual band' : 'level shift'} from ${when(a.start)} to ${when(a.end)}; peak ${a.peak === null ? '–' : fmt(a.peak)}, baseline ${a.baseline === null ? '–' : fmt(a.baseline)}${a.score === null ? '' : `, score ${a.score.toFixed(1)}`}` });
			}
			this.markersByKey = markers;
			/* Drawn with the charts, in slices (redrawCharts), not each at once. */
			for (const c of this.charts)
				c.setMarkers(c.keysFor(this.view).flatMap((k) => markers.get(k) ?? []), false);
			this.redrawCharts();
		} catch (e) {
			if (gen === this.loadGen)
				this.apiFailed(e);
		}
	}

	start(): void {
		this.scheme = window.matchMedia('(prefers-color-scheme: dark)');
		this.scheme.addEventListener('change', this.onScheme);
		void this.connect();
	}

	stop(): void {
		this.disconnect();
		this.scheme?.removeEventListener('change', this.onScheme);
		for (const c of this.charts)
			c.destroy();
		this.charts = [];
		this.heatmap?.destroy();
		this.heatmap = null;
		this.slots = [];
		this.visObs?.disconnect();
		this.visObs = null;
		this.sparkObs?.disconnect();
		this.sparkObs = null;
	}

	/* Logs in with the form's values; on success the page connects. */
	async signIn(user: string, password: string): Promise<void> {
		this.state.loginBusy = true;
		this.state.loginError = null;
		try {
			const who = await login(user, password);
			this.state.user = who.user;
			this.state.needLogin = false;
			void this.connect();
		} catch (e) {
			const status = e instanceof ApiError ? e.status : -1;
			this.state.loginError = status === 401 ? 'Wrong user name or password.' :
				status === 0 ? 'The PerfWatch API server is unreachable.' :
				(e as Error).message;
		} finally {
			this.state.loginBusy = false;
		}
	}

	/* Ends the session and forgets what was shown. */
	async signOut(): Promise<void> {
		try {
			await logout();
		} catch {
			/* the session may already be gone: the form comes back either way */
		}
		this.requireLogin();
	}

	/* Checks the session, then loads history and opens the live socket. */
	private async connect(): Promise<void> {
		this.disconnect();
		this.pre = takePrefetch();
		this.preHistory = this.pre?.history ?? null;
		this.preConfig = this.pre?.config ?? null;
		try {
			this.state.user = (await (this.pre?.me ?? fetchMe())).user;
		} catch (e) {
			if (e instanceof ApiError && e.status === 401) {
				/* The other prefetched answers are 401s too. */
				this.pre = null;
				this.preHistory = null;
				this.preConfig = null;
				this.requireLogin();
				return;
			}
			this.apiFailed(e);
		}
		this.initialDone = false;
		this.live = new LiveConnection({
			resolveUrl: () => this.resolveUrl(),
			onFrame: (f) => this.onFrame(f),
			onState: (s, d) => this.onState(s, d),
			onOpen: (reconnect) => {
				/* A socket that opens after the first history load leaves a gap to fill. */
				if (reconnect || this.initialDone)
					void this.backfill();
			},
		}, this.state.intervalMs);
		this.live.start();
		void this.initialLoad();
	}

	private disconnect(): void {
		this.live?.stop();
		this.live = null;
		if (this.healthTimer)
			clearInterval(this.healthTimer);
		this.healthTimer = null;
	}

	private requireLogin(): void {
		this.disconnect();
		this.win.clear();
		this.latest = null;
		this.state.tiles = null;
		this.state.user = null;
		this.state.banner = null;
		this.state.needLogin = true;
		this.state.conn = 'offline';
		this.state.connDetail = 'login required';
		this.redrawCharts();
	}

	private async initialLoad(): Promise<void> {
		const pre = this.pre;
		this.pre = null;
		try {
			const f = await (pre?.latest ?? fetchLatest());
			performance.mark('pw-latest');
			if (f && !f.ref)
				this.onFrame(f);
		} catch (e) {
			this.apiFailed(e);
		}
		void this.loadHw();
		/* A shared link: the range and compare state of the URL, loaded before the live backfill. */
		const r = pre?.range ?? rangeFromUrl(location.search, Date.now());
		const cmp = new URLSearchParams(location.search).get('compare');
		if (cmp === '1d' || cmp === '7d')
			this.setCompare(cmp);
		if (r.name !== 'live') {
			/*
			 * The live window's 5 minutes after the range: its 4 queries took the API's 3
			 * connections while the range's first requests waited, for a window not shown.
			 */
			this.setRange(r);
			await this.rangeLoad;
		}
		await this.backfill(true);
		this.initialDone = true;
	}

	/* The collector's capability report: kernel, and why counters are missing and how to fix it. */
	private async loadHw(): Promise<void> {
		try {
			const q = this.config?.host ? `?host=${encodeURIComponent(this.config.host)}` : '';
			const r = await getJson<{ report?: Record<string, unknown> }>(`/api/v1/hw${q}`);
			const rep = r.report ?? {};
			const un = Array.isArray(rep.unavailable) ? rep.unavailable as HwInfo['unavailable'] : [];
			this.state.hw = {
				kernel: typeof rep.kernel === 'string' ? rep.kernel : null,
				paranoid: typeof rep.perf_event_paranoid === 'number' ? rep.perf_event_paranoid : null,
				unavailable: un,
			};
		} catch (e) {
			if (!(e instanceof ApiError && e.status === 404))
				this.apiFailed(e);
		}
	}

	private async resolveUrl(): Promise<string> {
		const pre = this.preConfig;
		this.preConfig = null;
		try {
			const cfg = await (pre ?? fetchConfig());
			this.config = cfg;
			this.state.host = cfg.host ?? '';
			document.title = cfg.host ? `${cfg.host} · PerfWatch` : 'PerfWatch';
			if (cfg.interval_ms > 0) {
				this.state.intervalMs = cfg.interval_ms;
				this.live?.setInterval(cfg.interval_ms);
			}
			this.apiOk();
			const proto = location.protocol === 'https:' ? 'wss' : 'ws';
			const path = cfg.ws_path || '/live';
			return `${proto}://${location.hostname}:${cfg.ws_port}${path}`;
		} catch (e) {
			this.apiFailed(e);
			throw e;
		}
	}

	/*
	 * Queries what the window lacks: the whole span (the server's last 5 min) the first time,
	 * after that from the newest tick on. Each request stands alone: one that fails does not
	 * throw away the others' points.
	 */
	private async backfill(whole = false): Promise<void> {
		const last = this.win.lastTs;
		const from = whole || last === null ? undefined : last - 2 * this.state.intervalMs;
		const cores = this.latest ? frameCores(this.latest) : windowCores(this.win);
		let kept = 0;
		let failure: unknown = null;
		const host = this.config?.host || undefined;
		await mapLimit(backfillQueries(cores, host, this.latest), QUERY_CONCURRENCY, async (q) => {
			try {
				kept += mergeQuery(this.win, await query(q, from));
			} catch (e) {
				failure ??= e;
			}
		});
		if (failure)
			this.apiFailed(failure);
		else
			this.apiOk();
		/* Many points at once: every chart, off screen too (live); a history range is not affected. */
		if (kept > 0 && this.range.name === 'live')
			this.redrawCharts();
		else if (kept > 0)
			this.scheduleDraw();
	}

	/* performance.now() of the oldest message not yet painted, or 0. */
	private unpaintedSince = 0;

	private onFrame(f: Frame): void {
		if (!this.unpaintedSince)
			this.unpaintedSince = lastMessageAt || performance.now();
		if (f.ref) {
			void this.fetchRef();
			return;
		}
		if (this.config?.host && f.host && f.host !== this.config.host)
			return;
		this.win.upsert(f.ts, flattenFrame(f));
		if (!this.latest || f.ts >= this.latest.ts)
			this.latest = f;
		this.state.framesReceived++;
		this.scheduleDraw();
	}

	/* A frame too large for NOTIFY arrives as a reference: read the newest one instead. */
	private async fetchRef(): Promise<void> {
		try {
			const f = await fetchLatest();
			if (f && !f.ref)
				this.onFrame(f);
		} catch (e) {
			this.apiFailed(e);
		}
	}

	private onState(s: LiveState, detail: string): void {
		const wasStale = this.healthTimer !== null;
		this.state.conn = s;
		this.state.connDetail = detail;
		if (s === 'stale') {
			this.watchHealth();
			return;
		}
		if (this.healthTimer)
			clearInterval(this.healthTimer);
		this.healthTimer = null;
		if (s === 'live' && wasStale)
			this.apiOk();
	}

	/* While the socket is open but silent, say whether the database or the collector is at fault. */
	private watchHealth(): void {
		if (this.healthTimer)
			return;
		const check = async () => {
			let banner: string;
			try {
				await getJson<{ status: string; db: string }>('/healthz');
				banner = 'No new data: the collector has not written a sample recently.';
			} catch (e) {
				if (!(e instanceof ApiError && e.status === 503)) {
					this.apiFailed(e);
					return;
				}
				banner = 'The database is unreachable: live data is paused.';
			}
			/* The answer may come after frames resumed. */
			if (this.state.conn === 'stale')
				this.state.banner = banner;
		};
		void check();
		this.healthTimer = setInterval(() => void check(), 5000);
	}

	private apiOk(): void {
		this.state.banner = null;
	}

	private apiFailed(e: unknown): void {
		const status = e instanceof ApiError ? e.status : -1;
		if (status === 401)
			this.requireLogin();
		else if (status === 0)
			this.state.banner = 'The PerfWatch API server is unreachable. Retrying…';
		else if (status === 503)
			this.state.banner = 'The database is unreachable: history and live data are paused.';
		else
			this.state.banner = e instanceof Error ? e.message : String(e);
	}

	private retheme(): void {
		this.theme = currentTheme();
		for (const c of this.charts)
			c.setTheme(this.theme);
		this.redrawCharts();
	}

	/* The CPU chart alone, with its loaded history (the others follow when all is in). */
	private paintMainChart(): void {
		if (this.range.name === 'live' || !this.hist.length)
			return;
		this.restale('cpu');
	}

	/* Repaint that includes the charts of a history range (live ticks only repaint tiles then). */
	private redrawCharts(): void {
		this.staleAll(true);
		this.scheduleDraw();
	}

	/*
	 * One repaint per animation frame, and at most one per MIN_FRAME_MS: ticks faster than that
	 * (a collector at 10 ms, a replay at ~100 frames/s) are coalesced into one repaint showing the
	 * newest; ticks 1 s apart are repainted at the next frame, without waiting.
	 */
	private lastFrameAt = -Infinity;

	private scheduleDraw(): void {
		if (this.rafPending)
			return;
		this.rafPending = true;
		const wait = this.lastFrameAt + MIN_FRAME_MS - performance.now();
		const go = () => requestAnimationFrame(() => {
			this.rafPending = false;
			this.lastFrameAt = performance.now();
			this.frame();
		});
		if (wait > 0)
			setTimeout(go, wait);
		else
			go();
	}

	/*
	 * Once per animation frame: tiles, sparklines and the page's state at once (cheap); the charts
	 * then in slices of a few ms (runPass), the ones on screen first.
	 */
	private frame(): void {
		this.frameT0 = performance.now();
		if (this.range.name === 'live')
			this.staleAll(false);
		if (this.latest && !this.state.tiles) {
			void this.firstFrame(this.latest);
			return;
		}
		const more = this.drawSparks();
		if (this.latest) {
			this.showTiles(this.latest);
			this.showRest(this.latest);
		}
		this.endFrame();
		if (more)
			this.scheduleDraw();
	}

	/*
	 * The first frame with data, in two animation frames: the header and the first tiles, then
	 * the other tiles and the tables. Every tile filled in at once (Vue's patch of them all and
	 * its layout) was a task of 20-31 ms of CPU at the page load. Repaints wait until it is done.
	 */
	private async firstFrame(f: Frame): Promise<void> {
		this.rafPending = true;
		performance.mark('pw-first-frame');
		const frames = this.state.framesReceived;
		let more = false;
		try {
			this.showTiles(f);
			await afterNextFrame();
			if (this.latest)
				this.showRest(this.latest);
			await afterNextFrame();
			more = this.drawSparks();
			this.endFrame();
		} finally {
			this.rafPending = false;
		}
		if (more || this.state.framesReceived !== frames)
			this.scheduleDraw();
	}

	/*
	 * Every sparkline from the live window. A canvas's first drawing (its backing store and 2D
	 * context made) is the dear one: twelve at once were ~19 ms of CPU in one task, so at most
	 * NEW_SPARKS_PER_FRAME are started per repaint. Returns true when some wait for the next one.
	 */
	private drawSparks(): boolean {
		let started = 0;
		let more = false;
		for (const sp of this.sparks) {
			if (sp.size.w <= 0)
				continue;
			if (!sp.drawn && started >= NEW_SPARKS_PER_FRAME) {
				more = true;
				continue;
			}
			const k = drawSparkline(sp.el, sp.values(this.win), sp.color, sp.size);
			if (!sp.drawn && k >= 2) {
				sp.drawn = true;
				started++;
			}
		}
		return more;
	}

	/* The header's facts and the four first tiles. */
	private showTiles(f: Frame): void {
		this.state.tiles = tilesFromFrame(f);
	}

	/* The other tiles, the tables and what the frame says is missing. */
	private showRest(f: Frame): void {
		this.state.extra = extraTiles(f);
		const un = f.unavailable ?? {};
		if (!sameJson(un, this.state.unavailable))
			this.state.unavailable = { ...un };
		this.state.fs = f.fs ?? [];
		this.state.net = f.net ?? [];
		this.state.disk = f.disk ?? [];
		const reasons = f.perf?.reasons ?? {};
		if (!sameJson(reasons, this.state.hwReasons)) {
			this.state.hwReasons = { ...reasons };
			this.state.hwWhy = { ...(f.perf?.why ?? {}) };
		}
	}

	private endFrame(): void {
		this.state.paintedTs = this.win.lastTs;
		this.state.firstTs = this.win.firstTs;
		this.state.paints++;
		if (this.unpaintedSince) {
			this.pendingSince = this.pendingSince ? Math.min(this.pendingSince, this.unpaintedSince) : this.unpaintedSince;
			this.unpaintedSince = 0;
		}
		this.requestPass();
	}

	/*
	 * Starts a drawing pass in a task of its own (never inside the caller's: an observer callback,
	 * a rAF callback or a response handler stays short), or asks the running one to go round again.
	 */
	private requestPass(): void {
		if (this.passRunning) {
			this.passAgain = true;
			return;
		}
		this.passRunning = true;
		void yieldToMain().then(() => this.runPass());
	}

	/* Draws what is stale: charts on screen, then (yielding between pieces) the ones off screen. */
	private async runPass(): Promise<void> {
		try {
			do {
				this.passAgain = false;
				const since = this.pendingSince;
				this.pendingSince = 0;
				const t0 = this.frameT0 || performance.now();
				this.frameT0 = 0;
				const stale = drawOrder(this.slots, performance.now(), OFFSCREEN_MS);
				const onScreen = stale.filter((x) => x.visible);
				await runSliced(onScreen, (x) => this.drawSlot(x), { budgetMs: SLICE_MS, yield: afterNextFrame });
				this.publish();
				const now = performance.now();
				if (onScreen.length || since) {
					this.state.drawMs = Math.round((now - t0) * 100) / 100;
					if (since) {
						perfStats.tickMs[perfStats.tickN % perfStats.tickMs.length] = now - since;
						perfStats.tickN++;
					}
				}
				/* Off screen: at least one per pass, then until newer data wants the screen again. */
				let k = 0;
				await runSliced(stale.filter((x) => !x.visible), (x) => {
					k++;
					return this.drawSlot(x);
				}, { budgetMs: SLICE_MS, yield: afterNextFrame, stop: () => k > 0 && this.passAgain });
				if (k)
					this.publish();
				if (this.passAgain)
					await yieldToMain();
			} while (this.passAgain);
		} finally {
			this.passRunning = false;
		}
		if (this.range.name !== 'live' && !this.state.loading && this.rangeT0 && this.slots.length &&
			this.slots.every((x) => x.fresh)) {
			const t0 = this.rangeT0;
			this.rangeT0 = 0;
			this.state.rangeMs = Math.round(performance.now() - t0);
			performance.mark('pw-range-painted');
		}
	}

	/*
	 * One chart (or the heatmap) from the window shown; resolves after uPlot's drawing microtask.
	 * A chart built anew is drawn in a task after the one that built it (ChartView.finishBuild).
	 */
	private async drawSlot(x: Slot): Promise<void> {
		const chart = x.chart;
		await this.drawSlotNow(x);
		if (chart?.pending) {
			await yieldToMain();
			chart.finishBuild();
			await this.afterDraw(x);
		}
	}

	private drawSlotNow(x: Slot): Promise<void> {
		const v = this.view;
		x.fresh = true;
		x.structural = false;
		x.drawnAt = performance.now();
		if (x.chart) {
			if (v.length === 0)
				x.chart.clear();
			else
				x.chart.update(v);
		} else if (this.heatmap) {
			const cores = windowCores(this.win);
			const live = this.range.name === 'live';
			this.heatmap.draw({ ts: v.ts, rows: coreMatrix(v, cores), cores,
				spanMs: live ? SPAN_MS : this.range.to - this.range.from,
				end: live ? undefined : this.range.to,
				textColor: this.colors.muted });
			this.state.cores = cores.length;
		}
		return x.chart?.pending ? Promise.resolve() : this.afterDraw(x);
	}

	/* After uPlot's drawing microtask: the mark of the range's first chart. */
	private afterDraw(x: Slot): Promise<void> {
		const v = this.view;
		return Promise.resolve().then(() => {
			if (x.id === 'cpu' && this.wantFirstRangeMark && this.range.name !== 'live' && v.length && v === this.hist) {
				this.wantFirstRangeMark = false;
				performance.mark('pw-range-first-chart');
			}
		});
	}

	/* Layer counts and points of what was drawn, into the page's state. */
	private publish(): void {
		const layers: Record<string, number> = {};
		let drawn = false;
		for (const x of this.slots)
			if (x.chart) {
				layers[x.id] = x.chart.layersWithData;
				drawn ||= x.drawnAt > 0;
			}
		if (!sameJson(layers, this.state.chartLayers))
			this.state.chartLayers = layers;
		const points = drawn ? this.view.length : 0;
		this.state.points = points;
		if (points > 0 && !this.markedFirst) {
			this.markedFirst = true;
			performance.mark('pw-first-chart');
		}
	}
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/* An anomaly's start and end in the browser's time zone. */
const when = fmtDateTime;
