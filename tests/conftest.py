"""Fixtures shared by the test files.

``hooks``: the test-only extension _hooks (tests/_hooks.pyx, tests/hooks.c),
which runs the core's math on given arrays.  It is compiled with the core's
compiler flags (setup.py's BuildExt) into pytest's cache folder, under a key
of its sources and build settings: the first session that needs it builds it
(a few seconds), later ones reuse that build until something it depends on
changes.
"""
import contextlib
import hashlib
import importlib.util
import os
import runpy
import shutil
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# Child Pythons of this session import the installed xavier, as users do, even
# when started in the clone's root (pytest's own folder in CI): there the
# source folder, which has no built core, would shadow it.  Python 3.11 and
# newer then leave the working folder off sys.path; tests also start their
# children outside the tree where they can.
os.environ["PYTHONSAFEPATH"] = "1"
# what the build reads: a change to any of them, or to these variables, makes a new build
HOOKS_SOURCES = [TESTS / "_hooks.pyx", TESTS / "hooks.c", TESTS / "hooks.h",
                 ROOT / "src" / "vmath.h", ROOT / "src" / "kernels_bf16_avx512.h",
                 ROOT / "setup.py"]
HOOKS_ENV = ["CC", "CFLAGS", "LDFLAGS", "XAVIER_NO_OPENMP", "XAVIER_EXTRA_CFLAGS",
             "XAVIER_EXTRA_LDFLAGS"]


def _hooks_key():
    import Cython

    h = hashlib.sha256()
    for path in HOOKS_SOURCES:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for var in HOOKS_ENV:
        h.update(f"{var}={os.environ.get(var, '')}\0".encode())
    h.update(f"{sys.version}\0{np.__version__}\0{Cython.__version__}".encode())
    return h.hexdigest()[:20]


def _compiler_found():
    if sys.platform == "win32":
        return True   # MSVC: setuptools finds it, or says why not
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shutil.which(cc.split()[0]) is not None


def _build_hooks(dest):
    """Compile _hooks into the new folder `dest` (which appears complete, or not at all)."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    build_ext = runpy.run_path(str(ROOT / "setup.py"), run_name="xavier_setup")["BuildExt"]
    work = Path(tempfile.mkdtemp(prefix="build-", dir=dest.parent))
    try:
        ext = Extension(
            "_hooks",
            sources=[str(TESTS / "_hooks.pyx"), str(TESTS / "hooks.c")],
            include_dirs=[str(TESTS), str(ROOT / "src"), np.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            libraries=[] if sys.platform == "win32" else ["m"],
        )
        dist = Distribution({
            "name": "xavier-test-hooks",
            "ext_modules": cythonize([ext], build_dir=str(work / "c"), quiet=True,
                                     compiler_directives={"language_level": "3"}),
            "cmdclass": {"build_ext": build_ext},
        })
        cmd = dist.get_command_obj("build_ext")
        cmd.build_lib = str(work / "lib")
        cmd.build_temp = str(work / "temp")
        with warnings.catch_warnings():   # setup.py's note on a compiler without OpenMP
            warnings.simplefilter("ignore")
            dist.run_command("build_ext")
        (work / "out").mkdir()
        so = Path(cmd.get_ext_fullpath("_hooks"))
        so.rename(work / "out" / so.name)
        with contextlib.suppress(OSError):   # a concurrent session's build got there first
            (work / "out").rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def hooks(request, tmp_path_factory):
    """The test-only extension _hooks (see the module docstring).  Tests that
    use it skip where it cannot be built: no Cython or setuptools, or no C
    compiler."""
    for name in ("Cython", "setuptools"):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"building the test hooks extension needs {name} (the test extra)")
    cache = getattr(request.config, "cache", None)   # None under -p no:cacheprovider
    if cache is not None:
        base = cache.mkdir("xavier-test-hooks")
    else:
        base = tmp_path_factory.mktemp("hooks")
    dest = Path(base) / _hooks_key()
    so = dest / f"_hooks{sysconfig.get_config_var('EXT_SUFFIX')}"
    if not so.exists():
        try:
            _build_hooks(dest)
        except Exception as e:
            if not _compiler_found():
                pytest.skip(f"no C compiler to build the test hooks extension ({e})")
            raise
    spec = importlib.util.spec_from_file_location("_hooks", so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
