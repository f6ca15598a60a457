"""`python -m bench.profile`: py-spy samples the Mentori server while the search load runs,
then prints where the time goes (own time and inclusive time per function).

    .venv/bin/python -m bench.profile --quick --seconds 15 --out /tmp/search.txt
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from app.settings import Settings
from bench import database, httpload, search, servers
from bench.plan import FULL, QUICK
from bench.processes import progress_bar, run_processes


def summarise(collapsed: Path, top: int = 40) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples", "", "own time:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--out", type=Path, default=None, help="write the summary here too")
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    plan = QUICK if args.quick else FULL
    servers.raise_open_file_limit()
    db = asyncio.run(database.prepare(args.postgres, mentors=plan.mentors, students=plan.students))
    settings = Settings(database_url=db.url)
    searches = asyncio.run(search.prepare(db.dsn, settings, plan))
    with servers.mentori(db.url) as mentori, tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "profile.txt"
        spec = httpload.LoadSpec(
            host="127.0.0.1",
            port=mentori.port,
            calls=search._spec(
                mentori, "/graphql", plan, searches.mentori, searches.tokens, 1
            ).calls,
            seconds=args.seconds,
            warmup=2.0,
        )
        recorder = subprocess.Popen(
            [
                spy,
                "record",
                "-p",
                str(mentori.pid),
                "-o",
                str(raw),
                "--format",
                "raw",
                "-d",
                str(int(args.seconds) + 2),
                "-r",
                "200",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with progress_bar() as progress:
            (result,) = run_processes(
                httpload.process_main,
                [spec],
                description="search load",
                total=None,
                progress=progress,
            )
        recorder.wait()
        if args.out:
            shutil.copy(raw, args.out.with_suffix(".collapsed"))
        rate = len(result.latencies) / result.elapsed
        text = f"{rate:.1f} requests/s, failures {result.failures}\n" + summarise(raw)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
