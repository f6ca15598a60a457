"""Scenario 1, search: a student's filtered search over HTTP from a separate process, against
Mentori and against the bare baseline, alternating so that background noise hits both alike."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import asyncpg
from rich.progress import Progress

from app.settings import Settings
from bench import httpload
from bench.common import bearer, people, rng
from bench.plan import Plan
from bench.processes import run_processes
from bench.servers import Server
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


async def search_filters(dsn: str, count: int) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(dsn)
    try:
        fields = [int(r["id"]) for r in await connection.fetch("SELECT id FROM fields ORDER BY id")]
    finally:
        await connection.close()
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


async def prepare(dsn: str, settings: Settings, plan: Plan) -> tuple[list[bytes], list[str]]:
    filters = await search_filters(dsn, 64)
    bodies = [json.dumps({"query": QUERY, "variables": {"filter": f}}).encode() for f in filters]
    return bodies, await student_tokens(dsn, settings, min(plan.search_clients, 64))


def run(
    plan: Plan,
    mentori: Server,
    baseline: Server,
    bodies: list[bytes],
    tokens: list[str],
    progress: Progress,
) -> dict[str, Any]:
    # The same answer from both, or the comparison means nothing.
    same = _post(mentori, "/graphql", bodies[0], tokens[0]) == _post(
        baseline, "/search", bodies[0], tokens[0]
    )
    seconds = plan.search_seconds / ROUNDS
    results: dict[str, list[httpload.LoadResult]] = {"mentori": [], "baseline": []}
    cpu: dict[str, float] = {"mentori": 0.0, "baseline": 0.0}
    order = [("mentori", mentori, "/graphql"), ("baseline", baseline, "/search")]
    for round_ in range(ROUNDS):
        for name, server, path in order if round_ % 2 == 0 else order[::-1]:
            spec = _spec(server, path, plan, bodies, tokens, seconds)
            cpu_before = server.cpu_seconds()
            (result,) = run_processes(
                httpload.process_main,
                [spec],
                description=f"search: {name} ({plan.search_clients} clients)",
                total=None,
                progress=progress,
            )
            results[name].append(result)
            # Includes the warm-up and the process start-up: an upper bound per request.
            cpu[name] += server.cpu_seconds() - cpu_before
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
            "failure_sample": next((r.failure_sample for r in runs if r.failure_sample), ""),
            "response_bytes": round(sum(r.bytes_received for r in runs) / max(len(latencies), 1)),
            **latency_summary(latencies),
        }
    figures["throughput_ratio"] = ratio(
        figures["mentori"]["requests_per_second"], figures["baseline"]["requests_per_second"]
    )
    figures["goal"] = "Mentori >= 50% of the baseline's requests/s"
    figures["met"] = figures["throughput_ratio"] >= 0.5 and figures["mentori"]["failures"] == 0
    figures["_samples"] = samples
    return figures
