/*
 * status.h — one look at an instance for the operator and for monitoring: every
 * daemon's health, both links, queue depths, the ClamAV signatures' age and disk space,
 * with one verdict whose exit status a monitoring system can act on.
 */
#ifndef SEKISHOCTL_STATUS_H
#define SEKISHOCTL_STATUS_H

#include "instance.h"

/* Exit statuses of sekishoctl status (docs/operator-guide.md, 監視). */
#define STATUS_OK		0	/* everything as it should be */
#define STATUS_WARNING		1	/* working, but someone should look (old signatures, low disk, stuck queue) */
#define STATUS_FAILURE		2	/* a daemon is down or unhealthy, a disk is nearly full */
#define STATUS_USAGE		3	/* bad command line */

#define STATUS_DISK_WARN_PERCENT	10	/* free space (and inodes) under this: warning */
#define STATUS_DISK_FAIL_PERCENT	3	/* under this: failure (SQLite and spools stop) */
#define STATUS_QUEUE_MAX_AGE_S		900	/* an item waiting longer in new/: warning */
#define STATUS_QUEUE_MAX_SCAN		100000	/* entries counted per directory, then "at least" */

/* sekishoctl status [--json] [--disk-warn-percent N] [--queue-max-age-s N]
 * [--sig-max-age-days N]: prints the report; returns STATUS_*. */
int status_main(const struct instance *in, int argc, char **argv);

/* sekishoctl bridge status [--json]: the four link ends' counters. 0, 1 when one does
 * not answer, 2 usage. */
int status_bridge_main(const struct instance *in, int argc, char **argv);

#endif
