"""Generated documents and variables for every query and mutation, sent as every role to a real
server on both databases: whatever a client sends, the answer is never a 5xx, never an
INTERNAL_ERROR and never a traceback.

Bounded for `make test` (MENTORI_FUZZ_EXAMPLES examples per strategy, derandomized so that CI
sees the same documents every run); `MENTORI_FUZZ_EXAMPLES=2000` runs it at depth with fresh
random examples each time."""

from __future__ import annotations

import asyncio
import json
import os
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from app.schema import SDL_PATH
from app.settings import Environment
from tests.app.test_privacy import world
from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START
from tests.servers import running_server

EXAMPLES = int(os.environ.get("MENTORI_FUZZ_EXAMPLES", "150"))
AT_DEPTH = "MENTORI_FUZZ_EXAMPLES" in os.environ
ROLES = ["anonymous", "student", "other student", "mentor", "other mentor", "coordinator"]
# What a traceback or a leaked exception looks like in a response body.
TRACE_MARKS = ("Traceback", 'File "', "Error(", "sqlalchemy", "asyncpg")

# Erasure signs its person out for good: generated at random, it would leave the rest of the
# run to anonymous callers. Its own tests (tests/services/test_personal_data.py) cover it.
# The catalogue is kept between tests (tests/conftest.py): a coordinator's random addition,
# rename or retirement ("fi", "Design") would change it under every later test. Its own tests
# (tests/services/test_catalogue.py, tests/resolvers/test_console.py) cover these; this fuzz
# once passed with the six single-entry ones included.
SPARED = {
    "eraseMe",
    "erasePerson",
    "addLanguage",
    "renameLanguage",
    "retireLanguage",
    "addField",
    "updateField",
    "retireField",
    "importCatalogue",
}

pytestmark = pytest.mark.slow


def fuzz_settings() -> settings:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not AT_DEPTH,
        suppress_health_check=list(HealthCheck),
    )


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value like a client's, sometimes an odd one."""
    return st.one_of(common, rare, common, common)


# Odd but well-typed values: every offset a datetime may carry, dates at the ends of the
# calendar, text with lone surrogates and control characters, the largest 32-bit integers.
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
NEAR = {"min_value": date(2025, 1, 1), "max_value": date(2028, 1, 1)}
DATES = mostly(st.dates(**NEAR), st.dates()).map(lambda d: d.isoformat())
DATETIMES = mostly(
    st.datetimes(datetime.combine(NEAR["min_value"], time()), timezones=OFFSETS),
    st.datetimes(timezones=OFFSETS),
).map(lambda d: d.isoformat())
ODD = st.sampled_from(["\ud800", "\udfff", "\x00", "\u202e", "\r", "%", "_", "="])
TEXT = st.text(st.characters(codec=None) | ODD, max_size=300)
PLAIN = st.sampled_from(["fi", "en", "sv", "mentor@example.com", "Data", "Helsinki"]) | st.text(
    string.ascii_letters + " .-", min_size=1, max_size=40
)
INT32 = mostly(st.integers(0, 20), st.integers(-(2**31), 2**31 - 1))
# Anything a JSON client could send, whatever the type asks for.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=10,
)


def scalars(known_ids: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """Values of each scalar: real global ids of every kind, and almost-ids and non-ids."""
    ids = mostly(
        st.sampled_from(known_ids),
        st.sampled_from(known_ids).map(lambda i: i[:-2])
        | st.text(string.ascii_letters + string.digits + "=:", max_size=40)
        | TEXT,
    )
    return {
        "ID": ids,
        "String": mostly(PLAIN, TEXT),
        "Int": INT32,
        "Float": st.floats(allow_nan=False, allow_infinity=False),
        "Boolean": st.booleans(),
        "Date": DATES,
        "DateTime": DATETIMES,
        "JSON": JSON_VALUES,
    }


def value_for(
    type_: GraphQLInputType, known: dict[str, st.SearchStrategy[Any]], depth: int = 0
) -> st.SearchStrategy[Any]:
    """A JSON value of this type for a variable: the shape right, the contents odd."""
    if isinstance(type_, GraphQLNonNull):
        return value_of(type_.of_type, known, depth)
    return mostly(value_of(type_, known, depth), st.none())


def value_of(
    type_: GraphQLInputType, known: dict[str, st.SearchStrategy[Any]], depth: int
) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLList):
        return st.lists(value_for(type_.of_type, known, depth + 1), max_size=4)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(list(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return known[type_.name]
    assert isinstance(type_, GraphQLInputObjectType)
    fields = {name: value_for(f.type, known, depth + 1) for name, f in type_.fields.items()}
    required = {n for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)}
    return st.fixed_dictionaries(
        {n: s for n, s in fields.items() if n in required},
        optional={n: s for n, s in fields.items() if n not in required},
    )


def passing_variables(
    schema: GraphQLSchema, operation: str, name: str, field: GraphQLField
) -> tuple[str, dict[str, GraphQLInputType]]:
    """A document that passes every argument of one root field as a variable."""
    declared = ", ".join(f"${name}: {arg.type}" for name, arg in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    leaf = isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    selection = "" if leaf else " { __typename }"
    head = f"{operation}({declared})" if declared else operation
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call}{selection} }}", {a: f.type for a, f in field.args.items()}


def operations_with_variables(
    schema: GraphQLSchema, known: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Every root field with arguments, passed as variables: mostly of their types with odd
    contents, sometimes any JSON at all."""
    choices = []
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert isinstance(root, GraphQLObjectType)
        for name, field in root.fields.items():
            if not field.args or name in SPARED:
                continue
            document, types = passing_variables(schema, operation, name, field)
            typed = st.fixed_dictionaries({a: value_for(t, known) for a, t in types.items()})
            untyped = st.dictionaries(st.sampled_from(list(types)), JSON_VALUES)
            # One in eight untyped (Hypothesis draws the ends of a range, 0 and 7, more often).
            variables = st.tuples(st.integers(0, 7), typed, untyped).map(
                lambda drawn: drawn[2] if drawn[0] == 3 else drawn[1]
            )
            choices.append(st.tuples(st.just(document), variables))
    return st.one_of(choices)


def check(client: httpx.Client, token: str | None, payload: dict[str, Any]) -> None:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    # json.dumps escapes lone surrogates (\ud800) as a JSON client would send them.
    response = client.post("/graphql", content=json.dumps(payload), headers=headers)
    assert response.status_code < 500, (payload, response.status_code, response.text)
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_ERROR" not in codes, (payload, body)
    assert not any(mark in response.text for mark in TRACE_MARKS), (payload, response.text)


@asynccontextmanager
async def serving(api: Api, mode: str) -> AsyncIterator[Api]:
    """The test's server as development runs it, or one on the same database as production
    runs it (no suggestions, no introspection, errors masked)."""
    if mode == "development":
        yield api
        return
    settings = api.server.settings.model_copy(
        update={"env": Environment.PRODUCTION, "jwt_secret": "production-secret-" + "x" * 40}
    )
    async with (
        running_server(settings, FakeClock(START)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield Api(server=server, client=client)


@pytest.mark.parametrize("mode", ["development", "production"])
async def test_generated_operations_never_break_the_server(api: Api, mode: str) -> None:
    async with serving(api, mode) as served:
        await fuzz_the_schema(served)


async def fuzz_the_schema(api: Api) -> None:
    people = await world(api)
    tokens = {role: (p.token if p else None) for role, p in people.people.items()}
    coordinator = people.people["coordinator"]
    programme = await api.ok("{ programme { id } fields { id } }", as_=coordinator)
    known_ids = [
        programme["programme"]["id"],
        people.mentor,
        people.other_mentor,
        people.student,
        people.other_student,
        people.match,
        people.accepted_request,
        people.waiting_request,
        *(field["id"] for field in programme["fields"][:3]),
    ]
    schema = build_schema(SDL_PATH.read_text())
    known = scalars(known_ids)
    nodes_for = {
        "ID": known["ID"].map(nodes.String),
        "Date": known["Date"].map(nodes.String),
        "DateTime": known["DateTime"].map(nodes.String),
        "JSON": known["String"].map(nodes.String),
    }
    assert schema.mutation_type is not None
    changes = [name for name in schema.mutation_type.fields if name not in SPARED]
    documents = st.one_of(
        queries(schema, custom_scalars=nodes_for, codec=None),
        mutations(schema, fields=changes, custom_scalars=nodes_for, codec=None),
        queries(schema, custom_scalars=nodes_for, mode=Mode.NEGATIVE),
        mutations(schema, fields=changes, custom_scalars=nodes_for, mode=Mode.NEGATIVE),
    )
    with_variables = operations_with_variables(schema, known)
    role = st.sampled_from(ROLES)

    def fuzz() -> None:
        with httpx.Client(base_url=api.server.url, timeout=30) as client:

            @fuzz_settings()
            @given(document=documents, as_=role)
            def documents_alone(document: str, as_: str) -> None:
                check(client, tokens[as_], {"query": document})

            @fuzz_settings()
            @given(operation=with_variables, as_=role)
            def documents_and_variables(operation: tuple[str, dict[str, Any]], as_: str) -> None:
                document, variables = operation
                check(client, tokens[as_], {"query": document, "variables": variables})

            documents_alone()
            documents_and_variables()

    # The server runs in this event loop: the generated requests come from another thread.
    await asyncio.to_thread(fuzz)
    assert (await api.client.get("/healthz")).status_code == 200
