"""The argument layer of `xavier generate`, fuzzed: argument lists built from
valid and invalid values (fractional, negative, huge, empty, glued,
repeated options, stray tokens) never end in a traceback.  A run exits 0,
or 2 with one line on stderr (1 only for an output that exists), and a
refused run writes nothing.  In this process (main(argv)), a few ms a run."""
import contextlib
import io
import os
import tempfile

import pytest

from xavier import _cli, _inits

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support import hypothesis_settings  # noqa: E402

# Bad values of every kind; each option's good ones are below.
BAD = ["", " ", "x", "-", "--", "\n", "nan", "inf", "-inf", "1e400", "-1e400", "-1", "-0.5",
       "0.5", "1.5", "3x3", "1,2", "0x10", "1_000", "true", "9" * 30, "9" * 5000, "-" + "9" * 25,
       str(2 ** 63), str(2 ** 64), "x" * 300, "UNIFORM", "fan_sum"]
# tiny shapes (a run stays fast and small); big dims are refused before any writing
DIMS = ["0", "1", "2", "3"]
NUMBER = ["0", "1", "2.5", "-1", "0.5", "1e-30"]
AXIS = ["0", "1", "-1", "2"]
GOOD = {
    "--seed": ["0", "1", "7", "9" * 30],
    "--dtype": ["float32", "float64", "float16", "bfloat16"],
    "--format": ["npy", "safetensors", "dir"],
    "--name": ["weight", "fc.weight", "__metadata__"],
    "--gain": NUMBER, "--scale": NUMBER, "--low": NUMBER, "--high": NUMBER, "--mean": NUMBER,
    "--std": NUMBER, "--a": NUMBER, "--b": NUMBER, "--value": NUMBER,
    "--mode": ["fan_in", "fan_out", "fan_avg"],
    "--distribution": ["uniform", "normal", "truncated_normal", "untruncated_normal"],
    "--layout": ["torch", "keras"],
    "--chunk-mb": ["1", "0.001", "1e-300", "1e300"],
    "--threads": ["1", "2", str(10 ** 10)],
}
LISTS = {"--shape": DIMS, "--in-axis": AXIS, "--out-axis": AXIS, "--batch-axis": AXIS,
         "--fans": ["1", "2", "3", "0"]}
FLAGS = ["-q", "--quiet", "--force"]
INITS = [*_inits.INITS, *_inits.ALIASES]
FLAG_OF = {name: "--" + name.replace("_", "-") for names in _inits.OPTIONS.values()
           for name in names}
EVERY = sorted([*GOOD, *LISTS, *FLAGS, "--init", "--truncated", "--spec"])
OUTPUTS = ["w.npy", "w.safetensors", "w", "w.bin", "", "sub/w.npy", "m.json/w.npy", "m.json"]


@st.composite
def argvs(draw):
    """A `generate` argument list: mostly good values of options the init
    takes; now and then a bad value, an option it does not take, an option
    given twice, a stray token or no -o."""
    def rarely(n):    # true once in n (the simplest draw, which hypothesis favours, is false)
        return draw(st.sampled_from([False] * (n - 1) + [True]))

    init = draw(st.sampled_from([None, *INITS]))
    takes = [FLAG_OF[n] for n in _inits.OPTIONS[_inits.check_init(init or "glorot_uniform")]]
    usual = sorted(set(takes) & set(EVERY)) + ["--seed", "--dtype", "--chunk-mb", "--threads",
                                               "--name", *FLAGS]
    names = draw(st.lists(st.sampled_from(usual), max_size=4, unique=True))
    if rarely(4):
        names.append(draw(st.sampled_from(EVERY)))
    if not rarely(10):
        names.insert(0, "--shape")
    if init is not None:
        names.insert(draw(st.integers(0, len(names))), "--init")

    def value(good):
        return draw(st.sampled_from(BAD)) if rarely(12) else draw(st.sampled_from(good))

    groups = []
    for name in names:
        if name in FLAGS:
            values = []
        elif name == "--init":
            values = [init]
        elif name == "--truncated":
            values = draw(st.sampled_from([[], ["true"], ["false"], [value(["yes"])]]))
        elif name == "--spec":
            values = [draw(st.sampled_from(["m.json", "missing.toml", ".", ""]))]
        elif name in LISTS:
            values = [value(LISTS[name]) for _ in range(draw(st.integers(1, 4)))]
        else:
            values = [value(GOOD[name])]
        groups.append([name, *values])
    if not rarely(15):
        output = draw(st.sampled_from(OUTPUTS)) if rarely(4) else "w.npy"
        groups.insert(draw(st.integers(0, len(groups))), ["-o", output])
    argv = [arg for group in groups for arg in group]
    if rarely(15):
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(BAD)))
    return ["generate", *argv]


SPEC = '{"seed": 1, "tensors": {"w": {"shape": [2, 3], "init": "he_normal"}}}'


def _run(argv):
    """(exit status, stdout, stderr) of main(argv) in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = _cli.main(argv)
        except SystemExit as e:    # argparse: --help, or a usage error
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


@given(argvs())
@hypothesis_settings(500)
def test_generate_never_fails_with_a_traceback(argv):
    home = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "m.json"), "w") as f:
            f.write(SPEC)
        os.chdir(d)      # relative outputs land here, whatever token became one
        try:
            rc, out, err = _run(argv)
            left = sorted(os.listdir(d))
        finally:
            os.chdir(home)
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    assert rc in (0, 1, 2), (argv, rc, err)
    lines = [line for line in err.splitlines() if not line.startswith("xavier: warning: ")]
    if rc == 0:
        assert "error" not in err, (argv, err)
        return
    assert len(lines) == 1 and not out, (argv, err)
    usage = (lines[0].startswith("xavier generate: error: ")
             and lines[0].endswith(" (see 'xavier generate --help')"))
    assert usage and rc == 2 or lines[0].startswith("xavier: error: "), (argv, err)
    assert left == ["m.json"], (argv, left, err)     # nothing written, nothing left behind
    if rc == 1:   # the run failed: here only as -o m.json, the spec, exists
        assert "m.json: the output exists" in err, (argv, err)
