"""The Examples in the docstrings run and give what they show."""
import doctest
import importlib

import pytest

import xavier
import xavier._api
import xavier._core
import xavier._demo
import xavier._fans
import xavier._presets
import xavier._seeds


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
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_generated_sections_are_up_to_date():
    """README.md's bench and demo sections are what benchmarks/readme.py renders
    from the committed results (so they were generated, not edited by hand)."""
    import importlib.util
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("readme", os.path.join(root, "benchmarks",
                                                                         "readme.py"))
    readme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme)
    with open(os.path.join(root, "README.md")) as f:
        text = f.read()
    sections = readme.render(root)
    assert readme.update(text, sections) == text
    for name in ("bench", "demo"):
        assert sections[name] in text
        with open(os.path.join(root, "benchmarks", "results", f"{name}.png"), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert "xavier bench" in sections["bench"] and "| `xavier.glorot_uniform(out=)` |" in \
        sections["bench"]
