"""``fast_init``: torch's init functions, and the methods ``Tensor.normal_``
and ``uniform_``, lead to xavier's inside the block (their code swapped for
a trampoline to a dispatcher)."""
from __future__ import annotations

import contextlib
import functools
import threading
import types
from typing import Any, Callable, Dict, Iterator, List, Optional, cast

import torch

from .. import _checks
from ._dropins import (kaiming_normal_, kaiming_uniform_, normal_, trunc_normal_, uniform_,
                       xavier_normal_, xavier_uniform_)
from ._fill import _ours
from ._originals import _FUNCTIONS, _TORCH, _TORCH_ONLY
from ._state import _local

def _torch_only(name: str) -> Callable[..., torch.Tensor]:
    """torch.nn.init.<name> inside fast_init: torch's function (on a meta
    tensor of a recorded build, run on the CPU tensor it stands for)."""
    original = _TORCH[name]

    def run(tensor: torch.Tensor, *args: Any, threads: Optional[int] = None,
            **kwargs: Any) -> torch.Tensor:
        recorder = _local.recorder
        if recorder is not None and isinstance(tensor, torch.Tensor) and tensor.is_meta:
            result: torch.Tensor = recorder.call_on_cpu(original, name, (tensor, *args), kwargs)
            return result
        return original(tensor, *args, **kwargs)

    return run


_OURS: Dict[str, Callable[..., torch.Tensor]] = {
    "uniform_": uniform_, "normal_": normal_, "trunc_normal_": trunc_normal_,
    "xavier_uniform_": xavier_uniform_, "xavier_normal_": xavier_normal_,
    "kaiming_uniform_": kaiming_uniform_, "kaiming_normal_": kaiming_normal_,
    **{name: _torch_only(name) for name in _TORCH_ONLY}}


# ---- fast_init ---------------------------------------------------------------------------

_patch_lock = threading.Lock()
_patch_users = 0
_swapped: List[str] = []   # names of the functions whose code is the trampoline now


def _dispatcher(name: str) -> Callable[..., torch.Tensor]:
    """Where torch.nn.init.<name> leads inside fast_init: xavier's function in
    a thread inside fast_init(), torch's everywhere else."""
    original = _TORCH[name]
    ours = _OURS[name]

    @functools.wraps(original)
    def dispatch(*args: Any, **kwargs: Any) -> torch.Tensor:
        if _local.depth > 0:
            if _local.threads is not None:
                kwargs.setdefault("threads", _local.threads)
            return ours(*args, **kwargs)
        return original(*args, **kwargs)

    return dispatch


_DISPATCH = {name: _dispatcher(name) for name in _FUNCTIONS}

# The trampolines: code that calls _DISPATCH[name], found under _HOOK in the
# globals of torch's function (torch.nn.init's, for the time of the block),
# since a function's code reaches nothing else without a closure.
_HOOK = "__xavier_fast_init__"


def _trampoline(name: str) -> types.CodeType:
    source = f"def {name}(*args, **kwargs):\n    return {_HOOK}[{name!r}](*args, **kwargs)\n"
    namespace: Dict[str, Any] = {}
    exec(compile(source, f"<xavier.torch.fast_init: {name}>", "exec"), namespace)
    code: types.CodeType = namespace[name].__code__
    return code


_TRAMPOLINES = {name: _trampoline(name) for name in _FUNCTIONS}


# Tensor methods that model code calls directly (e.g. Hugging Face models'
# ``module.weight.data.normal_(mean=0.0, std=0.02)``), and their originals.
_TENSOR_TORCH: Dict[str, Callable[..., torch.Tensor]] = {
    "normal_": torch.Tensor.normal_, "uniform_": torch.Tensor.uniform_}
_TENSOR_OWN = {name: name in torch.Tensor.__dict__ for name in _TENSOR_TORCH}  # else inherited


def _method_ours(tensor: torch.Tensor, name: str) -> bool:
    """Inside fast_init: True if xavier fills `tensor` for Tensor.<name>.  An
    in-place fill that autograd would record, or reject (a leaf requiring
    grad), stays torch's, as do tensors :func:`_ours` declines."""
    if _local.depth == 0:
        return False
    if tensor.requires_grad and torch.is_grad_enabled():
        return False
    return _ours(tensor, f"Tensor.{name}")


def _tensor_normal_(self: torch.Tensor, mean: float = 0.0, std: float = 1.0, *,
                    generator: Optional[torch.Generator] = None) -> torch.Tensor:
    if not _method_ours(self, "normal_"):
        return _TENSOR_TORCH["normal_"](self, mean, std, generator=generator)
    return normal_(self, mean, std, generator, threads=_local.threads)


def _tensor_uniform_(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Tensor.uniform_(from=0, to=1, *, generator=None) ("from" is a keyword)."""
    names = ("from", "to")
    bounds = dict(zip(names, args))
    known = len(args) <= 2 and not set(kwargs) - {"from", "to", "generator"} \
        and not set(bounds) & set(kwargs)
    if not known or not _method_ours(self, "uniform_"):
        return _TENSOR_TORCH["uniform_"](self, *args, **kwargs)
    bounds.update((k, kwargs[k]) for k in names if k in kwargs)
    return uniform_(self, bounds.get("from", 0.0), bounds.get("to", 1.0), kwargs.get("generator"),
                    threads=_local.threads)


_TENSOR_DISPATCH: Dict[str, Callable[..., torch.Tensor]] = {
    "normal_": _tensor_normal_, "uniform_": _tensor_uniform_}
for _name, _fn in _TENSOR_DISPATCH.items():
    functools.update_wrapper(_fn, _TENSOR_TORCH[_name])


def _install() -> None:
    """Make torch's init functions, and the methods Tensor.normal_ / uniform_,
    lead to the dispatchers.

    The functions keep their identity and get a trampoline's code, so every
    reference to them dispatches: ``torch.nn.init.<name>``, names bound by
    ``from torch.nn.init import xavier_uniform_`` (as torch's own
    MultiheadAttention does) and tables (Hugging Face's
    ``TORCH_INIT_FUNCTIONS``), at a cost independent of how much is loaded.
    A function whose code someone else changed is left alone."""
    for method, fn in _TENSOR_DISPATCH.items():
        if getattr(torch.Tensor, method) is _TENSOR_TORCH[method]:
            setattr(torch.Tensor, method, fn)
    for name, fn in _FUNCTIONS.items():
        f = cast(types.FunctionType, fn)
        if f.__code__ is _TORCH[name].__code__:
            f.__globals__[_HOOK] = _DISPATCH
            f.__code__ = _TRAMPOLINES[name]
            _swapped.append(name)


def _uninstall() -> None:
    """Give torch's functions their code back and the Tensor methods their
    own (only where xavier's are still in place)."""
    while _swapped:
        name = _swapped.pop()
        f = cast(types.FunctionType, _FUNCTIONS[name])
        if f.__code__ is _TRAMPOLINES[name]:
            f.__code__ = _TORCH[name].__code__
    for fn in _FUNCTIONS.values():
        cast(types.FunctionType, fn).__globals__.pop(_HOOK, None)
    for method, fn in _TENSOR_DISPATCH.items():
        if torch.Tensor.__dict__.get(method) is fn:
            if _TENSOR_OWN[method]:
                setattr(torch.Tensor, method, _TENSOR_TORCH[method])
            else:
                delattr(torch.Tensor, method)  # back to the inherited method


@contextlib.contextmanager
def fast_init(*, threads: Optional[int] = None) -> Iterator[None]:
    """Use xavier's samplers for every ``torch.nn.init`` call in this block.

    While building a model inside ``with xavier.torch.fast_init():``, the
    ``reset_parameters`` of ``nn.Linear``, ``nn.Conv*d``, ``nn.Embedding``,
    ``nn.MultiheadAttention``, ``nn.Transformer*`` and any other code calling
    ``torch.nn.init.{uniform_, normal_, trunc_normal_, xavier_uniform_,
    xavier_normal_, kaiming_uniform_, kaiming_normal_}`` fill CPU tensors in
    parallel, and so do the methods ``Tensor.normal_`` and
    ``Tensor.uniform_`` that some models call directly (Hugging Face's
    ``_init_weights``: ``module.weight.data.normal_(mean=0.0, std=0.02)``)
    on tensors autograd does not track.  Other tensors still go to torch
    (see the module's notes).

    Seeds come from torch's default generator as usual, so
    ``torch.manual_seed(s)`` before the block repeats the model exactly
    (for any thread count).  The distributions are torch's; the values are
    xavier's.

    On entry the functions of ``torch.nn.init`` are made to lead to
    dispatchers (wherever they are referenced from: their code is swapped,
    in microseconds), as are the two Tensor methods; on exit (also when the
    block raises) torch's own are put back.  The dispatchers
    act only in threads inside a ``fast_init`` block: other threads keep
    torch's behaviour, blocks may nest and run in several threads at once.

    Parameters
    ----------
    threads : int, optional
        Threads per fill (default: OpenMP's).

    Examples
    --------
    >>> import torch, xavier.torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> with xavier.torch.fast_init():
    ...     model = torch.nn.Sequential(torch.nn.Linear(512, 512), torch.nn.ReLU(),
    ...                                 torch.nn.Linear(512, 10))
    >>> model[0].weight.std().item() < 0.03
    True
    """
    global _patch_users
    if threads is not None:
        _checks.check_threads(threads)
    with _patch_lock:
        if _patch_users == 0:
            _install()
        _patch_users += 1
    saved = _local.depth, _local.threads
    _local.depth, _local.threads = saved[0] + 1, threads if threads is not None else saved[1]
    try:
        yield
    finally:
        _local.depth, _local.threads = saved
        with _patch_lock:
            _patch_users -= 1
            if _patch_users == 0:
                _uninstall()


