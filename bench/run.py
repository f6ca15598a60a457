"""`python -m bench [--quick]` (`make bench`): seed or reuse the bench database, start Mentori
and the baseline as uvicorn processes (and PostGraphile, for the search, when `npm ci` has
installed it), run the scenarios from separate load processes, print and save the results."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from app.settings import Settings
from bench import database, postgraphile_peer, report, search, servers
from bench.plan import FULL, PLANS, QUICK
from bench.processes import progress_bar

SCENARIOS = ("search", "burst", "fanout")
RESULTS = Path(__file__).resolve().parent / "results"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under two minutes")
    parser.add_argument("--plan", choices=sorted(PLANS), help="a named size (overrides --quick)")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated: {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
        help="the PostgreSQL server (any database in the URL is ignored)",
    )
    parser.add_argument(
        "--database",
        default=database.WORKING,
        help="the bench's own database (a fresh copy each run; its template is NAME_seed_M_S)",
    )
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "memory://"))
    parser.add_argument(
        "--server-tree",
        type=Path,
        default=servers.ROOT,
        help="run the Mentori server from this source tree (e.g. a `git archive` of HEAD)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    parser.add_argument("--label", default="", help="a note stored with the results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    plan = PLANS[args.plan] if args.plan else (QUICK if args.quick else FULL)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)  # `make bench | tee`: keep the table readable
    servers.raise_open_file_limit()
    started = time.perf_counter()
    load_before = os.getloadavg()
    console.print(
        f"[bold]Mentori bench[/] ({plan.name}): {plan.mentors:,} mentors, "
        f"{plan.students:,} students; scenarios: {', '.join(only)}"
    )
    db = asyncio.run(
        database.prepare(
            args.postgres, mentors=plan.mentors, students=plan.students, working=args.database
        )
    )
    console.print(
        f"database {'reused' if db.reused else 'seeded'} ({db.seed_seconds:.1f} s), "
        f"fresh copy {args.database}"
    )
    settings = Settings(database_url=db.url, broker_url=args.broker)
    peer = "search" in only and postgraphile_peer.installed()
    if peer:
        asyncio.run(postgraphile_peer.create_search(db.dsn))
    elif "search" in only:
        console.print(
            f"[yellow]PostGraphile is not installed[/] ({postgraphile_peer.INSTALL}, as "
            "`make bench` does): the search runs without it"
        )
    scenarios: dict[str, Any] = {}
    with (
        servers.mentori(db.url, broker_url=args.broker, tree=args.server_tree) as mentori,
        servers.baseline(db.dsn, db.programme_id) as baseline,
        progress_bar() as progress,
    ):
        if "search" in only:
            asked = asyncio.run(search.prepare(db.dsn, settings, plan))
            # Only for the search: its idle connections and heap would weigh on the others.
            with servers.postgraphile(db.dsn, settings) if peer else nullcontext() as postgraphile:
                scenarios["search"] = search.run(
                    plan, mentori, baseline, postgraphile, asked, progress, database=args.database
                )
        if "burst" in only:
            from bench import burst

            scenarios["burst"] = burst.run(plan, mentori, db, settings, progress)
        if "fanout" in only:
            from bench import fanout

            scenarios["fanout"] = fanout.run(plan, mentori, baseline, db, settings, progress)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan": plan.name,
        "label": args.label,
        "machine": report.machine(load_before),
        "database": {
            "mentors": plan.mentors,
            "students": plan.students,
            "reused": db.reused,
            "seed_seconds": round(db.seed_seconds, 1),
        },
        "scenarios": scenarios,
        "seconds": round(time.perf_counter() - started, 1),
    }
    report.show(console, results)
    paths = report.save(results, args.out)
    console.print("written: " + ", ".join(str(p) for p in paths))
    return results
