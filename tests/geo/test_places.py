"""geo.places: resident place search over the real 77 + 928 + 7,425 areas."""

from __future__ import annotations

import ast
import csv
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.places import PlaceIndex, PlaceMatch

DATA = Path(__file__).resolve().parents[2] / "data"
# Province aliases: data/province_mapping.csv when present, else the workspace's shared copy.
MAPPING_CANDIDATES = (
    DATA / "province_mapping.csv",
    Path(__file__).resolve().parents[3] / "shared" / "data" / "population" / "province_mapping.csv",
)
LAYERS = (
    (1, "th_adm1_provinces.geojson", "adm1"),
    (2, "th_adm2_districts.geojson", "adm2"),
    (3, "th_adm3_subdistricts.geojson", "adm3"),
)


@pytest.fixture(scope="module")
def areas() -> pd.DataFrame:
    """One row per area: code, level, names, parent codes and a point on its surface."""
    frames = []
    for level, name, prefix in LAYERS:
        layer = gpd.read_file(DATA / name)
        point = shapely.point_on_surface(layer.geometry.values)
        frames.append(
            pd.DataFrame(
                {
                    "code": layer[f"{prefix}_pcode"],
                    "level": level,
                    "name_th": layer[f"{prefix}_th"],
                    "name_en": layer[f"{prefix}_en"],
                    "district": layer["adm2_pcode"] if level == 3 else None,
                    "province": layer["adm1_pcode"] if level > 1 else None,
                    "lon": shapely.get_x(point),
                    "lat": shapely.get_y(point),
                    "geometry": layer.geometry.values,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def province_aliases() -> dict[str, list[str]]:
    """Alt_names of the province mapping, keyed by pcode (ISO TH-10 is TH10)."""
    path = next((path for path in MAPPING_CANDIDATES if path.exists()), None)
    if path is None:
        return {}
    with path.open(encoding="utf-8", newline="") as file:
        return {
            "TH" + row["ISO[7]"].removeprefix("TH-"): ast.literal_eval(row["Alt_names"])
            for row in csv.DictReader(file)
            # Two rows (prisons, unknown origin) are not provinces.
            if row["ISO[7]"].startswith("TH-")
        }


@pytest.fixture(scope="module")
def index(areas) -> PlaceIndex:
    return PlaceIndex(
        areas["code"],
        areas["level"],
        areas["name_th"],
        areas["name_en"],
        areas["lon"],
        areas["lat"],
        aliases=province_aliases(),
    )


def code_of(areas, level: int, name_th: str, **parents: str) -> str:
    """The one area of that level, Thai name and parent codes, looked up in the data."""
    rows = areas[(areas["level"] == level) & (areas["name_th"] == name_th)]
    for column, code in parents.items():
        rows = rows[rows[column] == code]
    assert len(rows) == 1, rows
    return rows["code"].iloc[0]


def test_index_holds_every_area(index):
    assert len(index) == 77 + 928 + 7_425


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("เชียงใหม่", "TH50"),
        ("จ.เชียงใหม่", "TH50"),
        ("จังหวัดเชียงใหม่", "TH50"),
        ("Chiang Mai", "TH50"),
        ("chiang mai", "TH50"),
        ("  CHIANG-MAI!  ", "TH50"),
        ("Chiang Mai Province", "TH50"),
        ("เชียงไหม่", "TH50"),
        ("Chaing Mai", "TH50"),
        ("อำเภอเมืองเชียงใหม่", "TH5001"),
        ("อ.เมืองเชียงใหม่", "TH5001"),
        ("Mueang Chiang Mai", "TH5001"),
        ("Muang Chiang Mai", "TH5001"),
        ("Amphur Muang Chiang Mai", "TH5001"),
        ("Chiang Mai city", "TH5001"),
        ("อ.เมือง จ.เชียงใหม่", "TH5001"),
        ("กทม", "TH10"),
        ("กทม.", "TH10"),
        ("กรุงเทพ", "TH10"),
        ("กรุงเทพฯ", "TH10"),
        ("Krung Thep", "TH10"),
        ("BKK", "TH10"),
        ("Bangkok", "TH10"),
        ("โคราช", "TH30"),
        ("Korat", "TH30"),
        ("Nakorn Ratchasima", "TH30"),
        ("Ayuthaya", "TH14"),
        ("ภูเก็ต", "TH83"),
        ("Phuket", "TH83"),
        ("Phuk", "TH83"),  # still typing: ties with Phu Kha subdistricts, province first
    ],
)
def test_top_match(index, query, code):
    assert index.search(query)[0].code == code


@pytest.mark.parametrize(
    "query",
    [
        "ตำบลศรีภูมิ",
        "ต.ศรีภูมิ",
        "Tambon Si Phum",
        "Si Phum, Chiang Mai",
        "ศรีภูมิ เชียงใหม่",
        "ศรีภูมิ, เมืองเชียงใหม่",
        "ต.ศรีภูมิ อ.เมือง จ.เชียงใหม่",
        "Tambon Si Phum Amphoe Mueang Changwat Chiang Mai",
        "123/4 หมู่ 5 ต.ศรีภูมิ อ.เมือง จ.เชียงใหม่ 50200",
    ],
)
def test_si_phum_in_mueang_chiang_mai(index, areas, query):
    # Three subdistricts are called ศรีภูมิ (Buri Ram, Chiang Mai, Nan). Alone, the one that
    # is the seat of a capital district comes first; named parents pick it outright.
    expected = code_of(areas, 3, "ศรีภูมิ", district="TH5001")
    top = index.search(query)[0]
    assert top.code == expected
    assert top.level == 3
    assert top.parent_names_th == ("เมืองเชียงใหม่", "เชียงใหม่")
    assert top.parent_names_en == ("Mueang Chiang Mai", "Chiang Mai")


def test_named_parents_outrank_the_bare_name(index, areas):
    chiang_mai = code_of(areas, 3, "ศรีภูมิ", district="TH5001")
    bare = index.search("ศรีภูมิ", level=3)
    assert [match.score for match in bare[:3]] == [1.0, 1.0, 1.0]  # three exact matches
    with_parents = index.search("ศรีภูมิ เชียงใหม่", level=3)
    assert with_parents[0].code == chiang_mai
    assert all(match.score < with_parents[0].score for match in with_parents[1:])
    # Separated by a comma, a part naming nothing above an area only halves its score.
    scores = {m.code: m.score for m in index.search("ศรีภูมิ, เชียงใหม่", level=3)}
    assert scores[chiang_mai] == 1.0
    assert [scores[m.code] for m in bare[:3] if m.code != chiang_mai] == [0.5, 0.5]


def test_bangkok_khwaeng_and_khet(index, areas):
    pathum_wan = code_of(areas, 2, "ปทุมวัน", province="TH10")
    lumphini = code_of(areas, 3, "ลุมพินี", district=pathum_wan)
    assert index.search("เขตปทุมวัน")[0].code == pathum_wan
    assert index.search("แขวงลุมพินี")[0].code == lumphini
    assert index.search("Lumphini, Bangkok")[0].code == lumphini
    # Pathum Wan is also a khwaeng of that khet; เขต asks for the district.
    assert index.search("แขวงปทุมวัน")[0].level == 3


def test_same_subdistrict_name_in_many_provinces(index, areas):
    subdistricts = areas[areas["level"] == 3]
    # A name that occurs in many provinces, and a province where it occurs once; choose the
    # one with the highest code so that the code tie-break alone would never pick it.
    per_province = subdistricts.groupby(["name_th", "province"]).size()
    spread = per_province.groupby(level="name_th").size()
    name = spread.idxmax()
    assert spread[name] >= 10
    once = per_province.loc[name][per_province.loc[name] == 1].index
    province = max(once)
    expected = code_of(areas, 3, name, province=province)
    province_row = areas[areas["code"] == province].iloc[0]
    name_en = areas.loc[areas["code"] == expected, "name_en"].iloc[0]

    for query in (
        f"{name} {province_row['name_th']}",
        f"ต.{name} จ.{province_row['name_th']}",
        f"{name_en}, {province_row['name_en']}",
        f"{name_en} {province_row['name_en']}",
    ):
        top = index.search(query)[0]
        assert top.code == expected, query
        assert top.parent_names_th[-1] == province_row["name_th"]


def test_match_carries_the_area_and_its_point(index, areas):
    match = index.search("แขวงลุมพินี")[0]
    assert isinstance(match, PlaceMatch)
    row = areas[areas["code"] == match.code].iloc[0]
    assert (match.name_th, match.name_en) == (row["name_th"], row["name_en"])
    assert match.parent_names_en == ("Pathum Wan", "Bangkok")
    assert (match.lon, match.lat) == (row["lon"], row["lat"])
    assert row["geometry"].intersects(shapely.Point(match.lon, match.lat))
    assert 0.0 < match.score <= 1.0


def test_results_are_ranked(index):
    matches = index.search("Mueang", limit=50)
    keys = [(-m.score, m.level) for m in matches]
    assert keys == sorted(keys)
    assert all(0.0 < m.score <= 1.0 for m in matches)


@pytest.mark.parametrize("query", ["xyzzy", "qqqqqqqq", "๑๒๓", "50200"])
def test_nothing_matches(index, query):
    assert index.search(query) == []


@pytest.mark.parametrize("query", ["เชียงใหม่ ๕๐๒๐๐", "๑๒ ม.๓ ต.ศรีภูมิ เชียงใหม่", "Chiang Mai 50200"])
def test_thai_and_arabic_digits_are_ignored(index, query):
    assert index.search(query)[0].code in {"TH50", "TH500101"}


def test_limit_and_level(index):
    assert len(index.search("หนองบัว", limit=3)) == 3
    assert len(index.search("หนองบัว", limit=1000)) > 30
    for level in (1, 2, 3):
        matches = index.search("หนองบัว", level=level)
        assert matches and {m.level for m in matches} == {level}
    # The capital district answers to the province's name, just below exact names.
    assert index.search("เชียงใหม่", level=2)[0].code == "TH5001"
    assert index.search("เชียงใหม่", level=1, limit=1)[0].code == "TH50"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "is empty"),
        ("   \t ", "is empty"),
        ("x" * 201, "201 characters long; a place name query may have at most 200"),
        ("...!?", "has no letters or digits"),
        (None, "query must be text, got None"),
        (42, "query must be text, got 42"),
        ("a, b, c, d, e, f, g", "has 7 parts"),
    ],
)
def test_bad_query(index, query, message):
    with pytest.raises(ValueError, match=message):
        index.search(query)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be a positive integer, got 0"),
        ({"limit": True}, "limit must be a positive integer, got True"),
        ({"limit": 2.5}, "limit must be a positive integer, got 2.5"),
        ({"level": 4}, r"level must be None, 1 \(province\)"),
        ({"level": "1"}, "got '1'"),
        ({"level": [1]}, r"got \[1\]"),
    ],
)
def test_bad_options(index, kwargs, message):
    with pytest.raises(ValueError, match=message):
        index.search("เชียงใหม่", **kwargs)


def test_query_of_exactly_200_characters_is_accepted(index):
    assert isinstance(index.search("เชียงใหม่" + " " * 191), list)


def test_searches_from_many_threads_agree(index):
    queries = ["เชียงใหม่", "Chaing Mai", "Si Phum, Chiang Mai", "โคราช", "แขวงลุมพินี"] * 8
    expected = [index.search(query) for query in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(index.search, queries)) == expected


def test_search_is_fast(index):
    queries = [
        "เชียงใหม่",
        "Chaing Mai",
        "Muang Chiang Mai",
        "ต.ศรีภูมิ อ.เมือง จ.เชียงใหม่",
        "Si Phum, Chiang Mai",
        "Nakorn Ratchasima",
        "Phra Nakhon Si Ayutthaya",
        "หนองบัว",
    ]
    timings = []
    for query in queries * 3:
        start = time.perf_counter()
        index.search(query)
        timings.append(time.perf_counter() - start)
    # The target is under 20 ms; the bound leaves room for a busy test machine.
    assert statistics.median(timings) < 0.05


# -- small synthetic indexes: scoring rules ---------------------------------------------------


def small_index(rows, aliases=None) -> PlaceIndex:
    codes, levels, names_th, names_en = zip(*rows, strict=True)
    return PlaceIndex(
        codes, levels, names_th, names_en, [100.0] * len(rows), [14.0] * len(rows), aliases=aliases
    )


def test_exact_beats_prefix_beats_substring_beats_fuzzy():
    index = small_index(
        [
            ("TH90", 1, "", "Songkhla"),
            ("TH9001", 2, "", "Songkhla Nakhon"),
            ("TH9002", 2, "", "Lak Songkhla"),
            ("TH9003", 2, "", "Songkhra"),
        ]
    )
    matches = index.search("Songkhla")
    assert [m.code for m in matches] == ["TH90", "TH9001", "TH9002", "TH9003"]
    exact, prefix, substring, fuzzy = (m.score for m in matches)
    assert exact == 1.0
    assert 0.8 <= prefix < 0.89
    assert 0.6 <= substring < 0.74
    assert 0.3 <= fuzzy < 0.55


def test_ties_go_to_the_higher_level_then_the_district_seat_then_the_code():
    index = small_index(
        [
            ("TH20", 1, "บ้านสวน", "Ban Suan"),
            ("TH2002", 2, "บ้านสวน", "Ban Suan"),
            ("TH200205", 3, "บ้านสวน", "Ban Suan"),
            ("TH200301", 3, "บ้านสวน", "Ban Suan"),
            ("TH200101", 3, "บ้านสวน", "Ban Suan"),
            ("TH200102", 3, "บ้านสวน", "Ban Suan"),
        ]
    )
    codes = [m.code for m in index.search("บ้านสวน")]
    assert codes == ["TH20", "TH2002", "TH200101", "TH200102", "TH200301", "TH200205"]


def test_caller_aliases_rank_below_real_names():
    index = small_index(
        [("TH10", 1, "กรุงเทพมหานคร", "Bangkok"), ("TH1047", 2, "บางนา", "Bang Na")],
        aliases={"TH10": ["บางนา", "Bangkok Metropolis"]},
    )
    assert [m.code for m in index.search("บางนา")] == ["TH1047", "TH10"]
    assert index.search("Bangkok Metropolis")[0].code == "TH10"


def test_one_letter_names_and_queries():
    index = small_index([("TH01", 1, "ก", "A"), ("TH02", 1, "ข", "B")])
    assert [m.code for m in index.search("ก")] == ["TH01"]
    assert [m.code for m in index.search("b")] == ["TH02"]
    assert index.search("กข") == []


def test_level_hint_prefers_the_named_level():
    index = small_index([("TH63", 1, "ตาก", "Tak"), ("TH6301", 2, "ตาก", "Tak")])
    assert index.search("อำเภอตาก")[0].code == "TH6301"
    assert index.search("Tak District")[0].code == "TH6301"
    assert index.search("จังหวัดตาก")[0].code == "TH63"


@pytest.mark.parametrize(
    ("arguments", "aliases", "message"),
    [
        ((["A"], [1], ["ก"], ["a"], [100.0], []), None, "same length"),
        (([], [], [], [], [], []), None, "at least one area"),
        ((["A", "A"], [1, 1], ["ก", "ข"], ["a", "b"], [1, 1], [1, 1]), None, "'A' appears more"),
        (([None], [1], ["ก"], ["a"], [100.0], [14.0]), None, r"codes\[0\] = None"),
        ((["A"], [4], ["ก"], ["a"], [100.0], [14.0]), None, r"levels\[0\] = 4 \(area 'A'\)"),
        ((["A"], [1], [None], ["a"], [100.0], [14.0]), None, r"names_th\[0\] = None"),
        ((["A"], [1], [" "], [""], [100.0], [14.0]), None, "neither a Thai nor an English"),
        ((["A"], [1], ["ก"], ["a"], [181.0], [14.0]), None, r"lons\[0\] = 181.0 .* longitude"),
        ((["A"], [1], ["ก"], ["a"], [100.0], [float("nan")]), None, r"lats\[0\] = nan"),
        ((["A"], [1], ["ก"], ["a"], ["100"], [14.0]), None, r"lons\[0\] = '100' .* not a number"),
        ((["A"], [1], ["ก"], ["a"], [100.0], [14.0]), {"B": ["b"]}, "area code 'B'"),
        ((["A"], [1], ["ก"], ["a"], [100.0], [14.0]), {"A": "aa"}, "wrap a single name"),
        ((["A"], [1], ["ก"], ["a"], [100.0], [14.0]), {"A": [1]}, "holds 1, which is not text"),
    ],
)
def test_bad_construction(arguments, aliases, message):
    with pytest.raises(ValueError, match=message):
        PlaceIndex(*arguments, aliases=aliases)
