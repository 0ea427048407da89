/*
 * sigcheck.h — is the ClamAV signature database fresh enough to scan with?
 *
 * freshclam updates it several times a day on the DMZ host; a database days old
 * means updates stopped (mirror unreachable, disk full), and the sanitizer would go
 * on scanning with old signatures without anyone noticing. A timer runs this check
 * and the journal (and monitoring of failed units) carries the warning.
 */
#ifndef SEKISHOCTL_SIGCHECK_H
#define SEKISHOCTL_SIGCHECK_H

#include <stddef.h>
#include <time.h>

#define SIGCHECK_MAX_AGE_DAYS_DEFAULT 3
#define SIGCHECK_DB_DEFAULT "/var/lib/clamav"
#define SIGCHECK_MAX_FILES 256
#define SIGCHECK_HEADER_LEN 512	/* a .cvd/.cld header */

/* Newest modification time of the database files (*.cvd, *.cld, *.hdb, ...) in dir into *newest.
 * 0, or -1 with err (no database at all is an error). */
int sigcheck_newest(const char *dir, time_t *newest, char *err, size_t errlen);

/* Newest build time stated in the headers of the containers (*.cvd, *.cld) in dir,
 * which a touched file cannot make younger. 0, or -1 when there is no container. */
int sigcheck_built(const char *dir, time_t *built);

/* sekishoctl sigcheck [--max-age-days N] [--db DIR]: 0 fresh, 1 stale or missing. */
int sigcheck_main(int argc, char **argv);

#endif
