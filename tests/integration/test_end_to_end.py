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

from bundles import E2E_DEFINITION, bundle_request, spool_put
from conftest import ROOT, ctl
from test_sanitized_service import submit, wait_result

CORPUS_SCRIPT = os.path.join(ROOT, "tests", "corpus", "make-pdf-samples.py")
# The same procedure with its own sanitizer policy allowing zip files.
E2E_DEFINITION_ZIP = dict(E2E_DEFINITION, sanitizer={"allow_archives": True})


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


def zip_of(members):
    import io
    import zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


def test_zip_of_a_pdf_and_a_jpeg_arrives_as_two_attested_files(stack, tmp_path):
    """A procedure that allows archives: the zip's members are sanitized each on its
    own and reach LGWAN as two files, each with the attestation that names the zip;
    a zip with one bad member is refused whole, and a procedure whose policy does
    not allow archives gets none signed."""
    import shutil
    import pytest
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx")
    pdf = open(os.path.join(ROOT, "tests", "corpus", "detect", "sample.pdf"), "rb").read()
    subprocess.run(["pdftoppm", "-jpeg", "-r", "30", "-singlefile",
                    os.path.join(ROOT, "tests", "corpus", "detect", "sample.pdf"),
                    str(tmp_path / "page")], check=True)
    jpg = (tmp_path / "page.jpg").read_bytes()
    z = zip_of([("申請/申請書.pdf", pdf), ("写真.jpg", jpg)])
    # The item's name carries the procedure's policy, as portald names it.
    spool_put(inst / "dmz/spool/intake", "u-e2e-zip.pa", z)
    res, _ = wait_result(inst, "u-e2e-zip")
    assert res["status"] == "clean" and res["method"] == "archive-extract", res
    assert [m["name"] for m in res["members"]] == ["申請/申請書.pdf", "写真.jpg"]

    allows = dict(E2E_DEFINITION_ZIP)
    answers = {"name": "山田 太郎", "attachment": ["u-e2e-zip"]}
    files = [{"upload": "u-e2e-zip", "field": "attachment", "display_name": "書類.zip"}]
    # A definition whose policy does not allow archives: nothing is signed.
    denies = dict(E2E_DEFINITION_ZIP, sanitizer={"allow_archives": False})
    status, body = submit(inst, bundle_request(inst, "app-e2e-nozip", answers, files,
                                               definition=denies))
    assert status == 400, body
    status, body = submit(inst, bundle_request(inst, "app-e2e-zip", answers, files,
                                               definition=allows))
    assert status == 201, body
    outbox = inst / "dmz/spool/outbox"
    wait(lambda: (outbox / "done" / "app-e2e-zip").exists(), 60, "receipt did not come back")

    db = sqlite3.connect(inst / "lgwan/db/demo.sqlite")
    (path,) = db.execute("SELECT bundle_path FROM applications").fetchone()
    rows = db.execute("SELECT member, display_name, field, attestation FROM attachments "
                      "ORDER BY id").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("files/1.pdf", "申請/申請書.pdf", "attachment"),
        ("files/2.png", "写真.jpg", "attachment")]
    zip_sha = hashlib.sha256(z).hexdigest()
    with tarfile.open(path) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        for i, (member, name, _, att) in enumerate(rows, 1):
            a = json.loads(att)["attestation"]
            assert a["archive"] == {"sha256": zip_sha, "size": len(z), "member": name,
                                    "index": i}
            stored = t.extractfile(member).read()
            assert hashlib.sha256(stored).hexdigest() == a["output"]["sha256"]
            assert hashlib.sha256(stored).hexdigest() == res["members"][i - 1]["output_sha256"]
    assert [f["archive"]["display_name"] for f in manifest["files"]] == ["書類.zip"] * 2
    assert z not in open(path, "rb").read()
    r = ctl(inst, "audit", "verify-bundle", path, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    r = ctl(inst, "audit", "verify-store", check=False)
    assert r.returncode == 0 and "不一致 0 件" in r.stdout, r.stdout

    # One bad member: the zip is refused whole, and cannot be submitted.
    spool_put(inst / "dmz/spool/intake", "u-e2e-zbad.pa",
              zip_of([("ok.pdf", pdf), ("tool.pdf", b"\x7fELF" + bytes(100))]))
    res, _ = wait_result(inst, "u-e2e-zbad")
    assert res["status"] == "rejected" and res["reason"] == "archive_member_refused"
    assert [m["status"] for m in res["members"]] == ["clean", "rejected"]
    status, body = submit(inst, bundle_request(
        inst, "app-e2e-zbad", {"name": "山田", "attachment": ["u-e2e-zbad"]},
        [{"upload": "u-e2e-zbad", "field": "attachment"}], definition=allows))
    assert status == 409 and body["error"]["code"] == "upload_not_clean"


def test_cp932_csv_arrives_in_lgwan_as_attested_utf8_csv(stack):
    """A citizen's Shift_JIS CSV is cleaned in the internet zone and reaches LGWAN as
    files/1.csv in UTF-8, its formula cell neutralised, its attestation verifying."""
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    stack.wait_healthy(stack.lgwan + "/api/_health/bridge-uplink-rx")
    original = "氏名,金額\r\n山田 太郎,-1500\r\n=HYPERLINK(\"http://x\"),10\r\n".encode("cp932")
    spool_put(inst / "dmz/spool/intake", "u-e2e-csv", original)
    res, _ = wait_result(inst, "u-e2e-csv")
    assert res["status"] == "clean" and res["method"] == "text-reencode", res
    assert res["output_type"] == "csv"

    definition = dict(E2E_DEFINITION, schema={"fields": [
        {"name": "name", "type": "text", "label": "氏名", "required": True},
        {"name": "attachment", "type": "file", "label": "添付", "accept": ["text"]}]})
    req = bundle_request(inst, "app-e2e-csv", {"name": "山田 太郎", "attachment": ["u-e2e-csv"]},
                         [{"upload": "u-e2e-csv", "field": "attachment",
                           "display_name": "名簿.csv"}], definition=definition)
    status, body = submit(inst, req)
    assert status == 201, body
    outbox = inst / "dmz/spool/outbox"
    wait(lambda: (outbox / "done" / "app-e2e-csv").exists(), 60, "receipt did not come back")

    db = sqlite3.connect(inst / "lgwan/db/demo.sqlite")
    (path,) = db.execute("SELECT bundle_path FROM applications").fetchone()
    (member,) = db.execute("SELECT member FROM attachments").fetchone()
    assert member == "files/1.csv"
    with tarfile.open(path) as t:
        stored = t.extractfile("files/1.csv").read()
        att = json.load(t.extractfile("attestations/1.csv.json"))["attestation"]
    assert stored.decode("utf-8") == ("氏名,金額\r\n山田 太郎,-1500\r\n"
                                      "'=HYPERLINK(\"http://x\"),10\r\n")
    assert hashlib.sha256(stored).hexdigest() == res["output_sha256"] == att["output"]["sha256"]
    assert att["method"] == "text-reencode" and att["output"]["type"] == "csv"
    r = ctl(inst, "audit", "verify-bundle", path, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
