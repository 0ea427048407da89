"""The application workflow end to end, on the real stack: an administrator publishes a
procedure from officed, it reaches the internet zone over the downlink, a citizen
applies through the portal API, officed imports the application, a clerk accepts,
reviews and completes it, and the portal's status API shows each step — with roles
and departments tried on every new endpoint."""
import csv
import io
import json
import socket
import sqlite3
import time
import uuid

import pytest
import requests

from conftest import Stack, ctl, free_port
from test_office_auth import PASSWORD, Office, Staff

STATUS_PASSWORD = "workflow-status-pass"

DEFINITION = {
    "id": "wf-inquiry",
    "version": 1,
    "title": "ワークフロー試験の届出",
    "summary": "職員の処理を確かめる手続です。",
    "category": "くらし・手続",
    "visibility": "public",
    "identity": "none",
    "notify": {"email_field": "email", "events": ["arrival", "completed"]},
    "schema": {"fields": [
        {"name": "name", "type": "text", "label": "お名前", "required": True, "max_length": 100},
        {"name": "email", "type": "email", "label": "メールアドレス"},
        {"name": "kind", "type": "radio", "label": "届出の種類", "required": True,
         "options": [{"value": "move", "label": "転居"}, {"value": "other", "label": "その他"}]},
        {"name": "body", "type": "textarea", "label": "内容", "max_length": 4000},
    ]},
}


def wait(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError(what)


@pytest.fixture(scope="module")
def office(tmp_path_factory, request):
    # A module may add officed settings (e.g. a mail relay) with an `officed_conf`
    # fixture of its own, made before the stack starts.
    try:
        extra_conf = request.getfixturevalue("officed_conf")
    except pytest.FixtureLookupError:
        extra_conf = ""
    tmp = tmp_path_factory.mktemp("workflow")
    ports = {"internet": free_port(), "lgwan": free_port(),
             "uplink": free_port(socket.SOCK_DGRAM), "downlink": free_port(socket.SOCK_DGRAM)}
    inst = tmp / "inst"
    out = ctl(inst, "init", "--dev",
              "--internet-port", str(ports["internet"]), "--lgwan-port", str(ports["lgwan"]),
              "--uplink-port", str(ports["uplink"]), "--downlink-port", str(ports["downlink"])).stdout
    with open(inst / "etc/officed.conf", "a") as f:
        f.write("login_rate_per_min = 100000\n" + extra_conf)
    s = Stack(inst, ports)
    s.start()
    try:
        s.wait_healthy(s.lgwan + "/api/healthz", deadline_s=60)
        s.wait_healthy(s.internet + "/api/healthz", deadline_s=60)
        o = Office(s, out.split("初期パスワード:")[1].split()[0])
        o.setup_people()
        o.api = s.internet + "/api/v1/demo"
        yield o
    finally:
        s.kill_everything()


def submit(office, answers):
    r = requests.post(f"{office.api}/procedures/wf-inquiry/applications",
                      json={"answers": answers, "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["receipt_no"]


def wait_imported(office, receipt):
    admin = office.browser("admin")

    def there():
        r = admin.call("GET", f"/applications/{receipt}")
        return r.json() if r.status_code == 200 else None
    return wait(there, 120, f"{receipt} was not imported by officed")


def portal_status(office, receipt):
    r = requests.get(f"{office.api}/applications/{receipt}",
                     params={"status_password": STATUS_PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def published(office):
    """wf-inquiry published by officed and visible to citizens."""
    admin = office.browser("admin")
    r = admin.call("POST", "/procedures", json={"definition": DEFINITION, "department": "市民課",
                                                "workflow": ["accepted", "review", "completed"]})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["state"] == "draft"
    assert r.json()["workflow"] == ["arrived", "accepted", "review", "completed"]
    r = admin.call("POST", "/procedures/wf-inquiry/versions/1/publish")
    assert r.status_code == 200, r.text
    assert r.json()["bundle_id"].startswith("catalogue-demo-")

    def listed():
        try:
            r = requests.get(office.api + "/procedures", timeout=3)
            return r.status_code == 200 and "wf-inquiry" in [p["id"] for p in r.json()["procedures"]]
        except requests.RequestException:
            return False
    wait(listed, 90, "the procedure did not reach the internet zone")
    return office


def test_procedure_rules_roles_and_immutability(published):
    o = published
    admin, clerk1, clerk2, auditor = (o.browser(n) for n in ("admin", "clerk1", "clerk2", "auditor1"))
    # Published versions do not change; publishing twice is refused.
    assert admin.call("POST", "/procedures/wf-inquiry/versions/1/publish").status_code == 409
    r = admin.call("PUT", "/procedures/wf-inquiry/versions/1", json={"definition": DEFINITION})
    assert r.status_code == 409 and "公開済み" in r.json()["error"]["message"]
    with o.db() as db:
        with pytest.raises(sqlite3.DatabaseError):
            db.execute("UPDATE procedures SET definition = '{}' WHERE id = 'wf-inquiry'")
    # Who sees it: its department's clerk, administrators, auditors; not another department.
    for b, code in ((admin, 200), (clerk1, 200), (auditor, 200), (clerk2, 404)):
        assert b.call("GET", "/procedures/wf-inquiry/versions/1").status_code == code
    assert [p["id"] for p in clerk2.call("GET", "/procedures").json()["procedures"]] == []
    assert "wf-inquiry" in [p["id"] for p in clerk1.call("GET", "/procedures").json()["procedures"]]
    # Only administrators create, change and publish.
    for b in (clerk1, auditor):
        assert b.call("POST", "/procedures", json={"definition": DEFINITION,
                                                   "department": "市民課"}).status_code == 403
        assert b.call("POST", "/procedures/wf-inquiry/versions/1/copy", json={}).status_code == 403
    # The portal's own checker refuses a bad definition before anything is stored.
    bad = dict(DEFINITION, id="wf-bad", clozes_at="2026-01-01")
    r = admin.call("POST", "/procedures", json={"definition": bad, "department": "市民課"})
    assert r.status_code == 400 and "clozes_at" in r.json()["error"]["message"]
    r = admin.call("POST", "/procedures", json={"definition": dict(DEFINITION, id="wf-x"),
                                                "department": "市民課", "workflow": ["accepted", "bogus"]})
    assert r.status_code == 400
    assert admin.call("POST", "/procedures", json={"definition": dict(DEFINITION, id="wf-y")}).status_code == 400
    # A copy is the next draft version; export and import carry the definition and steps.
    r = admin.call("POST", "/procedures/wf-inquiry/versions/1/copy", json={})
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["state"] == "draft"
    changed = dict(DEFINITION, title="ワークフロー試験の届出（改）")
    r = admin.call("PUT", "/procedures/wf-inquiry/versions/2", json={"definition": changed})
    assert r.status_code == 200, r.text
    exp = admin.call("GET", "/procedures/wf-inquiry/versions/2/export")
    assert exp.status_code == 200 and "attachment" in exp.headers["Content-Disposition"]
    doc = exp.json()
    assert doc["format"] == "sekisho-procedure-export/1"
    assert doc["definition"]["title"] == "ワークフロー試験の届出（改）"
    doc["definition"]["id"] = "wf-imported"
    r = admin.call("POST", "/procedures/import", json=dict(doc, department="税務課"))
    assert r.status_code == 201 and r.json()["version"] == 1, r.text
    assert r.json()["workflow"] == ["arrived", "accepted", "review", "completed"]
    assert clerk2.call("GET", "/procedures/wf-imported/versions/1").status_code == 200
    assert clerk1.call("GET", "/procedures/wf-imported/versions/1").status_code == 404
    with o.db() as db:
        actions = [r[0] for r in db.execute(
            "SELECT action FROM audit_log WHERE target LIKE 'procedure:%' ORDER BY seq")]
    assert actions[:2] == ["procedure.create", "procedure.publish"]
    assert {"procedure.copy", "procedure.update", "procedure.import"} <= set(actions)


def test_accept_review_complete_reaches_the_portal(published):
    o = published
    receipt = submit(o, {"name": "山田 太郎", "email": "taro@example.jp", "kind": "move",
                         "body": "転居の届出です。"})
    detail = wait_imported(o, receipt)
    assert detail["status"] == "arrived" and detail["status_label"] == "到達"
    assert detail["procedure"] == {"id": "wf-inquiry", "version": 1, "title": "ワークフロー試験の届出"}
    assert detail["department"]["name"] == "市民課"
    answers = {a["label"]: a.get("value") for a in detail["answers"]}
    assert answers["お名前"] == "山田 太郎" and answers["届出の種類"] == "転居"
    # 保留 and 差戻 are not steps of this procedure.
    assert [t["status"] for t in detail["transitions"]] == ["accepted"]

    clerk1, clerk2, auditor = o.browser("clerk1"), o.browser("clerk2"), o.browser("auditor1")
    # Another department's clerk: as if it did not exist, on every endpoint.
    for method, path, body in (("GET", f"/applications/{receipt}", None),
                               ("GET", f"/applications/{receipt}/files/1", None),
                               ("POST", f"/applications/{receipt}/transitions", {"to": "accepted"}),
                               ("POST", f"/applications/{receipt}/comments", {"body": "x"}),
                               ("PUT", f"/applications/{receipt}/assignee", {"login": "clerk2"})):
        assert clerk2.call(method, path, json=body).status_code == 404, path
    assert receipt not in [a["receipt_no"] for a in
                           clerk2.call("GET", "/applications").json()["applications"]]
    # Attachments may be framed by the staff page (same origin) and run nothing;
    # every other response keeps frame-ancestors 'none'.
    r = clerk2.call("GET", f"/applications/{receipt}/files/1")
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in r.headers["Content-Security-Policy"]
    assert "sandbox" in r.headers["Content-Security-Policy"]
    r = clerk2.call("GET", f"/applications/{receipt}")
    assert r.headers["X-Frame-Options"] == "DENY"
    r = clerk2.call("POST", "/applications/bulk", json={"action": "accept", "receipts": [receipt]})
    assert r.status_code == 200 and r.json()["failed"] == 1
    assert r.json()["results"][0]["error"]["code"] == "no_such_application"
    # The auditor reads, and changes nothing.
    assert auditor.call("GET", f"/applications/{receipt}").json()["transitions"] == []
    for method, path, body in (("POST", f"/applications/{receipt}/transitions", {"to": "accepted"}),
                               ("POST", f"/applications/{receipt}/comments", {"body": "x"}),
                               ("PUT", f"/applications/{receipt}/assignee", {"login": "clerk1"}),
                               ("POST", "/applications/bulk", {"action": "accept", "receipts": [receipt]})):
        r = auditor.call(method, path, json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path

    # An illegal step is refused in Japanese, and nothing changes.
    r = clerk1.call("POST", f"/applications/{receipt}/transitions", json={"to": "completed"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    assert "到達" in r.json()["error"]["message"] and "完了" in r.json()["error"]["message"]
    r = clerk1.call("POST", f"/applications/{receipt}/transitions", json={"to": "accepted"})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    assert "correction" not in [t["status"] for t in r.json()["transitions"]]
    # 却下 is not a step of this procedure either.
    assert clerk1.call("POST", f"/applications/{receipt}/transitions",
                       json={"to": "rejected", "message": "x"}).status_code == 409
    # Memo and assignment.
    r = clerk1.call("POST", f"/applications/{receipt}/comments", json={"body": "電話で確認済み。"})
    assert r.status_code == 201 and r.json()["comments"][0]["author"] == "clerk1"
    assert clerk1.call("PUT", f"/applications/{receipt}/assignee",
                       json={"login": "clerk2"}).status_code == 400  # not of its department
    r = clerk1.call("PUT", f"/applications/{receipt}/assignee", json={"login": "clerk1"})
    assert r.status_code == 200 and r.json()["assignee"]["login"] == "clerk1"
    mine = clerk1.call("GET", "/applications", params={"assignee": "me"}).json()["applications"]
    assert [a["receipt_no"] for a in mine] == [receipt]

    r = clerk1.call("POST", f"/applications/{receipt}/transitions", json={"to": "review"})
    assert r.status_code == 200 and r.json()["status"] == "review"
    # The procedure has no 結果通知 step: 審査 goes straight to 完了.
    assert "completed" in [t["status"] for t in r.json()["transitions"]]
    r = clerk1.call("POST", f"/applications/{receipt}/transitions",
                    json={"to": "completed", "message": "手続が完了しました。"})
    assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["transitions"] == []
    assert [h["label"] for h in r.json()["history"]] == ["到達", "受付", "審査", "完了"]

    # The events travel down the downlink, batched, and the citizen sees them.
    def done():
        st = portal_status(o, receipt)
        return st if st["status"] == "completed" else None
    st = wait(done, 60, "the status events did not reach the portal")
    assert [h["label"] for h in st["history"]] == ["到達", "受付", "審査中", "完了"]
    assert st["history"][-1]["message"] == "手続が完了しました。"
    with o.db() as db:
        rows = db.execute("SELECT status, bundle_id, sent_at FROM status_outbox WHERE receipt_no = ?"
                          " ORDER BY id", (receipt,)).fetchall()
        assert [r[0] for r in rows] == ["accepted", "review", "completed"]
        assert all(r[1].startswith("status-demo-") and r[2] for r in rows)
        actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target = ?"
                                            " ORDER BY seq", (f"application:{receipt}",))]
    assert actions.count("application.transition") == 3
    assert "application.view" in actions and "application.assign" in actions
    assert ctl(o.stack.instance, "audit", "verify-log", "demo", check=False).returncode == 0


def test_list_filters_bulk_and_csv(published):
    o = published
    clerk1 = o.browser("clerk1")
    receipts = [submit(o, {"name": n, "kind": "other", "body": b}) for n, b in
                (("佐藤 花子", "=HYPERLINK(\"http://x\")"), ("鈴木 一郎", "住所変更"))]
    for r in receipts:
        wait_imported(o, r)
    found = clerk1.call("GET", "/applications", params={"q": "鈴木", "procedure": "wf-inquiry"}).json()
    assert [a["receipt_no"] for a in found["applications"]] == [receipts[1]] and found["total"] == 1
    arrived = clerk1.call("GET", "/applications", params={"status": "arrived"}).json()["applications"]
    assert set(receipts) <= {a["receipt_no"] for a in arrived}
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))
    assert clerk1.call("GET", "/applications", params={"since": today, "until": today}).json()["total"] >= 2
    assert clerk1.call("GET", "/applications", params={"until": "2000-01-01"}).json()["total"] == 0
    assert clerk1.call("GET", "/applications", params={"status": "bogus"}).status_code == 400

    # Bulk 受付: each its own step and audit entry; one that cannot move says why.
    r = clerk1.call("POST", "/applications/bulk", json={"action": "accept",
                                                       "receipts": receipts + ["20000101-000001"]})
    assert r.status_code == 200 and r.json()["succeeded"] == 2 and r.json()["failed"] == 1
    r = clerk1.call("POST", "/applications/bulk", json={"action": "complete", "receipts": receipts})
    assert r.json()["succeeded"] == 0  # 受付 → 審査 first in this procedure
    assert r.json()["results"][0]["error"]["code"] == "illegal_transition"

    csv_r = clerk1.call("GET", "/applications/export.csv", params={"procedure": "wf-inquiry"})
    assert csv_r.status_code == 200 and csv_r.headers["Content-Type"].startswith("text/csv")
    assert csv_r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["到達番号", "手続ID", "版", "手続名", "状態"]
    by_receipt = {row[0]: row for row in rows[1:]}
    assert set(receipts) <= set(by_receipt)
    assert by_receipt[receipts[1]][4] == "受付" and "お名前: 鈴木 一郎" in by_receipt[receipts[1]][8]
    # The citizen's words cannot run as a formula in Excel.
    assert "内容: =HYPERLINK" in by_receipt[receipts[0]][8]
    assert not by_receipt[receipts[0]][8].startswith("=")
    # Another department's clerk exports nothing of it.
    other = o.browser("clerk2").call("GET", "/applications/export.csv").content.decode("utf-8-sig")
    assert not any(r in other for r in receipts)


def test_staff_workflow_pages(office):
    import re
    for page, words in (("/applications.html", "申請の一覧"), ("/application.html", "申請の詳細")):
        r = requests.get(office.stack.lgwan + page, timeout=5)
        assert r.status_code == 200 and words in r.text, page
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts and all("src=" in s for s in scripts), (page, scripts)
        assert "style=" not in r.text and "onclick" not in r.text
        for src in re.findall(r'<script src="([^"]+)"', r.text):
            assert requests.get(office.stack.lgwan + src, timeout=5).status_code == 200, src
        # Every form control has a label.
        for ident in re.findall(r'<(?:input|select|textarea)[^>]*id="([^"]+)"', r.text):
            assert f'for="{ident}"' in r.text or 'aria-label' in r.text, (page, ident)


def test_full_workflow_with_correction_and_messages(published):
    o = published
    admin, clerk1 = o.browser("admin"), o.browser("clerk1")
    full = dict(DEFINITION, id="wf-full", title="全段階の届出")
    assert admin.call("POST", "/procedures", json={"definition": full,
                                                   "department": "市民課"}).status_code == 201
    assert admin.call("POST", "/procedures/wf-full/versions/1/publish").status_code == 200

    def listed():
        r = requests.get(o.api + "/procedures/wf-full", timeout=3)
        return r.status_code == 200
    wait(listed, 90, "wf-full did not reach the internet zone")
    r = requests.post(f"{o.api}/procedures/wf-full/applications",
                      json={"answers": {"name": "田中 次郎", "kind": "move"},
                            "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    wait_imported(o, receipt)
    path = f"/applications/{receipt}/transitions"
    assert clerk1.call("POST", path, json={"to": "accepted"}).status_code == 200
    r = clerk1.call("POST", path, json={"to": "correction"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "message_required"
    assert "メッセージ" in r.json()["error"]["message"]
    r = clerk1.call("POST", path, json={"to": "correction", "message": "住所の番地を\n確認してください。"})
    assert r.status_code == 200, r.text
    # Replies do not travel the uplink yet: staff bring it back to 審査.
    assert [t["status"] for t in r.json()["transitions"]] == ["review", "rejected"]
    for to in ("review", "result", "completed"):
        r = clerk1.call("POST", path, json={"to": to})
        assert r.status_code == 200, (to, r.text)
    r = clerk1.call("POST", path, json={"to": "review"})
    assert r.status_code == 409 and "終了" in r.json()["error"]["message"]

    def done():
        st = portal_status(o, receipt)
        return st if st["status"] == "completed" else None
    st = wait(done, 60, "the status events did not reach the portal")
    assert [h["label"] for h in st["history"]] == ["到達", "受付", "補正依頼", "審査中", "結果通知",
                                                   "完了"]
    assert st["history"][2]["message"] == "住所の番地を\n確認してください。"
