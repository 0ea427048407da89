#!/bin/sh
# sekisho-netns up|down — the all-in-one host's two zones (sekishoctl init --role
# all-in-one; run by netns-sekisho.service).
#
# Each zone's bridge ends run in their own network namespace, sekisho-dmz and
# sekisho-lgwan, and the only connection between the two is one veth pair per link
# direction, each with the project's one-way rules loaded inside the namespaces:
#   uplink   skup0 (sekisho-dmz, 10.231.0.1) -> skup1 (sekisho-lgwan, 10.231.0.2)
#   downlink skdn0 (sekisho-lgwan, 10.231.1.2) -> skdn1 (sekisho-dmz, 10.231.1.1)
# Two pairs rather than one because each rules file describes one direction of one
# interface, as two hardware diodes would. The receivers' addresses are those
# sekishoctl wrote into the bridge configuration (roles.h, ROLES_*_RX_ADDR).
set -eu
CONF=${SEKISHO_INSTANCE:-/var/lib/sekisho}/etc/instance.conf
NFT=${SEKISHO_SHARE:-/usr/share/sekisho}/provisioning/nftables
DMZ=sekisho-dmz
LGWAN=sekisho-lgwan

port() { sed -n "s/^$1 = \([0-9][0-9]*\)\$/\1/p" "$CONF"; }

down() {
	ip netns del "$DMZ" 2>/dev/null || true
	ip netns del "$LGWAN" 2>/dev/null || true
}

up() {
	UP=$(port uplink_port)
	DOWN=$(port downlink_port)
	[ -n "$UP" ] && [ -n "$DOWN" ] || { echo "sekisho-netns: no ports in $CONF" >&2; exit 1; }
	down
	ip netns add "$DMZ"
	ip netns add "$LGWAN"
	ip -n "$DMZ" link set lo up
	ip -n "$LGWAN" link set lo up
	ip link add skup0 netns "$DMZ" type veth peer name skup1 netns "$LGWAN"
	ip link add skdn0 netns "$LGWAN" type veth peer name skdn1 netns "$DMZ"
	ip -n "$DMZ" addr add 10.231.0.1/30 dev skup0
	ip -n "$LGWAN" addr add 10.231.0.2/30 dev skup1
	ip -n "$LGWAN" addr add 10.231.1.2/30 dev skdn0
	ip -n "$DMZ" addr add 10.231.1.1/30 dev skdn1
	# Rules before the links come up: no datagram passes unfiltered.
	ip netns exec "$DMZ" nft -D LINK_IF=skup0 -D PEER=10.231.0.2 -D PORT="$UP" -f "$NFT/bridge-tx.nft"
	ip netns exec "$LGWAN" nft -D LINK_IF=skup1 -D PEER=10.231.0.1 -D PORT="$UP" -f "$NFT/bridge-rx.nft"
	ip netns exec "$LGWAN" nft -D LINK_IF=skdn0 -D PEER=10.231.1.1 -D PORT="$DOWN" -f "$NFT/bridge-tx.nft"
	ip netns exec "$DMZ" nft -D LINK_IF=skdn1 -D PEER=10.231.1.2 -D PORT="$DOWN" -f "$NFT/bridge-rx.nft"
	for l in skup0 skdn1; do ip -n "$DMZ" link set "$l" up; done
	for l in skup1 skdn0; do ip -n "$LGWAN" link set "$l" up; done
}

case "${1:-}" in
up) up ;;
down) down ;;
*) echo "usage: sekisho-netns up|down" >&2; exit 2 ;;
esac
