"""Fixtures for the appliance image tests (make check-image).

The tests read what `make image` left in IMAGE_DIR (build/image by default): the root
tree, the disks and build-info.txt. They need root (chroot, loop devices, a rebuild).
"""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _image_dir():
    return pathlib.Path(os.environ.get("IMAGE_DIR", REPO / "build" / "image"))


@pytest.fixture(scope="session")
def image_dir():
    d = _image_dir()
    if not (d / "sekisho.raw").is_file() or not (d / "root").is_dir():
        pytest.fail(f"{d}: no image; run make image first")
    if os.geteuid() != 0:
        pytest.fail("the image tests need root (chroot, loop devices)")
    return d


@pytest.fixture(scope="session")
def root(image_dir):
    return image_dir / "root"


@pytest.fixture(scope="session")
def build_info(image_dir):
    info = {}
    for line in (image_dir / "build-info.txt").read_text().splitlines():
        key, _, value = line.partition("=")
        info[key] = value
    return info


UNIT_DIRS = (REPO / "provisioning" / "systemd", REPO / "provisioning" / "systemd" / "host")


def sekisho_units(kind="service"):
    """The units the repository ships (the daemons', and the host's: backups, checks,
    the all-in-one namespaces): every one must be in the image."""
    return sorted(p.name for d in UNIT_DIRS for p in d.glob(f"*sekisho*.{kind}"))


def unit_source(name):
    """The repository file of a unit."""
    return next(d / name for d in UNIT_DIRS if (d / name).is_file())


def in_root(root, *argv, check=True):
    """Run a program of the image inside it (own mount and pid namespace, /proc
    mounted), so nothing of the build host is consulted."""
    cmd = ["unshare", "--mount", "--pid", "--fork", f"--mount-proc={root}/proc",
           "chroot", str(root), *argv]
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)
