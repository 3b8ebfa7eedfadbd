/*
 * The history routes (docs/design.md "HTTP API"): /api/v1/query with series= (tiered, any range),
 * /api/v1/compare, /api/v1/anomalies, /api/v1/trends and /api/v1/series. Each validates its
 * parameters (400 on any bad one, nothing executed), then runs one statement of
 * migrations/004_history.sql on the query connection. Runs on: main thread.
 */
#ifndef PERFWATCH_APISERVER_HTTP_HISTORY_H
#define PERFWATCH_APISERVER_HTTP_HISTORY_H

#include <event2/http.h>

#include "apiserver/api.h"

/* GET /api/v1/query: with series= answers from the history tiers, otherwise hands the request
 * to http_api_query() (the raw metric= route). */
void http_history_query(struct evhttp_request *req, struct api *api);
/* GET /api/v1/compare: a window and the same window `offset` earlier, on one time axis. */
void http_history_compare(struct evhttp_request *req, struct api *api);
/* GET /api/v1/anomalies: intervals where series leave their usual band, with the rule. */
void http_history_anomalies(struct evhttp_request *req, struct api *api);
/* GET /api/v1/trends: slope per day and its 95 % interval over a window. */
void http_history_trends(struct evhttp_request *req, struct api *api);
/* GET /api/v1/series: the series catalogue (optionally host=). */
void http_history_series(struct evhttp_request *req, struct api *api);

#endif
