"""Thai and English: Buddhist-era dates on Thai pages, and no untranslated string in Thai."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo

from registry import i18n

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare_app(tmp_path):
    from flask import Flask

    app = Flask(__name__, instance_path=str(tmp_path))
    i18n.init_app(app)
    return app


def test_thai_times_use_the_buddhist_era_in_bangkok_time(bare_app):
    # 18:00 UTC on New Year's Eve is already 1 January in Bangkok: the era year follows it.
    moment = datetime(2021, 12, 31, 18, 0, tzinfo=UTC)
    with bare_app.test_request_context("/?lang=th"):
        assert i18n.local_time(moment) == "1 ม.ค. 2565 01:00"
        assert i18n.local_date(date(2021, 6, 20)) == "20 มิ.ย. 2564"
    with bare_app.test_request_context("/?lang=en"):
        assert "2022" in i18n.local_time(moment)
        assert i18n.local_date(date(2021, 6, 20)) == "Jun 20, 2021"


def _used_messages() -> dict[str, str]:
    """Every msgid the templates and the registry package ask gettext for, with where."""
    methods = [("**.py", "python"), ("**.html", "jinja2.ext:babel_extract")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    used = {}
    for folder in ("registry", "templates"):
        for filename, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, methods, keywords=keywords
        ):
            for text in message if isinstance(message, tuple) else (message,):
                if text:
                    used.setdefault(text, f"{folder}/{filename}")
    return used


def test_every_string_shown_has_a_thai_translation(tmp_path):
    target = i18n.compile_catalogues(tmp_path)
    with (target / "th/LC_MESSAGES/messages.mo").open("rb") as mo_file:
        catalogue = read_mo(io.BytesIO(mo_file.read()))
    translated = {m.id for m in catalogue if m.id and m.string}
    translated |= {part for m in catalogue if isinstance(m.id, tuple) and m.string for part in m.id}
    missing = {text: where for text, where in _used_messages().items() if text not in translated}
    assert not missing, f"{len(missing)} strings have no Thai translation: {missing}"
