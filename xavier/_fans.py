"""Fan computation: how many inputs and outputs feed each weight."""
from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import Optional, Tuple, Union, cast

ShapeLike = Union[int, Sequence[int]]

LAYOUTS = ("keras", "torch")


# The most a dim, a shape's element count or a fan may be: NumPy's (np.intp's).
MAX_SIZE = sys.maxsize


def show_int(value: int) -> str:
    """`value` for an error message: ints of thousands of digits cannot be
    printed (Python's int-to-str limit), and hundreds would bury the message."""
    if value.bit_length() <= 128:
        return str(value)
    return f"{'a negative' if value < 0 else 'an'} int of {value.bit_length()} bits"


def _index(value: object, message: Callable[[], str]) -> int:
    """`value` as an int (``operator.index``; bools refused), or TypeError(message())."""
    if isinstance(value, bool):
        raise TypeError(message())
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(message()) from None


def int_tuple(values: object, name: str) -> Tuple[int, ...]:
    """`values` (an int or a sequence of ints) as a tuple of ints in
    ``[0, MAX_SIZE]``, or raise TypeError / ValueError naming `name`.

    Bools, floats and strings are refused.  So are sets, dicts, iterators and
    0-d arrays, as NumPy refuses them for a shape: a set's or a dict's order
    is arbitrary, and an iterator would be used up."""
    if isinstance(values, (str, bytes, bool)):
        raise TypeError(f"{name} must be an int or a sequence of ints, got {values!r}")
    dims: Tuple[object, ...]
    try:
        dims = (operator.index(values),)  # type: ignore[arg-type]
    except TypeError:
        if isinstance(values, (Mapping, Set)) or getattr(values, "ndim", 1) == 0 or not (
                hasattr(values, "__len__") and hasattr(values, "__getitem__")):
            raise TypeError(
                f"{name} must be an int or a sequence of ints, got {type(values).__name__}"
            ) from None
        dims = tuple(cast(Iterable[object], values))
    out = []
    for d in dims:
        v = _index(d, lambda: f"{name} dims must be integers, got {d!r}")
        if v < 0:
            raise ValueError(f"{name} dims must be non-negative, got {show_int(v)}")
        if v > MAX_SIZE:
            raise ValueError(f"{name} dims must be at most {MAX_SIZE}, got {show_int(v)}")
        out.append(v)
    return tuple(out)


def normalize_shape(shape: object, name: str = "shape") -> Tuple[int, ...]:
    """Return `shape` as a tuple of non-negative Python ints, or raise.

    An int is a 1-D shape; otherwise a sequence (not a set, dict or
    iterator).  Each dim must be an integer (``operator.index``); bools,
    floats and strings are refused with TypeError, negative dims with
    ValueError.  So are shapes whose nonzero dims multiply to more than
    MAX_SIZE, as NumPy refuses them (zero-size shapes included).
    """
    if type(shape) is tuple and all(type(d) is int and 0 <= d <= MAX_SIZE for d in shape):
        dims: Tuple[int, ...] = shape   # the common case, already in form
    else:
        dims = int_tuple(shape, name)
    if math.prod(d for d in dims if d) > MAX_SIZE:
        raise ValueError(f"{name} {dims} is too large: its nonzero dims multiply to more "
                         f"than {MAX_SIZE}")
    return dims


AxisLike = Union[int, Sequence[int]]


def check_layout(layout: object) -> str:
    if not isinstance(layout, str) or layout not in LAYOUTS:  # (`in` would compare arrays)
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return str(layout)


def _axes(value: object, ndim: int, name: str) -> Tuple[int, ...]:
    """`value` (an int or a sequence of ints) as non-negative axes of an ndim array."""
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) \
        else [value]
    out = []
    for v in items:
        a = _index(v, lambda: f"{name} must be an int or a sequence of ints, got {value!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}={value!r} is out of range for a {ndim}-D shape")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}={value!r} repeats an axis")
    return tuple(out)


def compute_fans(shape: ShapeLike, layout: Optional[str] = None, *,
                 in_axis: Optional[AxisLike] = None, out_axis: Optional[AxisLike] = None,
                 batch_axis: Optional[AxisLike] = None) -> Tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of the given shape.

    The fans come from a layout, or from axes as in JAX; with neither,
    ``layout="keras"``.

    Parameters
    ----------
    shape : int or sequence of int
        The weight's shape.
    layout : {"keras", "torch"}, optional
        ``"keras"``: NumPy/Keras/TensorFlow kernels ``(..., in, out)``, e.g.
        Dense ``(in, out)`` and Conv2D ``(kh, kw, in, out)``; the receptive
        field is the product of the leading dims.  A 1-D shape ``(n,)`` has
        fan_in = fan_out = n and a 0-D shape 1 and 1, as in Keras.
        ``"torch"``: PyTorch weights ``(out, in, *kernel)``, exactly as
        ``torch.nn.init._calculate_fan_in_and_fan_out``; fewer than 2 dims
        raise ValueError.
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        JAX's ``variance_scaling`` rules: fan_in is the product of the
        `in_axis` dims (default -2), fan_out of the `out_axis` dims (default
        -1), both times the receptive field, the product of the dims in no
        axis argument; `batch_axis` dims (default none) count in neither.
        The shape needs at least 2 dims.  Not combined with `layout`.

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> import xavier
    >>> xavier.compute_fans((784, 256))
    (784, 256)
    >>> xavier.compute_fans((3, 3, 64, 128))            # Keras Conv2D kernel
    (576, 1152)
    >>> xavier.compute_fans((128, 64, 3, 3), layout="torch")
    (576, 1152)
    >>> xavier.compute_fans((8, 3, 3, 64, 128), batch_axis=0)   # 8 stacked kernels
    (576, 1152)
    >>> xavier.compute_fans((64, 128, 3, 3), in_axis=0, out_axis=1)
    (576, 1152)
    """
    dims = normalize_shape(shape)
    axes_given = not (in_axis is None and out_axis is None and batch_axis is None)
    if layout is not None and axes_given:
        raise ValueError("give a layout or in_axis/out_axis/batch_axis, not both")
    if axes_given:
        return _axis_fans(dims, -2 if in_axis is None else in_axis,
                          -1 if out_axis is None else out_axis,
                          () if batch_axis is None else batch_axis)
    layout = check_layout("keras" if layout is None else layout)
    if layout == "keras":
        if len(dims) == 0:
            return 1, 1
        if len(dims) == 1:
            return dims[0], dims[0]
        receptive = math.prod(dims[:-2])
        return dims[-2] * receptive, dims[-1] * receptive
    if len(dims) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(layout='torch', shape={dims})"
        )
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


def _axis_fans(dims: Tuple[int, ...], in_axis: AxisLike, out_axis: AxisLike,
               batch_axis: AxisLike) -> Tuple[int, int]:
    ndim = len(dims)
    if ndim < 2:
        raise ValueError(f"fans from axes need a shape of at least 2 dims, got {dims} "
                         "(layout='keras' handles 0-D and 1-D shapes)")
    ins = _axes(in_axis, ndim, "in_axis")
    outs = _axes(out_axis, ndim, "out_axis")
    batch = _axes(batch_axis, ndim, "batch_axis")
    if set(ins) & set(outs) or set(batch) & (set(ins) | set(outs)):
        raise ValueError(f"in_axis={in_axis!r}, out_axis={out_axis!r} and batch_axis="
                         f"{batch_axis!r} must not share an axis")
    receptive = math.prod(d for i, d in enumerate(dims) if i not in set(ins + outs + batch))
    return (math.prod(dims[i] for i in ins) * receptive,
            math.prod(dims[i] for i in outs) * receptive)
