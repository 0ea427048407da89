/*
 * roles.h — production provisioning: what one host of a deployment runs.
 *
 * A role names the zones a host holds: dmz (the internet zone), lgwan, or both
 * (all-in-one, each zone's network daemons in their own network namespace, linked by
 * veth pairs). The role decides everything else — which directories and keys exist
 * on the host, which configuration files and units — so that a private key can only
 * be on the host whose zone uses it.
 */
#ifndef SEKISHOCTL_ROLES_H
#define SEKISHOCTL_ROLES_H

#include <stdio.h>

#include "instance.h"

enum role_kind {
	ROLE_DMZ,
	ROLE_LGWAN,
	ROLE_ALL_IN_ONE,
};

/* all-in-one: the two links' veth pairs, one /30 each (uplink, downlink). */
#define ROLES_NETNS_DMZ "sekisho-dmz"
#define ROLES_NETNS_LGWAN "sekisho-lgwan"
#define ROLES_UPLINK_RX_ADDR "10.231.0.2"	/* sekisho-lgwan end of the uplink veth */
#define ROLES_DOWNLINK_RX_ADDR "10.231.1.1"	/* sekisho-dmz end of the downlink veth */

struct role_options {
	enum role_kind role;
	const char *system_root;	/* "/" or a root being built (units, users) */
	const char *tls_cert, *tls_key;	/* the municipality's certificate, or NULL */
	const char *hostname;		/* name in a self-signed certificate */
	const char *peer;		/* dmz/lgwan: the other host's link address */
	const char *tenant;		/* first tenant, or NULL */
	const char *internet_bind, *lgwan_bind;	/* the web fronts' addresses */
};

/* "dmz", "lgwan", "all-in-one" -> kind. 0, or -1 if not a role. */
int roles_parse(const char *name, enum role_kind *out);

/* The name of a role, as roles_parse takes it. */
const char *roles_name(enum role_kind role);

/* INSTANCE_ZONE_* of a role. */
unsigned roles_zones(enum role_kind role);

/* Provision in->root (which must not hold an instance) for ro: the zone's directories
 * with their owners, keys, configuration (TLS always), the first tenant with its
 * administrator when ro->tenant is set (password into password, passlen bytes; empty
 * if no administrator was made), and the role's units enabled in ro->system_root.
 * 0, or -1 with err. */
int roles_init(struct instance *in, const struct role_options *ro, char *password,
	       size_t passlen, char *err, size_t errlen);

/* The operator's next steps after roles_init, in Japanese. */
void roles_print_next_steps(FILE *f, const struct instance *in,
			    const struct role_options *ro, const char *password);

#endif
