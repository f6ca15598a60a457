"""mentori serve | migrate | seed | catalogue | token | schema | purge: the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path

from app.auth import issue_dev_token
from app.clock import system_clock
from app.settings import Settings
from db.models import Role

SHUTDOWN_SECONDS = 5  # how long SIGTERM waits for open connections before closing them


async def _migrate(settings: Settings) -> None:
    from db.engine import create_engine
    from db.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _seed(settings: Settings, *, mentors: int, students: int, only_if_empty: bool) -> None:
    from app import demo
    from db.demo import is_empty
    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            empty = await is_empty(session)
        if only_if_empty and not empty:
            print("The database already has a programme; demo data not loaded.")
            return
        summary = await demo.seed(
            sessions, mentors=mentors, students=students, now=system_clock(), progress=True
        )
        print(
            f"Demo programme {summary.programme_id}: {summary.mentors} mentors, "
            f"{summary.students} students, {summary.requests} requests, {summary.matches} matches."
        )
    finally:
        await engine.dispose()


async def _purge(settings: Settings, *, dry_run: bool) -> None:
    """Anonymise the personal data of every programme that ended more than the retention
    period ago (PERSONAL_DATA_RETENTION_DAYS); run it daily, e.g. from cron."""
    from db.engine import create_engine, create_sessionmaker
    from live.hub import EventHub
    from live.unit_of_work import UnitOfWork
    from services import purge

    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    hub = EventHub(settings, sessions)
    await hub.start()
    try:
        uow = UnitOfWork(sessions, hub)
        now = system_clock()
        days = settings.personal_data_retention_days
        due = await uow.read(lambda s: purge.due_for_purge(s, now=now, retention_days=days))
        if not due:
            print(f"No programme ended more than {days} days ago with personal data left.")
        for programme in due:
            if dry_run:
                print(f"Would purge {programme.name!r} (ended {purge.programme_end(programme)}).")
                continue
            await uow.run(partial(purge.purge, programme_id=programme.id, now=now))
            print(f"Purged {programme.name!r}: its people's personal data is anonymised.")
    finally:
        await hub.stop()
        await engine.dispose()


async def _load_catalogue(
    settings: Settings, *, fields_file: Path | None, languages_file: Path | None
) -> int:
    """Load the catalogue files in one transaction: a mistake anywhere changes nothing."""
    from db import catalogue as files
    from db.engine import create_engine, create_sessionmaker
    from services import catalogue_files
    from services.errors import DomainError

    jobs = [(p, k) for p, k in ((languages_file, "languages"), (fields_file, "fields")) if p]
    engine = create_engine(settings.database_url)
    reports: list[catalogue_files.Loaded] = []
    path: Path | None = None
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            for path, kind in jobs:
                if kind == "languages":
                    rows = files.read_file(path, required=files.LANGUAGE_COLUMNS)
                    reports.append(await catalogue_files.load_languages(session, rows))
                else:
                    rows = files.read_file(
                        path, required=files.FIELD_COLUMNS, optional=files.FIELD_OPTIONAL
                    )
                    reports.append(await catalogue_files.load_fields(session, rows))
    except (files.FileError, DomainError, OSError) as error:
        if isinstance(error, DomainError):
            message = error.message
        elif isinstance(error, OSError):
            message = error.strerror or str(error)
        else:
            message = str(error)
        print(f"{path}: {message}", file=sys.stderr)
        print("Nothing was changed.", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    for report in reports:
        for line in (*report.added, *report.changed):
            print(f"  {line}")
        print(report.summary())
    return 0


async def _export_fields(settings: Settings) -> str:
    from db.engine import create_engine, create_sessionmaker
    from services import catalogue_files

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await catalogue_files.export_fields(session)
    finally:
        await engine.dispose()


def _migrated(settings: Settings) -> bool:
    """Whether the database has Mentori's tables, asked without making anything: an SQLite
    file that is not there yet is not created (nor its folder)."""
    from sqlalchemy.engine import make_url

    from db.engine import is_sqlite

    path = make_url(settings.database_url).database
    if is_sqlite(settings.database_url) and path and path != ":memory:":
        return Path(path).is_file() and asyncio.run(_has_tables(settings))
    return asyncio.run(_has_tables(settings))


async def _has_tables(settings: Settings) -> bool:
    from sqlalchemy import inspect

    from db.engine import create_engine
    from db.models import User

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: inspect(sync).has_table(User.__tablename__)
            )
    finally:
        await engine.dispose()


async def dev_tokens(settings: Settings) -> dict[str, str]:
    """Tokens for the demo people, with the names and emails the demo data gave them."""
    from sqlalchemy import select

    from db.demo import DEMO_SUBJECTS
    from db.engine import create_engine, create_sessionmaker
    from db.models import User

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            users = {
                u.subject: u
                for u in await session.scalars(
                    select(User).where(User.subject.in_(DEMO_SUBJECTS.values()))
                )
            }
    finally:
        await engine.dispose()
    now = system_clock()
    return {
        role: issue_dev_token(
            settings,
            subject=subject,
            role=Role(role.upper()),
            name=users[subject].name,
            email=users[subject].email,
            now=now,
        )
        for role, subject in DEMO_SUBJECTS.items()
        if subject in users
    }


def _print_welcome(settings: Settings, host: str, port: int) -> None:
    default_url = Settings.model_fields["public_url"].default
    base = settings.public_url if settings.public_url != default_url else f"http://{host}:{port}"
    tokens = asyncio.run(dev_tokens(settings))
    if len(tokens) < 3:
        print("No demo people in this database: run `mentori seed`, or `mentori token ROLE`.")
        return
    print()
    print(f"Mentori is starting on {base}")
    print(f"  GraphiQL:            {base}/graphql")
    print(f"  Health / metrics:    {base}/healthz  {base}/metrics")
    print()
    print("Development tokens (send as 'Authorization: Bearer <token>'):")
    for role, token in tokens.items():
        print(f"  {role:<12} {token}")
    print()
    print("Pages, signed in:")
    print(f"  coordinator  {base}/dashboard#token={tokens['coordinator']}")
    print(f"  mentor       {base}/mentor#token={tokens['mentor']}")
    print(f"  student      {base}/browse#token={tokens['student']}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mentori", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--welcome", action="store_true", help="print URLs and dev tokens first")
    commands.add_parser("migrate", help="apply the database migrations")
    seed = commands.add_parser("seed", help="load demo data")
    seed.add_argument("--mentors", type=int, default=300)
    seed.add_argument("--students", type=int, default=900)
    seed.add_argument("--if-empty", action="store_true", help="only into an empty database")
    token = commands.add_parser("token", help="issue a development token")
    token.add_argument("role", choices=[r.value.lower() for r in Role])
    token.add_argument("--subject")
    token.add_argument("--name")
    token.add_argument("--email")
    token.add_argument("--hours", type=int)
    commands.add_parser("schema", help="print the GraphQL SDL")
    purge = commands.add_parser(
        "purge", help="anonymise programmes that ended more than the retention period ago"
    )
    purge.add_argument("--dry-run", action="store_true", help="only list what would be purged")
    catalogue = commands.add_parser(
        "catalogue", help="languages and fields of study: load them from CSV, or export them"
    ).add_subparsers(dest="action", required=True)
    load = catalogue.add_parser(
        "load", help="add and rename fields of study (columns: school,field[,id]) or languages"
    )
    load.add_argument("fields_file", nargs="?", type=Path, metavar="FIELDS.csv")
    load.add_argument("--languages", type=Path, metavar="LANGUAGES.csv", help="columns: code,name")
    catalogue.add_parser("export", help="print the fields of study as CSV, with their ids")
    args = parser.parse_args(argv)
    settings = Settings()

    match args.command:
        case "migrate":
            asyncio.run(_migrate(settings))
            print("Migrations applied.")
        case "seed":
            asyncio.run(
                _seed(
                    settings,
                    mentors=args.mentors,
                    students=args.students,
                    only_if_empty=args.if_empty,
                )
            )
        case "token":
            if settings.production:
                print("Development tokens are not issued in production.", file=sys.stderr)
                return 2
            if args.subject is None:
                if not _migrated(settings):
                    print(
                        "This database has no tables yet: run `mentori migrate` (and "
                        "`mentori seed` for the demo people), or give --subject.",
                        file=sys.stderr,
                    )
                    return 1
                demo = asyncio.run(dev_tokens(settings))
                if args.role in demo and args.hours is None:
                    print(demo[args.role])
                    return 0
            subject = args.subject or f"dev-{args.role}"
            print(
                issue_dev_token(
                    settings,
                    subject=subject,
                    role=Role(args.role.upper()),
                    name=args.name or subject,
                    email=args.email or f"{subject}@example.edu",
                    now=system_clock(),
                    lifetime=timedelta(hours=args.hours) if args.hours else None,
                )
            )
        case "purge":
            asyncio.run(_purge(settings, dry_run=args.dry_run))
        case "catalogue":
            if not _migrated(settings):
                print("This database has no tables yet: run `mentori migrate`.", file=sys.stderr)
                return 1
            if args.action == "export":
                sys.stdout.write(asyncio.run(_export_fields(settings)))
                return 0
            if args.fields_file is None and args.languages is None:
                load.error("give a fields file, --languages FILE, or both")
            return asyncio.run(
                _load_catalogue(
                    settings, fields_file=args.fields_file, languages_file=args.languages
                )
            )
        case "schema":
            from app.schema import sdl

            sys.stdout.write(sdl())
        case "serve":
            import uvicorn

            host, port = args.host or settings.host, args.port or settings.port
            if args.welcome and not settings.production:
                _print_welcome(settings, host, port)
            uvicorn.run(
                "app.main:create_app",
                factory=True,
                host=host,
                port=port,
                workers=args.workers,
                proxy_headers=True,
                log_level="info",
                # Live messages are a few hundred bytes: compression saves nothing on them and
                # costs ~40 KB of zlib state per idle connection; wsproto holds the least per
                # connection of uvicorn's WebSocket protocols (docs/performance.md).
                ws="wsproto",
                ws_per_message_deflate=False,
                ws_max_size=settings.max_request_bytes,  # closed with 1009 beyond
                # SIGTERM ends the server within seconds even with WebSockets open (a page
                # holds one for as long as it is open): they are closed, not waited for.
                timeout_graceful_shutdown=SHUTDOWN_SECONDS,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
