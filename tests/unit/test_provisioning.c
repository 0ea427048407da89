/*
 * test_provisioning.c — sekishoctl's instance, keys and configuration: each private
 * key in one zone only, mode 0600, matching its public copies; nothing overwritten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "confgen.h"
#include "crypto.h"
#include "instance.h"
#include "keybundle.h"
#include "keys.h"
#include "testutil.h"

struct fixture {
	char dir[64];
	struct instance in;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[256];

	snprintf(f->dir, sizeof f->dir, "/tmp/sekisho-prov-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(instance_locate(&f->in, f->dir, err, sizeof err), 0);
	for (size_t i = 0; instance_dirs[i]; i++) {
		char p[PATH_MAX];
		instance_path(&f->in, instance_dirs[i], p, sizeof p);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(testutil_rmtree(f->dir), 0);
	free(f);
	return 0;
}

static void
path(struct fixture *f, const char *rel, char *out)
{
	instance_path(&f->in, rel, out, PATH_MAX);
}

/* Key generation (RSA-2048 above all) is slow under valgrind, so the tests that only
 * read keys share one instance made once for the group. */
static struct fixture *keyed;

static int
group_setup(void **state)
{
	char err[256];
	void *f;

	(void)state;
	setup(&f);
	keyed = f;
	if (keys_create_all(&keyed->in, true, err, sizeof err) != 0) {
		fprintf(stderr, "keys_create_all: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	void *f = keyed;

	(void)state;
	return teardown(&f);
}

static void
test_every_key_made_with_private_ones_0600(void **state)
{
	struct fixture *f = keyed;
	char p[PATH_MAX];
	struct stat st;

	(void)state;
	for (const struct key_holder *k = keys_table; k->path; k++) {
		path(f, k->path, p);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, k->secret ? 0600 : 0644);
	}
}

static void
test_private_keys_exist_in_one_zone_only(void **state)
{
	struct fixture *f = keyed;
	char p[PATH_MAX];

	(void)state;
	path(f, "lgwan/keys/sanitizer-signing.key", p);
	assert_int_equal(access(p, F_OK), -1);
	path(f, "dmz/keys/office-signing.key", p);
	assert_int_equal(access(p, F_OK), -1);
	path(f, "dmz/keys/counter-qr.key", p);
	assert_int_equal(access(p, F_OK), -1);
	path(f, "dmz/keys/docsign.key", p);
	assert_int_equal(access(p, F_OK), -1);
}

static void
test_sanitizer_signature_verifies_with_lgwan_copy_of_public_key(void **state)
{
	struct fixture *f = keyed;
	char p[PATH_MAX];
	uint8_t priv[32], pub[32], sig[64];
	const char msg[] = "attestation";

	(void)state;
	path(f, "dmz/keys/sanitizer-signing.key", p);
	assert_int_equal(crypto_key_load_private(p, CRYPTO_KEY_ED25519, priv), 0);
	path(f, "lgwan/keys/sanitizer-signing.pub", p);
	assert_int_equal(crypto_key_load_public(p, CRYPTO_KEY_ED25519, pub), 0);
	assert_int_equal(crypto_ed25519_sign(priv, msg, sizeof msg, sig), 0);
	assert_int_equal(crypto_ed25519_verify(pub, msg, sizeof msg, sig), 0);
	/* ... and not with the office's key: the two are distinct. */
	path(f, "dmz/keys/office-signing.pub", p);
	assert_int_equal(crypto_key_load_public(p, CRYPTO_KEY_ED25519, pub), 0);
	assert_int_equal(crypto_ed25519_verify(pub, msg, sizeof msg, sig), CRYPTO_EBADSIG);
}

static void
test_link_keys_equal_across_zones_and_distinct_per_direction(void **state)
{
	struct fixture *f = keyed;
	char p[PATH_MAX];
	uint8_t up_dmz[32], up_lgwan[32], down_dmz[32], down_lgwan[32];

	(void)state;
	path(f, "dmz/keys/uplink.key", p);
	assert_int_equal(crypto_secret_load(p, up_dmz, 32), 0);
	path(f, "lgwan/keys/uplink.key", p);
	assert_int_equal(crypto_secret_load(p, up_lgwan, 32), 0);
	path(f, "dmz/keys/downlink.key", p);
	assert_int_equal(crypto_secret_load(p, down_dmz, 32), 0);
	path(f, "lgwan/keys/downlink.key", p);
	assert_int_equal(crypto_secret_load(p, down_lgwan, 32), 0);
	assert_memory_equal(up_dmz, up_lgwan, 32);
	assert_memory_equal(down_dmz, down_lgwan, 32);
	assert_memory_not_equal(up_dmz, down_dmz, 32);
}

static X509 *
load_cert(const char *p)
{
	FILE *fp = fopen(p, "r");
	X509 *c;
	assert_non_null(fp);
	c = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(c);
	return c;
}

static EVP_PKEY *
load_key(const char *p)
{
	FILE *fp = fopen(p, "r");
	EVP_PKEY *k;
	assert_non_null(fp);
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(k);
	return k;
}

static void
test_tls_certificate_is_self_signed_for_localhost_and_matches_key(void **state)
{
	struct fixture *f = keyed;
	char p[PATH_MAX];

	(void)state;
	path(f, "dmz/keys/tls.crt", p);
	X509 *crt = load_cert(p);
	path(f, "dmz/keys/tls.key", p);
	EVP_PKEY *key = load_key(p);
	assert_int_equal(X509_check_private_key(crt, key), 1);
	assert_int_equal(X509_verify(crt, key), 1);
	assert_int_equal(X509_check_host(crt, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(crt, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(crt, "example.org", 0, 0, NULL), 0);
	assert_true(X509_get_extended_key_usage(crt) & XKU_SSL_SERVER);
	EVP_PKEY_free(key);
	X509_free(crt);

	path(f, "lgwan/keys/docsign.crt", p);
	crt = load_cert(p);
	path(f, "lgwan/keys/docsign.key", p);
	key = load_key(p);
	assert_int_equal(X509_check_private_key(crt, key), 1);
	assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_RSA);
	assert_true(X509_get_key_usage(crt) & KU_NON_REPUDIATION);
	EVP_PKEY_free(key);
	X509_free(crt);
}

static void
test_keys_never_overwritten(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(keys_create_all(&keyed->in, true, err, sizeof err), -1);
	assert_non_null(strstr(err, "exists; keys are never overwritten"));
}

static void
test_production_keys_need_their_service_users(void **state)
{
	struct fixture *f = *state;
	char err[256];

	if (getpwnam("sekisho-sanitized") != NULL)
		skip();	/* an appliance with its users: covered by the image tests */
	assert_int_equal(keys_create_all(&f->in, false, err, sizeof err), -1);
	assert_non_null(strstr(err, "service user 'sekisho-sanitized' does not exist"));
	/* Refused before anything was written. */
	char p[PATH_MAX];
	path(f, "dmz/keys/sanitizer-signing.key", p);
	assert_int_equal(access(p, F_OK), -1);
}

static void
test_configuration_round_trips_instance_options(void **state)
{
	struct fixture *f = *state;
	struct instance_options o = { .dev = true, .tls = true, .internet_port = 18080,
				      .lgwan_port = 18090, .uplink_port = 19510,
				      .downlink_port = 19511 }, back;
	char err[256], p[PATH_MAX], buf[4096];
	FILE *fp;
	size_t n;

	snprintf(o.bind_host, sizeof o.bind_host, "127.0.0.1");
	assert_int_equal(confgen_write_all(&f->in, &o, err, sizeof err), 0);
	assert_int_equal(instance_read_options(&f->in, &back, err, sizeof err), 0);
	assert_true(back.dev && back.tls);
	assert_int_equal(back.internet_port, 18080);
	assert_int_equal(back.downlink_port, 19511);

	/* The uplink receiver verifies with the sanitizer's public key in LGWAN. */
	path(f, "etc/bridge-uplink-rx.conf", p);
	assert_non_null(fp = fopen(p, "r"));
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "/lgwan/keys/sanitizer-signing.pub\n"));
	assert_non_null(strstr(buf, "bind_port = 19510\n"));

	path(f, "etc/lighttpd-internet.conf", p);
	assert_non_null(fp = fopen(p, "r"));
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "var.port = 18080\n"));
	assert_non_null(strstr(buf, "tls.conf\""));
}

static void
test_missing_instance_is_explained(void **state)
{
	struct fixture *f = *state;
	struct instance_options o;
	char err[256];

	assert_int_equal(instance_read_options(&f->in, &o, err, sizeof err), -1);
	assert_non_null(strstr(err, "no Sekisho instance here"));
}

static void
test_instance_located_from_environment_when_not_explicit(void **state)
{
	(void)state;
	struct instance in;
	char err[256];

	setenv("SEKISHO_INSTANCE", "/srv/sekisho-env", 1);
	assert_int_equal(instance_locate(&in, NULL, err, sizeof err), 0);
	assert_string_equal(in.root, "/srv/sekisho-env");
	assert_int_equal(instance_locate(&in, "/srv/explicit", err, sizeof err), 0);
	assert_string_equal(in.root, "/srv/explicit");
	unsetenv("SEKISHO_INSTANCE");
}

static bool
same_file(const char *a, const char *b)
{
	uint8_t ha[CRYPTO_SHA256_LEN], hb[CRYPTO_SHA256_LEN];

	return crypto_sha256_file(a, ha) == 0 && crypto_sha256_file(b, hb) == 0 &&
	       memcmp(ha, hb, sizeof ha) == 0;
}

/* Two one-zone hosts: each makes its own zone's keys only, and the bundles carry
 * exactly what the other side needs, refusing a flipped byte. */
static void
test_one_zone_hosts_exchange_bundles(void **state)
{
	void *vd, *vl;
	struct fixture *d, *l;
	struct keys_options kd = { .zones = INSTANCE_ZONE_DMZ, .dev = true };
	struct keys_options kl = { .zones = INSTANCE_ZONE_LGWAN, .dev = true };
	char err[512], fpr[KEYBUNDLE_FPR_LEN], fpr2[KEYBUNDLE_FPR_LEN];
	char bundle[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	FILE *fp;
	long size;

	(void)state;
	setup(&vd);
	setup(&vl);
	d = vd;
	l = vl;
	assert_int_equal(keys_create(&d->in, &kd, err, sizeof err), 0);
	assert_int_equal(keys_create(&l->in, &kl, err, sizeof err), 0);
	/* Nothing of the other zone was made on either host. */
	path(d, "lgwan/keys/office-signing.key", a);
	assert_int_equal(access(a, F_OK), -1);
	path(d, "dmz/keys/downlink.key", a);
	assert_int_equal(access(a, F_OK), -1);
	path(l, "dmz/keys/sanitizer-signing.key", a);
	assert_int_equal(access(a, F_OK), -1);
	path(l, "lgwan/keys/uplink.key", a);
	assert_int_equal(access(a, F_OK), -1);

	path(d, "bundle.tar", bundle);
	assert_int_equal(keybundle_export(&d->in, "lgwan", bundle, fpr, err, sizeof err), 0);
	assert_int_equal(keybundle_import(&l->in, bundle, fpr, NULL, true, fpr2, err,
					  sizeof err), 0);
	assert_string_equal(fpr, fpr2);
	path(d, "dmz/keys/uplink.key", a);
	path(l, "lgwan/keys/uplink.key", b);
	assert_true(same_file(a, b));
	path(d, "dmz/keys/sanitizer-signing.pub", a);
	path(l, "lgwan/keys/sanitizer-signing.pub", b);
	assert_true(same_file(a, b));

	path(l, "bundle.tar", bundle);
	assert_int_equal(keybundle_export(&l->in, "dmz", bundle, fpr, err, sizeof err), 0);
	/* The last byte of the last member's data: the downlink key. */
	fp = fopen(bundle, "r+");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	for (long off = size - 1; off > 0; off--) {
		int c;

		fseek(fp, off, SEEK_SET);
		if ((c = fgetc(fp)) != 0) {
			fseek(fp, off, SEEK_SET);
			fputc(c ^ 1, fp);
			break;
		}
	}
	fclose(fp);
	assert_int_equal(keybundle_import(&d->in, bundle, NULL, NULL, true, fpr2, err,
					  sizeof err), -1);
	assert_non_null(strstr(err, "SHA-256 differs"));
	path(d, "dmz/keys/downlink.key", a);
	assert_int_equal(access(a, F_OK), -1);
	teardown(&vd);
	teardown(&vl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_made_with_private_ones_0600),
		cmocka_unit_test(test_private_keys_exist_in_one_zone_only),
		cmocka_unit_test(test_sanitizer_signature_verifies_with_lgwan_copy_of_public_key),
		cmocka_unit_test(test_link_keys_equal_across_zones_and_distinct_per_direction),
		cmocka_unit_test(test_tls_certificate_is_self_signed_for_localhost_and_matches_key),
		cmocka_unit_test(test_keys_never_overwritten),
		cmocka_unit_test_setup_teardown(test_production_keys_need_their_service_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configuration_round_trips_instance_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_instance_is_explained, setup, teardown),
		cmocka_unit_test(test_instance_located_from_environment_when_not_explicit),
		cmocka_unit_test(test_one_zone_hosts_exchange_bundles),
	};
	return cmocka_run_group_tests_name("provisioning", tests, group_setup, group_teardown);
}
