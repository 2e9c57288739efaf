"""Thai and English: Flask-Babel with Thai as the default language.

Catalogues live as .po files in registry/translations (messages.po plus one file per feature
where that keeps edits apart); they are compiled to .mo in the
instance folder when the app starts (and again only when a .po file is newer), so there is no
build step to forget and nothing binary in the repository.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import Babel, format_date, format_datetime, format_timedelta, get_locale

LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"
TIMEZONE = "Asia/Bangkok"
BANGKOK = ZoneInfo(TIMEZONE)  # times are stored in UTC and shown in this zone
SOURCE_DIR = Path(__file__).with_name("translations")

babel = Babel()


def select_language() -> str:
    """?lang= wins (and is remembered in a cookie by the response hook), then the cookie."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.language_choice = asked
        return asked
    remembered = request.cookies.get("lang")
    return remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE


def compile_catalogues(target: Path) -> Path:
    """One messages.mo per language from every .po file in its folder (one file per feature)."""
    for folder in SOURCE_DIR.glob("*/LC_MESSAGES"):
        sources = sorted(folder.glob("*.po"))
        mo_path = target / folder.relative_to(SOURCE_DIR) / "messages.mo"
        newest = max(path.stat().st_mtime for path in sources)
        if mo_path.exists() and mo_path.stat().st_mtime >= newest:
            continue
        language = folder.parent.name
        catalogue = None
        for po_path in sources:
            with po_path.open("rb") as po_file:
                part = read_po(po_file, locale=language)
            if catalogue is None:
                catalogue = part
                continue
            for message in part:
                if message.id and message.id not in catalogue:
                    catalogue[message.id] = message
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        # Workers start side by side: each writes its own draft and moves it into place whole,
        # so no process ever reads a catalogue another is half-way through writing.
        draft = mo_path.with_name(f".messages.{os.getpid()}.{threading.get_ident()}.mo")
        with draft.open("wb") as mo_file:
            write_mo(mo_file, catalogue)
        os.replace(draft, mo_path)
    return target


def _remember_language(response):
    choice = g.get("language_choice")
    if choice:
        response.set_cookie("lang", choice, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


# Thai readers count years in the Buddhist era (2564 = 2021); Babel's Thai locale prints the
# Gregorian year, so Thai pages put the era year in as a quoted literal.
BUDDHIST_ERA_OFFSET = 543


def local_time(value: datetime | None) -> str:
    """A UTC datetime shown in Bangkok time, in the page's language (Thai: Buddhist era)."""
    if value is None:
        return ""
    if current_language() != "th":
        return format_datetime(value, "medium")
    year = value.astimezone(BANGKOK).year + BUDDHIST_ERA_OFFSET
    return format_datetime(value, f"d MMM '{year}' HH:mm")


def local_date(value: date | None) -> str:
    """A calendar date in the page's language: '20 มิ.ย. 2564' or 'Jun 20, 2021'."""
    if value is None:
        return ""
    if current_language() != "th":
        return format_date(value, "medium")
    return format_date(value, f"d MMM '{value.year + BUDDHIST_ERA_OFFSET}'")


def time_ago(value: datetime | None) -> str:
    """'3 hours' / '3 ชั่วโมง', for 'confirmed ... ago'."""
    if value is None:
        return ""
    return format_timedelta(datetime.now(UTC) - value, granularity="minute")


def init_app(app: Flask) -> None:
    translations = compile_catalogues(Path(app.instance_path) / "translations")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    babel.init_app(app, locale_selector=select_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        local_time=local_time,
        local_date=local_date,
        time_ago=time_ago,
    )
