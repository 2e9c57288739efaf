"""Characters no field may hold, refused before any view reads the request.

A NUL character cannot be stored in PostgreSQL text (and means a binary or mangled paste
anyway), so a form or query value holding one is answered with a 400 naming the field,
whichever page it was sent to, instead of failing deep in a query.
"""

from __future__ import annotations

from flask import Flask, request

from importers.messages import Rule

from .errors import ValidationError

NUL_IN_FIELD = Rule(
    "input.nul_character",
    "field '%(field)s' holds a NUL character (\\x00), which no text may contain; type or "
    "paste the value again",
)


def _refuse_nul_characters() -> None:
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for values in sources:
        for name, value in values.items(multi=True):
            if "\x00" in value or "\x00" in name:
                raise ValidationError(NUL_IN_FIELD(field=name.replace("\x00", "")), field=name)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
