"""A resident's typed place: never answered silently for the wrong place.

The page says which place it searched from, offers the candidates of an ambiguous or weak name,
answers an unknown name with a sentence, suggestions and "use my location"; the API says how the
place was matched and what else it could have meant, and keeps machine-readable errors.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.registry.helpers import CHIANG_MAI, make_facility

CHANG_PHUEAK = {"TH500107": "เชียงใหม่", "TH451112": "ร้อยเอ็ด", "TH961204": "นราธิวาส"}


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _section(response, element_id: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}".*?</\1>', html, re.S)
    assert match, f"no #{element_id} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def _choice_codes(response) -> list[str]:
    return re.findall(r'data-area="(TH\d+)"', response.get_data(as_text=True))


@pytest.fixture
def site(session):
    facility = make_facility(session, name_th="รพ.ทดสอบ", **CHIANG_MAI)
    session.commit()
    return facility


# -- the API ----------------------------------------------------------------------------------


def test_api_says_how_a_place_was_matched_and_what_else_it_could_be(client, site):
    body = client.get("/api/v1/nearest", query_string={"place": "ช้างเผือก", "k": 1}).get_json()
    place = body["search"]["place"]
    assert place["match"] == "ambiguous"
    assert place["code"] in CHANG_PHUEAK
    codes = {place["code"], *(a["code"] for a in body["search"]["alternatives"])}
    assert codes == set(CHANG_PHUEAK)
    roi_et = next(a for a in [place, *body["search"]["alternatives"]] if a["code"] == "TH451112")
    assert roi_et["parents_th"] == ["สุวรรณภูมิ", "ร้อยเอ็ด"]

    body = client.get("/api/v1/nearest", query_string={"place": "เชียงใหม่", "k": 1}).get_json()
    assert body["search"]["place"]["code"] == "TH50"
    assert body["search"]["place"]["match"] == "exact"
    # The subdistrict of the same name in Roi Et is not hidden.
    assert "TH450802" in [a["code"] for a in body["search"]["alternatives"]]


def test_api_unknown_place_is_a_machine_readable_error_with_suggestions(client):
    response = client.get("/api/v1/nearest", query_string={"place": "นิมมาน"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "place_not_found"
    assert body["field"] == "place"
    assert "นิมมาน" in body["message"]
    assert body["suggestions"] and all("code" in s for s in body["suggestions"])


def test_api_area_code_picks_one_candidate(client, site):
    body = client.get("/api/v1/nearest", query_string={"area": "TH451112", "k": 1}).get_json()
    assert body["search"]["place"]["code"] == "TH451112"
    assert body["search"]["place"]["match"] == "code"
    response = client.get("/api/v1/nearest", query_string={"area": "TH99"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "area"


# -- the page ---------------------------------------------------------------------------------


def test_ambiguous_name_offers_every_candidate_with_its_province(client, site):
    response = client.get("/", query_string={"place": "ช้างเผือก", "lang": "th"})
    text = _text(response)
    assert 'id="results"' not in response.get_data(as_text=True)  # no silent guess
    assert sorted(_choice_codes(response)) == sorted(CHANG_PHUEAK)
    choice = _section(response, "place-choice")
    for province in CHANG_PHUEAK.values():
        assert f"จังหวัด{province}" in choice
    assert "ช้างเผือก" in text


def test_own_province_ranks_candidates_but_hides_none(client, site):
    client.set_cookie("home_province", "TH96", domain="registry.test")
    response = client.get("/", query_string={"place": "ช้างเผือก"})
    codes = _choice_codes(response)
    assert codes[0] == "TH961204"
    assert sorted(codes) == sorted(CHANG_PHUEAK)


def test_a_settled_search_remembers_the_province(client, site):
    response = client.get("/", query_string={"place": "ศรีภูมิ, เชียงใหม่"})
    assert "home_province=TH50" in response.headers["Set-Cookie"]
    client.set_cookie("home_province", "TH50", domain="registry.test")
    codes = _choice_codes(client.get("/", query_string={"place": "ช้างเผือก"}))
    assert codes[0] == "TH500107"


def test_picked_candidate_is_searched_and_named_with_district_and_province(client, site):
    response = client.get("/", query_string={"place": "ช้างเผือก", "area": "TH500107"})
    searched = _section(response, "searched-from")
    assert "ตำบลช้างเผือก อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่" in searched
    assert 'id="results"' in response.get_data(as_text=True)
    english = client.get("/", query_string={"area": "TH500107", "lang": "en"})
    assert "Chang Phueak subdistrict, Mueang Chiang Mai district, Chiang Mai province" in _section(
        english, "searched-from"
    )


@pytest.mark.parametrize(
    ("place", "lang", "expected"),
    [
        ("เชียงใหม่", "th", "จังหวัดเชียงใหม่"),
        ("Chiang Mai", "en", "Chiang Mai province"),
        ("สีลม", "th", "แขวงสีลม เขตบางรัก กรุงเทพมหานคร"),
        ("Si Lom", "en", "Si Lom subdistrict, Bang Rak district, Bangkok"),
        ("ต.ศรีภูมิ อ.เมือง จ.เชียงใหม่", "th", "ตำบลศรีภูมิ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่"),
    ],
)
def test_the_page_says_which_place_it_searched_from(client, site, place, lang, expected):
    response = client.get("/", query_string={"place": place, "lang": lang})
    assert expected in _section(response, "searched-from")


def test_location_search_names_the_area_it_lies_in(client, site):
    response = client.get("/", query_string={**CHIANG_MAI, "lang": "th"})
    searched = _section(response, "searched-from")
    assert "ตำแหน่งของคุณ" in searched or "your location" in searched.lower()
    assert "อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่" in searched


def test_same_name_elsewhere_is_offered_beside_an_exact_answer(client, site):
    response = client.get("/", query_string={"place": "เชียงใหม่", "lang": "th"})
    assert "TH450802" in _choice_codes(response)
    assert "ร้อยเอ็ด" in _section(response, "other-places")


@pytest.mark.parametrize(
    ("place", "lang", "sentence"),
    [
        ("นิมมาน", "th", "ไม่พบจังหวัด อำเภอ ตำบล หรือหมู่บ้านชื่อ"),
        ("Nimman", "en", "We found no province, district, subdistrict or village called"),
        ("!!!", "th", "ไม่พบจังหวัด อำเภอ ตำบล หรือหมู่บ้านชื่อ"),
    ],
)
def test_unknown_name_gets_a_sentence_suggestions_and_location(client, place, lang, sentence):
    response = client.get("/", query_string={"place": place, "lang": lang})
    html = response.get_data(as_text=True)
    unknown = _section(response, "place-unknown")
    assert sentence in unknown
    assert "parameter" not in _text(response)
    assert re.search(r'id="place-unknown".*class="secondary use-location"', html, re.S)
    assert 'id="results"' not in html


def test_weak_match_asks_instead_of_guessing(client, site):
    response = client.get("/", query_string={"place": "Chaing Mai", "lang": "en"})
    unknown_or_choice = response.get_data(as_text=True)
    assert 'id="results"' not in unknown_or_choice
    assert "TH50" in _choice_codes(response)


# -- directions (item 4) ----------------------------------------------------------------------


def _directions(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [
        unescape(h) for h in re.findall(r'href="(https://www\.google\.com/maps/dir/[^"]+)"', html)
    ]


def test_directions_from_a_place_name_leave_the_origin_to_the_phone(client, site):
    links = _directions(client.get("/", query_string={"place": "เชียงใหม่"}))
    assert links and all("origin=" not in link for link in links)
    osm = re.findall(
        r'href="(https://www\.openstreetmap\.org/directions[^"]+)"',
        client.get("/", query_string={"place": "เชียงใหม่"}).get_data(as_text=True),
    )
    assert osm and all("route=%3B" in o or "route=;" in o for o in osm)


def test_directions_from_a_location_search_start_there(client, site):
    links = _directions(client.get("/", query_string=CHIANG_MAI))
    assert links and all(f"origin={CHIANG_MAI['lat']}" in link for link in links)


# -- villages (DOPA's list, bundled; no coordinates) ------------------------------------------


def _village_codes(response) -> list[str]:
    return re.findall(r'data-village="(\d+)"', response.get_data(as_text=True))


def test_a_village_name_searches_from_its_subdistrict_and_says_so(client, site):
    body = client.get("/api/v1/nearest", query_string={"place": "บ้านต้นเปา", "k": 1}).get_json()
    assert body["search"]["place"]["code"] == "TH501312"
    assert body["search"]["place"]["match"] == "village"
    assert body["search"]["village"]["name_th"] == "บ้านต้นเปา"
    response = client.get("/", query_string={"place": "บ้านต้นเปา", "lang": "th"})
    searched = _section(response, "searched-from")
    assert "บ้านต้นเปา ตำบลต้นเปา อำเภอสันกำแพง จังหวัดเชียงใหม่" in searched
    assert "กลางตำบล" in searched  # villages have no position: it says where it searched from


def test_a_village_name_shared_across_provinces_offers_each(client, site):
    response = client.get("/", query_string={"place": "บ้านสันติธรรม", "lang": "th"})
    codes = _village_codes(response)
    assert len(codes) == 6
    assert 'id="results"' not in response.get_data(as_text=True)
    client.set_cookie("home_province", "TH50", domain="registry.test")
    response = client.get("/", query_string={"place": "บ้านสันติธรรม", "lang": "th"})
    first = re.search(r'data-village="\d+">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert "จังหวัดเชียงใหม่" in first
    assert sorted(_village_codes(response)) == sorted(codes)  # ranked, none hidden
    picked = client.get("/", query_string={"place": "บ้านสันติธรรม", "village": codes[0]})
    assert 'id="results"' in picked.get_data(as_text=True)
    # The province after the name goes straight to the one village.
    straight = client.get("/", query_string={"place": "บ้านสันติธรรม เชียงใหม่"})
    assert "ตำบลช้างเผือก" in _section(straight, "searched-from")


def test_unknown_village_code_is_a_named_error(client):
    response = client.get("/api/v1/nearest", query_string={"village": "99999999"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "village"
