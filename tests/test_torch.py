"""xavier.torch: the torch.nn.init drop-ins, fast_init and init_; and the
NumPy API's xavier_*_ next to torch.nn.init's.

Skipped without torch; CI installs torch 2.13.0 (the CPU wheel)."""
import functools
import math
import signal
import threading
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402

import xavier  # noqa: E402
import xavier.torch as xt  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support import hypothesis_settings  # noqa: E402
from xavier._seeds import named_seed  # noqa: E402

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
NP = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16}


def as_f64(t):
    return t.detach().to(torch.float64).numpy()


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def torch_xavier_std(shape, gain=1.0):
    """torch.nn.init.xavier_*_'s arithmetic, step by step."""
    fan_in, fan_out = torch_fans(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def torch_xavier_a(shape, gain=1.0):
    return math.sqrt(3.0) * torch_xavier_std(shape, gain)


def torch_kaiming_std(shape, a, mode, nonlinearity):
    fan_in, fan_out = torch_fans(shape)
    return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(
        fan_in if mode == "fan_in" else fan_out)


KAIMING_BOUND = lambda shape: math.sqrt(3.0) * torch_kaiming_std(  # noqa: E731
    shape, math.sqrt(5), "fan_in", "leaky_relu")


def views(dtype):
    """(name, tensor): contiguous, transposed, strided slice, with grad."""
    base = torch.zeros(300, 260, dtype=dtype)
    return [("contiguous", torch.zeros(260, 300, dtype=dtype)),
            ("transposed", base.t()),
            ("strided", torch.zeros(260, 600, dtype=dtype)[:, ::2]),
            ("parameter", nn.Parameter(torch.zeros(260, 300, dtype=dtype)))]


# ---- same memory, same values as the NumPy API ----------------------------------------

CALLS = {
    "uniform_": (lambda t, **k: xt.uniform_(t, -0.5, 1.5, **k),
                 lambda shape, dt, s: xavier.uniform(shape, -0.5, 1.5, dtype=dt, seed=s)),
    "normal_": (lambda t, **k: xt.normal_(t, 0.1, 0.3, **k),
                lambda shape, dt, s: xavier.normal(shape, 0.1, 0.3, dtype=dt, seed=s)),
    "trunc_normal_": (lambda t, **k: xt.trunc_normal_(t, 0.0, 0.02, -0.03, 0.04, **k),
                      lambda shape, dt, s: xavier.truncated_normal(shape, 0.0, 0.02, -0.03, 0.04,
                                                                    dtype=dt, seed=s)),
    "xavier_uniform_": (lambda t, **k: xt.xavier_uniform_(t, 1.5, **k),
                        lambda shape, dt, s: xavier.uniform(
                            shape, -torch_xavier_a(shape, 1.5), torch_xavier_a(shape, 1.5),
                            dtype=dt, seed=s)),
    "xavier_normal_": (lambda t, **k: xt.xavier_normal_(t, **k),
                       lambda shape, dt, s: xavier.normal(
                           shape, 0.0, torch_xavier_std(shape), dtype=dt, seed=s)),
    "kaiming_uniform_": (lambda t, **k: xt.kaiming_uniform_(t, a=math.sqrt(5), **k),
                         lambda shape, dt, s: xavier.uniform(
                             shape, -KAIMING_BOUND(shape), KAIMING_BOUND(shape), dtype=dt, seed=s)),
    "kaiming_normal_": (lambda t, **k: xt.kaiming_normal_(t, mode="fan_out", nonlinearity="relu",
                                                          **k),
                        lambda shape, dt, s: xavier.normal(
                            shape, 0.0, torch_kaiming_std(shape, 0, "fan_out", "relu"),
                            dtype=dt, seed=s)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_fills_the_tensors_own_memory_with_the_stream(name, dtype):
    ours, numpy_twin = CALLS[name]
    for view_name, t in views(dtype):
        ptr, stride, req = t.data_ptr(), t.stride(), t.requires_grad
        r = ours(t, seed=7)
        assert r is t, view_name
        assert t.data_ptr() == ptr and t.stride() == stride and t.requires_grad == req
        assert t.grad_fn is None
        if dtype == torch.bfloat16:
            ml_dtypes = pytest.importorskip("ml_dtypes")
            want = numpy_twin(tuple(t.shape), ml_dtypes.bfloat16, 7).view(np.uint16)
            got = t.detach().contiguous().view(torch.int16).numpy().view(np.uint16)
            np.testing.assert_array_equal(got, want)
        else:
            want = numpy_twin(tuple(t.shape), NP[dtype], 7)
            np.testing.assert_array_equal(t.detach().numpy(), want)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_untouched_memory_around_a_view(dtype):
    big = torch.full((100, 300), 7.0, dtype=dtype)
    xt.normal_(big[:, 1::3], seed=1)
    rest = torch.ones(100, 300, dtype=torch.bool)
    rest[:, 1::3] = False
    assert (big[rest] == 7.0).all()
    assert (big[:, 1::3] != 7.0).float().mean() > 0.99


def _bits(t):
    """The tensor's values as their bit patterns (NaN-proof, -0 distinct)."""
    ints = {2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
    return t.detach().contiguous().view(ints).numpy()


@st.composite
def _layouts(draw):
    """A tensor of any dtype in some layout xavier.torch must write through its
    own memory: contiguous (written at its address), permuted, sliced with
    steps, offset into its storage, size-1 or zero-size dimensions, or on
    memory misaligned for its dtype (written through a view)."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 9), min_size=0, max_size=4)))
    steps = tuple(draw(st.integers(1, 3)) for _ in shape)
    offset = draw(st.integers(0, 5))
    item = torch.empty((), dtype=dtype).element_size()
    count = offset + int(np.prod([n * s for n, s in zip(shape, steps)], dtype=np.int64)) + 1
    if draw(st.booleans()):   # on a bytearray, maybe one byte off the item alignment
        skew = draw(st.integers(0, 1)) if item > 1 else 0
        flat = torch.frombuffer(bytearray(count * item + skew), dtype=dtype, offset=skew)
    else:
        flat = torch.zeros(count, dtype=dtype)
    big = flat[offset:offset + int(np.prod([n * s for n, s in zip(shape, steps)]))]
    t = big.view(*[n * s for n, s in zip(shape, steps)]) if shape else big[:1].view(())
    if shape:
        t = t[tuple(slice(None, None, s) for s in steps)]
        t = t.permute(*draw(st.permutations(range(len(shape)))))
    return t


@given(t=_layouts(), name=st.sampled_from(["uniform_", "normal_", "xavier_uniform_"]),
       seed=st.integers(0, 2**64))
@hypothesis_settings(150)
def test_every_layout_gets_the_values_of_a_contiguous_tensor(t, name, seed):
    """Contiguous aligned tensors are written at their address, all others
    through a NumPy view: the same values either way, nothing written
    outside the tensor."""
    if name == "xavier_uniform_" and (t.dim() < 2 or t.numel() == 0):
        name = "uniform_"   # (zero fans: ZeroDivisionError, as from torch's own)
    ours = CALLS[name][0]
    base = t._base if t._base is not None else t
    outside = base.detach().clone()
    ours(t, seed=seed)
    want = ours(torch.empty(t.shape, dtype=t.dtype), seed=seed)
    np.testing.assert_array_equal(_bits(t), _bits(want))
    mask = torch.ones(base.shape, dtype=torch.bool)
    mask.view(-1)[torch.arange(base.numel()).view(base.shape).as_strided(
        t.shape, t.stride(), t.storage_offset() - base.storage_offset())] = False \
        if t.numel() else True
    np.testing.assert_array_equal(_bits(base[mask]), _bits(outside[mask]))


def test_fill_address_refuses_what_it_cannot_write():
    key = xavier._seeds.seed_key(1)
    t = torch.zeros(16)
    for address, k, kind, threads, match in [
            (t.data_ptr() + 2, key, xavier._core.UNIFORM_F32, 1, "aligned"),
            (0, key, xavier._core.UNIFORM_F32, 1, "aligned"),
            (t.data_ptr(), key[:3], xavier._core.UNIFORM_F32, 1, "4 uint64"),
            (t.data_ptr(), key.astype(np.int64), xavier._core.UNIFORM_F32, 1, "4 uint64"),
            (t.data_ptr(), np.repeat(key, 2)[::2], xavier._core.UNIFORM_F32, 1, "4 uint64"),
            (t.data_ptr(), key, 12, 1, "kind"),
            (t.data_ptr(), key, -1, 1, "kind"),
            (t.data_ptr(), key, xavier._core.UNIFORM_F32, 0, "threads")]:
        with pytest.raises(ValueError, match=match):
            xavier._core.fill_address(address, 16, k, kind, (0.0, 1.0), threads)
    assert not t.any()
    xavier._core.fill_address(t.data_ptr(), 0, key, xavier._core.UNIFORM_F32, (0.0, 1.0))
    assert not t.any()


# ---- distributions, per dtype ------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_distributions_per_dtype(dtype):
    from scipy import stats
    shape = (1024, 512)                      # 2**19 values
    n = shape[0] * shape[1]
    a = torch_xavier_a(shape)
    w = as_f64(xt.xavier_uniform_(torch.empty(shape, dtype=dtype), seed=1))
    assert w.max() <= a * (1 + 2**-7) and w.min() >= -a * (1 + 2**-7)
    assert abs(w.var() / (a * a / 3) - 1) < 0.01
    s = a / math.sqrt(3)
    z = as_f64(xt.xavier_normal_(torch.empty(shape, dtype=dtype), seed=2)) / s
    assert abs(z.var() - 1) < 0.01 and abs(z.mean()) < 5 / math.sqrt(n)
    if dtype in (torch.float32, torch.float64):
        assert stats.kstest(z.ravel(), "norm").pvalue > 1e-4
    t = as_f64(xt.trunc_normal_(torch.empty(shape, dtype=dtype), 0.0, 1.0, -1.0, 2.0, seed=3))
    assert t.min() >= -1.0 and t.max() <= 2.0
    d = stats.truncnorm(-1.0, 2.0)
    assert abs(t.mean() - d.mean()) < (5 * d.std() / math.sqrt(n)
                                       + (0.004 if dtype == torch.bfloat16 else 0))
    if dtype in (torch.float32, torch.float64):
        assert stats.kstest(t.ravel(), d.cdf).pvalue > 1e-4


# ---- seeds ---------------------------------------------------------------------------------

def test_manual_seed_and_generators_make_runs_repeat():
    torch.manual_seed(123)
    a = xt.xavier_normal_(torch.empty(50, 60))
    b = xt.xavier_normal_(torch.empty(50, 60))
    torch.manual_seed(123)
    a2 = xt.xavier_normal_(torch.empty(50, 60))
    assert torch.equal(a, a2) and not torch.equal(a, b)
    g = torch.Generator().manual_seed(5)
    c = xt.uniform_(torch.empty(1000), generator=g)
    state = g.get_state()
    c2 = xt.uniform_(torch.empty(1000), generator=torch.Generator().manual_seed(5))
    assert torch.equal(c, c2)
    # the draw advanced g: the next call differs
    assert not torch.equal(xt.uniform_(torch.empty(1000), generator=g), c)
    assert not torch.equal(g.get_state(), state)
    # the seed is 126 bits from the generator, as documented
    g = torch.Generator().manual_seed(9)
    words = torch.empty(2, dtype=torch.int64).random_(generator=torch.Generator().manual_seed(9))
    seed = (int(words[0]) << 63) | int(words[1])
    assert torch.equal(xt.normal_(torch.empty(100), generator=g),
                       torch.from_numpy(xavier.normal(100, seed=seed)))


def test_seed_draws_in_many_threads_at_once_match_one_thread():
    """Each thread draws its seeds into a buffer of its own: threads drawing
    from their own generators at once get what each would get alone."""
    def run(i):
        g = torch.Generator().manual_seed(i)
        return [xt.normal_(torch.empty(64), generator=g) for _ in range(200)]

    want = [run(i) for i in range(4)]
    got = [None] * 4
    start = threading.Barrier(4)

    def worker(i):
        start.wait()
        got[i] = run(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w, g in zip(want, got):
        assert all(torch.equal(a, b) for a, b in zip(w, g))


def test_seed_and_generator_are_exclusive():
    with pytest.raises(ValueError, match="generator or seed"):
        xt.normal_(torch.empty(3), generator=torch.Generator(), seed=1)


def test_thread_count_does_not_change_values():
    ref = xt.kaiming_uniform_(torch.empty(700, 900), seed=4, threads=1)
    for th in (2, 3, 8):
        assert torch.equal(xt.kaiming_uniform_(torch.empty(700, 900), seed=4, threads=th), ref)


# ---- torch's behaviours and errors -----------------------------------------------------------

def test_torch_errors_and_warnings():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        xt.xavier_uniform_(torch.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        xt.kaiming_uniform_(torch.empty(5, 5), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        xt.kaiming_normal_(torch.empty(5, 5), nonlinearity="gelu")
    with pytest.warns(UserWarning, match="zero-element"):
        t = xt.kaiming_uniform_(torch.empty(0, 5))
    assert t.shape == (0, 5)
    # upper-case modes are accepted, as by torch
    xt.kaiming_normal_(torch.empty(4, 4), mode="FAN_OUT", seed=1)


def inference_zeros(*shape):
    with torch.inference_mode():
        return torch.zeros(shape)


BAD = [
    (lambda: xt.uniform_(torch.empty(3), 1.0, 0.0), RuntimeError, r"from=1 > to=0"),
    (lambda: xt.uniform_(torch.empty(3), 0.0, math.nan), RuntimeError, "to is out of bounds"),
    (lambda: xt.normal_(torch.empty(3), 0.0, -1.0), RuntimeError, "std >= 0.0"),
    (lambda: xt.trunc_normal_(torch.empty(3), a=2.0, b=1.0), RuntimeError, "a <= b"),
    (lambda: xt.trunc_normal_(torch.empty(3), std=0.0), ZeroDivisionError, "division by zero"),
    (lambda: xt.trunc_normal_(torch.empty(3), a=10.0, b=11.0), RuntimeError, r"2\*\*-40"),
    (lambda: xt.xavier_uniform_(torch.empty(3, 3), gain=math.inf), RuntimeError, "out of bounds"),
    (lambda: xt.normal_(torch.empty(3), threads=0), ValueError, "threads"),
    (lambda: xt.normal_(torch.empty(3), seed=-1), ValueError, "seed"),
    (lambda: xt.normal_(np.zeros(3)), TypeError, "tensor"),
    (lambda: xt.normal_(torch.zeros(3).expand(4, 3)), RuntimeError, "single memory location"),
    (lambda: xt.normal_(inference_zeros(3)), RuntimeError, "inference tensor"),
    (lambda: xt.uniform_(torch.empty(3, dtype=torch.float16), 0.0, 1e5), RuntimeError,
     "to is out of bounds for c10::Half"),
]


@pytest.mark.parametrize("call, exc, match", BAD)
def test_bad_input_changes_nothing(call, exc, match):
    g = torch.default_generator.get_state()
    with pytest.raises(exc, match=match) as info:
        call()
    # argument errors are torch's type and xavier's (ValueError or TypeError) at once;
    # a tensor that cannot be written gets torch's own RuntimeError, as from torch
    if match not in ("single memory location", "inference tensor"):
        assert isinstance(info.value, (ValueError, TypeError))
    # the seed is drawn only once everything is checked
    assert torch.equal(torch.default_generator.get_state(), g)


# ---- torch's semantics at the edges ---------------------------------------------------------
#
# For every call, xavier.torch does what torch.nn.init does: where torch raises,
# xavier raises an instance of torch's exception type; where torch fills, xavier
# fills, with infinities and NaNs where torch gives them.  The differences are
# documented (docs/torch.md, "Errors and edge cases"): trunc_normal_ refuses a
# negative or NaN std and an interval holding less than 2**-40 of the mass,
# where torch's values are not from the distribution asked for.

EDGE = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 10.0, 11.0, 1e-45, 1e-300, 6e4, 1e5, 3e38,
        -3e38, 1e39, 1e300, math.inf, -math.inf, math.nan]
EDGE_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


_CODES = {torch.float32: xavier._core.F32, torch.float64: xavier._core.F64,
          torch.float16: xavier._core.F16, torch.bfloat16: xavier._core.BF16}


def _documented_difference(name, args, dtype):
    """trunc_normal_ calls that torch fills and xavier refuses: those that
    xavier.truncated_normal refuses (a negative or NaN std, less than 2**-40
    of the mass in [a, b], values beyond the dtype)."""
    if name != "trunc_normal_":
        return False
    try:
        xavier._checks.truncnorm_params(*args, _CODES[dtype])
    except ValueError:
        return True
    return False


def _beyond_dtype(args, dtype):
    """A finite argument the dtype cannot hold: torch raises OverflowError or
    RuntimeError there, by function; xavier raises InitArgumentError."""
    top = float(torch.finfo(dtype).max)
    return any(math.isfinite(v) and abs(v) > top for v in args)


class _TooLong(Exception):
    pass


def _outcome(fn, shape, dtype, args, limit=None):
    """The filled tensor, or the exception raised; _TooLong after `limit` s
    (torch's trunc_normal_ samples by rejection, which can run for ever on a
    wide interval whose mass is tiny)."""
    t = torch.zeros(shape, dtype=dtype)

    def too_long(signum, frame):
        raise _TooLong

    old = signal.signal(signal.SIGALRM, too_long) if limit else None
    if limit:
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fn(t, *args)
            except _TooLong:
                raise
            except Exception as e:   # noqa: BLE001 - the outcome is the exception's type
                return e
    finally:
        if limit:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    return t


@hypothesis_settings(400)
@given(name=st.sampled_from(["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                             "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]),
       values=st.lists(st.sampled_from(EDGE), min_size=4, max_size=4),
       dtype=st.sampled_from(EDGE_DTYPES))
def test_edges_follow_torch(name, values, dtype):
    nargs = {"uniform_": 2, "normal_": 2, "trunc_normal_": 4, "xavier_uniform_": 1,
             "xavier_normal_": 1, "kaiming_uniform_": 1, "kaiming_normal_": 1}[name]
    args = tuple(values[:nargs])
    shape = (64, 48)
    ours = _outcome(functools.partial(getattr(xt, name), seed=1), shape, dtype, args)
    try:
        theirs = _outcome(getattr(torch.nn.init, name), shape, dtype, args, limit=2.0)
    except _TooLong:           # torch would take for ever: xavier fills or refuses, at once
        assert not isinstance(ours, Exception) or isinstance(ours, xt.InitArgumentError)
        return
    if isinstance(theirs, Exception):
        if name == "trunc_normal_" and not isinstance(ours, Exception) and (
                isinstance(theirs, OverflowError) or not _documented_difference(name, args,
                                                                                dtype)):
            # torch's rejection sampler fails on bounds it cannot propose from (an
            # infinite bound of a small tail, a bound beyond the dtype), or its
            # arithmetic overflows on extreme parameters; xavier inverts the CDF
            # (or fills a where a == b): values in [a, b]
            lo, hi = (float(torch.tensor(v, dtype=dtype)) for v in args[2:])
            assert ours.double().min() >= lo and ours.double().max() <= hi
            return
        assert isinstance(ours, type(theirs)) or (
            isinstance(ours, xt.InitArgumentError) and (
                _beyond_dtype(args, dtype) or isinstance(theirs, OverflowError))), \
            (name, args, dtype, theirs, ours)
        assert isinstance(ours, (ValueError, TypeError)), ours
        return
    if isinstance(ours, Exception):
        assert isinstance(ours, xt.InitArgumentError), (name, args, dtype, ours)
        assert _documented_difference(name, args, dtype), (name, args, dtype, ours)
        return
    # the same kind of values: finite where torch's are, the same infinities and NaNs
    assert torch.isnan(ours).any() == torch.isnan(theirs).any(), (name, args, dtype)
    assert torch.isposinf(ours).any() == torch.isposinf(theirs).any(), (name, args, dtype)
    assert torch.isneginf(ours).any() == torch.isneginf(theirs).any(), (name, args, dtype)
    assert torch.isfinite(ours).all() == torch.isfinite(theirs).all(), (name, args, dtype)
    if name in ("uniform_", "trunc_normal_") and torch.isfinite(ours).all():
        lo, hi = (args[0], args[1]) if name == "uniform_" else (args[2], args[3])
        lo, hi = (float(torch.tensor(v, dtype=dtype)) for v in (lo, hi))  # as the dtype holds them
        assert ours.double().min() >= lo and ours.double().max() <= hi


def test_other_devices_and_dtypes_go_to_torch():
    xt._fill._warned_devices.discard("meta")
    m = torch.empty(4, 4, device="meta")
    with pytest.warns(UserWarning, match="'meta'"):
        assert xt.xavier_uniform_(m) is m
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # warned once per device type
        xt.normal_(torch.empty(2, device="meta"))
    # integer tensors: whatever torch does (here: an error) happens
    with pytest.raises(RuntimeError) as ours:
        xt.normal_(torch.zeros(3, dtype=torch.int64))
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.init.normal_(torch.zeros(3, dtype=torch.int64))
    assert str(ours.value) == str(theirs.value)


# ---- fast_init ---------------------------------------------------------------------------

NAMES = xt._originals._NAMES


def _all_torch():
    """torch's functions and Tensor methods are torch's own, code included."""
    orig = xt._originals
    return all(getattr(torch.nn.init, n) is orig._FUNCTIONS[n]
               and orig._FUNCTIONS[n].__code__ is orig._TORCH[n].__code__ for n in NAMES) and \
        xt._fast_init._HOOK not in vars(torch.nn.init) and \
        all(getattr(torch.Tensor, n) is xt._fast_init._TENSOR_TORCH[n]
            for n in ("normal_", "uniform_"))


# References to torch's functions held outside torch.nn.init before any block:
# a table (as Hugging Face's TORCH_INIT_FUNCTIONS), partials, and the name
# torch's MultiheadAttention binds with ``from torch.nn.init import``.
HELD = {n: getattr(torch.nn.init, n) for n in NAMES}
PARTIALS = {n: functools.partial(getattr(torch.nn.init, n)) for n in NAMES}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1000, 64)
        self.conv = nn.Conv2d(3, 32, 3)
        self.block = nn.TransformerEncoderLayer(64, 4, 256, batch_first=True)
        self.rnn = nn.LSTM(64, 32)
        self.fc = nn.Linear(64, 10)


def _values(call, n, seed=3):
    torch.manual_seed(seed)
    return call(torch.empty(64, 48))


@pytest.mark.parametrize("name", NAMES)
def test_fast_init_reaches_xavier_through_every_reference(name):
    """Inside a block, torch.nn.init.<name> however it is held gives xavier's
    values; outside (after nested blocks too), torch's own."""
    refs = {"module": lambda t: getattr(torch.nn.init, name)(t), "held": HELD[name],
            "partial": PARTIALS[name]}
    if name == "xavier_uniform_":
        refs["imported"] = torch.nn.modules.activation.xavier_uniform_
    ours = _values(getattr(xt, name), name)
    theirs = _values(xt._originals._TORCH[name], name)
    assert not torch.equal(ours, theirs)
    assert _all_torch()
    with xt.fast_init():
        for how, call in refs.items():
            assert torch.equal(_values(call, name), ours), how
        with xt.fast_init(threads=1):        # nested
            assert torch.equal(_values(HELD[name], name), ours)
        assert torch.equal(_values(HELD[name], name), ours)
    assert _all_torch()
    for how, call in refs.items():
        assert torch.equal(_values(call, name), theirs), how


def test_fast_init_leaves_code_someone_else_changed():
    """A function whose code was changed by someone else keeps that code."""
    fn = torch.nn.init.normal_
    own = fn.__code__
    fn.__code__ = (lambda tensor, mean=0.0, std=1.0, generator=None: tensor.fill_(mean)).__code__
    changed = fn.__code__
    try:
        with xt.fast_init():
            assert fn.__code__ is changed
            assert (fn(torch.empty(3), 2.0) == 2.0).all()
        assert fn.__code__ is changed
    finally:
        fn.__code__ = own
    assert _all_torch()


def test_fast_init_restores_when_the_constructor_raises():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(10, 10)
            raise RuntimeError("constructor failed")

    with pytest.raises(RuntimeError, match="constructor failed"):
        with xt.fast_init():
            Broken()
    assert _all_torch()
    assert xt._state._local.depth == 0 and xt._fast_init._patch_users == 0


def _built_three_ways(make, seed):
    """make() after torch.manual_seed(seed): under fast_init, under
    fast_init(threads=1), and with torch's own initialization."""
    models = []
    for how in ("fast_init", "fast_init(threads=1)", "torch"):
        torch.manual_seed(seed)
        if how == "torch":
            models.append(make())
        else:
            with xt.fast_init(threads=1 if "threads" in how else None):
                models.append(make())
    return models


def _assert_xavier_models(a, b, c):
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb), name          # any thread count: the same model
        if pa.numel() > 100 and pa.std() > 0:
            assert not torch.equal(pa, pc), name  # xavier's stream, not torch's


def test_fast_init_uses_xavier_and_repeats_with_manual_seed():
    _assert_xavier_models(*_built_three_ways(Net, 0))


def test_fast_init_gives_torchs_distributions():
    """Every parameter of a model built under fast_init has the mean and
    variance that torch's own initialization gives it (statistically)."""
    torch.manual_seed(1)
    with xt.fast_init():
        ours = nn.ModuleDict({"emb": nn.Embedding(2000, 128), "fc": nn.Linear(512, 1024),
                              "conv": nn.Conv2d(64, 128, 3), "attn": nn.MultiheadAttention(256, 8),
                              "block": nn.TransformerEncoderLayer(128, 4, 512),
                              "ln": nn.LayerNorm(64), "gru": nn.GRU(128, 128)})
    torch.manual_seed(1)
    ref = nn.ModuleDict({"emb": nn.Embedding(2000, 128), "fc": nn.Linear(512, 1024),
                         "conv": nn.Conv2d(64, 128, 3), "attn": nn.MultiheadAttention(256, 8),
                         "block": nn.TransformerEncoderLayer(128, 4, 512), "ln": nn.LayerNorm(64),
                         "gru": nn.GRU(128, 128)})
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        x, y = as_f64(p).ravel(), as_f64(q).ravel()
        n = x.size
        if y.std() == 0:
            assert np.array_equal(x, y), name     # constants (ones_, zeros_) are torch's own
            continue
        sd = y.std()
        assert abs(x.mean() - y.mean()) < 6 * sd * math.sqrt(2 / n), name
        assert abs(x.var() / y.var() - 1) < 6 * math.sqrt(4 / n) + 1e-9, name
        assert abs(np.abs(x).max() - np.abs(y).max()) < 0.25 * np.abs(y).max(), name


def _during_fast_init(fill):
    """fill() in another thread while this one is inside a fast_init block,
    then fill() here inside it: ({"t": the other's result, "fn": the code of
    torch.nn.init.normal_ it saw}, our result)."""
    inside, done = threading.Event(), threading.Event()
    got = {}

    def other():
        inside.wait()
        got["t"] = fill()
        got["fn"] = torch.nn.init.normal_.__code__
        done.set()

    th = threading.Thread(target=other)
    th.start()
    with xt.fast_init():
        inside.set()
        assert done.wait(10)
        mine = fill()
    th.join()
    return got, mine


def test_fast_init_is_per_thread():
    """Another thread calling torch.nn.init during a fast_init block gets
    torch's own function and values."""
    def fill():
        return torch.nn.init.normal_(torch.empty(5000), generator=torch.Generator().manual_seed(77))

    want = fill()
    got, mine = _during_fast_init(fill)
    assert got["fn"] is xt._fast_init._TRAMPOLINES["normal_"]   # the swap is process-wide ...
    assert torch.equal(got["t"], want)            # ... but acts in fast_init's thread only
    assert not torch.equal(mine, want)
    assert _all_torch()


def test_fast_init_in_many_threads_at_once():
    results = {}

    def build(i):
        torch_gen = torch.Generator().manual_seed(i)
        with xt.fast_init():
            results[i] = torch.nn.init.xavier_uniform_(torch.empty(300, 400), generator=torch_gen)

    threads = [threading.Thread(target=build, args=(i % 3,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        want = xt.xavier_uniform_(torch.empty(300, 400), generator=torch.Generator().manual_seed(i))
        assert torch.equal(results[i], want)
    assert _all_torch() and xt._fast_init._patch_users == 0


class HFStyle(nn.Module):
    """Initialized as Hugging Face models do: Tensor methods on .data."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(600, 400)
        self.emb = nn.Embedding(3000, 64)
        for m in (self.fc, self.emb):
            m.weight.data.normal_(mean=0.0, std=0.02)
        self.fc.bias.data.uniform_(-0.1, 0.1)


def test_fast_init_covers_tensor_methods():
    with xt.fast_init():
        assert torch.Tensor.normal_ is xt._fast_init._TENSOR_DISPATCH["normal_"]
    assert _all_torch() and "normal_" not in torch.Tensor.__dict__  # inherited again
    a, b, c = _built_three_ways(HFStyle, 3)
    _assert_xavier_models(a, b, c)
    for m in (a.fc, a.emb):
        x = as_f64(m.weight).ravel()
        assert abs(x.std() / 0.02 - 1) < 0.02 and abs(x.mean()) < 0.001
    bias = as_f64(a.fc.bias)
    assert bias.min() >= -0.1 and bias.max() < 0.1 and bias.std() > 0.05


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_fast_init_tensor_methods_are_xavier_functions(dtype):
    """t.normal_(m, s, generator=g) and t.uniform_(a, b) in a fast_init block
    give exactly xavier.torch.normal_ / uniform_ with the same generator."""
    def gen():
        return torch.Generator().manual_seed(11)

    with xt.fast_init():
        n = torch.empty(500, 300, dtype=dtype).normal_(1.0, 2.0, generator=gen())
        u1 = torch.empty(777, dtype=dtype).uniform_(-1.0, 2.0, generator=gen())
        u2 = torch.empty(777, dtype=dtype).uniform_(**{"from": -1.0, "to": 2.0}, generator=gen())
        u3 = torch.empty(777, dtype=dtype).uniform_(-1.0, to=2.0, generator=gen())
    assert torch.equal(n, xt.normal_(torch.empty(500, 300, dtype=dtype), 1.0, 2.0, gen()))
    want = xt.uniform_(torch.empty(777, dtype=dtype), -1.0, 2.0, gen())
    for u in (u1, u2, u3):
        assert torch.equal(u, want)


def test_fast_init_tensor_methods_leave_autograd_and_errors_to_torch():
    p = nn.Parameter(torch.empty(3))
    with xt.fast_init():
        with pytest.raises(RuntimeError, match="leaf Variable"):
            p.normal_()  # torch's own error for an in-place op on a leaf requiring grad
        with torch.no_grad():
            g = torch.Generator().manual_seed(5)
            assert torch.equal(p.normal_(generator=g),
                               xt.normal_(torch.empty(3),
                                          generator=torch.Generator().manual_seed(5)))
        with pytest.raises(TypeError):
            torch.empty(3).uniform_(0.0, 1.0, 2.0)  # torch's signature error
        with pytest.raises(TypeError):
            torch.empty(3).uniform_(0.0, low=1.0)
    assert _all_torch()


def test_fast_init_tensor_methods_are_per_thread():
    def fill():
        return torch.empty(4000).normal_(generator=torch.Generator().manual_seed(9))

    want = fill()
    got, mine = _during_fast_init(fill)
    assert torch.equal(got["t"], want) and not torch.equal(mine, want)
    assert _all_torch()


# ---- init_ -------------------------------------------------------------------------------

def model():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32), nn.LayerNorm(32))


def test_init_reinitializes_weights_by_name():
    m = model()
    biases = m[0].bias.detach().clone()
    ln = m[3].weight.detach().clone()
    assert xt.init_(m, "glorot_uniform", seed=3) is m
    assert torch.equal(m[0].bias, biases) and torch.equal(m[3].weight, ln)
    a = torch_xavier_a((128, 64))
    want = xavier.uniform((128, 64), -a, a, seed=named_seed(3, "0.weight"))
    np.testing.assert_allclose(m[0].weight.detach().numpy(), want, rtol=1e-6)
    # another model sharing a parameter name gets the same values for it
    m2 = nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, 99))
    xt.init_(m2, "glorot_uniform", seed=3)
    assert torch.equal(m2[0].weight, m[0].weight)


@pytest.mark.parametrize("scheme, var", [
    ("glorot_uniform", lambda fi, fo: 2 / (fi + fo)),
    ("xavier_normal", lambda fi, fo: 2 / (fi + fo)),
    ("he_uniform", lambda fi, fo: 2 / fi), ("kaiming_normal", lambda fi, fo: 2 / fi),
    ("lecun_uniform", lambda fi, fo: 1 / fi), ("lecun_normal", lambda fi, fo: 1 / fi)])
def test_init_schemes_have_their_variance(scheme, var):
    m = nn.Linear(1000, 500)
    xt.init_(m, scheme, seed=1, biases="zeros")
    assert float(m.weight.detach().var()) == pytest.approx(var(1000, 500), rel=0.02)
    assert not m.bias.any()
    xt.init_(m, scheme.replace("uniform", "normal"), seed=1, truncated=True, gain=2.0)
    assert float(m.weight.detach().var()) == pytest.approx(4 * var(1000, 500), rel=0.02)


def test_init_dtypes_devices_and_errors():
    m = nn.Linear(30, 20).to(torch.bfloat16)
    xt.init_(m, "he_normal", seed=2)
    assert m.weight.dtype == torch.bfloat16 and m.weight.float().std() > 0
    meta = nn.Linear(30, 20, device="meta")
    xt.init_(meta, seed=1)                       # nothing to fill: skipped
    torch.manual_seed(5)
    a = xt.init_(model()).state_dict()
    torch.manual_seed(5)
    b = xt.init_(model()).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a if k.endswith("weight") and a[k].dim() == 2)
    with pytest.raises(ValueError, match="scheme"):
        xt.init_(model(), "orthogonal")
    with pytest.raises(ValueError, match="biases"):
        xt.init_(model(), biases="ones")
    with pytest.raises(ValueError, match="truncated"):
        xt.init_(model(), "he_uniform", truncated=True)
    with pytest.raises(TypeError, match="module"):
        xt.init_(torch.empty(3, 3))
    ints = nn.Module()
    ints.w = nn.Parameter(torch.zeros(3, 3, dtype=torch.int64), requires_grad=False)
    with pytest.raises(TypeError, match="dtype"):
        xt.init_(ints)


# ---- the NumPy API next to torch.nn.init -------------------------------------------------

def test_xavier_uniform_matches_torch_bound():
    torch = pytest.importorskip("torch")
    t = torch.empty(64, 32, 3, 3, dtype=torch.float64)
    torch.manual_seed(0)
    torch.nn.init.xavier_uniform_(t)
    w = xavier.xavier_uniform_(np.empty((64, 32, 3, 3)), seed=0)
    a = math.sqrt(6.0 / (288 + 576))
    # both lie in the same interval and both reach close to its ends
    for x in (t.numpy(), w):
        assert np.abs(x).max() <= a and np.abs(x).max() > 0.99 * a
    z = xavier.xavier_normal_(np.empty((256, 512, 3, 3)), seed=0)
    tz = torch.empty(256, 512, 3, 3, dtype=torch.float64)
    torch.nn.init.xavier_normal_(tz)
    s = math.sqrt(2.0 / (512 * 9 + 256 * 9))
    assert float(z.std()) == pytest.approx(s, rel=0.01)
    assert float(tz.std()) == pytest.approx(float(z.std()), rel=0.01)
