/*
 * log.h — operational logging: journald when running under systemd, else one line
 * per event on stderr.
 *
 * Every event has a level, a message and optional KEY=value fields. Values often
 * carry hostile bytes (paths, user agents, file names), so control characters and
 * newlines are escaped before they reach a line-oriented sink: one event is always
 * one line. Secrets must never be passed here.
 */
#ifndef SEKISHO_LOG_H
#define SEKISHO_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_LEVEL_ERR = 3, LOG_LEVEL_WARN = 4, LOG_LEVEL_INFO = 6, LOG_LEVEL_DEBUG = 7 };

enum log_sink {
	LOG_SINK_AUTO,		/* journald if $JOURNAL_STREAM says stderr is the journal */
	LOG_SINK_STDERR,
	LOG_SINK_JOURNAL,
};

struct log_field {
	const char *key;	/* upper case, [A-Z0-9_], as journald wants */
	const char *value;
};

/* Set the identifier (e.g. "sekisho-portald"), the lowest level written and the sink.
 * Until called, events go to stderr with identifier "sekisho" at level info. */
void log_init(const char *ident, enum log_level min_level, enum log_sink sink);

/* Parse "err", "warn", "info", "debug"; returns 0 or -1 for anything else. */
int log_level_parse(const char *s, enum log_level *out);

/* Write an event with fields (n may be 0). */
void log_fields(enum log_level level, const struct log_field *fields, size_t n,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_err(...)   log_fields(LOG_LEVEL_ERR, NULL, 0, __VA_ARGS__)
#define log_warn(...)  log_fields(LOG_LEVEL_WARN, NULL, 0, __VA_ARGS__)
#define log_info(...)  log_fields(LOG_LEVEL_INFO, NULL, 0, __VA_ARGS__)
#define log_debug(...) log_fields(LOG_LEVEL_DEBUG, NULL, 0, __VA_ARGS__)

/* For tests: send stderr-sink lines to f instead of stderr (NULL restores stderr). */
void log_set_stream(FILE *f);

/* Escape s into out (always NUL-terminated, truncated to outlen): control bytes and
 * backslash become \n, \t, \xHH, \\. Returns out. Used by the stderr sink. */
char *log_escape(const char *s, char *out, size_t outlen);

#endif
