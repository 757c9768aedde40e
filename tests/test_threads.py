"""The GIL is released during fills, concurrent calls are correct, thread
defaults follow OpenMP, and a build without OpenMP gives the same values."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import xavier
from source_tree import copy_source_tree
from xavier import _core

ROOT = Path(__file__).resolve().parent.parent


def test_gil_is_released_during_a_fill():
    # a single-threaded fill of 64M float64 normals on the scalar path takes
    # far longer than the main thread needs to run a few bytecodes
    out = np.empty(1 << 26)
    key = xavier._seeds.seed_key(1)
    started, finished = threading.Event(), threading.Event()

    def work():
        started.set()
        _core.fill(out, key, _core.NORMAL_F64, (0.0, 1.0), 0, 1, "baseline")
        finished.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    ran_during_fill = 0
    while not finished.is_set() and ran_during_fill < 1000:
        ran_during_fill += 1
    t.join()
    assert ran_during_fill == 1000, "the main thread could not run while the fill ran"


def test_concurrent_calls_from_python_threads():
    shape = (700, 500)
    seeds = [0, 1, 2, 3, 0, 1, 2, 3]
    expected = {s: xavier.glorot_normal(shape, seed=s, threads=1) for s in set(seeds)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda s: xavier.glorot_normal(shape, seed=s, threads=2), seeds))
    for s, r in zip(seeds, results):
        np.testing.assert_array_equal(r, expected[s])


def _run(code, env=None):
    e = dict(os.environ, **(env or {}))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                         cwd=str(ROOT.parent))
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.skipif(not _core.openmp_enabled(), reason="built without OpenMP")
def test_omp_num_threads_sets_the_default():
    out = _run("import xavier, json; print(json.dumps(xavier.config()))", {"OMP_NUM_THREADS": "1"})
    assert json.loads(out)["default_threads"] == 1
    out = _run("import xavier, json; print(json.dumps(xavier.config()))", {"OMP_NUM_THREADS": "3"})
    assert json.loads(out)["default_threads"] == 3


@pytest.mark.skipif(shutil.which(sysconfig.get_config_var("CC").split()[0] if sysconfig.get_config_var("CC") else "cc") is None,
                    reason="no C compiler")
@pytest.mark.skipif(not _core.openmp_enabled(), reason="built without OpenMP")
def test_threadpoolctl_limits_the_default_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    libs = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "openmp"]
    assert libs, "xavier's OpenMP runtime is not visible to threadpoolctl"
    before = xavier.config()["default_threads"]
    expected = xavier.glorot_uniform((300, 1000), seed=4)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert xavier.config()["default_threads"] == 1
        np.testing.assert_array_equal(xavier.glorot_uniform((300, 1000), seed=4), expected)
    assert xavier.config()["default_threads"] == before


def test_build_without_openmp_warns_and_gives_the_same_values(tmp_path):
    """What a compiler without OpenMP (Apple clang) gets: a single-threaded
    build, a warning, and the same stream."""
    copy_source_tree(tmp_path)
    env = dict(os.environ, XAVIER_NO_OPENMP="", PYTHONWARNINGS="always")
    # pretend -fopenmp is missing: the probe fails, the build warns and goes on
    env["CC"] = f"{sys.executable} {ROOT / 'tests' / 'cc_without_openmp.py'}"
    res = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                         cwd=tmp_path, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no OpenMP" in res.stdout + res.stderr
    code = (
        "import json, numpy as np, xavier\n"
        "print(json.dumps({'omp': xavier.config()['openmp'],"
        " 'threads': xavier.config()['default_threads'],"
        " 'u': xavier.glorot_uniform((300, 700), seed=9).tolist(),"
        " 'n': xavier.glorot_normal((300, 700), seed=9, threads=4).tolist()}))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["omp"] is False and got["threads"] == 1
    np.testing.assert_array_equal(np.float32(got["u"]), xavier.glorot_uniform((300, 700), seed=9))
    np.testing.assert_array_equal(np.float32(got["n"]), xavier.glorot_normal((300, 700), seed=9))
