"""The examples in the importers' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "importers.report",
    "importers.columns",
    "importers.coords.crs",
    "importers.coords.locate",
    "importers.coords.parse",
    "importers.values.choices",
    "importers.values.dates",
    "importers.values.lists",
    "importers.values.numbers",
    "importers.values.phones",
    "importers.provinces",
    "importers.formats",
    "importers.formats.base",
    "importers.normalize.read",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
