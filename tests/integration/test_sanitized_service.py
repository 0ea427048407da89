"""sekisho-sanitized as the dev stack runs it: uploads put into the intake spool are
sanitized by its worker pool, their state and result are served to portald on its
socket, clean outputs carry attestations, refused originals go to quarantine."""
import contextlib
import http.client
import json
import os
import signal
import socket
import shutil
import subprocess
import time

import pytest

from bundles import bundle_request, spool_put
from conftest import ROOT, Stack, ctl

CORPUS_SCRIPT = os.path.join(ROOT, "tests", "corpus", "make-pdf-samples.py")
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=5)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def result(inst, upload_id):
    c = UnixHTTP(str(inst / "run/sanitized.sock"))
    c.request("GET", f"/api/results/{upload_id}")
    r = c.getresponse()
    return r.status, json.loads(r.read())


def submit(inst, body):
    """POST /api/bundles as portald does: (status, JSON body)."""
    c = UnixHTTP(str(inst / "run/sanitized.sock"))
    c.request("POST", "/api/bundles", body=json.dumps(body).encode(),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, json.loads(r.read())


def wait_result(inst, upload_id, deadline_s=60):
    end = time.monotonic() + deadline_s
    seen = set()
    while time.monotonic() < end:
        status, body = result(inst, upload_id)
        if status == 200:
            seen.add(body["status"])
            if body["status"] in ("clean", "rejected"):
                return body, seen
        time.sleep(0.1)
    raise AssertionError(f"no result for {upload_id}")


def test_uploads_are_sanitized_by_the_service(stack, tmp_path):
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    benign = (tmp_path / "benign-text.pdf").read_bytes()
    spool_put(inst / "dmz/spool/intake", "u-benign", benign)
    spool_put(inst / "dmz/spool/intake", "u-js", (tmp_path / "js-openaction.pdf").read_bytes())
    spool_put(inst / "dmz/spool/intake", "u-eicar", benign.replace(b"%%EOF", EICAR + b"\n%%EOF"))
    spool_put(inst / "dmz/spool/intake", "u-elf", b"\x7fELF\x02\x01\x01" + bytes(200))

    body, _ = wait_result(inst, "u-benign")
    assert body["status"] == "clean" and body["type"] == "pdf" and body["pages"] == 3
    out = inst / "dmz/sanitized/u-benign/output"
    att = inst / "dmz/sanitized/u-benign/attestation.json"
    assert out.read_bytes().startswith(b"%PDF")
    r = ctl(inst, "audit", "verify-attestation", str(att), str(out), check=False)
    assert r.returncode == 0, r.stdout

    body, _ = wait_result(inst, "u-js")
    assert body["status"] == "clean"  # rebuilt from pixels: the script is gone
    assert b"/JavaScript" not in (inst / "dmz/sanitized/u-js/output").read_bytes()

    body, _ = wait_result(inst, "u-eicar")
    assert body["status"] == "rejected" and body["reason"] == "malware"
    assert body["message"].endswith("。")
    assert (inst / "dmz/quarantine/u-eicar").exists()
    assert not (inst / "dmz/sanitized/u-eicar/output").exists()

    body, _ = wait_result(inst, "u-elf")
    assert body["status"] == "rejected" and body["reason"] == "unsupported_type"

    # Every upload is finished in the spool: nothing waits, nothing is claimed.
    assert os.listdir(inst / "dmz/spool/intake/new") == []
    assert os.listdir(inst / "dmz/spool/intake/work") == []
    status, body = result(inst, "u-never-sent")
    assert status == 404 and body["error"]["code"] == "unknown_upload"
    h = stack.get(stack.internet + "/api/_health/sanitized").json()
    assert h["checks"]["signatures"]["ok"]
    assert "2 clean, 2 rejected" in h["checks"]["workers"]["detail"]


def scanner_of(parent):
    """The pid of the sekisho-scanner whose parent is parent, or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if comm == "sekisho-scanner" and ppid == parent:
            return int(d)
    return None


def test_a_scanner_that_dies_is_replaced_and_no_file_is_passed_unscanned(stack):
    """libclamav runs in sekisho-scanner, a child of sanitized that holds no key, with
    no new privileges and a seccomp filter. Killed, it is replaced for the next file,
    whose verdict is the one it would have had: EICAR is still malware."""
    inst = stack.instance
    url = stack.internet + "/api/_health/sanitized"
    stack.wait_healthy(url)
    h = stack.get(url).json()
    first = scanner_of(h["pid"])
    assert first is not None, "no scanner process under sanitized"
    status = open(f"/proc/{first}/status").read()
    assert "NoNewPrivs:\t1" in status and "Seccomp:\t2" in status, status
    assert "running; 1 started" in h["checks"]["scanner"]["detail"], h["checks"]["scanner"]

    os.kill(first, signal.SIGKILL)
    spool_put(inst / "dmz/spool/intake", "u-after-kill", EICAR)
    body, _ = wait_result(inst, "u-after-kill")
    assert body["status"] == "rejected" and body["reason"] == "malware", body
    spool_put(inst / "dmz/spool/intake", "u-csv-after", "氏名,住所\n山田 太郎,千代田区\n".encode())
    body, _ = wait_result(inst, "u-csv-after")
    assert body["status"] == "clean", body

    second = scanner_of(h["pid"])
    assert second is not None and second != first
    h = stack.get(url).json()
    assert "running; 2 started" in h["checks"]["scanner"]["detail"], h["checks"]["scanner"]


def test_office_files_go_through_the_warm_converter(stack):
    """office_warm is on by default: the service keeps sekisho-officewarm running (in
    its cage) and a docx comes back a clean PDF through it."""
    if not os.access("/usr/lib/libreoffice/program/soffice", os.X_OK):
        pytest.skip("LibreOffice is not installed")
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    docx = open(os.path.join(ROOT, "tests/corpus/office/sample.docx"), "rb").read()
    spool_put(inst / "dmz/spool/intake", "u-docx", docx)
    body, _ = wait_result(inst, "u-docx", deadline_s=120)
    assert body["status"] == "clean", body
    assert body["method"] == "office-pdf-render"
    ps = subprocess.run(["pgrep", "-f", "^sekisho-officewarm$"], capture_output=True, text=True)
    assert ps.stdout.strip() != "", "no warm converter is running"


def test_a_kept_pptx_has_a_preview_of_its_kept_output(stack):
    """A procedure that keeps Office files editable (item named ID.po): the pptx stays
    a pptx, attested as such, and the citizen still gets a first-page preview, made
    from the kept output through LibreOffice."""
    if not os.access("/usr/lib/libreoffice/program/soffice", os.X_OK):
        pytest.skip("LibreOffice is not installed")
    import zipfile
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    pptx = open(os.path.join(ROOT, "tests/corpus/office/sample.pptx"), "rb").read()
    spool_put(inst / "dmz/spool/intake", "u-pptx.po", pptx)
    body, _ = wait_result(inst, "u-pptx", deadline_s=120)
    assert body["status"] == "clean" and body["method"] == "ooxml-rebuild", body
    out = inst / "dmz/sanitized/u-pptx/output"
    assert "ppt/presentation.xml" in zipfile.ZipFile(out).namelist()
    att = json.loads((inst / "dmz/sanitized/u-pptx/attestation.json").read_text())
    assert att["attestation"]["output"]["type"] == "pptx"
    c = UnixHTTP(str(inst / "run/sanitized.sock"))
    c.request("GET", "/api/results/u-pptx/preview")
    r = c.getresponse()
    assert r.status == 200 and r.read()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def ocr_stack(instance):
    """The dev stack with `ocr = jpn+eng` in sanitized.conf."""
    inst, ports, _ = instance
    conf = inst / "etc/sanitized.conf"
    conf.write_text(conf.read_text() + "ocr = jpn+eng\n")
    stack = Stack(inst, ports)
    stack.start()
    yield stack
    stack.kill_everything()


def wait_ocr(inst, upload_id, state, deadline_s):
    """The result of upload_id once it is clean with "ocr": state."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        status, body = result(inst, upload_id)
        if status == 200 and body["status"] == "clean" and body.get("ocr") == state:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{upload_id}: never clean with ocr {state}")


def test_text_layer_follows_the_verdict_and_the_bundle_waits_for_it(ocr_stack, tmp_path):
    """With `ocr` on, the verdict and preview come from a first pass without OCR
    ("ocr": "pending"); a bundle naming the upload is refused for now with 503
    ocr_pending (portald asks again); then the OCR thread's output, with its text
    layer, takes the first one's place ("done") and the bundle is signed."""
    stack = ocr_stack
    inst = stack.instance
    stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    # Three pages of 48 dense lines: seconds of Tesseract a page.
    spool_put(inst / "dmz/spool/intake", "u-ocr", (tmp_path / "benign-text.pdf").read_bytes())
    end = time.monotonic() + 60
    first = None
    while first is None and time.monotonic() < end:
        status, body = result(inst, "u-ocr")
        if status == 200 and body["status"] == "clean":
            first = body
        time.sleep(0.05)
    assert first is not None and first.get("ocr") == "pending", first
    out = inst / "dmz/sanitized/u-ocr/output"
    r = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
    assert "sanitizer" not in r.stdout            # pixels only, so far
    assert (inst / "dmz/sanitized/u-ocr/preview.png").exists()

    answers = {"name": "山田 太郎", "moving_to": "大阪府大阪市", "attachment": ["u-ocr"]}
    req = bundle_request(inst, "app-ocr-1", answers,
                         [{"upload": "u-ocr", "field": "attachment",
                           "display_name": "届出.pdf"}])
    status, body = submit(inst, req)
    assert status == 503 and body["error"]["code"] == "ocr_pending", body
    assert not any((inst / "dmz/spool/outbox").glob("*/app-ocr-1"))

    done = wait_ocr(inst, "u-ocr", "done", 120)
    assert done["ocr_pages"] == 3 and done["output_sha256"] != first["output_sha256"]
    r = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
    assert "sanitizer" in r.stdout
    att = inst / "dmz/sanitized/u-ocr/attestation.json"
    assert ctl(inst, "audit", "verify-attestation", str(att), str(out),
               check=False).returncode == 0
    assert json.loads(att.read_text())["attestation"]["engines"]["tesseract"]
    status, body = submit(inst, req)
    assert status == 201, body


def metrics(inst):
    c = UnixHTTP(str(inst / "run/sanitized.sock"))
    c.request("GET", "/api/metrics")
    r = c.getresponse()
    assert r.status == 200
    return json.loads(r.read())


@contextlib.contextmanager
def sanitizer_with(instance, conf_lines):
    """The stack with conf_lines added to sanitized.conf, sanitized healthy; killed
    at the end."""
    inst, ports, _ = instance
    conf = inst / "etc/sanitized.conf"
    conf.write_text(conf.read_text() + conf_lines)
    stack = Stack(inst, ports)
    stack.start()
    try:
        stack.wait_healthy(stack.internet + "/api/_health/sanitized")
        yield inst
    finally:
        stack.kill_everything()


def text_of_output(inst, upload_id):
    r = subprocess.run(["pdftotext", str(inst / f"dmz/sanitized/{upload_id}/output"), "-"],
                       capture_output=True, text=True)
    return r.stdout


@pytest.mark.parametrize("bands", [True, False])
def test_a_lone_one_page_upload_is_read_in_bands_unless_turned_off(instance, tmp_path, bands):
    """A one-page upload alone: its page is read in bands by both lanes (the default),
    or, with `ocr_bands = false`, by one OCR child; the text layer is there either way
    and `ocr.banded` in the metrics says which."""
    with sanitizer_with(instance, "ocr = jpn+eng\n" +
                        ("" if bands else "ocr_bands = false\n")) as inst:
        subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
        one = tmp_path / "one.pdf"
        subprocess.run(["qpdf", str(tmp_path / "benign-text.pdf"), "--pages", ".", "1", "--",
                        str(one)], check=True)
        spool_put(inst / "dmz/spool/intake", "u-one", one.read_bytes())
        done = wait_ocr(inst, "u-one", "done", 120)
        assert done["ocr_pages"] == 1
        assert "sanitizer" in text_of_output(inst, "u-one")
        assert metrics(inst)["ocr"]["banded"] == (1 if bands else 0)
        assert metrics(inst)["ocr"]["vertical"] == 0
        assert metrics(inst)["ocr"]["turned"] == 0
        assert metrics(inst)["ocr"]["uneven_light"] == 0
        # Debian's own models include jpn_vert (tesseract-ocr-jpn-vert): pages
        # written vertically (縦書き) are read down their columns.
        assert metrics(inst)["ocr"]["vertical_model"] is True


def test_the_ocr_models_are_loaded_once_at_start(instance, tmp_path):
    """sanitized loads the OCR models when it starts (`ocr_tessdata`) and every OCR
    child reads with fork's copy of them: with the model files gone after the start,
    an upload still gets its text layer, and `ocr.models_loaded` says so."""
    models = tmp_path / "tessdata"
    models.mkdir()
    for name in ("jpn.traineddata", "eng.traineddata"):
        shutil.copy(f"/usr/share/tesseract-ocr/5/tessdata/{name}", models / name)
    with sanitizer_with(instance, f"ocr = jpn+eng\nocr_tessdata = {models}\n") as inst:
        assert metrics(inst)["ocr"]["models_loaded"] is True
        assert metrics(inst)["ocr"]["vertical_model"] is False   # no jpn_vert there
        shutil.rmtree(models)
        subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
        spool_put(inst / "dmz/spool/intake", "u-models",
                  (tmp_path / "benign-text.pdf").read_bytes())
        done = wait_ocr(inst, "u-models", "done", 120)
        assert done["ocr_pages"] == done["pages"] >= 2
        assert "sanitizer" in text_of_output(inst, "u-models")
        assert metrics(inst)["ocr"]["failed"] == 0


def test_ocr_models_that_do_not_load_leave_the_text_layer_out(instance, tmp_path):
    """`ocr_tessdata` without the models: sanitized still starts and sanitizes, says
    the models are not loaded, and the upload is clean with `"ocr": "failed"`."""
    with sanitizer_with(instance, f"ocr = jpn+eng\nocr_tessdata = {tmp_path}\n") as inst:
        assert metrics(inst)["ocr"]["models_loaded"] is False
        subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
        spool_put(inst / "dmz/spool/intake", "u-nomodel",
                  (tmp_path / "benign-text.pdf").read_bytes())
        done = wait_ocr(inst, "u-nomodel", "failed", 120)
        assert done["status"] == "clean"
        assert metrics(inst)["ocr"]["failed"] == 1


def test_a_crash_while_the_text_layer_is_made_loses_nothing(ocr_stack, tmp_path):
    """sanitized killed during the OCR pass: the intake item was still claimed, so the
    restarted service sanitizes it again, and the text layer arrives after all."""
    stack = ocr_stack
    inst = stack.instance
    before = stack.wait_healthy(stack.internet + "/api/_health/sanitized")
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(tmp_path)], check=True)
    spool_put(inst / "dmz/spool/intake", "u-crash", (tmp_path / "benign-text.pdf").read_bytes())
    wait_ocr(inst, "u-crash", "pending", 60)
    assert (inst / "dmz/spool/intake/work/u-crash").exists()
    os.kill(before["pid"], signal.SIGKILL)
    stack.wait_healthy(stack.internet + "/api/_health/sanitized", not_pid=before["pid"])
    done = wait_ocr(inst, "u-crash", "done", 120)
    assert done["ocr_pages"] == 3
    out = inst / "dmz/sanitized/u-crash/output"
    r = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
    assert "sanitizer" in r.stdout
    intake = inst / "dmz/spool/intake"
    wait_until = time.monotonic() + 10
    while not (intake / "done/u-crash").exists() and time.monotonic() < wait_until:
        time.sleep(0.1)
    assert (intake / "done/u-crash").exists()
    assert not (intake / "work/u-crash").exists() and not (intake / "new/u-crash").exists()
    assert not list((inst / "dmz/sanitized").glob(".u-crash*"))  # no temporary left
