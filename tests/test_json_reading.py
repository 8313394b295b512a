"""Reading a create's body through orjson gives what the strict standard-library reader gives.

The strict reader (``json`` refusing duplicate keys and NaN) is the oracle: on
generated documents, with duplicate keys, colons and escaped colons in strings,
big integers and floats, the fast reader either leaves the body to it or returns
a value equal to its, type for type; and a body it refuses the fast reader
never accepts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.generations import _SLOW, _fast_loads, _strict_loads


def typed(value: Any) -> Any:
    """``value`` with every scalar tagged by its type, so ``1``, ``1.0`` and ``True`` differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, repr(value))


def agrees(body: bytes) -> str:
    """Assert the two readers agree on ``body``; say which path answered."""
    fast = _fast_loads(body)
    try:
        strict = _strict_loads(body)
    except ApiError:
        assert fast is _SLOW, body
        return "refused"
    if fast is _SLOW:
        return "slow"
    assert typed(fast) == typed(strict), body
    return "fast"


KEYS = st.sampled_from(["a", "b", "a:b", "model", ":", "\\u003a"]) | st.text(max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=6)
    | st.sampled_from(["https://x.example/a", "a:b::", "\ud800", "é"])
)


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON text, members written by hand so that keys may repeat and escapes vary."""
    kind = draw(st.sampled_from(["scalar", "object", "array"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        text = json.dumps(draw(SCALARS), ensure_ascii=draw(st.booleans()))
        return text.replace(":", "\\u003a") if draw(st.booleans()) else text
    items = draw(st.lists(documents(depth + 1), max_size=4))
    if kind == "array":
        return "[" + ", ".join(items) + "]"
    keys = [json.dumps(draw(KEYS)) for _ in items]
    return "{" + ",".join(f"{key} : {item}" for key, item in zip(keys, items, strict=True)) + "}"


@settings(max_examples=800, deadline=None)
@given(documents())
def test_generated_documents_read_the_same(text: str) -> None:
    agrees(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"model": "m", "prompt": "a cat", "params": {"size": "1:1"}}', "fast"),
        (b'{"a": 1, "a": 2}', "refused"),
        (b'{"a": {"b": 1}, "a": {"c:": 1}}', "refused"),
        (b'{"a": "x:y", "a": 1}', "refused"),
        (b'{"a": "\\u003a", "a": 1}', "refused"),
        (b'{"a\\u003a": 1, "a\\u003a": 2}', "refused"),
        (b'{"a": 123456789012345678901234567890}', "slow"),
        (b"[18446744073709551615, -9223372036854775808]", "fast"),
        (b"[1e400]", "slow"),
        (b'{"a": NaN}', "refused"),
        (b'"\\ud800"', "slow"),
        (b"\xef\xbb\xbf{}", "refused"),
        (b'{"a": "\xff"}', "refused"),
        (b"[" * 3000 + b"]" * 3000, "refused"),
    ],
)
def test_edge_cases_take_the_expected_path(body: bytes, path: str) -> None:
    assert agrees(body) == path
