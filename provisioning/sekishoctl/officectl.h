/*
 * officectl.h — operator commands on a tenant's office (LGWAN) database: staff CSV
 * import and export, and verification of the hash-chained audit log.
 */
#ifndef SEKISHOCTL_OFFICECTL_H
#define SEKISHOCTL_OFFICECTL_H

#include "instance.h"

/* sekishoctl staff import TENANT FILE.csv --codes OUT.csv
 * sekishoctl staff export TENANT [OUT.csv]
 * Returns the exit status (0 done, 1 refused or failed, 2 usage). */
int officectl_staff_main(const struct instance *in, int argc, char **argv);

/* sekishoctl audit verify-log TENANT [--anchor SEQ:HASH]
 * Prints a report in Japanese; 0 intact, 1 tampered or unreadable, 2 usage. */
int officectl_verify_log_main(const struct instance *in, int argc, char **argv);

#endif
