"""`sekishoctl import-postal`: the operator's KEN_ALL file into the internet zone's
postal look-up database, through the same importer the tests and install-deps use;
a bad file leaves the previous database in place."""
import os
import sqlite3

from conftest import ROOT, ctl

KEN_ALL = os.path.join(ROOT, "tests", "fixtures", "postal", "KEN_ALL.CSV")


def test_import_postal_builds_and_a_bad_file_changes_nothing(instance, tmp_path):
    inst, _, _ = instance
    db_path = inst / "dmz" / "postal" / "postal.sqlite"
    r = ctl(inst, "import-postal", KEN_ALL)
    assert "郵便番号データを" in r.stdout and str(db_path) in r.stdout
    db = sqlite3.connect(db_path)
    (n,) = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    assert n >= 1
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    db.close()
    assert sum(counts.values()) > 0
    before = db_path.read_bytes()
    bad = tmp_path / "KEN_ALL.CSV"
    bad.write_bytes(b"\x00\x01 not a postal file\n")
    r = ctl(inst, "import-postal", str(bad), check=False)
    assert r.returncode != 0 and "以前のデータはそのまま使われます" in r.stderr
    assert db_path.read_bytes() == before
    assert ctl(inst, "import-postal", check=False).returncode == 2
