/*
 * Temperatures from thermal zones (<sysfs>/class/thermal/thermal_zoneN/temp) and hwmon sensors
 * (<sysfs>/class/hwmon/hwmonN/tempM_input), in degrees Celsius.
 */
#ifndef PERFWATCH_COLLECTOR_SOURCES_THERMAL_H
#define PERFWATCH_COLLECTOR_SOURCES_THERMAL_H

#include <stddef.h>
#include <stdint.h>

#include "collector/source.h"
#include "common/compat.h"

/* Parses a temperature attribute (millidegrees Celsius, may be negative); returns 0 or -1. */
MUST_CHECK int thermal_parse(const char *text, size_t len, int64_t *millic);

/* The "thermal" source: one frame row per sensor, named "<dir>:<type or label>". */
extern const struct source_ops thermal_source;

#endif
