"""pytest-benchmark suite: xavier.torch against torch.nn.init (skipped without torch).

Run with::

    python -m pytest benchmarks/ --benchmark-only

Groups "torch <function> <dtype>" time torch's own function and its
``xavier.torch`` twin on one 8192 x 8192 CPU tensor (float32 and bfloat16);
group "model build" times building a transformer-shaped model of ~2.2e8
parameters (4 blocks of 2048/8192) with torch's initialization and under
``xavier.torch.fast_init()``.  ``benchmarks/torch_init.py`` prints the same
comparison as tables, with the ~1.1e9-parameter model.
"""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402

import xavier.torch as xt  # noqa: E402

N = 8192
STD = math.sqrt(2.0 / (2 * N))


@pytest.fixture(scope="module", params=[torch.float32, torch.bfloat16], ids=str)
def tensor(request):
    t = torch.empty(N, N, dtype=request.param)
    t.zero_()  # page it in before anything is timed
    return t


def _run(benchmark, fn, group, rounds):
    benchmark.group = group
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_"])
@pytest.mark.parametrize("impl", ["torch", "xavier"])
def test_init_function(benchmark, tensor, name, impl):
    fn = getattr(torch.nn.init if impl == "torch" else xt, name)
    _run(benchmark, lambda: fn(tensor), f"torch {name} {str(tensor.dtype)[6:]}",
         3 if impl == "torch" else 10)
    assert abs(float(tensor[:64].float().std()) / STD - 1.0) < 0.05


def _model(layers: int = 4) -> nn.Module:
    return nn.Sequential(*[nn.TransformerEncoderLayer(2048, 16, 8192, batch_first=True)
                           for _ in range(layers)])


@pytest.mark.parametrize("impl", ["torch", "fast_init"])
def test_model_build(benchmark, impl):
    def build():
        torch.manual_seed(0)
        if impl == "fast_init":
            with xt.fast_init():
                return _model()
        return _model()

    model = _run(benchmark, build, "model build", 3)
    assert sum(p.numel() for p in model.parameters()) > 2e8
