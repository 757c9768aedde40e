"""Threads: thread counts never change the values; the GIL is released during
fills; concurrent callers (many Python threads, one out= buffer shared by
threads, nested pools, a pool under load); OMP_NUM_THREADS and threadpoolctl;
fork and multiprocessing; and a build without OpenMP gives the same values.

Each result is compared with the single-threaded result of the same call:
threads and concurrency may change the speed, never the values.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import xavier
from support.source_tree import copy_source_tree
from support.samplers import BLOCK, DTYPES, SAMPLERS
from xavier import _core

ROOT = Path(__file__).resolve().parent.parent


# ---- thread counts -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1000, 700), (BLOCK * 3 + 17,), (BLOCK - 1,), (BLOCK + 1,),
                                   (7,)], ids=repr)
def test_threads_do_not_change_values(name, dtype, shape):
    fn = SAMPLERS[name]
    ref = fn(shape, dtype=dtype, seed=31)
    for t in (1, 2, 3, 64, np.int64(2)):
        assert np.array_equal(fn(shape, dtype=dtype, seed=31, threads=t), ref), t


@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_with_out_and_non_contiguous(dtype):
    shape = (1000, 700)
    ref = xavier.glorot_normal(shape, dtype=dtype, seed=3)
    for t in (1, 3, 64):
        out = np.empty(shape, dtype=dtype)
        xavier.glorot_normal(shape, dtype=dtype, seed=3, threads=t, out=out)
        assert np.array_equal(out, ref)
        tv = np.empty(shape[::-1], dtype=dtype).T
        xavier.glorot_normal(shape, dtype=dtype, seed=3, threads=t, out=tv)
        assert np.array_equal(tv, ref)
        w = np.empty(shape, dtype=dtype)
        xavier.xavier_normal_(w, seed=3, threads=t, layout="keras")
        assert np.array_equal(w, ref)


# ---- the GIL -----------------------------------------------------------------------------

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


# ---- concurrent callers ------------------------------------------------------------------

def test_concurrent_calls_from_python_threads():
    shape = (700, 500)
    seeds = [0, 1, 2, 3, 0, 1, 2, 3]
    expected = {s: xavier.glorot_normal(shape, seed=s, threads=1) for s in set(seeds)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda s: xavier.glorot_normal(shape, seed=s, threads=2), seeds))
    for s, r in zip(seeds, results):
        np.testing.assert_array_equal(r, expected[s])


# (function, shape, kwargs): samplers of every distribution and dtype
CALLS = [
    (xavier.glorot_uniform, (300, 257), {}),
    (xavier.glorot_normal, (129, 400), {"dtype": np.float64}),
    (xavier.he_normal, (64, 3, 3, 50), {"truncated": True}),
    (xavier.uniform, (70001,), {"low": -2.0, "high": 3.0, "dtype": np.float16}),
    (xavier.normal, (1000, 70), {"std": 0.1}),
    (xavier.truncated_normal, (99, 999), {"a": -1.0, "b": 0.5, "dtype": np.float64}),
]


def _expected(seeds):
    return {(i, s): fn(shape, seed=s, threads=1, **kw)
            for i, (fn, shape, kw) in enumerate(CALLS) for s in seeds}


def test_many_python_threads_same_and_different_seeds():
    seeds = [0, 1, 2**64 - 1]
    expected = _expected(seeds)
    jobs = [(i, s, t, use_out) for i in range(len(CALLS)) for s in seeds
            for t in (None, 1, 2, 3) for use_out in (False, True)] * 2
    barrier = threading.Barrier(16)

    def run(job):
        i, s, t, use_out = job
        fn, shape, kw = CALLS[i]
        if use_out:
            out = np.empty(shape, expected[(i, s)].dtype)
            got = fn(shape, seed=s, threads=t, out=out, **kw)
            assert got is out
        else:
            got = fn(shape, seed=s, threads=t, **kw)
        return job, got

    def first(job):
        try:
            barrier.wait(timeout=60)  # start the first 16 together
        except threading.BrokenBarrierError:
            pass
        return run(job)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(first, jobs[:16])) + list(pool.map(run, jobs[16:]))
    assert len(results) == len(jobs)
    for (i, s, _, _), got in results:
        np.testing.assert_array_equal(got, expected[(i, s)])


def test_one_out_buffer_shared_by_threads_writing_disjoint_rows():
    """Row blocks of one array filled from several threads at once (the
    sub-range form of the stream) equal a single fill."""
    full = xavier.normal((512, 300), seed=9)
    out = np.zeros_like(full)
    key = xavier._seeds.seed_key(9)

    def rows(r):
        lo, hi = r * 64, (r + 1) * 64
        _core.fill(out[lo:hi], key, _core.NORMAL_F32, (0.0, 1.0), lo * 300, 2)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(rows, range(8)))
    np.testing.assert_array_equal(out, full)


def _child(code, env=None, timeout=120):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, env=e, timeout=timeout, cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr
    return r


NESTED = """
    import os, json, time
    from concurrent.futures import ThreadPoolExecutor
    import numpy as np
    import xavier

    def tasks():
        return len(os.listdir("/proc/self/task"))

    def work(s):
        w = xavier.glorot_normal((600, 500), seed=s)
        return w, tasks()

    ref = {s: xavier.glorot_normal((600, 500), seed=s, threads=1) for s in range(8)}
    base = tasks()
    peaks, settled = [], []
    for round in range(3):
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(work, range(8)))
        assert all(np.array_equal(g, ref[s]) for s, (g, _) in enumerate(got))
        peaks.append(max(n for _, n in got))
        deadline = time.monotonic() + 10
        while tasks() > base + 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # exited threads leave /proc/self/task shortly after
        settled.append(tasks())
    print(json.dumps({"base": base, "peaks": peaks, "settled": settled,
                      "default_threads": xavier.config()["default_threads"],
                      "pool": xavier._core.pool_threads()}))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
@pytest.mark.parametrize("omp", [None, "1", "3"])
def test_nested_parallelism_is_bounded_and_correct(omp):
    """Calls from a pool of 8 Python threads, each fill with the default
    thread count: right values, no deadlock, and xavier's shared pool no
    larger than one team's helpers (default_threads - 1), whatever the
    number of callers; once the callers are gone, only that pool stays."""
    import json

    r = _child(NESTED, {"OMP_NUM_THREADS": omp} if omp else {"OMP_NUM_THREADS": ""})
    res = json.loads(r.stdout)
    t = res["default_threads"]
    if omp:
        assert t == int(omp)
    assert res["pool"] == t - 1
    assert max(res["peaks"]) <= res["base"] + 8 + (t - 1) + 1
    assert all(n <= res["base"] + (t - 1) + 1 for n in res["settled"])


POOL = """
    import json
    import numpy as np
    import xavier
    from xavier import _bench, _core

    ref = xavier.glorot_normal((3000, 1000), seed=2, threads=1)
    start, sizes, same = _core.pool_threads(), [], True
    with _bench.BackgroundLoad(2):   # helpers losing their cores mid-fill
        for t in (2, 3, 2, 5, 1):
            for _ in range(3):
                same &= bool(np.array_equal(xavier.glorot_normal((3000, 1000), seed=2,
                                                                 threads=t), ref))
            sizes.append(_core.pool_threads())
    print(json.dumps({"start": start, "sizes": sizes, "same": same}))
"""


def test_the_pool_under_load_gives_the_same_values_and_stays_bounded():
    """Blocks go to whichever thread is free, beside busy processes that take
    cores away: the values are those of one thread every time, and the pool
    grows to the largest team asked for (threads - 1 helpers), no further."""
    import json

    res = json.loads(_child(POOL, timeout=120).stdout)
    assert res["same"]
    assert res["start"] == 0 and res["sizes"] == [1, 2, 2, 4, 4]


# ---- OMP_NUM_THREADS and threadpoolctl ---------------------------------------------------

@pytest.mark.skipif(not _core.openmp_enabled(), reason="built without OpenMP")
def test_omp_num_threads_sets_the_default():
    out = _child("import xavier, json; print(json.dumps(xavier.config()))",
                 {"OMP_NUM_THREADS": "1"}).stdout
    assert json.loads(out)["default_threads"] == 1
    out = _child("import xavier, json; print(json.dumps(xavier.config()))",
                 {"OMP_NUM_THREADS": "3"}).stdout
    assert json.loads(out)["default_threads"] == 3


@pytest.mark.skipif(shutil.which(sysconfig.get_config_var("CC").split()[0]
                                 if sysconfig.get_config_var("CC") else "cc") is None,
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


def test_threadpoolctl_limit_inside_worker_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not _core.openmp_enabled():
        pytest.skip("built without OpenMP")
    ref = xavier.he_uniform((1000, 300), seed=5, threads=1)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda _: xavier.he_uniform((1000, 300), seed=5), range(8)))
    for g in got:
        np.testing.assert_array_equal(g, ref)


# ---- fork and multiprocessing ------------------------------------------------------------

FORK = """
    import json, os, warnings
    import numpy as np
    import xavier
    from xavier import _core

    a = xavier.glorot_normal((1500, 1000), seed=1, threads=2)  # the parent's pool starts
    parent_pool = _core.pool_threads()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        pool_at_fork = _core.pool_threads()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            b = xavier.glorot_normal((1500, 1000), seed=1, threads=2)
            c = xavier.glorot_normal((1500, 1000), seed=1)
        res = {"same": bool(np.array_equal(a, b) and np.array_equal(a, c)),
               "pool_at_fork": pool_at_fork, "pool_after": _core.pool_threads(),
               "default_threads": xavier.config()["default_threads"],
               "warnings": [str(x.message) for x in caught]}
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    res = json.loads(data)
    res["child_exit"] = os.waitstatus_to_exitcode(status)
    res["parent_pool"] = parent_pool
    res["parent_default_threads"] = xavier.config()["default_threads"]
    res["parent_again"] = bool(np.array_equal(a, xavier.glorot_normal((1500, 1000), seed=1)))
    print(json.dumps(res))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_fork_after_a_parallel_fill():
    """fork() copies only the calling thread: the child starts with an empty
    pool (rebuilt at its first parallel fill) instead of waiting forever for
    the parent's threads, fills in parallel with the same values and no
    warning, and the parent goes on in parallel."""
    import json

    res = json.loads(_child(FORK, timeout=60).stdout)
    assert res["child_exit"] == 0 and res["same"] and res["parent_again"]
    assert res["parent_pool"] >= 1 and res["pool_at_fork"] == 0 and res["pool_after"] >= 1
    assert res["default_threads"] == res["parent_default_threads"]
    assert res["warnings"] == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_multiprocessing_pools(tmp_path):
    """Worker processes of every start method give the parent's values, also
    after the parent ran parallel fills."""
    import json

    script = tmp_path / "pools.py"
    script.write_text(textwrap.dedent("""
        import json, multiprocessing as mp, warnings
        import numpy as np
        import xavier

        def work(s):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return float(xavier.glorot_uniform((400, 300), seed=s, threads=2)
                             .sum(dtype=np.float64))

        if __name__ == "__main__":
            ref = [work(s) for s in range(6)]  # the parent's OpenMP team starts here
            out = {}
            for method in ("fork", "spawn", "forkserver"):
                with mp.get_context(method).Pool(3) as pool:
                    out[method] = pool.map(work, range(6)) == ref
            print(json.dumps(out))
    """))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"fork": True, "spawn": True, "forkserver": True}


# ---- a build without OpenMP --------------------------------------------------------------

def test_build_without_openmp_warns_and_gives_the_same_values(tmp_path):
    """What a compiler without OpenMP (Apple clang) gets: a single-threaded
    build, a warning, and the same stream."""
    copy_source_tree(tmp_path)
    # (PYTHONPATH: the child imports this copy, not the installed package)
    env = dict(os.environ, XAVIER_NO_OPENMP="", PYTHONWARNINGS="always",
               PYTHONPATH=str(tmp_path))
    # pretend -fopenmp is missing: the probe fails, the build warns and goes on
    env["CC"] = f"{sys.executable} {ROOT / 'tests' / 'support' / 'cc_without_openmp.py'}"
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
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["omp"] is False and got["threads"] == 1
    np.testing.assert_array_equal(np.float32(got["u"]), xavier.glorot_uniform((300, 700), seed=9))
    np.testing.assert_array_equal(np.float32(got["n"]), xavier.glorot_normal((300, 700), seed=9))
