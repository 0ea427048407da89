#!/usr/bin/python3
"""postal_import.py — Japan Post postal data into the read-only postal.sqlite.

Invariant: the output path holds either the previous database or a complete new one,
never a partial one. The database is built in a temporary file in the same directory,
checked (row count, index, a known code when the source is the full data set),
fsync'd, and renamed into place; the directory is fsync'd after the rename.

Sources (one of):
  --jpostal-tar FILE   the npm package jquery-jpostal-ja (Japan Post's KEN_ALL and
                       JIGYOSYO, already cleaned: one town per row, notes dropped),
                       read straight from its tarball. import-postal.sh fetches it
                       and checks its integrity before calling us.
  --jpostal-dir DIR    the same package, unpacked (tests and offline use; unchecked).
  --ken-all FILE       Japan Post's own KEN_ALL.CSV (Shift_JIS/CP932) or
                       utf_ken_all.csv (UTF-8), or the .zip they are shipped in.

Cleaning applied to KEN_ALL (the npm package has done the same already):
  - "以下に掲載がない場合", "…の次に番地がくる場合" and "…一円" (a whole municipality
    under one code) become an empty town: they are notes, not place names.
  - A town whose parenthesised note runs over several rows (the note did not fit one
    CSV record) is joined back into one record first; rows are joined only while the
    code is the same and the parenthesis is open, at most KEN_ALL_MAX_CONT rows.
  - The parenthesised note is then dropped ("大通西（１～１９丁目）" -> "大通西"): it
    lists block ranges or exceptions ("次のビルを除く"), which are not part of an
    address. A floor of a high-rise ("（１階）") is kept as "１階" because the code
    is that floor's own. If a note never closes, the town is cut at its "（", so an
    unbalanced record never leaks into an address.
  - Rows that become identical (same code, same town) are stored once.
Kana: Japan Post ships half-width katakana; it is stored as full-width katakana
(NFKC, kana fields only: kanji fields are kept exactly as published).
Business codes (個別番号, JIGYOSYO) present in the npm data are skipped, so both
sources give the same table: KEN_ALL only.

Only the Python standard library is used (/usr/bin/python3 on Debian 12).
"""

import argparse
import csv
import io
import json
import os
import re
import sqlite3
import sys
import tarfile
import tempfile
import time
import unicodedata
import zipfile

SCHEMA_VERSION = 1          # PRAGMA user_version; lib/postal.c expects the same
MAX_ROWS = 400_000          # KEN_ALL has ~124,000 rows; a file far larger is not it
MAX_FIELD = 512             # bytes per field, far above the longest real town note
MAX_INPUT = 64 << 20        # bytes of CSV (KEN_ALL is ~12 MB in CP932, ~18 MB UTF-8)
MAX_JPOSTAL_MEMBER = 4 << 20  # one json/NNN.json of the npm package (largest ~0.3 MB)
MAX_JPOSTAL_MEMBERS = 1100  # the package has 1001 of them
KEN_ALL_MAX_CONT = 30       # rows one split town may span (real maximum is ~8)
KEN_ALL_COLUMNS = 15

SCHEMA = """
CREATE TABLE postal (
	code TEXT NOT NULL CHECK (length(code) = 7 AND code NOT GLOB '*[^0-9]*'),
	prefecture TEXT NOT NULL,
	city TEXT NOT NULL,
	town TEXT NOT NULL,
	prefecture_kana TEXT NOT NULL,
	city_kana TEXT NOT NULL,
	town_kana TEXT NOT NULL
);
CREATE INDEX postal_code ON postal(code);
CREATE TABLE postal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

CODE_RE = re.compile(r"^[0-9]{7}$")
FLOOR_RE = re.compile(r"^[０-９]+階$")       # in a town, as published
FLOOR_KANA_RE = re.compile(r"^[0-9]+カイ$")  # in its kana, after NFKC
NOTE_TOWNS = ("以下に掲載がない場合",)


class ImportError_(Exception):
    pass


def kana(s):
    """Half-width katakana to full-width; NFKC also folds the ASCII in kana fields."""
    return unicodedata.normalize("NFKC", s)


def strip_note(town, open_, close, floor):
    """Drop parenthesised notes, keep floors: "Ａビル（１階）" -> "Ａビル１階"; a note
    just before a floor names the building part and stays: "Ｂ（高層棟）（２階）".
    A note that never closes is cut off with everything after it."""
    out, i = [], 0
    while True:
        j = town.find(open_, i)
        if j < 0:
            out.append(town[i:])
            break
        out.append(town[i:j])
        k = town.find(close, j)
        if k < 0:
            break
        inner = town[j + 1:k]
        if floor.match(inner):
            out.append(inner)
        elif town.startswith(open_, k + 1):
            m = town.find(close, k + 1)
            if m > 0 and floor.match(town[k + 2:m]):
                out.append(open_ + inner + close)
        i = k + 1
    return "".join(out)


def clean_town(town, town_kana, notes=True):
    if town in NOTE_TOWNS or town.endswith("の次に番地がくる場合"):
        return "", ""
    if town.endswith("一円") and len(town) > 2:
        # "利島村一円": the whole village; but "一円" alone is a real town name.
        return "", ""
    if not notes:
        return town, town_kana
    return (strip_note(town, "（", "）", FLOOR_RE),
            strip_note(town_kana, "(", ")", FLOOR_KANA_RE))


def read_bytes(path):
    with open(path, "rb") as f:
        data = f.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        raise ImportError_(f"{path}: larger than {MAX_INPUT} bytes: not a KEN_ALL file")
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise ImportError_(f"{path}: expected one .csv in the zip, found {len(names)}")
            info = z.getinfo(names[0])
            if info.file_size > MAX_INPUT:
                raise ImportError_(f"{path}: {names[0]} is larger than {MAX_INPUT} bytes")
            data = z.read(names[0])
    return data


def decode(data, path):
    """UTF-8 (utf_ken_all.csv) if it decodes strictly, else CP932 (KEN_ALL.CSV)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as e:
        raise ImportError_(f"{path}: neither UTF-8 nor Shift_JIS (CP932): {e}")


def ken_all_rows(path):
    text = decode(read_bytes(path), path)
    pending = None      # [code, pref, city, town, pk, ck, tk, rows_joined]
    lineno = 0

    def finish(p):
        town, tk = clean_town(p[3], kana(p[6]))
        return (p[0], p[1], p[2], town, kana(p[4]), kana(p[5]), tk)

    for rec in csv.reader(io.StringIO(text, newline="")):
        lineno += 1
        if not rec:
            continue
        if len(rec) != KEN_ALL_COLUMNS:
            raise ImportError_(f"{path}:{lineno}: {len(rec)} columns, expected "
                               f"{KEN_ALL_COLUMNS}: not a KEN_ALL file")
        for v in rec:
            if len(v.encode("utf-8")) > MAX_FIELD:
                raise ImportError_(f"{path}:{lineno}: a field is longer than {MAX_FIELD} bytes")
        code = rec[2].strip()
        if not CODE_RE.match(code):
            raise ImportError_(f"{path}:{lineno}: postal code {code!r} is not 7 digits")
        pk, ck, tk, pref, city, town = rec[3], rec[4], rec[5], rec[6], rec[7], rec[8]
        if pending is not None:
            same = pending[0] == code and pending[2] == city
            if same and pending[3].count("（") > pending[3].count("）") and \
                    pending[7] < KEN_ALL_MAX_CONT:
                pending[3] += town
                # The kana of a continuation row is sometimes a repeat of the first
                # row's, sometimes the next piece: append only a new piece.
                if tk != pending[6]:
                    pending[6] += tk
                pending[7] += 1
                continue
            yield finish(pending)
        pending = [code, pref, city, town, pk, ck, tk, 1]
    if pending is not None:
        yield finish(pending)


def jpostal_members(src):
    """(name, bytes) of each json/NNN.json, from a tarball or an unpacked dir."""
    if os.path.isdir(src):
        d = os.path.join(src, "json")
        if not os.path.isdir(d):
            d = os.path.join(src, "package", "json")
        names = sorted(n for n in os.listdir(d) if re.match(r"^[0-9]{3}\.json$", n))
        if len(names) > MAX_JPOSTAL_MEMBERS:
            raise ImportError_(f"{d}: more than {MAX_JPOSTAL_MEMBERS} json files")
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                data = f.read(MAX_JPOSTAL_MEMBER + 1)
            if len(data) > MAX_JPOSTAL_MEMBER:
                raise ImportError_(f"{d}/{n}: larger than {MAX_JPOSTAL_MEMBER} bytes")
            yield n, data
        return
    count = 0
    with tarfile.open(src, "r:gz") as t:
        for m in t:
            if not re.match(r"^package/json/[0-9]{3}\.json$", m.name) or not m.isfile():
                continue
            count += 1
            if count > MAX_JPOSTAL_MEMBERS:
                raise ImportError_(f"{src}: more than {MAX_JPOSTAL_MEMBERS} json files")
            if m.size > MAX_JPOSTAL_MEMBER:
                raise ImportError_(f"{src}: {m.name} is larger than {MAX_JPOSTAL_MEMBER} bytes")
            yield m.name, t.extractfile(m).read()


JSONP_RE = re.compile(r"^\s*jQuery_jpostal_callback\(\s*(.*?)\s*\);?\s*$", re.S)


def jpostal_rows(src):
    """Rows [\"_NNNNNNN\", pref, city, town, street, office, pref_kana, city_kana,
    town_kana]; "_NNN" rows (3-digit prefixes) and "_000info" are not codes."""
    found = 0
    for name, data in jpostal_members(src):
        found += 1
        m = JSONP_RE.match(data.decode("utf-8"))
        if not m:
            raise ImportError_(f"{src}: {name}: not a jpostal JSONP file")
        for r in json.loads(m.group(1)):
            if not isinstance(r, list) or len(r) != 9 or \
                    not all(isinstance(v, str) and len(v.encode("utf-8")) <= MAX_FIELD
                            for v in r):
                raise ImportError_(f"{src}: {name}: a row is not 9 short strings")
            if not (r[0].startswith("_") and CODE_RE.match(r[0][1:])):
                continue
            if r[4] or r[5]:
                continue    # a business code (個別番号): not in KEN_ALL
            town, tk = clean_town(r[3], kana(r[8]), notes=False)
            yield (r[0][1:], r[1], r[2], town, kana(r[6]), kana(r[7]), tk)
    if found == 0:
        raise ImportError_(f"{src}: no json/NNN.json files: not the jquery-jpostal-ja package")


def build(rows, out, meta, expect_full):
    out = os.path.abspath(out)
    d = os.path.dirname(out)
    fd, tmp = tempfile.mkstemp(prefix=".postal-", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        # DELETE journal, not WAL: readers open it read-only and need no -shm file.
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("BEGIN")
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                con.execute(stmt)
        seen = set()
        n = 0
        for r in rows:
            if r in seen:
                continue
            seen.add(r)
            n += 1
            if n > MAX_ROWS:
                raise ImportError_(f"more than {MAX_ROWS} rows: not postal data")
            con.execute("INSERT INTO postal VALUES (?, ?, ?, ?, ?, ?, ?)", r)
        if n == 0:
            raise ImportError_("no rows imported")
        meta = dict(meta, rows=str(n), imported_at=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                 time.gmtime()))
        for k, v in sorted(meta.items()):
            con.execute("INSERT INTO postal_meta VALUES (?, ?)", (k, v))
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
        # Checks on what was written, before it can replace anything.
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ImportError_("integrity_check failed on the new database")
        plan = " ".join(str(x[-1]) for x in con.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM postal WHERE code = ?", ("1000001",)))
        if "postal_code" not in plan:
            raise ImportError_(f"lookup does not use the index: {plan}")
        if expect_full:
            hit = con.execute("SELECT prefecture, city, town FROM postal WHERE code = ?",
                              ("1000001",)).fetchall()
            if ("東京都", "千代田区", "千代田") not in hit or n < 100_000:
                raise ImportError_(f"the full data set looks wrong ({n} rows, 1000001 -> {hit})")
        con.execute("VACUUM")
        con.close()
        os.chmod(tmp, 0o644)    # public data; the portal's user must read it
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.rename(tmp, out)
        dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return n
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def main():
    ap = argparse.ArgumentParser(description="Import Japan Post postal data into SQLite.")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--jpostal-tar", metavar="FILE")
    g.add_argument("--jpostal-dir", metavar="DIR")
    g.add_argument("--ken-all", metavar="FILE")
    ap.add_argument("--out", required=True, metavar="FILE")
    ap.add_argument("--source-label", default="", help="recorded in postal_meta")
    ap.add_argument("--full", action="store_true",
                    help="the input is the whole country: check it looks like it")
    a = ap.parse_args()
    try:
        if a.ken_all:
            rows, src = ken_all_rows(a.ken_all), "ken_all:" + os.path.basename(a.ken_all)
        elif a.jpostal_tar:
            rows, src = jpostal_rows(a.jpostal_tar), "npm:" + os.path.basename(a.jpostal_tar)
        else:
            rows, src = jpostal_rows(a.jpostal_dir), "jpostal-dir:" + a.jpostal_dir
        n = build(rows, a.out, {"source": a.source_label or src,
                                "schema": str(SCHEMA_VERSION)}, a.full)
    except (ImportError_, OSError, sqlite3.Error, csv.Error, json.JSONDecodeError,
            tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        print(f"postal_import: {e}", file=sys.stderr)
        return 1
    print(f"postal_import: {n} rows -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
