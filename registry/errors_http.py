"""How errors reach people: JSON under /api, a short HTML page elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from .errors import RegistryError

_PAGE = """<!doctype html><html lang="th"><meta charset="utf-8">
<title>{{ status }}</title><body><h1>{{ status }}</h1><p>{{ message }}</p></body></html>"""


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _registry_error(error: RegistryError):
    from .db import db

    db.session.rollback()
    if _wants_json():
        return jsonify(error.to_dict()), error.status_code
    return render_template_string(
        _PAGE, status=error.status_code, message=error.message
    ), error.status_code


def _http_error(error: HTTPException):
    if _wants_json():
        body = {"error": error.name.lower().replace(" ", "_"), "message": error.description}
        return jsonify(body), error.code
    return error


def init_app(app: Flask) -> None:
    app.register_error_handler(RegistryError, _registry_error)
    app.register_error_handler(HTTPException, _http_error)
