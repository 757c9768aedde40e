#!/usr/bin/env python
"""xavier.torch against torch.nn.init, side by side in one process.

Usage::

    python benchmarks/torch_init.py [--size 8192] [--repeats 7] [--ratio-repeats 25]
                                    [--model-layers 20] [--model-repeats 3]
                                    [--hf-models {gpt2,bert,llama,none} ...]
                                    [--skip-model] [--load N] [--json FILE] [--markdown]

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
   then `model-repeats` interleaved builds each; medians.  ``--model-layers 0``
   leaves this model out.
3. Building Hugging Face models from their config objects (no downloads):
   GPT-2 small (``GPT2LMHeadModel(GPT2Config())``, 124e6 parameters), BERT
   base (``BertModel(BertConfig())``, 109e6) and a Llama-shaped model
   (``LlamaForCausalLM(LlamaConfig(vocab_size=32000, hidden_size=1024,
   intermediate_size=2816, num_hidden_layers=16, num_attention_heads=16,
   num_key_value_heads=16))``, untied output projection, 271e6), each with
   torch's own initialization, under ``xavier.torch.fast_init()`` and under
   ``fast_init(threads=1)``, after ``torch.manual_seed(0)``.  One warm-up
   build of each, then `model-repeats` rounds of one build each, the order
   rotating by one every round (a fast_init build right after torch's is
   slower on some machines: see docs/benchmarks.md); medians.  `hf-models` picks the
   models (default all; ``none``: none).  Needs ``transformers``; without it
   this section is skipped, with a line saying so.

``--skip-model`` times the fills only (no model of section 2 or 3).  ``--load
N`` runs every section beside N busy background processes.  Each model is
freed (``del``, ``gc.collect()``) before the next build.

Only torch, NumPy and xavier are needed (and transformers for section 3).
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
from typing import Any, Callable, Dict, List, Optional, Tuple

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


# Section 3's models: label, config class, model class, config arguments.
LLAMA_CONFIG = {"vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 2816,
                "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 16}
HF_MODELS: Dict[str, Tuple[str, str, str, Dict[str, int]]] = {
    "gpt2": ("GPT-2 small", "GPT2Config", "GPT2LMHeadModel", {}),
    "bert": ("BERT base", "BertConfig", "BertModel", {}),
    "llama": ("Llama-shaped", "LlamaConfig", "LlamaForCausalLM", LLAMA_CONFIG),
}
HF_HOWS: Dict[str, Optional[int]] = {"torch": None, "fast_init": None, "fast_init_threads1": 1}


def _hf_maker(transformers: Any, key: str) -> Callable[[], nn.Module]:
    _, config_cls, model_cls, kwargs = HF_MODELS[key]
    config = getattr(transformers, config_cls)(**kwargs)
    model = getattr(transformers, model_cls)
    return lambda: model(config)


def hf_build_seconds(make: Callable[[], nn.Module], how: str) -> float:
    """One build after torch.manual_seed(0): "torch", "fast_init" or
    "fast_init_threads1"; the model is freed before this returns."""
    torch.manual_seed(0)
    t0 = time.perf_counter()
    if how == "torch":
        model = make()
    else:
        with xt.fast_init(threads=HF_HOWS[how]):
            model = make()
    dt = time.perf_counter() - t0
    del model
    gc.collect()
    return dt


def bench_hf_model(transformers: Any, key: str, repeats: int) -> Dict[str, object]:
    make = _hf_maker(transformers, key)
    with torch.device("meta"):  # counts parameters (tied ones once), filling nothing
        model = make()
        params = sum(p.numel() for p in model.parameters())
        del model
    hows = list(HF_HOWS)
    for how in hows:  # warm-up builds, not counted
        hf_build_seconds(make, how)
    times: Dict[str, List[float]] = {how: [] for how in hows}
    for r in range(repeats):
        for how in hows[r % len(hows):] + hows[:r % len(hows)]:
            times[how].append(hf_build_seconds(make, how))
    med = {how: statistics.median(v) for how, v in times.items()}
    return {"model": HF_MODELS[key][0], "model_class": HF_MODELS[key][2],
            "config": HF_MODELS[key][3], "parameters": params, "torch_s": med["torch"],
            "fast_init_s": med["fast_init"], "speedup": med["torch"] / med["fast_init"],
            "fast_init_threads1_s": med["fast_init_threads1"],
            "speedup_threads1": med["torch"] / med["fast_init_threads1"], "times_s": times}


def import_transformers() -> Tuple[Any, str]:
    """(the transformers module, "") or (None, why it cannot be used)."""
    try:
        import transformers
    except ImportError as e:
        return None, f"transformers is not installed ({e}); pip install transformers"
    except Exception as e:   # installed, but broken or at odds with this torch
        return None, f"import transformers failed: {type(e).__name__}: {e}"
    return transformers, ""


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=8192, help="tensor is size x size (default 8192)")
    p.add_argument("--repeats", type=int, default=7, help="timed rounds per fill (default 7)")
    p.add_argument("--ratio-repeats", type=int, default=25,
                   help="timed rounds of xavier's dtypes against each other (default 25)")
    p.add_argument("--model-layers", type=int, default=20,
                   help="transformer blocks (default 20: ~1.1e9 parameters; 0: no such model)")
    p.add_argument("--model-repeats", type=int, default=3,
                   help="timed builds each, for every model (default 3)")
    p.add_argument("--hf-models", nargs="+", choices=[*HF_MODELS, "none"], default=list(HF_MODELS),
                   metavar="MODEL", help="Hugging Face models to build: gpt2 bert llama "
                   "(default all) or none; needs transformers")
    p.add_argument("--skip-model", action="store_true",
                   help="time the fills only (no model builds, Hugging Face's included)")
    p.add_argument("--load", type=int, default=0, metavar="N",
                   help="time everything beside N busy background processes (xavier bench's)")
    p.add_argument("--json", metavar="FILE", help="write facts and raw timings to FILE")
    p.add_argument("--markdown", action="store_true", help="print GitHub markdown tables")
    args = p.parse_args(argv)
    if min(args.size, args.repeats, args.ratio_repeats, args.model_repeats) < 1:
        p.error("sizes and repeats must be >= 1")
    if args.model_layers < 0:
        p.error("--model-layers must be >= 0")
    if "none" in args.hf_models:
        if len(args.hf_models) > 1:
            p.error("--hf-models none takes no other model")
        args.hf_models = []
    args.hf_models = list(dict.fromkeys(args.hf_models))
    if not 0 <= args.load <= _bench.max_load():
        p.error(f"--load must be in [0, {_bench.max_load()}]")
    with _bench.BackgroundLoad(args.load):
        return run(args)


def run(args: argparse.Namespace) -> int:

    cfg = xavier.config()
    facts = {"python": platform.python_version(), "platform": platform.platform(),
             "cpu_count": os.cpu_count(), "xavier": cfg, "torch": torch.__version__,
             "torch_threads": torch.get_num_threads(), "size": args.size,
             "repeats": args.repeats, "ratio_repeats": args.ratio_repeats, "load": args.load,
             "model_layers": 0 if args.skip_model else args.model_layers,
             "model_repeats": args.model_repeats,
             "hf_models": [] if args.skip_model else args.hf_models}
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

    if not args.skip_model and args.model_layers:
        m = bench_model(args.model_layers, args.model_repeats)
        print(f"\nBuilding LM({args.model_layers} layers, {m['parameters'] / 1e9:.2f}e9 "
              f"parameters), median of {args.model_repeats} interleaved builds after one "
              "warm-up each:\n")
        table(["initialization", "build s", "speedup"],
              [["torch.nn.init (torch's own)", f"{m['torch_s']:.2f}", ""],
               ["xavier.torch.fast_init()", f"{m['fast_init_s']:.2f}", f"{m['speedup']:.1f}x"]],
              md)
        report["model"] = m
    if not args.skip_model and args.hf_models:
        report.update(run_hf(args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"raw timings written to {args.json}", file=sys.stderr)
    return 0


def run_hf(args: argparse.Namespace) -> Dict[str, object]:
    """Section 3: its table, and what goes into the JSON report."""
    transformers, why = import_transformers()
    if transformers is None:
        print(f"\nHugging Face models ({', '.join(args.hf_models)}) skipped: {why}")
        return {"hf_models_skipped": why}
    rows = [bench_hf_model(transformers, key, args.model_repeats) for key in args.hf_models]
    print(f"\nBuilding Hugging Face models from their configs (transformers "
          f"{transformers.__version__}), after torch.manual_seed(0); median of "
          f"{args.model_repeats} builds each, in rotating order, after one warm-up each"
          + (f"; beside {args.load} busy background process(es)" if args.load else "")
          + ":\n")
    table(["model", "parameters", "torch.nn.init s", "fast_init() s", "speedup",
           "fast_init(threads=1) s", "speedup (threads=1)"],
          [[f"{r['model']} ({r['model_class']})", f"{r['parameters'] / 1e6:.0f}e6",
            f"{r['torch_s']:.2f}", f"{r['fast_init_s']:.2f}", f"{r['speedup']:.1f}x",
            f"{r['fast_init_threads1_s']:.2f}", f"{r['speedup_threads1']:.1f}x"] for r in rows],
          args.markdown, left=1)
    return {"hf_models": rows, "transformers": transformers.__version__}


def table(head: List[str], body: List[List[str]], markdown: bool, left: int = 2) -> None:
    print(render_table(head, body, markdown, left=left))


if __name__ == "__main__":
    sys.exit(main())
