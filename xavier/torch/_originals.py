"""torch's own ``torch.nn.init`` functions: the objects :func:`fast_init`
swaps the code of, and copies of them that keep torch's code."""
from __future__ import annotations

import types
from typing import Callable, Dict, cast

import torch


# torch's function objects (torch.nn.init.<name>, and whatever else holds
# them); fast_init swaps their code.  _TORCH: copies with torch's own code,
# which run torch's function whether or not a fast_init block is active.
_NAMES = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
          "kaiming_uniform_", "kaiming_normal_")
# torch.nn.init's other samplers: torch's inside fast_init too, but a build
# that save_init records computes them on the CPU (torch's code skips meta
# tensors, where the build on the CPU would draw values).
_TORCH_ONLY = ("orthogonal_", "sparse_", "eye_", "dirac_")
_FUNCTIONS: Dict[str, Callable[..., torch.Tensor]] = {
    name: getattr(torch.nn.init, name) for name in _NAMES + _TORCH_ONLY}


def _copy_function(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """A function of its own with `fn`'s code, globals, defaults and attributes."""
    f = cast(types.FunctionType, fn)
    copy = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)
    copy.__kwdefaults__ = dict(f.__kwdefaults__) if f.__kwdefaults__ else None
    copy.__dict__.update(f.__dict__)
    for attr in ("__module__", "__qualname__", "__doc__", "__annotations__"):
        setattr(copy, attr, getattr(f, attr))
    return copy


_TORCH: Dict[str, Callable[..., torch.Tensor]] = {
    name: _copy_function(fn) for name, fn in _FUNCTIONS.items()}

