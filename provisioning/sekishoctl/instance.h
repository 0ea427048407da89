/*
 * instance.h — where a Sekisho instance lives and what is in it.
 *
 * An instance is one directory: etc/ (configuration), dmz/ and lgwan/ (each zone's
 * keys, databases, spools and quarantine, so the tree itself shows which zone holds
 * what), run/ (sockets) and log/. Developers get one under ./var, operators under
 * /var/lib/sekisho; sekishoctl finds it the same way for both.
 */
#ifndef SEKISHOCTL_INSTANCE_H
#define SEKISHOCTL_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define INSTANCE_DEFAULT_ROOT "/var/lib/sekisho"
/* The zones an instance (or one host's role) holds: dmz/, lgwan/ or both. */
#define INSTANCE_ZONE_DMZ	1u
#define INSTANCE_ZONE_LGWAN	2u
#define INSTANCE_ZONE_BOTH	(INSTANCE_ZONE_DMZ | INSTANCE_ZONE_LGWAN)
#define INSTANCE_SHARE_DEFAULT "/usr/share/sekisho"

struct instance {
	char root[PATH_MAX];	/* the instance directory, absolute */
	char share[PATH_MAX];	/* web/ and provisioning/lighttpd/: the tree or /usr/share/sekisho */
	char bindir[PATH_MAX];	/* where the sekisho-* programs are (beside sekishoctl) */
};

/* The ports and options chosen at init, kept in etc/instance.conf. */
struct instance_options {
	bool dev;
	bool tls;
	long internet_port, lgwan_port, uplink_port, downlink_port;
	char bind_host[64];
	/* Production roles (roles.h); empty/0 in dev, where everything is on bind_host. */
	char role[16];			/* "dmz", "lgwan", "all-in-one" */
	unsigned zones;			/* INSTANCE_ZONE_*: which zones' configs to write */
	char uplink_host[64];		/* the uplink receiver's address (dmz -> lgwan) */
	char downlink_host[64];		/* the downlink receiver's address (lgwan -> dmz) */
	char internet_bind[64];		/* each zone's web front, if not bind_host */
	char lgwan_bind[64];
};

/* Pick the instance directory: explicit (--instance), else $SEKISHO_INSTANCE, else
 * ./var when it holds an instance, else INSTANCE_DEFAULT_ROOT. Fills root (made absolute when it
 * exists), share and bindir. 0, or -1 with the reason in err. */
int instance_locate(struct instance *in, const char *explicit_root, char *err, size_t errlen);

/* root + "/" + rel into out. 0, or -1 if it does not fit. */
int instance_path(const struct instance *in, const char *rel, char *out, size_t outlen);

/* Read etc/instance.conf. 0, or -1 with the reason in err (e.g. no instance there). */
int instance_read_options(const struct instance *in, struct instance_options *opt,
			  char *err, size_t errlen);

/* The directories every instance has, relative to its root, in creation order. */
extern const char *const instance_dirs[];

#endif
