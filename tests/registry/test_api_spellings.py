"""The spellings real clients send for the same request: every one reads alike or is a 400
that names the parameter, never a 500 or a quietly different answer.

Unicode has characters that Python's ``str.isdigit`` calls digits but ``int`` cannot read
(², ①); Thai digits are digits to both; ``float`` and ``int`` read ``1_0`` as 10. Lists come
comma-separated or repeated (HTML forms repeat them); area codes come as TH50, th50, 50 or ๕๐.
"""

from __future__ import annotations

import pytest

from registry.api.spec import OPERATIONS
from registry.version_watch import COOKIE
from tests.registry.helpers import BANGKOK, make_facility


@pytest.fixture
def sites(session):
    made = [
        make_facility(session, name_th="รพ.เชียงใหม่"),
        make_facility(session, type="covid_test_point", name_th="จุดตรวจ", lon=98.99, lat=18.79),
        make_facility(session, name_th="รพ.กรุงเทพ", **BANGKOK),
    ]
    session.commit()
    return made


# A valid value for each parameter some read requires, so that the number is what is refused.
VALID = {"type": "hospital", "q": "เชียงใหม่", "bbox": "98,18,99,19", "subdistrict": "TH500102"}


def _required(operation) -> dict[str, str]:
    return {p.name: VALID[p.name] for p in operation.parameters if p.required}


# Every number parameter of every read without a path argument, with what the read needs.
NUMBERS = [
    (operation.path, param.name, _required(operation))
    for operation in OPERATIONS
    if operation.method == "GET" and "<" not in operation.path
    for param in operation.parameters
    if param.kind in ("integer", "number")
]


@pytest.mark.parametrize(
    ("path", "name", "required"), NUMBERS, ids=[f"{p}?{n}" for p, n, _ in NUMBERS]
)
def test_digit_lookalikes_and_digit_grouping_are_a_400_naming_the_parameter(
    client, path, name, required
):
    for value in ("²", "①", "1_0", "-๑_๐"):
        query = {**required, name: value}
        answer = client.get(f"/api/v1{path}", query_string=query)
        assert answer.status_code == 400, (path, name, value, answer.get_data(as_text=True))
        assert answer.get_json()["field"] == name


def test_thai_digits_read_as_digits(client, sites):
    thai = client.get("/api/v1/facilities", query_string={"limit": "๒"}).get_json()
    assert len(thai["features"]) == 2
    near = client.get("/api/v1/nearest", query_string={"lat": "๑๘.๗๙", "lon": "๙๘.๙๙", "k": "๑"})
    assert near.status_code == 200 and len(near.get_json()["features"]) == 1


def test_a_fractional_count_is_refused(client, sites):
    answer = client.get("/api/v1/nearest", query_string={"lat": 18.79, "lon": 98.99, "k": "1.5"})
    assert answer.status_code == 400 and answer.get_json()["field"] == "k"


def _ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return sorted(feature["id"] for feature in answer.get_json()["features"])


@pytest.mark.parametrize(
    ("path", "base"),
    [
        ("/api/v1/facilities", []),
        ("/api/v1/nearest", [("lat", "18.79"), ("lon", "98.99"), ("open_now", "false")]),
    ],
)
def test_a_repeated_list_counts_every_value(client, sites, path, base):
    def ids(*types):
        return _ids(client.get(path, query_string=base + [("type", t) for t in types]))

    listed, repeated = ids("hospital,covid_test_point"), ids("hospital", "covid_test_point")
    assert repeated == listed and len(listed) == 3 > len(ids("hospital"))
    refused = client.get(path, query_string=[*base, ("type", "hospital"), ("type", "nope")])
    assert refused.status_code == 400 and "'nope'" in refused.get_json()["message"]


@pytest.mark.parametrize("spelling", ["TH50", "th50", "50", "๕๐", " TH50 "])
def test_area_codes_read_alike_in_every_spelling(client, sites, spelling):
    answer = client.get("/api/v1/nearest", query_string={"area": spelling, "k": 1})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["search"]["place"]["code"] == "TH50"
    listed = client.get("/api/v1/facilities", query_string={"province": spelling})
    assert _ids(listed) == sorted(site.id for site in sites[:2])


def test_if_match_star_holds_and_a_weak_tag_never_matches(client, sites):
    whole = client.get("/api/v1/facilities")
    assert client.get("/api/v1/facilities", headers={"If-Match": "*"}).status_code == 200
    weak = client.get("/api/v1/facilities", headers={"If-Match": f"W/{whole.headers['ETag']}"})
    assert weak.status_code == 412
    gzipped = client.get("/api/v1/facilities", headers={"Accept-Encoding": "gzip"})
    again = client.get("/api/v1/facilities", headers={"If-Match": gzipped.headers["ETag"]})
    assert again.status_code == 200  # the gzipped answer's tag names the same data


def test_a_forged_version_cookie_is_no_version(client, sites):
    for value in ("²", "①", "9" * 40, "-1"):
        client.set_cookie(COOKIE, value, domain="registry.test")
        assert client.get("/api/v1/facilities").status_code == 200, value
        assert client.get("/").status_code == 200, value
