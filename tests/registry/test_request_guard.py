"""The nesting depth of a JSON body, read on its bytes before it is parsed, and fast.

The depth is checked on every JSON request before the parser sees it (a body nested 100,000
deep would make the parser recurse into an error). A body may be 20 MB: read byte by byte in
Python that took seconds of a worker; whole-buffer operations take a fraction of one.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.request_guard import MAX_JSON_DEPTH, _bytes_nesting_depth

BODY_MB = 20
# Characters that trouble a reader of JSON text: quotes, backslashes, brackets, Thai.
TRICKY = st.text(alphabet=st.sampled_from('"\\[]{}ab ก\n\t/u'), max_size=12)


def _depth(value) -> int:
    """The nesting depth of a parsed value: what the bytes must give."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _byte_by_byte(data: bytes) -> int:
    """The plain reading, one byte at a time: the reference for any text, JSON or not."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


values = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=values, ascii_only=st.booleans())
def test_the_depth_of_any_json_body_is_read_right(value, ascii_only):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert _bytes_nesting_depth(data) == _depth(value) == _byte_by_byte(data)


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b"", 0),
        (b"[" * 70 + b"]" * 70, 70),
        (b'["' + b"[" * 100 + b'"]', 1),  # brackets inside a string
        (b'["a\\"[[[", [[1]]]', 3),  # an escaped quote does not end the string
        (b'["a\\\\", [[1]]]', 3),  # an escaped backslash does not escape the quote
        (b'["a\\\\\\"[[", [1]]', 2),
        (b'["abc' + b"[" * 100, 1),  # the rest of an unfinished string is the string
        (b'{"a":"]]]]","b":[[["x"]]]}', 4),
        (b'""""[[]]', 2),
    ],
)
def test_hand_made_bodies(data, depth):
    assert _bytes_nesting_depth(data) == depth == _byte_by_byte(data)


def _records_body(mb: int) -> bytes:
    """A status feed of the size the upload limit allows, strings full of quotes and brackets."""
    record = json.dumps(
        {"id": 1234, "status": "full", "note": 'เตียง [ว่าง] "3" \\ {x} ' * 4},
        ensure_ascii=False,
    ).encode()
    return b"[" + b",".join([record] * (mb * 1024 * 1024 // (len(record) + 1))) + b"]"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda: _records_body(BODY_MB), id="records"),
        pytest.param(lambda: b"[" + b'"]",' * (BODY_MB * 256 * 1024) + b"1]", id="strings"),
    ],
)
def test_a_20_mb_body_is_read_in_well_under_a_second(body):
    data = body()
    assert len(data) >= BODY_MB * 1_000_000
    # CPU time, not wall time: other work on the machine must not make this fail (the byte
    # loop this replaced needed well over a second of CPU for such a body).
    started = time.process_time()
    depth = _bytes_nesting_depth(data)
    elapsed = time.process_time() - started
    assert depth <= 2 < MAX_JSON_DEPTH
    assert elapsed < 1.0, f"{len(data) / 1e6:.0f} MB took {elapsed:.2f} s of CPU"
