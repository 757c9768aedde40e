#!/usr/bin/env python
"""Write README.md's generated sections from the committed result files.

Usage::

    xavier bench --repeats 9 --plot benchmarks/results/bench.png \
        --json benchmarks/results/bench.json
    xavier demo --plot benchmarks/results/demo.png --json benchmarks/results/demo.json
    python benchmarks/readme.py            # rewrite the sections in README.md
    python benchmarks/readme.py --check    # exit 1 if README.md is out of date

The sections sit between ``<!-- generated: NAME begin -->`` and
``<!-- generated: NAME end -->`` markers ("bench" and "demo"); everything
between them is replaced, so edit this script, not the README, to change them.
The tables are rendered by ``xavier._bench`` and ``xavier._demo``, the code
that prints them on the terminal.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Dict, List

from xavier import _bench
from xavier._demo import _g

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join("benchmarks", "results")
README = os.path.join(ROOT, "README.md")


def _rows(res: Dict[str, Any], **match: Any) -> List[Dict[str, Any]]:
    return [r for r in res["results"] if all(r[k] == v for k, v in match.items())]


def render_bench(res: Dict[str, Any]) -> str:
    f, st = res["facts"], res["settings"]
    big = max(st["sizes"])
    settings = _bench.Settings(sizes=st["sizes"], dtypes=st["dtypes"], dists=st["dists"],
                               threads=st["threads"], repeats=st["repeats"],
                               budget=st["budget_s"])
    out = [f"`{res['command']}`, {f['date'][:10]}:", ""]
    out += [f"- {line}" for line in _bench.header_lines(f, settings, res["skipped"])]
    out += ["", "![xavier bench: throughput vs size and vs threads]"
                f"({RESULTS}/bench.png)", ""]
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


def render_demo(res: Dict[str, Any]) -> str:
    g, s = res["glorot"], res["standard"]
    out = [f"`xavier demo` (defaults: {res['layers']} tanh layers of {res['units']} units, "
           f"{res['batch']} inputs ~ N(0, {res['input_std']:g}²), seed {res['seed']}):", "",
           f"![xavier demo: variances per layer]({RESULTS}/demo.png)", ""]
    head = ["layer", "Var[h] Glorot", "Var[h] standard", "Var[dC/ds] Glorot",
            "Var[dC/ds] standard"]
    body = [[str(i + 1), _g(g["activation_var"][i]), _g(s["activation_var"][i]),
             _g(g["gradient_var"][i]), _g(s["gradient_var"][i])] for i in range(res["layers"])]
    body.append(["top / bottom", _g(g["activation_ratio"]), _g(s["activation_ratio"]),
                 _g(g["gradient_ratio"]), _g(s["gradient_ratio"])])
    out.append(_bench.render_table(head, body, True, left=0))
    return "\n".join(out) + "\n"


def render(root: str = ROOT) -> Dict[str, str]:
    sections = {}
    for name, fn in (("bench", render_bench), ("demo", render_demo)):
        with open(os.path.join(root, RESULTS, f"{name}.json")) as f:
            sections[name] = fn(json.load(f))
    return sections


def update(text: str, sections: Dict[str, str]) -> str:
    for name, body in sections.items():
        pat = re.compile(rf"(<!-- generated: {name} begin -->\n).*?"
                         rf"(<!-- generated: {name} end -->)", re.S)
        if not pat.search(text):
            raise SystemExit(f"README.md has no '{name}' markers")
        text = pat.sub(lambda m: m.group(1) + body + m.group(2), text)
    return text


def main(argv: List[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = p.parse_args(argv)
    with open(README) as f:
        old = f.read()
    new = update(old, render())
    if args.check:
        if new != old:
            print("README.md's generated sections are out of date: run benchmarks/readme.py",
                  file=sys.stderr)
            return 1
        return 0
    if new != old:
        with open(README, "w") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
