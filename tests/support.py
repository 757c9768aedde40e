"""Helpers shared by the test files (imported as `support`: pytest puts tests/ on sys.path)."""
import io
import os

import numpy as np


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
