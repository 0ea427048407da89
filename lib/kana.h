/*
 * kana.h — the character work that Japanese form input needs: UTF-8 decoding that
 * refuses what is not UTF-8, full-width katakana (全角カタカナ) checking with
 * half-width katakana (半角カナ) converted, and folding of full-width ASCII (全角英数)
 * to ASCII for digits, hyphens and e-mail addresses.
 *
 * Every function writes into a caller's buffer and never allocates, so the form
 * validator can bound its output by the input's length.
 */
#ifndef SEKISHO_KANA_H
#define SEKISHO_KANA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	KANA_OK = 0,
	KANA_EHIRAGANA = 1,	/* hiragana where katakana is wanted */
	KANA_EINVALID = 2,	/* a character that is not katakana (or a lone ﾞ/ﾟ) */
	KANA_ETOOLONG = 3,	/* the output buffer is too small */
	KANA_EUTF8 = 4,		/* the input is not valid UTF-8 */
};

/* A worst-case output size for kana_normalize of len input bytes (a 1-byte space
 * becomes a 3-byte U+3000), NUL included. */
#define KANA_OUT_MAX(len) (3 * (len) + 1)

/* Decode the code point at s (n bytes available): its length 1..4 and *cp, or 0 for
 * anything that is not shortest-form UTF-8 of a scalar value (surrogates refused). */
size_t kana_utf8_next(const char *s, size_t n, uint32_t *cp);

/* Encode cp (a scalar value) into out, which has room for 4 bytes; returns the
 * length written (not NUL-terminated). */
size_t kana_utf8_put(uint32_t cp, char *out);

/* Check that in (len bytes) is full-width katakana, ー, ・, ヽヾ and spaces, converting
 * half-width katakana to full-width (ｶﾞ -> ガ, ﾊﾟ -> パ, combining ゛゜ composed) and
 * U+0020 to U+3000. Writes a NUL-terminated result to out; *nchars gets its length
 * in code points. KANA_OK or one of the KANA_E* codes above. */
int kana_normalize(const char *in, size_t len, char *out, size_t outlen, size_t *nchars);

/* Fold full-width ASCII (U+FF01..U+FF5E) to ASCII and U+3000 to a space; with
 * dashes, also the dash-like characters people type for a hyphen in phone numbers
 * and postal codes (ー, ‐, −, －, ｰ ...). Other characters are copied as they are.
 * Output is never longer than input; KANA_OK, KANA_ETOOLONG or KANA_EUTF8. */
int kana_fold_ascii(const char *in, size_t len, bool dashes, char *out, size_t outlen);

#endif
