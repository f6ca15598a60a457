"""Live views that never drift from the database: what the randomized tests share.

A watcher is a student following the mentor list: a /browse page in Chromium, or a plain
graphql-transport-ws client that keeps its list by the page's rules (dashboard/static/browse.js,
`Listing` here): the search as of its `seq`, then for each mentor the live update newer than
what the list shows. A sequence is a few random changes (send, accept, reject, withdraw, expire,
capacity, profile withdrawn or published again, a mentor hidden by a coordinator or let publish
again), some at the same time, through any server.
After each one, every watcher's view of every mentor must equal the database's (a fresh search
with the watcher's filter) within a second.

MENTORI_LIVE_SEQUENCES sets how many sequences each test runs, MENTORI_LIVE_SEED the seed (a
failure prints the seed that reproduces its sequences)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol

from db.models import Role
from services.errors import ErrorCode
from tests import factories as f
from tests.clients import Api, GraphQLErrorResponse, LiveClient, Person, live_client, subscriptions
from tests.clock import FakeClock
from tests.waiting import eventually

View = dict[str, tuple[str, int, int]]  # mentor id -> (availability, capacity, places left)

WATCH = """subscription Availability($filter: MentorFilter, $programmeId: ID) {
  mentorAvailabilityChanged(filter: $filter, programmeId: $programmeId) {
    seq mentorId availability previous capacity remainingCapacity
    mentor { id displayName availability capacity remainingCapacity languages { code } }
  }
}"""
MY_REQUESTS = "subscription { myRequestEvents { seq kind request { id status } } }"
SEARCH = """query Search($filter: MentorFilter, $programmeId: ID) {
  mentors(filter: $filter, first: 100, programmeId: $programmeId) {
    seq edges { node { id availability capacity remainingCapacity } }
  }
}"""
PENDING = """query($programmeId: ID) {
  requests(filter: {statuses: [PENDING]}, first: 100, programmeId: $programmeId) {
    edges { node { id } }
  }
}"""
UPDATE_PROFILE = """mutation($input: MentorProfileInput!, $programmeId: ID) {
  updateMentorProfile(input: $input, programmeId: $programmeId) { id }
}"""
WITHDRAW_PROFILE = (
    "mutation($programmeId: ID) { withdrawMentorProfile(programmeId: $programmeId) { id } }"
)
HIDE_MENTOR = (
    "mutation($mentor: ID!, $reason: String!) { hideMentor(mentorId: $mentor, reason: $reason) "
    "{ id } }"
)
UNHIDE_MENTOR = "mutation($mentor: ID!) { unhideMentor(mentorId: $mentor) { id } }"
# A change may be refused by the programme's rules (a busy mentor, a request already decided);
# never by a failure (INTERNAL_ERROR, UNAVAILABLE).
EXPECTED_REFUSALS = {code.value for code in ErrorCode} - {ErrorCode.UNAUTHENTICATED.value}
LANGUAGES = ("fi", "en", "sv")
FIELDS = ("Computer Science", "Data Science", "Mathematics")


def sequences(default: int) -> int:
    return int(os.environ.get("MENTORI_LIVE_SEQUENCES", default))


def seed() -> int:
    return int(os.environ.get("MENTORI_LIVE_SEED") or random.SystemRandom().randrange(10**9))


def _row(mentor: dict[str, Any]) -> tuple[str, int, int]:
    return (mentor["availability"], mentor["capacity"], mentor["remainingCapacity"])


async def database_view(api: Api, person: Person, flt: dict[str, Any], programme_id: str) -> View:
    """What the database says this watcher's list holds: a fresh search, as the same person."""
    data = await api.ok(SEARCH, {"filter": flt, "programmeId": programme_id}, as_=person)
    return {edge["node"]["id"]: _row(edge["node"]) for edge in data["mentors"]["edges"]}


class Listing:
    """A list kept by the page's rules (browse.js): the search as of its `seq`; each update
    newer than what the list shows of its mentor, applied again over an older search."""

    def __init__(self) -> None:
        self.rows: View = {}
        self.updates: dict[str, dict[str, Any]] = {}
        self.shown: dict[str, int] = {}
        self.read = 0
        self.stale = False  # a listed mentor came without its details: search again

    def searched(self, page: dict[str, Any]) -> None:
        self.rows = {edge["node"]["id"]: _row(edge["node"]) for edge in page["edges"]}
        self.read, self.shown, self.stale = page["seq"], {}, False
        for mentor_id, update in list(self.updates.items()):
            if update["seq"] <= self.read:
                del self.updates[mentor_id]
            else:
                self._apply(update)

    def update(self, event: dict[str, Any]) -> None:
        newest = self.updates.get(event["mentorId"])
        if newest is not None and newest["seq"] >= event["seq"]:
            return
        self.updates[event["mentorId"]] = event
        self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        mentor_id = event["mentorId"]
        if event["seq"] <= self.shown.get(mentor_id, self.read):
            return
        if event["availability"] in ("FULL", "HIDDEN"):
            self.rows.pop(mentor_id, None)
        elif mentor_id in self.rows or event["mentor"] is not None:
            self.rows[mentor_id] = _row(event)
        else:
            self.stale = True
            return
        self.shown[mentor_id] = event["seq"]


class Watcher(Protocol):
    name: str
    api: Api
    person: Person
    filter: dict[str, Any]

    async def view(self) -> View: ...

    async def search_again(self) -> None:
        """Search again with the same filter (as a student pressing Search)."""

    def problems(self) -> list[str]: ...

    def subscriptions(self, matched: bool) -> int:
        """How many subscriptions the watcher holds on its server."""


class ClientWatcher:
    """A graphql-transport-ws client following the list as the page does; a student who acts
    (sends requests) also follows their requests and stops the list when matched, as the page."""

    def __init__(
        self, name: str, api: Api, person: Person, flt: dict[str, Any], programme_id: str
    ) -> None:
        self.name, self.api, self.person, self.filter = name, api, person, flt
        self.programme_id = programme_id
        self.watching = True
        self.acts = False
        self.listing = Listing()
        self._searches = 0
        self._problems: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._client: LiveClient | None = None
        self._operation = ""

    async def start(self, stack: AsyncExitStack, *, acts: bool) -> None:
        client = await stack.enter_async_context(
            live_client(self.api.server.ws_url, self.person.token)
        )
        self._client = client
        if acts:
            requests = await client.subscribe(MY_REQUESTS)
            self._tasks.append(asyncio.create_task(self._follow_requests(requests)))
        self._operation = await client.subscribe(
            WATCH, {"filter": self.filter, "programmeId": self.programme_id}
        )
        self.acts = acts
        self._tasks.append(asyncio.create_task(self._follow()))
        stack.push_async_callback(self._stop)

    async def search(self) -> None:
        self._searches += 1
        mine = self._searches
        data = await self.api.ok(
            SEARCH, {"filter": self.filter, "programmeId": self.programme_id}, as_=self.person
        )
        if mine == self._searches:  # as the page: a newer search under way answers instead
            self.listing.searched(data["mentors"])

    async def search_again(self) -> None:
        await self.search()

    async def view(self) -> View:
        return dict(self.listing.rows)

    def problems(self) -> list[str]:
        return list(self._problems)

    def subscriptions(self, matched: bool) -> int:
        return 1 + self.acts - (self.acts and matched)

    async def _follow(self) -> None:
        assert self._client is not None
        while True:
            message = await self._client.message(self._operation, within=10**6)
            if message["type"] != "next" or message["payload"].get("errors"):
                if self.watching:
                    self._problems.append(f"{self.name}: the live updates ended: {message}")
                return
            self.listing.update(message["payload"]["data"]["mentorAvailabilityChanged"])
            if self.listing.stale:
                await self.search()

    async def _follow_requests(self, operation: str) -> None:
        assert self._client is not None
        while True:
            message = await self._client.message(operation, within=10**6)
            if message["type"] != "next":
                return
            if message["payload"]["data"]["myRequestEvents"]["kind"] == "ACCEPTED":
                # As the page: a matched student's search closes, and its subscription ends.
                self.watching = False
                await self._client.complete(self._operation)
                return

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class Mentor:
    person: Person
    id: str
    capacity: int


@dataclass
class World:
    """One programme, its mentors and students, and the random changes made to them."""

    rnd: random.Random
    apis: Sequence[Api]  # every server; each change goes through any of them
    clocks: Sequence[FakeClock]
    expire: Callable[[], Awaitable[object]]  # one scheduler round (after the clocks moved)
    coordinator: Person = field(init=False)
    programme_id: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    mentors: list[Mentor] = field(default_factory=list)
    students: list[Person] = field(default_factory=list)  # unmatched
    matched: set[str] = field(default_factory=set)  # their subjects
    pending: dict[str, tuple[Person, Mentor]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def api(self) -> Api:
        return self.rnd.choice(self.apis)

    async def create(self) -> None:
        api = self.apis[0]
        self.coordinator = api.person(Role.COORDINATOR)
        limits = {"requestExpiryHours": 1, "reminderHoursBeforeExpiry": 0}
        self.programme_id = await f.programme(api, self.coordinator, limits=limits)
        self.fields = await f.field_ids(api, self.coordinator)

    async def add_mentor(self) -> None:
        api, rnd = self.api, self.rnd
        person = api.person(Role.MENTOR)
        capacity = rnd.choice((1, 2))
        profile = {
            "headline": "Engineering manager",
            "professionalBackground": "Years of building software.",
            "careerExperience": "Led teams.",
            "workingLifeYears": 12,
            "capacity": capacity,
            "languages": rnd.sample(LANGUAGES, rnd.randint(1, 2)),
            "degreeLevels": rnd.choice((["MASTERS"], ["MASTERS", "DOCTORAL"])),
            "fields": [self.fields[name] for name in rnd.sample(FIELDS, rnd.randint(1, 2))],
            "remoteOk": rnd.random() < 0.5,
            "dateOfBirth": f.DATE_OF_BIRTH,
        }
        variables = {"input": profile, "programmeId": self.programme_id}
        data = await api.ok(f.CREATE_MENTOR, variables, as_=person)
        await api.ok(f.PUBLISH, {"programmeId": self.programme_id}, as_=person)
        self.mentors.append(Mentor(person, data["createMentorProfile"]["id"], capacity))

    async def add_student(self, degree_level: str = "MASTERS") -> Person:
        api = self.api
        person = api.person(Role.STUDENT)
        profile = {
            "degreeLevel": degree_level,
            "field": self.fields[self.rnd.choice(FIELDS)],
            "languages": ["en"],
        }
        await api.ok(
            f.STUDENT_PROFILE, {"input": profile, "programmeId": self.programme_id}, as_=person
        )
        return person

    async def top_up(self, *, listed: int, students: int) -> None:
        """Enough listed mentors and unmatched students for the changes to come."""
        view = await database_view(self.apis[0], self.coordinator, {}, self.programme_id)
        open_ = sum(1 for availability, _, _ in view.values() if availability != "FULL")
        for _ in range(max(0, listed - open_)):
            await self.add_mentor()
        while len(self.students) < students:
            self.students.append(await self.add_student())

    async def refresh_pending(self) -> None:
        data = await self.apis[0].ok(
            PENDING, {"programmeId": self.programme_id}, as_=self.coordinator
        )
        still = {edge["node"]["id"] for edge in data["requests"]["edges"]}
        self.pending = {key: value for key, value in self.pending.items() if key in still}

    # ---- The changes ------------------------------------------------------------------------

    def change(self) -> Callable[[], Awaitable[str]]:
        changes: list[Callable[[], Awaitable[str]]] = [
            self.send,
            self.accept,
            self.reject,
            self.withdraw,
            self.expire_now,
            self.change_capacity,
            self.withdraw_profile,
            self.publish_again,
            self.hide_mentor,
            self.unhide_mentor,
        ]
        chosen: Callable[[], Awaitable[str]] = self.rnd.choices(
            changes, weights=(4, 2, 1.5, 1, 0.7, 1, 0.6, 0.6, 0.4, 0.4)
        )[0]
        return chosen

    async def _try(self, what: str, operation: Awaitable[dict[str, Any]]) -> str:
        try:
            await operation
        except GraphQLErrorResponse as error:
            if error.code not in EXPECTED_REFUSALS:
                raise
            return f"{what}: refused ({error.code})"
        return what

    async def send(self) -> str:
        waiting = {student.subject for student, _ in self.pending.values()}
        free = [s for s in self.students if s.subject not in waiting]
        if not free or not self.mentors:
            return "send: nobody free"
        student, mentor = self.rnd.choice(free), self.rnd.choice(self.mentors)
        variables = {"mentorId": mentor.id, "message": "Hello!"}
        what = f"send {student.name} -> {mentor.person.name}"
        try:
            data = await self.api.ok(f.SEND, variables, as_=student)
        except GraphQLErrorResponse as error:
            if error.code not in EXPECTED_REFUSALS:
                raise
            return f"{what}: refused ({error.code})"
        self.pending[data["sendRequest"]["id"]] = (student, mentor)
        return what

    def _a_pending(self) -> tuple[str, Person, Mentor] | None:
        if not self.pending:
            return None
        request_id = self.rnd.choice(sorted(self.pending))
        return (request_id, *self.pending[request_id])

    async def accept(self) -> str:
        found = self._a_pending()
        if found is None:
            return "accept: nothing pending"
        request_id, student, mentor = found
        what = f"accept {student.name} by {mentor.person.name}"
        outcome = await self._try(
            what, self.api.ok(f.ACCEPT, {"id": request_id}, as_=mentor.person)
        )
        if outcome == what:
            self.students = [s for s in self.students if s.subject != student.subject]
            self.matched.add(student.subject)
        return outcome

    async def reject(self) -> str:
        found = self._a_pending()
        if found is None:
            return "reject: nothing pending"
        request_id, student, mentor = found
        what = f"reject {student.name} by {mentor.person.name}"
        return await self._try(what, self.api.ok(f.REJECT, {"id": request_id}, as_=mentor.person))

    async def withdraw(self) -> str:
        found = self._a_pending()
        if found is None:
            return "withdraw: nothing pending"
        request_id, student, mentor = found
        what = f"withdraw {student.name}'s request to {mentor.person.name}"
        return await self._try(what, self.api.ok(f.WITHDRAW, {"id": request_id}, as_=student))

    async def expire_now(self) -> str:
        for clock in self.clocks:
            clock.advance(minutes=61)
        await self.expire()
        return "expire (61 minutes later)"

    async def change_capacity(self) -> str:
        mentor = self.rnd.choice(self.mentors)
        capacity = 3 - mentor.capacity
        what = f"capacity of {mentor.person.name} -> {capacity}"
        variables = {"input": {"capacity": capacity}, "programmeId": self.programme_id}
        outcome = await self._try(what, self.api.ok(UPDATE_PROFILE, variables, as_=mentor.person))
        if outcome == what:
            mentor.capacity = capacity
        return outcome

    async def withdraw_profile(self) -> str:
        mentor = self.rnd.choice(self.mentors)
        what = f"{mentor.person.name} withdraws their profile"
        variables = {"programmeId": self.programme_id}
        return await self._try(what, self.api.ok(WITHDRAW_PROFILE, variables, as_=mentor.person))

    async def publish_again(self) -> str:
        mentor = self.rnd.choice(self.mentors)
        what = f"{mentor.person.name} publishes their profile"
        variables = {"programmeId": self.programme_id}
        return await self._try(what, self.api.ok(f.PUBLISH, variables, as_=mentor.person))

    async def hide_mentor(self) -> str:
        mentor = self.rnd.choice(self.mentors)
        what = f"a coordinator hides {mentor.person.name}"
        variables = {"mentor": mentor.id, "reason": "A complaint to look into."}
        return await self._try(what, self.api.ok(HIDE_MENTOR, variables, as_=self.coordinator))

    async def unhide_mentor(self) -> str:
        mentor = self.rnd.choice(self.mentors)
        what = f"a coordinator lets {mentor.person.name} publish again"
        variables = {"mentor": mentor.id}
        return await self._try(what, self.api.ok(UNHIDE_MENTOR, variables, as_=self.coordinator))

    async def sequence(self, watchers: Sequence[Watcher]) -> list[str]:
        """A few changes, some at the same time (as people act at once), and now and then a
        watcher searching again meanwhile (its answer may be older or newer than updates)."""
        done: list[str] = []
        for _ in range(self.rnd.randint(1, 3)):
            group = [self.change() for _ in range(self.rnd.choice((1, 1, 2, 3)))]
            if watchers and self.rnd.random() < 0.3:
                group.append(self._search_again(self.rnd.choice(watchers)))
            done.extend(await asyncio.gather(*(change() for change in group)))
        return done

    def _search_again(self, watcher: Watcher) -> Callable[[], Awaitable[str]]:
        async def search() -> str:
            await watcher.search_again()
            return f"{watcher.name} searches again"

        return search


async def until_in_place(api: Api, watchers: Sequence[Watcher], world: World) -> None:
    """Until the server holds the watchers' subscriptions (exactly: those of matched students
    gone), as a watcher's list starts once its subscription is in place."""
    count = sum(
        w.subscriptions(w.person.subject in world.matched) for w in watchers if w.api is api
    )

    async def in_place() -> bool:
        return await subscriptions(api.client) == count

    await eventually(in_place, what=f"{api.server.url} to hold {count} subscriptions")


@dataclass
class Divergence:
    watcher: str
    filter: dict[str, Any]
    seen: View
    database: View

    def __str__(self) -> str:
        differ = sorted(
            (mentor_id, self.seen.get(mentor_id), self.database.get(mentor_id))
            for mentor_id in set(self.seen) | set(self.database)
            if self.seen.get(mentor_id) != self.database.get(mentor_id)
        )
        lines = [f"{self.watcher} (filter {json.dumps(self.filter)}), mentor: seen / database:"]
        lines += [f"    {mentor_id}: {seen} / {database}" for mentor_id, seen, database in differ]
        return "\n".join(lines)


async def converge(
    watchers: Sequence[Watcher], world: World, within: float
) -> tuple[list[Divergence], float]:
    """Each watcher's view against the database (matched students' lists are closed), until
    all agree or `within` seconds have passed: the divergences left, and how long it took."""
    programme_id = world.programme_id
    started = time.monotonic()
    watching = [w for w in watchers if w.person.subject not in world.matched]
    truths: dict[str, View] = {}
    for watcher in watching:
        key = json.dumps(watcher.filter, sort_keys=True)
        if key not in truths:
            truths[key] = await database_view(
                watcher.api, watcher.person, watcher.filter, programme_id
            )
    while True:
        left = []
        for watcher in watching:
            truth = truths[json.dumps(watcher.filter, sort_keys=True)]
            seen = await watcher.view()
            if seen != truth:
                left.append(Divergence(watcher.name, watcher.filter, seen, truth))
        took = time.monotonic() - started
        if not left or took > within:
            return left, took
        await asyncio.sleep(0.02)


def actor_filter(world: World) -> dict[str, Any]:
    """A filter for a student who asks: often theirs alone, so that their list is an execution
    of its own, which ends when they are matched."""
    return world.rnd.choice(
        [
            {"degreeLevel": "MASTERS"},
            {"degreeLevel": "MASTERS", "languages": ["en"]},
            {"languages": ["fi", "sv"]},
            {"degreeLevel": "MASTERS", "remoteOk": False},
        ]
    )


def watched_filters(world: World) -> list[dict[str, Any]]:
    """Students' filters: alike ones share an execution, the others have one each."""
    return [
        {},
        {},
        {"languages": ["fi"]},
        {"languages": ["sv", "en"], "degreeLevel": "MASTERS"},
        {"remoteOk": True},
        {"fields": [world.fields["Computer Science"]], "degreeLevel": "MASTERS"},
    ]


@dataclass
class Report:
    seed: int
    sequences: int = 0
    changes: int = 0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)


async def check_sequences(
    world: World,
    watchers: list[Watcher],
    *,
    count: int,
    add_actor: Callable[[Person], Awaitable[Watcher]],
    actors: int = 2,
    within: float = 1.0,
    report: Report,
) -> None:
    """Run `count` sequences; after each, every watcher must agree with the database."""
    for number in range(count):
        await world.top_up(listed=6, students=4)
        acting = [w for w in watchers if w.person in world.students]
        for _ in range(actors - len(acting)):
            # A student who watches the list while asking: one of them may be the one accepted.
            student = await world.add_student()
            world.students.append(student)
            watchers.append(await add_actor(student))
        await world.refresh_pending()
        done = await world.sequence([w for w in watchers if w.person.subject not in world.matched])
        await world.refresh_pending()
        world.log.append(f"sequence {number}: " + "; ".join(done))
        report.sequences += 1
        report.changes += len(done)
        left, took = await converge(watchers, world, within)
        report.slowest = max(report.slowest, took)
        problems = [problem for w in watchers for problem in w.problems()]
        if left or problems:
            report.failures.append(
                f"seed {report.seed}, sequence {number} ({'; '.join(done)}):\n"
                + "\n".join(map(str, left))
                + "".join(f"\n  {problem}" for problem in problems)
            )
            return


async def check_client_watchers(
    world: World, stack: AsyncExitStack, *, count: int, report: Report
) -> None:
    """`check_sequences` with graphql-transport-ws clients as watchers (one per watched filter,
    and the students who ask), spread in turn over the world's servers."""
    watchers: list[Watcher] = []

    async def watch(person: Person, flt: dict[str, Any], *, acts: bool) -> Watcher:
        api = world.apis[len(watchers) % len(world.apis)]
        name = f"client {len(watchers) + 1}"
        if len(world.apis) > 1:
            name += f" on {api.server.url}"
        watcher = ClientWatcher(name, api, person, flt, world.programme_id)
        await watcher.start(stack, acts=acts)
        await until_in_place(api, [*watchers, watcher], world)
        await watcher.search()
        return watcher

    for flt in watched_filters(world):
        watchers.append(await watch(await world.add_student(), flt, acts=False))
    await check_sequences(
        world,
        watchers,
        count=count,
        add_actor=lambda student: watch(student, actor_filter(world), acts=True),
        report=report,
    )
