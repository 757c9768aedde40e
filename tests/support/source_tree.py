"""Copy this repository's source tree, to rebuild the core with other flags."""
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def copy_source_tree(dest: Path, with_tests: bool = False) -> None:
    """The build's files (setup.py, pyproject.toml and the files it names,
    src/, xavier/) and, if asked, tests/ into `dest`, without built files;
    skips the test if the tree is not there."""
    names = ["setup.py", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "src", "xavier"]
    for name in names + (["tests"] if with_tests else []):
        src = ROOT / name
        if not src.exists():
            pytest.skip(f"source tree not available ({name})")
        if src.is_dir():
            shutil.copytree(src, dest / name,
                            ignore=shutil.ignore_patterns("*.so", "_core.c", "__pycache__"))
        else:
            shutil.copy(src, dest / name)
