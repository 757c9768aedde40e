"""Run PyTorch's own torch.nn.init tests with torch's and with xavier's functions.

Loads torch_test_init.py (PyTorch's test/nn/test_init.py, vendored; see its
header) and runs its TestNNInit and TestNNInitDeviceTypeCPU in three modes,
each under several torch seeds:

* ``torch``: torch's own functions, as upstream (the sanity run);
* ``fast_init``: inside ``xavier.torch.fast_init()``, which swaps the code of
  torch.nn.init's function objects and makes Tensor.normal_/uniform_ draw from
  xavier (so torch's sparse_ and orthogonal_ draw from xavier too);
* ``patched``: ``torch.nn.init.<name>`` set to ``xavier.torch.<name>`` for the
  seven functions xavier provides.

orthogonal_, sparse_, dirac_, eye_, constant_, zeros_, ones_ and
calculate_gain are torch's in every mode.  Each variant class also has
``test_functions_in_use``, which checks that the mode is in effect: the seven
torch.nn.init functions give xavier's values in the xavier modes and not in
the torch mode.

    python tests/torch_suite/run_suite.py [MODE:SEEDS ...] [--json PATH] [-v]

runs each MODE (torch, fast_init, patched) under its SEEDS (comma-separated,
or a range LO-HI, as in fast_init:0-39); without any, the plan that
tests/test_torch_suite.py runs (PLAN): the torch and patched modes under
upstream's seed, fast_init under five seeds (the patched and fast_init modes
give the same values for the same seed: the statistical tests gain nothing
from running both under it), and

prints a summary per mode (and every failure), writes the outcome of every
test to PATH, and exits 1 if any test failed.  tests/test_torch_suite.py runs
it in a subprocess: torch.testing._internal.common_utils, which the vendored
file imports, changes the process it is imported into (it disables setting
torch.backends flags outside their context managers, wraps ScriptFunction
calls, and seeds torch, random and NumPy), which the other test files should
not see.
"""
import argparse
import contextlib
import importlib.util
import json
import os
import sys
import time
import types
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
UPSTREAM = os.path.join(HERE, "torch_test_init.py")
MODES = ("torch", "fast_init", "patched")
# the first is common_utils.SEED, the seed upstream's own run uses
SEEDS = (1234, 0, 1, 2, 3)
NAMES = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
         "kaiming_uniform_", "kaiming_normal_")
BASES = ("TestNNInit", "TestNNInitDeviceTypeCPU")
PLAN = (("torch", (1234,)), ("fast_init", SEEDS), ("patched", (1234,)))


def _expecttest_stand_in():
    """common_utils imports `expecttest` (a test dependency of PyTorch's, not
    of the torch wheel) for its TestCase's base class; only the
    assertExpected* methods use it, and test_init.py calls none."""
    try:
        import expecttest  # noqa: F401
    except ModuleNotFoundError:
        module = types.ModuleType("expecttest")

        class TestCase(unittest.TestCase):
            pass

        module.TestCase = TestCase
        module.ACCEPT = False
        sys.modules["expecttest"] = module


def load_upstream():
    """The vendored module (imported once per process)."""
    if "torch_test_init" in sys.modules:
        return sys.modules["torch_test_init"]
    _expecttest_stand_in()
    spec = importlib.util.spec_from_file_location("torch_test_init", UPSTREAM)
    module = importlib.util.module_from_spec(spec)
    sys.modules["torch_test_init"] = module
    spec.loader.exec_module(module)
    return module


def mode_context(mode):
    """A context manager in which torch.nn.init's functions are `mode`'s."""
    import torch
    import xavier.torch as xt

    if mode == "torch":
        return contextlib.nullcontext()
    if mode == "fast_init":
        return xt.fast_init()
    if mode == "patched":
        stack = contextlib.ExitStack()
        for name in NAMES:
            stack.enter_context(mock.patch.object(torch.nn.init, name, getattr(xt, name)))
        return stack
    raise ValueError(f"unknown mode {mode!r}")


# upstream's KS helpers, with scipy given a float64 NumPy array of the samples
# rather than a Python list of them (the same numbers: tolist() gives each
# value as a double): half the time, most of this suite's
def _samples(tensor):
    return tensor.reshape(-1).double().numpy()


def _is_normal(self, tensor, mean, std):
    from scipy import stats
    p_value = stats.kstest(_samples(tensor), "norm", args=(mean, std))[1]
    return p_value > 0.0001


def _is_trunc_normal(self, tensor, mean, std, a, b):
    from scipy import stats
    z_samples = (tensor.view(-1) - mean) / std
    a0 = (a - mean) / std
    b0 = (b - mean) / std
    p_value = stats.kstest(_samples(z_samples), "truncnorm", args=(a0, b0))[1]
    return p_value > 0.0001


def _is_uniform(self, tensor, a, b):
    from scipy import stats
    p_value = stats.kstest(_samples(tensor), "uniform", args=(a, (b - a)))[1]
    return p_value > 0.0001


def variant(base, mode, seed):
    """`base` (an upstream TestCase class) with its tests run in `mode` under
    torch.manual_seed(seed)."""
    import torch
    import xavier.torch as xt

    upstream = load_upstream()

    def setUp(self):
        base.setUp(self)             # upstream's: common_utils seeds, then its own
        torch.manual_seed(seed)
        stack = contextlib.ExitStack()
        stack.enter_context(mode_context(mode))
        self.addCleanup(stack.close)

    def test_functions_in_use(self):
        for name in NAMES:
            got, ours = torch.empty(16, 16), torch.empty(16, 16)
            torch.manual_seed(7)
            getattr(torch.nn.init, name)(got)
            torch.manual_seed(7)
            getattr(xt, name)(ours)
            same = torch.equal(got, ours)
            if mode == "torch":
                self.assertFalse(same, f"torch.nn.init.{name} gave xavier's values")
            else:
                self.assertTrue(same, f"torch.nn.init.{name} is not xavier's in {mode}")

    attrs = {"setUp": setUp, "test_functions_in_use": test_functions_in_use,
             "__module__": __name__, "xavier_mode": mode, "xavier_seed": seed}
    for name, helper in (("_is_normal", _is_normal), ("_is_trunc_normal", _is_trunc_normal),
                         ("_is_uniform", _is_uniform)):
        if hasattr(base, name):
            attrs[name] = helper
    # upstream's @slowTest tests (test_xavier_uniform: the KS test of
    # xavier_uniform_, under a second) run here through the function they wrap
    for attr in dir(base):
        fn = getattr(base, attr)
        if attr.startswith("test") and getattr(fn, "slow_test", False) \
                and hasattr(fn, "__wrapped__") and upstream.TEST_SCIPY:
            attrs[attr] = fn.__wrapped__
    return type(f"{base.__name__}_{mode}_seed{seed}", (base,), attrs)


def variants(plan=PLAN):
    """The variant classes of `plan`, pairs (mode, seeds)."""
    upstream = load_upstream()
    return [variant(getattr(upstream, base), mode, seed)
            for mode, seeds in plan for seed in seeds for base in BASES]


class Result(unittest.TestResult):
    """Every test's outcome: (class, mode, seed, method, outcome, detail)."""

    def __init__(self, verbose=False):
        super().__init__()
        self.rows = []
        self.verbose = verbose
        self._start = 0.0

    def startTest(self, test):
        super().startTest(test)
        self._start = time.perf_counter()

    def _add(self, test, outcome, detail=""):
        cls = type(test)
        self.rows.append({"class": cls.__name__, "mode": cls.xavier_mode,
                          "seed": cls.xavier_seed, "test": test._testMethodName,
                          "outcome": outcome, "detail": detail,
                          "seconds": round(time.perf_counter() - self._start, 3)})
        if self.verbose:
            print(f"{cls.__name__}.{test._testMethodName}: {outcome}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._add(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._add(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._add(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._add(test, "skip", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._add(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._add(test, "fail", "unexpected success")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._add(test, "fail", self._exc_info_to_string(err, test))


def run(plan=PLAN, verbose=False):
    """Run the variants of `plan`; the rows of Result."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(cls)
                               for cls in variants(plan))
    result = Result(verbose)
    suite.run(result)
    return result.rows


def summary(rows):
    """{mode: {outcome: count}}."""
    out = {}
    for row in rows:
        counts = out.setdefault(row["mode"], {"run": 0, "pass": 0, "fail": 0, "error": 0,
                                              "skip": 0})
        counts["run"] += 1
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return out


def _plan_item(text):
    mode, _, seeds = text.partition(":")
    if mode not in MODES or not seeds:
        raise argparse.ArgumentTypeError(f"expected MODE:SEEDS, MODE one of {MODES}")
    if "-" in seeds:
        lo, hi = seeds.split("-")
        return mode, tuple(range(int(lo), int(hi) + 1))
    return mode, tuple(int(s) for s in seeds.split(","))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="*", type=_plan_item, metavar="MODE:SEEDS",
                        help="e.g. torch:1234 fast_init:0-39 (default: PLAN)")
    parser.add_argument("--json", help="write every test's outcome here")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    # common_utils reads sys.argv only in run_tests(), which is not called;
    # leave it nothing to misread all the same
    sys.argv[1:] = []
    start = time.perf_counter()
    rows = run(tuple(args.plan) or PLAN, args.verbose)
    seconds = time.perf_counter() - start
    for row in rows:
        if row["outcome"] in ("fail", "error"):
            print(f"--- {row['outcome'].upper()}: {row['class']}.{row['test']}\n{row['detail']}")
    for mode, counts in summary(rows).items():
        print(f"{mode:10s} " + "  ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"{len(rows)} tests in {seconds:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seconds": seconds, "rows": rows}, f, indent=1)
    return int(any(row["outcome"] in ("fail", "error") for row in rows))


if __name__ == "__main__":
    sys.exit(main())
