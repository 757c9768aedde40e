"""The command line: `xavier generate` (files, specs, atomicity, memory) and `xavier info`."""
import argparse
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from support import bits, npy_bytes, start_writing
from support import run_cli as run

import xavier
from xavier import _cli, _files, _reader

safetensors_numpy = pytest.importorskip("safetensors.numpy")


# ---- single tensors ---------------------------------------------------------

CASES = [
    ((50, 37), "glorot_uniform", "float32", [],
     lambda s, dt, seed: xavier.glorot_uniform(s, dtype=dt, seed=seed)),
    ((3, 3, 16, 8), "glorot_normal", "float64", ["--gain", "2.5"],
     lambda s, dt, seed: xavier.glorot_normal(s, 2.5, dtype=dt, seed=seed)),
    ((64, 32, 3), "he_normal", "bfloat16", ["--truncated", "true", "--layout", "torch"],
     lambda s, dt, seed: xavier.he_normal(s, truncated=True, layout="torch", dtype=dt, seed=seed)),
    ((1001,), "normal", "float16", ["--mean", "1", "--std", "0.5"],
     lambda s, dt, seed: xavier.normal(s, 1.0, 0.5, dtype=dt, seed=seed)),
    ((40, 41), "truncated_normal", "float32", ["--std", "2", "--a", "-1", "--b", "3"],
     lambda s, dt, seed: xavier.truncated_normal(s, 0.0, 2.0, -1.0, 3.0, dtype=dt, seed=seed)),
    ((8, 4, 5, 6), "variance_scaling", "float32",
     ["--scale", "2", "--mode", "fan_out", "--distribution", "uniform", "--batch-axis", "0"],
     lambda s, dt, seed: xavier.variance_scaling(s, 2.0, "fan_out", "uniform", batch_axis=0,
                                                 dtype=dt, seed=seed)),
    ((0, 5), "lecun_uniform", "float32", [],
     lambda s, dt, seed: xavier.lecun_uniform(s, dtype=dt, seed=seed)),
]


@pytest.mark.parametrize("shape,init,dtype,extra,api", CASES)
@pytest.mark.parametrize("chunk_mb", ["0.001", "0.0123", "64"])
def test_npy_is_np_save_of_the_api_call(tmp_path, shape, init, dtype, extra, api, chunk_mb):
    out = tmp_path / "w.npy"
    assert run("generate", "--shape", *shape, "--init", init, "--dtype", dtype, "--seed", 11,
               *extra, "--chunk-mb", chunk_mb, "-q", "-o", out) == 0
    dt = xavier._checks.check_dtype(dtype)
    assert out.read_bytes() == npy_bytes(api(shape, dt, 11))
    assert sorted(os.listdir(tmp_path)) == ["w.npy"]   # nothing else left behind


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_do_not_change_the_file(tmp_path, threads):
    out = tmp_path / "w.npy"
    run("generate", "--shape", 300, 700, "--init", "glorot_normal", "--seed", 5, "--threads",
        threads, "--chunk-mb", "0.1", "-q", "-o", out)
    assert np.array_equal(np.load(out), xavier.glorot_normal((300, 700), seed=5))


def test_single_tensor_safetensors(tmp_path):
    out = tmp_path / "fc.safetensors"
    assert run("generate", "--shape", 256, 128, "--init", "he_uniform", "--seed", 3,
               "--name", "fc.weight", "-q", "-o", out) == 0
    d = safetensors_numpy.load_file(str(out))
    assert list(d) == ["fc.weight"]
    assert np.array_equal(d["fc.weight"], xavier.he_uniform((256, 128), seed=3))


def test_options_that_do_not_apply_are_refused(tmp_path, capsys):
    assert run("generate", "--shape", 3, 3, "--init", "he_uniform", "--gain", 2, "-o",
               tmp_path / "x.npy") == 2
    assert "--gain does not apply to --init he_uniform" in capsys.readouterr().err
    assert run("generate", "--shape", 3, 3, "--init", "normal", "--std", -1, "-o",
               tmp_path / "x.npy") == 2
    assert "std must be non-negative" in capsys.readouterr().err
    assert run("generate", "--shape", 3, 3, "-o", tmp_path / "x.bin") == 2
    assert "--format" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_bad_arguments_exit_2(tmp_path, capsys):
    for argv in (["generate", "--shape", "-3", "-o", "x.npy"],
                 ["generate", "--shape", "3", "--chunk-mb", "0", "-o", "x.npy"],
                 ["generate", "--shape", "3", "--spec", "m.toml", "-o", "x.npy"],
                 ["generate", "--shape", "3", "--init", "nope", "-o", "x.npy"]):
        with pytest.raises(SystemExit) as e:
            _cli.main(argv)
        assert e.value.code == 2
    capsys.readouterr()


def test_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "w.npy"
    out.write_bytes(b"keep me")
    assert run("generate", "--shape", 10, "--seed", 1, "-q", "-o", out) == 1
    assert "exists" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert run("generate", "--shape", 10, "--seed", 1, "-q", "--force", "-o", out) == 0
    assert np.array_equal(np.load(out), xavier.glorot_uniform(10, seed=1))
    assert sorted(os.listdir(tmp_path)) == ["w.npy"]


def test_seed_none_is_reported_and_reproducible(tmp_path, capsys):
    out = tmp_path / "a.safetensors"
    assert run("generate", "--shape", 20, 30, "-o", out) == 0
    err = capsys.readouterr().err
    seed = int(err.rsplit("seed ", 1)[1])
    assert np.array_equal(safetensors_numpy.load_file(str(out))["weight"],
                          xavier.glorot_uniform((20, 30), seed=seed))
    _, _, meta = _reader.read_tensors(str(out))
    assert meta["xavier.seed"] == str(seed)


# ---- specs ------------------------------------------------------------------

SPEC = """
seed = 7

[defaults]
dtype = "float16"
layout = "torch"

[tensors."embed.weight"]
shape = [100, 64]
init = "normal"
std = 0.02

[tensors."fc1.weight"]
shape = [128, 64]
init = "glorot_uniform"
gain = 1.5

[tensors."fc1.bias"]
shape = [128]
init = "zeros"

[tensors."norm.weight"]
shape = [64]
init = "ones"
dtype = "float32"

[tensors."conv.weight"]
shape = [16, 8, 3, 3]
init = "he_normal"
truncated = true
dtype = "bfloat16"

[tensors.scale]
shape = [3]
init = "constant"
value = 0.25

[metadata]
model = "demo"
"""


def expected(name, seed=7):
    s = xavier.named_seed(seed, name)
    return {
        "embed.weight": lambda: xavier.normal((100, 64), 0.0, 0.02, dtype=np.float16, seed=s),
        "fc1.weight": lambda: xavier.glorot_uniform((128, 64), 1.5, layout="torch",
                                                    dtype=np.float16, seed=s),
        "fc1.bias": lambda: np.zeros(128, np.float16),
        "norm.weight": lambda: np.ones(64, np.float32),
        "conv.weight": lambda: xavier.he_normal((16, 8, 3, 3), truncated=True, layout="torch",
                                                dtype="bfloat16", seed=s),
        "scale": lambda: np.full(3, 0.25, np.float16),
    }[name]()


def test_spec_to_safetensors_loads_with_the_safetensors_library(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    (tmp_path / "m.toml").write_text(SPEC)
    out = tmp_path / "m.safetensors"
    assert run("generate", "--spec", tmp_path / "m.toml", "--chunk-mb", "0.003", "-q",
               "-o", out) == 0
    loaded = st_torch.load_file(str(out))
    # data in file order: 4-byte items first, so every tensor is aligned to its item size
    assert list(loaded) == ["norm.weight", "embed.weight", "fc1.weight", "fc1.bias",
                            "conv.weight", "scale"]
    for name, t in loaded.items():
        ref = expected(name)
        assert tuple(t.shape) == ref.shape
        if t.dtype == torch.bfloat16:
            assert np.array_equal(t.view(torch.int16).numpy().view(np.uint16), bits(ref))
        else:
            assert np.array_equal(bits(t.numpy()), bits(ref)), name
    _, tensors, meta = _reader.read_tensors(str(out))
    assert meta["model"] == "demo" and meta["xavier.seed"] == "7"
    assert json.loads(meta["xavier.tensors"])["fc1.weight"]["gain"] == 1.5


def test_spec_without_bfloat16_loads_with_safetensors_numpy(tmp_path):
    (tmp_path / "m.toml").write_text(SPEC.replace('dtype = "bfloat16"', 'dtype = "float64"'))
    out = tmp_path / "m.safetensors"
    assert run("generate", "--spec", tmp_path / "m.toml", "-q", "-o", out) == 0
    loaded = safetensors_numpy.load_file(str(out))
    assert np.array_equal(loaded["fc1.weight"], expected("fc1.weight"))
    assert loaded["conv.weight"].dtype == np.float64


def test_spec_to_a_directory_and_json_spec(tmp_path):
    spec = {"seed": 9, "tensors": {"a": {"shape": [30, 20], "init": "lecun_normal"},
                                   "b": {"shape": [5], "init": "uniform", "low": -2, "high": 2}}}
    (tmp_path / "m.json").write_text(json.dumps(spec))
    out = tmp_path / "weights"
    assert run("generate", "--spec", tmp_path / "m.json", "-q", "-o", out) == 0
    assert sorted(os.listdir(out)) == ["a.npy", "b.npy"]
    assert (out / "a.npy").read_bytes() == npy_bytes(
        xavier.lecun_normal((30, 20), seed=xavier.named_seed(9, "a")))
    assert np.array_equal(np.load(out / "b.npy"),
                          xavier.uniform(5, -2, 2, seed=xavier.named_seed(9, "b")))
    assert [e for e in os.listdir(tmp_path) if e.startswith(".")] == []
    # --seed overrides the spec's; --force replaces the directory
    assert run("generate", "--spec", tmp_path / "m.json", "--seed", 10, "-q", "-o", out) == 1
    assert run("generate", "--spec", tmp_path / "m.json", "--seed", 10, "--force", "-q",
               "-o", out) == 0
    assert np.array_equal(np.load(out / "b.npy"),
                          xavier.uniform(5, -2, 2, seed=xavier.named_seed(10, "b")))
    assert sorted(os.listdir(tmp_path)) == ["m.json", "weights"]


def test_editing_one_tensor_leaves_the_others(tmp_path):
    (tmp_path / "a.toml").write_text(SPEC)
    edited = SPEC.replace("gain = 1.5", "gain = 0.5").replace(
        "[metadata]",
        '[tensors."new.weight"]\nshape = [4, 4]\ninit = "glorot_normal"\n\n[metadata]')
    (tmp_path / "b.toml").write_text(edited)
    run("generate", "--spec", tmp_path / "a.toml", "-q", "-o", tmp_path / "a")
    run("generate", "--spec", tmp_path / "b.toml", "-q", "-o", tmp_path / "b")
    for name in ("embed.weight", "conv.weight", "norm.weight"):
        assert (tmp_path / "a" / f"{name}.npy").read_bytes() == \
            (tmp_path / "b" / f"{name}.npy").read_bytes()
    assert (tmp_path / "a" / "fc1.weight.npy").read_bytes() != \
        (tmp_path / "b" / "fc1.weight.npy").read_bytes()


@pytest.mark.parametrize("bad,message", [
    ('[tensors.x]\nshape = [3, 3]\ninit = "glorot_uniform"\nstd = 1\n', "does not take std"),
    ('[tensors.x]\nshape = [3, -3]\ninit = "glorot_uniform"\n', "non-negative"),
    ('[tensors.x]\nshape = [3, 3]\ninit = "gloria"\n', "init must be one of"),
    ('[tensors.x]\nshape = [3, 3]\ninit = "normal"\ndtype = "int8"\n', "dtype"),
    ('[tensors.x]\ninit = "normal"\n', "no shape"),
    ('[tensors.x]\nshape = [3]\ninit = "constant"\n', "needs a value"),
    ('[tensors.x]\nshape = [3]\ninit = "normal"\n[tensors.y]\nshape = [3]\n', "missing init"),
    ('[tensors.x]\nshape = [3]\ninit = "normal"\n[metadata]\nformat = "tf"\n', "'format' are"),
    ('[tensors.x]\nshape = [3]\ninit = "normal"\n[metadata]\n"xavier.seed" = "1"\n',
     "written by xavier itself"),
    ("[tensors.x]\nshape = [" + "1, " * 70 + "1]\ninit = \"normal\"\n", "NumPy reads at most"),
    ('[tensors.x]\nshape = [0, 1180591620717411303424]\ninit = "normal"\n', "at most"),
    ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
    ("[tensors.x]\nshape = " + "[" * 50_000 + "]" * 50_000 + "\ninit = \"normal\"\n",
     "nested too deeply"),
    ('colour = "red"\n[tensors.x]\nshape = [3]\ninit = "normal"\n', "unknown key"),
    ('seed = -1\n[tensors.x]\nshape = [3]\ninit = "normal"\n', "seed must be non-negative"),
    ('[defaults]\nshape = [3]\n', "cannot set a shape"),
    ('[defaults]\ngian = 2\n', "unknown default(s) gian"),
    ('[tensors.x\n', "not valid TOML"),
])
def test_a_bad_spec_is_rejected_before_anything_is_written(tmp_path, capsys, bad, message):
    good = '[tensors.big]\nshape = [1000, 1000]\ninit = "glorot_uniform"\n'
    (tmp_path / "m.toml").write_text(good + bad if bad.startswith("[") else bad + good)
    for out in ("m.safetensors", "m"):
        assert run("generate", "--spec", tmp_path / "m.toml", "-o", tmp_path / out) == 2
        assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["m.toml"]


def test_a_spec_needs_tensors():
    from xavier._spec import SpecError, parse_spec
    for data in ({}, {"tensors": {}}, {"seed": 1}):
        with pytest.raises(SpecError, match="no tensors"):
            parse_spec(data)


def test_names_that_cannot_be_files(tmp_path, capsys):
    (tmp_path / "m.toml").write_text('[tensors."dense/kernel"]\nshape = [3, 3]\ninit = "ones"\n')
    assert run("generate", "--spec", tmp_path / "m.toml", "-q", "-o", tmp_path / "d") == 2
    assert "cannot be a file name" in capsys.readouterr().err
    assert run("generate", "--spec", tmp_path / "m.toml", "-q", "-o",
               tmp_path / "d.safetensors") == 0   # fine inside one file
    assert "dense/kernel" in safetensors_numpy.load_file(str(tmp_path / "d.safetensors"))


# ---- failures: disk full, interrupts, kill ----------------------------------

def test_free_space_is_checked_up_front(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_files.shutil, "disk_usage", lambda p: type("U", (), {"free": 1000})())
    assert run("generate", "--shape", 100, 100, "-o", tmp_path / "w.npy") == 1
    err = capsys.readouterr().err
    assert "not enough free disk space" in err and "was not written" in err
    assert os.listdir(tmp_path) == []


def test_disk_full_mid_write_leaves_nothing(tmp_path, monkeypatch, capsys):
    real = _files.StagedFile.write
    calls = []

    def write(self, data):
        calls.append(len(data))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(self, data)

    monkeypatch.setattr(_files.StagedFile, "write", write)
    for out in ("w.npy", "w.safetensors"):
        calls.clear()
        assert run("generate", "--shape", 1000, 1000, "--chunk-mb", "0.5",
                   "-o", tmp_path / out) == 1
        err = capsys.readouterr().err
        assert "No space left on device" in err and f"{out} was not written" in err
    (tmp_path / "m.toml").write_text(SPEC)
    calls.clear()
    assert run("generate", "--spec", tmp_path / "m.toml", "-o", tmp_path / "d") == 1
    assert [e for e in os.listdir(tmp_path)] == ["m.toml"]


def _start_big_write(out, extra=()):
    return start_writing(["--shape", 16384, 16384, "--seed", 2, "-o", out, *extra],
                         cwd=os.path.dirname(out), at_least=64 << 20)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_leaves_no_output(tmp_path, sig, code):
    out = tmp_path / "big.npy"
    p = _start_big_write(out)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code
    assert "interrupted" in err and "was not written" in err
    assert os.listdir(tmp_path) == []


def test_killed_writer_leaves_no_target_and_a_rerun_succeeds(tmp_path):
    out = tmp_path / "big.npy"
    p = _start_big_write(out)
    p.kill()
    p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL
    assert not out.exists()
    assert [e for e in os.listdir(tmp_path) if not e.startswith(".")] == []
    assert run("generate", "--shape", 16384, 16384, "--seed", 2, "-q", "-o", out) == 0
    got = np.load(out, mmap_mode="r")
    ref = xavier.glorot_uniform((16384, 16384), seed=2, out=np.empty((16384, 16384), np.float32))
    assert np.array_equal(got, ref)


def _peak_rss_kib(args, cwd):
    code = ("import resource, sys\nfrom xavier._cli import main\nrc = main(sys.argv[1:])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(rc)\n")
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True, check=True, cwd=cwd)
    return int(r.stdout.split()[-1])


def test_peak_memory_does_not_grow_with_the_tensor(tmp_path):
    chunk_mb = 4
    small = _peak_rss_kib(["generate", "--shape", 1024, 1024, "--chunk-mb", chunk_mb, "-q",
                           "-o", tmp_path / "s.npy"], tmp_path)          # 4 MiB: one chunk
    big = _peak_rss_kib(["generate", "--shape", 12288, 8192, "--chunk-mb", chunk_mb, "-q",
                         "-o", tmp_path / "b.npy"], tmp_path)            # 384 MiB: 96 chunks
    assert (tmp_path / "b.npy").stat().st_size > 384 << 20
    # two chunk buffers at most, beyond the small run's
    assert big - small < 2 * chunk_mb * 1024 + 16 * 1024, (small, big)


def _subparsers():
    """The subcommands' parsers, by name, as `xavier` builds them."""
    (sub,) = [a for a in _cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


def test_every_subcommand_has_its_command():
    assert list(_subparsers()) == ["generate", "info", "config", "bench", "demo"]
    for name, parser in _subparsers().items():
        assert parser.get_default("cmd").__name__ == f"cmd_{name}"


@pytest.mark.parametrize("name", ["generate", "info", "config", "bench", "demo"])
def test_help_of_every_subcommand_lists_its_options(name, capsys):
    parser = _subparsers()[name]
    with pytest.raises(SystemExit) as e:
        _cli.main([name, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: xavier {name} ")
    declared = [s for a in parser._actions for s in a.option_strings]
    assert "--help" in declared
    for option in declared:
        assert option in out, option
    for a in parser._actions:
        if not a.option_strings:   # a positional argument: its name
            assert (a.metavar or a.dest) in out


def test_python_dash_m_and_version(tmp_path):
    r = subprocess.run([sys.executable, "-m", "xavier", "--version"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"xavier {xavier.__version__}"
    r = subprocess.run([sys.executable, "-m", "xavier", "generate", "--help"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "--chunk-mb" in r.stdout and "examples:" in r.stdout


# ---- info -------------------------------------------------------------------

def test_info_statistics_match_numpy(tmp_path, capsys):
    (tmp_path / "m.toml").write_text(SPEC)
    out = tmp_path / "m.safetensors"
    run("generate", "--spec", tmp_path / "m.toml", "-q", "-o", out)
    assert run("info", out, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "safetensors" and report["metadata"]["model"] == "demo"
    for row in report["tensors"]:
        ref = expected(row["name"]).astype(np.float64)
        assert row["shape"] == list(ref.shape)
        assert row["mean"] == pytest.approx(ref.mean(), rel=1e-9, abs=1e-12)
        assert row["std"] == pytest.approx(ref.std(), rel=1e-9, abs=1e-12)
        assert (row["min"], row["max"]) == (ref.min(), ref.max())
    assert run("info", out) == 0
    text = capsys.readouterr().out
    assert "conv.weight" in text and "bfloat16" in text and "16x8x3x3" in text


def test_info_reads_in_chunks(tmp_path):
    w = xavier.normal((1000, 999), 3.0, 2.0, seed=1, dtype=np.float64)
    np.save(tmp_path / "w.npy", w)
    (t,) = _reader.read_tensors(str(tmp_path / "w.npy"))[1]
    stats = _reader.tensor_stats(t, chunk_bytes=4096 + 8)
    assert stats["count"] == w.size and stats["nonfinite"] == 0
    assert stats["mean"] == pytest.approx(w.mean(), rel=1e-12)
    assert stats["std"] == pytest.approx(w.std(), rel=1e-12)


def test_info_on_a_directory_and_nonfinite_values(tmp_path, capsys):
    d = tmp_path / "d"
    d.mkdir()
    np.save(d / "a.npy", np.array([1.0, np.nan, 3.0, np.inf], np.float32))
    np.save(d / "b.npy", np.arange(6, dtype=np.int32).reshape(2, 3))
    assert run("info", d) == 0
    text = capsys.readouterr().out
    assert "2 non-finite" in text and "int32" in text
    # a missing input file is bad input, like an invalid one: 2 (it was 1)
    assert run("info", tmp_path / "missing.npy") == 2
    assert "missing.npy: No such file or directory" in capsys.readouterr().err


def test_progress_bar_with_and_without_tqdm(monkeypatch, capsys):
    bar = _cli._Bar(4 << 20, enabled=True)
    bar.update(2 << 20)
    bar.close()
    monkeypatch.setitem(sys.modules, "tqdm", None)   # import fails: the plain line
    bar = _cli._Bar(4 << 20, enabled=True)
    bar.update(2 << 20)
    bar.close()
    assert "50.0%" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["generate", "--shape", "x", "-o", "w.npy"], "--shape: must be an integer, got 'x'"),
    (["generate", "--shape", "3", "-o", "w.npy", "--seed", "1.5"], "--seed: must be an integer"),
    (["generate", "--shape", "3", "-o", "w.npy", "--chunk-mb", "lots"],
     "--chunk-mb: must be a positive number, got 'lots'"),
    (["generate", "--shape", "3", "-o", "w.npy", "--truncated", "maybe"],
     "--truncated: expected true or false"),
    (["generate", "--shape", "3", "-o", "w.npy", "--gain", "big"],
     "--gain: must be a number, got 'big'"),
    (["generate", "--shape", "3", "-o", "w.npy", "--fans", "1.5", "2"],
     "--fans: must be an integer, got '1.5'"),
    (["generate", "--shape", "3", "-o", "w.npy", "--in-axis", "first"],
     "--in-axis: must be an integer, got 'first'"),
    (["bench", "--size", "0"], "--size: must be >= 1, got 0"),
    (["demo", "--layers", "two"], "--layers: must be an integer, got 'two'"),
])
def test_bad_option_values_get_a_message_of_their_own(argv, message, capsys, tmp_path,
                                                      monkeypatch):
    """Every option of every subcommand refuses a bad value with exit 2 and
    a message about the value, not the name of a parsing function."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        run(*argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "invalid" not in err, err
    assert not list(tmp_path.iterdir())


def test_no_option_is_parsed_by_a_bare_builtin():
    """int and float as argparse types say "invalid int value": every option
    of every subcommand has a type of its own (or takes any string)."""
    for name, parser in _subparsers().items():
        for a in parser._actions:
            assert a.type not in (int, float), (name, a.option_strings)


# ---- the rough edges ---------------------------------------------------------

def _usage_error(capsys, *argv):
    """The one line a usage error prints, checked to be one line with the
    subcommand's name and where its help is."""
    with pytest.raises(SystemExit) as e:
        run(*argv)
    assert e.value.code == 2
    out, err = capsys.readouterr()
    prog = "xavier" if argv[0] not in _subparsers() else f"xavier {argv[0]}"
    assert not out and err.count("\n") == 1, err
    assert err.startswith(f"{prog}: error: ") and err.endswith(f" (see '{prog} --help')\n"), err
    return err


@pytest.mark.parametrize("glued,spaced", [("64x64", "64 64"), ("64,64", "64 64"),
                                          ("3x4x5", "3 4 5"), ("7X8", "7 8"), ("2, 3", "2 3")])
def test_a_glued_shape_says_how_to_give_it(tmp_path, monkeypatch, capsys, glued, spaced):
    monkeypatch.chdir(tmp_path)
    err = _usage_error(capsys, "generate", "--shape", glued, "-o", "w.npy")
    assert f"argument --shape: give the dims separated by spaces: --shape {spaced}, " \
           f"not {glued!r}" in err
    assert "invalid" not in err and "dim" not in err.split("give")[0]
    assert not list(tmp_path.iterdir())


PYTORCH_NAMES = sorted(xavier._inits.ALIASES.items())


def test_pytorch_names_are_the_presets_aliases():
    assert dict(PYTORCH_NAMES) == {"xavier_uniform": "glorot_uniform",
                                   "xavier_normal": "glorot_normal",
                                   "kaiming_uniform": "he_uniform",
                                   "kaiming_normal": "he_normal"}
    for alias, name in PYTORCH_NAMES:
        assert alias in xavier._presets.PRESETS[name].aliases
        assert xavier._inits.check_init(alias) == name


@pytest.mark.parametrize("alias,name", PYTORCH_NAMES)
@pytest.mark.parametrize("extra", [[], ["--layout", "torch", "--dtype", "float16"]])
def test_pytorch_names_on_the_command_line_give_the_presets_bits(tmp_path, capsys, alias, name,
                                                                  extra):
    options = ["--gain", "1.5"] if name.startswith("glorot") else ["--mode", "fan_out"]
    if name.endswith("normal"):
        options += ["--truncated"]
    for init in (alias, name):
        assert run("generate", "--shape", 30, 20, "--init", init, *options, *extra,
                   "--seed", 4, "-q", "-o", tmp_path / f"{init}.safetensors") == 0
    a = (tmp_path / f"{alias}.safetensors").read_bytes()
    b = (tmp_path / f"{name}.safetensors").read_bytes()
    assert a == b   # the data and the metadata, which names the preset
    _, _, meta = _reader.read_tensors(str(tmp_path / f"{alias}.safetensors"))
    assert json.loads(meta["xavier.tensors"])["weight"]["init"] == name
    # and these are the bits of the Python function
    assert run("generate", "--shape", 30, 20, "--init", alias, "--seed", 4, "-q",
               "-o", tmp_path / "w.npy") == 0
    assert np.array_equal(bits(np.load(tmp_path / "w.npy")),
                          bits(getattr(xavier, name)((30, 20), seed=4)))


def test_pytorch_names_in_a_spec_give_the_presets_bits(tmp_path):
    def spec(rename):
        tensors = {f"t.{name}": {"shape": [12, 7], "init": rename(alias, name)}
                   for alias, name in PYTORCH_NAMES}
        tensors["t.glorot_normal"]["gain"] = 0.5
        tensors["t.he_normal"]["truncated"] = True
        return {"seed": 3, "defaults": {"layout": "torch", "mode": "fan_out"},
                "tensors": tensors}

    for which in ("alias", "name"):
        data = spec(lambda alias, name: alias if which == "alias" else name)
        (tmp_path / f"{which}.json").write_text(json.dumps(data))
        assert run("generate", "--spec", tmp_path / f"{which}.json", "-q",
                   "-o", tmp_path / f"{which}.safetensors") == 0
    assert (tmp_path / "alias.safetensors").read_bytes() == \
        (tmp_path / "name.safetensors").read_bytes()
    with pytest.raises(ValueError, match="or PyTorch's xavier_uniform"):
        xavier._inits.check_init("kaiming")


def test_help_lists_the_pytorch_names(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["generate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for alias, name in PYTORCH_NAMES:
        assert f"{alias} (= {name})" in out


@pytest.mark.parametrize("where", ["last", "middle"])
def test_truncated_alone_means_true(tmp_path, where):
    common = ["--shape", 40, 30, "--init", "he_normal", "--seed", 9, "-q"]
    outs = {}
    for label, flag in (("alone", ["--truncated"]), ("true", ["--truncated", "true"]),
                        ("false", ["--truncated", "false"]), ("none", [])):
        out = outs[label] = tmp_path / f"{label}.npy"
        argv = [*common, "-o", out, *flag] if where == "last" else [*flag, *common, "-o", out]
        assert run("generate", *argv) == 0
    data = {k: v.read_bytes() for k, v in outs.items()}
    assert data["alone"] == data["true"] == npy_bytes(
        xavier.he_normal((40, 30), truncated=True, seed=9))
    assert data["false"] == data["none"] != data["true"]


@pytest.mark.parametrize("argv,option", [
    (["generate", "--shape", "3", "--shape", "4", "-o", "w.npy"], "--shape"),
    (["generate", "--shape", "3", "-o", "a.npy", "--output", "b.npy"], "-o/--output"),
    (["generate", "--shape", "3", "-o", "w.npy", "--seed", "1", "--seed", "2"], "--seed"),
    (["generate", "--shape", "3", "-o", "w.npy", "--init", "he_normal", "--init",
      "he_normal"], "--init"),
    (["generate", "--shape", "3", "-o", "w.npy", "--gain", "1", "--gain", "2"], "--gain"),
    (["generate", "--shape", "3", "-o", "w.npy", "--truncated", "--truncated", "false"],
     "--truncated"),
    (["generate", "--shape", "3", "-o", "w.npy", "--fans", "1", "2", "--fans", "3", "4"],
     "--fans"),
    (["generate", "--shape", "3", "-o", "w.npy", "--chunk-mb", "1", "--chunk-mb", "2"],
     "--chunk-mb"),
    (["generate", "--spec", "m.toml", "--spec", "n.toml", "-o", "w"], "--spec"),
    (["bench", "--size", "64", "--size", "128"], "--size"),
    (["bench", "--only", "xavier", "--only", "fill"], "--only"),
    (["demo", "--layers", "2", "--layers", "3"], "--layers"),
    (["demo", "--json", "a.json", "--json", "b.json"], "--json"),
])
def test_an_option_given_twice_is_an_error(tmp_path, monkeypatch, capsys, argv, option):
    monkeypatch.chdir(tmp_path)
    err = _usage_error(capsys, *argv)
    assert f"argument {option}: given more than once" in err
    assert not list(tmp_path.iterdir())


def test_every_option_with_a_value_takes_it_once():
    """Generically: every option of every subcommand that takes a value is
    stored by the action that refuses a second one (flags may repeat)."""
    checked = 0
    for name, parser in [("xavier", _cli.build_parser()), *_subparsers().items()]:
        assert isinstance(parser, _cli.Parser)
        for a in parser._actions:
            if a.option_strings and a.nargs != 0 and a.dest not in ("help", "version"):
                assert isinstance(a, _cli._StoreOnce), (name, a.option_strings)
                checked += 1
    assert checked > 30
    args = _cli.parse_args(_cli.build_parser(), ["generate", "--shape", "3", "-o", "w.npy"])
    assert args.shape == [3] and not hasattr(args, _cli._GIVEN)   # no trace of the check


def test_flags_may_be_repeated(tmp_path):
    assert run("generate", "--shape", 3, "-q", "-q", "--force", "--force",
               "-o", tmp_path / "w.npy") == 0


def test_xavier_alone_prints_a_short_usage(tmp_path):
    for cmd in ([sys.executable, "-m", "xavier"], [os.path.join(os.path.dirname(sys.executable),
                                                                "xavier")]):
        if not os.path.exists(cmd[0]):
            continue
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert r.returncode == 2 and r.stdout == ""
        lines = r.stderr.splitlines()
        assert lines == ["usage: xavier [--version] COMMAND [OPTIONS]",
                         "commands: generate, info, config, bench, demo",
                         "see 'xavier --help', or 'xavier COMMAND --help'"], r.stderr


@pytest.mark.parametrize("argv", [
    ["nope"],
    ["--shape", "3"],
    ["generate", "-o", "w.npy"],                              # neither --shape nor --spec
    ["generate", "--shape", "3"],                             # no -o
    ["generate", "--shape", "3", "--spec", "m.toml", "-o", "w.npy"],
    ["generate", "--shape", "3", "-o", "w.npy", "--dtype", "int8"],
    ["generate", "--shape", "3", "-o", "w.npy", "--colour", "red"],
    ["generate", "--shape", "3", "-o", "w.npy", "--seed"],
    ["generate", "--shape", "3", "-o", "w.npy", "--init", "nope"],
    ["info"],
    ["info", "a.npy", "b.npy"],
    ["config", "--verbose"],
    ["bench", "--dist", "cauchy"],
    ["demo", "--units", "-5"],
])
def test_usage_errors_are_one_line(tmp_path, monkeypatch, capsys, argv):
    """Not argparse's usage block of a dozen lines: `xavier SUB: error:
    MESSAGE (see 'xavier SUB --help')`, exit 2."""
    monkeypatch.chdir(tmp_path)
    err = _usage_error(capsys, *argv)
    assert "usage:" not in err
    assert not list(tmp_path.iterdir())


def test_usage_errors_in_a_subprocess(tmp_path):
    r = subprocess.run([sys.executable, "-m", "xavier", "generate", "--shape", "64x64",
                        "-o", "w.npy"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("xavier generate: error: argument --shape: give the dims separated by "
                        "spaces: --shape 64 64, not '64x64' (see 'xavier generate --help')\n")


def test_exit_status_is_documented_in_the_help(capsys):
    with pytest.raises(SystemExit) as e:
        _cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    rows = out.split("exit status:")[1]
    for code in ("0 ", "1 ", "2 ", "130, 143, 129"):
        assert f"\n  {code}" in rows, code
    assert "missing, unreadable or not valid" in " ".join(rows.split())
    # every subcommand, in short
    for name in _subparsers():
        with pytest.raises(SystemExit):
            _cli.main([name, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "exit status: 0 success, 1 the run failed, 2 bad arguments or input" in text


def test_every_subcommand_is_listed_in_the_top_level_help(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["--help"])
    out = capsys.readouterr().out
    for name in ("generate", "info", "config", "bench", "demo"):
        assert f"\n    {name} " in out, name


@pytest.mark.parametrize("case", ["info missing", "info unreadable", "info not a file",
                                  "info a directory of junk", "spec missing", "spec a directory",
                                  "spec unreadable", "spec invalid"])
def test_a_bad_input_file_is_exit_2_whatever_is_wrong(tmp_path, monkeypatch, capsys, case):
    """Missing, unreadable or invalid, an input file is bad input: exit 2,
    one line naming it (an output that cannot be written is 1)."""
    what, how = case.split(" ", 1)
    path = tmp_path / ("in.npy" if what == "info" else "m.json")
    if how == "unreadable":    # (chmod 0 would not stop root): an I/O error on reading
        def fail(*args, **kwargs):
            raise OSError(5, "Input/output error", str(path))

        if what == "info":
            np.save(path, np.ones(3))
            monkeypatch.setattr(_reader, "tensor_stats", fail)
        else:
            path.write_text("{}")
            monkeypatch.setattr(xavier._spec, "read_spec_file", fail)
    elif how == "a directory":
        path.mkdir()
    elif how == "a directory of junk":
        path = tmp_path / "d"
        path.mkdir()
        (path / "a.npy").write_bytes(b"junk")
    elif how in ("not a file", "invalid"):
        path.write_bytes(b"\x93NUMPY garbage" if what == "info" else b"{")
    argv = ["info", path] if what == "info" else ["generate", "--spec", path, "-o",
                                                  tmp_path / "out"]
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("xavier: error: ") and err.count("\n") == 1 and str(path) in err, err
    assert not (tmp_path / "out").exists()


def test_an_output_that_cannot_be_written_is_exit_1(tmp_path, capsys):
    (tmp_path / "w.npy").write_bytes(b"mine")
    assert run("generate", "--shape", 3, "-o", tmp_path / "w.npy") == 1
    assert "exists" in capsys.readouterr().err


def test_the_subcommands_do_not_import_the_command(tmp_path):
    """_bench and _demo take their argument types from _argtypes, which
    loads neither NumPy nor the command: no import cycle."""
    code = ("import sys, xavier._argtypes\n"
            "assert not [m for m in sys.modules if 'numpy' in m], 'numpy'\n"
            "import xavier._bench, xavier._demo\n"
            "assert 'xavier._cli' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, timeout=60)
