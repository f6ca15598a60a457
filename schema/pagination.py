"""Relay cursor connections: one generic page of nodes with a total count, its edges' opaque
cursors over ascending ids (keyset pagination: stable while rows change), and its PageInfo."""

from __future__ import annotations

from base64 import b64decode, b64encode
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar

import strawberry
from strawberry import relay

from schema.ids import row_id
from services.errors import invalid, shortened

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
        raise invalid(
            "That cursor is not one this API gave out.", after=shortened(value)
        ) from error


def page_size(first: int, maximum: int) -> int:
    if not 1 <= first <= maximum:
        raise invalid(f"Ask for between 1 and {maximum} items at a time.", first=first)
    return first


class Row(Protocol):
    @property
    def id(self) -> int: ...


NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT", bound=Row)


@strawberry.type
class Edge(Generic[NodeT]):
    """Named after its node: `Edge[Mentor]` is MentorEdge."""

    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    """Each list subclasses it once, for its name and description (`MentorConnection`)."""

    edges: Sequence[Edge[NodeT]]
    page_info: relay.PageInfo
    total_count: int

    @classmethod
    def of(
        cls,
        rows: Sequence[RowT],
        node: Callable[[RowT], NodeT],
        *,
        total_count: int,
        has_next_page: bool,
        has_previous_page: bool,
        **more: Any,
    ) -> Self:
        """The page of these rows, in their order; `more` fills a subclass's own fields."""
        cursors = [cursor(row.id) for row in rows]
        return cls(
            edges=[Edge(cursor=c, node=node(r)) for c, r in zip(cursors, rows, strict=True)],
            page_info=relay.PageInfo(
                has_next_page=has_next_page,
                has_previous_page=has_previous_page,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            total_count=total_count,
            **more,
        )
