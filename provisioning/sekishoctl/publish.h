/*
 * publish.h — `sekishoctl catalogue publish`: procedure definitions onto the downlink.
 *
 * The internet zone learns of procedures only from office-signed "catalogue" bundles
 * on the downlink. This command makes such a bundle from definition files and puts
 * it into lgwan/spool/downlink-out, exactly where officed's procedure builder will
 * put its own: the dev instance's sample procedures and a template imported from
 * another municipality take the same road as everything staff publish.
 */
#ifndef SEKISHOCTL_PUBLISH_H
#define SEKISHOCTL_PUBLISH_H

#include <stddef.h>

#include "instance.h"

#define PUBLISH_MAX_FILES 64
#define PUBLISH_FILE_MAX  (4 * 1024 * 1024)

/* Sign files (procedure definitions, one JSON object each) for tenant as one
 * catalogue bundle into the downlink-out spool; the bundle id goes to id_out.
 * Every definition is checked first. 0, or -1 with err naming the file. */
int publish_catalogue(const struct instance *in, const char *tenant, char *const *files,
		      size_t nfiles, char *id_out, size_t idlen, char *err, size_t errlen);

/* argv: "catalogue" "publish" TENANT FILE... */
int publish_main(struct instance *in, int argc, char **argv);

#endif
