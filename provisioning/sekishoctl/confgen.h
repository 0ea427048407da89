/*
 * confgen.h — the configuration files of a new instance.
 *
 * Every process gets its own file under etc/ naming only what that process may
 * touch; the lighttpd files are three lines of variables and an include of the
 * zone's rules from the share directory, so the rules themselves stay in the
 * repository where they are reviewed.
 */
#ifndef SEKISHOCTL_CONFGEN_H
#define SEKISHOCTL_CONFGEN_H

#include <stddef.h>

#include "instance.h"

/* Write etc/instance.conf, one etc/NAME.conf per daemon and the lighttpd files of
 * the zones in opt->zones (both when 0, as in development).
 * 0, or -1 with the failing file in err. */
int confgen_write_all(const struct instance *in, const struct instance_options *opt,
		      char *err, size_t errlen);

#endif
