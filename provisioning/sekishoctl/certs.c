/*
 * certs.c — self-signed certificates with OpenSSL's X509 API.
 */
#include "certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fsio.h"

static int
add_ext(X509 *crt, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, crt, crt, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* PEM-encode with write into memory, then store atomically with mode. */
static int
store_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *crt)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (b == NULL)
		return -1;
	if (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
		: PEM_write_bio_X509(b, crt)) {
		len = BIO_get_mem_data(b, &data);
		rc = fsio_write_atomic(path, data, (size_t)len, mode);
		OPENSSL_cleanse(data, (size_t)len);
	}
	BIO_free(b);
	return rc;
}

int
certs_make_self_signed(enum cert_kind kind, const char *common_name, int days,
		       const char *key_path, const char *crt_path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *crt = NULL;
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[256];
	const char *what = "key generation";
	int rc = -1;

	key = kind == CERT_TLS_SERVER ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
				      : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key == NULL)
		goto out;
	what = "certificate";
	if ((crt = X509_new()) == NULL || !X509_set_version(crt, 2))
		goto out;
	/* Positive 127-bit random serial, as RFC 5280 asks of CAs. */
	if (RAND_bytes(serial, sizeof serial) != 1)
		goto out;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt)) == NULL)
		goto out;
	if (!X509_gmtime_adj(X509_getm_notBefore(crt), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(crt), (long)days * 86400))
		goto out;
	name = X509_get_subject_name(crt);
	if (!X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"Sekisho development", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)common_name, -1, -1, 0) ||
	    !X509_set_issuer_name(crt, name) || !X509_set_pubkey(crt, key))
		goto out;
	if (add_ext(crt, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(crt, NID_subject_key_identifier, "hash") != 0)
		goto out;
	if (kind == CERT_TLS_SERVER) {
		snprintf(san, sizeof san, "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1",
			 common_name);
		if (add_ext(crt, NID_key_usage, "critical,digitalSignature") != 0 ||
		    add_ext(crt, NID_ext_key_usage, "serverAuth") != 0 ||
		    add_ext(crt, NID_subject_alt_name, san) != 0)
			goto out;
	} else if (add_ext(crt, NID_key_usage, "critical,digitalSignature,nonRepudiation") != 0) {
		goto out;
	}
	if (X509_sign(crt, key, EVP_sha256()) == 0)
		goto out;
	what = key_path;
	if (store_pem(key_path, 0600, key, NULL) != 0)
		goto out;
	what = crt_path;
	if (store_pem(crt_path, 0644, NULL, crt) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		unsigned long e = ERR_get_error();
		snprintf(err, errlen, "%s for %s failed: %s", what, common_name,
			 e ? ERR_reason_error_string(e) : "cannot write file");
	}
	BN_free(bn);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

/* A whole small file into memory (certificates and keys are a few KiB). */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(max + 1)) != NULL) {
		*len = fread(buf, 1, max + 1, f);
		if (ferror(f) || *len > max) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

int
certs_import(const char *cert_src, const char *key_src, const char *key_path,
	     const char *crt_path, char *err, size_t errlen)
{
	size_t clen = 0, klen = 0;
	char *cbuf = slurp(cert_src, CERTS_IMPORT_MAX, &clen);
	char *kbuf = slurp(key_src, CERTS_IMPORT_MAX, &klen);
	BIO *cb = NULL, *kb = NULL;
	X509 *crt = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (cbuf == NULL || kbuf == NULL) {
		snprintf(err, errlen, "%s: cannot read (at most %d bytes)",
			 cbuf == NULL ? cert_src : key_src, CERTS_IMPORT_MAX);
		goto out;
	}
	cb = BIO_new_mem_buf(cbuf, (int)clen);
	kb = BIO_new_mem_buf(kbuf, (int)klen);
	if (cb == NULL || kb == NULL ||
	    (crt = PEM_read_bio_X509(cb, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: not a PEM certificate", cert_src);
		goto out;
	}
	if ((key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: not an unencrypted PEM private key", key_src);
		goto out;
	}
	if (X509_check_private_key(crt, key) != 1) {
		snprintf(err, errlen, "%s: the key does not belong to the certificate %s",
			 key_src, cert_src);
		goto out;
	}
	/* Stored as given: the certificate file may carry its intermediate CAs. */
	if (fsio_write_atomic(key_path, kbuf, klen, 0600) != 0 ||
	    fsio_write_atomic(crt_path, cbuf, clen, 0644) != 0) {
		snprintf(err, errlen, "%s: cannot write", key_path);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(cb);
	BIO_free(kb);
	X509_free(crt);
	EVP_PKEY_free(key);
	if (kbuf)
		OPENSSL_cleanse(kbuf, klen);
	free(kbuf);
	free(cbuf);
	return rc;
}
