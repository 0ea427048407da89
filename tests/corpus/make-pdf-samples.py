#!/usr/bin/python3
"""make-pdf-samples.py — small PDFs, written by hand so that every byte is reviewable.

    tests/corpus/make-pdf-samples.py OUTDIR

Writes benign-text.pdf (3 pages of text) and the hostile samples the sanitizer must
either refuse or rebuild into a PDF with none of their active content:

    js-openaction.pdf   /OpenAction running /JavaScript on open
    launch.pdf          a /Launch action on a link annotation, and /AA on the page
    embedded-file.pdf   an /EmbeddedFiles name tree and a file attachment annotation
    uri-form.pdf        a /URI link and an /AcroForm text field
    huge-mediabox.pdf   one page of 14400 x 14400 points (200 x 200 inches)
    truncated.pdf       benign-text.pdf cut in half (no xref, no trailer)
    many-pages.pdf      1000 empty pages (over the page limit)

Python 3 standard library only. EICAR is never written here: tests build it at run
time (see tests/clamav/README.md).
"""
import os
import sys
import zlib


def pdf(objects, root=1, info=None):
    """A PDF with a correct xref table from a list of object bodies (bytes or str);
    object n is objects[n-1]."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        if isinstance(body, str):
            body = body.encode("latin-1")
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = "<< /Size %d /Root %d 0 R%s >>" % (
        len(objects) + 1, root, " /Info %d 0 R" % info if info else "")
    out += b"trailer\n" + trailer.encode() + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(data, extra=""):
    if isinstance(data, str):
        data = data.encode("latin-1")
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra.encode()) + data + \
        b"\nendstream"


def text_page_content(lines):
    ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        ops.append("(%s) Tj T*" % line.replace("\\", "\\\\").replace("(", "\\(")
                   .replace(")", "\\)"))
    ops.append("ET")
    return "\n".join(ops)


LOREM = ("The sanitizer renders every page to pixels and builds a new document from "
         "them alone; nothing of the original survives but its look.")


def text_pages(n, page_extra=None, annots=None):
    """Catalog (1), Pages (2), font (3), then per page: page, content."""
    objs = ["", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for p in range(n):
        page_no = len(objs) + 1
        kids.append("%d 0 R" % page_no)
        lines = ["Page %d of %d - Sekisho sanitizer test document" % (p + 1, n), ""]
        lines += [("%02d " % i) + LOREM[:80] for i in range(48)]
        extra = page_extra or ""
        if annots and p == 0:
            extra += " /Annots [%s]" % annots
        objs.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R%s >>"
                    % (page_no + 1, extra))
        objs.append(stream(zlib.compress(text_page_content(lines).encode()),
                           " /Filter /FlateDecode"))
    objs[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(kids), n)
    return objs


def benign():
    objs = text_pages(3)
    objs[0] = "<< /Type /Catalog /Pages 2 0 R >>"
    return pdf(objs)


def js_openaction():
    objs = text_pages(1)
    js = len(objs) + 1
    objs[0] = ("<< /Type /Catalog /Pages 2 0 R /OpenAction %d 0 R "
               "/Names << /JavaScript << /Names [(init) %d 0 R] >> >> >>" % (js, js))
    objs.append("<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\);) >>")
    return pdf(objs)


def launch():
    n = len(text_pages(1))
    annot = n + 1
    objs = text_pages(1, page_extra=" /AA << /O %d 0 R >>" % (n + 2),
                      annots="%d 0 R" % annot)
    objs[0] = "<< /Type /Catalog /Pages 2 0 R >>"
    objs.append("<< /Type /Annot /Subtype /Link /Rect [50 700 300 760] /Border [0 0 0] "
                "/A %d 0 R >>" % (n + 2))
    objs.append("<< /Type /Action /S /Launch /F (cmd.exe) "
                "/Win << /F (cmd.exe) /P (/c calc.exe) >> >>")
    return pdf(objs)


def embedded_file():
    n = len(text_pages(1))
    objs = text_pages(1, annots="%d 0 R" % (n + 3))
    ef, spec = n + 1, n + 2
    objs[0] = ("<< /Type /Catalog /Pages 2 0 R "
               "/Names << /EmbeddedFiles << /Names [(payload.exe) %d 0 R] >> >> >>" % spec)
    objs.append(stream(b"MZ\x90\x00 not really a program", " /Type /EmbeddedFile"))
    objs.append("<< /Type /Filespec /F (payload.exe) /UF (payload.exe) /EF << /F %d 0 R >> >>"
                % ef)
    objs.append("<< /Type /Annot /Subtype /FileAttachment /Rect [50 50 70 70] /FS %d 0 R "
                "/Contents (attachment) >>" % spec)
    return pdf(objs)


def uri_form():
    n = len(text_pages(1))
    link, field = n + 1, n + 2
    objs = text_pages(1, annots="%d 0 R %d 0 R" % (link, field))
    objs[0] = ("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%d 0 R] "
               "/DA (/Helv 0 Tf 0 g) >> >>" % field)
    objs.append("<< /Type /Annot /Subtype /Link /Rect [50 700 300 760] "
                "/A << /S /URI /URI (http://evil.example/) >> >>")
    objs.append("<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [50 600 300 620] "
                "/V (value) /AA << /K << /S /JavaScript /JS (app.alert\\(1\\);) >> >> >>")
    return pdf(objs)


def huge_mediabox():
    return pdf(["<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] "
                "/Contents 4 0 R >>",
                stream("0 0 1 rg 0 0 14400 14400 re f")])


def many_pages(n=1000):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for _ in range(n):
        kids.append("%d 0 R" % (len(objs) + 1))
        objs.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>")
    objs[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(kids), n)
    return pdf(objs)


SAMPLES = {
    "benign-text.pdf": benign,
    "js-openaction.pdf": js_openaction,
    "launch.pdf": launch,
    "embedded-file.pdf": embedded_file,
    "uri-form.pdf": uri_form,
    "huge-mediabox.pdf": huge_mediabox,
    "truncated.pdf": lambda: benign()[:len(benign()) // 2],
    "many-pages.pdf": many_pages,
}


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, make in SAMPLES.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(make())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
