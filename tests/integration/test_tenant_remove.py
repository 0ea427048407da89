"""Removing a tenant (sekishoctl tenant remove): after an application of the tenant
has gone the whole way through the dev stack (upload, sanitizer, uplink bundle,
import in LGWAN, receipt back down) and the databases were backed up, nothing of the tenant is left anywhere in the
instance tree — not its name in any path or any file, not its upload — while the
other tenant's files are untouched. Without the confirmation nothing is deleted. The
confirmed removal leaves a signed deletion certificate (削除証明書) whose counts and
hashes are those of the data as it was just before the deletion."""
import hashlib
import json
import os
import sqlite3
import subprocess
import uuid

import requests

from conftest import ctl
from test_portal_api import CORPUS_SCRIPT, SAMPLES, upload, wait, wait_verdict

GONE = "kieru-mura"


def apply(stack, tenant, pdf):
    """One application with one attachment, until LGWAN has imported it and its
    receipt has come back to the DMZ."""
    api = f"{stack.internet}/api/v1/{tenant}"

    def listed():
        try:
            r = requests.get(api + "/procedures", timeout=2)
            return r.status_code == 200 and len(r.json()["procedures"]) == len(SAMPLES)
        except requests.RequestException:
            return False
    wait(listed, 90, f"{tenant}: the catalogue did not arrive over the downlink")
    up = upload(api, "添付.pdf", pdf, procedure="demo-inquiry", field="attachment").json()
    assert wait_verdict(api, up["upload_id"])["state"] == "clean"
    body = {"answers": {"name": "山田 太郎", "email": "taro@example.jp", "body": "削除の確認"},
            "uploads": {"attachment": [up["upload_id"]]},
            "status_password": "correct horse battery"}
    r = requests.post(f"{api}/procedures/demo-inquiry/applications", json=body,
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    inst = stack.instance

    def imported():
        db = sqlite3.connect(inst / f"lgwan/db/{tenant}.sqlite")
        try:
            return db.execute("SELECT count(*) FROM applications").fetchone()[0] == 1
        finally:
            db.close()
    wait(imported, 120, f"{tenant}: the application did not reach LGWAN")

    def forwarded():
        db = sqlite3.connect(inst / f"dmz/db/{tenant}.sqlite")
        try:
            return db.execute("SELECT forward_state FROM applications").fetchone()[0] == "forwarded"
        finally:
            db.close()
    wait(forwarded, 60, f"{tenant}: the application was not forwarded")
    return up["upload_id"]


def traces(inst, needles):
    """Every path under the instance whose name or content holds one of needles. The
    operational log files (log/) record what happened, tenant names included, and the
    deletion certificates (certificates/) record the removal itself; they are the
    host's, not the tenant's, and kept."""
    found = []
    for dirpath, dirnames, filenames in os.walk(inst):
        rel = os.path.relpath(dirpath, inst)
        if rel.split(os.sep)[0] in ("log", "certificates"):
            continue
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if any(n in name for n in needles):
                found.append(p)
            elif name in filenames and os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    data = f.read()
                if any(n.encode() in data for n in needles):
                    found.append(p)
    return found


def files_below(inst, paths):
    """{path relative to inst: (size, sha256)} of every file at or below paths."""
    out = {}
    for top in paths:
        walk = [(top, [], [""])] if os.path.isfile(top) else os.walk(top)
        for dirpath, _, filenames in walk:
            for name in filenames:
                p = os.path.join(dirpath, name) if name else dirpath
                with open(p, "rb") as f:
                    out[os.path.relpath(p, inst)] = (os.path.getsize(p),
                                                     hashlib.sha256(f.read()).hexdigest())
    return out


def counts(db_path, tables):
    db = sqlite3.connect(db_path)
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


def test_removal_leaves_no_file_of_the_tenant(instance, tmp_path):
    from conftest import Stack
    inst, ports, _ = instance
    ctl(inst, "tenant", "add", GONE)
    ctl(inst, "staff", "add", GONE, "clerk1", "clerk", "消える 職員")
    for tenant in ("demo", GONE):
        r = ctl(inst, "catalogue", "publish", tenant, *SAMPLES)
        assert f"bundle catalogue-{tenant}-" in r.stdout
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    pdf = (tmp_path / "benign-text.pdf").read_bytes()
    stack = Stack(inst, ports)
    stack.start()
    try:
        kept_upload = apply(stack, "demo", pdf)
        gone_upload = apply(stack, GONE, pdf)
    except AssertionError:
        print(stack.output())
        raise
    finally:
        stack.stop()
        stack.kill_everything()

    ctl(inst, "backup")
    before = traces(inst, [GONE, gone_upload])
    # The other tenant's (a file of the removed one may mention "demo-inquiry").
    kept_before = [p for p in traces(inst, ["demo", kept_upload]) if p not in before]
    assert any(p.endswith("lgwan/bundles/demo") for p in kept_before), kept_before
    # Both zones' databases, the stored bundle, the upload's spool item and result.
    assert any(p.endswith(f"dmz/db/{GONE}.sqlite") for p in before), before
    assert any(p.endswith(f"lgwan/bundles/{GONE}") for p in before), before
    assert any(f"/dmz/sanitized/{gone_upload}" in p for p in before), before
    assert any("/lgwan/backup/" in p and p.endswith(f"{GONE}.sqlite") for p in before), before

    # Without the confirmation (or with another name): listed, nothing deleted.
    r = ctl(inst, "tenant", "remove", GONE)
    assert r.returncode == 0 and "--confirm" in r.stdout
    assert f"dmz/db/{GONE}.sqlite" in r.stdout
    assert ctl(inst, "tenant", "remove", GONE, "--confirm", "demo", check=False).returncode == 1
    # (Reading the ids opens the databases, which gives them -wal and -shm files.)
    assert [p for p in traces(inst, [GONE, gone_upload])
            if not p.endswith(("-wal", "-shm"))] == [p for p in before
                                                     if not p.endswith(("-wal", "-shm"))]

    # What the certificate must state: read just before the removal.
    now = traces(inst, [GONE, gone_upload])
    expect_files = files_below(inst, [p for p in now if os.path.dirname(p) not in now])
    expect_dmz = counts(inst / f"dmz/db/{GONE}.sqlite",
                        ["applications", "uploads", "documents", "accounts", "drafts"])
    expect_lgwan = counts(inst / f"lgwan/db/{GONE}.sqlite",
                          ["applications", "attachments", "issued_documents", "staff",
                           "audit_log"])
    assert expect_dmz["applications"] == 1 and expect_dmz["uploads"] == 1
    assert expect_lgwan["applications"] == 1 and expect_lgwan["attachments"] == 1
    assert expect_lgwan["staff"] == 1

    r = ctl(inst, "tenant", "remove", GONE, "--confirm", GONE, "--operator", "山田 太郎")
    assert "削除しました" in r.stdout
    assert "削除証明書" in r.stdout and "残存 0 件" in r.stdout
    assert traces(inst, [GONE, gone_upload]) == []
    assert ctl(inst, "tenant", "list").stdout.split() == ["demo"]
    # The other tenant's files are all still there.
    assert traces(inst, ["demo", kept_upload]) == kept_before
    assert ctl(inst, "tenant", "remove", GONE, check=False).returncode == 1
    assert ctl(inst, "tenant", "remove", "../etc", "--confirm", "../etc",
               check=False).returncode == 1

    check_certificate(inst, tmp_path, r.stdout, expect_files, expect_dmz, expect_lgwan)


def check_certificate(inst, tmp_path, stdout, expect_files, expect_dmz, expect_lgwan):
    certs = sorted((inst / "certificates").glob(f"deletion-{GONE}-*.json"))
    assert len(certs) == 1, certs
    path = certs[0]
    text_path = path.with_suffix(".txt")
    cert = json.loads(path.read_text())
    text = text_path.read_text()
    assert text in stdout  # the same text went to the operator's screen
    assert cert["type"] == "sekisho-deletion-certificate"
    assert cert["tenant"]["name"] == GONE
    # What: the databases' contents, counted before deletion.
    assert cert["zones"]["dmz"]["counts"] == expect_dmz
    assert cert["zones"]["lgwan"]["counts"] == expect_lgwan
    for zone in ("dmz", "lgwan"):
        db = f"{zone}/db/{GONE}.sqlite"
        assert cert["zones"][zone]["database"] == db
        assert cert["zones"][zone]["database_sha256"] == expect_files[db][1]
    # Every file with its size and hash as it was. The -shm file is SQLite's shared
    # memory index, rewritten whenever a database is opened (the removal opens them).
    got = {f["path"]: (f["size"], f["sha256"]) for f in cert["files"]}
    assert got.keys() == expect_files.keys()
    for p, v in expect_files.items():
        if not p.endswith("-shm"):
            assert got[p] == v, p
    assert any(p.startswith(f"lgwan/bundles/{GONE}/") for p in got), got
    assert any(p.startswith("dmz/sanitized/") for p in got), got
    assert cert["totals"] == {"files": len(got), "bytes": sum(s for s, _ in got.values())}
    manifest = "".join(f"{f['sha256']}  {f['size']}  {f['path']}\n" for f in cert["files"])
    assert cert["manifest_sha256"] == hashlib.sha256(manifest.encode()).hexdigest()
    assert [f["path"] for f in cert["files"]] == sorted(got)
    # When, by whom, how, and the re-scan.
    assert cert["started_at"].endswith("+09:00") and cert["finished_at"] >= cert["started_at"]
    assert cert["operator"]["name"] == "山田 太郎"
    assert cert["operator"]["uid"] == os.geteuid() and cert["operator"]["host"]
    assert cert["method"]["overwritten"] is False
    assert cert["verification"] == {"method": "re-scan of both zones after deletion",
                                    "remaining_count": 0, "remaining": []}
    for s in (GONE, "山田 太郎", cert["manifest_sha256"], "上書き消去は行っていません",
              "残存 0 件", expect_files[f"lgwan/db/{GONE}.sqlite"][1]):
        assert s in text, s

    # Signed with the office key: sekishoctl and openssl agree, a change is caught.
    pub = inst / "lgwan/keys/office-signing.pub"
    for p in (path, text_path):
        assert "OK" in ctl(inst, "audit", "verify-certificate", str(p)).stdout
        subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pub),
                        "-rawin", "-in", str(p), "-sigfile", f"{p}.sig"], check=True,
                       capture_output=True)
    forged = tmp_path / "forged.txt"
    forged.write_text(text.replace("残存 0 件", "残存 1 件"))
    (tmp_path / "forged.txt.sig").write_bytes((text_path.parent / f"{text_path.name}.sig")
                                              .read_bytes())
    r = ctl(inst, "audit", "verify-certificate", str(forged), check=False)
    assert r.returncode == 1 and "NG" in r.stdout
    (tmp_path / "forged.txt.sig").unlink()
    r = ctl(inst, "audit", "verify-certificate", str(forged), check=False)
    assert r.returncode == 1 and "NG" in r.stdout
    # A file list edited and signed again with the right key: the manifest no longer
    # matches the list.
    cert["files"] = cert["files"][1:]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(cert, ensure_ascii=False, indent=2))
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey",
                    str(inst / "lgwan/keys/office-signing.key"), "-rawin", "-in", str(edited),
                    "-out", f"{edited}.sig"], check=True, capture_output=True)
    r = ctl(inst, "audit", "verify-certificate", str(edited), check=False)
    assert r.returncode == 1 and "manifest" in r.stdout
