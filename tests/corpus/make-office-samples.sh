#!/bin/sh
# make-office-samples.sh [DIR] — write the Office and OpenDocument samples that
# tests/unit/test_office.c converts (default DIR: tests/corpus/office).
#
# The sources are flat OpenDocument XML written here (reviewable: one Japanese page
# of text, a small sheet, one slide, a form's ruled table, and a text document whose
# Basic macro runs on load and would replace the text with MACRO-RAN); LibreOffice (trusted here: our
# own input, run unconfined once) converts them to docx, xlsx, pptx, doc, xls, ppt
# and odt/ods/odp. encrypted.odt is a zip by python's standard library whose
# manifest declares an encrypted content.xml, as LibreOffice writes it for a
# password-protected document.
set -eu
out=${1:-$(dirname "$0")/office}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$out" <<'PY'
import os, sys, zipfile
work, out = sys.argv[1], sys.argv[2]
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
      'xmlns:ooo="http://openoffice.org/2004/office" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:dom="http://www.w3.org/2001/xml-events" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"')
def doc(kind, body, extra=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document %s office:version="1.3" '
            'office:mimetype="application/vnd.oasis.opendocument.%s">%s<office:body>%s'
            '</office:body></office:document>\n' % (NS, kind, extra, body))
def put(name, s):
    open(os.path.join(work, name), "w", encoding="utf-8").write(s)
style = ('<office:automatic-styles><style:style style:name="P1" style:family="paragraph">'
         '<style:text-properties fo:font-size="20pt"/></style:style></office:automatic-styles>')
text = ('<office:text><text:p text:style-name="P1">住民票の写しの交付申請書</text:p>'
        '<text:p text:style-name="P1">Sekisho office sample</text:p></office:text>')
put("sample.fodt", doc("text", text, style))
rows = "".join('<table:table-row><table:table-cell office:value-type="string"><text:p>氏名%d</text:p>'
               '</table:table-cell><table:table-cell office:value-type="float" office:value="%d">'
               '<text:p>%d</text:p></table:table-cell></table:table-row>' % (i, i * 100, i * 100)
               for i in range(1, 6))
put("sample.fods", doc("spreadsheet", '<office:spreadsheet><table:table table:name="申請">%s'
                       '</table:table></office:spreadsheet>' % rows))
put("sample.fodp", doc("presentation",
    '<office:presentation><draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" '
    'svg:width="20cm" svg:height="4cm"><draw:text-box><text:p>住民票の写し</text:p>'
    '</draw:text-box></draw:frame></draw:page></office:presentation>'))
# The macro: on load, the whole text becomes MACRO-RAN (seen in the PDF if it ran).
macro = ('<office:scripts><office:script script:language="ooo:Basic"><ooo:libraries>'
         '<ooo:library-embedded ooo:name="Standard"><ooo:module ooo:name="Module1">'
         '<ooo:source-code>Sub Main\n ThisComponent.Text.setString("MACRO-RAN")\nEnd Sub\n'
         '</ooo:source-code></ooo:module></ooo:library-embedded></ooo:libraries>'
         '</office:script><office:event-listeners><script:event-listener '
         'script:language="ooo:script" script:event-name="dom:load" '
         'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
         '</office:event-listeners></office:scripts>')
put("macro.fodt", doc("text", text, macro + style))
# Five A4 pages of Japanese and English prose (make bench-sanitize's docx).
brk = ('<office:automatic-styles><style:style style:name="P1" style:family="paragraph">'
       '<style:text-properties fo:font-size="20pt"/></style:style><style:style '
       'style:name="PB" style:family="paragraph"><style:paragraph-properties '
       'fo:break-before="page"/><style:text-properties fo:font-size="20pt"/></style:style>'
       '</office:automatic-styles>')
line = ('住民票の写しの交付を申請します。申請者の氏名、住所、生年月日を記入してください。'
        'The applicant confirms that the information given here is true and complete.')
pages = "".join('<text:p text:style-name="%s">第%d頁 申請書の記入例</text:p>%s'
                % ("P1" if n == 1 else "PB", n,
                   "".join("<text:p>%d-%d %s</text:p>" % (n, k, line) for k in range(1, 13)))
                for n in range(1, 6))
put("five-pages.fodt", doc("text", "<office:text>%s</office:text>" % pages, brk))
# A form: a ruled table (0.5 pt borders) whose header row is shaded grey, as a word
# processor's 届出書 is (the OCR child erases rules and reads shades on their own).
cells = ('<office:automatic-styles><style:style style:name="C1" style:family="table-cell">'
         '<style:table-cell-properties fo:border="0.5pt solid #000000" fo:padding="0.1cm"/>'
         '</style:style><style:style style:name="C2" style:family="table-cell">'
         '<style:table-cell-properties fo:border="0.5pt solid #000000" fo:padding="0.1cm" '
         'fo:background-color="#808080"/></style:style><style:style style:name="P1" '
         'style:family="paragraph"><style:text-properties fo:font-size="11pt" '
         'style:font-size-asian="11pt"/></style:style><style:style style:name="P2" '
         'style:family="paragraph"><style:text-properties fo:font-size="18pt" '
         'style:font-size-asian="18pt"/></style:style></office:automatic-styles>')
def row(style, a, b):
    return ''.join(['<table:table-row>'] + ['<table:table-cell table:style-name="%s">'
                    '<text:p text:style-name="P1">%s</text:p></table:table-cell>' % (style, c)
                    for c in (a, b)] + ['</table:table-row>'])
form = ('<office:text><text:p text:style-name="P2">住民異動届</text:p><table:table '
        'table:name="T1"><table:table-column table:number-columns-repeated="2"/>%s'
        '</table:table><text:p text:style-name="P1">上記のとおり届け出ます。</text:p>'
        '</office:text>' % (row("C2", "項目", "記入欄") + row("C1", "氏名", "山田 太郎") +
                            row("C1", "住所", "東京都千代田区霞が関") +
                            row("C1", "電話番号", "03-1234-5678") +
                            row("C1", "生年月日", "昭和60年4月1日") + row("C1", "備考", "")))
put("form.fodt", doc("text", form, cells))

def zi(name):
    i = zipfile.ZipInfo(name, date_time=(2024, 4, 1, 9, 0, 0))
    i.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
    return i
with zipfile.ZipFile(os.path.join(out, "encrypted.odt"), "w") as z:
    z.writestr(zi("mimetype"), "application/vnd.oasis.opendocument.text")
    z.writestr(zi("content.xml"), os.urandom(0) + b"\x8f\x12encrypted-bytes")
    z.writestr(zi("META-INF/manifest.xml"),
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="1234">'
        '<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" '
        'manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" '
        'manifest:initialisation-vector="AAAA"/><manifest:key-derivation manifest:key-derivation-name="PBKDF2" '
        'manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAA"/>'
        '</manifest:encryption-data></manifest:file-entry></manifest:manifest>\n')
PY
conv() {	# conv SRC FORMAT NAME
	soffice --headless --norestore --nolockcheck --nodefault --nologo \
		"-env:UserInstallation=file://$work/profile" --convert-to "$2" \
		--outdir "$work/o" "$work/$1" >/dev/null 2>&1
	mv "$work/o/${1%.*}.${2%%:*}" "$out/$3"
}
conv sample.fodt docx sample.docx
conv five-pages.fodt docx five-pages.docx
conv form.fodt docx form.docx
conv sample.fodt 'doc:MS Word 97' sample.doc
conv sample.fodt odt sample.odt
conv sample.fods xlsx sample.xlsx
conv sample.fods 'xls:MS Excel 97' sample.xls
conv sample.fods ods sample.ods
conv sample.fodp pptx sample.pptx
conv sample.fodp 'ppt:MS PowerPoint 97' sample.ppt
conv sample.fodp odp sample.odp
conv macro.fodt odt macro.odt
