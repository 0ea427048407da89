"""The procedure builder's HTTP road on the real stack: the definition the page's own
model (web/staff/builder-model.js, run under node) makes from an editor state with
every field type and nested show_if is stored as a draft, edited in place, refused
with the checker's path when wrong, exported, imported, copied and published — and the
citizen sees it through the internet-zone lighttpd."""
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import Stack, ctl, free_port
from test_office_auth import Office

ROOT = Path(__file__).resolve().parents[2]


def builder_request(proc_id):
    out = subprocess.run(["node", str(ROOT / "tests/browser/builder-sample.mjs"), proc_id],
                         check=True, capture_output=True, timeout=30).stdout
    return json.loads(out)


def wait(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError(what)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("builder")
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
        yield o
    finally:
        s.kill_everything()


def test_builder_definition_is_stored_edited_and_published_to_citizens(office):
    admin = office.browser("admin")
    req = builder_request("builder-all-types")
    r = admin.call("POST", "/procedures", json=req)
    assert r.status_code == 201, r.text
    assert (r.json()["id"], r.json()["version"], r.json()["state"]) == ("builder-all-types", 1, "draft")

    # The editor loads it back, changes the title and saves in place.
    r = admin.call("GET", "/procedures/builder-all-types/versions/1")
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["definition"]["schema"] == req["definition"]["schema"]
    assert stored["department"]["name"] == "市民課"
    req["definition"]["title"] = "すべての項目の試験手続（改）"
    r = admin.call("PUT", "/procedures/builder-all-types/versions/1", json=req)
    assert r.status_code == 200, r.text
    listed = admin.call("GET", "/procedures").json()["procedures"]
    row = [p for p in listed if p["id"] == "builder-all-types"]
    assert [(p["version"], p["state"], p["title"]) for p in row] == [(1, "draft", "すべての項目の試験手続（改）")]

    # A clerk may look but not build.
    clerk = office.browser("clerk1")
    assert clerk.call("PUT", "/procedures/builder-all-types/versions/1", json=req).status_code == 403

    # The checker's reason comes back with the member path the page translates.
    bad = json.loads(json.dumps(req))
    kids = [f for f in bad["definition"]["schema"]["fields"] if f["name"] == "children"][0]
    kids["fields"][2]["show_if"] = {"field": "school", "equals": "university"}
    r = admin.call("PUT", "/procedures/builder-all-types/versions/1", json=bad)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_definition", r.text
    assert "children.school_name" in r.json()["error"]["message"], r.text

    # Export, then import it under another id as another municipality would.
    r = admin.call("GET", "/procedures/builder-all-types/versions/1/export")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    doc = r.json()
    doc["definition"]["id"] = "builder-imported"
    doc["department"] = "税務課"
    r = admin.call("POST", "/procedures/import", json=doc)
    assert r.status_code == 201, r.text
    assert (r.json()["id"], r.json()["version"]) == ("builder-imported", 1)
    r = admin.call("POST", "/procedures/builder-all-types/versions/1/copy", json={"new_id": "builder-copy"})
    assert r.status_code == 201 and r.json()["id"] == "builder-copy", r.text

    r = admin.call("POST", "/procedures/builder-all-types/versions/1/publish")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "published"
    assert admin.call("PUT", "/procedures/builder-all-types/versions/1", json=req).status_code == 409

    def seen():
        try:
            r = requests.get(office.api + "/procedures/builder-all-types", timeout=3)
            return r.json() if r.status_code == 200 else None
        except requests.RequestException:
            return None
    citizen = wait(seen, 90, "the built procedure did not reach the internet zone")
    text = json.dumps(citizen, ensure_ascii=False)
    assert "すべての項目の試験手続（改）" in text
    fields = citizen.get("schema", citizen.get("definition", {}).get("schema", {}))["fields"]
    assert [f["name"] for f in fields] == [f["name"] for f in req["definition"]["schema"]["fields"]]
    kids = [f for f in fields if f["name"] == "children"][0]
    assert kids["show_if"] == {"field": "has_children", "equals": "yes"}
    assert kids["fields"][2]["show_if"] == {"field": "school", "equals": "es"}


def test_builder_pages_are_served_without_inline_script(office):
    import re
    for page, words in (("/procedures.html", "手続の一覧"), ("/builder.html", "手続の編集")):
        r = requests.get(office.stack.lgwan + page, timeout=5)
        assert r.status_code == 200 and words in r.text, page
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts and all("src=" in s for s in scripts), (page, scripts)
        assert "style=" not in r.text and " on" + "click" not in r.text
        for src in re.findall(r'<script[^>]* src="([^"]+)"', r.text):
            assert requests.get(office.stack.lgwan + src, timeout=5).status_code == 200, src
    assert requests.get(office.stack.lgwan + "/builder-model.js", timeout=5).status_code == 200
