"""Scenario 3, request burst: students all send requests at once to a few hundred mentors,
who accept and reject as the requests arrive (sometimes from two tabs at once); then the
programme's rules are checked in SQL. Students and mentors run in separate load processes."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

import asyncpg
from rich.progress import Progress

from app.settings import Settings
from bench import invariants
from bench import subscribers as subs
from bench.common import Person, people
from bench.database import BenchDatabase
from bench.gqlclient import GraphQLPool, Outcome
from bench.plan import Plan
from bench.processes import run_processes
from bench.servers import Server
from bench.stats import latency_summary
from db.demo import DEMO_SUBJECTS
from db.models import Role
from schema import ids

SEND = "mutation Send($mentor: ID!) { sendRequest(mentorId: $mentor) { id status } }"
ACCEPT = "mutation Accept($id: ID!) { acceptRequest(requestId: $id) { id status } }"
REJECT = (
    "mutation Reject($id: ID!, $reason: String) "
    "{ rejectRequest(requestId: $id, reason: $reason) { id status } }"
)
# Answers the rules give in a race; anything else from a mutation is a failure.
EXPECTED = {
    "ok",
    "MENTOR_BUSY",
    "MENTOR_FULL",
    "MENTOR_NOT_AVAILABLE",
    "ALREADY_REQUESTED",
    "REQUEST_NOT_PENDING",
    "CONFLICT",
}
AVAILABILITY = "MENTOR_AVAILABILITY_CHANGED"
MAX_SENDS = 12  # a student gives up after this many tries
ACCEPT_SHARE = 0.5
TWO_TABS_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class MentorSeat:
    global_id: str
    token: str
    capacity: int
    levels: frozenset[str]
    waiting: tuple[str, ...]  # requests already pending when the burst starts


@dataclass(frozen=True, slots=True)
class StudentSeat:
    token: str
    level: str


@dataclass(frozen=True, slots=True)
class BurstSpec:
    host: str
    port: int
    students: list[StudentSeat]
    mentors: list[MentorSeat]
    limit_seconds: float
    seed: int
    connections: int = 64


@dataclass(slots=True)
class BurstResult:
    calls: list[tuple[str, str, float, float]] = field(default_factory=list)  # kind, code, at, s
    sent: int = 0
    accepted: set[str] = field(default_factory=set)
    matched_students: int = 0
    elapsed: float = 0.0
    started: float = 0.0


class _Agents:
    def __init__(self, spec: BurstSpec, out: Queue[Any]) -> None:
        self.spec = spec
        self.out = out
        self.pool = GraphQLPool(spec.host, spec.port, spec.connections)
        self.result = BurstResult()
        self.rng = random.Random(spec.seed)
        self.inbox: dict[str, asyncio.Queue[tuple[str, asyncio.Future[str]]]] = {
            m.global_id: asyncio.Queue() for m in spec.mentors
        }
        self.deadline = 0.0
        self.deciding = 0  # decisions in flight: the run ends only after each is answered
        self.idle = asyncio.Event()

    async def call(self, kind: str, query: str, variables: dict[str, Any], token: str) -> Outcome:
        outcome = await self.pool.call(query, variables, token)
        self.result.calls.append((kind, outcome.code, outcome.started, outcome.seconds))
        return outcome

    def _choices(self, student: StudentSeat) -> list[MentorSeat]:
        # Popular mentors first for many students: the races the rules must survive.
        fitting = [m for m in self.spec.mentors if student.level in m.levels]
        weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(fitting))]
        chosen: list[MentorSeat] = []
        while fitting and len(chosen) < MAX_SENDS:
            index = self.rng.choices(range(len(fitting)), weights)[0]
            chosen.append(fitting.pop(index))
            weights.pop(index)
        return chosen

    async def student(self, seat: StudentSeat) -> None:
        for mentor in self._choices(seat):
            if time.monotonic() > self.deadline:
                return
            outcome = await self.call("send", SEND, {"mentor": mentor.global_id}, seat.token)
            if outcome.code != "ok" or outcome.data is None:
                await asyncio.sleep(self.rng.uniform(0.05, 0.3))  # a look at the next profile
                continue
            self.result.sent += 1
            request_id = str(outcome.data["sendRequest"]["id"])
            decided: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self.inbox[mentor.global_id].put_nowait((request_id, decided))
            try:
                answer = await asyncio.wait_for(decided, self.deadline - time.monotonic())
            except TimeoutError:
                return
            if answer == "ACCEPTED":
                self.result.matched_students += 1
                return

    async def mentor(self, seat: MentorSeat) -> None:
        inbox = self.inbox[seat.global_id]
        loop = asyncio.get_running_loop()
        for request_id in seat.waiting:
            inbox.put_nowait((request_id, loop.create_future()))
        while True:
            first = await inbox.get()
            await asyncio.sleep(self.rng.uniform(0.0, 0.15))  # reading the request
            batch = [first]
            while not inbox.empty():
                batch.append(inbox.get_nowait())
            if len(batch) > 1 and self.rng.random() < TWO_TABS_SHARE:
                # Two tabs: both accepted at the same instant; capacity decides.
                await asyncio.gather(*(self.decide(seat, item, accept=True) for item in batch))
                continue
            for item in batch:
                await self.decide(seat, item, accept=self.rng.random() < ACCEPT_SHARE)

    async def decide(
        self, seat: MentorSeat, item: tuple[str, asyncio.Future[str]], *, accept: bool
    ) -> None:
        self.deciding += 1
        self.idle.clear()
        try:
            await self._decide(seat, item, accept=accept)
        finally:
            self.deciding -= 1
            if not self.deciding:
                self.idle.set()

    async def _decide(
        self, seat: MentorSeat, item: tuple[str, asyncio.Future[str]], *, accept: bool
    ) -> None:
        request_id, decided = item
        if accept:
            tasks = [self.call("accept", ACCEPT, {"id": request_id}, seat.token)]
            if self.rng.random() < TWO_TABS_SHARE:  # the same accept, clicked twice
                tasks.append(self.call("accept", ACCEPT, {"id": request_id}, seat.token))
            outcomes = await asyncio.gather(*tasks)
            if any(o.code == "ok" for o in outcomes):
                self.result.accepted.add(request_id)
                answer = "ACCEPTED"
            else:
                answer = "CLOSED"  # the mentor filled up first
        else:
            outcome = await self.call(
                "reject", REJECT, {"id": request_id, "reason": "Not my field."}, seat.token
            )
            answer = "REJECTED" if outcome.code == "ok" else "CLOSED"
        if not decided.done():
            decided.set_result(answer)

    async def report(self) -> None:
        while True:
            self.out.put(("progress", len(self.result.calls)))
            await asyncio.sleep(0.25)

    async def run(self) -> BurstResult:
        self.deadline = time.monotonic() + self.spec.limit_seconds
        self.result.started = time.time()
        began = time.perf_counter()
        mentors = [asyncio.create_task(self.mentor(m)) for m in self.spec.mentors]
        reporter = asyncio.create_task(self.report())
        await asyncio.gather(*(self.student(s) for s in self.spec.students))
        self.result.elapsed = time.perf_counter() - began
        # A decision cut off mid-flight would still happen on the server, uncounted here.
        if self.deciding:
            await self.idle.wait()
        for task in [*mentors, reporter]:
            task.cancel()
        self.pool.close()
        return self.result


def process_main(spec: BurstSpec, out: Queue[Any]) -> None:
    import uvloop

    from bench.servers import raise_open_file_limit

    raise_open_file_limit()
    out.put(("result", uvloop.run(_Agents(spec, out).run())))


async def _seats(
    db: BenchDatabase, settings: Settings, plan: Plan
) -> tuple[list[StudentSeat], list[MentorSeat], int]:
    """Mentors with room (and the requests already waiting for them); students free to ask."""
    connection = await asyncpg.connect(db.dsn)
    try:
        mentors = await connection.fetch(
            """SELECT m.id, m.capacity, u.subject, u.name, u.email,
                      array_agg(l.degree_level) AS levels
               FROM mentor_profiles m JOIN users u ON u.id = m.user_id
               JOIN mentor_degree_levels l ON l.mentor_id = m.id
               WHERE m.programme_id = $1 AND m.status = 'PUBLISHED'
                 AND m.accepted_count < m.capacity
               GROUP BY m.id, u.id ORDER BY m.id LIMIT $2""",
            db.programme_id,
            plan.burst_mentors,
        )
        waiting: dict[int, list[str]] = {}
        for row in await connection.fetch(
            "SELECT id, mentor_id FROM requests WHERE status = 'PENDING' "
            "AND mentor_id = ANY($1::integer[]) ORDER BY id",
            [row["id"] for row in mentors],
        ):
            waiting.setdefault(row["mentor_id"], []).append(
                str(ids.encode("MentorRequest", row["id"]))
            )
        levels = {level for row in mentors for level in row["levels"]}
        students = await connection.fetch(
            """SELECT s.id, s.degree_level, u.subject, u.name, u.email
               FROM student_profiles s JOIN users u ON u.id = s.user_id
               WHERE s.programme_id = $1 AND s.pending_count = 0 AND NOT s.matched
                 AND s.degree_level = ANY($2::varchar[])
               ORDER BY s.id LIMIT $3""",
            db.programme_id,
            sorted(levels),
            plan.burst_students,
        )
    finally:
        await connection.close()
    mentor_seats = [
        MentorSeat(
            str(ids.encode("Mentor", row["id"])),
            Person(row["subject"], row["name"], row["email"], Role.MENTOR).token(settings),
            row["capacity"],
            frozenset(row["levels"]),
            tuple(waiting.get(row["id"], ())),
        )
        for row in mentors
    ]
    student_seats = [
        StudentSeat(
            Person(row["subject"], row["name"], row["email"], Role.STUDENT).token(settings),
            row["degree_level"],
        )
        for row in students
    ]
    return student_seats, mentor_seats, sum(row["capacity"] for row in mentors)


FEED = "subscription Feed { programmeEvents { seq kind } }"


async def _watchers(db: BenchDatabase, settings: Settings) -> list[subs.Subscriber]:
    """A coordinator watching the event feed, and one watching every availability change."""
    connection = await asyncpg.connect(db.dsn)
    try:
        found = await people(connection, [DEMO_SUBJECTS["coordinator"]], Role.COORDINATOR)
    finally:
        await connection.close()
    token = found[DEMO_SUBJECTS["coordinator"]].token(settings)
    return [subs.Subscriber(0, token, None, FEED), subs.Subscriber(1, token, None)]


def _delivery(
    results: list[subs.SubscribersResult], events: dict[int, str], latest: dict[int, int]
) -> dict[str, Any]:
    """Every committed event in the feed, once; each mentor's latest availability change
    (stale ones may be coalesced away for a client that fell behind) on the other watcher."""
    feed: list[int] = []
    availability: list[int] = []
    ended: list[str] = []
    for arrival in (a for r in results for a in r.arrivals):
        payload = arrival.message.get("payload") or {}
        if arrival.message.get("type") == "error" or (
            isinstance(payload, dict) and payload.get("errors")
        ):
            ended.append(json.dumps(payload)[:300])
            continue
        data = payload.get("data") or {} if isinstance(payload, dict) else {}
        if "programmeEvents" in data:
            feed.append(int(data["programmeEvents"]["seq"]))
        elif "mentorAvailabilityChanged" in data:
            availability.append(int(data["mentorAvailabilityChanged"]["seq"]))
    feed = [seq for seq in feed if seq in events]  # the watcher subscribed a little earlier
    missing_latest = set(latest.values()) - set(availability)
    ended += [
        f"connection closed by the server ({r.closed_early})" for r in results if r.closed_early
    ]
    return {
        "events": len(events),
        "feed_received": len(feed),
        "feed_missing": len(set(events) - set(feed)),
        "feed_duplicates": len(feed) - len(set(feed)),
        "feed_out_of_order": sum(1 for a, b in itertools.pairwise(feed) if b < a),
        "availability_changes": sum(1 for kind in events.values() if kind == AVAILABILITY),
        "availability_received": len(availability),
        "mentors_changed": len(latest),
        "latest_change_missing": len(missing_latest),
        # The server may end a subscription that fell behind (the client then subscribes again
        # and refetches): not a lost event, but a sign the server could not keep up.
        "ended_by_server": ended,
    }


def run(
    plan: Plan, mentori: Server, db: BenchDatabase, settings: Settings, progress: Progress
) -> dict[str, Any]:
    students, mentors, capacity = asyncio.run(_seats(db, settings, plan))
    watcher = subs.Fleet(f"{mentori.ws}/graphql", asyncio.run(_watchers(db, settings)), 1)
    watcher.start()
    watcher.wait_ready()
    before = asyncio.run(invariants.event_seq(db.dsn, db.programme_id))
    processes = 2
    specs = [
        BurstSpec(
            host="127.0.0.1",
            port=mentori.port,
            students=students[part::processes],
            mentors=mentors[part::processes],
            limit_seconds=plan.burst_limit_seconds,
            seed=part,
        )
        for part in range(processes)
    ]
    results: list[BurstResult] = run_processes(
        process_main,
        specs,
        description=f"burst: {len(students)} students -> {len(mentors)} mentors",
        total=None,
        progress=progress,
    )
    calls = [c for r in results for c in r.calls]
    began = min(c[2] for c in calls)
    ended = max(c[2] + c[3] for c in calls)
    codes = Counter(code for _, code, _, _ in calls)
    unexpected = {code: n for code, n in codes.items() if code not in EXPECTED}
    checks = asyncio.run(invariants.check(db.dsn, db.programme_id, after_seq=before))
    events, latest = asyncio.run(invariants.events_since(db.dsn, db.programme_id, before))
    deadline = time.monotonic() + 10
    while sum(watcher.received) < len(events) and time.monotonic() < deadline:
        watcher.poll()
        time.sleep(0.1)
    time.sleep(1.0)  # the availability watcher's last messages
    delivery = _delivery(watcher.stop(), events, latest)
    checks["delivered_to_coordinators"] = delivery
    accepted = sum(len(r.accepted) for r in results)
    sent = sum(r.sent for r in results)
    checks["events_match_mutations"] = {
        "REQUEST_SENT": [checks["events"].get("REQUEST_SENT", 0), sent],
        "REQUEST_ACCEPTED": [checks["events"].get("REQUEST_ACCEPTED", 0), accepted],
    }
    mismatched = sum(1 for a, b in checks["events_match_mutations"].values() if a != b)
    violations = (
        checks["violations"]
        + mismatched
        + sum(unexpected.values())
        + delivery["feed_missing"]
        + delivery["feed_duplicates"]
        + delivery["feed_out_of_order"]
        + (0 if delivery["ended_by_server"] else delivery["latest_change_missing"])
    )
    by_kind = {
        kind: latency_summary([s for k, _, _, s in calls if k == kind])
        for kind in ("send", "accept", "reject")
    }
    return {
        "students": len(students),
        "mentors": len(mentors),
        "mentor_capacity": capacity,
        "mutations": len(calls),
        "seconds": round(ended - began, 3),
        "mutations_per_second": round(len(calls) / (ended - began), 1),
        "outcomes": dict(codes.most_common()),
        "unexpected_outcomes": unexpected,
        "requests_sent": sent,
        "matches": accepted,
        "students_matched": sum(r.matched_students for r in results),
        **latency_summary([s for _, _, _, s in calls]),
        "by_kind": by_kind,
        "invariants": checks,
        "violations": violations,
        "goal": "zero violations (rules, counters, events)",
        "met": violations == 0,
        "_samples": {"all": [s for _, _, _, s in calls]},
    }
