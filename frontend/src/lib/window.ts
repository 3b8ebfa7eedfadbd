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

	/*
	 * Merges points [ts, value] of one series in one pass: the same window as upserting them one by
	 * one (a later point of the same ts wins, points older than the span are left out), without a
	 * search, an allocation and a trim per point: a history answer of 32 series × 2,000 points
	 * merges in a few ms instead of holding the main thread. Returns how many points were taken.
	 */
	mergeSeries(key: string, points: readonly (readonly [number, number])[]): number {
		if (!points.length)
			return 0;
		let pts = points;
		for (let i = 1; i < pts.length; i++)
			if (pts[i][0] < pts[i - 1][0]) {
				pts = [...points].sort((x, y) => x[0] - y[0]);
				break;
			}
		const last = this.lastTs;
		const newest = Math.max(last ?? -Infinity, pts[pts.length - 1][0]);
		const minTs = newest - this.spanMs;
		let first = 0;
		while (first < pts.length && pts[first][0] < minTs)
			first++;
		if (first === pts.length)
			return 0;
		/* The timestamps the window does not have yet, ascending and once each. */
		const ts = this.tsCol;
		const added: number[] = [];
		for (let i = first, a = lowerBound(ts, pts[first][0]); i < pts.length; i++) {
			const t = pts[i][0];
			while (a < ts.length && ts[a] < t)
				a++;
			if ((a >= ts.length || ts[a] !== t) && added[added.length - 1] !== t)
				added.push(t);
		}
		if (added.length)
			this.insertRows(added);
		const col = this.columnFor(key);
		const all = this.tsCol;
		for (let i = first, a = lowerBound(all, pts[first][0]); i < pts.length; i++) {
			const t = pts[i][0];
			while (all[a] < t)
				a++;
			col[a] = pts[i][1];
		}
		this.trim();
		return pts.length - first;
	}

	/* Inserts all-null rows for the ascending timestamps `add` (none of which is in the window). */
	private insertRows(add: readonly number[]): void {
		const old = this.tsCol;
		if (!old.length || add[0] > old[old.length - 1]) {
			for (const t of add)
				old.push(t);
			for (const c of this.cols.values())
				for (let k = 0; k < add.length; k++)
					c.push(null);
			return;
		}
		const n = old.length + add.length;
		const merged: number[] = new Array(n);
		/* from[k]: index in the old rows of merged row k, or -1 for an inserted one. */
		const from = new Int32Array(n);
		for (let k = 0, a = 0, b = 0; k < n; k++) {
			if (b >= add.length || (a < old.length && old[a] < add[b])) {
				merged[k] = old[a];
				from[k] = a++;
			} else {
				merged[k] = add[b++];
				from[k] = -1;
			}
		}
		for (const [key, c] of this.cols) {
			const out: Column = new Array(n);
			for (let k = 0; k < n; k++)
				out[k] = from[k] < 0 ? null : c[from[k]];
			this.cols.set(key, out);
		}
		this.tsCol = merged;
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
