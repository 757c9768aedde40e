"""PyTorch drop-ins: ``torch.nn.init``'s samplers on xavier's parallel core.

``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``,
``kaiming_normal_``, ``uniform_``, ``normal_`` and ``trunc_normal_`` take the
arguments of their ``torch.nn.init`` namesakes, fill CPU tensors (float32,
float64, float16, bfloat16; any strides) in place through their own memory,
under ``torch.no_grad()``, and return the tensor.  The values follow torch's
formulas (fans, gains, bounds) and xavier's stream, so they are not torch's
values, but they are reproducible in the same way:

* with ``generator=g``, the seed is drawn from `g` (two 63-bit integers, by
  ``random_``), so ``g.manual_seed(s)`` makes a run repeat;
* with no generator, from torch's default CPU generator, so
  ``torch.manual_seed(s)`` makes a whole model's initialization repeat;
* with ``seed=`` (an xavier extension, keyword-only), from that seed alone.

Tensors this module cannot fill (other devices, other dtypes, tensor
subclasses that override torch functions or torch's dispatch, such as
``FakeTensor``) go to torch's own function; for a device other than the CPU
a warning says so, once per device type.

``fast_init()`` makes every ``torch.nn.init`` call made while building a
model use these, ``init_(module, scheme)`` re-initializes a built one, and
``save_init(factory, path, seed=...)`` writes the initial checkpoint of a
model without building it in memory.  torch is imported with this package,
not with ``xavier``.

One module per responsibility: ``_originals`` (torch's own functions),
``_errors`` (torch's errors and checks), ``_fill`` (one tensor's seed,
checks and write), ``_dropins`` (the seven samplers), ``_fast_init``,
``_reinit`` (``init_``), ``_record`` (the recorder of a ``save_init``
build) and ``_checkpoint`` (``save_init``'s files).
"""
from __future__ import annotations

try:
    import torch  # noqa: F401
except ModuleNotFoundError as _e:
    if _e.name != "torch":
        raise
    raise ModuleNotFoundError(
        "xavier.torch needs PyTorch: pip install 'xavier-init[torch]' (CPU-only machines: "
        "PyTorch's CPU wheel, pip install torch --index-url "
        "https://download.pytorch.org/whl/cpu)", name="torch") from None

from ._checkpoint import save_init
from ._dropins import (kaiming_normal_, kaiming_uniform_, normal_, trunc_normal_, uniform_,
                       xavier_normal_, xavier_uniform_)
from ._errors import InitArgumentError, InitOverflowError, InitZeroDivisionError
from ._fast_init import fast_init
from ._reinit import init_

__all__ = ["InitArgumentError", "InitOverflowError", "InitZeroDivisionError", "fast_init",
           "init_", "save_init",
           "kaiming_normal_", "kaiming_uniform_", "normal_", "trunc_normal_", "uniform_",
           "xavier_normal_", "xavier_uniform_"]
