"""The facility CLI calls the same services as the web, and says what went wrong."""

from __future__ import annotations

import re

from registry.models import Facility


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_set_history_revert(app, session):
    created = _invoke(
        app,
        "facility",
        "create",
        "type=hospital",
        "name_th=รพ.ทดสอบ",
        "lat=18.7877",
        "lon=98.9934",
        "beds_total=20",
        "--by",
        "cli-tester",
    )
    assert created.exit_code == 0, created.output
    facility_id = int(re.search(r"facility (\d+) at version 1", created.output).group(1))

    changed = _invoke(
        app, "facility", "set", str(facility_id), "beds_total=35", "--version", "1", "--by", "x"
    )
    assert "beds_total" in changed.output and "version 2" in changed.output

    history = _invoke(app, "facility", "history", str(facility_id))
    change_id = re.search(r"#(\d+) v2 .* beds_total 20 -> 35", history.output).group(1)

    reverted = _invoke(app, "facility", "revert", change_id, "--by", "admin")
    assert reverted.exit_code == 0, reverted.output
    assert session.get(Facility, facility_id).beds_total == 20


def test_stale_version_on_the_cli_is_refused_with_the_reason(app, session):
    from tests.registry.helpers import make_facility

    facility = make_facility(session)
    session.commit()
    _invoke(app, "facility", "set", str(facility.id), "status=full", "--version", "1", "--by", "a")
    stale = _invoke(
        app, "facility", "set", str(facility.id), "status=closed", "--version", "1", "--by", "b"
    )
    assert stale.exit_code != 0
    assert "at version 2, but you edited version 1" in stale.output


def test_bad_field_on_the_cli_names_it(app):
    result = _invoke(
        app, "facility", "create", "type=hospital", "name_th=x", "lat=95", "lon=100", "--by", "a"
    )
    assert result.exit_code != 0
    assert "field 'lat': 95 is not a latitude between -90 and 90" in result.output
