"""How failures reach clients: expected ones keep their code and sentence in `extensions`;
anything unexpected is logged and masked, so no traceback or internal detail leaks."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from db.engine import is_unavailable
from schema import withheld
from services.errors import QUOTE_LENGTH, DomainError

log = logging.getLogger("mentori.graphql")

INTERNAL = "INTERNAL_ERROR"
INVALID_QUERY = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"  # over a limit once its fragments are written out
# The document or its variables were refused before anything ran.
REQUEST_ERROR_CODES = frozenset({INVALID_QUERY, QUERY_TOO_COMPLEX})
INTERNAL_MESSAGE = "Something went wrong on our side; nothing was changed. Please try again."
# The database refused a connection or did not answer in time (db/engine.py): HTTP 503.
UNAVAILABLE = "UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The service cannot reach its database just now; please try again shortly."
# graphql-core quotes a refused value whole (an enum value, a date): a long one is cut to its
# first characters, as Mentori's own errors quote it (services/errors.py).
LONG_MESSAGE = 300
LONGEST_MESSAGE = 1000
LONG_QUOTES = [re.compile(f"(?<!\\S){q}([^{q}]{{{QUOTE_LENGTH}}})[^{q}]+{q}(?!\\w)") for q in "'\""]


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
            _shortened(error.message),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": _request_error_code(error)},
        )
    if original is not None and is_unavailable(original):
        log.warning("database unavailable at %s: %r", error.path, original)
        extensions = {"code": UNAVAILABLE}
        return GraphQLError(
            UNAVAILABLE_MESSAGE, nodes=error.nodes, path=error.path, extensions=extensions
        )
    log.error("unexpected error at %s", error.path, exc_info=original)
    return GraphQLError(
        INTERNAL_MESSAGE, nodes=error.nodes, path=error.path, extensions={"code": INTERNAL}
    )


def _request_error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    return str(code) if code in REQUEST_ERROR_CODES else INVALID_QUERY


def _shortened(message: str) -> str:
    if len(message) <= LONG_MESSAGE:
        return message
    for quote in LONG_QUOTES:
        message = quote.sub(lambda found: f"{found[0][0]}{found[1]}…{found[0][-1]}", message)
    return message if len(message) <= LONGEST_MESSAGE else message[:LONGEST_MESSAGE] + "…"


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            context = self.execution_context
            texts = withheld.values(context.query, context.variables)
            result.errors = [withheld.cut(present(error), texts) for error in errors]
            response = getattr(self.execution_context.context, "response", None)
            if isinstance(response, Response) and any(_is_unavailable(e) for e in result.errors):
                response.status_code = 503  # a client's or proxy's cue to retry


def _is_unavailable(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") == UNAVAILABLE
