"""Issued documents (交付文書) end to end, on the real stack: an administrator sets the
issuer, the seal and a template; a clerk issues a document for an application; officed
signs it (PAdES) and sends it down the downlink; the citizen downloads exactly the signed
PDF with the 到達番号 and 照会用パスワード. Uploaded PDFs and a bulk zip with every kind
of bad member are tried too."""
import copy
import hashlib
import io
import socket
import sqlite3
import struct
import subprocess
import uuid
import zipfile
import zlib

import pytest
import requests

from conftest import Stack, ctl, free_port
from test_office_auth import Office
from test_office_workflow import DEFINITION, STATUS_PASSWORD, wait, wait_imported

PROC = "doc-cert"


def png(w=64):
    """A small red square PNG (the seal), written by hand."""
    raw = b"".join(b"\x00" + b"\xcc\x00\x00" * w for _ in range(w))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, w, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def plain_pdf(text="uploaded"):
    """A one-page PDF as another program would make it (classic xref)."""
    content = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def pdfsig(tmp_path, data):
    p = tmp_path / f"{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    p.write_bytes(data)
    return subprocess.run(["pdfsig", str(p)], capture_output=True, text=True).stdout


def pdftotext(tmp_path, data):
    p = tmp_path / "text.pdf"
    p.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(p), "-"], capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("documents")
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


@pytest.fixture(scope="module")
def published(office):
    admin = office.browser("admin")
    d = copy.deepcopy(DEFINITION)
    d["id"], d["title"] = PROC, "証明書の交付申請"
    d["notify"] = {"email_field": "email", "events": ["arrival", "document"]}
    r = admin.call("POST", "/procedures", json={"definition": d, "department": "市民課",
                                                "workflow": ["accepted", "completed"]})
    assert r.status_code == 201, r.text
    assert admin.call("POST", f"/procedures/{PROC}/versions/1/publish").status_code == 200

    def listed():
        try:
            r = requests.get(office.api + "/procedures", timeout=3)
            return r.status_code == 200 and PROC in [p["id"] for p in r.json()["procedures"]]
        except requests.RequestException:
            return False
    wait(listed, 90, "the procedure did not reach the internet zone")
    return office


def submit(office, name):
    r = requests.post(f"{office.api}/procedures/{PROC}/applications",
                      json={"answers": {"name": name, "email": "hanako@example.jp", "kind": "move"},
                            "status_password": STATUS_PASSWORD},
                      headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["receipt_no"]


def portal_documents(office, receipt, password=STATUS_PASSWORD):
    return requests.get(f"{office.api}/applications/{receipt}/documents",
                        params={"status_password": password}, timeout=10)


def test_issue_from_template_reaches_the_citizen_signed_and_identical(published, tmp_path):
    o = published
    admin, clerk1, clerk2, auditor = (o.browser(n) for n in ("admin", "clerk1", "clerk2", "auditor1"))
    # Settings and templates are the administrator's.
    assert clerk1.call("PUT", "/documents/settings", json={"issuer": "x"}).status_code == 403
    r = admin.call("PUT", "/documents/settings", json={"issuer": "関所市長 山田 一郎"})
    assert r.status_code == 200 and r.json()["issuer"] == "関所市長 山田 一郎", r.text
    r = admin.call("POST", "/documents/seal", files={"file": ("seal.png", png(), "image/png")})
    assert r.status_code == 200 and r.json()["has_seal"] is True, r.text
    r = admin.call("POST", "/documents/seal", files={"file": ("seal.png", b"GIF89a" * 10, "image/png")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_seal"
    r = admin.call("POST", "/documents/templates",
                   json={"name": "受理証明", "title": "受理証明書", "body": "{{name"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_template"
    r = admin.call("POST", "/documents/templates", json={
        "name": "受理証明", "title": "受理証明書",
        "body": "{{name}} 様\n\n「{{procedure_title}}」（到達番号 {{receipt_no}}）を受理したことを"
                "証明します。\n届出の種類: {{kind}}\n\n{{date_wareki}}\n{{municipality}}"})
    assert r.status_code == 201, r.text
    template = r.json()["id"]
    r = admin.call("POST", "/documents/templates",
                   json={"name": "受理証明", "title": "別の表題", "body": "{{name}} 様"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "name_taken", r.text
    assert clerk1.call("GET", "/documents/templates").json()["templates"][0]["id"] == template
    assert admin.call("GET", "/documents/settings").json()["signing_available"] is True

    receipt = submit(o, "髙橋 花子")
    wait_imported(o, receipt)
    # Another department's clerk: as if the application did not exist. The auditor reads only.
    assert clerk2.call("POST", f"/applications/{receipt}/documents",
                       json={"template_id": template}).status_code == 404
    assert auditor.call("POST", f"/applications/{receipt}/documents",
                        json={"template_id": template}).status_code == 403
    r = clerk1.call("POST", f"/applications/{receipt}/documents", json={"template_id": 999})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_template"
    r = clerk1.call("POST", f"/applications/{receipt}/documents", json={"template_id": template})
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["n"] == 1 and issued["title"] == "受理証明書"
    assert issued["bundle_id"] == f"document-demo-{issued['bundle_id'].rsplit('-', 1)[1]}"

    r = clerk1.call("GET", f"/applications/{receipt}/documents/1")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    staff_pdf = r.content
    assert hashlib.sha256(staff_pdf).hexdigest() == issued["sha256"]
    report = pdfsig(tmp_path, staff_pdf)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Sekisho document signing (development)" in report
    assert "ETSI.CAdES.detached" in report
    text = pdftotext(tmp_path, staff_pdf)
    assert "髙橋 花子 様" in text and receipt in text and "関所市長 山田 一郎" in text
    assert "証明書の交付申請" in text and "令和" in text
    assert "届出の種類: 転居" in text    # the option's label, as the applicant saw it

    # Down the downlink; the citizen lists and downloads the very same bytes.
    def arrived():
        r = portal_documents(o, receipt)
        return r.json()["documents"] if r.status_code == 200 and r.json()["documents"] else None
    docs = wait(arrived, 60, "the document did not reach the portal")
    assert [(d["n"], d["title"], d["sha256"]) for d in docs] == [(1, "受理証明書", issued["sha256"])]
    r = requests.get(f"{o.api}/applications/{receipt}/documents/1",
                     headers={"X-Status-Password": STATUS_PASSWORD}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    assert r.content == staff_pdf
    # Without the right password: nothing, and no hint whether it exists.
    assert portal_documents(o, receipt, "wrong-password-123").status_code == 404
    assert requests.get(f"{o.api}/applications/{receipt}/documents/1", timeout=10).status_code == 404
    assert requests.get(f"{o.api}/applications/{receipt}/documents/2",
                        headers={"X-Status-Password": STATUS_PASSWORD}, timeout=10).status_code == 404
    # In the history, and an email queued for the applicant.
    st = requests.get(f"{o.api}/applications/{receipt}", params={"status_password": STATUS_PASSWORD},
                      timeout=10).json()
    assert {"label": "交付文書", "message": "交付文書「受理証明書」が届きました。"}.items() <= \
        st["history"][-1].items()
    assert st["status"] == "arrived"    # an event, not a status change
    with sqlite3.connect(o.stack.instance / "dmz/db/demo.sqlite") as db:
        subjects = [r[0] for r in db.execute("SELECT subject FROM mail_outbox")]
        stored = db.execute("SELECT path, sha256 FROM documents WHERE receipt_no = ?",
                            (receipt,)).fetchone()
    assert "【交付文書のお知らせ】証明書の交付申請" in subjects
    with open(stored[0], "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == stored[1] == issued["sha256"]

    # Every step on the record, and the record intact.
    with o.db() as db:
        actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target LIKE ?",
                                            (f"application:{receipt}/documents/%",))]
        sent = db.execute("SELECT sent_at FROM issued_documents WHERE receipt_no = ?",
                          (receipt,)).fetchone()[0]
    assert actions == ["document.issue", "document.view"] and sent
    assert ctl(o.stack.instance, "audit", "verify-log", "demo", check=False).returncode == 0


def test_uploaded_pdf_is_checked_by_content_and_signed(published, tmp_path):
    o = published
    clerk1 = o.browser("clerk1")
    receipt = submit(o, "山田 次郎")
    wait_imported(o, receipt)
    url = f"/applications/{receipt}/documents/upload"
    r = clerk1.call("POST", url, data={"title": "通知書"},
                    files={"file": ("a.pdf", b"not a pdf at all, just text" * 4, "application/pdf")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_a_signable_pdf"
    assert "PDF ファイルではありません" in r.json()["error"]["message"]
    r = clerk1.call("POST", url, files={"file": ("a.pdf", plain_pdf(), "application/pdf")})
    assert r.status_code == 400     # no title
    r = clerk1.call("POST", url, data={"title": "通知書"},
                    files={"file": ("通知書.pdf", plain_pdf("Notice"), "application/octet-stream")})
    assert r.status_code == 201, r.text
    assert r.json()["file_name"] == "通知書.pdf"
    pdf = clerk1.call("GET", f"/applications/{receipt}/documents/1").content
    assert pdf.startswith(plain_pdf("Notice"))    # the original, untouched, then the update
    assert "Signature Validation: Signature is Valid." in pdfsig(tmp_path, pdf)
    # A signed document has a signature field: uploading it again is refused.
    r = clerk1.call("POST", url, data={"title": "再"}, files={"file": ("b.pdf", pdf, "application/pdf")})
    assert r.status_code == 400 and "署名" in r.json()["error"]["message"]


def test_bulk_zip_reports_every_member(published, tmp_path):
    o = published
    clerk1, clerk2 = o.browser("clerk1"), o.browser("clerk2")
    receipt = submit(o, "佐藤 三郎")
    wait_imported(o, receipt)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{receipt}_結果通知.pdf", plain_pdf("bulk"))
        z.writestr("20991231-999999.pdf", plain_pdf("nobody"))
        z.writestr(f"{receipt}_text.pdf", b"plain text, not a PDF" * 10)
        z.writestr(f"sub/{receipt}.pdf", plain_pdf("nested"))
        z.writestr("readme.txt", b"hello")
    data = buf.getvalue()
    # Another department's clerk cannot issue to it: reported, not issued.
    r = clerk2.call("POST", "/documents/bulk", data={"title": "結果通知書"},
                    files={"file": ("docs.zip", data, "application/zip")})
    assert r.status_code == 200 and r.json()["issued"] == 0, r.text
    r = clerk1.call("POST", "/documents/bulk", data={"title": "結果通知書"},
                    files={"file": ("docs.zip", data, "application/zip")})
    assert r.status_code == 200, r.text
    res = {x["file"]: x for x in r.json()["results"]}
    assert r.json()["issued"] == 1 and r.json()["failed"] == 4, r.text
    assert res[f"{receipt}_結果通知.pdf"]["result"] == "issued"
    assert res[f"{receipt}_結果通知.pdf"]["receipt_no"] == receipt
    assert res["20991231-999999.pdf"]["result"] == "unknown_receipt"
    assert res[f"{receipt}_text.pdf"]["result"] == "not_a_pdf"
    assert res[f"sub/{receipt}.pdf"]["result"] == "path_not_allowed"
    assert res["readme.txt"]["result"] == "bad_name"
    assert all(x["message"] for x in r.json()["results"] if not x["ok"])
    # Not a zip at all.
    r = clerk1.call("POST", "/documents/bulk", data={"title": "結果通知書"},
                    files={"file": ("docs.zip", b"PK not really", "application/zip")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_zip"
    docs = clerk1.call("GET", f"/applications/{receipt}/documents").json()["documents"]
    assert [(d["n"], d["title"], d["source"]) for d in docs] == [(1, "結果通知書", "upload")]

    def arrived():
        r = portal_documents(o, receipt)
        return r.json()["documents"] if r.status_code == 200 and r.json()["documents"] else None
    assert wait(arrived, 60, "the bulk document did not reach the portal")[0]["sha256"] == docs[0]["sha256"]


def test_staff_document_pages_are_japanese_and_have_no_inline_script(office):
    import re
    for page, words in (("/documents.html", "まとめて発行する"), ("/application.html", "交付文書")):
        r = requests.get(office.stack.lgwan + page, timeout=5)
        assert r.status_code == 200 and words in r.text, page
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts and all("src=" in s for s in scripts), (page, scripts)
        assert "style=" not in r.text and "onclick" not in r.text
        for src in re.findall(r'<script src="([^"]+)"', r.text):
            assert requests.get(office.stack.lgwan + src, timeout=5).status_code == 200, src
    assert "/documents.html" in requests.get(office.stack.lgwan + "/home.html", timeout=5).text


def test_docsign_import_replaces_the_self_signed_certificate(instance, tmp_path):
    inst, _, _ = instance
    key, crt = inst / "lgwan/keys/docsign.key", inst / "lgwan/keys/docsign.crt"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert "document_signing_key = " + str(key) in (inst / "etc/officed.conf").read_text()
    assert "document_signing_cert = " + str(crt) in (inst / "etc/officed.conf").read_text()
    for name in ("city", "other"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", f"/CN=関所市 文書署名 {name}", "-keyout", str(tmp_path / f"{name}.key"),
                        "-out", str(tmp_path / f"{name}.crt")], check=True, capture_output=True)
    # A key that is not the certificate's: refused, the old files kept.
    before = crt.read_bytes()
    r = ctl(inst, "keys", "docsign-import", str(tmp_path / "city.crt"), str(tmp_path / "other.key"),
            "--dev", check=False)
    assert r.returncode == 1 and crt.read_bytes() == before
    r = ctl(inst, "keys", "docsign-import", str(tmp_path / "city.crt"), str(tmp_path / "city.key"),
            "--dev", check=False)
    assert r.returncode == 0 and "文書署名用の証明書" in r.stdout, r.stderr
    assert crt.read_bytes() == (tmp_path / "city.crt").read_bytes()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
