"""Bundles and attestations made to docs/bundle-format.md with Python's standard
library and the openssl command — independent of the C code that checks them."""
import functools
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(key, data):
    with tempfile.NamedTemporaryFile() as msg:
        msg.write(data)
        msg.flush()
        return subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(key), "-rawin",
                               "-in", msg.name], capture_output=True, check=True).stdout


@functools.lru_cache(maxsize=None)
def pubkey_hex(pub_pem):
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(pub_pem), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return der[-32:].hex()


def attestation(inst, output_bytes, key="dmz/keys/sanitizer-signing.key"):
    body = {
        "format": "sekisho-attestation/1",
        "input": {"sha256": hashlib.sha256(b"orig").hexdigest(), "size": 4, "type": "pdf"},
        "output": {"sha256": hashlib.sha256(output_bytes).hexdigest(),
                   "size": len(output_bytes), "type": "pdf"},
        "method": "pdf-render", "policy": "default",
        "engines": {"clamav": "1.4.6"}, "scan": {"input": "clean", "output": "clean"},
        "sanitized_at": "2026-11-22T00:00:00Z",
        "sanitizer_key": pubkey_hex(str(inst / "dmz/keys/sanitizer-signing.pub")),
    }
    return {"attestation": body, "signature": sign(inst / key, canonical(body)).hex()}


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def bundle(key, bundle_id, kind, members, files=(), tenant="demo", tamper=None):
    manifest = canonical({
        "format": "sekisho-bundle/1", "id": bundle_id, "tenant": tenant, "kind": kind,
        "created_at": "2026-11-22T00:00:00Z",
        "members": [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                    for n, d in members],
        "files": list(files),
    })
    sig = sign(key, manifest)
    if tamper:
        members = tamper(members)
    return tar_bytes([("manifest.json", manifest), ("manifest.sig", sig)] + list(members))


def application(inst, bundle_id, pdf=b"%PDF-1.7 rebuilt\n", tamper=None,
                key="dmz/keys/sanitizer-signing.key", attest_key="dmz/keys/sanitizer-signing.key",
                padding=0):
    att = attestation(inst, pdf, key=attest_key)
    members = [("application.json", canonical({"procedure": "tenshutsu", "氏名": "山田 太郎",
                                               "note": "x" * padding})),
               ("files/1.pdf", pdf),
               ("attestations/1.pdf.json", canonical(att))]
    return bundle(inst / key, bundle_id, "application", members,
                  files=[{"file": "files/1.pdf", "attestation": "attestations/1.pdf.json"}],
                  tamper=tamper)


def reply(inst, bundle_id, receipt_no="20261122-000001", reply_no=1, pdf=b"%PDF-1.7 reply\n",
          key="dmz/keys/sanitizer-signing.key", attest_key="dmz/keys/sanitizer-signing.key"):
    """A reply bundle (kind reply, docs/bundle-format.md) as the sanitizer signs one."""
    att = attestation(inst, pdf, key=attest_key)
    doc = {"format": "sekisho-reply/1", "tenant": "demo", "receipt_no": receipt_no,
           "reply_no": reply_no, "text": "添付します。", "submitted_at": "2026-11-23T09:00:00+09:00"}
    members = [("data/reply.json", canonical(doc)), ("files/1.pdf", pdf),
               ("attestations/1.pdf.json", canonical(att))]
    return bundle(inst / key, bundle_id, "reply", members,
                  files=[{"file": "files/1.pdf", "attestation": "attestations/1.pdf.json",
                          "field": "reply", "display_name": "回答.pdf"}])


def receipt(inst, bundle_id, received, key="lgwan/keys/office-signing.key"):
    members = [("data/receipt.json", canonical({"received": list(received)}))]
    return bundle(inst / key, bundle_id, "receipt", members)


def spool_put(spool_dir, item_id, data):
    """What spool_put does: write in tmp/, fsync, rename into new/."""
    for d in ("tmp", "new", "work", "done"):
        os.makedirs(os.path.join(spool_dir, d), exist_ok=True)
    tmp = os.path.join(spool_dir, "tmp", item_id + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(spool_dir, "new", item_id))


E2E_DEFINITION = {
    "id": "tenshutsu", "version": 1, "title": "転出届",
    "schema": {"fields": [
        {"name": "name", "type": "text", "label": "氏名", "required": True},
        {"name": "moving_to", "type": "text", "label": "転出先"},
        {"name": "attachment", "type": "file", "label": "添付", "accept": ["pdf", "image"]},
    ]},
}


def bundle_request(inst, bundle_id, answers, files, definition=E2E_DEFINITION,
                   key="lgwan/keys/office-signing.key", tenant="demo"):
    """What portald's forwarder sends the sanitizer (sanitizer/assemble.h): the
    application with its answers, the office-signed definition (lib/procsig.h) and
    the files the answers reference."""
    signed = canonical({"format": "sekisho-procedure/1", "tenant": tenant,
                        "procedure": definition})
    return {"id": bundle_id, "tenant": tenant,
            "procedure": {"definition": definition, "signature": sign(inst / key, signed).hex()},
            "application": {"format": "sekisho-application/1", "receipt_no": "20261122-000001",
                            "tenant": tenant,
                            "procedure": {"id": definition["id"], "version": definition["version"],
                                          "title": definition["title"]},
                            "submitted_at": "2026-11-22T10:00:00+09:00", "answers": answers},
            "files": files}
