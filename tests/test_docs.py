"""The Examples in the docstrings run and give what they show."""
import doctest
import importlib

import pytest

import xavier
import xavier._api
import xavier._core
import xavier._fans
import xavier._presets


@pytest.mark.parametrize("module", [xavier, xavier._api, xavier._fans, xavier._presets,
                                    xavier._core],
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
