"""Builds the Schema from the per-domain resolvers, with the limits production needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.settings import Settings
from resolvers.mentors import MentorMutation, MentorQuery
from resolvers.programmes import ProgrammeMutation, ProgrammeQuery
from resolvers.requests import RequestMutation, RequestQuery
from resolvers.students import StudentMutation
from resolvers.viewer import ViewerQuery
from schema.errors import ErrorCodes

SDL_PATH = Path(__file__).parent / "schema.graphql"


@strawberry.type
class Query(ViewerQuery, ProgrammeQuery, MentorQuery, RequestQuery):
    pass


@strawberry.type
class Mutation(ProgrammeMutation, MentorMutation, StudentMutation, RequestMutation):
    pass


class MentoriSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Unexpected errors are logged where they are masked (schema/errors.py); expected
        ones are the client's business, not the server log's."""


def build_schema(
    settings: Settings | None = None,
    *,
    extra_extensions: Sequence[type[SchemaExtension]] = (),
) -> strawberry.Schema:
    settings = settings or Settings()
    # Factories, so each operation gets fresh extension instances.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        *extra_extensions,
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        ErrorCodes,
    ]
    if settings.production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return MentoriSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
    )


def sdl() -> str:
    return build_schema(Settings()).as_str() + "\n"
