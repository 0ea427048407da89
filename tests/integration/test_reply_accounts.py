"""A reply (補正への回答) with the account session instead of the 照会用パスワード: the
account that made the application may reply (with its CSRF token), another account is
answered like an unknown 到達番号. The office's side is test_replies.py's; here the
correction request is put into the portal's database as a status bundle leaves it."""
import sqlite3
import time

import requests

from test_portal_accounts import ACCOUNT_PROC, answers, login, post_app, register
from test_portal_api import mailbox, portal, stack  # noqa: F401


def request_correction(inst, receipt):
    with sqlite3.connect(inst / "dmz/db/demo.sqlite", timeout=10) as db:
        db.execute("UPDATE applications SET status = 'correction' WHERE receipt_no = ?", (receipt,))
        db.execute("INSERT INTO application_events (receipt_no, status, message, at, source, kind,"
                   " reply_invited) VALUES (?, 'correction', '書類を添付してください。', ?, 'office',"
                   " 'status', 1)", (receipt, int(time.time())))


def test_reply_with_the_account_session(mailbox, portal):
    api = portal.api
    register(api, mailbox, "owner@example.jp")
    register(api, mailbox, "other@example.jp")
    owner, _ = login(api, "owner@example.jp")
    other, _ = login(api, "other@example.jp")
    r = post_app(owner, api, ACCOUNT_PROC, {"answers": answers(email="owner@example.jp")})
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt_no"]
    request_correction(portal.instance, receipt)
    st = owner.get(f"{api}/applications/{receipt}", timeout=10).json()
    assert st["can_reply"] is True

    url = f"{api}/applications/{receipt}/replies"
    body = {"text": "書類は郵送しました。"}
    # Without the session's CSRF token: refused before anything is looked at.
    r = owner.post(url, json=body, headers={"Idempotency-Key": "k-1", "X-CSRF-Token": ""}, timeout=30)
    assert r.status_code == 403, r.text
    # Another account: the same answer as an unknown 到達番号.
    r = other.post(url, json=body, headers={"Idempotency-Key": "k-2"}, timeout=30)
    unknown = other.post(f"{api}/applications/20000101-999999/replies", json=body,
                         headers={"Idempotency-Key": "k-3"}, timeout=30)
    assert r.status_code == unknown.status_code == 404
    assert r.json()["error"] == unknown.json()["error"]
    # Without any session or password: the same.
    r = requests.post(url, json=body, headers={"Idempotency-Key": "k-4"}, timeout=30)
    assert r.status_code == 404 and r.json()["error"] == unknown.json()["error"]
    # The owner, by session.
    r = owner.post(url, json=body, headers={"Idempotency-Key": "k-5"}, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["reply_no"] == 1 and r.json()["files"] == 0
    st = owner.get(f"{api}/applications/{receipt}", timeout=10).json()
    assert st["can_reply"] is False
    assert st["history"][-1] | {"at": None} == {"status": "correction", "label": "ご回答",
                                               "message": "書類は郵送しました。", "at": None,
                                               "kind": "reply", "reply_invited": False}
