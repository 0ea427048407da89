/*
 * postalctl.h — `sekishoctl import-postal`: Japan Post's postal data into the
 * internet zone's look-up database (docs/postal.md).
 */
#ifndef SEKISHOCTL_POSTALCTL_H
#define SEKISHOCTL_POSTALCTL_H

#include "instance.h"

/* import-postal FILE | import-postal --packaged: build dmz/postal/postal.sqlite with
 * provisioning/postal/import-postal.sh, which writes a temporary file and renames it,
 * so the portal never reads a half-built database. Returns the exit status. */
int postalctl_main(const struct instance *in, int argc, char **argv);

#endif
