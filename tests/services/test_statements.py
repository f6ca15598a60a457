"""No N+1: a page of mentors with everything a browse page shows costs the same number of SQL
statements whether it holds 5 mentors or 20."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.services.test_catalogue import ADD_LANGUAGE, RETIRE_LANGUAGE, unique

PAGE = """query($first: Int!, $orderBy: MentorOrder!) {
  mentors(first: $first, orderBy: $orderBy) {
    totalCount
    edges { cursor node {
      id displayName headline availability remainingCapacity contactEmail
      languages { code name }
      fields { id name school }
      degreeLevels
      programme { name currentPhases }
      fit { score reasons takesYourDegreeLevel }
    } }
  }
}"""
# Work the server does on its own (mail delivery, the live event tail, the scheduler) is not
# part of a page's cost.
BACKGROUND = ("outbox", "events", "pg_advisory")


def _a_read(statement: str) -> bool:
    text = statement.lstrip().upper()
    return text.startswith("SELECT") and not any(word in statement for word in BACKGROUND)


@contextmanager
def counting(engine: AsyncEngine, counts: Callable[[str], bool] = _a_read) -> Iterator[list[str]]:
    """The statements run meanwhile that `counts` (by default: reads, not the server's own)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if counts(statement):
            statements.append(" ".join(statement.split()))

    target = engine.sync_engine
    event.listen(target, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", count)


async def statements_for_page(
    api: Api, person: Person, first: int, order: str = "JOINED"
) -> list[str]:
    """The statements one page costs (the fewest of three tries, so that background work that
    happens to run at the same moment is not counted)."""
    engine: AsyncEngine = api.server.app.state.engine
    tries = []
    for _ in range(3):
        with counting(engine) as statements:
            variables = {"first": first, "orderBy": order}
            page = (await api.ok(PAGE, variables, as_=person))["mentors"]
        assert len(page["edges"]) == first
        assert all(len(e["node"]["languages"]) == 2 for e in page["edges"])
        assert all(len(e["node"]["fields"]) == 2 for e in page["edges"])
        assert all(len(e["node"]["degreeLevels"]) == 2 for e in page["edges"])
        tries.append(list(statements))
    return min(tries, key=len)


async def test_a_page_of_mentors_costs_a_constant_number_of_statements(api: Api) -> None:
    await f.programme(api)
    for n in range(20):
        await f.mentor(
            api,
            displayName=f"Mentor {n}",
            languages=["fi", "en"],
            degree_levels=["MASTERS", "DOCTORAL"],
            fields=["Computer Science", "Design"],
        )
    for role, order in (
        (Role.STUDENT, "JOINED"),
        (Role.STUDENT, "FIT"),
        (Role.COORDINATOR, "JOINED"),
        (Role.COORDINATOR, "FIT"),
    ):
        person = await f.student(api) if role is Role.STUDENT else api.person(role)
        # Measured in turns, so that whatever the server does meanwhile falls on both sizes.
        fives, twenties = [], []
        for _ in range(2):
            fives.append(await statements_for_page(api, person, 5, order))
            twenties.append(await statements_for_page(api, person, 20, order))
        five, twenty = min(fives, key=len), min(twenties, key=len)
        shown = "\n\n".join(twenty) + "\n\n--- a page of five:\n\n" + "\n\n".join(five)
        assert len(twenty) == len(five), shown
        # Constant, and small: the search (its count in the same statement), and one batch per
        # kind of related row; the recommended order reads the student once, for every card.
        assert len(five) <= 14, "\n\n".join(five)


async def test_a_search_does_not_look_up_languages_and_fields_already_known(api: Api) -> None:
    await f.programme(api)
    await f.mentor(api, languages=["fi", "en"], fields=["Computer Science", "Design"])
    student = await f.student(api)
    fields = await f.field_ids(api, student)
    search = """query($filter: MentorFilter!) { mentors(filter: $filter) { totalCount } }"""
    flt = {"languages": ["fi"], "fields": [fields["Design"]]}
    assert (await api.ok(search, {"filter": flt}, as_=student))["mentors"]["totalCount"] == 1
    engine: AsyncEngine = api.server.app.state.engine
    with counting(engine) as statements:
        found = await api.ok(search, {"filter": flt}, as_=student)
    assert found["mentors"]["totalCount"] == 1
    lookups = [s for s in statements if re.search(r"\bFROM (languages|fields)\b", s)]
    assert lookups == [], "\n\n".join(lookups)


CARDS = """query($first: Int!) {
  mentors(first: $first) {
    totalCount
    edges { node { id displayName availability
                   languages { code name retired } fields { id name school retired }
                   degreeLevels } }
  }
}"""
CARD = """query($id: ID!) {
  mentor(id: $id) {
    languages { code name retired } fields { id name school retired } degreeLevels
  }
}"""


async def test_a_page_of_mentors_is_read_with_what_its_cards_show_in_one_statement(
    api: Api,
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    # A language a coordinator later retires stays on the profile, marked so, in name order.
    code = unique()
    await api.ok(ADD_LANGUAGE, {"code": code, "name": f"Gaelic {code}"}, as_=coordinator)
    await f.mentor(
        api,
        displayName="Aino",
        languages=["sv", code, "en"],
        degree_levels=["MASTERS", "DOCTORAL"],
        fields=["Design", "Computer Science"],
    )
    await api.ok(RETIRE_LANGUAGE, {"code": code}, as_=coordinator)
    await f.mentor(api, displayName="Bo", languages=["fi"], fields=["Design"])
    student = await f.student(api)

    engine: AsyncEngine = api.server.app.state.engine
    tries = []
    for _ in range(3):
        with counting(engine) as statements:
            page = (await api.ok(CARDS, {"first": 20}, as_=student))["mentors"]
        tries.append(list(statements))
    # The fewest of three tries: the server's own periodic work is not the page's cost.
    statements = min(tries, key=len)
    assert page["totalCount"] == 2
    aino, bo = (edge["node"] for edge in page["edges"])
    assert [(x["name"], x["retired"]) for x in aino["languages"]] == [
        ("English", False),
        (f"Gaelic {code}", True),
        ("Swedish", False),
    ]
    assert [x["name"] for x in aino["fields"]] == ["Computer Science", "Design"]
    assert aino["degreeLevels"] == ["DOCTORAL", "MASTERS"]
    # The same as each mentor's own page shows, which reads them on its own.
    for card in (aino, bo):
        alone = (await api.ok(CARD, {"id": card["id"]}, as_=student))["mentor"]
        assert {k: card[k] for k in alone} == alone
    reads = [s for s in statements if re.search(r"\bmentor_(profiles|languages|fields)\b", s)]
    assert len(reads) == 1, "\n\n".join(reads)
    # ... and besides it, only the student's own profile (which programme is theirs).
    assert len(statements) <= 2, "\n\n".join(statements)


# The server's own periodic work (mail delivery, the live event tail, the scheduler), and
# SQLite's BEGIN IMMEDIATE (PostgreSQL's BEGIN is not a cursor's statement).
_OWN_WORK = re.compile(
    r"^\s*(UPDATE outbox\b|SELECT .*\bFROM (outbox|events)\b|.*pg_advisory|BEGIN\b)", re.S
)


def every_statement(engine: AsyncEngine) -> AbstractContextManager[list[str]]:
    """Every statement a request runs, reads and writes, except the server's own work."""
    return counting(engine, lambda statement: not _OWN_WORK.match(statement))


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if re.match(r"(INSERT|UPDATE|DELETE)\b", s)]


async def test_a_request_to_a_full_mentor_is_refused_from_one_read_writing_nothing(
    api: Api,
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=1)
    first = await f.student(api)
    await api.ok(f.ACCEPT, {"id": await f.send(api, first, mentor_id)}, as_=mentor)
    engine: AsyncEngine = api.server.app.state.engine
    tries = []
    for _ in range(3):
        late = await f.student(api)
        with every_statement(engine) as statements:
            refused = await api.error(f.SEND, {"mentorId": mentor_id, "message": "Hi"}, as_=late)
        assert refused["extensions"]["code"] == "MENTOR_FULL", refused
        tries.append(list(statements))
    statements = min(tries, key=len)
    assert writes(statements) == [], "\n\n".join(statements)
    # The person's erasure check, and one read of the mentor, the student and the pair.
    assert len(statements) <= 2, "\n\n".join(statements)


async def test_a_request_and_its_answer_cost_a_few_statements_each(api: Api) -> None:
    await f.programme(api)
    engine: AsyncEngine = api.server.app.state.engine
    sends, rejects = [], []
    for _ in range(3):
        mentor, mentor_id = await f.mentor(api)
        student = await f.student(api)
        with every_statement(engine) as statements:
            request_id = await f.send(api, student, mentor_id)
        sends.append(list(statements))
        with every_statement(engine) as statements:
            await api.ok(f.REJECT, {"id": request_id, "reason": "Not my field."}, as_=mentor)
        rejects.append(list(statements))
    # Sent: the erasure check; one read; the mentor's and the student's guards; the request,
    # the mentor's letter, the event numbers and the events (request sent, availability).
    send = min(sends, key=len)
    assert len(send) <= 8, "\n\n".join(send)
    # Declined: the erasure check; the request with whose it is; the mentor's row lock; the
    # request ended; the student released; the mentor's count; the student's letter; the event
    # numbers and the events.
    reject = min(rejects, key=len)
    assert len(reject) <= 9, "\n\n".join(reject)
