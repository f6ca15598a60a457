"""Scenario 2, fan-out: thousands of idle subscribers to mentorAvailabilityChanged, held by
separate processes, while mentors fill up at a steady rate. For each event: the time from its
commit (a NOTIFY sent by a trigger on the bench's copy of the events table) to its arrival at
every subscriber whose filter matches, the share delivered, and the server's memory per idle
subscriber. The baseline broadcasts the same messages to the same sockets from a bare Starlette
endpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import asyncpg
from rich.progress import Progress

from app.settings import Settings
from bench import subscribers as subs
from bench.common import Person, rng
from bench.database import BenchDatabase
from bench.filters import MentorFacts, matches
from bench.gqlclient import GraphQLPool
from bench.plan import Plan
from bench.servers import Server
from bench.stats import latency_summary, ratio
from db.models import Role
from schema import ids

ACCEPT = "mutation Accept($id: ID!) { acceptRequest(requestId: $id) { id status } }"
LANGUAGES = ("en", "fi", "sv", "de")
SETTLE_SECONDS = 2.0
# For the bench's own copy of the database only: NOTIFY is delivered when the inserting
# transaction commits, so its arrival here marks each event's commit.
COMMIT_TRIGGER = """
CREATE OR REPLACE FUNCTION bench_event_committed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('bench_event_committed', NEW.kind || ' ' || (NEW.payload->>'mentorId'));
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_event_committed ON events;
CREATE TRIGGER bench_event_committed AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION bench_event_committed();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS bench_event_committed ON events"
DELIVERY_GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class FanoutMentor:
    facts: MentorFacts
    token: str
    request: str  # the pending request whose acceptance is the event


@dataclass(frozen=True, slots=True)
class Setup:
    subscribers: list[subs.Subscriber]
    mentors: list[FanoutMentor]


def _filter(index: int, fields: list[int], pick: Any) -> dict[str, Any] | None:
    """A mix like students' own searches: a few watch everyone, most a language, their degree
    level and their field."""
    kind = index % 10
    if kind == 0:
        return None
    flt: dict[str, Any] = {"languages": [pick.choice(LANGUAGES)]}
    if kind >= 4:
        flt["degreeLevel"] = pick.choice(("MASTERS", "MASTERS", "DOCTORAL"))
    if kind >= 7:
        flt["fields"] = [str(ids.encode("Field", pick.choice(fields)))]
    return flt


async def _setup(db: BenchDatabase, settings: Settings, plan: Plan) -> Setup:
    connection = await asyncpg.connect(db.dsn)
    try:
        fields = [int(r["id"]) for r in await connection.fetch("SELECT id FROM fields ORDER BY id")]
        subjects = [f"student-{n}" for n in range(1, plan.subscribers + 1)]
        rows = await connection.fetch(
            "SELECT subject, name, email FROM users WHERE subject = ANY($1::varchar[])", subjects
        )
        people = {
            r["subject"]: Person(r["subject"], r["name"], r["email"], Role.STUDENT) for r in rows
        }
        # Mentors with room and a recent request waiting (not about to expire), from the far end
        # of the list so that the burst's mentors are left alone.
        mentors = await connection.fetch(
            """SELECT DISTINCT ON (m.id) m.id, r.id AS request, u.subject, u.name, u.email
               FROM mentor_profiles m JOIN users u ON u.id = m.user_id
               JOIN requests r ON r.mentor_id = m.id AND r.status = 'PENDING'
               WHERE m.programme_id = $1 AND m.status = 'PUBLISHED'
                 AND m.accepted_count < m.capacity
                 AND r.created_at > now() - interval '24 hours'
               ORDER BY m.id DESC, r.id LIMIT $2""",
            db.programme_id,
            plan.fanout_events,
        )
        chosen = [r["id"] for r in mentors]
        languages: dict[int, set[str]] = {}
        for r in await connection.fetch(
            "SELECT mentor_id, language_code FROM mentor_languages WHERE mentor_id = ANY($1)",
            chosen,
        ):
            languages.setdefault(r["mentor_id"], set()).add(r["language_code"])
        levels: dict[int, set[str]] = {}
        for r in await connection.fetch(
            "SELECT mentor_id, degree_level FROM mentor_degree_levels WHERE mentor_id = ANY($1)",
            chosen,
        ):
            levels.setdefault(r["mentor_id"], set()).add(r["degree_level"])
        mentor_fields: dict[int, set[str]] = {}
        for r in await connection.fetch(
            "SELECT mentor_id, field_id FROM mentor_fields WHERE mentor_id = ANY($1)", chosen
        ):
            mentor_fields.setdefault(r["mentor_id"], set()).add(
                str(ids.encode("Field", r["field_id"]))
            )
    finally:
        await connection.close()
    pick = rng("fanout")
    return Setup(
        subscribers=[
            subs.Subscriber(i, people[s].token(settings), _filter(i, fields, pick))
            for i, s in enumerate(subjects)
            if s in people
        ],
        mentors=[
            FanoutMentor(
                MentorFacts(
                    r["id"],
                    str(ids.encode("Mentor", r["id"])),
                    frozenset(languages.get(r["id"], ())),
                    frozenset(levels.get(r["id"], ())),
                    frozenset(mentor_fields.get(r["id"], ())),
                ),
                Person(r["subject"], r["name"], r["email"], Role.MENTOR).token(settings),
                str(ids.encode("MentorRequest", r["request"])),
            )
            for r in mentors
        ],
    )


def _mentor_key(message: dict[str, Any]) -> int | None:
    data = ((message.get("payload") or {}).get("data") or {}).get("mentorAvailabilityChanged")
    if not data:
        return None
    raw = str(data["mentorId"])
    try:
        return int(raw)
    except ValueError:
        return int(base64.b64decode(raw).decode().partition(":")[2])


async def _drive(
    server: Server,
    setup: Setup,
    plan: Plan,
    payloads: dict[int, dict[str, Any]] | None,
    fleet: subs.Fleet,
    progress: Progress,
    expected_messages: int,
    dsn: str,
) -> tuple[dict[int, float], dict[int, float], int]:
    """Sends the events at a steady rate. Returns when each was sent and (Mentori) committed,
    by mentor id, and how many mutations failed."""
    task = progress.add_task("fan-out: events", total=len(setup.mentors))
    sent: dict[int, float] = {}
    committed: dict[int, float] = {}
    failed: list[str] = []
    pool = GraphQLPool("127.0.0.1", server.port, 8)
    listener = await asyncpg.connect(dsn)

    def on_commit(connection: object, pid: int, channel: str, text: str) -> None:
        kind, _, mentor = text.partition(" ")
        if kind == "MENTOR_AVAILABILITY_CHANGED" and mentor:
            committed.setdefault(int(mentor), time.time())

    if payloads is None:
        await listener.execute(COMMIT_TRIGGER)
        await listener.add_listener("bench_event_committed", on_commit)

    async def accept(mentor: FanoutMentor) -> None:
        sent[mentor.facts.id] = time.time()
        outcome = await pool.call(ACCEPT, {"id": mentor.request}, mentor.token)
        if outcome.code != "ok":
            failed.append(outcome.code)
            sent.pop(mentor.facts.id, None)
        progress.advance(task)

    async def publish(mentor: FanoutMentor) -> None:
        assert payloads is not None
        body = json.dumps({"mentor": mentor.facts.as_json(), "data": payloads[mentor.facts.id]})
        request = urllib.request.Request(
            f"{server.http}/publish",
            data=body.encode(),
            headers={"content-type": "application/json"},
        )
        sent[mentor.facts.id] = time.time()
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=30)
        progress.advance(task)

    started = time.monotonic()
    tasks = []
    for k, mentor in enumerate(setup.mentors):
        if payloads is not None and mentor.facts.id not in payloads:
            continue  # Mentori never sent it: nothing to copy
        await asyncio.sleep(max(0.0, started + k / plan.fanout_rate - time.monotonic()))
        fleet.poll()
        tasks.append(asyncio.create_task(accept(mentor) if payloads is None else publish(mentor)))
    await asyncio.gather(*tasks)
    pool.close()
    deadline = time.monotonic() + DELIVERY_GRACE_SECONDS
    while sum(fleet.received) < expected_messages and time.monotonic() < deadline:
        fleet.poll()
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    if payloads is None:
        await listener.execute(DROP_TRIGGER)
    await listener.close()
    return sent, committed, len(failed)


def _round(
    name: str,
    server: Server,
    dsn: str,
    setup: Setup,
    plan: Plan,
    progress: Progress,
    payloads: dict[int, dict[str, Any]] | None,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]], list[float]]:
    expected = {
        m.facts.id: {s.index for s in setup.subscribers if matches(s.filter, m.facts)}
        for m in setup.mentors
    }
    rss_before = server.rss_kib()
    fleet = subs.Fleet(f"{server.ws}/graphql", setup.subscribers, plan.subscriber_processes)
    fleet.start()
    connecting = progress.add_task(f"fan-out: {name} subscribers", total=len(setup.subscribers))
    began = time.monotonic()
    # Memory per subscriber is the growth while the last 90% connect: the first ones pay what
    # a server sets up once (database pool, caches), which no further subscriber costs.
    warm_count = max(1, len(setup.subscribers) // 10)
    warm: dict[str, int] = {}

    def connected_so_far(n: int) -> None:
        progress.update(connecting, completed=n)
        if not warm and n >= warm_count:
            warm.update(count=n, rss=server.rss_kib())

    fleet.wait_ready(connected_so_far)
    connect_seconds = time.monotonic() - began
    time.sleep(SETTLE_SECONDS)
    rss_after = server.rss_kib()
    connected = sum(fleet.connected)
    total_expected = sum(len(v) for v in expected.values())
    sent, committed, driver_failures = asyncio.run(
        _drive(server, setup, plan, payloads, fleet, progress, total_expected, dsn)
    )
    # Mentori: from each event's commit. Baseline (no database): from its publish being sent.
    start = committed if payloads is None else sent
    from_sent: list[float] = []
    results = fleet.stop()
    arrivals = [a for r in results for a in r.arrivals]
    refused = [x for r in results for x in r.refused]
    seen: dict[tuple[int, int], float] = {}
    observed: dict[int, dict[str, Any]] = {}
    unexpected = duplicates = errors = other = 0
    for arrival in arrivals:
        message = arrival.message
        if message.get("type") != "next" or (message.get("payload") or {}).get("errors"):
            errors += message.get("type") not in ("pong", "ping", "complete")
            continue
        mentor = _mentor_key(message)
        if mentor is None or mentor not in sent:
            other += 1
            continue
        observed.setdefault(mentor, message["payload"]["data"]["mentorAvailabilityChanged"])
        if arrival.subscriber not in expected[mentor]:
            unexpected += 1
        elif (mentor, arrival.subscriber) in seen:
            duplicates += 1
        elif mentor in start:
            seen[(mentor, arrival.subscriber)] = arrival.at - start[mentor]
            from_sent.append(arrival.at - sent[mentor])
    wanted = sum(len(expected[m]) for m in sent if m in start)
    latencies = list(seen.values())
    per_event = [
        max(seen[(m, s)] for s in expected[m])
        for m in start
        if m in sent and expected[m] and all((m, s) in seen for s in expected[m])
    ]
    figures = {
        "subscribers": connected,
        "refused": len(refused),
        "refused_sample": refused[:3],
        "connect_seconds": round(connect_seconds, 1),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_warm_kib": warm.get("rss", rss_before),
        "warm_subscribers": warm.get("count", 0),
        "kib_per_subscriber": round(
            (rss_after - warm.get("rss", rss_before)) / max(connected - warm.get("count", 0), 1), 2
        ),
        "kib_per_subscriber_with_setup": round((rss_after - rss_before) / max(connected, 1), 2),
        "events": len(sent),
        "events_without_commit_time": len(set(sent) - set(start)),
        "driver_failures": driver_failures,
        "deliveries_expected": wanted,
        "deliveries": len(seen),
        "delivered_share": round(len(seen) / wanted, 5) if wanted else 0.0,
        "unexpected": unexpected,
        "duplicates": duplicates,
        "errors": errors,
        "other_events": other,
        **latency_summary(latencies),
        "per_event_all_delivered": latency_summary(per_event),
        "from_mutation_sent": latency_summary(from_sent),
    }
    return figures, observed, latencies


def run(
    plan: Plan,
    mentori: Server,
    baseline: Server,
    db: BenchDatabase,
    settings: Settings,
    progress: Progress,
) -> dict[str, Any]:
    setup = asyncio.run(_setup(db, settings, plan))
    mentori_figures, payloads, mentori_samples = _round(
        "mentori", mentori, db.dsn, setup, plan, progress, None
    )
    baseline_figures, _, baseline_samples = _round(
        "baseline", baseline, db.dsn, setup, plan, progress, payloads
    )
    p99_ratio = ratio(mentori_figures.get("p99_ms", 0), baseline_figures.get("p99_ms", 0))
    met = (
        mentori_figures["delivered_share"] == 1.0
        and mentori_figures["unexpected"] == 0
        and mentori_figures.get("p99_ms", 1e9) < 250
        and mentori_figures["kib_per_subscriber"] * 1.024 < 30
        and p99_ratio <= 3
    )
    return {
        "mentori": mentori_figures,
        "baseline": baseline_figures,
        "p99_ratio": p99_ratio,
        "goal": "100% delivered, p99 < 250 ms, < 30 KB per subscriber, p99 within 3x baseline",
        "met": met,
        "_samples": {"mentori": mentori_samples, "baseline": baseline_samples},
    }
