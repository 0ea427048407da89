/*
 * backup.h — online backups of a zone's tenant databases, and their restore.
 *
 * A backup is one generation directory, <zone>/backup/<UTC time>/, holding a
 * consistent copy of every tenant database of the zone taken with SQLite's backup
 * API while the daemon keeps writing (WAL lets it). Each zone is backed up by its
 * own daemon's user (sekisho-backup-<zone>.service), so no process reads the other
 * zone's data and none needs a capability. The newest BACKUP_KEEP_DEFAULT
 * generations are kept.
 */
#ifndef SEKISHOCTL_BACKUP_H
#define SEKISHOCTL_BACKUP_H

#include <stddef.h>

#include "instance.h"

#define BACKUP_KEEP_DEFAULT 7
#define BACKUP_KEEP_MAX 365
#define BACKUP_MAX_TENANTS 1024		/* databases in one zone */
#define BACKUP_MAX_GENERATIONS 4096	/* directories looked at when pruning */

/* A new generation's name (UTC time to the millisecond) into gen. */
void backup_generation_name(char *gen, size_t genlen);

/* Back up every tenant database of zone ("dmz" or "lgwan") into the new generation
 * gen and delete all but the newest keep. Returns the number of databases copied,
 * or -1 with err. */
int backup_zone(const struct instance *in, const char *zone, int keep, const char *gen,
		char *err, size_t errlen);

/* Replace the zone's tenant databases with those of generation gen (the daemon of
 * the zone must be stopped: the files are replaced, not written through). Returns
 * the number restored, or -1 with err. */
int backup_restore(const struct instance *in, const char *zone, const char *gen,
		   char *err, size_t errlen);

/* sekishoctl backup|restore ...: the command line. Exit status. */
int backup_main(const struct instance *in, int argc, char **argv);

#endif
