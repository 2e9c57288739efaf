"""A facility's history comes a page at a time, in the API and on
the official page, newest first, every change exactly once across the pages."""

from __future__ import annotations

import re

from registry.facilities.service import update_facility
from tests.registry.conftest import sign_in
from tests.registry.helpers import OFFICIAL, make_facility


def _with_changes(session, n: int):
    facility = make_facility(session)
    for i in range(n):
        update_facility(
            session,
            facility.id,
            {"beds_total": 10 + i},
            OFFICIAL,
            expected_version=facility.version,
        )
    session.commit()
    return facility


def test_api_history_pages_follow_next_links(client, session):
    facility = _with_changes(session, 12)  # 13 changes with the creation
    url = f"/api/v1/facilities/{facility.id}/history?limit=5"
    seen, pages = [], 0
    while url:
        body = client.get(url).get_json()
        assert body["numberMatched"] == 13
        assert body["numberReturned"] == len(body["changes"]) <= 5
        seen += [c["id"] for c in body["changes"]]
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = following[0] if following else None
        pages += 1
    assert pages == 3
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 13


def test_api_history_default_page_is_bounded(app, client, session):
    app.config["API_DEFAULT_LIMIT"] = 4
    facility = _with_changes(session, 6)
    body = client.get(f"/api/v1/facilities/{facility.id}/history").get_json()
    assert len(body["changes"]) == 4
    assert client.get(f"/api/v1/facilities/{facility.id}/history?limit=0").status_code == 400
    assert client.get(f"/api/v1/facilities/{facility.id}/history?page=2").status_code == 400


def test_official_history_page_is_paged(app, client, session, accounts, monkeypatch):
    from registry.facilities import official_pages as official

    monkeypatch.setattr(official, "HISTORY_PAGE_SIZE", 5)
    facility = _with_changes(session, 7)  # 8 changes
    sign_in(client, accounts["official"])
    first = client.get(f"/official/facility/{facility.id}/history").get_data(as_text=True)
    assert first.count('class="change"') == 5
    older = re.search(r'href="([^"]+)" id="older-changes"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert second.count('class="change"') == 3 and 'id="older-changes"' not in second
    ids = re.findall(r'data-change="(\d+)"', first + second)
    assert len(set(ids)) == 8
