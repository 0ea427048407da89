"""Routing (振り分け) on the real stack: an administrator gives a procedure a rule that
sends applications to another department by one answer; the rule is refused when
the form cannot satisfy it, kept out of what is published and exported, carried by
copies; and an application imported from the bridge lands in the department the
rule names, which is who may see it."""
import json
import uuid

import pytest
import requests

from test_office_workflow import STATUS_PASSWORD, office, wait, wait_imported  # noqa: F401

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
    ]},
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
                                                "routing": RULES})
    assert r.status_code == 201, r.text
    got = admin.call("GET", "/procedures/route-gomi/versions/1").json()
    assert [(x["field"], x["value"], x["department"]) for x in got["routing"]] == [
        ("area", "north", "税務課")]
    assert "routing" not in got["definition"]
    # The rule is checked again when the form changes under it.
    shrunk = json.loads(json.dumps(DEFINITION))
    shrunk["schema"]["fields"] = shrunk["schema"]["fields"][:1]
    r = admin.call("PUT", "/procedures/route-gomi/versions/1", json={"definition": shrunk})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_routing"
    # Exported for other municipalities without our organisation; copies keep it.
    exported = admin.call("GET", "/procedures/route-gomi/versions/1/export").json()
    assert "routing" not in exported and "routing" not in exported["definition"]
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
    # What the internet zone holds has no routing.
    assert "routing" not in requests.get(office.api + "/procedures/route-gomi", timeout=5).json()
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
