"""Relay global IDs ("Mentor:42", base64-encoded) to database ids, with clear errors."""

from __future__ import annotations

import strawberry
from strawberry import relay

from services.errors import invalid, quoted, shortened

# Row ids are PostgreSQL integers; anything outside that range names no row, and must not
# reach the database driver (which would fail with an overflow, not a clear answer).
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int:
    """A positive row id written in plain ASCII digits, or ValueError."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ROW_ID:
        raise ValueError(text)
    return int(text)


def decode(value: strawberry.ID | str, type_name: str) -> int:
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return row_id(gid.node_id)
    except ValueError as error:
        raise invalid(
            f"{quoted(value)} is not the id of a {type_name}.", id=shortened(str(value))
        ) from error


def decode_optional(value: strawberry.ID | str | None, type_name: str) -> int | None:
    return None if value is None else decode(value, type_name)


def encode(type_name: str, node_id: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(node_id))))
