"""Recording a model's initialization on the meta device.

:class:`Recorder` is a ``TorchFunctionMode`` under which a model is built on
the ``meta`` device (no memory) inside :func:`xavier.torch.fast_init`.  It
keeps, per storage, a :class:`Record` of what the build wrote there, so that
each tensor's values can later be produced chunk by chunk, exactly as the
same build on the CPU would have left them:

* xavier's fills (``torch.nn.init``'s samplers and ``Tensor.normal_`` /
  ``uniform_`` inside ``fast_init``) record their stream (kind, parameters,
  and the key drawn from torch's generator at that moment, as on the CPU);
* ``zero_``, ``fill_``, ``torch.nn.init.zeros_ / ones_ / constant_`` and the
  factories ``zeros`` / ``ones`` / ``full`` record a constant;
* elementwise in-place arithmetic with scalars (``mul_``, ``div_``, ``add_``,
  ``sub_``, ``clamp_``, ...) records the operation, replayed by torch on
  each chunk (these operations give the same bits whatever the chunking);

each on a contiguous region of the storage (the whole tensor, or a view
such as an embedding's padding row).  Anything else that writes a recorded
tensor, reads its values, or computes a new tensor from values (``copy_``,
``orthogonal_``, ``torch.arange``, ``torch.randn``, ...) *falls back*: the
tensors involved are computed on the CPU by torch, at that moment of the
build, so torch's generator advances as in the CPU build.  A fallback tensor
of the model is kept in an unnamed temporary file, not in memory, and its
reason is reported.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree
from torch.utils._device import _device_constructors

from .. import _core

# Factories that make their tensors on the meta device here (unless given a
# device): all of torch's but those that copy Python data or make sparse,
# nested or quantized tensors.
_META_FACTORIES = frozenset(
    f for f in _device_constructors()
    if f.__name__ not in ("tensor", "as_tensor", "asarray", "scalar_tensor", "nested_tensor",
                          "empty_quantized") and not f.__name__.startswith("sparse_"))
# Factories whose values are left undefined, or are one constant.
_EMPTY = frozenset({"empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided"})
_CONSTANT = {"zeros": 0, "zeros_like": 0, "new_zeros": 0, "ones": 1, "ones_like": 1,
             "new_ones": 1}
_FULL = frozenset({"full", "full_like", "new_full"})
# Factories that use their tensor arguments for the shape, dtype and device only.
_LIKE = frozenset({"rand_like", "randn_like", "randint_like"}) | _EMPTY | _FULL \
    | set(_CONSTANT)
# Elementwise in-place operations with scalar arguments whose results do not
# depend on where a chunk starts (correctly rounded arithmetic, clamps, signs).
_ELEMENTWISE = frozenset({"mul_", "div_", "add_", "sub_", "clamp_", "clamp_min_", "clamp_max_",
                          "neg_", "abs_", "sqrt_", "__imul__", "__itruediv__", "__iadd__",
                          "__isub__"})
# In-place methods that change no values (some change the tensor's shape or
# strides, which they do to the meta tensor itself).
_NO_WRITE = frozenset({"requires_grad_", "retain_grad", "share_memory_", "detach_",
                       "_set_grad_enabled", "__set__", "t_", "transpose_", "squeeze_",
                       "unsqueeze_", "swapdims_", "swapaxes_", "as_strided_"})
# torch.nn.init's constant fills (they call fill_ / zero_ under no_grad).
_INIT_CONSTANT: Dict[str, Callable[[Tuple[Any, ...], Dict[str, Any]], Any]] = {
    "zeros_": lambda a, k: 0, "ones_": lambda a, k: 1,
    "constant_": lambda a, k: _arg(a, k, 1, "val")}


def _arg(args: Tuple[Any, ...], kwargs: Dict[str, Any], i: int, name: str) -> Any:
    """Argument `i` of a call, given by position or as `name`."""
    return args[i] if len(args) > i else kwargs.get(name)

Scalar = Union[bool, int, float]
# Fallback tensors of at least this many bytes wait in a temporary file.
SPILL_BYTES = 2**20


@dataclass
class Step:
    """What the build wrote to the elements ``[lo, hi)`` of a storage: a
    stream (`kind`, `params`, `key`), a constant `value`, or the in-place
    elementwise method `op` with scalar `args`."""

    lo: int
    hi: int
    kind: Optional[int] = None
    params: Tuple[float, ...] = ()
    key: Optional[np.ndarray] = None
    value: Optional[Scalar] = None
    op: Optional[str] = None
    args: Tuple[Any, ...] = ()
    kwargs: Dict[str, Any] = field(default_factory=dict)

    def sets(self) -> bool:
        """Whether the step sets values (rather than changing them)."""
        return self.op is None

    def apply(self, out: torch.Tensor, start: int, threads: int) -> None:
        """This step on `out`, elements ``[start, start + out.numel())`` of the storage."""
        lo, hi = max(self.lo, start), min(self.hi, start + out.numel())
        if lo >= hi:
            return
        part = out[lo - start:hi - start]
        if self.key is not None:
            assert self.kind is not None
            bits = part.view(torch.int16) if part.dtype == torch.bfloat16 else part
            _core.fill(bits.numpy(), self.key, self.kind, self.params, lo - self.lo, threads)
        elif self.op is None:
            part.fill_(self.value)   # type: ignore[arg-type]
        else:
            getattr(part, self.op)(*self.args, **self.kwargs)


class Record:
    """The values of one storage: recorded steps, or, once computed by
    torch (a fallback), its whole contents."""

    def __init__(self, base: torch.Tensor, spill_dir: Optional[str]) -> None:
        self.base = base.detach()         # keeps the storage (so its address) alive
        self.dtype = base.dtype
        self.numel = base.untyped_storage().nbytes() // base.element_size()
        self.steps: List[Step] = []
        self.value: Optional[torch.Tensor] = None     # 1-d, on the CPU, in memory ...
        self.spilled: Optional[Tuple[Any, int]] = None    # ... or (file, byte offset)
        self.reason: Optional[str] = None
        self.spill_dir = spill_dir

    @property
    def computed(self) -> bool:
        return self.value is not None or self.spilled is not None

    def add(self, step: Step) -> None:
        if step.sets():   # what it overwrites no longer matters
            self.steps = [s for s in self.steps if not (step.lo <= s.lo and s.hi <= step.hi)]
        self.steps.append(step)

    def produce(self, out: torch.Tensor, start: int, threads: int) -> None:
        """Elements ``[start, start + out.numel())`` of the storage into `out`
        (1-d, contiguous, on the CPU, of the record's dtype)."""
        n = out.numel()
        if self.spilled is not None:
            f, offset = self.spilled
            size = out.element_size()
            view = memoryview(out.view(torch.uint8).numpy())  # type: ignore[arg-type, unused-ignore]
            got = os.preadv(f.fileno(), [view], offset + start * size)
            if got != view.nbytes:
                raise OSError(f"short read of a fallback tensor ({got} of {view.nbytes} bytes)")
            return
        if self.value is not None:
            out.copy_(self.value[start:start + n])
            return
        first = self.steps[0] if self.steps else None
        if first is None or not first.sets() or first.lo > start or first.hi < start + n:
            out.zero_()   # never written: the CPU build's memory would be undefined
        for step in self.steps:
            step.apply(out, start, threads)

    def materialize(self, reason: str, threads: int) -> torch.Tensor:
        """The whole storage on the CPU (computed from the steps, or read
        back from its file), from now on held as values."""
        if self.value is None:
            value = torch.empty(self.numel, dtype=self.dtype, device="cpu")
            self.produce(value, 0, threads)
            self.value, self.steps, self.spilled = value, [], None
        if self.reason is None:
            self.reason = reason
        return self.value

    def settle(self) -> None:
        """After torch computed it: a large record goes to its file."""
        if self.value is not None and self.value.nbytes >= SPILL_BYTES:
            self.spill()

    def spill(self) -> None:
        """Move the values to an unnamed temporary file (memory is then held
        only while torch computes with them)."""
        if self.value is None:
            return
        f = tempfile.TemporaryFile(dir=self.spill_dir)
        data = self.value.view(torch.uint8).numpy()
        view = memoryview(data)  # type: ignore[arg-type, unused-ignore]
        while len(view):
            view = view[os.write(f.fileno(), view):]
        self.spilled = (f, 0)
        self.value = None


def storage_view(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The view of CPU tensor `value`'s storage with the dtype, offset, shape
    and strides of meta tensor `like` (which stands for it)."""
    view = torch.empty(0, dtype=like.dtype, device="cpu")
    view.set_(value.untyped_storage(), like.storage_offset(), like.shape, like.stride())
    return view


def _storage_key(t: torch.Tensor) -> int:
    return int(t.untyped_storage()._cdata)


def _leaves(tree: Any) -> List[Any]:
    return list(pytree.tree_leaves(tree))


def _is_meta(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_meta


def _scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float, str)) or x is None


def _number(x: Any) -> bool:
    return isinstance(x, (bool, int, float))


def _contiguous_region(t: torch.Tensor, r: Record) -> Optional[Tuple[int, int]]:
    """[lo, hi) of `t` in its storage's elements, if `t` covers exactly that."""
    if t.dtype != r.dtype or not t.is_contiguous():
        return None
    lo = int(t.storage_offset())
    return lo, lo + int(t.numel())


def _func_name(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__name__", func))


def _writes(func: Callable[..., Any], name: str, kwargs: Dict[str, Any]) -> bool:
    """Whether `func` may write the values of a tensor argument."""
    if name in _NO_WRITE:
        return False
    if kwargs.get("out") is not None or name == "__setitem__":
        return True
    if name.startswith("__i") and name.endswith("__"):
        return True
    return name.endswith("_") and not name.startswith("__")


class Recorder(TorchFunctionMode):
    """Records what a build writes to meta tensors (see the module's notes).

    Active while a model is built under ``torch.device("meta")`` and
    :func:`xavier.torch.fast_init`; xavier's samplers call :meth:`fill`."""

    def __init__(self, threads: int, spill_dir: Optional[str] = None) -> None:
        super().__init__()
        self.threads = threads
        self.spill_dir = spill_dir
        self.records: Dict[int, Record] = {}

    # ---- records ----------------------------------------------------------------

    def record(self, t: torch.Tensor, new: bool = False) -> Record:
        """The record of `t`'s storage (a fresh one with `new`)."""
        with torch._C.DisableTorchFunction():
            key = _storage_key(t)
            r = self.records.get(key)
            if r is None or new:
                r = self.records[key] = Record(t, self.spill_dir)
            return r

    def lookup(self, t: torch.Tensor) -> Optional[Record]:
        """The record of meta tensor `t`'s storage, if the build made it."""
        with torch._C.DisableTorchFunction():
            return self.records.get(_storage_key(t))

    def stands_for(self, t: torch.Tensor) -> bool:
        """Whether `t` is one of the recorder's meta tensors (standing for a
        CPU tensor of the build).  A meta tensor that the build itself put on
        the meta device (``device="meta"``, a ``torch.device("meta")`` block)
        is not: it holds no values and draws nothing, as in the CPU build."""
        with torch._C.DisableTorchFunction():
            return t.is_meta and _storage_key(t) in self.records

    def fill(self, t: torch.Tensor, kind: int, params: Tuple[float, ...], key: np.ndarray,
             write: Callable[[torch.Tensor], None]) -> None:
        """xavier's sampler on the meta tensor `t`: a recorded stream where
        `t` is a contiguous region, else `write` on its CPU values."""
        with torch._C.DisableTorchFunction():
            r = self.record(t)
            region = None if r.computed else _contiguous_region(t, r)
            if region is None:
                write(self._cpu(t, "a fill of a non-contiguous view"))
                r.settle()
                return
            if region[1] > region[0]:
                r.add(Step(region[0], region[1], kind=kind, params=params, key=key.copy()))

    def call_on_cpu(self, func: Callable[..., Any], name: str, args: Tuple[Any, ...],
                    kwargs: Dict[str, Any]) -> Any:
        """`func` (a torch function that would skip meta tensors) on the CPU
        tensors that its meta arguments stand for, as in the CPU build."""
        with torch._C.DisableTorchFunction():
            return self._fallback(func, name, args, kwargs)

    def _cpu(self, t: torch.Tensor, reason: str) -> torch.Tensor:
        """The CPU tensor that meta tensor `t` stands for (its storage computed)."""
        return storage_view(self.record(t).materialize(reason, self.threads), t)

    # ---- the mode ---------------------------------------------------------------

    def __torch_function__(self, func: Callable[..., Any], types: Sequence[type],
                           args: Tuple[Any, ...] = (), kwargs: Optional[Dict[str, Any]] = None
                           ) -> Any:
        kwargs = kwargs or {}
        leaves = [x for x in _leaves((args, kwargs)) if _is_meta(x)]
        metas = [x for x in leaves if _storage_key(x) in self.records]
        # the build's own meta tensors (device="meta", a torch.device("meta")
        # block) are torch's, as on the CPU: a factory like one of them stays
        # on the meta device and is not recorded
        redirected = func in _META_FACTORIES and kwargs.get("device") is None \
            and len(metas) == len(leaves)
        if redirected:
            kwargs = dict(kwargs, device="meta")
        name = _func_name(func)
        if name in _LIKE or not metas:
            out = func(*args, **kwargs)
            if (redirected or metas) and any(_is_meta(o) for o in _leaves(out)):
                self._created(func, name, args, kwargs, out)
            return out
        first = _arg(args, kwargs, 0, "tensor")
        if name in _INIT_CONSTANT and _is_meta(first):
            value = _INIT_CONSTANT[name](args, kwargs)
            if self._constant(first, value, func, args, kwargs):
                return first
        if not args:
            return self._fallback(func, name, args, kwargs) if _writes(func, name, kwargs) \
                else func(*args, **kwargs)
        if name in ("zero_", "fill_") and _is_meta(args[0]):
            value = 0 if name == "zero_" else _arg(args, kwargs, 1, "value")
            if isinstance(value, torch.Tensor) and value.dim() == 0 and not value.is_meta:
                value = value.item()
            if self._constant(args[0], value, func, args, kwargs):
                return args[0]
        if name in _ELEMENTWISE and _is_meta(args[0]) \
                and all(_scalar(x) for x in _leaves((args[1:], kwargs))):
            t = args[0]
            r = self.record(t)
            region = None if r.computed else _contiguous_region(t, r)
            if region is not None:
                out = func(*args, **kwargs)     # torch's checks of the arguments
                op = {"__imul__": "mul_", "__itruediv__": "div_", "__iadd__": "add_",
                      "__isub__": "sub_"}.get(name, name)
                if region[1] > region[0]:
                    r.add(Step(region[0], region[1], op=op, args=tuple(args[1:]),
                               kwargs=dict(kwargs)))
                return out
        if _writes(func, name, kwargs):
            return self._fallback(func, name, args, kwargs)
        try:
            out = func(*args, **kwargs)
        except (NotImplementedError, RuntimeError):   # needs values (.item(), .tolist())
            return self._fallback(func, name, args, kwargs)
        known = {_storage_key(m) for m in metas}
        if any(_is_meta(o) and _storage_key(o) not in known for o in _leaves(out)):
            self._computed(func, name, args, kwargs, out, known)   # computed from values
        return out

    def _constant(self, t: torch.Tensor, value: Any, func: Optional[Callable[..., Any]] = None,
                  args: Tuple[Any, ...] = (), kwargs: Optional[Dict[str, Any]] = None) -> bool:
        """Record `value` over `t` if it is a contiguous region; False if not."""
        r = self.record(t)
        region = None if r.computed else _contiguous_region(t, r)
        if region is None or not _number(value):
            return False
        if func is not None:
            func(*args, **(kwargs or {}))    # torch's checks (a value out of range)
        if region[1] > region[0]:
            r.add(Step(region[0], region[1], value=value))
        return True

    def _created(self, func: Callable[..., Any], name: str, args: Tuple[Any, ...],
                 kwargs: Dict[str, Any], out: Any) -> None:
        """Meta tensors made by a factory: records of their new storages."""
        if name in _EMPTY or name in _CONSTANT or name in _FULL:
            for t in (o for o in _leaves(out) if _is_meta(o)):
                r = self.record(t, new=True)
                if name in _EMPTY:
                    continue
                value: Any = _CONSTANT.get(name)
                if value is None:
                    fill = args[1] if len(args) > 1 else kwargs.get("fill_value")
                    value = fill.item() if isinstance(fill, torch.Tensor) else fill
                if not _number(value):
                    self._computed(func, name, args, kwargs, out)
                    return
                if r.numel:
                    r.add(Step(0, r.numel, value=value))
            return
        self._computed(func, name, args, kwargs, out)

    def _computed(self, func: Callable[..., Any], name: str, args: Tuple[Any, ...],
                  kwargs: Dict[str, Any], out: Any, views: Optional[Set[int]] = None
                  ) -> None:
        """Meta tensors in `out` computed from values: their values from
        running `func` on the CPU (torch's generator advancing as on the
        CPU).  Outputs on the storages `views` (views of arguments) keep
        their records."""
        cpu_out = self._run_on_cpu(func, name, args, kwargs, f"read by torch ({name})")
        for m, c in zip(_leaves(out), _leaves(cpu_out)):
            if _is_meta(m) and isinstance(c, torch.Tensor) \
                    and (views is None or _storage_key(m) not in views):
                self._attach(m, c, name)

    def _attach(self, m: torch.Tensor, c: torch.Tensor, name: str) -> None:
        """Meta tensor `m` (a new storage) holds the values of CPU tensor `c`."""
        r = self.record(m, new=True)
        value = torch.empty(r.numel, dtype=r.dtype, device="cpu")
        storage_view(value, m).copy_(c)
        r.value, r.reason = value, f"computed by torch ({name})"
        r.settle()

    def _run_on_cpu(self, func: Callable[..., Any], name: str, args: Tuple[Any, ...],
                    kwargs: Dict[str, Any], reason: str) -> Any:
        """`func` on the CPU tensors that the meta arguments stand for."""
        def to_cpu(x: Any) -> Any:
            if _is_meta(x):
                if name in _LIKE:   # only the shape and dtype count
                    return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="cpu")
                return self._cpu(x, reason)
            if isinstance(x, torch.device) and x.type == "meta" or x == "meta":
                return torch.device("cpu")
            return x

        cpu_args, cpu_kwargs = pytree.tree_map(to_cpu, (args, kwargs))
        with torch.device("cpu"):
            return func(*cpu_args, **cpu_kwargs)

    def _fallback(self, func: Callable[..., Any], name: str, args: Tuple[Any, ...],
                  kwargs: Dict[str, Any]) -> Any:
        """`func` writes or reads recorded tensors: run it on their CPU values."""
        metas = [x for x in _leaves((args, kwargs)) if _is_meta(x)]
        verb = "written" if _writes(func, name, kwargs) else "read"
        cpu_out = self._run_on_cpu(func, name, args, kwargs, f"{verb} by torch ({name})")

        def back(c: Any) -> Any:
            # an argument returned (in-place ops return self) stands for itself;
            # anything else is what the CPU build gets (.item()'s number, a
            # tensor moved to the CPU)
            if isinstance(c, torch.Tensor):
                for m in metas:
                    if self._same_view(m, c):
                        return m
            return c

        result = pytree.tree_map(back, cpu_out)
        for m in metas:
            self.record(m).settle()
        return result

    def _same_view(self, m: torch.Tensor, c: torch.Tensor) -> bool:
        """Whether CPU tensor `c` is the view that meta tensor `m` stands for."""
        r = self.records.get(_storage_key(m))
        if r is None or r.value is None:
            return False
        return (c.untyped_storage().data_ptr() == r.value.untyped_storage().data_ptr()
                and c.storage_offset() == m.storage_offset() and c.shape == m.shape
                and c.stride() == m.stride() and c.dtype == m.dtype)
