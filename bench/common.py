"""What every scenario needs: the seeded people, their tokens, GraphQL over HTTP."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from app.auth import issue_dev_token
from app.settings import Settings
from db.models import Role


@dataclass(frozen=True, slots=True)
class Person:
    subject: str
    name: str
    email: str
    role: Role

    def token(self, settings: Settings) -> str:
        # The name and email the seeded user row has, so sign-in never rewrites the row.
        return issue_dev_token(
            settings,
            subject=self.subject,
            role=self.role,
            name=self.name,
            email=self.email,
            now=datetime.now(UTC),
        )


async def people(
    connection: asyncpg.Connection, subjects: list[str], role: Role
) -> dict[str, Person]:
    rows = await connection.fetch(
        "SELECT subject, name, email FROM users WHERE subject = ANY($1::varchar[])", subjects
    )
    return {r["subject"]: Person(r["subject"], r["name"], r["email"], role) for r in rows}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


class GraphQLFailed(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(json.dumps(errors)[:500])
        self.errors = errors

    @property
    def code(self) -> str:
        return str((self.errors[0].get("extensions") or {}).get("code", ""))


async def graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(token)
    )
    body = response.json()
    if body.get("errors"):
        raise GraphQLFailed(body["errors"])
    data: dict[str, Any] = body["data"]
    return data


def rng(salt: str) -> random.Random:
    return random.Random(f"mentori-bench-{salt}")
