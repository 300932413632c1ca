"""Validate incoming documents with the signal bus contracts, reporting field and rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from signal_bus.codec import decode_document
from signal_bus.errors import MessageValidationError
from signal_bus.messages import Message

from .exceptions import InvalidInput
from .limits import message_limits_check

MessageT = TypeVar("MessageT", bound=Message)


def documents_as_list(data: Any) -> list[Any]:
    """Accept one JSON object or a list of them."""
    if isinstance(data, list):
        if not data:
            raise InvalidInput(
                field="body", rule="min_length", message="must hold at least one item"
            )
        return data
    return [data]


def messages_from_documents(
    *, documents: Sequence[Any], channel: str, expected: tuple[type[MessageT], ...]
) -> list[MessageT]:
    """Decode every document with the bus codec; the first bad one raises :class:`InvalidInput`."""
    messages: list[MessageT] = []
    many = len(documents) > 1
    for index, document in enumerate(documents):
        prefix = f"[{index}]." if many else ""
        try:
            message = decode_document(document, channel)
        except MessageValidationError as error:
            raise InvalidInput(
                field=f"{prefix}{error.field}", rule="contract", message=error.reason
            ) from None
        if not isinstance(message, expected):
            names = ", ".join(cls.message_type for cls in expected)
            raise InvalidInput(
                field=f"{prefix}type", rule="choice", message=f"must be one of {names}"
            )
        try:
            message_limits_check(message=message)
        except InvalidInput as error:
            raise InvalidInput(
                field=f"{prefix}{error.field}", rule=error.rule, message=error.message
            ) from None
        messages.append(message)
    return messages
