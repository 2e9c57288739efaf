"""Village names to subdistricts (geo.villages), and the bundled DOPA list it reads."""

from __future__ import annotations

import doctest

import pytest

import geo.villages
from geo.villages import VillageIndex
from registry.nearest.village_search import VILLAGES_FILE, village_index


def test_docstring_examples() -> None:
    assert doctest.testmod(geo.villages).failed == 0


def test_names_with_and_without_ban_and_numbered_placeholders_left_out() -> None:
    index = VillageIndex(
        ["1", "2", "3", "4"],
        ["บ้านหนองบัว", "บ้านหนองบัว", "หมู่ ๓", "บ้านบางพระ"],
        ["Ban Nong Bua", "Ban Nong Bua", "Mu 3", "Ban Bang Phra"],
        ["TH500101", "TH400101", "TH500102", "TH200101"],
    )
    assert [v.code for v in index.find("หนองบัว")] == ["1", "2"]
    assert [v.code for v in index.find("ban nong-bua")] == ["1", "2"]
    assert index.find("หมู่ ๓") == []
    assert len(index) == 3
    assert [v.code for v in index.find("Bang Phra")] == ["4"]
    assert index.find("g Phra") == []  # "Ban" is cut as a word, never off "Bang"


def test_mismatched_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        VillageIndex(["1"], ["a", "b"], ["a"], ["TH500101"])


def test_bundled_list_has_the_current_villages() -> None:
    assert VILLAGES_FILE.exists()
    index = village_index()
    assert 74_000 < len(index) <= 75_207  # current villages, less numbered placeholders
    found = index.find("บ้านต้นเปา")
    assert [v.subdistrict for v in found] == ["TH501312"]
