"""Every route that takes a record id checks access before anything else.

An account of another area walks every such route (taken from the app's URL map, so a route
added later is walked too) with the ids of a Chiang Mai survey record, facility, report,
change, token and account. It must be refused (or sent away) and never see the record: the
survey record's village name, a marker, appears in no answer.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.accounts.service import create_token
from registry.facilities.reports import submit_report
from registry.models import FacilityChange, SurveyRecord
from registry.survey import service as survey
from registry.survey.service import Surveyor
from tests.registry.conftest import sign_in
from tests.registry.helpers import make_facility

MARKER = "บ้านลับเฉพาะพื้นที่"  # the village name only the record's area may read
INT_ARGUMENT = re.compile(r"<int:(\w+)>")


def _record(session) -> SurveyRecord:
    record = survey.create_record(
        session,
        {
            "area_code": "TH500101",
            "village_no": 7,
            "village_name": MARKER,
            "survey_date": "2021-11-15",
            "residents_general": 50,
            "unvaccinated_general": 5,
            "residents_bedridden": 4,
            "unvaccinated_bedridden": 3,
        },
        Surveyor("official", "web", "official", "TH50"),
    )
    session.commit()
    return record


def _ids(session, accounts) -> dict[str, int]:
    facility = make_facility(session)
    report = submit_report(session, facility.id, "closed", MARKER, client="c", per_hour=5)
    session.commit()
    token, _secret = create_token(session, accounts["official"], "feed")
    session.commit()
    change = session.scalar(
        select(FacilityChange.id).where(FacilityChange.facility_id == facility.id)
    )
    return {
        "record_id": _record(session).id,
        "facility_id": facility.id,
        "report_id": report.id,
        "change_id": change,
        "token_id": token.id,
        "user_id": accounts["official"].id,
    }


def _routes(app):
    for rule in app.url_map.iter_rules():
        names = INT_ARGUMENT.findall(rule.rule)
        if not names:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, names, method


@pytest.mark.parametrize("intruder", ["bangkok_official", "volunteer_elsewhere"])
def test_every_route_with_a_record_id_refuses_another_area(
    app, client, session, accounts, intruder
):
    from tests.registry.conftest import add_user

    if intruder == "volunteer_elsewhere":
        user = add_user(session, "volunteer_elsewhere", "volunteer", "TH1001")
        session.commit()
    else:
        user = accounts[intruder]
    ids = _ids(session, accounts)
    csrf = sign_in(client, user)
    walked = 0
    for rule, names, method in _routes(app):
        path = rule.rule
        for name in names:
            path = path.replace(f"<int:{name}>", str(ids.get(name, 1)))
        data = {"csrf_token": csrf, "version": "1", "reason": "x", "status": "closed"}
        response = client.open(path, method=method, data=data)
        body = response.get_data(as_text=True)
        walked += 1
        assert MARKER not in body, f"{method} {path} shows the record to {intruder}"
        assert response.status_code < 500, f"{method} {path}: {response.status_code}"
        if path.startswith(("/survey", "/official", "/admin", "/account")) and method == "POST":
            assert response.status_code in (403, 404), f"{method} {path}: {response.status_code}"
        if path.startswith("/survey"):
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"
    assert walked >= 10
    session.expire_all()
    record = session.get(SurveyRecord, ids["record_id"])
    assert record.deleted_at is None and record.version == 1
