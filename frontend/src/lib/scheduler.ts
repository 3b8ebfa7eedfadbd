/*
 * Keeping the main thread free: chart work is cut into pieces of a few milliseconds with a yield
 * to the browser between them (input, rendering and network callbacks run in between), charts
 * on screen go first, charts off screen follow at a lower rate.
 */

/* Lets the browser run what waits (input, rendering, other tasks), then resumes. */
export function yieldToMain(): Promise<void> {
	const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
	if (s && typeof s.yield === 'function')
		return s.yield();
	if (typeof MessageChannel !== 'undefined')
		return new Promise((resolve) => {
			const ch = new MessageChannel();
			ch.port1.onmessage = () => {
				ch.port1.close();
				resolve();
			};
			ch.port2.postMessage(null);
		});
	return new Promise((resolve) => setTimeout(resolve, 0));
}

/*
 * Resumes after the browser rendered the next frame (requestAnimationFrame, then a task): chart
 * pieces paced this way are each committed to the screen in a frame of their own instead of
 * twenty canvases in one commit. A hidden page (no animation frames) resumes after 100 ms.
 */
export function afterNextFrame(): Promise<void> {
	return new Promise((resolve) => {
		let done = false;
		const go = () => {
			if (!done) {
				done = true;
				resolve();
			}
		};
		const t = setTimeout(go, 100);
		requestAnimationFrame(() => {
			clearTimeout(t);
			void yieldToMain().then(go);
		});
	});
}

/* What the scheduler knows of one chart (or the heatmap). */
export interface DrawItem {
	/* Position on the page, top to bottom. */
	order: number;
	/* On screen (or close to it: IntersectionObserver with a margin). */
	visible: boolean;
	/* Drawn from the data it shows now? Work is needed when this is false. */
	fresh: boolean;
	/* Never drawn for the current range or overlay (a new range, the first data): drawn off screen too. */
	structural: boolean;
	/* performance.now() of its last draw (0: never). */
	drawnAt: number;
}

/*
 * The items to draw now, in order: stale ones on screen first (page order), then off-screen ones
 * whose range or overlay changed, then off-screen ones not drawn for `offscreenMs` (live data: they
 * are redrawn at once when they scroll into view anyway).
 */
export function drawOrder<T extends DrawItem>(items: readonly T[], now: number, offscreenMs: number): T[] {
	const due = items.filter((it) => !it.fresh);
	const rank = (it: T) => (it.visible ? 0 : it.structural ? 1 : 2);
	return due.filter((it) => it.visible || it.structural || now - it.drawnAt >= offscreenMs)
		.sort((a, b) => rank(a) - rank(b) || a.order - b.order);
}

/*
 * Runs `step` for each item, yielding to the browser whenever `budgetMs` has passed since the last
 * yield (a step itself is not cut: one chart build is the smallest piece). `step` returns a
 * promise when its work ends in a microtask (uPlot draws in one), awaited before the clock is read.
 * `stop()` true ends the run early (a newer one took over). Returns the number of steps run.
 */
export async function runSliced<T>(items: readonly T[], step: (it: T) => void | Promise<void>,
	opts: { budgetMs: number; now?: () => number; yield?: () => Promise<void>; stop?: () => boolean }): Promise<number> {
	const now = opts.now ?? (() => performance.now());
	const yld = opts.yield ?? yieldToMain;
	let start = now();
	let n = 0;
	for (const it of items) {
		if (opts.stop?.())
			break;
		if (n > 0 && now() - start >= opts.budgetMs) {
			await yld();
			start = now();
			if (opts.stop?.())
				break;
		}
		await step(it);
		n++;
	}
	return n;
}

/*
 * uPlot builds an Intl.NumberFormat and an Intl.DateTimeFormat when its module is evaluated. The
 * first Intl object of a page sets ICU up (its locale data, the list of locales it has, the
 * number format's own list: 40-120 ms of wall time here at a load of 4-5), and inside uPlot's
 * evaluation that was one long task. Done beforehand, one piece per task (each 2-30 ms at that
 * load), uPlot's evaluation finds it ready: V8 keeps what ICU loaded for the page.
 */
export const INTL_STEPS: readonly (() => unknown)[] = [
	() => new Intl.Locale(navigator.language).maximize(),
	() => Intl.Collator.supportedLocalesOf([navigator.language]),
	() => Intl.NumberFormat.supportedLocalesOf([navigator.language]),
	() => new Intl.NumberFormat(navigator.language).format(0),
	() => new Intl.DateTimeFormat().resolvedOptions().timeZone,
];

/* Runs each step after a yield of its own; a step that throws (an older browser) is skipped. */
export async function warmIntl(steps: readonly (() => unknown)[] = INTL_STEPS,
	yld: () => Promise<void> = yieldToMain): Promise<void> {
	for (const step of steps) {
		await yld();
		try {
			step();
		} catch {
			/* only a head start: uPlot does the same when it is evaluated */
		}
	}
}
