"""The auditor's commands, against bundles and attestations made from the documented
format (docs/bundle-format.md) with nothing but Python's standard library and the
openssl command: proof that the format is what the document says."""
import hashlib
import io
import json
import subprocess
import tarfile

from conftest import ctl


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(key, data, tmp_path):
    msg = tmp_path / "msg"
    msg.write_bytes(data)
    out = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(key), "-rawin",
                          "-in", str(msg)], capture_output=True, check=True)
    return out.stdout


def pubkey_hex(pub_pem):
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(pub_pem), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return der[-32:].hex()


def attestation(inst, tmp_path, output_bytes):
    body = {
        "format": "sekisho-attestation/1",
        "input": {"sha256": hashlib.sha256(b"orig").hexdigest(), "size": 4, "type": "pdf"},
        "output": {"sha256": hashlib.sha256(output_bytes).hexdigest(),
                   "size": len(output_bytes), "type": "pdf"},
        "method": "pdf-render", "policy": "default",
        "engines": {"clamav": "1.4.6"}, "scan": {"input": "clean", "output": "clean"},
        "sanitized_at": "2026-11-22T00:00:00Z",
        "sanitizer_key": pubkey_hex(inst / "dmz/keys/sanitizer-signing.pub"),
    }
    sig = sign(inst / "dmz/keys/sanitizer-signing.key", canonical(body), tmp_path)
    return {"attestation": body, "signature": sig.hex()}


def make_bundle(inst, tmp_path, path, pdf=b"%PDF-1.7 rebuilt\n", tamper=None):
    att = attestation(inst, tmp_path, pdf)
    members = [("application.json", canonical({"procedure": "tenshutsu", "氏名": "山田 太郎"})),
               ("files/1.pdf", pdf),
               ("attestations/1.pdf.json", canonical(att))]
    manifest = canonical({
        "format": "sekisho-bundle/1", "id": "app-1", "tenant": "demo", "kind": "application",
        "created_at": "2026-11-22T00:00:00Z",
        "members": [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                    for n, d in members],
        "files": [{"file": "files/1.pdf", "attestation": "attestations/1.pdf.json"}],
    })
    sig = sign(inst / "dmz/keys/sanitizer-signing.key", manifest, tmp_path)
    if tamper:
        members = tamper(members)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in [("manifest.json", manifest), ("manifest.sig", sig)] + members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return att


def test_bundle_made_to_the_documented_format_verifies(instance, tmp_path):
    inst, _, _ = instance
    make_bundle(inst, tmp_path, tmp_path / "b.tar")
    r = ctl(inst, "audit", "verify-bundle", str(tmp_path / "b.tar"), check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("OK") and "app-1" in r.stdout


def test_bundle_with_replaced_file_is_refused(instance, tmp_path):
    inst, _, _ = instance

    def swap(members):
        return [(n, b"%PDF-1.7 evil\n" if n == "files/1.pdf" else d) for n, d in members]
    make_bundle(inst, tmp_path, tmp_path / "b.tar", tamper=swap)
    r = ctl(inst, "audit", "verify-bundle", str(tmp_path / "b.tar"), check=False)
    assert r.returncode == 1
    assert r.stdout.startswith("NG") and "files/1.pdf" in r.stdout


def test_downlink_check_uses_office_key(instance, tmp_path):
    inst, _, _ = instance
    make_bundle(inst, tmp_path, tmp_path / "b.tar")
    r = ctl(inst, "audit", "verify-bundle", "--direction", "downlink", str(tmp_path / "b.tar"),
            check=False)
    assert r.returncode == 1 and "signature" in r.stdout


def test_attestation_checked_against_file(instance, tmp_path):
    inst, _, _ = instance
    pdf = b"%PDF-1.7 the sanitized output\n"
    att = attestation(inst, tmp_path, pdf)
    (tmp_path / "a.json").write_bytes(canonical(att))
    (tmp_path / "out.pdf").write_bytes(pdf)
    (tmp_path / "other.pdf").write_bytes(pdf + b" ")
    r = ctl(inst, "audit", "verify-attestation", str(tmp_path / "a.json"),
            str(tmp_path / "out.pdf"), check=False)
    assert r.returncode == 0 and r.stdout.startswith("OK"), r.stdout + r.stderr
    r = ctl(inst, "audit", "verify-attestation", str(tmp_path / "a.json"),
            str(tmp_path / "other.pdf"), check=False)
    assert r.returncode == 1 and "is not the attested output" in r.stdout


def test_documented_openssl_check_accepts_manifest_signature(instance, tmp_path):
    inst, _, _ = instance
    make_bundle(inst, tmp_path, tmp_path / "b.tar")
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(tmp_path / "b.tar"), "-C", str(out)], check=True)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                        str(inst / "lgwan/keys/sanitizer-signing.pub"), "-rawin",
                        "-in", str(out / "manifest.json"), "-sigfile", str(out / "manifest.sig")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "Verified Successfully" in r.stdout
