/*
 * sanitize.c — one file through the sanitizer pipeline from the command line.
 *
 * The invariant: OUT appears only when the verdict is clean, complete and with its
 * attestation beside it. The output is written to a temporary file in OUT's
 * directory, fsync'd, its attestation (OUT.attestation.json) written atomically
 * first, and only then renamed to OUT; a rejected or failed file leaves no OUT.
 *
 * With --allow-archives a zip is taken apart and each member sanitized (all or
 * nothing, as in the service): OUT is then a directory, made as OUT.tmp.XXXXXX and
 * renamed to OUT only once it holds every member's output N.EXT (N from 1, in zip
 * order; never the member's own name, which is only printed) and N.EXT.attestation.json.
 * --keep-ooxml keeps docx, xlsx and pptx editable (ooxml.h) instead of making them PDF.
 *
 * Defaults: the signature database is the instance's (clamav_db in
 * etc/sanitized.conf) when configured, else tests/clamav of the source tree that
 * holds this sekishoctl, else /var/lib/clamav; the key is the instance's
 * dmz/keys/sanitizer-signing.key, so reading it needs the sanitizer's rights.
 */
#define _GNU_SOURCE		/* mkostemp */
#include "sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "fsio.h"
#include "pipeline.h"

#define SANITIZE_EXIT_CLEAN	0
#define SANITIZE_EXIT_ERROR	1
#define SANITIZE_EXIT_USAGE	2
#define SANITIZE_EXIT_REJECTED	3

static void
usage(void)
{
	fprintf(stderr, "usage: sekishoctl sanitize [--ocr] [--dpi N] [--db DIR] [--key PRIVKEY] "
		"[--policy NAME] [--allow-archives] [--keep-ooxml] IN OUT\n");
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* clamav_db = DIR from etc/sanitized.conf, if the instance names one. */
static int
configured_db(const struct instance *in, char *out, size_t outlen)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	FILE *f;
	int found = 0;

	if (instance_path(in, "etc/sanitized.conf", path, sizeof path) != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		char *v;

		if (strncmp(line, "clamav_db", 9) != 0 || (v = strchr(line, '=')) == NULL)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\r\n")] = '\0';
		if (*v != '\0') {
			snprintf(out, outlen, "%s", v);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static void
default_db(const struct instance *in, char *out, size_t outlen)
{
	if (configured_db(in, out, outlen))
		return;
	snprintf(out, outlen, "%s/tests/clamav", in->share);
	if (!is_dir(out))
		snprintf(out, outlen, "/var/lib/clamav");
}

/* An archive's members: each one's verdict, and for a clean one the file it became
 * in OUT/. */
static json_t *
members_json(const struct pipeline_result *r)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a != NULL && i < r->nmembers; i++) {
		const struct pipeline_result *m = &r->members[i].res;
		char hex[65], file[32];

		crypto_hex(m->output_sha256, 32, hex);
		snprintf(file, sizeof file, "%u.%s", i + 1, m->output_type);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:i}",
			"name", r->members[i].name, "verdict", m->clean ? "clean" : "rejected",
			"reason", m->reason, "message", m->message, "type", m->type,
			"method", m->method, "output_sha256", m->clean ? json_string(hex) : json_null(),
			"file", m->clean ? json_string(file) : json_null(), "pages", (int)m->pages));
	}
	return a;
}

static void
print_result(const struct pipeline_result *r)
{
	char in_hex[65], out_hex[65], *s;
	json_t *o;

	crypto_hex(r->input_sha256, 32, in_hex);
	crypto_hex(r->output_sha256, 32, out_hex);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:f}",
		      "verdict", r->clean ? "clean" : "rejected",
		      "reason", r->reason, "message", r->message,
		      "type", r->type, "method", r->method,
		      "input_sha256", in_hex,
		      "output_sha256", r->clean && r->nmembers == 0 ? json_string(out_hex)
		      : json_null(),
		      "pages", (json_int_t)r->pages, "seconds", r->seconds);
	if (o != NULL && r->nmembers > 0)
		json_object_set_new(o, "members", members_json(r));
	else if (o != NULL && r->clean) {
		json_object_set_new(o, "output_type", json_string(r->output_type));
		json_object_set_new(o, "output_size", json_integer((json_int_t)r->output_size));
		json_object_set_new(o, "ocr_pages", json_integer((json_int_t)r->ocr_pages));
	}
	if (o != NULL && (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
		printf("%s\n", s);
		free(s);
	}
	json_decref(o);
}

/* Attestation first, then OUT: an attestation without its file is harmless, a
 * file without its attestation would never be passed on. */
static int
publish(const char *tmp, int tmp_fd, const char *out, const json_t *att, char *err,
    size_t errlen)
{
	char att_path[PATH_MAX];
	char *s;
	int rc;

	if ((size_t)snprintf(att_path, sizeof att_path, "%s.attestation.json", out) >=
	    sizeof att_path) {
		snprintf(err, errlen, "%s: name too long", out);
		return -1;
	}
	if (fsync(tmp_fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((s = json_dumps(att, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		snprintf(err, errlen, "attestation: out of memory");
		return -1;
	}
	rc = fsio_write_atomic(att_path, s, strlen(s), 0644);
	free(s);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", att_path, strerror(errno));
		return -1;
	}
	if (rename(tmp, out) != 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		return -1;
	}
	(void)fsio_fsync_parent(out);
	return 0;
}

static int
write_json(const char *path, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = s ? fsio_write_atomic(path, s, strlen(s), 0644) : -1;

	free(s);
	return rc;
}

/* A clean archive's members into a new directory OUT: filled and fsync'd under a
 * temporary name, then renamed, so OUT is complete or absent. */
static int
publish_members(const char *out, const struct pipeline_result *r, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	uint32_t i;

	if ((size_t)snprintf(dir, sizeof dir, "%s.tmp.XXXXXX", out) >= sizeof dir ||
	    mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		return -1;
	}
	(void)chmod(dir, 0755);
	for (i = 0; i < r->nmembers; i++) {
		const struct pipeline_member *m = &r->members[i];

		snprintf(path, sizeof path, "%s/%u.%s.attestation.json", dir, i + 1,
			 m->res.output_type);
		if (write_json(path, m->res.attestation) != 0)
			goto fail;
		snprintf(path, sizeof path, "%s/%u.%s", dir, i + 1, m->res.output_type);
		if (fsio_write_atomic(path, m->output.p, m->output.len, 0644) != 0)
			goto fail;
	}
	if (fsio_fsync_dir(dir) != 0 || rename(dir, out) != 0)
		goto fail;
	(void)fsio_fsync_parent(out);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", out, strerror(errno));
	for (i = 0; i < r->nmembers; i++) {
		snprintf(path, sizeof path, "%s/%u.%s.attestation.json", dir, i + 1,
			 r->members[i].res.output_type);
		(void)unlink(path);
		snprintf(path, sizeof path, "%s/%u.%s", dir, i + 1, r->members[i].res.output_type);
		(void)unlink(path);
	}
	(void)rmdir(dir);
	return -1;
}

int
sanitize_main(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dpi", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'k' },
		{ "policy", required_argument, NULL, 'p' },
		{ "ocr", no_argument, NULL, 'o' },
		{ "allow-archives", no_argument, NULL, 'a' },
		{ "keep-ooxml", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct pipeline_config cfg;
	struct pipeline_result res;
	struct scan_limits slim;
	struct scanner *scanner = NULL;
	struct ocr_models *models = NULL;
	char db[PATH_MAX] = "", key[PATH_MAX] = "", tmp[PATH_MAX], err[512];
	uint8_t priv[32];
	const char *inpath, *outpath;
	int c, rc, in_fd = -1, tmp_fd = -1, status = SANITIZE_EXIT_ERROR;
	char *end;
	long dpi;

	pipeline_config_default(&cfg);
	cfg.kept_preview = 0;	/* no preview is written: no LibreOffice run for one */
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			dpi = strtol(optarg, &end, 10);
			if (errno || *end || dpi < RENDER_MIN_DPI || dpi > RENDER_MAX_DPI) {
				fprintf(stderr, "sekishoctl sanitize: --dpi は %d〜%d で指定してください\n",
					RENDER_MIN_DPI, RENDER_MAX_DPI);
				return SANITIZE_EXIT_USAGE;
			}
			cfg.dpi = (unsigned)dpi;
			break;
		case 'b': snprintf(db, sizeof db, "%s", optarg); break;
		case 'k': snprintf(key, sizeof key, "%s", optarg); break;
		case 'p': cfg.policy = optarg; break;
		case 'o': cfg.ocr = OCR_DEFAULT_LANGS; break;
		case 'a': cfg.allow_archives = 1; break;
		case 'x': cfg.keep_ooxml = 1; break;
		default:
			usage();
			return SANITIZE_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage();
		return SANITIZE_EXIT_USAGE;
	}
	inpath = argv[optind];
	outpath = argv[optind + 1];
	if (db[0] == '\0')
		default_db(in, db, sizeof db);
	if (key[0] == '\0')
		instance_path(in, "dmz/keys/sanitizer-signing.key", key, sizeof key);

	/* The scanner process first, as the service starts it: before the key is read. */
	scan_limits_default(&slim);
	if ((rc = scan_spawn(&scanner, db, &slim, err, sizeof err)) != 0) {
		fprintf(stderr, "sekishoctl sanitize: ウイルス定義を読み込めません: %s: %s\n", db, err);
		return SANITIZE_EXIT_ERROR;
	}
	if ((rc = crypto_key_load_private(key, CRYPTO_KEY_ED25519, priv)) != CRYPTO_OK) {
		fprintf(stderr, "sekishoctl sanitize: 署名鍵を読み込めません: %s: %s\n", key,
			crypto_strerror(rc));
		goto out;
	}
	cfg.sign_key = priv;
	cfg.scanner = scanner;
	/* Loaded once here rather than by each OCR child (ocr.h); a model that does not
	 * load is each child's failure to report, as without this. */
	if (cfg.ocr != NULL && ocr_models_load(cfg.ocr_tessdata, cfg.ocr, &models) == 0)
		cfg.ocr_models = models;
	if ((in_fd = open(inpath, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		fprintf(stderr, "sekishoctl sanitize: %s: %s\n", inpath, strerror(errno));
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", outpath) >= sizeof tmp ||
	    (tmp_fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		fprintf(stderr, "sekishoctl sanitize: %s: %s\n", outpath, strerror(errno));
		goto out;
	}
	(void)fchmod(tmp_fd, 0644);
	if ((rc = pipeline_run(&cfg, in_fd, tmp_fd, &res)) != 0) {
		fprintf(stderr, "sekishoctl sanitize: %s: 内部エラー: %s\n", inpath, strerror(-rc));
		unlink(tmp);
		goto out;
	}
	if (res.detail[0] != '\0')
		fprintf(stderr, "sekishoctl sanitize: %s: %s\n", inpath, res.detail);
	if (!res.clean) {
		unlink(tmp);
		print_result(&res);
		status = SANITIZE_EXIT_REJECTED;
	} else if (res.nmembers > 0) {
		unlink(tmp);	/* an archive has no output of its own */
		if (publish_members(outpath, &res, err, sizeof err) != 0) {
			fprintf(stderr, "sekishoctl sanitize: %s\n", err);
		} else {
			print_result(&res);
			status = SANITIZE_EXIT_CLEAN;
		}
	} else if (publish(tmp, tmp_fd, outpath, res.attestation, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl sanitize: %s\n", err);
		unlink(tmp);
	} else {
		print_result(&res);
		status = SANITIZE_EXIT_CLEAN;
	}
	pipeline_result_free(&res);
out:
	explicit_bzero(priv, sizeof priv);
	if (tmp_fd >= 0)
		close(tmp_fd);
	if (in_fd >= 0)
		close(in_fd);
	if (scanner != NULL)
		scan_close(scanner);
	ocr_models_free(models);
	return status;
}
