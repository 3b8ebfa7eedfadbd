/* Levelled logging to stderr with a per-file tag and rate limiting for per-tick failures. */
#ifndef PERFWATCH_COMMON_LOG_H
#define PERFWATCH_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/compat.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Rate limiter for a recurring message: logs the first, then every Nth, with a count. */
struct log_limit {
	uint64_t count;
	uint32_t every;
};
#define LOG_LIMIT_INIT(n)                                                                          \
	{                                                                                          \
		0, (n)                                                                             \
	}

/* Sets the global threshold; messages above it are not formatted. Call before threads start. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns 0 or -1 on an unknown name. */
MUST_CHECK int log_level_parse(const char *name, enum log_level *out);
/* Returns true when messages of this level are emitted. */
bool log_enabled(enum log_level level);
/* Writes one line "<time> <level> <tag>: <message>" to stderr. Thread-safe. */
void log_write(enum log_level level, const char *tag, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Returns true when this occurrence should be logged, and counts it. */
bool log_limit_hit(struct log_limit *limit);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_msg(level, ...)                                                                        \
	do {                                                                                       \
		if (log_enabled(level))                                                            \
			log_write(level, LOG_TAG, __VA_ARGS__);                                    \
	} while (0)

/* Logs at most the first occurrence and then every Nth, appending the running count. */
#define log_limited(limit, level, fmt, ...)                                                        \
	do {                                                                                       \
		if (log_limit_hit(limit) && log_enabled(level))                                    \
			log_write(level, LOG_TAG, fmt " (occurrence %llu)", __VA_ARGS__,           \
				  (unsigned long long)(limit)->count);                             \
	} while (0)

#endif
