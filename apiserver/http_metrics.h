/*
 * GET /api/v1/metrics: the metric catalogue (common/metrics.c) as JSON, so that clients learn
 * every name /api/v1/query accepts with its unit, kind and instance label. Runs on: main thread.
 */
#ifndef PERFWATCH_APISERVER_HTTP_METRICS_H
#define PERFWATCH_APISERVER_HTTP_METRICS_H

#include <event2/http.h>
#include <jansson.h>

#include "apiserver/api.h"

/*
 * Returns {"metrics": [{"name", "section", "unit", "kind", "labels", "description"}, ...]} in
 * catalogue order; labels is ["<instance column>"] or []. Caller owns the result.
 */
json_t *http_metrics_body(void);
/* Answers 200 with http_metrics_body(); the catalogue is compiled in, so it needs no database. */
void http_metrics_list(struct evhttp_request *req, struct api *api);

#endif
