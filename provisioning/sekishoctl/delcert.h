/*
 * delcert.h — the deletion certificate (削除証明書) a municipality files at contract end.
 *
 * It says what was deleted (the tenant, what its databases held, every file with its
 * size and SHA-256, and one hash over that list), when, by whom, how, and what a
 * re-scan found afterwards. It states only what the program did: files are unlinked,
 * never claimed to be physically erased. On a host with the office signing key (LGWAN)
 * the JSON and the text are each signed (Ed25519, raw 64-byte .sig files beside them,
 * checkable with the openssl command as well as with sekishoctl). Certificates live in
 * the instance's certificates/ directory, outside every zone, so that no removal
 * deletes them.
 */
#ifndef SEKISHOCTL_DELCERT_H
#define SEKISHOCTL_DELCERT_H

#include <stddef.h>
#include <stdint.h>

#include "instance.h"

#define DELCERT_DIR		"certificates"		/* below the instance root */
#define DELCERT_MAX_BYTES	(256u << 20)		/* a certificate file read to verify */
#define DELCERT_MAX_FILES	1000000			/* files listed in one certificate */
#define DELCERT_MAX_DEPTH	16			/* directory levels below a deleted path */

struct delcert;

/* Start the certificate for removing tenant from in, by the invoking Unix user and
 * operator_name (the person, may be NULL). Loads the office signing key when this host
 * has one: a key that exists but cannot be loaded is an error here, before anything
 * is deleted. NULL with err. */
struct delcert *delcert_begin(const struct instance *in, const char *tenant,
			      const char *operator_name, char *err, size_t errlen);

/* Count what the tenant's database of zone ("dmz" or "lgwan") at db_path holds, before
 * it is deleted; a missing database is recorded as absent. 0, or -1 with err. */
int delcert_inventory(struct delcert *c, const char *zone, const char *db_path,
		      char *err, size_t errlen);

/* Record path (a file, or a directory and everything below it) as about to be deleted:
 * each file with its size and SHA-256 as it is now. 0, or -1 with err. */
int delcert_add(struct delcert *c, const char *path, char *err, size_t errlen);

/* After the deletion: the re-scan found the n paths in remaining still there (0: none).
 * Writes certificates/deletion-TENANT-STAMP.{json,txt} (and their .sig when signed) and
 * puts the JSON's path in path. 0, or -1 with err. */
int delcert_finish(struct delcert *c, char *const *remaining, size_t n, char *path,
		   size_t pathlen, char *err, size_t errlen);

/* The certificate as Japanese text (after delcert_finish), owned by c. */
const char *delcert_text(const struct delcert *c);

/* 1 if the certificate was signed. */
int delcert_signed(const struct delcert *c);

void delcert_free(struct delcert *c);

/* Check a certificate file (.json or .txt) against PATH.sig with the office public key;
 * for the JSON also that its manifest hash is the hash of its file list. 0 valid, or -1
 * with the reason in err. */
int delcert_verify(const char *path, const uint8_t pub[32], char *err, size_t errlen);

#endif
