"""What Mentori relies on in graphql-core beyond its documented API: the wording of its
"Did you mean" suggestions, which app/schema.py removes in production so that names cannot be
discovered by guessing (pyproject.toml pins the tested range)."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse, validate
from graphql.pyutils import did_you_mean

from app.schema import SUGGESTION

SCHEMA = build_schema(
    """
    enum Role { STUDENT MENTOR COORDINATOR }
    input MentorFilter { language: String, field: String }
    type Query { mentors(role: Role, filter: MentorFilter, first: Int): [String] }
    """
)


@pytest.mark.parametrize("names", [["a"], ["a", "b"], ["a", "b", "c"], list("abcdefg")])
def test_build_suggestion_matches_the_whole_of_graphql_cores_did_you_mean(
    names: list[str],
) -> None:
    """app/schema.py: SUGGESTION must match every suggestion graphql-core appends, whole."""
    suggestion = did_you_mean(names)
    assert suggestion
    assert SUGGESTION.fullmatch(suggestion)


@pytest.mark.parametrize(
    "document",
    [
        "{ mentor }",  # a field
        "{ mentors(frist: 1) }",  # an argument
        "{ mentors(role: MENTR) }",  # an enum value
        '{ mentors(filter: { langauge: "fi" }) }',  # an input field
    ],
)
def test_build_validation_messages_lose_every_suggestion(document: str) -> None:
    """app/schema.py: MentoriSchema.process_errors strips the suggestions out of graphql-core's
    validation messages; what is left names nothing the client did not send."""
    errors = validate(SCHEMA, parse(document))
    assert errors
    suggested = [error.message for error in errors if "Did you mean" in error.message]
    assert suggested, [error.message for error in errors]
    for message in suggested:
        stripped = SUGGESTION.sub("", message)
        assert "Did you mean" not in stripped
        assert stripped.endswith(".") or stripped.endswith("'")
