/*
 * log.c — operational events to journald or stderr.
 *
 * The invariant: one event is one record. On the journal that is one
 * sd_journal_sendv call; on stderr it is one line written with a single fwrite
 * under the stream lock, with every control byte of the message and of each field
 * value escaped, so a hostile file name or header can never forge a second line.
 */
#define _GNU_SOURCE	/* asprintf */
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#define LOG_MAX_MESSAGE 2048	/* a log line, not a document: longer text is cut */
#define LOG_MAX_FIELDS  16
#define LOG_MAX_IDENT   64

/* Set once at start-up by log_init, before threads exist; read-only afterwards. */
static struct {
	char ident[LOG_MAX_IDENT];
	enum log_level min_level;
	enum log_sink sink;
	FILE *stream;		/* NULL: stderr */
} log_cfg = { "sekisho", LOG_LEVEL_INFO, LOG_SINK_STDERR, NULL };

static const char *
level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:   return "err";
	case LOG_LEVEL_WARN:  return "warn";
	case LOG_LEVEL_INFO:  return "info";
	case LOG_LEVEL_DEBUG: return "debug";
	}
	return "?";
}

void
log_init(const char *ident, enum log_level min_level, enum log_sink sink)
{
	snprintf(log_cfg.ident, sizeof log_cfg.ident, "%s", ident ? ident : "sekisho");
	log_cfg.min_level = min_level;
	if (sink == LOG_SINK_AUTO)
		/* systemd sets JOURNAL_STREAM when stderr is connected to the journal. */
		sink = getenv("JOURNAL_STREAM") ? LOG_SINK_JOURNAL : LOG_SINK_STDERR;
	log_cfg.sink = sink;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level level; } names[] = {
		{ "err", LOG_LEVEL_ERR }, { "error", LOG_LEVEL_ERR },
		{ "warn", LOG_LEVEL_WARN }, { "warning", LOG_LEVEL_WARN },
		{ "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
	};
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	return -1;
}

void
log_set_stream(FILE *f)
{
	log_cfg.stream = f;
}

char *
log_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		char esc[5];
		size_t n;

		if (*p == '\n')
			n = (size_t)snprintf(esc, sizeof esc, "\\n");
		else if (*p == '\t')
			n = (size_t)snprintf(esc, sizeof esc, "\\t");
		else if (*p == '\\')
			n = (size_t)snprintf(esc, sizeof esc, "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
		else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

static int
valid_field_key(const char *k)
{
	if (k == NULL || *k == '\0' || *k == '_')
		return 0;
	for (; *k; k++)
		if (!(isupper((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_'))
			return 0;
	return 1;
}

static void
emit_journal(enum log_level level, const struct log_field *fields, size_t n,
	     const char *message)
{
	struct iovec iov[LOG_MAX_FIELDS + 3];
	char *bufs[LOG_MAX_FIELDS + 3];
	size_t k = 0;

	if (asprintf(&bufs[k], "MESSAGE=%s", message) < 0)
		return;
	k++;
	if (asprintf(&bufs[k], "PRIORITY=%d", (int)level) >= 0)
		k++;
	if (asprintf(&bufs[k], "SYSLOG_IDENTIFIER=%s", log_cfg.ident) >= 0)
		k++;
	for (size_t i = 0; i < n && i < LOG_MAX_FIELDS; i++) {
		/* Journal field values may hold any bytes; only the key is checked. */
		if (!valid_field_key(fields[i].key))
			continue;
		if (asprintf(&bufs[k], "%s=%s", fields[i].key,
			     fields[i].value ? fields[i].value : "") >= 0)
			k++;
	}
	for (size_t i = 0; i < k; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = strlen(bufs[i]);
	}
	sd_journal_sendv(iov, (int)k);
	for (size_t i = 0; i < k; i++)
		free(bufs[i]);
}

static void
emit_stderr(enum log_level level, const struct log_field *fields, size_t n,
	    const char *message)
{
	char line[LOG_MAX_MESSAGE * 2];
	char esc[LOG_MAX_MESSAGE];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t o;
	int w;
	FILE *f = log_cfg.stream ? log_cfg.stream : stderr;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	w = snprintf(line, sizeof line, "%s.%03ldZ %s[%ld] %s: %s", stamp,
		     ts.tv_nsec / 1000000, log_cfg.ident, (long)getpid(),
		     level_name(level), log_escape(message, esc, sizeof esc));
	o = (w < 0) ? 0 : ((size_t)w >= sizeof line ? sizeof line - 1 : (size_t)w);
	for (size_t i = 0; i < n && i < LOG_MAX_FIELDS; i++) {
		if (!valid_field_key(fields[i].key))
			continue;
		log_escape(fields[i].value ? fields[i].value : "", esc, sizeof esc);
		/* A value with spaces is quoted so the line still splits into key=value. */
		w = snprintf(line + o, sizeof line - o,
			     strpbrk(esc, " \"") || *esc == '\0' ? " %s=\"%s\"" : " %s=%s",
			     fields[i].key, esc);
		if (w < 0 || (size_t)w >= sizeof line - o) {
			o = sizeof line - 1;
			break;
		}
		o += (size_t)w;
	}
	if (o >= sizeof line - 1)
		o = sizeof line - 2;
	line[o++] = '\n';
	flockfile(f);
	fwrite(line, 1, o, f);
	fflush(f);
	funlockfile(f);
}

void
log_fields(enum log_level level, const struct log_field *fields, size_t n,
	   const char *fmt, ...)
{
	char message[LOG_MAX_MESSAGE];
	va_list ap;
	int saved_errno = errno;	/* logging must not disturb the caller's errno */

	if (level > log_cfg.min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);

	if (log_cfg.sink == LOG_SINK_JOURNAL)
		emit_journal(level, fields, n, message);
	else
		emit_stderr(level, fields, n, message);
	errno = saved_errno;
}
