"""Builds the Schema from the per-domain resolvers, with the limits production needs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.settings import Settings
from resolvers.briefings import BriefingMutation, BriefingQuery
from resolvers.meetings import MeetingMutation, MeetingQuery
from resolvers.mentors import MentorMutation, MentorQuery
from resolvers.personal_data import PersonalDataMutation, PersonalDataQuery
from resolvers.programmes import ProgrammeMutation, ProgrammeQuery
from resolvers.requests import RequestMutation, RequestQuery
from resolvers.students import StudentMutation
from resolvers.subscriptions import LiveQuery, Subscription
from resolvers.surveys import SurveyMutation, SurveyQuery
from resolvers.unmatched_students import UnmatchedStudentQuery
from resolvers.viewer import ViewerQuery
from schema.context import FreshLoaders
from schema.errors import ErrorCodes
from schema.live import StreamedErrorCodes

SDL_PATH = Path(__file__).parent / "schema.graphql"
# Distinct documents whose parse and validation are kept (bounded: clients choose the text).
DOCUMENT_CACHE_SIZE = 256


@strawberry.type
class Query(
    ViewerQuery,
    ProgrammeQuery,
    MentorQuery,
    RequestQuery,
    UnmatchedStudentQuery,
    BriefingQuery,
    SurveyQuery,
    MeetingQuery,
    PersonalDataQuery,
    LiveQuery,
):
    pass


@strawberry.type
class Mutation(
    ProgrammeMutation,
    MentorMutation,
    StudentMutation,
    RequestMutation,
    BriefingMutation,
    SurveyMutation,
    MeetingMutation,
    PersonalDataMutation,
):
    pass


class MentoriSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Unexpected errors are logged where they are masked (schema/errors.py); expected
        ones are the client's business, not the server log's."""


class DocumentCache(ParserCache):
    """Strawberry's ParserCache, except that a document which does not parse is left to
    Strawberry's own parse: raised from this hook, the syntax (or token-limit) error would skip
    every extension's handling and reach the client without its code and 400 status."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


def build_schema(
    settings: Settings | None = None,
    *,
    extra_extensions: Sequence[type[SchemaExtension]] = (),
) -> strawberry.Schema:
    settings = settings or Settings()
    # The limits' validation rules are built once, so that a document seen before (the same
    # text, the same rules) is parsed and validated from the caches: validation was most of
    # a search's CPU time (bench/, README Performance).
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)
    # Factories, so each operation gets fresh extension instances.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        *extra_extensions,
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: DocumentCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        ErrorCodes,
        StreamedErrorCodes,
        FreshLoaders,
    ]
    return MentoriSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
    )


def sdl() -> str:
    return build_schema(Settings()).as_str() + "\n"
