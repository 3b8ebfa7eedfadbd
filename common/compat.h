/* Compiler attributes shared by every module. */
#ifndef PERFWATCH_COMMON_COMPAT_H
#define PERFWATCH_COMMON_COMPAT_H

#define MUST_CHECK	       __attribute__((warn_unused_result))
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define NORETURN	       __attribute__((noreturn))
#define UNUSED		       __attribute__((unused))
#define ARRAY_LEN(a)	       (sizeof(a) / sizeof((a)[0]))

#endif
