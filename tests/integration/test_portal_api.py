"""The citizen portal's public API through the internet-zone lighttpd, with the whole
dev stack behind it: the catalogue arrives over the downlink, uploads are sanitized,
a submission is durable and idempotent, its status can be looked up, and it travels
to LGWAN as a sanitizer-signed bundle."""
import glob
import hashlib
import os
import sqlite3
import subprocess
import time
import uuid

import pytest
import requests

from conftest import ROOT, ctl
from test_sanitized_service import EICAR

CORPUS_SCRIPT = os.path.join(ROOT, "tests", "corpus", "make-pdf-samples.py")
SAMPLES = sorted(glob.glob(os.path.join(ROOT, "provisioning", "catalogue", "demo", "*.json")))


def wait(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(what)


@pytest.fixture
def portal(stack):
    """The stack with the sample catalogue published on LGWAN and delivered."""
    r = ctl(stack.instance, "catalogue", "publish", "demo", *SAMPLES)
    assert "bundle catalogue-demo-" in r.stdout
    subprocess.run([os.path.join(ROOT, "provisioning", "postal", "import-postal.sh"),
                    "--ken-all", os.path.join(ROOT, "tests", "fixtures", "postal", "KEN_ALL.CSV"),
                    "--out", str(stack.instance / "dmz" / "postal" / "postal.sqlite")],
                   check=True, capture_output=True)
    stack.start()
    api = stack.internet + "/api/v1/demo"

    def listed():
        try:
            r = requests.get(api + "/procedures", timeout=2)
            return r.status_code == 200 and len(r.json()["procedures"]) == len(SAMPLES)
        except requests.RequestException:
            return False
    try:
        wait(listed, 60, "the catalogue did not arrive over the downlink")
    except AssertionError:
        print(stack.output())
        raise
    stack.api = api
    return stack


@pytest.fixture
def stack(instance):
    # Started by the portal fixture, after the catalogue is in downlink-out.
    from conftest import Stack
    inst, ports, _ = instance
    s = Stack(inst, ports)
    yield s
    s.kill_everything()


def upload(api, name, data, **params):
    return requests.post(api + "/uploads", params=params, files={"file": (name, data)},
                         timeout=30)


def wait_verdict(api, upload_id):
    def final():
        r = requests.get(f"{api}/uploads/{upload_id}", timeout=5)
        assert r.status_code == 200
        return r.json() if r.json()["state"] != "pending" else None
    return wait(final, 90, f"upload {upload_id} was not sanitized")


def submit(api, proc, body, key=None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return requests.post(f"{api}/procedures/{proc}/applications", json=body,
                         headers=headers, timeout=30)


def test_catalogue_from_the_downlink(portal):
    api = portal.api
    r = requests.get(api + "/procedures", timeout=5)
    body = r.json()
    ids = [p["id"] for p in body["procedures"]]
    assert ids == ["demo-inquiry", "jidou-teate", "kyufukin-shinsei", "jumin-hyo"]
    assert "子育て" in body["categories"] and "出産" in body["life_events"]
    first = body["procedures"][0]
    assert first["title"] == "お問い合わせ・届出のサンプル"
    assert first["reception"]["state"] == "open"
    assert first["url"].endswith("/demo/procedures/demo-inquiry")

    assert [p["id"] for p in requests.get(api + "/procedures", params={"q": "手当"},
                                          timeout=5).json()["procedures"]] == ["jidou-teate"]
    assert [p["id"] for p in requests.get(api + "/procedures", params={"life_event": "出産"},
                                          timeout=5).json()["procedures"]] == ["jidou-teate",
                                                                               "kyufukin-shinsei"]
    assert {p["id"]: p["identity"] for p in body["procedures"]}["kyufukin-shinsei"] == "account"
    # 手数料: its items as published (the office adds up the same with lib/fee.c).
    jumin = requests.get(api + "/procedures/jumin-hyo", timeout=5).json()
    assert jumin["fee"]["items"] == [{"label": "住民票の写し", "amount": 300, "quantity_field": "copies"}]
    # A form to download (様式): listed by name, type, size and hash; the bytes are
    # those of the repository's file, carried in the office-signed bundle.
    form, image = jumin["files"]
    assert image["use"] == "image" and image["type"] == "png" and image["alt"]
    r = requests.get(portal.internet + image["url"], timeout=5)
    assert r.headers["Content-Type"] == "image/png" and r.headers["Content-Disposition"].startswith("inline;")
    local = open(os.path.join(ROOT, "provisioning/catalogue/demo/files/jumin-hyo-seikyusho.pdf"), "rb").read()
    assert (form["name"], form["type"], form["size"]) == ("住民票請求書.pdf", "pdf", len(local))
    assert form["sha256"] == hashlib.sha256(local).hexdigest() and "path" not in form
    r = requests.get(portal.internet + form["url"], timeout=5)
    assert r.status_code == 200 and r.content == local
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E4%BD%8F%E6%B0%91%E7%A5%A8" in r.headers["Content-Disposition"]
    for bad in ("3", "0", "x", "99999"):
        assert requests.get(f"{api}/procedures/jumin-hyo/files/{bad}", timeout=5).status_code == 404
    assert requests.get(f"{api}/procedures/demo-inquiry/files/1", timeout=5).status_code == 404
    one = requests.get(api + "/procedures/demo-inquiry", timeout=5).json()
    assert [f["name"] for f in one["schema"]["fields"]] == ["name", "email", "body", "attachment"]

    r = requests.get(api + "/procedures/no-such", timeout=5)
    assert r.status_code == 404 and "見つかりません" in r.json()["error"]["message"]
    assert requests.get(portal.internet + "/api/v1/nowhere/procedures", timeout=5).status_code == 404
    # Applied once, recorded by bundle id.
    db = sqlite3.connect(portal.instance / "dmz/db/demo.sqlite")
    assert db.execute("SELECT count(*) FROM downlink_applied WHERE kind = 'catalogue'").fetchone()[0] == 1


def test_uploads_are_sanitized_and_refusals_explained(portal, tmp_path):
    api = portal.api
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    pdf = (tmp_path / "benign-text.pdf").read_bytes()

    r = upload(api, "申請書.pdf", pdf, procedure="demo-inquiry", field="attachment")
    assert r.status_code == 202, r.text
    up = r.json()
    assert up["state"] == "pending" and len(up["upload_id"]) == 32
    assert up["display_name"] == "申請書.pdf"
    v = wait_verdict(api, up["upload_id"])
    assert v["state"] == "clean" and v["pages"] >= 1 and v["type"] == "pdf"
    # The first page, small, made from the sanitizer's pixels (never the original).
    pv = requests.get(portal.internet + v["preview_url"], timeout=5)
    assert pv.status_code == 200 and pv.headers["Content-Type"] == "image/png"
    assert pv.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(pv.content[16:20], "big"), int.from_bytes(pv.content[20:24], "big")
    assert max(width, height) <= 320 and min(width, height) > 0

    r = upload(api, "virus.pdf", pdf.replace(b"%%EOF", EICAR + b"\n%%EOF"))
    v = wait_verdict(api, r.json()["upload_id"])
    assert v["state"] == "rejected" and v["reason"] == "malware"
    assert requests.get(f"{api}/uploads/{r.json()['upload_id']}/preview", timeout=5).status_code == 404
    assert "ウイルス" in v["message"] or "マルウェア" in v["message"], v

    # A field that takes only PDF and images refuses a text file the sanitizer passed.
    r = upload(api, "memo.txt", "メモです。\n".encode() * 10, procedure="jidou-teate",
               field="insurance_card")
    # (The sanitizer passes it as text now: the field's accept list is what refuses it.)
    v = wait_verdict(api, r.json()["upload_id"])
    assert v["state"] == "rejected" and v["reason"] == "type_not_allowed", v

    # Over the field's per-file limit (10 MiB): stopped while streaming.
    r = upload(api, "big.pdf", b"%PDF-1.4\n" + bytes(11 * 1024 * 1024),
               procedure="demo-inquiry", field="attachment")
    assert r.status_code == 413
    assert requests.get(f"{api}/uploads/{'0' * 32}", timeout=5).status_code == 404
    assert requests.get(f"{api}/uploads/../../etc", timeout=5).status_code == 404
    r = requests.post(api + "/uploads", files={"other": ("x", b"x")}, timeout=5)
    assert r.status_code == 400


def test_submission_is_durable_idempotent_and_travels_to_lgwan(portal, tmp_path):
    api, inst = portal.api, portal.instance
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    up = upload(api, "写真.pdf", (tmp_path / "benign-text.pdf").read_bytes(),
                procedure="demo-inquiry", field="attachment").json()
    assert wait_verdict(api, up["upload_id"])["state"] == "clean"

    r = requests.post(f"{api}/procedures/demo-inquiry/applications", json={}, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["code"] == "idempotency_key_required"

    r = submit(api, "demo-inquiry", {"answers": {"email": "not-an-address", "extra": "x"}})
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert set(errs) >= {"name", "email", "extra"}
    assert [e["path"] for e in r.json()["error_list"]][0] == "name"

    body = {"answers": {"name": "山田 太郎", "email": "taro@example.jp", "body": "よろしくお願いします。"},
            "uploads": {"attachment": [up["upload_id"]]},
            "status_password": "correct horse battery"}
    key = uuid.uuid4().hex
    r = submit(api, "demo-inquiry", body, key)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    assert len(receipt) == 15 and receipt[8] == "-"
    # A retry (the reply was lost) gets the same 到達番号; another body with the key is refused.
    r2 = submit(api, "demo-inquiry", body, key)
    assert r2.status_code == 201 and r2.json()["receipt_no"] == receipt
    other = dict(body, answers=dict(body["answers"], name="別人"))
    assert submit(api, "demo-inquiry", other, key).status_code == 409

    # Durable: it is in the database the moment 201 was sent.
    db = sqlite3.connect(inst / "dmz/db/demo.sqlite")
    (n,) = db.execute("SELECT count(*) FROM applications WHERE receipt_no = ?", (receipt,)).fetchone()
    assert n == 1

    r = requests.get(f"{api}/applications/{receipt}",
                     params={"status_password": "correct horse battery"}, timeout=10)
    assert r.status_code == 200
    st = r.json()
    assert st["status"] == "arrived" and st["status_label"] == "到達"
    assert st["history"][0]["label"] == "到達"
    assert st["procedure"]["title"] == "お問い合わせ・届出のサンプル"
    bad = requests.get(f"{api}/applications/{receipt}", params={"status_password": "wrong one!"},
                       timeout=10)
    unknown = requests.get(f"{api}/applications/20000101-000001",
                           params={"status_password": "correct horse battery"}, timeout=10)
    assert bad.status_code == unknown.status_code == 404
    assert bad.json()["error"]["message"] == unknown.json()["error"]["message"]

    # The forwarder has the sanitizer sign it; the uplink carries it to LGWAN.
    bundle = f"app-demo-{receipt}"
    lg = inst / "lgwan/db/demo.sqlite"

    def imported():
        c = sqlite3.connect(lg)
        try:
            return c.execute("SELECT application_json FROM applications WHERE bundle_id = ?",
                             (bundle,)).fetchone()
        finally:
            c.close()
    (app_json,) = wait(imported, 90, f"{bundle} did not reach LGWAN")
    assert "山田 太郎" in app_json and "correct horse" not in app_json
    (state,) = db.execute("SELECT forward_state FROM applications WHERE receipt_no = ?",
                          (receipt,)).fetchone()
    assert state == "forwarded"


def test_an_upload_past_its_keeping_period_is_refused(portal, tmp_path):
    api = portal.api
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    up = upload(api, "申請書.pdf", (tmp_path / "benign-text.pdf").read_bytes(),
                procedure="demo-inquiry", field="attachment").json()
    assert wait_verdict(api, up["upload_id"])["state"] == "clean"
    # 32 days ago: past upload_ttl_days (31), the sanitizer may have aged it out.
    db = sqlite3.connect(portal.instance / "dmz/db/demo.sqlite", timeout=10)
    with db:
        db.execute("UPDATE uploads SET created_at = created_at - 32 * 86400 WHERE id = ?",
                   (up["upload_id"],))
    db.close()
    v = requests.get(f"{api}/uploads/{up['upload_id']}", timeout=5).json()
    assert v["state"] == "rejected" and v["reason"] == "expired"
    assert "もう一度添付してください" in v["message"]
    body = {"answers": {"name": "山田 太郎", "email": "taro@example.jp", "body": "古い添付です。"},
            "uploads": {"attachment": [up["upload_id"]]}}
    r = submit(api, "demo-inquiry", body)
    assert r.status_code == 422 and "attachment" in r.json()["errors"], r.text


def test_a_full_quota_option_is_listed_and_refused(portal):
    api = portal.api
    one = requests.get(api + "/procedures/jidou-teate", timeout=5).json()
    assert one["full_options"] == []
    # Ten reservations of 12月1日 (its quota): the count the submissions keep.
    db = sqlite3.connect(portal.instance / "dmz/db/demo.sqlite", timeout=10)
    with db:
        db.execute("INSERT INTO quota_counts (procedure_id, field, value, n) "
                   "VALUES ('jidou-teate', 'consultation', 'd1', 10)")
    db.close()
    one = requests.get(api + "/procedures/jidou-teate", timeout=5).json()
    assert one["full_options"] == [{"path": "consultation", "value": "d1"}]
    # The page hides it; a client that sends it anyway is refused by the server.
    r = submit(api, "jidou-teate", {"answers": {"consultation": "d1"}})
    assert r.status_code == 422
    assert "上限に達した" in r.json()["errors"]["consultation"]
    r = submit(api, "jidou-teate", {"answers": {"consultation": "d2"}})
    assert r.status_code == 422 and "consultation" not in r.json()["errors"]


def test_closed_and_unknown_procedures_refuse_submissions(portal):
    api = portal.api
    r = submit(api, "no-such", {"answers": {}})
    assert r.status_code == 404
    # An unclean upload id cannot be referenced.
    r = submit(api, "demo-inquiry", {"answers": {"name": "山田"},
                                     "uploads": {"attachment": ["f" * 32]}})
    assert r.status_code == 422
    assert "見つかりません" in r.json()["errors"]["attachment"]


def test_postal_lookup_and_qr_codes(portal, tmp_path):
    api = portal.api
    r = requests.get(api + "/postal-codes/１００－０００１", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["postal_code"] == "100-0001"
    assert body["addresses"][0]["prefecture"] == "東京都"
    assert body["addresses"][0]["city"] == "千代田区"
    assert requests.get(api + "/postal-codes/12345", timeout=5).status_code == 400
    assert requests.get(api + "/postal-codes/9999999", timeout=5).json()["addresses"] == []

    png = requests.get(api + "/procedures/demo-inquiry/qr.png", timeout=5)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    (tmp_path / "qr.png").write_bytes(png.content)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded == f"{portal.internet}/demo/procedures/demo-inquiry"
    svg = requests.get(api + "/procedures/demo-inquiry/qr.svg", timeout=5)
    assert svg.status_code == 200 and "<svg" in svg.text[:200]
    assert "お問い合わせ・届出のサンプル" in svg.text
    assert requests.get(api + "/procedures/no-such/qr.png", timeout=5).status_code == 404


@pytest.fixture
def mailbox(instance, tmp_path):
    """A real SMTP server on loopback (aiosmtpd) that portald delivers to."""
    inst, _, _ = instance
    box = tmp_path / "mailbox"
    box.mkdir()
    srv = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "tools", "smtp_capture.py"),
                            "--dir", str(box)], stdout=subprocess.PIPE, text=True)
    port = int(srv.stdout.readline())
    with open(inst / "etc" / "portald.conf", "a") as f:
        f.write(f"smtp_url = smtp://127.0.0.1:{port}\nmail_from = noreply@city.example.lg.jp\n"
                "mail_domain = city.example.lg.jp\n")
    yield box
    srv.terminate()
    srv.wait()


def read_mail(box, n, seconds=30):
    import email
    import email.policy
    import json as _json

    def arrived():
        files = sorted(p for p in box.iterdir() if not p.name.startswith("."))
        return files if len(files) >= n else None
    files = wait(arrived, seconds, f"{n} email(s) did not arrive")
    out = []
    for p in files:
        rec = _json.loads(p.read_text())
        msg = email.message_from_string(rec["data"], policy=email.policy.default)
        out.append((rec["rcpt_tos"], str(msg["Subject"]), msg.get_content()))
    return out


def test_arrival_and_status_emails(mailbox, portal):
    from bundles import bundle, canonical, spool_put
    api, inst = portal.api, portal.instance
    body = {"answers": {"name": "山田 花子", "email": "hanako@example.jp"},
            "status_password": "hanako-no-password"}
    r = submit(api, "demo-inquiry", body)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    # Without an address, no email (and no error).
    assert submit(api, "demo-inquiry", {"answers": {"name": "名無し"}}).status_code == 201

    (rcpt, subject, text), = read_mail(mailbox, 1)
    assert rcpt == ["hanako@example.jp"]
    assert subject == "【到達のお知らせ】お問い合わせ・届出のサンプル"
    assert receipt in text and "/demo/status" in text

    # LGWAN completes it: an office-signed status bundle on the downlink.
    members = [("data/status.json", canonical({"format": "sekisho-status/1", "events": [
        {"receipt_no": receipt, "status": "accepted", "at": "2026-11-22T10:00:00+09:00"},
        {"receipt_no": receipt, "status": "completed", "at": "2026-11-22T11:00:00+09:00",
         "message": "手続が完了しました。"}]}))]
    data = bundle(inst / "lgwan/keys/office-signing.key", "status-demo-1", "status", members)
    spool_put(inst / "dmz/spool/downlink-in", "status-demo-1", data)
    # A forged one (signed with the sanitizer's key) is quarantined, not applied.
    forged = bundle(inst / "dmz/keys/sanitizer-signing.key", "status-demo-2", "status", members)
    spool_put(inst / "dmz/spool/downlink-in", "status-demo-2", forged)

    def completed():
        r = requests.get(f"{api}/applications/{receipt}",
                         params={"status_password": "hanako-no-password"}, timeout=10)
        return r.json() if r.json()["status"] == "completed" else None
    st = wait(completed, 30, "the status events were not applied")
    assert [h["label"] for h in st["history"]] == ["到達", "受付", "完了"]
    assert st["history"][-1]["message"] == "手続が完了しました。"
    mails = read_mail(mailbox, 2)
    # "accepted" is not in notify.events; "completed" has the procedure's own words
    # (notify.templates), with the fixed part (到達番号, the status page) kept.
    assert len(mails) == 2
    assert mails[1][1] == f"【回答完了】お問い合わせ・届出のサンプル（到達番号 {receipt}）"
    assert mails[1][2].startswith("「お問い合わせ・届出のサンプル」でお送りいただいた内容への対応が完了しました。")
    assert receipt in mails[1][2] and "/demo/status" in mails[1][2]
    wait(lambda: (inst / "dmz/quarantine/status-demo-2").exists(), 10, "forged bundle not quarantined")


def test_a_zip_upload_lists_its_members_and_reaches_lgwan_as_files(portal, instance, tmp_path):
    """A procedure whose own policy allows archives: portald names the policy with the
    upload, the citizen sees each member with its first page (or why one was
    refused), the field's types apply to every member, and the members reach LGWAN
    as attested files of their own."""
    import io
    import json
    import shutil
    import zipfile
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    api, inst = portal.api, portal.instance
    proc = json.load(open(os.path.join(ROOT, "provisioning/catalogue/demo/demo-inquiry.json")))
    proc.update(id="demo-zip", title="zip を受け付ける手続", sanitizer={"allow_archives": True})
    proc["schema"]["fields"][3]["accept"] = ["pdf", "image"]
    extra = tmp_path / "demo-zip.json"
    extra.write_text(json.dumps(proc, ensure_ascii=False))
    # And one whose own policy keeps Office files but takes no zip.
    nozip = tmp_path / "demo-nozip.json"
    nozip.write_text(json.dumps(dict(proc, id="demo-nozip", sanitizer={"keep_ooxml": True}),
                                ensure_ascii=False))
    ctl(inst, "catalogue", "publish", "demo", *SAMPLES, str(extra), str(nozip))
    wait(lambda: requests.get(api + "/procedures/demo-nozip", timeout=2).status_code == 200, 60,
         "demo-zip did not arrive over the downlink")

    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    pdf = (tmp_path / "benign-text.pdf").read_bytes()
    subprocess.run(["pdftoppm", "-jpeg", "-r", "30", "-singlefile", str(tmp_path / "benign-text.pdf"),
                    str(tmp_path / "page")], check=True)

    def zip_of(members):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members:
                z.writestr(name, data)
        return b.getvalue()
    good = zip_of([("申請/申請書.pdf", pdf), ("写真.jpg", (tmp_path / "page.jpg").read_bytes())])

    # The same zip for a procedure without the policy is refused as an archive.
    v = wait_verdict(api, upload(api, "書類.zip", good, procedure="demo-inquiry",
                                 field="attachment").json()["upload_id"])
    assert v["state"] == "rejected" and v["reason"] == "archive_not_allowed", v

    up = upload(api, "書類.zip", good, procedure="demo-zip", field="attachment").json()
    v = wait_verdict(api, up["upload_id"])
    assert v["state"] == "clean" and v["type"] == "zip", v
    assert [m["name"] for m in v["members"]] == ["申請/申請書.pdf", "写真.jpg"]
    for m in v["members"]:
        assert m["status"] == "clean" and "reason" not in m
        pv = requests.get(portal.internet + m["preview_url"], timeout=5)
        assert pv.status_code == 200 and pv.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert requests.get(f"{api}/uploads/{up['upload_id']}/members/3/preview",
                        timeout=5).status_code == 404

    # One member of a type the sanitizer refuses: the whole zip, each member's verdict shown.
    bad = upload(api, "混在.zip", zip_of([("ok.pdf", pdf), ("tool.pdf", b"\x7fELF" + bytes(100))]),
                 procedure="demo-zip", field="attachment").json()
    v = wait_verdict(api, bad["upload_id"])
    assert v["state"] == "rejected" and v["reason"] == "archive_member_refused"
    assert [m["status"] for m in v["members"]] == ["clean", "rejected"]
    assert v["members"][1]["reason"] == "unsupported_type" and v["members"][1]["message"]
    assert all("preview_url" not in m for m in v["members"])
    # A member of a type the field does not take (an Office file here) refuses the zip.
    docx = open(os.path.join(ROOT, "tests/corpus/office/sample.docx"), "rb").read()
    off = upload(api, "office.zip", zip_of([("a.pdf", pdf), ("b.docx", docx)]),
                 procedure="demo-zip", field="attachment").json()
    v = wait_verdict(api, off["upload_id"])
    assert v["state"] == "rejected" and v["reason"] == "type_not_allowed", v

    body = {"answers": {"name": "山田 太郎", "email": "taro@example.jp", "body": "zip です。"},
            "uploads": {"attachment": [up["upload_id"]]},
            "status_password": "correct horse battery"}
    # A procedure whose policy takes no zip refuses it before the 201 (the sanitizer
    # would not sign it into that procedure's bundle).
    r = submit(api, "demo-nozip", body)
    assert r.status_code == 422 and "zip" in r.json()["errors"]["attachment"], r.text
    r = submit(api, "demo-zip", body)
    assert r.status_code == 201, r.text
    bundle = f"app-demo-{r.json()['receipt_no']}"
    lg = inst / "lgwan/db/demo.sqlite"

    def imported():
        c = sqlite3.connect(lg)
        try:
            return c.execute("SELECT a.display_name, a.member FROM attachments a JOIN applications p"
                             " ON p.id = a.application_id WHERE p.bundle_id = ? ORDER BY a.id",
                             (bundle,)).fetchall()
        finally:
            c.close()
    rows = wait(imported, 120, f"{bundle} did not reach LGWAN")
    assert rows == [("申請/申請書.pdf", "files/1.pdf"), ("写真.jpg", "files/2.png")]

    # Staff see the members grouped under the zip's name.
    from test_office_auth import PASSWORD, Office, Staff
    initial = instance[2].split("初期パスワード:")[1].split()[0]
    admin = Staff(Office(portal, initial))
    assert admin.login("admin", initial).status_code == 200
    assert admin.change_password(initial, PASSWORD).status_code == 200
    d = admin.call("GET", f"/applications/{r.json()['receipt_no']}").json()
    assert [(a["display_name"], a["archive"]) for a in d["attachments"]] == [
        ("申請/申請書.pdf", {"display_name": "書類.zip", "member": "申請/申請書.pdf"}),
        ("写真.jpg", {"display_name": "書類.zip", "member": "写真.jpg"})]

