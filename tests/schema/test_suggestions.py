"""Production suggests no names (with introspection off, "Did you mean" would reveal the
schema name by name); development still does."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.types import ExecutionResult

from app.schema import build_schema
from app.settings import Environment, Settings

DEVELOPMENT = Settings()
PRODUCTION = Settings(env=Environment.PRODUCTION, jwt_secret="production-secret-" + "x" * 40)

FILTERED = "query($filter: MentorFilter) { mentors(filter: $filter) { totalCount } }"
STATUSES = "query($statuses: [RequestStatus!]) { myRequests(statuses: $statuses) { id } }"

# Each kind of name graphql-core suggests: (document, variables, what it would suggest).
KINDS: dict[str, tuple[str, dict[str, Any] | None, str]] = {
    "field": ("{ mentr(id: 1) { id } }", None, "'mentor'"),
    "argument": ("{ mentors(frist: 5) { totalCount } }", None, "'first'"),
    "type": (
        "query($filter: MentorFiltr) { mentors(filter: $filter) { totalCount } }",
        None,
        "'MentorFilter'",
    ),
    "type condition": ("{ ... on Qery { viewer { id } } }", None, "'Query'"),
    "enum value": ("{ myRequests(statuses: [PENDIN]) { id } }", None, "'PENDING'"),
    "enum value in variables": (STATUSES, {"statuses": ["PENDIN"]}, "'PENDING'"),
    "input field": (
        "{ mentors(filter: {availabilty: [AVAILABLE]}) { totalCount } }",
        None,
        "'availability'",
    ),
    "input field in variables": (
        FILTERED,
        {"filter": {"availabilty": ["AVAILABLE"]}},
        "'availability'",
    ),
    "enum value in an input in variables": (
        FILTERED,
        {"filter": {"availability": ["AVAILABL"]}},
        "'AVAILABLE'",
    ),
}


async def messages(settings: Settings, query: str, variables: dict[str, Any] | None) -> list[str]:
    result = await build_schema(settings).execute(query, variable_values=variables)
    assert result.errors, "the document was expected to be refused"
    assert result.data is None  # refused before anything ran
    return [error.message for error in result.errors]


@pytest.mark.parametrize("kind", KINDS)
async def test_production_suggests_no_name(kind: str) -> None:
    query, variables, suggestion = KINDS[kind]
    for message in await messages(PRODUCTION, query, variables):
        assert "Did you mean" not in message
        assert suggestion not in message
        assert message.endswith((".", "'")), message  # the sentence is whole, only shorter


@pytest.mark.parametrize("kind", KINDS)
async def test_development_still_suggests_names(kind: str) -> None:
    query, variables, suggestion = KINDS[kind]
    found = await messages(DEVELOPMENT, query, variables)
    assert any(f"Did you mean {suggestion}" in m or suggestion in m for m in found), found
    assert any("Did you mean" in m for m in found), found


async def test_production_suggests_no_name_to_a_subscription() -> None:
    schema = build_schema(PRODUCTION)
    document = (
        "subscription($filter: MentorFilter) { "
        "mentorAvailabilityChanged(filter: $filter) { mentorId } }"
    )
    stream = await schema.subscribe(document, variable_values={"filter": {"remoteOK": True}})
    assert not isinstance(stream, ExecutionResult)
    (result,) = [result async for result in stream]
    assert result.errors is not None
    (error,) = result.errors
    assert "remoteOK" in error.message
    assert "Did you mean" not in error.message
    assert "remoteOk" not in error.message
