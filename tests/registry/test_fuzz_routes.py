"""No request makes the service answer 5xx.

A property-based walk over EVERY route of the app (read from ``app.url_map``, so routes added
later are walked too) and every parameter name the code reads (scraped from the source:
``request.args.get("...")``, ``params.integer("...")``, form fields, ...). Each example sends
hostile values — huge and negative numbers, NUL and control characters, long Thai text,
out-of-range dates, SQL and markup, bad area codes — by GET, POST and PATCH, as a query
string, a form (with a file now and then) or a JSON body, with hostile HTTP headers (ranges,
validators, codings, CORS, proxies), anonymously or signed in as each role (session cookie
or API token). The app runs with TESTING, so an exception in a view
fails the test with its traceback; any 5xx answer fails it too. Both databases.

CSRF is switched off here so the examples reach the views (CSRF has its own tests).
Examples per route: REGISTRY_FUZZ_EXAMPLES (default 8; the whole run takes about a minute
per database on a quiet machine).
"""

from __future__ import annotations

import inspect
import io
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.paths import PROJECT_ROOT
from tests.registry.conftest import bearer, session_for
from tests.registry.helpers import make_facility

EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "8"))
ROLES = [None, "national_admin", "provincial_admin", "official", "volunteer", "planner"]
_READS = re.compile(
    r"""(?:request\.(?:args|form|values|files)\.get(?:list)?|params\.\w+)\(\s*["']([A-Za-z_][\w]*)["']"""
)


def parameter_names() -> list[str]:
    """Every parameter name the views and the API read, from their source."""
    names: set[str] = set()
    for path in (PROJECT_ROOT / "registry").rglob("*.py"):
        names.update(_READS.findall(path.read_text(encoding="utf-8")))
    names.update({"lang", "page", "format", "version", "id", "token", "next", "code"})
    return sorted(names)


def route_parameters(app, endpoint: str) -> list[str]:
    """The names a view reads itself (its module's parameter lists included), else all."""
    view = app.view_functions.get(endpoint)
    module = inspect.getmodule(view)
    source = inspect.getsource(module) if module else ""
    names = set(_READS.findall(source)) | set(re.findall(r'^\s+"([a-z_]+)",$', source, re.M))
    return sorted(names & set(PARAMETERS) | {"lang"})


PARAMETERS = parameter_names()
HOSTILE = [
    "",
    " ",
    "\x00",
    "%00",
    "\r\n",
    "\t",
    "0",
    "-1",
    "1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9" * 40,
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "0.0000001",
    "๑๒๓",
    "²",  # a digit to str.isdigit, not to int
    "①",
    "1_0",  # a number to int and float, to no person
    "TH",
    "TH50",
    "TH5001",
    "TH500101",
    "50",
    "TH99999999999",
    "18.79,98.99",
    "18.7877",
    "98.9934",
    "13.75",
    "100.5",
    "5",
    "10",
    "3",
    "-180,-90,180,90",
    "1,2,3",
    "true",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2021-13-45",
    "31/02/2564",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example")',
    "../../../etc/passwd",
    "//evil.example",
    "/%09/evil.example",
    "ก" * 3000,
    "\ud7ff" * 10,
    "hospital",
    "vaccination_site",
    "open",
    "csv",
    "xlsx",
    "json",
    "geojson",
    "grid",
    "subdistrict_centres",
    "facilities:hospital",
    "dopa-2020-modelled",
    "survey-unvaccinated",
]
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=40),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False),
        st.sampled_from(HOSTILE),
        st.text(max_size=20),
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(PARAMETERS), children, max_size=4)
    ),
    max_leaves=12,
)


# What HTTP clients send beside the query: validators, ranges, codings, CORS and proxies.
HEADER_VALUES = {
    "Range": [
        "bytes=0-9",
        "bytes=-5",
        "bytes=-99999999999",
        "bytes=99999999-",
        "bytes=5-2",
        "bytes=0-0,5-9",
        "bytes=",
        "items=0-5",
        "bytes=-0",
        "bytes=" + ",".join(["0-1"] * 500),
    ],
    "If-None-Match": ["*", '"x"', 'W/"x"', '"x-gzip", W/"y"', "garbage", '"' + "x" * 3000],
    "If-Match": ["*", '"nope"', "garbage"],
    "If-Range": ['"x"', 'W/"x"', "Mon, 07 Dec 2026 00:00:00 GMT", "garbage"],
    "If-Modified-Since": ["Mon, 07 Dec 2026 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "x"],
    "If-Unmodified-Since": ["Thu, 01 Jan 1970 00:00:00 GMT", "garbage"],
    "Accept-Encoding": ["gzip", "gzip;q=0", "*", "br, identity;q=0", "gzip;q=nan", "x" * 500],
    "Accept": ["application/json", "text/html", "*/*;q=x", "application/geo+json;q=0"],
    "Accept-Language": ["en", "th-TH,th;q=0.9", "zz", ";;;q=2"],
    "Origin": ["https://evil.example", "null"],
    "X-Forwarded-For": ["1.2.3.4", "not an address", "::1, 999.1.1.1"],
}
headers = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(st.sampled_from(choices), values) for name, choices in HEADER_VALUES.items()
    },
).map(
    # Header values are latin-1 text on the wire, one line each.
    lambda drawn: {
        name: value.encode("latin-1", "replace")
        .decode("latin-1")
        .replace("\r", " ")
        .replace("\n", " ")
        for name, value in drawn.items()
    }
)


def _path_value(converter: str):
    if converter == "int":
        return st.one_of(st.integers(1, 6), st.integers(0, 2**70)).map(str)
    if converter == "any":
        return st.sampled_from(["csv", "xlsx", "json"])
    return st.one_of(st.sampled_from(["TH50", "TH5001", "facilities", "all", "50"]), values)


_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods & {"GET", "POST", "PATCH", "PUT", "DELETE"})
        if methods:
            names = tuple(route_parameters(app, rule.endpoint))
            found.append((rule.rule, tuple(methods), names))
    return sorted(found)


def _rule_ids():
    from registry.app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    return _routes(app)


ROUTES = _rule_ids()


@st.composite
def requests(draw, rule: str, methods: tuple[str, ...], names: tuple[str, ...]):
    path = rule
    for match in _ARGUMENT.finditer(rule):
        converter = match.group(1) or "default"
        raw = draw(_path_value(converter))
        if converter in ("default", "path"):
            raw = raw.replace("/", "%2F").replace("?", "%3F").replace("#", "%23") or "x"
        path = path.replace(match.group(0), raw, 1)
    method = draw(st.sampled_from(methods))
    body_kind = draw(st.sampled_from(["none", "form", "json", "file"]))
    own = st.dictionaries(st.sampled_from(names), values, max_size=4)
    query = st.one_of(own, st.dictionaries(st.sampled_from(PARAMETERS), values, max_size=2))
    return {
        "path": path,
        "method": method,
        "query": draw(query),
        "body_kind": body_kind,
        "form": draw(st.one_of(own, st.dictionaries(st.sampled_from(PARAMETERS), values))),
        "json": draw(json_values),
        "file": draw(st.binary(max_size=300)),
        "file_name": draw(st.sampled_from(["a.csv", "a.xlsx", "a.geojson", "a.zip", "ก" * 300])),
        "role": draw(st.sampled_from(ROLES)),
        "headers": draw(headers),
    }


@pytest.fixture
def fuzz_client(app, session, accounts):
    app.config["WTF_CSRF_ENABLED"] = False
    for _ in range(3):
        make_facility(session)
    session.commit()
    headers = {name: bearer(session, accounts[name]) for name in ROLES if name}
    return app.test_client(), headers


@pytest.mark.parametrize(
    ("rule", "methods", "names"), ROUTES, ids=[f"{'+'.join(m)}:{r}" for r, m, _ in ROUTES]
)
def test_no_request_makes_a_5xx(fuzz_client, accounts, rule, methods, names):
    client, tokens = fuzz_client
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(requests(rule, methods, names))
    def walk(request):
        client.delete_cookie("session", domain="registry.test")
        headers = dict(request["headers"])
        if request["role"] and request["path"].startswith("/api/"):
            headers |= tokens[request["role"]]
        elif request["role"]:
            session_for(client, accounts[request["role"]])
        kind = request["body_kind"]
        options = {"query_string": request["query"], "headers": headers}
        if kind == "form":
            options["data"] = request["form"]
        elif kind == "file":
            options["data"] = {
                **request["form"],
                "file": (io.BytesIO(request["file"]), request["file_name"]),
            }
            options["content_type"] = "multipart/form-data"
        elif kind == "json":
            options["json"] = request["json"]
        response = client.open(request["path"], method=request["method"], **options)
        assert response.status_code < 500, (request, response.get_data(as_text=True)[:500])
        statuses.append(response.status_code)
        response.close()  # a download streams its file: let it go

    walk()
    print(rule, sorted(statuses))


# A plain request each GET route answers 200 to (its path filled with values that exist), so
# that the hostile headers reach what runs on a real answer: validators, Range, gzip, CORS.
_PLAIN = {"int": "1", "any": "csv", "path": "leaflet.js", "default": "TH50"}
_PLAIN_QUERY = {"/api/v1/areas": "?level=province"}  # not all 8,430 areas 45 times over
GET_ROUTES = [(rule, names) for rule, methods, names in ROUTES if "GET" in methods]


@pytest.mark.parametrize(("rule", "names"), GET_ROUTES, ids=[r for r, _ in GET_ROUTES])
def test_no_headers_make_a_5xx(fuzz_client, accounts, rule, names):
    client, _ = fuzz_client
    path = _ARGUMENT.sub(lambda match: _PLAIN.get(match.group(1) or "default", "x"), rule)
    path += _PLAIN_QUERY.get(rule, "")
    statuses: list[int] = []
    # On the API, the validators' home, each listed value alone first; then mixtures anywhere.
    listed = HEADER_VALUES.items() if path.startswith("/api/") else ()
    for name, value in ((name, value) for name, choices in listed for value in choices):
        response = client.get(path, headers={name: value})
        assert response.status_code < 500, (path, name, value, response.get_data()[:500])
        statuses.append(response.status_code)
        response.close()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(headers, st.sampled_from(["GET", "HEAD"]))
    def walk(sent, method):
        response = client.open(path, method=method, headers=sent)
        assert response.status_code < 500, (path, sent, response.get_data(as_text=True)[:500])
        statuses.append(response.status_code)
        response.close()

    walk()
    print(path, sorted(statuses))
