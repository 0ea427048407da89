"""Citizen accounts on the whole dev stack, with a real SMTP server on loopback: the
verification, reset and resume mails are read from what it captured and their links
followed. Registration, login with CSRF, an account-only procedure with the
duplicate-applicant rule, my applications, status by session, pre-fill, password
reset, lockout without account enumeration, drafts with and without an account, a
proxy application that the sanitizer signs, and the rate limits."""
import email
import email.policy
import json
import re
import sqlite3
import subprocess
import uuid

import requests

from test_portal_api import (CORPUS_SCRIPT, mailbox, portal, stack, upload,  # noqa: F401
                             wait, wait_verdict)

ACCOUNT_PROC = "kyufukin-shinsei"
PASSWORD = "hana-no-kuni-2026"


def mails(box):
    out = []
    for p in sorted(box.iterdir()):
        if p.name.startswith("."):
            continue
        rec = json.loads(p.read_text())
        msg = email.message_from_string(rec["data"], policy=email.policy.default)
        out.append({"to": rec["rcpt_tos"], "subject": str(msg["Subject"]), "text": msg.get_content()})
    return out


def mail_to(box, rcpt, subject_part, seen=0, seconds=30):
    """The (seen+1)-th mail to rcpt whose subject contains subject_part."""
    def found():
        hits = [m for m in mails(box) if m["to"] == [rcpt] and subject_part in m["subject"]]
        return hits[seen] if len(hits) > seen else None
    return wait(found, seconds, f"no mail '{subject_part}' to {rcpt}")


def token_of(text, page):
    m = re.search(r"/demo/account/" + page + r"#token=([0-9a-f]{64})", text)
    assert m, text
    return m.group(1)


def register(api, box, address, password=PASSWORD, seen=0):
    r = requests.post(api + "/account/register", json={"email": address, "password": password}, timeout=30)
    assert r.status_code == 202, r.text
    m = mail_to(box, address, "メールアドレスの確認", seen)
    r = requests.post(api + "/account/verify", json={"token": token_of(m["text"], "verify")}, timeout=10)
    assert r.status_code == 200, r.text
    return m


def login(api, address, password=PASSWORD):
    s = requests.Session()
    r = s.post(api + "/account/login", json={"email": address, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return s, r


def post_app(client, api, proc, body, csrf=True, key=None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    if not csrf:
        headers["X-CSRF-Token"] = ""
    return client.post(f"{api}/procedures/{proc}/applications", json=body, headers=headers, timeout=30)


def answers(**over):
    a = {"name": "関所 花子", "name_kana": "セキショ ハナコ", "birth_date": "1990-04-01",
         "postal_code": "100-0001", "address": "東京都千代田区千代田1-1", "tel": "03-1234-5678",
         "email": "hanako@example.jp", "children_count": 2, "terms": True}
    a.update(over)
    return a


def test_register_verify_login_and_an_account_only_procedure(mailbox, portal):
    api = portal.api
    addr = "hanako@example.jp"

    # Without an account the procedure refuses.
    r = post_app(requests, api, ACCOUNT_PROC, {"answers": answers()})
    assert r.status_code == 401 and r.json()["error"]["code"] == "login_required"

    # Registration: the same answer for a new address, an unverified one and (below) a
    # verified one; the verification link is single-use.
    r1 = requests.post(api + "/account/register", json={"email": "Hanako@Example.JP", "password": PASSWORD},
                       timeout=30)
    r2 = requests.post(api + "/account/register", json={"email": addr, "password": "another-password"},
                       timeout=30)
    assert r1.status_code == r2.status_code == 202
    assert r1.json()["message"] == r2.json()["message"]
    bad = requests.post(api + "/account/register", json={"email": "no-at-sign", "password": "short"}, timeout=10)
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"email", "password"}
    m = mail_to(mailbox, addr, "メールアドレスの確認", seen=1)
    assert "/demo/account/verify#token=" in m["text"]
    r = requests.post(api + "/account/login", json={"email": addr, "password": PASSWORD}, timeout=30)
    assert r.status_code == 403 and r.json()["error"]["code"] == "email_unverified"
    tok = token_of(m["text"], "verify")
    # The first mail's link was replaced by the second's.
    old = token_of(mail_to(mailbox, addr, "メールアドレスの確認", seen=0)["text"], "verify")
    assert requests.post(api + "/account/verify", json={"token": old}, timeout=10).status_code == 400
    assert requests.post(api + "/account/verify", json={"token": tok}, timeout=10).status_code == 200
    again = requests.post(api + "/account/verify", json={"token": tok}, timeout=10)
    assert again.status_code == 400 and "無効" in again.json()["error"]["message"]
    r3 = requests.post(api + "/account/register", json={"email": addr, "password": PASSWORD}, timeout=30)
    assert r3.status_code == 202 and r3.json() == r1.json()
    mail_to(mailbox, addr, "ご登録済み")

    # Login: the first registration's password (the second did not replace it).
    assert requests.post(api + "/account/login", json={"email": addr, "password": "another-password"},
                         timeout=30).status_code == 401
    s, r = login(api, addr)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    me = s.get(api + "/account", timeout=10).json()
    assert me["account"]["email"] == addr and me["session"]["idle_timeout_s"] == 1800
    assert me["session"]["absolute_timeout_s"] == 86400

    # Every state change with the session needs its CSRF token.
    r = s.put(api + "/account/profile", json={"profile": {"name": "関所 花子"}},
              headers={"X-CSRF-Token": ""}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = s.put(api + "/account/profile", json={"profile": {
        "name": "関所 花子", "kana": "ｾｷｼｮ ﾊﾅｺ", "tel": "03-1234-5678", "address": "東京都千代田区千代田1-1",
        "postal_code": "1000001", "birth_date": "1990-04-01"}}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["kana"] == "セキショ\u3000ハナコ"
    bad = s.put(api + "/account/profile", json={"profile": {"birth_date": "2999-01-01"}}, timeout=10)
    assert bad.status_code == 422 and "birth_date" in bad.json()["errors"]

    # Pre-fill from the profile (no previous application yet).
    pf = s.get(f"{api}/procedures/{ACCOUNT_PROC}/prefill", timeout=10).json()
    assert pf["answers"]["name"] == "関所 花子" and pf["answers"]["name_kana"] == "セキショ\u3000ハナコ"
    assert pf["answers"]["email"] == addr and pf["sources"]["tel"] == "profile"
    assert pf["previous"] is None and "terms" not in pf["answers"]

    # The submission: CSRF required, then accepted, then refused as a duplicate.
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers()}, csrf=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers()})
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers(children_count=3)})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_applicant"
    # A procedure without an account rule takes several from the same account.
    for _ in range(2):
        assert post_app(s, api, "demo-inquiry", {"answers": {"name": "関所 花子"}}).status_code == 201

    mine = s.get(api + "/account/applications", timeout=10).json()["applications"]
    assert len(mine) == 3
    mine_account = [a for a in mine if a["procedure"]["id"] == ACCOUNT_PROC]
    assert [a["receipt_no"] for a in mine_account] == [receipt]
    assert mine_account[0]["status_label"] == "到達"
    assert mine_account[0]["procedure"]["title"] == "子育て応援給付金の申請 (サンプル)"

    # Status with the session instead of a password; nobody else's session sees it.
    st = s.get(f"{api}/applications/{receipt}", timeout=10)
    assert st.status_code == 200 and st.json()["history"][0]["label"] == "到達"
    assert requests.get(f"{api}/applications/{receipt}", timeout=10).status_code == 404
    register(api, mailbox, "jiro@example.jp")
    other, _ = login(api, "jiro@example.jp")
    assert other.get(f"{api}/applications/{receipt}", timeout=10).status_code == 404
    assert other.get(api + "/account/applications", timeout=10).json()["applications"] == []

    # 過去の申請の再利用: the previous application's answers, the profile on top.
    pf = s.get(f"{api}/procedures/{ACCOUNT_PROC}/prefill", timeout=10).json()
    assert pf["previous"]["receipt_no"] == receipt
    assert pf["answers"]["children_count"] == 2 and pf["sources"]["children_count"] == "previous"
    assert pf["sources"]["name"] == "profile"

    # Logout ends the session.
    assert s.post(api + "/account/logout", timeout=10).status_code == 200
    assert s.get(api + "/account", timeout=10).status_code == 401
    assert s.get(f"{api}/applications/{receipt}", timeout=10).status_code == 404


def test_password_reset_and_lockout_without_enumeration(mailbox, portal):
    api = portal.api
    addr, unknown = "taro@example.jp", "nobody@example.jp"
    register(api, mailbox, addr)

    a = requests.post(api + "/account/password-reset", json={"email": addr}, timeout=10)
    b = requests.post(api + "/account/password-reset", json={"email": unknown}, timeout=10)
    assert a.status_code == b.status_code == 202 and a.json() == b.json()
    m = mail_to(mailbox, addr, "パスワード再設定")
    tok = token_of(m["text"], "reset")
    r = requests.post(api + "/account/password-reset/confirm", json={"token": tok, "new_password": "short"},
                      timeout=10)
    assert r.status_code == 422
    fresh = "a-brand-new-password"
    r = requests.post(api + "/account/password-reset/confirm", json={"token": tok, "new_password": fresh},
                      timeout=30)
    assert r.status_code == 200, r.text
    r = requests.post(api + "/account/password-reset/confirm", json={"token": tok, "new_password": fresh},
                      timeout=30)
    assert r.status_code == 400
    mail_to(mailbox, addr, "パスワード再設定のお知らせ")
    assert requests.post(api + "/account/login", json={"email": addr, "password": PASSWORD},
                         timeout=30).status_code == 401
    s, _ = login(api, addr, fresh)

    # Change of password: notified, other sessions end, this one goes on.
    other, _ = login(api, addr, fresh)
    r = s.post(api + "/account/password", json={"current_password": "wrong-password",
                                                 "new_password": "third-password-x"}, timeout=30)
    assert r.status_code == 422
    r = s.post(api + "/account/password", json={"current_password": fresh,
                                                 "new_password": "third-password-x"}, timeout=30)
    assert r.status_code == 200, r.text
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert s.get(api + "/account", timeout=10).status_code == 200
    assert other.get(api + "/account", timeout=10).status_code == 401
    mail_to(mailbox, addr, "パスワード変更のお知らせ")
    # The wrong current password above counted toward the lockout; a login clears it.
    login(api, addr, "third-password-x")

    # Lockout: five failures lock the address for a while, known or not, in the same words.
    def attempt(who, pw):
        r = requests.post(api + "/account/login", json={"email": who, "password": pw}, timeout=30)
        return r.status_code, r.json()["error"]["message"]
    known = [attempt(addr, f"wrong-{i}-password") for i in range(5)]
    unknown_ = [attempt(unknown, f"wrong-{i}-password") for i in range(5)]
    assert known == unknown_ and {c for c, _ in known} == {401}
    locked = attempt(addr, "third-password-x")
    assert locked[0] == 423 and locked == attempt(unknown, "third-password-x")
    # Nothing was ever mailed to the unknown address.
    assert not [m for m in mails(mailbox) if m["to"] == [unknown]]


def test_email_change_and_account_deletion(mailbox, portal):
    api = portal.api
    addr, new = "saburo@example.jp", "saburo.new@example.jp"
    register(api, mailbox, addr)
    s, _ = login(api, addr)
    r = s.post(api + "/account/email", json={"password": PASSWORD, "new_email": new}, timeout=30)
    assert r.status_code == 202, r.text
    mail_to(mailbox, addr, "メールアドレス変更のお申込み")
    tok = token_of(mail_to(mailbox, new, "メールアドレスの確認")["text"], "verify")
    assert requests.post(api + "/account/verify", json={"token": tok}, timeout=10).json()["purpose"] == "email"
    mail_to(mailbox, addr, "メールアドレス変更のお知らせ")
    mail_to(mailbox, new, "メールアドレス変更のお知らせ")
    assert s.get(api + "/account", timeout=10).json()["account"]["email"] == new

    assert post_app(s, api, ACCOUNT_PROC, {"answers": answers(email=new)}).status_code == 201
    r = s.post(api + "/account/delete", json={"password": PASSWORD}, timeout=30)
    assert r.status_code == 422 and "confirm" in r.json()["errors"]
    r = s.post(api + "/account/delete", json={"password": PASSWORD, "confirm": True}, timeout=30)
    assert r.status_code == 200
    mail_to(mailbox, new, "アカウント削除のお知らせ")
    assert s.get(api + "/account", timeout=10).status_code == 401
    assert requests.post(api + "/account/login", json={"email": new, "password": PASSWORD},
                         timeout=30).status_code == 401
    # The application stays (the municipality's record), no longer tied to an account.
    db = sqlite3.connect(portal.instance / "dmz/db/demo.sqlite")
    assert db.execute("SELECT count(*), count(account_id) FROM applications WHERE procedure_id = ?",
                      (ACCOUNT_PROC,)).fetchone() == (1, 0)


def test_drafts_with_and_without_an_account(mailbox, portal):
    api = portal.api
    addr = "shiro@example.jp"
    register(api, mailbox, addr)
    s, _ = login(api, addr)
    draft = {"version": 1, "answers": {"name": "下書き 四郎", "children_count": "2"}}
    r = s.put(f"{api}/drafts/{ACCOUNT_PROC}", json=draft, headers={"X-CSRF-Token": ""}, timeout=10)
    assert r.status_code == 403
    r = s.put(f"{api}/drafts/{ACCOUNT_PROC}", json=draft, timeout=10)
    assert r.status_code == 200, r.text
    did = r.json()["id"]
    # Saving again replaces it (one per procedure) and keeps its id.
    draft["answers"]["name"] = "下書き 四郎 (2)"
    assert s.put(f"{api}/drafts/{ACCOUNT_PROC}", json=draft, timeout=10).json()["id"] == did
    lst = s.get(api + "/drafts", timeout=10).json()["drafts"]
    assert [d["id"] for d in lst] == [did] and lst[0]["procedure"]["title"].startswith("子育て応援給付金")
    got = s.get(f"{api}/drafts/{ACCOUNT_PROC}", timeout=10).json()
    assert got["answers"]["name"] == "下書き 四郎 (2)"
    assert requests.get(f"{api}/drafts/{ACCOUNT_PROC}", timeout=10).status_code == 401
    huge = {"version": 1, "answers": {"name": "x" * (300 * 1024)}}
    assert s.put(f"{api}/drafts/{ACCOUNT_PROC}", json=huge, timeout=10).status_code == 413
    assert s.put(f"{api}/drafts/no-such", json=draft, timeout=10).status_code == 404
    # Submitting deletes the draft.
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers(email=addr), "draft_id": did})
    assert r.status_code == 201, r.text
    assert s.get(api + "/drafts", timeout=10).json()["drafts"] == []
    assert s.get(f"{api}/drafts/{ACCOUNT_PROC}", timeout=10).status_code == 404

    # Without an account: a resume link by email, single-use.
    body = {"procedure": "demo-inquiry", "version": 1, "email": "goro@example.jp",
            "answers": {"name": "山田 五郎", "body": "続きはあとで"}}
    r = requests.post(api + "/drafts/resume-link", json=body, timeout=10)
    assert r.status_code == 202, r.text
    first_id = r.json()["draft_id"]
    m = mail_to(mailbox, "goro@example.jp", "一時保存")
    assert "お問い合わせ・届出のサンプル" in m["subject"]
    tok = token_of(m["text"], "resume")
    r = requests.post(api + "/drafts/resume", json={"token": tok}, timeout=10)
    assert r.status_code == 200 and r.json()["answers"]["name"] == "山田 五郎"
    assert r.json()["procedure"] == "demo-inquiry"
    assert requests.post(api + "/drafts/resume", json={"token": tok}, timeout=10).status_code == 400
    db = sqlite3.connect(portal.instance / "dmz/db/demo.sqlite")
    assert db.execute("SELECT count(*) FROM drafts WHERE id = ?", (first_id,)).fetchone() == (0,)

    # Saved again: a new link; submitting with its id deletes the draft.
    r = requests.post(api + "/drafts/resume-link", json=body, timeout=10)
    second_id = r.json()["draft_id"]
    assert db.execute("SELECT count(*) FROM drafts WHERE id = ?", (second_id,)).fetchone() == (1,)
    r = post_app(requests, api, "demo-inquiry", {"answers": {"name": "山田 五郎"}, "draft_id": second_id})
    assert r.status_code == 201
    assert db.execute("SELECT count(*) FROM drafts WHERE id = ?", (second_id,)).fetchone() == (0,)

    # An expired link is refused (and spent).
    requests.post(api + "/drafts/resume-link", json=body, timeout=10)
    m = mail_to(mailbox, "goro@example.jp", "一時保存", seen=2)
    db.execute("UPDATE drafts SET expires_at = 1 WHERE account_id IS NULL")
    db.commit()
    r = requests.post(api + "/drafts/resume", json={"token": token_of(m["text"], "resume")}, timeout=10)
    assert r.status_code == 400 and "有効期限" in r.json()["error"]["message"]


def test_proxy_application_is_signed_by_the_sanitizer(mailbox, portal, tmp_path):
    api, inst = portal.api, portal.instance
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    pdf = (tmp_path / "benign-text.pdf").read_bytes()
    register(api, mailbox, "proxy@example.jp")
    s, _ = login(api, "proxy@example.jp")
    rep = {"name": "関所 太郎", "kana": "セキショ タロウ", "relationship": "夫", "tel": "090-1234-5678"}

    # Not allowed by demo-inquiry; required 委任状 missing; bad fields reported by path.
    r = post_app(s, api, "demo-inquiry", {"answers": {"name": "x"}, "proxy": rep})
    assert r.status_code == 422 and "proxy" in r.json()["errors"]
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers(), "proxy": rep})
    assert r.status_code == 422 and "proxy.attorney" in r.json()["errors"]
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers(), "proxy": dict(rep, relationship="", extra=1)})
    assert r.status_code == 422 and {"proxy.relationship", "proxy.extra"} <= set(r.json()["errors"])

    up = upload(api, "委任状.pdf", pdf, procedure=ACCOUNT_PROC).json()
    assert wait_verdict(api, up["upload_id"])["state"] == "clean"
    r = post_app(s, api, ACCOUNT_PROC, {"answers": answers(), "proxy": rep,
                                        "proxy_attorney": [up["upload_id"]]})
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    db = sqlite3.connect(inst / "dmz/db/demo.sqlite")
    stored = json.loads(db.execute("SELECT proxy FROM applications WHERE receipt_no = ?",
                                   (receipt,)).fetchone()[0])
    assert stored["kana"] == "セキショ\u3000タロウ" and stored["attorney"] == [up["upload_id"]]

    # The sanitizer checks the representative too, and signs the bundle.
    def forwarded():
        row = db.execute("SELECT forward_state, forward_error FROM applications WHERE receipt_no = ?",
                         (receipt,)).fetchone()
        assert row[0] != "failed", row[1]
        return row[0] == "forwarded"
    wait(forwarded, 60, "the proxy application was not forwarded")


def test_rate_limits_answer_429_in_japanese(portal):
    api = portal.api
    codes = []
    for i in range(15):
        r = requests.post(api + "/account/password-reset", json={"email": f"x{i}@example.jp"}, timeout=10)
        codes.append(r.status_code)
        if r.status_code == 429:
            assert "しばらく待って" in r.json()["error"]["message"]
            assert r.headers.get("Retry-After")
    assert 202 in codes and 429 in codes
    # Registration shares the mail limiter.
    r = requests.post(api + "/account/register", json={"email": "y@example.jp", "password": PASSWORD}, timeout=10)
    assert r.status_code == 429
    # The login limiter is separate: a login still gets its answer.
    r = requests.post(api + "/account/login", json={"email": "y@example.jp", "password": PASSWORD}, timeout=30)
    assert r.status_code == 401
