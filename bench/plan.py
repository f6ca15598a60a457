"""How big each scenario is: the full run (`make bench`) and the quick one (`--quick`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    mentors: int
    students: int
    # Search: concurrent clients, measured seconds (after a warm-up) per server.
    search_clients: int
    search_seconds: float
    search_warmup: float
    # Request burst: students asking, mentors answering, seconds before the burst is cut off.
    burst_students: int
    burst_mentors: int
    burst_limit_seconds: float
    # Fan-out: idle WebSocket subscribers, availability changes at a steady rate.
    subscribers: int
    subscriber_processes: int
    fanout_events: int
    # Events per second: on two shared cores the bare baseline itself falls behind at 5/s with
    # 10,000 subscribers (a third of them matching each event), so the comparison says nothing.
    fanout_rate: float


FULL = Plan(
    name="full",
    mentors=10_000,
    students=50_000,
    search_clients=32,
    search_seconds=20.0,
    search_warmup=3.0,
    burst_students=2_000,
    burst_mentors=500,
    burst_limit_seconds=120.0,
    subscribers=10_000,
    subscriber_processes=2,
    fanout_events=60,
    fanout_rate=2.0,
)

QUICK = Plan(
    name="quick",
    mentors=1_000,
    students=5_000,
    search_clients=32,
    search_seconds=4.0,
    search_warmup=1.0,
    burst_students=300,
    burst_mentors=100,
    burst_limit_seconds=20.0,
    subscribers=1_000,
    subscriber_processes=1,
    fanout_events=16,
    fanout_rate=2.0,
)

TINY = Plan(
    name="tiny",
    mentors=60,
    students=200,
    search_clients=4,
    search_seconds=1.0,
    search_warmup=0.3,
    burst_students=20,
    burst_mentors=8,
    burst_limit_seconds=15.0,
    subscribers=20,
    subscriber_processes=1,
    fanout_events=5,
    fanout_rate=5.0,
)

PLANS = {plan.name: plan for plan in (FULL, QUICK, TINY)}
