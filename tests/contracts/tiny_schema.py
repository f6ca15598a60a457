"""A small schema built as app/schema.py builds Mentori's (a Schema subclass overriding
process_errors, field metadata, a subscription), for the Strawberry contract tests."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

DEFINITION = "strawberry-definition"  # the key live/shared.py reads
# Field metadata as live/sharing.py marks it (any keys would do: Strawberry's part is checked).
SHARED_BY_ROLE_KEY = "mentori.shared_by_role"
PER_VIEWER_KEY = "mentori.per_viewer"


@strawberry.type
class Tick:
    n: int

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("broken on purpose")


def _hello() -> str:
    return "hi"


async def _ticks(count: int = 2) -> AsyncGenerator[Tick, None]:
    for n in range(count):
        yield Tick(n=n)


@strawberry.type
class Query:
    hello: str = strawberry.field(resolver=_hello, metadata={PER_VIEWER_KEY: True})

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("broken on purpose")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def poke(self) -> bool:
        return True


@strawberry.type
class Subscription:
    ticks: AsyncGenerator[Tick, None] = strawberry.subscription(
        resolver=_ticks, metadata={SHARED_BY_ROLE_KEY: True}
    )


class QuietSchema(strawberry.Schema):
    """As app/schema.py's MentoriSchema: process_errors overridden (and nothing logged)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        self.processed = [*getattr(self, "processed", []), *errors]


def tiny_schema(*extensions: type[SchemaExtension]) -> QuietSchema:
    return QuietSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=list(extensions)
    )


@dataclasses.dataclass
class Context:
    """As schema/context.py's Context: Strawberry sets `connection_params` on connection_init."""

    connection_params: dict[str, Any] | None = None
