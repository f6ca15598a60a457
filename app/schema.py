"""Builds the Schema from the per-domain resolvers, with the limits production needs."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.settings import Settings
from live.loaders import FreshLoaders
from resolvers.briefings import BriefingMutation, BriefingQuery
from resolvers.catalogue import CatalogueMutation, CatalogueQuery
from resolvers.coordinators import CoordinatorMutation, CoordinatorQuery
from resolvers.identity_checks import IdentityCheckMutation, IdentityCheckQuery
from resolvers.meetings import MeetingMutation, MeetingQuery
from resolvers.mentors import MentorMutation, MentorQuery
from resolvers.people import PeopleQuery
from resolvers.personal_data import PersonalDataMutation, PersonalDataQuery
from resolvers.programmes import ProgrammeMutation, ProgrammeQuery
from resolvers.report import ReportQuery
from resolvers.requests import RequestMutation, RequestQuery
from resolvers.students import StudentMutation
from resolvers.subscriptions import LiveQuery, Subscription
from resolvers.surveys import SurveyMutation, SurveyQuery
from resolvers.unmatched_students import UnmatchedStudentQuery
from resolvers.viewer import ViewerQuery
from schema.errors import ErrorCodes
from schema.limits import DocumentLimits, Limits
from schema.live import StreamedErrorCodes

SDL_PATH = Path(__file__).parent.parent / "schema" / "schema.graphql"
# Distinct documents whose parse and validation are kept (bounded: clients choose the text).
DOCUMENT_CACHE_SIZE = 256
# graphql-core's suggestions (pyutils/did_you_mean.py): " Did you mean 'a', 'b', or 'c'?", within
# a message or at its end; what they quote are names, never a question mark.
SUGGESTION = re.compile(r" Did you mean [^?]*\?")


@strawberry.type
class Query(
    ViewerQuery,
    ProgrammeQuery,
    CatalogueQuery,
    MentorQuery,
    RequestQuery,
    UnmatchedStudentQuery,
    PeopleQuery,
    CoordinatorQuery,
    IdentityCheckQuery,
    BriefingQuery,
    SurveyQuery,
    MeetingQuery,
    PersonalDataQuery,
    LiveQuery,
    ReportQuery,
):
    pass


@strawberry.type
class Mutation(
    ProgrammeMutation,
    CatalogueMutation,
    MentorMutation,
    CoordinatorMutation,
    IdentityCheckMutation,
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
        ones are the client's business, not the server log's.

        Every error passes here before it is presented: in production (where Strawberry's
        `disable_field_suggestions` is set, for fields alone) no message suggests a name, so
        that arguments, types, enum values and input fields cannot be discovered by guessing."""
        if self.config.disable_field_suggestions:
            for error in errors:
                error.message = SUGGESTION.sub("", error.message)


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


class DocumentValidation(ValidationCache):
    """Strawberry's ValidationCache, except that a document already refused by its limits
    (schema/limits.py) is not validated: the limits exist to spare that walk."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
            return
        yield from super().on_validate()


def build_schema(
    settings: Settings | None = None,
    *,
    extra_extensions: Sequence[type[SchemaExtension]] = (),
) -> strawberry.Schema:
    settings = settings or Settings()
    # The validation rules are built once, so that a document seen before (the same text, the
    # same rules) is parsed and validated from the caches: validation was most of a search's
    # CPU time (bench/, docs/performance.md). The limits are measured before, on every
    # document: a cache keyed by the text is no defence (a comment makes a new text).
    limits = Limits(
        selections=settings.max_query_selections,
        spreads=settings.max_fragment_spreads,
        depth=settings.max_query_depth,
        aliases=settings.max_aliases,
    )
    rules: list[type[ASTValidationRule]] = (
        [NoSchemaIntrospectionCustomRule] if settings.production else []
    )
    # Factories, so each operation gets fresh extension instances.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        *extra_extensions,
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: DocumentCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: DocumentLimits(limits),
        lambda: DocumentValidation(maxsize=DOCUMENT_CACHE_SIZE),
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
