#!/usr/bin/env python
"""Offline generation, measured side by side: files and Dask.

Usage::

    python benchmarks/offline.py [--gib 4] [--dir DIR] [--repeats 2] [--skip-disk]
                                 [--skip-dask] [--json FILE]

disk
    ``xavier generate --shape N 1024 -o DIR/x.npy`` (a float32 glorot_uniform
    tensor of --gib GiB, through the command line in a subprocess, fsync
    included) against NumPy writing the same bytes of zeros to the same
    directory (``np.save`` of ``np.zeros``, then fsync).  Rounds alternate;
    the table gives the median time and GiB/s of each and xavier's rate as
    a fraction of NumPy's.
dask
    a 1 GiB float32 ``glorot_uniform``: the single-process call
    (``xavier.glorot_uniform``, all cores, into a reused buffer and into a
    new array) against ``xavier.dask`` on a
    ``distributed.LocalCluster`` of 2 worker processes (``persist``: the
    chunks generated and kept on the workers; ``compute``: also gathered
    into this process) and of 2 threads in this process (``compute``).
narrow chunks
    the cost per element of ``xavier.dask`` chunks of different widths of
    an 8192 x 8192 float32 array, generated one at a time on one thread
    (the synchronous scheduler): whole rows are one range of the stream;
    narrower chunks are generated row by row.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List

import numpy as np

import xavier


def _median_time(fn: Callable[[], Any], repeats: int, warmup: bool = True) -> float:
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def disk(gib: float, directory: str, repeats: int) -> Dict[str, Any]:
    rows = int(gib * 2**30) // (1024 * 4)
    nbytes = rows * 1024 * 4
    out = os.path.join(directory, "xavier-bench.npy")
    zeros_path = os.path.join(directory, "numpy-zeros.npy")

    def run_xavier() -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xavier", "generate", "--shape", str(rows), "1024",
                        "--seed", "1", "-q", "--force", "-o", out], check=True,
                       cwd=directory)   # not the clone's root, whose xavier/ would shadow
        t = time.perf_counter() - t0
        os.unlink(out)
        return t

    def run_numpy() -> float:
        code = ("import numpy as np, os, sys, time\n"
                "t0 = time.perf_counter()\n"
                f"z = np.zeros(({rows}, 1024), np.float32)\n"
                f"with open({zeros_path!r}, 'wb') as f:\n"
                "    np.save(f, z); f.flush(); os.fsync(f.fileno())\n")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=directory)
        t = time.perf_counter() - t0
        os.unlink(zeros_path)
        return t

    xs, ns = [], []
    for _ in range(repeats):
        ns.append(run_numpy())
        xs.append(run_xavier())
    tx, tn = statistics.median(xs), statistics.median(ns)
    return {"bytes": nbytes, "xavier_s": tx, "numpy_zeros_s": tn,
            "xavier_gib_s": nbytes / tx / 2**30, "numpy_zeros_gib_s": nbytes / tn / 2**30,
            "ratio": tn / tx, "xavier_runs": xs, "numpy_runs": ns}


def dask_cluster(repeats: int) -> Dict[str, Any]:
    import distributed
    import xavier.dask as xd

    shape, chunks = (16384, 16384), (2048, 16384)
    buf = np.empty(shape, np.float32)
    seeds = iter(range(1, 1000))   # a new seed each time: nothing is cached
    res: Dict[str, Any] = {
        "bytes": buf.nbytes,
        "single_process_s": _median_time(
            lambda: xavier.glorot_uniform(shape, seed=next(seeds), out=buf), repeats),
        "single_process_new_array_s": _median_time(
            lambda: xavier.glorot_uniform(shape, seed=next(seeds)), repeats)}
    ref = xavier.glorot_uniform(shape, seed=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:

        def persist() -> None:
            p = client.persist(xd.glorot_uniform(shape, seed=next(seeds), chunks=chunks))
            distributed.wait(p)
            del p

        res["processes_persist_s"] = _median_time(persist, repeats)
        res["processes_compute_s"] = _median_time(
            lambda: xd.glorot_uniform(shape, seed=next(seeds), chunks=chunks).compute(), repeats)
        assert np.array_equal(xd.glorot_uniform(shape, seed=1, chunks=chunks).compute(), ref)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        res["threads_compute_s"] = _median_time(
            lambda: xd.glorot_uniform(shape, seed=next(seeds), chunks=chunks).compute(), repeats)
    return res


def narrow_chunks(repeats: int) -> List[Dict[str, Any]]:
    import xavier.dask as xd

    shape = (8192, 8192)
    rows = []
    for chunks in [(1024, 8192), (8192, 1024), (1024, 1024), (8192, 128), (8192, 16)]:
        arr = xd.glorot_uniform(shape, seed=1, chunks=chunks)
        t = _median_time(lambda: arr.compute(scheduler="synchronous"), repeats)
        rows.append({"chunks": list(chunks), "s": t, "ns_per_element": t / (8192 * 8192) * 1e9})
    base = rows[0]["s"]
    for r in rows:
        r["vs_whole_rows"] = r["s"] / base
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gib", type=float, default=4.0, help="size of the file test (GiB)")
    ap.add_argument("--dir", default=None, help="directory of the file test (default: a "
                                                 "temporary directory under the current one)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-disk", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    report: Dict[str, Any] = {"config": xavier.config(), "cpus": os.cpu_count()}
    if not a.skip_disk:
        with tempfile.TemporaryDirectory(dir=a.dir or ".") as d:
            r = report["disk"] = disk(a.gib, d, max(1, a.repeats - 1))
        print(f"disk, {r['bytes'] / 2**30:.2f} GiB float32 (fsync included):")
        print(f"  xavier generate   {r['xavier_s']:7.2f} s  {r['xavier_gib_s']:5.2f} GiB/s")
        print(f"  numpy zeros       {r['numpy_zeros_s']:7.2f} s  "
              f"{r['numpy_zeros_gib_s']:5.2f} GiB/s")
        print(f"  xavier / numpy rate: {r['ratio']:.2f}")
    if not a.skip_dask:
        r = report["dask"] = dask_cluster(a.repeats)
        print(f"dask, {r['bytes'] / 2**30:.0f} GiB float32 glorot_uniform, chunks of 2048 rows:")
        for k in ("single_process_s", "single_process_new_array_s", "processes_persist_s",
                  "processes_compute_s", "threads_compute_s"):
            print(f"  {k:22s} {r[k]:7.3f} s  {r[k] / r['single_process_s']:5.2f}x")
        rows = report["narrow_chunks"] = narrow_chunks(a.repeats)
        print("narrow chunks, 8192 x 8192 float32, one thread:")
        for r in rows:
            print(f"  chunks {str(tuple(r['chunks'])):14s} {r['s']:6.3f} s  "
                  f"{r['ns_per_element']:5.2f} ns/element  {r['vs_whole_rows']:5.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
