/*
 * link.c — link configuration helpers shared by bridge-tx and bridge-rx.
 */
#include "link.h"

#include <arpa/inet.h>
#include <string.h>

int
link_direction_parse(const char *s, enum link_direction *out)
{
	if (s && strcmp(s, "uplink") == 0)
		*out = LINK_UPLINK;
	else if (s && strcmp(s, "downlink") == 0)
		*out = LINK_DOWNLINK;
	else
		return -1;
	return 0;
}

const char *
link_direction_name(enum link_direction d)
{
	return d == LINK_UPLINK ? "uplink" : "downlink";
}

int
link_address(const char *host, long port, struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

	if (host == NULL || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((unsigned short)port);
		*len = sizeof *v4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((unsigned short)port);
		*len = sizeof *v6;
		return 0;
	}
	return -1;
}
