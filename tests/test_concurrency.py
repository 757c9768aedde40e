"""Concurrent use: many Python threads, nested pools, thread limits, fork.

Each result is compared with the single-threaded result of the same call:
concurrency may change the speed, never the values.
"""
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import xavier
from xavier import _core

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
                return float(xavier.glorot_uniform((400, 300), seed=s, threads=2).sum(dtype=np.float64))

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
