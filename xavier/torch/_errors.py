"""The errors ``torch.nn.init`` raises, as xavier.torch raises them, and the
argument checks that raise them in torch's words."""
from __future__ import annotations

from typing import Tuple

from .. import _checks, _core

#
# Code written for torch.nn.init catches what torch raises: RuntimeError for
# bad bounds and standard deviations (from its C++ checks), ZeroDivisionError
# for trunc_normal_'s std=0.  This module raises classes that are both that
# type and ValueError (what xavier's other functions raise), with torch's
# messages where torch has one.

class InitArgumentError(RuntimeError, ValueError):
    """A bad argument of an ``xavier.torch`` initializer: a RuntimeError, as
    ``torch.nn.init`` raises for it, and a ValueError, as xavier raises."""


class InitZeroDivisionError(ZeroDivisionError, ValueError):
    """``trunc_normal_`` with ``std=0``: torch divides by the std and raises
    ZeroDivisionError; this is one, and a ValueError."""


class InitOverflowError(OverflowError, ValueError):
    """A ``kaiming_*`` slope whose square overflows: torch's gain raises
    OverflowError; this is one, and a ValueError."""


# torch's names of the dtypes in its messages (C++ type names)
_TORCH_TYPE_NAMES = {_core.F32: "float", _core.F64: "double", _core.F16: "c10::Half",
                     _core.BF16: "c10::BFloat16"}


def _uniform_params(a: object, b: object, code: int) -> Tuple[float, float]:
    """(a, b) of U[a, b) checked as ``torch.Tensor.uniform_`` checks them."""
    lo, hi = _real(a, "a"), _real(b, "b")
    top = _checks.MAX_VALUE[code]
    if not -top <= lo <= top:
        raise InitArgumentError(f"from is out of bounds for {_TORCH_TYPE_NAMES[code]}")
    if not -top <= hi <= top:
        raise InitArgumentError(f"to is out of bounds for {_TORCH_TYPE_NAMES[code]}")
    if lo > hi:
        raise InitArgumentError(f"uniform_ expects to return a [from, to) range, but found "
                                f"from={lo:g} > to={hi:g}")
    if hi - lo > _checks.COMPUTE_MAX[code]:
        raise InitArgumentError(
            f"uniform_ expects to-from <= std::numeric_limits<{_TORCH_TYPE_NAMES[code]}>::max(), "
            f"but found to={hi:g} and from={lo:g} which result in to-from to exceed the limit")
    return lo, hi   # (what _checks.uniform_params checks, in torch's words)


def _real(value: object, name: str) -> float:
    return value if type(value) is float else _checks.as_real(value, name)


def _normal_std(std: object) -> float:
    """`std` checked as ``torch.Tensor.normal_`` checks it (>= 0, not NaN)."""
    sd = _real(std, "std")
    if not sd >= 0.0:
        raise InitArgumentError(f"normal expects std >= 0.0, but found std {sd:g}")
    return sd

