"""The migrations are the only way a database gets its tables: they must build exactly what the
models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import column, insert, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.migrate import alembic_config, upgrade
from db.models import (
    Base,
    Field,
    Language,
    MentorField,
    MentorLanguage,
    MentorProfile,
    Programme,
    Role,
    User,
    UTCDateTime,
)
from services.users import Identity, sign_in_as
from tests.databases import fresh_database
from tests.db.rows import insert_row


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_database_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_people_erased_before_the_token_cutoff_upgrade_unchanged(
    backend: str, tmp_path: Path
) -> None:
    """The migration that refuses an erased person's old tokens meets a database with people
    in it, some erased already (their subject gone: nothing to refuse them by)."""
    async with fresh_database(backend, tmp_path, purpose="upgrade", migrated=False) as (_, engine):
        script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
        before = script.get_revision("0004").down_revision
        assert isinstance(before, str)
        await upgrade(engine, before)
        now = datetime(2026, 1, 22, 10, 0, tzinfo=UTC)
        users = table(
            "users",
            column("subject"),
            column("role"),
            column("name"),
            column("email"),
            column("created_at", UTCDateTime()),
            column("erased_at", UTCDateTime()),
        )
        async with engine.begin() as connection:
            await connection.execute(
                insert(users),
                [
                    {
                        "subject": "student-1",
                        "role": "STUDENT",
                        "name": "Aino Virtanen",
                        "email": "aino@example.edu",
                        "created_at": now,
                        "erased_at": None,
                    },
                    {
                        "subject": "erased:2",
                        "role": "MENTOR",
                        "name": "Erased person",
                        "email": "",
                        "created_at": now,
                        "erased_at": now,
                    },
                ],
            )

        await upgrade(engine)

        async with create_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(User).order_by(User.subject))).all()
            assert [(u.subject, u.erased_at, u.erased_subject_digest) for u in rows] == [
                ("erased:2", now, None),
                ("student-1", None, None),
            ]
            identity = Identity(
                subject="student-1",
                name="Aino Virtanen",
                email="aino@example.edu",
                email_verified=False,
                roles=frozenset({Role.STUDENT}),
                source="token",
                issued_at=now,
            )
            viewer = await sign_in_as(session, identity, now=now)
            assert viewer.user_id == rows[1].id


async def test_the_catalogue_migration_keeps_what_a_programme_uses_and_adds_the_rest(
    backend: str, tmp_path: Path
) -> None:
    """A database that has run a programme meets the migration that ships the catalogue: its
    languages keep their codes and names, its fields their ids, and its profiles their choices;
    the ISO 639-1 languages it lacks are added, and no example field joins a university's own."""
    async with fresh_database(backend, tmp_path, purpose="upgrade", migrated=False) as (_, engine):
        await upgrade(engine, "0004")
        now = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
        languages = table("languages", column("code"), column("name"))
        fields = table("fields", column("id"), column("name"), column("school"))
        async with engine.begin() as connection:
            await connection.execute(
                insert(languages),
                [
                    {"code": "fi", "name": "Finnish"},
                    {"code": "en", "name": "English (international)"},
                    {"code": "smn", "name": "Inari Sami"},
                ],
            )
            await connection.execute(
                insert(fields),
                [
                    {"id": 7, "name": "Computer Science", "school": "School of Science"},
                    {"id": 9, "name": "Nordic Folk Music", "school": "Sibelius Academy"},
                ],
            )
        async with create_sessionmaker(engine)() as session:
            programme = Programme(name="Mentoring 2025", created_at=now, event_seq=0)
            user = User(
                subject="mentor-1",
                role=Role.MENTOR,
                name="Aino",
                email="a@example.fi",
                created_at=now,
            )
            session.add_all([programme, user])
            await session.flush()
            mentor_id = await insert_row(
                session,
                MentorProfile,
                programme_id=programme.id,
                user_id=user.id,
                display_name="Aino",
                contact_email="a@example.fi",
                created_at=now,
                updated_at=now,
            )
            session.add_all(
                [
                    *(MentorLanguage(mentor_id=mentor_id, language_code=c) for c in ("en", "smn")),
                    *(MentorField(mentor_id=mentor_id, field_id=i) for i in (7, 9)),
                ]
            )
            await session.commit()

        await upgrade(engine)

        async with create_sessionmaker(engine)() as session:
            named = {row.code: row for row in await session.scalars(select(Language))}
            assert len(named) == 184 + 1  # every ISO 639-1 language, and Inari Sami
            assert (named["en"].name, named["smn"].name) == (
                "English (international)",
                "Inari Sami",
            )
            assert (named["sv"].name, named["zu"].name) == ("Swedish", "Zulu")
            assert all(language.retired_at is None for language in named.values())
            kept = await session.execute(select(Field.id, Field.name, Field.retired_at))
            assert sorted(kept) == [(7, "Computer Science", None), (9, "Nordic Folk Music", None)]
            chosen = await session.scalars(
                select(MentorLanguage.language_code).where(MentorLanguage.mentor_id == mentor_id)
            )
            assert sorted(chosen) == ["en", "smn"]
            chosen_fields = await session.scalars(
                select(MentorField.field_id).where(MentorField.mentor_id == mentor_id)
            )
            assert sorted(chosen_fields) == [7, 9]
