"""Scenario 1, search: a student's filtered search over HTTP from a separate process, against
Mentori, the bare baseline and PostGraphile (when installed), alternating so that background
noise hits all alike."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

import asyncpg
from rich.progress import Progress

from app.settings import Settings
from bench import httpload, postgraphile_peer
from bench.common import bearer, people, rng
from bench.plan import Plan
from bench.processes import run_processes
from bench.servers import DatabaseCpu, Server
from bench.stats import latency_summary, ratio
from db.models import Role
from schema import ids

QUERY = """query Search($filter: MentorFilter!) {
  mentors(filter: $filter, first: 20) {
    totalCount
    edges { node { id displayName headline availability
                   languages { code name } fields { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LANGUAGES = ("en", "fi", "sv", "de", "fr", "zh", "es", "ru")
ROUNDS = 2
CHECKED = 16  # searches asked of Mentori and PostGraphile alike before measuring


async def field_ids(dsn: str) -> list[int]:
    connection = await asyncpg.connect(dsn)
    try:
        return [int(r["id"]) for r in await connection.fetch("SELECT id FROM fields ORDER BY id")]
    finally:
        await connection.close()


async def search_filters(dsn: str, count: int) -> list[dict[str, Any]]:
    fields = await field_ids(dsn)
    pick = rng("search")
    return [
        {
            "languages": [pick.choice(LANGUAGES)],
            "degreeLevel": pick.choice(("MASTERS", "MASTERS", "DOCTORAL")),
            "fields": [
                str(ids.encode("Field", f)) for f in pick.sample(fields, pick.choice((1, 2)))
            ],
        }
        for _ in range(count)
    ]


async def student_tokens(dsn: str, settings: Settings, count: int) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        subjects = [f"student-{n}" for n in range(1, count + 1)]
        found = await people(connection, subjects, Role.STUDENT)
    finally:
        await connection.close()
    return [found[s].token(settings) for s in subjects]


def _cpu_per_request(cpu: float, runs: list[httpload.LoadResult], plan: Plan) -> float:
    # The CPU was spent on warm-up requests too: count them at the measured rate.
    measured = sum(len(r.latencies) + r.failures for r in runs)
    seconds = sum(r.elapsed for r in runs)
    served = measured * (seconds + plan.search_warmup * len(runs)) / seconds
    return round(1000 * cpu / served, 3) if served else 0.0


def _post(server: Server, path: str, body: bytes, token: str) -> Any:
    request = urllib.request.Request(
        server.http + path,
        data=body,
        headers={"content-type": "application/json", **bearer(token)},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _spec(
    server: Server, path: str, plan: Plan, bodies: list[bytes], tokens: list[str], seconds: float
) -> httpload.LoadSpec:
    calls = []
    for client in range(plan.search_clients):
        headers = (("Authorization", f"Bearer {tokens[client % len(tokens)]}"),)
        rotated = bodies[client:] + bodies[:client]
        calls.append([httpload.Call(path, body, headers) for body in rotated])
    return httpload.LoadSpec(
        host="127.0.0.1",
        port=server.port,
        calls=calls,
        seconds=seconds,
        warmup=plan.search_warmup,
    )


@dataclass(frozen=True, slots=True)
class Searches:
    """The same searches for every server: Mentori's requests (the baseline takes them too),
    PostGraphile's, and the students' tokens."""

    mentori: list[bytes]
    postgraphile: list[bytes]
    tokens: list[str]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    server: Server
    path: str
    bodies: list[bytes]


def searches(filters: list[dict[str, Any]], tokens: list[str]) -> Searches:
    return Searches(
        mentori=[
            json.dumps({"query": QUERY, "variables": {"filter": f}}).encode() for f in filters
        ],
        postgraphile=[postgraphile_peer.body(f) for f in filters],
        tokens=tokens,
    )


async def prepare(dsn: str, settings: Settings, plan: Plan) -> Searches:
    return searches(
        await search_filters(dsn, 64),
        await student_tokens(dsn, settings, min(plan.search_clients, 64)),
    )


def same_answers(
    mentori: Server, postgraphile: Server, asked: Searches, count: int = CHECKED
) -> dict[str, Any]:
    """The first `count` searches asked of both: the same total and the same mentors in the
    same order, or the comparison means nothing."""
    token = asked.tokens[0]
    totals, differing = [], []
    for index, (ours, theirs) in enumerate(
        zip(asked.mentori[:count], asked.postgraphile[:count], strict=True)
    ):
        mentori_found = postgraphile_peer.mentori_answer(_post(mentori, "/graphql", ours, token))
        peer_found = postgraphile_peer.answer(_post(postgraphile, "/graphql", theirs, token))
        totals.append(mentori_found[0])
        if mentori_found != peer_found:
            differing.append(
                {"search": index, "mentori": mentori_found, "postgraphile": peer_found}
            )
    return {
        "searches": len(totals),
        "totals": totals,
        "same": not differing,
        "differing": differing,
    }


def run(
    plan: Plan,
    mentori: Server,
    baseline: Server,
    postgraphile: Server | None,
    asked: Searches,
    progress: Progress,
    *,
    database: str,
) -> dict[str, Any]:
    tokens = asked.tokens
    # The same answer from all, or the comparison means nothing.
    same = _post(mentori, "/graphql", asked.mentori[0], tokens[0]) == _post(
        baseline, "/search", asked.mentori[0], tokens[0]
    )
    targets = [
        Target("mentori", mentori, "/graphql", asked.mentori),
        Target("baseline", baseline, "/search", asked.mentori),
    ]
    checked = None
    if postgraphile is not None:
        checked = same_answers(mentori, postgraphile, asked)
        targets.append(Target("postgraphile", postgraphile, "/graphql", asked.postgraphile))
    seconds = plan.search_seconds / ROUNDS
    results: dict[str, list[httpload.LoadResult]] = {t.name: [] for t in targets}
    cpu = dict.fromkeys(results, 0.0)
    database_cpu = dict.fromkeys(results, 0.0)
    backends = dict.fromkeys(results, 0)
    for round_ in range(ROUNDS):
        for target in targets if round_ % 2 == 0 else targets[::-1]:
            spec = _spec(target.server, target.path, plan, target.bodies, tokens, seconds)
            cpu_before = target.server.cpu_seconds()
            with DatabaseCpu(database) as database_use:
                (result,) = run_processes(
                    httpload.process_main,
                    [spec],
                    description=f"search: {target.name} ({plan.search_clients} clients)",
                    total=None,
                    progress=progress,
                )
            results[target.name].append(result)
            # Includes the warm-up and the process start-up: an upper bound per request.
            cpu[target.name] += target.server.cpu_seconds() - cpu_before
            database_cpu[target.name] += database_use.seconds
            backends[target.name] = max(backends[target.name], database_use.backends)
    figures: dict[str, Any] = {"same_response": same, "clients": plan.search_clients}
    samples: dict[str, list[float]] = {}
    for name, runs in results.items():
        latencies = [x for r in runs for x in r.latencies]
        elapsed = sum(r.elapsed for r in runs)
        samples[name] = latencies
        figures[name] = {
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "failures": sum(r.failures for r in runs),
            "server_cpu_ms_per_request": _cpu_per_request(cpu[name], runs, plan),
            # PostgreSQL's backends for this server (PostGraphile leaves more of the work there).
            "database_cpu_ms_per_request": _cpu_per_request(database_cpu[name], runs, plan),
            "database_backends": backends[name],
            "failure_sample": next((r.failure_sample for r in runs if r.failure_sample), ""),
            "response_bytes": round(sum(r.bytes_received for r in runs) / max(len(latencies), 1)),
            **latency_summary(latencies),
        }
    ours = figures["mentori"]
    figures["throughput_ratio"] = ratio(
        ours["requests_per_second"], figures["baseline"]["requests_per_second"]
    )
    figures["cpu_ratio"] = ratio(
        ours["server_cpu_ms_per_request"], figures["baseline"]["server_cpu_ms_per_request"]
    )
    figures["goal"] = "Mentori >= 50% of the baseline's requests/s"
    figures["met"] = figures["throughput_ratio"] >= 0.5 and ours["failures"] == 0
    figures["against_postgraphile"] = (
        {"skipped": f"PostGraphile is not installed ({postgraphile_peer.INSTALL})"}
        if checked is None
        else _against(figures, checked)
    )
    figures["_samples"] = samples
    return figures


def _against(figures: dict[str, Any], checked: dict[str, Any]) -> dict[str, Any]:
    ours, theirs = figures["mentori"], figures["postgraphile"]
    throughput = ratio(ours["requests_per_second"], theirs["requests_per_second"])
    cpu = ratio(ours["server_cpu_ms_per_request"], theirs["server_cpu_ms_per_request"])
    return {
        "version": postgraphile_peer.pinned(),
        "same_answers": checked,
        "throughput_ratio": throughput,
        "cpu_ratio": cpu,
        "database_cpu_ratio": ratio(
            ours["database_cpu_ms_per_request"], theirs["database_cpu_ms_per_request"]
        ),
        "goal": "Mentori's requests/s >= PostGraphile's; server CPU per search <= 2x its",
        "met": bool(
            checked["same"]
            and throughput >= 1.0
            and cpu <= 2.0
            and ours["failures"] == 0
            and theirs["failures"] == 0
        ),
    }
