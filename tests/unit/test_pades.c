/*
 * test_pades.c — PAdES signing checked by an independent verifier: poppler's pdfsig
 * must call the signature valid, and invalid once a single signed byte changes.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/objects.h>

#include "certs.h"
#include "doc_render.h"
#include "pades.h"
#include "testutil.h"

struct fx {
	char dir[64], key[96], crt[96], pdf[96];
	struct pades_signer *signer;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/test_pades.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->key, sizeof f->key, "%s/docsign.key", f->dir);
	snprintf(f->crt, sizeof f->crt, "%s/docsign.crt", f->dir);
	snprintf(f->pdf, sizeof f->pdf, "%s/out.pdf", f->dir);
	assert_int_equal(certs_make_self_signed(CERT_DOC_SIGNING, "Sekisho test signer", 30,
						f->key, f->crt, err, sizeof err), 0);
	assert_int_equal(pades_signer_load(&f->signer, f->key, f->crt, err, sizeof err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	pades_signer_free(f->signer);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* pdfsig's whole report on path. */
static char *
pdfsig(const char *path)
{
	static char out[8192];
	char cmd[256];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof cmd, "pdfsig '%s' 2>&1", path);
	assert_non_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

/* The CMS in /Contents has the signing-certificate-v2 attribute (PAdES B-B) and a
 * SHA-256 message digest. */
static void
assert_cades_attributes(const uint8_t *pdf, size_t len)
{
	const uint8_t *c = memmem(pdf, len, "/Contents <", 11), *p;
	uint8_t der[PADES_CMS_MAX];
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	X509_ALGOR *dig;

	assert_non_null(c);
	c += 11;
	for (size_t i = 0; i < sizeof der; i++) {
		unsigned v;

		assert_int_equal(sscanf((const char *)c + 2 * i, "%2x", &v), 1);
		der[i] = (uint8_t)v;
	}
	p = der;
	assert_non_null(cms = d2i_CMS_ContentInfo(NULL, &p, sizeof der));
	assert_int_equal(CMS_is_detached(cms), 1);
	assert_non_null(si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0));
	assert_true(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	assert_int_equal(OBJ_obj2nid(dig->algorithm), NID_sha256);
	CMS_ContentInfo_free(cms);
}

/* qpdf's structural check of path (an independent reader): its exit status. */
static int
qpdf_check(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "qpdf --check '%s' >/dev/null 2>&1", path);
	return system(cmd);
}

/* A PDF of the given version's header and objects 1.. (the catalogue first), each
 * one's offset into off, off[nobjs] where the cross-reference section begins: its
 * length so far. */
static size_t
pdf_objects(char *buf, size_t cap, const char *version, const char *const *objs, int nobjs,
	    size_t *off)
{
	size_t n = (size_t)snprintf(buf, cap, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version);

	for (int i = 0; i < nobjs; i++) {
		off[i] = n;
		n += (size_t)snprintf(buf + n, cap - n, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	off[nobjs] = n;
	assert_true(n < cap);
	return n;
}

/* A PDF of objects 1.. (the catalogue first) with a classic xref, and a trailer of
 * the given keys. */
static size_t
pdf_of(char *buf, size_t cap, const char *const *objs, int nobjs, const char *trailer)
{
	size_t off[16], n;

	assert_true(nobjs < 16);
	n = pdf_objects(buf, cap, "1.7", objs, nobjs, off);
	n += (size_t)snprintf(buf + n, cap - n, "xref\n0 %d\n0000000000 65535 f \n", nobjs + 1);
	for (int i = 0; i < nobjs; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%010zu 00000 n \n", off[i]);
	n += (size_t)snprintf(buf + n, cap - n, "trailer\n<< %s >>\nstartxref\n%zu\n%%%%EOF\n",
			      trailer, off[nobjs]);
	assert_true(n < cap);
	return n;
}

/* The same objects with a cross-reference stream (PDF 1.5, as many programs write
 * them) in place of the table: uncompressed rows of /W [1 4 2], the stream last. */
static size_t
pdf_with_xref_stream(uint8_t *buf, size_t cap, const char *const *objs, int nobjs)
{
	size_t off[16], n, rows = 0;
	uint8_t row[16 * 7];
	int self = nobjs + 1;

	assert_true(nobjs < 15);
	n = pdf_objects((char *)buf, cap, "1.5", objs, nobjs, off);
	for (int i = -1; i <= nobjs; i++) {
		uint32_t o = i < 0 ? 0 : (uint32_t)off[i];

		row[rows++] = i < 0 ? 0 : 1;
		for (int k = 3; k >= 0; k--)
			row[rows++] = (uint8_t)(o >> (8 * k));
		row[rows++] = i < 0 ? 0xff : 0;
		row[rows++] = i < 0 ? 0xff : 0;
	}
	n += (size_t)snprintf((char *)buf + n, cap - n, "%d 0 obj\n<< /Type /XRef /Size %d "
			      "/W [1 4 2] /Root 1 0 R /Length %zu >>\nstream\n", self, self + 1,
			      rows);
	assert_true(n + rows < cap);
	memcpy(buf + n, row, rows);
	n += rows;
	n += (size_t)snprintf((char *)buf + n, cap - n, "\nendstream\nendobj\nstartxref\n%zu\n"
			      "%%%%EOF\n", off[nobjs]);
	assert_true(n < cap);
	return n;
}

/* A small PDF as another program would write it: classic xref, /Info, /ID. */
static size_t
handmade_pdf(char *buf, size_t cap)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /Lang (ja) >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		"<< /Length 0 >>\nstream\n\nendstream",
		"<< /Producer (handmade (test) \\) still a string) >>",
	};

	return pdf_of(buf, cap, objs, 5, "/Size 6 /Root 1 0 R /Info 5 0 R /ID "
		      "[<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]");
}

/* Signs pdf, which must sign, and checks that the signed file refuses a second
 * signature, as a signed one does. The update (after the original) is returned. */
static uint8_t *
sign_once(struct fx *f, const char *pdf, size_t n, size_t *olen)
{
	char err[512];
	uint8_t *out;

	assert_int_equal(pades_check((const uint8_t *)pdf, n, err, sizeof err), 0);
	assert_int_equal(pades_sign(f->signer, (const uint8_t *)pdf, n, 1795000000, &out, olen,
				    err, sizeof err), 0);
	assert_int_not_equal(pades_check(out, *olen, err, sizeof err), 0);
	assert_non_null(strstr(err, "署名をすでに含む"));
	write_file(f->pdf, out, *olen);
	assert_non_null(strstr(pdfsig(f->pdf), "Signature Validation: Signature is Valid."));
	return out;
}

static void
test_rendered_document_signs_and_pdfsig_says_valid(void **state)
{
	struct fx *f = *state;
	struct doc_render_input in = { "受理証明書", "山田 太郎 様\n本文です。", "関所市", NULL, 0 };
	uint8_t *pdf, *signed_pdf;
	size_t len, slen;
	char err[256], *rep;

	assert_int_equal(doc_render_pdf(&in, &pdf, &len, err, sizeof err), 0);
	assert_int_equal(pades_check(pdf, len, err, sizeof err), 0);
	assert_int_equal(pades_sign(f->signer, pdf, len, 1795000000, &signed_pdf, &slen, err,
				    sizeof err), 0);
	/* An incremental update: the original bytes are untouched at the start. */
	assert_true(slen > len + PADES_CMS_MAX * 2);
	assert_memory_equal(signed_pdf, pdf, len);
	assert_cades_attributes(signed_pdf, slen);
	assert_non_null(memmem(signed_pdf + len, slen - len, "/Annots [", 9));
	write_file(f->pdf, signed_pdf, slen);
	assert_int_equal(qpdf_check(f->pdf), 0);
	rep = pdfsig(f->pdf);
	assert_non_null(strstr(rep, "Signature Validation: Signature is Valid."));
	assert_non_null(strstr(rep, "Sekisho test signer"));
	assert_non_null(strstr(rep, "ETSI.CAdES.detached"));
	assert_non_null(strstr(rep, "SHA-256"));
	assert_non_null(strstr(rep, "Total document signed"));

	/* One signed byte changed (in the original part): no longer valid. */
	signed_pdf[len / 2] ^= 0x01;
	write_file(f->pdf, signed_pdf, slen);
	rep = pdfsig(f->pdf);
	assert_null(strstr(rep, "Signature is Valid."));
	assert_non_null(strstr(rep, "Signature Validation: Digest Mismatch."));

	/* Signed once, it has a form: a second signature is refused, not stacked. */
	signed_pdf[len / 2] ^= 0x01;
	assert_int_equal(pades_check(signed_pdf, slen, err, sizeof err), -1);
	assert_non_null(strstr(err, "署名"));
	free(pdf);
	free(signed_pdf);
}

static void
test_handmade_pdf_keeps_info_and_id(void **state)
{
	struct fx *f = *state;
	char buf[4096], err[256], *rep;
	uint8_t *out;
	size_t n = handmade_pdf(buf, sizeof buf), olen;

	assert_int_equal(pades_sign(f->signer, (uint8_t *)buf, n, 1795000000, &out, &olen, err,
				    sizeof err), 0);
	assert_non_null(memmem(out + n, olen - n, "/Info 5 0 R", 11));
	assert_non_null(memmem(out + n, olen - n, "/ID [<0123456789ABCDEF", 22));
	assert_non_null(memmem(out + n, olen - n, "/Prev ", 6));
	assert_non_null(memmem(out + n, olen - n, "/Lang (ja)", 10));
	/* The widget is on the first page, which is repeated with it in its /Annots. */
	assert_non_null(memmem(out + n, olen - n, "3 0 obj\n<< /Type /Page", 21));
	assert_non_null(memmem(out + n, olen - n, "/Annots [6 0 R] >>", 18));
	assert_non_null(memmem(out + n, olen - n, "/P 3 0 R", 8));
	write_file(f->pdf, out, olen);
	rep = pdfsig(f->pdf);
	assert_non_null(strstr(rep, "Signature Validation: Signature is Valid."));
	assert_int_equal(qpdf_check(f->pdf), 0);
	free(out);

	/* A page that has annotations already keeps them, with the widget added. */
	{
		char buf2[4096];
		char *pg;
		size_t n2;

		n2 = handmade_pdf(buf2, sizeof buf2);
		pg = strstr(buf2, "/Contents 4 0 R >>");
		assert_non_null(pg);
		memcpy(pg, "/Annots [ ] >>    ", 18);	/* same length: offsets hold */
		assert_int_equal(pades_sign(f->signer, (uint8_t *)buf2, n2, 1795000000, &out, &olen,
					    err, sizeof err), 0);
		assert_non_null(memmem(out + n2, olen - n2, "/Annots [  6 0 R] >>", 20));
		write_file(f->pdf, out, olen);
		assert_non_null(strstr(pdfsig(f->pdf), "Signature Validation: Signature is Valid."));
		assert_int_equal(qpdf_check(f->pdf), 0);
		free(out);
	}
}

/* An original whose last cross-reference section is a stream gets a classic table
 * in its update, with /Prev at the stream (as a hybrid reader follows it). qpdf
 * and poppler must both read the update over the stream: the new catalogue with
 * its form, the page and its contents from the original. */
static void
test_an_original_with_an_xref_stream_signs(void **state)
{
	const char *const objs[4] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		"<< /Length 0 >>\nstream\n\nendstream",
	};
	struct fx *f = *state;
	uint8_t buf[4096], *out;
	char cmd[256], shown[512], prev[32];
	size_t n = pdf_with_xref_stream(buf, sizeof buf, objs, 4), olen, got;
	const uint8_t *x = memmem(buf, n, "5 0 obj\n<< /Type /XRef", 22);
	FILE *p;

	assert_non_null(x);
	out = sign_once(f, (const char *)buf, n, &olen);
	(void)snprintf(prev, sizeof prev, "/Prev %zu", (size_t)(x - buf));
	assert_non_null(memmem(out + n, olen - n, prev, strlen(prev)));
	assert_non_null(memmem(out + n, olen - n, "/Annots [6 0 R] >>", 18));
	assert_int_equal(qpdf_check(f->pdf), 0);
	(void)snprintf(cmd, sizeof cmd, "qpdf --show-object=1 '%s' && qpdf --show-npages '%s' "
		       "&& qpdf --show-object=4 '%s'", f->pdf, f->pdf, f->pdf);
	assert_non_null(p = popen(cmd, "r"));
	got = fread(shown, 1, sizeof shown - 1, p);
	shown[got] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(shown, "/AcroForm << /Fields [ 6 0 R ] /SigFlags 3 >>"));
	assert_non_null(strstr(shown, "\n1\n"));		/* one page */
	assert_non_null(strstr(shown, "/Length 0"));	/* object 4, from the stream's rows */
	free(out);
}

/* Found by fuzz_pades: a stray "(" in the first page's /MediaBox opens a string that
 * runs on through the next objects (closed by a ")" in a later one), so the page's
 * "dictionary" held them, and the update repeated it after the new catalogue. When
 * what it held included the text of the old catalogue, that became the catalogue's
 * last definition: the signed file read as unsigned and could be signed again.
 * Such a page is not taken for one; the file signs, without a widget, and then
 * refuses a second signature. */
static void
test_a_dictionary_that_runs_past_its_object_is_not_copied(void **state)
{
	static const char content[] = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
				      "[0 0) 595 842] >>\n";
	char buf[4096], obj5[256];
	const char *const objs[5] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0(0 595 842] /Contents 4 0 R >>",
		"<< /Length 0 >>\nstream\n\nendstream",
		obj5,
	};
	size_t n, olen;
	uint8_t *out;

	(void)snprintf(obj5, sizeof obj5, "<< /Length %zu >>\nstream\n%sendstream",
		       sizeof content - 1, content);
	n = pdf_of(buf, sizeof buf, objs, 5, "/Size 6 /Root 1 0 R");
	out = sign_once(*state, buf, n, &olen);
	assert_null(memmem(out + n, olen - n, "3 0 obj", 7));	/* the page is not repeated */
	free(out);
}

/* Found by fuzz_pades: the same, with no "endobj" in what the page's stray string
 * holds (its text cut short), so the page passed for a dictionary of its own while
 * holding the catalogue's "1 0 obj <<...>>". Any text the update copies after the
 * new catalogue must not hold the catalogue's "N G obj": a page that does gets no
 * widget, a trailer whose /Info or /ID does is refused. */
static void
test_a_copy_holding_the_catalogue_s_text_does_not_follow_the_new_catalogue(void **state)
{
	const char *objs[3] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
		" /PieceInfo (1 0 obj << /Type /Catalog /Pages 2 0 R >>) >>",
	};
	char buf[4096], err[512];
	size_t n, olen;
	uint8_t *out;

	n = pdf_of(buf, sizeof buf, objs, 3, "/Size 4 /Root 1 0 R");
	out = sign_once(*state, buf, n, &olen);
	assert_null(memmem(out + n, olen - n, "3 0 obj", 7));
	free(out);

	/* "11 0 obj" and "1 0 objects" are not the catalogue's text: the page keeps its
	 * widget. */
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
		  " /PieceInfo (11 0 obj << /Type /Catalog /Pages 2 0 R >> 1 0 objects) >>";
	n = pdf_of(buf, sizeof buf, objs, 3, "/Size 4 /Root 1 0 R");
	out = sign_once(*state, buf, n, &olen);
	assert_non_null(memmem(out + n, olen - n, "/Annots [4 0 R] >>", 18));
	free(out);

	/* The trailer's /ID and /Info are copied after the catalogue too. */
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>";
	n = pdf_of(buf, sizeof buf, objs, 3,
		   "/Size 4 /Root 1 0 R /ID [(1 0 obj << /Type /Catalog >>) (x)]");
	assert_int_equal(pades_check((uint8_t *)buf, n, err, sizeof err), -1);
	assert_non_null(strstr(err, "/ID"));
	n = pdf_of(buf, sizeof buf, objs, 3,
		   "/Size 4 /Root 1 0 R /Info << /Title (1 0 obj << /Type /Catalog >>) >>");
	assert_int_equal(pades_check((uint8_t *)buf, n, err, sizeof err), -1);
	assert_non_null(strstr(err, "/Info"));
}

/* The update numbers its two new objects from /Size: a catalogue (or a page) at or
 * past it would share its number with the signature's field. */
static void
test_objects_past_size_are_not_renumbered_over(void **state)
{
	const char *const objs[3] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	};
	char buf[4096], err[512];
	size_t n, olen;
	uint8_t *out;

	n = pdf_of(buf, sizeof buf, objs, 3, "/Size 1 /Root 1 0 R");
	assert_int_equal(pades_check((uint8_t *)buf, n, err, sizeof err), -1);
	assert_non_null(strstr(err, "/Size"));
	/* The page at /Size: signed without a widget, so no object 3 is written twice. */
	n = pdf_of(buf, sizeof buf, objs, 3, "/Size 3 /Root 1 0 R");
	out = sign_once(*state, buf, n, &olen);
	assert_null(memmem(out + n, olen - n, "3 0 obj\n<< /Type /Page", 22));
	assert_non_null(memmem(out + n, olen - n, "3 0 obj\n<< /FT /Sig", 19));
	free(out);
}

/* The new catalogue is the old one and " /AcroForm <<...>>": a catalogue near the
 * dictionary bound would grow past it, and the signed file would read as unsigned. */
static void
test_a_catalogue_too_large_to_grow_is_refused(void **state)
{
	size_t cap = PADES_DICT_MAX + 4096, n, olen;
	char *cat = malloc(cap), *buf = malloc(cap), err[512];
	const char *objs[1] = { cat };
	static const char head[] = "<< /Type /Catalog /X (", tail[] = ") >>";
	uint8_t *out;

	assert_non_null(cat);
	assert_non_null(buf);
	for (size_t len = PADES_DICT_MAX - 64; len <= PADES_DICT_MAX - 20; len += 44) {
		size_t fill = len - (sizeof head - 1) - (sizeof tail - 1);

		memcpy(cat, head, sizeof head - 1);
		memset(cat + sizeof head - 1, 'a', fill);
		memcpy(cat + sizeof head - 1 + fill, tail, sizeof tail);
		assert_int_equal(strlen(cat), len);
		n = pdf_of(buf, cap, objs, 1, "/Size 2 /Root 1 0 R");
		if (len == PADES_DICT_MAX - 64) {
			out = sign_once(*state, buf, n, &olen);
			free(out);
		} else {
			assert_int_equal(pades_check((uint8_t *)buf, n, err, sizeof err), -1);
			assert_non_null(strstr(err, "大きすぎて"));
		}
	}
	free(cat);
	free(buf);
}

static void
test_check_refuses_what_it_cannot_sign(void **state)
{
	char buf[4096], copy[4096], err[256];
	size_t n = handmade_pdf(buf, sizeof buf);
	char *p;

	(void)state;
	assert_int_equal(pades_check((uint8_t *)buf, n, err, sizeof err), 0);
	/* Not a PDF by content. */
	memcpy(copy, buf, n);
	memcpy(copy, "%PNG-1", 6);
	assert_int_equal(pades_check((uint8_t *)copy, n, err, sizeof err), -1);
	assert_non_null(strstr(err, "PDF ファイルではありません"));
	/* Cut short: no startxref. */
	assert_int_equal(pades_check((uint8_t *)buf, n - 30, err, sizeof err), -1);
	assert_non_null(strstr(err, "startxref"));
	/* startxref beyond the end. */
	memcpy(copy, buf, n);
	p = strstr(copy, "startxref\n") + 10;
	memcpy(p, "9999", 4);
	assert_int_equal(pades_check((uint8_t *)copy, n, err, sizeof err), -1);
	/* Encrypted. */
	memcpy(copy, buf, n);
	p = strstr(copy, "/Info 5 0 R");
	memcpy(p, "/Encrypt 5 ", 11);
	assert_int_equal(pades_check((uint8_t *)copy, n, err, sizeof err), -1);
	/* A catalogue that is nowhere as "1 0 obj" (as in an object stream). */
	memcpy(copy, buf, n);
	p = strstr(copy, "1 0 obj");
	p[0] = '9';
	assert_int_equal(pades_check((uint8_t *)copy, n, err, sizeof err), -1);
	assert_non_null(strstr(err, "文書カタログ"));
	/* An unterminated dictionary in the trailer. */
	memcpy(copy, buf, n);
	p = strstr(copy, "trailer\n<<");
	memset(p + 8, '[', (size_t)(copy + n - (p + 8)) - 30);
	assert_int_equal(pades_check((uint8_t *)copy, n, err, sizeof err), -1);
	/* Too small, too large. */
	assert_int_equal(pades_check((uint8_t *)buf, 10, err, sizeof err), -1);
	assert_int_equal(pades_check((uint8_t *)buf, (size_t)PADES_INPUT_MAX + 1, err,
				     sizeof err), -1);
}

/* "1 0 obj << /A (" 700,000 times after the catalogue (as stream data might hold it):
 * each would be a string running on for the whole dictionary bound. A bounded number
 * of matches is looked at, so the refusal is quick, not quadratic. */
static void
test_many_false_catalogue_headers_cost_bounded_work(void **state)
{
	const char *tail = "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 2 /Root 1 0 R >>\n"
			   "startxref\n";
	size_t cap = 15 * 700000 + 4096, n = 0, xref;
	char *buf = malloc(cap), err[256];
	struct timespec t0, t1;

	(void)state;
	assert_non_null(buf);
	n += (size_t)snprintf(buf, cap, "%%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");
	for (int i = 0; i < 700000; i++) {
		memcpy(buf + n, "1 0 obj << /A (", 15);
		n += 15;
	}
	xref = n;
	n += (size_t)snprintf(buf + n, cap - n, "%s%zu\n%%%%EOF\n", tail, xref);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pades_check((uint8_t *)buf, n, err, sizeof err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(strstr(err, "文書カタログ"));
	/* Generous: a linear scan of 10 MB takes milliseconds. */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	free(buf);
}

static void
test_signer_refuses_a_key_of_another_certificate(void **state)
{
	struct fx *f = *state;
	struct pades_signer *s = NULL;
	char key2[128], crt2[128], err[256];

	snprintf(key2, sizeof key2, "%s/other.key", f->dir);
	snprintf(crt2, sizeof crt2, "%s/other.crt", f->dir);
	assert_int_equal(certs_make_self_signed(CERT_DOC_SIGNING, "other", 1, key2, crt2, err,
						sizeof err), 0);
	assert_int_equal(pades_signer_load(&s, key2, f->crt, err, sizeof err), -1);
	assert_null(s);
	assert_non_null(strstr(err, "does not belong"));
	assert_int_equal(pades_signer_load(&s, "/nonexistent.key", f->crt, err, sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rendered_document_signs_and_pdfsig_says_valid),
		cmocka_unit_test(test_handmade_pdf_keeps_info_and_id),
		cmocka_unit_test(test_an_original_with_an_xref_stream_signs),
		cmocka_unit_test(test_check_refuses_what_it_cannot_sign),
		cmocka_unit_test(test_a_dictionary_that_runs_past_its_object_is_not_copied),
		cmocka_unit_test(test_a_copy_holding_the_catalogue_s_text_does_not_follow_the_new_catalogue),
		cmocka_unit_test(test_objects_past_size_are_not_renumbered_over),
		cmocka_unit_test(test_a_catalogue_too_large_to_grow_is_refused),
		cmocka_unit_test(test_many_false_catalogue_headers_cost_bounded_work),
		cmocka_unit_test(test_signer_refuses_a_key_of_another_certificate),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	doc_render_release();
	return rc;
}
