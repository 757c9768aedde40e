"""xavier.torch and autograd: every in-place write behaves as torch's own.

xavier.torch writes tensors through their memory, around torch; these tests
run torch's own op in each scenario and assert that xavier's entry point has
the same outcome: the same error (or none), a bumped version counter, and a
saved graph that a backward then rejects in the same way."""
import re

import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402

import xavier.torch as xt  # noqa: E402

SHAPE = (6, 5)


def _nn_init(name, *args):
    """(xavier's, torch's) torch.nn.init.<name> with these arguments."""
    return (lambda t, g: getattr(xt, name)(t, *args, generator=g),
            lambda t, g: getattr(torch.nn.init, name)(t, *args, generator=g))


def _in_fast_init(call):
    def run(t, g):
        with xt.fast_init():
            return call(t, g)
    return run


def _dispatched(call):
    """`call` run inside fast_init (xavier's), and as is (torch's)."""
    return _in_fast_init(call), call


# Every in-place entry point of xavier.torch: name -> (ours, torch's), each
# f(tensor, generator), to be run in the same scenario.
ENTRIES = {
    "uniform_": _nn_init("uniform_", -0.5, 1.5),
    "normal_": _nn_init("normal_", 0.1, 0.3),
    "trunc_normal_": _nn_init("trunc_normal_", 0.0, 1.0, -1.0, 1.5),
    "xavier_uniform_": _nn_init("xavier_uniform_", 1.5),
    "xavier_normal_": _nn_init("xavier_normal_", 0.5),
    "kaiming_uniform_": _nn_init("kaiming_uniform_", 5 ** 0.5),
    "kaiming_normal_": _nn_init("kaiming_normal_", 0, "fan_out", "relu"),
    "fast_init nn.init.xavier_uniform_": _dispatched(
        lambda t, g: torch.nn.init.xavier_uniform_(t, generator=g)),
    "fast_init nn.init.trunc_normal_": _dispatched(
        lambda t, g: torch.nn.init.trunc_normal_(t, std=0.5, generator=g)),
    "fast_init Tensor.normal_": _dispatched(lambda t, g: t.normal_(0.0, 0.5, generator=g)),
    "fast_init Tensor.uniform_": _dispatched(lambda t, g: t.uniform_(-1.0, 1.0, generator=g)),
}


def test_every_public_entry_point_is_covered():
    errors = {name for name in xt.__all__ if isinstance(getattr(xt, name), type)}
    assert errors == {"InitArgumentError", "InitOverflowError", "InitZeroDivisionError"}
    assert set(xt.__all__) - {"fast_init", "init_", "save_init"} - errors <= set(ENTRIES)


def _gen():
    return torch.Generator().manual_seed(42)


def _outcome(call):
    """None if `call` ran, else (exception type, message without version numbers,
    which differ where torch's op bumps the counter more than once)."""
    try:
        call()
    except Exception as e:  # noqa: BLE001 - compared with torch's below
        return type(e), re.sub(r"version \d+", "version N", str(e))
    return None


# name -> build(): (tensor to write, the loss whose graph may have saved it)
def _leaf():
    w = torch.randn(SHAPE, requires_grad=True)
    return w, (w * w).sum()


def _exp_output():
    e = torch.exp(torch.randn(SHAPE, requires_grad=True))   # exp saves its output
    return e, e.sum()


def _row_view():
    w = torch.randn(8, 5, requires_grad=True)
    return w[:6], (w * w).sum()


def _transposed_view():
    e = torch.exp(torch.randn(5, 6, requires_grad=True))
    return e.t(), e.sum()


def _view_made_under_no_grad():
    w = torch.randn(5, 6, requires_grad=True)
    z = (w * w).sum()
    with torch.no_grad():
        v = w.t()
    return v, z


def _saved_input_not_requiring_grad():
    x = torch.randn(SHAPE)
    return x, (torch.randn(SHAPE, requires_grad=True) * x).sum()


def _plain():
    return torch.zeros(SHAPE), None


SCENARIOS = {f.__name__.lstrip("_"): f for f in (
    _leaf, _exp_output, _row_view, _transposed_view, _view_made_under_no_grad,
    _saved_input_not_requiring_grad, _plain)}
MODES = {"grad": torch.enable_grad, "no_grad": torch.no_grad,
         "inference_mode": torch.inference_mode}


def _grad_fn(t):
    """The name of t's grad_fn, or the error reading it raises (torch's for a
    view made under no_grad whose base was written since)."""
    return _outcome(lambda: t.grad_fn) or type(t.grad_fn).__name__


def _run(write, scenario, mode):
    torch.manual_seed(0)                    # the same scenario for both
    t, z = SCENARIOS[scenario]()
    before = t._version
    with MODES[mode]():
        out = _outcome(lambda: write(t, _gen()))
    values = t.detach().clone()
    return {"outcome": out, "bump": t._version - before, "values": values,
            "requires_grad": t.requires_grad, "grad_fn": _grad_fn(t),
            "backward": None if z is None else _outcome(z.backward)}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("entry", ENTRIES)
def test_in_place_writes_are_seen_by_autograd_as_torchs_are(entry, scenario, mode):
    ours, theirs = ENTRIES[entry]
    want = _run(theirs, scenario, mode)
    got = _run(ours, scenario, mode)
    # the same error, or none (e.g. Tensor.normal_ on a leaf requiring grad)
    assert got["outcome"] == want["outcome"]
    if want["outcome"] is not None:
        assert got["bump"] == 0
        return
    if entry.startswith("fast_init Tensor.") and mode == "grad" and got["requires_grad"]:
        # an op autograd records stays torch's (see fast_init)
        assert torch.equal(got.pop("values"), want.pop("values")) and got == want
        return
    # xavier wrote, not torch, the values it writes in a plain tensor (the bump changes none)
    assert not torch.equal(got["values"], want["values"])
    ref = torch.zeros(got["values"].shape)
    ours(ref, _gen())
    assert torch.equal(got["values"], ref)
    # one bump at least, as torch's op (trunc_normal_'s several in-place ops bump more)
    assert 1 <= got["bump"] <= want["bump"]
    assert got["grad_fn"] == want["grad_fn"]       # a view's grad_fn is regenerated alike
    assert got["backward"] == want["backward"]     # the saved graph is rejected alike
    if scenario != "plain":
        assert want["backward"] is not None and want["backward"][0] is RuntimeError


def _inference_zeros():
    with torch.inference_mode():
        return torch.zeros(SHAPE)


@pytest.mark.parametrize("entry", ENTRIES)
def test_inference_tensors_are_written_only_in_inference_mode(entry):
    ours, theirs = ENTRIES[entry]
    for target in (lambda t: t, lambda t: t.t(), lambda t: t[:2]):
        want = _outcome(lambda: theirs(target(_inference_zeros()), _gen()))
        assert want is not None and want[0] is RuntimeError
        t, g = _inference_zeros(), _gen()
        state = g.get_state()
        got = _outcome(lambda: ours(target(t), g))
        assert got is not None and got[0] is want[0]
        assert "inference" in got[1].lower()
        assert not t.any()                               # nothing written
        assert torch.equal(g.get_state(), state)         # nor the seed drawn
    with torch.inference_mode():
        t = _inference_zeros()
        assert ours(t, _gen()) is t
    assert t.is_inference() and t.any()
    ref = torch.zeros(SHAPE)
    ours(ref, _gen())
    assert torch.equal(t, ref)


# ---- init_ ----------------------------------------------------------------------------

def _linear_in_use():
    torch.manual_seed(0)
    m = nn.Linear(5, 6)
    z = m(torch.randn(3, 5, requires_grad=True)).sum()   # saves the weight (transposed)
    return m, z


@pytest.mark.parametrize("biases", ["keep", "zeros"])
@pytest.mark.parametrize("mode", ["grad", "no_grad"])
def test_init_invalidates_a_graph_that_saved_a_parameter(biases, mode):
    m, z = _linear_in_use()
    before = m.weight._version
    with MODES[mode]():
        xt.init_(m, "glorot_uniform", seed=1, biases=biases)
    got = m.weight._version - before, _outcome(z.backward)
    m, z = _linear_in_use()
    with torch.no_grad():                   # torch.nn.init's own, as a model's reset does
        torch.nn.init.xavier_uniform_(m.weight)
        if biases == "zeros":
            m.bias.zero_()
    want = m.weight._version - before, _outcome(z.backward)
    assert 1 <= got[0] <= want[0]
    assert got[1] == want[1] and want[1][0] is RuntimeError


def test_init_refuses_inference_parameters_before_writing_any():
    def build():
        with torch.inference_mode():
            return nn.Sequential(nn.Linear(5, 6), nn.Linear(6, 4))

    with torch.no_grad():   # (torch's uniform_ writes the values, then raises)
        want = _outcome(lambda: torch.nn.init.xavier_uniform_(build()[1].weight))
    m = build()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    got = _outcome(lambda: xt.init_(m, seed=1, biases="zeros"))
    assert want is not None and got is not None and got[0] is want[0] is RuntimeError
    assert "inference" in got[1].lower()
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())
    with torch.inference_mode():
        xt.init_(m, seed=1, biases="zeros")
    assert not m[0].bias.any() and not torch.equal(m[0].weight, before["0.weight"])
