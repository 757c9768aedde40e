"""``xavier demo``: Glorot & Bengio (2010)'s variance experiment, in NumPy.

A deep MLP of ``tanh`` layers (``layers`` hidden layers of ``units`` units,
no biases) runs forward on a batch of random inputs and backward from a
random cost, once per initialization:

``glorot``
    the normalized initialization, ``xavier.glorot_uniform``:
    U[-a, a] with a = sqrt(6 / (fan_in + fan_out));
``standard``
    the heuristic the paper compares against, U[-1/sqrt(n), 1/sqrt(n)]
    with n = fan_in (weight variance 1/(3n)).

Measured per layer i (1 = nearest the input): the variance of the
activations ``h_i = tanh(s_i)`` and of the back-propagated gradients
``dC/ds_i`` with respect to the pre-activations ``s_i = h_{i-1} W_i``
(the paper's ``Var[dCost/ds^i]``), and of the weight gradients ``dC/dW_i``.
The cost is a random linear function of the top layer,
``C = sum(h_L * r)`` with ``r ~ N(0, 1)``, so the top gradient has no
preferred direction; inputs are ``N(0, input_std^2)``.

The paper's analysis assumes tanh's linear regime at initialization
(tanh'(0) = 1); there ``n Var[W] = 1`` (Glorot, for square layers) keeps
both variances constant across layers, while the standard
initialization's ``n Var[W] = 1/3`` shrinks activations by about 3x per
layer going up and gradients by about 3x per layer going down.  The
default ``input_std = 0.1`` starts the network in that regime.  With
unit-variance inputs (``--input-std 1``) the first layers saturate, and
tanh' < 1 then shrinks the gradients of the lower layers under either
initialization (much less under Glorot's).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Dict, List

import numpy as np

from . import _api, _presets, _seeds
from ._argtypes import nonneg_int, positive_float, positive_int, require_matplotlib

DEFAULTS: Dict[str, Any] = {"layers": 10, "units": 1000, "batch": 1000, "input_std": 0.1,
                            "seed": 0}
SCHEMES = ("glorot", "standard")


def weights(scheme: str, layers: int, units: int, seed: int) -> List[np.ndarray]:
    """The float64 weight matrices (fan_in, fan_out) of `scheme`, layer 1 first."""
    out = []
    for i in range(1, layers + 1):
        s = _seeds.named_seed(seed, f"{scheme}/W{i}")
        if scheme == "glorot":
            w = _presets.glorot_uniform((units, units), dtype=np.float64, seed=s)
        elif scheme == "standard":
            b = 1.0 / math.sqrt(units)
            w = _api.uniform((units, units), -b, b, dtype=np.float64, seed=s)
        else:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
        out.append(w)
    return out


def propagate(ws: List[np.ndarray], x: np.ndarray, r: np.ndarray) -> Dict[str, List[float]]:
    """Forward through tanh layers, backward from C = sum(h_L * r): per-layer variances."""
    hs = [x]
    for w in ws:
        hs.append(np.tanh(hs[-1] @ w))
    grad_h = r  # dC/dh_L
    act, grad, wgrad = [], [], []
    for i in range(len(ws), 0, -1):
        ds = grad_h * (1.0 - hs[i] ** 2)  # dC/ds_i = dC/dh_i * tanh'(s_i)
        grad.append(float(ds.var()))
        wgrad.append(float((hs[i - 1].T @ ds).var()))
        act.append(float(hs[i].var()))
        grad_h = ds @ ws[i - 1].T
    return {"activation_var": act[::-1], "gradient_var": grad[::-1],
            "weight_gradient_var": wgrad[::-1]}


def run_demo(layers: int = DEFAULTS["layers"], units: int = DEFAULTS["units"],
             batch: int = DEFAULTS["batch"], input_std: float = DEFAULTS["input_std"],
             seed: int = DEFAULTS["seed"]) -> Dict[str, Any]:
    """Run the experiment for both initializations.

    Returns a dict with the settings and, per scheme, the per-layer lists
    ``activation_var``, ``gradient_var`` and ``weight_gradient_var``
    (layer 1 first) and the ratios ``activation_ratio`` /
    ``gradient_ratio`` of the top layer's variance to the bottom one's.

    Examples
    --------
    >>> from xavier._demo import run_demo
    >>> r = run_demo(layers=6, units=200, batch=200)
    >>> 0.5 < r["glorot"]["gradient_ratio"] < 2
    True
    >>> r["standard"]["gradient_ratio"] > 50
    True
    """
    for name, n in (("layers", layers), ("units", units), ("batch", batch)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    if not (isinstance(input_std, (int, float)) and 0 < input_std < math.inf):
        raise ValueError(f"input_std must be a positive number, got {input_std!r}")
    x = _api.normal((batch, units), 0.0, float(input_std), dtype=np.float64,
                    seed=_seeds.named_seed(seed, "inputs"))
    r = _api.normal((batch, units), dtype=np.float64, seed=_seeds.named_seed(seed, "cost"))
    result: Dict[str, Any] = {"layers": layers, "units": units, "batch": batch,
                              "input_std": float(input_std), "seed": seed}
    for scheme in SCHEMES:
        v: Dict[str, Any] = propagate(weights(scheme, layers, units, seed), x, r)
        v["activation_ratio"] = v["activation_var"][-1] / v["activation_var"][0]
        v["gradient_ratio"] = v["gradient_var"][-1] / v["gradient_var"][0]
        result[scheme] = v
    return result


def _g(x: float) -> str:
    return f"{x:.4g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.3e}"


def format_result(res: Dict[str, Any]) -> str:
    g, s = res["glorot"], res["standard"]
    lines = [
        f"Glorot & Bengio (2010) variance experiment: {res['layers']} tanh layers of "
        f"{res['units']} units, {res['batch']} inputs ~ N(0, {res['input_std']:g}^2), "
        f"seed {res['seed']}; cost C = sum(h_top * r), r ~ N(0, 1)",
        "glorot: U[-a, a], a = sqrt(6/(fan_in+fan_out)); standard: U[-1/sqrt(n), 1/sqrt(n)]",
        "",
        f"{'':6}{'Var[h_i] (activations)':>28}    {'Var[dC/ds_i] (gradients)':>28}",
        f"{'layer':6}{'glorot':>14}{'standard':>14}    {'glorot':>14}{'standard':>14}",
    ]
    for i in range(res["layers"]):
        lines.append(f"{i + 1:<6}{_g(g['activation_var'][i]):>14}{_g(s['activation_var'][i]):>14}"
                     f"    {_g(g['gradient_var'][i]):>14}{_g(s['gradient_var'][i]):>14}")
    lines.append(f"{'top/bottom':<10}{_g(g['activation_ratio']):>10}"
                 f"{_g(s['activation_ratio']):>14}    {_g(g['gradient_ratio']):>14}"
                 f"{_g(s['gradient_ratio']):>14}")
    lines += [
        "",
        f"glorot:   top-layer gradient variance {_g(g['gradient_ratio'])}x the bottom layer's, "
        f"activations {_g(g['activation_ratio'])}x",
        f"standard: top-layer gradient variance {_g(s['gradient_ratio'])}x the bottom layer's, "
        f"activations {_g(s['activation_ratio'])}x",
    ]
    return "\n".join(lines)


def plot(res: Dict[str, Any], path: str) -> None:
    """Activation and gradient variances per layer, log scale, one line per scheme."""
    import io
    import os

    from matplotlib.figure import Figure

    from ._files import write_bytes

    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    layers = list(range(1, res["layers"] + 1))
    for ax, key, title in ((axes[0], "activation_var", "activations Var[h_i]"),
                           (axes[1], "gradient_var", "back-propagated gradients Var[dC/ds_i]")):
        for scheme, marker in zip(SCHEMES, "os"):
            ax.plot(layers, res[scheme][key], marker=marker,
                    label="Glorot (normalized)" if scheme == "glorot"
                    else "standard U[-1/sqrt(n), 1/sqrt(n)]")
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = input side)")
        ax.set_xticks(layers)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{res['layers']} tanh layers of {res['units']} units, inputs "
                 f"N(0, {res['input_std']:g}^2), batch {res['batch']}", fontsize=9)
    data = io.BytesIO()
    fig.savefig(data, format=os.path.splitext(path)[1][1:] or "png", dpi=110)
    write_bytes(path, data.getvalue())


def add_parser(sub: Any) -> None:
    """`xavier demo` on the subparsers object `sub`."""
    d = sub.add_parser(
        "demo", help="Glorot & Bengio's experiment: variances across the layers of a tanh MLP",
        description="Forward and backward passes of a deep tanh MLP on random inputs, "
                    "initialized with Glorot's normalized uniform and with the 'standard' "
                    "U[-1/sqrt(n), 1/sqrt(n)]: per-layer activation and back-propagated "
                    "gradient variances.")
    d.add_argument("--layers", type=positive_int, default=DEFAULTS["layers"],
                   help=f"hidden layers (default {DEFAULTS['layers']})")
    d.add_argument("--units", type=positive_int, default=DEFAULTS["units"],
                   help=f"units per layer (default {DEFAULTS['units']})")
    d.add_argument("--batch", type=positive_int, default=DEFAULTS["batch"],
                   help=f"random input vectors (default {DEFAULTS['batch']})")
    d.add_argument("--input-std", type=positive_float, default=DEFAULTS["input_std"],
                   metavar="STD", help=f"standard deviation of the normal inputs (default "
                                       f"{DEFAULTS['input_std']:g}: tanh's linear regime)")
    d.add_argument("--seed", type=nonneg_int, default=DEFAULTS["seed"],
                   help=f"seed of the inputs and weights (default {DEFAULTS['seed']})")
    d.add_argument("--json", metavar="FILE", help="write the variances to FILE ('-': stdout)")
    d.add_argument("--plot", metavar="FILE.png",
                   help="plot the variances per layer (needs matplotlib)")
    d.set_defaults(cmd=cmd_demo)


def cmd_demo(args: argparse.Namespace, argv: List[str]) -> int:
    """`xavier demo`: `args` parsed by :func:`add_parser`'s parser (`argv`,
    the arguments after ``demo``, is not needed)."""
    if args.plot is not None:
        require_matplotlib()
    res = run_demo(args.layers, args.units, args.batch, args.input_std, args.seed)
    text = format_result(res)
    if args.json == "-":
        print(text, file=sys.stderr)
        json.dump(res, sys.stdout, indent=1)
        print()
    else:
        print(text)
        if args.json:
            from ._files import write_bytes

            write_bytes(args.json, json.dumps(res, indent=1).encode())
            print(f"results written to {args.json}", file=sys.stderr)
    if args.plot is not None:
        plot(res, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0
