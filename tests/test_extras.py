"""Optional extras that are not installed fail evenly: an ImportError at once
(at import for xavier.torch and xavier.dask, before any work for the
command's --plot and bfloat16), one line naming the extra to install, as
`pip install 'xavier-init[EXTRA]'` (the distribution's name; the PyPI
name "xavier" is another project's).  tqdm, only a nicer progress bar,
falls back silently."""
import ast
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import pytest
from support import run_cli as run

import xavier

# Run first in a child: hides the top-level packages in HIDDEN (already
# imported or not) as an uninstalled package is hidden, by a finder that
# raises ModuleNotFoundError, or by None in sys.modules.
PRELUDE = textwrap.dedent("""\
    import importlib.abc, sys
    HIDDEN, HOW = sys.argv[1].split(","), sys.argv[2]
    for m in [m for m in sys.modules if m.split(".")[0] in HIDDEN]:
        del sys.modules[m]
    class Uninstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    if HOW == "finder":
        sys.meta_path.insert(0, Uninstalled())
    else:
        sys.modules.update(dict.fromkeys(HIDDEN, None))
    """)

CATCH = textwrap.dedent("""\
    try:
        {statement}
    except ImportError as e:
        print(type(e).__name__, isinstance(e, ModuleNotFoundError), e.name, sep="|")
        print(e)
    else:
        print("imported")
    """)


def without(hidden, code, how="finder", *args, cwd=None):
    """Run `code` in a child Python without the packages `hidden`, outside the
    source tree (whose xavier/ would shadow the installed package)."""
    return subprocess.run([sys.executable, "-c", PRELUDE + code, ",".join(hidden), how,
                           *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          cwd=cwd or tempfile.gettempdir())


def caught(hidden, statement, how):
    r = without(hidden, CATCH.format(statement=statement), how)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


TORCH_MESSAGE = ("xavier.torch needs PyTorch: pip install 'xavier-init[torch]' (CPU-only "
                 "machines: PyTorch's CPU wheel, pip install torch --index-url "
                 "https://download.pytorch.org/whl/cpu)")
DASK_MESSAGE = "xavier.dask needs dask: pip install 'xavier-init[dask]'"


@pytest.mark.parametrize("how", ["finder", "none"])
def test_xavier_torch_without_torch(how):
    assert caught(["torch"], "import xavier.torch", how) == [
        "ModuleNotFoundError|True|torch", TORCH_MESSAGE]
    # xavier itself does not need it
    assert caught(["torch"], "import xavier; xavier.glorot_uniform((2, 2), seed=1)",
                  how) == ["imported"]


@pytest.mark.parametrize("how", ["finder", "none"])
def test_xavier_dask_without_dask_fails_at_import(how):
    assert caught(["dask", "distributed"], "import xavier.dask", how) == [
        "ModuleNotFoundError|True|dask", DASK_MESSAGE]


def test_the_messages_are_what_an_uncaught_import_prints(tmp_path):
    """No chained traceback of the original error: the last line says it all."""
    for hidden, module, message in ((["torch"], "xavier.torch", TORCH_MESSAGE),
                                    (["dask"], "xavier.dask", DASK_MESSAGE)):
        r = without(hidden, f"import {module}", cwd=tmp_path)
        assert r.returncode == 1
        assert r.stderr.splitlines()[-1] == f"ModuleNotFoundError: {message}"
        assert "During handling" not in r.stderr and "No module named" not in r.stderr


def test_a_broken_torch_is_not_reported_as_missing(tmp_path):
    """A torch that is installed but fails to import (a module of its own
    missing) gets torch's error, not the install hint."""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("import _torch_part_that_is_missing\n")
    code = f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + \
        CATCH.format(statement="import xavier.torch")
    r = without(["_nothing"], code)
    assert r.stdout.splitlines() == ["ModuleNotFoundError|True|_torch_part_that_is_missing",
                                     "No module named '_torch_part_that_is_missing'"], r.stderr


@pytest.mark.parametrize("how", ["finder", "none"])
def test_bfloat16_without_ml_dtypes(how):
    assert caught(["ml_dtypes"], "import xavier; xavier.glorot_uniform(4, dtype='bfloat16')",
                  how) == ["ImportError|False|None",
                           "dtype bfloat16 needs ml_dtypes: pip install 'xavier-init[bfloat16]'"]


def test_bfloat16_without_ml_dtypes_on_the_command_line(tmp_path):
    """`bench --dtype bfloat16` times NumPy arrays of it: the hint, before any
    timing.  (`generate` writes bfloat16 files without ml_dtypes.)"""
    main = "import sys\nfrom xavier._cli import main\nsys.exit(main(sys.argv[3:]))"
    r = without(["ml_dtypes"], main, "finder", "bench", "--size", "32", "--repeats", "1",
                "--dtype", "bfloat16", "--json", "b.json", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("xavier: error: dtype bfloat16 needs ml_dtypes: "
                        "pip install 'xavier-init[bfloat16]'\n")
    assert os.listdir(tmp_path) == []
    r = without(["ml_dtypes"], main, "finder", "generate", "--shape", "4", "--dtype",
                "bfloat16", "--seed", "1", "-q", "-o", "w.npy", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "" and os.listdir(tmp_path) == ["w.npy"]


@pytest.mark.parametrize("command", [["demo", "--layers", "2", "--units", "8"],
                                     ["bench", "--size", "32", "--repeats", "1"]])
def test_plot_without_matplotlib(tmp_path, command):
    r = without(["matplotlib"], "import sys\nfrom xavier._cli import main\n"
                "sys.exit(main(sys.argv[3:]))", "finder",
                *command, "--plot", "p.png", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "xavier: error: --plot needs matplotlib: pip install 'xavier-init[plot]'\n"
    assert os.listdir(tmp_path) == []


def test_progress_without_tqdm_falls_back_silently(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)   # the bar would show
    assert run("generate", "--shape", 64, 64, "--seed", 1, "-o", tmp_path / "w.npy") == 0
    err = capsys.readouterr().err
    assert "MiB" in err and "100.0%" in err                  # the plain line
    assert "pip install" not in err and "error" not in err and "No module" not in err
    # where to get the bar is in the help
    with pytest.raises(SystemExit):
        run("generate", "--help")
    assert "(pip install 'xavier-init[cli]')" in capsys.readouterr().out


def _strings(path):
    """The string constants of a source file, less its docstrings."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]


def test_every_install_hint_names_the_distribution():
    """`pip install 'xavier[...]'` would install PyPI's unrelated "xavier":
    every hint the package raises or prints names xavier-init."""
    root = os.path.dirname(xavier.__file__)
    sources = sorted(os.path.join(top, name) for top, _, names in os.walk(root)
                     for name in names if name.endswith(".py"))
    assert os.path.join(root, "torch", "__init__.py") in sources
    text = "".join(s for path in sources for s in _strings(path))
    assert not re.search(r"\bxavier\[", text)
    extras = set(re.findall(r"pip install 'xavier-init\[(\w+)\]'", text))
    assert {"torch", "dask", "bfloat16", "plot", "cli"} <= extras, extras


def test_model_checkpoints_without_their_packages(tmp_path):
    """`generate --hf-config` without transformers, and `--torch-model` without
    torch: exit 2 and one line naming the extra, before anything is built."""
    main = "import sys\nfrom xavier._cli import main\nsys.exit(main(sys.argv[3:]))"
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    (tmp_path / "m.py").write_text("def build():\n    raise SystemExit(9)\n")
    for hidden, args, extra in (
            (["transformers"], ["--hf-config", "config.json"], "hf"),
            (["torch"], ["--torch-model", "m.py:build"], "torch"),
            (["torch"], ["--hf-config", "config.json"], "torch")):
        r = without(hidden, main, "finder", "generate", *args, "-o", "out", cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and f"pip install 'xavier-init[{extra}]'" in r.stderr
        assert not (tmp_path / "out").exists()
