"""Test versions (テスト版) on the real stack: an administrator publishes a draft as a
test version; the portal serves it only at its unguessable URL (never in the list or
the search), numbers its applications apart (T-...), and its applications travel the
real path (sanitizer, bridge, import) into officed, where they are attached to the
draft and kept out of the list, statistics, CSV export and data-linking API unless a
test filter asks for them. Publishing the draft for real withdraws the test entry
from the portal; real applications and their receipt numbers are untouched; a
clerk sees only their own department's tests; every step is audited."""
import copy
import csv
import io
import uuid

import pytest
import requests

from conftest import ctl
from test_office_workflow import STATUS_PASSWORD, office, wait, wait_imported  # noqa: F401

DEFINITION = {
    "id": "tv-jido",
    "version": 1,
    "title": "児童手当の申請",
    "summary": "テスト版の試験に使う手続です。",
    "category": "子育て",
    "keywords": ["児童手当"],
    "schema": {"fields": [
        {"name": "name", "type": "text", "label": "お名前", "required": True},
        {"name": "children", "type": "number", "label": "お子さんの人数", "integer": True,
         "min": 0, "max": 10},
    ]},
}


def portal_get(o, proc_id):
    try:
        return requests.get(f"{o.api}/procedures/{proc_id}", timeout=5)
    except requests.RequestException:
        return None


def submit(o, proc_id, answers):
    r = requests.post(f"{o.api}/procedures/{proc_id}/applications",
                      json={"answers": answers, "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    return r


def listed_ids(o, **params):
    r = requests.get(f"{o.api}/procedures", params=params, timeout=5)
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["procedures"]]


def audit(o, action):
    with o.db() as db:
        return db.execute("SELECT actor, target, detail FROM audit_log WHERE action = ?"
                          " ORDER BY seq", (action,)).fetchall()


@pytest.fixture(scope="module")
def real_v1(office):  # noqa: F811
    """tv-jido version 1 published for real, with one real application."""
    admin = office.browser("admin")
    r = admin.call("POST", "/procedures", json={"definition": DEFINITION, "department": "市民課"})
    assert r.status_code == 201, r.text
    assert admin.call("POST", "/procedures/tv-jido/versions/1/publish").status_code == 200
    wait(lambda: (r := portal_get(office, "tv-jido")) is not None and r.status_code == 200, 90,
         "tv-jido did not reach the internet zone")
    r = submit(office, "tv-jido", {"name": "本番 一郎", "children": 1})
    assert r.status_code == 201, r.text
    office.real_receipts = [r.json()["receipt_no"]]
    wait_imported(office, office.real_receipts[0])
    return office


def test_test_version_is_tried_through_the_real_path_and_kept_apart(real_v1):
    o = real_v1
    admin, clerk1, clerk2 = o.browser("admin"), o.browser("clerk1"), o.browser("clerk2")
    # The next version is a draft; its test version goes out under an id of its own.
    r = admin.call("POST", "/procedures/tv-jido/versions/1/copy", json={})
    assert r.status_code == 201 and r.json()["version"] == 2, r.text
    v2 = copy.deepcopy(DEFINITION)
    v2["title"] = "児童手当の申請（令和8年度）"
    v2["keywords"] = ["児童手当", "新様式"]
    assert admin.call("PUT", "/procedures/tv-jido/versions/2", json={"definition": v2}).status_code == 200

    # Only administrators publish a test version; a clerk of another department does
    # not even learn that the draft exists.
    assert clerk1.call("POST", "/procedures/tv-jido/versions/2/test").status_code == 403
    assert clerk2.call("GET", "/procedures/tv-jido/versions/2/test").status_code == 404
    r = admin.call("GET", "/procedures/tv-jido/versions/2/test")
    assert r.status_code == 200 and r.json()["test"] is None and r.json()["applications"] == []

    r = admin.call("POST", "/procedures/tv-jido/versions/2/test")
    assert r.status_code == 200, r.text
    t = r.json()
    test_id = t["test_id"]
    assert test_id.startswith("test--") and len(test_id) == len("test--") + 24
    assert t["test_version"] == 1 and t["path"] == f"/demo/procedures/{test_id}"
    assert "テスト版を公開しました" in t["message"]
    # A published version cannot be tested: it is already real.
    assert admin.call("POST", "/procedures/tv-jido/versions/1/test").status_code == 409

    # The portal serves it at its URL, marked, and never lists or finds it.
    got = wait(lambda: (r := portal_get(o, test_id)) is not None and r.status_code == 200 and r.json(),
               90, "the test version did not reach the internet zone")
    assert got["title"] == "【テスト】児童手当の申請（令和8年度）"
    assert got.get("test") is True and got.get("visibility") == "unlisted"
    assert test_id not in listed_ids(o)
    for q in ("児童手当", "テスト", "新様式"):
        assert test_id not in listed_ids(o, q=q), q
    assert "tv-jido" in listed_ids(o, q="児童手当")
    # The real procedure is still version 1 for citizens.
    assert portal_get(o, "tv-jido").json()["version"] == 1

    # A test application gets a test receipt number; real ones go on unbroken.
    r = submit(o, test_id, {"name": "試験 花子", "children": 2})
    assert r.status_code == 201, r.text
    test_receipt = r.json()["receipt_no"]
    assert test_receipt.startswith("T-") and test_receipt[2:].count("-") == 1, test_receipt
    r = submit(o, "tv-jido", {"name": "本番 二郎", "children": 3})
    assert r.status_code == 201, r.text
    real2 = r.json()["receipt_no"]
    first = o.real_receipts[0]
    if first[:8] == real2[:8]:	# same Japan day: the test took no real number
        assert int(real2[9:]) == int(first[9:]) + 1, (first, real2)
    o.real_receipts.append(real2)
    # The applicant's status look-up takes a test receipt number too.
    r = requests.get(f"{o.api}/applications/{test_receipt}",
                     params={"status_password": STATUS_PASSWORD}, timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "arrived", r.text

    # Through the sanitizer and the bridge into officed, attached to the draft.
    app = wait_imported(o, test_receipt)
    wait_imported(o, real2)
    assert app["procedure"]["id"] == "tv-jido" and app["procedure"]["version"] == 2, app
    assert app["test"] is True and app["procedure"]["title"].startswith("【テスト】")
    assert wait_imported(o, real2)["test"] is False
    with o.db() as db:
        row = db.execute("SELECT procedure_id, procedure_version, test, department_id FROM"
                         " applications WHERE receipt_no = ?", (test_receipt,)).fetchone()
        dept = db.execute("SELECT id FROM departments WHERE name = '市民課'").fetchone()[0]
    assert row == ("tv-jido", 2, 1, dept)
    r = admin.call("GET", "/procedures/tv-jido/versions/2/test")
    assert [a["receipt_no"] for a in r.json()["applications"]] == [test_receipt]
    assert r.json()["test"]["test_id"] == test_id and r.json()["test"]["withdrawn_at"] is None
    # The clerk of the draft's department sees its tests; the other clerk does not.
    assert [a["receipt_no"] for a in
            clerk1.call("GET", "/procedures/tv-jido/versions/2/test").json()["applications"]] == [test_receipt]
    assert clerk2.call("GET", "/applications", params={"test": "1"}).json()["total"] == 0

    # Kept apart: not in the list, its count, the CSV, the statistics or the API.
    for who in (admin, clerk1):
        listed = who.call("GET", "/applications").json()
        receipts = [a["receipt_no"] for a in listed["applications"]]
        assert test_receipt not in receipts and set(o.real_receipts) <= set(receipts)
        only = who.call("GET", "/applications", params={"test": "1"}).json()
        assert [a["receipt_no"] for a in only["applications"]] == [test_receipt]
        assert only["total"] == 1
    csv_r = admin.call("GET", "/applications/export.csv", params={"procedure": "tv-jido"})
    rows = [row[0] for row in csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig")))][1:]
    assert sorted(rows) == sorted(o.real_receipts)
    exp = admin.call("GET", "/exports/applications.csv", params={"columns": "receipt_no"})
    assert exp.status_code == 200, exp.text
    assert test_receipt not in exp.content.decode("utf-8-sig", "replace")
    assert real2 in exp.content.decode("utf-8-sig", "replace")
    exp = admin.call("GET", "/exports/applications.csv", params={"columns": "receipt_no", "test": "1"})
    assert test_receipt in exp.content.decode("utf-8-sig", "replace")
    stats = admin.call("GET", "/stats", params={"period": "day"}).json()
    totals = {p["procedure_id"]: p["arrived"] for p in stats["procedures"]}
    assert totals.get("tv-jido") == len(o.real_receipts)
    r = ctl(o.stack.instance, "apikey", "create", "--tenant", "demo", "--name", "tv-read",
            "--scope", "read", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    key = r.stdout.split("キー: ")[1].split()[0]
    hdr = {"Authorization": f"Bearer {key}"}
    api = requests.get(f"{o.stack.lgwan}/api/v1/demo/applications", headers=hdr, timeout=10).json()
    assert test_receipt not in [a["receipt_no"] for a in api["applications"]]
    assert real2 in [a["receipt_no"] for a in api["applications"]]
    assert requests.get(f"{o.stack.lgwan}/api/v1/demo/applications/{test_receipt}", headers=hdr,
                        timeout=10).status_code == 404

    # An edit is tried again at the same URL, as the next test version.
    v2["summary"] = "二度目のテストです。"
    assert admin.call("PUT", "/procedures/tv-jido/versions/2", json={"definition": v2}).status_code == 200
    r = admin.call("POST", "/procedures/tv-jido/versions/2/test")
    assert r.status_code == 200 and r.json()["test_id"] == test_id and r.json()["test_version"] == 2
    wait(lambda: (r := portal_get(o, test_id)) is not None and r.status_code == 200
         and r.json()["version"] == 2, 90, "the second test version did not arrive")

    # Publishing for real withdraws the test entry in the same bundle.
    r = admin.call("POST", "/procedures/tv-jido/versions/2/publish")
    assert r.status_code == 200, r.text
    wait(lambda: (r := portal_get(o, "tv-jido")) is not None and r.json().get("version") == 2, 90,
         "version 2 did not reach the internet zone")
    gone = portal_get(o, test_id)
    assert gone.status_code in (404, 410), gone.text
    assert "見つかりません" in gone.json()["error"]["message"] or "終了" in gone.json()["error"]["message"]
    r = submit(o, test_id, {"name": "遅れて 三郎", "children": 0})
    assert r.status_code in (404, 410), r.text
    assert portal_get(o, "tv-jido").json()["title"] == "児童手当の申請（令和8年度）"
    r = admin.call("GET", "/procedures/tv-jido/versions/2/test").json()
    assert r["test"]["withdrawn_at"] is not None
    # The test applications stay, still kept apart, until deleted.
    assert [a["receipt_no"] for a in r["applications"]] == [test_receipt]
    assert test_receipt not in [a["receipt_no"] for a in
                                admin.call("GET", "/applications").json()["applications"]]
    assert clerk1.call("DELETE", "/procedures/tv-jido/versions/2/test/applications").status_code == 403
    r = admin.call("DELETE", "/procedures/tv-jido/versions/2/test/applications")
    assert r.status_code == 200 and r.json()["deleted"] == 1, r.text
    assert admin.call("GET", f"/applications/{test_receipt}").status_code == 404
    assert admin.call("GET", "/procedures/tv-jido/versions/2/test").json()["applications"] == []
    # Real applications are untouched.
    for rc in o.real_receipts:
        assert admin.call("GET", f"/applications/{rc}").status_code == 200

    # Every step is in the audit log.
    pub = audit(o, "procedure.test_publish")
    assert [(a, t) for a, t, _ in pub] == [("admin", "procedure:tv-jido/2")] * 2
    assert test_id in pub[0][2]
    real = [d for _, t, d in audit(o, "procedure.publish") if t == "procedure:tv-jido/2"]
    assert len(real) == 1 and test_id in real[0] and "test_withdrawn" in real[0]
    deleted = audit(o, "procedure.test_applications_delete")
    assert len(deleted) == 1 and test_receipt in deleted[0][2]


def test_deleting_a_tested_draft_withdraws_its_test_version(real_v1):
    o = real_v1
    admin = o.browser("admin")
    # Its reception opens years from now: the test version is open at once.
    later = dict(DEFINITION, id="tv-drop", reception={"opens_at": "2099-04-01T09:00:00+09:00"})
    r = admin.call("POST", "/procedures", json={"definition": later, "department": "税務課"})
    assert r.status_code == 201, r.text
    r = admin.call("POST", "/procedures/tv-drop/versions/1/test")
    assert r.status_code == 200, r.text
    test_id = r.json()["test_id"]
    # The other department's clerk sees it; the first does not.
    assert o.browser("clerk2").call("GET", "/procedures/tv-drop/versions/1/test").status_code == 200
    assert o.browser("clerk1").call("GET", "/procedures/tv-drop/versions/1/test").status_code == 404
    got = wait(lambda: (r := portal_get(o, test_id)) is not None and r.status_code == 200 and r.json(),
               90, "the test version did not reach the internet zone")
    assert got["reception"]["state"] == "open" and got["reception"]["opens_at"] is None
    r = submit(o, test_id, {"name": "削除 前"})
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    wait_imported(o, receipt)
    assert o.browser("clerk2").call("GET", "/applications", params={"test": "1"}).json()["total"] == 1
    r = admin.call("DELETE", "/procedures/tv-drop/versions/1")
    assert r.status_code == 200, r.text
    wait(lambda: (r := portal_get(o, test_id)) is not None and r.status_code in (404, 410), 90,
         "the test version was not withdrawn")
    assert admin.call("GET", f"/applications/{receipt}").status_code == 404
    (_, _, detail), = [x for x in audit(o, "procedure.delete") if x[1] == "procedure:tv-drop/1"]
    assert test_id in detail and receipt in detail


def test_the_portal_refuses_a_test_id_that_is_not_a_test(real_v1):
    """The test prefix is reserved: a draft cannot take it."""
    admin = real_v1.browser("admin")
    r = admin.call("POST", "/procedures", json={"definition": dict(DEFINITION, id="test--mine"),
                                                "department": "市民課"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_definition", r.text
    r = admin.call("POST", "/procedures", json={"definition": dict(DEFINITION, id="tv-flag", test=True),
                                                "department": "市民課"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_definition", r.text
