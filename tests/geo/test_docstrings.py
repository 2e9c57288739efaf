"""The examples in geo's docstrings run and hold, in every module of the split packages."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

from geo.zorder import z_order

# doctest.testmod reads only the objects a module defines itself, so a package's examples
# are run module by module.
PACKAGES = ["geo.coverage", "geo.nearest", "geo.places", "geo.population"]
MODULES = ["geo.cpus", "geo.zorder"] + [
    module.name
    for package in PACKAGES
    for module in pkgutil.walk_packages(
        importlib.import_module(package).__path__, prefix=package + "."
    )
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", ["geo.cpus", "geo.zorder", *PACKAGES])
def test_every_package_shows_examples(name: str) -> None:
    names = [name] + [m for m in MODULES if m.startswith(name + ".")]
    finder = doctest.DocTestFinder()
    examples = sum(
        len(test.examples)
        for module in names
        for test in finder.find(importlib.import_module(module))
    )
    assert examples > 0


def test_z_order_is_a_permutation_keeping_the_input_order_within_a_cell():
    rng = np.random.default_rng(7)
    lon = 98.0 + rng.random(5_000) * 8
    lat = 6.0 + rng.random(5_000) * 14
    for bits in (1, 8, 12, 16):
        order = z_order(lon, lat, bits=bits)
        assert np.array_equal(np.sort(order), np.arange(lon.size))
    # One point repeated: every key is equal, so the order is the input order.
    assert z_order(np.full(9, 100.0), np.full(9, 14.0), bits=12).tolist() == list(range(9))


@pytest.mark.parametrize("bits", [0, 17, 8.0, True])
def test_z_order_refuses_a_grid_it_cannot_key(bits):
    with pytest.raises(ValueError, match="bits must be an integer from 1 to 16"):
        z_order(np.zeros(3), np.zeros(3), bits=bits)
