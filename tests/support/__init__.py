"""Helpers shared by the test files (imported as `support`: pytest puts tests/ on sys.path).

The package's modules, imported as ``from support import NAME``:

* ``reference``: a pure-Python/NumPy reference of the RNG and of the stream;
* ``frameworks``: the Keras, JAX and PyTorch initializer formulas;
* ``samplers``: the samplers, dtypes and block size the API tests run over;
* ``battery``: a statistical battery on the raw stream (also a script:
  ``python tests/support/battery.py --help``);
* ``raw_stream``: a script that writes the raw stream to stdout;
* ``cc_without_openmp``: a C compiler wrapper without OpenMP (a script, run by path).
"""
import io
import os
import subprocess
import sys
import time

import numpy as np


def output_dtypes():
    """The dtypes xavier writes: bfloat16 where ml_dtypes is installed."""
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        return ["float32", "float64", "float16"]
    return ["float32", "float64", "float16", "bfloat16"]


def bits(a):
    """The bits of an array's items, as unsigned integers of the same size."""
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def npy_bytes(arr):
    """What np.save writes for `arr`."""
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def run_cli(*argv):
    """The exit status of the `xavier` command run in this process."""
    from xavier import _cli

    return _cli.main([str(a) for a in argv])


def hypothesis_settings(examples, *health_checks):
    """The suites' hypothesis settings: `examples` fixed examples per property in
    CI (reproducible); XAVIER_HYPOTHESIS_EXAMPLES=N for more, and
    XAVIER_HYPOTHESIS_RANDOM=1 for fresh random ones on each run."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=int(os.environ.get("XAVIER_HYPOTHESIS_EXAMPLES", str(examples))),
                    deadline=None,
                    derandomize=os.environ.get("XAVIER_HYPOTHESIS_RANDOM", "") in ("", "0"),
                    suppress_health_check=[HealthCheck.too_slow, *health_checks])


def start_generate(args, cwd):
    """`python -m xavier generate ARGS` in a child process (stderr piped), run in
    `cwd`: outside the source tree, so the installed package is the one imported."""
    return subprocess.Popen([sys.executable, "-m", "xavier", "generate", *map(str, args)],
                            stderr=subprocess.PIPE, text=True, cwd=cwd)


def _written(pid):
    try:
        with open(f"/proc/{pid}/io") as f:
            return int(dict(line.split(": ") for line in f.read().splitlines())["wchar"])
    except (OSError, KeyError, ValueError):
        return None


def start_writing(args, cwd, at_least=32 << 20):
    """A `generate` child (4 MiB chunks) once it has written `at_least` bytes."""
    import pytest

    p = start_generate([*args, "--chunk-mb", 4], cwd)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        w = _written(p.pid)
        if w is None and p.poll() is None and not os.path.exists(f"/proc/{p.pid}/io"):
            p.kill()
            pytest.skip("no /proc/PID/io here")
        if w is not None and w > at_least:
            return p
        if p.poll() is not None:
            pytest.fail(f"the writer ended early: {p.stderr.read()}")
        time.sleep(0.005)
    p.kill()
    pytest.fail("the writer wrote nothing in 60 s")
