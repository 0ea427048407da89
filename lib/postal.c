/*
 * postal.c — postal code → address (郵便番号 → 住所).
 *
 * Invariant: nothing reaches SQLite but seven ASCII digits, bound as a parameter of
 * one prepared statement; every other input is refused by postal_normalize, which
 * accepts a closed list of byte sequences and nothing else (so no Unicode library's
 * idea of "a digit" can widen what counts as one). The connection is read-only and
 * query_only, and is used by one thread at a time under p->lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "postal.h"

#define POSTAL_SCHEMA_VERSION	1	/* provisioning/postal/postal_import.py */
#define STR_(x) #x
#define STR(x) STR_(x)

struct postal {
	struct db *db;
	pthread_mutex_t lock;
};

/*
 * The schema postal_import.py writes, as migration 1. The file is opened read-only,
 * so this never runs here: it records the version this code reads and lets db_open
 * refuse a file of another version.
 */
static const struct db_migration postal_migs[] = {
	{ 1,
	  "CREATE TABLE postal ("
	  " code TEXT NOT NULL CHECK (length(code) = 7 AND code NOT GLOB '*[^0-9]*'),"
	  " prefecture TEXT NOT NULL, city TEXT NOT NULL, town TEXT NOT NULL,"
	  " prefecture_kana TEXT NOT NULL, city_kana TEXT NOT NULL,"
	  " town_kana TEXT NOT NULL);"
	  "CREATE INDEX postal_code ON postal(code);"
	  "CREATE TABLE postal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);" },
};

static const char lookup_sql[] =
	"SELECT prefecture, city, town, prefecture_kana, city_kana, town_kana"
	" FROM postal WHERE code = ?1 ORDER BY rowid LIMIT " STR(POSTAL_MAX_RESULTS);

/* The JSON member for each selected column, in the order of lookup_sql. */
static const char *const lookup_keys[] = {
	"prefecture", "city", "town", "prefecture_kana", "city_kana", "town_kana",
};

_Static_assert(POSTAL_SCHEMA_VERSION == sizeof(postal_migs) / sizeof(postal_migs[0]),
	       "one migration per schema version");

int
postal_open(struct postal **out, const char *path, char *err, size_t errlen)
{
	struct postal *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (db_open(&p->db, path, DB_READONLY, postal_migs,
		    sizeof(postal_migs) / sizeof(postal_migs[0]), err, errlen) != 0) {
		free(p);
		return -1;
	}
	/* Prepared now, so a file without the table (or with other columns) is refused
	 * at start-up, not on a citizen's first lookup. */
	if (db_stmt(p->db, lookup_sql) == NULL) {
		snprintf(err, errlen, "%s: not a postal database: %s", path,
			 db_errmsg(p->db));
		db_close(p->db);
		free(p);
		return -1;
	}
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		snprintf(err, errlen, "%s: pthread_mutex_init failed", path);
		db_close(p->db);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
postal_close(struct postal *p)
{
	if (p == NULL)
		return;
	db_close(p->db);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- normalisation ---- */

/* Byte sequences accepted around and inside a code. Full-width forms are what a
 * Japanese IME types; the prolonged sound mark ー is the usual slip for a hyphen. */
static const char *const spaces[] = {
	" ", "\t", "\xe3\x80\x80",		/* U+3000 ideographic space */
};
static const char *const hyphens[] = {
	"-",
	"\xe2\x80\x90", "\xe2\x80\x91",	/* U+2010 hyphen, U+2011 non-breaking */
	"\xe2\x80\x92", "\xe2\x80\x93",	/* U+2012 figure dash, U+2013 en dash */
	"\xe2\x80\x94", "\xe2\x80\x95",	/* U+2014 em dash, U+2015 horizontal bar */
	"\xe2\x88\x92",			/* U+2212 minus sign */
	"\xef\xbc\x8d",			/* U+FF0D fullwidth hyphen-minus */
	"\xef\xb9\xa3",			/* U+FE63 small hyphen-minus */
	"\xe3\x83\xbc",			/* U+30FC katakana prolonged sound mark */
	"\xef\xbd\xb0",			/* U+FF70 halfwidth prolonged sound mark */
};
#define POSTAL_MARK "\xe3\x80\x92"	/* U+3012 〒 */

/* Length of the entry of set that s (n bytes left) starts with, or 0. */
static size_t
match_any(const char *s, size_t n, const char *const *set, size_t nset)
{
	size_t i, l;

	for (i = 0; i < nset; i++) {
		l = strlen(set[i]);
		if (l <= n && memcmp(s, set[i], l) == 0)
			return l;
	}
	return 0;
}

static size_t
skip_spaces(const char *s, size_t n)
{
	size_t at = 0, l;

	while ((l = match_any(s + at, n - at, spaces, sizeof(spaces) / sizeof(spaces[0]))))
		at += l;
	return at;
}

/* The digit s starts with (ASCII or U+FF10..U+FF19) and its length in *l, or -1. */
static int
digit_at(const char *s, size_t n, size_t *l)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n >= 1 && u[0] >= '0' && u[0] <= '9') {
		*l = 1;
		return u[0] - '0';
	}
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbc && u[2] >= 0x90 && u[2] <= 0x99) {
		*l = 3;
		return u[2] - 0x90;
	}
	return -1;
}

int
postal_normalize(const char *in, size_t len, char out[POSTAL_CODE_LEN + 1])
{
	size_t at, l, nd = 0;
	int d, hyphen = 0;

	out[0] = '\0';
	if (in == NULL || len > POSTAL_INPUT_MAX)
		return POSTAL_EBADCODE;
	at = skip_spaces(in, len);
	if (len - at >= strlen(POSTAL_MARK) &&
	    memcmp(in + at, POSTAL_MARK, strlen(POSTAL_MARK)) == 0) {
		at += strlen(POSTAL_MARK);
		at += skip_spaces(in + at, len - at);
	}
	while (at < len && nd < POSTAL_CODE_LEN) {
		if ((d = digit_at(in + at, len - at, &l)) >= 0) {
			out[nd++] = (char)('0' + d);
			at += l;
			continue;
		}
		/* One hyphen, and only where Japan Post puts it: 123-4567. */
		if (nd == 3 && !hyphen &&
		    (l = match_any(in + at, len - at, hyphens,
				   sizeof(hyphens) / sizeof(hyphens[0]))) > 0) {
			hyphen = 1;
			at += l;
			continue;
		}
		break;
	}
	at += skip_spaces(in + at, len - at);
	if (nd != POSTAL_CODE_LEN || at != len) {
		out[0] = '\0';
		return POSTAL_EBADCODE;
	}
	out[nd] = '\0';
	return POSTAL_OK;
}

/* ---- lookup ---- */

/* One row as a JSON object; NULL if out of memory or a column is not valid UTF-8
 * (a damaged database: jansson refuses such strings). */
static json_t *
row_object(sqlite3_stmt *st, const char *code)
{
	char shown[POSTAL_CODE_LEN + 2];
	json_t *o, *v;
	const char *t;
	size_t i;

	snprintf(shown, sizeof(shown), "%.3s-%.4s", code, code + 3);
	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "postal_code", json_string(shown)) != 0)
		goto fail;
	for (i = 0; i < sizeof(lookup_keys) / sizeof(lookup_keys[0]); i++) {
		t = (const char *)sqlite3_column_text(st, (int)i);
		v = json_stringn(t != NULL ? t : "",
				 t != NULL ? (size_t)sqlite3_column_bytes(st, (int)i) : 0);
		if (v == NULL || json_object_set_new(o, lookup_keys[i], v) != 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
postal_lookup(struct postal *p, const char *code, json_t **out)
{
	char digits[POSTAL_CODE_LEN + 1];
	sqlite3_stmt *st;
	json_t *arr, *o;
	int rc = POSTAL_OK, step;

	*out = NULL;
	if (code == NULL ||
	    postal_normalize(code, strnlen(code, POSTAL_INPUT_MAX + 1), digits) != 0)
		return POSTAL_EBADCODE;
	if ((arr = json_array()) == NULL)
		return POSTAL_ENOMEM;

	pthread_mutex_lock(&p->lock);
	if ((st = db_stmt(p->db, lookup_sql)) == NULL ||
	    sqlite3_bind_text(st, 1, digits, POSTAL_CODE_LEN, SQLITE_STATIC) != SQLITE_OK) {
		rc = POSTAL_EDB;
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = row_object(st, digits)) == NULL) {
			rc = POSTAL_EDB;
			break;
		}
		if (json_array_append_new(arr, o) != 0) {
			rc = POSTAL_ENOMEM;
			break;
		}
	}
	if (rc == POSTAL_OK && step != SQLITE_DONE)
		rc = POSTAL_EDB;
out:
	/* Reset under the lock: a statement left mid-step holds a read snapshot, and
	 * digits (bound SQLITE_STATIC) goes out of scope when we return. */
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	pthread_mutex_unlock(&p->lock);
	if (rc != POSTAL_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return POSTAL_OK;
}

const char *
postal_strerror(int rc)
{
	switch (rc) {
	case POSTAL_OK:
		return "ok";
	case POSTAL_EBADCODE:
		return "郵便番号は7桁の数字で入力してください（例: 100-0001）。";
	case POSTAL_EDB:
		return "住所の検索に失敗しました。時間をおいてもう一度お試しください。";
	case POSTAL_ENOMEM:
		return "住所の検索に失敗しました（メモリ不足）。時間をおいてもう一度お試しください。";
	default:
		return "住所の検索に失敗しました。";
	}
}
