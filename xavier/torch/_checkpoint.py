"""A model's initial checkpoint, streamed to disk from its own definition.

:func:`save_init` builds the model under :class:`~xavier._record.Recorder`
(on the meta device, inside ``fast_init``, after ``torch.manual_seed``),
then writes every tensor of its state dict, chunk by chunk, into the layout
that Hugging Face's ``save_pretrained`` writes and ``from_pretrained`` reads:
``model.safetensors``, or shards ``model-0000k-of-0000n.safetensors`` with
``model.safetensors.index.json``, plus the configuration files of a
Hugging Face model.  The directory appears whole (a hidden staging directory
renamed into place) or not at all.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union, cast

import numpy as np

import torch

from .. import _checks, _core
from .._files import (Progress, StagedFile, Streamer, _rename_dir, check_existing,
                     check_free_space, check_header_size, check_parent, partial_name,
                     safetensors_prefix, sync_dir, write_bytes)
from .._version import __version__
from ._fast_init import fast_init
from ._record import Record, Recorder, storage_view
from ._state import _local

# torch dtypes (those this torch has) and their names in safetensors headers
SAFETENSORS_DTYPES = {
    getattr(torch, name): code for name, code in [
        ("float64", "F64"), ("float32", "F32"), ("float16", "F16"), ("bfloat16", "BF16"),
        ("int64", "I64"), ("int32", "I32"), ("int16", "I16"), ("int8", "I8"), ("uint8", "U8"),
        ("bool", "BOOL"), ("uint16", "U16"), ("uint32", "U32"), ("uint64", "U64"),
        ("float8_e4m3fn", "F8_E4M3"), ("float8_e5m2", "F8_E5M2")]
    if hasattr(torch, name)}
DEFAULT_MAX_SHARD_SIZE = "50GB"    # transformers 5's save_pretrained default
_UNITS = {"TB": 10**12, "GB": 10**9, "MB": 10**6, "KB": 10**3,
          "TIB": 2**40, "GIB": 2**30, "MIB": 2**20, "KIB": 2**10, "B": 1}
WEIGHTS_NAME = "model.safetensors"
INDEX_NAME = "model.safetensors.index.json"


def parse_size(size: Union[int, str], name: str = "max_shard_size") -> int:
    """Bytes of `size`: an integer, or a string with a unit as Hugging Face
    writes them ("50GB", "500MB"; also "2GiB")."""
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise TypeError(f"{name} must be an int or a string such as '5GB', got "
                        f"{type(size).__name__}")
    if isinstance(size, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]+)\s*", size)
        if m is None or m.group(2).upper() not in _UNITS:
            raise ValueError(f"{name} must be a number of bytes or a size such as '5GB' or "
                             f"'500MB' (units TB, GB, MB, KB, TiB, GiB, MiB, KiB, B), got {size!r}")
        value = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    else:
        value = size
    if value < 1:
        raise ValueError(f"{name} must be at least 1 byte, got {size!r}")
    return value


def split_shards(sizes: List[Tuple[str, int]], max_shard_size: int) -> List[List[str]]:
    """Names per shard, cut in order as huggingface_hub's
    ``split_torch_state_dict_into_shards`` cuts them: a tensor that does not
    fit in the current shard starts the next one; one larger than the limit
    gets a shard of its own."""
    shards: List[List[str]] = []
    current: List[str] = []
    current_size = 0
    for name, size in sizes:
        if size > max_shard_size:
            shards.append([name])
            continue
        if current_size + size > max_shard_size:
            shards.append(current)
            current, current_size = [], 0
        current.append(name)
        current_size += size
    if current:
        shards.append(current)
    return shards or [[]]


def shard_names(count: int) -> List[str]:
    if count == 1:
        return [WEIGHTS_NAME]
    return [f"model-{k:05d}-of-{count:05d}.safetensors" for k in range(1, count + 1)]


# ---- the tensors ------------------------------------------------------------------------

class Source:
    """One tensor of the checkpoint: its name, dtype and shape in the file,
    and where its values come from (a record of the build, or a real tensor)."""

    def __init__(self, name: str, tensor: torch.Tensor, record: Optional[Record],
                 dtype: torch.dtype, threads: int) -> None:
        self.name = name
        self.dtype = dtype
        self.shape = tuple(tensor.shape)
        self.size = tensor.numel()
        self.itemsize = torch.empty(0, dtype=dtype).element_size()
        self.nbytes = self.size * self.itemsize
        self.record = record
        self.threads = threads
        self.offset = 0
        self.values: Optional[torch.Tensor] = None   # 1-d, when not produced from a record
        self.view: Optional[torch.Tensor] = None     # a meta view gathered when written
        if record is None:
            self.values = tensor.detach().reshape(-1)
        elif not tensor.is_contiguous() or tensor.dtype != record.dtype:
            self.view = tensor
        else:
            self.offset = int(tensor.storage_offset())
        self.source_dtype = tensor.dtype

    @property
    def fallback(self) -> Optional[str]:
        """Why torch computed this tensor (None: xavier streams it)."""
        if self.record is None:
            return "made on the CPU by the model's code"
        return self.record.reason

    def fill_range(self, buf: np.ndarray, start: int, threads: int) -> None:
        """Elements ``[start, start + n)`` into the bytes `buf`, as this dtype."""
        n = buf.size // self.itemsize
        if n == 0:
            return
        out = torch.from_numpy(buf).view(self.dtype)
        if self.view is not None and self.values is None:
            assert self.record is not None
            value = self.record.materialize("stored as a non-contiguous view", threads)
            self.values = storage_view(value, self.view).contiguous().reshape(-1)
        if self.values is not None:
            out.copy_(self.values[start:start + n])
            if self.view is not None and start + n == self.size:   # written: let go
                assert self.record is not None
                self.values = None
                self.record.settle()
            return
        assert self.record is not None
        if self.dtype == self.source_dtype:
            self.record.produce(out, self.offset + start, threads)
            return
        scratch = torch.empty(n, dtype=self.source_dtype)
        self.record.produce(scratch, self.offset + start, threads)
        out.copy_(scratch)


def shard_header(sources: List[Source], metadata: Dict[str, str]) -> bytes:
    """The safetensors prefix of a shard holding `sources` in this order."""
    prefix = safetensors_prefix([(s.name, SAFETENSORS_DTYPES[s.dtype], s.shape, s.nbytes)
                                 for s in sources], metadata)
    check_header_size(prefix)
    return prefix


# ---- building -----------------------------------------------------------------------------

_BUILD_LOCK = threading.Lock()


def record_build(factory: Callable[[], Any], seed: int, threads: int,
                 spill_dir: Optional[str]) -> Tuple[torch.nn.Module, Recorder]:
    """The model that `factory` builds, on the meta device, with the record
    of its initialization: as ``torch.manual_seed(seed)`` and the build under
    ``fast_init`` on the CPU.  torch's generator is left as it was.

    Builds run one at a time (`_BUILD_LOCK`): each seeds and draws from
    torch's one default generator, so two at once in threads would take each
    other's draws.  Writing the files runs in parallel."""
    recorder = Recorder(threads, spill_dir)
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with fast_init():
            saved = _local.recorder
            _local.recorder = recorder
            try:
                with recorder:
                    model = factory()
            finally:
                _local.recorder = saved
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must build a torch.nn.Module, got {type(model).__name__}")
    return model, recorder


def _hf_model(model: torch.nn.Module) -> bool:
    """Whether `model` is a transformers model (transformers is not imported
    for this: a model of its classes has loaded it)."""
    import sys

    transformers = sys.modules.get("transformers")
    return transformers is not None and isinstance(model, transformers.PreTrainedModel)


def _state_dict(model: torch.nn.Module, hf: bool) -> Dict[str, torch.Tensor]:
    """The tensors to save by name: for Hugging Face models what
    ``save_pretrained`` saves (tied weights once, ignored keys left out)."""
    state = model.state_dict(keep_vars=True)
    if not hf:
        return state
    from transformers.modeling_utils import remove_tied_weights_from_state_dict

    for key in getattr(model, "_keys_to_ignore_on_save", None) or ():
        state.pop(key, None)
    kept = remove_tied_weights_from_state_dict(dict(state), model)  # type: ignore[arg-type]
    return {k: state[k] for k in kept}


@dataclass
class Checkpoint:
    """What :func:`save_init` wrote."""

    path: str
    files: List[str]
    tensors: int
    total_size: int
    seed: int
    fallbacks: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    record_seconds: float = 0.0


def write_checkpoint(model: Callable[[], Any], path: Union[str, os.PathLike[str]], *, seed: int,
                     dtype: Optional[torch.dtype] = None,
                     max_shard_size: Union[int, str] = DEFAULT_MAX_SHARD_SIZE,
                     threads: Optional[int] = None, force: bool = False,
                     progress: Optional[Progress] = None, chunk_bytes: int = 64 * 2**20,
                     metadata: Optional[Dict[str, str]] = None,
                     on_plan: Optional[Callable[[int], None]] = None) -> Checkpoint:
    """:func:`save_init`, with the file metadata `metadata` and `on_plan`,
    called with the bytes of tensor data once they are known (before
    writing)."""
    if isinstance(model, torch.nn.Module) or not callable(model):
        raise TypeError("model must be a function that builds the model (for example "
                        "lambda: LlamaForCausalLM(config)), so that its initialization can "
                        f"be recorded; got {type(model).__name__}")
    seed = _check_seed(seed)
    if dtype is not None and (not isinstance(dtype, torch.dtype) or not dtype.is_floating_point
                              or dtype not in SAFETENSORS_DTYPES):
        raise ValueError(f"dtype must be a floating torch dtype that safetensors stores, got "
                         f"{dtype!r}")
    limit = parse_size(max_shard_size)
    nthreads = _checks.check_threads(threads)
    if chunk_bytes < 1:
        raise ValueError("chunk_bytes must be >= 1")
    target = os.path.abspath(os.fspath(path))
    parent, base = os.path.split(target)
    check_parent(os.fspath(path))
    check_existing(os.fspath(path), True, force)

    t0 = time.perf_counter()
    built, recorder = record_build(model, seed, nthreads, parent)
    recorded = time.perf_counter() - t0
    hf = _hf_model(built)
    state = _state_dict(built, hf)
    sources = []
    for name, t in state.items():
        if name == "__metadata__":   # safetensors' one reserved key
            raise ValueError("the model has a tensor named '__metadata__', the key safetensors "
                             "reserves for its metadata: rename it")
        if not isinstance(t, torch.Tensor):
            # get_extra_state's values: safetensors stores tensors only, and
            # dropping them would make load_state_dict(strict=True) fail
            raise ValueError(f"state-dict entry {name} is a {type(t).__name__}, not a tensor "
                             "(a module's get_extra_state): safetensors stores tensors only")
        out_dtype = dtype if dtype is not None and t.is_floating_point() else t.dtype
        if out_dtype not in SAFETENSORS_DTYPES:
            raise ValueError(f"tensor {name} has dtype {out_dtype}, which safetensors does not "
                             "store")
        record = recorder.lookup(t) if t.is_meta else None
        if t.is_meta and record is None:
            raise ValueError(f"the values of tensor {name} were not recorded: it was made on "
                             "the meta device outside the build")
        if not t.is_meta and t.device.type != "cpu":
            t = t.cpu()
        sources.append(Source(name, t, record, out_dtype, nthreads))
    by_name = {s.name: s for s in sources}
    shards = split_shards([(s.name, s.nbytes) for s in sources], limit)
    names = shard_names(len(shards))
    file_meta = {"format": "pt", "xavier.version": __version__,
                 "xavier.stream_version": str(_core.STREAM_VERSION),
                 "xavier.torch_seed": str(seed), **(metadata or {})}
    ordered = [sorted((by_name[n] for n in shard), key=lambda s: -s.itemsize)
               for shard in shards]
    headers = [shard_header(group, file_meta) for group in ordered]
    total = sum(s.nbytes for s in sources)
    check_free_space(parent, total + sum(len(h) for h in headers) + 2**20)
    if on_plan is not None:
        on_plan(total)

    stage = os.path.join(parent, partial_name(base))
    os.mkdir(stage)
    try:
        streamer = Streamer(chunk_bytes, nthreads, progress)
        for name, group, header in zip(names, ordered, headers):
            out = StagedFile(stage, name)
            try:
                streamer.write(out, group, [header])
                out.link(os.path.join(stage, name), replace=False)
            finally:
                out.discard()
        if len(shards) > 1:
            index = {"metadata": {"total_parameters": _parameter_count(built),
                                  "total_size": total},
                     "weight_map": {s.name: n for n, group in zip(names, ordered)
                                    for s in group}}
            write_bytes(os.path.join(stage, INDEX_NAME),
                        (json.dumps(index, indent=2, sort_keys=True) + "\n").encode())
        if hf:
            _save_hf_configs(built, stage, dtype)
        sync_dir(stage)
        _rename_dir(stage, target, force)
        stage = ""
        sync_dir(parent)
    finally:
        if stage:
            shutil.rmtree(stage, ignore_errors=True)
    return Checkpoint(path=target, files=sorted(os.listdir(target)), tensors=len(sources),
                      total_size=total, seed=seed,
                      fallbacks={s.name: s.fallback for s in sources if s.fallback},
                      seconds=time.perf_counter() - t0, record_seconds=recorded)


def save_init(model: Callable[[], torch.nn.Module], path: Union[str, os.PathLike[str]], *,
              seed: int, dtype: Optional[torch.dtype] = None,
              max_shard_size: Union[int, str] = "50GB", threads: Optional[int] = None,
              force: bool = False, progress: Optional[Callable[[int], None]] = None,
              chunk_bytes: int = 64 * 2**20) -> Checkpoint:
    """Write the initial checkpoint of the model that `model()` builds,
    without building it in memory.

    The model is built on the ``meta`` device (no memory) inside a recorder
    and :func:`fast_init`; what its own initialization code does to each
    parameter and persistent buffer is recorded, then streamed to disk in
    chunks, in parallel: the values are, bit for bit, those of
    ``torch.manual_seed(seed)`` followed by ``with fast_init(): model()`` on
    the CPU.  What the recorder cannot stream (``orthogonal_``, a
    ``copy_`` from another tensor, buffers computed by arbitrary code) is
    computed by torch on the CPU, one tensor at a time, kept in a temporary
    file, and listed in the result's ``fallbacks``.

    The directory `path` gets Hugging Face's layout: ``model.safetensors``,
    or shards ``model-0000k-of-0000n.safetensors`` with
    ``model.safetensors.index.json``; for a ``transformers`` model also its
    ``config.json`` (and ``generation_config.json``), tied weights stored
    once, as ``save_pretrained`` writes them, so ``from_pretrained(path)``
    loads it.  For other modules, every state-dict entry is stored (tied
    ones twice), so ``load_state_dict(..., strict=True)`` takes the loaded
    tensors.  The directory appears complete or not at all.

    Parameters
    ----------
    model : callable
        Builds the model, e.g. ``lambda: LlamaForCausalLM(config)``.
    path : str or path
        The output directory (must not exist, unless `force`).
    seed : int
        ``torch.manual_seed``'s seed for the build; torch's generator is
        left as it was.
    dtype : torch.dtype, optional
        Store floating tensors in this dtype (cast, as ``model.to(dtype)``).
    max_shard_size : int or str
        Shard size limit, e.g. ``"5GB"`` (default ``"50GB"``, as
        transformers 5).
    threads : int, optional
        Sampler threads.
    force : bool
        Replace an existing directory (atomically).
    progress : callable, optional
        Called with the number of bytes written, as they are.
    chunk_bytes : int
        Generation chunk; peak memory holds about two.

    Returns
    -------
    Checkpoint
        ``path``, ``files``, ``tensors``, ``total_size`` (bytes of tensor
        data), ``seed``, ``fallbacks`` (tensor name: why torch computed it)
        ``seconds`` (of which ``record_seconds`` building the model).

    Examples
    --------
    >>> import tempfile, os, torch, xavier.torch
    >>> out = os.path.join(tempfile.mkdtemp(), "mlp")
    >>> ckpt = xavier.torch.save_init(lambda: torch.nn.Sequential(
    ...     torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)), out, seed=0)
    >>> ckpt.files, ckpt.tensors
    (['model.safetensors'], 4)
    """
    return write_checkpoint(model, path, seed=seed, dtype=dtype, max_shard_size=max_shard_size,
                threads=threads, force=force, progress=progress, chunk_bytes=chunk_bytes)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer (what torch.manual_seed takes), got "
                        f"{type(seed).__name__}")
    value = int(seed)
    if not 0 <= value < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), as torch.manual_seed takes it; got {value}")
    return value


def _parameter_count(model: torch.nn.Module) -> int:
    count = getattr(model, "num_parameters", None)
    if callable(count):
        return int(count())
    return sum(math.prod(p.shape) for p in model.parameters())


def _save_hf_configs(model: Any, directory: str, dtype: Optional[torch.dtype]) -> None:
    """config.json (and generation_config.json) as save_pretrained writes them."""
    config = model.config
    saved = getattr(config, "dtype", None), getattr(config, "architectures", None)
    stored = dtype if dtype is not None else model.dtype
    try:
        config.dtype = str(stored).split(".")[1]
        config.architectures = [type(model).__name__]
        config.save_pretrained(directory)
        if model.can_generate() and getattr(model, "generation_config", None) is not None:
            model.generation_config.save_pretrained(directory)
    finally:
        config.dtype, config.architectures = saved


# ---- models named on the command line ------------------------------------------------------

def hf_factory(config_path: str, class_name: Optional[str] = None) -> Callable[[], Any]:
    """A function building the transformers model of `config_path` (a
    config.json, or a directory holding one): ``cls(config)`` with `cls` the
    transformers class `class_name`, or the config's ``architectures[0]``."""
    try:
        import transformers
    except ImportError:
        raise ImportError("--hf-config needs transformers: pip install "
                          "'xavier-init[hf]'") from None
    if not os.path.exists(config_path):
        raise FileNotFoundError(2, "no such file", config_path)
    try:
        config = transformers.AutoConfig.from_pretrained(config_path)
    except OSError:
        raise
    except Exception as e:   # transformers' validation errors are of many types
        raise ValueError(f"{config_path}: {type(e).__name__}: {e}") from None
    name = class_name
    if name is None:
        names = getattr(config, "architectures", None) or []
        if not names:
            raise ValueError(f"{config_path} names no architectures: pass --hf-class, e.g. "
                             f"{type(config).__name__.replace('Config', '')}ForCausalLM")
        name = names[0]
    cls = getattr(transformers, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel)):
        raise ValueError(f"{name!r} is not a transformers model class (e.g. "
                         "LlamaForCausalLM, BertForMaskedLM)")
    return lambda: cls(config)


def import_factory(spec: str) -> Callable[[], Any]:
    """The function `spec` names: ``module:callable`` (the module imported
    as ``python -m`` would, from the working directory first) or
    ``path/file.py:callable``; dots in `callable` reach attributes."""
    import importlib
    import importlib.util
    import sys

    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--torch-model must be MODULE:CALLABLE or FILE.py:CALLABLE, got {spec!r}")
    if module_name.endswith(".py") or os.sep in module_name:
        if not os.path.isfile(module_name):
            raise FileNotFoundError(2, "no such file", module_name)
        name = "_xavier_model_" + re.sub(r"\W", "_", os.path.basename(module_name)[:-3])
        loader_spec = importlib.util.spec_from_file_location(name, module_name)
        if loader_spec is None or loader_spec.loader is None:
            raise ValueError(f"cannot load {module_name} as a Python module")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        loader_spec.loader.exec_module(module)
    else:
        cwd = os.getcwd()
        added = cwd not in sys.path
        if added:
            sys.path.insert(0, cwd)
        try:
            module = importlib.import_module(module_name)
        finally:
            if added:
                sys.path.remove(cwd)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{spec} is not callable")
    return cast(Callable[[], Any], obj)
