import { describe, expect, it } from 'vitest';
import { fmtClock, fmtDateTime, fmtDayTime } from './timefmt';

describe('time formats', () => {
	/* Local time: build the instant from local fields so the test holds in any time zone. */
	const t = new Date(2026, 10, 21, 4, 38, 5).getTime();
	it('formats a clock, a day and a full date in local time, 24-hour', () => {
		expect(fmtClock(t)).toBe('04:38:05');
		expect(fmtDayTime(t)).toBe('Nov 21, 04:38');
		expect(fmtDateTime(t)).toBe('2026-11-21 04:38:05');
		expect(fmtClock(new Date(2026, 0, 1, 23, 0, 0).getTime())).toBe('23:00:00');
	});
});
