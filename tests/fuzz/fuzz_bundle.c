/*
 * fuzz_bundle.c — the bundle gate on hostile bytes.
 *
 * Input starting with 'T' is taken as a whole tar (most are stopped at the signature,
 * which is the point); anything else is taken as the text of manifest.json, which the
 * target signs with its own key and wraps in a tar with the rest of the input as one
 * member, so the manifest checks after the signature are exercised too.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle.h"
#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pub[32], priv[32];

static void
add(struct archive *a, struct archive_entry *e, const char *name, const void *p, size_t n)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_write_header(a, e);
	if (n)
		archive_write_data(a, p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_check chk = { .signer_pub = pub, .attest_pub = pub };
	struct bundle_info info;
	char err[256];
	int fd = memfd_create("bundle", 0);

	if (fd < 0)
		return 0;
	if (!pub[0] && !pub[1])
		crypto_ed25519_keygen(pub, priv);
	bundle_limits_default(&chk.limits);
	if (size > 0 && data[0] == 'T') {
		if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
			abort();
	} else {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t mlen = nl ? (size_t)(nl - data) : size;
		uint8_t sig[64];
		struct archive *a = archive_write_new();
		struct archive_entry *e = archive_entry_new();

		crypto_ed25519_sign(priv, data, mlen, sig);
		archive_write_set_format_pax_restricted(a);
		archive_write_open_fd(a, fd);
		add(a, e, "manifest.json", data, mlen);
		add(a, e, "manifest.sig", sig, sizeof sig);
		if (nl)
			add(a, e, "application.json", nl + 1, size - mlen - 1);
		archive_write_close(a);
		archive_write_free(a);
		archive_entry_free(e);
	}
	lseek(fd, 0, SEEK_SET);
	if (bundle_verify_fd(fd, &chk, &info, err, sizeof err) == BUNDLE_OK)
		bundle_info_free(&info);
	else if (err[0] == '\0')
		abort();	/* a refusal must say why */
	close(fd);
	return 0;
}
