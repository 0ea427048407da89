/*
 * pades.c — PAdES signing by incremental update (see pades.h).
 *
 * The parser trusts nothing it reads: every position is checked against the end of
 * the buffer before it is dereferenced, every dictionary is bounded in size and
 * nesting, and a number is read only up to a fixed count of digits. It needs only
 * three things of the file: where the last cross-reference section is (startxref),
 * the trailer's /Root, /Size (and /Info, /ID to carry over), and the catalogue
 * object's dictionary, which the update repeats with an /AcroForm added. A
 * catalogue in an object stream is not found by looking for "N G obj", and is
 * refused rather than guessed at.
 */
#define _GNU_SOURCE		/* memmem */
#include "pades.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_DIGITS_MAX 10		/* offsets and object numbers: < 10^10 */
#define OBJ_NUM_MAX    8388607		/* PDF's limit on object numbers */
#define BYTERANGE_W    10		/* digits of each /ByteRange number */
/* What the update adds to the catalogue: " /AcroForm << /Fields [N 0 R] /SigFlags 3 >>". */
#define CATALOG_GROWTH_MAX 64

struct pades_signer {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain;
};

/* ---- a bounded PDF lexer -------------------------------------------------------------- */

struct span {
	const uint8_t *p, *end;
};

static bool
is_ws(uint8_t c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool
is_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' ||
	       c == '{' || c == '}' || c == '/' || c == '%';
}

static bool
is_regular(uint8_t c)
{
	return !is_ws(c) && !is_delim(c);
}

static const uint8_t *
skip_ws(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		if (is_ws(*p)) {
			p++;
		} else if (*p == '%') {
			while (p < end && *p != '\n' && *p != '\r')
				p++;
		} else {
			break;
		}
	}
	return p;
}

/* An unsigned integer of at most NUM_DIGITS_MAX digits followed by a delimiter. */
static const uint8_t *
read_uint(const uint8_t *p, const uint8_t *end, unsigned long long *v)
{
	int n = 0;

	*v = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (++n > NUM_DIGITS_MAX)
			return NULL;
		*v = *v * 10 + (unsigned long long)(*p++ - '0');
	}
	if (n == 0 || (p < end && is_regular(*p)))
		return NULL;
	return p;
}

static bool
keyword_at(const uint8_t *p, const uint8_t *end, const char *kw)
{
	size_t n = strlen(kw);

	return (size_t)(end - p) >= n && memcmp(p, kw, n) == 0 &&
	       ((size_t)(end - p) == n || !is_regular(p[n]));
}

static const uint8_t *skip_object(const uint8_t *p, const uint8_t *end, int depth);

/* Past "( ... )" with nested parentheses and backslash escapes. */
static const uint8_t *
skip_string(const uint8_t *p, const uint8_t *end)
{
	int nest = 0;

	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
		} else if (*p == '(') {
			nest++;
		} else if (*p == ')') {
			if (nest-- == 0)
				return p + 1;
		}
	}
	return NULL;
}

/* Past "<< key value ... >>" (p at "<<"). */
static const uint8_t *
skip_dict(const uint8_t *p, const uint8_t *end, int depth)
{
	for (p = skip_ws(p + 2, end); p < end; p = skip_ws(p, end)) {
		if (end - p >= 2 && p[0] == '>' && p[1] == '>')
			return p + 2;
		if (*p != '/' || (p = skip_object(p, end, depth)) == NULL)
			return NULL;
		if ((p = skip_object(skip_ws(p, end), end, depth)) == NULL)
			return NULL;
	}
	return NULL;
}

/* Past one object: a number or a reference "N G R", a name, a string, an array, a
 * dictionary, a keyword (true, false, null). NULL if malformed or too deep. */
static const uint8_t *
skip_object(const uint8_t *p, const uint8_t *end, int depth)
{
	unsigned long long v;
	const uint8_t *q;

	if (p >= end || depth > PADES_DEPTH_MAX)
		return NULL;
	switch (*p) {
	case '/':
		for (p++; p < end && is_regular(*p); p++)
			;
		return p;
	case '(':
		return skip_string(p, end);
	case '<':
		if (end - p >= 2 && p[1] == '<')
			return skip_dict(p, end, depth + 1);
		q = memchr(p, '>', (size_t)(end - p));
		return q ? q + 1 : NULL;
	case '[':
		for (p = skip_ws(p + 1, end); p < end && *p != ']'; p = skip_ws(p, end))
			if ((p = skip_object(p, end, depth + 1)) == NULL)
				return NULL;
		return p < end ? p + 1 : NULL;
	default:
		break;
	}
	if (*p >= '0' && *p <= '9' && (q = read_uint(p, end, &v)) != NULL) {
		/* A reference is three tokens: look ahead for "G R". */
		const uint8_t *r = skip_ws(q, end), *s;

		if ((s = read_uint(r, end, &v)) != NULL && (s = skip_ws(s, end)) < end &&
		    keyword_at(s, end, "R"))
			return s + 1;
		return q;
	}
	if (!is_regular(*p))
		return NULL;
	while (p < end && is_regular(*p))
		p++;
	return p;
}

/* The value of top-level key (e.g. "/Root") of the dictionary d (at "<<", its end
 * already found: d.end just past ">>"), as a span. 1 found, 0 not, -1 malformed. */
static int
dict_get(struct span d, const char *key, struct span *val)
{
	const uint8_t *p = skip_ws(d.p + 2, d.end), *k;
	size_t klen = strlen(key);

	while (p < d.end) {
		if (d.end - p >= 2 && p[0] == '>' && p[1] == '>')
			return 0;
		if (*p != '/' || (k = skip_object(p, d.end, 1)) == NULL)
			return -1;
		bool match = (size_t)(k - p) == klen && memcmp(p, key, klen) == 0;

		p = skip_ws(k, d.end);
		if ((k = skip_object(p, d.end, 1)) == NULL)
			return -1;
		if (match) {
			val->p = p;
			val->end = k;
			return 1;
		}
		p = skip_ws(k, d.end);
	}
	return -1;
}

/* "N G R" in v. 0 or -1. */
static int
parse_ref(struct span v, unsigned long long *num, unsigned long long *gen)
{
	const uint8_t *p = read_uint(v.p, v.end, num);

	if (p == NULL || (p = read_uint(skip_ws(p, v.end), v.end, gen)) == NULL)
		return -1;
	p = skip_ws(p, v.end);
	return keyword_at(p, v.end, "R") && *num > 0 && *num <= OBJ_NUM_MAX && *gen < 65536 ? 0
											    : -1;
}

/* The dictionary starting at p ("<<"), bounded by PADES_DICT_MAX. */
static int
dict_at(const uint8_t *p, const uint8_t *end, struct span *d)
{
	const uint8_t *lim = (size_t)(end - p) > PADES_DICT_MAX ? p + PADES_DICT_MAX : end;
	const uint8_t *q;

	if (lim - p < 2 || p[0] != '<' || p[1] != '<' || (q = skip_dict(p, lim, 1)) == NULL)
		return -1;
	d->p = p;
	d->end = q;
	return 0;
}

static const uint8_t *
find_last(const uint8_t *from, const uint8_t *end, const char *needle)
{
	size_t n = strlen(needle);

	if ((size_t)(end - from) < n)
		return NULL;
	for (size_t i = (size_t)(end - from) - n + 1; i-- > 0;)
		if (memcmp(from + i, needle, n) == 0)
			return from + i;
	return NULL;
}

/* What the update needs of the original. */
struct pdf_facts {
	unsigned long long prev_xref;		/* startxref */
	unsigned long long size;		/* trailer /Size */
	unsigned long long root, root_gen;
	struct span catalog;			/* the catalogue's dictionary */
	struct span info, id;			/* trailer /Info and /ID values, or empty */
	/* The first page, when it is found as a plain object whose /Annots is absent or
	 * an inline array: the signature's widget is added to it (page 0: it is not). */
	unsigned long long page, page_gen;
	struct span page_dict, annots;		/* annots: the array, or empty */
};

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* Whether dictionary d runs on into the objects after its own: an unclosed string
 * or a stray "(" swallows "endobj" and what follows, and the update, which copies
 * the catalogue's and the first page's dictionaries, would carry old objects whose
 * last definition it then seems to be (a signed file read as unsigned). */
static bool
runs_past_its_object(struct span d)
{
	static const char kw[] = "endobj";

	return memmem(d.p, (size_t)(d.end - d.p), kw, sizeof kw - 1) != NULL;
}

/* Object num gen's "N G obj", into head (at least OBJ_HEAD_LEN bytes). */
#define OBJ_HEAD_LEN 48
static void
object_head(unsigned long long num, unsigned long long gen, char *head)
{
	snprintf(head, OBJ_HEAD_LEN, "%llu %llu obj", num, gen);
}

/* Whether the n bytes at p, within start to end, are a token of their own: not
 * inside a longer one ("11 0 obj" holds no "1 0 obj", nor does "1 0 objects"). */
static bool
token_at(const uint8_t *start, const uint8_t *p, size_t n, const uint8_t *end)
{
	return (p == start || !is_regular(p[-1])) && (p + n == end || !is_regular(p[n]));
}

/* Whether text s holds head ("N G obj") where find_object would take it for one. */
static bool
holds_head(struct span s, const char *head)
{
	size_t n = strlen(head);
	const uint8_t *p = s.p;

	while (p != NULL && p < s.end &&
	       (p = memmem(p, (size_t)(s.end - p), head, n)) != NULL) {
		if (token_at(s.p, p, n, s.end))
			return true;
		p++;
	}
	return false;
}

/* Object "num gen obj <<...>>" of /Type type: its last definition in the file. The
 * text may also occur inside streams: at most PADES_CATALOG_TRIES matches are parsed,
 * so a file full of them costs a bounded amount of work. A dictionary that runs past
 * its object is no definition. */
static int
find_object(const uint8_t *pdf, size_t len, unsigned long long num, unsigned long long gen,
	    const char *type, struct span *dict)
{
	char head[OBJ_HEAD_LEN];
	const uint8_t *end = pdf + len, *p = end;
	int tries = 0;

	object_head(num, gen, head);
	while (tries++ < PADES_CATALOG_TRIES && (p = find_last(pdf, p, head)) != NULL) {
		const uint8_t *q = p + strlen(head);
		struct span v;

		if (token_at(pdf, p, strlen(head), end) && q < end &&
		    dict_at(skip_ws(q, end), end, dict) == 0 && !runs_past_its_object(*dict) &&
		    dict_get(*dict, "/Type", &v) == 1 && keyword_at(v.p, v.end, type))
			return 0;
		if (p == pdf)
			break;
		p += strlen(head) - 1;	/* search strictly before this match */
	}
	return -1;
}

static int
find_catalog(const uint8_t *pdf, size_t len, struct pdf_facts *f)
{
	return find_object(pdf, len, f->root, f->root_gen, "/Catalog", &f->catalog);
}

#define PAGE_TREE_DEPTH_MAX 8	/* /Pages nodes followed down to the first page */

/* The first page, down /Kids[0] of the page tree. Best effort: f->page stays 0 when
 * the tree is not plain objects (an object stream) or /Annots is an indirect array,
 * and the signature is then invisible without a page (still valid). */
static void
find_first_page(const uint8_t *pdf, size_t len, struct pdf_facts *f)
{
	unsigned long long n, g;
	struct span v, d;

	if (dict_get(f->catalog, "/Pages", &v) != 1 || parse_ref(v, &n, &g) != 0)
		return;
	for (int depth = 0; depth < PAGE_TREE_DEPTH_MAX && n != f->root; depth++) {
		if (find_object(pdf, len, n, g, "/Page", &d) == 0) {
			int rc = dict_get(d, "/Annots", &v);
			char head[OBJ_HEAD_LEN];

			/* The page is repeated after the new catalogue, under its own
			 * number: a number the update gives its new objects (/Size on)
			 * would be defined twice, and the catalogue's own text in the
			 * page would become its last definition (signed read as unsigned). */
			object_head(f->root, f->root_gen, head);
			if (rc < 0 || (rc == 1 && *v.p != '[') || n >= f->size || holds_head(d, head))
				return;
			f->page = n;
			f->page_gen = g;
			f->page_dict = d;
			f->annots = rc == 1 ? v : (struct span){ NULL, NULL };
			return;
		}
		if (find_object(pdf, len, n, g, "/Pages", &d) != 0 ||
		    dict_get(d, "/Kids", &v) != 1 || *v.p != '[')
			return;
		v.p = skip_ws(v.p + 1, v.end);
		if (parse_ref(v, &n, &g) != 0)
			return;
	}
}

static int
read_facts(const uint8_t *pdf, size_t len, struct pdf_facts *f, char *err, size_t errlen)
{
	const uint8_t *end = pdf + len, *p, *tail;
	struct span trailer, v;
	char head[OBJ_HEAD_LEN];

	memset(f, 0, sizeof *f);
	if (len < 64 || len > PADES_INPUT_MAX)
		FAIL("PDF の大きさが扱える範囲（%d MB まで）を超えているか、小さすぎます。",
		     PADES_INPUT_MAX / (1024 * 1024));
	if (memcmp(pdf, "%PDF-1.", 7) != 0 && memcmp(pdf, "%PDF-2.", 7) != 0)
		FAIL("PDF ファイルではありません（ファイルの先頭が %%PDF- ではありません）。");
	tail = len > PADES_TAIL_SCAN ? end - PADES_TAIL_SCAN : pdf;
	if ((p = find_last(tail, end, "startxref")) == NULL ||
	    (p = read_uint(skip_ws(p + 9, end), end, &f->prev_xref)) == NULL ||
	    f->prev_xref >= len)
		FAIL("PDF の末尾（startxref）が読み取れません。壊れているか、途中で切れています。");
	p = pdf + f->prev_xref;
	if (keyword_at(p, end, "xref")) {
		/* A classic table: its trailer follows the entries. */
		const uint8_t *t = NULL;

		for (const uint8_t *q = p; q + 7 <= end; q++)
			if (memcmp(q, "trailer", 7) == 0) {
				t = q;
				break;
			}
		if (t == NULL || dict_at(skip_ws(t + 7, end), end, &trailer) != 0)
			FAIL("PDF の trailer が読み取れません。");
	} else {
		/* A cross-reference stream "N G obj <<... /Type /XRef ...>>". */
		unsigned long long n, g;

		if ((p = read_uint(p, end, &n)) == NULL ||
		    (p = read_uint(skip_ws(p, end), end, &g)) == NULL ||
		    !keyword_at(p = skip_ws(p, end), end, "obj") ||
		    dict_at(skip_ws(p + 3, end), end, &trailer) != 0 ||
		    dict_get(trailer, "/Type", &v) != 1 || !keyword_at(v.p, v.end, "/XRef"))
			FAIL("PDF の相互参照表が読み取れません。");
	}
	if (dict_get(trailer, "/Encrypt", &v) != 0)
		FAIL("暗号化（パスワード保護）された PDF には署名できません。"
		     "保護を解除した PDF をお使いください。");
	if (dict_get(trailer, "/Root", &v) != 1 || parse_ref(v, &f->root, &f->root_gen) != 0 ||
	    dict_get(trailer, "/Size", &v) != 1 || read_uint(v.p, v.end, &f->size) == NULL ||
	    f->size == 0 || f->size > OBJ_NUM_MAX - 2)
		FAIL("PDF の trailer に /Root か /Size がありません。");
	if (dict_get(trailer, "/Info", &f->info) != 1)
		f->info.p = f->info.end = NULL;
	if (dict_get(trailer, "/ID", &f->id) != 1)
		f->id.p = f->id.end = NULL;
	if (f->root >= f->size)
		FAIL("PDF の trailer の /Size（%llu）が文書カタログの番号（%llu）以下で、"
		     "壊れています。", f->size, f->root);
	if (find_catalog(pdf, len, f) != 0)
		FAIL("PDF の文書カタログが見つかりません（圧縮されたオブジェクトの中にある PDF "
		     "には署名できません）。別の方法で PDF を作り直してください。");
	if (dict_get(f->catalog, "/AcroForm", &v) != 0)
		FAIL("入力フォームや署名をすでに含む PDF には署名できません。"
		     "フォームのない PDF をお使いください。");
	/* The update repeats the catalogue with a form added and /Info and /ID after
	 * it; the signed file must read as signed, so the new catalogue must be the
	 * one find_catalog finds in it: still within the dictionary bound, and its
	 * text not repeated later by what is copied from the trailer. */
	if ((size_t)(f->catalog.end - f->catalog.p) > PADES_DICT_MAX - CATALOG_GROWTH_MAX)
		FAIL("PDF の文書カタログが大きすぎて署名できません（%d KB まで）。",
		     (PADES_DICT_MAX - CATALOG_GROWTH_MAX) / 1024);
	object_head(f->root, f->root_gen, head);
	if ((f->info.p != NULL && holds_head(f->info, head)) ||
	    (f->id.p != NULL && holds_head(f->id, head)))
		FAIL("PDF の trailer（/Info か /ID）に文書カタログと同じ「%s」の文字列があり、"
		     "署名すると署名のない PDF と区別できなくなるため署名できません。", head);
	find_first_page(pdf, len, f);
	return 0;
}

int
pades_check(const uint8_t *pdf, size_t len, char *err, size_t errlen)
{
	struct pdf_facts f;

	return read_facts(pdf, len, &f, err, errlen);
}

/* ---- the signer ----------------------------------------------------------------------- */

static void
ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof buf);
	snprintf(err, errlen, "%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

int
pades_signer_load(struct pades_signer **out, const char *key_path, const char *crt_path,
		  char *err, size_t errlen)
{
	struct pades_signer *s = calloc(1, sizeof *s);
	BIO *b = NULL;
	X509 *x;

	*out = NULL;
	if (s == NULL || (s->chain = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "document signer: out of memory");
		goto fail;
	}
	if ((b = BIO_new_file(key_path, "r")) == NULL ||
	    (s->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		ossl_err(err, errlen, key_path);
		goto fail;
	}
	BIO_free(b);
	if ((b = BIO_new_file(crt_path, "r")) == NULL ||
	    (s->cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		ossl_err(err, errlen, crt_path);
		goto fail;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(s->chain, x)) {
			X509_free(x);
			snprintf(err, errlen, "document signer: out of memory");
			goto fail;
		}
	ERR_clear_error();	/* the end of the chain is a "no start line" */
	BIO_free(b);
	b = NULL;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ossl_err(err, errlen, "document signer: the key does not belong to the certificate");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	BIO_free(b);
	pades_signer_free(s);
	return -1;
}

void
pades_signer_free(struct pades_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	sk_X509_pop_free(s->chain, X509_free);
	free(s);
}

void
pades_signer_subject(const struct pades_signer *s, char *buf, size_t len)
{
	X509_NAME_oneline(X509_get_subject_name(s->cert), buf, (int)len);
}

/* DER of a detached CMS over the two ranges. 0 or -1 with err. */
static int
make_cms(const struct pades_signer *s, const uint8_t *a, size_t alen, const uint8_t *b,
	 size_t blen, uint8_t **der, int *derlen, char *err, size_t errlen)
{
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	CMS_ContentInfo *cms = NULL;
	BIO *in = BIO_new(BIO_s_mem());
	int rc = -1;

	*der = NULL;
	if (in == NULL || BIO_write(in, a, (int)alen) != (int)alen ||
	    BIO_write(in, b, (int)blen) != (int)blen) {
		snprintf(err, errlen, "signing: out of memory");
		goto out;
	}
	if ((cms = CMS_sign(NULL, NULL, s->chain, NULL, flags)) == NULL ||
	    CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags | CMS_CADES) == NULL ||
	    CMS_final(cms, in, NULL, flags & ~CMS_PARTIAL) != 1) {
		ossl_err(err, errlen, "signing: CMS");
		goto out;
	}
	if ((*derlen = i2d_CMS_ContentInfo(cms, der)) <= 0) {
		ossl_err(err, errlen, "signing: CMS encoding");
		goto out;
	}
	rc = 0;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

/* The incremental update, with the /ByteRange numbers and /Contents left as
 * placeholders whose offsets (from the start of the update) are returned. */
static int
write_update(FILE *f, const struct pdf_facts *fa, size_t base, time_t when, long *br_off,
	     long *contents_off, char *err, size_t errlen)
{
	unsigned long long field = fa->size, sig = fa->size + 1;
	long cat_at, page_at = 0, field_at, sig_at, xref_at;
	struct tm tm;
	char m[32];

	localtime_r(&when, &tm);
	/* Japan's offset is fixed; the appliance runs in Asia/Tokyo or UTC, and the
	 * date string says which. */
	if (tm.tm_gmtoff == 0)
		strftime(m, sizeof m, "D:%Y%m%d%H%M%SZ", &tm);
	else
		snprintf(m, sizeof m, "D:%04d%02d%02d%02d%02d%02d%c%02ld'%02ld'",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, tm.tm_gmtoff < 0 ? '-' : '+', labs(tm.tm_gmtoff) / 3600,
			 labs(tm.tm_gmtoff) % 3600 / 60);
	fputc('\n', f);
	cat_at = ftell(f);
	/* The catalogue again, with the form: the dictionary without its closing ">>". */
	fprintf(f, "%llu %llu obj\n", fa->root, fa->root_gen);
	fwrite(fa->catalog.p, 1, (size_t)(fa->catalog.end - fa->catalog.p - 2), f);
	fprintf(f, " /AcroForm << /Fields [%llu 0 R] /SigFlags 3 >> >>\nendobj\n", field);
	if (fa->page != 0) {
		/* The first page again, with the widget in its /Annots. */
		const struct span *d = &fa->page_dict;

		page_at = ftell(f);
		fprintf(f, "%llu %llu obj\n", fa->page, fa->page_gen);
		if (fa->annots.p != NULL) {
			fwrite(d->p, 1, (size_t)(fa->annots.end - 1 - d->p), f);
			fprintf(f, " %llu 0 R]", field);
			fwrite(fa->annots.end, 1, (size_t)(d->end - fa->annots.end), f);
		} else {
			fwrite(d->p, 1, (size_t)(d->end - d->p - 2), f);
			fprintf(f, " /Annots [%llu 0 R] >>", field);
		}
		fputs("\nendobj\n", f);
	}
	field_at = ftell(f);
	fprintf(f, "%llu 0 obj\n<< /FT /Sig /Type /Annot /Subtype /Widget /Rect [0 0 0 0]"
		   " /F 132 /T (Signature1) /V %llu 0 R", field, sig);
	if (fa->page != 0)
		fprintf(f, " /P %llu %llu R", fa->page, fa->page_gen);
	fputs(" >>\nendobj\n", f);
	sig_at = ftell(f);
	fprintf(f, "%llu 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite"
		   " /SubFilter /ETSI.CAdES.detached /M (%s) /ByteRange [0 ", sig, m);
	*br_off = ftell(f);
	fprintf(f, "%*s %*s %*s] /Contents ", BYTERANGE_W, "", BYTERANGE_W, "", BYTERANGE_W, "");
	*contents_off = ftell(f);
	fputc('<', f);
	for (int i = 0; i < PADES_CMS_MAX * 2; i++)
		fputc('0', f);
	fputs("> >>\nendobj\n", f);
	xref_at = ftell(f);
	/* Subsections in ascending order: the catalogue and the page (both older than
	 * /Size), then the two new objects. */
	fputs("xref\n", f);
	if (fa->page != 0 && fa->page < fa->root)
		fprintf(f, "%llu 1\n%010zu %05llu n \n", fa->page, base + (size_t)page_at,
			fa->page_gen);
	fprintf(f, "%llu 1\n%010zu %05llu n \n", fa->root, base + (size_t)cat_at, fa->root_gen);
	if (fa->page != 0 && fa->page > fa->root)
		fprintf(f, "%llu 1\n%010zu %05llu n \n", fa->page, base + (size_t)page_at,
			fa->page_gen);
	fprintf(f, "%llu 2\n%010zu 00000 n \n%010zu 00000 n \n", field,
		base + (size_t)field_at, base + (size_t)sig_at);
	fprintf(f, "trailer\n<< /Size %llu /Root %llu %llu R /Prev %llu", fa->size + 2, fa->root,
		fa->root_gen, fa->prev_xref);
	if (fa->info.p != NULL) {
		fputs(" /Info ", f);
		fwrite(fa->info.p, 1, (size_t)(fa->info.end - fa->info.p), f);
	}
	if (fa->id.p != NULL) {
		fputs(" /ID ", f);
		fwrite(fa->id.p, 1, (size_t)(fa->id.end - fa->id.p), f);
	}
	fprintf(f, " >>\nstartxref\n%zu\n%%%%EOF\n", base + (size_t)xref_at);
	if (ferror(f)) {
		snprintf(err, errlen, "signing: out of memory");
		return -1;
	}
	return 0;
}

int
pades_sign(const struct pades_signer *s, const uint8_t *pdf, size_t len, time_t when,
	   uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";
	struct pdf_facts fa;
	char *buf = NULL, num[BYTERANGE_W + 1];
	size_t blen = 0, a, b;
	long br_off, c_off;
	uint8_t *der = NULL;
	int derlen;
	FILE *f;

	*out = NULL;
	if (read_facts(pdf, len, &fa, err, errlen) != 0)
		return -1;
	if ((f = open_memstream(&buf, &blen)) == NULL) {
		snprintf(err, errlen, "signing: out of memory");
		return -1;
	}
	fwrite(pdf, 1, len, f);
	if (write_update(f, &fa, 0, when, &br_off, &c_off, err, errlen) != 0) {
		fclose(f);
		free(buf);
		return -1;
	}
	if (fclose(f) != 0) {
		free(buf);
		snprintf(err, errlen, "signing: out of memory");
		return -1;
	}
	/* The bytes signed: all but "<...>" of /Contents. */
	a = (size_t)c_off;
	b = a + 2 + PADES_CMS_MAX * 2;
	snprintf(num, sizeof num, "%*zu", BYTERANGE_W, a);
	memcpy(buf + br_off, num, BYTERANGE_W);
	snprintf(num, sizeof num, "%*zu", BYTERANGE_W, b);
	memcpy(buf + br_off + BYTERANGE_W + 1, num, BYTERANGE_W);
	snprintf(num, sizeof num, "%*zu", BYTERANGE_W, blen - b);
	memcpy(buf + br_off + 2 * (BYTERANGE_W + 1), num, BYTERANGE_W);
	if (make_cms(s, (uint8_t *)buf, a, (uint8_t *)buf + b, blen - b, &der, &derlen, err,
		     errlen) != 0) {
		free(buf);
		return -1;
	}
	if (derlen > PADES_CMS_MAX) {
		OPENSSL_free(der);
		free(buf);
		snprintf(err, errlen, "signing: the CMS (%d bytes) is larger than the %d reserved",
			 derlen, PADES_CMS_MAX);
		return -1;
	}
	for (int i = 0; i < derlen; i++) {
		buf[a + 1 + 2 * (size_t)i] = hex[der[i] >> 4];
		buf[a + 2 + 2 * (size_t)i] = hex[der[i] & 15];
	}
	OPENSSL_free(der);
	*out = (uint8_t *)buf;
	*outlen = blen;
	return 0;
}
