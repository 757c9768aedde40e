"""``init_``: a built model's weights re-initialized with one scheme."""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch

from .. import _checks, _request
from .._presets import PRESETS, check_truncated, scaled_dist
from .._seeds import SeedLike, as_seed_sequence, named_seed, seed_key
from ._fill import _TYPES, _check_writable, _draw_seed, _write

# init_'s schemes: the presets by their names and PyTorch's (scale, mode, distribution)
_SCHEMES = {alias: (p.scale, p.mode, p.distribution)
            for name, p in PRESETS.items() for alias in (name, *p.aliases)}


def init_(module: torch.nn.Module, scheme: str = "glorot_uniform", *, seed: SeedLike = None,
          gain: float = 1.0, truncated: bool = False, biases: str = "keep",
          threads: Optional[int] = None) -> torch.nn.Module:
    """Re-initialize the weights of a built model in place; return it.

    Every parameter with two or more dimensions gets `scheme`, with torch's
    fans (``(out, in, *kernel)``); one-dimensional parameters (biases, norm
    scales) keep their values, or with ``biases="zeros"`` the ones named
    ``*bias`` become 0.

    Parameters
    ----------
    module : torch.nn.Module
    scheme : str
        ``"glorot_uniform"`` (alias ``"xavier_uniform"``), ``"glorot_normal"``
        (``"xavier_normal"``), ``"he_uniform"`` (``"kaiming_uniform"``),
        ``"he_normal"`` (``"kaiming_normal"``), ``"lecun_uniform"`` or
        ``"lecun_normal"``: the presets of :func:`xavier.variance_scaling`.
    seed : None, int or SeedSequence
        Parameter ``name`` gets the stream of ``named_seed(seed, name)``
        (see :func:`xavier.named_seed`), so its values depend on the seed and its own name
        only.  None draws the seed from torch's default generator.
    gain : float
        Factor on every standard deviation.
    truncated : bool
        For the normal schemes: Keras's and JAX's normal truncated at two
        standard deviations, with the same variance.
    biases : {"keep", "zeros"}
    threads : int, optional

    Parameters on another device are generated on the CPU and copied there,
    so they hold the same values as on the CPU; parameters on the ``meta``
    device hold no values and are skipped.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Linear(32, 8))
    >>> xavier.torch.init_(model, "he_normal", seed=0, biases="zeros") is model
    True
    >>> float(model[0].bias.detach().abs().sum())
    0.0
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(_SCHEMES)}, got {scheme!r}")
    if biases not in ("keep", "zeros"):
        raise ValueError(f"biases must be 'keep' or 'zeros', got {biases!r}")
    scale, mode, dist_name = _SCHEMES[scheme]
    if check_truncated(truncated):
        if dist_name != "normal":
            raise ValueError(f"truncated=True needs a normal scheme, got {scheme!r}")
        dist_name = "truncated_normal"
    nthreads = _checks.check_threads(threads)
    base = as_seed_sequence(_draw_seed(None) if seed is None else seed)
    # (name, parameter, kind or None for zeros, parameters): all checked first
    work: List[Tuple[str, torch.nn.Parameter, Optional[int], Tuple[float, ...]]] = []
    for name, p in module.named_parameters():
        if p.dim() >= 2:
            if p.dtype not in _TYPES:
                raise TypeError(f"parameter {name} has dtype {p.dtype}; "
                                "init_ fills float32, float64, float16 and bfloat16")
            dist, params_of = scaled_dist(tuple(p.shape), scale, mode, dist_name, gain,
                                          layout="torch")
            code = _TYPES[p.dtype]
            work.append((name, p, _request.stream_kind(dist, code), params_of(code)))
        elif biases == "zeros" and name.rsplit(".", 1)[-1] == "bias":
            work.append((name, p, None, ()))
    work = [w for w in work if w[1].device.type != "meta"]   # no values to fill
    for _, p, _, _ in work:
        _check_writable(p)   # refuse before anything is written
    with torch.no_grad():
        for name, p, kind, params in work:
            if kind is None:
                p.zero_()
                continue
            target = p if p.device.type == "cpu" else torch.empty(p.shape, dtype=p.dtype)
            key = seed_key(named_seed(base, name))
            _write(target, kind, params, key, nthreads)
            if target is not p:
                p.copy_(target)
    return module


