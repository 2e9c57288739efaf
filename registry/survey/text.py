"""How survey fields, values and rule problems read on pages, in Thai or English."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _

from importers.vocabulary import SURVEY_GROUP_LABELS, SURVEY_GROUPS
from registry.accounts.access import area_name
from registry.i18n import current_language
from registry.models import SurveyRecord
from registry.survey.rules import SurveyProblem, thai_date
from registry.survey.service import record_values


def place_name(session, code: str | None) -> str:
    """An area with its parents, in the page's language: ``ศรีภูมิ, เมืองเชียงใหม่, ...``."""
    return area_name(session, code, current_language())


def group_label(group: str) -> str:
    thai, english = SURVEY_GROUP_LABELS[group]
    return thai if current_language() == "th" else english


def field_label(name: str) -> str:
    """A survey field (or change-log field) as people call it."""
    kind, _sep, group = name.partition("_")
    if kind in ("residents", "unvaccinated") and group in SURVEY_GROUPS:
        what = _("living there") if kind == "residents" else _("unvaccinated")
        return f"{group_label(group)}: {what}"
    labels = {
        "area_code": _("Subdistrict"),
        "subdistrict": _("Subdistrict"),
        "district": _("District"),
        "province": _("Province"),
        "village_code": _("DOPA village code"),
        "village_no": _("Village no. (Moo)"),
        "village_name": _("Village name"),
        "survey_date": _("Survey date"),
        "residents_total": _("Total living there"),
        "unvaccinated_total": _("Total unvaccinated"),
        "referred_site": _("Referred to a vaccination site"),
        "referred_home_visit": _("Referred to a home visit"),
        "lat": _("Latitude"),
        "lon": _("Longitude"),
        "location": _("Village centre"),
        "created": _("(created)"),
        "deleted_at": _("Withdrawn"),
        "withdraw_reason": _("Reason"),
    }
    return labels.get(name, name)


def rule_text(rule: str, params: dict[str, Any]) -> str:
    """A rule template in the page's language with its parameters filled in."""
    params = dict(params or {})
    if "group" in params:
        params["group"] = group_label(params["group"])
    if "other_kind" in params:
        kind = params["other_kind"]
        params["other_kind"] = _("a site") if kind == "site" else _("a home visit")
    if "kind" in params:
        params["kind"] = _("latitude") if params["kind"] == "latitude" else _("longitude")
    return _(rule, **params) if params else _(rule)


def problem_text(problem: SurveyProblem) -> str:
    """``'12' is more than ...``: the value as given, then the rule, for a form field."""
    text = rule_text(problem.rule, problem.params)
    if problem.value is None or problem.value == "":
        return text
    return f"“{problem.value}” {text}"


def upload_problem_text(problem: dict[str, Any]) -> str:
    """``row 5, column 'หมู่ที่': 'x' is not ...`` for the upload report."""
    parts = []
    if problem.get("row") is not None:
        parts.append(_("row %(row)s", row=problem["row"]))
    if problem.get("column"):
        parts.append(_("column “%(column)s”", column=problem["column"]))
    where = ", ".join(parts) or _("file")
    value = problem.get("value")
    shown = f" “{value}”" if value not in (None, "") else ""
    return f"{where}:{shown} {rule_text(problem['rule'], problem.get('params') or {})}"


def date_text(day: dt.date | None) -> str:
    """A date as the page's people write it: 15/11/2564 in Thai, 2021-11-15 in English."""
    if day is None:
        return ""
    return thai_date(day) if current_language() == "th" else day.isoformat()


def form_texts(record: SurveyRecord) -> dict[str, str]:
    """A record's values as the form shows them."""
    texts = {}
    for name, value in record_values(record).items():
        if value is None:
            texts[name] = ""
        elif isinstance(value, dt.date):
            texts[name] = date_text(value)
        elif isinstance(value, float):
            texts[name] = f"{value:.6f}"
        else:
            texts[name] = str(value)
    return texts


def change_value(name: str, value: Any) -> str:
    """A change-log value for the history table."""
    if value is None:
        return ""
    if name == "survey_date":
        return date_text(dt.date.fromisoformat(value))
    if name == "location":
        return f"{value[1]:.6f}, {value[0]:.6f}"
    if name == "created":
        return _("(created)")
    return str(value)


def village_text(record: SurveyRecord) -> str:
    """``หมู่ 3 บ้านป่า``, ``บ้านป่า`` or ``(whole subdistrict)``."""
    parts = []
    if record.village_no is not None:
        parts.append(_("Moo %(no)s", no=record.village_no))
    if record.village_name:
        parts.append(record.village_name)
    return " ".join(parts) or _("(whole subdistrict)")
