"""Page sign-in sessions with two server processes behind one PostgreSQL and one Redis, as
behind a load balancer: a session signed out, or a person erased, on one process no longer
works on either, and its open WebSockets close on both at once."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import SignInSession
from tests.app.test_scale_out import server_process
from tests.clients import Api
from tests.databases import fresh_database
from tests.environment import need
from tests.identity_provider import (
    SESSION_SECRET,
    STUDENT,
    Providers,
    cookie_live_client,
    identity_providers,
    session_cookie,
    sign_in,
)
from tests.servers import free_port, process_environment

VIEWER = "{ viewer { name role } }"
ERASE_ME = "mutation { eraseMe { personId } }"
SIGNED_OUT = 4401


@asynccontextmanager
async def behind_one_address(
    tmp_path: Path,
) -> AsyncIterator[tuple[Api, Api, Providers, str, AsyncEngine]]:
    """Two server processes as deployed, sharing a database, Redis and their public address
    (a load balancer's, where the providers send people back and the pages come from)."""
    redis_url = need("Redis", "TEST_REDIS_URL")
    prefix = f"mentori-test-{uuid.uuid4().hex[:12]}."
    public_url = f"http://127.0.0.1:{free_port()}"
    async with (
        identity_providers() as providers,
        fresh_database("postgresql", purpose="sessions") as (url, engine),
    ):
        providers.expect(public_url)
        env = process_environment(url, redis_url, prefix, tmp_path / "mail")
        env |= {
            "PUBLIC_URL": public_url,
            "SESSION_SECRET": SESSION_SECRET,
            "OIDC_PROVIDERS": json.dumps([p.model_dump(mode="json") for p in providers.settings()]),
        }
        async with (
            server_process(env, tmp_path / "one.log") as one,
            server_process(env, tmp_path / "two.log") as two,
        ):
            yield one, two, providers, public_url, engine


async def as_cookie(server: Api, cookie: str) -> dict[str, Any]:
    """A query signed in by the cookie alone (a GET, as a page's reload sends it)."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            f"{server.server.url}/graphql",
            params={"query": VIEWER},
            headers={"cookie": f"mentori_session={cookie}"},
        )
    body: dict[str, Any] = response.json()
    return body


def refused(body: dict[str, Any]) -> bool:
    return [e["extensions"]["code"] for e in body.get("errors") or []] == ["UNAUTHENTICATED"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_signing_out_on_one_process_ends_the_session_on_every_process(
    tmp_path: Path,
) -> None:
    async with (
        behind_one_address(tmp_path) as (one, two, _, public_url, _),
        httpx.AsyncClient(base_url=one.server.url, timeout=30) as browser,
    ):
        assert (await sign_in(browser, via=one.server.url)).status_code == 303
        cookie = session_cookie(browser)
        for process in (one, two):  # each knows the person by the cookie, and remembers them
            assert (await as_cookie(process, cookie))["data"]["viewer"]["role"] == "COORDINATOR"
        async with (
            cookie_live_client(
                one.server.ws_url, cookie, origin_url=public_url, same_origin=True
            ) as on_one,
            cookie_live_client(
                two.server.ws_url, cookie, origin_url=public_url, same_origin=True
            ) as on_two,
        ):
            answer = await browser.post("/auth/logout", json={}, headers={"origin": public_url})
            assert answer.json()["signedOut"] is True
            for live in (on_one, on_two):
                assert await live.closed(within=5) == (SIGNED_OUT, "You signed out; sign in again.")
        for process in (one, two):
            assert refused(await as_cookie(process, cookie))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_an_erased_person_is_signed_out_of_every_session_on_every_process(
    tmp_path: Path,
) -> None:
    async with (
        behind_one_address(tmp_path) as (one, two, providers, public_url, engine),
        httpx.AsyncClient(base_url=one.server.url, timeout=30) as laptop,
        httpx.AsyncClient(base_url=two.server.url, timeout=30) as phone,
    ):
        providers.university.person = dict(STUDENT)
        await sign_in(laptop, via=one.server.url)
        await sign_in(phone, via=two.server.url)
        cookies = [session_cookie(laptop), session_cookie(phone)]
        assert cookies[0] != cookies[1]
        async with (
            cookie_live_client(
                one.server.ws_url, cookies[0], origin_url=public_url, same_origin=True
            ) as laptop_live,
            cookie_live_client(
                two.server.ws_url, cookies[1], origin_url=public_url, same_origin=True
            ) as phone_live,
        ):
            erased = await laptop.post(
                "/graphql",
                json={"query": ERASE_ME},
                headers={"origin": public_url},
            )
            assert erased.json()["data"]["eraseMe"]["personId"], erased.text
            for live in (laptop_live, phone_live):
                code, _ = await live.closed(within=5)
                assert code == SIGNED_OUT
        for process in (one, two):
            for cookie in cookies:
                assert refused(await as_cookie(process, cookie))
        async with engine.connect() as connection:
            sessions = (await connection.execute(select(SignInSession))).all()
        assert len(sessions) == 2
        # Ended, and nothing kept that names the person (the ID token held their name).
        assert all(s.revoked_at is not None and s.id_token is None for s in sessions)
