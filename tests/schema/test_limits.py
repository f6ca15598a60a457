"""Documents too big written out are refused before validation walks them: fragments spread
many times, depth and aliases through fragments, cycles; and the pages' own documents pass."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLFormattedError
from strawberry.extensions import SchemaExtension

from app.schema import build_schema
from app.settings import Environment, Settings
from db.models import Role
from tests.clients import Api, live_client

PAGES = Path(__file__).parents[2] / "dashboard" / "static"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# A failure guard for "does not hang", not a measurement: the refusal takes milliseconds.
AT_ONCE = 5.0


class NothingRuns(SchemaExtension):
    """These tests are about what is refused before anything runs: a document that passes
    every check stops here, with no resolver called."""

    def on_execute(self) -> Iterator[None]:
        self.execution_context.result = GraphQLExecutionResult(data={}, errors=None)
        yield


def bomb(fragments: int, *, comment: str = "", root: str = "query", on: str = "Query") -> str:
    """Each fragment spreads the next twice: 2**fragments copies of the last one written out."""
    leaf = "viewer { id }" if on == "Query" else "seq"
    text = [f"# {comment}", f"{root} {{ ...F0 }}"]
    for n in range(fragments):
        text.append(f"fragment F{n} on {on} {{ {leaf} ...F{n + 1} ...F{n + 1} }}")
    text.append(f"fragment F{fragments} on {on} {{ {leaf} }}")
    return "\n".join(text)


async def errors_of(query: str, settings: Settings | None = None) -> list[GraphQLFormattedError]:
    schema = build_schema(settings or Settings(), extra_extensions=[NothingRuns])
    result = await schema.execute(query)
    return [error.formatted for error in result.errors or ()]


def codes(errors: list[GraphQLFormattedError]) -> list[object]:
    return [error.get("extensions", {}).get("code") for error in errors]


def page_documents() -> dict[str, str]:
    """Every document the pages send, with the pieces they share put in."""
    documents: dict[str, str] = {}
    for script in sorted(PAGES.glob("*.js")):
        found = re.findall(r'const ([A-Z_]+) = (?:`([^`]*)`|"([^"]*)")', script.read_text())
        constants = {name: template or plain for name, template, plain in found}
        for name, text in constants.items():
            for piece, value in constants.items():
                text = text.replace(f"${{{piece}}}", value)
            if text.split()[0] in {"query", "mutation", "subscription"}:
                documents[f"{script.stem}.{name}"] = text
    return documents


# --- fragments spread many times -------------------------------------------------------------


@pytest.mark.parametrize("fragments", [20, 40])
async def test_fragments_spread_many_times_are_refused_at_once(fragments: int) -> None:
    query = bomb(fragments)
    assert len(query) < 2500  # a small document, within the token limit
    started = time.monotonic()
    errors = await errors_of(query)
    assert time.monotonic() - started < AT_ONCE
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]
    (error,) = errors
    assert error["message"][0].isupper()
    assert error["message"].endswith(".")


async def test_a_different_comment_is_refused_as_fast() -> None:
    schema = build_schema(Settings(), extra_extensions=[NothingRuns])
    started = time.monotonic()
    for n in range(20):
        result = await schema.execute(bomb(20, comment=f"attempt {n}"))
        assert [(e.extensions or {}).get("code") for e in result.errors or ()] == [
            "QUERY_TOO_COMPLEX"
        ]
    assert time.monotonic() - started < AT_ONCE


async def test_a_fragment_spread_inside_a_field_counts_each_time_it_is_written_out() -> None:
    spreads = " ".join("...Who" for _ in range(30))
    query = f"{{ viewer {{ {spreads} }} }} fragment Who on Viewer {{ id name email role }}"
    assert codes(await errors_of(query, Settings(max_query_selections=100))) == [
        "QUERY_TOO_COMPLEX"
    ]
    assert await errors_of(query, Settings(max_query_selections=200)) == []


async def test_fragment_spreads_are_limited_too() -> None:
    # Few fields, many spreads: each fragment spreads the next, down a long chain, twice over.
    query = bomb(8)
    assert codes(await errors_of(query, Settings(max_fragment_spreads=100))) == [
        "QUERY_TOO_COMPLEX"
    ]
    assert await errors_of(query, Settings(max_fragment_spreads=1000)) == []


async def test_fragment_cycles_are_refused_at_once() -> None:
    cycle = (
        "query { ...A } "
        "fragment A on Query { viewer { id } ...B ...B ...A } "
        "fragment B on Query { viewer { name } ...A ...A ...B }"
    )
    started = time.monotonic()
    errors = await errors_of(cycle)
    assert time.monotonic() - started < AT_ONCE
    assert set(codes(errors)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("Cannot spread fragment 'A' within itself" in e["message"] for e in errors)


# --- depth and aliases, through fragments ----------------------------------------------------


async def test_depth_is_measured_through_fragments() -> None:
    deep = (
        "query { ...Deep } fragment Deep on Query { myRequests { ...R } } "
        "fragment R on MentorRequest { mentor { ...M } } "
        "fragment M on Mentor { programme { ...P } } "
        "fragment P on Programme { phases { phase } }"
    )
    errors = await errors_of(deep, Settings(max_query_depth=3))
    assert [e["message"] for e in errors] == ["'anonymous' exceeds maximum operation depth of 3"]
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await errors_of(deep, Settings(max_query_depth=4)) == []


async def test_a_depth_bomb_through_fragments_is_refused_at_once() -> None:
    # 300 fragments, each one level deeper than the last, each spread twice (depth 300).
    count = 300
    text = ["query Deep { viewer { ...D0 } }"]
    for n in range(count):
        text.append(f"fragment D{n} on Viewer {{ id ...D{n + 1} ...D{n + 1} }}")
    text.append(f"fragment D{count} on Viewer {{ id }}")
    started = time.monotonic()
    errors = await errors_of("\n".join(text), Settings(max_query_tokens=20_000))
    assert time.monotonic() - started < AT_ONCE
    assert codes(errors) == ["QUERY_TOO_COMPLEX"]


async def test_aliases_are_counted_each_time_a_fragment_is_written_out() -> None:
    query = "{ ...A ...A ...A } fragment A on Query { a: viewer { id } b: viewer { name } }"
    errors = await errors_of(query, Settings(max_aliases=5))
    assert [e["message"] for e in errors] == ["6 aliases found. Allowed: 5"]
    assert codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await errors_of(query, Settings(max_aliases=6)) == []


async def test_aliases_across_operations_add_up() -> None:
    query = (
        "query One { a: viewer { id } b: viewer { id } } "
        "query Two { ...A } fragment A on Query { c: viewer { id } d: viewer { id } }"
    )
    errors = await errors_of(query, Settings(max_aliases=3))
    assert [e["message"] for e in errors] == ["4 aliases found. Allowed: 3"]


async def test_introspection_does_not_count_towards_depth() -> None:
    query = "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }"
    assert await errors_of(query, Settings(max_query_depth=3)) == []


# --- what the pages send -----------------------------------------------------------------------


def test_the_pages_documents_are_found() -> None:
    documents = page_documents()
    assert len(documents) >= 15
    assert "coordinator.PENDING" in documents


@pytest.mark.parametrize("name", sorted(page_documents()))
async def test_the_pages_documents_pass_the_limits(name: str) -> None:
    production = Settings(env=Environment.PRODUCTION, jwt_secret="production-secret-" + "x" * 40)
    assert await errors_of(page_documents()[name], production) == []


async def test_a_deep_document_through_fragments_passes() -> None:
    # As deep as the schema goes (6), through fragments spread several times.
    query = """
      query Pending { requests(first: 50) { edges { node { ...Request } } }
        again: requests(first: 10) { edges { node { ...Request } } } }
      fragment Request on MentorRequest {
        id student { ...Student } mentor { ...Mentor } }
      fragment Student on Student { displayName field { name school } }
      fragment Mentor on Mentor {
        displayName languages { name } programme { name phases { phase opensOn } } }
    """
    assert await errors_of(query) == []


# --- over HTTP and WebSocket -------------------------------------------------------------------


async def test_the_server_keeps_answering_while_a_bomb_is_refused(api: Api) -> None:
    async def send_bomb(n: int) -> httpx.Response:
        return await api.client.post(
            "/graphql",
            json={"query": bomb(20, comment=f"bomb {n}")},
            headers={"accept": GRAPHQL_RESPONSE},
        )

    started = time.monotonic()
    *bombs, health = await asyncio.gather(
        *(send_bomb(n) for n in range(4)), api.client.get("/healthz")
    )
    assert time.monotonic() - started < AT_ONCE
    assert health.status_code == 200
    for response in bombs:
        assert response.status_code == 400
        body = response.json()
        assert "data" not in body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    after = await api.client.get("/healthz")
    assert after.status_code == 200


async def test_a_subscription_bomb_is_refused_on_the_websocket(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    query = bomb(30, root="subscription", on="ProgrammeEvent").replace(
        "subscription { ...F0 }", "subscription { programmeEvents { ...F0 } }"
    )
    async with live_client(api.server.ws_url, coordinator.token) as client:
        started = time.monotonic()
        operation = await client.subscribe(query)
        message = await client.message(operation, within=AT_ONCE)
        assert time.monotonic() - started < AT_ONCE
    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["QUERY_TOO_COMPLEX"]


@pytest.mark.parametrize("opener", ["[", "{", '"', '"""'])
async def test_many_unclosed_date_of_birth_literals_are_refused_at_once(opener: str) -> None:
    # A refusal's message is cleared of date-of-birth values found in the document
    # (schema/withheld.py); a document of nothing but unclosed ones, near the request limit,
    # must not make that search walk the rest of the document from each (19 s before).
    query = "{ viewer(" + " ".join(f"dateOfBirth: {opener}" for _ in range(64_000)) + ") { id } }"
    started = time.monotonic()
    errors = await errors_of(query)
    assert time.monotonic() - started < AT_ONCE
    assert errors
