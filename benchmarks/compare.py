#!/usr/bin/env python
"""Time xavier against memory bandwidth and its peers, side by side.

Usage::

    python benchmarks/compare.py [--size 8192] [--repeats 7] [--threads N]
                                 [--json FILE] [--markdown]

For one size x size float32 layer (fans size, size) it times, in one process:

uniform group
    ``buf.fill(0.5)`` (memory-bandwidth reference), ``xavier.glorot_uniform``
    into ``buf``, NumPy ``Generator.random(out=buf)`` scaled in place to
    [-a, a), the tutorials' classic ``np.random.uniform(-a, a, size)
    .astype(np.float32)``, and ``torch.nn.init.xavier_uniform_`` (if torch
    is importable).
normal group
    the same with ``glorot_normal``, ``Generator.standard_normal(out=buf)``
    then ``buf *= s``, ``np.random.normal(0, s, size).astype(np.float32)``
    and ``torch.nn.init.xavier_normal_``.

Each contender gets one untimed warm-up call, then `repeats` timed calls;
the rounds are interleaved (every contender once per round) so that machine
noise spreads over all of them.  The table gives the median, the GB/s of the
float32 output (bytes / median time, 1 GB = 1e9 bytes), the time relative to
``buf.fill(0.5)`` and xavier's speedup over each peer (peer median / xavier
median).  Only the standard library, NumPy and (optionally) torch are used.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

import numpy as np

import xavier

FILL = "buf.fill(0.5)"
XAVIER = {"uniform": "xavier.glorot_uniform", "normal": "xavier.glorot_normal"}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def loadavg() -> Optional[List[float]]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def import_torch():
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken install
        return None, f"{type(exc).__name__}: {exc}"
    return torch, None


def facts(args, torch, torch_note: Optional[str]) -> Dict[str, object]:
    cfg = xavier.config()
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "xavier": cfg,
        "xavier_threads": args.threads if args.threads is not None else cfg["default_threads"],
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "torch_note": torch_note,
        "size": args.size,
        "shape": [args.size, args.size],
        "dtype": "float32",
        "output_bytes": args.size * args.size * 4,
        "repeats": args.repeats,
        "warmup": 1,
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "loadavg_start": loadavg(),
    }


def contenders(buf: np.ndarray, threads: Optional[int], torch) -> Dict[str, Dict[str, Callable[[], object]]]:
    n_in, n_out = buf.shape
    a = math.sqrt(6.0 / (n_in + n_out))
    s = math.sqrt(2.0 / (n_in + n_out))
    a32, w32, s32 = np.float32(a), np.float32(2 * a), np.float32(s)
    shape = buf.shape
    rng = np.random.default_rng(1)
    np.random.seed(1)

    def gen_uniform():
        rng.random(out=buf, dtype=np.float32)
        np.multiply(buf, w32, out=buf)
        np.subtract(buf, a32, out=buf)

    def gen_normal():
        rng.standard_normal(out=buf, dtype=np.float32)
        np.multiply(buf, s32, out=buf)

    uni: Dict[str, Callable[[], object]] = {
        FILL: lambda: buf.fill(0.5),
        XAVIER["uniform"]: lambda: xavier.glorot_uniform(shape, out=buf, seed=1, threads=threads),
        "numpy Generator.random + scale": gen_uniform,
        "np.random.uniform(...).astype(f32)":
            lambda: np.random.uniform(-a, a, size=shape).astype(np.float32),
    }
    nor: Dict[str, Callable[[], object]] = {
        FILL: lambda: buf.fill(0.5),
        XAVIER["normal"]: lambda: xavier.glorot_normal(shape, out=buf, seed=1, threads=threads),
        "numpy Generator.standard_normal + scale": gen_normal,
        "np.random.normal(...).astype(f32)":
            lambda: np.random.normal(0.0, s, size=shape).astype(np.float32),
    }
    if torch is not None:
        t = torch.from_numpy(buf)  # shares buf's memory
        uni["torch xavier_uniform_"] = lambda: torch.nn.init.xavier_uniform_(t)
        nor["torch xavier_normal_"] = lambda: torch.nn.init.xavier_normal_(t)
    return {"uniform": uni, "normal": nor}


def time_group(fns: Dict[str, Callable[[], object]], repeats: int) -> Dict[str, List[float]]:
    """One warm-up call each, then `repeats` interleaved rounds; seconds."""
    for fn in fns.values():
        fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    clock = time.perf_counter
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = clock()
            result = fn()
            t1 = clock()
            del result  # free a returned array outside the timed region
            times[name].append(t1 - t0)
    return times


def summarize(times: Dict[str, List[float]], nbytes: int, xname: str) -> List[Dict[str, object]]:
    med = {name: statistics.median(ts) for name, ts in times.items()}
    rows = []
    for name, ts in times.items():
        m = med[name]
        rows.append({
            "contender": name,
            "median_ms": m * 1e3,
            "min_ms": min(ts) * 1e3,
            "max_ms": max(ts) * 1e3,
            "gb_per_s": nbytes / m / 1e9,
            "vs_fill": m / med[FILL],
            "xavier_speedup": None if name in (xname, FILL) else m / med[xname],
        })
    return rows


def print_header(f: Dict[str, object], markdown: bool) -> None:
    cfg = f["xavier"]
    lines = [
        f"CPU: {f['cpu_model']}; os.cpu_count() = {f['cpu_count']}"
        + (f" (affinity {f['cpu_affinity']})" if f["cpu_affinity"] not in (None, f["cpu_count"]) else ""),
        f"xavier {cfg['version']}: SIMD path {cfg['simd_path']}, "
        f"OpenMP {'on' if cfg['openmp'] else 'off'}, threads {f['xavier_threads']}",
        f"numpy {f['numpy']}; "
        + (f"torch {f['torch']} ({f['torch_threads']} threads)" if f["torch"]
           else f"torch not importable, rows omitted ({f['torch_note']})"),
        f"Python {f['python']} on {f['platform']}; load average at start {f['loadavg_start']}",
        f"{f['size']} x {f['size']} float32 ({f['output_bytes'] / 2**20:.4g} MiB), "
        f"median of {f['repeats']} interleaved runs after 1 warm-up; GB/s = output bytes / median",
    ]
    for line in lines:
        print(f"- {line}" if markdown else line)
    print()


def fmt_ms(ms: float) -> str:
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}" if ms >= 1 else f"{ms:.3f}"


def fmt_ratio(x: Optional[float]) -> str:
    return "" if x is None else f"{x:.2f}x"


def print_table(group: str, rows: List[Dict[str, object]], markdown: bool) -> None:
    head = ["contender", "median ms", "min ms", "GB/s", "time vs fill", "xavier speedup"]
    body = [[
        f"`{r['contender']}`" if markdown else str(r["contender"]),
        fmt_ms(r["median_ms"]),  # type: ignore[arg-type]
        fmt_ms(r["min_ms"]),  # type: ignore[arg-type]
        f"{r['gb_per_s']:.2f}",
        f"{r['vs_fill']:.2f}x",
        fmt_ratio(r["xavier_speedup"]),  # type: ignore[arg-type]
    ] for r in rows]
    if markdown:
        print(f"**{group}**\n")
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|")
        for b in body:
            print("| " + " | ".join(b) + " |")
    else:
        print(f"[{group}]")
        widths = [max(len(c) for c in col) for col in zip(head, *body)]
        print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths))))
        print("  ".join("-" * w for w in widths))
        for b in body:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(b, widths))).rstrip())
    print()


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=8192, help="layer is size x size float32 (default 8192)")
    p.add_argument("--repeats", type=int, default=7, help="timed calls per contender (default 7)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for xavier (and torch.set_num_threads); default: all cores")
    p.add_argument("--json", metavar="FILE", help="write facts and raw timings (seconds) to FILE")
    p.add_argument("--markdown", action="store_true", help="print GitHub markdown tables")
    args = p.parse_args(argv)
    if args.size < 1 or args.repeats < 1 or (args.threads is not None and args.threads < 1):
        p.error("--size, --repeats and --threads must be >= 1")

    torch, torch_note = import_torch()
    if torch is not None and args.threads is not None:
        torch.set_num_threads(args.threads)
    info = facts(args, torch, torch_note)
    print_header(info, args.markdown)

    buf = np.empty((args.size, args.size), dtype=np.float32)
    buf.fill(0.0)  # page it in before anything is timed
    groups = contenders(buf, args.threads, torch)

    report: Dict[str, object] = {"facts": info, "groups": {}}
    for group, fns in groups.items():
        times = time_group(fns, args.repeats)
        rows = summarize(times, buf.nbytes, XAVIER[group])
        print_table(group, rows, args.markdown)
        report["groups"][group] = {"times_s": times, "summary": rows}  # type: ignore[index]
    if torch is None:
        print("(torch rows omitted: torch is not importable)\n")
    info["loadavg_end"] = loadavg()

    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"raw timings written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
