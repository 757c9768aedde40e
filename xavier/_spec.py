"""Model specs: a TOML (or JSON) file listing the tensors of a whole model.

::

    seed = 7                      # optional; `xavier generate --seed` overrides it

    [defaults]                    # optional: keys every tensor gets unless it sets them
    dtype = "bfloat16"
    layout = "torch"              # applied only to inits that take it

    [tensors."embed.weight"]
    shape = [50000, 12288]
    init = "normal"
    std = 0.02

    [tensors."layers.0.fc1.weight"]
    shape = [4096, 1024]
    init = "glorot_uniform"
    gain = 1.0

    [tensors."layers.0.fc1.bias"]
    shape = [4096]
    init = "zeros"

    [metadata]                    # optional: copied into the safetensors header
    model = "demo"

Each tensor takes `shape`, `init` (a name of ``xavier._inits.INITS``, or
PyTorch's name of a preset: ``xavier_uniform``, ``xavier_normal``,
``kaiming_uniform``, ``kaiming_normal``, recorded as the preset's own name),
`dtype` (float32 by default) and the options of its init: those of the
Python function of the same name (``gain``, ``scale``, ``mode``,
``distribution``, ``truncated``, ``low``/``high``, ``mean``/``std``,
``a``/``b``, ``layout``, ``in_axis``/``out_axis``/``batch_axis``, ``fans``),
or ``value`` for ``constant``.  Tensor ``NAME`` is generated with seed
``xavier.named_seed(seed, NAME)``, so it depends on the seed and its own
entry only.  Every entry is checked before anything is written.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np

from ._seeds import SeedLike, as_seed_sequence, named_seed, seed_key
from ._files import Tensor, reserved_key, unique_keys
from ._inits import OPTIONS, check_init, request
from ._request import Request

_TOP = ("seed", "defaults", "tensors", "metadata")
_ENTRY = ("shape", "init", "dtype")


class SpecError(ValueError):
    """A spec that cannot be generated, with where and why."""


@dataclass
class Spec:
    """A checked spec: its seed, tensors (in order) and metadata."""

    seed: np.random.SeedSequence
    tensors: List[Tensor]
    entries: Dict[str, Dict[str, Any]]
    metadata: Dict[str, str] = field(default_factory=dict)


def read_spec_file(path: str) -> Dict[str, Any]:
    """The contents of a .toml or .json spec file."""
    with open(path, "rb") as f:
        raw = f.read()
    if path.lower().endswith(".json"):
        try:
            data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SpecError(f"{path}: not valid JSON: {e}") from None
        except SpecError as e:
            raise SpecError(f"{path}: not a spec: {e}") from None
        except RecursionError:
            raise SpecError(f"{path}: not a spec: nested too deeply") from None
    else:
        try:
            import tomllib
        except ImportError:  # Python < 3.11
            try:
                import tomli as tomllib  # type: ignore[no-redef, import-not-found, unused-ignore]
            except ImportError:
                raise ImportError("TOML specs need Python >= 3.11 or the tomli package "
                                  "(or write the spec as .json)") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise SpecError(f"{path}: not valid TOML: {e}") from None
        except RecursionError:
            raise SpecError(f"{path}: not a spec: nested too deeply") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the spec must be a table")
    return data


def _no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """A JSON object's dict; a key given twice is an error (TOML refuses it too)."""
    return unique_keys(pairs, lambda key: SpecError(f"duplicate key {key!r}"))


def parse_spec(data: Mapping[str, Any], seed: SeedLike = None, where: str = "spec") -> Spec:
    """Check a spec's contents and resolve every tensor; `seed` (when not
    None) overrides the spec's own."""
    unknown = sorted(set(data) - set(_TOP))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)} "
                        f"(expected: {', '.join(_TOP)})")
    if seed is None:
        seed = data.get("seed")
    try:
        base = as_seed_sequence(seed)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{where}: {e}") from None
    defaults = data.get("defaults", {})
    tensors = data.get("tensors")
    metadata = data.get("metadata", {})
    if not isinstance(defaults, dict):
        raise SpecError(f"{where}: defaults must be a table")
    if "shape" in defaults:
        raise SpecError(f"{where}: defaults cannot set a shape")
    bad = sorted(set(defaults) - set(_ENTRY) - {k for ts in OPTIONS.values() for k in ts})
    if bad:
        raise SpecError(f"{where}: unknown default(s) {', '.join(bad)}")
    if not isinstance(tensors, dict) or not tensors:
        raise SpecError(f"{where}: no tensors (add [tensors.NAME] tables)")
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise SpecError(f"{where}: metadata must be a table of strings")
    taken = sorted(k for k in metadata if reserved_key(k))
    if taken:
        raise SpecError(f"{where}: metadata key(s) {', '.join(map(repr, taken))} are written by "
                        "xavier itself (format, xavier.*); choose other names")
    out: List[Tensor] = []
    entries: Dict[str, Dict[str, Any]] = {}
    for name, entry in tensors.items():
        if not isinstance(entry, dict):
            raise SpecError(f"{where}: tensor {name!r} must be a table")
        try:
            req, resolved = _resolve(entry, defaults)
        except (TypeError, ValueError, ImportError) as e:
            raise SpecError(f"{where}: tensor {name!r}: {e}") from None
        out.append(Tensor(name, req, seed_key(named_seed(base, name))))
        entries[name] = resolved
    return Spec(base, out, entries, dict(metadata))


def _resolve(entry: Mapping[str, Any],
             defaults: Mapping[str, Any]) -> tuple[Request, Dict[str, Any]]:
    if "shape" not in entry:
        raise ValueError("no shape")
    if "init" not in entry and "init" not in defaults:
        raise ValueError("missing init (add init = \"glorot_uniform\" or another)")
    init = check_init(entry.get("init", defaults.get("init")))
    # defaults apply where the init takes them; the entry's own keys must
    # all be its options (request() says which it takes)
    options = {k: v for k, v in defaults.items() if k in OPTIONS[init]}
    options.update((k, v) for k, v in entry.items() if k not in _ENTRY)
    dtype = entry.get("dtype", defaults.get("dtype", "float32"))
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string, got {dtype!r}")
    req = request(init, entry["shape"], dtype, options)
    return req, spec_entry(init, req, options)


def spec_entry(init: str, req: Request, options: Mapping[str, Any]) -> Dict[str, Any]:
    """A tensor's entry as a spec gives it (and as files record it)."""
    return {"init": init, "shape": list(req.dims), "dtype": req.dtype_name, **options}


def load_spec(path: str, seed: SeedLike = None) -> Spec:
    """Read and check the spec file at `path`."""
    data = read_spec_file(path)
    where = os.path.basename(path)
    try:
        return parse_spec(data, seed, where=where)
    except RecursionError:  # a value nested thousands deep, met while checking it
        raise SpecError(f"{where}: a value is nested too deeply") from None
