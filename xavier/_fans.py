"""Fan computation: how many inputs and outputs feed each weight."""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Tuple, Union

ShapeLike = Union[int, Sequence[int]]

LAYOUTS = ("keras", "torch")


def normalize_shape(shape: object, name: str = "shape") -> Tuple[int, ...]:
    """Return `shape` as a tuple of non-negative Python ints, or raise.

    An int is a 1-D shape.  Each dim must be an integer (``operator.index``);
    bools, floats and strings are refused with TypeError, negative dims with
    ValueError.
    """
    if isinstance(shape, (str, bytes)) or isinstance(shape, bool):
        raise TypeError(f"{name} must be an int or a sequence of ints, got {shape!r}")
    try:
        dims = (operator.index(shape),)  # type: ignore[arg-type]
    except TypeError:
        if not isinstance(shape, Sequence) and not hasattr(shape, "__iter__"):
            raise TypeError(
                f"{name} must be an int or a sequence of ints, got {type(shape).__name__}"
            ) from None
        dims = tuple(shape)
    out = []
    for d in dims:
        if isinstance(d, bool):
            raise TypeError(f"{name} dims must be integers, got {d!r}")
        try:
            v = operator.index(d)
        except TypeError:
            raise TypeError(f"{name} dims must be integers, got {d!r}") from None
        if v < 0:
            raise ValueError(f"{name} dims must be non-negative, got {tuple(dims)!r}")
        out.append(v)
    return tuple(out)


def check_layout(layout: object) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return layout


def compute_fans(shape: ShapeLike, layout: str = "keras") -> Tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of the given shape.

    Parameters
    ----------
    shape : int or sequence of int
        The weight's shape.
    layout : {"keras", "torch"}
        ``"keras"``: NumPy/Keras/TensorFlow kernels ``(..., in, out)``, e.g.
        Dense ``(in, out)`` and Conv2D ``(kh, kw, in, out)``; the receptive
        field is the product of the leading dims.  A 1-D shape ``(n,)`` has
        fan_in = fan_out = n and a 0-D shape 1 and 1, as in Keras.
        ``"torch"``: PyTorch weights ``(out, in, *kernel)``, exactly as
        ``torch.nn.init._calculate_fan_in_and_fan_out``; fewer than 2 dims
        raise ValueError.

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
    """
    dims = normalize_shape(shape)
    layout = check_layout(layout)
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
