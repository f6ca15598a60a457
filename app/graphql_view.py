"""Strawberry's ASGI view, taught Mentori's context, bearer tokens on HTTP and on
`connection_init`, and the `application/graphql-response+json` media type."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.types.unset import UnsetType

from app.auth import InvalidToken, TokenVerifier, authenticate, bearer
from app.clock import Clock
from app.events import EventHub
from app.settings import Settings
from app.shared_subscriptions import SharedSubscriptions
from app.token_expiry import TokenExpiry
from app.unit_of_work import UnitOfWork
from schema.context import Context
from schema.errors import INVALID_QUERY

GRAPHQL_RESPONSE = "application/graphql-response+json"
TOKEN_EXPIRED = 4401  # the WebSocket close code of a connection whose token expired
TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"  # MAX_SUBSCRIPTIONS_PER_CONNECTION reached
SUBSCRIPTION_OVER_HTTP = "a subscription sent over HTTP"

# Requests Strawberry refuses before any GraphQL runs, told in a sentence with a stable code,
# in the same JSON shape as every other error (keyed by Strawberry's own reason).
REFUSALS: dict[str, tuple[int, str, str]] = {
    "Batching is not enabled": (
        400,
        "BATCHING_NOT_SUPPORTED",
        "Send one operation per request: a JSON list of operations (a batch) is not accepted.",
    ),
    "mutations are not allowed when using GET": (
        405,
        "METHOD_NOT_ALLOWED",
        "Mutations must be sent with POST; GET runs queries only.",
    ),
    "Unable to parse request body as JSON": (
        400,
        "BAD_REQUEST",
        "The request body is not valid JSON.",
    ),
    "No GraphQL query found in the request": (
        400,
        "BAD_REQUEST",
        'The request has no GraphQL query: send {"query": "..."}.',
    ),
    # Strawberry would run it as a query (a null where a stream belongs) and log a traceback.
    SUBSCRIPTION_OVER_HTTP: (
        400,
        "SUBSCRIPTION_OVER_HTTP",
        "Subscriptions are not served over HTTP: open a WebSocket to this same URL with the "
        "graphql-transport-ws protocol.",
    ),
    "Not Found": (
        404,
        "NOT_FOUND",
        "There is no GraphQL IDE here; send GraphQL requests with POST.",
    ),
}
FALLBACK_CODE = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class MentoriTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with subscriptions alike served by one shared execution."""

    view: MentoriGraphQL

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        shared = self.view.shared
        key = shared.key(
            operation.query, operation.variables, operation.operation_name, self.context
        )
        if key is None:
            await super().run_operation(operation)
            return
        stream, member = shared.join(
            key, operation.query, operation.variables, operation.operation_name, self.context
        )
        # The shared execution has the document and the variables: no copy kept per subscriber.
        operation.query, operation.variables = stream.query, None
        try:
            await member.run(operation.id, self._send_text, operation.send_operation_message)
        finally:
            stream.leave(member)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and limit is not None
            and len(self.operations) >= limit
        ):
            # Strawberry refuses it too, with neither a code nor a sentence to act on.
            sentence = (
                f"This connection already runs {limit} operations, the most one may: complete "
                "one you no longer need, or open another connection."
            )
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [{"message": sentence, "extensions": {"code": TOO_MANY_OPERATIONS}}],
                }
            )
            return
        await super().handle_subscribe(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        # Thousands of connections sit idle after this: keep nothing they no longer need (the
        # cancelled timeout task holds its frames; the token is verified and kept no longer).
        self.connection_init_timeout_task = None
        self.context.connection_params = None

    async def _send_text(self, text: str) -> None:
        assert isinstance(self.websocket, ASGIWebSocketAdapter)
        await self.websocket.ws.send_text(text)


class MentoriGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = MentoriTransportWS

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
        self.shared = SharedSubscriptions(
            self.schema,
            self.encode_json_string,
            queue_size=settings.subscriber_queue_size,
            max_tokens=settings.max_query_tokens,
        )
        self.expiry: TokenExpiry[WebSocket] = TokenExpiry(_close_expired)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Served here, not in a helper: each idle connection holds this call's frame.
            websocket = WebSocket(scope, receive=receive, send=send)
            context = self._context(websocket, websocket)
            try:
                await self.run(websocket, context=context)
            finally:
                self.expiry.forget(websocket)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = _refusal(request, refused)
        await response(scope, receive, send)

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
        header = request.headers.get("authorization")
        token = bearer(header)
        if header is not None and token is None:
            context.auth_error = "the Authorization header must read 'Bearer <token>'"
        if token is not None:
            try:
                context.viewer, context.viewer_expires_at = await authenticate(
                    self.verifier, self.uow, token, now=self.clock()
                )
            except InvalidToken as error:
                context.auth_error = str(error)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params: Mapping[str, Any] = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        token = bearer(raw) if isinstance(raw, str) and " " in raw else raw
        if not isinstance(token, str) or not token:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "No token."})
        try:
            context.viewer, context.viewer_expires_at = await authenticate(
                self.verifier, self.uow, token, now=self.clock()
            )
        except InvalidToken as error:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": f"Token refused: {error}"}
            ) from error
        if isinstance(context.request, WebSocket):
            # Against real time, as the token itself was verified (PyJWT), not the app's clock.
            assert context.viewer_expires_at is not None
            self.expiry.watch(context.request, context.viewer_expires_at.timestamp())
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

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and self._is_subscription(data):
            raise HTTPException(400, SUBSCRIPTION_OVER_HTTP)
        return data

    def _is_subscription(self, data: GraphQLRequestData) -> bool:
        # Most documents never say the word: only those are parsed a second time.
        if not data.query or "subscription" not in data.query:
            return False
        try:
            document = parse(data.query, max_tokens=self.settings.max_query_tokens)
        except GraphQLError:
            return False  # the normal path reports it
        operation = get_operation_ast(document, data.operation_name)
        return operation is not None and operation.operation is OperationType.SUBSCRIPTION

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


async def _close_expired(websocket: WebSocket) -> None:
    with contextlib.suppress(Exception):  # it may have closed meanwhile
        await websocket.close(
            code=TOKEN_EXPIRED, reason="Your sign-in token expired; sign in again."
        )


def _refusal(request: Request, refused: HTTPException) -> Response:
    status, code, message = REFUSALS.get(
        refused.reason,
        (
            refused.status_code,
            FALLBACK_CODE.get(refused.status_code, "BAD_REQUEST"),
            refused.reason,
        ),
    )
    accept = request.headers.get("accept", "")
    response = JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        media_type=GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json",
    )
    if status == 405:
        response.headers["allow"] = "GET, POST"
    return response
