"""Coded messages in the page's language: the rule's template through Flask-Babel, its
parameters filled in (clauses translated in turn, areas named in the page's language, fields
named as the form labels them, facility types, statuses and choices by their labels).

The importers and the services give every problem a code and named parameters
(importers.messages); the Thai of each template lives in the .po catalogue like any other
string, and ``tests/registry/test_message_codes.py`` fails for a code without Thai.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask_babel import gettext

from importers.messages import RULES, Text, text_of
from importers.vocabulary import CHOICE_LABELS, STATUS_LABELS, TYPE_LABELS
from registry import presentation
from registry.accounts.access import area_name
from registry.db import db
from registry.i18n import current_language

FieldLabel = Callable[[str], str]


def vocabulary_label(value: Any) -> Any:
    """A facility type, status or choice by its label; anything else as it is."""
    if not isinstance(value, str):
        return value
    if value in TYPE_LABELS:
        return presentation.type_label(value)
    if value in STATUS_LABELS:
        return presentation.status_label(value)
    return presentation.choice_label(value) if value in CHOICE_LABELS else value


def _value(name: str, value: Any, field_label: FieldLabel | None) -> Any:
    nested = text_of(value)
    if nested is not None:
        return shown(nested, field_label)
    if isinstance(value, Mapping) and "area" in value:
        return area_name(db.session, value["area"], current_language())
    label = field_label or presentation.field_label
    if name == "field" and isinstance(value, str):
        return label(value)
    if isinstance(value, (list, tuple)):
        # "fields" lists registry fields; other lists hold codes of the vocabulary.
        named = label if name == "fields" else vocabulary_label
        return ", ".join(
            str(_value("", v, field_label) if isinstance(v, Mapping | Text) else named(v))
            for v in value
        )
    if name == "type":
        return vocabulary_label(value)
    return value


def shown(text: Text | Mapping[str, Any], field_label: FieldLabel | None = None) -> str:
    """A Text (or its stored dict) as the page says it."""
    text = text_of(text) or text
    template = RULES[text.code]
    params = {k: _value(k, v, field_label) for k, v in (text.params or {}).items()}
    return gettext(template, **params) if params else gettext(template)


def error_text(error: Any, field_label: FieldLabel | None = None) -> str:
    """An error's message in the page's language (its English when it carries no code)."""
    text = getattr(error, "text", None) or text_of(error)
    return shown(text, field_label) if text is not None else str(getattr(error, "message", error))


def problem_rule(problem: Mapping[str, Any], field_label: FieldLabel | None = None) -> str:
    """The rule of one import problem (a report dict) in the page's language."""
    if problem.get("code") in RULES:
        return shown(Text(problem["code"], problem.get("params") or {}), field_label)
    return problem.get("rule") or ""


def init_app(app: Flask) -> None:
    """``error_text`` for templates: an error or a Text in the page's language."""
    app.jinja_env.globals.update(error_text=error_text)
