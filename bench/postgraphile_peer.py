"""PostGraphile, the search's second peer: installed by `npm ci` into bench/postgraphile/ (as
`make bench` does), served by bench/postgraphile/server.js, the search a SQL function that
bench/postgraphile/search.sql adds to the bench's working copy of the database."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import asyncpg
from strawberry import relay

from schema import ids

FOLDER = Path(__file__).resolve().parent / "postgraphile"
INSTALL = "npm ci --prefix bench/postgraphile"
# Mentori's search (bench/search.py's QUERY) as a PostGraphile client would write it.
QUERY = """query Search($languages: [String], $degreeLevel: String, $fieldIds: [Int]) {
  searchMentors(languages: $languages, degreeLevel: $degreeLevel, fieldIds: $fieldIds,
                first: 20) {
    totalCount
    edges { node { id: nodeId displayName headline availability
      mentorLanguagesByMentorId { nodes { languageByLanguageCode { code name } } }
      mentorFieldsByMentorId { nodes { fieldByFieldId { id: nodeId name } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def pinned() -> str:
    manifest = json.loads((FOLDER / "package.json").read_text())
    return str(manifest["dependencies"]["postgraphile"])


def installed() -> bool:
    """Node is here and `npm ci` installed the pinned PostGraphile."""
    try:
        manifest = json.loads(
            (FOLDER / "node_modules" / "postgraphile" / "package.json").read_text()
        )
    except (OSError, ValueError):
        return False
    return shutil.which("node") is not None and manifest.get("version") == pinned()


async def create_search(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute((FOLDER / "search.sql").read_text())
    finally:
        await connection.close()


def body(mentori_filter: dict[str, Any]) -> bytes:
    """The request for the same search as Mentori's filter (whose fields are global ids)."""
    variables = {
        "languages": mentori_filter.get("languages"),
        "degreeLevel": mentori_filter.get("degreeLevel"),
        "fieldIds": [ids.decode(f, "Field") for f in mentori_filter.get("fields") or ()],
    }
    return json.dumps({"query": QUERY, "variables": variables}).encode()


def answer(response: dict[str, Any]) -> tuple[int, list[int]]:
    """PostGraphile's total and the mentors' row ids (its node ids are base64 of
    `["mentor_profiles", id]`)."""
    found = response["data"]["searchMentors"]
    rows = [json.loads(base64.b64decode(e["node"]["id"])) for e in found["edges"]]
    return int(found["totalCount"]), [int(row[1]) for row in rows]


def mentori_answer(response: dict[str, Any]) -> tuple[int, list[int]]:
    """Mentori's total and the mentors' row ids (from its Relay global ids)."""
    found = response["data"]["mentors"]
    nodes = [relay.GlobalID.from_id(e["node"]["id"]) for e in found["edges"]]
    return int(found["totalCount"]), [int(node.node_id) for node in nodes]
