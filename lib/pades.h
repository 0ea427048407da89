/*
 * pades.h — sign a PDF (PAdES baseline B-B) by an incremental update.
 *
 * The signed file is the original bytes unchanged, followed by an update that adds
 * a signature field to the catalogue's /AcroForm (its invisible widget on the first
 * page when that page is a plain object) and a signature dictionary whose
 * /Contents is a detached CMS (SHA-256, signing-certificate-v2) over the file's
 * /ByteRange: everything but /Contents itself. Nothing of the original is
 * rewritten, so what a staff member issued is, byte for byte, inside what the
 * citizen receives.
 *
 * The PDF may come from an office PC (an upload): pades_check reads only its tail
 * (startxref, the trailer) and the catalogue dictionary, each bounded, and refuses
 * what it cannot update safely (encrypted, an existing form, a catalogue inside an
 * object stream) with a reason a person can act on. The signed file must read as
 * signed to the same check (a second signature refused): what the update copies
 * after its new catalogue may not hold the catalogue's "N G obj" text.
 */
#ifndef SEKISHO_PADES_H
#define SEKISHO_PADES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PADES_INPUT_MAX   (32 * 1024 * 1024)	/* a PDF to sign */
#define PADES_CMS_MAX     16384		/* DER bytes reserved for the CMS in /Contents */
#define PADES_TAIL_SCAN   4096		/* startxref must be within the last bytes */
#define PADES_DICT_MAX    (64 * 1024)	/* the trailer or the catalogue dictionary */
#define PADES_DEPTH_MAX   32		/* nesting of arrays and dictionaries */
#define PADES_CATALOG_TRIES 64		/* "N G obj" matches looked at for the catalogue */

struct pades_signer;

/* Load the signing key (PEM) and certificate (PEM, chain after it allowed) and check
 * they belong together. 0, or -1 with err. Free with pades_signer_free. */
int pades_signer_load(struct pades_signer **out, const char *key_path, const char *crt_path,
		      char *err, size_t errlen);
void pades_signer_free(struct pades_signer *s);

/* The signer certificate's subject, for display ("CN=..."), into buf. */
void pades_signer_subject(const struct pades_signer *s, char *buf, size_t len);

/* 0 if pdf (len bytes) is a PDF this module can sign, else -1 with the reason in err
 * (Japanese, for the person who uploaded it). Reads nothing beyond len. */
int pades_check(const uint8_t *pdf, size_t len, char *err, size_t errlen);

/* Sign pdf as of when; *out (malloc'd, *outlen bytes) is the signed PDF. 0, or -1
 * with err. */
int pades_sign(const struct pades_signer *s, const uint8_t *pdf, size_t len, time_t when,
	       uint8_t **out, size_t *outlen, char *err, size_t errlen);

#endif
