#!/bin/sh
# make-detect-samples.sh [DIR] — write the small samples that tests/unit/test_detect.c
# identifies (default DIR: tests/corpus/detect), using python3's standard library
# only, so every byte of every sample is reviewable here.
#
# The samples are built to exercise detection, not decoders: the PNG, GIF, BMP and
# WebP are real 1x1 images, the JPEG and HEIC are headers only, the OLE2 files are
# minimal compound files whose directories name the streams Office would write.
# Names deliberately lie where a test needs them to (elf.pdf, html.pdf).
set -eu
out=${1:-$(dirname "$0")/detect}
mkdir -p "$out"
exec python3 - "$out" <<'PY'
import io, os, struct, sys, zipfile, zlib, binascii

out = sys.argv[1]
def zi(name, method=zipfile.ZIP_DEFLATED):
    # A fixed time keeps the samples byte-for-byte reproducible.
    i = zipfile.ZipInfo(name, date_time=(2024, 4, 1, 9, 0, 0))
    i.compress_type = method
    return i

def put(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

# --- PDF -------------------------------------------------------------------------
pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
put("sample.pdf", pdf)
put("junk-before-header.pdf", b"x" * 500 + pdf)	# readers accept up to 1 KiB
put("truncated.pdf", pdf[:60])

# --- images ----------------------------------------------------------------------
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))
put("sample.png", png)
put("truncated.png", png[:20])
put("sample.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xdb\x00\x43\x00" + bytes(64) + b"\xff\xd9")
put("sample.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
bmp_px = b"\x00\x00\xff\x00"
put("sample.bmp", b"BM" + struct.pack("<IHHI", 14 + 40 + 4, 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, 4, 2835, 2835, 0, 0) + bmp_px)
def tiff(bo):
    e = "<" if bo == b"II" else ">"
    magic = bo + struct.pack(e + "HI", 42, 8)
    tags = [(256, 3, 1, 1), (257, 3, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1),
            (262, 3, 1, 1), (273, 4, 1, 8 + 2 + 12 * 8 + 4), (277, 3, 1, 1),
            (279, 4, 1, 1)]
    ifd = struct.pack(e + "H", len(tags))
    for tag, typ, cnt, val in tags:
        if typ == 3:
            ifd += struct.pack(e + "HHIHH", tag, typ, cnt, val, 0)
        else:
            ifd += struct.pack(e + "HHII", tag, typ, cnt, val)
    return magic + ifd + struct.pack(e + "I", 0) + b"\x80"
put("sample-le.tif", tiff(b"II"))
put("sample-be.tif", tiff(b"MM"))
# Two pages: the first IFD's "next" points at a copy of it (strip at offset 8+...
# stays valid because the copy names the same strip).
one = tiff(b"II")
second = len(one)
put("sample-pages.tif", one[:8 + 2 + 12 * 8] + struct.pack("<I", second) + b"\x80"
    + one[8:8 + 2 + 12 * 8] + struct.pack("<I", 0))
put("sample.webp", b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00"
    b"\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
def ftyp(major, compat):
    body = major + b"\x00\x00\x00\x00" + b"".join(compat)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body
put("sample.heic", ftyp(b"heic", [b"mif1", b"heic"]) + struct.pack(">I", 12) + b"meta"
    + bytes(4))
put("sample-mif1.heif", ftyp(b"mif1", [b"mif1", b"heif"]) + struct.pack(">I", 8) + b"meta")
put("sample.avif", ftyp(b"avif", [b"avif", b"mif1", b"miaf"]) + struct.pack(">I", 8) + b"meta")

# --- zip family ------------------------------------------------------------------
CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>%s'
      '<Override PartName="/%s" ContentType="application/vnd.%s"/></Types>')
def ooxml(name, part, ctype, vba=False):
    extra = ('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
             if vba else "")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zi("[Content_Types].xml"), CT % (extra, part, ctype))
        z.writestr(zi("_rels/.rels"), '<?xml version="1.0"?><Relationships/>')
        z.writestr(zi(part), '<?xml version="1.0"?><root/>')
        if vba:
            z.writestr(zi(os.path.dirname(part) + "/vbaProject.bin"), b"\xd0\xcf\x11\xe0fake")
    put(name, b.getvalue())
W = "openxmlformats-officedocument."
ooxml("sample.docx", "word/document.xml", W + "wordprocessingml.document.main+xml")
ooxml("sample.docm", "word/document.xml", "ms-word.document.macroEnabled.main+xml", vba=True)
ooxml("sample.xlsx", "xl/workbook.xml", W + "spreadsheetml.sheet.main+xml")
ooxml("sample.xlsm", "xl/workbook.xml", "ms-excel.sheet.macroEnabled.main+xml", vba=True)
ooxml("sample.pptx", "ppt/presentation.xml", W + "presentationml.presentation.main+xml")
ooxml("sample.pptm", "ppt/presentation.xml",
      "ms-powerpoint.presentation.macroEnabled.main+xml", vba=True)
# A docx whose content types say nothing of macros but which carries a VBA project.
ooxml("docx-with-vba.docx", "word/document.xml", W + "wordprocessingml.document.main+xml",
      vba=True)

def odf(name, kind):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(zi("mimetype", zipfile.ZIP_STORED),
                   "application/vnd.oasis.opendocument." + kind)
        z.writestr(zi("content.xml"), '<?xml version="1.0"?><office:document-content/>')
        z.writestr(zi("META-INF/manifest.xml"), '<?xml version="1.0"?><manifest/>')
    put(name, b.getvalue())
odf("sample.odt", "text")
odf("sample.ods", "spreadsheet")
odf("sample.odp", "presentation")

b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zi("readme.txt"), "hello\n")
    z.writestr(zi("photos/a.txt"), "a\n")
put("plain.zip", b.getvalue())
put("truncated.zip", b.getvalue()[:40])

# Traditional PKWARE ("ZipCrypto") encryption, stored: APPNOTE 6.1.
def zipcrypto(data, password):
    k = [0x12345678, 0x23456789, 0x34567890]
    def crc(c, byte):
        return (binascii.crc32(bytes([byte]), c ^ 0xffffffff) ^ 0xffffffff) & 0xffffffff
    def update(byte):
        k[0] = crc(k[0], byte)
        k[1] = (k[1] + (k[0] & 0xff)) & 0xffffffff
        k[1] = (k[1] * 134775813 + 1) & 0xffffffff
        k[2] = crc(k[2], k[1] >> 24)
    def stream(b):
        t = (k[2] | 2) & 0xffff
        c = b ^ (((t * (t ^ 1)) >> 8) & 0xff)
        update(b)
        return c
    for ch in password:
        update(ch)
    crc32 = zlib.crc32(data)
    header = bytes(11) + bytes([crc32 >> 24])
    return bytes(stream(x) for x in header + data), crc32
def encrypted_zip(name, data):
    enc, crc32 = zipcrypto(data, b"secret")
    fn = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 1, 0, 0, 0, crc32, len(enc),
                        len(data), len(fn), 0) + fn + enc
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 1, 0, 0, 0, crc32,
                          len(enc), len(data), len(fn), 0, 0, 0, 0, 0, 0) + fn
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end
put("encrypted.zip", encrypted_zip("secret.txt", b"a secret\n"))

# --- OLE2 compound files ---------------------------------------------------------
def cfb(streams, fib_encrypted=False):
    """512-byte sectors: FAT in sector 0, directory next, then each stream padded
    to 4096 bytes so that it lives in regular sectors (no mini stream)."""
    FREE, END, FATSECT = 0xffffffff, 0xfffffffe, 0xfffffffd
    entries = [("Root Entry", 5, END, 0)]
    data = b""
    ndir = (len(streams) + 1 + 3) // 4
    next_sector = 1 + ndir
    fat = [FATSECT] + [i + 2 for i in range(ndir - 1)] + [END]
    for name, content in streams:
        content = content.ljust(4096, b"\x00")
        n = len(content) // 512
        entries.append((name, 2, next_sector, len(content)))
        fat += [next_sector + i + 1 for i in range(n - 1)] + [END]
        next_sector += n
        data += content
    assert len(fat) <= 128
    fat += [FREE] * (128 - len(fat))
    d = b""
    for i, (name, typ, start, size) in enumerate(entries):
        u = name.encode("utf-16-le") + b"\x00\x00"
        child = 1 if i == 0 and len(entries) > 1 else FREE
        right = i + 1 if 0 < i < len(entries) - 1 else FREE
        d += (u.ljust(64, b"\x00") + struct.pack("<HBBIII", len(u), typ, 1, FREE, right,
              child) + bytes(16) + bytes(4) + bytes(16) + struct.pack("<IQ", start, size))
    d = d.ljust(ndir * 512, b"\x00")
    hdr = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack(
           "<HHHHH", 0x3e, 3, 0xfffe, 9, 6) + bytes(6) + struct.pack(
           "<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0))
    hdr += struct.pack("<I", 0) + struct.pack("<I", FREE) * 108
    assert len(hdr) == 512
    return hdr + b"".join(struct.pack("<I", x) for x in fat) + d + data
fib = struct.pack("<HHHHHH", 0xa5ec, 0xc1, 0, 0, 0, 0)
fib_enc = struct.pack("<HHHHHH", 0xa5ec, 0xc1, 0, 0, 0, 0x0100)
bof = struct.pack("<HH", 0x0809, 16) + bytes(16)
put("sample.doc", cfb([("WordDocument", fib), ("1Table", b"t")]))
put("encrypted.doc", cfb([("WordDocument", fib_enc), ("1Table", b"t")]))
put("sample.xls", cfb([("Workbook", bof + struct.pack("<HH", 0x0042, 2) + b"\x00\x00")]))
put("encrypted.xls", cfb([("Workbook", bof + struct.pack("<HH", 0x002f, 6) + bytes(6))]))
put("sample.ppt", cfb([("PowerPoint Document", b"p"), ("Current User", b"u")]))
put("macro.doc", cfb([("WordDocument", fib), ("Macros", b"m")]))
put("encrypted-ooxml.docx", cfb([("EncryptionInfo", b"\x04\x00\x04\x00"),
                                 ("EncryptedPackage", b"\x00" * 8 + bytes(range(64)))]))
put("not-office.msi", cfb([("\u4840SummaryInfo", b"s")]))

# --- text and things that are not ------------------------------------------------
csv = "氏名,住所,電話\n山田太郎,東京都千代田区,03-1234-5678\n"
put("utf8.csv", csv.encode("utf-8"))
put("sjis.csv", csv.encode("cp932"))
put("html.pdf", b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n")
put("elf.pdf", b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 62, 1)
    + bytes(40))
put("empty.pdf", b"")
put("latin1.txt", "café\n".encode("latin-1"))
PY
