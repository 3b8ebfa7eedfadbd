/*
 * Query strings of the REST API: the first byte picks the parser (the raw /api/v1/query
 * route, the four history routes, a time, a duration), the rest is the text after '?'.
 */
#include <stdio.h>

#include "apiserver/history_params.h"
#include "apiserver/query_params.h"
#include "fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum history_route routes[] = {HISTORY_QUERY, HISTORY_COMPARE,
						    HISTORY_ANOMALIES, HISTORY_TRENDS};
	struct history_params hp;
	struct query_params qp;
	char err[256], *text;
	int64_t v;
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0] % 7;
	text = fuzz_text(data + 1, size - 1);
	if (sel == 0) {
		(void)query_params_parse(text, 1763779644123LL, &qp, err, sizeof(err));
	} else if (sel <= 4) {
		if (history_params_parse(routes[sel - 1], text, 1763779644123LL, &hp, err,
					 sizeof(err)) == 0) {
			char array[HISTORY_SERIES_ARRAY_MAX];

			history_params_series_array(&hp, array, sizeof(array));
		}
	} else if (sel == 5) {
		(void)query_params_parse_time(text, &v);
	} else {
		(void)history_params_parse_duration(text, &v);
	}
	free(text);
	return 0;
}
