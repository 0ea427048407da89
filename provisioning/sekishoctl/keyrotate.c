/*
 * keyrotate.c — keys rotate, keys import-rotation, keys list.
 *
 * Each file is changed in an order a crash cannot make unsafe: the rotation bundle
 * for the other host first (nothing changed yet if it fails), then for each verifier
 * file its ring (the old key retired) before the new current key, and the private
 * key last. A crash between a ring and its key leaves the old key current and also
 * listed as retired, which keyring_parse reads as "not rotated yet"; running the
 * rotation again then completes it with another new key.
 */
#define _GNU_SOURCE
#include "keyrotate.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsio.h"
#include "jsonio.h"
#include "keyring.h"
#include "timefmt.h"

#define ROTATION_FORMAT "sekisho-key-rotation/1"
#define DAY_S 86400

/* The keys a rotation knows, with where each copy lives. */
static const struct rotatable {
	const char *name;
	enum keyring_kind kind;
	const char *zone;	/* the zone that makes it: signs or sends */
	const char *priv;	/* its private key file (signing keys), else NULL */
	const char *own;	/* that zone's own copy: public key, or the sender's link key */
	const char *peer_zone;
	const char *peer;	/* the verifier's copy in the other zone */
	const char *restart_peer;	/* restarted on the peer once it has the new key */
	const char *restart_own;	/* then restarted here, to start using it */
} rotatables[] = {
	{ "sanitizer-signing", KEYRING_ED25519, "dmz", "dmz/keys/sanitizer-signing.key",
	  "dmz/keys/sanitizer-signing.pub", "lgwan", "lgwan/keys/sanitizer-signing.pub",
	  "sekisho-bridge-uplink-rx sekisho-officed", "sekisho-sanitized" },
	{ "office-signing", KEYRING_ED25519, "lgwan", "lgwan/keys/office-signing.key",
	  "lgwan/keys/office-signing.pub", "dmz", "dmz/keys/office-signing.pub",
	  "sekisho-bridge-downlink-rx sekisho-portald sekisho-sanitized", "sekisho-officed" },
	{ "dmz-receipt", KEYRING_ED25519, "dmz", "dmz/keys/dmz-receipt.key",
	  "dmz/keys/dmz-receipt.pub", "lgwan", "lgwan/keys/dmz-receipt.pub",
	  "sekisho-bridge-uplink-rx", "sekisho-bridge-downlink-rx" },
	{ "uplink-link", KEYRING_LINK, "dmz", NULL, "dmz/keys/uplink.key", "lgwan",
	  "lgwan/keys/uplink.key", "sekisho-bridge-uplink-rx", "sekisho-bridge-uplink-tx" },
	{ "downlink-link", KEYRING_LINK, "lgwan", NULL, "lgwan/keys/downlink.key", "dmz",
	  "dmz/keys/downlink.key", "sekisho-bridge-downlink-rx", "sekisho-bridge-downlink-tx" },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct rotatable *
find_key(const char *name)
{
	for (const struct rotatable *r = rotatables; r->name; r++)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

static bool
zone_here(const struct instance *in, const char *zone)
{
	char rel[32], path[PATH_MAX];

	snprintf(rel, sizeof rel, "%s/keys", zone);
	return instance_path(in, rel, path, sizeof path) == 0 && access(path, F_OK) == 0;
}

/* Write key as the current key file at path, with the holder and mode of like. */
static int
write_current(const char *path, enum keyring_kind kind, const uint8_t key[32],
	      const struct stat *like, char *err, size_t errlen)
{
	int rc = kind == KEYRING_LINK ? crypto_secret_save(path, key, 32)
				      : crypto_key_save_public(path, CRYPTO_KEY_ED25519, key);

	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, crypto_strerror(rc));
		return -1;
	}
	if (chown(path, like->st_uid, like->st_gid) != 0 ||
	    chmod(path, like->st_mode & 07777) != 0) {
		snprintf(err, errlen, "%s: cannot give it its holder: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* In the verifier file rel: retire its key until not_after and make newkey current. */
static int
retire_in(const struct instance *in, const char *rel, enum keyring_kind kind,
	  const uint8_t newkey[32], time_t now, time_t not_after, char *err, size_t errlen)
{
	char path[PATH_MAX], ring[PATH_MAX], dir[PATH_MAX], lerr[512];
	struct keyring r;
	struct stat like;
	char *text = NULL;
	int rc = -1;

	instance_path(in, rel, path, sizeof path);
	if (stat(path, &like) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (keyring_load(&r, kind, path, NULL, lerr, sizeof lerr) != 0) {
		snprintf(err, errlen, "%s", lerr);
		return -1;
	}
	switch (keyring_rotate(&r, newkey, now, not_after)) {
	case KEYRING_OK:
		break;
	case KEYRING_ELIMIT:
		snprintf(err, errlen, "%s: the ring already holds %zu keys, its limit; retired "
			 "signing keys are never deleted (docs/key-rotation.md)", rel, r.n);
		goto out;
	default:
		snprintf(err, errlen, "%s: the new key is already in its ring", rel);
		goto out;
	}
	keyring_path(path, ring, sizeof ring);
	snprintf(dir, sizeof dir, "%s", ring);
	/* Traversable by the services, listable by nobody (like keys/ itself). */
	if (mkdir(dirname(dir), 0711) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((text = keyring_dump(&r)) == NULL ||
	    fsio_write_atomic(ring, text, strlen(text), kind == KEYRING_LINK ? 0600 : 0644) != 0 ||
	    chown(ring, like.st_uid, like.st_gid) != 0) {
		snprintf(err, errlen, "%s: cannot write the key ring: %s", ring, strerror(errno));
		goto out;
	}
	rc = write_current(path, kind, newkey, &like, err, errlen);
out:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	keyring_clear(&r);
	return rc;
}

static json_t *
rotation_doc(const struct rotatable *k, const uint8_t newkey[32], const char *new_id,
	     const char *old_id, time_t now, time_t not_after)
{
	char hex[65], ra[TIMEFMT_LEN], na[TIMEFMT_LEN];
	json_t *doc;

	crypto_hex(newkey, 32, hex);
	timefmt_utc(now, ra);
	timefmt_utc(not_after, na);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "format", ROTATION_FORMAT,
			"key", k->name, "file", k->peer, "new", hex, "new_id", new_id,
			"replaces", old_id, "retired_at", ra, "not_after", na);
	explicit_bzero(hex, sizeof hex);
	return doc;
}

/* The id of the key now current in rel (to name what a rotation replaces). */
static int
current_id(const struct instance *in, const struct rotatable *k, const char *rel,
	   char id[KEYRING_ID_LEN], char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct keyring r;

	instance_path(in, rel, path, sizeof path);
	if (keyring_load(&r, k->kind, path, NULL, err, errlen) != 0)
		return -1;
	memcpy(id, r.k[0].id, KEYRING_ID_LEN);
	keyring_clear(&r);
	return 0;
}

int
keyrotate_rotate(const struct instance *in, const char *key, unsigned overlap_days,
		 const char *out, time_t now, char new_id[17], char *written,
		 size_t writtenlen, char fpr[KEYBUNDLE_FPR_LEN], char *err, size_t errlen)
{
	const struct rotatable *k = find_key(key);
	time_t not_after = now + (time_t)overlap_days * DAY_S;
	uint8_t pub[32], priv[32];
	char old_id[KEYRING_ID_LEN], path[PATH_MAX];
	struct stat like;
	bool peer_here;
	int rc = -1;

	*written = '\0';
	if (k == NULL) {
		snprintf(err, errlen, "'%s': a rotatable key is sanitizer-signing, office-signing, "
			 "dmz-receipt, uplink-link or downlink-link", key);
		return -1;
	}
	if (overlap_days > KEYROTATE_MAX_OVERLAP_DAYS) {
		snprintf(err, errlen, "overlap of %u days is over %d", overlap_days,
			 KEYROTATE_MAX_OVERLAP_DAYS);
		return -1;
	}
	if (!zone_here(in, k->zone)) {
		snprintf(err, errlen, "%s is made in the %s zone, which this host does not have: "
			 "rotate it on the %s host", k->name, k->zone,
			 strcmp(k->zone, "dmz") == 0 ? "DMZ" : "LGWAN");
		return -1;
	}
	peer_here = zone_here(in, k->peer_zone);
	if (current_id(in, k, k->own, old_id, err, errlen) != 0)
		return -1;
	rc = k->kind == KEYRING_LINK ? crypto_random(pub, sizeof pub)
				     : crypto_ed25519_keygen(pub, priv);
	if (rc != 0) {
		snprintf(err, errlen, "%s: key generation failed", k->name);
		return -1;
	}
	rc = -1;
	keyring_key_id(k->kind, pub, new_id);
	if (!peer_here) {
		json_t *doc = rotation_doc(k, pub, new_id, old_id, now, not_after);
		char *text = doc ? jsonio_dump_canonical(doc, &(size_t){ 0 }) : NULL;

		if (out == NULL) {
			snprintf(written, writtenlen, "%s-%s.rotation", k->name, new_id);
		} else {
			snprintf(written, writtenlen, "%s", out);
		}
		rc = text ? keybundle_write_rotation(written, k->peer_zone, text, strlen(text), fpr,
						     err, errlen) : -1;
		if (text == NULL)
			snprintf(err, errlen, "out of memory");
		if (text) {
			explicit_bzero(text, strlen(text));
			free(text);
		}
		json_decref(doc);
		if (rc != 0) {
			*written = '\0';
			goto out;
		}
		rc = -1;
	}
	if (peer_here && retire_in(in, k->peer, k->kind, pub, now, not_after, err, errlen) != 0)
		goto fail;
	if (k->kind == KEYRING_ED25519) {
		/* The holder's own public copy keeps a ring too, for keys list. */
		if (retire_in(in, k->own, k->kind, pub, now, not_after, err, errlen) != 0)
			goto fail;
		instance_path(in, k->priv, path, sizeof path);
		if (stat(path, &like) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if ((rc = crypto_key_save_private(path, CRYPTO_KEY_ED25519, priv)) != 0 ||
		    chown(path, like.st_uid, like.st_gid) != 0 || chmod(path, 0600) != 0) {
			snprintf(err, errlen, "%s: %s", path, rc ? crypto_strerror(rc) : strerror(errno));
			rc = -1;
			goto fail;
		}
	} else {
		/* The sender needs the new key only: no ring of secrets it cannot use. */
		instance_path(in, k->own, path, sizeof path);
		if (stat(path, &like) != 0 ||
		    write_current(path, k->kind, pub, &like, err, errlen) != 0)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	if (*written)
		unlink(written);
	*written = '\0';
out:
	explicit_bzero(priv, sizeof priv);
	explicit_bzero(pub, sizeof pub);
	return rc;
}

int
keyrotate_import(const struct instance *in, const char *path, const char *expect,
		 char key[32], char new_id[17], char fpr[KEYBUNDLE_FPR_LEN], char *err,
		 size_t errlen)
{
	const struct rotatable *k;
	char zone[8], jerr[160], cur[KEYRING_ID_LEN], id[KEYRING_ID_LEN];
	const char *hex, *replaces, *nid, *file;
	time_t retired_at, not_after;
	uint8_t newkey[32];
	char *text = NULL;
	json_t *doc = NULL;
	size_t len = 0;
	int rc = -1;

	if (keybundle_read_rotation(path, expect, zone, &text, &len, fpr, err, errlen) != 0)
		return -1;
	if ((doc = jsonio_parse(text, len, KEYBUNDLE_MAX_FILE, 2, jerr, sizeof jerr)) == NULL) {
		snprintf(err, errlen, "rotation.json: %s", jerr);
		goto out;
	}
	k = find_key(jsonio_str(doc, "key", ""));
	hex = jsonio_str(doc, "new", NULL);
	nid = jsonio_str(doc, "new_id", NULL);
	replaces = jsonio_str(doc, "replaces", NULL);
	file = jsonio_str(doc, "file", NULL);
	if (strcmp(jsonio_str(doc, "format", ""), ROTATION_FORMAT) != 0 || k == NULL ||
	    strcmp(k->peer_zone, zone) != 0 || file == NULL || strcmp(file, k->peer) != 0 ||
	    hex == NULL || strlen(hex) != 64 || crypto_unhex(hex, newkey, 32) != 0 ||
	    nid == NULL || replaces == NULL ||
	    timefmt_parse_rfc3339(jsonio_str(doc, "retired_at", ""), &retired_at) != 0 ||
	    timefmt_parse_rfc3339(jsonio_str(doc, "not_after", ""), &not_after) != 0 ||
	    not_after < retired_at) {
		snprintf(err, errlen, "rotation.json: not a key rotation of format %s",
			 ROTATION_FORMAT);
		goto out;
	}
	keyring_key_id(k->kind, newkey, id);
	if (strcmp(id, nid) != 0) {
		snprintf(err, errlen, "rotation.json: new_id %.16s is not the new key's id %s",
			 nid, id);
		goto out;
	}
	snprintf(key, 32, "%s", k->name);
	snprintf(new_id, KEYRING_ID_LEN, "%s", id);
	if (!zone_here(in, zone)) {
		snprintf(err, errlen, "this rotation is for the %s zone, which this host does "
			 "not have", zone);
		goto out;
	}
	if (current_id(in, k, k->peer, cur, err, errlen) != 0)
		goto out;
	if (strcmp(cur, id) == 0) {
		rc = 1;		/* imported before */
		goto out;
	}
	if (strcmp(cur, replaces) != 0) {
		snprintf(err, errlen, "%s: this host's current key is %s, but the rotation "
			 "replaces %.16s: import the rotations in the order they were made",
			 k->peer, cur, replaces);
		goto out;
	}
	rc = retire_in(in, k->peer, k->kind, newkey, retired_at, not_after, err, errlen);
out:
	explicit_bzero(newkey, sizeof newkey);
	json_decref(doc);
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	return rc;
}

static void
list_file(const struct instance *in, FILE *out, const struct rotatable *k, const char *rel,
	  time_t now)
{
	char path[PATH_MAX], err[512], when[TIMEFMT_LEN], until[TIMEFMT_LEN];
	struct keyring r;
	struct stat st;

	instance_path(in, rel, path, sizeof path);
	if (stat(path, &st) != 0)
		return;
	if (keyring_load(&r, k->kind, path, NULL, err, sizeof err) != 0) {
		fprintf(out, "%-18s %-34s %-11s 読み込めません: %s\n", k->name, rel,
			k->kind == KEYRING_LINK ? "aes-256-gcm" : "ed25519", err);
		return;
	}
	/* Japanese words last on each line: printf pads by bytes, not by columns. */
	timefmt_utc(st.st_mtime, when);
	fprintf(out, "%-18s %-34s %-11s %s  作成 %s  現行\n", k->name, rel,
		k->kind == KEYRING_LINK ? "aes-256-gcm" : "ed25519", r.k[0].id, when);
	for (size_t i = 1; i < r.n; i++) {
		timefmt_utc(r.k[i].retired_at, when);
		timefmt_utc(r.k[i].not_after, until);
		fprintf(out, "%-18s %-34s %-11s %s  退役 %s  受付期限 %s  %s\n", "", "", "",
			r.k[i].id, when, until,
			keyring_usable(&r.k[i], now) ? "重複期間中" : "期限切れ（受け付けません）");
	}
	keyring_clear(&r);
}

int
keyrotate_list(const struct instance *in, FILE *out, time_t now)
{
	fprintf(out, "# 鍵 / ファイル / 種類 / 鍵 ID / 日時 (UTC) / 状態\n");
	for (const struct rotatable *k = rotatables; k->name; k++) {
		list_file(in, out, k, k->own, now);
		list_file(in, out, k, k->peer, now);
	}
	return 0;
}

static int
cmd_rotate(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "overlap", required_argument, NULL, 'o' },
					      { "out", required_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	const struct rotatable *k;
	unsigned overlap = KEYROTATE_DEFAULT_OVERLAP_DAYS;
	const char *out = NULL;
	char err[1024], id[KEYRING_ID_LEN], written[PATH_MAX], fpr[KEYBUNDLE_FPR_LEN];
	char until[TIMEFMT_LEN];
	time_t now = time(NULL);
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long v;

		if (c == 'o') {
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v > KEYROTATE_MAX_OVERLAP_DAYS) {
				fprintf(stderr, "--overlap は 0 から %d までの日数で指定してください。\n",
					KEYROTATE_MAX_OVERLAP_DAYS);
				return 2;
			}
			overlap = (unsigned)v;
		} else if (c == 'f') {
			out = optarg;
		} else {
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: sekishoctl keys rotate sanitizer-signing|office-signing|"
			"dmz-receipt|uplink-link|downlink-link [--overlap DAYS] [--out FILE]\n");
		return 2;
	}
	if (keyrotate_rotate(in, argv[optind], overlap, out, now, id, written, sizeof written,
			     fpr, err, sizeof err) != 0) {
		fprintf(stderr, "sekishoctl keys rotate: %s\n", err);
		return 1;
	}
	k = find_key(argv[optind]);
	timefmt_utc(now + (time_t)overlap * DAY_S, until);
	printf("鍵 %s を更新しました。新しい鍵 ID: %s\n"
	       "古い鍵で署名・暗号化されたものは %s まで受け付けます。\n", k->name, id, until);
	if (*written) {
		printf("\n相手側ホスト（%s）に運ぶ更新ファイル: %s\n指紋 (SHA-256): %s\n"
		       "相手側で次を実行し、指紋が一致することを確認してください:\n"
		       "  sekishoctl keys import-rotation --expect %s %s\n"
		       "その後、相手側で %s を再起動してください。\n",
		       strcmp(k->peer_zone, "dmz") == 0 ? "DMZ" : "LGWAN", written, fpr, fpr,
		       written, k->restart_peer);
	} else {
		printf("\n両ゾーンがこのホストにあるため、相手側の鍵も更新しました。\n"
		       "%s を再起動してください。\n", k->restart_peer);
	}
	printf("相手側が新しい鍵を受け付けるようになってから、このホストの %s を再起動すると"
	       "新しい鍵が使われます。\n", k->restart_own);
	return 0;
}

static int
cmd_import(const struct instance *in, int argc, char **argv)
{
	static const struct option opts[] = { { "expect", required_argument, NULL, 'e' },
					      { NULL, 0, NULL, 0 } };
	const char *expect = NULL;
	char err[1024], key[32] = "", id[KEYRING_ID_LEN] = "", fpr[KEYBUNDLE_FPR_LEN];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'e')
			return 2;
		expect = optarg;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: sekishoctl keys import-rotation [--expect FINGERPRINT] FILE\n");
		return 2;
	}
	rc = keyrotate_import(in, argv[optind], expect, key, id, fpr, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "sekishoctl keys import-rotation: %s\n", err);
		return 1;
	}
	printf("%s鍵 %s の更新を取り込みました。新しい鍵 ID: %s\n指紋 (SHA-256): %s\n",
	       rc == 1 ? "（取り込み済みでした）" : "", key, id, fpr);
	if (expect == NULL)
		printf("書き出し側で表示された指紋と一致することを確認してください。\n");
	printf("%s を再起動すると、新旧両方の鍵を受け付けます。\n", find_key(key)->restart_peer);
	return 0;
}

int
keyrotate_main(const struct instance *in, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "rotate") == 0)
		return cmd_rotate(in, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import-rotation") == 0)
		return cmd_import(in, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return keyrotate_list(in, stdout, time(NULL));
	return 2;
}
