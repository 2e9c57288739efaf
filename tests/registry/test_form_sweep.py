"""Every form of every page, posted with every kind of bad value by every role: never a 5xx.

The routes come from the app's own URL map, so a new form is swept without being listed here;
the field names come from the templates, so a form's own fields get the bad values. Each
route is posted with an existing id in its URL (and once with an unknown one).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from registry.facilities.service import update_facility
from tests.registry.conftest import csrf_token, sign_in
from tests.registry.helpers import OFFICIAL, make_facility

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FIELD = re.compile(r'name="([a-z_][a-z0-9_-]*)"')
# One of each kind of value people and attackers send.
BAD_VALUES = {
    "empty": "",
    "huge": "9" * 400,
    "not finite": "-1e309",
    "thai digits": "๑๒.๕",
    "markup and control": "<script>alert(1)</script>\x00\x1b' OR 1=1 --",
    "long text": "ก" * 3_000,
    "list": ["a", "b"],
}
BAD_FILES = {
    "binary": bytes(range(256)) * 4,
    "cut zip": b"PK\x03\x04" + b"\x00" * 200,
    "csv junk": 'ชื่อ,lat\n"unterminated,1\n'.encode(),
}
# Signing out and in are swept for visitors only (posting them signs the account out).
VISITOR_ONLY = {"/login", "/logout"}
# The planner's posts are refused as the volunteer's are; its pages are swept elsewhere.
ROLES = ("official", "volunteer", "provincial_admin", None)


def _field_names() -> list[str]:
    names = set()
    for path in TEMPLATES.rglob("*.html"):
        names.update(FIELD.findall(path.read_text(encoding="utf-8")))
    names.discard("csrf_token")
    return sorted(names)


def _post_rules(app, signed_in: bool) -> list[str]:
    rules = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api"):
            continue  # the API has its own tests of bad input
        if signed_in and rule.rule in VISITOR_ONLY:
            continue
        rules.append(rule.rule)
    return sorted(rules)


def _url(rule: str, existing: int) -> str:
    return re.sub(r"<(?:int:)?\w+>", str(existing), rule)


def test_no_form_answers_a_server_error(app, session, accounts):
    site = make_facility(session, beds_total=5)
    update_facility(session, site.id, {"beds_total": 6}, OFFICIAL, expected_version=1)
    session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug answers 500 here, so all are listed
    failures = []
    for role in ROLES:  # one database set-up for all of them
        failures += [(role, *failure) for failure in _sweep(app, accounts, role, site.id)]
    assert not failures, failures


def _sweep(app, accounts, role, site_id: int) -> list[tuple]:
    client = app.test_client()
    csrf = sign_in(client, accounts[role]) if role else csrf_token(client)
    fields = _field_names()
    failures = []
    for rule in _post_rules(app, signed_in=role is not None):
        if "<" in rule:  # an unknown id, once
            unknown = client.post(_url(rule, 987654), data={"csrf_token": csrf})
            if unknown.status_code >= 500:
                failures.append((rule, "unknown id", unknown.status_code))
        url = _url(rule, site_id)
        for kind, value in BAD_VALUES.items():
            answer = client.post(url, data={**dict.fromkeys(fields, value), "csrf_token": csrf})
            if answer.status_code >= 500:
                failures.append((url, kind, answer.status_code))
        for kind, content in BAD_FILES.items() if "preview" in url else ():
            data = {"csrf_token": csrf, "file": (io.BytesIO(content), "bad.csv")}
            answer = client.post(url, data=data, content_type="multipart/form-data")
            if answer.status_code >= 500:
                failures.append((url, kind, answer.status_code))
        answer = client.post(url, data={})  # no CSRF token, nothing at all
        if answer.status_code >= 500:
            failures.append((url, "no fields", answer.status_code))
    return failures
