"""The documentation: the docstrings' examples run and give what they show, the
generated benchmark sections are up to date, and the Sphinx site builds with
warnings as errors.  (The examples of README.md and docs/ run in test_examples.py.)"""
import doctest
import importlib
import importlib.util
import os
import subprocess
import sys

import pytest

import xavier
import xavier._api
import xavier._core
import xavier._demo
import xavier._fans
import xavier._presets
import xavier._seeds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("module", [xavier, xavier._api, xavier._fans, xavier._presets,
                                    xavier._seeds, xavier._core, xavier._demo],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("name", ["xavier.torch", "xavier.initializers", "xavier.dask"])
def test_docstring_examples_of_optional_modules(name):
    pytest.importorskip({"xavier.torch": "torch", "xavier.dask": "dask.array"}.get(name, "numpy"))
    module = importlib.import_module(name)
    # a package's examples live in its modules (xavier.torch's public names)
    public = {getattr(module, n).__module__ for n in getattr(module, "__all__", ())
              if hasattr(getattr(module, n), "__module__")}
    modules = [module] + [importlib.import_module(m) for m in sorted(public)
                          if m.startswith(name + ".")]
    attempted = 0
    for m in modules:
        result = doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        attempted += result.attempted
        assert result.failed == 0, m.__name__
    assert attempted > 0


def _readme_script():
    spec = importlib.util.spec_from_file_location("readme", os.path.join(ROOT, "benchmarks",
                                                                         "readme.py"))
    readme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme)
    return readme


def test_generated_sections_are_up_to_date():
    """The benchmark sections of README.md, docs/benchmarks.md and docs/demo.md are
    what benchmarks/readme.py renders from the committed results (so they were
    generated, not edited by hand)."""
    readme = _readme_script()
    pages = readme.render(ROOT)
    assert set(pages) == {"README.md", "docs/benchmarks.md", "docs/demo.md",
                          "docs/checkpoint.md"}
    for page, sections in pages.items():
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            text = f.read()
        assert readme.update(text, sections, page) == text, \
            f"{page} is out of date: run python benchmarks/readme.py --write"
        for body in sections.values():
            assert body in text
    assert readme.stale(ROOT) == {}
    for name in ("bench", "demo"):
        with open(os.path.join(ROOT, "benchmarks", "results", f"{name}.png"), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    bench = pages["docs/benchmarks.md"]["bench"]
    assert "xavier bench" in bench and "| `xavier.glorot_uniform(out=)` |" in bench
    assert "](../benchmarks/results/bench.png)" in bench
    summary = pages["README.md"]["summary"]
    assert "](benchmarks/results/bench.png)" in summary and "| `xavier." in summary
    assert "](../benchmarks/results/demo.png)" in pages["docs/demo.md"]["demo"]


def test_readme_script_writes_only_when_asked(tmp_path):
    """benchmarks/readme.py rewrites files only with --write, and names them; --check
    fails on a stale file; with no flag it reports and writes nothing."""
    import shutil

    for page in ("README.md", "docs/benchmarks.md", "docs/demo.md", "docs/checkpoint.md",
                 "benchmarks/results/bench.json", "benchmarks/results/demo.json",
                 "benchmarks/results/checkpoint.json"):
        os.makedirs(tmp_path / os.path.dirname(page), exist_ok=True)
        shutil.copy(os.path.join(ROOT, page), tmp_path / page)
    stale = (tmp_path / "docs/benchmarks.md").read_text(encoding="utf-8").replace(
        "| `xavier.glorot_uniform(out=)` |", "| edited by hand |", 1)
    (tmp_path / "docs/benchmarks.md").write_text(stale, encoding="utf-8")
    script = os.path.join(ROOT, "benchmarks", "readme.py")

    def run(*flags):
        return subprocess.run([sys.executable, script, "--root", str(tmp_path), *flags],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    plain = run()
    assert plain.returncode == 0, plain.stderr
    assert "docs/benchmarks.md: out of date" in plain.stdout
    assert (tmp_path / "docs/benchmarks.md").read_text(encoding="utf-8") == stale
    check = run("--check")
    assert check.returncode == 1 and "docs/benchmarks.md" in check.stderr
    write = run("--write")
    assert write.returncode == 0, write.stderr
    assert write.stdout.split("\n")[0] == "wrote docs/benchmarks.md"
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8") as f:
        assert (tmp_path / "docs/benchmarks.md").read_text(encoding="utf-8") == f.read()
    assert run("--check").returncode == 0


def test_sphinx_build(tmp_path):
    """The site builds with warnings as errors (sphinx-build -W)."""
    pytest.importorskip("sphinx")
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
                           "-b", "html", "-d", str(tmp_path / "doctrees"),
                           os.path.join(ROOT, "docs"), str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    for page in ("index", "getting-started", "numpy", "torch", "initializers", "dask",
                 "offline", "cli", "demo", "stream", "benchmarks", "reliability",
                 "architecture", "development", "changelog", "api/index", "api/xavier",
                 "api/initializers"):
        assert (out / f"{page}.html").is_file(), page
    api = (out / "api" / "xavier.html").read_text(encoding="utf-8")
    assert 'id="xavier.glorot_uniform"' in api and 'id="xavier.Xoshiro256"' in api
