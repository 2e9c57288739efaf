from __future__ import annotations

import csv

import pytest

from importers.provinces import MAPPING_FILE, match_province, provinces


def test_all_77_provinces_with_th_codes() -> None:
    known = provinces()
    assert len(known) == 77
    assert known["TH10"].name_en == "Bangkok"
    assert known["TH50"].name_th == "เชียงใหม่"
    assert all(code.startswith("TH") and len(code) == 4 for code in known)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("เชียงใหม่", "TH50"),
        ("จ.เชียงใหม่", "TH50"),
        ("จังหวัดเชียงใหม่", "TH50"),
        ("Changwat Chiang Mai", "TH50"),
        ("Chiang Mai Province", "TH50"),
        ("chiangmai", "TH50"),
        ("ชม", "TH50"),
        ("CMI", "TH50"),
        ("กทม.", "TH10"),
        ("กรุงเทพฯ", "TH10"),
        ("Bangkok", "TH10"),
        ("Korat", "TH30"),
        ("ลําปาง", "TH52"),  # nikhahit + sara aa, as typed
        ("สงขลา\u200b", "TH90"),
        ("อยุธยา", "TH14"),
        ("50", "TH50"),
        ("24.0", "TH24"),
        ("TH-50", "TH50"),
        ("TH50", "TH50"),
    ],
)
def test_exact_aliases(name, code) -> None:
    match = match_province(name)
    assert match is not None and match.code == code and match.exact


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("เชียงใหมม", "TH50"),
        ("Nakhon Ratchasrima", "TH30"),
        ("ศรีสะเกศ", "TH33"),
        ("Ayuthaya", "TH14"),
    ],
)
def test_close_misspellings_are_flagged(name, code) -> None:
    match = match_province(name)
    assert match is not None and match.code == code
    assert not match.exact and 0.8 <= match.score < 1


@pytest.mark.parametrize("name", ["Atlantis", "มาเลเซีย", "เรือนจำฯ", "ไม่ระบุ", "99", "", "ชx"])
def test_unknown_names_give_none(name) -> None:
    assert match_province(name) is None


def test_every_source_alias_of_a_province_matches_it() -> None:
    with MAPPING_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["ISO[7]"].startswith("TH-"):
                continue
            code = row["ISO[7]"].replace("-", "")
            assert match_province(row["Name"]).code == code
            assert match_province(row["Name(in Thai)"]).code == code
