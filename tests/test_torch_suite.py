"""PyTorch's own tests of torch.nn.init pass with xavier's functions patched in.

tests/torch_suite/torch_test_init.py is PyTorch's test/nn/test_init.py
(vendored; its header says from which commit, under which license, and what
was changed), and tests/torch_suite/run_suite.py runs its TestNNInit and
TestNNInitDeviceTypeCPU with torch's functions ("torch"), inside
xavier.torch.fast_init() ("fast_init") and with torch.nn.init's seven
samplers replaced by xavier.torch's ("patched"), each under one or more torch
seeds (run_suite.PLAN).  The statistical tests (Kolmogorov-Smirnov, p > 1e-4)
are deterministic for a given seed, torch and xavier: each seed gives the
same values on every run.

The suite runs once, in a subprocess (torch.testing._internal.common_utils,
which it imports, changes the process it is imported into); the tests here
check its outcome.  Skipped without torch or scipy.
"""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("scipy")

SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_suite")
RUNNER = os.path.join(SUITE, "run_suite.py")

_spec = importlib.util.spec_from_file_location("run_suite", RUNNER)
run_suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_suite)     # stdlib imports only: torch is imported by the run
MODES = [mode for mode, _ in run_suite.PLAN]


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """Every test's outcome (run_suite.Result's rows), from one run of PLAN."""
    path = tmp_path_factory.mktemp("torch_suite") / "outcome.json"
    proc = subprocess.run([sys.executable, RUNNER, "--json", str(path)],
                          capture_output=True, text=True, timeout=600)
    if not path.exists():
        pytest.fail(f"run_suite.py wrote no outcome (exit status {proc.returncode}):\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return json.loads(path.read_text())["rows"]


def _tests(rows, mode, outcomes=None):
    """{(upstream class, test)} run (with one of `outcomes`) in `mode`, over its seeds."""
    return {(r["class"].split("_")[0], r["test"]) for r in rows
            if r["mode"] == mode and (outcomes is None or r["outcome"] in outcomes)}


@pytest.mark.parametrize("mode", MODES)
def test_upstream_tests_pass(rows, mode):
    mine = [r for r in rows if r["mode"] == mode]
    assert mine, f"no test ran in mode {mode}"
    failed = [r for r in mine if r["outcome"] not in ("pass", "skip")]
    assert not failed, "\n".join(
        f"{r['class']}.{r['test']} ({r['outcome']}):\n{r['detail']}" for r in failed)


@pytest.mark.parametrize("mode", [m for m in MODES if m != "torch"])
def test_same_tests_as_torch(rows, mode):
    """Every mode runs upstream's tests, and skips none that torch's run does not."""
    assert _tests(rows, mode) == _tests(rows, "torch")
    assert _tests(rows, mode, ("skip",)) <= _tests(rows, "torch", ("skip",))


def test_modes_in_effect(rows):
    """Each variant's test_functions_in_use passed: torch.nn.init's samplers gave
    xavier's values in the xavier modes, and torch's own in the torch mode."""
    seeds = dict(run_suite.PLAN)
    for mode in MODES:
        passed = [r for r in rows if r["mode"] == mode and r["test"] == "test_functions_in_use"
                  and r["outcome"] == "pass"]
        assert len(passed) == len(run_suite.BASES) * len(seeds[mode]), mode


def test_statistical_tests_ran(rows):
    """The KS tests of xavier's samplers ran (scipy present, @slowTest lifted)."""
    ks = {"test_uniform", "test_normal", "test_trunc_normal_generator", "test_xavier_uniform",
          "test_xavier_normal", "test_kaiming_uniform", "test_kaiming_normal",
          "test_sparse_default_std"}
    for mode in MODES:
        passed = {test for _, test in _tests(rows, mode, ("pass",))}
        assert ks <= passed, (mode, ks - passed)
        assert any(t.startswith("test_trunc_normal_all_dtypes") for t in passed), mode
