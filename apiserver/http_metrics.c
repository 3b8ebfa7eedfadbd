/* GET /api/v1/metrics: the compiled-in metric catalogue as JSON. Runs on: main thread. */
#include "apiserver/http_metrics.h"

#include <string.h>

#include "apiserver/http.h"
#include "common/metrics.h"

json_t *
http_metrics_body(void)
{
	json_t *list = json_array();
	const struct metric *m;
	const char *dot;

	for (size_t i = 0; i < metrics_count(); i++) {
		m = metrics_at(i);
		dot = strchr(m->name, '.');
		json_array_append_new(
			list,
			json_pack("{s:s, s:s#, s:s, s:s, s:o, s:s}", "name", m->name, "section",
				  m->name,
				  dot != NULL ? (int)(dot - m->name) : (int)strlen(m->name), "unit",
				  m->unit, "kind", metrics_kind_name(m->kind), "labels",
				  m->instance_column != NULL ? json_pack("[s]", m->instance_column)
							     : json_array(),
				  "description", m->description));
	}
	return json_pack("{s:o}", "metrics", list);
}

void
http_metrics_list(struct evhttp_request *req, struct api *api)
{
	(void)api;
	http_reply_json(req, 200, http_metrics_body());
}
