"""Staff sign-in through the LGWAN lighttpd: login, lockout, CSRF, idle timeout,
forced password change, roles and departments on every endpoint, CSV import with
setup codes, and the audit log's hash chain after all of it."""
import datetime
import os
import socket
import sqlite3
import stat
import time

import pytest
import requests

from conftest import Stack, ctl, free_port

IDLE_S = 4
PASSWORD = "a-long-and-private-passphrase"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("office")
    ports = {"internet": free_port(), "lgwan": free_port(),
             "uplink": free_port(socket.SOCK_DGRAM), "downlink": free_port(socket.SOCK_DGRAM)}
    inst = tmp / "inst"
    out = ctl(inst, "init", "--dev",
              "--internet-port", str(ports["internet"]), "--lgwan-port", str(ports["lgwan"]),
              "--uplink-port", str(ports["uplink"]), "--downlink-port", str(ports["downlink"])).stdout
    conf = inst / "etc/officed.conf"
    text = conf.read_text().replace("staff_idle_timeout_s = 1800",
                                    f"staff_idle_timeout_s = {IDLE_S}")
    conf.write_text(text + "login_rate_per_min = 100000\n")
    s = Stack(inst, ports)
    s.start()
    try:
        s.wait_healthy(s.lgwan + "/api/healthz")
        o = Office(s, out.split("初期パスワード:")[1].split()[0])
        o.setup_people()
        yield o
    finally:
        s.kill_everything()


class Staff:
    """One browser: a cookie jar and the CSRF token the API handed out."""

    def __init__(self, office):
        self.o = office
        self.http = requests.Session()
        self.csrf = None

    def url(self, path):
        return f"{self.o.stack.lgwan}/api/v1/demo/staff{path}"

    def login(self, login, password):
        r = self.http.post(self.url("/login"), json={"login": login, "password": password},
                           timeout=10)
        if r.status_code == 200:
            self.csrf = r.json()["csrf_token"]
        return r

    def call(self, method, path, csrf=True, **kw):
        headers = kw.pop("headers", {})
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        r = self.http.request(method, self.url(path), headers=headers, timeout=30, **kw)
        if r.headers.get("Content-Type", "").startswith("application/json"):
            j = r.json()
            if isinstance(j, dict) and "csrf_token" in j:
                self.csrf = j["csrf_token"]
        return r

    def change_password(self, old, new):
        return self.call("POST", "/password",
                         json={"current_password": old, "new_password": new})


class Office:
    def __init__(self, stack, admin_initial):
        self.stack = stack
        self.admin_initial = admin_initial
        self.passwords = {}

    def db(self):
        return sqlite3.connect(self.stack.instance / "lgwan/db/demo.sqlite", timeout=10)

    def browser(self, login=None):
        b = Staff(self)
        if login:
            r = b.login(login, self.passwords[login])
            assert r.status_code == 200, r.text
        return b

    def create(self, admin, login, role, departments=()):
        r = admin.call("POST", "/accounts", json={"login": login, "display_name": login,
                                                  "role": role, "departments": list(departments)})
        assert r.status_code == 201, r.text
        b = Staff(self)
        assert b.login(login, r.json()["initial_password"]).status_code == 200
        assert b.change_password(r.json()["initial_password"], PASSWORD).status_code == 200
        self.passwords[login] = PASSWORD
        return b

    def setup_people(self):
        a = Staff(self)
        assert a.login("admin", self.admin_initial).status_code == 200
        assert a.change_password(self.admin_initial, PASSWORD).status_code == 200
        self.passwords["admin"] = PASSWORD
        for d in ("市民課", "税務課"):
            assert a.call("POST", "/departments", json={"name": d}).status_code == 201
        self.create(a, "clerk1", "clerk", ["市民課"])
        self.create(a, "clerk2", "clerk", ["税務課"])
        self.create(a, "auditor1", "auditor")
        self.admin = a


def test_login_reports_previous_login_and_sets_strict_cookie(office):
    b = Staff(office)
    before = int(time.time())
    r = b.login("clerk1", PASSWORD)
    after = int(time.time())
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # the dev stack is plain HTTP (cookie_secure = false)
    # The next login reports this one: its time, in JST, to the second (an earlier
    # login by the fixture may fall in the same second, so compare with the clock).
    r = Staff(office).login("clerk1", PASSWORD)
    shown = datetime.datetime.fromisoformat(r.json()["last_login_at"])
    assert shown.utcoffset() == datetime.timedelta(hours=9)
    assert before <= shown.timestamp() <= after
    assert "年" in r.json()["last_login_text"]
    assert r.json()["staff"]["departments"][0]["name"] == "市民課"
    # Only the hash of a token is stored.
    token = cookie.split("=", 1)[1].split(";")[0]
    with office.db() as db:
        assert db.execute("SELECT count(*) FROM sessions WHERE token_hash = ?",
                          (token,)).fetchone()[0] == 0


def test_five_wrong_passwords_lock_and_unknown_login_looks_the_same(office):
    office.create(office.browser("admin"), "victim", "clerk", ["市民課"])
    messages = {}
    for login in ("victim", "no-such-person"):
        b = Staff(office)
        for _ in range(5):
            r = b.login(login, "wrong-password-guess")
            assert r.status_code == 401
            messages.setdefault(login, set()).add(r.json()["error"]["message"])
        locked = b.login(login, PASSWORD)  # even the right password
        assert locked.status_code == 423, locked.text
        messages[login].add(locked.json()["error"]["message"])
    assert messages["victim"] == messages["no-such-person"]
    # An administrator's other accounts are unaffected.
    assert Staff(office).login("clerk1", PASSWORD).status_code == 200
    with office.db() as db:
        actions = [r[0] for r in db.execute(
            "SELECT action FROM audit_log WHERE target = 'staff:victim' ORDER BY seq")]
    assert actions.count("login.failure") == 5 and "login.locked" in actions


def test_state_change_without_csrf_token_is_refused(office):
    a = office.browser("admin")
    r = a.call("POST", "/departments", csrf=False, json={"name": "企画課"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = a.call("POST", "/departments", csrf=False, json={"name": "企画課"},
               headers={"X-CSRF-Token": "0" * 64})
    assert r.status_code == 403
    assert a.call("GET", "/departments", csrf=False).status_code == 200
    assert a.call("POST", "/departments", json={"name": "企画課"}).status_code == 201


def test_duplicate_department_or_login_is_a_409_not_a_server_error(office):
    a = office.browser("admin")
    r = a.call("POST", "/departments", json={"name": "市民課"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "exists", r.text
    assert r.json()["error"]["message"] == "同じ名前の部署が既にあります。"
    r = a.call("POST", "/accounts", json={"login": "clerk1", "display_name": "二重",
                                          "role": "clerk"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "exists", r.text
    assert "initial_password" not in r.json()
    names = [d["name"] for d in a.call("GET", "/departments").json()["departments"]]
    assert names.count("市民課") == 1


def test_session_ends_after_idle_timeout(office):
    b = office.browser("clerk2")
    assert b.call("GET", "/me").status_code == 200
    time.sleep(IDLE_S + 1.5)
    b.http.close()  # lighttpd has closed the idle keep-alive connection meanwhile
    r = b.call("GET", "/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"
    assert b.call("GET", "/me").json()["error"]["code"] == "unauthenticated"


def test_logout_ends_the_session(office):
    b = office.browser("clerk2")
    r = b.call("POST", "/logout")
    assert r.status_code == 200 and "Max-Age=0" in r.headers["Set-Cookie"]
    assert b.call("GET", "/me").status_code == 401


def test_first_login_forces_password_change_and_rotates_the_session(office):
    r = office.browser("admin").call("POST", "/accounts", json={"login": "newbie", "display_name": "新人",
                                                     "role": "clerk"})
    initial = r.json()["initial_password"]
    b = Staff(office)
    me = b.login("newbie", initial).json()
    assert me["password"]["change_required"] and me["password"]["reason"] == "initial"
    blocked = b.call("GET", "/departments")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "password_change_required"
    old_cookie = dict(b.http.cookies)
    weak = b.change_password(initial, "short")
    assert weak.status_code == 400 and "12 文字" in weak.json()["error"]["message"]
    assert b.change_password("not-the-current-one", PASSWORD).status_code == 403
    ok = b.change_password(initial, PASSWORD)
    assert ok.status_code == 200 and not ok.json()["password"]["change_required"]
    assert b.call("GET", "/departments").status_code == 200
    stale = requests.get(b.url("/me"), cookies=old_cookie, timeout=5)
    assert stale.status_code == 401


def test_admin_password_older_than_six_months_must_change_with_reminder_before(office):
    office.create(office.browser("admin"), "admin2", "admin")
    with office.db() as db:
        db.execute("UPDATE staff SET password_changed_at = strftime('%Y-%m-%dT%H:%M:%SZ',"
                   " 'now', '-170 days') WHERE login = 'admin2'")
    me = Staff(office).login("admin2", PASSWORD).json()
    assert me["password"]["reminder"] and not me["password"]["change_required"]
    with office.db() as db:
        db.execute("UPDATE staff SET password_changed_at = strftime('%Y-%m-%dT%H:%M:%SZ',"
                   " 'now', '-181 days') WHERE login = 'admin2'")
    b = Staff(office)
    me = b.login("admin2", PASSWORD).json()
    assert me["password"]["change_required"] and me["password"]["reason"] == "expired"
    assert b.call("GET", "/accounts").status_code == 403
    assert b.change_password(PASSWORD, PASSWORD + "-2026").status_code == 200
    assert b.call("GET", "/accounts").status_code == 200
    # Clerks have no such expiry.
    with office.db() as db:
        db.execute("UPDATE staff SET password_changed_at = '2020-01-01T00:00:00Z'"
                   " WHERE login = 'clerk2'")
    assert not Staff(office).login("clerk2", PASSWORD).json()["password"]["change_required"]


CSV_OK = "login,display_name,role,departments,email\r\nm{n},職員{n},clerk,市民課,\r\n"

ENDPOINTS = [
    # (method, path, body or files, expected status for admin, clerk, auditor)
    ("GET", "/me", None, 200, 200, 200),
    ("GET", "/departments", None, 200, 200, 200),
    ("POST", "/departments", {"name": "matrix-{n}"}, 201, 403, 403),
    ("GET", "/accounts", None, 200, 403, 200),
    ("POST", "/accounts", {"login": "matrix-{n}", "display_name": "x", "role": "clerk"},
     201, 403, 403),
    ("PUT", "/accounts/clerk2/departments", {"departments": ["税務課"]}, 200, 403, 403),
    ("PUT", "/accounts/auditor1/role", {"role": "auditor"}, 200, 403, 403),
    ("GET", "/export", None, 200, 403, 403),
    ("POST", "/import", "csv", 200, 403, 403),
]


def send(b, method, path, body, n, **kw):
    if body == "csv":
        files = {"file": ("staff.csv", CSV_OK.format(n=n).encode(), "text/csv")}
        return b.call(method, path, files=files, **kw)
    if isinstance(body, dict):
        body = {k: v.format(n=n) if isinstance(v, str) else v for k, v in body.items()}
        return b.call(method, path, json=body, **kw)
    return b.call(method, path, **kw)


def test_every_endpoint_across_roles(office):
    people = {"admin": office.browser("admin"), "clerk": office.browser("clerk1"),
              "auditor": office.browser("auditor1")}
    anonymous = Staff(office)
    for i, (method, path, body, *expect) in enumerate(ENDPOINTS):
        for (role, b), want in zip(people.items(), expect):
            r = send(b, method, path, body, f"{role}{i}")
            assert r.status_code == want, (role, method, path, r.text)
        r = send(anonymous, method, path, body, f"anon{i}")
        assert r.status_code == 401, (method, path, r.text)


def test_clerk_sees_only_own_departments(office):
    names = lambda b: sorted(d["name"] for d in b.call("GET", "/departments").json()["departments"])
    assert names(office.browser("clerk1")) == ["市民課"]
    assert names(office.browser("clerk2")) == ["税務課"]
    assert {"市民課", "税務課"} <= set(names(office.browser("auditor1")))
    # Moving clerk1 takes effect on the next request.
    a = office.browser("admin")
    c = office.browser("clerk1")
    assert a.call("PUT", "/accounts/clerk1/departments",
                  json={"departments": ["税務課"]}).status_code == 200
    assert names(c) == ["税務課"]
    assert a.call("PUT", "/accounts/clerk1/departments",
                  json={"departments": ["市民課"]}).status_code == 200


def test_role_change_applies_at_once_and_last_admin_is_kept(office):
    a = office.browser("admin")
    office.create(a, "temp-admin", "admin")
    t = office.browser("temp-admin")
    assert t.call("GET", "/accounts").status_code == 200
    assert a.call("PUT", "/accounts/temp-admin/role", json={"role": "clerk"}).status_code == 200
    assert t.call("GET", "/accounts").status_code == 403


def test_csv_import_cp932_all_or_nothing_and_setup_codes(office):
    a = office.browser("admin")
    bad = ("login,display_name,role,departments\r\nok1,良い,clerk,市民課\r\n"
           "bad login,悪い,clerk,\r\nok2,良い,boss,\r\n").encode("cp932")
    r = a.call("POST", "/import", files={"file": ("s.csv", bad, "text/csv")})
    assert r.status_code == 422, r.text
    errs = {(e["row"], e["column"]) for e in r.json()["errors"]}
    assert errs == {(3, "login"), (4, "role")}
    with office.db() as db:
        assert db.execute("SELECT count(*) FROM staff WHERE login = 'ok1'").fetchone()[0] == 0
    good = "ログインID,氏名,権限,所属\r\nimp1,取込 一郎,業務担当者,新設課;市民課\r\n".encode("cp932")
    r = a.call("POST", "/import", files={"file": ("s.csv", good, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["encoding"].startswith("Shift_JIS") and r.json()["departments_created"] == 1
    code = r.json()["accounts"][0]["setup_code"]
    # No password yet: login fails like any wrong password.
    assert Staff(office).login("imp1", "anything-at-all").status_code == 401
    b = Staff(office)
    r = b.http.post(b.url("/setup"), json={"login": "imp1", "setup_code": "X" * 16,
                                          "new_password": PASSWORD}, timeout=10)
    assert r.status_code == 401
    r = b.http.post(b.url("/setup"), json={"login": "imp1", "setup_code": code,
                                          "new_password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    me = b.login("imp1", PASSWORD).json()
    assert not me["password"]["change_required"]
    assert sorted(d["name"] for d in me["staff"]["departments"]) == ["市民課", "新設課"]
    # A code works once.
    r = b.http.post(b.url("/setup"), json={"login": "imp1", "setup_code": code,
                                          "new_password": PASSWORD + "x"}, timeout=10)
    assert r.status_code == 401


def test_export_is_csv_with_bom_and_logged(office):
    a = office.browser("admin")
    r = a.call("GET", "/export")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbflogin,display_name,role,departments,email")
    assert b"clerk1,clerk1,clerk," in r.content


def test_cli_import_writes_codes_file_readable_by_operator_only(office, tmp_path):
    src = tmp_path / "staff.csv"
    src.write_text("login,display_name,role\ncli1,コマンド 太郎,clerk\n", encoding="utf-8")
    codes = tmp_path / "codes.csv"
    r = ctl(office.stack.instance, "staff", "import", "demo", str(src), "--codes", str(codes))
    assert r.returncode == 0 and "1 件" in r.stdout, r.stdout + r.stderr
    assert stat.S_IMODE(os.stat(codes).st_mode) == 0o600
    assert "cli1" in codes.read_text(encoding="utf-8-sig")
    src.write_text("login,display_name,role\ncli1,again,clerk\n", encoding="utf-8")
    r = ctl(office.stack.instance, "staff", "import", "demo", str(src), "--codes",
            str(tmp_path / "c2.csv"), check=False)
    assert r.returncode == 1 and "2 行目「login」列" in r.stdout and "既に登録" in r.stdout


def test_zz_audit_log_verifies_then_detects_tampering(office):
    """Runs last (module order): it tampers with the module's database."""
    with office.db() as db:
        actions = {r[0] for r in db.execute("SELECT DISTINCT action FROM audit_log")}
        row = db.execute("SELECT actor, remote, at FROM audit_log WHERE action = 'logout'"
                         ).fetchone()
    assert {"login.success", "login.failure", "login.locked", "logout", "password.change",
            "department.create", "staff.create", "staff.departments", "staff.role",
            "staff.import", "staff.export", "account.setup"} <= actions
    assert row[0] == "clerk2" and row[1] == "127.0.0.1" and row[2].endswith("Z")
    r = ctl(office.stack.instance, "audit", "verify-log", "demo", check=False)
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr
    with office.db() as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 3")
    r = ctl(office.stack.instance, "audit", "verify-log", "demo", check=False)
    assert r.returncode == 1 and "記録 3" in r.stdout and "改ざん" in r.stdout, r.stdout


def test_staff_pages_are_japanese_and_have_no_inline_script(office):
    import re
    for page, words in (("/", "ログイン"), ("/home.html", "前回のログイン"),
                        ("/setup.html", "設定コード")):
        r = requests.get(office.stack.lgwan + page, timeout=5)
        assert r.status_code == 200 and words in r.text, page
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts and all("src=" in s for s in scripts), (page, scripts)
        assert "style=" not in r.text and "onclick" not in r.text
        for src in re.findall(r'<script src="([^"]+)"', r.text):
            assert requests.get(office.stack.lgwan + src, timeout=5).status_code == 200, src
