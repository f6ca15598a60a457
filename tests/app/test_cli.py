"""The command line as a person runs it: a real process, in a folder of its own."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import factories as f
from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import fresh_database
from tests.servers import running_server

MIGRATE_FIRST = "run `mentori migrate`"


def mentori(cwd: Path, *args: str, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ENV")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("where", ["default", "a fresh path"])
def test_a_token_from_a_database_that_is_not_migrated_says_to_migrate(
    tmp_path: Path, where: str
) -> None:
    url = None if where == "default" else f"sqlite+aiosqlite:///{tmp_path}/data/mentori.db"
    done = mentori(tmp_path, "token", "student", database_url=url)
    assert done.returncode != 0
    assert MIGRATE_FIRST in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == [], "nothing is left behind"


def test_a_token_from_an_empty_database_file_says_to_migrate(tmp_path: Path) -> None:
    (tmp_path / "mentori.db").touch()
    done = mentori(
        tmp_path, "token", "coordinator", database_url=f"sqlite+aiosqlite:///{tmp_path}/mentori.db"
    )
    assert done.returncode != 0
    assert MIGRATE_FIRST in done.stderr
    assert "Traceback" not in done.stderr


def test_a_token_from_a_migrated_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/mentori.db"
    assert mentori(tmp_path, "migrate", database_url=url).returncode == 0
    done = mentori(tmp_path, "token", "mentor", database_url=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".") == 2  # a JWT: header.claims.signature


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_after_migrate_alone_a_mentor_can_sign_up(backend: str, tmp_path: Path) -> None:
    """A real deployment: `mentori migrate`, no demo data, and the catalogue is there."""
    async with fresh_database(backend, tmp_path, purpose="cli", migrated=False) as (url, _):
        done = mentori(tmp_path, "migrate", database_url=url)
        assert done.returncode == 0, done.stderr
        settings = server_settings(url, tmp_path / "mail")
        async with (
            running_server(settings, FakeClock(START)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        ):
            api = Api(server=server, client=client)
            await f.programme(api)
            _, mentor_id = await f.mentor(
                api, languages=["fi", "en"], fields=["Computer Science", "Finance"]
            )
            student = await f.student(api, languages=["fi"], field="Mathematics")
            found = await api.ok(
                '{ mentors(filter: {languages: ["fi"]}) { edges { node { id } } } }', as_=student
            )
            assert [e["node"]["id"] for e in found["mentors"]["edges"]] == [mentor_id]
            offered = await api.ok("{ languages { code name } }", as_=student)
            assert len(offered["languages"]) == 184
            assert {"code": "sv", "name": "Swedish"} in offered["languages"]


FIELDS_FILE = """school,field
School of Science,Computer Science
School of Science,Quantum Engineering
School of Business,Data Science
"""


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/mentori.db"
    assert mentori(tmp_path, "migrate", database_url=url).returncode == 0
    return url


def _export(tmp_path: Path, url: str) -> str:
    done = mentori(tmp_path, "catalogue", "export", database_url=url)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_catalogue_load_adds_moves_and_renames_and_says_how_many(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    (tmp_path / "fields.csv").write_text(FIELDS_FILE)
    (tmp_path / "languages.csv").write_text("code;name\nsmn;Inari Sami\nfi;Finnish\n")
    done = mentori(
        tmp_path,
        *("catalogue", "load", "fields.csv", "--languages", "languages.csv"),
        database_url=url,
    )
    assert done.returncode == 0, done.stderr
    assert "Added field 'Quantum Engineering' (School of Science)" in done.stdout
    assert "moved from School of Science to School of Business" in done.stdout
    assert "Fields: 1 added, 1 changed, 1 unchanged." in done.stdout
    assert "Languages: 1 added, 0 changed, 1 unchanged." in done.stdout

    # A rename by id, from the export a university edits.
    exported = list(csv.DictReader(io.StringIO(_export(tmp_path, url))))
    media = next(row for row in exported if row["field"] == "Media")
    (tmp_path / "renames.csv").write_text(
        f'id,school,field\n{media["id"]},"{media["school"]}",Media and Journalism\n'
    )
    done = mentori(tmp_path, "catalogue", "load", "renames.csv", database_url=url)
    assert done.returncode == 0, done.stderr
    assert f"Field {media['id']}: renamed 'Media' -> 'Media and Journalism'" in done.stdout
    assert "Fields: 0 added, 1 changed, 0 unchanged." in done.stdout
    after = {row["id"]: row["field"] for row in csv.DictReader(io.StringIO(_export(tmp_path, url)))}
    assert after[media["id"]] == "Media and Journalism"
    assert len(after) == len(exported)  # renamed, not added


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (FIELDS_FILE + "School of Arts,\n", "line 5: The field name cannot be empty."),
        (FIELDS_FILE + "School of Arts,Design,extra\n", "line 5: 3 values where the first"),
        (
            FIELDS_FILE + "School of Arts,Quantum engineering\n",
            "line 5: The field 'Quantum engineering' is on line 3 already.",
        ),
        ("school,subject\nSchool of Arts,Design\n", "line 1: Unknown column 'subject'"),
        ("id,school,field\n999,School of Arts,Design\n", "line 2: No field has the id 999."),
    ],
)
def test_a_malformed_catalogue_file_is_refused_and_changes_nothing(
    tmp_path: Path, content: str, says: str
) -> None:
    url = _migrated(tmp_path)
    before = _export(tmp_path, url)
    (tmp_path / "fields.csv").write_text(content)
    done = mentori(tmp_path, "catalogue", "load", "fields.csv", database_url=url)
    assert done.returncode == 1
    assert f"fields.csv: {says}" in done.stderr, done.stderr
    assert "Nothing was changed." in done.stderr
    assert "Traceback" not in done.stderr
    assert _export(tmp_path, url) == before


def test_a_mistake_late_in_a_load_undoes_what_came_before(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    (tmp_path / "languages.csv").write_text("code,name\nsmn,Inari Sami\n")
    (tmp_path / "clash.csv").write_text("code,name\nsms,Skolt Sami\nfi,English\n")
    done = mentori(tmp_path, "catalogue", "load", "--languages", "clash.csv", database_url=url)
    assert done.returncode == 1
    assert "clash.csv: line 3: The language en is called 'English' already." in done.stderr
    (tmp_path / "fields.csv").write_text(FIELDS_FILE + "School of Arts,\n")
    args = ("catalogue", "load", "fields.csv", "--languages", "languages.csv")
    assert mentori(tmp_path, *args, database_url=url).returncode == 1

    (tmp_path / "fields.csv").write_text(FIELDS_FILE)
    done = mentori(tmp_path, *args, database_url=url)
    assert done.returncode == 0, done.stderr
    assert "Languages: 1 added, 0 changed, 0 unchanged." in done.stdout
    assert "Fields: 1 added, 1 changed, 1 unchanged." in done.stdout
