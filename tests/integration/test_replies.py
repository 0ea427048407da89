"""Messages and correction requests to the applicant, and the applicant's reply with a
new attachment back to the office, on the real stack: officed sends a 問合せ and a 補正
request down the downlink, the portal shows them and mails the applicant, the applicant
replies with a sanitized PDF, the reply crosses the bridge as a bundle of kind
"reply", officed imports it (back from 補正 to 審査) and serves the attachment, which
verifies against its attestation. Refusals: no reply when none is asked for (409),
none with an unclean file (422), and a wrong password is answered like an unknown
到達番号."""
import io
import os
import socket
import sqlite3
import subprocess
import tarfile
import uuid

import pytest
import requests

from conftest import Stack, ctl, free_port
from test_office_auth import Office
from test_office_workflow import wait
from test_sanitized_service import EICAR

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS_SCRIPT = os.path.join(ROOT, "tests", "corpus", "make-pdf-samples.py")
STATUS_PASSWORD = "reply-status-pass"

DEFINITION = {
    "id": "wf-reply",
    "version": 1,
    "title": "補正試験の届出",
    "summary": "補正と回答を確かめる手続です。",
    "category": "くらし・手続",
    "visibility": "public",
    "identity": "none",
    "notify": {"email_field": "email", "events": ["arrival", "correction", "message"]},
    "schema": {"fields": [
        {"name": "name", "type": "text", "label": "お名前", "required": True, "max_length": 100},
        {"name": "email", "type": "email", "label": "メールアドレス"},
        {"name": "attachment", "type": "file", "label": "添付書類", "accept": ["pdf"]},
    ]},
}


def get_json(url):
    """The JSON at url, or None (not there yet, or a slow moment of a loaded machine)."""
    try:
        r = requests.get(url, timeout=30)
        return r.json() if r.status_code == 200 else None
    except requests.RequestException:
        return None


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replies")
    ports = {"internet": free_port(), "lgwan": free_port(),
             "uplink": free_port(socket.SOCK_DGRAM), "downlink": free_port(socket.SOCK_DGRAM)}
    inst = tmp / "inst"
    out = ctl(inst, "init", "--dev",
              "--internet-port", str(ports["internet"]), "--lgwan-port", str(ports["lgwan"]),
              "--uplink-port", str(ports["uplink"]), "--downlink-port", str(ports["downlink"])).stdout
    with open(inst / "etc/officed.conf", "a") as f:
        f.write("login_rate_per_min = 100000\n")
    s = Stack(inst, ports)
    s.start()
    try:
        s.wait_healthy(s.lgwan + "/api/healthz", deadline_s=60)
        s.wait_healthy(s.internet + "/api/healthz", deadline_s=60)
        o = Office(s, out.split("初期パスワード:")[1].split()[0])
        o.setup_people()
        o.api = s.internet + "/api/v1/demo"
        o.tmp = tmp
        admin = o.browser("admin")
        r = admin.call("POST", "/procedures", json={"definition": DEFINITION, "department": "市民課"})
        assert r.status_code == 201, r.text
        assert admin.call("POST", "/procedures/wf-reply/versions/1/publish").status_code == 200
        wait(lambda: get_json(o.api + "/procedures/wf-reply") is not None,
             90, "wf-reply did not reach the internet zone")
        yield o
    finally:
        s.kill_everything()


def status(o, receipt, password=STATUS_PASSWORD):
    return requests.get(f"{o.api}/applications/{receipt}",
                        params={"status_password": password}, timeout=30)


def reply(o, receipt, body, key=None, password=STATUS_PASSWORD):
    body = dict(body)
    if password is not None:
        body["status_password"] = password
    return requests.post(f"{o.api}/applications/{receipt}/replies", json=body,
                         headers={"Idempotency-Key": key or uuid.uuid4().hex}, timeout=30)


def upload(o, name, data):
    r = requests.post(o.api + "/uploads", params={"procedure": "wf-reply", "field": "attachment"},
                      files={"file": (name, data)}, timeout=30)
    assert r.status_code == 202, r.text
    uid = r.json()["upload_id"]

    def final():
        v = get_json(f"{o.api}/uploads/{uid}")
        return v if v is not None and v["state"] != "pending" else None
    return uid, wait(final, 90, f"upload {name} was not sanitized")


def test_correction_reply_round_trip(office, tmp_path):
    o = office
    clerk = o.browser("clerk1")
    r = requests.post(f"{o.api}/procedures/wf-reply/applications",
                      json={"answers": {"name": "佐藤 花子", "email": "hanako@example.jp"},
                            "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]

    # Nothing asks for a reply yet: refused, in Japanese.
    r = reply(o, receipt, {"text": "念のため送ります。"})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "not_open_for_reply"
    assert "受け付けていません" in r.json()["error"]["message"]
    assert status(o, receipt).json()["can_reply"] is False
    # A wrong password is answered exactly like an unknown 到達番号.
    wrong = reply(o, receipt, {"text": "x"}, password="not-the-password")
    unknown = reply(o, "20000101-999999", {"text": "x"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["error"] == unknown.json()["error"]
    assert status(o, receipt, "not-the-password").json()["error"] == \
        status(o, "20000101-999999").json()["error"]

    wait(lambda: clerk.call("GET", f"/applications/{receipt}").status_code == 200, 120,
         f"{receipt} was not imported by officed")
    path = f"/applications/{receipt}"
    for to in ("accepted", "review"):
        assert clerk.call("POST", path + "/transitions", json={"to": to}).status_code == 200
    # A message (問合せ) without a status change; the auditor may not send one.
    r = o.browser("auditor1").call("POST", path + "/messages", json={"body": "x"})
    assert r.status_code == 403
    r = clerk.call("POST", path + "/messages", json={"body": "", "reply_invited": False})
    assert r.status_code == 400 and "メッセージ" in r.json()["error"]["message"]
    r = clerk.call("POST", path + "/messages", json={"body": "x", "reply_invited": "yes"})
    assert r.status_code == 400 and "reply_invited" in r.json()["error"]["message"]
    r = clerk.call("POST", path + "/messages",
                   json={"body": "日中の連絡先を教えてください。", "reply_invited": False})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "review"
    assert r.json()["messages"][-1]["body"] == "日中の連絡先を教えてください。"
    r = clerk.call("POST", path + "/transitions",
                   json={"to": "correction", "message": "住民票の写しを\n添付してください。"})
    assert r.status_code == 200, r.text
    assert [m["kind"] for m in r.json()["messages"]] == ["message", "correction"]

    # The portal shows both, and now invites a reply.
    def in_correction():
        st = status(o, receipt).json()
        return st if st["status"] == "correction" else None
    st = wait(in_correction, 60, "the correction request did not reach the portal")
    kinds = [(h["kind"], h["label"]) for h in st["history"]]
    assert ("message", "お問い合わせ") in kinds and ("status", "補正依頼") in kinds
    assert [h for h in st["history"] if h["kind"] == "message"][0]["message"] == \
        "日中の連絡先を教えてください。"
    assert st["history"][-1]["message"] == "住民票の写しを\n添付してください。"
    assert st["can_reply"] is True and st["reply_limits"]["files_max"] == 10
    # Both sent the applicant an email (the procedure enables them).
    with sqlite3.connect(o.stack.instance / "dmz/db/demo.sqlite") as db:
        subjects = [r[0] for r in db.execute("SELECT subject FROM mail_outbox WHERE recipient = ?",
                                             ("hanako@example.jp",))]
    assert "【お問い合わせ】補正試験の届出" in subjects
    assert "【補正のお願い】補正試験の届出" in subjects

    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    pdf = (tmp_path / "benign-text.pdf").read_bytes()
    # An unclean upload cannot be attached.
    bad, v = upload(o, "virus.pdf", pdf.replace(b"%%EOF", EICAR + b"\n%%EOF"))
    assert v["state"] == "rejected"
    r = reply(o, receipt, {"text": "添付します。", "uploads": [bad]})
    assert r.status_code == 422, r.text
    assert "uploads[0]" in r.json()["errors"]
    r = reply(o, receipt, {"text": "a\x01b", "uploads": []})
    assert r.status_code == 422 and "text" in r.json()["errors"]

    good, v = upload(o, "住民票.pdf", pdf)
    assert v["state"] == "clean"
    key = uuid.uuid4().hex
    body = {"text": "住民票の写しを添付します。\nよろしくお願いします。", "uploads": [good]}
    r = reply(o, receipt, body, key=key)
    assert r.status_code == 201, r.text
    assert r.json()["reply_no"] == 1 and r.json()["files"] == 1
    again = reply(o, receipt, body, key=key)
    assert again.status_code == 201 and again.json()["reply_no"] == 1
    assert reply(o, receipt, dict(body, text="別の内容"), key=key).status_code == 409
    # Answered: no second reply to the same request.
    st = status(o, receipt).json()
    assert st["can_reply"] is False and st["history"][-1]["kind"] == "reply"
    assert reply(o, receipt, {"text": "もう一度"}).status_code == 409

    # Across the bridge: officed has it, and the application is back in 審査.
    def replied():
        d = clerk.call("GET", path).json()
        return d if d["replies"] and d["status"] == "review" else None
    d = wait(replied, 120, "the reply did not reach officed")
    rp = d["replies"][0]
    assert rp["body"] == body["text"] and rp["reply_no"] == 1
    assert rp["from_status"] == "correction" and rp["to_status"] == "review"
    assert rp["files"] == [{"n": 1, "display_name": "住民票.pdf", "type": "pdf"}]
    assert d["history"][-1]["actor"] == "applicant" and d["history"][-1]["status"] == "review"
    f = clerk.call("GET", f"{path}/replies/1/files/1")
    assert f.status_code == 200 and f.headers["Content-Type"] == "application/pdf"
    assert f.content.startswith(b"%PDF")
    assert clerk.call("GET", f"{path}/replies/1/files/2").status_code == 404
    assert clerk.call("GET", f"{path}/replies/2/files/1").status_code == 404
    # Another department's clerk does not see it at all.
    assert o.browser("clerk2").call("GET", f"{path}/replies/1/files/1").status_code == 404

    # The file served is the sanitizer's output its attestation names.
    tar_path = o.stack.instance / f"lgwan/bundles/demo/reply-demo-{receipt}-1.tar"
    with tarfile.open(tar_path) as t:
        names = t.getnames()
        att = t.extractfile("attestations/1.pdf.json").read()
    assert names[:3] == ["manifest.json", "manifest.sig", "data/reply.json"]
    (tmp_path / "att.json").write_bytes(att)
    (tmp_path / "served.pdf").write_bytes(f.content)
    out = ctl(o.stack.instance, "audit", "verify-attestation", str(tmp_path / "att.json"),
              str(tmp_path / "served.pdf"), check=False)
    assert out.returncode == 0 and out.stdout.startswith("OK"), out.stdout + out.stderr
    out = ctl(o.stack.instance, "audit", "verify-bundle", str(tar_path), check=False)
    assert out.returncode == 0 and "種別 reply" in out.stdout, out.stdout + out.stderr
    out = ctl(o.stack.instance, "audit", "verify-store", check=False)
    assert out.returncode == 0 and f"OK demo/reply-demo-{receipt}-1" in out.stdout, out.stdout

    # Audited, and the portal hears the application is back in 審査.
    with o.db() as db:
        actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target = ?",
                                            (f"application:{receipt}",))]
    assert "application.message" in actions and "application.reply" in actions
    wait(lambda: status(o, receipt).json()["status"] == "review", 60,
         "the return to 審査 did not reach the portal")


def test_application_attachment_is_served_as_a_pdf(office, tmp_path):
    """The application's own attachment, as the staff page frames it: application/pdf,
    inline, named by its extension (the handler once read the member's name after
    freeing the manifest it lived in, and sent a download of "file-1")."""
    o = office
    clerk = o.browser("clerk1")
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    uid, _ = upload(o, "住民票.pdf", (tmp_path / "benign-text.pdf").read_bytes())
    r = requests.post(f"{o.api}/procedures/wf-reply/applications",
                      json={"answers": {"name": "添付 花子", "attachment": [uid]},
                            "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    wait(lambda: clerk.call("GET", f"/applications/{receipt}").status_code == 200, 120,
         f"{receipt} was not imported by officed")
    for _ in range(3):   # the same answer each time, whatever the allocator reused
        f = clerk.call("GET", f"/applications/{receipt}/files/1")
        assert f.status_code == 200
        assert f.headers["Content-Type"] == "application/pdf"
        assert f.headers["Content-Disposition"] == 'inline; filename="file-1.pdf"'
        assert f.content.startswith(b"%PDF")
