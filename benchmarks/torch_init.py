#!/usr/bin/env python
"""xavier.torch against torch.nn.init, side by side in one process.

Usage::

    python benchmarks/torch_init.py [--size 8192] [--repeats 7] [--ratio-repeats 25]
                                    [--model-layers 20] [--model-repeats 3]
                                    [--skip-model] [--json FILE] [--markdown]

1. Fills: ``torch.nn.init.{xavier_uniform_, xavier_normal_, trunc_normal_}``
   and their ``xavier.torch`` twins on one size x size CPU tensor, for float32,
   bfloat16 and float16; median of `repeats` interleaved rounds after one
   warm-up call each.  The table gives both medians, the speedup and, for
   xavier, the time relative to its float32 time.  That last ratio comes from
   a run of its own (`ratio-repeats` rounds, each calling xavier on a float32,
   a bfloat16 and a float16 tensor in turn): times taken next to torch's
   calls, which leave the caches and memory in varying states, drift too much
   between the dtypes' rounds to compare them.
2. Building a model: a transformer-shaped language model (embedding, `layers`
   ``nn.TransformerEncoderLayer(2048, 16, 8192)``, output projection; ~1.1e9
   parameters with 20 layers, 4.5 GB of float32) built with torch's own
   initialization and under ``xavier.torch.fast_init()``, both after
   ``torch.manual_seed(0)``.  One build of each is a warm-up (the first touch
   of that much memory is slow on some machines, virtual ones especially),
   then `model-repeats` interleaved builds each; medians.

Only torch, NumPy and xavier are needed.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

import xavier
import xavier.torch as xt
from xavier import _bench
from xavier._bench import render_table

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def interleaved(fns: Dict[str, Callable[[], object]], repeats: int) -> Dict[str, List[float]]:
    for fn in fns.values():
        fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def _calls(t: torch.Tensor) -> Dict[str, Tuple[Callable[[], object], Callable[[], object]]]:
    """torch's function and xavier.torch's twin on tensor t, by name."""
    s = math.sqrt(2.0 / (t.shape[0] + t.shape[1]))
    return {
        "xavier_uniform_": (lambda: torch.nn.init.xavier_uniform_(t),
                            lambda: xt.xavier_uniform_(t)),
        "xavier_normal_": (lambda: torch.nn.init.xavier_normal_(t),
                           lambda: xt.xavier_normal_(t)),
        "trunc_normal_": (lambda: torch.nn.init.trunc_normal_(t, std=s, a=-2 * s, b=2 * s),
                          lambda: xt.trunc_normal_(t, std=s, a=-2 * s, b=2 * s)),
    }


def _tensor(size: int, dtype: torch.dtype) -> torch.Tensor:
    t = torch.empty(size, size, dtype=dtype)
    # Paged in before anything is timed, as in a model's constructor: the
    # first write is an xavier fill, which asks Linux for transparent huge
    # pages first (fills of 32 MiB or more), and torch's functions then write
    # the same memory.  Paged in by torch (zero_), the tensor keeps 4 KiB
    # pages until khugepaged collapses them seconds later, and the fills'
    # times drift mid-run (bfloat16 uniform from 11.5 to 7 ms here).
    xt.uniform_(t)
    return t


def bench_dtypes(size: int, repeats: int) -> Dict[str, Dict[str, object]]:
    """xavier.torch alone, its float32, bfloat16 and float16 calls interleaved
    round by round, so their ratios see the same machine state."""
    tensors = {dname: _tensor(size, dtype) for dname, dtype in DTYPES.items()}
    calls = {dname: _calls(t) for dname, t in tensors.items()}
    out: Dict[str, Dict[str, object]] = {}
    for fname in calls["float32"]:
        times = interleaved({dname: c[fname][1] for dname, c in calls.items()}, repeats)
        med = {dname: statistics.median(v) for dname, v in times.items()}
        out[fname] = {"median_s": med, "times_s": times,
                      "vs_float32": {d: med[d] / med["float32"] for d in med}}
    del tensors, calls
    gc.collect()
    return out


def bench_fills(size: int, repeats: int, ratios: Dict[str, Dict[str, object]]
                ) -> List[Dict[str, object]]:
    rows = []
    for dname, dtype in DTYPES.items():
        t = _tensor(size, dtype)
        for fname, (theirs, ours) in _calls(t).items():
            times = interleaved({"torch": theirs, "xavier": ours}, repeats)
            mt, mx = statistics.median(times["torch"]), statistics.median(times["xavier"])
            vs = ratios[fname]["vs_float32"]
            assert isinstance(vs, dict)
            rows.append({"function": fname, "dtype": dname, "torch_ms": mt * 1e3,
                         "xavier_ms": mx * 1e3, "speedup": mt / mx,
                         "vs_float32": vs[dname], "times_s": times})
        del t
        gc.collect()
    return rows


class LM(nn.Module):
    """A transformer-shaped language model (decoder-sized blocks)."""

    def __init__(self, layers: int, vocab: int = 32000, d: int = 2048, heads: int = 16,
                 ff: int = 8192) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(d, heads, ff, batch_first=True)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)


def build_seconds(layers: int, fast: bool) -> float:
    torch.manual_seed(0)
    t0 = time.perf_counter()
    if fast:
        with xt.fast_init():
            model = LM(layers)
    else:
        model = LM(layers)
    dt = time.perf_counter() - t0
    del model
    gc.collect()
    return dt


def bench_model(layers: int, repeats: int) -> Dict[str, object]:
    with torch.device("meta"):  # counts parameters, allocating and filling nothing
        params = sum(p.numel() for p in LM(layers).parameters())
    for fast in (False, True):  # warm-up builds, not counted
        build_seconds(layers, fast)
    times: Dict[str, List[float]] = {"torch": [], "fast_init": []}
    for _ in range(repeats):
        times["torch"].append(build_seconds(layers, False))
        times["fast_init"].append(build_seconds(layers, True))
    mt, mf = statistics.median(times["torch"]), statistics.median(times["fast_init"])
    return {"layers": layers, "parameters": params, "torch_s": mt, "fast_init_s": mf,
            "speedup": mt / mf, "times_s": times}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=8192, help="tensor is size x size (default 8192)")
    p.add_argument("--repeats", type=int, default=7, help="timed rounds per fill (default 7)")
    p.add_argument("--ratio-repeats", type=int, default=25,
                   help="timed rounds of xavier's dtypes against each other (default 25)")
    p.add_argument("--model-layers", type=int, default=20,
                   help="transformer blocks (default 20: ~1.1e9 parameters)")
    p.add_argument("--model-repeats", type=int, default=3, help="timed builds each (default 3)")
    p.add_argument("--skip-model", action="store_true", help="time the fills only")
    p.add_argument("--load", type=int, default=0, metavar="N",
                   help="time everything beside N busy background processes (xavier bench's)")
    p.add_argument("--json", metavar="FILE", help="write facts and raw timings to FILE")
    p.add_argument("--markdown", action="store_true", help="print GitHub markdown tables")
    args = p.parse_args(argv)
    if min(args.size, args.repeats, args.ratio_repeats, args.model_layers,
           args.model_repeats) < 1:
        p.error("sizes and repeats must be >= 1")
    if not 0 <= args.load <= _bench.max_load():
        p.error(f"--load must be in [0, {_bench.max_load()}]")
    with _bench.BackgroundLoad(args.load):
        return run(args)


def run(args: argparse.Namespace) -> int:

    cfg = xavier.config()
    facts = {"python": platform.python_version(), "platform": platform.platform(),
             "cpu_count": os.cpu_count(), "xavier": cfg, "torch": torch.__version__,
             "torch_threads": torch.get_num_threads(), "size": args.size,
             "repeats": args.repeats, "ratio_repeats": args.ratio_repeats, "load": args.load}
    md = args.markdown
    print(f"{'- ' if md else ''}xavier {cfg['version']} (stream {cfg['stream_version']}, "
          f"{cfg['simd_path']}, {cfg['default_threads']} threads), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), {os.cpu_count()} CPUs")
    print(f"{'- ' if md else ''}fills: {args.size} x {args.size} CPU tensor, median of "
          f"{args.repeats} interleaved rounds (torch, xavier) after a warm-up; xavier vs "
          f"float32: medians of {args.ratio_repeats} rounds interleaving xavier's float32, "
          "bfloat16 and float16 calls"
          + (f"; beside {args.load} busy background process(es)" if args.load else "") + "\n")

    ratios = bench_dtypes(args.size, args.ratio_repeats)
    rows = bench_fills(args.size, args.repeats, ratios)
    head = ["function", "dtype", "torch ms", "xavier.torch ms", "speedup", "xavier vs float32"]
    body = [[r["function"], r["dtype"], f"{r['torch_ms']:.1f}", f"{r['xavier_ms']:.1f}",
             f"{r['speedup']:.1f}x", f"{r['vs_float32']:.2f}x"] for r in rows]
    table(head, body, md)
    report: Dict[str, object] = {"facts": facts, "fills": rows, "dtype_ratios": ratios}

    if not args.skip_model:
        m = bench_model(args.model_layers, args.model_repeats)
        print(f"\nBuilding LM({args.model_layers} layers, {m['parameters'] / 1e9:.2f}e9 "
              f"parameters), median of {args.model_repeats} interleaved builds after one "
              "warm-up each:\n")
        table(["initialization", "build s", "speedup"],
              [["torch.nn.init (torch's own)", f"{m['torch_s']:.2f}", ""],
               ["xavier.torch.fast_init()", f"{m['fast_init_s']:.2f}", f"{m['speedup']:.1f}x"]],
              md)
        report["model"] = m
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"raw timings written to {args.json}", file=sys.stderr)
    return 0


def table(head: List[str], body: List[List[str]], markdown: bool) -> None:
    print(render_table(head, body, markdown, left=2))


if __name__ == "__main__":
    sys.exit(main())
