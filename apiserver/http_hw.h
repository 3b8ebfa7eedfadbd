/*
 * GET /api/v1/hw: the collector's hardware-counter capability report (PMUs, paranoid level,
 * capabilities, events opened per CPU, what is missing, why and how to fix it), read with
 * perfwatch_hw_report() from migrations/003_hw_counters.sql. Runs on: main thread.
 */
#ifndef PERFWATCH_APISERVER_HTTP_HW_H
#define PERFWATCH_APISERVER_HTTP_HW_H

#include <event2/http.h>

#include "apiserver/api.h"

/*
 * Answers {"host", "ts", "report", "status"} for ?host= (default: the host that reported
 * last), 404 when no collector has reported, 400 on a bad host, 503 while the database is down.
 */
void http_hw_report(struct evhttp_request *req, struct api *api);

#endif
