#!/usr/bin/env python
"""Render the generated benchmark sections of the README and the docs.

Usage::

    xavier bench --repeats 9 --plot benchmarks/results/bench.png \
        --json benchmarks/results/bench.json
    xavier demo --plot benchmarks/results/demo.png --json benchmarks/results/demo.json
    python benchmarks/checkpoint.py --json benchmarks/results/checkpoint.json
    python benchmarks/readme.py            # report which files are out of date
    python benchmarks/readme.py --write    # rewrite them, and list the files changed
    python benchmarks/readme.py --check    # exit 1 if any file is out of date

The sections sit between ``<!-- generated: NAME begin -->`` and
``<!-- generated: NAME end -->`` markers: "summary" (one table and the plot) and
"checkpoint" in README.md, "bench" (every table) in docs/benchmarks.md,
"demo" in docs/demo.md and "checkpoint" in docs/checkpoint.md.  Everything
between the markers is replaced, so edit this
script, not the pages, to change them.  The tables are rendered by
``xavier._bench`` and ``xavier._demo``, the code that prints them on the
terminal.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Callable, Dict, List, Tuple

from xavier import _bench
from xavier._demo import _g

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = "benchmarks/results"   # as a path relative to the repository root

# file (relative to the root) -> the sections it holds
TARGETS: Dict[str, Tuple[str, ...]] = {
    "README.md": ("summary", "checkpoint"),
    "docs/benchmarks.md": ("bench",),
    "docs/demo.md": ("demo",),
    "docs/checkpoint.md": ("checkpoint",),
}


def _rows(res: Dict[str, Any], **match: Any) -> List[Dict[str, Any]]:
    return [r for r in res["results"] if all(r[k] == v for k, v in match.items())]


def render_bench(res: Dict[str, Any], results: str) -> str:
    """Every table of a ``xavier bench --json`` file; `results` is the results
    folder as the page links it."""
    f, st = res["facts"], res["settings"]
    big = max(st["sizes"])
    settings = _bench.Settings(sizes=st["sizes"], dtypes=st["dtypes"], dists=st["dists"],
                               threads=st["threads"], repeats=st["repeats"],
                               budget=st["budget_s"])
    out = [f"`{res['command']}`, {f['date'][:10]}:", ""]
    out += [f"- {line}" for line in _bench.header_lines(f, settings, res["skipped"])]
    out += ["", "![xavier bench: throughput vs size and vs threads]"
                f"({results}/bench.png)", ""]
    for dtype in st["dtypes"]:
        for dist in st["dists"]:
            rows = _rows(res, dist=dist, dtype=dtype, size=big)
            case = _bench.Case(dist, dtype, big)
            out += [f"**{_bench.case_title(case)}**", "", _bench.format_table(rows, True), ""]
    if len(st["sizes"]) > 1:
        top = max(st["threads"])
        out += [f"GB/s of output by layer size n (n x n; threaded contenders at {top} threads; "
                "small layers fit in cache):", ""]
        for dtype in st["dtypes"]:
            for dist in st["dists"]:
                head = ["contender"] + [f"n = {n}" for n in st["sizes"]]
                body = []
                sub = _rows(res, dist=dist, dtype=dtype)
                for key in _bench.CONTENDERS:
                    mine = [r for r in sub if r["contender"] == key]
                    if not mine:
                        continue
                    t = max(r["threads"] for r in mine)
                    by = {r["size"]: r["gb_per_s"] for r in mine if r["threads"] == t}
                    body.append([f"`{mine[0]['label']}`"]
                                + [f"{by[n]:.2f}" if n in by else "" for n in st["sizes"]])
                out += [f"**{dist} {dtype}**", "", _bench.render_table(head, body, True)]
                out.append("")
    return "\n".join(out).rstrip() + "\n"


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def render_summary(res: Dict[str, Any], results: str) -> str:
    """The README's table: the largest float32 layer, each contender at its
    largest thread count, uniform and normal side by side, and the plot."""
    f, st = res["facts"], res["settings"]
    big = max(st["sizes"])
    dtype = "float32" if "float32" in st["dtypes"] else st["dtypes"][0]
    dists = [d for d in _bench.DISTS if d in st["dists"]]
    cfg = f["xavier"]
    out = [f"`xavier bench` on {f['cpu_model']}, {f['cpu_count']} cores "
           f"({cfg['simd_path']} path), {f['date'][:10]}: one {big} x {big} {dtype} layer, "
           f"median ms (lower is better); the last columns say how many times longer "
           f"each contender takes than xavier:", ""]
    head = ["contender", "threads"] + [f"{d} ms" for d in dists] + \
        [f"{d} vs xavier" for d in dists]
    body = []
    for key in _bench.CONTENDERS:
        mine = _rows(res, contender=key, dtype=dtype, size=big)
        if not mine:
            continue
        t = max(r["threads"] for r in mine)
        by = {r["dist"]: r for r in mine if r["threads"] == t}
        cells = [f"`{_bench.legend_label(key)}`", str(t)]
        cells += [_ms(by[d]["median_s"]) if d in by else "" for d in dists]
        cells += ["" if key == "xavier" or d not in by else f"{by[d]['xavier_speedup']:.1f}x"
                  for d in dists]
        body.append(cells)
    out += [_bench.render_table(head, body, True), "",
            f"![xavier bench: throughput vs size and vs threads]({results}/bench.png)"]
    return "\n".join(out) + "\n"


def render_demo(res: Dict[str, Any], results: str) -> str:
    g, s = res["glorot"], res["standard"]
    out = [f"`xavier demo` (defaults: {res['layers']} tanh layers of {res['units']} units, "
           f"{res['batch']} inputs ~ N(0, {res['input_std']:g}²), seed {res['seed']}):", "",
           f"![xavier demo: variances per layer]({results}/demo.png)", ""]
    head = ["layer", "Var[h] Glorot", "Var[h] standard", "Var[dC/ds] Glorot",
            "Var[dC/ds] standard"]
    body = [[str(i + 1), _g(g["activation_var"][i]), _g(s["activation_var"][i]),
             _g(g["gradient_var"][i]), _g(s["gradient_var"][i])] for i in range(res["layers"])]
    body.append(["top / bottom", _g(g["activation_ratio"]), _g(s["activation_ratio"]),
                 _g(g["gradient_ratio"]), _g(s["gradient_ratio"])])
    out.append(_bench.render_table(head, body, True, left=0))
    return "\n".join(out) + "\n"


def render_checkpoint(res: Dict[str, Any], results: str) -> str:
    """The table of ``benchmarks/checkpoint.py --json``: each job's median
    time, rate, peak RSS and time relative to save_init."""
    s, f = res["summary"], res["facts"]
    gib = res["bytes"] / 2**30
    rows = [("raw disk: NumPy zeros written, fsync", s["raw_disk"], "seconds"),
            ("`xavier.torch.save_init` (fsync)", s["xavier_save_init"], "seconds"),
            ("`xavier generate --hf-config`, whole process", s["xavier_cli"], "process_s")]
    if "torch_build_save_pretrained" in s:
        rows += [("`fast_init` build + `save_pretrained` (no fsync)",
                  s["fast_init_build_save_pretrained"], "seconds"),
                 ("`Model(config)` + `save_pretrained` (no fsync)",
                  s["torch_build_save_pretrained"], "seconds")]
    base = s["xavier_save_init"]["seconds"]
    out = [f"`python benchmarks/checkpoint.py` on {f['cpu_count']} cores, {f['date']}: "
           f"the Llama-shaped model `{res['model']}` ({res['bytes'] / 1e9:.2f} GB, "
           f"{gib:.2f} GiB of float32 tensors), medians of {res['repeats']} runs; "
           "times after imports, except the whole-process row:", ""]
    head = ["job", "seconds", "GiB/s", "peak RSS GiB", "time vs save_init"]
    body = []
    for label, r, key in rows:
        t = r[key]
        rss = r.get("maxrss_bytes")
        body.append([label, f"{t:.2f}", f"{res['bytes'] / t / 2**30:.2f}",
                     "" if rss is None else f"{rss / 2**30:.2f}", f"{t / base:.2f}x"])
    out.append(_bench.render_table(head, body, True))
    x = s["xavier_save_init"]
    lines = [f"save_init wrote at {x['of_raw_disk_rate']:.0%} of the raw disk rate"]
    if "torch_build_save_pretrained" in s:
        b = s["torch_build_save_pretrained"]
        fixed = x["process_s"] - x["seconds"]
        lines.append(f"{b['xavier_speedup']:.1f}x faster than `Model(config)` + "
                     f"`save_pretrained` ({b['xavier_speedup_end_to_end']:.1f}x counting the "
                     f"start-up and imports of torch and transformers, {fixed:.1f} s here, "
                     "that both processes pay)")
    lines.append(f"its peak RSS was {x['maxrss_bytes'] / 2**30:.2f} GiB")
    out += ["", "; ".join(lines) + "."]
    return "\n".join(out) + "\n"


# section -> (result file, renderer)
SECTIONS: Dict[str, Tuple[str, Callable[[Dict[str, Any], str], str]]] = {
    "summary": ("bench", render_summary),
    "bench": ("bench", render_bench),
    "demo": ("demo", render_demo),
    "checkpoint": ("checkpoint", render_checkpoint),
}


def render(root: str = ROOT) -> Dict[str, Dict[str, str]]:
    """The generated sections of every target file: {file: {section: text}}."""
    loaded: Dict[str, Dict[str, Any]] = {}
    pages: Dict[str, Dict[str, str]] = {}
    for page, names in TARGETS.items():
        # image links relative to the page's folder
        results = os.path.relpath(RESULTS, os.path.dirname(page) or ".").replace(os.sep, "/")
        pages[page] = {}
        for name in names:
            stem, fn = SECTIONS[name]
            if stem not in loaded:
                with open(os.path.join(root, RESULTS, f"{stem}.json")) as f:
                    loaded[stem] = json.load(f)
            pages[page][name] = fn(loaded[stem], results)
    return pages


def update(text: str, sections: Dict[str, str], page: str = "the page") -> str:
    """`text` with each section's markers holding its rendered text."""
    for name, body in sections.items():
        pat = re.compile(rf"(<!-- generated: {name} begin -->\n).*?"
                         rf"(<!-- generated: {name} end -->)", re.S)
        if not pat.search(text):
            raise SystemExit(f"{page} has no '{name}' markers")
        text = pat.sub(lambda m: m.group(1) + body + m.group(2), text)
    return text


def stale(root: str = ROOT) -> Dict[str, str]:
    """{file: its new text} for every target file whose sections are out of date."""
    out = {}
    for page, sections in render(root).items():
        with open(os.path.join(root, page), encoding="utf-8") as f:
            old = f.read()
        new = update(old, sections, page)
        if new != old:
            out[page] = new
    return out


def main(argv: List[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true",
                      help="rewrite the files whose sections are out of date, and list them")
    mode.add_argument("--check", action="store_true",
                      help="exit 1 if a file's sections are out of date")
    p.add_argument("--root", default=ROOT, help="the repository (default: this script's)")
    args = p.parse_args(argv)
    changed = stale(args.root)
    if args.write:
        for page, text in changed.items():
            with open(os.path.join(args.root, page), "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {page}")
        if not changed:
            print("every generated section is up to date; nothing written")
        return 0
    for page in TARGETS:
        state = "out of date" if page in changed else "up to date"
        print(f"{page}: {state}", file=sys.stderr if args.check and page in changed else sys.stdout)
    if changed:
        print("run 'python benchmarks/readme.py --write' to rewrite "
              + ", ".join(changed), file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
