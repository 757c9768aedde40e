"""``xavier bench``: xavier side by side with the memory limit and its peers.

For each case (distribution x dtype x layer size x thread count) every
contender fills one ``size x size`` Glorot layer (fans ``size, size``):

=================  =========================================================
``fill``           ``ndarray.fill(0.5)``: the single-thread memory-write limit
``fill_threaded``  ``ndarray.fill`` on row slices from a thread pool: the limit
                   at ``threads`` threads (only when ``threads > 1``)
``xavier``         ``xavier.glorot_uniform`` / ``glorot_normal`` into the buffer
``numpy``          NumPy ``Generator.random`` / ``standard_normal`` (``out=``),
                   then scaled in place
``numpy_threaded`` the multithreaded recipe of NumPy's documentation: one
                   Generator per thread from ``SeedSequence.spawn``, each
                   filling its slice (only when ``threads > 1``)
``seeds``          the tutorials' ``np.random.uniform(-a, a, size)`` /
                   ``np.random.normal(0, s, size)``, float64 then ``astype``
``torch``          ``torch.nn.init.xavier_uniform_`` / ``xavier_normal_`` on a
                   CPU tensor sharing the buffer (``torch.set_num_threads``)
``randomgen``      ``Generator(randomgen.Xoshiro256)`` as ``numpy``
``mkl_random``     ``mkl_random.MKLRandomState(seed).uniform`` / ``normal``
                   (float64), then ``astype``
=================  =========================================================

Peers that are not importable are skipped and listed as such.  Each
contender gets untimed warm-up calls, then up to ``repeats`` timed runs
(fewer, but at least ``MIN_REPEATS``, when its runs would exceed ``budget``
seconds); rounds are interleaved so machine noise spreads over everyone.
A run repeats small calls until it lasts ``MIN_RUN_S``.  Reported: the
median time per call, GB/s of output (bytes / median, 1 GB = 1e9 bytes),
time relative to ``fill`` and xavier's speedup (this row's median over
xavier's at the largest thread count of the case).  Every contender's
output is checked for range and scale after the warm-up.

The NumPy-style half-precision paths (float16 / bfloat16) generate float32
into a scratch buffer and cast into the output: NumPy's generators have no
half-precision output.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _api, _checks, _presets
from ._argtypes import nonneg_int, positive_float, positive_int, require_matplotlib, try_import
from ._version import __version__

DISTS = ("uniform", "normal")
DTYPES = ("float32", "float64", "float16", "bfloat16")
DEFAULT_SIZE = 8192
DEFAULT_REPEATS = 5
MIN_REPEATS = 3
DEFAULT_BUDGET = 3.0
MIN_RUN_S = 0.01
PLOT_SIZES = (64, 256, 1024, 4096, 8192)   # from a bias-sized call to a large layer
SEED = 1

# Contenders in table order: key -> (label for uniform, label for normal, threaded).
CONTENDERS: Dict[str, Tuple[str, str, bool]] = {
    "fill": ("ndarray.fill(0.5)", "ndarray.fill(0.5)", False),
    "fill_threaded": ("ndarray.fill, row slices in threads", "ndarray.fill, row slices in threads",
                      True),
    "xavier": ("xavier.glorot_uniform(out=)", "xavier.glorot_normal(out=)", True),
    "numpy": ("numpy Generator.random + scale", "numpy Generator.standard_normal + scale", False),
    "numpy_threaded": ("numpy Generator, multithreaded recipe",
                       "numpy Generator, multithreaded recipe", True),
    "seeds": ("np.random.uniform(-a, a, size)", "np.random.normal(0, s, size)", False),
    "torch": ("torch.nn.init.xavier_uniform_", "torch.nn.init.xavier_normal_", True),
    "randomgen": ("randomgen Xoshiro256 Generator + scale",
                  "randomgen Xoshiro256 Generator + scale", False),
    "mkl_random": ("mkl_random uniform(-a, a, size)", "mkl_random normal(0, s, size)", False),
}
PEERS = ("torch", "randomgen", "mkl_random")  # optional imports


def legend_label(key: str) -> str:
    """A contender's name for both distributions (e.g. in a plot's legend)."""
    uni, nor, _ = CONTENDERS[key]
    if uni == nor:
        return uni
    common = os.path.commonprefix([uni, nor])
    common = common[: max(common.rfind("."), common.rfind(" ")) + 1]
    return f"{uni} / {nor[len(common):]}"
Fn = Callable[[], object]


# ---- optional peers ---------------------------------------------------------

def import_peer(name: str) -> Tuple[Any, Optional[str]]:
    """(module, None) if peer `name` imports, else (None, why not)."""
    if name not in PEERS + ("matplotlib",):
        raise ValueError(f"unknown peer {name!r}")
    return try_import(name)


# ---- machine facts ----------------------------------------------------------

def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _loadavg() -> Optional[List[float]]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_facts(peers: Dict[str, Any]) -> Dict[str, Any]:
    """CPU, cores, xavier's build (SIMD path, OpenMP) and the peers' versions."""
    try:
        affinity: Optional[int] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    versions = {name: getattr(mod, "__version__", "unknown") if mod is not None else None
                for name, mod in peers.items()}
    torch = peers.get("torch")
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "xavier": _api.config(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "peers": versions,
        "torch_threads_default": None if torch is None else torch.get_num_threads(),
        "loadavg_start": _loadavg(),
    }


# ---- contenders ---------------------------------------------------------------

@dataclass
class Case:
    """One table: a distribution, dtype and square layer size."""

    dist: str
    dtype: str
    size: int

    @property
    def shape(self) -> Tuple[int, int]:
        return (self.size, self.size)

    @property
    def limit(self) -> float:  # Glorot uniform bound
        return math.sqrt(6.0 / (2 * self.size))

    @property
    def std(self) -> float:  # Glorot normal standard deviation
        return math.sqrt(2.0 / (2 * self.size))

    def np_dtype(self) -> np.dtype:
        return _checks.check_dtype(self.dtype)

    @property
    def nbytes(self) -> int:
        return self.size * self.size * self.np_dtype().itemsize


@dataclass
class Entry:
    """A contender at a thread count, ready to time."""

    key: str
    label: str
    threads: int
    fn: Fn
    check: Callable[[object], None]
    cleanup: Callable[[], None] = lambda: None
    times: List[float] = field(default_factory=list)
    number: int = 1


def _row_slices(n: int, parts: int) -> List[slice]:
    step = -(-n // parts)
    return [slice(i, min(n, i + step)) for i in range(0, n, step)]


class _Pool:
    """A long-lived thread pool, as in NumPy's multithreaded recipe."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.executor = concurrent.futures.ThreadPoolExecutor(threads)

    def run(self, fn: Callable[[int], None]) -> None:
        for f in [self.executor.submit(fn, i) for i in range(self.threads)]:
            f.result()

    def close(self) -> None:
        self.executor.shutdown()


def _scaler(case: Case) -> Callable[[np.ndarray], None]:
    """In place: [0, 1) -> [-a, a) for uniform, N(0, 1) -> N(0, s^2) for normal."""
    if case.dist == "uniform":
        a = case.limit

        def scale(x: np.ndarray) -> None:
            np.multiply(x, x.dtype.type(2 * a), out=x)
            np.subtract(x, x.dtype.type(a), out=x)
    else:
        s = case.std

        def scale(x: np.ndarray) -> None:
            np.multiply(x, x.dtype.type(s), out=x)
    return scale


def _generator_fill(case: Case, gen: np.random.Generator, out: np.ndarray,
                    scratch: Optional[np.ndarray]) -> None:
    """NumPy-style fill of `out` (float32/64 in place; halves via float32 `scratch`)."""
    target = out if scratch is None else scratch
    if case.dist == "uniform":
        gen.random(out=target, dtype=target.dtype.type)
    else:
        gen.standard_normal(out=target, dtype=target.dtype.type)
    _scaler(case)(target)
    if scratch is not None:
        out[...] = scratch


def _torch_view(torch: Any, buf: np.ndarray) -> Any:
    if buf.dtype.name == "bfloat16":
        return torch.from_numpy(buf.view(np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(buf)


def _checker(case: Case, buf: np.ndarray, label: str) -> Callable[[object], None]:
    """A sanity check of a contender's output (a returned array, or `buf`)."""
    def check(result: object) -> None:
        arr = result if isinstance(result, np.ndarray) else buf
        x = np.asarray(arr).reshape(-1)[: 1 << 16].astype(np.float64)
        ok = bool(np.isfinite(x).all())
        if label.startswith("ndarray.fill"):
            ok = ok and bool((x == 0.5).all())
        elif case.dist == "uniform":
            ok = ok and float(np.abs(x).max()) <= case.limit * (1 + 1e-2)
            ok = ok and float(x.std()) > 0.4 * case.limit
        else:
            ok = ok and 0.8 < float(x.std()) / case.std < 1.2
        if not ok:
            raise RuntimeError(f"bench: the output of {label} ({case.dist} {case.dtype}) failed "
                               f"its range/scale check")
    return check


def entries(case: Case, buf: np.ndarray, threads: Sequence[int], peers: Dict[str, Any],
            only: Optional[Sequence[str]] = None) -> List[Entry]:
    """The contenders of `case`, writing into `buf` (or returning new arrays)."""
    dt = case.np_dtype()
    half = dt.itemsize == 2
    shape = case.shape
    scratch = np.empty(shape, np.float32) if half else None
    if scratch is not None:
        scratch.fill(0.0)
    uniform = case.dist == "uniform"
    out: List[Entry] = []

    def add(key: str, fn: Fn, t: int = 1, cleanup: Callable[[], None] = lambda: None) -> None:
        names = CONTENDERS[key]
        label = names[0] if uniform else names[1]
        out.append(Entry(key, label, t, fn, _checker(case, buf, label), cleanup))

    def want(key: str) -> bool:
        return only is None or key in only

    # bfloat16 (an ml_dtypes type) is filled through its bits: its own fill is
    # a slow generic loop, and the memory limit is about bytes.
    raw, half_bits = (buf.view(np.uint16), 0x3F00) if dt.name == "bfloat16" else (buf, 0.5)
    if want("fill"):
        add("fill", lambda: raw.fill(half_bits))
    for t in threads:
        if want("fill_threaded") and t > 1:
            pool = _Pool(t)
            parts = _row_slices(case.size, t)

            def fill_threaded(pool: _Pool = pool, parts: List[slice] = parts) -> None:
                pool.run(lambda i: raw[parts[i]].fill(half_bits))
            add("fill_threaded", fill_threaded, t, pool.close)
    if want("xavier"):
        xfn = _presets.glorot_uniform if uniform else _presets.glorot_normal
        for t in threads:
            def xavier_fn(t: int = t) -> np.ndarray:
                return xfn(shape, dtype=dt, out=buf, seed=SEED, threads=t)
            add("xavier", xavier_fn, t)
    if want("numpy"):
        gen = np.random.default_rng(SEED)
        add("numpy", lambda: _generator_fill(case, gen, buf, scratch))
    for t in threads:
        if want("numpy_threaded") and t > 1:
            gens = [np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(t)]
            pool = _Pool(t)
            parts = _row_slices(case.size, t)

            def numpy_threaded(pool: _Pool = pool, parts: List[slice] = parts,
                               gens: List[np.random.Generator] = gens) -> None:
                pool.run(lambda i: _generator_fill(
                    case, gens[i], buf[parts[i]], None if scratch is None else scratch[parts[i]]))
            add("numpy_threaded", numpy_threaded, t, pool.close)
    if want("seeds"):
        legacy = np.random.RandomState(SEED)
        a, s = case.limit, case.std
        if uniform:
            def seeds() -> np.ndarray:
                w = legacy.uniform(-a, a, size=shape)
                return w if dt == w.dtype else w.astype(dt)
        else:
            def seeds() -> np.ndarray:
                w = legacy.normal(0.0, s, size=shape)
                return w if dt == w.dtype else w.astype(dt)
        add("seeds", seeds)
    torch = peers.get("torch")
    if want("torch") and torch is not None:
        tensor = _torch_view(torch, buf)
        init = torch.nn.init.xavier_uniform_ if uniform else torch.nn.init.xavier_normal_
        for t in threads:
            def torch_fn(t: int = t) -> None:
                torch.set_num_threads(t)
                init(tensor)
            add("torch", torch_fn, t)
    randomgen = peers.get("randomgen")
    if want("randomgen") and randomgen is not None:
        rg = np.random.Generator(randomgen.Xoshiro256(SEED))
        add("randomgen", lambda: _generator_fill(case, rg, buf, scratch))
    mkl = peers.get("mkl_random")
    if want("mkl_random") and mkl is not None:
        ms = getattr(mkl, "MKLRandomState", None) or mkl.RandomState  # newer, older
        ms = ms(SEED)
        a, s = case.limit, case.std

        def mkl_fn() -> Any:
            w = ms.uniform(-a, a, size=shape) if uniform else ms.normal(0.0, s, size=shape)
            return w if dt == w.dtype else w.astype(dt)
        add("mkl_random", mkl_fn)
    return out


# ---- timing -------------------------------------------------------------------

def _call_n(fn: Fn, n: int) -> float:
    clock = time.perf_counter
    t0 = clock()
    for _ in range(n):
        result = fn()
    t1 = clock()
    del result  # a returned array is freed outside the timed region
    return t1 - t0


def time_entries(es: List[Entry], repeats: int, budget: float,
                 min_run: float = MIN_RUN_S) -> None:
    """Warm up and check each entry, then time interleaved rounds (fills ``.times``)."""
    target: Dict[int, int] = {}
    for i, e in enumerate(es):
        t0 = time.perf_counter()
        e.check(e.fn())  # warm-up, checked
        once = time.perf_counter() - t0
        if once < 20 * min_run:  # short calls: a second warm-up calibrates the loop
            once = _call_n(e.fn, 1)
        e.number = max(1, min(100000, math.ceil(min_run / max(once, 1e-9))))
        per_run = once * e.number
        target[i] = max(min(repeats, MIN_REPEATS), min(repeats, int(budget // max(per_run, 1e-9))))
    for r in range(max(target.values(), default=0)):
        for i, e in enumerate(es):
            if r < target[i]:
                e.times.append(_call_n(e.fn, e.number) / e.number)


# ---- a whole run ----------------------------------------------------------------

@dataclass
class Settings:
    sizes: List[int]
    dtypes: List[str]
    dists: List[str]
    threads: List[int]
    repeats: int = DEFAULT_REPEATS
    budget: float = DEFAULT_BUDGET
    only: Optional[List[str]] = None
    skip: List[str] = field(default_factory=list)
    load: int = 0


def _rows(case: Case, es: List[Entry]) -> List[Dict[str, Any]]:
    med = {(e.key, e.threads): statistics.median(e.times) for e in es}
    fill = med.get(("fill", 1))
    xs = [e for e in es if e.key == "xavier"]
    xtop = max((e.threads for e in xs), default=0)
    xbest = med[("xavier", xtop)] if xs else None
    rows = []
    for e in es:
        m = med[(e.key, e.threads)]
        rows.append({
            "dist": case.dist, "dtype": case.dtype, "size": case.size,
            "shape": list(case.shape), "bytes": case.nbytes,
            "contender": e.key, "label": e.label, "threads": e.threads,
            "calls_per_run": e.number, "runs": len(e.times), "times_s": e.times,
            "median_s": m, "min_s": min(e.times),
            "gb_per_s": case.nbytes / m / 1e9,
            "vs_fill": None if fill is None else m / fill,
            "xavier_speedup": None if xbest is None or (e.key == "xavier" and e.threads == xtop)
            else m / xbest,
        })
    return rows


# ---- background load ----------------------------------------------------------

LOAD_PER_CPU = 4   # --load allows at most this many busy processes per usable CPU


def max_load() -> int:
    return LOAD_PER_CPU * _checks.usable_cpus()


class BackgroundLoad:
    """`n` busy processes (Python spin loops, as a hog beside a training job
    would be) while the context is open.  They are stopped on exit, Ctrl-C
    included, and each one also ends by itself once this process is gone (it
    watches its parent), so even a killed bench leaves none spinning."""

    CODE = ("import os\np = os.getppid()\n"
            "while os.getppid() == p:\n    for _ in range(200000): pass\n")

    def __init__(self, n: int) -> None:
        self.n = n
        self.procs: List[subprocess.Popen[bytes]] = []

    def __enter__(self) -> "BackgroundLoad":
        try:
            for _ in range(self.n):
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", self.CODE], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if self.n:
                time.sleep(0.2)   # under way before anything is timed
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
        self.procs.clear()


def load_peers(settings: Settings) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """Import the optional peers that the run may use."""
    peers: Dict[str, Any] = {}
    skipped: Dict[str, str] = {}
    for name in PEERS:
        if name in settings.skip or (settings.only is not None and name not in settings.only):
            continue
        mod, why = import_peer(name)
        peers[name] = mod
        if why is not None:
            skipped[name] = why
    return peers, skipped


def run(settings: Settings, peers: Dict[str, Any], report: Callable[[Dict[str, Any]], None]
        = lambda table: None) -> List[Dict[str, Any]]:
    """Time every case of `settings`; `report` gets each finished table's rows."""
    torch = peers.get("torch")
    torch_threads = None if torch is None else torch.get_num_threads()
    only = settings.only
    if only is None and settings.skip:
        only = [k for k in CONTENDERS if k not in settings.skip]
    rows: List[Dict[str, Any]] = []
    try:
        for dtype in settings.dtypes:
            for size in settings.sizes:
                case = Case(settings.dists[0], dtype, size)
                buf = np.empty(case.shape, case.np_dtype())
                buf.fill(0.0)  # paged in before anything is timed
                for dist in settings.dists:
                    case = Case(dist, dtype, size)
                    es = entries(case, buf, settings.threads, peers, only)
                    try:
                        time_entries(es, settings.repeats, settings.budget)
                    finally:
                        for e in es:
                            e.cleanup()
                    table = _rows(case, es)
                    rows.extend(table)
                    report({"case": case, "rows": table})
                del buf
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)
    return rows


# ---- output -------------------------------------------------------------------

def _fmt_ms(s: float) -> str:
    ms = s * 1e3
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}" if ms >= 1 else f"{ms:.4f}"


def _fmt_x(x: Optional[float]) -> str:
    return "" if x is None else f"{x:.2f}x"


def _mib(n: int) -> str:
    return f"{n / 2**20:.4g} MiB"


def header_lines(facts: Dict[str, Any], settings: Settings, skipped: Dict[str, str]) -> List[str]:
    cfg = facts["xavier"]
    aff = facts["cpu_affinity"]
    peers = ", ".join(f"{k} {v}" for k, v in facts["peers"].items() if v is not None) or "none"
    lines = [
        f"{facts['date']}  {facts['cpu_model']}; {facts['cpu_count']} cores"
        + (f" ({aff} usable)" if aff not in (None, facts["cpu_count"]) else ""),
        f"xavier {cfg['version']} (stream {cfg['stream_version']}): SIMD path {cfg['simd_path']}, "
        f"OpenMP {'on' if cfg['openmp'] else 'off'}, default threads {cfg['default_threads']}"
        + (f", OMP_NUM_THREADS={facts['omp_num_threads_env']}"
           if facts["omp_num_threads_env"] else ""),
        f"numpy {cfg['numpy']}; peers: {peers}; Python {facts['python']} on {facts['platform']}",
    ]
    for name, why in skipped.items():
        lines.append(f"{name}: {why}; its rows are omitted")
    lines.append(
        f"median of up to {settings.repeats} interleaved runs (at least {MIN_REPEATS}, within "
        f"{settings.budget:g} s per contender) after warm-up; GB/s = output bytes / median; "
        f"load average {facts['loadavg_start']}")
    if settings.load:
        lines.append(f"under load: {settings.load} busy background process"
                     f"{'es' * (settings.load > 1)} (Python spin loops) while timing")
    return lines


TABLE_HEAD = ["contender", "threads", "runs", "median ms", "GB/s", "time / fill",
              "xavier speedup"]


def table_cells(rows: List[Dict[str, Any]]) -> List[List[str]]:
    return [[r["label"], str(r["threads"]), str(r["runs"]), _fmt_ms(r["median_s"]),
             f"{r['gb_per_s']:.2f}", _fmt_x(r["vs_fill"]), _fmt_x(r["xavier_speedup"])]
            for r in rows]


def case_title(case: Case) -> str:
    return (f"{case.dist} {case.dtype}, {case.size} x {case.size} "
            f"({_mib(case.nbytes)}), fans ({case.size}, {case.size})")


def render_table(head: List[str], body: List[List[str]], markdown: bool = False,
                 left: int = 1) -> str:
    """A table as aligned text (the first `left` columns left-aligned) or markdown."""
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join([":---"] * left + ["---:"] * (len(head) - left)) + "|"]
        return "\n".join(lines + ["| " + " | ".join(b) + " |" for b in body])
    widths = [max(len(c) for c in col) for col in zip(head, *body)]

    def line(cells: List[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(head), "  ".join("-" * w for w in widths)] + [line(b) for b in body])


def format_table(rows: List[Dict[str, Any]], markdown: bool = False) -> str:
    """One case's rows as printed by ``xavier bench`` (markdown: names in code spans)."""
    body = table_cells(rows)
    if markdown:
        body = [[f"`{b[0]}`"] + b[1:] for b in body]
    return render_table(TABLE_HEAD, body, markdown)


# In the threads panel, a threaded recipe at 1 thread is its single-thread form.
_ONE_THREAD_FORM = {"fill_threaded": "fill", "numpy_threaded": "numpy"}


def plot(rows: List[Dict[str, Any]], path: str, title: str) -> None:
    """Throughput versus layer size (at the largest thread count) and versus
    threads (at the largest size), one row of panels per distribution and dtype.

    Contenders keep one colour throughout.  In the threads panel, the
    threaded recipes start from their single-thread forms (``fill``,
    ``numpy``) at 1 thread, and single-threaded peers are dotted levels.
    """
    from matplotlib.figure import Figure

    from ._files import write_bytes

    colors = {key: f"C{i}" for i, key in enumerate(CONTENDERS)}
    cases = sorted({(r["dist"], r["dtype"]) for r in rows},
                   key=lambda c: (DISTS.index(c[0]), DTYPES.index(c[1])))
    fig = Figure(figsize=(12, 3.6 * len(cases) + 1.2), layout="constrained")
    axes = fig.subplots(len(cases), 2, squeeze=False)
    handles: Dict[str, Any] = {}
    for (dist, dtype), (ax_size, ax_thr) in zip(cases, axes):
        sub = [r for r in rows if r["dist"] == dist and r["dtype"] == dtype]
        big = max(r["size"] for r in sub)
        threads = sorted({r["threads"] for r in sub})

        def points(key: str, by: str, sub: List[Dict[str, Any]] = sub,
                   big: int = big) -> List[Tuple[int, float]]:
            mine = [r for r in sub if r["contender"] == key]
            if by == "size":
                top = max((r["threads"] for r in mine), default=0)
                return sorted((r["size"], r["gb_per_s"]) for r in mine if r["threads"] == top)
            return sorted((r["threads"], r["gb_per_s"]) for r in mine if r["size"] == big)

        for key in CONTENDERS:
            if not any(r["contender"] == key for r in sub):
                continue
            label = legend_label(key)
            width = 2.8 if key == "xavier" else 1.4
            xy = points(key, "size")
            (line,) = ax_size.plot(*zip(*xy), marker="o", color=colors[key], label=label,
                                   linewidth=width)
            handles.setdefault(label, line)
            xy = points(key, "threads")
            if key in _ONE_THREAD_FORM and xy and xy[0][0] > 1:
                xy = points(_ONE_THREAD_FORM[key], "threads")[:1] + xy
            if CONTENDERS[key][2] or key in _ONE_THREAD_FORM or len(threads) == 1:
                ax_thr.plot(*zip(*xy), marker="o", color=colors[key], linewidth=width)
            elif xy:
                ax_thr.plot([threads[0], threads[-1]], [xy[0][1]] * 2, linestyle=":",
                            color=colors[key], linewidth=1.2)
        ax_size.set_xscale("log", base=2)
        ax_size.set_xlabel("layer size n (n x n weights)")
        ax_size.set_title(f"{dist} {dtype}: throughput vs size ({threads[-1]} threads)",
                          fontsize=10)
        ax_thr.set_xlabel("threads")
        ax_thr.set_xticks(threads)
        ax_thr.set_title(f"{dist} {dtype}: throughput vs threads ({big} x {big})", fontsize=10)
        for ax in (ax_size, ax_thr):
            ax.set_yscale("log")
            ax.set_ylabel("GB/s of output")
            ax.grid(True, which="both", alpha=0.3)
    fig.legend(list(handles.values()), list(handles.keys()), loc="outside lower center",
               ncols=3, fontsize=8)
    fig.suptitle(f"{title}\ndotted: single-threaded contenders, shown at every thread count",
                 fontsize=9)
    data = io.BytesIO()
    fig.savefig(data, format=os.path.splitext(path)[1][1:] or "png", dpi=100)
    write_bytes(path, data.getvalue())


def default_threads() -> List[int]:
    return [max(1, _api.config()["default_threads"])]


def sweep_threads() -> List[int]:
    """1, 2, 4, ... up to the default thread count, and that count."""
    top = default_threads()[0]
    ts = [1 << i for i in range(top.bit_length()) if 1 << i < top]
    return ts + [top]


# ---- the command ----------------------------------------------------------------

_EPILOG = """\
contenders (--only / --skip keys):
  fill            ndarray.fill(0.5): the memory-write limit of one thread
  fill_threaded   ndarray.fill on row slices in a thread pool (threads > 1)
  xavier          xavier.glorot_uniform / glorot_normal(out=buf)
  numpy           NumPy Generator.random / standard_normal(out=buf), scaled in place
  numpy_threaded  NumPy's documented multithreaded recipe (threads > 1)
  seeds           np.random.uniform(-a, a, size) / np.random.normal(0, s, size)
  torch           torch.nn.init.xavier_uniform_ / xavier_normal_ (if installed)
  randomgen       Generator(randomgen.Xoshiro256), scaled in place (if installed)
  mkl_random      mkl_random.MKLRandomState uniform / normal, float64 (if installed)

examples:
  xavier bench                                  (8192 x 8192 float32, under a minute)
  xavier bench --size 4096 --dtype float32 bfloat16 --dist uniform
  xavier bench --threads 1 2 --only fill xavier torch
  xavier bench --load 2 --size 64 8192              (beside two busy processes)
  xavier bench --plot bench.png --json bench.json   (sizes and threads swept)
"""


def add_parser(sub: Any) -> None:
    """`xavier bench` on the subparsers object `sub`."""
    b = sub.add_parser(
        "bench", help="time xavier side by side with NumPy, torch and the memory limit",
        description="Time Glorot layers (size x size) filled by xavier and by its peers, in "
                    "one process: median times, GB/s, and ratios to the memory limit and to "
                    "xavier.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("--size", type=positive_int, nargs="+", metavar="N",
                   help="layer sizes n (n x n weights; default 8192, or a sweep with --plot)")
    b.add_argument("--dtype", choices=DTYPES, nargs="+", default=["float32"], metavar="DTYPE",
                   help=f"output dtypes: {', '.join(DTYPES)} (default float32)")
    b.add_argument("--dist", choices=DISTS, nargs="+", default=list(DISTS), metavar="DIST",
                   help="distributions: uniform, normal (default: both)")
    b.add_argument("--threads", type=positive_int, nargs="+", metavar="N",
                   help="thread counts for the threaded contenders (default: all cores, or "
                        "1, 2, 4, ... all with --plot)")
    b.add_argument("--repeats", type=positive_int, default=DEFAULT_REPEATS,
                   help=f"timed runs per contender (default {DEFAULT_REPEATS})")
    b.add_argument("--budget", type=positive_float, default=DEFAULT_BUDGET, metavar="SECONDS",
                   help=f"fewer runs (but at least 3) for contenders slower than this in all "
                        f"(default {DEFAULT_BUDGET:g})")
    pick = b.add_mutually_exclusive_group()
    pick.add_argument("--only", choices=list(CONTENDERS), nargs="+", metavar="KEY",
                      help="time only these contenders")
    pick.add_argument("--skip", choices=list(CONTENDERS), nargs="+", metavar="KEY",
                      help="do not time these contenders")
    b.add_argument("--load", type=nonneg_int, default=0, metavar="N",
                   help="time everything beside N busy background processes (at most 4 per "
                        "CPU; stopped on exit), with xavier's default threads next to 1")
    b.add_argument("--json", metavar="FILE",
                   help="write settings, machine facts and raw timings to FILE ('-': stdout, "
                        "tables to stderr)")
    b.add_argument("--plot", metavar="FILE.png",
                   help="draw throughput vs size and vs threads (needs matplotlib)")
    b.add_argument("--markdown", action="store_true", help="print GitHub markdown tables")
    b.set_defaults(cmd=cmd_bench)


def cmd_bench(args: argparse.Namespace, argv: List[str]) -> int:
    """`xavier bench`: `args` parsed by :func:`add_parser`'s parser, `argv`
    the arguments after ``bench`` (recorded in the JSON as the command)."""
    from ._files import write_bytes

    plotting = args.plot is not None
    if plotting:
        require_matplotlib()
    for dt in args.dtype:
        _checks.check_dtype(dt)  # bfloat16 without ml_dtypes fails here, before any timing
    load = args.load or 0
    if load > max_load():
        raise ValueError(f"--load {load} is more than {max_load()} busy processes "
                         f"({LOAD_PER_CPU} per usable CPU)")
    threads = args.threads or (sweep_threads() if plotting else default_threads())
    if load and not args.threads:   # under load, the default next to one thread
        threads = sorted({1, *threads})
    settings = Settings(
        sizes=args.size or (list(PLOT_SIZES) if plotting else [DEFAULT_SIZE]),
        dtypes=args.dtype, dists=args.dist, threads=threads,
        repeats=args.repeats, budget=args.budget, only=args.only, skip=args.skip or [],
        load=load)
    peers, skipped = load_peers(settings)
    facts = machine_facts(peers)
    quiet_tables = args.json == "-"
    out = sys.stderr if quiet_tables else sys.stdout
    for line in header_lines(facts, settings, skipped):
        print(f"- {line}" if args.markdown else line, file=out)
    print(file=out)

    def report(table: Dict[str, Any]) -> None:
        title = case_title(table["case"])
        print(f"**{title}**\n" if args.markdown else f"[{title}]", file=out)
        print(format_table(table["rows"], args.markdown), file=out)
        print(file=out, flush=True)

    with BackgroundLoad(settings.load):
        rows = run(settings, peers, report)
    facts["loadavg_end"] = _loadavg()
    result = {
        "xavier_bench": 1,
        "command": "xavier bench " + " ".join(argv),
        "facts": facts,
        "settings": {"sizes": settings.sizes, "dtypes": settings.dtypes,
                     "dists": settings.dists, "threads": settings.threads,
                     "repeats": settings.repeats, "min_repeats": MIN_REPEATS,
                     "load": settings.load,
                     "budget_s": settings.budget, "min_run_s": MIN_RUN_S, "seed": SEED},
        "skipped": skipped,
        "results": rows,
    }
    if args.json == "-":
        json.dump(result, sys.stdout, indent=1)
        print()
    elif args.json:
        write_bytes(args.json, json.dumps(result, indent=1).encode())
        print(f"results written to {args.json}", file=sys.stderr)
    if plotting:
        cfg = facts["xavier"]
        plot(rows, args.plot, f"xavier {__version__} bench, {facts['date']}: {facts['cpu_model']}, "
                              f"{facts['cpu_count']} cores, {cfg['simd_path']}")
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0
