"""The real uplink daemons, sekisho-bridge-tx in the DMZ namespace and
sekisho-bridge-rx in the LGWAN namespace of a TwoZones, over its veth pair and its
deployed nftables rules. Shared by test_bridge_veth.py and make bench-bridge."""
import json
import os
import re
import subprocess

from instconf import set_conf
from netns import TwoZones, sh

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "bin")
CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK


class VethBridge:
    """with VethBridge(inst, tx={...}, rx={...}, loss_pct=5) as b: b.start_tx() ...

    inst is an instance made by `sekishoctl init --dev`; tx and rx are settings for
    its bridge-uplink-{tx,rx}.conf. loss_pct drops that share of the datagrams,
    one by one, arriving on the LGWAN side (nftables `numgen random`: this kernel
    has no netem; tx's UDP segmentation offload is off on the veth then, so that
    the rule sees datagrams, not GSO messages of 32)."""

    def __init__(self, inst, tx=None, rx=None, loss_pct=0, datagram=1472):
        self.inst, self.loss_pct, self.datagram = inst, loss_pct, datagram
        self.tx_settings, self.rx_settings = dict(tx or {}), dict(rx or {})
        self.zones, self.tx, self.rx = TwoZones(), None, None

    def __enter__(self):
        z = self.zones.__enter__()
        tx_conf = self.inst / "etc/bridge-uplink-tx.conf"
        rx_conf = self.inst / "etc/bridge-uplink-rx.conf"
        set_conf(tx_conf, peer_host=z.UP_LGWAN, datagram=self.datagram, **self.tx_settings)
        set_conf(rx_conf, bind_host=z.UP_LGWAN, datagram=self.datagram, **self.rx_settings)
        if self.datagram != 1472:	# jumbo frames: the veth pair's MTU follows
            sh("ip", "link", "set", z.up[0], "mtu", str(self.datagram + 28), ns=z.dmz)
            sh("ip", "link", "set", z.up[1], "mtu", str(self.datagram + 28), ns=z.lgwan)
        if self.loss_pct:
            # Loss as on a wire, datagram by datagram: tx's UDP GSO messages (up to
            # 32 datagrams) would otherwise cross the veth whole, and the rule below
            # would drop them whole, a burst of 32 where a link loses one. Without
            # the offload the kernel cuts them into datagrams before the veth.
            sh("ethtool", "-K", z.up[0], "tx-udp-segmentation", "off", ns=z.dmz)
            sh("nft", "insert", "rule", "inet", "sekisho_bridge_rx", "input", "iifname",
               z.up[1], "numgen", "random", "mod", "100", "<", str(self.loss_pct), "drop",
               ns=z.lgwan)
        sh("sysctl", "-qw", "net.core.rmem_max=67108864", ns=z.lgwan, check=False)
        self.rx = self._start(z.lgwan, "sekisho-bridge-rx", rx_conf)
        return self

    def _start(self, ns, daemon, conf):
        return subprocess.Popen(["ip", "netns", "exec", ns, os.path.join(BIN, daemon),
                                 "--config", str(conf)], stderr=subprocess.DEVNULL)

    def start_tx(self):
        self.tx = self._start(self.zones.dmz, "sekisho-bridge-tx",
                              self.inst / "etc/bridge-uplink-tx.conf")

    def inbox(self):
        return self.inst / "lgwan/spool/inbox/new"

    def rx_metrics(self):
        r = subprocess.run([os.path.join(BIN, "sekishoctl"), "--instance", str(self.inst),
                            "bridge", "status", "--json"], capture_output=True, text=True)
        try:
            return json.loads(r.stdout).get("bridge-uplink-rx", {})
        except ValueError:
            return {}

    def wire_bytes(self):
        """Bytes tx's end of the uplink has sent, headers included: exact with a
        loss_pct (datagrams cross one by one); without, a GSO message counts its
        headers once, about 2.8 % under the wire at 1472-byte datagrams."""
        out = sh("ip", "-s", "link", "show", self.zones.up[0], ns=self.zones.dmz).stdout
        return int(re.search(r"TX:.*?\n\s+(\d+)", out, re.S).group(1))

    def __exit__(self, *exc):
        for p in (self.tx, self.rx):
            if p is not None:
                p.terminate()
                p.wait()
        self.zones.__exit__(*exc)
