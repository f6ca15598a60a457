"""Opaque Relay cursors over ascending ids (keyset pagination: stable while rows change)."""

from __future__ import annotations

from base64 import b64decode, b64encode

from schema.ids import row_id
from services.errors import invalid

PREFIX = "after:"


def cursor(node_id: int) -> str:
    return b64encode(f"{PREFIX}{node_id}".encode()).decode()


def after_id(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        text = b64decode(value.encode(), validate=True).decode()
        if not text.startswith(PREFIX):
            raise ValueError(text)
        return row_id(text.removeprefix(PREFIX))
    except ValueError as error:
        raise invalid("That cursor is not one this API gave out.", after=value) from error


def page_size(first: int, maximum: int) -> int:
    if not 1 <= first <= maximum:
        raise invalid(f"Ask for between 1 and {maximum} items at a time.", first=first)
    return first
