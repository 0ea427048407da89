/*
 * link.h — what bridge-tx and bridge-rx share about a one-way link's configuration.
 *
 * One program pair serves both directions. The direction decides what the receiving
 * side will accept: on the uplink (internet → LGWAN) only sanitizer-signed bundles,
 * on the downlink (LGWAN → internet) only office-signed messages.
 */
#ifndef SEKISHO_BRIDGE_LINK_H
#define SEKISHO_BRIDGE_LINK_H

#include <netinet/in.h>
#include <stddef.h>

enum link_direction { LINK_UPLINK, LINK_DOWNLINK };

/* "uplink" or "downlink" to the enum; 0, or -1 for anything else. */
int link_direction_parse(const char *s, enum link_direction *out);
const char *link_direction_name(enum link_direction d);

/* An IPv4 or IPv6 literal and port into a socket address (no name resolution: the
 * bridge must not depend on DNS). 0, or -1 if host is not an address literal. */
int link_address(const char *host, long port, struct sockaddr_storage *sa, socklen_t *len);

#endif
