"""Routing (振り分け) and staff email on the real stack: an administrator gives a
procedure a rule that sends applications to another department by one answer, and
addresses to tell of new applications; both are refused when they cannot work,
kept out of what is published and exported, carried by copies; an application
imported from the bridge lands in the department the rule names, which is who may
see it, and its arrival reaches the staff mailbox through a real SMTP server."""
import json
import os
import subprocess
import uuid

import pytest
import requests

from conftest import ROOT
from test_office_workflow import STATUS_PASSWORD, office, wait, wait_imported  # noqa: F401
from test_portal_api import read_mail

STAFF_MAILBOX = "kankyo@city.example.lg.jp"


@pytest.fixture(scope="module")
def staff_mailbox(tmp_path_factory):
    """A real SMTP server on loopback (aiosmtpd), the LGWAN mail relay of this test."""
    box = tmp_path_factory.mktemp("staff-mail")
    srv = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "tools", "smtp_capture.py"),
                            "--dir", str(box)], stdout=subprocess.PIPE, text=True)
    port = int(srv.stdout.readline())
    yield box, port
    srv.terminate()
    srv.wait()


@pytest.fixture(scope="module")
def officed_conf(staff_mailbox):
    return (f"smtp_url = smtp://127.0.0.1:{staff_mailbox[1]}\nmail_from = sekisho@city.example.lg.jp\n"
            "mail_domain = city.example.lg.jp\nstaff_base_url = https://lgwan.city.example.lg.jp\n")

DEFINITION = {
    "id": "route-gomi",
    "version": 1,
    "title": "粗大ごみ収集の申込み",
    "summary": "地区によって担当が分かれる手続です。",
    "category": "くらし・手続",
    "schema": {"fields": [
        {"name": "name", "type": "text", "label": "お名前", "required": True},
        {"name": "area", "type": "select", "label": "お住まいの地区", "required": True,
         "options": [{"value": "north", "label": "北部"}, {"value": "south", "label": "南部"}]},
        {"name": "count", "type": "number", "label": "出す点数", "integer": True, "min": 1, "max": 10},
    ]},
    "fee": {"items": [{"label": "粗大ごみ処理手数料", "amount": 400, "quantity_field": "count"},
                      {"label": "収集受付料", "amount": 100}]},
}
RULES = [{"field": "area", "value": "north", "department": "税務課"}]


def submit(o, answers):
    r = requests.post(f"{o.api}/procedures/route-gomi/applications",
                      json={"answers": answers, "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["receipt_no"]


@pytest.fixture(scope="module")
def routed(office):  # noqa: F811
    admin = office.browser("admin")
    # A rule the form cannot satisfy is refused, with the reason.
    for bad, words in (([{"field": "name", "value": "x", "department": "税務課"}], "選択式の項目"),
                       ([{"field": "area", "value": "east", "department": "税務課"}], "east"),
                       ([{"field": "area", "value": "north", "department": "西部支所"}], "存在しない部署")):
        r = admin.call("POST", "/procedures", json={"definition": DEFINITION, "department": "市民課",
                                                    "routing": bad})
        assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
    r = admin.call("POST", "/procedures", json={"definition": DEFINITION, "department": "市民課",
                                                "routing": RULES, "staff_notify": ["not-an-address"]})
    assert r.status_code == 400 and "1 件目が正しくありません" in r.json()["error"]["message"]
    r = admin.call("POST", "/procedures", json={"definition": DEFINITION, "department": "市民課",
                                                "routing": RULES, "staff_notify": [STAFF_MAILBOX]})
    assert r.status_code == 201, r.text
    got = admin.call("GET", "/procedures/route-gomi/versions/1").json()
    assert [(x["field"], x["value"], x["department"]) for x in got["routing"]] == [
        ("area", "north", "税務課")]
    assert "routing" not in got["definition"]
    assert got["staff_notify"] == [STAFF_MAILBOX] and "staff_notify" not in got["definition"]
    # The rule is checked again when the form changes under it.
    shrunk = json.loads(json.dumps(DEFINITION))
    shrunk["schema"]["fields"] = shrunk["schema"]["fields"][:1]
    del shrunk["fee"]
    r = admin.call("PUT", "/procedures/route-gomi/versions/1", json={"definition": shrunk})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_routing"
    # Exported for other municipalities without our organisation; copies keep it.
    exported = admin.call("GET", "/procedures/route-gomi/versions/1/export").json()
    assert "routing" not in exported and "routing" not in exported["definition"]
    assert STAFF_MAILBOX not in json.dumps(exported)
    r = admin.call("POST", "/procedures/route-gomi/versions/1/copy", json={"new_id": "route-copy"})
    assert r.status_code == 201, r.text
    assert admin.call("GET", "/procedures/route-copy/versions/1").json()["routing"][0]["department"] == "税務課"

    r = admin.call("POST", "/procedures/route-gomi/versions/1/publish")
    assert r.status_code == 200, r.text

    def listed():
        try:
            r = requests.get(office.api + "/procedures/route-gomi", timeout=3)
            return r.status_code == 200
        except requests.RequestException:
            return False
    wait(listed, 90, "the procedure did not reach the internet zone")
    # What the internet zone holds has neither the routing nor the staff addresses.
    public = requests.get(office.api + "/procedures/route-gomi", timeout=5).text
    assert "routing" not in public and STAFF_MAILBOX not in public
    return office


def test_an_answer_sends_the_application_to_another_department(routed):
    o = routed
    north = submit(o, {"name": "北 太郎", "area": "north"})
    south = submit(o, {"name": "南 花子", "area": "south"})
    assert wait_imported(o, north)["department"]["name"] == "税務課"
    assert wait_imported(o, south)["department"]["name"] == "市民課"
    clerk1, clerk2 = o.browser("clerk1"), o.browser("clerk2")  # 市民課, 税務課
    assert clerk2.call("GET", f"/applications/{north}").status_code == 200
    assert clerk2.call("GET", f"/applications/{south}").status_code == 404
    assert clerk1.call("GET", f"/applications/{north}").status_code == 404
    assert clerk1.call("GET", f"/applications/{south}").status_code == 200


def test_staff_are_told_of_each_arrival_without_its_content(routed, staff_mailbox):
    o = routed
    receipt = submit(o, {"name": "通知 確認", "area": "south", "count": 3})
    # The office sees the fee the applicant was shown, added up by the same code.
    fee = wait_imported(o, receipt)["fee"]
    assert fee["total"] == 3 * 400 + 100
    assert [(i["label"], i["quantity"], i["subtotal"]) for i in fee["items"]] == [
        ("粗大ごみ処理手数料", 3, 1200), ("収集受付料", 1, 100)]
    # The two of the routing test came first; wait for this one's.
    mails = wait(lambda: [m for m in read_mail(staff_mailbox[0], 1) if receipt in m[1]], 60,
                 f"no staff email for {receipt}")
    (rcpt, subject, text), = mails
    assert rcpt == [STAFF_MAILBOX]
    assert subject == f"【新着申請】粗大ごみ収集の申込み（到達番号 {receipt}）"
    assert "担当部署: 市民課" in text
    assert f"https://lgwan.city.example.lg.jp/application.html?t=demo&r={receipt}" in text
    assert "通知 確認" not in text and "south" not in text   # nothing the applicant wrote


def test_a_draft_can_be_deleted_a_published_version_cannot(routed):
    o = routed
    admin, clerk1 = o.browser("admin"), o.browser("clerk1")
    # route-copy is a draft (made by the fixture); route-gomi v1 is published.
    assert clerk1.call("DELETE", "/procedures/route-copy/versions/1").status_code == 403
    assert admin.call("DELETE", "/procedures/route-copy/versions/1", csrf=False).status_code == 403
    r = admin.call("DELETE", "/procedures/route-copy/versions/1")
    assert r.status_code == 200 and r.json()["message"] == "下書きを削除しました。"
    assert admin.call("GET", "/procedures/route-copy/versions/1").status_code == 404
    assert admin.call("DELETE", "/procedures/route-copy/versions/1").status_code == 404
    r = admin.call("DELETE", "/procedures/route-gomi/versions/1")
    assert r.status_code == 409 and "公開済み" in r.json()["error"]["message"]
    assert admin.call("GET", "/procedures/route-gomi/versions/1").status_code == 200
    with o.db() as db:
        assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'procedure.delete'"
                          " AND target = 'procedure:route-copy/1'").fetchone()[0] == 1


PDF_FORM = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
PNG_MAP = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                        "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082")


def test_staff_give_a_procedure_files_and_citizens_download_them(routed):
    import hashlib
    o = routed
    admin, clerk1 = o.browser("admin"), o.browser("clerk1")
    assert clerk1.call("POST", "/procedure-files", files={"file": ("a.pdf", PDF_FORM)}).status_code == 403
    r = admin.call("POST", "/procedure-files", files={"file": ("偽物.pdf", PNG_MAP)})
    assert r.status_code == 400 and "拡張子と中身" in r.json()["error"]["message"]
    r = admin.call("POST", "/procedure-files", files={"file": ("run.exe", PDF_FORM)})
    assert r.status_code == 400
    form = admin.call("POST", "/procedure-files", files={"file": ("粗大ごみ申込書.pdf", PDF_FORM)})
    assert form.status_code == 201, form.text
    form = form.json()
    assert form == {"name": "粗大ごみ申込書.pdf", "type": "pdf", "size": len(PDF_FORM),
                    "sha256": hashlib.sha256(PDF_FORM).hexdigest()}
    pic = admin.call("POST", "/procedure-files", files={"file": ("地図.png", PNG_MAP)}).json()

    d = json.loads(json.dumps(DEFINITION))
    d["id"] = "gomi-forms"
    d["files"] = [dict(form, title="申込書（印刷用）"),
                  dict(pic, title="収集場所の地図", use="image", alt="市役所前の収集場所")]
    r = admin.call("POST", "/procedures", json={"definition": d, "department": "市民課"})
    assert r.status_code == 201, r.text
    # A file officed does not hold cannot be published (the internet zone could not have it).
    bad = json.loads(json.dumps(d))
    bad["id"] = "gomi-forms-bad"
    bad["files"][0]["sha256"] = "0" * 64
    assert admin.call("POST", "/procedures", json={"definition": bad, "department": "市民課"}).status_code == 201
    r = admin.call("POST", "/procedures/gomi-forms-bad/versions/1/publish")
    assert r.status_code == 400 and r.json()["error"]["code"] == "file_not_held"
    assert admin.call("POST", "/procedures/gomi-forms/versions/1/publish").status_code == 200

    def served():
        r = requests.get(o.api + "/procedures/gomi-forms", timeout=3)
        return r.json() if r.status_code == 200 else None
    files = wait(served, 90, "the procedure did not reach the internet zone")["files"]
    base = o.api.split("/api/v1/")[0]
    got = requests.get(base + files[0]["url"], timeout=5)
    assert got.content == PDF_FORM and got.headers["Content-Type"] == "application/pdf"
    got = requests.get(base + files[1]["url"], timeout=5)
    assert got.content == PNG_MAP and got.headers["Content-Type"] == "image/png"
    with o.db() as db:
        assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'procedure.file_upload'"
                          ).fetchone()[0] == 2
