"""The one-way bridge end to end, as the dev stack runs it: bundles put into the DMZ
outbox arrive byte-identical in the LGWAN inbox exactly once, through loss, bursts,
reordering and duplication (a userspace stand-in for netem), forged bundles are
quarantined, and receipts on the downlink finish what was delivered."""
import json
import os
import signal
import time

import pytest

from bundles import application, bundle, canonical, receipt, reply, spool_put
from conftest import Stack, ctl, free_port
from instconf import set_conf
from lossy_relay import LossyRelay
import socket


@pytest.fixture
def bridge(tmp_path):
    """A stack whose uplink goes through a lossy relay; the test sets its impairments."""
    ports = {"internet": free_port(), "lgwan": free_port(),
             "uplink": free_port(socket.SOCK_DGRAM), "downlink": free_port(socket.SOCK_DGRAM)}
    relay_port = free_port(socket.SOCK_DGRAM)
    inst = tmp_path / "inst"
    ctl(inst, "init", "--dev",
        "--internet-port", str(ports["internet"]), "--lgwan-port", str(ports["lgwan"]),
        "--uplink-port", str(ports["uplink"]), "--downlink-port", str(ports["downlink"]))
    set_conf(inst / "etc/bridge-uplink-tx.conf", peer_port=relay_port, rate_mbit=0,
             resend_after_s=3, resend_max_s=6)
    set_conf(inst / "etc/bridge-downlink-tx.conf", rate_mbit=0, resend_after_s=3,
             resend_max_s=6)
    s = Stack(inst, ports)
    s.relay_port, s.uplink_port = relay_port, ports["uplink"]
    s.relay = None
    yield s
    if s.relay:
        s.relay.stop()
    s.kill_everything()


def start(s, **impair):
    s.relay = LossyRelay(s.relay_port, s.uplink_port, **impair)
    s.relay.start()
    s.start()
    s.wait_healthy(s.lgwan + "/api/_health/bridge-uplink-rx")
    s.wait_healthy(s.internet + "/api/_health/bridge-uplink-tx")


def inbox(s):
    return s.instance / "lgwan/spool/inbox"


def arrived(s):
    """Bundles stored in the LGWAN inbox, wherever officed's import has moved them
    (new/ -> work/ -> done/), by id."""
    got = {}
    for sub in ("new", "work", "done"):
        d = inbox(s) / sub
        for f in os.listdir(d):
            try:
                got[f] = (d / f).read_bytes()
            except FileNotFoundError:  # moved on between listdir and read
                got[f] = ((inbox(s) / "done" / f).read_bytes()
                          if (inbox(s) / "done" / f).exists() else None)
    return got


def wait_for(pred, deadline_s, what, s=None):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached in {deadline_s}s" + ("\n" + s.output() if s else ""))


def send_and_check(s, n, size, deadline_s):
    sent = {}
    for i in range(n):
        bid = f"app-{i:04d}"
        data = application(s.instance, bid, padding=size + i)
        sent[bid] = data
        spool_put(s.instance / "dmz/spool/outbox", bid, data)
    wait_for(lambda: len(arrived(s)) >= n, deadline_s, f"{n} bundles in inbox", s)
    assert arrived(s) == sent  # every bundle, byte-identical, and nothing else
    return sent


def metrics(s, zone, daemon):
    base = s.lgwan if zone == "lgwan" else s.internet
    return s.get(f"{base}/api/_health/{daemon}").json()


@pytest.mark.parametrize("impair", [
    {},
    {"loss": 0.01, "seed": 2},
    {"loss": 0.05, "seed": 3},
    {"burst_enter": 0.02, "burst_exit": 0.3, "burst_loss": 0.9, "seed": 4},
    {"reorder": 0.05, "duplicate": 0.05, "seed": 5},
], ids=["clean", "loss1", "loss5", "bursts", "reorder-dup"])
def test_bundles_arrive_byte_identical_exactly_once(bridge, impair):
    start(bridge, **impair)
    send_and_check(bridge, 12, 20000, 60)
    h = metrics(bridge, "lgwan", "bridge-uplink-rx")
    assert h["status"] == "ok"
    assert "12 bundles stored" in h["checks"]["link"]["detail"]
    # officed imported each exactly once, and its receipts finished them on the DMZ side.
    wait_for(lambda: len(os.listdir(bridge.instance / "dmz/spool/outbox/done")) == 12, 60,
             "receipts for all 12", bridge)
    assert os.listdir(bridge.instance / "dmz/spool/outbox/work") == []


def test_heavy_loss_is_made_good_by_resending(bridge):
    # One pass of k=64 + m=16 survives at most 20% loss per block on average, so at
    # 20% random loss many blocks fail the first time: only resends can deliver.
    set_conf(bridge.instance / "etc/bridge-uplink-tx.conf", passes=1)
    start(bridge, loss=0.20, seed=6)
    send_and_check(bridge, 4, 60000, 90)
    assert "(resend" in bridge.output()


def test_forged_and_unattested_bundles_are_quarantined_not_stored(bridge):
    start(bridge)
    inst = bridge.instance
    forged = application(inst, "forged-1", key="lgwan/keys/office-signing.key")
    unattested = application(inst, "unattested-1",
                             attest_key="lgwan/keys/office-signing.key")
    spool_put(inst / "dmz/spool/outbox", "forged-1", forged)
    spool_put(inst / "dmz/spool/outbox", "unattested-1", unattested)
    spool_put(inst / "dmz/spool/outbox", "good-1", application(inst, "good-1"))
    wait_for(lambda: "good-1" in arrived(bridge), 30, "good bundle", bridge)
    q = inst / "lgwan/quarantine"
    wait_for(lambda: len([f for f in os.listdir(q) if f.endswith(".bundle")]) == 2, 30,
             "two quarantined bundles", bridge)
    assert sorted(arrived(bridge)) == ["good-1"]
    reasons = " ".join((q / f).read_text() for f in os.listdir(q) if f.endswith(".reason"))
    assert "signature" in reasons and "attestation" in reasons


def test_reply_bundles_are_verified_like_applications(bridge):
    start(bridge)
    inst = bridge.instance
    spool_put(inst / "dmz/spool/outbox", "reply-demo-20261122-000001-1",
              reply(inst, "reply-demo-20261122-000001-1"))
    spool_put(inst / "dmz/spool/outbox", "reply-demo-20261122-000001-2",
              reply(inst, "reply-demo-20261122-000001-2", reply_no=2,
                    attest_key="lgwan/keys/office-signing.key"))
    wait_for(lambda: "reply-demo-20261122-000001-1" in arrived(bridge), 30, "reply bundle", bridge)
    q = inst / "lgwan/quarantine"
    wait_for(lambda: len([f for f in os.listdir(q) if f.endswith(".bundle")]) == 1, 30,
             "the unattested reply quarantined", bridge)
    assert sorted(arrived(bridge)) == ["reply-demo-20261122-000001-1"]
    reasons = " ".join((q / f).read_text() for f in os.listdir(q) if f.endswith(".reason"))
    assert "attestation" in reasons


def test_receipt_on_the_downlink_finishes_the_delivered_bundle(bridge):
    start(bridge)
    inst = bridge.instance
    spool_put(inst / "dmz/spool/outbox", "app-r1", application(inst, "app-r1"))
    wait_for(lambda: "app-r1" in arrived(bridge), 30, "delivery", bridge)
    outbox = inst / "dmz/spool/outbox"
    # A receipt made by hand (as any office-signed receipt) finishes the bundle too.
    spool_put(inst / "lgwan/spool/downlink-out", "receipt-demo-1",
              receipt(inst, "receipt-demo-1", ["app-r1"]))
    wait_for(lambda: (outbox / "done" / "app-r1").exists(), 30, "receipt applied", bridge)
    assert not (outbox / "work" / "app-r1").exists()


def test_downlink_bundles_are_finished_by_the_internet_sides_receipts(bridge):
    """The downlink too is exactly-once: bridge-rx on the internet side signs receipts
    for what it stored (dmz-receipt key), the uplink carries them, and LGWAN's
    downlink sender stops resending. The receipt key signs receipts and nothing else."""
    set_conf(bridge.instance / "etc/bridge-downlink-rx.conf", receipt_interval_s=1)
    start(bridge)
    inst = bridge.instance
    out = inst / "lgwan/spool/downlink-out"
    spool_put(out, "status-demo-9", bundle(inst / "lgwan/keys/office-signing.key",
                                           "status-demo-9", "status",
                                           [("data/status.json", canonical({"format": "sekisho-status/1",
                                                                            "events": []}))]))
    wait_for(lambda: (out / "done" / "status-demo-9").exists(), 40,
             "the downlink bundle was not finished by a receipt", bridge)
    assert (inst / "dmz/spool/downlink-in/new/status-demo-9").exists() or \
        (inst / "dmz/spool/downlink-in/done/status-demo-9").exists()

    # An application signed with the receipt key is not a receipt: quarantined.
    forged = application(inst, "forged-by-receipt-key", key="dmz/keys/dmz-receipt.key")
    spool_put(inst / "dmz/spool/outbox", "forged-by-receipt-key", forged)
    q = inst / "lgwan/quarantine"
    wait_for(lambda: any(f.startswith("forged-by-receipt-key") and f.endswith(".reason")
                         for f in os.listdir(q)), 30, "forged bundle not quarantined", bridge)
    assert "forged-by-receipt-key" not in arrived(bridge)


def test_killed_tx_and_rx_lose_and_duplicate_nothing(bridge):
    """1,000 bundles; tx and rx are SIGKILLed at random moments while they flow."""
    import random
    rng = random.Random(8)
    start(bridge, loss=0.02, seed=7)
    inst = bridge.instance
    n = 1000
    sent = {f"k-{i:04d}": application(inst, f"k-{i:04d}", padding=rng.randint(100, 20000))
            for i in range(n)}
    kills = sorted(rng.sample(range(50, n - 50), 6))
    for i, (bid, data) in enumerate(sent.items()):
        spool_put(inst / "dmz/spool/outbox", bid, data)
        if kills and i == kills[0]:
            kills.pop(0)
            daemon = rng.choice([("dmz", "bridge-uplink-tx"), ("lgwan", "bridge-uplink-rx")])
            os.kill(metrics(bridge, *daemon)["pid"], signal.SIGKILL)
            bridge.wait_healthy((bridge.internet if daemon[0] == "dmz" else bridge.lgwan)
                                + "/api/_health/" + daemon[1])
    wait_for(lambda: len(arrived(bridge)) >= n, 240, f"{n} bundles", bridge)
    time.sleep(4)  # resends of already-stored bundles must not add copies
    assert arrived(bridge) == sent
    assert "killed by signal 9" in bridge.output()


def test_imported_once_into_the_tenant_database_and_receipted(bridge):
    import sqlite3
    start(bridge)
    inst = bridge.instance
    data = application(inst, "app-imp-1")
    spool_put(inst / "dmz/spool/outbox", "app-imp-1", data)
    outbox = inst / "dmz/spool/outbox"
    # The whole loop: uplink, import, office-signed receipt, downlink, finished.
    wait_for(lambda: (outbox / "done" / "app-imp-1").exists(), 60, "receipt", bridge)
    db = sqlite3.connect(inst / "lgwan/db/demo.sqlite")
    rows = db.execute("SELECT bundle_id, status, bundle_path FROM applications").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("app-imp-1", "arrived")]
    assert open(rows[0][2], "rb").read() == data  # stored whole, re-verifiable
    atts = db.execute("SELECT member FROM attachments").fetchall()
    assert atts == [("files/1.pdf",)]
    # The stored bundle passes the auditor's check.
    r = ctl(inst, "audit", "verify-bundle", rows[0][2], check=False)
    assert r.returncode == 0, r.stdout
    # Sent again (as after a lost receipt): stored once.
    spool_put(outbox, "app-imp-1b", data)  # same bytes, other spool id: quarantined as a
    time.sleep(3)                          # mismatch between name and signed id
    assert db.execute("SELECT count(*) FROM applications").fetchone()[0] == 1
    h = bridge.get(bridge.lgwan + "/api/healthz").json()
    assert "1 imported" in h["checks"]["import"]["detail"]


def test_reply_before_its_application_waits_and_is_imported_after_it(bridge):
    import sqlite3
    from bundles import attestation
    start(bridge)
    inst = bridge.instance
    outbox = inst / "dmz/spool/outbox"
    rid = "reply-demo-20261122-000002-1"
    spool_put(outbox, rid, reply(inst, rid, receipt_no="20261122-000002"))
    time.sleep(3)  # it reaches officed first, which has no application 20261122-000002
    db = sqlite3.connect(inst / "lgwan/db/demo.sqlite", timeout=10)
    assert db.execute("SELECT count(*) FROM application_replies").fetchone()[0] == 0
    pdf = b"%PDF-1.7 rebuilt\n"
    app = bundle(inst / "dmz/keys/sanitizer-signing.key", "app-demo-20261122-000002",
                 "application",
                 [("application.json", canonical({"receipt_no": "20261122-000002",
                                                  "procedure": {"id": "x", "version": 1}})),
                  ("files/1.pdf", pdf),
                  ("attestations/1.pdf.json", canonical(attestation(inst, pdf)))],
                 files=[{"file": "files/1.pdf", "attestation": "attestations/1.pdf.json"}])
    spool_put(outbox, "app-demo-20261122-000002", app)
    # Both imported and receipted; the reply is attached to its application.
    wait_for(lambda: (outbox / "done" / rid).exists() and
             (outbox / "done" / "app-demo-20261122-000002").exists(), 60, "receipts", bridge)
    rows = db.execute("SELECT r.bundle_id, r.from_status, r.to_status, a.receipt_no FROM"
                      " application_replies r JOIN applications a ON a.id = r.application_id"
                      ).fetchall()
    # Not in 補正: kept, no status change.
    assert rows == [(rid, "arrived", "arrived", "20261122-000002")]
    assert ctl(inst, "audit", "verify-store", check=False).returncode == 0
    detail = bridge.get(bridge.lgwan + "/api/healthz").json()["checks"]["import"]["detail"]
    assert "1 imported, 1 replies" in detail and " 0 deferred" not in detail, detail


def test_junk_datagrams_are_rejected_and_counted_by_reason(bridge):
    start(bridge)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dest = ("127.0.0.1", bridge.uplink_port)
    s.sendto(b"short", dest)                                   # shorter than a header
    s.sendto(b"XXXX" + bytes(200), dest)                       # not our magic
    forged = bytearray(b"SKBR\x01\x01\x00\x01" + bytes(56) + bytes(300))  # wrong key
    s.sendto(bytes(forged), dest)
    s.sendto(b"SKBR" + bytes(2000), dest)                      # over the datagram size
    s.close()
    time.sleep(1)
    r = ctl(bridge.instance, "bridge", "status", "--json")
    m = json.loads(r.stdout)["bridge-uplink-rx"]
    assert m["datagrams_rejected"] >= 4
    assert m["rejected_by_reason"].get("short") == 1
    assert m["rejected_by_reason"].get("magic") == 1
    assert m["rejected_by_reason"].get("auth", 0) + m["rejected_by_reason"].get("type", 0) >= 1
    assert m["bundles"]["stored"] == 0
    text = ctl(bridge.instance, "bridge", "status").stdout
    assert "bridge-uplink-rx" in text and "拒否" in text
