"""Two test hosts in network namespaces, joined by one-way links (veth pairs) with the
project's own nftables rules — the two-host deployment, on one machine.

Addresses are in 10.77.0.0/16 inside namespaces the test creates and removes; nothing
leaves this machine."""
import os
import subprocess
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NFT = os.path.join(ROOT, "provisioning", "nftables")


def sh(*args, check=True, ns=None, **kw):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


class TwoZones:
    """dmz and lgwan namespaces; the uplink veth carries dmz -> lgwan only, the
    downlink veth lgwan -> dmz only."""

    UP_DMZ, UP_LGWAN = "10.77.1.1", "10.77.1.2"
    DOWN_LGWAN, DOWN_DMZ = "10.77.2.1", "10.77.2.2"

    def __init__(self, uplink_port=9510, downlink_port=9511):
        tag = uuid.uuid4().hex[:6]
        self.dmz, self.lgwan = f"skdmz{tag}", f"sklgw{tag}"
        self.up = (f"su{tag}a", f"su{tag}b")      # (dmz end, lgwan end)
        self.down = (f"sd{tag}a", f"sd{tag}b")    # (lgwan end, dmz end)
        self.uplink_port, self.downlink_port = uplink_port, downlink_port

    def __enter__(self):
        for ns in (self.dmz, self.lgwan):
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for (a, b), (ns_a, ns_b), (ip_a, ip_b) in (
                (self.up, (self.dmz, self.lgwan), (self.UP_DMZ, self.UP_LGWAN)),
                (self.down, (self.lgwan, self.dmz), (self.DOWN_LGWAN, self.DOWN_DMZ))):
            sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
            sh("ip", "link", "set", a, "netns", ns_a)
            sh("ip", "link", "set", b, "netns", ns_b)
            sh("ip", "addr", "add", ip_a + "/30", "dev", a, ns=ns_a)
            sh("ip", "addr", "add", ip_b + "/30", "dev", b, ns=ns_b)
            sh("ip", "link", "set", a, "up", ns=ns_a)
            sh("ip", "link", "set", b, "up", ns=ns_b)
            # A diode carries no ARP replies back: the sender knows the receiver's
            # hardware address statically, as it must on real hardware.
            mac = sh("cat", f"/sys/class/net/{b}/address", ns=ns_b).stdout.strip()
            sh("ip", "neigh", "replace", ip_b, "lladdr", mac, "dev", a, "nud", "permanent",
               ns=ns_a)
        self.firewall()
        return self

    def firewall(self):
        rules = (
            (self.dmz, "bridge-tx.nft", self.up[0], self.UP_LGWAN, self.uplink_port),
            (self.lgwan, "bridge-rx.nft", self.up[1], self.UP_DMZ, self.uplink_port),
            (self.lgwan, "bridge-tx.nft", self.down[0], self.DOWN_DMZ, self.downlink_port),
            (self.dmz, "bridge-rx.nft", self.down[1], self.DOWN_LGWAN, self.downlink_port),
        )
        for ns, f, iface, peer, port in rules:
            sh("nft", "-D", f"LINK_IF={iface}", "-D", f"PEER={peer}", "-D", f"PORT={port}",
               "-f", os.path.join(NFT, f), ns=ns)

    def __exit__(self, *exc):
        for ns in (self.dmz, self.lgwan):
            sh("ip", "netns", "del", ns, check=False)

    def python(self, ns, code, timeout=10):
        """Run a small Python program inside a namespace; returns its stdout."""
        return sh("python3", "-c", code, ns=ns, timeout=timeout, check=False)
