/*
 * audit_log.c — the hash-chained audit log (see audit_log.h).
 *
 * The bytes hashed are the canonical JSON (jsonio_dump_canonical: sorted keys,
 * compact) of {seq, at, actor, action, target, remote, detail}, detail being the
 * stored text itself. So verification needs nothing but the row as stored, and a
 * future reader in another language can recompute a hash from the documented form.
 */
#include "audit_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jsonio.h"
#include "timefmt.h"

static const char zero_hash[AUDIT_HASH_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* hash = SHA-256(prev (32 bytes) ‖ canonical row). -1 if prev is not hex or no memory. */
static int
row_hash(int64_t seq, const char *at, const char *actor, const char *action,
	 const char *target, const char *remote, const char *detail, const char *prev_hex,
	 char out[AUDIT_HASH_HEX + 1])
{
	uint8_t prev[CRYPTO_SHA256_LEN], h[CRYPTO_SHA256_LEN];
	struct crypto_sha256_ctx *c;
	json_t *row;
	char *text;
	size_t len;

	if (crypto_unhex(prev_hex, prev, sizeof prev) != 0)
		return -1;
	row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)seq, "at", at,
			"actor", actor, "action", action, "target", target, "remote", remote,
			"detail", detail);
	if (row == NULL)	/* not UTF-8: cannot be a row we wrote */
		return -1;
	text = jsonio_dump_canonical(row, &len);
	json_decref(row);
	if (text == NULL || (c = crypto_sha256_begin()) == NULL) {
		free(text);
		return -1;
	}
	crypto_sha256_update(c, prev, sizeof prev);
	crypto_sha256_update(c, text, len);
	crypto_sha256_end(c, h);
	free(text);
	crypto_hex(h, sizeof h, out);
	return 0;
}

/* Copy s into out (n bytes), cut at a UTF-8 character boundary. */
static void
clip(const char *s, char *out, size_t n)
{
	size_t len;

	s = s ? s : "";
	len = strnlen(s, n - 1);
	/* Cut: step back so the byte after the cut starts a character. */
	while (len > 0 && s[len] != '\0' && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	memcpy(out, s, len);
	out[len] = '\0';
}

static int
append_locked(struct db *db, const char *actor, const char *action, const char *target,
	      const char *remote, const json_t *detail, time_t now, char *err, size_t errlen)
{
	char a[AUDIT_FIELD_MAX], ac[AUDIT_FIELD_MAX], tg[AUDIT_FIELD_MAX], rm[AUDIT_FIELD_MAX];
	char at[TIMEFMT_LEN], prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
	char *dtext;
	size_t dlen;
	int64_t seq = 1;
	sqlite3_stmt *st;
	int rc;

	clip(actor, a, sizeof a);
	clip(action, ac, sizeof ac);
	clip(target, tg, sizeof tg);
	clip(remote, rm, sizeof rm);
	timefmt_utc(now, at);
	if (detail != NULL)
		dtext = jsonio_dump_canonical(detail, &dlen);
	else
		dtext = strdup("{}"), dlen = 2;
	if (dtext == NULL || dlen > AUDIT_DETAIL_MAX) {
		free(dtext);
		snprintf(err, errlen, "audit %s: detail too large or not encodable", ac);
		return -1;
	}
	memcpy(prev, zero_hash, sizeof prev);
	if ((st = db_stmt(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")) == NULL)
		goto dberr;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto dberr;
	if (row_hash(seq, at, a, ac, tg, rm, dtext, prev, hash) != 0) {
		free(dtext);
		snprintf(err, errlen, "audit %s: the last row's hash is malformed", ac);
		return -1;
	}
	st = db_stmt(db, "INSERT INTO audit_log (seq, at, actor, action, target, remote, detail,"
			 " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, ac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, tg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, rm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, dtext, (int)dlen, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, prev, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	free(dtext);
	return 0;
dberr:
	free(dtext);
	snprintf(err, errlen, "audit %s: %s", ac, db_errmsg(db));
	return -1;
}

int
audit_log_append(struct db *db, const char *actor, const char *action, const char *target,
		 const char *remote, const json_t *detail, time_t now, char *err, size_t errlen)
{
	int rc;

	/* Reading the last row and inserting after it must be one write transaction,
	 * or two writers (officed and sekishoctl) could both take the same seq. */
	if (!sqlite3_get_autocommit(db_handle(db)))
		return append_locked(db, actor, action, target, remote, detail, now, err, errlen);
	if (db_begin(db) != 0) {
		snprintf(err, errlen, "audit %s: begin: %s", action, db_errmsg(db));
		return -1;
	}
	rc = append_locked(db, actor, action, target, remote, detail, now, err, errlen);
	if (rc == 0 && db_commit(db) != 0) {
		snprintf(err, errlen, "audit %s: commit: %s", action, db_errmsg(db));
		rc = -1;
	}
	if (rc != 0)
		db_rollback(db);
	return rc;
}

static void
problem(struct audit_verify_report *r, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct audit_verify_report *r, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (r->nproblems < AUDIT_MAX_PROBLEMS) {
		struct audit_problem *p = &r->problems[r->nproblems];

		p->seq = seq;
		va_start(ap, fmt);
		vsnprintf(p->what, sizeof p->what, fmt, ap);
		va_end(ap);
	}
	r->nproblems++;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

int
audit_log_verify(struct db *db, int64_t anchor_seq, const char *anchor_hash,
		 struct audit_verify_report *r, char *err, size_t errlen)
{
	char prev[AUDIT_HASH_HEX + 1], want[AUDIT_HASH_HEX + 1];
	int64_t expect = 1;
	int anchor_seen = 0;
	sqlite3_stmt *st;
	int rc;

	memset(r, 0, sizeof *r);
	memcpy(prev, zero_hash, sizeof prev);
	st = db_stmt(db, "SELECT seq, at, actor, action, target, remote, detail, prev_hash, hash"
			 " FROM audit_log ORDER BY seq");
	if (st == NULL) {
		snprintf(err, errlen, "audit log: %s", db_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const char *stored_prev = col(st, 7), *stored = col(st, 8);

		r->rows++;
		if (seq != expect) {
			if (seq > expect)
				problem(r, seq, "記録 %lld の前の記録 (%lld〜%lld) が削除されています",
					(long long)seq, (long long)expect, (long long)seq - 1);
			else
				problem(r, seq, "記録番号 %lld が順序どおりではありません",
					(long long)seq);
		}
		if (strcmp(stored_prev, prev) != 0)
			problem(r, seq, "記録 %lld の直前ハッシュが直前の記録と一致しません"
				"（前の記録が削除または改変されています）", (long long)seq);
		if (row_hash(seq, col(st, 1), col(st, 2), col(st, 3), col(st, 4), col(st, 5),
			     col(st, 6), stored_prev, want) != 0 || strcmp(want, stored) != 0)
			problem(r, seq, "記録 %lld の内容が記録時と異なります（改ざんされています）",
				(long long)seq);
		if (anchor_seq == seq) {
			anchor_seen = 1;
			if (anchor_hash == NULL || strcmp(anchor_hash, stored) != 0)
				problem(r, seq, "記録 %lld のハッシュが控えの値と一致しません",
					(long long)seq);
		}
		snprintf(prev, sizeof prev, "%s", stored);
		r->head_seq = seq;
		expect = seq + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "audit log: %s", db_errmsg(db));
		return -1;
	}
	snprintf(r->head_hash, sizeof r->head_hash, "%s", prev);
	if (anchor_seq > 0 && !anchor_seen)
		problem(r, anchor_seq, "控えにある記録 %lld がありません（末尾が削除されています）",
			(long long)anchor_seq);
	return r->nproblems == 0 ? 0 : 1;
}
