"""Dask arrays of generated weights (optional extra: ``pip install 'xavier-init[dask]'``).

Each function here takes the arguments of the xavier function of the same
name (less ``out``), plus ``chunks``, and returns a ``dask.array.Array``
whose chunks are generated independently, each from its own part of the
stream: any chunking, any scheduler and any cluster give the values of the
in-memory call with the same seed, bit for bit.

Chunks that are whole rows (the trailing dimensions whole) are one
contiguous range of the stream; narrower chunks are generated row by row,
and cost more: the generator steps over the parts of each row that other
chunks hold (see the benchmarks page of the docs).

Examples
--------
>>> import numpy as np, xavier, xavier.dask
>>> w = xavier.dask.glorot_uniform((1000, 600), chunks=(256, 200), seed=7)
>>> bool((w.compute() == xavier.glorot_uniform((1000, 600), seed=7)).all())
True
"""
from __future__ import annotations

import functools
import inspect
import itertools
from typing import Any, Callable, Tuple

import numpy as np

try:
    import dask.array  # noqa: F401  (at import, not at the first call)
except ModuleNotFoundError as _e:
    if _e.name not in ("dask", "dask.array"):
        raise
    raise ModuleNotFoundError("xavier.dask needs dask: pip install 'xavier-init[dask]'",
                              name="dask") from None

from ._checks import check_threads
from ._inits import SAMPLERS, sampler_request
from ._request import Request
from ._seeds import SeedLike, seed_key

__all__ = ["from_request", *SAMPLERS]


def _chunk(req: Request, key: Tuple[int, ...], offsets: Tuple[int, ...],
           shape: Tuple[int, ...], threads: int) -> np.ndarray:
    buf = np.empty(shape, dtype=req.storage)
    req.fill_block(buf, offsets, np.array(key, dtype=np.uint64), threads)
    return buf.view(req.array_dtype())


def from_request(req: Request, seed: SeedLike = None, chunks: Any = "auto",
                 threads: int = 1, name: str = "xavier") -> Any:
    """The dask array of request `req` with seed `seed`, in `chunks` (any
    form ``dask.array`` accepts)."""
    import dask.array as da
    from dask.array.core import normalize_chunks
    from dask.base import tokenize

    threads = check_threads(threads)
    key = tuple(int(k) for k in seed_key(seed))
    dt = req.array_dtype()
    norm = normalize_chunks(chunks, req.dims, dtype=dt)  # type: ignore[no-untyped-call, unused-ignore]
    starts = [tuple(itertools.accumulate((0,) + c[:-1])) for c in norm]
    token = f"{name}-{tokenize(req, key, norm)}"
    graph = {}
    for idx in itertools.product(*(range(len(c)) for c in norm)):
        offsets = tuple(starts[d][i] for d, i in enumerate(idx))
        shape = tuple(norm[d][i] for d, i in enumerate(idx))
        graph[(token, *idx)] = (_chunk, req, key, offsets, shape, threads)
    meta = np.empty((0,) * len(req.dims), dtype=dt)
    return da.Array(graph, token, norm, dtype=dt, meta=meta)  # type: ignore[no-untyped-call, unused-ignore]


def _lazy(fn: Callable[..., np.ndarray]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, chunks: Any = "auto", seed: SeedLike = None, threads: int = 1,
                **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise TypeError(f"xavier.dask.{fn.__name__} takes no out=")
        req = sampler_request(fn.__name__, *args, **kwargs)
        return from_request(req, seed, chunks, threads, name=f"xavier-{fn.__name__}")

    sig = inspect.signature(fn)
    params = [p for n, p in sig.parameters.items() if n not in ("out", "threads")]
    params.append(inspect.Parameter("chunks", inspect.Parameter.KEYWORD_ONLY, default="auto"))
    params.append(inspect.Parameter("threads", inspect.Parameter.KEYWORD_ONLY, default=1))
    wrapper.__signature__ = sig.replace(parameters=params,  # type: ignore[attr-defined]
                                        return_annotation="dask.array.Array")
    wrapper.__doc__ = (f"Dask version of :func:`xavier.{fn.__name__}`: the same arguments "
                       "(less `out`), plus `chunks` (as dask.array takes them) and `threads` "
                       "(sampler threads per chunk, default 1: Dask runs chunks in parallel).  "
                       "The values equal the in-memory call's for the same seed, whatever "
                       "the chunks.")
    return wrapper


uniform = _lazy(SAMPLERS["uniform"])
normal = _lazy(SAMPLERS["normal"])
truncated_normal = _lazy(SAMPLERS["truncated_normal"])
variance_scaling = _lazy(SAMPLERS["variance_scaling"])
glorot_uniform = _lazy(SAMPLERS["glorot_uniform"])
glorot_normal = _lazy(SAMPLERS["glorot_normal"])
he_uniform = _lazy(SAMPLERS["he_uniform"])
he_normal = _lazy(SAMPLERS["he_normal"])
lecun_uniform = _lazy(SAMPLERS["lecun_uniform"])
lecun_normal = _lazy(SAMPLERS["lecun_normal"])
