"""`xavier bench`: tiny sizes, with and without the optional peers.

No test asserts a time: only that every contender ran, produced the values it
claims to, and that the report (tables, JSON, plot) is complete and consistent.
"""
import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest

import xavier
from xavier import _bench, _cli

TINY = ["--size", "48", "--repeats", "2", "--budget", "0.05"]


def run(*argv):
    return _cli.main([str(a) for a in argv])


def hide(monkeypatch, *modules):
    """Make `import NAME` raise ImportError for each NAME (and its submodules)."""
    for name in modules:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setitem(sys.modules, name, None)


def installed(name):
    return _bench.import_peer(name)[0] is not None


def bench_json(tmp_path, *argv):
    path = tmp_path / "bench.json"
    assert run("bench", *TINY, *argv, "--json", path) == 0
    return json.loads(path.read_text())


def keys(result, dist="uniform"):
    return [(r["contender"], r["threads"]) for r in result["results"] if r["dist"] == dist]


# ---- the report -----------------------------------------------------------------

def test_all_contenders_with_peers_installed(tmp_path, capsys):
    res = bench_json(tmp_path, "--threads", "1", "2")
    out = capsys.readouterr().out
    expected = [("fill", 1), ("fill_threaded", 2), ("xavier", 1), ("xavier", 2), ("numpy", 1),
                ("numpy_threaded", 2), ("seeds", 1)]
    if installed("torch"):
        expected += [("torch", 1), ("torch", 2)]
    if installed("randomgen"):
        expected += [("randomgen", 1)]
    if installed("mkl_random"):
        expected += [("mkl_random", 1)]
    for dist in _bench.DISTS:
        assert keys(res, dist) == expected
    assert set(res["skipped"]) == {p for p in _bench.PEERS if not installed(p)}
    assert "[uniform float32, 48 x 48 (0.008789 MiB), fans (48, 48)]" in out
    assert "[normal float32" in out
    for r in res["results"]:
        assert r["runs"] == len(r["times_s"]) == 2
        assert all(t > 0 for t in r["times_s"])
        assert r["median_s"] == pytest.approx(float(np.median(r["times_s"])))
        assert r["bytes"] == 48 * 48 * 4
        assert r["gb_per_s"] == pytest.approx(r["bytes"] / r["median_s"] / 1e9)
        assert r["label"] in out
    for dist in _bench.DISTS:
        rows = {(r["contender"], r["threads"]): r for r in res["results"] if r["dist"] == dist}
        fill, top = rows[("fill", 1)], rows[("xavier", 2)]
        assert fill["vs_fill"] == 1.0
        assert top["xavier_speedup"] is None  # the reference of the column
        for r in rows.values():
            assert r["vs_fill"] == pytest.approx(r["median_s"] / fill["median_s"])
            if r is not top:
                assert r["xavier_speedup"] == pytest.approx(r["median_s"] / top["median_s"])


def test_without_optional_peers(tmp_path, monkeypatch, capsys):
    hide(monkeypatch, "torch", "randomgen", "mkl_random")
    res = bench_json(tmp_path, "--threads", "2")
    out = capsys.readouterr().out
    assert keys(res) == [("fill", 1), ("fill_threaded", 2), ("xavier", 2), ("numpy", 1),
                         ("numpy_threaded", 2), ("seeds", 1)]
    assert set(res["skipped"]) == {"torch", "randomgen", "mkl_random"}
    assert all(v is None for v in res["facts"]["peers"].values())
    for name in ("torch", "randomgen", "mkl_random"):
        assert f"{name}: not installed" in out


def test_a_broken_peer_is_skipped_not_fatal(monkeypatch):
    import importlib

    real = importlib.import_module

    def broken(name, *args, **kwargs):
        if name == "randomgen":
            raise RuntimeError("bad build")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", broken)
    mod, why = _bench.import_peer("randomgen")
    assert mod is None and "RuntimeError: bad build" in why
    with pytest.raises(ValueError, match="unknown peer"):
        _bench.import_peer("os")


def test_facts_header_and_settings(tmp_path, capsys):
    res = bench_json(tmp_path, "--only", "fill", "xavier", "--dist", "normal", "--dtype",
                     "float64")
    out = capsys.readouterr().out
    cfg = xavier.config()
    f = res["facts"]
    assert f["xavier"] == cfg and f["cpu_count"] >= 1 and f["python"]
    assert f"SIMD path {cfg['simd_path']}" in out and "OpenMP" in out
    assert res["settings"]["sizes"] == [48] and res["settings"]["dtypes"] == ["float64"]
    assert res["settings"]["dists"] == ["normal"]
    assert res["settings"]["threads"] == [cfg["default_threads"]]
    assert res["command"] == ("xavier bench --size 48 --repeats 2 --budget 0.05 --only fill "
                              "xavier --dist normal --dtype float64 "
                              f"--json {tmp_path / 'bench.json'}")
    assert {r["contender"] for r in res["results"]} == {"fill", "xavier"}
    assert all(r["bytes"] == 48 * 48 * 8 for r in res["results"])


def test_skip_and_markdown(tmp_path, capsys):
    res = bench_json(tmp_path, "--skip", "seeds", "numpy", "--markdown", "--dist", "uniform")
    out = capsys.readouterr().out
    assert "seeds" not in {r["contender"] for r in res["results"]}
    assert "numpy" not in {r["contender"] for r in res["results"]}
    assert "| contender | threads | runs | median ms |" in out
    assert "| `xavier.glorot_uniform(out=)` |" in out


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
def test_other_dtypes(tmp_path, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    res = bench_json(tmp_path, "--dtype", dtype, "--threads", "2")
    size = np.dtype(np.float64).itemsize if dtype == "float64" else 2
    assert {r["dtype"] for r in res["results"]} == {dtype}
    assert all(r["bytes"] == 48 * 48 * size for r in res["results"])
    assert ("numpy_threaded", 2) in keys(res)


def test_json_to_stdout_keeps_tables_on_stderr(capsys):
    assert run("bench", *TINY, "--only", "xavier", "--json", "-") == 0
    cap = capsys.readouterr()
    res = json.loads(cap.out)
    assert res["results"][0]["contender"] == "xavier"
    assert "[uniform float32" in cap.err


# ---- what is timed is what it claims -----------------------------------------------

def _entry(case, buf, key, threads=(2,), peers=None):
    (e,) = _bench.entries(case, buf, list(threads), peers or {}, only=[key])
    return e


@pytest.mark.parametrize("dist", _bench.DISTS)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_xavier_entry_fills_the_glorot_layer(dist, dtype):
    case = _bench.Case(dist, dtype, 40)
    buf = np.zeros(case.shape, dtype)
    _entry(case, buf, "xavier").fn()
    fn = xavier.glorot_uniform if dist == "uniform" else xavier.glorot_normal
    np.testing.assert_array_equal(buf, fn((40, 40), dtype=dtype, seed=_bench.SEED))


@pytest.mark.parametrize("dist", _bench.DISTS)
def test_numpy_threaded_is_the_documented_recipe(dist):
    case = _bench.Case(dist, "float32", 41)
    buf = np.zeros(case.shape, np.float32)
    e = _entry(case, buf, "numpy_threaded", threads=(3,))
    try:
        e.fn()
    finally:
        e.cleanup()
    gens = [np.random.default_rng(s) for s in np.random.SeedSequence(_bench.SEED).spawn(3)]
    a, s = case.limit, case.std
    for gen, rows in zip(gens, [slice(0, 14), slice(14, 28), slice(28, 41)]):
        if dist == "uniform":
            want = gen.random((rows.stop - rows.start, 41), dtype=np.float32)
            want = want * np.float32(2 * a) - np.float32(a)
        else:
            want = gen.standard_normal((rows.stop - rows.start, 41), dtype=np.float32)
            want = want * np.float32(s)
        np.testing.assert_array_equal(buf[rows], want)


def test_seeds_entry_is_the_tutorial_call():
    case = _bench.Case("uniform", "float32", 30)
    buf = np.zeros(case.shape, np.float32)
    got = _entry(case, buf, "seeds").fn()
    np.random.seed(_bench.SEED)
    a = math.sqrt(6 / 60)
    np.testing.assert_array_equal(got, np.random.uniform(-a, a, size=(30, 30)).astype(np.float32))


def test_torch_entry_writes_the_buffer_and_restores_threads():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    case = _bench.Case("normal", "bfloat16", 64)
    pytest.importorskip("ml_dtypes")
    buf = np.zeros(case.shape, xavier._checks.check_dtype("bfloat16"))
    settings = _bench.Settings(sizes=[64], dtypes=["bfloat16"], dists=["normal"], threads=[1],
                               repeats=1, budget=0.01, only=["torch"])
    rows = _bench.run(settings, {"torch": torch})
    assert [r["contender"] for r in rows] == ["torch"]
    assert torch.get_num_threads() == before
    e = _entry(case, buf, "torch", threads=(1,), peers={"torch": torch})
    e.fn()
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)
    e.check(None)  # the values went into buf
    assert 0.8 < float(buf.astype(np.float32).std()) / case.std < 1.2


def test_a_wrong_output_fails_the_check():
    case = _bench.Case("uniform", "float32", 16)
    buf = np.full(case.shape, 10.0, np.float32)  # far outside [-a, a]
    e = _entry(case, buf, "xavier")
    with pytest.raises(RuntimeError, match="failed its range/scale check"):
        e.check(None)
    with pytest.raises(RuntimeError, match="ndarray.fill"):
        _entry(case, buf, "fill").check(None)


def test_runs_respect_repeats_and_budget():
    def slow():
        time.sleep(0.02)

    check = lambda result: None  # noqa: E731
    es = [_bench.Entry("a", "slow", 1, slow, check), _bench.Entry("b", "fast", 1, lambda: 1, check)]
    _bench.time_entries(es, repeats=7, budget=0.05, min_run=0.001)
    assert len(es[0].times) == _bench.MIN_REPEATS  # over budget: the minimum
    assert len(es[1].times) == 7 and es[1].number >= 1
    es = [_bench.Entry("a", "slow", 1, slow, check)]
    _bench.time_entries(es, repeats=2, budget=0.001, min_run=0.001)
    assert len(es[0].times) == 2  # never more than asked


def test_sweeps():
    ts = _bench.sweep_threads()
    assert ts[0] == 1 and ts[-1] == xavier.config()["default_threads"]
    assert ts == sorted(set(ts))


# ---- plot and errors -------------------------------------------------------------

def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "bench.png"
    assert run("bench", "--size", "32", "64", "--threads", "1", "2", "--repeats", "1",
               "--budget", "0.01", "--only", "fill", "xavier", "numpy", "--plot", png) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_fails_before_timing(tmp_path, monkeypatch, capsys):
    hide(monkeypatch, "matplotlib")
    monkeypatch.setattr(_bench, "run", lambda *a, **k: pytest.fail("timed without matplotlib"))
    png = tmp_path / "bench.png"
    assert run("bench", *TINY, "--plot", png) == 2
    assert "--plot needs matplotlib" in capsys.readouterr().err
    assert not png.exists()


@pytest.mark.parametrize("argv", [["--size", "0"], ["--repeats", "0"], ["--threads", "0"],
                                  ["--budget", "-1"], ["--only", "nope"], ["--dtype", "int8"],
                                  ["--dist", "cauchy"], ["--only", "xavier", "--skip", "fill"]])
def test_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as e:
        run("bench", *argv)
    assert e.value.code == 2
    assert "error" in capsys.readouterr().err


def test_console_entry_points(tmp_path):
    """`python -m xavier bench` in a fresh process (run outside the source tree)."""
    r = subprocess.run([sys.executable, "-m", "xavier", "bench", *TINY, "--only", "fill",
                        "xavier", "--json", "-"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert {row["contender"] for row in json.loads(r.stdout)["results"]} == {"fill", "xavier"}
    r = subprocess.run([sys.executable, "-m", "xavier", "bench", "--help"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and "numpy_threaded" in r.stdout


# ---- --load ---------------------------------------------------------------------

def _gone(pid):
    """Whether process `pid` has ended (a zombie nobody reaps counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_background_load_runs_while_open_and_stops_on_exit_and_ctrl_c():
    with _bench.BackgroundLoad(2) as load:
        procs = list(load.procs)
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)
    with pytest.raises(KeyboardInterrupt):
        with _bench.BackgroundLoad(1) as load:
            procs = list(load.procs)
            raise KeyboardInterrupt
    assert all(p.poll() is not None for p in procs)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_background_load_ends_when_the_bench_is_killed(tmp_path):
    code = ("import sys, time\nfrom xavier._bench import BackgroundLoad\n"
            "load = BackgroundLoad(2).__enter__()\n"
            "print(*[p.pid for p in load.procs], flush=True)\ntime.sleep(120)\n")
    bench = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             cwd=tmp_path)
    pids = [int(x) for x in bench.stdout.readline().split()]
    assert len(pids) == 2 and not any(_gone(p) for p in pids)
    bench.kill()
    bench.wait()
    t0 = time.monotonic()
    while not all(_gone(p) for p in pids):
        assert time.monotonic() - t0 < 20, "a busy process outlived the bench"
        time.sleep(0.05)


def test_load_is_reported_with_one_thread_next_to_the_default(tmp_path, capsys):
    data = bench_json(tmp_path, "--load", 1, "--only", "xavier", "--dist", "uniform")
    default = xavier.config()["default_threads"]
    assert data["settings"]["load"] == 1
    assert data["settings"]["threads"] == sorted({1, default})
    assert sorted({r["threads"] for r in data["results"]}) == sorted({1, default})
    assert "under load: 1 busy background process" in capsys.readouterr().out


def test_load_is_bounded(capsys):
    assert run("bench", *TINY, "--load", _bench.max_load() + 1) == 2
    assert "--load" in capsys.readouterr().err
