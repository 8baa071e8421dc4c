"""An AWS JSON 1.1 request body, parsed without trusting it: orjson (which refuses NaN, lone
surrogates and nesting past 1024 levels, where the standard library's json recurses until
RecursionError, a 500 before issue 9 item 6), then at most `MAX_DEPTH` levels, far more than any
Translate input shape needs (the deepest, OutputDataConfig.EncryptionKey.Id, is 3)."""

from __future__ import annotations

from typing import Any

import orjson

from dragoman.api.aws.errors import AwsError

__all__ = ["MAX_DEPTH", "parse_body"]

MAX_DEPTH = 32


def parse_body(data: bytes) -> dict[str, Any]:
    """The body as a JSON object (an empty body is `{}`). Raises AwsError SerializationException
    (400) for anything else: not JSON, not an object, or nested deeper than MAX_DEPTH."""
    try:
        body = orjson.loads(data or b"{}")
    except orjson.JSONDecodeError:
        raise AwsError(400, "SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise AwsError(400, "SerializationException", "The request body must be a JSON object.")
    if _depth(body) > MAX_DEPTH:
        raise AwsError(400, "SerializationException", f"The request body is nested deeper than {MAX_DEPTH} levels.")
    return body


def _depth(value: Any) -> int:
    """How deeply `value` nests, counted without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        pending.extend((child, depth + 1) for child in children)
    return deepest
