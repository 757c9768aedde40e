"""`xavier generate` against hostile options, races, signals and file systems.

Each defect class has a test that hunts it, not only the example that found it:

* any ``--chunk-mb`` (fractional, tiny, huge) writes the same bytes, and the
  chunk buffers never exceed what the output needs;
* whatever ``generate`` writes loads with ``np.load`` and ``safetensors``;
  what cannot be written is refused up front (exit 2), nothing written;
* an existing output (file or directory) is never removed or replaced
  without ``--force``, even if it appears while the run writes;
* killed runs leave nothing (counting hidden files) where the file system
  has O_TMPFILE, and recognisable partials, removed by a later run,
  elsewhere; SIGHUP ends a run as SIGTERM does.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import xavier
from xavier import _files

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support import bits, hypothesis_settings, npy_bytes, start_generate, start_writing  # noqa: E402
from support import run_cli as run  # noqa: E402

safetensors_numpy = pytest.importorskip("safetensors.numpy")

SETTINGS = hypothesis_settings(40, HealthCheck.function_scoped_fixture)
DTYPES = ["float32", "float64", "float16", "bfloat16"]
ITEMSIZE = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2}


def fresh_dir(base, tag):
    """An empty directory under `base` (hypothesis reuses the function's tmp_path)."""
    path = base / f"{tag}-{time.monotonic_ns()}"
    path.mkdir()
    return path


def write_spec(path, tensors, metadata=None):
    spec = {"seed": 3, "tensors": tensors}
    if metadata is not None:
        spec["metadata"] = metadata
    path.write_text(json.dumps(spec))
    return path


def safetensors_layout(path):
    """{name: (dtype, shape, absolute begin, end)} from the file's own header."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    head = json.loads(raw[8: 8 + n])
    head.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], 8 + n + v["data_offsets"][0], 8 + n + v["data_offsets"][1])
            for k, v in head.items()}, raw


# ---- chunk sizes ------------------------------------------------------------

chunk_mbs = st.one_of(
    st.sampled_from(["0.7", "1.3", "2.9", "0.000001", "0.0000019", "0.00003", "64", "100000"]),
    st.floats(1e-6, 3.0, allow_nan=False).map(repr))
shapes = st.lists(st.integers(0, 90), min_size=1, max_size=3).map(tuple)


@SETTINGS
@given(shape=shapes, dtype=st.sampled_from(DTYPES), chunk_mb=chunk_mbs, seed=st.integers(0, 2**64))
def test_any_chunk_size_writes_the_bytes_of_np_save(tmp_path, shape, dtype, chunk_mb, seed):
    d = fresh_dir(tmp_path, "npy")
    out = d / "w.npy"
    assert run("generate", "--shape", *shape, "--dtype", dtype, "--seed", seed,
               "--chunk-mb", chunk_mb, "-q", "-o", out) == 0
    ref = xavier.glorot_uniform(shape, dtype=xavier._checks.check_dtype(dtype), seed=seed)
    assert out.read_bytes() == npy_bytes(ref)
    assert os.listdir(d) == ["w.npy"]


@SETTINGS
@given(entries=st.lists(st.tuples(shapes, st.sampled_from(DTYPES)), min_size=1, max_size=4),
       chunk_mb=chunk_mbs, fmt=st.sampled_from(["safetensors", "dir"]))
def test_any_chunk_size_writes_the_same_model(tmp_path, entries, chunk_mb, fmt):
    d = fresh_dir(tmp_path, "spec")
    tensors = {f"t{i}": {"shape": list(s), "dtype": dt, "init": "glorot_normal"}
               for i, (s, dt) in enumerate(entries)}
    spec = write_spec(d / "m.json", tensors)
    outs = []
    for mb in (chunk_mb, "64"):
        out = d / (f"{len(outs)}.safetensors" if fmt == "safetensors" else f"{len(outs)}")
        assert run("generate", "--spec", spec, "--chunk-mb", mb, "-q", "-o", out) == 0
        outs.append(out)
    if fmt == "dir":
        for name, e in tensors.items():
            got = (outs[0] / f"{name}.npy").read_bytes()
            assert got == (outs[1] / f"{name}.npy").read_bytes()
            ref = xavier.glorot_normal(tuple(e["shape"]),
                                       dtype=xavier._checks.check_dtype(e["dtype"]),
                                       seed=xavier.named_seed(3, name))
            assert got == npy_bytes(ref)
        return
    assert outs[0].read_bytes() == outs[1].read_bytes()
    layout, raw = safetensors_layout(outs[0])
    for name, e in tensors.items():
        _, shape, begin, end = layout[name]
        ref = xavier.glorot_normal(tuple(e["shape"]), dtype=xavier._checks.check_dtype(e["dtype"]),
                                   seed=xavier.named_seed(3, name))
        assert raw[begin:end] == bits(ref).tobytes()
        assert begin % ITEMSIZE[e["dtype"]] == 0      # aligned, as the official writer does


def test_chunk_buffers_never_exceed_the_output(tmp_path):
    req = xavier._inits.request("glorot_uniform", (1000, 1000))
    tensor = _files.Tensor("w", req, xavier._seeds.seed_key(1))
    streamer = _files.Streamer(100_000 * 2**20, 1, None)        # --chunk-mb 100000
    out = _files.AtomicFile(str(tmp_path / "w.bin"))
    streamer.write(out, [tensor])
    out.commit()
    assert sum(b.nbytes for b in streamer._bufs if b is not None) <= req.nbytes
    assert (tmp_path / "w.bin").read_bytes() == bits(
        xavier.glorot_uniform((1000, 1000), seed=1)).tobytes()


# ---- what the official loaders take -------------------------------------------

names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\0"),
                min_size=1, max_size=12).filter(lambda n: not n.startswith("."))


@SETTINGS
@given(entries=st.dictionaries(names, st.tuples(shapes, st.sampled_from(DTYPES)), min_size=1,
                               max_size=5),
       meta=st.dictionaries(st.text(max_size=8).filter(lambda k: not _files.reserved_key(k)),
                            st.text(max_size=20), max_size=3))
def test_every_safetensors_file_loads_with_the_official_readers(tmp_path, entries, meta):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    d = fresh_dir(tmp_path, "st")
    tensors = {n: {"shape": list(s), "dtype": dt, "init": "he_uniform"}
               for n, (s, dt) in entries.items()}
    out = d / "m.safetensors"
    rc = run("generate", "--spec", write_spec(d / "m.json", tensors, meta), "-q", "-o", out)
    if "__metadata__" in tensors:
        assert rc == 2 and not out.exists()
        return
    assert rc == 0
    loaded = st_torch.load_file(str(out))
    assert set(loaded) == set(tensors)
    for n, e in tensors.items():
        assert tuple(loaded[n].shape) == tuple(e["shape"])
        ref = xavier.he_uniform(tuple(e["shape"]), dtype=xavier._checks.check_dtype(e["dtype"]),
                                seed=xavier.named_seed(3, n))
        t = loaded[n]
        got = (t.view(torch.int16).numpy().view(np.uint16) if t.dtype == torch.bfloat16
               else bits(t.numpy()))
        assert np.array_equal(got, bits(ref))
    if all(e["dtype"] != "bfloat16" for e in tensors.values()):
        assert set(safetensors_numpy.load_file(str(out))) == set(tensors)
    from safetensors import safe_open
    with safe_open(str(out), "np" if "bfloat16" not in str(tensors) else "pt") as f:
        got_meta = f.metadata()
    assert {k: got_meta[k] for k in meta} == meta and got_meta["xavier.seed"] == "3"


@pytest.mark.parametrize("argv,message", [
    (["--shape", *[1] * 100, "-o", "w.npy"], "NumPy reads at most"),
    (["--shape", *[1] * 100, "-o", "w.safetensors"], "NumPy reads at most"),
    (["--shape", 0, 1180591620717411303424, "-o", "w.npy"], "at most"),
    (["--shape", 3, "--name", "__metadata__", "-o", "w.safetensors"], "reserves that key"),
    (["--shape", 3, "-o", "missing/w.npy"], "missing does not exist"),
    (["--shape", 3, "-o", "m.json/w.npy"], "is not a directory"),
    (["--shape", 3, "-o", "x" * 252 + ".npy"], "longer than 255 bytes"),
])
def test_what_cannot_be_written_is_refused_up_front(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.json").write_text("{}")
    assert run("generate", *argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and ".partial" not in err
    assert os.listdir(tmp_path) == ["m.json"]


def test_spec_refusals_are_short_and_up_front(tmp_path, capsys):
    long_name = "n" * 10_000
    cases = [
        ({long_name: {"shape": [3], "init": "zeros"}}, None, "m", "too long for a file name"),
        ({"__metadata__": {"shape": [3], "init": "zeros"}}, None, "m.safetensors",
         "reserves that key"),
        ({"w": {"shape": [3], "init": "zeros"}}, {"big": "x" * 100_000_001}, "m.safetensors",
         "readers refuse more than 100000000"),
    ]
    for tensors, meta, out, message in cases:
        spec = write_spec(tmp_path / "m.json", tensors, meta)
        assert run("generate", "--spec", spec, "-o", tmp_path / out) == 2
        err = capsys.readouterr().err
        assert message in err and len(err) < 700 and err.count("\n") == 1
        assert sorted(os.listdir(tmp_path)) == ["m.json"]
    # a tensor may be called __metadata__ in a directory, where it is just a file name
    spec = write_spec(tmp_path / "m.json", cases[1][0])
    assert run("generate", "--spec", spec, "-q", "-o", tmp_path / "d") == 0
    assert np.load(tmp_path / "d" / "__metadata__.npy").tolist() == [0, 0, 0]


def test_duplicate_json_keys_are_an_error(tmp_path, capsys):
    (tmp_path / "m.json").write_text('{"tensors": {"w": {"shape": [3], "init": "zeros"},'
                                     ' "w": {"shape": [4], "init": "ones"}}}')
    assert run("generate", "--spec", tmp_path / "m.json", "-o", tmp_path / "m") == 2
    assert "duplicate key 'w'" in capsys.readouterr().err


def test_free_space_message_tells_close_figures_apart(tmp_path, monkeypatch):
    need = 48 * 2**20 + 5
    monkeypatch.setattr(_files.shutil, "disk_usage", lambda p: type("U", (), {"free": need - 1})())
    with pytest.raises(OSError, match=f"needs {need} bytes but .* has {need - 1} bytes free"):
        _files.check_free_space(str(tmp_path), need)


def test_huge_thread_counts_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "w.npy"
    assert run("generate", "--shape", 64, 64, "--seed", 1, "--threads", 10**10, "-q",
               "-o", out) == 0
    err = capsys.readouterr().err
    assert (err.startswith("xavier: warning: threads (10000000000) is more than")
            and err.count("\n") == 1)
    assert np.array_equal(np.load(out), xavier.glorot_uniform((64, 64), seed=1))


# ---- existing outputs and races ----------------------------------------------

SPEC = {"a": {"shape": [300, 200], "init": "glorot_uniform"},
        "b": {"shape": [200], "init": "zeros"}}


@pytest.mark.parametrize("fmt", ["npy", "safetensors", "dir"])
@pytest.mark.parametrize("appears", ["file", "dir", "symlink"])
def test_an_output_that_appears_while_writing_is_never_replaced(tmp_path, monkeypatch, capsys,
                                                                 fmt, appears):
    """The defect: a directory made (with a file in it) while a run wrote to
    that name was deleted, exit 0.  Whatever appears, without --force the run
    loses with exit 1, and the newcomer is untouched."""
    target = tmp_path / ({"npy": "w.npy", "safetensors": "w.safetensors", "dir": "w"}[fmt])
    real = _files.Streamer.write

    def write(self, out, tensors, prefix=()):
        real(self, out, tensors, prefix)
        if not os.path.lexists(target):
            if appears == "file":
                target.write_text("precious")
            elif appears == "dir":
                target.mkdir()
                (target / "keep.txt").write_text("precious")
            else:
                target.symlink_to(tmp_path / "elsewhere")

    monkeypatch.setattr(_files.Streamer, "write", write)
    args = ["--spec", write_spec(tmp_path / "m.json", SPEC)] if fmt != "npy" else ["--shape", 30]
    assert run("generate", *args, "-q", "-o", target) == 1
    assert "exists" in capsys.readouterr().err
    if appears == "file":
        assert target.read_text() == "precious"
    elif appears == "dir":
        assert (os.listdir(target) == ["keep.txt"]
                and (target / "keep.txt").read_text() == "precious")
    else:
        assert os.readlink(target) == str(tmp_path / "elsewhere")
    assert sorted(os.listdir(tmp_path)) == sorted(["m.json", target.name][fmt == "npy":])


@pytest.mark.parametrize("fmt", ["w.safetensors", "w"])
def test_force_replaces_atomically_and_leaves_nothing_else(tmp_path, fmt):
    spec = write_spec(tmp_path / "m.json", SPEC)
    target = tmp_path / fmt
    if fmt == "w":
        target.mkdir()
        (target / "old.txt").write_text("old")
    else:
        target.write_text("old")
    assert run("generate", "--spec", spec, "--force", "-q", "-o", target) == 0
    assert sorted(os.listdir(tmp_path)) == sorted(["m.json", fmt])
    if fmt == "w":
        assert sorted(os.listdir(target)) == ["a.npy", "b.npy"]
    else:
        assert set(safetensors_numpy.load_file(str(target))) == {"a", "b"}


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("target", ["w", "w.safetensors", "w.npy"])
def test_two_runs_racing_for_one_target(tmp_path, target, force):
    spec = write_spec(tmp_path / "m.json", {"w": {"shape": [1500, 1000], "init": "glorot_normal"}})
    what = ["--shape", 1500, 1000, "--init", "glorot_normal", "--seed", 3] if target == "w.npy" \
        else ["--spec", spec]
    for _ in range(3):
        out = fresh_dir(tmp_path, "race") / target
        procs = [start_generate([*what, "--chunk-mb", "0.5", "-q", "-o", out,
                                 *(["--force"] * force)], tmp_path) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = sorted(rc for rc, _ in results)
        if force:
            assert codes == [0, 0], results
        else:
            assert codes == [0, 1], results
            assert "exists" in max(results)[1]
        assert os.listdir(out.parent) == [target]
        ref = xavier.glorot_normal((1500, 1000), seed=xavier.named_seed(3, "w")
                                   if target != "w.npy" else 3)
        got = np.load(out / "w.npy") if target == "w" else \
            np.load(out) if target == "w.npy" else safetensors_numpy.load_file(str(out))["w"]
        assert np.array_equal(got, ref)


# ---- killed runs and partial files -------------------------------------------

BIG_SPEC = {f"layer{i}": {"shape": [2048, 4096], "init": "glorot_uniform"} for i in range(8)}


@pytest.mark.parametrize("target", ["big.npy", "big.safetensors", "big"])
def test_sigkill_leaves_nothing_hidden_on_o_tmpfile_file_systems(tmp_path, target):
    spec = write_spec(tmp_path / "m.json", BIG_SPEC)
    d = fresh_dir(tmp_path, "kill")
    if _files._unnamed_file(str(d)) is None:
        pytest.skip("this file system has no O_TMPFILE (see the partial-file tests)")
    what = ["--shape", 16384, 8192] if target.endswith(".npy") else ["--spec", spec]
    p = start_writing([*what, "-o", d / target], tmp_path, at_least=64 << 20)
    p.kill()
    p.wait(timeout=60)
    assert os.listdir(d) == []          # hidden files included


def test_sighup_ends_a_run_as_sigterm_does(tmp_path):
    d = fresh_dir(tmp_path, "hup")
    p = start_writing(["--shape", 16384, 16384, "-o", d / "big.npy"], tmp_path)
    p.send_signal(signal.SIGHUP)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGHUP
    assert "interrupted" in err and "was not written" in err
    assert os.listdir(d) == []


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_partials_of_dead_writers_are_removed_never_live_ones(tmp_path, monkeypatch):
    """Where there is no O_TMPFILE, a killed writer's partial file stays; its
    name says whose it is, and the next run into the directory removes it
    (a live writer's, another host's and look-alike names are kept)."""
    monkeypatch.setattr(_files, "_unnamed_file", lambda directory: None)
    live = _files.partial_name("live.npy")
    pid = os.getpid()
    dead_pid = _dead_pid()
    dead = live.replace(f"-{pid}-", f"-{dead_pid}-")
    reused = live.replace(f"-{_files._start_time(pid)}-", "-1-")     # our pid, another start
    other_host = live.replace(f".xavier-{_files._host_tag()}-", ".xavier-00000000-")
    look_alike = ".notes.partial"
    (tmp_path / "stale-dir").mkdir()
    dead_dir = tmp_path / _files.partial_name("model").replace(f"-{pid}-", f"-{dead_pid}-")
    (tmp_path / "stale-dir").rename(dead_dir)
    (dead_dir / "a.npy").write_text("x")
    for name in (live, dead, reused, other_host, look_alike):
        (tmp_path / name).write_text("x")
    assert run("generate", "--shape", 10, "-q", "-o", tmp_path / "w.npy") == 0
    assert sorted(os.listdir(tmp_path)) == sorted([live, other_host, look_alike, "w.npy"])


@pytest.mark.parametrize("tmpfile", [True, False])
@pytest.mark.parametrize("force", [False, True])
def test_names_up_to_name_max_work_on_every_path(tmp_path, monkeypatch, tmpfile, force):
    if not tmpfile:
        monkeypatch.setattr(_files, "_unnamed_file", lambda directory: None)
    name = "é" * 125 + ".npy"                       # 254 bytes in UTF-8
    assert len(os.fsencode(name)) <= 255
    for _ in range(1 + force):
        assert run("generate", "--shape", 10, "--seed", 1, "-q", *(["--force"] * force),
                   "-o", tmp_path / name) == 0
    assert os.listdir(tmp_path) == [name]
    dname = "d" * 255
    spec = write_spec(tmp_path / "m.json", {"t" * 251: {"shape": [4], "init": "ones"}})
    for _ in range(1 + force):
        assert run("generate", "--spec", spec, "-q", *(["--force"] * force),
                   "-o", tmp_path / dname) == 0
    assert os.listdir(tmp_path / dname) == ["t" * 251 + ".npy"]
    assert sorted(os.listdir(tmp_path)) == sorted([name, dname, "m.json"])


def test_without_o_tmpfile_a_failed_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_files, "_unnamed_file", lambda directory: None)
    spec = write_spec(tmp_path / "m.json", SPEC)
    real = _files.StagedFile.write
    calls = []

    def write(self, data):
        calls.append(1)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real(self, data)

    monkeypatch.setattr(_files.StagedFile, "write", write)
    for out in ("w.npy", "w.safetensors", "w"):
        calls.clear()
        what = ["--shape", 500, 500] if out == "w.npy" else ["--spec", spec]
        assert run("generate", *what, "--chunk-mb", "0.1", "-o", tmp_path / out) == 1
        assert f"{out} was not written" in capsys.readouterr().err
        assert os.listdir(tmp_path) == ["m.json"]


def test_many_tensors_to_a_directory(tmp_path):
    """More tensors than are held open at once: named in a staging directory as they go."""
    n = _files._HELD_MAX + 3
    spec = write_spec(tmp_path / "m.json",
                      {f"t{i}": {"shape": [2], "init": "ones"} for i in range(n)})
    assert run("generate", "--spec", spec, "-q", "-o", tmp_path / "d") == 0
    assert len(os.listdir(tmp_path / "d")) == n
    assert sorted(os.listdir(tmp_path)) == ["d", "m.json"]


def test_a_concurrent_cleaner_never_takes_a_live_partial(tmp_path, monkeypatch):
    """Two writers into one directory without O_TMPFILE: each one's start-up
    cleaning must leave the other's partial file alone."""
    monkeypatch.setattr(_files, "_unnamed_file", lambda directory: None)
    errors = []

    def writer(i):
        try:
            for k in range(5):
                assert run("generate", "--shape", 200, 200, "--seed", i, "--chunk-mb", "0.01",
                           "-q", "-o", tmp_path / f"w{i}-{k}.npy") == 0
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(os.listdir(tmp_path)) == 10


def _catches(pid, signum):
    """Whether process `pid` has a handler for `signum` (SigCgt in /proc)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            caught = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt"))
    except (OSError, StopIteration):
        return False
    return bool(caught >> (signum - 1) & 1)


@pytest.mark.parametrize("delay", [0, 0.01, 0.03, 0.06])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_at_start_up_is_a_clean_interrupt(tmp_path, sig, delay):
    """The handlers go in before NumPy and the core load: a signal in the
    first moment after they do (while everything else still loads) ends the
    run with the message and 128 + signal, never a traceback."""
    # importing the entry point loads neither NumPy nor the core: main() gets
    # to install its handlers before the slow part of start-up
    code = "import sys, xavier._cli; print(sorted(m for m in sys.modules if 'numpy' in m or " \
           "m == 'xavier._core'))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       cwd=tmp_path)
    assert r.stdout.strip() == "[]"
    if not os.path.exists("/proc/self/status"):
        pytest.skip("no /proc here")
    p = start_generate(["--shape", 4096, 4096, "-o", tmp_path / "w.npy"], tmp_path)
    t0 = time.monotonic()
    while not _catches(p.pid, signal.SIGHUP):
        assert p.poll() is None and time.monotonic() - t0 < 30
    time.sleep(delay)      # anywhere in the loading of NumPy, the core and the rest
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, err
    assert "Traceback" not in err and "interrupted" in err
    assert os.listdir(tmp_path) == []


def _float32_near_bfloat16_ties():
    """float32 values whose low 16 bits are at, or one step from, a bfloat16
    rounding tie (high half even or odd), and any others."""
    high = st.integers(0, 0xFFFF).filter(lambda h: h & 0x7F80 != 0x7F80)   # finite
    low = st.sampled_from([0x7FFF, 0x8000, 0x8001, 0]) | st.integers(0, 0xFFFF)
    return st.builds(lambda h, lo: float(np.uint32(h << 16 | lo).view(np.float32)), high, low)


@given(value=_float32_near_bfloat16_ties() | st.floats(allow_nan=False, allow_infinity=False))
@hypothesis_settings(400)
def test_bfloat16_constants_are_the_value_rounded_to_nearest_even(value):
    """A bfloat16 constant (zeros, ones, constant) is float32(value) rounded
    to nearest even, as ml_dtypes (and the core's own rounding) give it."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    with np.errstate(over="ignore"):
        want = np.float32(value).astype(ml_dtypes.bfloat16)
    if not np.isfinite(want):
        return   # beyond bfloat16: the request refuses such values
    req = xavier._inits.request("constant", (3,), "bfloat16", {"value": value})
    buf = np.empty(3, np.uint16)
    req.fill_range(buf, 0, xavier._seeds.seed_key(0), 1)
    assert (buf == want.view(np.uint16)).all()
