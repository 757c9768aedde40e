#!/usr/bin/env python
"""A big model's initial checkpoint, measured side by side in one run.

Usage::

    python benchmarks/checkpoint.py [--model llama-1.1b] [--dir DIR] [--repeats 3]
                                    [--skip-baseline] [--json FILE]

Each job runs in a fresh process (its peak RSS is that process's), one after
the other, writing to the same directory, whose files are removed after each:

raw disk
    NumPy zeros of the checkpoint's size, written in 64 MiB pieces, then
    fsync: the disk's sequential write rate.
xavier save_init
    ``xavier.torch.save_init(lambda: LlamaForCausalLM(config), DIR, seed=0)``:
    the model built on the meta device, its init recorded and streamed to
    safetensors (fsync included).  Also ``xavier generate --hf-config``, the
    same through the command line, timed end to end (start-up and imports
    included).
Model(config) + save_pretrained
    ``torch.manual_seed(0); LlamaForCausalLM(config).save_pretrained(DIR)``:
    the model built in memory by torch's init, then saved; and the same
    build under ``xavier.torch.fast_init()`` (the values save_init writes).

Rates are GiB of tensor data per second.  ``--model small`` is a 4-layer
Llama for a quick check.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

MODELS = {
    # the shape of TinyLlama-1.1B: 1.10e9 parameters, 4.1 GiB in float32
    "llama-1.1b": dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                       num_attention_heads=32, num_key_value_heads=4, vocab_size=32000,
                       max_position_embeddings=2048, tie_word_embeddings=False,
                       architectures=["LlamaForCausalLM"]),
    "small": dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=4,
                  num_attention_heads=8, num_key_value_heads=2, vocab_size=32000,
                  max_position_embeddings=2048, tie_word_embeddings=False,
                  architectures=["LlamaForCausalLM"]),
}

_PRELUDE = """\
import json, os, resource, sys, time
t_start = time.perf_counter()
import torch, transformers
import xavier.torch as xt
config = transformers.LlamaConfig(**json.loads(sys.argv[1]))
out = sys.argv[2]
transformers.LlamaForCausalLM    # (transformers imports the model's module on first use)
t_ready = time.perf_counter()
"""
_EPILOGUE = """
result["import_s"] = t_ready - t_start
result["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(result))
"""
JOBS = {
    "xavier_save_init": """
ck = xt.save_init(lambda: transformers.LlamaForCausalLM(config), out, seed=0)
result = {"seconds": time.perf_counter() - t_ready, "record_s": ck.record_seconds,
          "bytes": ck.total_size, "files": len(ck.files), "fallbacks": ck.fallbacks}
""",
    "torch_build_save_pretrained": """
torch.manual_seed(0)
model = transformers.LlamaForCausalLM(config)
t_built = time.perf_counter()
model.save_pretrained(out)
result = {"seconds": time.perf_counter() - t_ready, "build_s": t_built - t_ready,
          "bytes": sum(t.nbytes for t in model.state_dict().values())}
""",
    "fast_init_build_save_pretrained": """
torch.manual_seed(0)
with xt.fast_init():
    model = transformers.LlamaForCausalLM(config)
t_built = time.perf_counter()
model.save_pretrained(out)
result = {"seconds": time.perf_counter() - t_ready, "build_s": t_built - t_ready,
          "bytes": sum(t.nbytes for t in model.state_dict().values())}
""",
}
_RAW = """\
import json, os, resource, sys, time
import numpy as np
nbytes, out = int(sys.argv[1]), sys.argv[2]
piece = np.zeros(64 * 2**20, np.uint8)
t0 = time.perf_counter()
with open(out, "wb") as f:
    left = nbytes
    while left:
        n = min(left, piece.size)
        f.write(memoryview(piece[:n]))
        left -= n
    f.flush()
    os.fsync(f.fileno())
print(json.dumps({"seconds": time.perf_counter() - t0, "bytes": nbytes,
                  "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def _child(code: str, *args: str, cwd: str) -> Dict[str, Any]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, check=True,
                       capture_output=True, text=True)
    res: Dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    res["process_s"] = time.perf_counter() - t0
    return res


def _clear(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.unlink(path)


def _cli(config: Dict[str, Any], directory: str) -> Dict[str, Any]:
    cfg_dir = os.path.join(directory, "config")
    os.makedirs(cfg_dir, exist_ok=True)
    with open(os.path.join(cfg_dir, "config.json"), "w") as f:
        json.dump(dict(config, model_type="llama"), f)
    out = os.path.join(directory, "cli")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xavier", "generate", "--hf-config",
                    os.path.join(cfg_dir, "config.json"), "--seed", "0", "-q", "-o", out],
                   check=True, cwd=directory)
    t = time.perf_counter() - t0
    _clear(out)
    return {"process_s": t}


def run(model: str, directory: str, repeats: int, baseline: bool) -> Dict[str, Any]:
    config = MODELS[model]
    arg = json.dumps(config)
    out = os.path.join(directory, "out")
    runs: Dict[str, List[Dict[str, Any]]] = {}
    size = None
    jobs = ["xavier_save_init"] + (["fast_init_build_save_pretrained",
                                    "torch_build_save_pretrained"] if baseline else [])
    for _ in range(repeats):
        for job in jobs:
            res = _child(_PRELUDE + JOBS[job] + _EPILOGUE, arg, out, cwd=directory)
            _clear(out)
            size = res["bytes"]
            runs.setdefault(job, []).append(res)
            print(f"{job}: {res['seconds']:.1f} s, peak RSS {res['maxrss_bytes'] / 2**30:.2f} "
                  "GiB", file=sys.stderr)
        assert size is not None
        res = _child(_RAW, str(size), out, cwd=directory)
        _clear(out)
        runs.setdefault("raw_disk", []).append(res)
        print(f"raw disk: {res['seconds']:.1f} s", file=sys.stderr)
        runs.setdefault("xavier_cli", []).append(_cli(config, directory))
    summary: Dict[str, Any] = {}
    for job, rs in runs.items():
        row = {k: statistics.median([r[k] for r in rs]) for k in rs[0]
               if isinstance(rs[0][k], (int, float))}
        if "seconds" in row and size:
            row["gib_per_s"] = size / row["seconds"] / 2**30
        summary[job] = row
    raw = summary["raw_disk"]["seconds"]
    summary["xavier_save_init"]["of_raw_disk_rate"] = raw / summary["xavier_save_init"]["seconds"]
    summary["xavier_cli"]["of_raw_disk_rate"] = raw / summary["xavier_cli"]["process_s"]
    if baseline:
        for job in ("torch_build_save_pretrained", "fast_init_build_save_pretrained"):
            summary[job]["xavier_speedup"] = \
                summary[job]["seconds"] / summary["xavier_save_init"]["seconds"]
            summary[job]["xavier_speedup_end_to_end"] = \
                summary[job]["process_s"] / summary["xavier_save_init"]["process_s"]
    import torch
    import transformers

    import xavier
    return {"model": model, "config": config, "bytes": size, "repeats": repeats,
            "fallbacks": runs["xavier_save_init"][0]["fallbacks"],
            "facts": {"date": time.strftime("%Y-%m-%d"), "cpu_count": os.cpu_count(),
                      "platform": platform.platform(), "python": platform.python_version(),
                      "torch": torch.__version__, "transformers": transformers.__version__,
                      "xavier": xavier.__version__,
                      "filesystem": _filesystem(directory)},
            "summary": summary, "runs": runs}


def _filesystem(path: str) -> str:
    try:
        r = subprocess.run(["df", "--output=fstype,source", path], capture_output=True,
                           text=True, check=True)
        return " ".join(r.stdout.split()[2:])
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def table(res: Dict[str, Any]) -> str:
    from readme import render_checkpoint   # (this folder: the README's table)

    return render_checkpoint(res, "")


def main(argv: List[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(MODELS), default="llama-1.1b")
    p.add_argument("--dir", help="where to write (default: a new temporary directory)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-baseline", action="store_true",
                   help="no Model(config) + save_pretrained runs")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    directory = tempfile.mkdtemp(dir=args.dir, prefix="xavier-ckpt-")
    try:
        res = run(args.model, directory, args.repeats, not args.skip_baseline)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(table(res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
