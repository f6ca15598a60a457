"""What app/graphql_view.py relies on in Strawberry beyond its documented API: the
graphql-transport-ws handler it subclasses and the HTTP view's hooks and refusal reasons. Each
test names the module of ours to fix when an upgrade changes what it checks (pyproject.toml
pins the tested range; README, Layout)."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncGenerator, Mapping
from datetime import timedelta
from typing import Any, get_origin

import httpx
import pytest
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message as ASGIMessage
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.async_base_view import AsyncBaseHTTPView, AsyncWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from tests.contracts.tiny_schema import Context, tiny_schema

# -- app/graphql_view.py: the graphql-transport-ws handler it subclasses -----------------------


def _params(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


# Strawberry's class and method that Mentori overrides or calls: its parameters, whether it is
# async, and where in Mentori it is relied on (the test's id).
HANDLER = "app/graphql_view.py MentoriTransportWS"
VIEW = "app/graphql_view.py MentoriGraphQL"
SHARED = "live/shared.py _Member.run"
Handler = BaseGraphQLTransportWSHandler
SIGNATURES: list[tuple[type, str, str, bool, str]] = [
    (Handler, "run_operation", "self operation", True, HANDLER),
    (Handler, "handle_subscribe", "self message", True, HANDLER),
    (Handler, "handle_message", "self message", True, HANDLER),
    (Handler, "handle_connection_init", "self message", True, HANDLER),
    (Handler, "handle_invalid_message", "self error_message", True, HANDLER),
    (Handler, "send_message", "self message", True, HANDLER),
    (Operation, "send_operation_message", "self message", True, SHARED),
    (GraphQL, "create_response", "self response_data sub_response", False, VIEW),
    (GraphQL, "decode_json", "self data", False, VIEW),
    (GraphQL, "parse_json", "self data", False, VIEW),
    (GraphQL, "parse_query_params", "self params", False, VIEW),
    (GraphQL, "parse_http_body", "self request", True, VIEW),
    (GraphQL, "get_sub_response", "self request", True, VIEW),
    (GraphQL, "get_context", "self request response", True, VIEW),
    (GraphQL, "on_ws_connect", "self context", True, VIEW),
    (GraphQL, "encode_json_string", "self data", False, VIEW),
]
OVERRIDDEN = [
    pytest.param(owner, name, parameters.split(), is_async, id=f"{where}: {owner.__name__}.{name}")
    for owner, name, parameters, is_async, where in SIGNATURES
]


@pytest.mark.parametrize(("owner", "name", "parameters", "is_async"), OVERRIDDEN)
def test_a_method_mentori_overrides_or_calls_keeps_its_signature(
    owner: type, name: str, parameters: list[str], is_async: bool
) -> None:
    """The test's id names the override in our code that must follow a change here."""
    method = inspect.getattr_static(owner, name, None)
    assert method is not None, f"{owner.__name__}.{name} is gone"
    assert _params(method) == parameters
    assert inspect.iscoroutinefunction(method) is is_async


def test_graphql_view_the_view_builds_its_transport_ws_handler_from_a_class_attribute() -> None:
    """app/graphql_view.py: MentoriGraphQL swaps in MentoriTransportWS through
    `graphql_transport_ws_handler_class`; the view constructs it with these keywords, and the
    handler keeps the state MentoriTransportWS reads and clears."""
    default = inspect.getattr_static(GraphQL, "graphql_transport_ws_handler_class")
    assert (get_origin(default) or default) is BaseGraphQLTransportWSHandler
    assert GraphQL.websocket_adapter_class is ASGIWebSocketAdapter
    assert _params(BaseGraphQLTransportWSHandler.__init__) == [
        "self",
        "view",
        "websocket",
        "context",
        "root_value",
        "schema",
        "connection_init_wait_timeout",
        "max_subscriptions_per_connection",
    ]
    # The view builds the class it is given, and passes its own limit on
    # (MentoriTransportWS.handle_subscribe reads it).
    run = inspect.getsource(AsyncBaseHTTPView.run)
    assert "await self.graphql_transport_ws_handler_class(" in run
    assert "max_subscriptions_per_connection=self.max_subscriptions_per_connection" in run
    handler = _handler(tiny_schema(), Context(), limit=3)
    assert handler.max_subscriptions_per_connection == 3
    assert handler.operations == {}
    assert handler.connection_init_timeout_task is None
    assert handler.connection_acknowledged is False
    assert set(Operation.__slots__) >= {"id", "query", "variables", "operation_name"}


class _FakeWebSocket(AsyncWebSocketAdapter):
    def __init__(self, view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any]) -> None:
        super().__init__(view)
        self.sent: list[Mapping[str, object]] = []
        self.closed: list[tuple[int, str]] = []

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        return
        yield

    async def send_json(self, message: Mapping[str, object]) -> None:
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))


class _Recording(BaseGraphQLTransportWSHandler[Context, None]):
    ran: list[Operation[Context, None]]

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        self.ran = [*getattr(self, "ran", []), operation]


def _handler(
    schema: strawberry.Schema,
    context: Context,
    *,
    limit: int | None = None,
    view: GraphQL[Any, None] | None = None,
) -> _Recording:
    view = view or GraphQL(schema)
    return _Recording(
        view=view,
        websocket=_FakeWebSocket(view),
        context=context,
        root_value=None,
        schema=schema,
        connection_init_wait_timeout=timedelta(seconds=60),
        max_subscriptions_per_connection=limit,
    )


async def test_graphql_view_subscribe_starts_run_operation_and_tracks_it_in_operations() -> None:
    """app/graphql_view.py: MentoriTransportWS.run_operation is where a subscription joins a
    shared execution; Strawberry must still start each operation through it, keyed in
    `operations` by the message id, and `send_operation_message` must end it there."""
    context = Context()
    handler = _handler(tiny_schema(), context, limit=2)
    websocket = handler.websocket
    assert isinstance(websocket, _FakeWebSocket)

    await handler.handle_message({"type": "connection_init", "payload": {"token": "t"}})
    assert handler.connection_acknowledged
    assert context.connection_params == {"token": "t"}
    assert websocket.sent == [{"type": "connection_ack"}]

    query = "subscription { ticks { n } }"
    await handler.handle_message({"type": "subscribe", "id": "s1", "payload": {"query": query}})
    operation = handler.operations["s1"]
    assert operation.task is not None
    await operation.task
    assert handler.ran == [operation]
    assert (operation.id, operation.query, operation.variables) == ("s1", query, None)
    operation.query, operation.variables = "replaced", None  # as run_operation does

    await operation.send_operation_message({"id": "s1", "type": "complete"})
    assert "s1" not in handler.operations
    assert websocket.sent[-1] == {"id": "s1", "type": "complete"}


class _Unavailable(Exception):
    pass


class _RefusingView(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, error: Exception) -> None:
        super().__init__(schema)
        self.error = error

    async def on_ws_connect(self, context: Context) -> None:
        raise self.error


async def test_graphql_view_connection_init_lets_errors_other_than_rejection_through() -> None:
    """app/graphql_view.py: MentoriTransportWS.handle_connection_init catches
    DatabaseUnavailable raised by on_ws_connect to close with 1013; Strawberry must let it
    through, and close with 4403 on ConnectionRejectionError alone."""
    schema = tiny_schema()
    failing = _handler(schema, Context(), view=_RefusingView(schema, _Unavailable()))
    with pytest.raises(_Unavailable):
        await failing.handle_connection_init({"type": "connection_init"})

    refused = _handler(schema, Context(), view=_RefusingView(schema, ConnectionRejectionError()))
    await refused.handle_connection_init({"type": "connection_init"})
    assert isinstance(refused.websocket, _FakeWebSocket)
    assert refused.websocket.closed == [(4403, "Forbidden")]


async def test_graphql_view_send_text_writes_to_the_asgi_adapters_ws() -> None:
    """app/graphql_view.py: MentoriTransportWS._send_text sends a shared, already encoded
    result through `ASGIWebSocketAdapter.ws`, the Starlette WebSocket."""
    sent: list[ASGIMessage] = []

    async def receive() -> ASGIMessage:
        return {"type": "websocket.connect"}

    async def send(message: ASGIMessage) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/graphql", "headers": [], "query_string": b""}
    websocket = WebSocket(scope, receive=receive, send=send)
    adapter = ASGIWebSocketAdapter(GraphQL(tiny_schema()), websocket, websocket)
    assert adapter.ws is websocket
    await websocket.accept()
    await adapter.ws.send_text('{"id":"1","type":"next","payload":{}}')
    assert sent[-1] == {"type": "websocket.send", "text": '{"id":"1","type":"next","payload":{}}'}


# -- app/graphql_view.py: the HTTP view ------------------------------------------------------


async def _call(app: Any, method: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, "/graphql", **kwargs)


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("method", "request_kwargs", "status", "reason"),
    [
        pytest.param(
            "POST",
            {"json": [{"query": "{ hello }"}]},
            400,
            "Batching is not enabled",
            id="batch",
        ),
        pytest.param(
            "GET",
            {"params": {"query": "mutation { poke }"}},
            400,
            "mutations are not allowed when using GET",
            id="mutation over GET",
        ),
        pytest.param(
            "POST",
            {"content": b"{", "headers": JSON},
            400,
            "Unable to parse request body as JSON",
            id="not JSON",
        ),
        pytest.param(
            "POST",
            {"json": {"variables": {}}},
            400,
            "No GraphQL query found in the request",
            id="no query",
        ),
        pytest.param("GET", {"headers": {"accept": "text/html"}}, 404, "Not Found", id="no IDE"),
    ],
)
async def test_graphql_view_refusals_keep_the_reasons_it_keys_on(
    method: str, request_kwargs: dict[str, Any], status: int, reason: str
) -> None:
    """app/graphql_view.py: REFUSALS turns Strawberry's refusal reasons into a sentence and a
    code, keyed by the exact text; a reworded reason would fall back to a bare 400."""
    response = await _call(GraphQL(tiny_schema(), graphql_ide=None), method, **request_kwargs)
    assert (response.status_code, response.text) == (status, reason)


class _HookedView(GraphQL[Any, None]):
    calls: list[tuple[str, object]]

    def __init__(self, schema: strawberry.Schema) -> None:
        super().__init__(schema, graphql_ide=None)
        self.calls = []

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        self.calls.append(("get_sub_response", sub_response))
        return sub_response

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
        self.calls.append(("parse_http_body", data))
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        self.calls.append(("create_response", sub_response))
        return super().create_response(response_data, sub_response)


async def test_graphql_view_http_hooks_run_in_order_on_one_sub_response() -> None:
    """app/graphql_view.py: get_sub_response tags the sub-response with the request, and
    create_response reads the tag back from the same object; parse_http_body refuses a
    subscription before it runs."""
    view = _HookedView(tiny_schema())
    response = await _call(view, "POST", json={"query": "{ hello }"})
    assert response.json() == {"data": {"hello": "hi"}}
    assert [name for name, _ in view.calls] == [
        "get_sub_response",
        "parse_http_body",
        "create_response",
    ]
    assert view.calls[0][1] is view.calls[2][1]
    assert json.loads(view.encode_json_string({"a": [1]})) == {"a": [1]}
