"""Key rotation through the real dev stack (docs/key-rotation.md): after
`sekishoctl keys rotate`, what the sanitizer signed with the old key still imports
during the overlap and what it signs with the new key imports too; a rotated link key
keeps bundles crossing, with the receiver accepting both keys' frames; after the
overlap an old-key bundle is refused and quarantined with the key id named, while the
auditor still verifies what the old key signed."""
import hashlib
import json
import os
import shutil
import sqlite3
import time

from bundles import bundle, bundle_request, canonical, pubkey_hex, receipt, sign, spool_put
from conftest import ctl
from test_end_to_end import submit
from test_sanitized_service import UnixHTTP

PDF = b"%PDF-1.7 rebuilt for the rotation test\n"


def wait(pred, seconds, what, stack=None):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.3)
    raise AssertionError(what + ("\n" + stack.output()[-4000:] if stack else ""))


def imported(inst):
    path = inst / "lgwan/db/demo.sqlite"
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    try:
        return {r[0] for r in db.execute("SELECT bundle_id FROM applications")}
    except sqlite3.OperationalError:
        return set()
    finally:
        db.close()


def key_id(pub_pem):
    return hashlib.sha256(bytes.fromhex(pubkey_hex(str(pub_pem)))).hexdigest()[:16]


def signed_by(key, pub_pem, bundle_id, receipt_no):
    """An application bundle and its attestation, both signed with key (a private
    key file), naming pub_pem as the sanitizer key (docs/bundle-format.md)."""
    body = {
        "format": "sekisho-attestation/1",
        "input": {"sha256": hashlib.sha256(b"orig").hexdigest(), "size": 4, "type": "pdf"},
        "output": {"sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF), "type": "pdf"},
        "method": "pdf-render", "policy": "default",
        "engines": {"clamav": "1.4.6"}, "scan": {"input": "clean", "output": "clean"},
        "sanitized_at": "2026-11-22T00:00:00Z",
        "sanitizer_key": pubkey_hex(str(pub_pem)),
    }
    att = {"attestation": body, "signature": sign(key, canonical(body)).hex()}
    app = {"format": "sekisho-application/1", "receipt_no": receipt_no, "tenant": "demo",
           "procedure": {"id": "tenshutsu", "version": 1, "title": "転出届"},
           "submitted_at": "2026-11-22T10:00:00+09:00", "answers": {"name": "山田 太郎"}}
    members = [("application.json", canonical(app)), ("files/1.pdf", PDF),
               ("attestations/1.pdf.json", canonical(att))]
    return bundle(key, bundle_id, "application", members,
                  files=[{"file": "files/1.pdf", "attestation": "attestations/1.pdf.json",
                          "field": "attachment", "display_name": "届出.pdf"}])


def restart(stack):
    assert stack.stop() == 0, stack.output()[-3000:]
    stack.start()
    stack.wait_healthy(stack.internet + "/api/_health/sanitized", deadline_s=60)
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx", deadline_s=60)
    stack.wait_healthy(stack.lgwan + "/api/healthz", deadline_s=60)


def rx_health(stack):
    return stack.get(stack.lgwan + "/api/_health/bridge-uplink-rx").json()["checks"]


def rx_metrics(inst):
    c = UnixHTTP(str(inst / "run/bridge-uplink-rx.sock"))
    c.request("GET", "/api/metrics")
    return json.loads(c.getresponse().read())


def submit_ok(inst, bundle_id):
    status, body = submit(inst, bundle_request(inst, bundle_id, {"name": "山田 太郎"}, []))
    assert status == 201, body


def test_sanitizer_key_rotation_overlap_and_expiry(stack, tmp_path):
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized", deadline_s=60)
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx", deadline_s=60)
    submit_ok(inst, "app-before")
    wait(lambda: "app-before" in imported(inst), 60, "app-before not imported", stack)

    old_key, old_pub = tmp_path / "old-sanitizer.key", tmp_path / "old-sanitizer.pub"
    shutil.copy(inst / "dmz/keys/sanitizer-signing.key", old_key)
    shutil.copy(inst / "dmz/keys/sanitizer-signing.pub", old_pub)
    os.chmod(old_key, 0o600)
    old_id = key_id(old_pub)
    r = ctl(inst, "keys", "rotate", "sanitizer-signing", "--overlap", "7")
    new_id = key_id(inst / "lgwan/keys/sanitizer-signing.pub")
    assert new_id != old_id and new_id in r.stdout
    # Same holder and mode as the key it replaced; the old public key is in the ring.
    assert oct(os.stat(inst / "dmz/keys/sanitizer-signing.key").st_mode & 0o777) == "0o600"
    ring = json.loads((inst / "lgwan/keys/retired/sanitizer-signing.json").read_text())
    assert [e["id"] for e in ring["retired"]] == [old_id]
    listing = ctl(inst, "keys", "list").stdout
    assert new_id in listing and old_id in listing and "重複期間中" in listing

    restart(stack)
    assert new_id in rx_health(stack)["key.sanitizer-public"]["detail"]
    # Signed with the new key by the restarted sanitizer, and with the old key (a
    # bundle made before the restart, still in flight): both import.
    submit_ok(inst, "app-after")
    spool_put(inst / "dmz/spool/outbox", "app-old-in-overlap",
              signed_by(old_key, old_pub, "app-old-in-overlap", "20261122-000091"))
    wait(lambda: {"app-after", "app-old-in-overlap"} <= imported(inst), 60,
         "bundles signed with the new and the retired key were not both imported", stack)

    # The overlap ends (the ring's not_after in the past): the old key is refused at
    # the gate and the bundle quarantined, naming the key.
    ring["retired"][0]["retired_at"] = "2026-01-01T00:00:00Z"
    ring["retired"][0]["not_after"] = "2026-01-08T00:00:00Z"
    (inst / "lgwan/keys/retired/sanitizer-signing.json").write_text(json.dumps(ring))
    restart(stack)
    spool_put(inst / "dmz/spool/outbox", "app-old-expired",
              signed_by(old_key, old_pub, "app-old-expired", "20261122-000092"))
    q = inst / "lgwan/quarantine"
    wait(lambda: any(f.startswith("app-old-expired") and f.endswith(".reason")
                     for f in os.listdir(q)), 60, "expired-key bundle not quarantined", stack)
    reason = "".join((q / f).read_text() for f in os.listdir(q)
                     if f.startswith("app-old-expired") and f.endswith(".reason"))
    assert old_id in reason and "overlap ended" in reason, reason
    assert "app-old-expired" not in imported(inst)
    assert "期限切れ" in ctl(inst, "keys", "list").stdout

    # The auditor verifies everything stored, old key included, years later.
    r = ctl(inst, "audit", "verify-store", check=False)
    assert r.returncode == 0 and "不一致 0 件" in r.stdout, r.stdout


def test_link_key_rotation_keeps_bundles_crossing(stack, tmp_path):
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized", deadline_s=60)
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx", deadline_s=60)
    old = (inst / "dmz/keys/uplink.key").read_bytes()
    ctl(inst, "keys", "rotate", "uplink-link")
    new = (inst / "dmz/keys/uplink.key").read_bytes()
    assert new != old and (inst / "lgwan/keys/uplink.key").read_bytes() == new
    st = os.stat(inst / "lgwan/keys/retired/uplink.json")
    assert st.st_mode & 0o077 == 0

    # The sender not yet switched (its old key still in use): the receiver, restarted
    # with the ring, opens its frames under the retired key.
    (inst / "dmz/keys/uplink.key").write_bytes(old)
    restart(stack)
    assert "1 retired" in rx_health(stack)["key.link"]["detail"]
    submit_ok(inst, "app-link-old")
    wait(lambda: "app-link-old" in imported(inst), 60, "bundle under the old link key", stack)
    assert rx_metrics(inst)["datagrams_retired_key"] > 0

    # The sender on the new key: bundles cross with no retired-key frames.
    (inst / "dmz/keys/uplink.key").write_bytes(new)
    restart(stack)
    submit_ok(inst, "app-link-new")
    wait(lambda: "app-link-new" in imported(inst), 60, "bundle under the new link key", stack)
    m = rx_metrics(inst)
    assert m["datagrams_accepted"] > 0 and m["datagrams_retired_key"] == 0


def test_rotation_refuses_keys_this_host_does_not_make_and_bad_bundles(instance, tmp_path):
    inst, _, _ = instance
    # A DMZ-only host: rotating office-signing belongs to LGWAN.
    dmz = tmp_path / "dmz-host"
    shutil.copytree(inst, dmz, symlinks=True)
    shutil.rmtree(dmz / "lgwan")
    r = ctl(dmz, "keys", "rotate", "office-signing", check=False)
    assert r.returncode == 1 and "rotate it on the LGWAN host" in r.stderr
    lgwan = tmp_path / "lgwan-host"
    shutil.copytree(inst, lgwan, symlinks=True)
    shutil.rmtree(lgwan / "dmz")
    out = tmp_path / "san.rotation"
    r = ctl(dmz, "keys", "rotate", "sanitizer-signing", "--out", str(out))
    fpr = r.stdout.split("指紋 (SHA-256): ")[1].split()[0]
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    # Altered in transit: refused, nothing installed.
    bad = tmp_path / "bad.rotation"
    data = bytearray(out.read_bytes())
    data[data.index(b'"new":"') + 8] ^= 1
    bad.write_bytes(bytes(data))
    before = (lgwan / "lgwan/keys/sanitizer-signing.pub").read_bytes()
    r = ctl(lgwan, "keys", "import-rotation", str(bad), check=False)
    assert r.returncode == 1 and "altered" in r.stderr
    assert (lgwan / "lgwan/keys/sanitizer-signing.pub").read_bytes() == before
    r = ctl(lgwan, "keys", "import-rotation", "--expect", fpr, str(out))
    assert (lgwan / "lgwan/keys/sanitizer-signing.pub").read_bytes() == \
        (dmz / "dmz/keys/sanitizer-signing.pub").read_bytes()
    # Imported twice: a no-op. A second rotation skipped over: refused.
    assert "取り込み済み" in ctl(lgwan, "keys", "import-rotation", str(out)).stdout
    ctl(dmz, "keys", "rotate", "sanitizer-signing", "--out", str(tmp_path / "2.rotation"))
    ctl(dmz, "keys", "rotate", "sanitizer-signing", "--out", str(tmp_path / "3.rotation"))
    r = ctl(lgwan, "keys", "import-rotation", str(tmp_path / "3.rotation"), check=False)
    assert r.returncode == 1 and "in the order" in r.stderr
    ctl(lgwan, "keys", "import-rotation", str(tmp_path / "2.rotation"))
    ctl(lgwan, "keys", "import-rotation", str(tmp_path / "3.rotation"))
    ring = json.loads((lgwan / "lgwan/keys/retired/sanitizer-signing.json").read_text())
    assert len(ring["retired"]) == 3


def test_office_key_rotation_keeps_old_procedure_signatures_for_the_overlap(stack, tmp_path):
    """Procedure definitions are signed at publication (lib/procsig.h): one signed with
    the old office key is still accepted by the sanitizer during the overlap, and
    refused after it."""
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized", deadline_s=60)
    old = tmp_path / "old-office.key"
    shutil.copy(inst / "lgwan/keys/office-signing.key", old)
    os.chmod(old, 0o600)
    ctl(inst, "keys", "rotate", "office-signing", "--overlap", "3")
    ring_path = inst / "dmz/keys/retired/office-signing.json"
    ring = json.loads(ring_path.read_text())
    assert len(ring["retired"]) == 1
    restart(stack)
    req = bundle_request(inst, "app-old-def", {"name": "山田 太郎"}, [], key=str(old))
    assert submit(inst, req)[0] == 201
    req = bundle_request(inst, "app-new-def", {"name": "山田 太郎"}, [])
    assert submit(inst, req)[0] == 201

    ring["retired"][0]["retired_at"] = "2026-01-01T00:00:00Z"
    ring["retired"][0]["not_after"] = "2026-01-04T00:00:00Z"
    ring_path.write_text(json.dumps(ring))
    restart(stack)
    req = bundle_request(inst, "app-old-def-2", {"name": "山田 太郎"}, [], key=str(old))
    assert submit(inst, req)[0] == 400


def test_receipt_key_rotation_keeps_the_downlink_finishing(stack, tmp_path):
    """The DMZ receipt key (keys rotate dmz-receipt): receipts signed with the retired
    key still finish downlink bundles during the overlap, the rotated downlink
    receiver signs with the new one, and after the overlap an old-key receipt is
    quarantined, never applied."""
    inst = stack.instance
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx", deadline_s=60)
    old_key = tmp_path / "old-receipt.key"
    shutil.copy(inst / "dmz/keys/dmz-receipt.key", old_key)
    os.chmod(old_key, 0o600)
    # Copies: pubkey_hex caches by path.
    shutil.copy(inst / "lgwan/keys/dmz-receipt.pub", tmp_path / "old-receipt.pub")
    old_id = key_id(tmp_path / "old-receipt.pub")
    ctl(inst, "keys", "rotate", "dmz-receipt", "--overlap", "7")
    shutil.copy(inst / "lgwan/keys/dmz-receipt.pub", tmp_path / "new-lgwan.pub")
    shutil.copy(inst / "dmz/keys/dmz-receipt.pub", tmp_path / "new-dmz.pub")
    new_id = key_id(tmp_path / "new-lgwan.pub")
    assert new_id != old_id and key_id(tmp_path / "new-dmz.pub") == new_id
    ring_path = inst / "lgwan/keys/retired/dmz-receipt.json"
    ring = json.loads(ring_path.read_text())
    assert [e["id"] for e in ring["retired"]] == [old_id]
    restart(stack)

    # A receipt signed before the rotation (still on its way) is applied.
    before = rx_metrics(inst)["bundles"]
    spool_put(inst / "dmz/spool/outbox", "receipt-old-key",
              receipt(inst, "receipt-old-key", ["status-gone-1"], key=str(old_key)))
    wait(lambda: rx_metrics(inst)["bundles"]["receipts"] > before["receipts"], 60,
         "a receipt under the retired key was not applied", stack)
    assert rx_metrics(inst)["bundles"]["quarantined"] == before["quarantined"]

    # The restarted downlink receiver signs with the new key: a downlink bundle is
    # finished by its receipt.
    out = inst / "lgwan/spool/downlink-out"
    spool_put(out, "status-demo-rot", bundle(inst / "lgwan/keys/office-signing.key",
                                             "status-demo-rot", "status",
                                             [("data/status.json", canonical(
                                                 {"format": "sekisho-status/1", "events": []}))]))
    wait(lambda: (out / "done" / "status-demo-rot").exists(), 90,
         "a downlink bundle was not finished by a new-key receipt", stack)

    # The overlap over: an old-key receipt is quarantined and applies nothing.
    ring["retired"][0]["retired_at"] = "2026-01-01T00:00:00Z"
    ring["retired"][0]["not_after"] = "2026-01-08T00:00:00Z"
    ring_path.write_text(json.dumps(ring))
    restart(stack)
    before = rx_metrics(inst)["bundles"]
    spool_put(inst / "dmz/spool/outbox", "receipt-old-expired",
              receipt(inst, "receipt-old-expired", ["status-gone-2"], key=str(old_key)))
    q = inst / "lgwan/quarantine"
    wait(lambda: any(f.startswith("receipt-old-expired") and f.endswith(".reason")
                     for f in os.listdir(q)), 60, "an expired-key receipt was not quarantined",
         stack)
    assert rx_metrics(inst)["bundles"]["receipts"] == before["receipts"]
