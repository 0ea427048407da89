/*
 * test_keyring.c — after a rotation, what was signed with the old key still verifies
 * during the overlap, is refused (naming the key) after it, and still verifies for
 * the auditor forever; a ring file is bounded and trusted only when no other user
 * could have written (or, for link keys, read) it.
 */
#define _GNU_SOURCE
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

#include "attest.h"
#include "bundle.h"
#include "crypto.h"
#include "keyring.h"
#include "testutil.h"

#define DAY 86400
#define T0 ((time_t)1795000000)	/* 2026-11-18, a fixed "now" */

struct fixture {
	char dir[64];
	char pub[128];		/* DIR/keys/signing.pub */
	char ring[128];		/* DIR/keys/retired/signing.json */
	char link[128];		/* DIR/keys/uplink.key */
	char linkring[128];	/* DIR/keys/retired/uplink.json */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char keys[96], retired[112];

	snprintf(f->dir, sizeof f->dir, "/tmp/test_keyring.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(keys, sizeof keys, "%s/keys", f->dir);
	snprintf(retired, sizeof retired, "%s/keys/retired", f->dir);
	if (mkdir(keys, 0755) != 0 || mkdir(retired, 0755) != 0)
		return -1;
	snprintf(f->pub, sizeof f->pub, "%s/signing.pub", keys);
	snprintf(f->ring, sizeof f->ring, "%s/signing.json", retired);
	snprintf(f->link, sizeof f->link, "%s/uplink.key", keys);
	snprintf(f->linkring, sizeof f->linkring, "%s/uplink.json", retired);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Write a signing ring: current key pub_new in f->pub, retired ones in the ring file. */
static void
save_ring(struct fixture *f, const struct keyring *r, mode_t mode)
{
	char *text = keyring_dump(r);

	assert_non_null(text);
	unlink(f->pub);
	assert_int_equal(crypto_key_save_public(f->pub, CRYPTO_KEY_ED25519, r->k[0].key), 0);
	write_file(f->ring, text, mode);
	free(text);
}

static void
test_key_id_is_first_8_bytes_of_sha256_of_the_public_key(void **state)
{
	uint8_t pub[32], priv[32], d[32];
	char id[KEYRING_ID_LEN], want[17], lid[KEYRING_ID_LEN];

	(void)state;
	crypto_ed25519_keygen(pub, priv);
	keyring_key_id(KEYRING_ED25519, pub, id);
	crypto_sha256(pub, 32, d);
	crypto_hex(d, 8, want);
	assert_string_equal(id, want);
	/* A link key's id is not the plain hash of the secret. */
	keyring_key_id(KEYRING_LINK, pub, lid);
	assert_string_not_equal(lid, want);
	assert_int_equal(strlen(lid), 16);
}

static void
test_ring_path_is_retired_stem_json(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(keyring_path("/i/lgwan/keys/sanitizer-signing.pub", out, sizeof out), 0);
	assert_string_equal(out, "/i/lgwan/keys/retired/sanitizer-signing.json");
	assert_int_equal(keyring_path("uplink.key", out, sizeof out), 0);
	assert_string_equal(out, "retired/uplink.json");
	assert_int_equal(keyring_path("/i/keys/uplink.key", out, 10), -1);
}

static void
test_load_without_ring_file_gives_the_current_key_alone(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[32], priv[32];
	struct keyring r;
	char err[256];

	crypto_ed25519_keygen(pub, priv);
	assert_int_equal(crypto_key_save_public(f->pub, CRYPTO_KEY_ED25519, pub), 0);
	assert_int_equal(keyring_load(&r, KEYRING_ED25519, f->pub, NULL, err, sizeof err), KEYRING_OK);
	assert_int_equal(r.n, 1);
	assert_memory_equal(r.k[0].key, pub, 32);
	assert_int_equal(r.k[0].not_after, 0);
}

static void
test_rotated_ring_loads_current_first_then_newest_retired(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[3][32], priv[32];
	struct keyring r = { .kind = KEYRING_ED25519 }, back;
	char err[256];

	for (int i = 0; i < 3; i++)
		crypto_ed25519_keygen(pub[i], priv);
	keyring_key_id(KEYRING_ED25519, pub[0], r.k[0].id);
	memcpy(r.k[0].key, pub[0], 32);
	r.n = 1;
	assert_int_equal(keyring_rotate(&r, pub[1], T0, T0 + 7 * DAY), KEYRING_OK);
	assert_int_equal(keyring_rotate(&r, pub[2], T0 + 400 * DAY, T0 + 407 * DAY), KEYRING_OK);
	save_ring(f, &r, 0644);

	assert_int_equal(keyring_load(&back, KEYRING_ED25519, f->pub, NULL, err, sizeof err),
			 KEYRING_OK);
	assert_int_equal(back.n, 3);
	assert_memory_equal(back.k[0].key, pub[2], 32);
	assert_memory_equal(back.k[1].key, pub[1], 32);
	assert_int_equal(back.k[1].not_after, T0 + 407 * DAY);
	assert_memory_equal(back.k[2].key, pub[0], 32);
	assert_int_equal(back.k[2].retired_at, T0);
	assert_int_equal(back.k[2].not_after, T0 + 7 * DAY);
}

static void
test_old_signature_verifies_in_overlap_and_is_refused_after_naming_the_key(void **state)
{
	uint8_t oldpub[32], oldpriv[32], newpub[32], newpriv[32], sig[64];
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 };
	const struct keyring_key *used = NULL;
	char err[256], oldid[KEYRING_ID_LEN];

	(void)state;
	crypto_ed25519_keygen(oldpub, oldpriv);
	crypto_ed25519_keygen(newpub, newpriv);
	memcpy(r.k[0].key, oldpub, 32);
	keyring_key_id(KEYRING_ED25519, oldpub, r.k[0].id);
	memcpy(oldid, r.k[0].id, sizeof oldid);
	assert_int_equal(keyring_rotate(&r, newpub, T0, T0 + 7 * DAY), KEYRING_OK);
	crypto_ed25519_sign(oldpriv, "msg", 3, sig);

	assert_int_equal(keyring_verify(&r, T0 + 6 * DAY, "msg", 3, sig, &used, err, sizeof err),
			 KEYRING_OK);
	assert_string_equal(used->id, oldid);
	assert_int_equal(keyring_verify(&r, T0 + 8 * DAY, "msg", 3, sig, NULL, err, sizeof err),
			 KEYRING_EEXPIRED);
	assert_non_null(strstr(err, oldid));
	/* The auditor's "ever". */
	assert_int_equal(keyring_verify(&r, KEYRING_ANY_TIME, "msg", 3, sig, NULL, err,
					sizeof err), KEYRING_OK);
	/* The new key has no end; a stranger's signature fails outright. */
	crypto_ed25519_sign(newpriv, "msg", 3, sig);
	assert_int_equal(keyring_verify(&r, T0 + 900 * DAY, "msg", 3, sig, NULL, err, sizeof err),
			 KEYRING_OK);
	sig[0] ^= 1;
	assert_int_equal(keyring_verify(&r, T0, "msg", 3, sig, NULL, err, sizeof err),
			 KEYRING_EBADSIG);
}

static void
test_signing_ring_never_drops_keys_and_refuses_past_its_bound(void **state)
{
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 };
	uint8_t k[32];

	(void)state;
	crypto_random(r.k[0].key, 32);
	keyring_key_id(KEYRING_ED25519, r.k[0].key, r.k[0].id);
	for (int i = 1; i < KEYRING_MAX_KEYS; i++) {
		crypto_random(k, 32);
		assert_int_equal(keyring_rotate(&r, k, T0 + i * 400 * DAY, T0 + i * 400 * DAY + DAY),
				 KEYRING_OK);
	}
	assert_int_equal(r.n, KEYRING_MAX_KEYS);
	crypto_random(k, 32);
	assert_int_equal(keyring_rotate(&r, k, T0 + 99999 * (time_t)DAY, T0), KEYRING_ELIMIT);
	assert_int_equal(r.n, KEYRING_MAX_KEYS);
	/* A key cannot come back. */
	assert_int_equal(keyring_rotate(&r, r.k[5].key, T0, T0), KEYRING_EFORMAT);
}

static void
test_link_ring_drops_expired_keys_at_rotation_and_is_bounded(void **state)
{
	struct keyring r = { .kind = KEYRING_LINK, .n = 1 };
	uint8_t k[32];

	(void)state;
	crypto_random(r.k[0].key, 32);
	keyring_key_id(KEYRING_LINK, r.k[0].key, r.k[0].id);
	/* Rotations a day apart with 10-day overlaps fill the ring... */
	for (int i = 1; i < KEYRING_MAX_LINK_KEYS; i++) {
		crypto_random(k, 32);
		assert_int_equal(keyring_rotate(&r, k, T0 + i * DAY, T0 + i * DAY + 10 * DAY),
				 KEYRING_OK);
	}
	crypto_random(k, 32);
	assert_int_equal(keyring_rotate(&r, k, T0 + 5 * DAY, T0 + 15 * DAY), KEYRING_ELIMIT);
	/* ...and a rotation after their overlaps drops them all. */
	assert_int_equal(keyring_rotate(&r, k, T0 + 100 * DAY, T0 + 101 * DAY), KEYRING_OK);
	assert_int_equal(r.n, 2);
	assert_memory_equal(r.k[0].key, k, 32);
	keyring_clear(&r);
	assert_int_equal(r.n, 0);
}

static void
test_ring_file_over_the_bound_is_refused(void **state)
{
	struct fixture *f = *state;
	struct keyring r;
	uint8_t key[32];
	char err[256], *text;
	size_t len = 0;

	crypto_random(key, 32);
	assert_int_equal(crypto_secret_save(f->link, key, 32), 0);
	/* KEYRING_MAX_LINK_KEYS retired keys + the current one is one too many. */
	text = malloc(KEYRING_FILE_MAX);
	len += (size_t)sprintf(text, "{\"format\":\"%s\",\"kind\":\"aes-256-gcm\",\"retired\":[",
			       KEYRING_FORMAT);
	for (int i = 0; i < KEYRING_MAX_LINK_KEYS; i++) {
		char hex[65], id[KEYRING_ID_LEN];

		crypto_random(key, 32);
		crypto_hex(key, 32, hex);
		keyring_key_id(KEYRING_LINK, key, id);
		len += (size_t)sprintf(text + len, "%s{\"id\":\"%s\",\"key\":\"%s\","
				       "\"retired_at\":\"2026-11-01T00:00:00Z\","
				       "\"not_after\":\"2026-11-08T00:00:00Z\"}", i ? "," : "",
				       id, hex);
	}
	sprintf(text + len, "]}");
	write_file(f->linkring, text, 0600);
	free(text);
	assert_int_equal(keyring_load(&r, KEYRING_LINK, f->link, NULL, err, sizeof err), KEYRING_ELIMIT);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(r.n, 0);	/* nothing half-loaded */
}

static void
test_entry_whose_id_is_not_its_key_is_refused(void **state)
{
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 };
	char text[512], hex[65], err[256];
	uint8_t key[32];

	(void)state;
	crypto_random(key, 32);
	crypto_hex(key, 32, hex);
	snprintf(text, sizeof text, "{\"format\":\"%s\",\"kind\":\"ed25519\",\"retired\":"
		 "[{\"id\":\"0011223344556677\",\"key\":\"%s\",\"retired_at\":"
		 "\"2026-11-01T00:00:00Z\",\"not_after\":\"2026-11-08T00:00:00Z\"}]}",
		 KEYRING_FORMAT, hex);
	assert_int_equal(keyring_parse(&r, text, strlen(text), err, sizeof err), KEYRING_EFORMAT);
	assert_non_null(strstr(err, "0011223344556677"));
	/* A link ring is not a signing ring. */
	snprintf(text, sizeof text, "{\"format\":\"%s\",\"kind\":\"aes-256-gcm\",\"retired\":[]}",
		 KEYRING_FORMAT);
	assert_int_equal(keyring_parse(&r, text, strlen(text), err, sizeof err), KEYRING_EFORMAT);
	assert_int_equal(r.n, 1);
}

static void
test_link_ring_readable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	struct keyring r = { .kind = KEYRING_LINK, .n = 1 };
	uint8_t k[32];
	char err[256], *text;

	crypto_random(r.k[0].key, 32);
	keyring_key_id(KEYRING_LINK, r.k[0].key, r.k[0].id);
	crypto_random(k, 32);
	assert_int_equal(keyring_rotate(&r, k, T0, T0 + DAY), KEYRING_OK);
	assert_int_equal(crypto_secret_save(f->link, k, 32), 0);
	text = keyring_dump(&r);
	write_file(f->linkring, text, 0640);
	free(text);
	assert_int_equal(keyring_load(&r, KEYRING_LINK, f->link, NULL, err, sizeof err), KEYRING_EPERM);
	assert_non_null(strstr(err, "readable"));
	assert_int_equal(chmod(f->linkring, 0600), 0);
	assert_int_equal(keyring_load(&r, KEYRING_LINK, f->link, NULL, err, sizeof err), KEYRING_OK);
	assert_int_equal(r.n, 2);
}

static void
test_signing_ring_writable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 };
	uint8_t pub[32], priv[32];
	char err[256];

	crypto_ed25519_keygen(r.k[0].key, priv);
	keyring_key_id(KEYRING_ED25519, r.k[0].key, r.k[0].id);
	crypto_ed25519_keygen(pub, priv);
	assert_int_equal(keyring_rotate(&r, pub, T0, T0 + DAY), KEYRING_OK);
	save_ring(f, &r, 0664);
	assert_int_equal(keyring_load(&r, KEYRING_ED25519, f->pub, NULL, err, sizeof err), KEYRING_EPERM);
	assert_int_equal(chmod(f->ring, 0644), 0);
	assert_int_equal(keyring_load(&r, KEYRING_ED25519, f->pub, NULL, err, sizeof err), KEYRING_OK);
}

static json_t *
attestation_for(const char *content, const uint8_t priv[32])
{
	struct attest_fields a = {
		.input_size = 4, .input_type = "pdf", .output_size = strlen(content),
		.output_type = "pdf", .method = "pdf-render", .policy = "default",
		.scan_input = "clean", .scan_output = "clean",
	};

	crypto_sha256("orig", 4, a.input_sha256);
	crypto_sha256(content, strlen(content), a.output_sha256);
	return attest_sign(&a, priv);
}

static void
test_attestation_by_retired_key_live_in_overlap_refused_after_audit_forever(void **state)
{
	uint8_t oldpub[32], oldpriv[32], newpub[32], newpriv[32], strpub[32], strpriv[32];
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 };
	char err[256], oldid[KEYRING_ID_LEN];
	json_t *old, *stranger;

	(void)state;
	crypto_ed25519_keygen(oldpub, oldpriv);
	crypto_ed25519_keygen(newpub, newpriv);
	crypto_ed25519_keygen(strpub, strpriv);
	memcpy(r.k[0].key, oldpub, 32);
	keyring_key_id(KEYRING_ED25519, oldpub, oldid);
	memcpy(r.k[0].id, oldid, sizeof oldid);
	old = attestation_for("pdf", oldpriv);
	assert_int_equal(keyring_rotate(&r, newpub, T0, T0 + 7 * DAY), KEYRING_OK);

	assert_int_equal(attest_verify_ring(old, &r, T0 + DAY, NULL, err, sizeof err), ATTEST_OK);
	assert_int_equal(attest_verify_ring(old, &r, T0 + 8 * DAY, NULL, err, sizeof err),
			 ATTEST_EKEY);
	assert_non_null(strstr(err, oldid));
	assert_int_equal(attest_verify_ring(old, &r, KEYRING_ANY_TIME, NULL, err, sizeof err),
			 ATTEST_OK);
	stranger = attestation_for("pdf", strpriv);
	assert_int_equal(attest_verify_ring(stranger, &r, KEYRING_ANY_TIME, NULL, err, sizeof err),
			 ATTEST_EKEY);
	assert_non_null(strstr(err, "not a sanitizer key"));
	json_decref(old);
	json_decref(stranger);
}

/* A whole bundle, signed and attested with the old key, through bundle_verify_fd. */
static void
test_bundle_signed_with_retired_key_passes_in_overlap_only(void **state)
{
	struct fixture *f = *state;
	uint8_t oldpub[32], oldpriv[32], newpub[32], newpriv[32];
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 };
	struct bundle_check chk = { .signer_ring = &r, .attest_ring = &r };
	struct bundle_writer *w;
	struct bundle_info info;
	char path[128], file[128], err[256];
	json_t *att;
	int fd;

	crypto_ed25519_keygen(oldpub, oldpriv);
	crypto_ed25519_keygen(newpub, newpriv);
	memcpy(r.k[0].key, oldpub, 32);
	keyring_key_id(KEYRING_ED25519, oldpub, r.k[0].id);
	snprintf(file, sizeof file, "%s/out.pdf", f->dir);
	write_file(file, "pdf", 0600);
	att = attestation_for("pdf", oldpriv);
	w = bundle_writer_new("b-1", "demo", "application");
	assert_int_equal(bundle_writer_add_attested(w, "files/1.pdf", file, att, NULL), BUNDLE_OK);
	snprintf(path, sizeof path, "%s/b.tar", f->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(bundle_writer_write(w, fd, oldpriv, err, sizeof err), BUNDLE_OK);
	bundle_writer_free(w);
	json_decref(att);
	assert_int_equal(keyring_rotate(&r, newpub, T0, T0 + 7 * DAY), KEYRING_OK);
	bundle_limits_default(&chk.limits);

	chk.now = T0 + 3 * DAY;
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	bundle_info_free(&info);
	chk.now = T0 + 8 * DAY;
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_EKEYRETIRED);
	assert_non_null(strstr(err, r.k[1].id));
	chk.now = KEYRING_ANY_TIME;
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(bundle_verify_fd(fd, &chk, &info, err, sizeof err), BUNDLE_OK);
	bundle_info_free(&info);
	close(fd);
}

/* keys rotate writes the ring before the new key: a crash between them leaves the
 * current key also listed as retired, which reads as "not rotated yet". */
static void
test_current_key_listed_as_retired_reads_as_not_rotated(void **state)
{
	struct fixture *f = *state;
	struct keyring r = { .kind = KEYRING_ED25519, .n = 1 }, back;
	uint8_t oldpub[32], newpub[32], priv[32];
	char err[256], *text;

	crypto_ed25519_keygen(oldpub, priv);
	crypto_ed25519_keygen(newpub, priv);
	memcpy(r.k[0].key, oldpub, 32);
	keyring_key_id(KEYRING_ED25519, oldpub, r.k[0].id);
	assert_int_equal(keyring_rotate(&r, newpub, T0, T0 + DAY), KEYRING_OK);
	text = keyring_dump(&r);
	write_file(f->ring, text, 0644);
	free(text);
	assert_int_equal(crypto_key_save_public(f->pub, CRYPTO_KEY_ED25519, oldpub), 0);
	assert_int_equal(keyring_load(&back, KEYRING_ED25519, f->pub, NULL, err, sizeof err),
			 KEYRING_OK);
	assert_int_equal(back.n, 1);
	assert_memory_equal(back.k[0].key, oldpub, 32);
	assert_int_equal(back.k[0].not_after, 0);
	/* Rotating again completes it. */
	assert_int_equal(keyring_rotate(&back, newpub, T0, T0 + DAY), KEYRING_OK);
	assert_int_equal(back.n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id_is_first_8_bytes_of_sha256_of_the_public_key),
		cmocka_unit_test(test_ring_path_is_retired_stem_json),
		cmocka_unit_test_setup_teardown(test_load_without_ring_file_gives_the_current_key_alone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_ring_loads_current_first_then_newest_retired,
						setup, teardown),
		cmocka_unit_test(test_old_signature_verifies_in_overlap_and_is_refused_after_naming_the_key),
		cmocka_unit_test(test_signing_ring_never_drops_keys_and_refuses_past_its_bound),
		cmocka_unit_test(test_link_ring_drops_expired_keys_at_rotation_and_is_bounded),
		cmocka_unit_test_setup_teardown(test_ring_file_over_the_bound_is_refused, setup,
						teardown),
		cmocka_unit_test(test_entry_whose_id_is_not_its_key_is_refused),
		cmocka_unit_test_setup_teardown(test_current_key_listed_as_retired_reads_as_not_rotated,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_ring_readable_by_others_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_signing_ring_writable_by_others_is_refused,
						setup, teardown),
		cmocka_unit_test(test_attestation_by_retired_key_live_in_overlap_refused_after_audit_forever),
		cmocka_unit_test_setup_teardown(test_bundle_signed_with_retired_key_passes_in_overlap_only,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
