"""The ``xavier`` command (also ``python -m xavier``).

Subcommands: ``bench`` times xavier side by side with NumPy, torch and the
memory limit; ``demo`` runs Glorot & Bengio's variance experiment;
``generate`` streams tensors to .npy / safetensors files with bounded
memory; ``info`` summarizes a generated file; ``config`` prints build facts.
Exit status: see ``EXIT_STATUS`` (printed by ``xavier --help``).

Each subcommand has two functions: one that registers its parser on the
subparsers object (``add_parser`` in ``_bench`` and ``_demo``;
``add_generate_parser``, ``add_info_parser`` and ``add_config_parser``
here), with its command as the parser's ``cmd`` default, and the command
``cmd_<name>(args, argv)``: the parsed arguments and the subcommand's own
argument list.  The argument types and ``require_matplotlib``, which the
subcommands share, are in ``_argtypes``.  Every parser is a ``Parser``:
its errors are one line, and an option that takes a value is refused when
given twice (argparse would keep the last).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, NoReturn, Optional, Sequence

from ._argtypes import dim, integer, nonneg_int, parse_bool, positive_float, positive_int, real
from ._version import __version__

# NumPy, the core and the rest load inside main(), after the signal handlers
# are in place: a signal during start-up is then a clean interrupt too.
if TYPE_CHECKING:
    import numpy as np

    from ._files import Tensor

PROG = "xavier"

# A subcommand: its parsed arguments and its own argument list -> exit status.
Command = Callable[[argparse.Namespace, List[str]], int]

# ---- the parser -------------------------------------------------------------

EXIT_STATUS = """\
exit status:
  0              success
  1              the run failed: an output that exists (without --force), a full
                 disk, an I/O error while writing; the output was not written
  2              bad input: bad arguments, a bad spec, an input file (the FILE of
                 info, a --spec) that is missing, unreadable or not valid, a
                 missing optional package; also `xavier` alone.  Nothing was written
  130, 143, 129  interrupted by SIGINT (Ctrl-C), SIGTERM or SIGHUP; the output was
                 not written
"""
# ... and in short, in each subcommand's --help
_EXIT_LINE = ("exit status: 0 success, 1 the run failed, 2 bad arguments or input,\n"
              f"128 + N signal N (see '{PROG} --help')")

# The namespace attribute where _StoreOnce notes the options given (parse_args()
# removes it).
_GIVEN = "_xavier_given"


class _StoreOnce(argparse.Action):
    """argparse's "store" (every option that takes values), except that an
    option given twice is an error: argparse would silently keep the last."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: Optional[str] = None) -> None:
        given = getattr(namespace, _GIVEN, None)
        if given is None:
            given = set()
            setattr(namespace, _GIVEN, given)
        if self.dest in given:
            hint = (f": list all its values after one {option_string}"
                    if self.nargs in ("+", "*") else "")
            raise argparse.ArgumentError(self, f"given more than once{hint}")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


class Parser(argparse.ArgumentParser):
    """The parser of `xavier` and, through ``add_subparsers``, of each
    subcommand: an error is one line on stderr, ``PROG: error: MESSAGE (see
    'PROG --help')``, exit 2, and options take their value once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


# Init options on the command line: flag -> (option name, type, help).
_INIT_FLAGS: Dict[str, Any] = {
    "--gain": ("gain", real, "gain on the standard deviation (glorot_*)"),
    "--scale": ("scale", real, "variance scale (variance_scaling)"),
    "--mode": ("mode", str, "fan_in, fan_out or fan_avg (variance_scaling, he_*, lecun_*)"),
    "--distribution": ("distribution", str,
                       "uniform, normal or truncated_normal (variance_scaling)"),
    "--truncated": ("truncated", parse_bool,
                    "true or false: Keras/JAX truncated normal (*_normal); alone: true"),
    "--low": ("low", real, "lower bound (uniform)"),
    "--high": ("high", real, "upper bound (uniform)"),
    "--mean": ("mean", real, "mean (normal, truncated_normal)"),
    "--std": ("std", real, "standard deviation (normal, truncated_normal)"),
    "--a": ("a", real, "absolute lower bound (truncated_normal)"),
    "--b": ("b", real, "absolute upper bound (truncated_normal)"),
    "--value": ("value", real, "the value (constant)"),
    "--layout": ("layout", str, "keras: (..., in, out), the default; torch: (out, in, *kernel)"),
}
_AXIS_FLAGS = {"--in-axis": "in_axis", "--out-axis": "out_axis", "--batch-axis": "batch_axis",
               "--fans": "fans"}


def build_parser() -> argparse.ArgumentParser:
    """The parser of the command and its subcommands (this loads NumPy and the core)."""
    from . import _bench, _demo

    parser = Parser(prog=PROG, description="Fast, reproducible Xavier/Glorot weight "
                                           "initialization.",
                    epilog=EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_parser in (add_generate_parser, add_info_parser, add_config_parser,
                       _bench.add_parser, _demo.add_parser):
        add_parser(sub)
    for p in _subcommands(parser).values():
        p.epilog = f"{p.epilog}\n{_EXIT_LINE}\n" if p.epilog else _EXIT_LINE
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> Dict[str, argparse.ArgumentParser]:
    """The subcommands' parsers of `parser` (build_parser's), by name."""
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def parse_args(parser: argparse.ArgumentParser,
               argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """`parser.parse_args(argv)`, except that the subcommand's parser reports
    arguments it does not know (argparse has the top-level one do it, as
    `xavier: error:`, without the subcommand)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = getattr(args, "command", None)
        chosen = _subcommands(parser).get(command) if command else None
        (chosen or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    vars(args).pop(_GIVEN, None)
    return args


def _short_usage(parser: argparse.ArgumentParser) -> str:
    """What `xavier` alone prints (to stderr, exit 2): the usage, the
    subcommands, where the help is."""
    return (f"usage: {PROG} [--version] COMMAND [OPTIONS]\n"
            f"commands: {', '.join(_subcommands(parser))}\n"
            f"see '{PROG} --help', or '{PROG} COMMAND --help'\n")


_EPILOG_GENERATE = """\
examples:
  xavier generate --shape 50000 12288 --init glorot_normal --dtype bfloat16 --seed 7 -o emb.npy
  xavier generate --shape 4096 1024 --init he_uniform --layout torch -o fc.safetensors
  xavier generate --spec model.toml --seed 7 -o model.safetensors
  xavier generate --spec model.toml -o model/          (a directory of NAME.npy files)
  xavier generate --hf-config config.json --seed 0 -o llama-init/
  xavier generate --torch-model mymodels.py:build --seed 0 -o init/

A single tensor is generated with `--seed` exactly as the Python call
xavier.<init>(shape, ..., dtype=DTYPE, seed=SEED) would; the .npy file holds
the bytes np.save writes for that array.  In a spec, tensor NAME uses
xavier.named_seed(SEED, NAME).  Without a seed, fresh entropy is drawn and
printed, so the run can be repeated.

With --hf-config or --torch-model, the model is built on the meta device
and its own init code recorded; the directory gets Hugging Face's layout
(model.safetensors or shards with model.safetensors.index.json, and the
config), with the values of torch.manual_seed(SEED) and the build under
xavier.torch.fast_init().  Tensors that torch computes instead are listed.

The output appears under its name only when complete: an interrupted or
failed run leaves no file there.  Memory use is about 2 x --chunk-mb.
On a terminal, the progress is tqdm's bar where tqdm is installed
(pip install 'xavier-init[cli]'), else a plain line.
"""


def _init_type() -> Callable[[str], str]:
    """The type of --init: an initializer's name or PyTorch's name of a
    preset (xavier_uniform ...), as the preset's own name."""
    from ._inits import check_init

    def init(text: str) -> str:
        try:
            return check_init(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix("init ")) from None

    return init


def add_generate_parser(sub: Any) -> None:
    """`xavier generate` on the subparsers object `sub`."""
    from ._files import DEFAULT_CHUNK_MB, FORMATS
    from ._inits import ALIASES, INITS

    g = sub.add_parser(
        "generate", help="stream generated weights to .npy / safetensors files",
        description="Generate a tensor (--shape) or a whole model (--spec) to disk, in "
                    "chunks, in parallel, with bounded memory.",
        epilog=_EPILOG_GENERATE, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = g.add_mutually_exclusive_group(required=True)
    what.add_argument("--shape", type=dim, nargs="+", metavar="N",
                      help="the tensor's shape, e.g. --shape 4096 1024")
    what.add_argument("--spec", metavar="FILE",
                      help="a model spec (.toml or .json) listing named tensors")
    what.add_argument("--hf-config", metavar="FILE",
                      help="a Hugging Face model's config.json: its initial checkpoint, "
                           "recorded from the model's own init code (needs torch and "
                           "transformers)")
    what.add_argument("--torch-model", metavar="MODULE:CALLABLE",
                      help="a function that builds a torch.nn.Module (module or file.py, "
                           "then the name): its initial checkpoint, as --hf-config")
    g.add_argument("-o", "--output", required=True, metavar="PATH",
                   help="output: NAME.npy, NAME.safetensors or a directory (see --format); "
                        "with --hf-config / --torch-model, the checkpoint's directory")
    g.add_argument("--format", choices=FORMATS,
                   help="output format (default: from the suffix; a spec without a "
                        ".safetensors suffix writes a directory of NAME.npy files)")
    g.add_argument("--seed", type=nonneg_int, help="non-negative integer seed")
    aliases = ", ".join(f"{a} (= {name})" for a, name in ALIASES.items())
    g.add_argument("--init", type=_init_type(), metavar="INIT",
                   help=f"initializer (default glorot_uniform): {', '.join(INITS)}; or "
                        f"PyTorch's names: {aliases}")
    g.add_argument("--dtype", choices=("float32", "float64", "float16", "bfloat16"),
                   help="default float32")
    g.add_argument("--name", default="weight",
                   help="the tensor's name in a safetensors file (default 'weight')")
    model = g.add_argument_group("models (--hf-config, --torch-model)")
    model.add_argument("--hf-class", metavar="NAME",
                       help="the transformers class to build (default: the config's "
                            "architectures[0]), e.g. LlamaForCausalLM")
    model.add_argument("--max-shard-size", metavar="SIZE",
                       help="shard size limit, e.g. 5GB (default 50GB, as transformers 5)")
    opts = g.add_argument_group("initializer options (those the chosen --init takes)")
    for flag, (_, typ, text) in _INIT_FLAGS.items():
        if typ is parse_bool:   # --truncated alone: true
            opts.add_argument(flag, type=typ, nargs="?", const=True, help=text,
                              metavar="BOOL")
        else:
            opts.add_argument(flag, type=typ, help=text, metavar=flag[2:].upper())
    for flag, dest in _AXIS_FLAGS.items():
        opts.add_argument(flag, type=integer, nargs="+", metavar="N", dest=dest,
                          help=("(fan_in, fan_out) to use instead of the shape's" if dest == "fans"
                                else f"JAX-style {dest.replace('_', ' ')}(s)"))
    run = g.add_argument_group("running")
    run.add_argument("--chunk-mb", type=positive_float, default=DEFAULT_CHUNK_MB, metavar="MB",
                     help=f"generation chunk in MiB (default {DEFAULT_CHUNK_MB}); peak memory "
                          "is about twice this")
    run.add_argument("--threads", type=positive_int,
                     help="sampler threads (default: all cores, or OMP_NUM_THREADS)")
    run.add_argument("--force", action="store_true", help="overwrite an existing output")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="no progress bar or summary (the bar shows only on a terminal)")
    g.set_defaults(cmd=cmd_generate)


def add_info_parser(sub: Any) -> None:
    """`xavier info` on the subparsers object `sub`."""
    i = sub.add_parser("info", help="tensors, shapes, dtypes and statistics of a file",
                       description="Print the tensors of a .npy file, a safetensors file or a "
                                   "directory of .npy files, with mean, std, min and max.")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.add_argument("--no-stats", action="store_true", help="headers only (no data read)")
    i.set_defaults(cmd=cmd_info)


def add_config_parser(sub: Any) -> None:
    """`xavier config` on the subparsers object `sub`."""
    c = sub.add_parser("config", help="build and run-time facts (version, OpenMP, SIMD path)")
    c.set_defaults(cmd=cmd_config)


# ---- running ----------------------------------------------------------------

class InputError(Exception):
    """An input file (the FILE of `info`, a --spec) that is missing or cannot
    be read: bad input, exit 2, like an input that is not valid."""


@contextlib.contextmanager
def _reading_input() -> Iterator[None]:
    """Inside: an OSError is an InputError with its message."""
    try:
        yield
    except OSError as e:
        raise InputError(_os_message(e)) from None


def _os_message(e: OSError) -> str:
    where = f"{e.filename}: " if getattr(e, "filename", None) else ""
    return f"{where}{e.strerror or e}"


class _Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_caught: List[int] = []   # signals received
_armed = [False]          # whether the handler raises (after start-up)


def _raise_interrupted(signum: int, frame: object) -> None:
    """During start-up, only note the signal: an exception raised there can
    be lost or turned into another (CPython drops it inside compile(), numpy
    turns it into an ImportError, a destructor prints and drops it); the
    check after start-up raises it.  Afterwards, raise at once, so that a
    fill stops at its next check."""
    _caught.append(signum)
    if _armed[0]:
        raise _Interrupted(signum)


def _raise_caught() -> None:
    """Raise for a signal noted and not yet raised."""
    if _caught:
        raise _Interrupted(_caught[0])


class _Bar:
    """Progress in bytes: tqdm when installed, else a plain line."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        self.bar: Any = None
        self.enabled = enabled
        if not enabled:
            return
        try:
            from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
        except ImportError:
            return
        self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                        file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled:
            dt = max(time.perf_counter() - self.t0, 1e-9)
            sys.stderr.write(f"\r{self.done / 2**20:10.0f} / {self.total / 2**20:.0f} MiB "
                             f"{100 * self.done / max(self.total, 1):5.1f}% "
                             f"{self.done / dt / 2**30:6.2f} GiB/s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.done:
            sys.stderr.write("\n")


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    out = args.output
    if out.endswith(".safetensors"):
        return "safetensors"
    if out.endswith(".npy"):
        if args.spec:
            raise ValueError("a spec writes a .safetensors file or a directory, not one .npy")
        return "npy"
    if args.spec:
        return "dir"
    raise ValueError(f"cannot tell the format of {out!r}: name it .npy or .safetensors, "
                     "or pass --format")


def _single(args: argparse.Namespace) -> tuple[List[Tensor], Dict[str, Any]]:
    import numpy as np

    from . import _seeds
    from ._files import Tensor
    from ._inits import request, takes, unknown_options
    from ._spec import spec_entry

    args.init = args.init or "glorot_uniform"
    args.dtype = args.dtype or "float32"
    options: Dict[str, Any] = {}
    for flag, (name, _, _) in _INIT_FLAGS.items():
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    for dest in _AXIS_FLAGS.values():
        v = getattr(args, dest)
        if v is not None:
            options[dest] = v[0] if (dest != "fans" and len(v) == 1) else tuple(v)
    given = unknown_options(args.init, options)
    if given:
        flags = ", ".join("--" + g.replace("_", "-") for g in given)
        raise ValueError(f"{flags} {'does' if len(given) == 1 else 'do'} not apply to --init "
                         f"{args.init} (it takes: {takes(args.init)})")
    req = request(args.init, tuple(args.shape), args.dtype, options)
    seed = np.random.SeedSequence(args.seed) if args.seed is not None else np.random.SeedSequence()
    entry = spec_entry(args.init, req, options)
    return ([Tensor(args.name, req, _seeds.seed_key(seed))],
            {"seed": seed, "entries": {args.name: entry}})


def _metadata(seed: np.random.SeedSequence, entries: Dict[str, Any], extra: Dict[str, str],
              spec: bool) -> Dict[str, str]:
    from . import _core

    meta = {"format": "pt", "xavier.version": __version__,
            "xavier.stream_version": str(_core.STREAM_VERSION),
            "xavier.seed": str(seed.entropy),
            "xavier.seeding": "named_seed(seed, name)" if spec else "seed",
            "xavier.tensors": json.dumps(entries, separators=(",", ":"), default=list)}
    meta.update(extra)
    return meta


def cmd_generate(args: argparse.Namespace, argv: List[str]) -> int:
    """`xavier generate`."""
    from ._files import write_file
    from ._spec import load_spec

    if args.hf_config or args.torch_model:
        return _generate_model(args)
    for flag, dest in (("--hf-class", "hf_class"), ("--max-shard-size", "max_shard_size")):
        if getattr(args, dest) is not None:
            raise ValueError(f"{flag} applies to --hf-config and --torch-model only")
    fmt = _format_of(args)
    if args.spec:
        given = _init_options_given(args) + ["--dtype"] * (args.dtype is not None)
        if given:
            raise ValueError(f"{', '.join(given)}: with --spec, set these in the spec")
        with _reading_input():
            spec = load_spec(args.spec, args.seed)
        tensors, seed, entries, extra = spec.tensors, spec.seed, spec.entries, spec.metadata
    else:
        tensors, info = _single(args)
        seed, entries, extra = info["seed"], info["entries"], {}
    threads = _threads(args)
    total = sum(t.request.nbytes for t in tensors)
    show = not args.quiet and sys.stderr.isatty()
    bar = _Bar(total, show)
    t0 = time.perf_counter()
    _raise_caught()      # (the imports done)
    try:
        write_file(args.output, fmt, tensors, _metadata(seed, entries, extra, bool(args.spec)),
                   max(1, int(args.chunk_mb * 2**20)), threads, force=args.force,
                   progress=bar.update)
    finally:
        bar.close()
    dt = time.perf_counter() - t0
    if not args.quiet:
        what = f"{len(tensors)} tensors" if len(tensors) > 1 else "1 tensor"
        print(f"wrote {args.output}: {what}, {total / 2**20:.1f} MiB in {dt:.2f} s "
              f"({total / max(dt, 1e-9) / 2**30:.2f} GiB/s), seed {seed.entropy}", file=sys.stderr)
    return 0


def _init_options_given(args: argparse.Namespace) -> List[str]:
    """The flags of --init and its options that were given."""
    given = [f for f, (name, _, _) in _INIT_FLAGS.items() if getattr(args, name) is not None]
    given += [f for f, dest in _AXIS_FLAGS.items() if getattr(args, dest) is not None]
    return given + ["--init"] * (args.init is not None)


def _threads(args: argparse.Namespace) -> int:
    """--threads checked; its warnings printed as one line, not Python's two."""
    from . import _checks

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        threads = _checks.check_threads(args.threads)
    for w in caught:
        print(f"{PROG}: warning: {str(w.message).removeprefix('xavier: ')}", file=sys.stderr)
    return threads


def _generate_model(args: argparse.Namespace) -> int:
    """`xavier generate --hf-config / --torch-model`: a model's initial checkpoint."""
    given = _init_options_given(args) + ["--format"] * (args.format is not None)
    given += ["--name"] * (args.name != "weight")
    given += ["--hf-class"] * (args.hf_class is not None and not args.hf_config)
    if given:
        what = "--hf-config" if args.hf_config else "--torch-model"
        raise ValueError(f"{', '.join(given)}: not used with {what} (the model's own code "
                         "initializes it)")
    from .torch._checkpoint import DEFAULT_MAX_SHARD_SIZE, hf_factory, import_factory, parse_size

    limit = parse_size(args.max_shard_size or DEFAULT_MAX_SHARD_SIZE, "--max-shard-size")
    threads = _threads(args)
    with _reading_input():
        model = hf_factory(args.hf_config, args.hf_class) if args.hf_config \
            else import_factory(args.torch_model)

    def factory() -> Any:
        """The model, or a ValueError (bad input: one line, exit 2) for any
        error of the model's code on this configuration."""
        try:
            return model()
        except Exception as e:
            raise ValueError(f"building the model failed: {type(e).__name__}: {e}") from e
    import secrets

    import torch

    from .torch._checkpoint import write_checkpoint as save_init

    seed = args.seed if args.seed is not None else secrets.randbits(63)
    dtype = getattr(torch, args.dtype) if args.dtype else None
    bar: List[_Bar] = []
    t0 = time.perf_counter()
    _raise_caught()
    try:
        ckpt = save_init(factory, args.output, seed=seed, dtype=dtype, max_shard_size=limit,
                         threads=threads, force=args.force,
                         progress=lambda n: bar[0].update(n) if bar else None,
                         chunk_bytes=max(1, int(args.chunk_mb * 2**20)),
                         on_plan=lambda total: bar.append(
                             _Bar(total, not args.quiet and sys.stderr.isatty())))
    finally:
        if bar:
            bar[0].close()
    dt = time.perf_counter() - t0
    if not args.quiet:
        shards = sum(f.endswith(".safetensors") for f in ckpt.files)
        print(f"wrote {args.output}: {ckpt.tensors} tensors in {shards} safetensors "
              f"file{'s' * (shards != 1)}, {ckpt.total_size / 2**20:.1f} MiB in {dt:.2f} s "
              f"({ckpt.total_size / max(dt, 1e-9) / 2**30:.2f} GiB/s), seed {seed}",
              file=sys.stderr)
        if ckpt.fallbacks:
            print(f"{len(ckpt.fallbacks)} tensor{'s' * (len(ckpt.fallbacks) != 1)} computed by "
                  "torch on the CPU (not streamed):", file=sys.stderr)
            for name, why in ckpt.fallbacks.items():
                print(f"  {name}: {why}", file=sys.stderr)
    return 0


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def cmd_info(args: argparse.Namespace, argv: List[str]) -> int:
    """`xavier info`."""
    from ._reader import read_tensors, tensor_stats

    rows: List[Dict[str, Any]] = []
    with _reading_input():
        fmt, tensors, metadata = read_tensors(args.file)
        for t in tensors:
            stats = None if args.no_stats else tensor_stats(t)
            rows.append({"name": t.name, "dtype": t.dtype, "shape": list(t.shape),
                         **({} if stats is None else stats)})
    if args.json:
        json.dump({"file": args.file, "format": fmt, "metadata": metadata, "tensors": rows},
                  sys.stdout, indent=1)
        print()
        return 0
    total = sum(t.nbytes for t in tensors)
    print(f"{args.file}: {fmt}, {len(tensors)} tensor{'s' * (len(tensors) != 1)}, "
          f"{total / 2**20:.1f} MiB of data")
    for k, v in metadata.items():
        if k != "xavier.tensors":
            print(f"  {k}: {v}")
    cols = ["name", "dtype", "shape", "mean", "std", "min", "max"]
    table = [cols]
    for r in rows:
        cells = [_fmt(r[c]) if c in r else "-" for c in cols[3:]]
        if r.get("nonfinite"):
            cells[-1] += f" ({r['nonfinite']} non-finite)"
        shape = "x".join(str(d) for d in r["shape"]) or "()"
        table.append([str(r["name"]), str(r["dtype"]), shape, *cells])
    widths = [max(len(row[j]) for row in table) for j in range(len(cols))]
    for row in table:
        print("  ".join(c.ljust(w) if j < 3 else c.rjust(w)
                        for j, (c, w) in enumerate(zip(row, widths))).rstrip())
    return 0


def cmd_config(args: argparse.Namespace, argv: List[str]) -> int:
    """`xavier config`."""
    from . import _api

    _api.show_config()
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    old_handlers: Dict[int, Any] = {}
    args: Optional[argparse.Namespace] = None
    _caught.clear()
    _armed[0] = False
    try:
        # First of all, Ctrl-C, SIGTERM and SIGHUP (a closed terminal) get a
        # handler that ends a run: an output is discarded, a message says so,
        # exit 128 + signal.  Then NumPy and the rest load (build_parser).
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                old_handlers[signum] = signal.signal(signum, _raise_interrupted)
            except ValueError:  # not the main thread
                break
        parser = build_parser()
        args = parse_args(parser, argv)
        _armed[0] = True
        _raise_caught()
        if args.command is None:
            sys.stderr.write(_short_usage(parser))
            return 2
        command: Command = args.cmd
        return command(args, list(sys.argv[1:] if argv is None else argv)[1:])
    except BaseException as e:
        return _report(e, args)
    finally:
        _armed[0] = False
        for signum, handler in old_handlers.items():
            signal.signal(signum, handler)


def _report(e: BaseException, args: Optional[argparse.Namespace]) -> int:
    """The message and exit status of a run that `e` ended."""
    target = getattr(args, "output", None)
    if isinstance(e, (KeyboardInterrupt, _Interrupted)) or (_caught and isinstance(e, Exception)):
        # a signal, or what it became inside a library (an import that it
        # interrupted can fail with an ImportError of its own)
        signum = e.signum if isinstance(e, _Interrupted) else \
            _caught[0] if _caught else signal.SIGINT
        print(f"{PROG}: interrupted; {target} was not written" if target else
              f"{PROG}: interrupted", file=sys.stderr)
        return 128 + int(signum)
    if isinstance(e, FileExistsError):
        print(f"{PROG}: error: {_one_line(f'{e.filename}: {e.strerror}')}", file=sys.stderr)
        return 1
    if isinstance(e, OSError):
        tail = f"; {target} was not written" if target and args and args.command == "generate" \
            else ""
        print(f"{PROG}: error: {_one_line(_os_message(e) + tail)}", file=sys.stderr)
        return 1
    if isinstance(e, (ValueError, TypeError, ImportError, InputError)):
        print(f"{PROG}: error: {_one_line(str(e))}", file=sys.stderr)
        return 2
    if isinstance(e, RecursionError):
        print(f"{PROG}: error: an input is nested too deeply", file=sys.stderr)
        return 2
    raise e



def _one_line(message: str, limit: int = 500) -> str:
    """`message` on one line, its middle cut if it is long (a huge value's repr)."""
    message = " ".join(message.split())
    if len(message) <= limit:
        return message
    return message[: limit // 2] + f" ... ({len(message) - limit} characters) ... " \
        + message[-limit // 2:]


if __name__ == "__main__":
    sys.exit(main())
