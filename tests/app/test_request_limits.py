"""Hostile requests refused at the door: bodies and WebSocket messages over the size limit, and
bodies or frames that are not the JSON a GraphQL request is. Each gets a status (or a close
code) and a sentence with a code, nothing is logged as a failure, and the server keeps
answering."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from db.models import Role
from tests.clients import Api
from tests.servers import Server

VIEWER = "{ viewer { role } }"
DEEP = 5_000  # Python's own recursion limit is 1,000
LIMIT = 1_000_000  # MAX_REQUEST_BYTES's default, which the shared server runs with


@pytest.fixture
def failures(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """What the server logs at ERROR or with a traceback, uvicorn's own log included (it does
    not reach the root logger)."""
    server_log = logging.getLogger("uvicorn")
    server_log.addHandler(caplog.handler)
    try:
        yield caplog.records
    finally:
        server_log.removeHandler(caplog.handler)


def no_failures(records: list[logging.LogRecord]) -> None:
    logged = [
        r
        for r in records
        if (r.levelno >= logging.ERROR or r.exc_info) and r.name != "mentori.scheduler"
    ]
    assert logged == [], [r.getMessage() for r in logged]


def refusal(response: httpx.Response, status: int, code: str) -> str:
    """The one error of a refused request: its status, its code, and a sentence."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    message: str = error["message"]
    assert message[0].isupper(), message
    assert message.endswith("."), message
    return message


async def still_answers(api: Api) -> None:
    person = api.person(Role.STUDENT)
    assert await api.ok(VIEWER, as_=person) == {"viewer": {"role": "STUDENT"}}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def websocket(server: Server) -> connect:
    return connect(server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")])


async def signed_in(connection: ClientConnection, token: str) -> None:
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await connection.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(connection.recv(), 10))
    assert ack["type"] == "connection_ack", ack


async def close_code(connection: ClientConnection) -> int | None:
    """Read until the server closes the connection; its close code."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            await asyncio.wait_for(connection.recv(), 10)
    return connection.close_code


# --- size ------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_by_its_length(
    api: Api, failures: list[logging.LogRecord]
) -> None:
    padding = "x" * (2 * LIMIT)
    response = await api.client.post(
        "/graphql", json={"query": VIEWER, "variables": {"padding": padding}}
    )
    message = refusal(response, 413, "REQUEST_TOO_LARGE")
    assert "1000000 bytes" in message
    no_failures(failures)
    await still_answers(api)


async def refusal_while_sending(server: Server, head: bytes, body: AsyncIterator[bytes]) -> bytes:
    """Send a request over a plain socket, the body as slowly as it comes; the response's
    status line and headers, which must arrive before the body is all sent."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    answered = asyncio.ensure_future(reader.readuntil(b"\r\n\r\n"))
    try:
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        writer.write(head + b"\r\n")
        async for chunk in body:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(0)
            if answered.done():
                return answered.result()
        raise AssertionError("the whole body was sent without a refusal")
    finally:
        answered.cancel()
        writer.close()


async def test_a_body_announced_too_large_is_refused_before_it_is_sent(api: Api) -> None:
    """The refusal comes on the headers: the server does not wait for the 200 MB."""

    async def body() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        await asyncio.sleep(5)  # it has answered by now
        yield b"x"

    head = await refusal_while_sending(api.server, b"Content-Length: 200000000\r\n", body())
    assert head.startswith(b"HTTP/1.1 413 ")
    await still_answers(api)


async def test_a_chunked_body_is_refused_once_it_grows_past_the_limit(api: Api) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        while sent < 50 * LIMIT:
            sent += 64_000
            yield b"%x\r\n%s\r\n" % (64_000, b"x" * 64_000)
            await asyncio.sleep(0.001)

    head = await refusal_while_sending(api.server, b"Transfer-Encoding: chunked\r\n", body())
    assert head.startswith(b"HTTP/1.1 413 ")
    assert sent < 5 * LIMIT
    await still_answers(api)


async def test_a_chunked_body_over_the_limit_gets_a_sentence(
    api: Api, failures: list[logging.LogRecord]
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"query": "{ viewer { role } }", "variables": {"padding": "'
        for _ in range(40):
            yield b"x" * 64_000

    response = await api.client.post(
        "/graphql", content=body(), headers={"content-type": "application/json"}
    )
    refusal(response, 413, "REQUEST_TOO_LARGE")
    no_failures(failures)
    await still_answers(api)


async def test_a_body_under_the_limit_is_served(api: Api) -> None:
    padding = "x" * (LIMIT - 1000)
    person = api.person(Role.STUDENT)
    response = await api.client.post(
        "/graphql",
        json={"query": VIEWER, "variables": {"padding": padding}},
        headers={"authorization": f"Bearer {person.token}"},
    )
    assert response.json() == {"data": {"viewer": {"role": "STUDENT"}}}


async def test_a_websocket_message_over_the_limit_closes_the_connection(api: Api) -> None:
    person = api.person(Role.STUDENT)
    async with websocket(api.server) as connection:
        await signed_in(connection, person.token)
        await connection.send(json.dumps({"type": "ping", "payload": {"x": "x" * 2 * LIMIT}}))
        assert await close_code(connection) == 1009
    await still_answers(api)


# --- malformed HTTP bodies -------------------------------------------------------------------

MALFORMED_BODIES = {
    "nested-body": nested(DEEP).encode(),
    "nested-variables": f'{{"query": "{VIEWER}", "variables": {{"v": {nested(DEEP)}}}}}'.encode(),
    "nested-past-the-bound": f'{{"query": "{VIEWER}", "variables": {nested(40)}}}'.encode(),
    "invalid-utf8": b'{"query": "{ viewer { role } }\xff\xfe"}',
    "a-string": b'"{ viewer { role } }"',
    "null": b"null",
    "a-number": b"12",
    "true": b"true",
    "a-huge-integer": f'{{"query": "{VIEWER}", "variables": {{"n": {"9" * 5000}}}}}'.encode(),
    "not-a-number": f'{{"query": "{VIEWER}", "variables": {{"n": NaN}}}}'.encode(),
    "operation-name-not-a-string": f'{{"query": "{VIEWER}", "operationName": 5}}'.encode(),
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
async def test_a_malformed_body_is_a_400_with_a_sentence(
    api: Api, body: bytes, failures: list[logging.LogRecord]
) -> None:
    person = api.person(Role.STUDENT)
    response = await api.client.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {person.token}"},
    )
    refusal(response, 400, "BAD_REQUEST")
    no_failures(failures)
    await still_answers(api)


MALFORMED_PARAMETERS = {
    "nested-variables": {"variables": nested(DEEP)},
    "nested-extensions": {"extensions": nested(DEEP)},
    "nested-object-variables": {"variables": '{"a":' * 1500 + "1" + "}" * 1500},
    "a-huge-integer": {"variables": f'{{"n": {"9" * 5000}}}'},
    "variables-a-number": {"variables": "12"},
}


@pytest.mark.parametrize(
    "parameters", MALFORMED_PARAMETERS.values(), ids=MALFORMED_PARAMETERS.keys()
)
async def test_malformed_get_parameters_are_a_400_with_a_sentence(
    api: Api, parameters: dict[str, str], failures: list[logging.LogRecord]
) -> None:
    query = urlencode({"query": VIEWER, **parameters})
    response = await api.client.get(f"/graphql?{query}")
    refusal(response, 400, "BAD_REQUEST")
    no_failures(failures)
    await still_answers(api)


async def test_get_variables_of_null_are_no_variables(api: Api) -> None:
    person = api.person(Role.MENTOR)
    response = await api.client.get(
        "/graphql",
        params={"query": VIEWER, "variables": "null"},
        headers={"authorization": f"Bearer {person.token}"},
    )
    assert response.json() == {"data": {"viewer": {"role": "MENTOR"}}}


# --- malformed WebSocket frames --------------------------------------------------------------


MALFORMED_FRAMES = {
    "a-list": "[1, 2]",
    "a-string": '"connection_init"',
    "null": "null",
    "no-type": '{"id": "1"}',
    "a-type-not-a-string": '{"type": ["subscribe"]}',
    "subscribe-payload-null": '{"type": "subscribe", "payload": null}',
    "subscribe-id-null": json.dumps(
        {"type": "subscribe", "id": None, "payload": {"query": VIEWER}}
    ),
    "subscribe-id-a-list": json.dumps(
        {"type": "subscribe", "id": [1], "payload": {"query": VIEWER}}
    ),
    "subscribe-query-a-number": json.dumps(
        {"type": "subscribe", "id": "1", "payload": {"query": 5}}
    ),
    "subscribe-variables-a-list": json.dumps(
        {"type": "subscribe", "id": "1", "payload": {"query": VIEWER, "variables": [1]}}
    ),
    "subscribe-operation-name-a-number": json.dumps(
        {"type": "subscribe", "id": "1", "payload": {"query": VIEWER, "operationName": 1}}
    ),
    "complete-id-a-list": '{"type": "complete", "id": [1]}',
    "nested": nested(DEEP),
    "nested-payload": '{"type": "ping", "payload": ' + nested(DEEP) + "}",
    "a-huge-number": '{"type": "ping", "payload": {"n": ' + "9" * 5000 + "}}",
}


@pytest.mark.parametrize("frame", MALFORMED_FRAMES.values(), ids=MALFORMED_FRAMES.keys())
async def test_a_malformed_frame_closes_the_websocket_with_4400(
    api: Api, frame: str, failures: list[logging.LogRecord]
) -> None:
    person = api.person(Role.STUDENT)
    async with websocket(api.server) as connection:
        await signed_in(connection, person.token)
        await connection.send(frame)
        assert await close_code(connection) == 4400, connection.close_reason
        assert connection.close_reason
    no_failures(failures)
    await still_answers(api)


async def test_a_malformed_first_frame_closes_the_websocket_with_4400(api: Api) -> None:
    async with websocket(api.server) as connection:
        await connection.send("[1, 2]")
        assert await close_code(connection) == 4400
