"""The core under AddressSanitizer and UndefinedBehaviorSanitizer.

A copy of the source tree is built with ``-fsanitize=address,undefined``
(gcc or clang, through setup.py's XAVIER_EXTRA_CFLAGS) and the core's tests
run against it in a child process with the ASan runtime preloaded; any
report (out-of-bounds access, use after free, signed overflow, misaligned
or invalid shift...) fails the test.  Run it alone with::

    pytest tests/test_sanitizers.py -s

Set XAVIER_SKIP_SANITIZERS=1 to skip it (it takes a few minutes).
"""
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from support.source_tree import copy_source_tree

CORE_TESTS = ["tests/test_rng.py", "tests/test_stream.py", "tests/test_fans.py",
              "tests/test_seeds.py", "tests/test_samplers.py", "tests/test_presets.py",
              "tests/test_config.py", "tests/test_threads.py", "tests/test_interrupt.py",
              "tests/test_properties.py"]


def _compiler():
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc)


def _runtime(cc, name):
    """The compiler's sanitizer runtime library, or None."""
    try:
        path = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return path if os.path.isabs(path) and os.path.exists(path) else None


@pytest.mark.skipif(os.environ.get("XAVIER_SKIP_SANITIZERS", "") not in ("", "0"),
                    reason="XAVIER_SKIP_SANITIZERS is set")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_core_tests_under_asan_and_ubsan(tmp_path):
    cc = _compiler()
    if cc is None:
        pytest.skip("no C compiler")
    asan = _runtime(cc, "libasan.so")
    if asan is None:
        pytest.skip(f"{cc} has no AddressSanitizer runtime")
    copy_source_tree(tmp_path, with_tests=True)
    flags = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    env = dict(os.environ, XAVIER_EXTRA_CFLAGS=flags, XAVIER_EXTRA_LDFLAGS=flags)
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                           cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (so,) = (tmp_path / "xavier").glob("_core*.so")
    if shutil.which("ldd"):  # the flags took effect: the core needs the runtimes
        libs = subprocess.run(["ldd", str(so)], capture_output=True, text=True).stdout
        assert "libasan" in libs and "libubsan" in libs, libs

    env = dict(os.environ, LD_PRELOAD=asan,
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
               XAVIER_HYPOTHESIS_EXAMPLES="25", XAVIER_SKIP_SANITIZERS="1")
    env["PYTHONPATH"] = str(tmp_path)   # the sanitized copy, not the installed package
    check = subprocess.run(
        [sys.executable, "-c", "import xavier, sys; print(xavier.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert check.returncode == 0, check.stderr[-3000:]
    assert check.stdout.strip().startswith(str(tmp_path)), "did not import the sanitized build"
    run = subprocess.run(
        # (instrumented code is not vectorized: the disassembly checks do not apply;
        # the build without OpenMP builds a core of its own, unsanitized)
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "-k", "not vectorized and not build_without_openmp", *CORE_TESTS],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=1800)
    out = run.stdout[-5000:] + run.stderr[-5000:]
    assert run.returncode == 0, out
    assert "AddressSanitizer" not in run.stderr and "runtime error:" not in run.stderr, out
    print(run.stdout.strip().splitlines()[-1])
