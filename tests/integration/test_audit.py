"""The auditor's commands, against bundles and attestations made from the documented
format (docs/bundle-format.md) with nothing but Python's standard library and the
openssl command: proof that the format is what the document says."""
import subprocess

from bundles import application, attestation, canonical
from conftest import ctl


def make_bundle(inst, tmp_path, path, pdf=b"%PDF-1.7 rebuilt\n", tamper=None):
    path.write_bytes(application(inst, "app-1", pdf=pdf, tamper=tamper))


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
    att = attestation(inst, pdf)
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
