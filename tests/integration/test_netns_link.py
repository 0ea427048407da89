"""Each link between the zones is one-way: only the bridge's UDP, in its direction.
The rules under test are provisioning/nftables/bridge-{tx,rx}.nft, as deployed."""
import os
import shutil

import pytest

from netns import TwoZones

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("nft"),
                                reason="needs root and nft for network namespaces")

RECEIVE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.{kind})
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{addr}", {port}))
if socket.{kind} == socket.SOCK_STREAM:
    s.listen(1)
print("READY", flush=True)
s.settimeout({timeout})
try:
    if socket.{kind} == socket.SOCK_STREAM:
        c, _ = s.accept(); print("ACCEPTED")
    else:
        print(s.recv(100).decode())
except socket.timeout:
    print("NOTHING")
"""

SEND_UDP = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"{msg}", ("{addr}", {port}))
    print("SENT")
except OSError as e:
    print("REFUSED", e.errno)
"""

CONNECT = """
import socket
s = socket.socket(); s.settimeout(1.5)
try:
    s.connect(("{addr}", {port})); print("CONNECTED")
except OSError as e:
    print("FAILED", type(e).__name__)
"""


def receive_while(z, ns, addr, port, send_ns, send_code, kind="SOCK_DGRAM", timeout=1.5):
    """Send from send_ns once the receiver in ns is bound (it says READY): a
    datagram sent before the bind is refused by the kernel, and a fixed wait for the
    receiver's start was not enough on a loaded machine (the uplink test saw
    NOTHING)."""
    import subprocess
    rx = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c",
                           RECEIVE.format(kind=kind, addr=addr, port=port, timeout=timeout)],
                          stdout=subprocess.PIPE, text=True)
    ready = rx.stdout.readline().strip()
    assert ready == "READY", f"the receiver in {ns} did not start: {ready!r}"
    sent = z.python(send_ns, send_code).stdout.strip()
    return sent, rx.communicate(timeout=10)[0].strip()


def test_uplink_carries_bridge_udp_from_dmz_to_lgwan():
    with TwoZones() as z:
        sent, got = receive_while(z, z.lgwan, z.UP_LGWAN, z.uplink_port, z.dmz,
                                  SEND_UDP.format(msg="bundle", addr=z.UP_LGWAN,
                                                  port=z.uplink_port))
        assert sent == "SENT" and got == "bundle"


def test_nothing_goes_back_from_lgwan_to_dmz_over_the_uplink():
    with TwoZones() as z:
        # Even aimed at a port the DMZ listens on, the LGWAN host cannot send it.
        sent, got = receive_while(z, z.dmz, z.UP_DMZ, 9999, z.lgwan,
                                  SEND_UDP.format(msg="reply", addr=z.UP_DMZ, port=9999))
        assert sent.startswith("REFUSED") and got == "NOTHING"


def test_other_udp_ports_are_dropped_on_the_uplink():
    with TwoZones() as z:
        sent, got = receive_while(z, z.lgwan, z.UP_LGWAN, z.uplink_port + 7, z.dmz,
                                  SEND_UDP.format(msg="x", addr=z.UP_LGWAN,
                                                  port=z.uplink_port + 7))
        assert got == "NOTHING"


@pytest.mark.parametrize("direction", ["dmz->lgwan", "lgwan->dmz"])
def test_no_tcp_connection_can_be_opened_across_either_link(direction):
    with TwoZones() as z:
        if direction == "dmz->lgwan":
            targets = ((z.lgwan, z.UP_LGWAN, z.dmz), (z.lgwan, z.DOWN_LGWAN, z.dmz))
        else:
            targets = ((z.dmz, z.DOWN_DMZ, z.lgwan), (z.dmz, z.UP_DMZ, z.lgwan))
        for listen_ns, addr, from_ns in targets:
            # Listen on the very bridge port: TCP must not get through on it either.
            sent, got = receive_while(z, listen_ns, addr, z.uplink_port, from_ns,
                                      CONNECT.format(addr=addr, port=z.uplink_port),
                                      kind="SOCK_STREAM")
            assert sent.startswith("FAILED") and got == "NOTHING", (addr, sent, got)


def test_downlink_carries_bridge_udp_from_lgwan_to_dmz_only():
    with TwoZones() as z:
        sent, got = receive_while(z, z.dmz, z.DOWN_DMZ, z.downlink_port, z.lgwan,
                                  SEND_UDP.format(msg="status", addr=z.DOWN_DMZ,
                                                  port=z.downlink_port))
        assert got == "status"
        sent, got = receive_while(z, z.lgwan, z.DOWN_LGWAN, 9999, z.dmz,
                                  SEND_UDP.format(msg="x", addr=z.DOWN_LGWAN, port=9999))
        assert got == "NOTHING"
