"""`sekishoctl sanitize`: every hostile file is refused with its reason or rebuilt into
a file an independent tool (qpdf, the PNG chunk list) finds free of active content,
and every clean output carries an attestation the auditor's command accepts."""
import json
import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from conftest import ROOT, ctl

CORPUS_SCRIPT = os.path.join(ROOT, "tests", "corpus", "make-pdf-samples.py")
DB = os.path.join(ROOT, "tests", "clamav")
FORBIDDEN = [b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/EmbeddedFile",
             b"/AA", b"/AcroForm", b"/Annots", b"/URI", b"/XFA"]
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")

pytestmark = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    subprocess.run(["/usr/bin/python3", CORPUS_SCRIPT, str(d)], check=True)
    return d


def sanitize(inst, src, out, *extra):
    r = ctl(inst, "sanitize", "--db", DB, *extra, str(src), str(out), check=False)
    assert r.returncode in (0, 3), r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout
    res = json.loads(lines[0])
    assert set(res) >= {"verdict", "reason", "message", "type", "method", "input_sha256",
                        "output_sha256", "pages", "seconds"}
    if r.returncode == 0:
        assert res["verdict"] == "clean" and os.path.exists(out)
        assert os.path.exists(str(out) + ".attestation.json")
    else:
        assert res["verdict"] == "rejected" and not os.path.exists(out)
        assert res["message"].endswith("。")
    return r.returncode, res


def assert_pdf_inert(path, tmp_path):
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    qdf = tmp_path / (path.name + ".qdf")
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), str(qdf)],
                   check=True, capture_output=True)
    data = qdf.read_bytes()
    for word in FORBIDDEN:
        assert word not in data, f"{word!r} in the output of {path.name}"


def qpdf_pages(path):
    r = subprocess.run(["qpdf", "--show-npages", str(path)], check=True,
                       capture_output=True, text=True)
    return int(r.stdout)


def png(width, height, pixels, extra_chunks=(), trailing=b""):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                           0, 0, 0))
    for kind, data in extra_chunks:
        out += chunk(kind, data)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"") + trailing


def png_chunks(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    off, kinds = 8, []
    while off < len(data):
        n = struct.unpack(">I", data[off:off + 4])[0]
        kinds.append(data[off + 4:off + 8])
        off += 12 + n
    assert off == len(data), "bytes after the last chunk"
    return kinds


@pytest.mark.parametrize("name", ["js-openaction.pdf", "launch.pdf", "embedded-file.pdf",
                                  "uri-form.pdf", "huge-mediabox.pdf", "truncated.pdf",
                                  "many-pages.pdf"])
def test_hostile_pdf_is_refused_or_rebuilt_without_active_content(instance, corpus, tmp_path,
                                                                   name):
    inst, _, _ = instance
    out = tmp_path / ("out-" + name)
    rc, res = sanitize(inst, corpus / name, out)
    if rc == 3:
        assert res["reason"] in {"limits_exceeded", "too_many_pages", "render_failed",
                                 "unsupported_type"}, res
    else:
        assert res["type"] == "pdf" and res["method"] == "pdf-render"
        assert_pdf_inert(out, tmp_path)


def test_expected_refusals_have_their_reason(instance, corpus, tmp_path):
    inst, _, _ = instance
    assert sanitize(inst, corpus / "many-pages.pdf", tmp_path / "a.pdf")[1]["reason"] \
        == "too_many_pages"
    assert sanitize(inst, corpus / "huge-mediabox.pdf", tmp_path / "b.pdf")[1]["reason"] \
        == "limits_exceeded"


def test_benign_pdf_keeps_its_page_count_and_its_attestation_verifies(instance, corpus,
                                                                      tmp_path):
    inst, _, _ = instance
    out = tmp_path / "benign.pdf"
    rc, res = sanitize(inst, corpus / "benign-text.pdf", out)
    assert rc == 0 and res["pages"] == 3 == qpdf_pages(out)
    assert_pdf_inert(out, tmp_path)
    r = ctl(inst, "audit", "verify-attestation", str(out) + ".attestation.json", str(out),
            check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    att = json.loads((tmp_path / "benign.pdf.attestation.json").read_text())["attestation"]
    assert att["input"]["sha256"] == res["input_sha256"]
    assert att["output"]["sha256"] == res["output_sha256"]
    assert att["engines"]["mupdf"] and att["engines"]["clamav"]
    # Small: the text pages are grey images of 4 (or 2) bits, well under 100 KB each.
    assert res["output_size"] <= 3 * 100_000, res["output_size"]
    if shutil.which("pdfimages"):
        r = subprocess.run(["pdfimages", "-list", str(out)], check=True, capture_output=True,
                           text=True)
        rows = [line.split() for line in r.stdout.splitlines()[2:]]
        assert len(rows) == 3, r.stdout
        for row in rows:     # page num type width height color comp bpc enc ...
            assert row[2] == "image" and row[5] == "gray" and row[7] in ("4", "2"), row
            # 595 x 842 pt at 150 dpi is 1239.6 x 1754.2 pixels: each side to the nearest
            # whole pixel (render.c, whole_pixels)
            assert (row[3], row[4]) == ("1240", "1754"), row
    # And a changed output no longer verifies.
    with open(out, "ab") as f:
        f.write(b"%")
    assert ctl(inst, "audit", "verify-attestation", str(out) + ".attestation.json", str(out),
               check=False).returncode == 1


def test_eicar_is_rejected_as_malware(instance, tmp_path):
    inst, _, _ = instance
    src = tmp_path / "eicar.pdf"
    src.write_bytes(EICAR)
    rc, res = sanitize(inst, src, tmp_path / "out.pdf")
    assert rc == 3 and res["reason"] in {"malware", "unsupported_type"}
    # Detection by content refuses EICAR as unknown before the scan; inside a PDF it
    # reaches the scanner.
    pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + EICAR +
           b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    src.write_bytes(pdf)
    rc, res = sanitize(inst, src, tmp_path / "out.pdf")
    assert rc == 3 and res["reason"] == "malware", res


def test_elf_named_pdf_is_unsupported(instance, tmp_path):
    inst, _, _ = instance
    src = tmp_path / "invoice.pdf"
    shutil.copy("/bin/true", src)
    rc, res = sanitize(inst, src, tmp_path / "out.pdf")
    assert rc == 3 and res["reason"] == "unsupported_type" and res["type"] == "unknown"


def test_png_loses_text_chunk_and_trailing_bytes(instance, tmp_path):
    inst, _, _ = instance
    w, h = 40, 30
    pixels = bytes((x * 6 + y * 3 + c * 50) % 256 for y in range(h) for x in range(w)
                   for c in range(3))
    src = tmp_path / "photo.png"
    src.write_bytes(png(w, h, pixels, [(b"tEXt", b"Comment\x00secret GPS 35.68,139.76")],
                        trailing=b"PK\x03\x04appended zip"))
    out = tmp_path / "clean.png"
    rc, res = sanitize(inst, src, out)
    assert rc == 0 and res["type"] == "png" and res["method"] == "image-reencode"
    data = out.read_bytes()
    assert png_chunks(data) == [b"IHDR", b"IDAT", b"IEND"]
    assert b"secret" not in data and b"appended" not in data
    assert ctl(inst, "audit", "verify-attestation", str(out) + ".attestation.json",
               str(out), check=False).returncode == 0


def tiff_of(pages):
    """A little-endian uncompressed TIFF, one IFD per page. A page is (width, height,
    xdpi, ydpi, bits, strip): bits 8 for grey (BlackIsZero), 1 for bilevel
    (WhiteIsZero, as a fax), strip its rows of pixels, packed."""
    data = bytearray(b"II*\x00\x00\x00\x00\x00")
    link = 4
    for w, h, xdpi, ydpi, bits, pixels in pages:
        strip = len(data)
        data += pixels
        data += b"\x00" * (len(data) % 2)
        res = len(data)
        data += struct.pack("<IIII", xdpi, 1, ydpi, 1)
        tags = [(256, 3, w), (257, 3, h), (258, 3, bits), (259, 3, 1),
                (262, 3, 1 if bits == 8 else 0), (273, 4, strip), (277, 3, 1), (278, 4, h),
                (279, 4, len(pixels)), (282, 5, res), (283, 5, res + 8), (296, 3, 2)]
        struct.pack_into("<I", data, link, len(data))
        data += struct.pack("<H", len(tags))
        for tag, typ, value in tags:
            data += struct.pack("<HHI", tag, typ, 1)
            data += struct.pack("<HH", value, 0) if typ == 3 else struct.pack("<I", value)
        link = len(data)
        data += b"\x00\x00\x00\x00"
    return bytes(data)


def grey_page(w, h, dpi, grey):
    return (w, h, dpi, dpi, 8, bytes([grey]) * (w * h))


def test_multi_page_tiff_becomes_a_pdf_of_all_its_pages(instance, tmp_path):
    inst, _, _ = instance
    src = tmp_path / "scan.tif"
    # A scanner's three A6-ish pages at 200 dpi: every page must arrive, in order.
    src.write_bytes(tiff_of([grey_page(400, 300, 200, 30), grey_page(400, 300, 200, 130),
                             grey_page(400, 300, 200, 230)]))
    out = tmp_path / "scan.pdf"
    rc, res = sanitize(inst, src, out)
    assert rc == 0 and res["type"] == "tiff" and res["method"] == "tiff-pages-render", res
    assert res["pages"] == 3 == qpdf_pages(out)
    assert_pdf_inert(out, tmp_path)
    assert ctl(inst, "audit", "verify-attestation", str(out) + ".attestation.json",
               str(out), check=False).returncode == 0
    # One page stays a picture.
    src.write_bytes(tiff_of([grey_page(400, 300, 200, 30)]))
    rc, res = sanitize(inst, src, tmp_path / "one.png")
    assert rc == 0 and res["method"] == "image-reencode" and res["pages"] == 1, res


def fax_page(width, height, xdpi, ydpi, top, bottom):
    """A bilevel page with a black band over the whole width, rows top to bottom."""
    stride = (width + 7) // 8
    rows = b"".join((b"\xff" if top <= y < bottom else b"\x00") * stride
                    for y in range(height))
    return (width, height, xdpi, ydpi, 1, rows)


def pgm_rows(path):
    """The rows of a binary PGM (pdftoppm -gray), as bytes."""
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255"
    w, h = int(fields[1]), int(fields[2])
    pos += 1
    return [data[pos + y * w:pos + (y + 1) * w] for y in range(h)]


@pytest.mark.skipif(shutil.which("tiffcp") is None or shutil.which("pdftoppm") is None,
                    reason="tiffcp (libtiff-tools) or pdftoppm (poppler-utils) not installed")
@pytest.mark.parametrize("coding", ["g4", "g3"])
def test_fax_tiff_keeps_its_pages_their_paper_size_and_their_ink(instance, tmp_path, coding):
    """A fax machine's file: CCITT-coded (libtiff's tiffcp writes it), 204 x 98 dpi,
    so its pixels are twice as tall as wide. Each page must come out in order, 4 x 5.5
    inches, with its black band where the fax had it."""
    inst, _, _ = instance
    width, height = 816, 539          # 4 in at 204 dpi, 5.5 in at 98 dpi
    bands = [(0, 90), (180, 270), (360, 450)]
    raw = tmp_path / "raw.tif"
    raw.write_bytes(tiff_of([fax_page(width, height, 204, 98, t, b) for t, b in bands]))
    src = tmp_path / "fax.tif"
    subprocess.run(["tiffcp", "-c", coding, str(raw), str(src)], check=True)
    out = tmp_path / "fax.pdf"
    rc, res = sanitize(inst, src, out)
    assert rc == 0 and res["method"] == "tiff-pages-render" and res["pages"] == 3, res
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "3", str(out)], check=True,
                          capture_output=True, text=True).stdout
    sizes = re.findall(r"^Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info, re.M)
    assert sizes == [("288", "396")] * 3, info
    for k, (top, bottom) in enumerate(bands):
        prefix = tmp_path / f"page{k}"
        subprocess.run(["pdftoppm", "-gray", "-r", "36", "-f", str(k + 1), "-l", str(k + 1),
                        "-singlefile", str(out), str(prefix)], check=True)
        rows = pgm_rows(tmp_path / f"page{k}.pgm")
        assert len(rows) == 198 and len(rows[0]) == 144     # 5.5 x 4 in at 36 dpi
        for j, (t, b) in enumerate(bands):
            mid = rows[(t + b) // 2 * 198 // height]
            ink = sum(mid) / len(mid)
            assert (ink < 60) if j == k else (ink > 200), (k, j, ink)


def test_png_bomb_is_refused_before_decoding(instance, tmp_path):
    inst, _, _ = instance
    src = tmp_path / "bomb.png"
    # A 100000 x 100000 IHDR and one small IDAT: refused from the header.
    src.write_bytes(png(1, 1, b"\x00\x00\x00").replace(
        struct.pack(">II", 1, 1) + b"\x08\x02",
        struct.pack(">II", 100000, 100000) + b"\x08\x02"))
    rc, res = sanitize(inst, src, tmp_path / "out.png")
    assert rc == 3 and res["reason"] in {"limits_exceeded", "render_failed",
                                         "unsupported_type"}, res


def test_empty_file_is_refused(instance, tmp_path):
    inst, _, _ = instance
    src = tmp_path / "empty.pdf"
    src.write_bytes(b"")
    rc, res = sanitize(inst, src, tmp_path / "out.pdf")
    assert rc == 3 and res["reason"] in {"empty", "unsupported_type"}


def test_missing_input_is_an_internal_error(instance, tmp_path):
    inst, _, _ = instance
    r = ctl(inst, "sanitize", "--db", DB, str(tmp_path / "nope.pdf"), str(tmp_path / "o.pdf"),
            check=False)
    assert r.returncode == 1 and not (tmp_path / "o.pdf").exists()


# ---- --allow-archives and --keep-ooxml -------------------------------------------------

DETECT = os.path.join(ROOT, "tests", "corpus", "detect")


def a_jpeg(tmp_path):
    """A real JPEG (the detection corpus's sample.jpg is only a header)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-jpeg", "-r", "30", "-singlefile",
                    os.path.join(DETECT, "sample.pdf"), str(tmp_path / "page")], check=True)
    return (tmp_path / "page.jpg").read_bytes()


def make_zip(path, members):
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)


def sanitize_json(inst, src, out, *extra):
    r = ctl(inst, "sanitize", "--db", DB, *extra, str(src), str(out), check=False)
    assert r.returncode in (0, 3), r.stderr
    return r.returncode, json.loads(r.stdout.strip().splitlines()[-1])


def test_zip_of_a_pdf_and_a_jpeg_becomes_a_directory_of_attested_members(instance, tmp_path):
    import hashlib
    inst, _, _ = instance
    pdf = open(os.path.join(DETECT, "sample.pdf"), "rb").read()
    jpg = a_jpeg(tmp_path)
    src, out = tmp_path / "書類.zip", tmp_path / "out"
    make_zip(src, [("申請/申請書.pdf", pdf), ("写真.jpg", jpg)])
    # Without the flag, a zip is refused as the service's default policy does.
    rc, res = sanitize_json(inst, src, out)
    assert rc == 3 and res["reason"] == "archive_not_allowed" and not out.exists()
    rc, res = sanitize_json(inst, src, out, "--allow-archives")
    assert rc == 0, res
    assert res["verdict"] == "clean" and res["method"] == "archive-extract"
    assert res["output_sha256"] is None
    assert [m["name"] for m in res["members"]] == ["申請/申請書.pdf", "写真.jpg"]
    assert [m["file"] for m in res["members"]] == ["1.pdf", "2.png"]
    assert sorted(os.listdir(out)) == ["1.pdf", "1.pdf.attestation.json", "2.png",
                                       "2.png.attestation.json"]
    zip_sha = hashlib.sha256(src.read_bytes()).hexdigest()
    for i, m in enumerate(res["members"], 1):
        f = out / m["file"]
        att = str(f) + ".attestation.json"
        r = ctl(inst, "audit", "verify-attestation", att, str(f), check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        a = json.load(open(att))["attestation"]
        assert a["archive"] == {"sha256": zip_sha, "size": src.stat().st_size,
                                "member": m["name"], "index": i}
        assert a["output"]["sha256"] == m["output_sha256"]


def test_zip_with_one_bad_member_is_refused_whole(instance, tmp_path):
    inst, _, _ = instance
    pdf = open(os.path.join(DETECT, "sample.pdf"), "rb").read()
    src, out = tmp_path / "mixed.zip", tmp_path / "out"
    make_zip(src, [("ok.pdf", pdf), ("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 64)])
    rc, res = sanitize_json(inst, src, out, "--allow-archives")
    assert rc == 3 and res["reason"] == "archive_member_refused", res
    assert [m["verdict"] for m in res["members"]] == ["clean", "rejected"]
    assert res["members"][1]["reason"] == "unsupported_type"
    assert res["members"][1]["file"] is None
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.startswith("out")]


def test_keep_ooxml_keeps_a_docx_editable(instance, tmp_path):
    import zipfile
    inst, _, _ = instance
    out = tmp_path / "out.docx"
    rc, res = sanitize_json(inst, os.path.join(ROOT, "tests", "corpus", "office", "sample.docx"), out,
                            "--keep-ooxml")
    assert rc == 0 and res["method"] == "ooxml-rebuild" and res["type"] == "docx", res
    names = zipfile.ZipFile(out).namelist()
    assert names[0] == "[Content_Types].xml" and "word/document.xml" in names
    r = ctl(inst, "audit", "verify-attestation", str(out) + ".attestation.json", str(out),
            check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_cp932_csv_and_utf8_text_come_out_clean_utf8_and_attested(instance, tmp_path):
    import hashlib
    inst, _, _ = instance
    src, out = tmp_path / "名簿.csv", tmp_path / "out.csv"
    rows = "氏名,住所,金額\r\n山田 太郎,東京都千代田区,-1500\r\n=HYPERLINK(\"x\"),\"@SUM(A1)\",+3.25\r\n"
    src.write_bytes(rows.encode("cp932"))
    rc, res = sanitize(inst, src, out)
    assert rc == 0, res
    assert (res["type"], res["method"], res["output_type"]) == ("text", "text-reencode", "csv")
    data = out.read_bytes()
    assert data.decode("utf-8") == ("氏名,住所,金額\r\n山田 太郎,東京都千代田区,-1500\r\n"
                                    "'=HYPERLINK(\"x\"),\"'@SUM(A1)\",+3.25\r\n")
    assert res["output_sha256"] == hashlib.sha256(data).hexdigest()
    att_path = str(out) + ".attestation.json"
    assert ctl(inst, "audit", "verify-attestation", att_path, str(out),
               check=False).returncode == 0
    att = json.load(open(att_path))["attestation"]
    assert att["output"]["sha256"] == res["output_sha256"]
    assert att["engines"]["rebuild"].startswith("textclean")

    src, out = tmp_path / "memo.txt", tmp_path / "out.txt"
    # (detect.c already refuses as binary a text with C0 controls other than TAB, LF,
    # FF and CR; FF, DEL, C1 and the bidi controls reach textclean.)
    src.write_bytes("\ufeffお問い合わせ\f\n- 住所の変更\u202e に\x7fついて\u0085\n".encode("utf-8"))
    rc, res = sanitize(inst, src, out)
    assert rc == 0 and res["output_type"] == "txt", res
    assert out.read_bytes() == "お問い合わせ\n- 住所の変更 について\n".encode("utf-8")
    assert res["output_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_html_looking_text_is_still_refused(instance, tmp_path):
    inst, _, _ = instance
    src = tmp_path / "page.txt"
    src.write_bytes(b"  <html><body><script>alert(1)</script></body></html>\n")
    rc, res = sanitize(inst, src, tmp_path / "out.txt")
    assert rc == 3 and res["reason"] == "unsupported_type" and res["type"] == "unknown"


def test_zip_with_a_csv_member_keeps_it_as_csv(instance, tmp_path):
    inst, _, _ = instance
    src, out = tmp_path / "data.zip", tmp_path / "out"
    make_zip(src, [("表.csv", "a,b\n1,=2\n".encode("cp932"))])
    rc, res = sanitize_json(inst, src, out, "--allow-archives")
    assert rc == 0, res
    assert [m["file"] for m in res["members"]] == ["1.csv"]
    assert (out / "1.csv").read_bytes() == b"a,b\n1,'=2\n"
