"""What Mentori relies on in Strawberry's schema beyond its documented API: where the
graphql-core schema and a field's definition are kept, and the stream of results (read by
live/shared.py); the extension hooks schema/ uses. Each test names the module of
ours to fix when an upgrade changes what it checks (pyproject.toml pins the tested range)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from app.schema import build_schema
from app.settings import Settings
from tests.contracts.tiny_schema import (
    DEFINITION,
    PER_VIEWER_KEY,
    SHARED_BY_ROLE_KEY,
    Context,
    Query,
    QuietSchema,
    tiny_schema,
)

# -- live/shared.py ---------------------------------------------------------------


def test_shared_subscriptions_schema_keeps_the_graphql_core_schema_at_underscore_schema() -> None:
    """live/shared.py: SharedSubscriptions reads `schema._schema` to decide, from
    the document alone, whether subscribers may share one execution."""
    schema = build_schema(Settings())
    graphql_schema = schema._schema
    assert isinstance(graphql_schema, GraphQLSchema)
    assert graphql_schema.subscription_type is not None
    assert graphql_schema.subscription_type.fields


def test_shared_subscriptions_field_metadata_is_kept_under_strawberry_definition() -> None:
    """live/shared.py: `_marked` reads a field's SHARED_BY_ROLE / PER_VIEWER marks
    from `GraphQLField.extensions["strawberry-definition"].metadata`."""
    graphql_schema = tiny_schema()._schema
    subscription, query = graphql_schema.subscription_type, graphql_schema.query_type
    assert subscription is not None
    assert query is not None
    ticks, hello, broken = (
        subscription.fields["ticks"],
        query.fields["hello"],
        query.fields["broken"],
    )
    assert ticks.extensions[DEFINITION].metadata == {SHARED_BY_ROLE_KEY: True}
    assert hello.extensions[DEFINITION].metadata == {PER_VIEWER_KEY: True}
    assert not broken.extensions[DEFINITION].metadata


async def test_shared_subscriptions_schema_stream_yields_results_then_ends() -> None:
    """live/shared.py: _Stream runs `schema.stream(...)` under `aclosing`, takes a
    first PreExecutionError as a refusal, and every other result as an ExecutionResult."""
    schema = tiny_schema()
    source = await schema.stream(
        "subscription S($c: Int!) { ticks(count: $c) { n } }",
        variable_values={"c": 2},
        context_value=Context(),
        operation_name="S",
    )
    async with aclosing(source):
        results = [result async for result in source]
    assert all(type(result) is ExecutionResult for result in results)
    data = [result.data for result in results if isinstance(result, ExecutionResult)]
    assert data == [{"ticks": {"n": 0}}, {"ticks": {"n": 1}}]

    refused = await schema.stream(
        "subscription { nope }", variable_values=None, context_value=None, operation_name=None
    )
    async with aclosing(refused):
        first = await anext(aiter(refused))
    assert isinstance(first, PreExecutionError)
    assert first.errors


# -- schema/: the extension hooks --------------------------------------------------------------


def test_build_parser_cache_parses_through_cached_parse_document() -> None:
    """app/schema.py: DocumentCache replaces ParserCache.on_parse, calling
    `self.cached_parse_document(context.query, **context.parse_options)` itself."""
    fields = {field.name for field in dataclasses.fields(ExecutionContext)}
    assert fields >= {"query", "context", "parse_options", "graphql_document"}
    assert fields >= {"pre_execution_errors", "result"}
    cache = ParserCache(maxsize=4)
    document = cache.cached_parse_document("{ hello }", max_tokens=10)
    assert isinstance(document, DocumentNode)
    assert inspect.isgeneratorfunction(ParserCache.on_parse)
    assert inspect.isgeneratorfunction(ValidationCache.on_validate)


async def test_limits_pre_execution_errors_set_in_on_validate_refuse_the_document() -> None:
    """schema/limits.py: DocumentLimits refuses a document by setting
    `execution_context.pre_execution_errors` in on_validate (with the parsed
    `graphql_document` there); app/schema.py's DocumentValidation then skips validating it."""
    seen: list[DocumentNode | None] = []

    class Refuse(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            seen.append(self.execution_context.graphql_document)
            self.execution_context.pre_execution_errors = [GraphQLError("over the limits")]
            yield

    class SkipWhenRefused(ValidationCache):
        def on_validate(self) -> Iterator[None]:
            assert self.execution_context.pre_execution_errors
            yield

    schema = QuietSchema(query=Query, extensions=[Refuse, lambda: SkipWhenRefused(maxsize=4)])
    result = await schema.execute("{ hello }")
    assert isinstance(seen[0], DocumentNode)
    assert result.data is None
    assert [error.message for error in result.errors or []] == ["over the limits"]


async def test_errors_on_operation_replaces_the_results_errors() -> None:
    """schema/errors.py: ErrorCodes, after `yield` in on_operation, replaces
    `execution_context.result.errors` with the presented errors; app/metrics.py reads
    `execution_context.operation_type`; live/loaders.py's FreshLoaders reads
    `execution_context.context`."""
    seen: list[object] = []
    context = Context()

    class Replace(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            yield
            seen.extend([self.execution_context.context, self.execution_context.operation_type])
            result = self.execution_context.result
            assert result is not None
            assert result.errors
            result.errors = [GraphQLError("presented", extensions={"code": "INTERNAL"})]

    schema = tiny_schema(Replace)
    result = await schema.execute("{ broken }", context_value=context)
    errors = result.errors or []
    assert [(error.message, error.extensions) for error in errors] == [
        ("presented", {"code": "INTERNAL"})
    ]
    assert seen[0] is context
    assert getattr(seen[1], "value", None) == "query"
    assert schema.processed  # MentoriSchema.process_errors sees every error
    assert schema.config.disable_field_suggestions is False


async def test_live_on_stream_result_sees_each_subscription_result() -> None:
    """schema/live.py: StreamedErrorCodes presents the errors of each result sent over a
    WebSocket in `on_stream_result`, before Strawberry sends it."""
    seen: list[int] = []

    class Present(SchemaExtension):
        def on_stream_result(self, result: Any) -> Iterator[None]:
            seen.append(1)
            if result.errors:
                result.errors = [GraphQLError("presented")]
            yield

    schema = tiny_schema(Present)
    source = await schema.stream(
        "subscription { ticks { n broken } }",
        variable_values=None,
        context_value=None,
        operation_name=None,
    )
    async with aclosing(source):
        results: list[Any] = [result async for result in source]
    assert len(seen) == len(results) == 2
    assert [[e.message for e in result.errors] for result in results] == [["presented"]] * 2
