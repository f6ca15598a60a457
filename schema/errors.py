"""How failures reach clients: expected ones keep their code and sentence in `extensions`;
anything unexpected is logged and masked, so no traceback or internal detail leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from services.errors import DomainError

log = logging.getLogger("mentori.graphql")

INTERNAL = "INTERNAL_ERROR"
INVALID_QUERY = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_MESSAGE = "Something went wrong on our side; nothing was changed. Please try again."


def _is_request_error(error: GraphQLError) -> bool:
    """The document or its variables were refused before anything ran: the client's mistake.
    (graphql-core wraps a variable's coercion failure around the scalar's own GraphQLError.)"""
    original = error.original_error
    return original is None or (isinstance(original, GraphQLError) and error.path is None)


def present(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = {"code": original.code.value, **original.details}
        return GraphQLError(
            original.message, nodes=error.nodes, path=error.path, extensions=extensions
        )
    if _is_request_error(error):
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": INVALID_QUERY},
        )
    log.error("unexpected error at %s", error.path, exc_info=original)
    return GraphQLError(
        INTERNAL_MESSAGE, nodes=error.nodes, path=error.path, extensions={"code": INTERNAL}
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [present(error) for error in errors]
