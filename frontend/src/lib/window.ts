/*
 * A bounded time window of aligned columns: one shared, strictly increasing timestamp column
 * and one value column per series key. Live frames append; backfilled query points merge in
 * by timestamp. Bounded by both time span and point count, so memory never grows without end.
 */

export type Column = (number | null)[];

export class TimeWindow {
	readonly spanMs: number;
	readonly capacity: number;
	private tsCol: number[] = [];
	private cols = new Map<string, Column>();

	/* spanMs: how much history to keep, relative to the newest point; capacity: max points. */
	constructor(spanMs: number, capacity: number) {
		if (!(spanMs > 0) || !(capacity > 0))
			throw new RangeError('TimeWindow needs a positive span and capacity');
		this.spanMs = spanMs;
		this.capacity = Math.floor(capacity);
	}

	get length(): number {
		return this.tsCol.length;
	}

	/* Newest timestamp (ms), or null when empty. */
	get lastTs(): number | null {
		return this.tsCol.length ? this.tsCol[this.tsCol.length - 1] : null;
	}

	get firstTs(): number | null {
		return this.tsCol.length ? this.tsCol[0] : null;
	}

	/* The timestamp column; do not modify. */
	get ts(): readonly number[] {
		return this.tsCol;
	}

	keys(): string[] {
		return [...this.cols.keys()];
	}

	has(key: string): boolean {
		return this.cols.has(key);
	}

	/* The column for key aligned with ts (all nulls when the key was never seen); do not modify. */
	column(key: string): Column {
		const c = this.cols.get(key);
		return c ?? new Array<number | null>(this.tsCol.length).fill(null);
	}

	/* Newest non-null value of key, or null. */
	latest(key: string): number | null {
		const c = this.cols.get(key);
		if (!c)
			return null;
		for (let i = c.length - 1; i >= 0; i--)
			if (c[i] !== null)
				return c[i];
		return null;
	}

	/*
	 * Sets the values of one tick. A tick older than the window (span before the newest point)
	 * is ignored and false is returned. Same ts: the fields given overwrite, others stay.
	 */
	upsert(ts: number, values: Iterable<[string, number]>): boolean {
		const last = this.lastTs;
		if (last !== null && ts < last - this.spanMs)
			return false;
		const i = this.slotFor(ts);
		for (const [key, v] of values)
			this.columnFor(key)[i] = v;
		this.trim();
		return true;
	}

	/* Drops every point older than the span relative to `nowMs` (or to the newest point). */
	trim(nowMs?: number): void {
		const last = this.lastTs;
		if (last === null)
			return;
		const ref = nowMs !== undefined ? Math.max(nowMs, last) : last;
		const minTs = ref - this.spanMs;
		let drop = lowerBound(this.tsCol, minTs);
		drop = Math.max(drop, this.tsCol.length - this.capacity);
		if (drop <= 0)
			return;
		this.tsCol.splice(0, drop);
		for (const c of this.cols.values())
			c.splice(0, drop);
	}

	/* Forgets one series (its column). */
	dropKey(key: string): void {
		this.cols.delete(key);
	}

	clear(): void {
		this.tsCol = [];
		this.cols.clear();
	}

	/* Index of the row for ts, inserting an all-null row when there is none. */
	private slotFor(ts: number): number {
		const n = this.tsCol.length;
		if (n === 0 || ts > this.tsCol[n - 1]) {
			this.tsCol.push(ts);
			for (const c of this.cols.values())
				c.push(null);
			return n;
		}
		const i = lowerBound(this.tsCol, ts);
		if (this.tsCol[i] === ts)
			return i;
		this.tsCol.splice(i, 0, ts);
		for (const c of this.cols.values())
			c.splice(i, 0, null);
		return i;
	}

	private columnFor(key: string): Column {
		let c = this.cols.get(key);
		if (!c) {
			c = new Array<number | null>(this.tsCol.length).fill(null);
			this.cols.set(key, c);
		}
		return c;
	}
}

/* First index whose value is >= x in an ascending array. */
export function lowerBound(a: readonly number[], x: number): number {
	let lo = 0;
	let hi = a.length;
	while (lo < hi) {
		const mid = (lo + hi) >>> 1;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
