"""The one JSON parser of the API: strict UTF-8, a nesting limit, text PostgreSQL can store.

Python's decoder recurses once per nesting level, so a body of 100,000 ``[`` would raise
``RecursionError``; a lone surrogate (``"\\ud800"``) decodes to a ``str`` that cannot be
encoded for the database, and NUL cannot be stored in text or jsonb. Each of these is
refused here with a 400 naming the field, before any view, serializer or service runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework.parsers import JSONParser

from backend.common.validation import text_problem

from .exceptions import InvalidBody

MAX_DEPTH = 64


def _field(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def body_check(document: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`InvalidBody` for nesting deeper than ``max_depth`` or unstorable text.

    Walks the decoded document without recursion; fields are named as in the error
    responses (``result.statistics.Sharpe Ratio``, ``[2].model``).
    """
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                raise InvalidBody(field=path or "body", rule="text", message=problem)
            continue
        if not isinstance(value, Mapping | list):
            continue
        if depth > max_depth:
            raise InvalidBody(
                field="body", rule="depth", message=f"nested deeper than {max_depth} levels"
            )
        if isinstance(value, list):
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))
            continue
        for key, item in value.items():
            problem = text_problem(key)
            if problem is not None:
                raise InvalidBody(field=path or "body", rule="text", message=f"a key {problem}")
            stack.append((item, _field(path, key), depth + 1))


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class StrictJSONParser(JSONParser):
    """``application/json`` bodies, checked by :func:`body_check`; errors are 400s with fields."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidBody(
                field="body", rule="encoding", message=f"not UTF-8 (byte {error.start})"
            ) from None
        try:
            document = json.loads(text, parse_constant=_constant)
        except RecursionError:
            raise InvalidBody(
                field="body", rule="depth", message=f"nested deeper than {MAX_DEPTH} levels"
            ) from None
        except ValueError as error:
            raise InvalidBody(field="body", rule="json", message=f"not JSON: {error}") from None
        body_check(document)
        return document
