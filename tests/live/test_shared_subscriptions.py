"""Which subscriptions may share one execution, and what a subscriber that cannot keep up is
sent (live/shared.py); the field marks it relies on are where they must be."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest
from graphql import GraphQLObjectType

from app.schema import build_schema
from app.settings import Settings
from live.shared import COMPLETED, DEFINITION, _fell_behind_payload, _Member, shape_of
from live.sharing import PER_VIEWER_KEY
from schema.errors import present

SCHEMA = build_schema(Settings())
NO = (False, False)
GRAPHQL_SCHEMA = SCHEMA._schema


@pytest.mark.parametrize(
    ("document", "shareable", "per_viewer"),
    [
        ("subscription { mentorAvailabilityChanged { mentor { id displayName } } }", True, False),
        (
            "subscription W($f: MentorFilter) { mentorAvailabilityChanged(filter: $f) { seq } }",
            True,
            False,
        ),
        # Contact details depend on who asks, however they are selected.
        ("subscription { mentorAvailabilityChanged { mentor { contactEmail } } }", True, True),
        (
            "subscription { mentorAvailabilityChanged { mentor { ...M } } }"
            " fragment M on Mentor { id contactEmail }",
            True,
            True,
        ),
        # Each viewer's own requests, or a replay from where each one left off: never shared.
        ("subscription { myRequestEvents { seq } }", False, False),
        ("subscription { programmeEvents(after: 3) { seq } }", False, False),
        ("subscription { a: mentorAvailabilityChanged { seq } b: myRequestEvents { seq } }", *NO),
        ("query { viewer { name } }", False, False),
        ("subscription { mentorAvailabilityChanged { seq }", False, False),  # does not parse
    ],
)
def test_only_role_wide_subscriptions_without_private_fields_are_shared_across_viewers(
    document: str, shareable: bool, per_viewer: bool
) -> None:
    shape = shape_of(GRAPHQL_SCHEMA, document, None)
    assert (shape.shareable, shape.per_viewer) == (shareable, per_viewer)


def test_a_document_over_the_token_limit_is_left_to_strawberry_to_refuse() -> None:
    huge = "subscription { mentorAvailabilityChanged { " + "seq " * 50 + "} }"
    assert shape_of(GRAPHQL_SCHEMA, huge, None).shareable
    assert not shape_of(GRAPHQL_SCHEMA, huge, None, max_tokens=20).shareable


# A resolver reads the viewer directly, through the contact-details loader, or by running a
# service (schema/running.py hands every service the viewer).
READS_THE_VIEWER = re.compile(r"context\.viewer|counterparts|\b(?:run|read)\(\s*info\b")


def test_every_field_that_reads_the_viewer_is_marked_per_viewer() -> None:
    """A field whose value depends on who asks, left unmarked, would be shared among students:
    any resolver below the root that reads the viewer must carry PER_VIEWER."""
    roots = {
        t.name
        for t in (
            GRAPHQL_SCHEMA.query_type,
            GRAPHQL_SCHEMA.mutation_type,
            GRAPHQL_SCHEMA.subscription_type,
        )
        if t is not None
    }
    reading, unmarked = [], []
    for type_ in GRAPHQL_SCHEMA.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name in roots:
            continue
        for name, field in type_.fields.items():
            definition = field.extensions.get(DEFINITION)
            resolver = getattr(definition, "base_resolver", None)
            source = inspect.getsource(resolver.wrapped_func) if resolver is not None else ""
            if not READS_THE_VIEWER.search(source):
                continue
            reading.append(f"{type_.name}.{name}")
            if not definition.metadata.get(PER_VIEWER_KEY):
                unmarked.append(f"{type_.name}.{name}")
    assert "Mentor.contactEmail" in reading
    assert unmarked == []


async def sent_to(member: _Member, operation_id: str) -> list[dict[str, Any]]:
    """Every protocol message the member sends its socket, in order, until it ends."""
    sent: list[dict[str, Any]] = []

    async def send_text(text: str) -> None:
        sent.append(json.loads(text))

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await member.run(operation_id, send_text, send)
    return sent


async def test_a_subscriber_that_falls_behind_is_told_and_ended() -> None:
    member = _Member(size=2, fell_behind=_fell_behind_payload(present))
    for n in range(3):  # one more than it may hold unsent
        member.offer(json.dumps({"data": {"n": n}}))
    member.offer(json.dumps({"data": {"n": 3}}))  # after the end: not kept
    sent = await sent_to(member, "7")
    assert [m["type"] for m in sent] == ["next", "complete"]
    assert {m["id"] for m in sent} == {"7"}
    (error,) = sent[0]["payload"]["errors"]
    assert error["extensions"] == {"code": "CONFLICT", "reason": "FELL_BEHIND"}
    assert "fell too far behind" in error["message"]
    assert sent[0]["payload"]["data"] is None


async def test_a_subscriber_that_keeps_up_gets_every_result_in_order_then_complete() -> None:
    member = _Member(size=2, fell_behind=_fell_behind_payload(present))
    member.offer(json.dumps({"data": {"n": 0}}))
    member.offer(json.dumps({"data": {"n": 1}}))
    member.end(COMPLETED)
    assert await sent_to(member, "x") == [
        {"id": "x", "type": "next", "payload": {"data": {"n": 0}}},
        {"id": "x", "type": "next", "payload": {"data": {"n": 1}}},
        {"id": "x", "type": "complete"},
    ]
