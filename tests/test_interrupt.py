"""Ctrl-C during a long fill: KeyboardInterrupt between blocks, a healthy process after.

The fill runs in a child process that is sent SIGINT while it fills; no test
asserts a wall time (the latency is measured and printed, not checked).
"""
import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import xavier
from xavier import _core

CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import xavier
    from xavier import _core

    how, threads = sys.argv[1], int(sys.argv[2])
    n = 1 << 26  # 512 MiB of float64: seconds of truncated normals on the baseline path
    out = np.full(n, np.nan)
    key = xavier._seeds.seed_key(5)
    params = (0.0, 1.0, -2.0, 2.0)
    print("filling", flush=True)
    t0 = time.perf_counter()
    try:
        if how == "core":
            _core.fill(out, key, 9, params, 0, threads, "baseline")
        else:
            xavier.truncated_normal(n, 0.0, 1.0, -2.0, 2.0, dtype=np.float64, out=out,
                                    seed=5, threads=threads)
    except KeyboardInterrupt:
        t1 = time.perf_counter()
        written = int(np.argmax(np.isnan(out))) if np.isnan(out).any() else n
        # the written prefix holds the final values; the rest is untouched
        ref = np.empty(written)
        _core.fill(ref, key, 9, params, 0, threads)
        ok = bool(np.array_equal(out[:written], ref) and np.isnan(out[written:]).all())
        # and the process goes on working
        again = xavier.glorot_uniform((300, 200), seed=1)
        healthy = bool(np.array_equal(again, xavier.glorot_uniform((300, 200), seed=1)))
        print(json.dumps({"interrupted": True, "written": written, "n": n, "prefix_ok": ok,
                          "healthy": healthy, "seconds_in_fill": t1 - t0}), flush=True)
    else:
        print(json.dumps({"interrupted": False}), flush=True)
""")


@pytest.mark.parametrize("how,threads", [("core", 1), ("core", 2), ("api", 1)])
def test_ctrl_c_interrupts_a_long_fill(tmp_path, how, threads):
    p = subprocess.Popen([sys.executable, "-c", CHILD, how, str(threads)], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "filling"
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    if not res["interrupted"] or res["written"] == res["n"]:
        pytest.skip("the fill finished before the signal arrived (a very fast machine)")
    assert 0 < res["written"] < res["n"]
    assert res["written"] % _core.BLOCK == 0  # stopped between blocks, a prefix written
    assert res["prefix_ok"] and res["healthy"]
    print(f"{how}, {threads} thread(s): interrupted after {res['seconds_in_fill']:.3f} s, "
          f"{res['written']} of {res['n']} written")


def test_parts_give_the_values_of_one_fill():
    """Parts end on block boundaries; the values do not depend on the split."""
    key = xavier._seeds.seed_key(3)
    part = _core.PART_BLOCKS * _core.BLOCK
    for kind, dtype, params in [(0, np.float32, (-1.0, 1.0)), (5, np.float64, (0.0, 2.0)),
                                (11, np.uint16, (0.0, 1.0, -1.0, 1.5))]:
        n = 2 * part + 12345
        for start in (0, 777, part - 5):
            for threads in (1, 2, 3):
                a = np.empty(n, dtype)
                _core.fill(a, key, kind, params, start, threads)
                b = np.empty(n, dtype)
                _core.fill_runs(b, key, kind, params, [start], threads)  # one unsplit run
                assert np.array_equal(a.view(np.uint8), b.view(np.uint8))
