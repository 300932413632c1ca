"""Fuzzing decode: whatever comes in, only MessageValidationError may escape."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from signal_bus.channels import ALL_CHANNELS
from signal_bus.codec import decode, encode, to_dict
from signal_bus.errors import MessageValidationError
from signal_bus.messages import Message

from .factories import example_messages

_CHANNELS = st.sampled_from([None, *ALL_CHANNELS])

_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _decode_or_reject(raw: bytes | str, channel: str | None) -> Message | None:
    rejection: MessageValidationError | None = None
    try:
        return decode(raw, channel)
    except MessageValidationError as error:
        rejection = error
    assert rejection.field
    assert rejection.reason
    return None


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200), channel=_CHANNELS)
def test_random_bytes(raw: bytes, channel: str | None) -> None:
    _decode_or_reject(raw, channel)


@settings(max_examples=200, deadline=None)
@given(raw=st.text(max_size=200), channel=_CHANNELS)
def test_random_text(raw: str, channel: str | None) -> None:
    _decode_or_reject(raw, channel)


@settings(max_examples=400, deadline=None)
@given(
    index=st.integers(0, len(example_messages()) - 1),
    field_choice=st.integers(0, 100),
    value=_JSON_VALUES,
    drop=st.booleans(),
    channel=_CHANNELS,
)
def test_mutated_valid_messages(
    index: int, field_choice: int, value: Any, drop: bool, channel: str | None
) -> None:
    document = to_dict(example_messages()[index])
    names = sorted(document)
    name = names[field_choice % len(names)]
    if drop:
        del document[name]
    else:
        document[name] = value
    raw = json.dumps(document, allow_nan=True)
    decoded = _decode_or_reject(raw, channel)
    if decoded is not None:
        # Whatever is accepted re-encodes to something that decodes to the same message.
        assert decode(encode(decoded)) == decoded


@settings(max_examples=200, deadline=None)
@given(
    index=st.integers(0, len(example_messages()) - 1),
    position=st.integers(0, 10_000),
    byte=st.integers(0, 255),
)
def test_corrupted_bytes(index: int, position: int, byte: int) -> None:
    raw = bytearray(encode(example_messages()[index]))
    raw[position % len(raw)] = byte
    _decode_or_reject(bytes(raw), None)
