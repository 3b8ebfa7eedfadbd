/*
 * Small jansson helpers the OS sources share when encoding their frame sections: a number or
 * null (unavailable, never a stand-in zero), and per-metric "unavailable" reasons.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_SECTION_H
#define PERFWATCH_COLLECTOR_SOURCES_SECTION_H

#include <math.h>
#include <stdbool.h>

#include <jansson.h>

#include "collector/jkeep.h"

/*
 * Sets obj[key] to v rounded to 2 decimals (frames stay small), or to null when `known` is false
 * or v is not finite; returns 0 or -1.
 */
static inline int
section_real(json_t *obj, const char *key, bool known, double v)
{
	json_t *j = known && isfinite(v) ? json_real(round(v * 100.0) / 100.0) : json_null();

	return json_object_set_new(obj, key, j);
}

/* Sets obj[key] to the integer v, or null when `known` is false; returns 0 or -1. */
static inline int
section_int(json_t *obj, const char *key, bool known, json_int_t v)
{
	return json_object_set_new(obj, key, known ? json_integer(v) : json_null());
}

/*
 * section_real for a section kept between ticks: writes key through the cursor c; returns 0 (a
 * failure is reported by jk_end).
 */
static inline int
section_jk_real(struct jk_obj *c, const char *key, bool known, double v)
{
	if (known && isfinite(v))
		jk_real(c, key, round(v * 100.0) / 100.0);
	else
		jk_null(c, key);
	return 0;
}

/* section_int for a section kept between ticks, as section_jk_real. */
static inline int
section_jk_int(struct jk_obj *c, const char *key, bool known, json_int_t v)
{
	if (known)
		jk_int(c, key, v);
	else
		jk_null(c, key);
	return 0;
}

/*
 * Returns the source's kept section (*section, made on first use: an object, or an array when
 * `array`), attached to frame under key with a reference of the frame's, or NULL.
 */
static inline json_t *
section_kept(json_t *frame, const char *key, json_t **section, bool array)
{
	if (*section == NULL)
		*section = array ? jk_new_array() : jk_new_object();
	if (*section == NULL || json_object_set(frame, key, *section) != 0)
		return NULL;
	return *section;
}

/*
 * Adds frame.unavailable[key] = why (creating the object when absent), for a metric or
 * instance a source cannot measure on this machine; returns 0 or -1.
 */
static inline int
section_unavailable(json_t *frame, const char *key, const char *why)
{
	json_t *u = json_object_get(frame, "unavailable");

	if (u == NULL) {
		u = json_object();
		if (u == NULL || json_object_set_new(frame, "unavailable", u) != 0)
			return -1;
	}
	return json_object_set_new(u, key, json_string(why));
}

#endif
