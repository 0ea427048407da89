"""Removing a tenant (sekishoctl tenant remove): after an application of the tenant
has gone the whole way through the dev stack (upload, sanitizer, uplink bundle,
import in LGWAN, receipt back down) and the databases were backed up, nothing of the tenant is left anywhere in the
instance tree — not its name in any path or any file, not its upload — while the
other tenant's files are untouched. Without the confirmation nothing is deleted."""
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
    operational log files (log/) record what happened, tenant names included; they
    are the host's, not the tenant's, and kept."""
    found = []
    for dirpath, dirnames, filenames in os.walk(inst):
        rel = os.path.relpath(dirpath, inst)
        if rel == "log" or rel.startswith("log" + os.sep):
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


def test_removal_leaves_no_file_of_the_tenant(instance, tmp_path):
    from conftest import Stack
    inst, ports, _ = instance
    ctl(inst, "tenant", "add", GONE)
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

    r = ctl(inst, "tenant", "remove", GONE, "--confirm", GONE)
    assert "削除しました" in r.stdout
    assert traces(inst, [GONE, gone_upload]) == []
    assert ctl(inst, "tenant", "list").stdout.split() == ["demo"]
    # The other tenant's files are all still there.
    assert traces(inst, ["demo", kept_upload]) == kept_before
    assert ctl(inst, "tenant", "remove", GONE, check=False).returncode == 1
    assert ctl(inst, "tenant", "remove", "../etc", "--confirm", "../etc",
               check=False).returncode == 1
