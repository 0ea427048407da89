/*
 * tenants.h — provisioning tenants (自治体) and their staff accounts.
 */
#ifndef SEKISHOCTL_TENANTS_H
#define SEKISHOCTL_TENANTS_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "instance.h"

/* Create the tenant's database in both zones (migrated, with its name recorded).
 * Refuses an existing tenant. 0, or -1 with err. */
int tenants_create(const struct instance *in, const char *name, char *err, size_t errlen);

/* The same for the zones in zone_mask only (INSTANCE_ZONE_*): a one-zone host. */
int tenants_create_in(const struct instance *in, const char *name, unsigned zone_mask,
		      char *err, size_t errlen);

/* Print the tenants of the instance, one per line. Returns how many, or -1. */
int tenants_list(const struct instance *in, char *err, size_t errlen);

/* Add a staff account with a generated password, written to password (outlen bytes).
 * The person must change it at first login. 0, or -1 with err. */
int tenants_add_staff(const struct instance *in, const char *tenant, const char *login,
		      const char *role, const char *display_name, char *password,
		      size_t outlen, char *err, size_t errlen);

/* Give an existing staff account a new generated password. 0, or -1 with err. */
int tenants_reset_password(const struct instance *in, const char *tenant, const char *login,
			   char *password, size_t outlen, char *err, size_t errlen);

/* How a confirmed removal is recorded (delcert.h). */
struct tenants_removal {
	const char *operator_name;	/* the person who removes, for the certificate; or NULL */
	char certificate[PATH_MAX];	/* out: the certificate's JSON file */
};

/* Every file of tenant name in the instance, both zones: its databases and their
 * backups, its stored bundles, and the spool, result and quarantine items of its
 * uploads and bundles (tenant_remove.c). With how NULL, each path is written to out
 * (unless NULL) and nothing is deleted. With how, they are deleted, the databases
 * last, a deletion certificate is written (its text to out) and a re-scan after the
 * deletion must find nothing. Returns how many paths, or -1 with err (also when
 * something remains; the certificate then says what). The daemons must be stopped:
 * they hold the databases open. */
long tenants_remove(const struct instance *in, const char *name, struct tenants_removal *how,
		    FILE *out, char *err, size_t errlen);

#endif
