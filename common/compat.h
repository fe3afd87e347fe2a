/*
 * compat.h - the first header every translation unit includes.
 *
 * It fixes the feature-test macros once for the whole tree and marks the
 * unbounded libc string calls deprecated, so with -Werror a use of them
 * fails the build. Use the checked helpers in util.h instead.
 */
#ifndef THURKUBE_COMPAT_H
#define THURKUBE_COMPAT_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* strptime */
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* timegm, explicit_bzero, strcasecmp */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TK_MUST_CHECK   __attribute__((warn_unused_result))
#define TK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef THURKUBE_ALLOW_UNSAFE_LIBC
/* Redeclared with a deprecation so any call site is an error under -Werror. */
int sprintf(char *, const char *, ...) __attribute__((deprecated("use snprintf or buf_printf")));
int vsprintf(char *, const char *, __builtin_va_list) __attribute__((deprecated("use vsnprintf")));
char *strcpy(char *, const char *) __attribute__((deprecated("use memcpy with a known length")));
char *strcat(char *, const char *) __attribute__((deprecated("use buf_append")));
char *strtok(char *, const char *) __attribute__((deprecated("not reentrant; scan by hand")));
#if !defined(__clang__) /* glibc defines these inline; clang ignores the attribute then */
int atoi(const char *) __attribute__((deprecated("use parse_i64")));
long atol(const char *) __attribute__((deprecated("use parse_i64")));
#endif
char *gets(char *) __attribute__((deprecated("never")));
#endif

#endif
