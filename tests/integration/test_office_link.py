"""Data linking, exports, statistics and the auditor's tools on the real stack:
API keys made with sekishoctl and used on every endpoint of the linking API (read
keys refused writes, revoked keys refused, every call in the audit log, department
keys and clerks kept to their departments), CSV exports with chosen columns in
UTF-8 and CP932, the attachments zip, statistics on known data, the audit log's
search and export, and `sekishoctl audit verify --tenant` before and after
tampering. Applications are put into officed's inbox as signed bundles made to
docs/bundle-format.md with the dev instance's sanitizer key, so no portal or
sanitizer run is needed."""
import csv
import glob
import hashlib
import io
import os
import socket
import sqlite3
import tarfile
import time
import zipfile

import pytest
import requests

from bundles import attestation, bundle, canonical, spool_put
from conftest import Stack, ctl, free_port
from test_office_auth import Office

PDF = b"%PDF-1.7\n% sanitized output for the link test\n" + b"x" * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 200

CITY = {"id": "link-city", "version": 1, "title": "連携試験の届出（市民課）",
        "summary": "連携の試験です。", "category": "くらし・手続", "visibility": "public",
        "identity": "none",
        "schema": {"fields": [
            {"name": "name", "type": "text", "label": "お名前", "required": True},
            {"name": "kind", "type": "radio", "label": "種類", "required": True,
             "options": [{"value": "move", "label": "転居"}, {"value": "other", "label": "その他"}]},
            {"name": "attachment", "type": "file", "label": "添付", "accept": ["pdf", "image"]},
        ]}}
TAX = dict(CITY, id="link-tax", title="連携試験の申告（税務課）")


def wait(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError(what)


def put_application(inst, receipt, proc, answers, files):
    """One application bundle into officed's inbox. files: [(name, bytes, display)]."""
    members, entries = [], []
    for i, (ext, data, display) in enumerate(files, 1):
        att = attestation(inst, data)
        members += [(f"files/{i}.{ext}", data), (f"attestations/{i}.{ext}.json", canonical(att))]
        entries.append({"file": f"files/{i}.{ext}", "attestation": f"attestations/{i}.{ext}.json",
                        "field": "attachment", "display_name": display, "pages": i})
    app = {"format": "sekisho-application/1", "receipt_no": receipt, "tenant": "demo",
           "procedure": {"id": proc["id"], "version": 1, "title": proc["title"]},
           "submitted_at": "2026-11-22T10:00:00+09:00", "answers": answers}
    bid = f"app-demo-{receipt}"
    data = bundle(inst / "dmz/keys/sanitizer-signing.key", bid, "application",
                  [("application.json", canonical(app))] + members, files=entries)
    spool_put(inst / "lgwan/spool/inbox", bid, data)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("link")
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
        o = Office(s, out.split("初期パスワード:")[1].split()[0])
        o.setup_people()
        admin = o.admin
        for proc, dept in ((CITY, "市民課"), (TAX, "税務課")):
            r = admin.call("POST", "/procedures", json={"definition": proc, "department": dept,
                                                        "workflow": ["accepted", "completed"]})
            assert r.status_code == 201, r.text
        o.inst = inst
        o.receipts = {"city1": "R-20261122-0001", "city2": "R-20261122-0002",
                      "tax1": "R-20261122-0003"}
        put_application(inst, o.receipts["city1"], CITY, {"name": "𠮷野 花子", "kind": "move"},
                        [("pdf", PDF, "住民票 写し.pdf"), ("png", PNG, "../本人確認.png")])
        put_application(inst, o.receipts["city2"], CITY, {"name": "山田 太郎", "kind": "other"},
                        [("pdf", PDF + b"2", "申請書.pdf")])
        put_application(inst, o.receipts["tax1"], TAX, {"name": "佐藤 次郎", "kind": "move"},
                        [("pdf", PDF + b"3", "申告書.pdf")])

        def imported():
            with o.db() as db:
                return db.execute("SELECT count(*) FROM applications").fetchone()[0] == 3
        wait(imported, 60, "officed did not import the three bundles")
        yield o
    finally:
        s.kill_everything()


def make_key(o, name, scope, *extra):
    r = ctl(o.inst, "apikey", "create", "--tenant", "demo", "--name", name, "--scope", scope,
            *extra, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    key = r.stdout.split("キー: ")[1].split()[0]
    assert len(key) == 43
    return key


def api(o, path, key=None, method="GET", **kw):
    headers = kw.pop("headers", {})
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return requests.request(method, f"{o.stack.lgwan}/api/v1/demo{path}", headers=headers,
                            timeout=30, **kw)


def audit_rows(o, actor):
    with o.db() as db:
        return db.execute("SELECT action, target FROM audit_log WHERE actor = ? ORDER BY seq",
                          (actor,)).fetchall()


def test_key_is_shown_once_stored_as_hash_and_serves_every_endpoint(office):
    o = office
    key = make_key(o, "kikan-read", "read")
    with o.db() as db:
        stored = db.execute("SELECT key_sha256, scope FROM api_keys WHERE name = 'kikan-read'"
                            ).fetchone()
    assert stored == (hashlib.sha256(key.encode()).hexdigest(), "read")
    assert key.encode() not in (o.inst / "lgwan/db/demo.sqlite").read_bytes()
    listed = ctl(o.inst, "apikey", "list", "--tenant", "demo").stdout
    assert "kikan-read" in listed and key not in listed

    r = api(o, "/applications", key)
    assert r.status_code == 200, r.text
    apps = r.json()["applications"]
    assert [a["receipt_no"] for a in apps] == list(o.receipts.values())
    first = apps[0]
    assert first["procedure_id"] == "link-city" and first["status"] == "arrived"
    assert first["received_at"].endswith("+09:00")
    assert first["attachments"] == [{"n": 1, "name": "住民票 写し.pdf", "type": "pdf", "pages": 1},
                                    {"n": 2, "name": "../本人確認.png", "type": "png", "pages": 2}]
    assert r.json()["next_cursor"] is None
    # Filters and a bounded page with a cursor.
    r = api(o, "/applications", key, params={"procedure": "link-tax"})
    assert [a["receipt_no"] for a in r.json()["applications"]] == [o.receipts["tax1"]]
    assert api(o, "/applications", key, params={"status": "completed"}).json()["applications"] == []
    assert len(api(o, "/applications", key, params={"since": "2000-01-01"}).json()["applications"]) == 3
    assert api(o, "/applications", key, params={"since": "2999-01-01"}).json()["applications"] == []
    seen, cursor = [], None
    while True:
        r = api(o, "/applications", key, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        seen += [a["receipt_no"] for a in r.json()["applications"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == list(o.receipts.values())
    assert api(o, "/applications", key, params={"limit": 501}).status_code == 400
    assert api(o, "/applications", key, params={"status": "nonsense"}).status_code == 400

    rc = o.receipts["city1"]
    r = api(o, f"/applications/{rc}", key)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["answers"] == {"name": "𠮷野 花子", "kind": "move"}
    assert d["procedure"] == {"id": "link-city", "version": 1, "title": CITY["title"]}
    assert [h["status"] for h in d["history"]] == ["arrived"]
    r = api(o, f"/applications/{rc}/attachments/1", key)
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    r = api(o, f"/applications/{rc}/attachments/2", key)
    assert r.content == PNG and r.headers["Content-Type"] == "image/png"
    r = api(o, f"/applications/{rc}/attachments/1/attestation", key)
    assert r.status_code == 200
    assert r.json()["attestation"]["output"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert len(r.json()["signature"]) == 128
    assert api(o, f"/applications/{rc}/attachments/3", key).status_code == 404
    assert api(o, "/applications/R-none", key).status_code == 404

    actions = [a for a, _ in audit_rows(o, "apikey:kikan-read")]
    assert actions.count("api.list") >= 6
    assert {"api.view", "api.file", "api.attestation"} <= set(actions)
    assert ("api.file", f"application:{rc}/files/1") in audit_rows(o, "apikey:kikan-read")
    assert ("apikey.create", "apikey:kikan-read") in [
        r[:2] for r in sqlite3.connect(o.inst / "lgwan/db/demo.sqlite").execute(
            "SELECT action, target FROM audit_log WHERE actor LIKE 'sekishoctl:%'")]


def test_read_key_cannot_write_and_write_key_records_a_link(office):
    o = office
    read, write = make_key(o, "bunsho-read", "read"), make_key(o, "bunsho-write", "write")
    rc = o.receipts["city2"]
    r = api(o, f"/applications/{rc}/links", read, method="POST", json={"reference": "DOC-1"})
    assert r.status_code == 403 and "書き込み" in r.json()["error"]["message"]
    assert ("api.refused", "api") in audit_rows(o, "apikey:bunsho-read")
    r = api(o, f"/applications/{rc}/links", write, method="POST", json={"reference": "DOC-1"})
    assert r.status_code == 201, r.text
    assert r.json()["links"][0]["system"] == "bunsho-write"
    assert api(o, f"/applications/{rc}", read).json()["links"][0]["reference"] == "DOC-1"
    assert ("api.link", f"application:{rc}") in audit_rows(o, "apikey:bunsho-write")
    r = api(o, f"/applications/{rc}/links", write, method="POST", json={"reference": ""})
    assert r.status_code == 400


def test_unknown_revoked_and_cookie_callers_get_401_in_japanese(office):
    o = office
    key = make_key(o, "to-revoke", "read")
    assert api(o, "/applications", key).status_code == 200
    r = ctl(o.inst, "apikey", "revoke", "--tenant", "demo", "--name", "to-revoke", check=False)
    assert r.returncode == 0, r.stderr
    assert ctl(o.inst, "apikey", "revoke", "--tenant", "demo", "--name", "to-revoke",
               check=False).returncode == 1
    for k in (key, "A" * 43, "short", None):
        r = api(o, "/applications", k)
        assert r.status_code == 401, (k, r.text)
        assert r.headers["Content-Type"].startswith("application/json")
        assert "API キー" in r.json()["error"]["message"]
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    # A staff session is no key: the linking API does not take cookies.
    admin = o.browser("admin")
    r = admin.http.get(f"{o.stack.lgwan}/api/v1/demo/applications", timeout=10)
    assert r.status_code == 401
    assert "失効" in ctl(o.inst, "apikey", "list", "--tenant", "demo").stdout
    # A revoked key's name stays taken, and says so (not a database error).
    r = ctl(o.inst, "apikey", "create", "--tenant", "demo", "--name", "to-revoke",
            "--scope", "read", check=False)
    assert r.returncode != 0 and "既にあります" in r.stderr, r.stderr


def test_department_key_and_clerks_stay_in_their_department(office):
    o = office
    key = make_key(o, "shimin-only", "read", "--department", "市民課")
    got = [a["receipt_no"] for a in api(o, "/applications", key).json()["applications"]]
    assert got == [o.receipts["city1"], o.receipts["city2"]]
    assert api(o, f"/applications/{o.receipts['tax1']}", key).status_code == 404
    assert api(o, f"/applications/{o.receipts['tax1']}/attachments/1", key).status_code == 404
    assert ctl(o.inst, "apikey", "create", "--tenant", "demo", "--name", "x", "--scope", "read",
               "--department", "ない課", check=False).returncode == 1
    clerk2 = o.browser("clerk2")	# 税務課
    r = clerk2.call("GET", "/exports/applications.csv", params={"columns": "receipt_no"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows == [["到達番号"], [o.receipts["tax1"]]]
    r = clerk2.call("GET", "/exports/attachments.zip")
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert names == [f"{o.receipts['tax1']}/01_申告書.pdf"]
    r = clerk2.call("GET", "/stats", params={"period": "month"})
    assert r.status_code == 200, r.text
    assert {p["procedure_id"] for p in r.json()["procedures"]} == {"link-tax"}
    assert r.json()["department_scoped"] is True
    # Naming the other department's procedure does not widen anything.
    r = clerk2.call("GET", "/exports/applications.csv", params={"procedure": "link-city"})
    assert len(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))) == 1
    # Clerks and auditors have no audit search.
    assert clerk2.call("GET", "/audit").status_code == 403


def test_csv_columns_utf8_and_cp932_with_replacement_reported(office):
    o = office
    admin = o.browser("admin")
    cols = admin.call("GET", "/exports/columns", params={"procedure": "link-city"}).json()
    names = [c["name"] for c in cols["columns"]]
    assert {"receipt_no", "status", "answer.name", "answer.kind"} <= set(names)
    assert "answer.attachment" not in names
    spec = "receipt_no,status,answer.name,answer.kind,attachments"
    r = admin.call("GET", "/exports/applications.csv",
                   params={"procedure": "link-city", "columns": spec})
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows == [["到達番号", "状態", "お名前", "種類", "添付ファイル数"],
                    [o.receipts["city1"], "到達", "𠮷野 花子", "転居", "2"],
                    [o.receipts["city2"], "到達", "山田 太郎", "その他", "1"]]
    r = admin.call("GET", "/exports/applications.csv",
                   params={"procedure": "link-city", "columns": spec, "encoding": "cp932"})
    assert r.status_code == 200 and "Shift_JIS" in r.headers["Content-Type"]
    rows = list(csv.reader(io.StringIO(r.content.decode("cp932"))))
    assert rows[1] == [o.receipts["city1"], "到達", "〓野 花子", "転居", "2"]
    assert rows[2][2] == "山田 太郎"
    assert r.headers["X-Export-Replaced"] == "1; U+20BB7"
    r = admin.call("GET", "/exports/applications.csv", params={"columns": "bundle_path"})
    assert r.status_code == 400 and "bundle_path" in r.json()["error"]["message"]
    r = admin.call("GET", "/exports/applications.csv", params={"columns": "answer.a'b"})
    assert r.status_code == 400
    with o.db() as db:
        d = db.execute("SELECT detail FROM audit_log WHERE action = 'application.export'"
                       " ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert '"encoding":"cp932"' in d and '"replaced":1' in d


def test_attachments_zip_is_named_by_receipt(office):
    o = office
    r = o.browser("admin").call("GET", "/exports/attachments.zip",
                                params={"procedure": "link-city"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    c1, c2 = o.receipts["city1"], o.receipts["city2"]
    assert z.namelist() == [f"{c1}/01_住民票 写し.pdf", f"{c1}/02__._本人確認.png",
                            f"{c2}/01_申請書.pdf"]
    assert z.read(f"{c1}/01_住民票 写し.pdf") == PDF
    assert z.read(f"{c1}/02__._本人確認.png") == PNG
    assert z.testzip() is None


def test_stats_on_known_data(office):
    o = office
    admin = o.browser("admin")
    rc = o.receipts["city1"]
    for to in ("accepted", "completed"):
        r = admin.call("POST", f"/applications/{rc}/transitions", json={"to": to})
        assert r.status_code == 200, r.text
    with o.db() as db:	# a known 到達 → 完了 time: exactly 3 hours
        db.execute("UPDATE application_history SET at = strftime('%Y-%m-%dT%H:%M:%SZ',"
                   " (SELECT received_at FROM applications WHERE receipt_no = ?), '+3 hours')"
                   " WHERE to_status = 'completed'", (rc,))
    r = admin.call("GET", "/stats", params={"since": "2000-01-01", "until": "2099-12-31",
                                            "period": "month"})
    assert r.status_code == 400	# more than ten years of months
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))
    r = admin.call("GET", "/stats", params={"period": "day"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["until"] == today and s["form_downloads"] is None and "記録" in s["form_downloads_note"]
    rows = {(x["procedure_id"], x["bucket"]): x for x in s["rows"]}
    assert rows[("link-city", today)]["arrived"] == 2
    assert rows[("link-city", today)]["completed"] == 1
    assert rows[("link-city", today)]["avg_completion_s"] == 3 * 3600
    assert rows[("link-tax", today)]["arrived"] == 1
    assert rows[("link-tax", today)]["avg_completion_s"] is None
    totals = {p["procedure_id"]: p for p in s["procedures"]}
    assert totals["link-city"]["title"] == CITY["title"] and totals["link-city"]["arrived"] == 2
    r = admin.call("GET", "/stats", params={"period": "month"})
    assert {(x["procedure_id"], x["bucket"]) for x in r.json()["rows"]} == {
        ("link-city", today[:7]), ("link-tax", today[:7])}
    r = admin.call("GET", "/stats.csv", params={"encoding": "cp932"})
    rows = list(csv.reader(io.StringIO(r.content.decode("cp932"))))
    assert rows[0] == ["手続ID", "手続名", "期間", "到達件数", "完了件数", "平均処理時間（時間）"]
    assert ["link-city", CITY["title"], today, "2", "1", "3.0"] in rows


def test_audit_search_and_export_for_auditors(office):
    o = office
    auditor = o.browser("auditor1")
    r = auditor.call("GET", "/audit", params={"actor": "apikey:kikan-read", "action": "api."})
    assert r.status_code == 200, r.text
    e = r.json()["entries"]
    assert e and all(x["actor"] == "apikey:kikan-read" and x["action"].startswith("api.") for x in e)
    assert [x["seq"] for x in e] == sorted((x["seq"] for x in e), reverse=True)
    r = auditor.call("GET", "/audit", params={"target": o.receipts["city1"], "limit": 2})
    page1 = r.json()
    assert len(page1["entries"]) == 2 and page1["next_before"]
    r = auditor.call("GET", "/audit", params={"target": o.receipts["city1"], "limit": 2,
                                              "before": page1["next_before"]})
    assert r.json()["entries"][0]["seq"] < page1["entries"][-1]["seq"]
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))
    assert auditor.call("GET", "/audit", params={"since": "2999-01-01"}).json()["entries"] == []
    r = auditor.call("GET", "/audit.csv", params={"since": today, "until": today,
                                                  "action": "api.file"})
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["記録番号", "日時", "操作者", "操作", "対象"]
    assert len(rows) >= 3 and {row[3] for row in rows[1:]} == {"api.file"}
    r = auditor.call("GET", "/audit.csv", params={"encoding": "cp932", "action": "login."})
    assert {row[3] for row in list(csv.reader(io.StringIO(r.content.decode("cp932"))))[1:]} <= {
        "login.success", "login.failure", "login.locked"}
    admin = o.browser("admin")
    assert admin.call("GET", "/audit").status_code == 200
    assert o.browser("clerk1").call("GET", "/audit.csv").status_code == 403
    with o.db() as db:
        acts = {r[0] for r in db.execute("SELECT action FROM audit_log WHERE actor = 'auditor1'")}
    assert {"audit.search", "audit.export"} <= acts


def test_list_text_search_short_long_and_after_new_imports(office):
    o = office
    admin, clerk2 = o.browser("admin"), o.browser("clerk2")

    def found(b, q):
        r = b.call("GET", "/applications", params={"q": q})
        assert r.status_code == 200, r.text
        return sorted(a["receipt_no"] for a in r.json()["applications"])
    c1, c2, t1 = o.receipts["city1"], o.receipts["city2"], o.receipts["tax1"]
    assert found(admin, "山田") == [c2]			# two characters: no trigram
    assert found(admin, "山田 太郎") == [c2]		# the trigram index
    assert found(admin, "𠮷野 花") == [c1]
    assert found(admin, "佐藤") == [t1] and found(clerk2, "佐藤") == [t1]
    assert found(clerk2, "山田 太郎") == []		# not clerk2's department
    assert found(admin, '" OR "') == [] and found(admin, "x*") == []
    # An application imported after a search is found by the next one.
    put_application(o.inst, "R-20261122-0009", TAX, {"name": "新井 三郎", "kind": "move"},
                    [("pdf", PDF + b"9", "追加.pdf")])
    wait(lambda: admin.call("GET", "/applications/R-20261122-0009").status_code == 200, 60,
         "the fourth bundle was not imported")
    assert found(admin, "新井 三郎") == ["R-20261122-0009"]
    assert found(clerk2, "新井") == ["R-20261122-0009"]
    r = admin.call("GET", "/exports/applications.csv", params={"q": "新井 三郎",
                                                               "columns": "receipt_no"})
    assert r.content.decode("utf-8-sig").split() == ["到達番号", "R-20261122-0009"]


LINK_ENDPOINTS = [
    # (path, expected status for admin, clerk, auditor); all GET, anonymous 401
    ("/exports/columns", 200, 200, 200),
    ("/exports/applications.csv", 200, 200, 200),
    ("/exports/attachments.zip?procedure=link-tax", 200, 200, 200),
    ("/stats", 200, 200, 200),
    ("/stats.csv", 200, 200, 200),
    ("/audit", 200, 403, 200),
    ("/audit.csv", 200, 403, 200),
]


def test_staff_endpoints_across_roles(office):
    from test_office_auth import Staff
    people = [office.browser("admin"), office.browser("clerk1"), office.browser("auditor1")]
    for path, *expect in LINK_ENDPOINTS:
        for b, want in zip(people, expect):
            r = b.call("GET", path)
            assert r.status_code == want, (b, path, r.text[:200])
        assert Staff(office).call("GET", path).status_code == 401, path


def test_stats_audit_and_export_pages_have_no_inline_script(office):
    import re
    for page, words in (("/stats.html", "統計"), ("/audit.html", "監査ログ"),
                        ("/exports.html", "申請の書き出し")):
        r = requests.get(office.stack.lgwan + page, timeout=5)
        assert r.status_code == 200 and words in r.text, page
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts and all("src=" in s for s in scripts), (page, scripts)
        assert "style=" not in r.text and "onclick" not in r.text
        for src in re.findall(r'<script src="([^"]+)"', r.text):
            js = requests.get(office.stack.lgwan + src, timeout=5)
            assert js.status_code == 200, src
            assert "innerHTML" not in js.text and "eval(" not in js.text, src
        for ident in re.findall(r'<(?:input|select|textarea)[^>]*id="([^"]+)"', r.text):
            assert f'for="{ident}"' in r.text, (page, ident)
    assert "createElementNS" in requests.get(office.stack.lgwan + "/stats.js", timeout=5).text


def test_zz_audit_verify_report_ok_then_ng_after_tampering(office):
    """Runs last: it tampers with the stored bundle and the audit log."""
    o = office
    r = ctl(o.inst, "audit", "verify", "--tenant", "demo", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "監査検証報告書" in r.stdout and "総合判定:       OK" in r.stdout
    assert "添付ファイル:   OK（5 件中 NG 0 件）" in r.stdout
    assert "保存された申請: OK（4 件中 NG 0 件）" in r.stdout
    assert r.stdout.count("  OK R-") == 5
    # Change one byte of the first application's PDF in the stored bundle.
    path = glob.glob(str(o.inst / f"lgwan/bundles/demo/app-demo-{o.receipts['city1']}.tar"))[0]
    data = bytearray(open(path, "rb").read())
    at = data.find(b"sanitized output for the link test")
    data[at] ^= 0x20
    os.chmod(path, 0o644)
    open(path, "wb").write(bytes(data))
    r = ctl(o.inst, "audit", "verify", "--tenant", "demo", check=False)
    assert r.returncode == 1, r.stdout
    assert f"NG {o.receipts['city1']} files/1.pdf" in r.stdout
    assert "添付ファイル:   NG（5 件中 NG 1 件）" in r.stdout and "総合判定:       NG" in r.stdout
    # The tampered file is served to nobody, zipped for nobody.
    key = make_key(o, "after-tamper", "read")
    assert api(o, f"/applications/{o.receipts['city1']}/attachments/1", key).status_code == 500
    assert api(o, f"/applications/{o.receipts['city1']}/attachments/2", key).status_code == 200
    r = o.browser("admin").call("GET", "/exports/attachments.zip")
    assert r.status_code == 500 and r.json()["error"]["code"] == "integrity"
    with o.db() as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 5")
    r = ctl(o.inst, "audit", "verify", "--tenant", "demo", check=False)
    assert r.returncode == 1 and "記録 5" in r.stdout and "監査ログ:       NG" in r.stdout
