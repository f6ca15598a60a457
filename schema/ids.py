"""Relay global IDs ("Mentor:42", base64-encoded) to database ids, with clear errors."""

from __future__ import annotations

import strawberry
from strawberry import relay

from services.errors import invalid


def decode(value: strawberry.ID | str, type_name: str) -> int:
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return int(gid.node_id)
    except ValueError as error:
        raise invalid(f"{value!r} is not the id of a {type_name}.", id=str(value)) from error


def decode_optional(value: strawberry.ID | str | None, type_name: str) -> int | None:
    return None if value is None else decode(value, type_name)


def encode(type_name: str, node_id: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(node_id))))
