"""GraphQL over HTTP as clients meet it: media types and status codes, refusals with a code and
a sentence, the limits, and what production turns off."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_dev_token
from app.settings import Settings
from db.models import Role
from schema.errors import INTERNAL_MESSAGE
from tests import factories as f
from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import fresh_database
from tests.servers import Server, running_server

GRAPHQL_RESPONSE = "application/graphql-response+json"
VIEWER = "{ viewer { role } }"
CREATE = 'mutation { createProgramme(input: {name: "Sneaked in"}) { id } }'
PROGRAMMES = "{ programmes { name } }"
# Safe in production: no stack traces, no SQL, no file paths.
LEAKS = ("Traceback", 'File "', ".py", "SELECT", "sqlite", "asyncpg", "mentor_profiles")


def token(settings: Settings, role: Role) -> str:
    return issue_dev_token(
        settings,
        subject=f"http-{role.value.lower()}",
        role=role,
        name=f"HTTP {role.value.title()}",
        email=f"{role.value.lower()}@example.edu",
        now=datetime.now(UTC),
    )


async def post(
    server: Server,
    body: Any,
    *,
    role: Role | None = Role.COORDINATOR,
    accept: str | None = None,
) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    if role is not None:
        headers["authorization"] = f"Bearer {token(server.settings, role)}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        return await client.post("/graphql", json=body, headers=headers)


async def get(
    server: Server, params: dict[str, str] | None = None, **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        return await client.get("/graphql", params=params, headers=headers)


def refusal(response: httpx.Response) -> dict[str, Any]:
    """The one error of a refused request, checked for a code and a sentence."""
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"]
    assert error["message"][0].isupper(), error
    assert error["message"].endswith("."), error
    found: dict[str, Any] = error
    return found


async def programme_names(api: Api) -> list[str]:
    data = await api.ok(PROGRAMMES, as_=api.person(Role.COORDINATOR))
    return [p["name"] for p in data["programmes"]]


@pytest.fixture(scope="module")
async def production(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    settings = server_settings(
        database[0],
        tmp_path_factory.mktemp("mail"),
        env="production",
        jwt_secret="production-secret-" + "x" * 40,
        max_query_depth=3,
        max_aliases=5,
        max_query_tokens=200,
    )
    async with running_server(settings, FakeClock(START)) as server:
        yield server


# --- the GraphQL-over-HTTP media type -----------------------------------------------------


async def test_the_graphql_response_media_type_is_used_when_the_client_asks(api: Api) -> None:
    response = await post(api.server, {"query": VIEWER}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"viewer": {"role": "COORDINATOR"}}}
    plain = await post(api.server, {"query": VIEWER}, accept="application/json")
    assert plain.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "{ nosuchfield }"}, "Cannot query field 'nosuchfield' on type 'Query'."),
        ({"query": "{ viewer { role "}, "Syntax Error: Expected Name, found <EOF>."),
        (
            {"query": "query($n: Int!) { mentors(first: $n) { totalCount } }", "variables": {}},
            "Variable '$n' has invalid value: Expected a value of non-null type 'Int!'",
        ),
        (
            {
                "query": "query($n: Int!) { mentors(first: $n) { totalCount } }",
                "variables": {"n": "ten"},
            },
            "Variable '$n' has invalid value: Int cannot represent non-integer value: 'ten'",
        ),
    ],
)
async def test_a_document_that_does_not_validate_is_a_400_with_the_reason(
    api: Api, body: dict[str, Any], message: str
) -> None:
    response = await post(api.server, body, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    payload = response.json()
    assert "data" not in payload  # a request error: nothing ran
    (error,) = payload["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"].startswith(message)
    # Clients that ask for plain JSON get the same errors with the classic 200.
    classic = await post(api.server, body, accept="application/json")
    assert classic.status_code == 200
    assert classic.json() == {"data": None, **payload}


async def test_a_field_error_in_a_valid_document_is_a_200(api: Api) -> None:
    response = await post(api.server, {"query": PROGRAMMES}, role=None, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- refusals before any GraphQL runs ----------------------------------------------------


async def test_a_mutation_over_get_is_refused_and_changes_nothing(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    response = await get(api.server, {"query": CREATE}, authorization=f"Bearer {coordinator.token}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    error = refusal(response)
    assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert error["message"] == "Mutations must be sent with POST; GET runs queries only."
    assert await programme_names(api) == []
    # Queries over GET are fine.
    allowed = await get(api.server, {"query": VIEWER}, authorization=f"Bearer {coordinator.token}")
    assert allowed.json() == {"data": {"viewer": {"role": "COORDINATOR"}}}


async def test_a_batch_is_refused_and_runs_nothing(api: Api) -> None:
    response = await post(api.server, [{"query": CREATE}, {"query": VIEWER}])
    assert response.status_code == 400
    error = refusal(response)
    assert error["extensions"]["code"] == "BATCHING_NOT_SUPPORTED"
    assert "one operation per request" in error["message"]
    assert await programme_names(api) == []


async def test_a_body_that_is_not_json_is_refused_with_a_sentence(api: Api) -> None:
    async with httpx.AsyncClient(base_url=api.server.url) as client:
        response = await client.post(
            "/graphql", content=b"{query: nope", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    error = refusal(response)
    assert (error["extensions"]["code"], error["message"]) == (
        "BAD_REQUEST",
        "The request body is not valid JSON.",
    )


async def test_a_request_without_a_query_is_refused_with_a_sentence(api: Api) -> None:
    response = await post(api.server, {"variables": {}}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert refusal(response)["extensions"]["code"] == "BAD_REQUEST"


SUBSCRIBE = "subscription Stats { programmeStats { seq matches } }"


@pytest.mark.parametrize(
    "accept",
    [
        None,
        GRAPHQL_RESPONSE,
        "multipart/mixed;subscriptionSpec=1.0, application/json",
        "text/event-stream",
    ],
    ids=["json", "graphql-response", "multipart", "event-stream"],
)
async def test_a_subscription_over_http_is_refused_with_the_way_to_subscribe(
    api: Api, accept: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    await f.programme(api)
    response = await post(api.server, {"query": SUBSCRIBE}, accept=accept)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(
        GRAPHQL_RESPONSE if accept == GRAPHQL_RESPONSE else "application/json"
    )
    error = refusal(response)
    assert error["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"
    assert "graphql-transport-ws" in error["message"]
    # Over GET too, and picked by name from a document that also holds a query.
    document = SUBSCRIBE + " query Who { viewer { role } }"
    response = await get(api.server, {"query": document, "operationName": "Stats"})
    assert response.status_code == 400
    assert refusal(response)["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"
    response = await post(api.server, {"query": document, "operationName": "Who"})
    assert response.json() == {"data": {"viewer": {"role": "COORDINATOR"}}}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# --- limits ----------------------------------------------------------------------------------


async def test_too_many_aliases_are_refused(api: Api) -> None:
    query = "{ " + " ".join(f"a{n}: viewer {{ role }}" for n in range(16)) + " }"
    error = (await post(api.server, {"query": query})).json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == "16 aliases found. Allowed: 15"


async def test_a_document_with_too_many_tokens_is_refused(api: Api) -> None:
    query = "{ viewer { " + "role " * 2100 + "} }"
    response = await post(api.server, {"query": query}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Document contains more than 2000 tokens" in error["message"]


async def test_a_document_nested_too_deep_is_refused(api: Api) -> None:
    query = "{ " + "a { " * 11 + "b" + " }" * 11 + " }"
    errors = (await post(api.server, {"query": query})).json()["errors"]
    assert any("exceeds maximum operation depth of 10" in e["message"] for e in errors)
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_the_limits_come_from_the_settings(api: Api, production: Server) -> None:
    await f.programme(api)
    shallow = "{ myRequests { mentor { programme { name } } } }"
    assert "errors" not in (await post(production, {"query": shallow}, role=Role.STUDENT)).json()
    deep = "{ myRequests { mentor { programme { phases { phase } } } } }"
    error = (await post(production, {"query": deep}, role=Role.STUDENT)).json()["errors"][0]
    assert error["message"] == "'anonymous' exceeds maximum operation depth of 3"
    aliases = "{ " + " ".join(f"a{n}: viewer {{ role }}" for n in range(6)) + " }"
    error = (await post(production, {"query": aliases})).json()["errors"][0]
    assert error["message"] == "6 aliases found. Allowed: 5"
    tokens = "{ viewer { " + "role " * 200 + "} }"
    error = (await post(production, {"query": tokens})).json()["errors"][0]
    assert "Document contains more than 200 tokens" in error["message"]


# --- production ------------------------------------------------------------------------------


async def test_development_offers_graphiql(api: Api) -> None:
    response = await get(api.server, accept="text/html")
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_production_serves_no_graphql_ide(api: Api, production: Server) -> None:
    response = await get(production, accept="text/html")
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()
    assert refusal(response)["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "query", ["{ __schema { types { name } } }", '{ __type(name: "Mentor") { fields { name } } }']
)
async def test_production_refuses_introspection(api: Api, production: Server, query: str) -> None:
    response = await post(production, {"query": query}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection has been disabled" in payload["errors"][0]["message"]
    # Development answers the same question.
    dev = (await post(api.server, {"query": query})).json()
    assert "errors" not in dev


async def test_production_suggests_no_field_names(api: Api, production: Server) -> None:
    query = "{ mentr(id: 1) { id } }"
    error = (await post(production, {"query": query})).json()["errors"][0]
    assert error["message"] == "Cannot query field 'mentr' on type 'Query'."
    dev = (await post(api.server, {"query": query})).json()["errors"][0]
    assert "Did you mean 'mentor'" in dev["message"]


async def test_production_still_refuses_get_mutations_and_batches(
    api: Api, production: Server
) -> None:
    response = await get(production, {"query": CREATE})
    assert response.status_code == 405
    response = await post(production, [{"query": VIEWER}])
    assert refusal(response)["extensions"]["code"] == "BATCHING_NOT_SUPPORTED"


async def test_production_masks_an_unexpected_failure(tmp_path: Path) -> None:
    """A database that lost a table: the client is told something went wrong, and nothing of
    the failure's insides (no traceback, no SQL, no file names)."""
    async with fresh_database("sqlite", tmp_path, purpose="broken") as (url, engine):
        settings = server_settings(
            url, tmp_path / "mail", env="production", jwt_secret="s" * 48, scheduler_enabled=False
        )
        async with running_server(settings, FakeClock(START)) as server:
            created = await post(
                server, {"query": 'mutation { createProgramme(input: {name: "P"}) { id } }'}
            )
            assert "errors" not in created.json()
            async with engine.begin() as connection:
                await connection.execute(text("ALTER TABLE mentor_profiles RENAME TO lost"))
            queries = [
                "{ mentors { totalCount edges { node { id } } } }",
                'query { mentor(id: "TWVudG9yOjE=") { id } }',
            ]
            for query in queries:
                for accept in (None, GRAPHQL_RESPONSE):
                    response = await post(server, {"query": query}, accept=accept)
                    assert response.status_code == 200
                    (error,) = response.json()["errors"]
                    assert error["extensions"] == {"code": "INTERNAL_ERROR"}
                    assert error["message"] == INTERNAL_MESSAGE
                    for leak in LEAKS:
                        assert leak not in response.text, leak


# --- operations endpoints --------------------------------------------------------------------


async def test_health_readiness_and_metrics_answer(api: Api) -> None:
    await post(api.server, {"query": VIEWER})
    async with httpx.AsyncClient(base_url=api.server.url) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "up", "broker": "up"}
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'mentori_graphql_operations_total{outcome="ok",type="query"}' in metrics.text


async def test_readiness_fails_while_the_database_is_unreachable(tmp_path: Path) -> None:
    # A directory where the database file should be: every connection attempt fails.
    url = f"sqlite+aiosqlite:///{tmp_path}"
    settings = server_settings(url, tmp_path / "mail", scheduler_enabled=False)
    async with (
        running_server(settings, FakeClock(START)) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        ready = await client.get("/readyz")
        health = await client.get("/healthz")
    assert (ready.status_code, ready.json()) == (503, {"status": "unavailable", "database": "down"})
    assert health.status_code == 200  # alive, just not ready
    assert json.dumps(ready.json()).count("sqlite") == 0
