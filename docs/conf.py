"""Sphinx configuration of xavier's documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (the docs extra:
``pip install '.[docs]'``).  The pages are Markdown (MyST); the API reference
is generated from the docstrings (autodoc + numpydoc).  The API pages of
``xavier.torch`` and ``xavier.dask`` need torch and dask to import; where one
is missing its page is left out of the build (and says so in the build log).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The docs document the installed package.  Running from the repository root
# would import the source folder instead (which has no compiled core unless
# it was installed in editable mode), so leave the root off sys.path.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != ROOT]

import xavier  # noqa: E402

project = "xavier"
author = "The xavier developers"
copyright = "The xavier developers"
version = release = xavier.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]
if importlib.util.find_spec("sphinx_copybutton") is not None:   # optional
    extensions.append("sphinx_copybutton")

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# API pages whose module cannot be imported here are left out, and so are their
# toctree entries (with the warning that says so, and only that one, silenced).
suppress_warnings: list = []
# Keras 3 needs a backend named before its import (TensorFlow is not assumed)
os.environ.setdefault("KERAS_BACKEND", "jax")
_OPTIONAL_API = {"api/torch": "torch", "api/dask": "dask.array", "api/jax": "jax",
                 "api/keras": "xavier.keras"}
for _page, _module in _OPTIONAL_API.items():
    try:
        importlib.import_module(_module)
    except ImportError:
        print(f"xavier docs: {_module} is not installed, leaving out {_page}")
        exclude_patterns.append(_page + ".rst")
        suppress_warnings = ["toc.excluded"]

myst_enable_extensions: list = []
myst_heading_anchors = 3

autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"           # numpydoc's Parameters sections carry the types
autosummary_generate = False          # no stub files: the API pages list their objects
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"xavier {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list = []
