"""What the ``xavier`` subcommands share: argument types and optional imports.

A module of its own, below ``_cli``, ``_bench`` and ``_demo`` (which import
it; it imports none of them, nor NumPy: the entry point stays light).

Each argument type refuses a bad value with its own message (argparse would
otherwise name the function: "invalid positive_int value").
"""
from __future__ import annotations

import argparse
import re
from typing import Any, Optional, Tuple


def positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def nonneg_int(text: str) -> int:
    return _int_at_least(text, 0)


def integer(text: str) -> int:
    """Any integer (an axis: negative counts from the end)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


# 64x64, 64,64 or 64*64: one argument where --shape takes the dims as several
_GLUED = re.compile(r"\s*[+-]?\d+(?:\s*[x×X,*]\s*[+-]?\d+)+\s*,?\s*")


def dim(text: str) -> int:
    """One dimension of a shape (--shape 64 64, not 64x64)."""
    if _GLUED.fullmatch(text):
        dims = " ".join(re.findall(r"[+-]?\d+", text))
        raise argparse.ArgumentTypeError(
            f"give the dims separated by spaces: --shape {dims}, not {text!r}")
    return nonneg_int(text)


def real(text: str) -> float:
    """A number (its range is checked where it is used, with the option's name)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return v


def _int_at_least(text: str, low: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if v < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
    return v


def parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def try_import(name: str) -> Tuple[Any, Optional[str]]:
    """(module, None) if module `name` imports, else (None, why not)."""
    import importlib

    try:
        mod = importlib.import_module(name)
    except ImportError as exc:
        return None, f"not installed ({exc})"
    except Exception as exc:  # a broken install must not stop the run
        return None, f"import failed ({type(exc).__name__}: {exc})"
    return mod, None


def require_matplotlib() -> None:
    """ImportError saying how to install matplotlib, before any work, if it is missing."""
    mod, why = try_import("matplotlib")
    if mod is None:
        broken = "" if (why or "").startswith("not installed") else f" (installed, but {why})"
        raise ImportError(f"--plot needs matplotlib{broken}: pip install 'xavier-init[plot]'")
