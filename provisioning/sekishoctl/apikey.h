/*
 * apikey.h — the operator's commands for data-linking API keys (office_apikey.h).
 */
#ifndef SEKISHOCTL_APIKEY_H
#define SEKISHOCTL_APIKEY_H

#include "instance.h"

/* sekishoctl apikey create --tenant T --name NAME --scope read|write [--department D]
 * sekishoctl apikey list --tenant T [--json]
 * sekishoctl apikey revoke --tenant T --name NAME
 * Returns the exit status (0 done, 1 refused or failed, 2 usage). */
int apikey_main(const struct instance *in, int argc, char **argv);

#endif
