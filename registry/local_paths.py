"""Where a redirect may send a browser: only to a path on this site.

Browsers forgive a lot in a ``Location``: they drop tabs, CR and LF anywhere, strip leading
spaces and control characters, read a backslash as a slash, and some servers and proxies
decode ``%2F`` and ``%5C`` on the way. ``/%09/evil.example/`` therefore lands on
``//evil.example/`` — another site. Rather than repair such a value, we refuse it: a target
is accepted only when it is a plain path both as sent and after percent-decoding.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

_MAX_LENGTH = 2_000
_DECODE_ROUNDS = 3  # a double- or triple-encoded slash is still a slash to someone


def _plain_path(value: str) -> bool:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or "\\" in value:
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site whatever a browser makes of it, else None."""
    if not target or len(target) > _MAX_LENGTH:
        return None
    value = target
    for _round in range(_DECODE_ROUNDS + 1):
        if not _plain_path(value):
            return None
        decoded = unquote(value)
        if decoded == value:
            return target
        value = decoded
    return None  # still changing after several decodings: not a path anyone meant
