"""After signing in, ``next`` may only lead to a page of this site.

Each known bypass is sent through a real sign-in; the ``Location`` is then read the way a
browser reads it (tabs, CR and LF dropped, backslashes as slashes, resolved against the page)
and must stay on this host. Item 8: a newline in ``next`` is no 500.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from registry.local_paths import local_path
from tests.registry.conftest import PASSWORD, csrf_token

BYPASSES = [
    "/%09/evil.example/",
    "/\t/evil.example/",
    "/\r\n/evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/%5Cevil.example/",
    "/%2F/evil.example/",
    "/%2f%2fevil.example/",
    "/%252F%252Fevil.example/",
    " //evil.example/",
    "\x00//evil.example/",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "/official/\nSet-Cookie: x=1",
]


def _as_browser_reads(location: str, page: str) -> str:
    cleaned = "".join(c for c in location if c not in "\t\r\n").strip().replace("\\", "/")
    return urljoin(page, cleaned)


@pytest.mark.parametrize("target", BYPASSES)
def test_sign_in_never_sends_the_browser_elsewhere(client, accounts, target):
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client),
            "username": "official",
            "password": PASSWORD,
            "next": target,
        },
    )
    if "\x00" in target:  # refused at the door: no field may hold a NUL
        assert response.status_code == 400
        return
    assert response.status_code == 302
    landing = _as_browser_reads(response.headers["Location"], "http://registry.test/login")
    assert urlsplit(landing).hostname == "registry.test", (target, landing)


@pytest.mark.parametrize(
    "target", ["/official/", "/survey?mine=1", "/official/facility/3/edit#map", "/stats/TH50"]
)
def test_a_page_of_this_site_is_kept(client, accounts, target):
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client),
            "username": "official",
            "password": PASSWORD,
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_local_path_refuses_what_a_browser_would_send_away():
    for target in BYPASSES:
        assert local_path(target) is None, target
    assert local_path("/a/b?c=d%20e") == "/a/b?c=d%20e"
