"""Every code example of README.md and docs/*.md runs, and does what it says.

A page's fenced ``python`` blocks run in order, in one namespace, in a
temporary directory of the page's own (so files they write go there); its
``bash`` (or ``console``, ``sh``, ``shell``) blocks hold ``xavier ...``
commands, run as subprocesses (``python -m xavier ...``) in the same
directory, in page order with the Python blocks.  Comments right before a
block, each on a line of its own, say how to treat it:

``<!-- not-run: reason -->``
    the block is not run (installs, full benchmarks, rewriting the
    repository); it is reported as skipped with the reason.
``<!-- requires: package ... -->``
    the block needs these packages (beyond what it imports, which is
    detected): where one is missing the block is skipped.
``<!-- file: NAME -->``
    the block's text is written to NAME in the page's directory before any
    of the page's blocks run (a spec that the page's commands read).
``<!-- exit: N -->``
    each command of the ``bash`` block must exit with status N (default 0).

A ``python`` or ``bash`` block that cannot run must say so: a ``bash`` block
with a command other than ``xavier`` and no ``not-run`` marker fails
``test_pages_mark_every_block``, as does a marker that precedes no block.
Blocks importing an optional package (torch, dask, transformers, ...) are
skipped where it is missing.
"""
from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pages() -> List[str]:
    pages = ["README.md"]
    for folder, dirs, files in os.walk(os.path.join(ROOT, "docs")):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        pages += sorted(os.path.relpath(os.path.join(folder, f), ROOT).replace(os.sep, "/")
                        for f in files if f.endswith(".md"))
    return pages


PYTHON = {"python", "py", "python3"}
SHELL = {"bash", "console", "sh", "shell"}
MARKER_KEYS = {"not-run", "requires", "file", "exit"}
OTHER_COMMENTS = {"generated"}     # benchmarks/readme.py's section markers
MARKER = re.compile(r"^<!--\s*([\w-]+)\s*:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`{]*)(.*)$")

# Optional packages, as imported -> the module to try (xavier's optional modules
# stand for the package they need).
OPTIONAL = {"torch": "torch", "transformers": "transformers", "dask": "dask.array",
            "distributed": "distributed", "zarr": "zarr", "safetensors": "safetensors",
            "ml_dtypes": "ml_dtypes", "matplotlib": "matplotlib", "scipy": "scipy",
            "tqdm": "tqdm", "xavier.torch": "torch", "xavier.dask": "dask.array",
            "jax": "jax", "flax": "flax", "keras": "keras", "xavier.jax": "jax",
            "xavier.keras": "keras"}
# Keras 3 needs a backend named before its import (as the pages' examples set it)
os.environ.setdefault("KERAS_BACKEND", "jax")


@dataclass
class Block:
    page: str
    line: int                       # 1-based line of the opening fence
    lang: str
    text: str
    markers: Dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def kind(self) -> str:
        if "file" in self.markers:
            return "file"
        if self.lang in PYTHON:
            return "python"
        if self.lang in SHELL:
            return "shell"
        return "other"


def parse(page: str) -> Tuple[List[Block], List[str]]:
    """The fenced blocks of `page` with their markers, and any problems."""
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks: List[Block] = []
    problems: List[str] = []
    pending: Dict[str, str] = {}
    pending_line = 0
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m and m.group(1) not in OTHER_COMMENTS:
            key, value = m.group(1), m.group(2)
            if key not in MARKER_KEYS:
                problems.append(f"{page}:{i + 1}: unknown marker {key!r}")
            elif not value:
                problems.append(f"{page}:{i + 1}: marker {key!r} needs a value")
            pending[key] = value
            pending_line = pending_line or i + 1
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if fence is None:
            if pending:
                problems.append(f"{page}:{pending_line}: marker(s) {sorted(pending)} are not "
                                "right before a fenced block")
                pending, pending_line = {}, 0
            i += 1
            continue
        mark, lang = fence.group(1), fence.group(2).lower()
        j = i + 1
        while j < len(lines) and not re.match(rf"^ {{0,3}}{mark[0]}{{{len(mark)},}}\s*$",
                                              lines[j]):
            j += 1
        blocks.append(Block(page, i + 1, lang, "\n".join(lines[i + 1:j]) + "\n", pending))
        pending, pending_line = {}, 0
        i = j + 1
    if pending:
        problems.append(f"{page}:{pending_line}: marker(s) at the end of the page")
    for b in blocks:
        if b.kind == "shell" and "not-run" not in b.markers:
            for cmd in commands(b):
                if cmd[:1] != ["xavier"]:
                    problems.append(f"{b.id}: runs {shlex.join(cmd)!r}, not an xavier command: "
                                    "run only xavier commands, or mark the block "
                                    "<!-- not-run: reason -->")
        if "exit" in b.markers and (b.kind != "shell" or not b.markers["exit"].isdigit()):
            problems.append(f"{b.id}: 'exit' takes a status, on a bash block")
        if b.kind == "file" and ("/" in b.markers["file"] or b.markers["file"].startswith(".")):
            problems.append(f"{b.id}: 'file' takes a plain file name")
    return blocks, problems


def commands(block: Block) -> List[List[str]]:
    """A shell block's commands: continuation lines joined, comments and prompts dropped."""
    out = []
    for line in block.text.replace("\\\n", " ").split("\n"):
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:]
        words = shlex.split(line, comments=True)
        if words[:3] == ["python", "-m", "xavier"]:
            words = ["xavier"] + words[3:]
        if words:
            out.append(words)
    return out


def requirements(block: Block) -> List[str]:
    """The optional modules a Python block needs: its imports, and its 'requires' marker."""
    needed = block.markers.get("requires", "").split()
    try:
        tree = ast.parse(block.text)
    except SyntaxError:
        return needed       # reported when the block runs
    for node in ast.walk(tree):
        names: List[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            for k in (".".join(parts[:2]), parts[0]):
                if k in OPTIONAL:
                    needed.append(OPTIONAL[k])
                    break
    return list(dict.fromkeys(needed))


def _missing(modules: List[str]) -> List[str]:
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


PAGES = {page: parse(page) for page in _pages()}
RUNNABLE = [b for blocks, _ in PAGES.values() for b in blocks if b.kind in ("python", "shell")]


def test_pages_mark_every_block():
    """Every python and bash block runs or says why not; markers sit on blocks."""
    problems = [p for _, page_problems in PAGES.values() for p in page_problems]
    assert not problems, "\n".join(problems)
    assert any(b.page == "README.md" for b in RUNNABLE)
    assert any(b.page.startswith("docs/") for b in RUNNABLE)


# ---- running the blocks -------------------------------------------------------------

class PageRun:
    """One page's run so far: its namespace, its directory, its blocks' outcomes."""

    def __init__(self, page: str, directory: str):
        self.blocks = PAGES[page][0]
        self.dir = directory
        self.namespace: Dict[str, Any] = {"__name__": "__main__"}
        self.done = 0                              # blocks[:done] have been dealt with
        self.skipped: List[str] = []               # blocks skipped for missing packages
        for b in self.blocks:                      # files are there from the start
            if b.kind == "file":
                with open(os.path.join(directory, b.markers["file"]), "w",
                          encoding="utf-8") as f:
                    f.write(b.text)

    def run_until(self, block: Block) -> None:
        """Run the page's blocks before `block` that have not run yet."""
        index = self.blocks.index(block)
        while self.done < index:
            b = self.blocks[self.done]
            self.done += 1
            try:
                self.run(b)
            except pytest.skip.Exception:
                pass
            except Exception:
                pass     # reported by that block's own test

    def run(self, b: Block) -> None:
        if "not-run" in b.markers:
            pytest.skip(f"not-run: {b.markers['not-run']}")
        if b.kind == "python":
            self.run_python(b)
        elif b.kind == "shell":
            self.run_shell(b)

    def run_python(self, b: Block) -> None:
        missing = _missing(requirements(b))
        if missing:
            self.skipped.append(f"{b.id} (needs {', '.join(missing)})")
            pytest.skip(f"needs {', '.join(missing)}")
        code = compile(b.text, b.id, "exec")
        old = os.getcwd()
        os.chdir(self.dir)
        try:
            exec(code, self.namespace)
        except NameError as e:
            if self.skipped:
                pytest.skip(f"{e} (defined by a block skipped here: {'; '.join(self.skipped)})")
            raise
        finally:
            os.chdir(old)

    def run_shell(self, b: Block) -> None:
        expected = int(b.markers.get("exit", "0"))
        for cmd in commands(b):
            proc = subprocess.run([sys.executable, "-m", "xavier", *cmd[1:]], cwd=self.dir,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == expected, (
                f"{b.id}: {shlex.join(cmd)} exited {proc.returncode}, expected {expected}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
            if expected != 0:   # an error is one line, never a traceback
                assert "Traceback" not in proc.stderr, proc.stderr


@pytest.fixture(scope="session")
def page_runs(tmp_path_factory):
    runs: Dict[str, PageRun] = {}

    def get(page: str) -> PageRun:
        if page not in runs:
            name = re.sub(r"\W+", "-", page)
            runs[page] = PageRun(page, str(tmp_path_factory.mktemp(name)))
        return runs[page]

    return get


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: f"{b.id}-{b.kind}")
def test_example(block, page_runs):
    run = page_runs(block.page)
    run.run_until(block)
    run.done = max(run.done, run.blocks.index(block) + 1)
    run.run(block)
