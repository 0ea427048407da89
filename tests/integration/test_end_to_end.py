"""The auditor's invariant, end to end through the real daemons of the dev stack: an
upload is sanitized in the internet zone, the submission is signed into a bundle,
crosses the one-way uplink, is verified twice and imported once in LGWAN, and the
office's receipt comes back down and finishes it. What reaches LGWAN is the
sanitizer's output, never the original."""
import hashlib
import json
import os
import sqlite3
import subprocess
import tarfile
import time

from bundles import bundle_request, spool_put
from conftest import ROOT, ctl
from test_sanitized_service import UnixHTTP, wait_result

CORPUS_SCRIPT = os.path.join(ROOT, "tests", "corpus", "make-pdf-samples.py")


def submit(inst, body):
    c = UnixHTTP(str(inst / "run/sanitized.sock"))
    c.request("POST", "/api/bundles", body=json.dumps(body).encode(),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, json.loads(r.read())


def wait(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(what)


def test_upload_to_lgwan_database_and_back(stack, tmp_path):
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx")
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    original = (tmp_path / "js-openaction.pdf").read_bytes()
    spool_put(inst / "dmz/spool/intake", "u-e2e-1", original)
    res, _ = wait_result(inst, "u-e2e-1")
    assert res["status"] == "clean"

    answers = {"name": "山田 太郎", "moving_to": "大阪府大阪市", "attachment": ["u-e2e-1"]}
    req = bundle_request(inst, "app-e2e-1", answers,
                         [{"upload": "u-e2e-1", "field": "attachment", "display_name": "届出.pdf"}])
    app = req["application"]
    status, body = submit(inst, req)
    assert status == 201 and body["bundle"] == "app-e2e-1"
    assert submit(inst, req)[0] == 200  # a retry is a no-op

    # Uplink, import, receipt, downlink: the DMZ side finishes the bundle.
    outbox = inst / "dmz/spool/outbox"
    wait(lambda: (outbox / "done" / "app-e2e-1").exists(), 60, "receipt did not come back")

    db = sqlite3.connect(inst / "lgwan/db/demo.sqlite")
    (app_json, path), = db.execute("SELECT application_json, bundle_path FROM applications")
    assert json.loads(app_json) == app
    with tarfile.open(path) as t:
        stored = t.extractfile("files/1.pdf").read()
        names = t.getnames()
    # LGWAN holds the sanitizer's output — exactly, by hash — and never the original.
    assert hashlib.sha256(stored).hexdigest() == res["output_sha256"]
    assert stored != original and b"/JavaScript" not in stored
    assert names == ["manifest.json", "manifest.sig", "application.json", "files/1.pdf",
                     "attestations/1.pdf.json"]
    for dirpath, _, files in os.walk(inst / "lgwan"):
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.isfile(p):
                assert original not in open(p, "rb").read(), p
    r = ctl(inst, "audit", "verify-bundle", path, check=False)
    assert r.returncode == 0, r.stdout

    # The auditor's report over everything stored, then after tampering.
    r = ctl(inst, "audit", "verify-store", check=False)
    assert r.returncode == 0 and "1 件の申請を再検証しました。不一致 0 件" in r.stdout, r.stdout
    data = bytearray(open(path, "rb").read())
    data[data.index(b"%PDF") + 20] ^= 1
    open(path, "wb").write(bytes(data))
    r = ctl(inst, "audit", "verify-store", check=False)
    assert r.returncode == 1 and "NG demo/app-e2e-1" in r.stdout and "不一致 1 件" in r.stdout


def test_submission_with_a_refused_or_unknown_upload_is_not_signed(stack):
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    spool_put(inst / "dmz/spool/intake", "u-bad", b"\x7fELF" + bytes(100))
    wait_result(inst, "u-bad")
    for upload in ("u-bad", "u-missing"):
        status, body = submit(inst, bundle_request(inst, f"app-{upload}",
                                                   {"name": "山田", "attachment": [upload]},
                                                   [{"upload": upload, "field": "attachment"}]))
        assert status == 409 and body["error"]["code"] == "upload_not_clean"
    # Form data the office's definition does not allow is never signed, nor is a
    # definition not signed by the office.
    bad = bundle_request(inst, "app-extra", {"name": "山田", "extra": "x"}, [])
    assert submit(inst, bad)[0] == 400
    forged = bundle_request(inst, "app-forged", {"name": "山田"}, [],
                            key="dmz/keys/sanitizer-signing.key")
    assert submit(inst, forged)[0] == 400
    status, body = submit(inst, {"id": "../x", "tenant": "demo", "application": {},
                                 "files": []})
    assert status == 400
    assert os.listdir(inst / "dmz/spool/outbox/new") == []
