/*
 * certs.h — self-signed X.509 certificates made at provisioning (OpenSSL).
 *
 * A development instance needs real certificates to exercise real code paths: TLS
 * on each zone's lighttpd, and the staff document-signing certificate that issued
 * documents (PAdES) are signed with. Production replaces both with certificates from
 * the municipality's CA (LGPKI) using the same file names.
 */
#ifndef SEKISHOCTL_CERTS_H
#define SEKISHOCTL_CERTS_H

#include <stddef.h>

enum cert_kind {
	CERT_TLS_SERVER,	/* EC P-256, serverAuth, SAN localhost + 127.0.0.1 */
	CERT_DOC_SIGNING,	/* RSA-2048, digitalSignature + nonRepudiation */
};

/* Make a key (PEM, 0600) and a self-signed certificate (PEM, 0644) for common_name,
 * valid for days. 0, or -1 with "what failed" in err. */
int certs_make_self_signed(enum cert_kind kind, const char *common_name, int days,
			   const char *key_path, const char *crt_path,
			   char *err, size_t errlen);

/* Bound on an imported certificate (with its chain) or key file. */
#define CERTS_IMPORT_MAX 65536

/* Install the municipality's certificate (PEM, chain allowed) and its unencrypted
 * key after checking that they belong together: key_path 0600, crt_path 0644.
 * 0, or -1 with the reason in err. */
int certs_import(const char *cert_src, const char *key_src, const char *key_path,
		 const char *crt_path, char *err, size_t errlen);

#endif
