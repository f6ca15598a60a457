"""Strawberry's ASGI view, taught Mentori's context, who is asking (a bearer token on HTTP and
on `connection_init`, or the pages' session cookie: app/session_auth.py), the role they act in
(X-Mentori-Role, or `role` in `connection_init`), and the `application/graphql-response+json`
media type."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from datetime import datetime
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
from strawberry.http.types import QueryParams
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)
from strawberry.types.unset import UnsetType

from app.auth import InvalidToken, TokenVerifier, authenticate, bearer
from app.clock import Clock
from app.session_auth import (
    CROSS_SITE,
    CSRF_REFUSED,
    ENDED,
    SessionSignIns,
    cookie_of,
    from_own_pages,
    may_post_by_cookie,
)
from app.session_cookie import clear_session_cookie
from app.settings import Settings
from app.wire import (
    MAX_JSON_DEPTH,
    NOT_UTF8,
    NUMBER_TOO_LONG,
    TOO_DEEP,
    decode_json,
    malformed_message,
)
from db.engine import is_unavailable
from live.hub import EventHub
from live.shared import SharedSubscriptions
from live.token_expiry import TokenExpiry
from live.unit_of_work import UnitOfWork
from schema.context import Context
from schema.errors import REQUEST_ERROR_CODES, UNAVAILABLE, UNAVAILABLE_MESSAGE, present
from services.errors import DomainError, ErrorCode
from services.viewer import Viewer, acting_as

log = logging.getLogger("mentori.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
TOKEN_EXPIRED = 4401  # the WebSocket close code of a connection whose token expired
SIGNED_OUT = 4401  # ... and of one whose person was erased, or whose session was signed out
ROLE_HEADER = "x-mentori-role"
TRY_AGAIN_LATER = 1013  # the WebSocket close code of a sign-in the database could not answer
TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"  # MAX_SUBSCRIPTIONS_PER_CONNECTION reached
SUBSCRIPTION_OVER_HTTP = "a subscription sent over HTTP"
NOT_JSON = "Unable to parse request body as JSON"  # Strawberry's own reason
NOT_AN_OBJECT = "JSON body not an object"
OPERATION_NAME_NOT_A_STRING = "operationName not a string"
DATABASE_UNAVAILABLE = "the database is unavailable"

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
    NOT_JSON: (400, "BAD_REQUEST", "The request body is not valid JSON."),
    NOT_UTF8: (400, "BAD_REQUEST", "The request is not valid JSON: JSON must be UTF-8."),
    TOO_DEEP: (
        400,
        "BAD_REQUEST",
        f"The request's JSON is nested more than {MAX_JSON_DEPTH} levels deep.",
    ),
    NUMBER_TOO_LONG: (
        400,
        "BAD_REQUEST",
        "The request's JSON holds a number too long to read (or NaN or Infinity).",
    ),
    NOT_AN_OBJECT: (
        400,
        "BAD_REQUEST",
        'The request body must be a JSON object: {"query": "...", "variables": {...}}.',
    ),
    OPERATION_NAME_NOT_A_STRING: (
        400,
        "BAD_REQUEST",
        "The request's operationName must be a string or null.",
    ),
    DATABASE_UNAVAILABLE: (503, UNAVAILABLE, UNAVAILABLE_MESSAGE),
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
STATUS_OF = {ErrorCode.FORBIDDEN: 403}  # else 400: a role not named right


class Refused(Exception):
    """A request refused before any GraphQL runs, with its status, code and sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    @classmethod
    def of(cls, error: DomainError) -> Refused:
        return cls(STATUS_OF.get(error.code, 400), error.code.value, error.message)


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

    async def handle_message(self, message: Message) -> None:
        # graphql-transport-ws: a message of a format it does not specify closes with 4400.
        problem = malformed_message(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except DatabaseUnavailable:
            reason = "The database is not answering; try again in a moment."
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=reason)
            return
        # Thousands of connections sit idle after this: keep nothing they no longer need (the
        # cancelled timeout task holds its frames; the token is verified and kept no longer).
        self.connection_init_timeout_task = None
        self.context.connection_params = None

    async def _send_text(self, text: str) -> None:
        assert isinstance(self.websocket, ASGIWebSocketAdapter)
        await self.websocket.ws.send_text(text)


class DatabaseUnavailable(Exception):
    """Signing in needed the database, which refused or did not answer in time."""


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
        self.sessions = SessionSignIns(uow, clock)
        self.shared = SharedSubscriptions(
            self.schema,
            self.encode_json_string,
            queue_size=settings.subscriber_queue_size,
            max_tokens=settings.max_query_tokens,
            present=present,
        )
        self.expiry: TokenExpiry[WebSocket] = TokenExpiry(_close_expired)
        # Each person's live connections, closed at once if the person is erased.
        self.connections: dict[int, list[WebSocket]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        hub.on_sign_out(self.sign_out)
        hub.on_session_end(self.end_session)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Served here, not in a helper: each idle connection holds this call's frame.
            websocket = WebSocket(scope, receive=receive, send=send)
            context = self._context(websocket, websocket)
            try:
                await self.run(websocket, context=context)
            finally:
                self.expiry.forget(websocket)
                self._disconnected(context.viewer, websocket)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = _refusal(request, refused)
        except Refused as refused:
            response = _error(request, refused.status, refused.code, refused.message)
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
        raw = cookie_of(request) if header is None else None
        if header is not None and token is None:
            context.auth_error = "the Authorization header must read 'Bearer <token>'"
        post = request.method == "POST"
        if raw is not None and post and not may_post_by_cookie(request, self.settings):
            raise Refused(403, CSRF_REFUSED, CROSS_SITE)
        try:
            if token is not None:
                context.viewer, context.viewer_expires_at = await self._authenticate(token)
            elif raw is not None:
                found = await self._by_session(raw)
                if found is None:
                    context.auth_error = ENDED
                    assert isinstance(response, Response)
                    clear_session_cookie(response, self.settings)
                else:
                    context.viewer, context.viewer_expires_at, _ = found
        except InvalidToken as error:
            context.auth_error = str(error)
        except DatabaseUnavailable as error:
            raise HTTPException(503, DATABASE_UNAVAILABLE) from error
        if context.viewer is not None:
            try:
                context.viewer = acting_as(context.viewer, request.headers.get(ROLE_HEADER))
            except DomainError as error:
                raise Refused.of(error) from error
            context.uow = self.uow.acting_for(context.viewer)
        return context

    async def _authenticate(self, token: str) -> tuple[Viewer, datetime]:
        try:
            return await authenticate(self.verifier, self.uow, token, now=self.clock())
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning("signing in: the database is unavailable (%r)", error)
            raise DatabaseUnavailable from error

    async def _by_session(self, raw: str) -> tuple[Viewer, datetime, str] | None:
        try:
            return await self.sessions.viewer(raw)
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning("signing in by session: the database is unavailable (%r)", error)
            raise DatabaseUnavailable from error

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params: Mapping[str, Any] = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        token = bearer(raw) if isinstance(raw, str) and " " in raw else raw
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        if isinstance(token, str) and token:
            try:
                viewer, expires_at = await self._authenticate(token)
            except InvalidToken as error:
                raise _rejection("UNAUTHENTICATED", f"Token refused: {error}") from error
            # Against real time, as the token itself was verified (PyJWT), not the app's clock.
            due = expires_at.timestamp()
        else:
            viewer, expires_at, due = await self._ws_by_session(websocket)
        wanted = params.get("role")
        try:
            viewer = acting_as(viewer, wanted if isinstance(wanted, str) else None)
        except DomainError as error:
            raise _rejection(error.code.value, error.message) from error
        context.viewer, context.viewer_expires_at = viewer, expires_at
        self.expiry.watch(websocket, due)
        self.connections.setdefault(viewer.user_id, []).append(websocket)
        context.uow = self.uow.acting_for(viewer)
        return {"viewer": {"role": viewer.role.value, "name": viewer.name}}

    async def _ws_by_session(self, websocket: WebSocket) -> tuple[Viewer, datetime, float]:
        """Sign a WebSocket in by its handshake's session cookie (from the pages' own origin
        only); remembered as the session's, to close when it ends."""
        raw = cookie_of(websocket)
        if raw is None:
            raise _rejection("UNAUTHENTICATED", "No token.")
        if not from_own_pages(websocket, self.settings):
            raise _rejection(CSRF_REFUSED, CROSS_SITE)
        found = await self._by_session(raw)
        if found is None:
            raise _rejection("UNAUTHENTICATED", f"Session refused: {ENDED}; sign in again.")
        viewer, expires_at, digest = found
        self.sessions.watch(websocket, digest)
        # The session's expiry is on the app's clock: its remaining time, on real time.
        return viewer, expires_at, time.time() + (expires_at - self.clock()).total_seconds()

    def sign_out(self, user_id: int) -> None:
        """The person was erased, or lost a role: their tokens and sessions are forgotten (and
        looked up afresh), their connections closed."""
        self.verifier.viewers.forget(user_id)
        self.sessions.signed_out(user_id)
        for websocket in self.connections.pop(user_id, []):
            self._close(websocket, SIGNED_OUT_EVERYWHERE)

    def end_session(self, user_id: int, digest: str) -> None:
        """A page sign-in session ended: its viewer is forgotten, its connections closed."""
        for websocket in self.sessions.ended(user_id, digest):
            self._close(websocket, SIGNED_OUT_OF_SESSION)

    def _close(self, websocket: WebSocket, reason: str) -> None:
        self.expiry.forget(websocket)
        task = asyncio.create_task(_close_signed_out(websocket, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _disconnected(self, viewer: Viewer | None, websocket: WebSocket) -> None:
        self.sessions.leave(websocket)
        live = self.connections.get(viewer.user_id, []) if viewer is not None else []
        if websocket in live:
            live.remove(websocket)
        if viewer is not None and not live:
            self.connections.pop(viewer.user_id, None)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        request: Request | None = getattr(sub_response, "mentori_request", None)
        accept = request.headers.get("accept", "") if request is not None else ""
        if GRAPHQL_RESPONSE not in accept:
            return super().create_response(response_data, sub_response)
        refused = isinstance(response_data, dict) and _is_request_error(response_data)
        if refused and isinstance(response_data, dict):
            # Nothing ran: a request error has no `data` entry at all (GraphQL over HTTP).
            response_data = response_data.copy()
            response_data.pop("data", None)
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = GRAPHQL_RESPONSE
        if refused:
            response.status_code = 400
        return response

    def decode_json(self, data: str | bytes) -> object:
        # An HTTP body, a GET parameter or a WebSocket message (app/wire.py).
        return decode_json(data)

    def _decoded(self, data: str | bytes) -> object:
        try:
            return decode_json(data)
        except json.JSONDecodeError as error:
            raise HTTPException(400, error.msg if error.msg in REFUSALS else NOT_JSON) from error

    def parse_json(self, data: str | bytes) -> Any:
        # Strawberry reads a request body with this (and, but for parse_query_params below,
        # GET's parameters): it must be an object, or a list (a batch, refused as such).
        value = self._decoded(data)
        if not isinstance(value, dict | list):
            raise HTTPException(400, NOT_AN_OBJECT)
        return value

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                parsed[name] = self._decoded(parsed[name])
        return parsed

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            if not isinstance(data.operation_name, str | None):
                raise HTTPException(400, OPERATION_NAME_NOT_A_STRING)
            if self._is_subscription(data):
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
        and all((e.get("extensions") or {}).get("code") in REQUEST_ERROR_CODES for e in errors)
    )


SIGNED_OUT_EVERYWHERE = (
    "Your sign-in was ended: your data was erased, or your roles changed. Sign in again."
)
SIGNED_OUT_OF_SESSION = "You signed out; sign in again."


def _rejection(code: str, message: str) -> ConnectionRejectionError:
    return ConnectionRejectionError({"code": code, "message": message})


async def _close_signed_out(websocket: WebSocket, reason: str) -> None:
    with contextlib.suppress(Exception):  # it may have closed meanwhile
        await websocket.close(code=SIGNED_OUT, reason=reason)


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
    response = _error(request, status, code, message)
    if status == 405:
        response.headers["allow"] = "GET, POST"
    return response


def _error(request: Request, status: int, code: str, message: str) -> Response:
    accept = request.headers.get("accept", "")
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        media_type=GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json",
    )
