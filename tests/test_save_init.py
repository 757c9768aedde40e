"""xavier.torch.save_init and `xavier generate --hf-config / --torch-model`:
a model's initial checkpoint from its own definition, checked against the
model built in memory under fast_init with the same torch seed, loaded by
the official loaders (transformers' from_pretrained, safetensors)."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
from safetensors import safe_open  # noqa: E402

import xavier.torch._checkpoint as ck  # noqa: E402
import xavier.torch._record as rec  # noqa: E402
import xavier.torch as xt  # noqa: E402
from torch import nn  # noqa: E402

SMALL = dict(vocab_size=96, max_position_embeddings=32)


def reference(factory, seed):
    """The model as torch.manual_seed(seed) and the build under fast_init make it."""
    torch.manual_seed(seed)
    with xt.fast_init():
        return factory()


def assert_same_tensors(model, ref):
    """Every parameter and buffer (non-persistent ones too) equal, bit for bit."""
    ours = dict(model.named_parameters()) | dict(model.named_buffers())
    theirs = dict(ref.named_parameters()) | dict(ref.named_buffers())
    assert ours.keys() == theirs.keys()
    for name, t in theirs.items():
        assert ours[name].dtype == t.dtype, name
        assert torch.equal(ours[name].detach(), t.detach()), name


def load_dir(path):
    """All tensors of a checkpoint directory, by name, with safetensors' loader."""
    out = {}
    for f in sorted(os.listdir(path)):
        if f.endswith(".safetensors"):
            part = safetensors_torch.load_file(os.path.join(path, f))
            assert not out.keys() & part.keys()
            out.update(part)
    return out


# ---- Hugging Face models ------------------------------------------------------------

def _hf(name):
    tf = pytest.importorskip("transformers")
    if name == "gpt2":
        config = tf.GPT2Config(n_layer=2, n_embd=64, n_head=4, n_positions=32, vocab_size=96,
                               bos_token_id=0, eos_token_id=0)
        return tf.GPT2LMHeadModel, config, tf.AutoModelForCausalLM
    if name == "bert":
        config = tf.BertConfig(num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                               intermediate_size=128, **SMALL)
        return tf.BertForMaskedLM, config, tf.AutoModelForMaskedLM
    tied = name == "llama-tied"
    config = tf.LlamaConfig(num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                            num_key_value_heads=2, intermediate_size=160,
                            tie_word_embeddings=tied, **SMALL)
    return tf.LlamaForCausalLM, config, tf.AutoModelForCausalLM


HF_MODELS = ["gpt2", "bert", "llama", "llama-tied"]


@pytest.mark.parametrize("shards", ["50GB", "60KB"])
@pytest.mark.parametrize("name", HF_MODELS)
def test_hf_models_load_with_from_pretrained_and_equal_the_fast_init_build(tmp_path, name,
                                                                           shards):
    cls, config, auto = _hf(name)
    out = tmp_path / "ckpt"
    result = xt.save_init(lambda: cls(config), out, seed=11, max_shard_size=shards)
    loaded, info = auto.from_pretrained(out, output_loading_info=True)
    assert info["missing_keys"] == set() and info["unexpected_keys"] == set()
    assert info["mismatched_keys"] == set() and not info["error_msgs"]
    assert type(loaded) is cls
    assert_same_tensors(loaded, reference(lambda: cls(config), 11))
    assert result.fallbacks == {} or name == "bert", result.fallbacks
    files = set(os.listdir(out))
    assert "config.json" in files
    assert ("model.safetensors" in files) == (shards == "50GB")


@pytest.mark.parametrize("name", HF_MODELS)
def test_hf_layout_is_save_pretrained_s(tmp_path, name):
    """The same files, index, tensor names, dtypes, shapes and values as
    save_pretrained of the model built in memory, shard for shard."""
    cls, config, _ = _hf(name)
    ref = reference(lambda: cls(config), 3)
    ref.save_pretrained(tmp_path / "hf", max_shard_size="60KB")
    xt.save_init(lambda: cls(config), tmp_path / "ours", seed=3, max_shard_size="60KB")
    ours, theirs = set(os.listdir(tmp_path / "ours")), set(os.listdir(tmp_path / "hf"))
    assert ours == theirs
    index = json.loads((tmp_path / "ours" / ck.INDEX_NAME).read_text())
    assert index == json.loads((tmp_path / "hf" / ck.INDEX_NAME).read_text())
    for f in ours:
        if f.endswith(".safetensors"):
            with safe_open(tmp_path / "ours" / f, "pt") as a, \
                    safe_open(tmp_path / "hf" / f, "pt") as b:
                assert set(a.keys()) == set(b.keys())
                assert a.metadata()["format"] == b.metadata()["format"] == "pt"
                for k in a.keys():
                    assert torch.equal(a.get_tensor(k), b.get_tensor(k)), k
    for f in ("config.json", "generation_config.json"):
        if f in ours:
            a = json.loads((tmp_path / "ours" / f).read_text())
            b = json.loads((tmp_path / "hf" / f).read_text())
            assert a == b


def test_hf_dtype_is_the_cast_of_the_build(tmp_path):
    cls, config, auto = _hf("llama")
    xt.save_init(lambda: cls(config), tmp_path / "bf", seed=2, dtype=torch.bfloat16)
    assert json.loads((tmp_path / "bf" / "config.json").read_text())["dtype"] == "bfloat16"
    ref = reference(lambda: cls(config), 2).to(torch.bfloat16).state_dict()
    loaded = auto.from_pretrained(tmp_path / "bf")
    assert loaded.dtype == torch.bfloat16
    state = loaded.state_dict()   # (non-persistent buffers: the loader's own)
    assert state.keys() == ref.keys()
    for k, t in ref.items():
        assert state[k].dtype == t.dtype and torch.equal(state[k], t), k


# ---- plain torch modules --------------------------------------------------------------

class Zoo(nn.Module):
    """A module whose init does what models do: torch.nn.init calls (from
    the layers), Tensor.normal_ on .data, an indexed zeroing, scalar
    follow-ups, orthogonal_, randn and arange buffers, a copy_ from another
    tensor, a tied weight, half-precision parameters and a CPU tensor."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16, padding_idx=3)
        self.fc = nn.Linear(16, 32)
        self.conv = nn.Conv2d(3, 8, 3)
        self.norm = nn.LayerNorm(32)
        self.bn = nn.BatchNorm1d(8)
        self.rnn = nn.LSTM(16, 8)
        self.attn = nn.MultiheadAttention(16, 2)
        self.head = nn.Linear(16, 50, bias=False)
        self.head.weight = self.emb.weight
        self.f16 = nn.Linear(16, 16, dtype=torch.float16)
        self.b16 = nn.Linear(16, 16, dtype=torch.bfloat16)
        self.orth = nn.Parameter(torch.empty(24, 12))
        self.scale = nn.Parameter(torch.ones(32).mul_(0.5))
        self.register_buffer("pos", torch.arange(12).float() / 12)
        self.register_buffer("noise", torch.randn(4, 6) * 0.1)
        self.register_buffer("scratch", torch.zeros(5), persistent=False)
        self.register_buffer("steps", torch.tensor(7))
        with torch.no_grad():
            self.fc.weight.data.normal_(0.0, 0.02)
            self.fc.weight[:2].mul_(3.0)
            self.fc.bias.uniform_(-1, 1).clamp_(-0.5, 0.5)
            self.emb.weight.data[self.emb.padding_idx].zero_()
            self.conv.weight.div_(2).add_(0.25)
            nn.init.orthogonal_(self.orth)
            nn.init.trunc_normal_(self.f16.weight, std=0.1)
            nn.init.constant_(self.b16.bias, 0.125)
            self.conv.bias.copy_(torch.linspace(-1, 1, 8))
            self.fc.weight.t()[0].fill_(1.5)   # a non-contiguous view
        w = torch.empty(6, 4)
        w.t_()                                 # (4, 6) with strides (1, 4)
        self.tp = nn.Parameter(w)
        nn.init.normal_(self.tp, 0.0, 0.5)
        self.register_buffer("snap", self.fc.bias.detach().cpu() * 2)   # a CPU tensor
        rate = torch.linspace(0, 0.1, 4)[2].item()    # a value read during the build
        with torch.no_grad():
            self.scale.mul_(1 + rate)


def test_a_torch_module_loads_strictly_and_equals_the_fast_init_build(tmp_path):
    result = xt.save_init(Zoo, tmp_path / "zoo", seed=4, max_shard_size="2KB")
    ref = reference(Zoo, 4)
    state = load_dir(tmp_path / "zoo")
    model = reference(Zoo, 99)
    model.load_state_dict(state, strict=True)
    assert_same_tensors(model, ref)
    assert state.keys() == ref.state_dict().keys()   # the tied weight under both names
    index = json.loads((tmp_path / "zoo" / ck.INDEX_NAME).read_text())
    assert set(index["weight_map"]) == set(state)
    assert index["metadata"]["total_size"] == sum(t.nbytes for t in state.values())
    # what torch computed instead of streaming, and why
    assert result.fallbacks["orth"] == "written by torch (orthogonal_)"
    assert result.fallbacks["conv.bias"] == "written by torch (copy_)"
    assert result.fallbacks["fc.weight"].startswith("written by torch")
    assert result.fallbacks["noise"].startswith("computed by torch")
    assert result.fallbacks["steps"] == "made on the CPU by the model's code"
    assert result.fallbacks["snap"] == "computed by torch (mul)"   # (.cpu(): an alias)
    assert result.fallbacks["fc.bias"] == "read by torch (cpu)"
    assert result.fallbacks["tp"].startswith("a fill of a non-contiguous view")
    for name in ("emb.weight", "head.weight", "scale", "f16.weight", "b16.bias",
                 "conv.weight", "norm.weight", "rnn.weight_ih_l0",
                 "attn.in_proj_weight"):
        assert name not in result.fallbacks, name


def test_torch_s_generator_is_left_as_it_was(tmp_path):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    xt.save_init(Zoo, tmp_path / "z", seed=1)
    assert torch.equal(torch.get_rng_state(), before)


def test_the_files_do_not_depend_on_threads_or_chunks(tmp_path):
    runs = [dict(threads=1), dict(threads=2, chunk_bytes=1000), dict(chunk_bytes=7)]
    blobs = []
    for i, kw in enumerate(runs):
        xt.save_init(Zoo, tmp_path / str(i), seed=9, **kw)
        blobs.append((tmp_path / str(i) / "model.safetensors").read_bytes())
    assert blobs[0] == blobs[1] == blobs[2]


def test_fallback_tensors_go_to_a_file_and_come_back_equal(tmp_path, monkeypatch):
    spilled = []
    spill = rec.Record.spill

    def counting(self):
        spilled.append(self.numel)
        spill(self)

    monkeypatch.setattr(rec, "SPILL_BYTES", 0)
    monkeypatch.setattr(rec.Record, "spill", counting)
    xt.save_init(Zoo, tmp_path / "z", seed=5)
    assert spilled
    model = reference(Zoo, 0)
    model.load_state_dict(load_dir(tmp_path / "z"))
    assert_same_tensors(model, reference(Zoo, 5))


# ---- the recorder against the CPU build, on random programs ---------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64]
SHAPES = [(7,), (5, 6), (4, 3, 5), (1,), (0, 3)]


SETTERS = ["uniform", "normal", "trunc", "xavier", "kaiming", "data_normal", "data_uniform",
           "zero", "fill", "orth", "copy", "randn_copy"]


def _op(draw, shape, dtype, kinds):
    """One init step on a parameter of `shape`: (description, function of the
    parameter).  Regions are whole tensors, rows, or column (strided) views."""
    kind = draw(st.sampled_from(kinds))
    if kind == "orth" and dtype not in (torch.float32, torch.float64):
        kind = "normal"   # (torch's QR: float32 and float64 only)
    x = draw(st.floats(-3, 3, allow_nan=False, width=32))
    two_d = len(shape) >= 2 and 0 not in shape
    if kind in ("xavier", "kaiming", "orth", "row_zero", "row_normal", "col_fill") \
            and not two_d:
        kind = "normal"
    row = draw(st.integers(0, max(shape[0] - 1, 0))) if shape and shape[0] else 0
    init = nn.init
    steps = {
        "uniform": lambda p: init.uniform_(p, -abs(x) - 0.5, abs(x)),
        "normal": lambda p: init.normal_(p, x, 0.5),
        "trunc": lambda p: init.trunc_normal_(p, 0.0, 1.0, -1.0, 1.5),
        "xavier": lambda p: init.xavier_uniform_(p),
        "kaiming": lambda p: init.kaiming_normal_(p),
        "data_normal": lambda p: p.data.normal_(0.0, 0.02),
        "data_uniform": lambda p: p.data.uniform_(-0.1, 0.1),
        "zero": lambda p: p.data.zero_(),
        "fill": lambda p: p.data.fill_(x),
        "mul": lambda p: p.data.mul_(x),
        "div": lambda p: p.data.div_(x if x else 1.5),
        "add": lambda p: p.data.add_(x),
        "clamp": lambda p: p.data.clamp_(-abs(x) / 2, abs(x) / 2),
        "neg": lambda p: p.data.neg_(),
        "sqrt_abs": lambda p: p.data.abs_().sqrt_(),
        "row_zero": lambda p: init.zeros_(p.data[row]),
        "row_normal": lambda p: p.data[row].normal_(0.0, 1.0),
        "col_fill": lambda p: p.data[:, 0].fill_(x),
        "orth": lambda p: init.orthogonal_(p),
        "copy": lambda p: p.data.copy_(torch.full(p.shape, x)),
        "randn_copy": lambda p: p.data.copy_(torch.randn(p.shape)),
    }
    return kind, steps[kind]


@st.composite
def programs(draw):
    params = []
    for i in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(SHAPES))
        dtype = draw(st.sampled_from(DTYPES))
        # (first, values for every element: the CPU build's torch.empty holds garbage)
        ops = [_op(draw, shape, dtype, SETTERS)] + [
            _op(draw, shape, dtype, SETTERS + ["mul", "div", "add", "clamp", "neg", "row_zero",
                                        "row_normal", "col_fill", "sqrt_abs"])
            for _ in range(draw(st.integers(0, 4)))]
        params.append((shape, dtype, ops))
    return params


class Program(nn.Module):
    def __init__(self, params):
        super().__init__()
        for i, (shape, dtype, ops) in enumerate(params):
            p = nn.Parameter(torch.empty(shape, dtype=dtype))
            setattr(self, f"p{i}", p)
            with torch.no_grad():
                for _, step in ops:
                    step(p)


@hypothesis.settings(max_examples=60, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(programs(), st.integers(0, 2**64 - 1), st.sampled_from([8, 24, 1 << 20]))
def test_recorded_programs_equal_the_cpu_build(tmp_path_factory, params, seed, chunk):
    """Any sequence of the steps models take, on any region: the checkpoint
    holds what the same program leaves on the CPU under fast_init (NaNs
    compared as NaNs), whatever the chunk size."""
    out = tmp_path_factory.mktemp("p") / "ckpt"
    xt.save_init(lambda: Program(params), out, seed=seed, chunk_bytes=chunk)
    ref = reference(lambda: Program(params), seed).state_dict()
    got = load_dir(out)
    assert got.keys() == ref.keys()
    for k, t in ref.items():
        assert got[k].dtype == t.dtype and got[k].shape == t.shape
        assert torch.equal(got[k].view(-1).view(torch.uint8), t.contiguous().view(-1)
                           .view(torch.uint8)) or torch.equal(
            torch.nan_to_num(got[k], 1.0), torch.nan_to_num(t, 1.0)), (k, params)


# ---- shards ---------------------------------------------------------------------------

@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(st.lists(st.integers(1, 100), max_size=30), st.integers(1, 120))
def test_shards_are_cut_as_huggingface_hub_cuts_them(sizes, limit):
    """(Empty tensors left out: the hub takes them all for one storage, tied.)"""
    hub = pytest.importorskip("huggingface_hub")
    state = {f"t{i}": torch.empty(n, dtype=torch.uint8) for i, n in enumerate(sizes)}
    theirs = hub.split_torch_state_dict_into_shards(
        state, filename_pattern="model{suffix}.safetensors", max_shard_size=limit)
    shards = ck.split_shards([(k, t.numel()) for k, t in state.items()], limit)
    ours = dict(zip(ck.shard_names(len(shards)), shards))
    if not sizes:
        return
    assert ours == theirs.filename_to_tensors


@pytest.mark.parametrize("text,value", [("50GB", 50 * 10**9), ("5 MB", 5 * 10**6),
                                        ("1.5KB", 1500), ("2GiB", 2 * 2**30), (123, 123)])
def test_shard_sizes_parse_as_hugging_face_writes_them(text, value):
    assert ck.parse_size(text) == value


# ---- bad input, and nothing half-written ------------------------------------------------------

@pytest.mark.parametrize("kwargs,error,match", [
    (dict(seed=-1), ValueError, "seed"), (dict(seed=2**64), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed"), (dict(seed=True), TypeError, "seed"),
    (dict(seed=0, dtype=torch.int32), ValueError, "dtype"),
    (dict(seed=0, dtype="float16"), ValueError, "dtype"),
    (dict(seed=0, max_shard_size="5XB"), ValueError, "max_shard_size"),
    (dict(seed=0, max_shard_size=0), ValueError, "max_shard_size"),
    (dict(seed=0, max_shard_size=1.5), TypeError, "max_shard_size"),
    (dict(seed=0, threads=0), ValueError, "threads"),
    (dict(seed=0, chunk_bytes=0), ValueError, "chunk_bytes"),
])
def test_bad_arguments_are_refused_before_anything_runs(tmp_path, kwargs, error, match):
    built = []
    with pytest.raises(error, match=match):
        xt.save_init(lambda: built.append(1) or nn.Linear(2, 2), tmp_path / "o", **kwargs)
    assert not built and os.listdir(tmp_path) == []


def test_a_model_object_or_a_non_module_is_refused(tmp_path):
    with pytest.raises(TypeError, match="function that builds"):
        xt.save_init(nn.Linear(2, 2), tmp_path / "o", seed=0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        xt.save_init(lambda: 3, tmp_path / "o", seed=0)
    with pytest.raises(ValueError, match="does not exist"):
        xt.save_init(Zoo, tmp_path / "no" / "o", seed=0)
    assert os.listdir(tmp_path) == []


def test_an_existing_output_is_kept_unless_forced(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep").write_text("x")
    with pytest.raises(FileExistsError):
        xt.save_init(Zoo, out, seed=0)
    assert os.listdir(out) == ["keep"]
    xt.save_init(Zoo, out, seed=0, force=True)
    assert "keep" not in os.listdir(out) and "model.safetensors" in os.listdir(out)
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        xt.save_init(Zoo, tmp_path / "f", seed=0, force=True)
    assert sorted(os.listdir(tmp_path)) == ["f", "o"]


@pytest.mark.parametrize("where", ["build", "write"])
def test_a_failure_leaves_nothing(tmp_path, monkeypatch, where):
    def broken():
        raise RuntimeError("model code failed")

    factory = broken
    if where == "write":
        factory = Zoo
        calls = []

        def failing(self, buf, start, threads):
            calls.append(1)
            if len(calls) > 5:
                raise OSError(5, "I/O error")
            return fill(self, buf, start, threads)

        fill = ck.Source.fill_range
        monkeypatch.setattr(ck.Source, "fill_range", failing)
    with pytest.raises((RuntimeError, OSError)):
        xt.save_init(factory, tmp_path / "o", seed=0, max_shard_size="1KB")
    assert os.listdir(tmp_path) == []


# ---- the command line -----------------------------------------------------------------

def _xavier(*args, cwd, **kwargs):
    return subprocess.run([sys.executable, "-m", "xavier", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, **kwargs)


ZOO_FILE = """\
import torch
from torch import nn


def build():
    torch.manual_seed(0)   # model code may reseed: recorded as in the CPU build
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))


def big():
    return nn.Sequential(*[nn.Linear(1024, 1024) for _ in range(32)])
"""


@pytest.fixture
def zoo_dir(tmp_path, monkeypatch):
    """tmp_path as the working directory, holding zoo_models.py (unloaded after)."""
    (tmp_path / "zoo_models.py").write_text(ZOO_FILE)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in ("zoo_models", "_xavier_model_zoo_models"):
        sys.modules.pop(name, None)


def _main(*args):
    from xavier._cli import main

    return main([str(a) for a in args])


def test_cli_hf_config_writes_what_from_pretrained_loads(zoo_dir, capsys):
    tmp_path = zoo_dir
    cls, config, auto = _hf("llama")
    config.architectures = ["LlamaForCausalLM"]
    config.save_pretrained(tmp_path / "cfg")
    assert _main("generate", "--hf-config", tmp_path / "cfg" / "config.json", "--seed", 6,
                 "-o", tmp_path / "out", "--max-shard-size", "100KB") == 0
    err = capsys.readouterr().err
    shards = [f for f in os.listdir(tmp_path / "out") if f.endswith(".safetensors")]
    assert len(shards) > 1 and f"21 tensors in {len(shards)} safetensors files" in err
    loaded = auto.from_pretrained(tmp_path / "out")
    assert_same_tensors(loaded, reference(lambda: cls(config), 6))
    # a config without architectures needs --hf-class; a wrong class is refused
    config.architectures = None
    config.save_pretrained(tmp_path / "bare")
    assert _main("generate", "--hf-config", tmp_path / "bare", "-o", tmp_path / "x") == 2
    assert "pass --hf-class" in capsys.readouterr().err
    assert _main("generate", "--hf-config", tmp_path / "bare", "--hf-class", "AutoConfig",
                 "-o", tmp_path / "x") == 2
    assert "not a transformers model class" in capsys.readouterr().err
    assert _main("generate", "--hf-config", tmp_path / "bare", "--hf-class",
                 "LlamaForSequenceClassification", "--seed", 6, "-q", "-o",
                 tmp_path / "cls") == 0
    assert "score.weight" in load_dir(tmp_path / "cls")
    assert not (tmp_path / "x").exists()


def test_cli_torch_model_by_file_and_by_module(zoo_dir, capsys):
    for spec, out in (("zoo_models:build", "a"), (str(zoo_dir / "zoo_models.py") + ":build",
                                                    "b")):
        assert _main("generate", "--torch-model", spec, "--seed", 1, "-o", zoo_dir / out,
                     "-q") == 0
    assert capsys.readouterr().err == ""
    import zoo_models
    ref = reference(zoo_models.build, 1).state_dict()
    a, b = load_dir(zoo_dir / "a"), load_dir(zoo_dir / "b")
    for k in ref:
        assert torch.equal(a[k], ref[k]) and torch.equal(b[k], ref[k])


def test_cli_lists_the_tensors_torch_computed(zoo_dir, capsys):
    with open(zoo_dir / "zoo_models.py", "a") as f:
        f.write("\n\ndef orth():\n    m = nn.Linear(6, 4)\n"
                "    nn.init.orthogonal_(m.weight)\n    return m\n")
    assert _main("generate", "--torch-model", "zoo_models:orth", "--seed", 1, "-o",
                 zoo_dir / "o") == 0
    err = capsys.readouterr().err
    assert "1 tensor computed by torch on the CPU" in err
    assert "weight: written by torch (orthogonal_)" in err


@pytest.mark.parametrize("args,status,message", [
    (["--torch-model", "zoo_models"], 2, "MODULE:CALLABLE"),
    (["--torch-model", "zoo_models:nope"], 2, "no attribute"),
    (["--torch-model", "no_such_module:f"], 2, "No module named"),
    (["--torch-model", "missing.py:f"], 2, "no such file"),
    (["--torch-model", "zoo_models:build", "--init", "he_normal"], 2, "--init: not used"),
    (["--torch-model", "zoo_models:build", "--max-shard-size", "9QB"], 2, "--max-shard-size"),
    (["--torch-model", "zoo_models:build", "--seed", str(2**64)], 2, "seed"),
    (["--shape", "4", "--max-shard-size", "1GB"], 2, "--max-shard-size applies"),
    (["--hf-config", "nope.json"], 2, "no such file"),
    (["--hf-config", "zoo_models.py"], 2, ""),
])
def test_cli_model_errors(zoo_dir, capsys, args, status, message):
    assert _main("generate", *args, "-o", zoo_dir / "out") == status
    err = capsys.readouterr().err
    assert message in err and err.startswith("xavier: error:") and err.count("\n") == 1
    assert not (zoo_dir / "out").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_interrupted_while_writing_leaves_nothing(tmp_path, signum):
    (tmp_path / "zoo_models.py").write_text(ZOO_FILE)
    p = subprocess.Popen([sys.executable, "-m", "xavier", "generate", "--torch-model",
                          "zoo_models:big", "--seed", "0", "-o", str(tmp_path / "out"),
                          "--chunk-mb", "0.05", "--threads", "1", "--max-shard-size", "8MB"],
                         cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            n.startswith(".out.xavier") for n in os.listdir(tmp_path)):
        time.sleep(0.005)
    time.sleep(0.05)
    p.send_signal(signum)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (128 + signum, 0), err
    print("interrupted" if p.returncode else "finished first")
    if p.returncode:
        assert "interrupted" in err
        assert sorted(os.listdir(tmp_path)) == ["__pycache__", "zoo_models.py"] or \
            sorted(os.listdir(tmp_path)) == ["zoo_models.py"]
    else:   # (it finished first: then it is complete)
        assert load_dir(tmp_path / "out").keys()


def test_a_killed_run_leaves_no_output_and_the_next_run_cleans_up(tmp_path):
    (tmp_path / "zoo_models.py").write_text(ZOO_FILE)
    cmd = [sys.executable, "-m", "xavier", "generate", "--torch-model", "zoo_models:big",
           "--seed", "0", "-o", str(tmp_path / "out"), "--chunk-mb", "0.05", "--threads", "1",
           "--max-shard-size", "8MB"]
    p = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            n.startswith(".out.xavier") for n in os.listdir(tmp_path)):
        time.sleep(0.005)
    p.kill()
    p.wait()
    assert not (tmp_path / "out").exists()
    r = subprocess.run(cmd[:-6] + ["-q"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".out.")]
    assert np.isfinite(load_dir(tmp_path / "out")["0.weight"].numpy()).all()


# ---- threads and modes ----------------------------------------------------------------

def test_save_init_in_a_fresh_thread(tmp_path):
    """The first seed draw of a thread happens inside the recorded build (its
    buffer must be a CPU tensor there, not a meta one)."""
    import threading

    errors = []

    def run():
        try:
            xt.save_init(Zoo, tmp_path / "t", seed=8)
        except BaseException as e:   # noqa: BLE001 - reported below
            errors.append(e)

    th = threading.Thread(target=run)
    th.start()
    th.join()
    assert not errors
    model = reference(Zoo, 0)
    model.load_state_dict(load_dir(tmp_path / "t"))
    assert_same_tensors(model, reference(Zoo, 8))


def test_fast_init_gives_its_values_under_a_users_torch_function_mode():
    """A TorchFunctionMode of the user's (a logger, a device block) does not
    send plain tensors and parameters back to torch's samplers."""
    from torch.overrides import TorchFunctionMode

    class Log(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    ref = reference(Zoo, 2).state_dict()
    for mode in (Log(), torch.device("cpu")):
        with mode:
            got = reference(Zoo, 2).state_dict()
        for k in ref:
            assert torch.equal(got[k], ref[k]), (mode, k)


def test_a_build_in_another_dtype_is_recorded_or_computed(tmp_path):
    """from_config(dtype=...) builds in that dtype (recorded, streamed); a
    factory that casts its model afterwards (.to) gets torch's cast, computed."""
    tf = pytest.importorskip("transformers")
    _, config, _ = _hf("llama")
    factories = {
        "from_config": lambda: tf.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16),
        "to": lambda: nn.Sequential(nn.Linear(64, 32), nn.LayerNorm(32)).to(torch.bfloat16)}
    for name, factory in factories.items():
        result = xt.save_init(factory, tmp_path / name, seed=1)
        ref = reference(factory, 1).state_dict()
        got = load_dir(tmp_path / name)
        assert got.keys() == ref.keys()
        for k, t in ref.items():
            assert got[k].dtype == torch.bfloat16 and torch.equal(got[k], t), (name, k)
        if name == "from_config":
            assert result.fallbacks == {}
        else:
            assert set(result.fallbacks.values()) == {"computed by torch (to)"}


def test_cli_checks_free_space_before_writing(zoo_dir, capsys, monkeypatch):
    import collections
    import shutil

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    assert _main("generate", "--torch-model", "zoo_models:build", "--seed", 0, "-o",
                 zoo_dir / "out") == 1
    err = capsys.readouterr().err
    assert "not enough free disk space" in err and "was not written" in err
    assert sorted(os.listdir(zoo_dir)) == ["__pycache__", "zoo_models.py"] or \
        sorted(os.listdir(zoo_dir)) == ["zoo_models.py"]


@pytest.mark.parametrize("text,message", [
    ("{not json", "not a valid JSON"),
    ('{"model_type": "no-such-model"}', "no-such-model"),
    ('{"model_type": "llama", "hidden_size": -64, "architectures": ["LlamaForCausalLM"]}',
     "building the model failed"),
    ('{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, '
     '"num_attention_heads": 3}', "not a multiple of the number of attention heads"),
    ('{"model_type": "llama", "architectures": ["os.system"]}', "not a transformers model"),
    ("[1, 2]", ""),
])
def test_cli_hostile_configs_are_one_line_errors(zoo_dir, capsys, text, message):
    pytest.importorskip("transformers")
    (zoo_dir / "config.json").write_text(text)
    assert _main("generate", "--hf-config", zoo_dir / "config.json", "-o", zoo_dir / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("xavier: error:") and err.count("\n") == 1 and message in err
    assert not (zoo_dir / "out").exists()


def test_cli_a_model_bigger_than_the_disk_is_refused_without_memory(zoo_dir, capsys):
    """A 4-trillion-parameter config: built on the meta device in no memory,
    refused by the free-space check before anything is written."""
    pytest.importorskip("transformers")
    (zoo_dir / "config.json").write_text(json.dumps({
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 2**31,
        "hidden_size": 2048, "intermediate_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 16, "num_key_value_heads": 16}))
    assert _main("generate", "--hf-config", zoo_dir / "config.json", "-o", zoo_dir / "out") == 1
    assert "not enough free disk space" in capsys.readouterr().err
    assert not (zoo_dir / "out").exists()


def test_two_runs_into_one_output_never_mix(zoo_dir):
    """Two processes writing the same directory at once: one writes it, the
    other finds it there (exit 1) or was first; the directory is one run's."""
    cmd = [sys.executable, "-m", "xavier", "generate", "--torch-model", "zoo_models:big",
           "-o", "out", "-q", "--max-shard-size", "20MB"]
    procs = [subprocess.Popen(cmd + ["--seed", str(seed)], cwd=zoo_dir,
                              stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = [err for code, err in results if code == 1][0]
    assert "exists" in loser
    winner = [i for i, (code, _) in enumerate(results) if code == 0][0] + 1
    ref = reference(ck.import_factory("zoo_models:big"), winner).state_dict()
    got = load_dir(zoo_dir / "out")
    assert got.keys() == ref.keys() and all(torch.equal(got[k], ref[k]) for k in ref)
    assert [n for n in os.listdir(zoo_dir) if n.startswith(".")] == []


# ---- meta tensors of the build's own, and xavier.torch's seed buffer ----------------------

def _deferred():
    with torch.device("meta"):
        m = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 4))
    m = m.to_empty(device="cpu")
    for layer in m:
        layer.reset_parameters()
    return m


def _meta_first():
    nn.Linear(4, 4, device="meta")
    torch.randn(3, device="meta")
    return nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 3))


@pytest.mark.parametrize("factory", [_deferred, _meta_first])
def test_meta_tensors_the_build_makes_draw_nothing_as_on_the_cpu(tmp_path, factory):
    """A tensor the build itself puts on the meta device is torch's meta
    tensor (no values, no draws), not one standing for a CPU tensor: the
    deferred-init pattern (meta, to_empty, reset_parameters) saves the CPU
    build's values."""
    out = str(tmp_path / "m")
    xt.save_init(factory, out, seed=5)
    ref = reference(factory, 5)
    got = load_dir(out)
    assert got.keys() == ref.state_dict().keys()
    for name, t in ref.state_dict().items():
        assert torch.equal(got[name], t), name


def test_the_seed_buffer_survives_inference_mode_and_fake_tensors():
    """The per-thread buffer of drawn seeds is a plain CPU tensor whatever
    the first call runs under; FakeTensors go to torch's function."""
    import threading

    from torch._subclasses.fake_tensor import FakeTensorMode
    errors = []

    def run(first):
        try:
            first()
            w = torch.empty(5)
            torch.manual_seed(1)
            xt.uniform_(w)
            torch.manual_seed(1)
            assert torch.equal(xt.uniform_(torch.empty(5)), w)
            with xt.fast_init():
                nn.Linear(3, 3)
        except BaseException as e:   # reported in the main thread
            errors.append(e)

    def inference():
        with torch.inference_mode():
            xt.uniform_(torch.empty(3))

    def fake():
        with FakeTensorMode():
            t = torch.empty(3)
            assert xt.uniform_(t) is t and xt.normal_(t) is t

    for first in (inference, fake):
        th = threading.Thread(target=run, args=(first,))
        th.start()
        th.join()
    assert not errors, errors


def test_builds_in_threads_at_once_equal_a_serial_one(tmp_path):
    """save_init in several threads at once, with the same seed: every file
    equals a serial run's (the builds share torch's default generator, so
    they run one at a time; the writes overlap)."""
    import threading

    def mlp():
        return nn.Sequential(*[nn.Linear(16, 16) for _ in range(30)])

    xt.save_init(mlp, str(tmp_path / "serial"), seed=3)
    want = load_dir(str(tmp_path / "serial"))
    errors = []

    def run(i):
        try:
            xt.save_init(mlp, str(tmp_path / f"t{i}"), seed=3)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    for i in range(4):
        got = load_dir(str(tmp_path / f"t{i}"))
        assert got.keys() == want.keys()
        assert all(torch.equal(got[k], want[k]) for k in want), i


class _Extra(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def get_extra_state(self):
        return {"step": 1}

    def set_extra_state(self, state):
        pass


class _Reserved(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("__metadata__", torch.zeros(2))


@pytest.mark.parametrize("factory, words", [(_Extra, "not a tensor"),
                                            (_Reserved, "'__metadata__'")])
def test_state_dicts_safetensors_cannot_hold_are_refused_and_leave_nothing(tmp_path, factory,
                                                                          words):
    """A buffer named __metadata__ would overwrite the header's metadata; a
    module's extra state is no tensor: both are refused before any file."""
    with pytest.raises(ValueError, match=words):
        xt.save_init(factory, str(tmp_path / "m"), seed=0)
    assert os.listdir(tmp_path) == []
