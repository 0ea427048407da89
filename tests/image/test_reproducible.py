"""Two builds from the same commit give the same image.

The second build runs now, with the first one's SOURCE_DATE_EPOCH and mirror, into a
sibling directory — unless IMAGE_REBUILD_DIR names one already made: `make check`
(scripts/check.sh) runs both builds side by side, each on its own core, since dpkg is
one process and the pair would otherwise be most of the image suite's time. The
second build's own build-info must then match the first's, or it proves nothing. Identical package versions are assumed: both builds must see the
same state of the Debian archive, which holds for builds minutes apart (or any time
with a snapshot.debian.org MIRROR).

What is asserted: the manifest (every path, mode, owner, size, link target and content
hash), the root as a tar stream, the raw disk and the qcow2 are bit-for-bit identical.
On a failure the rebuilt image is kept beside the first for `cmp -l`.
"""
import os
import pathlib
import shutil
import subprocess

from conftest import REPO


def _sums(d):
    sums = {}
    for line in (d / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    return sums


def _manifest_diff(a, b, limit=20):
    la = set(a.read_text().splitlines())
    lb = set(b.read_text().splitlines())
    only = sorted(la ^ lb)
    return "\n".join(only[:limit]) + (f"\n... {len(only)} lines differ" if len(only) > limit else "")


def _build_info(d):
    return dict(line.partition("=")[::2] for line in (d / "build-info.txt").read_text().splitlines())


def test_rebuild_gives_the_same_manifest_and_root(image_dir, build_info):
    given = os.environ.get("IMAGE_REBUILD_DIR")
    if given:
        second = pathlib.Path(given)
        other = _build_info(second)
        for key in ("source_date_epoch", "mirror"):
            assert other.get(key) == build_info[key], f"{second}: {key} differs"
    else:
        second = pathlib.Path(str(image_dir) + "-rebuild")
        shutil.rmtree(second, ignore_errors=True)
        env = dict(os.environ, SOURCE_DATE_EPOCH=build_info["source_date_epoch"],
                   MIRROR=build_info["mirror"])
        subprocess.run([str(REPO / "image/build-image.sh"), str(second)], env=env,
                       check=True, timeout=1800)
    a, b = _sums(image_dir), _sums(second)
    for name in ("manifest.txt", "root.tar", "sekisho.raw", "sekisho.qcow2"):
        print(f"{name}: {'same' if a[name] == b[name] else 'DIFFERENT'} ({a[name][:16]})")
    # On a failure the second build stays for inspection.
    assert a["manifest.txt"] == b["manifest.txt"], \
        _manifest_diff(image_dir / "manifest.txt", second / "manifest.txt")
    assert a["root.tar"] == b["root.tar"]
    assert a["sekisho.raw"] == b["sekisho.raw"], \
        f"raw disks differ: cmp -l {image_dir}/sekisho.raw {second}/sekisho.raw"
    assert a["sekisho.qcow2"] == b["sekisho.qcow2"]
    shutil.rmtree(second, ignore_errors=True)
