#!/usr/bin/env python
"""Fixed costs per call: xavier against torch on small tensors, side by side.

Usage::

    python benchmarks/small_calls.py [--rounds 7] [--calls 20000] [--load N] [--markdown]

Each row times one call, best of `rounds` rounds of `calls` calls (the
minimum: a fixed cost is what is left when nothing disturbs the call), the
contenders' rounds interleaved.  Rows:

* the NumPy API into an existing array: ``xavier.glorot_uniform((64, 64),
  out=a, seed=1)`` and ``glorot_normal``;
* ``xavier.torch``'s drop-ins against ``torch.nn.init``'s own functions on a
  64 x 64 float32 tensor and on a 1-D 768 tensor (a bias), seeds drawn from
  torch's default generator on both sides;
* entering and leaving ``xavier.torch.fast_init()`` with the modules this
  process has loaded (transformers' GPT-2, BERT and Llama models too,
  when installed, as in a program that builds them).

torch runs with ``torch.set_num_threads(2)`` (or the CPU count, if smaller).
``--load N`` times everything beside N busy background processes.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

import xavier
import xavier.torch as xt
from xavier import _bench
from xavier._bench import render_table

Call = Callable[[], object]


def best_per_call(fns: Dict[str, Call], rounds: int, calls: int) -> Dict[str, float]:
    """Seconds per call of each function: the best of `rounds` interleaved rounds."""
    best = {name: math.inf for name in fns}
    for fn in fns.values():
        for _ in range(min(calls, 1000)):
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / calls)
    return best


def _rows() -> List[Tuple[str, Call, Optional[Call]]]:
    """(label, xavier's call, torch's call or None)."""
    a = np.empty((64, 64), np.float32)
    w = torch.empty(64, 64)
    b = torch.empty(768)
    rows: List[Tuple[str, Call, Optional[Call]]] = [
        ("`xavier.glorot_uniform((64, 64), out=a, seed=1)`",
         lambda: xavier.glorot_uniform((64, 64), out=a, seed=1), None),
        ("`xavier.glorot_normal((64, 64), out=a, seed=1)`",
         lambda: xavier.glorot_normal((64, 64), out=a, seed=1), None)]
    for name in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "uniform_", "normal_",
                 "trunc_normal_"):
        ours, theirs = getattr(xt, name), getattr(torch.nn.init, name)
        rows.append((f"`{name}`, 64 x 64", lambda f=ours: f(w), lambda f=theirs: f(w)))
    for name in ("uniform_", "normal_"):
        ours, theirs = getattr(xt, name), getattr(torch.nn.init, name)
        rows.append((f"`{name}`, 768 (a bias)", lambda f=ours: f(b), lambda f=theirs: f(b)))
    return rows


def _fast_init_entry() -> None:
    with xt.fast_init():
        pass


def run(rounds: int, calls: int) -> List[Dict[str, object]]:
    results: List[Dict[str, object]] = []
    for label, ours, theirs in _rows():
        fns = {"xavier": ours} if theirs is None else {"xavier": ours, "torch": theirs}
        best = best_per_call(fns, rounds, calls)
        results.append({"call": label, "xavier_us": best["xavier"] * 1e6,
                        "torch_us": best["torch"] * 1e6 if theirs is not None else None})
    best = best_per_call({"xavier": _fast_init_entry}, rounds, max(1, calls // 100))
    results.append({"call": f"`with fast_init(): pass`, {len(sys.modules)} modules loaded",
                    "xavier_us": best["xavier"] * 1e6, "torch_us": None})
    return results


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=20000, help="calls per round")
    p.add_argument("--load", type=int, default=0, metavar="N",
                   help="busy background processes during the run")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.calls < 1:
        p.error("--rounds and --calls must be >= 1")
    if not 0 <= args.load <= _bench.max_load():
        p.error(f"--load must be in [0, {_bench.max_load()}]")
    try:   # loaded, as in a program that builds Hugging Face models
        from transformers import BertModel, GPT2LMHeadModel, LlamaForCausalLM  # noqa: F401
    except ImportError:
        pass
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    with _bench.BackgroundLoad(args.load):
        results = run(args.rounds, args.calls)
    body = []
    for r in results:
        x, t = r["xavier_us"], r["torch_us"]
        assert isinstance(x, float)
        ratio = f"{x / t:.2f}x" if isinstance(t, float) else ""
        body.append([str(r["call"]), f"{x:.2f} us", f"{t:.2f} us" if isinstance(t, float) else "",
                     ratio])
    print(f"{time.strftime('%Y-%m-%d')}: xavier {xavier.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; best of {args.rounds} rounds of {args.calls} calls"
          + (f"; beside {args.load} busy background process(es)" if args.load else "") + "\n")
    print(render_table(["call", "xavier", "torch", "xavier / torch"], body, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
