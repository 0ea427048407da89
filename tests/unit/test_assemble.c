/*
 * test_assemble.c — a submission is signed only from clean, attested uploads, and the
 * bundle it makes passes the same gate bridge-rx and officed apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble.h"
#include "attest.h"
#include "bundle.h"
#include "crypto.h"
#include "jsonio.h"
#include "procsig.h"
#include "proxyrep.h"
#include "reply.h"
#include "testutil.h"

static uint8_t pub[32], priv[32];
static uint8_t office_pub[32], office_priv[32], other_pub[32], other_priv[32];
static struct keyring office_keys;	/* office_pub alone: no rotation here */

struct fixture {
	char dir[64], results[96], spool[96];
	struct spool outbox;
};

static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* results/ID/ as the worker leaves it; clean ones with output and attestation, made
 * by method (of an input of type). */
static void
make_result_by(struct fixture *fx, const char *id, bool clean, const char *method,
	       const char *type)
{
	char d[160], p[200], res[160];
	const char *out = "%PDF-1.7 rebuilt\n";
	bool ooxml = strcmp(method, "ooxml-rebuild") == 0;
	bool csv = strcmp(method, "text-reencode") == 0;	/* made a CSV here */

	snprintf(d, sizeof d, "%s/%s", fx->results, id);
	assert_int_equal(mkdir(d, 0750), 0);
	snprintf(p, sizeof p, "%s/result.json", d);
	snprintf(res, sizeof res, "{\"status\":\"clean\",\"method\":\"%s\",\"type\":\"%s\"%s}",
		 method, type, csv ? ",\"output_type\":\"csv\"" : "");
	put_file(p, clean ? res : "{\"status\":\"rejected\",\"reason\":\"malware\"}");
	if (!clean)
		return;
	snprintf(p, sizeof p, "%s/output", d);
	put_file(p, out);
	struct attest_fields a = { .input_size = 3, .input_type = type,
				   .output_type = ooxml ? type : csv ? "csv" : "pdf",
				   .output_size = strlen(out), .method = method,
				   .policy = "default", .scan_input = "clean",
				   .scan_output = "clean" };
	crypto_sha256("abc", 3, a.input_sha256);
	crypto_sha256(out, strlen(out), a.output_sha256);
	json_t *att = attest_sign(&a, priv);
	char *text = jsonio_dump(att);
	snprintf(p, sizeof p, "%s/attestation.json", d);
	put_file(p, text);
	free(text);
	json_decref(att);
}

static void
make_result(struct fixture *fx, const char *id, bool clean)
{
	make_result_by(fx, id, clean, "pdf-render", "pdf");
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);

	snprintf(fx->dir, sizeof fx->dir, "/tmp/sekisho-assemble-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->results, sizeof fx->results, "%s/results", fx->dir);
	snprintf(fx->spool, sizeof fx->spool, "%s/outbox", fx->dir);
	assert_int_equal(mkdir(fx->results, 0750), 0);
	assert_int_equal(spool_open(&fx->outbox, fx->spool, true), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	spool_close(&fx->outbox);
	assert_int_equal(testutil_rmtree(fx->dir), 0);
	free(fx);
	return 0;
}

static int
keys(void **state)
{
	(void)state;
	if (crypto_ed25519_keygen(pub, priv) || crypto_ed25519_keygen(office_pub, office_priv) ||
	    crypto_ed25519_keygen(other_pub, other_priv))
		return -1;
	office_keys.kind = KEYRING_ED25519;
	office_keys.n = 1;
	memcpy(office_keys.k[0].key, office_pub, 32);
	keyring_key_id(KEYRING_ED25519, office_pub, office_keys.k[0].id);
	return 0;
}

static json_t *
definition(void)
{
	return json_pack("{s:s,s:i,s:s,s:{s:[{s:s,s:s,s:s,s:b},{s:s,s:s,s:s,s:s},"
			 "{s:s,s:s,s:s,s:[s]}]}}",
			 "id", "demo-inquiry", "version", 3, "title", "お問い合わせ",
			 "schema", "fields",
			 "name", "name", "type", "text", "label", "お名前", "required", 1,
			 "name", "kana", "type", "kana", "label", "フリガナ", "help", "",
			 "name", "attachment", "type", "file", "label", "添付", "accept", "pdf");
}

/* A request as portald's forwarder makes it: the office-signed definition, the
 * application with normalised answers, and the files its answers reference. */
static json_t *
request_signed_by(const char *id, const char *upload, const uint8_t *key, const char *tenant)
{
	json_t *def = definition(), *req;
	char sig[PROCSIG_HEX_LEN + 1];

	assert_int_equal(procsig_sign(key, tenant, def, sig), 0);
	req = json_pack("{s:s,s:s,s:{s:o,s:s},"
			"s:{s:s,s:s,s:s,s:{s:s,s:i,s:s},s:s,s:{s:s,s:[s]}},"
			"s:[{s:s,s:s,s:s}]}",
			"id", id, "tenant", "demo",
			"procedure", "definition", def, "signature", sig,
			"application", "format", "sekisho-application/1", "receipt_no",
			"20261122-000001", "tenant", "demo", "procedure", "id", "demo-inquiry",
			"version", 3, "title", "お問い合わせ", "submitted_at",
			"2026-11-22T10:00:00+09:00", "answers", "name", "山田 太郎",
			"attachment", upload,
			"files", "upload", upload, "field", "attachment", "display_name", "住民票.pdf");
	return req;
}

static json_t *
request(const char *id, const char *upload)
{
	return request_signed_by(id, upload, office_priv, "demo");
}

static json_t *
answers_of(json_t *req)
{
	return json_object_get(json_object_get(req, "application"), "answers");
}

static void
test_clean_upload_becomes_a_verifiable_bundle(void **state)
{
	struct fixture *fx = *state;
	char err[256], path[200];
	struct bundle_check chk = { .signer_pub = pub, .attest_pub = pub };
	struct bundle_info info;
	json_t *req = request("app-1", "u-1");
	int fd;

	make_result(fx, "u-1", true);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err, sizeof err),
			 ASSEMBLE_OK);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err, sizeof err),
			 ASSEMBLE_EXISTS);
	snprintf(path, sizeof path, "%s/new/app-1", fx->spool);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	bundle_limits_default(&chk.limits);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	assert_string_equal(info.tenant, "demo");
	assert_string_equal(jsonio_str(json_object_get(info.application, "answers"), "name", ""),
			    "山田 太郎");
	json_t *f = json_array_get(json_object_get(info.manifest, "files"), 0);
	assert_string_equal(jsonio_str(f, "file", ""), "files/1.pdf");
	assert_string_equal(jsonio_str(f, "display_name", ""), "住民票.pdf");
	bundle_info_free(&info);
	json_decref(req);
}

/* One clean upload made by method with the given type, bundled: its member is named
 * expected (officed serves a file by that extension). */
static void
assert_bundled_as(struct fixture *fx, const char *method, const char *type,
		  const char *expected)
{
	char err[256], path[200];
	struct bundle_check chk = { .signer_pub = pub, .attest_pub = pub };
	struct bundle_info info;
	json_t *req = request("app-1", "u-1");
	int fd;

	make_result_by(fx, "u-1", true, method, type);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	snprintf(path, sizeof path, "%s/new/app-1", fx->spool);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	bundle_limits_default(&chk.limits);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	assert_string_equal(jsonio_str(json_array_get(json_object_get(info.manifest, "files"), 0),
				       "file", ""), expected);
	bundle_info_free(&info);
	json_decref(req);
}

/* A kept-editable spreadsheet is bundled as what it is. */
static void
test_kept_editable_xlsx_is_bundled_as_xlsx(void **state)
{
	assert_bundled_as(*state, "ooxml-rebuild", "xlsx", "files/1.xlsx");
}

/* A citizen's CSV, cleaned as text, is bundled as a .csv (officed serves it as UTF-8
 * text/csv by that extension). */
static void
test_cleaned_csv_is_bundled_as_csv(void **state)
{
	assert_bundled_as(*state, "text-reencode", "text", "files/1.csv");
}

/* results/ID/ of an allowed zip as the worker leaves it: result.json with members, and
 * members/<n>/output and attestation.json for each clean one (ok[i] false: refused). */
static void
make_archive_result(struct fixture *fx, const char *id, const char *const *names,
		    const bool *ok, size_t n)
{
	char d[160], p[200];
	json_t *res = json_pack("{s:s,s:s,s:s,s:[]}", "status", "clean", "method",
				"archive-extract", "type", "zip", "members");
	struct attest_origin o = { .size = 999 };

	crypto_sha256("the zip", 7, o.sha256);
	snprintf(d, sizeof d, "%s/%s", fx->results, id);
	assert_int_equal(mkdir(d, 0750), 0);
	snprintf(d, sizeof d, "%s/%s/members", fx->results, id);
	assert_int_equal(mkdir(d, 0750), 0);
	for (size_t i = 0; i < n; i++) {
		bool png = strstr(names[i], ".jpg") != NULL;
		const char *out = png ? "\x89PNG rebuilt" : "%PDF-1.7 member";
		struct attest_fields a = { .input_size = 3, .input_type = png ? "jpeg" : "pdf",
			.output_type = png ? "png" : "pdf", .output_size = strlen(out),
			.method = png ? "image-reencode" : "pdf-render", .policy = "default",
			.scan_input = "clean", .scan_output = "clean", .origin = &o };

		json_array_append_new(json_object_get(res, "members"), json_pack(
			"{s:s,s:s,s:s,s:s,s:i}", "name", names[i], "status",
			ok[i] ? "clean" : "rejected", "method", a.method, "type", a.input_type,
			"pages", 1));
		if (!ok[i])
			continue;
		snprintf(d, sizeof d, "%s/%s/members/%zu", fx->results, id, i + 1);
		assert_int_equal(mkdir(d, 0750), 0);
		snprintf(p, sizeof p, "%s/output", d);
		put_file(p, out);
		o.member = names[i];
		o.index = (uint32_t)i + 1;
		crypto_sha256("abc", 3, a.input_sha256);
		crypto_sha256(out, strlen(out), a.output_sha256);
		json_t *att = attest_sign(&a, priv);
		char *text = jsonio_dump(att);
		snprintf(p, sizeof p, "%s/attestation.json", d);
		put_file(p, text);
		free(text);
		json_decref(att);
	}
	if (!ok[0] || (n > 1 && !ok[1]))
		json_object_set_new(res, "status", json_string("rejected"));
	char *text = jsonio_dump(res);
	snprintf(p, sizeof p, "%s/%s/result.json", fx->results, id);
	put_file(p, text);
	free(text);
	json_decref(res);
}

/* The request's definition given a sanitizer policy, signed again. */
static void
set_policy(json_t *req, const char *key, bool on)
{
	json_t *proc = json_object_get(req, "procedure"), *def = json_object_get(proc, "definition");
	char sig[PROCSIG_HEX_LEN + 1];

	json_object_set_new(def, "sanitizer", json_pack("{s:b}", key, on));
	assert_int_equal(procsig_sign(office_priv, "demo", def, sig), 0);
	json_object_set_new(proc, "signature", json_string(sig));
}

/* A zip of a PDF and a JPEG becomes two files of the bundle, each with the
 * attestation naming the zip, grouped under the zip's name for staff. */
static void
test_archive_members_are_bundled_each_attested(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = { "書類/申請書.pdf", "写真.jpg" };
	static const bool ok[] = { true, true };
	char err[256], path[200];
	struct bundle_check chk = { .signer_pub = pub, .attest_pub = pub };
	struct bundle_info info;
	json_t *req = request("app-z", "u-zip"), *files;
	int fd;

	make_archive_result(fx, "u-zip", names, ok, 2);
	json_object_set_new(json_array_get(json_object_get(req, "files"), 0), "display_name",
			    json_string("添付書類.zip"));
	set_policy(req, "allow_archives", true);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	snprintf(path, sizeof path, "%s/new/app-z", fx->spool);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	bundle_limits_default(&chk.limits);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	files = json_object_get(info.manifest, "files");
	assert_int_equal(json_array_size(files), 2);
	for (size_t i = 0; i < 2; i++) {
		const json_t *f = json_array_get(files, i), *arc = json_object_get(f, "archive");
		const json_t *att = json_object_get(info.attestations, jsonio_str(f, "attestation", ""));

		assert_string_equal(jsonio_str(f, "file", ""), i == 0 ? "files/1.pdf" : "files/2.png");
		assert_string_equal(jsonio_str(f, "display_name", ""), names[i]);
		assert_string_equal(jsonio_str(f, "field", ""), "attachment");
		assert_string_equal(jsonio_str(arc, "display_name", ""), "添付書類.zip");
		assert_string_equal(jsonio_str(arc, "member", ""), names[i]);
		assert_string_equal(jsonio_str(json_object_get(json_object_get(att, "attestation"),
				    "archive"), "member", ""), names[i]);
	}
	bundle_info_free(&info);
	json_decref(req);
}

/* All or nothing; and a procedure whose policy does not allow archives gets none. */
static void
test_archive_refused_whole_or_by_policy(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = { "a.pdf", "b.jpg" };
	static const bool bad[] = { true, false }, good[] = { true, true };
	char err[256];
	json_t *req = request("app-y", "u-half");

	make_archive_result(fx, "u-half", names, bad, 2);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_ENOTCLEAN);
	json_decref(req);
	make_archive_result(fx, "u-whole", names, good, 2);
	req = request("app-x", "u-whole");
	set_policy(req, "allow_archives", false);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_EINVALID);
	assert_non_null(strstr(err, "allow_archives"));
	set_policy(req, "keep_ooxml", true);	/* no allow_archives: false */
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_EINVALID);
	json_decref(req);
	/* A kept docx under a policy that makes Office files PDF is not signed either. */
	make_result_by(fx, "u-docx", true, "ooxml-rebuild", "docx");
	req = request("app-w", "u-docx");
	set_policy(req, "keep_ooxml", false);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_EINVALID);
	json_decref(req);
	assert_int_equal(spool_count_new(&fx->outbox), 0);
}

static void
test_refused_pending_or_unknown_upload_is_not_signed(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	json_t *req;

	make_result(fx, "u-bad", false);
	req = request("app-2", "u-bad");
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err, sizeof err),
			 ASSEMBLE_ENOTCLEAN);
	assert_non_null(strstr(err, "u-bad"));
	json_decref(req);
	req = request("app-3", "u-never");
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err, sizeof err),
			 ASSEMBLE_ENOTCLEAN);
	json_decref(req);
	assert_int_equal(spool_count_new(&fx->outbox), 0);
}

/* A clean upload whose text layer is still being made (worker.c's "ocr": "pending")
 * holds its bundle back with a "retry" answer; once the layer is made, or given up,
 * the same request is signed. */
static void
test_bundle_waits_for_a_pending_text_layer(void **state)
{
	struct fixture *fx = *state;
	char err[256], path[200], *text;
	json_t *req, *res;

	make_result(fx, "u-ocr", true);
	snprintf(path, sizeof path, "%s/u-ocr/result.json", fx->results);
	res = jsonio_load_file(path, 1 << 16, err, sizeof err);
	assert_non_null(res);
	json_object_set_new(res, "ocr", json_string("pending"));
	text = jsonio_dump(res);
	put_file(path, text);
	free(text);
	req = request("app-ocr", "u-ocr");
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_EPENDING);
	assert_non_null(strstr(err, "u-ocr"));
	assert_int_equal(spool_count_new(&fx->outbox), 0);

	json_object_set_new(res, "ocr", json_string("failed"));
	text = jsonio_dump(res);
	put_file(path, text);
	free(text);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	assert_int_equal(spool_count_new(&fx->outbox), 1);
	json_decref(req);
	json_decref(res);
}

static void
test_malformed_requests_refused(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	json_t *bad[] = {
		json_pack("{s:s,s:s,s:{},s:[]}", "id", "../x", "tenant", "demo", "application", "files"),
		json_pack("{s:s,s:s,s:{},s:[]}", "id", "a", "tenant", "Demo", "application", "files"),
		json_pack("{s:s,s:s,s:[],s:[]}", "id", "a", "tenant", "demo", "application", "files"),
		json_pack("{s:s,s:s,s:{}}", "id", "a", "tenant", "demo", "application"),
		json_pack("{s:s,s:s,s:{},s:[{s:s}]}", "id", "a", "tenant", "demo", "application",
			  "files", "upload", "../../etc/passwd"),
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(assemble_bundle(bad[i], fx->results, &fx->outbox, priv,
						 &office_keys, err, sizeof err), ASSEMBLE_EINVALID);
		json_decref(bad[i]);
	}
}

/* The sanitizer signs only form data that passes the validator against the definition
 * the office signed for this tenant, and only the files the answers reference. */
static void
test_form_data_is_validated_before_signing(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	json_t *req;
	struct { const char *what; json_t *req; } bad[8];
	size_t n = 0;

	make_result(fx, "u-1", true);
	make_result(fx, "u-2", true);
	bad[n].what = "signed by another key";
	bad[n++].req = request_signed_by("app-a", "u-1", other_priv, "demo");
	bad[n].what = "signed for another tenant";
	bad[n++].req = request_signed_by("app-b", "u-1", office_priv, "other");
	bad[n].what = "an answer the schema does not have";
	req = request("app-c", "u-1");
	json_object_set_new(answers_of(req), "extra", json_string("x"));
	bad[n++].req = req;
	bad[n].what = "a required answer missing";
	req = request("app-d", "u-1");
	json_object_del(answers_of(req), "name");
	bad[n++].req = req;
	bad[n].what = "answers not normalised (half-width kana)";
	req = request("app-e", "u-1");
	json_object_set_new(answers_of(req), "kana", json_string("ﾔﾏﾀﾞ"));
	bad[n++].req = req;
	bad[n].what = "a file no answer references";
	req = request("app-f", "u-1");
	json_array_append_new(json_object_get(req, "files"),
			      json_pack("{s:s,s:s}", "upload", "u-2", "field", "attachment"));
	bad[n++].req = req;
	bad[n].what = "another version than the application names";
	req = request("app-g", "u-1");
	json_object_set_new(json_object_get(json_object_get(req, "application"), "procedure"),
			    "version", json_integer(2));
	bad[n++].req = req;
	bad[n].what = "no definition";
	req = request("app-h", "u-1");
	json_object_del(req, "procedure");
	bad[n++].req = req;

	for (size_t i = 0; i < n; i++) {
		int rc = assemble_bundle(bad[i].req, fx->results, &fx->outbox, priv, &office_keys,
					 err, sizeof err);

		if (rc != ASSEMBLE_EINVALID)
			fail_msg("%s: assembled (%d)", bad[i].what, rc);
		json_decref(bad[i].req);
	}
	assert_int_equal(spool_count_new(&fx->outbox), 0);
	/* The same, well formed, is signed. */
	req = request("app-ok", "u-1");
	json_object_set_new(answers_of(req), "kana", json_string("ヤマダ"));
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	json_decref(req);
}

/* A proxy application (代理申請): signed with attachment u-1 and 委任状 u-2. allowed and
 * attorney set the definition's proxy policy; proxy (stolen) is the representative. */
static json_t *
proxy_request(const char *id, bool allowed, json_t *proxy, bool attorney_file)
{
	json_t *def = definition(), *req;
	char sig[PROCSIG_HEX_LEN + 1];

	if (allowed)
		json_object_set_new(def, "proxy", json_pack("{s:b,s:b}", "allowed", 1,
							    "attorney_required", 1));
	assert_int_equal(procsig_sign(office_priv, "demo", def, sig), 0);
	req = json_pack("{s:s,s:s,s:{s:o,s:s},"
			"s:{s:s,s:s,s:s,s:{s:s,s:i,s:s},s:s,s:{s:s,s:[s]}},"
			"s:[{s:s,s:s,s:s}]}",
			"id", id, "tenant", "demo",
			"procedure", "definition", def, "signature", sig,
			"application", "format", "sekisho-application/1", "receipt_no",
			"20261122-000009", "tenant", "demo", "procedure", "id", "demo-inquiry",
			"version", 3, "title", "お問い合わせ", "submitted_at",
			"2026-11-22T10:00:00+09:00", "answers", "name", "山田 太郎",
			"attachment", "u-1",
			"files", "upload", "u-1", "field", "attachment", "display_name", "a.pdf");
	if (proxy != NULL)
		json_object_set_new(json_object_get(req, "application"), "proxy", proxy);
	if (attorney_file)
		json_array_append_new(json_object_get(req, "files"),
				      json_pack("{s:s,s:s,s:s}", "upload", "u-2", "field",
						"proxy.attorney", "display_name", "委任状.pdf"));
	return req;
}

/* The representative in its normal form, as portald stores it. */
static json_t *
representative(bool with_attorney)
{
	json_t *in = json_pack("{s:s,s:s,s:s,s:s}", "name", "山田 花子", "kana", "ﾔﾏﾀﾞ ﾊﾅｺ",
			       "relationship", "母", "tel", "03-1234-5678"), *norm, *errs;
	json_t *policy = json_pack("{s:b}", "allowed", 1);
	char err[256] = "";
	int rc;

	if (with_attorney)
		json_object_set_new(in, "attorney", json_pack("[s]", "u-2"));
	rc = proxyrep_check(policy, in, &norm, &errs, err, sizeof err);
	if (rc != 0)
		fail_msg("proxyrep_check: %d %s", rc, err);
	json_decref(policy);
	json_decref(in);
	return norm;
}

static void
test_proxy_application_is_checked_beside_the_answers(void **state)
{
	struct fixture *fx = *state;
	struct { const char *what; json_t *req; } bad[5];
	json_t *raw, *req;
	char err[256];
	size_t n = 0;

	make_result(fx, "u-1", true);
	make_result(fx, "u-2", true);
	bad[n].what = "a representative where the procedure allows none";
	bad[n++].req = proxy_request("px-a", false, representative(true), true);
	bad[n].what = "no 委任状 where one is required";
	bad[n++].req = proxy_request("px-b", true, representative(false), false);
	bad[n].what = "a 委任状 that is not among the files";
	bad[n++].req = proxy_request("px-c", true, representative(true), false);
	bad[n].what = "a representative not in normal form";
	raw = representative(true);
	json_object_set_new(raw, "kana", json_string("ﾔﾏﾀﾞ"));
	bad[n++].req = proxy_request("px-d", true, raw, true);
	bad[n].what = "a 委任状 file without a representative";
	bad[n++].req = proxy_request("px-e", true, NULL, true);
	for (size_t i = 0; i < n; i++) {
		int rc = assemble_bundle(bad[i].req, fx->results, &fx->outbox, priv, &office_keys,
					 err, sizeof err);

		if (rc != ASSEMBLE_EINVALID)
			fail_msg("%s: assembled (%d)", bad[i].what, rc);
		json_decref(bad[i].req);
	}
	assert_int_equal(spool_count_new(&fx->outbox), 0);
	req = proxy_request("px-ok", true, representative(true), true);
	assert_int_equal(assemble_bundle(req, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	json_decref(req);
}

static json_t *
reply_request(const char *id, const char *receipt, long long no, const char *upload)
{
	json_t *doc = reply_doc_new("demo", receipt, no, "番地を書き直した住民票を添付します。",
				    "2026-11-23T09:00:00+09:00");

	assert_non_null(doc);
	return json_pack("{s:s,s:s,s:s,s:o,s:[{s:s,s:s}]}", "kind", "reply", "id", id,
			 "tenant", "demo", "reply", doc, "files", "upload", upload,
			 "display_name", "住民票（再提出）.pdf");
}

static void
test_reply_is_signed_only_for_an_application_signed_here(void **state)
{
	struct fixture *fx = *state;
	char err[256], path[200];
	struct bundle_check chk = { .signer_pub = pub, .attest_pub = pub };
	struct bundle_info info;
	json_t *app = request("app-demo-20261122-000001", "u-1"), *r;
	long long no = 0;
	int fd;

	make_result(fx, "u-1", true);
	make_result(fx, "u-2", true);
	/* Before its application was assembled, no reply to it is signed. */
	r = reply_request("reply-demo-20261122-000001-1", "20261122-000001", 1, "u-2");
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_ENORECEIPT);
	assert_non_null(strstr(err, "20261122-000001"));
	assert_int_equal(spool_count_new(&fx->outbox), 0);
	assert_int_equal(assemble_bundle(app, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_OK);
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_EXISTS);
	snprintf(path, sizeof path, "%s/new/reply-demo-20261122-000001-1", fx->spool);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	bundle_limits_default(&chk.limits);
	/* The same gate as an application: signature, hashes, every attestation. */
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	close(fd);
	assert_string_equal(info.kind, "reply");
	assert_null(info.application);
	assert_int_equal(reply_doc_check(json_object_get(info.data, "data/reply.json"), "demo",
					 &no, err, sizeof err), 0);
	assert_int_equal(no, 1);
	json_t *f = json_array_get(json_object_get(info.manifest, "files"), 0);
	assert_string_equal(jsonio_str(f, "file", ""), "files/1.pdf");
	assert_string_equal(jsonio_str(f, "field", ""), "reply");
	assert_string_equal(jsonio_str(f, "display_name", ""), "住民票（再提出）.pdf");
	bundle_info_free(&info);
	json_decref(r);
	/* Another tenant's receipt of the same number was never signed here. */
	r = reply_request("reply-other-20261122-000001-1", "20261122-000001", 1, "u-2");
	json_object_set_new(r, "tenant", json_string("other"));
	json_object_set_new(json_object_get(r, "reply"), "tenant", json_string("other"));
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_ENORECEIPT);
	json_decref(r);
	json_decref(app);
}

static void
test_reply_with_unclean_file_or_foreign_id_is_refused(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	json_t *app = request("app-demo-20261122-000001", "u-1"), *r;

	make_result(fx, "u-1", true);
	make_result(fx, "u-bad", false);
	assert_int_equal(assemble_bundle(app, fx->results, &fx->outbox, priv, &office_keys, err,
					 sizeof err), ASSEMBLE_OK);
	r = reply_request("reply-demo-20261122-000001-1", "20261122-000001", 1, "u-bad");
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_ENOTCLEAN);
	json_decref(r);
	r = reply_request("reply-demo-20261122-000001-1", "20261122-000001", 1, "u-never");
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_ENOTCLEAN);
	json_decref(r);
	/* An id that is not the reply's own would let it stand in for another bundle. */
	r = reply_request("app-demo-20261122-000002", "20261122-000001", 1, "u-1");
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_EINVALID);
	json_decref(r);
	r = reply_request("reply-demo-20261122-000001-1", "20261122-000001", 1, "u-1");
	json_object_set_new(json_object_get(r, "reply"), "text", json_string(""));
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_EINVALID);
	json_decref(r);
	r = reply_request("reply-demo-20261122-000001-1", "20261122-000001", 1, "../u-1");
	assert_int_equal(assemble_reply(r, fx->results, &fx->outbox, priv, err, sizeof err),
			 ASSEMBLE_EINVALID);
	json_decref(r);
	/* Only the application is in the outbox. */
	assert_int_equal(spool_count_new(&fx->outbox), 1);
	json_decref(app);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_upload_becomes_a_verifiable_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleaned_csv_is_bundled_as_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_editable_xlsx_is_bundled_as_xlsx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_members_are_bundled_each_attested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_refused_whole_or_by_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_pending_or_unknown_upload_is_not_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_waits_for_a_pending_text_layer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_data_is_validated_before_signing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_application_is_checked_beside_the_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_is_signed_only_for_an_application_signed_here, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_with_unclean_file_or_foreign_id_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("assemble", tests, keys, NULL);
}
