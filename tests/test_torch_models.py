"""xavier.torch.fast_init on Hugging Face models: GPT-2, BERT and Llama.

Tiny models built from config objects only (no downloads, no network).
Skipped without torch or transformers (the test extra installs both).

Hugging Face's models initialize their weights twice over: ``nn.Linear`` and
``nn.Embedding`` run torch's ``reset_parameters`` in their constructors, then
the model's ``_init_weights`` re-initializes them through
``transformers.initialization`` (which reaches torch's functions through its
table ``TORCH_INIT_FUNCTIONS``) or, in older versions, through
``module.weight.data.normal_(...)``.  fast_init must reach all of these.
"""
import functools
import importlib
import importlib.util
import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

import xavier.torch as xt  # noqa: E402

NAMES = xt._originals._NAMES
SEED = 7

# Small enough to build in a few hundredths of a second, large enough that the
# weight matrices hold 16384 or more values for the statistics below.
CONFIGS = {
    "gpt2": lambda: transformers.GPT2Config(
        vocab_size=2000, n_positions=256, n_embd=128, n_layer=2, n_head=4,
        bos_token_id=0, eos_token_id=0),
    "bert": lambda: transformers.BertConfig(
        vocab_size=2000, hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=512, max_position_embeddings=256),
    "llama": lambda: transformers.LlamaConfig(
        vocab_size=2000, hidden_size=128, intermediate_size=512, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256),
}
# Resolved now, not inside a fast_init block: transformers imports its modules
# lazily, and transformers.initialization fills TORCH_INIT_FUNCTIONS from
# torch.nn.init's names when it is first imported.
MODELS = {"gpt2": transformers.GPT2LMHeadModel, "bert": transformers.BertModel,
          "llama": transformers.LlamaForCausalLM}


def make(key):
    return MODELS[key](CONFIGS[key]())


def hf_std(key, name):
    """The standard deviation Hugging Face's _init_weights gives parameter
    `name` (all of these models' random parameters are normal with mean 0)."""
    config = CONFIGS[key]()
    std = config.initializer_range
    if key == "gpt2" and name.endswith("c_proj.weight"):   # GPT-2's scaled residual projections
        std /= math.sqrt(2 * config.n_layer)
    return std


# How each model is built: "torch" (torch's own initialization) or fast_init
# with a thread count (None: OpenMP's default).
HOWS = {"torch": "torch", "fast_init()": None, "fast_init(threads=1)": 1,
        "fast_init(threads=2)": 2}


def build(key, how, seed=SEED):
    torch.manual_seed(seed)
    if how == "torch":
        return make(key)
    with xt.fast_init(threads=HOWS[how]):
        return make(key)


@functools.lru_cache(maxsize=None)
def built(key, how, seed=SEED):
    """build(), cached: the tests below only read these models."""
    return build(key, how, seed)


def state(model):
    """Every named parameter and buffer, in order."""
    return list(model.named_parameters()) + list(model.named_buffers())


def assert_identical(a, b):
    sa, sb = state(a), state(b)
    assert [n for n, _ in sa] == [n for n, _ in sb]
    for (name, x), (_, y) in zip(sa, sb):
        assert x.dtype == y.dtype and torch.equal(x, y), name


def is_random(p):
    """A parameter torch's build fills with random values."""
    return p.numel() > 1 and float(p.detach().double().std()) > 0


def all_torch():
    """torch's functions and Tensor methods are torch's own, code included."""
    orig = xt._originals
    return all(getattr(torch.nn.init, n) is orig._FUNCTIONS[n]
               and orig._FUNCTIONS[n].__code__ is orig._TORCH[n].__code__ for n in NAMES) and \
        all(getattr(torch.Tensor, n) is xt._fast_init._TENSOR_TORCH[n]
            for n in ("normal_", "uniform_"))


# Arguments as Hugging Face's models pass them, per function.
CALLS = {"uniform_": dict(a=-0.1, b=0.1), "normal_": dict(mean=0.0, std=0.02),
         "trunc_normal_": dict(mean=0.0, std=0.02, a=-0.04, b=0.04),
         "xavier_uniform_": dict(gain=1.0), "xavier_normal_": dict(gain=1.0),
         "kaiming_uniform_": dict(a=math.sqrt(5)), "kaiming_normal_": dict(nonlinearity="relu")}
METHODS = {"normal_": (0.0, 0.02), "uniform_": (-0.1, 0.1)}


def _seeded(call):
    torch.manual_seed(0)
    return call(torch.empty(64, 48))


# Captured when this file is imported (collection, before any test's fast_init
# block): references to torch's functions and methods, and the values they give.
HELD = {n: getattr(torch.nn.init, n) for n in NAMES}
HELD_METHODS = {n: getattr(torch.Tensor, n) for n in METHODS}
TORCH_VALUES = {n: _seeded(lambda t, n=n: HELD[n](t, **CALLS[n])) for n in NAMES}
TORCH_METHOD_VALUES = {n: _seeded(lambda t, n=n: getattr(t, n)(*METHODS[n])) for n in METHODS}


def _hf_table():
    """Hugging Face's TORCH_INIT_FUNCTIONS (transformers.initialization in
    version 5, transformers.modeling_utils in late 4.x), or None."""
    for module in ("transformers.initialization", "transformers.modeling_utils"):
        try:
            table = getattr(importlib.import_module(module), "TORCH_INIT_FUNCTIONS", None)
        except ImportError:
            continue
        if table is not None:
            return table
    return None


HF_TABLE = _hf_table()   # imported here, outside any fast_init block (see MODELS)
HF_WRAPPERS = importlib.import_module("transformers.initialization") \
    if importlib.util.find_spec("transformers.initialization") else None


def hf_table():
    if HF_TABLE is None:
        pytest.skip("this transformers has no TORCH_INIT_FUNCTIONS")
    return HF_TABLE


models = pytest.mark.parametrize("key", list(MODELS))


@models
def test_any_thread_count_gives_the_same_model(key):
    """fast_init(), fast_init(threads=1) and fast_init(threads=2) after the
    same torch.manual_seed: bit-identical parameters and buffers."""
    a = built(key, "fast_init()")
    for how in ("fast_init(threads=1)", "fast_init(threads=2)"):
        assert_identical(a, built(key, how))


@models
def test_random_parameters_are_xaviers_and_constants_torchs(key):
    """Against torch's build after the same seed: every random parameter holds
    other values (xavier's stream), every constant one (LayerNorm weights and
    biases, zero biases) and every buffer the same."""
    ours, theirs = state(built(key, "fast_init()")), state(built(key, "torch"))
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    random = constant = 0
    for (name, x), (_, y) in zip(ours, theirs):
        if y.is_floating_point() and is_random(y):
            random += 1
            if y.numel() > 100:
                assert not torch.equal(x, y), name
        else:
            constant += 1
            assert torch.equal(x, y), name
    assert random >= 10 and constant >= 3


class SamplerOps(TorchDispatchMode):
    """Counts torch's sampling ops (aten normal_, uniform_, ...) by name."""

    OPS = ("normal_", "uniform_", "random_", "bernoulli_", "exponential_", "cauchy_",
           "log_normal_", "geometric_")

    def __init__(self):
        super().__init__()
        self.counts = dict.fromkeys(self.OPS, 0)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in self.counts:
            self.counts[name] += 1
        return func(*args, **(kwargs or {}))


@models
def test_every_sampler_call_reaches_xavier(key):
    """Under fast_init no torch sampler runs at all: each of torch's build's
    sampling ops becomes one xavier fill, whose seed is the one op left (a
    random_ on two int64 words)."""
    theirs, ours = SamplerOps(), SamplerOps()
    torch.manual_seed(SEED)
    with theirs:
        make(key)
    torch.manual_seed(SEED)
    with ours, xt.fast_init():
        make(key)
    samplers = sum(theirs.counts.values())
    assert theirs.counts["random_"] == 0 and samplers >= 10
    assert ours.counts == dict(SamplerOps().counts, random_=samplers), ours.counts


@models
def test_distributions_are_hfs(key):
    """Each random parameter's values have the distribution Hugging Face
    gives it: mean and variance as in torch's build (6 standard errors), std
    as _init_weights sets (initializer_range, GPT-2's scaled projections), and
    a two-sample Kolmogorov-Smirnov test against torch's values."""
    stats = pytest.importorskip("scipy.stats")
    ours = dict(built(key, "fast_init()").named_parameters())
    checked = 0
    for name, q in built(key, "torch").named_parameters():
        if not is_random(q) or q.numel() < 10000:
            continue
        x, y = ours[name].detach().double().flatten(), q.detach().double().flatten()
        n, s = x.numel(), hf_std(key, name)
        assert abs(float(y.std()) / s - 1) < 6 * math.sqrt(1 / (2 * n)), name  # torch's is HF's
        assert abs(float(x.std()) / s - 1) < 6 * math.sqrt(1 / (2 * n)), name
        assert abs(float(x.mean() - y.mean())) < 6 * s * math.sqrt(2 / n), name
        assert abs(float(x.var() / y.var()) - 1) < 6 * math.sqrt(4 / n), name
        assert stats.ks_2samp(x.numpy(), y.numpy()).pvalue > 1e-6, name
        checked += 1
    assert checked >= 8


@models
def test_torch_is_restored_after_the_block(key):
    """After a fast_init build: torch.nn.init's functions and the Tensor
    methods are the objects (and code) they were at import, give the values
    they gave then, and a build with torch's initialization repeats one made
    before the block."""
    before = build(key, "torch")
    refs = {n: getattr(torch.nn.init, n) for n in NAMES}
    methods = {n: getattr(torch.Tensor, n) for n in METHODS}
    table = HF_TABLE or {}   # (late 4.x and 5.x only)
    build(key, "fast_init()")
    assert all_torch()
    assert xt._state._local.depth == 0 and xt._fast_init._patch_users == 0
    for n in NAMES:
        assert getattr(torch.nn.init, n) is refs[n] is HELD[n], n
        assert HELD[n].__code__ is xt._originals._TORCH[n].__code__, n
        for fn in (HELD[n], getattr(torch.nn.init, n), table.get(n, HELD[n])):
            assert torch.equal(_seeded(lambda t: fn(t, **CALLS[n])), TORCH_VALUES[n]), n
    for n in METHODS:
        assert getattr(torch.Tensor, n) is methods[n] is HELD_METHODS[n] \
            is xt._fast_init._TENSOR_TORCH[n]
        got = _seeded(lambda t: getattr(t, n)(*METHODS[n]))
        assert torch.equal(got, TORCH_METHOD_VALUES[n]), n
    assert_identical(build(key, "torch"), before)


@models
def test_same_seed_repeats_other_seed_differs(key):
    a, b = build(key, "fast_init()"), built(key, "fast_init()")
    assert_identical(a, b)
    c = build(key, "fast_init()", seed=SEED + 1)
    for (name, x), (_, y) in zip(b.named_parameters(), c.named_parameters()):
        if is_random(x) and x.numel() > 100:
            assert not torch.equal(x, y), name


@pytest.mark.parametrize("name, kwargs", [
    ("xavier_uniform_", {}), ("normal_", dict(mean=0.0, std=0.02)),
    ("trunc_normal_", dict(mean=0.0, std=0.02, a=-0.04, b=0.04)),
    ("trunc_normal_", dict(mean=0.0, std=0.02)),   # HF's usual call: absolute bounds +-2
    ("uniform_", dict(a=-0.1, b=0.1)), ("kaiming_uniform_", dict(a=math.sqrt(5))),
    ("xavier_normal_", dict(gain=1.0)), ("kaiming_normal_", dict(nonlinearity="relu"))],
    ids=["xavier_uniform_", "normal_", "trunc_normal_-2std", "trunc_normal_-abs2", "uniform_",
         "kaiming_uniform_", "xavier_normal_", "kaiming_normal_"])
def test_hf_init_table_reaches_xavier(name, kwargs):
    """Inside fast_init, Hugging Face's TORCH_INIT_FUNCTIONS[name] (references
    taken when transformers was imported), and transformers.initialization's
    guarded wrappers that call it, give xavier.torch.<name>'s values."""
    table = hf_table()
    assert table[name] is xt._originals._FUNCTIONS[name]   # torch's function object itself
    want = _seeded(lambda t: getattr(xt, name)(t, **kwargs))
    assert not torch.equal(want, _seeded(lambda t: xt._originals._TORCH[name](t, **kwargs)))
    calls = {"TORCH_INIT_FUNCTIONS": table[name]}
    if hasattr(HF_WRAPPERS, name):
        calls["transformers.initialization"] = getattr(HF_WRAPPERS, name)
    with xt.fast_init():
        for how, fn in calls.items():
            assert torch.equal(_seeded(lambda t: fn(t, **kwargs)), want), how
    assert all_torch()
