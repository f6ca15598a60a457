"""Strawberry's ASGI view, taught Mentori's context, bearer tokens on HTTP and on
`connection_init`, and the `application/graphql-response+json` media type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.unset import UnsetType

from app.auth import InvalidToken, TokenVerifier, authenticate, bearer
from app.clock import Clock
from app.events import EventHub
from app.settings import Settings
from app.unit_of_work import UnitOfWork
from schema.context import Context
from schema.errors import INVALID_QUERY

GRAPHQL_RESPONSE = "application/graphql-response+json"


class MentoriGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        uow: UnitOfWork,
        hub: EventHub,
        clock: Clock,
        verifier: TokenVerifier,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=("graphql-transport-ws",),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.settings = settings
        self.uow = uow
        self.hub = hub
        self.clock = clock
        self.verifier = verifier

    def _context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            settings=self.settings,
            uow=self.uow,
            hub=self.hub,
            clock=self.clock,
            viewer=None,
            request=request,
            response=response,
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = self._context(request, response)
        if isinstance(request, WebSocket):
            return context  # authenticated in on_ws_connect
        token = bearer(request.headers.get("authorization"))
        if token is not None:
            try:
                context.viewer, context.viewer_expires_at = await authenticate(
                    self.verifier, self.uow.sessions, token, now=self.clock()
                )
            except InvalidToken as error:
                context.auth_error = str(error)
            context.loaders = context.fresh_loaders()
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params: Mapping[str, Any] = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        token = bearer(raw) if isinstance(raw, str) and " " in raw else raw
        if not isinstance(token, str) or not token:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "No token."})
        try:
            context.viewer, context.viewer_expires_at = await authenticate(
                self.verifier, self.uow.sessions, token, now=self.clock()
            )
        except InvalidToken as error:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": f"Token refused: {error}"}
            ) from error
        context.loaders = context.fresh_loaders()
        return {"viewer": {"role": context.viewer.role.value, "name": context.viewer.name}}

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        request: Request | None = getattr(sub_response, "mentori_request", None)
        accept = request.headers.get("accept", "") if request is not None else ""
        if GRAPHQL_RESPONSE in accept:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if isinstance(response_data, dict) and _is_request_error(response_data):
                response.status_code = 400
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.mentori_request = request  # type: ignore[attr-defined]
        return sub_response


def _is_request_error(data: GraphQLHTTPResponse) -> bool:
    """A request error (the document did not parse or validate) has no data at all."""
    errors: list[Mapping[str, Any]] = list(data.get("errors") or [])  # type: ignore[arg-type]
    return (
        data.get("data") is None
        and bool(errors)
        and all((e.get("extensions") or {}).get("code") == INVALID_QUERY for e in errors)
    )
