"""The examples in the importers' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "importers.report",
    "importers.columns",
    "importers.coords",
    "importers.values",
    "importers.provinces",
    "importers.formats",
    "importers.formats.base",
    "importers.normalize",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
