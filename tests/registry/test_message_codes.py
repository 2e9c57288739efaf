"""Coded messages: a code is one template, a problem keeps its English and carries its code,
and pages show coded importer problems and refusals in the page's language (that every code
has Thai is tests/registry/test_thai_refusals.py's)."""

from __future__ import annotations

import io
import re

import importers.rules
from importers.messages import Rule, Text
from importers.report import Problem
from tests.registry.conftest import sign_in


def test_a_code_is_one_template():
    Rule("test.one_template", "is %(x)s")
    Rule("test.one_template", "is %(x)s")  # the same again is fine (a module reloaded)
    try:
        Rule("test.one_template", "is something else")
    except ValueError as error:
        assert "test.one_template" in str(error)
    else:
        raise AssertionError("a second template under one code was accepted")


def test_a_problem_keeps_english_and_carries_its_code():
    point = importers.rules.POINT_OUTSIDE(lat="1375.5", lon="98.98")
    rule = importers.rules.NOT_A_LATITUDE(low=5.61, high=20.47, point=point)
    problem = Problem(3, "lat", "1375.5", rule)
    assert problem.message == (
        "row 3, column 'lat': '1375.5' is not a latitude between 5.61 and 20.47: the point "
        "(latitude 1375.5, longitude 98.98) lies outside Thailand"
    )
    assert problem.code == "coords.not_a_latitude"
    assert problem.params["point"] == {
        "code": "coords.point_outside",
        "params": {"lat": "1375.5", "lon": "98.98"},
    }
    assert isinstance(rule, Text)


def test_import_preview_shows_coded_problems_in_thai(client, accounts):
    csrf = sign_in(client, accounts["official"])
    csv = (
        "type,name_th,lat,lon,beds_total\n"
        "hospital,รพ.หนึ่ง,1375.5,98.98,10\n"
        "hospital,,18.79,98.99,สิบ\n"
        "hospital,รพ.สาม,18.79,,5\n"
    )
    page = client.post(
        "/official/import/preview",
        data={"csrf_token": csrf, "file": (io.BytesIO(csv.encode()), "bad.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    table = re.search(r'<table class="history" id="import-problems">.*?</table>', page, re.S)
    shown = table.group(0)
    assert "ไม่ใช่ละติจูดระหว่าง" in shown and "อยู่นอกประเทศไทย" in shown
    assert "ชื่อว่าง" in shown and "ไม่ใช่จำนวนเต็ม" in shown and "ลองจิจูดว่าง" in shown
    for english in ("is not a latitude", "lies outside", "the name is empty", "whole number"):
        assert english not in shown


def test_refusals_are_coded_in_the_api_and_translated_on_pages(client, session, accounts):
    from tests.registry.helpers import make_facility

    site = make_facility(session)
    session.commit()
    csrf = sign_in(client, accounts["bangkok_official"])
    page = client.post(
        f"/official/facility/{site.id}/status",
        data={"csrf_token": csrf, "status": "full", "version": site.version},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "เชียงใหม่" in html and "กรุงเทพมหานคร" in html and "outside your area" not in html
