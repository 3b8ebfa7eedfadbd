/* Counter arithmetic: reset/wrap-aware deltas, multiplexing scaling, ratios, rates, bandwidth. */
#include "collector/perf_math.h"

#include <string.h>

enum perf_math_status
perf_math_delta(uint64_t prev, uint64_t cur, unsigned width, uint64_t *out)
{
	uint64_t mask;

	*out = 0;
	if (cur >= prev) {
		*out = cur - prev;
		return PERF_MATH_OK;
	}
	if (width == 0 || width >= 64)
		return PERF_MATH_RESET;
	mask = (UINT64_C(1) << width) - 1;
	if ((prev & ~mask) != 0 || (cur & ~mask) != 0)
		return PERF_MATH_RESET;
	*out = (mask - prev) + cur + 1;
	return PERF_MATH_OK;
}

enum perf_math_status
perf_math_scale(const struct perf_math_read *prev, const struct perf_math_read *cur, double *out,
		double *duty)
{
	uint64_t dv, de, dr;

	*out = 0;
	if (duty != NULL)
		*duty = 0;
	if (perf_math_delta(prev->value, cur->value, 64, &dv) != PERF_MATH_OK ||
	    perf_math_delta(prev->enabled, cur->enabled, 64, &de) != PERF_MATH_OK ||
	    perf_math_delta(prev->running, cur->running, 64, &dr) != PERF_MATH_OK)
		return PERF_MATH_RESET;
	if (de == 0)
		return PERF_MATH_NO_INTERVAL;
	if (dr == 0)
		return PERF_MATH_NOT_COUNTED;
	/* The kernel keeps running <= enabled; clamp a violating read to "counted all the time". */
	if (dr > de)
		dr = de;
	*out = (double)dv * ((double)de / (double)dr);
	if (duty != NULL)
		*duty = (double)dr / (double)de;
	return PERF_MATH_OK;
}

enum perf_math_status
perf_math_ratio(double num, double den, double mult, double *out)
{
	*out = 0;
	if (!(den > 0))
		return PERF_MATH_ZERO_DENOM;
	*out = num / den * mult;
	return PERF_MATH_OK;
}

enum perf_math_status
perf_math_freq_ghz(double cycles, double ref_cycles, double nominal_ghz, double *out)
{
	*out = 0;
	if (!(ref_cycles > 0) || !(nominal_ghz > 0))
		return PERF_MATH_ZERO_DENOM;
	*out = nominal_ghz * cycles / ref_cycles;
	return PERF_MATH_OK;
}

enum perf_math_status
perf_math_rate(double delta, uint64_t dt_ns, double *out)
{
	*out = 0;
	if (dt_ns == 0)
		return PERF_MATH_NO_INTERVAL;
	*out = delta * 1e9 / (double)dt_ns;
	return PERF_MATH_OK;
}

enum perf_math_status
perf_math_bandwidth_gbs(double count, double scale_bytes, uint64_t dt_ns, double *out)
{
	*out = 0;
	if (dt_ns == 0)
		return PERF_MATH_NO_INTERVAL;
	/* bytes per nanosecond is exactly GB/s (1e9 bytes per second). */
	*out = count * scale_bytes / (double)dt_ns;
	return PERF_MATH_OK;
}

bool
perf_math_unit_bytes(const char *unit, double *out)
{
	static const struct {
		const char *name;
		double bytes;
	} units[] = {
		{"Bytes", 1.0},	       {"B", 1.0},  {"KiB", 1024.0}, {"MiB", 1048576.0},
		{"GiB", 1073741824.0}, {"kB", 1e3}, {"KB", 1e3},     {"MB", 1e6},
		{"GB", 1e9},
	};
	size_t n = strcspn(unit, " \t\r\n");

	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		if (strlen(units[i].name) == n && strncmp(unit, units[i].name, n) == 0) {
			*out = units[i].bytes;
			return true;
		}
	}
	return false;
}
